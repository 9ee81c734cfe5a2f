"""SEM checks that trust nothing the mechanism says about itself (issue 11, items 3 and 4).

- :func:`check_t_equilibrium` (run level, claim key ``"t_equilibrium"``): every period's
  prices form a (t)-equilibrium of the realised remaining market (SEM paper, Definition 1;
  Section 4.1, step 1), recomputed by the auditor. It reads only what the run made public:
  the market description (objects, supply n S, type space, arrival distribution, budgets b^t,
  shock: ``market.extra["sem"]``), the declared reports of the schedule, the realised
  outcomes and the prices SEM published after each tick (``public().prices``). The supply
  left at period t is n S minus the objects the outcomes of earlier periods realised (not
  the mechanism's own bookkeeping); the type masses are SEM's fundamentals nu^t: each
  declared arrival of period t counts 1 (the online empirical distribution n F~^t), each
  later period k contributes n f^k(i). Demand is the SEM demand oracle of
  :mod:`mechanisms.sem.demand` at the published prices and the *declared* budgets: under no
  tie-breaking the correspondence L_i(p) (class masses from the shock's CDF, any split over
  tied cheapest members), under random tie-breaking the quadrature lottery (or the fixed
  draws of the protocol's stream ``("mechanism", "shock", tick)`` when the mechanism's
  ``rtb_integration`` is ``"draws"``). Checked, per period:

  * ``1``: some selection of demand has D_x <= S_x for every object (Definition 1, 1);
  * ``2``: ... with D_x = S_x wherever p_x > 0 (Definition 1, 2): one linear program
    (``scipy.optimize.linprog``, HiGHS) minimising the largest violation over the splits of
    tied members, so a correspondence is never judged by one arbitrary selection;
  * ``selection``: every arrival's published lottery lies in L_i(p^t) (a (t)-equilibrium
    allocation, Section 4.1 step 2), and ``allocation``: those lotteries, with some selection
    for the later periods' types, still satisfy 1 and 2.

  Prices that are missing for a period SEM had to price, negative or not finite are
  violations. The mechanism's own reported clearing error is quoted, never used.
- :func:`check_sp1_trend`: the SP1 study's trend verdict (:mod:`abm.audit.trend`) as a
  :class:`~abm.audit.claims_base.ClaimResult` for claim ``"sp1"``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np

from mechanisms.engine import RunRecord
from mechanisms.preferences import AgentType, WeakOrder
from mechanisms.public_state import ObjectsPublic
from mechanisms.reports import ObjectOutcome
from mechanisms.spec import Claim

from .claims_base import HOLDS, NOT_APPLICABLE, VIOLATED, ClaimResult

#: Status of a trend that the data cannot decide (:func:`check_sp1_trend`).
INCONCLUSIVE = "inconclusive"
#: Clearing tolerance in objects, per unit of replica size (exact NTB demand, solver floats).
TOL = 1e-6
#: Positive-price threshold (prices at or below it count as 0).
PRICE_TOL = 1e-9


def _demand_rows(orders: list[WeakOrder], budgets: list[float], prices: np.ndarray, shock, zeta):
    """Per type: ("fixed", lottery) under RTB, ("pieces", LotteryDemand) under NTB."""
    from mechanisms.sem.demand import lottery_demand, rtb_lottery, rtb_lottery_quad

    out = []
    for o, b in zip(orders, budgets):
        if shock.tie_breaking == "none":
            out.append(("pieces", lottery_demand(o, b, prices, shock)))
        elif zeta is None:
            out.append(("fixed", rtb_lottery_quad(o, b, prices, shock)))
        else:
            out.append(("fixed", rtb_lottery(o, b, prices, shock, zeta)[0]))
    return out


def clearing_violation(rows, masses: np.ndarray, fixed: np.ndarray, supply: np.ndarray,
                       prices: np.ndarray) -> float:
    """Return min over demand selections of max(max_x (D_x - S_x)^+, max_{p_x > 0} |D_x - S_x|).

    ``rows``/``masses``: the types whose selection is free (:func:`_demand_rows`); ``fixed``:
    demand already fixed (length m). Solved exactly by a linear program over the splits of
    tied cheapest members (HiGHS); without ties, by direct summation.
    """
    m = supply.size
    base = fixed.astype(np.float64).copy()
    free: list[tuple[float, list[int]]] = []  # (mass, tied real objects) of splits to choose
    for (kind, d), w in zip(rows, masses):
        if kind == "fixed":
            base += w * np.asarray(d)[:m]
            continue
        for mass, tied in d.pieces:
            real = [x for x in tied if x < m]
            if len(real) == len(tied) and len(real) == 1:
                base[real[0]] += w * mass
            elif real and len(real) < len(tied):
                free.append((w * mass, real + [-1]))  # the null option may take the piece
            elif len(real) > 1:
                free.append((w * mass, real))
    pos = prices > PRICE_TOL

    def viol(D: np.ndarray) -> float:
        over = np.maximum(D - supply, 0.0).max(initial=0.0)
        slack = np.abs(D - supply)[pos].max(initial=0.0)
        return float(max(over, slack))

    if not free:
        return viol(base)
    from scipy.optimize import linprog

    cols = [(g, x) for g, (_, xs) in enumerate(free) for x in xs]
    nv = len(cols) + 1                                   # splits, then e
    c = np.zeros(nv)
    c[-1] = 1.0
    A_eq = np.zeros((len(free), nv))
    for j, (g, _) in enumerate(cols):
        A_eq[g, j] = 1.0
    b_eq = np.array([w for w, _ in free])
    rows_ub, b_ub = [], []
    for x in range(m):
        a = np.zeros(nv)
        for j, (_, y) in enumerate(cols):
            if y == x:
                a[j] = 1.0
        up = a.copy()
        up[-1] = -1.0
        rows_ub.append(up)                               # D_x - S_x <= e
        b_ub.append(supply[x] - base[x])
        if pos[x]:
            lo = -a
            lo[-1] = -1.0
            rows_ub.append(lo)                           # S_x - D_x <= e
            b_ub.append(base[x] - supply[x])
    res = linprog(c, A_ub=np.array(rows_ub), b_ub=np.array(b_ub), A_eq=A_eq, b_eq=b_eq,
                  bounds=[(0, None)] * nv, method="highs")
    if res.status != 0:
        return float("inf")
    return float(max(res.x[-1], 0.0))


def check_t_equilibrium(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether every period's published prices form a (t)-equilibrium (module docstring).

    SEM paper, Definition 1 with the fundamentals nu^t of Section 4.1 (the online empirical
    distribution of the declared reports and the remaining supply S^t realised by the run).
    Returns ``"holds"`` with the number of periods and the largest clearing violation found,
    ``"violated"`` naming the first failing period and condition (``1``, ``2``,
    ``selection``, ``allocation``, ``prices``), or ``"not applicable"`` for a market that is
    not an SEM market or a run that recorded no public snapshots.
    """
    from mechanisms.sem.market import SEMMarket

    market = run.config.market
    sem = market.extra.get("sem") if isinstance(market.extra, dict) else None
    if not isinstance(sem, SEMMarket):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="not an SEM market (market.extra['sem'])")
    if not any(run.public):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="the run recorded no public() snapshots (prices)")
    m, n, T = sem.m, sem.replica, sem.horizon
    tol = TOL * max(1.0, float(n))
    left = sem.total_supply.astype(np.float64).copy()
    zeta_for = _zeta_source(run, sem)
    checked, worst, reported, tol_used = 0, 0.0, [], tol
    for t, reports in enumerate(run.schedule):
        outs = [run.outcomes.get(r.agent) for r in reports]
        if any(o is None for o in outs):
            break  # a replay stopped early: later periods are not known
        if reports and t < T and np.any(left > 0):
            pub = run.public[t] if t < len(run.public) else None
            if pub is not None:
                bad = _check_period(t, reports, outs, pub, left, sem, tol, zeta_for)
                if isinstance(bad, ClaimResult):
                    return bad
                err, rep, used = bad
                worst, tol_used = max(worst, err), max(tol_used, used)
                if rep is not None:
                    reported.append(rep)
                checked += 1
        for o in outs:
            if isinstance(o, ObjectOutcome) and 0 <= o.obj < m:
                left[o.obj] -= 1.0
    if checked == 0:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no priced period with published prices")
    rep = f"; the mechanism reported clearing errors <= {max(reported):.3g}" if reported else ""
    return ClaimResult(claim.key, HOLDS, "Definition 1 (1)-(2)",
                       f"{checked} period(s): published prices clear the realised remaining market, largest "
                       f"violation {worst:.3g} objects (tolerance {tol_used:.2g}"
                       + (", fixed-draw integration" if tol_used > tol else "") + f"){rep}")


