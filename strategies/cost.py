"""Cost misreports for procurement sellers (budget-feasible paper, Section 2: bids b_i vs costs c_i).

A strategy returns the declared :class:`~mechanisms.preferences.Cost` (the bid). The seller
keeps its true cost for utility accounting (payment minus TRUE cost when hired): that is the
model's and the auditor's job, never the strategy's. Bids are clipped at 0 (a cost is
non-negative, Section 2).
"""
from __future__ import annotations

import math

import numpy as np

from mechanisms.preferences import AgentType, Cost
from mechanisms.procurement.stages import posted_price
from mechanisms.public_state import ProcurementPublic

from .base import PublicInfo, Strategy, register_strategy
from .misreport import check_kind
from .validation import choice_param, flag_param, real_param

_PROBES = "universal truthfulness and IR (procurement Lemma 1, Mechanisms 1-4)"


def _marginal(v, i: int, S: tuple[int, ...]) -> float:
    """Return v(i|S), built by adding S's members in order as the mechanism's state does.

    The same additions in the same order give the same floating-point marginal, so a tie
    between two solutions (the route) is broken exactly as the mechanism breaks it.
    """
    state = v.state()
    for j in S:
        state.add(j)
    return float(state.marginal(i))


def offered_price(info: PublicInfo) -> float | None:
    """Return the price seller ``info.agent`` will be offered, or None when it gets no offer.

    Computed from the published state (:class:`~mechanisms.public_state.ProcurementPublic`)
    and the public valuation v (``market.extra["valuation"]``), never from the seller's own
    bid: in the posted-price loop, p_i = (B/t) v(i|S_j) (Mechanism 2 line 7, Mechanism 3
    line 11) for the solution j she is routed to, offered when B'_j - p_i >= 0 and j is the
    solution that is paid; in a single-hire stage, B when v(i) passes the value threshold
    (Mechanism 2 line 2, Dynkin's line 3). None as well when the price is not determined by
    what is published: the sample phase, t not yet fixed, a random route, no own id, or a
    mechanism that publishes no procurement state.
    """
    pub, i = info.public, info.agent
    v = info.market.extra.get("valuation") if isinstance(info.market.extra, dict) else None
    if not isinstance(pub, ProcurementPublic) or i is None or v is None:
        return None
    if pub.stage == "single":
        vi, th = float(v.value([i])), pub.single_threshold
        return pub.budget if (vi > th if pub.single_strict else vi >= th) else None
    if pub.stage != "posted" or pub.t is None or not pub.solutions:
        return None
    if len(pub.solutions) == 1:
        j = 0
    elif pub.route == "max_marginal":  # ties to S_1 (Section 5, our reading)
        j = 0 if _marginal(v, i, pub.solutions[0]) >= _marginal(v, i, pub.solutions[1]) else 1
    else:
        return None  # routed by a coin at her arrival: the price is not known beforehand
    if j != pub.returned:
        return None  # the unreturned solution is built, never paid
    price = posted_price(pub.budget, _marginal(v, i, pub.solutions[j]), pub.t)
    return price if math.isfinite(price) and pub.budget_left[j] - price >= 0 else None


def procurement_budget(info: PublicInfo) -> float | None:
    """Return the budget B (published, else ``market.extra["budget"]``), or None."""
    if isinstance(info.public, ProcurementPublic):
        return info.public.budget
    b = info.market.extra.get("budget") if isinstance(info.market.extra, dict) else None
    ok = isinstance(b, (int, float, np.integer, np.floating)) and not isinstance(b, bool) and math.isfinite(float(b))
    return float(b) if ok else None


class CostMisreport(Strategy):
    """Base of the bid strategies: :meth:`bid` maps the true cost to a bid (clipped at 0)."""

    kinds = ("procurement",)
    probes = _PROBES

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        check_kind(self, true_type)
        return Cost(max(0.0, float(self.bid(true_type.value, info, rng))))

    def bid(self, cost: float, info: PublicInfo, rng: np.random.Generator) -> float:
        """Return the bid for true cost ``cost``."""
        raise NotImplementedError


