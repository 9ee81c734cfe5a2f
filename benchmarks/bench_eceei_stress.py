"""ECEEI stress benchmark (issue 13): every committed stress economy, solved and verified.

Reads ``benchmarks/data/eceei_stress/economies.json`` (plain JSON, see
:mod:`benchmarks.eceei_stress`), solves each economy with :func:`solve_eceei` (fast price
search, exact MILP fallback when it misses) and re-checks every certificate with
:func:`verify_eceei`. Prints the converged share (target 100% with relative error <= 1e-9),
the median and the maximum solve time, and how many economies needed the exact fallback.
``quick`` solves every third economy.
"""
from __future__ import annotations

import statistics
import time
import warnings

from benchmarks.eceei_stress import load, to_problem
from mechanisms.ocam import solve_eceei, verify_eceei


def _row(name, value, unit, target="", ok=None, **extra):
    return {"benchmark": name, "value": value, "unit": unit, "target": target, "ok": ok, **extra}


def solve_all(economies: list[dict]) -> list[dict]:
    """Return one record per economy: name, converged (verified), error, method, seconds."""
    out = []
    for e in economies:
        types, cap, eps = to_problem(e)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # failures are counted, not hidden
            t0, c0 = time.perf_counter(), time.process_time()
            cert = solve_eceei(types, cap, eps)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
        check = verify_eceei(cert, tol=1e-9)
        out.append({"name": e["name"], "converged": bool(check.ok and cert.error <= 1e-9), "error": cert.error,
                    "method": cert.method, "seconds": dt, "cpu": dc, "agents": int(sum(e["counts"])), "m": e["m"]})
    return out


def run(quick: bool = False) -> list[dict]:
    econ = load()
    if quick:
        econ = econ[::3]
    recs = solve_all(econ)
    n = len(recs)
    conv = sum(r["converged"] for r in recs)
    times = [r["seconds"] for r in recs]
    exact = [r for r in recs if r["method"].startswith("exact")]
    failed = [r["name"] for r in recs if not r["converged"]]
    rows = [
        _row(f"ECEEI stress set: converged share ({n} economies, relative error <= 1e-9, verified)", conv / n, "",
             "100%", conv == n, failed=failed[:10]),
        _row("ECEEI stress set: median solve time", statistics.median(times), "s", "< 0.1 s",
             statistics.median(times) < 0.1),
        _row("ECEEI stress set: max solve time", max(times), "s", "< 10 s", max(times) < 10,
             slowest=max(recs, key=lambda r: r["seconds"])["name"]),
        _row("ECEEI stress set: max solve time, process CPU (robust to other load on the machine)",
             max(r["cpu"] for r in recs), "s", "< 10 s", max(r["cpu"] for r in recs) < 10,
             slowest=max(recs, key=lambda r: r["cpu"])["name"]),
        _row("ECEEI stress set: economies solved by the exact fallback (path or MILP)", len(exact), "", "", None,
             names=[r["name"] for r in exact][:20]),
        _row("ECEEI stress set: largest relative clearing error", max(r["error"] for r in recs), "", "<= 1e-9",
             max(r["error"] for r in recs) <= 1e-9),
    ]
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
