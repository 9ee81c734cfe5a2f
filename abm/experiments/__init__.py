"""Experiments at scale (issue 8): parameter sweeps on dask.distributed, a crash-safe results
store, progress, reports with figures, and export.

Entry points: :func:`load_sweep` (validate a sweep file and its whole grid), :func:`run_sweep`
(serial, a local dask cluster, or a running scheduler; resumes), :func:`load` (the pandas
loader), :func:`export`, :func:`build_report`, and the figure functions of
:mod:`abm.experiments.figures`. The command line is ``python -m abm sweep|report|export``
(:mod:`abm.experiments.cli`); the per-run work is :func:`abm.experiments.cells.run_cell`.
"""
from .cells import run_cell
from .execute import SweepOutcome, auto_chunk, default_workers, run_sweep
from .export import export, load
from .store import Store
from .sweep import (
    AUDIT_DEFAULTS,
    Sweep,
    Task,
    audit_options,
    cell_key,
    load_sweep,
    parse_sweep,
)

__all__ = [
    "AUDIT_DEFAULTS", "MissingColumns", "Store", "Sweep", "SweepOutcome", "Task", "audit_options", "auto_chunk",
    "build_report", "cell_key", "default_workers", "export", "load", "load_sweep", "metric_vs_size", "parse_sweep",
    "placement_rates", "procurement_ratio", "rate_vs_size", "run_cell", "run_sweep", "strategy_comparison",
]

#: Names imported on first use (matplotlib loads only when a report or figure is wanted, not
#: on workers that merely run cells).
_LAZY = {"build_report": "report", "MissingColumns": "figures", "metric_vs_size": "figures",
         "placement_rates": "figures", "procurement_ratio": "figures", "rate_vs_size": "figures",
         "strategy_comparison": "figures"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
