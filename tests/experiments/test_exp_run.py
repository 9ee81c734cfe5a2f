"""Serial sweeps: metrics, resume, failing cells, audits, progress, report, export and the CLI."""
from __future__ import annotations

import io
import json
import sys

import pandas as pd
import pytest
from exp_helpers import grid_sweep, write_sweep

import abm.experiments as ex
from abm.cli import main
from abm.experiments import cells
from abm.experiments import figures as F
from abm.progress import Progress

SWEEP = grid_sweep("serial", 2, ["sd", "rsd"], [6, 10])


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("serial")
    sw = ex.load_sweep(write_sweep(tmp, SWEEP))
    res = ex.run_sweep(sw, tmp / "exp", backend="serial", quiet=True)
    return tmp, sw, res


def test_serial_sweep_records_every_run(experiment):
    tmp, sw, res = experiment
    assert (res.total, res.ran, res.done, res.failed) == (8, 8, 8, 0)
    df = ex.load(tmp / "exp")
    assert list(df[["cell", "replication"]].itertuples(index=False, name=None)) == [(c, r) for c in range(4) for r in range(2)]
    assert (df["status"] == "done").all()
    assert list(df.columns[:7]) == ["key", "cell", "replication", "seed", "status", "mechanism.name", "population.n"]
    assert (df["n"] == df["population.n"]).all()
    assert (df["mechanism"] == df["mechanism.name"]).all()
    # a quarter of the agents truncate (share 0.25): truthful_share = 1 - round(n/4)/n
    assert df["truthful_share"].tolist() == pytest.approx([1 - round(n / 4) / n for n in df["n"]])
    assert df["mean_true_rank"].between(0, 20).all()
    agents = ex.load(tmp / "exp", "agents")
    assert len(agents) == df["n"].sum()
    assert set(agents.groupby("key")["agent"].count()) == {6, 10}
    strat = ex.load(tmp / "exp", "strategies")
    assert set(strat["strategy"]) == {"truthful", "truncate"}
    assert (strat.groupby("key")["agents"].sum().sort_index() == df.set_index("key")["n"].sort_index()).all()


def test_metrics_match_a_plain_scenario_run(experiment):
    from abm.scenario import build_run

    tmp, sw, _ = experiment
    task = sw.tasks()[3]
    model = build_run(sw.grid[task.cell], task.seed).run()
    a = model.agent_table()
    row = ex.load(tmp / "exp").set_index("key").loc[task.key]
    assert row["mean_true_rank"] == pytest.approx(a["true_rank"].mean())
    assert row["empty_share"] == pytest.approx(a["outcome"].eq("{}").mean())
    stored = pd.read_parquet(tmp / "exp" / row["agents_path"])
    assert stored["true_rank"].tolist() == a["true_rank"].tolist()


def test_resume_skips_done_runs(experiment):
    tmp, sw, _ = experiment
    before = ex.load(tmp / "exp", timings=True)
    res = ex.run_sweep(sw, tmp / "exp", backend="serial", quiet=True)
    assert (res.skipped, res.ran) == (8, 0)
    after = ex.load(tmp / "exp", timings=True)
    pd.testing.assert_frame_equal(before, after)   # nothing re-run: same finish times


def test_failing_cell_is_recorded_and_the_rest_complete(tmp_path, monkeypatch):
    sw = ex.load_sweep(write_sweep(tmp_path, SWEEP))
    real = cells.run_metrics

    def flaky(sc, seed):
        if sc.mechanism == "rsd":
            raise RuntimeError("injected failure in rsd")
        return real(sc, seed)

    monkeypatch.setattr(cells, "run_metrics", flaky)
    res = ex.run_sweep(sw, tmp_path / "exp", backend="serial", quiet=True)
    assert (res.done, res.failed) == (4, 4)
    df = ex.load(tmp_path / "exp")
    bad = df[df["mechanism.name"] == "rsd"]
    assert (bad["status"] == "failed").all()
    assert all("RuntimeError: injected failure in rsd" in e and "Traceback" in e for e in bad["error"])
    assert (df[df["mechanism.name"] == "sd"]["status"] == "done").all()
    # resume reruns exactly the failed runs
    monkeypatch.setattr(cells, "run_metrics", real)
    res = ex.run_sweep(sw, tmp_path / "exp", backend="serial", quiet=True)
    assert (res.skipped, res.ran, res.done) == (4, 4, 4)
    df = ex.load(tmp_path / "exp", timings=True)
    assert (df["status"] == "done").all()
    assert df.loc[df["mechanism.name"] == "rsd", "attempts"].tolist() == [2] * 4
    assert df["error"].isna().all()


