"""The reporting-strategy interface and the strategy registry.

A strategy maps (own true type, public information, own random stream) to a declared type
(DESIGN.md, "Layers"). It sees nothing else: not other agents' types, not the mechanism's
private state. A coalition strategy maps the members' true types and the same public
information to the members' reports. Strategies are registered under short names and built
from spec strings such as ``"truncate:k=2"`` (the form scenario files and the CLI use).
"""
from __future__ import annotations

import ast
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.market import Market
from mechanisms.params import ParamSpec, resolve_params
from mechanisms.preferences import AgentType
from mechanisms.public_state import PublicState
from mechanisms.registry import Registry


@dataclass(frozen=True)
class PublicInfo:
    """What an arriving agent may observe when it reports.

    Attributes
    ----------
    market : Market
        The public market description.
    tick : int
        The current tick.
    public : PublicState
        What the mechanism has made public so far (``OnlineMechanism.public()`` before this
        tick), an instance of the class its spec declares (``spec.public_state``: posted
        prices, phase, remaining capacity, ...). The default is the base class: nothing
        published (a strategy called outside a run).
    agent : int or None
        The reporting agent's own id (it knows who it is: a procurement seller needs it for
        its marginal value v(i|S)); None when the caller does not say.
    """

    market: Market
    tick: int
    public: PublicState = field(default_factory=PublicState)
    agent: int | None = None

    def __post_init__(self) -> None:
        require(isinstance(self.public, PublicState), "info.public", type(self.public).__name__,
                "a mechanisms.public_state.PublicState (what the mechanism's public() returns)")

    def seen_by(self, agent: int) -> PublicInfo:
        """Return this information as agent ``agent`` sees it (the same, with its own id)."""
        return PublicInfo(self.market, self.tick, self.public, int(agent))


class Declared:
    """What unilateral and coalition strategies share: a name, a version, declared parameters.

    Subclasses set ``name``, ``kinds`` (the market kinds they apply to), ``probes`` (the claim
    they probe, for the README table) and ``params``, a tuple of
    :class:`~mechanisms.params.ParamSpec` (as mechanisms declare theirs; builders in
    :mod:`strategies.validation`). The constructor resolves the parameters through the specs
    (unknown names and bad values raise :class:`ConfigError` naming
    ``<field_root>.<name>.<param>``) into ``self.p``, then calls :meth:`validate` for checks
    across parameters. ``version`` follows PettingZoo's ``_vN`` rule: bump it whenever a
    change to the strategy may alter the reports it produces (and so any stored result).
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    kinds: ClassVar[tuple[str, ...]] = ("bundles", "objects", "procurement")
    probes: ClassVar[str] = ""
    params: ClassVar[tuple[ParamSpec, ...]] = ()
    #: First part of a bad parameter's error field.
    field_root: ClassVar[str] = "strategy"

    def __init__(self, **params: Any):
        self.p = resolve_params(self.params, params, f"{self.field_root}.{self.name}.", self.name)
        self.validate()

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Return every parameter's default value, in declaration order."""
        return {p.name: p.default for p in cls.params}

    def validate(self) -> None:
        """Check ``self.p`` across parameters; raise :class:`ConfigError` naming the parameter."""

    def spec(self) -> str:
        """Return the spec string that rebuilds this strategy (``name:k=v,...``, changed parameters only)."""
        defaults = self.defaults()
        changed = {k: v for k, v in self.p.items() if defaults.get(k) != v}
        return self.name + (":" + ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                                            for k, v in sorted(changed.items())) if changed else "")


class Strategy(Declared, ABC):
    """A unilateral reporting strategy (parameters, version and spec string: :class:`Declared`)."""

    @abstractmethod
    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        """Return the type to declare, of the same kind as ``true_type``."""

    @property
    def is_truthful(self) -> bool:
        """True for strategies that always declare the true type."""
        return False

    def __repr__(self) -> str:
        return f"<strategy {self.spec()}>"


STRATEGIES: Registry[type[Strategy]] = Registry("strategy")