def _zeta_source(run: RunRecord, sem):
    params = run.config.params
    if sem.shock.tie_breaking == "none" or params.get("rtb_integration", "quadrature") != "draws":
        return lambda tick: None
    from mechanisms.rng import Streams

    K = int(params.get("rtb_draws", 256))
    return lambda tick: sem.shock.sample_zeta(Streams(run.seed).get("mechanism", "shock", tick), (K, sem.m + 1))


def _check_period(t: int, reports, outs, pub: ObjectsPublic, left: np.ndarray, sem, tol: float, zeta_for):
    claim_key = "t_equilibrium"
    m, n = sem.m, sem.replica
    p = pub.prices if getattr(pub, "period", None) == t else None
    if p is None:
        return ClaimResult(claim_key, VIOLATED, "prices",
                           f"period {t + 1}: no prices published for a period SEM had to price "
                           f"(supply left {left.tolist()})")
    p = np.asarray(p, dtype=np.float64)
    if p.shape != (m,) or not np.all(np.isfinite(p)) or np.any(p < -PRICE_TOL):
        return ClaimResult(claim_key, VIOLATED, "prices", f"period {t + 1}: published prices {p.tolist()} are not "
                                                          f"{m} finite non-negative numbers")
    p = np.maximum(p, 0.0)
    zeta = zeta_for(t)
    if zeta is not None:
        tol = max(tol, 2.0 * (len(reports) + n) / zeta.shape[0])  # fixed draws cannot clear exactly
    counts = Counter(r.declared for r in reports)
    orders = list(counts)
    masses = [float(counts[o]) for o in orders]
    budgets = [sem.budget(t + 1)] * len(orders)
    for k in range(t + 2, sem.horizon + 1):
        for o, f in sem.period_types(k):
            orders.append(o)
            masses.append(n * f)
            budgets.append(sem.budget(k))
    rows = _demand_rows(orders, budgets, p, sem.shock, zeta)
    masses_a = np.array(masses)
    err = clearing_violation(rows, masses_a, np.zeros(m), left, p)
    D_note = f"prices {np.round(p, 6).tolist()}, supply left {left.tolist()}"
    if err > tol:
        cond = "1" if _over(rows, masses_a, left, p, tol) else "2"
        what = "demand exceeds the supply left" if cond == "1" else "an object with a positive price is not sold out"
        return ClaimResult(claim_key, VIOLATED, cond,
                           f"period {t + 1}: no selection of demand at the published prices is a (t)-equilibrium: "
                           f"{what} (smallest violation {err:.4g} objects); {D_note}")
    # the arrivals' published lotteries: a selection of L_i(p^t), and together an equilibrium allocation
    by_order = {o: rows[k] for k, o in enumerate(orders[: len(counts)])}
    fixed = np.zeros(m)
    for r, o in zip(reports, outs):
        lot = getattr(o, "lottery", None)
        if lot is None:
            return ClaimResult(claim_key, VIOLATED, "selection", f"period {t + 1}: agent {r.agent} got no lottery")
        lot = np.asarray(lot, dtype=np.float64)
        kind, d = by_order[r.declared]
        ok = d.contains(lot, tol=1e-7) if kind == "pieces" else bool(np.abs(lot - d).max() <= max(1e-6, tol))
        if not ok:
            want = d.pieces if kind == "pieces" else np.round(d, 4).tolist()
            return ClaimResult(claim_key, VIOLATED, "selection",
                               f"period {t + 1}: agent {r.agent}'s lottery {np.round(lot, 4).tolist()} is not in its "
                               f"lottery demand L_i(p) at the published prices ({want}); {D_note}")
        fixed += lot[:m]
    fut = slice(len(counts), None)
    err2 = clearing_violation(rows[fut], masses_a[fut], fixed, left, p)
    if err2 > tol:
        return ClaimResult(claim_key, VIOLATED, "allocation",
                           f"period {t + 1}: the arrivals' lotteries with any selection for later periods violate "
                           f"Definition 1 by {err2:.4g} objects; {D_note}")
    rep = getattr(pub, "clearing_error", None)
    return max(err, err2), (float(rep) if isinstance(rep, (int, float)) else None), tol


