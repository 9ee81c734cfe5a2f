"""Shared hypothesis strategies and markets for the strategy-library tests."""
from __future__ import annotations

import itertools

from hypothesis import strategies as st

from mechanisms.market import Goods, Market, bundle_mask
from mechanisms.preferences import BundleRanking, Cost, WeakOrder
from mechanisms.procurement import Additive

M = 4
GOODS = Goods.uniform(M, 2)
BUNDLE_MARKET = Market("bundles", GOODS, max_bundle_size=2)
OBJECT_MARKET = Market("objects", GOODS)
# sellers 0-3 with additive values (4, 2, 1, 1): the public v from which a seller computes its price
PROCUREMENT_MARKET = Market("procurement", n_agents=4, extra={"budget": 10.0, "valuation": Additive([4, 2, 1, 1])})
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


# ---- typed public states (mechanisms.public_state) with test defaults -----------------------
def goods_public(remaining=(2, 2, 2, 2), prices=None):
    """A bundle/object market's public state (serial dictatorship style: no prices by default)."""
    from mechanisms.public_state import GoodsPublic

    return GoodsPublic(remaining=remaining, prices=prices)


def ocam_public(phase="online", prices=(0.4, 0.3, 0.2, 0.1), remaining=(2, 2, 2, 2), f=None, counts=None):
    """OCAM's public state; ``f`` maps types to (budget, probability) pairs, labelled t0, t1, ..."""
    from mechanisms.public_state import BundlesPublic

    f = f or {}
    labels = {f"t{k}": t for k, t in enumerate(f)}
    online = phase == "online"
    return BundlesPublic(remaining=remaining, prices=prices if online else None, phase=phase,
                         budgets={k: list(f[t]) for k, t in labels.items()} if online else None,
                         types=labels if online else None,
                         seen_type_counts={k: (counts or {}).get(t, 1) for k, t in labels.items()} if online else None,
                         sample_size=10, arrived=10, clearing_error=0.0 if online else None,
                         solver="converged" if online else None)


def sem_public(prices=(0.5, 0.2, 0.3, 0.0), remaining=(1, 1, 1, 1), period=0):
    """SEM's public state after a period."""
    from mechanisms.public_state import ObjectsPublic

    return ObjectsPublic(remaining=remaining, prices=prices, period=period, clearing_error=0.0)


def procurement_public(stage="posted", t=1.0, solutions=((),), budget_left=(10.0,), budget=10.0, hired=(),
                       single_threshold=None, single_strict=False, returned=0, route=None):
    """A posted-price procurement state (one solution, nobody hired yet, by default)."""
    from mechanisms.public_state import ProcurementPublic

    return ProcurementPublic(budget=budget, arrived=0, hired=hired, paid=0.0, stage=stage,
                             single_threshold=single_threshold, single_strict=single_strict, t=t,
                             solutions=solutions, budget_left=budget_left, returned=returned, route=route)
