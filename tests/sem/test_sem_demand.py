"""Demand and lottery demand (SEM Section 3.1) against hand computations, ties included."""
import numpy as np
import pytest

from mechanisms.errors import ConfigError
from mechanisms.preferences import WeakOrder
from mechanisms.sem import Shock, demand, lottery_demand, rtb_lottery

NAMES = ["a", "b", "c"]


def wo(text: str) -> WeakOrder:
    return WeakOrder.parse(text, NAMES)


def test_demand_takes_best_affordable_class():
    # a unaffordable (1.2 > 1), o preferred to the rest: the null option
    assert demand(wo("a > o > b"), 1.0, [1.2, 0.1, 0.1, 0.0]) == (3,)
    assert demand(wo("a > o > b"), 1.0, [0.9, 0.1, 0.1, 0.0]) == (0,)


def test_demand_cheapest_within_class_and_ties():
    o = wo("{a,b} > o")
    assert demand(o, 1.0, [0.5, 0.3, 9.0, 0.0]) == (1,)
    assert demand(o, 1.0, [0.4, 0.4, 9.0, 0.0]) == (0, 1)          # exact tie: the correspondence
    assert demand(o, 1.0, [1.5, 0.3, 9.0, 0.0]) == (1,)           # only b affordable
    assert demand(o, 1.0, [1.5, 1.3, 9.0, 0.0]) == (3,)           # neither: null


def test_lottery_demand_hand_computed_with_tie():
    # H = U[-0.1, 0.1]; b = 1; p_a = 1.05: a affordable iff c <= -0.05, probability 0.25
    sh = Shock("uniform", 0.1)
    L = lottery_demand(wo("a > {b,c} > o"), 1.0, [1.05, 0.5, 0.5], sh)
    assert L.class_masses() == pytest.approx([0.25, 0.75])
    assert L.contains([0.25, 0.75, 0.0, 0.0])
    assert L.contains([0.25, 0.375, 0.375, 0.0])
    assert L.contains([0.25, 0.0, 0.75, 0.0])
    assert not L.contains([0.3, 0.7, 0.0, 0.0])
    assert not L.contains([0.25, 0.7, 0.0, 0.05])
    assert L.selection() == pytest.approx([0.25, 0.375, 0.375, 0.0])
    # break the tie: only the cheaper member is demanded
    L2 = lottery_demand(wo("a > {b,c} > o"), 1.0, [1.05, 0.5, 0.6], sh)
    assert not L2.contains([0.25, 0.375, 0.375, 0.0])
    assert L2.contains([0.25, 0.75, 0.0, 0.0])


def test_lottery_demand_triangular_cdf():
    sh = Shock("triangular", 0.2)
    # p_a = b: affordable iff c <= 0, probability H(0) = 1/2; b at 0.9 iff c <= 0.1:
    # H(0.1) = 1 - 2 (1 - 0.75)^2 = 0.875; the rest (0.125) is the null option
    L = lottery_demand(wo("a > b > o"), 1.0, [1.0, 0.9, 5.0], sh)
    assert L.class_masses() == pytest.approx([0.5, 0.375, 0.125])
    assert sh.cdf(-0.1) == pytest.approx(0.125)
    assert sh.ppf(sh.cdf(0.07)) == pytest.approx(0.07)


def test_null_in_tie_and_selection_prefers_null():
    L = lottery_demand(wo("{a,o} > b"), 1.0, [0.0, 0.0, 0.0], Shock())
    assert L.contains([0.0, 0.0, 0.0, 1.0]) and L.contains([1.0, 0.0, 0.0, 0.0])
    assert L.selection() == pytest.approx([0, 0, 0, 1])


def test_rtb_lottery_splits_ties_and_reports_error():
    sh = Shock("uniform", 0.1, "random", 0.01)
    zeta = sh.sample_zeta(np.random.default_rng(0), (4000, 4))
    lot, se = rtb_lottery(wo("{a,b} > o"), 1.0, [0.5, 0.5, 2.0], sh, zeta)
    assert lot.sum() == pytest.approx(1.0)
    assert abs(lot[0] - 0.5) < 4 * se[0] + 1e-12 and se[0] > 0
    # prices far apart compared with z: the RTB lottery equals the NTB one
    lot2, _ = rtb_lottery(wo("{a,b} > o"), 1.0, [0.5, 0.7, 2.0], sh, zeta)
    assert lot2 == pytest.approx([1.0, 0.0, 0.0, 0.0])


def test_shock_validation_names_the_field():
    with pytest.raises(ConfigError, match="shock.halfwidth"):
        Shock("uniform", -1.0)
    with pytest.raises(ConfigError, match="shock.z"):
        Shock("uniform", 0.1, "none", 0.01)
    with pytest.raises(ConfigError, match="shock.z"):
        Shock("uniform", 0.1, "random", 0.0)
    with pytest.raises(ConfigError, match="shock.kind"):
        Shock("cauchy", 0.1)


@pytest.mark.parametrize("kind", ["uniform", "triangular"])
def test_rtb_quadrature_matches_draws(kind):
    from mechanisms.sem.demand import rtb_lottery_quad
    sh = Shock(kind, 0.1, "random", 0.02)
    zeta = sh.sample_zeta(np.random.default_rng(0), (100_000, 4))
    for text, p in [("a > {b,c} > o", [1.0, 0.99, 1.0]), ("a > b > o", [1.02, 0.95, 0.0])]:
        q = rtb_lottery_quad(wo(text), 1.0, p, sh)
        mc, se = rtb_lottery(wo(text), 1.0, p, sh, zeta)
        assert q.sum() == pytest.approx(1.0, abs=1e-12)
        assert np.all(np.abs(q - mc) <= 4.5 * se + 1e-6)
    # uniform shocks, hand computation: a at 1.02 +- 0.02 vs budget 1 + c, c ~ U[-0.1, 0.1]:
    # P(a) = E[H(1 - p_a - zeta_a)] = E[(0.08 - zeta_a + 0.1) / 0.2]... = 0.4
    if kind == "uniform":
        assert rtb_lottery_quad(wo("a > b > o"), 1.0, [1.02, 0.95, 0.0], sh)[0] == pytest.approx(0.4, abs=1e-12)
