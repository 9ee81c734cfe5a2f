"""(t)-price equilibria (SEM paper, Definition 1) and their computation.

A (t)-equilibrium for fundamentals (type masses from period t to T, supply S) is a price p
with aggregate lottery demand D^t(p) <= S and equality for every object with p_x > 0.

**No tie-breaking (Assumption 4).** With a common shock c ~ H an agent of budget b facing
p + c behaves as an agent of *random budget* beta = b - c facing p: x is affordable exactly
when p_x <= beta. Sort all sub-agents (i, c) by beta, highest first: by level beta, type i
has entered with mass W_i(beta) = mass_i H(b_i - beta). In equilibrium an object's price is
the level at which it sells out (0 when it never does): every sub-agent buys from her best
class that has not sold out at her level, taking within it the members that sell out last
(the cheapest). :func:`solve_ntb` follows this descending-budget process exactly. The next
event is the highest level at which some set of objects B is demanded in full by the types
whose current sets lie in B (Hall's condition): it is found by alternating a monotone
bisection for one set's critical level with a min-cut check that returns an over-demanded
set when one exists. The types of that bottleneck get B (split by a feasible flow) and move
on to their next class; types whose set only loses some members keep buying the remaining,
cheaper, ones. With Theorem 1's budget gap the periods' budget ranges are disjoint, so every
period's agents come before the next period's; within a period all types enter at the same
speed H(b^t - beta), so the allocation is an extended probabilistic serial (EPS,
Katta-Sethuraman) allocation of the period, informed by later periods' demand and
independent of H's shape (which only moves prices). The process needs no budget gap, so it
also solves markets with equal budgets (used by the tests' mutant).
:func:`check_equilibrium` verifies Definition 1 independently from the CDF formula of
:func:`~mechanisms.sem.demand.lottery_demand`.

**Random tie-breaking (Assumption 5).** Demand is a continuous function (Theorem 3 (ii));
:func:`solve_rtb` integrates the shocks by deterministic quadrature (or, optionally, the
idiosyncratic shocks over fixed draws, the common shock exactly) and solves the complementarity conditions of Definition 1 by a Fischer-Burmeister
root search started from the NTB equilibrium. Its clearing error and integration error are
reported, as is Theorem 3 (i)'s condition |p_x - p_y| > 2z for positively priced x, y.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import InvariantError, require
from ..preferences import WeakOrder
from .demand import TIE_TOL, lottery_demand, rtb_lottery, rtb_lottery_quad
from .flow import bipartite_max_flow
from .shocks import Shock

#: Relative tolerance of the solver's "demand reaches supply" comparisons.
SOLVER_TOL = 1e-11


def checked_types(orders: Sequence[WeakOrder], masses: Any, offsets: Any, m: int,
                  periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (masses, offsets) as float and int arrays after checking the types of a period problem.

    The fields every period problem shares (Definition 1's (t)-equilibrium, Definition 7's
    (t)-Lindahl equilibrium): at least one type, one non-negative finite mass and one period
    offset in 0..``periods`` - 1 per type, each order a :class:`WeakOrder` over the ``m``
    objects. Raises :class:`ConfigError` naming the field otherwise.
    """
    masses = np.asarray(masses, dtype=np.float64)
    offsets = np.asarray(offsets, dtype=np.int64)
    require(len(orders) > 0 and len(orders) == masses.size == offsets.size, "orders", len(orders),
            "at least one type, with one mass and one offset each")
    require(bool(np.all(np.isfinite(masses)) and np.all(masses >= 0)), "masses", masses.tolist(), "non-negative masses")
    require(bool(np.all((offsets >= 0) & (offsets < periods))), "offsets", offsets.tolist(),
            f"periods relative to t in 0..{periods - 1} (one budget or supply row per period)")
    for k, o in enumerate(orders):
        require(isinstance(o, WeakOrder) and o.n_objects == m, f"orders[{k}]", o, f"a WeakOrder over {m} objects")
    return masses, offsets


