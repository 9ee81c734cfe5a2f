"""The agent-based layer: Mesa model, agents, arrivals, scenarios, runner, auditor, CLI.

Typical use::

    from abm import load_scenario, build_run
    sc = load_scenario("examples/sd_bundles.toml")
    model = build_run(sc, sc.seed).run()
    model.agent_table()

One call from a notebook (:mod:`abm.api`)::

    import abm
    res = abm.audit("examples/sd_bundles.toml", replications=3)   # or a Scenario, or a dict
    res.table(), res.verdicts(), res.counterexamples, res.plot()
    abm.search("examples/sem_three_arrivals.toml").verdicts()[0]

``abm.audit`` is also the auditor's package (``abm.audit.audit(factory, schedule, ...)``, the
low-level entry point); calling the package itself runs :func:`abm.api.audit`.
"""
from .agents import Participant
from .model import AllocationModel
from .runner import ScenarioResult, run_scenario, write_tables
from .populations import SOURCES, Population
from .scenario import Scenario, build_run, load_scenario, parse_scenario, replication_seed

from . import audit as _audit_package  # noqa: E402  (the auditor; made callable below)
from .api import AuditResult, SearchResult, replay, search  # noqa: E402
from .api import make_callable as _make_callable  # noqa: E402

_make_callable(_audit_package)

__all__ = ["AllocationModel", "AuditResult", "SearchResult", "audit", "replay", "search",  # abm.api
           "Participant", "Population", "SOURCES", "Scenario", "ScenarioResult",
           "build_run", "load_scenario", "parse_scenario", "replication_seed", "run_scenario", "write_tables"]
