"""Offline problem (1): exact MILP vs brute force, Sviridenko and the fast variant's guarantees."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.errors import ConfigError
from mechanisms.procurement import (Additive, SetFunction, brute_force, greedy_singleton, offline_opt,
                                    random_instance, solve_sample, sviridenko)
from mechanisms.procurement.offline import GREEDY_SINGLETON_GUARANTEE, SVIRIDENKO_GUARANTEE

FAMILIES = ["additive", "coverage", "budget_additive", "facility_location", "cut", "coverage_minus_cost"]


@settings(max_examples=14, deadline=None)
@given(family=st.sampled_from(FAMILIES), n=st.integers(2, 10), seed=st.integers(0, 10**6),
       frac=st.sampled_from([0.1, 0.3, 0.6]))
def test_milp_equals_brute_force(family, n, seed, frac):
    inst = random_instance(family, n, seed, budget_frac=frac)
    exact = offline_opt(inst.valuation, inst.costs, inst.budget, method="milp")
    bf = brute_force(inst.valuation, inst.costs, inst.budget)
    assert exact.method == "milp"
    assert math.isclose(exact.value, bf.value, rel_tol=1e-7, abs_tol=1e-9)
    assert inst.costs[list(exact.sellers)].sum() <= inst.budget * (1 + 1e-9)


@settings(max_examples=14, deadline=None)
@given(family=st.sampled_from(["additive", "coverage", "budget_additive", "facility_location"]),
       n=st.integers(2, 9), seed=st.integers(0, 10**6))
def test_approximation_guarantees_hold(family, n, seed):
    inst = random_instance(family, n, seed, budget_frac=0.3)
    opt = brute_force(inst.valuation, inst.costs, inst.budget).value
    cand = range(n)
    sv = sviridenko(inst.valuation, cand, inst.costs, inst.budget)
    gs = greedy_singleton(inst.valuation, cand, inst.costs, inst.budget)
    for sol, g in ((sv, SVIRIDENKO_GUARANTEE), (gs, GREEDY_SINGLETON_GUARANTEE)):
        assert sol.guarantee == g
        assert sol.value >= g * opt - 1e-9
        assert inst.costs[list(sol.sellers)].sum() <= inst.budget + 1e-9
        assert math.isclose(sol.value, inst.valuation.value(sol.sellers), abs_tol=1e-9)


def test_sviridenko_beats_greedy_on_a_knapsack_trap():
    # density greedy takes the tiny dense item and then cannot afford the big one
    v = Additive([1.0, 10.0])
    costs = np.array([0.01, 1.0])
    assert greedy_singleton(v, [0, 1], costs, 1.0).value == 10.0  # saved by the singleton
    v3 = Additive([1.0, 6.0, 6.0])
    costs3 = np.array([0.1, 1.0, 1.0])
    assert sviridenko(v3, [0, 1, 2], costs3, 2.0).value == 12.0


def test_solve_sample_dispatch_and_guarantee():
    inst = random_instance("coverage", 30, 1)
    small = solve_sample(inst.valuation, list(range(5)), inst.costs, inst.budget, "auto", sviridenko_max=12)
    big = solve_sample(inst.valuation, list(range(30)), inst.costs, inst.budget, "auto", sviridenko_max=12)
    assert small.method == "sviridenko" and big.method == "greedy_singleton"
    assert big.guarantee == pytest.approx((1 - 1 / math.e) / 2)


def test_lazy_and_plain_greedy_agree():
    from mechanisms.procurement.offline import density_greedy
    inst = random_instance("coverage", 60, 4, budget_frac=0.2)
    a = density_greedy(inst.valuation, range(60), inst.costs, inst.budget, lazy=True)
    b = density_greedy(inst.valuation, range(60), inst.costs, inst.budget, lazy=False)
    assert math.isclose(a[0], b[0], rel_tol=1e-12)


def test_generic_valuation_falls_back_to_brute_force():
    v = SetFunction(4, lambda S: float(min(len(S), 2)))
    sol = offline_opt(v, [1, 1, 1, 1], 3.0)
    assert sol.method == "brute_force" and sol.value == 2.0
    with pytest.raises(ConfigError, match="method"):
        offline_opt(v, [1, 1, 1, 1], 3.0, method="milp")
    with pytest.raises(ConfigError, match="brute force"):
        offline_opt(SetFunction(25, lambda S: 0.0), [1] * 25, 3.0)


@pytest.mark.parametrize("costs,budget,field", [
    ([1, 1], 3.0, "costs"),
    ([1, -1, 1], 3.0, "costs"),
    ([1, 1, 1], 0.0, "budget"),
    ([1, 1, 1], float("inf"), "budget"),
])
def test_offline_validation(costs, budget, field):
    with pytest.raises(ConfigError) as e:
        offline_opt(Additive([1, 1, 1]), costs, budget)
    assert e.value.field == field