def _over(rows, masses: np.ndarray, left: np.ndarray, p: np.ndarray, tol: float) -> bool:
    """True when even ignoring condition 2 no selection keeps demand within supply."""
    return clearing_violation(rows, masses, np.zeros(left.size), left, np.zeros_like(p)) > tol


def check_sp1_trend(study, claim: Claim | None = None) -> ClaimResult:
    """Return the SP1 study's trend verdict as a ClaimResult for claim ``"sp1"`` (Definition 6).

    ``study`` is an :class:`~abm.audit.studies.SP1Study` (or anything with a ``trend``
    :class:`~abm.audit.trend.TrendResult`). ``"violated"`` for "violated: does not vanish",
    ``"holds"`` for "vanishing"/"decreasing", ``"inconclusive"`` otherwise; the condition is
    the trend label and the detail the full verdict text (design, tests, curve).
    """
    from .trend import DECREASING, NOT_VANISHING, VANISHING

    key = claim.key if claim is not None else "sp1"
    tr = getattr(study, "trend", None)
    if tr is None:
        return ClaimResult(key, INCONCLUSIVE, "inconclusive", "no trend computed")
    status = VIOLATED if tr.label == NOT_VANISHING else HOLDS if tr.label in (VANISHING, DECREASING) else INCONCLUSIVE
    return ClaimResult(key, status, tr.label, tr.text)
