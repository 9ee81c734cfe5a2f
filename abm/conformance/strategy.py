"""``check_strategy``: whether a reporting strategy does what it declares, where it declares it.

Checks, each on the public information a real run publishes:

``spec``
    ``spec()`` rebuilds an equal strategy (same class, same parameters, same spec string), and
    ``kinds`` names known market kinds.
``kind``
    Every report is a type of the market's kind (``Market.type_class``) over the same goods as
    the true type.
``determinism``
    Two calls with generators seeded alike give the same report (DESIGN.md: a strategy's coins
    come only from its own stream).
``acts``
    For each market kind the strategy declares (``kinds``), it changes the report of at least
    one arrival (a strategy that never does is a silent no-op); a truthful strategy instead
    declares the true type every time.

The public information is the model's own: each representative market
(:mod:`abm.conformance.markets`) is run by :class:`abm.model.AllocationModel` under every
registered faithful mechanism of that kind (or those given) with every agent reporting
truthfully through a recording strategy, so each recorded :class:`~strategies.base.PublicInfo`
is exactly what the model hands a strategy at that arrival (``published(mechanism)`` before the
tick, the agent's own id). The strategy under test is then asked, at each recorded arrival,
what it would report.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechanisms import OnlineMechanism, registered_mechanisms
from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AgentType
from strategies.base import STRATEGIES, Declared, PublicInfo, Strategy, parse_strategy, split_spec
from strategies.coalitions import COALITION_STRATEGIES, CoalitionStrategy, parse_coalition_strategy

from .markets import BUILDERS, MarketCase, market_case, representative_markets
from .mechanism import resolve_mechanism_class, same
from .report import ConformanceReport

#: Every check ``check_strategy`` runs.
STRATEGY_CHECKS = ("spec", "kind", "determinism", "acts")

#: Arrivals recorded per (market, mechanism) run, spread over the arrival order (late arrivals
#: see posted prices and remaining capacity).
ARRIVALS_PER_RUN = 40

#: Members of each coalition a coalition strategy is asked about: consecutive recorded
#: arrivals of one run (the first member's public information).
COALITION_SIZE = 3


@dataclass(frozen=True)
class Observation:
    """One arrival of a truthful run: who, with what true type, seeing what (``info``), where."""

    where: str
    agent: int
    true_type: AgentType
    info: PublicInfo


class _Recorder(Strategy):
    """Report truthfully and remember what the model showed (never registered)."""

    name = "conformance_recorder"
    kinds = tuple(BUILDERS)

    def __init__(self, seen: list[tuple[int, AgentType, PublicInfo]]):
        super().__init__()
        self.seen = seen

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        self.seen.append((int(info.agent) if info.agent is not None else -1, true_type, info))
        return true_type


def observe(case: MarketCase, mechanism: type[OnlineMechanism], seed: int | None = None) -> list[Observation]:
    """Return up to :data:`ARRIVALS_PER_RUN` arrivals of a truthful model run of ``mechanism`` on ``case``.

    The run is an :class:`abm.model.AllocationModel` whose agents all report through a
    recording strategy (truthfully): the recorded information is the model's own.
    Raises :class:`ConfigError` when the mechanism refuses the market.
    """
    from ..model import AllocationModel

    seen: list[tuple[int, AgentType, PublicInfo]] = []
    mech = mechanism(case.market, **case.params_for(mechanism.spec.params))
    n = len(case.true_types)
    rec = _Recorder(seen)
    schedule = [[r.agent for r in tick] for tick in case.schedule]
    AllocationModel(case.market, [case.true_types[i] for i in range(n)], mech, case.seed if seed is None else seed,
                    strategies=[rec] * n, schedule=schedule).run()
    pick = sorted({int(i) for i in np.linspace(0, len(seen) - 1, num=min(ARRIVALS_PER_RUN, len(seen)))}) if seen else []
    where = f"{case.label}/{mechanism.spec.name}"
    return [Observation(where, *seen[i]) for i in pick]


_OBSERVED: dict[tuple, tuple[list[Observation], list[str]]] = {}


def observations(kind: str, mechanisms: Sequence[str | type[OnlineMechanism]] | None = None,
                 markets: Sequence[MarketCase | str] | None = None) -> tuple[list[Observation], list[str]]:
    """Return the recorded arrivals of market ``kind`` and the (case, mechanism) pairs that refused.

    Runs every representative case of ``kind`` (or ``markets``) under every registered faithful
    mechanism serving it (or ``mechanisms``). Cached per process (runs are seeded).
    """
    key = (kind, tuple(mechanisms) if mechanisms is not None else None,
           tuple(markets) if markets is not None else None)
    hit = _OBSERVED.get(key)
    if hit is not None:
        return hit
    if mechanisms is None:
        classes = [c for _, c in registered_mechanisms() if kind in c.spec.market_kinds]
    else:
        classes = [resolve_mechanism_class(m) for m in mechanisms]
        classes = [c for c in classes if kind in c.spec.market_kinds]
    cases = representative_markets(kind) if markets is None else \
        [m if isinstance(m, MarketCase) else market_case(m) for m in markets]
    obs: list[Observation] = []
    refused: list[str] = []
    for case in (c for c in cases if c.kind == kind):
        for cls in classes:
            try:
                obs.extend(observe(case, cls))
            except ConfigError as e:
                refused.append(f"{case.label}/{cls.spec.name}: {e}")
    _OBSERVED[key] = (obs, refused)
    return obs, refused


def resolve_strategy(strategy: str | Declared | type[Declared]) -> Strategy | CoalitionStrategy:
    """Return the (unilateral or coalition) strategy named by a spec string, an instance or a class.

    A spec string names a unilateral strategy, or a coalition strategy when no unilateral one
    has that name; a class is built with its default parameters.
    """
    if isinstance(strategy, (Strategy, CoalitionStrategy)):
        return strategy
    if isinstance(strategy, type) and issubclass(strategy, (Strategy, CoalitionStrategy)):
        return strategy()
    if isinstance(strategy, str):
        name = strategy.split(":", 1)[0].strip()
        if name not in STRATEGIES and name in COALITION_STRATEGIES:
            return parse_coalition_strategy(strategy, "strategy")
    return parse_strategy(strategy, "strategy")


def _rng(seed: int, agent: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), 0x57A7, int(agent) & 0xFFFFFFFF]))


def _same_goods(a: Any, b: Any) -> bool:
    """Return True when two types are over the same goods (bundle m, object count, fair-division m)."""
    for attr in ("m", "n_objects"):
        if hasattr(a, attr) or hasattr(b, attr):
            return getattr(a, attr, None) == getattr(b, attr, None)
    return True


def check_spec_roundtrip(s: Strategy, report: ConformanceReport) -> None:
    """Record the ``spec`` check: ``spec()`` rebuilds an equal strategy; ``kinds`` are market kinds."""
    bad: list[str] = []
    text = s.spec()
    try:
        name, params = split_spec(text, "strategy", "a strategy spec")
        registry = COALITION_STRATEGIES if isinstance(s, CoalitionStrategy) else STRATEGIES
        cls = registry.get(name, "strategy") if name in registry else type(s)
        if cls is not type(s):
            bad.append(f"spec {text!r} names {cls.__name__}, not {type(s).__name__}")
        again = type(s)(**params)
        if not same(dict(again.p), dict(s.p)):
            bad.append(f"spec {text!r} rebuilds parameters {again.p}, not {s.p}")
        if again.spec() != text:
            bad.append(f"spec {text!r} rebuilds a strategy whose spec is {again.spec()!r}")
    except ConfigError as e:
        bad.append(f"spec {text!r} does not parse back: {e}")
    unknown = [k for k in s.kinds if k not in BUILDERS]
    if not s.kinds or unknown:
        bad.append(f"kinds {tuple(s.kinds)!r}: expected market kinds among {sorted(BUILDERS)}")
    report.add("spec", not bad, "; ".join(bad) if bad else f"{text!r} round-trips; kinds {list(s.kinds)}")


def check_strategy(strategy: str | Declared | type[Declared],
                   mechanisms: Sequence[str | type[OnlineMechanism]] | None = None,
                   markets: Sequence[MarketCase | str] | None = None, seed: int = 0,
                   kinds: Sequence[str] | None = None, raise_on_failure: bool = False) -> ConformanceReport:
    """Return the conformance report of ``strategy`` (see the module docstring for the checks).

    Parameters
    ----------
    strategy : str, Strategy, CoalitionStrategy or class
        A spec string (``"truncate:k=2"``, ``"bid_ring:factor=1.5"``), an instance, or a class
        (default parameters). A coalition strategy is asked for the joint reports of
        coalitions of :data:`COALITION_SIZE` consecutive recorded arrivals of one run.
    mechanisms : sequence of names or classes, optional
        Mechanisms whose truthful runs supply the public information (default: every
        registered faithful mechanism of each kind the strategy declares).
    markets : sequence of MarketCase or case label, optional
        Markets to run on (default: the representative markets of each declared kind).
    seed : int
        Seed of the generators handed to the strategy.
    kinds : sequence of str, optional
        The declared market kinds to check (default: all of ``strategy.kinds``); ConfigError
        naming ``kinds`` for one the strategy does not declare.
    raise_on_failure : bool
        Raise :class:`~abm.conformance.report.ConformanceError` listing every failed check.
    """
    s = resolve_strategy(strategy)
    report = ConformanceReport(f"strategy {s.spec()}")
    check_spec_roundtrip(s, report)
    if kinds is not None:
        for k in kinds:
            require(k in s.kinds, "kinds", k, f"a market kind {s.spec()!r} declares ({list(s.kinds)})")
    for kind in (k for k in (s.kinds if kinds is None else kinds) if k in BUILDERS):
        obs, refused = observations(kind, mechanisms, markets)
        if not obs:
            report.add("acts", False, f"no {kind} run to observe: "
                       + ("; ".join(refused[:3]) if refused else "no mechanism serves the markets given"), kind)
            continue
        _check_kind(s, kind, obs, seed, report)
    return report.raise_if_failed() if raise_on_failure else report


def _units(s: Strategy | CoalitionStrategy, obs: list[Observation]) -> list[tuple[str, dict[int, AgentType], PublicInfo]]:
    """Return what ``s`` is asked about: (place, members' true types, public information).

    One arrival each for a unilateral strategy; for a coalition strategy, groups of
    :data:`COALITION_SIZE` consecutive arrivals of one run, seen at the first member's arrival.
    """
    if not isinstance(s, CoalitionStrategy):
        return [(f"{o.where}, agent {o.agent}", {o.agent: o.true_type}, o.info) for o in obs]
    out, group = [], []
    for o in obs:
        if group and (group[0].where != o.where or len(group) == COALITION_SIZE):
            out.append(group)
            group = []
        group.append(o)
    if group:
        out.append(group)
    return [(f"{g[0].where}, coalition {[o.agent for o in g]}", {o.agent: o.true_type for o in g}, g[0].info)
            for g in out]


def _ask(s: Strategy | CoalitionStrategy, members: dict[int, AgentType], info: PublicInfo,
         seed: int) -> dict[int, AgentType]:
    if isinstance(s, CoalitionStrategy):
        return s.reports(members, info, _rng(seed, min(members)))
    (a, t), = members.items()
    return {a: s.report(t, info, _rng(seed, a))}


def _check_kind(s: Strategy | CoalitionStrategy, kind: str, obs: list[Observation], seed: int,
                report: ConformanceReport) -> None:
    wrong_kind: list[str] = []
    nondet: list[str] = []
    crashed: list[str] = []
    changed: list[str] = []
    lied: list[str] = []
    declined = 0
    truthful = getattr(s, "is_truthful", False)
    units = _units(s, obs)
    for here, members, info in units:
        try:
            r1 = _ask(s, members, info, seed)
            r2 = _ask(s, members, info, seed)
        except ConfigError:  # the strategy says, by a named error, that it does not apply here
            declined += 1
            continue
        except Exception as e:  # noqa: BLE001  (a crash is a failure to report, with its place)
            crashed.append(f"{here}: report raised {type(e).__name__}: {e}")
            continue
        cls = info.market.type_class
        if not isinstance(r1, dict) or set(r1) != set(members):
            wrong_kind.append(f"{here}: reported for {sorted(r1) if isinstance(r1, dict) else r1!r}, "
                              f"not exactly the members {sorted(members)}")
            continue
        for a, t in members.items():
            if not (isinstance(r1[a], cls) and isinstance(t, cls) and _same_goods(r1[a], t)):
                wrong_kind.append(f"{here}: reported {type(r1[a]).__name__} for agent {a}'s true "
                                  f"{type(t).__name__} ({kind} market: {cls.__name__} over the same goods)")
        if not all(same(r1[a], r2.get(a)) for a in members):
            nondet.append(f"{here}: two calls with the same generator seed report differently")
        if not all(same(r1[a], t) for a, t in members.items()):
            (lied if truthful else changed).append(here)
    n = len(units)
    what = "coalitions" if isinstance(s, CoalitionStrategy) else "arrivals"
    report.add("kind", not wrong_kind and not crashed,
               "; ".join((wrong_kind + crashed)[:3]) if (wrong_kind or crashed) else
               f"{n - declined} report(s) of the market's type", kind)
    report.add("determinism", not nondet, "; ".join(nondet[:3]) if nondet else "same generator seed, same report",
               kind)
    where_runs = sorted({o.where for o in obs})
    if truthful:
        report.add("acts", not lied, f"declared a type other than the true one at {lied[:3]}" if lied else
                   f"declares the true type at all {n} {what}", kind)
    elif changed:
        report.add("acts", True, f"changes the report of {len(changed)} of {n} {what} (e.g. {changed[0]})", kind)
    else:
        report.add("acts", False, f"never changes the report: all {n} {what} observed on {len(where_runs)} "
                   f"run(s) ({', '.join(where_runs[:6])}{', ...' if len(where_runs) > 6 else ''}) declared their "
                   f"true type" + (f" ({declined} declined with ConfigError)" if declined else "")
                   + " (a strategy declaring this market kind must act on it)", kind)
