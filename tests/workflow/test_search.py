"""``python -m abm search`` and ``audit --replications`` (issue 14, item 1)."""
import contextlib
import io
import json
import pathlib
import re

import pytest

import abm
from abm.cli import main
from mechanisms.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]

SEM3 = str(ROOT / "examples" / "sem_three_arrivals.toml")

MUTANT = {
    "name": "mutant-sd", "seed": 3,
    "market": {"kind": "bundles", "goods": ["a", "b", "c"], "capacities": [1, 1, 1], "max_bundle_size": 2},
    "population": {"source": "explicit", "types": [{"count": 4, "ranking": [["a", "b"], ["a"], ["b"], ["c"]]}]},
    "arrivals": {"process": "permutation", "batch_size": 2},
    "mechanism": {"name": "mutant_sd_truncation_bonus"},
}


def _cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def test_sem_three_arrivals_answered_by_one_command():
    """The issue's question, one command: an honest "none found in N reports over R
    replications" (SEM's small market here has no profitable report: every agent's whole space
    of 12 misreports is tried), and the inapplicable claim names the nearest one and how to ask."""
    status, out, _ = _cli("search", SEM3, "--replications", "2", "--quiet")
    assert status == 0
    m = re.search(r"none found in ([\d,]+) reports over 2 replication\(s\)", out)
    assert m, out
    n = int(m.group(1).replace(",", ""))
    assert n == 2 * 9 * 12  # 2 seeds x 9 agents x the 12 misreports of a weak order over {a, b, o}
    assert "exhaustive" in out
    assert "strategyproof_single_arrival: its assumption fails" in out
    assert 'claims = ["strategyproof"]' in out and "--claims strategyproof" in out


def test_search_matches_a_brute_force_check_of_every_report():
    """The exhaustive search's "none" agrees with replaying every report of one agent by hand."""
    from strategies.search import report_space

    from abm.audit import Deviation, Replayer, compare
    from abm.audit.sources import ScenarioRun

    res = abm.search(SEM3, agents=[4])
    assert not res.table()["found"].any() and res.table()["complete"].all()
    sc = abm.api.load(SEM3)
    run = ScenarioRun(sc, sc.seed)
    rp = Replayer(run.factory, run.truthful, sc.seed, run.true_types)
    true = run.true_types[4]
    space = [r for r in report_space(true) if r != true]
    assert len(space) == int(res.table()["reports"].iloc[0])
    gains = [compare(true, rp.truth.outcomes[4], rp.replay(Deviation({4: r})).outcomes[4]) for r in space]
    assert not any(g.profitable for g in gains)


def test_search_finds_the_mutant_manipulation_and_the_replay_reproduces_it(tmp_path):
    res = abm.search(MUTANT, families=["best_response", "truncations"], save=tmp_path / "out")
    answer = res.verdicts()[0]
    assert answer.startswith("manipulable: 1 profitable report(s)"), answer
    row = res.table()[res.table()["found"]].iloc[0]
    assert row["best_report"] == "{a,b}" and row["gain"] == 3.0
    assert any("strategyproof violated" in v for v in res.verdicts())
    files = sorted((tmp_path / "out" / "counterexamples").glob("*.json"))
    assert len(files) == 1  # the same report found by both families is audited once
    assert json.loads(files[0].read_text())["mechanism"]["name"] == "mutant_sd_truncation_bonus"
    status, out, _ = _cli("replay", str(files[0]))
    assert status == 0 and "reproduced" in out and "reported {a,b}" in out


def test_families_that_do_not_apply_say_so():
    res = abm.search(SEM3, agents=2, families=["truncations", "disguises", "bid_changes", "swaps"])
    notes = " | ".join(res.notes)
    for fam in ("truncations", "disguises", "bid_changes"):
        assert f"{fam}: does not apply to objects markets" in notes
    assert "swaps: does not apply" not in notes
    # both types have one class above the null option o: the swap strategy has nothing to swap (it
    # never moves a class across o, SEM Section 2), and the note says so
    assert "swaps: generated no deviation on this run" in notes and len(res.table()) == 0
    status, out, _ = _cli("audit", SEM3, "--quiet", "--seed", "1")
    assert status == 0
    res2 = abm.audit(SEM3, deviations=["truncations", "swaps"])
    assert any("truncations: does not apply to objects markets" in v for v in res2.verdicts())


def test_time_limit_stops_and_says_so():
    res = abm.search(SEM3, replications=50, time_limit=0.3)
    assert res.stopped and "stopped by the time limit (0.3 s)" in res.answer()
    assert len(res.seeds) < 50


def test_search_rejects_bad_arguments():
    with pytest.raises(ConfigError, match="families"):
        abm.search(SEM3, families=["nonsense"])
    with pytest.raises(ConfigError, match="budget"):
        abm.search(SEM3, budget=0)
    status, _, err = _cli("search", SEM3, "--agents", "x", "--quiet")
    assert status == 2 and "--agents" in err


def test_audit_replications_combine_the_seeds():
    """``audit --replications 3`` counts every seed's deviations once (AuditReport.combine)."""
    from abm.scenario import replication_seed

    sc = str(ROOT / "examples" / "sd_bundles.toml")
    combined = abm.audit(sc, replications=3).table()
    seed = abm.api.load(sc).seed
    single = [abm.audit(sc, seed=replication_seed(seed, r)).table()["deviations"].sum() for r in range(3)]
    assert combined["deviations"].sum() == sum(single) and len(set(single)) >= 1
    status, out, _ = _cli("audit", sc, "--replications", "3", "--quiet")
    assert status == 0 and (f"on {sum(single)} deviations" in out or f"in {sum(single)} deviations" in out)
    status, _, err = _cli("audit", sc, "--replications", "0", "--quiet")
    assert status == 2 and "--replications" in err


def test_not_applicable_verdict_names_the_nearest_claim():
    from abm.audit.nearest import annotate_verdicts, nearest_hint

    res = abm.audit(SEM3, claims=["strategyproof_single_arrival"], deviations=["same_period"], agents=3)
    line = res.verdicts()[0]
    assert ("not applicable" in line or "outside" in line) and 'claims = ["strategyproof"]' in line
    # idempotent, and no suggestion of a claim already checked
    assert annotate_verdicts([line], ["strategyproof_single_arrival"]) == [line]
    assert nearest_hint("strategyproof_single_arrival", exclude=["strategyproof"]).startswith(
        "nearest claim that applies: sp1")
    assert nearest_hint("greedy") == ""
    # asked for, the nearest claim is checked on the same market
    ok = abm.audit(SEM3, claims=["strategyproof"], deviations=["same_period"], agents=3)
    assert ok.report.checked("strategyproof") > 0


def test_hints_find_their_claim_by_name_and_skip_claims_already_checked():
    from abm.audit.nearest import annotate_verdicts, claim_of_line

    line = "daceei violated (every run): 1 of 1 runs -- outside the theorem's assumptions (Assumption 2 ...)"
    assert claim_of_line(line, ["gsp1", "ef1", "daceei"]) == "daceei"
    assert claim_of_line("consistent with strategyproof single arrival: ...",
                         ["strategyproof", "strategyproof_single_arrival"]) == "strategyproof_single_arrival"
    extra = "verified: 4 replays cross-checked"
    got = annotate_verdicts([extra, line], ["daceei"])
    assert got[0] == extra and "nearest claim that applies: ef1" in got[1]
    assert annotate_verdicts([line], ["gsp1", "ef1", "daceei"]) == [line]  # both alternatives already checked
