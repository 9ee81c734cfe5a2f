"""Reports (what an agent declares) and outcomes (what it gets).

They are distinct types from the true types in :mod:`mechanisms.preferences`: a mechanism
only ever sees :class:`Report` objects, and the auditor evaluates outcomes under the agent's
true type, so a misreport can never be confused with the truth.
"""
from __future__ import annotations

from dataclasses import dataclass

from .preferences import AgentType


@dataclass(frozen=True, slots=True)
class Report:
    """An agent's declaration to the mechanism.

    Parameters
    ----------
    agent : int
        The agent's id (stable across replays: the key of its random streams).
    declared : BundleRanking | WeakOrder | Cost
        The declared type (a bid is a declared :class:`~mechanisms.preferences.Cost`).
    """

    agent: int
    declared: AgentType


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the mechanism gave one agent, irrevocably, at ``tick``."""

    agent: int
    tick: int


@dataclass(frozen=True, slots=True)
class BundleOutcome(Outcome):
    """A bundle (bitmask) with, for budget mechanisms, the budget drawn and the amount spent.

    ``phase`` names the mechanism phase that served the agent (e.g. ``"sample"``/``"online"``).
    """

    bundle: int
    budget: float | None = None
    spent: float | None = None
    phase: str = ""


@dataclass(frozen=True, slots=True)
class ObjectOutcome(Outcome):
    """A realised object (index; the null option is ``n_objects``) and the lottery it came from.

    ``lottery`` holds the probability of every option (null last) when the mechanism assigns
    lotteries (SEM); the auditor compares lotteries, not only realised objects.
    """

    obj: int
    lottery: tuple[float, ...] | None = None


@dataclass(frozen=True, slots=True)
class HireOutcome(Outcome):
    """A procurement decision: whether the seller was hired, the payment and the posted threshold.

    ``threshold`` is the price offered to the seller (None when the seller faced none, e.g. a
    sample seller); ``bid`` is the declared cost, kept for IR/budget accounting.
    """

    hired: bool
    payment: float = 0.0
    threshold: float | None = None
    bid: float | None = None


@dataclass(frozen=True, slots=True)
class GoodsOutcome(Outcome):
    """Fair division of arriving goods: the goods the agent received, by arrival index.

    ``goods`` are indices ``g`` of the goods in arrival order (good g arrives at time step
    g + 1); together, the agents' outcomes are the realised sequence of assignments, from
    which the allocation A^t at every time step is recomputed (fair-division paper, Definition 2.5).
    """

    goods: tuple[int, ...] = ()
