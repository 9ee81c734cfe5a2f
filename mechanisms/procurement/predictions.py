"""Predictions omega of v(S*) (budget-feasible paper, Section 2, "Predictions").

The paper parameterises an under-estimate as omega = (1 - eps) * v(S*), eps in [0, 1], and
remarks that its results extend to over-estimates omega = (1 + eps) * v(S*), eps in
[0, kappa] for a constant kappa. A :class:`PredictionModel` names the error (``kind`` and
``eps``) and turns the true optimum into omega; a :class:`Prediction` is the resolved value
a mechanism reads.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import require

PREDICTION_KINDS = ("under", "over")


def _real(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(float(x))


@dataclass(frozen=True)
class PredictionModel:
    """A prediction with a named error: omega = (1 - eps) OPT (``"under"``) or (1 + eps) OPT (``"over"``).

    Parameters
    ----------
    eps : float
        The error: in [0, 1] for ``"under"`` (Section 2), in [0, kappa] for ``"over"``
        (Section 2, closing remark).
    kind : str
        ``"under"`` or ``"over"``.
    kappa : float
        Upper end of eps for over-estimates (the paper's constant kappa); default 10.
    """

    eps: float
    kind: str = "under"
    kappa: float = 10.0

    def __post_init__(self) -> None:
        require(self.kind in PREDICTION_KINDS, "prediction.kind", self.kind, f"one of {list(PREDICTION_KINDS)}")
        require(_real(self.kappa) and self.kappa > 0, "prediction.kappa", self.kappa, "a finite positive number")
        hi = 1.0 if self.kind == "under" else float(self.kappa)
        require(_real(self.eps) and 0.0 <= float(self.eps) <= hi, "prediction.eps", self.eps,
                f"a number in [0, {hi}] for a{'n' if self.kind == 'under' else 'n'} {self.kind}-estimate")

    @property
    def factor(self) -> float:
        """omega / v(S*): 1 - eps or 1 + eps."""
        return 1.0 - self.eps if self.kind == "under" else 1.0 + self.eps

    def predict(self, opt_value: float) -> "Prediction":
        """Return the prediction of the optimum ``opt_value`` = v(S*)."""
        require(_real(opt_value) and opt_value >= 0, "opt_value", opt_value, "a finite non-negative number")
        return Prediction(self.factor * float(opt_value), self.eps, self.kind, float(opt_value))


@dataclass(frozen=True)
class Prediction:
    """A resolved prediction: ``omega`` with, for bookkeeping, the error that produced it."""

    omega: float
    eps: float | None = None
    kind: str | None = None
    opt_value: float | None = None

    def __post_init__(self) -> None:
        require(_real(self.omega) and self.omega >= 0, "prediction.omega", self.omega, "a finite non-negative number")


def as_omega(prediction: object, field: str = "market.extra.prediction") -> float:
    """Return omega from a number or a :class:`Prediction`; raise ConfigError otherwise."""
    if isinstance(prediction, Prediction):
        return prediction.omega
    require(_real(prediction) and float(prediction) >= 0, field, prediction,
            "a finite non-negative prediction omega (or a resolved Prediction; a PredictionModel needs the "
            "costs: use procurement_market(..., costs=...))")
    return float(prediction)
