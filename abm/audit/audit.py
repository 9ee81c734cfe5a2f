"""The auditor's entry point: replay deviations, measure gains, check claims, give verdicts.

>>> report = audit(factory, schedule, true_types, seed, deviations)   # doctest: +SKIP
>>> report.table()        # one row per (mechanism, strategy, coalition size, n, claim)
>>> report.verdicts()     # one line per claim, then the findings
>>> report.save("out/")   # tables, verdicts and counterexample JSON files

Trust model (docs/audit.md): the mechanism under test is the code that may be wrong. Every
answer a verdict rests on comes from the online protocol (``start``, ``step``: replays from
checkpoints of the truthful run, :mod:`abm.audit.replay`) or from a check the auditor computes
itself. What a mechanism says about itself (a shortcut ``unilateral_outcome``, a declared
``outcome_distribution``, its phase labels and summaries) is at most an accelerator, and it
is verified: a seeded sample of every cell is replayed again from scratch and asked of the
shortcut; declared distributions are checked against every realised outcome and by a
frequency test; every kept counterexample is reproduced by a fresh run before it is
reported. Disagreements are findings of their own. An invariant breach inside a run
(payments over the budget, a capacity exceeded) is a violation with a counterexample, never a
crash.
"""
from __future__ import annotations

import math
import pathlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from mechanisms.engine import Configuration
from mechanisms.errors import ConfigError, InvariantError, require
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.preferences import AgentType
from mechanisms.reports import Outcome, Report
from mechanisms.rng import Streams
from mechanisms.spec import Claim

from .claims import (NO_CHECKER, NOT_APPLICABLE, VIOLATED, AuditOptions, ClaimResult, DeviationCase, Finding,
                     checker_for, declared_distribution)
from .counterexample import MAX_INLINE_REPORTS, Counterexample
from .gains import Comparison, compare
from .gates import Gate, gate_for
from .invariants import IMPLIED, recompute_eceei
from .replay import PATHS, Deviation, Replayed, Replayer
from .stats import binomial_pvalue, exact_interval, format_rate, wilson_interval, zero_rate_upper_bound

#: Claims whose per-deviation events are evidence for an asymptotic statement, not violations.
ASYMPTOTIC = {"sp1", "ordinal_efficiency_asymptotic"}

#: Counterexamples kept in memory per claim (all violations are counted).
KEEP_COUNTEREXAMPLES = 5

#: What each implied check is (the claim it rests under is named in the verdict).
IMPLIED_SOURCES = {
    "daceei_by_construction": "OCAM Definition 1 (i)-(ii), which Theorem 2 says hold by construction (no assumption)",
    "eceei_sample": "OCAM Definition 4 for the sample economy (Theorem 1: it exists); recomputed by the auditor",
    "posted_price": "budget-feasible paper, Section 2 and Lemma 1: posted prices (paid the threshold iff hired)",
    "threshold_independence": "budget-feasible paper, Lemma 1: a posted threshold does not depend on the bid",
}

#: How claims are named in verdicts (others: the key with spaces).
DISPLAY = {"gsp1": "GSP1", "ef1": "EF1", "daceei": "DACEEI", "sp1": "SP1", "ir": "IR",
           "daceei_by_construction": "DACEEI (i)-(ii) by construction",
           "eceei_sample": "sample ECEEI (Definition 4)", "posted_price": "posted price",
           "threshold_independence": "threshold independence"}


def display_name(key: str) -> str:
    """Return the name a verdict uses for claim ``key``."""
    return DISPLAY.get(key, key.replace("_", " "))


#: Claims whose verdicts rest on the sample ECEEI (its recomputed clearing error is quoted).
RESTS_ON_ECEEI = {"gsp1", "ef1", "daceei", "daceei_by_construction"}


@dataclass
class CheckedDeviation:
    """One deviation after replay: outcomes, comparisons, every claim's verdict, and findings."""

    deviation: Deviation
    replayed: Replayed
    truth: dict[int, Outcome]
    comparisons: dict[int, Comparison]
    results: dict[str, ClaimResult]
    run_results: dict[str, list[ClaimResult]]
    findings: list[Finding] = field(default_factory=list)

    @property
    def gain(self) -> float:
        """Largest gain among the deviators (0 when the replay stopped before they were served)."""
        return max((c.gain for c in self.comparisons.values()), default=0.0)

    @property
    def profitable(self) -> bool:
        """True when some deviator is strictly better off."""
        return any(c.profitable for c in self.comparisons.values())


def resolve_claims(mech: OnlineMechanism, claims: Iterable[str | Claim] | None,
                   implied: bool = True) -> list[Claim]:
    """Return the claims to check: the mechanism's declared ones, or those named in ``claims``.

    A named key the mechanism does not declare is checked anyway (source "requested by the
    user"). With ``implied``, the checks that need no assumption and that a claim rests on
    (:data:`abm.audit.invariants.IMPLIED`) are added after it.
    """
    declared = {c.key: c for c in mech.spec.claims}
    if claims is None:
        out = list(mech.spec.claims)
    else:
        if isinstance(claims, str):
            raise ConfigError("claims", claims, "a list of claim names, e.g. [\"gsp1\"]")
        out = [c if isinstance(c, Claim) else declared.get(str(c), Claim(str(c), "requested by the user"))
               for c in claims]
    if implied:
        keys = {c.key for c in out}
        for c in list(out):
            for k in IMPLIED.get(c.key, ()):
                if k not in keys:
                    keys.add(k)
                    out.append(Claim(k, IMPLIED_SOURCES.get(k, f"implied by {c.key}")))
    return out


