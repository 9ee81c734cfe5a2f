"""The audit benchmark (make bench) still runs: its quick mode on small instances (issue 11's rows)."""
import math

from benchmarks import bench_audit


def test_bench_audit_quick_rows_are_measured_rates_and_a_full_zoo_score():
    rows = bench_audit.run(quick=True)
    by = {r["benchmark"]: r for r in rows}
    rates = [r for r in rows if r["unit"] == "deviations/s"]
    assert len(rates) == 8  # trustless and shortcut, for OCAM post-sample, OCAM sample, SEM, procurement
    assert all(math.isfinite(r["value"]) and r["value"] > 0 for r in rates), rates
    assert sum("trustless (protocol path)" in r["benchmark"] for r in rates) == 4
    zoo = next(r for k, r in by.items() if k.startswith("mutant zoo: flagged share"))
    assert zoo["value"] == 1.0
    mem = next(r for k, r in by.items() if k.startswith("OCAM checkpoints"))
    assert 0 < mem["value"] < 2
