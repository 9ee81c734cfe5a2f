"""One way to do each thing on the audit side (issue 18): deviation lists made by the registered
strategies, versions recorded in counterexamples and checked on replay, one copy of the helpers."""
import json

import numpy as np
import pytest

from abm.audit import audit, load_counterexample, replay_counterexample
from abm.audit.deviations import adjacent_swaps, bid_changes, disguises, random_rankings, strategies_of, truncations
from abm.audit.sources import random_deviations
from mechanisms import BundleRanking, Cost, Goods, Market, WeakOrder
from mechanisms.errors import ConfigError
from mechanisms.mechanism_registry import MECHANISMS, make_mechanism
from strategies import parse_strategy


def _report(spec, t, rng=None):
    return parse_strategy(spec).report(t, None, rng)


# ---- deviation lists are the strategies' reports ------------------------------------------------
def test_truncations_swaps_disguises_are_the_registered_strategies_reports(bundles_market):
    _, types, _ = bundles_market
    t = types[0]
    assert [d.reports[0] for d in truncations(types, [0])] == [_report("truncate:k=1", t), _report("truncate:k=2", t)]
    assert [d.reports[0] for d in adjacent_swaps(types, [0])] == [_report(f"swap:rank={r}", t) for r in range(3)]
    assert [d.reports[0] for d in disguises(types, [0])] == [_report(f"truncate:k={len(t.bundles) - 1}", t)]
    # a different report each time, never the truth
    assert all(d.reports[0] != t for f in (truncations, adjacent_swaps, disguises) for d in f(types, [0]))


def test_bid_changes_are_shaded_bids_capped_at_the_budget():
    types = {0: Cost(0.3)}
    bids = [d.reports[0].value for d in bid_changes(types, [0], factors=(0.5, 2.0, 4.0), max_bid=1.0)]
    assert bids == sorted({0.0, _report("shade_mult:factor=0.5", types[0]).value,
                           _report("shade_mult:factor=2.0", types[0]).value, 1.0})  # 4 x 0.3 capped at B = 1


def test_random_rankings_are_permute_then_truncate_with_the_same_coins(bundles_market):
    _, types, _ = bundles_market
    got = [d.reports[0] for d in random_rankings(types, [0], np.random.default_rng(4), per_agent=3)]
    rng = np.random.default_rng(4)
    want = []
    for _ in range(3):
        k = int(rng.integers(1, len(types[0].bundles) + 1))
        want.append(_report(f"truncate:k={k}", _report("permute", types[0], rng)))
    assert got == want


def _acceptable(w: WeakOrder) -> set[int]:
    return set(w.acceptable)


def test_a_swap_never_moves_a_class_across_the_null_option():
    """SEM Section 2: the swap strategy exchanges two classes ABOVE the null option. The old
    fixed list swapped the last acceptable class with the null option's class, declaring an
    object unacceptable: a different misreport than the one its label names."""
    one_above = WeakOrder(3, ((0,), (3,), (1,), (2,)))  # only object 0 acceptable: nothing to swap
    assert list(adjacent_swaps({0: one_above}, [0])) == []
    two_above = WeakOrder(3, ((0,), (1,), (3,), (2,)))
    devs = list(adjacent_swaps({0: two_above}, [0]))
    assert [d.reports[0] for d in devs] == [WeakOrder(3, ((1,), (0,), (3,), (2,)))]
    assert all(_acceptable(d.reports[0]) == _acceptable(two_above) for d in devs)


def test_random_swaps_of_weak_orders_keep_the_acceptable_set():
    types = {i: WeakOrder(3, ((0,), (1,), (3,), (2,))) for i in range(6)}
    market = Market("objects", Goods.uniform(3, 1))
    devs = random_deviations(types, market, np.random.default_rng(1), 20)
    assert len(devs) == 20 and all(d.label == "random:swap" for d in devs)
    assert all(_acceptable(d.reports[a]) == {0, 1} for d in devs for a in d.reports)


def test_labels_name_the_strategies_that_made_them():
    assert strategies_of("swap") == ("swap",) and strategies_of("disguise") == ("truncate",)
    assert strategies_of("truncate:k=2") == ("truncate",) and strategies_of("bid-change") == ("shade_mult",)
    assert strategies_of("search:exhaustive") == () and strategies_of("same-period-misreport") == ()


