"""Parameter specifications: what a mechanism or strategy takes, validated once.

A :class:`ParamSpec` names a parameter, its default, its meaning and where the paper fixes it,
with a check; :func:`resolve_params` turns given values into validated parameters (errors name
the parameter). Mechanisms (``MechanismSpec.params``) and strategies (``Strategy.params``)
declare theirs this way.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import require


@dataclass(frozen=True)
class ParamSpec:
    """One mechanism parameter: name, default, meaning, and where the paper fixes it.

    ``check`` returns True for acceptable values; ``expected`` says what is acceptable (used
    verbatim in the error message). ``source`` cites the paper ("Section 4.2", "Corollary 1").
    """

    name: str
    default: Any
    doc: str
    source: str = ""
    check: Callable[[Any], bool] | None = None
    expected: str = ""
    choices: tuple[Any, ...] | None = None

    def validate(self, value: Any, prefix: str) -> Any:
        """Return ``value`` if acceptable, else raise :class:`ConfigError` naming the parameter."""
        name = f"{prefix}{self.name}"
        if self.choices is not None:
            require(value in self.choices, name, value, f"one of {list(self.choices)}")
        if self.check is not None:
            try:
                ok = bool(self.check(value))
            except (TypeError, ValueError):
                ok = False
            require(ok, name, value, self.expected or "a valid value")
        return value


def resolve_params(specs: Sequence[ParamSpec], params: Mapping[str, Any] | None, prefix: str,
                   owner: str) -> dict[str, Any]:
    """Return every parameter of ``specs``: its default updated with ``params``, validated.

    Raises :class:`ConfigError` naming ``<prefix><name>`` for a name not among ``specs`` (the
    message lists those of ``owner``) or a value its spec rejects. Mechanisms and strategies
    both resolve their parameters here.
    """
    params = dict(params or {})
    known = {p.name for p in specs}
    for k in params:
        require(k in known, f"{prefix}{k}", params[k], f"a parameter of {owner} among {sorted(known)}")
    return {p.name: p.validate(params.get(p.name, p.default), prefix) for p in specs}


def real_in(lo: float, hi: float, lo_open: bool = False, hi_open: bool = False) -> Callable[[Any], bool]:
    """Return a check accepting real numbers in the interval from ``lo`` to ``hi``."""

    def check(v: Any) -> bool:
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            return False
        v = float(v)
        if not math.isfinite(v) and not (math.isinf(hi) and v == math.inf):
            return False
        return (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi)

    return check


def positive_int(v: Any) -> bool:
    """Check: a positive integer (bools rejected)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1
