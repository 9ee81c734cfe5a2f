"""Representative small markets per market kind, built by the existing builders (never copied).

Each :class:`MarketCase` is a market, its agents' true types, the truthful schedule, a seed, the
parameters a mechanism needs to be exercised there, and a few deviations to replay. They come
from the mutant zoo's markets (:mod:`abm.audit.zoo`: its ``FAMILIES``, :func:`~abm.audit.zoo.ocam_market`
and the scenario files it names) and the deviation lists of :mod:`abm.audit.deviations`:

- ``bundles``: 12 agents in batches of 3 over 4 unit-capacity goods (the zoo's serial-dictatorship market);
- ``ocam`` (on request only: ``markets=["ocam"]``; a naive ACEEI solve on it takes minutes):
  :func:`~abm.audit.zoo.ocam_market` with 60 agents (8 goods) and eps_n = eps_f = 0.5, so the
  sample closes early and many agents meet posted prices;
- ``objects``: the SEM three-object market (T = 4, 2 arrivals per period);
- ``sem_online``: ``examples/sem_online_host_homes.toml`` (supply arriving over time);
- ``procurement``: 40 sellers, additive values, B = 1;
- ``fair_division`` and ``fair_division_two``: ``examples/fair_division_dp.toml`` (4 agents) and
  ``examples/fair_division_naive.toml`` (2 agents, for Algorithm 2).

A case's schedule is stored as tuples; :meth:`MarketCase.fresh_schedule` hands every run its own
lists, so a mechanism that mutates the reports it is given cannot corrupt later checks.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mechanisms.errors import require
from mechanisms.market import Market
from mechanisms.preferences import AgentType
from mechanisms.reports import Report

from ..audit.replay import Deviation


@dataclass(frozen=True)
class MarketCase:
    """One representative market: what a mechanism is run on by the conformance checks.

    Attributes
    ----------
    label : str
        A short name (``"bundles"``, ``"ocam"``, ...), shown in the report's ``where`` column.
    market : Market
        The public market.
    true_types : Mapping[int, AgentType]
        Agent id -> true type.
    schedule : tuple of tuple of Report
        The truthful reports, tick by tick.
    seed : int
        The seed the checks start from.
    params : Mapping
        Mechanism parameters that make the market exercise the mechanism (OCAM's eps_n, eps_f);
        only those a mechanism declares are passed to it.
    deviations : tuple of Deviation
        Misreports to replay (shortcut and checkpoint checks).
    """

    label: str
    market: Market
    true_types: Mapping[int, AgentType]
    schedule: tuple[tuple[Report, ...], ...]
    seed: int
    params: Mapping[str, Any] = field(default_factory=dict)
    deviations: tuple[Deviation, ...] = ()

    @property
    def kind(self) -> str:
        """The market kind."""
        return self.market.kind

    def fresh_schedule(self) -> list[list[Report]]:
        """Return the truthful schedule as new lists (reports are immutable and shared)."""
        return [list(t) for t in self.schedule]

    def params_for(self, spec_params: Sequence[Any]) -> dict[str, Any]:
        """Return the case's parameters that a mechanism with parameter specs ``spec_params`` declares."""
        known = {p.name for p in spec_params}
        return {k: v for k, v in self.params.items() if k in known}


def _case(label: str, market: Market, types: Mapping[int, AgentType], schedule: Sequence[Sequence[Report]],
          seed: int, params: Mapping[str, Any], devs: Sequence[Deviation]) -> MarketCase:
    return MarketCase(label, market, dict(types), tuple(tuple(t) for t in schedule), int(seed), dict(params),
                      tuple(d for d in devs if all(a in types for a in d.reports)))


def _zoo_family(name: str) -> MarketCase:
    from ..audit import zoo

    fam = zoo.FAMILIES[name]
    market, types, sched, seed, devs = fam.build()
    return _case(name, market, types, sched, seed, fam.params, devs)


def _ocam() -> MarketCase:
    from ..audit import zoo
    from ..audit.deviations import adjacent_swaps, disguises, truncations

    n = 60
    market, types, sched, params = zoo.ocam_market(n=n, seed=1)
    devs = list(truncations(types, range(n), ks=(1,))) + list(adjacent_swaps(types, range(n), depth=1)) \
        + list(disguises(types, range(0, n, 3)))
    return _case("ocam", market, types, sched, 3, params, devs)


def _scenario(label: str, file: str) -> MarketCase:
    from ..audit import zoo
    from ..audit.sources import ScenarioRun
    from ..scenario import load_scenario

    sc = load_scenario(zoo.EXAMPLES / file)
    run = ScenarioRun(sc, sc.seed)
    devs = run.deviations(dict(sc.audit) or {"deviations": ["strategies"]})
    return _case(label, run.model.market, run.true_types, run.truthful, sc.seed, dict(sc.mechanism_params), devs)


#: Case label -> builder, by market kind (the order in which a mechanism meets them): the defaults.
BUILDERS: dict[str, dict[str, Callable[[], MarketCase]]] = {
    "bundles": {"bundles": lambda: _zoo_family("bundles")},
    "objects": {"objects": lambda: _zoo_family("objects"),
                "sem_online": lambda: _scenario("sem_online", "sem_online_host_homes.toml")},
    "procurement": {"procurement": lambda: _zoo_family("procurement")},
    "fair_division": {"fair_division": lambda: _scenario("fair_division", "fair_division_dp.toml"),
                      "fair_division_two": lambda: _scenario("fair_division_two", "fair_division_naive.toml")},
}


#: Cases built only when named (too slow for some mechanisms to be a default).
EXTRA_BUILDERS: dict[str, Callable[[], MarketCase]] = {"ocam": _ocam}


@functools.cache
def market_case(label: str) -> MarketCase:
    """Return the case ``label`` (built once per process: every builder is seeded).

    Raises :class:`ConfigError` naming ``markets`` for an unknown label.
    """
    for cases in (*BUILDERS.values(), EXTRA_BUILDERS):
        if label in cases:
            return cases[label]()
    require(False, "markets", label, f"one of the market cases {case_labels() + list(EXTRA_BUILDERS)}")
    raise AssertionError  # unreachable: require raised


def case_labels(kind: str | None = None) -> list[str]:
    """Return the labels of the representative cases (of market ``kind``; all when None)."""
    if kind is not None:
        require(kind in BUILDERS, "market.kind", kind, f"one of {sorted(BUILDERS)}")
        return list(BUILDERS[kind])
    return [label for cases in BUILDERS.values() for label in cases]


def representative_markets(kind: str) -> list[MarketCase]:
    """Return the representative cases of market ``kind`` (ConfigError naming ``market.kind`` otherwise)."""
    return [market_case(label) for label in case_labels(kind)]
