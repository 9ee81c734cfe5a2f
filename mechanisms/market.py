"""Goods, capacities, bundles and the public market: the primitives every mechanism shares.

:class:`Market` is the public description of a market (kind, goods, known population size,
horizon, family data); :class:`Goods` its goods and capacities.

Bundles are subsets of goods with at most one unit of each (OCAM paper, Section 2: a bundle
is x in {0,1}^m). They are stored as integer bitmasks (bit j set when good j is in the
bundle), so "is this bundle still available" is one vectorised ``&`` over all of an agent's
acceptable bundles, and as 0/1 matrices or padded item-index tables, so "what do these
bundles cost at prices p" is one matrix-vector product or one gather.

Width: a mask is a Python ``int``, which has no fixed width, so markets of any size work.
Arrays of masks take the int64 fast path when ``m <= FAST_GOODS`` (62: the sign bit stays
unused) and are numpy ``object`` arrays of Python ints beyond (exact, slower per element, but
every vectorised ``&`` / ``==`` still works). Use :func:`mask_array`, :func:`masks_to_matrix`,
:func:`masks_to_items` and :func:`bundle_vector` rather than ``mask >> np.arange(m)``, which
overflows for m > 63.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from .errors import ConfigError, require

#: Largest number of goods for which arrays of bundle masks are int64 (the fast path); larger
#: markets use numpy object arrays of Python ints (the exact path). Not a cap on the market.
FAST_GOODS = 62


def _is_int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


@dataclass(frozen=True)
class Goods:
    """Named goods with integer capacities (OCAM paper, Section 2: c^j in N).

    Parameters
    ----------
    names : tuple of str
        Distinct good names, in index order.
    capacities : tuple of int
        Non-negative integer capacity of each good.

    Raises
    ------
    ConfigError
        On duplicate or empty names, a negative or fractional capacity, or a length mismatch.
    """

    names: tuple[str, ...]
    capacities: tuple[int, ...]

    def __post_init__(self) -> None:
        names = tuple(self.names)
        require(len(names) > 0, "goods", list(names), "at least one good")
        require(len(set(names)) == len(names), "goods", list(names), "distinct good names")
        require(len(self.capacities) == len(names), "capacities", list(self.capacities),
                f"one capacity per good ({len(names)})")
        caps = []
        for name, c in zip(names, self.capacities):
            if isinstance(c, float) and c.is_integer():
                c = int(c)
            require(_is_int(c) and c >= 0, f"capacities.{name}", c, "a non-negative integer")
            caps.append(int(c))
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "capacities", tuple(caps))

    @classmethod
    def uniform(cls, m: int, capacity: int, prefix: str = "g") -> Goods:
        """Return ``m`` goods named ``g0..g{m-1}`` with equal capacity."""
        require(_is_int(m) and m > 0, "m", m, "a positive integer")
        return cls(tuple(f"{prefix}{j}" for j in range(m)), tuple([capacity] * m))

    @property
    def m(self) -> int:
        """Number of goods."""
        return len(self.names)

    @cached_property
    def capacity(self) -> np.ndarray:
        """Capacities as an int64 array (read-only)."""
        a = np.asarray(self.capacities, dtype=np.int64)
        a.setflags(write=False)
        return a

    @cached_property
    def _index(self) -> dict[str, int]:
        return {n: j for j, n in enumerate(self.names)}

    def index(self, name: str, field: str = "good") -> int:
        """Return the index of good ``name``; raise :class:`ConfigError` if it does not exist."""
        try:
            return self._index[name]
        except (KeyError, TypeError):
            raise ConfigError(field, name, f"one of the goods {list(self.names)}") from None

    def mask(self, names: Iterable[str], field: str = "bundle") -> int:
        """Return the bitmask of the bundle made of the goods ``names``."""
        names = list(names)
        require(len(set(names)) == len(names), field, names, "a bundle naming each good at most once")
        return bundle_mask(self.index(n, field) for n in names)

    def bundle_names(self, mask: int) -> tuple[str, ...]:
        """Return the names of the goods in bundle ``mask``."""
        return tuple(self.names[j] for j in bundle_items(mask))

    def format_bundle(self, mask: int) -> str:
        """Return ``"{a,b}"`` for a bundle, ``"{}"`` for the empty bundle."""
        return "{" + ",".join(self.bundle_names(mask)) + "}"


@dataclass
class Market:
    """The public description of a market (what every participant may know).

    Parameters
    ----------
    kind : str
        ``"bundles"`` (combinatorial assignment: OCAM, SD over bundles), ``"objects"`` (unit
        demand with a null option: SEM, SD-RTB), ``"procurement"`` or ``"fair_division"``
        (fixed agents, goods arriving one per time step: :mod:`mechanisms.fair_division`).
    goods : Goods, optional
        Goods and capacities (bundle and object markets). For object markets the null
        option is implicit, with unbounded supply (SEM Section 2: s_o > |I|).
    max_bundle_size : int, optional
        Largest bundle an agent may demand (bundle markets).
    n_agents : int, optional
        Known population size n (OCAM Section 4.2 and the procurement setting assume n known).
    horizon : int, optional
        Number of periods T, when the market has a fixed horizon (SEM).
    extra : dict
        Family-specific public data (procurement budget and valuation, SEM arrival
        distribution, ...). Families may also subclass :class:`Market`.
    """

    kind: str
    goods: Goods | None = None
    max_bundle_size: int | None = None
    n_agents: int | None = None
    horizon: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        require(self.kind in ("bundles", "objects", "procurement", "fair_division"), "market.kind", self.kind,
                'one of "bundles", "objects", "procurement", "fair_division"')
        if self.kind in ("bundles", "objects"):
            require(isinstance(self.goods, Goods), "market.goods", self.goods, "a Goods instance")
        if self.max_bundle_size is not None:
            require(isinstance(self.max_bundle_size, (int, np.integer)) and self.max_bundle_size >= 1,
                    "market.max_bundle_size", self.max_bundle_size, "a positive integer")
        if self.n_agents is not None:
            require(isinstance(self.n_agents, (int, np.integer)) and self.n_agents >= 1,
                    "market.n_agents", self.n_agents, "a positive integer")

    @property
    def type_class(self) -> type:
        """The preference/cost class agents of this market report."""
        from .preferences import PREFERENCE_KINDS  # preferences imports this module

        return PREFERENCE_KINDS[{"bundles": "bundles", "objects": "objects", "procurement": "cost",
                                 "fair_division": "fair_division"}[self.kind]]


def bundle_mask(items: Iterable[int]) -> int:
    """Return the bitmask of the bundle holding goods ``items`` (indices)."""
    mask = 0
    for j in items:
        mask |= 1 << int(j)
    return mask


def bundle_from_items(items: Sequence[int], m: int, field: str = "bundle", max_size: int | None = None) -> int:
    """Return the bitmask of a bundle given as good indices, checking the spec.

    Raises :class:`ConfigError` naming ``field`` when an index is not an integer in [0, m),
    an index repeats, the bundle is empty, or it holds more than ``max_size`` goods.
    """
    if isinstance(items, (str, bytes)) or not isinstance(items, (list, tuple, np.ndarray)):
        raise ConfigError(field, items, "a list of good indices")
    vals = list(items)
    require(len(vals) > 0, field, vals, "a non-empty bundle")
    for j in vals:
        require(_is_int(j) and 0 <= int(j) < m, field, vals, f"good indices in [0, {m}) (bad: {j!r})")
    require(len(set(int(j) for j in vals)) == len(vals), field, vals, "each good at most once (duplicates)")
    if max_size is not None:
        require(len(vals) <= max_size, field, vals, f"a bundle of at most {max_size} goods (has {len(vals)})")
    return bundle_mask(vals)


def bundle_items(mask: int) -> tuple[int, ...]:
    """Return the good indices in bundle ``mask``, ascending."""
    mask = int(mask)
    require(mask >= 0, "bundle", mask, "a non-negative bundle bitmask")  # a negative one never ends
    out = []
    while mask:  # one step per set bit (the lowest), any width
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return tuple(out)


def bundle_size(mask: int) -> int:
    """Return the number of goods in bundle ``mask``."""
    return int(mask).bit_count()


def mask_array(masks: Iterable[int] | np.ndarray, m: int) -> np.ndarray:
    """Return ``masks`` as a 1-d array: int64 when ``m <= FAST_GOODS``, else object (Python ints).

    Both support the vectorised ``arr & blocked``, ``arr == 0`` and fancy indexing.
    """
    if m <= FAST_GOODS:
        return np.asarray(masks, dtype=np.int64).reshape(-1)
    vals = [int(b) for b in masks]
    arr = np.empty(len(vals), dtype=object)
    arr[:] = vals
    return arr


def masks_to_matrix(masks: Sequence[int] | np.ndarray, m: int) -> np.ndarray:
    """Return the 0/1 float matrix (len(masks), m) whose row r is bundle ``masks[r]``.

    int64 bit shifts when ``m <= FAST_GOODS``; an exact scatter of each mask's items beyond.
    """
    if m <= FAST_GOODS:
        return _bits(masks, m).astype(np.float64)
    flat = np.asarray(masks, dtype=object).reshape(-1)
    out = np.zeros((flat.size, m))
    rows, cols = _scatter(flat)
    out[rows, cols] = 1.0
    return out


def _bits(masks: Sequence[int] | np.ndarray, m: int) -> np.ndarray:
    """Return the 0/1 uint8 table (len(masks), m) of int64 bitmasks (bit j of row r: good j in masks[r])."""
    le = np.ascontiguousarray(np.asarray(masks, dtype=np.int64).reshape(-1), dtype="<i8")
    # the bytes of each little-endian mask, unpacked low bit first: one call instead of m shifts
    return np.unpackbits(le.view(np.uint8).reshape(-1, 8), axis=1, count=m, bitorder="little")


def _scatter(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (row, item) index arrays of every good in every mask of ``flat`` (exact path)."""
    rows: list[int] = []
    cols: list[int] = []
    for r, b in enumerate(flat.tolist()):
        its = bundle_items(b)
        rows.extend([r] * len(its))
        cols.extend(its)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def masks_to_items(masks: Sequence[int] | np.ndarray, m: int, width: int | None = None) -> np.ndarray:
    """Return the (len(masks), width) int64 table of each bundle's goods, ascending, padded with ``m``.

    ``width`` defaults to the largest bundle (at least 1). With prices ``q = append(p, 0)``,
    ``q[items].sum(axis=1)`` is every bundle's cost: a gather whose size does not grow with m.
    """
    flat = np.asarray(masks, dtype=np.int64 if m <= FAST_GOODS else object).reshape(-1)
    if m <= FAST_GOODS:
        bits = _bits(flat, m).astype(bool)
        sizes = bits.sum(axis=1)
        w = max(int(sizes.max()) if sizes.size else 0, 1) if width is None else width
        order = np.argsort(~bits, axis=1, kind="stable")[:, :w]
        return np.where(np.take_along_axis(bits, order, axis=1), order, m).astype(np.int64)
    rows, cols = _scatter(flat)
    sizes = np.bincount(rows, minlength=flat.size)
    w = max(int(sizes.max()) if sizes.size else 0, 1) if width is None else width
    out = np.full((flat.size, w), m, dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    pos = np.arange(rows.size) - start[rows]
    out[rows, pos] = cols
    return out


_ARANGE: dict[int, np.ndarray] = {}


def bundle_vector(mask: int, m: int) -> np.ndarray:
    """Return the 0/1 int64 vector (m,) of bundle ``mask`` (exact for any width)."""
    mask = int(mask)
    if m <= FAST_GOODS:
        r = _ARANGE.get(m)
        if r is None:
            r = _ARANGE[m] = np.arange(m, dtype=np.int64)
            r.flags.writeable = False
        return (mask >> r) & 1
    x = np.zeros(m, dtype=np.int64)
    its = bundle_items(mask)
    if its:
        x[list(its)] = 1
    return x


def exhausted_mask(remaining: np.ndarray) -> int:
    """Return the bitmask of goods with no remaining capacity."""
    return bundle_mask(np.flatnonzero(np.asarray(remaining) <= 0))
