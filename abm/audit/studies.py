"""Audits across market sizes: SP1 (SEM paper, Definition 6, Corollary 1) and asymptotic efficiency
(Definition 4, :func:`efficiency_study`) over replica sizes.

SP1 is a limit statement: for every eps > 0, the probability that a same-period misreport
yields a lottery the truthful one does not weakly stochastically dominate, at sup-norm distance
at least eps, tends to 0 as the replica size n grows. :func:`sp1_study` audits one run per
(n, seed) (only the ``"sp1"`` claim), keeps each market's ``events`` of ``pairs``, and gives a
*trend verdict* over n (:mod:`abm.audit.trend`): ``"vanishing"`` or ``"decreasing"`` when the
rate falls, ``"violated: does not vanish"`` when it does not fall and stays above the
threshold at the largest n (with the curve), ``"inconclusive"`` only when the data cannot tell.
The markets (seeds) are the independent units; the pairs of one market are its probe set, named
in the verdict: by default every arrival times every other type of its period in the market's
type space (``"probe"``, a deterministic probe set); a caller passing random deviations declares
``design="random"``.

:func:`family_build` turns a market family of :mod:`mechanisms.sem.families` (where faithful
SEM does have SP1 events at small n) into the ``build`` argument.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mechanisms.errors import require
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.preferences import AgentType
from mechanisms.reports import Report

from .audit import AuditReport, audit
from .claims import AuditOptions
from .deviations import same_period_misreports
from .replay import Deviation
from .trend import DEFAULT_ALPHA, DEFAULT_THRESHOLD, TrendResult, trend_verdict

Build = Callable[[int, int], tuple[Callable[[], OnlineMechanism], list[list[Report]], Mapping[int, AgentType]]]


@dataclass
class SP1Study:
    """Per-n SP1 counts, the per-market counts and the trend verdict (module docstring).

    ``rows``: one dict per n (n, markets, pairs, events, share, ci_lo, ci_hi; the interval is
    the design-adjusted Clopper-Pearson interval of :func:`abm.audit.trend.curve`).
    ``markets``: one dict per (n, seed) (n, seed, pairs, events). ``trend``: the
    :class:`~abm.audit.trend.TrendResult`; ``verdict`` its text; ``label`` its label.
    """

    rows: list[dict[str, Any]]
    verdict: str
    report: AuditReport
    markets: list[dict[str, Any]] = field(default_factory=list)
    trend: TrendResult | None = None
    eps: float = 0.05

    @property
    def label(self) -> str:
        """The trend label (``"vanishing"``, ``"decreasing"``, ``"violated: does not vanish"``, ``"inconclusive"``)."""
        return self.trend.label if self.trend is not None else "inconclusive"

    def table(self):
        """Return the per-n rows as a pandas DataFrame (n, markets, pairs, events, share, ci_lo, ci_hi)."""
        import pandas as pd

        return pd.DataFrame(self.rows)

    def plot(self, ax=None, path=None):
        """Plot the share against n (log scale) with its intervals and the threshold; return the axes.

        ``path``: also save the figure there. Needs matplotlib.
        """
        import matplotlib

        if ax is None and path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.2))
        ns = [r["n"] for r in self.rows]
        share = [r["share"] for r in self.rows]
        lo = [r["share"] - r["ci_lo"] for r in self.rows]
        hi = [r["ci_hi"] - r["share"] for r in self.rows]
        ax.errorbar(ns, share, yerr=[lo, hi], marker="o", capsize=3, label="SP1 event share")
        if self.trend is not None:
            ax.axhline(self.trend.threshold, color="grey", ls="--", lw=1, label="threshold")
        ax.set_xscale("log")
        ax.set_xlabel("replica size n")
        ax.set_ylabel(f"share not dominated, distance >= {self.eps:g}")
        ax.set_title(f"SP1 trend: {self.label}")
        ax.legend(fontsize=8)
        if path is not None:
            ax.figure.savefig(path, bbox_inches="tight")
        return ax


def family_build(family: str, mechanism: str = "sem", params: Mapping[str, Any] | None = None,
                 family_params: Mapping[str, Any] | None = None) -> Build:
    """Return a ``build(n, seed)`` for :func:`sp1_study` on a family of :mod:`mechanisms.sem.families`.

    ``mechanism`` is a registered mechanism or mutant name, ``params`` its parameters;
    ``family_params`` the family's parameters.
    """
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism
    from mechanisms.sem.families import family_market, family_schedule

    def build(n: int, seed: int):
        sem = family_market(family, n, family_params)
        market = sem.market()
        schedule, types = family_schedule(sem, seed)
        return (lambda: build_mechanism(mechanism, market, params)), schedule, types

    return build


def sp1_study(build: Build, ns: Sequence[int], seeds: Iterable[int], eps: float = 0.05,
              deviations: Callable[[list[list[Report]], Mapping[int, AgentType]], Iterable[Deviation]] | None = None,
              limit_per_agent: int | None = None, *, threshold: float = DEFAULT_THRESHOLD,
              alpha: float = DEFAULT_ALPHA, design: str | None = None,
              options: AuditOptions | None = None, claim: str = "sp1") -> SP1Study:
    """Return the SP1 counts across replica sizes ``ns`` and their trend verdict.

    ``build(n, seed)`` returns ``(factory, schedule, true_types)`` of the replica market M_n
    with its sampled arrivals; ``deviations(schedule, true_types)`` yields the misreports
    (default: every type of the agent's period in the SEM market's type space,
    :func:`abm.audit.deviations.same_period_misreports`, at most ``limit_per_agent`` per agent).
    Only the ``"sp1"`` claim is checked. ``threshold``/``alpha``: see :mod:`abm.audit.trend`.
    ``design``: how each market's pairs were chosen, ``"probe"`` (default; the default
    deviations are a deterministic probe set) or ``"random"``. ``options``: audit options (``eps`` is set from ``eps``).
    ``claim``: the asymptotic claim judged (default SP1); a run-level claim such as
    ``"ordinal_efficiency_asymptotic"`` (Definition 4) is checked on each market's truthful
    run, one unit per market (see :func:`efficiency_study`).
    """
    from .claims import checker_for

    chk = checker_for(claim)
    require(chk is not None, "claim", claim, "a claim with a checker (abm.audit.claims.CLAIM_CHECKERS)")
    run_level = chk.level == "run"
    seeds = list(seeds)
    ns = sorted(ns)
    require(len(ns) > 0, "ns", ns, "at least one market size")
    design = design or "probe"
    opts = options if options is not None else AuditOptions()
    from dataclasses import replace

    opts = replace(opts, eps=eps)
    reports, rows, markets = [], [], []
    for n in ns:
        per_n = []
        for seed in seeds:
            factory, schedule, types = build(n, seed)
            if run_level:
                devs = []
            elif deviations is not None:
                devs = deviations(schedule, types)
            else:  # Definition 6: every type of the agent's period in the market's type space
                sem = getattr(factory().market, "extra", {}).get("sem")
                space = None if sem is None else (lambda t, sem=sem: [o for o, _ in sem.period_types(t + 1)])
                devs = same_period_misreports(schedule, types, limit_per_agent, type_space=space)
            rep = audit(factory, schedule, types, seed, devs, claims=[claim], options=opts, n=n)
            per_n.append(rep)
            markets.append({"n": n, "seed": seed, "pairs": rep.checked(claim), "events": rep.violations(claim)})
        reports.append(AuditReport.combine(per_n))
    trend = trend_verdict([r["n"] for r in markets], [r["events"] for r in markets], [r["pairs"] for r in markets],
                          threshold=threshold, alpha=alpha, design=design,
                          what=f"SP1 (eps={eps:g})" if claim == "sp1" else f"{claim} (eps={eps:g})")
    for p in trend.curve:
        rows.append({"n": p.n, "markets": p.markets, "pairs": p.pairs, "events": p.events, "share": p.share,
                     "ci_lo": p.ci_lo, "ci_hi": p.ci_hi})
    verdict = trend.text
    if rows and rows[-1]["pairs"] > 0 and rows[-1]["events"] == 0:
        verdict += "; trend: zero at the largest n"
    return SP1Study(rows, verdict, AuditReport.combine(reports), markets, trend, eps)


def efficiency_study(build: Build, ns: Sequence[int], seeds: Iterable[int], **kw: Any) -> SP1Study:
    """Return the asymptotic-efficiency trend (SEM Definition 4; Theorem 5 (i)-(ii)) across ``ns``.

    Each (n, seed) market's truthful run is one unit: an event when
    :func:`abm.audit.claims.check_ordinal_efficiency` cannot certify an ordinally efficient
    allocation within :data:`abm.audit.claims.OE_EPS`. Same trend verdict as :func:`sp1_study`.
    """
    from .claims import OE_EPS

    return sp1_study(build, ns, seeds, eps=OE_EPS, claim="ordinal_efficiency_asymptotic", **kw)
