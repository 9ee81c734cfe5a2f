"""Social graphs over agents and the coalitions drawn from them (issue 6, item 3).

A graph builder maps the agent ids, a random generator and its parameters to a networkx graph
whose nodes are exactly those ids; :data:`COALITION_GRAPHS` registers them under the names
scenario files use (``erdos_renyi``, ``small_world``, ``sbm``, ``cliques``, ``graph_file``).
:func:`draw_coalitions` turns a graph into disjoint coalitions: connected components,
communities (the blocks of an SBM, else greedy modularity communities), or cliques of a
given size. Every random choice comes from the generator passed in (a purpose-keyed stream,
DESIGN.md "Randomness"), so the same seed draws the same coalitions.
"""
from __future__ import annotations

import pathlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.registry import Registry

from .base import split_spec

GraphBuilder = Callable[..., nx.Graph]

#: Registry of social-graph builders: ``builder(agents, rng, **params) -> nx.Graph``.
COALITION_GRAPHS: Registry[GraphBuilder] = Registry("coalition graph")


def _seed(rng: np.random.Generator) -> int:
    # networkx generators take an integer seed; drawing it from the purpose-keyed generator
    # keeps the graph a deterministic function of the run's seed.
    return int(rng.integers(0, 2**31 - 1))


def _relabel(g: nx.Graph, agents: Sequence[int]) -> nx.Graph:
    return nx.relabel_nodes(g, {k: int(a) for k, a in enumerate(agents)}, copy=True)


def _prob(name: str, v: Any) -> float:
    require(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and 0 <= v <= 1,
            f"coalition_graph.{name}", v, "a probability in [0, 1]")
    return float(v)


def _count(name: str, v: Any, lo: int = 1) -> int:
    require(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= lo,
            f"coalition_graph.{name}", v, f"an integer >= {lo}")
    return int(v)


@COALITION_GRAPHS.register("erdos_renyi")
def erdos_renyi(agents: Sequence[int], rng: np.random.Generator, p: float = 0.1) -> nx.Graph:
    """Return a G(n, p) Erdos-Renyi graph over ``agents`` (each edge independently with prob. p)."""
    p = _prob("p", p)
    return _relabel(nx.gnp_random_graph(len(agents), p, seed=_seed(rng)), agents)


@COALITION_GRAPHS.register("small_world")
def small_world(agents: Sequence[int], rng: np.random.Generator, k: int = 4, p: float = 0.1) -> nx.Graph:
    """Return a Watts-Strogatz small-world graph: ring of ``k`` nearest neighbours, rewired with prob. p."""
    k = _count("k", k, 0)
    p = _prob("p", p)
    n = len(agents)
    require(k < max(n, 1) or n == 0, "coalition_graph.k", k, f"fewer neighbours than agents ({n})")
    return _relabel(nx.watts_strogatz_graph(n, k, p, seed=_seed(rng)), agents)


