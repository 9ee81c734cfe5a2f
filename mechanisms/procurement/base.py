"""The common machinery of the online budget-feasible mechanisms (Section 2 setting).

:class:`ProcurementMechanism` reads the public market (budget B, valuation v, prediction
omega, n), draws every coin of the run from purpose-keyed streams at :meth:`start` (so no coin
depends on a bid), builds the stage plan (:mod:`mechanisms.procurement.stages`) and, for each
arriving seller, fixes her quote before reading her bid. It records, per seller, the bid, the
threshold offered, the remaining budget at her arrival, the decision and the payment, and
enforces budget feasibility and individual rationality as invariants.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..checkpoint import ConstantState
from ..errors import ConfigError, InvariantError, require
from ..online_mechanism import OnlineMechanism
from ..params import ParamSpec, positive_int, real_in
from ..preferences import Cost
from ..public_state import ProcurementPublic
from ..reports import HireOutcome, Outcome, Report
from ..spec import Claim
from .offline import SAMPLE_SOLVERS, solver_guarantee
from .predictions import as_omega
from .stages import PostedPrice, Quote, SampleThenPost, SingleOffer, Stage
from .valuations import Valuation

PAPER = "Amanatidis et al., Online Budget-Feasible Mechanism Design with Predictions (SAGT 2025)"
#: Relative slack for float round-off in "total payments <= B".
BUDGET_TOL = 1e-9

# ---- parameter specs shared by the mechanisms ----------------------------------------------
P_BIDS = ParamSpec("bids_above_budget", "error",
                   "a declared cost above B: 'error' (the paper's declarations lie in [0, B]^n) or 'decline' "
                   "(the seller simply declines every offer she cannot accept)",
                   source="Section 2 (b in [0, B]^n)", choices=("error", "decline"))
P_SOLVER = ParamSpec("sample_solver", "auto",
                     "algorithm for T_1 on the sample: 'sviridenko' (1-1/e), 'greedy_singleton' ((1-1/e)/2, fast), "
                     "'auto' (Sviridenko when |N_1| <= sviridenko_max)",
                     source="Mechanism 3/4, line 7 ([39] Sviridenko)", choices=SAMPLE_SOLVERS)
P_SVMAX = ParamSpec("sviridenko_max", 12, "largest sample on which 'auto' runs Sviridenko's O(n^5) algorithm",
                    source="ours (running time)", check=positive_int, expected="a positive integer")
P_TIES = ParamSpec("dynkin_ties", "accept",
                   "Dynkin line 3 hires the first j with v(j) >= v(i*) ('accept'); 'reject' demands v(j) > v(i*)",
                   source="Mechanism 3, line 3", choices=("accept", "reject"))


def _route_coin(streams, agent: int) -> int:
    """Return the route coin of ``agent`` (a module function, so mechanism state pickles)."""
    return int(streams.get("mechanism", "route", agent).integers(2))


def prob(name: str, default: float, doc: str, source: str) -> ParamSpec:
    """Return the spec of a probability parameter in [0, 1]."""
    return ParamSpec(name, default, doc, source=source, check=real_in(0, 1), expected="a number in [0, 1]")


def open_unit(name: str, default: float, doc: str, source: str) -> ParamSpec:
    """Return the spec of a parameter in the open interval (0, 1)."""
    return ParamSpec(name, default, doc, source=source, check=real_in(0, 1, True, True), expected="a number in (0, 1)")


CLAIMS = (
    Claim("universal_truthfulness", "Section 2 (definition); Lemma 1",
          "a distribution over truthful deterministic posted-price mechanisms for every fixed arrival order"),
    Claim("budget_feasible", "Section 2 (definition); Lemma 1", "sum of payments <= B on every realisation"),
    Claim("ir", "Section 2 (definition); Lemma 1", "declarations in [0, B]: hired sellers are paid at least their bid"),
)


#: Arrival records per frozen chunk (see ProcurementMechanism._remember).
RECORD_CHUNK = 32


class _RecordChunk(tuple):
    """A full chunk of arrival records: never changed again, so state snapshots share it."""


class _RecordChunks(tuple):
    """The full chunks so far (replaced by a longer one, never changed): shared by snapshots."""


class ProcurementMechanism(ConstantState, OnlineMechanism):
    """Base class: an online budget-feasible mechanism over sellers 0..n-1 (Section 2).

    Subclasses implement :meth:`plan` (draw the coins, return the first :class:`Stage`).
    ``uses_prediction`` says whether the market must carry a prediction omega.
    """

    uses_prediction: ClassVar[bool] = False
    n_solutions: ClassVar[int] = 1
    #: Immutable once built: shared, not copied, by state snapshots (mechanisms.checkpoint).
    snapshot_shared: ClassVar[tuple[type, ...]] = (_RecordChunk, _RecordChunks, Valuation)  # v is public market data
    #: Fixed by validate() (the public market): shared by state snapshots (ConstantState).
    SNAPSHOT_CONSTANTS = ("market", "params", "streams", "B", "v", "n", "omega")

    def validate(self) -> None:
        ex = self.market.extra
        B = ex.get("budget")
        require(isinstance(B, (int, float, np.integer, np.floating)) and not isinstance(B, bool)
                and math.isfinite(float(B)) and B > 0, "market.extra.budget", B, "a finite positive budget B")
        v = ex.get("valuation")
        require(isinstance(v, Valuation), "market.extra.valuation", type(v).__name__, "a Valuation")
        n = self.market.n_agents
        require(n is not None and n == v.n, "market.n_agents", n, f"the number of sellers of the valuation ({v.n})")
        self.B, self.v, self.n = float(B), v, int(n)
        self.omega = as_omega(ex.get("prediction")) if self.uses_prediction else None
        self._singles: np.ndarray | None = None

    # ---- the run ----------------------------------------------------------------------
    def plan(self, streams) -> Stage:  # pragma: no cover - overridden
        raise NotImplementedError

    def start(self, streams) -> None:
        super().start(streams)
        self.branch: dict[str, Any] = {}
        self._stage = self.plan(streams)
        # seller -> (tick, quote, bid, hired), kept as an append-only log of frozen chunks (a state
        # snapshot shares the full chunks and copies only the open one) and a position index
        self._rec_chunks: _RecordChunks = _RecordChunks()
        self._rec_open: list[tuple[int, int, Quote, float, bool]] = []
        self._rec_pos = np.full(self.n, -1, dtype=np.int32)  # seller -> position (-1: not arrived)
        self._n_rec = 0
        self._paid = 0.0
        self._hired: list[int] = []

    @property
    def singles(self) -> np.ndarray:
        """Singleton values v(i) of all sellers (public: v is public)."""
        if self._singles is None:
            a = np.array(self.v.singletons(), dtype=np.float64)
            a.flags.writeable = False  # public and fixed: snapshots share it
            self._singles = a
        return self._singles

    def _bid(self, r: Report) -> float:
        if not isinstance(r.declared, Cost):
            raise ConfigError(f"report[{r.agent}]", type(r.declared).__name__, "a Cost")
        bid = r.declared.value
        if bid > self.B and self.params.get("bids_above_budget", "error") == "error":
            raise ConfigError(f"report[{r.agent}].bid", bid, f"a declared cost in [0, B={self.B}] (Section 2)")
        return bid

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        outs: list[Outcome] = []
        for r in reports:
            a = r.agent
            # plain tests first: this is the hot path (one call per arrival)
            if not (isinstance(a, (int, np.integer)) and 0 <= a < self.n):
                raise ConfigError("report.agent", a, f"a seller id in [0, {self.n})")
            if self._rec_pos[a] >= 0:
                raise ConfigError("report.agent", a, "a seller who has not arrived yet (each arrives once)")
            outs.append(self.arrive(tick, int(a), self._bid(r)))
        return outs

    def arrive(self, tick: int, agent: int, bid: float) -> HireOutcome:
        """Process one arrival with a validated bid; return her outcome (the body of :meth:`step`).

        The quote is fixed before the bid is read; she is hired iff the offer is feasible and
        bid <= threshold, and paid the threshold. Budget feasibility and IR are enforced.
        """
        q = self._stage.quote(agent)  # fixed before the bid is read
        hired = q.hires(bid)
        self._stage.observe(agent, bid, q)
        pay = float(q.threshold) if hired else 0.0
        if hired:
            if pay < bid:
                raise InvariantError(f"{self.spec.name}: seller {agent} paid {pay} < bid {bid} (IR)", "ir")
            self._paid += pay
            self._hired.append(agent)
            if self._paid > self.B * (1 + BUDGET_TOL):
                raise InvariantError(f"{self.spec.name}: payments {self._paid} exceed the budget {self.B}",
                                     "budget_feasible")
        self._remember(agent, tick, q, bid, hired)
        return HireOutcome(agent, tick, hired, pay, q.threshold, bid)

    def _remember(self, agent: int, tick: int, q: Quote, bid: float, hired: bool) -> None:
        """Record a seller's arrival (tick, quote, bid, decision)."""
        self._rec_pos[agent] = self._n_rec
        self._n_rec += 1
        self._rec_open.append((agent, tick, q, bid, hired))
        if len(self._rec_open) == RECORD_CHUNK:
            self._rec_chunks = _RecordChunks([*self._rec_chunks, _RecordChunk(self._rec_open)])
            self._rec_open = []

    def _record(self, agent: int) -> tuple[int, Quote, float, bool] | None:
        """Return (tick, quote, bid, hired) of a seller who arrived, else None."""
        if not (isinstance(agent, (int, np.integer)) and 0 <= agent < self.n) or self._rec_pos[agent] < 0:
            return None
        k = int(self._rec_pos[agent])
        c, r = divmod(k, RECORD_CHUNK)
        rec = self._rec_chunks[c][r] if c < len(self._rec_chunks) else self._rec_open[r]
        return rec[1:]

    def _all_records(self):
        for c in self._rec_chunks:
            yield from c
        yield from self._rec_open

    def unilateral_outcome(self, report: Report, tick: int) -> Outcome:
        """Return the outcome of ``report.agent`` had she declared ``report`` (others unchanged).

        Her quote (threshold, B' at her arrival, feasibility) was fixed before her bid was
        read and depends only on earlier arrivals, so it is the same under any bid.
        """
        a = report.agent
        rec = self._record(a)
        require(rec is not None, "report.agent", a, "a seller who arrived in this run")
        t0, q, _, _ = rec
        bid = self._bid(report)
        hired = q.hires(bid)
        return HireOutcome(a, t0, hired, float(q.threshold) if hired else 0.0, q.threshold, bid)

    # ---- results ----------------------------------------------------------------------
    def hired(self) -> list[int]:
        """Return the hired sellers, in arrival order."""
        return list(self._hired)

    def total_paid(self) -> float:
        """Return the sum of payments."""
        return self._paid

    def value(self) -> float:
        """Return v(A), the value of the hired set."""
        return float(self.v.value(self._hired)) if self._hired else 0.0

    def quotes(self) -> dict[int, Quote]:
        """Return each arrived seller's quote (threshold, B' at arrival, feasibility)."""
        return {rec[0]: rec[2] for rec in self._all_records()}

    def public(self) -> ProcurementPublic:
        """Return the posted state a seller sees before it bids (Mechanisms 2-4, Dynkin).

        The offer to the next seller never depends on her bid, and the mechanism posts it:
        the stage, the single-hire value threshold, or the posted-price loop's t, sets S_j
        and remaining budgets B'_j, from which (with the public v) she computes
        p_i = (B/t) v(i|S) (Mechanism 2 line 7, Mechanism 3 line 11). Mechanism 3/4 fix t at
        the first arrival of N_2 (line 9), so until then ``t`` is None.
        """
        stage, post, single = self._stage, None, None
        if isinstance(stage, SampleThenPost):
            kind, post = ("sample", None) if stage.k < stage.xi else ("posted", stage.post)
        elif isinstance(stage, PostedPrice):
            kind, post = "posted", stage
        else:  # SingleOffer, the only other stage (Mechanism 2 line 2, Dynkin's algorithm)
            single = stage
            kind = "sample" if stage.k < stage.m else ("closed" if stage.done else "single")
        return ProcurementPublic(
            budget=self.B, arrived=self._n_rec, hired=self._hired, paid=self._paid, stage=kind,
            single_threshold=single.theta if kind == "single" else None,
            single_strict=bool(single.strict) if single is not None else False,
            t=post.t if post is not None else None,
            solutions=tuple(post.members) if post is not None else (),
            budget_left=tuple(post.left) if post is not None else (),
            returned=post.chosen if post is not None else None,
            route=post.route if post is not None and len(post.states) == 2 else None)

    def summary(self) -> dict[str, Any]:
        return {**self.branch, **self._stage.info(), "hired": self.hired(), "paid": self._paid,
                "value": self.value(), "budget": self.B}

    # ---- plan builders shared by the mechanisms ------------------------------------------
    def _coin(self, streams, purpose: str) -> float:
        return float(streams.get("mechanism", purpose).random())

    def _posted(self, streams, t: float) -> PostedPrice:
        chosen = 0
        route, coin = "max_marginal", None
        if self.n_solutions == 2:
            chosen = int(streams.get("mechanism", "nm_choice").integers(2))
            route = self.params["route"]
            coin = functools.partial(_route_coin, streams)
            self.branch["chosen_solution"] = chosen
        return PostedPrice(self.v, self.B, t, self.n_solutions, chosen, route, coin)

    def plan_mech2(self, streams, p: float, a: float, z: float) -> Stage:
        """Mechanism 2: with probability p (line 1) hire the first j with v(j) >= a omega / z at B
        (line 2); else the posted-price loop with t = a omega (lines 4-8), over every arrival."""
        if self._coin(streams, "mech2_single") < p:
            self.branch["mech2"] = "single"
            return SingleOffer(self.singles, self.B, 0, a * self.omega / z)
        self.branch["mech2"] = "posted"
        return self._posted(streams, a * self.omega)

    def plan_sampled(self, streams, q: float, a_omega: float, beta: float, k: float) -> Stage:
        """Mechanism 3 (a omega = 0, k = 2) and Mechanism 4: with probability q Dynkin's algorithm
        (lines 1-3); else xi_1 ~ Binomial(n, 1/k) (line 5), T_1 on N_1 (line 7), t = a omega +
        beta v(T_1) (line 9) and the posted-price loop over N_2 (lines 10-12)."""
        if self._coin(streams, "dynkin_or_sample") < q:
            self.branch["mech3"] = "dynkin"
            return SingleOffer(self.singles, self.B, math.floor(self.n / math.e), None, self.params["dynkin_ties"])
        xi = int(streams.get("mechanism", "sample").binomial(self.n, 1.0 / k))
        self.branch["mech3"] = "sample"
        return SampleThenPost(self.v, self.B, xi, a_omega, beta, self.params["sample_solver"],
                              self.params["sviridenko_max"], functools.partial(self._posted, streams))

    def sample_guarantee(self) -> float:
        """Return the guarantee gamma of the sample solver on this market (worst case over N_1);
        NaN for mechanisms without a sample solution (Mechanism 2, Dynkin)."""
        if "sample_solver" not in self.params:
            return math.nan
        return solver_guarantee(self.params["sample_solver"], self.n, self.params["sviridenko_max"])
