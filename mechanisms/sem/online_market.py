"""The fully online large market M = (X, S, I, T, F) (SEM paper, Section 5.1).

Objects X, agents I and arrivals (T, F) are as in the main model (:class:`~mechanisms.sem.market.SEMMarket`);
supply S = (S^t)_{t in [T]} is a sequence of random vectors S^t ~ H^t (Section 5.1, item 2): S^t
units of each object *arrive* at period t. Every agent has budget 1 and faces the period prices
p^{t_i} of a time-tax price vector (the demand formula of Section 5.1). Agents depart
immediately ("arrivals cannot wait for a future time period to match", the paper's caveat).

- :class:`SupplySchedule`: the per-period distributions H^t of the base market. Kinds:
  ``"deterministic"`` (S^t fixed), ``"poisson"`` (independent Poisson(lambda^t_x) per object),
  ``"binomial"`` (independent Binomial(N^t_x, q^t_x) per object) and ``"empirical"`` (the
  empirical distribution of observed period vectors, read as data from a CSV or TOML file by
  :func:`read_supply_file`). In the replica M_n the period supply is the sum of n independent
  copies of S^t (Poisson n lambda, Binomial n N, deterministic n S, empirical: n draws).
- :class:`OnlineSEMMarket`: the market, its expected cumulative supply
  S^{t,k} = sum_{n=t}^{k} E[S^n] (:meth:`OnlineSEMMarket.cumulative_expected`), the realisation of
  the supply arrivals (:meth:`OnlineSEMMarket.sample_supply`) and the protocol :class:`Market`
  (:meth:`OnlineSEMMarket.market`).
"""
from __future__ import annotations

import csv
import math
import pathlib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, require
from ..market import Goods, Market
from ..preferences import WeakOrder
from .market import SEMMarket, SEMType
from .shocks import Shock

#: The kinds of per-period supply distributions H^t.
SUPPLY_KINDS = ("deterministic", "poisson", "binomial", "empirical")
#: Budget of every agent in the fully online market (Section 5.1: p^{t_i} . a_i <= 1).
ONLINE_BUDGET = 1.0
#: Departure rules: only immediate departure fits the (t)-Lindahl equilibrium (Section 5.1).
DEPARTURES = ("immediate",)


def _num(v: Any) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(float(v))


def _matrix(value: Any, T: int, m: int, name: str, check, expected: str) -> np.ndarray:
    """Return ``value`` as a (T, m) float array: a T x m nested list, or one row for every period."""
    require(isinstance(value, (list, tuple, np.ndarray)) and len(value) > 0, name, value,
            f"a list of {m} numbers (every period) or {T} such lists (one per period)")
    rows = list(value)
    if all(_num(v) for v in rows):
        rows = [rows] * T
    require(len(rows) == T, name, value, f"{T} rows (one per period) or one row for every period")
    out = np.zeros((T, m))
    for t, row in enumerate(rows):
        require(isinstance(row, (list, tuple, np.ndarray)) and len(row) == m, f"{name}[{t}]", row,
                f"one value per object ({m})")
        for x, v in enumerate(row):
            require(_num(v) and check(float(v)), f"{name}[{t}][{x}]", v, expected)
            out[t, x] = float(v)
    return out


