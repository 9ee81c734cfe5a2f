"""Generic checkpoints of a mechanism's state, and replays that start from them.

The auditor replays a run with a few reports changed. Because every outcome is irrevocable
and every random draw comes from purpose-keyed streams, the replay of a deviation whose first
deviator arrives at tick ``t`` is identical to the truthful run before ``t``; and once the last
deviator has been served, the deviators' outcomes are final. So a replay only needs the
mechanism's state before ``t`` and the steps from ``t`` to the last deviator's tick. This module
provides that, for every mechanism, through the online protocol only (``start``, ``step``):

- :class:`Snapshotter` copies a mechanism's state with :mod:`pickle` (C speed; the snapshots
  never leave the process and are never read from a file). Objects that are immutable by
  construction (frozen dataclasses such as types, reports, outcomes, goods; the run's
  :class:`~mechanisms.rng.Streams`; the public :class:`~mechanisms.market.Market`; frozensets;
  numpy arrays that own their data and are read-only; classes a mechanism lists in
  ``snapshot_shared``) are shared between snapshots rather than copied; a plain numeric array
  is stored as one buffer (numpy's own reduction costs several calls per array).
  A mechanism whose state cannot be pickled is copied with :func:`copy.deepcopy` instead.
  A snapshot about to be loaded a few times (a forward sweep's state before a tick) of a
  :class:`ConstantState` with flat per-copy attributes is kept as objects (:class:`InMemory`),
  each load copying what can change: the same state a pickled snapshot loads, without pickle.
- :class:`ConstantState` is a mixin for a mechanism's state objects: the attributes it names
  as no longer changing (OCAM's posted prices and f once the sample has closed, a procurement
  stage's parameters) travel as one shared object, so a checkpoint copies what an arrival changes.
- :class:`CheckpointedRun` steps the truthful schedule forward as far as needed, keeps a bounded
  number of checkpoints (state before a tick), and answers :meth:`CheckpointedRun.replay`.

Nothing here trusts the mechanism beyond the protocol: a mechanism whose state does not survive
a snapshot (hidden global state, identity-based behaviour) makes checkpoint replays differ from
replays from scratch, which the auditor detects by cross-checking a seeded sample of replays
against fresh runs (``abm.audit``), and every counterexample is reproduced from scratch.
"""
from __future__ import annotations

import copy
import io
import operator
import pickle
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import RunRecord, apply_deviations, configuration
from .errors import ConfigError, InvariantError
from .market import Market
from .online_mechanism import OnlineMechanism, published, summary_of
from .preferences import AgentType
from .public_state import PublicState
from .reports import Outcome, Report
from .rng import Streams
from .step_invariants import checked_step

Factory = Callable[[], OnlineMechanism]

#: Checkpoints kept per run by default (memory is bounded by this many snapshots).
DEFAULT_CHECKPOINTS = 128

_ATOMIC = (int, float, str, bool, bytes, type(None), complex)


def _array(buf: bytes | bytearray, dtype: str, shape: tuple[int, ...], order: str) -> np.ndarray:
    """Return the array over ``buf`` (writeable when ``buf`` is a bytearray): a snapshot's array."""
    a = np.frombuffer(buf, dtype=dtype)
    return a if len(shape) == 1 else a.reshape(shape, order=order)


class _Pickler(pickle.Pickler):
    """A pickler whose numeric arrays cost one buffer each.

    numpy's own reduction of an array pickles its dtype as an object and rebuilds it through
    several calls; checkpoints copy many small arrays, so a plain numeric array (bool, integer,
    float, complex; no fields) is stored as its bytes, dtype string, shape and memory order.
    Like numpy's pickle, a writeable array loads writeable (over a bytearray) and a read-only
    one read-only (over bytes), with the same values, dtype, shape and layout.
    """

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is np.ndarray and obj.dtype.kind in "biufc":
            flags = obj.flags
            if obj.ndim == 1:  # one call of numpy's own frombuffer on load (same values, dtype, layout)
                raw = obj.tobytes()
                return np.frombuffer, (bytearray(raw) if flags.writeable else raw, obj.dtype.str)
            order = "F" if flags.f_contiguous and not flags.c_contiguous else "C"
            raw = obj.tobytes(order=order)
            return _array, (bytearray(raw) if flags.writeable else raw, obj.dtype.str, obj.shape, order)
        return NotImplemented


