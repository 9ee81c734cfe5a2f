"""EF1 (Definition 2), DACEEI (Definition 1) and Pareto (Definition 3) checkers: known answers
on hand-built cases, and each checker failing on a deliberately broken mechanism (mutant)."""
from __future__ import annotations

import numpy as np
import pytest

from mechanisms import BundleRanking, Report, make_mechanism, run_schedule
from mechanisms.checks.daceei import check_daceei
from mechanisms.checks.envy import check_ef1, envies_up_to_one
from mechanisms.checks.pareto import check_pareto
from mechanisms.ocam import OCAM, RandomBudget
from mechanisms.ocam.markets import random_market

A, B, C = 0b001, 0b010, 0b100
AB, AC, BC, ABC = A | B, A | C, B | C, A | B | C


# ---- EF1 -------------------------------------------------------------------------------
def test_ef1_known_answers():
    r = BundleRanking(3, (ABC, AB, A, B, C))
    # {} vs {a,b}: removing a leaves {b} > {} -> still envious: violation
    assert envies_up_to_one(r, 0, AB)
    res = check_ef1([0, AB], [r, r])
    assert not res.ok and (res.envier, res.envied) == (0, 1) and res.other == AB
    # {a} vs {a,b}: removing b leaves {a}, equal -> fine
    assert not envies_up_to_one(r, A, AB)
    # {b} vs {a,b,c}: removing any good leaves a 2-good bundle; {a,b} > {b}, {a,c}/{b,c} infeasible
    # for this ranking (utility -inf): removing a gives {b,c}, infeasible -> envy removed
    assert not envies_up_to_one(r, B, ABC)
    # {c} envies {a}, but removing a leaves {} which {c} beats: single goods are always EF1
    assert not envies_up_to_one(r, C, A)
    assert check_ef1([A, B, C], [r, r, r]).ok


def test_one_bundle_ranking_puts_infeasible_bundles_below_the_empty_bundle():
    """OCAM Section 3.1: r_i(0) = 0 and r_i(x) = -inf off Psi_i. The ranking the run tables and
    sweeps read (``true_rank``) and the auditor's gain are the same function: they agree on an
    infeasible bundle."""
    from abm.audit.gains import bundle_rank_gain, compare_bundles
    from abm.model import true_rank
    from mechanisms import BundleOutcome

    r = BundleRanking(3, (AB, A, B))
    assert [r.rank(x) for x in (AB, A, B, 0, C, ABC)] == [0, 1, 2, 3, 4, 4]
    assert r.prefers(0, C) and not r.prefers(C, 0)
    # truth: nothing; the deviation got {c}, which the true type does not accept: a loss
    assert bundle_rank_gain(r, 0, C) == -1 and not compare_bundles(r, 0, C).profitable
    ranks = [true_rank(BundleOutcome(0, 0, x), r) for x in (0, C)]
    assert ranks == [4, 5] and ranks[0] - ranks[1] == bundle_rank_gain(r, 0, C)


def test_ef1_singletons_always_ef1():
    r = BundleRanking(3, (A, B, C))
    assert check_ef1([A, B, C, 0], [r, r, r, r]).ok


def _ocam_run(n: int, m: int, seed: int, n_types: int):
    """Return (market, rankings, schedule, allocation, post-sample agents) of an OCAM run, eps_n = eps_f = 0.4."""
    mk, rs = random_market(n, m, 2, np.random.default_rng(seed), n_types=n_types, capacity_factor=0.8)
    sched = [[Report(i, r)] for i, r in enumerate(rs)]
    al = run_schedule(lambda: make_mechanism("ocam", mk, {"eps_n": 0.4, "eps_f": 0.4}), sched, 1).mechanism.allocation()
    return mk, rs, sched, al, np.flatnonzero(~al["sample"])