def register_strategy(cls: type[Strategy]) -> type[Strategy]:
    """Class decorator: register ``cls`` under ``cls.name``."""
    return STRATEGIES.add(cls.name, cls)


@register_strategy
class Truthful(Strategy):
    """Declare the true type (the identity)."""

    name = "truthful"
    kinds = ("bundles", "objects", "procurement", "fair_division")
    probes = "baseline"

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        return true_type

    @property
    def is_truthful(self) -> bool:
        return True


#: Longest spec string accepted (a spec is a short name and a few parameters).
MAX_SPEC_CHARS = 2000


def _plain_value(v: Any, depth: int = 0) -> bool:
    """Return True for the values a spec may carry: str, int, float, bool, None, and lists/tuples of them."""
    if v is None or isinstance(v, (str, int, float, bool)):
        return True
    if isinstance(v, (list, tuple)) and depth < 4:
        return all(_plain_value(x, depth + 1) for x in v)
    return False


def _parse_value(text: str) -> Any:
    """Return the literal ``text`` (a number, string, bool, None, or a short list/tuple of them).

    Anything else (an expression, a set, a dict, deep nesting) is kept as the plain string, so
    the strategy's own parameter check rejects it by name; nothing is ever evaluated.
    """
    if len(text) > MAX_SPEC_CHARS or text.count("(") + text.count("[") > 16:
        return text
    try:
        v = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        return text
    return v if _plain_value(v) else text


def split_spec(spec: Any, field: str, expected: str) -> tuple[str, dict[str, Any]]:
    """Return ``(name, params)`` of a spec ``"name:k=v,k2=v2"`` or of a mapping ``{"name": ..., **params}``.

    Raises :class:`ConfigError` naming ``field`` for a spec that is not a non-empty string or a
    table, a name that is not a non-empty string, a parameter not written ``key=value``, or a
    key given twice (``truncate:k=1,k=2`` is an error, not "the last one wins").
    """
    if isinstance(spec, Mapping):
        params = dict(spec)
        require("name" in params, field, spec, 'a table with a "name" key')
        name = params.pop("name")
        require(isinstance(name, str) and name.strip() != "", f"{field}.name", name, "a strategy name (a string)")
        for k in params:
            require(isinstance(k, str) and k.isidentifier(), f"{field}.{k}", params[k], "a parameter name")
        return name.strip(), params
    require(isinstance(spec, str) and spec.strip() != "" and len(spec) <= MAX_SPEC_CHARS, field,
            spec if not isinstance(spec, str) else spec[:80], expected)
    name, _, rest = spec.partition(":")
    require(name.strip() != "", field, spec, expected)
    params: dict[str, Any] = {}
    for part in filter(None, (x.strip() for x in rest.split(","))):
        k, eq, v = part.partition("=")
        k = k.strip()
        require(eq == "=" and k.isidentifier(), field, spec, 'parameters written "key=value"')
        require(k not in params, f"{field}.{k}", spec, f"each parameter given once ({k!r} repeats)")
        params[k] = _parse_value(v.strip())
    return name.strip(), params


def parse_strategy(spec: str | Mapping[str, Any], field: str = "strategy") -> Strategy:
    """Return the strategy described by ``spec``.

    ``spec`` is ``"name"`` or ``"name:k=v,k2=v2"`` (values read as literals: numbers, quoted or
    bare-word strings, booleans, None, short lists; never evaluated), or a mapping
    ``{"name": ..., **params}``. Raises :class:`ConfigError` naming ``field`` (see
    :func:`split_spec`; an unknown name lists the registered strategies).
    """
    name, params = split_spec(spec, field, 'a strategy spec such as "truncate:k=2"')
    cls = STRATEGIES.get(name.strip(), field)
    try:
        return cls(**params)
    except ConfigError as e:
        raise ConfigError(f"{field}.{e.field.split('.')[-1]}", e.value, e.expected) from None
    except (TypeError, ValueError, OverflowError) as e:  # a parameter of a type its check did not foresee
        raise ConfigError(field, spec, f"parameters of the types {name!r} takes ({type(e).__name__}: {e})") from None
