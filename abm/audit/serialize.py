"""JSON serialisation of markets, types, reports and outcomes (for counterexample files).

Counterexample files are DATA, never code (issue 12): nothing read from a file is unpickled,
imported, looked up with ``getattr`` or evaluated. Every primitive has a plain-JSON form:

- :class:`~mechanisms.preferences.BundleRanking` -> ``{"kind": "bundles", "m": 3, "bundles": [1, 6]}``
  (bitmasks, best first);
- :class:`~mechanisms.preferences.WeakOrder` -> ``{"kind": "objects", "n_objects": 2,
  "classes": [[0, 1], [2]]}`` (indifference classes, best first, null option last index);
- :class:`~mechanisms.preferences.Cost` -> ``{"kind": "cost", "value": 0.3}``;
- :class:`~mechanisms.market.Market` -> ``kind``, ``goods`` (names and capacities),
  ``max_bundle_size``, ``n_agents``, ``horizon`` and ``extra`` as plain JSON;
- outcomes -> their dataclass fields plus ``"type"`` (one of a fixed set of class names).

Values of ``market.extra`` and mechanism parameters that are not plain JSON are written in one
of two ways (:func:`jsonable`):

- objects with a fixed data codec (:data:`CODECS`: procurement valuations of the registered
  families ``additive``, ``budget_additive``, ``coverage``, ``facility_location``, ``cut``,
  ``coverage_minus_cost``, and resolved predictions) -> ``{"$data": "<codec>", ...parameters}``,
  rebuilt by that codec's own constructor code, never by a name taken from the file;
- anything else (a SEM market object, a user-defined :class:`SetFunction`) ->
  ``{"$opaque": "<type name>"}``: it is not stored, and a counterexample holding one is replayed
  by rebuilding the market from its stored scenario through the scenario loader
  (:func:`abm.audit.counterexample.set_scenario_loader`). :func:`has_opaque` tells.

Every ``*_from_json`` raises :class:`~mechanisms.errors.ConfigError` naming the field when the
JSON does not describe a valid object, and checks sizes before building anything (bounded work).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.market import Goods, Market
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.reports import BundleOutcome, GoodsOutcome, HireOutcome, ObjectOutcome, Outcome, Report

#: Largest number of objects of a weak order, of sellers of a valuation, and of agents in a file.
MAX_ITEMS = 1_000_000
#: Largest number of goods of a market (and of a bundle ranking) in a file.
MAX_GOODS = 10_000
#: Largest number of ranked bundles in one bundle ranking.
MAX_RANKED = 1 << 20

_OUTCOMES: dict[str, type[Outcome]] = {c.__name__: c for c in (BundleOutcome, ObjectOutcome, HireOutcome, GoodsOutcome,
                                                                Outcome)}
MARKET_KINDS = ("bundles", "objects", "procurement", "fair_division")


@dataclass(frozen=True)
class Opaque:
    """A value a file could not store as data (``{"$opaque": type_name}``): rebuilt from the scenario."""

    type_name: str


# ---- scalar checks ------------------------------------------------------------------------
def is_int(v: Any) -> bool:
    """Return True for a JSON integer (not a bool)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def is_number(v: Any) -> bool:
    """Return True for a JSON number (int or float, not a bool)."""
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def get_int(d: Mapping[str, Any], key: str, field: str, lo: int | None = None, hi: int | None = None,
            default: Any = ...) -> Any:
    """Return ``d[key]`` checked to be an integer in ``[lo, hi]``; ConfigError naming ``field.key``."""
    f = f"{field}.{key}"
    if key not in d or (d[key] is None and default is not ...):
        require(default is not ..., f, None, "an integer (the field is missing)")
        return default
    v = d[key]
    rng = f" in [{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
    require(is_int(v) and (lo is None or v >= lo) and (hi is None or v <= hi), f, v, "an integer" + rng)
    return int(v)


