"""The auditor's entry point: replay deviations, measure gains, check claims, give verdicts.

>>> report = audit(factory, schedule, true_types, seed, deviations)   # doctest: +SKIP
>>> report.table()        # one row per (mechanism, strategy, coalition size, n, claim)
>>> report.verdicts()     # one line per claim
>>> report.save("out/")   # tables, verdicts and counterexample JSON files

(issue 7, items 1-4; the worked example is in ``docs/audit.md``.)
"""
from __future__ import annotations

import pathlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AgentType
from mechanisms.protocol import Claim, OnlineMechanism
from mechanisms.reports import Outcome, Report

from .claims import (NO_CHECKER, NOT_APPLICABLE, VIOLATED, AuditOptions, ClaimResult, DeviationCase,
                     checker_for)
from .counterexample import MAX_INLINE_REPORTS, Counterexample
from .gains import Comparison, compare
from .replay import Deviation, Replayed, Replayer
from .stats import format_rate, wilson_interval, zero_rate_upper_bound

#: Claims whose per-deviation events are evidence for an asymptotic statement, not violations.
ASYMPTOTIC = {"sp1"}

#: Counterexamples kept in memory per claim (all violations are counted).
KEEP_COUNTEREXAMPLES = 5


@dataclass
class CheckedDeviation:
    """One deviation after replay: outcomes, comparisons, and every claim's verdict."""

    deviation: Deviation
    replayed: Replayed
    truth: dict[int, Outcome]
    comparisons: dict[int, Comparison]
    results: dict[str, ClaimResult]
    run_results: dict[str, list[ClaimResult]]

    @property
    def gain(self) -> float:
        """Largest gain among the deviators."""
        return max(c.gain for c in self.comparisons.values())

    @property
    def profitable(self) -> bool:
        """True when some deviator is strictly better off."""
        return any(c.profitable for c in self.comparisons.values())


def resolve_claims(mech: OnlineMechanism, claims: Iterable[str | Claim] | None) -> list[Claim]:
    """Return the claims to check: the mechanism's declared ones, or those named in ``claims``.

    A named key the mechanism does not declare is checked anyway (source "requested by the user").
    """
    declared = {c.key: c for c in mech.spec.claims}
    if claims is None:
        return list(mech.spec.claims)
    out = []
    for c in claims:
        if isinstance(c, Claim):
            out.append(c)
        else:
            out.append(declared.get(c, Claim(str(c), "requested by the user")))
    return out


def assumption_holds(claim: Claim, schedule: Sequence[Sequence[Report]]) -> tuple[bool, str]:
    """Return whether the run meets the claim's stated assumptions the auditor can test.

    Recognised: "one arrival per period" (SEM Theorem 5's strategyproofness, |I^t| = 1).
    Other assumptions are taken as met and quoted in the verdict.
    """
    a = claim.assumptions.lower().replace(" ", "")
    if "onearrivalperperiod" in a or "|i^t|=1" in a or "onearrivalpertick" in a:
        ok = all(len(t) <= 1 for t in schedule)
        return ok, "" if ok else f"assumption not met: {claim.assumptions}"
    return True, ""


