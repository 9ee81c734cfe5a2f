"""Population sources for real preference data (issue 14, item 4), registered in
:data:`abm.populations.SOURCES`:

- ``bundles.preflib`` with a ``.soc`` file (each student demands ``k`` courses,
  :func:`mechanisms.datasets.preflib.course_market`), or a ``.soi``, ``.toc`` or ``.toi`` file: courses each student ranked, bundles of ``min_size..k`` ranked courses
  ranked lexicographically; ties need ``ties = "index"`` or ``"random"`` (stream
  ``("types", "ties")``), since bundle rankings are strict (OCAM Section 3.1).
- ``objects.preflib``: weak orders over objects from any of the four PrefLib types (ties are
  indifference classes, unranked objects unacceptable: SEM Section 2's preferences).
- ``bundles.csv`` / ``objects.csv``: named rankings from a CSV file (the classroom's input,
  :mod:`mechanisms.datasets.csv_rankings`); participants keep their row order as agent ids and
  their names go to ``market.extra["agent_names"]`` (shown by :mod:`abm.api`).

Common fields: ``file`` (relative to the scenario; ``preflib:NAME`` for the shared data folder),
``n`` (resample with replacement to n agents from the ``("types",)`` stream; PrefLib only: the
capacities then scale to the sample unless given, ``capacity_ratio`` per agent, as
``bundles.preflib`` does for soc files), capacities from ``market.capacity``/``market.capacities``
or ``capacity_factor`` (default 0.9: ``ceil(0.9 * N * k / m)``, with k = 1 for object markets).
Every error names the field.
"""
from __future__ import annotations

import pathlib

from mechanisms.datasets.csv_rankings import read_csv_rankings
from mechanisms.datasets.ordinal import (
    TIES,
    RankingData,
    goods_with_capacity,
    lexicographic_ranking,
    read_ordinal,
    strict_order,
    weak_order,
)
from mechanisms.datasets.preflib import (
    course_market,
    read_soc,
    resample,
    resample_market,
)
from mechanisms.errors import require
from mechanisms.market import Market
from mechanisms.rng import Streams

from ..schema import Section, is_file
from .registry import SHARED_DATA, SOURCES, Population


def _path(pop: Section, base: pathlib.Path, suffixes: tuple[str, ...]) -> tuple[str, pathlib.Path]:
    """Return ``(population.file, its path)``: relative to the scenario, or ``preflib:NAME`` in :data:`SHARED_DATA`."""
    f = pop.get("file", str)
    path = SHARED_DATA / f.split(":", 1)[1] if f.startswith("preflib:") else (base / f)
    require(is_file(path), "population.file", f[:200], f"an existing {'/'.join(suffixes)} file (looked at {str(path)[:200]})")
    require(path.suffix.lower() in suffixes, "population.file", f, f"a file ending in one of {list(suffixes)}")
    return f, path


def _capacity(market: Section, m: int):
    if market.has("capacities"):
        caps = market.get("capacities", list)
        require(len(caps) == m, "market.capacities", caps, f"one capacity per good ({m})")
        for j, c in enumerate(caps):
            require(isinstance(c, int) and not isinstance(c, bool) and c >= 0, f"market.capacities[{j}]", c,
                    "a non-negative integer")
        return caps
    return market.get("capacity", int, None, check=lambda v: v >= 0, expected="a non-negative integer")


def _goods_names(market: Section) -> list[str] | None:
    names = market.get("goods", list, None)
    if names is not None:
        for j, nm in enumerate(names):
            require(isinstance(nm, str) and nm != "", f"market.goods[{j}]", nm, "a non-empty string")
        require(len(set(names)) == len(names), "market.goods", names, "distinct names")
    return names


def _bundle_population(data: RankingData, market: Section, pop: Section, streams: Streams, label: str) -> Population:
    m = len(data.names)
    k = pop.get("k", int, check=lambda v: 1 <= v <= m, expected=f"an integer in [1, {m}]")
    min_size = pop.get("min_size", int, k, check=lambda v: 1 <= v <= k, expected=f"an integer in [1, k={k}]")
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: v > 0, expected="a positive number")
    ties = pop.get("ties", str, "error", check=lambda v: v in TIES, expected=f"one of {list(TIES)}")
    goods = goods_with_capacity(data.names, data.n_voters, k, _capacity(market, m), factor)
    rng = streams.get("types", "ties") if ties == "random" else None
    cache: dict = {}
    rankings = []
    for classes in data.expanded():
        if ties == "random" and any(len(c) > 1 for c in classes):  # one draw per voter
            rankings.append(lexicographic_ranking(strict_order(classes, ties, rng), m, k, min_size))
            continue
        if classes not in cache:
            cache[classes] = lexicographic_ranking(strict_order(classes, ties, rng), m, k, min_size)
        rankings.append(cache[classes])
    return _finish(Market("bundles", goods, max_bundle_size=k, n_agents=len(rankings)), rankings, data, pop, streams,
                   label, market)


