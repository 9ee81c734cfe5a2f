"""The trustless auditor (issue 11): every assumption-free check fails on a mutant and passes on
the faithful mechanism; lying shortcuts and declared distributions are caught; breaches inside a
run are violations with counterexamples that reproduce; the two statistical designs are worded
as what they are; replays from checkpoints equal fresh runs. Seeds pinned."""
import numpy as np
import pytest

from abm.audit import AuditOptions, Deviation, Replayer, audit, replay_counterexample
from abm.audit.deviations import adjacent_swaps, bid_changes, disguises
from abm.audit.sources import random_deviations
from abm.audit.zoo import FAMILIES, ocam_market
from mechanisms import Report
from mechanisms.checkpoint import CheckpointedRun, Snapshotter, replay_from_scratch
from mechanisms.mechanism_registry import make_mechanism


@pytest.fixture(scope="module")
def ocam():
    market, types, sched, params = ocam_market()
    devs = list(disguises(types, range(0, 60, 2))) + list(adjacent_swaps(types, range(13, 33), depth=1))
    return market, types, sched, params, devs


def _ocam_audit(name, ocam, claims=None, **opts):
    market, types, sched, params, devs = ocam
    return audit(lambda: make_mechanism(name, market, params), sched, types, 3, devs, claims,
                 options=AuditOptions(**opts) if opts else None)


@pytest.fixture(scope="module")
def faithful_ocam(ocam):
    return _ocam_audit("ocam", ocam)


def test_faithful_ocam_passes_every_check_and_offers_honest_shortcuts(faithful_ocam):
    rep = faithful_ocam
    assert not rep.findings and not rep.flagged
    for key in ("gsp1", "ef1", "daceei_by_construction", "eceei_sample"):
        assert rep.checked(key) > 0 and rep.violations(key) == 0, key
    v = rep.verified
    assert v["crosscheck"] >= 10 and v["crosscheck_bad"] == 0
    assert v["shortcut_checked"] >= 10 and v["shortcut_bad"] == 0
    assert v["distribution_pairs"] >= 1 and v["distribution_bad"] == 0
    text = "\n".join(rep.verdicts())
    assert "relative clearing error the auditor recomputes" in text and "verified:" in text


@pytest.mark.parametrize("mutant,claim", [
    ("mutant_ocam_overspend_some", "daceei_by_construction"),   # a bundle beyond its drawn budget
    ("mutant_ocam_overspend_all", "daceei_by_construction"),    # budgets above 1: (ii)
    ("mutant_ocam_own_report_prices", "daceei_by_construction"),  # not favourite at the posted prices
    ("mutant_ocam_half_prices", "eceei_sample"),                # Definition 4 of the sample fails
])
def test_each_assumption_free_ocam_check_fails_on_its_mutant(ocam, mutant, claim, tmp_path):
    rep = _ocam_audit(mutant, ocam)
    assert rep.violations(claim) >= 1 and rep.flagged
    assert rep.gates.get(claim) is None or rep.gates[claim].inside
    cx = rep.counterexamples[claim][0]
    assert replay_counterexample(cx.save(tmp_path / "cx.json")).reproduced


def test_overspending_everyone_is_not_hidden_by_the_assumption2_gate(ocam):
    rep = _ocam_audit("mutant_ocam_overspend_all", ocam)
    assert not rep.gates["daceei"].inside  # the small market is outside Assumption 2 ...
    line = [x for x in rep.verdicts() if x.startswith("DACEEI (i)-(ii) by construction violated")][0]
    assert "outside the theorem" not in line  # ... but Definition 1 (i)-(ii) hold by construction: a real violation


def test_a_lying_shortcut_is_caught_on_the_default_path(ocam):
    rep = _ocam_audit("mutant_ocam_lying_shortcut", ocam)
    kinds = {f.kind for f in rep.findings}
    assert "shortcut" in kinds and rep.flagged
    assert rep.verified["shortcut_bad"] >= 1
    f = next(f for f in rep.findings if f.kind == "shortcut")
    assert f.shortcut is not None and f.protocol is not None  # both answers kept
    assert any(line.startswith("SHORTCUT INCONSISTENT") for line in rep.verdicts())
    # on the shortcut path the lies would feed the verdicts: the cross-check re-audits the cell
    short = _ocam_audit("mutant_ocam_lying_shortcut", ocam, path="shortcut")
    assert "shortcut" in {f.kind for f in short.findings}
    assert short.violations("gsp1") == rep.violations("gsp1")


