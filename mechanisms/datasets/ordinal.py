"""PrefLib ordinal files beyond ``soc``: ``soi``, ``toc``, ``toi`` (issue 14, item 4).

PrefLib's four ordinal data types (preflib.org, "Data Types"): strict complete orders (soc),
strict incomplete orders (soi: unranked alternatives come after every ranked one), complete
orders with ties (toc) and incomplete orders with ties (toi). A file has ``#`` header lines
(``# DATA TYPE: toi``, ``# NUMBER ALTERNATIVES: 4``, ``# ALTERNATIVE NAME 1: Math``, ...) and
one line per distinct order, ``COUNT: 1,{2,3},4`` (alternatives numbered from 1; braces hold a
tie). :func:`read_ordinal` parses any of the four into :class:`RankingData`; every malformed
line is a :class:`~mechanisms.errors.ConfigError` naming the file and the line.

Why not ``preflibtools``: it installs (pure Python, but pulls ``pulp`` and ``prefsampling``),
and its parser skips tokens its pattern does not match instead of reporting the line; the
testbed needs field-level errors, and the format is a dozen lines to read.

Turning orders into market types:

- :func:`weak_order`: an object market's weak order (SEM Section 2): the ranked classes, then
  the null option o, then the unranked objects (unacceptable).
- :func:`strict_order` breaks ties (``ties = "error"`` refuses them, ``"index"`` orders a tie by
  alternative number, ``"random"`` draws a uniform order of each tie from the given generator)
  and :func:`lexicographic_ranking` ranks bundles of ranked courses lexicographically (the
  responsive extension of :meth:`~mechanisms.preferences.BundleRanking.from_item_order`).
"""
from __future__ import annotations

import itertools
import math
import pathlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError, require
from ..market import Goods, bundle_mask
from ..preferences import BundleRanking, WeakOrder

#: The PrefLib ordinal data types and (strict?, complete?).
DATA_TYPES = {"soc": (True, True), "soi": (True, False), "toc": (False, True), "toi": (False, False)}

#: Tie-breaking policies for bundle markets (strict rankings).
TIES = ("error", "index", "random")

Classes = tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class RankingData:
    """Parsed ordinal preferences: alternative names and (count, classes) pairs.

    ``classes`` are tuples of 0-based alternative indices, best first (a class of several
    alternatives is a tie); alternatives in no class are unranked. ``voters`` holds one name
    per voter when the source names them (CSV files), else None. ``data_type`` is one of
    :data:`DATA_TYPES`.
    """

    names: tuple[str, ...]
    orders: tuple[tuple[int, Classes], ...]
    data_type: str
    path: str = ""
    voters: tuple[str, ...] | None = None

    @property
    def n_voters(self) -> int:
        """Total number of voters."""
        return sum(c for c, _ in self.orders)

    def expanded(self) -> list[Classes]:
        """Return one order per voter, in file order (each distinct order repeated COUNT times)."""
        return [o for c, o in self.orders for _ in range(c)]

    @property
    def has_ties(self) -> bool:
        """True when some order has a class of two or more alternatives."""
        return any(len(c) > 1 for _, o in self.orders for c in o)


def _parse_order(text: str, n_alt: int, field: str, line: str) -> Classes:
    """Return the classes written as ``1,{2,3},4`` (1-based numbers) as 0-based tuples."""
    classes: list[tuple[int, ...]] = []
    s = text.replace(" ", "").replace("\t", "")
    i = 0
    while i < len(s):
        if s[i] == "{":
            j = s.find("}", i)
            require(j > i, field, line, "a closed tie {a,b,...}")
            items = s[i + 1:j].split(",")
            i = j + 1
        else:
            j = s.find(",", i)
            j = len(s) if j < 0 else j
            items = [s[i:j]]
            i = j
        require(all(x.isdigit() for x in items), field, line, "comma-separated alternative numbers, ties in braces")
        cls = tuple(int(x) - 1 for x in items)
        require(all(0 <= x < n_alt for x in cls), field, line, f"alternative numbers in 1..{n_alt}")
        classes.append(cls)
        if i < len(s):
            require(s[i] == ",", field, line, "a comma between alternatives")
            i += 1
            require(i < len(s), field, line, "an alternative after the last comma")
    flat = [x for c in classes for x in c]
    require(len(set(flat)) == len(flat), field, line, "each alternative at most once")
    return tuple(classes)


