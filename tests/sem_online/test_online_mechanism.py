"""The ``sem_online`` mechanism: reduction to SEM, claims as checks, the mutant, open choices."""
import numpy as np
import pytest
from online_helpers import homes_market, random_online_market, schedule_of

from abm.audit import audit
from abm.audit.claims import CLAIM_CHECKERS
from mechanisms import Report, make_mechanism, run_schedule
from mechanisms.errors import ConfigError
from mechanisms.sem import OnlineSEMMarket, SEMType, Shock, SupplySchedule
from mechanisms.spec import Claim

ONLINE_CLAIMS = ("greedy_online", "lindahl_budget", "lindahl_clearing", "equal_type_envy_free_within_period")


def verdicts(run):
    return {k: CLAIM_CHECKERS[k].fn(run, {}, Claim(k, "")) for k in ONLINE_CLAIMS}


def doubling_market(n: int = 4, rate: float = 0.5) -> OnlineSEMMarket:
    """The remark after Theorem 6 as an online market: one object x arriving at the same expected rate
    n * rate per period; period-1 children want x with probability 1/2 (else nothing), period-2
    children always: the expected demand doubles while the expected supply stays the same."""
    from mechanisms.preferences import WeakOrder

    want, none = WeakOrder.parse("x > o", ["x"], "o"), WeakOrder.parse("o > x", ["x"], "o")
    types = (SEMType(want, 1), SEMType(none, 1), SEMType(want, 2))
    sup = SupplySchedule("poisson", 2, 1, rates=[rate])
    return OnlineSEMMarket(("x",), sup, types, (0.5, 0.5, 1.0), 2, replica=n)


def test_reduction_to_sem_bit_for_bit():
    """Deterministic supply, all present at the start: the same outcomes as SEM on the same seed."""
    for n in (1, 3, 5):
        mk = homes_market(n, "deterministic")
        arr = mk.sample_supply(np.random.default_rng(0))
        sem = mk.upfront_sem()
        for seed in range(4):
            sched = schedule_of(mk.sample_arrivals(np.random.default_rng(100 * n + seed)))
            a = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, seed)
            b = run_schedule(lambda: make_mechanism("sem", sem.market()), sched, seed)
            assert a.outcomes == b.outcomes


def test_claims_hold_on_random_markets_and_runs_are_reproducible():
    for seed in range(8):
        rng = np.random.default_rng(seed)
        mk = random_online_market(rng)
        arr = mk.sample_supply(rng)
        sched = schedule_of(mk.sample_arrivals(rng))
        for params in ({}, {"selection": "static"}):
            run = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr), params), sched, seed)
            for k, r in verdicts(run).items():
                assert r.status == "holds", (seed, params, k, r)
            assert run.summary["max_clearing_error"] <= 1e-8
            again = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr), params), sched, seed)
            assert again.outcomes == run.outcomes


def test_supply_arrives_over_time_and_capacity_is_respected():
    mk = homes_market(5, "binomial")
    arr = mk.sample_supply(np.random.default_rng(3))
    sched = schedule_of(mk.sample_arrivals(np.random.default_rng(4)))
    run = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, 9)
    used = np.zeros((4, 2))
    for o in run.outcomes.values():
        if o.obj < 2:
            used[o.tick, o.obj] += 1
    # never more allotted by period t than arrived by period t
    assert np.all(np.cumsum(used, axis=0) <= np.cumsum(arr, axis=0))
    assert run.mechanism.remaining().tolist() == (arr.sum(axis=0) - used.sum(axis=0)).tolist()


