"""State snapshots of the fast protocol path (issue 11, "Fast protocol replays"): arrays, shared
constants and shared pure memos change how a state is copied, never what a replay gives."""
import functools
import pickle

import numpy as np
import pytest

from abm.audit import Replayer
from abm.audit.deviations import adjacent_swaps, bid_changes, disguises
from abm.audit.zoo import FAMILIES, ocam_market
from mechanisms.checkpoint import Constants, ConstantState, Snapshotter, replay_from_scratch
from mechanisms.mechanism_registry import make_mechanism


class _Holder:
    """A state object with arrays of every layout the snapshotter must keep."""


def test_snapshot_arrays_keep_values_dtype_layout_and_writeability():
    h = _Holder()
    h.c = np.arange(12, dtype=np.int32).reshape(3, 4)
    h.f = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    h.view = np.arange(10.0)[::2]
    h.flags = np.array([True, False, True])
    h.cplx = np.array([1 + 2j, 3 - 1j])
    ro = np.arange(5.0)[1:]
    ro.flags.writeable = False
    h.readonly_view = ro  # not owned: copied, and read-only like its pickle
    owned = np.arange(3.0)
    owned.flags.writeable = False
    h.shared = owned  # read-only and owns its data: shared, not copied
    h.objects = np.array([1 << 70, 3], dtype=object)  # beyond int64: numpy's own pickle
    h.alias = h.c  # aliasing inside one state is kept
    sn = Snapshotter()
    a, b = sn.load(sn.dump(h)), sn.load(sn.dump(h))
    for name in ("c", "f", "view", "flags", "cplx", "readonly_view", "objects"):
        x, y = getattr(h, name), getattr(a, name)
        assert x.dtype == y.dtype and x.shape == y.shape and (x == y).all(), name
        assert y.flags.writeable == x.flags.writeable, name
    assert a.f.flags.f_contiguous and not a.f.flags.c_contiguous
    assert a.shared is h.shared and a.alias is a.c
    a.c[0, 0] = 99  # loaded copies are independent of each other and of the original
    assert b.c[0, 0] == 0 and h.c[0, 0] == 0
    assert pickle.loads(pickle.dumps(a.c)).tolist() == a.c.tolist()


class _Stage(ConstantState):
    SNAPSHOT_CONSTANTS = ("name", "limits", "table", "scratch", "coin")

    def __init__(self):
        self.name = "stage"
        self.limits = np.array([1.0, 2.0])
        self.limits.flags.writeable = False
        self.table = {"a": 1}
        self.scratch = np.zeros(3)  # writeable: never shared, whatever the declaration says
        self.coin = functools.partial(len)  # not known to be immutable: per-copy state
        self.k = 0


def test_constant_state_shares_constants_and_copies_everything_that_can_change():
    sn = Snapshotter()
    s = _Stage()
    a, b = sn.load(sn.dump(s)), sn.load(sn.dump(s))
    assert a._constants is b._constants and isinstance(a._constants, Constants)
    assert set(a._constants) == {"name", "limits", "table"}
    assert a.limits is s.limits and a.scratch is not b.scratch and a.coin is not b.coin
    a.table["a"] = 2  # a dict among the constants is each loaded state's own
    a.scratch[0] = 1.0
    assert b.table == {"a": 1} and b.scratch[0] == 0.0
    s.name = "renamed"  # a constant replaced: the next snapshot holds the new value
    assert sn.load(sn.dump(s)).name == "renamed"
    s.table = {"a": 3}
    assert sn.load(sn.dump(s)).table == {"a": 3}
    assert pickle.loads(pickle.dumps(s)).table == {"a": 3}  # ordinary pickles keep working


