"""The agent-based layer: Mesa model, agents, arrivals, scenarios, runner, auditor, CLI.

Typical use::

    from abm import load_scenario, build_run
    sc = load_scenario("examples/sd_bundles.toml")
    model = build_run(sc, sc.seed).run()
    model.agent_table()
"""
from .agents import Participant
from .model import AllocationModel
from .runner import ScenarioResult, run_scenario, write_tables
from .scenario import SOURCES, Population, Scenario, build_run, load_scenario, parse_scenario, replication_seed

__all__ = ["AllocationModel", "Participant", "Population", "SOURCES", "Scenario", "ScenarioResult",
           "build_run", "load_scenario", "parse_scenario", "replication_seed", "run_scenario", "write_tables"]