def test_audit_sweep_records_verdict_counts_and_counterexamples(tmp_path):
    body = """
        name = "audit"
        kind = "audit"
        replications = 2
        [audit]
        deviations = ["strategies"]
        [axes]
        "mechanism.name" = ["sd", "ocam"]
    """
    sw = ex.load_sweep(write_sweep(tmp_path, body))
    res = ex.run_sweep(sw, tmp_path / "exp", backend="serial", quiet=True)
    assert res.failed == 0
    df = ex.load(tmp_path / "exp")
    assert (df["deviations"] == 2).all()          # the two truncating agents of n = 8
    sd = df[df["mechanism"] == "sd"]
    # serial dictatorship is strategyproof: no deviation gains, no violation
    assert (sd["profitable"] == 0).all() and (sd["strategyproof_violations"] == 0).all()
    assert (sd["strategyproof_checked"] == 2).all()
    oc = df[df["mechanism"] == "ocam"]
    assert (oc["gsp1_checked"] == 2).all()
    assert (df["violation_rate"] == df["violations"] / df["checked"]).all()
    for _, r in df[df["counterexample"].notna()].iterrows():
        path = tmp_path / "exp" / r["counterexample"]
        cx = json.loads(path.read_text())
        assert cx["mechanism"]["name"] == r["mechanism"] and cx["seed"] == r["seed"]
        assert main(["replay", str(path)]) == 0          # reproduced by the auditor's replay
    strat = ex.load(tmp_path / "exp", "strategies")
    assert set(strat["strategy"]) == {"truncate"}


def test_audit_search_families(tmp_path):
    body = """
        kind = "audit"
        replications = 1
        [audit]
        deviations = ["truncations", "swaps"]
        agents = 3
    """
    sw = ex.load_sweep(write_sweep(tmp_path, body))
    m = cells.run_cell(sw.tasks()[0])["metrics"]
    labels = {r["strategy"] for r in m["by_strategy"]}
    assert labels <= {"truncate:k=1", "truncate:k=2", "swap"} and "swap" in labels
    assert m["deviations"] == sum(r["deviations"] for r in m["by_strategy"])
    assert m["profitable"] == 0 and m["strategyproof_violations"] == 0   # sd is strategyproof


def test_audit_cell_without_the_auditor_fails_with_a_clear_message(tmp_path, monkeypatch):
    sw = ex.load_sweep(write_sweep(tmp_path, 'kind = "audit"\nreplications = 1\n'))
    monkeypatch.setitem(sys.modules, "abm.audit", None)   # import abm.audit -> ImportError
    out = cells.run_cell(sw.tasks()[0])
    assert out["status"] == "failed"
    assert "audit cells need the auditor" in out["error"]


def test_report_builds_with_figures_and_notes(experiment):
    tmp, _, _ = experiment
    path = ex.build_report(tmp / "exp")
    text = path.read_text()
    assert "# Experiment serial" in text and "8 done" in text
    figs = sorted(p.name for p in (path.parent / "figures").glob("*.png"))
    assert "rank_gain_vs_n.png" in figs and "rank_by_strategy.png" in figs
    for f in figs:
        assert f"figures/{f}" in text and (path.parent / "figures" / f).stat().st_size > 1000
    assert "placement rates (SEM vs SD-RTB): skipped" in text
    assert "procurement ratio vs prediction error: skipped" in text
    html = ex.build_report(tmp / "exp", "html", tmp / "html")
    assert html.read_text().startswith("<!DOCTYPE html>") and "<img" in html.read_text()


def test_figures_from_synthetic_tables_and_missing_columns():
    rows = [{"mechanism": m, "n": n, "placed_share": p, "profitable": k, "deviations": 10,
             "prediction_error": e, "opt_value": 2.0, "value": v}
            for m, p in (("sem", 0.9), ("sd_rtb", 0.7)) for n in (10, 20) for k, e, v in ((1, 0.0, 1.0), (3, 0.5, 0.5))]
    df = pd.DataFrame(rows)
    fig = F.placement_rates(df)
    ax = fig.axes[0]
    assert sorted(line.get_label() for line in ax.get_lines()) == ["sd_rtb", "sem"]
    assert [line.get_ydata().tolist() for line in ax.get_lines()] == [[0.7, 0.7], [0.9, 0.9]]
    fig = F.rate_vs_size(df)
    assert fig.axes[0].get_lines()[0].get_ydata().tolist() == [0.2, 0.2]
    g = F.pooled_rate(df, "profitable", "deviations")
    assert (g["lo"] < g["rate"]).all() and (g["rate"] < g["hi"]).all()
    ax = F.procurement_ratio(df).axes[0]
    assert ax.get_xlabel() == "prediction_error"
    assert [line.get_ydata().tolist() for line in ax.get_lines()] == [[2.0, 4.0], [2.0, 4.0]]   # OPT / mean value
    with pytest.raises(F.MissingColumns, match="placed_share"):
        F.placement_rates(df.drop(columns="placed_share"))
    with pytest.raises(F.MissingColumns, match="not all of"):
        F.placement_rates(df[df["mechanism"] == "sem"])
    with pytest.raises(F.MissingColumns, match="opt_value"):
        F.procurement_ratio(df.drop(columns="opt_value"))


