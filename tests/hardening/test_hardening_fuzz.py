"""Mutation fuzzing of every example file and of counterexample files (issue 12, item 4).

Each case runs in this process under a time limit (``signal.alarm`` via
:func:`fuzz_helpers.time_limit`) and must end in a clean ConfigError or a valid read and run,
never a traceback, a hang or a silently accepted invalid file. The larger run (>= 2,000 cases,
counts per outcome) is ``benchmarks/bench_fuzz.py``.
"""
import functools
import pathlib
import random
import tempfile

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fuzz_helpers as F

SECONDS = 8.0
def _ok(outcome, what, detail):
    assert outcome in ("clean error", "valid run"), (outcome, what, detail)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_example_scenarios_fail_cleanly_or_run(seed):
    rng = random.Random(seed)
    outcome, what, detail = F.scenario_case(rng, SECONDS)
    _ok(outcome, what, detail)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_example_sweeps_fail_cleanly_or_validate(seed):
    _ok(*F.sweep_case(random.Random(seed), SECONDS))


@functools.lru_cache(maxsize=1)
def _cx_files():
    """Counterexample files of real audits, written once per session (hypothesis examples share them)."""
    return tuple(F.make_counterexamples(pathlib.Path(tempfile.mkdtemp(prefix="cx-fuzz-"))))


def test_counterexample_seed_files_replay():
    files = _cx_files()
    assert len(files) == 2
    for f in files:
        assert F.run_counterexample_case(f.read_bytes(), False, SECONDS) == ("valid run", "")


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_mutated_counterexamples_fail_cleanly_or_replay(seed):
    _ok(*F.counterexample_case(list(_cx_files()), random.Random(seed), SECONDS))


def test_the_time_limit_catches_a_hang():
    import time

    with pytest.raises(F.Hang):
        with F.time_limit(0.2):
            time.sleep(2)
