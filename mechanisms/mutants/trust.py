"""Mutants that attack the auditor's trust boundary (issue 11, item 6).

Each is a faithful mechanism with exactly one thing broken, chosen so that an auditor which
believed what a mechanism says about itself would pass it: a shortcut that lies, a declared
outcome distribution that excludes the realised outcome, prices moved by the arriving agent's
own report, budgets overspent (by some agents; by everyone), a threshold that depends on the
seller's own bid behind an honest-looking incremental declaration, a budget test skipped, an
underpayment that bypasses the mechanism's own IR guard. They register in
:data:`mechanisms.mechanism_registry.MECHANISMS` tagged ``spec.mutant_of`` (:mod:`mechanisms.mutants.base`;
names start with ``mutant_``) and keep their parent's claims.
The zoo (:mod:`abm.audit.zoo`) audits each on a small market with the default options.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from mechanisms.errors import InvariantError
from mechanisms.ocam.mechanism import OCAM, RandomBudget
from mechanisms.preferences import BundleRanking
from mechanisms.procurement.monotone import Mechanism2
from mechanisms.reports import BundleOutcome, HireOutcome, Outcome, Report

from .base import mutant_spec, register_mutant


# ---- OCAM ---------------------------------------------------------------------------------
@register_mutant
class LyingShortcutOCAM(OCAM):
    """OCAM whose shortcut ``unilateral_outcome`` lies: it answers the declared top bundle.

    The online protocol is faithful; only the accelerator the mechanism offers the auditor is
    wrong, so an auditor taking it at its word would report gains that the mechanism never gives
    (or miss real ones). Caught by the cross-check of shortcut answers against protocol replays.
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_lying_shortcut", title="OCAM with a lying shortcut (mutant)")

    def unilateral_outcome(self, report: Report, tick: int) -> Outcome:
        out = super().unilateral_outcome(report, tick)
        d = report.declared
        return replace(out, bundle=int(d.bundles[0])) if isinstance(d, BundleRanking) and d.bundles else out


@register_mutant
class OutsideSupportOCAM(OCAM):
    """OCAM whose declared outcome distribution is wrong: it declares the runner-up bundle.

    For every budget realisation it reports the second most preferred affordable bundle instead
    of the best one, so the realised bundle lies outside the declared support. Caught by the
    membership check of every realised outcome (and the frequency test).
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_outside_support",
                       title="OCAM declaring a wrong outcome distribution (mutant)")

    def outcome_distribution(self, declared: BundleRanking, agent: int | None = None) -> dict[int, float]:
        super().outcome_distribution(declared, agent)  # the parent's checks of the query
        rb = self._f.get(declared, self._unseen)
        out: dict[int, float] = {}
        for b, q in zip(rb.budgets, rb.probs):
            aff = [x for x in declared.bundles if self._cost(x) <= float(b) + 1e-12]
            alt = int(aff[1]) if len(aff) > 1 else 0
            out[alt] = out.get(alt, 0.0) + float(q)
        return out


@register_mutant
class OwnReportPricesOCAM(OCAM):
    """OCAM whose prices move with the arriving agent's own report.

    After the sample, an arriving agent is served at prices raised by ``bump`` on the goods of
    its declared top bundle (the posted prices stay published unchanged): its report changes its
    own budget set, so misreporting one's top bundle buys cheaper goods. Caught by Definition 1
    (i) at the posted prices (the bundle is not the favourite affordable one there) and by GSP1.
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_own_report_prices",
                       title="OCAM with prices moved by the agent's own report (mutant)")
    bump = 0.6

    def _serve_online(self, tick: int, agent: int, d: BundleRanking) -> BundleOutcome:
        rb, k = self._budget_for(agent, d)
        top = (int(d.bundles[0]) >> np.arange(self._cap.size)) & 1 if d.bundles else np.zeros(self._cap.size, int)
        p = self._prices + self.bump * top
        b = d.best_affordable(p, float(rb.budgets[k]))
        x = (b >> np.arange(self._cap.size)) & 1
        self._used += x
        self._online += 1
        budget = float(rb.budgets[k])
        self._log(agent, b, budget)
        return BundleOutcome(agent, tick, b, budget, float(p @ x), "online")


