"""Mechanism declarations: what a mechanism is, as data (name, market kinds, parameters, claims).

Every mechanism declares the parameters it takes and the incentive/fairness properties its
paper claims (:class:`MechanismSpec`, :class:`Claim`): the auditor reads those declarations
to decide which checks apply, so a new mechanism is audited without touching the auditor.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import require
from .params import ParamSpec, positive_int, resolve_params
from .public_state import PublicState


@dataclass(frozen=True)
class Claim:
    """A property a paper claims for a mechanism.

    ``key`` is what the auditor dispatches on (``"strategyproof"``, ``"gsp1"``, ``"sp1"``,
    ``"universal_truthfulness"``, ``"budget_feasible"``, ``"ir"``, ``"ef1"``, ``"daceei"``,
    ``"greedy"``, ``"equal_type_envy_free"``, ...). ``source`` cites the definition and the
    theorem; ``assumptions`` says when the paper's claim applies.
    """

    key: str
    source: str
    assumptions: str = ""


@dataclass(frozen=True)
class MechanismSpec:
    """What a mechanism is, as data: name, market kind, parameters and claimed properties.

    ``incremental`` is True when the paper makes a unilateral deviator's outcome independent
    of everyone else's reports given the public state at its arrival (OCAM post-sample agents,
    posted-price procurement sellers), so the auditor may replay that agent alone.

    ``version`` follows PettingZoo's ``_vN`` rule: bump it whenever a change to the mechanism
    may alter any run's results (outcomes, prices, random draws, published state), so a stored
    result or counterexample says which implementation produced it.

    ``mutant_of`` names the faithful mechanism a deliberately broken copy was derived from
    (``None`` for a faithful mechanism). Mutants live in the one registry so scenario files
    may name them (classroom use), but listings show them marked, and the auditor's tests use
    them to show every checker can fail.

    ``public_state`` is the class of what :meth:`OnlineMechanism.public` returns (a
    :class:`~mechanisms.public_state.PublicState` subclass; the base publishes nothing).
    """

    name: str
    title: str
    market_kinds: tuple[str, ...]
    paper: str
    params: tuple[ParamSpec, ...] = ()
    claims: tuple[Claim, ...] = ()
    incremental: bool = False
    version: int = 1
    mutant_of: str | None = None
    public_state: type[PublicState] = PublicState

    def __post_init__(self) -> None:
        require(positive_int(self.version), f"{self.name}.spec.version", self.version, "a positive integer")
        require(isinstance(self.public_state, type) and issubclass(self.public_state, PublicState),
                f"{self.name}.spec.public_state", self.public_state,
                "a subclass of mechanisms.public_state.PublicState")

    def param(self, name: str) -> ParamSpec:
        """Return the spec of parameter ``name``."""
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        """Return every parameter's default value."""
        return {p.name: p.default for p in self.params}

    def resolve(self, params: Mapping[str, Any] | None, prefix: str = "mechanism.params.") -> dict[str, Any]:
        """Return defaults updated with ``params``, every value validated.

        Raises :class:`ConfigError` for an unknown parameter name or an unacceptable value.
        """
        return resolve_params(self.params, params, prefix, self.name)

    def claim_keys(self) -> tuple[str, ...]:
        """Return the keys of the declared claims."""
        return tuple(c.key for c in self.claims)
