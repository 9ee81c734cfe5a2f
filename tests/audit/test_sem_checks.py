"""The (t)-equilibrium check (issue 11, item 3): each period's published prices form a
(t)-equilibrium of the realised remaining market (SEM paper, Definition 1; Section 4.1),
recomputed by the auditor from the run's public record. Holds on faithful SEM (NTB and RTB),
fails on mutants: equal budgets, prices perturbed after the solve, prices not published."""
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from abm.audit import CLAIM_CHECKERS, audit
from abm.audit.checks_sem import check_t_equilibrium, clearing_violation
from mechanisms.engine import run_schedule
from mechanisms.mechanism_registry import make_mechanism
from mechanisms.public_state import ObjectsPublic
from mechanisms.sem import SequentialEquilibriumMechanism, Shock, lottery_demand
from mechanisms.sem.families import family_market, family_schedule
from mechanisms.spec import Claim

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sem"))
from sem_helpers import random_schedule, section62

CLAIM = Claim("t_equilibrium", "test")


class PerturbedPricesSEM(SequentialEquilibriumMechanism):
    """Publishes its prices with object 0 raised by 0.05: the published vector is no equilibrium."""

    spec = replace(SequentialEquilibriumMechanism.spec, name="test_sem_perturbed_prices")

    def public(self):
        out = super().public()
        if out.prices is None:
            return out
        return replace(out, prices=[p + 0.05 if k == 0 else p for k, p in enumerate(out.prices)])


class SilentSEM(SequentialEquilibriumMechanism):
    """Publishes no prices at all (only the remaining supply)."""

    spec = replace(SequentialEquilibriumMechanism.spec, name="test_sem_silent")

    def public(self):
        return ObjectsPublic(remaining=self._remaining.tolist(), prices=None, period=None, clearing_error=None)


def _run(factory, sched, seed=1):
    return run_schedule(factory, sched, seed)


@pytest.mark.parametrize("n,seed", [(1, 0), (3, 2), (8, 4)])
def test_faithful_sem_prices_are_t_equilibria_on_the_family(n, seed):
    mk = family_market("ps_last_period", n)
    sched, types = family_schedule(mk, seed)
    market = mk.market()
    res = check_t_equilibrium(_run(lambda: make_mechanism("sem", market), sched, seed), types, CLAIM)
    assert res.status == "holds", res.detail
    assert "3 period(s)" in res.detail and "the mechanism reported clearing errors" in res.detail


@pytest.mark.parametrize("shock", [Shock(), Shock("uniform", 0.1, "random", 0.01)], ids=["ntb", "rtb"])
def test_faithful_sem_prices_are_t_equilibria_on_section62(shock):
    mk = section62(3, 2, shock=shock)
    market = mk.market()
    res = check_t_equilibrium(_run(lambda: make_mechanism("sem", market), random_schedule(mk, 1)), {}, CLAIM)
    assert res.status == "holds", res.detail


def test_equal_budgets_mutant_fails_condition_1():
    mk = section62(2)
    market = mk.market()
    res = check_t_equilibrium(_run(lambda: make_mechanism("mutant_sem_equal_budgets", market),
                                   random_schedule(mk, 4), 4), {}, CLAIM)
    assert res.violated and res.condition == "1"
    assert "period 1" in res.detail and "demand exceeds the supply left" in res.detail


def test_perturbed_and_missing_prices_are_violations():
    mk = section62(3)
    market, sched = mk.market(), random_schedule(mk, 2)
    bad = check_t_equilibrium(_run(lambda: PerturbedPricesSEM(market), sched, 2), {}, CLAIM)
    assert bad.violated and bad.condition in ("1", "2", "selection", "allocation")
    silent = check_t_equilibrium(_run(lambda: SilentSEM(market), sched, 2), {}, CLAIM)
    assert silent.violated and silent.condition == "prices" and "no prices published" in silent.detail
    # a run that recorded no public snapshots cannot be judged
    quiet = run_schedule(lambda: make_mechanism("sem", market), sched, 2, record_public=False)
    assert check_t_equilibrium(quiet, {}, CLAIM).status == "not applicable"


def test_the_check_uses_the_realised_outcomes_not_the_mechanisms_bookkeeping():
    mk = section62(3)
    market, sched = mk.market(), random_schedule(mk, 2)
    run = _run(lambda: make_mechanism("sem", market), sched, 2)
    assert check_t_equilibrium(run, {}, CLAIM).status == "holds"
    # rewrite one realised object of period 1: the supply left for period 2 changes, the prices do not
    first = run.schedule[0][0].agent
    o = run.outcomes[first]
    run.outcomes[first] = replace(o, obj=(o.obj + 1) % (mk.m + 1))
    assert check_t_equilibrium(run, {}, CLAIM).violated


def test_a_tie_is_split_by_the_linear_program_not_by_one_selection():
    # type {a,b} > o (mass 2) faces a and b at 0.5 each: a has 2 units, b none, both priced,
    # so only "all on a" clears; the equal split of the tie would not
    mk = section62(1)
    order = mk.parse("{a,b} > o")
    d = lottery_demand(order, 1.0, np.array([0.5, 0.5]), mk.shock)
    assert d.pieces[0][1] == (0, 1)
    err = clearing_violation([("pieces", d)], np.array([2.0]), np.zeros(2), np.array([2.0, 0.0]), np.array([0.5, 0.5]))
    assert err == pytest.approx(0.0, abs=1e-9)
    err2 = clearing_violation([("pieces", d)], np.array([2.0]), np.zeros(2), np.array([1.0, 0.0]), np.array([0.5, 0.5]))
    # demand 2 on one unit in all: the best split (1.5 on a, 0.5 on b) still misses by 0.5
    assert err2 == pytest.approx(0.5, abs=1e-9)


def test_t_equilibrium_is_a_declared_claim_with_a_registered_checker():
    assert "t_equilibrium" in CLAIM_CHECKERS and CLAIM_CHECKERS["t_equilibrium"].level == "run"
    keys = [c.key for c in SequentialEquilibriumMechanism.spec.claims]
    assert "t_equilibrium" in keys
    src = next(c for c in SequentialEquilibriumMechanism.spec.claims if c.key == "t_equilibrium").source
    assert "Definition 1" in src
    mk = section62(2)
    market, sched = mk.market(), random_schedule(mk, 3)
    types = {r.agent: r.declared for t in sched for r in t}
    good = audit(lambda: make_mechanism("sem", market), sched, types, 3, [], claims=["t_equilibrium"])
    bad = audit(lambda: make_mechanism("mutant_sem_equal_budgets", market), sched, types, 3, [],
                claims=["t_equilibrium"])
    assert good.violations("t_equilibrium") == 0 and good.checked("t_equilibrium") >= 1
    assert bad.violations("t_equilibrium") >= 1
