"""Solvers of the offline problem (1): max v(S) s.t. sum_{i in S} c_i <= B (Section 2).

- :func:`offline_opt`: the exact optimum v(S*), by a mixed-integer linear program (scipy's
  HiGHS) for every valuation with a linear formulation (additive, coverage, budget-additive,
  facility location, cut, coverage minus cost) and by brute force over subsets for small n
  otherwise. It is the benchmark OPT of the empirical ratios.
- :func:`sviridenko`: Sviridenko's (1 - 1/e)-approximation for a monotone submodular v under
  one knapsack constraint (partial enumeration of all sets of at most 3 elements plus density
  greedy), the algorithm Mechanism 3, line 7 and Mechanism 4, line 7 name for T_1.
- :func:`greedy_singleton`: the better of the density greedy and the best feasible single
  seller, a (1 - 1/e)/2-approximation (Khuller, Moss and Naor 1999; Krause and Guestrin 2005)
  in O(n log n) value queries with lazy evaluation: the documented fast variant for large
  samples.
- :func:`solve_sample`: the dispatcher the mechanisms call, returning T_1 and the guarantee
  gamma of the algorithm actually used (the factor (e-1)/e of Lemma 4 / Theorem 4 becomes
  gamma when the fast variant runs; see :mod:`mechanisms.procurement.bounds`).
"""
from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ConfigError, require
from .valuations import (Additive, BudgetAdditive, CoverageMinusCost, Cut, FacilityLocation, Valuation,
                         WeightedCoverage)

#: Approximation guarantee of Sviridenko's algorithm (Sviridenko 2004).
SVIRIDENKO_GUARANTEE = 1.0 - 1.0 / math.e
#: Guarantee of max(density greedy, best singleton) (Khuller-Moss-Naor 1999).
GREEDY_SINGLETON_GUARANTEE = (1.0 - 1.0 / math.e) / 2.0
SAMPLE_SOLVERS = ("auto", "sviridenko", "greedy_singleton")


@dataclass(frozen=True)
class Solution:
    """A feasible set of sellers, its value, and how it was found.

    ``guarantee`` is the proven approximation factor of the method (1.0 for exact methods).
    """

    value: float
    sellers: tuple[int, ...]
    method: str
    guarantee: float


def _check_costs(costs: Sequence[float], budget: float, n: int) -> np.ndarray:
    c = np.asarray(costs, dtype=np.float64).ravel()
    require(c.size == n, "costs", c.size, f"one cost per seller ({n})")
    require(bool(np.all(np.isfinite(c))) and bool(np.all(c >= 0)), "costs", c.tolist()[:10],
            "finite non-negative costs")
    require(isinstance(budget, (int, float, np.integer, np.floating)) and not isinstance(budget, bool)
            and math.isfinite(budget) and budget > 0, "budget", budget, "a finite positive number")
    return c


