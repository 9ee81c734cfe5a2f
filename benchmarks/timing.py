"""Timing helpers shared by the benchmark modules."""
from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any


def median_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Return (median wall seconds over ``repeats`` calls of ``fn``, the last call's result).

    A garbage collection before each call keeps earlier calls' garbage out of the timing.
    """
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out
