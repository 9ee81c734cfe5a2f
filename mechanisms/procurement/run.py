"""Running a procurement mechanism on bids in a random order (the RO model, Section 2).

The arrival order is a uniformly random permutation drawn from the stream ``("arrivals",)``
(as the Mesa model does), one seller per tick. Both :func:`run_procurement` and
:func:`simulate` (the ratio experiments' loop, which reuses one configured mechanism) drive
the mechanism through the protocol with the core replay engine
(:func:`~mechanisms.engine.run_schedule`: ``start``, then ``step`` per tick with the
invariants checked): one way to run.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine import RunRecord, run_schedule
from ..errors import require
from ..market import Market
from ..mechanism_registry import make_mechanism
from ..preferences import Cost
from ..reports import Report
from ..rng import Streams
from .base import ProcurementMechanism
from .valuations import Valuation, random_valuation


def arrival_order(n: int, seed: int) -> np.ndarray:
    """Return the uniformly random arrival permutation pi of the RO model (stream ``arrivals``)."""
    return Streams(seed).get("arrivals").permutation(n)


def schedule_of(bids: Sequence[float], order: Sequence[int]) -> list[list[Report]]:
    """Return the one-seller-per-tick schedule of ``Report(agent, Cost(bid))`` in ``order``."""
    return [[Report(int(i), Cost(float(bids[int(i)])))] for i in order]


def _check_bids(bids: Sequence[float], n: int) -> np.ndarray:
    b = np.asarray(bids, dtype=np.float64).ravel()
    require(b.size == n, "bids", b.size, f"one bid per seller ({n})")
    return b


def run_procurement(name: str, market: Market, bids: Sequence[float], seed: int,
                    params: Mapping[str, Any] | None = None, order: Sequence[int] | None = None) -> RunRecord:
    """Return the :class:`RunRecord` of mechanism ``name`` on ``bids`` (indexed by seller id).

    ``order`` defaults to :func:`arrival_order` of ``seed``; the mechanism's coins come from
    the same seed's ``mechanism`` streams.
    """
    n = market.n_agents
    b = _check_bids(bids, n)
    order = arrival_order(n, seed) if order is None else np.asarray(order)
    require(sorted(int(i) for i in order) == list(range(n)), "order", list(order)[:10], f"a permutation of 0..{n - 1}")
    return run_schedule(lambda: make_mechanism(name, market, params), schedule_of(b, order), seed)


def simulate(mech: ProcurementMechanism, bids: np.ndarray, order: Sequence[int], seed: int) -> ProcurementMechanism:
    """Run ``mech`` (restarted: ``start`` resets it) on ``bids`` in ``order`` with the streams of ``seed``.

    Returns ``mech`` in its final state (``value()``, ``summary()``). The run goes through the
    protocol like any other (:func:`~mechanisms.engine.run_schedule`, no public snapshots
    recorded); reusing one configured mechanism across replications only saves rebuilding it.
    Raises :class:`ConfigError` for a bid count or an order that is not a permutation of the
    sellers, and (from ``step``) for a bid outside [0, B].
    """
    b = _check_bids(bids, mech.n)
    order = np.asarray(order, dtype=np.int64)
    require(order.size == mech.n and np.array_equal(np.sort(order), np.arange(mech.n)), "order", order.tolist()[:10],
            f"a permutation of 0..{mech.n - 1}")
    return run_schedule(lambda: mech, schedule_of(b, order), seed, record_public=False).mechanism


@dataclass
class Instance:
    """A procurement instance I = (N, c, v, B) of Section 2 (costs indexed by seller id)."""

    valuation: Valuation
    costs: np.ndarray
    budget: float
    family: str = ""


def random_instance(family: str, n: int, seed: int, budget_frac: float = 0.1, **kw: Any) -> Instance:
    """Return a random instance: valuation of ``family``, costs U(0, 1], B = budget_frac * sum(c).

    B is raised to max(c) if needed so every cost lies in [0, B] (Section 2's assumption).
    """
    require(isinstance(budget_frac, (int, float)) and 0 < budget_frac <= 1, "budget_frac", budget_frac, "a number in (0, 1]")
    rng = Streams(seed).get("instance", family, n)
    v = random_valuation(family, n, rng, **kw)
    c = 1.0 - rng.random(n)
    B = max(budget_frac * float(c.sum()), float(c.max()))
    return Instance(v, c, B, family)
