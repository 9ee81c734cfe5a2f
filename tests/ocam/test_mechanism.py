"""OCAM (Section 4.2) and the naive repeated A-CEEI baseline (Section 1)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from mechanisms import (MECHANISMS, BundleRanking, ConfigError, Goods, InvariantError, Market, Report, Streams,
                        make_mechanism, run_schedule)
from mechanisms.ocam import OCAM, sample_size
from mechanisms.ocam.markets import course_allocation_market, daycare_market, random_market

PARAMS = {"eps_n": 0.4, "eps_f": 0.4}


@pytest.fixture(scope="module")
def market():
    return random_market(200, 6, 2, np.random.default_rng(3), n_types=25, capacity_factor=0.8)


def schedule(rankings, per_tick=1):
    reps = [Report(i, r) for i, r in enumerate(rankings)]
    return [reps[i:i + per_tick] for i in range(0, len(reps), per_tick)]


def run(mk, rankings, seed=1, per_tick=1, deviations=None, **params):
    p = {**PARAMS, **params}
    return run_schedule(lambda: make_mechanism("ocam", mk, p), schedule(rankings, per_tick), seed,
                        deviations=deviations)


def test_registered_with_claims():
    assert "ocam" in MECHANISMS and "naive_aceei" in MECHANISMS
    spec = MECHANISMS.get("ocam").spec
    assert set(spec.claim_keys()) == {"gsp1", "ef1", "daceei"}
    assert spec.incremental
    assert all(c.source for c in spec.claims)


def test_sample_is_serial_dictatorship_on_scaled_capacities(market):
    mk, rs = market
    r = run(mk, rs)
    mech = r.mechanism
    S = sample_size(200, 0.4, 0.4)
    assert S == math.ceil(0.04 * 200) == mech.sample_size
    al = mech.allocation()
    assert al["sample"].sum() == S
    X = ((al["bundles"][:S, None] >> np.arange(6)) & 1)
    assert np.all(X.sum(axis=0) <= 0.04 * mk.goods.capacity + 1e-9)
    # replay SD by hand on the scaled capacities
    rem = 0.04 * mk.goods.capacity.astype(float)
    for i in range(S):
        blocked = sum(1 << j for j in range(6) if rem[j] < 1 - 1e-12)
        b = rs[i].best_available(blocked)
        assert b == al["bundles"][i]
        rem -= (b >> np.arange(6)) & 1
    for i in range(S):
        o = r.outcomes[i]
        assert o.phase == "sample" and 1 - 0.02 <= o.budget <= 1 and o.spent is None


def test_online_agents_get_top_bundle_under_drawn_budget(market):
    mk, rs = market
    r = run(mk, rs, seed=9)
    mech = r.mechanism
    streams = Streams(9)
    for i in range(mech.sample_size, len(rs)):
        o = r.outcomes[i]
        pairs = mech.budget_of(rs[i])
        cum = np.cumsum([q for _, q in pairs])
        u = streams.get("mechanism", "budget", i).random()
        k = min(int(np.searchsorted(cum, u * cum[-1], side="right")), len(pairs) - 1)
        assert o.budget == pairs[k][0]
        assert o.bundle == rs[i].best_affordable(mech.prices, o.budget)
        assert o.spent == pytest.approx(float(mech.prices @ ((o.bundle >> np.arange(6)) & 1)))
        assert o.spent <= o.budget + 1e-12 and o.phase == "online"


def test_same_seed_same_run(market):
    mk, rs = market
    a, b = run(mk, rs, seed=4), run(mk, rs, seed=4)
    assert a.outcomes == b.outcomes
    c = run(mk, rs, seed=5)
    assert [c.outcomes[i].budget for i in range(len(rs))] != [a.outcomes[i].budget for i in range(len(rs))]


@pytest.mark.parametrize("policy", ["paper", "hard"])
def test_unilateral_outcome_equals_full_replay(market, policy):
    mk, rs = market
    base = run(mk, rs, seed=2, capacity_policy=policy, per_tick=3)
    mech = base.mechanism
    rng = np.random.default_rng(0)
    for agent in rng.choice(np.arange(mech.sample_size + 1, len(rs)), size=6, replace=False):
        agent = int(agent)
        lie = rs[int(rng.integers(len(rs)))]
        tick = base.tick_of(agent)
        fast = mech.unilateral_outcome(Report(agent, lie), tick)
        full = run(mk, rs, seed=2, capacity_policy=policy, per_tick=3, deviations={agent: lie}).outcomes[agent]
        assert fast == full
    with pytest.raises(ConfigError):
        mech.unilateral_outcome(Report(0, rs[0]), 0)


def test_outcome_distribution_is_exact(market):
    mk, rs = market
    mech = run(mk, rs, seed=3).mechanism
    for ty in rs[:10]:
        dist = mech.outcome_distribution(ty)
        assert sum(dist.values()) == pytest.approx(1.0)
        want: dict[int, float] = {}
        for b, q in mech.budget_of(ty):
            x = ty.best_affordable(mech.prices, b)
            want[x] = want.get(x, 0) + q
        assert dist == pytest.approx(want)
    # the realised bundle of every online agent is in the support of its distribution
    r = run(mk, rs, seed=3)
    for i in range(r.mechanism.sample_size, len(rs)):
        assert r.mechanism.outcome_distribution(rs[i]).get(r.outcomes[i].bundle, 0) > 0


def test_unseen_type_gets_default_budget(market):
    mk, rs = market
    mech = run(mk, rs, unseen_budget=0.99).mechanism
    unseen = BundleRanking(6, (0b111111,))
    assert mech.budget_of(unseen) == [(0.99, 1.0)]
    assert mech.label_of(unseen) is None


def test_public_information(market):
    mk, rs = market
    r = run(mk, rs)
    S = r.mechanism.sample_size
    assert r.public[0].phase == "sample" and r.public[0].prices is None
    last = r.public[-1]
    assert last.phase == "online" and len(last.prices) == 6
    assert set(last.budgets) == set(last.seen_type_counts)
    assert sum(last.seen_type_counts.values()) == S
    for pairs in last.budgets.values():
        assert all(0.98 - 1e-12 <= b <= 1 for b, _ in pairs)
        assert sum(q for _, q in pairs) == pytest.approx(1)
    assert len(last.remaining) == 6


def test_capacity_policies(market):
    mk, rs = market
    paper = run(mk, rs, capacity_policy="paper")
    hard = run(mk, rs, capacity_policy="hard")
    assert not paper.mechanism.enforces_capacity and hard.mechanism.enforces_capacity
    assert np.all(hard.mechanism.remaining() >= 0)
    assert paper.summary["max_excess"] > 0  # this market is over-demanded at the sample prices
    assert 0 < hard.summary["hard_affected_share"] <= 1
    assert paper.summary["hard_affected_share"] == 0


def test_checked_step_catches_capacity_breach_under_hard_policy(market):
    """A mutant that ignores exhausted goods under 'hard' is caught by the protocol invariant."""
    mk, rs = market

    class Leaky(OCAM):
        def _blocked_now(self):
            return 0

        @property
        def enforces_capacity(self):
            return True

    with pytest.raises(InvariantError):
        run_schedule(lambda: Leaky(mk, capacity_policy="hard", **PARAMS), schedule(rs), 1)


@pytest.mark.parametrize("params, field", [
    ({"eps_b": 0.0}, "mechanism.params.eps_b"), ({"eps_b": 1.5}, "mechanism.params.eps_b"),
    ({"eps_n": 0.0}, "mechanism.params.eps_n"), ({"eps_f": -0.1}, "mechanism.params.eps_f"),
    ({"eps_f": "x"}, "mechanism.params.eps_f"),
    ({"unseen_budget": 0.5}, "mechanism.params.unseen_budget"),
    ({"capacity_policy": "soft"}, "mechanism.params.capacity_policy"),
])
def test_bad_parameters_raise(market, params, field):
    mk, _ = market
    with pytest.raises(ConfigError) as e:
        make_mechanism("ocam", mk, params)
    assert e.value.field == field


def test_missing_population_size_raises():
    mk = Market("bundles", Goods.uniform(2, 3), max_bundle_size=2)
    with pytest.raises(ConfigError) as e:
        make_mechanism("ocam", mk, {})
    assert e.value.field == "market.n_agents"


def test_warns_when_eps_b_breaks_theorem2(market):
    mk, _ = market
    with pytest.warns(UserWarning, match="1/m"):
        make_mechanism("ocam", mk, {"eps_b": 0.2})


def test_bad_report_raises(market):
    mk, rs = market
    mech = make_mechanism("ocam", mk, PARAMS)
    mech.start(Streams(0))
    with pytest.raises(ConfigError):
        mech.step(0, [Report(0, BundleRanking(3, (1,)))])


def test_daycare_and_course_markets_run():
    for mk, rs in (daycare_market(120, 4, np.random.default_rng(1)),
                   course_allocation_market(120, 6, 2, np.random.default_rng(1))):
        r = run(mk, rs)
        assert len(r.outcomes) == 120
        assert r.mechanism.certificate.converged


def test_naive_baseline_records_per_batch_and_cumulative_excess():
    mk, rs = random_market(240, 6, 2, np.random.default_rng(7), n_types=30, capacity_factor=0.8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        r = run_schedule(lambda: make_mechanism("naive_aceei", mk, {}), schedule(rs, per_tick=20), 1)
    s = r.summary
    assert s["batches"] == 12 and len(r.outcomes) == 240
    # each batch is an A-CEEI within Proposition 3's bound sqrt(sigma m / 2) = sqrt(6)
    assert len(s["batch_excess_l2"]) == 12 and max(s["batch_excess_l2"]) <= math.sqrt(2 * 6 / 2) + 1e-9
    assert not r.mechanism.enforces_capacity
    used = sum(((o.bundle >> np.arange(6)) & 1) for o in r.outcomes.values())
    np.testing.assert_allclose(s["excess_over_capacity"], np.maximum(used - mk.goods.capacity, 0))
    # every batch's allocation is an A-CEEI realisation: best affordable at its budget
    for i in range(0, 240, 37):
        o = r.outcomes[i]
        assert 0.98 - 1e-12 <= o.budget <= 1
    with pytest.raises(ConfigError):
        make_mechanism("naive_aceei", Market("bundles", Goods.uniform(2, 3)), {})


def test_public_labels_match_lookups(market):
    mk, rs = market
    r = run(mk, rs)
    mech, pub = r.mechanism, r.public[-1]
    for ty in mech.certificate.types:
        lab = mech.label_of(ty)
        assert pub.budgets[lab] == mech.budget_of(ty)
    assert pub.clearing_error == mech.certificate.error <= 1e-9


def test_sample_closing_inside_a_tick(market):
    mk, rs = market
    r = run(mk, rs, per_tick=5, sample_budget="one")  # sample size 8: closes at the 3rd agent of tick 1
    phases = [r.outcomes[i].phase for i in range(10)]
    assert phases == ["sample"] * 8 + ["online"] * 2
    assert r.tick_of(7) == r.tick_of(8) == 1
    assert all(r.outcomes[i].budget == 1.0 for i in range(8))
    assert r.public[0].phase == "sample" and r.public[1].phase == "online"
