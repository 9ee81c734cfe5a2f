"""Fully online SEM benchmarks (issue 17): one (t)-Lindahl equilibrium and the placement experiment.

Targets: one (t)-Lindahl equilibrium for 20 objects, 200 types, T = 10 (no tie-breaking, both
selections) in < 1 s with clearing error <= 1e-8 (Definition 7, checked independently by
``check_lindahl``); the placement experiment with 1,000 markets per n (n in 1, 5, 10, 25; all
five mechanisms of :mod:`mechanisms.sem.online_experiments`) in < 60 s per n. Targets are judged
on this process's CPU time (the machine is shared by several jobs, so wall time mostly measures
the others); wall time is reported beside it. ``quick`` runs 100 markets per n and scales the
figure to 1,000.
"""
from __future__ import annotations

import time

import numpy as np

from benchmarks.timing import median_time
from mechanisms.sem import LindahlProblem, Shock, check_lindahl, solve_lindahl
from mechanisms.sem.online_experiments import foster_experiment
from mechanisms.sem.market import random_weak_order as _order


def random_lindahl_problem(m: int = 20, ntypes: int = 200, T: int = 10, seed: int = 1) -> LindahlProblem:
    """A random (1)-Lindahl problem: types spread over T periods, 0-3 units arriving per object and period."""
    rng = np.random.default_rng(seed)
    return LindahlProblem(tuple(_order(rng, m) for _ in range(ntypes)), rng.random(ntypes) * 2,
                          rng.integers(0, T, ntypes), rng.integers(0, 4, (T, m)).astype(float) / 2, Shock())


def run(quick: bool = False) -> list[dict]:
    rows = []
    pb = random_lindahl_problem()
    for sel in ("lookahead", "static"):
        t, res = median_time(lambda: solve_lindahl(pb, sel), 3 if quick else 5, clock=time.process_time)
        w, _ = median_time(lambda: solve_lindahl(pb, sel), 3)
        chk = check_lindahl(pb, res.prices, res.lotteries)
        rows.append({"benchmark": f"(t)-Lindahl equilibrium ({sel}), 20 objects x 200 types x T=10, CPU",
                     "value": t, "unit": "s", "target": "< 1 s", "ok": t < 1.0})
        rows.append({"benchmark": "  its wall time", "value": w, "unit": "s", "target": "", "ok": None})
        rows.append({"benchmark": "  its clearing error (Definition 7, independent check)",
                     "value": chk["clearing_error"], "unit": "objects", "target": "<= 1e-8",
                     "ok": chk["clearing_error"] <= 1e-8 and chk["ok"]})
    markets = 100 if quick else 1000
    for n in (1, 5, 10, 25):
        w0, c0 = time.perf_counter(), time.process_time()
        foster_experiment(ns=(n,), markets=markets, seed=7)
        wall = (time.perf_counter() - w0) * 1000 / markets
        cpu = (time.process_time() - c0) * 1000 / markets
        rows.append({"benchmark": f"placement experiment, 1,000 markets, n={n}, 5 mechanisms, CPU"
                     + (" (scaled from 100)" if quick else ""), "value": cpu, "unit": "s", "target": "< 60 s",
                     "ok": cpu < 60.0})
        rows.append({"benchmark": "  its wall time", "value": wall, "unit": "s", "target": "", "ok": None})
    return rows
