"""The expected competitive equilibrium from equal incomes (ECEEI) and its solver.

OCAM paper, Definition 4: prices p >= 0 and, for every agent, a discrete random budget with
every realisation in [1 - eps, 1] such that, when each agent buys its most preferred bundle
costing at most its drawn budget (equation (1)), the expected demand of every good is at most
its capacity, with equality where the price is positive.

Solver (the route the issue suggests, a reading of Theorem 1 / Appendix A):

* At fixed prices p, the bundles an agent of type t can be made to demand with a budget in
  [1 - eps, 1] are finitely many (the "records" of its ranking: a bundle is demanded at budget
  b exactly when it is affordable and every better bundle costs more than b). Realisation y is
  supported by the smallest such budget, ``b_y = max(1 - eps, p.y)``: equation (3).
* The expected demands a type can reach are the mixtures of those bundles, so exact clearing at
  fixed p is a linear programme over mixture weights per type (:func:`clearing_lp`, HiGHS);
  agents of one type share one mixture, hence one random budget (Theorem 1, last sentence).
* An outer search moves prices until that LP clears exactly: a sign-based adaptive
  tatonnement (Rprop) on the *smoothed* excess demand obtained with uniform budgets on
  [1 - eps, 1], which is continuous in p, with the clearing LP tried at the iterates.

The certificate (:class:`ECEEICertificate`) records prices, the random budget and random
bundle of every type and the clearing error actually reached; :func:`mechanisms.ocam.verify.
verify_eceei` re-checks it from scratch.
"""
from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from ..errors import InvariantError, require
from ..market import FAST_GOODS, masks_to_items, masks_to_matrix
from ..preferences import BundleRanking

#: A bundle counts as demanded at budget b only if every better bundle costs more than
#: b + DEMAND_GAP: wider than AFFORD_TOL so that ``best_affordable`` agrees with the solver.
DEMAND_GAP = 1e-10

#: Price given to goods of zero capacity: above every budget (<= 1), so nobody demands them.
UNAFFORDABLE = 2.0

#: The exact fallback's schedule (:func:`_regions`): a quick look (1.5 s each) within
#: EXACT_RADIUS of the search's two best points; the band continuation (``"path"``, at most
#: PATH_SECONDS or half the exact time); then the other distinct price points of the search
#: (lowest clearing error first), each searched within EXACT_RADIUS for at most
#: EXACT_CENTER_SECONDS; then radius 0.1 around the best point (share 0.4 of what is left);
#: then the whole box [0, 1]^m (radius None, the rest of the time: complete).
EXACT_CENTERS, EXACT_RADIUS, EXACT_CENTER_SECONDS = 6, 0.02, 2.0

#: Band the continuation of the exact fallback starts from (exact_path), and its time cap.
PATH_START, PATH_SECONDS = 0.3, 6.0


def _regions(best_p: np.ndarray, candidates: list) -> list[tuple[str, np.ndarray, float | None, float, float]]:
    """Return the fallback's (kind, center, radius, time share, seconds cap) schedule."""
    centers = [best_p]
    for _, p in sorted(candidates, key=lambda c: c[0]):
        if len(centers) == EXACT_CENTERS:
            break
        if all(np.abs(p - c).max() > EXACT_RADIUS for c in centers):
            centers.append(p)
    out = [("milp", c, EXACT_RADIUS, 1.0, 1.5) for c in centers[:2]]  # a quick look near the search
    out += [("path", best_p, None, 0.5, PATH_SECONDS)]
    out += [("milp", c, EXACT_RADIUS, 1.0, EXACT_CENTER_SECONDS) for c in centers[2:]]
    return out + [("milp", best_p, 0.1, 0.4, math.inf), ("milp", best_p, None, 1.0, math.inf)]


#: Rprop factors: a good's price step grows while its excess keeps its sign, shrinks when it flips.
_GROW, _SHRINK = 1.5, 0.5


