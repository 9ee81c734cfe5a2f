"""The Sequential Equilibrium Mechanism and its baselines as online mechanisms.

- ``sem``: SEM (SEM paper, Section 4.1, "Algorithm: Sequential Equilibrium Mechanism").
  Period t: (1) compute a (t)-price equilibrium for the fundamentals (online empirical
  distribution F~(.; t), remaining supply S^t); (2) give every arrival its type's equilibrium
  lottery and draw one ex-post allocation by dependent rounding; set S^{t+1} = S^t minus what
  was allocated; (3) stop after T or once supply is exhausted.
- ``sd_rtb``: Serial Dictatorship with Random Tie-Breaking (Section 6.2).
- ``eps``: Extended Probabilistic Serial applied to each period's arrivals on the remaining
  supply (the static reference of Section 4.2, run period by period), rounded the same way.

Reports are :class:`~mechanisms.reports.Report` with a :class:`~mechanisms.preferences.WeakOrder`.
A declared order outside the type space is accepted: the online empirical distribution of
period t is built from the reports, so the declared type simply enters F~^t with its
empirical mass; in the prior it is a type of mass zero (footnote 2 of Section 2.1).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..baselines.serial_dictatorship import SerialDictatorship
from ..errors import ConfigError, InvariantError
from ..mechanism_registry import register_mechanism
from ..online_mechanism import OnlineMechanism
from ..params import ParamSpec, positive_int
from ..preferences import WeakOrder
from ..public_state import GoodsPublic, ObjectsPublic
from ..reports import ObjectOutcome, Outcome, Report
from ..spec import Claim, MechanismSpec
from .demand import lottery_demand, rtb_lottery, rtb_lottery_quad
from .equilibrium import EquilibriumProblem, EquilibriumResult, extended_probabilistic_serial, solve_equilibrium
from .market import SEMMarket, period_masses, sem_market_of
from .rounding import dependent_rounding

#: Equilibria of identical fundamentals, shared by runs with ``memoize=True`` (see the ParamSpec).
_MEMO: dict[tuple, tuple[Any, dict[WeakOrder, int], Any]] = {}  # SEM and fully online SEM problems/results

PAPER = "Highsmith, How to Use Prices for Efficient Online Matching (SEM paper)"


def clearing_summary(records: Mapping[int, Any]) -> dict[str, Any]:
    """Return ``{"clearing_error": {tick: error}, "max_clearing_error": max}`` of per-tick records
    (each with ``result.clearing_error``, the solver's market-clearing error of Definition 1 or 7;
    0.0 when no period was solved): the part of ``summary()`` SEM and fully online SEM share."""
    errs = {t: r.result.clearing_error for t, r in records.items()}
    return {"clearing_error": errs, "max_clearing_error": max(errs.values(), default=0.0)}


@dataclass
class PeriodRecord:
    """What SEM computed in one period: the problem, its equilibrium and the arrivals' types."""

    tick: int
    problem: EquilibriumProblem
    result: EquilibriumResult
    type_of: dict[WeakOrder, int]
    zeta: np.ndarray | None
    supply_before: np.ndarray


def _check_reports(reports: Sequence[Report], m: int) -> None:
    for r in reports:
        if not isinstance(r.declared, WeakOrder) or r.declared.n_objects != m:
            raise ConfigError(f"report[{r.agent}]", r.declared, f"a WeakOrder over the market's {m} objects")


def _null_outcomes(tick: int, reports: Sequence[Report], m: int) -> list[Outcome]:
    lot = tuple([0.0] * m + [1.0])
    return [ObjectOutcome(r.agent, tick, m, lot) for r in reports]


def _round_and_record(tick: int, reports: Sequence[Report], lots: np.ndarray, remaining: np.ndarray,
                      rng: np.random.Generator, name: str) -> list[Outcome]:
    """Draw an ex-post allocation from the arrivals' lotteries (rows of ``lots``) and update ``remaining``."""
    m = remaining.size
    expected = lots[:, :m].sum(axis=0)
    if np.any(expected > remaining + 1e-7):
        raise InvariantError(f"{name} tick {tick}: lotteries ask {expected.tolist()} of supply {remaining.tolist()}")
    ex_post = dependent_rounding(lots, rng)
    objs = ex_post.argmax(axis=1)
    used = np.bincount(objs, minlength=m + 1)[:m]
    if np.any(used > remaining + 1e-9):
        raise InvariantError(f"{name} tick {tick}: rounding allocated {used.tolist()} of {remaining.tolist()}")
    remaining -= used
    return [ObjectOutcome(r.agent, tick, int(x), tuple(float(v) for v in lots[k]))
            for k, (r, x) in enumerate(zip(reports, objs))]


