"""Strict reading of nested scenario tables: every error names the dotted field and the value."""
from __future__ import annotations

import math
import pathlib
import tomllib
from collections.abc import Mapping
from typing import Any

from mechanisms.errors import ConfigError, require

_TYPE_NAMES = {int: "an integer", float: "a number", str: "a string", bool: "true or false",
               list: "a list", dict: "a table"}


class Section:
    """A view of one scenario table that records which keys were read.

    ``get`` validates the type of a key (integers are accepted where numbers are expected) and
    ``finish`` rejects keys nobody read, so a typo such as ``capacites`` is an error, not a
    silently ignored field.
    """

    def __init__(self, data: Any, path: str):
        require(isinstance(data, Mapping), path or "scenario", data, "a table")
        self.data = dict(data)
        self.path = path
        self.read: set[str] = set()

    def field(self, key: str) -> str:
        """Return the dotted name of ``key`` in this section."""
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        """Return True when ``key`` is present."""
        return key in self.data

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ..., *, check=None,
            expected: str = "") -> Any:
        """Return the value of ``key`` checked against ``kind`` (and ``check``).

        Raises :class:`ConfigError` naming the field when it is missing and has no default, has
        the wrong type, or fails ``check``.
        """
        self.read.add(key)
        if key not in self.data:
            if default is ...:
                raise ConfigError(self.field(key), None, f"{expected or _describe(kind)} (the field is missing)")
            return default
        v = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = any(_is(v, k) for k in kinds)
        require(ok, self.field(key), v, expected or _describe(kind))
        if float in kinds and isinstance(v, (int, float)) and not isinstance(v, bool):
            require(math.isfinite(v), self.field(key), v, "a finite number")
        if check is not None:
            require(bool(check(v)), self.field(key), v, expected or "a valid value")
        return v

    def section(self, key: str, default: Any = ...) -> Section:
        """Return the sub-table ``key`` as a :class:`Section` (``{}`` when absent and defaulted)."""
        v = self.get(key, dict, {} if default is ... else default)
        return Section(v if v is not None else {}, self.field(key))

    def finish(self) -> None:
        """Raise :class:`ConfigError` for the first key that was never read."""
        for k in self.data:
            if k not in self.read:
                raise ConfigError(self.field(k), self.data[k], f"a known field of [{self.path or 'scenario'}] "
                                  f"(known: {sorted(self.read)})")


def _is(v: Any, k: type) -> bool:
    if k is float:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if k is int:
        return isinstance(v, int) and not isinstance(v, bool)
    if k is dict:
        return isinstance(v, Mapping)
    return isinstance(v, k)


def _describe(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def read_toml(path: str | pathlib.Path, field: str) -> dict[str, Any]:
    """Return the parsed TOML file ``path``; :class:`ConfigError` naming ``field`` if missing or invalid."""
    p = pathlib.Path(path)
    require(p.is_file(), field, str(p), "an existing TOML file")
    try:
        return tomllib.loads(p.read_text())
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(field, str(p), f"valid TOML ({e})") from None
