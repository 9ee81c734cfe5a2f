"""A deterministic realisation of an ECEEI: the A-CEEI of Appendix B (Proposition 3).

Proposition 3: some realisation of an eps-ECEEI, one bundle per agent from the support of its
random optimal bundle, has excess demand of L2 norm at most sqrt(sigma * m / 2), sigma the
largest bundle size (Shapley-Folkman with the Budish-Reny bound, Lemma 2). Every agent keeps
the budget supporting its realised bundle, so the result is an approximate CEEI with budgets in
[1 - eps, 1]: the testbed doubles as a static course-allocation solver.

Construction: each type's expected count n_t * w_{t,y} of every support bundle y is split
into its integer part (assigned outright) and a fractional remainder; the remaining agents of
each type are then assigned one at a time, greedily, to the bundle that most reduces the L2
distance to the capacities, and a local search moves single agents between support bundles
while that reduces the distance. The clearing LP's basic solution leaves at most m types
mixing, so only a few agents are rounded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..market import FAST_GOODS, bundle_vector, masks_to_matrix
from .eceei import ECEEICertificate


@dataclass
class Realisation:
    """A deterministic allocation drawn from an ECEEI's supports.

    Attributes
    ----------
    counts : list of dict
        Per certificate type, bundle mask -> number of agents of that type getting it.
    budgets : dict
        Bundle budget per (type, bundle mask): the realisation of the random budget (eq. (3)).
    demand : ndarray (m,)
        Total demand of the realised allocation.
    l2_error : float
        L2 norm of the excess demand (:func:`excess_demand`), the quantity Proposition 3
        bounds (``||c - sum_i x_i||_2`` when every good has a positive price).
    bound : float
        ``sqrt(sigma * m / 2)``, sigma the largest realised bundle size.
    """

    counts: list[dict[int, int]]
    budgets: dict[tuple[int, int], float]
    demand: np.ndarray
    l2_error: float
    bound: float

    @property
    def within_bound(self) -> bool:
        """True when the realised error is at most the Proposition 3 bound."""
        return self.l2_error <= self.bound + 1e-9

    def assign(self, type_of_agent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (bundle mask, budget) per agent, given each agent's certificate type index.

        Agents of one type receive that type's realised bundles in increasing budget order
        (any order is a valid realisation: agents of one type are interchangeable).
        """
        type_of_agent = np.asarray(type_of_agent)
        bundles = np.zeros(type_of_agent.size, dtype=np.int64 if self.demand.size <= FAST_GOODS else object)
        budgets = np.zeros(type_of_agent.size)
        for t, cnt in enumerate(self.counts):
            idx = np.flatnonzero(type_of_agent == t)
            pos = 0
            for b in sorted(cnt, key=lambda b: self.budgets[(t, b)]):
                k = cnt[b]
                bundles[idx[pos:pos + k]] = b
                budgets[idx[pos:pos + k]] = self.budgets[(t, b)]
                pos += k
            if pos != idx.size:
                raise ValueError(f"type {t}: {idx.size} agents but the realisation has {pos}")
        return bundles, budgets


def realise(cert: ECEEICertificate, max_passes: int = 20) -> Realisation:
    """Return a deterministic realisation of ``cert`` with small excess demand (Proposition 3).

    Requires integer type counts (one realised bundle per agent).
    """
    counts_t = np.asarray(cert.counts)
    if not np.allclose(counts_t, np.round(counts_t)):
        raise ValueError("realise needs integer agent counts per type")
    m = cert.capacity.size
    # Round towards the expected demand, which lies in conv(S_1 + ... + S_n) (Lemma 2 needs
    # that); it equals c on every good with a positive price (Definition 4 (b)).
    cap = np.asarray(cert.demand, dtype=np.float64)
    out: list[dict[int, int]] = []
    budgets: dict[tuple[int, int], float] = {}
    rest: list[tuple[int, int, list[int]]] = []  # (type, agents left, support masks)
    demand = np.zeros(m)
    for t, sup in enumerate(cert.support):
        n_t = int(round(counts_t[t]))
        cnt: dict[int, int] = {}
        masks = [b for b, _, _ in sup]
        for b, budget, q in sup:
            budgets[(t, b)] = budget
            k = int(math.floor(n_t * q + 1e-9))
            if k:
                cnt[b] = k
        left = n_t - sum(cnt.values())
        for b, k in cnt.items():
            demand += k * bundle_vector(b, m)
        out.append(cnt)
        if left:
            rest.append((t, left, masks))
    # Greedy rounding of the remaining agents.
    for t, left, masks in rest:
        X = masks_to_matrix(masks, m)
        for _ in range(left):
            d = ((demand[None, :] + X - cap[None, :]) ** 2).sum(axis=1)
            k = int(np.argmin(d))
            out[t][masks[k]] = out[t].get(masks[k], 0) + 1
            demand += X[k]
    # Local search: move one agent of a mixing type to another support bundle if it helps.
    for _ in range(max_passes):
        improved = False
        for t, _, masks in rest:
            X = masks_to_matrix(masks, m)
            for a, ba in enumerate(masks):
                if out[t].get(ba, 0) == 0:
                    continue
                base = demand - X[a]
                d = ((base[None, :] + X - cap[None, :]) ** 2).sum(axis=1)
                k = int(np.argmin(d))
                if d[k] < d[a] - 1e-12:
                    out[t][ba] -= 1
                    if out[t][ba] == 0:
                        del out[t][ba]
                    out[t][masks[k]] = out[t].get(masks[k], 0) + 1
                    demand = base + X[k]
                    improved = True
        if not improved:
            break
    sigma = max((int(b).bit_count() for cnt in out for b in cnt), default=0)
    err = float(np.linalg.norm(excess_demand(demand, cert.capacity, cert.prices)))
    return Realisation(out, budgets, demand, err, math.sqrt(sigma * m / 2))


def excess_demand(demand: np.ndarray, capacity: np.ndarray, prices: np.ndarray) -> np.ndarray:
    """Return the A-CEEI excess demand: d - c where p > 0, max(d - c, 0) where p = 0 (Budish 2011).

    Its L2 norm is at most ``||d - E[d]||`` because E[d] = c where p > 0 and E[d] <= c elsewhere.
    """
    z = np.asarray(demand, dtype=np.float64) - np.asarray(capacity, dtype=np.float64)
    return np.where(np.asarray(prices) > 0, z, np.maximum(z, 0.0))