def _frozen_dataclass(t: type) -> bool:
    p = getattr(t, "__dataclass_params__", None)
    return p is not None and p.frozen


class Constants(dict):
    """Attributes of a state object that no longer change: one object that snapshots share.

    ``names`` are the attributes it stands for; ``copied`` those (plain dicts and lists) that
    each loaded state gets its own shallow copy of.
    """

    def __init__(self, names: tuple[str, ...], values: dict[str, Any]):
        super().__init__(values)
        self.names = names
        self.copied = tuple(k for k, v in values.items() if type(v) in (dict, list))
        # the others are compared by identity with the live attributes (ConstantState.__getstate__)
        self.same = tuple(k for k in values if k not in self.copied)
        self.same_values = tuple(values[k] for k in self.same)

    def current(self, state: dict[str, Any]) -> bool:
        """Return True when ``state`` still holds these values (the same objects; equal dicts and lists)."""
        if not all(map(operator.is_, map(state.get, self.same), self.same_values)):
            return False
        for k in self.copied:
            if state.get(k) != self[k]:
                return False
        return True


@dataclass(frozen=True, eq=False)
class Packing:
    """Where a :class:`ConstantState`'s packed arrays lie in the one buffer of a snapshot.

    Immutable (snapshots share it): ``items`` holds (attribute, dtype, length, byte offset).
    """

    items: tuple[tuple[str, np.dtype, int, int], ...]


#: Packings already built, by layout (so snapshots of one state share one object).
_PACKINGS: dict[tuple, Packing] = {}


def _packing(key: list[Any]) -> Packing:
    """Return the :class:`Packing` of ``key`` (attribute, dtype, length, attribute, dtype, length, ...)."""
    key_t = tuple(key)
    hit = _PACKINGS.get(key_t)
    if hit is None:
        items, off = [], 0
        for i in range(0, len(key_t), 3):
            k, dt, n = key_t[i:i + 3]
            items.append((k, dt, n, off))
            off += dt.itemsize * n
        if len(_PACKINGS) > 4096:
            _PACKINGS.clear()
        hit = _PACKINGS[key_t] = Packing(tuple(items))
    return hit


def _shareable(v: Any, shared: tuple[type, ...]) -> bool:
    """Return True when ``v`` may be shared by every copy of a state (it cannot change in place)."""
    t = type(v)
    if t in _ATOMIC or _frozen_dataclass(t) or issubclass(t, shared):
        return True
    return t is np.ndarray and not v.flags.writeable and v.base is None