def check_deviation(replayer: Replayer, deviation: Deviation, true_types: Mapping[int, AgentType],
                    claims: Sequence[Claim], options: AuditOptions = AuditOptions(), path: str | None = None,
                    skip: Mapping[str, str] | None = None) -> CheckedDeviation:
    """Replay ``deviation`` and return its comparisons and per-claim verdicts.

    Deviation-level claims are checked on the deviators' outcomes; run-level claims
    (budget feasibility, IR, ...) on the deviating run when it was fully replayed.
    ``skip`` maps claim keys to a reason for "not applicable" (unmet assumptions).
    """
    for a in deviation.reports:
        require(a in true_types, "true_types", a, "the true type of every deviating agent")
    replayed = replayer.replay(deviation, path or options.path)
    truth = {a: replayed.baseline.outcomes[a] for a in deviation.reports}
    comps = {a: compare(true_types[a], truth[a], replayed.outcomes[a]) for a in deviation.reports}
    case = DeviationCase(deviation, true_types, truth, dict(replayed.outcomes), comps, replayer, replayed, options)
    results: dict[str, ClaimResult] = {}
    run_results: dict[str, list[ClaimResult]] = {}
    skip = skip or {}
    for claim in claims:
        chk = checker_for(claim.key)
        if claim.key in skip:
            results[claim.key] = ClaimResult(claim.key, NOT_APPLICABLE, detail=skip[claim.key])
        elif chk is None:
            results[claim.key] = ClaimResult(claim.key, NO_CHECKER, detail=f"no checker for {claim.key!r}")
        elif chk.level == "deviation":
            results[claim.key] = chk.fn(case, claim)
        elif replayed.run is not None:
            # a deviating run is judged with the reports as declared (the mechanism's guarantee
            # is relative to what it was told; budget feasibility and IR ignore types anyway)
            run_results[claim.key] = [chk.fn(replayed.run, {}, claim)]
    return CheckedDeviation(deviation, replayed, truth, comps, results, run_results)


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

    def add(self, r: ClaimResult) -> None:
        if r.status == NO_CHECKER:
            self.no_checker += 1
            return
        if r.status == NOT_APPLICABLE:
            self.not_applicable += 1
            if not self.first_detail:
                self.first_detail = r.detail
            return
        self.checked += 1
        if r.condition:
            self.conditions[r.condition] += 1
        if "supports " in r.detail:
            self.methods[r.detail.split("supports ", 1)[1].rstrip(")")] += 1
        if r.status == VIOLATED:
            self.violations += 1
            if not self.first_detail or self.violations == 1:
                self.first_detail = r.detail


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

    @property
    def key(self) -> tuple[str, str, int, int]:
        return (self.mechanism, self.strategy, self.coalition_size, self.n)


