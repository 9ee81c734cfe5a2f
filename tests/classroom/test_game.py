"""Class mode, the dashboard's model and the Mesa fit, without a browser (issue 15, items 2, 3, 5-7)."""
from __future__ import annotations

import pathlib

import mesa
import pandas as pd
import pytest

from abm.classroom.game import CUSTOM, TRUTH, ClassGame, StudentReport, find_game, open_game
from abm.classroom.words import plain_verdicts
from abm.dashboard.live import LiveModel
from abm.model import AllocationModel
from mechanisms.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]
OCAM = str(ROOT / "examples" / "ocam_agh2004.toml")
SD = str(ROOT / "examples" / "sd_bundles.toml")


# ---- Mesa fit: built from a scenario, driven by mesa.batch_run, readable tables ------------------

def test_batch_run_drives_the_model_from_a_scenario():
    rows = mesa.batch_run(AllocationModel, {"scenario": SD, "mechanism": ["sd", "rsd"], "seed": [1, 2]},
                          display_progress=False)
    df = pd.DataFrame(rows)
    assert len(df) == 4 and set(df["mechanism"]) == {"sd", "rsd"}
    assert (df["Arrived"] == 5).all() and df["Mean true rank"].between(1, 10).all()


def test_scenario_construction_matches_build_run_and_takes_overrides():
    from abm.scenario import build_run, load_scenario

    sc = load_scenario(OCAM)
    a = AllocationModel(scenario=OCAM, seed=7).run().agent_table()
    b = build_run(sc, 7).run().agent_table()
    pd.testing.assert_frame_equal(a, b)
    small = AllocationModel(scenario=OCAM, seed=7, population__n=40)
    assert len(small.participants) == 40
    with pytest.raises(ConfigError, match="population.n"):
        AllocationModel(scenario=OCAM, population__n=0)
    with pytest.raises(ConfigError, match="mechanism.name"):
        AllocationModel(scenario=OCAM, mechanism="no_such_mechanism")
    with pytest.raises(ConfigError, match="bogus"):
        AllocationModel(bogus=1)


def test_datacollector_tables_hold_readable_values():
    m = AllocationModel(scenario=OCAM).run()
    out = m.datacollector.get_table_dataframe("outcomes")
    for col in ("true_type", "report", "outcome", "strategy"):
        assert out[col].map(lambda v: isinstance(v, str)).all(), col
    assert out["outcome"].str.contains("Course_").any()
    assert out["true_rank"].min() == 1  # 1 = best
    vars_ = m.datacollector.get_model_vars_dataframe()
    assert list(vars_.columns) == ["Arrived", "Misreports", "Mean true rank"] and len(vars_) == len(m.schedule)
    assert vars_["Arrived"].iloc[-1] == 153 and vars_["Misreports"].iloc[-1] == 15
    # the table's rank is the position of the bundle in the TRUE ranking, counted from 1
    p = m.participants[int(out["agent"].iloc[0])]
    assert out["true_rank"].iloc[0] == p.true_type.rank(p.outcome.bundle) + 1


def test_scarcity_warning_only_when_every_price_is_zero():
    plenty = AllocationModel(scenario=OCAM, population__capacity_factor=3.0).run()
    assert (plenty.mechanism.prices == 0).all()
    assert "nobody can gain by lying" in plenty.scarcity_note()
    assert AllocationModel(scenario=OCAM).run().scarcity_note() is None


# ---- the dashboard's model -------------------------------------------------------------------------

def test_live_model_audits_each_deviator_as_it_arrives():
    m = LiveModel(OCAM)
    assert m.verdicts() == ["GSP1: not checked (no cases)"] or m.deviators == []
    while m.running:
        m.step()
        arrived = {p.agent_id for p in m.participants if p.report is not None and not p.truthful}
        assert {a for d in m.deviators for a in d.agents} == arrived  # every liar audited once, on arrival
    df = m.deviator_frame()
    assert len(df) == 15 and (df["gain"] > 0).any()
    assert any("GSP1" in v for v in m.verdicts())
    assert m.run_verdicts  # EF1 / DACEEI once the run is over


