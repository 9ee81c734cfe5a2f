"""The auditor: replay deviations under common random numbers, measure gains under the true
types, check each mechanism's declared claims against the papers' definitions, and give
verdicts with replayable counterexamples. No Mesa import.

Trust model (``docs/audit.md``): only the online protocol (``start``, ``step``) and the
auditor's own computations decide a verdict; a mechanism's shortcuts and declared distributions
are cross-checked, every kept counterexample is reproduced from scratch.

Entry points: :func:`audit` -> :class:`AuditReport` (``.table()``, ``.verdicts()``,
``.findings``, ``.save(dir)``); :func:`load_counterexample`, :func:`explain`,
:func:`replay_counterexample`; the zoo of mutants (:mod:`mechanisms.mutants`) in :mod:`abm.audit.zoo`;
:func:`sp1_study` across replica sizes.
"""
from .audit import AuditReport, CheckedDeviation, audit, check_deviation
from .claims import CLAIM_CHECKERS, AuditOptions, ClaimResult, Finding
from .counterexample import (Counterexample, explain, load_counterexample,
                             replay_counterexample, set_scenario_loader)
from .gains import Comparison, compare
from .replay import Deviation, Replayer, unilateral
from .studies import SP1Study, sp1_study

__all__ = [
    "AuditOptions", "AuditReport", "CLAIM_CHECKERS", "CheckedDeviation", "ClaimResult", "Comparison", "Finding",
    "Counterexample", "Deviation", "Replayer", "SP1Study", "audit", "check_deviation",
    "compare", "explain", "load_counterexample", "replay_counterexample", "set_scenario_loader", "sp1_study", "unilateral",
]
