"""Bring your own mechanism (issue 14, item 3): a mechanism written in a separate file is audited
without touching the package, loaded by ``module:Class`` with an explicit opt-in or by an entry
point of the group ``mechbed.mechanisms``."""
import contextlib
import importlib.metadata
import io
import os
import pathlib
import re
import subprocess
import sys

import pandas as pd
import pytest

import abm
import abm.experiments as ex
from abm.cli import main
from mechanisms import plugins
from mechanisms.errors import ConfigError
from mechanisms.mechanism_registry import MECHANISMS

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "byo" / "my_mechanism.py"

SCENARIO = """name = "byo"
seed = 11
[market]
kind = "procurement"
budget = 2.0
[population]
source = "explicit"
costs = [0.2, 0.9, 0.4, 0.6, 0.3, 0.8, 0.1, 0.7]
[mechanism]
name = "{name}"
params = {{ hires = 4 }}
[audit]
deviations = ["bid_changes"]
agents = 8
"""


def _cli(*argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


def _write(tmp_path: pathlib.Path, source: str, name: str, module: str = "my_mech") -> pathlib.Path:
    (tmp_path / f"{module}.py").write_text(source)
    p = tmp_path / "scenario.toml"
    p.write_text(SCENARIO.format(name=name))
    return p


def _pay_the_bid(name: str) -> str:
    """The tutorial's mechanism broken on purpose: pays max(bid, price), so bidding up pays."""
    src = EXAMPLE.read_text().replace('name="posted_price"', f'name="{name}"')
    src = src.replace("hired = bid <= self.price and self.price <= self.left + 1e-12",
                      "hired = bid <= 2 * self.price and max(bid, self.price) <= self.left + 1e-12")
    src = src.replace("self.left -= self.price if hired else 0.0", "self.left -= max(bid, self.price) if hired else 0.0")
    src = src.replace("self.price if hired else 0.0, self.price, bid", "max(bid, self.price) if hired else 0.0, self.price, bid")
    assert src.count("max(bid, self.price)") == 3
    return src


def test_tutorial_mechanism_is_short_and_the_doc_shows_it():
    code = EXAMPLE.read_text()
    assert len(code.splitlines()) < 50
    doc = (ROOT / "docs" / "bring_your_own_mechanism.md").read_text()
    block = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    assert block.strip() in code  # the tutorial's code is the example file's


def test_scenario_files_are_data_without_the_opt_in(tmp_path):
    sc = _write(tmp_path, EXAMPLE.read_text(), "my_mech:PostedPrice")
    with pytest.raises(ConfigError, match=r"mechanism\.name.*--allow-import.*allow_import=True"):
        abm.audit(sc)
    assert "posted_price" not in MECHANISMS  # nothing was imported
    status, _, err = _cli("audit", str(sc), "--quiet")
    assert status == 2 and "--allow-import" in err


def test_the_example_is_audited_with_the_opt_in():
    res = abm.audit(ROOT / "examples" / "byo" / "scenario.toml", allow_import=True)
    assert "posted_price" in MECHANISMS and plugins.ORIGINS["posted_price"] == "my_mechanism.py:PostedPrice"
    v = res.verdicts()
    assert v[0].startswith("consistent with universal truthfulness") and res.report.checked("universal_truthfulness") == 64
    assert not res.counterexamples


def test_a_broken_plugin_is_caught_and_its_counterexample_replays_from_the_file_alone(tmp_path):
    sc = _write(tmp_path, _pay_the_bid("pay_the_bid"), "my_mech:PostedPrice")
    res = abm.audit(sc, allow_import=True, save=tmp_path / "out")
    assert res.verdicts()[0].startswith("universal truthfulness violated"), res.verdicts()
    files = sorted((tmp_path / "out" / "counterexamples").glob("universal_truthfulness-*.json"))
    assert files
    # a fresh process knows nothing of the plugin: forget it, then replay as `python -m abm replay`
    del MECHANISMS._entries["pay_the_bid"]
    plugins._IMPORTED.clear()
    status, out, err = _cli("replay", str(files[0]))
    assert status == 2 and "--allow-import" in err and "pay_the_bid" not in MECHANISMS
    status, out, err = _cli("replay", str(files[0]), "--allow-import")
    assert status == 0, err
    assert "reproduced" in out and "pay_the_bid" in MECHANISMS


def test_entry_point_in_the_users_own_package(tmp_path, monkeypatch):
    """An installed package declaring ``ep_posted = "users_pkg_mech:PostedPrice"`` in the group
    ``mechbed.mechanisms`` (faked: importlib.metadata.entry_points is monkeypatched)."""
    (tmp_path / "users_pkg_mech.py").write_text(EXAMPLE.read_text().replace('name="posted_price"', 'name="ep_posted"'))
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = importlib.metadata.EntryPoint("ep_posted", "users_pkg_mech:PostedPrice", plugins.ENTRY_POINT_GROUP)
    real = importlib.metadata.entry_points

    def fake(**kw):
        if kw.get("group") == plugins.ENTRY_POINT_GROUP:
            return importlib.metadata.EntryPoints([ep])
        return real(**kw)

    monkeypatch.setattr(importlib.metadata, "entry_points", fake)
    sc = tmp_path / "scenario.toml"
    sc.write_text(SCENARIO.format(name="ep_posted"))
    res = abm.audit(sc)  # no opt-in needed: installing the package was the opt-in
    assert res.scenario.mechanism == "ep_posted" and plugins.ORIGINS["ep_posted"].startswith("entry point")
    assert res.verdicts()[0].startswith("consistent with universal truthfulness")
    res2 = abm.search(sc, agents=[0, 6], budget=60)
    assert res2.answer().startswith("none found")


def test_bad_plugins_are_refused_with_the_reason(tmp_path):
    with pytest.raises(ConfigError, match="taken by the built-in"):
        abm.audit(_write(tmp_path, EXAMPLE.read_text().replace('name="posted_price"', 'name="sd"'), "my_mech:PostedPrice"),
                  allow_import=True)
    d = tmp_path / "b"
    d.mkdir()
    with pytest.raises(ConfigError, match="OnlineMechanism"):
        abm.audit(_write(d, "class PostedPrice:\n    pass\n", "my_mech:PostedPrice"), allow_import=True)
    d = tmp_path / "c"
    d.mkdir()
    with pytest.raises(ConfigError, match="a class 'Nope'"):
        abm.audit(_write(d, EXAMPLE.read_text().replace("posted_price", "pp_c"), "my_mech:Nope"), allow_import=True)
    d = tmp_path / "d"
    d.mkdir()
    with pytest.raises(ConfigError, match="imports"):
        abm.audit(_write(d, "raise RuntimeError('boom')\n", "my_mech:PostedPrice"), allow_import=True)
    with pytest.raises(ConfigError, match="registered mechanisms"):
        abm.audit(_write(tmp_path / "b", "", "no_such_mechanism"))


# ---- a mechanism of one's own (module:Class) in dask workers ------------------------------------

BYO = ROOT / "examples" / "byo" / "scenario.toml"


def _byo_sweep(tmp: pathlib.Path) -> pathlib.Path:
    p = tmp / "byo_sweep.toml"
    p.write_text(f'base = "{BYO}"\nname = "byo"\nreplications = 2\n[axes]\n"mechanism.params.hires" = [2, 4]\n')
    return p


def test_plugin_sweep_runs_in_workers_with_the_opt_in(tmp_path):
    """module:Class is re-imported from the same file in each worker: the tables equal serial's."""
    sweep = _byo_sweep(tmp_path)
    serial = ex.run_sweep(ex.load_sweep(sweep, allow_import=True), tmp_path / "serial", backend="serial", quiet=True)
    local = ex.run_sweep(ex.load_sweep(sweep, allow_import=True), tmp_path / "local", backend="local", workers=1,
                         quiet=True)
    assert (serial.done, serial.failed) == (local.done, local.failed) == (4, 0)
    pd.testing.assert_frame_equal(ex.load(tmp_path / "local"), ex.load(tmp_path / "serial"))
    runs = ex.load(tmp_path / "local", timings=True)
    assert all(w.split(":")[1] != str(os.getpid()) for w in runs["worker"])   # ran in a worker process
    assert set(runs["mechanism"]) == {"posted_price"} and runs["hired"].gt(0).all()


def test_plugin_sweep_without_the_opt_in_is_refused_up_front(tmp_path):
    # a fresh process: the opt-in, once given in a process, covers its later reads (mechanisms.plugins)
    sweep, out = _byo_sweep(tmp_path), tmp_path / "exp"
    cmd = [sys.executable, "-m", "abm", "sweep", str(sweep), "--out", str(out), "--serial", "--quiet"]
    refused = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert refused.returncode == 2 and "base.mechanism.name" in refused.stderr and "--allow-import" in refused.stderr
    assert not out.exists()                                   # nothing written
    ran = subprocess.run(cmd + ["--allow-import"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert ran.returncode == 0 and "4 done, 0 failed" in ran.stdout, ran.stderr


def test_a_mechanism_that_crashes_stops_the_run_with_one_line_naming_it(tmp_path, capsys):
    """python -m abm run: a crash inside step is reported as the mechanism's, with its tick, exit 1."""
    from abm.cli import main

    (tmp_path / "crashy.py").write_text(
        "import importlib.util, pathlib\n"
        f"spec = importlib.util.spec_from_file_location('byo_tut', {str(ROOT / 'examples/byo/my_mechanism.py')!r})\n"
        "mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "import dataclasses\n"
        "class Crashy(mod.PostedPrice):\n"
        "    spec = dataclasses.replace(mod.PostedPrice.spec, name='crashy_tutorial')\n"
        "    def step(self, tick, reports):\n"
        "        if tick == 3:\n"
        "            raise KeyError('lost')\n"
        "        return super().step(tick, reports)\n")
    text = (ROOT / "examples/byo/scenario.toml").read_text().replace("my_mechanism.py:PostedPrice", "crashy.py:Crashy")
    (tmp_path / "s.toml").write_text(text)
    out = tmp_path / "out"
    assert main(["run", str(tmp_path / "s.toml"), "--allow-import", "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "crashy_tutorial tick 3: step raised KeyError" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
