"""A vectorised incremental path for OCAM: many unilateral post-sample deviations at once.

OCAM (Section 4.2) serves a post-sample agent the top bundle of its declared list that costs at
most a budget drawn from f(declared) with the agent's own uniform draw: given the posted prices
p, the budget function f and that draw, the outcome does not depend on anyone else's report.
``OnlineMechanism.unilateral_outcome`` answers one deviation at a time; :class:`OCAMBatch`
answers thousands with numpy, from the same public state (``prices``, ``budget_of``,
:class:`~mechanisms.ocam.mechanism.RandomBudget`, the agent's stream
``("mechanism", "budget", agent)``), and ``tests/audit`` checks it against the hook and against
full replays. Only the ``paper`` capacity policy is supported (under ``hard`` an agent's
outcome depends on the goods exhausted at its arrival: use :class:`~abm.audit.replay.Replayer`).

:func:`audit_unilateral_batch` audits a list of unilateral deviations on this path and counts
them into an :class:`~abm.audit.audit.AuditReport` (GSP1 with exact supports, gains, Wilson
shares); a violating deviation is re-checked by the ordinary path, which keeps its
counterexample.
"""
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence

import numpy as np

from mechanisms.engine import RunRecord
from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AFFORD_TOL, AgentType, BundleRanking
from mechanisms.rng import Streams

from .audit import AuditReport, ClaimTally, _counterexample, check_deviation, resolve_claims
from .claims import AuditOptions
from mechanisms.checks.envy import badness

from .gains import better_by_at_most_one_object, weakly_better_bundle
from .replay import Deviation, Replayer


