"""Best-response search: "can anyone here profit, and how?" (issue 6, item 4).

Searches the report space of one agent (or a coalition) for the most profitable deviation. The
caller supplies ``evaluate(reports) -> float``: the gain, under the deviators' TRUE types, of
replaying the run with ``reports`` (agent id -> declared type) under common random numbers;
the auditor wires it to its replay engine (full replays, or the incremental path
``OnlineMechanism.unilateral_outcome``). This module never imports ``abm``.

- :func:`exhaustive_search`: every report of a small space (ordered lists of distinct bundles
  for an OCAM type, ordered set partitions of the objects and the null option for a SEM type);
- :func:`local_search`: hill climbing with random restarts over a large space, moves = swaps,
  insertions, truncations (and, for weak orders, merging/splitting indifference classes);
- :func:`cost_search`: a grid over bids plus bisection at every jump of the gain (posted-price
  procurement gains are step functions of the bid);
- :func:`best_response` dispatches on the type and the space size; :func:`coalition_best_response`
  searches a group's joint reports (exhaustive product when small, else coordinate ascent).

Every search stops after ``budget`` evaluations; repeated reports are answered from a cache and
not counted. A report the mechanism rejects as bad input (``ConfigError`` on the field
``report[<agent>]...``, e.g. a bid above the budget) counts as a replay with gain -inf. Reports equal to the truth are never evaluated (their gain is 0 by definition). The
result holds the best deviation found (None when nothing beats truth by more than ``tol``), its
gain, and the number of replays spent.
"""
from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.market import mask_array, masks_to_matrix
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder

from .orders import Choices, join, split

Reports = dict[int, AgentType]
Evaluate = Callable[[Reports], float]

#: Local search stops after this many consecutive climbs that evaluated no new report.
STALE_CLIMBS = 50

#: Gains at most this much above 0 (or above the incumbent) do not count as improvements.
DEFAULT_TOL = 1e-9


@dataclass
class SearchResult:
    """What a best-response search found.

    Attributes
    ----------
    best : dict[int, AgentType] or None
        The most profitable deviation found (agent -> declared type); None when no report beat
        the truth by more than the tolerance.
    gain : float
        Its gain under the true types (0.0 when ``best`` is None).
    replays : int
        Evaluations spent (cache hits excluded).
    replays_to_best : int
        Evaluations spent when ``best`` was first found (0 when none).
    seconds, seconds_to_best : float
        Wall time of the whole search and until ``best`` was found.
    method : str
        ``"exhaustive"``, ``"local"``, ``"grid+bisection"``, ``"coordinate"`` or ``"product"``.
    complete : bool
        True when the whole report space was evaluated (an exhaustive search within budget),
        so ``best is None`` proves that no profitable deviation exists in that space.
    """

    best: Reports | None
    gain: float
    replays: int
    replays_to_best: int = 0
    seconds: float = 0.0
    seconds_to_best: float = 0.0
    method: str = ""
    complete: bool = False

    @property
    def found(self) -> bool:
        """True when a profitable deviation was found."""
        return self.best is not None


