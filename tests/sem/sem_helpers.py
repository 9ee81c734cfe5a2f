"""Shared builders for the SEM tests: random weak orders and problems, the Section 6.2 market."""
from __future__ import annotations

import numpy as np

from mechanisms import Report
from mechanisms.preferences import WeakOrder
from mechanisms.sem import (
    EquilibriumProblem,
    SEMMarket,
    Shock,
    arrival_schedule,
    default_budgets,
    sample_arrivals,
)
from mechanisms.sem.market import random_weak_order as rand_order


def rand_problem(rng: np.random.Generator, m: int, ntypes: int, T: int, shock: Shock | None = None) -> EquilibriumProblem:
    shock = shock or Shock()
    orders = tuple(rand_order(rng, m) for _ in range(ntypes))
    return EquilibriumProblem(orders, rng.random(ntypes) * 2, rng.integers(0, T, ntypes),
                              default_budgets(T, shock), rng.integers(0, 4, m).astype(float), shock)


def section62(n: int = 1, per_home: int = 1, **kw) -> SEMMarket:
    """Section 6.2: homes a, b; c1 = a > o > b, c2 = {a,b} > o with probability 1/2; T = 4."""
    return SEMMarket.stationary(["a", "b"], [per_home, per_home], {"a > o > b": 0.5, "{a,b} > o": 0.5},
                                horizon=4, replica=n, **kw)


def schedule_of(arrivals: list[list[WeakOrder]]) -> list[list[Report]]:
    """Reports with consecutive agent ids, period by period (:func:`mechanisms.sem.arrival_schedule`)."""
    return arrival_schedule(arrivals)[0]


def random_schedule(mk: SEMMarket, seed: int) -> list[list[Report]]:
    return schedule_of(sample_arrivals(mk, None, np.random.default_rng(seed)))
