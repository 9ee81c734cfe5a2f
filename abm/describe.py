"""Types in words: the one text form of a type or report, shared by tables, reports and replays."""
from __future__ import annotations

from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder


def describe_type(t: AgentType, market, limit: int = 5) -> str:
    """Return a type or report in words with the goods' names.

    A bundle ranking (OCAM Section 2: a strict order over Psi_i) shows its first ``limit``
    bundles, a weak order (SEM Section 2) its indifference classes with the null option ``o``,
    a cost (budget-feasible paper, Section 2) ``"cost <c>"``. ``market`` is the public
    :class:`~mechanisms.market.Market` (its goods' names; none for procurement).
    """
    if isinstance(t, BundleRanking):
        return t.describe(market.goods, limit=limit)
    if isinstance(t, WeakOrder):
        return t.describe(market.goods.names if market.goods is not None else None)
    if isinstance(t, Cost):
        return f"cost {t.value:g}"
    return repr(t)
