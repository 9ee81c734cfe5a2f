"""Coalitions in a run: which agents collude and which joint strategy they follow.

A coalition's joint strategy (``strategies`` package, coalition registry) maps the members'
TRUE types and the public information at a member's arrival to the members' reports; each
member declares its own entry. Scenario syntax::

    [[coalitions]]
    members = [0, 4, 9]           # or: graph = "erdos_renyi:p=0.05", size = 3, count = 2
    strategy = "common_type"
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mechanisms.errors import require
from mechanisms.preferences import AgentType
from mechanisms.rng import Streams
from strategies.base import PublicInfo

from .schema import Section


@dataclass
class Coalition:
    """A group of agents following one joint strategy.

    ``report_for`` asks the joint strategy for the group's reports given the public information
    at the calling member's arrival (stream ``("coalition", cid, tick)``, so members arriving in
    one tick see one decision) and returns the calling member's entry.
    """

    cid: int
    members: tuple[int, ...]
    strategy: Any
    true_types: Mapping[int, AgentType]

    @property
    def label(self) -> str:
        """Return the label used in tables, e.g. ``"coalition 0: common_type"``."""
        spec = self.strategy.spec() if hasattr(self.strategy, "spec") else type(self.strategy).__name__
        return f"coalition {self.cid}: {spec}"

    def report_for(self, agent: int, info: PublicInfo, streams: Streams) -> AgentType:
        """Return the report the joint strategy assigns to member ``agent``."""
        reports = self.strategy.reports(dict(self.true_types), info, streams.get("coalition", self.cid, info.tick))
        return reports.get(agent, self.true_types[agent])


def build_coalitions(sc, pop, streams: Streams) -> list[Coalition]:
    """Return the coalitions of scenario ``sc`` (``[[coalitions]]`` entries), validated.

    An entry gives ``strategy`` (a coalition-strategy spec) and either ``members`` (agent ids)
    or ``graph`` (a coalition-graph spec) with ``size`` and ``count``: coalitions are then drawn
    from the graph over the population (stream ``("coalitions", k)``). Coalitions never overlap.
    """
    entries = sc.raw.get("coalitions", [])
    if not entries:
        return []
    from strategies import coalitions as lib  # the coalition library (strategies package)

    n = len(pop.types)
    out: list[Coalition] = []
    used: set[int] = set()
    for k, entry in enumerate(entries):
        e = Section(entry, f"coalitions[{k}]")
        strat = lib.parse_coalition_strategy(e.get("strategy", (str, dict)), e.field("strategy"))
        if e.has("members"):
            groups = [e.get("members", list)]
        else:
            graph_spec = e.get("graph", (str, dict))
            size = e.get("size", int, check=lambda v: v >= 2, expected="an integer >= 2")
            count = e.get("count", int, 1, check=lambda v: v >= 1, expected="a positive integer")
            graph = lib.make_graph(graph_spec, n, streams.get("coalitions", k, "graph"), field=e.field("graph"))
            groups = lib.draw_coalitions(graph, size, count, streams.get("coalitions", k, "draw"), exclude=used)
        e.finish()
        for g in groups:
            for i in g:
                require(isinstance(i, int) and 0 <= i < n, e.field("members"), i, f"agent ids in [0, {n})")
                require(i not in used, e.field("members"), i, "agents in at most one coalition")
            used.update(g)
            members = tuple(int(i) for i in g)
            out.append(Coalition(len(out), members, strat, {i: pop.types[i] for i in members}))
    return out
