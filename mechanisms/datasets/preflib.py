"""Loader for PrefLib "soc" files (strict complete orders), e.g. the AGH course rankings.

Format (PrefLib): ``#`` header lines (``# NUMBER ALTERNATIVES: 7``, ``# ALTERNATIVE NAME 1:
Course 1``, ...), then one line per distinct order, ``COUNT: a,b,c,...``, alternatives
numbered from 1. The AGH data (``shared/data/preflib/``) has students ranking all courses;
a course-allocation market lets each student demand a bundle of ``k`` courses, ranked
lexicographically by the student's course order (:meth:`BundleRanking.from_item_order`).
"""
from __future__ import annotations

import math
import pathlib
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, require
from ..market import Goods
from ..preferences import BundleRanking


@dataclass(frozen=True)
class SocData:
    """A parsed soc file: alternative names and the list of (count, order) pairs.

    ``orders`` hold 0-based alternative indices, best first.
    """

    names: tuple[str, ...]
    orders: tuple[tuple[int, tuple[int, ...]], ...]
    path: str = ""

    @property
    def n_voters(self) -> int:
        """Total number of voters (students)."""
        return sum(c for c, _ in self.orders)

    def expanded(self) -> list[tuple[int, ...]]:
        """Return one order per voter, in file order (each distinct order repeated COUNT times)."""
        return [o for c, o in self.orders for _ in range(c)]


def read_soc(path: str | pathlib.Path) -> SocData:
    """Return the parsed soc file at ``path``.

    Raises :class:`ConfigError` naming the file and line for a malformed line, an order that is
    not a permutation of the alternatives, or counts that disagree with the header.
    """
    p = pathlib.Path(path)
    require(p.is_file(), "data.path", str(p), "an existing PrefLib .soc file")
    n_alt = None
    n_voters = None
    names: dict[int, str] = {}
    orders = []
    for lineno, raw in enumerate(p.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        field = f"{p.name}:{lineno}"
        if line.startswith("#"):
            key, _, val = line[1:].partition(":")
            key = key.strip().upper()
            if key == "NUMBER ALTERNATIVES":
                n_alt = int(val)
            elif key == "NUMBER VOTERS":
                n_voters = int(val)
            elif key.startswith("ALTERNATIVE NAME"):
                names[int(key.split()[-1])] = val.strip()
            continue
        count, colon, rest = line.partition(":")
        require(colon == ":" and count.strip().isdigit(), field, line, '"COUNT: a,b,c,..."')
        try:
            order = tuple(int(x) - 1 for x in rest.split(","))
        except ValueError:
            raise ConfigError(field, line, "comma-separated alternative numbers") from None
        orders.append((int(count), order))
    require(n_alt is not None, p.name, "no '# NUMBER ALTERNATIVES' header", "a PrefLib soc header")
    for k, (_, o) in enumerate(orders):
        require(sorted(o) == list(range(n_alt)), f"{p.name}: order {k}", [x + 1 for x in o],
                f"a complete strict order of alternatives 1..{n_alt}")
    data = SocData(tuple(names.get(j + 1, f"alt{j + 1}") for j in range(n_alt)), tuple(orders), str(p))
    if n_voters is not None:
        require(data.n_voters == n_voters, f"{p.name}: NUMBER VOTERS", n_voters, f"the sum of counts ({data.n_voters})")
    return data


def course_market(data: SocData, k: int, capacity_factor: float = 0.9,
                  capacity: int | None = None, min_size: int | None = None) -> tuple[Goods, list[BundleRanking]]:
    """Return the goods and one bundle ranking per student for a "k courses each" market.

    Each course's capacity is ``capacity`` if given, else ``ceil(capacity_factor * N * k / m)``
    (N students, m courses): e.g. AGH 2004 with k=3 and factor 0.9 gives ceil(0.9*153*3/7) = 60.
    Student rankings are lexicographic in their course order over bundles of ``min_size..k``
    courses (default: exactly k). Smaller bundles matter for "up to one object" comparisons:
    with exactly-k rankings, a bundle minus one course is outside the feasible set.
    """
    m = len(data.names)
    require(isinstance(k, int) and 1 <= k <= m, "k", k, f"an integer in [1, {m}]")
    if capacity is None:
        require(capacity_factor > 0, "capacity_factor", capacity_factor, "a positive number")
        capacity = math.ceil(capacity_factor * data.n_voters * k / m)
    names = tuple(n.replace(" ", "_") for n in data.names)
    goods = Goods(names, tuple([int(capacity)] * m))
    cache: dict[tuple[int, ...], BundleRanking] = {}
    rankings = []
    for order in data.expanded():
        if order not in cache:
            cache[order] = BundleRanking.from_item_order(order, m, k, min_size)
        rankings.append(cache[order])
    return goods, rankings


def resample(rankings: list, n: int, rng: np.random.Generator) -> list:
    """Return ``n`` rankings drawn with replacement from ``rankings`` (for markets larger than the data)."""
    idx = rng.integers(len(rankings), size=n)
    return [rankings[i] for i in idx]


def resample_market(goods: Goods, rankings: list, n: int, rng: np.random.Generator,
                    capacity_ratio: float | None = None) -> tuple[Goods, list]:
    """Return ``n`` students resampled with replacement and capacities scaled to the sample.

    Args:
        goods: the data's goods and capacities (for the data's own population).
        rankings: one ranking per student of the data.
        n: sample size (smaller or larger than the data).
        rng: the generator drawing the students (e.g. the stream ``("types",)``).
        capacity_ratio: capacity per student; good j gets ``max(1, round(capacity_ratio * n))``
            if given, else ``max(1, round(c_j * n / N))`` (the data's own capacity/population
            ratio, N = len(rankings)), so a resampled market is as tight as the original.

    Returns:
        (goods with scaled capacities, the resampled rankings).
    """
    require(isinstance(n, (int, np.integer)) and n >= 1, "n", n, "a positive integer")
    require(len(rankings) > 0, "rankings", 0, "at least one student to resample")
    if capacity_ratio is not None:
        require(isinstance(capacity_ratio, (int, float)) and capacity_ratio > 0, "capacity_ratio", capacity_ratio,
                "a positive number (capacity per student)")
        caps = [max(1, int(round(capacity_ratio * n)))] * goods.m
    else:
        caps = [max(1, int(round(c * n / len(rankings)))) for c in goods.capacities]
    return Goods(goods.names, tuple(caps)), resample(rankings, n, rng)
