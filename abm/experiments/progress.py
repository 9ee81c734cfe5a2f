"""Sweep progress: the shared :class:`abm.progress.Progress` bar (counts, failures, ETA)."""
from __future__ import annotations

from abm.progress import Progress as SweepProgress

__all__ = ["SweepProgress"]
