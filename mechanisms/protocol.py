"""The online mechanism protocol, mechanism declarations and the mechanism registry.

A mechanism is configured with the public :class:`Market` and its parameters (validated once,
here), started with the run's :class:`~mechanisms.rng.Streams`, then stepped once per tick
with the arriving agents' reports; each step returns their irrevocable outcomes. Every
mechanism declares, as data, the parameters it takes and the incentive/fairness properties its
paper claims (:class:`MechanismSpec`): the auditor reads those declarations to decide which
checks apply, so a new mechanism is audited without touching the auditor.
"""
from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from .errors import InvariantError, require
from .market import Goods
from .preferences import PREFERENCE_KINDS
from .registry import Registry
from .reports import Outcome, Report
from .rng import Streams

#: Tolerance for capacity checks on fractional (scaled) capacities.
CAPACITY_TOL = 1e-9


@dataclass
class Market:
    """The public description of a market (what every participant may know).

    Parameters
    ----------
    kind : str
        ``"bundles"`` (combinatorial assignment: OCAM, SD over bundles), ``"objects"`` (unit
        demand with a null option: SEM, SD-RTB), ``"procurement"`` or ``"fair_division"``
        (fixed agents, goods arriving one per time step: :mod:`mechanisms.fair_division`).
    goods : Goods, optional
        Goods and capacities (bundle and object markets). For object markets the null
        option is implicit, with unbounded supply (SEM Section 2: s_o > |I|).
    max_bundle_size : int, optional
        Largest bundle an agent may demand (bundle markets).
    n_agents : int, optional
        Known population size n (OCAM Section 4.2 and the procurement setting assume n known).
    horizon : int, optional
        Number of periods T, when the market has a fixed horizon (SEM).
    extra : dict
        Family-specific public data (procurement budget and valuation, SEM arrival
        distribution, ...). Families may also subclass :class:`Market`.
    """

    kind: str
    goods: Goods | None = None
    max_bundle_size: int | None = None
    n_agents: int | None = None
    horizon: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require(self.kind in ("bundles", "objects", "procurement", "fair_division"), "market.kind", self.kind,
                'one of "bundles", "objects", "procurement", "fair_division"')
        if self.kind in ("bundles", "objects"):
            require(isinstance(self.goods, Goods), "market.goods", self.goods, "a Goods instance")
        if self.max_bundle_size is not None:
            require(isinstance(self.max_bundle_size, (int, np.integer)) and self.max_bundle_size >= 1,
                    "market.max_bundle_size", self.max_bundle_size, "a positive integer")
        if self.n_agents is not None:
            require(isinstance(self.n_agents, (int, np.integer)) and self.n_agents >= 1,
                    "market.n_agents", self.n_agents, "a positive integer")

    @property
    def type_class(self) -> type:
        """The preference/cost class agents of this market report."""
        return PREFERENCE_KINDS[{"bundles": "bundles", "objects": "objects", "procurement": "cost",
                                 "fair_division": "fair_division"}[self.kind]]


@dataclass(frozen=True)
class ParamSpec:
    """One mechanism parameter: name, default, meaning, and where the paper fixes it.

    ``check`` returns True for acceptable values; ``expected`` says what is acceptable (used
    verbatim in the error message). ``source`` cites the paper ("Section 4.2", "Corollary 1").
    """

    name: str
    default: Any
    doc: str
    source: str = ""
    check: Callable[[Any], bool] | None = None
    expected: str = ""
    choices: tuple[Any, ...] | None = None

    def validate(self, value: Any, prefix: str) -> Any:
        """Return ``value`` if acceptable, else raise :class:`ConfigError` naming the parameter."""
        name = f"{prefix}{self.name}"
        if self.choices is not None:
            require(value in self.choices, name, value, f"one of {list(self.choices)}")
        if self.check is not None:
            try:
                ok = bool(self.check(value))
            except (TypeError, ValueError):
                ok = False
            require(ok, name, value, self.expected or "a valid value")
        return value


def real_in(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> Callable[[Any], bool]:
    """Return a check accepting real numbers in the interval from ``lo`` to ``hi``."""

    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            return False
        v = float(v)
        if not math.isfinite(v) and not (math.isinf(hi) and v == math.inf):
            return False
        return (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)

    return check


def positive_int(v: Any) -> bool:
    """Check: a positive integer (bools rejected)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1


@dataclass(frozen=True)
class Claim:
    """A property a paper claims for a mechanism.

    ``key`` is what the auditor dispatches on (``"strategyproof"``, ``"gsp1"``, ``"sp1"``,
    ``"universal_truthfulness"``, ``"budget_feasible"``, ``"ir"``, ``"ef1"``, ``"daceei"``,
    ``"greedy"``, ``"equal_type_envy_free"``, ...). ``source`` cites the definition and the
    theorem; ``assumptions`` says when the paper's claim applies.
    """

    key: str
    source: str
    assumptions: str = ""


@dataclass(frozen=True)
class MechanismSpec:
    """What a mechanism is, as data: name, market kind, parameters and claimed properties.

    ``incremental`` is True when the paper makes a unilateral deviator's outcome independent
    of everyone else's reports given the public state at its arrival (OCAM post-sample agents,
    posted-price procurement sellers), so the auditor may replay that agent alone.
    """

    name: str
    title: str
    market_kinds: tuple[str, ...]
    paper: str
    params: tuple[ParamSpec, ...] = ()
    claims: tuple[Claim, ...] = ()
    incremental: bool = False

    def param(self, name: str) -> ParamSpec:
        """Return the spec of parameter ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """Return every parameter's default value."""
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Mapping[str, Any] | None, prefix: str = "mechanism.params.") -> dict[str, Any]:
        """Return defaults updated with ``params``, every value validated.

        Raises :class:`ConfigError` for an unknown parameter name or an unacceptable value.
        """
        params = dict(params or {})
        known = {p.name for p in self.params}
        for k in params:
            require(k in known, f"{prefix}{k}", params[k], f"a parameter of {self.name} among {sorted(known)}")
        out = {}
        for p in self.params:
            out[p.name] = p.validate(params.get(p.name, p.default), prefix)
        return out

    def claim_keys(self) -> tuple[str, ...]:
        """Return the keys of the declared claims."""
        return tuple(c.key for c in self.claims)


