"""Each mechanism on hand-computed small instances, and input validation."""
from __future__ import annotations

import math

import pytest

from mechanisms.errors import ConfigError
from mechanisms.market import Market
from mechanisms.mechanism_registry import MECHANISMS, make_mechanism
from mechanisms.procurement import (MECHANISM_NAMES, Additive, PredictionModel, WeightedCoverage, procurement_market,
                                    random_instance, run_procurement)

ID6 = list(range(6))


def outcome_table(run):
    return {a: (o.hired, round(o.payment, 6), None if o.threshold is None else round(o.threshold, 6))
            for a, o in sorted(run.outcomes.items())}


def test_all_mechanisms_registered_with_claims():
    for name in MECHANISM_NAMES:
        spec = MECHANISMS.get(name).spec
        assert spec.market_kinds == ("procurement",)
        assert set(spec.claim_keys()) == {"universal_truthfulness", "budget_feasible", "ir"}
        assert spec.incremental
        assert all(p.source for p in spec.params)


# ---- Mechanism 2 ---------------------------------------------------------------------------
def test_mech2_posted_price_branch_by_hand():
    # v additive (4, 2, 1), all costs 1, B = 10, omega = 7, a = 0.5: t = 3.5, p_i = (10/3.5) a_i
    m = procurement_market(Additive([4, 2, 1]), 10.0, 7.0)
    run = run_procurement("bf_mech2", m, [1, 1, 1], seed=0, params={"p": 0.0, "a": 0.5}, order=[0, 1, 2])
    t = outcome_table(run)
    # seller 0: p = 11.43 > B' = 10, not offered; seller 1: 5.71 hired; seller 2: 2.86 <= B' = 4.29 hired
    assert t[0] == (False, 0.0, round(40 / 3.5, 6))
    assert t[1] == (True, round(20 / 3.5, 6), round(20 / 3.5, 6))
    assert t[2] == (True, round(10 / 3.5, 6), round(10 / 3.5, 6))
    assert run.mechanism.quotes()[2].budget_left == pytest.approx(10 - 20 / 3.5)
    assert run.summary["mech2"] == "posted" and run.summary["value"] == 3.0


def test_mech2_single_hire_branch_by_hand():
    # threshold a omega / z = 0.5 * 7 / 1.85 = 1.89: seller 2 (v=1) below, seller 1 (v=2) hired at B
    m = procurement_market(Additive([4, 2, 1]), 10.0, 7.0)
    run = run_procurement("bf_mech2", m, [1, 1, 1], seed=0, params={"p": 1.0, "a": 0.5}, order=[2, 1, 0])
    t = outcome_table(run)
    assert t[2] == (False, 0.0, None)
    assert t[1] == (True, 10.0, 10.0)
    assert t[0] == (False, 0.0, None)
    assert run.mechanism.quotes()[0].phase == "closed"


# ---- Dynkin ----------------------------------------------------------------------------------
def test_dynkin_hires_first_arrival_beating_the_sample_best():
    # n = 8: sample floor(8/e) = 2 arrivals (values 5, 3); first later value >= 5 is seller 4 (v=6)
    v = Additive([5, 3, 1, 4, 6, 7, 2, 0])
    m = procurement_market(v, 4.0)
    run = run_procurement("dynkin", m, [1] * 8, seed=0, order=list(range(8)))
    hired = [a for a, o in run.outcomes.items() if o.hired]
    assert hired == [4] and run.outcomes[4].payment == 4.0
    assert run.outcomes[0].threshold is None and run.mechanism.quotes()[1].phase == "sample"
    assert run.outcomes[3].threshold is None  # v = 4 < 5: no offer


def test_dynkin_ties_follow_the_paper_ge_unless_reject():
    v = Additive([5, 3, 1, 5, 6, 7, 2, 0])
    m = procurement_market(v, 4.0)
    acc = run_procurement("dynkin", m, [1] * 8, seed=0, order=list(range(8)))
    rej = run_procurement("dynkin", m, [1] * 8, seed=0, order=list(range(8)), params={"dynkin_ties": "reject"})
    assert [a for a, o in acc.outcomes.items() if o.hired] == [3]
    assert [a for a, o in rej.outcomes.items() if o.hired] == [4]


# ---- Mechanisms 3 and 4 --------------------------------------------------------------------
V6 = Additive([3, 2, 4, 1, 2, 5])
C6 = [1, 1, 2, 0.5, 1, 1]


