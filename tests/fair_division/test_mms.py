"""The exact maximin share search (Definition 2.4) against the MILP and the definition."""
from __future__ import annotations

import numpy as np
import pytest

from mechanisms.errors import ConfigError
from mechanisms.fair_division import checks, mms


def _instances():
    """Seeded small instances: reals, integers with ties, 2-value, zeros mixed in."""
    rng = np.random.default_rng(20261203)
    out = []
    for i in range(300):
        n = int(rng.integers(2, 5))
        m = int(rng.integers(0, 11))
        kind = i % 4
        if kind == 0:
            v = rng.random(m)
        elif kind == 1:
            v = rng.integers(1, 7, m).astype(float)          # many ties
        elif kind == 2:
            v = np.where(rng.random(m) < 0.4, float(rng.integers(2, 10)), 1.0)  # 2-value
        else:
            v = np.round(rng.random(m) * 10, 1) * (rng.random(m) < 0.8)  # zeros and ties
        out.append((v, n))
    return out


def _check_certificate(v: np.ndarray, n: int, res: mms.MMSResult) -> None:
    """The bundles partition the positive goods into n bundles whose worst is ``value``."""
    assert len(res.bundles) == n
    flat = sorted(g for b in res.bundles for g in b)
    assert flat == sorted(int(g) for g in np.flatnonzero(v > 0))
    worst = min(float(v[list(b)].sum()) if b else 0.0 for b in res.bundles)
    assert worst == pytest.approx(res.value, rel=1e-12, abs=1e-12)
    assert res.value <= res.upper + res.tol


def test_agrees_with_the_milp_on_seeded_small_instances():
    for v, n in _instances():
        res = mms.maximin_partition(v, n)
        assert res.proven, (v, n, res)
        exact = checks.maximin_share_milp(v, n)
        assert res.value == pytest.approx(exact, rel=1e-9, abs=1e-9), (v.tolist(), n, res, exact)
        if np.all(v == np.floor(v)):
            assert res.value == exact                          # integer values: exact
        _check_certificate(v, n, res)
        assert checks.maximin_share(v, n) == res.value


def test_hand_built_cases_from_the_definition():
    assert mms.maximin_partition([1, 1, 1, 1], 2).value == 2.0
    assert mms.maximin_partition([3, 3, 2, 2, 2], 2).value == 6.0        # {3,3} | {2,2,2}
    assert mms.maximin_partition([5, 1, 1, 1], 2).value == 3.0           # {5} | {1,1,1}
    assert mms.maximin_partition([7, 4, 5, 2, 1], 3).value == 6.0        # {7} {5,1} {4,2}
    assert mms.maximin_partition([10] * 3 + [1] * 5, 2).value == 15.0
    r = mms.maximin_partition([1, 2], 3)                                 # fewer goods than bundles
    assert (r.value, r.proven, len(r.bundles)) == (0.0, True, 3)
    assert mms.maximin_partition([0, 0, 5, 0], 2).value == 0.0           # zeros are no goods
    r = mms.maximin_partition([4, 2, 0.5], 1)                            # n = 1: everything
    assert r.value == 6.5 and r.bundles == ((0, 1, 2),)
    assert mms.maximin_partition([], 2).value == 0.0
    for v, n in (([3, 3, 2, 2, 2], 2), ([7, 4, 5, 2, 1], 3), ([0.3, 0.7, 0.25, 0.5, 0.45], 2)):
        _check_certificate(np.asarray(v, dtype=float), n, mms.maximin_partition(v, n))


def test_n6_m30_instances_are_proven_with_a_certificate():
    rng = np.random.default_rng(5)
    for v in (rng.random(30), rng.integers(1, 1001, 30).astype(float),
              np.where(rng.random(30) < 0.3, 4.0, 1.0)):
        res = mms.maximin_partition(v, 6)
        assert res.proven and res.method in ("bound", "search")
        _check_certificate(v, 6, res)
        assert res.upper <= mms.mms_upper_bound(v, 6) + res.tol


def test_a_tiny_node_budget_is_never_claimed_proven():
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(6):
        v, n = rng.random(10), 3
        res = mms.maximin_partition(v, n, node_budget=1)
        exact = checks.maximin_share_milp(v, n)
        if res.proven:  # only the heuristic bound or a one-node search may prove it
            assert res.value == pytest.approx(exact, rel=1e-9)
            continue
        seen += 1
        assert res.method == "budget" and res.value <= exact + 1e-9 and res.upper >= exact - 1e-9
        _check_certificate(v, n, res)
        # the checker falls back to the MILP and still returns mu^n(S)
        assert checks.maximin_share(v, n, node_budget=1) == pytest.approx(exact, rel=1e-9)
    assert seen > 0


def test_too_large_instances_are_left_to_the_milp():
    v = np.random.default_rng(1).random(40)
    res = mms.maximin_partition(v, 6)
    assert not res.proven and res.method == "size"
    _check_certificate(v, 6, res)


@pytest.mark.parametrize("values,n,field", [([1.0, -2.0], 2, "values"), ([1.0, float("nan")], 2, "values"),
                                            ([float("inf")], 2, "values"), ([1.0, 2.0], 0, "n"),
                                            ([1.0, 2.0], -1, "n")])
def test_bad_input_names_the_field(values, n, field):
    for fn in (mms.maximin_partition, checks.maximin_share, checks.maximin_share_milp):
        with pytest.raises(ConfigError) as e:
            fn(values, n)
        assert e.value.field == field
