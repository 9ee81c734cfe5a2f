"""Every claim checker holds on a faithful toy and fails on a mutant toy (seeds pinned)."""
import numpy as np
import pytest

from abm.audit import AuditOptions, Deviation, Replayer, audit
from abm.audit.search import bid_changes, same_period_misreports, truncations
from audit_helpers import (ToyLottery, ToyOverspend, ToyPayBid, ToyPostedPrice, ToyUnderpay, lottery_setup,
                      procurement_setup)
from mechanisms import WeakOrder


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
    assert rep.checked("strategyproof") == 0 and "assumption not met" in rep.verdicts()[0]
    single = [[r] for t in sched for r in t]
    rep = audit(lambda: ToyLottery(market), single, types, 1, devs, claims=[claim])
    assert rep.violations("strategyproof") >= 1


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
