"""Preference and cost types: what an agent privately knows.

- :class:`BundleRanking`: a strict ranking over acceptable bundles (OCAM paper, Section 2:
  a strict preference relation over the feasible set Psi_i, the empty bundle least preferred).
- :class:`WeakOrder`: a complete weak order over single objects including the null option
  (SEM paper, Section 2: preferences in L(X) with null option o).
- :class:`Cost`: a procurement seller's private cost (budget-feasible paper, Section 2).

Types are immutable and hashable: mechanisms group agents by reported type (OCAM's budget
function f is keyed by type; SEM's equilibrium is over type masses).
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import ConfigError, require
from .market import FAST_GOODS, Goods, bundle_items, bundle_mask, mask_array, masks_to_items, masks_to_matrix

#: Tolerance for "costs at most the budget": prices are floats produced by solvers.
AFFORD_TOL = 1e-12


@dataclass(frozen=True, eq=True)
class BundleRanking:
    """A strict ranking of acceptable bundles, most preferred first (OCAM types).

    Parameters
    ----------
    m : int
        Number of goods in the market.
    bundles : tuple of int
        Acceptable non-empty bundles as bitmasks, most preferred first. The empty bundle is
        always acceptable and always last (free disposal, OCAM Section 2); bundles not listed
        are outside the agent's feasible set Psi_i.

    Notes
    -----
    Equality and hashing use ``(m, bundles)`` only, so agents of the same type can be grouped.
    """

    m: int
    bundles: tuple[int, ...]

    def __post_init__(self) -> None:
        bundles = tuple(int(b) for b in self.bundles)
        require(isinstance(self.m, (int, np.integer)) and self.m > 0, "m", self.m, "a positive integer")
        limit = 1 << int(self.m)
        for r, b in enumerate(bundles):
            require(0 < b < limit, f"bundles[{r}]", b, f"a non-empty bundle over {self.m} goods")
        require(len(set(bundles)) == len(bundles), "bundles", bundles, "each bundle ranked once (a strict order)")
        object.__setattr__(self, "bundles", bundles)

    def __hash__(self) -> int:
        # cached: types key dicts on hot paths (OCAM's f, state snapshots re-hash dict keys)
        h = self.__dict__.get("_hash")
        if h is None:
            h = self.__dict__["_hash"] = hash((self.m, self.bundles))
        return h

    # ---- constructors -------------------------------------------------------------------
    @classmethod
    def from_ranked_list(cls, goods: Goods, ranked: Sequence[Sequence[str]],
                         max_size: int | None = None, field: str = "ranking") -> BundleRanking:
        """Return the ranking of the explicitly listed bundles (names of goods), best first.

        Raises :class:`ConfigError` naming ``field[r]`` when a bundle names a missing good,
        repeats one, is empty, or exceeds ``max_size``.
        """
        masks = []
        for r, names in enumerate(ranked):
            f = f"{field}[{r}]"
            if isinstance(names, str):
                raise ConfigError(f, names, "a list of good names")
            require(len(names) > 0, f, list(names), "a non-empty bundle")
            if max_size is not None:
                require(len(names) <= max_size, f, list(names), f"a bundle of at most {max_size} goods")
            masks.append(goods.mask(names, f))
        require(len(set(masks)) == len(masks), field, [list(x) for x in ranked], "each bundle listed once")
        return cls(goods.m, tuple(masks))

    @classmethod
    def from_item_lists(cls, m: int, ranked: Sequence[Sequence[int]], max_size: int | None = None,
                        field: str = "bundles") -> BundleRanking:
        """Return the ranking of bundles given as lists of good indices (0-based), best first.

        Raises :class:`ConfigError` naming ``field[r]`` for an index outside [0, m), a repeated
        good, an empty bundle or one above ``max_size`` goods, and ``field`` for a bundle
        listed twice. Plain data (e.g. JSON) enters through here.
        """
        from .market import bundle_from_items

        require(isinstance(m, (int, np.integer)) and m > 0, "m", m, "a positive integer")
        if isinstance(ranked, (str, bytes)) or not isinstance(ranked, (list, tuple)):
            raise ConfigError(field, ranked, "a list of bundles (lists of good indices)")
        masks = [bundle_from_items(b, int(m), f"{field}[{r}]", max_size) for r, b in enumerate(ranked)]
        require(len(set(masks)) == len(masks), field, [list(b) for b in ranked], "each bundle listed once")
        return cls(int(m), tuple(masks))

    @classmethod
    def from_scores(cls, scores: Sequence[float] | np.ndarray, max_size: int, min_size: int = 1,
                    complementarities: Mapping[tuple[int, int], float] | None = None,
                    top: int | None = None) -> BundleRanking:
        """Return the ranking of bundles of ``min_size..max_size`` goods by additive score.

        A bundle's score is the sum of its items' scores plus ``complementarities[(j, k)]`` for
        every pair it contains (negative values are substitutes). Bundles with score <= 0 are
        unacceptable. Ties are broken deterministically (smaller bundle, then smaller bitmask
        first) so the order is strict. ``top`` keeps only the best ``top`` bundles.
        """
        s = np.asarray(scores, dtype=np.float64)
        m = s.size
        require(m > 0, "scores", list(s), "at least one score")
        require(isinstance(max_size, (int, np.integer)) and 1 <= max_size <= m, "max_size", max_size,
                f"an integer in [1, {m}]")
        require(isinstance(min_size, (int, np.integer)) and 1 <= min_size <= max_size, "min_size", min_size,
                f"an integer in [1, max_size={max_size}]")
        comp = dict(complementarities or {})
        for (j, k) in comp:
            require(0 <= j < m and 0 <= k < m and j != k, "complementarities", (j, k), f"a pair of distinct goods in [0, {m})")
        combos = [c for size in range(min_size, max_size + 1) for c in itertools.combinations(range(m), size)]
        masks = mask_array([bundle_mask(c) for c in combos], m)
        sizes = np.array([len(c) for c in combos])
        values = np.append(s, 0.0)[masks_to_items(masks, m)].sum(axis=1) if m > FAST_GOODS else masks_to_matrix(masks, m) @ s
        if comp:
            for r, c in enumerate(combos):
                for pair in itertools.combinations(c, 2):
                    values[r] += comp.get(pair, 0.0) + comp.get(pair[::-1], 0.0)
        keep = values > 0
        # lexsort: last key is primary -> (-value, size, mask); beyond the int64 path the mask's
        # rank among the kept masks (the same order, computed on exact Python ints) stands in.
        tie = masks[keep] if m <= FAST_GOODS else np.argsort(np.argsort(masks[keep], kind="stable"))
        order = np.lexsort((tie, sizes[keep], -values[keep]))
        ranked = masks[keep][order]
        if top is not None:
            require(isinstance(top, (int, np.integer)) and top > 0, "top", top, "a positive integer")
            ranked = ranked[:top]
        return cls(m, tuple(int(b) for b in ranked))

    @classmethod
    def from_item_order(cls, order: Sequence[int], m: int, k: int, min_size: int | None = None) -> BundleRanking:
        """Return the lexicographic ranking of bundles of ``min_size..k`` goods induced by an item order.

        A bundle is compared by the positions of its items in ``order``, sorted, with missing
        items counting as worse than any item: a student who ranks courses a > b > c > d
        prefers {a,b,c} > {a,b,d} > {a,b} > {a,c,d} > ... (the responsive lexicographic
        extension). ``min_size`` defaults to ``k`` (only full bundles of k courses acceptable).
        """
        order = [int(j) for j in order]
        require(sorted(order) == list(range(m)), "order", order, f"a permutation of range({m})")
        require(1 <= k <= m, "k", k, f"an integer in [1, {m}]")
        lo = k if min_size is None else min_size
        require(isinstance(lo, (int, np.integer)) and 1 <= lo <= k, "min_size", min_size, f"an integer in [1, k={k}]")
        pos = {j: r for r, j in enumerate(order)}
        combos = [c for size in range(lo, k + 1) for c in itertools.combinations(range(m), size)]
        keyed = sorted(combos, key=lambda c: sorted(pos[j] for j in c) + [m] * (k - len(c)))
        return cls(m, tuple(bundle_mask(c) for c in keyed))

    # ---- vectorised views ---------------------------------------------------------------
    @cached_property
    def masks(self) -> np.ndarray:
        """Acceptable bundles, most preferred first: int64 when m <= 62, else Python ints (object)."""
        a = mask_array(self.bundles, self.m)
        a.setflags(write=False)
        return a

    @cached_property
    def matrix(self) -> np.ndarray:
        """Acceptable bundles as a 0/1 float matrix (k, m), most preferred first."""
        a = masks_to_matrix(self.masks, self.m)
        a.setflags(write=False)
        return a

    @cached_property
    def items(self) -> np.ndarray:
        """Acceptable bundles as a (k, sigma) table of good indices padded with m (see masks_to_items)."""
        a = masks_to_items(self.masks, self.m)
        a.setflags(write=False)
        return a

    def costs(self, prices: np.ndarray) -> np.ndarray:
        """Return the cost p.x of every acceptable bundle, most preferred first.

        A matrix-vector product for m <= 62 (the fast path); beyond, a gather over the bundles'
        item indices, whose cost does not grow with m.
        """
        if self.m <= FAST_GOODS:
            return self.matrix @ prices
        return np.append(np.asarray(prices, dtype=np.float64), 0.0)[self.items].sum(axis=1)

    @cached_property
    def _rank(self) -> dict[int, int]:
        return {b: r for r, b in enumerate(self.bundles)}

    @property
    def max_bundle_size(self) -> int:
        """Largest number of goods in an acceptable bundle (0 if none)."""
        return max((int(b).bit_count() for b in self.bundles), default=0)

    def rank(self, bundle: int) -> int:
        """Return the position of ``bundle`` in the agent's order, 0 = best, worst last.

        The one bundle ranking (the auditor's gains, EF1, GSP1, run tables and sweeps all read
        it), OCAM Section 3.1: the listed bundles are the feasible set Psi_i ordered by
        succ_i, so bundle r of the list has rank r; the empty bundle, feasible by free disposal
        and least preferred (r_i(0) = 0), has rank ``len(bundles)``; any other bundle is
        infeasible for the agent (r_i(x) = -inf) and has rank ``len(bundles) + 1``, strictly
        below the empty bundle.
        """
        if bundle == 0:
            return len(self.bundles)
        return self._rank.get(int(bundle), len(self.bundles) + 1)

    def is_acceptable(self, bundle: int) -> bool:
        """Return True for the empty bundle and every listed bundle."""
        return bundle == 0 or int(bundle) in self._rank

    def prefers(self, x: int, y: int) -> bool:
        """Return True when bundle ``x`` is strictly preferred to bundle ``y``."""
        return self.rank(x) < self.rank(y)

    def best_affordable(self, prices: np.ndarray, budget: float, blocked: int = 0) -> int:
        """Return the most preferred acceptable bundle costing at most ``budget`` at ``prices``.

        Bundles containing a good of the bitmask ``blocked`` (exhausted goods) are excluded.
        Returns the bundle's bitmask, 0 (empty bundle) when nothing is affordable. This is the
        demand of OCAM Definition 4 / DACEEI condition (i): x_i = max_{succ_i} {x : p.x <= b_i}.
        """
        if not self.bundles:
            return 0
        ok = self.costs(prices) <= budget + AFFORD_TOL
        if blocked:
            ok &= (self.masks & blocked) == 0
        r = int(np.argmax(ok))
        return int(self.masks[r]) if ok[r] else 0

    def best_available(self, blocked: int) -> int:
        """Return the most preferred acceptable bundle avoiding the goods in ``blocked`` (0 if none)."""
        if not self.bundles:
            return 0
        ok = (self.masks & blocked) == 0
        r = int(np.argmax(ok))
        return int(self.masks[r]) if ok[r] else 0

    def describe(self, goods: Goods | None = None, limit: int = 4) -> str:
        """Return a short human-readable form, e.g. ``"{a,b} > {a,c} > ... (12 bundles)"``."""
        fmt = goods.format_bundle if goods else (lambda b: "{" + ",".join(map(str, bundle_items(b))) + "}")
        head = " > ".join(fmt(b) for b in self.bundles[:limit])
        more = f" > ... ({len(self.bundles)} bundles)" if len(self.bundles) > limit else ""
        return head + more if head else "(only the empty bundle)"


@dataclass(frozen=True, eq=True)
class WeakOrder:
    """A complete weak order over objects and the null option (SEM types, SEM Section 2).

    Parameters
    ----------
    n_objects : int
        Number of real objects; the null option o has index ``n_objects``.
    classes : tuple of tuple of int
        Indifference classes, best first, partitioning ``0..n_objects`` (null included).
        Objects in classes below the null option's class are unacceptable.
    """

    n_objects: int
    classes: tuple[tuple[int, ...], ...]

    def __post_init__(self) -> None:
        n = self.n_objects
        require(isinstance(n, (int, np.integer)) and n > 0, "n_objects", n, "a positive integer")
        classes = tuple(tuple(sorted(int(x) for x in c)) for c in self.classes)
        flat = [x for c in classes for x in c]
        require(all(len(c) > 0 for c in classes), "classes", classes, "non-empty indifference classes")
        require(sorted(flat) == list(range(n + 1)), "classes", classes,
                f"a partition of the objects 0..{n - 1} and the null option {n}")
        object.__setattr__(self, "classes", classes)

    def __hash__(self) -> int:
        h = self.__dict__.get("_hash")
        if h is None:
            h = self.__dict__["_hash"] = hash((self.n_objects, self.classes))
        return h

    @property
    def null(self) -> int:
        """Index of the null option o."""
        return self.n_objects

    @classmethod
    def parse(cls, text: str, names: Sequence[str], null_name: str = "o", field: str = "preference") -> WeakOrder:
        """Return the weak order written as ``"a > o > b"`` or ``"{a,b} > o"``.

        Objects not mentioned form one class at the bottom; the null option, if not mentioned,
        is placed just above them (so unmentioned objects are unacceptable).
        """
        index = {nm: j for j, nm in enumerate(names)}
        index[null_name] = len(names)
        require(isinstance(text, str) and text.strip() != "", field, text, 'a weak order such as "{a,b} > o"')
        classes, seen = [], set()
        for part in text.split(">"):
            part = part.strip().strip("{}")
            cls_ = []
            for tok in (t.strip() for t in part.split(",")):
                require(tok in index, field, text, f"names among {list(index)} (unknown {tok!r})")
                require(index[tok] not in seen, field, text, f"each object named once ({tok!r} repeats)")
                seen.add(index[tok])
                cls_.append(index[tok])
            classes.append(tuple(cls_))
        if len(names) not in seen:
            classes.append((len(names),))
        rest = tuple(j for j in range(len(names)) if j not in seen)
        if rest:
            classes.append(rest)
        return cls(len(names), tuple(classes))

    @classmethod
    def strict(cls, order: Sequence[int], n_objects: int) -> WeakOrder:
        """Return the strict order with ``order`` (indices, null allowed) as singletons."""
        listed = [int(x) for x in order]
        rest = [x for x in range(n_objects + 1) if x not in listed]
        classes = [(x,) for x in listed]
        if n_objects not in listed:
            classes.append((n_objects,))
            rest = [x for x in rest if x != n_objects]
        if rest:
            classes.append(tuple(rest))
        return cls(n_objects, tuple(classes))

    @cached_property
    def rank(self) -> np.ndarray:
        """Class index of every option (0 = best), an int array of length n_objects + 1."""
        r = np.empty(self.n_objects + 1, dtype=np.int64)
        for k, c in enumerate(self.classes):
            r[list(c)] = k
        r.setflags(write=False)
        return r

    @cached_property
    def acceptable(self) -> tuple[int, ...]:
        """Real objects strictly preferred to the null option, best class first."""
        null_rank = self.rank[self.null]
        return tuple(x for c in self.classes for x in c if self.rank[x] < null_rank)

    def weakly_prefers(self, x: int, y: int) -> bool:
        """Return True when x is weakly preferred to y."""
        return bool(self.rank[x] <= self.rank[y])

    def best_available(self, available: np.ndarray) -> tuple[int, ...]:
        """Return the most preferred class of available options (``available[x]`` truthy).

        The null option is always available. Returns the indices of that class's available
        members (SD picks among them).
        """
        for c in self.classes:
            avail = tuple(x for x in c if x == self.null or available[x])
            if avail:
                return avail
        return (self.null,)  # unreachable: null is in some class

    def upper_contour_matrix(self) -> np.ndarray:
        """Return U (n+1, n+1) with U[k, y] = 1 when y is weakly preferred to the k-th class.

        Row k sums a lottery over the options weakly better than class k: the stochastic
        dominance test of SEM Section 2 compares ``U @ a``.
        """
        n1 = self.n_objects + 1
        U = (self.rank[None, :] <= np.arange(len(self.classes))[:, None]).astype(np.float64)
        assert U.shape == (len(self.classes), n1)
        return U

    def describe(self, names: Sequence[str] | None = None, null_name: str = "o") -> str:
        """Return the order as text, e.g. ``"{a,b} > o > c"``."""
        def nm(x: int) -> str:
            if x == self.null:
                return null_name
            return names[x] if names else str(x)
        return " > ".join(nm(c[0]) if len(c) == 1 else "{" + ",".join(nm(x) for x in c) + "}" for c in self.classes)


@dataclass(frozen=True, eq=True)
class Cost:
    """A procurement seller's private cost (budget-feasible paper, Section 2: c_i >= 0)."""

    value: float

    def __post_init__(self) -> None:
        v = self.value
        require(isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
                and math.isfinite(float(v)) and float(v) >= 0, "cost", v, "a finite non-negative number")
        object.__setattr__(self, "value", float(v))

    def utility(self, outcome) -> float:
        """Return the seller's utility of a hire outcome: ``payment - c_i`` when hired, else 0.

        Budget-feasible paper, Section 2 (quasi-linear utility; an unhired seller is paid
        nothing and bears no cost). ``outcome`` is a :class:`~mechanisms.reports.HireOutcome`.
        The one definition: the auditor, the run tables and the checks all read it.
        """
        return float(outcome.payment) - self.value if outcome.hired else 0.0


#: Every preference/cost type, for isinstance checks.
AgentType = BundleRanking | WeakOrder | Cost
PREFERENCE_KINDS: dict[str, type] = {"bundles": BundleRanking, "objects": WeakOrder, "cost": Cost}
