"""Best-response search: finds planted deviations that brute force knows, finds none for SD."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms import (BundleOutcome, BundleRanking, Cost, Goods, HireOutcome, Market, MechanismSpec,
                        OnlineMechanism, Report, WeakOrder, make_mechanism, run_schedule)
from mechanisms.baselines import pick_bundle
from mechanisms.errors import ConfigError
from strategies.search import (best_response, coalition_best_response, cost_search, exhaustive_search,
                               local_search, report_space, report_space_size)


class TruncationPriority(OnlineMechanism):
    """Mutant (deliberately manipulable): within a tick, agents declaring exactly K bundles choose first."""

    K = 2
    spec = MechanismSpec(name="planted_truncation_priority", title="test mutant", market_kinds=("bundles",),
                         paper="test")

    def start(self, streams) -> None:
        super().start(streams)
        self.rem = self.market.goods.capacity.astype(float).copy()

    def step(self, tick, reports):
        order = sorted(range(len(reports)), key=lambda i: (len(reports[i].declared.bundles) != self.K, i))
        outs = [None] * len(reports)
        for i in order:
            b = pick_bundle(reports[i].declared, self.rem)
            self.rem -= (b >> np.arange(self.rem.size)) & 1
            outs[i] = BundleOutcome(reports[i].agent, tick, b)
        return outs


class TwinPriority(TruncationPriority):
    """Mutant: agents 0 and 1 choose first in their tick when they declare the same ranking."""

    def step(self, tick, reports):
        by = {r.agent: r.declared for r in reports}
        twins = 0 in by and 1 in by and by[0] == by[1]
        order = sorted(range(len(reports)), key=lambda i: (not (twins and reports[i].agent in (0, 1)), i))
        outs = [None] * len(reports)
        for i in order:
            b = pick_bundle(reports[i].declared, self.rem)
            self.rem -= (b >> np.arange(self.rem.size)) & 1
            outs[i] = BundleOutcome(reports[i].agent, tick, b)
        return outs


class PayYourBid(OnlineMechanism):
    """Mutant procurement: hire when bid <= CAP and pay the bid (manipulable: bid up to CAP)."""

    CAP = 3.0
    spec = MechanismSpec(name="planted_pay_your_bid", title="test mutant", market_kinds=("procurement",), paper="test")

    def step(self, tick, reports):
        return [HireOutcome(r.agent, tick, r.declared.value <= self.CAP,
                            r.declared.value if r.declared.value <= self.CAP else 0.0) for r in reports]


class PostedPrice(PayYourBid):
    """Truthful control: hire when bid <= CAP and pay CAP (a posted price)."""

    def step(self, tick, reports):
        return [HireOutcome(r.agent, tick, r.declared.value <= self.CAP,
                            self.CAP if r.declared.value <= self.CAP else 0.0) for r in reports]


def rank_gain(true, o_truth, o_dev) -> float:
    """Gain under the true type: bundle rank (bundles) or class rank (objects) improvement."""
    if isinstance(true, BundleRanking):
        return float(true.rank(o_truth.bundle) - true.rank(o_dev.bundle))
    return float(true.rank[o_truth.obj] - true.rank[o_dev.obj])


def replay_evaluator(factory, schedule, true_types, seed=0, objective=sum):
    """Return evaluate(reports): the deviators' gains by full replay under common random numbers."""
    truth = run_schedule(factory, schedule, seed).outcomes

    def evaluate(reports):
        dev = run_schedule(factory, schedule, seed, deviations=reports, record_public=False).outcomes
        return objective([rank_gain(true_types[a], truth[a], dev[a]) for a in sorted(reports)])

    return evaluate


def utility_evaluator(factory, agent, cost):
    truth = run_schedule(factory, [[Report(agent, cost)]], 0).outcomes[agent]
    u = lambda o: o.payment - cost.value if o.hired else 0.0  # noqa: E731

    def evaluate(reports):
        return u(run_schedule(factory, [[Report(agent, reports[agent])]], 0).outcomes[agent]) - u(truth)

    return evaluate


