"""The approximation guarantees of the budget-feasible paper, as functions of the parameters.

Each ``*_fraction`` function returns the fraction f of v(S*) the mechanism is guaranteed in
expectation (E[v(A)] >= f * v(S*)); each ``*_ratio`` returns the approximation factor 1/f
(``inf`` when the formula gives f <= 0, i.e. no guarantee). Prediction omega = (1 - eps) v(S*).

- :func:`lemma2_fraction`: Mechanism 2 (Lemma 2; the f_1 of Theorem 2).
- :func:`lemma4_fraction`: Mechanism 3 (Lemma 4; the f_2 of Theorem 2).
- :func:`theorem2_ratio`: Mechanism 1, (tau f_1 + (1 - tau) f_2)^{-1} (Theorem 2).
- :func:`theorem4_ratio`: Mechanism 4 (Theorem 4).

``gamma`` is the approximation factor of the algorithm computing T_1 on the sample; the paper
uses Sviridenko's (e - 1)/e, which every (e - 1)/e of Lemmas 3, 4 and Theorem 4 stands for
(v(T_1) >= gamma v(S_1^*)). With the fast sample solver gamma = (1 - 1/e)/2, and the bound
reported must use it. The paper states no formula for over-estimates omega = (1 + eps) v(S*)
(Section 2 remark) nor for the non-monotone mechanisms of Section 5 (full version only): the
experiment reports NaN for those.
"""
from __future__ import annotations

import math

from ..errors import require

E = math.e
GAMMA_SVIRIDENKO = (E - 1.0) / E

#: Corollary 1 / 2 parameters of Mechanism 2 and of Mechanism 3 (b there is the beta of line 9).
MECH2_COROLLARY = {"p": 0.46, "a": 0.685, "z": 1.85}
MECH3_COROLLARY = {"q": 0.66, "beta": 0.29, "z": 2.1, "delta": 0.174}
#: Corollary 3 parameters of Mechanism 4 (its "p = 0.68" is the Dynkin probability q of line 1).
MECH4_COROLLARY = {"q": 0.68, "a": 0.06, "beta": 0.27, "z": 2.15, "delta": 0.22, "k": 2.5}


def _eps(eps: float) -> float:
    require(isinstance(eps, (int, float)) and not isinstance(eps, bool) and 0.0 <= eps <= 1.0, "eps", eps,
            "a number in [0, 1] (omega = (1 - eps) v(S*))")
    return float(eps)


def _ratio(f: float) -> float:
    return 1.0 / f if f > 0 else math.inf


def lemma2_fraction(eps: float, p: float = 0.46, a: float = 0.685, z: float = 1.85) -> float:
    """Return f_1 = min{a(1-eps)p/z, (1-p)(1-(1-eps)a), (1-p)a(1-eps)(z-1)/z} (Lemma 2).

    Follows the statement of Lemma 2 and Theorem 2; the last display of Lemma 2's proof
    divides the first term by z*e instead, which we read as a typo (the case-1 argument
    gives p a (1-eps)/z: the first agent above a*omega/z is hired with probability p).
    """
    eps = _eps(eps)
    w = 1.0 - eps
    return min(a * w * p / z, (1 - p) * (1 - w * a), (1 - p) * a * w * (z - 1) / z)


