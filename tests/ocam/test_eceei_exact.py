"""Issue 13: the exact ECEEI fallback, the stress set, OCAM's solver status, markets beyond 62 goods."""
from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest

from benchmarks.eceei_stress import load, to_problem
from mechanisms import BundleRanking, ConfigError, Report, make_mechanism, run_schedule
from mechanisms.checks.daceei import check_daceei
from mechanisms.datasets.preflib import course_market, read_soc, resample_market
from mechanisms.market import (FAST_GOODS, Goods, bundle_from_items, bundle_items, bundle_mask, bundle_vector,
                               mask_array, masks_to_items, masks_to_matrix)
from mechanisms.ocam import solve_eceei, verify_eceei
from mechanisms.ocam.eceei import UnconvergedError
from mechanisms.ocam.markets import course_catalogue_market, random_market

AGH = "/work/shared/data/preflib/agh-2004.soc"

#: A fast subset of the committed stress set (all of it runs in benchmarks/bench_eceei_stress.py):
#: one of each source, including a 300-course economy and a "hard" one the price search misses.
SUBSET = ("agh-2004-s8-t0.5-e0.01", "agh-2003-s200-t0.5-e0.01", "random-s16-m20-e0.1",
          "complements-s10-m10-e0.01", "catalogue-s40-e0.01")
HARD = "hard-215-s6-e0.01"


@pytest.fixture(scope="module")
def stress():
    return {e["name"]: e for e in load()}


def test_stress_set_is_plain_data_of_the_promised_shape(stress):
    econ = list(stress.values())
    assert len(econ) >= 100
    assert {e["source"] for e in econ} >= {"agh", "random", "complements", "catalogue", "hard"}
    assert {e["eps"] for e in econ} == {0.001, 0.01, 0.1}
    sizes = [sum(e["counts"]) for e in econ]
    assert min(sizes) == 4 and max(sizes) == 200
    assert any(e["m"] > FAST_GOODS for e in econ)


@pytest.fixture(scope="module")
def hard_cert(stress):
    types, cap, eps = to_problem(stress[HARD])
    return solve_eceei(types, cap, eps)


@pytest.mark.parametrize("name", SUBSET)
def test_stress_subset_solves_exactly(stress, name):
    types, cap, eps = to_problem(stress[name])
    cert = solve_eceei(types, cap, eps)
    check = verify_eceei(cert, tol=1e-9)
    assert cert.converged and check.ok, (cert.method, cert.error, check.problems)
    assert cert.error <= 1e-9


def test_hard_stress_economy_needs_and_gets_the_exact_fallback(stress, hard_cert):
    types, cap, eps = to_problem(stress[HARD])
    with pytest.warns(RuntimeWarning, match="ECEEI NOT FOUND"):  # selected because the search alone misses it
        assert not solve_eceei(types, cap, eps, fallback="none").converged
    assert hard_cert.converged and hard_cert.method.startswith("exact") and hard_cert.error <= 1e-9
    assert verify_eceei(hard_cert, tol=1e-9).ok


