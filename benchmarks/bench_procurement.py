"""Benchmarks of the budget-feasible procurement package (issue 5).

- one realisation of each mechanism with 10,000 sellers, weighted coverage over 1,000
  elements, through the core replay engine (``run_procurement``), the sample solved by the
  fast variant (``greedy_singleton``): target < 1 s each;
- the exact OPT of problem (1) by MILP (HiGHS) for 200 sellers, coverage over 500 elements:
  target < 10 s;
- the ratio table (1,000 replications per cell, n = 200, all families, default grids) on a
  2-worker local dask cluster: its total time (no target).

Medians of ``repeats`` runs. ``quick``: 2,000 sellers, 20 replications per cell.
"""
from __future__ import annotations

import time

from benchmarks.timing import median_time
from mechanisms.mechanism_registry import MECHANISMS
from mechanisms.procurement import MECHANISM_NAMES, offline_opt, procurement_market, run_procurement
from mechanisms.procurement.experiments import ratio_table
from mechanisms.procurement.valuations import WeightedCoverage
from mechanisms.rng import Streams


def run(quick: bool = False) -> list[dict]:
    rows = []
    n = 2000 if quick else 10_000
    rng = Streams(0).get("bench", "procurement")
    v = WeightedCoverage.random(n, rng, m=1000, mean_size=5.0)
    costs = 1.0 - rng.random(n)
    B = 0.01 * float(costs.sum())
    market = procurement_market(v, B, 100.0)
    for name in MECHANISM_NAMES:
        known = {p.name for p in MECHANISMS.get(name).spec.params}
        params = {"sample_solver": "greedy_singleton"} if "sample_solver" in known else {}
        seeds = iter(range(100))
        t = median_time(lambda: run_procurement(name, market, costs, next(seeds), params), 3)[0]
        rows.append({"benchmark": f"{name}: one realisation, n={n}, coverage m=1000", "value": t, "unit": "s",
                     "target": "< 1 s", "ok": t < 1.0})
    rng = Streams(1).get("bench", "procurement", "opt")
    v = WeightedCoverage.random(200, rng, m=500, mean_size=5.0)
    c = 1.0 - rng.random(200)
    t = median_time(lambda: offline_opt(v, c, 0.1 * float(c.sum()), method="milp"), 3)[0]
    rows.append({"benchmark": "exact OPT by MILP, n=200, coverage m=500", "value": t, "unit": "s",
                 "target": "< 10 s", "ok": t < 10.0})
    reps = 20 if quick else 1000
    t0 = time.perf_counter()
    table = ratio_table(n=200, reps=reps, workers=2)
    t = time.perf_counter() - t0
    rows.append({"benchmark": f"ratio table, n=200, {reps} reps/cell, {len(table)} rows, 2 dask workers",
                 "value": t, "unit": "s", "target": "", "ok": None})
    return rows
