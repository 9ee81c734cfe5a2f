"""The cell function: run one (grid point, replication) and return its metrics and tables.

Everything a sweep measures is decided here, in one place (the lead adjusts it as the
mechanism packages grow). :func:`run_cell` never raises: an exception becomes a ``failed``
result carrying the traceback, so one bad cell never stops a sweep. It runs on workers, so it
takes and returns plain picklable data and writes nothing; the driver writes the files
(:meth:`abm.experiments.store.Store.record`).

Two kinds of cell:

- ``run``: a plain scenario run (:func:`abm.scenario.build_run`); metrics from the per-agent
  table (utilities and ranks always under the TRUE types, ``abm.model.outcome_fields``) and the
  scalar entries of ``mechanism.summary()`` (prefixed ``mech_``).
- ``audit``: the same run, then the auditor (:func:`abm.audit.audit`) replays deviations under
  common random numbers against the truthful baseline and checks the mechanism's claims.
"""
from __future__ import annotations

import io
import json
import math
import os
import socket
import time
import traceback
import warnings
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from abm.scenario import Scenario, build_run
from abm.versions import Versions, model_versions
from mechanisms.online_mechanism import summary_of

from .sweep import AUDIT_DEFAULTS, Task

#: Outcome texts that mean "nothing allocated" (empty bundle, null object, not hired).
EMPTY_OUTCOMES = ("{}", "o", "not hired")


class CellOutput(NamedTuple):
    """What one cell computed: its ``metrics``, the per-agent table (``agents``), the first
    ``counterexample`` of an audit as ``(claim, JSON dict)`` (or None) and the ``versions`` of
    the mechanism and strategies that produced it (:func:`abm.versions.model_versions`)."""

    metrics: dict[str, Any]
    agents: pd.DataFrame
    counterexample: tuple[str, dict] | None
    versions: Versions


def _ours(w: warnings.WarningMessage) -> bool:
    """Return True for a warning about the run (not a library's deprecation or import-time notice)."""
    if issubclass(w.category, (DeprecationWarning, PendingDeprecationWarning, ImportWarning, FutureWarning)):
        return False
    return "site-packages" not in str(w.filename) and "<frozen" not in str(w.filename)


def run_cell(task: Task) -> dict[str, Any]:
    """Run ``task`` and return its result (never raises).

    Returns a dict with ``key``, ``status`` ("done" or "failed"), ``metrics`` (flat JSON-able
    dict plus ``by_strategy`` rows; ``warnings`` counts the Python warnings the run raised and
    ``warning_messages`` lists up to five distinct ones), ``agents_parquet`` (bytes of the per-agent table),
    ``counterexample_json`` / ``counterexample_claim`` (the first counterexample of an audit,
    or None), ``versions`` (of the mechanism and strategies, :mod:`abm.versions`), ``error``
    (the traceback of a failed cell), ``seconds`` and ``worker``.
    """
    t0 = time.perf_counter()
    out: dict[str, Any] = {"key": task.key, "worker": f"{socket.gethostname()}:{os.getpid()}",
                           "metrics": None, "error": None, "agents_parquet": None, "counterexample_json": None,
                           "versions": None}
    try:
        # Warnings (e.g. a solver missing its tolerance) are counted into the metrics instead of
        # flooding the terminal once per run; workers are single-threaded, so this is safe.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sc = task.sc  # validated by the driver: the cell builds its run once, below
            if task.kind == "audit":
                metrics, agents, cx, versions = audit_metrics(sc, task.seed, task.audit or {})
            else:
                metrics, agents, cx, versions = run_metrics(sc, task.seed)
        # only the warnings our own code raises about this run: library deprecations and import-time
        # warnings depend on what the process did before, not on the cell (serial and cluster must agree)
        caught = [w for w in caught if _ours(w)]
        metrics["warnings"] = len(caught)
        if caught:
            metrics["warning_messages"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})[:5]
        out["agents_parquet"] = to_parquet(agents)
        if cx is not None:
            out["counterexample_claim"], out["counterexample_json"] = cx[0], json.dumps(cx[1], indent=1).encode()
        out.update(status="done", metrics=metrics, versions=versions)
    except Exception:  # noqa: BLE001  (a failing cell is recorded, the sweep goes on: issue 8, item 3)
        out.update(status="failed", error=traceback.format_exc())
    out["seconds"] = time.perf_counter() - t0
    return out


def run_cells(tasks: list[Task]) -> list[dict[str, Any]]:
    """Return :func:`run_cell` of each task (a chunk of small cells in one scheduler task)."""
    return [run_cell(t) for t in tasks]


