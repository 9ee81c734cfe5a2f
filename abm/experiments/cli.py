"""Commands ``sweep``, ``report`` and ``export`` of ``python -m abm`` (registered on import).

``python -m abm sweep SWEEP.toml [--out DIR] [--serial | --scheduler ADDRESS] [--workers N]``
runs (or resumes) a sweep; ``python -m abm report DIR [--format md|html]`` writes its report;
``python -m abm export DIR --format parquet|csv`` writes its tables. See ``docs/experiments.md``.
"""
from __future__ import annotations

import argparse
import pathlib
import re

from abm.cli import add_allow_import, command


def _sweep_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("sweep", help="sweep TOML file (base scenario, [axes], replications)")
    p.add_argument("--out", default=None, help="experiment directory (default: results/<sweep name>); "
                   "an existing one is resumed")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--serial", action="store_true", help="run in this process (debugging)")
    where.add_argument("--scheduler", default=None, metavar="ADDRESS",
                       help="attach to a running dask scheduler, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--workers", type=int, default=None, help="local cluster size (default: the cores available)")
    p.add_argument("--chunk", type=int, default=None,
                   help="runs per dask task (default: runs / (10 x workers), between 1 and 20)")
    p.add_argument("--dry-run", action="store_true", help="validate the grid and print its size; run nothing")
    add_allow_import(p, "the scenarios name")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@command("sweep", "run or resume a parameter sweep (dask local cluster, --scheduler, or --serial)", _sweep_args)
def _sweep(args: argparse.Namespace) -> int:
    from .execute import run_sweep
    from .sweep import load_sweep

    sw = load_sweep(args.sweep, allow_import=args.allow_import)
    out = pathlib.Path(args.out) if args.out else pathlib.Path("results") / re.sub(r"[^A-Za-z0-9_.-]+", "-", sw.name)
    n_points = len(sw.grid)
    if args.dry_run:
        print(f"sweep {sw.name}: {n_points} grid points x {sw.replications} replications = "
              f"{n_points * sw.replications} runs ({sw.kind}); axes: {', '.join(sw.axes) or '-'}")
        return 0
    backend = "serial" if args.serial else ("scheduler" if args.scheduler else "local")
    res = run_sweep(sw, out, backend, args.scheduler, args.workers, args.chunk, args.quiet)
    print(res.text())
    if res.failed:
        print(f"{res.failed} run(s) failed; their tracebacks are in the store "
              f"(python -m abm report {out}); run the sweep again to retry them")
        return 1
    return 0


def _report_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", help="experiment directory written by `sweep`")
    p.add_argument("--format", default="md", choices=["md", "html"], help="report format (default md)")
    p.add_argument("--out", default=None, help="output directory (default: EXPERIMENT/report)")


@command("report", "write a Markdown/HTML report with tables and figures of an experiment", _report_args)
def _report(args: argparse.Namespace) -> int:
    from .report import build_report

    path = build_report(args.experiment, args.format, args.out)
    print(f"report written to {path}")
    return 0


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", help="experiment directory written by `sweep`")
    p.add_argument("--format", default="parquet", choices=["parquet", "csv"], help="table format (default parquet)")
    p.add_argument("--out", default=None, help="output directory (default: EXPERIMENT/export-<format>)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output directory")


@command("export", "export an experiment's tables as Parquet or CSV", _export_args)
def _export(args: argparse.Namespace) -> int:
    from .export import export

    path = export(args.experiment, args.out, args.format, args.overwrite)
    print(f"tables written to {path}/ (runs, strategies, agents .{args.format})")
    return 0
