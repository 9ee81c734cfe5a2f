"""The per-mechanism audits: OCAM (GSP1), SEM (greedy, envy, SP1), procurement (universal
truthfulness, budget, IR). Every mutant is flagged within a bounded number of deviations; the
faithful mechanism is not, on the same market and deviations (seeds pinned)."""
import numpy as np
import pytest
from audit_helpers import ToyLottery, bf_market, lottery_setup, ocam_market, sem_market

from abm.audit import AuditOptions, Deviation, Replayer, audit, replay_counterexample
from abm.audit.deviations import bid_changes, disguises, random_rankings, same_period_misreports
from abm.audit.studies import sp1_study
from mechanisms import Cost, Report, WeakOrder
from mechanisms.mechanism_registry import make_mechanism


# ---- OCAM -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ocam_setup():
    return ocam_market()


def test_ocam_faithful_is_consistent_with_gsp1_with_exact_supports(ocam_setup):
    market, types, sched, params = ocam_setup
    rep = audit(lambda: make_mechanism("ocam", market, params), sched, types, 3, disguises(types, types),
                claims=["gsp1", "ef1"])
    assert rep.checked("gsp1") == 200 and rep.violations("gsp1") == 0
    v = rep.verdicts()
    assert v[0].startswith("consistent with GSP1: 0 violations in 200 deviations") and "declared, verified" in v[0]
    assert not rep.findings and rep.verified["distribution_pairs"] >= 1
    assert rep.violations("ef1") == 0  # Theorem 2 (b), on the truthful and the replayed runs


@pytest.mark.parametrize("mutant,bound", [("mutant_ocam_wide_budgets", 60), ("mutant_ocam_rich_unseen", 20)])
def test_ocam_mutants_break_gsp1_within_bound(ocam_setup, mutant, bound, tmp_path):
    market, types, sched, params = ocam_setup
    rep = audit(lambda: make_mechanism(mutant, market, params), sched, types, 3, disguises(types, types),
                claims=["gsp1"], save=tmp_path)
    assert rep.violations("gsp1") >= 1
    assert rep.first_violation_at["gsp1"] <= bound
    assert "GSP1 violated" in rep.verdicts()[0] and "condition none" in rep.verdicts()[0]
    res = replay_counterexample(rep.saved["gsp1"][0])
    assert res.reproduced, res.text


def test_ocam_incremental_path_equals_full_replay(ocam_setup):
    market, types, sched, params = ocam_setup
    small = {i: types[i] for i in range(100)}
    market100 = type(market)(market.kind, market.goods, market.max_bundle_size, 100, market.horizon)
    rp = Replayer(lambda: make_mechanism("ocam", market100, params), sched[:100], 3, small)
    sample = rp.truth.mechanism.sample_size
    devs = list(random_rankings(small, range(sample, 100), np.random.default_rng(0), per_agent=1))[:25]
    devs += list(disguises(small, range(sample, sample + 5)))
    for d in devs:
        inc, full, proto = rp.replay(d, "incremental"), rp.replay(d, "full"), rp.replay(d)
        assert inc.path == "shortcut" and full.path == "full" and proto.path == "protocol"
        assert inc.outcomes == full.outcomes == proto.outcomes
    # sample agents fall back to the protocol path on the shortcut path
    d = next(disguises(small, [0]))
    assert rp.replay(d, "shortcut").path == "protocol"


# ---- SEM --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sem_setup():
    market, types, sched = sem_market()
    devs = list(same_period_misreports(sched, types))[:12]
    return market, types, sched, devs


def test_sem_faithful_is_greedy_and_envy_free(sem_setup):
    market, types, sched, devs = sem_setup
    rep = audit(lambda: make_mechanism("sem", market), sched, types, 1, devs)
    # the truthful run and a seeded sample of deviating runs continued to the end
    assert rep.violations("greedy") == 0 and rep.checked("greedy") == 1 + rep.verified["run_checks"] >= 2
    assert rep.violations("equal_type_envy_free") == 0 and rep.violations("sp1") == 0
    lines = rep.verdicts()
    # Definition 4 is asymptotic: per-run events at n = 2 are evidence for a trend, never a flag
    assert any(line.startswith("ordinal efficiency asymptotic (every run)") and "efficiency_study" in line
               for line in lines)
    assert not rep.flagged
    assert any("outside the theorem's assumptions" in line for line in lines)  # two arrivals per period


