"""Synthetic OCAM markets: builders returning ``(Market, list[BundleRanking])``.

Each builder draws from the generator it is given (pass ``Streams(seed).get("types")`` to
stay on the purpose-keyed streams) and returns the public market (with ``n_agents`` set, as
OCAM needs) and one true ranking per agent, in index order. The introduction's examples
(Section 1): course allocation (students demand up to k courses) and daycare (siblings need
places in the same centre: a complementarity).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

from ..errors import require
from ..market import Goods, Market, bundle_mask, mask_array, masks_to_matrix
from ..preferences import BundleRanking


def _even_capacity(rankings: list[BundleRanking], m: int, capacity_factor: float) -> tuple[int, ...]:
    """Return ceil(capacity_factor * (total top-bundle demand) / m) for every good."""
    total = sum(int(r.bundles[0]).bit_count() for r in rankings if r.bundles)
    return tuple([max(1, math.ceil(capacity_factor * total / m))] * m)


#: Largest number of candidate bundles the enumerating builders accept (memory guard).
MAX_ENUMERATED = 2_000_000


def _combos(m: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (masks, 0/1 matrix) of every bundle of lo..hi goods, by size then lexicographically."""
    total = sum(math.comb(m, s) for s in range(lo, hi + 1))
    require(total <= MAX_ENUMERATED, "k", hi, f"bundle sizes whose count C(m, <= k) = {total} is at most "
            f"{MAX_ENUMERATED} (use course_catalogue_market for large catalogues)")
    combos = [c for size in range(lo, hi + 1) for c in itertools.combinations(range(m), size)]
    masks = mask_array([bundle_mask(c) for c in combos], m)
    return masks, masks_to_matrix(masks, m)


