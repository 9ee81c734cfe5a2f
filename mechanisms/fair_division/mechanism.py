"""The fair-division algorithms as online mechanisms of the testbed protocol.

Mapping onto the protocol (``docs/fair_division.md``, "Mapping"): the agents are fixed and
all report in tick 0 (one report each: the declared valuation over the goods, which the
paper's value oracles answer good by good); the goods then arrive one at a time INSIDE that
step, in the order the public market describes (``market.horizon`` = m goods,
``market.extra["foresight"]`` = the preview length of Section 2), and each is assigned
irrevocably by the algorithm, which sees good g and the ``foresight`` goods after it only.
Each agent's outcome is a :class:`~mechanisms.reports.GoodsOutcome` with the indices of its
goods, so the whole sequence of partial allocations A^t (Definition 2.5) is recomputable from
the run's outcomes alone.

Mechanisms (cards):

=====================  ==========================================  ===========  =========================
name                   paper                                        foresight    claims (checker keys)
=====================  ==========================================  ===========  =========================
``deferred_priority``  Algorithm 1, Section 4                       0            fd_temporal_mms,
                                                                                 fd_dp_structure,
                                                                                 fd_mms_quarter_after_t0
``naive_matching``     Algorithm 2, Section 5.1 (n = 2)             1            fd_temporal_ef2,
                                                                                 fd_ef1_every_n
``priority_matching``  Algorithm 3, Section 5.2                     n - 1        fd_temporal_ef2,
                                                                                 fd_ef1_every_n,
                                                                                 fd_half_ef1_after_failure
``round_robin``        Remark 2.6 (baseline)                        0            fd_round_robin_ef1
=====================  ==========================================  ===========  =========================

Reports must be 2-value valuations (Definition 2.1) or interval-restricted ones (Definition
2.2), which every algorithm first reduces to their threshold functions (Theorem 6.1); round
robin takes any additive valuation.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..errors import require
from ..market import Market
from ..mechanism_registry import register_mechanism
from ..online_mechanism import OnlineMechanism
from ..public_state import FairDivisionPublic
from ..reports import GoodsOutcome, Outcome, Report
from ..spec import Claim, MechanismSpec
from . import algorithms
from .valuations import Valuation

PAPER = "Amanatidis, Lolos, Markakis, Turmel: Online Fair Division for Personalized 2-Value Instances (2025)"

THEOREM_61 = ("interval-restricted reports are reduced to their threshold functions and the guarantee "
              "is divided by sqrt(alpha_i) (Theorem 6.1, Corollaries 6.4-6.5)")


def fair_division_market(n: int, m: int, foresight: int = 0, extra: dict[str, Any] | None = None) -> Market:
    """Return the public market of an online fair-division instance.

    ``n`` agents, ``m`` goods arriving one per time step, each with a preview of the next
    ``foresight`` goods (Section 2, "foresight of length l"). Raises :class:`ConfigError`
    naming ``market.foresight`` when the window is longer than the instance (more than m - 1).
    """
    require(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1, "market.n_agents", n,
            "a positive integer")
    require(isinstance(m, (int, np.integer)) and not isinstance(m, bool) and m >= 1, "market.m", m,
            "a positive integer")
    require(isinstance(foresight, (int, np.integer)) and not isinstance(foresight, bool) and foresight >= 0,
            "market.foresight", foresight, "a non-negative integer")
    require(foresight <= m - 1, "market.foresight", foresight,
            f"at most m - 1 = {m - 1} (a preview cannot be longer than the instance)")
    ex = dict(extra or {})
    ex["foresight"] = int(foresight)
    return Market("fair_division", n_agents=int(n), horizon=int(m), extra=ex)


def market_foresight(market: Market) -> int:
    """Return the market's foresight window (validated against the number of goods)."""
    ell = market.extra.get("foresight", 0)
    m = market.horizon
    require(m is not None and m >= 1, "market.horizon", m, "the number of goods m (a positive integer)")
    require(isinstance(ell, (int, np.integer)) and not isinstance(ell, bool) and 0 <= ell <= m - 1,
            "market.foresight", ell, f"an integer in [0, m - 1 = {m - 1}] (no longer than the instance)")
    return int(ell)


