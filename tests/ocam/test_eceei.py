"""The ECEEI solver (Definition 4), its certificate checker and the Proposition 3 realisation."""
from __future__ import annotations

import dataclasses
import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms import BundleRanking, ConfigError
from mechanisms.datasets.preflib import course_market, read_soc
from mechanisms.ocam import TypeTable, clearing_lp, realise, solve_eceei, verify_eceei
from mechanisms.ocam.eceei import assumption2_capacity

AGH = "/work/shared/data/preflib/agh-2004.soc"


@pytest.fixture(scope="module")
def agh():
    goods, ranks = course_market(read_soc(AGH), 3, 0.9)
    return goods, ranks


def test_agh_exact_clearing_and_certificate(agh):
    goods, ranks = agh
    cert = solve_eceei(ranks, goods.capacity.astype(float), 0.02)
    assert cert.converged and cert.error <= 1e-9
    check = verify_eceei(cert, agent_types=ranks)
    assert check.ok, check.problems
    np.testing.assert_allclose(cert.demand, goods.capacity, rtol=1e-9)
    # every budget realisation is in [1 - eps, 1], and types share one random budget
    for sup in cert.support:
        assert all(0.98 - 1e-12 <= b <= 1 for _, b, _ in sup)


def test_agh_realisation_within_proposition3_bound(agh):
    goods, ranks = agh
    cert = solve_eceei(ranks, goods.capacity.astype(float), 0.02)
    real = realise(cert)
    assert real.within_bound and real.l2_error <= real.bound
    _, of = TypeTable.from_reports(ranks)
    bundles, budgets = real.assign(of)
    assert len(bundles) == len(ranks)
    # each agent's realised bundle is its best affordable at its realised budget (an A-CEEI)
    for r, b, bud in zip(ranks, bundles, budgets):
        assert r.best_affordable(cert.prices, bud) == b and 0.98 - 1e-12 <= bud <= 1


@st.composite
def small_economy(draw):
    m = draw(st.integers(2, 4))
    T = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    types = []
    for _ in range(T * 3):
        r = BundleRanking.from_scores(rng.random(m) + 0.01, int(rng.integers(1, m + 1)))
        if r not in types:
            types.append(r)
        if len(types) == T:
            break
    counts = [int(c) for c in rng.integers(1, 6, size=len(types))]
    cap = rng.integers(0, 8, size=m).astype(float) * draw(st.sampled_from([1.0, 0.37]))
    eps = draw(st.sampled_from([0.01, 0.05, 0.2]))
    return types, counts, cap, eps


@settings(max_examples=25, deadline=None)
@given(small_economy())
def test_certificate_on_random_small_markets(econ):
    types, counts, cap, eps = econ
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # non-convergence is asserted via .converged
        cert = solve_eceei(dict(zip(types, counts)), cap, eps, max_iter=3000, time_limit=2.0, exact_time_limit=5.0)
    check = verify_eceei(cert)
    # Structural conditions always hold; clearing is reported exactly as recomputed.
    assert check.budgets_in_range and check.optimal and check.probabilities and check.prices_nonnegative
    assert check.same_type_same_budget
    assert check.clearing_error == pytest.approx(cert.error, abs=1e-12)
    assert cert.converged == (cert.error <= cert.tol)
    if cert.converged:
        assert check.ok, check.problems


def test_random_markets_converge():
    """Typical random markets clear exactly (the solver is not merely 'reporting' failure)."""
    rng = np.random.default_rng(5)
    for _ in range(5):
        m = 6
        types = list({BundleRanking.from_scores(rng.random(m) ** 2, 3, top=15) for _ in range(12)})
        counts = rng.integers(1, 10, size=len(types))
        top = sum(c * t.matrix[0] for c, t in zip(counts, types))
        cap = np.full(m, 0.8 * top.sum() / m)
        cert = solve_eceei(dict(zip(types, counts)), cap, 0.02)
        assert cert.converged, cert.error
        assert verify_eceei(cert).ok


def test_brute_force_tiny_market_agrees():
    """A 2-good market: a price grid finds an exact-clearing price, and so does the solver."""
    g = 2
    r1 = BundleRanking(g, (0b11, 0b01, 0b10))
    r2 = BundleRanking(g, (0b01, 0b10))
    r3 = BundleRanking(g, (0b10, 0b11))
    econ = {r1: 2, r2: 3, r3: 1}
    cap = np.array([3.0, 2.0])
    table = TypeTable(list(econ), list(econ.values()))
    grid = np.linspace(1.1, 0, 45)  # step 0.025, scanned from high prices down; stop at the first hit
    found = next(((a, b) for a, b in itertools.product(grid, grid)
                  if clearing_lp(table, np.array([a, b]), cap, 0.9).error <= 1e-9), None)
    assert found is not None, "brute force found no ECEEI on the grid"
    cert = solve_eceei(econ, cap, 0.1)
    assert cert.converged and verify_eceei(cert).ok


def test_zero_price_equilibrium_when_supply_suffices():
    r = BundleRanking(2, (0b11,))
    cert = solve_eceei({r: 2}, np.array([5.0, 5.0]), 0.05)
    assert cert.converged and np.all(cert.prices == 0)
    assert cert.support[0] == [(0b11, 0.95, 1.0)]


