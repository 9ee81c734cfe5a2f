"""The participant: an agent with a true private type, a reporting strategy and an outcome."""
from __future__ import annotations

from typing import Any

import mesa

from mechanisms.preferences import AgentType
from mechanisms.reports import Outcome, Report
from strategies.base import PublicInfo, Strategy


class Participant(mesa.Agent):
    """A market participant (DESIGN.md, "One tick", step 2).

    Attributes
    ----------
    agent_id : int
        Stable 0-based id: the key of the agent's random streams and of its report. (Mesa's
        ``unique_id`` starts at 1 and is not used by the economics.)
    true_type : BundleRanking | WeakOrder | Cost
        The private type; utilities are always evaluated under it.
    strategy : Strategy
        How the agent turns its true type into a report (unilateral strategies).
    coalition : Coalition or None
        The coalition the agent belongs to; its joint strategy overrides ``strategy``.
    report : Report or None
        What the agent declared (set when it arrives).
    outcome : Outcome or None
        What the mechanism gave it (set when it arrives).
    """

    def __init__(self, model: mesa.Model, agent_id: int, true_type: AgentType, strategy: Strategy,
                 coalition: Any = None) -> None:
        super().__init__(model)
        self.agent_id = int(agent_id)
        self.true_type = true_type
        self.strategy = strategy
        self.coalition = coalition
        self.report: Report | None = None
        self.outcome: Outcome | None = None
        self.arrival_tick: int | None = None
        self.strategy_label = coalition.label if coalition is not None else strategy.spec()

    def make_report(self, info: PublicInfo) -> Report:
        """Return (and store) this agent's report, from its own stream ``("strategy", agent_id)``."""
        if self.coalition is not None:
            declared = self.coalition.report_for(self.agent_id, info, self.model.streams)
        elif self.strategy.is_truthful:
            declared = self.true_type
        else:
            declared = self.strategy.report(self.true_type, info.seen_by(self.agent_id),
                                            self.model.streams.get("strategy", self.agent_id))
        self.report = Report(self.agent_id, declared)
        self.arrival_tick = info.tick
        return self.report

    def report_truthfully(self, tick: int) -> Report:
        """Return (and store) the truthful report (the fast path for truthful agents)."""
        # Reports are immutable, so the truthful one is built once, not once per arrival.
        report = self.__dict__.get("_truthful_report")
        if report is None:
            report = self._truthful_report = Report(self.agent_id, self.true_type)
        self.report = report
        self.arrival_tick = tick
        return report

    @property
    def truthful(self) -> bool:
        """True when the declared type equals the true type."""
        if self.report is None:
            return False
        d = self.report.declared
        return d is self.true_type or d == self.true_type