def test_mech3_sample_branch_by_hand():
    # seed 1 draws xi_1 = 3: N_1 = {0, 1, 2} with bids (1, 1, 2), B = 3 -> T_1 = {0, 2}, v(T_1) = 7
    # beta = 0.5: t = 3.5, p_i = (3/3.5) a_i: seller 3 p = 0.857 (bid 0.5) hired, seller 4 p = 1.714
    # hired (B' = 2.143), seller 5 p = 4.286 > B' = 0.429 not offered
    m = procurement_market(V6, 3.0)
    run = run_procurement("bf_mech3", m, C6, seed=1, params={"q": 0.0, "beta": 0.5}, order=ID6)
    assert run.summary["xi1"] == 3 and run.summary["T1_value"] == 7.0 and run.summary["t"] == 3.5
    t = outcome_table(run)
    for a in (0, 1, 2):
        assert t[a] == (False, 0.0, None)
    assert t[3] == (True, round(3 / 3.5, 6), round(3 / 3.5, 6))
    assert t[4] == (True, round(6 / 3.5, 6), round(6 / 3.5, 6))
    assert t[5] == (False, 0.0, round(15 / 3.5, 6))
    assert run.mechanism.quotes()[5].offered is False


def test_mech4_threshold_mixes_prediction_and_sample():
    # omega = 10, a = 0.1, beta = 0.5: t = 1 + 3.5 = 4.5, p_i = (3/4.5) a_i; seed 1: xi_1 = 3 for k = 2.5
    m = procurement_market(V6, 3.0, 10.0)
    run = run_procurement("bf_mech4", m, C6, seed=1, params={"q": 0.0, "a": 0.1, "beta": 0.5}, order=ID6)
    assert run.summary["xi1"] == 3 and run.summary["t"] == pytest.approx(4.5)
    t = outcome_table(run)
    assert t[3] == (True, round(3 / 4.5, 6), round(3 / 4.5, 6))
    assert t[4] == (True, round(6 / 4.5, 6), round(6 / 4.5, 6))
    assert t[5][0] is False and run.summary["paid"] == pytest.approx(2.0)


def test_mech3_dynkin_branch_is_dynkin():
    m = procurement_market(V6, 3.0)
    a = run_procurement("bf_mech3", m, C6, seed=4, params={"q": 1.0}, order=ID6)
    b = run_procurement("dynkin", m, C6, seed=4, order=ID6)
    assert outcome_table(a) == outcome_table(b)


def test_mech1_is_mech2_or_mech3_under_common_coins():
    inst = random_instance("coverage", 12, 3)
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(0.1), costs=inst.costs)
    for seed in range(4):
        m1a = run_procurement("bf_mech1", m, inst.costs, seed, params={"tau": 1.0})
        m2 = run_procurement("bf_mech2", m, inst.costs, seed)
        m1b = run_procurement("bf_mech1", m, inst.costs, seed, params={"tau": 0.0})
        m3 = run_procurement("bf_mech3", m, inst.costs, seed)
        assert outcome_table(m1a) == outcome_table(m2)
        assert outcome_table(m1b) == outcome_table(m3)


def test_sample_of_everyone_hires_nobody():
    # k = 1: xi_1 ~ Binomial(n, 1) = n, the whole population is the sample
    m = procurement_market(V6, 3.0, 10.0)
    run = run_procurement("bf_mech4", m, C6, seed=2, params={"q": 0.0, "k": 1.0})
    assert not any(o.hired for o in run.outcomes.values())


# ---- non-monotone variants -------------------------------------------------------------------
def test_nonmonotone_two_disjoint_solutions_by_hand():
    # sellers 0 and 1 cover the same element, seller 2 another; B = 10, omega = 8, a = 0.5: t = 4, p = 2.5
    v = WeightedCoverage([[0], [0], [1]], [1.0, 1.0])
    m = procurement_market(v, 10.0, 8.0)
    # seller 0 -> S_1 (tie); seller 1 -> S_2 (marginal 0 in S_1); seller 2 -> S_1 (tie)
    r0 = run_procurement("bf_mech2_nm", m, [1, 1, 1], seed=0, params={"p": 0.0, "a": 0.5}, order=[0, 1, 2])
    assert r0.summary["chosen_solution"] == 0
    assert outcome_table(r0) == {0: (True, 2.5, 2.5), 1: (False, 0.0, None), 2: (True, 2.5, 2.5)}
    r1 = run_procurement("bf_mech2_nm", m, [1, 1, 1], seed=1, params={"p": 0.0, "a": 0.5}, order=[0, 1, 2])
    assert r1.summary["chosen_solution"] == 1
    assert outcome_table(r1) == {0: (False, 0.0, None), 1: (True, 2.5, 2.5), 2: (False, 0.0, None)}
    assert r1.summary["solution_values"] == [2.0, 1.0]


