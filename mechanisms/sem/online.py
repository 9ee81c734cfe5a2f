"""``sem_online``: SEM for fully online matching, objects arriving too (SEM paper, Section 5.1).

Card
----
- **Market**: :meth:`OnlineSEMMarket.market(arrivals) <mechanisms.sem.online_market.OnlineSEMMarket.market>`
  (kind ``"objects"``): objects, per-period supply distributions H^t, type space and f^t(i),
  horizon T, replica n, shock, immediate departure; ``extra["supply_arrivals"]`` the realised
  S^1..S^T, of which the mechanism reads row t at period t only.
- **Reports**: a :class:`~mechanisms.preferences.WeakOrder` per arriving agent. The arrival
  period is the tick at which the report is made: the mechanism observes it, so it cannot be
  misreported ("an agent's arrival time is verifiable so that a manipulation cannot award her
  more favorable prices", Section 5.1).
- **Period t** (tick t - 1): (1) the realised S^t joins the stock; (2) re-solve a (t)-Lindahl
  equilibrium (Definition 7, :func:`~mechanisms.sem.lindahl.solve_lindahl`) for the period's
  arrivals (empirical masses, as SEM's F~^t) and the later periods' expected types n f^k, on the
  realised stock (S^{t,t}) and the expected future arrivals E[S^k], k > t; (3) give every
  arrival its type's lottery at the period's time-tax prices p^t (budget 1) and draw one
  ex-post allocation by dependent rounding (stream ``("mechanism", "rounding", tick)``),
  irrevocably; the allocated units leave the stock. After T every arrival gets the null option.
- **Outputs**: :class:`~mechanisms.reports.ObjectOutcome` (realised option, lottery).
- **Claims**: ``greedy_online`` (Section 2.1's greedy on the realised stock; Theorem 6:
  "every Lindahl equilibrium allocation is greedy"), ``lindahl_budget`` (each lottery is a
  selection of the Section 5.1 demand at p^{t_i} with budget 1), ``lindahl_clearing``
  (Definition 7's two conditions at every re-solve), ``equal_type_envy_free_within_period``
  (Definition 3, types = arrival periods: agents facing the same prices do not envy each
  other) and ``sp1`` (Definition 6, audited as for SEM: the paper expects the implementation
  "to follow the same steps as our main model").

Parameters (the paper's open choices, Section 5.1: "The implementation for the online problem
is likely to follow the same steps as our main model, though we later note a few subtleties")
-----------------------------------------------------------------------------------------
- ``selection`` (``"lookahead"``): which (t)-Lindahl equilibrium (see :mod:`mechanisms.sem.lindahl`).
- ``resolve`` (``"every_period"``): re-solve at every period on the realised stock and the
  expected future supply (SEM's step 1, Section 4.1, with S^{t,k}); ``"once"`` posts the
  (1)-Lindahl prices of the prior (expected masses and supply) for the whole horizon and
  serves each arrival her lottery demand at p^{t_i}, rationing a period's over-demanded object
  proportionally (the rationed mass goes to the null option) and carrying unused units.
- ``surplus`` (``"offer"``): realised supply above its expectation is offered at once (the
  re-solve's S^{t,t} is the realised stock); ``"hold"`` offers at most the expected stock (what
  was offered before and not allocated, plus E[S^t]) and keeps the rest as a buffer for later
  shortfalls (not greedy on the realised stock: the greedy check flags it).
- ``memoize`` (False): reuse the equilibrium of identical fundamentals across runs (speed only).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError, InvariantError, require
from ..market import Market
from ..mechanism_registry import make_mechanism, register_mechanism
from ..online_mechanism import OnlineMechanism
from ..params import ParamSpec
from ..preferences import WeakOrder
from ..public_state import ObjectsPublic
from ..reports import ObjectOutcome, Outcome, Report
from ..spec import Claim, MechanismSpec
from .demand import lottery_demand, rtb_lottery_quad
from .lindahl import SELECTIONS, LindahlProblem, LindahlResult, check_lindahl, solve_lindahl
from .market import default_budgets, period_masses
from .mechanism import (PAPER, SequentialEquilibriumMechanism, _check_reports, _null_outcomes, _round_and_record,
                        clearing_summary, memoized, objects_public)
from .online_market import ONLINE_BUDGET, OnlineSEMMarket, online_market_of

#: Re-solving rules (see the module docstring).
RESOLVE_RULES = ("every_period", "once")
#: What happens to realised supply above its expectation.
SURPLUS_RULES = ("offer", "hold")


@dataclass
class OnlinePeriodRecord:
    """What ``sem_online`` computed at one tick: its problem, the equilibrium, the served types.

    ``type_of`` maps a declared order to its type index (re-solving), or (period offset, order)
    to the prior's type index (``resolve = "once"``).
    """

    tick: int
    problem: LindahlProblem
    result: LindahlResult
    type_of: dict[Any, int]
    stock_before: np.ndarray
    offered: np.ndarray

    def plan(self) -> dict[str, Any]:
        """Return the posted time-tax prices p^t..p^T and the later types' planned lotteries."""
        fut = [(int(self.problem.offsets[i]), self.problem.orders[i], float(self.problem.masses[i]),
                self.result.lotteries[i].copy()) for i in range(len(self.problem.orders)) if self.problem.offsets[i] > 0]
        return {"prices": self.result.prices.copy(), "future": fut}


