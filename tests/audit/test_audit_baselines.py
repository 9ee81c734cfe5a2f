"""The serial-dictatorship baselines pass; the truncation-bonus mutant is caught and replays."""
import json

import pytest
from audit_helpers import contested_bundles

from abm.audit import (AuditOptions, Deviation, Replayer, audit, check_deviation, explain, load_counterexample,
                       replay_counterexample)
from abm.audit.deviations import adjacent_swaps, coalitions_of, truncations
from mechanisms import BundleRanking, Claim
from mechanisms.mechanism_registry import make_mechanism


def _devs(types):
    return list(truncations(types, types, ks=(1, 2))) + list(adjacent_swaps(types, types))


@pytest.mark.parametrize("name", ["sd", "rsd"])
def test_faithful_sd_has_no_profitable_deviation(name, bundles_market):
    market, types, sched = bundles_market
    rep = audit(lambda: make_mechanism(name, market), sched, types, 7, _devs(types), claims=["strategyproof"])
    assert rep.checked("strategyproof") == 60
    assert rep.violations("strategyproof") == 0
    assert rep.verdicts()[0].startswith("consistent with strategyproof: 0 violations in 60 deviations")
    assert "deterministic probe set" in rep.verdicts()[0]
    t = rep.table()
    assert set(t["strategy"]) == {"truncate:k=1", "truncate:k=2", "swap"} and (t["profitable"] == 0).all()


def test_mutant_is_flagged_within_60_deviations_and_replays(tmp_path, bundles_market):
    market, types, sched = bundles_market
    rep = audit(lambda: make_mechanism("mutant_sd_truncation_bonus", market), sched, types, 7, _devs(types),
                claims=["strategyproof"], save=tmp_path)
    assert rep.violations("strategyproof") >= 1
    v = rep.verdicts()[0]
    assert v.startswith("strategyproof violated:") and "first saved to" in v
    files = sorted((tmp_path / "counterexamples").glob("*.json"))
    assert files and (tmp_path / "table.csv").is_file() and (tmp_path / "verdicts.txt").is_file()
    cx = load_counterexample(files[0])
    assert cx.mechanism == "mutant_sd_truncation_bonus" and cx.schedule is not None
    text = explain(cx)
    (agent,) = cx.reports
    assert f"Agent {agent}" in text and "truthful:" in text and "deviating:" in text and "strategyproof" in text
    res = replay_counterexample(files[0])
    assert res.reproduced and res.result.violated and "reproduced" in res.text
    # the file is plain JSON with the scenario slot
    d = json.loads(files[0].read_text())
    assert d["scenario"] is None and d["mechanism"]["name"] == "mutant_sd_truncation_bonus"


def test_tampered_counterexample_is_not_reproduced(tmp_path, bundles_market):
    market, types, sched = bundles_market
    rep = audit(lambda: make_mechanism("mutant_sd_truncation_bonus", market), sched, types, 7, _devs(types),
                claims=["strategyproof"], save=tmp_path)
    f = rep.saved["strategyproof"][0]
    d = json.loads(f.read_text())
    d["mechanism"]["name"] = "sd"  # the faithful mechanism: the same deviation no longer pays
    d["mechanism"]["params"].pop("short")
    f.write_text(json.dumps(d))
    res = replay_counterexample(f)
    assert not res.reproduced and not res.result.violated and "NOT reproduced" in res.text


def test_unknown_claims_are_reported_not_passed(bundles_market):
    market, types, sched = bundles_market
    rep = audit(lambda: make_mechanism("sd", market), sched, types, 7, _devs(types)[:3],
                claims=["strategyproof", "ef1", "made_up"])
    lines = rep.verdicts()
    assert any(line.startswith("made up: no checker") for line in lines)
    assert len([x for x in lines if not x.startswith("verified:")]) == 3
    assert not any(line.startswith("EF1: no checker") for line in lines)  # EF1 has a checker now


def test_gsp1_on_sd_coalitions_holds_and_mutant_breaks_it():
    # singletons acceptable, so a gain of two goods is a gain beyond one object
    market, types, sched = contested_bundles(top=None)
    opts = {a: [t] for a, t in ((a, d.reports[a]) for d in truncations(types, types, ks=(1,)) for a in d.reports)}
    groups = [(a, b) for a in range(0, 12, 3) for b in (a + 1, a + 2)]
    devs = list(coalitions_of(opts, 2, groups=groups)) + list(truncations(types, types, ks=(1,)))
    ok = audit(lambda: make_mechanism("sd", market), sched, types, 7, devs, claims=["gsp1"],
               options=AuditOptions(support_draws=2))
    assert ok.checked("gsp1") == len(devs) and ok.violations("gsp1") == 0
    bad = audit(lambda: make_mechanism("mutant_sd_truncation_bonus", market), sched, types, 7, devs,
                claims=["gsp1"], options=AuditOptions(support_draws=2))
    assert bad.violations("gsp1") >= 1
    assert "GSP1 violated" in bad.verdicts()[0] and "condition none" in bad.verdicts()[0]


def test_gsp1_reports_the_weak_escape():
    # agent 11 (last tick, gets nothing either way) "joins" agent 2, who truncates and jumps the
    # queue: (ii) fails for 2 but (i) holds through 11, who gave up nothing (weakly GSP1 escape)
    market, types, sched = contested_bundles(top=None)
    f = lambda: make_mechanism("mutant_sd_truncation_bonus", market)  # noqa: E731
    rp = Replayer(f, sched, 7, types)
    t2 = types[2]
    claim = [Claim("gsp1", "OCAM Definition 6")]
    esc = check_deviation(rp, Deviation({11: types[11], 2: BundleRanking(t2.m, t2.bundles[:1])}, "escape"), types,
                          claim, AuditOptions(support_draws=1))
    assert esc.results["gsp1"].status == "holds" and esc.results["gsp1"].condition == "i (weak escape)"
    # agent 0 is displaced by 2: (i) holds through a member that really lost something
    lost = check_deviation(rp, Deviation({0: types[0], 2: BundleRanking(t2.m, t2.bundles[:1])}, "pair"), types,
                           claim, AuditOptions(support_draws=1))
    assert lost.results["gsp1"].condition == "i"


def test_best_response_search_finds_the_mutant_and_nothing_on_sd():
    import numpy as np

    from abm.audit.deviations import best_responses

    market, types, sched = contested_bundles(top=None)
    found = {}
    for name in ("sd", "mutant_sd_truncation_bonus"):
        rp = Replayer(lambda: make_mechanism(name, market), sched, 7, types)
        found[name] = list(best_responses(rp, types, [1, 2, 4], budget=60, rng=np.random.default_rng(0)))
    assert found["sd"] == []
    assert found["mutant_sd_truncation_bonus"] and all(d.label.startswith("search:") for d in found["mutant_sd_truncation_bonus"])
    rep = audit(lambda: make_mechanism("mutant_sd_truncation_bonus", market), sched, types, 7,
                found["mutant_sd_truncation_bonus"], claims=["strategyproof"])
    assert rep.violations("strategyproof") == len(found["mutant_sd_truncation_bonus"])
