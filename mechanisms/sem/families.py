"""Market families where faithful SEM has SP1 events at small n that vanish as n grows.

SP1 (SEM paper, Definition 6; Corollary 1) says the share of same-period misreports that
give a lottery the truthful one does not weakly stochastically dominate (at sup-norm distance
>= eps) tends to 0 in the replica markets M_n. On a market where that share is 0 at every n
the SP1 study has no power: it never sees a rate fall. The families here make the last
period's allocation problem a probabilistic-serial manipulation profile at small n.

Why a last period: with Theorem 1's budget gap every period's agents outbid the next
period's, so within the last period SEM's equilibrium allocation is the extended
probabilistic serial (EPS) allocation of that period's arrivals on the supply left
(``mechanisms/sem/equilibrium.py``, module docstring), and PS is manipulable in finite
markets (Bogomolnaia and Moulin 2001): a misreport can buy an incomparable lottery.

``ps_last_period`` (the default family, :func:`ps_last_period`): objects a, b with base
supply 1 each, T = 3.

- Period 1: ``a > o`` (probability ``a_takers``) or ``o > a > b`` (takes nothing); period 2:
  ``b > o`` (``b_takers``) or ``o > a > b``. Each taker gets its object for sure (higher
  budget, supply n), so period 3 finds n - (number of a-takers) units of a and
  n - (number of b-takers) of b: random, about (1 - a_takers) n and (1 - b_takers) n, fewer
  units in all than period 3 has arrivals.
- Period 3: ``A = a > b > o`` (``a_first``), ``B = b > o > a`` (``b_only``),
  ``D = b > a > o`` (``b_first``). Under PS, A eats a, B and D eat b; a sells out first;
  then everyone eats b. An A agent declaring D eats b from the start; when her own 1/n of
  demand makes b sell out before a, she gets b early and then a share of a, a lottery that
  is incomparable with her truthful one (more of a-or-b, less of a): an SP1 event
  (the classic 3-agent profile is A, A, B with one unit of a and of b). Her weight is 1/n, so
  for large n this flip needs the realised supply and counts within O(1/n) of the point where
  a and b sell out together, which has vanishing probability.

The defaults keep the fluid limit (supply left (0.15, 0.5) per arrival; A = 0.6, B + D = 0.4:
a sells out at 1/4, when B and D have eaten 0.1 of b's 0.5) away from that point. Measured
with faithful SEM: about 0.5-1.5% of the pairs are SP1 events for n = 3..16 and none from
n = 24 on (200 markets per n); ``benchmarks/bench_sp1.py`` runs the study for n = 2..50. A market whose
limit sits *on* it (b selling out first while a is still over-demanded) keeps Definition 6
events at every n: there an A agent declaring D shifts her mass on {a, b} up by O(1/n) while
moving Omega(1) of it from a to b, so the truthful lottery never weakly dominates. That is a
reading of Definition 6 (exact weak dominance) that Corollary 1's proof does not address;
``ps_knife_edge`` (:data:`KNIFE_EDGE`) is such a market, and ``docs/sem.md`` discusses it.

``ps_knife_edge`` (:func:`ps_knife_edge`): the same family with its limit in that region.

Arrivals are drawn with :func:`~mechanisms.sem.market.sample_arrivals` from the
``("types",)`` stream of :class:`~mechanisms.rng.Streams` (seed), so a seed reproduces a market.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import require
from ..preferences import WeakOrder
from ..reports import Report
from ..rng import Streams
from .market import SEMMarket, arrival_schedule, sample_arrivals

#: Defaults of :func:`ps_last_period` (see the module docstring).
PS_DEFAULTS: dict[str, float] = {"a_takers": 0.85, "b_takers": 0.5, "a_first": 0.6, "b_only": 0.2, "b_first": 0.2}


def _prob(name: str, v: Any) -> float:
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= float(v) <= 1
    require(ok, name, v, "a probability in [0, 1]")
    return float(v)


def ps_last_period(n: int = 1, a_takers: float = PS_DEFAULTS["a_takers"], b_takers: float = PS_DEFAULTS["b_takers"],
                   a_first: float = PS_DEFAULTS["a_first"], b_only: float = PS_DEFAULTS["b_only"],
                   b_first: float = PS_DEFAULTS["b_first"], **kw: Any) -> SEMMarket:
    """Return the replica M_n of the ``ps_last_period`` family (module docstring).

    ``a_takers``: probability of ``a > o`` in period 1, ``b_takers`` of ``b > o`` in period 2
    (the rest is ``o > a > b``). ``a_first``/``b_only``/``b_first``: probabilities of ``a > b > o``,
    ``b > o > a`` and ``b > a > o`` in period 3 (summing to 1). Other keywords (budgets,
    shock) go to :class:`SEMMarket`.

    Raises:
        ConfigError: naming the field, for probabilities outside [0, 1] or period-3
            probabilities not summing to 1.
    """
    pa, pb = _prob("a_takers", a_takers), _prob("b_takers", b_takers)
    qa, qb, qd = _prob("a_first", a_first), _prob("b_only", b_only), _prob("b_first", b_first)
    require(abs(qa + qb + qd - 1) <= 1e-9, "b_first", qd, f"1 - a_first - b_only = {1 - qa - qb:g}")
    p1 = {k: v for k, v in (("a > o", pa), ("o > a > b", 1 - pa)) if v > 0}
    p2 = {k: v for k, v in (("b > o", pb), ("o > a > b", 1 - pb)) if v > 0}
    p3 = {k: v for k, v in (("a > b > o", qa), ("b > o > a", qb), ("b > a > o", qd)) if v > 0}
    return SEMMarket.from_periods(["a", "b"], [1, 1], [p1, p2, p3], replica=n, **kw)


#: Parameters of ``ps_knife_edge``: the same family with its limit where b sells out first
#: (supply left (0.3, 0.1) per arrival; A = 0.5, B + D = 0.5: b at 0.2, a at about 0.49).
KNIFE_EDGE: dict[str, float] = {"a_takers": 0.7, "b_takers": 0.9, "a_first": 0.5, "b_only": 0.3, "b_first": 0.2}


def ps_knife_edge(n: int = 1, **kw: Any) -> SEMMarket:
    """Return ``ps_last_period`` with :data:`KNIFE_EDGE` (keywords override them).

    Its limit has b selling out first while a is still over-demanded, the region where
    Definition 6 read with exact weak dominance keeps events at every n (module docstring):
    the SP1 study flags faithful SEM there ("violated: does not vanish"; the non-dominance
    shrinks like 1/n, the distance does not).
    """
    return ps_last_period(n, **{**KNIFE_EDGE, **kw})


#: Market families by short name: name -> function(n, **params) -> SEMMarket.
FAMILIES: dict[str, Callable[..., SEMMarket]] = {"ps_last_period": ps_last_period, "ps_knife_edge": ps_knife_edge}


def family_market(name: str, n: int, params: Mapping[str, Any] | None = None) -> SEMMarket:
    """Return the replica M_n of family ``name`` with ``params``.

    Raises:
        ConfigError: for an unknown family name.
    """
    require(name in FAMILIES, "family", name, f"one of {sorted(FAMILIES)}")
    return FAMILIES[name](n, **dict(params or {}))


def family_schedule(market: SEMMarket, seed: int) -> tuple[list[list[Report]], dict[int, WeakOrder]]:
    """Return (truthful schedule, true types) of one market: n arrivals per period.

    Types are drawn by :func:`sample_arrivals` from ``Streams(seed).get("types")``; agent ids
    are consecutive, period by period.
    """
    return arrival_schedule(sample_arrivals(market, None, Streams(int(seed)).get("types")))
