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

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mechanisms.engine import RunRecord
from mechanisms.errors import ConfigError, InvariantError
from mechanisms.preferences import AgentType, BundleRanking, Cost
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome
from mechanisms.spec import Claim

from . import checks_sem as _sem_checks
from . import invariants as _inv
from .claims_base import HOLDS, NO_CHECKER, NOT_APPLICABLE, VIOLATED, ClaimResult  # noqa: F401 (re-exported)
from .gains import TOL, Comparison, better_by_at_most_one_object, weakly_better_bundle
from .replay import Deviation, Replayed, Replayer


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
        Replay path (:mod:`abm.audit.replay`): ``"protocol"`` (default: through ``start``/``step``
        from checkpoints, trusting nothing), ``"full"`` (fresh runs from tick 0) or
        ``"shortcut"`` (the mechanism's own accelerators, cross-checked). ``"auto"`` and
        ``"incremental"`` are the older names of ``"protocol"`` and ``"shortcut"``.
    crosscheck_share, crosscheck_min : float, int
        In every cell, this share of the deviations (at least ``crosscheck_min``, all when the
        cell has fewer) is drawn with a seeded generator and replayed again from scratch; when
        the mechanism offers a shortcut (``unilateral_outcome``), the same sample is asked of it.
        Any disagreement is a finding and the cell is re-audited on the full path. Default 5%
        and 10.
    run_check_share, run_check_min : float, int
        Share (and minimum count) of each cell's deviations whose deviating run is continued to
        the end so that run-level claims (budget feasibility, IR, EF1, greedy, ...) are judged
        on it too. Default 2% and 2.
    distribution_pairs, distribution_draws, alpha : int, int, float
        The frequency test of a declared outcome distribution: per cell, that many (agent,
        report) pairs are re-drawn ``distribution_draws`` times (the mechanism's coins re-seeded
        at the agent's arrival, the state before it fixed); a realised outcome outside the
        declared support, or a Bonferroni-corrected exact binomial test at level ``alpha``,
        rejects the declaration. Defaults 3, 64, 0.001.
    reproduce : bool
        Reproduce every kept counterexample by a fresh run from tick 0 before reporting it
        (default True; a counterexample that does not reproduce is itself a finding).
    random_deviations : int
        How many deviations the ``"random"`` deviation source draws (default 200).
    """

    eps: float = 0.05
    support_draws: int = 16
    path: str = "protocol"
    crosscheck_share: float = 0.05
    crosscheck_min: int = 10
    run_check_share: float = 0.02
    run_check_min: int = 2
    distribution_pairs: int = 3
    distribution_draws: int = 64
    alpha: float = 0.001
    reproduce: bool = True
    random_deviations: int = 200


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
    #: inconsistencies of the mechanism's declarations met while checking (see :class:`Finding`)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    """Something the mechanism said about itself that its own online run contradicts.

    ``kind`` is ``"shortcut"`` (an accelerator answered differently from the protocol replay),
    ``"distribution"`` (a declared outcome distribution excludes a realised outcome, or fails the
    frequency test), ``"checkpoint"`` (a replay from a checkpoint differs from a fresh run: the
    mechanism's state does not survive a copy), ``"reproduction"`` (a counterexample found by
    one path does not reproduce from scratch) or ``"invariant"`` (the mechanism raised an
    invariant breach no checked claim covers).
    """

    kind: str
    detail: str
    deviation: Deviation | None = None
    protocol: dict[int, Outcome] | None = None
    shortcut: dict[int, Outcome] | None = None


# ---- supports R(Phi_i(.)) -------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _draw_seed(seed: int, k: int) -> int:
    if k == 0:
        return seed
    return int(np.random.SeedSequence([seed, 0xA0D17, k]).generate_state(1, dtype=np.uint32)[0])


def declared_distribution(state, agent: int, declared: AgentType) -> dict[int, float] | None:
    """Return what the mechanism declares ``agent`` gets by declaring ``declared`` in ``state``.

    ``state`` is the mechanism in the state just before the agent's arrival (a copy: asking it
    cannot touch any replay). Uses the mechanism's ``outcome_distribution(declared, agent)``
    accelerator (OCAM, Section 4.2: the top affordable bundle at the posted prices for each
    realisation of f(declared)); None when it offers none or refuses (e.g. a sample agent). The
    answer is a claim: :func:`supports` checks it against the realised outcomes, the audit tests
    its frequencies.
    """
    fn = getattr(state, "outcome_distribution", None)
    if fn is None:
        return None
    try:
        d = fn(declared, agent)
    except (NotImplementedError, ConfigError):
        return None
    except Exception:  # noqa: BLE001  (an accelerator that crashes is not used: supports are sampled instead)
        return None
    try:
        return {int(b): float(q) for b, q in d.items() if q > 0}
    except (AttributeError, TypeError, ValueError):  # not a mapping of bundle -> probability: not used either
        return None


def sampled_supports(replayer: Replayer, reports: Mapping[int, AgentType], agents: tuple[int, ...],
                     k: int) -> dict[int, frozenset[int]]:
    """Return, per agent, the bundles realised over ``k`` coin draws with ``reports`` swapped in.

    Draw 0 is the run's own seed; the others are seeds derived from it (the schedule, hence the
    arrival order, fixed). Each draw is a protocol replay that stops once the agents are
    served. An estimate of the support from below (a bundle of small probability may be
    missed): the verdict says so.
    """
    out: dict[int, set[int]] = {a: set() for a in agents}
    ticks = {a: replayer.tick_of(a) for a in agents}
    runs = replayer.__dict__.setdefault("_seed_runs", {})
    from mechanisms.checkpoint import CheckpointedRun

    for d in range(k):
        s = _draw_seed(replayer.seed, d)
        cr = runs.get(s)
        if cr is None:
            cr = runs[s] = CheckpointedRun(replayer.factory, replayer.schedule, s, checkpoints=256,
                                           record_public=False)
        truthful = all(reports[a] == replayer._declared.get(a) for a in agents)
        if truthful:
            cr.advance(max(ticks.values()) + 1)
            got = {a: cr.outcomes.get(a) for a in agents}
        else:
            try:
                got = cr.replay(dict(reports), ticks).outcomes
            except InvariantError:  # this draw's truthful run broke down before the agents' ticks
                continue  # (the run under the audit's own seed is the one whose breakdowns are reported)
        for a in agents:
            o = got.get(a)
            if o is not None:
                out[a].add(int(o.bundle))
    return {a: frozenset(s) for a, s in out.items()}


def _case_base(case: DeviationCase):
    """Return the checkpointed baseline of the case's deviation (looked up once per case)."""
    base = case.cache.get("_base")
    if base is None:
        base = case.cache["_base"] = case.replayer.base_for(case.deviation.reports)
    return base