def get_float(d: Mapping[str, Any], key: str, field: str, default: Any = ..., *, lo: float | None = None,
              allow_inf: bool = False, optional: bool = False) -> Any:
    """Return ``d[key]`` as a float (``"inf"`` strings when ``allow_inf``); None when ``optional`` and null."""
    f = f"{field}.{key}"
    if key not in d:
        require(default is not ..., f, None, "a number (the field is missing)")
        return default
    v = d[key]
    if v is None and optional:
        return None
    if allow_inf and v in ("inf", "-inf"):
        v = math.inf if v == "inf" else -math.inf
    require(is_number(v) and (allow_inf or math.isfinite(float(v))) and not math.isnan(float(v)), f, v,
            "a finite number" + (' (or "inf")' if allow_inf else "") + (" or null" if optional else ""))
    require(lo is None or float(v) >= lo, f, v, f"a number >= {lo}")
    return float(v)


def get_list(d: Mapping[str, Any], key: str, field: str, max_len: int = MAX_ITEMS, default: Any = ...) -> Any:
    """Return ``d[key]`` checked to be a list of at most ``max_len`` items."""
    f = f"{field}.{key}"
    if key not in d:
        require(default is not ..., f, None, "a list (the field is missing)")
        return default
    v = d[key]
    require(isinstance(v, list), f, _short(v), "a list")
    require(len(v) <= max_len, f, f"<{len(v)} items>", f"a list of at most {max_len} items")
    return v


def table(d: Any, field: str, allowed: Sequence[str] | None = None) -> Mapping[str, Any]:
    """Return ``d`` checked to be a JSON object (with only ``allowed`` keys when given)."""
    require(isinstance(d, Mapping), field, _short(d), "a table (JSON object)")
    if allowed is not None:
        for k in d:
            require(k in allowed, f"{field}.{k}", _short(d[k]), f"a known field (known: {sorted(allowed)})")
    return d


def _short(v: Any) -> Any:
    """Return ``v`` or a short stand-in for large values (error messages stay one line)."""
    r = repr(v)
    return v if len(r) <= 80 else r[:77] + "..."


# ---- writing ------------------------------------------------------------------------------
def jsonable(x: Any) -> Any:
    """Return ``x`` as plain JSON: numpy scalars/arrays as numbers/lists, tuples as lists.

    Infinite floats become ``"inf"``/``"-inf"`` and NaN ``"nan"`` (read back by
    :func:`unjson_float`); objects with a data codec become ``{"$data": ...}``; anything else
    becomes ``{"$opaque": type name}`` (never pickled).
    """
    if isinstance(x, Mapping):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return jsonable(x.tolist())
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        if math.isnan(x):
            return "nan"
        return x
    if isinstance(x, (BundleRanking, WeakOrder, Cost)):
        return type_to_json(x)
    if isinstance(x, Market):
        return market_to_json(x)
    if x is None or isinstance(x, str):
        return x
    for name, (cls, to, _) in CODECS.items():
        if type(x) is cls:
            return {"$data": name, **jsonable(to(x))}
    if isinstance(x, Opaque):
        return {"$opaque": x.type_name}
    return {"$opaque": f"{type(x).__module__}.{type(x).__qualname__}"}


def unjson_float(x: Any) -> Any:
    """Return ``x`` with the strings written by :func:`jsonable` for infinities and NaN turned to floats."""
    if x == "inf":
        return math.inf
    if x == "-inf":
        return -math.inf
    if x == "nan":
        return math.nan
    return x


def unjson(x: Any, field: str = "value", depth: int = 0) -> Any:
    """Return the value written by :func:`jsonable`: infinities restored, ``$data`` rebuilt by its codec.

    ``{"$opaque": ...}`` becomes an :class:`Opaque` marker. Raises :class:`ConfigError` naming
    ``field`` for an unknown codec or malformed codec data, or nesting deeper than 32 levels.
    """
    require(depth <= 32, field, "<nested too deeply>", "at most 32 levels of nesting")
    if isinstance(x, Mapping):
        if "$data" in x:
            name = x["$data"]
            require(isinstance(name, str) and name in CODECS, f"{field}.$data", _short(name), f"one of {sorted(CODECS)}")
            return CODECS[name][2]({k: v for k, v in x.items() if k != "$data"}, field)
        if "$opaque" in x:
            require(set(x) == {"$opaque"} and isinstance(x["$opaque"], str) and len(x["$opaque"]) <= 200,
                    field, _short(dict(x)), '{"$opaque": "<type name>"} alone')
            return Opaque(x["$opaque"])
        for k in x:
            require(isinstance(k, str) and not k.startswith("$"), f"{field}.{k}", _short(x[k]),
                    'a plain key ("$" keys are "$data" or "$opaque" only)')
        return {k: unjson(v, f"{field}.{k}", depth + 1) for k, v in x.items()}
    if isinstance(x, list):
        return [unjson(v, f"{field}[{i}]", depth + 1) for i, v in enumerate(x)]
    require(x is None or isinstance(x, (str, bool, int, float)), field, _short(x), "a JSON value")
    return unjson_float(x)


