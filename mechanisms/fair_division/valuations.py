"""Additive valuations over goods that arrive one at a time (fair-division paper, Section 2).

The goods are indexed ``0 .. m-1`` in order of arrival (the paper's g_1 .. g_m; good ``g``
arrives at time step ``t = g + 1``). A valuation is what an agent privately knows: its value
for every good. Three instance classes:

- :class:`TwoValue` (Definition 2.1, personalized 2-value): ``v_i(g) in {alpha_i, beta_i}``
  with ``alpha_i >= beta_i >= 0``, stored as the mask of goods of value ``alpha_i``. Agent
  types (Section 2): type 1 ``alpha > beta > 0``, type 2 ``alpha = beta > 0``, type 3
  ``alpha > beta = 0``, type 0 ``alpha = beta = 0``.
- :class:`Interval` (Definition 2.2, personalized interval-restricted): ``v_i(g) in [1, alpha_i]``,
  ``alpha_i > 1``; :meth:`Interval.threshold` is the 2-value threshold function of Theorem 6.1.
- :class:`Additive`: any non-negative additive valuation (for the round-robin baseline and the
  checkers).

Every constructor validates its input and raises :class:`~mechanisms.errors.ConfigError`
naming the field (a 2-value agent with a third value, ``alpha < beta``, a negative value, an
unknown agent type). Valuations are immutable (read-only arrays), hashable and compare by value.
"""
from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np

from ..errors import ConfigError, require
from ..preferences import PREFERENCE_KINDS

#: Relative tolerance when deciding whether a value equals alpha_i or beta_i.
VALUE_TOL = 1e-12

#: The agent types of Section 2, keyed by number.
AGENT_TYPES = {0: "alpha = beta = 0 (irrelevant)", 1: "alpha > beta > 0", 2: "alpha = beta > 0",
               3: "alpha > beta = 0"}


def _real(v: Any, field: str, expected: str = "a finite non-negative number") -> float:
    ok = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool) and math.isfinite(float(v))
    require(ok and float(v) >= 0, field, v, expected)
    return float(v)


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


class Valuation:
    """Base of the additive valuations over the ``m`` goods of an instance.

    Subclasses provide :attr:`values` (float64, length ``m``). ``field`` prefixes error messages.
    """

    kind: str = "additive"

    @property
    def m(self) -> int:
        """Return the number of goods."""
        return int(self.values.shape[0])

    @property
    def values(self) -> np.ndarray:  # pragma: no cover - abstract
        """Return v_i(g) for every good g (float64 array of length m)."""
        raise NotImplementedError

    def value(self, goods: Sequence[int] | np.ndarray) -> float:
        """Return v_i(S) = sum of v_i(g) over ``goods`` (additivity, Section 2)."""
        idx = np.asarray(goods, dtype=np.int64)
        return float(self.values[idx].sum()) if idx.size else 0.0

    def two_value(self) -> TwoValue:
        """Return the personalized 2-value valuation the algorithms run on (raises when none)."""
        raise ConfigError("valuation.kind", self.kind, 'a "two_value" or "interval" valuation for Algorithms 1-3')

    @cached_property
    def _digest(self) -> bytes:
        h = hashlib.blake2b(digest_size=16)
        h.update(self.kind.encode())
        h.update(np.asarray(self._key_params(), dtype=np.float64).tobytes())
        h.update(self._key_array().tobytes())
        return h.digest()

    def _key_params(self) -> tuple[float, ...]:
        return ()

    def _key_array(self) -> np.ndarray:
        return self.values

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Valuation) or type(other) is not type(self):
            return NotImplemented
        return self is other or self._digest == other._digest

    def __hash__(self) -> int:
        return int.from_bytes(self._digest[:8], "little")


class Additive(Valuation):
    """A general additive valuation: ``values[g] = v_i(g) >= 0`` (Section 2)."""

    kind = "additive"

    def __init__(self, values: Sequence[float] | np.ndarray, field: str = "values"):
        a = np.asarray(values, dtype=np.float64)
        require(a.ndim == 1 and a.size >= 1, field, f"shape {a.shape}", "a non-empty list of values, one per good")
        bad = np.flatnonzero(~np.isfinite(a) | (a < 0))
        if bad.size:
            raise ConfigError(f"{field}[{int(bad[0])}]", float(a[bad[0]]), "a finite non-negative value")
        self._values = _frozen(a)

    @property
    def values(self) -> np.ndarray:
        return self._values

    def __repr__(self) -> str:
        return f"Additive(m={self.m}, total={float(self._values.sum()):.6g})"


