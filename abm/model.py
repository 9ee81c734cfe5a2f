"""The Mesa model: each tick, the arriving agents report and the mechanism allocates to them.

``AllocationModel`` simulates one run of an online allocation mechanism on a market whose
participants carry true private types and reporting strategies. It orchestrates the tick of
DESIGN.md and nothing else: arrivals come from an arrival process, reports from the agents'
strategies, outcomes from the mechanism (through :func:`mechanisms.step_invariants.checked_step`, which
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
    Model reporters collected every tick (``Arrived``, ``Misreports``, ``Mean true rank``:
    plain numbers, so ``mesa.batch_run`` reads them), the table ``"outcomes"`` with one
    readable row per agent, added when it arrives (strategy, true type and report as text,
    outcome as course or object names, ``true_rank`` 1 = best), and the table ``"ticks"``
    (arrivals, remaining capacity, posted prices).

A model is built either from its parts (what :func:`abm.scenario.build_run` does) or from a
scenario, so ``mesa.batch_run`` and Mesa's SolaraViz can construct it from keywords::

    AllocationModel(scenario="examples/ocam_agh2004.toml", seed=3, population__n=60)
    mesa.batch_run(AllocationModel, {"scenario": path, "mechanism": ["ocam", "rsd"], "seed": [1, 2]})

Keyword overrides name scenario fields with ``__`` for the dots (``population__n`` is
``population.n``); ``mechanism="rsd"`` replaces the mechanism (its parameters are dropped
unless it is the scenario's own mechanism); ``strategies`` is then a ``[strategies]`` table
(or a spec string for everyone) and ``strategy_overrides`` maps agent ids to strategies.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import mesa
import numpy as np
import pandas as pd

from mechanisms.engine import RunRecord, configuration
from mechanisms.errors import ConfigError, require
from mechanisms.market import Market
from mechanisms.online_mechanism import OnlineMechanism, published, summary_of
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome
from mechanisms.rng import Streams
from mechanisms.step_invariants import checked_step
from strategies.base import PublicInfo, Strategy, Truthful

from .agents import Participant
from .arrivals import ARRIVALS
from .describe import describe_type

#: Columns of the DataCollector table "outcomes": readable values (text, numbers), one row per agent.
OUTCOME_COLUMNS = ["agent", "tick", "strategy", "truthful", "true_type", "report", "outcome", "true_rank"]
#: Former name of :data:`OUTCOME_COLUMNS`.
RAW_COLUMNS = OUTCOME_COLUMNS
#: Model reporters (attribute names), collected every tick: what ``mesa.batch_run`` returns.
MODEL_REPORTERS = {"Arrived": "arrived", "Misreports": "misreports", "Mean true rank": "mean_true_rank"}
#: Columns of the DataCollector table "ticks": arrivals, remaining capacity, posted prices.
TICK_COLUMNS = ["tick", "arrivals", "remaining", "prices"]


def _release_agent_counter(model: mesa.Model) -> None:
    """Drop ``model`` from Mesa's class-level agent-id counters (the model is freed with its last reference)."""
    ids = getattr(mesa.Agent, "_ids", None)  # a Mesa 3.3 internal: absent in other versions, then nothing to do
    if isinstance(ids, dict):
        ids.pop(model, None)


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

    def __init__(self, market: Market | None = None, true_types: Sequence[AgentType] | None = None,
                 mechanism: OnlineMechanism | str | None = None, seed: int | None = None,
                 strategies: Sequence[Strategy] | None = None, coalitions: Sequence[Any] = (),
                 arrivals: str = "permutation", batch_size: int = 1,
                 periods: Sequence[Sequence[int]] | None = None,
                 schedule: list[list[int]] | None = None, *, scenario: Any = None,
                 strategy_overrides: Mapping[int, Strategy] | None = None, **overrides: Any) -> None:
        notes: list[str] = []
        sc = None
        if scenario is not None:
            require(market is None and true_types is None, "scenario", scenario,
                    "either a scenario or a market with true types, not both")
            if isinstance(strategies, (str, Mapping)):  # a [strategies] table (or a default spec) as an override
                overrides["strategies"] = {"default": strategies} if isinstance(strategies, str) else dict(strategies)
            elif strategies is not None:
                raise ConfigError("strategies", strategies, "a [strategies] table or spec with scenario=... "
                                  "(per-agent strategies go in strategy_overrides)")
            sc = scenario_with_overrides(scenario, mechanism if isinstance(mechanism, str) else None, overrides)
            seed = sc.seed if seed is None else seed
            require(isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0,
                    "seed", seed, "a non-negative integer")
            parts = scenario_parts(sc, int(seed), strategy_overrides)
            market, true_types, mechanism = parts.pop("market"), parts.pop("true_types"), parts.pop("mechanism")
            strategies, coalitions, periods = parts["strategies"], parts["coalitions"], parts["periods"]
            arrivals, batch_size = sc.arrivals, sc.batch_size
            notes = parts["notes"]
        else:
            for k, v in overrides.items():
                raise ConfigError(k, v, "a keyword of AllocationModel (scenario overrides need scenario=...)")
            require(strategy_overrides is None, "strategy_overrides", strategy_overrides, "used with scenario=...")
            require(market is not None and true_types is not None and mechanism is not None, "AllocationModel",
                    "missing parts", "market, true_types and mechanism (or scenario=...)")
            require(seed is not None, "seed", seed, "a non-negative integer")
        super().__init__(seed=int(seed))
        self.population_notes = notes
        #: The scenario the model was built from (None when built from parts).
        self.scenario = sc
        n = len(true_types)
        require(n >= 1, "population", n, "at least one agent")
        self.market = market
        self.streams = Streams(seed)
        self.mechanism = mechanism
        #: What the mechanism was configured with, recorded before it started.
        self.config = configuration(mechanism)
        mechanism.start(self.streams)
        strategies = list(strategies) if strategies is not None else [Truthful()] * n
        require(len(strategies) == n, "strategies", len(strategies), f"one strategy per agent ({n})")
        member_of = {m: c for c in coalitions for m in c.members}
        Participant.create_agents(self, n, list(range(n)), list(true_types), strategies,
                                  [member_of.get(i) for i in range(n)])
        # Mesa 3.3 numbers agents through a class-level dict keyed by the model
        # (mesa.Agent._ids), which would keep every model of a sweep alive for the whole
        # process; every participant exists now (none is added later), so the counter goes
        _release_agent_counter(self)
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
        self.arrived = 0
        self.misreports = 0
        self._rank_sum = 0.0
        self._ranked = 0
        self._text: dict[int, tuple[Any, str]] = {}  # id(type) -> (type, text): many agents share a type
        self._bundle_text: dict[int, str] = {}
        self.datacollector = mesa.DataCollector(
            model_reporters=MODEL_REPORTERS,
            tables={"outcomes": OUTCOME_COLUMNS, "ticks": TICK_COLUMNS},
        )

    @property
    def mean_true_rank(self) -> float | None:
        """Mean rank (1 = best) of the outcomes so far under the TRUE types; None for procurement."""
        return self._rank_sum / self._ranked if self._ranked else None

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
            info = PublicInfo(self.market, self.tick, published(self.mechanism))
            reports = [a.make_report(info) for a in arriving]
        else:
            reports = [a.report_truthfully(self.tick) for a in arriving]
        outcomes = checked_step(self.mechanism, self.tick, reports)
        add_row = self.datacollector.add_table_row
        tick = self.tick
        show = self._show
        for agent, outcome in zip(arriving, outcomes):
            agent.outcome = outcome
            declared = agent.report.declared
            truthful = declared is agent.true_type or declared == agent.true_type
            rank = true_rank(outcome, agent.true_type)
            if rank is not None:
                self._rank_sum += rank
                self._ranked += 1
            self.misreports += not truthful
            add_row("outcomes", {"agent": agent.agent_id, "tick": tick, "strategy": agent.strategy_label,
                                 "truthful": truthful, "true_type": show(agent.true_type), "report": show(declared),
                                 "outcome": self._outcome_text(outcome), "true_rank": rank})
        self.arrived += len(arriving)
        # Tick reporters go to a DataCollector table rather than model_reporters, which
        # deep-copy every value on every collect (the tick's largest overhead otherwise).
        rem = self.mechanism.remaining()
        prices = self.mechanism.prices
        add_row("ticks", {"tick": self.tick, "arrivals": len(arriving),
                          "remaining": None if rem is None else rem.copy(),
                          "prices": None if prices is None else np.array(prices, dtype=np.float64)})
        # Model reporters: the values are immutable scalars, so they are appended as
        # DataCollector.collect would store them, without its per-value deepcopy (a third of the
        # tick's overhead otherwise).
        mv = self.datacollector.model_vars
        mv["Arrived"].append(self.arrived)
        mv["Misreports"].append(self.misreports)
        mv["Mean true rank"].append(self.mean_true_rank)
        self.tick += 1
        if self.tick >= len(self.schedule):
            self.running = False

    def run(self) -> AllocationModel:
        """Run until arrivals end; return self."""
        while self.running:
            self.step()
        return self

    def _outcome_text(self, o: Outcome) -> str:
        if isinstance(o, BundleOutcome):  # bundles repeat: render each once
            text = self._bundle_text.get(o.bundle)
            if text is None:
                text = self._bundle_text[o.bundle] = self.market.goods.format_bundle(o.bundle)
            return text
        return outcome_text(o, self.market)

    def _show(self, t: AgentType) -> str:
        hit = self._text.get(id(t))
        if hit is None or hit[0] is not t:
            hit = self._text[id(t)] = (t, describe_type(t, self.market, limit=3))
        return hit[1]

    # ---- results ----------------------------------------------------------------------------
    def agent_table(self) -> pd.DataFrame:
        """Return one row per agent in arrival order.

        Columns: agent, tick, strategy, truthful, true_type, report (text), outcome (text) and
        the outcome's fields (bundle: budget, spent, phase, true_rank; object: obj, lottery,
        true_rank; procurement: hired, payment, threshold, bid, true_cost, utility), ranks
        1-based (1 = the best choice) and utilities always under the TRUE type.
        """
        raw = self.datacollector.tables["outcomes"]
        rows = []
        for k in range(len(raw["agent"])):
            row = {c: raw[c][k] for c in ("agent", "tick", "strategy", "truthful", "true_type", "report")}
            p = self.participants[raw["agent"][k]]
            row.update(outcome_fields(p.outcome, p.true_type, self.market))
            rows.append(row)
        return pd.DataFrame(rows)

    def scarcity_note(self) -> str | None:
        """Return a warning when no good is scarce (every posted price 0), else None.

        With every price 0 each agent can afford its top choice whatever it reports, so no
        misreport can gain (OCAM's post-sample agents buy their best affordable bundle at the
        posted prices, Section 4.2; SEM's lotteries are unconstrained at zero prices).
        """
        prices = self.mechanism.prices
        if prices is None or self.tick == 0:
            return None
        p = np.asarray(prices, dtype=np.float64)
        if p.size == 0 or np.any(p > 0):
            return None
        return ("no good is scarce: every posted price is 0, so everyone can afford their top choice "
                "whatever they report, and nobody can gain by lying (lower the capacities, e.g. "
                "population.capacity_factor or market.capacity, to make goods scarce)")

    def tick_table(self) -> pd.DataFrame:
        """Return one row per tick: arrivals, remaining capacity, posted prices (numpy arrays)."""
        return self.datacollector.get_table_dataframe("ticks")

    def record(self) -> RunRecord:
        """Return the run as a :class:`~mechanisms.engine.RunRecord` (what the auditor replays)."""
        sched = [[self.participants[i].report for i in t] for t in self.schedule]
        outcomes = {a.agent_id: a.outcome for a in self.participants}
        return RunRecord(self.streams.seed, sched, outcomes, [], summary_of(self.mechanism), self.mechanism,
                         self.config)


