"""OCAM, the online combinatorial assignment mechanism (OCAM paper, Section 4.2, Mechanism 1).

Two phases:

1. **Sample** (the first ceil(eps_s n) arrivals, eps_s = eps_n eps_f / 4): serial dictatorship
   with every capacity scaled to eps_s c^j; each sample agent also gets a perfunctory budget in
   [1 - eps_b, 1] ("never used, but technically required for the definition of DACEEI").
2. **Online**: once the sample is complete, an eps_b-ECEEI of the sample economy (capacities
   eps_s c, Definition 4) gives prices p and a random budget per sampled type; f maps a
   reported type seen in the sample to that random budget and an unseen type to the
   ``unseen_budget`` default. Each later agent draws b ~ f(type) from its own stream
   ``("mechanism", "budget", agent)`` and gets its most preferred bundle costing at most b.

``capacity_policy = "paper"`` allocates exactly as the paper does (capacities can be exceeded;
the excess is recorded and DACEEI (iii) bounds it w.h.p.); ``"hard"`` makes goods without a
remaining unit unavailable to later agents (a deviation from the paper, reported per run as the
share of online agents it changed).
"""
from __future__ import annotations

import bisect
import functools
import math
import warnings
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..baselines.serial_dictatorship import blocked_goods
from ..checkpoint import ConstantState
from ..errors import ConfigError, require
from ..market import bundle_vector
from ..mechanism_registry import register_mechanism
from ..online_mechanism import OnlineMechanism
from ..params import ParamSpec, real_in
from ..preferences import BundleRanking
from ..public_state import BundlesPublic
from ..reports import BundleOutcome, Outcome, Report
from ..rng import Streams
from ..spec import Claim, MechanismSpec
from .eceei import ECEEICertificate, UnconvergedError, assumption2_capacity, solve_eceei

_solve_uncached = solve_eceei
#: Sample ECEEIs already solved in this process, keyed by the whole input (LRU).
_ECEEI_MEMO: OrderedDict[tuple, ECEEICertificate] = OrderedDict()
_ECEEI_MEMO_SIZE = 256


def solve_eceei(types, capacity, eps, **kw):  # noqa: F811 (memoising wrapper of eceei.solve_eceei)
    """Return :func:`mechanisms.ocam.eceei.solve_eceei` of the inputs, memoised.

    A replay that changes a late report, a fresh cross-check run or a redraw of the coins all
    solve the same sample economy again; the solve is a deterministic function of its inputs
    (unless a finite time limit makes it depend on the machine: then it is never memoised).
    """
    if any(isinstance(v, float) and math.isfinite(v) and k.endswith("time_limit") and k == "time_limit"
           for k, v in kw.items()):
        return _solve_uncached(types, capacity, eps, **kw)
    key = (tuple(types), np.asarray(capacity, dtype=np.float64).tobytes(), float(eps),
           tuple(sorted((k, repr(v)) for k, v in kw.items())))
    hit = _ECEEI_MEMO.get(key)
    if hit is not None:
        _ECEEI_MEMO.move_to_end(key)
        return hit
    cert = _solve_uncached(types, capacity, eps, **kw)
    if not cert.converged:
        return cert  # not memoised: every run that prices on it warns again, in any process
    _ECEEI_MEMO[key] = cert
    if len(_ECEEI_MEMO) > _ECEEI_MEMO_SIZE:
        _ECEEI_MEMO.popitem(last=False)
    return cert


#: Length of one chunk of OCAM's arrival log (frozen and shared by snapshots once full). Every
#: state snapshot copies the open chunk: 64 entries measured ~8% more trustless deviations per
#: second than 512 (benchmarks/bench_audit.py, OCAM post-sample n = 10,000), the list of full
#: chunks (shared, one reference) stays short (1,563 at n = 100,000).
LOG_CHUNK = 64


def eps_s_of(eps_n: float, eps_f: float) -> float:
    """Return the sample share eps_s = eps_n * eps_f / 4 (Section 4.2)."""
    return eps_n * eps_f / 4.0