class OnlineMechanism(ABC):
    """Base class of online mechanisms (the protocol of DESIGN.md, "One tick").

    Subclasses set ``spec`` and implement :meth:`step`; they read their validated parameters
    from ``self.params`` and their randomness only from ``self.streams`` (never a shared
    sequential generator), keyed by purpose and agent or period.

    Parameters
    ----------
    market : Market
        Public market description; its ``kind`` must be one of ``spec.market_kinds``.
    **params
        Mechanism parameters; unknown names and bad values raise :class:`ConfigError`.
    """

    spec: ClassVar[MechanismSpec]
    #: Posted prices (a float array) once the mechanism posts any; None otherwise.
    prices: np.ndarray | None = None

    def __init__(self, market: Market, **params: Any):
        require(market.kind in self.spec.market_kinds, "market.kind", market.kind,
                f"one of {list(self.spec.market_kinds)} for mechanism {self.spec.name!r}")
        self.market = market
        self.params = self.spec.resolve(params)
        self.streams: Streams | None = None
        self.validate()

    def validate(self) -> None:
        """Check market/parameter combinations; raise :class:`ConfigError` before any work."""

    def start(self, streams: Streams) -> None:
        """Reset the mechanism for a new run driven by ``streams``."""
        self.streams = streams

    @abstractmethod
    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        """Return the irrevocable outcomes of this tick's arrivals, one per report, same order."""

    def public(self) -> dict[str, Any]:
        """Return what the mechanism has made public so far (posted prices, phase, ...)."""
        return {}

    def remaining(self) -> np.ndarray | None:
        """Return remaining capacity per good (None for markets without goods)."""
        return None

    @property
    def enforces_capacity(self) -> bool:
        """True when remaining capacity must never go negative (OCAM's ``paper`` policy may)."""
        return True

    def summary(self) -> dict[str, Any]:
        """Return run-level diagnostics (solver errors, excess demand, ...) after the last step."""
        return {}

    def unilateral_outcome(self, report: Report, tick: int) -> Outcome:
        """Return the outcome ``report.agent`` would get by declaring ``report`` at ``tick``.

        The incremental replay path (``spec.incremental``): called on the mechanism in its
        final state after the truthful run, it must equal what a full replay with only this
        agent's report changed gives this agent. Only mechanisms whose paper makes an agent's
        outcome independent of its own effect on others' (given the state at its arrival,
        which the mechanism records) implement it; the auditor tests it against full replays.
        """
        raise NotImplementedError(f"{self.spec.name} declares no incremental replay path")


MECHANISMS: Registry[type[OnlineMechanism]] = Registry("mechanism")


def register_mechanism(cls: type[OnlineMechanism]) -> type[OnlineMechanism]:
    """Class decorator: register ``cls`` under ``cls.spec.name``."""
    return MECHANISMS.add(cls.spec.name, cls)


def make_mechanism(name: str, market: Market, params: Mapping[str, Any] | None = None) -> OnlineMechanism:
    """Return the registered mechanism ``name`` configured on ``market`` with ``params``."""
    cls = MECHANISMS.get(name, "mechanism.name")
    return cls(market, **dict(params or {}))


def checked_step(mech: OnlineMechanism, tick: int, reports: Sequence[Report]) -> list[Outcome]:
    """Step ``mech`` and enforce the protocol's invariants on the result.

    Returns the outcomes. Raises :class:`InvariantError` when the mechanism returns other than
    exactly one outcome per report (same agents, same order, this tick), a bundle/object the
    market does not have, or, for capacity-respecting mechanisms, leaves a capacity negative.
    """
    ids = [r.agent for r in reports]
    if len(set(ids)) != len(ids):
        raise InvariantError(f"tick {tick}: an agent reports twice in one tick: {ids}")
    outs = mech.step(tick, reports)
    if len(outs) != len(reports) or any(o.agent != a for o, a in zip(outs, ids)):
        raise InvariantError(f"{mech.spec.name} tick {tick}: outcomes {[o.agent for o in outs]} "
                             f"do not match the arrivals {ids}")
    for o in outs:
        if o.tick != tick:
            raise InvariantError(f"{mech.spec.name}: outcome of agent {o.agent} stamped tick {o.tick}, not {tick}")
    rem = mech.remaining()
    if rem is not None and mech.enforces_capacity and np.any(rem < -CAPACITY_TOL):
        raise InvariantError(f"{mech.spec.name} tick {tick}: capacity exceeded, remaining {rem.tolist()}", "capacity")
    return outs
