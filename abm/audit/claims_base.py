"""The verdict of one claim on one case: :class:`ClaimResult` and its statuses.

Kept apart from :mod:`abm.audit.claims` so that checker modules (``invariants``, family
checks) import it without importing the claim registry.
"""
from __future__ import annotations

from dataclasses import dataclass

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
