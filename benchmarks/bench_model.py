"""Backbone benchmark: the Mesa model's own overhead per agent under serial dictatorship.

10,000 agents, 20 goods, bundles up to size 2 (top 30 bundles each). The model's overhead is
the model's run time minus the time the same mechanism takes on the same schedule through the
pure engine (``run_schedule``), divided by the number of agents. Target (issue 2): < 20 us
per agent. Reported for several batch sizes, since Mesa's per-tick cost is fixed, and a second
time with a null mechanism (empty bundles), which removes the mechanism's own work and its
interaction with the model's (cache effects) from the difference.
"""
from __future__ import annotations

import gc
import statistics
import time

import numpy as np

from abm.model import AllocationModel
from mechanisms import BundleOutcome, BundleRanking, Goods, Market, make_mechanism, run_schedule
from mechanisms.baselines import SerialDictatorship


class NullMechanism(SerialDictatorship):
    """Gives every arrival the empty bundle: a mechanism that costs (almost) nothing, so the
    model's own cost per agent can be read off directly."""

    def step(self, tick, reports):
        return [BundleOutcome(r.agent, tick, 0) for r in reports]


def _setup(n: int, m: int):
    rng = np.random.default_rng(0)
    goods = Goods.uniform(m, int(np.ceil(0.9 * n * 2 / m)))
    kinds = [BundleRanking.from_scores(rng.random(m), 2, top=30) for _ in range(500)]
    types = [kinds[i] for i in rng.integers(500, size=n)]
    return Market("bundles", goods, max_bundle_size=2, n_agents=n), types


def run(quick: bool = False) -> list[dict]:
    n, m = (2000, 20) if quick else (10_000, 20)
    market, types = _setup(n, m)
    rows = []
    for batch in (1, 10, 100):
        model_t, pure_t = [], []
        for rep in range(3):
            model = AllocationModel(market, types, make_mechanism("sd", market), seed=rep, batch_size=batch)
            gc.collect()  # earlier runs' garbage would otherwise be collected inside this timing
            t0 = time.perf_counter()
            model.run()
            model_t.append(time.perf_counter() - t0)
            sched = [[model.participants[i].report for i in tick] for tick in model.schedule]
            gc.collect()
            t0 = time.perf_counter()
            run_schedule(lambda: make_mechanism("sd", market), sched, seed=rep, record_public=False)
            pure_t.append(time.perf_counter() - t0)
        mt, pt = statistics.median(model_t), statistics.median(pure_t)
        ticks = len(model.schedule)
        overhead = (mt - pt) / n * 1e6
        rows.append({"benchmark": f"model time per tick, n={n}, m={m}, batch={batch}", "value": mt / ticks * 1e6,
                     "unit": "us", "target": "", "ok": None})
        rows.append({"benchmark": f"model overhead per agent (batch={batch})", "value": overhead, "unit": "us",
                     "target": "< 20 us", "ok": overhead < 20})
        # The same difference with a null mechanism: model minus the null mechanism driven
        # through the pure engine (both include the protocol's invariant checks).
        null_t, null_pure = [], []
        for rep in range(3):
            model = AllocationModel(market, types, NullMechanism(market), seed=rep, batch_size=batch)
            gc.collect()
            t0 = time.perf_counter()
            model.run()
            null_t.append(time.perf_counter() - t0)
            sched = [[model.participants[i].report for i in tick] for tick in model.schedule]
            gc.collect()
            t0 = time.perf_counter()
            run_schedule(lambda: NullMechanism(market), sched, seed=rep, record_public=False)
            null_pure.append(time.perf_counter() - t0)
        null_overhead = (statistics.median(null_t) - statistics.median(null_pure)) / n * 1e6
        rows.append({"benchmark": f"model overhead per agent, null mechanism (batch={batch})", "value": null_overhead,
                     "unit": "us", "target": "< 20 us", "ok": null_overhead < 20})
    return rows