def has_opaque(x: Any) -> bool:
    """Return True when ``x`` (a value read by :func:`unjson`) holds an :class:`Opaque` marker."""
    if isinstance(x, Opaque):
        return True
    if isinstance(x, Mapping):
        return any(has_opaque(v) for v in x.values())
    if isinstance(x, (list, tuple)):
        return any(has_opaque(v) for v in x)
    if isinstance(x, Market):
        return has_opaque(x.extra)
    return False


# ---- data codecs (fixed in code: the file only names one of these keys) ----------------------
def _floats(d: Mapping[str, Any], key: str, field: str, n: int | None = None) -> np.ndarray:
    v = get_list(d, key, field)
    for i, x in enumerate(v):
        require(is_number(x) and math.isfinite(float(x)) and float(x) >= 0, f"{field}.{key}[{i}]", _short(x),
                "a finite non-negative number")
    require(n is None or len(v) == n, f"{field}.{key}", f"<{len(v)} items>", f"{n} numbers")
    return np.asarray(v, dtype=np.float64)


def _int_lists(d: Mapping[str, Any], key: str, field: str, hi: int) -> list[list[int]]:
    v = get_list(d, key, field)
    total = 0
    for i, row in enumerate(v):
        require(isinstance(row, list), f"{field}.{key}[{i}]", _short(row), "a list of integers")
        total += len(row)
        require(total <= MAX_ITEMS, f"{field}.{key}", "<too many entries>", f"at most {MAX_ITEMS} entries")
        for x in row:
            require(is_int(x) and 0 <= x < hi, f"{field}.{key}[{i}]", _short(row), f"integers in [0, {hi})")
    return v


