"""The adversarial instance families of Theorems 3.1 and 3.2, played against an online rule.

The proofs build the stream of goods adaptively: each next good's values depend on where the
algorithm put the previous ones. :func:`theorem31` and :func:`theorem32` replay the proofs'
case analysis against a deterministic rule without foresight (``deferred_priority``,
``round_robin`` or the mutant's ``lowest_index``) and return the realised instance, the
allocation and the worst ratio reached over the time steps:

- Theorem 3.1 (two agents, values 1 and 5): the worst EF1 ratio is below 1/2 + eps for any
  algorithm, i.e. no algorithm is (1/2 + eps)-temporal-EF1;
- Theorem 3.2 (n agents, beta = 1, alpha = 2n^2 + 2n): the worst MMS ratio is below
  1/(2n - 1) + eps; for Algorithm 1 it is at least 1/(2n - 1) (Theorem 4.1): the bound is tight.

The proofs rename agents ("without loss of generality ... the smallest index"); here the
agents keep their indices and the stream follows what the algorithm actually did.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import require
from . import algorithms
from .checks import maximin_share
from .valuations import TwoValue

RULES: dict[str, type[algorithms.OnlineAllocator]] = {
    "deferred_priority": algorithms.DeferredPriority, "round_robin": algorithms.RoundRobin,
    "lowest_index": algorithms.LowestIndexPriority,
}


@dataclass
class AdversaryResult:
    """A played adversarial instance: values (goods by agents), owner, worst ratio and where.

    ``worst_ratio`` is the smallest EF1 ratio (Theorem 3.1) or MMS ratio (Theorem 3.2) over the
    steps; ``worst_step``/``worst_agent`` say where; ``case`` names the branch of the proof.
    """

    values: np.ndarray
    owner: np.ndarray
    worst_ratio: float
    worst_step: int
    worst_agent: int
    case: str


class _Driver:
    """Feeds goods one at a time to a rule without foresight (buffers of ``cap`` goods)."""

    def __init__(self, rule: str, n: int, alpha: float, beta: float, cap: int):
        require(rule in RULES, "rule", rule, f"one of {sorted(RULES)}")
        self.alpha, self.beta = alpha, beta
        self.core = RULES[rule]([TwoValue(alpha, beta, np.zeros(cap, dtype=bool)) for _ in range(n)])
        self.values: list[np.ndarray] = []
        self.owner: list[int] = []

    def give(self, col: np.ndarray) -> int:
        g = len(self.owner)
        col = np.asarray(col, dtype=np.float64)
        self.core.is_alpha[g] = col == self.alpha
        self.core.is_beta[g] = col == self.beta
        if hasattr(self.core, "reveal"):
            self.core.reveal(g)
        j = int(self.core.allocate(g, self.core.is_alpha[g:g + 1], self.core.is_beta[g:g + 1]))
        self.values.append(col)
        self.owner.append(j)
        return j


def _ef1_worst(V: np.ndarray, owner: np.ndarray) -> tuple[float, int, int]:
    n = V.shape[1]
    worst = (math.inf, 0, -1)
    for t in range(1, len(owner) + 1):
        for i in range(n):
            own = V[:t][owner[:t] == i, i].sum()
            for j in range(n):
                if j == i:
                    continue
                vals = V[:t][owner[:t] == j, i]
                red = vals.sum() - (vals.max() if vals.size else 0.0)
                if red > 0 and own / red < worst[0]:
                    worst = (own / red, t, i)
    return worst


def _mms_worst(V: np.ndarray, owner: np.ndarray) -> tuple[float, int, int]:
    n = V.shape[1]
    worst = (math.inf, 0, -1)
    for t in range(1, len(owner) + 1):
        for i in range(n):
            mu = maximin_share(V[:t, i], n)
            if mu > 0:
                own = V[:t][owner[:t] == i, i].sum()
                if own / mu < worst[0]:
                    worst = (own / mu, t, i)
    return worst


def theorem31(rule: str, eps: float = 0.01) -> AdversaryResult:
    """Play the proof of Theorem 3.1 (two agents, 2-value with beta = 1, alpha = 5) against ``rule``.

    g1 = (1, 1) goes to some agent a; g2 is worth 5 to a and 1 to b. If a gets g2 too the
    allocation is not (1/2 + eps)-EF1 for b. Else g3 = (1, 1): Case 1 (a gets it): g4 = (5, 5);
    Case 2 (b gets it): g4 worth 1 to a and 5 to b, and unless b takes it, g5 = (5, 5).
    Returns the worst EF1 ratio over the steps (Definition 2.3, rho of the best S, |S| <= 1).
    """
    d = _Driver(rule, 2, 5.0, 1.0, 8)

    def col(va: float, vb: float, a: int) -> np.ndarray:
        c = np.empty(2)
        c[a], c[1 - a] = va, vb
        return c

    a = d.give(np.array([1.0, 1.0]))
    case = "g2 to a"
    if d.give(col(5.0, 1.0, a)) != a:
        if d.give(np.array([1.0, 1.0])) == a:
            case = "case 1"
            d.give(np.array([5.0, 5.0]))
        else:
            case = "case 2"
            if d.give(col(1.0, 5.0, a)) == a:
                d.give(np.array([5.0, 5.0]))
            else:
                case = "case 2, g4 to b"
    V, owner = np.array(d.values), np.array(d.owner)
    r, t, i = _ef1_worst(V, owner)
    return AdversaryResult(V, owner, r, t, i, case)


def theorem32(rule: str, n: int) -> AdversaryResult:
    """Play the proof of Theorem 3.2 (beta = 1, alpha = 2n^2 + 2n) against ``rule``.

    Agents get labels 1..n in the order they receive the first n goods (the proof's renaming:
    "it is without loss of generality to assume that A assigns it to the agent with the
    smallest index"). Good g_r is worth alpha to the agents already served and 1 to the others,
    i.e. v_i(g_r) = 1 iff r <= label(i) (the proof's table; its formula "1 if i <= r" has the
    inequality the other way round). If some agent gets two of the first n goods, the
    allocation at t = n is not MMS-approximate (an agent has nothing) and the stream stops.
    Then n - 1 goods low for all; k is the last label that got none of those. Case 1 (k = n):
    n - 1 goods high for all. Case 2 (k < n): goods high only for labels n, n-1, ..., k+1 in
    turn; when one does not go to its agent (the j-th), n - j goods high for all follow (the
    switch of the stream via Claim 3.3); otherwise k - 1 goods high for all. Returns the worst
    MMS ratio over the steps (exact maximin shares, Definition 2.4).
    """
    require(isinstance(n, int) and n >= 2, "n", n, "an integer >= 2")
    alpha = float(2 * n * n + 2 * n)
    d = _Driver(rule, n, alpha, 1.0, 4 * n)
    label: dict[int, int] = {}  # agent -> label (1-based)
    case = ""
    for r in range(1, n + 1):
        c = np.array([alpha if i in label else 1.0 for i in range(n)])
        j = d.give(c)
        if j in label:
            case = f"two of the first n goods to agent {j}"
            break
        label[j] = r
    if not case:
        agent = {lab: i for i, lab in label.items()}  # label -> agent
        got = set()
        for _ in range(n - 1):
            got.add(d.give(np.ones(n)))
        k = max(lab for lab in range(1, n + 1) if agent[lab] not in got)
        if k == n:
            case = "case 1"
            for _ in range(n - 1):
                d.give(np.full(n, alpha))
        else:
            case = "case 2"
            switched = False
            for ell in range(1, n - k + 1):
                target = agent[n - ell + 1]
                c = np.ones(n)
                c[target] = alpha
                if d.give(c) != target:
                    case = f"case 2, switched at j = {ell}"
                    for _ in range(n - ell):
                        d.give(np.full(n, alpha))
                    switched = True
                    break
            if not switched:
                for _ in range(k - 1):
                    d.give(np.full(n, alpha))
    V, owner = np.array(d.values), np.array(d.owner)
    r, t, i = _mms_worst(V, owner)
    return AdversaryResult(V, owner, r, t, i, case)

