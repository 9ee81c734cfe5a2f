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
from mechanisms.preferences import AgentType
from mechanisms.protocol import Market
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
    public : Mapping
        What the mechanism has made public so far (``OnlineMechanism.public()`` before this
        tick: posted prices, phase, remaining capacity, ...).
    """

    market: Market
    tick: int
    public: Mapping[str, Any] = field(default_factory=dict)


class Strategy(ABC):
    """A unilateral reporting strategy.

    Subclasses set ``name``, ``kinds`` (the market kinds they apply to), ``probes`` (the claim
    they probe, for the README table) and ``params`` (name -> default); the constructor
    validates parameters.
    """

    name: ClassVar[str]
    kinds: ClassVar[tuple[str, ...]] = ("bundles", "objects", "procurement")
    probes: ClassVar[str] = ""
    params: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any):
        unknown = set(params) - set(self.params)
        for k in unknown:
            raise ConfigError(f"strategy.{self.name}.{k}", params[k], f"a parameter among {sorted(self.params)}")
        self.p = {**self.params, **params}
        self.validate()

    def validate(self) -> None:
        """Check ``self.p``; raise :class:`ConfigError` naming the parameter."""

    @abstractmethod
    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        """Return the type to declare, of the same kind as ``true_type``."""

    @property
    def is_truthful(self) -> bool:
        """True for strategies that always declare the true type."""
        return False

    def spec(self) -> str:
        """Return the spec string that rebuilds this strategy (``name:k=v,...``)."""
        changed = {k: v for k, v in self.p.items() if self.params.get(k) != v}
        return self.name + (":" + ",".join(f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
                                            for k, v in sorted(changed.items())) if changed else "")

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
    probes = "baseline"

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        return true_type

    @property
    def is_truthful(self) -> bool:
        return True


def _parse_value(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_strategy(spec: str | Mapping[str, Any], field: str = "strategy") -> Strategy:
    """Return the strategy described by ``spec``.

    ``spec`` is ``"name"`` or ``"name:k=v,k2=v2"`` (values parsed as Python literals, bare
    words as strings), or a mapping ``{"name": ..., **params}``.
    """
    if isinstance(spec, Mapping):
        spec = dict(spec)
        require("name" in spec, field, spec, 'a table with a "name" key')
        name = spec.pop("name")
        params = spec
    else:
        require(isinstance(spec, str) and spec.strip() != "", field, spec, 'a strategy spec such as "truncate:k=2"')
        name, _, rest = spec.partition(":")
        params = {}
        for part in filter(None, (x.strip() for x in rest.split(","))):
            k, eq, v = part.partition("=")
            require(eq == "=" and k.strip() != "", field, spec, 'parameters written "key=value"')
            params[k.strip()] = _parse_value(v.strip())
    cls = STRATEGIES.get(name.strip(), field)
    try:
        return cls(**params)
    except ConfigError as e:
        raise ConfigError(f"{field}.{e.field.split('.')[-1]}", e.value, e.expected) from None
