"""Benchmarks of online fair division (issue 16).

- Algorithms 1 (Deferred-Priority) and 3 (Priority-Matching) with n = 100 agents and 100,000
  goods through the registered mechanisms (one ``step`` with every report): CPU time per good
  (target < 20 us; ``time.process_time``, since the machine is shared; wall time is reported too) and peak traced memory of the run, instance included (target < 200 MiB);
- the temporal-EF2 checker (EF2 at every one of the 100,001 steps) and EF1 at t = kn on
  Algorithm 3's run: total CPU time (target < 5 s);
- the exact maximin share by MILP (scipy HiGHS) with n = 6, m = 30, per call, i.e. per agent
  and step (target < 1 s): on 2-value instances (the paper's setting: two value classes, a
  13-variable MILP) and on additive instances with distinct values (180 integer variables,
  time limit 5 s; not met: HiGHS rarely proves optimality in time).

``quick``: 20,000 goods, the same targets per good.
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np

from mechanisms import Report, make_mechanism
from mechanisms.fair_division import checks, fair_division_market, random_two_value
from mechanisms.rng import Streams
from benchmarks.timing import median_time

MiB = 1024 * 1024


def _run(name: str, n: int, m: int, foresight: int):
    rng = Streams(0).get("bench", "fair_division")
    vals = random_two_value(n, m, rng, types=(1, 1, 1, 2, 3), p_high=0.3)
    market = fair_division_market(n, m, foresight)
    mech = make_mechanism(name, market)
    mech.start(Streams(1))
    reports = [Report(i, v) for i, v in enumerate(vals)]
    c0, w0 = time.process_time(), time.perf_counter()
    outs = mech.step(0, reports)
    return vals, mech, outs, (time.process_time() - c0, time.perf_counter() - w0)


def run(quick: bool = False) -> list[dict]:
    rows = []
    n, m = 100, (20_000 if quick else 100_000)
    for name, ell in (("deferred_priority", 0), ("priority_matching", n - 1)):
        vals, mech, outs, (cpu, wall) = _run(name, n, m, ell)  # timed without tracemalloc (it slows numpy)
        us = cpu / m * 1e6
        rows.append({"benchmark": f"fair_division {name}: CPU time per good (n={n}, m={m})", "value": round(us, 2),
                     "unit": "us", "target": "< 20", "ok": us < 20})
        rows.append({"benchmark": f"fair_division {name}: wall time per good (shared machine)",
                     "value": round(wall / m * 1e6, 2), "unit": "us", "target": "-", "ok": True})
        tracemalloc.start()
        _run(name, n, m, ell)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rows.append({"benchmark": f"fair_division {name}: peak memory, instance + run", "value": round(peak / MiB, 1),
                     "unit": "MiB", "target": "< 200", "ok": peak / MiB < 200})
        if name == "priority_matching":
            owner = checks.owner_from_outcomes(outs, n, m)
            c0, w0 = time.process_time(), time.perf_counter()
            V = checks.value_matrix(vals)
            v2 = checks.temporal_efk(V, owner, 2)
            v1 = checks.temporal_efk(V, owner, 1, steps=range(0, m + 1, n))
            tc, tw = time.process_time() - c0, time.perf_counter() - w0
            assert v2.ok and v1.ok, (v2, v1)
            rows.append({"benchmark": "fair_division temporal EF2 (every step) + EF1 (t = kn), Algorithm 3's run, CPU",
                         "value": round(tc, 2), "unit": "s", "target": "< 5", "ok": tc < 5})
            rows.append({"benchmark": "fair_division temporal EF2 + EF1 checkers, wall (shared machine)",
                         "value": round(tw, 2), "unit": "s", "target": "-", "ok": True})
    rng = np.random.default_rng(7)
    two = [np.where(rng.random(30) < p, a, 1.0) for p, a in ((0.3, 4.0), (0.5, 2.5), (0.2, 9.0), (0.7, 3.0))]
    it = iter(range(10**9))
    t, _ = median_time(lambda: checks.maximin_share(two[next(it) % 4], 6), 5)
    rows.append({"benchmark": "fair_division exact MMS by MILP, 2-value (n=6, m=30)", "value": round(t, 4),
                 "unit": "s", "target": "< 1", "ok": t < 1})
    # general additive values, all distinct: 180 integer variables; HiGHS often cannot prove
    # optimality quickly (reported honestly: time limit 5 s, value = time or "time limit")
    t0 = time.perf_counter()
    try:
        checks.maximin_share(rng.random(30), 6, time_limit=5.0)
        t = time.perf_counter() - t0
        rows.append({"benchmark": "fair_division exact MMS by MILP, additive distinct values (n=6, m=30)",
                     "value": round(t, 3), "unit": "s", "target": "< 1", "ok": t < 1})
    except Exception:
        rows.append({"benchmark": "fair_division exact MMS by MILP, additive distinct values (n=6, m=30)",
                     "value": "time limit 5 s", "unit": "s", "target": "< 1", "ok": False})
    return rows
