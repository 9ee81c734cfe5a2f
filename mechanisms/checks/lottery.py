"""Checkers for lottery allocations over objects (SEM paper, Sections 2, 2.1 and 3.3).

Plain functions over arrays, reusable by the auditor:

- :func:`stochastically_dominates` / :func:`sup_norm`: the SD extension of a weak order to
  lotteries (Section 2, item 5) and the infinity norm of Definitions 4 and 6.
- :func:`ordinal_efficiency_lp`: is there a feasible allocation that SD-dominates every agent's
  lottery and one strictly (Section 2, ordinal efficiency)? One linear program (HiGHS).
- :func:`equal_type_envy_violations`: Definition 3 with the order "earlier arrival first".
- :func:`greedy_violations`: the greedy online mechanism of Section 2.1, checked ex post.
- :func:`sd_improvement` and :func:`single_arrival_sp_violations`: strategyproofness (Section
  2.1; Theorem 5, Claim 5) by full replays with one report changed.

Lotteries are arrays over the options (real objects, then the null option last).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import InvariantError, require
from ..preferences import WeakOrder

#: Probability tolerance of the comparisons.
LOTTERY_TOL = 1e-9
#: Supply tolerance when checking that an allocation handed to the LP is feasible (well inside
#: HiGHS's own 1e-7 feasibility tolerance, so a feasible input is a feasible LP point).
FEASIBILITY_TOL = 1e-8


def _lot(a: Sequence[float] | np.ndarray, n: int, field: str) -> np.ndarray:
    v = np.asarray(a, dtype=np.float64)
    require(v.shape == (n,), field, v.shape, f"a lottery over {n} options (null last)")
    return v


def stochastically_dominates(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, order: WeakOrder,
                             strict: bool = False, tol: float = LOTTERY_TOL) -> bool:
    """Return True when lottery ``a`` stochastically dominates ``b`` under ``order`` (Section 2, item 5).

    For every option x, the probability of getting something weakly preferred to x is at
    least as large under ``a``. With ``strict``, also larger for some x (a strictly dominates b).
    """
    n = order.n_objects + 1
    U = order.upper_contour_matrix()
    diff = U @ (_lot(a, n, "a") - _lot(b, n, "b"))
    if np.any(diff < -tol):
        return False
    return bool(np.any(diff > tol)) if strict else True


def sup_norm(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Return ||a - b||_inf, the largest absolute difference of probabilities (Definitions 4, 6)."""
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)), initial=0.0))


def sd_improvement(true_order: WeakOrder, truthful: Sequence[float] | np.ndarray,
                   deviation: Sequence[float] | np.ndarray, tol: float = LOTTERY_TOL) -> bool:
    """Return True when the deviation's lottery strictly SD-dominates the truthful one (a profitable misreport)."""
    return stochastically_dominates(deviation, truthful, true_order, strict=True, tol=tol)


def _sd_program(orders: Sequence[WeakOrder], lotteries: np.ndarray, supply: Sequence[float],
                masses: Sequence[float] | None, tol: float):
    """Return the pieces of the SD-improvement LP of :func:`ordinal_efficiency_lp`.

    (c, A_ub, b_ub, A_eq, base, n): minimising c x is maximising the weighted sum of every
    agent's cumulative SD sums (``base`` is that sum for the given allocation); rows of A_ub are
    "a'_i SD-dominates a_i", then supply; A_eq makes each row a lottery; n options per agent.
    """
    from scipy.sparse import lil_matrix

    orders = list(orders)
    A = np.asarray(lotteries, dtype=np.float64)
    n_ag = len(orders)
    require(n_ag > 0, "orders", [], "at least one agent")
    n = orders[0].n_objects + 1
    require(A.shape == (n_ag, n), "lotteries", A.shape, f"({n_ag}, {n})")
    w = np.ones(n_ag) if masses is None else np.asarray(masses, dtype=np.float64)
    s = np.asarray(supply, dtype=np.float64)
    require(s.shape == (n - 1,), "supply", s.tolist(), f"{n - 1} supplies")
    # Section 2: ordinal efficiency is a property of a feasible allocation; an infeasible one
    # (or one whose rows are not lotteries) is outside the definition, not "efficient"
    require(bool(np.all(A >= -tol)) and bool(np.allclose(A.sum(axis=1), 1.0, atol=tol)), "lotteries",
            A.round(6).tolist(), "rows of non-negative probabilities summing to 1")
    used = (w @ A)[: n - 1]
    require(bool(np.all(used <= s + FEASIBILITY_TOL)), "lotteries", used.round(9).tolist(),
            f"a feasible allocation (sum_i mass_i a_i <= supply {s.tolist()})")
    Us = [o.upper_contour_matrix() for o in orders]
    n_sd = sum(U.shape[0] for U in Us)
    nv = n_ag * n
    c = np.zeros(nv)
    ub = lil_matrix((n_sd + n - 1, nv))
    b_ub = np.zeros(n_sd + n - 1)
    row = 0
    for i, U in enumerate(Us):
        c[i * n:(i + 1) * n] = -w[i] * U.sum(axis=0)
        for k in range(U.shape[0]):
            ub[row, i * n:(i + 1) * n] = -U[k]
            b_ub[row] = -(U[k] @ A[i])
            row += 1
    for x in range(n - 1):
        for i in range(n_ag):
            ub[row, i * n + x] = w[i]
        b_ub[row] = s[x]
        row += 1
    eq = lil_matrix((n_ag, nv))
    for i in range(n_ag):
        eq[i, i * n:(i + 1) * n] = 1.0
    base = float(sum(w[i] * Us[i].sum(axis=0) @ A[i] for i in range(n_ag)))
    return c, ub, b_ub, eq, base, n


