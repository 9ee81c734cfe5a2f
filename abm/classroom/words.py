"""Plain words for students: what an audit found, and what the papers' symbols mean.

:func:`plain_verdicts` reads an :class:`~abm.audit.AuditReport`'s table (counts only) and says
in one sentence per claim what happened, e.g. "not strategyproof: 4 of 13 swaps (31%) gained;
all within one object, which GSP1 allows". The verdicts themselves (``AuditReport.verdicts()``)
stay the auditor's; these lines only restate their counts.
"""
from __future__ import annotations

from typing import Any

#: The papers' symbols and names, as the README's glossary explains them.
GLOSSARY = {
    "eps_b": "how far random budgets may fall below 1: budgets lie in [1 - eps_b, 1] (OCAM Definition 1 (ii))",
    "eps_n": "share of the earliest agents exempt from the equilibrium conditions (OCAM Definition 1)",
    "eps_f": "market-clearing tolerance: use of a good may exceed its pro-rata capacity by this factor (Definition 1 (iii)/(iv))",
    "eps_s": "share of agents in OCAM's sample, eps_n * eps_f / 4 (Section 4.2)",
    "GSP1": "group-strategyproof up to one object: no group gains by lying, except by at most one object (Definition 6)",
    "EF1": "envy-free up to one object: removing one good from an envied bundle removes the envy (Definition 2)",
    "DACEEI": "dynamic approximate competitive equilibrium from equal incomes (Definition 1)",
    "SP1": "strategyproof with probability one as the market grows (SEM Definition 6)",
}


def display_name(key: str) -> str:
    """Return the name the auditor's verdicts use for claim ``key`` (one naming everywhere)."""
    from abm.audit.audit import display_name as _name

    return _name(key)


def plain_verdicts(report: Any) -> list[str]:
    """Return one plain-language sentence per claim of ``report`` (an AuditReport).

    Counts come from ``report.table()``: deviations tried and profitable per strategy, and
    the claim's checked/violation counts.
    """
    t = report.table()
    if len(t) == 0:
        return ["nobody lied, so there was nothing to audit"]
    out = []
    dev = t[t["deviations"].notna() & (t["strategy"] != "(every run)")] if "deviations" in t else t.iloc[0:0]
    for key in dict.fromkeys(t["claim"]):
        rows = dev[dev["claim"] == key]
        name = display_name(key)
        if len(rows):
            tried, gained = int(rows["deviations"].sum()), int(rows["profitable"].sum())
            checked, bad = int(rows["checked"].sum()), int(rows["violations"].sum())
            if checked == 0:
                out.append(f"{name}: not checked here (its assumptions do not hold on this market)")
                continue
            if gained == 0:
                out.append(f"{name}: none of the {tried} lies tried gained anything")
                continue
            what = ", ".join(f"{int(r.profitable)} of {int(r.deviations)} {r.strategy} ({r.profitable / r.deviations:.0%})"
                             for r in rows.itertuples() if r.deviations)
            if bad == 0 and key == "gsp1":
                out.append(f"not strategyproof: {what} gained; all within one object, which GSP1 allows")
            elif bad == 0:
                out.append(f"{what} gained, yet none broke {name}")
            else:
                out.append(f"{name} broken: {bad} of {checked} lies gained more than the claim allows ({what} gained)")
        else:
            runs = t[(t["claim"] == key) & (t["strategy"] == "(every run)")]
            if len(runs) and int(runs["checked"].sum()) == 0:
                out.append(f"{name}: not judged on this run (outside the assumptions the paper proves it under)")
            elif len(runs):
                v = int(runs["violations"].sum())
                outside = any("outside" in str(x) for x in runs.get("verdict", []))
                if v and outside:
                    out.append(f"{name}: fails on this run, but the run is outside the assumptions the paper proves "
                               "it under, so the paper promises nothing here (not a counterexample)")
                else:
                    out.append(f"{name}: {'holds' if v == 0 else 'fails'} on the truthful run")
    return out


def overshoot_lines(model: Any) -> list[str]:
    """Return one sentence on the goods a finished bundles run used beyond capacity, with the bound.

    OCAM never refuses a good once prices are posted (Section 4.2), so use can exceed capacity;
    DACEEI (Definition 1 (iii)) bounds the use of good j by (1 + eps_f) c_j at k = n, with high
    probability only under Assumption 2. Empty for other markets or when nothing is over.
    """
    import numpy as np

    market = getattr(model, "market", None)
    if market is None or market.kind != "bundles" or any(p.outcome is None for p in model.participants):
        return []
    goods = market.goods
    used = np.zeros(goods.m)
    for p in model.participants:
        used += (int(p.outcome.bundle) >> np.arange(goods.m)) & 1
    over = [j for j in range(goods.m) if used[j] > goods.capacities[j]]
    if not over:
        return []
    names = ", ".join(f"{goods.names[j]} {int(used[j])} for {goods.capacities[j]} seats" for j in over)
    eps_f = getattr(model.mechanism, "params", {}).get("eps_f") if hasattr(model, "mechanism") else None
    if eps_f is None:
        return [f"Over capacity: {names}: this mechanism does not enforce capacities."]
    bound = ", ".join(f"{goods.names[j]} {(1 + float(eps_f)) * goods.capacities[j]:.0f}" for j in over)
    return [f"Over capacity: {names}. OCAM never refuses a course once prices are posted (Section 4.2: each online "
            f"student buys the best affordable bundle), so use can exceed capacity; DACEEI (Definition 1 (iii)) bounds "
            f"it by (1 + eps_f) x capacity = {bound} (eps_f = {float(eps_f):g}), but only with high probability when the "
            f"capacities meet Assumption 2 (see the DACEEI verdict)."]
