"""Deviations named by a scenario's ``[audit]`` table (the deviation sources of issue 7).

``deviations`` lists sources: ``"strategies"`` (the misreports and coalitions the run's agents
actually made, each group as one deviation), ``"truncations"``, ``"swaps"``, ``"disguises"``
(report another agent's type), ``"bid_changes"`` (procurement), ``"same_period"`` (SEM:
another type of the same arrival period). ``agents`` (default 5) probes that many agents spread
evenly over the arrival order, so early (sample) and late agents are both covered.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError
from mechanisms.preferences import AgentType
from mechanisms.reports import Report

from . import search
from .replay import Deviation

SOURCES = ("strategies", "truncations", "swaps", "disguises", "bid_changes", "same_period")


def scenario_deviations(model, truthful: Sequence[Sequence[Report]], true_types: Mapping[int, AgentType],
                        spec: Mapping[str, Any]) -> Iterator[Deviation]:
    """Yield the deviations named by ``spec["deviations"]`` for the run of ``model``.

    Raises :class:`ConfigError` naming ``audit.deviations`` for an unknown source.
    """
    order = [i for tick in model.schedule for i in tick]
    k = int(spec.get("agents", 5))
    probe = sorted({order[int(j)] for j in np.linspace(0, len(order) - 1, num=min(k, len(order)))})
    for source in spec.get("deviations", ["strategies"]):
        if source == "strategies":
            groups: dict[Any, dict[int, AgentType]] = {}
            labels: dict[Any, str] = {}
            for p in model.participants:
                if p.report is not None and not p.truthful:
                    g = ("coalition", p.coalition.key) if p.coalition is not None else ("agent", p.agent_id)
                    groups.setdefault(g, {})[p.agent_id] = p.report.declared
                    labels[g] = p.strategy_label
            for g in sorted(groups):
                yield Deviation(groups[g], labels[g])
        elif source == "truncations":
            yield from search.truncations(true_types, probe)
        elif source == "swaps":
            yield from search.adjacent_swaps(true_types, probe)
        elif source == "disguises":
            yield from search.disguises(true_types, probe)
        elif source == "bid_changes":
            yield from search.bid_changes(true_types, probe)
        elif source == "same_period":
            # Definition 6 ranges over the period's whole type space when the market knows it (SEM)
            sem = model.market.extra.get("sem") if isinstance(model.market.extra, dict) else None
            space = None if sem is None else (lambda t: [o for o, _ in sem.period_types(t + 1)])
            yield from search.same_period_misreports(truthful, true_types, limit_per_agent=spec.get("per_agent", 1),
                                                     type_space=space)
        else:
            raise ConfigError("audit.deviations", source, f"one of {list(SOURCES)}")


class ScenarioRun:
    """A scenario's run and what an audit of it needs (shared by the CLI, sweeps and the demo).

    Attributes: ``model`` (the run, strategies included), ``true_types`` (agent -> true type),
    ``truthful`` (the schedule with every agent truthful: the audit's baseline), ``factory``
    (returns a fresh mechanism configured as in the scenario) and ``scenario`` (the raw
    scenario with its seed and base directory, as counterexamples store it).
    """

    def __init__(self, sc, seed: int):
        from ..scenario import build_run
        from .counterexample import build_mechanism

        self.model = build_run(sc, seed).run()
        self.true_types = {p.agent_id: p.true_type for p in self.model.participants}
        self.truthful = [[Report(i, self.true_types[i]) for i in tick] for tick in self.model.schedule]
        market, name, params = self.model.market, sc.mechanism, dict(sc.mechanism_params)
        self.factory = lambda: build_mechanism(name, market, params)
        self.scenario = {**sc.raw, "seed": int(seed), "base_dir": str(sc.base_dir)}

    def deviations(self, spec: Mapping[str, Any]) -> list[Deviation]:
        """Return the deviations ``spec`` (an ``[audit]`` table) names for this run."""
        return list(scenario_deviations(self.model, self.truthful, self.true_types, spec))
