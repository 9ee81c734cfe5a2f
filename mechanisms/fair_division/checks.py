"""Fairness checkers of the fair-division paper, static and temporal (Definitions 2.3-2.5).

An allocation sequence is given by ``owner`` (owner[g] = the agent who got good g, goods in
arrival order): the partial allocation at time step t is A^t_i = {g < t : owner[g] = i}
(good g arrives at step g + 1). :func:`owner_from_outcomes` rebuilds it from a run's outcomes,
never from a mechanism's private state.

- rho-EFk (Definition 2.3): i is rho-EFk towards j when some S in A_j with |S| <= k has
  v_i(A_i) >= rho v_i(A_j minus S); the best S removes the k goods of A_j i values most.
- rho-PROP (Definition 2.4): v_i(A_i) >= rho v_i(S)/n with S the goods allocated so far.
- rho-MMS (Definition 2.4): v_i(A_i) >= rho mu_i^n(S), mu_i^n(S) the maximin share,
  computed exactly (:func:`maximin_share`): a combinatorial search with a certificate
  partition (:mod:`.mms`), falling back to a MILP (:func:`maximin_share_milp`, scipy HiGHS)
  when the search cannot prove its answer.
- temporal versions (Definition 2.5): the property at EVERY step t = 0..m
  (:func:`temporal_efk`, :func:`temporal_prop`, :func:`temporal_mms`); the EFk one is
  incremental, O(n) per step.

``rho`` may be one number or one per agent (guarantees of the paper differ by agent type,
Corollaries 4.4-4.5, and by sqrt(alpha_i) after the reduction of Theorem 6.1).
"""
from __future__ import annotations

import heapq
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from ..errors import InvariantError, require
from ..reports import GoodsOutcome, Outcome
from .mms import NODE_BUDGET, maximin_partition, validate_values
from .valuations import Interval, TwoValue, Valuation, guarantee_factor

#: Relative tolerance of the value comparisons (values are float sums).
REL_TOL = 1e-9


def owner_from_outcomes(outcomes: Mapping[int, Outcome] | Sequence[Outcome], n: int, m: int) -> np.ndarray:
    """Return owner[g] for the m goods from the agents' :class:`GoodsOutcome` s.

    Raises :class:`~mechanisms.errors.InvariantError` when the outcomes do not partition the
    goods 0..m-1 among agents 0..n-1 (a good twice, a good missing, an unknown agent).
    """
    outs = list(outcomes.values()) if isinstance(outcomes, Mapping) else list(outcomes)
    owner = np.full(m, -1, dtype=np.int64)
    for o in outs:
        if not isinstance(o, GoodsOutcome):
            raise InvariantError(f"agent {o.agent}: outcome {type(o).__name__} is not a GoodsOutcome")
        if not 0 <= o.agent < n:
            raise InvariantError(f"outcome of unknown agent {o.agent}")
        g = np.asarray(o.goods, dtype=np.int64)
        if g.size and (g.min() < 0 or g.max() >= m):
            raise InvariantError(f"agent {o.agent} holds a good outside 0..{m - 1}")
        if np.any(owner[g] >= 0) or np.unique(g).size != g.size:
            raise InvariantError(f"a good of agent {o.agent} is assigned twice")
        owner[g] = o.agent
    missing = np.flatnonzero(owner < 0)
    if missing.size:
        raise InvariantError(f"good {int(missing[0])} (of {missing.size} unassigned) was never allocated")
    return owner


