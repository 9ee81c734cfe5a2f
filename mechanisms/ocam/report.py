"""A one-screen text report of an OCAM run (prices, budgets, allocation, EF1/DACEEI verdicts)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..checks.daceei import DACEEIResult, check_daceei
from ..checks.envy import EF1Result, check_ef1
from ..engine import RunRecord
from ..market import Goods, bundle_vector
from ..preferences import BundleRanking


def describe_run(run: RunRecord, goods: Goods, true_types: dict[int, BundleRanking] | None = None) -> str:
    """Return a one-screen summary of an OCAM run.

    Shows the posted prices, the random budget of the most frequent sample types, the
    allocation (per-good use and excess over capacity, phases, most common bundles), the ECEEI
    clearing error, and the verdicts of EF1 among post-sample agents (Definition 2) and DACEEI
    (Definition 1) judged with the DECLARED types, or with ``true_types`` (agent id -> type)
    when given (the auditor's view).
    """
    mech = run.mechanism
    P = mech.params
    al = mech.allocation()
    lines = [(f"OCAM run, seed {run.seed}: n = {mech.n}, eps_b = {P['eps_b']}, eps_n = {P['eps_n']}, "
              f"eps_f = {P['eps_f']} (eps_s = {mech.eps_s:.4g}, sample {mech.sample_size}), "
              f"policy {P['capacity_policy']}")]
    cert = mech.certificate
    if cert is None:
        lines.append("still in the sample phase: no prices yet")
        return "\n".join(lines)
    lines.append("prices: " + "  ".join(f"{nm}={p:.4f}" for nm, p in zip(goods.names, cert.prices)))
    lines.append(f"sample ECEEI: {len(cert.types)} types, relative clearing error {cert.error:.2e} "
                 f"({'converged' if cert.converged else 'NOT converged'}, {cert.iterations} iterations, "
                 f"{cert.seconds:.3f} s)")
    order = np.argsort(-cert.counts, kind="stable")[:4]
    for t in order:
        bud = ", ".join(f"{b:.4f} w.p. {q:.3f}" for _, b, q in cert.support[t])
        lines.append(f"  type t{t} (x{int(cert.counts[t])}, {cert.types[t].describe(goods, 2)}): budget {bud}")
    used = np.zeros(goods.m)
    for b in al["bundles"]:
        used += bundle_vector(int(b), goods.m)
    lines.append("use/capacity: " + "  ".join(f"{nm} {int(u)}/{c}" for nm, u, c in zip(goods.names, used, goods.capacities)))
    over = np.maximum(used - goods.capacity, 0)
    if over.any():
        lines.append("excess over capacity: " + ", ".join(f"{goods.names[j]} +{int(over[j])}" for j in np.flatnonzero(over)))
    s = run.summary
    lines.append(f"agents: {len(al['agents'])} ({int(al['sample'].sum())} sample, {int((~al['sample']).sum())} online); "
                 f"hard-policy affected share {s.get('hard_affected_share', 0.0):.3f}; "
                 f"empty bundles {int((al['bundles'] == 0).sum())}")
    common = Counter(int(b) for b in al["bundles"]).most_common(3)
    lines.append("most common bundles: " + ", ".join(f"{goods.format_bundle(b)} x{c}" for b, c in common))
    decl = _declared(run)
    types = [(true_types or {}).get(a, decl[a]) for a in al["agents"].tolist()]
    post = np.flatnonzero(~al["sample"])
    ef1 = check_ef1(al["bundles"][post].tolist(), [types[i] for i in post])
    who = "true" if true_types else "declared"
    lines.append(f"EF1 among post-sample agents ({who} types, Definition 2): "
                 + ("holds" if ef1.ok else "FAILS: " + ef1_text(ef1, [int(al["agents"][i]) for i in post], goods)))
    d = check_daceei(al["bundles"], al["budgets"], types, cert.prices, goods.capacity, P["eps_b"], P["eps_n"],
                     P["eps_f"], n=mech.n)
    lines.append(f"DACEEI (Definition 1, k >= {d.k_from}): " + ("holds" if d.ok else "FAILS: " + daceei_text(d, goods)))
    lines.append(f"Assumption 2 would need capacity >= {s.get('assumption2_capacity', float('nan')):.3g} "
                 f"(min capacity here {min(goods.capacities)})")
    return "\n".join(lines)


def ef1_text(res: EF1Result, agents: Sequence[int], goods: Goods | None = None) -> str:
    """Return the words of an EF1 violation (OCAM Definition 2), the one text of reports and audits.

    ``res`` is :func:`mechanisms.checks.envy.check_ef1`'s verdict on bundles listed in the order
    of ``agents`` (their ids); bundles are named by ``goods`` when given, else shown as masks.
    Returns ``"holds"`` when ``res.ok``.
    """
    if res.ok:
        return "holds"
    show = goods.format_bundle if goods is not None else str
    return (f"agent {agents[res.envier]} envies agent {agents[res.envied]}'s bundle {show(res.other)} "
            f"beyond one object (own bundle {show(res.bundle)})")


def daceei_text(res: DACEEIResult, goods: Goods | None = None) -> str:
    """Return the words of a DACEEI verdict (OCAM Definition 1), the one text of reports and audits.

    Names every failing condition of (i)-(iv) with its first violating position k, good (named
    by ``goods`` when given, else its index) and margin; ``"holds"`` when ``res.ok``.
    """
    if res.ok:
        return "holds"
    conds = sorted(res.violations)
    parts = []
    for c in conds:
        v = res.violations[c]
        good = "" if v.good is None else f", good {goods.names[v.good] if goods is not None else v.good}"
        parts.append(f"({c}) first at k={v.k}{good}, margin {v.margin:.4g}")
    return f"condition(s) {conds} of Definition 1 fail: " + "; ".join(parts)


def _declared(run: RunRecord) -> dict[int, BundleRanking]:
    return {r.agent: r.declared for tick in run.schedule for r in tick}