def test_sem_equal_budgets_mutant_breaks_greedy_on_the_truthful_run(sem_setup):
    market, types, sched, devs = sem_setup
    rep = audit(lambda: make_mechanism("mutant_sem_equal_budgets", market), sched, types, 1, [],
                claims=["greedy"])
    assert rep.violations("greedy") == 1  # already the truthful run (0 deviations needed)
    assert "greedy violated (every run)" in rep.verdicts()[0]


def test_sem_single_arrival_strategyproofness_is_checked_when_the_assumption_holds():
    market, types, sched = sem_market(n=1, seed=3)
    assert all(len(t) == 1 for t in sched)
    from abm.audit.deviations import adjacent_swaps
    devs = list(adjacent_swaps(types, types, depth=2))
    rep = audit(lambda: make_mechanism("sem", market), sched, types, 1, devs,
                claims=["strategyproof_single_arrival"])
    assert rep.checked("strategyproof_single_arrival") == len(devs) > 0
    assert rep.violations("strategyproof_single_arrival") == 0


def test_sp1_study_zero_on_sem_and_flat_on_the_lottery_mutant():
    def build_sem(n, seed):
        market, types, sched = sem_market(n, seed)
        return (lambda: make_mechanism("sem", market)), sched, types

    study = sp1_study(build_sem, [1, 2], [1], limit_per_agent=1)
    assert [r["n"] for r in study.rows] == [1, 2] and study.rows[-1]["events"] == 0
    assert "trend: zero at the largest n" in study.verdict

    def build_toy(n, seed):
        # every third agent lists a single acceptable object: declaring its type gives the
        # others a sure object, which can dominate their uniform top-two lottery
        market, types, sched = lottery_setup(3 * n, seed)
        types = {a: (WeakOrder.strict(list(t.acceptable[:1]), 4) if a % 3 == 0 else t) for a, t in types.items()}
        sched = [[Report(r.agent, types[r.agent]) for r in tick] for tick in sched]
        return (lambda: ToyLottery(market)), sched, types

    bad = sp1_study(build_toy, [2, 8], [0, 1], eps=0.25)
    assert all(r["events"] > 0 for r in bad.rows)
    assert "decreasing" not in bad.verdict.replace("not decreasing", "") and "zero" not in bad.verdict
    assert set(bad.table().columns) >= {"n", "pairs", "events", "share", "ci_lo", "ci_hi"}
    # the verdict compares the smallest with the largest n whatever order ns is given in
    rev = sp1_study(build_toy, [8, 2], [0, 1], eps=0.25)
    assert [r["n"] for r in rev.rows] == [2, 8] and rev.verdict == bad.verdict


# ---- procurement -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def bf_setup():
    market, types, sched = bf_market()
    return market, types, sched, list(bid_changes(types, types, max_bid=1.0))


@pytest.mark.parametrize("name,params", [("bf_mech2", {"p": 0.0}), ("bf_mech3", {"q": 0.0}), ("bf_mech1", {})])
def test_procurement_faithful_is_universally_truthful(bf_setup, name, params):
    market, types, sched, devs = bf_setup
    rep = audit(lambda: make_mechanism(name, market, params), sched, types, 1, devs)
    assert rep.checked("universal_truthfulness") == len(devs) and rep.violations("universal_truthfulness") == 0
    assert rep.violations("budget_feasible") == 0 and rep.violations("ir") == 0


@pytest.mark.parametrize("mutant,bound", [("mutant_bf_pay_bid", 40), ("mutant_bf_bid_threshold", 40)])
def test_procurement_mutants_break_universal_truthfulness_within_bound(bf_setup, mutant, bound):
    market, types, sched, devs = bf_setup
    rep = audit(lambda: make_mechanism(mutant, market, {"p": 0.0}), sched, types, 1, devs)
    assert rep.first_violation_at["universal_truthfulness"] <= bound
    assert rep.violations("budget_feasible") == 0 and rep.violations("ir") == 0
    res = replay_counterexample(rep.counterexamples["universal_truthfulness"][0])
    assert res.reproduced


