"""Run a mechanism on a fixed schedule of reports, without Mesa: the replay engine's core.

The Mesa model (``abm``) and the auditor both drive mechanisms through :func:`run_schedule`'s
per-tick logic (:func:`~mechanisms.protocol.checked_step`). Because every random draw comes
from purpose-keyed streams, replaying a schedule with the same seed and a few reports swapped
(``deviations``) changes nothing else: the common random numbers the auditor relies on.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .preferences import AgentType
from .protocol import OnlineMechanism, checked_step
from .reports import Outcome, Report
from .rng import Streams


@dataclass
class RunRecord:
    """The result of one run: every report, outcome and public snapshot, by tick.

    Attributes
    ----------
    seed : int
        The run's seed.
    schedule : list of list of Report
        The reports, tick by tick, as the mechanism received them.
    outcomes : dict[int, Outcome]
        Each agent's outcome, keyed by agent id.
    public : list of dict
        ``mechanism.public()`` after each tick (empty dicts when not recorded).
    summary : dict
        ``mechanism.summary()`` after the last tick.
    mechanism : OnlineMechanism
        The mechanism in its final state (for diagnostics such as prices and budgets).
    """

    seed: int
    schedule: list[list[Report]]
    outcomes: dict[int, Outcome]
    public: list[dict[str, Any]]
    summary: dict[str, Any]
    mechanism: OnlineMechanism = field(repr=False)

    def report(self, agent: int) -> Report:
        """Return the report agent ``agent`` made."""
        for tick in self.schedule:
            for r in tick:
                if r.agent == agent:
                    return r
        raise KeyError(agent)

    def tick_of(self, agent: int) -> int:
        """Return the tick at which ``agent`` arrived."""
        return self.outcomes[agent].tick


def apply_deviations(schedule: Sequence[Sequence[Report]],
                     deviations: Mapping[int, AgentType] | None) -> list[list[Report]]:
    """Return ``schedule`` with the reports of the agents in ``deviations`` replaced."""
    if not deviations:
        return [list(t) for t in schedule]
    return [[Report(r.agent, deviations[r.agent]) if r.agent in deviations else r for r in t] for t in schedule]


def run_schedule(factory: Callable[[], OnlineMechanism], schedule: Sequence[Sequence[Report]], seed: int,
                 deviations: Mapping[int, AgentType] | None = None, record_public: bool = True) -> RunRecord:
    """Run a fresh mechanism from ``factory`` on ``schedule`` with the streams of ``seed``.

    ``deviations`` maps agent ids to the types they declare instead (every other report and
    every random draw is unchanged). Returns the :class:`RunRecord`.
    """
    mech = factory()
    mech.start(Streams(seed))
    sched = apply_deviations(schedule, deviations)
    outcomes: dict[int, Outcome] = {}
    public: list[dict[str, Any]] = []
    for t, reports in enumerate(sched):
        for o in checked_step(mech, t, reports):
            outcomes[o.agent] = o
        public.append(mech.public() if record_public else {})
    return RunRecord(seed, sched, outcomes, public, mech.summary(), mech)
