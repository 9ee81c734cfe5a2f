"""Population sources of fair-division markets (``[market] kind = "fair_division"``).

Registered in :data:`abm.populations.SOURCES` under ``fair_division.random`` and
``fair_division.explicit``. The agents are fixed and all report in tick 0; the goods arrive one
per time step inside the mechanism (``docs/fair_division.md``, "Mapping"), so every source sets a
single period holding all agents: use ``[arrivals] process = "periods"``.

``[market]``: ``kind = "fair_division"``, ``m`` (number of goods; the explicit source may infer
it from the values), ``foresight`` (preview length of Section 2, default 0; at most m - 1).
"""
from __future__ import annotations

import pathlib

import numpy as np

from mechanisms.errors import require
from mechanisms.fair_division.mechanism import fair_division_market
from mechanisms.fair_division.valuations import (
    AGENT_TYPES,
    Interval,
    TwoValue,
    Valuation,
    random_interval,
    random_two_value,
)
from mechanisms.rng import Streams
from strategies import fair_division as _fd_strategies  # noqa: F401  (registers the fair-division strategies)

from ..schema import Section
from .registry import SOURCES, Population
from .tables import read_extra


def _market(market: Section, n: int, m: int):
    ell = market.get("foresight", int, 0, check=lambda v: v >= 0, expected="a non-negative integer")
    return fair_division_market(n, m, ell, extra=read_extra(market))


def _pair(sec: Section, key: str, default: tuple[float, float]) -> tuple[float, float]:
    v = sec.get(key, list, list(default))
    require(len(v) == 2 and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in v), sec.field(key), v,
            "[lo, hi]")
    return float(v[0]), float(v[1])


@SOURCES.register("fair_division.random")
def _fd_random(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Random instances: ``n`` agents, ``market.m`` goods, ``class`` "two_value" or "interval".

    2-value (Definition 2.1): agent ``types`` drawn uniformly from the list (Section 2 numbering,
    default [1]), type-1 ``alpha`` U[``alpha``] with beta = 1, goods high with probability
    ``p_high`` (default 0.4). Interval-restricted (Definition 2.2): values U[1, alpha_i] with
    alpha_i U[``alpha``]. Draws from the ``("types",)`` stream.
    """
    n = pop.get("n", int, check=lambda v: v >= 1, expected="a positive integer")
    m = market.get("m", int, check=lambda v: 1 <= v <= MAX_GOODS, expected=f"an integer in [1, {MAX_GOODS}] (number of goods)")
    cls = pop.get("class", str, "two_value", check=lambda v: v in ("two_value", "interval"),
                  expected='"two_value" or "interval"')
    alpha = _pair(pop, "alpha", (2.0, 5.0) if cls == "two_value" else (2.0, 9.0))
    rng = streams.get("types")
    if cls == "two_value":
        types = pop.get("types", list, [1])
        for k, t in enumerate(types):
            require(isinstance(t, int) and not isinstance(t, bool) and t in (0, 1, 2, 3), f"population.types[{k}]", t,
                    "an agent type 0, 1, 2 or 3 (Section 2)")
        p_high = pop.get("p_high", float, 0.4, check=lambda v: 0 <= v <= 1, expected="a probability in [0, 1]")
        vals: list[Valuation] = list(random_two_value(n, m, rng, types=types, alpha=alpha, p_high=p_high))
    else:
        vals = list(random_interval(n, m, rng, alpha=alpha))
    return Population(_market(market, n, m), vals, periods=[list(range(n))])


#: Largest number of arriving goods a scenario may ask for (the fair-division benchmarks use 100,000).
MAX_GOODS = 10_000_000


def _explicit_agent(e: Section, m: int | None) -> Valuation:
    cls = e.get("class", str, "two_value", check=lambda v: v in ("two_value", "interval"),
                expected='"two_value" or "interval"')
    if e.has("values"):
        values = e.get("values", list)
        for g, x in enumerate(values):
            require(isinstance(x, (int, float)) and not isinstance(x, bool), f"{e.field('values')}[{g}]", x, "a number")
        require(m is None or len(values) == m, e.field("values"), f"{len(values)} values", f"one value per good (m = {m})")
        if cls == "interval":
            return Interval(values, e.get("alpha", float, None), field=e.path)
        return TwoValue.from_values(values, e.get("alpha", float, None), e.get("beta", float, None), field=e.path)
    require(cls == "two_value", e.field("class"), cls, '"two_value" when the agent is given by high goods')
    require(m is not None, "market.m", None, "the number of goods (agents are given by their high goods)")
    high_idx = e.get("high", list, [])
    mask = np.zeros(m, dtype=bool)
    for k, g in enumerate(high_idx):
        require(isinstance(g, int) and not isinstance(g, bool) and 0 <= g < m, f"{e.field('high')}[{k}]", g,
                f"a good index in [0, {m})")
        mask[g] = True
    if e.has("type"):
        t = e.get("type", int)
        require(t in AGENT_TYPES, e.field("type"), t, f"an agent type among {sorted(AGENT_TYPES)} (Section 2)")
        return TwoValue.of_type(t, mask, alpha=e.get("alpha", float, 2.0), field=e.path)
    return TwoValue(e.get("alpha", float), e.get("beta", float, 1.0), mask, field=e.path)


@SOURCES.register("fair_division.explicit")
def _fd_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Explicit agents: ``[[population.agents]]``, each with ``values = [...]`` (``class``
    "two_value", the default, or "interval"; optional ``alpha``/``beta``), or with ``high``
    (indices of its high goods) and either ``type`` (0-3, Section 2; ``alpha`` for type 1) or
    ``alpha``/``beta``. ``market.m`` is required for the latter and otherwise inferred.
    """
    m = market.get("m", int, None, check=lambda v: 1 <= v <= MAX_GOODS,
                   expected=f"an integer in [1, {MAX_GOODS}] (number of goods)")
    agents = pop.get("agents", list)
    require(len(agents) > 0, "population.agents", agents, "at least one agent")
    if m is None:
        first = agents[0]
        if isinstance(first, dict) and isinstance(first.get("values"), list):
            m = len(first["values"])
    vals: list[Valuation] = []
    for k, entry in enumerate(agents):
        e = Section(entry, f"population.agents[{k}]")
        vals.append(_explicit_agent(e, m))
        e.finish()
    require(m is not None, "market.m", None, "the number of goods")
    return Population(_market(market, len(vals), int(m)), vals, periods=[list(range(len(vals)))])