def _query_state(case: DeviationCase, agent: int, deviating: bool):
    """Return a copy of the mechanism just before ``agent``'s tick (truthful or deviating run)."""
    rp = case.replayer
    t = rp.tick_of(agent)
    if deviating and case.deviation.size > 1:
        st = case.replayed.states.get(t)
        if st is not None:
            return st
        return None
    base = _case_base(case)
    cache = rp.__dict__.get("_query_states")
    if cache is None:
        cache = rp.__dict__.setdefault("_query_states", {})
    st = cache.get((base, t))
    if st is None:
        if len(cache) > 8:
            cache.clear()
        st = cache[base, t] = base.state_before(t)
    return st


def _truthful_distribution(case: DeviationCase, agent: int) -> tuple[dict[int, float] | None, frozenset[int] | None]:
    """Return the distribution declared for ``agent`` reporting its true type at its arrival, and its support.

    One question per agent and baseline, asked once and reused by every deviation of the
    agent (each still checks its realised truthful outcome against it).
    """
    rp = case.replayer
    key = (_case_base(case), agent)
    cache = rp.__dict__.get("_truthful_distributions")
    if cache is None:
        cache = rp.__dict__.setdefault("_truthful_distributions", {})
    hit = cache.get(key)
    if hit is None:
        if len(cache) > 4096:
            cache.clear()
        st = _query_state(case, agent, False)
        d = declared_distribution(st, agent, case.true_types[agent]) if st is not None else None
        hit = cache[key] = (d, None if d is None else frozenset(d))
    return hit