def memoized(key: tuple | None, solve: Callable[[], tuple]) -> tuple:
    """Return ``solve()``, shared through :data:`_MEMO` under ``key`` (None: not memoized).

    ``memoize=True`` runs of SEM and the fully online SEM reuse the equilibrium of identical
    fundamentals; the memo is cleared past 200,000 entries (memory stays bounded).
    """
    if key is None:
        return solve()
    hit = _MEMO.get(key)
    if hit is None:
        if len(_MEMO) > 200_000:
            _MEMO.clear()
        hit = _MEMO[key] = solve()
    return hit


def objects_public(d: dict[str, Any], stock_key: str) -> ObjectsPublic:
    """Return the :class:`ObjectsPublic` of a SEM mechanism's last posting ``d``.

    ``d[stock_key]`` is the supply on hand; prices, period and clearing error exist once a
    period has cleared (before that they are None).
    """
    return ObjectsPublic(remaining=d[stock_key], prices=d.get("prices"), period=d.get("tick"),
                         clearing_error=d.get("clearing_error"))


@register_mechanism
class SequentialEquilibriumMechanism(OnlineMechanism):
    """SEM (Section 4.1): per-period (t)-price equilibria, lotteries, dependent rounding.

    The market must come from :meth:`SEMMarket.market` (type space, arrival distribution,
    replica size n, budgets and shock live there). Tick k of the run is period k + 1.
    Arrivals after period T, or once every object is gone, receive the null option.
    """

    spec = MechanismSpec(
        name="sem",
        title="Sequential Equilibrium Mechanism",
        market_kinds=("objects",),
        paper=PAPER,
        params=(
            ParamSpec("rtb_integration", "quadrature", "how lottery demand is integrated under random "
                      "tie-breaking: deterministic Gauss-Legendre quadrature (continuous demand) or K fixed draws "
                      "of zeta per period (ignored under no tie-breaking, where demand is integrated exactly)",
                      source="Section 3.3, Assumption 5; Theorem 3 (ii)", choices=("quadrature", "draws")),
            ParamSpec("rtb_draws", 256, "fixed draws K of the idiosyncratic shocks zeta_x per period when "
                      "rtb_integration = 'draws' (stream ('mechanism', 'shock', tick))",
                      source="Section 3.3, Assumption 5", check=positive_int, expected="a positive integer"),
            ParamSpec("memoize", False, "reuse the equilibrium of identical fundamentals (same market, period, "
                      "declared-type counts and remaining supply) across runs in this process; a pure speed-up "
                      "for simulations, results are identical (no tie-breaking only)", choices=(False, True)),
        ),
        claims=(
            Claim("greedy", "Section 2.1 (greedy online mechanism); Theorem 5, Claim 6 (ex-post greedy for every n)",
                  "Assumptions 1-3 with budgets b^t > b^{t+1} + xi_upper + |xi_lower| (Theorem 1)"),
            Claim("equal_type_envy_free", "Definition 3; Theorem 4; Theorem 5, Claim 4",
                  "Assumption 3 and Theorem 1's decreasing budgets; order: earlier arrival first"),
            Claim("strategyproof_single_arrival", "Section 2.1 (strategyproof); Theorem 5, Claim 5",
                  "one arrival per period (|I~^t| = 1 for all t); misreports keep the arrival time"),
            Claim("t_equilibrium", "Definition 1; Section 4.1, step 1 (a (t)-price equilibrium for the fundamentals "
                  "nu^t = (F~(.; t), S^t) each period); Theorem 1 (existence)",
                  "Assumptions 1 and 2 (existence); checked on every run"),
            Claim("sp1", "Definition 6; Corollary 1",
                  "replica markets M_n, n -> infinity; l-regular (NTB) or regular with Theorem 3's condition (RTB)"),
            Claim("ordinal_efficiency_asymptotic", "Definition 4; Theorem 5 (i)-(ii)",
                  "replica markets M_n; Assumption 4 with l-regularity, or Assumption 5 with regularity and "
                  "|p_x - p_y| > 2z (Theorem 3)"),
        ),
        incremental=False,
        public_state=ObjectsPublic,
    )

    def validate(self) -> None:
        self.sem: SEMMarket = sem_market_of(self.market)
        caps = tuple(int(c) for c in self.market.goods.capacities)
        expected = tuple(int(s) * self.sem.replica for s in self.sem.supply)
        if caps != expected or tuple(self.market.goods.names) != self.sem.objects:
            raise ConfigError("market.goods", list(zip(self.market.goods.names, caps)),
                              f"the SEM market's objects with supply n*S = {list(zip(self.sem.objects, expected))}")

    def period_budgets(self) -> tuple[float, ...]:
        """Return b^1..b^T (Theorem 1's decreasing budgets; a mutant may override this)."""
        return self.sem.budgets

    def start(self, streams) -> None:
        super().start(streams)
        self._remaining = self.sem.total_supply.copy()
        self._records: dict[int, PeriodRecord] = {}
        self._closed: set[int] = set()
        self._public: dict[str, Any] = {"remaining": self._remaining.tolist()}

    # ---- the period's fundamentals (Section 4.1, step 1) -----------------------------------
    def problem_for(self, tick: int, declared: Sequence[WeakOrder]) -> tuple[EquilibriumProblem, dict[WeakOrder, int]]:
        """Return the (t)-equilibrium problem for period t = tick + 1 and the arrivals' type index.

        Masses: each realised arrival counts 1 (n F~^t); each later period k contributes
        n f^k(i) per type (the prior); supply is the remaining S^t.
        """
        t = tick + 1
        orders, masses, offsets, type_of = period_masses(self.sem, t, declared)
        budgets = self.period_budgets()[t - 1:]
        pb = EquilibriumProblem(orders, masses, offsets, budgets, self._remaining.copy(), self.sem.shock)
        return pb, type_of

    def _zeta(self, tick: int) -> np.ndarray | None:
        if self.sem.shock.tie_breaking == "none" or self.params["rtb_integration"] == "quadrature":
            return None
        rng = self.streams.get("mechanism", "shock", tick)
        return self.sem.shock.sample_zeta(rng, (int(self.params["rtb_draws"]), self.sem.m + 1))

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        m = self.sem.m
        _check_reports(reports, m)
        if not reports:
            return []
        if tick + 1 > self.sem.horizon or not np.any(self._remaining > 0):
            self._closed.add(tick)  # Section 4.1, step 3: the mechanism has terminated
            return _null_outcomes(tick, reports, m)
        declared = [r.declared for r in reports]
        zeta = self._zeta(tick)
        key = None
        if self.params["memoize"] and self.sem.shock.tie_breaking == "none":
            # the class and its parameters belong to the key: a subclass (a mutant) that solves
            # differently must never read or write another mechanism's equilibria
            key = (type(self), tuple(sorted(self.params.items())), self.sem, self.period_budgets(), tick,
                   frozenset(Counter(declared).items()), self._remaining.tobytes())

        def solve() -> tuple:
            pb, type_of = self.problem_for(tick, declared)
            return pb, type_of, solve_equilibrium(pb, zeta)

        pb, type_of, res = memoized(key, solve)
        before = self._remaining.copy()
        lots = np.array([res.lotteries[type_of[d]] for d in declared])
        outs = _round_and_record(tick, reports, lots, self._remaining,
                                 self.streams.get("mechanism", "rounding", tick), self.spec.name)
        self._records[tick] = PeriodRecord(tick, pb, res, type_of, zeta, before)
        self._public = {"tick": tick, "prices": res.prices.tolist(), "remaining": self._remaining.tolist(),
                        "clearing_error": res.clearing_error}
        return outs

    # ---- lotteries a report would get (for SP / SP1 checks) -------------------------------
    def lottery_for(self, declared: WeakOrder, tick: int) -> np.ndarray:
        """Return the lottery ``declared`` gets in the equilibrium SEM computed at ``tick``.

        A declared order among the period's arrivals gets its type's equilibrium lottery; any
        other gets a selection of its lottery demand L(p^t) at the period's prices (ties split
        equally, null taking a tie it belongs to; fixed draws under RTB). This holds prices
        fixed: it neglects the deviator's own 1/n weight in the empirical distribution (which
        moves prices and the split of ties); full replays are exact. After SEM has terminated
        (horizon passed or supply exhausted) every report gets the null option.
        """
        rec = self._records.get(tick)
        if rec is None and tick in self._closed:
            out = np.zeros(self.sem.m + 1)
            out[-1] = 1.0
            return out
        if rec is None:
            raise ConfigError("tick", tick, f"a tick SEM solved an equilibrium at ({sorted(self._records)})")
        if declared in rec.type_of:
            return rec.result.lotteries[rec.type_of[declared]].copy()
        b = rec.problem.level_budgets[0]
        if self.sem.shock.tie_breaking == "none":
            return lottery_demand(declared, b, rec.result.prices, self.sem.shock).selection()
        if rec.zeta is None:
            return rtb_lottery_quad(declared, b, rec.result.prices, self.sem.shock)
        return rtb_lottery(declared, b, rec.result.prices, self.sem.shock, rec.zeta)[0]

    def records(self) -> dict[int, PeriodRecord]:
        """Return the per-tick equilibrium records."""
        return dict(self._records)

    def remaining(self) -> np.ndarray:
        return self._remaining

    def public(self) -> ObjectsPublic:
        """Return the remaining supply and the last period's spot prices p^t (Section 4.1, step 1)."""
        return objects_public(self._public, "remaining")

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {**clearing_summary(self._records),
                               "prices": {t: r.result.prices.tolist() for t, r in self._records.items()}}
        if self.sem.shock.tie_breaking == "random":
            out["integration_error"] = {t: r.result.integration_error for t, r in self._records.items()}
            out["theorem3_ok"] = {t: r.result.theorem3_ok for t, r in self._records.items()}
        return out


