"""Statistics of an audit cell: Wilson intervals and zero-violation upper bounds.

A cell is one (mechanism, strategy or search, coalition size, market size) combination
(issue 7, item 4). Shares are reported with the Wilson score interval; when no violation was
seen, the verdict states the exact one-sided 95% upper bound on the violation rate,
``1 - 0.05 ** (1 / N)`` (the Clopper-Pearson bound for 0 successes, about ``3 / N``: the "rule
of three" behind "0 violations in 20,000, rate < 0.015%").
"""
from __future__ import annotations

import math

#: Two-sided 95% normal quantile.
Z95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval (lo, hi) for ``successes`` out of ``trials``.

    ``(0.0, 1.0)`` when ``trials`` is 0 (nothing is known).
    """
    if trials <= 0:
        return 0.0, 1.0
    p = successes / trials
    z2 = z * z
    denom = 1.0 + z2 / trials
    centre = (p + z2 / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == trials else min(1.0, centre + half)
    return lo, hi


def zero_rate_upper_bound(trials: int, alpha: float = 0.05) -> float:
    """Return the exact one-sided ``1 - alpha`` upper bound on a rate after 0 events in ``trials``.

    Clopper-Pearson with no events: the largest rate p with ``(1 - p) ** trials >= alpha``,
    i.e. ``1 - alpha ** (1 / trials)`` (1.0 when ``trials`` is 0).
    """
    if trials <= 0:
        return 1.0
    return 1.0 - alpha ** (1.0 / trials)


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
