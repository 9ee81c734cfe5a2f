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
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.datasets.preflib import course_market, read_soc, resample
from mechanisms.errors import ConfigError, require
from mechanisms.market import Goods
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.protocol import MECHANISMS, Market
from mechanisms.registry import Registry
from mechanisms.rng import Streams
from strategies.base import Strategy, parse_strategy

from .arrivals import ARRIVALS
from .schema import Section, read_toml

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

    def to_json(self) -> str:
        """Return the raw scenario as JSON (what results and counterexamples store)."""
        return json.dumps({"scenario": self.raw, "base_dir": str(self.base_dir)}, sort_keys=True, default=str)

    def with_overrides(self, **changes: Any) -> Scenario:
        """Return a new validated scenario with dotted-path overrides, e.g. ``{"market.capacity": 5}``."""
        raw = copy.deepcopy(self.raw)
        for path, value in changes.items():
            set_path(raw, path, value)
        return parse_scenario(raw, self.base_dir)


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


def load_scenario(path: str | pathlib.Path) -> Scenario:
    """Return the validated scenario in the TOML file ``path``.

    Raises :class:`ConfigError` for a missing file, a TOML syntax error, or any invalid field.
    """
    return parse_scenario(read_toml(path, "scenario"), pathlib.Path(path).parent)


def parse_scenario(raw: Mapping[str, Any], base_dir: str | pathlib.Path = ".") -> Scenario:
    """Return the validated :class:`Scenario` for the parsed table ``raw``.

    Validation builds the population, mechanism and strategies once (for seed 0 of the
    scenario), so every error surfaces here, before any run starts or any file is written.
    """
    top = Section(raw, "")
    name = top.get("name", str, "scenario")
    seed = top.get("seed", int, 0, check=lambda v: v >= 0, expected="a non-negative integer")
    reps = top.get("replications", int, 1, check=lambda v: v >= 1, expected="a positive integer")
    top.section("market")
    top.section("population")
    arr = top.section("arrivals")
    process = arr.get("process", str, "permutation")
    require(process in ARRIVALS, "arrivals.process", process, f"one of {ARRIVALS.names()}")
    batch = arr.get("batch_size", int, 1, check=lambda v: v >= 1, expected="a positive integer")
    arr.finish()
    mech = top.section("mechanism")
    mname = mech.get("name", str)
    from .audit.mutants import MUTANTS  # mutants run from scenarios too: classroom demonstrations

    require(mname in MECHANISMS or mname in MUTANTS, "mechanism.name", mname,
            f"one of the registered mechanisms {MECHANISMS.names()} (or a mutant: {MUTANTS.names()})")
    mparams = dict(mech.get("params", dict, {}))
    mech.finish()
    top.section("strategies")
    top.get("coalitions", list, [])
    audit = dict(top.get("audit", dict, {}))
    top.finish()
    sc = Scenario(dict(raw), name, seed, reps, mname, mparams, process, batch, pathlib.Path(base_dir), audit)
    build_run(sc, seed)  # builds (never runs) the model: every part is validated here
    return sc


def build_population(sc: Scenario, streams: Streams) -> Population:
    """Return the market and true types of ``sc`` for the run with ``streams``."""
    market = Section(sc.raw.get("market", {}), "market")
    pop = Section(sc.raw.get("population", {}), "population")
    kind = market.get("kind", str, check=lambda v: v in ("bundles", "objects", "procurement"),
                      expected='one of "bundles", "objects", "procurement"')
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
                require(isinstance(i, int) and 0 <= i < n, e.field("agents"), i, f"agent ids in [0, {n})")
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
    mech = build_mechanism(sc.mechanism, pop.market, params)
    strategies = build_strategies(sc, n, streams)
    for i, s in enumerate(strategies):
        require(pop.market.kind in s.kinds, "strategies", s.spec(), f"a strategy applicable to {pop.market.kind} markets")
    coalitions = build_coalitions(sc, pop, streams)
    model = AllocationModel(pop.market, pop.types, mech, seed, strategies, coalitions, sc.arrivals,
                            sc.batch_size, pop.periods, schedule)
    model.population_notes = pop.notes
    return model


# ---- population sources -------------------------------------------------------------------

def _goods(market: Section, m_default: int | None = None) -> Goods:
    names = market.get("goods", list, None)
    if names is None:
        m = market.get("m", int, m_default, check=lambda v: v >= 1, expected="a positive integer")
        require(m is not None, "market.goods", None, "a list of good names (or market.m)")
        names = [f"g{j}" for j in range(m)]
    for j, nm in enumerate(names):
        require(isinstance(nm, str) and nm != "", f"market.goods[{j}]", nm, "a non-empty string")
    if market.has("capacities"):
        caps = market.get("capacities", list)
        require(len(caps) == len(names), "market.capacities", caps, f"one capacity per good ({len(names)})")
    else:
        cap = market.get("capacity", (int, float), expected="an integer capacity (or market.capacities)")
        caps = [cap] * len(names)
    for j, c in enumerate(caps):
        require(isinstance(c, int) and not isinstance(c, bool) and c >= 0, f"market.capacities[{j}]", c,
                "a non-negative integer")
    return Goods(tuple(names), tuple(caps))


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
        count = e.get("count", int, 1, check=lambda v: v >= 1, expected="a positive integer")
        ranked = e.get("ranking", list)
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
    n = pop.get("n", int, check=lambda v: v >= 1, expected="a positive integer")
    n_types = pop.get("n_types", int, n, check=lambda v: 1 <= v, expected="a positive integer")
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
    require(path.is_file(), "population.file", f, f"an existing soc file (looked at {path})")
    data = read_soc(path)
    k = pop.get("k", int, check=lambda v: 1 <= v <= len(data.names), expected=f"an integer in [1, {len(data.names)}]")
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: v > 0, expected="a positive number")
    cap = market.get("capacity", int, None, check=lambda v: v >= 0, expected="a non-negative integer")
    min_size = pop.get("min_size", int, k, check=lambda v: 1 <= v <= k, expected=f"an integer in [1, k={k}]")
    goods, rankings = course_market(data, k, factor, cap, min_size)
    n = pop.get("n", int, len(rankings), check=lambda v: v >= 1, expected="a positive integer")
    notes = []
    if n != len(rankings):
        rankings = resample(rankings, n, streams.get("types"))
        notes.append(f"resampled {n} students with replacement from the {data.n_voters} in {path.name}")
    return Population(Market("bundles", goods, max_bundle_size=k, n_agents=n), rankings, notes=notes)


