"""The one-call Python API (issue 14, item 2): a notebook audits a scenario in one call and plots it."""
import pathlib
import warnings

import pandas as pd
import pytest

import abm
from abm.scenario import load_scenario
from mechanisms.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]
SD = ROOT / "examples" / "sd_bundles.toml"

TINY = {
    "market": {"kind": "bundles", "goods": ["a", "b", "c"], "capacities": [1, 1, 1], "max_bundle_size": 2},
    "population": {"source": "explicit", "types": [{"count": 3, "ranking": [["a", "b"], ["a"], ["b"], ["c"]]}]},
    "mechanism": {"name": "sd"},
    "audit": {"deviations": ["truncations", "swaps"]},
}


def test_notebook_audit_in_one_call_and_plot():
    from matplotlib.figure import Figure

    res = abm.audit(str(SD), replications=2)
    t = res.table()
    assert isinstance(t, pd.DataFrame) and {"strategy", "claim", "deviations", "violations"} <= set(t.columns)
    assert res.verdicts()[0].startswith("consistent with strategyproof")
    assert res.counterexamples == [] and len(res.seeds) == 2
    fig = res.plot()
    assert isinstance(fig, Figure) and fig.axes[0].get_title().startswith("sd-bundles: sd, 2 replication(s)")
    assert len(fig.axes[0].patches) == t["strategy"].nunique()  # one bar per strategy or search
    # outcomes by the goods' names, one per agent
    assert set(res.outcomes) == set(range(5)) and all(o.startswith("{") for o in res.outcomes.values())
    a = res.agents()
    assert list(a["replication"].unique()) == [0, 1] and a["outcome"].str.startswith("{").all()


def test_file_scenario_and_dict_give_the_same_audit():
    sc = load_scenario(SD)
    by_file = abm.audit(str(SD)).table()
    by_scenario = abm.audit(sc).table()
    by_dict = abm.audit(dict(sc.raw)).table()
    cols = ["strategy", "claim", "deviations", "profitable", "violations"]
    assert by_file[cols].equals(by_scenario[cols]) and by_file[cols].equals(by_dict[cols])


def test_overrides_and_their_errors_name_the_field():
    res = abm.audit(TINY, seed=1, mechanism="mutant_sd_truncation_bonus", arrivals__batch_size=3)
    assert res.verdicts()[0].startswith("strategyproof violated")
    assert res.counterexamples and "Agent" in res.explain(0)
    with pytest.raises(ConfigError, match="market.capacites"):
        abm.audit(TINY, market__capacites=[1, 1, 1])
    with pytest.raises(ConfigError, match="arrivals.batch_size"):
        abm.audit(TINY, overrides={"arrivals.batch_size": 0})
    with pytest.raises(ConfigError, match="audit.deviations"):
        abm.audit(TINY, deviations=["teleport"])
    with pytest.raises(ConfigError, match="counterexample"):
        abm.audit(TINY).explain(0)


def test_ocam_on_a_tiny_market_warns_naming_n_and_the_sample():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = abm.audit(TINY, seed=1, mechanism="ocam", deviations=["strategies"])  # no replays: fast
    msgs = [str(w.message) for w in caught]
    assert any("n = 3 agents gives a sample of 1" in m for m in msgs), msgs
    assert any("every one of the 3 agents received nothing" in m for m in msgs)
    assert res.outcomes == {0: "{}", 1: "{}", 2: "{}"} and res.notes
    assert caught[0].filename == __file__  # the warning points at the caller's line
    # a market large enough for the sample: no warning
    big = {**TINY, "market": {**TINY["market"], "capacities": [120, 120, 120]},
           "population": {"source": "explicit", "types": [{"count": 300, "ranking": [["a", "b"], ["a"], ["c"]]}]},
           "audit": {"deviations": ["strategies"]}}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        abm.audit(big, mechanism="ocam")
    assert not [w for w in caught if "sample of" in str(w.message)]


def test_objects_outcomes_are_named_and_lotteries_shown():
    res = abm.audit(ROOT / "examples" / "sem_three_arrivals.toml")
    goods = {"a", "b", "o"}
    assert set(res.outcomes.values()) <= goods
    assert res.agents()["lottery"].str.contains(":").all()


def test_search_result_table_plot_and_answer():
    from matplotlib.figure import Figure

    res = abm.search(SD, agents=3, budget=30)
    t = res.table()
    assert len(t) == 3 and (t["family"] == "best_response").all()
    assert res.reports_tried == t["reports"].sum() > 0
    assert res.answer().startswith("none found in") and "1 replication(s)" in res.answer()
    assert isinstance(res.plot(), Figure)


def test_the_audit_package_is_callable_and_keeps_its_api():
    import abm.audit.serialize  # noqa: F401  (importing a submodule keeps abm.audit callable)
    from abm.audit import audit as low_level

    assert callable(abm.audit) and abm.audit.audit is low_level
    assert isinstance(abm.audit(TINY), abm.AuditResult)