@register_mechanism
class SDRTB(SerialDictatorship):
    """Serial Dictatorship with Random Tie-Breaking (SEM paper, Section 6.2).

    Each period the arrivals are put in a uniformly random order (stream
    ``("mechanism", "order", tick)``) and, in turn, each gets a uniformly random object among
    her most preferred available ones (the k-th arrival of the tick uses the k-th uniform of
    the stream ``("mechanism", "tie", tick)``).
    """

    spec = MechanismSpec(
        name="sd_rtb",
        title="Serial dictatorship with random tie-breaking",
        market_kinds=("objects",),
        paper=PAPER + ", Section 6.2",
        params=(
            ParamSpec("order", "random", "choice order within a period (Section 6.2: a random permutation)",
                      source="Section 6.2", choices=("random",)),
            ParamSpec("tie_break", "random", "a uniformly random most preferred available object (Section 6.2)",
                      source="Section 6.2", choices=("random",)),
        ),
        claims=(Claim("strategyproof", "SD: an agent's choice set is independent of its report"),
                Claim("greedy", "Section 2.1: every agent gets a most preferred available object")),
        public_state=GoodsPublic,
    )

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        # one uniform per arrival slot from ("mechanism", "tie", tick) instead of one stream per
        # agent: creating a generator per agent dominated the run time, and a slot's draw still
        # does not depend on anyone's report (common random numbers are kept)
        _check_reports(reports, self.market.goods.m)
        order = list(range(len(reports)))
        if len(reports) > 1:
            order = list(self.streams.get("mechanism", "order", tick).permutation(len(reports)))
        ties = self.streams.get("mechanism", "tie", tick).random(len(reports))
        rem = self._remaining
        outs: list[Outcome | None] = [None] * len(reports)
        for k in order:
            r = reports[k]
            best = r.declared.best_available(rem >= 1 - 1e-12)
            x = best[min(int(ties[k] * len(best)), len(best) - 1)]
            if x != r.declared.null:
                rem[x] -= 1
            outs[k] = ObjectOutcome(r.agent, tick, int(x))
        return outs  # type: ignore[return-value]