class _Tracker:
    """Counts evaluations, caches them, and keeps the best deviation seen."""

    def __init__(self, evaluate: Evaluate, budget: int, truth: Mapping[int, AgentType], tol: float):
        require(isinstance(budget, (int, np.integer)) and not isinstance(budget, bool) and budget >= 0,
                "search.budget", budget, "a non-negative integer number of replays")
        require(callable(evaluate), "search.evaluate", evaluate, "a callable reports -> gain")
        self.evaluate = evaluate
        self.budget = int(budget)
        self.truth = dict(truth)
        self.tol = float(tol)
        self.cache: dict[tuple, float] = {}
        self.replays = 0
        self.best: Reports | None = None
        self.gain = 0.0
        self.to_best = 0
        self.t0 = time.perf_counter()
        self.t_best = 0.0

    @property
    def exhausted(self) -> bool:
        return self.replays >= self.budget

    def __call__(self, reports: Mapping[int, AgentType]) -> float | None:
        """Return the gain of ``reports`` (0 for the truth), or None when the budget is spent."""
        if all(reports[a] == self.truth.get(a) for a in reports):
            return 0.0
        key = tuple(sorted(reports.items(), key=lambda kv: kv[0]))
        if key in self.cache:
            return self.cache[key]
        if self.exhausted:
            return None
        try:
            g = float(self.evaluate(dict(reports)))
        except ConfigError as e:
            # The mechanism refused the report itself as bad input (field "report[<agent>]...",
            # e.g. a bid above B, procurement Section 2): an inadmissible deviation, never a
            # profitable one. Other errors (a wrong agent, a bad setup) propagate.
            if not str(e.field).startswith("report["):
                raise
            g = -math.inf
        self.replays += 1
        self.cache[key] = g
        if g > self.tol and g > self.gain + self.tol:
            self.best, self.gain = dict(reports), g
            self.to_best, self.t_best = self.replays, time.perf_counter() - self.t0
        return g

    def result(self, method: str, complete: bool = False) -> SearchResult:
        return SearchResult(self.best, self.gain if self.best is not None else 0.0, self.replays, self.to_best,
                            time.perf_counter() - self.t0, self.t_best, method, complete)


# ---- report spaces ------------------------------------------------------------------------
def _ordered_subsets_count(k: int, max_len: int) -> int:
    return sum(math.perm(k, j) for j in range(0, min(k, max_len) + 1))


def _fubini(n: int) -> int:
    # Number of ordered set partitions (weak orders) of n items: a(n) = sum_k C(n,k) a(n-k).
    a = [1]
    for m in range(1, n + 1):
        a.append(sum(math.comb(m, k) * a[m - k] for k in range(1, m + 1)))
    return a[n]


def report_space_size(true_type: AgentType, universe: Sequence[int] | None = None,
                      max_len: int | None = None) -> int | float:
    """Return the number of reports :func:`report_space` enumerates (``inf`` for costs).

    Bundles: ordered lists of distinct bundles of ``universe`` (default: the true acceptable
    bundles) of length at most ``max_len``. Objects: weak orders over the objects and the null
    option (ordered set partitions of n + 1 options, the Fubini number).
    """
    if isinstance(true_type, BundleRanking):
        k = len(universe) if universe is not None else len(true_type.bundles)
        return _ordered_subsets_count(k, k if max_len is None else max_len)
    if isinstance(true_type, WeakOrder):
        return _fubini(true_type.n_objects + 1)
    return math.inf


def _ordered_partitions(items: Sequence[int]) -> Iterator[list[tuple[int, ...]]]:
    if not items:
        yield []
        return
    n = len(items)
    for size in range(1, n + 1):
        for first in itertools.combinations(items, size):
            rest = [x for x in items if x not in first]
            for tail in _ordered_partitions(rest):
                yield [tuple(first)] + tail


def report_space(true_type: AgentType, universe: Sequence[int] | None = None,
                 max_len: int | None = None) -> Iterator[AgentType]:
    """Yield every report of the space counted by :func:`report_space_size` (the truth included).

    Bundle reports are :class:`BundleRanking` over the same goods; object reports are every
    :class:`WeakOrder` over the same objects.
    """
    if isinstance(true_type, BundleRanking):
        pool = list(universe) if universe is not None else list(true_type.bundles)
        top = len(pool) if max_len is None else min(max_len, len(pool))
        for j in range(top + 1):
            for seq in itertools.permutations(pool, j):
                yield BundleRanking(true_type.m, seq)
    elif isinstance(true_type, WeakOrder):
        for classes in _ordered_partitions(list(range(true_type.n_objects + 1))):
            yield WeakOrder(true_type.n_objects, tuple(classes))
    else:
        raise TypeError("costs have no finite report space; use cost_search")


