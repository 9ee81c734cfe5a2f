"""SEM as an online mechanism: greedy, equal-type envy-freeness, SP with one arrival, SD-RTB, EPS."""
import itertools
from collections import Counter

import numpy as np
import pytest
from sem_helpers import rand_order, rand_problem, random_schedule, schedule_of, section62

from mechanisms import ConfigError, Report, make_mechanism, run_schedule
from mechanisms.checks.lottery import (equal_type_envy_violations, greedy_violations, ordinal_efficiency_lp,
                                       single_arrival_sp_violations, stochastically_dominates, sup_norm)
from mechanisms.mechanism_registry import MECHANISMS
from mechanisms.preferences import WeakOrder
from mechanisms.sem import SEMMarket, SequentialEquilibriumMechanism, all_weak_orders, solve_ntb


class EqualBudgetSEM(SequentialEquilibriumMechanism):
    """Mutant: the same budget in every period (breaks Theorem 1's gap)."""

    def period_budgets(self):
        return (1.0,) * self.sem.horizon


class ReversedSEM(SequentialEquilibriumMechanism):
    """Mutant: serves every report as if its acceptable classes were listed in reverse."""

    def step(self, tick, reports):
        def rev(o: WeakOrder) -> WeakOrder:
            k = int(o.rank[o.null])
            return WeakOrder(o.n_objects, tuple(reversed(o.classes[:k])) + o.classes[k:])
        return super().step(tick, [Report(r.agent, rev(r.declared)) for r in reports])


def audit_run(run, supply):
    agents = sorted(run.outcomes)
    orders = [run.report(a).declared for a in agents]
    ticks = [run.outcomes[a].tick for a in agents]
    lots = [run.outcomes[a].lottery for a in agents]
    objs = [run.outcomes[a].obj for a in agents]
    g = greedy_violations(orders, ticks, lots, objs, supply)
    e = equal_type_envy_violations(orders, np.array(lots), ticks)
    return g, e


def run_sem(mk: SEMMarket, sched, seed, cls=SequentialEquilibriumMechanism):
    return run_schedule(lambda: cls(mk.market()), sched, seed)


def test_registered_and_specs():
    for name in ("sem", "sd_rtb", "eps"):
        assert name in MECHANISMS
    keys = MECHANISMS.get("sem").spec.claim_keys()
    assert {"greedy", "equal_type_envy_free", "strategyproof_single_arrival", "sp1",
            "ordinal_efficiency_asymptotic"} <= set(keys)


@pytest.mark.parametrize("n,per_home,seed", [(1, 1, 0), (5, 1, 1), (5, 2, 2), (10, 2, 3)])
def test_sem_runs_greedy_and_envy_free(n, per_home, seed):
    mk = section62(n, per_home)
    run = run_sem(mk, random_schedule(mk, seed), seed)
    g, e = audit_run(run, mk.total_supply)
    assert g == [] and e == []
    assert run.summary["max_clearing_error"] <= 1e-8
    for o in run.outcomes.values():                      # outcome = realised object with positive probability
        assert o.lottery[o.obj] > 0 and sum(o.lottery) == pytest.approx(1.0)


def test_sem_random_markets_greedy_and_envy_free():
    rng = np.random.default_rng(11)
    for trial in range(6):
        m = int(rng.integers(2, 4))
        dists = [{rand_order(rng, m): 0.5, rand_order(rng, m): 0.5} for _ in range(3)]
        dists = [d if len(d) == 2 else {next(iter(d)): 1.0} for d in dists]
        mk = SEMMarket.from_periods([f"x{j}" for j in range(m)], rng.integers(1, 3, m).tolist(), dists, replica=3)
        run = run_sem(mk, random_schedule(mk, trial), trial)
        g, e = audit_run(run, mk.total_supply)
        assert g == [] and e == []