class ConstantState:
    """Mixin: attributes that no longer change travel in state snapshots as one shared object.

    :meth:`snapshot_constants` names them (from now on; the default is the class attribute
    ``SNAPSHOT_CONSTANTS``). :meth:`__getstate__` stores those that cannot change in place
    (atomic values, frozen dataclasses, read-only arrays that own their data, instances of the
    classes in ``snapshot_shared``, the :class:`Snapshotter`'s own shared kinds) and plain
    dicts and lists (copied, shallowly, for each loaded state) in one :class:`Constants`, which
    snapshots share; everything else is per-copy state as usual. The mapping is rebuilt
    whenever one of them was replaced, so a snapshot always holds the current values. Its
    purpose is speed: a checkpoint then copies only what an arrival changes.
    """

    SNAPSHOT_CONSTANTS: tuple[str, ...] = ()
    #: Attributes holding plain writeable 1-D numeric arrays that a snapshot packs in one buffer
    #: (see :meth:`snapshot_packed`).
    SNAPSHOT_PACKED: tuple[str, ...] = ()

    def snapshot_constants(self) -> tuple[str, ...]:
        """Return the names of the attributes that no longer change."""
        return self.SNAPSHOT_CONSTANTS

    def snapshot_packed(self) -> tuple[str, ...]:
        """Return the names of per-copy arrays a snapshot stores as one buffer (default ``SNAPSHOT_PACKED``).

        Each such attribute that holds a writeable 1-D numeric array (bool, integer, float,
        complex) of positive length travels as bytes in one buffer shared with the others, and
        loads as a writeable array (a view of the loaded state's own buffer) with the same
        values, dtype and length. The arrays must not be referenced from elsewhere in the state
        (their identity is not kept; several names holding one array are not packed).
        """
        return self.SNAPSHOT_PACKED

    def __getstate__(self) -> dict[str, Any] | tuple[Any, ...]:
        """Return (the shared :class:`Constants` or None, the other attributes[, packing, buffer]).

        The plain attribute dict when nothing is constant and nothing is packed.
        """
        state = self.__dict__.copy()
        fixed = state.pop("_constants", None)
        names = self.snapshot_constants()
        if names:
            if fixed is None or (fixed.names is not names and fixed.names != names) or not fixed.current(state):
                shared = (Streams, Market, frozenset, Constants) + tuple(getattr(type(self), "snapshot_shared", ()))
                values = {}
                for k in names:
                    v = state.get(k, _ABSENT)
                    if type(v) in (dict, list):
                        values[k] = type(v)(v)  # a private copy: each loaded state gets its own
                    elif v is not _ABSENT and _shareable(v, shared):
                        values[k] = v
                fixed = self._constants = Constants(names, values)
            for k in fixed:
                del state[k]
        else:
            fixed = None
        packed = self.snapshot_packed()
        if packed:
            arrays, key = [], []
            for k in packed:
                v = state.get(k)
                if type(v) is np.ndarray and v.ndim == 1:
                    dt = v.dtype
                    if dt.kind in "biufc" and v.size and v.flags.writeable:
                        arrays.append(v)
                        key += (k, dt, v.size)
            if arrays and (len(arrays) == 1 or len(set(map(id, arrays))) == len(arrays)):
                lay = _PACKINGS.get(tuple(key)) or _packing(key)
                for k in key[::3]:
                    del state[k]
                return fixed, state, lay, bytearray().join([v.tobytes() for v in arrays])
        return state if fixed is None else (fixed, state)

    def __setstate__(self, state: dict[str, Any] | tuple[Any, ...]) -> None:
        d = self.__dict__
        if type(state) is tuple:
            fixed = state[0]
            if fixed is not None:
                d.update(fixed)
                for k in fixed.copied:
                    d[k] = type(d[k])(d[k])
                d["_constants"] = fixed
            d.update(state[1])
            if len(state) == 4:
                buf = state[3]
                frombuffer = np.frombuffer
                for k, dt, n, off in state[2].items:
                    d[k] = frombuffer(buf, dt, n, off)
        else:
            d.update(state)


_ABSENT = object()

#: Largest dict or list an in-memory snapshot checks item by item; a larger one (OCAM's record of
#: exhausted goods per agent under the hard policy grows with n) is pickled, at C speed.
_FLAT_LIMIT = 64


class InMemory:
    """A snapshot kept as objects: ``__getstate__()`` of a :class:`ConstantState` (see :meth:`Snapshotter.dump`).

    ``copies`` names the per-copy containers each load gets its own copy of (a bytearray is
    kept as bytes); every other value is immutable or of a kind snapshots share. A packed
    buffer (the last item of a 4-tuple state) is copied per load too.
    """

    __slots__ = ("cls", "state", "copies")

    def __init__(self, cls: type, state: dict[str, Any] | tuple[Any, ...], copies: tuple[str, ...]):
        self.cls, self.state, self.copies = cls, state, copies  # (a packed buffer is __getstate__'s own: owned here)

    def load(self) -> Any:
        """Return a fresh object in the snapshot's state."""
        st = self.state
        # a fresh dict per load, as unpickling gives (a __setstate__ may keep the one it is given)
        d = (st[1] if type(st) is tuple else st).copy()
        for k in self.copies:
            v = d[k]
            d[k] = bytearray(v) if type(v) is bytes else type(v)(v)
        obj = self.cls.__new__(self.cls)
        if type(st) is tuple:
            obj.__setstate__((st[0], d, st[2], bytearray(st[3])) if len(st) == 4 else (st[0], d))
        else:
            obj.__setstate__(d)
        return obj


