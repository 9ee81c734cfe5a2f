"""(t)-Lindahl equilibria: Definition 7, the doubling example, Theorem 6 (SEM paper, Section 5.1)."""
import numpy as np
import pytest
from online_helpers import rand_order

from mechanisms.errors import ConfigError
from mechanisms.preferences import WeakOrder
from mechanisms.sem import (
    EquilibriumProblem,
    LindahlProblem,
    Shock,
    check_lindahl,
    single_price_vector,
    solve_lindahl,
    solve_ntb,
)
from mechanisms.sem.lindahl import selection_at

X = WeakOrder.parse("x > o", ["x"], "o")
SHOCK = Shock()  # c ~ U[-0.1, 0.1]: period demand for x at price p is H(1 - p) = (1.1 - p) / 0.2


def doubling() -> LindahlProblem:
    """The remark after Theorem 6: identical preferences (x > o) and supply (1 unit per period),
    demand doubling in period 2 (mass 2, then 4)."""
    return LindahlProblem((X, X), np.array([2.0, 4.0]), np.array([0, 1]), np.array([[1.0], [1.0]]), SHOCK)


@pytest.mark.parametrize("selection", ["lookahead", "static"])
def test_doubling_example_time_tax_clears(selection):
    pb = doubling()
    res = solve_lindahl(pb, selection)
    # period 1: 2 H(1 - p1) = 1 -> p1 = 1.0; period 2: 4 H(1 - p2) = 1 -> p2 = 1.05
    assert res.prices[:, 0] == pytest.approx([1.0, 1.05], abs=1e-12)
    assert res.lotteries[:, 0] == pytest.approx([0.5, 0.25], abs=1e-12)
    assert res.clearing_error <= 1e-12
    chk = check_lindahl(pb, res.prices, res.lotteries)
    assert chk["ok"] and chk["first"] is None


def test_doubling_example_no_single_price_vector_clears():
    pb = doubling()
    # the vector that clears period 1 (p = 1) demands 2 * 0.5 + 4 * 0.5 = 3 > 2 units by period 2:
    # "the expected supply will be exceeded by a factor of one-half"
    chk = check_lindahl(pb, np.array([[1.0], [1.0]]))
    assert not chk["ok"]
    assert chk["first"] == {"period_offset": 1, "object": 0, "condition": 1, "demand": pytest.approx(3.0),
                            "supply": 2.0, "price": 1.0}
    # any single price: clearing period 2 cumulatively with a positive price forces 6 H(1 - p) = 2, and
    # then period 1 (2 H = 2/3 < 1) is slack at a positive price: condition 2 fails
    for p in np.linspace(0.0, 1.2, 61):
        assert not check_lindahl(pb, np.array([[p], [p]]))["ok"]
    sp = single_price_vector(pb)
    assert sp.prices[0, 0] == pytest.approx(1.1 - 0.2 / 3)
    assert sp.clearing_error == pytest.approx(1 / 3)


def test_definition7_hand_market_both_conditions():
    """Two objects x, y; period 1: mass 1 of x > y > o; period 2: mass 1 of y > o.
    Supply: one x and half a y at period 1, half a y more at period 2."""
    objs = ["x", "y"]
    a, b = WeakOrder.parse("x > y > o", objs, "o"), WeakOrder.parse("y > o", objs, "o")
    pb = LindahlProblem((a, b), np.array([1.0, 1.0]), np.array([0, 1]), np.array([[1.0, 0.5], [0.0, 0.5]]), SHOCK)
    # period 1 takes x for free (the period-1 type's x is never scarce): zero prices; period 2's y demand 1 >
    # cumulative supply 1 - 0 = 1 is exactly the supply: price 0 is an equilibrium
    zero = np.zeros((2, 2))
    chk = check_lindahl(pb, zero)
    assert chk["ok"] and chk["condition1"] == 0.0 and chk["condition2"] == 0.0
    # condition 2 fails: a positive period-1 price on y, which nobody of period 1 buys (x is free)
    p = zero.copy()
    p[0, 1] = 0.5
    chk = check_lindahl(pb, p)
    assert not chk["ok"] and chk["condition1"] == 0.0
    assert chk["first"]["condition"] == 2 and chk["first"]["period_offset"] == 0 and chk["first"]["object"] == 1
    # condition 1 fails: supply of y halved in period 2 with price 0: cumulative demand 1 > 0.75
    pb2 = LindahlProblem((a, b), np.array([1.0, 1.0]), np.array([0, 1]), np.array([[1.0, 0.5], [0.0, 0.25]]), SHOCK)
    chk = check_lindahl(pb2, zero)
    assert not chk["ok"] and chk["first"]["condition"] == 1 and chk["condition1"] == pytest.approx(0.25)
    # the solver prices y in period 2 so that demand is 0.75: H(1 - p) = 0.75 -> p = 1.1 - 0.15
    res = solve_lindahl(pb2, "static")
    assert res.prices[1] == pytest.approx([1.1, 0.95])  # x: none left, priced above every budget
    assert check_lindahl(pb2, res.prices, res.lotteries)["ok"]
    # a lottery that is not a selection of demand at the prices is caught (budget condition)
    bad = res.lotteries.copy()
    bad[0] = [0.0, 1.0, 0.0]   # type a given y although x is free
    chk = check_lindahl(pb2, res.prices, bad)
    assert not chk["ok"] and chk["bad_types"] == [0]


