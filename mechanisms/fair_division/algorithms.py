"""The online allocation rules of the fair-division paper, on arrays (no protocol, no Mesa).

Each rule is an allocator object that is told about the goods one at a time, in arrival
order, and answers with the agent who receives the good, irrevocably:

- :class:`DeferredPriority` (Algorithm 1, Section 4): no foresight;
- :class:`NaiveMatching` (Algorithm 2, Section 5.1): two agents, foresight 1;
- :class:`PriorityMatching` (Algorithm 3, Section 5.2): foresight n - 1;
- :class:`RoundRobin` (Remark 2.6): ignores the values.

Inputs are the 2-value data of the DECLARED valuations (Definition 2.1): ``alpha``, ``beta``
(length n) and the masks ``is_alpha[g, i] = (v_i(g) = alpha_i)``, ``is_beta[g, i] =
(v_i(g) = beta_i)`` (goods by agents). Foresight is enforced structurally: at good ``g`` an
allocator is handed the rows ``g .. g + foresight`` only (:meth:`OnlineAllocator.run`).

Readings of the pseudocode (documented in ``docs/fair_division.md``):

- Algorithm 1 line 25 writes ``chi_i <- 1``; the comment and the proof of Theorem 4.1 part 1
  ("lines 18 and 24-25 update chi to 1 for any agent who receives any good during Phase 0")
  make it ``chi_j``. The phase reset (lines 27-30) also resets ``chi`` to 0: ``chi_j = 1``
  means "no more goods during the current phase" (comment of line 18), and the proof calls an
  agent active "during any phase" when ``chi_i = 0``.
- Algorithm 2's Table 1 is not in the text we have: for the non-contested patterns (every
  pattern except blocks I and II) we give ``g`` to agent 1 and ``g'`` to agent 2 when both
  weakly prefer their good that way, else the swap. The proof of Theorem 5.2 uses only that
  each agent weakly prefers its own good of the pair. When the last good has no preview
  (odd m) it goes to the agent who would win the next contested block; ``ctr`` is unchanged.
- Algorithm 3's topological sort (line 8) is Kahn's, smallest index first among the sources
  of each layer; its maximum-weight matching (line 11) is scipy's ``linear_sum_assignment``.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..errors import InvariantError, require
from .valuations import TwoValue

_BIG = np.iinfo(np.int64).max // 4


class OnlineAllocator:
    """Base of the online allocators: arrays of the declared 2-value instance and the run loop.

    Parameters
    ----------
    valuations : sequence of TwoValue
        The declared valuations, agent ``i`` at position ``i`` (already reduced to 2-value:
        :meth:`~mechanisms.fair_division.valuations.Valuation.two_value`).
    """

    #: Number of goods after the current one the allocator sees (Section 2, "foresight").
    foresight: int = 0

    def __init__(self, valuations: Sequence[TwoValue]):
        n = len(valuations)
        require(n >= 1, "reports", n, "at least one agent")
        self.n = n
        self.m = valuations[0].m
        self.alpha = np.array([v.alpha for v in valuations], dtype=np.float64)
        self.beta = np.array([v.beta for v in valuations], dtype=np.float64)
        high = np.empty((self.m, n), dtype=bool)
        for i, v in enumerate(valuations):
            high[:, i] = v.high
        self.is_alpha = high
        eq = self.alpha == self.beta
        # v_i(g) = beta_i: the low goods, and every good of an agent with alpha_i = beta_i
        self.is_beta = ~high | eq[None, :]
        self.owner = np.full(self.m, -1, dtype=np.int64)

    def values_of(self, rows: np.ndarray) -> np.ndarray:
        """Return v_i(g) for the goods of ``rows`` (a slice of ``is_alpha``), goods by agents."""
        return np.where(rows, self.alpha, self.beta)

    def allocate(self, g: int, is_alpha: np.ndarray, is_beta: np.ndarray) -> int:
        """Return the agent who gets good ``g``; rows 0 of the arguments are good g, then the preview."""
        raise NotImplementedError

    def run(self) -> np.ndarray:
        """Allocate every good in arrival order; return ``owner`` (owner[g] = agent of good g)."""
        ell = self.foresight
        A, B = self.is_alpha, self.is_beta
        for g in range(self.m):
            j = self.allocate(g, A[g:g + ell + 1], B[g:g + ell + 1])
            self.owner[g] = j
        return self.owner


class DeferredPriority(OnlineAllocator):
    """Algorithm 1, Deferred-Priority (Section 4), line by line.

    State: ``phase``, ``low``, ``high``, ``t``; per agent ``H`` (tolerated losses of high-valued
    goods, initially n), ``L`` (of low-valued goods, initially 2n - 1) and ``chi`` (inactive for
    the rest of the phase). Ties in the arg mins of lines 15 and 21 go to the lowest index.
    """

    def __init__(self, valuations: Sequence[TwoValue]):
        super().__init__(valuations)
        n = self.n
        self.phase = 0
        self.low = 0
        self.high = 0
        self.t = 0
        self.H = np.full(n, n, dtype=np.int64)
        self.L = np.full(n, 2 * n - 1, dtype=np.int64)
        self.chi = np.zeros(n, dtype=bool)
        self._pos_alpha = self.alpha > 0
        # line 7's test for every good at once (v_i(g) = alpha_i > 0) and its complement (line 10)
        self._dec_h = self.is_alpha & self._pos_alpha[None, :]
        self._dec_l = ~self._dec_h
        self._active = np.ones(n, dtype=bool)  # chi_i = 0
        #: number of phases completed, per good (diagnostics for Theorem 4.1's phase bounds)
        self.phases_completed = 0

    def reveal(self, g: int) -> None:
        """Recompute line 7's test for good g after its row of ``is_alpha`` was set (goods fed one by one)."""
        self._dec_h[g] = self.is_alpha[g] & self._pos_alpha
        self._dec_l[g] = ~self._dec_h[g]

    def choose_high(self, candidates: np.ndarray) -> int:
        """Line 15: the candidate with the smallest H (lowest index among ties)."""
        return int(np.argmin(np.where(candidates, self.H, _BIG)))

    def choose_low(self, candidates: np.ndarray) -> int:
        """Line 21: the candidate with the smallest L (lowest index among ties)."""
        return int(np.argmin(np.where(candidates, self.L, _BIG)))

    def allocate(self, g: int, is_alpha: np.ndarray, is_beta: np.ndarray) -> int:
        n = self.n
        a = is_alpha[0]
        self.t += 1                                           # line 5
        self.H -= self._dec_h[g]                              # lines 7-8 (line 7's test, precomputed)
        self.L -= self._dec_l[g]                              # line 10
        active = self._active
        n_h = a & active                                      # line 11
        if n_h.any():                                         # line 13
            self.high += 1                                    # line 14
            j = self.choose_high(n_h)                         # line 15
            self.H[j] += 3 * n - 2                            # line 17
            self.chi[j] = True                                # line 18
            active[j] = False
        else:
            n_l = is_beta[0] & active                         # line 12
            if not n_l.any():
                raise InvariantError(f"Deferred-Priority: no active agent for good {g} (phase {self.phase})")
            self.low += 1                                     # line 20
            j = self.choose_low(n_l)                          # line 21
            self.L[j] = 2 * n + self.t                        # line 23
            if self.phase == 0:                               # line 24
                self.chi[j] = True                            # line 25 (chi_j)
                active[j] = False
        if (self.phase == 0 and self.low + self.high == n) or (self.phase > 0 and max(self.low, self.high) == n):
            self.phase += 1                                   # line 27
            self.low = 0                                      # line 28
            self.high = 0
            self.L[:] = 2 * n - 1                             # lines 29-30
            self.chi[:] = False                               # a new phase: everyone active again
            active[:] = True
            self.phases_completed += 1
        return j


