"""Budget feasibility, IR, threshold independence and truthfulness on every realisation,
and mutants showing every checker can fail. Truthfulness goes through the auditor
(:func:`abm.audit.audit`, claim ``universal_truthfulness``): the one truthfulness check."""
from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.audit import Deviation, audit
from mechanisms.checks.budget import check_budget_feasible, check_ir, check_threshold_independence
from mechanisms.engine import run_schedule
from mechanisms.mechanism_registry import MECHANISMS, make_mechanism
from mechanisms.preferences import Cost
from mechanisms.procurement import (MECHANISM_NAMES, Mechanism2, Mechanism3, PredictionModel, procurement_market,
                                    random_instance, run_procurement, schedule_of)
from mechanisms.procurement.run import arrival_order

FAMILIES = ["additive", "coverage", "budget_additive", "facility_location", "cut", "coverage_minus_cost"]
# parameter settings that force each branch (coins in [0, 1): p = 1 always, p = 0 never)
BRANCHES = [{}, {"tau": 1.0, "p": 1.0}, {"tau": 1.0, "p": 0.0}, {"tau": 0.0, "q": 0.0},
            {"tau": 0.0, "q": 0.0, "route": "random", "sample_solver": "greedy_singleton"}]


def _params(name: str, branch: dict) -> dict:
    spec = MECHANISMS.get(name).spec
    known = {p.name for p in spec.params}
    return {k: v for k, v in branch.items() if k in known}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(MECHANISM_NAMES), family=st.sampled_from(FAMILIES), n=st.integers(1, 12),
       seed=st.integers(0, 10**6), branch=st.sampled_from(BRANCHES), eps=st.floats(0, 1),
       kind=st.sampled_from(["under", "over"]), lie=st.floats(0, 1), frac=st.sampled_from([0.05, 0.2, 0.5]))
def test_budget_feasible_and_ir_on_every_realisation(name, family, n, seed, branch, eps, kind, lie, frac):
    inst = random_instance(family, n, seed % 1000, budget_frac=frac)
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(eps, kind), costs=inst.costs)
    rng = np.random.default_rng(seed)
    # declared bids: truthful for some, arbitrary misreports in [0, B] for the others
    bids = np.where(rng.random(n) < lie, rng.random(n) * inst.budget, inst.costs)
    run = run_procurement(name, m, bids, seed, params=_params(name, branch))
    assert len(run.outcomes) == n
    assert check_budget_feasible(run.outcomes, inst.budget) == []
    assert check_ir(run.outcomes) == []
    paid = sum(o.payment for o in run.outcomes.values())
    assert abs(paid - run.summary["paid"]) < 1e-9


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(MECHANISM_NAMES), family=st.sampled_from(FAMILIES), n=st.integers(2, 9),
       seed=st.integers(0, 10**6), branch=st.sampled_from(BRANCHES))
def test_threshold_never_depends_on_own_bid(name, family, n, seed, branch):
    inst = random_instance(family, n, seed % 997, budget_frac=0.3)
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(0.2), costs=inst.costs)
    sched = schedule_of(inst.costs, arrival_order(n, seed))
    factory = lambda: make_mechanism(name, m, _params(name, branch))  # noqa: E731
    agents = list(range(n))
    bids = [0.0, 0.5 * inst.budget, inst.budget]
    assert check_threshold_independence(factory, sched, seed, agents, bids) == []


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(MECHANISM_NAMES), n=st.integers(2, 8), seed=st.integers(0, 10**6))
def test_no_profitable_misreport(name, n, seed):
    inst = random_instance("coverage", n, seed % 991, budget_frac=0.3)
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(0.0), costs=inst.costs)
    sched = schedule_of(inst.costs, arrival_order(n, seed))
    factory = lambda: make_mechanism(name, m, {})  # noqa: E731
    rep = _truthfulness_audit(factory, sched, seed, inst.costs, list(np.linspace(0, inst.budget, 5)))
    assert rep.checked("universal_truthfulness") > 0
    assert rep.violations("universal_truthfulness") == 0, rep.verdicts()


def _truthfulness_audit(factory, sched, seed, costs, bids):
    """Audit universal truthfulness: every seller alone tries every bid, same seed (same order
    and coins), her utility judged under her true cost (Cost.utility, Section 2)."""
    true = {a: Cost(float(c)) for a, c in enumerate(costs)}
    devs = [Deviation({a: Cost(float(b))}, "bid-change") for a in true for b in bids if float(b) != true[a].value]
    return audit(factory, sched, true, seed, devs, claims=["universal_truthfulness"])


# ---- mutants: each checker must fail on a deliberately broken mechanism ---------------------
class OverpayMech2(Mechanism2):
    """Mutant: pays every hired seller five times the posted price (breaks budget feasibility)."""

    def step(self, tick, reports):
        return [dataclasses.replace(o, payment=5 * o.payment) for o in super().step(tick, reports)]


