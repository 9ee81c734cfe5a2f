"""Read what a mechanism has made public, tolerantly.

Price-aware strategies read ``PublicInfo.public`` (``OnlineMechanism.public()`` before the
tick). Mechanisms publish different things, and may publish nothing; every reader here returns
``None`` when the information is absent or malformed, and the strategies then fall back to the
truthful report (documented per strategy in ``docs/strategies.md``).

Keys read (the mechanisms' ``public()`` dictionaries):

- ``"phase"``: ``"sample"`` or ``"online"`` (OCAM, Mechanism 1; procurement sampling phase);
- ``"prices"``: posted prices, one per good/object (OCAM's ECEEI prices p after the sample;
  SEM's period prices p^t);
- ``"budgets"``: OCAM's budget function f over the sample types (Mechanism 1: f(theta) = B_i);
  accepted as a mapping type -> budgets, or a sequence of (type, budgets) pairs, where budgets
  is a number, a sequence of numbers (equally likely) or a sequence of (budget, probability).
  ``mechanisms.ocam`` keys f by type LABELS ("t0", "t1", ...); labels are resolved through a
  published ``"types"`` mapping label -> type, and ignored when no such mapping is published
  (the agent then cannot tell which type to declare);
- ``"seen_type_counts"`` (OCAM, label -> multiplicity in the sample), resolved the same way;
- ``"remaining"``: remaining capacity per good/object;
- ``"threshold"``: the procurement posted price offered next (Mechanism 2 line 7,
  Mechanism 3 line 11: p_i = (B/t) v(i|S)), a number or a mapping agent -> number;
- ``"budget"`` / ``"remaining_budget"`` (public or ``market.extra``): the procurement budget B;
- ``"types"`` / ``"type_counts"``: reported types seen so far, when a mechanism publishes them.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder

from .base import PublicInfo

_TYPES = (BundleRanking, WeakOrder, Cost)


def phase(info: PublicInfo) -> str | None:
    """Return the published phase (``"sample"``/``"online"``...) or None."""
    p = info.public.get("phase") if isinstance(info.public, Mapping) else None
    return str(p) if isinstance(p, str) else None


def _vector(x: Any) -> np.ndarray | None:
    try:
        a = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if a.ndim != 1 or a.size == 0 or not np.all(np.isfinite(a)):
        return None
    return a


def prices(info: PublicInfo, size: int | None = None) -> np.ndarray | None:
    """Return the posted price vector (one per good/object) or None when none is published.

    ``size`` (number of goods/objects) rejects a vector of the wrong length. A SEM price vector
    may include the null option as its last entry; it is accepted with ``size + 1`` entries.
    """
    if not isinstance(info.public, Mapping) or info.public.get("prices") is None:
        return None
    a = _vector(info.public["prices"])
    if a is None:
        return None
    if size is not None and a.size not in (size, size + 1):
        return None
    return a


def remaining(info: PublicInfo, size: int | None = None) -> np.ndarray | None:
    """Return the published remaining capacity per good/object, or None."""
    if not isinstance(info.public, Mapping) or info.public.get("remaining") is None:
        return None
    a = _vector(info.public["remaining"])
    if a is None or (size is not None and a.size != size):
        return None
    return a


def _distribution(x: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """Return (budgets, probabilities) of a published random budget, or None."""
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool):
        return np.array([float(x)]), np.array([1.0])
    if isinstance(x, Mapping):  # {"budgets": [...], "probs": [...]} or {budget: prob}
        if "budgets" in x or "values" in x:
            vals = _vector(x.get("budgets", x.get("values")))
            probs = _vector(x["probs"]) if x.get("probs") is not None else None
            if vals is None:
                return None
            if probs is None or probs.size != vals.size:
                probs = np.full(vals.size, 1.0 / vals.size)
            return vals, probs
        try:
            vals = np.array([float(k) for k in x], dtype=np.float64)
            probs = np.array([float(v) for v in x.values()], dtype=np.float64)
        except (TypeError, ValueError):
            return None
        return (vals, probs) if vals.size else None
    if isinstance(x, Sequence) and not isinstance(x, str) and len(x) > 0:
        if all(isinstance(e, Sequence) and len(e) == 2 for e in x):
            vals = _vector([e[0] for e in x])
            probs = _vector([e[1] for e in x])
            return (vals, probs) if vals is not None and probs is not None else None
        vals = _vector(x)
        return (vals, np.full(vals.size, 1.0 / vals.size)) if vals is not None else None
    return None


def _type_labels(info: PublicInfo) -> dict[str, AgentType]:
    """Return the published label -> type map (``"types"`` as a mapping), or {}."""
    types = info.public.get("types") if isinstance(info.public, Mapping) else None
    if isinstance(types, Mapping):
        return {str(k): t for k, t in types.items() if isinstance(t, _TYPES)}
    return {}


def budget_table(info: PublicInfo) -> list[tuple[BundleRanking, np.ndarray, np.ndarray]] | None:
    """Return OCAM's published budget function f as ``[(type, budgets, probabilities), ...]``.

    OCAM, Mechanism 1: after the sample, f maps every sample type theta to the random budget
    B_i of a sample agent of that type; a post-sample agent declaring theta draws b ~ f(theta).
    Returns None when nothing usable is published.
    """
    if not isinstance(info.public, Mapping):
        return None
    raw = info.public.get("budgets")
    if raw is None:
        return None
    labels = _type_labels(info)
    pairs = raw.items() if isinstance(raw, Mapping) else raw
    out = []
    try:
        for t, dist in pairs:
            t = labels.get(t, t) if isinstance(t, str) else t
            if not isinstance(t, BundleRanking):
                continue
            d = _distribution(dist)
            if d is not None:
                out.append((t, d[0], d[1]))
    except (TypeError, ValueError):
        return None
    return out or None


def observed_types(info: PublicInfo) -> Counter:
    """Return the multiset of declared types the public information reveals (maybe empty).

    Read from ``"type_counts"`` (type -> count), ``"types"`` (a list of declared types) and the
    types of OCAM's published budget function (each counted once: f reveals the set Theta_S).
    """
    seen: Counter = Counter()
    pub = info.public if isinstance(info.public, Mapping) else {}
    labels = _type_labels(info)
    for key in ("type_counts", "seen_type_counts"):
        counts = pub.get(key)
        if not isinstance(counts, Mapping) or seen:
            continue
        for t, c in counts.items():
            t = labels.get(t, t) if isinstance(t, str) else t
            if isinstance(t, _TYPES) and isinstance(c, (int, np.integer)):
                seen[t] += int(c)
    types = pub.get("types")
    if not seen and isinstance(types, Sequence) and not isinstance(types, str):
        for t in types:
            if isinstance(t, _TYPES):
                seen[t] += 1
    if not seen:
        for t, _, _ in budget_table(info) or []:
            seen[t] += 1
    return seen


def _number(x: Any) -> float | None:
    if isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(float(x)):
        return float(x)
    return None


def threshold(info: PublicInfo, agent: int | None = None) -> float | None:
    """Return the procurement posted price the next seller faces, or None if not inferable.

    Mechanism 2 line 7 / Mechanism 3 line 11 (procurement paper): p_i = (B/t) v(i|S). Read from
    ``"threshold"`` (a number, or a mapping agent -> number when it depends on the seller).
    """
    if not isinstance(info.public, Mapping):
        return None
    th = info.public.get("threshold")
    if isinstance(th, Mapping):
        return _number(th.get(agent)) if agent is not None else None
    return _number(th)


def procurement_budget(info: PublicInfo) -> float | None:
    """Return the procurement budget B (public, or in ``market.extra``), or None."""
    pub = info.public if isinstance(info.public, Mapping) else {}
    for source in (pub, info.market.extra):
        for key in ("budget", "B"):
            v = _number(source.get(key)) if isinstance(source, Mapping) else None
            if v is not None:
                return v
    return None
