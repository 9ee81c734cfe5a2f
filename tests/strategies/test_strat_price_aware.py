"""Price-aware strategies (OCAM budget shopping, SEM cheaper object) and cost misreports."""
from __future__ import annotations

import numpy as np
import pytest
from strat_helpers import (BUNDLE_MARKET, OBJECT_MARKET, PROCUREMENT_MARKET, goods_public, ocam_public,
                           procurement_public, sem_public)

import strategies  # noqa: F401
from mechanisms import Report, make_mechanism, run_schedule
from mechanisms.market import Market
from mechanisms.ocam.markets import random_market
from mechanisms.preferences import BundleRanking, Cost, WeakOrder
from mechanisms.public_state import PublicState
from strategies import PublicInfo, parse_strategy
from strategies.price_aware import outcome_ranks

RNG = np.random.default_rng(0)


def test_budget_shopping_picks_the_largest_budget_among_good_types():
    true = BundleRanking(4, (0b0011, 0b0001, 0b0010))
    rich = BundleRanking(4, (0b0001,))            # yields {g0}: acceptable but worse than {g0,g1}
    poor_same = BundleRanking(4, (0b0011, 0b0001))  # yields the true top at budget 1.0, {g0} at 0.6
    prices = [0.5, 0.5, 0.1, 0.1]
    public = ocam_public(prices=prices, f={true: [(1.0, 1.0)], rich: [(2.0, 1.0)], poor_same: [(1.0, 0.5), (1.05, 0.5)]})
    info = PublicInfo(BUNDLE_MARKET, 9, public)
    # good="truthful": truth yields {g0,g1} at budget 1; rich yields {g0} (worse) so it is excluded;
    # poor_same always yields {g0,g1} with a larger mean budget (1.025 > 1.0).
    assert parse_strategy("budget_shopping").report(true, info, RNG) == poor_same
    # good="top" with top=2: {g0} (true rank 1) qualifies, and rich has the largest budget.
    assert parse_strategy("budget_shopping:good='top',top=2").report(true, info, RNG) == rich
    # Check the helper on its definition (OCAM Mechanism 1: top affordable bundle of the declared type).
    assert outcome_ranks(true, poor_same, np.array(prices), np.array([0.6, 1.0])).tolist() == [1, 0]


@pytest.mark.parametrize("public", [
    PublicState(),                                  # nothing published
    ocam_public(phase="sample"),                    # OCAM's sample phase
    goods_public(prices=(0.1,) * 4),                # prices but no budget function (naive A-CEEI)
    ocam_public(prices=(0.1,) * 4),                 # an empty budget function
    ocam_public(prices=(0.1,) * 3, f={BundleRanking(4, (1,)): [(2.0, 1.0)]}),  # prices of other goods
])
def test_budget_shopping_falls_back_to_truthful(public):
    true = BundleRanking(4, (3, 1))
    assert parse_strategy("budget_shopping").report(true, PublicInfo(BUNDLE_MARKET, 0, public), RNG) is true


def test_budget_shopping_against_ocam_is_consistent_with_the_mechanism():
    rng = np.random.default_rng(5)
    market, types = random_market(60, 5, 2, rng, n_types=6, top=None)
    sched = [[Report(i, t)] for i, t in enumerate(types)]
    run = run_schedule(lambda: make_mechanism("ocam", market, {"eps_n": 1.0, "eps_f": 1.0}), sched, seed=2)
    mech = run.mechanism
    pub = run.public[-1]
    # OCAM publishes f keyed by labels, and which type each label is (f's domain)
    assert pub.types == {mech.label_of(t): t for t in mech.certificate.types}
    info = PublicInfo(market, 59, pub)
    changed = 0
    for agent in range(mech.sample_size, 60):
        true = types[agent]
        rep = parse_strategy("budget_shopping").report(true, info, RNG)
        if rep == true:
            continue
        changed += 1
        assert rep in pub.types.values()
        truth_dist = mech.outcome_distribution(true)
        dev_dist = mech.outcome_distribution(rep)
        worst_truth = max(true.rank(b) for b in truth_dist)
        assert all(true.rank(b) <= worst_truth for b in dev_dist)  # still a good bundle
        mean = lambda pairs: sum(b * q for b, q in pairs)  # noqa: E731
        assert mean(mech.budget_of(rep)) >= mean(mech.budget_of(true)) - 1e-12
    assert changed > 0


