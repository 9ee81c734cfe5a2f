"""``python -m abm report EXPERIMENT``: a Markdown or HTML report with tables and figures.

The report holds: what ran (sweep, axes, counts by status), the versions of the mechanisms and
strategies that produced the runs (a warning when the runs mix versions), failed runs with the
last line of their traceback, a table of every grid point (metrics averaged over replications), and the
figures of :mod:`abm.experiments.figures` that the data supports; a figure the data cannot
support is replaced by a one-line note.
"""
from __future__ import annotations

import html
import json
import math
import pathlib
from collections.abc import Callable
from typing import Any

import pandas as pd

from mechanisms.errors import require

from . import figures as F
from .export import axis_column, load
from .store import Store

#: Metrics averaged per grid point in the summary table, when present.
SUMMARY_METRICS = ("n", "gain_rate", "mean_gain", "violation_rate", "violations", "checked", "mean_true_rank",
                   "rank_gain", "mean_utility", "utility_gain", "placed_share", "hired", "ratio")


def _md_table(df: pd.DataFrame, digits: int = 4) -> str:
    """Return ``df`` as a GitHub Markdown table (no extra dependency)."""
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "" if math.isnan(v) else f"{v:.{digits}g}"
        return str(v).replace("|", "\\|").replace("\n", " ")
    head = "| " + " | ".join(str(c) for c in df.columns) + " |"
    sep = "| " + " | ".join("---" for _ in df.columns) + " |"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *rows])


def summary_table(runs: pd.DataFrame, axes: list[str]) -> pd.DataFrame:
    """Return one row per grid point: its axis values, runs done, and mean metrics over replications.

    Metrics: those of :data:`SUMMARY_METRICS` present, then (audits) every ``<claim>_violations``.
    """
    done = runs[runs["status"] == "done"]
    if done.empty:
        return pd.DataFrame()
    keys = ["cell"] + [axis_column(a) for a in axes if axis_column(a) in done.columns]
    per_claim = sorted(c for c in done.columns if c.endswith("_violations"))  # audits: one column per claim
    metrics = [m for m in (*SUMMARY_METRICS, *per_claim)
               if m in done.columns and pd.api.types.is_numeric_dtype(done[m])]
    g = done.groupby(keys, sort=True, dropna=False)
    out = g[metrics].mean().reset_index() if metrics else g.size().reset_index()[keys]
    out.insert(len(keys), "runs", g.size().values)
    return out


def line_groups(runs: pd.DataFrame, axes: list[str]) -> str | None:
    """Return the column that splits the lines of the size figures.

    ``mechanism`` when the experiment has several; else the first axis outside
    ``population.*`` (those set the size) with more than one value; else None.
    """
    if "mechanism" in runs and runs["mechanism"].nunique() > 1:
        return "mechanism"
    for a in axes:
        col = axis_column(a)
        if not a.startswith("population.") and col in runs and runs[col].nunique() > 1:
            return col
    return "mechanism" if "mechanism" in runs else None


def figure_specs(runs: pd.DataFrame, strategies: pd.DataFrame, kind: str,
                 axes: list[str] | None = None) -> list[tuple[str, Callable[[], Any]]]:
    """Return (file stem, figure thunk) pairs for the report, by sweep kind."""
    specs: list[tuple[str, Callable[[], Any]]] = []
    done = runs[runs["status"] == "done"] if "status" in runs else runs
    by = line_groups(done, axes or [])
    if kind == "audit":
        specs.append(("gain_rate_vs_n", lambda: F.rate_vs_size(done, "profitable", "deviations", by=by,
                                                               title="gain rate (profitable deviations) vs n",
                                                               ylabel="share of deviations that gain")))
        specs.append(("violation_rate_vs_n", lambda: F.rate_vs_size(done, "violations", "checked", by=by,
                                                                    title="claim violation rate vs n",
                                                                    ylabel="violations / checks")))
        specs.append(("gain_rate_by_strategy", lambda: F.strategy_comparison(strategies, "gain_rate")))
    else:
        specs.append(("rank_gain_vs_n", lambda: F.metric_vs_size(done, "rank_gain", by=by,
                                                                 title="rank gain of misreporters vs n")))
        specs.append(("utility_gain_vs_n", lambda: F.metric_vs_size(done, "utility_gain", by=by,
                                                                    title="utility gain of misreporters vs n")))
        specs.append(("rank_by_strategy", lambda: F.strategy_comparison(strategies, "mean_true_rank")))
        specs.append(("utility_by_strategy", lambda: F.strategy_comparison(strategies, "mean_utility")))
    specs.append(("placement_sem_vs_sdrtb", lambda: F.placement_rates(done)))
    specs.append(("procurement_ratio_vs_prediction_error", lambda: F.procurement_ratio(done)))
    return specs