def test_sem_random_tie_breaking_run():
    from mechanisms.sem import Shock
    mk = section62(3, 2, shock=Shock("uniform", 0.1, "random", 0.01))
    run = run_sem(mk, random_schedule(mk, 1), 1)
    g, e = audit_run(run, mk.total_supply)
    assert g == [] and e == []
    assert run.summary["max_clearing_error"] <= 1e-8
    assert set(run.summary["theorem3_ok"]) == set(run.summary["clearing_error"])


def test_checkers_fail_on_equal_budget_mutant():
    mk = SEMMarket.stationary(["a"], [1], {"a > o": 1.0}, horizon=2)
    sched = schedule_of([[mk.parse("a > o")], [mk.parse("a > o")]])
    greedy_found = envy_found = 0
    for seed in range(8):
        g, e = audit_run(run_sem(mk, sched, seed, EqualBudgetSEM), mk.total_supply)
        greedy_found += bool(g)
        envy_found += bool(e)
        g0, e0 = audit_run(run_sem(mk, sched, seed), mk.total_supply)
        assert g0 == [] and e0 == []
    assert greedy_found == 8 and envy_found >= 1


def test_single_arrival_strategyproof_and_mutant():
    mk = section62(1)
    alts = all_weak_orders(2, null_last=False)
    assert len(alts) == 13
    for seed in (0, 1):
        sched = random_schedule(mk, seed)
        mis = {a: alts for a in range(4)}
        assert single_arrival_sp_violations(lambda: SequentialEquilibriumMechanism(mk.market()), sched, seed, mis) == []
    # the checker finds the profitable misreport of a mechanism that serves reversed preferences
    mk2 = SEMMarket.stationary(["a", "b"], [1, 1], {"a > b > o": 1.0}, horizon=2)
    sched = schedule_of([[mk2.parse("a > b > o")], [mk2.parse("a > b > o")]])
    found = single_arrival_sp_violations(lambda: ReversedSEM(mk2.market()), sched, 0, {0: alts})
    assert found and all(f["agent"] == 0 for f in found)


def test_lottery_for_matches_replay_and_reports():
    mk = section62(1)
    sched = random_schedule(mk, 4)
    run = run_sem(mk, sched, 4)
    mech = run.mechanism
    for tick, reps in enumerate(sched):
        for r in reps:
            assert mech.lottery_for(r.declared, tick) == pytest.approx(np.array(run.outcomes[r.agent].lottery))
    with pytest.raises(ConfigError, match="report"):
        mech.step(0, [Report(99, "a > o")])


def test_outside_type_space_report_is_served():
    mk = section62(2)
    weird = mk.parse("b > a > o")            # not in the type space (mass zero in the prior)
    sched = random_schedule(mk, 5)
    sched[0][0] = Report(sched[0][0].agent, weird)
    run = run_sem(mk, sched, 5)
    out = run.outcomes[sched[0][0].agent]
    assert out.lottery[1] > 0.99 and run.summary["max_clearing_error"] <= 1e-8


def test_same_seed_same_run_and_supply_respected():
    mk = section62(5, 2)
    sched = random_schedule(mk, 6)
    r1, r2 = run_sem(mk, sched, 9), run_sem(mk, sched, 9)
    assert [o.obj for o in r1.outcomes.values()] == [o.obj for o in r2.outcomes.values()]
    used = Counter(o.obj for o in r1.outcomes.values())
    assert used[0] <= 10 and used[1] <= 10


def sd_rtb_exact(orders, supply):
    """Brute force: every order of the agents, every tie choice, equally likely per stage."""
    dist = Counter()
    n = len(orders)
    perms = list(itertools.permutations(range(n)))

    def rec(perm, k, rem, alloc, prob):
        if k == n:
            dist[tuple(alloc)] += prob
            return
        i = perm[k]
        best = orders[i].best_available(np.asarray(rem) >= 1)
        for x in best:
            rem2, alloc2 = list(rem), list(alloc)
            if x < len(rem):
                rem2[x] -= 1
            alloc2[i] = x
            rec(perm, k + 1, rem2, alloc2, prob / len(best))

    for p in perms:
        rec(p, 0, list(supply), [None] * n, 1 / len(perms))
    return dist


