import numpy as np
import pytest
from hypothesis import given, strategies as st

from abm.model import AllocationModel
from mechanisms import (BundleRanking, Goods, InvariantError, Market, Report, WeakOrder, bundle_items,
                        checked_step, make_mechanism, run_schedule)
from mechanisms.baselines import SerialDictatorship


@st.composite
def bundle_markets(draw):
    m = draw(st.integers(1, 5))
    caps = draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    n = draw(st.integers(1, 12))
    k = draw(st.integers(1, m))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    types = [BundleRanking.from_scores(rng.random(m) + 0.01, k) for _ in range(n)]
    return Goods(tuple(f"g{j}" for j in range(m)), tuple(caps)), types, k, seed


@given(bundle_markets(), st.sampled_from(["sd", "rsd"]), st.integers(1, 4))
def test_capacity_one_outcome_and_best_available(mk, name, batch):
    goods, types, k, seed = mk
    market = Market("bundles", goods, max_bundle_size=k, n_agents=len(types))
    model = AllocationModel(market, types, make_mechanism(name, market), seed=seed % 1000, batch_size=batch).run()
    used = np.zeros(goods.m)
    outcomes = [a.outcome for a in model.participants]
    assert all(o is not None for o in outcomes)
    assert sorted(o.agent for o in outcomes) == list(range(len(types)))  # exactly one each
    # replay the choice order: each agent got its best bundle among those still available
    ticks = {}
    for a in model.participants:
        ticks.setdefault(a.outcome.tick, []).append(a)
    for t in sorted(ticks):
        ids = model.schedule[t]
        if name == "rsd" and len(ids) > 1:
            perm = model.streams.get("mechanism", "order", t).permutation(len(ids))
            ids = [ids[p] for p in perm]
        for i in ids:
            a = model.participants[i]
            avail = [b for b in a.true_type.bundles
                     if all(used[j] + 1 <= goods.capacities[j] for j in bundle_items(b))]
            expected = avail[0] if avail else 0
            assert a.outcome.bundle == expected
            for j in bundle_items(a.outcome.bundle):
                used[j] += 1
    assert np.all(used <= np.array(goods.capacities))


def test_sd_objects_picks_best_available_class():
    goods = Goods(("a", "b"), (1, 1))
    market = Market("objects", goods)
    sel = WeakOrder.parse("a > o > b", ["a", "b"])
    non = WeakOrder.parse("{a,b} > o", ["a", "b"])
    sched = [[Report(0, non)], [Report(1, sel)], [Report(2, non)]]
    run = run_schedule(lambda: make_mechanism("sd", market), sched, seed=0)
    assert run.outcomes[0].obj == 0  # lowest index in the tie
    assert run.outcomes[1].obj == 2  # a is gone, b is unacceptable -> null option
    assert run.outcomes[2].obj == 1


class _Overfill(SerialDictatorship):
    """A broken SD that ignores capacities: the protocol check must catch it."""

    def step(self, tick, reports):
        outs = []
        for r in reports:
            b = r.declared.bundles[0]
            self._remaining -= (b >> np.arange(self._remaining.size)) & 1
            from mechanisms import BundleOutcome
            outs.append(BundleOutcome(r.agent, tick, b))
        return outs


def test_checked_step_catches_capacity_violation_and_missing_outcome():
    goods = Goods(("a",), (1,))
    market = Market("bundles", goods, max_bundle_size=1)
    r = BundleRanking(1, (1,))
    mech = _Overfill(market)
    from mechanisms import Streams
    mech.start(Streams(0))
    checked_step(mech, 0, [Report(0, r)])
    with pytest.raises(InvariantError, match="capacity exceeded"):
        checked_step(mech, 1, [Report(1, r)])

    class _Drop(SerialDictatorship):
        def step(self, tick, reports):
            return super().step(tick, reports)[:-1]

    m2 = _Drop(market)
    m2.start(Streams(0))
    with pytest.raises(InvariantError, match="do not match"):
        checked_step(m2, 0, [Report(0, r), Report(1, r)])
    with pytest.raises(InvariantError, match="reports twice"):
        checked_step(m2, 0, [Report(0, r), Report(0, r)])


def test_a_finished_model_is_freed_with_its_last_reference():
    """Mesa 3.3 keeps every model in mesa.Agent._ids; AllocationModel releases it (sweeps run many)."""
    import gc
    import weakref

    import mesa

    goods = Goods.uniform(3, 2)
    market = Market("bundles", goods, max_bundle_size=1, n_agents=4)
    types = [BundleRanking.from_item_order([0, 1, 2], 3, 1) for _ in range(4)]
    model = AllocationModel(market, types, SerialDictatorship(market), seed=1).run()
    assert [a.unique_id for a in model.participants] == [1, 2, 3, 4]
    ref = weakref.ref(model)
    assert model not in mesa.Agent._ids
    del model
    gc.collect()
    assert ref() is None