@register_mechanism
class PeriodEPS(OnlineMechanism):
    """Extended Probabilistic Serial per period (Katta-Sethuraman; SEM paper Section 4.2).

    Each period the arrivals share the remaining supply by EPS (unit eating speeds) and one
    ex-post allocation is drawn by dependent rounding (stream ``("mechanism", "rounding",
    tick)``). A myopic reference: it ignores future arrivals.
    """

    spec = MechanismSpec(
        name="eps",
        title="Extended probabilistic serial, period by period",
        market_kinds=("objects",),
        paper="Katta and Sethuraman (2006), as discussed in the SEM paper, Section 4.2",
        claims=(Claim("equal_type_envy_free", "EPS is envy-free among one period's arrivals (Katta-Sethuraman)"),
                Claim("greedy", "Section 2.1: agents eat their best class with remaining supply")),
        public_state=GoodsPublic,
    )

    def start(self, streams) -> None:
        super().start(streams)
        self._remaining = self.market.goods.capacity.astype(np.float64).copy()

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        m = self.market.goods.m
        _check_reports(reports, m)
        if not reports:
            return []
        lots = extended_probabilistic_serial([r.declared for r in reports], self._remaining)
        return _round_and_record(tick, reports, lots, self._remaining,
                                 self.streams.get("mechanism", "rounding", tick), self.spec.name)

    def remaining(self) -> np.ndarray:
        return self._remaining

    def public(self) -> GoodsPublic:
        """Return the remaining supply (EPS posts no prices)."""
        return GoodsPublic(remaining=self._remaining.tolist(), prices=None)