def assumption_holds(claim: Claim, schedule: Sequence[Sequence[Report]],
                     config: Configuration | None = None) -> tuple[bool, str]:
    """Return whether the run meets the claim's stated assumptions the auditor can test.

    See :func:`abm.audit.gates.gate_for`. Kept for callers of earlier versions; the auditor
    checks every claim either way and uses the answer to word the verdict.
    """
    if config is None:
        from .gates import _single_arrival_gate

        a = claim.assumptions.lower().replace(" ", "")
        if "onearrivalperperiod" in a or "|i^t|=1" in a or "onearrivalpertick" in a:
            g = _single_arrival_gate(schedule)
            return g.inside, "" if g.inside else f"assumption not met: {g.why}"
        return True, ""
    g = gate_for(claim, config, schedule)
    return g.inside, g.why


def _stopped(claim: Claim, why: str) -> ClaimResult:
    return ClaimResult(claim.key, NOT_APPLICABLE, detail=why)


def check_deviation(replayer: Replayer, deviation: Deviation, true_types: Mapping[int, AgentType],
                    claims: Sequence[Claim], options: AuditOptions | None = None, path: str | None = None,
                    skip: Mapping[str, str] | None = None, to_end: bool = False,
                    replayed: Replayed | None = None) -> CheckedDeviation:
    """Replay ``deviation`` and return its comparisons, per-claim verdicts and findings.

    Deviation-level claims are checked on the deviators' outcomes; run-level claims (budget
    feasibility, IR, ...) on the deviating run when it was replayed to its end (``to_end``, or
    the ``"full"`` path). An invariant breach the mechanism raised during the replay is a
    violation of the claim it names (budget feasibility, IR, capacity) or, when no checked
    claim covers it, an ``"invariant"`` finding. ``skip`` maps claim keys to a reason for
    "not applicable". ``replayed`` reuses a replay already made.
    """
    for a in deviation.reports:
        require(a in true_types, "true_types", a, "the true type of every deviating agent")
    options = options if options is not None else AuditOptions()
    path = path or options.path
    kind = PATHS.get(path, path)
    if replayed is None:
        keep = deviation.size > 1 and any(c.key == "gsp1" for c in claims)
        replayed = replayer.replay(deviation, path, to_end=to_end, keep_states=keep) if kind != "full" else \
            replayer.replay(deviation, "full")
    truth_map = replayed.baseline.outcomes
    got = replayed.outcomes
    truth: dict[int, Outcome] = {}
    served = True
    for a in deviation.reports:
        if a in truth_map:
            truth[a] = truth_map[a]
        else:
            served = False
        if a not in got:
            served = False
    comps = {a: compare(true_types[a], truth[a], got[a]) for a in deviation.reports} if served else {}
    case = DeviationCase(deviation, true_types, truth, dict(got), comps, replayer, replayed, options)
    results: dict[str, ClaimResult] = {}
    run_results: dict[str, list[ClaimResult]] = {}
    skip = skip or {}
    err = replayed.error
    if err is not None:
        keys = {c.key for c in claims}
        covered = getattr(err, "claim", None)
        if covered in keys:
            run_results[covered] = [ClaimResult(covered, VIOLATED, "invariant breach",
                                                f"the deviating run stopped at tick {replayed.error_tick}: {err}")]
        else:
            case.findings.append(Finding("invariant", f"the deviating run stopped at tick {replayed.error_tick}: "
                                                      f"{err}", deviation))
    for claim in claims:
        if claim.key in run_results:
            continue
        chk = checker_for(claim.key)
        if claim.key in skip:
            results[claim.key] = ClaimResult(claim.key, NOT_APPLICABLE, detail=skip[claim.key])
        elif chk is None:
            results[claim.key] = ClaimResult(claim.key, NO_CHECKER, detail=f"no checker for {claim.key!r}")
        elif chk.level == "deviation":
            results[claim.key] = chk.fn(case, claim) if served else \
                _stopped(claim, "the replay stopped (invariant breach) before every deviator was served")
        elif replayed.run is not None:
            # a deviating run is judged with the reports as declared (the mechanism's guarantee
            # is relative to what it was told; budget feasibility and IR ignore types anyway)
            run_results[claim.key] = [chk.fn(replayed.run, {}, claim)]
    return CheckedDeviation(deviation, replayed, truth, comps, results, run_results, list(case.findings))


@dataclass
class ClaimTally:
    """Counts for one claim in one cell."""

    checked: int = 0
    violations: int = 0
    not_applicable: int = 0
    no_checker: int = 0
    conditions: Counter = field(default_factory=Counter)
    methods: Counter = field(default_factory=Counter)
    first_detail: str = ""
    random: int = 0

    def add(self, r: ClaimResult, design: str = "probe") -> None:
        """Count one result (of a deviation of ``design``)."""
        if r.status == NO_CHECKER:
            self.no_checker += 1
            if not self.first_detail:
                self.first_detail = r.detail
            return
        if r.status == NOT_APPLICABLE:
            self.not_applicable += 1
            if not self.first_detail:
                self.first_detail = r.detail
            return
        self.checked += 1
        self.random += design == "random"
        if r.condition:
            self.conditions[r.condition] += 1
        if "supports " in r.detail:
            self.methods[r.detail.split("supports ", 1)[1].rstrip(")")] += 1
        if r.status == VIOLATED:
            self.violations += 1
            if self.violations == 1:
                self.first_detail = r.detail

    @property
    def design(self) -> str:
        """``"random"`` when every checked case came from a random-sample design, else ``"probe"``."""
        return "random" if self.checked and self.random == self.checked else "probe"


@dataclass
class Cell:
    """One (mechanism, strategy or search, coalition size, market size) cell of the table."""

    mechanism: str
    strategy: str
    coalition_size: int
    n: int
    deviations: int = 0
    profitable: int = 0
    gains: list[float] = field(default_factory=list)
    claims: dict[str, ClaimTally] = field(default_factory=dict)
    paths: Counter = field(default_factory=Counter)
    invalid: int = 0
    invalid_detail: str = ""
    random: int = 0

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.mechanism, self.strategy, self.coalition_size, self.n)

    @property
    def design(self) -> str:
        """``"random"`` when every deviation of the cell came from a random-sample design."""
        return "random" if self.deviations and self.random == self.deviations else "probe"