def exhaustive_search(agent: int, true_type: AgentType, evaluate: Evaluate, budget: int,
                      universe: Sequence[int] | None = None, max_len: int | None = None,
                      tol: float = DEFAULT_TOL) -> SearchResult:
    """Return the best deviation of ``agent`` over its whole report space (up to ``budget``).

    ``complete`` is True when every report was evaluated within the budget.
    """
    tr = _Tracker(evaluate, budget, {agent: true_type}, tol)
    for r in report_space(true_type, universe, max_len):
        if tr({agent: r}) is None:
            return tr.result("exhaustive", complete=False)
    return tr.result("exhaustive", complete=True)


# ---- local search ---------------------------------------------------------------------------
@dataclass
class _State:
    # For bundle rankings the elements are row indices of a _Rankings table (ints); for weak
    # orders, indifference classes (tuples). The moves never look inside an element.
    choices: Choices          # declared acceptable choices, best first
    pool: Choices             # choices not declared (declared unacceptable)
    rest: Choices             # weak orders: the true null class and below


def _unacceptable(rest: Choices, null: int) -> list[int]:
    return sorted(x for c in rest for x in c if x != null)


def _to_state(t: AgentType, universe: Sequence[int] | None, fast: _Rankings | None = None) -> _State:
    if fast is not None:  # bundles: choices are row indices of fast's table
        declared = set(t.bundles)
        return _State([fast.row[b] for b in t.bundles],
                      [fast.row[int(b)] for b in (universe or ()) if int(b) not in declared], [])
    choices, rest = split(t)
    pool: Choices = []
    if isinstance(t, BundleRanking) and universe is not None:
        declared = set(t.bundles)
        pool = [(int(b),) for b in universe if int(b) not in declared]
    if isinstance(t, WeakOrder):
        # Unacceptable objects can be promoted into the acceptable list, one at a time.
        pool = [(x,) for x in _unacceptable(rest, t.null)]
    return _State(list(choices), pool, rest)


class _Rankings:
    """Builds declared bundle rankings fast for the search's hot loop.

    Every declared bundle comes from an already validated type (the truth, a start point) or
    the validated ``universe``, and a state never repeats a bundle, so the constructor's checks
    are skipped; the vectorised views ``masks``/``matrix`` (OCAM's demand, Definition 4) are
    gathered from precomputed rows instead of rebuilt per report.
    """

    def __init__(self, m: int, bundles: Iterable[int]):
        self.m = m
        pool = list(dict.fromkeys(int(b) for b in bundles))
        for b in pool:
            require(0 < b < (1 << m), "search.universe", b, f"a non-empty bundle over {m} goods")
        self.row = {b: r for r, b in enumerate(pool)}
        self.masks = mask_array(pool, m)  # int64 up to 62 goods, exact Python ints beyond
        self.matrix = masks_to_matrix(self.masks, m)

    def make(self, rows: Sequence[int]) -> BundleRanking:
        """Return the ranking of the bundles at ``rows`` of the table, in that order."""
        idx = np.fromiter(rows, dtype=np.intp, count=len(rows))
        masks, matrix = self.masks[idx], self.matrix[idx]
        r = object.__new__(BundleRanking)
        object.__setattr__(r, "m", self.m)
        object.__setattr__(r, "bundles", tuple(masks.tolist()))
        masks.setflags(write=False)
        matrix.setflags(write=False)
        r.__dict__["masks"] = masks  # fills the cached properties
        r.__dict__["matrix"] = matrix
        return r


def _from_state(like: AgentType, s: _State, fast: _Rankings | None = None) -> AgentType:
    if fast is not None:
        return fast.make(s.choices)
    if isinstance(like, WeakOrder):
        if sorted(x for c in s.pool for x in c) == _unacceptable(s.rest, like.null):
            return join(like, s.choices, s.rest)  # the true unacceptable part, unchanged
        return join(like, s.choices, [(like.null,)], s.pool)
    return join(like, s.choices, s.rest, s.pool)