def test_ocam_snapshots_share_the_posted_state_and_the_best_bundle_memo():
    market, types, sched, params = ocam_market(60)
    mech = make_mechanism("ocam", market, params)
    from mechanisms.rng import Streams

    mech.start(Streams(1))
    for t in range(40):
        mech.step(t, sched[t])
    assert mech.certificate is not None
    sn = Snapshotter()
    a, b = sn.load(sn.dump(mech)), sn.load(sn.dump(mech))
    assert a._prices is mech._prices and a._f is mech._f and a._best_cache is b._best_cache
    assert a._used is not b._used and a.params == mech.params and a.params is not b.params
    a.step(40, sched[40])
    assert (b._used == mech._used).all()


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_replays_equal_fresh_runs_after_shared_memos_warm_up(family):
    """Every deviation of a sample (sample agents, post-sample agents, bid changes) replayed twice
    from checkpoints, the second time with every shared memo warm, equals a fresh run."""
    fam = FAMILIES[family]
    market, types, sched, seed, devs = fam.build()
    name = {"ocam": "ocam", "bundles": "sd", "objects": "sem", "procurement": "bf_mech3"}[fam.name]

    params = dict(fam.params)

    def factory():
        return make_mechanism(name, market, params)

    rp = Replayer(factory, sched, seed, types)
    picked = devs[:: max(1, len(devs) // 10)]
    first = [rp.replay(d).outcomes for d in picked]
    for d, got in zip(picked, first):
        ref, err = replay_from_scratch(factory, sched, seed, dict(d.reports))
        assert err is None
        assert {a: ref.outcomes[a] for a in d.reports} == got == rp.replay(d).outcomes, (family, d)


def test_ocam_sample_and_post_sample_replays_equal_fresh_runs():
    market, types, sched, params = ocam_market(60)
    factory = lambda: make_mechanism("ocam", market, params)  # noqa: E731
    rp = Replayer(factory, sched, 3, types)
    s = rp.base.mech.sample_size
    devs = list(disguises(types, range(0, s))) + list(adjacent_swaps(types, range(s - 1, 60, 7), depth=2))
    assert any(rp.tick_of(a) == s - 1 for d in devs for a in d.reports)  # a deviation that closes the sample
    for d in sorted(devs, key=lambda d: rp.tick_of(min(d.reports))):
        ref, _ = replay_from_scratch(factory, sched, 3, dict(d.reports))
        assert rp.replay(d).outcomes == {a: ref.outcomes[a] for a in d.reports}, d


def test_procurement_sample_state_is_two_buffers_and_replays_equal_fresh_runs():
    market, types, sched, seed, _ = FAMILIES["procurement"].build()
    factory = lambda: make_mechanism("bf_mech3", market, {"q": 0.0})  # noqa: E731
    rp = Replayer(factory, sched, seed, types)
    stage = rp.base.mech._stage
    assert isinstance(stage.sample, np.ndarray) and stage.sample.size == stage.xi
    devs = list(bid_changes(types, list(types)[::3], factors=(0.5, 2.0), max_bid=1.0))
    for d in sorted(devs, key=lambda d: rp.tick_of(min(d.reports))):
        ref, _ = replay_from_scratch(factory, sched, seed, dict(d.reports))
        assert rp.replay(d).outcomes == {a: ref.outcomes[a] for a in d.reports}, d
    rp.base.advance()
    assert stage.post is not None and not stage.sample.flags.writeable  # frozen (shared) once N_1 closes


def _deep_equal(x, y) -> bool:
    """Value equality through arrays, containers, dataclasses and plain objects (types must match)."""
    import dataclasses

    if type(x) is not type(y):
        return False
    if isinstance(x, np.ndarray):
        return x.dtype == y.dtype and x.shape == y.shape and x.flags.writeable == y.flags.writeable \
            and np.array_equal(x, y)
    if isinstance(x, (list, tuple)):
        return len(x) == len(y) and all(_deep_equal(a, b) for a, b in zip(x, y))
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(_deep_equal(x[k], y[k]) for k in x)
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return all(_deep_equal(getattr(x, f.name), getattr(y, f.name)) for f in dataclasses.fields(x))
    if hasattr(x, "__dict__") and not isinstance(x, type):
        return _deep_equal(vars(x), vars(y))
    return bool(x == y)


@pytest.mark.parametrize("policy", ["paper", "hard"])
def test_in_memory_snapshots_load_the_state_a_pickled_snapshot_loads(policy):
    """Snapshotter.dump(in_memory=True) (the forward sweep's state before a tick): each load equals
    the pickled snapshot's load, shares the same objects, and is independent of the others."""
    from mechanisms.checkpoint import InMemory
    from mechanisms.rng import Streams

    market, types, sched, params = ocam_market(90)
    mech = make_mechanism("ocam", market, {**params, "capacity_policy": policy})
    mech.start(Streams(2))
    sn = Snapshotter()
    kinds = set()
    for t in range(len(sched)):
        if t % 7 == 0 or abs(t - mech.sample_size) <= 1:
            mem, pk = sn.dump(mech, in_memory=True), sn.dump(mech)
            kinds.add(type(mem))
            a, b, c = sn.load(mem), sn.load(pk), sn.load(mem)
            assert _deep_equal(a.__dict__, b.__dict__) and _deep_equal(c.__dict__, b.__dict__), t
            for k in getattr(b, "_constants", {}):  # shared exactly as a pickled snapshot shares
                if k not in b._constants.copied:
                    assert getattr(a, k) is getattr(b, k), (t, k)
            for k, v in vars(b).items():  # per-copy containers are each load's own
                if type(v) in (bytearray, dict, list) or (type(v) is np.ndarray and v.flags.writeable):
                    assert getattr(a, k) is not getattr(c, k), (t, k)
            a.step(t, sched[t])  # stepping one load changes neither the snapshot nor another load
            assert _deep_equal(c.__dict__, sn.load(pk).__dict__) and _deep_equal(sn.load(mem).__dict__,
                                                                                   sn.load(pk).__dict__), t
            b.step(t, sched[t])
            assert _deep_equal(a.__dict__, b.__dict__)
        mech.step(t, sched[t])
    assert kinds == {InMemory, bytes}  # the sample's state (a set, types) is pickled; afterwards in memory


def test_in_memory_snapshots_fall_back_to_pickle_for_state_they_cannot_copy_flat():
    sn = Snapshotter()
    s = _Stage()  # per-copy state: a writeable array and a functools.partial
    assert isinstance(sn.dump(s, in_memory=True), bytes)
    s.coin, s.scratch = None, None
    s.log = [1, 2.0, "x"]
    s.counts = {1: 2}
    s.buf = bytearray(b"ab")
    mem = sn.dump(s, in_memory=True)
    assert not isinstance(mem, bytes)
    a, b = sn.load(mem), sn.load(mem)
    a.log.append(3)
    a.counts[5] = 6
    a.buf[0] = 0
    assert b.log == s.log == [1, 2.0, "x"] and b.counts == s.counts == {1: 2} and b.buf == s.buf == bytearray(b"ab")
    s.log = [[1]]  # a nested container: pickled, never shared
    assert isinstance(sn.dump(s, in_memory=True), bytes)


def _registered():
    from mechanisms import registered_mechanisms

    return [name for name, _ in registered_mechanisms()]


@pytest.mark.parametrize("name", _registered())
def test_in_memory_and_pickled_snapshots_load_equal_states_for_every_registered_mechanism(name):
    """Whichever mechanism: where dump(in_memory=True) keeps objects, each load equals the pickled
    snapshot's load, and stepping one load leaves the snapshot and the other loads alone."""
    from abm.conformance.markets import representative_markets
    from mechanisms import MECHANISMS
    from mechanisms.checkpoint import InMemory
    from mechanisms.errors import ConfigError
    from mechanisms.rng import Streams

    cls = MECHANISMS.get(name)
    compared = 0
    for kind in cls.spec.market_kinds:
        for case in representative_markets(kind):
            try:
                mech = cls(case.market, **case.params_for(cls.spec.params))
            except ConfigError:  # a market this mechanism refuses (the conformance suite says which)
                continue
            mech.start(Streams(case.seed))
            sn = Snapshotter()
            for t, reps in enumerate(case.fresh_schedule()):
                mem, pk = sn.dump(mech, in_memory=True), sn.dump(mech)
                a, b = sn.load(mem), sn.load(pk)
                assert _deep_equal(a.__dict__, b.__dict__), (name, case.label, t)
                if isinstance(mem, InMemory):
                    a.step(t, list(reps))
                    assert _deep_equal(sn.load(mem).__dict__, b.__dict__), (name, case.label, t)
                mech.step(t, list(reps))
            compared += 1
            break  # one accepted market per kind
    assert compared >= 1, f"{name}: no representative market accepted"


def test_an_in_memory_snapshot_never_edits_the_state_a_getstate_hands_out():
    class Live(ConstantState):
        def __getstate__(self):
            return self.__dict__  # a subclass that hands out its live attribute dict

    s = Live()
    s.buf, s.log, s.n = bytearray(b"xy"), [1, 2], 3
    sn = Snapshotter()
    mem = sn.dump(s, in_memory=True)
    assert type(s.buf) is bytearray and s.buf == bytearray(b"xy") and s.log == [1, 2]
    a = sn.load(mem)
    a.buf[0] = 0
    a.log.append(9)
    assert s.buf == bytearray(b"xy") and s.log == [1, 2] and sn.load(mem).buf == bytearray(b"xy")


def test_an_in_memory_load_hands_each_state_its_own_attribute_dict():
    class Keeps(ConstantState):
        SNAPSHOT_CONSTANTS = ("name",)  # so the state travels as (constants, attribute dict)

        def __setstate__(self, state):
            self.__dict__ = state[1]  # keeps the dict it is given
            self.__dict__.update(state[0])

    s = Keeps()
    s.name, s.n = "k", 1
    sn = Snapshotter()
    mem = sn.dump(s, in_memory=True)
    a = sn.load(mem)
    a.n = 2
    assert sn.load(mem).n == 1


def test_large_flat_containers_are_pickled_not_checked_item_by_item():
    from mechanisms.checkpoint import _FLAT_LIMIT

    s = _Stage()
    s.coin, s.scratch = None, None
    s.log = list(range(_FLAT_LIMIT))
    sn = Snapshotter()
    assert not isinstance(sn.dump(s, in_memory=True), bytes)
    s.log = list(range(_FLAT_LIMIT + 1))
    assert isinstance(sn.dump(s, in_memory=True), bytes)