# ---- plain runs -------------------------------------------------------------------------------

def run_metrics(sc: Scenario, seed: int) -> CellOutput:
    """Return the :class:`CellOutput` of one run of ``sc`` with ``seed`` (no counterexample).

    Metrics: ``n``, ``truthful_share``, ``mean_true_rank`` (0 = best under the true type) and
    its truthful / misreporting means, ``rank_gain`` (truthful minus misreporting mean rank:
    positive when misreporters got better-ranked outcomes), ``mean_utility`` with the same
    split and ``utility_gain`` (misreporting minus truthful), ``hired``, ``empty_share``,
    ``placed_share``, the scalar entries of ``mechanism.summary()`` as ``mech_<name>``, and
    ``by_strategy`` (one row per strategy label).
    """
    model = build_run(sc, seed).run()
    a = model.agent_table()
    m = agent_metrics(a)
    m["mechanism"] = sc.mechanism
    m.update(summary_metrics(summary_of(model.mechanism)))
    m.update(procurement_metrics(sc, model))
    return CellOutput(m, a, None, model_versions(model))


def procurement_metrics(sc: Scenario, model) -> dict[str, Any]:
    """Return ``opt_value``, ``value``, ``ratio`` and ``prediction_error`` of a procurement run.

    Budget-feasible paper, Section 2: ``opt_value`` is v(S*), the offline optimum of problem (1)
    under the TRUE costs (``mechanisms.procurement.offline.offline_opt``); ``value`` is v(A) of
    the hired set; ``ratio`` = v(S*) / v(A) (NaN when nothing was hired); ``prediction_error``
    is the scenario's ``market.prediction_error`` (eps of omega = (1 -/+ eps) v(S*)). Empty for
    other markets, or when the market carries no valuation.
    """
    market = model.market
    valuation = (market.extra or {}).get("valuation") if market.kind == "procurement" else None
    value_fn = getattr(model.mechanism, "value", None)
    if valuation is None or value_fn is None:
        return {}
    from mechanisms.procurement.offline import offline_opt

    costs = [p.true_type.value for p in model.participants]
    opt = float(offline_opt(valuation, costs, float(market.extra["budget"])).value)
    value = float(value_fn())
    out = {"opt_value": opt, "value": value, "ratio": opt / value if value > 0 else math.nan}
    eps = sc.raw.get("market", {}).get("prediction_error")
    if eps is not None:
        out["prediction_error"] = float(eps)
    return out


def agent_metrics(a: pd.DataFrame) -> dict[str, Any]:
    """Return the metrics of a per-agent table (see :func:`run_metrics`)."""
    m: dict[str, Any] = {"n": len(a), "truthful_share": _f(a["truthful"].mean())}
    truthful = a["truthful"].astype(bool)
    for col, gain, sign in (("true_rank", "rank_gain", 1.0), ("utility", "utility_gain", -1.0)):
        name = "mean_true_rank" if col == "true_rank" else "mean_utility"
        vals = pd.to_numeric(a[col], errors="coerce") if col in a else None
        if vals is None or vals.notna().sum() == 0:
            continue
        m[name] = _f(vals.mean())
        mt, mm = vals[truthful].mean(), vals[~truthful].mean()
        m[f"{name}_truthful"], m[f"{name}_misreporting"] = _f(mt), _f(mm)
        m[gain] = _f(sign * (mt - mm)) if truthful.any() and (~truthful).any() else math.nan
    if "hired" in a and a["hired"].notna().any():
        m["hired"] = int(a["hired"].fillna(False).astype(bool).sum())
    if "outcome" in a:
        empty = a["outcome"].isin(EMPTY_OUTCOMES)
        m["empty_share"] = _f(empty.mean())
        m["placed_share"] = _f(1.0 - empty.mean())
    rows = []
    for label, g in a.groupby("strategy", sort=True):
        r: dict[str, Any] = {"strategy": str(label), "agents": len(g)}
        for col, name in (("true_rank", "mean_true_rank"), ("utility", "mean_utility")):
            if col in g and g[col].notna().any():
                r[name] = _f(pd.to_numeric(g[col], errors="coerce").mean())
        if "outcome" in g:
            r["empty_share"] = _f(g["outcome"].isin(EMPTY_OUTCOMES).mean())
        rows.append(r)
    m["by_strategy"] = rows
    return m