def scored_rankings(scores: np.ndarray, min_size: int, max_size: int, top: int | None,
                    complementarities: np.ndarray | None = None) -> list[BundleRanking]:
    """Return one ranking per row of ``scores`` (T, m), all types at once.

    Same order as :meth:`BundleRanking.from_scores` (additive score plus, for every pair in the
    bundle, ``complementarities[t, j, k]`` with j < k; score <= 0 unacceptable; ties to the
    smaller bundle, then the smaller bitmask), vectorised over types, keeping the best ``top``.
    """
    T, m = scores.shape
    masks, M = _combos(m, min_size, max_size)
    sizes = M.sum(axis=1)
    mask_rank = np.argsort(np.argsort(masks, kind="stable"), kind="stable")  # tie key, any width
    out = []
    # chunks of types keep the (types x all bundles) score table small for large m
    chunk = max(1, int(2e7 // max(masks.size, 1)))
    for start in range(0, T, chunk):
        values = scores[start:start + chunk] @ M.T  # (chunk, K)
        if complementarities is not None:
            values += np.einsum("kj,tjl,kl->tk", M, complementarities[start:start + chunk], M)
        for row in values:
            keep = np.flatnonzero(row > 0)
            if top is not None and keep.size > top:
                # partial selection first: only the best `top` need a full sort
                part = keep[np.argpartition(-row[keep], top - 1)[:top]]
                keep = keep[row[keep] >= row[part].min()]
            order = keep[np.lexsort((mask_rank[keep], sizes[keep], -row[keep]))]
            if top is not None:
                order = order[:top]
            out.append(BundleRanking(m, tuple(int(b) for b in masks[order])))
    return out


def random_market(n: int, m: int, k: int, rng: np.random.Generator, capacity_factor: float = 0.9,
                  n_types: int | None = None, popularity: float = 1.0, complementarity: float = 0.0,
                  top: int | None = 40, capacity: int | None = None) -> tuple[Market, list[BundleRanking]]:
    """Return a market of ``m`` goods and ``n`` agents with additive random item scores.

    Each type scores items ``u_j * w_j`` with u ~ U(0,1) and a common popularity weight
    w_j = (j + 1)^(-popularity) (so some goods are contested); bundles of 1..k goods are ranked
    by total score, plus ``complementarity`` times a U(-1,1) bonus for each pair of goods
    (Section 2 allows arbitrary feasible sets and orders). ``n_types`` distinct types are drawn
    (default: one per agent) and agents pick types uniformly. Capacities are
    ``capacity`` or ``ceil(capacity_factor * total top-bundle demand / m)``.
    """
    require(isinstance(n, int) and n >= 1, "n", n, "a positive integer")
    require(isinstance(m, int) and m >= 1, "m", m, "a positive integer")
    require(isinstance(k, int) and 1 <= k <= m, "k", k, f"an integer in [1, {m}]")
    require(capacity_factor > 0, "capacity_factor", capacity_factor, "a positive number")
    T = n if n_types is None else n_types
    require(isinstance(T, int) and T >= 1, "n_types", n_types, "a positive integer")
    weight = (np.arange(m) + 1.0) ** (-popularity)
    scores = rng.random((T, m)) * weight + 1e-9
    comp = None
    if complementarity:
        iu = np.triu_indices(m, 1)
        comp = np.zeros((T, m, m))
        comp[:, iu[0], iu[1]] = complementarity * rng.uniform(-1, 1, size=(T, iu[0].size))
    types = scored_rankings(scores, 1, k, top, comp)
    pick = rng.integers(T, size=n) if n_types is not None else np.arange(n)
    rankings = [types[i] for i in pick]
    caps = tuple([capacity] * m) if capacity is not None else _even_capacity(rankings, m, capacity_factor)
    goods = Goods(tuple(f"g{j}" for j in range(m)), caps)
    return Market("bundles", goods, max_bundle_size=k, n_agents=n), rankings


def course_allocation_market(n: int, m: int, k: int, rng: np.random.Generator, capacity_factor: float = 0.9,
                             popularity: float = 1.0, top: int | None = 60) -> tuple[Market, list[BundleRanking]]:
    """Return a course-allocation market: students rank bundles of exactly ``k`` courses.

    Course utilities are a common popularity term plus idiosyncratic noise; a student's ranking
    over k-course schedules is by total utility (Budish 2011's setting, Section 1).
    """
    require(isinstance(k, int) and 1 <= k <= m, "k", k, f"an integer in [1, {m}]")
    common = (np.arange(m) + 1.0) ** (-popularity)
    scores = common + 0.5 * rng.random((n, m)) + 1e-9
    rankings = scored_rankings(scores, k, k, top)
    caps = tuple([max(1, math.ceil(capacity_factor * n * k / m))] * m)
    goods = Goods(tuple(f"course{j}" for j in range(m)), caps)
    return Market("bundles", goods, max_bundle_size=k, n_agents=n), rankings


def daycare_market(n: int, centres: int, rng: np.random.Generator, sibling_share: float = 0.3,
                   capacity_factor: float = 0.9) -> tuple[Market, list[BundleRanking]]:
    """Return a daycare market: every centre has an infant room and a toddler room.

    Families with one child want one place of their child's age group; families with siblings
    want an infant AND a toddler place in the SAME centre (a complementarity: split bundles are
    unacceptable). Families rank centres by random scores. Goods are ``c{centre}_infant`` and
    ``c{centre}_toddler``; capacities split the expected demand evenly.
    """
    require(isinstance(centres, int) and centres >= 1, "centres", centres, "a positive integer")
    require(0 <= sibling_share <= 1, "sibling_share", sibling_share, "a number in [0, 1]")
    m = 2 * centres
    names = tuple(f"c{c}_{room}" for c in range(centres) for room in ("infant", "toddler"))
    rankings = []
    demand = 0
    for _ in range(n):
        order = np.argsort(-rng.random(centres), kind="stable")
        u = rng.random()
        if u < sibling_share:
            bundles = [bundle_mask((2 * c, 2 * c + 1)) for c in order]
            demand += 2
        else:
            room = 0 if u < sibling_share + (1 - sibling_share) / 2 else 1
            bundles = [bundle_mask((2 * c + room,)) for c in order]
            demand += 1
        rankings.append(BundleRanking(m, tuple(int(b) for b in bundles)))
    caps = tuple([max(1, math.ceil(capacity_factor * demand / m))] * m)
    return Market("bundles", Goods(names, caps), max_bundle_size=2, n_agents=n), rankings


def course_catalogue_market(n: int, rng: np.random.Generator, m: int = 300, k: int = 5, wishlist: int = 10,
                            top: int = 40, n_types: int | None = None, popularity: float = 1.0,
                            capacity_factor: float = 0.9, min_size: int = 1) -> tuple[Market, list[BundleRanking]]:
    """Return a course market of real size: ``m`` courses, bundles of up to ``k``, top-``top`` lists.

    Model (documented in docs/ocam.md, "Course markets of real size"):

    1. Course j has popularity w_j = (j + 1)^(-popularity) (Zipf; course 0 is the most popular).
    2. A student type draws its wish list, ``wishlist`` distinct courses in order of preference,
       by Plackett-Luce sampling with weights w (the Gumbel-max trick: the courses with the
       largest ``log w_j + G_j``, G_j standard Gumbel, in that order).
    3. The course at wish-list position q (0 = favourite) is worth ``wishlist - q`` plus a
       U(0, 0.5) idiosyncratic term; a bundle of ``min_size..k`` wish-list courses is worth the
       sum (additive, so a fuller schedule of liked courses is better).
    4. The type ranks its ``top`` best bundles (ties to the smaller bundle, then the smaller
       bitmask); other bundles are unacceptable.

    ``n_types`` distinct types are drawn (default one per student) and students pick types
    uniformly. Every course gets capacity ``ceil(capacity_factor * total top-bundle demand / m)``.
    Returns the market (``n_agents = n``) and one ranking per student.
    """
    require(isinstance(n, int) and n >= 1, "n", n, "a positive integer")
    require(isinstance(m, int) and m >= 1, "m", m, "a positive integer")
    require(isinstance(wishlist, int) and 1 <= wishlist <= m, "wishlist", wishlist, f"an integer in [1, m={m}]")
    require(isinstance(k, int) and 1 <= k <= wishlist, "k", k, f"an integer in [1, wishlist={wishlist}]")
    require(isinstance(min_size, int) and 1 <= min_size <= k, "min_size", min_size, f"an integer in [1, k={k}]")
    require(isinstance(top, int) and top >= 1, "top", top, "a positive integer")
    require(capacity_factor > 0, "capacity_factor", capacity_factor, "a positive number")
    T = n if n_types is None else n_types
    require(isinstance(T, int) and T >= 1, "n_types", n_types, "a positive integer")
    logw = -popularity * np.log(np.arange(m) + 1.0)
    keys = logw[None, :] + rng.gumbel(size=(T, m))
    wish = np.argsort(-keys, axis=1, kind="stable")[:, :wishlist]  # (T, W) course indices, best first
    value = (wishlist - np.arange(wishlist))[None, :] + 0.5 * rng.random((T, wishlist))
    subsets = [c for size in range(min_size, k + 1) for c in itertools.combinations(range(wishlist), size)]
    S = np.zeros((len(subsets), wishlist))
    for r, c in enumerate(subsets):
        S[r, list(c)] = 1.0
    sizes = S.sum(axis=1)
    scores = value @ S.T  # (T, subsets)
    keep = min(top, len(subsets))
    types = []
    for t in range(T):
        cand = np.argpartition(-scores[t], keep - 1)[:keep] if keep < len(subsets) else np.arange(len(subsets))
        masks = [bundle_mask(wish[t, list(subsets[i])]) for i in cand]  # only the kept bundles
        rank = np.argsort(np.argsort(np.array(masks, dtype=object), kind="stable"), kind="stable")
        order = np.lexsort((rank, sizes[cand], -scores[t, cand]))
        types.append(BundleRanking(m, tuple(masks[i] for i in order)))
    pick = rng.integers(T, size=n) if n_types is not None else np.arange(n)
    rankings = [types[i] for i in pick]
    goods = Goods(tuple(f"course{j}" for j in range(m)), _even_capacity(rankings, m, capacity_factor))
    return Market("bundles", goods, max_bundle_size=k, n_agents=n), rankings


def preflib_market(path: str, k: int = 3, capacity_factor: float = 0.9, n: int | None = None,
                   rng: np.random.Generator | None = None) -> tuple[Market, list[BundleRanking]]:
    """Return the AGH course market from a PrefLib soc file (students demanding ``k`` courses).

    With ``n`` (and ``rng``), students are resampled with replacement to ``n`` agents and the
    capacities rescaled to ``ceil(capacity_factor * n * k / m)``.
    """
    from ..datasets.preflib import course_market, read_soc, resample

    data = read_soc(path)
    goods, rankings = course_market(data, k, capacity_factor)
    if n is not None:
        require(rng is not None, "rng", rng, "a numpy Generator when resampling to n agents")
        rankings = resample(rankings, n, rng)
        goods = Goods(goods.names, tuple([math.ceil(capacity_factor * n * k / goods.m)] * goods.m))
    return Market("bundles", goods, max_bundle_size=k, n_agents=len(rankings)), rankings
