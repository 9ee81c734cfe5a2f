"""The building blocks of Mechanisms 1-4: single offers, samples and posted-price loops.

Every stage answers, for an arriving seller and BEFORE seeing her bid, with a :class:`Quote`
(the posted threshold, the remaining budget B' and whether the offer is feasible); then it
observes the bid. The seller is hired iff the offer is feasible and her bid is at most the
threshold, and is paid the threshold. Because a quote never depends on its seller's own bid,
each realisation of the coins and the order is a truthful, individually rational posted-price
mechanism (Lemma 1's argument), and a seller's outcome under any other bid can be read off
her recorded quote (the incremental replay path).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..checkpoint import ConstantState
from .offline import Solution, solve_sample
from .valuations import Valuation, ValState


@dataclass(frozen=True, slots=True)
class Quote:
    """What the mechanism offers an arriving seller, fixed before her bid is read.

    Attributes
    ----------
    phase : str
        ``"sample"`` (N_1 or Dynkin's sample: never hired), ``"single"`` (Mechanism 2 line 2,
        Dynkin line 3: price B), ``"posted"`` (the posted-price loop), ``"closed"`` (the single
        hire is done) or ``"below"`` (value below the single-offer threshold).
    threshold : float or None
        The posted price (hired iff bid <= threshold and ``offered``); None when no price is
        offered. In the loop it is p_i = (B/t) v(i|S) (Mechanism 2 line 7) even when the budget
        test fails, so the auditor sees it.
    budget_left : float or None
        B' at her arrival (posted-price loop; B for single offers).
    offered : bool
        True when an acceptance would hire her (B' - p_i >= 0, or the single offer is open).
    solution : int
        Which of the two disjoint solutions the seller is offered to (non-monotone variants).
    price : float or None
        The price of her routed solution, also when that solution is not the one returned.
    """

    phase: str
    threshold: float | None
    budget_left: float | None
    offered: bool
    solution: int = 0
    price: float | None = None

    def hires(self, bid: float) -> bool:
        """Return True when a seller bidding ``bid`` is hired under this quote."""
        return self.offered and self.threshold is not None and bid <= self.threshold


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a)  # owns its data
    a.flags.writeable = False
    return a


def posted_price(budget: float, marginal: float, t: float) -> float:
    """Return p_i = (B/t) v(i|S) (Mechanism 2 line 7, Mechanism 3 line 11).

    When t = 0 (omega = 0, or an empty or worthless sample) the price is +inf for a positive
    marginal (never affordable), 0 for a zero marginal and -inf for a negative one: the limits
    of (B/t) v(i|S) as t -> 0+.
    """
    if t > 0:
        return budget * marginal / t
    if marginal > 0:
        return math.inf
    return 0.0 if marginal == 0 else -math.inf


class Stage(ConstantState):
    """One arrival-driven phase of a mechanism (base class).

    ``SNAPSHOT_CONSTANTS`` names the attributes fixed when the stage is built: state
    snapshots share them (:class:`mechanisms.checkpoint.ConstantState`).
    """

    def quote(self, agent: int) -> Quote:  # pragma: no cover - overridden
        raise NotImplementedError

    def observe(self, agent: int, bid: float, q: Quote) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def info(self) -> dict:
        """Return run diagnostics (threshold t, sample size, ...)."""
        return {}


class SingleOffer(Stage):
    """Hire the first seller whose singleton value passes a threshold, paying B.

    With ``sample_size`` = floor(n/e) and ``threshold`` None it is Dynkin's algorithm
    (Mechanism 3 lines 1-3): the first floor(n/e) arrivals are a sample whose best singleton
    value v(i*) becomes the threshold, and later sellers with v(j) >= v(i*) (``ties="accept"``;
    ``"reject"`` demands v(j) > v(i*)) are offered B. With ``sample_size`` = 0 and
    ``threshold`` = a omega / z it is Mechanism 2 line 2. A seller who declines (bid > B,
    only possible when bids above B are allowed) leaves the offer open for the next one.
    """

    SNAPSHOT_CONSTANTS = ("singles", "B", "m", "strict")

    def __init__(self, singles: np.ndarray, budget: float, sample_size: int = 0, threshold: float | None = None,
                 ties: str = "accept"):
        self.singles, self.B, self.m = singles, float(budget), int(sample_size)
        self.theta = -math.inf if threshold is None else float(threshold)
        self.strict = ties == "reject"
        self.k, self.done, self.winner = 0, False, None

    def quote(self, agent: int) -> Quote:
        if self.k < self.m:
            return Quote("sample", None, None, False)
        if self.done:
            return Quote("closed", None, None, False)
        v = self.singles[agent]
        ok = v > self.theta if self.strict else v >= self.theta
        return Quote("single", self.B, self.B, True) if ok else Quote("below", None, self.B, False)

    def observe(self, agent: int, bid: float, q: Quote) -> None:
        if self.k < self.m:
            self.theta = max(self.theta, float(self.singles[agent]))
        elif q.hires(bid):
            self.done, self.winner = True, agent
        self.k += 1

    def info(self) -> dict:
        return {"value_threshold": self.theta, "sample_size": self.m, "winner": self.winner}


class PostedPrice(Stage):
    """The posted-price loop (Mechanism 2 lines 4-8; Mechanism 3/4 lines 8-12).

    Offers each arriving seller p_i = (B/t) v(i|S); hires her when her bid is at most p_i and
    B' - p_i >= 0, then B' <- B' - p_i. With ``n_solutions`` = 2 (Section 5, our reading) it
    builds two disjoint solutions S_1, S_2, each with its own budget B (only the one chosen
    beforehand, ``chosen``, is hired and paid): a seller is routed, before her bid is read, to
    the solution where her marginal value is larger (ties to S_1; ``route="random"``: by a
    fair coin), and is offered that solution's price.
    """

    SNAPSHOT_CONSTANTS = ("v", "B", "t", "chosen", "route")

    def __init__(self, valuation: Valuation, budget: float, t: float, n_solutions: int = 1, chosen: int = 0,
                 route: str = "max_marginal", route_coin: Callable[[int], int] | None = None):
        self.v, self.B, self.t = valuation, float(budget), float(t)
        self.states: list[ValState] = [valuation.state() for _ in range(n_solutions)]
        self.left = [float(budget)] * n_solutions
        self.members: list[list[int]] = [[] for _ in range(n_solutions)]
        self.chosen, self.route, self.route_coin = int(chosen), route, route_coin

    def _route(self, agent: int) -> tuple[int, float]:
        if len(self.states) == 1:
            return 0, self.states[0].marginal(agent)
        if self.route == "random":
            j = int(self.route_coin(agent))
            return j, self.states[j].marginal(agent)
        m0, m1 = self.states[0].marginal(agent), self.states[1].marginal(agent)
        return (0, m0) if m0 >= m1 else (1, m1)

    def quote(self, agent: int) -> Quote:
        j, m = self._route(agent)
        price = posted_price(self.B, m, self.t)
        feasible = self.left[j] - price >= 0
        if j != self.chosen:
            return Quote("posted_unreturned", None, None, False, j, price)
        return Quote("posted", price, self.left[j], feasible, j, price)

    def observe(self, agent: int, bid: float, q: Quote) -> None:
        j, price = q.solution, q.price
        # the unreturned solution evolves exactly as if it were returned (it is built, not paid)
        if self.left[j] - price >= 0 and bid <= price:
            self.states[j].add(agent)
            self.members[j].append(agent)
            self.left[j] -= price

    def info(self) -> dict:
        return {"t": self.t, "budget_left": self.left[self.chosen], "chosen_solution": self.chosen,
                "solution_values": [s.value for s in self.states]}


class SampleThenPost(Stage):
    """Mechanism 3/4 lines 5-12: the first xi_1 arrivals form N_1 (never hired); at the first
    arrival of N_2 compute T_1 on N_1's bids, set t = a omega + beta v(T_1), then run the
    posted-price loop over N_2 (the agents the analysis offers to; see the docs)."""

    SNAPSHOT_CONSTANTS = ("v", "B", "xi", "a_omega", "beta", "solver", "sviridenko_max")

    def snapshot_constants(self) -> tuple[str, ...]:
        """Return the constant attributes; with N_1's sellers, bids and T_1 once the sample is closed."""
        if self.post is None:
            return self.SNAPSHOT_CONSTANTS
        return self.SNAPSHOT_CONSTANTS + ("sample", "bids", "T1")

    def __init__(self, valuation: Valuation, budget: float, xi: int, a_omega: float, beta: float,
                 solver: str, sviridenko_max: int, post: Callable[[float], PostedPrice]):
        self.v, self.B, self.xi = valuation, float(budget), int(xi)
        self.a_omega, self.beta = float(a_omega), float(beta)
        self.solver, self.sviridenko_max, self.make_post = solver, sviridenko_max, post
        # N_1's sellers and bids in arrival order, preallocated (state snapshots copy two
        # buffers, not a Python object per seller)
        self.sample = np.zeros(self.xi, dtype=np.int64)
        self.bids = np.zeros(self.xi)
        self.k = 0
        self.T1: Solution | None = None
        self.post: PostedPrice | None = None

    def _start_post(self) -> None:
        costs = np.full(self.v.n, np.inf)
        costs[self.sample] = self.bids
        self.T1 = solve_sample(self.v, self.sample.tolist(), costs, self.B, self.solver, self.sviridenko_max)
        self.post = self.make_post(self.a_omega + self.beta * self.T1.value)
        # the sample is closed: freeze it (read-only arrays, which state snapshots share, not copy)
        self.sample, self.bids = _frozen(self.sample), _frozen(self.bids)

    def quote(self, agent: int) -> Quote:
        if self.k < self.xi:
            return Quote("sample", None, None, False)
        if self.post is None:
            self._start_post()
        return self.post.quote(agent)

    def observe(self, agent: int, bid: float, q: Quote) -> None:
        if self.k < self.xi:
            self.sample[self.k] = agent
            self.bids[self.k] = bid
        else:
            self.post.observe(agent, bid, q)
        self.k += 1

    def info(self) -> dict:
        out = {"xi1": self.xi}
        if self.T1 is not None:
            out.update(T1_value=self.T1.value, T1=list(self.T1.sellers), sample_solver=self.T1.method,
                       sample_guarantee=self.T1.guarantee)
        if self.post is not None:
            out.update(self.post.info())
        return out