@register_mechanism
class OnlineSEM(OnlineMechanism):
    """Fully online SEM: time-tax (t)-Lindahl equilibria re-solved every period (Section 5.1).

    The market must come from :meth:`OnlineSEMMarket.market`. Tick k of the run is period k + 1.
    """

    spec = MechanismSpec(
        name="sem_online",
        title="Fully online Sequential Equilibrium Mechanism (time-tax Lindahl prices)",
        market_kinds=("objects",),
        paper=PAPER + ", Section 5.1",
        params=(
            ParamSpec("selection", "lookahead", "which (t)-Lindahl equilibrium: 'lookahead' = SEM's period "
                      "equilibrium informed by later types, its decreasing budgets turned into the time tax "
                      "(no tie-breaking only); 'static' = each period from its own types (the proof's induction)",
                      source="Section 4.1 ('SEM defines a class of mechanisms that depend on the equilibrium "
                             "selection'); Section 5.1, proof of Theorem 6 (Claim 1)", choices=SELECTIONS),
            ParamSpec("resolve", "every_period", "re-solve at every period on the realised stock and expected "
                      "future supply ('every_period'), or post the prior's (1)-Lindahl prices once ('once')",
                      source="Section 5.1: 'The implementation for the online problem is likely to follow the "
                             "same steps as our main model' (Section 4.1, step 1)", choices=RESOLVE_RULES),
            ParamSpec("surplus", "offer", "realised supply above expectation: offered at once ('offer') or held "
                      "as a buffer beyond the expected stock ('hold')",
                      source="Section 5.1 (S^{t,k} = sum E[S^n]; the realised stock is the period's supply when "
                             "re-solving)", choices=SURPLUS_RULES),
            ParamSpec("plan", "full", "how much of the (t)-Lindahl equilibrium each re-solve computes: the whole "
                      "time-tax plan p^t..p^T ('full', posted and checked against Definition 7 for every k >= t) "
                      "or period t only ('current': the same allocations, since the induction's period-t step "
                      "never depends on later steps; Definition 7 is then checked at k = t)",
                      source="Section 5.1, proof of Theorem 6 (Claim 1: the induction over k >= t)",
                      choices=("full", "current")),
            ParamSpec("memoize", False, "reuse the equilibrium of identical fundamentals across runs in this "
                      "process (a pure speed-up; results identical)", choices=(False, True)),
        ),
        claims=(
            Claim("greedy_online", "Section 2.1 (greedy online mechanism) on the realised stock; Theorem 6 "
                  "('every Lindahl equilibrium allocation is greedy'), proof Claim 2",
                  "Assumptions 1-3 with budget 1 (xi_upper < 1); immediate departure; resolve = every_period, "
                  "surplus = offer"),
            Claim("lindahl_budget", "Section 5.1 demand formula (p^{t_i} . a_i <= 1): every lottery a selection "
                  "of L_i(p^{t_i})", "Assumptions 1-3"),
            Claim("lindahl_clearing", "Definition 7 (conditions 1 and 2) at every period's re-solve; Theorem 6 "
                  "(existence)", "Assumptions 1 and 2; resolve = every_period"),
            Claim("equal_type_envy_free_within_period", "Definition 3 with the arrival period as the type "
                  "(Theorem 4's order): agents of one period face the same prices p^t",
                  "Assumption 3"),
            Claim("sp1", "Definition 6; Corollary 1 (main model), audited for Section 5.1's implementation",
                  "replica markets M_n, n -> infinity; l-regular (NTB)"),
        ),
        incremental=False,
        public_state=ObjectsPublic,
    )

    def validate(self) -> None:
        self.online, self.arrivals = online_market_of(self.market)
        caps = tuple(int(c) for c in self.market.goods.capacities)
        expected = tuple(int(v) for v in self.arrivals.sum(axis=0))
        if caps != expected or tuple(self.market.goods.names) != self.online.objects:
            raise ConfigError("market.goods", list(zip(self.market.goods.names, caps)),
                              f"the objects with the realised total supply {list(zip(self.online.objects, expected))}")
        if self.params["selection"] == "lookahead" and self.online.shock.tie_breaking != "none":
            raise ConfigError("mechanism.params.selection", "lookahead",
                              '"static" under random tie-breaking (the look-ahead time tax is exact under '
                              "Assumption 4 only)")

    def start(self, streams) -> None:
        super().start(streams)
        m = self.online.m
        self._stock = np.zeros(m)
        self._carry = np.zeros(m)          # offered earlier and not allocated (surplus = "hold")
        self._records: dict[int, OnlinePeriodRecord] = {}
        self._plan: OnlinePeriodRecord | None = None
        self._public: dict[str, Any] = {"stock": self._stock.tolist()}
        self._seen = -1

    # ---- supply ---------------------------------------------------------------------------
    def _receive(self, tick: int) -> None:
        """Add the realised arrivals of every period up to ``tick`` not yet received (row t at period t)."""
        while self._seen < tick:
            self._seen += 1
            if self._seen < self.online.horizon:
                self._stock += self.arrivals[self._seen]

    def _offered(self, tick: int) -> np.ndarray:
        if self.params["surplus"] == "offer":
            return self._stock.copy()
        exp = self._carry + self.online.expected_supply()[tick]
        return np.minimum(self._stock, exp)

    # ---- the period's fundamentals -------------------------------------------------------
    def problem_for(self, tick: int, declared: Sequence[WeakOrder], supply_now: np.ndarray
                    ) -> tuple[LindahlProblem, dict[WeakOrder, int]]:
        """Return the (t)-Lindahl problem of period t = tick + 1 and the arrivals' type index.

        Masses: each realised arrival counts 1; each later period k contributes n f^k(i).
        Supply: row 0 the realised stock offered now, row k - t the expected arrivals E[S^k].
        """
        t = tick + 1
        mk = self.online
        orders, masses, offsets, type_of = period_masses(mk, t, declared)
        supply = np.vstack([supply_now[None, :], mk.expected_supply()[t:]])
        budgets = default_budgets(mk.horizon, mk.shock)[t - 1:]
        pb = LindahlProblem(orders, masses, offsets, supply, mk.shock, lookahead_budgets=budgets)
        return pb, type_of

    def solve(self, problem: LindahlProblem) -> LindahlResult:
        """Return the (t)-Lindahl equilibrium of ``problem`` (a mutant may override this)."""
        return solve_lindahl(problem, self.params["selection"],
                             steps=1 if self.params["plan"] == "current" else None)

    def _prior_plan(self) -> OnlinePeriodRecord:
        """The (1)-Lindahl equilibrium of the prior (expected masses and supply): ``resolve = "once"``."""
        mk = self.online
        orders, masses, offsets, type_of = [], [], [], {}
        for k in range(1, mk.horizon + 1):
            for order, f in mk.period_types(k):
                type_of[(k - 1, order)] = len(orders)
                orders.append(order)
                masses.append(mk.replica * f)
                offsets.append(k - 1)
        pb = LindahlProblem(tuple(orders), np.array(masses), np.array(offsets, dtype=np.int64),
                            mk.expected_supply(), mk.shock, lookahead_budgets=default_budgets(mk.horizon, mk.shock))
        return OnlinePeriodRecord(-1, pb, self.solve(pb), type_of, np.zeros(mk.m), np.zeros(mk.m))

    def lottery_at(self, declared: WeakOrder, prices: np.ndarray) -> np.ndarray:
        """Return a selection of ``declared``'s lottery demand at period prices ``prices`` (budget 1)."""
        sh = self.online.shock
        if sh.tie_breaking == "none":
            return lottery_demand(declared, ONLINE_BUDGET, prices, sh).selection()
        return rtb_lottery_quad(declared, ONLINE_BUDGET, prices, sh)

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        m = self.online.m
        _check_reports(reports, m)
        self._receive(tick)
        if not reports:
            return []
        if tick + 1 > self.online.horizon:
            return _null_outcomes(tick, reports, m)  # after T: the market has closed
        declared = [r.declared for r in reports]
        before = self._stock.copy()
        offered = self._offered(tick)
        if self.params["resolve"] == "once":
            if self._plan is None:
                self._plan = self._prior_plan()
            plan = self._plan
            pb, res = plan.problem, plan.result
            prices = res.prices[tick]  # the prior's problem starts at period 1: offset = tick
            # a type of the prior gets its planned lottery; any other report a selection of its demand
            lots = np.array([res.lotteries[plan.type_of[(tick, d)]] if (tick, d) in plan.type_of
                             else self.lottery_at(d, prices) for d in declared])
            want = lots[:, :m].sum(axis=0)
            scale = np.where(want > offered + 1e-12, offered / np.maximum(want, 1e-300), 1.0)
            lots[:, :m] *= scale[None, :]
            lots[:, m] = 1.0 - lots[:, :m].sum(axis=1)
            type_of = plan.type_of
        else:
            key = None
            if self.params["memoize"]:
                # the class and every parameter belong to the key (a mutant overriding solve()
                # must never share the faithful mechanism's equilibria)
                key = (type(self), tuple(sorted(self.params.items())), self.online, tick,
                       frozenset(Counter(declared).items()), offered.tobytes())

            def solve() -> tuple:
                pb, type_of = self.problem_for(tick, declared, offered)
                return pb, type_of, self.solve(pb)

            pb, type_of, res = memoized(key, solve)
            prices = res.prices[0]
            lots = np.array([res.lotteries[type_of[d]] for d in declared])
        remaining = offered.copy()
        outs = _round_and_record(tick, reports, lots, remaining, self.streams.get("mechanism", "rounding", tick),
                                 self.spec.name)
        used = offered - remaining
        self._stock -= used
        if np.any(self._stock < -1e-9):
            raise InvariantError(f"sem_online tick {tick}: stock {self._stock.tolist()} went negative")
        self._carry = offered - used
        self._records[tick] = OnlinePeriodRecord(tick, pb, res, type_of, before, offered)
        self._public = {"tick": tick, "prices": np.asarray(prices).tolist(), "stock": self._stock.tolist(),
                        "clearing_error": res.clearing_error}
        return outs

    # ---- what the checks read ------------------------------------------------------------
    def records(self) -> dict[int, OnlinePeriodRecord]:
        """Return the per-tick records."""
        return dict(self._records)

    def plan(self, tick: int) -> dict[str, Any] | None:
        """Return the time-tax prices p^t..p^T posted at ``tick`` and the later types' planned lotteries.

        With ``resolve = "once"`` the prior's plan from period t on. None for a tick without arrivals.
        """
        rec = self._records.get(tick)
        if rec is None:
            return None
        if self.params["resolve"] != "once":
            if self.params["plan"] == "current":
                return {"prices": rec.result.prices[:1].copy(), "future": [], "periods": 1}
            return rec.plan()
        full = rec.plan()
        fut = [(o - tick, order, mass, lot) for o, order, mass, lot in full["future"] if o > tick]
        return {"prices": full["prices"][tick:], "future": fut}

    def remaining(self) -> np.ndarray:
        return self._stock

    def public(self) -> ObjectsPublic:
        """Return the stock on hand and the last period's spot prices (Section 5)."""
        return objects_public(self._public, "stock")

    def summary(self) -> dict[str, Any]:
        return {**clearing_summary(self._records),
                "prices": {t: np.asarray(r.result.prices)[:1 if self.params["plan"] == "current" else None].tolist()
                           for t, r in self._records.items()},
                "stock": self._stock.tolist()}