@dataclass(frozen=True, eq=False)
class SupplySchedule:
    """Per-period supply distributions H^t of the base market (SEM paper, Section 5.1, item 2).

    Parameters
    ----------
    kind : str
        One of :data:`SUPPLY_KINDS`.
    horizon : int
        T (rows of every parameter matrix).
    n_objects : int
        |X| (columns).
    units : (T, m) array, optional
        ``deterministic``: S^t, non-negative integers.
    rates : (T, m) array, optional
        ``poisson``: lambda^t_x >= 0.
    trials, prob : (T, m) arrays, optional
        ``binomial``: N^t_x (non-negative integers) and q^t_x in [0, 1].
    samples : (K, T, m) array, optional
        ``empirical``: K observed supply vectors per period; H^t is the empirical distribution
        of the K observations of period t (each drawn with probability 1/K, independently
        across periods).

    Raises
    ------
    ConfigError
        Naming the field (``supply.kind``, ``supply.units[t][x]``, ...) and value.
    """

    kind: str
    horizon: int
    n_objects: int
    units: np.ndarray | None = None
    rates: np.ndarray | None = None
    trials: np.ndarray | None = None
    prob: np.ndarray | None = None
    samples: np.ndarray | None = None

    def __post_init__(self) -> None:
        require(self.kind in SUPPLY_KINDS, "supply.kind", self.kind, f"one of {list(SUPPLY_KINDS)}")
        T, m = int(self.horizon), int(self.n_objects)
        is_int = lambda v: v >= 0 and float(v).is_integer()  # noqa: E731
        if self.kind == "deterministic":
            require(self.units is not None, "supply.units", None, "a T x m list of non-negative integers")
            object.__setattr__(self, "units", _matrix(self.units, T, m, "supply.units", is_int,
                                                      "a non-negative integer number of units"))
        elif self.kind == "poisson":
            require(self.rates is not None, "supply.rates", None, "a T x m list of non-negative Poisson rates")
            object.__setattr__(self, "rates", _matrix(self.rates, T, m, "supply.rates", lambda v: v >= 0,
                                                      "a non-negative rate lambda"))
        elif self.kind == "binomial":
            require(self.trials is not None, "supply.trials", None, "a T x m list of non-negative integers N")
            require(self.prob is not None, "supply.prob", None, "a T x m list of probabilities q")
            object.__setattr__(self, "trials", _matrix(self.trials, T, m, "supply.trials", is_int,
                                                       "a non-negative integer number of trials"))
            object.__setattr__(self, "prob", _matrix(self.prob, T, m, "supply.prob", lambda v: 0 <= v <= 1,
                                                     "a probability in [0, 1]"))
        else:
            s = np.asarray(self.samples, dtype=np.float64) if self.samples is not None else None
            require(s is not None and s.ndim == 3 and s.shape[0] >= 1 and s.shape[1:] == (T, m), "supply.samples",
                    None if s is None else list(s.shape), f"K >= 1 observed schedules of shape ({T}, {m})")
            require(bool(np.all(s >= 0) and np.all(s == np.round(s))), "supply.samples", s.min(),
                    "non-negative integer units")
            object.__setattr__(self, "samples", s)

    def mean(self, replica: int = 1) -> np.ndarray:
        """Return E[S^t] for every period, a (T, m) array, in the replica M_n (n times the base)."""
        if self.kind == "deterministic":
            out = self.units
        elif self.kind == "poisson":
            out = self.rates
        elif self.kind == "binomial":
            out = self.trials * self.prob
        else:
            out = self.samples.mean(axis=0)
        return np.asarray(out, dtype=np.float64) * replica

    def sample(self, rng: np.random.Generator, replica: int = 1) -> np.ndarray:
        """Return one realisation of (S^1, ..., S^T) in the replica M_n, a (T, m) integer array.

        Every period's vector is drawn independently from H^t; the replica's supply is the sum
        of n independent copies of the base market's (drawn in closed form where it has one).
        """
        n = int(replica)
        if self.kind == "deterministic":
            out = self.units * n
        elif self.kind == "poisson":
            out = rng.poisson(self.rates * n)
        elif self.kind == "binomial":
            out = rng.binomial((self.trials * n).astype(np.int64), self.prob)
        else:
            K, T = self.samples.shape[0], self.horizon
            idx = rng.integers(K, size=(n, T))
            out = self.samples[idx, np.arange(T)[None, :], :].sum(axis=0)
        return np.asarray(np.rint(out), dtype=np.int64)

    @property
    def deterministic(self) -> bool:
        """True when every H^t is a point mass (the degenerate case of Theorem 6's remark)."""
        if self.kind == "deterministic":
            return True
        if self.kind == "empirical":
            return bool(np.all(self.samples == self.samples[:1]))
        if self.kind == "poisson":
            return bool(np.all(self.rates == 0))
        return bool(np.all((self.prob == 0) | (self.prob == 1) | (self.trials == 0)))


