"""Run fairpyx's A-CEEI (Budish et al.'s course-match price search) on a market given as JSON.

Executed by ``bench_peer_fairpyx`` in fairpyx's own environment (fairpyx needs numpy < 2,
this project numpy 2): ``python peer_fairpyx_worker.py IN.json OUT.json``. The students'
preferences are handed over as their ranked lists of schedules (the same bundle rankings the
testbed uses), by replacing fairpyx's schedule enumeration from additive valuations; budgets,
capacities and the time limit come from the file. Writes prices, the seconds the search took
and fairpyx's own error (the L2 norm of every course's excess demand). Reads and writes data only.
"""
from __future__ import annotations

import json
import sys
import time


def main(src: str, dst: str) -> None:
    import fairpyx.algorithms.course_match.A_CEEI as ac
    from fairpyx import AllocationBuilder, Instance

    d = json.loads(open(src).read())
    items = list(d["items"])
    students = list(d["students"])
    inst = Instance(valuations={s: {c: 1 for c in items} for s in students},
                    agent_capacities={s: int(d["max_bundle"]) for s in students},
                    item_capacities={c: int(k) for c, k in zip(items, d["capacities"])})
    schedules = {s: [[1 if c in set(b) else 0 for c in items] for b in d["students"][s]["ranked"]] for s in students}
    ac.find_preferred_schedule_adapter = lambda alloc: schedules  # the testbed's rankings, verbatim
    budget = {s: float(d["students"][s]["budget"]) for s in students}
    alloc = AllocationBuilder(inst)
    t0 = time.perf_counter()
    prices = ac.A_CEEI(alloc, budget, d["time_limit"], d["seed"])
    secs = time.perf_counter() - t0
    err = float(ac.alpha(ac.compute_surplus_demand_for_each_course(prices, alloc, budget, schedules)))
    json.dump({"prices": [float(prices[c]) for c in items], "seconds": secs, "alpha": err}, open(dst, "w"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
