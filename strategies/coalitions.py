"""Coalition strategies: a group decides its members' reports jointly (issue 6, item 3).

A :class:`CoalitionStrategy` maps the members' TRUE types and the public information to every
member's report, ``reports(members, info, rng) -> {agent: declared type}``; it sees nothing
else (DESIGN.md, "Layers"), so the reports depend only on the members' types, the public
information and the coalition's own random stream. A member reports when it arrives: the
model (``abm.coalitions.Coalition.report_for``, or :meth:`Coalition.report_for` here) asks
with the public information of that tick and uses that member's entry (entries are "what a
member arriving now would declare").

Gains are accounted per member and for the coalition with a gain function passed in (the
auditor's measure under the true type, ``abm.audit.gains``):
``gain(agent, true_type, truthful_outcome, deviating_outcome) -> float``. A group deviation
is profitable when every member is weakly better off and one strictly
(:attr:`CoalitionGain.profitable`, the negation of OCAM Definition 6's first alternative; GSP1
then still holds if every member's gain is within one object, which the auditor checks).
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.market import bundle_items
from mechanisms.preferences import AgentType, BundleRanking
from mechanisms.public_state import BundlesPublic, GoodsPublic
from mechanisms.registry import Registry
from mechanisms.reports import Outcome
from mechanisms.rng import Streams

from .base import Declared, PublicInfo, split_spec
from .coalition_graphs import COALITION_GRAPHS, build_graph, draw_coalitions, make_graph  # noqa: F401
from .cost import ShadeMultiplicative, Withhold
from .orders import join, kind_of, same_space, split
from .validation import choice_param, flag_param, int_param, real_param

#: Tolerance for "strictly better" in gain accounting.
GAIN_TOL = 1e-9


class CoalitionStrategy(Declared, ABC):
    """A joint reporting strategy of a group of agents.

    Subclasses set ``name``, ``kinds``, ``probes`` and ``params`` (a tuple of ``ParamSpec``;
    see :class:`~strategies.base.Declared`, which also gives ``version`` and :meth:`spec`)
    and implement :meth:`joint_reports`; :meth:`reports` validates the members first.
    """

    field_root = "coalition_strategy"

    def reports(self, members: Mapping[int, AgentType], info: PublicInfo,
                rng: np.random.Generator) -> dict[int, AgentType]:
        """Return every member's declared type (same kind as its true type), keyed by agent id.

        Raises :class:`ConfigError` for an empty coalition, members of different kinds or
        spaces, or a kind the strategy does not apply to.
        """
        require(isinstance(members, Mapping) and len(members) > 0, "coalition.members", members,
                "a non-empty mapping agent -> true type")
        types = list(members.values())
        kind = kind_of(types[0])
        require(kind in self.kinds, f"coalition_strategy.{self.name}", kind,
                f"members of a market of kind {list(self.kinds)}")
        require(all(same_space(types[0], t) for t in types), "coalition.members",
                sorted(type(t).__name__ for t in types), "members' types of one kind over the same goods")
        ordered = {int(a): members[a] for a in sorted(members)}
        out = self.joint_reports(ordered, info, rng)
        assert set(out) == set(ordered), "a coalition strategy must report for every member"
        return out

    @abstractmethod
    def joint_reports(self, members: dict[int, AgentType], info: PublicInfo,
                      rng: np.random.Generator) -> dict[int, AgentType]:
        """Return the reports of ``members`` (ids ascending, already validated)."""

    def __repr__(self) -> str:
        return f"<coalition strategy {self.spec()}>"


COALITION_STRATEGIES: Registry[type[CoalitionStrategy]] = Registry("coalition strategy")


def register_coalition_strategy(cls: type[CoalitionStrategy]) -> type[CoalitionStrategy]:
    """Class decorator: register ``cls`` under ``cls.name``."""
    return COALITION_STRATEGIES.add(cls.name, cls)


def parse_coalition_strategy(spec: str | Mapping[str, Any], field: str = "coalition.strategy") -> CoalitionStrategy:
    """Return the coalition strategy described by ``spec`` (``"bid_ring:factor=1.5"`` or a mapping)."""
    name, params = split_spec(spec, field, 'a coalition strategy spec such as "bid_ring:factor=1.5"')
    cls = COALITION_STRATEGIES.get(name, field)
    try:
        return cls(**params)
    except ConfigError as e:
        raise ConfigError(f"{field}.{e.field.split('.')[-1]}", e.value, e.expected) from None


# ---- the strategies -----------------------------------------------------------------------
@register_coalition_strategy
class CommonType(CoalitionStrategy):
    """Every member declares one common type, to move prices (and, in OCAM, share f(theta)).

    ``which="mode"``: the most common true type among the members (ties: the smallest member
    id's); ``"first"``: the smallest member id's true type; ``"random"``: a uniformly random
    member's true type (coalition stream).
    """

    name = "common_type"
    kinds = ("bundles", "objects")
    probes = "OCAM GSP1 (Theorem 2(a), Definition 6); SEM SP1 / ET-EF"
    params = (choice_param("which", "mode", "the common type: the most common member type, the first "
                           "member's, or a random member's", ("mode", "first", "random")),)

    def joint_reports(self, members, info, rng):
        ids = list(members)
        which = self.p["which"]
        if which == "first":
            t = members[ids[0]]
        elif which == "random":
            t = members[ids[int(rng.integers(len(ids)))]]
        else:
            counts = Counter(members.values())
            top = max(counts.values())
            t = next(members[a] for a in ids if counts[members[a]] == top)
        return {a: t for a in ids}


def _sd_choice(t: BundleRanking, info: PublicInfo) -> int:
    """Return the bundle serial dictatorship gives ``t`` at the published remaining capacity.

    OCAM Mechanism 1, sample loop: x_i = max_{succ_i}{x in Psi_i : sum x_l <= eps_s c}; without
    published capacity the agent expects its top bundle.
    """
    rem = info.public.remaining_vector(t.m) if isinstance(info.public, GoodsPublic) else None
    if rem is None:
        return t.bundles[0] if t.bundles else 0
    blocked = 0
    for j in np.flatnonzero(rem < 1 - 1e-12):
        blocked |= 1 << int(j)
    return t.best_available(blocked)


@register_coalition_strategy
class SampleCollusion(CoalitionStrategy):
    """OCAM sample-phase collusion: sample members misreport within their SD choice.

    While the published phase is ``"sample"``, each member declares its serial-dictatorship
    bundle x* first (so SD still gives it x*, Mechanism 1's sample loop) and then:
    ``mode="sd_only"`` nothing else; ``mode="avoid"`` only its acceptable bundles that avoid
    every good of the members' top bundles. The sample ECEEI (Mechanism 1: computed on the
    declared sample types) then sees less demand for the goods the members want, so prices
    fall for members arriving after the sample. Members arriving after the sample (any other
    published phase), and all members when no phase is published, report truthfully.
    """

    name = "sample_collusion"
    kinds = ("bundles",)
    probes = "OCAM GSP1 (Theorem 2(a): sample agents face SD, Lemma 3)"
    params = (choice_param("mode", "sd_only", "declare the SD bundle only, or also bundles avoiding the "
                           "members' top goods", ("sd_only", "avoid")),)

    def joint_reports(self, members, info, rng):
        if not isinstance(info.public, BundlesPublic) or info.public.phase != "sample":
            return dict(members)
        targets = 0
        for t in members.values():
            if t.bundles:
                targets |= t.bundles[0]
        out = {}
        for a, t in members.items():
            x = _sd_choice(t, info)
            if not x:
                out[a] = t
                continue
            rest = [] if self.p["mode"] == "sd_only" else [b for b in t.bundles if b != x and not (b & targets)]
            out[a] = BundleRanking(t.m, (x, *rest))
        return out


@register_coalition_strategy
class DemandReduction(CoalitionStrategy):
    """Demand reduction: members shrink what they declare to lower the prices they face.

    Bundles: each member declares only its acceptable bundles of at most ``level`` goods (its
    true type when it has none). Objects: each member declares only its top ``level``
    acceptable classes. ``coordinate=True`` also splits the goods: members, in id order, drop
    every choice that overlaps a good/object of an earlier member's declared top choice (a
    member left with nothing keeps its reduced report), so members do not bid against each other.
    """

    name = "demand_reduction"
    kinds = ("bundles", "objects")
    probes = "OCAM GSP1 and ECEEI prices (Theorem 1); SEM SP1 (price impact vanishes, Corollary 1)"
    params = (int_param("level", 1, "largest bundle size (or number of classes) declared", lo=1),
              flag_param("coordinate", False, "members avoid each other's declared top choices"))

    def _reduce(self, t: AgentType) -> AgentType:
        if isinstance(t, BundleRanking):
            small = tuple(b for b in t.bundles if int(b).bit_count() <= self.p["level"])
            return BundleRanking(t.m, small) if small else t
        choices, rest = split(t)
        k = self.p["level"]
        return join(t, choices[:k], rest, choices[k:])

    def joint_reports(self, members, info, rng):
        out: dict[int, AgentType] = {}
        claimed: set[int] = set()
        for a, t in members.items():
            r = self._reduce(t)
            if self.p["coordinate"]:
                choices, rest = split(r)
                goods = (lambda c: set(bundle_items(c[0]))) if isinstance(r, BundleRanking) else (lambda c: set(c))
                free = [c for c in choices if not (goods(c) & claimed)]
                if free:
                    r = join(r, free, rest, [c for c in choices if c not in free])
                    claimed |= goods(free[0])
            out[a] = r
        return out


@register_coalition_strategy
class BidRing(CoalitionStrategy):
    """Procurement bid ring: members inflate their bids together.

    ``mode="inflate"``: every member bids ``factor`` times its cost. ``mode="designated"``:
    the member with the lowest cost (ties: smallest id) bids ``factor`` times its cost and the
    others withhold (:class:`strategies.cost.Withhold` with ``mode=withhold``: bid B, or above B).
    """

    name = "bid_ring"
    kinds = ("procurement",)
    probes = "procurement universal truthfulness (Lemma 1) against groups; budget feasibility"
    params = (real_param("factor", 1.5, "bid = factor * cost", lo=0.0, lo_open=True),
              choice_param("mode", "inflate", "everyone inflates, or one designated member does and the rest "
                           "withhold", ("inflate", "designated")),
              choice_param("withhold", "at", "the others' withhold mode (bid B, or above B)", ("at", "above")))

    def joint_reports(self, members, info, rng):
        inflate = ShadeMultiplicative(factor=self.p["factor"])
        if self.p["mode"] == "inflate":
            return {a: inflate.report(t, info, rng) for a, t in members.items()}
        winner = min(members, key=lambda a: (members[a].value, a))
        withhold = Withhold(mode=self.p["withhold"])
        return {a: (inflate if a == winner else withhold).report(t, info, rng) for a, t in members.items()}


# ---- a coalition in a run -----------------------------------------------------------------
@dataclass
class Coalition:
    """A group of agents playing a coalition strategy, for use without the model.

    (``abm.coalitions.Coalition`` is the model's equivalent, with the stream
    ``("coalition", cid, tick)``.)

    Attributes
    ----------
    members : dict[int, AgentType]
        Member id -> TRUE type (iterating gives the ids).
    strategy : CoalitionStrategy
        The joint strategy.
    label : str
        Name for tables (default: the strategy spec and the member ids).
    """

    members: dict[int, AgentType]
    strategy: CoalitionStrategy
    label: str = ""

    def __post_init__(self) -> None:
        require(isinstance(self.members, Mapping) and len(self.members) > 0, "coalition.members", self.members,
                "a non-empty mapping agent -> true type")
        self.members = {int(a): t for a, t in sorted(self.members.items())}
        if not self.label:
            self.label = f"{self.strategy.spec()}[{','.join(map(str, self.members))}]"

    @property
    def key(self) -> int:
        """Stream key of the coalition: its smallest member id (stable across replays)."""
        return next(iter(self.members))

    def reports(self, info: PublicInfo, streams: Streams) -> dict[int, AgentType]:
        """Return every member's report given ``info``, from the stream ``("coalition", key)``."""
        return self.strategy.reports(self.members, info, streams.get("coalition", self.key))

    def report_for(self, agent_id: int, info: PublicInfo, streams: Streams) -> AgentType:
        """Return what member ``agent_id`` declares when it arrives with public information ``info``."""
        require(agent_id in self.members, "coalition.member", agent_id, f"one of {list(self.members)}")
        return self.reports(info, streams)[agent_id]


