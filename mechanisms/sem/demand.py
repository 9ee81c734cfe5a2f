"""Demand and lottery demand under random prices (SEM paper, Section 3.1).

- :func:`demand`: D_i(p) for one realisation of the random price p + xi: the set of cheapest,
  most preferred affordable options (the formula of Section 3.1).
- :func:`lottery_demand`: L_i(p), the (Aumann) expectation of D_i(p + xi) over the shock,
  computed exactly under no tie-breaking (Assumption 4). With a common shock c every object's
  realised price moves together, so the class an agent buys from depends on c only through
  the thresholds u_k = b_i - min_{x in class k} p_x: the agent buys from class k exactly when
  c <= u_k and c > u_j for every better class j, an event of probability
  max(0, H(u_k) - H(max_{j<k} u_j)). Within that class she buys a cheapest member; when
  several members tie at the minimum price the demand is a correspondence and any split of
  the class's mass over the tied members is allowed (:class:`LotteryDemand`).
- :func:`rtb_lottery_quad`: L_i(p) under random tie-breaking (Assumption 5, zeta_x ~
  U[-z, z]) by deterministic quadrature (the default): with beta = b - c the agent buys
  x in class k iff the class minimum Q_k = min_{y in k} (p_y + zeta_y) is attained at x and
  Q_k <= beta < M_k (M_k the minimum over the better classes), so
  P(x) = int f_x(v) prod_{y in k, y != x} S_y(v) Phi_k(v) dv with
  Phi_k(v) = int_v h(b - w) prod_{y better} S_y(w) dw (S_y the survival function of
  p_y + zeta_y, h the density of c). Both integrals are composite 8-point Gauss-Legendre
  between the kinks (p_y +- z, the ends of h's support), exact for uniform shocks up to
  rounding; demand is a continuous function of p (Theorem 3 (ii)).
- :func:`rtb_lottery`: the same by fixed-draw integration: c integrated exactly, zeta averaged
  over K fixed draws, with the Monte Carlo standard error of every probability.

Prices ``p`` are arrays over the real objects; the null option o has price 0 (it is never
scarce, so Definition 1's complementary slackness forces p_o = 0) and receives the same shock.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..preferences import AFFORD_TOL, WeakOrder
from .shocks import Shock

#: Two prices closer than this are an exact tie (solver prices are floats).
TIE_TOL = 1e-9


def full_prices(p: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return the price vector with the null option's price 0 appended (index m)."""
    return np.append(np.asarray(p, dtype=np.float64), 0.0)


def demand(order: WeakOrder, budget: float, realized: Sequence[float] | np.ndarray,
           tie_tol: float = TIE_TOL) -> tuple[int, ...]:
    """Return D_i(p): the cheapest most preferred affordable options at realised prices.

    ``realized`` holds the realised price p_x + xi_x of every option, null last (length
    n_objects + 1). Section 3.1: the agent takes her best indifference class holding an
    affordable option (price <= budget) and, within it, the options of minimum price; more
    than one option is returned when they tie exactly (the demand correspondence).
    """
    r = np.asarray(realized, dtype=np.float64)
    for cls in order.classes:
        aff = [x for x in cls if r[x] <= budget + AFFORD_TOL]
        if aff:
            lo = min(r[x] for x in aff)
            return tuple(x for x in aff if r[x] <= lo + tie_tol)
    return (order.null,)


@dataclass(frozen=True)
class LotteryDemand:
    """The lottery demand correspondence L_i(p) under no tie-breaking (Section 3.1).

    ``pieces`` lists ``(mass, tied)``: with probability ``mass`` the agent demands the options
    ``tied`` (a cheapest subset of one indifference class); any split of that mass over
    ``tied`` is a selection. Pieces come from distinct classes, so their sets are disjoint.
    """

    pieces: tuple[tuple[float, tuple[int, ...]], ...]
    n_options: int

    def contains(self, lottery: Sequence[float] | np.ndarray, tol: float = 1e-9) -> bool:
        """Return True when ``lottery`` is a selection of this correspondence (within ``tol``)."""
        a = np.asarray(lottery, dtype=np.float64)
        if a.shape != (self.n_options,) or np.any(a < -tol):
            return False
        covered = np.zeros(self.n_options, dtype=bool)
        for mass, tied in self.pieces:
            if abs(a[list(tied)].sum() - mass) > tol:
                return False
            covered[list(tied)] = True
        return bool(np.all(np.abs(a[~covered]) <= tol))

    def selection(self, prefer_null: bool = True) -> np.ndarray:
        """Return one selection: each piece's mass split equally over its tied options.

        With ``prefer_null`` a piece whose tie contains the null option goes entirely to it
        (the convention the equilibrium solver uses, see :mod:`mechanisms.sem.equilibrium`).
        """
        a = np.zeros(self.n_options)
        null = self.n_options - 1
        for mass, tied in self.pieces:
            if prefer_null and null in tied:
                a[null] += mass
            else:
                a[list(tied)] += mass / len(tied)
        return a

    def class_masses(self) -> np.ndarray:
        """Return the mass of each piece, in preference order."""
        return np.array([m for m, _ in self.pieces])