def test_fallback_taken_when_the_search_is_stopped_early(stress):
    types, cap, eps = to_problem(stress["agh-2004-s8-t0.5-e0.01"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # the fallback succeeds: no warning
        cert = solve_eceei(types, cap, eps, max_iter=1)
    assert cert.method.startswith("exact") and cert.converged and cert.error <= 1e-9
    assert verify_eceei(cert).ok
    # without the fallback the same early stop is reported, loudly, with the best certificate
    with pytest.warns(RuntimeWarning, match="ECEEI NOT FOUND"):
        miss = solve_eceei(types, cap, eps, max_iter=1, fallback="none")
    assert not miss.converged and miss.method == "price-search" and miss.error > 1e-9
    assert miss.problems and not verify_eceei(miss).ok
    assert miss.status()["converged"] is False


def test_exact_certificate_mutants_are_caught(hard_cert):
    cert = hard_cert
    assert verify_eceei(cert).ok
    j = int(np.argmax(cert.prices))
    bumped = dataclasses.replace(cert, prices=cert.prices + np.eye(cert.prices.size)[j] * 0.05)
    assert not verify_eceei(bumped).ok
    over = dataclasses.replace(cert, capacity=cert.capacity * 0.9)
    assert verify_eceei(over).clearing_error > 1e-9


def _ocam_market():
    mk, rs = random_market(120, 6, 3, np.random.default_rng(4), n_types=30, top=15)
    return mk, [[Report(i, r)] for i, r in enumerate(rs)]


def test_ocam_status_in_summary_and_public_for_each_on_unconverged_mode():
    mk, sched = _ocam_market()
    base = {"eps_n": 0.6, "eps_f": 0.6, "eps_b": 0.01, "solver_max_iter": 1}
    run = run_schedule(lambda: make_mechanism("ocam", mk, base), sched, 3)
    st = run.summary["solver"]
    assert st["converged"] and st["method"].startswith("exact") and st["error"] <= 1e-9 and st["seconds"] > 0
    assert run.mechanism.public().solver == st
    with pytest.warns(RuntimeWarning, match="ECEEI NOT FOUND"):
        warn = run_schedule(lambda: make_mechanism("ocam", mk, {**base, "on_unconverged": "warn"}), sched, 3)
    assert warn.summary["solver"]["converged"] is False and warn.summary["solver"]["error"] > 1e-9
    with pytest.raises(UnconvergedError) as err:
        run_schedule(lambda: make_mechanism("ocam", mk, {**base, "on_unconverged": "error"}), sched, 3)
    assert err.value.certificate.error > 1e-9
    with pytest.raises(ConfigError, match="on_unconverged"):
        make_mechanism("ocam", mk, {"on_unconverged": "ignore"})


# ---- markets beyond 62 goods ---------------------------------------------------------------

def test_mask_helpers_agree_on_both_paths():
    rng = np.random.default_rng(0)
    for m in (10, 62, 63, 300):
        bundles = [tuple(sorted(rng.choice(m, size=int(rng.integers(1, 6)), replace=False).tolist())) for _ in range(20)]
        masks = [bundle_mask(b) for b in bundles]
        arr = mask_array(masks, m)
        assert arr.dtype == (np.int64 if m <= FAST_GOODS else object)
        M = masks_to_matrix(arr, m)
        its = masks_to_items(arr, m)
        for r, b in enumerate(bundles):
            assert tuple(np.flatnonzero(M[r])) == b == bundle_items(masks[r])
            assert tuple(j for j in its[r] if j < m) == b
            assert tuple(np.flatnonzero(bundle_vector(masks[r], m))) == b


def test_goods_preferences_and_sd_beyond_62_goods():
    goods = Goods.uniform(100, 1)
    hi = bundle_mask((70, 99))
    r = BundleRanking(100, (hi, bundle_mask((3,)), bundle_mask((70,))))
    assert r.masks.dtype == object and r.max_bundle_size == 2
    p = np.zeros(100)
    p[99] = 0.7
    assert r.best_affordable(p, 1.0) == hi and r.best_affordable(p, 0.5) == bundle_mask((3,))
    assert r.best_available(bundle_mask((99,))) == bundle_mask((3,))
    assert goods.format_bundle(hi) == "{g70,g99}"
    from mechanisms.market import Market
    mk = Market("bundles", goods, max_bundle_size=2, n_agents=3)
    run = run_schedule(lambda: make_mechanism("sd", mk, {}), [[Report(0, r)], [Report(1, r)], [Report(2, r)]], 0)
    got = [run.outcomes[i].bundle for i in range(3)]
    assert got == [hi, bundle_mask((3,)), 0]  # 70 and 99 then 3 are used up (capacity 1)


def test_catalogue_market_of_real_size_and_the_large_eceei():
    mk, rs = course_catalogue_market(400, np.random.default_rng(1), m=300, k=5, top=40, n_types=80)
    assert mk.goods.m == 300 and len(rs) == 400 and len(set(rs)) <= 80
    assert all(len(r.bundles) == 40 and r.max_bundle_size <= 5 for r in rs)
    assert max(int(b).bit_length() for r in rs for b in r.bundles) > 63  # bundles beyond the int64 width
    # popularity: course 0 is in more top bundles than course 299
    tops = np.sum([bundle_vector(r.bundles[0], 300) for r in rs], axis=0)
    assert tops[:30].sum() > tops[-30:].sum()
    again = course_catalogue_market(400, np.random.default_rng(1), m=300, k=5, top=40, n_types=80)[1]
    assert again == rs
    cert = solve_eceei(rs, mk.goods.capacity.astype(float), 0.003)
    assert cert.converged and verify_eceei(cert, agent_types=rs).ok


def test_ocam_and_daceei_checker_on_300_courses():
    mk, rs = course_catalogue_market(300, np.random.default_rng(2), m=300, k=5, top=40, n_types=60)
    sched = [[Report(i, r)] for i, r in enumerate(rs)]
    run = run_schedule(lambda: make_mechanism("ocam", mk, {"eps_b": 0.002, "eps_n": 0.6, "eps_f": 0.6}), sched, 5)
    assert run.summary["solver"]["converged"]
    al = run.mechanism.allocation()
    assert al["bundles"].dtype == object
    rep = check_daceei(al["bundles"], al["budgets"], rs, run.mechanism.prices, mk.goods.capacity, 0.002, 0.6, 0.6)
    assert "i" not in rep.violations  # condition (i): everyone got its best affordable bundle


# ---- bad bundle specs: field-level errors ----------------------------------------------------

@pytest.mark.parametrize("spec, match", [
    ([[0, 7]], r"bundles\[0\].*\[0, 5\)"),          # a good out of range
    ([[1], [2, 2]], r"bundles\[1\].*duplicates"),   # a good repeated inside a bundle
    ([[0, 1, 2, 3]], r"bundles\[0\].*at most 3"),   # above the size limit
    ([[]], r"bundles\[0\].*non-empty"),
    ([[0], [0]], r"bundles = .*listed once"),
    ([["a"]], r"bundles\[0\]"),
])
def test_bad_bundle_specs_name_the_field(spec, match):
    with pytest.raises(ConfigError, match=match):
        BundleRanking.from_item_lists(5, spec, max_size=3)


def test_bad_named_bundle_specs_in_a_scenario_name_the_field(tmp_path):
    from abm.scenario import build_population, load_scenario
    from mechanisms.rng import Streams

    base = ('name = "x"\nseed = 1\n[market]\nkind = "bundles"\ngoods = ["a", "b", "c"]\ncapacities = [1, 1, 1]\n'
            'max_bundle_size = 2\n[population]\nsource = "explicit"\n[[population.types]]\ncount = 1\n')
    for ranking, match in ((('["a", "z"]',), r"ranking\[0\]"), (('["a", "a"]',), r"ranking\[0\]"),
                           (('["a", "b", "c"]',), r"ranking\[0\].*at most 2")):
        f = tmp_path / "s.toml"
        f.write_text(base + f"ranking = [{', '.join(ranking)}]\n"
                     '[arrivals]\nprocess = "permutation"\n[mechanism]\nname = "sd"\n')
        with pytest.raises(ConfigError, match=match):
            build_population(load_scenario(f), Streams(1))


def test_bundle_from_items_rejects_non_integers():
    with pytest.raises(ConfigError, match="good indices"):
        bundle_from_items([0.5], 3)
    assert bundle_from_items([2, 0], 3) == 0b101


# ---- PrefLib resampling with capacities scaled to the sample ---------------------------------

def test_resample_market_scales_capacity_to_the_sample():
    goods, ranks = course_market(read_soc(AGH), 3, 0.9)
    assert goods.capacities[0] == 60 and len(ranks) == 153
    g2, r2 = resample_market(goods, ranks, 306, np.random.default_rng(0))
    assert len(r2) == 306 and g2.capacities == (120,) * 7  # 60 / 153 per student, twice the students
    g3, _ = resample_market(goods, ranks, 10, np.random.default_rng(0), capacity_ratio=0.5)
    assert g3.capacities == (5,) * 7
    with pytest.raises(ConfigError, match="capacity_ratio"):
        resample_market(goods, ranks, 10, np.random.default_rng(0), capacity_ratio=-1.0)


# ---- the 300-course scenario end to end through the CLI -------------------------------------

def test_courses300_scenario_runs_and_audits_through_the_cli(tmp_path):
    import subprocess
    import sys

    from tests.ocam.test_scenarios import ROOT

    text = (ROOT / "examples" / "ocam_courses300.toml").read_text()
    text = text.replace("n = 200", "n = 60").replace("n_types = 60", "n_types = 20")
    f = tmp_path / "c300.toml"
    f.write_text(text)
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "abm", "run", str(f), "--out", str(tmp_path / "out")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    aud = subprocess.run([sys.executable, "-m", "abm", "audit", str(f)], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300, env=env)
    assert aud.returncode == 0, aud.stderr[-2000:]
    assert "gsp1" in aud.stdout and "sample ECEEI" in aud.stdout


def test_preflib_population_source_scales_capacity_when_resampling(tmp_path):
    from abm.scenario import build_population, load_scenario
    from mechanisms.rng import Streams

    f = tmp_path / "pf.toml"
    body = ('name = "pf"\nseed = 1\n[market]\nkind = "bundles"\n[population]\nsource = "preflib"\n'
            'file = "preflib:agh-2004.soc"\nk = 3\nn = 306\n{extra}[arrivals]\nprocess = "permutation"\n'
            '[mechanism]\nname = "sd"\n')
    f.write_text(body.format(extra=""))
    pop = build_population(load_scenario(f), Streams(1))
    assert pop.market.goods.capacities == (120,) * 7 and len(pop.types) == 306
    f.write_text(body.format(extra="capacity_ratio = 0.1\n"))
    assert build_population(load_scenario(f), Streams(1)).market.goods.capacities == (31,) * 7