GOODS4 = Goods(("a", "b", "c", "d"), (1, 1, 1, 1))
M4 = Market("bundles", GOODS4, max_bundle_size=1)


def test_exhaustive_search_finds_the_planted_deviation_brute_force_knows():
    rival = BundleRanking(4, (1, 2, 4, 8))
    me = BundleRanking(4, (1, 2, 4))
    types = {0: rival, 1: me}
    sched = [[Report(0, rival), Report(1, me)]]
    factory = lambda: TruncationPriority(M4)  # noqa: E731
    ev = replay_evaluator(factory, sched, types)
    brute = max(ev({1: r}) for r in report_space(me))
    assert brute == 1.0  # truth gives me {b}; declaring two bundles, {a} first, gives {a}
    res = exhaustive_search(1, me, ev, budget=1000)
    assert res.found and res.complete and res.gain == brute
    assert len(res.best[1].bundles) == TruncationPriority.K and res.best[1].bundles[0] == 1
    assert ev(res.best) == res.gain
    assert res.replays == report_space_size(me) - 1  # every report but the truth, once
    # The same search on the truthful control (sd) finds nothing.
    sd = replay_evaluator(lambda: make_mechanism("sd", M4), sched, types)
    res = exhaustive_search(1, me, sd, budget=1000)
    assert not res.found and res.complete and res.gain == 0.0


def test_local_search_finds_the_planted_deviation_in_a_large_space():
    m = 8
    goods = Goods(tuple(f"g{j}" for j in range(m)), (1,) * m)
    market = Market("bundles", goods, max_bundle_size=2)
    scores = np.linspace(2.0, 1.0, m)
    me = BundleRanking.from_scores(scores, 2)
    assert len(me.bundles) == 36 and report_space_size(me) > 10**40
    rivals = {a: BundleRanking(m, (1 << (a - 1),)) for a in range(1, 4)}  # take g0, g1, g2 first
    types = {0: me, **rivals}
    sched = [[Report(a, rivals[a]) for a in (1, 2, 3)] + [Report(0, me)]]
    factory = lambda: TruncationPriority(market)  # noqa: E731
    ev = replay_evaluator(factory, sched, types)
    truth_bundle = run_schedule(factory, sched, 0).outcomes[0].bundle
    optimum = float(me.rank(truth_bundle))  # brute force: priority gives the true top bundle (rank 0)
    assert optimum > 10
    res = best_response(0, me, ev, budget=3000, rng=np.random.default_rng(11))
    assert res.method == "local" and res.found and res.replays <= 3000
    assert res.gain == optimum and len(res.best[0].bundles) == TruncationPriority.K
    assert 0 < res.replays_to_best <= res.replays


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["sd", "rsd"]))
def test_no_profitable_deviation_under_serial_dictatorship_bundles(seed, name):
    rng = np.random.default_rng(seed)
    market = Market("bundles", Goods(("a", "b", "c"), (1, 1, 2)), max_bundle_size=2)
    types = {a: BundleRanking.from_scores(rng.random(3), 2, top=4) for a in range(5)}
    sched = [[Report(0, types[0]), Report(1, types[1])], [Report(2, types[2]), Report(3, types[3]), Report(4, types[4])]]
    factory = lambda: make_mechanism(name, market)  # noqa: E731
    ev = replay_evaluator(factory, sched, types, seed=seed)
    agent = int(rng.integers(5))
    res = best_response(agent, types[agent], ev, budget=200)
    assert res.method == "exhaustive" and res.complete and not res.found


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 10_000))
def test_no_profitable_deviation_under_serial_dictatorship_objects(seed):
    rng = np.random.default_rng(seed)
    market = Market("objects", Goods(("a", "b", "c"), (1, 1, 1)))
    types = {a: WeakOrder.strict(list(rng.permutation(4)), 3) for a in range(4)}
    sched = [[Report(a, types[a]) for a in (0, 1)], [Report(a, types[a]) for a in (2, 3)]]
    ev = replay_evaluator(lambda: make_mechanism("sd", market), sched, types, seed=seed)
    agent = int(rng.integers(4))
    res = best_response(agent, types[agent], ev, budget=100)
    assert res.complete and not res.found and res.replays == 74  # 75 weak orders over 4 options, minus truth