def lemma4_p_tilde(beta: float, z: float, delta: float, gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return p~ = 1 - 2 exp(-(delta^2/2) / ((beta/z) gamma (1/2 - delta) (1/4 + delta/3))) (Lemma 3/4)."""
    x = beta / z * gamma * (0.5 - delta)
    return 1.0 - 2.0 * math.exp(-(delta ** 2 / 2.0) / (x * (0.25 + delta / 3.0)))


def lemma4_fraction(q: float = 0.66, beta: float = 0.29, z: float = 2.1, delta: float = 0.174,
                    gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return f_2, Mechanism 3's guaranteed fraction of v(S*) (Lemma 4).

    f_2 = min{(q/e)(beta/z) gamma (1/2-delta), (1-q) p~ ((1/2-delta) - beta),
    (1-q) p~ ((z-1)/z) beta gamma (1/2-delta)}, with gamma = (e-1)/e in the paper.
    """
    x = beta / z * gamma * (0.5 - delta)
    pt = lemma4_p_tilde(beta, z, delta, gamma)
    return min(q / E * x, (1 - q) * pt * ((0.5 - delta) - beta), (1 - q) * pt * ((z - 1) / z * beta * gamma * (0.5 - delta)))


def theorem2_ratio(eps: float, tau: float, mech2: dict | None = None, mech3: dict | None = None,
                   gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return Mechanism 1's approximation factor (tau f_1 + (1 - tau) f_2)^{-1} (Theorem 2).

    ``mech2`` / ``mech3`` override the Corollary 1 parameters ({p, a, z} and {q, beta, z, delta}).
    """
    require(isinstance(tau, (int, float)) and 0.0 <= tau <= 1.0, "tau", tau, "a number in [0, 1]")
    f1 = lemma2_fraction(eps, **{**MECH2_COROLLARY, **(mech2 or {})})
    f2 = lemma4_fraction(**{**MECH3_COROLLARY, **(mech3 or {})}, gamma=gamma)
    return _ratio(tau * max(f1, 0.0) + (1 - tau) * max(f2, 0.0))


def theorem4_fraction(eps: float, q: float = 0.68, a: float = 0.06, beta: float = 0.27, z: float = 2.15,
                      delta: float = 0.22, k: float = 2.5, gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return Mechanism 4's guaranteed fraction of v(S*) (Theorem 4).

    With y = a(1-eps) + beta gamma (1/k - delta):
    min{q y/(e z), (1-q) p~ min((k-1)/k - delta - (a(1-eps) + beta), (z-1)/z y)},
    p~ = 1 - 2 exp(-(delta^2/2) / (((k-1)/k^2 + delta/3) y / z)).
    """
    w = 1.0 - _eps(eps)
    y = a * w + beta * gamma * (1.0 / k - delta)
    pt = 1.0 - 2.0 * math.exp(-(delta ** 2 / 2.0) / (((k - 1) / k ** 2 + delta / 3.0) * y / z)) if y > 0 else -math.inf
    return min(q * y / (E * z), (1 - q) * pt * min((k - 1) / k - delta - (a * w + beta), (z - 1) / z * y))


def theorem4_ratio(eps: float, gamma: float = GAMMA_SVIRIDENKO, **params: float) -> float:
    """Return Mechanism 4's approximation factor 1 / :func:`theorem4_fraction` (Theorem 4)."""
    return _ratio(theorem4_fraction(eps, **{**MECH4_COROLLARY, **params}, gamma=gamma))


def mech1_consistency(tau: float, gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return Mechanism 1's consistency (perfect prediction, eps = 0; Corollary 1)."""
    return theorem2_ratio(0.0, tau, gamma=gamma)


def mech1_robustness(tau: float, gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return Mechanism 1's robustness: the worst Theorem 2 factor over eps in [0, 1] (attained at eps -> 1)."""
    return max(theorem2_ratio(e, tau, gamma=gamma) for e in (0.0, 0.5, 1.0))


def corollary2_ratio(eps: float, tau: float) -> float:
    """Return the rounded form (tau (1/6)(1 - eps) + (1 - tau)/146)^{-1} stated in Corollary 2."""
    return _ratio(tau * (1 - _eps(eps)) / 6.0 + (1 - tau) / 146.0)


def mech4_consistency(gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return Mechanism 4's consistency, Theorem 4 at eps = 0 (Corollary 3: about 95)."""
    return theorem4_ratio(0.0, gamma=gamma)


def mech4_robustness(gamma: float = GAMMA_SVIRIDENKO) -> float:
    """Return Mechanism 4's robustness, Theorem 4 as eps -> 1 (Corollary 3: about 280)."""
    return theorem4_ratio(1.0, gamma=gamma)