def versions_parts(runs: pd.DataFrame) -> list[tuple[str, Any]]:
    """Return the report's versions section: runs per versions record (:mod:`abm.versions`) of finished runs.

    Runs of one experiment produced by different versions (a sweep resumed after a change that
    bumped a version) are not comparable: the section then says so first.
    """
    done = runs[runs["status"] == "done"] if "status" in runs else runs
    if done.empty or "versions" not in done:
        return []
    counts = done["versions"].fillna("not recorded").value_counts().sort_index()
    parts: list[tuple[str, Any]] = [("h2", "Versions")]
    by_mech = done.assign(v=done["versions"].fillna("not recorded")).groupby("mechanism")["v"].nunique() \
        if "mechanism" in done else pd.Series(dtype=int)
    if (by_mech > 1).any():
        parts.append(("note", "warning: runs of " + ", ".join(sorted(by_mech[by_mech > 1].index))
                      + " were produced by different versions (resumed after a version bump?); "
                        "they are not comparable: rerun the sweep into a new directory"))
    parts.append(("table", pd.DataFrame({"versions": counts.index, "runs": counts.values})))
    return parts


def build_report(experiment: str | pathlib.Path, fmt: str = "md", out: str | pathlib.Path | None = None) -> pathlib.Path:
    """Write the report of ``experiment`` and return its path.

    ``fmt`` is ``"md"`` (Markdown) or ``"html"``; figures are PNG files in ``figures/`` beside
    the report. ``out`` defaults to ``EXPERIMENT/report``.
    """
    require(fmt in ("md", "html"), "--format", fmt, '"md" or "html"')
    exp = pathlib.Path(experiment)
    with Store.open(exp) as store:
        name = store.meta("name", exp.name)
        kind = store.meta("kind", "run")
        axes = json.loads(store.meta("axes", "[]"))
        sweep = json.loads(store.meta("sweep", "{}") or "{}")
    runs = load(exp, "runs", timings=True)
    strategies = load(exp, "strategies")
    outdir = pathlib.Path(out) if out else exp / "report"
    (outdir / "figures").mkdir(parents=True, exist_ok=True)
    parts: list[tuple[str, Any]] = []  # (kind, payload): a kind of RENDERERS
    parts.append(("h1", f"Experiment {name}"))
    counts = runs["status"].value_counts().to_dict() if not runs.empty else {}
    parts.append(("p", f"Kind: {kind}. Runs: {len(runs)} ("
                  + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ")."))
    if sweep:
        ax = sweep.get("sweep", {}).get("axes", {})
        if ax:
            parts.append(("table", pd.DataFrame([{"axis": a, "values": json.dumps(v)} for a, v in ax.items()])))
    if not runs.empty and "seconds" in runs and runs["seconds"].notna().any():
        parts.append(("p", f"Run time: {runs['seconds'].sum():.1f} s in total, median {runs['seconds'].median():.3f} s per run."))
    parts += versions_parts(runs)
    failed = runs[runs["status"] == "failed"] if not runs.empty else runs
    if len(failed):
        parts.append(("h2", "Failed runs"))
        f = failed[["key", "cell", "replication", "seed"]].copy()
        f["error"] = [(e or "").strip().splitlines()[-1] if e else "" for e in failed["error"]]
        parts.append(("table", f))
    parts.append(("h2", "Grid points (means over replications)"))
    summ = summary_table(runs, axes) if not runs.empty else pd.DataFrame()
    parts.append(("table", summ) if not summ.empty else ("note", "no finished runs yet"))
    parts.append(("h2", "Figures"))
    for stem, thunk in figure_specs(runs, strategies, kind, axes):
        try:
            fig = thunk()
        except F.MissingColumns as e:
            parts.append(("note", str(e)))
            continue
        path = outdir / "figures" / f"{stem}.png"
        fig.savefig(path, dpi=100)
        parts.append(("img", (stem, f"figures/{stem}.png")))
    if kind == "audit" and "counterexample" in runs and runs["counterexample"].notna().any():
        parts.append(("h2", "Saved counterexamples"))
        cx = runs[runs["counterexample"].notna()][["key", "cell", "replication", "counterexample"]]
        parts.append(("table", cx))
    text = _render(parts, fmt)
    path = outdir / ("report.md" if fmt == "md" else "report.html")
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path


def _html_img(p: tuple[str, str]) -> str:
    return (f'<figure><img src="{html.escape(p[1])}" alt="{html.escape(p[0])}">'
            f"<figcaption>{html.escape(p[0])}</figcaption></figure>")


#: How each kind of report part is written, per format.
RENDERERS: dict[str, dict[str, Callable[[Any], str]]] = {
    "md": {"h1": lambda p: f"# {p}\n", "h2": lambda p: f"## {p}\n", "p": lambda p: f"{p}\n",
           "note": lambda p: f"> {p}\n", "table": lambda p: _md_table(p) + "\n",
           "img": lambda p: f"![{p[0]}]({p[1]})\n"},
    "html": {"h1": lambda p: f"<h1>{html.escape(p)}</h1>", "h2": lambda p: f"<h2>{html.escape(p)}</h2>",
             "p": lambda p: f"<p>{html.escape(p)}</p>", "note": lambda p: f"<p><em>{html.escape(p)}</em></p>",
             "table": lambda p: p.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep=""),
             "img": _html_img},
}


def _render(parts: list[tuple[str, Any]], fmt: str) -> str:
    """Return the report text of ``parts`` ((kind, payload) pairs) in ``fmt`` (:data:`RENDERERS`)."""
    out = [RENDERERS[fmt][kind](payload) for kind, payload in parts]
    if fmt == "html":
        return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>experiment report</title></head><body>\n"
                + "\n".join(out) + "\n</body></html>\n")
    return "\n".join(out)