def supports(case: DeviationCase) -> tuple[dict[int, frozenset[int]], dict[int, frozenset[int]], str]:
    """Return (truthful supports, deviating supports, method) for the deviation's members.

    When the mechanism declares outcome distributions, they are asked of the state before each
    member's arrival (truthful run; deviating run) and accepted only if every realised outcome
    lies in the declared support: ``method`` is then ``"declared, verified"``. A declaration
    that excludes a realised outcome is a :class:`Finding` and, like a mechanism that declares
    nothing, gives way to supports sampled over K coin draws (``"sampled K=<k>"``).
    """
    rp, dev = case.replayer, case.deviation
    agents = dev.agents
    t_ex: dict[int, dict[int, float] | None] = {}
    d_ex: dict[int, dict[int, float] | None] = {}
    t_sup: dict[int, frozenset[int]] = {}
    declared = True
    for a in agents:
        t_ex[a], t_sup_a = _truthful_distribution(case, a)
        # a unilateral deviator's state before its tick is the truthful run's (the same copy)
        st_d = _query_state(case, a, dev.size > 1)
        d_ex[a] = d = declared_distribution(st_d, a, dev.reports[a]) if st_d is not None else None
        if t_sup_a is None or d is None:
            declared = False
        else:
            t_sup[a] = t_sup_a
    if declared:
        bad = [a for a in agents if int(case.truth[a].bundle) not in t_ex[a]  # type: ignore[operator]
               or int(case.dev[a].bundle) not in d_ex[a]]  # type: ignore[operator]
        if not bad:
            return t_sup, {a: frozenset(d_ex[a]) for a in agents}, "declared, verified"  # type: ignore[arg-type]
        a = bad[0]
        case.findings.append(Finding(
            "distribution", f"agent {a}: the declared outcome distribution excludes the realised outcome "
            f"(truthful: realised {case.truth[a].bundle}, declared support {sorted(t_ex[a] or {})}; "  # type: ignore[union-attr]
            f"deviating: realised {case.dev[a].bundle}, declared support {sorted(d_ex[a] or {})})",  # type: ignore[union-attr]
            dev))
    k = case.options.support_draws
    key = ("truth-support", agents, k)
    truth_reports = {a: case.true_types[a] for a in agents}
    cache = rp.__dict__.setdefault("_support_cache", {})
    # the deviating draws first: they replay from each seed's state before the tick, which the
    # truthful draws (stepping each seed's baseline past the tick) would otherwise move beyond
    d_s = sampled_supports(rp, dev.reports, agents, k)
    if key not in cache:
        cache[key] = sampled_supports(rp, truth_reports, agents, k)
    t_s = cache[key]
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
        ts, ds = t_sup[a], d_sup[a]
        c = case.comparisons.get(a)
        if c is not None and len(ts) == 1 and len(ds) == 1 and c.within_one is not None \
                and ts == {case.truth[a].bundle} and ds == {case.dev[a].bundle}:
            # one pair, the realised one: the comparison already judged it (compare_bundles)
            weakly, within = not c.profitable, c.within_one
        else:
            pairs = [(x, y) for x in ts for y in ds]
            weakly = all(weakly_better_bundle(true, x, y) for x, y in pairs)
            within = all(better_by_at_most_one_object(true, x, y) for x, y in pairs)
        if weakly:
            cond_i.append(a)
        if not within:
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
    cfg = run.config
    for src in (cfg.params, cfg.market.extra):
        if isinstance(src, Mapping) and "budget" in src and src["budget"] is not None:
            return float(src["budget"])
    b = getattr(cfg.market, "budget", None)
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
    arriving after the sample, i.e. the agents who arrived once prices were posted (read from
    the run's public record, not from the mechanism's phase labels). Delegates to
    :func:`mechanisms.checks.envy.check_ef1`.
    """
    from mechanisms.checks.envy import check_ef1 as _check
    from mechanisms.ocam.report import ef1_text

    posted = [False] + [getattr(p, "prices", None) is not None for p in run.public]  # GoodsPublic states
    if run.public and not any(posted):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no prices were posted: no post-sample agents")
    online_ids = {r.agent for t, tick in enumerate(run.schedule) for r in tick if t < len(posted) and posted[t]} \
        if run.public else None
    online = [o for o in run.outcomes.values() if isinstance(o, BundleOutcome)
              and (o.agent in online_ids if online_ids is not None else o.phase != "sample")]
    if not online:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no post-sample bundle outcomes")
    agents = [o.agent for o in online]
    res = _check([o.bundle for o in online], _types_for(run, true_types, agents))
    if res.ok:
        return ClaimResult(claim.key, HOLDS, "EF1", f"{len(online)} post-sample agents")
    return ClaimResult(claim.key, VIOLATED, "envy beyond one object", ef1_text(res, agents))


def check_daceei(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether the run's allocation, budgets and prices form an (eps_b, eps_n, eps_f)-DACEEI.

    OCAM paper, Definition 1, judged with the true rankings on the run's own outcomes in
    arrival order (bundles and drawn budgets) and the prices posted during the online phase
    (Theorem 2 claims it with probability at least 1 - 1/n under Assumptions 1 and 2: one
    violating run is evidence, not proof; the auditor's gate says whether the run is inside
    the assumptions). Delegates to :func:`mechanisms.checks.daceei.check_daceei`.
    """
    from mechanisms.checks.daceei import check_daceei as _check
    from mechanisms.ocam.report import daceei_text

    market = run.config.market
    order = [r.agent for tick in run.schedule for r in tick]
    outs = [run.outcomes.get(a) for a in order]
    if not outs or not all(isinstance(o, BundleOutcome) for o in outs):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no bundle outcomes for every arrival")
    prices = None
    for pub in reversed(run.public):
        if getattr(pub, "prices", None) is not None:
            prices = np.asarray(pub.prices, dtype=np.float64)
            break
    if prices is None:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no prices were posted: the run ended inside the sample")
    if any(o.budget is None for o in outs):  # type: ignore[union-attr]
        return ClaimResult(claim.key, NO_CHECKER, detail="the outcomes carry no budgets (Definition 1 needs them)")
    P = run.config.params
    res = _check([o.bundle for o in outs], [float(o.budget) for o in outs],  # type: ignore[union-attr]
                 _types_for(run, true_types, order), prices, market.goods.capacity, P["eps_b"], P["eps_n"],
                 P["eps_f"], n=market.n_agents)
    if res.ok:
        return ClaimResult(claim.key, HOLDS, "i-iv", "Definition 1 holds")
    return ClaimResult(claim.key, VIOLATED, ",".join(sorted(res.violations)), daceei_text(res))


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
    if not outs or run.config.market.goods is None:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no object outcomes")
    bad = greedy_violations(orders, [o.tick for o in outs], [o.lottery for o in outs], [o.obj for o in outs],
                            run.config.market.goods.capacity)
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


