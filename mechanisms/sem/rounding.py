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

from ..errors import ConfigError, InvariantError, require

#: Entries within this distance of 0 or 1 are integral.
ROUND_EPS = 1e-12


def dependent_rounding(frac: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return a 0/1 matrix with E[result] = ``frac`` and each row summing to 1.

    ``frac`` is (agents, options) with rows summing to 1 (lotteries). Column sums of the
    result lie in {floor, ceil} of the fractional column sums (degree preservation). One
    uniform draw of ``rng`` per rounding step.
    """
    F = np.asarray(frac, dtype=np.float64)
    require(F.ndim == 2, "frac", F.shape, "a 2-d matrix of lotteries")
    if F.min(initial=0.0) < -ROUND_EPS or np.abs(F.sum(axis=1) - 1.0).max(initial=0.0) > 1e-9:
        raise ConfigError("frac", F.round(6).tolist(), "rows of non-negative probabilities summing to 1")
    n, k = F.shape
    X = [[0.0 if v < ROUND_EPS else (1.0 if v > 1 - ROUND_EPS else float(v)) for v in row] for row in F]
    # adjacency of the fractional edges: vertices 0..n-1 are agents, n..n+k-1 options
    adj: list[set[int]] = [set() for _ in range(n + k)]
    for r in range(n):
        for c in range(k):
            if 0.0 < X[r][c] < 1.0:
                adj[r].add(n + c)
                adj[n + c].add(r)

    while True:
        start = next((v for v in range(n, n + k) if len(adj[v]) == 1), -1)
        if start < 0:
            start = next((v for v in range(n) if adj[v]), -1)
            if start < 0:
                break
        # walk along fractional edges until a vertex repeats (cycle) or the path cannot go on;
        # an edge is stored as (row, column) (rows are the vertices below n)
        pos = {start: 0}
        prev, u = -1, start
        edges: list[tuple[int, int]] = []
        while True:
            nxt = next((v for v in adj[u] if v != prev), -1)
            if nxt < 0:
                break
            edges.append((u, nxt - n) if u < n else (nxt, u - n))
            if nxt in pos:
                edges = edges[pos[nxt]:]
                break
            pos[nxt] = len(pos)
            prev, u = u, nxt
        vals = [X[r][c] for r, c in edges]
        v1, v2 = vals[0::2], vals[1::2]
        alpha = min(1.0 - max(v1), min(v2) if v2 else np.inf)
        beta = min(min(v1), 1.0 - max(v2) if v2 else np.inf)
        shift = alpha if rng.random() < beta / (alpha + beta) else -beta
        for j, (r, c) in enumerate(edges):
            val = vals[j] + (shift if j % 2 == 0 else -shift)
            if val < ROUND_EPS:
                val = 0.0
            elif val > 1 - ROUND_EPS:
                val = 1.0
            X[r][c] = val
            if val == 0.0 or val == 1.0:
                adj[r].discard(n + c)
                adj[n + c].discard(r)
    out = np.rint(np.array(X)).astype(np.int64)
    if not np.all(out.sum(axis=1) == 1):
        raise InvariantError(f"dependent rounding left rows {out.sum(axis=1).tolist()} (each must get one option)")
    return out
