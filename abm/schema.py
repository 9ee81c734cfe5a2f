"""Strict reading of nested scenario tables: every error names the dotted field and the value.

One schema for every table of a scenario and a sweep (issue 12): :class:`Section` checks the
type of each key (integers fit in 64 bits, numbers are finite), its range, and rejects keys
nobody read; :func:`read_toml` turns every unreadable file (missing, not UTF-8, not TOML, too
large, nested too deeply) into a :class:`ConfigError`. Size limits (:data:`MAX_GOODS`,
:data:`MAX_AGENTS`) bound the work validation may do before anything runs.

Why a hand-written class and not pydantic or msgspec (measured in issue 12): the checks that
matter here are not per-field types but registry look-ups and cross-field ranges (a source's
fields depend on ``population.source``, a coalition's ``size`` on the population, claims on
``CLAIM_CHECKERS``), which a model library would run as custom validators anyway; its errors
would need translating into this project's one-line ``field = value: expected ...`` form; and
validation costs microseconds per table against milliseconds to build a population, so a
compiled validator buys no speed a user can see. No new dependency is added.
"""
from __future__ import annotations

import math
import pathlib
import tomllib
from collections.abc import Mapping
from typing import Any

from mechanisms.errors import ConfigError, require

#: Largest number of goods (or objects) a scenario may declare.
MAX_GOODS = 10_000
#: Largest number of agents a scenario may declare (population size, periods x arrivals).
MAX_AGENTS = 1_000_000
#: Largest scenario or sweep file read (bytes).
MAX_FILE_BYTES = 16 * 1024 * 1024
#: Largest magnitude of a number in ``[market]`` and ``[population]`` (no quantity of the papers
#: needs more; beyond it numpy casts and sums lose meaning silently).
MAX_MAGNITUDE = 1e15
#: Integers must fit a signed 64-bit column (seeds and counts are stored in SQLite).
INT_LIMIT = 2**63

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
        if isinstance(v, int) and not isinstance(v, bool):
            require(-INT_LIMIT <= v < INT_LIMIT, self.field(key), v, "an integer that fits 64 bits (below 2^63)")
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


def is_file(path: str | pathlib.Path) -> bool:
    """Return True when ``path`` names an existing file (False for a name the OS rejects: too long, NUL)."""
    try:
        return pathlib.Path(path).is_file()
    except (OSError, ValueError):
        return False


