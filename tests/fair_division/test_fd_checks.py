"""The checkers on hand-built allocations (Definitions 2.3-2.5), passing and failing."""
import numpy as np
import pytest

from mechanisms.errors import InvariantError
from mechanisms.fair_division import TwoValue, checks
from mechanisms.fair_division.valuations import Additive
from mechanisms.reports import GoodsOutcome


def test_maximin_share_exact_values():
    assert checks.maximin_share([3, 3, 2, 2, 2], 2) == 6.0     # {3,3} | {2,2,2}
    assert checks.maximin_share([5, 1, 1, 1], 2) == 3.0        # {5} | {1,1,1}
    assert checks.maximin_share([1, 1], 3) == 0.0              # fewer goods than bundles
    assert checks.maximin_share([7, 4, 5, 2, 1], 3) == 6.0     # {7} {5,1} {4,2}
    assert checks.maximin_share([10] * 3 + [1] * 5, 2) == 15.0  # {10,1,1,1,1,1} | {10,10}; two classes only
    assert checks.maximin_share([4, 2], 1) == 6.0


def test_efk_hand_built():
    V = np.array([[5.0, 1.0], [5.0, 1.0], [1.0, 1.0]])  # goods x agents
    both0 = np.array([0, 0, 1])                           # agent 0 holds the two 5s
    # at t = 2 agent 1 holds nothing and envies {g0, g1}: EF1 fails (1 left after removing one), EF2 holds
    assert not checks.is_efk(V, both0, 2, 1)
    assert checks.is_efk(V, both0, 2, 2)
    v1 = checks.temporal_efk(V, both0, 1)
    assert not v1.ok and v1.step == 2 and (v1.agent, v1.other) == (1, 0)
    assert checks.temporal_efk(V, both0, 2).ok
    # rho-EF1 with rho = 0.5 at t = 3: v1(A1) = 1 >= 0.5 * (2 - 1)
    assert checks.is_efk(V, both0, 3, 1, rho=0.5)
    alt = np.array([0, 1, 0])
    assert checks.temporal_efk(V, alt, 1).ok
    assert checks.temporal_efk(V, both0, 1, steps=[0, 1, 3]).ok  # the failing step 2 not checked


def test_prop_and_mms_hand_built():
    vals = [TwoValue.from_values([4, 1, 1, 1]), TwoValue.from_values([4, 1, 1, 1])]
    owner = np.array([0, 0, 0, 1])
    v = checks.temporal_prop(checks.value_matrix(vals), owner, rho=1.0)
    assert not v.ok and v.step == 1 and v.agent == 1
    m = checks.temporal_mms(vals, owner, rho=1.0)
    assert not m.ok and m.step == 2 and m.agent == 1          # mu_1(2) = 1 (goods 4 and 1), agent 1 has 0
    good = np.array([0, 1, 1, 1])
    assert checks.temporal_mms(vals, good, rho=1.0, agents=[1]).ok
    assert checks.temporal_mms(vals, good, rho=0.5).ok


def test_temporal_mms_matches_direct_definition():
    rng = np.random.default_rng(2)
    for _ in range(8):
        n, m = int(rng.integers(2, 4)), int(rng.integers(2, 7))
        vals = [Additive(rng.integers(0, 4, size=m).astype(float)) for _ in range(n)]
        owner = rng.integers(n, size=m)
        rho = float(rng.uniform(0.2, 1.0))
        ok = True
        for t in range(m + 1):
            for i in range(n):
                own = vals[i].values[:t][owner[:t] == i].sum()
                if own < rho * checks.maximin_share(vals[i].values[:t], n) - 1e-9:
                    ok = False
        assert checks.temporal_mms(vals, owner, rho).ok == ok


def test_owner_from_outcomes_rejects_bad_sequences():
    outs = {0: GoodsOutcome(0, 0, (0, 2)), 1: GoodsOutcome(1, 0, (1,))}
    assert checks.owner_from_outcomes(outs, 2, 3).tolist() == [0, 1, 0]
    with pytest.raises(InvariantError):
        checks.owner_from_outcomes({0: GoodsOutcome(0, 0, (0, 1)), 1: GoodsOutcome(1, 0, (1,))}, 2, 3)
    with pytest.raises(InvariantError):
        checks.owner_from_outcomes({0: GoodsOutcome(0, 0, (0,)), 1: GoodsOutcome(1, 0, (1,))}, 2, 3)


def test_dp_structure_fails_on_a_bad_sequence():
    vals = [TwoValue.from_values([2, 1, 1, 1]), TwoValue.from_values([2, 1, 1, 1])]
    assert not checks.dp_structure(vals, np.array([0, 0, 1, 1])).ok        # part 1: two of the first 2 goods
    assert checks.dp_structure(vals, np.array([0, 1, 0, 1])).ok


def test_event_vectorised_efk_agrees_with_the_step_by_step_reference():
    from mechanisms.fair_division.valuations import random_two_value
    rng = np.random.default_rng(5)
    for rep in range(60):
        n, m = int(rng.integers(2, 5)), int(rng.integers(1, 20))
        vals = [Additive(rng.random(m)) for _ in range(n)] if rep % 2 else random_two_value(n, m, rng, types=(1, 2, 3))
        V, owner = checks.value_matrix(vals), rng.integers(n, size=m)
        for k in (0, 1, 2, 3):
            rho, steps = float(rng.uniform(0.2, 1)), (None if rep % 3 else list(range(0, m + 1, n)))
            a = checks.temporal_efk(V, owner, k, rho, steps)
            b = checks.temporal_efk_incremental(V, owner, k, rho, steps)
            assert (a.ok, a.step) == (b.ok, b.step)
            if steps is None:
                assert a.ratio == pytest.approx(b.ratio)


def test_quarter_mms_and_half_ef1_checkers_fail_on_bad_sequences():
    vals = [TwoValue(3.0, 1.0, [1, 1, 1, 1]), TwoValue(3.0, 1.0, [1, 1, 1, 1])]
    everything_to_0 = np.array([0, 0, 0, 0])
    v = checks.dp_quarter_mms_after_t0(vals, everything_to_0)
    assert not v.ok and v.agent == 1 and v.step == 2       # t_1,0 = 2: agent 1 holds nothing, mu = 3
    assert checks.dp_quarter_mms_after_t0(vals, np.array([0, 1, 0, 1])).ok
    V = checks.value_matrix(vals)
    w = checks.pm_half_ef1_after_failure(V, everything_to_0, 2)
    assert not w.ok and w.step == 2                          # fails at t0 = 2 and still at t >= ceil(2/2) 2
    # agent 1 is not 1/2-EF1 at t0 = 3 only; from ceil(3/2) 2 = 4 on it is again: the claim holds
    V2 = np.array([[1.0, 3.0], [1.0, 1.0], [1.0, 3.0], [1.0, 1.0]])
    ok = checks.pm_half_ef1_after_failure(V2, np.array([0, 1, 0, 1]), 2)
    assert ok.ok and "t0 = 3" in ok.detail