def _random_neighbour(s: _State, weak: bool, rnd: random.Random) -> _State | None:
    """Return a random neighbour: swap, insertion, truncation, drop, add, replace (+ merge/split)."""
    ch, pool = s.choices, s.pool
    moves = []
    if len(ch) >= 2:
        moves += ["swap", "insert"]
    if len(ch) >= 1:
        moves += ["truncate", "drop"]
    if pool:
        moves += ["add"] + (["replace"] if ch else [])
    if weak and len(ch) >= 2:
        moves += ["merge"]
    if weak and any(len(c) > 1 for c in ch):
        moves += ["split"]
    if not moves:
        return None
    move = moves[rnd.randrange(len(moves))]
    ch, pool = list(ch), list(pool)
    if move == "swap":
        i = rnd.randrange(len(ch) - 1)
        ch[i], ch[i + 1] = ch[i + 1], ch[i]
    elif move == "insert":
        i, j = rnd.sample(range(len(ch)), 2)
        ch.insert(j, ch.pop(i))
    elif move == "truncate":
        k = rnd.randrange(len(ch))
        pool = ch[k:] + pool
        ch = ch[:k]
    elif move == "drop":
        pool.append(ch.pop(rnd.randrange(len(ch))))
    elif move == "add":
        x = pool.pop(rnd.randrange(len(pool)))
        ch.insert(rnd.randrange(len(ch) + 1), x)
    elif move == "replace":  # exchange a declared choice with an undeclared one, same length
        i, j = rnd.randrange(len(ch)), rnd.randrange(len(pool))
        ch[i], pool[j] = pool[j], ch[i]
    elif move == "merge":
        i = rnd.randrange(len(ch) - 1)
        ch[i:i + 2] = [tuple(sorted(ch[i] + ch[i + 1]))]
    else:  # split a class: one random member first
        big = [i for i, c in enumerate(ch) if len(c) > 1]
        i = big[rnd.randrange(len(big))]
        c = list(ch[i])
        x = c.pop(rnd.randrange(len(c)))
        ch[i:i + 1] = [(x,), tuple(c)]
    if weak:  # weak-order pool entries are single objects
        pool = [(x,) for c in pool for x in c]
    return _State(ch, pool, s.rest)


def _random_start(s0: _State, weak: bool, rnd: random.Random) -> _State:
    """Return a random restart point: a random order of the true choices, randomly truncated."""
    ch = list(s0.choices)
    rnd.shuffle(ch)
    k = rnd.randrange(1, len(ch) + 1) if ch else 0
    pool = ch[k:] + list(s0.pool)
    if weak:
        pool = [(x,) for c in pool for x in c]
    return _State(ch[:k], pool, s0.rest)