class TwoValue(Valuation):
    """A personalized 2-value valuation (Definition 2.1): ``v(g) = alpha`` on ``high``, else ``beta``.

    Parameters
    ----------
    alpha, beta : float
        The high and low values, ``alpha >= beta >= 0``.
    high : sequence of bool
        ``high[g]`` is True when ``v(g) = alpha``. For a type-2 agent (alpha = beta) every good
        has value alpha, so the mask is stored as all True (the paper's tests ``v_i(g) = alpha_i``
        then hold for every good, Algorithm 1 line 7).
    """

    kind = "two_value"

    def __init__(self, alpha: float, beta: float, high: Sequence[bool] | np.ndarray, field: str = "valuation"):
        a = _real(alpha, f"{field}.alpha")
        b = _real(beta, f"{field}.beta")
        require(a >= b, f"{field}.alpha", a, f"alpha >= beta = {b:g} (Definition 2.1)")
        h = np.asarray(high)
        require(h.ndim == 1 and h.size >= 1 and (h.dtype == bool or np.isin(h, (0, 1)).all()), f"{field}.high",
                f"{h.dtype} shape {h.shape}", "a non-empty list of booleans, one per good")
        h = h.astype(bool)
        if a == b:
            h = np.ones(h.size, dtype=bool)
        self.alpha, self.beta = a, b
        self._high = _frozen(h)

    @classmethod
    def from_values(cls, values: Sequence[float] | np.ndarray, alpha: float | None = None,
                    beta: float | None = None, field: str = "valuation") -> TwoValue:
        """Return the 2-value valuation with these per-good values.

        ``alpha``/``beta`` default to the largest/smallest value. Raises :class:`ConfigError`
        naming ``field.values[g]`` for a negative value or a value that is neither alpha nor
        beta (a third value: not a 2-value agent).
        """
        v = Additive(values, f"{field}.values").values
        a = float(v.max()) if alpha is None else _real(alpha, f"{field}.alpha")
        b = float(v.min()) if beta is None else _real(beta, f"{field}.beta")
        require(a >= b, f"{field}.alpha", a, f"alpha >= beta = {b:g} (Definition 2.1)")
        tol = VALUE_TOL * max(1.0, a)
        is_a = np.abs(v - a) <= tol
        is_b = np.abs(v - b) <= tol
        bad = np.flatnonzero(~(is_a | is_b))
        if bad.size:
            raise ConfigError(f"{field}.values[{int(bad[0])}]", float(v[bad[0]]),
                              f"alpha = {a:g} or beta = {b:g} (a personalized 2-value agent has two values)")
        return cls(a, b, is_a, field)

    @classmethod
    def of_type(cls, agent_type: int, high: Sequence[bool] | np.ndarray, alpha: float = 2.0,
                field: str = "valuation") -> TwoValue:
        """Return a valuation of agent type 0-3 (Section 2), normalised as in the paper.

        Type 1: ``beta = 1 < alpha``; type 2: ``alpha = beta = 1``; type 3: ``alpha = 1 > beta = 0``;
        type 0: ``alpha = beta = 0``. Raises :class:`ConfigError` for another type number or a
        type-1 ``alpha <= 1``.
        """
        require(agent_type in AGENT_TYPES, f"{field}.type", agent_type, f"an agent type among {sorted(AGENT_TYPES)}")
        if agent_type == 1:
            a = _real(alpha, f"{field}.alpha")
            require(a > 1, f"{field}.alpha", a, "alpha > 1 for a type-1 agent (beta = 1)")
            return cls(a, 1.0, high, field)
        ab = {0: (0.0, 0.0), 2: (1.0, 1.0), 3: (1.0, 0.0)}[agent_type]
        return cls(ab[0], ab[1], high, field)

    @property
    def agent_type(self) -> int:
        """Return the agent type of Section 2 (0, 1, 2 or 3)."""
        if self.alpha == self.beta:
            return 0 if self.alpha == 0 else 2
        return 3 if self.beta == 0 else 1

    @property
    def high(self) -> np.ndarray:
        """Return the mask of goods with ``v(g) = alpha`` (read-only)."""
        return self._high

    @property
    def values(self) -> np.ndarray:
        return np.where(self._high, self.alpha, self.beta)

    def value(self, goods: Sequence[int] | np.ndarray) -> float:
        idx = np.asarray(goods, dtype=np.int64)
        k = int(self._high[idx].sum()) if idx.size else 0
        return k * self.alpha + (idx.size - k) * self.beta

    def two_value(self) -> TwoValue:
        return self

    def with_params(self, alpha: float | None = None, beta: float | None = None,
                    high: np.ndarray | None = None) -> TwoValue:
        """Return a copy with some of alpha, beta, high replaced (for misreports)."""
        return TwoValue(self.alpha if alpha is None else alpha, self.beta if beta is None else beta,
                        self._high if high is None else high)

    def _key_params(self) -> tuple[float, ...]:
        return (self.alpha, self.beta)

    def _key_array(self) -> np.ndarray:
        return self._high

    def __repr__(self) -> str:
        return (f"TwoValue(type {self.agent_type}, alpha={self.alpha:g}, beta={self.beta:g}, "
                f"{int(self._high.sum())}/{self.m} high)")