def _object_population(data: RankingData, market: Section, pop: Section, streams: Streams, label: str) -> Population:
    m = len(data.names)
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: v > 0, expected="a positive number")
    goods = goods_with_capacity(data.names, data.n_voters, 1, _capacity(market, m), factor)
    orders = [weak_order(c, m) for c in data.expanded()]
    return _finish(Market("objects", goods, n_agents=len(orders)), orders, data, pop, streams, label, market)


def _finish(mk: Market, types: list, data: RankingData, pop: Section, streams: Streams, label: str,
            market: Section) -> Population:
    notes = []
    if data.voters is not None:
        mk.extra["agent_names"] = list(data.voters)
        return Population(mk, types, notes=notes)
    n = pop.get("n", int, len(types), check=lambda v: v >= 1, expected="a positive integer")
    ratio = pop.get("capacity_ratio", float, None, check=lambda v: v > 0,
                    expected="a positive number (capacity per agent)")
    if n != len(types):
        explicit = market.has("capacity") or market.has("capacities")
        if explicit:
            types = resample(types, n, streams.get("types"))
        else:  # capacities scaled to the sample, as bundles.preflib does for soc files
            mk.goods, types = resample_market(mk.goods, types, n, streams.get("types"), ratio)
        notes.append(f"resampled {n} agents with replacement from the {data.n_voters} in {label}"
                     + ("" if explicit else f", capacities scaled to {list(mk.goods.capacities)}"))
        mk.n_agents = n
    return Population(mk, types, notes=notes)


@SOURCES.register("bundles.preflib")
def _bundles_preflib(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Real course rankings from a PrefLib soc file: each student demands ``k`` courses.

    ``file`` is a path relative to the scenario, or ``preflib:NAME`` for the shared data
    folder (e.g. ``preflib:agh-2004.soc``). Capacities come from ``market.capacity`` or
    ``capacity_factor`` (default 0.9: ceil(0.9 * N * k / m)). ``min_size`` (default k) makes
    bundles of ``min_size..k`` courses acceptable (lexicographic order, fuller bundles first
    among equal prefixes). With ``n`` larger or smaller
    than the data, students are resampled with replacement (stream ``("types",)``), as noted.
    """
    _, path = _path(pop, base, (".soc", ".soi", ".toc", ".toi"))
    if path.suffix.lower() != ".soc":  # PrefLib's other ordinal types: ties handled by ``ties``
        return _bundle_population(read_ordinal(path), market, pop, streams, path.name)
    data = read_soc(path)
    k = pop.get("k", int, check=lambda v: 1 <= v <= len(data.names), expected=f"an integer in [1, {len(data.names)}]")
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: v > 0, expected="a positive number")
    cap = market.get("capacity", int, None, check=lambda v: v >= 0, expected="a non-negative integer")
    min_size = pop.get("min_size", int, k, check=lambda v: 1 <= v <= k, expected=f"an integer in [1, k={k}]")
    goods, rankings = course_market(data, k, factor, cap, min_size)
    n = pop.get("n", int, len(rankings), check=lambda v: v >= 1, expected="a positive integer")
    ratio = pop.get("capacity_ratio", float, None, check=lambda v: v > 0, expected="a positive number (capacity per student)")
    notes = []
    if n != len(rankings):
        if cap is None:  # capacities scaled to the sample (default: the data's capacity/population ratio)
            goods, rankings = resample_market(goods, rankings, n, streams.get("types"), ratio)
        else:
            rankings = resample(rankings, n, streams.get("types"))
        notes.append(f"resampled {n} students with replacement from the {data.n_voters} in {path.name}"
                     + ("" if cap is not None else f", capacities scaled to {goods.capacities[0]}"))
    return Population(Market("bundles", goods, max_bundle_size=k, n_agents=n), rankings, notes=notes)




@SOURCES.register("objects.preflib")
def _objects_preflib(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Weak orders over objects from a PrefLib soc/soi/toc/toi file (see the module docstring)."""
    _, path = _path(pop, base, (".soc", ".soi", ".toc", ".toi"))
    return _object_population(read_ordinal(path), market, pop, streams, path.name)


@SOURCES.register("bundles.csv")
def _bundles_csv(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Named course rankings from a CSV file; bundles of ``min_size..k`` ranked courses."""
    _, path = _path(pop, base, (".csv",))
    return _bundle_population(read_csv_rankings(path, _goods_names(market)), market, pop, streams, path.name)


@SOURCES.register("objects.csv")
def _objects_csv(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Named rankings over objects from a CSV file (ties ``a=b`` are indifference classes)."""
    _, path = _path(pop, base, (".csv",))
    return _object_population(read_csv_rankings(path, _goods_names(market)), market, pop, streams, path.name)