@pytest.mark.parametrize("name,params", [("bf_mech2", {"p": 0.0}),
                                         ("bf_mech3", {"q": 0.0, "sample_solver": "greedy_singleton"}),
                                         ("bf_mech4", {"sample_solver": "greedy_singleton"})])
def test_procurement_incremental_path_equals_full_replay(bf_setup, name, params):
    market, types, sched, _ = bf_setup
    rp = Replayer(lambda: make_mechanism(name, market, params), sched, 2, types)
    rng = np.random.default_rng(1)
    for a in rng.integers(0, 40, 50):
        d = Deviation({int(a): Cost(float(rng.random()))})
        assert rp.replay(d, "incremental").outcomes == rp.replay(d, "full").outcomes


# ---- the protocol path (checkpoints) equals fresh runs -----------------------------------------
def test_ocam_protocol_path_equals_full_replay_and_mutants_are_found_the_same_way(ocam_setup):
    from abm.audit.deviations import adjacent_swaps, truncations

    market, types, sched, params = ocam_setup
    for name in ("ocam", "mutant_ocam_rich_unseen"):
        rp = Replayer(lambda: make_mechanism(name, market, params), sched, 3, types)
        s = rp.truth.mechanism.sample_size
        devs = list(disguises(types, range(0, 200, 3))) + list(adjacent_swaps(types, range(s, 200, 5), depth=2)) \
            + list(truncations(types, range(s, 120, 4), ks=(1,)))
        for d in devs[::9]:
            assert rp.replay(d).outcomes == rp.replay(d, "full").outcomes
        fast = audit(lambda: make_mechanism(name, market, params), sched, types, 3, devs, claims=["gsp1"])
        slow = audit(lambda: make_mechanism(name, market, params), sched, types, 3, devs, claims=["gsp1"],
                     options=AuditOptions(path="full"))
        assert fast.violations("gsp1") == slow.violations("gsp1")
        assert fast.checked("gsp1") == slow.checked("gsp1") == len(devs)
        t_fast, t_slow = fast.table().fillna(-1), slow.table().fillna(-1)
        assert list(t_fast["profitable"]) == list(t_slow["profitable"])
        assert list(t_fast["max_gain"]) == list(t_slow["max_gain"])
        assert (name == "ocam") == (fast.violations("gsp1") == 0)
        assert not fast.findings  # faithful and mutant alike: every shortcut they offer is honest


def test_reports_outside_the_mechanisms_domain_are_counted_apart(bf_setup):
    market, types, sched, _ = bf_setup
    devs = list(bid_changes(types, range(5), factors=(0.5, 40.0)))  # 40 x cost exceeds B = 1 for most
    rep = audit(lambda: make_mechanism("bf_mech2", market, {"p": 0.0}), sched, types, 1, devs)
    invalid = sum(c.invalid for c in rep.cells.values())
    assert invalid >= 1 and rep.checked("universal_truthfulness") + invalid == len(devs)
    line = [x for x in rep.verdicts() if "refused by the mechanism as invalid reports" in x][0]
    assert "bid" in line


def test_ocam_coalitions_use_exact_supports_and_catch_the_mutant(ocam_setup):
    from abm.audit.deviations import coalitions_of

    market, types, sched, params = ocam_setup
    opts = {a: [d.reports[a]] for d in disguises(types, range(13, 40)) for a in d.reports}
    groups = [(a, a + 1) for a in range(13, 39, 2)]
    devs = list(coalitions_of(opts, 2, groups=groups))
    ok = audit(lambda: make_mechanism("ocam", market, params), sched, types, 3, devs, claims=["gsp1"])
    assert ok.checked("gsp1") == len(devs) == 13 and ok.violations("gsp1") == 0
    assert "declared, verified" in ok.verdicts()[0]
    bad = audit(lambda: make_mechanism("mutant_ocam_rich_unseen", market, params), sched, types, 3, devs,
                claims=["gsp1"])
    t = bad.table()
    assert bad.violations("gsp1") >= 1 and t[t["strategy"] != "(every run)"]["coalition_size"].eq(2).all()