def test_export_parquet_and_csv_round_trip(experiment):
    tmp, _, _ = experiment
    out = ex.export(tmp / "exp", tmp / "pq", "parquet")
    runs = pd.read_parquet(out / "runs.parquet")
    ref = ex.load(tmp / "exp")
    pd.testing.assert_frame_equal(runs[ref.columns].reset_index(drop=True), ref, check_dtype=False)
    assert len(pd.read_parquet(out / "agents.parquet")) == ref["n"].sum()
    out = ex.export(tmp / "exp", tmp / "csv", "csv")
    assert len(pd.read_csv(out / "runs.csv")) == 8
    assert {"runs.csv", "strategies.csv", "agents.csv", "README.txt"} <= {p.name for p in out.iterdir()}


def test_cli_sweep_report_export(tmp_path, capsys):
    p = write_sweep(tmp_path, 'name = "cli"\nreplications = 1\n[axes]\n"population.n" = [5, 7]\n')
    exp = tmp_path / "e"
    assert main(["sweep", str(p), "--out", str(exp), "--serial", "--quiet"]) == 0
    assert "2 runs: 0 already done" in capsys.readouterr().out
    assert main(["sweep", str(p), "--out", str(exp), "--serial", "--quiet"]) == 0
    assert "2 already done" in capsys.readouterr().out
    assert main(["sweep", str(p), "--dry-run"]) == 0
    assert "2 grid points x 1 replications = 2 runs" in capsys.readouterr().out
    assert main(["report", str(exp), "--format", "html"]) == 0
    assert (exp / "report" / "report.html").exists()
    assert main(["export", str(exp), "--format", "csv"]) == 0
    assert (exp / "export-csv" / "runs.csv").exists()
    # bad input: exit 2 with one line naming the field, nothing written
    bad = write_sweep(tmp_path, 'replications = 1\n[axes]\n"population.n" = []\n', "bad.toml")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "bad")]) == 2
    assert "axes.population.n" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()
    assert main(["report", str(tmp_path / "nothing")]) == 2


def test_progress_counts_failures_only_on_a_terminal(monkeypatch):
    assert Progress(5, quiet=False).bar is None           # pytest's stderr is not a TTY
    buf = io.StringIO()
    buf.isatty = lambda: True
    monkeypatch.setattr(sys, "stderr", buf)
    assert Progress(5, quiet=True).bar is None
    p = Progress(5, done=2, desc="t")
    p.update("done")
    p.update("failed")
    p.close()
    assert (p.done, p.failed) == (4, 1)
    out = buf.getvalue()
    assert "failed=1" in out and "4/5" in out


def test_procurement_cells_record_the_ratio_to_the_offline_optimum(tmp_path):
    base = """
        name = "proc"
        seed = 3
        [market]
        kind = "procurement"
        budget_frac = 0.2
        prediction_error = 0.0
        [population]
        source = "random"
        n = 12
        valuation = "additive"
        [mechanism]
        name = "bf_mech2"
    """
    sw = ex.load_sweep(write_sweep(tmp_path, 'replications = 3\n[axes]\n"market.prediction_error" = [0.0, 0.5]\n',
                                   base=base))
    res = ex.run_sweep(sw, tmp_path / "exp", backend="serial", quiet=True)
    assert res.failed == 0
    df = ex.load(tmp_path / "exp")
    assert (df["prediction_error"] == df["market.prediction_error"]).all()
    # truthful sellers, budget-feasible payments: the hired set is feasible, so v(A) <= v(S*)
    assert (df["value"] <= df["opt_value"] + 1e-9).all() and (df["opt_value"] > 0).all()
    hired = df["value"] > 0
    assert hired.any()
    assert (df.loc[hired, "ratio"] == df.loc[hired, "opt_value"] / df.loc[hired, "value"]).all()
    assert df.loc[~hired, "ratio"].isna().all()
    assert F.procurement_ratio(df).axes[0].get_xlabel() == "prediction_error"


def test_notebook_is_nbformat4_and_its_code_compiles():
    import pathlib

    nb = json.loads((pathlib.Path(__file__).resolve().parents[2] / "notebooks" / "experiments.ipynb").read_text())
    assert nb["nbformat"] == 4
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) >= 8
    for c in code:
        assert c["outputs"] == [] and "source" in c
        compile("".join(c["source"]), "<notebook cell>", "exec")
    text = "".join("".join(c["source"]) for c in code)
    for name in ("ex.load(", "ex.metric_vs_size(", "ex.strategy_comparison(", "ex.rate_vs_size(", "ex.build_report("):
        assert name in text


