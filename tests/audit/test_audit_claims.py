"""Every claim checker holds on a faithful toy and fails on a mutant toy (seeds pinned)."""
import numpy as np
import pytest

from abm.audit import AuditOptions, Deviation, Replayer, audit
from abm.audit.deviations import bid_changes, same_period_misreports
from audit_helpers import (ToyLottery, ToyOverspend, ToyPayBid, ToyPostedPrice, ToyUnderpay, lottery_setup,
                      procurement_setup)
from mechanisms import Report, WeakOrder


def _proc(cls, **params):
    market, types, sched = procurement_setup()
    return market, types, sched, (lambda: cls(market, **params))


def test_posted_price_toy_passes_every_procurement_check():
    market, types, sched, f = _proc(ToyPostedPrice)
    rep = audit(f, sched, types, 1, bid_changes(types, types), options=AuditOptions(path="full"))
    v = rep.verdicts()
    assert rep.violations("universal_truthfulness") == 0 and rep.checked("universal_truthfulness") > 100
    assert rep.violations("budget_feasible") == 0 and rep.violations("ir") == 0
    assert rep.checked("budget_feasible") == rep.checked("universal_truthfulness") + 1  # every full replay + truth
    assert v[0].startswith("consistent with universal truthfulness")


def test_pay_the_bid_breaks_universal_truthfulness_within_20_sellers():
    market, types, sched, f = _proc(ToyPayBid)
    rep = audit(f, sched, types, 1, bid_changes(types, types))
    assert rep.violations("universal_truthfulness") >= 1
    assert rep.violations("ir") == 0 and rep.violations("budget_feasible") == 0
    cx = rep.counterexamples["universal_truthfulness"][0]
    assert "utility rose" in cx.result.detail


def test_overspending_breaks_budget_feasibility_on_the_truthful_run():
    market, types, sched, f = _proc(ToyOverspend)
    rep = audit(f, sched, types, 1, [], claims=["budget_feasible", "ir"])
    assert rep.violations("budget_feasible") == 1 and rep.violations("ir") == 0
    assert "(every run)" in rep.verdicts()[0] and "violated" in rep.verdicts()[0]


def test_underpaying_breaks_ir():
    market, types, sched, f = _proc(ToyUnderpay)
    rep = audit(f, sched, types, 1, [], claims=["ir"])
    assert rep.violations("ir") == 1


def test_incremental_and_full_replays_agree_on_many_bid_changes():
    market, types, sched, f = _proc(ToyPostedPrice, price=0.6)
    rp = Replayer(f, sched, 3, types)
    rng = np.random.default_rng(0)
    from mechanisms import Cost
    devs = [Deviation({int(a): Cost(float(rng.random()))}) for a in rng.integers(0, 20, 200)]
    for d in devs:
        assert rp.replay(d, "incremental").outcomes == rp.replay(d, "full").outcomes
    assert rp.incremental_replays == 200 and rp.full_replays == 200


def test_lottery_mutant_breaks_strategyproofness_and_sp1_faithful_does_not():
    market, types, sched = lottery_setup()
    devs = list(same_period_misreports(sched, types))
    devs += [Deviation({a: WeakOrder.strict(list(types[a].acceptable[:1]), 4)}, "truncate:k=1") for a in types]
    ok = audit(lambda: ToyLottery(market, faithful=True), sched, types, 1, devs)
    assert ok.violations("strategyproof") == 0 and ok.violations("sp1") == 0
    bad = audit(lambda: ToyLottery(market), sched, types, 1, devs, options=AuditOptions(eps=0.25))
    assert bad.violations("strategyproof") >= 1 and bad.violations("sp1") >= 1
    sp1 = [line for line in bad.verdicts() if line.startswith("SP1")][0]
    assert "share" in sp1 and "asymptotic" in sp1
    # with eps above every distance the same pairs no longer count against SP1
    far = audit(lambda: ToyLottery(market), sched, types, 1, devs, claims=["sp1"], options=AuditOptions(eps=1.01))
    assert far.violations("sp1") == 0


def test_assumption_one_arrival_per_period_gates_strategyproofness():
    from mechanisms import Claim
    market, types, sched = lottery_setup()
    devs = [Deviation({a: WeakOrder.strict(list(types[a].acceptable[:1]), 4)}, "truncate:k=1") for a in types]
    claim = Claim("strategyproof", "SEM Theorem 5", "one arrival per period")
    rep = audit(lambda: ToyLottery(market), sched, types, 1, devs, claims=[claim])
    # outside the assumption the check still runs; the verdict says the paper claims nothing there
    assert rep.checked("strategyproof") == len(devs) and not rep.gates["strategyproof"].inside
    assert "outside the theorem's assumptions" in rep.verdicts()[0] and "one arrival per period" in rep.verdicts()[0]
    single = [[r] for t in sched for r in t]
    rep = audit(lambda: ToyLottery(market), single, types, 1, devs, claims=[claim])
    assert rep.violations("strategyproof") >= 1 and rep.gates["strategyproof"].inside
    assert "outside" not in rep.verdicts()[0]


