"""Population sources of procurement markets (budget-feasible paper, Section 2: sellers with private costs).

``procurement.explicit`` (given costs and budget) and ``procurement.random`` (a random instance
of a registered valuation, :func:`mechanisms.procurement.random_instance`).
"""
from __future__ import annotations

import math
import pathlib
from collections.abc import Callable
from typing import Any

from mechanisms.errors import require
from mechanisms.market import Market
from mechanisms.preferences import Cost
from mechanisms.rng import Streams

from ..schema import MAX_AGENTS, Section
from .registry import SOURCES, Population
from .tables import fail, read_extra


@SOURCES.register("procurement.explicit")
def _procurement_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Sellers with explicit private costs ``costs = [...]``; the auctioneer's ``budget``."""
    costs = pop.get("costs", list)
    require(0 < len(costs) <= MAX_AGENTS, "population.costs", f"<{len(costs)} costs>", f"between 1 and {MAX_AGENTS} costs")
    types = [Cost(c) if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) and c >= 0 else
             fail(f"population.costs[{i}]", c, "a finite non-negative number") for i, c in enumerate(costs)]
    budget = market.get("budget", float, check=lambda v: v > 0, expected="a positive number")
    extra = read_extra(market)
    extra["budget"] = float(budget)
    return Population(Market("procurement", None, n_agents=len(types), extra=extra), types)


def _random_params(fn: Callable[..., Any]) -> set[str]:
    """Return the keyword parameters of a valuation family's ``random(n, rng, ...)`` constructor."""
    import inspect

    return {p.name for p in list(inspect.signature(fn).parameters.values())[2:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}



@SOURCES.register("procurement.random")
def _procurement_random(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """A random procurement instance (budget-feasible paper, Section 2).

    ``[population]``: ``n`` sellers, ``valuation`` (a registered valuation: additive,
    coverage, budget_additive, facility_location, cut, coverage_minus_cost) with optional
    ``valuation_params``; costs U(0, 1] and the valuation come from
    :func:`mechanisms.procurement.random_instance` seeded from the ``("types",)`` stream.
    ``[market]``: ``budget_frac`` (B = budget_frac * sum of costs, raised to the largest cost;
    default 0.1), and for prediction-based mechanisms ``prediction_error`` eps with
    ``prediction_kind`` "under" (omega = (1 - eps) v(S*), default) or "over" (omega =
    (1 + eps) v(S*), Section 2 remark).
    """
    from mechanisms.procurement import (
        PredictionModel,
        procurement_market,
        random_instance,
    )
    from mechanisms.procurement.valuations import VALUATIONS

    n = pop.get("n", int, check=lambda v: 1 <= v <= 100_000, expected="an integer in [1, 100000]")
    vname = pop.get("valuation", str, "additive")
    require(vname in VALUATIONS, "population.valuation", vname, f"one of {VALUATIONS.names()}")
    vparams = dict(pop.get("valuation_params", dict, {}))
    accepted = _random_params(VALUATIONS.get(vname).random)
    for k, v in vparams.items():
        require(k in accepted, f"population.valuation_params.{k}", v,
                f"a parameter of the {vname!r} valuation (accepted: {sorted(accepted)})")
        require(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= MAX_AGENTS,
                f"population.valuation_params.{k}", v, f"a finite number in [0, {MAX_AGENTS}]")
    frac = market.get("budget_frac", float, 0.1, check=lambda v: 0 < v <= 1, expected="a number in (0, 1]")
    eps = market.get("prediction_error", float, None, check=lambda v: v >= 0, expected="a non-negative number")
    kind = market.get("prediction_kind", str, "under", check=lambda v: v in ("under", "over"),
                      expected='"under" or "over"')
    inst = random_instance(vname, n, int(streams.get("types").integers(2**31)), budget_frac=frac, **vparams)
    pred = None if eps is None else PredictionModel(eps, kind)
    m = procurement_market(inst.valuation, inst.budget, pred, costs=list(inst.costs))
    return Population(m, [Cost(c) for c in inst.costs])