def test_cheaper_object_prefers_the_cheapest_member_of_a_class():
    names = ["a", "b", "c", "d"]
    w = WeakOrder.parse("{a,b,c} > o > d", names)
    info = PublicInfo(OBJECT_MARKET, 2, sem_public(prices=(0.5, 0.2, 0.3, 0.0, 0.0)))
    assert parse_strategy("cheaper_object").report(w, info, RNG).describe(names) == "b > {a,c} > o > d"
    assert parse_strategy("cheaper_object:mode='only'").report(w, info, RNG).describe(names) == "b > o > {a,c} > d"
    # b has no unit left: the cheapest available is c.
    info = PublicInfo(OBJECT_MARKET, 2, sem_public(prices=(0.5, 0.2, 0.3, 0.0), remaining=(1, 0, 1, 1)))
    assert parse_strategy("cheaper_object").report(w, info, RNG).describe(names) == "c > {a,b} > o > d"
    assert parse_strategy("cheaper_object").report(w, PublicInfo(OBJECT_MARKET, 2), RNG) == w
    assert parse_strategy("cheaper_object").report(w, PublicInfo(OBJECT_MARKET, 2, goods_public()), RNG) == w


def test_cost_misreports():
    # seller 1 (v = 2 of the additive (4, 2, 1, 1)) in the loop with t = 20/3: p = (10 / (20/3)) * 2 = 3
    info = PublicInfo(PROCUREMENT_MARKET, 0, procurement_public(t=20 / 3), agent=1)
    c = Cost(2.0)
    bid = lambda spec, i=info: parse_strategy(spec).report(c, i, np.random.default_rng(1)).value  # noqa: E731
    assert bid("shade_mult:factor=1.5") == pytest.approx(3.0)
    assert bid("shade_mult:factor=0.5") == pytest.approx(1.0)
    assert bid("shade_add:delta=0.25") == pytest.approx(2.25)
    assert bid("shade_add:delta=-5") == 0.0  # clipped: costs are non-negative
    assert bid("below_threshold:margin=0.1") == pytest.approx(2.7)
    low = PublicInfo(PROCUREMENT_MARKET, 0, procurement_public(t=20.0), agent=1)  # p = 1 < cost
    assert bid("below_threshold", low) == 2.0  # price below cost: truthful
    assert bid("below_threshold:only_if_profitable=False,margin=0.0", low) == pytest.approx(1.0)
    assert bid("below_threshold", PublicInfo(PROCUREMENT_MARKET, 0)) == 2.0  # nothing published
    assert bid("withhold") == pytest.approx(10.0)  # the published budget B
    assert bid("withhold:mode='above'") > 10.0
    assert bid("withhold", PublicInfo(Market("procurement"), 0)) == 1e12
    n1, n2 = bid("noise"), bid("noise")
    assert n1 == n2 != 2.0  # same stream, same draw; the noise moves the bid


def test_cheaper_object_reads_sem_period_prices():
    from mechanisms.sem.market import SEMMarket, sample_arrivals

    sm = SEMMarket.stationary(["a", "b"], [1, 1], {"a > o > b": 0.5, "{a,b} > o": 0.5}, horizon=4, replica=2)
    market = sm.market()
    arrivals = sample_arrivals(sm, 2, np.random.default_rng(0))
    sched, i = [], 0
    for tick in arrivals:
        sched.append([Report(i + k, w) for k, w in enumerate(tick)])
        i += len(tick)
    run = run_schedule(lambda: make_mechanism("sem", market), sched, seed=1)
    w = WeakOrder.parse("{a,b} > o", ["a", "b"])
    s = parse_strategy("cheaper_object")
    for pub in run.public:
        rep = s.report(w, PublicInfo(market, pub.period + 1, pub), RNG)
        p = pub.prices
        if p[0] == p[1]:
            assert rep == w  # equal prices: nothing to prefer
        else:
            cheaper = int(np.argmin(p)) if min(pub.remaining) >= 1 or max(pub.remaining) < 1 else \
                int(np.argmax(pub.remaining))
            assert rep.classes[0] == (cheaper,) and rep.acceptable == (cheaper, 1 - cheaper)


def test_mimic_against_ocam_declares_the_most_common_sample_type():
    rng = np.random.default_rng(5)
    market, types = random_market(60, 5, 2, rng, n_types=6, top=None)
    sched = [[Report(i, t)] for i, t in enumerate(types)]
    run = run_schedule(lambda: make_mechanism("ocam", market, {"eps_n": 1.0, "eps_f": 1.0}), sched, seed=2)
    mech, s = run.mechanism, parse_strategy("mimic")
    sample_types = [types[i] for i in range(mech.sample_size)]
    top = max(sample_types.count(t) for t in sample_types)
    expected = next(t for t in mech.certificate.types if sample_types.count(t) == top)  # first published
    assert s.report(types[-1], PublicInfo(market, 59, run.public[-1]), RNG) == expected
    assert s.report(types[0], PublicInfo(market, 0, run.public[0]), RNG) is types[0]  # the sample: nothing yet
