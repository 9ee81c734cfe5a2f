"""Sweep throughput (issue 8): small OCAM audit cells, serial vs a local dask cluster.

Rows: serial and cluster throughput (cells per second) for ``2000`` cells (``200`` with
``--quick``), the speed-up of the cluster over serial with the default chunk
(:func:`abm.experiments.auto_chunk`: 20 cells per task for 2,000 cells on 2 workers, 10 for 200;
issue 8's target: >= 1.7 on 2 cores, for the sweep as it runs) and, for comparison, with one cell
per dask task (no target: a cell of ~10 ms against ~2 ms of scheduling per task is why sweeps
chunk), the cluster's start-up, the scheduler's overhead per task
(no-op tasks through the same cluster), and the driver's overhead per cell (store writes:
serial wall time minus the cells' own time). Every cell is a real audit: an OCAM run on a
5-agent, 2-good market with one truncating agent, replayed by the auditor against the truthful
run. Quick mode takes the median of 3 rounds (serial and cluster alternating, so load from
other processes hits both alike); the full mode runs one round. The cluster is warmed up
(every worker has run cells) before timing.
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

def _sweep(cells: int, seed: int = 1):
    from abm.experiments import parse_sweep

    return parse_sweep({"name": "bench", "kind": "audit", "replications": cells // 2, "base": {**BASE, "seed": seed},
                        "audit": {"deviations": ["strategies"]},
                        "axes": {"mechanism.params.eps_b": [0.02, 0.05]}})


def _noop(x: int) -> int:
    return x


def run(quick: bool = False) -> list[dict]:
    """Return the benchmark rows (see the module docstring)."""
    import logging

    from distributed import Client, LocalCluster

    from abm.experiments import auto_chunk, default_workers, load, run_sweep

    warnings.simplefilter("ignore")
    cells = 200 if quick else 2000
    rounds = 3 if quick else 1
    sw = _sweep(cells)
    load_avg = os.getloadavg()[0]
    n = default_workers()
    chunk = auto_chunk(cells, n)
    serial, clustered, chunked, driver, cell_ms, per_task = [], [], [], [], [], []
    same = True
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
        client.run(lambda: __import__("abm.experiments.cells"))
        startup = time.perf_counter() - t0
        try:
            run_sweep(_sweep(4 * n, seed=99), f"{tmp}/warm", quiet=True, client=client)   # every worker warm
            run_sweep(_sweep(10, seed=99), f"{tmp}/warm-serial", backend="serial", quiet=True)
            for r in range(rounds):
                t1 = time.perf_counter()
                run_sweep(sw, f"{tmp}/serial{r}", backend="serial", quiet=True)
                serial.append(time.perf_counter() - t1)
                secs = float(load(f"{tmp}/serial{r}", timings=True)["seconds"].sum())
                cell_ms.append(1e3 * secs / cells)
                driver.append(1e3 * (serial[-1] - secs) / cells)
                t1 = time.perf_counter()
                run_sweep(sw, f"{tmp}/cluster{r}", quiet=True, client=client, chunk=1)
                clustered.append(time.perf_counter() - t1)
                t1 = time.perf_counter()
                run_sweep(sw, f"{tmp}/chunked{r}", quiet=True, client=client)   # default chunk
                chunked.append(time.perf_counter() - t1)
                ref = load(f"{tmp}/serial{r}")
                same = same and ref.equals(load(f"{tmp}/cluster{r}")) and ref.equals(load(f"{tmp}/chunked{r}"))
            k = 500 if quick else 2000
            for _ in range(3):
                t2 = time.perf_counter()
                client.gather(client.map(_noop, range(k), pure=False))
                per_task.append((time.perf_counter() - t2) / k)
        finally:
            client.close()
            cluster.close()
    med = statistics.median
    s, c, ch = med(serial), med(clustered), med(chunked)
    tag = f"median of {rounds}" if rounds > 1 else "1 round"
    return [
        {"benchmark": f"serial sweep, {cells} OCAM audit cells ({tag})", "value": cells / s, "unit": "cells/s",
         "target": "", "ok": None},
        {"benchmark": f"local cluster ({n} workers x 1 thread), 1 cell per task", "value": cells / c,
         "unit": "cells/s", "target": "", "ok": None},
        {"benchmark": f"local cluster ({n} workers x 1 thread), default chunk ({chunk} cells per task)", "value": cells / ch,
         "unit": "cells/s", "target": "", "ok": None},
        {"benchmark": "cluster speed-up over serial, 1 cell per task (why sweeps chunk)", "value": s / c, "unit": "x",
         "target": "", "ok": None},
        {"benchmark": f"cluster speed-up over serial, default chunk ({chunk})", "value": s / ch, "unit": "x",
         "target": ">= 1.7", "ok": s / ch >= 1.7},
        {"benchmark": "cluster start-up (workers importing the cell module)", "value": startup, "unit": "s",
         "target": "", "ok": None},
        {"benchmark": "serial and cluster tables identical", "value": int(same), "unit": "bool", "target": "1",
         "ok": same},
        {"benchmark": "scheduler overhead per task (no-op tasks, median of 3)", "value": 1e3 * med(per_task),
         "unit": "ms", "target": "", "ok": None},
        {"benchmark": "driver overhead per cell (serial wall - cell time)", "value": med(driver), "unit": "ms",
         "target": "", "ok": None},
        {"benchmark": "mean cell time (serial)", "value": med(cell_ms), "unit": "ms", "target": "", "ok": None},
        {"benchmark": "1-minute load average at start (2 cores, shared)", "value": load_avg, "unit": "",
         "target": "", "ok": None},
    ]
