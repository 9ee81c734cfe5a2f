"""The registry of population sources and what a source returns.

A population source reads the ``[market]`` and ``[population]`` tables of a scenario and returns
the market and the agents' true types (:class:`Population`). Every source is registered ONCE,
with ``@SOURCES.register("<market kind>.<source name>")`` in the module of its market family
(:mod:`abm.populations.bundles`, ``.objects``, ``.procurement``, ``.real_data``,
``.fair_division``, ``.sem_online``); :func:`abm.scenario.build_population` looks the scenario's
``market.kind`` and ``population.source`` up here.
"""
from __future__ import annotations

import pathlib
from collections.abc import Callable
from dataclasses import dataclass, field

from mechanisms.market import Market
from mechanisms.preferences import AgentType
from mechanisms.registry import Registry
from mechanisms.rng import Streams

from ..schema import Section

#: Where ``preflib:NAME`` paths point: the shared data folder beside the repository.
SHARED_DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "preflib"


@dataclass
class Population:
    """The market and the true types a population source produced.

    ``periods`` (agent ids by period) is set by sources whose agents arrive in periods
    (i.i.d. draws per period); ``notes`` lists what the source did that a user should know
    (e.g. resampling real data with replacement).
    """

    market: Market
    types: list[AgentType]
    periods: list[list[int]] | None = None
    notes: list[str] = field(default_factory=list)


#: Population sources, keyed "kind.source" (e.g. "bundles.preflib").
SOURCES: Registry[Callable[[Section, Section, Streams, pathlib.Path], Population]] = Registry("population source")


def source_names(kind: str) -> list[str]:
    """Return the short names of the sources registered for markets of ``kind`` (e.g. ``["explicit", ...]``)."""
    return [k.split(".", 1)[1] for k in SOURCES.names() if k.startswith(kind + ".")]