def sample_size(n: int, eps_n: float, eps_f: float) -> int:
    """Return the sample size ceil(eps_s * n) (Section 4.2)."""
    return int(math.ceil(eps_s_of(eps_n, eps_f) * n - 1e-12))


OCAM_PARAMS = (
    ParamSpec("eps_b", 0.02, "budget perturbation: every budget lies in [1 - eps_b, 1]",
              "Definition 1 (ii), Definition 4; Theorem 2 needs eps_b < 1/m (warned, not refused)",
              real_in(0, 1, lo_open=True, hi_open=True), "a number in (0, 1)"),
    ParamSpec("eps_n", 0.2, "share of early agents exempt from the DACEEI conditions",
              "Definition 1, Section 4.2", real_in(0, 1, lo_open=True), "a number in (0, 1]"),
    ParamSpec("eps_f", 0.2, "market-clearing tolerance of DACEEI (iii)/(iv)",
              "Definition 1, Section 4.2", real_in(0, 1, lo_open=True), "a number in (0, 1]"),
    ParamSpec("unseen_budget", 1.0, "budget f(theta) of a type not seen in the sample "
              "(the paper: 'set their budget arbitrarily between 1 - eps_b and 1')",
              "Section 4.2", real_in(0, 1), "a number in [1 - eps_b, 1]"),
    ParamSpec("sample_budget", "uniform", "perfunctory budget of sample agents: 'uniform' draws "
              "U[1 - eps_b, 1] from the agent's stream ('mechanism', 'budget', agent); 'one' gives 1",
              "Section 4.2 ('an arbitrary budget from [1 - eps_b, 1]')", choices=("uniform", "one")),
    ParamSpec("capacity_policy", "paper", "'paper': allocate as the paper and record excess over "
              "capacity; 'hard': goods without a remaining unit are unavailable", "Section 4.2",
              choices=("paper", "hard")),
    ParamSpec("solver_tol", 1e-9, "target relative clearing error of the ECEEI solver",
              "Definition 4 (a), (b)", real_in(0, 1, lo_open=True), "a number in (0, 1)"),
    ParamSpec("solver_max_iter", 5000, "price-search iterations of the ECEEI solver", "",
              lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "a positive integer"),
    ParamSpec("solver_time_limit", math.inf, "seconds allowed to the ECEEI price search; a finite "
              "limit makes the run depend on machine speed (default: none, the iteration cap rules)", "",
              real_in(0, math.inf, lo_open=True), "a positive number"),
    ParamSpec("on_unconverged", "exact", "what happens when the fast price search misses solver_tol: "
              "'exact' runs the exact MILP fallback (docs/ocam.md, 'The exact fallback'; if that too fails "
              "within solver_exact_time_limit, a RuntimeWarning and summary()['solver'] say so); 'warn' prices "
              "on the best certificate with a RuntimeWarning; 'error' raises UnconvergedError",
              "Definition 4, Theorem 1 (an exact ECEEI exists; OCAM's guarantees rest on it)",
              choices=("exact", "warn", "error")),
    ParamSpec("solver_exact_time_limit", 60.0, "seconds allowed to the exact fallback (HiGHS MILP)",
              "Theorem 1", real_in(0, math.inf, lo_open=True), "a positive number"),
)

OCAM_CLAIMS = (
    Claim("gsp1", "Definition 6; Theorem 2 (a), Lemma 3", "0 < eps_b < 1/m; any arrival order and market size"),
    Claim("ef1", "Definition 2; Theorem 2 (b), Lemma 3, Proposition 1: among post-sample agents",
          "0 < eps_b < 1/m"),
    Claim("daceei", "Definition 1; Theorem 2 (with probability >= 1 - 1/n), Lemma 6",
          "Assumption 1 (uniformly random arrival order) and Assumption 2 (large capacities)"),
)