# ---- versions in counterexample files -------------------------------------------------------------
@pytest.fixture
def saved_counterexample(tmp_path, bundles_market):
    market, types, sched = bundles_market
    rep = audit(lambda: make_mechanism("mutant_sd_truncation_bonus", market), sched, types, 7,
                list(truncations(types, types, ks=(1,))), claims=["strategyproof"], save=tmp_path)
    return rep.saved["strategyproof"][0]


def test_a_counterexample_records_the_mechanism_and_strategy_versions(saved_counterexample):
    d = json.loads(saved_counterexample.read_text())
    assert d["format"] == "abm-audit-counterexample/3"
    version = MECHANISMS.get("mutant_sd_truncation_bonus").spec.version
    assert d["versions"] == {"mechanism": {"mutant_sd_truncation_bonus": version},
                             "strategies": {"truncate": parse_strategy("truncate").version}}
    cx = load_counterexample(saved_counterexample)
    assert cx.versions == d["versions"] and "Recorded with: mutant_sd_truncation_bonus v" in replay_counterexample(cx).text


def test_a_replay_refuses_other_versions_unless_forced(saved_counterexample):
    d = json.loads(saved_counterexample.read_text())
    d["versions"]["mechanism"]["mutant_sd_truncation_bonus"] += 1
    saved_counterexample.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as e:
        replay_counterexample(saved_counterexample)
    assert e.value.field == "counterexample.versions" and "installed" in str(e.value)
    res = replay_counterexample(saved_counterexample, force=True)
    assert res.reproduced and "warning (forced): mechanism 'mutant_sd_truncation_bonus' was version" in res.text


def test_a_format_2_file_still_loads_and_replays_without_versions(saved_counterexample):
    d = json.loads(saved_counterexample.read_text())
    d["format"] = "abm-audit-counterexample/2"
    d.pop("versions")
    saved_counterexample.write_text(json.dumps(d))
    cx = load_counterexample(saved_counterexample)
    assert cx.versions == {}
    res = replay_counterexample(cx)
    assert res.reproduced and "Recorded with: not recorded" in res.text


@pytest.mark.parametrize("bad, field", [({"mechanism": {"sd": 0}}, "counterexample.versions.mechanism.sd"),
                                        ({"mechanism": {"sd": True}}, "counterexample.versions.mechanism.sd"),
                                        ({"engine": {}}, "counterexample.versions.engine"),
                                        ([1], "counterexample.versions")])
def test_bad_versions_name_the_field(saved_counterexample, bad, field):
    d = json.loads(saved_counterexample.read_text())
    d["versions"] = bad
    saved_counterexample.write_text(json.dumps(d))
    with pytest.raises(ConfigError) as e:
        load_counterexample(saved_counterexample)
    assert e.value.field == field


# ---- one copy of each helper ----------------------------------------------------------------
def test_tables_reports_and_replays_describe_types_with_one_function():
    import abm.api
    import abm.audit.counterexample
    import abm.model
    from abm.describe import describe_type

    assert abm.model.describe_type is describe_type and abm.audit.counterexample.describe_type is describe_type
    market = Market("bundles", Goods(("a", "b", "c"), (1, 1, 1)), max_bundle_size=2)
    t = BundleRanking(3, (3, 1, 2, 4, 5, 6))
    assert abm.api.render_type(t, market) == describe_type(t, market, limit=4)
    assert describe_type(Cost(0.25), None) == "cost 0.25"


def test_one_audit_options_builder_keeps_every_field():
    from abm.api import _audit_options
    from abm.audit.claims import AuditOptions

    assert _audit_options({"eps": 0.2, "support_draws": 3, "agents": 4}) == AuditOptions(eps=0.2, support_draws=3)
    with pytest.raises(ConfigError) as e:
        _audit_options({"support_draws": "many"})
    assert e.value.field == "audit.support_draws"


def test_ef1_and_daceei_words_are_shared_by_the_report_and_the_auditor():
    from mechanisms.checks.daceei import DACEEIResult, Violation
    from mechanisms.checks.envy import EF1Result
    from mechanisms.ocam.report import daceei_text, ef1_text

    goods = Goods(("a", "b"), (1, 1))
    res = EF1Result(False, 0, 1, 0, 3)
    assert ef1_text(res, [7, 9], goods) == "agent 7 envies agent 9's bundle {a,b} beyond one object (own bundle {})"
    assert ef1_text(EF1Result(True), [], goods) == "holds"
    d = DACEEIResult(False, {"ii": Violation("ii", 3, 1, 0.25)})
    assert daceei_text(d, goods) == "condition(s) ['ii'] of Definition 1 fail: (ii) first at k=3, good b, margin 0.25"
