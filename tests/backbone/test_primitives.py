
import numpy as np
import pytest
from hypothesis import given, strategies as st

from mechanisms import BundleRanking, ConfigError, Cost, Goods, WeakOrder, bundle_items, bundle_mask, masks_to_matrix


def test_goods_validation_names_field_and_value():
    with pytest.raises(ConfigError, match=r"capacities\.b = -1"):
        Goods(("a", "b"), (1, -1))
    with pytest.raises(ConfigError, match=r"capacities\.a = 1\.5"):
        Goods(("a",), (1.5,))
    with pytest.raises(ConfigError, match="distinct"):
        Goods(("a", "a"), (1, 1))
    with pytest.raises(ConfigError, match="at least one good"):
        Goods((), ())


def test_bundle_mask_roundtrip():
    assert bundle_items(bundle_mask([0, 3, 5])) == (0, 3, 5)
    assert masks_to_matrix([0b101], 3).tolist() == [[1.0, 0.0, 1.0]]


def test_ranked_list_errors_name_the_bundle():
    g = Goods(("a", "b", "c"), (1, 1, 1))
    with pytest.raises(ConfigError, match=r"ranking\[1\] = 'z'"):
        BundleRanking.from_ranked_list(g, [["a"], ["z"]])
    with pytest.raises(ConfigError, match=r"ranking\[0\].*at most 1 goods"):
        BundleRanking.from_ranked_list(g, [["a", "b"]], max_size=1)
    with pytest.raises(ConfigError, match="each bundle listed once"):
        BundleRanking.from_ranked_list(g, [["a", "b"], ["b", "a"]])


def test_from_scores_is_strict_deterministic_and_respects_complementarities():
    r = BundleRanking.from_scores([1.0, 1.0, 1.0], 2)
    # equal scores: ties broken by size, then bitmask, so the order is the same every time
    assert r.bundles == BundleRanking.from_scores([1.0, 1.0, 1.0], 2).bundles
    assert r.bundles[:3] == (0b011, 0b101, 0b110)
    assert len(set(r.bundles)) == len(r.bundles) == 6
    comp = BundleRanking.from_scores([1.0, 1.0, 1.0], 2, complementarities={(1, 2): 0.5})
    assert comp.bundles[0] == 0b110
    subst = BundleRanking.from_scores([1.0, 1.0], 2, complementarities={(0, 1): -1.5})
    assert subst.bundles[0] in (0b01, 0b10)  # the pair is worth 0.5 < 1


@given(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6), st.integers(1, 3),
       st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6), st.floats(0.0, 2.0))
def test_best_affordable_matches_brute_force(scores, k, prices, budget):
    m = len(scores)
    k = min(k, m)
    r = BundleRanking.from_scores(scores, k)
    p = np.array(prices[:m])
    got = r.best_affordable(p, budget)
    brute = 0
    for b in r.bundles:  # first affordable in preference order
        if sum(p[j] for j in bundle_items(b)) <= budget + 1e-12:
            brute = b
            break
    assert got == brute


def test_from_item_order_is_lexicographic():
    r = BundleRanking.from_item_order([2, 0, 1, 3], 4, 2)
    assert r.bundles[0] == bundle_mask([2, 0])
    assert r.bundles[1] == bundle_mask([2, 1])
    assert r.bundles[-1] == bundle_mask([1, 3])
    assert len(r.bundles) == 6


def test_weak_order_parse_and_acceptability():
    w = WeakOrder.parse("a > o > b", ["a", "b"])
    assert w.acceptable == (0,)
    assert w.rank.tolist() == [0, 2, 1]
    w2 = WeakOrder.parse("{a,b} > o", ["a", "b"])
    assert w2.acceptable == (0, 1) and w2.weakly_prefers(0, 1) and w2.weakly_prefers(1, 0)
    with pytest.raises(ConfigError, match="unknown 'z'"):
        WeakOrder.parse("a > z", ["a", "b"])
    with pytest.raises(ConfigError, match="partition"):
        WeakOrder(2, ((0,), (0, 1, 2)))


def test_types_hash_by_value():
    g = Goods(("a", "b"), (1, 1))
    assert BundleRanking.from_ranked_list(g, [["a"], ["b"]]) == BundleRanking(2, (1, 2))
    assert len({BundleRanking(2, (1, 2)), BundleRanking(2, (1, 2)), BundleRanking(2, (2, 1))}) == 2
    assert Cost(1) == Cost(1.0)
    with pytest.raises(ConfigError, match="cost = -1"):
        Cost(-1)
