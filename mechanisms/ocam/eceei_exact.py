"""The exact fallback of the ECEEI solver: a mixed-integer programme solved by HiGHS.

OCAM paper, Definition 4 and Theorem 1: an eps-ECEEI always exists. At prices p, bundle r of
type t can be bought with some budget in [lo, 1] (lo = 1 - eps) exactly when

* it is affordable at budget 1: ``p.x_r <= 1``, and
* every bundle the type ranks higher costs more than its supporting budget
  ``max(lo, p.x_r)`` (equation (3): the smallest budget at which it is the best affordable).

An ECEEI is then prices p and, per type, a mixture w_t over such bundles (one mixture per type,
Theorem 1's last sentence) whose expected demand clears (Definition 4 (a), (b)). The search for
p is combinatorial, so :func:`exact_milp` writes it as a MILP
(:func:`scipy.optimize.milp`, HiGHS branch and cut):

variables
    p_j in [0, 1] for goods of positive capacity (a good priced above 1 is bought by nobody, so
    Definition 4 (b) forbids it); z_{t,r} in {0, 1}: "type t may buy bundle r" (r runs over the
    type's acceptable bundles and the empty bundle); w_{t,r} in [0, 1]: the mixture; h_{t,r} in
    [0, 1 + delta]: the smallest cost every bundle ranked above r must exceed; y_j in {0, 1}:
    "good j has a positive price".
constraints (big-M, M_r = |x_r| + delta)
    sum_r w_{t,r} = 1 and w_{t,r} <= z_{t,r} (buy only what may be bought);
    p.x_r <= 1 + (|x_r| - 1)(1 - z_{t,r}) (affordable at budget 1);
    h_{t,r} >= h_{t,r+1}, h_{t,r} >= (lo + delta) z_{t,r},
    h_{t,r} >= p.x_r + delta - M_r (1 - z_{t,r}) and p.x_{r-1} >= h_{t,r}
    (every better bundle costs at least delta more than the supporting budget: the strict
    inequality of "best affordable" with a margin delta);
    sum_{t,r} n_t w_{t,r} x_{r,j} <= c_j, >= c_j y_j, and p_j <= y_j (clearing with
    complementary slackness, Definition 4 (a), (b)).
objective
    none (feasibility): HiGHS stops at the first feasible point.

The MILP's floating point solution is then *polished*: with its combinatorial structure fixed
(which bundles are bought, which goods are priced), a linear programme maximises the margin of
every strict inequality, and the exact clearing LP (:func:`mechanisms.ocam.eceei.clearing_lp`)
recomputes demand sets and mixtures from those prices, so the certificate never rests on the
MILP's tolerances. The caller verifies it independently (:func:`mechanisms.ocam.verify.verify_eceei`).
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from .eceei import LPResult, TypeTable, clearing_lp

#: Margin of the strict "a better bundle costs more than the budget" inequalities in the MILP:
#: far above HiGHS' feasibility tolerance (set to 1e-9 below) and the solver's DEMAND_GAP.
MILP_MARGIN = 1e-6

#: Largest margin the polishing LP asks for (a cap keeps that LP bounded).
POLISH_CAP = 1e-2


@dataclass
class ExactResult:
    """What :func:`exact_milp` found.

    Attributes:
        lp: the clearing LP at the polished prices (None when the MILP found no point).
        prices: the polished prices (None likewise).
        status: HiGHS' message, or why no point was produced.
        seconds: wall time of the MILP and the polish.
        variables: number of MILP variables (binaries included).
        binaries: number of binary variables.
    """

    lp: LPResult | None
    prices: np.ndarray | None
    status: str
    seconds: float
    variables: int
    binaries: int


class _Builder:
    """Sparse constraint rows ``lo <= A x <= hi`` collected in coordinate form."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.lo: list[float] = []
        self.hi: list[float] = []

    def add(self, cols, vals, lo: float, hi: float) -> None:
        r = len(self.lo)
        cols = np.asarray(cols, dtype=np.int64)
        self.rows.append(np.full(cols.size, r, dtype=np.int64))
        self.cols.append(cols)
        self.vals.append(np.asarray(vals, dtype=np.float64))
        self.lo.append(lo)
        self.hi.append(hi)

    def constraint(self, n_var: int) -> LinearConstraint:
        A = sp.csr_matrix((np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
                          shape=(len(self.lo), n_var))
        return LinearConstraint(A, np.array(self.lo), np.array(self.hi))


def _kept_bundles(table: TypeTable, cap: np.ndarray, plo: np.ndarray, phi: np.ndarray, lo: float,
                  margin: float) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Return, per type, the positions (in the flat bundle list) the MILP must model, and cost bounds.

    With prices in the box [plo, phi] every bundle's cost lies in [cmin, cmax]. A bundle with
    cmin > 1 + margin is never affordable and never cheaper than a budget: it drops out. A
    bundle with cmax <= lo - margin is affordable at every budget, so nothing ranked below it
    can be bought and nothing below it matters: the list is cut after it (and the empty bundle
    is then impossible). Zero-capacity goods are priced above every budget, so bundles holding
    one drop out by the first rule. Returns (kept positions per type, cmin, cmax) where the
    last entry of a type's list is -1 when the empty bundle stays possible.
    """
    q_lo = np.append(plo, 0.0)
    q_hi = np.append(phi, 0.0)
    cmin = q_lo[table.items].sum(axis=1)
    cmax = q_hi[table.items].sum(axis=1)
    per_type: list[list[int]] = [[] for _ in table.types]
    for k in range(table.flat_t.size):
        per_type[int(table.flat_t[k])].append(k)
    kept = []
    for ks in per_type:
        out = []
        cut = False
        for k in ks:  # flat order is the type's ranking order
            if cmin[k] > 1.0 + margin:
                continue
            out.append(k)
            if cmax[k] <= lo - margin:
                cut = True
                break
        if not cut:
            out.append(-1)  # the empty bundle
        kept.append(np.asarray(out, dtype=np.int64))
    return kept, cmin, cmax


def exact_milp(table: TypeTable, cap: np.ndarray, eps: float, time_limit: float = 120.0,
               margin: float = MILP_MARGIN, center: np.ndarray | None = None,
               radius: float | None = None, objective: str = "none") -> ExactResult:
    """Return an exact eps-ECEEI of the economy (Definition 4) found by the MILP of the module docstring.

    Args:
        table: the economy's distinct types and multiplicities.
        cap: capacities (m,), non-negative.
        eps: budget perturbation; budgets lie in [1 - eps, 1].
        time_limit: seconds allowed to HiGHS (branch and cut); on expiry the result carries no
            prices and the status says so.
        margin: delta of the strict inequalities.
        center, radius: search only prices within ``radius`` of ``center`` (a trust region around
            the price search's best point: most bundles' status is then decided by the bounds
            and the big-M constants shrink); None searches all of [0, 1]^m, which is complete.

    Returns:
        An :class:`ExactResult`; ``lp.error`` is the clearing error recomputed by the exact LP.
    """
    from .eceei import UNAFFORDABLE

    t0 = time.perf_counter()
    m = table.m
    lo = 1.0 - eps
    free = np.flatnonzero(cap > 0)
    plo = np.where(cap > 0, 0.0, UNAFFORDABLE)
    phi = np.where(cap > 0, 1.0, UNAFFORDABLE)
    if center is not None and radius is not None:
        plo = np.where(cap > 0, np.clip(center - radius, 0.0, 1.0), plo)
        phi = np.where(cap > 0, np.clip(center + radius, 0.0, 1.0), phi)
    pcol = -np.ones(m, dtype=np.int64)
    pcol[free] = np.arange(free.size)
    kept, cmin, cmax = _kept_bundles(table, cap, plo, phi, lo, margin)
    items = table.items
    # variable layout: [p (free goods)] [y (free goods)] then per type: z, w over its kept
    # positions (the empty bundle is position -1 when kept) and h for positions >= 1.
    n_var = free.size
    ycol = n_var + np.arange(free.size)
    n_var += free.size
    layout = []
    for ks in kept:
        R = ks.size
        z = n_var + np.arange(R)
        w = n_var + R + np.arange(R)
        h = n_var + 2 * R + np.arange(R - 1)  # h[r - 1] belongs to position r = 1..R-1
        n_var += 3 * R - 1
        layout.append((ks, z, w, h))
    integrality = np.zeros(n_var)
    lb = np.zeros(n_var)
    ub = np.ones(n_var)
    lb[: free.size] = plo[free]
    ub[: free.size] = phi[free]
    integrality[ycol] = 1
    B = _Builder()
    scale = 1.0 / np.maximum(cap, 1.0)
    dem_cols: list[list[int]] = [[] for _ in range(m)]
    dem_vals: list[list[float]] = [[] for _ in range(m)]

    def cost_cols(k: int) -> list[int]:
        return [int(pcol[j]) for j in items[k] if j < m] if k >= 0 else []

    for t, (ks, z, w, h) in enumerate(layout):
        R = ks.size
        integrality[z] = 1
        ub[h] = 1.0 + margin
        if R == 1:  # a single possible bundle: bought for sure
            lb[z] = 1.0
        B.add(w, np.ones(R), 1.0, 1.0)
        for r in range(R):
            B.add([w[r], z[r]], [1.0, -1.0], -np.inf, 0.0)
        n_t = float(table.counts[t])
        for r in range(R):
            k = int(ks[r])
            if k < 0:
                continue
            cc = cost_cols(k)
            for j in items[k]:
                if j < m:
                    dem_cols[j].append(int(w[r]))
                    dem_vals[j].append(n_t * scale[j])
            M = cmax[k] - 1.0
            if M > 0:  # affordable at budget 1 when bought: p.x <= 1 + M (1 - z)
                B.add(cc + [z[r]], [1.0] * len(cc) + [M], -np.inf, 1.0 + M)
        for r in range(1, R):
            hr = int(h[r - 1])
            if r < R - 1:
                B.add([hr, int(h[r])], [1.0, -1.0], 0.0, np.inf)
            B.add([hr, z[r]], [1.0, -(lo + margin)], 0.0, np.inf)
            k = int(ks[r])
            if k >= 0:  # the empty bundle costs 0 < lo
                cc = cost_cols(k)
                M = cmax[k] + margin
                B.add([hr] + cc + [z[r]], [1.0] + [-1.0] * len(cc) + [-M], margin - M, np.inf)
            cprev = cost_cols(int(ks[r - 1]))
            B.add(cprev + [hr], [1.0] * len(cprev) + [-1.0], 0.0, np.inf)
    for j in free:
        cap_s = float(cap[j] * scale[j])
        B.add(dem_cols[j], dem_vals[j], -np.inf, cap_s)
        B.add(dem_cols[j] + [int(ycol[pcol[j]])], dem_vals[j] + [-cap_s], 0.0, np.inf)
        B.add([int(pcol[j]), int(ycol[pcol[j]])], [1.0, -1.0], -np.inf, 0.0)
    n_bin = int(integrality.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # HiGHS options passed verbatim
        cvec = np.zeros(n_var)
        if objective == "min_priced":
            cvec[ycol] = 1.0
        elif objective == "min_prices":
            cvec[: free.size] = 1.0
        elif objective == "max_prices":
            cvec[: free.size] = -1.0
        res = milp(cvec, integrality=integrality, bounds=Bounds(lb, ub),
                   constraints=[B.constraint(n_var)],
                   options={"time_limit": max(float(time_limit), 1e-3), "presolve": True,
                            "mip_feasibility_tolerance": 1e-9, "primal_feasibility_tolerance": 1e-9})
    if res.x is None:
        return ExactResult(None, None, f"MILP: {res.message}", time.perf_counter() - t0, n_var, n_bin)
    x = res.x
    p = np.full(m, UNAFFORDABLE)
    p[free] = np.clip(x[: free.size], 0.0, 1.0)
    chosen = [(t, r) for t, (ks, z, w, h) in enumerate(layout) for r in range(ks.size) if x[w[r]] > 1e-9]
    priced = x[ycol] > 0.5
    p_pol = _polish(table, layout, chosen, free, priced, lo, p, plo[free], phi[free])
    lp = clearing_lp(table, p_pol, cap, lo)
    if lp.error > 1e-9:  # the polish failed numerically: fall back to the raw MILP prices
        raw = clearing_lp(table, p, cap, lo)
        if raw.error < lp.error:
            lp, p_pol = raw, p
    return ExactResult(lp, p_pol, f"MILP: {res.message}", time.perf_counter() - t0, n_var, n_bin)


def _polish(table: TypeTable, layout, chosen, free: np.ndarray, priced: np.ndarray, lo: float,
            p_milp: np.ndarray, plo: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """Return prices keeping the MILP's purchases optimal with the largest possible margin.

    LP over (p on free goods, delta): maximise delta <= POLISH_CAP subject to, for every bought
    (type, bundle r): p.x_r <= 1 and p.x_{r'} >= max(lo, p.x_r) + delta for every r' ranked
    above r; goods the MILP leaves under-demanded keep price 0 (complementary slackness).
    Returns the MILP prices unchanged if the LP fails.
    """
    m = table.m
    items = table.items
    nf = free.size
    pcol = -np.ones(m, dtype=np.int64)
    pcol[free] = np.arange(nf)
    dcol = nf
    B = _Builder()

    def cc(k: int) -> list[int]:
        return [int(pcol[j]) for j in items[k] if j < m] if k >= 0 else []

    for t, r in chosen:
        ks = layout[t][0]
        cr = cc(int(ks[r]))
        if len(cr) >= 2:
            B.add(cr, np.ones(len(cr)), -np.inf, 1.0)
        for r2 in range(r):
            c2 = cc(int(ks[r2]))
            B.add(c2 + [dcol], [1.0] * len(c2) + [-1.0], lo, np.inf)
            if cr:
                cols = c2 + cr + [dcol]
                vals = [1.0] * len(c2) + [-1.0] * len(cr) + [-1.0]
                # merge duplicate columns (shared goods cancel)
                acc: dict[int, float] = {}
                for c_, v_ in zip(cols, vals):
                    acc[c_] = acc.get(c_, 0.0) + v_
                B.add(list(acc), list(acc.values()), 0.0, np.inf)
    under = ~priced  # y_j = 0: the MILP forces p_j = 0 there (its demand may fall short)
    ub = np.ones(nf + 1)
    ub[:nf] = phi  # the MILP's box: bundles it dropped stay out of reach
    ub[:nf][under] = 0.0
    lb = np.zeros(nf + 1)
    lb[:nf] = np.minimum(plo, ub[:nf])
    ub[nf] = POLISH_CAP
    c = np.zeros(nf + 1)
    c[nf] = -1.0
    if not B.lo:
        return p_milp
    res = _lp_two_sided(c, B.constraint(nf + 1), lb, ub)
    if res is None or res.x is None or res.x[nf] <= 0:
        return p_milp
    p = p_milp.copy()
    p[free] = np.clip(res.x[:nf], 0.0, 1.0)
    return p


def _lp_two_sided(c: np.ndarray, con: LinearConstraint, lb: np.ndarray, ub: np.ndarray):
    """Solve min c.x over con.lb <= A x <= con.ub with lb <= x <= ub via HiGHS."""
    A = con.A.tocsr()
    lo, hi = np.asarray(con.lb), np.asarray(con.ub)
    rows_lo = np.flatnonzero(np.isfinite(lo))
    rows_hi = np.flatnonzero(np.isfinite(hi))
    A_ub = sp.vstack([-A[rows_lo], A[rows_hi]]).tocsr()
    b_ub = np.concatenate([-lo[rows_lo], hi[rows_hi]])
    return linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=np.stack([lb, ub], axis=1), method="highs")


def exact_path(table: TypeTable, cap: np.ndarray, eps: float, start: np.ndarray, start_eps: float,
               time_limit: float, ratio: float = 0.5, radii: tuple[float, ...] = (0.05, 0.15),
               max_refine: int = 3, stage_seconds: float = 2.0) -> ExactResult | None:
    """Return an exact eps-ECEEI by continuation in the budget band, or None.

    Path following (a reading of Theorem 1's limit argument): from an exact ECEEI ``start`` at
    the wider band ``start_eps`` (where the price search converges easily), shrink the band by
    ``ratio`` stage by stage down to ``eps``; each stage is an exact MILP restricted to a trust
    region of radius ``radii[0]`` (then ``radii[1]``) around the previous stage's prices, which
    keeps it small; each attempt gets at most ``stage_seconds``. A stage that fails is retried
    with the band step halved (``max_refine`` times). Returns None when a stage fails or
    ``time_limit`` expires.
    """
    t0 = time.perf_counter()
    center, band = start, start_eps
    refine = 0
    last: ExactResult | None = None
    while band > eps:
        nxt = max(band * ratio, eps)
        found = None
        for radius in radii:
            left = time_limit - (time.perf_counter() - t0)
            if left <= 0:
                return None
            ex = exact_milp(table, cap, nxt, time_limit=min(left, stage_seconds), center=center, radius=radius)
            if ex.lp is not None and ex.lp.error <= 1e-9:
                found = ex
                break
        if found is None:
            if refine >= max_refine:
                return None
            refine += 1
            ratio = 1.0 - (1.0 - ratio) / 2  # a smaller band step
            continue
        center, band, last = found.prices, nxt, found
    if last is not None:
        last.seconds = time.perf_counter() - t0
    return last
