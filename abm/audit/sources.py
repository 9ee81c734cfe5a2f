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

from . import deviations as lists
from .replay import Deviation

SOURCES = ("strategies", "truncations", "swaps", "disguises", "bid_changes", "same_period", "random")


def random_deviations(true_types: Mapping[int, AgentType], market, rng: np.random.Generator, count: int,
                      type_space=None, ticks: Mapping[int, int] | None = None) -> list[Deviation]:
    """Return ``count`` unilateral deviations drawn i.i.d. from a declared distribution.

    The random-sample design of docs/audit.md ("Honest statistics"): the agent is uniform over
    every agent; the report is uniform over the families that apply to its type (bundle
    rankings: a truncation to a uniform k, a swap of a uniform adjacent pair, the least
    preferred bundle dropped, a uniform random re-ordering of a uniform subset; weak orders: a
    swap of a uniform adjacent pair of the classes above the null option, or a uniform type of
    its period's type space when the market knows it; costs: a bid uniform on [0, B]). Every
    ordinal report is made by the registered strategy of that family
    (:func:`abm.audit.deviations.strategy_report`). A draw equal to the true type is
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
                n = len(t.bundles)
                if fam == "truncate":
                    d = lists.strategy_report(f"truncate:k={int(rng.integers(1, n))}", t)
                elif fam == "swap":
                    d = lists.strategy_report(f"swap:rank={int(rng.integers(n - 1))}", t)
                elif fam == "disguise":
                    d = lists.strategy_report(f"truncate:k={n - 1}", t)
                else:
                    k = int(rng.integers(1, n + 1))
                    d = lists.strategy_report(f"truncate:k={k}", lists.strategy_report("permute", t, rng))
            elif isinstance(t, WeakOrder):
                space = list(type_space(ticks[a])) if type_space is not None and ticks is not None else []
                above_null = int(t.rank[t.null])  # classes above the null option: the swap strategy's choices
                if space and rng.random() < 0.5:
                    fam, d = "period-type", space[int(rng.integers(len(space)))]
                elif above_null >= 2:
                    fam, d = "swap", lists.strategy_report(f"swap:rank={int(rng.integers(above_null - 1))}", t)
            elif isinstance(t, Cost):
                hi = budget if budget is not None else max(1.0, 4 * t.value)
                fam, d = "bid", Cost(float(rng.random() * hi))
            if d is not None and d != t:
                out.append(Deviation({a: d}, f"random:{fam}", design="random"))
                break
        else:
            continue
    return out


def _period_types(market):
    """Return ``tick -> the types of that arrival period`` when the public market knows its type
    space (a SEM market: ``market.extra["sem"]``, SEM Section 2), else None."""
    sem = market.extra.get("sem") if isinstance(market.extra, dict) else None
    if sem is None:
        return None
    return lambda t: [o for o, _ in sem.period_types(t + 1)]


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
            yield from lists.truncations(true_types, probe)
        elif source == "swaps":
            yield from lists.adjacent_swaps(true_types, probe)
        elif source == "disguises":
            yield from lists.disguises(true_types, probe)
        elif source == "bid_changes":
            yield from lists.bid_changes(true_types, probe)
        elif source == "random":
            space = _period_types(model.market)
            ticks = {r.agent: t for t, tick in enumerate(truthful) for r in tick}
            rng = model.streams.get("audit", "random")  # a purpose-keyed stream of the run's seed
            yield from random_deviations(true_types, model.market, rng, int(spec.get("random_deviations", 200)),
                                         space, ticks)
        elif source == "same_period":
            # Definition 6 ranges over the period's whole type space when the market knows it (SEM)
            yield from lists.same_period_misreports(truthful, true_types, limit_per_agent=spec.get("per_agent", 1),
                                                     type_space=_period_types(model.market))
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
        from mechanisms.mechanism_registry import make_mechanism

        from ..scenario import build_run

        self.model = build_run(sc, seed).run()
        self.true_types = {p.agent_id: p.true_type for p in self.model.participants}
        self.truthful = [[Report(i, self.true_types[i]) for i in tick] for tick in self.model.schedule]
        market, name, params = self.model.market, sc.mechanism, dict(sc.mechanism_params)
        self.factory = lambda: make_mechanism(name, market, params)
        self.scenario = {**sc.raw, "seed": int(seed), "base_dir": str(sc.base_dir)}

    def deviations(self, spec: Mapping[str, Any]) -> list[Deviation]:
        """Return the deviations ``spec`` (an ``[audit]`` table) names for this run."""
        return list(scenario_deviations(self.model, self.truthful, self.true_types, spec))
