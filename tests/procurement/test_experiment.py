"""The ratio experiment: table, plot, findings, and Mechanism 1's assembly from common random numbers."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.errors import ConfigError
from mechanisms.mechanism_registry import make_mechanism
from mechanisms.procurement import PredictionModel, offline_opt, procurement_market, random_instance, simulate
from mechanisms.procurement.experiments import (assemble_rows, exact_mech2_ratio, plot_tradeoff, ratio_table,
                                                read_table, run_cell, run_experiment, theoretical_ratio)
from mechanisms.procurement.run import arrival_order
from mechanisms.rng import Streams


def test_run_experiment_writes_table_plot_and_findings(tmp_path):
    res = run_experiment(tmp_path, families=["additive", "cut"], n=12, reps=8, eps_grid=[0.0, 0.9], over_grid=[0.5],
                         tau_grid=[0.0, 1.0])
    df = pd.read_csv(tmp_path / "ratios.csv")
    assert len(df) == res["rows"] and (tmp_path / "tradeoff.png").stat().st_size > 1000
    found = json.loads((tmp_path / "findings.json").read_text())
    assert len(found) == res["findings"] == int(df["above_bound"].sum())
    assert all(f["instance"]["family"] == f["family"] for f in found)
    assert set(df["mechanism"]) >= {"bf_mech1", "bf_mech2", "bf_mech3", "bf_mech4", "dynkin", "bf_mech1_nm"}
    add = df[df.family == "additive"]
    # tau = 1 is Mechanism 2 and tau = 0 Mechanism 3, seed by seed
    m1 = add[(add.mechanism == "bf_mech1") & (add.eps == 0.0) & (add.kind == "under")].set_index("tau")
    m2 = add[(add.mechanism == "bf_mech2") & (add.eps == 0.0) & (add.kind == "under")].iloc[0]
    m3 = add[add.mechanism == "bf_mech3"].iloc[0]
    assert m1.loc[1.0, "mean_value"] == pytest.approx(m2["mean_value"])
    assert m1.loc[0.0, "mean_value"] == pytest.approx(m3["mean_value"])
    # bounds: Lemma 2 for Mechanism 2 at eps = 0; none for the cut family or over-estimates
    assert m2["bound"] == pytest.approx(1 / 0.16995, rel=1e-3)
    assert df[df.family == "cut"]["bound"].isna().all()
    assert df[df.kind == "over"]["bound"].isna().all()
    assert (df["ratio_lo"] <= df["ratio"] + 1e-12).all() and (df["ratio"] <= df["ratio_hi"] + 1e-12).all()
    rows = read_table(tmp_path / "ratios.csv")
    assert rows[0]["tau"] is None and len(rows) == len(df)
    assert plot_tradeoff(rows, tmp_path / "again.png").stat().st_size > 1000


def test_mech1_column_equals_direct_runs():
    inst = random_instance("coverage", 15, 2)
    opt = offline_opt(inst.valuation, inst.costs, inst.budget).value
    reps, seed, tau = 12, 5, 0.5
    r2 = run_cell("coverage", 15, 2, 0.1, "bf_mech2", 0.25, "under", reps, seed)
    r3 = run_cell("coverage", 15, 2, 0.1, "bf_mech3", None, None, reps, seed)
    rows = assemble_rows([r2, r3], [tau], seed, reps, 15, 2, 0.1, {})
    derived = [r for r in rows if r["mechanism"] == "bf_mech1"][0]
    m = procurement_market(inst.valuation, inst.budget, PredictionModel(0.25).predict(opt))
    mech = make_mechanism("bf_mech1", m, {"tau": tau})
    direct = [simulate(mech, inst.costs, arrival_order(15, seed + r), seed + r).value() for r in range(reps)]
    assert derived["mean_value"] == pytest.approx(np.mean(direct))
    coins = [Streams(seed + r).get("mechanism", "mech1_choice").random() < tau for r in range(reps)]
    assert 0 < sum(coins) < reps  # both branches were exercised


def test_theoretical_ratio_dispatch():
    g = (1 - 1 / math.e)
    assert theoretical_ratio("bf_mech1", True, 0.0, "under", 1.0, g) == pytest.approx(5.8839, rel=1e-4)
    assert theoretical_ratio("bf_mech4", True, 0.0, "under", None, g) == pytest.approx(94.80, rel=1e-3)
    assert math.isnan(theoretical_ratio("dynkin", True, None, None, None, g))
    assert math.isnan(theoretical_ratio("bf_mech2", False, 0.0, "under", None, g))
    assert math.isnan(theoretical_ratio("bf_mech4_nm", False, 0.0, "under", None, g))


@pytest.mark.parametrize("kw,field", [
    ({"eps_grid": [1.5]}, "prediction.eps"),
    ({"over_grid": [-1.0]}, "prediction.eps"),
    ({"tau_grid": [2.0]}, "tau_grid"),
    ({"families": ["nope"]}, "families"),
    ({"n": 1}, "n"),
    ({"reps": 1}, "reps"),
])
def test_experiment_validates_before_work(kw, field):
    with pytest.raises(ConfigError) as e:
        ratio_table(**{"families": ["additive"], "n": 10, "reps": 4, **kw})
    assert e.value.field == field


@settings(max_examples=8, deadline=None)
@given(family=st.sampled_from(["additive", "coverage", "budget_additive", "facility_location"]),
       n=st.integers(2, 4), seed=st.integers(0, 10**6), eps=st.sampled_from([0.0, 0.5]))
def test_exact_mech2_ratio_within_lemma2(family, n, seed, eps):
    # exact expectation over all n! orders and both branches: no sampling error
    inst = random_instance(family, n, seed, budget_frac=0.4)
    ratio, bound = exact_mech2_ratio(inst.valuation, inst.costs, inst.budget, eps)
    assert 1.0 <= ratio + 1e-9 and ratio <= bound