@dataclass(frozen=True, eq=False)
class EquilibriumProblem:
    """Fundamentals of one (t)-equilibrium (Definition 1).

    Parameters
    ----------
    orders : tuple of WeakOrder
        One weak order per type.
    masses : array
        Mass of each type: realised arrivals of period t count 1 each (the online empirical
        distribution, Section 4.1), a later period k contributes n f^k(i).
    offsets : array of int
        Period of each type relative to t (0 = the current period).
    level_budgets : tuple of float
        b^t, b^{t+1}, ..., b^T (budget of each offset).
    supply : array
        Remaining supply S^t of each real object.
    shock : Shock
        The price-shock distribution.
    """

    orders: tuple[WeakOrder, ...]
    masses: np.ndarray
    offsets: np.ndarray
    level_budgets: tuple[float, ...]
    supply: np.ndarray
    shock: Shock

    def __post_init__(self) -> None:
        supply = np.asarray(self.supply, dtype=np.float64)
        require(np.all(np.isfinite(supply)) and np.all(supply >= 0), "supply", supply.tolist(), "non-negative supply")
        require(len(self.level_budgets) >= 1, "level_budgets", self.level_budgets, "at least one budget (b^t)")
        masses, offsets = checked_types(self.orders, self.masses, self.offsets, supply.size, len(self.level_budgets))
        object.__setattr__(self, "masses", masses)
        object.__setattr__(self, "offsets", offsets)
        object.__setattr__(self, "supply", supply)
        object.__setattr__(self, "level_budgets", tuple(float(b) for b in self.level_budgets))

    @property
    def m(self) -> int:
        """Number of real objects."""
        return self.supply.size

    @property
    def budgets(self) -> np.ndarray:
        """Budget of each type (b of its period)."""
        return np.asarray(self.level_budgets)[self.offsets]



@dataclass
class EquilibriumResult:
    """A (t)-equilibrium: prices, one lottery per type (a selection of L_i(p)), diagnostics.

    ``clearing_error`` is max(max_x (D_x - s_x)^+, max_{x: p_x > 0} |D_x - s_x|) with
    D = sum_i mass_i * lottery_i (Definition 1's two conditions), in units of objects.
    ``sellout_level`` is the budget level at which x sells out (-inf if never) under NTB.
    """

    prices: np.ndarray
    lotteries: np.ndarray
    clearing_error: float
    tie_breaking: str
    sellout_level: np.ndarray | None = None
    integration_error: float = 0.0
    theorem3_gap: float | None = None
    theorem3_ok: bool | None = None
    info: dict[str, Any] = field(default_factory=dict)

    def aggregate(self, problem: EquilibriumProblem) -> np.ndarray:
        """Return the aggregate demand D (length m + 1, null last) of the selected lotteries."""
        return problem.masses @ self.lotteries

    def tied_pairs(self, tol: float = TIE_TOL) -> list[tuple[int, int]]:
        """Return the pairs (x, y), x < y, of objects with equal prices (within ``tol``)."""
        p = self.prices
        return [(x, y) for x in range(p.size) for y in range(x + 1, p.size) if abs(p[x] - p[y]) <= tol]


def clearing_error(problem: EquilibriumProblem, prices: np.ndarray, lotteries: np.ndarray) -> float:
    """Return Definition 1's violation: max over x of (D_x - s_x)^+ and, where p_x > 0, |D_x - s_x|."""
    D = (problem.masses @ lotteries)[: problem.m]
    over = np.maximum(D - problem.supply, 0.0)
    slack = np.where(prices > TIE_TOL, np.abs(D - problem.supply), 0.0)
    return float(max(over.max(initial=0.0), slack.max(initial=0.0)))