class AuditReport:
    """The result of an audit: per-cell statistics, run-level checks, verdicts, counterexamples.

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
        cell.profitable += int(checked.profitable)
        cell.gains.append(checked.gain)
        cell.paths[checked.replayed.path] += 1
        for k, r in checked.results.items():
            cell.claims.setdefault(k, ClaimTally()).add(r)
        for k, rs in checked.run_results.items():
            for r in rs:
                self.add_run_result(r)

    def add_run_result(self, r: ClaimResult) -> None:
        """Count one run-level verdict."""
        self.run_tallies.setdefault(r.claim, ClaimTally()).add(r)

    def keep(self, cx: Counterexample) -> None:
        """Keep a counterexample (the first few per claim)."""
        self.violation_totals[cx.claim.key] += 1
        lst = self.counterexamples.setdefault(cx.claim.key, [])
        if len(lst) < KEEP_COUNTEREXAMPLES:
            lst.append(cx)

    @classmethod
    def combine(cls, reports: Sequence[AuditReport]) -> AuditReport:
        """Return one report holding the cells and counterexamples of ``reports``.

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
                t.deviations += c.deviations
                t.profitable += c.profitable
                t.gains += c.gains
                t.paths += c.paths
                t.invalid += c.invalid
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
            out.violation_totals += r.violation_totals
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

    def table(self):
        """Return a pandas DataFrame, one row per (mechanism, strategy, coalition size, n, claim).

        Columns: deviations, profitable, share_profitable with its Wilson 95% interval
        (ci_lo, ci_hi), mean_gain, max_gain, checked, violations, violation_rate, rate_upper
        (Wilson upper bound, or the exact zero-event bound when there are no violations),
        conditions (which part of the definition decided, with counts), paths (replay paths),
        verdict.
        """
        import pandas as pd

        rows = []
        for cell in sorted(self.cells.values(), key=lambda c: c.key):
            lo, hi = wilson_interval(cell.profitable, cell.deviations)
            base = {"mechanism": cell.mechanism, "strategy": cell.strategy, "coalition_size": cell.coalition_size,
                    "n": cell.n, "deviations": cell.deviations, "profitable": cell.profitable,
                    "share_profitable": cell.profitable / cell.deviations if cell.deviations else 0.0,
                    "ci_lo": lo, "ci_hi": hi,
                    "mean_gain": sum(cell.gains) / len(cell.gains) if cell.gains else 0.0,
                    "max_gain": max(cell.gains) if cell.gains else 0.0,
                    "paths": ", ".join(f"{k}: {v}" for k, v in sorted(cell.paths.items())),
                    "invalid": cell.invalid}
            for claim in self.claims:
                tally = cell.claims.get(claim.key, ClaimTally())
                rows.append({**base, **self._claim_cols(claim, tally, cell)})
        for claim in self.claims:
            if claim.key in self.run_tallies:
                tally = self.run_tallies[claim.key]
                rows.append({"mechanism": self._mechanisms(), "strategy": "(every run)", "coalition_size": 0,
                             "n": 0, **self._claim_cols(claim, tally, None)})
        return pd.DataFrame(rows)

    def _mechanisms(self) -> str:
        return ",".join(sorted({c.mechanism for c in self.cells.values()}))

    def _claim_cols(self, claim: Claim, t: ClaimTally, cell: Cell | None) -> dict[str, Any]:
        rate = t.violations / t.checked if t.checked else 0.0
        upper = zero_rate_upper_bound(t.checked) if t.violations == 0 else wilson_interval(t.violations, t.checked)[1]
        return {"claim": claim.key, "checked": t.checked, "violations": t.violations, "violation_rate": rate,
                "rate_upper": upper, "conditions": ", ".join(f"{k}: {v}" for k, v in sorted(t.conditions.items())),
                "verdict": self._verdict(claim, t, where=_where(cell))}

    def _verdict(self, claim: Claim, t: ClaimTally, where: str = "") -> str:
        name = claim.key.upper() if len(claim.key) <= 4 else claim.key.replace("_", " ")
        if t.checked == 0:
            if t.no_checker:
                return f"{name}: no checker"
            if t.not_applicable:
                cases = f"{t.not_applicable} run{'s' if t.not_applicable != 1 else ''}" if where else \
                    f"{t.not_applicable} case{'s' if t.not_applicable != 1 else ''}"
                return f"{name}: not applicable{where} in {cases} ({t.first_detail or 'assumption not met'})"
            return f"{name}: not checked{where} (no cases)"
        method = ""
        if t.methods:
            method = "; supports " + ", ".join(sorted(t.methods))
        conds = ""
        if t.conditions and claim.key == "gsp1":
            conds = " [" + ", ".join(f"condition {k}: {v}" for k, v in sorted(t.conditions.items())) + "]"
        if claim.key in ASYMPTOTIC:
            lo, hi = wilson_interval(t.violations, t.checked)
            return (f"{name}{where}: {t.violations} of {t.checked} pairs not dominated at distance >= eps, "
                    f"share {format_rate(t.violations / t.checked)} [{format_rate(lo)}, {format_rate(hi)}] "
                    f"(asymptotic claim: judge the trend across n)")
        if t.violations == 0:
            return (f"consistent with {name}{where} on {t.checked:,} {'runs' if where == ' (every run)' else 'deviations'}: "
                    f"0 violations, rate < {format_rate(zero_rate_upper_bound(t.checked))} at 95%{conds}{method}")
        saved = self.saved.get(claim.key)
        first = f"first saved to {saved[0]}" if saved else f"first: {t.first_detail}"
        under = f" (claimed under: {claim.assumptions})" if claim.assumptions else ""
        return f"{name} violated{where}: {t.violations} counterexample{'s' if t.violations != 1 else ''} " \
               f"in {t.checked:,}, {first}{conds}{method}{under}"

    def verdicts(self) -> list[str]:
        """Return one verdict line per claim (over every cell of the report), then a line on
        deviations the mechanism refused as invalid reports, if any."""
        lines = []
        for claim in self.claims:
            t = ClaimTally()
            for cell in self.cells.values():
                if claim.key in cell.claims:
                    _merge_tally(t, cell.claims[claim.key])
            if claim.key in self.run_tallies:
                rt = self.run_tallies[claim.key]
                if t.checked == 0 and t.no_checker == 0:
                    lines.append(self._verdict(claim, rt, where=" (every run)"))
                    continue
                _merge_tally(t, rt)
            lines.append(self._verdict(claim, t))
        bad = [c for c in self.cells.values() if c.invalid]
        if bad:
            lines.append(f"{sum(c.invalid for c in bad)} deviation(s) refused by the mechanism as invalid reports "
                         f"(not counted), e.g. {bad[0].invalid_detail}")
        return lines

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
    into.checked += t.checked
    into.violations += t.violations
    into.not_applicable += t.not_applicable
    into.no_checker += t.no_checker
    into.conditions += t.conditions
    into.methods += t.methods
    if t.violations and not (into.first_detail and into.violations > t.violations):
        into.first_detail = into.first_detail or t.first_detail
    elif not into.first_detail:
        into.first_detail = t.first_detail


