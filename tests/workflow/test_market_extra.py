"""``[market.extra]``: free keys reach the market (for mechanisms of one's own); keys the testbed sets
itself are refused with the field that sets them (issue 18, item 5)."""
import pathlib

import pytest

from abm.populations import SOURCES
from abm.populations.tables import RESERVED_EXTRA
from abm.scenario import build_run, parse_scenario
from abm.schema import Section
from mechanisms.errors import ConfigError
from mechanisms.rng import Streams

BUNDLES = {"market": {"kind": "bundles", "goods": ["a", "b"], "capacity": 1, "max_bundle_size": 1},
           "population": {"source": "explicit", "types": [{"count": 2, "ranking": [["a"], ["b"]]}]},
           "mechanism": {"name": "sd"}}
PROCUREMENT = {"market": {"kind": "procurement", "budget": 2.0},
               "population": {"source": "explicit", "costs": [0.5, 1.0]}, "mechanism": {"name": "bf_mech1"}}
FAIR = {"market": {"kind": "fair_division", "m": 3, "foresight": 1},
        "population": {"source": "random", "n": 2}, "arrivals": {"process": "periods"},
        "mechanism": {"name": "naive_matching"}}


def _with_extra(raw, extra):
    return {**raw, "market": {**raw["market"], "extra": extra}}


def test_free_keys_reach_the_market():
    sc = parse_scenario(_with_extra(BUNDLES, {"reserve_price": 0.3, "label": "pilot"}))
    assert build_run(sc, 0).market.extra == {"reserve_price": 0.3, "label": "pilot"}


@pytest.mark.parametrize("raw,key,setter", [(PROCUREMENT, "budget", "market.budget"),
                                            (BUNDLES, "agent_names", "csv"),
                                            (FAIR, "foresight", "market.foresight")])
def test_keys_the_testbed_sets_are_refused(raw, key, setter):
    with pytest.raises(ConfigError) as e:
        parse_scenario(_with_extra(raw, {key: 1}))
    assert e.value.field == f"market.extra.{key}" and setter in e.value.expected


def test_without_extra_the_testbed_keys_are_its_own():
    # procurement.explicit serves mechanisms of one's own (built-ins need a valuation): read the source alone
    source = SOURCES.get("procurement.explicit")
    pop = source(Section(_with_extra(PROCUREMENT, {"x": 1})["market"], "market"), Section(PROCUREMENT["population"],
                 "population"), Streams(0), pathlib.Path("."))
    assert pop.market.extra == {"x": 1, "budget": 2.0}
    assert build_run(parse_scenario(FAIR), 0).market.extra["foresight"] == 1
    assert set(RESERVED_EXTRA) >= {"budget", "valuation", "prediction", "foresight", "sem", "agent_names"}


def test_a_source_that_takes_no_extra_rejects_it():
    raw = {"market": {"kind": "objects", "goods": ["a"], "capacity": 1, "extra": {"x": 1}},
           "population": {"source": "explicit", "types": [{"preference": "a > o"}]}, "mechanism": {"name": "sd"}}
    with pytest.raises(ConfigError, match=r"market\.extra"):
        parse_scenario(raw)