# ---------------------------------------------------------------------------------------
# No tie-breaking: the descending-budget process
# ---------------------------------------------------------------------------------------
class _Process:
    """State of the descending-budget process of :func:`solve_ntb` (see the module docstring).

    The level beta runs down from max_i b_i - c_lower (no sub-agent above it) to
    min_i b_i - c_upper (every sub-agent has entered). Type i has consumed
    W_i(beta) = mass_i H(b_i - beta) by level beta.
    """

    def __init__(self, problem: EquilibriumProblem):
        self.pb = problem
        m = problem.m
        self.m = m
        self.w = problem.masses
        self.b = problem.budgets
        self.H = problem.shock.cdf
        self.top = float(self.b.max()) - problem.shock.c_lower
        self.bottom = float(self.b.min()) - problem.shock.c_upper
        self.s = problem.supply.copy()
        self.avail = self.s > SOLVER_TOL
        self.sellout = np.full(m, -np.inf)
        self.sellout[~self.avail] = self.top   # nothing left: priced above every budget level
        n = len(problem.orders)
        self.F = np.zeros(n)              # cumulative consumption at the start of the phase
        self.cls = np.zeros(n, dtype=np.int64)
        self.target: list[frozenset[int]] = [frozenset()] * n
        self.has_null = np.zeros(n, dtype=bool)
        self.alloc = np.zeros((n, m + 1))
        self.active = self.w > 0
        self.tol = SOLVER_TOL * max(1.0, float(self.w.sum()), float(self.s.sum()))
        for i in range(n):
            self._enter_class(i, 0)

    def _enter_class(self, i: int, start: int) -> None:
        """Move type i to its first class from ``start`` with an available member or the null option."""
        order = self.pb.orders[i]
        for k in range(start, len(order.classes)):
            members = order.classes[k]
            live = frozenset(x for x in members if x < self.m and self.avail[x])
            if order.null in members or live:
                self.cls[i] = k
                self.target[i] = live
                self.has_null[i] = order.null in members
                return
        raise InvariantError("a weak order without the null option")  # unreachable: null is in some class

    def cum(self, beta: float, A: np.ndarray | None = None) -> np.ndarray:
        """Cumulative consumption W_i(beta) = mass_i H(b_i - beta) (of the types A, or all)."""
        if A is None:
            return self.w * self.H(self.b - beta)
        return self.w[A] * self.H(self.b[A] - beta)

    def _members(self, B: frozenset[int]) -> np.ndarray:
        """Indices of the active types (without the null option in their set) whose set lies in B."""
        return np.array([i for i in range(len(self.target))
                         if self.active[i] and not self.has_null[i] and self.target[i] <= B], dtype=np.int64)

    def _critical(self, A: np.ndarray, need: float, beta0: float) -> float:
        """Return the highest level beta <= beta0 at which the types A have demanded ``need`` (-inf if never).

        The types' phase demand sum_A (W_i(beta) - F_i) grows as beta falls; bisection on that
        monotone function to machine precision (exact for any continuous H).
        """
        if A.size == 0:
            return -math.inf
        F = float(self.F[A].sum())

        def enough(beta: float, slack: float = 0.0) -> bool:
            return float(self.cum(beta, A).sum()) - F >= need - slack

        if enough(beta0, self.tol):
            return beta0  # already tight (another set sold out at this very level)
        if not enough(self.bottom, self.tol):
            return -math.inf
        if self.pb.shock.kind == "uniform":
            return self._critical_uniform(A, need + F, beta0)
        lo, hi = self.bottom, beta0          # enough(lo), not enough(hi)
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:
                break
            if enough(mid):
                lo = mid
            else:
                hi = mid
        return lo

    def _critical_uniform(self, A: np.ndarray, need: float, beta0: float) -> float:
        """Exact critical level for uniform H: each W_i is linear between b_i - h and b_i + h.

        Evaluates the total at every kink in (bottom, beta0), finds the first (from above) at
        which it reaches ``need`` and interpolates linearly on that kink-free segment; on a
        flat stretch (between periods) this is the highest level, so simultaneous sell-outs
        get identical levels.
        """
        h = self.pb.shock.halfwidth
        b = self.b[A]
        kinks = np.concatenate((b - h, b + h))
        kinks = kinks[(kinks < beta0) & (kinks > self.bottom)]
        grid = np.unique(np.concatenate(([beta0, self.bottom], kinks)))[::-1]
        tot = (self.w[A][None, :] * np.clip((b[None, :] - grid[:, None] + h) / (2 * h), 0.0, 1.0)).sum(axis=1)
        reached = tot >= need - self.tol
        if not reached.any():
            return -math.inf
        k = int(np.argmax(reached))
        if k == 0:
            return float(grid[0])
        hi, lo, fh, fl = grid[k - 1], grid[k], tot[k - 1], tot[k]
        if fl <= fh:
            return float(lo)
        return float(min(max(hi + (need - fh) * (lo - hi) / (fl - fh), lo), hi))

    def _groups(self, beta: float, A: np.ndarray | None = None) -> tuple[list[frozenset[int]], np.ndarray, list[list[int]]]:
        """Group the (given or all active non-null) types by current set: (sets, demands, members)."""
        W = self.cum(beta)
        idx = A if A is not None else np.array([i for i in range(len(self.target))
                                                if self.active[i] and not self.has_null[i]], dtype=np.int64)
        sets: dict[frozenset[int], list[int]] = {}
        for i in idx:
            sets.setdefault(self.target[int(i)], []).append(int(i))
        keys = list(sets)
        dem = np.array([float(np.sum(W[sets[k]] - self.F[sets[k]])) for k in keys])
        return keys, np.maximum(dem, 0.0), [sets[k] for k in keys]

    def _feasible(self, beta: float) -> tuple[bool, np.ndarray]:
        """Return (every phase demand routable within supply at level beta, source side of a min cut)."""
        keys, dem, _ = self._groups(beta)
        _, val, side = bipartite_max_flow(dem, [sorted(k) for k in keys], np.where(self.avail, self.s, 0.0))
        return val >= float(dem.sum()) - self.tol, side

    def next_event(self, beta0: float) -> tuple[float, frozenset[int]] | None:
        """Return (beta, B): the next sell-out level below ``beta0`` and its bottleneck set, or None.

        Starts from B = all available objects and, while the min-cut check at B's critical
        level finds an over-demanded set, moves to that set (whose critical level is higher):
        the levels increase strictly, so this stops at the first set to sell out.
        """
        B = frozenset(np.flatnonzero(self.avail).tolist())
        if not B:
            return None
        beta_b = self._critical(self._members(B), float(self.s[list(B)].sum()), beta0)
        for _ in range(4 * self.m + 8):
            check = max(beta_b, self.bottom)
            ok, side = self._feasible(check)
            if ok:
                break
            B2 = frozenset(np.flatnonzero(side & self.avail).tolist())
            beta2 = self._critical(self._members(B2), float(self.s[list(B2)].sum()), beta0)
            if not beta2 > check or B2 == B:
                break  # numerical tie: the set found is tight at this level
            B, beta_b = B2, beta2
        if beta_b <= self.bottom + 1e-13:
            return None  # demand reaches supply at most when every sub-agent is in: prices stay 0
        return beta_b, B

    def assign(self, beta: float, A: np.ndarray, objects: Sequence[int]) -> None:
        """Split the phase consumption of the types A over ``objects`` by a feasible flow and record it."""
        if A.size == 0:
            return
        keys, dem, members = self._groups(beta, A)
        cap = np.zeros(self.m)
        cap[list(objects)] = self.s[list(objects)]
        flow, val, _ = bipartite_max_flow(dem, [sorted(k) for k in keys], cap)
        if val < dem.sum() - 1e3 * self.tol:
            raise InvariantError(f"SEM solver: cannot route demand {dem.sum():.12g} within supply ({val:.12g})")
        W = self.cum(beta)
        for g, mem in enumerate(members):
            d_i = W[mem] - self.F[mem]
            tot = d_i.sum()
            if tot <= 0:
                continue
            self.alloc[np.asarray(mem)[:, None], np.arange(self.m)[None, :]] += np.outer(d_i / tot, flow[g])

    def run(self) -> None:
        beta = self.top
        while True:
            ev = self.next_event(beta)
            if ev is None:
                break
            beta, B = ev
            A = self._members(B)
            self.assign(beta, A, sorted(B))
            W = self.cum(beta)
            for x in B:
                self.sellout[x] = beta
                self.s[x] = 0.0
                self.avail[x] = False
            for i in range(len(self.target)):
                if self.target[i] & B:
                    self.target[i] = self.target[i] - B
            for i in A:
                self.F[i] = W[i]
                self._enter_class(int(i), int(self.cls[i]) + 1)
        # every sub-agent is in: remaining demand goes to the never-sold-out (price-0) members
        A = np.array([i for i in range(len(self.target)) if self.active[i] and not self.has_null[i]], dtype=np.int64)
        self.assign(self.bottom, A, np.flatnonzero(self.avail).tolist())
        W = self.cum(self.bottom)
        for i in np.flatnonzero(self.active & self.has_null):
            # the null option (price 0) is a cheapest member of the set: the whole phase goes to it
            self.alloc[i, self.m] += W[i] - self.F[i]

    def prices(self) -> np.ndarray:
        """p_x = the budget level at which x sells out; 0 if it never does."""
        return np.where(np.isfinite(self.sellout), self.sellout, 0.0)


