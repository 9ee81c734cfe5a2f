"""Statistics of an audit cell, from :func:`scipy.stats.binomtest`.

A cell is one (mechanism, strategy or search, coalition size, market size) combination. Two
study designs (docs/audit.md, "Honest statistics"):

- a deterministic or exhaustive **probe set** (fixed agents, every truncation or swap): the
  deviations are not a sample of anything, so only counts are reported, never a rate or an
  interval;
- a **random sample** (deviations drawn i.i.d. from a declared distribution over agents,
  deviation families and seeds): shares carry exact (Clopper-Pearson) 95% intervals for that
  population, and with no violation the exact one-sided 95% upper bound
  ``1 - 0.05 ** (1 / N)`` (about ``3 / N``, the "rule of three").

Shares of profitable deviations keep the Wilson score interval (``method="wilson"``), as the
sweeps' figures do.
"""
from __future__ import annotations

import math

from scipy.stats import binomtest

from mechanisms.stats import Z95  # noqa: F401  (its one home; re-exported for the Wilson interval and figures)


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the Wilson score interval (lo, hi) for ``successes`` out of ``trials``.

    ``(0.0, 1.0)`` when ``trials`` is 0 (nothing is known).
    """
    if trials <= 0:
        return 0.0, 1.0
    ci = binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="wilson")
    lo = 0.0 if successes == 0 else max(0.0, float(ci.low))
    hi = 1.0 if successes == trials else min(1.0, float(ci.high))
    return lo, hi


def exact_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Return the exact (Clopper-Pearson) two-sided interval for a binomial rate."""
    if trials <= 0:
        return 0.0, 1.0
    ci = binomtest(int(successes), int(trials)).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def zero_rate_upper_bound(trials: int, alpha: float = 0.05) -> float:
    """Return the exact one-sided ``1 - alpha`` upper bound on a rate after 0 events in ``trials``.

    Clopper-Pearson with no events (``binomtest(0, n, alternative="less")``): the largest rate p
    with ``(1 - p) ** trials >= alpha``, i.e. ``1 - alpha ** (1 / trials)`` (1.0 for no trials).
    """
    if trials <= 0:
        return 1.0
    ci = binomtest(0, int(trials), alternative="less").proportion_ci(confidence_level=1 - alpha, method="exact")
    return float(ci.high)


def binomial_pvalue(successes: int, trials: int, p: float) -> float:
    """Return the two-sided exact binomial test's p-value of ``successes`` in ``trials`` at rate ``p``."""
    if trials <= 0:
        return 1.0
    return float(binomtest(int(successes), int(trials), min(max(p, 0.0), 1.0)).pvalue)


def format_rate(p: float) -> str:
    """Return a rate as a short percentage (``"0.015%"``, ``"2.5%"``)."""
    pct = 100.0 * p
    if pct == 0:
        return "0%"
    if pct >= 10:
        return f"{pct:.0f}%"
    if pct >= 1:
        return f"{pct:.1f}%"
    digits = max(1, -int(math.floor(math.log10(pct))) + 1)
    return f"{pct:.{digits}f}%"
