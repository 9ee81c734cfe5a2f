"""The mutant zoo (issue 11, item 6): on the default (trustless) path every mutant is flagged and
no faithful registered mechanism is; ``python -m abm mutants`` prints the table and the score."""
from abm.audit.zoo import MUTANT_TABLE, mutant_names, run_zoo, score
from abm.cli import main


def test_every_mutant_is_flagged_and_no_faithful_mechanism_is():
    rows = run_zoo()
    s = score(rows)
    missed = [r.mechanism for r in rows if r.role == "mutant" and not r.flagged]
    alarms = [(r.mechanism, r.first) for r in rows if r.role == "control" and r.flagged]
    assert not missed and not alarms, (missed, alarms)
    assert s["mutants"] >= 12 and s["flagged_share"] == 1.0 and s["false_alarms"] == 0
    assert set(mutant_names()) <= set(MUTANT_TABLE)  # the zoo covers every registered mutant
    for r in rows:
        if r.role == "mutant":
            assert r.first, r.mechanism  # each names its first counterexample or finding


def test_mutants_command_prints_the_table_and_the_score(capsys):
    assert main(["mutants", "mutant_bf_pay_bid", "mutant_sd_truncation_bonus", "--no-controls", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "mutant_bf_pay_bid" in out and "mutation score: 2 of 2 mutants flagged (100%)" in out


def test_mutants_share_the_mechanism_registry_tagged_and_hidden_from_listings(capsys):
    from dataclasses import replace

    import pytest

    from mechanisms import (
        MECHANISMS,
        Goods,
        Market,
        make_mechanism,
        registered_mechanisms,
    )
    from mechanisms.baselines.serial_dictatorship import SerialDictatorship
    from mechanisms.mutants import mutant_spec, register_mutant

    names = mutant_names()
    assert names and all(n in MECHANISMS and MECHANISMS.get(n).spec.mutant_of in MECHANISMS for n in names)
    assert not set(names) & {n for n, _ in registered_mechanisms()}  # listings show faithful mechanisms
    assert MECHANISMS.get("mutant_bf_pay_bid").spec.mutant_of == "bf_mech2"
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "mutant_bf_pay_bid" not in out and "--mutants" in out and "  ocam " in out
    assert main(["list", "--mutants"]) == 0
    assert "MUTANT of bf_mech2" in capsys.readouterr().out
    market = Market("bundles", Goods(("a", "b"), (1, 1)), max_bundle_size=2)
    assert type(make_mechanism("mutant_sd_truncation_bonus", market)).__name__ == "TruncationBonusSD"

    class Untagged(SerialDictatorship):
        spec = replace(SerialDictatorship.spec, name="mutant_untagged")

    class Misnamed(SerialDictatorship):
        spec = mutant_spec(SerialDictatorship, name="sd_broken", title="broken")

    for cls, why in ((Untagged, "mutant_of=None"), (Misnamed, "must start with")):
        with pytest.raises(ValueError, match=why):
            register_mutant(cls)
    assert "mutant_untagged" not in MECHANISMS and "sd_broken" not in MECHANISMS