def _rho(rho: float | Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    r = np.broadcast_to(np.asarray(rho, dtype=np.float64), (n,)).copy()
    require(bool(np.all((r >= 0) & np.isfinite(r))), "rho", rho, "non-negative finite factor(s)")
    return r


def value_matrix(valuations: Sequence[Valuation]) -> np.ndarray:
    """Return V with V[g, i] = v_i(g) (goods by agents)."""
    return np.ascontiguousarray(np.stack([v.values for v in valuations], axis=1))


# ---- static checks on one allocation --------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """The verdict of a check: ``ok``, the first failing step/agents, and the worst ratio found.

    ``step`` is the time step t of the first violation (None when ok); ``agent``/``other``
    the envious agent and the envied one (EFk) or the agent below its share (PROP/MMS).
    ``ratio`` is min over checked (step, agent[, other]) of v_i(A_i) / target (inf when no
    target was positive), the largest rho the allocation sequence satisfies.
    """

    ok: bool
    step: int | None = None
    agent: int | None = None
    other: int | None = None
    ratio: float = math.inf
    steps_checked: int = 0
    detail: str = ""
    failed_steps: tuple[int, ...] = field(default=(), repr=False)


def efk_pairs(V: np.ndarray, owner: np.ndarray, t: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (own, reduced) at step t: own[i] = v_i(A_i^t), reduced[i, j] = v_i(A_j^t) minus its top k goods."""
    n = V.shape[1]
    own = np.zeros(n)
    red = np.zeros((n, n))
    for j in range(n):
        goods = np.flatnonzero(owner[:t] == j)
        vals = V[goods]  # goods x agents
        tot = vals.sum(axis=0)
        if k > 0 and goods.size:
            top = -np.sort(-vals, axis=0)[:k].sum(axis=0)
        else:
            top = 0.0
        red[:, j] = tot - top
        own[j] = tot[j]
    return own, red


def is_efk(V: np.ndarray, owner: np.ndarray, t: int, k: int, rho: float | Sequence[float] = 1.0) -> bool:
    """Return True when A^t is rho-EFk (Definition 2.3), by the direct definition (slow, for tests)."""
    n = V.shape[1]
    r = _rho(rho, n)
    own, red = efk_pairs(V, owner, t, k)
    tol = REL_TOL * max(1.0, float(np.abs(V).max(initial=0.0)) * max(t, 1))
    bad = own[:, None] < r[:, None] * red - tol
    np.fill_diagonal(bad, False)
    return not bool(bad.any())


# ---- temporal EFk, incremental --------------------------------------------------------------
def temporal_efk_incremental(V: np.ndarray, owner: np.ndarray, k: int, rho: float | Sequence[float] = 1.0,
                             steps: Sequence[int] | None = None) -> Verdict:
    """Return whether A^t is rho-EFk at every step t = 0..m (Definition 2.5), or at ``steps`` only.

    The step-by-step reference of :func:`temporal_efk` (same verdict, slower). Incremental: when good g goes to j only column j (everyone's view of A_j, its top-k goods)
    and row j (j's own value) of the envy table change, so each step costs O(n k). The
    ``ratio`` is the smallest v_i(A_i)/v_i(A_j minus S) seen over the checked steps.
    """
    m, n = V.shape
    require(k >= 0, "k", k, "a non-negative integer")
    r = _rho(rho, n)
    check = np.ones(m + 1, dtype=bool) if steps is None else np.zeros(m + 1, dtype=bool)
    if steps is not None:
        s = np.asarray(list(steps), dtype=np.int64)
        check[s[(s >= 0) & (s <= m)]] = True
    W = np.zeros((n, n))
    top = np.zeros((k, n, n))  # top[q, i, j]: (q+1)-th largest v_i over A_j
    viol = np.zeros((n, n), dtype=bool)
    count = 0
    vmax = float(np.abs(V).max(initial=0.0))
    first: tuple[int, int, int] | None = None
    failed: list[int] = []
    worst = math.inf
    checked = 1 if check[0] else 0
    for g in range(m):
        t = g + 1
        j = int(owner[g])
        col = V[g]
        W[:, j] += col
        if k == 1:
            np.maximum(top[0, :, j], col, out=top[0, :, j])
        elif k == 2:
            hi = np.maximum(top[0, :, j], col)
            top[1, :, j] = np.maximum(top[1, :, j], np.minimum(top[0, :, j], col))
            top[0, :, j] = hi
        elif k > 2:
            stack = np.concatenate([top[:, :, j], col[None, :]], axis=0)
            top[:, :, j] = -np.sort(-stack, axis=0)[:k]
        tol = REL_TOL * max(1.0, vmax * t)
        own = np.diag(W)
        red_col = W[:, j] - (top[:, :, j].sum(axis=0) if k else 0.0)
        red_row = W[j, :] - (top[:, j, :].sum(axis=0) if k else 0.0)
        old = int(viol[:, j].sum() + viol[j, :].sum())
        viol[:, j] = own < r * red_col - tol
        viol[j, :] = own[j] < r[j] * red_row - tol
        viol[j, j] = False
        count += int(viol[:, j].sum() + viol[j, :].sum()) - old
        if check[t]:
            checked += 1
            if count:
                failed.append(t)
                if first is None:
                    i_, j_ = np.argwhere(viol)[0]
                    first = (t, int(i_), int(j_))
            # worst ratio over the pairs touched this step (others are unchanged since last time)
            with np.errstate(divide="ignore", invalid="ignore"):
                rc = np.where(red_col > tol, own / red_col, np.inf)
                rr = np.where(red_row > tol, own[j] / red_row, np.inf)
            rc[j] = np.inf
            rr[j] = np.inf
            rc[r == 0] = np.inf  # agents with rho_i = 0 are not judged
            if r[j] == 0:
                rr[:] = np.inf
            worst = min(worst, float(rc.min(initial=np.inf)), float(rr.min(initial=np.inf)))
    if first is None:
        return Verdict(True, ratio=worst, steps_checked=checked)
    t, i, j = first
    return Verdict(False, t, i, j, worst, checked,
                   f"at step {t} agent {i} is not {r[i]:.4g}-EF{k} towards agent {j} "
                   f"({len(failed)} failing step(s))", tuple(failed))


def _running_topk(X: np.ndarray, k: int) -> np.ndarray:
    """Return, per row r of X (goods by agents, in arrival order), the sum of the k largest of rows 0..r."""
    if k == 0 or X.shape[0] == 0:
        return np.zeros_like(X)
    m1 = np.maximum.accumulate(X, axis=0)
    if k == 1:
        return m1
    prev = np.vstack([np.full((1, X.shape[1]), -np.inf), m1[:-1]])
    m2 = np.maximum.accumulate(np.minimum(prev, X), axis=0)  # second largest: max_s min(M1_{s-1}, x_s)
    m2 = np.where(np.isfinite(m2), m2, 0.0)
    if k == 2:
        return m1 + m2
    out = np.zeros_like(X)
    for r in range(X.shape[0]):  # general k: sort the prefix (rare; k <= 2 in the paper)
        out[r] = -np.sort(-X[: r + 1], axis=0)[:k].sum(axis=0)
    return out


def temporal_efk(V: np.ndarray, owner: np.ndarray, k: int, rho: float | Sequence[float] = 1.0,
                 steps: Sequence[int] | None = None) -> Verdict:
    """Return whether A^t is rho-EFk at every step t = 0..m (Definition 2.5), or at ``steps`` only.

    Event-vectorised: v_i(A_j^t) minus its top k goods (i's view) only grows, and only when j
    receives a good, while v_i(A_i^t) only grows; so over all steps the worst moment for a pair
    (i, j) is a step at which j receives a good. For every j, numpy evaluates all pairs (i, j)
    at all of j's receipt steps at once (O(n m) in total). With ``steps``, the pairs are
    evaluated at those steps. ``step`` of the verdict is the first violating step; ``ratio``
    the smallest v_i(A_i)/v_i(A_j minus S) over the evaluated (step, pair)s with rho_i > 0
    (an agent with rho_i = 0 is not judged);
    ``failed_steps`` the steps at which a violation is found (for all steps: where one starts).
    :func:`temporal_efk_incremental` is the step-by-step reference.
    """
    m, n = V.shape
    require(isinstance(k, (int, np.integer)) and k >= 0, "k", k, "a non-negative integer")
    r = _rho(rho, n)
    owner = np.asarray(owner, dtype=np.int64)
    vmax = float(np.abs(V).max(initial=0.0))
    times = [np.flatnonzero(owner == i) for i in range(n)]       # 0-based goods; step = g + 1
    own_cum = [np.concatenate([[0.0], np.cumsum(V[t_i, i])]) for i, t_i in enumerate(times)]
    if steps is not None:
        sv = np.unique(np.asarray(list(steps), dtype=np.int64))
        sv = sv[(sv >= 1) & (sv <= m)]
    first: tuple[int, int, int] | None = None
    worst = math.inf
    failed: set[int] = set()
    for j in range(n):
        tj = times[j]
        if tj.size == 0:
            continue
        X = V[tj]                                              # j's goods, everyone's values
        R = np.cumsum(X, axis=0) - _running_topk(X, k)         # R[q, i]: after j's (q+1)-th good
        if steps is None:
            at = tj + 1                                        # steps of j's receipts
            Rq = R
        else:
            q = np.searchsorted(tj + 1, sv, side="right") - 1  # j's goods received by step s
            keep = q >= 0
            at, Rq = sv[keep], R[q[keep]]
        if at.size == 0:
            continue
        own = np.empty((at.size, n))
        for i in range(n):                                     # v_i(A_i) at those steps
            own[:, i] = own_cum[i][np.searchsorted(times[i] + 1, at, side="right")]
        tol = REL_TOL * np.maximum(1.0, vmax * at)[:, None]
        bad = own < r[None, :] * Rq - tol
        bad[:, j] = False
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(Rq > tol, own / Rq, np.inf)
        ratio[:, j] = np.inf
        ratio[:, r == 0] = np.inf  # agents with rho_i = 0 are not judged
        worst = min(worst, float(ratio.min(initial=np.inf)))
        if bad.any():
            rows = np.flatnonzero(bad.any(axis=1))
            failed.update(int(x) for x in at[rows])
            q0 = int(rows[0])
            t0, i0 = int(at[q0]), int(np.argmax(bad[q0]))
            if first is None or t0 < first[0] or (t0 == first[0] and (i0, j) < first[1:]):
                first = (t0, i0, j)
    checked = (m + 1) if steps is None else int(np.unique(np.asarray(list(steps), dtype=np.int64)).size)
    if first is None:
        return Verdict(True, ratio=worst, steps_checked=checked)
    t, i, j = first
    return Verdict(False, t, i, j, worst, checked,
                   f"at step {t} agent {i} is not {r[i]:.4g}-EF{k} towards agent {j} "
                   f"({len(failed)} step(s) with a violation found)", tuple(sorted(failed)))


def temporal_prop(V: np.ndarray, owner: np.ndarray, rho: float | Sequence[float] = 1.0) -> Verdict:
    """Return whether A^t is rho-PROP (Definition 2.4) at every step t (Definition 2.5)."""
    m, n = V.shape
    r = _rho(rho, n)
    own = np.zeros(n)
    total = np.zeros(n)
    vmax = float(np.abs(V).max(initial=0.0))
    worst = math.inf
    failed: list[int] = []
    first = None
    for g in range(m):
        j = int(owner[g])
        total += V[g]
        own[j] += V[g, j]
        tol = REL_TOL * max(1.0, vmax * (g + 1))
        share = total / n
        bad = own < r * share - tol
        with np.errstate(divide="ignore", invalid="ignore"):
            worst = min(worst, float(np.where(share > tol, own / share, np.inf).min()))
        if bad.any():
            failed.append(g + 1)
            if first is None:
                first = (g + 1, int(np.argmax(bad)))
    if first is None:
        return Verdict(True, ratio=worst, steps_checked=m + 1)
    return Verdict(False, first[0], first[1], None, worst, m + 1,
                   f"at step {first[0]} agent {first[1]} gets less than {r[first[1]]:.4g} of its proportional share",
                   tuple(failed))


# ---- maximin share ---------------------------------------------------------------------------
def maximin_share(values: Sequence[float] | np.ndarray, n: int, time_limit: float = 30.0,
                  node_budget: int = NODE_BUDGET) -> float:
    """Return mu^n(S) = max over partitions of S into n bundles of the worst bundle's value (Def. 2.4).

    Computed by the exact combinatorial search :func:`.mms.maximin_partition` (bin completion
    with meet-in-the-middle bundle enumeration, at most ``node_budget`` decision nodes): when
    it proves its value (no partition better by more than ``mms.MMS_REL_TOL * max(1, v(S))``,
    exact for integer values) that value is returned. Otherwise (budget exhausted, e.g. many
    goods with distinct values) the MILP :func:`maximin_share_milp` decides, with
    ``time_limit`` seconds. Raises :class:`ConfigError` naming ``values`` (negative or
    non-finite) or ``n`` (n < 1), and :class:`InvariantError` when the fallback MILP fails.
    """
    res = maximin_partition(values, n, node_budget)
    if res.proven:
        return res.value
    return maximin_share_milp(values, n, time_limit)


def maximin_share_milp(values: Sequence[float] | np.ndarray, n: int, time_limit: float = 30.0) -> float:
    """Return mu^n(S) of Definition 2.4 by a MILP (scipy HiGHS): the issue's method, and the fallback.

    Exact when HiGHS reports optimal: goods of equal value are grouped into classes c with
    multiplicity q_c, y[c, b] in {0..q_c} counts class-c goods in bundle b, maximise T
    subject to sum_b y[c, b] = q_c and sum_c v_c y[c, b] >= T, with bundle values
    non-increasing in b (symmetry breaking). 2-value instances have two classes, so their
    MILP has 2n + 1 variables whatever m; general values with m distinct values have m n + 1
    (HiGHS is then slow: seconds for n = 6, m = 30). Raises :class:`ConfigError` naming
    ``values`` or ``n`` for bad input and :class:`InvariantError` when the solver does not
    reach optimality within ``time_limit`` seconds.
    """
    v = validate_values(values, n)
    v = v[v > 0]
    if v.size < n:
        return 0.0
    if n == 1:
        return float(v.sum())
    cls, q = np.unique(v, return_counts=True)
    C = cls.size
    nv = C * n + 1  # y[c, b] at c * n + b, then T
    c_obj = np.zeros(nv)
    c_obj[-1] = -1.0
    rows, lo, hi = [], [], []
    for c in range(C):  # each class fully distributed
        a = np.zeros(nv)
        a[c * n:(c + 1) * n] = 1.0
        rows.append(a), lo.append(q[c]), hi.append(q[c])
    for b in range(n):  # bundle b worth at least T
        a = np.zeros(nv)
        a[[c * n + b for c in range(C)]] = cls
        a[-1] = -1.0
        rows.append(a), lo.append(0.0), hi.append(np.inf)
    for b in range(n - 1):  # symmetry breaking: value(b) >= value(b + 1)
        a = np.zeros(nv)
        a[[c * n + b for c in range(C)]] = cls
        a[[c * n + b + 1 for c in range(C)]] -= cls
        rows.append(a), lo.append(0.0), hi.append(np.inf)
    ub = np.concatenate([np.repeat(q.astype(np.float64), n), [float(v.sum()) / n]])
    res = milp(c_obj, constraints=LinearConstraint(np.array(rows), lo, hi),
               integrality=np.concatenate([np.ones(nv - 1), [0]]), bounds=Bounds(np.zeros(nv), ub),
               options={"time_limit": time_limit, "presolve": False})
    if res.x is None or res.status not in (0,):
        raise InvariantError(f"maximin share MILP failed: {res.message}")
    y = np.round(res.x[:-1]).reshape(C, n)
    return float((cls[:, None] * y).sum(axis=0).min())


def mms_upper_bound(values_sorted_desc_prefix_sum: float, total: float, n: int) -> float:
    """Return min(v(S)/n, v(S) minus its n - 1 most valuable goods): an upper bound on mu^n(S).

    Some bundle of any n-partition holds none of the n - 1 most valuable goods (pigeonhole),
    and the worst bundle is worth at most the average.
    """
    return min(total / n, total - values_sorted_desc_prefix_sum)


def temporal_mms(valuations: Sequence[Valuation], owner: np.ndarray, rho: float | Sequence[float],
                 steps: Sequence[int] | None = None, agents: Sequence[int] | None = None) -> Verdict:
    """Return whether A^t is rho-MMS (Definition 2.4) at every step t (Definition 2.5).

    Per agent and step, the cheap bound of :func:`mms_upper_bound` decides when
    ``v_i(A_i^t) >= rho_i * bound``; otherwise the exact maximin share is computed
    (:func:`maximin_share`; for a 2-value agent it depends only on the numbers of high and
    low goods seen, and is cached). ``agents`` restricts which agents are judged (all others
    still hold goods); ``ratio`` is the smallest v_i(A_i^t) / mu_i(t) found exactly or by bound.
    """
    n = len(valuations)
    m = owner.shape[0]
    r = _rho(rho, n)
    who = list(range(n)) if agents is None else list(agents)
    check = np.ones(m + 1, dtype=bool) if steps is None else np.zeros(m + 1, dtype=bool)
    if steps is not None:
        s = np.asarray(list(steps), dtype=np.int64)
        check[s[(s >= 0) & (s <= m)]] = True
    V = value_matrix(valuations)
    own = np.zeros(n)
    total = np.zeros(n)
    tops: list[list[float]] = [[] for _ in range(n)]  # min-heaps of the n - 1 largest values seen
    topsum = np.zeros(n)
    cache: dict[tuple, float] = {}
    counts = np.zeros((n, 2), dtype=np.int64)  # high / low seen (2-value agents)
    worst = math.inf
    failed: list[int] = []
    first = None
    exact_calls = 0
    for g in range(m):
        t = g + 1
        j = int(owner[g])
        own[j] += V[g, j]
        total += V[g]
        for i in who:
            x = V[g, i]
            h = tops[i]
            if n > 1:
                if len(h) < n - 1:
                    heapq.heappush(h, x)
                    topsum[i] += x
                elif x > h[0]:
                    topsum[i] += x - heapq.heapreplace(h, x)
            v = valuations[i]
            if isinstance(v, TwoValue):
                counts[i, 0 if v.high[g] else 1] += 1
        if not check[t]:
            continue
        bad_here = None
        for i in who:
            if r[i] == 0:
                continue
            tol = REL_TOL * max(1.0, abs(total[i]))
            ub = mms_upper_bound(topsum[i], total[i], n) if n > 1 else total[i]
            if ub <= tol:
                continue
            if own[i] >= r[i] * ub - tol:
                worst = min(worst, own[i] / ub) if own[i] / ub < 1 else worst
                continue
            v = valuations[i]
            if isinstance(v, TwoValue):
                key = (v.alpha, v.beta, int(counts[i, 0]), int(counts[i, 1]))
                if key not in cache:
                    exact_calls += 1
                    vals = np.concatenate([np.full(key[2], v.alpha), np.full(key[3], v.beta)])
                    cache[key] = maximin_share(vals, n)
                mu = cache[key]
            else:
                exact_calls += 1
                mu = maximin_share(V[:t, i], n)
            if mu <= tol:
                continue
            worst = min(worst, own[i] / mu)
            if own[i] < r[i] * mu - tol and bad_here is None:
                bad_here = (i, mu, float(own[i]))
        if bad_here is not None:
            failed.append(t)
            if first is None:
                first = (t, *bad_here)
    steps_checked = int(check.sum())
    if first is None:
        return Verdict(True, ratio=worst, steps_checked=steps_checked, detail=f"{exact_calls} exact MMS computations")
    t, i, mu, val = first
    return Verdict(False, t, i, None, worst, steps_checked,
                   f"at step {t} agent {i} has value {val:.6g} < {r[i]:.4g} x its maximin share {mu:.6g} "
                   f"({len(failed)} failing step(s))", tuple(failed))


# ---- per-agent guarantees of the paper ---------------------------------------------------------
def dp_mms_factor(v: Valuation, n: int) -> float:
    """Return the temporal-MMS factor Algorithm 1 guarantees agent v (Corollaries 4.4-4.5, Theorem 6.1).

    Type 1: 1/(2n - 1); type 2: 1/2; type 3: 1/3; type 0: 0 (trivially satisfied, Section 2).
    Interval-restricted agents: the factor of their threshold function (type 1) times
    1/sqrt(alpha_i) (Corollary 6.4).
    """
    tv = v.two_value()
    base = {0: 0.0, 1: 1.0 / (2 * n - 1), 2: 0.5, 3: 1.0 / 3.0}[tv.agent_type]
    return base * guarantee_factor(v)


def round_robin_factor(v: Valuation) -> float:
    """Return the temporal-EF1 factor round robin guarantees agent v (Remark 2.6).

    Agent i holds at least |A_j| - 1 goods of any other agent j, each worth at least beta_i
    to it, while any good of A_j is worth at most alpha_i: factor beta_i/alpha_i (2-value),
    1/alpha_i (interval, values in [1, alpha_i]); 0 for additive valuations with a zero value.
    (Remark 2.6 writes 1/alpha_* with alpha_* = max sqrt(alpha_i); the argument gives the
    ratio of the extreme values, which is what is checked; see docs/fair_division.md.)
    """
    if isinstance(v, TwoValue):
        return v.beta / v.alpha if v.alpha > 0 else 1.0
    if isinstance(v, Interval):
        return 1.0 / v.alpha
    vals = v.values
    return float(vals.min() / vals.max()) if vals.max() > 0 else 1.0


def dp_structure(valuations: Sequence[Valuation], owner: np.ndarray) -> Verdict:
    """Return whether Theorem 4.1 parts 1-3 hold for Algorithm 1's allocation sequence.

    With the 2-value (threshold) valuations, for every agent i of type 1-3 (type 0 excluded,
    Section 2): (1) exactly one of the first n goods when m >= n (at most one otherwise);
    (2) at every t, A_i^t holds at least floor(n_h(i, t)/(3n - 2)) goods of value alpha_i, and
    at least one by t_i0 = min{t : n_h(i, t) >= n}; (3) at every t >= n,
    |A_i^t| >= floor((t - n)/(2n - 1)) + 1. Times are 1-based (good g at step g + 1).
    """
    n = len(valuations)
    m = owner.shape[0]
    for i, v in enumerate(valuations):
        tv = v.two_value()
        if tv.agent_type == 0:
            continue
        mine = np.flatnonzero(owner == i) + 1  # receipt times
        first_n = int((mine <= n).sum())
        if (m >= n and first_n != 1) or first_n > 1:
            return Verdict(False, min(n, m), i, None, detail=f"part 1: agent {i} got {first_n} of the first {n} goods")
        # part 3: the k-th good by time n + (k - 1)(2n - 1)
        kmax = (m - n) // (2 * n - 1) + 1 if m >= n else 0
        for k in range(1, kmax + 1):
            deadline = n + (k - 1) * (2 * n - 1)
            if mine.size < k or mine[k - 1] > deadline:
                return Verdict(False, deadline, i, None,
                               detail=f"part 3: agent {i} has fewer than {k} goods at step {deadline}")
        # part 2: high-valued goods (v_i(g) = alpha_i, alpha_i > 0: Algorithm 1 line 7)
        hi = tv.high & (tv.alpha > 0)
        seen = np.flatnonzero(hi) + 1  # times of the high goods i sees
        got = np.flatnonzero(hi & (owner == i)) + 1
        if seen.size >= n and (got.size == 0 or got[0] > seen[n - 1]):
            return Verdict(False, int(seen[n - 1]), i, None,
                           detail=f"part 2: agent {i} has no high-valued good at t_i0 = {int(seen[n - 1])}")
        per = 3 * n - 2
        for k in range(1, seen.size // per + 1):
            deadline = int(seen[k * per - 1])
            if got.size < k or got[k - 1] > deadline:
                return Verdict(False, deadline, i, None,
                               detail=f"part 2: agent {i} has fewer than {k} high-valued goods at step {deadline} "
                                      f"(n_h = {k * per})")
    return Verdict(True, steps_checked=m + 1)


def dp_quarter_mms_after_t0(valuations: Sequence[Valuation], owner: np.ndarray) -> Verdict:
    """Return whether every type-1 agent is 1/4-MMS at every step from t_i0 on (Corollary 4.5).

    t_i0 = min{t : n_h(i, t) >= n} (high goods counted with the 2-value, threshold, valuation);
    the proof of Corollary 4.5 (Cases 2-3, kappa >= 1) gives v_i(A_i^t) >= mu_i(t)/4 from then
    on. Interval-restricted agents: 1/(4 sqrt(alpha_i)) in their original values (Corollary 6.4).
    Agents that never see n high goods are not judged.
    """
    n = len(valuations)
    m = owner.shape[0]
    checked = 0
    worst = math.inf
    for i, v in enumerate(valuations):
        tv = v.two_value()
        if tv.agent_type != 1:
            continue
        seen = np.flatnonzero(tv.high) + 1
        if seen.size < n:
            continue
        t0 = int(seen[n - 1])
        rho = np.zeros(n)
        rho[i] = 0.25 * guarantee_factor(v)
        res = temporal_mms(valuations, owner, rho, steps=range(t0, m + 1), agents=[i])
        checked += res.steps_checked
        worst = min(worst, res.ratio)
        if not res.ok:
            return Verdict(False, res.step, i, None, worst, checked, f"from t_i0 = {t0}: " + res.detail)
    return Verdict(True, ratio=worst, steps_checked=checked)


def pm_half_ef1_after_failure(V: np.ndarray, owner: np.ndarray, n: int,
                              rho: float | Sequence[float] = 1.0) -> Verdict:
    """Return whether Theorem 5.4's last part holds: after a 1/2-EF1 failure at t0, 1/2-EF1 from ceil(t0/n) n on.

    With the first step t0 at which the allocation is not (rho/2)-EF1 (rho = 1/sqrt(alpha_i) for
    interval agents, Corollary 6.5), checks (rho/2)-EF1 at every t >= ceil(t0/n) n. Holds
    trivially when no step fails.
    """
    m = owner.shape[0]
    half = _rho(rho, V.shape[1]) * 0.5
    first = temporal_efk(V, owner, 1, half)
    if first.ok:
        return Verdict(True, ratio=first.ratio, steps_checked=first.steps_checked, detail="never below 1/2-EF1")
    start = -(-int(first.step) // n) * n
    after = temporal_efk(V, owner, 1, half, steps=range(start, m + 1))
    if after.ok:
        return Verdict(True, ratio=after.ratio, steps_checked=after.steps_checked,
                       detail=f"first 1/2-EF1 failure at t0 = {first.step}; 1/2-EF1 at every t >= {start}")
    return Verdict(False, after.step, after.agent, after.other, after.ratio, after.steps_checked,
                   f"first 1/2-EF1 failure at t0 = {first.step}, and again at t = {after.step} >= {start}: "
                   + after.detail)
