"""Ex-post Pareto efficiency with respect to realised supply: OCAM paper, Definition 3 and
Proposition 2.

With c_hat^j = sum over G of x_i^j (the realised consumption of the agents in G), X is
Pareto-efficient for G if no allocation feasible for c_hat makes every agent of G weakly better
off and one strictly better off. Searched exactly with a small MILP (scipy HiGHS): binary
z_{i,y} over the bundles y each agent weakly prefers to its own, one per agent, capacities
c_hat, maximising the number of strictly improved agents. Intended for small markets.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from ..errors import require
from ..market import masks_to_matrix
from ..preferences import BundleRanking


@dataclass
class ParetoResult:
    """``ok`` and, when False, a Pareto-improving allocation (one bundle per agent)."""

    ok: bool
    improvement: list[int] | None = None
    improved_agents: list[int] | None = None


def _weakly_better(ranking: BundleRanking, own: int) -> list[int]:
    """Bundles the agent weakly prefers to ``own``, own first (the empty bundle is always feasible)."""
    if own != 0 and ranking.is_acceptable(own):
        return [own] + list(ranking.bundles[:ranking.rank(own)])
    rest = list(ranking.bundles) + ([0] if own != 0 else [])
    return [own] + rest


def check_pareto(bundles: Sequence[int], rankings: Sequence[BundleRanking],
                 supply: Sequence[float] | np.ndarray | None = None) -> ParetoResult:
    """Return whether ``bundles`` is Pareto-efficient for the given agents (Definition 3).

    ``supply`` defaults to the realised consumption c_hat of these agents (Proposition 2).
    """
    if len(bundles) != len(rankings):
        raise ValueError(f"{len(bundles)} bundles for {len(rankings)} rankings")
    if not bundles:
        return ParetoResult(True)
    m = rankings[0].m
    own = [int(b) for b in bundles]
    if supply is None:
        supply = masks_to_matrix(own, m).sum(axis=0)
    supply = np.asarray(supply, dtype=np.float64)
    require(supply.shape == (m,) and bool(np.all(supply >= 0)), "supply", supply.tolist(),
            f"{m} non-negative supplies")
    options = [_weakly_better(r, b) for r, b in zip(rankings, own)]
    cols_agent, cols_mask, gain = [], [], []
    for i, opts in enumerate(options):
        for y in opts:
            cols_agent.append(i)
            cols_mask.append(y)
            gain.append(0.0 if y == own[i] else 1.0)
    K = len(cols_mask)
    X = masks_to_matrix(cols_mask, m)
    one = sp.csr_matrix((np.ones(K), (cols_agent, np.arange(K))), shape=(len(own), K))
    cons = [LinearConstraint(one, 1, 1), LinearConstraint(sp.csr_matrix(X.T), -np.inf, supply + 1e-9)]
    res = milp(-np.asarray(gain), constraints=cons, integrality=np.ones(K), bounds=Bounds(0, 1))
    if res.x is None:
        raise RuntimeError(f"Pareto MILP failed: {res.message}")
    if -res.fun < 0.5:
        return ParetoResult(True)
    chosen = np.flatnonzero(res.x > 0.5)
    alloc = list(own)
    for k in chosen:
        alloc[cols_agent[k]] = cols_mask[k]
    improved = [i for i in range(len(own)) if alloc[i] != own[i]]
    return ParetoResult(False, alloc, improved)
