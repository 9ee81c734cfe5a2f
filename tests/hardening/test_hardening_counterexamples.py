"""Counterexample files are data (issue 12, item 1): no pickle, no import by name, every field checked."""
import base64
import json
import pickle

import pytest

from abm.audit import load_counterexample, replay_counterexample
from abm.audit.counterexample import FORMAT, Counterexample
from mechanisms import ConfigError
from mechanisms.reports import BundleOutcome

import fuzz_helpers as F


class _Boom:
    def __reduce__(self):
        return (exec, ("import pathlib; pathlib.Path(__import__('os').environ['BOOM']).write_text('ran')",))


@pytest.fixture(scope="module")
def cx_file(tmp_path_factory):
    return F.make_counterexamples(tmp_path_factory.mktemp("cx"))[0]


def _write(tmp_path, d):
    p = tmp_path / "cx.json"
    p.write_text(json.dumps(d))
    return p


def test_version_1_files_are_rejected_with_how_to_regenerate(tmp_path, cx_file):
    d = json.loads(cx_file.read_text())
    assert d["format"] == FORMAT == "abm-audit-counterexample/3"
    d["format"] = "abm-audit-counterexample/1"
    with pytest.raises(ConfigError) as e:
        load_counterexample(_write(tmp_path, d))
    assert e.value.field == "counterexample.format" and "python -m abm audit" in e.value.expected


@pytest.mark.parametrize("where", ["extra", "params"])
def test_pickle_payloads_are_never_unpickled(tmp_path, cx_file, monkeypatch, where):
    marker = tmp_path / "ran"
    monkeypatch.setenv("BOOM", str(marker))
    d = json.loads(cx_file.read_text())
    payload = {"__pickle__": base64.b64encode(pickle.dumps(_Boom())).decode(), "class": "builtins:exec"}
    if where == "extra":
        d["market"]["extra"]["x"] = payload
    else:
        d["mechanism"]["params"]["x"] = payload
    p = _write(tmp_path, d)
    try:
        replay_counterexample(p)
    except ConfigError:
        pass
    assert not marker.exists()


def test_market_class_field_is_not_imported(tmp_path, cx_file):
    d = json.loads(cx_file.read_text())
    d["market"]["class"] = "os:system"
    d["market"]["fields"] = {"command": "echo ran"}
    with pytest.raises(ConfigError) as e:
        load_counterexample(_write(tmp_path, d))
    assert e.value.field == "counterexample.market.class"


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d["deviation"]["agents"][0]["deviating_outcome"].update(bundle=-3), "deviating_outcome.bundle"),
    (lambda d: d["deviation"]["agents"][0]["true"].update(m=10**15), "true.m"),
    (lambda d: d.update(seed=2**64), "counterexample.seed"),
    (lambda d: d["options"].update(eps=5), "counterexample.options.eps"),
    (lambda d: d.update(surprise=1), "counterexample.surprise"),
    (lambda d: d["mechanism"].update(name="os.system"), "counterexample.mechanism.name"),
    (lambda d: d["schedule"][0].append(d["schedule"][0][0]), "agent"),
])
def test_every_field_is_validated(tmp_path, cx_file, mutate, field):
    d = json.loads(cx_file.read_text())
    mutate(d)
    with pytest.raises(ConfigError) as e:
        load_counterexample(_write(tmp_path, d))
    assert field in e.value.field, str(e.value)


def test_oversized_and_nested_and_non_utf8_files(tmp_path, monkeypatch):
    import abm.audit.counterexample as C

    p = tmp_path / "cx.json"
    p.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ConfigError, match="UTF-8"):
        load_counterexample(p)
    p.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nested"):
        load_counterexample(p)
    monkeypatch.setattr(C, "MAX_FILE_BYTES", 10)
    p.write_text(json.dumps({"format": FORMAT, "pad": "x" * 100}))
    with pytest.raises(ConfigError, match="at most 10 bytes"):
        load_counterexample(p)


def test_shortcut_outcomes_and_finding_round_trip(tmp_path, cx_file):
    cx = load_counterexample(cx_file)
    a = next(iter(cx.reports))
    o = cx.deviation_outcomes[a]
    cx.shortcut_outcomes = {a: BundleOutcome(o.agent, o.tick, 0)}
    cx.finding = "shortcut inconsistent"
    d = json.loads(json.dumps(cx.to_json()))
    assert d["finding"] == "shortcut inconsistent" and d["deviation"]["agents"][0]["shortcut_outcome"]["bundle"] == 0
    back = Counterexample.from_json(d)
    assert back.shortcut_outcomes == cx.shortcut_outcomes and back.finding == cx.finding
    assert back.truth == cx.truth and back.schedule == cx.schedule


def test_a_procurement_counterexample_stores_its_valuation_as_data():
    import tempfile
    import pathlib

    with tempfile.TemporaryDirectory() as d:
        files = F.make_counterexamples(pathlib.Path(d))
        proc = json.loads(files[1].read_text())
        assert proc["market"]["extra"]["valuation"]["$data"].startswith("valuation:")
        assert "__pickle__" not in files[1].read_text()
        assert replay_counterexample(files[1]).reproduced


def test_opaque_market_parts_are_rebuilt_from_the_scenario_and_checked(tmp_path):
    from abm.audit import set_scenario_loader
    from abm.audit.cli import _scenario_loader

    set_scenario_loader(_scenario_loader)
    files = F.make_counterexamples(tmp_path / "made")
    d = json.loads(files[1].read_text())
    d["market"]["extra"]["valuation"] = {"$opaque": "mechanisms.procurement.valuations.SetFunction"}
    assert replay_counterexample(_write(tmp_path, d)).reproduced  # rebuilt through the scenario loader
    d["market"]["n_agents"] += 1
    with pytest.raises(ConfigError) as e:
        replay_counterexample(_write(tmp_path, d))
    assert e.value.field == "counterexample.market.n_agents"
    d["scenario"] = None
    with pytest.raises(ConfigError) as e:
        load_counterexample(_write(tmp_path, d))
    assert e.value.field == "counterexample.scenario"
