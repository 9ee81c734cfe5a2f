"""Dependent rounding of a fractional assignment (Gandhi, Khuller, Parthasarathy and Srinivasan 2006).

SEM's Step 2 (Section 4.1) draws one ex-post allocation from the period's equilibrium
lotteries; the proof of Theorem 5 uses a dependent rounding with (i) E[rounded] = fractional
for every agent-object pair and (ii) non-positive covariance between agents on an object.
:func:`dependent_rounding` is the bipartite scheme of Gandhi et al.: repeatedly take a cycle
or a maximal path of fractional edges, split it into two alternating matchings and shift
alpha or beta along it with the probabilities that keep every edge's expectation. Every
vertex keeps its degree within the floor and ceiling of its fractional degree, so an agent
(row sum exactly 1) gets exactly one option and an object never goes above
ceil(expected units) <= its supply.
"""
from __future__ import annotations

import numpy as np

from ..errors import InvariantError, require

#: Entries within this distance of 0 or 1 are integral.
ROUND_EPS = 1e-12


def dependent_rounding(frac: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a 0/1 matrix with E[result] = ``frac`` and each row summing to 1.

    ``frac`` is (agents, options) with rows summing to 1 (lotteries). Column sums of the
    result lie in {floor, ceil} of the fractional column sums (degree preservation).
    """
    X = np.array(frac, dtype=np.float64, copy=True)
    require(X.ndim == 2, "frac", X.shape, "a 2-d matrix of lotteries")
    require(bool(np.all(X >= -ROUND_EPS)) and bool(np.allclose(X.sum(axis=1), 1.0, atol=1e-9)), "frac",
            X.round(6).tolist(), "rows of non-negative probabilities summing to 1")
    X[X < ROUND_EPS] = 0.0
    X[X > 1 - ROUND_EPS] = 1.0
    n, k = X.shape
    while True:
        fr = (X > ROUND_EPS) & (X < 1 - ROUND_EPS)
        if not fr.any():
            break
        # vertices: rows 0..n-1, columns n..n+k-1; start at a column with one fractional edge if any
        col_deg = fr.sum(axis=0)
        ends = np.flatnonzero(col_deg == 1)
        if ends.size:
            start = ("c", int(ends[0]))
        else:
            r0, c0 = np.argwhere(fr)[0]
            start = ("r", int(r0))
        path_v = [start]
        path_e: list[tuple[int, int]] = []
        seen = {start: 0}
        cycle = None
        while True:
            kind, v = path_v[-1]
            last = path_e[-1] if path_e else None
            if kind == "r":
                opts = [(v, int(c)) for c in np.flatnonzero(fr[v])]
            else:
                opts = [(int(r), v) for r in np.flatnonzero(fr[:, v])]
            opts = [e for e in opts if e != last]
            if not opts:
                break  # maximal path ends here
            e = opts[0]
            nxt = ("c", e[1]) if kind == "r" else ("r", e[0])
            path_e.append(e)
            if nxt in seen:
                cycle = seen[nxt]
                break
            seen[nxt] = len(path_v)
            path_v.append(nxt)
        edges = path_e[cycle:] if cycle is not None else path_e
        m1 = edges[0::2]
        m2 = edges[1::2]
        a1 = np.array([X[e] for e in m1])
        a2 = np.array([X[e] for e in m2]) if m2 else np.zeros(0)
        alpha = min((1 - a1).min(initial=np.inf), a2.min(initial=np.inf))
        beta = min(a1.min(initial=np.inf), (1 - a2).min(initial=np.inf))
        if rng.random() < beta / (alpha + beta):
            for e in m1:
                X[e] += alpha
            for e in m2:
                X[e] -= alpha
        else:
            for e in m1:
                X[e] -= beta
            for e in m2:
                X[e] += beta
        X[X < ROUND_EPS] = 0.0
        X[X > 1 - ROUND_EPS] = 1.0
    out = np.rint(X).astype(np.int64)
    if not np.all(out.sum(axis=1) == 1):
        raise InvariantError(f"dependent rounding left rows {out.sum(axis=1).tolist()} (each must get one option)")
    return out