def solve_ntb(problem: EquilibriumProblem) -> EquilibriumResult:
    """Return a (t)-equilibrium under no tie-breaking (Definition 1, Assumption 4).

    Follows the descending-budget process of the module docstring. Every type with positive
    mass gets its share of the process's allocation; a type with mass zero (a report outside
    the type space, footnote 2) gets the selection of L_i(p) at the equilibrium prices that
    splits each tie equally (the null option taking a tie it belongs to).
    """
    proc = _Process(problem)
    proc.run()
    prices = proc.prices()
    lots = np.zeros_like(proc.alloc)
    pos = problem.masses > 0
    lots[pos] = proc.alloc[pos] / problem.masses[pos, None]
    budgets = problem.budgets
    for i in np.flatnonzero(~pos):
        lots[i] = lottery_demand(problem.orders[i], budgets[i], prices, problem.shock).selection()
    err = clearing_error(problem, prices, lots)
    return EquilibriumResult(prices, lots, err, "none", sellout_level=proc.sellout.copy())


def extended_probabilistic_serial(orders: Sequence[WeakOrder], supply: Sequence[float],
                                  masses: Sequence[float] | None = None) -> np.ndarray:
    """Return the Extended Probabilistic Serial allocation (Katta and Sethuraman 2006).

    Static reference for one period (SEM paper, Section 4.2): every agent eats, at unit speed
    over [0, 1], from her best class with remaining supply; sets of objects whose demand
    reaches their supply sell out together (the bottleneck sets of the parametric flow) and
    an agent whose class keeps members outside the bottleneck eats those. Returns the
    (agents, n_objects + 1) matrix of lotteries (null last). It is the descending-budget
    process of :func:`solve_ntb` with a single period, so it shares that code.
    """
    orders = tuple(orders)
    require(len(orders) > 0, "orders", [], "at least one agent")
    w = np.ones(len(orders)) if masses is None else np.asarray(masses, dtype=np.float64)
    pb = EquilibriumProblem(orders, w, np.zeros(len(orders), dtype=np.int64), (1.0,),
                            np.asarray(supply, dtype=np.float64), Shock())
    return solve_ntb(pb).lotteries


