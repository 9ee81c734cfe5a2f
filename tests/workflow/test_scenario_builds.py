"""One scenario build per run (issue 18, item 4): validation builds a run's parts once and never the
model; the run of the scenario's own seed reuses them; a sweep cell builds its run once."""
import pathlib
import pickle
import tomllib

import pandas as pd
import pytest

from abm import scenario
from abm.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[2]
SD = ROOT / "examples" / "sd_bundles.toml"


@pytest.fixture
def builds(monkeypatch):
    """Count the builds of a run's parts (population, mechanism, strategies, coalitions)."""
    calls: list[int] = []
    real = scenario._build_parts

    def counted(sc, seed, overrides):
        calls.append(int(seed))
        return real(sc, seed, overrides)

    monkeypatch.setattr(scenario, "_build_parts", counted)
    return calls


def test_validation_builds_the_parts_once_and_the_run_of_that_seed_reuses_them(builds):
    sc = scenario.load_scenario(SD)
    assert builds == [sc.seed]
    first = scenario.build_run(sc, sc.seed).run().agent_table()
    assert builds == [sc.seed]                       # the parts validation built, not a second build
    again = scenario.build_run(sc, sc.seed).run().agent_table()
    assert builds == [sc.seed, sc.seed]              # used once: a second run builds fresh parts
    pd.testing.assert_frame_equal(first, again)      # and the reused parts were those of a fresh build
    scenario.build_run(sc, sc.seed + 1)
    assert builds == [sc.seed, sc.seed, sc.seed + 1]


def test_parts_are_never_pickled(builds):
    sc = scenario.load_scenario(SD)
    copy = pickle.loads(pickle.dumps(sc))
    assert copy == sc and copy.take_prepared(sc.seed) is None and sc.take_prepared(sc.seed) is not None


def test_audit_command_builds_each_run_once(builds, capsys):
    seed = tomllib.loads(SD.read_text())["seed"]
    assert main(["audit", str(SD), "--quiet", "--replications", "2"]) == 0
    capsys.readouterr()
    assert builds == [seed, scenario.replication_seed(seed, 1)]   # validation's build is replication 0's


def test_a_sweep_cell_builds_its_run_once(builds, tmp_path):
    from abm.experiments import cells
    from abm.experiments.sweep import parse_sweep

    sw = parse_sweep({"base": {"seed": 4, "market": {"kind": "bundles", "m": 3, "capacity": 2,
                                                     "max_bundle_size": 2},
                               "population": {"source": "scores", "n": 6}, "mechanism": {"name": "sd"}},
                      "replications": 2, "axes": {"mechanism.name": ["sd", "rsd"]}})
    validated = len(builds)
    assert validated == 3                            # the base and each grid point, in the driver
    tasks = sw.tasks()
    for task in tasks:
        out = cells.run_cell(pickle.loads(pickle.dumps(task)))  # as a worker receives it
        assert out["status"] == "done", out["error"]
    assert builds[validated:] == [t.seed for t in tasks]             # one build per cell, none to validate