def test_ef1_on_ocam_run_and_mutant():
    mk, rs, sched, al, post = _ocam_run(150, 5, 2, 20)
    assert check_ef1(al["bundles"][post].tolist(), [rs[i] for i in post]).ok

    class Unequal(OCAM):
        """Mutant: even-numbered online agents get budget 0.4 (outside [1 - eps_b, 1]) and,
        with it, nothing at all."""

        def _budget_for(self, agent, d):
            rb, k = super()._budget_for(agent, d)
            if agent % 2 == 0:
                return RandomBudget([(0.4, 1.0)]), 0
            return rb, k

        def _choice(self, d, rb, k):
            if rb.budgets[k] < 0.5:
                return 0, 0.0, np.zeros(self._cap.size, dtype=np.int64)
            return super()._choice(d, rb, k)

    bad = run_schedule(lambda: Unequal(mk, eps_n=0.4, eps_f=0.4), sched, 1)
    bl = bad.mechanism.allocation()
    assert not check_ef1(bl["bundles"][post].tolist(), [rs[i] for i in post]).ok
    d = check_daceei(bl["bundles"], bl["budgets"], rs, bad.mechanism.prices, mk.goods.capacity, 0.02, 0.4, 0.4)
    assert not d.holds("ii") and not d.holds("i")
    assert d.violations["ii"].k >= d.k_from


# ---- DACEEI ----------------------------------------------------------------------------
def _simple():
    """4 agents, 1 good of capacity 4, price 0.5: all buy it (budget 1)."""
    r = BundleRanking(1, (1,))
    return [1, 1, 1, 1], [1.0] * 4, [r] * 4, [0.5], [4]


def test_daceei_holds_on_exact_case():
    res = check_daceei(*_simple(), eps_b=0.1, eps_n=0.25, eps_f=0.1)
    assert res.ok and res.k_from == 1


def test_daceei_condition_i_fails_when_bundle_not_demanded():
    b, bud, r, p, c = _simple()
    b[2] = 0  # agent 3 can afford the good but got nothing
    res = check_daceei(b, bud, r, p, c, eps_b=0.1, eps_n=0.25, eps_f=1.0)
    assert not res.holds("i") and res.violations["i"].k == 3


def test_daceei_condition_ii_reports_margin():
    b, bud, r, p, c = _simple()
    bud[3] = 0.7
    res = check_daceei(b, bud, r, p, c, eps_b=0.1, eps_n=0.25, eps_f=1.0, conditions=("ii",))
    v = res.violations["ii"]
    assert v.k == 4 and v.margin == pytest.approx(0.2)


def test_daceei_iii_and_iv_first_k_and_good():
    r = BundleRanking(2, (0b11, 0b01))
    # capacity 2 per good, n = 4: share k*c/n = k/2; agents 1-2 take both goods -> good 0 over at k=1
    b = [0b11, 0b11, 0, 0]
    res = check_daceei(b, [1.0] * 4, [r] * 4, [0.1, 0.2], [2, 2], eps_b=0.1, eps_n=0.25, eps_f=0.5,
                       conditions=("iii", "iv"))
    assert res.violations["iii"].k == 1 and res.violations["iii"].good == 0
    assert res.violations["iii"].margin == pytest.approx(1 - 1.5 * 0.5)
    # at k=4: cumulative 2 per good >= (1 - 0.5) * 2 -> (iv) holds; make good 1 unused instead
    b2 = [0b01, 0b01, 0, 0]
    res2 = check_daceei(b2, [1.0] * 4, [r] * 4, [0.1, 0.2], [2, 2], eps_b=0.1, eps_n=0.5, eps_f=0.5,
                        conditions=("iii", "iv"))
    assert res2.violations["iv"].k == 2 and res2.violations["iv"].good == 1
    # a good with price 0 is exempt from (iv)
    res3 = check_daceei(b2, [1.0] * 4, [r] * 4, [0.1, 0.0], [2, 2], eps_b=0.1, eps_n=0.5, eps_f=0.5,
                        conditions=("iv",))
    assert res3.holds("iv")


