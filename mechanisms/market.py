"""Goods, capacities and bundles: the market primitives every mechanism shares.

Bundles are subsets of goods with at most one unit of each (OCAM paper, Section 2: a bundle
is x in {0,1}^m). They are stored as integer bitmasks (bit j set when good j is in the
bundle), so "is this bundle still available" is one vectorised ``&`` over all of an agent's
acceptable bundles, and as 0/1 matrices, so "what do these bundles cost at prices p" is one
matrix-vector product.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import ConfigError, require

#: Largest number of goods a bitmask bundle supports (int64, sign bit unused).
MAX_GOODS = 62


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
        require(len(names) <= MAX_GOODS, "goods", len(names), f"at most {MAX_GOODS} goods")
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


def bundle_mask(items: Iterable[int]) -> int:
    """Return the bitmask of the bundle holding goods ``items`` (indices)."""
    mask = 0
    for j in items:
        mask |= 1 << int(j)
    return mask


def bundle_items(mask: int) -> tuple[int, ...]:
    """Return the good indices in bundle ``mask``, ascending."""
    mask = int(mask)
    out = []
    j = 0
    while mask:
        if mask & 1:
            out.append(j)
        mask >>= 1
        j += 1
    return tuple(out)


def bundle_size(mask: int) -> int:
    """Return the number of goods in bundle ``mask``."""
    return int(mask).bit_count()


def masks_to_matrix(masks: Sequence[int] | np.ndarray, m: int) -> np.ndarray:
    """Return the 0/1 float matrix (len(masks), m) whose row r is bundle ``masks[r]``."""
    arr = np.asarray(masks, dtype=np.int64).reshape(-1, 1)
    return ((arr >> np.arange(m, dtype=np.int64)) & 1).astype(np.float64)


def exhausted_mask(remaining: np.ndarray) -> int:
    """Return the bitmask of goods with no remaining capacity."""
    return bundle_mask(np.flatnonzero(np.asarray(remaining) <= 0))