# ---------------------------------------------------------------------------------------
# Baselines and the upfront reference of the placement experiment (mechanisms.sem.online_experiments)
# ---------------------------------------------------------------------------------------
@register_mechanism
class ArrivingSupply(OnlineMechanism):
    """Run an objects mechanism on supply that arrives over time (for the experiment's baselines).

    The inner mechanism is built on the same market (capacities = realised totals); at start its
    remaining supply is emptied and, before each period, that period's realised arrivals are added
    to it in place. Requires an inner mechanism whose :meth:`remaining` returns the array it
    allocates from (SD, SD-RTB, EPS do); the protocol's capacity check catches any other.
    """

    spec = MechanismSpec(
        name="arriving_supply", title="An objects mechanism served from supply that arrives over time",
        market_kinds=("objects",), paper="SEM paper, Section 5.1 (supply S^t arriving at t)",
        params=(ParamSpec("inner", "sd_rtb", "the registered objects mechanism to serve (SD-RTB, serial "
                          "dictatorship, RSD or period EPS)", choices=("sd_rtb", "sd", "rsd", "eps")),
                ParamSpec("inner_params", {}, "its parameters", check=lambda v: isinstance(v, dict),
                          expected="a table of parameters")),
        claims=(),  # a baseline of the placement experiment: the inner mechanism's claims assume
                    # supply known at the start, so none is declared here
    )

    def validate(self) -> None:
        self.online, self.arrivals = online_market_of(self.market)
        self.inner = make_mechanism(self.params["inner"], self.market, self.params["inner_params"])

    def start(self, streams) -> None:
        super().start(streams)
        self.inner.start(streams)
        rem = self.inner.remaining()
        if not isinstance(rem, np.ndarray):
            raise ConfigError("mechanism.params.inner", self.params["inner"], "a mechanism exposing its remaining supply")
        rem[:] = 0.0
        self._seen = -1

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        rem = self.inner.remaining()
        while self._seen < tick:
            self._seen += 1
            if self._seen < self.online.horizon:
                rem += self.arrivals[self._seen]
        return self.inner.step(tick, reports)

    def remaining(self) -> np.ndarray:
        return self.inner.remaining()


