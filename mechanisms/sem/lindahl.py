"""(t)-Lindahl equilibria with time-tax prices (SEM paper, Section 5.1, Definition 7, Theorem 6).

A time-tax price vector is p = (p^k)_{k >= t}, one price vector per period; an agent arriving
at t_i has budget 1 and faces p^{t_i} + xi (the demand formula of Section 5.1). It is a
(t)-Lindahl equilibrium (Definition 7) when, for every period k >= t and object x,

1. D^{t,k}(p) <= S^{t,k}: cumulative lottery demand of the periods t..k within the expected
   cumulative supply S^{t,k} = sum_{n=t}^{k} E[S^n];
2. p^k_x > 0 implies D^{t,k}_x(p) = S^{t,k}_x.

:func:`solve_lindahl` builds one by the induction of the proof of Theorem 6 (Claim 1): with
p^t, ..., p^{k-1} fixed and D^{t,k-1} <= S^{t,k-1}, the period-k prices are a price equilibrium
(Definition 1) of the period-k types alone on the residual supply S^{t,k} - D^{t,k-1} (the
fixed point of Z^k, which moves p^k only). Demand of period k reaching the residual exactly
where p^k_x > 0 is condition 2 for k; condition 1 follows from the residual. Each step calls
the existing solvers (:func:`~mechanisms.sem.equilibrium.solve_ntb` / ``solve_rtb``) with budget 1.

Where several period-k equilibria exist the paper leaves the choice open (as SEM's "class of
mechanisms that depend on the equilibrium selection", Section 4.1); ``selection`` names it:

- ``"lookahead"`` (default, no tie-breaking only): period k's lotteries are those of SEM's
  (k)-price equilibrium of the period-k types and the later periods' expected types on the
  residual supply, with Theorem 1's decreasing budgets b^k > b^{k+1} > ...; the decreasing
  budgets become the time tax: p^k_x = p_x - (b^k - 1) for objects selling out at a level
  the period's sub-agents reach (p_x >= b^k - c_upper: the period alone exhausts them, the
  later budget ranges lying below) and 0 for the others (affordable to all of them). Under no tie-breaking this is the same period-k demand (x affordable iff
  p_x + c <= b^k iff p^k_x + c <= 1; within a class the exhausted members stay dearer), so the
  lotteries are a selection of L_i(p^k), and the period's indifferent agents are steered, as
  in SEM, away from objects later types need. With supply deterministic and present at the
  start it reproduces SEM's allocation exactly ("Lindahl equilibria generalize price
  equilibria", the remark after Theorem 6).
- ``"static"``: the proof's induction taken literally: each period's equilibrium from its own
  types only (the existing solver's split of ties); works under either tie-breaking assumption.

:func:`check_lindahl` verifies both conditions of Definition 7 independently from the CDF
formula of :func:`~mechanisms.sem.demand.lottery_demand` (every type's lottery must be a
selection of its lottery demand at its period's prices, budget 1) and reports the clearing
error like :func:`~mechanisms.sem.equilibrium.clearing_error`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import require
from ..preferences import WeakOrder
from .demand import TIE_TOL, lottery_demand, rtb_lottery_quad
from .equilibrium import EquilibriumProblem, checked_types, solve_equilibrium, solve_ntb
from .market import default_budgets
from .online_market import ONLINE_BUDGET
from .shocks import Shock

#: Equilibrium selections among (t)-Lindahl equilibria (see the module docstring).
SELECTIONS = ("lookahead", "static")
#: Tolerance of the comparison of a sell-out level with the bottom of a period's budget range.
BIND_TOL = 1e-9


@dataclass(frozen=True, eq=False)
class LindahlProblem:
    """Fundamentals of one (t)-Lindahl equilibrium (Definition 7).

    Parameters
    ----------
    orders : tuple of WeakOrder
        One weak order per type.
    masses : array
        Mass of each type (realised arrivals of period t count 1 each; a later period k
        contributes n f^k(i)).
    offsets : array of int
        Period of each type relative to t (0 = period t, ..., K - 1 = period T).
    supply : (K, m) array
        Supply of each period t..T: row 0 what is present at t (in the mechanism: the realised
        remaining stock), row j > 0 the expected arrivals E[S^{t+j}]. S^{t,k} is the cumulative sum.
    shock : Shock
        The price shock (Assumption 1); Assumption 3: xi_upper < 1.
    lookahead_budgets : tuple of float, optional
        b^t..b^T of the look-ahead selection (Theorem 1's gap); default
        :func:`~mechanisms.sem.market.default_budgets` for the K periods.
    """

    orders: tuple[WeakOrder, ...]
    masses: np.ndarray
    offsets: np.ndarray
    supply: np.ndarray
    shock: Shock
    lookahead_budgets: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        supply = np.atleast_2d(np.asarray(self.supply, dtype=np.float64))
        require(bool(np.all(np.isfinite(supply)) and np.all(supply >= -1e-12)), "supply", supply.tolist(),
                "non-negative supplies")
        K = supply.shape[0]
        masses, offsets = checked_types(self.orders, self.masses, self.offsets, supply.shape[1], K)
        require(isinstance(self.shock, Shock) and self.shock.xi_upper < ONLINE_BUDGET, "shock", self.shock,
                "a Shock with xi_upper < 1 (Assumption 3 with budget 1)")
        lb = self.lookahead_budgets
        if lb is None:
            lb = default_budgets(K, self.shock)
        lb = tuple(float(b) for b in lb)
        require(len(lb) == K, "lookahead_budgets", list(lb), f"one budget per period ({K})")
        object.__setattr__(self, "masses", masses)
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "supply", np.maximum(supply, 0.0))
        object.__setattr__(self, "lookahead_budgets", lb)

    @property
    def K(self) -> int:
        """Number of periods t..T."""
        return int(self.supply.shape[0])

    @property
    def m(self) -> int:
        """Number of real objects."""
        return int(self.supply.shape[1])

    def cumulative_supply(self) -> np.ndarray:
        """Return S^{t,k} for k = t..T, a (K, m) array."""
        return np.cumsum(self.supply, axis=0)


@dataclass
class LindahlResult:
    """A (t)-Lindahl equilibrium: time-tax prices p^k (rows), one lottery per type, diagnostics.

    ``clearing_error`` is Definition 7's violation (see :func:`lindahl_clearing_error`), in
    units of objects; ``period_errors`` the Definition-1 error of each step of the induction.
    """

    prices: np.ndarray
    lotteries: np.ndarray
    clearing_error: float
    tie_breaking: str
    selection: str
    period_errors: list[float] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)

    def cumulative_demand(self, problem: LindahlProblem) -> np.ndarray:
        """Return D^{t,k} for k = t..T, a (K, m) array (real objects only)."""
        return cumulative_demand(problem, self.lotteries)


def cumulative_demand(problem: LindahlProblem, lotteries: np.ndarray) -> np.ndarray:
    """Return D^{t,k} = sum over types of periods t..k of mass_i * lottery_i, a (K, m) array."""
    per = np.zeros((problem.K, problem.m))
    np.add.at(per, problem.offsets, problem.masses[:, None] * np.asarray(lotteries)[:, : problem.m])
    return np.cumsum(per, axis=0)


def lindahl_clearing_error(problem: LindahlProblem, prices: np.ndarray, lotteries: np.ndarray,
                           steps: int | None = None) -> float:
    """Return Definition 7's violation: max over k >= t and x of (D^{t,k}_x - S^{t,k}_x)^+
    and, where p^k_x > 0, |D^{t,k}_x - S^{t,k}_x| (over the first ``steps`` periods when given)."""
    r = slice(0, problem.K if steps is None else steps)
    D = cumulative_demand(problem, lotteries)[r]
    S = problem.cumulative_supply()[r]
    over = np.maximum(D - S, 0.0)
    slack = np.where(np.asarray(prices)[r] > TIE_TOL, np.abs(D - S), 0.0)
    return float(max(over.max(initial=0.0), slack.max(initial=0.0)))


def solve_lindahl(problem: LindahlProblem, selection: str = "lookahead",
                  zeta: np.ndarray | None = None, steps: int | None = None) -> LindahlResult:
    """Return a (t)-Lindahl equilibrium built by the induction of Theorem 6's proof (Claim 1).

    ``selection`` is ``"lookahead"`` (no tie-breaking only) or ``"static"`` (see the module
    docstring). ``zeta`` (K draws of the idiosyncratic shocks) is passed to the RTB solver
    under Assumption 5 (None: quadrature). ``steps`` stops the induction after that many
    periods: period t's lotteries and prices never depend on the later steps (each step only
    takes the earlier ones as given), so ``steps=1`` serves period t exactly and leaves the later
    rows of ``prices`` as NaN (``info["steps"]``; the clearing error covers the solved periods).
    Returns the prices (K, m), a lottery per type and the clearing error of Definition 7.
    """
    require(selection in SELECTIONS, "selection", selection, f"one of {list(SELECTIONS)}")
    ntb = problem.shock.tie_breaking == "none"
    require(ntb or selection == "static", "selection", selection,
            '"static" under random tie-breaking (the look-ahead time tax is exact under Assumption 4 only)')
    K, m = problem.K, problem.m
    S = problem.cumulative_supply()
    prices = np.zeros((K, m))
    lots = np.zeros((len(problem.orders), m + 1))
    lots[:, m] = 1.0
    C = np.zeros(m)
    errs: list[float] = []
    last = K if steps is None else max(1, min(K, int(steps)))
    for k in range(last):
        avail = np.maximum(S[k] - C, 0.0)
        now = np.flatnonzero(problem.offsets == k)
        if now.size == 0:
            # nobody arrives in period k: no demand, so condition 2 forces price 0 where S is slack
            errs.append(0.0)
            continue
        if selection == "static":
            pb = EquilibriumProblem(tuple(problem.orders[i] for i in now), problem.masses[now],
                                    np.zeros(now.size, dtype=np.int64), (ONLINE_BUDGET,), avail, problem.shock)
            res = solve_equilibrium(pb, zeta)
            prices[k] = res.prices
            lots[now] = res.lotteries
            errs.append(res.clearing_error)
        else:
            fut = np.flatnonzero(problem.offsets >= k)
            pb = EquilibriumProblem(tuple(problem.orders[i] for i in fut), problem.masses[fut],
                                    problem.offsets[fut] - k, problem.lookahead_budgets[k:], avail, problem.shock)
            res = solve_ntb(pb)
            sel = problem.offsets[fut] == k
            lots[now] = res.lotteries[sel]
            Dk = problem.masses[now] @ lots[now, :m]
            # objects selling out at a level period-k sub-agents reach (p_x >= b^k - c_upper)
            # are exhausted by period k alone (the later periods' budget ranges lie below);
            # every other object is affordable to all of them: time-tax price 0
            bk = problem.lookahead_budgets[k]
            reached = res.prices >= bk - problem.shock.c_upper - BIND_TOL
            prices[k] = np.where(reached, np.maximum(res.prices - (bk - ONLINE_BUDGET), 0.0), 0.0)
            errs.append(float(max(np.maximum(Dk - avail, 0.0).max(initial=0.0),
                                  np.where(prices[k] > TIE_TOL, np.abs(Dk - avail), 0.0).max(initial=0.0))))
        C = C + problem.masses[now] @ lots[now, :m]
    err = lindahl_clearing_error(problem, prices, lots, steps=last)
    prices[last:] = np.nan
    return LindahlResult(prices, lots, err, problem.shock.tie_breaking, selection, errs, {"steps": last})


def lottery_demand_at(problem: LindahlProblem, prices: np.ndarray, i: int):
    """Return type i's lottery demand L_i(p^{t_i}) with budget 1 (a LotteryDemand under NTB)."""
    return lottery_demand(problem.orders[i], ONLINE_BUDGET, np.asarray(prices)[problem.offsets[i]], problem.shock)


