"""The claims the fair-division mechanisms declare, judged on a realised run (no Mesa, no abm).

:func:`judge` maps a claim key and a run (its outcomes, its reports as declared, the market)
to ``(status, condition, detail)``; :mod:`abm.audit.claims` wraps it as the run-level checkers
of ``CLAIM_CHECKERS``. Each agent is judged with its TRUE valuation when the caller knows it
and with its declared one otherwise: a truthful agent's guarantee is then checked in true
value, also in runs where others lie (the algorithms' theorems hold for the declared
instance, so a truthful agent keeps its guarantee whatever the others report).

Keys (sources in :mod:`.mechanism`): ``fd_temporal_mms`` (Theorem 4.1, Corollaries 4.4-4.5),
``fd_dp_structure`` (Theorem 4.1 parts 1-3), ``fd_temporal_ef2`` (Theorems 5.2, 5.4),
``fd_ef1_every_n`` (EF1 at t = kn: Theorem 5.2 for n = 2, Theorem 5.4), ``fd_round_robin_ef1``
(Remark 2.6), ``fd_mms_quarter_after_t0`` (Corollary 4.5), ``fd_half_ef1_after_failure``
(Theorem 5.4, last part). Interval-restricted agents get the guarantee divided by sqrt(alpha_i) (Theorem 6.1).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import checks
from .valuations import Interval, TwoValue, Valuation, guarantee_factor

HOLDS, VIOLATED, NOT_APPLICABLE = "holds", "violated", "not applicable"

KEYS = ("fd_temporal_mms", "fd_dp_structure", "fd_temporal_ef2", "fd_ef1_every_n", "fd_round_robin_ef1",
        "fd_mms_quarter_after_t0", "fd_half_ef1_after_failure")


def run_instance(run: Any, true_types: Mapping[int, Any]) -> tuple[list[Valuation], list[bool], Any]:
    """Return (valuation judged per agent, whether that agent reported truthfully, owner array).

    ``run`` is a :class:`~mechanisms.engine.RunRecord` of a fair-division mechanism.
    """
    market = run.config.market
    n, m = int(market.n_agents), int(market.horizon)
    declared = {r.agent: r.declared for tick in run.schedule for r in tick}
    vals, truthful = [], []
    for i in range(n):
        t = true_types.get(i)
        vals.append(t if t is not None else declared[i])
        truthful.append(t is None or t == declared[i])
    owner = checks.owner_from_outcomes(run.outcomes, n, m)
    return vals, truthful, owner


def _outcome(v: checks.Verdict, what: str, truthful: list[bool]) -> tuple[str, str, str]:
    if v.ok:
        return HOLDS, what, f"{v.steps_checked} step(s) checked; worst ratio {v.ratio:.4g}"
    liar = "" if v.agent is None or truthful[v.agent] else " (a misreporting agent, judged by its true value)"
    return VIOLATED, what, v.detail + liar


def judge(key: str, run: Any, true_types: Mapping[int, Any]) -> tuple[str, str, str]:
    """Return ``(status, condition, detail)`` of claim ``key`` on ``run``."""
    market = run.config.market
    if market.kind != "fair_division":
        return NOT_APPLICABLE, "", "not a fair-division run"
    vals, truthful, owner = run_instance(run, true_types)
    n, m = len(vals), owner.shape[0]
    if not all(isinstance(v, (TwoValue, Interval)) for v in vals):
        return NOT_APPLICABLE, "", "the guarantees are stated for 2-value and interval-restricted valuations"
    if key == "fd_temporal_mms":
        rho = [checks.dp_mms_factor(v, n) for v in vals]
        return _outcome(checks.temporal_mms(vals, owner, rho), "rho_i-MMS at every step", truthful)
    if key == "fd_dp_structure":
        return _outcome(checks.dp_structure(vals, owner), "Theorem 4.1 parts 1-3", truthful)
    if key == "fd_mms_quarter_after_t0":
        return _outcome(checks.dp_quarter_mms_after_t0(vals, owner), "1/4-MMS from t_i0 on", truthful)
    V = checks.value_matrix(vals)
    if key == "fd_temporal_ef2":
        rho = [guarantee_factor(v) for v in vals]
        return _outcome(checks.temporal_efk(V, owner, 2, rho), "EF2 at every step", truthful)
    if key == "fd_ef1_every_n":
        rho = [guarantee_factor(v) for v in vals]
        return _outcome(checks.temporal_efk(V, owner, 1, rho, steps=range(0, m + 1, n)), f"EF1 at t = k*{n}",
                        truthful)
    if key == "fd_half_ef1_after_failure":
        rho = [guarantee_factor(v) for v in vals]
        return _outcome(checks.pm_half_ef1_after_failure(V, owner, n, rho), "1/2-EF1 after ceil(t0/n) n", truthful)
    if key == "fd_round_robin_ef1":
        rho = [checks.round_robin_factor(v) for v in vals]
        return _outcome(checks.temporal_efk(V, owner, 1, rho), "(beta_i/alpha_i)-EF1 at every step", truthful)
    return NOT_APPLICABLE, "", f"unknown fair-division claim {key!r}"