class Snapshotter:
    """Copies of a mechanism's state that share immutable objects (see the module docstring).

    Parameters
    ----------
    shared_types : tuple of type
        Extra classes whose instances are shared, never copied (a mechanism's
        ``snapshot_shared`` class attribute adds its own).
    """

    def __init__(self, shared_types: tuple[type, ...] = ()):
        self._shared: list[Any] = []
        self._index: dict[int, int] = {}
        self._shared_types = (Streams, Market, frozenset, Constants) + tuple(shared_types)
        self._kind_cache: dict[type, bool] = {}
        # type -> 0 (copied), 1 (shared), 2 (an array: shared when read-only and owning its data)
        self._kinds: dict[type, int] = {}
        self._mech_types: set[type] = set()
        self._plain_classes: dict[type, bool] = {}
        self.uses_pickle = True

    def _is_shared(self, t: type) -> bool:
        hit = self._kind_cache.get(t)
        if hit is None:
            hit = self._kind_cache[t] = _frozen_dataclass(t) or issubclass(t, self._shared_types)
        return hit

    def _kind(self, t: type) -> int:
        if t in _ATOMIC or t is tuple or t is list or t is dict:
            k = 0
        elif self._is_shared(t) or issubclass(t, type):
            k = 1  # classes too: the same object a pickle by name would find, without the import lookup
        else:
            k = 2 if t is np.ndarray else 0
        self._kinds[t] = k
        return k

    def dump(self, mech: OnlineMechanism, *, in_memory: bool = False) -> Any:
        """Return a snapshot of ``mech`` (bytes, or a deep copy when the state does not pickle).

        With ``in_memory`` (a snapshot about to be loaded a few times, as a forward sweep's
        state before a tick is), a :class:`ConstantState` whose per-copy attributes are all
        atomic values, bytearrays, flat dicts or lists of atomic values, or objects snapshots
        share is kept as an :class:`InMemory` copy instead: loading it copies those
        containers and skips the pickle machinery (the same state as a pickled snapshot
        loads, see :meth:`_in_memory`). Any other state is pickled as usual.
        """
        mt = type(mech)
        if mt not in self._mech_types:
            extra = tuple(getattr(mt, "snapshot_shared", ()))
            if extra and not set(extra) <= set(self._shared_types):
                self._shared_types = self._shared_types + extra
                self._kind_cache.clear()
                self._kinds.clear()
            self._mech_types.add(mt)
        if in_memory:
            snap = self._in_memory(mech)
            if snap is not None:
                return snap
        if self.uses_pickle:
            buf = io.BytesIO()
            p = _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL)
            shared, index, kinds, kind_of = self._shared, self._index, self._kinds, self._kind

            def persistent_id(obj: Any) -> int | None:
                t = type(obj)
                k = kinds.get(t)
                if k is None:
                    k = kind_of(t)
                if not k or (k == 2 and (obj.flags.writeable or obj.base is not None)):
                    return None
                k = index.get(id(obj))
                if k is None or shared[k] is not obj:
                    k = index[id(obj)] = len(shared)
                    shared.append(obj)
                return k

            p.persistent_id = persistent_id  # type: ignore[method-assign]
            try:
                p.dump(mech)
                return buf.getvalue()
            except (pickle.PicklingError, TypeError, AttributeError):
                self.uses_pickle = False  # e.g. a lambda in the state: deep copies from now on
        return ("deepcopy", copy.deepcopy(mech))

    def _in_memory(self, mech: OnlineMechanism) -> InMemory | None:
        """Return an :class:`InMemory` snapshot of ``mech``, or None when its state needs pickling.

        Only for a :class:`ConstantState` that pickles as ``cls.__new__(cls)`` plus
        ``__setstate__`` (no reduce hooks of its own): then the pickled snapshot would hold
        exactly ``__getstate__()``'s values, copied except for the kinds snapshots share.
        Here every per-copy value must be atomic (kept: immutable), a bytearray (kept as
        bytes, a new bytearray per load), a dict or list of at most :data:`_FLAT_LIMIT` atomic
        values (copied now and per load), or of a kind :meth:`dump` shares (kept); the packed
        buffer is copied per load.
        So each load is a deep copy as unpickling would make, with the same shared objects.
        """
        cls = type(mech)
        ok = self._plain_classes.get(cls)
        if ok is None:
            ok = self._plain_classes[cls] = (
                isinstance(mech, ConstantState) and cls.__reduce_ex__ is object.__reduce_ex__
                and cls.__reduce__ is object.__reduce__ and not hasattr(cls, "__getnewargs_ex__")
                and not hasattr(cls, "__getnewargs__") and cls.__new__ is object.__new__)
        if not ok:
            return None
        st = mech.__getstate__()
        # our own copy of the attribute dict (a __getstate__ of a subclass may hand out a live one)
        state = dict(st[1] if type(st) is tuple else st)
        st = (st[0], state, *st[2:]) if type(st) is tuple else state
        kinds, kind_of = self._kinds, self._kind
        copies: list[str] = []
        for k, v in state.items():
            t = type(v)
            if t in _ATOMIC:
                continue
            if t is bytearray:
                state[k] = bytes(v)
                copies.append(k)
                continue
            if t is dict:
                if len(v) > _FLAT_LIMIT or not (all(type(x) in _ATOMIC for x in v)
                                                and all(type(x) in _ATOMIC for x in v.values())):
                    return None
                state[k] = dict(v)
                copies.append(k)
                continue
            if t is list:
                if len(v) > _FLAT_LIMIT or not all(type(x) in _ATOMIC for x in v):
                    return None
                state[k] = list(v)
                copies.append(k)
                continue
            kind = kinds.get(t)
            if kind is None:
                kind = kind_of(t)
            if kind == 1 or (kind == 2 and not v.flags.writeable and v.base is None):
                continue  # what a pickled snapshot shares (persistent_id in dump)
            return None
        return InMemory(cls, st, tuple(copies))

    def load(self, snap: Any) -> OnlineMechanism:
        """Return a fresh mechanism object in the state of ``snap``."""
        if type(snap) is InMemory:
            return snap.load()
        if isinstance(snap, tuple):
            return copy.deepcopy(snap[1])
        u = pickle.Unpickler(io.BytesIO(snap))
        shared = self._shared
        u.persistent_load = shared.__getitem__  # type: ignore[method-assign]
        return u.load()

    @staticmethod
    def size(snap: Any) -> int:
        """Return the snapshot's size in bytes (0 for a deep copy, whose size is not measured)."""
        return len(snap) if isinstance(snap, bytes) else 0