class NaiveMatching(OnlineAllocator):
    """Algorithm 2, Naive-Matching (Section 5.1): two agents, foresight 1."""

    foresight = 1

    def __init__(self, valuations: Sequence[TwoValue]):
        require(len(valuations) == 2, "market.n_agents", len(valuations), "exactly 2 agents (Algorithm 2)")
        super().__init__(valuations)
        self.ctr = 0
        self._commit = -1
        #: goods that were allocated as a contested block (I or II), for diagnostics
        self.contested = 0

    def allocate(self, g: int, is_alpha: np.ndarray, is_beta: np.ndarray) -> int:
        t = g + 1                                             # line 5
        if t % 2 == 0:                                        # line 6
            return self._commit                               # line 7
        if is_alpha.shape[0] < 2:  # the last good of an odd instance: no preview
            return 1 - ((self.ctr + 1) % 2)                   # the next contested winner, 2 - ctr' (0-based)
        v = self.values_of(is_alpha[:2])                      # line 9: B = [[v1(g), v1(g')], [v2(g), v2(g')]]
        d1 = np.sign(v[0, 0] - v[1, 0])                       # agent 1: + prefers g, - prefers g'
        d2 = np.sign(v[0, 1] - v[1, 1])
        if d1 > 0 and d2 > 0 or d1 < 0 and d2 < 0:            # blocks I / II: one contested high good
            self.ctr = (self.ctr + 1) % 2                     # line 14
            j = 2 - self.ctr                                  # line 15 (1-based)
            self.contested += 1
            winner = j - 1
            first = winner if d1 > 0 else 1 - winner          # block I: g is the contested good
        else:                                                 # line 10: every other pattern of Table 1
            first = 0 if (d1 >= 0 and d2 <= 0) else 1
        self._commit = 1 - first                              # lines 12/17: commit g' to the other agent
        return first                                          # lines 11/16


