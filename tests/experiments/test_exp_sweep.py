"""Sweep files: grid expansion, cell keys, and validation that names the bad axis."""
from __future__ import annotations

import pytest
from exp_helpers import write_base, write_sweep

from abm.experiments import cell_key, load_sweep, parse_sweep
from abm.scenario import load_scenario, replication_seed
from mechanisms.errors import ConfigError


def test_grid_expands_axes_in_order_with_replication_seeds(tmp_path):
    p = write_sweep(tmp_path, """
        replications = 3
        [axes]
        "mechanism.name" = ["sd", "rsd"]
        "population.n" = [6, 9]
        "seed" = [5, 6]
    """)
    sw = load_sweep(p)
    assert len(sw.grid) == 8
    assert sw.points()[0] == {"mechanism.name": "sd", "population.n": 6, "seed": 5}
    assert sw.points()[1] == {"mechanism.name": "sd", "population.n": 6, "seed": 6}   # last axis fastest
    assert sw.points()[-1] == {"mechanism.name": "rsd", "population.n": 9, "seed": 6}
    assert [sc.mechanism for sc in sw.grid] == ["sd"] * 4 + ["rsd"] * 4
    tasks = sw.tasks()
    assert len(tasks) == 24
    assert [(t.cell, t.replication) for t in tasks[:4]] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    for t in tasks:
        assert t.seed == replication_seed(t.params["seed"], t.replication)
        assert t.scenario["population"]["n"] == t.params["population.n"]
    assert len({t.key for t in tasks}) == 24
    # keys are stable: the same sweep read again gives the same keys
    assert [t.key for t in load_sweep(p).tasks()] == [t.key for t in tasks]


def test_cell_key_depends_on_scenario_and_seed_not_on_name(tmp_path):
    sc = load_scenario(write_base(tmp_path)).raw
    k = cell_key(sc, 1)
    assert cell_key({**sc, "name": "other", "replications": 9}, 1) == k
    assert cell_key(sc, 2) != k
    assert cell_key({**sc, "mechanism": {"name": "rsd"}}, 1) != k
    assert cell_key(sc, 1, "audit", {"agents": 5}) != k
    assert cell_key(sc, 1, "audit", {"agents": 5}) != cell_key(sc, 1, "audit", {"agents": 6})


def test_more_replications_keep_the_keys_of_earlier_ones(tmp_path):
    a = load_sweep(write_sweep(tmp_path, 'replications = 2\n[axes]\n"population.n" = [6]\n', "a.toml"))
    b = load_sweep(write_sweep(tmp_path, 'replications = 4\n[axes]\n"population.n" = [6]\n', "b.toml"))
    assert [t.key for t in b.tasks()][:2] == [t.key for t in a.tasks()]


def test_inline_base_and_no_axes(tmp_path):
    base = load_scenario(write_base(tmp_path)).raw
    sw = parse_sweep({"base": base, "replications": 2}, tmp_path)
    assert len(sw.grid) == 1 and len(sw.tasks()) == 2
    assert sw.tasks()[0].seed == 5


@pytest.mark.parametrize("axes, field, value", [
    ('"market.capacites" = [1, 2]', "axes.market.capacites", 1),           # unknown field
    ('"population.n" = []', "axes.population.n", []),                       # empty list
    ('"mechanism.name" = ["sd", "nope"]', "axes.mechanism.name", "nope"),   # unknown mechanism
    ('"mechanism.params.eps_b" = [0.1]', "axes.mechanism.params.eps_b", 0.1),  # sd has no eps_b
    ('"population.n" = [4, -1]', "axes.population.n", -1),                  # invalid value
    ('"population.n" = 4', "axes.population.n", 4),                         # not a list
    ('"population.n" = [4, 4]', "axes.population.n", [4, 4]),               # repeated value
    ('"replications" = [1, 2]', "axes.replications", "replications"),       # the sweep's own field
    ('"market.m.x" = [1]', "axes.market.m.x", 1),                           # path through a non-table
])
def test_bad_axis_names_axis_and_value(tmp_path, axes, field, value):
    p = write_sweep(tmp_path, f"replications = 1\n[axes]\n{axes}\n")
    with pytest.raises(ConfigError) as e:
        load_sweep(p)
    assert e.value.field == field
    assert e.value.value == value