def _valuation_codecs() -> dict[str, tuple[type, Callable[[Any], dict], Callable[[Mapping, str], Any]]]:
    from mechanisms.procurement.predictions import Prediction
    from mechanisms.procurement.valuations import (Additive, BudgetAdditive, CoverageMinusCost, Cut, FacilityLocation,
                                                   WeightedCoverage)

    def cov_to(v: WeightedCoverage) -> dict:
        return {"sets": [list(map(int, e)) for e in v._elems], "weights": v.w}

    def cov_from(d: Mapping, f: str) -> WeightedCoverage:
        table(d, f, ("sets", "weights"))
        w = _floats(d, "weights", f)
        require(len(w) >= 1, f"{f}.weights", [], "at least one element weight")
        sets = _int_lists(d, "sets", f, len(w))
        require(len(sets) >= 1, f"{f}.sets", [], "at least one seller")
        return WeightedCoverage(sets, w)

    def fl_from(d: Mapping, f: str) -> FacilityLocation:
        table(d, f, ("utilities",))
        rows = get_list(d, "utilities", f)
        require(len(rows) >= 1, f"{f}.utilities", [], "at least one client")
        width = None
        total = 0
        for c, row in enumerate(rows):
            require(isinstance(row, list) and len(row) >= 1 and (width is None or len(row) == width),
                    f"{f}.utilities[{c}]", _short(row), "a non-empty row, all rows of one length")
            width = len(row)
            total += width
            require(total <= MAX_ITEMS, f"{f}.utilities", "<too many entries>", f"at most {MAX_ITEMS} entries")
            _floats({"row": row}, "row", f"{f}.utilities[{c}]")
        return FacilityLocation(np.asarray(rows, dtype=np.float64))

    def cut_to(v: Cut) -> dict:
        r, c, w = v.edges
        return {"n": int(v.n), "edges": [[int(a), int(b), float(x)] for a, b, x in zip(r, c, w)]}

    def cut_from(d: Mapping, f: str) -> Cut:
        import networkx as nx

        table(d, f, ("n", "edges"))
        n = get_int(d, "n", f, 1, MAX_ITEMS)
        g = nx.Graph()
        g.add_nodes_from(range(n))
        for k, e in enumerate(get_list(d, "edges", f)):
            require(isinstance(e, list) and len(e) == 3 and is_int(e[0]) and is_int(e[1]) and 0 <= e[0] < n
                    and 0 <= e[1] < n and is_number(e[2]) and math.isfinite(float(e[2])) and e[2] >= 0,
                    f"{f}.edges[{k}]", _short(e), f"[i, j, weight] with i, j in [0, {n}) and a finite weight >= 0")
            g.add_edge(int(e[0]), int(e[1]), weight=float(e[2]))
        return Cut(g)

    def cmc_from(d: Mapping, f: str) -> CoverageMinusCost:
        table(d, f, ("coverage", "kappa"))
        require("coverage" in d, f"{f}.coverage", None, "a coverage table (the field is missing)")
        cov = cov_from(table(d["coverage"], f"{f}.coverage"), f"{f}.coverage")
        return CoverageMinusCost(cov, _floats(d, "kappa", f, cov.n))

    def add_from(d: Mapping, f: str) -> Additive:
        table(d, f, ("weights",))
        w = _floats(d, "weights", f)
        require(len(w) >= 1, f"{f}.weights", [], "at least one seller")
        return Additive(w)

    def ba_from(d: Mapping, f: str) -> BudgetAdditive:
        table(d, f, ("weights", "cap"))
        w = _floats(d, "weights", f)
        require(len(w) >= 1, f"{f}.weights", [], "at least one seller")
        cap = get_float(d, "cap", f)
        require(cap > 0, f"{f}.cap", cap, "a finite positive number")
        return BudgetAdditive(w, cap)

    def pred_from(d: Mapping, f: str) -> Prediction:
        table(d, f, ("omega", "eps", "kind", "opt_value"))
        kind = d.get("kind")
        require(kind is None or kind in ("under", "over"), f"{f}.kind", _short(kind), '"under", "over" or null')
        return Prediction(get_float(d, "omega", f, lo=0.0), get_float(d, "eps", f, None, optional=True), kind,
                          get_float(d, "opt_value", f, None, optional=True))

    return {
        "valuation:additive": (Additive, lambda v: {"weights": v.a}, add_from),
        "valuation:budget_additive": (BudgetAdditive, lambda v: {"weights": v.a, "cap": v.cap}, ba_from),
        "valuation:coverage": (WeightedCoverage, cov_to, cov_from),
        "valuation:facility_location": (FacilityLocation, lambda v: {"utilities": v.U}, fl_from),
        "valuation:cut": (Cut, cut_to, cut_from),
        "valuation:coverage_minus_cost": (CoverageMinusCost, lambda v: {"coverage": cov_to(v.cov), "kappa": v.kappa},
                                          cmc_from),
        "prediction": (Prediction, lambda p: {"omega": p.omega, "eps": p.eps, "kind": p.kind,
                                              "opt_value": p.opt_value}, pred_from),
    }


class _Codecs(dict):
    """The codec table, built on first use (procurement imports stay lazy)."""

    def _load(self) -> None:
        if not dict.__len__(self):
            self.update(_valuation_codecs())

    def items(self):  # type: ignore[override]
        self._load()
        return dict.items(self)

    def __contains__(self, k: object) -> bool:
        self._load()
        return dict.__contains__(self, k)

    def __getitem__(self, k: str):
        self._load()
        return dict.__getitem__(self, k)

    def __iter__(self):
        self._load()
        return dict.__iter__(self)

    def __len__(self) -> int:
        self._load()
        return dict.__len__(self)


#: Data codecs: name -> (class, to-JSON parameters, from-JSON constructor). Fixed in code.
CODECS: dict[str, tuple[type, Callable[[Any], dict], Callable[[Mapping, str], Any]]] = _Codecs()


# ---- types, reports, schedules ----------------------------------------------------------------
def type_to_json(t: AgentType) -> dict[str, Any]:
    """Return the JSON form of a preference or cost type (module docstring)."""
    if isinstance(t, BundleRanking):
        return {"kind": "bundles", "m": int(t.m), "bundles": [int(b) for b in t.bundles]}
    if isinstance(t, WeakOrder):
        return {"kind": "objects", "n_objects": int(t.n_objects), "classes": [list(map(int, c)) for c in t.classes]}
    if isinstance(t, Cost):
        return {"kind": "cost", "value": float(t.value)}
    from mechanisms.fair_division.valuations import Valuation as FDValuation
    from mechanisms.fair_division.valuations import valuation_to_json

    if isinstance(t, FDValuation):
        return jsonable(valuation_to_json(t))
    raise ConfigError("type", type(t).__name__, "a BundleRanking, WeakOrder, Cost or fair-division valuation")