class TypeTable:
    """Distinct reported types with their multiplicities, as padded numpy arrays.

    Parameters
    ----------
    types : sequence of BundleRanking
        Distinct types (duplicates raise).
    counts : sequence of float
        Number of agents of each type (positive).

    Layout: row t holds type t's acceptable bundles, most preferred first, padded with
    infinitely expensive dummies, and, in the last column, the empty bundle (cost 0).
    """

    def __init__(self, types: Sequence[BundleRanking], counts: Sequence[float]):
        require(len(types) > 0, "types", len(types), "at least one reported type")
        require(len(types) == len(counts), "counts", len(counts), f"one count per type ({len(types)})")
        require(len(set(types)) == len(types), "types", len(types), "distinct types")
        m = types[0].m
        for t, ty in enumerate(types):
            require(isinstance(ty, BundleRanking) and ty.m == m, f"types[{t}]", ty, f"a BundleRanking over {m} goods")
        c = np.asarray(counts, dtype=np.float64)
        require(bool(np.all(c > 0)), "counts", c.tolist(), "positive counts")
        self.types = list(types)
        self.counts = c
        self.m = m
        T = len(types)
        lengths = np.array([len(ty.bundles) for ty in types], dtype=np.int64)
        L = int(lengths.max()) + 1  # + the empty bundle
        self.L = L
        # int64 masks up to 62 goods (the fast path), exact Python ints beyond (object array)
        masks = np.zeros((T, L), dtype=np.int64 if m <= FAST_GOODS else object)
        valid = np.zeros((T, L), dtype=bool)
        for t, ty in enumerate(types):
            masks[t, : lengths[t]] = ty.masks
            valid[t, : lengths[t]] = True
        valid[:, L - 1] = True  # empty bundle, mask 0
        self.masks = masks
        self.valid = valid
        self.lengths = lengths
        # Flat list of the real bundles: cost = A @ p, scattered into the padded table.
        self.flat_t, self.flat_r = np.nonzero(valid[:, : L - 1])
        self.flat_lin = self.flat_t * L + self.flat_r
        # Bundles are small (a few goods): store each as its item indices, padded with the
        # index m of a dummy zero-price good, so costs are gathers and demand is a bincount.
        self.items = masks_to_items(masks[self.flat_t, self.flat_r], m)
        self.sizes = (self.items < m).sum(axis=1)

    @classmethod
    def from_reports(cls, rankings: Sequence[BundleRanking]) -> tuple[TypeTable, np.ndarray]:
        """Return the table of the distinct rankings and, per input ranking, its type index."""
        index: dict[BundleRanking, int] = {}
        counts: list[int] = []
        of = np.empty(len(rankings), dtype=np.int64)
        for i, r in enumerate(rankings):
            k = index.setdefault(r, len(index))
            if k == len(counts):
                counts.append(0)
            counts[k] += 1
            of[i] = k
        return cls(list(index), counts), of

    def costs(self, p: np.ndarray) -> np.ndarray:
        """Return the (T, L) cost table at prices p: inf for padding, 0 for the empty bundle."""
        C = np.full((len(self.types), self.L), np.inf)
        C[:, -1] = 0.0
        if self.flat_t.size:
            C.ravel()[self.flat_lin] = np.append(p, 0.0)[self.items].sum(axis=1)
        return C

    def demand(self, w_flat: np.ndarray) -> np.ndarray:
        """Return sum_k w_flat[k] * bundle_k (m,), for weights over the flat list of real bundles."""
        if not self.flat_t.size:
            return np.zeros(self.m)
        wk = np.repeat(w_flat, self.items.shape[1])
        return np.bincount(self.items.ravel(), weights=wk, minlength=self.m + 1)[: self.m]

    def bundle_matrix(self, t: np.ndarray, r: np.ndarray) -> np.ndarray:
        """Return the 0/1 rows of bundles (t[k], r[k])."""
        return masks_to_matrix(self.masks[t, r], self.m)

    def bundle_sparse(self, t: np.ndarray, r: np.ndarray) -> sp.csr_matrix:
        """Return the 0/1 rows of bundles (t[k], r[k]) as a sparse (K, m) matrix (any m)."""
        K = len(t)
        if not K:
            return sp.csr_matrix((0, self.m))
        pos = np.full(len(self.types) * self.L, -1, dtype=np.int64)
        pos[self.flat_lin] = np.arange(self.flat_lin.size)
        k = pos[np.asarray(t) * self.L + np.asarray(r)]
        its = np.where(k[:, None] >= 0, self.items[np.maximum(k, 0)], self.m)  # the empty bundle: no item
        rows = np.repeat(np.arange(K), its.shape[1])
        cols = its.ravel()
        keep = cols < self.m
        return sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(K, self.m))


