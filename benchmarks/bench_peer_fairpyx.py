"""Peer side by side (issue 13, item 5): fairpyx's A-CEEI and ours on the AGH 2004 course market.

Same market (153 students, 7 courses, capacity 60, bundles of up to 3, the students' PrefLib
rankings turned into bundle rankings), same budgets (each student's budget in our ECEEI's
deterministic realisation, Proposition 3), in one run. fairpyx (an optional benchmark
dependency: it pins numpy < 2, so it lives in its own environment ``.venv-peer``, created on
first use with ``pip install "numpy<2" fairpyx``; set ``FAIRPYX_PYTHON`` to use another) runs
its tabu price search (Budish et al.'s course match, ``A_CEEI``) for a fixed time limit. Both
price vectors are then judged by one measure computed here: the L2 norm of the excess demand
at those prices and budgets, counting under-demand only for courses with a positive price
(the A-CEEI clearing error of Budish, 2011), and fairpyx's own alpha beside it.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
AGH = ROOT.parent / "shared" / "data" / "preflib" / "agh-2004.soc"
PEER = ROOT / ".venv-peer"


def _peer_python() -> pathlib.Path | None:
    env = os.environ.get("FAIRPYX_PYTHON")
    if env:
        return pathlib.Path(env)
    py = PEER / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER)], check=True)
        r = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "numpy<2", "fairpyx"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stderr[-2000:], file=sys.stderr)
            return None
    return py


def clearing_l2(bundles_by_student: list[list[int]], budgets: np.ndarray, prices: np.ndarray,
                capacity: np.ndarray) -> float:
    """Return the L2 excess demand at ``prices`` (under-demand counted only where the price is positive)."""
    demand = np.zeros(capacity.size)
    for ranked, b in zip(bundles_by_student, budgets):
        for x in ranked:
            if sum(prices[j] for j in x) <= b + 1e-12:
                demand[list(x)] += 1
                break
    z = demand - capacity
    z = np.where(prices > 1e-12, z, np.maximum(z, 0.0))
    return float(np.sqrt((z ** 2).sum()))


def run(quick: bool = False) -> list[dict]:
    """Return the side-by-side rows (see the module docstring)."""
    from mechanisms.datasets.preflib import course_market, read_soc
    from mechanisms.market import bundle_items
    from mechanisms.ocam import realise, solve_eceei

    goods, ranks = course_market(read_soc(AGH), 3, 0.9)
    cap = goods.capacity.astype(float)
    eps_b = 0.02
    solve_eceei(ranks, cap, eps_b)  # warm-up (imports, HiGHS)
    t0 = time.perf_counter()
    cert = solve_eceei(ranks, cap, eps_b)
    real = realise(cert)
    ours_s = time.perf_counter() - t0
    # each student's budget in the realisation: the budget supporting its realised bundle
    pool: dict[int, list[tuple[int, float]]] = {}
    for t, cnt in enumerate(real.counts):
        pool[t] = [(b, real.budgets[(t, b)]) for b, k in sorted(cnt.items()) for _ in range(k)]
    budgets = np.empty(len(ranks))
    for i, r in enumerate(ranks):
        t = cert.type_index(r)
        _, budgets[i] = pool[t].pop()
    ranked = [[list(bundle_items(b)) for b in r.bundles] for r in ranks]
    ours_l2 = clearing_l2(ranked, budgets, np.asarray(cert.prices), cap)
    rows = [{"benchmark": f"AGH 2004, ours: ECEEI + realisation (eps_b={eps_b})", "value": ours_s, "unit": "s",
             "target": "", "ok": None},
            {"benchmark": "AGH 2004, ours: L2 clearing error of the realised allocation (Budish's measure)",
             "value": ours_l2, "unit": "seats", "target": f"<= Prop. 3 bound {real.bound:.2f}", "ok": ours_l2 <= real.bound},
            {"benchmark": "AGH 2004, ours: relative expected clearing error of the ECEEI", "value": cert.error,
             "unit": "", "target": "<= 1e-9", "ok": cert.error <= 1e-9}]
    py = _peer_python()
    if py is None or not py.exists():
        rows.append({"benchmark": "AGH 2004, fairpyx A-CEEI: could not set up its environment (see stderr)",
                     "value": "", "unit": "", "target": "", "ok": False})
        return rows
    limit = 5 if quick else 20
    with tempfile.TemporaryDirectory() as d:
        src, dst = pathlib.Path(d) / "in.json", pathlib.Path(d) / "out.json"
        src.write_text(json.dumps({"items": list(goods.names), "capacities": goods.capacity.tolist(), "max_bundle": 3,
                                   "students": {f"s{i}": {"ranked": [[goods.names[j] for j in x] for x in rk],
                                                          "budget": float(budgets[i])} for i, rk in enumerate(ranked)},
                                   "time_limit": limit, "seed": 1}))
        t0 = time.perf_counter()
        subprocess.run([str(py), str(ROOT / "benchmarks" / "peer_fairpyx_worker.py"), str(src), str(dst)], check=True)
        wall = time.perf_counter() - t0
        out = json.loads(dst.read_text())
    peer_l2 = clearing_l2(ranked, budgets, np.asarray(out["prices"]), cap)
    rows += [{"benchmark": f"AGH 2004, fairpyx A-CEEI: tabu price search (time limit {limit} s, same budgets)",
              "value": out["seconds"], "unit": "s", "target": "", "ok": None},
             {"benchmark": "AGH 2004, fairpyx A-CEEI: L2 clearing error at its prices (Budish's measure)",
              "value": peer_l2, "unit": "seats", "target": "", "ok": None},
             {"benchmark": "AGH 2004, fairpyx A-CEEI: its own alpha (L2 excess over every course)",
              "value": out["alpha"], "unit": "seats", "target": "", "ok": None},
             {"benchmark": "AGH 2004, fairpyx A-CEEI: subprocess wall time (environment start included)",
              "value": wall, "unit": "s", "target": "", "ok": None}]
    return rows