#: Definition 4's eps for the run-level ordinal-efficiency check (the per-run distance bound
#: is always quoted, so a reader can judge any other eps).
OE_EPS = 0.05


def check_ordinal_efficiency(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return whether the run's ex-post lottery allocation is certified within eps of an ordinally efficient one.

    SEM paper, Definition 4 (asymptotic efficiency: Pr(||pi_n - a*||_inf < eps) -> 1 for some
    ordinally efficient a*) and Theorem 5 (i)-(ii). Types are (preference, arrival period), as
    in the paper's type space: the run's lotteries are averaged per type (true preferences
    when given), each type weighs its arrivals / n, supply is S = n S / n (raised to what the
    lotteries use where realisation noise made them use more). The distance to the nearest
    ordinally efficient allocation is bounded above by
    :func:`mechanisms.checks.lottery.efficient_distance_bound` (0 when the allocation is itself
    ordinally efficient). The run is an *event* ("violated") when that bound is at least
    :data:`OE_EPS`; the claim is asymptotic, so events are judged by their trend across
    replica sizes (:func:`abm.audit.studies.sp1_study` style), never as a proof at one n.
    """
    from mechanisms.checks.lottery import efficient_distance_bound

    outs, agents, orders = _object_run(run, true_types)
    goods = run.config.market.goods
    if not outs or goods is None or any(o.lottery is None for o in outs):
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no lottery outcomes")
    cap = np.asarray(goods.capacity, dtype=np.float64)
    lots = np.array([o.lottery for o in outs], dtype=np.float64)
    if lots.shape[1] != cap.size + 1:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail=f"lotteries over {lots.shape[1]} options, "
                           f"market of {cap.size} objects plus the null option")
    groups: dict[tuple, list[int]] = {}
    for k, (o, od) in enumerate(zip(outs, orders)):
        groups.setdefault((o.tick, od), []).append(k)
    sem = run.config.market.extra.get("sem") if isinstance(run.config.market.extra, dict) else None
    n = float(getattr(sem, "replica", 1) or 1)
    types = [od for (_, od) in groups]
    A = np.array([lots[ix].mean(axis=0) for ix in groups.values()])
    w = np.array([len(ix) for ix in groups.values()], dtype=np.float64) / n
    supply = np.maximum(cap / n, (w @ A)[:-1])
    try:
        bound, _ = efficient_distance_bound(types, A, supply, masses=w)
    except ConfigError as e:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail=f"not a lottery allocation: {e}")
    what = (f"{len(outs)} arrivals in {len(types)} types (replica n={n:g}); " +
            ("the allocation is ordinally efficient" if bound <= TOL else
             f"an ordinally efficient allocation lies at sup-norm distance {bound:.4g} (upper bound)"))
    if bound >= OE_EPS - TOL:
        return ClaimResult(claim.key, VIOLATED, "not certified within eps", f"{what} >= eps={OE_EPS:g}")
    return ClaimResult(claim.key, HOLDS, "ordinally efficient" if bound <= TOL else "within eps", what)


def check_fair_division(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return the verdict of a fair-division claim (temporal MMS/EFk, Theorem 4.1 structure) on ``run``.

    Fair-division paper, Definitions 2.3-2.5, Theorems 4.1, 5.2, 5.4, Remark 2.6: the allocation
    at every step is recomputed from the run's outcomes. Delegates to
    :func:`mechanisms.fair_division.claims.judge` (agents judged by their true valuation when
    given, else as declared).
    """
    from mechanisms.fair_division.claims import judge

    status, condition, detail = judge(claim.key, run, true_types)
    return ClaimResult(claim.key, status, condition, detail)


def check_sem_online(run: RunRecord, true_types: Mapping[int, AgentType], claim: Claim) -> ClaimResult:
    """Return the verdict of a fully online SEM claim (SEM paper, Section 5.1) on ``run``.

    ``greedy_online``: Section 2.1's greedy with the supply present at each period (Theorem 6);
    ``lindahl_budget`` / ``lindahl_clearing``: the Section 5.1 demand condition and Definition 7
    at every re-solve, rebuilt from the run's public data; ``equal_type_envy_free_within_period``:
    Definition 3 with arrival periods as types. Agents are judged by their true type when given.
    Delegates to :mod:`mechanisms.sem.online`.
    """
    from mechanisms.errors import ConfigError as _CE
    from mechanisms.sem import online as so

    outs, agents, orders = _object_run(run, true_types)
    if not outs:
        return ClaimResult(claim.key, NOT_APPLICABLE, detail="no object outcomes")
    try:
        if claim.key == "greedy_online":
            r = so.run_greedy(run, orders)
            return ClaimResult(claim.key, HOLDS if r["ok"] else VIOLATED, "greedy" if r["ok"] else r["violations"][0]["kind"],
                               r["detail"])
        if claim.key == "equal_type_envy_free_within_period":
            r = so.within_period_envy(run, orders)
            return ClaimResult(claim.key, HOLDS if r["ok"] else VIOLATED, "no envy" if r["ok"] else "envy", r["detail"])
        r = so.run_lindahl(run)
    except _CE as e:
        return ClaimResult(claim.key, NO_CHECKER, detail=f"not a fully online SEM run: {e}")
    if r["ticks"] == 0:
        return ClaimResult(claim.key, NO_CHECKER, detail="the mechanism posted no time-tax plan (plan(tick))")
    ok = r["budget_ok"] if claim.key == "lindahl_budget" else r["clearing_ok"]
    det = r["budget_detail"] if claim.key == "lindahl_budget" else r["clearing_detail"]
    cond = "selection of L_i(p^t)" if claim.key == "lindahl_budget" else "Definition 7 (1) and (2)"
    return ClaimResult(claim.key, HOLDS if ok else VIOLATED, cond, det)


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
    # checks that need no assumption (abm.audit.invariants): run beside the claims resting on them
    "daceei_by_construction": ClaimChecker("daceei_by_construction", "run", _inv.check_daceei_by_construction),
    "eceei_sample": ClaimChecker("eceei_sample", "run", _inv.check_eceei_sample),
    "posted_price": ClaimChecker("posted_price", "run", _inv.check_posted_price),
    "threshold_independence": ClaimChecker("threshold_independence", "deviation", _inv.check_threshold_independence),
    # fair division of arriving goods (issue 16): temporal fairness of Algorithms 1-3 and round robin
    **{k: ClaimChecker(k, "run", check_fair_division)
       for k in ("fd_temporal_mms", "fd_dp_structure", "fd_temporal_ef2", "fd_ef1_every_n", "fd_round_robin_ef1",
                 "fd_mms_quarter_after_t0", "fd_half_ef1_after_failure")},
    # fully online SEM (issue 17): Section 5.1, Definition 7, Theorem 6
    **{k: ClaimChecker(k, "run", check_sem_online) for k in ("greedy_online", "lindahl_budget", "lindahl_clearing",
                                                              "equal_type_envy_free_within_period")},
    # SEM (issue 11, item 3): each period's published prices form a (t)-equilibrium of the
    # realised remaining market (Definition 1; Section 4.1), recomputed by the auditor
    "t_equilibrium": ClaimChecker("t_equilibrium", "run", _sem_checks.check_t_equilibrium),
    # SEM Definition 4, Theorem 5 (i)-(ii): asymptotic, judged by its trend (ASYMPTOTIC in audit.py)
    "ordinal_efficiency_asymptotic": ClaimChecker("ordinal_efficiency_asymptotic", "run", check_ordinal_efficiency),
}


