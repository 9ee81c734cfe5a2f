"""OCAM benchmarks (issue 3): the ECEEI solver, the Proposition 3 realisation, a full run.

Medians of several runs; markets are built outside the timed region. ``quick`` uses fewer
repetitions and skips the scaling sweep beyond the issue's sizes.
"""
from __future__ import annotations

import pathlib
import time
import tracemalloc
import warnings

import numpy as np

from mechanisms import Report, make_mechanism, run_schedule
from mechanisms.datasets.preflib import course_market, read_soc
from mechanisms.ocam import realise, solve_eceei, verify_eceei
from mechanisms.ocam.markets import course_catalogue_market, random_market
from benchmarks.timing import median_time

AGH = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "preflib" / "agh-2004.soc"



def _row(name, value, unit, target="", ok=None, **extra):
    return {"benchmark": name, "value": value, "unit": unit, "target": target, "ok": ok, **extra}


def _peak_mib(f):
    tracemalloc.start()
    try:
        out = f()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2 ** 20, out


def run(quick: bool = False) -> list[dict]:
    reps = 3 if quick else 7
    rows: list[dict] = []
    # 1. AGH 2004 as one sample economy: 153 students, 7 courses, bundles of 3, capacity 60.
    goods, ranks = course_market(read_soc(AGH), 3, 0.9)
    cap = goods.capacity.astype(float)
    solve_eceei(ranks, cap, 0.02)  # warm-up (imports, HiGHS)
    t, cert = median_time(lambda: solve_eceei(ranks, cap, 0.02), reps)
    ok_cert = verify_eceei(cert, agent_types=ranks).ok
    rows.append(_row("AGH 2004 ECEEI (153 students, 7 courses, c=60, eps_b=0.02)", t, "s", "< 0.05 s",
                     t < 0.05 and ok_cert))
    tc, _ = median_time(lambda: solve_eceei(ranks, cap, 0.02), reps, clock=time.process_time)
    rows.append(_row("AGH 2004 ECEEI, process CPU time (robust to other load on the machine)", tc, "s",
                     "< 0.05 s", tc < 0.05))
    rows.append(_row("AGH 2004 ECEEI relative clearing error", cert.error, "", "<= 1e-9", cert.error <= 1e-9))
    t, real = median_time(lambda: realise(cert), reps)
    rows.append(_row("AGH 2004 deterministic realisation (Prop. 3)", t, "s", "< 0.1 s", t < 0.1 and real.within_bound))
    rows.append(_row("AGH 2004 realisation L2 excess (bound sqrt(sigma m/2) = %.3f)" % real.bound, real.l2_error,
                     "", f"<= {real.bound:.3f}", real.within_bound))
    t, _ = median_time(lambda: realise(solve_eceei(ranks, cap, 0.02)), reps)
    rows.append(_row("AGH 2004 ECEEI + realisation", t, "s", "", None))

    # 2./3. Synthetic sample economies: (agents, types, goods, target seconds).
    sizes = [(1000, 200, 30, 1.0), (5000, 1000, 40, 0.5)]
    if not quick:
        sizes += [(10000, 2000, 50, None), (20000, 4000, 60, None)]
    for n, T, m, target in sizes:
        mk, rs = random_market(n, m, 3, np.random.default_rng(0), n_types=T, top=40)
        capv = mk.goods.capacity.astype(float)
        r = 3 if n <= 5000 and not quick else 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # rs is bound as a default: the name is deleted further down to free the memory
            t, cert = median_time(lambda rs=rs: solve_eceei(rs, capv, 0.02), r)
            mem, _ = _peak_mib(lambda rs=rs: solve_eceei(rs, capv, 0.02))
        label = f"ECEEI {n} agents, {len(cert.types)} types, {m} goods, bundles <= 3"
        ok = None if target is None else (t < target and cert.error <= 1e-9)
        rows.append(_row(label, t, "s", "" if target is None else f"< {target:g} s", ok,
                         error=cert.error, iterations=cert.iterations, peak_mib=round(mem, 1)))
        rows.append(_row(label + ": clearing error", cert.error, "", "<= 1e-9", cert.error <= 1e-9))
        rows.append(_row(label + ": peak memory (tracemalloc)", mem, "MiB", "", None))

    # 3b. Issue 13: a course catalogue of real size (300 courses, schedules of <= 5, top 40).
    mk, rs = course_catalogue_market(2000, np.random.default_rng(0), m=300, k=5, top=40, n_types=400)
    capv = mk.goods.capacity.astype(float)
    t, cert = median_time(lambda rs=rs: solve_eceei(rs, capv, 0.003), 1 if quick else 3)
    exact = verify_eceei(cert, tol=1e-9, agent_types=rs).ok
    rows.append(_row(f"ECEEI 2000 agents, {len(cert.types)} types, 300 goods, bundles <= 5, top 40 (exact)", t, "s",
                     "< 10 s, exact", t < 10 and exact, error=cert.error, method=cert.method))
    n = 20_000 if quick else 100_000
    mk, rs = course_catalogue_market(n, np.random.default_rng(1), m=300, k=5, top=40, n_types=2000)
    sched = [[Report(i, r)] for i, r in enumerate(rs)]
    del rs

    def full300():
        return run_schedule(lambda: make_mechanism("ocam", mk, {"eps_b": 0.003}), sched, 1)

    t, runrec = median_time(full300, 1)
    st = runrec.summary["solver"]
    del runrec
    mem, _ = _peak_mib(full300)
    rows.append(_row(f"full OCAM run n={n}, 300 courses (catalogue), sample ECEEI {st['method']}", t, "s",
                     "< 60 s" if n == 100_000 else "", (t < 60 and st["converged"]) if n == 100_000 else None,
                     clearing_error=st["error"]))
    rows.append(_row(f"full OCAM run n={n}, 300 courses: peak memory (tracemalloc, incl. RunRecord)", mem, "MiB",
                     "< 4096 MiB", mem < 4096))
    del sched

    # 4. Full OCAM run, n = 100,000, 30 goods (online phase dominated).
    n = 20_000 if quick else 100_000
    mk, rs = random_market(n, 30, 3, np.random.default_rng(1), n_types=2000, top=40)
    sched = [[Report(i, r)] for i, r in enumerate(rs)]
    del rs

    def full():
        return run_schedule(lambda: make_mechanism("ocam", mk, {}), sched, 1)

    t, runrec = median_time(full, 1 if quick else 3)
    del runrec
    mem, runrec = _peak_mib(full)
    err = runrec.summary["eceei"]["error"]
    rows.append(_row(f"full OCAM run n={n}, 30 goods, sample {runrec.mechanism.sample_size}", t, "s",
                     "< 20 s" if n == 100_000 else "", (t < 20) if n == 100_000 else None, clearing_error=err))
    rows.append(_row(f"full OCAM run n={n}: peak memory (tracemalloc, incl. RunRecord)", mem, "MiB",
                     "< 2048 MiB", mem < 2048))
    return rows


if __name__ == "__main__":
    for row in run(quick=True):
        print(row)
