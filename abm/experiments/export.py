"""Reading an experiment back: the pandas loader and the export command.

>>> import abm.experiments as ex                       # doctest: +SKIP
>>> df = ex.load("results/ocam-eps")                    # one row per (grid point, replication)
>>> df.groupby("mechanism.params.eps_b")["gain_rate"].mean()
>>> ex.load("results/ocam-eps", table="strategies")     # one row per run and strategy label
>>> ex.load("results/ocam-eps", table="agents")         # every per-agent table, stacked

Columns of the ``runs`` table: ``key``, ``cell`` (grid point index), ``replication``, ``seed``
(the run's seed), ``status``, one column per axis (named by its dotted path, ``axis:seed`` for a
``seed`` axis; list/table values as JSON text),
every scalar metric of :mod:`abm.experiments.cells` (``n``, ``mechanism``, ``gain_rate``,
``mean_true_rank``, ``mech_*``, ...), ``versions`` (the mechanism's and strategies' versions
that produced the run, e.g. ``"sd v1; truthful v1"``; None when not recorded), ``error``
(traceback of a failed run), ``agents_path``,
``counterexample``; with ``timings=True`` also ``attempts``, ``started``, ``finished``,
``seconds``, ``worker`` (which differ between runs of the same sweep; everything else does not).
"""
from __future__ import annotations

import json
import pathlib
from typing import Any

import pandas as pd

from abm.runner import write_tables
from abm.versions import versions_text
from mechanisms.errors import require

from .store import Store

TABLES = ("runs", "strategies", "agents")
TIMING_COLUMNS = ("attempts", "started", "finished", "seconds", "worker")


#: Columns every table starts with; an axis of the same name (e.g. ``seed``) is renamed ``axis:<name>``.
ID_COLUMNS = ("key", "cell", "replication", "seed", "status")


def _axis_value(v: Any) -> Any:
    return json.dumps(v, sort_keys=True) if isinstance(v, (list, dict)) else v


def axis_column(axis: str) -> str:
    """Return the column name of ``axis`` in the loaded tables (``axis:seed`` for the seed axis)."""
    return f"axis:{axis}" if axis in ID_COLUMNS else axis


def _axes(params: dict[str, Any]) -> dict[str, Any]:
    return {axis_column(a): _axis_value(v) for a, v in params.items()}


def load(experiment: str | pathlib.Path, table: str = "runs", timings: bool = False,
         status: str | None = None) -> pd.DataFrame:
    """Return a table of the experiment directory ``experiment`` as a pandas DataFrame.

    Parameters
    ----------
    experiment : path
        An experiment directory written by ``python -m abm sweep``.
    table : {"runs", "strategies", "agents"}, default "runs"
        ``runs``: one row per (grid point, replication) with axes and metrics; ``strategies``:
        one row per finished run and strategy (or deviation) label with its per-strategy
        metrics; ``agents``: the per-agent tables of finished runs, stacked, with the run's
        key, cell, replication, seed and axes in front.
    timings : bool, default False
        Include attempts, start/finish times, seconds and the worker (``runs`` only).
    status : str, optional
        Keep only rows with this status (``"done"``, ``"failed"``, ``"pending"``, ``"running"``).

    Rows are sorted by (cell, replication, key), so the table of a sweep does not depend on the
    backend or on the order in which runs finished.
    """
    require(table in TABLES, "--table", table, f"one of {list(TABLES)}")
    with Store.open(experiment) as store:
        rows = store.rows()
        axes = json.loads(store.meta("axes", "[]"))
    if status is not None:
        rows = [r for r in rows if r["status"] == status]
    if table == "runs":
        out = []
        for r in rows:
            d: dict[str, Any] = {"key": r["key"], "cell": r["cell"], "replication": r["replication"], "seed": r["seed"],
                                 "status": r["status"]}
            d.update(_axes(r["params"]))
            for k, v in (r["metrics"] or {}).items():
                if isinstance(v, (int, float, str, bool)) or v is None:
                    d[k] = v
            d["versions"] = versions_text(r["versions"]) if r["versions"] is not None else None
            d.update(error=r["error"], agents_path=r["agents_path"], counterexample=r["counterexample"])
            if timings:
                d.update({c: r[c] for c in TIMING_COLUMNS})
            out.append(d)
        df = pd.DataFrame(out)
        return _order(df, axes)
    if table == "strategies":
        out = []
        for r in rows:
            for s in (r["metrics"] or {}).get("by_strategy", []):
                out.append({"key": r["key"], "cell": r["cell"], "replication": r["replication"], "seed": r["seed"],
                            **_axes(r["params"]),
                            "mechanism": (r["metrics"] or {}).get("mechanism"), "n": (r["metrics"] or {}).get("n"), **s})
        return pd.DataFrame(out)
    frames = []
    base = pathlib.Path(experiment)
    for r in rows:
        if r["status"] != "done" or not r["agents_path"]:
            continue
        a = pd.read_parquet(base / r["agents_path"])
        front = {"key": r["key"], "cell": r["cell"], "replication": r["replication"], "seed": r["seed"],
                 **_axes(r["params"])}
        for i, (k, v) in enumerate(front.items()):
            a.insert(i, k if k not in a.columns else f"run_{k}", v)
        frames.append(a)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _order(df: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """Return ``df`` sorted by (cell, replication, key), columns: ids, axes, mechanism, n, metrics, paths."""
    if df.empty:
        return df
    first = list(ID_COLUMNS) + [axis_column(a) for a in axes if axis_column(a) in df.columns]
    first += [c for c in ("mechanism", "n") if c in df.columns and c not in first]
    last = [c for c in ("error", "agents_path", "counterexample", *TIMING_COLUMNS) if c in df.columns]
    middle = sorted(c for c in df.columns if c not in first and c not in last)
    df = df[first + middle + last]
    return df.sort_values(["cell", "replication", "key"], kind="stable").reset_index(drop=True)


def export(experiment: str | pathlib.Path, out: str | pathlib.Path | None = None, fmt: str = "parquet",
           overwrite: bool = False) -> pathlib.Path:
    """Write the ``runs``, ``strategies`` and ``agents`` tables of ``experiment`` to ``out``.

    ``fmt`` is ``"parquet"`` or ``"csv"``; ``out`` defaults to ``EXPERIMENT/export-<fmt>``.
    Writing is atomic (:func:`abm.runner.write_tables`). Returns the directory.
    """
    require(fmt in ("csv", "parquet"), "--format", fmt, '"csv" or "parquet"')
    exp = pathlib.Path(experiment)
    out = pathlib.Path(out) if out is not None else exp / f"export-{fmt}"
    tables = {t: load(exp, t, timings=(t == "runs")) for t in TABLES}
    readme = (f"Tables exported from the experiment at {exp}:\n"
              "runs: one row per (grid point, replication): axes, status, metrics, timings\n"
              "strategies: one row per run and strategy label\n"
              "agents: the per-agent tables of finished runs, stacked\n")
    return write_tables(tables, {"README.txt": readme}, out, fmt, overwrite)
