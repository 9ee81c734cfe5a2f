"""The one progress bar of long work (runs, sweeps, audits): tqdm when installed and attached to a
terminal, silent otherwise (and with quiet)."""
from __future__ import annotations

import sys
from typing import Any


class Progress:
    """Progress of long work (sweeps, audits): ``update(status)`` once per finished item.

    Parameters
    ----------
    total : int or None
        Items in the work (None when unknown: no ETA then).
    done : int
        Items already finished before this invocation (a resume starts the bar there).
    desc : str
        Label of the bar.
    quiet : bool
        No bar at all.
    """

    def __init__(self, total: int | None, done: int = 0, desc: str = "sweep", quiet: bool = False, unit: str = "run"):
        self.total, self.done, self.failed = total, done, 0
        self.bar: Any = None
        if quiet or not sys.stderr.isatty():
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=total, initial=done, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True)
        self.bar.set_postfix(failed=0)

    def update(self, status: str) -> None:
        """Count one finished item (``status`` "done" or "failed")."""
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