def ordinal_efficiency_lp(orders: Sequence[WeakOrder], lotteries: np.ndarray, supply: Sequence[float],
                          masses: Sequence[float] | None = None,
                          tol: float = 1e-7) -> tuple[bool, np.ndarray | None, float]:
    """Return (efficient, dominating allocation or None, total SD gain) for a lottery allocation.

    Section 2: an allocation a is ordinally efficient if no feasible a' (rows are lotteries,
    sum_i mass_i a'_i <= S on real objects) has a'_i SD-dominating a_i for every agent and
    strictly for one. The LP maximises sum_i mass_i sum_k U_ik (a'_i - a_i) subject to
    U_i a'_i >= U_i a_i for every agent i and cutoff class k; a positive optimum is a strict
    improvement. The null option has unbounded supply.

    Raises ConfigError when the given allocation is not a feasible lottery allocation (the
    definition does not apply) and InvariantError when the LP solver fails.
    """
    from scipy.optimize import linprog

    c, ub, b_ub, eq, base, n = _sd_program(orders, lotteries, supply, masses, tol)
    n_ag = eq.shape[0]
    res = linprog(c, A_ub=ub.tocsr(), b_ub=b_ub, A_eq=eq.tocsr(), b_eq=np.ones(n_ag), bounds=(0, None),
                  method="highs")
    if res.status != 0:
        # the given (feasible) allocation is itself a feasible point, so a failure is the
        # solver's: never report it as "efficient"
        raise InvariantError(f"ordinal_efficiency_lp: the LP failed ({res.status}: {res.message})")
    gain = float(-res.fun - base)
    if gain > tol:
        return False, res.x.reshape(n_ag, n), gain
    return True, None, gain


def efficient_distance_bound(orders: Sequence[WeakOrder], lotteries: np.ndarray, supply: Sequence[float],
                             masses: Sequence[float] | None = None,
                             tol: float = 1e-7) -> tuple[float, np.ndarray | None]:
    """Return (d, a*): an ordinally efficient allocation a* with ||a - a*||_inf = d (SEM Definition 4).

    d is an upper bound on the sup-norm distance from the allocation ``lotteries`` to the set of
    ordinally efficient allocations (Section 2), the quantity Definition 4 asks to vanish. Two
    LPs: the first finds the largest total SD gain G* of :func:`ordinal_efficiency_lp` (0: the
    allocation is efficient, d = 0, a* = a); the second finds, among the allocations that
    SD-dominate a and reach gain G*, the nearest to a. Every such allocation is ordinally
    efficient: a strict SD improvement on it would dominate a and gain more than G*. The bound
    is not the exact distance (an efficient allocation that does not dominate a may be nearer).
    """
    from scipy.optimize import linprog
    from scipy.sparse import hstack, lil_matrix, vstack

    A = np.asarray(lotteries, dtype=np.float64)
    efficient, _, gain = ordinal_efficiency_lp(orders, A, supply, masses, tol)
    if efficient:
        return 0.0, A.copy()
    c, ub, b_ub, eq, base, n = _sd_program(orders, A, supply, masses, tol)
    n_ag, nv = eq.shape
    # variables (a', t): minimise t subject to |a' - a| <= t, the SD rows, supply, gain >= G* - slack
    slack = 0.01 * tol * max(1.0, abs(base))  # far inside tol, so a* passes ordinal_efficiency_lp
    gain_row = lil_matrix((1, nv))
    gain_row[0, :] = c
    eye = lil_matrix((nv, nv))
    eye.setdiag(1.0)
    rows = vstack([ub, gain_row, eye, -eye]).tocsr()
    tcol = np.concatenate([np.zeros(ub.shape[0] + 1), -np.ones(2 * nv)])
    A_ub = hstack([rows, tcol[:, None]]).tocsr()
    flat = A.ravel()
    b = np.concatenate([b_ub, [-(base + gain) + slack], flat, -flat])
    obj = np.zeros(nv + 1)
    obj[-1] = 1.0
    A_eq = hstack([eq, np.zeros((n_ag, 1))]).tocsr()
    res = linprog(obj, A_ub=A_ub, b_ub=b, A_eq=A_eq, b_eq=np.ones(n_ag), bounds=(0, None), method="highs")
    if res.status != 0:
        raise InvariantError(f"efficient_distance_bound: the LP failed ({res.status}: {res.message})")
    star = res.x[:-1].reshape(n_ag, n)
    return float(np.abs(star - A).max()), star