# ---------------------------------------------------------------------------------------------
# exact optimum
def _milp(valuation: Valuation, c: np.ndarray, B: float, time_limit: float | None) -> tuple[float, np.ndarray] | None:
    """Return (value, x) of the MILP of problem (1) for valuations with a linear formulation."""
    from scipy.optimize import Bounds, LinearConstraint, milp  # lazy: keeps `import mechanisms` light

    n = valuation.n
    knap = (c, -np.inf, B)
    extra_cons: list[tuple[sp.spmatrix, np.ndarray, np.ndarray]] = []
    if isinstance(valuation, Additive):
        obj = valuation.a.copy()
        n_aux, aux_obj, aux_ub = 0, np.zeros(0), np.zeros(0)
    elif isinstance(valuation, (WeightedCoverage, CoverageMinusCost)):
        cov = valuation.cov if isinstance(valuation, CoverageMinusCost) else valuation
        obj = -valuation.kappa if isinstance(valuation, CoverageMinusCost) else np.zeros(n)
        # y_e <= sum_{i covers e} x_i, only for elements someone covers with positive weight
        keep = np.flatnonzero((np.asarray(cov.A.sum(axis=0)).ravel() > 0) & (cov.w > 0))
        n_aux, aux_obj, aux_ub = keep.size, cov.w[keep], np.ones(keep.size)
        At = cov.A[:, keep].T.tocsr()
        extra_cons.append((sp.hstack([-At, sp.identity(n_aux)]).tocsr(), np.full(n_aux, -np.inf), np.zeros(n_aux)))
    elif isinstance(valuation, BudgetAdditive):
        obj = np.zeros(n)
        n_aux, aux_obj, aux_ub = 1, np.ones(1), np.array([valuation.cap])
        extra_cons.append((sp.csr_matrix(np.concatenate([-valuation.a, [1.0]])[None, :]), np.array([-np.inf]), np.zeros(1)))
    elif isinstance(valuation, FacilityLocation):
        U = valuation.U
        cl, fa = np.nonzero(U > 0)
        k = cl.size
        obj = np.zeros(n)
        n_aux, aux_obj, aux_ub = k, U[cl, fa], np.ones(k)
        # each client served at most once: sum_i y_ci <= 1
        serve = sp.csr_matrix((np.ones(k), (cl, np.arange(k))), shape=(valuation.n_clients, k))
        extra_cons.append((sp.hstack([sp.csr_matrix((valuation.n_clients, n)), serve]).tocsr(),
                           np.full(valuation.n_clients, -np.inf), np.ones(valuation.n_clients)))
        # y_ci <= x_i
        link = sp.hstack([-sp.csr_matrix((np.ones(k), (np.arange(k), fa)), shape=(k, n)), sp.identity(k)]).tocsr()
        extra_cons.append((link, np.full(k, -np.inf), np.zeros(k)))
    elif isinstance(valuation, Cut):
        u, v, w = valuation.edges
        k = u.size
        obj = np.zeros(n)
        n_aux, aux_obj, aux_ub = k, w, np.ones(k)
        r = np.arange(k)
        X = sp.csr_matrix((np.ones(2 * k), (np.concatenate([r, r]), np.concatenate([u, v]))), shape=(k, n))
        # z_e <= x_u + x_v and z_e <= 2 - x_u - x_v: at the optimum z_e = [edge e is cut]
        extra_cons.append((sp.hstack([-X, sp.identity(k)]).tocsr(), np.full(k, -np.inf), np.zeros(k)))
        extra_cons.append((sp.hstack([X, sp.identity(k)]).tocsr(), np.full(k, -np.inf), np.full(k, 2.0)))
    else:
        return None
    nv = n + n_aux
    cost_row = sp.csr_matrix(np.concatenate([c, np.zeros(n_aux)])[None, :])
    cons = [LinearConstraint(cost_row, knap[1], knap[2])]
    cons += [LinearConstraint(A, lb, ub) for A, lb, ub in extra_cons]
    integrality = np.concatenate([np.ones(n), np.zeros(n_aux)])
    full_obj = np.concatenate([obj, aux_obj])
    opts = {"disp": False, "mip_rel_gap": 1e-9}
    if time_limit is not None:
        opts["time_limit"] = float(time_limit)
    res = milp(-full_obj, constraints=cons, integrality=integrality,
               bounds=Bounds(np.zeros(nv), np.concatenate([np.ones(n), aux_ub])), options=opts)
    if res.x is None:
        raise RuntimeError(f"MILP for problem (1) failed: {res.message}")
    x = np.round(res.x[:n]).astype(bool)
    return float(valuation.value(np.flatnonzero(x))), np.flatnonzero(x)


