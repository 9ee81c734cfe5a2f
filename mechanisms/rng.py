"""Purpose-keyed random streams (DESIGN.md, "Randomness").

Every economic random draw comes from a generator derived from the run's seed and a purpose
key such as ``("arrivals",)``, ``("types",)``, ``("mechanism", "budget", 17)`` or
``("strategy", 4)``. Streams are derived, never shared sequentially, so changing what one
agent reports (and therefore how many numbers its own stream consumes) leaves every other
draw in the run unchanged: this is what makes the auditor's common random numbers exact.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from .errors import require

Key = tuple[str | int, ...]


@lru_cache(maxsize=65536)
def _key_words(key: Key) -> tuple[int, ...]:
    # A stable hash of the key text: Python's hash() is salted per process and would break
    # bit-for-bit reproduction across workers.
    text = "\x1f".join(f"{type(k).__name__}:{k}" for k in key).encode()
    digest = hashlib.blake2b(text, digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """Named random streams of one run.

    Parameters
    ----------
    seed : int
        The run's seed (a non-negative integer).

    Examples
    --------
    >>> s = Streams(7)
    >>> a = s.get("mechanism", "budget", 3).random()
    >>> b = Streams(7).get("mechanism", "budget", 3).random()
    >>> a == b
    True
    """

    __slots__ = ("seed",)

    def __init__(self, seed: int):
        require(isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0,
                "seed", seed, "a non-negative integer")
        self.seed = int(seed)

    def seed_sequence(self, *key: str | int) -> np.random.SeedSequence:
        """Return the ``SeedSequence`` of the stream named by ``key``."""
        return np.random.SeedSequence(entropy=self.seed, spawn_key=_key_words(tuple(key)))

    def get(self, *key: str | int) -> np.random.Generator:
        """Return a fresh generator for the purpose ``key``; equal keys give equal streams."""
        return np.random.Generator(np.random.PCG64(self.seed_sequence(*key)))

    def uniform(self, *key: str | int) -> float:
        """Return one U[0,1) draw of the stream ``key`` (a shortcut for one-draw purposes)."""
        return float(self.get(*key).random())

    def __repr__(self) -> str:
        return f"Streams(seed={self.seed})"