def checker_for(key: str) -> ClaimChecker | None:
    """Return the checker of claim ``key`` (None: report "no checker")."""
    return CLAIM_CHECKERS.get(key)


# ---- [audit] tables -> AuditOptions (issue 12, item 3) ---------------------------------------
#: Range checks of AuditOptions fields read from files: field -> (predicate, expected text).
#: A field without an entry is checked for its type only (taken from its default value).
OPTION_RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "eps": (lambda v: 0 < v < 1, "a number in (0, 1)"),
    "support_draws": (lambda v: 1 <= v <= 100_000, "an integer in [1, 100000]"),
    "path": (lambda v: v in _replay_paths(), "a replay path (abm.audit.replay.PATHS)"),
    "crosscheck_share": (lambda v: 0 <= v <= 1, "a share in [0, 1]"),
    "run_check_share": (lambda v: 0 <= v <= 1, "a share in [0, 1]"),
    "alpha": (lambda v: 0 < v < 1, "a significance level in (0, 1)"),
    "distribution_draws": (lambda v: 1 <= v <= 1_000_000, "an integer in [1, 1000000]"),
}
#: The range of an integer field without an entry above (counts: non-negative, bounded work).
DEFAULT_INT_RANGE: tuple[Callable[[Any], bool], str] = (lambda v: 0 <= v <= 1_000_000, "an integer in [0, 1000000]")


