"""Valuation misreports for online fair division (fair-division paper, Section 2; issue 16).

The algorithms of the paper make fairness claims, not incentive claims: these strategies
measure how manipulable they are. Each maps the agent's TRUE valuation (a personalized 2-value
:class:`~mechanisms.fair_division.valuations.TwoValue` or an interval-restricted
:class:`~mechanisms.fair_division.valuations.Interval`) to a declared one over the same goods:

- ``fd_swap_high``: swap which goods are high: ``k`` of its high goods declared low and ``k``
  of its low goods declared high (chosen with the agent's own stream);
- ``fd_inflate_alpha``: declare ``alpha' = factor * alpha`` (same high goods; interval: values
  above 1 stretched by ``factor``);
- ``fd_claim_type``: claim agent type 2 (every good worth the same, alpha = beta = 1) or type 3
  (low goods worthless: beta = 0, alpha = 1), Section 2's types;
- ``fd_hide_high``: declare every good low except the ``keep`` earliest high goods (a type-1
  agent pretending to want little, to gain priority for low-valued goods in Algorithm 1).

Interval agents are first reduced to their threshold function (Theorem 6.1) where a 2-value
report is needed. A misreport that does not apply (no high good to swap) is the true report.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError
from mechanisms.fair_division.valuations import Interval, TwoValue, Valuation
from mechanisms.params import ParamSpec, real_in

from .base import PublicInfo, Strategy, register_strategy
from .validation import int_param

PROBES = "fair-division manipulability (the algorithms claim fairness, not truthfulness; Theorems 4.1, 5.2, 5.4)"


class ValuationMisreport(Strategy):
    """Base of the fair-division misreports: checks the true type's kind."""

    kinds = ("fair_division",)
    probes = PROBES

    def report(self, true_type: Any, info: PublicInfo, rng: np.random.Generator) -> Valuation:
        if not isinstance(true_type, (TwoValue, Interval)):
            raise ConfigError(f"strategy.{self.name}", type(true_type).__name__,
                              "a 2-value or interval-restricted valuation (fair-division market)")
        return self.misreport(true_type, rng)

    def misreport(self, true: TwoValue | Interval, rng: np.random.Generator) -> Valuation:
        """Return the declared valuation."""
        raise NotImplementedError


@register_strategy
class SwapHigh(ValuationMisreport):
    """Swap which goods are high: ``k`` high goods declared low, ``k`` low goods declared high."""

    name = "fd_swap_high"
    params = (int_param("k", 1, "how many high goods to declare low (and low goods high)"),)

    def misreport(self, true, rng):
        tv = true.two_value()
        hi, lo = np.flatnonzero(tv.high), np.flatnonzero(~tv.high)
        k = min(self.p["k"], hi.size, lo.size)
        if k == 0 or tv.alpha == tv.beta:
            return true
        high = tv.high.copy()
        high[rng.choice(hi, size=k, replace=False)] = False
        high[rng.choice(lo, size=k, replace=False)] = True
        return tv.with_params(high=high)


@register_strategy
class InflateAlpha(ValuationMisreport):
    """Declare ``alpha' = factor * alpha`` for the same high goods (interval: stretch values above 1)."""

    name = "fd_inflate_alpha"
    params = (ParamSpec("factor", 2.0, "alpha' = factor * alpha", check=real_in(1.0, math.inf),
                        expected="a number >= 1"),)

    def misreport(self, true, rng):
        f = float(self.p["factor"])
        if isinstance(true, Interval):
            return Interval(1.0 + (true.values - 1.0) * f, alpha=1.0 + (true.alpha - 1.0) * f)
        if true.alpha == true.beta:
            return true
        return true.with_params(alpha=true.alpha * f)


@register_strategy
class ClaimType(ValuationMisreport):
    """Claim agent type 2 (all goods equal: alpha = beta = 1) or 3 (low goods worthless: beta = 0)."""

    name = "fd_claim_type"
    params = (ParamSpec("type", 2, "the claimed agent type", source="Section 2", choices=(2, 3)),)

    def misreport(self, true, rng):
        tv = true.two_value()
        return TwoValue.of_type(int(self.p["type"]), tv.high)


@register_strategy
class HideHigh(ValuationMisreport):
    """Declare only the ``keep`` earliest high goods high, every other good low (same alpha, beta)."""

    name = "fd_hide_high"
    params = (int_param("keep", 0, "how many of the earliest high goods stay high"),)

    def misreport(self, true, rng):
        tv = true.two_value()
        if tv.alpha == tv.beta:
            return true
        high = np.zeros(tv.m, dtype=bool)
        high[np.flatnonzero(tv.high)[: self.p["keep"]]] = True
        return tv.with_params(high=high)


def fair_division_strategy_names() -> list[str]:
    """Return the names of the strategies defined here (for docs and tests)."""
    return [c.name for c in (SwapHigh, InflateAlpha, ClaimType, HideHigh)]
