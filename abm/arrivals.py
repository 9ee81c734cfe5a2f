"""Arrival processes: which agents arrive at each tick.

Each process maps the population (and, for period-structured populations, their periods) to a
schedule, a list of ticks each holding the ids of the agents arriving then, drawing only from the
``("arrivals",)`` stream so the order is common to every replay of a run.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mechanisms.errors import require
from mechanisms.registry import Registry

ARRIVALS: Registry = Registry("arrival process")


def _batches(order: Sequence[int], batch_size: int) -> list[list[int]]:
    return [list(map(int, order[i : i + batch_size])) for i in range(0, len(order), batch_size)]


@ARRIVALS.register("permutation")
def permutation(n: int, rng: np.random.Generator, batch_size: int = 1,
                periods: Sequence[Sequence[int]] | None = None) -> list[list[int]]:
    """Return a uniformly random permutation of the ``n`` agents, in batches of ``batch_size``.

    The random-order model of OCAM (Section 2, permutation pi) and of the procurement paper
    (sellers arrive in uniformly random order).
    """
    require(isinstance(batch_size, int) and batch_size >= 1, "arrivals.batch_size", batch_size, "a positive integer")
    return _batches(rng.permutation(n), batch_size)


@ARRIVALS.register("fixed")
def fixed(n: int, rng: np.random.Generator, batch_size: int = 1,
          periods: Sequence[Sequence[int]] | None = None) -> list[list[int]]:
    """Return agents in index order, in batches (for classroom examples and hand-checked tests)."""
    require(isinstance(batch_size, int) and batch_size >= 1, "arrivals.batch_size", batch_size, "a positive integer")
    return _batches(range(n), batch_size)


@ARRIVALS.register("periods")
def by_period(n: int, rng: np.random.Generator, batch_size: int = 1,
              periods: Sequence[Sequence[int]] | None = None) -> list[list[int]]:
    """Return one tick per period, the period's agents in uniformly random order.

    For populations drawn i.i.d. per period from a type distribution f^t (SEM paper, Section
    2.1: the arrivals of period t form the batch of tick t).
    """
    require(periods is not None, "arrivals.process", "periods", "a population that defines periods (e.g. source = \"iid\")")
    return [list(map(int, rng.permutation(np.asarray(p, dtype=np.int64)))) for p in periods]
