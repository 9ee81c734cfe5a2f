"""What a mechanism has made public: one frozen class per kind of publication.

An arriving agent's strategy sees the public market and the mechanism's public state before
its tick (DESIGN.md, "Layers"). Every :class:`~mechanisms.spec.MechanismSpec` declares the
class of its public state (``public_state``), and ``OnlineMechanism.public()`` returns an
instance of it. Construction is strict: every field is given by name, and a missing or unknown
field raises :class:`~mechanisms.errors.ConfigError` naming it, so a reader never meets a
silent default. ``None`` in a field means "published: nothing yet" (no prices during OCAM's
sample), never "this mechanism forgot".

- :class:`PublicState`: the base; publishes nothing (the default of a mechanism that declares
  no public state). No datum is published by every market kind, so the base has no field.
- :class:`GoodsPublic`: the fields common to bundle and object markets (remaining capacity,
  posted prices).
- :class:`BundlesPublic`: OCAM's sample-then-post publication (Mechanism 1: prices p and the
  budget function f after the sample).
- :class:`ObjectsPublic`: SEM's spot market of the last period (Section 4: prices p^t).
- :class:`ProcurementPublic`: the posted-price procurement state (Mechanisms 2-4: B, t, the
  hired set S and the remaining budget B', from which a seller computes its posted price
  p_i = (B/t) v(i|S)).
- :class:`FairDivisionPublic`: the allocation once made (online fair division).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np

from .errors import ConfigError, require
from .preferences import BundleRanking


def _floats(x: Sequence[float] | None, field: str, owner: object = None) -> tuple[float, ...] | None:
    """Return ``x`` as a tuple of floats (None stays None); raise ConfigError naming ``field``.

    With ``owner`` (a public state), the field is named ``<Class of owner>.<field>``; the name
    is built only on failure (construction is on every tick's path).
    """
    if x is None:
        return None
    try:
        return tuple(map(float, x))
    except (TypeError, ValueError):
        raise ConfigError(_name(owner, field), x, "a sequence of numbers or None") from None


def _ints(x: Sequence[int], field: str, owner: object = None) -> tuple[int, ...]:
    """Return ``x`` as a tuple of ints; raise ConfigError naming ``field`` (see :func:`_floats`)."""
    try:
        return tuple(map(int, x))
    except (TypeError, ValueError):
        raise ConfigError(_name(owner, field), x, "a sequence of integers") from None


def _name(owner: object, field: str) -> str:
    return field if owner is None else f"{type(owner).__name__}.{field}"


def public_state(cls: type) -> type:
    """Class decorator: make ``cls`` a frozen, keyword-only dataclass with strict construction.

    Returns the class. Its constructor raises :class:`ConfigError` naming
    ``<Class>.<field>`` for a field that is missing or not a field of the class (positional
    arguments are refused: a field is always named).
    """
    cls = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    names = tuple(f.name for f in dataclasses.fields(cls))
    known = frozenset(names)
    cls.field_names = names
    init = cls.__init__
    # the generated __init__ sets each field through object.__setattr__ (frozen) and then calls
    # __post_init__; with every field given by name (checked below) one dict update does the same
    direct = not any("__slots__" in vars(c) for c in cls.__mro__ if c is not object)

    def __init__(self: PublicState, *args: Any, **values: Any) -> None:
        if args or values.keys() != known:  # the messages are built only on failure (hot path)
            require(not args, cls.__name__, args, "fields given by name (keyword arguments)")
            for k in values:
                require(k in known, f"{cls.__name__}.{k}", values[k], f"a field of {cls.__name__} among {list(names)}")
            for k in names:
                require(k in values, f"{cls.__name__}.{k}", "missing",
                        "a value (every field of a public state is given; None means nothing published yet)")
        if direct:
            self.__dict__.update(values)
            post = getattr(self, "__post_init__", None)
            if post is not None:
                post()
        else:
            init(self, **values)

    __init__.__doc__ = init.__doc__
    cls.__init__ = __init__
    return cls


@public_state
class PublicState:
    """The base of the public states, and the state of a mechanism that publishes nothing.

    Subclasses are decorated with :func:`public_state` and may normalise fields in
    ``__post_init__`` (sequences to tuples) with :meth:`_set`.
    """

    #: Field names, in declaration order (set by :func:`public_state`).
    field_names: ClassVar[tuple[str, ...]] = ()

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # frozen: normalisation at construction only

    def as_dict(self) -> dict[str, Any]:
        """Return the fields as a plain dict (for display and reports; readers use attributes)."""
        return {k: getattr(self, k) for k in self.field_names}


@public_state
class GoodsPublic(PublicState):
    """Bundle and object markets: what is left and what it costs.

    Attributes
    ----------
    remaining : tuple of float
        Remaining capacity per good/object (OCAM Section 2 capacities c^j; SEM supply s_o
        less what was allocated; for the online SEM, the stock).
    prices : tuple of float or None
        The last posted prices, one per good/object (SEM may append the null option's price);
        None while none are posted (OCAM's sample, serial dictatorship).
    """

    remaining: tuple[float, ...]
    prices: tuple[float, ...] | None

    def __post_init__(self) -> None:
        self._set("remaining", _floats(self.remaining, "remaining", self))
        if self.remaining is None:
            raise ConfigError(_name(self, "remaining"), None, "a capacity per good")
        self._set("prices", _floats(self.prices, "prices", self))

    def price_vector(self, size: int) -> np.ndarray | None:
        """Return the posted prices of ``size`` goods/objects (SEM's null-option price dropped).

        None when no prices are posted, or the vector has another length (a type over other
        goods than the market's).
        """
        if self.prices is None or len(self.prices) not in (size, size + 1):
            return None
        return np.asarray(self.prices[:size], dtype=np.float64)

    def remaining_vector(self, size: int) -> np.ndarray | None:
        """Return the remaining capacity of ``size`` goods/objects (None for another length)."""
        return np.asarray(self.remaining, dtype=np.float64) if len(self.remaining) == size else None


@public_state
class BundlesPublic(GoodsPublic):
    """OCAM (Mechanism 1): the phase and, after the sample, the prices p and the budget function f.

    Attributes
    ----------
    phase : str
        ``"sample"`` or ``"online"`` (the prices and f are posted when the sample closes).
    budgets : dict or None
        f by type label: label -> [(budget, probability), ...] (None during the sample).
    types : dict or None
        label -> the sample's reported type (f's domain Theta_S; None during the sample).
    seen_type_counts : dict or None
        label -> multiplicity of that type in the sample.
    sample_size : int
        The sample size (Section 4.2).
    arrived : int
        Agents that have reported so far.
    clearing_error : float or None
        Relative clearing error of the sample ECEEI (the certificate; None during the sample).
    solver : dict or None
        The certificate's solver status (method, convergence, error, time; None during the sample).
    """

    phase: str
    budgets: dict[str, list[tuple[float, float]]] | None
    types: dict[str, BundleRanking] | None
    seen_type_counts: dict[str, int] | None
    sample_size: int
    arrived: int
    clearing_error: float | None
    solver: dict[str, Any] | None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.phase != "online" and self.phase != "sample":
            raise ConfigError("BundlesPublic.phase", self.phase, '"sample" or "online"')
        for k in ("budgets", "types", "seen_type_counts"):
            v = getattr(self, k)
            if not (v is None or type(v) is dict or isinstance(v, Mapping)):
                raise ConfigError(f"BundlesPublic.{k}", type(v).__name__, "a mapping or None")

    def budget_table(self) -> list[tuple[BundleRanking, list[tuple[float, float]]]]:
        """Return f as ``[(type, [(budget, probability), ...]), ...]`` (empty during the sample).

        OCAM, Mechanism 1: after the sample, f maps every sample type theta to the random budget
        of a sample agent of that type; a post-sample agent declaring theta draws b ~ f(theta).
        """
        if self.budgets is None or self.types is None:
            return []
        return [(self.types[k], [(float(b), float(q)) for b, q in v]) for k, v in self.budgets.items()
                if k in self.types]


@public_state
class ObjectsPublic(GoodsPublic):
    """SEM (Section 4): the spot market of the last period.

    Attributes
    ----------
    period : int or None
        The tick whose (t)-equilibrium set ``prices`` (None before the first period).
    clearing_error : float or None
        That equilibrium's clearing error.
    """

    period: int | None
    clearing_error: float | None


@public_state
class ProcurementPublic(PublicState):
    """Posted-price procurement (budget-feasible paper, Mechanisms 2-4 and Dynkin's algorithm).

    A seller's offer never depends on its own bid, and the mechanism posts it: from these fields
    and the public valuation v (``market.extra["valuation"]``) a seller i computes the price it
    will be offered, p_i = (B/t) v(i|S) in the posted-price loop (Mechanism 2 line 7, Mechanism 3
    line 11), offered when B' - p_i >= 0; B in a single-hire offer to a seller with
    v(i) >= ``single_threshold``.

    Attributes
    ----------
    budget : float
        B (Section 2).
    arrived : int
        Sellers that have reported so far.
    hired : tuple of int
        Hired sellers, in arrival order.
    paid : float
        Total payments so far.
    stage : str
        What the next seller meets: ``"sample"`` (N_1 or Dynkin's sample: never hired),
        ``"single"`` (an offer of B is open), ``"posted"`` (the posted-price loop) or
        ``"closed"`` (the single hire is done).
    single_threshold : float or None
        In the ``"single"`` stage, the value threshold (a omega / z, Mechanism 2 line 2; the
        sample's best singleton value, Dynkin's line 3); None otherwise.
    single_strict : bool
        True when the single offer needs v(i) > threshold (``ties="reject"``), False for >=.
    t : float or None
        The posted-price loop's t once fixed (a omega in Mechanism 2 line 4; a omega +
        beta v(T_1) after the sample, Mechanism 3/4 line 9); None outside the loop and before
        the first arrival of N_2, when Mechanism 3/4 computes it.
    solutions : tuple of tuple of int
        The loop's sets S_j built so far (one; two in the non-monotone variants, Section 5).
    budget_left : tuple of float
        B'_j of each solution.
    returned : int or None
        The solution that is hired and paid (the others are built, not paid).
    route : str or None
        How a seller is routed between two solutions before its bid is read:
        ``"max_marginal"`` (the larger v(i|S_j)) or ``"random"`` (a coin at its arrival, so
        the price is not known in advance); None with one solution.
    """

    budget: float
    arrived: int
    hired: tuple[int, ...]
    paid: float
    stage: str
    single_threshold: float | None
    single_strict: bool
    t: float | None
    solutions: tuple[tuple[int, ...], ...]
    budget_left: tuple[float, ...]
    returned: int | None
    route: str | None

    STAGES: ClassVar[tuple[str, ...]] = ("sample", "single", "posted", "closed")

    def __post_init__(self) -> None:
        # (the messages are built only on failure: construction is on every tick's path)
        if self.stage not in self.STAGES:
            raise ConfigError("ProcurementPublic.stage", self.stage, f"one of {list(self.STAGES)}")
        self._set("hired", _ints(self.hired, "ProcurementPublic.hired"))
        self._set("solutions", tuple(_ints(s, "ProcurementPublic.solutions") for s in self.solutions))
        self._set("budget_left", _floats(self.budget_left, "ProcurementPublic.budget_left"))
        if self.budget_left is None or len(self.budget_left) != len(self.solutions):
            raise ConfigError("ProcurementPublic.budget_left", self.budget_left,
                              f"one remaining budget per solution ({len(self.solutions)})")
        if self.route not in (None, "max_marginal", "random"):
            raise ConfigError("ProcurementPublic.route", self.route, 'None, "max_marginal" or "random"')


@public_state
class FairDivisionPublic(PublicState):
    """Online fair division: the owner of every good once the agents have reported (tick 0).

    Attributes
    ----------
    owner : tuple of int or None
        owner[g] for every good g (None before the agents report).
    """

    owner: tuple[int, ...] | None

    def __post_init__(self) -> None:
        if self.owner is not None:
            self._set("owner", _ints(self.owner, "FairDivisionPublic.owner"))
