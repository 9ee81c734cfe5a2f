"""Progress bars: tqdm when installed and attached to a terminal, silent otherwise."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any


def progress_bar(it: Iterable[Any], total: int | None = None, desc: str = "", quiet: bool = False) -> Iterable[Any]:
    """Return ``it`` wrapped in a progress bar on stderr, or ``it`` itself when quiet or not a TTY."""
    if quiet or not sys.stderr.isatty():
        return it
    try:
        from tqdm import tqdm
    except ImportError:
        return it
    return tqdm(it, total=total, desc=desc, file=sys.stderr)
