"""Parameter specs of the strategies: :class:`~mechanisms.params.ParamSpec` builders.

Strategies declare their parameters as a tuple of ``ParamSpec`` like mechanisms do, and are
validated by the same code (:func:`mechanisms.params.resolve_params`); errors name
``strategy.<name>.<param>`` (``coalition_strategy.<name>.<param>`` for coalition strategies).
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from mechanisms.params import ParamSpec


def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def int_param(name: str, default: int | None, doc: str, lo: int = 0, allow_none: bool = False) -> ParamSpec:
    """Return the spec of an integer parameter >= ``lo`` (or None when ``allow_none``)."""
    return ParamSpec(name, default, doc, check=lambda v: (allow_none and v is None) or (_is_int(v) and v >= lo),
                     expected=f"an integer >= {lo}" + (" or None" if allow_none else ""))


def real_param(name: str, default: float, doc: str, lo: float = -math.inf, hi: float = math.inf,
               lo_open: bool = False) -> ParamSpec:
    """Return the spec of a finite real parameter in [lo, hi] (or (lo, hi] when ``lo_open``)."""

    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            return False
        v = float(v)
        return math.isfinite(v) and (v > lo if lo_open else v >= lo) and v <= hi

    return ParamSpec(name, default, doc, check=check, expected=f"a finite number in {'(' if lo_open else '['}{lo}, {hi}]")


def choice_param(name: str, default: Any, doc: str, choices: tuple[Any, ...]) -> ParamSpec:
    """Return the spec of a parameter taking one of ``choices``."""
    return ParamSpec(name, default, doc, choices=choices)


def flag_param(name: str, default: bool, doc: str) -> ParamSpec:
    """Return the spec of a True/False parameter (1 and 0 are refused: a flag is a bool)."""
    return ParamSpec(name, default, doc, check=lambda v: isinstance(v, (bool, np.bool_)), expected="True or False")