# ---- gain accounting ----------------------------------------------------------------------
GainFn = Callable[[int, AgentType, Outcome, Outcome], float]


@dataclass(frozen=True)
class CoalitionGain:
    """Per-member and coalition gains of a group deviation, under the members' true types.

    ``profitable`` is the violation pattern of group strategyproofness: every member weakly
    better off and at least one strictly (OCAM Definition 6, first alternative negated).
    """

    per_member: dict[int, float] = field(default_factory=dict)
    total: float = 0.0
    all_weakly_better: bool = True
    any_strictly_better: bool = False

    @property
    def profitable(self) -> bool:
        """True when no member is worse off and some member is strictly better off."""
        return self.all_weakly_better and self.any_strictly_better


def member_gains(true_types: Mapping[int, AgentType], truthful: Mapping[int, Outcome],
                 deviating: Mapping[int, Outcome], gain: GainFn) -> dict[int, float]:
    """Return ``{member: gain(member, true type, truthful outcome, deviating outcome)}``."""
    return {a: float(gain(a, t, truthful[a], deviating[a])) for a, t in sorted(true_types.items())}


def coalition_gain(true_types: Mapping[int, AgentType], truthful: Mapping[int, Outcome],
                   deviating: Mapping[int, Outcome], gain: GainFn, tol: float = GAIN_TOL) -> CoalitionGain:
    """Return the :class:`CoalitionGain`: per-member gains, their sum, and the dominance flags."""
    per = member_gains(true_types, truthful, deviating, gain)
    vals = list(per.values())
    return CoalitionGain(per, float(sum(vals)), all(v >= -tol for v in vals), any(v > tol for v in vals))


__all__ = ["COALITION_GRAPHS", "build_graph", "draw_coalitions", "make_graph", "COALITION_STRATEGIES", "BidRing", "Coalition", "CoalitionGain", "CoalitionStrategy", "CommonType",
           "DemandReduction", "SampleCollusion", "coalition_gain", "member_gains", "parse_coalition_strategy",
           "register_coalition_strategy"]