def type_from_json(d: Any, field: str = "type") -> AgentType:
    """Return the type written by :func:`type_to_json`; raise :class:`ConfigError` naming ``field``.

    Sizes are checked before the type is built: at most :data:`MAX_GOODS` goods, :data:`MAX_RANKED` bundles,
    :data:`MAX_ITEMS` objects.
    """
    require(isinstance(d, Mapping) and "kind" in d, field, _short(d), 'a table with a "kind" key')
    kind = d["kind"]
    if kind == "bundles":
        table(d, field, ("kind", "m", "bundles"))
        m = get_int(d, "m", field, 1, MAX_GOODS)
        bundles = get_list(d, "bundles", field, MAX_RANKED)
        for r, b in enumerate(bundles):
            require(is_int(b) and 0 < b < (1 << m), f"{field}.bundles[{r}]", _short(b),
                    f"a non-empty bundle over {m} goods (an integer in [1, 2^{m}))")
        require(len(set(bundles)) == len(bundles), f"{field}.bundles", _short(bundles), "each bundle ranked once")
        return BundleRanking(m, tuple(int(b) for b in bundles))
    if kind == "objects":
        table(d, field, ("kind", "n_objects", "classes"))
        n = get_int(d, "n_objects", field, 1, MAX_ITEMS)
        classes = get_list(d, "classes", field, n + 1)
        flat: list[int] = []
        for k, c in enumerate(classes):
            require(isinstance(c, list) and len(c) > 0 and len(flat) + len(c) <= n + 1, f"{field}.classes[{k}]",
                    _short(c), "a non-empty list of option indices (n_objects + 1 options in all)")
            for x in c:
                require(is_int(x) and 0 <= x <= n, f"{field}.classes[{k}]", _short(c), f"option indices in [0, {n}]")
            flat.extend(int(x) for x in c)
        require(len(flat) == n + 1 and len(set(flat)) == n + 1, f"{field}.classes", _short(classes),
                f"a partition of the objects 0..{n - 1} and the null option {n}")
        return WeakOrder(n, tuple(tuple(int(x) for x in c) for c in classes))
    if kind == "cost":
        table(d, field, ("kind", "value"))
        v = get_float(d, "value", field)
        require(v >= 0, f"{field}.value", v, "a finite non-negative number")
        return Cost(v)
    if kind == "fair_division":
        return _fd_type(d, field)
    raise ConfigError(f"{field}.kind", _short(kind), 'one of "bundles", "objects", "cost", "fair_division"')


def _fd_type(d: Mapping[str, Any], field: str) -> AgentType:
    """Return a fair-division valuation (fair-division paper, Section 2), its sizes checked before it is built."""
    from mechanisms.fair_division.valuations import valuation_from_json

    cls = d.get("class")
    allowed = {"two_value": ("kind", "class", "m", "alpha", "beta", "high"),
               "interval": ("kind", "class", "alpha", "values"), "additive": ("kind", "class", "values")}
    require(cls in allowed, f"{field}.class", _short(cls), f"one of {sorted(allowed)}")
    table(d, field, allowed[cls])
    if cls == "two_value":
        m = get_int(d, "m", field, 1, MAX_ITEMS)
        get_list(d, "high", field, m)
        for k in ("alpha", "beta"):
            get_float(d, k, field)
    else:
        for i, x in enumerate(get_list(d, "values", field)):
            require(is_number(x) and math.isfinite(float(x)), f"{field}.values[{i}]", _short(x), "a finite number")
        if cls == "interval":
            get_float(d, "alpha", field, None, optional=True)
    try:
        return valuation_from_json(dict(d), field)
    except (TypeError, ValueError) as e:
        if isinstance(e, ConfigError):
            raise
        raise ConfigError(field, _short(dict(d)), f"a fair-division valuation ({e})") from None


