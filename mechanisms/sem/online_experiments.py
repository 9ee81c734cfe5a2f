"""Placement experiment for fully online SEM: host homes arriving over time (SEM paper, Sections 5.1, 6.2).

The Section 6.2 market (homes a, b; selective children c1 = a > o > b and non-selective
children c2 = {a,b} > o, each with probability 1/2; T = 4; n children per period), except that
the homes are not all known at the start: in every period each of the n potential homes of each
kind becomes available independently with probability q (binomial arrivals, H^t =
Binomial(n, q) per kind). ``reading`` fixes q like Section 6.2's supply readings:
``"matched"`` (q = 1/2: n/2 homes of each kind per period, 2n per kind in expectation, total
expected supply equal to the expected number of children) or ``"literal"`` (q = 1/4: n per kind
in expectation, at most about half of the children can be placed).

Mechanisms compared on the same children and the same realised homes (common random numbers):

- ``sem_online``: fully online SEM (look-ahead selection, the default); ``sem_online_static``:
  the same with each period's equilibrium from its own types only;
- ``sem_upfront``: SEM (Section 4.1) run as if every home that will arrive in the horizon were
  present at the start: an upper reference, not an online mechanism (it allocates homes before
  they exist);
- ``sd_rtb``: SD-RTB (Section 6.2) serving each period from the homes present;
- ``greedy``: first come, first served on the homes present, ties to the first home (serial
  dictatorship in arrival order, index tie-breaking).

Nothing here is tuned: the placement rate is the share of children matched to a home, and
whatever it shows is reported.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, require
from ..mechanism_registry import make_mechanism
from .experiments import derived_seed, placed
from .market import arrival_schedule
from .online import ArrivingSupply, UpfrontSEM, upfront_market
from .online_market import OnlineSEMMarket, SupplySchedule
from .shocks import Shock

#: Probability q that a potential home becomes available in a period, per reading.
FOSTER_READINGS = {"matched": 0.5, "literal": 0.25}
#: Mechanisms of :func:`foster_experiment` (see the module docstring).
FOSTER_MECHANISMS = ("sem_online", "sem_online_static", "sem_upfront", "sd_rtb", "greedy")
HOMES = {"a > o > b": 0.5, "{a,b} > o": 0.5}


def foster_market(n: int, reading: str | float = "matched", horizon: int = 4, shock: Shock | None = None) -> OnlineSEMMarket:
    """Return the host-home market M_n with homes arriving over time (binomial, probability q per period)."""
    q = FOSTER_READINGS.get(reading, reading) if isinstance(reading, str) else reading
    require(isinstance(q, (int, float)) and 0 < float(q) <= 1, "reading", reading,
            f"one of {list(FOSTER_READINGS)} or a probability q in (0, 1]")
    sup = SupplySchedule("binomial", horizon, 2, trials=[1, 1], prob=[float(q), float(q)])
    return OnlineSEMMarket.stationary(["a", "b"], sup, HOMES, horizon, replica=n, shock=shock or Shock())


def _factory(name: str, mk: OnlineSEMMarket, arrivals: np.ndarray):
    if name == "sem_online":
        market = mk.market(arrivals)
        return lambda: make_mechanism("sem_online", market, {"memoize": True, "plan": "current"})
    if name == "sem_online_static":
        market = mk.market(arrivals)
        return lambda: make_mechanism("sem_online", market, {"memoize": True, "plan": "current", "selection": "static"})
    if name == "sem_upfront":
        market = upfront_market(mk, arrivals)
        return lambda: UpfrontSEM(market, memoize=True)
    if name == "sd_rtb":
        market = mk.market(arrivals)
        return lambda: ArrivingSupply(market, inner="sd_rtb")
    if name == "greedy":
        market = mk.market(arrivals)
        return lambda: ArrivingSupply(market, inner="sd", inner_params={"order": "arrival", "tie_break": "index"})
    raise ConfigError("mechanisms", name, f"one of {list(FOSTER_MECHANISMS)}")


def foster_experiment(ns: Sequence[int] = (1, 5, 10, 25), markets: int = 25, readings: Sequence[str] = ("matched",),
                      mechanisms: Sequence[str] = FOSTER_MECHANISMS, seed: int = 0) -> pd.DataFrame:
    """Return one row per (reading, n, market, mechanism): children, homes, placed, placement rate.

    Market r of size n draws its homes from (seed, n, r, 0) and its children from (seed, n, r, 1);
    every mechanism runs on them with the run seed (seed, n, r, 2).
    """
    require(isinstance(markets, int) and markets >= 1, "markets", markets, "a positive integer")
    for name in mechanisms:
        require(name in FOSTER_MECHANISMS, "mechanisms", name, f"one of {list(FOSTER_MECHANISMS)}")
    rows: list[dict[str, Any]] = []
    for reading in readings:
        for n in ns:
            mk = foster_market(n, reading)
            for r in range(markets):
                arrivals = mk.sample_supply(np.random.default_rng(derived_seed(seed, n, r, 0)))
                sched, kids = arrival_schedule(mk.sample_arrivals(np.random.default_rng(derived_seed(seed, n, r, 1))))
                aid = len(kids)
                run_seed = derived_seed(seed, n, r, 2)
                for name in mechanisms:
                    k = placed(_factory(name, mk, arrivals), sched, run_seed, mk.m)
                    rows.append({"reading": reading, "n": n, "market": r, "mechanism": name, "children": aid,
                                 "homes": int(arrivals.sum()), "placed": k, "placement_rate": k / aid,
                                 "max_possible": min(aid, int(arrivals.sum()))})
    return pd.DataFrame(rows)

