"""Benchmarks of the auditor (issue 7): deviations audited per second.

- OCAM, unilateral post-sample deviations on the incremental path, n = 10,000, m = 20,
  bundles of up to 3 goods (target >= 50,000 per second): the vectorised batch path
  (:mod:`abm.audit.batch`, GSP1 with exact supports and gains); the per-run preparation (each
  agent's budget draw from its stream) and the one-at-a-time hook path are reported beside it.
- Full replays with the claim checks (no target; the truthful run is excluded, as in the
  batch row): OCAM sample agents, SEM (T = 4, n = 25 per period), procurement (Mechanism 3,
  n = 1,000 sellers), and the procurement incremental path for comparison.

Medians of a few repetitions. ``run(quick=True)`` shrinks the instances for a smoke run.
"""
from __future__ import annotations

import statistics
import time

import numpy as np


def _median_rate(fn, count: int, reps: int) -> float:
    rates = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        rates.append(count / (time.perf_counter() - t))
    return statistics.median(rates)


def _full_rate(rp, devs, types, claims, path: str = "full") -> float:
    """Deviations per second of replay + claim checks on ``path`` (the truthful run excluded)."""
    from abm.audit import check_deviation
    from abm.audit.audit import resolve_claims
    from abm.audit.claims import AuditOptions

    cl = resolve_claims(rp.truth.mechanism, claims)
    return _median_rate(lambda: [check_deviation(rp, d, types, cl, AuditOptions(), path=path) for d in devs],
                        len(devs), 1)


def _ocam(quick: bool) -> list[dict]:
    from abm.audit import Replayer, build_mechanism
    from abm.audit.batch import OCAMBatch, audit_unilateral_batch
    from abm.audit.search import adjacent_swaps, disguises, truncations
    from mechanisms import Report
    from mechanisms.ocam.markets import random_market

    n = 2000 if quick else 10_000
    market, ranks = random_market(n, 20, 3, np.random.default_rng(0), n_types=200, top=40)
    types = dict(enumerate(ranks))
    sched = [[Report(i, types[i])] for i in range(n)]
    rp = Replayer(lambda: build_mechanism("ocam", market), sched, 1, types)
    s = rp.truth.mechanism.sample_size
    online = range(s, n)
    devs = (list(adjacent_swaps(types, online, depth=3)) + list(truncations(types, online, ks=(1, 2))))[:50_000]
    batch = OCAMBatch(rp.truth)
    t = time.perf_counter()
    batch.prepare()
    prep = time.perf_counter() - t
    rate = _median_rate(lambda: audit_unilateral_batch(rp, devs, types, claims=["gsp1"], batch=batch), len(devs), 3)
    hook_devs = devs[:2000]
    hook = _median_rate(lambda: [rp.replay(d, "incremental") for d in hook_devs], len(hook_devs), 1)
    sample_devs = list(disguises(types, range(min(s, 10))))
    full = _full_rate(rp, sample_devs, types, ["gsp1"])
    return [
        {"benchmark": f"OCAM incremental batch audit (GSP1 exact), n={n}, m=20, k<=3", "value": rate,
         "unit": "deviations/s", "target": ">= 50000", "ok": rate >= 50_000 if not quick else None},
        {"benchmark": f"OCAM batch preparation (budget draw of {n - s} agents, once per run)", "value": prep,
         "unit": "s", "target": "", "ok": None},
        {"benchmark": "OCAM incremental hook, one deviation at a time (replay only)", "value": hook,
         "unit": "deviations/s", "target": "", "ok": None},
        {"benchmark": f"OCAM full replay + GSP1 check, sample agents (n={n})", "value": full,
         "unit": "deviations/s", "target": "", "ok": None},
    ]


def _sem(quick: bool) -> list[dict]:
    from abm.audit import Replayer, build_mechanism
    from abm.audit.search import same_period_misreports
    from mechanisms import Report
    from mechanisms.sem import SEMMarket, sample_arrivals

    n = 5 if quick else 25
    mk = SEMMarket.stationary(["a", "b", "c"], [1, 1, 1],
                              {"a > b > c > o": 0.4, "b > a > o > c": 0.3, "{a,b} > c > o": 0.3}, horizon=4, replica=n)
    sched, types, aid = [], {}, 0
    for ts in sample_arrivals(mk, None, np.random.default_rng(1)):
        sched.append([Report(aid + k, o) for k, o in enumerate(ts)])
        types.update({aid + k: o for k, o in enumerate(ts)})
        aid += len(ts)
    market = mk.market()
    devs = list(same_period_misreports(sched, types, limit_per_agent=1))[:20]
    rp = Replayer(lambda: build_mechanism("sem", market), sched, 1, types)
    rate = _full_rate(rp, devs, types, ["sp1", "greedy", "equal_type_envy_free"])
    return [{"benchmark": f"SEM full replay + SP1/greedy/envy checks, T=4, n={n} per period", "value": rate,
             "unit": "deviations/s", "target": "", "ok": None}]


def _procurement(quick: bool) -> list[dict]:
    from abm.audit import Replayer, build_mechanism
    from abm.audit.search import bid_changes
    from mechanisms import Cost, Report
    from mechanisms.procurement import Additive, procurement_market

    n = 200 if quick else 1000
    rng = np.random.default_rng(3)
    costs = rng.random(n) * 0.05
    market = procurement_market(Additive(rng.random(n)), 1.0)
    types = {i: Cost(float(c)) for i, c in enumerate(costs)}
    sched = [[Report(int(i), types[int(i)])] for i in rng.permutation(n)]
    devs = list(bid_changes(types, range(50), factors=(0.5, 2.0), max_bid=1.0))
    params = {"q": 0.0, "sample_solver": "greedy_singleton"}
    rp = Replayer(lambda: build_mechanism("bf_mech3", market, params), sched, 1, types)
    claims = ["universal_truthfulness", "budget_feasible", "ir"]
    rate = _full_rate(rp, devs, types, claims)
    inc = _full_rate(rp, devs, types, claims, path="auto")
    return [{"benchmark": f"procurement full replay + truthfulness/budget/IR checks (Mechanism 3), n={n}",
             "value": rate, "unit": "deviations/s", "target": "", "ok": None},
            {"benchmark": f"procurement incremental path + checks (Mechanism 3), n={n}", "value": inc,
             "unit": "deviations/s", "target": "", "ok": None}]


def run(quick: bool = False) -> list[dict]:
    """Return the benchmark rows (see the module docstring)."""
    return _ocam(quick) + _sem(quick) + _procurement(quick)
