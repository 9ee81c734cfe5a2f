"""Parameter checks shared by the strategies (errors name ``strategy.<name>.<param>``)."""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from mechanisms.errors import require

from .base import _parse_value  # noqa: F401  (re-exported)
from .base import split_spec as _split_spec


def _field(owner: str, name: str) -> str:
    return f"strategy.{owner}.{name}"


def check_int(owner: str, p: Mapping[str, Any], name: str, lo: int = 0, allow_none: bool = False) -> None:
    """Raise ConfigError unless ``p[name]`` is an integer >= ``lo`` (or None when allowed)."""
    v = p[name]
    if allow_none and v is None:
        return
    require(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= lo, _field(owner, name), v,
            f"an integer >= {lo}" + (" or None" if allow_none else ""))


def check_real(owner: str, p: Mapping[str, Any], name: str, lo: float = -math.inf, hi: float = math.inf,
               lo_open: bool = False) -> None:
    """Raise ConfigError unless ``p[name]`` is a finite real in [lo, hi] (or (lo, hi] when lo_open)."""
    v = p[name]
    ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(float(v))
    if ok:
        v = float(v)
        ok = (v > lo if lo_open else v >= lo) and v <= hi
    require(ok, _field(owner, name), p[name], f"a finite number in {'(' if lo_open else '['}{lo}, {hi}]")


def check_choice(owner: str, p: Mapping[str, Any], name: str, choices: tuple[Any, ...]) -> None:
    """Raise ConfigError unless ``p[name]`` is one of ``choices``."""
    require(p[name] in choices, _field(owner, name), p[name], f"one of {list(choices)}")


def split_spec(spec: str | Mapping[str, Any], field: str, expected: str) -> tuple[str, dict[str, Any]]:
    """Return ``(name, params)`` of a spec ``"name:k=v,k2=v2"`` (values are Python literals) or a
    mapping ``{"name": ..., **params}``; raise ConfigError naming ``field`` otherwise."""
    return _split_spec(spec, field, expected)  # one parser for every spec (strategies.base)
