"""Mutants that break a property a paper claims, each a faithful mechanism with one thing broken.

Registered in :data:`mechanisms.mechanism_registry.MECHANISMS` with ``spec.mutant_of`` naming the parent
(:mod:`mechanisms.mutants.base`); counterexamples found on a mutant replay like any other.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mechanisms.baselines.serial_dictatorship import SerialDictatorship
from mechanisms.fair_division.mechanism import LowestIndexDeferredPriority
from mechanisms.ocam.mechanism import OCAM
from mechanisms.params import ParamSpec, positive_int
from mechanisms.preferences import BundleRanking
from mechanisms.procurement.monotone import Mechanism2
from mechanisms.reports import Outcome, Report
from mechanisms.sem.mechanism import SequentialEquilibriumMechanism as SEM
from mechanisms.sem.online import OnlineSEM

from .base import mutant_spec, register_mutant, with_param


@register_mutant
class TruncationBonusSD(SerialDictatorship):
    """SD that lets agents declaring at most ``short`` bundles choose first within their tick.

    Broken: the choice order within a tick depends on the agent's own report, so truncating
    one's list can buy an earlier pick (strategyproofness fails when several agents share a
    tick). Everything else is :class:`SerialDictatorship`.
    """

    spec = mutant_spec(SerialDictatorship, name="mutant_sd_truncation_bonus",
                       title="SD with a priority bonus for truncated lists (mutant)",
                       params=SerialDictatorship.spec.params + (
                           ParamSpec("short", 1, "lists of at most this many bundles choose first", check=positive_int,
                                     expected="a positive integer"),),
                       market_kinds=("bundles",))

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        short = self.params["short"]
        first = [k for k, r in enumerate(reports)
                 if isinstance(r.declared, BundleRanking) and len(r.declared.bundles) <= short]
        order = first + [k for k in range(len(reports)) if k not in first]
        outs = super().step(tick, [reports[k] for k in order])
        back = {o.agent: o for o in outs}
        return [back[r.agent] for r in reports]


# ---- OCAM ---------------------------------------------------------------------------------
@register_mutant
class WideBudgetOCAM(OCAM):
    """OCAM with eps_b = 0.6 >= 1/m by default (Theorem 2 needs 0 < eps_b < 1/m).

    Broken: budgets spread over [0.4, 1], so an agent misreporting to a type whose random
    budget is higher (or unseen: budget 1) can afford bundles better by more than one object;
    GSP1 (Definition 6) fails. The parameter warning is silenced (the mutant is out of range
    on purpose); everything else is :class:`~mechanisms.ocam.mechanism.OCAM`.
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_wide_budgets",
                       title="OCAM with eps_b >= 1/m (mutant)",
                       params=with_param(OCAM.spec, "eps_b", default=0.6))

    def validate(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            super().validate()


@register_mutant
class RichUnseenOCAM(OCAM):
    """OCAM whose default budget for a type not seen in the sample is 2.5 > 1 (Section 4.2 sets
    it "arbitrarily between 1 - eps_b and 1").

    Broken: any agent that misreports a type absent from the sample (a list with its last
    bundle dropped, say) draws budget 2.5 instead of at most 1 and, with prices near 1, can buy
    two goods more than its truthful bundle: a gain beyond one object (GSP1 fails).
    """

    spec = mutant_spec(OCAM, name="mutant_ocam_rich_unseen",
                       title="OCAM with unseen-type budget > 1 (mutant)",
                       params=with_param(OCAM.spec, "unseen_budget", default=2.5, check=None))

    def validate(self) -> None:
        # the parent refuses budgets above 1: validate a compliant value, then restore ours
        wanted = self.params["unseen_budget"]
        self.params["unseen_budget"] = 1.0
        try:
            super().validate()
        finally:
            self.params["unseen_budget"] = wanted


# ---- procurement ------------------------------------------------------------------------
@register_mutant
class PayTheBidMechanism2(Mechanism2):
    """Mechanism 2 that pays a hired seller her bid instead of the posted threshold.

    Broken: the payment depends on the seller's own bid, so bidding up to the threshold raises
    her payment without changing whether she is hired: universal truthfulness (Section 2,
    Lemma 1) fails. Hiring decisions, thresholds and budget bookkeeping are the parent's.
    """

    spec = mutant_spec(Mechanism2, name="mutant_bf_pay_bid", title="Mechanism 2 paying the bid (mutant)")

    def arrive(self, tick: int, agent: int, bid: float):
        out = super().arrive(tick, agent, bid)
        if not out.hired:
            return out
        self._paid -= out.payment - bid
        return replace(out, payment=bid)

    def unilateral_outcome(self, report, tick: int):
        out = super().unilateral_outcome(report, tick)
        return replace(out, payment=out.bid) if out.hired else out


@register_mutant
class BidDependentThresholdMechanism2(Mechanism2):
    """Mechanism 2 whose threshold for a seller depends on her own bid: t'(b) = min(t, factor * b).

    Broken: the posted threshold t is computed before the bid as in the paper, but a hired
    seller is paid min(t, factor * b), so a seller with cost c < t / factor earns more by
    bidding above c (up to t / factor): universal truthfulness fails. Payments never exceed
    t, so budget feasibility and IR (factor >= 1) still hold. The incremental path is declared
    off: its premise, a threshold fixed before the bid is read, no longer holds.
    """

    spec = mutant_spec(Mechanism2, name="mutant_bf_bid_threshold",
                       title="Mechanism 2 with a bid-dependent threshold (mutant)", incremental=False,
                       params=Mechanism2.spec.params + (
                           ParamSpec("factor", 2.0, "a hired seller is paid min(threshold, factor * bid)",
                                     check=lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1,
                                     expected="a number >= 1"),))

    def arrive(self, tick: int, agent: int, bid: float):
        out = super().arrive(tick, agent, bid)
        if not out.hired:
            return out
        pay = min(out.payment, self.params["factor"] * bid)
        self._paid -= out.payment - pay
        return replace(out, payment=pay, threshold=pay)

    def unilateral_outcome(self, report, tick: int):
        raise NotImplementedError("the threshold depends on the bid: replay the run")


# ---- SEM ----------------------------------------------------------------------------------
@register_mutant
class EqualBudgetsSEM(SEM):
    """SEM with the same budget in every period (all equal to the last period's b^T).

    Broken: Theorem 1 needs decreasing budgets b^t > b^{t+1} + xi_upper + |xi_lower| so that an
    arrival outbids everyone still to come; with equal budgets the period-t equilibrium shares
    contested objects with future (prior) mass, so an agent can get a worse object with
    positive probability while an object it prefers is left for later: greedy (Section 2.1;
    Theorem 5, Claim 6) fails.
    """

    spec = mutant_spec(SEM, name="mutant_sem_equal_budgets", title="SEM with equal budgets (mutant)")

    def period_budgets(self) -> tuple[float, ...]:
        b = super().period_budgets()
        return tuple([b[-1]] * len(b))


@register_mutant
class ReversedPreferencesSEM(SEM):
    """SEM that solves every period's equilibrium for the declared orders with their acceptable
    indifference classes reversed (the null option and what lies below it unchanged).

    Broken: each arrival gets the equilibrium lottery of the opposite preferences, so the
    ex-post allocation stays far from every ordinally efficient allocation of the true (and
    declared) preferences at every replica size: asymptotic efficiency (Definition 4;
    Theorem 5 (i)-(ii)) fails, and the certified distance of
    :func:`abm.audit.claims.check_ordinal_efficiency` does not shrink with n. Supply, rounding
    and budgets are SEM's.
    """

    spec = mutant_spec(SEM, name="mutant_sem_reversed_preferences",
                       title="SEM solving for reversed preferences (mutant)")

    def problem_for(self, tick, declared):
        from mechanisms.preferences import WeakOrder
        from mechanisms.sem.equilibrium import EquilibriumProblem

        pb, type_of = super().problem_for(tick, declared)
        null = pb.orders[0].n_objects

        def reverse(o: WeakOrder) -> WeakOrder:
            cut = next(k for k, c in enumerate(o.classes) if null in c)
            return WeakOrder(o.n_objects, tuple(reversed(o.classes[:cut])) + o.classes[cut:])

        orders = tuple(reverse(o) for o in pb.orders)
        return EquilibriumProblem(orders, pb.masses, pb.offsets, pb.level_budgets, pb.supply, pb.shock), type_of


# ---- fair division (issue 16) -----------------------------------------------------------
@register_mutant
class LowestIndexDP(LowestIndexDeferredPriority):
    """Deferred-Priority (Algorithm 1) that allocates to the LOWEST-INDEX candidate.

    Broken: lines 15 and 21 ignore the priorities H and L, so a high-index agent can lose
    every contested high-valued good; the temporal-MMS guarantee of Theorem 4.1 /
    Corollary 4.5 (1/(2n-1) for type-1 agents) fails (``examples/fair_division_mutant.toml``).
    """

    spec = mutant_spec(LowestIndexDeferredPriority, name="mutant_dp_lowest_index",
                       title="Deferred-Priority allocating to the lowest index (mutant)")


# ---- fully online SEM (issue 17) ---------------------------------------------------------
@register_mutant
class NoTimeTaxOnlineSEM(OnlineSEM):
    """``sem_online`` without the time tax: one price vector for every period.

    Broken: each re-solve clears the pooled market (all types of periods t..T with budget 1
    on the total expected supply S^{t,T}) with a single price vector, as if the periods were
    one market; the period's lotteries are rationed to the stock. The remark after Theorem 6
    shows one vector cannot satisfy every period's cumulative constraint: Definition 7
    (``lindahl_clearing``) fails, and when later demand keeps the single price high, arrivals
    are priced out of objects left in stock, so greedy (``greedy_online``) fails too.
    """

    spec = mutant_spec(OnlineSEM, name="mutant_sem_online_no_time_tax",
                       title="Fully online SEM with one price vector for every period (mutant)")

    def solve(self, problem):
        import numpy as np

        from mechanisms.sem.lindahl import single_price_vector

        res = single_price_vector(problem)
        m = problem.m
        now = np.flatnonzero(problem.offsets == 0)
        want = problem.masses[now] @ res.lotteries[now, :m]
        scale = np.where(want > problem.supply[0] + 1e-12, problem.supply[0] / np.maximum(want, 1e-300), 1.0)
        res.lotteries[now, :m] *= scale[None, :]
        res.lotteries[now, m] = 1.0 - res.lotteries[now, :m].sum(axis=1)
        return res


@register_mutant
class OwnPriceShiftSEM(SEM):
    """SEM that lowers the prices an arrival faces by a fixed ``shift`` when she declares a
    single acceptable object (a budget bonus b^t + shift for that report, whatever n).

    Broken: the price an agent pays moves with her own report by an amount that does not
    shrink with the replica size n, so the equilibrium no longer gives each report zero price
    impact in the large market (the premise of Corollary 1). An agent who declares only her
    second choice outbids the period's other arrivals for it: her lottery is no longer weakly
    dominated by the truthful one (or dominates it), at every n, so SP1's event rate
    (Definition 6) stays flat instead of vanishing (``abm.audit.studies.sp1_study`` says
    "violated: does not vanish"). Everything else, the rounding and the supply bookkeeping
    included, is :class:`~mechanisms.sem.mechanism.SequentialEquilibriumMechanism`.
    """

    spec = mutant_spec(SEM, name="mutant_sem_own_price_shift",
                       title="SEM with a report-dependent price shift (mutant)",
                       params=SEM.spec.params + (
                           ParamSpec("shift", 0.5, "price discount (budget bonus) for an arrival declaring a single "
                                     "acceptable object; independent of n",
                                     check=lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0,
                                     expected="a positive number"),))

    def problem_for(self, tick, declared):
        import numpy as np

        from mechanisms.sem.equilibrium import EquilibriumProblem

        pb, type_of = super().problem_for(tick, declared)
        short = np.array([off == 0 and len(o.acceptable) == 1 for o, off in zip(pb.orders, pb.offsets)])
        if not short.any():
            return pb, type_of
        budgets = pb.level_budgets + (pb.level_budgets[0] + float(self.params["shift"]),)
        offsets = np.where(short, len(budgets) - 1, pb.offsets)
        return EquilibriumProblem(pb.orders, pb.masses, offsets, budgets, pb.supply, pb.shock), type_of
