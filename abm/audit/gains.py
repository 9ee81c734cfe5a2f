"""What a deviation gained, measured under the deviator's TRUE type (issue 7, item 2).

One function per outcome family, and :func:`compare` dispatching on the true type:

- bundles (OCAM, SD over bundles): rank improvement under the true strict ranking, and
  whether the deviating bundle is better "by at most one object" (OCAM paper, Definition 6
  (ii): there is a good j with ``x_truth >=_i (x_dev - e^j)^+``);
- objects with lotteries (SEM): first-order stochastic dominance under the true weak order
  (SEM paper, Section 2, "Stochastic Dominance") and the sup-norm distance of the lotteries
  (SEM paper, Definition 6);
- procurement: utility ``payment - true cost`` when hired, 0 otherwise (budget-feasible paper,
  Section 2: quasi-linear sellers).

Reading decision (the one bundle ranking, ``BundleRanking.rank``, shared with EF1): a bundle
outside the agent's feasible set Psi_i ranks below the empty bundle (utility -inf, OCAM
Section 3.1), so ``x_truth >= (x_dev - e^j)^+`` holds whenever the reduced bundle is
infeasible for the agent.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mechanisms.checks import lottery as _lottery
from mechanisms.market import bundle_items
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome

#: Tolerance for probability and money comparisons (lotteries and payments come from solvers).
TOL = 1e-9


@dataclass(frozen=True, slots=True)
class Comparison:
    """One deviator's outcome under deviation versus under truth, judged by its true type.

    Attributes
    ----------
    gain : float
        How much better the deviation is (<= 0 when not better): bundle rank improvement;
        for lotteries the largest increase, over indifference classes k, of the probability of
        an option at least as good as class k; for procurement the utility difference.
    profitable : bool
        The deviating outcome is strictly better: a strictly better bundle, a lottery that
        strictly stochastically dominates, a strictly higher utility.
    within_one : bool or None
        Bundles only: the deviating bundle is no better than the truthful one after removing
        some single good (Definition 6 (ii) of the OCAM paper, for this pair).
    dominated : bool or None
        Lotteries only: the truthful lottery weakly stochastically dominates the deviating one.
    distance : float or None
        Lotteries only: sup-norm distance of the two lotteries.
    """

    gain: float
    profitable: bool
    within_one: bool | None = None
    dominated: bool | None = None
    distance: float | None = None


# ---- bundles ------------------------------------------------------------------------------
def bundle_rank_gain(true: BundleRanking, x_truth: int, x_dev: int) -> int:
    """Return ``rank(x_truth) - rank(x_dev)`` under the true ranking (positive: deviation better).

    Ranks are positions in the true order, the empty bundle after every listed bundle and
    infeasible bundles after it (:meth:`~mechanisms.preferences.BundleRanking.rank`).
    """
    return true.rank(x_truth) - true.rank(x_dev)


def weakly_better_bundle(true: BundleRanking, x: int, y: int) -> bool:
    """Return True when ``x`` is weakly preferred to ``y`` under the true strict ranking."""
    return true.rank(x) <= true.rank(y)


def better_by_at_most_one_object(true: BundleRanking, x_truth: int, x_dev: int) -> bool:
    """Return True when some good j has ``x_truth >=_true (x_dev - e^j)^+`` (OCAM Definition 6 (ii)).

    A j outside ``x_dev`` leaves it unchanged, so the condition holds when ``x_truth`` is already
    weakly better, or when removing one good of ``x_dev`` makes it no better than ``x_truth``.
    """
    r = true.rank(x_truth)
    if r <= true.rank(x_dev):
        return True
    return any(r <= true.rank(x_dev & ~(1 << j)) for j in bundle_items(x_dev))


def compare_bundles(true: BundleRanking, x_truth: int, x_dev: int) -> Comparison:
    """Return the :class:`Comparison` of two bundles under the true ranking."""
    g = bundle_rank_gain(true, x_truth, x_dev)
    return Comparison(float(g), g > 0, better_by_at_most_one_object(true, x_truth, x_dev))


# ---- lotteries --------------------------------------------------------------------------
def as_lottery(outcome: ObjectOutcome, n_objects: int) -> np.ndarray:
    """Return the outcome's lottery over the n_objects + 1 options (null last).

    Outcomes without a lottery are the degenerate lottery on the realised object.
    """
    if outcome.lottery is not None:
        return np.asarray(outcome.lottery, dtype=np.float64)
    a = np.zeros(n_objects + 1)
    a[outcome.obj] = 1.0
    return a


def upper_contour_gaps(order: WeakOrder, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Return ``U @ a - U @ b``: per indifference class k, Pr_a(option >= class k) - Pr_b(...).

    ``a`` weakly stochastically dominates ``b`` (SEM paper, Section 2) iff every entry is
    >= 0 (up to :data:`TOL`).
    """
    U = order.upper_contour_matrix()
    return U @ (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))


