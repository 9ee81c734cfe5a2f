"""Hypothesis instances: the theorems' guarantees hold at every step (Theorems 4.1, 5.2, 5.4, 6.1, Remark 2.6)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.fair_division import TwoValue, algorithms, checks
from mechanisms.fair_division.valuations import Interval, guarantee_factor


@st.composite
def two_value_instance(draw, n_min=2, n_max=4, m_max=24):
    n = draw(st.integers(n_min, n_max))
    m = draw(st.integers(1, m_max))
    vals = []
    for _ in range(n):
        t = draw(st.sampled_from([1, 1, 2, 3]))
        a = draw(st.sampled_from([1.5, 2.0, 3.0, 10.0]))
        high = draw(st.lists(st.booleans(), min_size=m, max_size=m))
        vals.append(TwoValue.of_type(t, high, alpha=a))
    return vals


@settings(max_examples=25)
@given(two_value_instance())
def test_deferred_priority_theorem41(vals):
    n = len(vals)
    owner = algorithms.DeferredPriority(vals).run()
    assert checks.dp_structure(vals, owner).ok
    assert checks.temporal_mms(vals, owner, [checks.dp_mms_factor(v, n) for v in vals]).ok
    assert checks.dp_quarter_mms_after_t0(vals, owner).ok                  # Corollary 4.5, from t_i0 on


@settings(max_examples=25)
@given(two_value_instance())
def test_priority_matching_theorem54(vals):
    n, m = len(vals), vals[0].m
    owner = algorithms.PriorityMatching(vals).run()
    V = checks.value_matrix(vals)
    assert checks.temporal_efk(V, owner, 2).ok
    assert checks.temporal_efk(V, owner, 1, steps=range(0, m + 1, n)).ok
    assert checks.pm_half_ef1_after_failure(V, owner, n).ok                # Theorem 5.4, last part


@settings(max_examples=25)
@given(two_value_instance(n_min=2, n_max=2, m_max=30))
def test_naive_matching_theorem52(vals):
    m = vals[0].m
    owner = algorithms.NaiveMatching(vals).run()
    V = checks.value_matrix(vals)
    assert checks.temporal_efk(V, owner, 2).ok
    assert checks.temporal_efk(V, owner, 1, steps=range(0, m + 1, 2)).ok


@settings(max_examples=15)
@given(st.integers(2, 4), st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_interval_reduction_theorem61(n, m, seed):
    rng = np.random.default_rng(seed)
    vals = [Interval(rng.uniform(1, a, size=m), alpha=a) for a in rng.uniform(2, 9, size=n)]
    tv = [v.threshold() for v in vals]
    V = checks.value_matrix(vals)
    rho = [guarantee_factor(v) for v in vals]
    owner = algorithms.PriorityMatching(tv).run()
    assert checks.temporal_efk(V, owner, 2, rho).ok                       # Corollary 6.5
    owner = algorithms.DeferredPriority(tv).run()
    assert checks.temporal_mms(vals, owner, [checks.dp_mms_factor(v, n) for v in vals]).ok  # Corollary 6.4


@settings(max_examples=15)
@given(two_value_instance())
def test_round_robin_remark26(vals):
    owner = algorithms.RoundRobin(vals).run()
    rho = [checks.round_robin_factor(v) for v in vals]
    assert checks.temporal_efk(checks.value_matrix(vals), owner, 1, rho).ok