def read_ordinal(path: str | pathlib.Path) -> RankingData:
    """Return the PrefLib ordinal file (soc, soi, toc or toi) at ``path``.

    The data type comes from the ``# DATA TYPE`` header, else from the file suffix. Raises
    :class:`ConfigError` naming the file and line for a malformed line, a tie in a strict
    type, an incomplete order in a complete type, or counts that disagree with the header.
    """
    p = pathlib.Path(path)
    require(p.is_file(), "data.path", str(p), "an existing PrefLib .soc/.soi/.toc/.toi file")
    n_alt = n_voters = None
    dtype = None
    names: dict[int, str] = {}
    body: list[tuple[int, str]] = []
    for lineno, raw in enumerate(p.read_text().splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            key, _, val = line[1:].partition(":")
            key = key.strip().upper()
            field = f"{p.name}:{lineno}"
            try:
                if key == "NUMBER ALTERNATIVES":
                    n_alt = int(val)
                elif key == "NUMBER VOTERS":
                    n_voters = int(val)
                elif key == "DATA TYPE":
                    dtype = val.strip().lower()
                elif key.startswith("ALTERNATIVE NAME"):
                    names[int(key.split()[-1])] = val.strip()
            except ValueError:
                raise ConfigError(field, line, "an integer in the header line") from None
            continue
        body.append((lineno, line))
    dtype = dtype or p.suffix.lower().lstrip(".")
    require(dtype in DATA_TYPES, f"{p.name}: DATA TYPE", dtype, f"one of {sorted(DATA_TYPES)}")
    require(n_alt is not None and n_alt >= 1, p.name, "no '# NUMBER ALTERNATIVES' header", "a PrefLib header")
    strict, complete = DATA_TYPES[dtype]
    orders = []
    for lineno, line in body:
        field = f"{p.name}:{lineno}"
        count, colon, rest = line.partition(":")
        require(colon == ":" and count.strip().isdigit() and int(count) >= 1, field, line, '"COUNT: a,{b,c},d,..."')
        classes = _parse_order(rest, n_alt, field, line)  # type: ignore[arg-type]
        require(len(classes) > 0 or not complete, field, line, "an order over the alternatives")
        if strict:
            require(all(len(c) == 1 for c in classes), field, line, f"a strict order (no ties in a {dtype} file)")
        if complete:
            require(sum(len(c) for c in classes) == n_alt, field, line,
                    f"a complete order of alternatives 1..{n_alt} (a {dtype} file)")
        orders.append((int(count), classes))
    require(len(orders) > 0, p.name, "no orders", "at least one 'COUNT: order' line")
    data = RankingData(tuple(names.get(j + 1, f"alt{j + 1}") for j in range(n_alt)), tuple(orders), dtype, str(p))
    if n_voters is not None:
        require(data.n_voters == n_voters, f"{p.name}: NUMBER VOTERS", n_voters, f"the sum of counts ({data.n_voters})")
    return data


def weak_order(classes: Classes, n_objects: int) -> WeakOrder:
    """Return the weak order over objects and the null option: ranked classes, o, then the rest.

    Unranked objects sit below the null option (unacceptable: SEM Section 2's weak orders
    over O and o); a complete order makes every object acceptable.
    """
    ranked = {x for c in classes for x in c}
    rest = tuple(j for j in range(n_objects) if j not in ranked)
    return WeakOrder(n_objects, tuple(classes) + ((n_objects,),) + ((rest,) if rest else ()))


def strict_order(classes: Classes, ties: str = "error", rng: np.random.Generator | None = None,
                 field: str = "population.ties") -> list[int]:
    """Return the ranked alternatives as one strict order, breaking ties by ``ties``.

    ``"error"`` raises :class:`ConfigError` naming ``field`` on a tie, ``"index"`` orders a
    tie by alternative number, ``"random"`` by a uniform permutation drawn from ``rng``.
    """
    require(ties in TIES, field, ties, f"one of {list(TIES)}")
    out: list[int] = []
    for c in classes:
        if len(c) > 1:
            require(ties != "error", field, ties, "a tie-breaking rule (\"index\" or \"random\"): the data has "
                                                  f"ties (e.g. alternatives {[x + 1 for x in c]}) and bundle "
                                                  "rankings are strict")
            if ties == "random":
                require(rng is not None, field, ties, "a generator for random tie-breaking")
                c = tuple(c[i] for i in rng.permutation(len(c)))
            else:
                c = tuple(sorted(c))
        out.extend(c)
    return out


def lexicographic_ranking(order: Sequence[int], m: int, k: int, min_size: int | None = None) -> BundleRanking:
    """Return the lexicographic ranking of bundles of the ranked goods ``order`` (best first).

    As :meth:`BundleRanking.from_item_order` (bundles compared by the sorted positions of their
    goods in the order, fuller bundles first among equal prefixes) with only ranked goods
    acceptable. Bundles hold ``min_size..k`` goods (default exactly k). Reading decision: a
    voter who ranks only r < k goods accepts bundles of ``min(min_size, r)..r`` of them (she
    is not forced to take a course she did not rank, nor left with nothing).
    """
    order = [int(j) for j in order]
    require(len(set(order)) == len(order) and all(0 <= j < m for j in order), "order", order,
            f"distinct goods in range({m})")
    require(1 <= k <= m, "k", k, f"an integer in [1, {m}]")
    lo = k if min_size is None else min_size
    require(isinstance(lo, (int, np.integer)) and 1 <= lo <= k, "min_size", min_size, f"an integer in [1, k={k}]")
    r = len(order)
    hi, lo = min(k, r), min(lo, r)
    pos = {j: i for i, j in enumerate(order)}
    combos = [c for size in range(max(lo, 1), hi + 1) for c in itertools.combinations(sorted(order), size)]
    keyed = sorted(combos, key=lambda c: sorted(pos[j] for j in c) + [m] * (k - len(c)))
    return BundleRanking(m, tuple(bundle_mask(c) for c in keyed))


def goods_with_capacity(names: Sequence[str], n_voters: int, per_voter: int, capacity: int | Sequence[int] | None,
                        capacity_factor: float) -> Goods:
    """Return the goods with ``capacity`` (one number or one per good) or
    ``ceil(capacity_factor * N * per_voter / m)`` each (as :func:`~mechanisms.datasets.preflib.course_market`)."""
    m = len(names)
    if capacity is None:
        require(capacity_factor > 0, "capacity_factor", capacity_factor, "a positive number")
        caps = [math.ceil(capacity_factor * n_voters * per_voter / m)] * m
    elif isinstance(capacity, (int, np.integer)):
        caps = [int(capacity)] * m
    else:
        caps = [int(c) for c in capacity]
    return Goods(tuple(n.replace(" ", "_") for n in names), tuple(caps))
