"""Algorithms 1-3 and round robin on the small instances worked in the paper's proofs."""
import numpy as np
import pytest

from mechanisms import Report, make_mechanism, run_schedule
from mechanisms.errors import ConfigError, InvariantError
from mechanisms.fair_division import TwoValue, algorithms, checks, fair_division_market
from mechanisms.fair_division.algorithms import DeferredPriority, NaiveMatching, PriorityMatching, topological_order


def tv(values):
    return TwoValue.from_values(values)


def theorem32_first_goods(n, alpha):
    """Theorem 3.2's table: v_i(g_r) = 1 if r <= i else alpha (1-based), then one good high for all."""
    return [tv([1.0 if r <= i else alpha for r in range(1, n + 1)] + [alpha]) for i in range(1, n + 1)]


def test_dp_phase0_gives_each_agent_one_good_in_the_paper_pattern():
    """Theorem 4.1 part 1 on Theorem 3.2's table: g_i goes to agent i (the circled diagonal).

    g_r is low for every agent still active (they are the agents i >= r) and high only for the
    agents already served (inactive in Phase 0), so line 21 picks the lowest-index active agent.
    """
    n = 4
    vals = theorem32_first_goods(n, alpha=2 * n * n + 2 * n)
    owner = DeferredPriority(vals).run()
    assert owner[:n].tolist() == list(range(n))
    assert checks.dp_structure(vals, owner).ok


def test_dp_counters_follow_the_pseudocode():
    """Hand trace of Algorithm 1 with n = 2 (H starts at n = 2, L at 2n - 1 = 3)."""
    vals = [tv([5, 5, 1, 5]), tv([5, 1, 1, 5])]
    dp = DeferredPriority(vals)
    A, B = dp.is_alpha, dp.is_beta
    assert dp.allocate(0, A[0:1], B[0:1]) == 0          # both high, tie -> agent 0; H = [1+4, 1]
    assert dp.H.tolist() == [5, 1] and dp.chi.tolist() == [True, False]
    assert dp.allocate(1, A[1:2], B[1:2]) == 1          # only agent 1 active: low for it -> N_l
    assert dp.phase == 1 and dp.L.tolist() == [3, 3] and not dp.chi.any()   # phase 0 over, reset
    assert dp.allocate(2, A[2:3], B[2:3]) == 0          # low for both: L tie -> 0; L[0] = 2n + t = 7
    assert dp.L.tolist() == [7, 2]
    assert dp.allocate(3, A[3:4], B[3:4]) == 1          # high for both: H = [4, 0] -> agent 1


def test_theorem31_instance_round_robin_and_dp_are_half_ef1_at_best():
    """Theorem 3.1's first goods (values 1 and 5, two agents): no algorithm beats 1/2-EF1 at every step."""
    from mechanisms.fair_division.adversary import theorem31
    for name in ("deferred_priority", "round_robin"):
        res = theorem31(name, eps=0.01)
        assert res.worst_ratio < 0.5 + 0.01


def test_naive_matching_alternates_contested_blocks():
    """Block I (g high for both, g' low) twice: the contested good goes to agent 1, then agent 2."""
    vals = [tv([3, 1, 3, 1]), tv([2, 1, 2, 1])]
    owner = NaiveMatching(vals).run()
    assert owner.tolist() == [0, 1, 1, 0]
    V = checks.value_matrix(vals)
    assert checks.temporal_efk(V, owner, 1, steps=[0, 2, 4]).ok
    assert checks.temporal_efk(V, owner, 2).ok


def test_naive_matching_uncontested_pattern_each_agent_weakly_prefers_its_good():
    vals = [tv([1, 3]), tv([3, 1])]
    assert NaiveMatching(vals).run().tolist() == [1, 0]


def test_priority_matching_rounds_and_envy_graph_order():
    E = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=bool)
    assert topological_order(E).tolist() == [0, 1, 2]
    with pytest.raises(InvariantError, match="cycle"):
        topological_order(np.array([[0, 1], [1, 0]], dtype=bool))
    vals = [tv([2, 2, 1, 2, 1, 2, 1]), tv([2, 1, 1, 2, 2, 1, 2]), tv([1, 2, 1, 1, 2, 2, 1])]
    owner = PriorityMatching(vals).run()
    for k in range(3):  # one good per agent per round (Theorem 5.4 (i))
        assert sorted(owner[3 * k:3 * k + 3].tolist()) == [0, 1, 2] if 3 * k + 3 <= 7 else True
    V = checks.value_matrix(vals)
    assert checks.temporal_efk(V, owner, 2).ok and checks.temporal_efk(V, owner, 1, steps=[0, 3, 6]).ok


def test_proposition51_instance_no_algorithm_beats_1_over_n_mms():
    """Proposition 5.1: n low goods then n - 1 high goods; Algorithm 3 (foresight n - 1) is 1/n-MMS there."""
    n, a = 3, 5.0
    vals = [tv([1.0] * n + [a] * (n - 1)) for _ in range(n)]
    owner = PriorityMatching(vals).run()
    v = checks.temporal_mms(vals, owner, 1.0 / n)
    assert v.ok and v.ratio == pytest.approx(1.0 / n)


def test_mechanism_protocol_all_agents_in_tick_zero():
    vals = [tv([2, 1, 2, 1, 1, 2]), tv([1, 2, 2, 1, 2, 1])]
    market = fair_division_market(2, 6, foresight=1)
    for name in ("deferred_priority", "naive_matching", "priority_matching", "round_robin"):
        run = run_schedule(lambda: make_mechanism(name, market), [[Report(1, vals[1]), Report(0, vals[0])]], seed=0)
        held = sorted(g for o in run.outcomes.values() for g in o.goods)
        assert held == list(range(6))
    with pytest.raises(ConfigError) as e:  # agents arriving one per tick: the protocol mapping is violated
        run_schedule(lambda: make_mechanism("deferred_priority", market), [[Report(0, vals[0])], [Report(1, vals[1])]], 0)
    assert e.value.field == "arrivals"
    with pytest.raises(ConfigError) as e:  # Algorithm 3 needs foresight n - 1
        make_mechanism("priority_matching", fair_division_market(3, 6, foresight=1))
    assert e.value.field == "market.foresight"
    with pytest.raises(ConfigError):
        make_mechanism("naive_matching", fair_division_market(3, 6, foresight=1))
    with pytest.raises(ConfigError):  # a report over the wrong number of goods
        run_schedule(lambda: make_mechanism("round_robin", market), [[Report(0, vals[0]), Report(1, tv([1, 2]))]], 0)


def test_round_robin_is_remark_26():
    vals = [tv([3, 1, 3]), tv([1, 3, 1])]
    assert algorithms.allocate("round_robin", vals).tolist() == [0, 1, 0]


@pytest.mark.parametrize("n", [2, 3])
def test_theorem32_family_is_tight_for_deferred_priority(n):
    """Theorem 3.2's adversary drives every rule to <= 1/(2n-1)-MMS; Algorithm 1 attains it exactly (Thm 4.1)."""
    from mechanisms.fair_division.adversary import theorem32
    dp = theorem32("deferred_priority", n)
    assert dp.worst_ratio == pytest.approx(1 / (2 * n - 1))
    assert theorem32("round_robin", n).worst_ratio < 1 / (2 * n - 1)