def true_rank(o: Outcome, true_type: AgentType) -> int | None:
    """Return the 1-based rank of outcome ``o`` under ``true_type`` (1 = the best choice).

    Bundles: the position of the bundle in the TRUE ranking, from 1 (the empty bundle ranks
    after every acceptable bundle, an unacceptable one after the empty bundle:
    :meth:`~mechanisms.preferences.BundleRanking.rank`). Objects: the preference class of the realised object, from
    1. Procurement outcomes have no rank (None): their utility is payment - cost.
    """
    if isinstance(o, BundleOutcome) and isinstance(true_type, BundleRanking):
        return true_type.rank(o.bundle) + 1
    if isinstance(o, ObjectOutcome) and isinstance(true_type, WeakOrder):
        return int(true_type.rank[o.obj]) + 1
    return None


def outcome_text(o: Outcome, market: Market) -> str:
    """Return the outcome in words: a bundle of course names, an object's name, hired or not."""
    if isinstance(o, BundleOutcome):
        return market.goods.format_bundle(o.bundle)
    if isinstance(o, ObjectOutcome):
        names = market.goods.names
        return names[o.obj] if o.obj < len(names) else "o"
    if isinstance(o, HireOutcome):
        return "hired" if o.hired else "not hired"
    return repr(o)