# ---- validation ------------------------------------------------------------------------------
def test_market_validation():
    with pytest.raises(ConfigError, match="market.budget"):
        procurement_market(Additive([1, 2]), 0.0)
    with pytest.raises(ConfigError, match="market.budget"):
        procurement_market(Additive([1, 2]), -1.0)
    with pytest.raises(ConfigError, match="prediction.omega"):
        procurement_market(Additive([1, 2]), 1.0, -3.0)
    with pytest.raises(ConfigError, match="costs"):
        procurement_market(Additive([1, 2]), 1.0, PredictionModel(0.1))
    with pytest.raises(ConfigError, match="costs"):
        procurement_market(Additive([1, 2]), 1.0, PredictionModel(0.1), costs=[0.5, 2.0])
    with pytest.raises(ConfigError, match="prediction.eps"):
        PredictionModel(1.5)
    with pytest.raises(ConfigError, match="prediction.eps"):
        PredictionModel(-0.1, "over")
    with pytest.raises(ConfigError, match="prediction.kind"):
        PredictionModel(0.1, "sideways")


def test_prediction_models():
    v, c = Additive([1.0, 2.0, 3.0]), [1.0, 1.0, 1.0]
    m = procurement_market(v, 2.0, PredictionModel(0.25), costs=c)
    assert m.extra["prediction"].omega == pytest.approx(0.75 * 5.0)
    m = procurement_market(v, 2.0, PredictionModel(0.5, "over"), costs=c)
    assert m.extra["prediction"].omega == pytest.approx(1.5 * 5.0)


@pytest.mark.parametrize("name,params,field", [
    ("bf_mech1", {"tau": 1.5}, "mechanism.params.tau"),
    ("bf_mech2", {"a": 1.0}, "mechanism.params.a"),
    ("bf_mech2", {"z": 0.5}, "mechanism.params.z"),
    ("bf_mech3", {"beta": 0.0}, "mechanism.params.beta"),
    ("bf_mech4", {"k": 0.5}, "mechanism.params.k"),
    ("bf_mech4", {"q": "half"}, "mechanism.params.q"),
    ("bf_mech3", {"sample_solver": "lp"}, "mechanism.params.sample_solver"),
    ("bf_mech3", {"sviridenko_max": 2.5}, "mechanism.params.sviridenko_max"),
    ("bf_mech1_nm", {"route": "left"}, "mechanism.params.route"),
    ("dynkin", {"beta": 0.3}, "mechanism.params.beta"),
])
def test_invalid_parameters_raise_before_running(name, params, field):
    m = procurement_market(Additive([1, 2]), 2.0, 1.0)
    with pytest.raises(ConfigError) as e:
        make_mechanism(name, m, params)
    assert e.value.field == field


def test_mechanism_market_validation():
    with pytest.raises(ConfigError, match="market.extra.prediction"):
        make_mechanism("bf_mech2", procurement_market(Additive([1, 2]), 2.0))
    bad = Market(kind="procurement", n_agents=3, extra={"budget": 1.0, "valuation": Additive([1, 2])})
    with pytest.raises(ConfigError, match="market.n_agents"):
        make_mechanism("bf_mech3", bad)
    with pytest.raises(ConfigError, match="market.extra.budget"):
        make_mechanism("dynkin", Market(kind="procurement", n_agents=2, extra={"valuation": Additive([1, 2])}))


def test_bid_above_budget_is_an_error_or_a_decline():
    m = procurement_market(Additive([4, 2, 1]), 10.0, 7.0)
    with pytest.raises(ConfigError, match=r"report\[1\].bid"):
        run_procurement("bf_mech2", m, [1, 11, 1], seed=0, order=[0, 1, 2])
    # single-hire branch: seller 1 declines B by bidding 11; the offer passes to seller 0
    run = run_procurement("bf_mech2", m, [1, 11, 1], seed=0, order=[2, 1, 0],
                          params={"p": 1.0, "a": 0.5, "bids_above_budget": "decline"})
    assert [a for a, o in run.outcomes.items() if o.hired] == [0]


def test_reports_validated():
    from mechanisms.preferences import Cost
    from mechanisms.reports import Report
    from mechanisms.rng import Streams
    mech = make_mechanism("bf_mech3", procurement_market(Additive([1, 2]), 2.0))
    mech.start(Streams(0))
    with pytest.raises(ConfigError, match="report.agent"):
        mech.step(0, [Report(5, Cost(1.0))])
    mech.step(0, [Report(0, Cost(1.0))])
    with pytest.raises(ConfigError, match="report.agent"):
        mech.step(1, [Report(0, Cost(1.0))])


def test_zero_prediction_prices_are_infinite():
    # omega = 0 (eps = 1): t = 0, every positive marginal is priced +inf, nobody is hired
    m = procurement_market(Additive([4, 2, 1]), 10.0, 0.0)
    run = run_procurement("bf_mech2", m, [1, 1, 1], seed=0, params={"p": 0.0})
    assert all(not o.hired and o.threshold == math.inf for o in run.outcomes.values())


def test_same_seed_same_run():
    inst = random_instance("facility_location", 15, 2)
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(0.3), costs=inst.costs)
    for name in MECHANISM_NAMES:
        a = run_procurement(name, m, inst.costs, 11)
        b = run_procurement(name, m, inst.costs, 11)
        assert outcome_table(a) == outcome_table(b)