@COALITION_GRAPHS.register("sbm")
def stochastic_block_model(agents: Sequence[int], rng: np.random.Generator, blocks: int = 4,
                           p_in: float = 0.5, p_out: float = 0.01,
                           sizes: Sequence[int] | None = None) -> nx.Graph:
    """Return a stochastic block model: ``blocks`` near-equal communities (or ``sizes``).

    Agents are assigned to blocks in the order given. Each node carries its community in the
    node attribute ``"block"`` (read by :func:`draw_coalitions` with ``method="communities"``).
    """
    n = len(agents)
    if sizes is None:
        blocks = _count("blocks", blocks)
        sizes = [n // blocks + (1 if b < n % blocks else 0) for b in range(blocks)]
    sizes = [_count("sizes", s, 0) for s in sizes]
    require(sum(sizes) == n, "coalition_graph.sizes", list(sizes), f"block sizes summing to the {n} agents")
    p_in, p_out = _prob("p_in", p_in), _prob("p_out", p_out)
    probs = [[p_in if a == b else p_out for b in range(len(sizes))] for a in range(len(sizes))]
    g = nx.stochastic_block_model(sizes, probs, seed=_seed(rng))
    g.graph.pop("partition", None)
    return _relabel(g, agents)


@COALITION_GRAPHS.register("cliques")
def cliques(agents: Sequence[int], rng: np.random.Generator, size: int = 3, shuffle: bool = True) -> nx.Graph:
    """Return disjoint cliques of ``size`` agents (the last one smaller if ``size`` does not divide n).

    ``shuffle=True`` assigns agents to cliques in a random order, else in the order given.
    """
    size = _count("size", size)
    order = list(agents)
    if shuffle:
        order = [order[i] for i in rng.permutation(len(order))]
    g = nx.Graph()
    g.add_nodes_from(int(a) for a in agents)
    for s in range(0, len(order), size):
        block = order[s:s + size]
        g.add_edges_from((int(a), int(b)) for i, a in enumerate(block) for b in block[i + 1:])
    return g


@COALITION_GRAPHS.register("graph_file")
def graph_file(agents: Sequence[int], rng: np.random.Generator, path: str = "", format: str = "edgelist") -> nx.Graph:
    """Return the graph read from ``path`` (``format`` edgelist, adjlist, graphml or gml).

    Node labels must be agent ids (integers); agents absent from the file become isolated nodes
    and nodes that are not agents are dropped.
    """
    p = pathlib.Path(str(path))
    require(p.is_file(), "coalition_graph.path", str(path), "an existing graph file")
    readers = {"edgelist": lambda f: nx.read_edgelist(f, nodetype=int),
               "adjlist": lambda f: nx.read_adjlist(f, nodetype=int),
               "graphml": lambda f: nx.read_graphml(f, node_type=int),
               "gml": lambda f: nx.read_gml(f, label="id")}
    require(format in readers, "coalition_graph.format", format, f"one of {sorted(readers)}")
    try:
        g = readers[format](p)
    except (ValueError, TypeError, nx.NetworkXError) as e:
        raise ConfigError("coalition_graph.path", str(path), f"a readable {format} file of integer agent ids ({e})") from None
    ids = {int(a) for a in agents}
    out = nx.Graph()
    out.add_nodes_from(sorted(ids))
    out.add_edges_from((int(u), int(v)) for u, v in g.edges() if int(u) in ids and int(v) in ids and u != v)
    return out


def build_graph(name: str, agents: Sequence[int], rng: np.random.Generator, **params: Any) -> nx.Graph:
    """Return the registered graph ``name`` over ``agents`` (unknown names/params raise ConfigError)."""
    builder = COALITION_GRAPHS.get(name, "coalition_graph.name")
    try:
        return builder(list(agents), rng, **params)
    except TypeError as e:
        raise ConfigError("coalition_graph.params", params, f"parameters of {name!r} ({e})") from None


def make_graph(spec: str | Mapping[str, Any], agents: int | Sequence[int], rng: np.random.Generator,
               field: str = "coalition.graph") -> nx.Graph:
    """Return the graph of a spec such as ``"erdos_renyi:p=0.05"`` (or ``{"name": ..., **params}``).

    ``agents`` is the list of agent ids, or n for the ids ``0..n-1``. Errors name ``field``.
    """
    name, params = split_spec(spec, field, 'a graph spec such as "erdos_renyi:p=0.05"')
    ids = list(range(agents)) if isinstance(agents, (int, np.integer)) else list(agents)
    try:
        return build_graph(name, ids, rng, **params)
    except ConfigError as e:
        raise ConfigError(f"{field}.{e.field.split('.')[-1]}", e.value, e.expected) from None


METHODS = ("auto", "connected", "components", "communities", "cliques")


def _connected_groups(graph: nx.Graph, size: int, free: set[int], rng: np.random.Generator) -> list[list[int]]:
    """Return disjoint connected groups of exactly ``size`` free nodes, grown from random seeds.

    Each seed (free nodes in a random order) grows by adding a uniformly random free neighbour
    of the group until it has ``size`` members; a seed that cannot reach ``size`` is dropped.
    """
    groups = []
    nodes = sorted(free)
    for i in rng.permutation(len(nodes)):
        seed = nodes[i]
        if seed not in free:
            continue
        group = [seed]
        while len(group) < size:
            frontier = sorted({v for u in group for v in graph.neighbors(u) if v in free and v not in group})
            if not frontier:
                break
            group.append(frontier[int(rng.integers(len(frontier)))])
        if len(group) == size:
            groups.append(sorted(group))
            free.difference_update(group)
    return groups


def draw_coalitions(graph: nx.Graph, size: int | None = None, count: int | None = None,
                    rng: np.random.Generator | None = None, method: str = "auto", min_size: int = 2,
                    exclude: Iterable[int] = ()) -> list[tuple[int, ...]]:
    """Return disjoint coalitions (sorted tuples of agent ids) drawn from ``graph`` with ``rng``.

    Methods:

    - ``"connected"``: groups of exactly ``size`` agents, each connected in the graph (grown from
      random seeds through random neighbours: friends of friends);
    - ``"components"``: the connected components;
    - ``"communities"``: the ``"block"`` node attribute when present (an SBM), else greedy
      modularity communities (deterministic);
    - ``"cliques"``: cliques of exactly ``size`` members, picked from the maximal cliques in a
      random order (a larger maximal clique gives a random ``size``-subset);
    - ``"auto"`` (default): ``communities`` on an SBM, else ``connected`` when ``size`` is given,
      else ``components``.

    Agents in ``exclude`` (e.g. members of earlier coalitions) are left out. With ``size`` given,
    larger components/communities are cut into random groups of ``size`` (the remainder kept if
    it has at least ``min_size`` members); smaller groups than ``min_size`` are discarded.
    ``count`` keeps that many, chosen uniformly at random. The result is sorted by smallest member.
    """
    require(method in METHODS, "coalitions.method", method, f"one of {list(METHODS)}")
    require(size is None or (isinstance(size, (int, np.integer)) and size >= 1), "coalitions.size", size,
            "a positive integer or None")
    require(count is None or (isinstance(count, (int, np.integer)) and count >= 0), "coalitions.count", count,
            "a non-negative integer or None")
    require(isinstance(min_size, (int, np.integer)) and min_size >= 1, "coalitions.min_size", min_size,
            "a positive integer")
    rng = rng if rng is not None else np.random.default_rng(0)
    excluded = {int(v) for v in exclude}
    g = graph.subgraph([v for v in graph.nodes if int(v) not in excluded])
    blocks = nx.get_node_attributes(g, "block")
    if method == "auto":
        method = ("communities" if blocks and len(blocks) == g.number_of_nodes() and g.number_of_nodes()
                  else "connected" if size is not None else "components")
    require(method not in ("cliques", "connected") or size is not None, "coalitions.size", size,
            f"a coalition size for method {method!r}")
    groups: list[list[int]]
    if method == "connected":
        groups = _connected_groups(g, int(size), {int(v) for v in g.nodes}, rng)
    elif method == "components":
        groups = [sorted(int(v) for v in c) for c in nx.connected_components(g)]
    elif method == "communities":
        if blocks and len(blocks) == g.number_of_nodes():
            by: dict[Any, list[int]] = {}
            for v, b in blocks.items():
                by.setdefault(b, []).append(int(v))
            groups = [sorted(x) for _, x in sorted(by.items(), key=lambda kv: str(kv[0]))]
        elif g.number_of_edges() == 0:
            groups = [[int(v)] for v in g.nodes]
        else:
            groups = [sorted(int(v) for v in c) for c in nx.community.greedy_modularity_communities(g)]
    else:
        groups = []
        taken: set[int] = set()
        maximal = sorted((sorted(int(v) for v in c) for c in nx.find_cliques(g) if len(c) >= size),
                         key=lambda c: (len(c), c))
        for i in rng.permutation(len(maximal)):
            free = [v for v in maximal[i] if v not in taken]
            if len(free) >= size:
                pick = sorted(free[j] for j in rng.choice(len(free), size=size, replace=False))
                groups.append(pick)
                taken.update(pick)
    if size is not None and method in ("components", "communities"):
        cut = []
        for grp in groups:
            order = [grp[i] for i in rng.permutation(len(grp))]
            cut.extend(sorted(order[s:s + size]) for s in range(0, len(order), size))
        groups = cut
    groups = [grp for grp in groups if len(grp) >= min_size]
    if count is not None and len(groups) > count:
        keep = sorted(rng.choice(len(groups), size=count, replace=False))
        groups = [groups[i] for i in keep]
    return sorted((tuple(grp) for grp in groups), key=lambda grp: grp[0])
