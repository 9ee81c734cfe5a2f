"""Audits across market sizes: SP1 over replica sizes (SEM paper, Definition 6, Corollary 1).

SP1 is a limit statement: for every eps > 0, the probability that a same-period misreport
yields a lottery the truthful one does not stochastically dominate, at sup-norm distance at
least eps, tends to 0 as the replica size n grows. :func:`sp1_study` audits one run per
(n, seed), pools the (agent, misreport) pairs per n, and reports the share of such pairs with
its Wilson 95% interval. The verdict compares the largest n with the smallest: "decreasing"
when the largest n's upper bound lies below the smallest n's lower bound, "zero" when no pair
counts at the largest n, "not decreasing" when the largest n's lower bound lies above the
smallest n's upper bound, otherwise "inconclusive".
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mechanisms.preferences import AgentType
from mechanisms.protocol import OnlineMechanism
from mechanisms.reports import Report

from .audit import AuditReport, audit
from .claims import AuditOptions
from .replay import Deviation
from .search import same_period_misreports
from .stats import format_rate, wilson_interval

Build = Callable[[int, int], tuple[Callable[[], OnlineMechanism], list[list[Report]], Mapping[int, AgentType]]]


@dataclass
class SP1Study:
    """Per-n SP1 shares and the trend verdict (see the module docstring)."""

    rows: list[dict[str, Any]]
    verdict: str
    report: AuditReport

    def table(self):
        """Return the per-n rows as a pandas DataFrame (n, pairs, events, share, ci_lo, ci_hi)."""
        import pandas as pd

        return pd.DataFrame(self.rows)


def sp1_study(build: Build, ns: Sequence[int], seeds: Iterable[int], eps: float = 0.05,
              deviations: Callable[[list[list[Report]], Mapping[int, AgentType]], Iterable[Deviation]] | None = None,
              limit_per_agent: int | None = None) -> SP1Study:
    """Return the SP1 shares across replica sizes ``ns``.

    ``build(n, seed)`` returns ``(factory, schedule, true_types)`` of the replica market M_n
    with its sampled arrivals; ``deviations(schedule, true_types)`` yields the misreports
    (default: every type of the agent's period in the SEM market's type space,
    :func:`abm.audit.search.same_period_misreports`, at most ``limit_per_agent`` per agent). Only the ``"sp1"`` claim is checked.
    """
    seeds = list(seeds)
    ns = sorted(ns)  # the trend verdict compares the smallest n (first row) with the largest (last)
    reports = []
    rows = []
    for n in ns:
        per_n = []
        for seed in seeds:
            factory, schedule, types = build(n, seed)
            if deviations is not None:
                devs = deviations(schedule, types)
            else:  # Definition 6: every type of the agent's period in the market's type space
                sem = getattr(factory().market, "extra", {}).get("sem")
                space = None if sem is None else (lambda t, sem=sem: [o for o, _ in sem.period_types(t + 1)])
                devs = same_period_misreports(schedule, types, limit_per_agent, type_space=space)
            per_n.append(audit(factory, schedule, types, seed, devs, claims=["sp1"],
                               options=AuditOptions(eps=eps), n=n))
        rep = AuditReport.combine(per_n)
        reports.append(rep)
        k, m = rep.violations("sp1"), rep.checked("sp1")
        lo, hi = wilson_interval(k, m)
        rows.append({"n": n, "pairs": m, "events": k, "share": k / m if m else 0.0, "ci_lo": lo, "ci_hi": hi})
    first, last = rows[0], rows[-1]
    if last["pairs"] == 0:
        trend = "inconclusive (no pairs at the largest n)"
    elif last["events"] == 0:
        trend = "zero at the largest n"
    elif len(rows) > 1 and last["ci_hi"] < first["ci_lo"]:
        trend = "decreasing"
    elif len(rows) > 1 and last["ci_lo"] > first["ci_hi"]:
        trend = "not decreasing"
    else:
        trend = "inconclusive"
    per = "; ".join(f"n={r['n']}: {format_rate(r['share'])} [{format_rate(r['ci_lo'])}, {format_rate(r['ci_hi'])}] "
                    f"of {r['pairs']}" for r in rows)
    verdict = f"SP1 (eps={eps:g}) share of pairs not dominated at distance >= eps: {per}; trend: {trend}"
    return SP1Study(rows, verdict, AuditReport.combine(reports))