class AuditReport:
    """The result of an audit: per-cell statistics, run-level checks, verdicts, findings, counterexamples.

    Build with :func:`audit`; combine reports of several markets (replica sizes, seeds) with
    :meth:`combine`.
    """

    def __init__(self, claims: Sequence[Claim]):
        self.claims = list(claims)
        self.cells: dict[tuple[str, str, int, int], Cell] = {}
        self.run_tallies: dict[str, ClaimTally] = {}
        self.counterexamples: dict[str, list[Counterexample]] = {}
        self.saved: dict[str, list[pathlib.Path]] = {}
        self.violation_totals: Counter = Counter()
        #: claim key -> 1-based position, in the deviation stream, of the first violating deviation
        self.first_violation_at: dict[str, int] = {}
        #: claim key -> whether the audited runs lay inside its theorem's assumptions
        self.gates: dict[str, Gate] = {}
        #: things the mechanism said about itself that its own run contradicts
        self.findings: list[Finding] = []
        #: what was verified, in words (cross-checks, distribution tests, reproductions)
        self.verified: Counter = Counter()
        #: claim key -> context quoted in its verdict (e.g. the recomputed ECEEI clearing error)
        self.context: dict[str, str] = {}
        self.unreproduced: Counter = Counter()

    # ---- accumulation ---------------------------------------------------------------------
    def _cell(self, mechanism: str, strategy: str, size: int, n: int) -> Cell:
        key = (mechanism, strategy, size, n)
        if key not in self.cells:
            self.cells[key] = Cell(mechanism, strategy, size, n)
        return self.cells[key]

    def add(self, mechanism: str, n: int, checked: CheckedDeviation) -> None:
        """Count one checked deviation into its cell."""
        d = checked.deviation
        cell = self._cell(mechanism, d.label, d.size, n)
        cell.deviations += 1
        cell.random += d.design == "random"
        cell.profitable += int(checked.profitable)
        cell.gains.append(checked.gain)
        cell.paths[checked.replayed.path] += 1
        for k, r in checked.results.items():
            cell.claims.setdefault(k, ClaimTally()).add(r, d.design)
        for rs in checked.run_results.values():
            for r in rs:
                self.add_run_result(r)

    def add_run_result(self, r: ClaimResult) -> None:
        """Count one run-level verdict."""
        self.run_tallies.setdefault(r.claim, ClaimTally()).add(r)

    def add_finding(self, f: Finding) -> None:
        """Record a finding (kept in full for the first few of each kind, all counted)."""
        self.verified[f"finding:{f.kind}"] += 1
        if sum(1 for g in self.findings if g.kind == f.kind) < KEEP_COUNTEREXAMPLES:
            self.findings.append(f)

    def keep(self, cx: Counterexample) -> None:
        """Keep a counterexample (the first few per claim)."""
        self.violation_totals[cx.claim.key] += 1
        lst = self.counterexamples.setdefault(cx.claim.key, [])
        if len(lst) < KEEP_COUNTEREXAMPLES:
            lst.append(cx)

    @classmethod
    def combine(cls, reports: Sequence[AuditReport]) -> AuditReport:
        """Return one report holding the cells, findings and counterexamples of ``reports``.

        Cells with the same key (same mechanism, strategy, coalition size and n) are merged.
        """
        claims: dict[str, Claim] = {}
        for r in reports:
            for c in r.claims:
                claims.setdefault(c.key, c)
        out = cls(list(claims.values()))
        for r in reports:
            for key, c in r.cells.items():
                t = out._cell(*key)
                _add_counts(t, c, ("deviations", "random", "profitable", "gains", "paths", "invalid"))
                t.invalid_detail = t.invalid_detail or c.invalid_detail
                for k, tally in c.claims.items():
                    _merge_tally(t.claims.setdefault(k, ClaimTally()), tally)
            for k, tally in r.run_tallies.items():
                _merge_tally(out.run_tallies.setdefault(k, ClaimTally()), tally)
            for k, lst in r.counterexamples.items():
                out.counterexamples.setdefault(k, []).extend(lst)
            for k, lst in r.saved.items():
                out.saved.setdefault(k, []).extend(lst)
            for k, pos in r.first_violation_at.items():
                out.first_violation_at.setdefault(k, pos)
            for k, g in r.gates.items():
                prev = out.gates.get(k)
                out.gates[k] = g if prev is None or prev.inside else prev
            for k, v in r.context.items():
                out.context.setdefault(k, v)
            out.violation_totals += r.violation_totals
            out.verified += r.verified
            out.unreproduced += r.unreproduced
            out.findings.extend(r.findings)
        return out

    # ---- reading ----------------------------------------------------------------------------
    def violations(self, claim: str) -> int:
        """Return the number of deviations/runs that violated ``claim``."""
        n = sum(c.claims[claim].violations for c in self.cells.values() if claim in c.claims)
        return n + (self.run_tallies[claim].violations if claim in self.run_tallies else 0)

    def checked(self, claim: str) -> int:
        """Return how many deviations/runs ``claim`` was checked on (applicable, with a checker)."""
        n = sum(c.claims[claim].checked for c in self.cells.values() if claim in c.claims)
        return n + (self.run_tallies[claim].checked if claim in self.run_tallies else 0)

    def violations_inside(self, claim: str) -> int:
        """Return the violations of ``claim`` on runs inside its theorem's assumptions (0 outside)."""
        g = self.gates.get(claim)
        return self.violations(claim) if g is None or g.inside else 0

    @property
    def flagged(self) -> bool:
        """True when a finding was made or a claim was violated inside its assumptions.

        (Violations outside a theorem's assumptions are reported, but the paper claims nothing
        there: they do not flag the mechanism. Asymptotic claims are judged by their trend.)
        """
        return bool(self.findings) or any(self.violations_inside(c.key) for c in self.claims
                                          if c.key not in ASYMPTOTIC)

    def table(self):
        """Return a pandas DataFrame, one row per (mechanism, strategy, coalition size, n, claim).

        Columns: deviations, profitable, share_profitable with its Wilson 95% interval
        (ci_lo, ci_hi: random-sample cells only, NaN for probe sets), mean_gain, max_gain,
        checked, violations, violation_rate and rate_upper (random-sample cells only: exact
        Clopper-Pearson bound), design, conditions, paths (replay paths), gate (inside or
        outside the theorem's assumptions), verdict.
        """
        import pandas as pd

        rows = []
        for cell in sorted(self.cells.values(), key=lambda c: c.key):
            rnd = cell.design == "random"
            lo, hi = wilson_interval(cell.profitable, cell.deviations) if rnd else (math.nan, math.nan)
            base = {"mechanism": cell.mechanism, "strategy": cell.strategy, "coalition_size": cell.coalition_size,
                    "n": cell.n, "design": cell.design, "deviations": cell.deviations, "profitable": cell.profitable,
                    "share_profitable": cell.profitable / cell.deviations if cell.deviations else 0.0,
                    "ci_lo": lo, "ci_hi": hi,
                    "mean_gain": sum(cell.gains) / len(cell.gains) if cell.gains else 0.0,
                    "max_gain": max(cell.gains) if cell.gains else 0.0,
                    "paths": ", ".join(f"{k}: {v}" for k, v in sorted(cell.paths.items())),
                    "invalid": cell.invalid}
            for claim in self.claims:
                tally = cell.claims.get(claim.key)
                if tally is None:
                    continue
                rows.append({**base, **self._claim_cols(claim, tally, cell)})
        for claim in self.claims:
            if claim.key in self.run_tallies:
                tally = self.run_tallies[claim.key]
                rows.append({"mechanism": self._mechanisms(), "strategy": "(every run)", "coalition_size": 0,
                             "n": 0, "design": "census", **self._claim_cols(claim, tally, None)})
        return pd.DataFrame(rows)

    def _mechanisms(self) -> str:
        return ",".join(sorted({c.mechanism for c in self.cells.values()}))

    def _claim_cols(self, claim: Claim, t: ClaimTally, cell: Cell | None) -> dict[str, Any]:
        rate = t.violations / t.checked if t.checked else 0.0
        if t.design == "random" and cell is not None:
            upper = zero_rate_upper_bound(t.checked) if t.violations == 0 else exact_interval(t.violations, t.checked)[1]
        else:
            upper = math.nan
        g = self.gates.get(claim.key)
        return {"claim": claim.key, "checked": t.checked, "violations": t.violations, "violation_rate": rate,
                "rate_upper": upper, "conditions": ", ".join(f"{k}: {v}" for k, v in sorted(t.conditions.items())),
                "gate": "inside" if g is None or g.inside else "outside the theorem's assumptions",
                "verdict": self._verdict(claim, t, where=_where(cell))}

    def _verdict(self, claim: Claim, t: ClaimTally, where: str = "") -> str:
        name = display_name(claim.key)
        gate = self.gates.get(claim.key)
        outside = gate is not None and not gate.inside
        ctx = f"; {self.context[claim.key]}" if claim.key in self.context else ""
        if t.checked == 0:
            if t.no_checker:
                return f"{name}: no checker ({t.first_detail})" if t.first_detail else f"{name}: no checker"
            if t.not_applicable:
                cases = f"{t.not_applicable} run{'s' if t.not_applicable != 1 else ''}" if where else \
                    f"{t.not_applicable} case{'s' if t.not_applicable != 1 else ''}"
                return f"{name}: not applicable{where} in {cases} ({t.first_detail or 'assumption not met'})"
            return f"{name}: not checked{where} (no cases)"
        method = ""
        if t.methods:
            method = "; supports " + ", ".join(f"{k} ({v})" for k, v in sorted(t.methods.items()))
        conds = ""
        if t.conditions and claim.key == "gsp1":
            conds = " [" + ", ".join(f"condition {k}: {v}" for k, v in sorted(t.conditions.items())) + "]"
        unit = "runs" if where == " (every run)" else "deviations"
        design = t.design if where != " (every run)" else "census"
        if claim.key in ASYMPTOTIC:
            lo, hi = exact_interval(t.violations, t.checked)
            ci = f" [{format_rate(lo)}, {format_rate(hi)}] (exact 95%)" if design == "random" else \
                " (deterministic probe set: no interval)"
            if claim.key == "sp1":
                return (f"{name}{where}: {t.violations} of {t.checked} pairs not dominated at distance >= eps, "
                        f"share {format_rate(t.violations / t.checked)}{ci} (asymptotic claim: judge the trend "
                        f"across n with sp1_study)")
            return (f"{name}{where}: {t.violations} of {t.checked} runs not certified within eps of an ordinally "
                    f"efficient allocation ({t.first_detail}) (asymptotic claim: judge the trend across n with "
                    f"efficiency_study)")
        gate_txt = f" -- outside the theorem's assumptions ({gate.why}): the paper claims nothing here" if outside else ""
        if outside:
            from .nearest import nearest_hint

            hint = nearest_hint(claim.key, exclude=[c.key for c in self.claims])
            gate_txt += f"; {hint}" if hint else ""
        if t.violations == 0:
            if design == "random":
                stat = (f"0 violations in {t.checked:,} randomly drawn {unit} (exact one-sided 95% upper bound on "
                        f"the violation rate of that population: {format_rate(zero_rate_upper_bound(t.checked))})")
            elif design == "census":
                stat = f"0 violations in {t.checked:,} {unit} (every run checked)"
            else:
                stat = (f"0 violations in {t.checked:,} {unit} (deterministic probe set: counts only, no rate "
                        f"is claimed)")
            return f"consistent with {name}{where}: {stat}{conds}{method}{ctx}{gate_txt}"
        saved = self.saved.get(claim.key)
        first = f"first saved to {saved[0]}" if saved else f"first: {t.first_detail}"
        under = f" (claimed under: {claim.assumptions})" if claim.assumptions and not outside else ""
        stat = ""
        if design == "random":
            lo, hi = exact_interval(t.violations, t.checked)
            stat = f", rate {format_rate(t.violations / t.checked)} [{format_rate(lo)}, {format_rate(hi)}] exact 95%"
        rep = ""
        if self.verified.get(f"reproduced:{claim.key}"):
            rep = f"; {self.verified[f'reproduced:{claim.key}']} counterexample(s) reproduced by a fresh run"
        return f"{name} violated{where}: {t.violations} of {t.checked:,} {unit}{stat}, {first}{conds}{method}" \
               f"{rep}{ctx}{under}{gate_txt}"

    def verdicts(self) -> list[str]:
        """Return one verdict line per claim (over every cell), then the findings and what was verified."""
        lines = []
        for claim in self.claims:
            t = ClaimTally()
            for cell in self.cells.values():
                if claim.key in cell.claims:
                    _merge_tally(t, cell.claims[claim.key])
            if claim.key in self.run_tallies:
                rt = self.run_tallies[claim.key]
                if t.checked == 0 and t.no_checker == 0:
                    if not (claim.key in IMPLIED_SOURCES and claim.source == IMPLIED_SOURCES[claim.key]
                            and rt.checked == 0):
                        lines.append(self._verdict(claim, rt, where=" (every run)"))
                    continue
                _merge_tally(t, rt)
                t.random = 0  # run-level results are not a random sample of deviations
            if claim.key in IMPLIED_SOURCES and claim.source == IMPLIED_SOURCES[claim.key] and t.checked == 0:
                continue  # an implied check that does not apply to this mechanism: not news
            lines.append(self._verdict(claim, t))
        bad = [c for c in self.cells.values() if c.invalid]
        if bad:
            lines.append(f"{sum(c.invalid for c in bad)} deviation(s) not audited (refused by the mechanism as "
                         f"invalid reports, or after the truthful run stopped), e.g. {bad[0].invalid_detail}")
        kinds = Counter(f.kind for f in self.findings)
        words = {"shortcut": "SHORTCUT INCONSISTENT", "distribution": "DECLARED DISTRIBUTION INCONSISTENT",
                 "checkpoint": "CHECKPOINT REPLAY INCONSISTENT", "reproduction": "COUNTEREXAMPLE NOT REPRODUCED",
                 "invariant": "INVARIANT BREACH"}
        for kind in kinds:
            total = self.verified.get(f"finding:{kind}", kinds[kind])
            first = next(f for f in self.findings if f.kind == kind)
            lines.append(f"{words.get(kind, kind.upper())}: {total} case(s); first: {first.detail}")
        ver = self.verification_line()
        if ver:
            lines.append(ver)
        return lines

    def verification_line(self) -> str:
        """Return, in one line, what the auditor verified of the mechanism's own answers."""
        v = self.verified
        parts = []
        if v.get("crosscheck"):
            parts.append(f"{v['crosscheck']} replays cross-checked against fresh runs from tick 0"
                         + (f" ({v['crosscheck_bad']} disagreed)" if v.get("crosscheck_bad") else ""))
        if v.get("shortcut_checked"):
            parts.append(f"{v['shortcut_checked']} shortcut answers checked against protocol replays"
                         + (f" ({v['shortcut_bad']} disagreed)" if v.get("shortcut_bad") else ""))
        if v.get("distribution_pairs"):
            parts.append(f"declared outcome distributions: every realised outcome checked for membership, "
                         f"{v['distribution_pairs']} (agent, report) pairs frequency-tested over "
                         f"{v['distribution_draws_each']} redraws each (Bonferroni exact binomial, "
                         f"alpha {v.get('alpha_milli', 1) / 1000:g})"
                         + (f": {v['distribution_bad']} rejected" if v.get("distribution_bad") else ""))
        if v.get("run_checks"):
            parts.append(f"{v['run_checks']} deviating runs continued to the end for the run-level claims")
        if v.get("reproduced_total"):
            parts.append(f"{v['reproduced_total']} counterexample(s) reproduced from scratch"
                         + (f", {sum(self.unreproduced.values())} did not" if self.unreproduced else ""))
        return ("verified: " + "; ".join(parts)) if parts else ""

    def save(self, directory: str | pathlib.Path) -> pathlib.Path:
        """Write ``table.csv``, ``verdicts.txt`` and ``counterexamples/*.json`` under ``directory``.

        Returns the directory. Counterexample paths are recorded so later verdicts name them.
        """
        d = pathlib.Path(directory)
        (d / "counterexamples").mkdir(parents=True, exist_ok=True)
        self.saved = {}
        for key, lst in self.counterexamples.items():
            for k, cx in enumerate(lst):
                p = cx.save(d / "counterexamples" / f"{key}-{cx.mechanism}-{k}.json")
                self.saved.setdefault(key, []).append(p)
        self.table().to_csv(d / "table.csv", index=False)
        (d / "verdicts.txt").write_text("\n".join(self.verdicts()) + "\n")
        return d


