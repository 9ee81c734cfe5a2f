"""A small bipartite max-flow for splitting demand over indifferent objects.

Groups of agents (demand d_g, acceptable set T_g) send flow to objects (capacity s_x): the
network source -> group (d_g) -> object in T_g (unbounded) -> sink (s_x). It answers the two
questions the equilibrium solver asks: can every group's demand be routed within supply
(Hall's condition, the feasibility of a selection from the demand correspondence), and if not,
which set of objects B is over-demanded (the objects on the source side of a minimum cut:
the groups whose sets lie inside B demand more than s(B)). Float capacities, augmenting
paths after a greedy start: the graphs are small (tens of objects, hundreds of groups).
"""
from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import numpy as np

#: Residual capacities below this are treated as zero.
FLOW_EPS = 1e-12


def bipartite_max_flow(demand: np.ndarray, targets: Sequence[Sequence[int]], capacity: np.ndarray,
                       eps: float = FLOW_EPS) -> tuple[np.ndarray, float, np.ndarray]:
    """Return (flow, value, source_side) of a maximum flow.

    ``flow[g, x]`` is the amount group g sends to object x; ``value`` the total; and
    ``source_side`` a boolean mask of the objects reachable from the source in the final
    residual graph (a violated Hall set when ``value`` < sum of demands).
    """
    d = np.asarray(demand, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    G, m = d.size, cap.size
    flow = np.zeros((G, m))
    out = np.zeros(G)
    inn = np.zeros(m)
    tl = [list(t) for t in targets]
    # greedy start: most groups are routed without augmenting paths
    for g in range(G):
        for x in tl[g]:
            room = min(d[g] - out[g], cap[x] - inn[x])
            if room > eps:
                flow[g, x] += room
                out[g] += room
                inn[x] += room
            if d[g] - out[g] <= eps:
                break
    while True:
        # BFS over groups (from the source) and objects
        prev_g = np.full(G, -2)          # -1: reached from source
        prev_x = np.full(m, -1)          # group that reached object x
        q: deque[tuple[str, int]] = deque()
        for g in range(G):
            if d[g] - out[g] > eps:
                prev_g[g] = -1
                q.append(("g", g))
        sink_x = -1
        while q and sink_x < 0:
            kind, v = q.popleft()
            if kind == "g":
                for x in tl[v]:
                    if prev_x[x] < 0:
                        prev_x[x] = v
                        if cap[x] - inn[x] > eps:
                            sink_x = x
                            break
                        q.append(("x", x))
            else:
                for g in np.flatnonzero(flow[:, v] > eps):
                    if prev_g[g] == -2:
                        prev_g[g] = v
                        q.append(("g", int(g)))
        if sink_x < 0:
            reached = prev_x >= 0
            return flow, float(out.sum()), reached
        # trace the path back: path[k] = (g_k, x_{k-1}) with forward edge g_k -> x_{k-1};
        # g_k was reached through the reverse of its edge to x_k = prev_g[g_k]
        path = []
        x = sink_x
        while True:
            g = int(prev_x[x])
            path.append((g, x))
            if prev_g[g] == -1:
                break
            x = int(prev_g[g])
        delta = cap[sink_x] - inn[sink_x]
        g0 = path[-1][0]
        delta = min(delta, d[g0] - out[g0])
        for k in range(len(path)):
            g, x = path[k]
            if k + 1 < len(path):
                # group g was reached from object prev_g[g] via the reverse of edge (g, prev_g[g])
                delta = min(delta, flow[g, int(prev_g[g])])
        for k in range(len(path)):
            g, x = path[k]
            flow[g, x] += delta
            if k + 1 < len(path):
                flow[g, int(prev_g[g])] -= delta
            else:
                out[g] += delta
        inn[sink_x] += delta
