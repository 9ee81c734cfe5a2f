"""Empirical ratios OPT / E[v(A)] of the budget-feasible mechanisms beside the paper's bounds.

Writes ``ratios.csv`` (one row per mechanism, valuation family, eps and tau, with 95%
confidence intervals and the theoretical factor), ``tradeoff.png`` (the consistency-robustness
trade-off of Mechanism 1 across tau, with Mechanism 4) and ``findings.json`` (rows whose
empirical ratio exceeds the bound, with the recipe to rebuild their instance) to OUT.

Usage::

    .venv/bin/python examples/procurement_ratios.py OUT [--n 200] [--reps 1000] [--workers 2]
        [--families additive coverage ...] [--eps 0 0.5 0.9] [--over 0.5] [--taus 0 0.25 0.5 0.75 1]

Small run (seconds): ``examples/procurement_ratios.py /tmp/ratios --n 30 --reps 50``.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from mechanisms.procurement.experiments import run_experiment  # noqa: E402
from mechanisms.procurement.valuations import VALUATIONS  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output directory")
    ap.add_argument("--n", type=int, default=200, help="number of sellers (default 200)")
    ap.add_argument("--reps", type=int, default=1000, help="replications per cell (default 1000)")
    ap.add_argument("--families", nargs="+", default=VALUATIONS.names(), help="valuation families")
    ap.add_argument("--eps", nargs="+", type=float, default=[0.0, 0.5, 0.9], help="under-estimate errors")
    ap.add_argument("--over", nargs="*", type=float, default=[0.5], help="over-estimate errors")
    ap.add_argument("--taus", nargs="+", type=float, default=[0.0, 0.25, 0.5, 0.75, 1.0], help="Mechanism 1 tau grid")
    ap.add_argument("--budget-frac", type=float, default=0.1, help="B = budget_frac * sum of costs")
    ap.add_argument("--instance-seed", type=int, default=0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=0, help="> 1: run cells on a local dask cluster")
    a = ap.parse_args(argv)
    res = run_experiment(a.out, families=a.families, n=a.n, reps=a.reps, eps_grid=a.eps, over_grid=a.over,
                         tau_grid=a.taus, budget_frac=a.budget_frac, instance_seed=a.instance_seed, seed=a.seed,
                         workers=a.workers, progress=True)
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
