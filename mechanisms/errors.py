"""Errors raised for bad input.

Every error names the field (parameter, scenario key, ...) and the offending value, so a
user can fix the input without reading the code (STYLE.md, lesson 9).
"""
from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """Bad input: a parameter, scenario field or report that breaks a stated requirement.

    Attributes
    ----------
    field : str
        Dotted name of the offending field, e.g. ``"mechanism.params.eps_b"``.
    value : Any
        The offending value.
    expected : str
        What would have been accepted.
    """

    def __init__(self, field: str, value: Any, expected: str):
        self.field = field
        self.value = value
        self.expected = expected
        super().__init__(f"{field} = {value!r}: expected {expected}")


class InvariantError(RuntimeError):
    """An invariant the code enforces (capacity, budget, one outcome per agent) was broken.

    Raised by mechanisms and the model when their own output would violate a hard invariant;
    it signals a bug, never bad user input. ``claim`` names the claimed property the breach
    violates when there is one (``"budget_feasible"``, ``"ir"``, ``"capacity"``): the auditor
    turns the breach into a violation of that claim, with a counterexample.
    """

    def __init__(self, message: str, claim: str | None = None):
        super().__init__(message)
        self.claim = claim


def require(condition: bool, field: str, value: Any, expected: str) -> None:
    """Raise :class:`ConfigError` naming ``field`` and ``value`` unless ``condition`` holds."""
    if not condition:
        raise ConfigError(field, value, expected)
