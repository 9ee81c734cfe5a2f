"""Claimed properties checked against their definitions (issue 7, item 3).

Mechanisms declare their claims in ``spec.claims`` (keys such as ``"strategyproof"``,
``"gsp1"``, ``"sp1"``, ``"universal_truthfulness"``, ``"budget_feasible"``, ``"ir"``). The
auditor dispatches on the key through :data:`CLAIM_CHECKERS`; a key without a checker is
reported as ``"no checker"``, never silently passed.

Two levels:

- *deviation* checkers judge one deviation (a group and its reports) against the truthful
  baseline: strategyproofness, GSP1, SP1's per-pair event, universal truthfulness;
- *run* checkers judge one realised run (the baseline and every full deviating replay):
  budget feasibility, individual rationality, and the fairness/efficiency properties whose
  checkers live in ``mechanisms/checks`` (EF1, DACEEI, greedy, equal-type envy-freeness).
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.engine import RunRecord, run_schedule
from mechanisms.errors import ConfigError
from mechanisms.preferences import AgentType, BundleRanking, Cost
from mechanisms.protocol import Claim
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome

from .gains import TOL, Comparison, better_by_at_most_one_object, weakly_better_bundle
from .replay import Deviation, Replayed, Replayer

HOLDS, VIOLATED, NOT_APPLICABLE, NO_CHECKER = "holds", "violated", "not applicable", "no checker"


@dataclass(frozen=True)
class ClaimResult:
    """The verdict of one claim on one deviation or run.

    ``status`` is ``"holds"``, ``"violated"``, ``"not applicable"`` (the claim does not speak
    about this case, e.g. strategyproofness for a coalition) or ``"no checker"``.
    ``condition`` says which part of the definition decided it (GSP1: ``"i"``,
    ``"i (weak escape)"``, ``"ii"``, ``"none"``); ``detail`` explains in words.
    """

    claim: str
    status: str
    condition: str = ""
    detail: str = ""

    @property
    def violated(self) -> bool:
        """True when the claim failed on this case."""
        return self.status == VIOLATED


@dataclass(frozen=True)
class AuditOptions:
    """Options of the checks.

    Parameters
    ----------
    eps : float
        SP1's epsilon (SEM paper, Definition 6): a pair counts against SP1 when the truthful
        lottery does not weakly dominate the deviating one and their sup-norm distance is at
        least ``eps``. Default 0.05.
    support_draws : int
        K, the number of coin draws (seeds) used to estimate the supports R(.) of GSP1 when the
        mechanism cannot give them exactly. Default 16.
    path : str
        Replay path, ``"auto"`` (default), ``"full"`` or ``"incremental"``.
    """

    eps: float = 0.05
    support_draws: int = 16
    path: str = "auto"


@dataclass
class DeviationCase:
    """Everything a deviation checker may look at: the deviation, both outcomes, true types."""

    deviation: Deviation
    true_types: Mapping[int, AgentType]
    truth: dict[int, Outcome]
    dev: dict[int, Outcome]
    comparisons: dict[int, Comparison]
    replayer: Replayer
    replayed: Replayed
    options: AuditOptions
    cache: dict[str, Any] = field(default_factory=dict)


# ---- supports R(Phi_i(.)) -------------------------------------------------------------
def _draw_seed(seed: int, k: int) -> int:
    if k == 0:
        return seed
    return int(np.random.SeedSequence([seed, 0xA0D17, k]).generate_state(1, dtype=np.uint32)[0])


def exact_support(run: RunRecord, agent: int, declared: AgentType) -> frozenset[int] | None:
    """Return the exact support R(Phi_agent) of ``agent`` declaring ``declared`` in ``run``'s state.

    None when the mechanism cannot give it (the caller then samples coin draws). Uses, in order:

    - the mechanism's ``outcome_support(agent, declared)`` hook when it has one;
    - ``outcome_distribution(declared, agent)`` (OCAM, Section 4.2: a post-sample agent's bundle
      is the top affordable one at the posted prices for each realisation of the finite random
      budget f(declared); the bundles of positive probability are the support);
    - for an agent served in OCAM's sample phase (``phase == "sample"``), whose serial-
      dictatorship pick is deterministic given the reports, the realised bundle.
    """
    mech = run.mechanism
    fn = getattr(mech, "outcome_support", None)
    if fn is not None:
        try:
            sup = fn(agent, declared)
        except (NotImplementedError, ConfigError):
            sup = None
        if sup is not None:
            return frozenset(int(b) for b in sup)
    dist = getattr(mech, "outcome_distribution", None)
    if dist is None:
        return None
    out = run.outcomes.get(agent)
    if isinstance(out, BundleOutcome) and out.phase == "sample":
        return frozenset({int(out.bundle)})
    try:
        d = dist(declared, agent)
    except (NotImplementedError, ConfigError):
        return None
    return frozenset(int(b) for b, q in d.items() if q > 0)


def sampled_supports(replayer: Replayer, reports: Mapping[int, AgentType], agents: tuple[int, ...],
                     k: int) -> dict[int, frozenset[int]]:
    """Return, per agent, the bundles realised over ``k`` coin draws with ``reports`` swapped in.

    Draw 0 is the run's own seed; the others are seeds derived from it. An estimate of the
    support from below (a bundle of small probability may be missed): the verdict says so.
    """
    out: dict[int, set[int]] = {a: set() for a in agents}
    for d in range(k):
        run = run_schedule(replayer.factory, replayer.schedule, _draw_seed(replayer.seed, d), dict(reports),
                           record_public=False)
        for a in agents:
            out[a].add(int(run.outcomes[a].bundle))
    return {a: frozenset(s) for a, s in out.items()}


def supports(case: DeviationCase) -> tuple[dict[int, frozenset[int]], dict[int, frozenset[int]], str]:
    """Return (truthful supports, deviating supports, method) for the deviation's members.

    ``method`` is ``"exact"`` when the mechanism gave exact supports for both profiles and
    ``"sampled K=<k>"`` when they were estimated from K coin draws.
    """
    rp, dev = case.replayer, case.deviation
    agents = dev.agents
    base = rp.baseline(agents)
    # On the incremental path the deviator's outcome depends on the baseline's public state
    # only (the mechanism declared it), so the baseline's mechanism answers for the deviation.
    run = case.replayed.run if case.replayed.run is not None else base
    t_ex = {a: exact_support(base, a, case.true_types[a]) for a in agents}
    d_ex = {a: exact_support(run, a, dev.reports[a]) for a in agents}
    if all(v is not None for v in t_ex.values()) and all(v is not None for v in d_ex.values()):
        policy = getattr(base.mechanism, "params", {}).get("capacity_policy")
        return t_ex, d_ex, "exact" + (" given the realised exhausted goods" if policy == "hard" else "")  # type: ignore[return-value]
    k = case.options.support_draws
    key = ("truth-support", agents, k)
    truth_reports = {a: case.true_types[a] for a in agents}
    if key not in rp.__dict__.setdefault("_support_cache", {}):
        rp._support_cache[key] = sampled_supports(rp, truth_reports, agents, k)  # type: ignore[attr-defined]
    t_s = rp._support_cache[key]  # type: ignore[attr-defined]
    d_s = sampled_supports(rp, dev.reports, agents, k)
    return t_s, d_s, f"sampled K={k}"


# ---- deviation checkers ------------------------------------------------------------------
def check_strategyproof(case: DeviationCase, claim: Claim) -> ClaimResult:
    """Return whether a unilateral deviation left the deviator no better off (strategyproofness).

    Per realisation of the mechanism's coins (common random numbers): the deviating outcome
    must not be strictly better under the true type. For lotteries (SEM Theorem 5, proof of
    Claim 5: the truthful agent "must receive a stochastically undominated lottery"), the
    deviating lottery must not strictly stochastically dominate the truthful one. Coalitions:
    not applicable.
    """
    if case.deviation.size != 1:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="strategyproofness is about unilateral deviations")
    (a, c), = case.comparisons.items()
    if c.profitable:
        return ClaimResult(claim.key, VIOLATED, "profitable", f"agent {a} gained {c.gain:g} by misreporting")
    return ClaimResult(claim.key, HOLDS, "not profitable")


def check_universal_truthfulness(case: DeviationCase, claim: Claim) -> ClaimResult:
    """Return whether a unilateral bid change raised the seller's utility in this realisation.

    Budget-feasible paper, Section 2: a randomised mechanism is universally truthful when it
    is a distribution over truthful deterministic mechanisms for every fixed arrival order; the
    replay keeps the coins and the order fixed, so any strictly profitable bid change in one
    realisation is a violation.
    """
    res = check_strategyproof(case, claim)
    if res.status == VIOLATED:
        (a, c), = case.comparisons.items()
        t, d = case.truth[a], case.dev[a]
        return ClaimResult(claim.key, VIOLATED, "profitable",
                           f"seller {a} (true cost {case.true_types[a].value:g}) bid "  # type: ignore[union-attr]
                           f"{case.deviation.reports[a].value:g} instead and its utility rose by {c.gain:g} "  # type: ignore[union-attr]
                           f"(hired {t.hired}->{d.hired}, payment {t.payment:g}->{d.payment:g})")  # type: ignore[union-attr]
    return res


def check_gsp1(case: DeviationCase, claim: Claim) -> ClaimResult:
    """Return which condition of GSP1 (OCAM paper, Definition 6) holds for this group deviation.

    With R(.) the support of an agent's random allocation under the truthful profile and the
    deviating profile: (i) some member i has x_i >=_i x'_i for every x_i in R(truth) and
    x'_i in R(deviation); (ii) every member i has, for every such pair, a good j with
    x_i >=_i (x'_i - e^j)^+. Violated when neither holds. ``condition`` is ``"ii"``, ``"i"``,
    or ``"i (weak escape)"`` when (i) holds only through members that gave up nothing (same
    supports, indifferent) while (ii) fails: the weak-GSP escape that lets the rest of the
    coalition gain beyond one object.
    """
    t_sup, d_sup, method = supports(case)
    members = case.deviation.agents
    cond_i: list[int] = []
    cond_ii_fail: list[int] = []
    for a in members:
        true = case.true_types[a]
        if not isinstance(true, BundleRanking):
            return ClaimResult(claim.key, NOT_APPLICABLE, detail="GSP1 is defined for bundle allocations")
        pairs = [(x, y) for x in t_sup[a] for y in d_sup[a]]
        if all(weakly_better_bundle(true, x, y) for x, y in pairs):
            cond_i.append(a)
        if not all(better_by_at_most_one_object(true, x, y) for x, y in pairs):
            cond_ii_fail.append(a)
    info = f"supports {method}"
    if not cond_ii_fail:
        return ClaimResult(claim.key, HOLDS, "ii", f"every member gains at most one object ({info})")
    if cond_i:
        gave_nothing = [a for a in cond_i if t_sup[a] == d_sup[a]]
        cond = "i (weak escape)" if len(gave_nothing) == len(cond_i) else "i"
        return ClaimResult(claim.key, HOLDS, cond,
                           f"member(s) {cond_i} weakly worse off; member(s) {cond_ii_fail} gain more than one "
                           f"object ({info})")
    worst = cond_ii_fail[0]
    return ClaimResult(claim.key, VIOLATED, "none",
                       f"no member is weakly worse off in every realisation, and member(s) {cond_ii_fail} get a "
                       f"bundle better than the truthful one by more than one object (e.g. agent {worst}: truthful "
                       f"support {sorted(t_sup[worst])}, deviating support {sorted(d_sup[worst])}; {info})")


def check_sp1(case: DeviationCase, claim: Claim) -> ClaimResult:
    """Return whether this (agent, misreport) pair counts against SP1 (SEM paper, Definition 6).

    SP1 requires Pr(pi_i >=_i pi_(i,j) or ||pi_i - pi_(i,j)||_inf < eps) -> 1 as n grows, for
    misreports j of the same arrival period. The pair counts against it (status
    ``"violated"``) when the truthful lottery does not weakly stochastically dominate the
    deviating one AND their sup-norm distance is at least ``eps``. SP1 is asymptotic: a
    positive share at one n is evidence only through its trend across replica sizes
    (:func:`abm.audit.studies.sp1_study`).
    """
    if case.deviation.size != 1:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="SP1 is about unilateral misreports")
    (a, c), = case.comparisons.items()
    if c.dominated is None:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="SP1 is defined for lotteries over objects")
    if not c.dominated and (c.distance or 0.0) >= case.options.eps - TOL:
        return ClaimResult(claim.key, VIOLATED, "not dominated, distance >= eps",
                           f"agent {a}: truthful lottery does not dominate the deviating one, distance "
                           f"{c.distance:.4g} >= eps={case.options.eps:g}")
    return ClaimResult(claim.key, HOLDS, "dominated" if c.dominated else "distance < eps")


# ---- run checkers -------------------------------------------------------------------------
def _budget(run: RunRecord) -> float | None:
    m = run.mechanism
    for src in (getattr(m, "params", {}), m.market.extra):
        if isinstance(src, Mapping) and "budget" in src and src["budget"] is not None:
            return float(src["budget"])
    b = getattr(m.market, "budget", None)
    return None if b is None else float(b)


def check_budget_feasible(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether total payments stay within the budget B in this realisation.

    Budget-feasible paper, Section 2: sum_i p_i(b) <= B, here for every realised run (the
    baseline and each full deviating replay). Delegates to
    :func:`mechanisms.checks.budget.check_budget_feasible`.
    """
    from mechanisms.checks.budget import check_budget_feasible as _check

    hires = [o for o in run.outcomes.values() if isinstance(o, HireOutcome)]
    if not hires:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no procurement outcomes")
    B = _budget(run)
    if B is None:
        return ClaimResult(claim.key, NO_CHECKER, detail="the market declares no budget (market.extra['budget'])")
    total = sum(o.payment for o in hires)
    if _check(run.outcomes, B):
        return ClaimResult(claim.key, VIOLATED, "sum p_i > B", f"payments {total:g} exceed the budget {B:g}")
    return ClaimResult(claim.key, HOLDS, "sum p_i <= B", f"payments {total:g} <= budget {B:g}")


def check_ir(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether every hired seller was paid at least its bid (budget-feasible paper, Section 2).

    Individual rationality: if i is in A(b) then p_i(b) >= b_i, with b_i the declared bid
    (and unhired sellers are not paid). Delegates to :func:`mechanisms.checks.budget.check_ir`.
    """
    from mechanisms.checks.budget import check_ir as _check

    hires = [o for o in run.outcomes.values() if isinstance(o, HireOutcome)]
    if not hires:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no procurement outcomes")
    bids = {r.agent: r.declared.value for t in run.schedule for r in t if isinstance(r.declared, Cost)}
    # the outcome's bid field is the mechanism's own record; judge against the declared report
    # b_i of the run's schedule (Section 2), falling back to the record only for an agent the
    # schedule does not show (a mechanism must not be able to hide a violation by misrecording)
    outs = [HireOutcome(o.agent, o.tick, o.hired, o.payment, o.threshold, bids[o.agent]) if o.agent in bids else o
            for o in hires]
    bad = _check(outs)
    if bad:
        v = bad[0]
        return ClaimResult(claim.key, VIOLATED, "p_i < b_i",
                           f"{len(bad)} IR violation(s), e.g. seller {v['agent']} paid {v['payment']:g}"
                           + (f" < bid {v['bid']:g}" if "bid" in v else " while not hired" if "hired" in v else ""))
    return ClaimResult(claim.key, HOLDS, "p_i >= b_i")


def _types_for(run: RunRecord, true_types: Mapping[int, AgentType], agents) -> list[AgentType]:
    declared = {r.agent: r.declared for t in run.schedule for r in t}
    return [true_types.get(a, declared[a]) for a in agents]


def check_ef1(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether the post-sample agents' bundles are EF1 under their true rankings.

    OCAM paper, Definition 2 and Theorem 2 (b): envy-free up to one object among the agents
    arriving after the sample. Delegates to :func:`mechanisms.checks.envy.check_ef1`.
    """
    from mechanisms.checks.envy import check_ef1 as _check

    online = [o for o in run.outcomes.values() if isinstance(o, BundleOutcome) and o.phase != "sample"]
    if not online:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no post-sample bundle outcomes")
    agents = [o.agent for o in online]
    res = _check([o.bundle for o in online], _types_for(run, true_types, agents))
    if res.ok:
        return ClaimResult(claim.key, HOLDS, "EF1", f"{len(online)} post-sample agents")
    return ClaimResult(claim.key, VIOLATED, "envy beyond one object",
                       f"agent {agents[res.envier]} envies agent {agents[res.envied]}'s bundle {res.other} "
                       f"beyond one object (own bundle {res.bundle})")


def check_daceei(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether the run's allocation, budgets and prices form an (eps_b, eps_n, eps_f)-DACEEI.

    OCAM paper, Definition 1, judged with the true rankings (Theorem 2 claims it with
    probability at least 1 - 1/n under Assumptions 1 and 2: one violating run is evidence,
    not proof). Needs the mechanism's ``allocation()`` and ``prices`` (OCAM); delegates to
    :func:`mechanisms.checks.daceei.check_daceei`.
    """
    from mechanisms.checks.daceei import check_daceei as _check

    mech = run.mechanism
    alloc = getattr(mech, "allocation", None)
    prices = getattr(mech, "prices", None)
    if alloc is None or not hasattr(mech, "prices"):
        return ClaimResult(claim.key, NO_CHECKER, detail="the mechanism exposes no allocation()/prices")
    if prices is None:
        # OCAM before its sample closed: fewer than ceil(eps_s n) <= ceil(eps_n n) arrivals, so
        # Definition 1 constrains no position k yet.
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no prices yet: the run ended inside the sample")
    al = alloc()
    P = mech.params
    res = _check(al["bundles"], al["budgets"], _types_for(run, true_types, al["agents"].tolist()), prices,
                 mech.market.goods.capacity, P["eps_b"], P["eps_n"], P["eps_f"], n=mech.market.n_agents)
    if res.ok:
        found, cond = "Definition 1 holds", "i-iv"
    else:
        conds = sorted(res.violations)
        v = res.violations[conds[0]]
        cond = ",".join(conds)
        found = (f"condition(s) {conds} of Definition 1 fail, first ({v.condition}) at k={v.k}"
                 + (f", good {v.good}" if v.good is not None else "") + f", margin {v.margin:.4g}")
    # Theorem 2 claims a DACEEI only under Assumption 2 (large capacities). The requirement is
    # computed with the sample's distinct types for tau, a lower bound on the paper's tau, so a
    # capacity below it certainly breaks the assumption: the run is then outside the claim, and
    # what it shows about Definition 1 is reported, not counted as a violation.
    summ = mech.summary() if hasattr(mech, "summary") else {}
    need, have = summ.get("assumption2_capacity"), summ.get("min_capacity")
    if need is not None and have is not None and have < need:
        return ClaimResult(claim.key, NOT_APPLICABLE, cond,
                           f"outside Theorem 2's assumptions: Assumption 2 needs capacity >= {need:.3g} "
                           f"(a lower bound), the smallest capacity here is {have:g}; on this run {found}")
    if res.ok:
        return ClaimResult(claim.key, HOLDS, cond)
    return ClaimResult(claim.key, VIOLATED, cond, found)


def _object_run(run: RunRecord, true_types: Mapping[int, AgentType]):
    outs = sorted((o for o in run.outcomes.values() if isinstance(o, ObjectOutcome)), key=lambda o: (o.tick, o.agent))
    agents = [o.agent for o in outs]
    return outs, agents, _types_for(run, true_types, agents)


def check_greedy(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether the run is greedy (SEM paper, Section 2.1; Theorem 5, Claim 6).

    An agent gets an object y with positive probability only when every object it prefers to
    y is used up by the agents up to its period (and, ex post, no later agent gets it).
    Delegates to :func:`mechanisms.checks.lottery.greedy_violations`.
    """
    from mechanisms.checks.lottery import greedy_violations

    outs, agents, orders = _object_run(run, true_types)
    if not outs or run.mechanism.market.goods is None:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no object outcomes")
    bad = greedy_violations(orders, [o.tick for o in outs], [o.lottery for o in outs], [o.obj for o in outs],
                            run.mechanism.market.goods.capacity)
    if not bad:
        return ClaimResult(claim.key, HOLDS, "greedy", f"{len(outs)} agents")
    v = bad[0]
    return ClaimResult(claim.key, VIOLATED, v["kind"],
                       f"{len(bad)} greedy violation(s); e.g. agent {agents[v['agent']]} (period {v['tick']}) got "
                       f"object {v['got']} with positive probability although it prefers object {v['preferred']}, "
                       + (f"of which only {v['used']:g} of {v['supply']:g} units were used up to its period"
                          if v["kind"] == "lottery" else f"which {v['later_units']:g} later agent(s) received"))


def check_equal_type_envy_free(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether no agent envies the lottery of an agent who did not arrive strictly earlier.

    SEM paper, Definition 3 and Theorem 4 (types ordered by arrival time, earlier first).
    Delegates to :func:`mechanisms.checks.lottery.equal_type_envy_violations`.
    """
    from mechanisms.checks.lottery import equal_type_envy_violations

    outs, agents, orders = _object_run(run, true_types)
    if not outs or any(o.lottery is None for o in outs):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no lottery outcomes")
    bad = equal_type_envy_violations(orders, np.array([o.lottery for o in outs]), [o.tick for o in outs])
    if not bad:
        return ClaimResult(claim.key, HOLDS, "no envy")
    i, j = bad[0]
    return ClaimResult(claim.key, VIOLATED, "envy",
                       f"{len(bad)} envious pair(s); e.g. agent {agents[i]} (period {outs[i].tick}) prefers, by "
                       f"stochastic dominance, the lottery of agent {agents[j]} (period {outs[j].tick})")


#: Run-level checkers that live elsewhere: claim key -> (module, function(run) -> verdict with
#: ``ok``/``detail`` or bool). A missing module/function is reported as "no checker".
EXTERNAL_RUN_CHECKS: dict[str, tuple[str, str]] = {}


def _external(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    target = EXTERNAL_RUN_CHECKS.get(claim.key)
    if target is None:
        return ClaimResult(claim.key, NO_CHECKER, detail=f"no checker for {claim.key!r}")
    mod, fn = target
    try:
        f = getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError):
        return ClaimResult(claim.key, NO_CHECKER, detail=f"{mod}.{fn} is not available")
    res = f(run)
    ok = bool(getattr(res, "ok", res))
    return ClaimResult(claim.key, HOLDS if ok else VIOLATED, "", str(getattr(res, "detail", "")))


@dataclass(frozen=True)
class ClaimChecker:
    """A checker for one claim key: its level (``"deviation"`` or ``"run"``) and function."""

    key: str
    level: str
    fn: Callable[..., ClaimResult]
    coalitions: bool = False


CLAIM_CHECKERS: dict[str, ClaimChecker] = {
    "strategyproof": ClaimChecker("strategyproof", "deviation", check_strategyproof),
    "gsp1": ClaimChecker("gsp1", "deviation", check_gsp1, coalitions=True),
    "sp1": ClaimChecker("sp1", "deviation", check_sp1),
    "universal_truthfulness": ClaimChecker("universal_truthfulness", "deviation", check_universal_truthfulness),
    "budget_feasible": ClaimChecker("budget_feasible", "run", check_budget_feasible),
    "ir": ClaimChecker("ir", "run", check_ir),
    "ef1": ClaimChecker("ef1", "run", check_ef1),
    "daceei": ClaimChecker("daceei", "run", check_daceei),
    "greedy": ClaimChecker("greedy", "run", check_greedy),
    "equal_type_envy_free": ClaimChecker("equal_type_envy_free", "run", check_equal_type_envy_free),
    # SEM Theorem 5, Claim 5: strategyproofness stated for one arrival per period (the claim's
    # assumption text gates it, see abm.audit.audit.assumption_holds)
    "strategyproof_single_arrival": ClaimChecker("strategyproof_single_arrival", "deviation", check_strategyproof),
}


def checker_for(key: str) -> ClaimChecker | None:
    """Return the checker of claim ``key`` (None: report "no checker")."""
    if key in CLAIM_CHECKERS:
        return CLAIM_CHECKERS[key]
    if key in EXTERNAL_RUN_CHECKS:
        return ClaimChecker(key, "run", _external)
    return None