@register_mutant
class OverspendSomeOCAM(OCAM):
    """OCAM that lets agents with an even id spend ``extra`` beyond their drawn budget.

    The recorded budget is the drawn one: an auditor that replays only the shortcut sees nothing
    wrong for odd agents and cannot tell for even ones. Caught by "every bundle within its drawn
    budget" (Definition 1 (i)) on the truthful run.
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_overspend_some", title="OCAM letting some agents overspend (mutant)")
    extra = 0.5

    def _choice(self, d, rb, k):
        if getattr(self, "_serving", None) is not None and self._serving % 2 == 0:
            b = d.best_affordable(self._prices, float(rb.budgets[k]) + self.extra)
            x = (b >> np.arange(self._cap.size)) & 1
            return b, float(self._prices @ x), x
        return super()._choice(d, rb, k)

    def _serve_online(self, tick: int, agent: int, d: BundleRanking) -> BundleOutcome:
        self._serving = agent
        try:
            return super()._serve_online(tick, agent, d)
        finally:
            self._serving = None


@register_mutant
class OverspendAllOCAM(OCAM):
    """OCAM that gives every post-sample agent ``factor`` times its drawn budget, and records that.

    Its outcomes are internally consistent (each bundle within its recorded budget), so only
    Definition 1 (ii) (budgets in [1 - eps_b, 1], drawn from the published f) catches it; it must
    not hide behind the Assumption 2 gate of DACEEI.
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_overspend_all", title="OCAM letting everyone overspend (mutant)")
    factor = 1.5

    def _budget_for(self, agent: int, d: BundleRanking):
        rb, k = super()._budget_for(agent, d)
        return RandomBudget([(float(b) * self.factor, float(q)) for b, q in zip(rb.budgets, rb.probs)]), k


@register_mutant
class HalfPricesOCAM(OCAM):
    """OCAM that posts, and allocates at, half the ECEEI prices of its sample economy.

    Everything downstream is consistent with the posted prices (Definition 1 (i)-(ii) hold), so
    only the recomputed Definition 4 of the sample economy (expected demand within eps_s c, met
    where the price is positive) catches it: the mechanism prices on something that is not an
    ECEEI, as an unconverged solver would.
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_half_prices", title="OCAM posting half the ECEEI prices (mutant)")

    def _close_sample(self) -> None:
        super()._close_sample()
        self._prices = self._prices * 0.5
        self._best_cache.clear()
        data = dict(self._public_static.data)
        data["prices"] = self._prices.tolist()
        self._public_static = type(self._public_static)(data)


# ---- procurement ------------------------------------------------------------------------
@register_mutant
class OwnBidPriceIncrementalMechanism2(Mechanism2):
    """Mechanism 2 whose posted price depends on the seller's own bid, still declaring the shortcut.

    A hired seller is paid, and told as her threshold, min(t, 2 b): bidding above her cost pays.
    The inherited ``unilateral_outcome`` (and ``spec.incremental``) keep answering as if the
    threshold were fixed before the bid, so a shortcut-trusting audit finds nothing. Caught by
    universal truthfulness and threshold independence on protocol replays, and by the
    cross-check of the shortcut.
    """

    spec = mutant_spec(Mechanism2, name="mutant_bf_own_bid_price",
                       title="Mechanism 2 with an own-bid price and a stale shortcut (mutant)")

    def arrive(self, tick: int, agent: int, bid: float):
        out = super().arrive(tick, agent, bid)
        if not out.hired:
            return out
        pay = min(out.payment, 2.0 * bid)
        self._paid -= out.payment - pay
        return replace(out, payment=pay, threshold=pay)


@register_mutant
class SkipBudgetTestMechanism2(Mechanism2):
    """Mechanism 2 that skips the budget test (line 7: B' - p_i >= 0): every offer is open.

    Payments then run past B; the mechanism's own guard raises an invariant breach mid-run. The
    auditor must report it as a budget-feasibility violation with a counterexample, not crash.
    """

    spec = mutant_spec(Mechanism2, name="mutant_bf_skip_budget", title="Mechanism 2 without the budget test (mutant)")

    def arrive(self, tick: int, agent: int, bid: float):
        stage = self._stage
        quote = stage.quote

        def open_quote(a: int):
            q = quote(a)
            return replace(q, offered=True) if q.threshold is not None else q

        stage.quote = open_quote  # type: ignore[method-assign]
        try:
            return super().arrive(tick, agent, bid)
        finally:
            del stage.quote


@register_mutant
class UnderpayMechanism2(Mechanism2):
    """Mechanism 2 paying hired sellers ``share`` of their threshold, past its own IR guard.

    Sellers who bid above ``share * threshold`` are paid less than their bid: individual
    rationality (Section 2) fails, and the payment is no longer the posted price.
    """

    spec = mutant_spec(Mechanism2, name="mutant_bf_underpay", title="Mechanism 2 underpaying (mutant)")
    share = 0.5

    def arrive(self, tick: int, agent: int, bid: float) -> HireOutcome:
        q = self._stage.quote(agent)
        hired = q.hires(bid)
        self._stage.observe(agent, bid, q)
        pay = self.share * float(q.threshold) if hired else 0.0
        if hired:
            self._paid += pay
            self._hired.append(agent)
            if self._paid > self.B * (1 + 1e-9):
                raise InvariantError(f"{self.spec.name}: payments {self._paid} exceed the budget {self.B}",
                                     "budget_feasible")
        self._remember(agent, tick, q, bid, hired)
        return HireOutcome(agent, tick, hired, pay, q.threshold, bid)
