"""Benchmarks of the trustless auditor (issue 11): deviations audited per second, memory, mutation score.

Rates are unilateral deviations per second of replay + claim checks (``check_deviation``; the
median of three passes, five for sets of fewer than 1,000 deviations, each on a fresh replayer), with
the deviations in arrival order (the auditor's forward sweep; the baseline's own steps are
included). Each trustless (protocol path: replays from checkpoints through ``start``/``step``)
rate is printed with the shortcut path's rate (the mechanism's ``unilateral_outcome``, which the
auditor only cross-checks) and their ratio.

- OCAM post-sample agents, n = 10,000, m = 20, bundles of up to 3 (target >= 10,000/s);
- OCAM sample agents, n = 2,000 (target >= 500/s);
- SEM, T = 4, 25 arrivals per period (target >= 500/s);
- procurement Mechanism 3, n = 1,000 (target >= 5,000/s);
- checkpoint memory of an OCAM audit at n = 100,000 (target < 2 GiB);
- the mutant zoo: flagged share (target 100 %) and false alarms on faithful mechanisms (target 0).

``run(quick=True)`` shrinks the instances for a smoke run.
"""
from __future__ import annotations

import gc
import time

import numpy as np


def _rate(rp, devs, types, claims, path: str) -> float:
    from abm.audit import check_deviation
    from abm.audit.audit import resolve_claims
    from abm.audit.claims import AuditOptions

    cl = resolve_claims(rp.base.mech, claims, implied=True)
    opts = AuditOptions()
    devs = sorted(devs, key=lambda d: min(rp.tick_of(a) for a in d.reports))
    gc.collect()  # earlier passes' garbage is not collected inside this timing
    t = time.perf_counter()
    for d in devs:
        check_deviation(rp, d, types, cl, opts, path=path)
    return len(devs) / (time.perf_counter() - t)


def _median_rate(build, devs, types, claims, path: str) -> float:
    """Median over repetitions, each on a fresh replayer (5 for short sets, else 3: the first pass also pays one-time costs)."""
    import statistics

    reps = 3 if len(devs) >= 1000 else 5
    return statistics.median(_rate(build(), devs, types, claims, path) for _ in range(reps))


def _pair(label: str, build, devs, types, claims, target: float | None, quick: bool) -> list[dict]:
    trust = _median_rate(build, devs, types, claims, "protocol")
    short = _median_rate(build, devs, types, claims, "shortcut")
    ok = None if quick or target is None else trust >= target
    return [{"benchmark": f"{label}: trustless (protocol path) + checks", "value": trust, "unit": "deviations/s",
             "target": f">= {target:g}" if target else "", "ok": ok},
            {"benchmark": f"{label}: shortcut path + checks (cross-checked only)", "value": short,
             "unit": "deviations/s", "target": "", "ok": None},
            {"benchmark": f"{label}: trustless / shortcut", "value": trust / short, "unit": "ratio", "target": "",
             "ok": None}]


def _ocam(quick: bool) -> list[dict]:
    from abm.audit import Replayer
    from abm.audit.deviations import adjacent_swaps, disguises, truncations
    from mechanisms import Report
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism
    from mechanisms.ocam.markets import random_market

    def setup(n: int):
        market, ranks = random_market(n, 20, 3, np.random.default_rng(0), n_types=200, top=40)
        types = dict(enumerate(ranks))
        sched = [[Report(i, types[i])] for i in range(n)]
        return (lambda: Replayer(lambda: build_mechanism("ocam", market), sched, 1, types)), types

    n = 2000 if quick else 10_000
    build, types = setup(n)
    s = build().base.mech.sample_size
    step = 10 if quick else 2
    online = range(s, n, step)
    devs = (list(adjacent_swaps(types, online, depth=2)) + list(truncations(types, online, ks=(1,))))
    rows = _pair(f"OCAM post-sample agents, n={n}, m=20, k<=3 ({len(devs)} deviations, GSP1 + Def. 1 checks)",
                 build, devs, types, ["gsp1"], 10_000, quick)
    n2 = 500 if quick else 2000
    build2, types2 = setup(n2)
    s2 = build2().base.mech.sample_size
    devs2 = list(disguises(types2, range(s2))) + list(adjacent_swaps(types2, range(s2), depth=2))
    rows += _pair(f"OCAM sample agents, n={n2} ({len(devs2)} deviations)", build2, devs2, types2, ["gsp1"], 500, quick)
    return rows