def test_paper_example_mutant_without_time_tax_is_caught():
    """Doubling demand: the faithful mechanism satisfies Definition 7 and greedy; one price vector
    for every period (the mutant) leaves a unit of x in stock while period-1 children wanting x get
    nothing with positive probability."""
    mk = doubling_market(4)
    arr = np.array([[2], [2]])   # the expected supply, realised
    caught = 0
    for seed in range(6):
        sched = schedule_of(mk.sample_arrivals(np.random.default_rng(seed)))
        if sum(o.classes[0] == (0,) for o in (r.declared for r in sched[0])) in (0, 4):
            continue  # nobody or everybody wants x in period 1: the single price may clear period 1
        good = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, seed)
        assert all(r.status == "holds" for r in verdicts(good).values())
        bad = run_schedule(lambda: make_mechanism("mutant_sem_online_no_time_tax", mk.market(arr)), sched, seed)
        v = verdicts(bad)
        assert v["lindahl_clearing"].status == "violated"
        assert "Definition 7" in v["lindahl_clearing"].detail
        assert v["greedy_online"].status == "violated"
        caught += 1
    assert caught >= 3


def test_memoized_equilibria_are_never_shared_between_a_mechanism_and_its_mutant():
    """memoize=True: the memo key holds the class and every parameter (mechanisms.sem.mechanism.memoized)."""
    mk = doubling_market(4)
    arr = np.array([[2], [2]])
    for seed in range(6):
        sched = schedule_of(mk.sample_arrivals(np.random.default_rng(seed)))
        lots = {}
        for name in ("sem_online", "mutant_sem_online_no_time_tax"):
            for memo in (True, False):
                run = run_schedule(lambda n=name, m=memo: make_mechanism(n, mk.market(arr), {"memoize": m}), sched, seed)
                lots[name, memo] = [run.outcomes[a].lottery for a in sorted(run.outcomes)]
        assert lots["sem_online", True] == lots["sem_online", False]
        assert lots["mutant_sem_online_no_time_tax", True] == lots["mutant_sem_online_no_time_tax", False]


def test_surplus_hold_breaks_greedy_and_offer_does_not():
    mk = doubling_market(4, rate=0.25)
    arr = np.array([[3], [0]])          # 3 units at period 1, expected 1
    want = mk.parse("x > o")
    sched = [[Report(k, want) for k in range(4)], [Report(4 + k, want) for k in range(4)]]
    offer = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, 1)
    assert verdicts(offer)["greedy_online"].status == "holds"
    assert sum(o.obj == 0 for o in offer.outcomes.values() if o.tick == 0) == 3
    hold = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr), {"surplus": "hold"}), sched, 1)
    assert sum(o.obj == 0 for o in hold.outcomes.values() if o.tick == 0) == 1
    assert verdicts(hold)["greedy_online"].status == "violated"
    # period 2 offers at most the expected stock (nothing carried + E[S^2] = 1) of the 2 held units
    assert sum(o.obj == 0 for o in hold.outcomes.values()) == 2


def test_resolve_once_posts_prior_prices():
    mk = homes_market(5, "binomial")
    arr = mk.sample_supply(np.random.default_rng(1))
    sched = schedule_of(mk.sample_arrivals(np.random.default_rng(2)))
    run = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr), {"resolve": "once"}), sched, 3)
    mech = run.mechanism
    p0 = mech.plan(0)["prices"]
    assert np.allclose(mech.plan(2)["prices"], p0[2:])   # one plan for the horizon
    used = np.zeros(2)
    for o in run.outcomes.values():
        used += np.eye(3)[o.obj][:2]
    assert np.all(used <= arr.sum(axis=0))