def brute_force(valuation: Valuation, costs: Sequence[float], budget: float, max_n: int = 20) -> Solution:
    """Return the exact optimum of problem (1) by enumerating every feasible subset.

    Raises :class:`ConfigError` when n exceeds ``max_n`` (2^n subsets).
    """
    n = valuation.n
    c = _check_costs(costs, budget, n)
    require(n <= max_n, "n", n, f"at most max_n={max_n} sellers for brute force")
    # cost of every subset mask, built by doubling
    cost = np.zeros(1)
    for i in range(n):
        cost = np.concatenate([cost, cost + c[i]])
    feasible = np.flatnonzero(cost <= budget * (1 + 1e-12))
    best_v, best_S = 0.0, ()
    for mask in feasible:
        S = tuple(i for i in range(n) if (mask >> i) & 1)
        val = valuation.value(S) if S else 0.0
        if val > best_v + 1e-12:
            best_v, best_S = val, S
    return Solution(best_v, best_S, "brute_force", 1.0)


def offline_opt(valuation: Valuation, costs: Sequence[float], budget: float, method: str = "auto",
                max_brute_n: int = 20, time_limit: float | None = None) -> Solution:
    """Return v(S*) and S*, the optimum of problem (1) (Section 2) for the costs ``costs``.

    ``method`` is ``"milp"`` (scipy HiGHS; valuations with a linear formulation), ``"brute"``
    (n <= ``max_brute_n``) or ``"auto"`` (MILP when available, else brute force).
    """
    require(method in ("auto", "milp", "brute"), "method", method, 'one of "auto", "milp", "brute"')
    c = _check_costs(costs, budget, valuation.n)
    if method in ("auto", "milp"):
        out = _milp(valuation, c, float(budget), time_limit)
        if out is not None:
            return Solution(out[0], tuple(int(i) for i in out[1]), "milp", 1.0)
        if method == "milp":
            raise ConfigError("method", method, f"a valuation with a linear formulation (got {type(valuation).__name__})")
    return brute_force(valuation, c, float(budget), max_brute_n)


