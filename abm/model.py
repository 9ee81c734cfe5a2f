"""The Mesa model: each tick, the arriving agents report and the mechanism allocates to them.

``AllocationModel`` simulates one run of an online allocation mechanism on a market whose
participants carry true private types and reporting strategies. It orchestrates the tick of
DESIGN.md and nothing else: arrivals come from an arrival process, reports from the agents'
strategies, outcomes from the mechanism (through :func:`mechanisms.protocol.checked_step`, which
enforces one outcome per agent and capacities), data from Mesa's ``DataCollector``.

Attributes
----------
market : Market
    The public market description.
mechanism : OnlineMechanism
    The configured mechanism (started with this run's streams).
streams : Streams
    The purpose-keyed random streams of the run's seed (all economic randomness).
schedule : list of list of int
    Agent ids arriving at each tick.
participants : list of Participant
    The agents, indexed by ``agent_id``.
datacollector : DataCollector
    Model reporters per tick (Arrivals, Remaining capacity, Prices) and the table
    ``"outcomes"`` with one row per agent, added when it arrives.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from mechanisms.engine import RunRecord
from mechanisms.errors import require
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.protocol import Market, OnlineMechanism, checked_step
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome
from mechanisms.rng import Streams
from strategies.base import PublicInfo, Strategy, Truthful

from .agents import Participant
from .arrivals import ARRIVALS

#: Columns of the DataCollector table "outcomes": raw objects, rendered by ``agent_table``.
RAW_COLUMNS = ["agent", "tick", "strategy", "truthful", "true_type", "report", "outcome"]
#: Columns of the DataCollector table "ticks": arrivals, remaining capacity, posted prices.
TICK_COLUMNS = ["tick", "arrivals", "remaining", "prices"]


class AllocationModel(mesa.Model):
    """An online allocation market run tick by tick (Mesa ``Model``).

    Parameters
    ----------
    market : Market
        Public market description.
    true_types : sequence of AgentType
        True type of each agent (agent ids are positions).
    mechanism : OnlineMechanism
        A configured mechanism; the model starts it with this run's streams.
    seed : int
        The run's seed. Economic draws use ``Streams(seed)``; Mesa's own ``random``/``rng`` get
        the same seed and drive Mesa internals only.
    strategies : sequence of Strategy, optional
        Strategy of each agent (default: everyone truthful).
    coalitions : sequence of Coalition, optional
        Coalitions whose joint strategy replaces their members' own strategies.
    arrivals : str, default "permutation"
        Name of an arrival process in :data:`abm.arrivals.ARRIVALS`.
    batch_size : int, default 1
        Agents per tick for the ``permutation`` and ``fixed`` processes.
    periods : sequence of sequence of int, optional
        Agent ids by period, for the ``periods`` process (i.i.d. arrivals per period).
    schedule : list of list of int, optional
        An explicit arrival schedule (overrides ``arrivals``); used by replays.
    """

    def __init__(self, market: Market, true_types: Sequence[AgentType], mechanism: OnlineMechanism,
                 seed: int, strategies: Sequence[Strategy] | None = None, coalitions: Sequence[Any] = (),
                 arrivals: str = "permutation", batch_size: int = 1,
                 periods: Sequence[Sequence[int]] | None = None,
                 schedule: list[list[int]] | None = None) -> None:
        super().__init__(seed=seed)
        n = len(true_types)
        require(n >= 1, "population", n, "at least one agent")
        self.market = market
        self.streams = Streams(seed)
        self.mechanism = mechanism
        mechanism.start(self.streams)
        strategies = list(strategies) if strategies is not None else [Truthful()] * n
        require(len(strategies) == n, "strategies", len(strategies), f"one strategy per agent ({n})")
        member_of = {m: c for c in coalitions for m in c.members}
        Participant.create_agents(self, n, list(range(n)), list(true_types), strategies,
                                  [member_of.get(i) for i in range(n)])
        self.participants: list[Participant] = sorted(self.agents, key=lambda a: a.agent_id)
        if schedule is None:
            process = ARRIVALS.get(arrivals, "arrivals.process")
            schedule = process(n, self.streams.get("arrivals"), batch_size=batch_size, periods=periods)
        flat = [i for t in schedule for i in t]
        require(sorted(flat) == list(range(n)), "arrivals.schedule", f"{len(flat)} arrivals",
                f"every agent 0..{n - 1} arriving exactly once")
        self.schedule = schedule
        self._strategic = frozenset(a.agent_id for a in self.participants
                                    if a.coalition is not None or not a.strategy.is_truthful)
        self.tick = 0
        self.datacollector = mesa.DataCollector(
            tables={"outcomes": RAW_COLUMNS, "ticks": TICK_COLUMNS},
        )

    # ---- the tick ---------------------------------------------------------------------------
    def step(self) -> None:
        """Run one tick: arrivals report, the mechanism allocates, the tick's data is recorded."""
        # The tick's arrivals are a plain list, not an AgentSet: AgentSet's weak-reference
        # bookkeeping costs ~50 us per construction, more than the whole per-agent budget of
        # the model (issue 2); population-wide operations still go through ``self.agents``.
        ids = self.schedule[self.tick]
        arriving = [self.participants[i] for i in ids]
        # Truthful agents read nothing, so the public state is assembled (and the strategies
        # called) only when an arrival is strategic; truthful reports are made inline.
        if self._strategic and not self._strategic.isdisjoint(ids):
            info = PublicInfo(self.market, self.tick, self.mechanism.public())
            reports = [a.make_report(info) for a in arriving]
        else:
            reports = [a.report_truthfully(self.tick) for a in arriving]
        outcomes = checked_step(self.mechanism, self.tick, reports)
        add_row = self.datacollector.add_table_row
        tick = self.tick
        for agent, outcome in zip(arriving, outcomes):
            agent.outcome = outcome
            declared = agent.report.declared
            add_row("outcomes", {"agent": agent.agent_id, "tick": tick, "strategy": agent.strategy_label,
                                 "truthful": declared is agent.true_type or declared == agent.true_type,
                                 "true_type": agent.true_type, "report": declared, "outcome": outcome})
        # Tick reporters go to a DataCollector table rather than model_reporters, which
        # deep-copy every value on every collect (the tick's largest overhead otherwise).
        rem = self.mechanism.remaining()
        prices = self.mechanism.prices
        add_row("ticks", {"tick": self.tick, "arrivals": len(arriving),
                          "remaining": None if rem is None else rem.copy(),
                          "prices": None if prices is None else np.array(prices, dtype=np.float64)})
        self.tick += 1
        if self.tick >= len(self.schedule):
            self.running = False

    def run(self) -> AllocationModel:
        """Run until arrivals end; return self."""
        while self.running:
            self.step()
        return self

    # ---- results ----------------------------------------------------------------------------
    def agent_table(self) -> pd.DataFrame:
        """Return one row per agent in arrival order.

        Columns: agent, tick, strategy, truthful, true_type, report (text), outcome (text) and
        the outcome's fields (bundle: budget, spent, phase, true_rank; object: obj, lottery,
        true_rank; procurement: hired, payment, threshold, bid, true_cost, utility), utilities
        always under the TRUE type.
        """
        raw = self.datacollector.tables["outcomes"]
        text: dict[Any, str] = {}  # many agents share a type: render each once

        def show(t: AgentType) -> str:
            if t not in text:
                text[t] = describe_type(t, self.market)
            return text[t]

        rows = []
        for k in range(len(raw["agent"])):
            row = {c: raw[c][k] for c in ("agent", "tick", "strategy", "truthful")}
            row["true_type"] = show(raw["true_type"][k])
            row["report"] = show(raw["report"][k])
            row.update(outcome_fields(raw["outcome"][k], raw["true_type"][k], self.market))
            rows.append(row)
        return pd.DataFrame(rows)

    def tick_table(self) -> pd.DataFrame:
        """Return one row per tick: arrivals, remaining capacity, posted prices (numpy arrays)."""
        return self.datacollector.get_table_dataframe("ticks")

    def record(self) -> RunRecord:
        """Return the run as a :class:`~mechanisms.engine.RunRecord` (what the auditor replays)."""
        sched = [[self.participants[i].report for i in t] for t in self.schedule]
        outcomes = {a.agent_id: a.outcome for a in self.participants}
        return RunRecord(self.streams.seed, sched, outcomes, [], self.mechanism.summary(), self.mechanism)


