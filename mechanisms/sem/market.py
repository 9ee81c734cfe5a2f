"""The SEM market M = (X, S, I, T, F) and its replicas M_n (SEM paper, Sections 2 and 4.1).

:class:`SEMMarket` holds the public data of an online matching market: objects X with integer
supply S (the null option o is implicit with supply above the number of agents), the agent
type space I (a weak order over X and an arrival period t_i per type), the arrival
distribution f^t(i) over the horizon [T] (normalised to one arrival per period, F^t(|I|) = 1),
the replica size n (n arrivals per period, supply n S: Section 4.1), the budgets b^t per
period and the price-shock distribution. It validates the assumptions the theorems need
(Theorem 1's budget gap, Assumptions 1-3) and builds the protocol :class:`Market`.
"""
from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import ConfigError, require
from ..market import Goods, Market
from ..preferences import WeakOrder
from ..reports import Report
from .shocks import Shock

#: Default budget of the last period, b^T (Assumption 2: positive and bounded).
DEFAULT_LAST_BUDGET = 1.0
#: Default margin added to Theorem 1's minimal gap xi_upper + |xi_lower| between b^t and b^{t+1}.
DEFAULT_GAP_MARGIN = 0.05


@dataclass(frozen=True)
class SEMType:
    """An agent type (SEM Section 2): a weak order over objects and an arrival period (1-based)."""

    order: WeakOrder
    period: int


def default_budgets(horizon: int, shock: Shock, last: float = DEFAULT_LAST_BUDGET,
                    margin: float = DEFAULT_GAP_MARGIN) -> tuple[float, ...]:
    """Return budgets b^1 > ... > b^T with b^t = b^{t+1} + xi_upper + |xi_lower| + margin.

    This is the gap of Theorem 1 (proof, Claim 4: b^t > b^{t+1} + xi_upper + |xi_lower|) that
    makes every equilibrium allocation greedy; ``last`` = b^T must exceed xi_upper
    (Assumption 3).
    """
    gap = shock.xi_upper + abs(shock.xi_lower) + margin
    return tuple(last + gap * (horizon - t) for t in range(1, horizon + 1))


def random_weak_order(rng: np.random.Generator, m: int, p_cut: float = 0.4) -> WeakOrder:
    """Return a random weak order over ``m`` objects and the null option.

    A uniform permutation of the m + 1 options, cut into indifference classes: after each option
    a new class starts with probability ``p_cut`` (random classes and null position; the
    benchmarks' and tests' random markets).
    """
    perm = rng.permutation(m + 1)
    classes, cur = [], [int(perm[0])]
    for k in range(1, m + 1):
        if rng.random() < p_cut:
            classes.append(tuple(cur))
            cur = [int(perm[k])]
        else:
            cur.append(int(perm[k]))
    classes.append(tuple(cur))
    return WeakOrder(m, tuple(classes))


def all_weak_orders(n_objects: int, null_last: bool = True) -> list[WeakOrder]:
    """Return every weak order over ``n_objects`` objects (ordered set partitions).

    With ``null_last`` the null option is a singleton class at the bottom (every object
    acceptable), as in the SEM paper's Appendix B (13 orders over three objects).
    """
    require(isinstance(n_objects, int) and 1 <= n_objects <= 6, "n_objects", n_objects, "an integer in [1, 6]")
    items = list(range(n_objects)) if null_last else list(range(n_objects + 1))
    out: list[WeakOrder] = []

    def partitions(rest: list[int]):
        if not rest:
            yield []
            return
        for r in range(1, len(rest) + 1):
            for first in itertools.combinations(rest, r):
                remaining = [x for x in rest if x not in first]
                for tail in partitions(remaining):
                    yield [first, *tail]

    for p in partitions(items):
        classes = list(p) + ([(n_objects,)] if null_last else [])
        out.append(WeakOrder(n_objects, tuple(tuple(c) for c in classes)))
    return out


def _is_int(v: object) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