def outcome_fields(o: Outcome, true_type: AgentType, market: Market) -> dict[str, Any]:
    """Return the table fields of outcome ``o``, with the utility under ``true_type``.

    Bundles: ``true_rank`` is the position of the bundle in the TRUE ranking (1 = best; one
    more than the number of acceptable bundles for the empty bundle, two more for a bundle the
    true type does not accept: :meth:`~mechanisms.preferences.BundleRanking.rank`). Objects: the preference
    class of the realised object (1 = the top class). Procurement: ``utility`` = payment -
    true cost if hired, else 0.
    """
    f: dict[str, Any] = {}
    if isinstance(o, BundleOutcome):
        f.update(outcome=market.goods.format_bundle(o.bundle), budget=o.budget, spent=o.spent, phase=o.phase)
        if isinstance(true_type, BundleRanking):
            f["true_rank"] = true_type.rank(o.bundle) + 1
    elif isinstance(o, ObjectOutcome):
        names = market.goods.names
        f.update(outcome=names[o.obj] if o.obj < len(names) else "o", obj=o.obj,
                 lottery=None if o.lottery is None else ",".join(f"{x:.6g}" for x in o.lottery))
        if isinstance(true_type, WeakOrder):
            f["true_rank"] = int(true_type.rank[o.obj]) + 1
    elif isinstance(o, HireOutcome):
        f.update(outcome="hired" if o.hired else "not hired", hired=o.hired, payment=o.payment,
                 threshold=o.threshold, bid=o.bid)
        if isinstance(true_type, Cost):
            f["true_cost"] = true_type.value
            f["utility"] = true_type.utility(o)
    return f