def describe_type(t: AgentType, market: Market) -> str:
    """Return a short text form of a type or report for tables."""
    if isinstance(t, BundleRanking):
        return t.describe(market.goods, limit=3)
    if isinstance(t, WeakOrder):
        return t.describe(market.goods.names if market.goods else None)
    if isinstance(t, Cost):
        return f"{t.value:.6g}"
    return repr(t)


def outcome_fields(o: Outcome, true_type: AgentType, market: Market) -> dict[str, Any]:
    """Return the table fields of outcome ``o``, with the utility under ``true_type``.

    Bundles: ``true_rank`` is the position of the bundle in the TRUE ranking (0 = best; the
    number of acceptable bundles for the empty bundle). Objects: the preference class of the
    realised object. Procurement: ``utility`` = payment - true cost if hired, else 0.
    """
    f: dict[str, Any] = {}
    if isinstance(o, BundleOutcome):
        f.update(outcome=market.goods.format_bundle(o.bundle), budget=o.budget, spent=o.spent, phase=o.phase)
        if isinstance(true_type, BundleRanking):
            f["true_rank"] = true_type.rank(o.bundle)
    elif isinstance(o, ObjectOutcome):
        names = market.goods.names
        f.update(outcome=names[o.obj] if o.obj < len(names) else "o", obj=o.obj,
                 lottery=None if o.lottery is None else ",".join(f"{x:.6g}" for x in o.lottery))
        if isinstance(true_type, WeakOrder):
            f["true_rank"] = int(true_type.rank[o.obj])
    elif isinstance(o, HireOutcome):
        f.update(outcome="hired" if o.hired else "not hired", hired=o.hired, payment=o.payment,
                 threshold=o.threshold, bid=o.bid)
        if isinstance(true_type, Cost):
            f["true_cost"] = true_type.value
            f["utility"] = (o.payment - true_type.value) if o.hired else 0.0
    return f
