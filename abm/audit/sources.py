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

SOURCES = ("strategies", "truncations", "swaps", "disguises", "bid_changes", "same_period", "random")


def random_deviations(true_types: Mapping[int, AgentType], market, rng: np.random.Generator, count: int,
                      type_space=None, ticks: Mapping[int, int] | None = None) -> list[Deviation]:
    """Return ``count`` unilateral deviations drawn i.i.d. from a declared distribution.

    The random-sample design of docs/audit.md ("Honest statistics"): the agent is uniform over
    every agent; the report is uniform over the families that apply to its type (bundle
    rankings: a truncation to a uniform k, a swap of a uniform adjacent pair, the least
    preferred bundle dropped, a uniform random re-ordering of a uniform subset; weak orders: a
    swap of a uniform adjacent pair of classes, or a uniform type of its period's type space
    when the market knows it; costs: a bid uniform on [0, B]). A draw equal to the true type is
    redrawn (at most 20 times). Labels are ``random:<family>``; every deviation has design
    ``"random"``, so verdicts give exact binomial intervals for that population.
    """
    from mechanisms.preferences import BundleRanking, Cost, WeakOrder

    agents = sorted(true_types)
    budget = None
    extra = getattr(market, "extra", None)
    if isinstance(extra, Mapping) and extra.get("budget") is not None:
        budget = float(extra["budget"])
    out: list[Deviation] = []
    while len(out) < count and agents:
        a = agents[int(rng.integers(len(agents)))]
        t = true_types[a]
        for _ in range(20):
            fam, d = None, None
            if isinstance(t, BundleRanking) and len(t.bundles) >= 2:
                fam = ("truncate", "swap", "disguise", "reorder")[int(rng.integers(4))]
                b = list(t.bundles)
                if fam == "truncate":
                    d = BundleRanking(t.m, tuple(b[: int(rng.integers(1, len(b)))]))
                elif fam == "swap":
                    r = int(rng.integers(len(b) - 1))
                    b[r], b[r + 1] = b[r + 1], b[r]
                    d = BundleRanking(t.m, tuple(b))
                elif fam == "disguise":
                    d = BundleRanking(t.m, tuple(b[:-1]))
                else:
                    k = int(rng.integers(1, len(b) + 1))
                    d = BundleRanking(t.m, tuple(b[i] for i in rng.permutation(len(b))[:k]))
            elif isinstance(t, WeakOrder):
                space = list(type_space(ticks[a])) if type_space is not None and ticks is not None else []
                if space and rng.random() < 0.5:
                    fam, d = "period-type", space[int(rng.integers(len(space)))]
                elif len(t.classes) >= 2:
                    c = list(t.classes)
                    r = int(rng.integers(len(c) - 1))
                    c[r], c[r + 1] = c[r + 1], c[r]
                    fam, d = "swap", WeakOrder(t.n_objects, tuple(c))
            elif isinstance(t, Cost):
                hi = budget if budget is not None else max(1.0, 4 * t.value)
                fam, d = "bid", Cost(float(rng.random() * hi))
            if d is not None and d != t:
                out.append(Deviation({a: d}, f"random:{fam}", design="random"))
                break
        else:
            continue
    return out


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
        elif source == "random":
            sem = model.market.extra.get("sem") if isinstance(model.market.extra, dict) else None
            space = None if sem is None else (lambda t: [o for o, _ in sem.period_types(t + 1)])
            ticks = {r.agent: t for t, tick in enumerate(truthful) for r in tick}
            rng = model.streams.get("audit", "random")  # a purpose-keyed stream of the run's seed
            yield from random_deviations(true_types, model.market, rng, int(spec.get("random_deviations", 200)),
                                         space, ticks)
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
