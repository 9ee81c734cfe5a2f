"""Coalitions in a run: which agents collude and which joint strategy they follow.

A coalition (:class:`strategies.coalitions.Coalition`) maps the members' TRUE types and the
public information at a member's arrival to the members' reports, from the stream
``("coalition", smallest member id)``; each member declares its own entry. Scenario syntax::

    [[coalitions]]
    members = [0, 4, 9]           # or: graph = "erdos_renyi:p=0.05", size = 3, count = 2
    strategy = "common_type"
"""
from __future__ import annotations

from mechanisms.errors import ConfigError, require
from mechanisms.rng import Streams
from strategies import coalitions as lib
from strategies.coalitions import Coalition

from .schema import Section


def build_coalitions(sc, pop, streams: Streams) -> list[Coalition]:
    """Return the coalitions of scenario ``sc`` (``[[coalitions]]`` entries), validated.

    An entry gives ``strategy`` (a coalition-strategy spec) and either ``members`` (agent ids)
    or ``graph`` (a coalition-graph spec) with ``size`` and ``count``: coalitions are then drawn
    from the graph over the population (stream ``("coalitions", k)``). Coalitions never overlap.
    Validated before anything runs: the strategy must apply to the market's kind, members are
    distinct integer ids (``true`` is not agent 1), ``size x count`` fits in the free agents.
    """
    entries = sc.raw.get("coalitions", [])
    if not entries:
        return []

    n = len(pop.types)
    kind = pop.market.kind
    out: list[Coalition] = []
    used: set[int] = set()
    for k, entry in enumerate(entries):
        e = Section(entry, f"coalitions[{k}]")
        try:
            strat = lib.parse_coalition_strategy(e.get("strategy", (str, dict)), e.field("strategy"))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(e.field("strategy"), e.data.get("strategy"), f"a valid coalition strategy ({exc})") from None
        require(kind in strat.kinds, e.field("strategy"), e.data.get("strategy"),
                f"a coalition strategy for {kind} markets (this one applies to {list(strat.kinds)})")
        if e.has("members"):
            members = e.get("members", list)
            for i in members:
                require(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n, e.field("members"), i,
                        f"agent ids (integers) in [0, {n})")
            require(len(set(members)) == len(members), e.field("members"), members, "each agent listed once")
            require(len(members) >= 2, e.field("members"), members, "at least two agents (a coalition)")
            groups = [members]
        else:
            graph_spec = e.get("graph", (str, dict))
            free = n - len(used)
            size = e.get("size", int, check=lambda v: 2 <= v <= free,
                         expected=f"an integer in [2, {free}] (the agents not yet in a coalition)")
            count = e.get("count", int, 1, check=lambda v: 1 <= v <= free // size,
                          expected=f"an integer in [1, {free // size}] (count x size agents must be free)")
            graph = lib.make_graph(graph_spec, n, streams.get("coalitions", k, "graph"), field=e.field("graph"))
            groups = lib.draw_coalitions(graph, size, count, streams.get("coalitions", k, "draw"), exclude=used)
        e.finish()
        for g in groups:
            for i in g:
                require(isinstance(i, int) and 0 <= i < n, e.field("members"), i, f"agent ids in [0, {n})")
                require(i not in used, e.field("members"), i, "agents in at most one coalition")
            used.update(g)
            members = tuple(int(i) for i in g)
            out.append(Coalition({i: pop.types[i] for i in members}, strat))
    return out
