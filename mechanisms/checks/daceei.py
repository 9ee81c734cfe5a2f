"""Dynamic approximate CEEI (DACEEI): OCAM paper, Definition 1, conditions (i)-(iv).

For arrival positions k in [eps_n n, n] (1-based; k >= ceil(eps_n n)):

(i)   x_k is agent k's most preferred feasible bundle costing at most b_k at prices p;
(ii)  1 - eps_b <= b_k <= 1;
(iii) for every good j, sum_{i<=k} x_i^j <= (1 + eps_f) k c^j / n;
(iv)  for every good j with p^j > 0, sum_{i<=k} x_i^j >= (1 - eps_f) k c^j / n.

The checker reports, per condition, the first violating k (and good, and margin: how far the
inequality is from holding, in units of goods or budget).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import require
from ..market import mask_array, masks_to_matrix
from ..preferences import BundleRanking


@dataclass
class Violation:
    """The first violation of one condition: position k (1-based), good (or None) and margin."""

    condition: str
    k: int
    good: int | None
    margin: float


@dataclass
class DACEEIResult:
    """``ok`` and the first violation of each of (i)-(iv) (absent when the condition holds)."""

    ok: bool
    violations: dict[str, Violation] = field(default_factory=dict)
    k_from: int = 1
    n: int = 0

    def holds(self, condition: str) -> bool:
        """Return True when ``condition`` ("i", "ii", "iii", "iv") holds for every checked k."""
        return condition not in self.violations


def check_daceei(bundles: Sequence[int] | np.ndarray, budgets: Sequence[float] | np.ndarray,
                 rankings: Sequence[BundleRanking], prices: Sequence[float] | np.ndarray,
                 capacity: Sequence[float] | np.ndarray, eps_b: float, eps_n: float, eps_f: float,
                 n: int | None = None, conditions: Sequence[str] = ("i", "ii", "iii", "iv")) -> DACEEIResult:
    """Return the DACEEI verdict (Definition 1) for an allocation in ARRIVAL order.

    Parameters
    ----------
    bundles, budgets, rankings
        Per agent in arrival order: bundle mask, budget, and the preference the condition (i)
        is judged with (declared types to test the mechanism; true types to audit outcomes).
    prices, capacity
        Posted prices p and capacities c.
    eps_b, eps_n, eps_f
        Definition 1's parameters.
    n
        Population size (default: the number of agents given).
    """
    bundles = mask_array(bundles, np.asarray(prices).size)  # int64 up to 62 goods, exact beyond
    budgets = np.asarray(budgets, dtype=np.float64)
    p = np.asarray(prices, dtype=np.float64)
    c = np.asarray(capacity, dtype=np.float64)
    require(len(budgets) == len(bundles) and len(rankings) == len(bundles), "budgets/rankings",
            (len(budgets), len(rankings)), f"one budget and one ranking per bundle ({len(bundles)})")
    require(p.shape == c.shape and bool(np.all(p >= 0)), "prices", p.tolist(), f"{c.size} non-negative prices")
    require(bool(np.all(c >= 0)), "capacity", c.tolist(), "non-negative capacities")
    for name, v in (("eps_b", eps_b), ("eps_n", eps_n), ("eps_f", eps_f)):
        require(0 < v <= 1, name, v, "a number in (0, 1]")
    n = len(bundles) if n is None else int(n)
    require(n >= max(len(bundles), 1), "n", n, f"a population size >= the {len(bundles)} agents given")
    k0 = max(1, math.ceil(eps_n * n - 1e-12))
    viol: dict[str, Violation] = {}
    N = len(bundles)
    if "ii" in conditions and N >= k0:
        b = budgets[k0 - 1:]
        bad = np.flatnonzero((b < 1 - eps_b - 1e-12) | (b > 1 + 1e-12))
        if bad.size:
            i = int(bad[0])
            viol["ii"] = Violation("ii", k0 + i, None, float(max(1 - eps_b - b[i], b[i] - 1)))
    if "i" in conditions:
        cache: dict[tuple[BundleRanking, float], int] = {}
        for i in range(k0 - 1, N):
            key = (rankings[i], float(budgets[i]))
            best = cache.get(key)
            if best is None:
                best = rankings[i].best_affordable(p, float(budgets[i]))
                cache[key] = best
            if best != int(bundles[i]):
                cost = float(p @ masks_to_matrix([int(bundles[i])], p.size)[0])
                viol["i"] = Violation("i", i + 1, None, cost - float(budgets[i]))
                break
    if ("iii" in conditions or "iv" in conditions) and N >= k0:
        X = masks_to_matrix(bundles, c.size)
        cum = np.cumsum(X, axis=0)[k0 - 1:]
        ks = np.arange(k0, N + 1, dtype=np.float64)[:, None]
        share = ks * c[None, :] / n
        if "iii" in conditions:
            over = cum - (1 + eps_f) * share
            rows = np.flatnonzero((over > 1e-9).any(axis=1))
            if rows.size:
                r = int(rows[0])
                j = int(np.argmax(over[r]))
                viol["iii"] = Violation("iii", k0 + r, j, float(over[r, j]))
        if "iv" in conditions:
            under = np.where(p[None, :] > 0, (1 - eps_f) * share - cum, -np.inf)
            rows = np.flatnonzero((under > 1e-9).any(axis=1))
            if rows.size:
                r = int(rows[0])
                j = int(np.argmax(under[r]))
                viol["iv"] = Violation("iv", k0 + r, j, float(under[r, j]))
    return DACEEIResult(not viol, viol, k0, n)
