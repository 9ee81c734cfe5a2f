"""Checks that need no assumption: what a mechanism does by construction, recomputed by the auditor.

They run whenever a claim that rests on them is checked (:data:`IMPLIED`), whatever the
theorem's assumptions, and read only the run's outcomes, its schedule (the declared reports)
and what the mechanism made public during the run (``public()`` after every tick: the posted
prices and budget lotteries a participant sees). Every computation is the auditor's own
(a plain loop over each declared ranking, separate from the mechanisms' vectorised code).

- ``daceei_by_construction``: OCAM paper, Definition 1 (i)-(ii) for every post-sample agent,
  which Theorem 2 says hold by construction: one posted price vector for the whole online
  phase; each agent's bundle is its declared favourite among the bundles costing at most its
  drawn budget at the prices posted before it arrived (so no bundle exceeds its budget); every
  budget lies in [1 - eps_b, 1] and in the support of the random budget f(declared type) that
  was published for that type (Section 4.2).
- ``eceei_sample``: Definition 4 for the sample economy, recomputed from the published prices,
  types, multiplicities and random budgets: expected demand within the scaled capacities
  eps_s c (a), exactly met where the price is positive (b); and the published types are the
  sample agents' declared reports. Its relative clearing error is quoted in every verdict that
  rests on the ECEEI.
- ``posted_price``: budget-feasible paper, Section 2 and Lemma 1 (posted-price mechanisms): a
  hired seller declared at most her threshold and is paid exactly the threshold; an unhired
  seller is paid nothing; a seller who faced no threshold is not hired.
- ``threshold_independence`` (deviation level): a seller's threshold does not move with her own
  bid, and, facing the same threshold, bids on the same side of it get the same decision.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from mechanisms.engine import Configuration, RunRecord
from mechanisms.market import bundle_items
from mechanisms.preferences import AgentType, BundleRanking
from mechanisms.public_state import BundlesPublic
from mechanisms.reports import BundleOutcome, HireOutcome
from mechanisms.spec import Claim

from .claims_base import HOLDS, NO_CHECKER, NOT_APPLICABLE, VIOLATED, ClaimResult

#: Relative tolerance of money and clearing comparisons (prices come from solvers).
TOL = 1e-7

#: Claims whose guarantees rest on the construction checks: always checked beside them.
IMPLIED: dict[str, tuple[str, ...]] = {
    "gsp1": ("daceei_by_construction", "eceei_sample"),
    "ef1": ("daceei_by_construction", "eceei_sample"),
    "daceei": ("daceei_by_construction", "eceei_sample"),
    "universal_truthfulness": ("posted_price", "threshold_independence"),
}


class Costs:
    """p . x for bundle masks at one price vector, memoised (the auditor's own sum over goods)."""

    def __init__(self, prices: np.ndarray):
        self.prices = [float(x) for x in np.asarray(prices, dtype=np.float64)]
        self._memo: dict[int, float] = {}

    def __call__(self, bundle: int) -> float:
        c = self._memo.get(bundle)
        if c is None:
            p = self.prices
            c = self._memo[bundle] = float(sum(p[j] for j in bundle_items(int(bundle))))
        return c


def cost(bundle: int, prices: np.ndarray) -> float:
    """Return p . x for a bundle mask (the auditor's own sum over its goods)."""
    return Costs(prices)(bundle)


def favourite_affordable(ranking: BundleRanking, prices: np.ndarray | Costs, budget: float) -> int:
    """Return the declared favourite bundle costing at most ``budget`` (0: none), by a plain scan."""
    c = prices if isinstance(prices, Costs) else Costs(prices)
    for b in ranking.bundles:
        if c(b) <= budget + TOL * max(1.0, abs(budget)):
            return int(b)
    return 0


def _arrival_order(run: RunRecord) -> list[tuple[int, AgentType]]:
    return [(r.agent, r.declared) for tick in run.schedule for r in tick]


def _prices_before(run: RunRecord) -> list[np.ndarray | None]:
    """Return, per tick, the prices posted before it (None while none were posted)."""
    out: list[np.ndarray | None] = [None]
    for pub in run.public:
        p = getattr(pub, "prices", None)  # a GoodsPublic state; None when not recorded
        out.append(None if p is None else np.asarray(p, dtype=np.float64))
    return out


def _published_lotteries(run: RunRecord) -> tuple[dict[AgentType, list[tuple[float, float]]], BundlesPublic | None]:
    """Return {published type: its random budget pairs} from the last public record, and that record."""
    last = None
    for pub in reversed(run.public):
        if isinstance(pub, BundlesPublic) and pub.budgets is not None:
            last = pub
            break
    if last is None:
        return {}, None
    return dict(last.budget_table()), last


def check_daceei_by_construction(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether OCAM Definition 1 (i)-(ii) hold for every post-sample agent (see the module docstring).

    Judged with the declared reports (the mechanism can only construct from what it was told).
    """
    params = run.config.params
    before = _prices_before(run)
    outs = [o for o in run.outcomes.values() if isinstance(o, BundleOutcome)]
    if not outs:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no bundle outcomes")
    if all(p is None for p in before):
        s = _sample_size(run.config)
        if s is not None and len(outs) > s:
            return ClaimResult(claim.key, VIOLATED, "no posted prices",
                               f"{len(outs)} agents were served but no prices were ever published, although the "
                               f"sample ({s} agents) had closed")
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no prices were posted (the run ended inside the sample)")
    eps_b = float(params.get("eps_b", 1.0))
    lotteries, _ = _published_lotteries(run)
    unseen = params.get("unseen_budget")
    posted: np.ndarray | None = None
    costs: Costs | None = None
    checked = 0
    problems: list[str] = []
    out_of = {o.agent: o for o in outs}
    for t, tick in enumerate(run.schedule):
        p = before[t]
        for r in tick:
            o = out_of.get(r.agent)
            if o is None or o.budget is None:
                continue
            b = float(o.budget)
            if not (1.0 - eps_b - 1e-12 <= b <= 1.0 + 1e-12):
                problems.append(f"(ii) agent {r.agent}: budget {b:.6g} outside [1 - eps_b, 1] = [{1 - eps_b:g}, 1]")
            if p is None:
                continue  # a sample agent (serial dictatorship): (i) is not required of it
            if posted is None:
                posted = p
            elif posted.shape != p.shape or not np.allclose(posted, p, rtol=0, atol=1e-12):
                problems.append(f"(i) the price vector changed during the online phase (before tick {t}): "
                                f"{np.round(posted, 6).tolist()} -> {np.round(p, 6).tolist()}")
                posted = p
            d = r.declared
            if not isinstance(d, BundleRanking):
                continue
            checked += 1
            if costs is None or costs.prices != [float(x) for x in p]:
                costs = Costs(p)
            spent = costs(o.bundle)
            if spent > b + TOL * max(1.0, b):
                problems.append(f"(i) agent {r.agent}: bundle costs {spent:.6g} > its budget {b:.6g} at the posted prices")
            best = favourite_affordable(d, costs, b)
            if int(o.bundle) != best:
                problems.append(f"(i) agent {r.agent}: got bundle {o.bundle}, but its declared favourite affordable "
                                f"bundle at the posted prices and budget {b:.6g} is {best}")
            lot = lotteries.get(d)
            if lot is not None:
                if not any(abs(b - x) <= 1e-9 and q > 0 for x, q in lot):
                    problems.append(f"(ii) agent {r.agent}: budget {b:.6g} is not a realisation of the random "
                                    f"budget published for its declared type ({[round(x, 6) for x, _ in lot]})")
            elif unseen is not None and abs(b - float(unseen)) > 1e-9:
                problems.append(f"(ii) agent {r.agent}: its declared type was not in the sample, so its budget is the "
                                f"unseen-type default {float(unseen):g}, but it drew {b:.6g}")
    if problems:
        return ClaimResult(claim.key, VIOLATED, problems[0].split(" ", 1)[0],
                           f"{len(problems)} breach(es) of Definition 1 (i)-(ii) among {checked} post-sample agents; "
                           f"first: {problems[0]}")
    return ClaimResult(claim.key, HOLDS, "i-ii", f"{checked} post-sample agents")


def _sample_size(config: Configuration) -> int | None:
    from mechanisms.ocam.mechanism import sample_size

    params = config.params
    n = config.market.n_agents
    if n is None or not {"eps_n", "eps_f"} <= set(params):
        return None
    return sample_size(int(n), params["eps_n"], params["eps_f"])


def recompute_eceei(run: RunRecord) -> tuple[float, list[str]] | None:
    """Return (relative clearing error, problems) of the sample ECEEI recomputed from published data.

    None when the run published no random budgets (no sample economy to check).
    """
    lotteries, pub = _published_lotteries(run)
    if pub is None:
        return None
    params = run.config.params
    goods = run.config.market.goods
    problems: list[str] = []
    p = np.asarray(pub.prices, dtype=np.float64)
    counts = pub.seen_type_counts or {}
    types = pub.types or {}
    eps_s = params["eps_n"] * params["eps_f"] / 4.0
    cap = eps_s * goods.capacity.astype(np.float64)
    eps_b = float(params.get("eps_b", 1.0))
    demand = np.zeros(goods.m)
    costs = Costs(p)
    for label, ty in types.items():
        pairs = lotteries.get(ty, [])
        q = np.array([x for _, x in pairs])
        if q.size == 0 or np.any(q < -1e-12) or abs(q.sum() - 1.0) > 1e-9:
            problems.append(f"type {label}: probabilities {q.tolist()} are not a distribution")
        for b, prob in pairs:
            if not (1 - eps_b - 1e-12 <= b <= 1 + 1e-12):
                problems.append(f"type {label}: budget realisation {b:.6g} outside [1 - eps_b, 1]")
            x = favourite_affordable(ty, costs, b)
            for j in bundle_items(x):
                demand[j] += float(counts.get(label, 0)) * prob
    over = np.maximum(demand - cap, 0.0)
    under = np.where(p > 1e-12, np.maximum(cap - demand, 0.0), 0.0)
    err_vec = (over + under) / np.maximum(cap, 1e-12)
    err = float(err_vec.max()) if err_vec.size else 0.0
    if np.any(p < -1e-12):
        problems.append(f"negative prices {p[p < 0].tolist()}")
    s = _sample_size(run.config)
    if s is not None:
        declared = [r.declared for tick in run.schedule for r in tick][:s]
        expect: dict[AgentType, int] = {}
        for d in declared:
            expect[d] = expect.get(d, 0) + 1
        published = {types[k]: int(c) for k, c in counts.items() if k in types}
        if published != expect:
            problems.append(f"the published sample types/multiplicities ({sum(published.values())} agents, "
                            f"{len(published)} types) are not the first {s} declared reports "
                            f"({len(declared)} agents, {len(expect)} types)")
    return err, problems


def check_eceei_sample(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether the published prices and random budgets form an eps_b-ECEEI of the sample economy.

    OCAM paper, Definition 4 (a)-(b), Section 4.2 (capacities eps_s c, eps_s = eps_n eps_f / 4),
    recomputed by :func:`recompute_eceei`. Theorem 1 guarantees existence, so an error above the
    tolerance is the solver's failure (or a mechanism pricing on something else).
    """
    res = recompute_eceei(run)
    if res is None:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no random budgets were published (no sample economy)")
    err, problems = res
    tol = float(run.config.params.get("solver_tol", 1e-9))
    tol = max(tol, 1e-9) * 10
    if err > tol:
        problems.insert(0, f"relative clearing error {err:.3g} > {tol:.0e}")
    if problems:
        return ClaimResult(claim.key, VIOLATED, "Definition 4",
                           f"the sample ECEEI fails: {problems[0]}" + (f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""))
    return ClaimResult(claim.key, HOLDS, "Definition 4", f"relative clearing error {err:.2g} (recomputed)")


def check_posted_price(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether every seller's decision and payment follow her posted threshold (see the module docstring)."""
    hires = [o for o in run.outcomes.values() if isinstance(o, HireOutcome)]
    if not hires:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no procurement outcomes")
    bids = {r.agent: float(r.declared.value) for t in run.schedule for r in t if hasattr(r.declared, "value")}
    problems = []
    for o in sorted(hires, key=lambda o: (o.tick, o.agent)):
        bid = bids.get(o.agent)
        th = o.threshold
        if o.hired:
            if th is None:
                problems.append(f"seller {o.agent} was hired without facing a threshold")
            elif bid is not None and bid > th + TOL:
                problems.append(f"seller {o.agent} was hired with bid {bid:.6g} above her threshold {th:.6g}")
            elif not math.isclose(o.payment, th, rel_tol=TOL, abs_tol=1e-12):
                problems.append(f"seller {o.agent} was paid {o.payment:.6g}, not her threshold {th:.6g}")
        elif abs(o.payment) > 1e-12:
            problems.append(f"seller {o.agent} was paid {o.payment:.6g} although not hired")
    if problems:
        return ClaimResult(claim.key, VIOLATED, "payment != threshold",
                           f"{len(problems)} seller(s) not served by a posted price; first: {problems[0]}")
    return ClaimResult(claim.key, HOLDS, "posted price", f"{len(hires)} sellers")


def check_threshold_independence(case, claim: Claim) -> ClaimResult:
    """Return whether a seller's own bid change left her threshold and decision rule unchanged.

    Posted-price mechanisms (budget-feasible paper, Section 2, Lemma 1) fix the threshold before
    the bid is read, so the truthful and the deviating outcome face the same threshold; with it
    fixed, a bid at most the threshold is hired in one run iff it is in the other (feasibility
    does not depend on the bid either).
    """
    if case.deviation.size != 1:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="about a seller's own bid")
    (a, _), = case.comparisons.items()
    t, d = case.truth[a], case.dev[a]
    if not isinstance(t, HireOutcome) or not isinstance(d, HireOutcome):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no procurement outcomes")
    true_bid = float(case.true_types[a].value)  # type: ignore[union-attr]
    dev_bid = float(case.deviation.reports[a].value)  # type: ignore[union-attr]
    if (t.threshold is None) != (d.threshold is None) or (
            t.threshold is not None and not math.isclose(t.threshold, d.threshold, rel_tol=TOL, abs_tol=1e-12)):
        return ClaimResult(claim.key, VIOLATED, "threshold moved",
                           f"seller {a}'s threshold was {t.threshold} when bidding {true_bid:g} and {d.threshold} "
                           f"when bidding {dev_bid:g}: it depends on her own bid")
    th = t.threshold
    if th is not None and true_bid <= th + TOL and dev_bid <= th + TOL and t.hired != d.hired:
        return ClaimResult(claim.key, VIOLATED, "decision moved",
                           f"seller {a} faced threshold {th:g} both times, bid {true_bid:g} (hired {t.hired}) and "
                           f"{dev_bid:g} (hired {d.hired}): below the same threshold, different decisions")
    if th is not None and dev_bid > th + TOL and d.hired:
        return ClaimResult(claim.key, VIOLATED, "hired above threshold",
                           f"seller {a} was hired bidding {dev_bid:g} above her threshold {th:g}")
    return ClaimResult(claim.key, HOLDS, "threshold fixed")


__all__ = ["IMPLIED", "check_daceei_by_construction", "check_eceei_sample", "check_posted_price",
           "check_threshold_independence", "recompute_eceei", "favourite_affordable", "NO_CHECKER"]
