"""Timing helpers shared by the benchmark modules."""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], repeats: int,
                clock: Callable[[], float] = time.perf_counter) -> tuple[float, Any]:
    """Return (median seconds over ``repeats`` calls of ``fn``, the last call's result).

    ``clock`` is wall time by default; ``time.process_time`` gives this process's CPU time.

    A garbage collection before each call keeps earlier calls' garbage out of the timing.
    """
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = clock()
        out = fn()
        times.append(clock() - t0)
    return statistics.median(times), out
