"""A theorem's conditions, tested by the auditor itself (never read from the mechanism's records).

A claim holds "under assumptions" (OCAM Theorem 2: 0 < eps_b < 1/m for GSP1 and EF1; Assumption 2,
large capacities, for DACEEI; SEM Theorem 5, Claim 5: one arrival per period for
strategyproofness). The auditor checks every claim on every run; a gate only decides how the
result is worded: inside the assumptions a violation refutes the claim, outside them it is shown
as "outside the theorem's assumptions" (the paper claims nothing there). Each gate computes its
condition from the configuration the auditor built the mechanism with (market, parameters) and
from the schedule, with the paper's formulas.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mechanisms.engine import Configuration
from mechanisms.reports import Report
from mechanisms.spec import Claim


@dataclass(frozen=True)
class Gate:
    """Whether a run lies inside a claim's assumptions: ``inside`` and, when not, ``why``."""

    inside: bool
    why: str = ""
    tested: bool = True


def _eps_b_gate(config: Configuration) -> Gate:
    params = config.params
    goods = config.market.goods
    if "eps_b" not in params or goods is None:
        return Gate(True, tested=False)
    eps_b, m = float(params["eps_b"]), goods.m
    if 0 < eps_b < 1.0 / m:
        return Gate(True)
    return Gate(False, f"Theorem 2 needs 0 < eps_b < 1/m; here eps_b = {eps_b:g} >= 1/m = {1.0 / m:.4g}")


def _assumption2_gate(config: Configuration, schedule: Sequence[Sequence[Report]]) -> Gate:
    from mechanisms.ocam.eceei import assumption2_capacity
    from mechanisms.ocam.mechanism import sample_size

    params = config.params
    goods, n = config.market.goods, config.market.n_agents
    if goods is None or n is None or not {"eps_n", "eps_f"} <= set(params):
        return Gate(True, tested=False)
    s = sample_size(int(n), params["eps_n"], params["eps_f"])
    first = [r.declared for tick in schedule for r in tick][:s]
    tau = max(len(set(first)), 1)  # distinct sample types: a lower bound on the paper's tau
    need = assumption2_capacity(int(n), goods.m, tau, params["eps_n"], params["eps_f"])
    have = float(goods.capacity.min())
    if have >= need:
        return Gate(True)
    return Gate(False, f"Assumption 2 needs every capacity >= {need:.3g} (computed with tau >= {tau}, a lower "
                       f"bound), the smallest capacity is {have:g}")


def _single_arrival_gate(schedule: Sequence[Sequence[Report]]) -> Gate:
    worst = max((len(t) for t in schedule), default=0)
    if worst <= 1:
        return Gate(True)
    return Gate(False, f"the claim assumes one arrival per period; this run has up to {worst} per period")


def gate_for(claim: Claim, config: Configuration, schedule: Sequence[Sequence[Report]]) -> Gate:
    """Return whether ``schedule`` on ``config`` (recorded before the run) lies inside ``claim``'s assumptions.

    Recognised: "eps_b < 1/m" (OCAM Theorem 2 (a)-(b)), "Assumption 2" (OCAM Section 4.3), "one
    arrival per period" / "|I^t| = 1" (SEM Theorem 5, Claim 5). Other assumption texts are not
    testable here: the gate is open and the verdict quotes the text.
    """
    a = claim.assumptions.lower().replace(" ", "")
    gates = []
    if "eps_b<1/m" in a:
        gates.append(_eps_b_gate(config))
    if "assumption2" in a:
        gates.append(_assumption2_gate(config, schedule))
    if "onearrivalperperiod" in a or "|i^t|=1" in a or "onearrivalpertick" in a:
        gates.append(_single_arrival_gate(schedule))
    closed = [g for g in gates if not g.inside]
    if closed:
        return Gate(False, "; ".join(g.why for g in closed))
    return Gate(True, tested=any(g.tested for g in gates))


def finite_or_none(x: float | None) -> float | None:
    """Return ``x`` when it is a finite float, else None."""
    return x if x is not None and math.isfinite(x) else None
