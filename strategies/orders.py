"""A common "list of choices" view of ranked-bundle types and weak orders.

Ordinal misreports (swap, truncate, demote, reverse, ...) are the same operations on a list of
acceptable choices, best first, whether the type is an OCAM ranking over bundles (OCAM paper,
Section 2: a strict order over the feasible set Psi_i, the empty bundle last) or a SEM weak
order over objects with a null option (SEM paper, Section 2). This module converts a type to

- ``choices``: the acceptable choices as a list of indifference classes (tuples), best first.
  For a :class:`BundleRanking` every class is a single bundle bitmask; for a :class:`WeakOrder`
  a class is a tuple of object indices strictly above the null option;
- ``rest``: what lies at and below the null option (weak orders only): the null option's class
  first, then the unacceptable classes,

and back. Choices dropped by a misreport become unacceptable: removed from a bundle ranking
(outside the declared Psi_i), placed just below the null option in a weak order.
"""
from __future__ import annotations

from collections.abc import Sequence

from mechanisms.errors import ConfigError
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder

Choices = list[tuple[int, ...]]


def split(t: AgentType) -> tuple[Choices, Choices]:
    """Return ``(choices, rest)`` of an ordinal type (see the module docstring).

    Raises :class:`ConfigError` for a :class:`Cost` (costs have no choices).
    """
    if isinstance(t, BundleRanking):
        return [(b,) for b in t.bundles], []
    if isinstance(t, WeakOrder):
        k = int(t.rank[t.null])
        return [tuple(c) for c in t.classes[:k]], [tuple(c) for c in t.classes[k:]]
    raise ConfigError("true_type", type(t).__name__, "a BundleRanking or a WeakOrder (an ordinal type)")


def join(like: AgentType, choices: Sequence[Sequence[int]], rest: Sequence[Sequence[int]],
         dropped: Sequence[Sequence[int]] = ()) -> AgentType:
    """Return the type of the same kind (and market size) as ``like`` with these choices.

    ``dropped`` choices are declared unacceptable: omitted from a bundle ranking, placed as
    classes right below the null option's class in a weak order. Classes of more than one
    bundle are not allowed for bundle rankings (they are strict orders, OCAM Section 2).
    """
    choices = [tuple(c) for c in choices if len(c) > 0]
    if isinstance(like, BundleRanking):
        for c in choices:
            if len(c) != 1:
                raise ConfigError("report", c, "one bundle per rank (a strict order over bundles)")
        return BundleRanking(like.m, tuple(c[0] for c in choices))
    if isinstance(like, WeakOrder):
        rest = [tuple(c) for c in rest]
        dropped = [tuple(c) for c in dropped if len(c) > 0]
        classes = choices + rest[:1] + dropped + rest[1:]
        return WeakOrder(like.n_objects, tuple(classes))
    raise ConfigError("true_type", type(like).__name__, "a BundleRanking or a WeakOrder (an ordinal type)")


def kind_of(t: AgentType) -> str:
    """Return the market kind a type belongs to: ``"bundles"``, ``"objects"`` or ``"procurement"``."""
    if isinstance(t, BundleRanking):
        return "bundles"
    if isinstance(t, WeakOrder):
        return "objects"
    if isinstance(t, Cost):
        return "procurement"
    raise ConfigError("true_type", type(t).__name__, "a BundleRanking, WeakOrder or Cost")


def same_space(a: AgentType, b: AgentType) -> bool:
    """Return True when ``a`` and ``b`` are types of the same kind over the same goods/objects."""
    if isinstance(a, BundleRanking) and isinstance(b, BundleRanking):
        return a.m == b.m
    if isinstance(a, WeakOrder) and isinstance(b, WeakOrder):
        return a.n_objects == b.n_objects
    return isinstance(a, Cost) and isinstance(b, Cost)