# ---- construction from a scenario (mesa.batch_run, SolaraViz) ----------------------------------

def scenario_with_overrides(scenario: Any, mechanism: str | None = None,
                            overrides: Mapping[str, Any] | None = None):
    """Return the validated :class:`~abm.scenario.Scenario` for ``scenario`` with keyword overrides.

    ``scenario`` is a path to a TOML file, a parsed table (dict) or a ``Scenario``. Override
    keys use ``__`` for the dots of a scenario field (``population__n=30``); ``mechanism``
    names another mechanism (its parameters dropped unless it is the scenario's own).
    Raises :class:`ConfigError` naming the field for anything invalid.
    """
    import pathlib

    from .scenario import Scenario, load_scenario, parse_scenario

    if isinstance(scenario, Scenario):
        sc = scenario
    elif isinstance(scenario, Mapping):
        sc = parse_scenario(dict(scenario), ".")
    elif isinstance(scenario, (str, pathlib.Path)):
        sc = load_scenario(scenario)
    else:
        raise ConfigError("scenario", scenario, "a scenario file path, a scenario table (dict) or a Scenario")
    changes = {k.replace("__", "."): v for k, v in (overrides or {}).items()}
    if mechanism is not None and mechanism != sc.mechanism:
        changes["mechanism"] = {"name": mechanism}
    return sc.with_overrides(**changes) if changes else sc


def scenario_parts(sc: Any, seed: int, strategy_overrides: Mapping[int, Strategy] | None = None) -> dict[str, Any]:
    """Return the parts of the model of scenario ``sc`` for ``seed`` (as :func:`abm.scenario.build_run`).

    Keys: market, true_types, mechanism, strategies, coalitions, periods, notes.
    ``strategy_overrides`` (agent id -> strategy) replaces some agents' strategies, e.g. the
    reports of students in a class game.
    """
    from .scenario import build_parts

    parts = build_parts(sc, seed, strategy_overrides)
    pop = parts.population
    return {"market": pop.market, "true_types": pop.types, "mechanism": parts.mechanism,
            "strategies": parts.strategies, "coalitions": parts.coalitions, "periods": pop.periods,
            "notes": list(pop.notes)}