def lottery_demand(order: WeakOrder, budget: float, p: Sequence[float] | np.ndarray, shock: Shock,
                   tie_tol: float = TIE_TOL) -> LotteryDemand:
    """Return L_i(p) under no tie-breaking (Assumption 4), exactly, as a correspondence.

    The agent buys from class k when the common shock c lies in (max_{j<k} u_j, u_k] with
    u_k = budget - min_{x in class k} p_x: probability max(0, H(u_k) - H(max_{j<k} u_j)),
    computed with the shock's CDF H (no sampling). The null option (price 0) is affordable
    for every c by Assumption 3, so the masses sum to 1.
    """
    pf = full_prices(p)
    pieces = []
    reached = 0.0  # H(max_{j<k} u_j): mass already taken by better classes
    for cls in order.classes:
        q = min(pf[x] for x in cls)
        hk = float(shock.cdf(budget - q))
        mass = hk - reached
        if mass > 0:
            pieces.append((mass, tuple(x for x in cls if pf[x] <= q + tie_tol)))
            reached = hk
        if reached >= 1.0:
            break
    return LotteryDemand(tuple(pieces), order.n_objects + 1)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)


def _gl(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and weights on the segments [a_s, b_s]: arrays (segments, 8)."""
    mid, half = 0.5 * (a + b), 0.5 * (b - a)
    return mid[:, None] + half[:, None] * _GL_X[None, :], half[:, None] * _GL_W[None, :]


def _survival(v: np.ndarray, prices: np.ndarray, z: float) -> np.ndarray:
    """Product over the options of P(p_y + zeta_y > v), zeta_y ~ U[-z, z] (1 for no options)."""
    out = np.ones_like(v)
    for py in prices:
        out = out * np.clip((py + z - v) / (2 * z), 0.0, 1.0)
    return out


def rtb_lottery_quad(order: WeakOrder, budget: float, p: Sequence[float] | np.ndarray, shock: Shock) -> np.ndarray:
    """Return L_i(p) under random tie-breaking (Assumption 5) by deterministic quadrature.

    See the module docstring for the formula. Returns the lottery over the options (null
    last); its sum is 1 up to quadrature rounding.
    """
    z = shock.z
    pf = full_prices(p)
    lo_w, hi_w = budget - shock.c_upper, budget - shock.c_lower   # where h(b - w) > 0
    out = np.zeros(order.n_objects + 1)
    better: list[int] = []
    for cls in order.classes:
        pb = pf[better]
        kinks = np.array([lo_w, hi_w, budget, *(pb - z), *(pb + z)])
        kinks = np.unique(np.clip(kinks, lo_w, hi_w))

        def phi(w: np.ndarray) -> np.ndarray:
            return shock.pdf(budget - w) * _survival(w, pb, z)

        if kinks.size >= 2:
            nw, ww = _gl(kinks[:-1], kinks[1:])
            seg = (phi(nw) * ww).sum(axis=1)
            suffix = np.append(np.cumsum(seg[::-1])[::-1], 0.0)   # integral from kink s to the top
        else:
            suffix = np.zeros(1)

        def Phi(v: np.ndarray) -> np.ndarray:
            vv = np.clip(v, lo_w, hi_w)
            s_idx = np.clip(np.searchsorted(kinks, vv, side="right") - 1, 0, max(kinks.size - 2, 0))
            end = kinks[np.minimum(s_idx + 1, kinks.size - 1)]
            nodes, wts = _gl(vv.ravel(), end.ravel())
            part = (phi(nodes) * wts).sum(axis=1).reshape(vv.shape)
            return part + suffix[np.minimum(s_idx + 1, suffix.size - 1)]

        members = list(cls)
        pc = pf[members]
        outer = np.unique(np.concatenate((pc - z, pc + z, kinks)))
        for j, x in enumerate(members):
            a, b = pf[x] - z, pf[x] + z
            pts = np.unique(np.clip(outer, a, b))
            if pts.size < 2:
                continue
            nv, wv = _gl(pts[:-1], pts[1:])
            others = np.delete(pc, j)
            out[x] += float((wv * _survival(nv, others, z) * Phi(nv)).sum() / (2 * z))
        better.extend(members)
    return out


def rtb_lottery(order: WeakOrder, budget: float, p: Sequence[float] | np.ndarray, shock: Shock,
                zeta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (L_i(p), standard error) under random tie-breaking (Assumption 5).

    ``zeta`` has shape (K, n_objects + 1): K fixed draws of the idiosyncratic shocks zeta_x
    (null last). For each draw the realised prices are p + zeta + c, so the agent's class
    masses follow from H's CDF exactly as under NTB, and within a class she buys the member
    with the lowest p_x + zeta_x (unique with probability one, Theorem 3 (ii)). The lottery
    is the average over draws; the error is the standard error of that average.
    """
    pf = full_prices(p)[None, :] + np.asarray(zeta, dtype=np.float64)
    K = pf.shape[0]
    out = np.zeros((K, order.n_objects + 1))
    reached = np.zeros(K)
    rows = np.arange(K)
    for cls in order.classes:
        members = np.asarray(cls)
        sub = pf[:, members]
        arg = np.argmin(sub, axis=1)
        q = sub[rows, arg]
        hk = np.asarray(shock.cdf(budget - q), dtype=np.float64)
        mass = np.maximum(hk - reached, 0.0)
        out[rows, members[arg]] += mass
        reached = np.maximum(reached, hk)
        if np.all(reached >= 1.0):
            break
    mean = out.mean(axis=0)
    se = out.std(axis=0, ddof=1) / np.sqrt(K) if K > 1 else np.zeros_like(mean)
    return mean, se