def _where(cell: Cell | None) -> str:
    return " (every run)" if cell is None else ""


def _merge_tally(into: ClaimTally, t: ClaimTally) -> None:
    if t.violations and not into.violations:
        into.first_detail = t.first_detail
    elif not into.first_detail:
        into.first_detail = t.first_detail
    _add_counts(into, t, ("checked", "random", "violations", "not_applicable", "no_checker", "conditions", "methods"))


def _add_counts(into: Any, other: Any, names: Sequence[str]) -> None:
    """Add ``other``'s counts (numbers, lists, Counters) named ``names`` to ``into``'s, in place."""
    for n in names:
        setattr(into, n, getattr(into, n) + getattr(other, n))


def _market_size(schedule: Sequence[Sequence[Report]]) -> int:
    return sum(len(t) for t in schedule)


def _sample(rng: np.random.Generator, items: list[int], share: float, minimum: int) -> list[int]:
    """Return a seeded sample of ``items``: ``share`` of them, at least ``minimum`` (all if fewer)."""
    k = min(len(items), max(minimum, int(math.ceil(share * len(items)))))
    if k >= len(items):
        return list(items)
    return sorted(int(i) for i in rng.choice(items, size=k, replace=False))


def _same(a: Mapping[int, Outcome], b: Mapping[int, Outcome], agents: Iterable[int]) -> bool:
    return all(a.get(x) == b.get(x) for x in agents)


