"""Typed public state (mechanisms.public_state) and spec versions (issue 18, items 2 and 5)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mechanisms import MECHANISMS, Goods, Market, Report, make_mechanism, run_schedule
from mechanisms.baselines.serial_dictatorship import SerialDictatorship
from mechanisms.errors import ConfigError, InvariantError
from mechanisms.preferences import Cost, WeakOrder
from mechanisms.procurement import Additive, procurement_market
from mechanisms.public_state import GoodsPublic, ObjectsPublic, ProcurementPublic, PublicState


def test_construction_is_strict_and_names_the_field():
    with pytest.raises(ConfigError) as e:
        GoodsPublic(remaining=(1, 2))
    assert e.value.field == "GoodsPublic.prices" and e.value.value == "missing"
    with pytest.raises(ConfigError) as e:
        GoodsPublic(remaining=(1, 2), prices=None, threshold=2.0)
    assert e.value.field == "GoodsPublic.threshold"
    with pytest.raises(ConfigError):
        GoodsPublic((1, 2), None)  # positional: a field is always named
    with pytest.raises(ConfigError) as e:
        ObjectsPublic(remaining=(1,), prices=["x"], period=0, clearing_error=0.0)
    assert e.value.field == "ObjectsPublic.prices"
    with pytest.raises(ConfigError) as e:
        ProcurementPublic(budget=1.0, arrived=0, hired=(), paid=0.0, stage="auction", single_threshold=None,
                          single_strict=False, t=None, solutions=(), budget_left=(), returned=None, route=None)
    assert e.value.field == "ProcurementPublic.stage"
    g = GoodsPublic(remaining=np.array([1, 2]), prices=[0.5, 0.25])
    assert g.remaining == (1.0, 2.0) and g.prices == (0.5, 0.25)  # normalised to tuples of floats
    with pytest.raises(AttributeError):
        g.prices = None  # frozen
    assert replace(g, prices=None).prices is None and g == GoodsPublic(remaining=(1, 2), prices=(0.5, 0.25))


def test_specs_declare_a_public_state_class_and_a_version():
    for name, cls in MECHANISMS.items():
        assert issubclass(cls.spec.public_state, PublicState), name
        assert isinstance(cls.spec.version, int) and cls.spec.version >= 1, name
    base = MECHANISMS.get("sd", "m").spec
    for bad in ({"version": 0}, {"version": "2"}, {"public_state": dict}):
        with pytest.raises(ConfigError):
            replace(base, **bad)


class DictPublishingSD(SerialDictatorship):
    """Mutant: publishes a plain dict (the pre-typed protocol)."""

    spec = replace(SerialDictatorship.spec, name="test_dict_public")

    def public(self):
        return {"remaining": self._remaining.tolist()}


class UndeclaredSD(SerialDictatorship):
    """Mutant: declares GoodsPublic but keeps the base public() (which cannot build it)."""

    spec = replace(SerialDictatorship.spec, name="test_undeclared_public")
    public = SerialDictatorship.__mro__[1].public  # OnlineMechanism.public


def test_a_public_that_is_not_the_declared_class_is_an_error():
    goods = Goods(("a", "b"), (1, 1))
    market = Market("objects", goods)
    w = WeakOrder.parse("a > b > o", ["a", "b"])
    sched = [[Report(0, w)], [Report(1, w)]]
    assert isinstance(run_schedule(lambda: make_mechanism("sd", market), sched, 1).public[0], GoodsPublic)
    with pytest.raises(InvariantError, match="public_state GoodsPublic"):
        run_schedule(lambda: DictPublishingSD(market), sched, 1)
    with pytest.raises(ConfigError, match="GoodsPublic.remaining"):
        run_schedule(lambda: UndeclaredSD(market), sched, 1)
    assert run_schedule(lambda: make_mechanism("sd", market), sched, 1, record_public=False).public == [None, None]


def test_procurement_publishes_its_posted_price_state():
    # Mechanism 2's posted branch by hand: v additive (4, 2, 1), B = 10, omega = 7, a = 0.5: t = 3.5
    market = procurement_market(Additive([4, 2, 1]), 10.0, 7.0)
    sched = [[Report(0, Cost(1.0))], [Report(1, Cost(1.0))], [Report(2, Cost(1.0))]]
    run = run_schedule(lambda: make_mechanism("bf_mech2", market, {"p": 0.0, "a": 0.5}), sched, 0)
    first, last = run.public[0], run.public[-1]
    assert (first.stage, first.t, first.budget) == ("posted", 3.5, 10.0)
    assert first.solutions == ((),) and first.budget_left == (10.0,)  # seller 0 not offered: 11.43 > B'
    assert last.hired == (1, 2) and last.solutions == ((1, 2),) and last.returned == 0 and last.route is None
    assert last.budget_left[0] == pytest.approx(10 - 20 / 3.5 - 10 / 3.5) and last.arrived == 3
    # Mechanism 3's sample: nothing posted until N_2 starts
    for seed in range(6):
        run = run_schedule(lambda: make_mechanism("bf_mech3", market, {"q": 0.0}), sched, seed)
        xi = run.summary["xi1"]
        for k, pub in enumerate(run.public):  # the state after k + 1 arrivals
            assert (pub.stage == "sample") == (k + 1 < xi) and (pub.t is None) == (k + 1 <= xi)
            if pub.t is not None:
                assert pub.t == run.summary["t"]
    # Dynkin's sample, then the single offer of B with the sample's best value as threshold
    m5 = procurement_market(Additive([1, 3, 2, 5, 4]), 10.0, 7.0)
    sched5 = [[Report(i, Cost(1.0))] for i in range(5)]
    run = run_schedule(lambda: make_mechanism("dynkin", m5), sched5, 0)
    stages = [p.stage for p in run.public]
    assert stages[0] == "single" and run.public[0].single_threshold == 1.0  # floor(5/e) = 1 sampled
    assert "closed" in stages and run.public[-1].hired == (1,)
