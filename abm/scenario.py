"""Scenario files (TOML): market, population, arrivals, mechanism, strategies, seed.

A scenario is read and fully validated (:func:`load_scenario`) before anything runs or is
written; every error names the field and the value. :func:`build_run` turns a scenario and a
seed into a ready :class:`~abm.model.AllocationModel`. Population sources live in
:mod:`abm.populations` (one registry, :data:`abm.populations.SOURCES`, keyed
``"<market kind>.<source name>"``); this module reads the scenario's own tables (``[mechanism]``,
``[arrivals]``, ``[strategies]``, ``[[coalitions]]``, ``[audit]``) and builds a run's parts.

One build per run: validation builds the parts of the run at the scenario's own seed (the
population, mechanism, strategies and coalitions: the code that reads a table is its
validator), never the model, and keeps them for the first :func:`build_run` with that seed, so
``load_scenario`` followed by a run of the scenario's seed builds everything once.

Example (``examples/sd_bundles.toml``)::

    name = "three goods, serial dictatorship"
    seed = 7
    [market]
    kind = "bundles"
    goods = ["a", "b", "c"]
    capacities = [2, 1, 1]
    max_bundle_size = 2
    [population]
    source = "explicit"
    [[population.types]]
    count = 3
    ranking = [["a", "b"], ["a"], ["b"]]
    [mechanism]
    name = "sd"
"""
from __future__ import annotations

import copy
import json
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.rng import Streams
from strategies import coalitions as coalition_lib
from strategies.base import Strategy, parse_strategy
from strategies.coalitions import Coalition

from .arrivals import ARRIVALS
from .populations import SOURCES, Population, source_names
from .schema import MAX_AGENTS, Section, check_raw, read_toml, validate_audit_table

#: Errors a part's constructor may raise on a value its own checks missed (turned into a
#: ConfigError naming the scenario, so nothing runs or is written).
BUILD_ERRORS = (TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError, AttributeError)


