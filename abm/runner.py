"""Run scenarios: replications, result tables, the text summary, and safe writing to disk."""
from __future__ import annotations

import os
import pathlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mechanisms.errors import ConfigError, require
from mechanisms.online_mechanism import summary_of

from .progress import Progress
from .scenario import Scenario, build_run, replication_seed


@dataclass
class ScenarioResult:
    """Tables of every replication of a scenario (``replication`` column) and a text summary."""

    scenario: Scenario
    agents: pd.DataFrame
    ticks: pd.DataFrame
    summaries: list[dict[str, Any]]
    seconds: float
    warnings: list[str] = field(default_factory=list)

    def summary_text(self) -> str:
        """Return a short human-readable summary of the runs."""
        sc = self.scenario
        a = self.agents
        lines = [f"scenario   {sc.name}",
                 f"mechanism  {sc.mechanism} {sc.mechanism_params or ''}".rstrip(),
                 f"runs       {sc.replications} (seed {sc.seed}), {self.seconds:.2f} s",
                 f"agents     {a['agent'].nunique()} per run, {len(self.ticks) // max(sc.replications, 1)} ticks",
                 f"truthful   {a['truthful'].mean():.1%} of reports"]
        if "true_rank" in a and a["true_rank"].notna().any():
            by = a.groupby("truthful")["true_rank"].mean()
            parts = [f"{'truthful' if k else 'misreporting'} {v:.2f}" for k, v in by.items()]
            lines.append("mean rank of outcome under the true type (1 = best): " + ", ".join(parts))
        if "utility" in a and a["utility"].notna().any():
            by = a.groupby("truthful")["utility"].mean()
            lines.append("mean utility: " + ", ".join(f"{'truthful' if k else 'misreporting'} {v:.4g}" for k, v in by.items()))
        if "hired" in a and a["hired"].notna().any():
            lines.append(f"hired      {a['hired'].fillna(False).astype(bool).sum() / sc.replications:.1f} sellers per run")
        if "outcome" in a:
            empty = (a["outcome"].isin(["{}", "o", "not hired"])).mean()
            lines.append(f"empty outcomes {empty:.1%}")
        for k, v in (self.summaries[0] if self.summaries else {}).items():
            if isinstance(v, (int, float, str, bool, np.floating, np.integer)):
                lines.append(f"{k}: {v}")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def run_scenario(sc: Scenario, replications: int | None = None, seed: int | None = None,
                 progress: bool = False) -> ScenarioResult:
    """Run every replication of ``sc``; return the stacked tables.

    Replication r runs with :func:`~abm.scenario.replication_seed` (seed, r).
    """
    reps = sc.replications if replications is None else replications
    base = sc.seed if seed is None else seed
    t0 = time.perf_counter()
    agents, ticks, summaries, warnings = [], [], [], []
    bar = Progress(reps, desc=f"running {sc.name}", quiet=not progress)
    for r in range(reps):
        s = replication_seed(base, r)
        model = build_run(sc, s).run()
        a = model.agent_table()
        a.insert(0, "replication", r)
        a.insert(1, "seed", s)
        t = model.tick_table()
        t.insert(0, "replication", r)
        agents.append(a)
        ticks.append(t)
        summaries.append(summary_of(model.mechanism))
        note = model.scarcity_note()
        if note and note not in warnings:
            warnings.append(note)
        cap_note = capacity_note(model.mechanism, r)
        if cap_note and not any("capacities exceeded by design" in w for w in warnings):
            warnings.append(cap_note)  # the first replication that exceeded (one line, not one per run)
        bar.update("done")
    bar.close()
    return ScenarioResult(sc, pd.concat(agents, ignore_index=True), pd.concat(ticks, ignore_index=True),
                          summaries, time.perf_counter() - t0, warnings)


def capacity_note(mechanism: Any, replication: int = 0) -> str | None:
    """Return the note on capacities exceeded by design under OCAM's ``paper`` policy, or None.

    OCAM paper, Definition 1 (iii): a DACEEI allows the first k agents to use good j up to
    (1 + eps_f) (k / n) c^j, so at k = n the excess over c^j is bounded by eps_f c^j (with high
    probability, Theorem 2); Mechanism 1 allocates without a capacity check. The note puts the
    realised excess beside that bound, good by good, for the goods that exceeded capacity.
    """
    summary_fn, params = getattr(mechanism, "summary", None), getattr(mechanism, "params", None)
    if summary_fn is None or not isinstance(params, dict) or params.get("capacity_policy") != "paper" \
            or "eps_f" not in params:
        return None
    s = summary_fn()
    over = np.asarray(s.get("excess_over_capacity", []), dtype=float)
    goods = getattr(mechanism.market, "goods", None)
    if goods is None or over.size != goods.m or not (over > 0).any():
        return None
    eps_f = float(params["eps_f"])
    caps = np.asarray(goods.capacities, dtype=float)
    bound = eps_f * caps
    idx = np.flatnonzero(over > 0)
    worst = idx[np.argmax(over[idx])]
    above = int((over > bound + 1e-9).sum())
    return (f"replication {replication}: capacities exceeded by design on {idx.size} of {goods.m} goods (OCAM "
            f"capacity_policy = \"paper\" allocates as Mechanism 1, without a capacity check); DACEEI (iii) "
            f"bounds the excess of good j by eps_f c^j w.h.p. (eps_f = {eps_f:g}): largest realised excess "
            f"{over[worst]:g} on {goods.names[worst]} (capacity {caps[worst]:g}, bound {bound[worst]:g}); "
            f"{above} good(s) above the bound; set capacity_policy = \"hard\" to enforce capacities "
            f"(docs/ocam.md)")


def _cell(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return ",".join(f"{x:.6g}" for x in v)
    return v


def write_tables(tables: dict[str, pd.DataFrame], texts: dict[str, str], out: str | pathlib.Path,
                 fmt: str = "csv", overwrite: bool = False) -> pathlib.Path:
    """Write tables (CSV or Parquet) and text files into the directory ``out``, atomically.

    Everything is written into a temporary sibling directory first and moved into place only
    when complete, so an error never leaves half-written results, and an existing non-empty
    ``out`` is never replaced unless ``overwrite``. Returns the directory.
    """
    require(fmt in ("csv", "parquet"), "--format", fmt, '"csv" or "parquet"')
    out = pathlib.Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ConfigError("--out", str(out), "a new or empty directory (pass --overwrite to replace it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, df in tables.items():
            df = df.apply(lambda col: col.map(_cell)) if len(df) else df
            if fmt == "csv":
                df.to_csv(tmp / f"{name}.csv", index=False)
            else:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
        for name, text in texts.items():
            (tmp / name).write_text(text)
        if out.exists():
            backup = out.with_name(f".{out.name}.old")
            os.replace(out, backup)
            os.replace(tmp, out)
            shutil.rmtree(backup, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
