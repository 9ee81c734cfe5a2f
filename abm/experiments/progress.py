"""Sweep progress: a tqdm bar with done/total counts, failures and ETA on stderr.

Silent with ``quiet`` and whenever stderr is not a terminal (logs, CI, subprocesses), like
:func:`abm.progress.progress_bar`, which this extends with failure counts.
"""
from __future__ import annotations

import sys
from typing import Any


class SweepProgress:
    """Progress of a sweep: ``update(status)`` once per finished run.

    Parameters
    ----------
    total : int
        Runs in the sweep.
    done : int
        Runs already finished before this invocation (a resume starts the bar there).
    desc : str
        Label of the bar.
    quiet : bool
        No bar at all.
    """

    def __init__(self, total: int, done: int = 0, desc: str = "sweep", quiet: bool = False):
        self.total, self.done, self.failed = total, done, 0
        self.bar: Any = None
        if quiet or not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, initial=done, desc=desc, unit="run", file=sys.stderr, dynamic_ncols=True)
        self.bar.set_postfix(failed=0)

    def update(self, status: str) -> None:
        """Count one finished run (``status`` "done" or "failed")."""
        self.done += 1
        if status == "failed":
            self.failed += 1
        if self.bar is not None:
            if status == "failed":
                self.bar.set_postfix(failed=self.failed, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        """Close the bar."""
        if self.bar is not None:
            self.bar.close()