class RandomBudget:
    """A discrete random budget: realisations (ascending) with probabilities (Section 4.1).

    Immutable once built (checkpoints share it between snapshots).
    """

    __slots__ = ("budgets", "probs", "cum", "budget_list", "prob_list", "_cum_list")

    def __init__(self, pairs: Sequence[tuple[float, float]]):
        pairs = sorted(pairs)
        self.budgets = np.array([b for b, _ in pairs], dtype=np.float64)
        self.probs = np.array([q for _, q in pairs], dtype=np.float64)
        self.cum = np.cumsum(self.probs)
        # the same float64 values as Python floats (hot paths index them without numpy scalars)
        self.budget_list: list[float] = self.budgets.tolist()
        self.prob_list: list[float] = self.probs.tolist()
        self._cum_list: list[float] = self.cum.tolist()

    def draw(self, u: float) -> int:
        """Return the index of the realisation selected by the uniform draw ``u`` (inverse CDF).

        The first index whose cumulative probability exceeds ``u`` times the total (numpy's
        ``searchsorted(cum, u * cum[-1], side="right")``, on the same float64 values).
        """
        cum = self._cum_list
        return min(bisect.bisect_right(cum, u * cum[-1]), len(cum) - 1)

    def pairs(self) -> list[tuple[float, float]]:
        """Return (budget, probability) pairs."""
        return list(zip(self.budgets.tolist(), self.probs.tolist()))


#: OCAM's attributes that no longer change during the sample, and once it has closed (OCAM.snapshot_constants).
IN_SAMPLE = ("market", "params", "streams", "eps_s", "n", "sample_size", "_cap", "_sample_cap", "_unseen",
             "certificate", "_prices", "_public_static")
FIXED_AFTER_SAMPLE = ("market", "params", "streams", "eps_s", "n", "sample_size", "_cap", "_sample_cap",
                      "_sample_used", "_sample_types", "certificate", "_prices", "_f", "_labels", "_unseen",
                      "_sample_agents", "_public_static")


@functools.lru_cache(maxsize=1 << 16)
def _seeded_budget_uniform(seed: int, agent: int) -> float:
    return float(Streams(seed).get("mechanism", "budget", agent).random())


def _budget_uniform(streams: Streams, agent: int) -> float:
    """Return the U[0, 1) draw of the stream ("mechanism", "budget", agent).

    A pure function of (seed, agent) for the run's :class:`Streams`, so it is memoised: the
    auditor's replays and redraws ask the same agent's draw many times.
    """
    if type(streams) is Streams:
        return _seeded_budget_uniform(streams.seed, int(agent))
    return float(streams.get("mechanism", "budget", agent).random())


def _read_only(a: np.ndarray) -> np.ndarray:
    """Return a read-only copy of ``a`` that owns its data (snapshots share such arrays)."""
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


#: f and its labels per certificate, most recent last (a replay that closes the sample again
#: solves the same economy: the memoised solve returns the same certificate).
_F_MEMO: OrderedDict[int, tuple[ECEEICertificate, "_FixedDict", "_FixedDict"]] = OrderedDict()


def _budget_function(cert: ECEEICertificate) -> tuple[_FixedDict, _FixedDict]:
    """Return (f, labels) of ``cert``: each sampled type's random budget and public label.

    Section 4.2: f maps a type seen in the sample to the random budget of the ECEEI (its
    support's realisations); labels are "t0", "t1", ... in order of first appearance. Both are
    immutable once built, so they are memoised per certificate.
    """
    hit = _F_MEMO.get(id(cert))
    if hit is not None and hit[0] is cert:
        _F_MEMO.move_to_end(id(cert))
        return hit[1], hit[2]
    f, labels = _FixedDict(), _FixedDict()
    for t, ty in enumerate(cert.types):
        f[ty] = RandomBudget([(b, q) for _, b, q in cert.support[t]])
        labels[ty] = f"t{t}"
    _F_MEMO[id(cert)] = (cert, f, labels)
    if len(_F_MEMO) > _ECEEI_MEMO_SIZE:
        _F_MEMO.popitem(last=False)
    return f, labels


#: Entries of the best-bundle cache before it is emptied (it only saves recomputation).
_BEST_CACHE_SIZE = 1 << 16