def local_search(agent: int, true_type: AgentType, evaluate: Evaluate, budget: int, rng: np.random.Generator,
                 restarts: int | None = None, patience: int | None = None, universe: Sequence[int] | None = None,
                 start: AgentType | None = None, tol: float = DEFAULT_TOL, _tracker: _Tracker | None = None,
                 _others: Mapping[int, AgentType] | None = None) -> SearchResult:
    """Return the best deviation found by first-improvement hill climbing with random restarts.

    The first climb starts from ``start`` (default: the truth); each restart from a random
    reordering and truncation of the true choices. A climb moves to the first random neighbour
    (swap of adjacent choices, insertion of a choice elsewhere, truncation, dropping one choice,
    adding an undeclared choice, exchanging a declared and an undeclared choice; merging and
    splitting indifference classes for weak orders; undeclared choices are the dropped ones,
    those of ``universe`` and, for weak orders, the unacceptable objects) that improves the gain, and ends after ``patience`` non-improving neighbours
    (default: twice the number of choices, at least 20). Stops after ``budget`` evaluations
    or, when ``restarts`` is given, after that many restarts (default None: restart until the
    budget is spent, or until ``STALE_CLIMBS`` consecutive climbs evaluate no new report: the
    reachable space is then exhausted).
    """
    require(isinstance(true_type, (BundleRanking, WeakOrder)), "search.true_type", type(true_type).__name__,
            "a BundleRanking or WeakOrder (use cost_search for costs)")
    require(restarts is None or (isinstance(restarts, (int, np.integer)) and restarts >= 0), "search.restarts",
            restarts, "a non-negative integer or None (restart until the budget is spent)")
    others = dict(_others or {})
    tr = _tracker or _Tracker(evaluate, budget, {agent: true_type}, tol)
    weak = isinstance(true_type, WeakOrder)
    fast = None
    if isinstance(true_type, BundleRanking):
        extra = start.bundles if isinstance(start, BundleRanking) else ()
        fast = _Rankings(true_type.m, [*true_type.bundles, *(universe or ()), *extra])
    s0 = _to_state(true_type, universe, fast)
    patience = patience or max(20, 2 * len(s0.choices))

    def value(s: _State) -> float | None:
        return tr({**others, agent: _from_state(true_type, s, fast)})

    # The hot loop draws from a Python generator seeded once from ``rng`` (numpy's per-call
    # overhead dominated the moves); the search stays a deterministic function of ``rng``.
    rnd = random.Random(int(rng.integers(2**63)))
    cur = _to_state(start, universe, fast) if start is not None else s0
    attempts = itertools.count() if restarts is None else range(restarts + 1)
    stale = 0  # consecutive climbs that evaluated nothing new (a small space is exhausted)
    for attempt in attempts:
        if stale >= STALE_CLIMBS:
            break
        before = tr.replays
        if attempt > 0:
            cur = _random_start(s0, weak, rnd)
        v = value(cur)
        if v is None:
            break
        misses = 0
        while misses < patience:
            nb = _random_neighbour(cur, weak, rnd)
            if nb is None:
                break
            g = value(nb)
            if g is None:
                return tr.result("local")
            if g > v + tr.tol:
                cur, v, misses = nb, g, 0
            else:
                misses += 1
        stale = stale + 1 if tr.replays == before else 0
        if tr.exhausted:
            break
    return tr.result("local")


# ---- cost bids ------------------------------------------------------------------------------
def cost_search(agent: int, true_cost: Cost, evaluate: Evaluate, budget: int, lo: float = 0.0,
                hi: float | None = None, grid: int = 33, bisections: int = 30,
                tol: float = DEFAULT_TOL) -> SearchResult:
    """Return the best bid found by a grid over [lo, hi] plus bisection at each jump of the gain.

    Posted-price mechanisms (procurement Mechanisms 2-4: hired iff bid <= p_i) make the gain a
    step function of the bid; bisection between adjacent grid bids with different gains
    locates each jump to within (hi - lo) / (grid - 1) / 2**bisections, evaluating the bids on
    both sides. ``hi`` defaults to twice the true cost (at least 1).
    """
    require(isinstance(true_cost, Cost), "search.true_type", type(true_cost).__name__, "a Cost")
    c = true_cost.value
    hi = float(hi) if hi is not None else max(2.0 * c, 1.0)
    require(math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi, "search.hi", hi, f"a bid range lo={lo} < hi")
    require(isinstance(grid, (int, np.integer)) and grid >= 2, "search.grid", grid, "an integer >= 2")
    tr = _Tracker(evaluate, budget, {agent: true_cost}, tol)

    def value(b: float) -> float | None:
        return tr({agent: Cost(b)})

    bids = list(np.linspace(lo, hi, int(grid)))
    gains = []
    for b in bids:
        g = value(float(b))
        if g is None:
            return tr.result("grid+bisection")
        gains.append(g)
    jumps = [k for k in range(len(bids) - 1) if abs(gains[k + 1] - gains[k]) > tr.tol]
    # Bisect the most promising jumps first: the side with the larger gain.
    jumps.sort(key=lambda k: -max(gains[k], gains[k + 1]))
    for k in jumps:
        a, b, ga, gb = bids[k], bids[k + 1], gains[k], gains[k + 1]
        for _ in range(int(bisections)):
            mid = 0.5 * (a + b)
            gm = value(mid)
            if gm is None:
                return tr.result("grid+bisection")
            # The jump lies on the side whose gain differs from the midpoint's (the side
            # it resembles less): this also handles gains that move continuously between jumps.
            if abs(gm - ga) <= abs(gm - gb):
                a, ga = mid, gm
            else:
                b, gb = mid, gm
    return tr.result("grid+bisection", complete=False)


