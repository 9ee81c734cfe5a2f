"""The bound functions reproduce Corollaries 1-3 (Theorems 2 and 4, Lemmas 2 and 4)."""
from __future__ import annotations

import math

import pytest

from mechanisms.errors import ConfigError
from mechanisms.procurement import bounds as b


def test_corollary1_consistency_about_6_and_146():
    # tau = 1: Mechanism 2 alone; tau = 0: Mechanism 3 alone
    assert round(b.mech1_consistency(1.0)) == 6
    assert b.mech1_consistency(1.0) == pytest.approx(1 / b.lemma2_fraction(0.0))
    assert round(b.mech1_consistency(0.0)) == 146
    assert b.mech1_consistency(0.0) == pytest.approx(1 / b.lemma4_fraction())


def test_corollary2_robustness_about_146():
    # an arbitrarily bad prediction (eps -> 1) leaves Mechanism 3's part
    assert round(b.mech1_robustness(0.0)) == 146
    tau = 0.3
    assert b.theorem2_ratio(1.0, tau) == pytest.approx(146 / (1 - tau), rel=0.01)
    # the exact Theorem 2 factor is within 3% of Corollary 2's rounded form on a grid
    for eps in (0.0, 0.25, 0.5, 0.9):
        for tau in (0.0, 0.5, 1.0):
            assert b.theorem2_ratio(eps, tau) == pytest.approx(b.corollary2_ratio(eps, tau), rel=0.03)


def test_corollary3_mech4_95_and_280():
    assert round(b.mech4_consistency()) == 95
    assert round(b.mech4_robustness()) == 280
    # monotone in eps: a worse prediction never improves the guarantee
    vals = [b.theorem4_ratio(e) for e in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    assert vals == sorted(vals)


def test_lemma2_hand_value():
    # f_1 = min{a p/z, (1-p) a (z-1)/z, (1-p)(1-a)} at Corollary 1's values
    p, a, z = 0.46, 0.685, 1.85
    want = min(a * p / z, (1 - p) * a * (z - 1) / z, (1 - p) * (1 - a))
    assert b.lemma2_fraction(0.0) == pytest.approx(want)
    assert b.lemma4_p_tilde(0.29, 2.1, 0.174) == pytest.approx(0.6444, abs=1e-4)


def test_weaker_sample_solver_weakens_the_bound():
    g = b.GAMMA_SVIRIDENKO / 2
    assert b.theorem2_ratio(0.0, 0.0, gamma=g) > b.theorem2_ratio(0.0, 0.0)
    assert b.theorem4_ratio(0.0, gamma=g) > b.theorem4_ratio(0.0)


def test_vacuous_bound_is_infinite_and_bad_eps_rejected():
    # beta above 1/2 - delta makes Lemma 4's second term negative: no guarantee
    assert b.theorem2_ratio(0.0, 0.0, mech3={"beta": 0.9}) == math.inf
    with pytest.raises(ConfigError, match="eps"):
        b.lemma2_fraction(1.5)
    with pytest.raises(ConfigError, match="tau"):
        b.theorem2_ratio(0.0, 2.0)
