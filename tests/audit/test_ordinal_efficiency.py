"""Asymptotic efficiency (SEM paper, Definition 4; Theorem 5 (i)-(ii)): the run-level certificate
and its trend across replica sizes; the reversed-preferences mutant is caught, SEM is not."""
import numpy as np
import pytest

from abm.audit.claims import OE_EPS, check_ordinal_efficiency
from abm.audit.studies import efficiency_study, family_build
from mechanisms import make_mechanism
from mechanisms.checks.lottery import efficient_distance_bound, ordinal_efficiency_lp, stochastically_dominates
from mechanisms.engine import run_schedule
from mechanisms.errors import ConfigError
from mechanisms.preferences import WeakOrder
from mechanisms.spec import Claim

from audit_helpers import sem_market

CLAIM = Claim("ordinal_efficiency_asymptotic", "Definition 4", "")


def _two_agents():
    # opposite favourites, one unit of each object: giving each agent half of both is inefficient
    a = WeakOrder(2, ((0,), (1,), (2,)))
    b = WeakOrder(2, ((1,), (0,), (2,)))
    return a, b


def test_bound_is_zero_on_an_efficient_allocation_and_positive_on_an_inefficient_one():
    a, b = _two_agents()
    good = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    assert efficient_distance_bound([a, b], good, [1.0, 1.0])[0] == 0.0
    mixed = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])
    d, star = efficient_distance_bound([a, b], mixed, [1.0, 1.0])
    assert d == pytest.approx(0.5)
    # the certificate is efficient and SD-dominates the mix for both agents
    assert ordinal_efficiency_lp([a, b], star, [1.0, 1.0])[0]
    assert all(stochastically_dominates(star[i], mixed[i], o) for i, o in enumerate((a, b)))


def test_bound_refuses_an_infeasible_allocation():
    a, b = _two_agents()
    with pytest.raises(ConfigError, match="lotteries"):
        efficient_distance_bound([a, b], np.array([[1.0, 0, 0], [1.0, 0, 0]]), [1.0, 1.0])


@pytest.mark.parametrize("name, n, expect", [("sem", 32, "holds"), ("mutant_sem_reversed_preferences", 32, "violated")])
def test_run_checker_certifies_sem_and_catches_the_reversed_mutant(name, n, expect):
    market, types, sched = sem_market(n=n, seed=1)
    run = run_schedule(lambda: make_mechanism(name, market), sched, 1)
    res = check_ordinal_efficiency(run, types, CLAIM)
    assert res.status == expect, res.detail
    assert f"replica n={n}" in res.detail


def test_trend_study_separates_sem_from_the_mutant():
    sem = efficiency_study(family_build("ps_last_period", "sem"), [6, 24], range(1, 8))
    bad = efficiency_study(family_build("ps_last_period", "mutant_sem_reversed_preferences"), [6, 24], range(1, 8))
    assert not sem.label.startswith("violated"), sem.verdict
    assert bad.label.startswith("violated"), bad.verdict
    assert sum(r["events"] for r in bad.rows) > sum(r["events"] for r in sem.rows)
    assert OE_EPS > 0
