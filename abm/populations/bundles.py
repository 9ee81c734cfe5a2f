"""Population sources of bundle markets (OCAM paper, Section 3.1: agents rank bundles of goods).

``bundles.explicit`` (ranked bundle lists), ``bundles.scores`` (random additive item scores),
``bundles.synthetic`` (the OCAM paper's example markets, :mod:`mechanisms.ocam.markets`). Real
data (``bundles.preflib``, ``bundles.csv``) is in :mod:`abm.populations.real_data`.
"""
from __future__ import annotations

import pathlib

from mechanisms.errors import require
from mechanisms.market import Goods, Market
from mechanisms.preferences import AgentType, BundleRanking
from mechanisms.rng import Streams

from ..schema import MAX_AGENTS, Section
from .registry import SOURCES, Population
from .tables import read_count, read_extra, read_goods


def bundle_market(market: Section, goods: Goods, n: int, max_size: int | None) -> Market:
    """Return the bundles :class:`Market` of ``goods`` for ``n`` agents (``market.max_bundle_size``, default ``max_size``)."""
    k = market.get("max_bundle_size", int, max_size, check=lambda v: v >= 1, expected="a positive integer")
    require(k is not None, "market.max_bundle_size", None, "a positive integer")
    return Market("bundles", goods, max_bundle_size=k, n_agents=n, extra=read_extra(market))



@SOURCES.register("bundles.explicit")
def _bundles_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Explicit ranked bundle lists: ``[[population.types]]`` with ``ranking`` and ``count``."""
    goods = read_goods(market)
    k = market.get("max_bundle_size", int, None)
    types: list[AgentType] = []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        count = read_count(e, len(types))
        ranked = e.get("ranking", list)
        for r_, b in enumerate(ranked):
            require(isinstance(b, list) and all(isinstance(x, str) for x in b), e.field(f"ranking[{r_}]"), b,
                    "a bundle: a list of good names")
        r = BundleRanking.from_ranked_list(goods, ranked, max_size=k, field=e.field("ranking"))
        e.finish()
        types.extend([r] * count)
    require(len(types) > 0, "population.types", [], "at least one type")
    return Population(bundle_market(market, goods, len(types), max(r.max_bundle_size for r in types)), types)


@SOURCES.register("bundles.scores")
def _bundles_scores(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Random item scores: ``n`` agents (``n_types`` distinct types), bundles up to ``max_bundle_size``.

    Scores are U[0,1) per agent type (stream ``("types",)``); ``complementarity`` adds that
    much to every pair's value with probability ``complementarity_prob``; ``top`` keeps the
    best bundles of each ranking.
    """
    goods = read_goods(market)
    k = market.get("max_bundle_size", int, check=lambda v: 1 <= v <= goods.m, expected=f"an integer in [1, {goods.m}]")
    n = pop.get("n", int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    n_types = pop.get("n_types", int, n, check=lambda v: 1 <= v <= n, expected=f"an integer in [1, n={n}]")
    comp = pop.get("complementarity", float, 0.0)
    comp_p = pop.get("complementarity_prob", float, 0.0, check=lambda v: 0 <= v <= 1, expected="a number in [0, 1]")
    top = pop.get("top", int, None, check=lambda v: v >= 1, expected="a positive integer")
    rng = streams.get("types")
    kinds = []
    for _ in range(n_types):
        scores = rng.random(goods.m)
        pairs = {}
        if comp and comp_p:
            for a in range(goods.m):
                for b in range(a + 1, goods.m):
                    if rng.random() < comp_p:
                        pairs[(a, b)] = comp
        kinds.append(BundleRanking.from_scores(scores, k, complementarities=pairs, top=top))
    which = rng.integers(n_types, size=n)
    return Population(bundle_market(market, goods, n, k), [kinds[i] for i in which])



@SOURCES.register("bundles.synthetic")
def _bundles_synthetic(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Synthetic OCAM markets (OCAM paper, Section 1 examples; :mod:`mechanisms.ocam.markets`).

    ``style``: ``"random"`` (``n`` agents, ``m`` goods, bundles of 1..``k`` by additive random
    scores with popularity skew ``popularity`` and pair ``complementarity``), ``"course"``
    (students ranking schedules of exactly ``k`` of ``m`` courses) or ``"daycare"`` (``centres``
    centres with infant and toddler rooms; ``sibling_share`` of families need both rooms in one
    centre). Capacities are ``capacity_factor`` times an even share of demand. Types come from
    the ``("types",)`` stream.
    """
    from mechanisms.ocam import markets as lib

    style = pop.get("style", str, "random", check=lambda v: v in ("random", "course", "daycare", "catalogue"),
                    expected='one of "random", "course", "daycare", "catalogue"')
    n = pop.get("n", int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: 0 < v <= 1000, expected="a number in (0, 1000]")
    rng = streams.get("types")
    if style == "daycare":
        centres = pop.get("centres", int, 4, check=lambda v: 1 <= v <= 1000, expected="an integer in [1, 1000]")
        share = pop.get("sibling_share", float, 0.3, check=lambda v: 0 <= v <= 1, expected="a number in [0, 1]")
        m, types = lib.daycare_market(n, centres, rng, sibling_share=share, capacity_factor=factor)
    elif style == "catalogue":  # course_catalogue_market: hundreds of courses, top lists of bundles
        m_goods = pop.get("m", int, 300, check=lambda v: 1 <= v <= 100_000, expected="an integer in [1, 100000]")
        wl = pop.get("wishlist", int, 10, check=lambda v: 1 <= v <= min(m_goods, 20), expected=f"an integer in [1, {min(m_goods, 20)}]")
        k = pop.get("k", int, 5, check=lambda v: 1 <= v <= wl, expected=f"an integer in [1, wishlist={wl}]")
        top = pop.get("top", int, 40, check=lambda v: 1 <= v <= 10_000, expected="an integer in [1, 10000]")
        n_types = pop.get("n_types", int, None, check=lambda v: v >= 1, expected="a positive integer")
        m, types = lib.course_catalogue_market(n, rng, m=m_goods, k=k, wishlist=wl, top=top, n_types=n_types,
                                               popularity=pop.get("popularity", float, 1.0), capacity_factor=factor)
    else:
        m_goods = pop.get("m", int, check=lambda v: 1 <= v <= 100_000, expected="an integer in [1, 100000]")
        k = pop.get("k", int, check=lambda v: 1 <= v <= m_goods, expected=f"an integer in [1, m={m_goods}]")
        pop_skew = pop.get("popularity", float, 1.0)
        if style == "course":
            m, types = lib.course_allocation_market(n, m_goods, k, rng, capacity_factor=factor, popularity=pop_skew)
        else:
            comp = pop.get("complementarity", float, 0.0)
            m, types = lib.random_market(n, m_goods, k, rng, capacity_factor=factor, popularity=pop_skew,
                                         complementarity=comp)
    return Population(m, list(types))

