"""SP1 as an asymptotic claim (issue 11, item 4): the trend verdict over market sizes.

Pure-function tests of :mod:`abm.audit.trend` on synthetic falling, flat and noisy curves, then
the SP1 study on the ``ps_last_period`` family (:mod:`mechanisms.sem.families`): faithful SEM
has events at small n and none at large n (not flagged), the mutant whose report shifts its own
price by an n-independent amount has a flat curve ("violated: does not vanish")."""
import numpy as np
import pytest

from abm.audit.checks_sem import check_sp1_trend
from abm.audit.studies import family_build, sp1_study
from abm.audit.trend import (DECREASING, INCONCLUSIVE, NOT_VANISHING, VANISHING, dispersion, level_test,
                             trend_test, trend_verdict)
from mechanisms.errors import ConfigError
from mechanisms.sem.families import FAMILIES, family_market, family_schedule, ps_last_period

NS = [2, 2, 2, 4, 4, 4, 8, 8, 8, 16, 16, 16, 32, 32, 32]
PAIRS = [60] * 3 + [120] * 3 + [240] * 3 + [480] * 3 + [960] * 3


def test_falling_curve_is_vanishing_with_a_significant_negative_trend():
    events = [12, 10, 14, 7, 9, 6, 4, 3, 5, 1, 2, 0, 0, 0, 0]
    r = trend_verdict(NS, events, PAIRS)
    assert r.label == VANISHING and not r.violated
    assert r.z < -5 and r.p_fall < 1e-6 and r.p_below < 0.05
    assert [p.n for p in r.curve] == [2, 4, 8, 16, 32] and r.curve[-1].events == 0
    assert "Cochran-Armitage" in r.text and "deterministic probe set per market" in r.text and "n=32: 0/2880" in r.text
    rnd = trend_verdict(NS, events, PAIRS, design="random")
    assert rnd.label == VANISHING and rnd.design == "random" and "random sample of pairs per market" in rnd.text
    assert trend_verdict(NS, events, PAIRS, design="deterministic").design == "probe"


def test_flat_curve_does_not_vanish():
    events = [3, 2, 3, 6, 5, 7, 12, 11, 13, 24, 23, 25, 48, 47, 49]  # 5% at every n
    r = trend_verdict(NS, events, PAIRS)
    assert r.label == NOT_VANISHING and r.violated
    assert r.p_fall > 0.05 and r.p_above < 1e-6
    assert "violated: does not vanish" in r.text and "n=2: 8/180" in r.text  # the curve is printed


def test_noisy_sparse_curve_is_inconclusive():
    events = [1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
    r = trend_verdict(NS, events, [20] * 15)
    assert r.label == INCONCLUSIVE
    assert r.p_fall > 0.05 and r.p_above > 0.05 and r.p_below > 0.05
    assert "cannot tell" in r.reason


def test_falling_but_still_high_is_decreasing_and_a_rise_is_violated():
    r = trend_verdict([2, 2, 64, 64], [40, 44, 10, 12], [100, 100, 100, 100])
    assert r.label == DECREASING and "not yet below" in r.reason
    up = trend_verdict([2, 2, 64, 64], [1, 0, 10, 12], [100, 100, 100, 100])
    assert up.label == NOT_VANISHING and "rises" in up.reason


def test_one_size_is_inconclusive_and_bad_input_is_refused():
    assert trend_verdict([8, 8], [3, 4], [50, 50]).label == INCONCLUSIVE
    with pytest.raises(ConfigError, match="design"):
        trend_verdict(NS, [0] * 15, PAIRS, design="exhaustive")
    with pytest.raises(ConfigError, match="events"):
        trend_verdict([2, 4], [5, 1], [4, 10])


def test_clustered_markets_inflate_the_dispersion_and_weaken_the_test():
    # same pooled counts per n, but events concentrated in one market per size
    spread = [4, 4, 4, 2, 2, 2]
    clustered = [12, 0, 0, 6, 0, 0]
    ns, pairs = [2, 2, 2, 8, 8, 8], [100] * 6
    phi_s, _ = dispersion(ns, spread, pairs)
    phi_c, src = dispersion(ns, clustered, pairs)
    assert phi_s == 1.0 and phi_c > 5 and "within sizes" in src
    assert trend_test(ns, clustered, pairs)[1] > trend_test(ns, spread, pairs)[1]
    # Rao-Scott effective counts: the level test is weaker on clustered events too
    assert level_test(6, 300, 0.01, phi=phi_c)[0] > level_test(6, 300, 0.01, phi=1.0)[0]


def test_ps_last_period_family_is_validated_and_reproducible():
    assert "ps_last_period" in FAMILIES
    mk = family_market("ps_last_period", 3)
    assert mk.horizon == 3 and mk.replica == 3 and mk.objects == ("a", "b")
    assert [o.describe(mk.objects) for o, _ in mk.period_types(3)] == ["a > b > o", "b > o > a", "b > a > o"]
    s1, t1 = family_schedule(mk, 5)
    s2, t2 = family_schedule(mk, 5)
    assert t1 == t2 and [len(t) for t in s1] == [3, 3, 3]
    with pytest.raises(ConfigError, match="b_first"):
        ps_last_period(2, b_first=0.5)
    with pytest.raises(ConfigError, match="family"):
        family_market("nope", 2)


def test_faithful_sem_on_the_family_falls_and_is_not_flagged():
    # seeds pinned: markets 1 and 7 at n = 6 realise the manipulable last period
    # (benchmarks/bench_sp1.py runs unpicked seeds over n = 2..50)
    study = sp1_study(family_build("ps_last_period"), [6, 48], [1, 7])
    first, last = study.rows
    assert first["events"] > 0 and last["events"] == 0 and last["pairs"] == 2 * 4 * 48
    assert study.label == VANISHING and "violated" not in study.label
    assert check_sp1_trend(study).status == "holds"
    assert "trend: zero at the largest n" in study.verdict


def test_own_price_shift_mutant_has_a_flat_curve_and_is_flagged(tmp_path):
    study = sp1_study(family_build("ps_last_period", "mutant_sem_own_price_shift"), [3, 12], [0, 2])
    shares = [r["share"] for r in study.rows]
    assert min(shares) > 0.1 and abs(shares[0] - shares[1]) < 0.15  # flat, far above the threshold
    assert study.label == NOT_VANISHING
    res = check_sp1_trend(study)
    assert res.violated and res.condition == NOT_VANISHING and "n=12" in res.detail
    assert set(study.table().columns) >= {"n", "markets", "pairs", "events", "share", "ci_lo", "ci_hi"}
    assert np.all(np.array([m["events"] for m in study.markets]) <= np.array([m["pairs"] for m in study.markets]))
    ax = study.plot(path=tmp_path / "sp1.png")
    assert (tmp_path / "sp1.png").stat().st_size > 0 and "violated" in ax.get_title()


def test_knife_edge_family_keeps_literal_definition_6_events_for_faithful_sem():
    # b sells out first in the limit: an a > b > o agent declaring b > a > o raises her mass on
    # {a, b} by O(1/n) while moving Omega(1) of it from a to b, so exact weak dominance fails at
    # every n (docs/sem.md, "exact weak dominance in Definition 6")
    study = sp1_study(family_build("ps_knife_edge"), [16, 32], [0, 1])
    assert all(r["events"] > 0 for r in study.rows)
    assert study.label == NOT_VANISHING
