"""What a conformance run found: one row per check, and the error that lists every failure.

A :class:`ConformanceReport` holds a :class:`CheckResult` per check and place (market case,
seed); :attr:`ConformanceReport.failures` lists the failed ones as :class:`ConformanceFailure`
(check, where, message). :meth:`ConformanceReport.raise_if_failed` raises one
:class:`ConformanceError` naming all of them, in the spirit of scikit-learn's
``check_estimator`` (which raises ``AssertionError``), so a test fails with the whole list,
not with the first problem only.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

#: Statuses of one check.
PASSED, FAILED = "passed", "FAILED"


@dataclass(frozen=True)
class CheckResult:
    """One check at one place: ``check`` (its name), ``where`` (market case, seed), ``passed``, ``detail``."""

    check: str
    passed: bool
    detail: str = ""
    where: str = ""

    @property
    def status(self) -> str:
        """``"passed"`` or ``"FAILED"``."""
        return PASSED if self.passed else FAILED


@dataclass(frozen=True)
class ConformanceFailure:
    """A failed check: which check, where, and a message saying what was wrong."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        """Return ``[check] (where): message``."""
        return f"[{self.check}]" + (f" ({self.where})" if self.where else "") + f": {self.message}"


class ConformanceError(AssertionError):
    """Raised by ``raise_on_failure=True``: the message lists every failed check of the report."""

    def __init__(self, report: ConformanceReport):
        self.report = report
        fails = report.failures
        lines = [f"{report.subject} fails {len(fails)} conformance check(s):"] + [f"  - {f}" for f in fails]
        super().__init__("\n".join(lines))


@dataclass
class ConformanceReport:
    """The results of ``check_mechanism`` or ``check_strategy`` on one subject.

    Attributes
    ----------
    subject : str
        What was checked (``"mechanism sd"``, ``"strategy truncate:k=1"``).
    results : list of CheckResult
        Every check, in the order run.
    """

    subject: str
    results: list[CheckResult] = field(default_factory=list)

    def add(self, check: str, passed: bool, detail: str = "", where: str = "") -> CheckResult:
        """Record one check's result and return it."""
        r = CheckResult(check, bool(passed), detail, where)
        self.results.append(r)
        return r

    def extend(self, results: Iterable[CheckResult]) -> None:
        """Record several results."""
        self.results.extend(results)

    @property
    def passed(self) -> bool:
        """True when every check passed (a report with no check at all has not passed)."""
        return bool(self.results) and all(r.passed for r in self.results)

    @property
    def failures(self) -> list[ConformanceFailure]:
        """Every failed check, in the order run."""
        return [ConformanceFailure(r.check, r.where, r.detail) for r in self.results if not r.passed]

    def failed_checks(self) -> set[str]:
        """Return the names of the checks that failed somewhere."""
        return {r.check for r in self.results if not r.passed}

    def checks(self) -> set[str]:
        """Return the names of the checks that ran."""
        return {r.check for r in self.results}

    def raise_if_failed(self) -> ConformanceReport:
        """Return self when every check passed; else raise :class:`ConformanceError` listing the failures."""
        if not self.passed:
            if not self.results:
                self.add("checks", False, "no check ran")
            raise ConformanceError(self)
        return self

    def table(self, width: int = 100) -> str:
        """Return a readable table: one row per check and place, failures with their message."""
        rows = [(r.check, r.where or "-", r.status, r.detail) for r in self.results]
        w0 = max([len("check")] + [len(r[0]) for r in rows])
        w1 = max([len("where")] + [len(r[1]) for r in rows])
        head = f"{'check':<{w0}}  {'where':<{w1}}  {'result':<6}  detail"
        out = [self.subject, head, "-" * min(width, len(head) + 20)]
        for c, w, s, d in rows:  # a failure is printed whole: its message is the point of the table
            out.append(f"{c:<{w0}}  {w:<{w1}}  {s:<6}  {_short(d, width) if s == PASSED else ' '.join(d.split())}")
        n_bad = sum(not r.passed for r in self.results)
        out.append(f"{len(rows)} checks, {n_bad} failed" + ("" if n_bad else ": conforms"))
        return "\n".join(out)

    def __str__(self) -> str:
        """Return :meth:`table`."""
        return self.table()


def _short(text: str, limit: int) -> str:
    """Return ``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
