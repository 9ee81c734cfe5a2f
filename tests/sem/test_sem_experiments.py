"""The Section 6.2 and Appendix B experiments run end to end (small sizes), the notebook is valid."""
import json
import pathlib

import numpy as np
import pytest

from mechanisms.errors import ConfigError
from mechanisms.sem.experiments import (
    appendix_b_experiment,
    section62_experiment,
    section62_market,
    summarize_appendix_b,
    summarize_placement,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_section62_small():
    df = section62_experiment(ns=(1, 3), markets=3, seed=1)
    assert len(df) == 2 * 2 * 3 * 2
    assert df["placement_rate"].between(0, 1).all()
    lit = df[df.reading == "literal"]
    assert (lit["placed"] <= lit["supply"]).all()        # literal reading: at most n per home
    summ = summarize_placement(df)
    assert set(summ.columns) >= {"mean", "std"} and len(summ) == 8
    # same children for both mechanisms and both readings
    kids = df.groupby(["n", "market"])["children"].nunique()
    assert (kids == 1).all()


def test_section62_reading_validation():
    assert section62_market(4, "matched").total_supply.tolist() == [8.0, 8.0]
    with pytest.raises(ConfigError, match="reading"):
        section62_market(2, "half")


def test_appendix_b_small():
    df = appendix_b_experiment(markets=2, perturbations=3, seed=2)
    s = summarize_appendix_b(df)
    assert len(df) == 2 and s["max_clearing_error"] <= 1e-8
    assert np.isfinite(s["average_price_distance"]) and s["average_price_distance"] >= 0
    with pytest.raises(ConfigError, match="eps"):
        appendix_b_experiment(markets=1, perturbations=1, eps=0.0)


def test_notebook_is_nbformat4():
    nb = json.loads((ROOT / "notebooks" / "sem_simulations.ipynb").read_text())
    assert nb["nbformat"] == 4 and nb["cells"]
    for c in nb["cells"]:
        assert c["cell_type"] in ("markdown", "code") and isinstance(c["source"], list)
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and "execution_count" in c
            compile("".join(c["source"]), "cell", "exec")


def test_sample_arrivals_pure_and_distributed():
    from mechanisms.sem import sample_arrivals
    mk = section62_market(50, "matched")
    a1 = sample_arrivals(mk, None, np.random.default_rng(3))
    a2 = sample_arrivals(mk, None, np.random.default_rng(3))
    assert a1 == a2 and len(a1) == 4 and all(len(p) == 50 for p in a1)
    share = np.mean([o == mk.parse("a > o > b") for p in a1 for o in p])
    assert abs(share - 0.5) < 0.12
    assert len(sample_arrivals(mk, 2, np.random.default_rng(0))[0]) == 2
    with pytest.raises(ConfigError, match="n"):
        sample_arrivals(mk, 0, np.random.default_rng(0))


def test_arrival_schedule_numbers_agents_period_by_period():
    from mechanisms.sem import arrival_schedule, sample_arrivals
    from mechanisms.sem.market import period_masses

    mk = section62_market(3, "matched")
    arrivals = sample_arrivals(mk, None, np.random.default_rng(4))
    sched, types = arrival_schedule(arrivals)
    assert [[r.agent for r in t] for t in sched] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    assert all(types[r.agent] == r.declared == arrivals[t][k] for t, tick in enumerate(sched) for k, r in enumerate(tick))
    # period 2's problem: the realised arrivals (mass 1 each, offset 0), then periods 3, 4's prior n f^k
    orders, masses, offsets, type_of = period_masses(mk, 2, arrivals[1])
    now = offsets == 0
    assert masses[now].sum() == 3 and set(type_of) == set(arrivals[1])
    assert offsets[~now].tolist() == [1, 1, 2, 2] and masses[~now].tolist() == [1.5] * 4  # n f = 3 * 0.5