def test_sd_rtb_against_brute_force():
    names = ["a", "b"]
    orders = [WeakOrder.parse(t, names) for t in ("{a,b} > o", "a > o", "{a,b} > o")]
    mk = SEMMarket.stationary(names, [1, 1], {"{a,b} > o": 0.5, "a > o": 0.5}, horizon=1)
    exact = sd_rtb_exact(orders, [1, 1])
    sched = [[Report(k, o) for k, o in enumerate(orders)]]
    draws = 1500
    freq = Counter()
    for seed in range(draws):
        run = run_schedule(lambda: make_mechanism("sd_rtb", mk.market()), sched, seed)
        freq[tuple(run.outcomes[k].obj for k in range(3))] += 1
    assert set(freq) <= set(exact)
    for alloc, p in exact.items():
        se = np.sqrt(p * (1 - p) / draws)
        assert abs(freq[alloc] / draws - p) < 4.5 * se + 1e-9


def test_eps_mechanism_runs():
    mk = section62(5, 2)
    run = run_schedule(lambda: make_mechanism("eps", mk.market()), random_schedule(mk, 1), 1)
    g, e = audit_run(run, mk.total_supply)
    assert g == [] and e == []


def test_stochastic_dominance_and_sup_norm():
    o = WeakOrder.parse("a > b > o", ["a", "b"])
    assert stochastically_dominates([0.6, 0.2, 0.2], [0.5, 0.3, 0.2], o, strict=True)
    assert not stochastically_dominates([0.5, 0.3, 0.2], [0.6, 0.2, 0.2], o)
    assert stochastically_dominates([0.5, 0.3, 0.2], [0.5, 0.3, 0.2], o)
    assert not stochastically_dominates([0.5, 0.3, 0.2], [0.5, 0.3, 0.2], o, strict=True)
    assert not stochastically_dominates([0.5, 0.0, 0.5], [0.4, 0.6, 0.0], o)   # incomparable
    assert sup_norm([0.5, 0.3, 0.2], [0.4, 0.6, 0.0]) == pytest.approx(0.3)


def test_ordinal_efficiency_lp_theorem2_and_mutant():
    rng = np.random.default_rng(8)
    for _ in range(5):
        pb = rand_problem(rng, 3, 6, 2)
        res = solve_ntb(pb)   # Theorem 2: every NTB price-equilibrium allocation is ordinally efficient
        ok, _, gain = ordinal_efficiency_lp(pb.orders, res.lotteries, pb.supply, pb.masses)
        assert ok, gain
    # mutant: random tie-breaking SD gives the indifferent agent half of a, wasting b
    names = ["a", "b"]
    orders = [WeakOrder.parse("{a,b} > o", names), WeakOrder.parse("a > o", names)]
    lots = np.array([[0.5, 0.5, 0.0], [0.5, 0.0, 0.5]])
    ok, dom, gain = ordinal_efficiency_lp(orders, lots, [1, 1])
    assert not ok and gain > 0.4
    assert stochastically_dominates(dom[1], lots[1], orders[1], strict=True)


def test_ordinal_efficiency_lp_refuses_infeasible_allocations():
    # review fix: an allocation over supply used to be reported "efficient" (the LP was
    # infeasible); Section 2's ordinal efficiency is only defined for feasible allocations
    names = ["a", "b"]
    orders = [WeakOrder.parse("a > b > o", names), WeakOrder.parse("a > b > o", names)]
    over = np.array([[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])         # two units of a, one in supply
    with pytest.raises(ConfigError, match="lotteries"):
        ordinal_efficiency_lp(orders, over, [1, 1])
    with pytest.raises(ConfigError, match="lotteries"):
        ordinal_efficiency_lp(orders, np.array([[0.5, 0.0, 0.0], [0.5, 0.5, 0.0]]), [1, 1])
    # a feasible, wasteful allocation is still found inefficient
    ok, _, _ = ordinal_efficiency_lp(orders, np.array([[0.5, 0.0, 0.5], [0.5, 0.0, 0.5]]), [1, 1])
    assert not ok