@dataclass
class Replay:
    """The result of one replay from a checkpoint.

    ``outcomes`` holds every outcome stepped by the replay (the deviators' among them);
    ``error`` is the :class:`InvariantError` the mechanism raised, if any, with ``error_tick``.
    ``record`` is a full :class:`RunRecord` when the replay ran to the end.
    """

    deviations: dict[int, AgentType]
    outcomes: dict[int, Outcome]
    start_tick: int
    stop_tick: int
    error: InvariantError | None = None
    error_tick: int | None = None
    record: RunRecord | None = field(default=None, repr=False)
    states: dict[int, OnlineMechanism] = field(default_factory=dict, repr=False)


class CheckpointedRun:
    """A truthful run stepped on demand, with checkpoints and replays from them.

    Parameters
    ----------
    factory : callable
        Returns a fresh configured mechanism.
    schedule : list of list of Report
        The baseline reports, tick by tick.
    seed : int
        The run's seed (one :class:`Streams`; every replay uses the same).
    checkpoints : int
        How many checkpoints to keep at most (spread evenly over the ticks).
    record_public : bool
        Record ``public()`` after every tick of the baseline (the auditor's checks read it).

    The baseline is stepped lazily: :meth:`advance` runs it up to a tick; :meth:`record`
    finishes it. An :class:`InvariantError` raised by the mechanism stops the baseline; it is
    kept in ``error`` (with ``error_tick``) instead of propagating.
    """

    def __init__(self, factory: Factory, schedule: Sequence[Sequence[Report]], seed: int, *,
                 checkpoints: int = DEFAULT_CHECKPOINTS, record_public: bool = True):
        self.factory = factory
        self.schedule = schedule if isinstance(schedule, list) and all(isinstance(t, list) for t in schedule) \
            else [list(t) for t in schedule]  # read only: never mutated, so a caller's lists are shared
        self.seed = int(seed)
        self.record_public = record_public
        n_ticks = len(self.schedule)
        self.every = max(1, -(-n_ticks // max(1, checkpoints)))
        self.mech = factory()
        self.config = configuration(self.mech)
        self.snap = Snapshotter()
        self.mech.start(Streams(self.seed))
        self.tick = 0
        self.outcomes: dict[int, Outcome] = {}
        self.public: list[PublicState | None] = []
        self.checkpoints: dict[int, Any] = {0: self.snap.dump(self.mech)}
        self.error: InvariantError | None = None
        self.error_tick: int | None = None
        self._exact: OrderedDict[int, Any] = OrderedDict()
        self._record: RunRecord | None = None
        self.snapshots_taken = 1
        self.steps = 0

    # ---- the baseline ------------------------------------------------------------------
    @property
    def n_ticks(self) -> int:
        """Number of ticks of the schedule."""
        return len(self.schedule)

    @property
    def last_tick(self) -> int:
        """The last tick the baseline can reach (the tick before a crash, else the last)."""
        return (self.error_tick - 1) if self.error_tick is not None else self.n_ticks - 1

    def advance(self, until: int | None = None) -> None:
        """Step the baseline until the state before tick ``until`` (default: to the end)."""
        until = self.n_ticks if until is None else min(until, self.n_ticks)
        while self.tick < until and self.error is None:
            t = self.tick
            if t % self.every == 0 and t not in self.checkpoints:
                self.checkpoints[t] = self.snap.dump(self.mech)
                self.snapshots_taken += 1
            try:  # a crash of public() stops the run at this tick like a breach in step
                outs = checked_step(self.mech, t, self.schedule[t])
                pub = published(self.mech) if self.record_public else None
            except InvariantError as e:
                self.error, self.error_tick = e, t
                break
            self.steps += 1
            for o in outs:
                self.outcomes[o.agent] = o
            self.public.append(pub)
            self.tick += 1

    def record(self) -> RunRecord:
        """Return the baseline's :class:`RunRecord` (stepping it to the end first)."""
        if self._record is None:
            self.advance()
            summary = summary_of(self.mech) if self.error is None else {}
            self._record = RunRecord(self.seed, self.schedule, self.outcomes, self.public, summary, self.mech,
                                     self.config)
        return self._record

    def state_snapshot(self, t: int) -> Any:
        """Return a snapshot of the baseline's state before tick ``t`` (cached for reuse)."""
        if t < 0 or t > self.n_ticks:
            raise ConfigError("tick", t, f"a tick in [0, {self.n_ticks}]")
        hit = self._exact.get(t)
        if hit is not None:
            self._exact.move_to_end(t)
            return hit
        if t > self.tick and self._record is None:
            self.advance(t)  # a forward sweep: step the live baseline and copy it there
        if self.error is not None and t > self.error_tick:
            # the truthful run never reached tick t: there is no state to replay from
            raise InvariantError(f"the truthful run stopped at tick {self.error_tick} ({self.error}), before tick {t}",
                                 getattr(self.error, "claim", None))
        if t in self.checkpoints:
            snap = self.checkpoints[t]
        elif t == self.tick and self._record is None and self.error is None:  # (a failed step left the live state half-done)
            snap = self.snap.dump(self.mech, in_memory=True)
            self.snapshots_taken += 1
        else:
            if t > self.tick:
                self.advance(t)
            c = max(k for k in self.checkpoints if k <= t)
            # a recent exact state between the checkpoint and t is a shorter catch-up (the
            # same baseline steps from a state they reached): a sweep after the baseline's end
            near = max((k for k in self._exact if c < k < t), default=None)
            if near is not None:
                c = near
            m = self.snap.load(self.checkpoints[c] if near is None else self._exact[c])
            for k in range(c, t):
                checked_step(m, k, self.schedule[k])
                self.steps += 1
            snap = self.snap.dump(m, in_memory=True)
            self.snapshots_taken += 1
        self._exact[t] = snap
        if len(self._exact) > 4:
            self._exact.popitem(last=False)
        return snap

    def state_before(self, t: int) -> OnlineMechanism:
        """Return a fresh mechanism object in the baseline's state before tick ``t``."""
        return self.snap.load(self.state_snapshot(t))

    # ---- replays -----------------------------------------------------------------------
    def replay(self, deviations: Mapping[int, AgentType], ticks: Mapping[int, int], *, to_end: bool = False,
               keep_states: bool = False, streams: Streams | None = None) -> Replay:
        """Return the replay with ``deviations`` swapped into the baseline schedule.

        ``ticks`` gives each deviator's tick. The replay starts from the baseline state before
        the first deviator's tick and stops after the last deviator's tick (outcomes are
        irrevocable, so theirs are final), or runs to the end with ``to_end`` (then
        ``record`` is the full deviating run). ``keep_states`` keeps, per deviator tick, a copy
        of the state just before that tick (to ask the mechanism about that state without
        touching the replay). ``streams`` re-seeds the mechanism's coins from the start tick
        on (redraws at arrival with the state fixed). An :class:`InvariantError` stops the
        replay and is returned in ``error``; :class:`ConfigError` (a report the mechanism
        refuses) propagates.
        """
        dev = {int(a): t for a, t in deviations.items()}
        dev_ticks = {ticks[a] for a in dev}
        first = min(dev_ticks)
        last = max(dev_ticks)
        mech = self.state_before(first)
        if streams is not None:
            mech.streams = streams
        stop = self.n_ticks - 1 if to_end else last
        outcomes: dict[int, Outcome] = {}
        public: list[PublicState | None] = []
        states: dict[int, OnlineMechanism] = {}
        res = Replay(dev, outcomes, first, stop, states=states)  # dev: this replay's own dict
        schedule = self.schedule
        for t in range(first, stop + 1):
            reps = schedule[t]
            if t in dev_ticks:
                reps = [Report(r.agent, dev[r.agent]) if r.agent in dev else r for r in reps]
                if keep_states:
                    states[t] = self.snap.load(self.snap.dump(mech, in_memory=True))
            try:
                outs = checked_step(mech, t, reps)
                pub = published(mech) if to_end and self.record_public else None
            except InvariantError as e:
                res.error, res.error_tick, res.stop_tick = e, t, t
                break
            for o in outs:
                outcomes[o.agent] = o
            if to_end:
                public.append(pub)
        if to_end and res.error is None:
            base = self.record()
            full = {**base.outcomes, **outcomes}
            sched = apply_deviations(self.schedule, dev)
            res.record = RunRecord(self.seed, sched, full, base.public[:first] + public, summary_of(mech), mech,
                                   self.config)
        return res


def replay_from_scratch(factory: Factory, schedule: Sequence[Sequence[Report]], seed: int,
                        deviations: Mapping[int, AgentType] | None = None) -> tuple[RunRecord, InvariantError | None]:
    """Return a fresh run of ``schedule`` with ``deviations`` swapped in, and the error that stopped it.

    The reference path: a new mechanism from ``factory``, started with ``Streams(seed)``,
    stepped through every tick. An :class:`InvariantError` stops the run (its outcomes so far
    are returned) instead of propagating.
    """
    mech = factory()
    config = configuration(mech)
    mech.start(Streams(int(seed)))
    sched = apply_deviations(schedule, deviations)
    outcomes: dict[int, Outcome] = {}
    public: list[PublicState | None] = []
    err = None
    for t, reports in enumerate(sched):
        try:
            outs = checked_step(mech, t, reports)
            pub = published(mech)
        except InvariantError as e:
            err = e
            break
        for o in outs:
            outcomes[o.agent] = o
        public.append(pub)
    summary = summary_of(mech) if err is None else {}
    return RunRecord(int(seed), sched, outcomes, public, summary, mech, config), err