class FairDivisionMechanism(OnlineMechanism):
    """Base of the fair-division mechanisms: the tick-0 protocol, the reduction, the outcomes.

    Subclasses set ``spec`` and ``allocator`` (a class of :mod:`.algorithms`) and may require a
    foresight (:meth:`needed_foresight`).
    """

    allocator: ClassVar[type[algorithms.OnlineAllocator]]

    def needed_foresight(self) -> int:
        """Return the foresight the algorithm needs (Section 5)."""
        return 0

    def validate(self) -> None:
        mk = self.market
        require(mk.n_agents is not None, "market.n_agents", None, "the number of agents n (fixed, Section 2)")
        ell = market_foresight(mk)
        need = self.needed_foresight()
        require(ell >= need, "market.foresight", ell,
                f"at least {need} for {self.spec.name} ({self.spec.title})")

    def start(self, streams) -> None:
        super().start(streams)
        self.owner: np.ndarray | None = None
        self.core: algorithms.OnlineAllocator | None = None

    def declared(self, tick: int, reports: Sequence[Report]) -> list[Valuation]:
        """Return the declared valuations by agent id; raise :class:`ConfigError` when the tick is wrong."""
        n, m = self.market.n_agents, self.market.horizon
        ids = sorted(r.agent for r in reports)
        require(tick == 0 and ids == list(range(n)), "arrivals", f"tick {tick}: agents {ids[:10]}",
                f"all {n} agents reporting together in tick 0 (fair division: fixed agents, goods arrive; "
                'use arrivals.process = "periods" with a fair_division population)')
        by_id = {r.agent: r.declared for r in reports}
        vals = []
        for i in range(n):
            v = by_id[i]
            require(isinstance(v, Valuation), f"reports[{i}]", type(v).__name__, "a fair-division valuation")
            require(v.m == m, f"reports[{i}].m", v.m, f"a value for each of the market's m = {m} goods")
            vals.append(v)
        return vals

    def allocate(self, vals: list[Valuation]) -> np.ndarray:
        """Return owner[g] for every good: the algorithm on the 2-value (reduced) reports."""
        self.core = self.allocator([v.two_value() for v in vals])
        return self.core.run()

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        if tick > 0 and not reports:
            return []
        vals = self.declared(tick, reports)
        owner = self.allocate(vals)
        self.owner = owner
        order = np.argsort(owner, kind="stable")
        counts = np.bincount(owner, minlength=len(vals))
        bounds = np.concatenate([[0], np.cumsum(counts)])
        bundles = {i: tuple(int(g) for g in order[bounds[i]:bounds[i + 1]]) for i in range(len(vals))}
        return [GoodsOutcome(r.agent, tick, bundles[r.agent]) for r in reports]

    def public(self) -> FairDivisionPublic:
        """Return the owner of every good once the agents have reported (nothing before)."""
        return FairDivisionPublic(owner=None if self.owner is None else self.owner.tolist())

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"goods": int(self.market.horizon or 0)}
        core = getattr(self, "core", None)
        for k in ("phase", "rounds", "contested"):
            if core is not None and hasattr(core, k):
                out[k] = int(getattr(core, k))
        return out


MMS_CLAIM = Claim("fd_temporal_mms",
                  "Definitions 2.4-2.5; Theorem 4.1, Corollary 4.5 (type 1: 1/(2n-1)-MMS at every step), "
                  "Corollary 4.4 (types 2, 3: 1/2, 1/3)",
                  "agents of types 1-3 (Section 2); " + THEOREM_61)
DP_STRUCTURE = Claim("fd_dp_structure",
                     "Theorem 4.1 parts 1-3 (one of the first n goods; floor(n_h/(3n-2)) high goods, one by t_i0; "
                     "one of every 2n-1 goods after the first n)",
                     "agents of types 1-3 (Section 2), in terms of the 2-value (threshold) valuation")
QUARTER_CLAIM = Claim("fd_mms_quarter_after_t0",
                      "Corollary 4.5 (type 1: from t_i0 = min{t : n_h(i, t) >= n} on, 1/4-MMS: the proof's Cases 2-3)",
                      "type-1 agents that see at least n high-valued goods; " + THEOREM_61)
EF2_CLAIM = Claim("fd_temporal_ef2", "Definitions 2.3, 2.5; Theorem 5.2 (Algorithm 2), Theorem 5.4 (Algorithm 3)",
                  THEOREM_61)