def equal_type_envy_violations(orders: Sequence[WeakOrder], lotteries: np.ndarray, ticks: Sequence[int],
                               tol: float = LOTTERY_TOL) -> list[tuple[int, int]]:
    """Return the pairs (i, j) where i envies j although j did not arrive strictly earlier.

    Definition 3 with the order the paper uses (Theorem 4: the type of an agent is her arrival
    time, earlier arrivals ranked higher): a(j) strictly SD-dominating a(i) under i's order is
    allowed only when t_j < t_i. An empty list means equal-type envy-free.
    """
    A = np.asarray(lotteries, dtype=np.float64)
    out = []
    for i, oi in enumerate(orders):
        U = oi.upper_contour_matrix()
        base = U @ A[i]
        for j in range(len(orders)):
            if j == i or ticks[j] < ticks[i]:
                continue
            diff = U @ A[j] - base
            if np.all(diff >= -tol) and np.any(diff > tol):
                out.append((i, j))
    return out


def greedy_violations(orders: Sequence[WeakOrder], ticks: Sequence[int], lotteries: Sequence[Sequence[float] | None],
                      objects: Sequence[int], supply: Sequence[float], tol: float = LOTTERY_TOL) -> list[dict[str, Any]]:
    """Return the greedy violations of an online run (Section 2.1; Theorem 5, Claim 6).

    Greedy: if agent i (arriving at t_i) gets y with positive probability and prefers x to y,
    then x's supply is used up by the agents up to t_i: earlier agents' realised objects plus
    the period's lotteries cover s_x. Checked ex post too: no agent arriving after t_i
    receives x. ``lotteries[k]`` may be None (a deterministic mechanism): the realised object
    ``objects[k]`` is then the lottery. Returns one dict per violation.
    """
    n_ag = len(orders)
    require(len(ticks) == n_ag == len(lotteries) == len(objects), "agents", n_ag,
            "one order, tick, lottery and object per agent")
    s = np.asarray(supply, dtype=np.float64)
    m = s.size
    lots = []
    for k in range(n_ag):
        if lotteries[k] is None:
            v = np.zeros(m + 1)
            v[objects[k]] = 1.0
        else:
            v = np.asarray(lotteries[k], dtype=np.float64)
        lots.append(v)
    L = np.array(lots) if lots else np.zeros((0, m + 1))
    ticks_a = np.asarray(ticks)
    realized = np.zeros((n_ag, m + 1))
    realized[np.arange(n_ag), np.asarray(objects, dtype=np.int64)] = 1.0
    out = []
    for k in range(n_ag):
        t = ticks_a[k]
        before = ticks_a < t
        now = ticks_a == t
        used = realized[before, :m].sum(axis=0) + L[now, :m].sum(axis=0)
        later = realized[ticks_a > t, :m].sum(axis=0)
        order = orders[k]
        for y in np.flatnonzero(L[k] > tol):
            for x in range(m):
                if order.rank[x] < order.rank[y]:
                    if used[x] < s[x] - 1e-7:
                        out.append({"agent": k, "tick": int(t), "got": int(y), "preferred": x,
                                    "kind": "lottery", "used": float(used[x]), "supply": float(s[x])})
                    elif later[x] > 0:
                        out.append({"agent": k, "tick": int(t), "got": int(y), "preferred": x,
                                    "kind": "ex_post", "later_units": float(later[x])})
    return out


def single_arrival_sp_violations(factory: Callable[[], Any], schedule: Sequence[Sequence[Any]], seed: int,
                                 misreports: Mapping[int, Sequence[WeakOrder]],
                                 true_types: Mapping[int, WeakOrder] | None = None,
                                 tol: float = LOTTERY_TOL) -> list[dict[str, Any]]:
    """Return the profitable misreports found by full replays (Section 2.1; Theorem 5, Claim 5).

    For every agent in ``misreports`` and each order listed for it, the schedule is replayed
    with the same seed and only that report changed; a violation is a deviation lottery
    that strictly SD-dominates the truthful one under the agent's true type (its report in
    ``schedule`` unless ``true_types`` says otherwise). Outcomes must carry lotteries.
    """
    from ..engine import run_schedule

    base = run_schedule(factory, schedule, seed, record_public=False)
    out = []
    for agent, alts in misreports.items():
        true = (true_types or {}).get(agent, base.report(agent).declared)
        truthful = np.asarray(base.outcomes[agent].lottery)
        for alt in alts:
            dev = run_schedule(factory, schedule, seed, deviations={agent: alt}, record_public=False)
            lot = np.asarray(dev.outcomes[agent].lottery)
            if sd_improvement(true, truthful, lot, tol):
                out.append({"agent": agent, "misreport": alt, "truthful": truthful.tolist(),
                            "deviation": lot.tolist(), "sup_norm": sup_norm(truthful, lot)})
    return out
