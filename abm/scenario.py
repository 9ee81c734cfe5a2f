"""Scenario files (TOML): market, population, arrivals, mechanism, strategies, seed.

A scenario is read and fully validated (:func:`load_scenario`) before anything runs or is
written; every error names the field and the value. :func:`build_run` turns a scenario and a
seed into a ready :class:`~abm.model.AllocationModel`. Population sources are a registry
(:data:`SOURCES`) keyed by ``(market kind, source name)``, so each mechanism family adds its
own without touching this module's logic.

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
import math
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.datasets.preflib import course_market, read_soc, resample, resample_market
from mechanisms.errors import ConfigError, require
from mechanisms.market import Goods
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.protocol import MECHANISMS, Market
from mechanisms.registry import Registry
from mechanisms.rng import Streams
from strategies.base import Strategy, parse_strategy

from .arrivals import ARRIVALS
from .schema import MAX_AGENTS, MAX_GOODS, Section, check_raw, is_file, read_toml, validate_audit_table

#: Where ``preflib:NAME`` paths point: the shared data folder beside the repository.
SHARED_DATA = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "preflib"


@dataclass
class Population:
    """The market and the true types a population source produced.

    ``periods`` (agent ids by period) is set by sources whose agents arrive in periods
    (i.i.d. draws per period); ``notes`` lists what the source did that a user should know
    (e.g. resampling real data with replacement).
    """

    market: Market
    types: list[AgentType]
    periods: list[list[int]] | None = None
    notes: list[str] = field(default_factory=list)


#: Population sources, keyed "kind.source" (e.g. "bundles.preflib").
SOURCES: Registry[Callable[[Section, Section, Streams, pathlib.Path], Population]] = Registry("population source")


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

    Validation builds the population, mechanism and strategies once (for seed 0 of the
    scenario), so every error surfaces here, before any run starts or any file is written.
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
    mname = mech.get("name", str)
    from mechanisms.plugins import resolve_mechanism

    from .audit.mutants import MUTANTS  # mutants run from scenarios too: classroom demonstrations

    mname = resolve_mechanism(mname, allow_import=allow_import, base_dir=base_dir, also=MUTANTS.names())
    mparams = dict(mech.get("params", dict, {}))
    for k in mparams:
        require(isinstance(k, str) and k.isidentifier(), f"mechanism.params.{k}", mparams[k], "a parameter name")
    mech.finish()
    top.section("strategies")
    top.get("coalitions", list, [])
    audit = validate_audit_table(top.get("audit", dict, {}), "audit")
    top.finish()
    sc = Scenario(dict(raw), name, seed, reps, mname, mparams, process, batch, pathlib.Path(base_dir), audit,
                  allow_import)
    try:
        build_run(sc, seed)  # builds (never runs) the model: every part is validated here
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, ZeroDivisionError, AttributeError) as e:
        if isinstance(e, ConfigError):
            raise
        # a safety net: a part whose own checks missed a bad value still fails here, cleanly,
        # before anything runs or is written (the fuzz benchmark counts how often it is needed)
        raise ConfigError("scenario", sc.name, f"a scenario that builds ({type(e).__name__}: {e})") from None
    return sc


def build_population(sc: Scenario, streams: Streams) -> Population:
    """Return the market and true types of ``sc`` for the run with ``streams``."""
    market = Section(sc.raw.get("market", {}), "market")
    pop = Section(sc.raw.get("population", {}), "population")
    kind = market.get("kind", str, check=lambda v: v in ("bundles", "objects", "procurement", "fair_division"),
                      expected='one of "bundles", "objects", "procurement", "fair_division"')
    source = pop.get("source", str)
    key = f"{kind}.{source}"
    options = [k.split(".", 1)[1] for k in SOURCES.names() if k.startswith(kind + ".")]
    require(key in SOURCES, "population.source", source, f"one of {options} for a {kind} market")
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
                count = int(round(share * n))
            else:
                count = e.get("count", int, check=lambda v: 0 <= v <= n, expected=f"an integer in [0, {n}]")
            ids = [i for i in free_order if i not in taken][:count]
        for i in ids:
            out[i] = strat
            taken.add(i)
        e.finish()
    sec.finish()
    return out


def build_run(sc: Scenario, seed: int, schedule: list[list[int]] | None = None):
    """Return the :class:`~abm.model.AllocationModel` of scenario ``sc`` with ``seed``.

    ``schedule`` overrides the arrival process (replays).
    """
    from .audit.counterexample import build_mechanism
    from .coalitions import build_coalitions
    from .model import AllocationModel

    streams = Streams(seed)
    pop = build_population(sc, streams)
    n = len(pop.types)
    params = dict(sc.mechanism_params)
    try:
        mech = build_mechanism(sc.mechanism, pop.market, params)
    except TypeError as e:  # an unknown or misspelt parameter name
        raise ConfigError("mechanism.params", params, f"parameters {sc.mechanism!r} accepts ({e})") from None
    strategies = build_strategies(sc, n, streams)
    for i, s in enumerate(strategies):
        require(pop.market.kind in s.kinds, "strategies", s.spec(), f"a strategy applicable to {pop.market.kind} markets")
    coalitions = build_coalitions(sc, pop, streams)
    model = AllocationModel(pop.market, pop.types, mech, seed, strategies, coalitions, sc.arrivals,
                            sc.batch_size, pop.periods, schedule)
    model.population_notes = pop.notes
    return model


# ---- population sources -------------------------------------------------------------------

def _goods(market: Section, m_default: int | None = None, objects: bool = False) -> Goods:
    """Return the goods of ``[market]`` (``goods`` names or ``m``; ``capacities`` or ``capacity``).

    At most :data:`~abm.schema.MAX_GOODS` goods (checked before any name is built); in an
    objects market no good may be named ``o``, the null option's name (SEM paper, Section 2).
    """
    names = market.get("goods", list, None)
    if names is None:
        m = market.get("m", int, m_default, check=lambda v: 1 <= v <= MAX_GOODS, expected=f"an integer in [1, {MAX_GOODS}]")
        require(m is not None, "market.goods", None, "a list of good names (or market.m)")
        names = [f"g{j}" for j in range(m)]
    require(0 < len(names) <= MAX_GOODS, "market.goods", f"<{len(names)} goods>", f"between 1 and {MAX_GOODS} goods")
    for j, nm in enumerate(names):
        require(isinstance(nm, str) and nm.strip() != "" and len(nm) <= 100 and not set(nm) & set("{},>")
                and nm == nm.strip(), f"market.goods[{j}]", nm,
                'a non-empty name without spaces at its ends, "{", "}", "," or ">"')
        require(not (objects and nm == "o"), f"market.goods[{j}]", nm,
                'a name other than "o" (in an objects market "o" is the null option)')
    require(len(set(names)) == len(names), "market.goods", names, "distinct good names")
    if market.has("capacities"):
        caps = market.get("capacities", list)
        require(len(caps) == len(names), "market.capacities", caps, f"one capacity per good ({len(names)})")
        where = "market.capacities[{j}]"
    else:
        cap = market.get("capacity", (int, float), expected="an integer capacity (or market.capacities)")
        caps = [cap] * len(names)
        where = "market.capacity"
    for j, c in enumerate(caps):
        require(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= MAX_CAPACITY, where.format(j=j), c,
                f"an integer in [0, {MAX_CAPACITY}]")
    return Goods(tuple(names), tuple(caps))


#: Largest capacity of one good in a scenario.
MAX_CAPACITY = 10**9


def _count(e: Section, total: int, default: int = 1) -> int:
    """Return ``count`` of a ``[[population.types]]`` entry, keeping the population within MAX_AGENTS."""
    return e.get("count", int, default, check=lambda v: 1 <= v <= MAX_AGENTS - total,
                 expected=f"a positive integer (at most {MAX_AGENTS} agents in all)")


def _preference(e: Section, names: tuple[str, ...]) -> tuple[str, WeakOrder]:
    """Return ``(text, WeakOrder)`` of an entry's ``preference``, its syntax checked first.

    Each ``>``-separated part is one name or one ``{a,b,...}`` class with matched braces, so
    ``"{a,b"`` or ``"a}"`` is an error rather than a silently repaired class.
    """
    text = e.get("preference", str)
    f = e.field("preference")
    require(len(text) <= 100_000, f, text[:80], "a weak order of reasonable length")
    for part in text.split(">"):
        p = part.strip()
        inner = p[1:-1] if p.startswith("{") and p.endswith("}") else p
        require(p != "" and "{" not in inner and "}" not in inner, f, text,
                'a weak order such as "{a,b} > o > c": each part one name or one {a,b} class with matched braces')
        require(all(t.strip() != "" for t in inner.split(",")), f, text, "names separated by single commas")
    return text, WeakOrder.parse(text, names, field=f)


def _bundle_market(market: Section, goods: Goods, n: int, max_size: int | None) -> Market:
    k = market.get("max_bundle_size", int, max_size, check=lambda v: v >= 1, expected="a positive integer")
    require(k is not None, "market.max_bundle_size", None, "a positive integer")
    return Market("bundles", goods, max_bundle_size=k, n_agents=n, extra=dict(market.get("extra", dict, {})))


@SOURCES.register("bundles.explicit")
def _bundles_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Explicit ranked bundle lists: ``[[population.types]]`` with ``ranking`` and ``count``."""
    goods = _goods(market)
    k = market.get("max_bundle_size", int, None)
    types: list[AgentType] = []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        count = _count(e, len(types))
        ranked = e.get("ranking", list)
        for r_, b in enumerate(ranked):
            require(isinstance(b, list) and all(isinstance(x, str) for x in b), e.field(f"ranking[{r_}]"), b,
                    "a bundle: a list of good names")
        r = BundleRanking.from_ranked_list(goods, ranked, max_size=k, field=e.field("ranking"))
        e.finish()
        types.extend([r] * count)
    require(len(types) > 0, "population.types", [], "at least one type")
    return Population(_bundle_market(market, goods, len(types), max(r.max_bundle_size for r in types)), types)


