"""Placement rates when host homes arrive over time: fully online SEM against its references.

SEM paper, Section 5.1 (fully online matching) on the Section 6.2 host-home market: homes a, b;
children c1 = a > o > b and c2 = {a,b} > o with probability 1/2; T = 4; n children per period;
each of the n potential homes of each kind becomes available in a period with probability q
(``matched``: q = 1/2, total expected homes = expected children; ``literal``: q = 1/4).
Mechanisms on the same children and homes: ``sem_online`` (look-ahead selection),
``sem_online_static``, ``sem_upfront`` (SEM with every home of the horizon known at the start:
an upper reference, not implementable online), ``sd_rtb`` and ``greedy`` (first come, first
served, ties to the first home), both served from the homes present.

Writes to --out: ``placement_runs.csv`` (one row per reading, n, market, mechanism),
``placement_summary.csv`` / ``placement_summary.md`` (mean and standard deviation of the
placement rate, Table 1's layout) and ``placement_density.png``.

Usage: python examples/sem_online_placement.py --out results/sem_online [--markets 25] [--ns 1 5 10 25]
"""
from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from mechanisms.sem.experiments import placement_markdown, write_placement
from mechanisms.sem.online_experiments import FOSTER_MECHANISMS, foster_experiment


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for the tables and the plot")
    ap.add_argument("--markets", type=int, default=25, help="markets per n (Section 6.2: 25)")
    ap.add_argument("--ns", type=int, nargs="+", default=[1, 5, 10, 25], help="children per period")
    ap.add_argument("--readings", nargs="+", default=["matched", "literal"], help="home arrival readings")
    ap.add_argument("--mechanisms", nargs="+", default=list(FOSTER_MECHANISMS), help="mechanisms to compare")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    df = foster_experiment(ns=args.ns, markets=args.markets, readings=args.readings, mechanisms=args.mechanisms,
                           seed=args.seed)
    summ = write_placement(df, args.out, "placement", plot=not args.no_plot)
    print(placement_markdown(summ))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