def read_toml(path: str | pathlib.Path, field: str) -> dict[str, Any]:
    """Return the parsed TOML file ``path``; :class:`ConfigError` naming ``field`` if it cannot be read.

    A missing file, one larger than :data:`MAX_FILE_BYTES`, one that is not UTF-8 text, a TOML
    syntax error and nesting too deep for the parser are all errors naming the file.
    """
    p = pathlib.Path(path)
    require(is_file(p), field, str(p)[:200], "an existing TOML file")
    size = p.stat().st_size
    require(size <= MAX_FILE_BYTES, field, str(p), f"a file of at most {MAX_FILE_BYTES} bytes ({size})")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError(field, str(p), f"a UTF-8 text file ({e})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(field, str(p), f"valid TOML ({e})") from None
    except RecursionError:
        raise ConfigError(field, str(p), "TOML nested less deeply (arrays or tables nest too deep)") from None


#: Keys of an ``[audit]`` table besides the AuditOptions fields (abm.audit.sources reads them).
AUDIT_SEARCH_KEYS = ("deviations", "agents", "claims", "per_agent")


def validate_audit_table(table: Any, path: str = "audit") -> dict[str, Any]:
    """Return the validated entries of an ``[audit]`` table (only those given).

    ``deviations``: a source name or a non-empty list of names from ``abm.audit.sources.SOURCES``;
    ``agents``, ``per_agent``: positive integers; ``claims``: a non-empty list of claim keys known
    to the auditor (``abm.audit.claims.CLAIM_CHECKERS``, read now, so newly added claims are
    accepted); every field of ``abm.audit.claims.AuditOptions`` (``eps`` in (0, 1),
    ``support_draws``, ``path``, ...) through
    :func:`abm.audit.claims.audit_options_from_table`. Unknown keys are errors. Raises
    :class:`ConfigError` naming ``<path>.<key>``.
    """
    from abm.audit.claims import CLAIM_CHECKERS, audit_option_fields, audit_options_from_table
    from abm.audit.sources import SOURCES as DEVIATION_SOURCES

    sec = Section(table, path)
    option_keys = tuple(audit_option_fields())
    known = AUDIT_SEARCH_KEYS + option_keys
    for k in sec.data:
        require(k in known, sec.field(k), sec.data[k], f"a known field of [{path}] (known: {sorted(known)})")
    out: dict[str, Any] = {}
    if sec.has("deviations"):
        dev = sec.get("deviations", (str, list), expected="a deviation source or a list of them")
        devs = [dev] if isinstance(dev, str) else list(dev)
        require(len(devs) > 0, sec.field("deviations"), dev, "a non-empty list of deviation sources")
        for d in devs:
            require(isinstance(d, str) and d in DEVIATION_SOURCES, sec.field("deviations"), d,
                    f"one of {list(DEVIATION_SOURCES)}")
        require(len(set(devs)) == len(devs), sec.field("deviations"), dev, "each source named once")
        out["deviations"] = devs
    for k in ("agents", "per_agent"):
        if sec.has(k):
            out[k] = sec.get(k, int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    if sec.has("claims"):
        claims = sec.get("claims", list, expected='a list of claim keys, e.g. ["strategyproof"]')
        names = sorted(CLAIM_CHECKERS)
        require(len(claims) > 0, sec.field("claims"), claims, "a non-empty list of claim keys")
        for c in claims:
            require(isinstance(c, str) and c in names, sec.field("claims"), c, f"a claim key among {names}")
        require(len(set(claims)) == len(claims), sec.field("claims"), claims, "each claim named once")
        out["claims"] = list(claims)
    audit_options_from_table(sec.data, path)  # types and ranges of the AuditOptions fields
    fields = audit_option_fields()
    for k in option_keys:
        if k in sec.data:
            out[k] = float(sec.data[k]) if fields[k] is float else sec.data[k]
    return out


#: Keys of ``[market]`` and ``[population]`` (any source, nested tables included) that size the
#: work of building a population, with their largest value: one limit for every source.
SIZE_KEYS: dict[str, int] = {"n": MAX_AGENTS, "m": MAX_GOODS, "count": MAX_AGENTS, "periods": MAX_AGENTS,
                             "per_period": MAX_AGENTS, "replica": MAX_AGENTS, "n_types": MAX_AGENTS,
                             "size": MAX_AGENTS, "centres": MAX_GOODS, "k": MAX_GOODS}


def check_raw(raw: Mapping[str, Any]) -> None:
    """Apply the rules every scenario table obeys, whichever source or mechanism reads it.

    - no NaN anywhere (no field is meaningfully "not a number"), no integer beyond 64 bits
      (the TOML specification's integers; larger ones cannot come from a valid file);
    - no list mixing ``true``/``false`` with numbers (``types = [1, true]`` would read ``true``
      as 1: a misreading, not a value);
    - in ``[market]`` and ``[population]`` numbers are finite and at most :data:`MAX_MAGNITUDE`
      in magnitude, and the sizing keys of
      :data:`SIZE_KEYS` are integers within their limits, so no source can be asked to build
      10^15 agents or goods.

    Raises :class:`ConfigError` naming the dotted field.
    """
    def walk(x: Any, path: str, sizing: bool) -> None:
        if isinstance(x, float) and math.isnan(x):
            raise ConfigError(path, x, "a number (NaN is not a value)")
        if isinstance(x, float) and sizing and math.isinf(x):
            raise ConfigError(path, x, "a finite number (market and population data are finite)")
        if isinstance(x, (int, float)) and not isinstance(x, bool) and sizing and abs(x) > MAX_MAGNITUDE:
            raise ConfigError(path, x, f"a number of magnitude at most {MAX_MAGNITUDE:g}")
        if isinstance(x, int) and not isinstance(x, bool) and not -INT_LIMIT <= x < INT_LIMIT:
            raise ConfigError(path, x, "an integer that fits 64 bits (TOML integers are 64-bit)")
        if isinstance(x, Mapping):
            for k, v in x.items():
                f = f"{path}.{k}" if path else str(k)
                if sizing and k in SIZE_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool):
                    require(isinstance(v, int) and 0 <= v <= SIZE_KEYS[k] or
                            isinstance(v, float) and v.is_integer() and 0 <= v <= SIZE_KEYS[k], f, v,
                            f"a size of at most {SIZE_KEYS[k]}")
                walk(v, f, sizing or (not path and k in ("market", "population")))
        elif isinstance(x, list):
            kinds = {bool if isinstance(v, bool) else (float if isinstance(v, (int, float)) else None) for v in x}
            require(not {bool, float} <= kinds, path, x, "a list without true/false among numbers")
            for i, v in enumerate(x):
                walk(v, f"{path}[{i}]", sizing)

    walk(raw, "", False)
