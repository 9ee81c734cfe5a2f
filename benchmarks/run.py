"""Run every benchmark module (``benchmarks/bench_*.py``) and print one table.

Each module exposes ``run(quick: bool = False) -> list[dict]``; a row has the keys
``benchmark`` (what was measured), ``value`` (a number), ``unit``, ``target`` (text such as
``"< 1 s"`` or ``""`` when the issue sets none) and ``ok`` (True/False/None when there is no
target). Usage: ``python -m benchmarks.run [--quick] [--only NAME] [--json FILE]``.
"""
from __future__ import annotations

import argparse
import importlib
import json
import pathlib
import sys
import time
import traceback


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller instances (smoke run)")
    ap.add_argument("--only", default=None, help="run only modules whose name contains this")
    ap.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = ap.parse_args(argv)
    here = pathlib.Path(__file__).parent
    rows: list[dict] = []
    failed = False
    for path in sorted(here.glob("bench_*.py")):
        if args.only and args.only not in path.stem:
            continue
        t0 = time.perf_counter()
        print(f"running {path.stem} ...", file=sys.stderr, flush=True)
        try:
            mod = importlib.import_module(f"benchmarks.{path.stem}")
            for row in mod.run(quick=args.quick):
                rows.append({"module": path.stem, **row})
        except Exception:  # a broken benchmark is reported, the others still run
            failed = True
            rows.append({"module": path.stem, "benchmark": "ERROR", "value": "", "unit": "",
                         "target": "", "ok": False})
            traceback.print_exc()
        print(f"  {path.stem} took {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    cols = ["module", "benchmark", "value", "unit", "target", "ok"]
    table = [[_fmt(r.get(c, "")) if c != "ok" else {True: "yes", False: "NO", None: "-"}.get(r.get("ok"), "-")
              for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in table)) if table else len(c) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    print("  ".join("-" * w for w in widths))
    for t in table:
        print("  ".join(x.ljust(w) for x, w in zip(t, widths)))
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=2, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
