"""Population sources of object markets (SEM paper, Section 2: weak orders over objects and the null option o).

``objects.explicit`` (fixed weak orders), ``objects.iid`` (i.i.d. draws per period, Section 2.1),
``objects.sem`` (an SEM market M_n, Sections 2 and 4.1). The fully online market
(``objects.sem_online``) is in :mod:`abm.populations.sem_online`; real data in
:mod:`abm.populations.real_data`.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np

from mechanisms.errors import require
from mechanisms.market import Market
from mechanisms.preferences import AgentType
from mechanisms.rng import Streams

from ..schema import MAX_AGENTS, Section
from .registry import SOURCES, Population
from .tables import read_count, read_goods, read_preference


@SOURCES.register("objects.explicit")
def _objects_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Weak orders over objects: ``[[population.types]]`` with ``preference`` (e.g. "{a,b} > o") and ``count``."""
    goods = read_goods(market, objects=True)
    types: list[AgentType] = []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        count = read_count(e, len(types))
        _, w = read_preference(e, goods.names)
        e.finish()
        types.extend([w] * count)
    require(len(types) > 0, "population.types", [], "at least one type")
    return Population(Market("objects", goods, n_agents=len(types)), types)



@SOURCES.register("objects.iid")
def _objects_iid(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """I.i.d. arrivals per period (SEM paper, Section 2.1): ``periods`` x ``per_period`` agents.

    Each agent's type is drawn independently (stream ``("types",)``) from
    ``[[population.types]]`` entries with ``preference`` and ``weight`` (normalised). Use with
    ``arrivals.process = "periods"``: the agents of period t arrive at tick t.
    """
    goods = read_goods(market, objects=True)
    periods = pop.get("periods", int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    per = pop.get("per_period", int, check=lambda v: 1 <= v <= MAX_AGENTS // periods,
                  expected=f"a positive integer (periods x per_period at most {MAX_AGENTS})")
    kinds, weights = [], []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        weights.append(e.get("weight", float, 1.0, check=lambda v: v >= 0, expected="a non-negative number"))
        kinds.append(read_preference(e, goods.names)[1])
        e.finish()
    require(len(kinds) > 0 and sum(weights) > 0, "population.types", weights, "at least one type with positive weight")
    w = np.asarray(weights) / sum(weights)
    draws = streams.get("types").choice(len(kinds), size=periods * per, p=w)
    types = [kinds[i] for i in draws]
    groups = [list(range(t * per, (t + 1) * per)) for t in range(periods)]
    return Population(Market("objects", goods, n_agents=len(types), horizon=periods), types, periods=groups)


@SOURCES.register("objects.sem")
def _objects_sem(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """An SEM market M_n (SEM paper, Sections 2 and 4.1), ``replica`` = n arrivals per period.

    ``[market]``: ``goods``, ``capacities`` (base supply S; the replica has n S), optional
    ``budgets`` (b^1..b^T) and ``[market.shock]`` (``kind``, ``halfwidth``, ``tie_breaking``,
    ``z``). ``[population]``: ``periods`` (T), ``replica`` (n), and ``[[population.types]]``
    with ``preference`` and ``weight`` (the same distribution every period; weights
    normalised). Types are drawn per period from the ``("types",)`` stream; use
    ``arrivals.process = "periods"``.
    """
    from mechanisms.sem.market import SEMMarket, sample_arrivals
    from mechanisms.sem.shocks import Shock

    goods = read_goods(market, objects=True)
    periods = pop.get("periods", int, check=lambda v: 1 <= v <= 10_000, expected="an integer in [1, 10000]")
    replica = pop.get("replica", int, 1, check=lambda v: 1 <= v <= MAX_AGENTS // periods,
                      expected=f"a positive integer (periods x replica at most {MAX_AGENTS})")
    dist: dict[str, float] = {}
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        pref, _ = read_preference(e, goods.names)  # validate early, with the field name
        dist[pref] = dist.get(pref, 0.0) + e.get("weight", float, 1.0, check=lambda v: v >= 0,
                                                   expected="a non-negative number")
        e.finish()
    total = sum(dist.values())
    require(total > 0, "population.types", dist, "at least one type with positive weight")
    dist = {k: v / total for k, v in dist.items()}
    sh = market.section("shock")
    shock = Shock(kind=sh.get("kind", str, "uniform"), halfwidth=sh.get("halfwidth", float, 0.1),
                  tie_breaking=sh.get("tie_breaking", str, "none"), z=sh.get("z", float, 0.0))
    sh.finish()
    budgets = market.get("budgets", list, None)
    for j, b in enumerate(budgets or []):
        require(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) and b >= 0,
                f"market.budgets[{j}]", b, "a finite non-negative number")
    kw = {"budgets": tuple(budgets)} if budgets is not None else {}
    sem = SEMMarket.stationary(goods.names, goods.capacities, dist, periods, replica=replica, shock=shock, **kw)
    by_period = sample_arrivals(sem, replica, streams.get("types"))
    types = [t for p in by_period for t in p]
    groups, k = [], 0
    for p in by_period:
        groups.append(list(range(k, k + len(p))))
        k += len(p)
    m = sem.market()
    m.n_agents = len(types)
    return Population(m, types, periods=groups)