def read_supply_file(path: str | pathlib.Path, objects: Sequence[str], horizon: int,
                     field: str = "supply.file") -> np.ndarray:
    """Return the observed supply schedules in a CSV or TOML file as a (K, T, m) array.

    The file is read as data (never imported or evaluated). Rows are ``period`` (1-based),
    ``object`` (a name in ``objects``), ``units`` (a non-negative integer) and optionally
    ``sample`` (an integer label of the observed schedule; default 0). CSV: a header line with
    those column names. TOML: an array of tables ``[[supply]]`` with those keys. Periods or
    objects a sample does not list have 0 units.

    Raises:
        ConfigError: naming ``field`` (and the row) for a missing file, an unknown extension,
            a bad column, period, object or unit count.
    """
    p = pathlib.Path(path)
    require(p.is_file(), field, str(p), "an existing CSV or TOML file")
    names = {o: k for k, o in enumerate(objects)}
    if p.suffix.lower() == ".csv":
        with p.open(newline="") as fh:
            reader = csv.DictReader(fh)
            cols = set(reader.fieldnames or [])
            require({"period", "object", "units"} <= cols, field, sorted(cols),
                    "a header with the columns period, object, units (and optionally sample)")
            rows = [dict(r) for r in reader]
    elif p.suffix.lower() == ".toml":
        try:
            raw = tomllib.loads(p.read_text())
        except tomllib.TOMLDecodeError as e:
            raise ConfigError(field, str(p), f"valid TOML ({e})") from None
        rows = raw.get("supply")
        require(isinstance(rows, list), f"{field}:supply", rows, "an array of tables [[supply]]")
    else:
        raise ConfigError(field, str(p), "a .csv or .toml file")
    require(len(rows) > 0, field, str(p), "at least one row")
    parsed: dict[int, np.ndarray] = {}
    for k, r in enumerate(rows):
        where = f"{field}[row {k + 1}]"
        require(isinstance(r, Mapping), where, r, "a table with period, object, units")

        def as_int(key: str, default: Any = None) -> int:
            v = r.get(key, default)
            try:
                f = float(v)
            except (TypeError, ValueError):
                raise ConfigError(f"{where}.{key}", v, "an integer") from None
            require(math.isfinite(f) and f.is_integer(), f"{where}.{key}", v, "an integer")
            return int(f)

        t = as_int("period")
        require(1 <= t <= horizon, f"{where}.period", t, f"a period in 1..{horizon}")
        obj = r.get("object")
        require(obj in names, f"{where}.object", obj, f"one of the objects {list(objects)}")
        u = as_int("units")
        require(u >= 0, f"{where}.units", u, "a non-negative integer")
        s = as_int("sample", 0)
        grid = parsed.setdefault(s, np.zeros((horizon, len(objects))))
        grid[t - 1, names[obj]] += u
    return np.stack([parsed[s] for s in sorted(parsed)])