@register_mechanism
class UpfrontSEM(SequentialEquilibriumMechanism):
    """SEM with every home of the horizon present at the start (the experiment's upper reference).

    The market's goods carry the realised totals; the SEM market in ``extra["sem"]`` supplies the
    type space, replica size, budgets and shock. Only the initial remaining supply differs from
    ``sem`` (which requires it to equal n S).
    """

    spec = MechanismSpec(
        name="sem_upfront", title="SEM with every arriving object present at the start (reference)",
        market_kinds=("objects",), paper=PAPER + ", Section 4.1 (reference for Section 5.1)",
        params=SequentialEquilibriumMechanism.spec.params,
        claims=(),  # not an online mechanism on this market: it allocates objects before they arrive
        incremental=False,
        public_state=ObjectsPublic,
    )

    def validate(self) -> None:
        from .market import sem_market_of

        self.sem = sem_market_of(self.market)

    def start(self, streams) -> None:
        super().start(streams)
        self._remaining[:] = self.market.goods.capacity.astype(np.float64)


def upfront_market(mk: OnlineSEMMarket, arrivals: np.ndarray) -> Market:
    """Return the market of :class:`UpfrontSEM`: realised total supply, SEM fundamentals of ``mk``."""
    m = mk.market(arrivals)
    m.extra = dict(m.extra, sem=mk.upfront_sem(arrivals))
    return m


