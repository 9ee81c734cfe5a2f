"""Fixed deviation lists: the misreports the auditor tries when no strategy module supplies them.

Each generator yields :class:`~abm.audit.replay.Deviation` objects with a ``label`` naming the
family (the "strategy or search" column of the audit table). Every report is made by a
registered strategy of ``strategies/`` (looked up by its spec string, e.g. ``"truncate:k=2"``),
so a family means exactly what the strategy of that name means: a swap exchanges two
acceptable choices and never moves a class across the null option (SEM Section 2), a
truncation declares the rest unacceptable (OCAM Section 2: outside Psi_i). Only
``same_period_misreports`` is no strategy: it is the misreport set of SEM Definition 6 (the
types of the agent's own period), not a transformation of the agent's type.
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.reports import Report

from .replay import Deviation

#: The registered strategies that make each fixed family's reports (what a counterexample records
#: the versions of); a label that is itself a strategy spec (``"truncate:k=2"``) names its own.
FAMILY_STRATEGIES: dict[str, tuple[str, ...]] = {
    "swap": ("swap",), "disguise": ("truncate",), "random-ranking": ("permute", "truncate"),
    "bid-change": ("shade_mult",), "random:truncate": ("truncate",), "random:swap": ("swap",),
    "random:disguise": ("truncate",), "random:reorder": ("permute", "truncate"),
}


def strategies_of(label: str) -> tuple[str, ...]:
    """Return the registered strategy names behind a deviation ``label`` (() for none: a search, a period type)."""
    from strategies import COALITION_STRATEGIES, STRATEGIES

    if label in FAMILY_STRATEGIES:
        return FAMILY_STRATEGIES[label]
    name = label.partition(":")[0].strip()
    return (name,) if name in STRATEGIES or name in COALITION_STRATEGIES else ()


def strategy_report(spec: str, true_type: AgentType, rng: np.random.Generator | None = None) -> AgentType:
    """Return the report of the registered strategy ``spec`` for ``true_type``.

    The fixed lists use only strategies that read neither the public state nor (without
    ``rng``) the coins: a deviation list is a function of the true types alone, so it is the
    same at every replay. A strategy that does read them fails loudly here.
    """
    return _strategy(spec).report(true_type, None, rng)  # type: ignore[arg-type]


@functools.lru_cache(maxsize=256)
def _strategy(spec: str):
    """Return the registered strategy ``spec`` (parsed once: strategies are immutable after validation)."""
    from strategies import parse_strategy

    return parse_strategy(spec, "audit.deviations")


def _choices(t: AgentType) -> int:
    """Return how many acceptable choices (bundles, or classes above the null option) ``t`` has."""
    from strategies.orders import split

    return len(split(t)[0])


def truncations(true_types: Mapping[int, AgentType], agents: Iterable[int], ks: Sequence[int] = (1, 2)) -> Iterator[Deviation]:
    """Yield, per bundle-ranking agent and k, strategy ``truncate:k=<k>`` (when that changes the report)."""
    for a in agents:
        t = true_types[a]
        if not isinstance(t, BundleRanking):
            continue
        for k in ks:
            if 0 < k < len(t.bundles):
                yield Deviation({a: strategy_report(f"truncate:k={k}", t)}, f"truncate:k={k}")


def adjacent_swaps(true_types: Mapping[int, AgentType], agents: Iterable[int], depth: int = 3) -> Iterator[Deviation]:
    """Yield, per agent, strategy ``swap:rank=<r>`` for each of its top ``depth`` adjacent pairs.

    Bundle rankings swap two bundles, weak orders two indifference classes above the null
    option (the strategy's choices); the label is ``"swap"`` for every rank.
    """
    for a in agents:
        t = true_types[a]
        if not isinstance(t, (BundleRanking, WeakOrder)):
            continue
        for r in range(min(depth, _choices(t) - 1)):
            yield Deviation({a: strategy_report(f"swap:rank={r}", t)}, "swap")


def disguises(true_types: Mapping[int, AgentType], agents: Iterable[int]) -> Iterator[Deviation]:
    """Yield, per agent, its ranking with the least preferred bundle dropped (``truncate:k=<len-1>``).

    Barely a lie (the top of the order is intact) but, for mechanisms that key budgets on the
    reported type (OCAM's f, Section 4.2), a report that the sample never saw: it probes the
    unseen-type budget.
    """
    for a in agents:
        t = true_types[a]
        if isinstance(t, BundleRanking) and len(t.bundles) >= 2:
            yield Deviation({a: strategy_report(f"truncate:k={len(t.bundles) - 1}", t)}, "disguise")


def random_rankings(true_types: Mapping[int, AgentType], agents: Iterable[int], rng: np.random.Generator,
                    per_agent: int = 3) -> Iterator[Deviation]:
    """Yield ``per_agent`` random reorderings/subsets of each agent's acceptable bundles.

    Each is strategy ``permute`` (a uniform order, coins from ``rng``) followed by
    ``truncate:k=<k>`` with k uniform on 1..len: a uniform random ordered subset.
    """
    for a in agents:
        t = true_types[a]
        if not isinstance(t, BundleRanking) or len(t.bundles) < 2:
            continue
        for _ in range(per_agent):
            k = int(rng.integers(1, len(t.bundles) + 1))
            yield Deviation({a: strategy_report(f"truncate:k={k}", strategy_report("permute", t, rng))},
                            "random-ranking")


def same_period_misreports(schedule: Sequence[Sequence[Report]], true_types: Mapping[int, AgentType],
                           limit_per_agent: int | None = None,
                           type_space: Callable[[int], Sequence[AgentType]] | None = None) -> Iterator[Deviation]:
    """Yield SP1's misreports: agent i declares a type j of its own arrival period.

    SEM paper, Definition 6: misrepresentations are the types j in I with t_j = t_i. With
    ``type_space`` (tick -> the period's types, from the market's known type space) every such
    type is tried; without it, only the types other agents of the period reported (which is
    empty with one arrival per period). Types equal to the agent's own are skipped.
    """
    for t, tick in enumerate(schedule):
        ids = [r.agent for r in tick]
        candidates = list(type_space(t)) if type_space is not None else [true_types[j] for j in ids]
        for i in ids:
            seen = set()
            for tj in candidates:
                if tj == true_types[i] or tj in seen:
                    continue
                seen.add(tj)
                yield Deviation({i: tj}, "same-period-misreport")
                if limit_per_agent is not None and len(seen) >= limit_per_agent:
                    break


def bid_changes(true_types: Mapping[int, AgentType], agents: Iterable[int],
                factors: Sequence[float] = (0.0, 0.5, 0.9, 1.1, 1.25, 1.5, 2.0, 4.0),
                max_bid: float | None = None) -> Iterator[Deviation]:
    """Yield, per seller, strategy ``shade_mult:factor=<f>`` for each factor (0 included: the bid 0).

    Bids are capped at ``max_bid`` (the budget B: Section 2 declarations lie in [0, B]); bids
    equal to the true cost or to an earlier bid are skipped.
    """
    cap = float("inf") if max_bid is None else float(max_bid)
    for a in agents:
        t = true_types[a]
        if not isinstance(t, Cost):
            continue
        bids = {min(cap, strategy_report(f"shade_mult:factor={float(f)!r}", t).value) for f in (0.0, *factors)}
        for b in sorted(bids - {t.value}):
            yield Deviation({a: Cost(b)}, "bid-change")


def coalitions_of(deviations_by_agent: Mapping[int, Sequence[AgentType]], size: int,
                  groups: Iterable[Sequence[int]] | None = None, label: str | None = None,
                  limit: int | None = None) -> Iterator[Deviation]:
    """Yield joint deviations of groups of ``size`` agents, each member using one of its options.

    ``deviations_by_agent`` maps an agent to the reports it may switch to; ``groups`` limits the
    groups tried (default: every ``size``-subset of the agents with options).
    """
    agents = sorted(deviations_by_agent)
    count = 0
    for g in (groups if groups is not None else itertools.combinations(agents, size)):
        for choice in itertools.product(*(deviations_by_agent[a] for a in g)):
            yield Deviation(dict(zip(g, choice)), label or f"coalition:{size}")
            count += 1
            if limit is not None and count >= limit:
                return


def from_strategy(strategy, true_types: Mapping[int, AgentType], agents: Iterable[int], info,
                  rng_for) -> Iterator[Deviation]:
    """Yield the deviation of each agent that ``strategy`` (a ``strategies.Strategy``) would report.

    ``info(agent)`` returns the agent's ``PublicInfo`` and ``rng_for(agent)`` its strategy
    stream; reports equal to the true type are skipped.
    """
    for a in agents:
        rep = strategy.report(true_types[a], info(a), rng_for(a))
        if rep != true_types[a]:
            yield Deviation({a: rep}, strategy.spec())


def gain_evaluator(replayer, true_types: Mapping[int, AgentType], aggregate=min, path: str = "auto"):
    """Return ``evaluate(reports) -> float`` for ``strategies.search`` (best-response search).

    Each call replays the run with ``reports`` swapped in (common random numbers, the
    ``replayer``'s seed) and returns ``aggregate`` of the deviators' gains under their true types
    (:func:`abm.audit.gains.compare`): ``min`` looks for deviations that profit every member,
    ``sum`` for the group's total.
    """
    from .gains import compare

    def evaluate(reports: Mapping[int, AgentType]) -> float:
        dev = Deviation(dict(reports), "search")
        rep = replayer.replay(dev, path)
        return float(aggregate([compare(true_types[a], rep.baseline.outcomes[a], rep.outcomes[a]).gain
                                for a in dev.reports]))

    return evaluate


def best_responses(replayer, true_types: Mapping[int, AgentType], agents: Iterable[int], budget: int = 200,
                   rng: np.random.Generator | None = None, **options) -> Iterator[Deviation]:
    """Yield, per agent, the most profitable misreport ``strategies.search.best_response`` finds.

    Agents for which the search finds nothing better than the truth yield nothing; the label is
    ``"search:<method>"``. The search's replays are on top of the ones the audit then spends
    re-checking the yielded deviations.
    """
    from strategies.search import best_response

    evaluate = gain_evaluator(replayer, true_types)
    for a in agents:
        res = best_response(a, true_types[a], evaluate, budget, rng=rng, **options)
        if res.best is not None:
            yield Deviation(res.best, f"search:{res.method}")
