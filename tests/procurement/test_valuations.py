"""Valuations: submodularity, (non-)monotonicity, incremental states, registry and validation."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.checks.budget import check_monotone, check_normalised_nonnegative, check_submodular
from mechanisms.errors import ConfigError
from mechanisms.procurement import (VALUATIONS, Additive, BudgetAdditive, CoverageMinusCost, Cut, FacilityLocation,
                                    SetFunction, WeightedCoverage, random_valuation)

FAMILIES = ["additive", "coverage", "budget_additive", "facility_location", "cut", "coverage_minus_cost"]
MONOTONE = {"additive", "coverage", "budget_additive", "facility_location"}


def test_registry_names():
    assert VALUATIONS.names() == sorted(FAMILIES)
    with pytest.raises(ConfigError, match="valuation.name"):
        random_valuation("nope", 3, np.random.default_rng(0))


@settings(max_examples=15, deadline=None)
@given(family=st.sampled_from(FAMILIES), n=st.integers(2, 14), seed=st.integers(0, 10**6))
def test_submodular_normalised_nonnegative(family, n, seed):
    rng = np.random.default_rng(seed)
    v = random_valuation(family, n, rng)
    assert check_submodular(v, rng, trials=60) == []
    assert check_normalised_nonnegative(v, rng, trials=30) == []
    if family in MONOTONE:
        assert check_monotone(v, rng, trials=60) == []


@pytest.mark.parametrize("family", ["cut", "coverage_minus_cost"])
def test_nonmonotone_families_fail_the_monotone_check(family):
    rng = np.random.default_rng(5)
    v = random_valuation(family, 12, rng)
    assert not v.monotone
    assert check_monotone(v, rng, trials=300) != []


def test_checker_rejects_non_submodular_function():
    # mutant: v(S) = |S|^2 has increasing marginals
    v = SetFunction(6, lambda S: float(len(S)) ** 2)
    bad = check_submodular(v, np.random.default_rng(0), trials=100)
    assert bad and bad[0]["property"] == "submodular"
    assert bad[0]["v(i|S)"] < bad[0]["v(i|T)"]


def test_checker_rejects_negative_valuation():
    cov = WeightedCoverage([[0], [0], [0]], [1.0])
    v = CoverageMinusCost(cov, [0.9, 0.9, 0.9])  # v({0,1}) = 1 - 1.8 < 0
    assert check_normalised_nonnegative(v, np.random.default_rng(0), trials=50) != []


@settings(max_examples=12, deadline=None)
@given(family=st.sampled_from(FAMILIES), n=st.integers(1, 12), seed=st.integers(0, 10**6))
def test_incremental_state_matches_value(family, n, seed):
    rng = np.random.default_rng(seed)
    v = random_valuation(family, n, rng)
    stt = v.state()
    S: list[int] = []
    for i in rng.permutation(n)[: max(1, n // 2)]:
        i = int(i)
        cand = np.arange(n)
        want = np.array([v.marginal(j, S) for j in cand])
        assert np.allclose(stt.marginals(cand), want)
        assert np.isclose(stt.marginal(i), v.marginal(i, S))
        cp = stt.copy()
        stt.add(i)
        S.append(i)
        assert np.isclose(stt.value, v.value(S))
        assert np.isclose(cp.value + cp.marginal(i), stt.value)  # the copy was not mutated
    assert np.allclose(v.singletons(), [v.value([j]) for j in range(n)])


def test_hand_values():
    assert Additive([1, 2, 3]).value([0, 2]) == 4
    cov = WeightedCoverage([[0, 1], [1, 2], [3]], [1.0, 2.0, 3.0, 4.0])
    assert cov.value([0, 1]) == 6.0 and cov.marginal(1, [0]) == 3.0
    ba = BudgetAdditive([2, 2, 2], cap=5)
    assert ba.value([0, 1, 2]) == 5 and ba.marginal(2, [0, 1]) == 1
    fl = FacilityLocation(np.array([[1.0, 3.0], [2.0, 0.0]]))
    assert fl.value([0]) == 3.0 and fl.value([0, 1]) == 5.0
    g = nx.path_graph(3)
    cut = Cut(g)
    assert cut.value([1]) == 2.0 and cut.value([0, 1, 2]) == 0.0 and cut.marginal(0, [1]) == -1.0
    cmc = CoverageMinusCost(cov, [0.5, 0.5, 1.0])
    assert cmc.value([0, 1]) == 5.0 and cmc.marginal(1, [0]) == 2.5


@pytest.mark.parametrize("build,field", [
    (lambda: Additive([1.0, -1.0]), "valuation.weights"),
    (lambda: Additive([]), "valuation.weights"),
    (lambda: WeightedCoverage([[0, 5]], [1.0, 1.0]), "valuation.sets[0]"),
    (lambda: BudgetAdditive([1.0], cap=0), "valuation.cap"),
    (lambda: FacilityLocation(np.array([1.0, 2.0])), "valuation.utilities"),
    (lambda: Cut(nx.DiGraph([(0, 1)])), "valuation.graph"),
    (lambda: Cut(nx.Graph([(0, 2)])), "valuation.graph.nodes"),
    (lambda: CoverageMinusCost(WeightedCoverage([[0]], [1.0]), [1.0, 2.0]), "valuation.kappa"),
])
def test_invalid_valuations_raise_config_error(build, field):
    with pytest.raises(ConfigError) as e:
        build()
    assert e.value.field == field