def test_a_declared_distribution_that_excludes_realised_outcomes_is_caught(ocam):
    rep = _ocam_audit("mutant_ocam_outside_support", ocam, claims=["gsp1"])
    assert "distribution" in {f.kind for f in rep.findings}
    line = rep.verdicts()[0]
    assert "declared, verified" not in line and "sampled K=" in line  # fell back to sampling


def test_checkpoint_replays_equal_fresh_runs_for_every_zoo_family():
    for fam in FAMILIES.values():
        market, types, sched, seed, devs = fam.build()
        name = {"ocam": "ocam", "bundles": "sd", "objects": "sem", "procurement": "bf_mech3"}[fam.name]
        params = {k: v for k, v in fam.params.items()}
        def f(name=name, params=params, market=market):
            return make_mechanism(name, market, params)

        rp = Replayer(f, sched, seed, types)
        for d in devs[:: max(1, len(devs) // 12)]:
            ref, err = replay_from_scratch(f, sched, seed, dict(d.reports))
            got = rp.replay(d)
            assert err is None and got.path == "protocol"
            assert {a: ref.outcomes[a] for a in d.reports} == got.outcomes, (fam.name, d)


def test_snapshots_share_immutable_objects_and_copy_state():
    market, types, sched, params = ocam_market(60)
    run = CheckpointedRun(lambda: make_mechanism("ocam", market, params), sched, 1, checkpoints=4)
    run.advance(30)
    snap = Snapshotter()
    a, b = snap.load(snap.dump(run.mech)), snap.load(snap.dump(run.mech))
    assert a is not b and a._used is not b._used and a.market is b.market is run.mech.market
    a.step(30, [Report(30, types[30])])
    assert (b._used == run.mech._used).all() and not (a._used == b._used).all()


def test_a_breach_inside_the_run_is_a_violation_with_a_counterexample_not_a_crash(tmp_path):
    market, types, sched, seed, devs = FAMILIES["procurement"].build()
    rep = audit(lambda: make_mechanism("mutant_bf_skip_budget", market, {"p": 0.0}), sched, types, seed, devs,
                save=tmp_path)
    assert rep.violations("budget_feasible") >= 1 and rep.flagged
    assert any("budget feasible violated" in x for x in rep.verdicts())
    detail = rep.counterexamples["budget_feasible"][0].result.detail
    assert "stopped at tick" in detail and "exceed the budget" in detail
    res = replay_counterexample(rep.saved["budget_feasible"][0])
    assert res.reproduced, res.text
    ok = audit(lambda: make_mechanism("bf_mech2", market, {"p": 0.0}), sched, types, seed, devs)
    assert not ok.flagged and ok.violations("budget_feasible") == 0


@pytest.mark.parametrize("mutant,claim", [("mutant_bf_pay_bid", "posted_price"),
                                          ("mutant_bf_underpay", "ir"),
                                          ("mutant_bf_underpay", "posted_price"),
                                          ("mutant_bf_bid_threshold", "threshold_independence"),
                                          ("mutant_bf_own_bid_price", "threshold_independence"),
                                          ("mutant_bf_own_bid_price", "universal_truthfulness")])
def test_procurement_checks_fail_on_their_mutants_and_pass_on_the_faithful(mutant, claim):
    market, types, sched, seed, devs = FAMILIES["procurement"].build()
    bad = audit(lambda: make_mechanism(mutant, market, {"p": 0.0}), sched, types, seed, devs)
    assert bad.violations(claim) >= 1
    ok = audit(lambda: make_mechanism("bf_mech2", market, {"p": 0.0}), sched, types, seed, devs)
    assert ok.checked(claim) >= 1 and ok.violations(claim) == 0


def test_the_own_bid_price_shortcut_is_caught_lying():
    market, types, sched, seed, devs = FAMILIES["procurement"].build()
    rep = audit(lambda: make_mechanism("mutant_bf_own_bid_price", market, {"p": 0.0}), sched, types, seed, devs)
    assert "shortcut" in {f.kind for f in rep.findings}


def test_a_mechanism_whose_state_does_not_survive_a_copy_is_caught():
    from mechanisms.baselines.serial_dictatorship import SerialDictatorship

    calls = {"n": 0}

    class HiddenState(SerialDictatorship):
        """SD that serves every agent nothing once it has been stepped 7 times in this process:
        state outside the mechanism object (a closure), which no snapshot copies."""

        def step(self, tick, reports):
            calls["n"] += 1
            outs = super().step(tick, reports)
            if calls["n"] % 5 == 0:
                from dataclasses import replace
                return [replace(o, bundle=0) for o in outs]
            return outs

    market, types, sched, seed, devs = FAMILIES["bundles"].build()
    rep = audit(lambda: HiddenState(market), sched, types, seed, devs, claims=["strategyproof"])
    assert "checkpoint" in {f.kind for f in rep.findings} and rep.verified["crosscheck_bad"] >= 1
    assert any(line.startswith("CHECKPOINT REPLAY INCONSISTENT") for line in rep.verdicts())


def test_a_counterexample_that_does_not_reproduce_is_a_finding_with_both_answers():
    from dataclasses import replace

    from abm.audit.audit import _Auditor

    market, types, sched, seed, devs = FAMILIES["bundles"].build()
    f = lambda: make_mechanism("mutant_sd_truncation_bonus", market)  # noqa: E731
    rep = audit(f, sched, types, seed, devs, claims=["strategyproof"])
    cx = rep.counterexamples["strategyproof"][0]
    assert rep.verified["reproduced:strategyproof"] >= 1  # the real one reproduces
    a = next(iter(cx.reports))
    forged = replace(cx, deviation_outcomes={a: replace(cx.deviation_outcomes[a], bundle=0)})
    au = _Auditor(Replayer(f, sched, seed, types), types, rep.claims, AuditOptions(), None, 12)
    assert au.reproduce(forged) is False
    found = [x for x in au.report.findings if x.kind == "reproduction"]
    assert found and found[0].shortcut is not None and found[0].protocol is not None


def test_probe_sets_report_counts_and_random_samples_report_exact_intervals():
    market, types, sched, seed, devs = FAMILIES["bundles"].build()
    f = lambda: make_mechanism("sd", market)  # noqa: E731
    probe = audit(f, sched, types, seed, devs, claims=["strategyproof"])
    line = probe.verdicts()[0]
    assert "deterministic probe set: counts only, no rate is claimed" in line and "%" not in line
    rnd = random_deviations(types, market, np.random.default_rng(5), 150)
    assert len(rnd) == 150 and all(d.design == "random" for d in rnd)
    sample = audit(f, sched, types, seed, rnd, claims=["strategyproof"])
    line = sample.verdicts()[0]
    assert "randomly drawn" in line and "exact one-sided 95% upper bound" in line
    t = sample.table()
    cell = t[t["strategy"].str.startswith("random:")]
    assert cell["design"].eq("random").all() and cell["rate_upper"].notna().all()
    assert probe.table()["rate_upper"].isna().all()


def test_scipy_statistics_give_the_figures_of_the_hand_written_ones():
    from abm.audit.stats import exact_interval, wilson_interval, zero_rate_upper_bound

    assert zero_rate_upper_bound(50) == pytest.approx(1 - 0.05 ** (1 / 50))
    lo, hi = wilson_interval(5, 100)
    assert lo == pytest.approx(0.0215, abs=1e-4) and hi == pytest.approx(0.1118, abs=1e-4)
    lo, hi = exact_interval(5, 100)
    assert lo == pytest.approx(0.01643, abs=1e-4) and hi == pytest.approx(0.11283, abs=1e-4)


def test_bid_changes_are_judged_through_the_protocol_not_the_declared_shortcut():
    """The mechanism declares ``spec.incremental``; the default path replays through the protocol."""
    market, types, sched, seed, _ = FAMILIES["procurement"].build()
    devs = list(bid_changes(types, range(10), factors=(1.5, 2.0), max_bid=1.0))
    rep = audit(lambda: make_mechanism("mutant_bf_own_bid_price", market, {"p": 0.0}), sched, types, seed, devs,
                claims=["universal_truthfulness"])
    assert set(rep.table()["paths"].dropna()) <= {"protocol: %d" % n for n in range(1000)} | {"", None}
    assert rep.violations("universal_truthfulness") >= 1


def test_replay_of_a_deviation_stops_once_the_deviators_are_served():
    market, types, sched, params = ocam_market()
    rp = Replayer(lambda: make_mechanism("ocam", market, params), sched, 3, types)
    d = Deviation({20: types[21]}, "x")
    r = rp.replay(d)
    assert r.run is None and set(r.outcomes) == {20}
    assert rp.base.snapshots_taken <= 200 // rp.base.every + 8  # bounded checkpoints


def test_a_mechanism_that_raises_its_own_budget_while_running_is_judged_by_the_configured_one():
    """Verdicts read the configuration recorded before start (mechanisms.engine.Configuration)."""
    import dataclasses

    from mechanisms.procurement import Mechanism2

    class RaisesItsBudget(Mechanism2):
        spec = dataclasses.replace(Mechanism2.spec, name="test_raises_its_budget", mutant_of="bf_mech2")

        def start(self, streams):
            self.B = 3.0 * B  # its prices and its own guard now use three times the budget ...
            self.market.extra["budget"] = self.B  # ... and it says so in the market it was given
            super().start(streams)

    market, types, sched, seed, devs = FAMILIES["procurement"].build()
    market = dataclasses.replace(market, extra=dict(market.extra))  # the family's market stays intact
    B = float(market.extra["budget"])
    rep = audit(lambda: RaisesItsBudget(market, p=0.0), sched, types, seed, devs[:10], claims=["budget_feasible"])
    assert rep.violations("budget_feasible") >= 1 and rep.flagged, rep.verdicts()
    assert rep.counterexamples["budget_feasible"][0].market.extra["budget"] == B


def test_a_mechanism_that_crashes_in_step_is_a_finding_naming_it_and_the_tick_not_a_crash():
    """mechanisms.step_invariants.checked_step turns a crash of step into an InvariantError."""
    import dataclasses

    from mechanisms.procurement import Mechanism2

    class Crashes(Mechanism2):
        spec = dataclasses.replace(Mechanism2.spec, name="test_crashes", mutant_of="bf_mech2")

        def step(self, tick, reports):
            if tick == 7:
                raise ZeroDivisionError("boom")
            return super().step(tick, reports)

    market, types, sched, seed, devs = FAMILIES["procurement"].build()
    rep = audit(lambda: Crashes(market, p=0.0), sched, types, seed, devs[:10])
    assert rep.flagged
    text = "\n".join(rep.verdicts())
    assert "test_crashes tick 7: step raised ZeroDivisionError: boom" in text, text


def test_a_crash_of_public_stops_the_truthful_run_and_later_deviations_are_not_audited():
    import dataclasses

    from mechanisms.procurement import Mechanism2

    class PublicCrashes(Mechanism2):
        spec = dataclasses.replace(Mechanism2.spec, name="test_public_crashes", mutant_of="bf_mech2")

        def public(self):
            if self._n_rec >= 3:
                raise KeyError("nope")
            return super().public()

    market, types, sched, seed, devs = FAMILIES["procurement"].build()
    rep = audit(lambda: PublicCrashes(market, p=0.0), sched, types, seed, devs[:10])
    text = "\n".join(rep.verdicts())
    assert rep.flagged and "test_public_crashes: public() raised KeyError" in text, text
    assert "not audited" in text and "CHECKPOINT REPLAY INCONSISTENT" not in text, text


def test_crashing_accelerators_are_findings_or_unused_never_a_crash(ocam):
    """unilateral_outcome raising: a shortcut finding; outcome_distribution raising: supports sampled."""
    import dataclasses

    from mechanisms.ocam import OCAM

    class CrashingAccelerators(OCAM):
        spec = dataclasses.replace(OCAM.spec, name="test_crashing_accelerators", mutant_of="ocam")

        def unilateral_outcome(self, report, tick):
            raise RuntimeError("no shortcut today")

        def outcome_distribution(self, declared, agent):
            raise RuntimeError("no distribution today")

    market, types, sched, params, devs = ocam
    rep = audit(lambda: CrashingAccelerators(market, **params), sched, types, 3, devs, ["gsp1"])
    text = "\n".join(rep.verdicts())
    assert "unilateral_outcome raised RuntimeError: no shortcut today" in text, text
    assert "supports sampled" in text and "supports declared" not in text, text
