"""Checkers of the budget-feasible paper's properties (Section 2 definitions, Definition 1).

Each checker returns a list of violations (dicts naming what broke, with the numbers); an
empty list means the property held on what was checked. They apply to any registered
procurement mechanism's :class:`~mechanisms.reports.HireOutcome` records and to any valuation.

- :func:`check_budget_feasible`: sum_i p_i <= B (Section 2, budget-feasible).
- :func:`check_ir`: p_i >= b_i for every hired seller, p_i >= 0 and unhired sellers unpaid
  (Section 2, individually rational; "agents not in A(b) are not paid").
- :func:`check_threshold_independence`: the threshold offered to a seller is the same
  whatever she bids, and she is hired iff her bid is at most it (a posted price; the
  argument of Lemma 1), by full replays with common random numbers; optionally also that the
  mechanism's ``unilateral_outcome`` equals the replay.
- :func:`check_submodular`, :func:`check_monotone`: Definition 1 and monotonicity on random
  sets.

Truthfulness itself is judged by the auditor (:func:`abm.audit.audit`, claim
``universal_truthfulness``, utilities by :meth:`mechanisms.preferences.Cost.utility`): one
truthfulness check, not two.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ..engine import run_schedule
from ..preferences import Cost
from ..reports import HireOutcome, Outcome, Report

TOL = 1e-9


def _hires(outcomes: Mapping[int, Outcome] | Sequence[Outcome]) -> list[HireOutcome]:
    outs = list(outcomes.values()) if isinstance(outcomes, Mapping) else list(outcomes)
    return [o for o in outs if isinstance(o, HireOutcome)]


def check_budget_feasible(outcomes: Mapping[int, Outcome] | Sequence[Outcome], budget: float,
                          tol: float = TOL) -> list[dict[str, Any]]:
    """Return a violation when the payments sum to more than ``budget`` (relative slack ``tol``)."""
    total = float(sum(o.payment for o in _hires(outcomes)))
    if total > budget * (1 + tol):
        return [{"property": "budget_feasible", "total_paid": total, "budget": budget}]
    return []


def check_ir(outcomes: Mapping[int, Outcome] | Sequence[Outcome], tol: float = TOL) -> list[dict[str, Any]]:
    """Return the sellers paid less than their bid, paid while not hired, or paid a negative amount."""
    bad = []
    for o in _hires(outcomes):
        if o.hired and o.bid is not None and o.payment < o.bid - tol * max(1.0, abs(o.bid)):
            bad.append({"property": "ir", "agent": o.agent, "payment": o.payment, "bid": o.bid})
        elif not o.hired and abs(o.payment) > tol:
            bad.append({"property": "ir", "agent": o.agent, "payment": o.payment, "hired": False})
        elif o.payment < -tol:
            bad.append({"property": "ir", "agent": o.agent, "payment": o.payment})
    return bad


def _same(x: float | None, y: float | None) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return x == y or abs(x - y) <= TOL * max(1.0, abs(x))


def check_threshold_independence(factory: Callable[[], Any], schedule: Sequence[Sequence[Report]], seed: int,
                                 agents: Sequence[int], bids: Sequence[float],
                                 check_unilateral: bool = True) -> list[dict[str, Any]]:
    """Return violations of "the posted threshold does not depend on the seller's own bid".

    For every agent in ``agents`` and every alternative bid in ``bids``, replays the schedule
    with only that agent's bid changed (same seed: same order and coins) and compares her
    threshold with the truthful run's; also checks the posted-price rule: a hire has bid <=
    threshold and is paid the threshold, and all bids at most the threshold (the truthful one
    included) get the same decision (the offer was open or not, whatever she bid); and, when
    ``check_unilateral``, that ``unilateral_outcome`` matches the replay.
    """
    base = run_schedule(factory, schedule, seed)
    bad = []
    for a in agents:
        o0 = base.outcomes[a]
        # "hired iff bid <= threshold" (given the offer): every bid at most the threshold,
        # the truthful one included, must get the same decision, and a hire pays the threshold
        below: dict[bool, float] = {}
        if o0.threshold is not None and o0.bid is not None and o0.bid <= o0.threshold:
            below[bool(o0.hired)] = float(o0.bid)
        for b in bids:
            dev = run_schedule(factory, schedule, seed, deviations={a: Cost(float(b))}, record_public=False)
            o1 = dev.outcomes[a]
            if not _same(o0.threshold, o1.threshold):
                bad.append({"property": "threshold_independence", "agent": a, "bid": b,
                            "threshold_truthful": o0.threshold, "threshold_deviating": o1.threshold})
            if o1.hired and (o1.threshold is None or b > o1.threshold + TOL * max(1.0, abs(b))):
                bad.append({"property": "posted_price", "agent": a, "bid": b, "threshold": o1.threshold, "hired": True})
            elif o1.hired and not _same(o1.payment, o1.threshold):
                bad.append({"property": "posted_price", "agent": a, "bid": b, "threshold": o1.threshold,
                            "payment": o1.payment})
            if o1.threshold is not None and b <= o1.threshold:
                below.setdefault(bool(o1.hired), float(b))
            if check_unilateral:
                u = base.mechanism.unilateral_outcome(Report(a, Cost(float(b))), o0.tick)
                if (u.hired, round(u.payment, 9)) != (o1.hired, round(o1.payment, 9)) or not _same(u.threshold, o1.threshold):
                    bad.append({"property": "unilateral_outcome", "agent": a, "bid": b,
                                "unilateral": (u.hired, u.payment, u.threshold),
                                "replay": (o1.hired, o1.payment, o1.threshold)})
        if len(below) > 1:
            bad.append({"property": "posted_price", "agent": a, "threshold": o0.threshold,
                        "hired_at_bid": below[True], "rejected_at_bid": below[False]})
    return bad


def _random_chain(n: int, rng: np.random.Generator) -> tuple[list[int], list[int], int] | None:
    """Return random S subset of T and i outside T (None when n < 1)."""
    if n < 1:
        return None
    perm = rng.permutation(n)
    i = int(perm[0])
    rest = perm[1:]
    t = int(rng.integers(0, rest.size + 1))
    s = int(rng.integers(0, t + 1))
    return [int(x) for x in rest[:s]], [int(x) for x in rest[:t]], i


def check_submodular(valuation: Any, rng: np.random.Generator, trials: int = 200, tol: float = 1e-9) -> list[dict[str, Any]]:
    """Return violations of Definition 1, v(i|S) >= v(i|T) for S subset T, i not in T, on random triples."""
    bad = []
    for _ in range(trials):
        S, T, i = _random_chain(valuation.n, rng)
        ms, mt = valuation.marginal(i, S), valuation.marginal(i, T)
        if ms < mt - tol * max(1.0, abs(mt)):
            bad.append({"property": "submodular", "i": i, "S": S, "T": T, "v(i|S)": ms, "v(i|T)": mt})
    return bad


def check_monotone(valuation: Any, rng: np.random.Generator, trials: int = 200, tol: float = 1e-9) -> list[dict[str, Any]]:
    """Return violations of monotonicity, v(S) <= v(T) for S subset T, on random pairs."""
    bad = []
    for _ in range(trials):
        S, T, _ = _random_chain(valuation.n, rng)
        vs, vt = valuation.value(S), valuation.value(T)
        if vs > vt + tol * max(1.0, abs(vs)):
            bad.append({"property": "monotone", "S": S, "T": T, "v(S)": vs, "v(T)": vt})
    return bad


def check_normalised_nonnegative(valuation: Any, rng: np.random.Generator, trials: int = 100,
                                 tol: float = 1e-9) -> list[dict[str, Any]]:
    """Return violations of v(empty) = 0 and v(S) >= 0 on random sets (Section 2)."""
    bad = []
    if abs(valuation.value([])) > tol:
        bad.append({"property": "normalised", "v(empty)": valuation.value([])})
    for _ in range(trials):
        _, T, _ = _random_chain(valuation.n, rng)
        if valuation.value(T) < -tol:
            bad.append({"property": "nonnegative", "S": T, "v(S)": valuation.value(T)})
    return bad