class OCAMBatch:
    """Post-sample OCAM outcomes of many declared types at once (see the module docstring).

    Parameters
    ----------
    run : RunRecord
        A finished OCAM run (its mechanism in its final state, prices posted).
    """

    def __init__(self, run: RunRecord):
        mech = run.mechanism
        require(getattr(mech, "prices", None) is not None and hasattr(mech, "budget_of"), "mechanism",
                mech.spec.name, "an OCAM run past its sample phase")
        require(mech.params.get("capacity_policy", "paper") == "paper", "mechanism.params.capacity_policy",
                mech.params.get("capacity_policy"), '"paper" (the batch path ignores exhausted goods)')
        from mechanisms.ocam.mechanism import RandomBudget

        self._RB = RandomBudget
        self.run = run
        self.mech = mech
        self.prices = np.asarray(mech.prices, dtype=np.float64)
        m = self.prices.size
        # cost of a bitmask through two lookup tables (low and high halves of the goods)
        self._lo_bits = min(m, 11)
        lo = np.arange(1 << self._lo_bits)
        self._t_lo = ((lo[:, None] >> np.arange(self._lo_bits)) & 1) @ self.prices[: self._lo_bits]
        hi_bits = m - self._lo_bits
        hi = np.arange(1 << hi_bits)
        self._t_hi = ((hi[:, None] >> np.arange(hi_bits)) & 1) @ self.prices[self._lo_bits:] if hi_bits else np.zeros(1)
        self._streams = Streams(run.seed)
        self._u: dict[int, float] = {}
        self._rb: dict[BundleRanking, object] = {}
        self.phase = {o.agent: getattr(o, "phase", "") for o in run.outcomes.values()}

    def cost(self, masks: np.ndarray) -> np.ndarray:
        """Return p . x for every bundle bitmask in ``masks``."""
        masks = np.asarray(masks, dtype=np.int64)
        return self._t_lo[masks & ((1 << self._lo_bits) - 1)] + self._t_hi[masks >> self._lo_bits]

    def draw(self, agent: int) -> float:
        """Return the agent's uniform budget draw (its stream ("mechanism", "budget", agent))."""
        u = self._u.get(agent)
        if u is None:
            u = self._u[agent] = float(self._streams.get("mechanism", "budget", agent).random())
        return u

    def prepare(self, agents: Sequence[int] | None = None) -> None:
        """Draw (once per run) the budget uniforms of ``agents`` (default: every post-sample agent)."""
        for a in (agents if agents is not None else [a for a, ph in self.phase.items() if ph == "online"]):
            self.draw(a)

    def random_budget(self, declared: BundleRanking):
        """Return f(declared) as a RandomBudget (the ECEEI budget of a sampled type, else the default)."""
        rb = self._rb.get(declared)
        if rb is None:
            rb = self._rb[declared] = self._RB(self.mech.budget_of(declared))
        return rb

    def outcomes(self, agents: Sequence[int], declared: Sequence[BundleRanking]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (bundles, budgets, seen): what each agent gets by declaring the matching type.

        ``seen`` is True where the declared type was in the sample (f gives its ECEEI random
        budget; otherwise the one-point default). Budgets are drawn as
        ``RandomBudget.draw`` does (inverse CDF of the agent's uniform), vectorised per budget
        function. Raises ConfigError for an agent served in the sample phase.
        """
        n = len(agents)
        u = np.empty(n)
        group = np.empty(n, dtype=np.int64)
        rbs: list = []
        index: dict[str | None, int] = {}
        seen = np.zeros(n, dtype=bool)
        labels = self.mech.label_of
        for i, (a, d) in enumerate(zip(agents, declared)):
            if self.phase.get(a) != "online":
                raise ConfigError("deviation.agent", a, "a post-sample agent of the run")
            lab = labels(d)  # f depends on the declared type only through its sample label
            k = index.get(lab)
            if k is None:
                k = index[lab] = len(rbs)
                rbs.append(self._RB(self.mech.budget_of(d)))
            group[i] = k
            seen[i] = lab is not None
            u[i] = self._u[a] if a in self._u else self.draw(a)
        budgets = np.empty(n)
        for k, rb in enumerate(rbs):
            sel = group == k
            j = np.minimum(np.searchsorted(rb.cum, u[sel] * rb.cum[-1], side="right"), rb.budgets.size - 1)
            budgets[sel] = rb.budgets[j]
        lengths = np.fromiter((len(d.bundles) for d in declared), dtype=np.int64, count=n)
        masks = np.fromiter(itertools.chain.from_iterable(d.bundles for d in declared), dtype=np.int64,
                            count=int(lengths.sum()))
        ok = self.cost(masks) <= np.repeat(budgets, lengths) + AFFORD_TOL
        pos = np.where(ok, np.arange(masks.size), masks.size)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        bundles = np.zeros(n, dtype=np.int64)
        if masks.size:
            first = np.minimum.reduceat(np.append(pos, masks.size), np.minimum(starts, masks.size))[:n]
            hit = (lengths > 0) & (first < starts + lengths)
            bundles[hit] = masks[first[hit]]
        return bundles, budgets, seen

    def support(self, declared: BundleRanking) -> frozenset[int]:
        """Return R(.): the bundles of positive probability for a post-sample agent declaring ``declared``."""
        rb = self.random_budget(declared)
        return frozenset(int(declared.best_affordable(self.prices, float(b))) for b, q in zip(rb.budgets, rb.probs)
                         if q > 0)


def audit_unilateral_batch(replayer: Replayer, deviations: Sequence[Deviation],
                           true_types: Mapping[int, AgentType], claims=None,
                           options: AuditOptions | None = None, batch: OCAMBatch | None = None) -> AuditReport:
    """Audit unilateral post-sample OCAM deviations on the vectorised path; return the report.

    Counts every deviation into its (mechanism, strategy, 1, n) cell with its rank gain and,
    for ``"gsp1"``, Definition 6 with exact supports (for one agent, (i) and (ii) compare every
    bundle of the truthful support with every bundle of the deviating one). Deviations of
    sample agents or coalitions are checked on the ordinary path. Other claims are reported as
    on :func:`~abm.audit.audit.audit` only for the deviations sent to the ordinary path.
    Pass a prepared ``batch`` (:meth:`OCAMBatch.prepare`) to reuse the per-agent budget draws.
    """
    options = options or AuditOptions()
    run = replayer.truth
    batch = batch if batch is not None else OCAMBatch(run)
    claim_list = resolve_claims(run.mechanism, claims)
    keys = [c.key for c in claim_list]
    report = AuditReport(claim_list)
    name = run.mechanism.spec.name
    n = sum(len(t) for t in replayer.schedule)
    fast, slow, agents = [], [], []
    for d in deviations:
        a = next(iter(d.reports)) if len(d.reports) == 1 else None
        if a is not None and batch.phase.get(a) == "online" and replayer.reports_truthfully(a):
            fast.append(d)
            agents.append(a)
        else:
            slow.append(d)
    declared = [d.reports[a] for d, a in zip(fast, agents)]
    bundles, _, seen = batch.outcomes(agents, declared)
    gsp1 = "gsp1" in keys
    # per true type: its rank table (badness: listed rank, then empty, then infeasible, as
    # mechanisms.checks.envy.badness) and the worst bundle of its truthful support
    tables: dict[AgentType, tuple[dict[int, int], int, int]] = {}
    label_ix: dict[str, int] = {}
    lab = np.empty(len(fast), dtype=np.int64)
    gains = np.empty(len(fast))
    cond = np.zeros(len(fast), dtype=np.int8)  # 0: (ii), 1: (i), 2: re-checked on the ordinary path
    recheck: list[int] = []
    for i, (d, a, x_dev, known) in enumerate(zip(fast, agents, bundles.tolist(), seen.tolist())):
        true = true_types[a]
        tab = tables.get(true)
        if tab is None:
            ranks = {b: r for r, b in enumerate(true.bundles)}
            worst = max(badness(true, x) for x in batch.support(true)) if gsp1 else 0
            tab = tables[true] = (ranks, len(true.bundles), worst)
        ranks, L, worst = tab
        x_truth = run.outcomes[a].bundle
        bt = L if x_truth == 0 else ranks.get(x_truth, L + 1)
        bd = L if x_dev == 0 else ranks.get(x_dev, L + 1)
        gains[i] = bt - bd
        k = label_ix.get(d.label)
        if k is None:
            k = label_ix[d.label] = len(label_ix)
        lab[i] = k
        if not gsp1:
            continue
        if known:  # a sampled type: its support has several bundles, use the general test
            ts, ds = batch.support(true), batch.support(declared[i])
            if all(better_by_at_most_one_object(true, x, y) for x in ts for y in ds):
                continue
            if all(weakly_better_bundle(true, x, y) for x in ts for y in ds):
                cond[i] = 1
                continue
            cond[i] = 2
            recheck.append(i)
            continue
        # unseen type: one-point budget, support {x_dev}; (ii) and (i) are monotone in the
        # truthful bundle, so the worst bundle of the truthful support decides
        if worst <= bd:
            continue
        if any(worst <= (L if (x_dev & ~(1 << j)) == 0 else ranks.get(x_dev & ~(1 << j), L + 1))
               for j in range(x_dev.bit_length()) if x_dev >> j & 1):
            continue
        cond[i] = 2
        recheck.append(i)
    names = list(label_ix)
    for k, label in enumerate(names):
        sel = lab == k
        cell = report._cell(name, label, 1, n)
        g = gains[sel]
        cell.deviations += int(sel.sum())
        cell.profitable += int((g > 0).sum())
        cell.gains.extend(g.tolist())
        cell.paths["batch"] += int(sel.sum())
        for key in keys:
            t = cell.claims.setdefault(key, ClaimTally())
            if key != "gsp1":
                t.not_applicable += int(sel.sum())
                t.first_detail = t.first_detail or "not checked on the batch path"
                continue
            c = cond[sel]
            for code, label_c in ((0, "ii"), (1, "i")):
                cnt = int((c == code).sum())
                if cnt:
                    t.checked += cnt
                    t.conditions[label_c] += cnt
                    t.methods["exact"] += cnt
    for i in recheck:
        d = fast[i]
        checked = check_deviation(replayer, d, true_types, [c for c in claim_list if c.key == "gsp1"], options)
        r = checked.results["gsp1"]
        report.cells[(name, d.label, 1, n)].claims["gsp1"].add(r)
        if r.violated:
            report.first_violation_at["gsp1"] = min(report.first_violation_at.get("gsp1", i + 1), i + 1)
            report.keep(_counterexample(replayer, checked, claim_list[keys.index("gsp1")], r, true_types, None,
                                        options))
    for d in slow:
        report.add(name, n, check_deviation(replayer, d, true_types, claim_list, options))
    return report
