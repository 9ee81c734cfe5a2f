"""(t)-price equilibria (Definition 1): the NTB solver, EPS, RTB, the flow, market validation."""
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog
from sem_helpers import rand_problem, section62

from mechanisms.errors import ConfigError
from mechanisms.preferences import WeakOrder
from mechanisms.sem import (
    EquilibriumProblem,
    SEMMarket,
    SEMType,
    Shock,
    check_equilibrium,
    extended_probabilistic_serial,
    lottery_demand,
    solve_ntb,
    solve_rtb,
    theorem3_condition,
)
from mechanisms.sem.flow import bipartite_max_flow


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 5), ntypes=st.integers(1, 10), T=st.integers(1, 4),
       kind=st.sampled_from(["uniform", "triangular", "truncnorm"]))
def test_ntb_solver_meets_definition_1(seed, m, ntypes, T, kind):
    pb = rand_problem(np.random.default_rng(seed), m, ntypes, T, Shock(kind, 0.15))
    res = solve_ntb(pb)
    chk = check_equilibrium(pb, res)
    assert chk["ok"], chk
    assert res.clearing_error <= 1e-8


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(1, 4), T=st.integers(1, 3))
def test_ntb_solver_without_budget_gap(seed, m, T):
    # the process needs no gap: arbitrary (even equal) budgets still give an equilibrium
    rng = np.random.default_rng(seed)
    pb = rand_problem(rng, m, 6, T)
    pb = replace(pb, level_budgets=tuple(rng.choice([0.8, 1.0, 1.2], T)))
    assert check_equilibrium(pb, solve_ntb(pb))["ok"]


def test_check_equilibrium_fails_on_wrong_prices():
    pb = rand_problem(np.random.default_rng(4), 3, 8, 2)
    res = solve_ntb(pb)
    assert check_equilibrium(pb, res)["ok"]
    bad = replace(res, prices=res.prices + 0.05)          # mutant: prices off equilibrium
    assert not check_equilibrium(pb, bad)["ok"]
    lots = res.lotteries.copy()
    lots[:, [0, -1]] = lots[:, [-1, 0]]                  # mutant: lotteries not demanded
    assert not check_equilibrium(pb, replace(res, lotteries=lots))["ok"]


def test_hand_example_one_period():
    # two unit-mass agents x > y > o, one unit each, b = 1, H = U[-0.1, 0.1]: x sells out halfway
    # (level beta = 1 - H^{-1}(1/2) = 1), y only when everyone is in: price 0
    o = WeakOrder.parse("x > y > o", ["x", "y"])
    pb = EquilibriumProblem((o,), np.array([2.0]), np.array([0]), (1.0,), np.array([1.0, 1.0]), Shock())
    res = solve_ntb(pb)
    assert res.prices == pytest.approx([1.0, 0.0])
    assert res.lotteries[0] == pytest.approx([0.5, 0.5, 0.0])


def test_section62_equilibrium_keeps_a_for_selective_children():
    # period 1: one non-selective child; later periods 1/2 selective, 1/2 non-selective
    mk = section62(1)
    c1, c2 = mk.parse("a > o > b"), mk.parse("{a,b} > o")
    orders = (c2,) + (c1, c2) * 3
    pb = EquilibriumProblem(orders, np.array([1.0] + [0.5] * 6), np.array([0, 1, 1, 2, 2, 3, 3]),
                            mk.budgets, np.array([1.0, 1.0]), mk.shock)
    res = solve_ntb(pb)
    assert check_equilibrium(pb, res)["ok"]
    # both homes are taken by the end of period 2: equal prices (a tie) and the selective
    # child of period 2 gets a for sure
    assert res.prices[0] == pytest.approx(res.prices[1]) and res.prices[0] > 0
    assert res.lotteries[1] == pytest.approx([1.0, 0.0, 0.0])


def test_zero_mass_type_gets_a_selection():
    pb = rand_problem(np.random.default_rng(7), 3, 6, 2)
    pb = replace(pb, masses=np.append(pb.masses[:-1], 0.0))
    res = solve_ntb(pb)
    L = lottery_demand(pb.orders[-1], pb.budgets[-1], res.prices, pb.shock)
    assert L.contains(res.lotteries[-1])