def _records(cost: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (left, right, demanded) over the (T, L) cost table.

    Bundle r of type t is the best affordable bundle exactly for budgets in
    [cost_r, min_{r' < r} cost_r'); intersected with [lo, hi] this is [left, right].
    ``demanded`` marks the bundles demanded at some budget in [lo, hi] (their support budget
    is ``left``, equation (3)).
    """
    before = np.minimum.accumulate(cost, axis=1)
    before = np.concatenate([np.full((cost.shape[0], 1), np.inf), before[:, :-1]], axis=1)
    left = np.maximum(cost, lo)
    right = np.minimum(before, hi)
    demanded = (left <= hi) & (before > left + DEMAND_GAP)
    return left, right, demanded


def smoothed_demand(table: TypeTable, p: np.ndarray, lo: float, hi: float = 1.0) -> np.ndarray:
    """Return the expected demand (m,) when every agent's budget is uniform on [lo, hi].

    It is continuous in p (the bundle switches happen at budgets equal to costs, which move
    continuously with p), which is what makes a tatonnement on it well behaved. Bundle r of
    a type gets probability |[max(cost_r, lo), min(cost of better bundles, hi)]| / (hi - lo).
    """
    if not table.flat_t.size:
        return np.zeros(table.m)
    cost = table.costs(p)
    before = np.empty_like(cost)
    before[:, 0] = np.inf
    np.minimum.accumulate(cost[:, :-1], axis=1, out=before[:, 1:])
    np.minimum(before, hi, out=before)
    np.maximum(cost, lo, out=cost)
    np.subtract(before, cost, out=before)  # interval length (negative: not demanded)
    np.maximum(before, 0.0, out=before)
    before *= table.counts[:, None] / (hi - lo)
    return table.demand(before.ravel()[table.flat_lin])


@dataclass
class LPResult:
    """A mixture per type at fixed prices and its clearing error (see :func:`clearing_lp`)."""

    t: np.ndarray           # (K,) type of each support entry
    r: np.ndarray           # (K,) column of each support entry
    budget: np.ndarray      # (K,) supporting budget (equation (3))
    weight: np.ndarray      # (K,) probability within its type
    demand: np.ndarray      # (m,) expected demand
    error: float            # max relative clearing violation (Definition 4 (a)/(b))
    status: str


def clearing_error(demand: np.ndarray, capacity: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Return per-good violations of Definition 4: over-demand, and under-demand where p > 0.

    Relative to capacity (absolute where the capacity is 0).
    """
    over = np.maximum(demand - capacity, 0.0)
    under = np.where(prices > 0, np.maximum(capacity - demand, 0.0), 0.0)
    return (over + under) / np.maximum(capacity, 1.0)


def clearing_lp(table: TypeTable, p: np.ndarray, capacity: np.ndarray, lo: float, hi: float = 1.0) -> LPResult:
    """Return the mixture over demanded bundles minimising the clearing violation at prices p.

    Linear programme (HiGHS dual simplex, so the solution is basic: at most m types mix):
    variables w_{t,r} >= 0 over the bundles each type demands at some budget in [lo, hi],
    sum_r w_{t,r} = 1 per type, and per good
    ``sum_{t,r} n_t x_{t,r,j} w_{t,r} - c_j = s+_j - s-_j``, minimising
    ``sum_j (s+_j + [p_j > 0] s-_j) / c_j`` (Definition 4 (a) and (b)). The error is recomputed
    from the returned weights, never taken from the solver.
    """
    m = table.m
    cost = table.costs(p)
    left, _, dem = _records(cost, lo, hi)
    t_idx, r_idx = np.nonzero(dem)
    T = len(table.types)
    X = table.bundle_sparse(t_idx, r_idx)  # (K, m) sparse, the empty bundle gives a zero row
    n_rec = np.bincount(t_idx, minlength=T)
    fixed = n_rec[t_idx] == 1
    # Types demanding a single bundle have no choice: their demand only shifts the right-hand
    # side, which keeps the LP as small as the number of types that can mix.
    base = X[np.flatnonzero(fixed)].T @ table.counts[t_idx[fixed]] if fixed.any() else np.zeros(m)
    var = np.flatnonzero(~fixed)
    w = fixed.astype(np.float64)
    status = "no mixing type"
    if var.size:
        vt = t_idx[var]
        mix_types, vt_row = np.unique(vt, return_inverse=True)
        K = var.size
        scale = 1.0 / np.maximum(capacity, 1.0)
        coef = sp.diags(table.counts[vt]) @ X[var] @ sp.diags(scale)
        rows_type = sp.csr_matrix((np.ones(K), (vt_row, np.arange(K))), shape=(mix_types.size, K + 2 * m))
        good = sp.hstack([coef.T.tocsr(), -sp.identity(m), sp.identity(m)], format="csr")
        A_eq = sp.vstack([rows_type, good], format="csr")
        b_eq = np.concatenate([np.ones(mix_types.size), (capacity - base) * scale])
        c = np.concatenate([np.zeros(K), np.ones(m), np.where(p > 0, 1.0, 0.0)])
        res = linprog(c, A_eq=A_eq, b_eq=b_eq, bounds=(0, None), method="highs-ds",
                      options={"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10,
                               "presolve": False})
        if res.x is None:  # cannot happen (the LP is always feasible), kept as a loud failure
            raise RuntimeError(f"clearing LP failed: {res.message}")
        wv = np.clip(res.x[:K], 0.0, None)
        wv[wv < 1e-15] = 0.0
        w[var] = wv
        status = res.message
    tot = np.bincount(t_idx, weights=w, minlength=T)
    w = w / tot[t_idx]
    keep = w > 0
    demand = np.asarray(X[np.flatnonzero(keep)].T @ (w[keep] * table.counts[t_idx[keep]])).ravel()
    t_idx, r_idx, w = t_idx[keep], r_idx[keep], w[keep]
    err = float(clearing_error(demand, capacity, p).max())
    return LPResult(t_idx, r_idx, left[t_idx, r_idx], w, demand, err, status)


@dataclass
class ECEEICertificate:
    """An (attempted) eps-ECEEI of Definition 4 and the evidence for it.

    Attributes
    ----------
    prices : ndarray (m,)
    capacity : ndarray (m,)
        The economy's capacities (for OCAM's sample economy, eps_s * c: Section 4.2).
    eps : float
        Budgets lie in [1 - eps, 1].
    types : list of BundleRanking
        Distinct reported types.
    counts : ndarray (T,)
        Agents per type.
    support : list of list of (bundle mask, budget, probability)
        Type t's random optimal bundle and the random budget supporting it, one entry per
        realisation (equations (1) and (3)).
    demand : ndarray (m,)
        Expected demand sum_t n_t E[X_t].
    error : float
        Largest relative clearing violation (0 for an exact ECEEI; compare with ``tol``).
    converged : bool
        True when ``error <= tol``. When False the certificate is the best found and the
        violation is reported, never hidden.
    """

    prices: np.ndarray
    capacity: np.ndarray
    eps: float
    types: list[BundleRanking]
    counts: np.ndarray
    support: list[list[tuple[int, float, float]]]
    demand: np.ndarray
    error: float
    tol: float
    converged: bool
    iterations: int = 0
    lp_solves: int = 0
    seconds: float = 0.0
    method: str = "price-search"
    fallback_status: str = ""
    verified: bool = False
    problems: list[str] = field(default_factory=list)
    _index: dict[BundleRanking, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {ty: t for t, ty in enumerate(self.types)}

    def type_index(self, ranking: BundleRanking) -> int | None:
        """Return the index of ``ranking`` among the certificate's types (None if unseen)."""
        return self._index.get(ranking)

    def budget_of(self, ranking: BundleRanking) -> list[tuple[float, float]] | None:
        """Return the random budget of ``ranking`` as (budget, probability) pairs, None if unseen."""
        t = self._index.get(ranking)
        if t is None:
            return None
        return [(b, q) for _, b, q in self.support[t]]

    def excess(self) -> np.ndarray:
        """Return expected demand minus capacity, per good."""
        return self.demand - self.capacity

    def as_dict(self) -> dict:
        """Return a JSON-friendly summary (no per-type detail)."""
        return {"prices": self.prices.tolist(), "error": self.error, "tol": self.tol,
                "converged": self.converged, "method": self.method, "verified": self.verified,
                "iterations": self.iterations, "lp_solves": self.lp_solves, "seconds": self.seconds,
                "types": len(self.types), "fallback_status": self.fallback_status,
                "problems": list(self.problems[:5])}

    def status(self) -> dict:
        """Return the solver status OCAM publishes: converged, method, relative error, seconds."""
        return {"converged": bool(self.converged), "method": self.method, "error": float(self.error),
                "seconds": float(self.seconds)}


def _certificate(table: TypeTable, p: np.ndarray, capacity: np.ndarray, eps: float, lp: LPResult,
                 tol: float, it: int, n_lp: int, t0: float) -> ECEEICertificate:
    support: list[list[tuple[int, float, float]]] = [[] for _ in table.types]
    masks = table.masks[lp.t, lp.r]
    for k in np.argsort(lp.budget, kind="stable"):
        support[int(lp.t[k])].append((int(masks[k]), float(lp.budget[k]), float(lp.weight[k])))
    return ECEEICertificate(p.copy(), capacity.copy(), eps, list(table.types), table.counts.copy(), support,
                            lp.demand, lp.error, tol, lp.error <= tol, it, n_lp, time.perf_counter() - t0)


@dataclass
class _Search:
    """State shared by the stages of one price search (counters, best certificate so far)."""

    table: TypeTable
    cap: np.ndarray
    tol: float
    deadline: float
    lp_first: int
    lp_below: float
    iterations: int = 0
    lp_solves: int = 0
    target_eps: float = 0.0
    candidates: list = field(default_factory=list)  # (LP error, prices) at the target eps

    def run(self, p: np.ndarray, eps: float, step0: float, max_iter: int) -> tuple[LPResult, np.ndarray, np.ndarray]:
        """Rprop on the smoothed excess demand at budget band [1 - eps, 1] from prices ``p``.

        Returns (best LP result at this eps, its prices, the last iterate).
        """
        table, cap = self.table, self.cap
        lo, hi = 1.0 - eps, 1.0
        free = cap > 0
        scale = np.maximum(cap, 1.0)
        step = np.full(table.m, float(step0))
        last_sign = np.zeros(table.m)
        best: LPResult | None = None
        best_p = p.copy()
        next_lp = max(int(self.lp_first), 1)
        last_lp_smooth = math.inf
        for it in range(1, max_iter + 1):
            self.iterations += 1
            d = smoothed_demand(table, p, lo, hi)
            z = (d - cap) / scale
            # Complementary slackness: a free good with p = 0 and excess supply is in equilibrium.
            viol = np.where((p <= 0) & (z < 0), 0.0, z)
            viol[~free] = 0.0
            smooth_err = float(np.abs(viol).max())
            scheduled = it == next_lp
            if scheduled:
                next_lp *= 2
            if scheduled or (smooth_err < self.lp_below and smooth_err < 0.5 * last_lp_smooth):
                last_lp_smooth = smooth_err
                lp = clearing_lp(table, p, cap, lo, hi)
                self.lp_solves += 1
                if eps == self.target_eps:
                    self.candidates.append((lp.error, p.copy()))
                if best is None or lp.error < best.error:
                    best, best_p = lp, p.copy()
                if lp.error <= self.tol:
                    break
            if time.perf_counter() > self.deadline:
                break
            s = np.sign(viol)
            same = s * last_sign
            step = np.where(same > 0, np.minimum(step * _GROW, 0.5), np.where(same < 0, step * _SHRINK, step))
            step = np.maximum(step, 1e-16)
            p = np.where(free, np.maximum(p + s * step, 0.0), p)
            last_sign = np.where(same < 0, 0.0, s)
        lp = clearing_lp(table, p, cap, lo, hi) if best is None else best
        if best is None:
            self.lp_solves += 1
            best_p = p.copy()
        return lp, best_p, p


def solve_eceei(rankings: Sequence[BundleRanking] | Mapping[BundleRanking, float], capacity: Sequence[float] | np.ndarray,
                eps: float, tol: float = 1e-9, max_iter: int = 5000, time_limit: float = math.inf,
                lp_first: int = 100, lp_below: float = 0.05, initial_step: float = 0.01,
                direct_iter: int = 500, homotopy_start: float = 0.4, band_ratio: float = 0.7,
                fallback: str = "exact", exact_time_limit: float = 60.0) -> ECEEICertificate:
    """Return an eps-ECEEI (Definition 4) of the economy, as a checked certificate.

    Parameters
    ----------
    rankings : sequence of BundleRanking, or mapping type -> count
        The agents' reported types (one per agent), or the type multiplicities.
    capacity : array (m,)
        Non-negative (possibly fractional) capacities of the economy.
    eps : float
        Budget perturbation, 0 < eps < 1: budgets in [1 - eps, 1].
    tol : float
        Target largest relative clearing violation (default 1e-9).
    max_iter, time_limit : int, float
        Stop the price search after this many iterations in total or seconds; the best
        certificate found is returned with ``converged = False`` and its error (a warning is
        issued). A finite ``time_limit`` makes the result depend on machine speed.
    lp_first, lp_below : int, float
        Try the exact clearing LP at iterations lp_first, 2 lp_first, 4 lp_first, ... of a stage
        (the LP mixes more freely than uniform budgets, so it often clears well before the
        smoothed demand does), and whenever the smoothed relative error is below ``lp_below``
        and has halved since the last attempt.
    initial_step : float
        First price step of the Rprop search (per good; grows x1.5 while the excess keeps its
        sign, halves when it flips).
    direct_iter, homotopy_start, band_ratio : int, float, float
        The search first runs ``direct_iter`` iterations at ``eps``. If that fails it follows a
        homotopy: solve with the wider band ``max(homotopy_start, eps)`` (smoother demand, where
        tatonnement cycles less), then shrink the band by ``band_ratio`` stage by stage down to
        ``eps``, each stage warm-started at the previous stage's prices.
    fallback : {"exact", "none"}
        When the price search misses ``tol``: ``"exact"`` (default) solves the MILP of
        :mod:`mechanisms.ocam.eceei_exact` (complete: Theorem 1 guarantees a solution exists);
        ``"none"`` returns the search's best certificate.
    exact_time_limit : float
        Seconds allowed to the exact MILP (HiGHS). If it expires, the best certificate found is
        returned with ``converged = False`` and a RuntimeWarning says so.

    Returns
    -------
    ECEEICertificate
        Always re-checked by :func:`mechanisms.ocam.verify.verify_eceei`: ``converged`` is True
        exactly when that independent check passes (clearing within ``tol`` included);
        ``method`` says which stage produced it ("price-search" or "exact-milp").
    """
    require(fallback in ("exact", "none"), "fallback", fallback, '"exact" or "none"')
    require(exact_time_limit > 0, "exact_time_limit", exact_time_limit, "a positive number of seconds")
    require(isinstance(eps, (int, float)) and 0 < eps < 1, "eps_b", eps, "a number in (0, 1)")
    if isinstance(rankings, Mapping):
        table = TypeTable(list(rankings), list(rankings.values()))
    else:
        require(len(rankings) > 0, "rankings", 0, "at least one agent")
        table, _ = TypeTable.from_reports(list(rankings))
    cap = np.asarray(capacity, dtype=np.float64)
    require(cap.shape == (table.m,), "capacity", cap.tolist(), f"{table.m} capacities")
    require(bool(np.all(np.isfinite(cap)) and np.all(cap >= 0)), "capacity", cap.tolist(), "non-negative capacities")
    t0 = time.perf_counter()
    lo = 1.0 - eps
    zero = cap <= 0
    p = np.where(zero, UNAFFORDABLE, 0.0)
    # Warm start: goods over-demanded at p = 0 start at the per-good share of a unit budget
    # spread over an average top bundle (prices of about 1/size buy a bundle of that size).
    d0 = smoothed_demand(table, p, lo, 1.0)
    tops = [int(b).bit_count() for b in table.masks[:, 0]]
    size = float(np.average(tops, weights=table.counts)) if any(tops) else 1.0
    p0 = np.where(~zero & (d0 > cap), lo / max(size, 1.0), p)
    search = _Search(table, cap, tol, t0 + time_limit, lp_first, lp_below, target_eps=eps)
    best, best_p, _ = search.run(p0, eps, initial_step, min(direct_iter, max_iter))
    if best.error > tol and search.iterations < max_iter:
        # Homotopy in the budget band (eps_k halving down to eps), warm-started.
        bands = [max(homotopy_start, eps)]
        while bands[-1] * band_ratio > eps:
            bands.append(bands[-1] * band_ratio)
        if bands[-1] != eps:
            bands.append(eps)
        p = p0
        for k, band in enumerate(bands):
            left = max_iter - search.iterations
            if left <= 0 or time.perf_counter() > search.deadline:
                break
            per_stage = left if band == eps else max(left // (len(bands) - k), 1)
            lp, lp_p, last = search.run(p, band, initial_step if k == 0 else band / 4, per_stage)
            p = lp_p if lp.error <= tol else last
            if band == eps and lp.error < best.error:
                best, best_p = lp, lp_p
    method = "price-search"
    fallback_status = ""
    if best.error > tol and fallback == "exact":
        from .eceei_exact import exact_milp

        # Trust regions around the search's best price points first (small, fast MILPs), then
        # the whole price box [0, 1]^m, which is complete (Theorem 1: a solution exists).
        # In between: continuation in the budget band from a wide band where the search
        # converges (exact_path), each stage a small trust-region MILP.
        from .eceei_exact import exact_path

        t_ex = time.perf_counter()
        for kind, center, radius, share, cap_s in _regions(best_p, search.candidates):
            left = exact_time_limit - (time.perf_counter() - t_ex)
            if left <= 0:
                break
            budget = min(left * share, cap_s)
            if kind == "path":
                if eps >= PATH_START:
                    continue
                t_path = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    wide = solve_eceei(dict(zip(table.types, table.counts)), cap, PATH_START, tol=tol,
                                       fallback="none", time_limit=budget)
                if wide.converged:
                    path = exact_path(table, cap, eps, wide.prices, PATH_START,
                                      time_limit=budget - (time.perf_counter() - t_path))
                    if path is not None and path.lp.error <= best.error:
                        best, best_p, method = path.lp, path.prices, "exact-path"
                        fallback_status = f"{path.status} (band continuation from eps {PATH_START})"
            else:
                ex = exact_milp(table, cap, eps, time_limit=budget, center=center, radius=radius)
                fallback_status = f"{ex.status} (radius {radius})"
                if ex.lp is not None and ex.lp.error <= best.error:
                    best, best_p, method = ex.lp, ex.prices, "exact-milp"
            if best.error <= tol:
                break
    cert = _certificate(table, best_p, cap, eps, best, tol, search.iterations, search.lp_solves, t0)
    cert.method = method
    cert.fallback_status = fallback_status
    # Every certificate is re-checked from scratch (verify.py: best_affordable, not the records)
    from .verify import verify_eceei

    check = verify_eceei(cert)
    cert.verified = check.ok
    cert.problems = list(check.problems)
    cert.converged = check.ok
    cert.seconds = time.perf_counter() - t0
    if not cert.converged:
        warnings.warn(f"ECEEI NOT FOUND: {search.iterations} price-search iterations"
                      + (f" and the exact fallback ({fallback_status})" if fallback == "exact" else "")
                      + f" left a relative clearing error {cert.error:.3g} > tol {tol:g}; the best certificate "
                      f"is returned ({'; '.join(check.problems[:2])})", RuntimeWarning, stacklevel=2)
    return cert


class UnconvergedError(InvariantError):
    """Raised when a solve must clear exactly and did not (OCAM ``on_unconverged = "error"``).

    An :class:`InvariantError` (the run cannot go on as the configuration demands), so it stops
    a run with its own name and the auditor reports it as a finding, never as a crash.

    Attributes:
        certificate: the best certificate found (its ``error`` and ``problems`` say how far off).
    """

    def __init__(self, certificate: ECEEICertificate, message: str):
        self.certificate = certificate
        super().__init__(message)


def assumption2_capacity(n: int, m: int, tau: int, eps_n: float, eps_f: float, with_sqrt: bool = True) -> float:
    """Return the smallest capacity Assumption 2 allows (OCAM paper, Section 4.3).

    ``70 (tau log(eps_s n) + log m + sqrt(n) log n) / (eps_s eps_f^2)`` with
    eps_s = eps_n eps_f / 4; ``with_sqrt=False`` drops the sqrt(n) log n term, which the paper
    says is only needed for the guarantee along the whole arrival sequence.
    """
    eps_s = eps_n * eps_f / 4
    num = tau * math.log(max(eps_s * n, 1.0)) + math.log(m) + (math.sqrt(n) * math.log(n) if with_sqrt else 0.0)
    return 70.0 * num / (eps_s * eps_f ** 2)
