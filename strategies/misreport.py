"""Ordinal type misreports: rankings over bundles (OCAM) and weak orders over objects (SEM).

Each strategy is an operation on the list of acceptable choices (:mod:`strategies.orders`):
for an OCAM type a choice is a bundle of the feasible set Psi_i (OCAM Section 2), for a SEM
type an indifference class above the null option (SEM Section 2). Choices a strategy drops
are declared unacceptable. Operations that do not apply to a type (swapping at a rank the type
does not have, merging classes of a one-class order) return the true type unchanged: a no-op
is a valid report, and it keeps "every strategy reports for every type" total.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError
from mechanisms.market import bundle_items
from mechanisms.preferences import AgentType
from mechanisms.public_state import BundlesPublic, GoodsPublic

from .base import PublicInfo, Strategy, register_strategy
from .orders import Choices, join, kind_of, same_space, split
from .validation import choice_param, int_param


def check_kind(strategy: Strategy, true_type: AgentType) -> str:
    """Return the kind of ``true_type``; raise ConfigError when ``strategy`` does not apply to it."""
    kind = kind_of(true_type)
    if kind not in strategy.kinds:
        raise ConfigError(f"strategy.{strategy.name}", type(true_type).__name__,
                          f"a type of a market of kind {list(strategy.kinds)}")
    return kind


class OrdinalMisreport(Strategy):
    """Base of the misreports that rearrange the list of acceptable choices.

    Subclasses implement :meth:`transform`, which returns the declared choices (best first)
    and the choices declared unacceptable.
    """

    kinds = ("bundles", "objects")

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        check_kind(self, true_type)
        choices, rest = split(true_type)
        declared, dropped = self.transform(choices, true_type, info, rng)
        return join(true_type, declared, rest, dropped)

    def transform(self, choices: Choices, true_type: AgentType, info: PublicInfo,
                  rng: np.random.Generator) -> tuple[Choices, Choices]:
        """Return ``(declared choices, dropped choices)``."""
        raise NotImplementedError


@register_strategy
class SwapAdjacent(OrdinalMisreport):
    """Swap the choices at ranks ``rank`` and ``rank + 1`` (0 = the top choice)."""

    name = "swap"
    probes = "strategyproofness (OCAM GSP1, Theorem 2(a); SEM SP, Corollary 1); SD control"
    params = (int_param("rank", 0, "swap ranks rank and rank + 1"),)

    def transform(self, choices, true_type, info, rng):
        r = self.p["rank"]
        out = list(choices)
        if r + 1 < len(out):
            out[r], out[r + 1] = out[r + 1], out[r]
        return out, []


@register_strategy
class Truncate(OrdinalMisreport):
    """Declare only the top ``k`` acceptable choices (the rest unacceptable)."""

    name = "truncate"
    probes = "strategyproofness (OCAM GSP1, Theorem 2(a); SEM SP); truncation also moves OCAM sample prices"
    params = (int_param("k", 1, "how many acceptable choices to keep"),)

    def transform(self, choices, true_type, info, rng):
        k = self.p["k"]
        return list(choices[:k]), list(choices[k:])


@register_strategy
class DropTop(OrdinalMisreport):
    """Declare the top choice unacceptable."""

    name = "drop_top"
    probes = "strategyproofness (OCAM GSP1; SEM SP)"

    def transform(self, choices, true_type, info, rng):
        return list(choices[1:]), list(choices[:1])


@register_strategy
class DemoteTop(OrdinalMisreport):
    """Move the top choice down ``by`` ranks (to the bottom of the acceptable list at most)."""

    name = "demote_top"
    probes = "strategyproofness (OCAM GSP1; SEM SP)"
    params = (int_param("by", 1, "how many ranks to move the top choice down", lo=1),)

    def transform(self, choices, true_type, info, rng):
        out = list(choices)
        if len(out) > 1:
            top = out.pop(0)
            out.insert(min(self.p["by"], len(out)), top)
        return out, []


def _safety(choice: tuple[int, ...], kind: str, rem: np.ndarray) -> float:
    """How uncontested a choice looks: the scarcest good of a bundle, the best object of a class."""
    if kind == "bundles":
        return float(min(rem[j] for j in bundle_items(choice[0])))
    return float(max(rem[x] for x in choice))


@register_strategy
class PromoteSafe(OrdinalMisreport):
    """Move a "safe" choice to the top.

    ``rank`` given: promote the choice at that rank (clipped to the last acceptable one).
    ``rank=None``: promote the choice with the most remaining capacity among the published
    ``remaining`` capacities (for a bundle: of its scarcest good; ties to the better true rank);
    without published capacities, promote the last acceptable choice (the one least likely
    to be contested, as in school choice).
    """

    name = "promote_safe"
    probes = "strategyproofness (OCAM GSP1; SEM SP, greedy)"
    params = (int_param("rank", None, "the rank to promote (None: the safest by published capacity)",
                        allow_none=True),)

    def transform(self, choices, true_type, info, rng):
        out = list(choices)
        if len(out) < 2:
            return out, []
        kind = kind_of(true_type)
        r = self.p["rank"]
        if r is None:
            size = true_type.m if kind == "bundles" else true_type.n_objects
            rem = info.public.remaining_vector(size) if isinstance(info.public, GoodsPublic) else None
            if rem is None:
                r = len(out) - 1
            else:
                safety = [_safety(c, kind, rem) for c in out[1:]]
                r = 1 + int(np.argmax(safety))  # argmax: first maximum = better true rank
        r = min(r, len(out) - 1)
        out.insert(0, out.pop(r))
        return out, []


@register_strategy
class ClaimIndifference(OrdinalMisreport):
    """Declare the classes at ranks ``rank`` and ``rank + 1`` one indifference class (SEM)."""

    name = "claim_indifference"
    kinds = ("objects",)
    probes = "SEM strategyproofness (SP with one arrival per period, Corollary 2; SP1, Corollary 1)"
    params = (int_param("rank", 0, "merge the classes at ranks rank and rank + 1"),)

    def transform(self, choices, true_type, info, rng):
        r = self.p["rank"]
        out = list(choices)
        if r + 1 < len(out):
            out[r:r + 2] = [tuple(sorted(out[r] + out[r + 1]))]
        return out, []


@register_strategy
class BreakIndifference(OrdinalMisreport):
    """Split the indifference class at rank ``rank`` into strict singletons (SEM).

    ``order="index"`` ranks the class's objects by index, ``"random"`` in a uniformly random
    order from the agent's own stream.
    """

    name = "break_indifference"
    kinds = ("objects",)
    probes = "SEM strategyproofness (SP1, Corollary 1); equal-type envy-freeness (Theorem 4)"
    params = (int_param("rank", 0, "the indifference class to split"),
              choice_param("order", "index", "order of the split objects", ("index", "random")))

    def transform(self, choices, true_type, info, rng):
        r = self.p["rank"]
        out = list(choices)
        if r < len(out) and len(out[r]) > 1:
            members = list(out[r])
            if self.p["order"] == "random":
                members = [members[i] for i in rng.permutation(len(members))]
            out[r:r + 1] = [(x,) for x in members]
        return out, []


@register_strategy
class Reverse(OrdinalMisreport):
    """Declare the acceptable choices in reverse order (the same acceptable set)."""

    name = "reverse"
    probes = "strategyproofness (OCAM GSP1; SEM SP); a gross misreport as a sanity check"

    def transform(self, choices, true_type, info, rng):
        return list(choices[::-1]), []


@register_strategy
class RandomPermutation(OrdinalMisreport):
    """Declare the acceptable choices in a uniformly random order (the agent's own stream)."""

    name = "permute"
    probes = "strategyproofness (OCAM GSP1; SEM SP): random search of the report space"

    def transform(self, choices, true_type, info, rng):
        return [choices[i] for i in rng.permutation(len(choices))], []


@register_strategy
class Mimic(Strategy):
    """Declare the most common type seen so far (ties: the first published).

    Reads the declared types OCAM publishes when its sample closes (Mechanism 1: f's domain,
    the sample's reported types, with their multiplicities; :class:`~mechanisms.public_state.
    BundlesPublic`). No other mechanism publishes declared types, so the strategy applies to
    bundle markets only; it reports truthfully while nothing of the agent's kind is published
    (OCAM's sample phase).
    """

    name = "mimic"
    kinds = ("bundles",)
    probes = "OCAM GSP1 (a post-sample agent's outcome is that of the type it declares, Lemma 3)"

    def report(self, true_type: AgentType, info: PublicInfo, rng: np.random.Generator) -> AgentType:
        check_kind(self, true_type)
        pub = info.public
        if not isinstance(pub, BundlesPublic) or pub.types is None or pub.seen_type_counts is None:
            return true_type
        seen = [(pub.types[k], int(c)) for k, c in pub.seen_type_counts.items()
                if k in pub.types and same_space(pub.types[k], true_type)]
        if not seen:
            return true_type
        best = max(c for _, c in seen)
        return next(t for t, c in seen if c == best)


def ordinal_strategy_names() -> Sequence[str]:
    """Return the names of the ordinal misreports defined here (for docs and tests)."""
    return [c.name for c in (SwapAdjacent, Truncate, DropTop, DemoteTop, PromoteSafe, ClaimIndifference,
                             BreakIndifference, Reverse, RandomPermutation, Mimic)]


__all__: list[Any] = ["OrdinalMisreport", "SwapAdjacent", "Truncate", "DropTop", "DemoteTop", "PromoteSafe",
                      "ClaimIndifference", "BreakIndifference", "Reverse", "RandomPermutation", "Mimic",
                      "check_kind"]