def report_to_json(r: Report) -> dict[str, Any]:
    """Return ``{"agent": id, "declared": <type>}``."""
    return {"agent": int(r.agent), "declared": type_to_json(r.declared)}


def report_from_json(d: Any, field: str = "report") -> Report:
    """Return the :class:`Report` written by :func:`report_to_json`."""
    require(isinstance(d, Mapping) and "agent" in d and "declared" in d, field, _short(d),
            'a table with "agent" and "declared"')
    table(d, field, ("agent", "declared"))
    return Report(get_int(d, "agent", field, 0, MAX_ITEMS), type_from_json(d["declared"], f"{field}.declared"))


def schedule_to_json(schedule: Sequence[Sequence[Report]]) -> list[list[dict[str, Any]]]:
    """Return the schedule (reports tick by tick) as nested lists of report tables."""
    return [[report_to_json(r) for r in tick] for tick in schedule]


def schedule_from_json(d: Any, field: str = "schedule", max_reports: int = MAX_ITEMS) -> list[list[Report]]:
    """Return the schedule written by :func:`schedule_to_json` (each agent reports at most once)."""
    require(isinstance(d, list), field, type(d).__name__, "a list of ticks")
    total = sum(len(t) if isinstance(t, list) else 0 for t in d)
    require(len(d) <= max_reports and total <= max_reports, field, f"<{total} reports>",
            f"at most {max_reports} reports")
    out: list[list[Report]] = []
    seen: set[int] = set()
    for t, tick in enumerate(d):
        require(isinstance(tick, list), f"{field}[{t}]", _short(tick), "a list of reports")
        row = []
        for k, r in enumerate(tick):
            rep = report_from_json(r, f"{field}[{t}][{k}]")
            require(rep.agent not in seen, f"{field}[{t}][{k}].agent", rep.agent, "an agent reporting once")
            seen.add(rep.agent)
            row.append(rep)
        out.append(row)
    return out


# ---- markets ------------------------------------------------------------------------------
def market_to_json(market: Market) -> dict[str, Any]:
    """Return the market's fields as plain JSON (goods as ``{"names": [...], "capacities": [...]}``)."""
    out: dict[str, Any] = {"kind": market.kind}
    if market.goods is not None:
        out["goods"] = {"names": list(market.goods.names), "capacities": [int(c) for c in market.goods.capacities]}
    for k in ("max_bundle_size", "n_agents", "horizon"):
        v = getattr(market, k)
        if v is not None:
            out[k] = int(v)
    out["extra"] = jsonable(market.extra)
    return out


_MARKET_KEYS = ("kind", "goods", "max_bundle_size", "n_agents", "horizon", "extra")


def market_from_json(d: Any, field: str = "market") -> Market:
    """Return the :class:`Market` written by :func:`market_to_json`.

    ``extra`` values that were not data come back as :class:`Opaque` markers (see
    :func:`has_opaque`). Unknown keys (e.g. the ``"class"`` of format 1) are errors.
    """
    require(isinstance(d, Mapping) and "kind" in d, field, _short(d), 'a table with a "kind" key')
    table(d, field, _MARKET_KEYS)
    kind = d["kind"]
    require(kind in MARKET_KINDS, f"{field}.kind", _short(kind), f"one of {list(MARKET_KINDS)}")
    goods = None
    if d.get("goods") is not None:
        g = table(d["goods"], f"{field}.goods", ("names", "capacities"))
        names = get_list(g, "names", f"{field}.goods", MAX_GOODS)
        caps = get_list(g, "capacities", f"{field}.goods", MAX_GOODS)
        for j, nm in enumerate(names):
            require(isinstance(nm, str) and nm != "" and len(nm) <= 200, f"{field}.goods.names[{j}]", _short(nm),
                    "a non-empty string")
        require(len(set(names)) == len(names) and len(names) >= 1, f"{field}.goods.names", _short(names),
                "at least one good, distinct names")
        require(kind != "objects" or "o" not in names, f"{field}.goods.names", _short(names),
                'object names other than "o" (the null option)')
        require(len(caps) == len(names), f"{field}.goods.capacities", _short(caps), f"one capacity per good ({len(names)})")
        for j, c in enumerate(caps):
            require(is_int(c) and 0 <= c <= 10**12, f"{field}.goods.capacities[{j}]", _short(c),
                    "an integer in [0, 10^12]")
        goods = Goods(tuple(names), tuple(int(c) for c in caps))
    require(kind not in ("bundles", "objects") or goods is not None, f"{field}.goods", None, f"goods for a {kind} market")
    kw = {k: get_int(d, k, field, 1, MAX_GOODS if k == "max_bundle_size" else MAX_ITEMS, None)
          for k in ("max_bundle_size", "n_agents", "horizon")}
    extra = unjson(table(d.get("extra", {}), f"{field}.extra"), f"{field}.extra")
    return Market(kind=kind, goods=goods, extra=extra, **kw)


