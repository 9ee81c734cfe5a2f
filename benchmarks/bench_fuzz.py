"""Fuzz benchmark of every input a user hands the testbed (issue 12, item 4).

Mutations (:mod:`tests.hardening.fuzz_helpers`) of every example scenario, every example sweep
and counterexample files written by real audits, each read (then run, validated or replayed)
in this process under a per-case time limit. Prints the count of each outcome: clean error,
valid run, traceback, hang, silently accepted (target: 100% clean = clean errors + valid runs),
and how many clean errors came from the scenario loader's last-resort net. >= 2,000 cases
(``quick``: 200).
"""
from __future__ import annotations

import collections
import pathlib
import random
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent


def run(quick: bool = False) -> list[dict]:
    sys.path.insert(0, str(HERE.parent / "tests" / "hardening"))
    import fuzz_helpers as F

    n = 200 if quick else 2400
    shares = {"scenario": 0.6, "sweep": 0.1, "counterexample": 0.3}
    rng = random.Random(20260412)
    counts: dict[str, collections.Counter] = {k: collections.Counter() for k in shares}
    bad: list[tuple] = []
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        files = F.make_counterexamples(pathlib.Path(d))
        for kind, share in shares.items():
            for _ in range(int(n * share)):
                if kind == "scenario":
                    out, what, detail = F.scenario_case(rng, 10.0)
                elif kind == "sweep":
                    out, what, detail = F.sweep_case(rng, 10.0)
                else:
                    out, what, detail = F.counterexample_case(files, rng, 10.0)
                counts[kind][out] += 1
                if detail == "generic net":
                    counts[kind]["generic net"] += 1
                if out not in ("clean error", "valid run"):
                    bad.append((kind, out, what, detail))
    total = collections.Counter()
    for kind, c in counts.items():
        total.update(c)
        print(f"fuzz {kind:15s} " + ", ".join(f"{o}: {c[o]}" for o in (*F.OUTCOMES, "generic net")), file=sys.stderr)
    for b in bad[:20]:
        print("  not clean:", b, file=sys.stderr)
    cases = sum(total[o] for o in F.OUTCOMES)
    clean = total["clean error"] + total["valid run"]
    rows = [{"benchmark": f"fuzz cases ({cases} in {time.perf_counter() - t0:.0f} s)", "value": cases, "unit": "cases",
             "target": ">= 2000" if not quick else "", "ok": cases >= 2000 if not quick else None},
            {"benchmark": "fuzz clean (clean error or valid run)", "value": 100.0 * clean / max(cases, 1), "unit": "%",
             "target": "100%", "ok": clean == cases}]
    for o in F.OUTCOMES:
        rows.append({"benchmark": f"fuzz outcome: {o}", "value": total[o], "unit": "cases", "target": "",
                     "ok": None})
    rows.append({"benchmark": "fuzz clean errors from the generic net", "value": total["generic net"], "unit": "cases",
                 "target": "", "ok": None})
    return rows
