"""Trend verdicts for asymptotic claims: does an event rate vanish as the market grows?

SP1 (SEM paper, Definition 6; Corollary 1) is a limit statement: the probability that a
same-period misreport yields a lottery the truthful one does not weakly stochastically
dominate, at sup-norm distance at least eps, tends to 0 as the replica size n grows. A study
measures, for each market (one run of the replica M_n for one seed), ``events`` out of
``pairs`` (agent, misreport) pairs. This module turns those counts into a verdict; it holds
no mechanism code (numpy and scipy only).

**Units.** The markets are the independent units: each is an independent draw of the arrivals
(a seed). The pairs inside one market are *not* independent (they share the realised arrivals,
the supply left and the prices), so they are never treated as Bernoulli trials. How the pairs
were chosen is the *design*, named in every verdict: ``"probe"`` (alias ``"deterministic"``:
a fixed probe set per market, e.g. every arrival times every other type of its period) or
``"random"`` (pairs drawn from a declared distribution), the two designs of the auditor.

**The trend test** (:func:`trend_test`). A one-sided Cochran-Armitage test of a falling rate in
log n, i.e. the score test of the slope b = 0 against b < 0 in the binomial GLM
``logit p = a + b log n`` (Armitage 1955; the score test needs no maximum-likelihood fit, so a
curve that falls to exactly 0 is handled). Its variance is inflated by a dispersion factor phi
(the Rao-Scott design effect for clustered binary data, Rao and Scott 1992): the pooled Pearson
statistic of the markets around their own size's rate, over its degrees of freedom
(sum over sizes of markets - 1), at least 1. Without replicated markets at any size phi is the
Pearson statistic of all markets around the pooled rate over (markets - 1): conservative, since
a real trend inflates it. z = U / sqrt(phi V), p_fall = Phi(z).

**The level test** (:func:`level_test`). At the largest n, an exact one-sided binomial test
(``scipy.stats.binomtest``) of the rate against ``threshold`` on the Rao-Scott effective counts
(events / phi of pairs / phi): p_above (rate > threshold) and p_below (rate < threshold). The
per-size intervals of the curve are exact Clopper-Pearson intervals on the same effective counts:
intervals for the mean share over random markets of that size, not for the probe set.

**The verdict** (:func:`trend_verdict`), at level ``alpha``:

- fewer than two sizes with pairs: ``"inconclusive"`` (a trend needs two sizes);
- significant fall (p_fall < alpha): ``"vanishing"`` when the largest n has no event or its
  rate is significantly below the threshold, else ``"decreasing"``;
- no significant fall and the largest n's rate significantly above the threshold:
  ``"violated: does not vanish"`` (the curve is printed);
- no significant fall, largest n significantly below the threshold: ``"vanishing"``;
- otherwise ``"inconclusive"`` (the data cannot tell).

``threshold`` (default :data:`DEFAULT_THRESHOLD`) is the rate the study treats as practically
zero at its largest market: Definition 6 only states the limit, so this is the testbed's
choice, a named parameter.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from mechanisms.errors import require

#: Significance level of the trend and level tests.
DEFAULT_ALPHA = 0.05
#: Rate treated as practically zero at the largest market size (a testbed choice, see above).
DEFAULT_THRESHOLD = 0.01

VANISHING = "vanishing"
DECREASING = "decreasing"
NOT_VANISHING = "violated: does not vanish"
INCONCLUSIVE = "inconclusive"
LABELS = (VANISHING, DECREASING, NOT_VANISHING, INCONCLUSIVE)

#: Designs a study may declare (named in every verdict); "deterministic" is an alias of "probe".
DESIGNS = ("probe", "deterministic", "random")


@dataclass(frozen=True)
class CurvePoint:
    """One market size of the curve: pooled counts, share and its design-adjusted interval."""

    n: int
    markets: int
    pairs: int
    events: int
    share: float
    ci_lo: float
    ci_hi: float


@dataclass(frozen=True)
class TrendResult:
    """The trend verdict and everything it rests on (see the module docstring).

    ``label`` is one of :data:`LABELS`; ``text`` states the verdict, the design, the tests
    with their statistics and the curve.
    """

    label: str
    design: str
    z: float
    p_fall: float
    dispersion: float
    dispersion_source: str
    p_above: float
    p_below: float
    threshold: float
    alpha: float
    curve: tuple[CurvePoint, ...]
    reason: str
    text: str = field(default="")

    @property
    def violated(self) -> bool:
        """True when the rate does not vanish (``"violated: does not vanish"``)."""
        return self.label == NOT_VANISHING


def _arrays(ns: Sequence[int], events: Sequence[int], pairs: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = np.asarray(ns, dtype=np.float64)
    k = np.asarray(events, dtype=np.float64)
    m = np.asarray(pairs, dtype=np.float64)
    require(n.ndim == 1 and n.shape == k.shape == m.shape, "events", list(k.shape),
            "one n, one event count and one pair count per market")
    require(bool(np.all(n >= 1)), "ns", n.tolist(), "market sizes >= 1")
    require(bool(np.all((k >= 0) & (m >= 0) & (k <= m))), "events", k.tolist(),
            "0 <= events <= pairs in every market")
    return n, k, m


def dispersion(ns: Sequence[int], events: Sequence[int], pairs: Sequence[int]) -> tuple[float, str]:
    """Return (phi, where it came from): the Rao-Scott dispersion of the markets' event counts.

    Pooled within sizes: sum over sizes with at least two markets and a rate strictly between
    0 and 1 of the Pearson statistic sum_s (k_s - m_s p_n)^2 / (m_s p_n (1 - p_n)), over
    sum (markets - 1). Without such sizes: the Pearson statistic of every market around the
    pooled rate over (markets - 1) (conservative). Never below 1.
    """
    n, k, m = _arrays(ns, events, pairs)
    keep = m > 0
    n, k, m = n[keep], k[keep], m[keep]
    chi, df = 0.0, 0
    for v in np.unique(n):
        sel = n == v
        if sel.sum() < 2:
            continue
        p = k[sel].sum() / m[sel].sum()
        if not 0 < p < 1:
            continue
        chi += float(((k[sel] - m[sel] * p) ** 2 / (m[sel] * p * (1 - p))).sum())
        df += int(sel.sum()) - 1
    if df > 0:
        return max(1.0, chi / df), f"within sizes ({df} df)"
    p = k.sum() / m.sum() if m.sum() > 0 else 0.0
    if k.size >= 2 and 0 < p < 1:
        chi = float(((k - m * p) ** 2 / (m * p * (1 - p))).sum())
        return max(1.0, chi / (k.size - 1)), f"across all markets ({k.size - 1} df, conservative)"
    return 1.0, "none estimable (binomial)"


def trend_test(ns: Sequence[int], events: Sequence[int], pairs: Sequence[int],
               phi: float | None = None) -> tuple[float, float]:
    """Return (z, p_fall): the one-sided Cochran-Armitage score test of a falling rate in log n.

    The score of the slope at b = 0 in ``logit p = a + b log n`` is
    U = sum_s (k_s - m_s p)(x_s - xbar) with x = log n, p the pooled rate and xbar the
    pair-weighted mean of x; under b = 0 its variance is V = p (1 - p) sum_s m_s (x_s - xbar)^2,
    inflated by ``phi`` (default :func:`dispersion`). Returns z = U / sqrt(phi V) and
    p_fall = Phi(z) (small when the rate falls). (0, 1) when the rate is 0 or 1 everywhere or
    there is one size only.
    """
    n, k, m = _arrays(ns, events, pairs)
    if phi is None:
        phi = dispersion(ns, events, pairs)[0]
    M = m.sum()
    if M <= 0:
        return 0.0, 1.0
    p = k.sum() / M
    x = np.log(n)
    xbar = float((m * x).sum() / M)
    V = p * (1 - p) * float((m * (x - xbar) ** 2).sum())
    if V <= 0:
        return 0.0, 1.0
    U = float(((k - m * p) * (x - xbar)).sum())
    z = U / math.sqrt(phi * V)
    return z, float(stats.norm.cdf(z))


def _effective(k: float, m: float, phi: float) -> tuple[int, int]:
    me = max(1, int(round(m / phi))) if m > 0 else 0
    ke = min(me, int(round(k / phi)))
    if k > 0 and ke == 0 and me > 0:
        ke = 1  # an observed event never rounds away
    return ke, me


def level_test(events: int, pairs: int, threshold: float, phi: float = 1.0) -> tuple[float, float]:
    """Return (p_above, p_below): exact binomial tests of the rate against ``threshold``.

    On the Rao-Scott effective counts (events / phi of pairs / phi, rounded; an observed event
    is kept). (1, 1) when there are no pairs.
    """
    require(0 < threshold < 1, "threshold", threshold, "a rate in (0, 1)")
    ke, me = _effective(events, pairs, phi)
    if me == 0:
        return 1.0, 1.0
    above = stats.binomtest(ke, me, threshold, alternative="greater").pvalue
    below = stats.binomtest(ke, me, threshold, alternative="less").pvalue
    return float(above), float(below)


def curve(ns: Sequence[int], events: Sequence[int], pairs: Sequence[int], phi: float = 1.0,
          confidence: float = 0.95) -> tuple[CurvePoint, ...]:
    """Return the per-size curve: pooled counts and Clopper-Pearson intervals on effective counts."""
    n, k, m = _arrays(ns, events, pairs)
    out = []
    for v in np.unique(n):
        sel = n == v
        K, Mt = int(k[sel].sum()), int(m[sel].sum())
        ke, me = _effective(K, Mt, phi)
        if me > 0:
            ci = stats.binomtest(ke, me).proportion_ci(confidence, method="exact")
            lo, hi = float(ci.low), float(ci.high)
        else:
            lo, hi = 0.0, 1.0
        out.append(CurvePoint(int(v), int(sel.sum()), Mt, K, K / Mt if Mt else 0.0, lo, hi))
    return tuple(out)


def _pct(p: float) -> str:
    from .stats import format_rate  # one rate format for every verdict

    return format_rate(p)


def trend_verdict(ns: Sequence[int], events: Sequence[int], pairs: Sequence[int], *,
                  threshold: float = DEFAULT_THRESHOLD, alpha: float = DEFAULT_ALPHA,
                  design: str = "probe", what: str = "SP1") -> TrendResult:
    """Return the trend verdict for per-market counts (one entry of ``ns``/``events``/``pairs`` per market).

    See the module docstring for the tests and the decision rule. ``design`` names how the
    pairs of a market were chosen (:data:`DESIGNS`); ``what`` names the claim in the text.
    """
    require(design in DESIGNS, "design", design, f"one of {DESIGNS}")
    require(0 < alpha < 1, "alpha", alpha, "a significance level in (0, 1)")
    require(0 < threshold < 1, "threshold", threshold, "a rate in (0, 1)")
    n, k, m = _arrays(ns, events, pairs)
    phi, src = dispersion(n, k, m)
    pts = curve(n, k, m, phi)
    sized = [p for p in pts if p.pairs > 0]
    z, p_fall = trend_test(n, k, m, phi)
    if sized:
        last = sized[-1]
        p_above, p_below = level_test(last.events, last.pairs, threshold, phi)
    else:
        last, p_above, p_below = None, 1.0, 1.0
    if len(sized) < 2:
        label, reason = INCONCLUSIVE, "a trend needs pairs at two market sizes at least"
    elif p_fall < alpha:
        if last.events == 0 or p_below < alpha:  # type: ignore[union-attr]
            label = VANISHING
            reason = "the rate falls with n" + (" and is zero at the largest n" if last.events == 0  # type: ignore[union-attr]
                                                 else f" and is below {_pct(threshold)} at the largest n")
        else:
            label, reason = DECREASING, f"the rate falls with n but is not yet below {_pct(threshold)} at the largest n"
    elif p_above < alpha:
        label = NOT_VANISHING
        reason = (f"no significant fall with n, and the rate at the largest n is above {_pct(threshold)}"
                  + (" (it rises)" if 1 - p_fall < alpha else ""))
    elif p_below < alpha:
        label = VANISHING
        reason = (f"no significant trend, but the rate at the largest n is below {_pct(threshold)}"
                  + (" (zero at the largest n)" if last.events == 0 else ""))  # type: ignore[union-attr]
    else:
        label = INCONCLUSIVE
        reason = ("the data cannot tell: no significant fall, and the largest n's rate is neither above "
                  f"nor below {_pct(threshold)}" + (" (zero at the largest n, too few pairs)"
                                                     if last is not None and last.events == 0 else ""))
    markets = int((m > 0).sum())
    design = "probe" if design == "deterministic" else design
    design_text = ("deterministic probe set per market (counts, no per-pair sampling)" if design == "probe"
                   else "random sample of pairs per market")
    curve_text = "; ".join(f"n={p.n}: {p.events}/{p.pairs} = {_pct(p.share)} [{_pct(p.ci_lo)}, {_pct(p.ci_hi)}]"
                           for p in pts)
    text = (f"{what} trend: {label} ({reason}). Design: {design_text}, over {markets} random markets "
            f"(seeds) as the independent units. Test: one-sided Cochran-Armitage score test of a falling rate "
            f"in log n (binomial GLM logit p = a + b log n, H0 b = 0), variance times the Rao-Scott dispersion "
            f"phi = {phi:.3g} ({src}): z = {z:.2f}, p = {p_fall:.3g}; level at the largest n: exact binomial "
            f"test against {_pct(threshold)} on effective counts, p(above) = {p_above:.3g}, "
            f"p(below) = {p_below:.3g}; alpha = {alpha:g}. Curve (95% Clopper-Pearson on effective counts, "
            f"for the mean share over markets of that size): {curve_text}")
    return TrendResult(label, design, z, p_fall, phi, src, p_above, p_below, threshold, alpha, pts, reason, text)
