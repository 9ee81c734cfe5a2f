"""The mechanism registry: registered mechanisms by short name, and :func:`make_mechanism`."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .market import Market
from .online_mechanism import OnlineMechanism
from .registry import Registry

MECHANISMS: Registry[type[OnlineMechanism]] = Registry("mechanism")


def register_mechanism(cls: type[OnlineMechanism]) -> type[OnlineMechanism]:
    """Class decorator: register ``cls`` under ``cls.spec.name``."""
    return MECHANISMS.add(cls.spec.name, cls)


def registered_mechanisms(*, mutants: bool = False) -> list[tuple[str, type[OnlineMechanism]]]:
    """Return ``(name, class)`` of the registered faithful mechanisms, sorted by name.

    With ``mutants`` the deliberately broken copies (``spec.mutant_of`` set,
    :mod:`mechanisms.mutants`) are included too.
    """
    return [(n, c) for n, c in MECHANISMS.items() if mutants or c.spec.mutant_of is None]


def make_mechanism(name: str, market: Market, params: Mapping[str, Any] | None = None) -> OnlineMechanism:
    """Return the registered mechanism ``name`` configured on ``market`` with ``params``."""
    cls = MECHANISMS.get(name, "mechanism.name")
    return cls(market, **dict(params or {}))