def _replay_paths() -> tuple[str, ...]:
    """Return the replay path names the replayer accepts (read now: the list may grow)."""
    from . import replay

    return tuple(getattr(replay, "PATHS", ("auto", "full", "incremental")))


def audit_option_fields() -> dict[str, type]:
    """Return the AuditOptions fields a file may set: name -> type (of the field's default value)."""
    import dataclasses

    out: dict[str, type] = {}
    for f in dataclasses.fields(AuditOptions):
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)  # type: ignore[misc]
        if isinstance(default, bool):
            out[f.name] = bool
        elif isinstance(default, (int, float, str)):
            out[f.name] = type(default)
    return out


def audit_options_from_table(table: Mapping[str, Any], field: str = "audit") -> AuditOptions:
    """Return the :class:`AuditOptions` set by a validated ``[audit]`` table (other keys ignored).

    The accepted keys and their types come from the dataclass fields of :class:`AuditOptions`
    (the type of each default value; an int is accepted for a float field), the ranges from
    :data:`OPTION_RANGES` (integers without an entry: :data:`DEFAULT_INT_RANGE`). Raises :class:`ConfigError` naming ``<field>.<key>`` for a bad value.
    """
    import math

    kw: dict[str, Any] = {}
    for name, kind in audit_option_fields().items():
        if name not in table:
            continue
        v = table[name]
        f = f"{field}.{name}"
        if kind is float:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            expected = "a finite number"
        elif kind is int:
            ok = isinstance(v, int) and not isinstance(v, bool)
            expected = "an integer"
        else:
            ok = isinstance(v, kind)
            expected = {bool: "true or false", str: "a string"}.get(kind, kind.__name__)
        rng = OPTION_RANGES.get(name, DEFAULT_INT_RANGE if kind is int else None)
        if rng is not None:
            if ok:
                ok = bool(rng[0](v))
            expected = rng[1]
        if not ok:
            if name == "path":
                expected = f"one of {sorted(_replay_paths())}"
            raise ConfigError(f, v, expected)
        kw[name] = float(v) if kind is float else v
    return AuditOptions(**kw)