# ---- dispatch ------------------------------------------------------------------------------
def best_response(agent: int, true_type: AgentType, evaluate: Evaluate, budget: int,
                  rng: np.random.Generator | None = None, exhaustive_limit: int | None = None,
                  universe: Sequence[int] | None = None, tol: float = DEFAULT_TOL, **options) -> SearchResult:
    """Return the best deviation of one agent: exhaustive when the space fits, else local/grid search.

    The space is searched exhaustively when its size is at most ``min(budget,
    exhaustive_limit)`` (default limit: the budget); otherwise ordinal types use
    :func:`local_search` (``rng`` required) and costs :func:`cost_search`. ``options`` go to
    the chosen search.
    """
    if isinstance(true_type, Cost):
        return cost_search(agent, true_type, evaluate, budget, tol=tol, **options)
    size = report_space_size(true_type, universe)
    limit = budget if exhaustive_limit is None else min(budget, exhaustive_limit)
    if size <= limit:
        return exhaustive_search(agent, true_type, evaluate, budget, universe, tol=tol)
    require(rng is not None, "search.rng", rng, "a numpy Generator for local search over a large space")
    return local_search(agent, true_type, evaluate, budget, rng, universe=universe, tol=tol, **options)


def coalition_best_response(members: Mapping[int, AgentType], evaluate: Evaluate, budget: int,
                            rng: np.random.Generator | None = None, rounds: int = 3,
                            exhaustive_limit: int | None = None, tol: float = DEFAULT_TOL) -> SearchResult:
    """Return the best joint deviation of a coalition (``evaluate`` scores the group's objective).

    When the product of the members' ordinal report spaces fits in ``exhaustive_limit``
    (default: the budget) every joint report is evaluated (``method="product"``). Otherwise
    coordinate ascent: for ``rounds`` rounds each member in turn runs :func:`local_search` (cost
    members: a grid) with the other members fixed at the current best joint report, sharing one
    budget. ``evaluate`` decides what the coalition maximises (e.g. the sum of gains, or the
    smallest member gain to look for deviations that profit every member).
    """
    require(isinstance(members, Mapping) and len(members) > 0, "search.members", members,
            "a non-empty mapping agent -> true type")
    truth = {int(a): t for a, t in sorted(members.items())}
    tr = _Tracker(evaluate, budget, truth, tol)
    sizes = [report_space_size(t) for t in truth.values()]
    limit = budget if exhaustive_limit is None else min(budget, exhaustive_limit)
    if all(math.isfinite(s) for s in sizes) and math.prod(sizes) <= limit:
        ids = list(truth)
        for combo in itertools.product(*(report_space(truth[a]) for a in ids)):
            if tr(dict(zip(ids, combo))) is None:
                return tr.result("product")
        return tr.result("product", complete=True)
    require(rng is not None, "search.rng", rng, "a numpy Generator for coordinate ascent")
    cur = dict(truth)
    per = max(1, budget // max(1, rounds * len(truth)))
    for _ in range(int(rounds)):
        for a, t in truth.items():
            if tr.exhausted:
                return tr.result("coordinate")
            others = {b: r for b, r in cur.items() if b != a}
            if isinstance(t, Cost):
                for bid in np.linspace(0.0, max(2.0 * t.value, 1.0), min(per, 33)):
                    if tr({**others, a: Cost(float(bid))}) is None:
                        return tr.result("coordinate")
            else:
                # Share the coalition's tracker (one cache, one count) with a per-member cap.
                saved, tr.budget = tr.budget, min(tr.budget, tr.replays + per)
                local_search(a, t, evaluate, tr.budget, rng, restarts=2, start=cur[a], tol=tol, _tracker=tr,
                             _others=others)
                tr.budget = saved
            if tr.best is not None:
                cur = {**truth, **tr.best}
    return tr.result("coordinate")
