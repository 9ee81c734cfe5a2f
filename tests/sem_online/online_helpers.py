"""Builders shared by the fully online SEM tests (SEM paper, Section 5.1)."""
from __future__ import annotations

import numpy as np

from mechanisms import Report
from mechanisms.preferences import WeakOrder
from mechanisms.sem import OnlineSEMMarket, Shock, SupplySchedule, arrival_schedule
from mechanisms.sem.market import random_weak_order as rand_order

HOMES = {"a > o > b": 0.5, "{a,b} > o": 0.5}


def homes_market(n: int = 5, kind: str = "binomial", T: int = 4, **kw) -> OnlineSEMMarket:
    """Section 6.2's homes a, b and children c1, c2, homes arriving over time (n/2 per kind and period)."""
    if kind == "binomial":
        sup = SupplySchedule("binomial", T, 2, trials=[1, 1], prob=[0.5, 0.5])
    elif kind == "poisson":
        sup = SupplySchedule("poisson", T, 2, rates=[0.5, 0.5])
    else:
        sup = SupplySchedule("deterministic", T, 2, units=[[2, 2]] + [[0, 0]] * (T - 1))
    return OnlineSEMMarket.stationary(["a", "b"], sup, HOMES, T, replica=n, **kw)


def schedule_of(arrivals: list[list[WeakOrder]]) -> list[list[Report]]:
    """Reports with consecutive agent ids, period by period (:func:`mechanisms.sem.arrival_schedule`)."""
    return arrival_schedule(arrivals)[0]


def random_online_market(rng: np.random.Generator, m: int = 3, T: int = 3, ntypes: int = 3, n: int = 3,
                         shock: Shock | None = None) -> OnlineSEMMarket:
    """A random fully online market: random weak orders per period, Poisson arrivals of objects."""
    from mechanisms.sem import SEMType

    types, f = [], []
    for t in range(1, T + 1):
        w = rng.dirichlet(np.ones(ntypes))
        for k in range(ntypes):
            types.append(SEMType(rand_order(rng, m), t))
            f.append(float(w[k]))
    for t in range(1, T + 1):  # renormalise exactly
        idx = [i for i, ty in enumerate(types) if ty.period == t]
        tot = sum(f[i] for i in idx)
        for i in idx:
            f[i] /= tot
    rates = rng.random((T, m)) * 1.5
    sup = SupplySchedule("poisson", T, m, rates=rates.tolist())
    return OnlineSEMMarket(tuple(f"x{j}" for j in range(m)), sup, tuple(types), tuple(f), T, replica=n,
                           shock=shock or Shock())
