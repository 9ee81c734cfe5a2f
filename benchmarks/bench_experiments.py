"""Sweep throughput (issue 8): small OCAM audit cells, serial vs a local dask cluster.

Rows: serial and cluster throughput (cells per second) for ``2000`` cells (``200`` with
``--quick``), the speed-up of the cluster over serial (target >= 1.7 on 2 cores; measured both
with and without the cluster's start-up), the scheduler's overhead per task (no-op tasks
through the same cluster), and the driver's overhead per cell (store writes: serial wall
time minus the cells' own time). Every cell is a real audit: an OCAM run on a 5-agent,
2-good market with one truncating agent, replayed by the auditor against the truthful run.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
import warnings

#: The benchmark's cell: a tiny OCAM market, one truncating agent, audited.
BASE = {"name": "bench", "seed": 1,
        "market": {"kind": "bundles", "m": 2, "capacity": 2, "max_bundle_size": 2},
        "population": {"source": "scores", "n": 5, "n_types": 3, "top": 3},
        "mechanism": {"name": "ocam"},
        "strategies": {"assign": [{"strategy": "truncate:k=1", "count": 1}]}}


def _sweep(cells: int):
    from abm.experiments import parse_sweep

    return parse_sweep({"name": "bench", "kind": "audit", "replications": cells // 2, "base": BASE,
                        "audit": {"deviations": ["strategies"]},
                        "axes": {"mechanism.params.eps_b": [0.02, 0.05]}})


def _noop(x: int) -> int:
    return x


def run(quick: bool = False) -> list[dict]:
    """Return the benchmark rows (see the module docstring)."""
    import logging

    from distributed import Client, LocalCluster

    from abm.experiments import default_workers, load, run_sweep

    warnings.simplefilter("ignore")
    cells = 200 if quick else 2000
    sw = _sweep(cells)
    rows = []
    load_avg = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        run_sweep(sw, f"{tmp}/serial", backend="serial", quiet=True)
        serial = time.perf_counter() - t0
        cell_time = float(load(f"{tmp}/serial", timings=True)["seconds"].sum())
        n = default_workers()
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
        client.run(lambda: __import__("abm.experiments.cells"))   # workers warm: imports done
        startup = time.perf_counter() - t0
        try:
            t1 = time.perf_counter()
            run_sweep(sw, f"{tmp}/cluster", quiet=True, client=client)
            clustered = time.perf_counter() - t1
            same = load(f"{tmp}/serial").equals(load(f"{tmp}/cluster"))
            k = 2000 if not quick else 500
            per_task = []
            for _ in range(3):
                t2 = time.perf_counter()
                client.gather(client.map(_noop, range(k), pure=False))
                per_task.append((time.perf_counter() - t2) / k)
        finally:
            client.close()
            cluster.close()
    speedup = serial / clustered
    speedup_all = serial / (clustered + startup)
    rows += [
        {"benchmark": f"serial sweep, {cells} OCAM audit cells", "value": cells / serial, "unit": "cells/s",
         "target": "", "ok": None},
        {"benchmark": f"local cluster ({n} workers x 1 thread), {cells} cells", "value": cells / clustered,
         "unit": "cells/s", "target": "", "ok": None},
        {"benchmark": "cluster speed-up over serial (warm cluster)", "value": speedup, "unit": "x",
         "target": ">= 1.7", "ok": speedup >= 1.7},
        {"benchmark": "cluster speed-up including cluster start-up", "value": speedup_all, "unit": "x",
         "target": "", "ok": None},
        {"benchmark": "cluster start-up (workers importing the cell module)", "value": startup, "unit": "s",
         "target": "", "ok": None},
        {"benchmark": "serial and cluster tables identical", "value": int(same), "unit": "bool", "target": "1",
         "ok": same},
        {"benchmark": "scheduler overhead per task (no-op tasks, median of 3)", "value": 1e3 * statistics.median(per_task),
         "unit": "ms", "target": "", "ok": None},
        {"benchmark": "driver overhead per cell (serial wall - cell time)", "value": 1e3 * (serial - cell_time) / cells,
         "unit": "ms", "target": "", "ok": None},
        {"benchmark": "mean cell time (serial)", "value": 1e3 * cell_time / cells, "unit": "ms", "target": "",
         "ok": None},
        {"benchmark": "1-minute load average at start (machine shared)", "value": load_avg, "unit": "", "target": "",
         "ok": None},
    ]
    return rows
