"""Replays with common random numbers: the auditor's view of the replay engine.

:class:`Replayer` holds the truthful baseline as a :class:`~mechanisms.checkpoint.CheckpointedRun`
and answers "what would these agents have got had they reported that instead". Three paths:

- ``"protocol"`` (the default; ``"auto"`` is an alias): replay through the online protocol
  (``start``, ``step``) from a checkpoint of the baseline taken before the first deviator's
  tick, stopping once every deviator has been served (outcomes are irrevocable). Generic: it
  assumes nothing of the mechanism beyond the protocol.
- ``"full"``: a fresh mechanism run from tick 0 to the end (the reference; slowest).
- ``"shortcut"`` (``"incremental"`` is an alias): the mechanism's own accelerator
  ``unilateral_outcome(report, tick)`` for a unilateral deviation of a mechanism that declares
  ``spec.incremental``; anything else falls back to the protocol path. The auditor never takes a
  shortcut's word: it cross-checks a seeded sample of its answers against protocol replays
  (``abm.audit.audit``).

An :class:`~mechanisms.errors.InvariantError` raised by the mechanism during a replay is kept in
:attr:`Replayed.error` (the auditor turns it into a violation), never propagated.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mechanisms.checkpoint import CheckpointedRun, replay_from_scratch
from mechanisms.engine import RunRecord
from mechanisms.errors import ConfigError, InvariantError, require
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.preferences import AgentType
from mechanisms.reports import Outcome, Report

Factory = Callable[[], OnlineMechanism]

#: Replay paths and their aliases (the names earlier versions used).
PATHS = {"protocol": "protocol", "auto": "protocol", "full": "full", "shortcut": "shortcut",
         "incremental": "shortcut"}

#: Study designs a deviation can belong to (see docs/audit.md, "Honest statistics").
DESIGNS = ("probe", "random")


@dataclass(frozen=True)
class Deviation:
    """A group of agents and the types they declare instead of their true ones.

    Parameters
    ----------
    reports : Mapping[int, AgentType]
        Agent id -> declared type, for every member of the group (size 1: unilateral).
    label : str
        What produced it (a strategy spec such as ``"truncate:k=2"``, ``"search"``,
        ``"coalition:pair"``): the "strategy or search" column of the audit table.
    design : str
        ``"probe"`` (part of a deterministic or exhaustive probe set: counts only) or
        ``"random"`` (drawn from a declared distribution: rates with exact intervals).
    """

    reports: Mapping[int, AgentType]
    label: str = "deviation"
    design: str = "probe"

    def __post_init__(self) -> None:
        require(isinstance(self.reports, Mapping) and len(self.reports) > 0, "deviation.reports",
                self.reports, "a non-empty mapping agent -> declared type")
        require(self.design in DESIGNS, "deviation.design", self.design, f"one of {list(DESIGNS)}")
        object.__setattr__(self, "reports", MappingProxyType({int(a): t for a, t in self.reports.items()}))
        object.__setattr__(self, "_agents", tuple(sorted(self.reports)))  # (read by every check of the deviation)

    @property
    def agents(self) -> tuple[int, ...]:
        """The deviating agents, ascending."""
        return self._agents

    @property
    def size(self) -> int:
        """Coalition size |G|."""
        return len(self.reports)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self.reports.items(), key=lambda kv: kv[0])), self.label))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Deviation) and dict(self.reports) == dict(other.reports) and self.label == other.label


def unilateral(agent: int, declared: AgentType, label: str = "deviation") -> Deviation:
    """Return the single-agent :class:`Deviation` of ``agent`` declaring ``declared``."""
    return Deviation({agent: declared}, label)


@dataclass
class Replayed:
    """The outcome of one deviation: the deviators' outcomes and how they were obtained.

    ``baseline`` is the run the deviation is compared with (every deviator truthful); ``run``
    the full deviating :class:`RunRecord` when the replay ran to the end (``"full"`` path or
    ``to_end``), else None. ``error`` is the invariant breach that stopped the replay, if any
    (then a deviator served after ``error_tick`` has no outcome). ``states`` holds, when asked
    for, the mechanism's state just before each deviator's tick (for questions about it).
    """

    deviation: Deviation
    outcomes: dict[int, Outcome]
    baseline: RunRecord
    path: str
    run: RunRecord | None = field(default=None, repr=False)
    error: InvariantError | None = None
    error_tick: int | None = None
    states: dict[int, OnlineMechanism] = field(default_factory=dict, repr=False)


class Replayer:
    """Truthful baseline plus replays of deviations under common random numbers.

    Parameters
    ----------
    factory : callable
        Returns a fresh, configured mechanism (``make_mechanism(name, market, params)``).
    schedule : list of list of Report
        The reports tick by tick, as the run made them.
    seed : int
        The run's seed: every replay uses the same purpose-keyed streams.
    true_types : Mapping[int, AgentType], optional
        The agents' true types. A deviation is compared with the run where its members report
        truthfully and everyone else reports as in ``schedule``; when ``schedule`` already has
        the members truthful (the usual case) that is the shared baseline run.
    checkpoints : int
        How many checkpoints of each baseline to keep (bounds memory).
    """

    def __init__(self, factory: Factory, schedule: Sequence[Sequence[Report]], seed: int,
                 true_types: Mapping[int, AgentType] | None = None, checkpoints: int = 128):
        self.factory = factory
        self.schedule = [list(t) for t in schedule]
        self.seed = int(seed)
        self.true_types = dict(true_types or {})
        self.checkpoints = checkpoints
        self._tick = {r.agent: t for t, tick in enumerate(self.schedule) for r in tick}
        self._declared = {r.agent: r.declared for tick in self.schedule for r in tick}
        self.base = CheckpointedRun(factory, self.schedule, self.seed, checkpoints=checkpoints)
        self.spec = self.base.mech.spec
        self._bases: dict[tuple, CheckpointedRun] = {}
        self._truthful: dict[int, bool] = {}
        self.full_replays = 0
        self.protocol_replays = 0
        self.shortcut_replays = 0

    # ---- the baseline ----------------------------------------------------------------------
    @property
    def truth(self) -> RunRecord:
        """The baseline run, stepped to its end (or to the invariant breach that stopped it)."""
        return self.base.record()

    @property
    def incremental_replays(self) -> int:
        """Replays answered by the mechanism's shortcut (the name earlier versions used)."""
        return self.shortcut_replays

    def tick_of(self, agent: int) -> int:
        """Return the tick ``agent`` arrives at; ConfigError for an agent not in the schedule."""
        require(agent in self._tick, "deviation.agent", agent, "an agent of the schedule")
        return self._tick[agent]

    def reports_truthfully(self, agent: int) -> bool:
        """Return True when ``agent``'s scheduled report is its true type (or its type is unknown)."""
        ok = self._truthful.get(agent)
        if ok is None:
            t = self.true_types.get(agent)
            ok = self._truthful[agent] = t is None or self._declared.get(agent) == t
        return ok

    def base_for(self, agents: Iterable[int]) -> CheckpointedRun:
        """Return the checkpointed baseline where ``agents`` report truthfully."""
        truthful = self._truthful
        for a in agents:
            if not (truthful.get(a) or self.reports_truthfully(a)):
                break
        else:
            return self.base  # the usual case: the schedule has them truthful
        fix = {a: self.true_types[a] for a in agents if not self.reports_truthfully(a)}
        if not fix:
            return self.base
        key = tuple(sorted(fix))
        if key not in self._bases:
            sched = [[Report(r.agent, fix[r.agent]) if r.agent in fix else r for r in t] for t in self.schedule]
            self._bases[key] = CheckpointedRun(self.factory, sched, self.seed, checkpoints=self.checkpoints)
        return self._bases[key]

    def baseline(self, agents: Iterable[int]) -> RunRecord:
        """Return the run where ``agents`` report their true types and the others as scheduled."""
        return self.base_for(agents).record()

    def truth_outcomes(self, agents: Iterable[int]) -> dict[int, Outcome | None]:
        """Return each agent's outcome in its baseline (None when a breach stopped it earlier).

        Steps the baseline only as far as the last of them (a forward sweep stays cheap).
        """
        agents = list(agents)
        base = self.base_for(agents)
        base.advance(max(self.tick_of(a) for a in agents) + 1)
        return {a: base.outcomes.get(a) for a in agents}

    # ---- replays ---------------------------------------------------------------------------
    def full(self, deviation: Deviation, to_end: bool = True) -> tuple[RunRecord, InvariantError | None]:
        """Return a fresh run from tick 0 with the deviators' reports swapped, and its breach if any.

        With ``to_end=False`` it stops once every deviator has been served.
        """
        last = max(self.tick_of(a) for a in deviation.reports)
        sched = self.schedule if to_end else self.schedule[: last + 1]
        self.full_replays += 1
        return replay_from_scratch(self.factory, sched, self.seed, dict(deviation.reports))

    def incremental(self, agent: int, declared: AgentType) -> Outcome:
        """Return ``agent``'s outcome had it declared ``declared``, as the mechanism's shortcut says.

        Calls ``unilateral_outcome`` on the baseline's final mechanism state; raises
        ``NotImplementedError`` when the mechanism has no shortcut for this agent. The answer
        is the mechanism's claim, not a fact: the auditor verifies it.
        """
        tick = self.tick_of(agent)
        self.shortcut_replays += 1
        return self.truth.mechanism.unilateral_outcome(Report(agent, declared), tick)

    def protocol(self, deviation: Deviation, to_end: bool = False, keep_states: bool = False) -> Replayed:
        """Return the deviation replayed through the protocol from the baseline's checkpoint."""
        reports = deviation.reports
        tick = self._tick
        ticks = {a: tick[a] if a in tick else self.tick_of(a) for a in reports}
        base = self.base_for(reports)
        r = base.replay(reports, ticks, to_end=to_end, keep_states=keep_states)
        self.protocol_replays += 1
        # the baseline's own outcomes of the deviators (after the replay: a forward sweep
        # snapshots the live baseline state, which advancing first would move past)
        last = max(ticks.values()) + 1
        if base.tick < last:
            base.advance(last)
        baseline = base.record() if to_end else _LazyRecord(base)  # type: ignore[assignment]
        got = r.outcomes
        outs = {a: got[a] for a in reports if a in got}
        return Replayed(deviation, outs, baseline, "protocol", r.record, r.error, r.error_tick, r.states)

    def replay(self, deviation: Deviation, path: str = "protocol", *, to_end: bool = False,
               keep_states: bool = False) -> Replayed:
        """Return the deviators' outcomes under ``deviation`` by ``path`` (see the module docstring).

        ``"incremental"`` insists on the shortcut (ConfigError when the mechanism declares none
        for this deviation); ``"shortcut"`` falls back to the protocol path when the mechanism
        refuses (``NotImplementedError``, or ``ConfigError`` as OCAM raises for sample agents).
        """
        kind = PATHS.get(path)
        if kind is None:
            require(False, "path", path, f"one of {sorted(PATHS)}")
        tick = self._tick
        for a in deviation.reports:
            if a not in tick:
                self.tick_of(a)
        if kind == "full":
            run, err = self.full(deviation)
            base = self.baseline(deviation.reports)
            outs = {a: run.outcomes[a] for a in deviation.reports if a in run.outcomes}
            et = None
            if err is not None:
                et = len(run.public)
            return Replayed(deviation, outs, base, "full", run if err is None else None, err, et)
        if kind == "shortcut":
            can = self.spec.incremental and deviation.size == 1 and self.base_for(deviation.reports) is self.base
            if path == "incremental" and not can:
                raise ConfigError("path", path, f"a unilateral deviation on an incremental mechanism "
                                                f"({self.spec.name} incremental={self.spec.incremental}, "
                                                f"coalition size {deviation.size})")
            if can:
                (agent, declared), = deviation.reports.items()
                try:
                    out = self.incremental(agent, declared)
                    return Replayed(deviation, {agent: out}, self.truth, "shortcut")
                except (NotImplementedError, ConfigError):
                    self.shortcut_replays -= 1
                    if path == "incremental":
                        raise
                except Exception:  # noqa: BLE001  (a crashing shortcut answers nothing: the protocol does)
                    self.shortcut_replays -= 1
                    if path == "incremental":
                        raise
        return self.protocol(deviation, to_end=to_end, keep_states=keep_states)

    def describe(self) -> dict[str, Any]:
        """Return counters of the replays done so far."""
        return {"protocol": self.protocol_replays, "full": self.full_replays, "shortcut": self.shortcut_replays,
                "checkpoints": len(self.base.checkpoints), "snapshots": self.base.snapshots_taken}


class _LazyRecord:
    """Stands for the baseline's RunRecord without stepping it to the end until asked."""

    def __init__(self, base: CheckpointedRun):
        self._base = base

    @property
    def outcomes(self) -> dict[int, Outcome]:
        return self._base.outcomes

    def __getattr__(self, name: str) -> Any:
        return getattr(self._base.record(), name)