def test_local_search_finds_nothing_under_serial_dictatorship():
    m = 8
    market = Market("bundles", Goods(tuple(f"g{j}" for j in range(m)), (1,) * m), max_bundle_size=2)
    rng = np.random.default_rng(2)
    types = {a: BundleRanking.from_scores(rng.random(m), 2) for a in range(6)}
    sched = [[Report(a, types[a]) for a in range(3)], [Report(a, types[a]) for a in range(3, 6)]]
    ev = replay_evaluator(lambda: make_mechanism("sd", market), sched, types)
    res = local_search(4, types[4], ev, budget=400, rng=np.random.default_rng(0))
    assert not res.found and res.replays == 400


def test_cost_search_finds_the_bid_just_below_the_planted_cap():
    c = Cost(1.0)
    market = Market("procurement")
    res = cost_search(0, c, utility_evaluator(lambda: PayYourBid(market), 0, c), budget=200, hi=5.0)
    assert res.found and res.best[0].value <= PayYourBid.CAP
    assert res.gain == pytest.approx(PayYourBid.CAP - 1.0, abs=1e-6)
    res = cost_search(0, c, utility_evaluator(lambda: PostedPrice(market), 0, c), budget=200, hi=5.0)
    assert not res.found and res.gain == 0.0
    res = best_response(0, c, utility_evaluator(lambda: PayYourBid(market), 0, c), budget=10, hi=5.0)
    assert res.replays == 10 and res.method == "grid+bisection"


def test_coalition_search_finds_the_planted_joint_deviation():
    x = BundleRanking(4, (1, 2))
    y = BundleRanking(4, (2, 1))
    rival = BundleRanking(4, (1, 2, 4))
    types = {0: x, 1: y, 2: rival}
    sched = [[Report(2, rival), Report(0, x), Report(1, y)]]
    factory = lambda: TwinPriority(M4)  # noqa: E731
    # The coalition maximises its smallest member gain: a deviation every member profits from.
    ev = replay_evaluator(factory, sched, types, objective=min)
    res = coalition_best_response({0: x, 1: y}, ev, budget=100)
    assert res.method == "product" and res.complete and res.found
    assert res.best[0] == res.best[1] and res.gain == 1.0
    # Coordinate ascent (the large-space path) starting from the truth finds a joint gain too.
    res = coalition_best_response({0: x, 1: y}, replay_evaluator(factory, sched, types), budget=300,
                                  rng=np.random.default_rng(1), exhaustive_limit=0)
    assert res.method == "coordinate" and res.found and res.replays <= 300
    sd = replay_evaluator(lambda: make_mechanism("sd", M4), sched, types, objective=min)
    assert not coalition_best_response({0: x, 1: y}, sd, budget=100).found


def test_budget_and_input_errors():
    me = BundleRanking(4, (1, 2, 4))
    calls = []
    res = exhaustive_search(0, me, lambda r: calls.append(r) or 0.0, budget=5)
    assert res.replays == 5 == len(calls) and not res.complete
    with pytest.raises(ConfigError):
        exhaustive_search(0, me, lambda r: 0.0, budget=-1)
    with pytest.raises(ConfigError):
        best_response(0, BundleRanking.from_scores(np.linspace(2, 1, 6), 2), lambda r: 0.0, budget=10)  # no rng
    with pytest.raises(ConfigError):
        local_search(0, Cost(1.0), lambda r: 0.0, budget=10, rng=np.random.default_rng(0))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 60), st.sampled_from(["bundles", "objects"]))
