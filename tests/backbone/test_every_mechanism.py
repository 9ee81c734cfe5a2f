"""Generic tests every registered mechanism must pass (STYLE.md: OpenSpiel-style generic checks).

Each registered mechanism name needs an entry in EXAMPLES (a small scenario of its market
kind): a newly registered mechanism without one fails ``test_every_mechanism_has_an_example``.
"""
import numpy as np
import pytest

from abm.scenario import build_run, parse_scenario
from mechanisms import MECHANISMS, BundleOutcome, HireOutcome, ObjectOutcome, bundle_items, registered_mechanisms
from mechanisms.online_mechanism import published

BUNDLES = {
    "market": {"kind": "bundles", "m": 5, "capacity": 6, "max_bundle_size": 2},
    "population": {"source": "scores", "n": 40, "n_types": 8},
    "arrivals": {"process": "permutation", "batch_size": 2},
}
OBJECTS = {
    "market": {"kind": "objects", "goods": ["a", "b", "c"], "capacities": [2, 2, 1]},
    "population": {"source": "iid", "periods": 3, "per_period": 4,
                   "types": [{"preference": "a > b > o"}, {"preference": "{a,b} > c > o"}, {"preference": "c > o"}]},
    "arrivals": {"process": "periods"},
}
SEM = {
    "market": {"kind": "objects", "goods": ["a", "b"], "capacities": [1, 1]},
    "population": {"source": "sem", "periods": 4, "replica": 3,
                   "types": [{"preference": "a > o > b"}, {"preference": "{a,b} > o"}]},
    "arrivals": {"process": "periods"},
}
PROCUREMENT = {
    "market": {"kind": "procurement", "budget_frac": 0.2, "prediction_error": 0.1},
    "population": {"source": "random", "n": 30, "valuation": "additive"},
}
FAIR_DIVISION = {
    "market": {"kind": "fair_division", "m": 24, "foresight": 2},
    "population": {"source": "random", "n": 3, "types": [1, 2, 3]},
    "arrivals": {"process": "periods"},
}
FAIR_DIVISION_2 = {
    "market": {"kind": "fair_division", "m": 15, "foresight": 1},
    "population": {"source": "random", "n": 2, "class": "interval"},
    "arrivals": {"process": "periods"},
}
PROCUREMENT_NM = {
    "market": {"kind": "procurement", "budget_frac": 0.2, "prediction_error": 0.1},
    "population": {"source": "random", "n": 12, "valuation": "cut"},
}

SEM_ONLINE = {
    "market": {"kind": "objects", "goods": ["a", "b"],
               "supply": {"kind": "poisson", "rates": [0.5, 0.5]}},
    "population": {"source": "sem_online", "periods": 4, "replica": 3,
                   "types": [{"preference": "a > o > b"}, {"preference": "{a,b} > o"}]},
    "arrivals": {"process": "periods"},
}

EXAMPLES = {
    "sem_online": SEM_ONLINE, "arriving_supply": SEM_ONLINE, "sem_upfront": SEM_ONLINE,
    "sd": BUNDLES, "rsd": OBJECTS, "ocam": BUNDLES, "naive_aceei": BUNDLES,
    "sem": SEM, "sd_rtb": SEM, "eps": SEM,
    "bf_mech1": PROCUREMENT, "bf_mech2": PROCUREMENT, "bf_mech3": PROCUREMENT, "bf_mech4": PROCUREMENT,
    "dynkin": PROCUREMENT,
    "bf_mech1_nm": PROCUREMENT_NM, "bf_mech2_nm": PROCUREMENT_NM, "bf_mech3_nm": PROCUREMENT_NM,
    "bf_mech4_nm": PROCUREMENT_NM,
    "deferred_priority": FAIR_DIVISION, "priority_matching": FAIR_DIVISION, "round_robin": FAIR_DIVISION,
    "naive_matching": FAIR_DIVISION_2,
}


def _scenario(name, seed=3):
    raw = {"name": f"generic-{name}", "seed": seed, **EXAMPLES[name], "mechanism": {"name": name}}
    return parse_scenario(raw)


def test_every_mechanism_has_an_example():
    faithful = {n for n, _ in registered_mechanisms()}  # mutants are the zoo's (tests/audit/test_zoo.py)
    assert faithful <= set(EXAMPLES), sorted(faithful - set(EXAMPLES))


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_generic_invariants(name):
    if name not in MECHANISMS:
        pytest.fail(f"{name} is in EXAMPLES but not registered")
    sc = _scenario(name)
    model = build_run(sc, 11).run()
    n = len(model.participants)
    outs = [a.outcome for a in model.participants]
    # exactly one outcome per agent, stamped with the tick the agent arrived at
    assert all(o is not None for o in outs)
    assert sorted(o.agent for o in outs) == list(range(n))
    for t, ids in enumerate(model.schedule):
        assert all(model.participants[i].outcome.tick == t for i in ids)
    market = model.market
    if market.kind == "bundles":
        used = np.zeros(market.goods.m)
        for o in outs:
            assert isinstance(o, BundleOutcome)
            for j in bundle_items(o.bundle):
                used[j] += 1
        if model.mechanism.enforces_capacity:
            assert np.all(used <= np.array(market.goods.capacities))
    elif market.kind == "objects":
        used = np.zeros(market.goods.m + 1)
        for o in outs:
            assert isinstance(o, ObjectOutcome)
            used[o.obj] += 1
        assert np.all(used[:-1] <= np.array(market.goods.capacities))
    elif market.kind == "fair_division":
        # every arrived good is held by exactly one agent
        held = sorted(g for o in outs for g in o.goods)
        assert held == list(range(market.horizon))
    else:
        budget = market.extra["budget"]
        paid = 0.0
        for o in outs:
            assert isinstance(o, HireOutcome)
            paid += o.payment if o.hired else 0.0
            assert o.hired or o.payment == 0.0
        assert paid <= budget + 1e-9  # budget feasibility on this realisation
    # what it publishes is the typed state its spec declares, and it declares a version
    spec = model.mechanism.spec
    assert isinstance(published(model.mechanism), spec.public_state) and spec.version >= 1
    # same seed, same run; the table is bit-for-bit identical
    again = build_run(sc, 11).run()
    assert model.agent_table().equals(again.agent_table())