class Interval(Valuation):
    """A personalized interval-restricted valuation (Definition 2.2): ``v(g) in [1, alpha]``, ``alpha > 1``.

    ``alpha`` defaults to the largest value; a valuation with every value 1 (so alpha = 1) is
    not interval-restricted in the paper's sense (alpha_i > 1) and is rejected.
    """

    kind = "interval"

    def __init__(self, values: Sequence[float] | np.ndarray, alpha: float | None = None, field: str = "valuation"):
        v = Additive(values, f"{field}.values").values
        a = float(v.max()) if alpha is None else _real(alpha, f"{field}.alpha")
        require(a > 1, f"{field}.alpha", a, "alpha > 1 (Definition 2.2)")
        bad = np.flatnonzero((v < 1 - VALUE_TOL) | (v > a * (1 + VALUE_TOL)))
        if bad.size:
            raise ConfigError(f"{field}.values[{int(bad[0])}]", float(v[bad[0]]), f"a value in [1, alpha = {a:g}]")
        self.alpha = a
        self._values = v

    @property
    def values(self) -> np.ndarray:
        return self._values

    def threshold(self) -> TwoValue:
        """Return the threshold function of Theorem 6.1: alpha where v(g) > sqrt(alpha), else sqrt(alpha).

        Claim 6.2: ``v_hat(S) / sqrt(alpha) <= v(S) <= v_hat(S)`` for every set S.
        """
        r = math.sqrt(self.alpha)
        return TwoValue(self.alpha, r, self._values > r)

    def two_value(self) -> TwoValue:
        """Return :meth:`threshold` (the reduction of Theorem 6.1)."""
        return self.threshold()

    def _key_params(self) -> tuple[float, ...]:
        return (self.alpha,)

    def __repr__(self) -> str:
        return f"Interval(alpha={self.alpha:g}, m={self.m})"


# The fair-division market's report class (mechanisms.market.Market.type_class).
PREFERENCE_KINDS.setdefault("fair_division", Valuation)


def guarantee_factor(v: Valuation) -> float:
    """Return the factor a guarantee proven for the 2-value proxy loses on ``v`` (Theorem 6.1).

    1 for a 2-value valuation, ``1 / sqrt(alpha_i)`` for an interval-restricted one.
    """
    return 1.0 / math.sqrt(v.alpha) if isinstance(v, Interval) else 1.0


def same_m(valuations: Sequence[Valuation], field: str = "reports") -> int:
    """Return the common number of goods; raise :class:`ConfigError` when the valuations disagree."""
    require(len(valuations) > 0, field, [], "at least one valuation")
    m = valuations[0].m
    for i, v in enumerate(valuations):
        require(isinstance(v, Valuation), f"{field}[{i}]", type(v).__name__, "a fair-division Valuation")
        require(v.m == m, f"{field}[{i}].m", v.m, f"the instance's {m} goods")
    return m


def value_matrix(valuations: Sequence[Valuation]) -> np.ndarray:
    """Return V with ``V[g, i] = v_i(g)`` (goods by agents, float64: a good's column of values is a row)."""
    same_m(valuations)
    return np.ascontiguousarray(np.stack([v.values for v in valuations], axis=1))