class _Auditor:
    """One audit's state: the replayer, the report and the trust checks (see :func:`audit`)."""

    def __init__(self, rp: Replayer, true_types: Mapping[int, AgentType], claims: list[Claim],
                 options: AuditOptions, scenario: Mapping[str, Any] | None, n: int):
        self.rp, self.true_types, self.claims, self.options = rp, true_types, claims, options
        self.scenario, self.n = scenario, n
        self.name = rp.spec.name
        self.report = AuditReport(claims)
        self.rng = np.random.default_rng(np.random.SeedSequence([rp.seed, 0x7257]))
        self.keys = {c.key: c for c in claims}

    def dev_claims(self) -> list[Claim]:
        return [c for c in self.claims if (chk := checker_for(c.key)) is None or chk.level == "deviation"]

    def run_claims(self) -> list[Claim]:
        return [c for c in self.claims if (chk := checker_for(c.key)) is not None and chk.level == "run"]

    # ---- one cell ----------------------------------------------------------------------
    def check_all(self, devs: list[Deviation], idx: list[int], path: str) -> dict[int, CheckedDeviation]:
        out = {}
        claims = self.dev_claims() + self.run_claims()
        for i in idx:
            out[i] = check_deviation(self.rp, devs[i], self.true_types, claims, self.options, path=path)
        return out

    def crosscheck(self, devs: list[Deviation], idx: list[int], got: dict[int, CheckedDeviation],
                   path: str) -> bool:
        """Cross-check a seeded sample of the cell; return False when the path's answers are wrong."""
        rp, v = self.rp, self.report.verified
        ok = True
        for i in _sample(self.rng, idx, self.options.crosscheck_share, self.options.crosscheck_min):
            d, c = devs[i], got[i]
            ref, err = rp.full(d, to_end=False)
            v["crosscheck"] += 1
            if not _same(ref.outcomes, c.replayed.outcomes, d.reports):
                v["crosscheck_bad"] += 1
                kind = "shortcut" if c.replayed.path == "shortcut" else "checkpoint"
                self.report.add_finding(Finding(
                    kind, f"{d.label} deviation of agent(s) {list(d.agents)}: the {c.replayed.path} path answered "
                    f"{_fmt(c.replayed.outcomes, d.agents)}, a fresh run from tick 0 gives {_fmt(ref.outcomes, d.agents)}"
                    + ("" if kind == "shortcut" else " (the mechanism's state does not survive a copy)"),
                    d, dict(ref.outcomes), dict(c.replayed.outcomes)))
                ok = False
            # the mechanism's own shortcut, asked even when the audit does not use it
            if c.replayed.path != "shortcut" and rp.spec.incremental and d.size == 1 \
                    and rp.base_for(d.reports) is rp.base:
                (a, rep), = d.reports.items()
                try:
                    s = rp.incremental(a, rep)
                except (NotImplementedError, ConfigError):
                    continue
                except Exception as e:  # noqa: BLE001  (an untrusted accelerator that crashes: a finding)
                    v["shortcut_checked"] += 1
                    v["shortcut_bad"] += 1
                    self.report.add_finding(Finding(
                        "shortcut", f"{d.label} deviation of agent {a}: the mechanism's unilateral_outcome raised "
                        f"{type(e).__name__}: {e}; its own online run gives {_fmt(ref.outcomes, [a])}",
                        d, dict(ref.outcomes), {}))
                    continue
                v["shortcut_checked"] += 1
                if s != ref.outcomes.get(a):
                    v["shortcut_bad"] += 1
                    self.report.add_finding(Finding(
                        "shortcut", f"{d.label} deviation of agent {a}: the mechanism's unilateral_outcome says "
                        f"{_fmt({a: s}, [a])}, its own online run gives {_fmt(ref.outcomes, [a])}",
                        d, dict(ref.outcomes), {a: s}))
        return ok

    def run_checks(self, devs: list[Deviation], idx: list[int], got: dict[int, CheckedDeviation]) -> None:
        """Continue a seeded sample of the cell's deviating runs to the end for the run-level claims."""
        rc = self.run_claims()
        if not rc:
            return
        for i in _sample(self.rng, idx, self.options.run_check_share, self.options.run_check_min):
            d = devs[i]
            try:
                c = check_deviation(self.rp, d, self.true_types, rc, self.options, path="protocol", to_end=True)
            except ConfigError:
                continue
            self.report.verified["run_checks"] += 1
            got[i].run_results.update(c.run_results)
            got[i].findings.extend(f for f in c.findings if f.kind == "invariant")
            if got[i].replayed.run is None:
                got[i].replayed.run = c.replayed.run

    def distribution_test(self, devs: list[Deviation], idx: list[int], got: dict[int, CheckedDeviation]) -> None:
        """Frequency test of declared outcome distributions on a few (agent, report) pairs of the cell."""
        rp, opts, v = self.rp, self.options, self.report.verified
        if not hasattr(rp.base.mech, "outcome_distribution") or opts.distribution_pairs <= 0:
            return
        cands = [i for i in idx if devs[i].size == 1 and got[i].comparisons
                 and rp.base_for(devs[i].reports) is rp.base]
        for i in _sample(self.rng, cands, 0.0, opts.distribution_pairs):
            d = devs[i]
            (a, rep), = d.reports.items()
            t = rp.tick_of(a)
            state = rp.base.state_before(t)
            decl = declared_distribution(state, a, rep)
            if decl is None:
                continue
            counts: Counter = Counter()
            K = opts.distribution_draws
            for k in range(K):
                s = int(np.random.SeedSequence([rp.seed, 0xD157, a, k]).generate_state(1, dtype=np.uint32)[0])
                r = rp.base.replay({a: rep}, {a: t}, streams=Streams(s))
                o = r.outcomes.get(a)
                if o is not None:
                    counts[int(o.bundle)] += 1
            v["distribution_pairs"] += 1
            v["distribution_draws_each"] = K
            v["alpha_milli"] = int(round(opts.alpha * 1000)) or 1
            outside = [b for b in counts if b not in decl]
            total = sum(counts.values())
            pmin = min((binomial_pvalue(counts.get(b, 0), total, q) for b, q in decl.items()), default=1.0)
            if outside or pmin * len(decl) < opts.alpha:
                v["distribution_bad"] += 1
                what = (f"{sum(counts[b] for b in outside)} of {total} redraws realised bundles outside the declared "
                        f"support {sorted(decl)}" if outside else
                        f"realised frequencies {dict(counts)} over {total} redraws reject the declared "
                        f"{ {b: round(q, 4) for b, q in decl.items()} } (Bonferroni p = {min(1.0, pmin * len(decl)):.2g})")
                self.report.add_finding(Finding("distribution", f"agent {a} declaring {d.label}: {what}", d))

    # ---- counterexamples ---------------------------------------------------------------
    def reproduce(self, cx: Counterexample) -> bool:
        """Re-run a counterexample from scratch through the protocol and re-check its claim.

        Uses the audit's own factory and schedule (a fresh mechanism from tick 0, every report
        as in the counterexample); records the outcome in ``verified`` or as a finding.
        """
        from mechanisms.checkpoint import replay_from_scratch

        rp = self.rp
        try:
            if not cx.reports:  # a run-level violation of the truthful run
                run, err = replay_from_scratch(rp.factory, rp.schedule, rp.seed)
                if err is not None:
                    ok = getattr(err, "claim", None) == cx.claim.key
                    fresh = "violated" if ok else f"stopped by another breach: {err}"
                else:
                    res = checker_for(cx.claim.key).fn(run, self.true_types, cx.claim)  # type: ignore[union-attr]
                    ok, fresh = res.violated, res.status
                outs: dict[int, Outcome] = {}
            else:
                c = check_deviation(rp, Deviation(cx.reports, cx.label), self.true_types, [cx.claim], self.options,
                                    path="full")
                res = c.results.get(cx.claim.key) or next(iter(c.run_results.get(cx.claim.key, [])), None)
                outs = dict(c.replayed.outcomes)
                same = all(outs.get(a) == cx.deviation_outcomes.get(a) for a in cx.reports) and \
                    all(c.truth.get(a) == cx.truth.get(a) for a in cx.reports)
                ok = same and res is not None and res.violated
                fresh = res.status if res is not None else "no verdict"
        except (ConfigError, InvariantError) as e:
            self.report.add_finding(Finding("reproduction", f"{cx.claim.key}: replaying the counterexample failed: {e}"))
            return False
        v = self.report.verified
        v["reproduced_total"] += 1
        if ok:
            v[f"reproduced:{cx.claim.key}"] += 1
            return True
        self.report.unreproduced[cx.claim.key] += 1
        self.report.add_finding(Finding(
            "reproduction", f"a {cx.claim.key} violation found on the {cx.path} path does not reproduce from "
                            f"scratch (fresh verdict: {fresh}); both answers are kept",
            None, outs, dict(cx.deviation_outcomes)))
        return False

    def counterexample(self, checked: CheckedDeviation | None, claim: Claim, result: ClaimResult,
                       finding: str = "") -> Counterexample:
        rp = self.rp
        cfg = rp.base.config
        store = self.scenario is None or _market_size(rp.schedule) <= MAX_INLINE_REPORTS
        if checked is None:  # a run-level violation of the truthful run: no deviators
            dev_reports: dict[int, AgentType] = {}
            truth: dict[int, Outcome] = {}
            devo: dict[int, Outcome] = {}
            label, path = "truthful run", "full"
        else:
            dev_reports = dict(checked.deviation.reports)
            truth, devo = checked.truth, dict(checked.replayed.outcomes)
            label, path = checked.deviation.label, checked.replayed.path
        kw: dict[str, Any] = {}
        names = {f.name for f in fields(Counterexample)}
        if finding and "finding" in names:
            kw["finding"] = finding
        return Counterexample(claim, result, cfg.name, dict(cfg.params), cfg.market, rp.seed,
                              {a: self.true_types[a] for a in dev_reports}, dev_reports, label, truth, devo,
                              rp.schedule if store else None,
                              dict(self.scenario) if self.scenario is not None else None, self.options, path, **kw)