@dataclass(frozen=True, eq=False)
class SEMMarket:
    """An online matching market with its replica size (SEM Sections 2 and 4.1).

    Parameters
    ----------
    objects : sequence of str
        Object names X (the null option is implicit, named ``null_name``).
    supply : sequence of int
        Base supply s_x of each object (non-negative integers); the replica M_n has n s_x.
    types : sequence of SEMType
        The type space I: each type's weak order and arrival period t_i in 1..T.
    arrival : sequence of float
        f(i): the probability that a period-t_i arrival is of type i. For each period t the
        probabilities of the period-t types sum to 1 (one arrival per period, F^t(|I|) = 1).
    horizon : int
        T, the number of periods.
    replica : int
        n, the replica size: n arrivals per period and n times the supply. Default 1.
    budgets : sequence of float, optional
        b^1..b^T. Default :func:`default_budgets` (Theorem 1's gap plus a margin).
    shock : Shock
        The price-shock distribution (Assumptions 1, 4, 5). Default NTB, Uniform[-0.1, 0.1].
    null_name : str
        Name of the null option. Default ``"o"``.

    Raises
    ------
    ConfigError
        Naming the field and value, before any work, for: an empty market, a negative or
        fractional supply, a type whose order is over another number of objects or whose
        period is outside 1..T, arrival probabilities that are negative or do not sum to 1 in
        a period, a non-positive replica size, budgets that are not positive, fail Theorem 1's
        gap b^t > b^{t+1} + xi_upper + |xi_lower|, or fail Assumption 3 (xi_upper < min b).
    """

    objects: tuple[str, ...]
    supply: tuple[int, ...]
    types: tuple[SEMType, ...]
    arrival: tuple[float, ...]
    horizon: int
    replica: int = 1
    budgets: tuple[float, ...] | None = None
    shock: Shock = field(default_factory=Shock)
    null_name: str = "o"

    def __post_init__(self) -> None:
        objects = tuple(self.objects)
        require(len(objects) > 0, "objects", list(objects), "at least one object (an empty market has nothing to match)")
        require(len(set(objects)) == len(objects), "objects", list(objects), "distinct object names")
        require(self.null_name not in objects, "null_name", self.null_name, "a name different from every object")
        require(len(self.supply) == len(objects), "supply", list(self.supply), f"one supply per object ({len(objects)})")
        sup = []
        for name, s in zip(objects, self.supply):
            if isinstance(s, float) and s.is_integer():
                s = int(s)
            require(_is_int(s) and s >= 0, f"supply.{name}", s, "a non-negative integer (SEM Section 2: s_x in N)")
            sup.append(int(s))
        require(_is_int(self.horizon) and self.horizon >= 1, "horizon", self.horizon, "a positive integer T")
        T = int(self.horizon)
        require(_is_int(self.replica) and self.replica >= 1, "replica", self.replica, "a positive integer n")
        types = tuple(self.types)
        require(len(types) > 0, "types", [], "at least one agent type")
        require(len(self.arrival) == len(types), "arrival", list(self.arrival), f"one probability per type ({len(types)})")
        m = len(objects)
        for k, ty in enumerate(types):
            require(isinstance(ty, SEMType), f"types[{k}]", ty, "a SEMType(order, period)")
            require(isinstance(ty.order, WeakOrder) and ty.order.n_objects == m, f"types[{k}].order", ty.order,
                    f"a WeakOrder over the {m} objects")
            require(_is_int(ty.period) and 1 <= ty.period <= T, f"types[{k}].period", ty.period, f"a period in 1..{T}")
        f = []
        for k, v in enumerate(self.arrival):
            ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) \
                and math.isfinite(float(v)) and float(v) >= 0
            require(ok, f"arrival[{k}]", v, "a probability in [0, 1]")
            f.append(float(v))
        for t in range(1, T + 1):
            tot = sum(fv for fv, ty in zip(f, types) if ty.period == t)
            require(abs(tot - 1.0) <= 1e-9, f"arrival[period {t}]", tot,
                    "arrival probabilities of the period's types summing to 1 (Section 2: F^t(|I|) = 1)")
        require(isinstance(self.shock, Shock), "shock", self.shock, "a Shock")
        budgets = self.budgets if self.budgets is not None else default_budgets(T, self.shock)
        budgets = tuple(float(b) for b in budgets)
        require(len(budgets) == T, "budgets", list(budgets), f"one budget per period ({T})")
        for t, b in enumerate(budgets, start=1):
            require(math.isfinite(b) and b > 0, f"budgets[{t}]", b, "a finite positive budget (Assumption 2)")
        gap = self.shock.xi_upper + abs(self.shock.xi_lower)
        for t in range(1, T):
            require(budgets[t - 1] > budgets[t] + gap, f"budgets[{t}]", budgets[t - 1],
                    f"> b^{t + 1} + xi_upper + |xi_lower| = {budgets[t] + gap:.6g} (Theorem 1's gap for greedy equilibria)")
        require(self.shock.xi_upper < min(budgets), "budgets", list(budgets),
                f"every budget above xi_upper = {self.shock.xi_upper:.6g} (Assumption 3)")
        object.__setattr__(self, "objects", objects)
        object.__setattr__(self, "supply", tuple(sup))
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "arrival", tuple(f))
        object.__setattr__(self, "horizon", T)
        object.__setattr__(self, "replica", int(self.replica))
        object.__setattr__(self, "budgets", budgets)

    # ---- constructors ---------------------------------------------------------------------
    @classmethod
    def stationary(cls, objects: Sequence[str], supply: Sequence[int], distribution: Mapping[str | WeakOrder, float],
                   horizon: int, replica: int = 1, **kw) -> SEMMarket:
        """Return the market whose every period draws types from the same ``distribution``.

        ``distribution`` maps weak orders (or their text, e.g. ``"a > o > b"``) to
        probabilities; each order becomes one type per period.
        """
        require(_is_int(horizon) and horizon >= 1, "horizon", horizon, "a positive integer T")
        dists = [distribution] * int(horizon)
        return cls.from_periods(objects, supply, dists, replica=replica, **kw)

    @classmethod
    def from_periods(cls, objects: Sequence[str], supply: Sequence[int],
                     distributions: Sequence[Mapping[str | WeakOrder, float]], replica: int = 1,
                     null_name: str = "o", **kw) -> SEMMarket:
        """Return the market with one type per (period, order) of ``distributions[t-1]``."""
        objects = tuple(objects)
        require(len(distributions) > 0, "distributions", list(distributions), "one distribution per period")
        types, f = [], []
        for t, dist in enumerate(distributions, start=1):
            require(isinstance(dist, Mapping) and len(dist) > 0, f"distributions[{t}]", dist,
                    "a non-empty mapping from weak orders to probabilities")
            for key, prob in dist.items():
                order = key if isinstance(key, WeakOrder) else WeakOrder.parse(key, objects, null_name, field=f"distributions[{t}]")
                types.append(SEMType(order, t))
                f.append(prob)
        return cls(objects, tuple(supply), tuple(types), tuple(f), len(distributions), replica=replica,
                   null_name=null_name, **kw)

    def with_replica(self, n: int) -> SEMMarket:
        """Return the replica M_n of this market (same fundamentals, replica size n)."""
        return SEMMarket(self.objects, self.supply, self.types, self.arrival, self.horizon, n,
                         self.budgets, self.shock, self.null_name)

    # ---- derived data ---------------------------------------------------------------------
    @property
    def m(self) -> int:
        """Number of real objects |X| (the null option has index m)."""
        return len(self.objects)

    @cached_property
    def total_supply(self) -> np.ndarray:
        """Supply of the replica, n S, as a float array (read-only)."""
        a = np.asarray(self.supply, dtype=np.float64) * self.replica
        a.setflags(write=False)
        return a

    def budget(self, period: int) -> float:
        """Return b^t for a 1-based period t."""
        return self.budgets[period - 1]

    def period_types(self, period: int) -> list[tuple[WeakOrder, float]]:
        """Return ``(order, f^t(i))`` for the types arriving in ``period`` with positive probability."""
        return [(ty.order, f) for ty, f in zip(self.types, self.arrival) if ty.period == period and f > 0]

    def market(self) -> Market:
        """Return the protocol :class:`Market` (kind ``"objects"``, supply n S, horizon T, ``extra["sem"]``)."""
        goods = Goods(self.objects, tuple(int(s) * self.replica for s in self.supply))
        return Market(kind="objects", goods=goods, horizon=self.horizon,
                      extra={"sem": self, "replica": self.replica, "budgets": list(self.budgets),
                             "null": self.null_name})

    def parse(self, text: str) -> WeakOrder:
        """Return the weak order written as text over this market's objects (e.g. ``"{a,b} > o"``)."""
        return WeakOrder.parse(text, self.objects, self.null_name)


