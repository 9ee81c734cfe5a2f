"""The mutant zoo (issue 11, item 6): on the default (trustless) path every mutant is flagged and
no faithful registered mechanism is; ``python -m abm mutants`` prints the table and the score."""
from abm.audit.mutants import MUTANTS
from abm.audit.zoo import MUTANT_TABLE, run_zoo, score
from abm.cli import main


def test_every_mutant_is_flagged_and_no_faithful_mechanism_is():
    rows = run_zoo()
    s = score(rows)
    missed = [r.mechanism for r in rows if r.role == "mutant" and not r.flagged]
    alarms = [(r.mechanism, r.first) for r in rows if r.role == "control" and r.flagged]
    assert not missed and not alarms, (missed, alarms)
    assert s["mutants"] >= 12 and s["flagged_share"] == 1.0 and s["false_alarms"] == 0
    assert set(MUTANTS.names()) <= set(MUTANT_TABLE)  # the zoo covers every registered mutant
    for r in rows:
        if r.role == "mutant":
            assert r.first, r.mechanism  # each names its first counterexample or finding


def test_mutants_command_prints_the_table_and_the_score(capsys):
    assert main(["mutants", "mutant_bf_pay_bid", "mutant_sd_truncation_bonus", "--no-controls", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "mutant_bf_pay_bid" in out and "mutation score: 2 of 2 mutants flagged (100%)" in out
