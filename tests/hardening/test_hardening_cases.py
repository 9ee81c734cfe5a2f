"""Every bad input listed in issue 12 gets a clean ConfigError naming the field (no traceback, hang or misreading)."""
import copy
import pathlib
import tomllib

import pytest

from abm.cli import main
from abm.scenario import load_scenario, parse_scenario
from mechanisms import ConfigError
from mechanisms.market import bundle_items

EX = pathlib.Path(__file__).resolve().parents[2] / "examples"


def _raw(name):
    return tomllib.loads((EX / name).read_text())


def _bad(raw, field_part, base=EX):
    with pytest.raises(ConfigError) as e:
        parse_scenario(raw, base)
    assert field_part in e.value.field, (e.value.field, str(e.value))
    return e.value


def test_non_utf8_and_deeply_nested_files_are_config_errors(tmp_path):
    p = tmp_path / "s.toml"
    p.write_bytes(b'name = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match="UTF-8"):
        load_scenario(p)
    p.write_bytes(b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n")
    with pytest.raises(ConfigError, match="nest|TOML"):
        load_scenario(p)


def test_strategy_table_with_a_number_as_name():
    raw = _raw("sd_bundles.toml")
    raw["strategies"] = {"default": "truthful", "assign": [{"strategy": {"name": 3}, "agents": [0]}]}
    _bad(raw, "strategy.name")


def test_ranking_bundle_that_is_a_number():
    raw = _raw("sd_bundles.toml")
    raw["population"]["types"][0]["ranking"] = [3, ["a"]]
    _bad(raw, "ranking[0]")


def test_unknown_valuation_params():
    raw = _raw("procurement_mech1.toml")
    raw["population"] = {"source": "random", "n": 6, "valuation": "additive", "valuation_params": {"nope": 1}}
    raw["market"] = {"kind": "procurement", "budget_frac": 0.3}
    _bad(raw, "valuation_params.nope")


def test_coalition_size_above_n_and_duplicate_members_and_bool_members():
    raw = _raw("sd_bundles.toml")
    raw["coalitions"] = [{"graph": "erdos_renyi:p=0.5", "size": 50, "strategy": "common_type"}]
    _bad(raw, "coalitions[0].size")
    raw["coalitions"] = [{"members": [0, 0], "strategy": "common_type"}]
    _bad(raw, "coalitions[0].members")
    raw["coalitions"] = [{"members": [True, 2], "strategy": "common_type"}]
    _bad(raw, "coalitions[0].members")


def test_coalition_strategy_for_the_wrong_market_kind():
    raw = _raw("sd_bundles.toml")
    raw["coalitions"] = [{"members": [0, 1], "strategy": "bid_ring"}]  # a procurement coalition strategy
    e = _bad(raw, "coalitions[0].strategy")
    assert "bundles" in e.expected


def test_huge_m_is_rejected_before_any_name_is_built():
    raw = _raw("sd_bundles.toml")
    del raw["market"]["goods"]
    raw["market"]["m"] = 10**15
    raw["market"].pop("capacities")
    raw["market"]["capacity"] = 1
    _bad(raw, "market.m")


def test_seed_of_2_63_or_more():
    raw = _raw("sd_bundles.toml")
    raw["seed"] = 2**63
    _bad(raw, "seed")


def test_good_named_o_in_an_objects_market_and_unbalanced_braces():
    raw = _raw("sd_objects.toml")
    raw["market"]["goods"] = ["a", "o"]
    _bad(raw, "market.goods[1]")
    raw = _raw("sd_objects.toml")
    raw["population"]["types"][1]["preference"] = "{a,b > o"
    _bad(raw, "preference")


def test_agents_true_is_not_agent_1():
    raw = _raw("sd_bundles.toml")
    raw["strategies"] = {"assign": [{"strategy": "truncate:k=1", "agents": [True]}]}
    _bad(raw, "strategies.assign[0].agents")


def test_repeated_spec_key():
    raw = _raw("sd_bundles.toml")
    raw["strategies"] = {"default": "truncate:k=1,k=2"}
    _bad(raw, "strategies.default.k")


@pytest.mark.parametrize("table,field", [({"claims": "strategyproof"}, "audit.claims"),
                                         ({"claims": ["no_such_claim"]}, "audit.claims"),
                                         ({"eps": 2.0}, "audit.eps"), ({"agents": float("nan")}, "audit.agents"),
                                         ({"agents": True}, "audit.agents"), ({"agnets": 3}, "audit.agnets"),
                                         ({"deviations": ["nope"]}, "audit.deviations"),
                                         ({"support_draws": 0}, "audit.support_draws"),
                                         ({"per_agent": -1}, "audit.per_agent"), ({"path": "sideways"}, "audit.path")])
def test_audit_table_is_validated(table, field):
    raw = _raw("sd_bundles.toml")
    raw["audit"] = table
    _bad(raw, field)


def test_audit_claims_are_read_from_the_checker_registry(monkeypatch):
    from abm.audit import claims as C

    raw = _raw("sd_bundles.toml")
    raw["audit"] = {"claims": ["brand_new_claim"]}
    _bad(copy.deepcopy(raw), "audit.claims")
    monkeypatch.setitem(C.CLAIM_CHECKERS, "brand_new_claim", C.CLAIM_CHECKERS["strategyproof"])
    assert parse_scenario(raw, EX).audit["claims"] == ["brand_new_claim"]


def test_audit_options_follow_the_dataclass_fields():
    from abm.audit.claims import AuditOptions, audit_option_fields, audit_options_from_table

    fields = audit_option_fields()
    assert {"eps", "support_draws", "path"} <= set(fields)
    assert audit_options_from_table({"eps": 0.2, "support_draws": 3}) == AuditOptions(eps=0.2, support_draws=3)
    with pytest.raises(ConfigError) as e:
        audit_options_from_table({"support_draws": 1.5}, "x")
    assert e.value.field == "x.support_draws"


def test_cli_bad_audit_table_exits_2_with_one_line(tmp_path, capsys):
    text = (EX / "sd_bundles.toml").read_text().replace('agents = 5', 'agents = 5\neps = 2.0')
    p = tmp_path / "s.toml"
    p.write_text(text)
    assert main(["audit", str(p), "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "audit.eps" in err


def test_list_into_a_closed_pipe_has_no_traceback():
    import subprocess
    import sys

    r = subprocess.run(f"{sys.executable} -m abm list | head -c 1 >/dev/null", shell=True, capture_output=True,
                       text=True, cwd=EX.parent, timeout=120)
    assert "Traceback" not in r.stderr and "BrokenPipe" not in r.stderr


def test_negative_bundle_mask_is_an_error_not_a_loop():
    with pytest.raises(ConfigError):
        bundle_items(-5)
    assert bundle_items(0b1011) == (0, 1, 3)
