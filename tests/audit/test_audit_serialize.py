"""Round trips of types, reports, markets and outcomes through JSON (abm/audit/serialize.py)."""
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abm.audit.serialize import (jsonable, market_from_json, market_to_json, outcome_from_json, outcome_to_json,
                                 report_from_json, report_to_json, schedule_from_json, schedule_to_json,
                                 type_from_json, type_to_json, unjson)
from mechanisms import BundleRanking, ConfigError, Cost, Goods, Market, Report, WeakOrder
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome


@st.composite
def rankings(draw):
    m = draw(st.integers(1, 6))
    bundles = draw(st.lists(st.integers(1, (1 << m) - 1), unique=True, max_size=8))
    return BundleRanking(m, tuple(bundles))


@st.composite
def weak_orders(draw):
    n = draw(st.integers(1, 5))
    perm = draw(st.permutations(list(range(n + 1))))
    cuts = sorted(draw(st.sets(st.integers(1, n), max_size=n)))
    classes, prev = [], 0
    for c in cuts + [n + 1]:
        classes.append(tuple(perm[prev:c]))
        prev = c
    return WeakOrder(n, tuple(classes))


@settings(max_examples=40, deadline=None)
@given(t=st.one_of(rankings(), weak_orders(), st.floats(0, 1e6).map(Cost)))
def test_type_round_trip_through_json_text(t):
    text = json.dumps(type_to_json(t))
    assert type_from_json(json.loads(text)) == t


def test_report_and_schedule_round_trip():
    sched = [[Report(0, Cost(0.5)), Report(3, Cost(1.0))], [Report(1, BundleRanking(2, (3, 1)))]]
    assert schedule_from_json(json.loads(json.dumps(schedule_to_json(sched)))) == sched
    assert report_from_json(report_to_json(sched[1][0])) == sched[1][0]


def test_market_round_trip_keeps_goods_and_extra():
    m = Market("bundles", Goods(("a", "b"), (2, 3)), max_bundle_size=2, n_agents=10, extra={"x": math.inf})
    back = market_from_json(json.loads(json.dumps(market_to_json(m))))
    assert back.goods == m.goods and back.max_bundle_size == 2 and back.n_agents == 10
    assert back.extra["x"] == math.inf


def test_non_json_extra_is_an_opaque_marker_never_pickled():
    import abm.audit.serialize as S

    # Goods stands in for an object without a data codec: written as a marker, never pickled
    v = {"budget": 2.0, "weights": (1, 2)}
    d = jsonable({"obj": Goods(("a",), (1,))})
    assert set(d["obj"]) == {"$opaque"} and "Goods" in d["obj"]["$opaque"]
    back = unjson(json.loads(json.dumps(d)))
    assert isinstance(back["obj"], S.Opaque) and S.has_opaque(back)
    assert unjson(jsonable(v)) == {"budget": 2.0, "weights": [1, 2]}
    assert not hasattr(S, "pickle") and "import pickle" not in open(S.__file__).read()


def test_valuations_and_predictions_round_trip_as_data():
    import numpy as np

    from mechanisms.procurement.predictions import Prediction
    from mechanisms.procurement.valuations import VALUATIONS

    rng = np.random.default_rng(0)
    for name in VALUATIONS.names():
        v = VALUATIONS.get(name).random(6, rng)
        d = json.loads(json.dumps(jsonable({"valuation": v})))
        assert d["valuation"]["$data"] == f"valuation:{name}"
        w = unjson(d)["valuation"]
        assert type(w) is type(v)
        for S in ([], [0], [1, 3], list(range(6))):
            assert w.value(S) == pytest.approx(v.value(S))
    p = Prediction(2.5, 0.1, "under", 2.8)
    assert unjson(json.loads(json.dumps(jsonable(p)))) == p


@pytest.mark.parametrize("o", [BundleOutcome(1, 2, 5, 0.97, 0.9, "online"),
                               ObjectOutcome(0, 0, 2, (0.25, 0.75, 0.0)),
                               HireOutcome(4, 1, True, 0.5, 0.5, 0.2)])
def test_outcome_round_trip(o):
    assert outcome_from_json(json.loads(json.dumps(outcome_to_json(o)))) == o


@pytest.mark.parametrize("bad,field", [({"kind": "bundles", "m": 2, "bundles": [7]}, "type.bundles[0]"),
                                       ({"kind": "nope"}, "type.kind"),
                                       ({"kind": "cost"}, "type.value"),
                                       ({"m": 2}, "type")])
def test_bad_type_json_names_the_field(bad, field):
    with pytest.raises(ConfigError) as e:
        type_from_json(bad)
    assert e.value.field == field


def test_fair_division_types_and_goods_outcomes_round_trip():
    import numpy as np

    from mechanisms.fair_division.valuations import Additive, Interval, TwoValue
    from mechanisms.reports import GoodsOutcome

    for v in (TwoValue(3.0, 1.0, np.array([1, 0, 1], dtype=bool)), Interval([1.0, 2.5, 3.0]), Additive([0.5, 1.0])):
        assert type_from_json(json.loads(json.dumps(type_to_json(v)))) == v
    o = GoodsOutcome(1, 0, (2, 5))
    assert outcome_from_json(json.loads(json.dumps(outcome_to_json(o)))) == o
    with pytest.raises(ConfigError) as e:
        type_from_json({"kind": "fair_division", "class": "two_value", "m": 10**9, "alpha": 2, "beta": 1,
                        "high": [0]})
    assert e.value.field == "type.m"