def test_after_horizon_and_bad_inputs():
    mk = homes_market(2, "poisson")
    arr = mk.sample_supply(np.random.default_rng(0))
    sched = schedule_of(mk.sample_arrivals(np.random.default_rng(0))) + [[Report(99, mk.parse("a > o > b"))]]
    run = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, 0)
    assert run.outcomes[99].obj == 2 and run.outcomes[99].lottery == (0.0, 0.0, 1.0)
    from mechanisms.preferences import WeakOrder
    from mechanisms.rng import Streams

    m = make_mechanism("sem_online", mk.market(arr))
    m.start(Streams(0))
    with pytest.raises(ConfigError, match="report"):
        m.step(0, [Report(0, WeakOrder.parse("x > o", ["x"], "o"))])   # an order over another market
    rtb = homes_market(2, "poisson", shock=Shock(tie_breaking="random", z=0.02))
    with pytest.raises(ConfigError, match="mechanism.params.selection"):
        make_mechanism("sem_online", rtb.market(arr))
    run = run_schedule(lambda: make_mechanism("sem_online", rtb.market(arr), {"selection": "static"}),
                       sched[:2], 0)
    assert run.summary["max_clearing_error"] <= 1e-7
    with pytest.raises(ConfigError, match="market.extra.sem_online"):
        make_mechanism("sem_online", homes_market(2).upfront_sem(arr).market())


def test_audit_entry_point_checks_declared_claims():
    mk = homes_market(3, "binomial")
    arr = mk.sample_supply(np.random.default_rng(5))
    sched = schedule_of(mk.sample_arrivals(np.random.default_rng(6)))
    from abm.audit.replay import Deviation

    truth = {r.agent: r.declared for t in sched for r in t}
    alt = mk.parse("{a,b} > o")
    devs = [Deviation({a: alt}, "mimic") for a in list(truth)[:4] if truth[a] != alt]  # report another type
    rep = audit(lambda: make_mechanism("sem_online", mk.market(arr)), sched, truth, 5, devs)
    text = "\n".join(rep.verdicts())
    for k in ("greedy online", "lindahl clearing", "lindahl budget", "SP1"):
        assert k in text
    assert rep.violations("greedy_online") == 0 and rep.violations("lindahl_clearing") == 0


def test_plan_current_serves_the_same_allocations():
    """Period t's step of the induction never depends on later steps: plan = "current" gives the same
    outcomes as the full time-tax plan, and Definition 7 at k = t still holds."""
    for seed in range(4):
        rng = np.random.default_rng(20 + seed)
        mk = random_online_market(rng, T=4)
        arr = mk.sample_supply(rng)
        sched = schedule_of(mk.sample_arrivals(rng))
        full = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, seed)
        cur = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr), {"plan": "current"}), sched, seed)
        assert full.outcomes == cur.outcomes
        assert all(r.status == "holds" for r in verdicts(cur).values())
        assert cur.mechanism.plan(0)["prices"].shape == (1, mk.m)


def test_checks_with_arrivals_after_the_horizon():
    mk = homes_market(2, "poisson")
    arr = mk.sample_supply(np.random.default_rng(1))
    sched = schedule_of(mk.sample_arrivals(np.random.default_rng(1)))
    sched += [[], [Report(50, mk.parse("{a,b} > o"))]]
    run = run_schedule(lambda: make_mechanism("sem_online", mk.market(arr)), sched, 0)
    assert all(r.status == "holds" for r in verdicts(run).values())


def test_main_model_equal_type_envy_freeness_does_not_carry_over():
    """Why only within-period envy-freeness is declared: x arrives in period 2 only, so the period-1
    child who wants x gets nothing and envies the period-2 child who gets it (Definition 3 with
    earlier arrivals ranked first fails; Theorem 6 does not exclude it)."""
    from mechanisms.preferences import WeakOrder

    want = WeakOrder.parse("x > o", ["x"], "o")
    sup = SupplySchedule("deterministic", 2, 1, units=[[0], [1]])
    mk = OnlineSEMMarket(("x",), sup, (SEMType(want, 1), SEMType(want, 2)), (1.0, 1.0), 2)
    run = run_schedule(lambda: make_mechanism("sem_online", mk.market(np.array([[0], [1]]))),
                       [[Report(0, want)], [Report(1, want)]], 0)
    assert run.outcomes[0].obj == 1 and run.outcomes[1].obj == 0
    main = CLAIM_CHECKERS["equal_type_envy_free"].fn(run, {}, Claim("equal_type_envy_free", ""))
    assert main.status == "violated"
    assert all(r.status == "holds" for r in verdicts(run).values())