@SOURCES.register("objects.explicit")
def _objects_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Weak orders over objects: ``[[population.types]]`` with ``preference`` (e.g. "{a,b} > o") and ``count``."""
    goods = _goods(market)
    types: list[AgentType] = []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        count = e.get("count", int, 1, check=lambda v: v >= 1, expected="a positive integer")
        w = WeakOrder.parse(e.get("preference", str), goods.names, field=e.field("preference"))
        e.finish()
        types.extend([w] * count)
    require(len(types) > 0, "population.types", [], "at least one type")
    return Population(Market("objects", goods, n_agents=len(types)), types)


@SOURCES.register("procurement.explicit")
def _procurement_explicit(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """Sellers with explicit private costs ``costs = [...]``; the auctioneer's ``budget``."""
    costs = pop.get("costs", list)
    require(len(costs) > 0, "population.costs", costs, "at least one cost")
    types = [Cost(c) if isinstance(c, (int, float)) and not isinstance(c, bool) else
             _bad(f"population.costs[{i}]", c, "a non-negative number") for i, c in enumerate(costs)]
    budget = market.get("budget", float, check=lambda v: v > 0, expected="a positive number")
    extra = dict(market.get("extra", dict, {}))
    extra["budget"] = float(budget)
    return Population(Market("procurement", None, n_agents=len(types), extra=extra), types)


def _bad(field: str, value: Any, expected: str) -> Any:
    raise ConfigError(field, value, expected)


@SOURCES.register("objects.iid")
def _objects_iid(market: Section, pop: Section, streams: Streams, base: pathlib.Path) -> Population:
    """I.i.d. arrivals per period (SEM paper, Section 2.1): ``periods`` x ``per_period`` agents.

    Each agent's type is drawn independently (stream ``("types",)``) from
    ``[[population.types]]`` entries with ``preference`` and ``weight`` (normalised). Use with
    ``arrivals.process = "periods"``: the agents of period t arrive at tick t.
    """
    goods = _goods(market)
    periods = pop.get("periods", int, check=lambda v: v >= 1, expected="a positive integer")
    per = pop.get("per_period", int, check=lambda v: v >= 1, expected="a positive integer")
    kinds, weights = [], []
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        weights.append(e.get("weight", float, 1.0, check=lambda v: v >= 0, expected="a non-negative number"))
        kinds.append(WeakOrder.parse(e.get("preference", str), goods.names, field=e.field("preference")))
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

    goods = _goods(market)
    periods = pop.get("periods", int, check=lambda v: v >= 1, expected="a positive integer")
    replica = pop.get("replica", int, 1, check=lambda v: v >= 1, expected="a positive integer")
    dist: dict[str, float] = {}
    for t, entry in enumerate(pop.get("types", list)):
        e = Section(entry, f"population.types[{t}]")
        pref = e.get("preference", str)
        WeakOrder.parse(pref, goods.names, field=e.field("preference"))  # validate early, with the field name
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

    n = pop.get("n", int, check=lambda v: v >= 1, expected="a positive integer")
    vname = pop.get("valuation", str, "additive")
    vparams = dict(pop.get("valuation_params", dict, {}))
    frac = market.get("budget_frac", float, 0.1, check=lambda v: 0 < v <= 1, expected="a number in (0, 1]")
    eps = market.get("prediction_error", float, None)
    kind = market.get("prediction_kind", str, "under")
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

    style = pop.get("style", str, "random", check=lambda v: v in ("random", "course", "daycare"),
                    expected='one of "random", "course", "daycare"')
    n = pop.get("n", int, check=lambda v: v >= 1, expected="a positive integer")
    factor = pop.get("capacity_factor", float, 0.9, check=lambda v: v > 0, expected="a positive number")
    rng = streams.get("types")
    if style == "daycare":
        centres = pop.get("centres", int, 4, check=lambda v: v >= 1, expected="a positive integer")
        share = pop.get("sibling_share", float, 0.3, check=lambda v: 0 <= v <= 1, expected="a number in [0, 1]")
        m, types = lib.daycare_market(n, centres, rng, sibling_share=share, capacity_factor=factor)
    else:
        m_goods = pop.get("m", int, check=lambda v: 1 <= v <= 62, expected="an integer in [1, 62]")
        k = pop.get("k", int, check=lambda v: 1 <= v <= m_goods, expected=f"an integer in [1, m={m_goods}]")
        pop_skew = pop.get("popularity", float, 1.0)
        if style == "course":
            m, types = lib.course_allocation_market(n, m_goods, k, rng, capacity_factor=factor, popularity=pop_skew)
        else:
            comp = pop.get("complementarity", float, 0.0)
            m, types = lib.random_market(n, m_goods, k, rng, capacity_factor=factor, popularity=pop_skew,
                                         complementarity=comp)
    return Population(m, list(types))
