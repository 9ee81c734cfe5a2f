"""``python -m abm check``: the conformance table on the command line, with its exit status."""
import pathlib

import pytest

from abm.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "byo" / "my_mechanism.py"


@pytest.fixture(autouse=True)
def _unregister_plugins():
    """Remove the mechanisms a test imported by module:Class, so registry-wide tests never see them."""
    from mechanisms.plugins import plugins_restored

    with plugins_restored():
        yield


def test_a_conforming_mechanism_exits_0(capsys):
    assert main(["check", "sd"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mechanism sd") and "0 failed: conforms" in out and "FAILED" not in out


def test_a_failing_check_exits_1_with_its_message(capsys):
    assert main(["check", "mutant_ocam_lying_shortcut"]) == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("shortcut"))
    assert "FAILED" in row and "unilateral_outcome for agent" in row  # printed whole


def test_module_class_with_a_strategy(capsys):
    assert main(["check", f"{EXAMPLE}:PostedPrice", "--strategy", "shade_mult"]) == 0
    out = capsys.readouterr().out
    assert "mechanism posted_price" in out and "strategy shade_mult" in out
    assert "procurement/posted_price" in out  # the strategy saw this mechanism's runs only


def test_a_strategy_that_does_not_act_against_the_mechanism(capsys):
    assert main(["check", f"{EXAMPLE}:PostedPrice", "--strategy", "below_threshold"]) == 1
    out = capsys.readouterr().out
    assert "never changes the report" in out


@pytest.mark.parametrize("argv, field", [
    (["check"], "mechanism"),
    (["check", "no_such_mechanism"], "mechanism"),
    (["check", "sd", "--strategy", "shade_mult"], "--strategy"),
    (["check", "sd", "--markets", "nowhere"], "markets"),
])
def test_bad_input_exits_2_naming_the_field(argv, field, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {field}")