def sem_market_of(market: Market) -> SEMMarket:
    """Return the :class:`SEMMarket` behind a protocol market (``market.extra["sem"]``)."""
    sem = market.extra.get("sem") if isinstance(market.extra, dict) else None
    if not isinstance(sem, SEMMarket):
        raise ConfigError("market.extra.sem", sem, "a SEMMarket (build the market with SEMMarket(...).market())")
    return sem


def period_masses(market, t: int, declared: Sequence[WeakOrder]
                  ) -> tuple[tuple[WeakOrder, ...], np.ndarray, np.ndarray, dict[WeakOrder, int]]:
    """Return (types, masses, period offsets, the arrivals' type index) of period t's problem.

    SEM Section 4.1, step 1 (and Section 5.1 for the fully online market): each realised
    arrival of period t counts 1 (the mass n F~^t), its distinct types first in a canonical
    order (so equal fundamentals give equal problems), offset 0; then each later period
    k = t+1..T contributes the prior mass n f^k(i) of each of its types, offset k - t.
    ``market`` is a :class:`SEMMarket` or an
    :class:`~mechanisms.sem.online_market.OnlineSEMMarket` (``horizon``, ``replica``,
    ``period_types``).
    """
    orders: list[WeakOrder] = []
    masses: list[float] = []
    offsets: list[int] = []
    type_of: dict[WeakOrder, int] = {}
    for order, c in sorted(Counter(declared).items(), key=lambda kv: kv[0].classes):
        type_of[order] = len(orders)
        orders.append(order)
        masses.append(float(c))
        offsets.append(0)
    for k in range(t + 1, market.horizon + 1):
        for order, f in market.period_types(k):
            orders.append(order)
            masses.append(market.replica * f)
            offsets.append(k - t)
    return tuple(orders), np.array(masses), np.array(offsets, dtype=np.int64), type_of


