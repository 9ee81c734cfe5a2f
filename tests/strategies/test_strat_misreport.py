"""Unilateral strategies: every one reports a valid type of the right kind; specific behaviours."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strat_helpers import (BUNDLE_MARKET, OBJECT_MARKET, PROCUREMENT_MARKET, bundle_rankings, costs, goods_public,
                           ocam_public, procurement_public, sem_public, weak_orders)

import strategies  # noqa: F401  (registers every strategy)
from mechanisms.errors import ConfigError
from mechanisms.preferences import BundleRanking, Cost, WeakOrder
from mechanisms.public_state import PublicState
from strategies import STRATEGIES, PublicInfo, parse_strategy

MARKETS = {"bundles": BUNDLE_MARKET, "objects": OBJECT_MARKET, "procurement": PROCUREMENT_MARKET}
TYPES = {"bundles": BundleRanking, "objects": WeakOrder, "procurement": Cost}
# Public states that switch every price-aware branch on (OCAM post-sample, SEM prices, a posted price).
RICH_PUBLIC = {
    "bundles": ocam_public(remaining=(2, 0, 1, 3), f={BundleRanking(4, (0b0011, 0b0001)): [(0.9, 0.5), (1.0, 0.5)],
                                                      BundleRanking(4, (0b0100,)): [(0.95, 1.0)]}),
    "objects": sem_public(prices=(0.4, 0.3, 0.2, 0.1), remaining=(2, 0, 1, 3)),
    "procurement": procurement_public(t=5.0),  # seller 3: p = (10/5) * 1 = 2 <= B' = 10
}


def _valid(kind: str, t, declared) -> None:
    assert isinstance(declared, TYPES[kind])
    if kind == "bundles":
        assert declared.m == t.m
    elif kind == "objects":
        assert declared.n_objects == t.n_objects


def _check_all(kind: str, t, seed: int) -> None:
    for _name, cls in STRATEGIES.items():
        if kind not in cls.kinds:
            with pytest.raises(ConfigError):
                cls().report(t, PublicInfo(MARKETS[kind], 0), np.random.default_rng(seed))
            continue
        for public in (PublicState(), RICH_PUBLIC[kind]):
            declared = cls().report(t, PublicInfo(MARKETS[kind], 3, public, agent=3), np.random.default_rng(seed))
            _valid(kind, t, declared)


@settings(max_examples=40, deadline=None)
@given(bundle_rankings(), st.integers(0, 2**16))
def test_every_strategy_reports_a_valid_bundle_ranking(t, seed):
    _check_all("bundles", t, seed)


@settings(max_examples=40, deadline=None)
@given(weak_orders(), st.integers(0, 2**16))
def test_every_strategy_reports_a_valid_weak_order(t, seed):
    _check_all("objects", t, seed)


@settings(max_examples=30, deadline=None)
@given(costs, st.integers(0, 2**16))
def test_every_strategy_reports_a_valid_cost(t, seed):
    _check_all("procurement", t, seed)


@settings(max_examples=30, deadline=None)
@given(bundle_rankings(), weak_orders(), costs)
def test_truthful_is_the_identity(b, w, c):
    s = parse_strategy("truthful")
    assert s.is_truthful
    for t, kind in ((b, "bundles"), (w, "objects"), (c, "procurement")):
        assert s.report(t, PublicInfo(MARKETS[kind], 0, RICH_PUBLIC[kind], agent=3), np.random.default_rng(0)) is t


@settings(max_examples=30, deadline=None)
@given(bundle_rankings(), st.integers(0, 2**16))
def test_reorderings_keep_the_acceptable_set(t, seed):
    info = PublicInfo(BUNDLE_MARKET, 0)
    for spec in ("swap:rank=1", "demote_top:by=2", "promote_safe", "reverse", "permute"):
        r = parse_strategy(spec).report(t, info, np.random.default_rng(seed))
        assert sorted(r.bundles) == sorted(t.bundles), spec


def test_specific_ordinal_operations():
    t = BundleRanking(4, (1, 2, 4, 8, 3))
    info = PublicInfo(BUNDLE_MARKET, 0)
    rng = np.random.default_rng(0)
    rep = lambda spec: parse_strategy(spec).report(t, info, rng).bundles  # noqa: E731
    assert rep("swap") == (2, 1, 4, 8, 3)
    assert rep("swap:rank=3") == (1, 2, 4, 3, 8)
    assert rep("swap:rank=4") == t.bundles  # no rank 5: a no-op
    assert rep("truncate:k=2") == (1, 2)
    assert rep("truncate:k=0") == ()
    assert rep("drop_top") == (2, 4, 8, 3)
    assert rep("demote_top:by=2") == (2, 4, 1, 8, 3)
    assert rep("demote_top:by=99") == (2, 4, 8, 3, 1)
    assert rep("reverse") == (3, 8, 4, 2, 1)
    assert rep("promote_safe") == (3, 1, 2, 4, 8)  # no capacities published: the last choice
    assert rep("promote_safe:rank=2") == (4, 1, 2, 8, 3)


def test_promote_safe_reads_remaining_capacity():
    t = BundleRanking(4, (0b0001, 0b0010, 0b0100, 0b1100))
    info = PublicInfo(BUNDLE_MARKET, 0, goods_public(remaining=(1, 1, 5, 2)))
    # Among ranks 1..3: {g1} has 1 left, {g2} 5, {g2,g3} min(5,2)=2 -> {g2} is the safest.
    assert parse_strategy("promote_safe").report(t, info, np.random.default_rng(0)).bundles == (4, 1, 2, 12)


def test_weak_order_operations():
    names = ["a", "b", "c", "d"]
    w = WeakOrder.parse("{a,b} > c > o > d", names)
    info = PublicInfo(OBJECT_MARKET, 0)
    rng = np.random.default_rng(0)
    rep = lambda spec: parse_strategy(spec).report(w, info, rng).describe(names)  # noqa: E731
    assert rep("truncate:k=1") == "{a,b} > o > c > d"
    assert rep("drop_top") == "c > o > {a,b} > d"
    assert rep("claim_indifference") == "{a,b,c} > o > d"
    assert rep("break_indifference") == "a > b > c > o > d"
    assert rep("swap") == "c > {a,b} > o > d"
    assert rep("reverse") == "c > {a,b} > o > d"
    r = parse_strategy("break_indifference:order='random'").report(w, info, np.random.default_rng(1))
    assert set(r.classes[:2]) == {(0,), (1,)}


def test_mimic_declares_the_most_common_published_type():
    t = BundleRanking(4, (1, 2))
    x, y = BundleRanking(4, (4,)), BundleRanking(4, (8, 4))
    f = {x: [(1.0, 1.0)], y: [(0.9, 1.0)]}
    info = PublicInfo(BUNDLE_MARKET, 5, ocam_public(f=f, counts={x: 2, y: 3}))
    assert parse_strategy("mimic").report(t, info, np.random.default_rng(0)) == y
    info = PublicInfo(BUNDLE_MARKET, 5, ocam_public(f=f, counts={x: 3, y: 3}))
    assert parse_strategy("mimic").report(t, info, np.random.default_rng(0)) == x  # ties: the first published
    # Other spaces are ignored; the sample phase (nothing published yet): truthful.
    info = PublicInfo(BUNDLE_MARKET, 5, ocam_public(f={BundleRanking(3, (1,)): [(1.0, 1.0)]}))
    assert parse_strategy("mimic").report(t, info, np.random.default_rng(0)) is t
    assert parse_strategy("mimic").report(t, PublicInfo(BUNDLE_MARKET, 5, ocam_public(phase="sample")),
                                          np.random.default_rng(0)) is t


def test_specs_round_trip_and_bad_parameters_raise():
    for spec in ("truncate:k=2", "swap:rank=1", "break_indifference:order='random'", "shade_mult:factor=0.8"):
        s = parse_strategy(spec)
        assert parse_strategy(s.spec()).p == s.p
    for bad in ("truncate:k=-1", "swap:rank=1.5", "demote_top:by=0", "break_indifference:order='x'",
                "shade_mult:factor=-1", "noise:scale=-0.1", "budget_shopping:good='best'", "truncate:q=1",
                "nonexistent"):
        with pytest.raises(ConfigError) as e:
            parse_strategy(bad)
        assert e.value.field.startswith("strategy")
    with pytest.raises(ConfigError):
        parse_strategy("truncate").report(Cost(1.0), PublicInfo(PROCUREMENT_MARKET, 0), np.random.default_rng(0))
    with pytest.raises(ConfigError) as e:  # the public state is the typed object, never a plain dict
        PublicInfo(BUNDLE_MARKET, 0, {"phase": "online"})
    assert e.value.field == "info.public"


def test_strategies_declare_parameters_with_paramspec_and_a_version():
    from mechanisms.params import ParamSpec
    from strategies import COALITION_STRATEGIES

    for name, cls in [*STRATEGIES.items(), *COALITION_STRATEGIES.items()]:
        assert isinstance(cls.params, tuple) and all(isinstance(p, ParamSpec) for p in cls.params), name
        assert isinstance(cls.version, int) and cls.version >= 1, name
        assert cls().p == cls.defaults(), name
    # spec strings keep their format: changed parameters only, sorted, strings quoted
    assert parse_strategy("withhold:mode='above',margin=0.5").spec() == "withhold:margin=0.5,mode='above'"
    assert parse_strategy("shade_mult:factor=1.1").spec() == "shade_mult"
    assert parse_strategy("noise:relative=False").spec() == "noise:relative=False"
    # validation goes through the specs: the field names the strategy and the parameter
    with pytest.raises(ConfigError) as e:
        parse_strategy("noise:relative=1")
    assert (e.value.field, e.value.expected) == ("strategy.relative", "True or False")
    with pytest.raises(ConfigError) as e:
        STRATEGIES.get("truncate", "s")(k=-1)
    assert e.value.field == "strategy.truncate.k" and e.value.expected == "an integer >= 0"
    assert STRATEGIES.get("below_threshold", "s").version == 2  # it now reads a published price (issue 18)


def test_every_registered_strategy_documents_itself():
    for name, cls in STRATEGIES.items():
        assert cls.name == name and cls.probes, name
        assert cls.__doc__ and cls.kinds, name
        assert set(cls.kinds) <= {"bundles", "objects", "procurement", "fair_division"}