def stochastically_dominates(order: WeakOrder, a: np.ndarray, b: np.ndarray, strict: bool = False) -> bool:
    """Return True when lottery ``a`` (weakly, or strictly if ``strict``) dominates ``b``.

    SEM paper, Section 2: a' dominates a when for each x, sum_{y >= x} a'^y >= sum_{y >= x} a^y;
    strict when, in addition, some inequality is strict. Delegates to
    :func:`mechanisms.checks.lottery.stochastically_dominates`.
    """
    return _lottery.stochastically_dominates(a, b, order, strict=strict, tol=TOL)


def sup_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Return the sup-norm distance ``max_x |a^x - b^x|`` of two lotteries (SEM Definition 6).

    Delegates to :func:`mechanisms.checks.lottery.sup_norm`.
    """
    return _lottery.sup_norm(a, b)


def compare_lotteries(true: WeakOrder, a_truth: np.ndarray, a_dev: np.ndarray) -> Comparison:
    """Return the :class:`Comparison` of a truthful and a deviating lottery under the true order."""
    gaps = upper_contour_gaps(true, a_dev, a_truth)  # > 0 where deviating puts more mass up top
    gain = float(max(0.0, gaps.max()))
    profitable = stochastically_dominates(true, a_dev, a_truth, strict=True)
    dominated = stochastically_dominates(true, a_truth, a_dev)
    return Comparison(gain if gain > TOL else 0.0, profitable, dominated=dominated,
                      distance=sup_distance(a_truth, a_dev))


# ---- procurement ------------------------------------------------------------------------
def compare_hires(true: Cost, o_truth: HireOutcome, o_dev: HireOutcome) -> Comparison:
    """Return the :class:`Comparison` of two procurement outcomes by true utility."""
    g = true.utility(o_dev) - true.utility(o_truth)  # Cost.utility: the one definition
    return Comparison(g if abs(g) > TOL else 0.0, g > TOL)


def compare(true: AgentType, truth: Outcome, dev: Outcome) -> Comparison:
    """Return how ``dev`` compares with ``truth`` for an agent of type ``true``.

    Dispatches on the true type: bundles (:func:`compare_bundles`), objects
    (:func:`compare_lotteries`, degenerate lotteries when the outcome has none) and costs
    (:func:`compare_hires`).
    """
    if isinstance(true, BundleRanking):
        assert isinstance(truth, BundleOutcome) and isinstance(dev, BundleOutcome)
        return compare_bundles(true, truth.bundle, dev.bundle)
    if isinstance(true, WeakOrder):
        assert isinstance(truth, ObjectOutcome) and isinstance(dev, ObjectOutcome)
        return compare_lotteries(true, as_lottery(truth, true.n_objects), as_lottery(dev, true.n_objects))
    if isinstance(true, Cost):
        assert isinstance(truth, HireOutcome) and isinstance(dev, HireOutcome)
        return compare_hires(true, truth, dev)
    from mechanisms.fair_division.valuations import Valuation

    if isinstance(true, Valuation):
        return compare_goods(true, truth, dev)
    raise TypeError(f"no gain measure for a true type {type(true).__name__}")


# ---- fair division of arriving goods ------------------------------------------------------
def compare_goods(true, truth: Outcome, dev: Outcome) -> Comparison:
    """Return the :class:`Comparison` of two bundles of arrived goods by TRUE additive value.

    Fair-division paper, Section 2: v_i(S) = sum of v_i(g) over S; the gain is
    v_i(A_i under deviation) - v_i(A_i under truth), profitable when positive.
    """
    from mechanisms.reports import GoodsOutcome

    assert isinstance(truth, GoodsOutcome) and isinstance(dev, GoodsOutcome)
    g = true.value(dev.goods) - true.value(truth.goods)
    scale = max(1.0, abs(true.value(truth.goods)))
    return Comparison(g if abs(g) > TOL * scale else 0.0, g > TOL * scale)
