"""Cost misreports for procurement sellers (budget-feasible paper, Section 2: bids b_i vs costs c_i).

A strategy returns the declared :class:`~mechanisms.preferences.Cost` (the bid). The seller
keeps its true cost for utility accounting (payment minus TRUE cost when hired): that is the
model's and the auditor's job, never the strategy's. Bids are clipped at 0 (a cost is
non-negative, Section 2).
"""
from __future__ import annotations

import numpy as np

from mechanisms.preferences import AgentType, Cost

from . import public_view
from .base import PublicInfo, Strategy, register_strategy
from .misreport import check_kind
from .validation import check_choice, check_real

_PROBES = "universal truthfulness and IR (procurement Lemma 1, Mechanisms 1-4)"


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
    params = {"factor": 1.1}

    def validate(self) -> None:
        check_real(self.name, self.p, "factor", 0.0)

    def bid(self, cost, info, rng):
        return self.p["factor"] * cost


@register_strategy
class ShadeAdditive(CostMisreport):
    """Bid ``cost + delta`` (delta > 0 shades up, < 0 shades down; clipped at 0)."""

    name = "shade_add"
    params = {"delta": 0.1}

    def validate(self) -> None:
        check_real(self.name, self.p, "delta")

    def bid(self, cost, info, rng):
        return cost + self.p["delta"]


@register_strategy
class NoisyBid(CostMisreport):
    """Bid the cost plus Gaussian noise of standard deviation ``scale`` (times the cost if relative)."""

    name = "noise"
    params = {"scale": 0.1, "relative": True}

    def validate(self) -> None:
        check_real(self.name, self.p, "scale", 0.0)
        check_choice(self.name, self.p, "relative", (True, False))

    def bid(self, cost, info, rng):
        sd = self.p["scale"] * (cost if self.p["relative"] else 1.0)
        return cost + sd * float(rng.standard_normal())


@register_strategy
class BelowThreshold(CostMisreport):
    """Bid just below the posted price the seller can infer: ``threshold * (1 - margin)``.

    The posted price is p_i = (B/t) v(i|S) (Mechanism 2 line 7; Mechanism 3 line 11; Mechanism
    4 line 11), read from the published ``threshold``. ``only_if_profitable=True`` (default)
    bids so only when the threshold covers the true cost, else bids truthfully; ``False`` bids
    below it regardless (accepting a loss: probes individual rationality accounting). Falls back
    to the truthful bid when no threshold is published (e.g. in a sampling phase).
    """

    name = "below_threshold"
    params = {"margin": 0.01, "only_if_profitable": True}

    def validate(self) -> None:
        check_real(self.name, self.p, "margin", 0.0, 1.0)
        check_choice(self.name, self.p, "only_if_profitable", (True, False))

    def bid(self, cost, info, rng):
        th = public_view.threshold(info)
        if th is None or (self.p["only_if_profitable"] and th < cost):
            return cost
        return th * (1.0 - self.p["margin"])


@register_strategy
class Withhold(CostMisreport):
    """Withhold: bid above the budget so that no posted price (p_i <= B' <= B) accepts.

    ``mode="at"`` (default) bids exactly B, the largest bid the paper admits (Section 2: b in
    [0, B]^n), hired only by an offer of the whole budget (Mechanism 2 line 2, Dynkin's line 3).
    ``mode="above"`` bids ``(1 + margin) * B + margin``, the issue's literal "bid above budget";
    ``mechanisms.procurement`` rejects it as bad input unless configured with
    ``bids_above_budget="decline"``. B is
    read from the public state or ``market.extra`` (``"budget"``/``"B"``); without it the seller
    bids ``fallback`` (default 1e12).
    """

    name = "withhold"
    params = {"margin": 0.01, "fallback": 1e12, "mode": "at"}

    def validate(self) -> None:
        check_real(self.name, self.p, "margin", 0.0, lo_open=True)
        check_real(self.name, self.p, "fallback", 0.0, lo_open=True)
        check_choice(self.name, self.p, "mode", ("above", "at"))

    def bid(self, cost, info, rng):
        b = public_view.procurement_budget(info)
        if b is None:
            return max(self.p["fallback"], cost)
        if self.p["mode"] == "at":
            return max(cost, b)
        return max(cost, (1.0 + self.p["margin"]) * b + self.p["margin"])