@dataclass(frozen=True, eq=False)
class OnlineSEMMarket:
    """A fully online large market M = (X, S, I, T, F) and its replica (SEM paper, Section 5.1).

    Parameters
    ----------
    objects : sequence of str
        Object names X (the null option is implicit, named ``null_name``).
    supply : SupplySchedule
        The per-period supply distributions H^t of the base market.
    types, arrival : sequences
        Type space and f^t(i) as in :class:`~mechanisms.sem.market.SEMMarket` (per period,
        probabilities summing to 1).
    horizon : int
        T.
    replica : int
        n: arrivals per period, and the period supply is the sum of n copies of S^t. Default 1.
    shock : Shock
        The price shock xi (Assumption 1); Assumption 3 needs xi_upper < 1 (every budget is 1).
    null_name : str
        Name of the null option. Default ``"o"``.
    departure : str
        ``"immediate"`` (the only rule the (t)-Lindahl equilibrium fits: it "ignores agent
        demand from periods n < t", Section 5.1).

    Raises
    ------
    ConfigError
        As :class:`SEMMarket` for objects, types and arrival probabilities; for a supply
        schedule over another horizon or number of objects (``supply``), a shock violating
        Assumption 3 (``shock``: xi_upper must be below the budget 1), or another departure rule.
    """

    objects: tuple[str, ...]
    supply: SupplySchedule
    types: tuple[SEMType, ...]
    arrival: tuple[float, ...]
    horizon: int
    replica: int = 1
    shock: Shock = field(default_factory=Shock)
    null_name: str = "o"
    departure: str = "immediate"

    def __post_init__(self) -> None:
        require(isinstance(self.supply, SupplySchedule), "supply", self.supply, "a SupplySchedule")
        objects = tuple(self.objects)
        require(isinstance(self.shock, Shock), "shock", self.shock, "a Shock")
        # Assumption 3 with every budget equal to 1 (Section 5.1): xi_upper < 1; the prior's
        # budgets are only used by the look-ahead selection (see mechanisms.sem.lindahl)
        require(self.shock.xi_upper < ONLINE_BUDGET, "shock", self.shock,
                f"xi_upper = {self.shock.xi_upper:.6g} below the budget 1 (Assumption 3)")
        prior = SEMMarket(objects, (0,) * len(objects), tuple(self.types), tuple(self.arrival), self.horizon,
                          self.replica, shock=self.shock, null_name=self.null_name)
        require(self.supply.horizon == prior.horizon, "supply.horizon", self.supply.horizon,
                f"the market's horizon T = {prior.horizon}")
        require(self.supply.n_objects == len(objects), "supply", self.supply.n_objects,
                f"a schedule over the {len(objects)} objects")
        require(self.departure in DEPARTURES, "departure", self.departure,
                f"one of {list(DEPARTURES)} (Section 5.1: a (t)-Lindahl equilibrium ignores demand from periods "
                "n < t, so arrivals cannot wait)")
        object.__setattr__(self, "objects", objects)
        object.__setattr__(self, "types", prior.types)
        object.__setattr__(self, "arrival", prior.arrival)
        object.__setattr__(self, "horizon", prior.horizon)
        object.__setattr__(self, "replica", prior.replica)
        object.__setattr__(self, "_prior", prior)

    # ---- constructors ---------------------------------------------------------------------
    @classmethod
    def stationary(cls, objects: Sequence[str], supply: SupplySchedule, distribution: Mapping[str | WeakOrder, float],
                   horizon: int, replica: int = 1, **kw: Any) -> OnlineSEMMarket:
        """Return the market whose every period draws types from the same ``distribution``."""
        base = SEMMarket.stationary(objects, [0] * len(objects), distribution, horizon, replica=1,
                                    null_name=kw.get("null_name", "o"))
        return cls(tuple(objects), supply, base.types, base.arrival, base.horizon, replica=replica, **kw)

    def with_replica(self, n: int) -> OnlineSEMMarket:
        """Return the replica M_n of this market (same fundamentals, replica size n)."""
        return OnlineSEMMarket(self.objects, self.supply, self.types, self.arrival, self.horizon, n, self.shock,
                               self.null_name, self.departure)

    # ---- derived data ---------------------------------------------------------------------
    @property
    def prior(self) -> SEMMarket:
        """The type space and arrival distribution as an :class:`SEMMarket` (zero supply)."""
        return self._prior  # type: ignore[attr-defined]

    @property
    def m(self) -> int:
        """Number of real objects |X| (the null option has index m)."""
        return len(self.objects)

    def expected_supply(self) -> np.ndarray:
        """Return E[S^t] of the replica for every period, a (T, m) array."""
        return self.supply.mean(self.replica)

    def cumulative_expected(self, t: int, k: int) -> np.ndarray:
        """Return S^{t,k} = sum_{n=t}^{k} E[S^n] (Section 5.1) for 1-based periods t <= k."""
        require(1 <= t <= k <= self.horizon, "periods", (t, k), f"1 <= t <= k <= {self.horizon}")
        return self.expected_supply()[t - 1:k].sum(axis=0)

    def period_types(self, period: int) -> list[tuple[WeakOrder, float]]:
        """Return ``(order, f^t(i))`` for the types arriving in ``period`` with positive probability."""
        return self.prior.period_types(period)

    def sample_supply(self, rng: np.random.Generator) -> np.ndarray:
        """Return one realisation of the supply arrivals (S^1, ..., S^T) of the replica, (T, m) ints."""
        return self.supply.sample(rng, self.replica)

    def sample_arrivals(self, rng: np.random.Generator) -> list[list[WeakOrder]]:
        """Return the agents' true types, period by period: n draws from f^t per period."""
        from .market import sample_arrivals

        return sample_arrivals(self.prior, self.replica, rng)

    def market(self, arrivals: np.ndarray | Sequence[Sequence[int]]) -> Market:
        """Return the protocol :class:`Market` for one realisation of the supply arrivals.

        ``arrivals`` is (S^1, ..., S^T), a (T, m) array of non-negative integers (for instance
        :meth:`sample_supply`). The goods' capacities are the realised totals (no run can
        allocate more); ``extra["supply_arrivals"]`` holds the rows, which the environment
        reveals one period at a time: a mechanism reads row t at period t only.
        """
        a = np.asarray(arrivals, dtype=np.float64)
        require(a.shape == (self.horizon, self.m), "supply_arrivals", list(a.shape),
                f"a ({self.horizon}, {self.m}) array of realised arrivals")
        require(bool(np.all(a >= 0) and np.all(a == np.round(a))), "supply_arrivals", a.min(),
                "non-negative integer units")
        total = tuple(int(v) for v in a.sum(axis=0))
        goods = Goods(self.objects, total)
        return Market(kind="objects", goods=goods, horizon=self.horizon,
                      extra={"sem_online": self, "supply_arrivals": a.astype(np.int64).tolist(),
                             "replica": self.replica, "budget": ONLINE_BUDGET, "null": self.null_name})

    def upfront_sem(self, arrivals: np.ndarray | None = None) -> SEMMarket:
        """Return the SEM market of the same fundamentals with supply known at the start.

        With ``arrivals`` None the schedule must be deterministic and present at the start
        (S^t = 0 for t > 1) and its base supply is S^1 / n: the degenerate case where the
        (t)-Lindahl equilibrium reduces to SEM's price equilibrium (Theorem 6's remark).
        Otherwise the nominal supply is the rounded mean of the realised totals per replica
        (the experiment's reference overrides the remaining supply with the realised totals).
        """
        if arrivals is None:
            require(self.supply.deterministic, "supply", self.supply.kind, "a deterministic schedule")
            mean = self.supply.mean(1)
            require(bool(np.all(mean[1:] == 0)), "supply", mean.tolist(), "all supply present at period 1")
            base = tuple(int(v) for v in mean[0])
        else:
            base = tuple(int(round(v / self.replica)) for v in np.asarray(arrivals).sum(axis=0))
        return SEMMarket(self.objects, base, self.types, self.arrival, self.horizon, self.replica, shock=self.shock,
                         null_name=self.null_name)

    def parse(self, text: str) -> WeakOrder:
        """Return the weak order written as text over this market's objects (e.g. ``"{a,b} > o"``)."""
        return WeakOrder.parse(text, self.objects, self.null_name)


def online_market_of(market: Market) -> tuple[OnlineSEMMarket, np.ndarray]:
    """Return the :class:`OnlineSEMMarket` behind a protocol market and its realised arrivals (T, m)."""
    extra = market.extra if isinstance(market.extra, dict) else {}
    mk = extra.get("sem_online")
    if not isinstance(mk, OnlineSEMMarket):
        raise ConfigError("market.extra.sem_online", mk,
                          "an OnlineSEMMarket (build the market with OnlineSEMMarket(...).market(arrivals))")
    arr = np.asarray(extra.get("supply_arrivals"), dtype=np.float64)
    if arr.shape != (mk.horizon, mk.m):
        raise ConfigError("market.extra.supply_arrivals", extra.get("supply_arrivals"),
                          f"a ({mk.horizon}, {mk.m}) array of realised arrivals")
    return mk, arr