@SOURCES.register("bundles.scores")
def _bundles_scores(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Random item scores: ``n`` agents (``n_types`` distinct types), bundles up to ``max_bundle_size``.

    Scores are U[0,1) per agent type (stream ``("types",)``); ``complementarity`` adds that
    much to every pair's value with probability ``complementarity_prob``; ``top`` keeps the
    best bundles of each ranking.
    """
    goods = _goods(market)
    k = market.get("max_bundle_size", int, check=lambda v: 1 <= v <= goods.m, expected=f"an integer in [1, {goods.m}]")
    n = pop.get("n", int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    n_types = pop.get("n_types", int, n, check=lambda v: 1 <= v <= n, expected=f"an integer in [1, n={n}]")
    comp = pop.get("complementarity", float, 0.0)
    comp_p = pop.get("complementarity_prob", float, 0.0, check=lambda v: 0 <= v <= 1, expected="a number in [0, 1]")
    top = pop.get("top", int, None, check=lambda v: v >= 1, expected="a positive integer")
    rng = streams.get("types")
    kinds = []
    for _ in range(n_types):
        scores = rng.random(goods.m)
        pairs = {}
        if comp and comp_p:
            for a in range(goods.m):
                for b in range(a + 1, goods.m):
                    if rng.random() < comp_p:
                        pairs[(a, b)] = comp
        kinds.append(BundleRanking.from_scores(scores, k, complementarities=pairs, top=top))
    which = rng.integers(n_types, size=n)
    return Population(_bundle_market(market, goods, n, k), [kinds[i] for i in which])


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
    f = pop.get("file", str)
    path = SHARED_DATA / f.split(":", 1)[1] if f.startswith("preflib:") else (base / f)
    if path.suffix.lower() in (".soi", ".toc", ".toi"):  # PrefLib's other ordinal types (abm.data_sources)
        from .data_sources import preflib_bundles

        return preflib_bundles(market, pop, streams, base)
    require(is_file(path), "population.file", f[:200], f"an existing soc file (looked at {str(path)[:200]})")
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


@SOURCES.register("objects.explicit")
def _objects_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Weak orders over objects: ``[[population.types]]`` with ``preference`` (e.g. "{a,b} > o") and ``count``."""
    goods = _goods(market, objects=True)
    types: list[AgentType] = []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        count = _count(e, len(types))
        _, w = _preference(e, goods.names)
        e.finish()
        types.extend([w] * count)
    require(len(types) > 0, "population.types", [], "at least one type")
    return Population(Market("objects", goods, n_agents=len(types)), types)


@SOURCES.register("procurement.explicit")
def _procurement_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Sellers with explicit private costs ``costs = [...]``; the auctioneer's ``budget``."""
    costs = pop.get("costs", list)
    require(0 < len(costs) <= MAX_AGENTS, "population.costs", f"<{len(costs)} costs>", f"between 1 and {MAX_AGENTS} costs")
    types = [Cost(c) if isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) and c >= 0 else
             _bad(f"population.costs[{i}]", c, "a finite non-negative number") for i, c in enumerate(costs)]
    budget = market.get("budget", float, check=lambda v: v > 0, expected="a positive number")
    extra = dict(market.get("extra", dict, {}))
    extra["budget"] = float(budget)
    return Population(Market("procurement", None, n_agents=len(types), extra=extra), types)


