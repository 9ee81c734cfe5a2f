"""Random price shocks xi (SEM paper, Section 3.1, Assumptions 1, 4 and 5).

A random price is p + xi. Under no tie-breaking (Assumption 4, NTB) every object gets the same
common shock xi_x = c with c ~ H; under random tie-breaking (Assumption 5, RTB) xi_x = c +
zeta_x with independent zeta_x on [-z, z]. Assumption 1 asks for continuous, bounded,
mean-zero shocks: every distribution offered here is symmetric about zero on a bounded
interval with a strictly increasing CDF there, so ``ppf`` (the inverse CDF) is well defined.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import require

#: Distributions offered for the common shock c ~ H and the idiosyncratic zeta_x.
SHOCK_KINDS = ("uniform", "triangular", "truncnorm")


def _finite_pos(v: object) -> bool:
    return (isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            and math.isfinite(float(v)) and float(v) > 0)


@dataclass(frozen=True)
class Shock:
    """The price-shock distribution G of SEM Section 3.1.

    Parameters
    ----------
    kind : str
        Distribution of the common shock c ~ H on ``[-halfwidth, halfwidth]``: ``"uniform"``,
        ``"triangular"`` (symmetric, mode 0) or ``"truncnorm"`` (normal with sd
        ``halfwidth / 2`` truncated to the interval). Default ``"uniform"``.
    halfwidth : float
        Half-width h of the support of c (Assumption 1: bounded). Default 0.1.
    tie_breaking : str
        ``"none"`` (Assumption 4, xi_x = c) or ``"random"`` (Assumption 5, xi_x = c + zeta_x).
    z : float
        Half-width of zeta_x ~ Uniform[-z, z] under random tie-breaking (Assumption 5); must be
        0 under ``"none"`` and positive under ``"random"``. Default 0.

    Raises
    ------
    ConfigError
        On an unknown kind, a non-positive half-width, or a z that does not match the
        tie-breaking mode.
    """

    kind: str = "uniform"
    halfwidth: float = 0.1
    tie_breaking: str = "none"
    z: float = 0.0

    def __post_init__(self) -> None:
        require(self.kind in SHOCK_KINDS, "shock.kind", self.kind, f"one of {list(SHOCK_KINDS)}")
        require(_finite_pos(self.halfwidth), "shock.halfwidth", self.halfwidth,
                "a finite positive number (Assumption 1: bounded shock)")
        require(self.tie_breaking in ("none", "random"), "shock.tie_breaking", self.tie_breaking,
                '"none" (Assumption 4) or "random" (Assumption 5)')
        if self.tie_breaking == "none":
            require(self.z == 0, "shock.z", self.z, "0 under no tie-breaking (Assumption 4: xi_x = c)")
        else:
            require(_finite_pos(self.z), "shock.z", self.z,
                    "a finite positive half-width of zeta_x under random tie-breaking (Assumption 5)")
        object.__setattr__(self, "halfwidth", float(self.halfwidth))
        object.__setattr__(self, "z", float(self.z))

    # ---- bounds (Assumption 1: xi in [xi_lower, xi_upper]) ------------------------------
    @property
    def c_lower(self) -> float:
        """Lower end of the support of the common shock c."""
        return -self.halfwidth

    @property
    def c_upper(self) -> float:
        """Upper end of the support of the common shock c."""
        return self.halfwidth

    @property
    def xi_lower(self) -> float:
        """Lower bound of xi_x (Assumption 1): c_lower - z."""
        return self.c_lower - self.z

    @property
    def xi_upper(self) -> float:
        """Upper bound of xi_x (Assumption 1): c_upper + z."""
        return self.c_upper + self.z

    # ---- the distribution H of c ----------------------------------------------------------
    def cdf(self, x: float | np.ndarray) -> float | np.ndarray:
        """Return H(x), the CDF of the common shock c (0 below the support, 1 above)."""
        h = self.halfwidth
        u = np.clip((np.asarray(x, dtype=np.float64) + h) / (2 * h), 0.0, 1.0)
        if self.kind == "uniform":
            out = u
        elif self.kind == "triangular":
            out = np.where(u <= 0.5, 2 * u * u, 1 - 2 * (1 - u) ** 2)
        else:
            from scipy.stats import truncnorm
            out = truncnorm.cdf(np.clip(np.asarray(x, dtype=np.float64), -h, h), -2.0, 2.0, scale=h / 2)
            out = np.clip(out, 0.0, 1.0)
        return float(out) if np.ndim(out) == 0 else out

    def pdf(self, x: float | np.ndarray) -> np.ndarray:
        """Return the density h(x) of the common shock c (0 outside the support)."""
        h = self.halfwidth
        x = np.asarray(x, dtype=np.float64)
        inside = (x >= -h) & (x <= h)
        if self.kind == "uniform":
            out = np.where(inside, 1.0 / (2 * h), 0.0)
        elif self.kind == "triangular":
            out = np.where(inside, (h - np.abs(x)) / (h * h), 0.0)
        else:
            from scipy.stats import truncnorm
            out = np.where(inside, truncnorm.pdf(np.clip(x, -h, h), -2.0, 2.0, scale=h / 2), 0.0)
        return out

    def ppf(self, q: float) -> float:
        """Return H^{-1}(q) for q in [0, 1] (the c at which the CDF reaches q)."""
        q = min(max(float(q), 0.0), 1.0)
        h = self.halfwidth
        if self.kind == "uniform":
            u = q
        elif self.kind == "triangular":
            u = math.sqrt(q / 2) if q <= 0.5 else 1 - math.sqrt((1 - q) / 2)
        else:
            from scipy.stats import truncnorm
            return float(np.clip(truncnorm.ppf(q, -2.0, 2.0, scale=h / 2), -h, h))
        return -h + 2 * h * u

    def sample_zeta(self, rng: np.random.Generator, size: tuple[int, ...]) -> np.ndarray:
        """Return draws of zeta_x ~ Uniform[-z, z] (Assumption 5); zeros under NTB."""
        if self.tie_breaking == "none":
            return np.zeros(size)
        return rng.uniform(-self.z, self.z, size=size)

    def sample_c(self, rng: np.random.Generator, size: int | None = None) -> float | np.ndarray:
        """Return draws of the common shock c ~ H (inverse-CDF sampling)."""
        u = rng.random(size)
        if size is None:
            return self.ppf(float(u))
        return np.array([self.ppf(v) for v in np.atleast_1d(u)])
