"""Readers of the ``[market]`` and ``[population]`` fields several population sources share.

Goods and capacities, type counts, weak orders over objects, and ``[market.extra]``; every error
names the field and the value (:class:`~mechanisms.errors.ConfigError`).
"""
from __future__ import annotations

from typing import Any

from mechanisms.errors import ConfigError, require
from mechanisms.market import Goods
from mechanisms.preferences import WeakOrder

from ..schema import MAX_AGENTS, MAX_GOODS, Section


def read_goods(market: Section, m_default: int | None = None, objects: bool = False) -> Goods:
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


def read_count(e: Section, total: int, default: int = 1) -> int:
    """Return ``count`` of a ``[[population.types]]`` entry, keeping the population within MAX_AGENTS."""
    return e.get("count", int, default, check=lambda v: 1 <= v <= MAX_AGENTS - total,
                 expected=f"a positive integer (at most {MAX_AGENTS} agents in all)")


def read_preference(e: Section, names: tuple[str, ...]) -> tuple[str, WeakOrder]:
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



def fail(field: str, value: Any, expected: str) -> Any:
    """Raise :class:`ConfigError` (never returns; usable inside an expression)."""
    raise ConfigError(field, value, expected)


#: ``market.extra`` keys the testbed sets itself, with what sets each: a scenario may not set
#: them through ``[market.extra]`` (the value would be silently replaced, or would shadow the
#: validated field a mechanism reads).
RESERVED_EXTRA = {"budget": "market.budget (procurement) or the SEM online market", "valuation": "population.valuation",
                  "prediction": "market.prediction_error", "foresight": "market.foresight",
                  "agent_names": "the csv population sources (the file's names)", "sem": "the objects.sem source",
                  "sem_online": "the objects.sem_online source", "supply_arrivals": "market.supply",
                  "replica": "population.replica", "budgets": "market.budgets", "null": "the SEM market (\"o\")"}


def read_extra(market: Section) -> dict[str, Any]:
    """Return ``[market.extra]``: market information for a mechanism of one's own, validated.

    Why free-form keys: ``market.extra`` is how a mechanism written outside the testbed
    (``docs/bring_your_own_mechanism.md``) receives market data the testbed does not model, so
    its keys cannot be known here. What is checked: the keys are names, none is one the testbed
    sets itself (:data:`RESERVED_EXTRA`, e.g. ``budget`` comes from ``market.budget``), and the
    values are plain data (:func:`abm.schema.check_raw` bounds every scenario value). Raises
    :class:`ConfigError` naming ``market.extra.<key>``.
    """
    extra = dict(market.get("extra", dict, {}))
    for k, v in extra.items():
        require(isinstance(k, str) and k.isidentifier(), f"market.extra.{k}", v, "a key that is a name")
        require(k not in RESERVED_EXTRA, f"market.extra.{k}", v,
                f"a key the testbed does not set itself (set {k!r} through {RESERVED_EXTRA.get(k)})")
    return extra