def sample_arrivals(sem_market: SEMMarket, n: int | None, rng: np.random.Generator) -> list[list[WeakOrder]]:
    """Return the true types of the arrivals, period by period: n draws from f^t per period.

    In the replica M_n, n agents arrive in every period, each type drawn independently from
    the period's distribution f^t (SEM Section 4.1). ``n`` defaults to the market's replica
    size. The caller supplies ``rng`` (e.g. ``streams.get("types")``).
    """
    n = sem_market.replica if n is None else n
    require(_is_int(n) and n >= 1, "n", n, "a positive integer number of arrivals per period")
    out = []
    for t in range(1, sem_market.horizon + 1):
        opts = sem_market.period_types(t)
        probs = np.array([f for _, f in opts])
        idx = rng.choice(len(opts), size=int(n), p=probs / probs.sum())
        out.append([opts[k][0] for k in idx])
    return out


def arrival_schedule(arrivals: Sequence[Sequence[WeakOrder]]) -> tuple[list[list[Report]], dict[int, WeakOrder]]:
    """Return (truthful schedule, true types) of arrivals given period by period.

    Agent ids are consecutive, period by period (0, 1, ... in period 1, then on): the one
    builder of an SEM run's schedule, used with :func:`sample_arrivals` (SEM Section 4.1) or
    :meth:`~mechanisms.sem.online_market.OnlineSEMMarket.sample_arrivals` (Section 5.1).
    """
    schedule: list[list[Report]] = []
    types: dict[int, WeakOrder] = {}
    for period in arrivals:
        first = len(types)
        schedule.append([Report(first + k, o) for k, o in enumerate(period)])
        types.update({first + k: o for k, o in enumerate(period)})
    return schedule, types
