"""Run a mechanism on a fixed schedule of reports, without Mesa: the replay engine's core.

The Mesa model (``abm``) and the auditor both drive mechanisms through :func:`run_schedule`'s
per-tick logic (:func:`~mechanisms.step_invariants.checked_step`). Because every random draw comes
from purpose-keyed streams, replaying a schedule with the same seed and a few reports swapped
(``deviations``) changes nothing else: the common random numbers the auditor relies on.
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from .market import Market
from .online_mechanism import OnlineMechanism, published, summary_of
from .preferences import AgentType
from .public_state import PublicState
from .reports import Outcome, Report
from .rng import Streams
from .step_invariants import checked_step


@dataclass(frozen=True)
class Configuration:
    """What a run was configured with, recorded before the mechanism's first ``start``.

    ``name``: the spec's registered name; ``params``: a read-only deep copy of the validated
    parameters (``make_mechanism`` checked them against ``spec.params``); ``market``: the market
    the mechanism was built on. The auditor's verdicts, gates and counterexamples read these,
    never ``mechanism.params`` after a run: a mechanism under test cannot change, in ``start``
    or ``step``, the configuration its own verdict is judged by.
    """

    name: str
    params: Mapping[str, Any]
    market: Market


def configuration(mech: OnlineMechanism) -> Configuration:
    """Return the :class:`Configuration` of a freshly built ``mech`` (call before ``start``).

    The market is copied with its own ``extra`` dict (one the mechanism never holds), so a
    mechanism that edits ``market.extra`` while it runs (a budget, say) cannot move what its
    verdict is judged by.
    """
    market = mech.market
    try:
        market = dataclasses.replace(market, extra=dict(market.extra))
    except (TypeError, ValueError):  # a Market subclass that cannot be rebuilt: keep the original
        pass
    return Configuration(str(mech.spec.name), MappingProxyType(copy.deepcopy(dict(getattr(mech, "params", {}) or {}))),
                         market)


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
    public : list of PublicState or None
        ``mechanism.public()`` after each tick (None when not recorded).
    summary : dict
        ``mechanism.summary()`` after the last tick.
    mechanism : OnlineMechanism
        The mechanism in its final state (for diagnostics such as prices and budgets).
    config : Configuration
        The configuration recorded before the run started (what verdicts are judged by).
    """

    seed: int
    schedule: list[list[Report]]
    outcomes: dict[int, Outcome]
    public: list[PublicState | None]
    summary: dict[str, Any]
    mechanism: OnlineMechanism = field(repr=False)
    config: Configuration = field(repr=False)

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
    config = configuration(mech)
    mech.start(Streams(seed))
    sched = apply_deviations(schedule, deviations)
    outcomes: dict[int, Outcome] = {}
    public: list[PublicState | None] = []
    for t, reports in enumerate(sched):
        for o in checked_step(mech, t, reports):
            outcomes[o.agent] = o
        public.append(published(mech) if record_public else None)
    return RunRecord(seed, sched, outcomes, public, summary_of(mech), mech, config)