def test_incompatible_combination_names_the_combination(tmp_path):
    # n = 3 with 5 truncating agents: each value is fine alone, the pair is not
    p = write_sweep(tmp_path, """
        replications = 1
        [axes]
        "population.n" = [10, 3]
        "strategies.assign" = [[], [{strategy = "truncate:k=1", count = 5}]]
    """)
    with pytest.raises(ConfigError) as e:
        load_sweep(p)
    assert e.value.field == "axes"
    assert e.value.value == {"population.n": 3, "strategies.assign": [{"strategy": "truncate:k=1", "count": 5}]}
    assert "strategies.assign[0].count" in e.value.expected


@pytest.mark.parametrize("body, field", [
    ('kind = "batch"\n', "kind"),
    ('replications = 0\n', "replications"),
    ('kind = "audit"\n[audit]\ndeviations = ["nope"]\n', "audit.deviations"),
    ('kind = "audit"\n[audit]\nagents = 0\n', "audit.agents"),
    ('[audit]\nagents = 2\n', "audit"),
    ('colour = "red"\n', "colour"),
])
def test_bad_sweep_fields(tmp_path, body, field):
    with pytest.raises(ConfigError) as e:
        load_sweep(write_sweep(tmp_path, body))
    assert e.value.field == field


def test_missing_or_bad_base(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('base = "nowhere.toml"\n')
    with pytest.raises(ConfigError) as e:
        load_sweep(p)
    assert e.value.field == "base"
    with pytest.raises(ConfigError) as e:
        parse_sweep({"base": {"market": {"kind": "bundles"}}}, tmp_path)
    assert e.value.field.startswith("base.")
    with pytest.raises(ConfigError) as e:
        load_sweep(tmp_path / "absent.toml")
    assert e.value.field == "sweep"


def test_audit_options_merge_scenario_table_and_sweep_table(tmp_path):
    base = load_scenario(write_base(tmp_path)).raw
    base["audit"] = {"deviations": ["swaps"], "agents": 2}
    sw = parse_sweep({"base": base, "kind": "audit", "replications": 1, "audit": {"agents": 3}}, tmp_path)
    assert sw.audit == {"agents": 3}                    # only what the sweep gives (part of the key)
    assert sw.tasks()[0].audit == {"agents": 3}
    # the scenario's own [audit] table is validated at every grid point, before anything runs
    bad = {**base, "audit": {"deviations": ["nope"]}}
    with pytest.raises(ConfigError) as e:
        parse_sweep({"base": bad, "kind": "audit", "replications": 1}, tmp_path)
    assert e.value.field in ("audit.deviations", "base.audit.deviations") and e.value.value == "nope"
    # an axis over an audit option
    sw = parse_sweep({"base": base, "kind": "audit", "replications": 1, "axes": {"audit.eps": [0.05, 0.1]}}, tmp_path)
    assert [sc.audit["eps"] for sc in sw.grid] == [0.05, 0.1]
    assert len({t.key for t in sw.tasks()}) == 2


def test_coalition_graph_axis(tmp_path):
    # the coalition structure as an axis: none, an explicit group, a random graph's groups
    p = write_sweep(tmp_path, """
        kind = "audit"
        replications = 1
        [axes]
        "coalitions" = [[], [{members = [0, 1], strategy = "common_type"}],
                        [{graph = "erdos_renyi:p=0.5", size = 2, count = 1, strategy = "common_type"}]]
    """)
    sw = load_sweep(p)
    assert [len(sc.raw["coalitions"]) for sc in sw.grid] == [0, 1, 1]
    bad = write_sweep(tmp_path, 'replications = 1\n[axes]\n"coalitions" = [[{members = [0, 99], strategy = "common_type"}]]\n',
                      "bad.toml")
    with pytest.raises(ConfigError) as e:
        load_sweep(bad)
    assert e.value.field == "axes.coalitions" and "members" in e.value.expected
