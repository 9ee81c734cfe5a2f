import pathlib
import subprocess
import sys

import pandas as pd
import pytest

from abm.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]

GOOD = """
name = "t"
seed = 1
[market]
kind = "bundles"
goods = ["a", "b"]
capacities = [1, 1]
max_bundle_size = 2
[population]
source = "explicit"
[[population.types]]
count = 3
ranking = [["a", "b"], ["a"]]
[mechanism]
name = "sd"
"""


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


@pytest.mark.parametrize("edit, field, value", [
    (('name = "sd"', 'name = "nope"'), "mechanism.name", "'nope'"),
    (("capacities = [1, 1]", "capacities = [1, -2]"), "market.capacities[1]", "-2"),
    (('ranking = [["a", "b"], ["a"]]', 'ranking = [["a", "z"], ["a"]]'), "population.types[0].ranking[0]", "'z'"),
    (("max_bundle_size = 2", "max_bundle_size = 1"), "population.types[0].ranking[0]", "['a', 'b']"),
    (('kind = "bundles"\n', ''), "market.kind", "None"),
    (("count = 3", 'count = "three"'), "population.types[0].count", "'three'"),
    (("seed = 1", "seed = -4"), "seed", "-4"),
    (("capacities = [1, 1]", "capacites = [1, 1]"), "market.capacity", "None"),
    (('[mechanism]\nname = "sd"', '[mechanism]\nname = "sd"\nparams = { order = "sideways" }'),
     "mechanism.params.order", "'sideways'"),
])
def test_bad_scenarios_name_field_and_value_and_write_nothing(tmp_path, capsys, edit, field, value):
    text = GOOD.replace(*edit)
    assert text != GOOD
    out = tmp_path / "out"
    rc = main(["run", str(_write(tmp_path, text)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2
    assert f"{field} = {value}" in err, err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_run_writes_tables_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(_write(tmp_path, GOOD)), "--out", str(out), "--quiet"]) == 0
    agents = pd.read_csv(out / "agents.csv")
    assert len(agents) == 3 and set(agents["agent"]) == {0, 1, 2}
    assert agents["truthful"].all()
    assert (out / "ticks.csv").exists() and "sd" in (out / "summary.txt").read_text()
    before = (out / "agents.csv").read_text()
    assert main(["run", str(_write(tmp_path, GOOD)), "--out", str(out), "--quiet"]) == 2
    assert "--out" in capsys.readouterr().err
    assert (out / "agents.csv").read_text() == before  # stored results untouched


def test_parquet_and_replications(tmp_path):
    out = tmp_path / "pq"
    assert main(["run", str(_write(tmp_path, GOOD)), "--out", str(out), "--format", "parquet",
                 "--replications", "3", "--quiet"]) == 0
    df = pd.read_parquet(out / "agents.parquet")
    assert sorted(df["replication"].unique()) == [0, 1, 2]
    assert df["seed"].nunique() == 3


def test_examples_run_from_the_command_line(tmp_path):
    for ex in sorted((ROOT / "examples").glob("*.toml")):
        r = subprocess.run([sys.executable, "-m", "abm", "run", str(ex), "--out", str(tmp_path / ex.stem), "--quiet"],
                           cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (ex.name, r.stderr)
        assert (tmp_path / ex.stem / "summary.txt").exists()