def test_random_markets_both_selections_are_lindahl_equilibria():
    rng = np.random.default_rng(7)
    for _ in range(60):
        m, T, nt = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 10))
        shock = Shock(["uniform", "triangular", "truncnorm"][int(rng.integers(3))])
        pb = LindahlProblem(tuple(rand_order(rng, m) for _ in range(nt)), rng.random(nt) * 2, rng.integers(0, T, nt),
                            rng.integers(0, 3, (T, m)).astype(float), shock)
        for sel in ("lookahead", "static"):
            res = solve_lindahl(pb, sel)
            chk = check_lindahl(pb, res.prices, res.lotteries)
            assert chk["ok"], (sel, chk)
            assert res.clearing_error <= 1e-9


def test_random_tie_breaking_static_selection():
    rng = np.random.default_rng(3)
    shock = Shock(tie_breaking="random", z=0.02)
    for _ in range(4):
        pb = LindahlProblem(tuple(rand_order(rng, 3) for _ in range(4)), rng.random(4) * 2, rng.integers(0, 2, 4),
                            rng.integers(0, 3, (2, 3)).astype(float), shock)
        res = solve_lindahl(pb, "static")
        assert check_lindahl(pb, res.prices, res.lotteries, tol=1e-7)["ok"]
    with pytest.raises(ConfigError, match="selection"):
        solve_lindahl(pb, "lookahead")


def test_greedy_under_assumption3_random_markets():
    """Theorem 6, Claim 2: if a type gets y with positive probability and prefers x, then x's cumulative
    demand through its period equals the cumulative supply (x is used up by then)."""
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(60):
        m, T, nt = int(rng.integers(1, 5)), int(rng.integers(1, 5)), int(rng.integers(1, 10))
        pb = LindahlProblem(tuple(rand_order(rng, m) for _ in range(nt)), rng.random(nt) * 2 + 0.1,
                            rng.integers(0, T, nt), rng.integers(0, 3, (T, m)).astype(float), Shock())
        for sel in ("lookahead", "static"):
            res = solve_lindahl(pb, sel)
            D, S = res.cumulative_demand(pb), pb.cumulative_supply()
            for i, order in enumerate(pb.orders):
                k = pb.offsets[i]
                for y in np.flatnonzero(res.lotteries[i] > 1e-9):
                    for x in range(m):
                        if order.rank[x] < order.rank[y]:
                            checked += 1
                            assert D[k, x] == pytest.approx(S[k, x], abs=1e-9)
                            assert res.prices[k, x] > 0 or S[k, x] - D[k, x] <= 1e-9
    assert checked > 50


def test_degenerate_case_generalises_price_equilibria():
    """Supply deterministic and all at period 1: the look-ahead period-1 lotteries are SEM's (1)-equilibrium
    lotteries of the period-1 types (Theorem 6's remark: Lindahl equilibria generalize price equilibria)."""
    rng = np.random.default_rng(5)
    from mechanisms.sem import default_budgets

    for _ in range(20):
        m, T, nt = 3, 3, 6
        orders = tuple(rand_order(rng, m) for _ in range(nt))
        masses, offs = rng.random(nt) * 2, np.sort(rng.integers(0, T, nt))
        s = rng.integers(0, 3, m).astype(float)
        supply = np.zeros((T, m))
        supply[0] = s
        pb = LindahlProblem(orders, masses, offs, supply, Shock())
        res = solve_lindahl(pb, "lookahead")
        sem = solve_ntb(EquilibriumProblem(orders, masses, offs, default_budgets(T, Shock()), s, Shock()))
        first = offs == 0
        assert np.allclose(res.lotteries[first], sem.lotteries[first], atol=1e-12)
        # and the time tax of SEM's decreasing budgets: p^1 = p - (b^1 - 1) on what period 1 exhausts
        b1 = default_budgets(T, Shock())[0]
        hit = sem.prices >= b1 - 0.1 - 1e-9
        assert np.allclose(res.prices[0][hit], sem.prices[hit] - (b1 - 1.0))


def test_problem_validation_names_fields():
    with pytest.raises(ConfigError, match="offsets"):
        LindahlProblem((X,), np.array([1.0]), np.array([2]), np.array([[1.0], [1.0]]), SHOCK)
    with pytest.raises(ConfigError, match="shock"):
        LindahlProblem((X,), np.array([1.0]), np.array([0]), np.array([[1.0]]), Shock(halfwidth=1.5))
    with pytest.raises(ConfigError, match="prices"):
        check_lindahl(doubling(), np.zeros((3, 1)))
    with pytest.raises(ConfigError, match="selection"):
        solve_lindahl(doubling(), "best")
    assert selection_at(doubling(), np.zeros((2, 1)))[:, 0].tolist() == [1.0, 1.0]