# ---------------------------------------------------------------------------------------
# Checks of the claims on a run (pure functions; the auditor's wrappers are in abm.audit.claims)
# ---------------------------------------------------------------------------------------
def _run_arrays(run) -> tuple[OnlineSEMMarket, np.ndarray, list[ObjectOutcome]]:
    mk, arrivals = online_market_of(run.config.market)
    outs = sorted((o for o in run.outcomes.values() if isinstance(o, ObjectOutcome)), key=lambda o: (o.tick, o.agent))
    return mk, arrivals, outs


def stock_path(arrivals: np.ndarray, ticks: Sequence[int], objects: Sequence[int], n_ticks: int) -> np.ndarray:
    """Return the realised stock at the start of every tick (after that tick's supply arrives), (n_ticks, m).

    Computed from the realised arrivals and the realised objects only (not from the mechanism).
    """
    T, m = arrivals.shape
    arr = np.zeros((max(n_ticks, T, max((int(t) for t in ticks), default=-1) + 1), m))
    arr[:T] = arrivals
    used = np.zeros((arr.shape[0], m))
    for t, x in zip(ticks, objects):
        if x < m:
            used[t, x] += 1
    return np.cumsum(arr, axis=0) - np.vstack([np.zeros((1, m)), np.cumsum(used, axis=0)[:-1]])