def test_zero_capacity_good_is_priced_out():
    r = BundleRanking(2, (0b01, 0b10))
    cert = solve_eceei({r: 3}, np.array([0.0, 3.0]), 0.05)
    assert cert.converged and cert.demand[0] == 0 and cert.prices[0] > 1
    assert verify_eceei(cert).ok


# ---- the certificate checker must fail on broken certificates (mutants) -----------------
@pytest.fixture(scope="module")
def good_cert(agh):
    goods, ranks = agh
    return solve_eceei(ranks, goods.capacity.astype(float), 0.02)


def _mutate_support(cert, f):
    sup = [list(s) for s in cert.support]
    f(sup)
    return dataclasses.replace(cert, support=sup)


def test_checker_flags_budget_out_of_range(good_cert):
    bad = _mutate_support(good_cert, lambda s: s.__setitem__(0, [(b, 0.5, q) for b, _, q in s[0]]))
    chk = verify_eceei(bad)
    assert not chk.ok and not chk.budgets_in_range


def test_checker_flags_non_optimal_bundle(good_cert):
    t = next(i for i, s in enumerate(good_cert.support) if s[0][0] != good_cert.types[i].bundles[-1])

    def swap(s):
        b, bud, q = s[t][0]
        other = next(x for x in good_cert.types[t].bundles if x != b)
        s[t][0] = (other, bud, q)
    chk = verify_eceei(_mutate_support(good_cert, swap))
    assert not chk.ok and not chk.optimal


def test_checker_flags_clearing_and_slackness(good_cert):
    bad = dataclasses.replace(good_cert, capacity=good_cert.capacity + 1.0)
    chk = verify_eceei(bad)
    assert not chk.ok and not chk.slackness and chk.clearing_error > 1e-9


def test_checker_flags_bad_probabilities_and_type_multiplicity(good_cert, agh):
    bad = _mutate_support(good_cert, lambda s: s.__setitem__(0, [(b, bud, q * 0.5) for b, bud, q in s[0]]))
    assert not verify_eceei(bad).probabilities
    chk = verify_eceei(good_cert, agent_types=agh[1][:-1])
    assert not chk.ok and not chk.same_type_same_budget


def test_realisation_bound_checked_on_random_markets():
    rng = np.random.default_rng(11)
    for _ in range(3):
        m = 8
        types = list({BundleRanking.from_scores(rng.random(m), 3, top=20) for _ in range(30)})
        counts = rng.integers(1, 6, size=len(types))
        top = sum(c * t.matrix[0] for c, t in zip(counts, types))
        cert = solve_eceei(dict(zip(types, counts)), np.full(m, 0.9 * top.sum() / m), 0.02)
        real = realise(cert)
        assert real.within_bound, (real.l2_error, real.bound)


@pytest.mark.parametrize("kwargs, field", [
    ({"eps": 0.0}, "eps_b"), ({"eps": 1.0}, "eps_b"),
    ({"capacity": [-1.0, 1.0]}, "capacity"), ({"capacity": [1.0]}, "capacity"),
])
def test_bad_inputs_raise_config_error(kwargs, field):
    r = BundleRanking(2, (0b01,))
    args = {"rankings": [r], "capacity": [1.0, 1.0], "eps": 0.05}
    args.update(kwargs)
    with pytest.raises(ConfigError) as e:
        solve_eceei(**args)
    assert e.value.field == field


def test_empty_economy_raises():
    with pytest.raises(ConfigError):
        solve_eceei([], [1.0], 0.05)


def test_assumption2_formula():
    n, m, tau, en, ef = 10_000, 7, 70, 0.2, 0.2
    es = en * ef / 4
    want = 70 * (tau * np.log(es * n) + np.log(m) + np.sqrt(n) * np.log(n)) / (es * ef ** 2)
    assert assumption2_capacity(n, m, tau, en, ef) == pytest.approx(want)
    assert assumption2_capacity(n, m, tau, en, ef, with_sqrt=False) < want


def test_nonconvergence_is_reported_not_hidden(agh):
    goods, ranks = agh
    with pytest.warns(RuntimeWarning, match="clearing error"):
        cert = solve_eceei(ranks, goods.capacity.astype(float), 0.02, max_iter=2, fallback="none")
    assert not cert.converged and cert.error > 1e-9
    chk = verify_eceei(cert)
    assert not chk.ok and chk.clearing_error == pytest.approx(cert.error, abs=1e-12)
    assert chk.budgets_in_range and chk.optimal  # the best certificate found is still well formed


def test_homotopy_rescues_a_complements_market():
    """Students wanting exactly two courses: direct tatonnement cycles, the band homotopy clears."""
    from mechanisms.ocam.markets import course_allocation_market

    mk, rs = course_allocation_market(200, 7, 2, np.random.default_rng(0), top=None)
    cap = mk.goods.capacity.astype(float)
    with pytest.warns(RuntimeWarning):
        direct = solve_eceei(rs, cap, 0.02, max_iter=500, direct_iter=500, fallback="none")
    assert not direct.converged
    cert = solve_eceei(rs, cap, 0.02)
    assert cert.converged and verify_eceei(cert, agent_types=rs).ok
