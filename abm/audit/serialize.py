"""JSON serialisation of markets, types, reports and outcomes (for counterexample files).

A counterexample must rebuild the market and the mechanism without the scenario loader, so
every primitive has a plain-JSON form:

- :class:`~mechanisms.preferences.BundleRanking` -> ``{"kind": "bundles", "m": 3, "bundles": [1, 6]}``
  (bitmasks, best first);
- :class:`~mechanisms.preferences.WeakOrder` -> ``{"kind": "objects", "n_objects": 2,
  "classes": [[0, 1], [2]]}`` (indifference classes, best first, null option last index);
- :class:`~mechanisms.preferences.Cost` -> ``{"kind": "cost", "value": 0.3}``;
- :class:`~mechanisms.protocol.Market` -> its fields, goods as names and capacities;
- outcomes -> their dataclass fields plus ``"type"``.

Every ``*_from_json`` raises :class:`~mechanisms.errors.ConfigError` naming the field when the
JSON does not describe a valid object.
"""
from __future__ import annotations

import base64
import math
import pickle
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError, require
from mechanisms.market import Goods
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.protocol import Market
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome, Report

PICKLE_KEY = "__pickle__"

_OUTCOMES: dict[str, type[Outcome]] = {c.__name__: c for c in (BundleOutcome, ObjectOutcome, HireOutcome, Outcome)}