def _market_size(schedule: Sequence[Sequence[Report]]) -> int:
    return sum(len(t) for t in schedule)


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
        The deviations to try (from strategies, coalitions or best-response search).
    claims : iterable of str or Claim, optional
        Claims to check; default: the mechanism's ``spec.claims``. Keys without a checker are
        reported as "no checker".
    options : AuditOptions, optional
        SP1 epsilon, support draws K, replay path.
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
    """
    options = options or AuditOptions()
    rp = Replayer(factory, schedule, seed, true_types)
    mech = rp.truth.mechanism
    name = mech.spec.name
    claim_list = resolve_claims(mech, claims)
    report = AuditReport(claim_list)
    n = _market_size(schedule) if n is None else n
    skip = {}
    for c in claim_list:
        ok, why = assumption_holds(c, schedule)
        if not ok:
            skip[c.key] = why
    # run-level claims on the truthful run
    for c in claim_list:
        chk = checker_for(c.key)
        if chk is not None and chk.level == "run" and c.key not in skip:
            r = chk.fn(rp.truth, true_types, c)
            report.add_run_result(r)
            if r.violated:
                report.keep(_counterexample(rp, None, c, r, true_types, scenario, options))
    deviation_claims = [c for c in claim_list if (chk := checker_for(c.key)) is None or chk.level == "deviation"
                        or c.key in skip]
    run_claims = [c for c in claim_list if c not in deviation_claims]
    from ..progress import Progress

    bar = Progress(len(deviations) if hasattr(deviations, "__len__") else None, desc=f"auditing {name}",
                   quiet=not progress, unit="deviation")
    for pos, dev in enumerate(deviations, start=1):
        try:
            checked = check_deviation(rp, dev, true_types, deviation_claims + run_claims, options, skip=skip)
            bar.update("done")
        except ConfigError as e:
            bar.update("failed")
            # a report outside the mechanism's domain (e.g. a bid above the budget B, which
            # Section 2 of the procurement paper excludes): not a deviation, counted apart
            cell = report._cell(name, dev.label, dev.size, n)
            cell.invalid += 1
            cell.invalid_detail = cell.invalid_detail or str(e)
            continue
        report.add(name, n, checked)
        for key, r in list(checked.results.items()) + [(k, x) for k, xs in checked.run_results.items() for x in xs]:
            if r.violated:
                report.first_violation_at.setdefault(key, pos)
                claim = next(c for c in claim_list if c.key == key)
                report.keep(_counterexample(rp, checked, claim, r, true_types, scenario, options))
    bar.close()
    if save is not None:
        report.save(save)
    return report


def _counterexample(rp: Replayer, checked: CheckedDeviation | None, claim: Claim, result: ClaimResult,
                    true_types: Mapping[int, AgentType], scenario: Mapping[str, Any] | None,
                    options: AuditOptions) -> Counterexample:
    mech = rp.truth.mechanism
    store = scenario is None or _market_size(rp.schedule) <= MAX_INLINE_REPORTS
    if checked is None:  # a run-level violation of the truthful run: no deviators
        dev_reports: dict[int, AgentType] = {}
        truth: dict[int, Outcome] = {}
        devo: dict[int, Outcome] = {}
        label, path = "truthful run", "full"
    else:
        dev_reports = dict(checked.deviation.reports)
        truth, devo = checked.truth, dict(checked.replayed.outcomes)
        label, path = checked.deviation.label, checked.replayed.path
    return Counterexample(claim, result, mech.spec.name, dict(mech.params), mech.market, rp.seed,
                          {a: true_types[a] for a in dev_reports}, dev_reports, label, truth, devo,
                          rp.schedule if store else None, dict(scenario) if scenario is not None else None,
                          options, path)