def online_greedy_violations(orders: Sequence[WeakOrder], ticks: Sequence[int], lotteries: Sequence[Sequence[float]],
                             objects: Sequence[int], arrivals: np.ndarray, tol: float = 1e-9) -> list[dict[str, Any]]:
    """Return the greedy violations of a run whose supply arrives over time (Section 2.1; Theorem 6).

    Greedy (Section 2.1) with the supply present at t_i: if agent i gets y with positive
    probability and prefers x to y, then the stock of x at t_i (realised arrivals up to t_i
    minus earlier realised allocations) is used up by the period-t_i lotteries (``"lottery"``)
    and, ex post, no unit of x is left after period t_i (``"ex_post"``: later arrivals of x
    may go to later agents; a unit present at t_i may not). Returns one dict per violation.
    """
    n = len(orders)
    require(len(ticks) == n == len(lotteries) == len(objects), "agents", n, "one order, tick, lottery, object each")
    if n == 0:
        return []
    m = arrivals.shape[1]
    n_ticks = int(max(ticks)) + 1
    stock = stock_path(arrivals, ticks, objects, n_ticks)
    L = np.array([np.asarray(v, dtype=np.float64) for v in lotteries])
    tk = np.asarray(ticks)
    per_tick = np.zeros((n_ticks, m))
    real = np.zeros((n_ticks, m))
    np.add.at(per_tick, tk, L[:, :m])
    for t, x in zip(ticks, objects):
        if x < m:
            real[t, x] += 1
    out = []
    for k in range(n):
        t, order = int(tk[k]), orders[k]
        for y in np.flatnonzero(L[k] > tol):
            for x in range(m):
                if order.rank[x] < order.rank[y]:
                    if per_tick[t, x] < stock[t, x] - 1e-7:
                        out.append({"agent": k, "tick": t, "got": int(y), "preferred": x, "kind": "lottery",
                                    "used": float(per_tick[t, x]), "stock": float(stock[t, x])})
                    elif real[t, x] < stock[t, x] - 1e-9:
                        out.append({"agent": k, "tick": t, "got": int(y), "preferred": x, "kind": "ex_post",
                                    "left": float(stock[t, x] - real[t, x])})
    return out