def _random_params(fn: Callable[..., Any]) -> set[str]:
    """Return the keyword parameters of a valuation family's ``random(n, rng, ...)`` constructor."""
    import inspect

    return {p.name for p in list(inspect.signature(fn).parameters.values())[2:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _bad(field: str, value: Any, expected: str) -> Any:
    raise ConfigError(field, value, expected)


@SOURCES.register("objects.iid")
def _objects_iid(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """I.i.d. arrivals per period (SEM paper, Section 2.1): ``periods`` x ``per_period`` agents.

    Each agent's type is drawn independently (stream ``("types",)``) from
    ``[[population.types]]`` entries with ``preference`` and ``weight`` (normalised). Use with
    ``arrivals.process = "periods"``: the agents of period t arrive at tick t.
    """
    goods = _goods(market, objects=True)
    periods = pop.get("periods", int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    per = pop.get("per_period", int, check=lambda v: 1 <= v <= MAX_AGENTS // periods,
                  expected=f"a positive integer (periods x per_period at most {MAX_AGENTS})")
    kinds, weights = [], []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        weights.append(e.get("weight", float, 1.0, check=lambda v: v >= 0, expected="a non-negative number"))
        kinds.append(_preference(e, goods.names)[1])
        e.finish()
    require(len(kinds) > 0 and sum(weights) > 0, "population.types", weights, "at least one type with positive weight")
    w = np.asarray(weights) / sum(weights)
    draws = streams.get("types").choice(len(kinds), size=periods * per, p=w)
    types = [kinds[i] for i in draws]
    groups = [list(range(t * per, (t + 1) * per)) for t in range(periods)]
    return Population(Market("objects", goods, n_agents=len(types), horizon=periods), types, periods=groups)


@SOURCES.register("objects.sem")
def _objects_sem(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """An SEM market M_n (SEM paper, Sections 2 and 4.1), ``replica`` = n arrivals per period.

    ``[market]``: ``goods``, ``capacities`` (base supply S; the replica has n S), optional
    ``budgets`` (b^1..b^T) and ``[market.shock]`` (``kind``, ``halfwidth``, ``tie_breaking``,
    ``z``). ``[population]``: ``periods`` (T), ``replica`` (n), and ``[[population.types]]``
    with ``preference`` and ``weight`` (the same distribution every period; weights
    normalised). Types are drawn per period from the ``("types",)`` stream; use
    ``arrivals.process = "periods"``.
    """
    from mechanisms.sem.market import SEMMarket, sample_arrivals
    from mechanisms.sem.shocks import Shock

    goods = _goods(market, objects=True)
    periods = pop.get("periods", int, check=lambda v: 1 <= v <= 10_000, expected="an integer in [1, 10000]")
    replica = pop.get("replica", int, 1, check=lambda v: 1 <= v <= MAX_AGENTS // periods,
                      expected=f"a positive integer (periods x replica at most {MAX_AGENTS})")
    dist: dict[str, float] = {}
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        pref, _ = _preference(e, goods.names)  # validate early, with the field name
        dist[pref] = dist.get(pref, 0.0) + e.get("weight", float, 1.0, check=lambda v: v >= 0,
                                                   expected="a non-negative number")
        e.finish()
    total = sum(dist.values())
    require(total > 0, "population.types", dist, "at least one type with positive weight")
    dist = {k: v / total for k, v in dist.items()}
    sh = market.section("shock")
    shock = Shock(kind=sh.get("kind", str, "uniform"), halfwidth=sh.get("halfwidth", float, 0.1),
                  tie_breaking=sh.get("tie_breaking", str, "none"), z=sh.get("z", float, 0.0))
    sh.finish()
    budgets = market.get("budgets", list, None)
    for j, b in enumerate(budgets or []):
        require(isinstance(b, (int, float)) and not isinstance(b, bool) and math.isfinite(b) and b >= 0,
                f"market.budgets[{j}]", b, "a finite non-negative number")
    kw = {"budgets": tuple(budgets)} if budgets is not None else {}
    sem = SEMMarket.stationary(goods.names, goods.capacities, dist, periods, replica=replica, shock=shock, **kw)
    by_period = sample_arrivals(sem, replica, streams.get("types"))
    types = [t for p in by_period for t in p]
    groups, k = [], 0
    for p in by_period:
        groups.append(list(range(k, k + len(p))))
        k += len(p)
    m = sem.market()
    m.n_agents = len(types)
    return Population(m, types, periods=groups)


@SOURCES.register("procurement.random")
def _procurement_random(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """A random procurement instance (budget-feasible paper, Section 2).

    ``[population]``: ``n`` sellers, ``valuation`` (a registered valuation: additive,
    coverage, budget_additive, facility_location, cut, coverage_minus_cost) with optional
    ``valuation_params``; costs U(0, 1] and the valuation come from
    :func:`mechanisms.procurement.random_instance` seeded from the ``("types",)`` stream.
    ``[market]``: ``budget_frac`` (B = budget_frac * sum of costs, raised to the largest cost;
    default 0.1), and for prediction-based mechanisms ``prediction_error`` eps with
    ``prediction_kind`` "under" (omega = (1 - eps) v(S*), default) or "over" (omega =
    (1 + eps) v(S*), Section 2 remark).
    """
    from mechanisms.procurement import PredictionModel, procurement_market, random_instance

    from mechanisms.procurement.valuations import VALUATIONS

    n = pop.get("n", int, check=lambda v: 1 <= v <= 100_000, expected="an integer in [1, 100000]")
    vname = pop.get("valuation", str, "additive")
    require(vname in VALUATIONS, "population.valuation", vname, f"one of {VALUATIONS.names()}")
    vparams = dict(pop.get("valuation_params", dict, {}))
    accepted = _random_params(VALUATIONS.get(vname).random)
    for k, v in vparams.items():
        require(k in accepted, f"population.valuation_params.{k}", v,
                f"a parameter of the {vname!r} valuation (accepted: {sorted(accepted)})")
        require(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= MAX_AGENTS,
                f"population.valuation_params.{k}", v, f"a finite number in [0, {MAX_AGENTS}]")
    frac = market.get("budget_frac", float, 0.1, check=lambda v: 0 < v <= 1, expected="a number in (0, 1]")
    eps = market.get("prediction_error", float, None, check=lambda v: v >= 0, expected="a non-negative number")
    kind = market.get("prediction_kind", str, "under", check=lambda v: v in ("under", "over"),
                      expected='"under" or "over"')
    inst = random_instance(vname, n, int(streams.get("types").integers(2**31)), budget_frac=frac, **vparams)
    pred = None if eps is None else PredictionModel(eps, kind)
    m = procurement_market(inst.valuation, inst.budget, pred, costs=list(inst.costs))
    return Population(m, [Cost(c) for c in inst.costs])


@SOURCES.register("bundles.synthetic")
def _bundles_synthetic(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Synthetic OCAM markets (OCAM paper, Section 1 examples; :mod:`mechanisms.ocam.markets`).

    ``style``: ``"random"`` (``n`` agents, ``m`` goods, bundles of 1..``k`` by additive random
    scores with popularity skew ``popularity`` and pair ``complementarity``), ``"course"``
    (students ranking schedules of exactly ``k`` of ``m`` courses) or ``"daycare"`` (``centres``
    centres with infant and toddler rooms; ``sibling_share`` of families need both rooms in one
    centre). Capacities are ``capacity_factor`` times an even share of demand. Types come from
    the ``("types",)`` stream.
    """
    from mechanisms.ocam import markets as lib

    style = pop.get("style", str, "random", check=lambda v: v in ("random", "course", "daycare", "catalogue"),
                    expected='one of "random", "course", "daycare", "catalogue"')
    n = pop.get("n", int, check=lambda v: 1 <= v <= MAX_AGENTS, expected=f"an integer in [1, {MAX_AGENTS}]")
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: 0 < v <= 1000, expected="a number in (0, 1000]")
    rng = streams.get("types")
    if style == "daycare":
        centres = pop.get("centres", int, 4, check=lambda v: 1 <= v <= 1000, expected="an integer in [1, 1000]")
        share = pop.get("sibling_share", float, 0.3, check=lambda v: 0 <= v <= 1, expected="a number in [0, 1]")
        m, types = lib.daycare_market(n, centres, rng, sibling_share=share, capacity_factor=factor)
    elif style == "catalogue":  # course_catalogue_market: hundreds of courses, top lists of bundles
        m_goods = pop.get("m", int, 300, check=lambda v: 1 <= v <= 100_000, expected="an integer in [1, 100000]")
        wl = pop.get("wishlist", int, 10, check=lambda v: 1 <= v <= min(m_goods, 20), expected=f"an integer in [1, {min(m_goods, 20)}]")
        k = pop.get("k", int, 5, check=lambda v: 1 <= v <= wl, expected=f"an integer in [1, wishlist={wl}]")
        top = pop.get("top", int, 40, check=lambda v: 1 <= v <= 10_000, expected="an integer in [1, 10000]")
        n_types = pop.get("n_types", int, None, check=lambda v: v >= 1, expected="a positive integer")
        m, types = lib.course_catalogue_market(n, rng, m=m_goods, k=k, wishlist=wl, top=top, n_types=n_types,
                                               popularity=pop.get("popularity", float, 1.0), capacity_factor=factor)
    else:
        m_goods = pop.get("m", int, check=lambda v: 1 <= v <= 100_000, expected="an integer in [1, 100000]")
        k = pop.get("k", int, check=lambda v: 1 <= v <= m_goods, expected=f"an integer in [1, m={m_goods}]")
        pop_skew = pop.get("popularity", float, 1.0)
        if style == "course":
            m, types = lib.course_allocation_market(n, m_goods, k, rng, capacity_factor=factor, popularity=pop_skew)
        else:
            comp = pop.get("complementarity", float, 0.0)
            m, types = lib.random_market(n, m_goods, k, rng, capacity_factor=factor, popularity=pop_skew,
                                         complementarity=comp)
    return Population(m, list(types))


from . import data_sources  # noqa: E402,F401  (registers objects.preflib, bundles.csv, objects.csv)
from . import populations_fair_division  # noqa: E402,F401  (fair-division population sources, issue 16)
from . import populations_sem_online  # noqa: E402,F401  (objects.sem_online, issue 17)