def test_search_bookkeeping_on_arbitrary_gain_functions(seed, budget, kind):
    """The result is the best evaluated report, each distinct report is evaluated once, within budget."""
    true = (BundleRanking.from_scores(np.linspace(3, 1, 5), 2) if kind == "bundles"
            else WeakOrder.strict([0, 1, 2, 3], 4))
    seen = {}

    def evaluate(reports):
        r = reports[0]
        assert r != true and r not in seen  # the truth is never evaluated; the cache answers repeats
        seen[r] = float(np.random.default_rng([seed, hash(r) % 2**32]).normal())
        return seen[r]

    res = local_search(0, true, evaluate, budget, rng=np.random.default_rng(seed))
    assert res.replays == len(seen) <= budget
    best = max(seen.values(), default=0.0)
    if best > 1e-9:
        assert res.found and res.gain == best and seen[res.best[0]] == best
    else:
        assert not res.found and res.gain == 0.0


def test_search_on_the_ocam_incremental_path_agrees_with_full_replays():
    from mechanisms.ocam.markets import random_market

    rng = np.random.default_rng(4)
    market, types = random_market(40, 5, 2, rng, n_types=5, top=None)
    sched = [[Report(i, t)] for i, t in enumerate(types)]
    factory = lambda: make_mechanism("ocam", market, {"eps_n": 1.0, "eps_f": 1.0})  # noqa: E731
    run = run_schedule(factory, sched, seed=5)
    mech, agent = run.mechanism, 39
    true, tick, x0 = types[agent], run.tick_of(agent), run.outcomes[agent].bundle

    def incremental(reports):
        return float(true.rank(x0) - true.rank(mech.unilateral_outcome(Report(agent, reports[agent]), tick).bundle))

    res = best_response(agent, true, incremental, budget=300, rng=np.random.default_rng(0))
    assert res.replays <= 300
    full = run_schedule(factory, sched, seed=5, deviations=res.best or {}).outcomes[agent].bundle
    assert float(true.rank(x0) - true.rank(full)) == res.gain


def test_local_search_stops_when_a_small_space_is_exhausted():
    me = BundleRanking(4, (1, 2))  # 5 reports in all, the truth included
    res = local_search(0, me, lambda r: 0.0, budget=10**9, rng=np.random.default_rng(0))
    assert res.replays <= report_space_size(me) - 1 and not res.found
    res = local_search(0, me, lambda r: -1.0, budget=10**9, rng=np.random.default_rng(0), restarts=0)
    assert res.replays >= 1 and not res.found


def test_inadmissible_reports_are_never_deviations_but_setup_errors_propagate():
    def evaluate(reports):
        bid = reports[0].value
        if bid > 2.0:
            raise ConfigError("report[0].bid", bid, "a declared cost in [0, B=2] (Section 2)")
        return bid - 1.0 if bid <= 1.5 else -1.0

    res = cost_search(0, Cost(1.0), evaluate, budget=100, hi=4.0)
    assert res.found and res.best[0].value <= 1.5 and res.gain == pytest.approx(0.5, abs=1e-6)

    def broken(reports):
        raise ConfigError("report.agent", 0, "a post-sample agent")

    with pytest.raises(ConfigError):
        cost_search(0, Cost(1.0), broken, budget=10)


def test_cost_search_finds_nothing_against_posted_price_procurement():
    """Mechanism 2 is universally truthful (procurement Lemma 1): no bid beats the true cost."""
    from mechanisms.procurement.market import procurement_market
    from mechanisms.procurement.valuations import Additive

    rng = np.random.default_rng(3)
    n, B = 12, 5.0
    costs = rng.uniform(0.1, 1.5, n)
    market = procurement_market(Additive(rng.random(n) + 0.5), B, prediction=4.0)
    sched = [[Report(i, Cost(float(c)))] for i, c in enumerate(costs)]
    run = run_schedule(lambda: make_mechanism("bf_mech2", market), sched, seed=4)
    mech = run.mechanism
    u = lambda o, c: o.payment - c if o.hired else 0.0  # noqa: E731
    for agent in range(n):
        c = float(costs[agent])
        tick = run.tick_of(agent)

        def evaluate(reports, agent=agent, c=c, tick=tick):
            return u(mech.unilateral_outcome(Report(agent, reports[agent]), tick), c) - u(run.outcomes[agent], c)

        res = cost_search(agent, Cost(c), evaluate, budget=80, hi=B)
        assert not res.found, (agent, res.best, res.gain)