def _fmt(outs: Mapping[int, Outcome], agents: Iterable[int]) -> str:
    def one(o: Outcome | None) -> str:
        if o is None:
            return "nothing (not served)"
        for attr in ("bundle", "obj"):
            if hasattr(o, attr):
                return f"{attr} {getattr(o, attr)}"
        if hasattr(o, "hired"):
            return f"hired={o.hired} paid {o.payment:g}"  # type: ignore[attr-defined]
        return repr(o)

    return ", ".join(f"agent {a}: {one(outs.get(a))}" for a in agents)


def audit(factory: Callable[[], OnlineMechanism], schedule: Sequence[Sequence[Report]],
          true_types: Mapping[int, AgentType], seed: int, deviations: Iterable[Deviation],
          claims: Iterable[str | Claim] | None = None, *, options: AuditOptions | None = None,
          scenario: Mapping[str, Any] | None = None, save: str | pathlib.Path | None = None,
          n: int | None = None, progress: bool = False) -> AuditReport:
    """Audit one run: replay every deviation under common random numbers and check the claims.

    Parameters
    ----------
    factory : callable
        Returns a fresh configured mechanism (its ``spec``, ``market`` and ``params`` are
        written to counterexamples, so they rebuild without the scenario loader).
    schedule : list of list of Report
        The run's reports tick by tick (normally every agent truthful).
    true_types : Mapping[int, AgentType]
        True type of every agent that may deviate (gains are judged under these).
    seed : int
        The run's seed (the mechanism's coins in every replay).
    deviations : iterable of Deviation
        The deviations to try (from strategies, coalitions or best-response search); each
        carries its study design (``"probe"`` or ``"random"``).
    claims : iterable of str or Claim, optional
        Claims to check; default: the mechanism's ``spec.claims``. The checks that need no
        assumption and that a claim rests on are added. Keys without a checker are reported
        as "no checker".
    options : AuditOptions, optional
        SP1 epsilon, support draws K, replay path, cross-check and test sizes.
    scenario : dict, optional
        The scenario the run came from, stored verbatim in counterexamples.
    save : path, optional
        When given, :meth:`AuditReport.save` is called on it before returning.
    n : int, optional
        Market size for the table; default: number of reports in ``schedule``.
    progress : bool
        Show a progress bar (deviations replayed, invalid ones as failures, ETA) on a terminal.

    Returns
    -------
    AuditReport
        Verdicts per claim (inside or outside each theorem's assumptions), findings where the
        mechanism's own declarations contradict its online run, and reproduced counterexamples.
    """
    options = options or AuditOptions()
    require(options.path in PATHS, "audit.path", options.path, f"one of {sorted(PATHS)}")
    path = PATHS[options.path]
    rp = Replayer(factory, schedule, seed, true_types)
    mech = rp.base.mech
    claim_list = resolve_claims(mech, claims)
    n = _market_size(schedule) if n is None else n
    au = _Auditor(rp, true_types, claim_list, options, scenario, n)
    report = au.report
    report.gates = {c.key: gate_for(c, rp.base.config, schedule) for c in claim_list}
    from ..progress import Progress

    devs = list(deviations)
    bar = Progress(len(devs), desc=f"auditing {au.name}", quiet=not progress, unit="deviation")
    # group by cell, replay in arrival order of the first deviator (a forward sweep of the baseline)
    cells: dict[tuple[str, int], list[int]] = {}
    first_tick: dict[int, int] = {}
    invalid: dict[int, str] = {}
    for i, d in enumerate(devs):
        try:
            first_tick[i] = min(rp.tick_of(a) for a in d.reports)
        except ConfigError as e:
            invalid[i] = str(e)
            continue
        cells.setdefault((d.label, d.size), []).append(i)
    got: dict[int, CheckedDeviation] = {}
    for idx in cells.values():
        idx.sort(key=lambda i: first_tick[i])
        ok_idx = []
        for i in idx:
            d = devs[i]
            stop = rp.base.error_tick
            if stop is not None and max(rp.tick_of(a) for a in d.reports) >= stop:
                invalid[i] = f"the truthful run stopped at tick {stop} ({rp.base.error}), before this deviation"
                bar.update("failed")
                continue
            try:
                got[i] = check_deviation(rp, d, true_types, au.dev_claims() + au.run_claims(), options, path=path)
                ok_idx.append(i)
                bar.update("done")
            except InvariantError:
                # the lazily stepped truthful run broke down (and says so) before this deviation
                stop = rp.base.error_tick
                if stop is None or max(rp.tick_of(a) for a in d.reports) < stop:
                    raise
                invalid[i] = f"the truthful run stopped at tick {stop} ({rp.base.error}), before this deviation"
                bar.update("failed")
            except ConfigError as e:
                # a report outside the mechanism's domain (e.g. a bid above the budget B, which
                # Section 2 of the procurement paper excludes): not a deviation, counted apart
                invalid[i] = str(e)
                bar.update("failed")
        if not ok_idx:
            continue
        if not au.crosscheck(devs, ok_idx, got, path):
            # the path's answers are wrong: re-audit the whole cell from scratch
            for i in ok_idx:
                got[i] = check_deviation(rp, devs[i], true_types, au.dev_claims() + au.run_claims(), options,
                                         path="full")
        au.run_checks(devs, ok_idx, got)
        au.distribution_test(devs, ok_idx, got)
    bar.close()
    # run-level claims on the truthful run (and the breach that stopped it, if any)
    truth = rp.truth
    if rp.base.error is not None:
        err = rp.base.error
        covered = getattr(err, "claim", None)
        if covered in au.keys:
            r = ClaimResult(covered, VIOLATED, "invariant breach",
                            f"the truthful run stopped at tick {rp.base.error_tick}: {err}")
            report.add_run_result(r)
            report.keep(au.counterexample(None, au.keys[covered], r))
        else:
            report.add_finding(Finding("invariant", f"the truthful run stopped at tick {rp.base.error_tick}: {err}"))
    else:
        for c in au.run_claims():
            r = checker_for(c.key).fn(truth, true_types, c)  # type: ignore[union-attr]
            report.add_run_result(r)
            if r.violated:
                report.keep(au.counterexample(None, c, r))
    eceei = recompute_eceei(truth) if rp.base.error is None else None
    if eceei is not None:
        for k in RESTS_ON_ECEEI:
            report.context[k] = f"rests on the sample ECEEI, whose relative clearing error the auditor " \
                                f"recomputes as {eceei[0]:.2g}"
    # tally in the order the deviations were given (first_violation_at positions)
    for i, d in enumerate(devs):
        if i in invalid:
            cell = report._cell(au.name, d.label, d.size, n)
            cell.invalid += 1
            cell.invalid_detail = cell.invalid_detail or invalid[i]
            continue
        checked = got[i]
        report.add(au.name, n, checked)
        for f in checked.findings:
            report.add_finding(f)
        for key, r in list(checked.results.items()) + [(k, x) for k, xs in checked.run_results.items() for x in xs]:
            if r.violated:
                report.first_violation_at.setdefault(key, i + 1)
                report.keep(au.counterexample(checked, au.keys[key], r))
    # every kept counterexample is reproduced through the protocol, from scratch
    if options.reproduce:
        for lst in report.counterexamples.values():
            for cx in lst:
                if cx.claim.key not in ASYMPTOTIC:
                    au.reproduce(cx)
    if save is not None:
        report.save(save)
    return report