@register_strategy
class ShadeMultiplicative(CostMisreport):
    """Bid ``factor * cost`` (factor > 1 shades up, < 1 shades down)."""

    name = "shade_mult"
    params = (real_param("factor", 1.1, "bid = factor * cost", lo=0.0),)

    def bid(self, cost, info, rng):
        return self.p["factor"] * cost


@register_strategy
class ShadeAdditive(CostMisreport):
    """Bid ``cost + delta`` (delta > 0 shades up, < 0 shades down; clipped at 0)."""

    name = "shade_add"
    params = (real_param("delta", 0.1, "bid = cost + delta"),)

    def bid(self, cost, info, rng):
        return cost + self.p["delta"]


@register_strategy
class NoisyBid(CostMisreport):
    """Bid the cost plus Gaussian noise of standard deviation ``scale`` (times the cost if relative)."""

    name = "noise"
    params = (real_param("scale", 0.1, "standard deviation of the noise", lo=0.0),
              flag_param("relative", True, "scale multiplies the cost"))

    def bid(self, cost, info, rng):
        sd = self.p["scale"] * (cost if self.p["relative"] else 1.0)
        return cost + sd * float(rng.standard_normal())


@register_strategy
class BelowThreshold(CostMisreport):
    """Bid just below the price the seller will be offered: ``price * (1 - margin)``.

    The price is what the mechanism posts (:func:`offered_price`): p_i = (B/t) v(i|S) in the
    posted-price loop (Mechanism 2 line 7; Mechanisms 3 and 4 line 11), B in a single-hire
    offer. ``only_if_profitable=True`` (default) bids so only when the price covers the true
    cost, else bids truthfully; ``False`` bids below it regardless (accepting a loss: probes
    individual rationality accounting). Bids truthfully when no offer is determined (a
    sample phase, t not yet fixed, a random route, or the seller will not be offered).
    Version 2: version 1 read a ``threshold`` no mechanism published, so it never acted.
    """

    name = "below_threshold"
    version = 2
    params = (real_param("margin", 0.01, "bid = price * (1 - margin)", lo=0.0, hi=1.0),
              flag_param("only_if_profitable", True, "bid below the price only when it covers the cost"))

    def bid(self, cost, info, rng):
        price = offered_price(info)
        if price is None or (self.p["only_if_profitable"] and price < cost):
            return cost
        return price * (1.0 - self.p["margin"])


@register_strategy
class Withhold(CostMisreport):
    """Withhold: bid above the budget so that no posted price (p_i <= B' <= B) accepts.

    ``mode="at"`` (default) bids exactly B, the largest bid the paper admits (Section 2: b in
    [0, B]^n), hired only by an offer of the whole budget (Mechanism 2 line 2, Dynkin's line 3).
    ``mode="above"`` bids ``(1 + margin) * B + margin``, the issue's literal "bid above budget";
    ``mechanisms.procurement`` rejects it as bad input unless configured with
    ``bids_above_budget="decline"``. B is read from the published state or ``market.extra``
    (``"budget"``); without it the seller bids ``fallback`` (default 1e12).
    """

    name = "withhold"
    params = (real_param("margin", 0.01, "mode above: bid (1 + margin) B + margin", lo=0.0, lo_open=True),
              real_param("fallback", 1e12, "the bid when no budget is known", lo=0.0, lo_open=True),
              choice_param("mode", "at", "bid B (at) or above it (above)", ("above", "at")))

    def bid(self, cost, info, rng):
        b = procurement_budget(info)
        if b is None:
            return max(self.p["fallback"], cost)
        if self.p["mode"] == "at":
            return max(cost, b)
        return max(cost, (1.0 + self.p["margin"]) * b + self.p["margin"])