def test_daceei_ignores_agents_before_eps_n_n():
    b, bud, r, p, c = _simple()
    bud[0] = 0.1  # agent 1 breaks (ii), but k starts at ceil(0.5 * 4) = 2
    assert check_daceei(b, bud, r, p, c, eps_b=0.1, eps_n=0.5, eps_f=1.0).holds("ii")


def test_daceei_mutant_mechanism_ignoring_prices_fails_i():
    mk, rs = random_market(150, 5, 2, np.random.default_rng(4), n_types=20, capacity_factor=0.8)
    sched = [[Report(i, r)] for i, r in enumerate(rs)]

    class Greedy(OCAM):
        """Mutant: online agents take their top bundle regardless of price."""

        def _choice(self, d, rb, k):
            b = d.bundles[0]
            return b, 0.0, (b >> np.arange(self._cap.size)) & 1

    run = run_schedule(lambda: Greedy(mk, eps_n=0.4, eps_f=0.4), sched, 1)
    al = run.mechanism.allocation()
    res = check_daceei(al["bundles"], al["budgets"], rs, run.mechanism.prices, mk.goods.capacity, 0.02, 0.4, 0.4)
    assert not res.holds("i")
    truthful = run_schedule(lambda: make_mechanism("ocam", mk, {"eps_n": 0.4, "eps_f": 0.4}), sched, 1)
    tl = truthful.mechanism.allocation()
    assert check_daceei(tl["bundles"], tl["budgets"], rs, truthful.mechanism.prices, mk.goods.capacity,
                        0.02, 0.4, 0.4, conditions=("i", "ii")).ok


# ---- Pareto ----------------------------------------------------------------------------
def test_pareto_known_answers():
    r1 = BundleRanking(2, (0b01, 0b10))
    r2 = BundleRanking(2, (0b10, 0b01))
    # swapped goods: both would gain by trading -> not Pareto efficient
    res = check_pareto([0b10, 0b01], [r1, r2])
    assert not res.ok and res.improvement == [0b01, 0b10] and res.improved_agents == [0, 1]
    assert check_pareto([0b01, 0b10], [r1, r2]).ok
    # an unused good cannot be handed out: realised supply only (Proposition 2)
    assert check_pareto([0b01, 0], [r1, r2]).ok
    assert not check_pareto([0b01, 0], [r1, r2], supply=[1, 1]).ok


def test_pareto_on_ocam_post_sample_agents_and_mutant():
    mk, rs, sched, al, post = _ocam_run(40, 4, 6, 8)
    # Proposition 2 (revealed preference) holds for any prices/budgets of the online phase
    assert check_pareto(al["bundles"][post].tolist(), [rs[i] for i in post]).ok
    # mutant: reverse the allocation among post-sample agents -> someone is made worse, a trade fixes it
    rev = al["bundles"][post][::-1].tolist()
    assert not check_pareto(rev, [rs[i] for i in post]).ok


def test_checkers_reject_bad_input():
    from mechanisms import ConfigError
    b, bud, r, p, c = _simple()
    with pytest.raises(ConfigError) as e:
        check_daceei(b, bud[:2], r, p, c, eps_b=0.1, eps_n=0.25, eps_f=0.1)
    assert e.value.field == "budgets/rankings"
    with pytest.raises(ConfigError) as e:
        check_daceei(b, bud, r, p, c, eps_b=0.1, eps_n=0.0, eps_f=0.1)
    assert e.value.field == "eps_n"
    with pytest.raises(ConfigError) as e:
        check_daceei(b, bud, r, [-1.0], c, eps_b=0.1, eps_n=0.5, eps_f=0.1)
    assert e.value.field == "prices"
    r1 = BundleRanking(2, (0b01, 0b10))
    with pytest.raises(ConfigError) as e:
        check_pareto([0b01], [r1], supply=[-1, 1])
    assert e.value.field == "supply"
