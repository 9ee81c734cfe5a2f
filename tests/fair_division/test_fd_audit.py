"""Auditor support: claim checkers, the mutant, gains in true value, strategies and scenarios."""
import pathlib

import numpy as np
import pytest

from abm.audit import CLAIM_CHECKERS, audit
from abm.audit.gains import compare
from abm.audit.replay import Deviation
from abm.scenario import build_run, load_scenario
from mechanisms import MECHANISMS, Report
from mechanisms.fair_division import TwoValue, fair_division_market
from mechanisms.reports import GoodsOutcome
from strategies import PublicInfo, parse_strategy
from strategies.fair_division import fair_division_strategy_names

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
MUTANT_INSTANCE = [TwoValue(10.0, 1.0, [1, 1, 1, 1, 0, 0, 1]), TwoValue(10.0, 1.0, [1, 0, 0, 0, 0, 0, 1])]


def _audit(name, vals, deviations=(), foresight=0):
    market = fair_division_market(len(vals), vals[0].m, foresight)
    cls = MECHANISMS.get(name)  # faithful or a mutant: one registry
    sched = [[Report(i, v) for i, v in enumerate(vals)]]
    return audit(lambda: cls(market), sched, dict(enumerate(vals)), 0, list(deviations))


def test_every_declared_claim_has_a_checker():
    for name in ("deferred_priority", "naive_matching", "priority_matching", "round_robin"):
        spec = MECHANISMS.get(name).spec
        assert spec.claims and all(c.source for c in spec.claims)
        for c in spec.claims:
            assert c.key in CLAIM_CHECKERS, c.key


def test_mutant_is_caught_by_temporal_mms_and_faithful_dp_passes():
    bad = _audit("mutant_dp_lowest_index", MUTANT_INSTANCE)
    assert bad.violations("fd_temporal_mms") == 1
    good = _audit("deferred_priority", MUTANT_INSTANCE)
    assert good.violations("fd_temporal_mms") == 0 and good.violations("fd_dp_structure") == 0


def test_gain_of_a_misreport_is_in_true_value():
    true = TwoValue(3.0, 1.0, [1, 0, 1, 0])
    c = compare(true, GoodsOutcome(0, 0, (1, 3)), GoodsOutcome(0, 0, (0, 2)))
    assert c.gain == 4.0 and c.profitable
    assert not compare(true, GoodsOutcome(0, 0, (0,)), GoodsOutcome(0, 0, (1, 3))).profitable  # 2 < 3


def test_misreports_change_the_outcome_and_guarantees_survive_for_truthful_agents():
    """Agent 1 hides its high goods: the audit measures its gain in true value; the claims are
    re-checked on the deviating run, where the truthful agents keep their guarantees."""
    rng = np.random.default_rng(4)
    vals = [TwoValue(3.0, 1.0, rng.random(30) < 0.4) for _ in range(3)]
    devs = []
    for spec in ("fd_hide_high", "fd_claim_type:type=3", "fd_swap_high:k=4", "fd_inflate_alpha:factor=5.0"):
        s = parse_strategy(spec)
        declared = s.report(vals[1], PublicInfo(fair_division_market(3, 30), 0), np.random.default_rng(0))
        assert declared != vals[1]
        devs.append(Deviation({1: declared}, spec))
    rep = _audit("deferred_priority", vals, devs)
    assert rep.violations("fd_temporal_mms") == 0
    # every deviating run was continued to the end and judged too (1 truthful + 4 deviating runs)
    assert rep.checked("fd_temporal_mms") == 1 + len(devs)
    assert {k[1] for k in rep.cells} >= {"fd_hide_high", "fd_claim_type:type=3"}
    rep3 = _audit("priority_matching", vals, devs, foresight=2)
    assert rep3.violations("fd_temporal_ef2") == 0 and rep3.violations("fd_ef1_every_n") == 0


def test_strategies_are_registered_and_validate():
    from mechanisms.errors import ConfigError
    assert set(fair_division_strategy_names()) == {"fd_swap_high", "fd_inflate_alpha", "fd_claim_type", "fd_hide_high"}
    with pytest.raises(ConfigError):
        parse_strategy("fd_claim_type:type=4")
    with pytest.raises(ConfigError):
        parse_strategy("fd_inflate_alpha:factor=0.5")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("fair_division_*.toml")), ids=lambda p: p.stem)
def test_scenarios_run_and_reproduce(path):
    sc = load_scenario(path)
    a = build_run(sc, sc.seed).run()
    b = build_run(sc, sc.seed).run()
    assert [p.outcome.goods for p in a.participants] == [p.outcome.goods for p in b.participants]


def test_mutant_caught_on_the_dp_scenario_through_scenario_runs():
    from abm.audit.sources import ScenarioRun

    sc = load_scenario(EXAMPLES / "fair_division_dp.toml")
    for name, bad in (("mutant_dp_lowest_index", True), ("deferred_priority", False)):
        s2 = sc.with_overrides(**{"mechanism.name": name})
        run = ScenarioRun(s2, s2.seed)
        rep = audit(run.factory, run.truthful, run.true_types, s2.seed, run.deviations({"deviations": ["strategies"]}))
        assert (rep.violations("fd_temporal_mms") > 0) == bad