class UnderpayMech2(Mechanism2):
    """Mutant: pays hired sellers half their bid (breaks IR)."""

    def step(self, tick, reports):
        return [dataclasses.replace(o, payment=0.5 * o.bid) if o.hired else o for o in super().step(tick, reports)]


class BidDependentMech3(Mechanism3):
    """Mutant: the posted threshold is the seller's own bid plus one (a first-price rule)."""

    def step(self, tick, reports):
        outs = super().step(tick, reports)
        return [dataclasses.replace(o, threshold=o.bid + 1.0, hired=True, payment=o.bid + 1.0) for o in outs]


class WrongReplayMech2(Mechanism2):
    """Mutant: a unilateral replay path that ignores the recorded quote."""

    def unilateral_outcome(self, report, tick):
        return dataclasses.replace(super().unilateral_outcome(report, tick), hired=False, payment=0.0)


def _small():
    inst = random_instance("additive", 6, 8, budget_frac=0.5)
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(0.0), costs=inst.costs)
    return inst, m, schedule_of(inst.costs, range(6))


def test_budget_checker_catches_overpaying_mutant():
    inst, m, sched = _small()
    run = run_schedule(lambda: OverpayMech2(m, p=0.0), sched, 1)
    assert any(o.hired for o in run.outcomes.values())
    bad = check_budget_feasible(run.outcomes, inst.budget)
    assert bad and bad[0]["total_paid"] > inst.budget
    assert check_budget_feasible(run_schedule(lambda: Mechanism2(m, p=0.0), sched, 1).outcomes, inst.budget) == []


def test_ir_checker_catches_underpaying_mutant():
    inst, m, sched = _small()
    run = run_schedule(lambda: UnderpayMech2(m, p=0.0), sched, 1)
    bad = check_ir(run.outcomes)
    assert bad and all(v["payment"] < v["bid"] for v in bad)


def test_threshold_checker_catches_bid_dependent_mutant():
    inst, m, sched = _small()
    bad = check_threshold_independence(lambda: BidDependentMech3(m, q=0.0), sched, 1, [5], [0.0, 0.3],
                                       check_unilateral=False)
    assert any(v["property"] == "threshold_independence" for v in bad)


def test_threshold_checker_catches_wrong_unilateral_path():
    inst, m, sched = _small()
    bad = check_threshold_independence(lambda: WrongReplayMech2(m, p=0.0), sched, 1, range(6), [0.0])
    assert any(v["property"] == "unilateral_outcome" for v in bad)


def test_truthfulness_audit_catches_pay_your_bid_mutant():
    inst, m, sched = _small()
    bids = list(np.linspace(0, inst.budget, 21))
    # mutant_bf_pay_bid (mechanisms.mutants): hires by the posted price but pays the bid
    bad = _truthfulness_audit(lambda: make_mechanism("mutant_bf_pay_bid", m, {"p": 0.0}), sched, 1, inst.costs, bids)
    assert bad.violations("universal_truthfulness") > 0
    for cx in bad.counterexamples["universal_truthfulness"]:  # each: a strictly higher true utility
        (a, dev), = cx.deviation_outcomes.items()
        assert cx.true_types[a].utility(dev) > cx.true_types[a].utility(cx.truth[a])
    good = _truthfulness_audit(lambda: Mechanism2(m, p=0.0), sched, 1, inst.costs, bids)
    assert good.checked("universal_truthfulness") > 0 and good.violations("universal_truthfulness") == 0


class HalfThresholdMech2(Mechanism2):
    """Mutant: posts a bid-independent threshold and pays it, but hires only bids at most HALF of
    it (not a posted price: a seller with cost in (theta/2, theta] gains by underbidding)."""

    def step(self, tick, reports):
        return [dataclasses.replace(o, hired=False, payment=0.0)
                if o.hired and o.bid > 0.5 * o.threshold else o for o in super().step(tick, reports)]


def test_threshold_checker_catches_hire_iff_violation():
    inst, m, sched = _small()
    factory = lambda: HalfThresholdMech2(m, p=0.0)  # noqa: E731
    run = run_schedule(factory, sched, 1)
    # the mutant's thresholds never depend on the bid and every hire has bid <= threshold
    offered = [a for a, o in run.outcomes.items() if o.threshold is not None and o.threshold > 0]
    assert offered
    bad = check_threshold_independence(factory, sched, 1, offered, [0.0, 0.9 * inst.budget], check_unilateral=False)
    assert not any(v["property"] == "threshold_independence" for v in bad)
    assert any(v["property"] == "posted_price" and "rejected_at_bid" in v for v in bad)
    # the faithful mechanism passes the strengthened check
    assert check_threshold_independence(lambda: Mechanism2(m, p=0.0), sched, 1, list(range(6)),
                                        [0.0, 0.5 * inst.budget, inst.budget]) == []