# ---------------------------------------------------------------------------------------
# Random tie-breaking
# ---------------------------------------------------------------------------------------
def rtb_demand(problem: EquilibriumProblem, prices: np.ndarray,
               zeta: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return (lotteries, errors) of every type under Assumption 5 at ``prices``.

    With ``zeta`` None: deterministic quadrature (:func:`~mechanisms.sem.demand.rtb_lottery_quad`),
    errors = |1 - sum of the lottery| per type (a rounding check; the rule is exact for
    uniform shocks). With fixed draws ``zeta`` (K, m + 1): Monte Carlo standard errors.
    """
    budgets = problem.budgets
    lots = np.zeros((len(problem.orders), problem.m + 1))
    errs = np.zeros_like(lots)
    for i, order in enumerate(problem.orders):
        if zeta is None:
            lots[i] = rtb_lottery_quad(order, budgets[i], prices, problem.shock)
            errs[i, -1] = abs(1.0 - lots[i].sum())
        else:
            lots[i], errs[i] = rtb_lottery(order, budgets[i], prices, problem.shock, zeta)
    return lots, errs


def solve_rtb(problem: EquilibriumProblem, zeta: np.ndarray | None = None, max_nfev: int = 400,
              gs_sweeps: int = 8) -> EquilibriumResult:
    """Return a (t)-equilibrium under random tie-breaking (Assumption 5).

    Demand is integrated by deterministic quadrature (``zeta`` None, the default: demand is
    continuous in p, Theorem 3 (ii)) or over K fixed draws ``zeta`` of shape (K, m + 1).
    Definition 1's complementarity (p >= 0, s - D(p) >= 0, p_x (s_x - D_x(p)) = 0) is written
    with the Fischer-Burmeister function and solved by ``scipy.optimize.root`` (``hybr``) from
    the NTB equilibrium of the same fundamentals, then (if the residual exceeds 1e-10)
    Gauss-Seidel price bisection sweeps; the better point is kept. Reports the clearing error
    (fixed draws cannot reach 1e-8: their demand jumps by mass/K where two members of a class
    swap order), the integration error (sum over types of mass times the per-type error of
    :func:`rtb_demand`) and Theorem 3 (i)'s condition.
    """
    from scipy.optimize import root

    ntb = solve_ntb(replace(problem, shock=Shock(problem.shock.kind, problem.shock.halfwidth)))
    s = problem.supply

    def agg(p: np.ndarray) -> np.ndarray:
        lots, _ = rtb_demand(problem, np.maximum(p, 0.0), zeta)
        return (problem.masses @ lots)[: problem.m]

    def fb(p: np.ndarray) -> np.ndarray:
        slack = s - agg(p)
        return p + slack - np.sqrt(p * p + slack * slack)

    best_p = ntb.prices.copy()
    best = float(np.abs(fb(best_p)).max(initial=0.0))
    sol = root(fb, best_p, method="hybr", options={"maxfev": max_nfev})
    cand = np.maximum(sol.x, 0.0)
    val = float(np.abs(fb(cand)).max(initial=0.0))
    if val < best:
        best_p, best = cand, val
    if best > 1e-10:
        # fallback: Gauss-Seidel price bisection (own demand is non-increasing in own price and
        # demand is gross-substitutes, so sweeps converge); keep whichever point is better
        pmax = max(problem.level_budgets) - problem.shock.xi_lower + 1e-9
        cand = _gauss_seidel(agg, s, best_p, pmax, sweeps=gs_sweeps)
        val = float(np.abs(fb(cand)).max(initial=0.0))
        if val < best:
            best_p, best = cand, val
    lots, errs = rtb_demand(problem, best_p, zeta)
    err = clearing_error(problem, best_p, lots)
    integ = float((problem.masses[:, None] * errs).sum(axis=0).max(initial=0.0))
    gap, ok = theorem3_condition(best_p, problem.shock.z)
    return EquilibriumResult(best_p, lots, err, "random", integration_error=integ, theorem3_gap=gap,
                             theorem3_ok=ok, info={"root_success": bool(sol.success), "ntb_prices": ntb.prices,
                                                   "integration": "draws" if zeta is not None else "quadrature"})


def _gauss_seidel(agg, s: np.ndarray, p0: np.ndarray, pmax: float, sweeps: int, steps: int = 30) -> np.ndarray:
    """Return prices after ``sweeps`` rounds of clearing each object's market by bisection on its price."""
    p = p0.copy()
    for _ in range(sweeps):
        old = p.copy()
        for x in range(s.size):
            q = p.copy()
            q[x] = 0.0
            if agg(q)[x] <= s[x]:
                p[x] = 0.0
                continue
            lo, hi = 0.0, pmax
            for _ in range(steps):
                q[x] = 0.5 * (lo + hi)
                if agg(q)[x] > s[x]:
                    lo = q[x]
                else:
                    hi = q[x]
            p[x] = hi
        if np.max(np.abs(p - old), initial=0.0) < 1e-10:
            break
    return p


def theorem3_condition(prices: np.ndarray, z: float) -> tuple[float | None, bool]:
    """Return (smallest |p_x - p_y| over positively priced pairs, whether it exceeds 2z).

    Theorem 3 (i): under Assumption 5 the equilibrium allocation is ordinally efficient when
    every pair of positively priced objects is more than 2z apart. (None, True) when fewer
    than two objects have positive prices.
    """
    pos = np.sort(prices[prices > TIE_TOL])
    if pos.size < 2:
        return None, True
    gap = float(np.diff(pos).min())
    return gap, bool(gap > 2 * z)


def solve_equilibrium(problem: EquilibriumProblem, zeta: np.ndarray | None = None) -> EquilibriumResult:
    """Return a (t)-equilibrium: :func:`solve_ntb` under Assumption 4, :func:`solve_rtb` under 5.

    Under Assumption 5, ``zeta`` None integrates by quadrature, else over the fixed draws.
    """
    if problem.shock.tie_breaking == "none":
        return solve_ntb(problem)
    return solve_rtb(problem, zeta)


# ---------------------------------------------------------------------------------------
# Independent check of Definition 1
# ---------------------------------------------------------------------------------------
def check_equilibrium(problem: EquilibriumProblem, result: EquilibriumResult, tol: float = 1e-8) -> dict[str, Any]:
    """Return Definition 1's conditions for ``result`` checked from the demand formula.

    Under NTB every type's lottery must be a selection of L_i(p) computed by
    :func:`~mechanisms.sem.demand.lottery_demand` (class masses from H's CDF, mass only on the
    cheapest members of a class), aggregate demand within supply, and equal to supply where
    p_x > 0. Returns a dict with ``ok``, ``clearing_error``, ``selection_ok`` and the types
    whose lotteries are not selections (``bad_types``).
    """
    budgets = problem.budgets
    bad = []
    if result.tie_breaking == "none":
        for i, order in enumerate(problem.orders):
            L = lottery_demand(order, budgets[i], result.prices, problem.shock)
            if not L.contains(result.lotteries[i], tol=max(tol, 1e-9)):
                bad.append(i)
    err = clearing_error(problem, result.prices, result.lotteries)
    rows_ok = bool(np.allclose(result.lotteries.sum(axis=1), 1.0, atol=1e-9)) and bool(np.all(result.lotteries >= -1e-12))
    return {"ok": not bad and err <= tol and rows_ok and bool(np.all(result.prices >= 0)),
            "clearing_error": err, "selection_ok": not bad, "bad_types": bad, "rows_ok": rows_ok}