EF1_N_CLAIM = Claim("fd_ef1_every_n",
                    "Definition 2.3; Theorem 5.2 (EF1 at every even step, n = 2), Theorem 5.4 (EF1 at t = kn)",
                    THEOREM_61)
HALF_EF1_CLAIM = Claim("fd_half_ef1_after_failure",
                       "Theorem 5.4, last part (a 1/2-EF1 failure at t0 is followed by 1/2-EF1 at every "
                       "t >= ceil(t0/n) n)", THEOREM_61)
RR_CLAIM = Claim("fd_round_robin_ef1",
                 "Remark 2.6 (round robin: trivial temporal-EF1 approximation, beta_i/alpha_i per agent)",
                 "2-value or interval-restricted valuations (interval: 1/alpha_i)")


@register_mechanism
class DeferredPriorityMechanism(FairDivisionMechanism):
    """Algorithm 1, Deferred-Priority: 1/(2n-1)-temporal-MMS without foresight (Theorem 4.1)."""

    spec = MechanismSpec(name="deferred_priority", title="Deferred-Priority (Algorithm 1)",
                         market_kinds=("fair_division",), paper=PAPER + ", Section 4",
                         claims=(MMS_CLAIM, DP_STRUCTURE, QUARTER_CLAIM),
                         public_state=FairDivisionPublic)
    allocator = algorithms.DeferredPriority


@register_mechanism
class NaiveMatchingMechanism(FairDivisionMechanism):
    """Algorithm 2, Naive-Matching: two agents, foresight 1; temporal-EF2, EF1 at even steps (Theorem 5.2)."""

    spec = MechanismSpec(name="naive_matching", title="Naive-Matching (Algorithm 2)",
                         market_kinds=("fair_division",), paper=PAPER + ", Section 5.1",
                         claims=(EF2_CLAIM, EF1_N_CLAIM), public_state=FairDivisionPublic)
    allocator = algorithms.NaiveMatching

    def needed_foresight(self) -> int:
        return 1 if (self.market.horizon or 0) > 1 else 0

    def validate(self) -> None:
        require(self.market.n_agents == 2, "market.n_agents", self.market.n_agents, "exactly 2 agents (Algorithm 2)")
        super().validate()


@register_mechanism
class PriorityMatchingMechanism(FairDivisionMechanism):
    """Algorithm 3, Priority-Matching: foresight n - 1; temporal-EF2, EF1 at every t = kn (Theorem 5.4)."""

    spec = MechanismSpec(name="priority_matching", title="Priority-Matching (Algorithm 3)",
                         market_kinds=("fair_division",), paper=PAPER + ", Section 5.2",
                         claims=(EF2_CLAIM, EF1_N_CLAIM, HALF_EF1_CLAIM),
                         public_state=FairDivisionPublic)
    allocator = algorithms.PriorityMatching

    def needed_foresight(self) -> int:
        return min(int(self.market.n_agents or 1) - 1, int(self.market.horizon or 1) - 1)


@register_mechanism
class RoundRobinMechanism(FairDivisionMechanism):
    """The trivial baseline of Remark 2.6: good g to agent g mod n, values ignored."""

    spec = MechanismSpec(name="round_robin", title="Round robin (Remark 2.6 baseline)",
                         market_kinds=("fair_division",), paper=PAPER + ", Remark 2.6", claims=(RR_CLAIM,),
                         public_state=FairDivisionPublic)
    allocator = algorithms.RoundRobin

    def allocate(self, vals: list[Valuation]) -> np.ndarray:
        return np.arange(self.market.horizon, dtype=np.int64) % len(vals)


class LowestIndexDeferredPriority(DeferredPriorityMechanism):
    """Deferred-Priority with the priorities ignored (lowest-index candidate): the mutant's body.

    Registered only as the mutant ``mutant_dp_lowest_index`` (:mod:`mechanisms.mutants.properties`).
    """

    allocator = algorithms.LowestIndexPriority


__all__ = ["DeferredPriorityMechanism", "FairDivisionMechanism", "LowestIndexDeferredPriority",
           "NaiveMatchingMechanism", "PriorityMatchingMechanism", "RoundRobinMechanism", "fair_division_market",
           "market_foresight"]