# ---- outcomes -----------------------------------------------------------------------------
def outcome_to_json(o: Outcome) -> dict[str, Any]:
    """Return the outcome's fields plus ``"type"`` (the outcome class name)."""
    fields = {s: getattr(o, s) for c in type(o).__mro__ for s in getattr(c, "__slots__", ()) if not s.startswith("__")}
    return {"type": type(o).__name__, **jsonable(fields)}


def outcome_from_json(d: Any, field: str = "outcome", n_options: int | None = None,
                      n_goods: int | None = None) -> Outcome:
    """Return the outcome written by :func:`outcome_to_json`, every field checked.

    ``n_options`` (objects + null, when the market is known) bounds an object index and the
    lottery's length; ``n_goods`` (a bundle market's goods) bounds a bundle's bitmask.
    """
    require(isinstance(d, Mapping) and isinstance(d.get("type"), str) and d["type"] in _OUTCOMES, f"{field}.type",
            _short(d.get("type")) if isinstance(d, Mapping) else _short(d), f"one of {sorted(_OUTCOMES)}")
    cls = _OUTCOMES[d["type"]]
    base = {"agent": get_int(d, "agent", field, 0, MAX_ITEMS), "tick": get_int(d, "tick", field, 0, MAX_ITEMS)}
    if cls is BundleOutcome:
        table(d, field, ("type", "agent", "tick", "bundle", "budget", "spent", "phase"))
        phase = d.get("phase", "")
        require(isinstance(phase, str) and len(phase) <= 200, f"{field}.phase", _short(phase), "a string")
        return BundleOutcome(**base, bundle=get_int(d, "bundle", field, 0, (1 << (n_goods or MAX_GOODS)) - 1),
                             budget=get_float(d, "budget", field, None, optional=True, allow_inf=True),
                             spent=get_float(d, "spent", field, None, optional=True, allow_inf=True), phase=phase)
    if cls is ObjectOutcome:
        table(d, field, ("type", "agent", "tick", "obj", "lottery"))
        hi = MAX_ITEMS if n_options is None else n_options - 1
        obj = get_int(d, "obj", field, 0, hi)
        lot = d.get("lottery")
        if lot is not None:
            lot = get_list(d, "lottery", field, hi + 1)
            for k, p in enumerate(lot):
                require(is_number(p) and 0 <= float(p) <= 1, f"{field}.lottery[{k}]", _short(p), "a probability in [0, 1]")
            require(n_options is None or len(lot) == n_options, f"{field}.lottery", _short(lot),
                    f"one probability per option ({n_options})")
            lot = tuple(float(p) for p in lot)
        return ObjectOutcome(**base, obj=obj, lottery=lot)
    if cls is HireOutcome:
        table(d, field, ("type", "agent", "tick", "hired", "payment", "threshold", "bid"))
        hired = d.get("hired")
        require(isinstance(hired, bool), f"{field}.hired", _short(hired), "true or false")
        return HireOutcome(**base, hired=hired, payment=get_float(d, "payment", field, 0.0),
                           threshold=get_float(d, "threshold", field, None, optional=True, allow_inf=True),
                           bid=get_float(d, "bid", field, None, optional=True))
    if cls is GoodsOutcome:
        table(d, field, ("type", "agent", "tick", "goods"))
        goods = get_list(d, "goods", field, default=[])
        for k, g in enumerate(goods):
            require(is_int(g) and 0 <= g < MAX_ITEMS, f"{field}.goods[{k}]", _short(g), "a good index (arrival order)")
        return GoodsOutcome(**base, goods=tuple(int(g) for g in goods))
    table(d, field, ("type", "agent", "tick"))
    return Outcome(**base)
