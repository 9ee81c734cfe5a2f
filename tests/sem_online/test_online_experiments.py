"""The placement experiment with homes arriving over time, its script, sweep and notebook (issue 17)."""
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from mechanisms import make_mechanism, run_schedule
from mechanisms.errors import ConfigError
from mechanisms.sem import arrival_schedule
from mechanisms.sem.experiments import summarize_placement
from mechanisms.sem.online_experiments import (
    FOSTER_MECHANISMS,
    foster_experiment,
    foster_market,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_experiment_rows_and_common_random_numbers():
    df = foster_experiment(ns=(1, 3), markets=3, seed=2)
    assert len(df) == 2 * 3 * len(FOSTER_MECHANISMS)
    # every mechanism sees the same children and homes in market r
    g = df.groupby(["n", "market"])
    assert (g["children"].nunique() == 1).all() and (g["homes"].nunique() == 1).all()
    assert (df["placed"] <= df["max_possible"]).all()
    # the upfront reference never places fewer children than the greedy baseline would need homes for
    s = summarize_placement(df)
    assert set(s["mechanism"]) == set(FOSTER_MECHANISMS) and (s["count"] == 3).all()
    again = foster_experiment(ns=(1, 3), markets=3, seed=2)
    assert df.equals(again)
    with pytest.raises(ConfigError, match="mechanisms"):
        foster_experiment(ns=(1,), markets=1, mechanisms=("magic",))
    with pytest.raises(ConfigError, match="reading"):
        foster_market(2, "plenty")


def test_baselines_only_serve_homes_present():
    mk = foster_market(5)
    arr = mk.sample_supply(np.random.default_rng(0))
    sched, _ = arrival_schedule(mk.sample_arrivals(np.random.default_rng(1)))
    for inner in ("sd_rtb", "sd", "eps"):
        run = run_schedule(lambda: make_mechanism("arriving_supply", mk.market(arr), {"inner": inner}), sched, 3)
        used = np.zeros((4, 2))
        for o in run.outcomes.values():
            if o.obj < 2:
                used[o.tick, o.obj] += 1
        assert np.all(np.cumsum(used, axis=0) <= np.cumsum(arr, axis=0)), inner


def test_script_writes_tables(tmp_path):
    r = subprocess.run([sys.executable, "examples/sem_online_placement.py", "--out", str(tmp_path), "--markets", "2",
                        "--ns", "1", "2", "--readings", "matched", "--no-plot"], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    for f in ("placement_runs.csv", "placement_summary.csv", "placement_summary.md"):
        assert (tmp_path / f).exists()
    assert "sem_online" in (tmp_path / "placement_summary.md").read_text()


def test_notebook_is_small_and_has_no_outputs():
    nb = json.loads((ROOT / "notebooks" / "sem_online.ipynb").read_text())
    assert nb["nbformat"] == 4 and nb["cells"]
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None
            compile("".join(c["source"]), "cell", "exec")


def test_sweep_file_expands():
    from abm.experiments.sweep import load_sweep

    sw = load_sweep(ROOT / "examples" / "sweeps" / "sem_online.toml")
    names = {t.scenario["mechanism"]["name"] for t in sw.tasks()}
    assert names == {"sem_online", "sem_upfront", "arriving_supply"}


def test_docs_worked_example_runs():
    text = (ROOT / "docs" / "sem_online.md").read_text()
    block = text.split("```python", 1)[1].split("```", 1)[0]
    g: dict = {}
    exec(compile(block, "docs/sem_online.md", "exec"), g)
    assert g["mk"].cumulative_expected(1, 4).tolist() == [10.0, 10.0]   # as the comment says
    assert g["run"].mechanism.plan(0)["prices"].shape == (4, 2)