def run_greedy(run, orders: Sequence[WeakOrder] | None = None) -> dict[str, Any]:
    """Return ``{"ok", "violations", "agents", "detail"}``: :func:`online_greedy_violations` on ``run``.

    ``orders`` (one per outcome, in (tick, agent) order) default to the declared reports.
    Agents arriving after the horizon T (the market has closed) are outside the claim.
    """
    mk, arrivals, outs = _run_arrays(run)
    declared = {r.agent: r.declared for t in run.schedule for r in t}
    orders = [declared[o.agent] for o in outs] if orders is None else list(orders)
    # arrivals after the horizon T meet a closed market (Section 4.1, step 3): outside the claim
    keep = [k for k, o in enumerate(outs) if o.tick < mk.horizon]
    outs, orders = [outs[k] for k in keep], [orders[k] for k in keep]
    lots = []
    for o in outs:
        if o.lottery is None:
            v = np.zeros(mk.m + 1)
            v[o.obj] = 1.0
            lots.append(v)
        else:
            lots.append(np.asarray(o.lottery))
    bad = online_greedy_violations(orders, [o.tick for o in outs], lots, [o.obj for o in outs], arrivals)
    detail = f"{len(outs)} agents"
    if bad:
        v = bad[0]
        a = outs[v["agent"]].agent
        detail = (f"{len(bad)} greedy violation(s); e.g. agent {a} (period {v['tick'] + 1}) got object {v['got']} "
                  f"with positive probability although it prefers object {v['preferred']}, "
                  + (f"of which only {v['used']:g} of the {v['stock']:g} units in stock were allotted"
                     if v["kind"] == "lottery" else f"of which {v['left']:g} unit(s) in stock were left"))
    return {"ok": not bad, "violations": bad, "agents": [o.agent for o in outs], "detail": detail}


def rebuild_problem(run, tick: int) -> tuple[LindahlProblem, list[ObjectOutcome], np.ndarray, np.ndarray] | None:
    """Return the (t)-Lindahl problem of ``tick`` rebuilt from public data, its arrivals and posted prices.

    Types: one per arrival of the tick (mass 1, its declared order, its outcome's lottery) and
    the mechanism's planned later types (expected masses n f^k recomputed from the market);
    supply: the realised stock at the tick (from the realised arrivals and outcomes) and the
    expected arrivals E[S^k] of the market. Returns (problem, arrivals' outcomes, lotteries of
    every type, posted prices (K, m)), or None when the mechanism posted no plan for the tick.
    """
    mech = run.mechanism
    plan_of = getattr(mech, "plan", None)
    if plan_of is None:
        return None
    plan = plan_of(tick)
    if plan is None:
        return None
    mk, arrivals, outs = _run_arrays(run)
    t = tick + 1
    if t > mk.horizon:
        return None
    stock = stock_path(arrivals, [o.tick for o in outs], [o.obj for o in outs], max(tick + 1, 1))[tick]
    declared = {r.agent: r.declared for r in run.schedule[tick]}
    now = [o for o in outs if o.tick == tick]
    orders = [declared[o.agent] for o in now]
    masses = [1.0] * len(now)
    offsets = [0] * len(now)
    lots = [np.asarray(o.lottery, dtype=np.float64) for o in now]
    horizon = mk.horizon if plan.get("periods") is None else min(mk.horizon, t - 1 + int(plan["periods"]))
    prior = {(k - t, order): mk.replica * f for k in range(t + 1, horizon + 1) for order, f in mk.period_types(k)}
    seen = set()
    for off, order, _mass, lot in plan["future"]:
        require((off, order) in prior, f"plan[{tick}]", (off, order), "a later type of the market's prior")
        orders.append(order)
        masses.append(prior[(off, order)])
        offsets.append(off)
        lots.append(np.asarray(lot, dtype=np.float64))
        seen.add((off, order))
    require(seen == set(prior), f"plan[{tick}]", sorted(seen, key=str), "every later type of the prior planned once")
    supply = np.vstack([stock[None, :], mk.expected_supply()[t:horizon]])
    pb = LindahlProblem(tuple(orders), np.array(masses), np.array(offsets, dtype=np.int64), supply, mk.shock)
    prices = np.asarray(plan["prices"], dtype=np.float64)
    return pb, now, (np.array(lots) if lots else np.zeros((0, mk.m + 1))), prices