# ---- generators ----------------------------------------------------------------------------
def random_two_value(n: int, m: int, rng: np.random.Generator, types: Sequence[int] = (1,),
                     alpha: tuple[float, float] = (2.0, 5.0), p_high: float = 0.4) -> list[TwoValue]:
    """Return ``n`` random personalized 2-value valuations over ``m`` goods.

    Each agent's type is drawn uniformly from ``types`` (Section 2 numbering), its ``alpha``
    (type 1, with ``beta = 1``) uniformly from the interval ``alpha``, and each good is high
    with probability ``p_high``; all draws from ``rng``.
    """
    require(isinstance(n, int) and n >= 1, "population.n", n, "a positive integer")
    require(isinstance(m, int) and m >= 1, "population.m", m, "a positive integer")
    for k, t in enumerate(types):
        require(t in AGENT_TYPES, f"population.types[{k}]", t, f"an agent type among {sorted(AGENT_TYPES)}")
    require(len(alpha) == 2 and 1 < alpha[0] <= alpha[1], "population.alpha", list(alpha), "[lo, hi] with 1 < lo <= hi")
    require(0 <= p_high <= 1, "population.p_high", p_high, "a probability in [0, 1]")
    out = []
    for i in range(n):
        t = int(types[int(rng.integers(len(types)))])
        a = float(rng.uniform(alpha[0], alpha[1]))
        high = rng.random(m) < p_high
        out.append(TwoValue.of_type(t, high, alpha=a, field=f"population.agents[{i}]"))
    return out


def random_interval(n: int, m: int, rng: np.random.Generator, alpha: tuple[float, float] = (2.0, 9.0)) -> list[Interval]:
    """Return ``n`` random interval-restricted valuations (Definition 2.2): values U[1, alpha_i]."""
    require(isinstance(n, int) and n >= 1, "population.n", n, "a positive integer")
    require(isinstance(m, int) and m >= 1, "population.m", m, "a positive integer")
    require(len(alpha) == 2 and 1 < alpha[0] <= alpha[1], "population.alpha", list(alpha), "[lo, hi] with 1 < lo <= hi")
    out = []
    for i in range(n):
        a = float(rng.uniform(alpha[0], alpha[1]))
        out.append(Interval(rng.uniform(1.0, a, size=m), alpha=a, field=f"population.agents[{i}]"))
    return out


def random_additive(n: int, m: int, rng: np.random.Generator) -> list[Additive]:
    """Return ``n`` random additive valuations with values U[0, 1)."""
    return [Additive(rng.random(m)) for _ in range(n)]


# ---- plain-JSON form (for counterexample files) ---------------------------------------------
def valuation_to_json(v: Valuation) -> dict[str, Any]:
    """Return ``{"kind": "fair_division", "class": ..., ...}``: 2-value as alpha, beta and the high goods' indices."""
    if isinstance(v, TwoValue):
        return {"kind": "fair_division", "class": "two_value", "m": v.m, "alpha": v.alpha, "beta": v.beta,
                "high": [int(g) for g in np.flatnonzero(v.high)]}
    if isinstance(v, Interval):
        return {"kind": "fair_division", "class": "interval", "alpha": v.alpha, "values": v.values.tolist()}
    return {"kind": "fair_division", "class": "additive", "values": v.values.tolist()}


def valuation_from_json(d: Any, field: str = "type") -> Valuation:
    """Return the valuation written by :func:`valuation_to_json`; raise :class:`ConfigError` naming ``field``."""
    require(isinstance(d, dict) and d.get("kind") == "fair_division", field, str(d)[:80],
            'a table with kind = "fair_division"')
    cls = d.get("class")
    try:
        if cls == "two_value":
            m = d["m"]
            require(isinstance(m, int) and not isinstance(m, bool) and m >= 1, f"{field}.m", m, "a positive integer")
            mask = np.zeros(m, dtype=bool)
            for k, g in enumerate(d["high"]):
                require(isinstance(g, int) and 0 <= g < m, f"{field}.high[{k}]", g, f"a good index in [0, {m})")
                mask[g] = True
            return TwoValue(d["alpha"], d["beta"], mask, field)
        if cls == "interval":
            return Interval(d["values"], d["alpha"], field)
        if cls == "additive":
            return Additive(d["values"], f"{field}.values")
    except KeyError as e:
        raise ConfigError(f"{field}.{e.args[0]}", None, "a value (missing key)") from None
    raise ConfigError(f"{field}.class", cls, 'one of "two_value", "interval", "additive"')