def test_live_model_shows_the_cli_error_instead_of_raising():
    assert LiveModel("nope.toml").error == "error: scenario = 'nope.toml': expected an existing TOML file"
    bad = LiveModel(OCAM, strategy="below_threshold")
    assert bad.error.startswith("error: strategies = 'below_threshold'")
    assert LiveModel(OCAM, seed="x").error == "error: seed = 'x': expected a non-negative integer"
    m = LiveModel(OCAM, mechanism="rsd", strategy="swap", share=0.2, seed=3)
    assert m.error is None and m.scenario.mechanism == "rsd" and m.streams.seed == 3


# ---- class mode ----------------------------------------------------------------------------------

def test_submissions_need_the_code_and_a_valid_report():
    g = open_game(OCAM, 3)
    assert find_game(g.code.lower()) is g
    with pytest.raises(ConfigError, match="join code"):
        g.submit("WRONG1", 1, TRUTH)
    with pytest.raises(ConfigError, match="join code"):
        find_game("WRONG1")
    with pytest.raises(ConfigError, match="seat"):
        g.submit(g.code, 4, TRUTH)
    with pytest.raises(ConfigError, match="report choice"):
        g.submit(g.code, 1, "below_threshold")  # not a bundles strategy
    with pytest.raises(ConfigError, match="report"):
        g.submit(g.code, 1, CUSTOM, "Course_9 > Course_1")
    assert g.submitted() == 0


def test_cards_show_the_private_type_in_course_names():
    g = ClassGame(OCAM, 2, code="ABCDEF")
    card = g.card(g.seats[0])
    t = g.seats[0].true_type
    assert "join code `ABCDEF`" in card and "Seat 1" in card
    assert "1. " + g.market.goods.format_bundle(t.bundles[0]) in card
    # the course order on the card rebuilds the seat's true ranking exactly
    order = card.split("order: **")[1].split("**")[0]
    assert g.parse_report(g.seats[0], order) == t


def test_reveal_compares_each_report_with_the_truth_under_the_same_draws():
    g = ClassGame(OCAM, 3, code="ABCDEF")
    g.submit("ABCDEF", 1, TRUTH)
    g.submit("abcdef", 2, "swap")
    g.submit("ABCDEF", 3, CUSTOM, "Course_7 > Course_3")
    r = g.run()
    assert [x.seat for x in r.results] == [1, 2, 3] and r.lies >= 1
    assert r.results[0].choice == TRUTH and r.results[0].gain == 0 and r.results[0].got == r.results[0].truth
    # independent check of "what truth would have given": rerun with seat 2 truthful, others as played
    s2, s3 = g.seats[1], g.seats[2]
    rerun = AllocationModel(scenario=g.scenario, seed=g.seed,
                            strategy_overrides={s3.agent: s3.strategy}).run()
    assert g.market.goods.format_bundle(rerun.participants[s2.agent].outcome.bundle) == r.results[1].truth
    played = g.model.participants[s2.agent]
    assert g.market.goods.format_bundle(played.outcome.bundle) == r.results[1].got
    gained = r.results[1].truth_rank - r.results[1].got_rank
    assert r.results[1].profitable == (gained > 0) and r.results[1].gain == gained
    assert any("GSP1" in v for v in r.verdicts) and r.plain
    with pytest.raises(ConfigError, match="game"):
        g.submit("ABCDEF", 1, TRUTH)  # closed once revealed
    assert g.result_for("ABCDEF", 2).sentence().startswith("Seat 2: your report got")


def test_student_report_is_not_a_registered_strategy():
    from strategies import STRATEGIES

    assert "student" not in STRATEGIES.names()
    assert StudentReport(None, "x").spec() == "x"


def test_plain_words_restate_the_counts():
    from abm.audit import audit
    from abm.audit.sources import ScenarioRun
    from abm.scenario import load_scenario

    sc = load_scenario(OCAM)
    run = ScenarioRun(sc, sc.seed)
    rep = audit(run.factory, run.truthful, run.true_types, sc.seed, run.deviations({"deviations": ["swaps"], "agents": 8}),
                ["gsp1"])
    t = rep.table()
    line = plain_verdicts(rep)[0]
    gained, tried = int(t["profitable"].sum()), int(t["deviations"].sum())
    assert (f"{gained} of {tried} swap" in line) if gained else ("none of the" in line)
