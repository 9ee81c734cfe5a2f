"""The auctioneer's valuation v : 2^N -> R over sets of sellers (budget-feasible paper, Section 2).

One small interface for every family: the value of a set, the marginal value
v(i|S) := v(S u {i}) - v(S) (Section 2), the singleton values v(i), and an incremental
:class:`ValState` (the current set S of a posted-price loop or a greedy) whose marginals are
vectorised over candidate sellers. The families, registered in :data:`VALUATIONS`:

============================  ===========================================  =========
name                          v(S)                                         monotone
============================  ===========================================  =========
``additive``                  sum_{i in S} a_i                             yes
``coverage``                  sum of weights w_e of elements covered by S  yes
``budget_additive``           min(cap, sum_{i in S} a_i)                   yes
``facility_location``         sum_clients max_{i in S} u_{c,i}             yes
``cut``                       weight of edges with one end in S            no
``coverage_minus_cost``       coverage(S) - sum_{i in S} kappa_i           no
============================  ===========================================  =========

All are normalised (v(empty) = 0) and submodular (Definition 1); the last two are the
non-monotone objectives of Section 5. Seller ids are 0..n-1.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from ..errors import require
from ..registry import Registry


def _ids(S: Iterable[int], n: int, field: str = "S") -> np.ndarray:
    a = np.unique(np.asarray(list(S) if not isinstance(S, np.ndarray) else S, dtype=np.int64))
    require(a.size == 0 or (a[0] >= 0 and a[-1] < n), field, a.tolist(), f"seller ids in [0, {n})")
    return a


def _nonneg_vector(x: Any, field: str, n: int | None = None) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64).ravel()
    require(a.size > 0 and bool(np.all(np.isfinite(a))) and bool(np.all(a >= 0)), field,
            a.tolist()[:10], "a non-empty vector of finite non-negative numbers")
    if n is not None:
        require(a.size == n, field, a.size, f"length {n}")
    return a


class ValState:
    """The current set S of an incremental computation, with v(S) and vectorised marginals.

    Created by :meth:`Valuation.state` (empty set). ``add(i)`` adds seller i; ``marginal(i)``
    returns v(i|S); ``marginals(idx)`` returns v(i|S) for every i of the index array.
    """

    value: float

    def marginal(self, i: int) -> float:  # pragma: no cover - overridden
        raise NotImplementedError

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        return np.array([self.marginal(int(i)) for i in idx], dtype=np.float64)

    def add(self, i: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def copy(self) -> "ValState":  # pragma: no cover - overridden
        raise NotImplementedError


class Valuation(ABC):
    """A normalised set function over sellers 0..n-1 (Section 2).

    Attributes
    ----------
    n : int
        Number of sellers.
    monotone : bool
        Whether the family is monotone (non-decreasing); the non-monotone families are the
        objectives of Section 5.
    """

    n: int
    monotone: bool = True
    name: str = ""

    @abstractmethod
    def value(self, S: Iterable[int]) -> float:
        """Return v(S) for a collection of seller ids."""

    def marginal(self, i: int, S: Iterable[int]) -> float:
        """Return v(i|S) = v(S u {i}) - v(S) (Section 2)."""
        S = set(int(x) for x in S)
        if int(i) in S:
            return 0.0
        return self.value(S | {int(i)}) - self.value(S)

    def singletons(self) -> np.ndarray:
        """Return the vector of singleton values v(i), i = 0..n-1."""
        return self.state().marginals(np.arange(self.n))

    def state(self) -> ValState:
        """Return an incremental state for the empty set (generic, via :meth:`value`)."""
        return _GenericState(self)


class _GenericState(ValState):
    def __init__(self, v: Valuation, S: list[int] | None = None):
        self.v, self.S = v, list(S or [])
        self.value = v.value(self.S) if self.S else 0.0

    def marginal(self, i: int) -> float:
        if i in self.S:
            return 0.0
        return self.v.value(self.S + [int(i)]) - self.value

    def add(self, i: int) -> None:
        if i not in self.S:
            self.S.append(int(i))
            self.value = self.v.value(self.S)

    def copy(self) -> ValState:
        return _GenericState(self.v, self.S)


class SetFunction(Valuation):
    """A valuation given by an arbitrary Python function ``f(frozenset) -> float``.

    For tests and user-defined objectives; ``monotone`` is what the user declares (the
    checkers in :mod:`mechanisms.checks.budget` test it).
    """

    def __init__(self, n: int, f, monotone: bool = True, name: str = "set_function"):
        require(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "a positive integer")
        self.n, self.f, self.monotone, self.name = int(n), f, bool(monotone), name

    def value(self, S: Iterable[int]) -> float:
        return float(self.f(frozenset(int(x) for x in _ids(S, self.n))))


VALUATIONS: Registry[type[Valuation]] = Registry("valuation")


# ---------------------------------------------------------------------------------------------
@VALUATIONS.register("additive")
class Additive(Valuation):
    """v(S) = sum_{i in S} a_i: the additive case of Section 2 (v(i|S) = v(i|empty))."""

    monotone = True
    name = "additive"

    def __init__(self, weights: Sequence[float]):
        self.a = _nonneg_vector(weights, "valuation.weights")
        self.n = self.a.size

    @classmethod
    def random(cls, n: int, rng: np.random.Generator) -> "Additive":
        """Return weights drawn U[0, 1)."""
        return cls(rng.random(n))

    def value(self, S: Iterable[int]) -> float:
        return float(self.a[_ids(S, self.n)].sum())

    def state(self) -> ValState:
        return _AdditiveState(self)


class _AdditiveState(ValState):
    def __init__(self, v: Additive, inside: np.ndarray | None = None, value: float = 0.0):
        self.v = v
        self.inside = np.zeros(v.n, dtype=bool) if inside is None else inside.copy()
        self.value = value

    def marginal(self, i: int) -> float:
        return 0.0 if self.inside[i] else float(self.v.a[i])

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        return np.where(self.inside[idx], 0.0, self.v.a[idx])

    def add(self, i: int) -> None:
        if not self.inside[i]:
            self.inside[i] = True
            self.value += float(self.v.a[i])

    def copy(self) -> ValState:
        return _AdditiveState(self.v, self.inside, self.value)


# ---------------------------------------------------------------------------------------------
@VALUATIONS.register("coverage")
class WeightedCoverage(Valuation):
    """Weighted coverage: seller i covers the elements E_i; v(S) = w(union_{i in S} E_i).

    Parameters
    ----------
    sets : sequence of sequences of int
        ``sets[i]`` lists the elements (0..m-1) seller i covers.
    weights : sequence of float
        Non-negative weight w_e of each element; its length is m.
    """

    monotone = True
    name = "coverage"

    def __init__(self, sets: Sequence[Sequence[int]], weights: Sequence[float]):
        self.w = _nonneg_vector(weights, "valuation.weights")
        m = self.w.size
        require(len(sets) > 0, "valuation.sets", len(sets), "at least one seller")
        rows, cols = [], []
        for i, E in enumerate(sets):
            E = np.unique(np.asarray(E, dtype=np.int64))
            require(E.size == 0 or (E[0] >= 0 and E[-1] < m), f"valuation.sets[{i}]", E.tolist(),
                    f"element ids in [0, {m})")
            rows.append(np.full(E.size, i, dtype=np.int64))
            cols.append(E)
        self.n, self.m = len(sets), m
        r, c = np.concatenate(rows), np.concatenate(cols)
        self.A = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(self.n, m))
        self.A.sort_indices()
        # per-seller element arrays (views of A.indices), for the one-seller marginal hot path
        self._elems = np.split(self.A.indices, self.A.indptr[1:-1])

    @classmethod
    def random(cls, n: int, rng: np.random.Generator, m: int | None = None, mean_size: float = 5.0) -> "WeightedCoverage":
        """Return n sellers over m elements (default 2n): each covers 1 + Poisson(mean_size - 1)
        uniformly drawn elements; weights U[0, 1)."""
        m = int(m or 2 * n)
        sizes = np.minimum(1 + rng.poisson(max(mean_size - 1.0, 0.0), size=n), m)
        sets = [rng.choice(m, size=int(k), replace=False) for k in sizes]
        return cls(sets, rng.random(m))

    def elements(self, i: int) -> np.ndarray:
        """Return the elements seller i covers."""
        return self._elems[i]

    def covered(self, S: Iterable[int]) -> np.ndarray:
        """Return the boolean vector of elements covered by S."""
        S = _ids(S, self.n)
        cov = np.zeros(self.m, dtype=bool)
        if S.size:
            cov[np.asarray(self.A[S].sum(axis=0)).ravel() > 0] = True
        return cov

    def value(self, S: Iterable[int]) -> float:
        return float(self.w[self.covered(S)].sum())

    def state(self) -> ValState:
        return _CoverageState(self)


class _CoverageState(ValState):
    def __init__(self, v: WeightedCoverage, residual: np.ndarray | None = None, value: float = 0.0):
        self.v = v
        # residual weight of every element: w_e if uncovered, 0 once covered
        self.res = v.w.copy() if residual is None else residual.copy()
        self.value = value

    def marginal(self, i: int) -> float:
        # np.add.reduce skips ndarray.sum's Python-level dispatch (hot path: one call per arrival)
        return float(np.add.reduce(self.res[self.v._elems[i]]))

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        return self.v.A[idx] @ self.res

    def add(self, i: int) -> None:
        E = self.v.elements(i)
        self.value += float(self.res[E].sum())
        self.res[E] = 0.0

    def copy(self) -> ValState:
        return _CoverageState(self.v, self.res, self.value)


# ---------------------------------------------------------------------------------------------
@VALUATIONS.register("budget_additive")
class BudgetAdditive(Valuation):
    """v(S) = min(cap, sum_{i in S} a_i): an additive value capped at ``cap`` > 0."""

    monotone = True
    name = "budget_additive"

    def __init__(self, weights: Sequence[float], cap: float):
        self.a = _nonneg_vector(weights, "valuation.weights")
        require(isinstance(cap, (int, float, np.integer, np.floating)) and np.isfinite(cap) and cap > 0,
                "valuation.cap", cap, "a finite positive number")
        self.n, self.cap = self.a.size, float(cap)

    @classmethod
    def random(cls, n: int, rng: np.random.Generator, cap_frac: float = 0.25) -> "BudgetAdditive":
        """Return weights U[0, 1) with cap = cap_frac * sum of weights."""
        a = rng.random(n)
        return cls(a, max(cap_frac * float(a.sum()), 1e-9))

    def value(self, S: Iterable[int]) -> float:
        return float(min(self.cap, self.a[_ids(S, self.n)].sum()))

    def state(self) -> ValState:
        return _BAState(self)


class _BAState(ValState):
    def __init__(self, v: BudgetAdditive, inside: np.ndarray | None = None, total: float = 0.0):
        self.v = v
        self.inside = np.zeros(v.n, dtype=bool) if inside is None else inside.copy()
        self.total = total
        self.value = min(v.cap, total)

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        gain = np.minimum(self.v.cap, self.total + self.v.a[idx]) - self.value
        return np.where(self.inside[idx], 0.0, gain)

    def marginal(self, i: int) -> float:
        return float(self.marginals(np.array([i]))[0])

    def add(self, i: int) -> None:
        if not self.inside[i]:
            self.inside[i] = True
            self.total += float(self.v.a[i])
            self.value = min(self.v.cap, self.total)

    def copy(self) -> ValState:
        return _BAState(self.v, self.inside, self.total)


# ---------------------------------------------------------------------------------------------
@VALUATIONS.register("facility_location")
class FacilityLocation(Valuation):
    """v(S) = sum_c max_{i in S} u[c, i] (0 for the empty set): facility location.

    Parameters
    ----------
    utilities : array (clients, n)
        Non-negative benefit u[c, i] of client c from facility (seller) i.
    """

    monotone = True
    name = "facility_location"

    def __init__(self, utilities: np.ndarray):
        U = np.asarray(utilities, dtype=np.float64)
        require(U.ndim == 2 and U.size > 0 and bool(np.all(np.isfinite(U))) and bool(np.all(U >= 0)),
                "valuation.utilities", U.shape, "a non-empty 2-d array (clients, sellers) of finite non-negative numbers")
        self.U = U
        self.n_clients, self.n = U.shape

    @classmethod
    def random(cls, n: int, rng: np.random.Generator, clients: int | None = None) -> "FacilityLocation":
        """Return u[c, i] = U[0,1)^3 for ``clients`` (default n) clients: a few large benefits."""
        return cls(rng.random((int(clients or n), n)) ** 3)

    def value(self, S: Iterable[int]) -> float:
        S = _ids(S, self.n)
        return float(self.U[:, S].max(axis=1).sum()) if S.size else 0.0

    def state(self) -> ValState:
        return _FLState(self)


class _FLState(ValState):
    def __init__(self, v: FacilityLocation, best: np.ndarray | None = None, value: float = 0.0):
        self.v = v
        self.best = np.zeros(v.n_clients) if best is None else best.copy()
        self.value = value

    def marginal(self, i: int) -> float:
        return float(np.maximum(self.v.U[:, i] - self.best, 0.0).sum())

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        return np.maximum(self.v.U[:, idx] - self.best[:, None], 0.0).sum(axis=0)

    def add(self, i: int) -> None:
        nb = np.maximum(self.best, self.v.U[:, i])
        self.value += float((nb - self.best).sum())
        self.best = nb

    def copy(self) -> ValState:
        return _FLState(self.v, self.best, self.value)


# ---------------------------------------------------------------------------------------------
@VALUATIONS.register("cut")
class Cut(Valuation):
    """The cut function of an undirected weighted graph: v(S) = w(delta(S)) (non-monotone).

    Parameters
    ----------
    graph : networkx.Graph
        Nodes 0..n-1 (the sellers); edge attribute ``weight`` (default 1), non-negative.
    """

    monotone = False
    name = "cut"

    def __init__(self, graph: Any):
        import networkx as nx

        require(isinstance(graph, nx.Graph) and not graph.is_directed(), "valuation.graph", type(graph).__name__,
                "an undirected networkx.Graph")
        n = graph.number_of_nodes()
        require(n >= 1 and sorted(graph.nodes) == list(range(n)), "valuation.graph.nodes",
                sorted(graph.nodes)[:10], "the seller ids 0..n-1")
        W = nx.to_scipy_sparse_array(graph, nodelist=range(n), weight="weight", format="csr")
        require(W.nnz == 0 or (bool(np.all(W.data >= 0)) and bool(np.all(np.isfinite(W.data)))),
                "valuation.graph.weight", W.data.min() if W.nnz else None, "finite non-negative edge weights")
        W.setdiag(0)  # a self-loop never crosses a cut
        W.eliminate_zeros()
        self.graph, self.W, self.n = graph, sp.csr_matrix(W), n
        self.deg = np.asarray(self.W.sum(axis=1)).ravel()
        coo = sp.triu(self.W).tocoo()
        self.edges = (coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(np.float64))

    @classmethod
    def random(cls, n: int, rng: np.random.Generator, mean_degree: float = 4.0) -> "Cut":
        """Return a G(n, p) graph with p = mean_degree / (n - 1) and U[0, 1) edge weights."""
        import networkx as nx

        p = min(1.0, mean_degree / max(n - 1, 1))
        g = nx.gnp_random_graph(n, p, seed=int(rng.integers(2**31)))
        for u, v in g.edges:
            g[u][v]["weight"] = float(rng.random())
        return cls(g)

    def value(self, S: Iterable[int]) -> float:
        x = np.zeros(self.n, dtype=bool)
        x[_ids(S, self.n)] = True
        u, v, w = self.edges
        return float(w[x[u] != x[v]].sum())

    def state(self) -> ValState:
        return _CutState(self)


class _CutState(ValState):
    def __init__(self, v: Cut, x: np.ndarray | None = None, value: float = 0.0):
        self.v = v
        self.x = np.zeros(v.n) if x is None else x.copy()
        self.value = value

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        # adding i cuts its edges to outsiders and uncuts its edges to insiders
        return np.where(self.x[idx] > 0, 0.0, self.v.deg[idx] - 2.0 * (self.v.W[idx] @ self.x))

    def marginal(self, i: int) -> float:
        if self.x[i] > 0:
            return 0.0
        W = self.v.W
        sl = slice(W.indptr[i], W.indptr[i + 1])
        return float(self.v.deg[i] - 2.0 * (W.data[sl] @ self.x[W.indices[sl]]))

    def add(self, i: int) -> None:
        if self.x[i] == 0:
            self.value += self.marginal(i)
            self.x[i] = 1.0

    def copy(self) -> ValState:
        return _CutState(self.v, self.x, self.value)


# ---------------------------------------------------------------------------------------------
@VALUATIONS.register("coverage_minus_cost")
class CoverageMinusCost(Valuation):
    """v(S) = coverage(S) - sum_{i in S} kappa_i: weighted coverage minus a modular cost.

    Submodular (a submodular minus a modular function) and, when some kappa_i exceeds seller
    i's marginal coverage in a large set, non-monotone. Non-negative whenever kappa_i <=
    sum_{e in E_i} w_e / d_e (d_e = number of sellers covering e), which :meth:`random`
    guarantees; Section 2 requires a non-negative v, so a user-supplied kappa should too.
    """

    monotone = False
    name = "coverage_minus_cost"

    def __init__(self, coverage: WeightedCoverage, kappa: Sequence[float]):
        require(isinstance(coverage, WeightedCoverage), "valuation.coverage", type(coverage).__name__,
                "a WeightedCoverage")
        self.cov = coverage
        self.kappa = _nonneg_vector(kappa, "valuation.kappa", coverage.n)
        self.n = coverage.n

    @classmethod
    def random(cls, n: int, rng: np.random.Generator, m: int | None = None, mean_size: float = 5.0,
               lam: float = 1.0) -> "CoverageMinusCost":
        """Return a random coverage with kappa_i = lam * sum_{e in E_i} w_e / d_e (lam in [0, 1]
        keeps v non-negative; lam = 1 makes sharing sellers' late marginals negative)."""
        cov = WeightedCoverage.random(n, rng, m=m, mean_size=mean_size)
        d = np.asarray(cov.A.sum(axis=0)).ravel()
        share = cov.A @ np.where(d > 0, cov.w / np.maximum(d, 1), 0.0)
        return cls(cov, lam * share)

    def value(self, S: Iterable[int]) -> float:
        S = _ids(S, self.n)
        return self.cov.value(S) - float(self.kappa[S].sum())

    def state(self) -> ValState:
        return _CMCState(self)


class _CMCState(ValState):
    def __init__(self, v: CoverageMinusCost, inner: ValState | None = None, inside: np.ndarray | None = None):
        self.v = v
        self.inner = v.cov.state() if inner is None else inner.copy()
        self.inside = np.zeros(v.n, dtype=bool) if inside is None else inside.copy()
        self.value = self.inner.value - float(v.kappa[self.inside].sum())

    def marginal(self, i: int) -> float:
        return 0.0 if self.inside[i] else self.inner.marginal(i) - float(self.v.kappa[i])

    def marginals(self, idx: np.ndarray) -> np.ndarray:
        return np.where(self.inside[idx], 0.0, self.inner.marginals(idx) - self.v.kappa[idx])

    def add(self, i: int) -> None:
        if not self.inside[i]:
            self.value += self.marginal(i)
            self.inner.add(i)
            self.inside[i] = True

    def copy(self) -> ValState:
        return _CMCState(self.v, self.inner, self.inside)


def random_valuation(name: str, n: int, rng: np.random.Generator, **kw: Any) -> Valuation:
    """Return a random valuation of the registered family ``name`` over n sellers."""
    require(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n >= 1, "n", n, "a positive integer")
    return VALUATIONS.get(name, "valuation.name").random(int(n), rng, **kw)
