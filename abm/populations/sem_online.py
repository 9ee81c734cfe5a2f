"""Population source ``objects.sem_online``: a fully online SEM market (SEM paper, Section 5.1).

Registered in :data:`abm.populations.SOURCES`.

Scenario fields::

    [market]
    kind = "objects"
    goods = ["a", "b"]
    [market.supply]                 # H^t per period of the base market (the replica sums n copies)
    kind = "binomial"               # "deterministic" | "poisson" | "binomial" | "empirical"
    trials = [1, 1]                 # binomial: N^t_x (one row for every period, or T rows)
    prob = [0.5, 0.5]               # binomial: q^t_x
    # units = [[2, 2], [0, 0], ...] # deterministic: S^t
    # rates = [0.5, 0.5]            # poisson: lambda^t_x
    # file = "homes.csv"            # empirical: observed schedules (columns period, object, units[, sample])
    [market.shock]                  # optional: kind, halfwidth (< 1, Assumption 3), tie_breaking, z
    [population]
    periods = 4                     # T
    replica = 5                     # n arrivals per period
    [[population.types]]            # f^t: weights normalised within each period
    preference = "a > o > b"
    weight = 0.5
    # periods = [1, 2]              # optional: the periods this type arrives in (default: all)

The market also carries the SEM fundamentals (``extra["sem"]``) so that ``sem_upfront`` (SEM
with every arriving object present at the start, the placement experiment's reference) runs
on it; ``arriving_supply`` serves SD-RTB, SD, RSD or period EPS from the supply present.
The realised supply arrivals are drawn from the ``("supply",)`` stream and the agents' types
from ``("types",)``: one seed fixes both, and a deviating replay keeps them. Use
``arrivals.process = "periods"``.
"""
from __future__ import annotations

import pathlib

from mechanisms.errors import require
from mechanisms.preferences import WeakOrder
from mechanisms.rng import Streams

from ..schema import Section
from .registry import SOURCES, Population


def supply_schedule(sup: Section, objects: tuple[str, ...], horizon: int, base: pathlib.Path):
    """Return the :class:`~mechanisms.sem.online_market.SupplySchedule` of ``[market.supply]``.

    Raises:
        ConfigError: naming ``market.supply.<field>`` for an unknown kind, a missing or bad
            parameter, or an unreadable file.
    """
    from mechanisms.errors import ConfigError
    from mechanisms.sem.online_market import (
        SUPPLY_KINDS,
        SupplySchedule,
        read_supply_file,
    )

    kind = sup.get("kind", str, check=lambda v: v in SUPPLY_KINDS, expected=f"one of {list(SUPPLY_KINDS)}")
    kw = {}
    wanted = {"deterministic": ("units",), "poisson": ("rates",), "binomial": ("trials", "prob"), "empirical": ()}
    for name in wanted[kind]:
        kw[name] = sup.get(name, list)
    if kind == "empirical":
        f = sup.get("file", str)
        kw["samples"] = read_supply_file(base / f, objects, horizon, field=sup.field("file"))
    try:
        return SupplySchedule(kind, horizon, len(objects), **kw)
    except ConfigError as e:
        # name the scenario field: "supply.units[0][1]" -> "market.supply.units[0][1]"
        raise ConfigError("market." + e.field if e.field.startswith("supply") else e.field, e.value,
                          e.expected) from None


@SOURCES.register("objects.sem_online")
def _objects_sem_online(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """A fully online SEM market M_n (SEM paper, Section 5.1): supply and agents arrive over time.

    See the module docstring for the fields. The market's goods have the realised total supply
    as capacities; ``market.extra["supply_arrivals"]`` holds the realised S^1..S^T.
    """
    from mechanisms.sem.online import upfront_market
    from mechanisms.sem.online_market import OnlineSEMMarket
    from mechanisms.sem.shocks import Shock

    names = market.get("goods", list)
    require(len(names) > 0, "market.goods", names, "a non-empty list of object names")
    for j, nm in enumerate(names):
        require(isinstance(nm, str) and nm != "", f"market.goods[{j}]", nm, "a non-empty string")
    objects = tuple(names)
    periods = pop.get("periods", int, check=lambda v: v >= 1, expected="a positive integer")
    replica = pop.get("replica", int, 1, check=lambda v: v >= 1, expected="a positive integer")
    entries: list[tuple[str, float, tuple[int, ...]]] = []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        pref = e.get("preference", str)
        WeakOrder.parse(pref, objects, field=e.field("preference"))
        w = e.get("weight", float, 1.0, check=lambda v: v >= 0, expected="a non-negative number")
        when = e.get("periods", list, list(range(1, periods + 1)))
        for v in when:
            require(isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= periods, e.field("periods"), when,
                    f"a list of periods in 1..{periods}")
        entries.append((pref, w, tuple(sorted(set(when)))))
        e.finish()
    require(len(entries) > 0, "population.types", [], "at least one type")
    dists: list[dict[str, float]] = []
    for t in range(1, periods + 1):
        d: dict[str, float] = {}
        for pref, w, when in entries:
            if t in when:
                d[pref] = d.get(pref, 0.0) + w
        tot = sum(d.values())
        require(tot > 0, "population.types", [(p, w, list(wh)) for p, w, wh in entries],
                f"at least one type with positive weight arriving in period {t}")
        dists.append({k: v / tot for k, v in d.items() if v > 0})
    sup = market.section("supply")
    schedule = supply_schedule(sup, objects, periods, base)
    sup.finish()
    sh = market.section("shock")
    shock = Shock(kind=sh.get("kind", str, "uniform"), halfwidth=sh.get("halfwidth", float, 0.1),
                  tie_breaking=sh.get("tie_breaking", str, "none"), z=sh.get("z", float, 0.0))
    sh.finish()
    from mechanisms.sem.market import SEMMarket

    prior = SEMMarket.from_periods(objects, [0] * len(objects), dists)
    mk = OnlineSEMMarket(objects, schedule, prior.types, prior.arrival, periods, replica=replica, shock=shock)
    arrivals = mk.sample_supply(streams.get("supply"))
    by_period = mk.sample_arrivals(streams.get("types"))
    types = [t for p in by_period for t in p]
    groups, k = [], 0
    for p in by_period:
        groups.append(list(range(k, k + len(p))))
        k += len(p)
    m = upfront_market(mk, arrivals)  # extra["sem"] too: the sem_upfront reference runs on it
    m.n_agents = len(types)
    notes = [f"realised supply arrivals per period: {arrivals.tolist()}"]
    return Population(m, types, periods=groups, notes=notes)