def test_eps_known_allocations():
    names = ["a", "b"]
    any_, only_a = WeakOrder.parse("{a,b} > o", names), WeakOrder.parse("a > o", names)
    A = extended_probabilistic_serial([any_, only_a, only_a], [1, 1])
    assert A == pytest.approx(np.array([[0, 1, 0], [0.5, 0, 0.5], [0.5, 0, 0.5]]))
    # strict preferences: classic PS on 2 agents a > b: 1/2 each
    ab = WeakOrder.parse("a > b > o", names)
    assert extended_probabilistic_serial([ab, ab], [1, 1]) == pytest.approx(np.full((2, 3), [0.5, 0.5, 0]))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_flow_matches_lp(seed):
    rng = np.random.default_rng(seed)
    G, m = int(rng.integers(1, 7)), int(rng.integers(1, 5))
    d = rng.random(G) * 2
    cap = rng.random(m) * 2
    targets = [sorted(rng.choice(m, int(rng.integers(1, m + 1)), replace=False).tolist()) for _ in range(G)]
    flow, val, side = bipartite_max_flow(d, targets, cap)
    nv = G * m
    A_ub, b_ub = [], []
    for g in range(G):
        row = np.zeros(nv)
        row[g * m:(g + 1) * m] = 1
        A_ub.append(row)
        b_ub.append(d[g])
    for x in range(m):
        row = np.zeros(nv)
        row[x::m] = 1
        A_ub.append(row)
        b_ub.append(cap[x])
    bounds = [(0, None if x in targets[g] else 0) for g in range(G) for x in range(m)]
    lp = linprog(-np.ones(nv), A_ub=np.array(A_ub), b_ub=b_ub, bounds=bounds, method="highs")
    assert val == pytest.approx(-lp.fun, abs=1e-9)
    assert np.all(flow.sum(axis=1) <= d + 1e-9) and np.all(flow.sum(axis=0) <= cap + 1e-9)
    if val < d.sum() - 1e-9:  # the source side is an over-demanded (Hall-violating) set
        inside = [g for g in range(G) if set(targets[g]) <= set(np.flatnonzero(side))]
        assert d[inside].sum() > cap[side].sum() + 1e-12


def test_rtb_quadrature_clears_exactly():
    sh = Shock("uniform", 0.1, "random", 0.01)
    pb = rand_problem(np.random.default_rng(5), 3, 5, 2, sh)
    res = solve_rtb(pb)
    assert res.clearing_error <= 1e-8 and res.info["integration"] == "quadrature"
    assert res.integration_error <= 1e-10
    D = (pb.masses @ res.lotteries)[:3]
    assert np.all(D <= pb.supply + 1e-8)


def test_rtb_reports_errors_and_theorem3():
    sh = Shock("uniform", 0.1, "random", 0.01)
    pb = rand_problem(np.random.default_rng(3), 3, 5, 2, sh)
    zeta = sh.sample_zeta(np.random.default_rng(1), (64, 4))
    res = solve_rtb(pb, zeta)
    assert np.isfinite(res.clearing_error) and res.integration_error > 0
    assert np.all(res.prices >= 0) and res.lotteries.sum(axis=1) == pytest.approx(np.ones(5))
    assert theorem3_condition(np.array([1.0, 1.03, 0.0]), 0.01) == (pytest.approx(0.03), True)
    assert theorem3_condition(np.array([1.0, 1.015, 0.0]), 0.01)[1] is False


@pytest.mark.parametrize("kwargs,field", [
    ({"supply": [-1, 1]}, "supply.a"),
    ({"supply": [1.5, 1]}, "supply.a"),
    ({"budgets": (1.0, 1.0, 1.0, 1.0)}, "budgets[1]"),            # no gap (Theorem 1)
    ({"budgets": (0.84, 0.56, 0.28, 0.05)}, "budgets"),           # xi_upper = 0.1 > b^T (Assumption 3)
    ({"replica": 0}, "replica"),
    ({"horizon": 0}, "horizon"),
])
def test_market_validation_names_the_parameter(kwargs, field):
    base = dict(objects=("a", "b"), supply=(1, 1),
                types=tuple(SEMType(WeakOrder.parse("a > o", ["a", "b"]), t) for t in range(1, 5)),
                arrival=(1.0,) * 4, horizon=4)
    base.update(kwargs)
    with pytest.raises(ConfigError) as e:
        SEMMarket(**base)
    assert e.value.field == field


def test_market_validation_arrival_and_empty():
    with pytest.raises(ConfigError, match="arrival"):
        SEMMarket.stationary(["a"], [1], {"a > o": 0.7}, horizon=2)
    with pytest.raises(ConfigError, match="objects"):
        SEMMarket.stationary([], [], {"o": 1.0}, horizon=2)
    mk = section62(3, per_home=2)
    assert mk.market().goods.capacities == (6, 6) and mk.market().horizon == 4


def test_demand_equal_to_supply_when_everyone_is_in():
    # regression: demand reaching supply exactly at the lowest level leaves prices at 0 and
    # serves everyone (last period of Section 6.2, supply a = 6, b = 4; 5 + 5 arrivals)
    mk = section62(10, 2)
    c1, c2 = mk.parse("a > o > b"), mk.parse("{a,b} > o")
    pb = EquilibriumProblem((c1, c2), np.array([5.0, 5.0]), np.array([0, 0]), (1.0,), np.array([6.0, 4.0]), Shock())
    res = solve_ntb(pb)
    assert res.prices == pytest.approx([0.0, 0.0])
    assert res.lotteries[0] == pytest.approx([1, 0, 0]) and res.lotteries[1][:2].sum() == pytest.approx(1.0)
    assert check_equilibrium(pb, res)["ok"]
