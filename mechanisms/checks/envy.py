"""Envy-freeness up to one object (EF1): OCAM paper, Definition 2 (Budish 2011).

Allocation X is EF1 for agents G if for every i, i' in G either x_i >=_i x_i' or there is a good
j with x_i >=_i (x_i' - e^j)^+. Bundles outside i's feasible set rank below every feasible one
for i (utility -inf, Section 3.1), so removing a good that makes x_i' infeasible for i removes
the envy. OCAM claims EF1 among post-sample agents (Theorem 2 (b), Proposition 1).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..market import bundle_items
from ..preferences import BundleRanking


@dataclass
class EF1Result:
    """The verdict: ``ok`` and, when False, the first violating pair (envier, envied) by position.

    ``envier``/``envied`` index the input lists; ``bundle``/``other`` are their bundles.
    """

    ok: bool
    envier: int | None = None
    envied: int | None = None
    bundle: int | None = None
    other: int | None = None
    pairs_checked: int = 0


def envies_up_to_one(ranking: BundleRanking, own: int, other: int) -> bool:
    """Return True when an agent with ``ranking`` holding ``own`` envies ``other`` even after
    any single good is removed from it (a violation of Definition 2 for this pair)."""
    mine = ranking.rank(own)  # infeasible bundles rank below the empty one (BundleRanking.rank)
    if mine <= ranking.rank(other):
        return False
    return not any(mine <= ranking.rank(other & ~(1 << j)) for j in bundle_items(other))


def check_ef1(bundles: Sequence[int], rankings: Sequence[BundleRanking]) -> EF1Result:
    """Return whether ``bundles`` (one per agent) is EF1 for agents with ``rankings`` (Definition 2).

    Pass the agents of G only (for OCAM: the post-sample agents, with their TRUE rankings to
    audit, or declared ones to test the mechanism). Work is grouped by distinct (type, bundle)
    and distinct bundles, so it scales with those counts rather than with n^2.
    """
    if len(bundles) != len(rankings):
        raise ValueError(f"{len(bundles)} bundles for {len(rankings)} rankings")
    first_holder: dict[int, int] = {}
    for i, b in enumerate(bundles):
        first_holder.setdefault(int(b), i)
    enviers: dict[tuple[BundleRanking, int], int] = {}
    for i, (ty, b) in enumerate(zip(rankings, bundles)):
        enviers.setdefault((ty, int(b)), i)
    checked = 0
    for (ty, b), i in enviers.items():
        for other, k in first_holder.items():
            checked += 1
            if other != b and envies_up_to_one(ty, b, other):
                return EF1Result(False, i, k, b, other, checked)
    return EF1Result(True, pairs_checked=checked)
