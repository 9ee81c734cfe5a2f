"""One small registry class, used for every pluggable family.

Mechanisms, strategies, valuations and coalition graphs each have one instance, keyed by the
short names that scenario files and the CLI use (STYLE.md, lesson 3).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")


class Registry(Generic[T]):
    """A mapping from short names to entries of one family.

    Parameters
    ----------
    family : str
        What the entries are (``"mechanism"``, ``"strategy"``, ...), used in error messages.
    """

    def __init__(self, family: str):
        self.family = family
        self._entries: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Return a decorator registering its argument under ``name``."""

        def decorate(entry: T) -> T:
            if name in self._entries and self._entries[name] is not entry:
                raise ValueError(f"{self.family} {name!r} is registered twice")
            self._entries[name] = entry
            return entry

        return decorate

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name`` and return it."""
        return self.register(name)(entry)

    def get(self, name: str, field: str | None = None) -> T:
        """Return the entry named ``name``; raise :class:`ConfigError` listing known names."""
        try:
            return self._entries[name]
        except (KeyError, TypeError):
            raise ConfigError(field or self.family, name,
                              f"one of the registered {self.family} names {sorted(self._entries)}") from None

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def items(self) -> list[tuple[str, T]]:
        """Return ``(name, entry)`` pairs sorted by name."""
        return [(n, self._entries[n]) for n in self.names()]