def summary_metrics(summary: Mapping[str, Any]) -> dict[str, Any]:
    """Return the scalar (number, bool, short string) entries of ``mechanism.summary()`` as ``mech_<name>``."""
    out = {}
    for k, v in summary.items():
        if isinstance(v, (bool, np.bool_)):
            out[f"mech_{k}"] = bool(v)
        elif isinstance(v, (int, float, np.integer, np.floating)):
            out[f"mech_{k}"] = _f(v) if isinstance(v, (float, np.floating)) else int(v)
        elif isinstance(v, str) and len(v) <= 64:
            out[f"mech_{k}"] = v
    return out


# ---- audits -----------------------------------------------------------------------------------

def audit_metrics(sc: Scenario, seed: int, spec: Mapping[str, Any]) -> CellOutput:
    """Return the :class:`CellOutput` of an audit of ``sc`` with ``seed`` (its first counterexample included).

    The run is built with the scenario's strategies; the auditor then compares every
    deviation with the all-truthful baseline (same seed: common random numbers). Options:
    ``spec`` (the sweep's ``[audit]`` table) over the scenario's ``[audit]`` table over
    :data:`abm.experiments.sweep.AUDIT_DEFAULTS`; deviations come from
    ``abm.audit.sources.scenario_deviations``, as for ``python -m abm audit``.
    Metrics: ``deviations``, ``profitable``, ``gain_rate`` (profitable / deviations),
    ``mean_gain``, ``max_gain``, ``checked``, ``violations``, ``violation_rate`` (over every
    checked claim), ``<claim>_checked`` / ``<claim>_violations`` per claim, ``verdicts`` and
    ``by_strategy`` (per deviation label).
    """
    try:
        from abm.audit import audit
        from abm.audit.claims import audit_options_from_table
        from abm.audit.sources import ScenarioRun
    except ImportError as e:
        raise RuntimeError(f"audit cells need the auditor (abm.audit.audit), which is not available: {e}") from None
    run = ScenarioRun(sc, seed)
    a = run.model.agent_table()
    spec = {**AUDIT_DEFAULTS, **sc.audit, **spec}  # sweep [audit] over the scenario's [audit] over defaults
    opts = audit_options_from_table(spec)  # every AuditOptions field the [audit] tables set
    # run.scenario is what `python -m abm audit` stores, so `python -m abm replay FILE` rebuilds the run
    rep = audit(run.factory, run.truthful, run.true_types, seed, run.deviations(spec), spec.get("claims"),
                options=opts, scenario=run.scenario)
    m: dict[str, Any] = {"n": len(a), "mechanism": sc.mechanism}
    cells = list(rep.cells.values())
    devs = sum(c.deviations for c in cells)
    prof = sum(c.profitable for c in cells)
    gains = [g for c in cells for g in c.gains]
    m.update(deviations=devs, profitable=prof, gain_rate=prof / devs if devs else math.nan,
             mean_gain=_f(np.mean(gains)) if gains else math.nan, max_gain=_f(max(gains)) if gains else math.nan)
    checked = violations = 0
    for c in rep.claims:
        k, v = rep.checked(c.key), rep.violations(c.key)
        m[f"{c.key}_checked"], m[f"{c.key}_violations"] = int(k), int(v)
        checked, violations = checked + k, violations + v
    m.update(checked=int(checked), violations=int(violations),
             violation_rate=violations / checked if checked else math.nan, verdicts=rep.verdicts())
    m["by_strategy"] = [{"strategy": c.strategy, "coalition_size": c.coalition_size, "deviations": c.deviations,
                         "profitable": c.profitable, "gain_rate": c.profitable / c.deviations if c.deviations else math.nan,
                         "mean_gain": _f(np.mean(c.gains)) if c.gains else math.nan,
                         "violations": sum(t.violations for t in c.claims.values()),
                         "checked": sum(t.checked for t in c.claims.values())}
                        for c in sorted(cells, key=lambda c: c.key)]
    m.update(summary_metrics(summary_of(run.model.mechanism)))
    cx = None
    for key in sorted(rep.counterexamples):
        if rep.counterexamples[key]:
            cx = (key, rep.counterexamples[key][0].to_json())
            break
    return CellOutput(m, a, cx, model_versions(run.model))


# ---- helpers ----------------------------------------------------------------------------------

def to_parquet(df: pd.DataFrame) -> bytes:
    """Return ``df`` as Parquet bytes (array cells rendered as comma-separated text)."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(_scalar)
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if len(kinds) > 1 and not kinds <= {int, float, bool}:
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    buf = io.BytesIO()
    df.to_parquet(buf, index=False)
    return buf.getvalue()


def _scalar(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ",".join(f"{x:.6g}" for x in v)
    if isinstance(v, (list, tuple, dict)):
        return json.dumps(v, default=str)
    return v


def _f(v: Any) -> float:
    return float(v) if v is not None else math.nan
