"""Shared hypothesis strategies and markets for the strategy-library tests."""
from __future__ import annotations

import itertools

from hypothesis import strategies as st

from mechanisms.market import Goods, bundle_mask
from mechanisms.preferences import BundleRanking, Cost, WeakOrder
from mechanisms.protocol import Market

M = 4
GOODS = Goods.uniform(M, 2)
BUNDLE_MARKET = Market("bundles", GOODS, max_bundle_size=2)
OBJECT_MARKET = Market("objects", GOODS)
PROCUREMENT_MARKET = Market("procurement", extra={"budget": 10.0})
ALL_BUNDLES = [bundle_mask(c) for k in (1, 2) for c in itertools.combinations(range(M), k)]


@st.composite
def bundle_rankings(draw, m: int = M):
    """Any strict ranking of a subset of the bundles of 1-2 goods over ``m`` goods."""
    pool = [bundle_mask(c) for k in (1, 2) for c in itertools.combinations(range(m), k)]
    picked = draw(st.lists(st.sampled_from(pool), unique=True, max_size=len(pool)))
    return BundleRanking(m, tuple(picked))


@st.composite
def weak_orders(draw, n: int = M):
    """Any weak order over ``n`` objects and the null option."""
    options = list(range(n + 1))
    perm = draw(st.permutations(options))
    cuts = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    classes, cur = [], [perm[0]]
    for x, cut in zip(perm[1:], cuts):
        if cut:
            classes.append(tuple(cur))
            cur = [x]
        else:
            cur.append(x)
    classes.append(tuple(cur))
    return WeakOrder(n, tuple(classes))


costs = st.floats(min_value=0.0, max_value=100.0, allow_nan=False).map(Cost)
