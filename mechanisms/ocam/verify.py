"""An independent checker of ECEEI certificates (OCAM paper, Definition 4).

It recomputes everything from the certificate's prices, types and random budgets with
:meth:`BundleRanking.best_affordable` (a code path separate from the solver's vectorised
record computation), so a solver bug cannot certify itself.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..market import bundle_vector
from ..preferences import BundleRanking
from .eceei import ECEEICertificate, clearing_error


@dataclass
class ECEEICheck:
    """The verdict on one certificate.

    Attributes
    ----------
    ok : bool
        All conditions hold (clearing within ``tol``).
    budgets_in_range : bool
        Every realisation lies in [1 - eps, 1] (eps-close-to-1, Section 4.1).
    optimal : bool
        Each realisation's bundle is the type's most preferred bundle costing at most that
        budget (equation (1)).
    probabilities : bool
        Each type's probabilities are non-negative and sum to 1.
    clearing_error : float
        Largest relative violation of Definition 4 (a) (over-demand) and (b) (under-demand of a
        good with positive price), from the recomputed expected demand.
    slackness : bool
        Complementary slackness (Definition 4 (b)) holds within ``tol``.
    same_type_same_budget : bool
        Agents with equal reported types share one random budget (Theorem 1).
    prices_nonnegative : bool
    problems : list of str
        Human-readable description of every failure.
    """

    ok: bool
    budgets_in_range: bool
    optimal: bool
    probabilities: bool
    clearing_error: float
    slackness: bool
    same_type_same_budget: bool
    prices_nonnegative: bool
    problems: list[str] = field(default_factory=list)


def verify_eceei(cert: ECEEICertificate, tol: float | None = None,
                 agent_types: Sequence[BundleRanking] | None = None) -> ECEEICheck:
    """Return the check of ``cert`` against Definition 4.

    ``tol`` defaults to ``cert.tol``. ``agent_types`` (one declared type per agent, optional)
    lets the checker confirm that every agent maps to a certificate type and that the type
    multiplicities match, which is what "same type, same random budget" means for agents.
    """
    tol = cert.tol if tol is None else tol
    problems: list[str] = []
    p = np.asarray(cert.prices, dtype=np.float64)
    lo = 1.0 - cert.eps
    nonneg = bool(np.all(p >= 0))
    if not nonneg:
        problems.append(f"negative prices {p[p < 0].tolist()}")
    in_range = optimal = probs = True
    demand = np.zeros(cert.capacity.size)
    for t, (ty, sup) in enumerate(zip(cert.types, cert.support)):
        q = np.array([x[2] for x in sup])
        if len(sup) == 0 or np.any(q < 0) or abs(q.sum() - 1.0) > 1e-9:
            probs = False
            problems.append(f"type {t}: probabilities {q.tolist()} do not form a distribution")
        for bundle, budget, prob in sup:
            if not (lo - 1e-12 <= budget <= 1.0 + 1e-12):
                in_range = False
                problems.append(f"type {t}: budget {budget!r} outside [{lo}, 1]")
            best = ty.best_affordable(p, budget)
            if best != bundle:
                optimal = False
                problems.append(f"type {t}: bundle {bundle} is not the best affordable at budget {budget!r} "
                                f"(best is {best})")
            if bundle:
                demand += cert.counts[t] * prob * bundle_vector(bundle, cert.capacity.size)
    err_vec = clearing_error(demand, cert.capacity, p)
    err = float(err_vec.max()) if err_vec.size else 0.0
    if err > tol:
        problems.append(f"clearing error {err:.3g} > tol {tol:g} (goods {np.flatnonzero(err_vec > tol).tolist()})")
    slack = bool(np.all(np.where(p > 0, np.abs(demand - cert.capacity) / np.maximum(cert.capacity, 1.0), 0.0) <= tol))
    if not slack:
        problems.append("complementary slackness fails: a good with positive price is not exactly cleared")
    same = len(set(cert.types)) == len(cert.types)
    if not same:
        problems.append("the certificate lists one type twice (two random budgets for one type)")
    if agent_types is not None:
        counts = np.zeros(len(cert.types))
        for i, ty in enumerate(agent_types):
            k = cert.type_index(ty)
            if k is None:
                same = False
                problems.append(f"agent {i}: its type is not in the certificate")
            else:
                counts[k] += 1
        if not np.allclose(counts, cert.counts):
            same = False
            problems.append("type multiplicities differ from the agents' reports")
    ok = nonneg and in_range and optimal and probs and err <= tol and slack and same
    return ECEEICheck(ok, in_range, optimal, probs, err, slack, same, nonneg, problems)