class _BestBundles(dict):
    """(declared type, budget) -> (bundle, cost, 0/1 vector) at the price vector ``prices``.

    A memo of a pure function of its key and the prices (equation (1)), so state snapshots
    share it (a replay adds only correct entries); a new price vector gets a new memo.
    """

    __slots__ = ("prices",)

    def __init__(self, prices: np.ndarray | None):
        super().__init__()
        self.prices = prices


class _FixedDict(dict):
    """A dict OCAM never changes after building it (f and its labels): snapshots share it."""


class _FixedList(list):
    """A list OCAM never changes after building it (the sample's types): snapshots share it."""


@dataclass(frozen=True)
class _Published:
    """What OCAM has made public and no longer changes (replaced whole when the sample closes)."""

    data: dict[str, Any]


@register_mechanism
class OCAM(ConstantState, OnlineMechanism):
    """The online combinatorial assignment mechanism (Section 4.2; see the module docstring).

    Public surface beyond the protocol: :meth:`budget_of`, :meth:`outcome_distribution`,
    :meth:`label_of`, :meth:`allocation`, the ``certificate`` attribute (the sample ECEEI) and
    :meth:`unilateral_outcome` for post-sample agents.
    """

    spec = MechanismSpec(
        name="ocam",
        title="Online combinatorial assignment mechanism (OCAM)",
        market_kinds=("bundles",),
        paper="ocam-dynamic-combinatorial-assignment.txt, Section 4.2 and Appendix E (Mechanism 1)",
        params=OCAM_PARAMS,
        claims=OCAM_CLAIMS,
        incremental=True,
        public_state=BundlesPublic,
    )
    #: Immutable once built: shared, not copied, by state snapshots (mechanisms.checkpoint).
    snapshot_shared = (RandomBudget, ECEEICertificate, _FixedDict, _FixedList, _BestBundles)
    #: Per-copy arrays that a state snapshot packs in one buffer (mechanisms.checkpoint.ConstantState).
    SNAPSHOT_PACKED = ("_used", "_sample_used", "_chunk_agents", "_chunk_bundles", "_chunk_budgets")

    # ---- configuration ------------------------------------------------------------------
    def validate(self) -> None:
        """Check n, eps values and the unseen-type budget; warn when eps_b >= 1/m (Theorem 2)."""
        n = self.market.n_agents
        require(n is not None, "market.n_agents", n, "the known population size n (OCAM Section 4.2)")
        P = self.params
        m = self.market.goods.m
        lo = 1.0 - P["eps_b"]
        require(lo - 1e-15 <= P["unseen_budget"] <= 1.0, "mechanism.params.unseen_budget", P["unseen_budget"],
                f"a number in [1 - eps_b, 1] = [{lo:g}, 1]")
        if P["eps_b"] >= 1.0 / m:
            warnings.warn(f"mechanism.params.eps_b = {P['eps_b']!r} >= 1/m = {1.0 / m:.4g}: Theorem 2 "
                          "(GSP1, EF1) assumes eps_b < 1/m", UserWarning, stacklevel=3)
        self.eps_s = eps_s_of(P["eps_n"], P["eps_f"])
        self.n = int(n)
        self.sample_size = sample_size(self.n, P["eps_n"], P["eps_f"])

    def start(self, streams) -> None:
        super().start(streams)
        c = self.market.goods.capacity.astype(np.float64)
        # constant for the run: read-only arrays, which state snapshots share instead of copying
        self._cap = _read_only(c)
        self._used = np.zeros_like(c)
        self._sample_cap = _read_only(self.eps_s * c)
        self._sample_used = np.zeros_like(c)
        self._sample_types: list[BundleRanking] = _FixedList()  # replaced per arrival: snapshots share it
        self.certificate: ECEEICertificate | None = None
        self._prices: np.ndarray | None = None
        self._f: dict[BundleRanking, RandomBudget] = {}
        self._labels: dict[BundleRanking, str] = {}
        self._unseen = RandomBudget([(float(self.params["unseen_budget"]), 1.0)])
        self._blocked_at: dict[int, int] = {}
        self._best_cache = _BestBundles(None)
        # The run's log in arrival order, as arrays (compact state: checkpoints copy it often).
        # Full chunks are frozen (read-only arrays), so snapshots share them and copy only the
        # chunk being filled; arrivals are a bitmask, the sample's agents a small set.
        self._n_log = 0
        self._chunks: _FixedList = _FixedList()  # replaced, never changed: snapshots share it whole
        self._new_chunk()
        self._arrived = bytearray((self.n + 7) // 8)  # bit a: agent a has arrived (grown on demand)
        self._sample_agents: set[int] | frozenset[int] = set()
        self._hard_affected = 0
        self._online = 0
        self._public_static = _Published({"phase": "sample", "prices": None, "budgets": None,
                                          "seen_type_counts": None, "sample_size": self.sample_size})

    def snapshot_constants(self) -> tuple[str, ...]:
        """Return :data:`FIXED_AFTER_SAMPLE` once the sample has closed (prices posted), else :data:`IN_SAMPLE`.

        State snapshots then store those attributes as one shared object and copy only what an
        arrival changes (:class:`mechanisms.checkpoint.ConstantState`); the best-bundle cache
        (a pure function of type, budget and prices) is shared by snapshots as well.
        """
        return FIXED_AFTER_SAMPLE if self.certificate is not None else IN_SAMPLE

    def _new_chunk(self) -> None:
        # the open chunk: three attributes, which a state snapshot packs in one buffer
        # (SNAPSHOT_PACKED; object-dtype bundles, for m > 62, travel as an ordinary array)
        self._chunk_agents = np.zeros(LOG_CHUNK, dtype=np.int64)
        self._chunk_bundles = np.zeros(LOG_CHUNK, dtype=np.int64 if self.market.goods.m <= 62 else object)
        self._chunk_budgets = np.zeros(LOG_CHUNK)

    @property
    def _chunk(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The open chunk of the log: (agents, bundles, budgets)."""
        return self._chunk_agents, self._chunk_bundles, self._chunk_budgets

    def _has_arrived(self, agent: int) -> bool:
        i = agent >> 3
        return agent >= 0 and i < len(self._arrived) and (self._arrived[i] >> (agent & 7)) & 1 == 1

    def _phase_of(self, agent: int) -> str | None:
        if not self._has_arrived(agent):
            return None
        return "sample" if agent in self._sample_agents else "online"

    # ---- the two phases -----------------------------------------------------------------
    def _check_report(self, r: Report) -> BundleRanking:
        d = r.declared
        if not isinstance(d, BundleRanking) or d.m != self.market.goods.m:
            raise ConfigError(f"report[{r.agent}]", type(d).__name__,
                              f"a BundleRanking over {self.market.goods.m} goods")
        if r.agent < 0 or self._has_arrived(r.agent):
            raise ConfigError(f"report[{r.agent}]", r.agent, "an agent that has not arrived before")
        return d

    def _perfunctory_budget(self, agent: int) -> float:
        if self.params["sample_budget"] == "one":
            return 1.0
        return 1.0 - self.params["eps_b"] * _budget_uniform(self.streams, agent)

    def _blocked_now(self) -> int:
        return blocked_goods(self._cap - self._used) if self.params["capacity_policy"] == "hard" else 0

    def _serve_sample(self, tick: int, agent: int, d: BundleRanking) -> BundleOutcome:
        # Serial dictatorship with capacities eps_s c (Section 4.2): a good is available only if
        # a whole unit fits under the scaled capacity.
        blocked = blocked_goods(self._sample_cap - self._sample_used) | self._blocked_now()
        b = d.best_available(blocked)
        x = bundle_vector(b, self._cap.size)
        self._sample_used += x
        self._used += x
        self._sample_types = _FixedList([*self._sample_types, d])
        budget = self._perfunctory_budget(agent)
        self._log(agent, b, budget)
        if len(self._sample_types) == self.sample_size:
            self._close_sample()
            self._sample_agents = frozenset(self._sample_agents)
            self._sample_used = _read_only(self._sample_used)  # the sample is closed
        return BundleOutcome(agent, tick, b, budget, None, "sample")

    def _close_sample(self) -> None:
        """Compute the eps_b-ECEEI of the sample economy and the budget function f (Section 4.2)."""
        P = self.params
        mode = P["on_unconverged"]
        with warnings.catch_warnings():
            if mode == "error":  # raised below, with the certificate, instead of warned
                warnings.simplefilter("ignore", RuntimeWarning)
            cert = solve_eceei(self._sample_types, self._sample_cap, P["eps_b"], tol=P["solver_tol"],
                               max_iter=P["solver_max_iter"], time_limit=P["solver_time_limit"],
                               fallback="exact" if mode == "exact" else "none",
                               exact_time_limit=P["solver_exact_time_limit"])
        if mode == "error" and not cert.converged:
            raise UnconvergedError(cert, f"mechanism.params.on_unconverged = 'error': the sample ECEEI did not "
                                   f"converge (relative clearing error {cert.error:.3g} > solver_tol "
                                   f"{P['solver_tol']:g}, method {cert.method})")
        self.certificate = cert
        self._prices = _read_only(cert.prices)  # posted once (Section 4.2): never changed again
        self._f, self._labels = _budget_function(cert)
        self._public_static = _Published({
            "phase": "online",
            "prices": cert.prices.tolist(),
            "budgets": {self._labels[ty]: self._f[ty].pairs() for ty in cert.types},
            # f's domain (the sample's reported types) is published with f: the audit assumes
            # a fully informed manipulator (worst case), as "budget shopping" needs.
            "types": {self._labels[ty]: ty for ty in cert.types},
            "seen_type_counts": {self._labels[ty]: int(c) for ty, c in zip(cert.types, cert.counts)},
            "sample_size": self.sample_size,
            "clearing_error": cert.error,
            "solver": cert.status(),
        })

    def _budget_for(self, agent: int, d: BundleRanking) -> tuple[RandomBudget, int]:
        """Return f(d) and the index of agent's realisation, drawn from ("mechanism", "budget", agent).

        A one-point budget needs no draw (its inverse CDF is constant), so the stream is only
        opened for types whose random budget has several realisations: same outcome, and the
        purpose-keyed streams keep every other draw unchanged either way.
        """
        rb = self._f.get(d, self._unseen)
        if len(rb.budget_list) == 1:
            return rb, 0
        u = _budget_uniform(self.streams, agent)
        return rb, rb.draw(u)

    def _choose(self, d: BundleRanking, rb: RandomBudget, k: int, blocked: int) -> int:
        if blocked:
            return d.best_affordable(self._prices, rb.budget_list[k], blocked)
        return self._choice(d, rb, k)[0]

    def _choice(self, d: BundleRanking, rb: RandomBudget, k: int) -> tuple[int, float, np.ndarray]:
        """Return (bundle, cost, 0/1 vector) of d's best affordable bundle at realisation k."""
        return self._best(d, rb.budget_list[k])

    def _best(self, d: BundleRanking, budget: float) -> tuple[int, float, np.ndarray]:
        """Return (bundle, cost, 0/1 vector) of d's most preferred bundle costing at most ``budget``.

        A function of the declared type, the budget and the posted prices (equation (1)):
        memoised per price vector in a cache that state snapshots share.
        """
        cache = self._best_cache
        if cache.prices is not self._prices:
            cache = self._best_cache = _BestBundles(self._prices)
        hit = cache.get((d, budget))
        if hit is None:
            b = d.best_affordable(self._prices, budget)
            x = bundle_vector(b, self._cap.size)
            cost = float(self._prices @ x)
            x = x.astype(np.float64)  # the same 0/1 values; adds to the float usage without a cast
            x.flags.writeable = False
            hit = (b, cost, x)
            if len(cache) >= _BEST_CACHE_SIZE:
                cache.clear()
            cache[d, budget] = hit
        return hit

    def _serve_online(self, tick: int, agent: int, d: BundleRanking) -> BundleOutcome:
        blocked = self._blocked_now()
        rb, k = self._budget_for(agent, d)
        budget = rb.budget_list[k]
        b, cost, x = self._choice(d, rb, k)  # (subclasses refine _choice)
        if blocked:
            self._blocked_at[agent] = blocked
            hb = d.best_affordable(self._prices, budget, blocked)
            if hb != b:
                self._hard_affected += 1
                b, cost = hb, self._cost(hb)
                x = bundle_vector(hb, self._cap.size)
        self._used += x
        self._online += 1
        self._log(agent, b, budget)
        return BundleOutcome(agent, tick, b, budget, cost, "online")

    def _cost(self, b: int) -> float:
        return float(self._prices @ bundle_vector(b, self._cap.size))

    def _log(self, agent: int, b: int, budget: float) -> None:
        k = self._n_log % LOG_CHUNK
        self._chunk_agents[k] = agent
        self._chunk_bundles[k] = b
        self._chunk_budgets[k] = budget
        self._n_log += 1
        arrived, i = self._arrived, agent >> 3
        if i >= len(arrived):
            arrived.extend(bytes(i + 1 - len(arrived)))
        arrived[i] |= 1 << (agent & 7)
        if self.certificate is None:
            self._sample_agents.add(agent)
        if k == LOG_CHUNK - 1:
            # frozen copies that own their data (the open chunk may be a view of a snapshot's buffer)
            full = tuple(np.array(arr) for arr in self._chunk)
            for arr in full:
                arr.flags.writeable = False
            self._chunks = _FixedList([*self._chunks, full])
            self._new_chunk()

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        """Return each arrival's bundle: SD in the sample, top affordable bundle afterwards."""
        outs: list[Outcome] = []
        for r in reports:
            d = self._check_report(r)
            if self.certificate is None:
                outs.append(self._serve_sample(tick, r.agent, d))
            else:
                outs.append(self._serve_online(tick, r.agent, d))
        return outs

    # ---- what is public, and queries the auditor and strategies use ---------------------
    def remaining(self) -> np.ndarray:
        return self._cap - self._used

    @property
    def enforces_capacity(self) -> bool:
        """False under the ``paper`` policy (excess is recorded, not prevented), True under ``hard``."""
        return self.params["capacity_policy"] == "hard"

    def public(self) -> BundlesPublic:
        """Return phase, prices p (None in the sample), f by type label, remaining, ...

        Mechanism 1 posts p and f when the sample closes. ``budgets`` maps type labels ("t0",
        "t1", ... in order of first appearance in the sample) to (budget, probability) lists;
        ``types`` maps the labels to the types themselves; ``seen_type_counts`` to sample
        multiplicities. Use :meth:`budget_of` / :meth:`label_of` to look up a declared type.
        """
        d = self._public_static.data
        # types, clearing_error and solver exist only once the sample's certificate does
        return BundlesPublic(remaining=(self._cap - self._used).tolist(), prices=d["prices"], phase=d["phase"],
                             budgets=d["budgets"], types=d.get("types"), seen_type_counts=d["seen_type_counts"],
                             sample_size=d["sample_size"], arrived=self._n_log,
                             clearing_error=d.get("clearing_error"), solver=d.get("solver"))

    def label_of(self, declared: BundleRanking) -> str | None:
        """Return the public label of a type seen in the sample (None if unseen or in the sample phase)."""
        return self._labels.get(declared)

    def budget_of(self, declared: BundleRanking) -> list[tuple[float, float]]:
        """Return f(declared) as (budget, probability) pairs (after the sample).

        A type seen in the sample gets its ECEEI random budget; any other type the
        ``unseen_budget`` default (Section 4.2).
        """
        if self.certificate is None:
            raise ConfigError("ocam.phase", "sample", "the online phase (prices exist only after the sample)")
        return self._f.get(declared, self._unseen).pairs()

    @property
    def prices(self) -> np.ndarray | None:
        """The posted prices (None during the sample)."""
        return self._prices

    def outcome_distribution(self, declared: BundleRanking, agent: int | None = None) -> dict[int, float]:
        """Return the exact distribution {bundle mask: probability} a post-sample agent gets by declaring ``declared``.

        Computed from the finite random budget f(declared) and the prices p (equation (1)).
        Under the ``hard`` policy pass ``agent`` to use the goods exhausted at its arrival in
        the recorded run (without it, no good is treated as exhausted).
        """
        if self.certificate is None:
            raise ConfigError("ocam.phase", "sample", "the online phase (prices exist only after the sample)")
        if not (isinstance(declared, BundleRanking) and declared.m == self.market.goods.m):
            require(False, "declared", declared, f"a BundleRanking over {self.market.goods.m} goods")
        # an agent that has not arrived yet meets the goods exhausted now (the state at its arrival)
        if agent is None:
            blocked = 0
        else:
            blocked = self._blocked_at.get(agent)
            if blocked is None:
                blocked = self._blocked_now()
        rb = self._f.get(declared, self._unseen)
        out: dict[int, float] = {}
        for budget, q in zip(rb.budget_list, rb.prob_list):
            b = declared.best_affordable(self._prices, budget, blocked) if blocked else self._best(declared, budget)[0]
            out[b] = out.get(b, 0.0) + q
        return out

    def unilateral_outcome(self, report: Report, tick: int) -> Outcome:
        """Return what post-sample agent ``report.agent`` gets by declaring ``report.declared``.

        Its outcome depends only on p, f (fixed by the sample), its own budget stream and,
        under the ``hard`` policy, the goods exhausted at its arrival (recorded per agent), so
        it equals a full replay with only this report changed. Raises :class:`ConfigError` for
        sample agents (serial dictatorship: replay the run) and agents not in the run.
        """
        a = report.agent
        phase = self._phase_of(a)
        if phase is None:
            raise ConfigError("report.agent", a, "an agent that arrived in the recorded run")
        if phase == "sample":
            raise ConfigError("report.agent", a, "a post-sample agent (sample agents face serial "
                              "dictatorship; use a full replay)")
        d = report.declared
        require(isinstance(d, BundleRanking) and d.m == self.market.goods.m, f"report[{a}]", d,
                f"a BundleRanking over {self.market.goods.m} goods")
        rb, k = self._budget_for(a, d)
        b = self._choose(d, rb, k, self._blocked_at.get(a, 0))
        return BundleOutcome(a, tick, b, float(rb.budgets[k]), self._cost(b), "online")

    def allocation(self) -> dict[str, np.ndarray]:
        """Return the run so far in arrival order: ``agents``, ``bundles`` (masks), ``budgets``, ``phase``."""
        k = self._n_log
        rest = k % LOG_CHUNK
        parts = [*self._chunks, tuple(arr[:rest] for arr in self._chunk)]
        return {"agents": np.concatenate([c[0] for c in parts]),
                "bundles": np.concatenate([c[1] for c in parts]),
                "budgets": np.concatenate([c[2] for c in parts]),
                "sample": np.arange(k) < len(self._sample_types)}

    def summary(self) -> dict[str, Any]:
        """Return solver diagnostics, excess over capacity, hard-policy impact and Assumption 2."""
        over = np.maximum(self._used - self._cap, 0.0)
        P = self.params
        tau = len({*self._sample_types}) if self._sample_types else 0
        out: dict[str, Any] = {
            "eps_s": self.eps_s, "sample_size": self.sample_size, "arrived": self._n_log,
            "online_agents": self._online, "capacity_policy": P["capacity_policy"],
            "excess_over_capacity": over.tolist(), "max_excess": float(over.max()),
            "hard_affected_share": (self._hard_affected / self._online) if self._online else 0.0,
            "assumption2_capacity": assumption2_capacity(self.n, self.market.goods.m, max(tau, 1),
                                                         P["eps_n"], P["eps_f"]),
            "assumption2_tau": "distinct types in the sample (a lower bound on tau)",
            "min_capacity": float(self._cap.min()),
        }
        if self.certificate is not None:
            out["eceei"] = self.certificate.as_dict()
            out["solver"] = self.certificate.status()
        return out