def selection_at(problem: LindahlProblem, prices: np.ndarray) -> np.ndarray:
    """Return one selection of every type's lottery demand at the time-tax ``prices`` (K, m).

    Under no tie-breaking each piece is split equally over its tied options (the null option
    taking a tie it belongs to); under random tie-breaking the quadrature lottery. Used to test
    candidate price vectors (e.g. one price vector for every period) against Definition 7.
    """
    p = np.asarray(prices, dtype=np.float64)
    require(p.shape == (problem.K, problem.m), "prices", list(p.shape), f"({problem.K}, {problem.m}) time-tax prices")
    out = np.zeros((len(problem.orders), problem.m + 1))
    for i, order in enumerate(problem.orders):
        if problem.shock.tie_breaking == "none":
            out[i] = lottery_demand_at(problem, p, i).selection()
        else:
            out[i] = rtb_lottery_quad(order, ONLINE_BUDGET, p[problem.offsets[i]], problem.shock)
    return out


def check_lindahl(problem: LindahlProblem, prices: np.ndarray, lotteries: np.ndarray | None = None,
                  tol: float = 1e-8, periods: Sequence[int] | None = None) -> dict[str, Any]:
    """Return Definition 7's two conditions checked from the demand formula.

    Every type's lottery must be a selection of L_i(p^{t_i}) computed by
    :func:`~mechanisms.sem.demand.lottery_demand` with budget 1 (under random tie-breaking:
    within ``tol`` of the quadrature lottery); then, for every period k >= t (or the
    ``periods`` offsets listed), condition 1 D^{t,k} <= S^{t,k} and condition 2 p^k_x > 0
    implies D^{t,k}_x = S^{t,k}_x, each within ``tol``. With ``lotteries`` None the selection
    :func:`selection_at` is used (exact when no price ties). Returns a dict: ``ok``,
    ``clearing_error``, ``condition1`` and ``condition2`` (largest violation of each),
    ``first`` (period offset, object and condition of the largest violation, or None),
    ``selection_ok``, ``bad_types``, ``rows_ok``, ``prices_ok``.
    """
    p = np.asarray(prices, dtype=np.float64)
    require(p.shape == (problem.K, problem.m), "prices", list(p.shape), f"({problem.K}, {problem.m}) time-tax prices")
    L = selection_at(problem, p) if lotteries is None else np.asarray(lotteries, dtype=np.float64)
    require(L.shape == (len(problem.orders), problem.m + 1), "lotteries", list(L.shape),
            f"({len(problem.orders)}, {problem.m + 1}) lotteries")
    rows = np.arange(problem.K) if periods is None else np.asarray(list(periods), dtype=np.int64)
    bad = []
    for i, order in enumerate(problem.orders):
        if problem.offsets[i] not in rows:
            continue
        if problem.shock.tie_breaking == "none":
            ok = lottery_demand_at(problem, p, i).contains(L[i], tol=max(tol, 1e-9))
        else:
            ok = bool(np.abs(L[i] - rtb_lottery_quad(order, ONLINE_BUDGET, p[problem.offsets[i]], problem.shock)).max()
                      <= max(tol, 1e-9))
        if not ok:
            bad.append(i)
    D = cumulative_demand(problem, L)[rows]
    S = problem.cumulative_supply()[rows]
    over = np.maximum(D - S, 0.0)
    slack = np.where(p[rows] > TIE_TOL, np.abs(D - S), 0.0)
    c1, c2 = float(over.max(initial=0.0)), float(slack.max(initial=0.0))
    first = None
    if max(c1, c2) > tol:
        grid, cond = (over, 1) if c1 >= c2 else (slack, 2)
        r, x = np.unravel_index(int(np.argmax(grid)), grid.shape)
        first = {"period_offset": int(rows[r]), "object": int(x), "condition": cond,
                 "demand": float(D[r, x]), "supply": float(S[r, x]), "price": float(p[rows[r], x])}
    rows_ok = bool(np.allclose(L.sum(axis=1), 1.0, atol=1e-9)) and bool(np.all(L >= -1e-12))
    prices_ok = bool(np.all(p >= 0))
    err = max(c1, c2)
    return {"ok": not bad and err <= tol and rows_ok and prices_ok, "clearing_error": err, "condition1": c1,
            "condition2": c2, "first": first, "selection_ok": not bad, "bad_types": bad, "rows_ok": rows_ok,
            "prices_ok": prices_ok}


def single_price_vector(problem: LindahlProblem, zeta: np.ndarray | None = None) -> LindahlResult:
    """Return the equilibrium of one price vector for every period (no time tax), judged by Definition 7.

    The price vector clears the pooled market: all types of periods t..T with budget 1 on the
    total expected supply S^{t,T} (Definition 1 with equal budgets). This is what the time tax
    is for: the remark after Theorem 6 shows one vector cannot always satisfy every period's
    cumulative constraint (demand doubling in period 2). The result's clearing error is
    Definition 7's violation of that vector.
    """
    pb = EquilibriumProblem(problem.orders, problem.masses, np.zeros(len(problem.orders), dtype=np.int64),
                            (ONLINE_BUDGET,), problem.cumulative_supply()[-1], problem.shock)
    res = solve_equilibrium(pb, zeta)
    prices = np.repeat(res.prices[None, :], problem.K, axis=0)
    return LindahlResult(prices, res.lotteries, lindahl_clearing_error(problem, prices, res.lotteries),
                         problem.shock.tie_breaking, "single_price", [res.clearing_error])