def _sem(quick: bool) -> list[dict]:
    from abm.audit import Replayer
    from abm.audit.deviations import same_period_misreports
    from abm.audit.zoo import sem_three_objects
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism

    n = 5 if quick else 25
    mk, types, sched = sem_three_objects(n)
    market = mk.market()
    space = lambda t: [o for o, _ in mk.period_types(t + 1)]  # noqa: E731
    devs = list(same_period_misreports(sched, types, type_space=space))[: 60 if quick else 400]
    build = lambda: Replayer(lambda: build_mechanism("sem", market), sched, 1, types)  # noqa: E731
    return _pair(f"SEM, T=4, {n} arrivals per period ({len(devs)} deviations, SP1 + strategyproofness)", build,
                 devs, types, ["sp1", "strategyproof"], 500, quick)


def _procurement(quick: bool) -> list[dict]:
    from abm.audit import Replayer
    from abm.audit.deviations import bid_changes
    from mechanisms import Cost, Report
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism
    from mechanisms.procurement import Additive, procurement_market

    n = 200 if quick else 1000
    rng = np.random.default_rng(3)
    costs = rng.random(n) * 0.05
    market = procurement_market(Additive(rng.random(n)), 1.0)
    types = {i: Cost(float(c)) for i, c in enumerate(costs)}
    sched = [[Report(int(i), types[int(i)])] for i in rng.permutation(n)]
    devs = list(bid_changes(types, range(0, n, 2), factors=(0.5, 2.0), max_bid=1.0))
    params = {"q": 0.0, "sample_solver": "greedy_singleton"}
    build = lambda: Replayer(lambda: build_mechanism("bf_mech3", market, params), sched, 1, types)  # noqa: E731
    return _pair(f"procurement Mechanism 3, n={n} ({len(devs)} bid changes, truthfulness + threshold checks)",
                 build, devs, types, ["universal_truthfulness"], 5000, quick)


def _memory(quick: bool) -> list[dict]:
    import resource

    from mechanisms import Report
    from mechanisms.checkpoint import CheckpointedRun
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism
    from mechanisms.ocam.markets import random_market

    n = 10_000 if quick else 100_000
    market, ranks = random_market(n, 20, 3, np.random.default_rng(0), n_types=200, top=40)
    sched = [[Report(i, ranks[i])] for i in range(n)]
    t = time.perf_counter()
    run = CheckpointedRun(lambda: build_mechanism("ocam", market), sched, 1, record_public=False)
    run.advance()
    secs = time.perf_counter() - t
    total = sum(run.snap.size(c) for c in run.checkpoints.values())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2  # KiB -> GiB
    return [{"benchmark": f"OCAM checkpoints, n={n} ({len(run.checkpoints)} snapshots, run {secs:.1f} s)",
             "value": total / 2 ** 30, "unit": "GiB", "target": "< 2", "ok": (total / 2 ** 30 < 2) if not quick else None},
            {"benchmark": "  peak resident memory of the benchmark process so far", "value": rss, "unit": "GiB",
             "target": "", "ok": None}]


def _zoo(quick: bool) -> list[dict]:
    from abm.audit.zoo import run_zoo, score

    t = time.perf_counter()
    rows = run_zoo(["mutant_ocam_lying_shortcut", "mutant_bf_own_bid_price"] if quick else None, controls=not quick)
    s = score(rows)
    secs = time.perf_counter() - t
    return [{"benchmark": f"mutant zoo: flagged share of {s['mutants']} mutants (default path, {secs:.0f} s)",
             "value": s["flagged_share"], "unit": "share", "target": "1.0", "ok": s["flagged_share"] == 1.0},
            {"benchmark": f"mutant zoo: false alarms among {s['controls']} faithful controls",
             "value": s["false_alarms"], "unit": "count", "target": "0",
             "ok": (s["false_alarms"] == 0) if not quick else None}]


def run(quick: bool = False) -> list[dict]:
    """Return the benchmark rows (see the module docstring)."""
    return _ocam(quick) + _sem(quick) + _procurement(quick) + _memory(quick) + _zoo(quick)
