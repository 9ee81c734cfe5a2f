"""Figures of an experiment, as functions of its tables (usable from notebooks).

Every function takes a DataFrame from :func:`abm.experiments.load` and returns a matplotlib
``Figure`` (save it with ``fig.savefig(path)``; notebooks show it inline). When the table lacks
the columns a figure needs, it raises :class:`MissingColumns` (the report writes the message as
a note and goes on). Rates pooled from counts carry Wilson 95% bands
(:func:`abm.audit.stats.wilson_interval`); means over replications carry normal 95% bands
(mean +- ``Z95`` = 1.96 standard errors, :data:`abm.audit.stats.Z95`).
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

# The object-oriented API (no pyplot): figures render with the Agg canvas when saved, need no
# display and no global backend switch, and show inline in notebooks.
from matplotlib.figure import Figure

from abm.audit.stats import Z95

#: Mechanism names compared by :func:`placement_rates` (SEM paper, Section 6: SEM vs SD-RTB).
PLACEMENT_MECHANISMS = ("sem", "sd_rtb")


class MissingColumns(ValueError):
    """The table lacks what a figure needs; the message says what."""


def _need(df: pd.DataFrame, cols: Sequence[str], figure: str) -> pd.DataFrame:
    missing = [c for c in cols if c not in df.columns or df[c].notna().sum() == 0]
    if missing:
        raise MissingColumns(f"{figure}: skipped, the experiment has no {', '.join(missing)} data")
    return df.dropna(subset=list(cols))


def wilson(successes: float, trials: float) -> tuple[float, float]:
    """Return the Wilson 95% interval of ``successes`` in ``trials`` ((nan, nan) for no trials)."""
    if trials <= 0:
        return math.nan, math.nan
    from abm.audit.stats import wilson_interval

    return wilson_interval(int(successes), int(trials))


def pooled_rate(df: pd.DataFrame, num: str, den: str, size: str = "n", by: str | None = "mechanism") -> pd.DataFrame:
    """Return the pooled rate sum(num)/sum(den) with its Wilson band per (by, size).

    Columns: ``by`` (when given), ``size``, ``successes``, ``trials``, ``rate``, ``lo``, ``hi``.
    """
    keys = [c for c in (by, size) if c]
    g = df.groupby(keys, sort=True)[[num, den]].sum().reset_index()
    g = g.rename(columns={num: "successes", den: "trials"})
    g["rate"] = np.where(g["trials"] > 0, g["successes"] / g["trials"].where(g["trials"] > 0, 1), np.nan)
    bands = [wilson(s, t) for s, t in zip(g["successes"], g["trials"])]
    g["lo"] = [b[0] for b in bands]
    g["hi"] = [b[1] for b in bands]
    return g


def mean_band(df: pd.DataFrame, metric: str, x: str = "n", by: str | None = "mechanism") -> pd.DataFrame:
    """Return mean, count and the normal 95% band of ``metric`` per (by, x)."""
    keys = [c for c in (by, x) if c]
    g = df.groupby(keys, sort=True)[metric].agg(["mean", "std", "count"]).reset_index()
    se = g["std"].fillna(0.0) / np.sqrt(g["count"].clip(lower=1))
    g["lo"], g["hi"] = g["mean"] - Z95 * se, g["mean"] + Z95 * se
    return g


def _lines(g: pd.DataFrame, x: str, y: str, by: str | None, ax, label_prefix: str = "") -> None:
    groups = g.groupby(by, sort=True) if by else [("", g)]
    for name, part in groups:
        part = part.sort_values(x)
        lab = f"{label_prefix}{name}" if by else (label_prefix or y)
        line, = ax.plot(part[x], part[y], marker="o", label=lab)
        ax.fill_between(part[x], part["lo"], part["hi"], alpha=0.2, color=line.get_color())


def rate_vs_size(df: pd.DataFrame, num: str = "profitable", den: str = "deviations", size: str = "n",
                 by: str | None = "mechanism", title: str | None = None, ylabel: str | None = None):
    """Return a figure of the pooled rate ``num/den`` against market size with Wilson 95% bands.

    Defaults: the gain rate (profitable deviations / deviations) of an audit sweep; pass
    ``num="violations", den="checked"`` for the claim-violation rate.
    """
    by = by if by in df.columns else None
    d = _need(df, [num, den, size], title or f"{num}/{den} vs {size}")
    g = pooled_rate(d, num, den, size, by)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    _lines(g.rename(columns={"rate": "y"}), size, "y", by, ax)
    ax.set_xlabel(size)
    ax.set_ylabel(ylabel or f"{num} / {den}")
    ax.set_title(title or f"{num} / {den} vs {size} (Wilson 95% band)")
    ax.set_ylim(bottom=0)
    ax.legend(title=by)
    fig.tight_layout()
    return fig


def metric_vs_size(df: pd.DataFrame, metric: str, size: str = "n", by: str | None = "mechanism",
                   title: str | None = None):
    """Return a figure of the mean of ``metric`` against market size with normal 95% bands."""
    by = by if by in df.columns else None
    d = _need(df, [metric, size], title or f"{metric} vs {size}")
    g = mean_band(d, metric, size, by).rename(columns={"mean": "y"})
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    _lines(g, size, "y", by, ax)
    ax.set_xlabel(size)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} vs {size} (mean, 95% band)")
    ax.legend(title=by)
    fig.tight_layout()
    return fig


def strategy_comparison(strategies: pd.DataFrame, metric: str = "mean_true_rank", by: str | None = None,
                        title: str | None = None):
    """Return a bar chart of the mean of ``metric`` per strategy label with 95% error bars.

    ``strategies`` is ``load(EXP, table="strategies")``; ``by`` splits bars by another column
    (e.g. an axis).
    """
    by = by if by in strategies.columns else None
    d = _need(strategies, ["strategy", metric], title or f"{metric} by strategy")
    keys = ["strategy"] + ([by] if by else [])
    g = d.groupby(keys, sort=True)[metric].agg(["mean", "std", "count"]).reset_index()
    err = Z95 * g["std"].fillna(0.0) / np.sqrt(g["count"].clip(lower=1))
    labels = [" | ".join(str(v) for v in row) for row in g[keys].itertuples(index=False)]
    fig = Figure(figsize=(max(6, 0.6 * len(g) + 2), 4))
    ax = fig.subplots()
    ax.bar(range(len(g)), g["mean"], yerr=err, capsize=3)
    ax.set_xticks(range(len(g)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(metric)
    ax.set_title(title or f"{metric} by strategy (mean, 95% error bars)")
    fig.tight_layout()
    return fig


def placement_rates(df: pd.DataFrame, metric: str = "placed_share", size: str = "n",
                    mechanisms: Sequence[str] = PLACEMENT_MECHANISMS):
    """Return SEM vs SD-RTB placement rates against market size (mean, 95% band).

    Needs a ``mechanism`` column holding both of ``mechanisms`` and the ``metric`` column
    (share of agents placed, i.e. not left with the null object).
    """
    d = _need(df, ["mechanism", metric, size], "placement rates (SEM vs SD-RTB)")
    present = set(d["mechanism"])
    if not set(mechanisms) <= present:
        raise MissingColumns(f"placement rates (SEM vs SD-RTB): skipped, the experiment has mechanisms "
                             f"{sorted(present)}, not all of {list(mechanisms)}")
    d = d[d["mechanism"].isin(mechanisms)]
    return metric_vs_size(d, metric, size, "mechanism", title=f"placement rate ({metric}) vs {size}: "
                          + " vs ".join(mechanisms))


def procurement_ratio(df: pd.DataFrame, x: str = "prediction_error", by: str | None = "mechanism"):
    """Return the procurement ratio OPT / E[v(A)] against the prediction error, with a 95% band.

    Budget-feasible paper (consistency/robustness, Theorems on Mechanisms 1-4): per (``by``,
    ``x``) the ratio of means mean(opt_value) / mean(value) over replications; the band divides
    by the normal 95% interval of mean(value) (the optimum's own spread is not propagated).
    Needs the columns ``x``, ``opt_value`` and ``value`` (written by procurement run cells).
    """
    by = by if by in df.columns else None
    d = _need(df, [x, "opt_value", "value"], "procurement ratio vs prediction error")
    keys = [c for c in (by, x) if c]
    g = d.groupby(keys, sort=True).agg(opt=("opt_value", "mean"), v=("value", "mean"), sd=("value", "std"),
                                       k=("value", "count")).reset_index()
    se = g["sd"].fillna(0.0) / np.sqrt(g["k"].clip(lower=1))
    g["y"] = g["opt"] / g["v"]
    g["lo"] = g["opt"] / (g["v"] + Z95 * se)
    hi_den = g["v"] - Z95 * se
    g["hi"] = np.where(hi_den > 0, g["opt"] / hi_den.where(hi_den > 0, 1), np.inf)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    _lines(g, x, "y", by, ax)
    ax.set_xlabel(x)
    ax.set_ylabel("OPT / E[v(A)]")
    ax.set_title(f"procurement ratio vs {x} (95% band)")
    ax.legend(title=by)
    fig.tight_layout()
    return fig