def run_lindahl(run, tol: float = 1e-8) -> dict[str, Any]:
    """Return Definition 7 and the budget condition checked at every tick of ``run``.

    For each tick with arrivals, :func:`rebuild_problem` then :func:`~mechanisms.sem.lindahl.check_lindahl`
    on the posted time-tax prices. Returns ``{"clearing_ok", "budget_ok", "max_clearing_error",
    "clearing_detail", "budget_detail", "ticks"}``; ``budget`` is the selection condition for
    the arrivals served, ``clearing`` the two conditions of Definition 7 and the later types'
    planned lotteries being selections.
    """
    ticks, worst, c_detail, b_detail = 0, 0.0, "", ""
    c_ok = b_ok = True
    for tick in range(len(run.schedule)):
        if not run.schedule[tick]:
            continue
        got = rebuild_problem(run, tick)
        if got is None:
            continue
        pb, now, lots, prices = got
        ticks += 1
        res = check_lindahl(pb, prices, lots, tol=tol)
        worst = max(worst, res["clearing_error"])
        served_bad = [i for i in res["bad_types"] if i < len(now)]
        plan_bad = [i for i in res["bad_types"] if i >= len(now)]
        if served_bad and b_ok:
            b_ok = False
            o = now[served_bad[0]]
            b_detail = (f"{len(served_bad)} agent(s) of period {tick + 1} got a lottery that is not a selection of "
                        f"their demand at the posted p^{tick + 1} (budget 1); e.g. agent {o.agent}")
        if (res["clearing_error"] > tol or plan_bad or not res["prices_ok"]) and c_ok:
            c_ok = False
            f = res["first"]
            if f is not None:
                c_detail = (f"period {tick + 1}: condition {f['condition']} of Definition 7 fails at k = "
                            f"{tick + 1 + f['period_offset']} for object {f['object']} (cumulative demand "
                            f"{f['demand']:.6g}, supply {f['supply']:.6g}, price {f['price']:.6g})")
            else:
                c_detail = f"period {tick + 1}: planned lotteries are not selections of demand, or negative prices"
    return {"clearing_ok": c_ok, "budget_ok": b_ok, "max_clearing_error": worst, "ticks": ticks,
            "clearing_detail": c_detail or f"{ticks} re-solves, max clearing error {worst:.3g}",
            "budget_detail": b_detail or f"every served lottery is a selection at its period's prices ({ticks} periods)"}


def within_period_envy(run, orders: Sequence[WeakOrder] | None = None) -> dict[str, Any]:
    """Return ``{"ok", "pairs", "detail"}``: envy between agents of the same period (Definition 3, types = periods)."""
    from ..checks.lottery import equal_type_envy_violations

    mk, _, outs = _run_arrays(run)
    declared = {r.agent: r.declared for t in run.schedule for r in t}
    orders = [declared[o.agent] for o in outs] if orders is None else list(orders)
    pairs = []
    by_tick: dict[int, list[int]] = {}
    for k, o in enumerate(outs):
        by_tick.setdefault(o.tick, []).append(k)
    for t, idx in by_tick.items():
        if any(outs[k].lottery is None for k in idx):
            continue
        A = np.array([outs[k].lottery for k in idx])
        for i, j in equal_type_envy_violations([orders[k] for k in idx], A, [t] * len(idx)):
            pairs.append((outs[idx[i]].agent, outs[idx[j]].agent, t))
    detail = "no envy within a period"
    if pairs:
        a, b, t = pairs[0]
        detail = (f"{len(pairs)} envious pair(s) within a period; e.g. agent {a} prefers, by stochastic dominance, "
                  f"the lottery of agent {b} (both period {t + 1})")
    return {"ok": not pairs, "pairs": pairs, "detail": detail}
