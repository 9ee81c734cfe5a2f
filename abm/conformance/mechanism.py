"""``check_mechanism``: whether a mechanism keeps the online protocol the auditor relies on.

In the spirit of scikit-learn's ``check_estimator`` and PettingZoo's ``api_test``, every check
reads the mechanism only through the protocol (``start``, ``step``, ``public``) and the
declarations of its spec, on small representative markets (:mod:`abm.conformance.markets`):

``spec``
    ``spec`` is a :class:`~mechanisms.spec.MechanismSpec` with a name, known market kinds
    and :class:`~mechanisms.spec.Claim` claims; ``step`` is implemented.
``claims``
    Every declared claim key has a checker in the auditor (:func:`abm.audit.claims.checker_for`,
    the dispatch the audit itself uses); a key without one would be reported "no checker".
``protocol``
    Per market and seed: ``step`` returns one outcome per report, same agents, same order, this
    tick (:func:`~mechanisms.step_invariants.checked_step`); each outcome is of the market kind's class
    with values the market has (:data:`OUTCOME_CLASSES`); ``step`` leaves the report list it is
    given unchanged; ``public()`` returns the spec's declared public state
    (:func:`~mechanisms.online_mechanism.published`).
``invariants``
    What must hold of every run whatever the claims: capacities (checked by ``checked_step``
    for capacity-respecting mechanisms, and recounted here from the bundles allocated), no
    invariant breach raised by the mechanism's own guards, total payments within a
    procurement market's budget (the auditor's own ``budget_feasible`` checker,
    :data:`abm.audit.claims.CLAIM_CHECKERS`), each good of a fair-division market given once.
``determinism``
    Two fresh runs from one seed give identical outcomes and identical public states after
    every tick (DESIGN.md: one seed reproduces a run bit for bit). Another seed may differ.
``shortcut``
    When the mechanism offers an accelerator: ``unilateral_outcome``
    (:meth:`abm.audit.replay.Replayer.incremental`) must equal the protocol's answer, the
    truthful run itself for up to :data:`TRUTHFUL_PROBES` agents' true reports and a replay from
    scratch (:meth:`~abm.audit.replay.Replayer.full`) for a seeded sample of deviations;
    ``outcome_distribution`` must contain the outcome the protocol realises (:func:`abm.audit.claims.declared_distribution`). ``spec.incremental``
    without ``unilateral_outcome`` fails.
``checkpoint``
    Replays from checkpoints (:class:`mechanisms.checkpoint.CheckpointedRun`, through the
    :class:`~abm.audit.replay.Replayer`, with few checkpoints so states are reloaded and stepped
    forward) equal fresh runs: every agent's outcome and every public state.

A mechanism is named by its registered name (mutants included), ``module:Class`` (a file or an
importable module: the caller names the code, nothing is read from a data file), or given as a
class (not registered: a class under test stays out of the registry).
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from mechanisms.engine import Configuration, RunRecord, configuration
from mechanisms.errors import ConfigError, InvariantError, require
from mechanisms.market import masks_to_matrix
from mechanisms.mechanism_registry import MECHANISMS
from mechanisms.online_mechanism import OnlineMechanism, published
from mechanisms.reports import (
    BundleOutcome,
    GoodsOutcome,
    HireOutcome,
    ObjectOutcome,
    Outcome,
    Report,
)
from mechanisms.rng import Streams
from mechanisms.spec import Claim, MechanismSpec
from mechanisms.step_invariants import CAPACITY_TOL, checked_step

from ..audit.claims import CLAIM_CHECKERS, checker_for, declared_distribution
from ..audit.replay import Deviation, Replayer
from .markets import BUILDERS, MarketCase, market_case, representative_markets
from .report import ConformanceReport

#: The outcome class each market kind's mechanisms must return (mechanisms.reports).
OUTCOME_CLASSES: dict[str, type[Outcome]] = {"bundles": BundleOutcome, "objects": ObjectOutcome,
                                             "procurement": HireOutcome, "fair_division": GoodsOutcome}

#: Every check ``check_mechanism`` runs, in order.
MECHANISM_CHECKS = ("spec", "claims", "market", "protocol", "invariants", "determinism", "shortcut", "checkpoint")

#: Agents (spread over the arrival order) whose truthful report the shortcut check asks about.
TRUTHFUL_PROBES = 40

#: How many problems a failed check quotes in its message (the rest are counted).
QUOTE = 3

Factory = Callable[[], OnlineMechanism]


# ---- naming the mechanism ------------------------------------------------------------------
def resolve_mechanism_class(mechanism: str | type[OnlineMechanism]) -> type[OnlineMechanism]:
    """Return the class named by ``mechanism``: a registered name, ``module:Class``, or a class itself.

    A ``module:Class`` is imported and registered like a scenario's (:mod:`mechanisms.plugins`);
    naming it here is the caller's explicit opt-in. Raises :class:`ConfigError` naming
    ``mechanism`` for anything else.
    """
    if isinstance(mechanism, type):
        return mechanism
    from mechanisms import plugins

    require(isinstance(mechanism, str) and mechanism.strip() != "", "mechanism", mechanism,
            "a registered mechanism name, module:Class, or a mechanism class")
    text = mechanism.strip()
    if plugins.is_import_spec(text):
        return MECHANISMS.get(plugins.import_mechanism(text, allow_import=True, field="mechanism"), "mechanism")
    name = text if text in MECHANISMS else plugins.load_entry_point(text, field="mechanism")
    require(name is not None, "mechanism", text, f"a registered mechanism name (mutants included) among "
            f"{MECHANISMS.names()}, an installed entry point of {plugins.ENTRY_POINT_GROUP!r}, or module:Class")
    return MECHANISMS.get(name, "mechanism")


# ---- comparing runs -------------------------------------------------------------------------
def same(a: Any, b: Any) -> bool:
    """Return True when ``a`` and ``b`` are equal, comparing numpy arrays inside containers by value."""
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        pass  # an array inside: compare piece by piece below
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if dataclasses.is_dataclass(a):
        return all(same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    if isinstance(a, Mapping):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return False


@dataclasses.dataclass
class Trace:
    """One run stepped by the conformance checks: outcomes and public state tick by tick."""

    outcomes: list[list[Outcome]]
    public: list[Any]
    protocol: list[str]
    invariants: list[str]
    error_tick: int | None = None
    mechanism: OnlineMechanism | None = None
    config: Configuration | None = None


def outcome_problem(o: Outcome, report: Report, market: Any) -> str | None:
    """Return what is wrong with outcome ``o`` of ``report`` for ``market``'s kind (None: well typed).

    Bundles: a :class:`BundleOutcome` whose bundle is a bitmask over the market's goods.
    Objects: an :class:`ObjectOutcome` naming an object or the null option (index m), with a
    lottery (when given) over the m objects and the null option that sums to 1 and gives the
    realised option positive probability (SEM Section 2). Procurement: a :class:`HireOutcome`
    with a boolean decision, a finite payment and, when recorded, the declared bid.
    Fair division: a :class:`GoodsOutcome` of good indices below the horizon m.
    """
    kind = market.kind
    cls = OUTCOME_CLASSES.get(kind)
    if cls is not None and not isinstance(o, cls):
        return f"agent {report.agent}: {type(o).__name__} on a {kind} market (expected {cls.__name__})"
    if isinstance(o, BundleOutcome):
        m = market.goods.m
        if not isinstance(o.bundle, (int, np.integer)) or not 0 <= int(o.bundle) < (1 << m):
            return f"agent {o.agent}: bundle {o.bundle!r} is not a bitmask over the market's {m} goods"
    elif isinstance(o, ObjectOutcome):
        m = market.goods.m
        if not isinstance(o.obj, (int, np.integer)) or not 0 <= int(o.obj) <= m:
            return f"agent {o.agent}: object {o.obj!r} is neither one of the {m} objects nor the null option {m}"
        if o.lottery is not None:
            lot = np.asarray(o.lottery, dtype=np.float64)
            if lot.shape != (m + 1,) or np.any(lot < -1e-9) or abs(float(lot.sum()) - 1.0) > 1e-6:
                return f"agent {o.agent}: lottery {list(o.lottery)} is not a distribution over {m} objects and the null option"
            if lot[int(o.obj)] <= 0:
                return f"agent {o.agent}: realised object {o.obj} has probability 0 in its own lottery"
    elif isinstance(o, HireOutcome):
        if not isinstance(o.hired, (bool, np.bool_)):
            return f"agent {o.agent}: hired = {o.hired!r} is not a boolean"
        if not isinstance(o.payment, (int, float, np.integer, np.floating)) or not math.isfinite(float(o.payment)):
            return f"agent {o.agent}: payment {o.payment!r} is not a finite number"
        declared = getattr(report.declared, "value", None)
        if o.bid is not None and declared is not None and float(o.bid) != float(declared):
            return f"agent {o.agent}: outcome records bid {o.bid!r}, the report declared {declared!r}"
    elif isinstance(o, GoodsOutcome):
        m = market.horizon
        if not all(isinstance(g, (int, np.integer)) and 0 <= int(g) < (m or 0) for g in o.goods):
            return f"agent {o.agent}: goods {list(o.goods)} are not indices of the market's {m} goods"
    return None


def stepped_run(factory: Factory, schedule: Sequence[Sequence[Report]], seed: int) -> Trace:
    """Return the run of a fresh mechanism on ``schedule`` from ``seed``, with its protocol problems.

    Every tick goes through :func:`~mechanisms.step_invariants.checked_step` (which hands
    ``step`` a copy of the tick's reports and refuses a step that edits it), then every outcome is
    checked by :func:`outcome_problem` and the public state read by
    :func:`~mechanisms.online_mechanism.published`. A breach or exception stops the run; it is recorded
    as a protocol problem, or as an invariant problem when the breach names a claim
    (``InvariantError.claim``: capacity, budget feasibility).
    """
    tr = Trace([], [], [], [])
    mech = factory()
    tr.mechanism = mech
    tr.config = configuration(mech)
    mech.start(Streams(int(seed)))
    market = mech.market
    for t, tick in enumerate(schedule):
        before = list(tick)
        try:
            outs = checked_step(mech, t, before)  # refuses a step that edits its list of reports
        except Exception as e:  # noqa: BLE001  (any crash of step is a protocol failure, reported)
            if isinstance(e, InvariantError):
                (tr.invariants if e.claim else tr.protocol).append(f"tick {t}: {e}")
            else:
                tr.protocol.append(f"tick {t}: step raised {type(e).__name__}: {e}")
            tr.error_tick = t
            return tr
        for o, r in zip(outs, before):
            p = outcome_problem(o, r, market)
            if p is not None:
                tr.protocol.append(f"tick {t}: {p}")
        tr.outcomes.append(list(outs))
        try:
            tr.public.append(published(mech))
        except InvariantError as e:
            tr.protocol.append(f"tick {t}: {e}")
            tr.public.append(None)
    return tr


# ---- invariants of a finished run ----------------------------------------------------------
def run_invariant_problems(trace: Trace, schedule: Sequence[Sequence[Report]], types: Mapping[int, Any],
                           seed: int) -> list[str]:
    """Return the invariant breaches of a finished run (capacity recount, budget, goods given once)."""
    mech = trace.mechanism
    market = mech.market
    outs = [o for tick in trace.outcomes for o in tick]
    bad: list[str] = []
    if market.kind == "bundles" and mech.enforces_capacity and outs:
        used = masks_to_matrix([int(o.bundle) for o in outs if isinstance(o, BundleOutcome)], market.goods.m).sum(0)
        over = np.flatnonzero(used > market.goods.capacity + CAPACITY_TOL)
        if over.size:
            j = int(over[0])
            bad.append(f"good {market.goods.names[j]!r} allocated {used[j]:g} times, capacity "
                       f"{market.goods.capacity[j]:g} (recounted from the outcomes)")
    if market.kind == "procurement" and outs:
        run = RunRecord(int(seed), [list(t) for t in schedule], {o.agent: o for o in outs}, trace.public,
                        {}, mech, trace.config)
        claim = Claim("budget_feasible", "conformance: payments within the market's budget B (Section 2)")
        res = CLAIM_CHECKERS["budget_feasible"].fn(run, types, claim)
        if res.status == "violated":
            bad.append(f"budget: {res.detail}")
    if market.kind == "fair_division":
        owner: dict[int, int] = {}
        for o in outs:
            for g in getattr(o, "goods", ()):
                if int(g) in owner:
                    bad.append(f"good {g} given to agents {owner[int(g)]} and {o.agent}")
                owner[int(g)] = o.agent
    return bad


def first_difference(a: Trace, b: Trace) -> str | None:
    """Return where two traces first differ (outcomes, then public state, tick by tick); None when equal."""
    if a.error_tick != b.error_tick or len(a.outcomes) != len(b.outcomes):
        return f"one run stopped after {len(a.outcomes)} ticks, the other after {len(b.outcomes)}"
    for t, (x, y) in enumerate(zip(a.outcomes, b.outcomes)):
        for o, p in zip(x, y):
            if not same(o, p):
                return f"tick {t}, agent {o.agent}: {o!r} vs {p!r}"
        if not same(a.public[t], b.public[t]):
            return f"tick {t}: public state {a.public[t]!r} vs {b.public[t]!r}"
    return None


def _quote(problems: Sequence[str]) -> str:
    more = len(problems) - QUOTE
    return "; ".join(problems[:QUOTE]) + (f" (and {more} more)" if more > 0 else "")


# ---- the check ------------------------------------------------------------------------------
def check_spec(cls: Any, report: ConformanceReport) -> bool:
    """Record the ``spec`` check of ``cls``; return True when the class can be run at all."""
    bad: list[str] = []
    if not (isinstance(cls, type) and issubclass(cls, OnlineMechanism)):
        report.add("spec", False, f"{cls!r} is not a class derived from mechanisms.OnlineMechanism")
        return False
    spec = getattr(cls, "spec", None)
    if not isinstance(spec, MechanismSpec):
        report.add("spec", False, f"{cls.__name__}.spec is {type(spec).__name__}, not a mechanisms.MechanismSpec")
        return False
    if not isinstance(spec.name, str) or not spec.name:
        bad.append(f"spec.name = {spec.name!r} is not a non-empty string")
    kinds = tuple(spec.market_kinds)
    if not kinds or any(k not in BUILDERS for k in kinds):
        bad.append(f"spec.market_kinds = {kinds!r}: expected market kinds among {sorted(BUILDERS)}")
    if getattr(cls, "__abstractmethods__", None):
        bad.append(f"abstract methods {sorted(cls.__abstractmethods__)} are not implemented")
    for c in spec.claims:
        if not isinstance(c, Claim):
            bad.append(f"claim {c!r} is not a mechanisms.Claim")
    report.add("spec", not bad, _quote(bad) if bad else f"{spec.name!r}, markets {list(kinds)}, "
               f"{len(spec.params)} parameter(s), {len(spec.claims)} claim(s)")
    return not bad


def check_claims(spec: MechanismSpec, report: ConformanceReport) -> None:
    """Record the ``claims`` check: every declared claim key has a checker in the auditor."""
    keys = [c.key for c in spec.claims if isinstance(c, Claim)]
    missing = [k for k in keys if checker_for(k) is None]
    if missing:
        report.add("claims", False, f"no checker in the auditor for claim key(s) {missing} "
                   f"(abm.audit.claims.checker_for: the audit would report them as 'no checker'); "
                   f"known keys: {sorted(CLAIM_CHECKERS)}")
    else:
        report.add("claims", True, f"checkers for {keys}" if keys else "no claims declared")


def _cases(spec: MechanismSpec, markets: Sequence[MarketCase | str] | None) -> tuple[list[MarketCase], bool]:
    if markets is None:
        return [c for k in spec.market_kinds if k in BUILDERS for c in representative_markets(k)], False
    out = [m if isinstance(m, MarketCase) else market_case(m) for m in markets]
    return out, True


def _sample(devs: Sequence[Deviation], k: int, seed: int, unilateral: bool) -> list[Deviation]:
    pool = [d for d in devs if d.size == 1 or not unilateral]
    if len(pool) <= k:
        return list(pool)
    idx = np.random.default_rng(np.random.SeedSequence([seed, 0xC0F])).choice(len(pool), size=k, replace=False)
    return [pool[int(i)] for i in sorted(idx)]


def _probe_deviations(case: MarketCase, k: int, seed: int, unilateral: bool) -> list[Deviation]:
    """Return up to ``k`` of the case's deviations (seeded), or truthful reports of the last agents."""
    got = _sample(case.deviations, k, seed, unilateral)
    if not got:  # a case without misreports: replay truthful reports (still exercises the checkpoints)
        last = [r for tick in case.schedule for r in tick][-max(1, min(k, 2)):]
        got = [Deviation({r.agent: r.declared}, "truthful") for r in last]
    return got


def check_shortcut(factory: Factory, cls: type[OnlineMechanism], case: MarketCase, seed: int,
                   n_dev: int, report: ConformanceReport, where: str) -> None:
    """Record the ``shortcut`` check on one case (nothing when the mechanism offers no shortcut)."""
    has_uo = getattr(cls, "unilateral_outcome", None) is not OnlineMechanism.unilateral_outcome
    has_od = callable(getattr(cls, "outcome_distribution", None))
    if cls.spec.incremental and not has_uo:
        report.add("shortcut", False, "spec.incremental is True but the class has no unilateral_outcome", where)
        return
    if not (has_uo or has_od):
        report.add("shortcut", True, "no shortcut offered (no unilateral_outcome, no outcome_distribution)", where)
        return
    rp = Replayer(factory, case.fresh_schedule(), seed, case.true_types)
    truth = rp.truth
    bad: list[str] = []
    counts = {"answered": 0, "refused": 0}
    # every agent's truthful report: the truthful run itself is the protocol's answer (no replay needed)
    reports = [r for tick in case.schedule for r in tick]
    picks = np.unique(np.linspace(0, len(reports) - 1, num=min(TRUTHFUL_PROBES, len(reports))).astype(int))
    for r in (reports[int(i)] for i in picks):
        if r.agent in truth.outcomes:
            _ask_shortcut(rp, r.agent, r.declared, "truthful", truth.outcomes[r.agent], has_uo, has_od, counts, bad)
    for d in _probe_deviations(case, n_dev, seed, unilateral=True):
        (a, rep), = d.reports.items()
        ref = rp.full(d, to_end=False)[0].outcomes.get(a)
        _ask_shortcut(rp, a, rep, d.label, ref, has_uo, has_od, counts, bad)
    answered, refused = counts["answered"], counts["refused"]
    if bad:
        report.add("shortcut", False, _quote(bad), where)
    else:
        report.add("shortcut", True, f"{answered} answer(s) equal protocol replays ({refused} refused)", where)


def _ask_shortcut(rp: Replayer, a: int, declared: Any, label: str, ref: Outcome | None, has_uo: bool,
                  has_od: bool, counts: dict[str, int], bad: list[str]) -> None:
    """Ask the mechanism's shortcuts about ``a`` declaring ``declared``; ``ref`` is the protocol's answer."""
    if has_uo:
        try:
            s = rp.incremental(a, declared)
        except (NotImplementedError, ConfigError):
            counts["refused"] += 1
        else:
            counts["answered"] += 1
            if not same(s, ref):
                bad.append(f"unilateral_outcome for agent {a} declaring {label} says {s!r}, "
                           f"the protocol (a run from scratch) gives {ref!r}")
    if has_od:
        decl = declared_distribution(rp.base.state_before(rp.tick_of(a)), a, declared)
        if decl is None:
            counts["refused"] += 1
            return
        counts["answered"] += 1
        realised = getattr(ref, "bundle", getattr(ref, "obj", None))
        total = sum(decl.values())
        if realised is None or int(realised) not in decl:
            bad.append(f"outcome_distribution for agent {a} declaring {label} has support {sorted(decl)}, "
                       f"the protocol realises {ref!r}")
        elif abs(total - 1.0) > 1e-9:
            bad.append(f"outcome_distribution for agent {a} declaring {label} sums to {total:.12g}, not 1")


def check_checkpoints(factory: Factory, case: MarketCase, seed: int, n_dev: int, report: ConformanceReport,
                      where: str) -> None:
    """Record the ``checkpoint`` check: replays from (few) checkpoints equal fresh runs from tick 0."""
    rp = Replayer(factory, case.fresh_schedule(), seed, case.true_types, checkpoints=2)
    bad: list[str] = []
    devs = _probe_deviations(case, n_dev, seed + 1, unilateral=False)
    for d in devs:
        r = rp.protocol(d, to_end=True)
        fresh, err = rp.full(d)
        if (r.error is None) != (err is None):
            bad.append(f"{d.label} deviation of {list(d.agents)}: the checkpoint replay "
                       f"{'raised ' + str(r.error) if r.error else 'ran through'}, the fresh run "
                       f"{'raised ' + str(err) if err else 'ran through'}")
            continue
        if r.error is not None:
            continue
        rec = r.run
        diff = [a for a in fresh.outcomes if not same(fresh.outcomes[a], rec.outcomes.get(a))]
        if diff:
            a = diff[0]
            bad.append(f"{d.label} deviation of {list(d.agents)}: agent {a} gets {rec.outcomes.get(a)!r} "
                       f"replayed from a checkpoint, {fresh.outcomes[a]!r} in a fresh run "
                       f"(the mechanism's state does not survive a snapshot)")
            continue
        for t, (p, q) in enumerate(zip(rec.public, fresh.public)):
            if not same(p, q):
                bad.append(f"{d.label} deviation of {list(d.agents)}: public state after tick {t} differs "
                           f"between the checkpoint replay and a fresh run")
                break
    if bad:
        report.add("checkpoint", False, _quote(bad), where)
    else:
        report.add("checkpoint", True, f"{len(devs)} replay(s) from checkpoints equal fresh runs", where)


def check_mechanism(mechanism: str | type[OnlineMechanism], markets: Sequence[MarketCase | str] | None = None,
                    seeds: Sequence[int] | None = None, params: Mapping[str, Any] | None = None,
                    deviations: int = 4, raise_on_failure: bool = False) -> ConformanceReport:
    """Return the conformance report of ``mechanism`` (see the module docstring for the checks).

    Parameters
    ----------
    mechanism : str or class
        A registered name (mutants included), ``module:Class``, or an ``OnlineMechanism`` subclass.
    markets : sequence of MarketCase or case label, optional
        Where to run it (default: every representative market of each kind its spec declares;
        a default market that refuses the mechanism's configuration is skipped, but every kind
        needs one that accepts it).
    seeds : sequence of int, optional
        Seeds of the protocol, invariant and determinism runs (default: the case's seed and the
        next one).
    params : Mapping, optional
        Mechanism parameters (over the case's own, e.g. OCAM's eps_n on the ``ocam`` case).
    deviations : int
        How many deviations per case the shortcut and checkpoint checks replay (seeded sample).
    raise_on_failure : bool
        Raise :class:`~abm.conformance.report.ConformanceError` listing every failed check.

    Returns
    -------
    ConformanceReport
        One row per check and place; ``passed`` when every check passed.
    """
    require(isinstance(deviations, int) and not isinstance(deviations, bool) and deviations >= 1, "deviations",
            deviations, "a positive integer")
    cls = resolve_mechanism_class(mechanism)
    name = getattr(getattr(cls, "spec", None), "name", getattr(cls, "__name__", repr(cls)))
    report = ConformanceReport(f"mechanism {name}")
    if check_spec(cls, report):
        check_claims(cls.spec, report)
        _check_on_markets(cls, markets, seeds, params, deviations, report)
    return report.raise_if_failed() if raise_on_failure else report


def _check_on_markets(cls: type[OnlineMechanism], markets: Sequence[MarketCase | str] | None,
                      seeds: Sequence[int] | None, params: Mapping[str, Any] | None, n_dev: int,
                      report: ConformanceReport) -> None:
    cases, explicit = _cases(cls.spec, markets)
    accepted: dict[str, list[str]] = {}
    refusals: dict[str, list[str]] = {}
    for case in cases:
        p = {**case.params_for(cls.spec.params), **dict(params or {})}
        def factory(c=case, p=p) -> OnlineMechanism:
            return cls(c.market, **p)
        if case.kind not in cls.spec.market_kinds:
            report.add("market", False, f"the mechanism serves {list(cls.spec.market_kinds)}, not {case.kind}", case.label)
            continue
        try:
            factory()
        except ConfigError as e:
            refusals.setdefault(case.kind, []).append(f"{case.label}: {e}")
            if explicit:
                report.add("market", False, f"refuses the market: {e}", case.label)
            continue
        accepted.setdefault(case.kind, []).append(case.label)
        _check_case(cls, factory, case, seeds, n_dev, report)
    if not explicit:
        for kind in cls.spec.market_kinds:
            if kind not in accepted:
                report.add("market", False, f"no representative {kind} market accepts the mechanism "
                           f"({_quote(refusals.get(kind, ['none built']))}); pass markets=[...]", kind)


def _check_case(cls: type[OnlineMechanism], factory: Factory, case: MarketCase, seeds: Sequence[int] | None,
                n_dev: int, report: ConformanceReport) -> None:
    seeds = list(seeds) if seeds is not None else [case.seed, case.seed + 1]
    protocol_ok = True
    for seed in seeds:
        where = f"{case.label}, seed {seed}"
        sched = case.fresh_schedule()
        a = stepped_run(factory, sched, seed)
        report.add("protocol", not a.protocol, _quote(a.protocol) if a.protocol else
                   f"{sum(len(t) for t in a.outcomes)} outcomes over {len(a.outcomes)} ticks", where)
        inv = list(a.invariants)
        if a.error_tick is None:
            inv += run_invariant_problems(a, sched, case.true_types, seed)
        report.add("invariants", not inv, _quote(inv) if inv else "capacity, budget and allocation invariants hold",
                   where)
        b = stepped_run(factory, case.fresh_schedule(), seed)
        diff = first_difference(a, b)
        report.add("determinism", diff is None, f"two runs from seed {seed} differ: {diff}" if diff else
                   "two runs from one seed are identical (outcomes and public state)", where)
        protocol_ok = protocol_ok and not a.protocol
    if not protocol_ok:
        return  # replays of a mechanism that breaks the protocol would only repeat its failure
    where = f"{case.label}, seed {seeds[0]}"
    check_shortcut(factory, cls, case, seeds[0], n_dev, report, where)
    check_checkpoints(factory, case, seeds[0], n_dev, report, where)
