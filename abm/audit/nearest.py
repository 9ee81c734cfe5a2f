"""The nearest claim that does apply, when a claim's assumption fails (issue 14, item 1).

A claim such as SEM's ``strategyproof_single_arrival`` (Theorem 5, Claim 5: strategyproof when
one agent arrives per period) is "not applicable" on a market with several arrivals per period.
That answer alone leaves the user stranded: the question they asked ("is SEM manipulable with 3
arrivals per period?") is the plain strategyproofness question, which the auditor can check on
any market. :data:`NEAREST` maps a claim key to the claims that ask the closest question without
the failing assumption, each with what it means; :func:`nearest_hint` phrases the verdict's
suffix, naming the claim and how to ask for it (in a scenario's ``[audit]`` table, on the
command line, from Python).

Used by ``abm.api`` and ``python -m abm search`` (they substitute the nearest claim when the
declared one does not apply) and by the verdict lines (:func:`annotate_verdicts`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

#: claim key -> ((alternative key, what it checks), ...), nearest first.
NEAREST: dict[str, tuple[tuple[str, str], ...]] = {
    # SEM Theorem 5, Claim 5 holds for |I^t| = 1; with several arrivals per period the paper
    # claims SP1 (Definition 6, Corollary 1) and the plain question is strategyproofness itself.
    "strategyproof_single_arrival": (
        ("strategyproof", "no unilateral misreport is strictly better under the true type, on this market "
                          "(the property itself, without the one-arrival assumption)"),
        ("sp1", "SEM Definition 6: misreports of the own period's types, share of pairs at distance >= eps "
                "(an asymptotic claim: compare replica sizes)"),
    ),
    # DACEEI is claimed w.h.p. under Assumptions 1-2 (OCAM Theorem 2); EF1 and GSP1 hold for any size.
    "daceei": (
        ("ef1", "OCAM Definition 2: post-sample agents' bundles envy-free up to one good (any market size)"),
        ("gsp1", "OCAM Definition 6: no coalition gains beyond one object (any market size)"),
    ),
    # SP1 is a limit statement; on one finite market the checkable question is strategyproofness.
    "sp1": (
        ("strategyproof", "no unilateral misreport is strictly better under the true type, on this market"),
    ),
    # OCAM's GSP1 is about groups; a single agent's question is strategyproofness (not claimed by OCAM).
    "gsp1": (
        ("strategyproof", "unilateral misreports only (OCAM does not claim it: expect violations)"),
    ),
}


def nearest_claims(key: str, exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Return the claims nearest to ``key`` as ``(key, meaning)`` pairs, nearest first.

    Keys in ``exclude`` (e.g. claims already being checked, or themselves not applicable) are
    left out. An unknown key has no alternatives (empty list).
    """
    skip = set(exclude)
    return [(k, why) for k, why in NEAREST.get(key, ()) if k not in skip]


def how_to_ask(key: str) -> str:
    """Return how to ask for claim ``key``: the ``[audit]`` line, the CLI flag and the API argument."""
    return (f'claims = ["{key}"] in the scenario\'s [audit] table, --claims {key} on the command line, '
            f'or claims=["{key}"] in abm.audit(...)')


def nearest_hint(key: str, exclude: Iterable[str] = ()) -> str:
    """Return the verdict suffix for a claim whose assumption fails ("" when none is known).

    E.g. for ``strategyproof_single_arrival``: ``'nearest claim that applies: strategyproof (no
    unilateral misreport ...); ask for it with claims = ["strategyproof"] in ...'``.
    """
    alts = nearest_claims(key, exclude)
    if not alts:
        return ""
    (k, why), rest = alts[0], alts[1:]
    more = "" if not rest else "; also " + ", ".join(f"{r} ({w})" for r, w in rest)
    return f"nearest claim that applies: {k} ({why}); ask for it with {how_to_ask(k)}{more}"


#: How the auditor's verdicts say a claim's assumption fails ("not applicable", or checked
#: anyway "outside the theorem's assumptions").
OUTSIDE_MARKS = ("not applicable", "outside the theorem's assumptions")

#: Marker of a verdict line that already carries a hint (so annotating twice adds nothing).
HINT_MARK = "nearest claim that applies:"


def claim_of_line(line: str, claim_keys: Sequence[str]) -> str | None:
    """Return the claim key a verdict line is about (the longest key it names), or None.

    Verdicts name a claim as its key, with spaces for underscores, or upper-cased when short
    (``GSP1``, ``SP1``, ``EF1``).
    """
    low = line.lower()
    named = [k for k in claim_keys if k.lower() in low or k.replace("_", " ").lower() in low]
    return max(named, key=len) if named else None


def annotate_verdicts(lines: Sequence[str], claim_keys: Sequence[str]) -> list[str]:
    """Return ``lines`` with the nearest-claim hint appended to each verdict saying a claim's
    assumption fails (:data:`OUTSIDE_MARKS`) that lacks one.

    The claim of a line is found by name (:func:`claim_of_line`), so extra lines (notes, the
    verification summary) are left alone. Idempotent: a line already carrying a hint
    (:data:`HINT_MARK`) is unchanged. Claims being checked already are not suggested.
    """
    out = list(lines)
    for i, line in enumerate(out):
        if not any(m in line for m in OUTSIDE_MARKS) or HINT_MARK in line:
            continue
        key = claim_of_line(line, claim_keys)
        hint = nearest_hint(key, exclude=claim_keys) if key is not None else ""
        if hint:
            out[i] = f"{line}; {hint}"
    return out
