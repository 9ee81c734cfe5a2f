"""SP1 trend study benchmark (issue 11, item 4): the ``ps_last_period`` family, n = 2..50.

For faithful SEM and for ``mutant_sem_own_price_shift`` (a report shifts its own price by an
amount independent of n): the time of the whole study (every arrival times every other type
of its period, one market per (n, seed)), the pairs replayed per second, and the trend
verdict (:mod:`abm.audit.trend`). Targets: faithful SEM is not flagged (its curve falls), the
mutant is flagged "violated: does not vanish". ``quick``: n in 2, 4, 8, 16, 32, 3 seeds.
"""
from __future__ import annotations

import time

NS = [2, 3, 4, 6, 8, 12, 16, 24, 32, 50]
SEEDS = range(6)


def _curve(study) -> str:
    return " ".join(f"{r['n']}:{r['events']}/{r['pairs']}" for r in study.rows)


def run(quick: bool = False) -> list[dict]:
    from abm.audit.studies import family_build, sp1_study
    from abm.audit.trend import NOT_VANISHING

    ns = [2, 4, 8, 16, 32] if quick else NS
    seeds = range(3) if quick else SEEDS
    rows = []
    for mech in ("sem", "mutant_sem_own_price_shift"):
        t0 = time.perf_counter()
        study = sp1_study(family_build("ps_last_period", mech), ns, seeds)
        dt = time.perf_counter() - t0
        pairs = sum(r["pairs"] for r in study.rows)
        span = f"n={ns[0]}..{ns[-1]}, {len(list(seeds))} seeds"
        flagged = study.label == NOT_VANISHING
        want = "flagged" if mech != "sem" else "not flagged"
        rows += [
            {"benchmark": f"SP1 study {mech} on ps_last_period ({span})", "value": dt, "unit": "s", "target": "",
             "ok": None},
            {"benchmark": f"SP1 study {mech}: pairs replayed per second", "value": pairs / dt, "unit": "pairs/s",
             "target": "", "ok": None},
            {"benchmark": f"SP1 study {mech}: trend verdict [{study.label}; curve {_curve(study)}; "
                          f"p_fall={study.trend.p_fall:.3g}]", "value": study.label, "unit": "",
             "target": want, "ok": flagged if mech != "sem" else not flagged},
        ]
    return rows


if __name__ == "__main__":
    for r in run():
        print(r)
