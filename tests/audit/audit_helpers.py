"""Shared markets and toy mechanisms for the auditor's tests (seeds pinned)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mechanisms import BundleRanking, Cost, Goods, Market, Report, WeakOrder
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.params import ParamSpec
from mechanisms.reports import HireOutcome, ObjectOutcome
from mechanisms.spec import Claim, MechanismSpec


def contested_bundles(n_ticks: int = 4, per_tick: int = 3, m: int = 4, seed: int = 3, top: int | None = 6):
    """Return (market, true types, truthful schedule): correlated scores, unit capacities, batches.

    ``top=6`` keeps the six best bundles (all pairs); ``top=None`` keeps every bundle of one or
    two goods, so singletons are acceptable and a gain of two goods exceeds one object.
    """
    rng = np.random.default_rng(seed)
    goods = Goods.uniform(m, 1)
    market = Market("bundles", goods, max_bundle_size=2)
    base = np.linspace(1.0, 0.4, m)
    types = {i: BundleRanking.from_scores(base + 0.3 * rng.random(m), 2, top=top)
             for i in range(n_ticks * per_tick)}
    schedule = [[Report(i, types[i]) for i in range(t * per_tick, (t + 1) * per_tick)] for t in range(n_ticks)]
    return market, types, schedule


class ToyPostedPrice(OnlineMechanism):
    """A posted-price procurement toy: hire a seller whose bid is at most ``price`` while the
    budget lasts, pay ``price``. Truthful, IR and budget feasible: the control of the toy mutants."""

    spec = MechanismSpec(
        name="toy_posted_price", title="toy posted price", market_kinds=("procurement",), paper="test toy",
        params=(ParamSpec("price", 0.5, "posted price"),),
        claims=(Claim("universal_truthfulness", "toy"), Claim("budget_feasible", "toy"), Claim("ir", "toy")),
        incremental=True)

    def start(self, streams) -> None:
        super().start(streams)
        self.spent = 0.0
        self.at_arrival: dict[int, float] = {}

    def pay(self, bid: float) -> float:
        return self.params["price"]

    def offer(self, bid: float, spent: float) -> tuple[bool, float]:
        p = self.pay(bid)
        ok = bid <= self.params["price"] and spent + p <= self.market.extra["budget"] + 1e-12
        return ok, p if ok else 0.0

    def step(self, tick: int, reports: Sequence[Report]):
        outs = []
        for r in reports:
            self.at_arrival[r.agent] = self.spent
            ok, p = self.offer(r.declared.value, self.spent)
            self.spent += p
            outs.append(HireOutcome(r.agent, tick, ok, p, self.params["price"], r.declared.value))
        return outs

    def unilateral_outcome(self, report: Report, tick: int):
        ok, p = self.offer(report.declared.value, self.at_arrival[report.agent])
        return HireOutcome(report.agent, tick, ok, p, self.params["price"], report.declared.value)


class ToyPayBid(ToyPostedPrice):
    """Mutant: pays the bid (truthfulness breaks: overbidding up to the price pays more)."""

    def pay(self, bid: float) -> float:
        return bid


class ToyOverspend(ToyPostedPrice):
    """Mutant: ignores the budget."""

    def offer(self, bid: float, spent: float) -> tuple[bool, float]:
        ok = bid <= self.params["price"]
        return ok, self.params["price"] if ok else 0.0


class ToyUnderpay(ToyPostedPrice):
    """Mutant: pays half the price (hired sellers bidding above that are paid below their bid)."""

    def pay(self, bid: float) -> float:
        return 0.5 * self.params["price"]


def procurement_setup(n: int = 20, budget: float = 3.0, seed: int = 5):
    """Return (market, true costs, schedule) with costs U[0, 1), one seller per tick."""
    rng = np.random.default_rng(seed)
    market = Market("procurement", n_agents=n, extra={"budget": budget})
    types = {i: Cost(float(round(rng.random(), 3))) for i in range(n)}
    return market, types, [[Report(i, types[i])] for i in range(n)]


class ToyLottery(OnlineMechanism):
    """Objects toy: each agent gets the uniform lottery over its two best acceptable objects (no
    capacities). An agent listing a single acceptable object gets it for sure: misreporting by
    truncation yields a strictly dominating lottery (an SP1 and strategyproofness mutant);
    ``faithful=True`` gives the uniform lottery over the top two objects of the TRUE-preference-free
    rule "always both objects 0 and 1", which no report can change."""

    spec = MechanismSpec(name="toy_lottery", title="toy lottery", market_kinds=("objects",), paper="test toy",
                         params=(ParamSpec("faithful", False, "ignore reports"),),
                         claims=(Claim("strategyproof", "toy"), Claim("sp1", "toy")))

    def step(self, tick: int, reports: Sequence[Report]):
        outs = []
        n = self.market.goods.m
        for r in reports:
            lot = np.zeros(n + 1)
            acc = [0, 1] if self.params["faithful"] else list(r.declared.acceptable[:2])
            if not acc:
                lot[n] = 1.0
            else:
                lot[acc] = 1.0 / len(acc)
            obj = int(acc[0]) if acc else n
            outs.append(ObjectOutcome(r.agent, tick, obj, tuple(lot)))
        return outs


def lottery_setup(n: int = 12, seed: int = 2):
    """Return (market, true weak orders, schedule): 4 objects, 3 agents per tick."""
    rng = np.random.default_rng(seed)
    goods = Goods.uniform(4, 100)
    market = Market("objects", goods)
    types = {i: WeakOrder.strict(list(rng.permutation(4)[:3]), 4) for i in range(n)}
    return market, types, [[Report(i, types[i]) for i in range(t, t + 3)] for t in range(0, n, 3)]


def ocam_market(n: int = 200, seed: int = 1):
    """Return (market, true types, schedule, params): 8 goods, bundles of up to 3, equal popularity.

    eps_n = eps_f = 0.5 (a sample of ceil(n/16) agents); one agent per tick.
    """
    from mechanisms.ocam.markets import random_market

    market, ranks = random_market(n, 8, 3, np.random.default_rng(seed), n_types=8, top=None,
                                  capacity_factor=0.5, popularity=0.0)
    types = dict(enumerate(ranks))
    return market, types, [[Report(i, types[i])] for i in range(n)], {"eps_n": 0.5, "eps_f": 0.5}


def sem_market(n: int = 2, seed: int = 1):
    """Return (market, true types, schedule): three objects, T = 4, n arrivals per period."""
    from mechanisms.sem import SEMMarket, arrival_schedule, sample_arrivals

    mk = SEMMarket.stationary(["a", "b", "c"], [1, 1, 1],
                              {"a > b > c > o": 0.4, "b > a > o > c": 0.3, "{a,b} > c > o": 0.3},
                              horizon=4, replica=n)
    sched, types = arrival_schedule(sample_arrivals(mk, None, np.random.default_rng(seed)))
    return mk.market(), types, sched


def bf_market(n: int = 40, seed: int = 4):
    """Return (market, true costs, schedule): additive valuation, B = 1, costs U[0, 0.3), random order."""
    from mechanisms.procurement import Additive, PredictionModel, procurement_market

    rng = np.random.default_rng(seed)
    v = Additive(rng.random(n))
    costs = rng.random(n) * 0.3
    market = procurement_market(v, 1.0, PredictionModel(0.0), costs=costs)
    types = {i: Cost(float(c)) for i, c in enumerate(costs)}
    return market, types, [[Report(int(i), types[int(i)])] for i in rng.permutation(n)]
