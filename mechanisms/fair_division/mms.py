"""Exact maximin share (Definition 2.4) by a combinatorial search, with a certificate partition.

mu^n(S) = max over partitions of S into n bundles of the worst bundle's value. The search
decides, for a threshold T, "do n disjoint bundles each worth >= T exist?" (goods left over
can join any bundle, so this is the question "is mu^n(S) >= T?"), and raises T past every
partition it finds (:func:`maximin_partition`):

1. a heuristic partition (LPT, then moves and swaps that raise the worst bundle of a pair)
   gives a lower bound L, achieved by that partition; U = ``min(v(S)/n, v(S) minus its n - 1
   best goods)`` is an upper bound (rounded down for integer values);
2. integer values only: the decision is first asked at T = U (lowered by one per "no", with a
   tenth of the node budget): the optimum is usually at the bound, where a "yes" is fast;
3. the decision procedure runs at T = L + step (step = tol, or 1 for integer values) as a
   branch and bound: every partition it meets is completed into a partition whose worst bundle
   is the new L >= T, T is raised to L + step and the search goes on (failed states stay
   failed at higher T); when it ends, "no": no partition is worth L + step to its worst bundle.

The decision procedure is bin completion in the style of Korf's multiway partitioning: build
one bundle at a time, the next bundle always holding the largest good left (if that good were
left over, swapping it for a smaller good of some bundle keeps that bundle >= T); a good worth
>= T alone is a bundle of its own (any bundle holding it could give its other goods away);
k bundles from goods worth P leave slack P - kT, and every bundle's value above T spends
slack, so each candidate bundle's value lies in [T, T + slack]. The candidates are the
multisets of goods (goods of equal value are one class) in that window, enumerated by meet in
the middle (Horowitz-Sahni): the multisets of each half of the classes are tabulated once per
instance, sorted by sum with packed count vectors (:class:`_Halves`), so a node only filters
the rows within its goods and matches the two halves by binary search, lowest excess first.
Also pruned: k bundles need k times the fewest goods any bundle needs (the smallest c whose c
largest goods reach T), and failed (goods left, k) states are cached; with two bundles left any
candidate will do.

Exactness with floats: the returned ``value`` is the worst bundle value (a float sum) of the
returned partition ``bundles``; ``proven`` means no partition of S into n bundles has a worst
bundle worth ``upper`` or more (``upper`` = L + tol), or for integer values that mu^n(S) =
``value`` exactly; ``tol = MMS_REL_TOL * max(1, v(S))``, up to the rounding of float sums (at
most m * 2^-52 * v(S), far below ``tol``). The search is bounded by ``node_budget`` decision
nodes (deterministic, so a seed reproduces a run whatever the machine's load) and by the size
of the half tables (_MAX_HALF_ROWS rows: about 34 goods of distinct values); past either the
result has ``proven = False`` and its bounds, never a value claimed exact (the checker then
uses its MILP, :func:`..checks.maximin_share`).

Measured (n = 6, m = 30, CPU per call, 100 seeds): uniform reals median 0.19 s, max 0.9 s;
integers 1..1000 median 0.006 s, max 0.02 s; 2-value below 0.003 s.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, require

#: Relative tolerance of "optimal": no partition is better by more than MMS_REL_TOL * max(1, v(S)).
#: Ten times below the checkers' REL_TOL, so the checkers' own tolerance dominates.
MMS_REL_TOL = 1e-10

#: Default bound on the decision nodes of one :func:`maximin_partition` call.
NODE_BUDGET = 50_000

#: Candidate bundles materialised at once (memory bound of one enumeration chunk).
_CHUNK = 200_000


@dataclass(frozen=True)
class MMSResult:
    """The maximin share search's answer for values v and n bundles.

    ``value``: the worst bundle's value of ``bundles`` (a partition of the goods with positive
    value, as tuples of indices into the input; zero-valued goods are left out). ``upper``: an
    upper bound on mu^n(S); when proven by the search (float values), no partition's worst
    bundle reaches ``upper``. ``proven``: ``upper - value <= tol``, i.e. ``value`` is mu^n(S)
    up to ``tol`` (exactly, for integer values). ``method``: "trivial" (fewer positive goods
    than bundles, or n = 1), "bound" (the heuristic partition meets the upper bound), "search"
    (the decision procedure proved it), "budget" (search stopped at ``node_budget``: not
    proven), "size" (too many distinct multisets for the search's tables: not proven).
    ``nodes``: decision nodes used.
    """

    value: float
    bundles: tuple[tuple[int, ...], ...]
    upper: float
    proven: bool
    method: str
    nodes: int = 0
    tol: float = 0.0


class _BudgetExhausted(Exception):
    pass


def validate_values(values: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """Return the values as a float array; raise :class:`ConfigError` naming ``n`` or ``values``."""
    require(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "a positive integer")
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size and not np.all(np.isfinite(v)):
        raise ConfigError("values", [float(x) for x in v[~np.isfinite(v)]][:3], "finite non-negative values")
    if v.size and v.min() < 0:
        raise ConfigError("values", float(v.min()), "finite non-negative values")
    return v


# ---- heuristic partition -------------------------------------------------------------------
def lpt_partition(v: np.ndarray, n: int) -> np.ndarray:
    """Return bundle[g] of the LPT rule: goods by decreasing value, each to the poorest bundle."""
    bundle = np.zeros(v.size, dtype=np.int64)
    sums = np.zeros(n)
    for g in np.argsort(-v, kind="stable"):
        b = int(np.argmin(sums))
        bundle[g] = b
        sums[b] += v[g]
    return bundle


def improve_partition(v: np.ndarray, bundle: np.ndarray, n: int, max_rounds: int | None = None) -> np.ndarray:
    """Return ``bundle`` after local search: moves and swaps that raise the worst bundle of a pair.

    Each accepted step takes the worst bundle b and another bundle c and moves one good from c
    to b, or swaps a good of b for a more valuable good of c, so that both new values exceed
    v(b): the sorted vector of bundle values rises lexicographically, so the search ends.
    """
    bundle = bundle.copy()
    rounds = max_rounds if max_rounds is not None else 4 * v.size + 10
    for _ in range(rounds):
        sums = np.bincount(bundle, weights=v, minlength=n)
        b = int(np.argmin(sums))
        best = (sums[b], None)
        in_b = np.flatnonzero(bundle == b)
        for c in np.argsort(-sums):
            c = int(c)
            if c == b or sums[c] <= best[0]:
                continue
            in_c = np.flatnonzero(bundle == c)
            gap = sums[c] - sums[b]
            # a move of x from c, or a swap with gain d = y - x: the pair's worst is min(s_b + d, s_c - d)
            d = np.concatenate([v[in_c], (v[in_c][None, :] - v[in_b][:, None]).ravel()])
            ok = (d > 0) & (d < gap)
            if not ok.any():
                continue
            worst = np.where(ok, np.minimum(sums[b] + d, sums[c] - d), -np.inf)
            k = int(np.argmax(worst))
            if worst[k] > best[0]:
                if k < in_c.size:
                    best = (worst[k], ("move", int(in_c[k]), -1, c))
                else:
                    i, j = divmod(k - in_c.size, in_c.size)
                    best = (worst[k], ("swap", int(in_b[i]), int(in_c[j]), c))
        if best[1] is None:
            break
        kind, g1, g2, c = best[1]
        if kind == "move":
            bundle[g1] = b
        else:
            bundle[g1], bundle[g2] = c, b
    return bundle


# ---- the decision procedure ------------------------------------------------------------------
#: Most rows a half table of :class:`_Halves` may hold; larger instances are left unproven
#: (the caller's MILP decides), since every decision node scans these tables.
_MAX_HALF_ROWS = 1 << 18


def _split(cnt: np.ndarray) -> int:
    """Return the number of classes of the first half: about equal numbers of multisets per half."""
    logs = np.log2(cnt + 1.0)
    split = int(np.searchsorted(np.cumsum(logs), logs.sum() / 2))
    return min(max(split, 1), cnt.size)


class _Halves:
    """The multisets of each half of the classes worth <= ``cap``, sorted by sum, packed.

    Built once per instance (``cap`` bounds every window of every later decision), so a
    decision node only filters rows: those within the node's goods and below the window's
    top. A count vector is packed into one int64, class c of the half in a field of
    ``bit_length(q_c) + 1`` bits whose top bit is a guard; "vec <= rest" for every class is
    then one subtraction: ``((R | G) - P) & G == G`` (a field borrows its guard bit exactly
    when vec_c > rest_c). :meth:`build` returns None when a half needs more than 62 bits or
    _MAX_HALF_ROWS rows.
    """

    def __init__(self, split: int, parts: list[tuple]):
        self.split = split
        self.parts = parts

    @classmethod
    def build(cls_, cls: np.ndarray, cnt: np.ndarray, cap: float) -> _Halves | None:
        split = _split(cnt)
        parts = [cls_._half(cls[:split], cnt[:split], cap), cls_._half(cls[split:], cnt[split:], cap)]
        return None if any(p is None for p in parts) else cls_(split, parts)

    @staticmethod
    def _half(cls: np.ndarray, cnt: np.ndarray, cap: float) -> tuple | None:
        widths = np.array([int(q).bit_length() + 1 for q in cnt], dtype=np.int64)
        if widths.sum() > 62:
            return None
        offs = np.concatenate([[0], np.cumsum(widths)[:-1]]).astype(np.int64)
        sums, codes = np.zeros(1), np.zeros(1, dtype=np.int64)
        for c in range(cls.size):
            k = np.arange(int(cnt[c]) + 1, dtype=np.int64)
            s = (sums[:, None] + cls[c] * k[None, :]).ravel()
            p = (codes[:, None] + (k << offs[c])[None, :]).ravel()
            keep = s <= cap                    # sums only grow with more classes
            sums, codes = s[keep], p[keep]
            if sums.size > _MAX_HALF_ROWS:
                return None
        order = np.argsort(sums, kind="stable")
        guard = int(sum(1 << int(o + w - 1) for o, w in zip(offs, widths)))
        masks = (np.ones_like(widths) << (widths - 1)) - 1
        return sums[order], codes[order], offs, guard, masks

    def _pairs(self, rest: np.ndarray, lo: float, hi: float) -> tuple[np.ndarray, ...]:
        """Return (rows ia, ib of both halves within ``rest`` and <= hi, first match left[a] in ib
        and number of matches num[a] for every a in ia, the a with num > 0)."""
        picked = []
        for (sums, codes, offs, guard, _), r in zip(self.parts, (rest[:self.split], rest[self.split:])):
            R = int((r.astype(np.int64) << offs).sum()) | guard
            top = int(np.searchsorted(sums, hi, side="right"))
            picked.append(np.flatnonzero(((R - codes[:top]) & guard) == guard))
        ia, ib = picked
        sa, sb = self.parts[0][0][ia], self.parts[1][0][ib]
        left = np.searchsorted(sb, lo - sa, side="left")
        num = np.maximum(np.searchsorted(sb, hi - sa, side="right") - left, 0)
        return ia, ib, left, num, np.flatnonzero(num)

    def any(self, rest: np.ndarray, lo: float, hi: float) -> np.ndarray | None:
        """Return one count vector within ``rest`` with sum in [lo, hi], or None (no ordering)."""
        if hi < lo:
            return None
        ia, ib, left, _, rows = self._pairs(rest, lo, hi)
        if rows.size == 0:
            return None
        (_, ca, oa, _, ma), (_, cb, ob, _, mb) = self.parts
        a = int(rows[0])
        return np.concatenate([(int(ca[ia[a]]) >> oa) & ma, (int(cb[ib[left[a]]]) >> ob) & mb])

    def window(self, rest: np.ndarray, lo: float, hi: float) -> Iterator[np.ndarray]:
        """Yield the count vectors within ``rest`` with sum in [lo, hi], lowest sum first per chunk.

        Meet in the middle (Horowitz-Sahni): the rows of both halves within ``rest`` and <= hi,
        then for every row a of the first half the rows of the second in [lo - a, hi - a]
        (binary search: the tables are sorted by sum).
        """
        if hi < lo:
            return
        ia, ib, left, num, rows = self._pairs(rest, lo, hi)
        (sa_all, ca, oa, _, ma), (sb_all, cb, ob, _, mb) = self.parts
        sa, sb = sa_all[ia], sb_all[ib]
        start = 0
        while start < rows.size:
            # a chunk of rows of the first half holding at most _CHUNK pairs (at least one row)
            csum = np.cumsum(num[rows[start:]])
            stop = start + max(1, int(np.searchsorted(csum, _CHUNK, side="right")))
            r = rows[start:stop]
            ai = np.repeat(r, num[r])
            offs = np.arange(ai.size) - np.repeat(np.cumsum(num[r]) - num[r], num[r])
            bi = left[ai] + offs
            tot = sa[ai] + sb[bi]
            order = np.argsort(tot, kind="stable")
            # decoded in growing blocks: the caller often stops at the first candidate
            b0, size = 0, 4
            while b0 < order.size:
                o = order[b0:b0 + size]
                V = np.concatenate([(ca[ia[ai[o]]][:, None] >> oa[None, :]) & ma[None, :],
                                    (cb[ib[bi[o]]][:, None] >> ob[None, :]) & mb[None, :]], axis=1)
                yield from V
                b0, size = b0 + size, size * 8
            start = stop


class _Decider:
    """Bin completion for "k disjoint multisets of the classes, each worth >= T" (see module doc).

    With ``on_found`` the search does not stop at a solution: ``on_found(covers)`` returns the
    next threshold (above the new partition's worst bundle) and the search goes on from where it
    is, skipping the candidates below the raised T (branch and bound instead of one restart per
    better partition); it stops and returns the covers when ``on_found`` returns None or the new
    T exceeds a good the root set aside as a bundle of its own (valid only below that value).
    """

    def __init__(self, cls: np.ndarray, T: float, budget: int, halves: _Halves,
                 failed: set[tuple[bytes, int]] | None = None,
                 on_found: Callable[[list[np.ndarray]], float | None] | None = None):
        self.cls = cls          # class values, decreasing
        self.T = T
        self.budget = budget
        self.nodes = 0
        self.halves = halves
        # failed (goods, k) states; valid for any higher T too, so the caller may share it
        self.failed: set[tuple[bytes, int]] = set() if failed is None else failed
        self.on_found = on_found
        self.root: list[np.ndarray] = []
        self.path: list[np.ndarray] = []
        self.big_min = math.inf
        self.cut: int | None = None  # depth of the first path bundle below a raised T

    def solve(self, cnt: np.ndarray, k: int) -> list[np.ndarray] | None:
        """Return k disjoint covers (count vectors) from the goods ``cnt``, or None when none
        exist at the final threshold ``self.T``."""
        T, cls = self.T, self.cls
        if k <= 0:
            return []
        covers: list[np.ndarray] = []
        cnt = cnt.copy()
        for c in np.flatnonzero((cls >= T) & (cnt > 0)):   # a good worth >= T is a bundle of its own
            while cnt[c] > 0 and len(covers) < k:
                one = np.zeros_like(cnt)
                one[c] = 1
                covers.append(one)
                cnt[c] -= 1
                self.big_min = min(self.big_min, float(cls[c]))
        k -= len(covers)
        self.root = covers
        if k == 0:
            return covers
        while k == 1 and float(cnt @ cls) >= self.T:
            done = self._found([cnt])
            if done is not None:
                return done
        return self._search(cnt, k) if k > 1 else None

    def _found(self, last: list[np.ndarray]) -> list[np.ndarray] | None:
        covers = self.root + self.path + last
        if self.on_found is None:
            return covers
        T = self.on_found(covers)
        if T is None or T > self.big_min:
            return covers
        self.T = T
        # bundles chosen higher up at a lower T may now be worth < T: unwind to the first
        low = [d for d, c in enumerate(self.path) if float(c @ self.cls) < T]
        self.cut = low[0] if low else None
        return None

    def _search(self, cnt: np.ndarray, k: int) -> list[np.ndarray] | None:
        T, cls = self.T, self.cls
        pool = float(cnt @ cls)
        if pool - k * T < 0:
            return None
        key = (cnt.tobytes(), k)
        if key in self.failed:  # first: revisited states are common and this test is the cheapest
            return None
        # fewest goods a bundle needs: the c largest goods reach T
        items = np.repeat(cls, cnt)
        need = int(np.searchsorted(np.cumsum(items), T, side="left")) + 1
        if k * need > items.size:
            return None
        self.nodes += 1
        if self.nodes > self.budget:
            raise _BudgetExhausted
        first = int(np.flatnonzero(cnt)[0])    # the largest good left is in the next bundle
        x = float(cls[first])
        rest = cnt.copy()
        rest[first] -= 1
        if k == 2:  # any bundle in the window leaves the other one worth >= T
            while True:
                vec = self.halves.any(rest, self.T - x, pool - self.T - x)
                if vec is None:
                    break
                vec[first] += 1
                done = self._found([vec, cnt - vec])
                if done is not None:
                    return done
                if self.cut is not None:  # an ancestor's bundle fell below T: not a failure here
                    return None
            self.failed.add(key)
            return None
        for vec in self.halves.window(rest, T - x, pool - (k - 1) * T - x):
            T = self.T                         # raised by on_found meanwhile
            if pool - k * T < 0:
                break
            val = float(vec @ cls) + x
            if val < T or val > pool - (k - 1) * T:
                continue
            vec[first] += 1
            depth = len(self.path)
            self.path.append(vec)
            done = self._search(cnt - vec, k - 1)
            self.path.pop()
            if done is not None:
                return done
            if self.cut is not None:
                if self.cut < depth:           # an ancestor's bundle is below T: unwind further
                    return None
                self.cut = None                # this node's own bundle was: try the next one
        self.failed.add(key)
        return None


# ---- the exact maximin share -------------------------------------------------------------------
def _bundles_of(bundle: np.ndarray, idx: np.ndarray, n: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(g) for g in idx[bundle == b]) for b in range(n))


def _partition_from_covers(v: np.ndarray, cls: np.ndarray, covers: list[np.ndarray], n: int) -> np.ndarray:
    """Return bundle[g]: the covers' goods (by class), the goods left over to the poorest bundles."""
    pools = [list(np.flatnonzero(v == c)) for c in cls]
    bundle = np.full(v.size, -1, dtype=np.int64)
    for b, cov in enumerate(covers):
        for c in np.flatnonzero(cov):
            for _ in range(int(cov[c])):
                bundle[pools[c].pop()] = b
    sums = np.bincount(bundle[bundle >= 0], weights=v[bundle >= 0], minlength=n)
    for g in sorted(np.flatnonzero(bundle < 0), key=lambda g: -v[g]):
        b = int(np.argmin(sums))
        bundle[g] = b
        sums[b] += v[g]
    return bundle


def mms_upper_bound(v: np.ndarray, n: int) -> float:
    """Return min(v(S)/n, v(S) minus its n - 1 most valuable goods), an upper bound on mu^n(S).

    Some bundle of any n-partition holds none of the n - 1 most valuable goods (pigeonhole),
    and the worst bundle is worth at most the average.
    """
    total = float(v.sum())
    top = float(np.sort(v)[::-1][: n - 1].sum()) if n > 1 else 0.0
    return min(total / n, total - top)


def maximin_partition(values: Sequence[float] | np.ndarray, n: int, node_budget: int = NODE_BUDGET) -> MMSResult:
    """Return the maximin share mu^n(S) of Definition 2.4 with a partition attaining it (:class:`MMSResult`).

    ``values`` are v(g) >= 0 for the goods of S; the result's ``value`` is the worst bundle of
    its ``bundles`` and, when ``proven``, no partition beats it by more than
    ``tol = MMS_REL_TOL * max(1, v(S))`` (module docstring; exact for integer values). When not
    proven (``node_budget`` decision nodes used up, method "budget", or too many distinct
    multisets, method "size"), ``value`` <= mu^n(S) <= ``upper`` only. Raises
    :class:`ConfigError` naming ``values`` (negative or non-finite) or ``n`` (n < 1).
    """
    v_all = validate_values(values, n)
    idx = np.flatnonzero(v_all > 0)
    v = v_all[idx]
    total = float(v.sum())
    tol = MMS_REL_TOL * max(1.0, total)
    if n == 1:
        return MMSResult(total, (tuple(int(g) for g in idx),), total, True, "trivial", 0, tol)
    if v.size < n:  # some bundle is empty
        bundles = tuple((int(g),) for g in idx) + ((),) * (n - v.size)
        return MMSResult(0.0, bundles, 0.0, True, "trivial", 0, tol)
    bundle = improve_partition(v, lpt_partition(v, n), n)
    best = float(np.bincount(bundle, weights=v, minlength=n).min())
    upper = mms_upper_bound(v, n)
    # integer values: mu is an integer, so the bound rounds down and "is mu > best?" is the
    # question "is mu >= best + 1?" (a higher threshold: less slack, a smaller search)
    integral = total < 2.0**52 and bool(np.all(v == np.floor(v)))
    if integral:
        upper = float(math.floor(upper + tol))
    step = 1.0 if integral else tol
    if best >= upper - tol:
        return MMSResult(best, _bundles_of(bundle, idx, n), upper, True, "bound", 0, tol)
    cls, cnt = np.unique(v, return_counts=True)
    cls, cnt = cls[::-1].copy(), cnt[::-1].astype(np.int64)
    # every window lies below pool - (k - 1) T <= v(S) - (n - 1) T, and every T exceeds best
    halves = _Halves.build(cls, cnt, total - (n - 1) * best + tol)
    if halves is None:  # too many multisets for the tables: left to the caller (MILP)
        return MMSResult(best, _bundles_of(bundle, idx, n), upper, False, "size", 0, tol)
    nodes = 0
    # integer values: the optimum is usually at or just below the bound, and a "yes" at a
    # threshold with little slack is found fast, while one far below it can be slow (measured:
    # 12,000 nodes 4 below the bound, 800 at it); so first ask at the bound, lowering it by one
    # per "no", with a small share of the budget
    probe = node_budget // 10 if integral else 0
    while probe > 0 and best < upper:
        dec = _Decider(cls, upper, min(probe, node_budget - nodes), halves)
        try:
            covers = dec.solve(cnt, n)
        except _BudgetExhausted:
            nodes += dec.nodes - 1
            break
        nodes += dec.nodes
        probe -= dec.nodes
        if covers is None:  # mu < upper, an integer
            upper -= 1.0
            continue
        bundle = improve_partition(v, _partition_from_covers(v, cls, covers, n), n)
        new = float(np.bincount(bundle, weights=v, minlength=n).min())
        if not new > best:  # the covers are worth >= upper > best each
            raise AssertionError(f"maximin search: partition worth {new} not above {best} (threshold {upper})")
        best = new
    if best >= upper - tol:
        return MMSResult(best, _bundles_of(bundle, idx, n), upper, True, "search", nodes, tol)
    failed: set[tuple[bytes, int]] = set()  # failed states stay failed at every higher threshold
    state = {"best": best, "bundle": bundle}

    def found(covers: list[np.ndarray]) -> float | None:
        # a partition whose bundles are worth >= T > best each (up to float rounding << tol)
        b = improve_partition(v, _partition_from_covers(v, cls, covers, n), n)
        new = float(np.bincount(b, weights=v, minlength=n).min())
        if not new > state["best"]:
            raise AssertionError(f"maximin search: partition worth {new} not above {state['best']}")
        state["best"], state["bundle"] = new, b
        return None if new >= upper - tol else new + step

    while True:
        # T just above the best partition found, raised past every better partition the search
        # meets (branch and bound); only the end of the search, "no", is a full proof
        # (bisection was measured slower: it asks many hard "no" questions just above the optimum)
        dec = _Decider(cls, state["best"] + step, node_budget - nodes, halves, failed, found)
        try:
            covers = dec.solve(cnt, n)
        except _BudgetExhausted:
            return MMSResult(state["best"], _bundles_of(state["bundle"], idx, n), upper, False, "budget",
                             node_budget, tol)
        nodes += dec.nodes
        best, bundle = state["best"], state["bundle"]
        if covers is None:  # no partition has all n bundles worth >= T = best + step: proven
            # (return here: re-testing ``upper - best <= tol`` can fail by a rounding error)
            if not dec.T <= best + step:
                raise AssertionError(f"maximin search: final threshold {dec.T} above {best} + {step}")
            return MMSResult(best, _bundles_of(bundle, idx, n), best if integral else dec.T, True, "search",
                             nodes, tol)
        if best >= upper - tol:
            return MMSResult(best, _bundles_of(bundle, idx, n), upper, True, "search", nodes, tol)
        # else the threshold passed a good set aside as a bundle of its own: start again