@dataclass
class Scenario:
    """A validated scenario.

    ``raw`` is the parsed TOML (JSON-able, stored with results and counterexamples); the other
    fields are its validated parts. Build runs with :func:`build_run`.
    """

    raw: dict[str, Any]
    name: str
    seed: int
    replications: int
    mechanism: str
    mechanism_params: dict[str, Any]
    arrivals: str
    batch_size: int
    base_dir: pathlib.Path
    audit: dict[str, Any] = field(default_factory=dict)
    #: True when the scenario may name code to import (``module:Class``); see mechanisms.plugins.
    allow_import: bool = False
    #: ``(seed, RunParts)`` built by validation, kept for the first run with that seed (never
    #: pickled, never compared: a cache of work done, not part of the scenario).
    _prepared: tuple[int, RunParts] | None = field(default=None, repr=False, compare=False)

    def take_prepared(self, seed: int) -> RunParts | None:
        """Return (once) the parts validation built, when ``seed`` is the seed they were built for; else None."""
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] == int(seed):
            return prepared[1]
        return None

    def forget_parts(self) -> None:
        """Drop the parts validation built (a caller that will not run the scenario's own seed here)."""
        self._prepared = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_prepared"] = None  # a worker builds its own run; mechanisms and populations stay here
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore a pickled scenario and register its mechanism in this process.

        A scenario sent to another process (a dask worker) names its mechanism by the registered
        name, but a plugin was registered only in the process that validated it. So the file's
        ``mechanism.name`` is resolved again here: an entry point is loaded, and ``module:Class``
        is imported from the same path, which needs the scenario to have been validated with
        ``allow_import`` (:func:`mechanisms.plugins.resolve_mechanism`).
        """
        self.__dict__.update(state)
        self._prepared = None
        _resolve_mechanism(self.raw.get("mechanism", {}).get("name"), self.allow_import, self.base_dir)

    def to_json(self) -> str:
        """Return the raw scenario as JSON (what results and counterexamples store)."""
        return json.dumps({"scenario": self.raw, "base_dir": str(self.base_dir)}, sort_keys=True, default=str)

    def with_overrides(self, **changes: Any) -> Scenario:
        """Return a new validated scenario with dotted-path overrides, e.g. ``{"market.capacity": 5}``."""
        raw = copy.deepcopy(self.raw)
        for path, value in changes.items():
            set_path(raw, path, value)
        return parse_scenario(raw, self.base_dir, allow_import=self.allow_import)


def set_path(raw: dict[str, Any], path: str, value: Any) -> None:
    """Set ``raw[a][b][c] = value`` for ``path = "a.b.c"``, creating tables as needed."""
    keys = path.split(".")
    d = raw
    for k in keys[:-1]:
        d = d.setdefault(k, {})
        require(isinstance(d, dict), path, value, f"a path through tables ({k!r} is not a table)")
    d[keys[-1]] = value


def replication_seed(seed: int, r: int) -> int:
    """Return the seed of replication ``r`` (``seed`` itself for r = 0; derived streams after)."""
    if r == 0:
        return int(seed)
    return int(Streams(seed).seed_sequence("replication", r).generate_state(1, np.uint64)[0] >> 1)


def load_scenario(path: str | pathlib.Path, allow_import: bool = False) -> Scenario:
    """Return the validated scenario in the TOML file ``path``.

    ``allow_import`` lets ``mechanism.name`` be ``module:Class`` (code to import, see
    :mod:`mechanisms.plugins`). Raises :class:`ConfigError` for a missing file, a TOML syntax
    error, or any invalid field.
    """
    return parse_scenario(read_toml(path, "scenario"), pathlib.Path(path).parent, allow_import=allow_import)


def parse_scenario(raw: Mapping[str, Any], base_dir: str | pathlib.Path = ".", allow_import: bool = False) -> Scenario:
    """Return the validated :class:`Scenario` for the parsed table ``raw``.

    Validation builds the parts of the run (population, mechanism, strategies, coalitions:
    :func:`build_parts`) for the scenario's own seed, never the model, so every error surfaces
    here, before any run starts or any file is written; the first :func:`build_run` with that
    seed uses those parts instead of building them again.
    ``mechanism.name`` may also name an installed entry point of ``mechbed.mechanisms`` or, with
    ``allow_import``, ``module:Class`` (:func:`mechanisms.plugins.resolve_mechanism`).
    """
    top = Section(raw, "")
    check_raw(raw)  # rules every table obeys: no NaN, no true among numbers, bounded sizes
    name = top.get("name", str, "scenario")
    seed = top.get("seed", int, 0, check=lambda v: v >= 0, expected="a non-negative integer")
    reps = top.get("replications", int, 1, check=lambda v: 1 <= v <= MAX_AGENTS,
                   expected=f"an integer in [1, {MAX_AGENTS}]")
    top.section("market")
    top.section("population")
    arr = top.section("arrivals")
    process = arr.get("process", str, "permutation")
    require(process in ARRIVALS, "arrivals.process", process, f"one of {ARRIVALS.names()}")
    batch = arr.get("batch_size", int, 1, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    arr.finish()
    mech = top.section("mechanism")
    mname = _resolve_mechanism(mech.get("name", str), allow_import, base_dir)
    mparams = dict(mech.get("params", dict, {}))
    for k, v in mparams.items():
        require(isinstance(k, str) and k.isidentifier(), f"mechanism.params.{k}", v, "a parameter name")
    mech.finish()
    top.section("strategies")
    top.get("coalitions", list, [])
    audit = validate_audit_table(top.get("audit", dict, {}), "audit")
    top.finish()
    sc = Scenario(dict(raw), name, seed, reps, mname, mparams, process, batch, pathlib.Path(base_dir), audit,
                  allow_import)
    sc._prepared = (seed, build_parts(sc, seed))  # validates every part; the run of `seed` reuses them
    return sc


def _resolve_mechanism(name: Any, allow_import: bool, base_dir: str | pathlib.Path) -> str:
    """Return the registered name of the mechanism ``name`` (a name, an entry point, a mutant or ``module:Class``)."""
    from mechanisms.plugins import (
        resolve_mechanism,  # mutants are registered too: classroom demonstrations
    )

    return resolve_mechanism(name, allow_import=allow_import, base_dir=base_dir)


#: Market kinds a scenario may declare (``market.kind``).
MARKET_KINDS = ("bundles", "objects", "procurement", "fair_division")


def build_population(sc: Scenario, streams: Streams) -> Population:
    """Return the market and true types of ``sc`` for the run with ``streams``."""
    market = Section(sc.raw.get("market", {}), "market")
    pop = Section(sc.raw.get("population", {}), "population")
    kind = market.get("kind", str, check=lambda v: v in MARKET_KINDS,
                      expected='one of "bundles", "objects", "procurement", "fair_division"')
    source = pop.get("source", str)
    key = f"{kind}.{source}"
    require(key in SOURCES, "population.source", source, f"one of {source_names(kind)} for a {kind} market")
    population = SOURCES.get(key)(market, pop, streams, sc.base_dir)
    market.finish()
    pop.finish()
    return population


def build_strategies(sc: Scenario, n: int, streams: Streams) -> list[Strategy]:
    """Return each agent's strategy from ``[strategies]``.

    ``default`` (spec string, default "truthful") applies to everyone not covered by an entry
    of ``[[strategies.assign]]``; an entry names ``strategy`` and exactly one of ``agents``
    (ids), ``share`` (fraction of the population, drawn from the ``("assignment",)`` stream) or
    ``count``. Later entries never reassign agents taken by earlier ones.
    """
    sec = Section(sc.raw.get("strategies", {}), "strategies")
    default = parse_strategy(sec.get("default", str, "truthful"), "strategies.default")
    out: list[Strategy] = [default] * n
    taken: set[int] = set()
    rng = streams.get("assignment")
    free_order = [int(i) for i in rng.permutation(n)]
    for k, entry in enumerate(sec.get("assign", list, [])):
        e = Section(entry, f"strategies.assign[{k}]")
        strat = parse_strategy(e.get("strategy", (str, dict)), e.field("strategy"))
        which = [w for w in ("agents", "share", "count") if e.has(w)]
        require(len(which) == 1, e.field("agents|share|count"), which, "exactly one of agents, share, count")
        if which[0] == "agents":
            ids = e.get("agents", list)
            for i in ids:
                require(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n, e.field("agents"), i,
                        f"agent ids (integers) in [0, {n})")
            require(len(set(ids)) == len(ids), e.field("agents"), ids, "each agent listed once")
        else:
            if which[0] == "share":
                share = e.get("share", float, check=lambda v: 0 <= v <= 1, expected="a number in [0, 1]")
                count = round(share * n)
            else:
                count = e.get("count", int, check=lambda v: 0 <= v <= n, expected=f"an integer in [0, {n}]")
            ids = [i for i in free_order if i not in taken][:count]
        for i in ids:
            out[i] = strat
            taken.add(i)
        e.finish()
    sec.finish()
    return out


def build_coalitions(sc: Scenario, pop: Population, streams: Streams) -> list[Coalition]:
    """Return the coalitions of scenario ``sc`` (``[[coalitions]]`` entries), validated.

    An entry gives ``strategy`` (a coalition-strategy spec) and either ``members`` (agent ids)
    or ``graph`` (a coalition-graph spec) with ``size`` and ``count``: coalitions are then drawn
    from the graph over the population (stream ``("coalitions", k)``). Coalitions never overlap.
    Validated before anything runs: the strategy must apply to the market's kind, members are
    distinct integer ids (``true`` is not agent 1), ``size x count`` fits in the free agents.
    """
    entries = sc.raw.get("coalitions", [])
    if not entries:
        return []

    n = len(pop.types)
    kind = pop.market.kind
    out: list[Coalition] = []
    used: set[int] = set()
    for k, entry in enumerate(entries):
        e = Section(entry, f"coalitions[{k}]")
        try:
            strat = coalition_lib.parse_coalition_strategy(e.get("strategy", (str, dict)), e.field("strategy"))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ConfigError):
                raise
            raise ConfigError(e.field("strategy"), e.data.get("strategy"), f"a valid coalition strategy ({exc})") from None
        require(kind in strat.kinds, e.field("strategy"), e.data.get("strategy"),
                f"a coalition strategy for {kind} markets (this one applies to {list(strat.kinds)})")
        if e.has("members"):
            members = e.get("members", list)
            for i in members:
                require(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n, e.field("members"), i,
                        f"agent ids (integers) in [0, {n})")
            require(len(set(members)) == len(members), e.field("members"), members, "each agent listed once")
            require(len(members) >= 2, e.field("members"), members, "at least two agents (a coalition)")
            groups = [members]
        else:
            graph_spec = e.get("graph", (str, dict))
            free = n - len(used)
            size = e.get("size", int, check=lambda v, free=free: 2 <= v <= free,
                         expected=f"an integer in [2, {free}] (the agents not yet in a coalition)")
            count = e.get("count", int, 1, check=lambda v, free=free, size=size: 1 <= v <= free // size,
                          expected=f"an integer in [1, {free // size}] (count x size agents must be free)")
            graph = coalition_lib.make_graph(graph_spec, n, streams.get("coalitions", k, "graph"), field=e.field("graph"))
            groups = coalition_lib.draw_coalitions(graph, size, count, streams.get("coalitions", k, "draw"), exclude=used)
        e.finish()
        for g in groups:
            for i in g:
                require(isinstance(i, int) and 0 <= i < n, e.field("members"), i, f"agent ids in [0, {n})")
                require(i not in used, e.field("members"), i, "agents in at most one coalition")
            used.update(g)
            members = tuple(int(i) for i in g)
            out.append(Coalition({i: pop.types[i] for i in members}, strat))
    return out


@dataclass
class RunParts:
    """The parts a run of a scenario is built from: everything but the model.

    ``population`` (market, true types, periods, notes), ``mechanism`` (configured, not
    started), ``strategies`` (one per agent) and ``coalitions``.
    """

    population: Population
    mechanism: OnlineMechanism
    strategies: list[Strategy]
    coalitions: list[Coalition]


def build_parts(sc: Scenario, seed: int, strategy_overrides: Mapping[int, Strategy] | None = None) -> RunParts:
    """Return the :class:`RunParts` of scenario ``sc`` for ``seed``, every part validated.

    Streams are purpose-keyed (``("types",)``, ``("assignment",)``, ``("coalitions", k)``), so
    the parts of one seed are the same however often they are built. ``strategy_overrides``
    (agent id -> strategy) replaces some agents' strategies (the class game). Raises
    :class:`ConfigError`: a part's own error or, as a safety net, one naming ``scenario`` for an
    exception a constructor raised on a value its own checks missed (before anything runs or
    is written; the fuzz benchmark counts how often the net is needed).
    """
    try:
        return _build_parts(sc, seed, strategy_overrides)
    except BUILD_ERRORS as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError("scenario", sc.name, f"a scenario that builds ({type(e).__name__}: {e})") from None


def _build_parts(sc: Scenario, seed: int, strategy_overrides: Mapping[int, Strategy] | None) -> RunParts:
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism

    streams = Streams(seed)
    pop = build_population(sc, streams)
    n = len(pop.types)
    params = dict(sc.mechanism_params)
    try:
        mech = build_mechanism(sc.mechanism, pop.market, params)
    except TypeError as e:  # an unknown or misspelt parameter name
        raise ConfigError("mechanism.params", params, f"parameters {sc.mechanism!r} accepts ({e})") from None
    strategies = build_strategies(sc, n, streams)
    for i, s in (strategy_overrides or {}).items():
        require(isinstance(i, (int, np.integer)) and not isinstance(i, bool) and 0 <= i < n, "strategy_overrides",
                i, f"agent ids in [0, {n})")
        strategies[int(i)] = s
    for s in strategies:
        require(pop.market.kind in s.kinds, "strategies", s.spec(), f"a strategy applicable to {pop.market.kind} markets")
    return RunParts(pop, mech, strategies, build_coalitions(sc, pop, streams))


def build_run(sc: Scenario, seed: int, schedule: list[list[int]] | None = None):
    """Return the :class:`~abm.model.AllocationModel` of scenario ``sc`` with ``seed`` (built, not run).

    The parts come from :func:`build_parts` or, for the scenario's own seed right after
    validation, are the parts validation built (:meth:`Scenario.take_prepared`): one build per
    run. ``schedule`` overrides the arrival process (replays).
    """
    from .model import AllocationModel

    parts = sc.take_prepared(seed) or build_parts(sc, seed)
    pop = parts.population
    model = AllocationModel(pop.market, pop.types, parts.mechanism, seed, parts.strategies, parts.coalitions,
                            sc.arrivals, sc.batch_size, pop.periods, schedule)
    model.population_notes = pop.notes
    return model