def jsonable(x: Any) -> Any:
    """Return ``x`` with numpy scalars/arrays, tuples and non-finite floats made JSON-safe.

    Infinite floats become the strings ``"inf"``/``"-inf"`` (read back by :func:`unjson_float`).
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
    # Anything else (a procurement valuation, a prediction object): pickled, base64 text, so
    # the file stays self-contained (Python-specific; documented in docs/audit.md).
    return {PICKLE_KEY: base64.b64encode(pickle.dumps(x, protocol=4)).decode("ascii"),
            "class": f"{type(x).__module__}:{type(x).__qualname__}"}


def unjson_float(x: Any) -> Any:
    """Return ``x`` with the strings written by :func:`jsonable` for infinities turned back to floats."""
    if x == "inf":
        return math.inf
    if x == "-inf":
        return -math.inf
    if x == "nan":
        return math.nan
    return x


def type_to_json(t: AgentType) -> dict[str, Any]:
    """Return the JSON form of a preference or cost type (module docstring)."""
    if isinstance(t, BundleRanking):
        return {"kind": "bundles", "m": int(t.m), "bundles": [int(b) for b in t.bundles]}
    if isinstance(t, WeakOrder):
        return {"kind": "objects", "n_objects": int(t.n_objects), "classes": [list(map(int, c)) for c in t.classes]}
    if isinstance(t, Cost):
        return {"kind": "cost", "value": float(t.value)}
    raise ConfigError("type", type(t).__name__, "a BundleRanking, WeakOrder or Cost")


def type_from_json(d: Mapping[str, Any], field: str = "type") -> AgentType:
    """Return the type written by :func:`type_to_json`; raise :class:`ConfigError` naming ``field``."""
    require(isinstance(d, Mapping) and "kind" in d, field, d, 'a table with a "kind" key')
    kind = d["kind"]
    try:
        if kind == "bundles":
            return BundleRanking(int(d["m"]), tuple(int(b) for b in d["bundles"]))
        if kind == "objects":
            return WeakOrder(int(d["n_objects"]), tuple(tuple(int(x) for x in c) for c in d["classes"]))
        if kind == "cost":
            return Cost(float(d["value"]))
    except KeyError as e:
        raise ConfigError(f"{field}.{e.args[0]}", None, "a value (missing key)") from None
    except ConfigError as e:
        raise ConfigError(f"{field}.{e.field}", e.value, e.expected) from None
    raise ConfigError(f"{field}.kind", kind, 'one of "bundles", "objects", "cost"')


def report_to_json(r: Report) -> dict[str, Any]:
    """Return ``{"agent": id, "declared": <type>}``."""
    return {"agent": int(r.agent), "declared": type_to_json(r.declared)}


def report_from_json(d: Mapping[str, Any], field: str = "report") -> Report:
    """Return the :class:`Report` written by :func:`report_to_json`."""
    require(isinstance(d, Mapping) and "agent" in d and "declared" in d, field, d,
            'a table with "agent" and "declared"')
    return Report(int(d["agent"]), type_from_json(d["declared"], f"{field}.declared"))


def schedule_to_json(schedule: Sequence[Sequence[Report]]) -> list[list[dict[str, Any]]]:
    """Return the schedule (reports tick by tick) as nested lists of report tables."""
    return [[report_to_json(r) for r in tick] for tick in schedule]


def schedule_from_json(d: Sequence[Sequence[Mapping[str, Any]]], field: str = "schedule") -> list[list[Report]]:
    """Return the schedule written by :func:`schedule_to_json`."""
    require(isinstance(d, list), field, type(d).__name__, "a list of ticks")
    return [[report_from_json(r, f"{field}[{t}][{k}]") for k, r in enumerate(tick)] for t, tick in enumerate(d)]


def market_to_json(market: Market) -> dict[str, Any]:
    """Return the market's fields as JSON (goods as ``{"names": [...], "capacities": [...]}``).

    Markets that are subclasses of :class:`Market` with extra dataclass fields are written with
    those fields too (read back only when they are plain JSON values).
    """
    out: dict[str, Any] = {"kind": market.kind}
    if market.goods is not None:
        out["goods"] = {"names": list(market.goods.names), "capacities": [int(c) for c in market.goods.capacities]}
    for k in ("max_bundle_size", "n_agents", "horizon"):
        v = getattr(market, k)
        if v is not None:
            out[k] = int(v)
    out["extra"] = jsonable(market.extra)
    extra_fields = {f for f in getattr(market, "__dataclass_fields__", {})} - {"kind", "goods", "max_bundle_size",
                                                                              "n_agents", "horizon", "extra"}
    if extra_fields:
        out["fields"] = {f: jsonable(getattr(market, f)) for f in sorted(extra_fields)}
        out["class"] = f"{type(market).__module__}:{type(market).__qualname__}"
    return out


def _unjson_tree(x: Any) -> Any:
    if isinstance(x, dict) and PICKLE_KEY in x:
        return pickle.loads(base64.b64decode(x[PICKLE_KEY]))
    if isinstance(x, dict):
        return {k: _unjson_tree(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_unjson_tree(v) for v in x]
    return unjson_float(x)


def unjson(x: Any) -> Any:
    """Return the value written by :func:`jsonable` (infinities and pickled objects restored)."""
    return _unjson_tree(x)


def market_from_json(d: Mapping[str, Any], field: str = "market") -> Market:
    """Return the :class:`Market` written by :func:`market_to_json`."""
    require(isinstance(d, Mapping) and "kind" in d, field, d, 'a table with a "kind" key')
    goods = None
    if "goods" in d:
        g = d["goods"]
        goods = Goods(tuple(g["names"]), tuple(int(c) for c in g["capacities"]))
    kw = {k: d[k] for k in ("max_bundle_size", "n_agents", "horizon") if k in d}
    cls: type[Market] = Market
    extra_kwargs: dict[str, Any] = {}
    if "class" in d:
        import importlib

        mod, _, qual = str(d["class"]).partition(":")
        obj: Any = importlib.import_module(mod)
        for part in qual.split("."):
            obj = getattr(obj, part)
        cls = obj
        extra_kwargs = _unjson_tree(dict(d.get("fields", {})))
    return cls(kind=d["kind"], goods=goods, extra=_unjson_tree(dict(d.get("extra", {}))), **kw, **extra_kwargs)


def outcome_to_json(o: Outcome) -> dict[str, Any]:
    """Return the outcome's fields plus ``"type"`` (the outcome class name)."""
    fields = {s: getattr(o, s) for c in type(o).__mro__ for s in getattr(c, "__slots__", ()) if not s.startswith("__")}
    return {"type": type(o).__name__, **jsonable(fields)}


def outcome_from_json(d: Mapping[str, Any], field: str = "outcome") -> Outcome:
    """Return the outcome written by :func:`outcome_to_json`."""
    require(isinstance(d, Mapping) and d.get("type") in _OUTCOMES, f"{field}.type", d.get("type") if isinstance(d, Mapping) else d,
            f"one of {sorted(_OUTCOMES)}")
    cls = _OUTCOMES[d["type"]]
    kw = {k: unjson_float(v) for k, v in d.items() if k != "type"}
    if "lottery" in kw and kw["lottery"] is not None:
        kw["lottery"] = tuple(float(x) for x in kw["lottery"])
    return cls(**kw)