def topological_order(envy: np.ndarray) -> np.ndarray:
    """Return a topological order of the envy graph (``envy[i, j]``: i envies j), sources first.

    Kahn's algorithm by layers, lowest index first within a layer. Raises
    :class:`~mechanisms.errors.InvariantError` when the graph has a cycle (Theorem 5.4 (ii)
    says it never does for Algorithm 3's allocations at t = kn).
    """
    n = envy.shape[0]
    indeg = envy.sum(axis=0).astype(np.int64)
    done = np.zeros(n, dtype=bool)
    order: list[int] = []
    while len(order) < n:
        layer = np.flatnonzero((indeg == 0) & ~done)
        if layer.size == 0:
            raise InvariantError("envy graph has a cycle: no topological order (Theorem 5.4 (ii))")
        order.extend(layer.tolist())
        done[layer] = True
        indeg -= envy[layer].sum(axis=0)
    return np.asarray(order, dtype=np.int64)


class PriorityMatching(OnlineAllocator):
    """Algorithm 3, Priority-Matching (Section 5.2): foresight n - 1, one matching per round.

    Keeps ``W[i, j] = v_i(A_j)`` up to date for the envy graph of line 7 (envy when
    ``v_i(A_j) > v_i(A_i)``, up to a relative tolerance of 1e-9 for float sums).
    """

    def __init__(self, valuations: Sequence[TwoValue]):
        super().__init__(valuations)
        self.foresight = self.n - 1
        self.W = np.zeros((self.n, self.n))
        self._commit = np.full(self.m, -1, dtype=np.int64)
        self.rounds = 0

    def envy_graph(self) -> np.ndarray:
        """Return the envy graph G_t of line 7 as a boolean matrix."""
        own = np.diag(self.W)
        tol = 1e-9 * np.maximum(1.0, np.abs(own))
        E = self.W > (own + tol)[:, None]
        np.fill_diagonal(E, False)
        return E

    def allocate(self, g: int, is_alpha: np.ndarray, is_beta: np.ndarray) -> int:
        n = self.n
        if g % n == 0:                                        # line 6: t = 1 mod n
            self.rounds += 1
            pi_inv = topological_order(self.envy_graph())     # lines 7-8: pi^{-1}(p) = agent at position p
            pos = np.empty(n, dtype=np.int64)
            pos[pi_inv] = np.arange(1, n + 1)
            base = (1.0 + 1.0 / (2 * n)) ** (n - pos)         # line 10
            w = base[None, :] * np.where(is_alpha, 2.0, 1.0)  # goods by agents
            rows, cols = linear_sum_assignment(w.T, maximize=True)  # line 11 (agents x goods)
            for i, h in zip(rows, cols):
                self._commit[g + h] = i                       # line 13
        j = int(self._commit[g])                              # lines 12 / 15
        if j < 0:
            raise InvariantError(f"Priority-Matching: good {g} was not matched in its round")
        self.W[:, j] += np.where(is_alpha[0], self.alpha, self.beta)
        return j


class RoundRobin(OnlineAllocator):
    """The trivial baseline of Remark 2.6: good g goes to agent ``g mod n``, values ignored."""

    def allocate(self, g: int, is_alpha: np.ndarray, is_beta: np.ndarray) -> int:
        return g % self.n

    def run(self) -> np.ndarray:
        self.owner[:] = np.arange(self.m) % self.n
        return self.owner


class LowestIndexPriority(DeferredPriority):
    """Deferred-Priority with lines 15 and 21 broken: the LOWEST-INDEX candidate, not the top priority.

    Used only by the mutant ``mutant_dp_lowest_index`` (:mod:`mechanisms.mutants.properties`): it ignores
    the priorities H and L, so an agent with a high index can lose high-valued goods for ever.
    """

    def choose_high(self, candidates: np.ndarray) -> int:
        return int(np.argmax(candidates))

    def choose_low(self, candidates: np.ndarray) -> int:
        return int(np.argmax(candidates))


ALLOCATORS: dict[str, type[OnlineAllocator]] = {
    "deferred_priority": DeferredPriority, "naive_matching": NaiveMatching,
    "priority_matching": PriorityMatching, "round_robin": RoundRobin,
}


def allocate(name: str, valuations: Sequence[TwoValue]) -> np.ndarray:
    """Return ``owner`` (owner[g] = agent of good g) of the rule ``name`` on ``valuations``."""
    require(name in ALLOCATORS, "algorithm", name, f"one of {sorted(ALLOCATORS)}")
    return ALLOCATORS[name](valuations).run()
