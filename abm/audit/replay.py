"""Replays with common random numbers: the auditor's view of the replay engine (issue 7, item 1).

:class:`Replayer` runs the truthful baseline once (``mechanisms.engine.run_schedule``) and then
answers "what would these agents have got had they reported that instead": by a full replay
with the same seed and every other report unchanged (always valid), or, for a single deviator
of a mechanism that declares ``spec.incremental``, by asking the baseline's final mechanism
state through ``OnlineMechanism.unilateral_outcome(report, tick)`` (the paper makes that
agent's outcome independent of the others' reports: OCAM post-sample agents, posted-price
procurement sellers). ``tests/audit/test_replay.py`` checks that both paths agree.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from mechanisms.engine import RunRecord, run_schedule
from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AgentType
from mechanisms.protocol import OnlineMechanism
from mechanisms.reports import Outcome, Report

Factory = Callable[[], OnlineMechanism]


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
    """

    reports: Mapping[int, AgentType]
    label: str = "deviation"

    def __post_init__(self) -> None:
        require(isinstance(self.reports, Mapping) and len(self.reports) > 0, "deviation.reports",
                self.reports, "a non-empty mapping agent -> declared type")
        object.__setattr__(self, "reports", MappingProxyType({int(a): t for a, t in self.reports.items()}))

    @property
    def agents(self) -> tuple[int, ...]:
        """The deviating agents, ascending."""
        return tuple(sorted(self.reports))

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

    ``run`` is the full deviating :class:`RunRecord` (None on the incremental path);
    ``baseline`` is the run the deviation is compared with (every deviator truthful).
    """

    deviation: Deviation
    outcomes: dict[int, Outcome]
    baseline: RunRecord
    path: str
    run: RunRecord | None = field(default=None, repr=False)


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
    """

    def __init__(self, factory: Factory, schedule: Sequence[Sequence[Report]], seed: int,
                 true_types: Mapping[int, AgentType] | None = None):
        self.factory = factory
        self.schedule = [list(t) for t in schedule]
        self.seed = int(seed)
        self.true_types = dict(true_types or {})
        self._tick = {r.agent: t for t, tick in enumerate(self.schedule) for r in tick}
        self._declared = {r.agent: r.declared for tick in self.schedule for r in tick}
        self.truth = run_schedule(factory, self.schedule, self.seed)
        self.spec = self.truth.mechanism.spec
        self._baselines: dict[tuple, RunRecord] = {}
        self._truthful: dict[int, bool] = {}
        self.full_replays = 0
        self.incremental_replays = 0

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

    def baseline(self, agents: Iterable[int]) -> RunRecord:
        """Return the run where ``agents`` report their true types and the others as scheduled."""
        fix = {a: self.true_types[a] for a in agents
               if a in self.true_types and self._declared[a] != self.true_types[a]}
        if not fix:
            return self.truth
        key = tuple(sorted(fix))
        if key not in self._baselines:
            self._baselines[key] = run_schedule(self.factory, self.schedule, self.seed, fix)
            self.full_replays += 1
        return self._baselines[key]

    def full(self, deviation: Deviation) -> RunRecord:
        """Return the full replay with the deviators' reports swapped (same seed, same schedule)."""
        for a in deviation.reports:
            self.tick_of(a)
        self.full_replays += 1
        return run_schedule(self.factory, self.schedule, self.seed, dict(deviation.reports))

    def incremental(self, agent: int, declared: AgentType) -> Outcome:
        """Return ``agent``'s outcome had it declared ``declared``, via the incremental hook.

        Uses ``unilateral_outcome`` of the baseline's final mechanism state; raises
        ``NotImplementedError`` when the mechanism has no incremental path for this agent.
        """
        tick = self.tick_of(agent)
        self.incremental_replays += 1
        return self.truth.mechanism.unilateral_outcome(Report(agent, declared), tick)

    def replay(self, deviation: Deviation, path: str = "auto") -> Replayed:
        """Return the deviators' outcomes under ``deviation``.

        ``path``: ``"full"`` always replays the whole schedule; ``"incremental"`` requires a
        unilateral deviation on a ``spec.incremental`` mechanism; ``"auto"`` uses the
        incremental path when allowed (and the baseline is the shared truthful run) and falls
        back to a full replay when the mechanism refuses this agent (``NotImplementedError``, or
        ``ConfigError`` as OCAM raises for sample agents, who face serial dictatorship).
        """
        require(path in ("auto", "full", "incremental"), "path", path, '"auto", "full" or "incremental"')
        base = self.baseline(deviation.reports)
        can_inc = self.spec.incremental and deviation.size == 1 and base is self.truth
        if path == "incremental" and not can_inc:
            raise ConfigError("path", path, f"a unilateral deviation on an incremental mechanism "
                                            f"({self.spec.name} incremental={self.spec.incremental}, "
                                            f"coalition size {deviation.size})")
        if path != "full" and can_inc:
            (agent, declared), = deviation.reports.items()
            try:
                out = self.incremental(agent, declared)
                return Replayed(deviation, {agent: out}, base, "incremental")
            except (NotImplementedError, ConfigError):
                self.incremental_replays -= 1
                if path == "incremental":
                    raise
        run = self.full(deviation)
        return Replayed(deviation, {a: run.outcomes[a] for a in deviation.reports}, base, "full", run)

    def describe(self) -> dict[str, Any]:
        """Return counters of the replays done so far."""
        return {"full": self.full_replays, "incremental": self.incremental_replays}