def test_incremental_path_rejected_for_coalitions():
    from mechanisms import ConfigError, Cost
    market, types, sched, f = _proc(ToyPostedPrice)
    rp = Replayer(f, sched, 3, types)
    with pytest.raises(ConfigError):
        rp.replay(Deviation({0: Cost(0.1), 1: Cost(0.2)}), "incremental")


class _ToyUnderpayMisrecorded(ToyUnderpay):
    """Mutant: underpays (half the price) AND records each seller's bid as the payment it made,
    so its own ``bid`` field hides the IR violation. IR (Section 2) is about the DECLARED bid b_i."""

    def step(self, tick, reports):
        import dataclasses
        return [dataclasses.replace(o, bid=min(o.bid, o.payment)) if o.hired else o
                for o in super().step(tick, reports)]


def test_ir_judged_against_declared_bids_not_the_mechanisms_record():
    market, types, sched, f = _proc(_ToyUnderpayMisrecorded)
    rep = audit(f, sched, types, 1, [], claims=["ir"])
    assert rep.violations("ir") == 1


def test_daceei_on_an_ocam_run_that_ends_inside_the_sample_is_not_applicable():
    """No prices exist before OCAM's sample closes, and Definition 1 constrains no k < ceil(eps_n n):
    the claim does not speak about such a run (it is not a missing checker)."""
    from abm.audit.claims import NOT_APPLICABLE, check_daceei
    from audit_helpers import ocam_market
    from mechanisms import Claim, make_mechanism, run_schedule

    market, types, sched, params = ocam_market()
    short = run_schedule(lambda: make_mechanism("ocam", market, params), sched[:5], 3)  # sample size 13
    assert short.mechanism.prices is None
    res = check_daceei(short, {}, Claim("daceei", "OCAM Definition 1"))
    assert res.status == NOT_APPLICABLE
    full = run_schedule(lambda: make_mechanism("ocam", market, params), sched, 3)
    # this market's capacities are far below Assumption 2: the check runs, and the gate words it
    from abm.audit.gates import gate_for

    claim = make_mechanism("ocam", market, params).spec.claims[2]
    res = check_daceei(full, {}, claim)
    assert res.status in ("holds", "violated")
    g = gate_for(claim, full.config, sched)
    assert not g.inside and "Assumption 2" in g.why


def test_daceei_claim_is_judged_when_assumption2_holds():
    """With capacities above the Assumption 2 requirement the claim is checked (holds or violated)."""
    from abm.audit.claims import HOLDS, VIOLATED, check_daceei
    from mechanisms import Claim, Goods, Market, Report, make_mechanism, run_schedule
    from mechanisms.ocam.markets import random_market

    import numpy as np

    mk, types = random_market(60, 4, 2, np.random.default_rng(5), n_types=6)
    goods = Goods(mk.goods.names, (10**9,) * mk.goods.m)
    market = Market("bundles", goods, max_bundle_size=2, n_agents=60)
    sched = [[Report(i, t)] for i, t in enumerate(types)]
    run = run_schedule(lambda: make_mechanism("ocam", market, {"eps_n": 0.5, "eps_f": 0.5}), sched, 2)
    assert run.summary["min_capacity"] >= run.summary["assumption2_capacity"]
    res = check_daceei(run, {}, Claim("daceei", "OCAM Definition 1"))
    assert res.status in (HOLDS, VIOLATED)


def test_same_period_misreports_range_over_the_type_space_with_one_arrival_per_period():
    """Definition 6 (SEM): misreports are the period's types, not only what others reported."""
    from mechanisms import WeakOrder

    names = ["a", "b"]
    t1, t2, t3 = (WeakOrder.parse(x, names) for x in ("a > o > b", "{a,b} > o", "b > a > o"))
    sched = [[Report(0, t1)], [Report(1, t2)]]
    types = {0: t1, 1: t2}
    assert list(same_period_misreports(sched, types)) == []  # nobody else in the period
    devs = list(same_period_misreports(sched, types, type_space=lambda t: [t1, t2, t3]))
    assert {(d.agents, d.reports[d.agents[0]]) for d in devs} == {((0,), t2), ((0,), t3), ((1,), t1), ((1,), t3)}