# ---------------------------------------------------------------------------------------------
# approximation algorithms for the sample (Mechanism 3/4, line 7)
def _density(marg: np.ndarray, cost: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        d = marg / cost
    # a free seller with positive marginal comes first; one with no gain never
    return np.where(cost > 0, d, np.where(marg > 0, np.inf, -np.inf))


def density_greedy(valuation: Valuation, candidates: Sequence[int], costs: np.ndarray, budget: float,
                   start: Sequence[int] = (), lazy: bool = True) -> tuple[float, list[int]]:
    """Return (value, set) of Sviridenko's greedy from the set ``start``.

    Repeatedly take the candidate of largest density v(i|S)/c_i; add it when it fits in the
    remaining budget, otherwise discard it; stop when no candidate with a positive marginal
    is left (adding a zero or negative marginal never helps). ``costs`` is indexed by seller
    id. ``lazy`` uses Minoux's lazy evaluation, exact for submodular v (marginals only fall).
    """
    st = valuation.state()
    chosen = []
    for i in start:
        st.add(int(i))
        chosen.append(int(i))
    rem = budget - float(sum(costs[i] for i in chosen))
    cand = np.array([int(i) for i in candidates if int(i) not in set(chosen)], dtype=np.int64)
    if cand.size == 0:
        return st.value, chosen
    if lazy:
        d0 = _density(st.marginals(cand), costs[cand])
        heap = [(-d, int(i)) for d, i in zip(d0, cand) if d > 0]
        heapq.heapify(heap)
        while heap:
            _, i = heapq.heappop(heap)
            if costs[i] > rem:
                continue  # never fits again: discard (Sviridenko's rule)
            m = st.marginal(i)
            ci = float(costs[i])
            d = m / ci if ci > 0 else (math.inf if m > 0 else -math.inf)
            if d <= 0:
                continue
            if heap and d < -heap[0][0]:
                heapq.heappush(heap, (-d, i))
                continue
            st.add(i)
            chosen.append(i)
            rem -= costs[i]
        return st.value, chosen
    alive = np.ones(cand.size, dtype=bool)
    while alive.any():
        pos = np.flatnonzero(alive)
        idx = cand[pos]
        d = _density(st.marginals(idx), costs[idx])
        order = np.argsort(-d, kind="stable")
        picked = False
        for r in order:
            if d[r] <= 0:
                break
            i = int(idx[r])
            alive[pos[r]] = False  # added or, when it does not fit, discarded for good
            if costs[i] <= rem:
                st.add(i)
                chosen.append(i)
                rem -= costs[i]
                picked = True
                break
        if not picked:
            break
    return st.value, chosen


def greedy_singleton(valuation: Valuation, candidates: Sequence[int], costs: np.ndarray, budget: float) -> Solution:
    """Return the better of the density greedy and the best feasible singleton.

    A (1 - 1/e)/2-approximation of problem (1) restricted to ``candidates`` for monotone
    submodular v (Khuller, Moss and Naor 1999); the fast variant for large samples.
    """
    cand = np.asarray([int(i) for i in candidates if costs[int(i)] <= budget], dtype=np.int64)
    if cand.size == 0:
        return Solution(0.0, (), "greedy_singleton", GREEDY_SINGLETON_GUARANTEE)
    gv, gS = density_greedy(valuation, cand, costs, budget, lazy=True)
    single = valuation.state().marginals(cand)
    j = int(np.argmax(single))
    if single[j] > gv:
        return Solution(float(single[j]), (int(cand[j]),), "greedy_singleton", GREEDY_SINGLETON_GUARANTEE)
    return Solution(float(gv), tuple(gS), "greedy_singleton", GREEDY_SINGLETON_GUARANTEE)


def sviridenko(valuation: Valuation, candidates: Sequence[int], costs: np.ndarray, budget: float) -> Solution:
    """Return Sviridenko's (1 - 1/e)-approximate solution of problem (1) on ``candidates``.

    Partial enumeration (Sviridenko 2004): every feasible set of at most 2 candidates is a
    solution; every feasible set of exactly 3 is completed by the density greedy
    (:func:`density_greedy`); the best set found is returned. O(n^5) value queries.
    """
    cand = [int(i) for i in candidates if costs[int(i)] <= budget]
    best = Solution(0.0, (), "sviridenko", SVIRIDENKO_GUARANTEE)
    for size in (1, 2):
        for U in itertools.combinations(cand, size):
            if sum(costs[i] for i in U) <= budget:
                val = valuation.value(U)
                if val > best.value:
                    best = Solution(val, U, "sviridenko", SVIRIDENKO_GUARANTEE)
    for U in itertools.combinations(cand, 3):
        if sum(costs[i] for i in U) <= budget:
            val, S = density_greedy(valuation, cand, costs, budget, start=U, lazy=False)
            if val > best.value:
                best = Solution(val, tuple(S), "sviridenko", SVIRIDENKO_GUARANTEE)
    return best


def solve_sample(valuation: Valuation, candidates: Sequence[int], costs: np.ndarray, budget: float,
                 solver: str = "auto", sviridenko_max: int = 12) -> Solution:
    """Return T_1, the approximate solution of (1) on the sample N_1 (Mechanism 3, line 7).

    ``solver``: ``"sviridenko"`` always; ``"greedy_singleton"`` always; ``"auto"``
    Sviridenko when the sample has at most ``sviridenko_max`` sellers, else the fast variant.
    The returned ``guarantee`` is that of the algorithm actually run.
    """
    if solver == "sviridenko" or (solver == "auto" and len(candidates) <= sviridenko_max):
        return sviridenko(valuation, candidates, costs, budget)
    return greedy_singleton(valuation, candidates, costs, budget)


def solver_guarantee(solver: str, n: int, sviridenko_max: int = 12) -> float:
    """Return the guarantee gamma of ``solver`` on samples of at most n sellers (worst case)."""
    require(solver in SAMPLE_SOLVERS, "sample_solver", solver, f"one of {list(SAMPLE_SOLVERS)}")
    if solver == "sviridenko" or (solver == "auto" and n <= sviridenko_max):
        return SVIRIDENKO_GUARANTEE
    return GREEDY_SINGLETON_GUARANTEE
