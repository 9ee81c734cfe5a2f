"""How a mutant is declared: its spec names the faithful parent, and it registers in the one registry.

A mutant is a faithful mechanism with exactly one thing broken. It lives in
:data:`mechanisms.mechanism_registry.MECHANISMS` like any mechanism (so scenario files and counterexample
files may name it, for classroom demonstrations and replays), tagged by
``spec.mutant_of`` = the parent's registered name; listings show only faithful mechanisms
unless asked (:func:`mechanisms.mechanism_registry.registered_mechanisms`). Each mutant keeps its parent's
claims: the point is that the claims no longer hold.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from mechanisms.mechanism_registry import MECHANISMS, register_mechanism
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.params import ParamSpec
from mechanisms.spec import MechanismSpec

PREFIX = "mutant_"


def mutant_spec(parent: type[OnlineMechanism], name: str, title: str, **changes: Any) -> MechanismSpec:
    """Return ``parent.spec`` renamed to ``name`` (``title``), tagged ``mutant_of=parent.spec.name``.

    ``changes`` replace further fields (parameters, ``incremental``, market kinds). The parent's
    claims are kept.
    """
    return replace(parent.spec, name=name, title=title, mutant_of=parent.spec.name, **changes)


def with_param(spec: MechanismSpec, name: str, **changes: Any) -> tuple[ParamSpec, ...]:
    """Return ``spec.params`` with parameter ``name``'s fields replaced by ``changes``."""
    return tuple(replace(p, **changes) if p.name == name else p for p in spec.params)


def register_mutant(cls: type[OnlineMechanism]) -> type[OnlineMechanism]:
    """Class decorator: register the mutant ``cls`` in :data:`MECHANISMS` under ``cls.spec.name``.

    The name must start with ``mutant_`` and ``spec.mutant_of`` must name a registered faithful
    mechanism (so a listing can say what each mutant breaks).
    """
    s = cls.spec
    if not s.name.startswith(PREFIX):
        raise ValueError(f"mutant {s.name!r}: the name must start with {PREFIX!r}")
    parent = MECHANISMS.get(s.mutant_of) if s.mutant_of in MECHANISMS else None
    if parent is None or parent.spec.mutant_of is not None:
        raise ValueError(f"mutant {s.name!r}: spec.mutant_of={s.mutant_of!r} is not a registered faithful mechanism")
    return register_mechanism(cls)