def test_a_seed_axis_keeps_the_run_seed_column(tmp_path):
    from abm.scenario import replication_seed

    sw = ex.load_sweep(write_sweep(tmp_path, 'replications = 2\n[axes]\n"seed" = [3, 4]\n'))
    ex.run_sweep(sw, tmp_path / "exp", backend="serial", quiet=True)
    df = ex.load(tmp_path / "exp")
    assert df["axis:seed"].tolist() == [3, 3, 4, 4]
    assert df["seed"].tolist() == [replication_seed(s, r) for s in (3, 4) for r in (0, 1)]
    assert "axis:seed" in ex.build_report(tmp_path / "exp").read_text()


def test_table_comparison_catches_a_timing_dependent_cell(tmp_path, monkeypatch):
    # mutant: a cell whose metrics depend on when it ran; the backend-identity comparison
    # (same sweep, same seeds -> equal tables) must see the difference
    import time

    sw = ex.load_sweep(write_sweep(tmp_path, 'replications = 2\n'))
    real = cells.run_metrics

    def timed(sc, seed):
        out = real(sc, seed)
        return out._replace(metrics={**out.metrics, "clock": time.perf_counter_ns()})

    ex.run_sweep(sw, tmp_path / "a", backend="serial", quiet=True)
    ex.run_sweep(sw, tmp_path / "b", backend="serial", quiet=True)
    pd.testing.assert_frame_equal(ex.load(tmp_path / "a"), ex.load(tmp_path / "b"))   # deterministic cells agree
    monkeypatch.setattr(cells, "run_metrics", timed)
    ex.run_sweep(sw, tmp_path / "c", backend="serial", quiet=True)
    ex.run_sweep(sw, tmp_path / "d", backend="serial", quiet=True)
    with pytest.raises(AssertionError):
        pd.testing.assert_frame_equal(ex.load(tmp_path / "c"), ex.load(tmp_path / "d"))


def test_audit_cell_uses_the_scenario_audit_table_unless_the_sweep_overrides_it(tmp_path):
    from abm.scenario import load_scenario

    base = load_scenario(write_sweep(tmp_path, "", "unused.toml").parent / "base.toml").raw
    base["audit"] = {"deviations": ["swaps"], "agents": 2}
    own = ex.parse_sweep({"base": base, "kind": "audit", "replications": 1}, tmp_path)
    m = cells.run_cell(own.tasks()[0])["metrics"]
    assert {r["strategy"] for r in m["by_strategy"]} == {"swap"}
    over = ex.parse_sweep({"base": base, "kind": "audit", "replications": 1, "audit": {"deviations": "strategies"}},
                          tmp_path)
    m = cells.run_cell(over.tasks()[0])["metrics"]
    assert {r["strategy"] for r in m["by_strategy"]} == {"truncate"}


def test_warnings_are_counted_not_printed(tmp_path, monkeypatch, recwarn):
    import warnings

    sw = ex.load_sweep(write_sweep(tmp_path, 'replications = 1\n'))
    real = cells.run_metrics

    def noisy(sc, seed):
        warnings.warn("solver missed its tolerance", RuntimeWarning, stacklevel=1)
        warnings.warn("solver missed its tolerance", RuntimeWarning, stacklevel=1)
        return real(sc, seed)

    monkeypatch.setattr(cells, "run_metrics", noisy)
    out = cells.run_cell(sw.tasks()[0])
    assert out["metrics"]["warnings"] == 2
    assert out["metrics"]["warning_messages"] == ["RuntimeWarning: solver missed its tolerance"]
    assert len(recwarn) == 0
    monkeypatch.setattr(cells, "run_metrics", real)
    out = cells.run_cell(sw.tasks()[0])
    assert out["metrics"]["warnings"] == 0 and "warning_messages" not in out["metrics"]


def _lost_task(tasks):
    # a dask task that fails outside run_cell (as when its worker dies): raises for rsd runs
    if any(t.params.get("mechanism.name") == "rsd" for t in tasks):
        raise RuntimeError("worker lost")
    return cells.run_cells(tasks)


def test_a_lost_dask_task_fails_its_runs_and_the_rest_complete(tmp_path, monkeypatch):
    import logging

    from distributed import Client, LocalCluster

    import abm.experiments.execute as E

    sw = ex.load_sweep(write_sweep(tmp_path, SWEEP))
    monkeypatch.setattr(E, "run_cells", _lost_task)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        res = ex.run_sweep(sw, tmp_path / "exp", client=client, chunk=1, quiet=True)
    assert (res.done, res.failed) == (4, 4)
    df = ex.load(tmp_path / "exp")
    assert (df.loc[df["mechanism.name"] == "rsd", "error"] == "RuntimeError: worker lost").all()
    assert (df.loc[df["mechanism.name"] == "sd", "status"] == "done").all()
