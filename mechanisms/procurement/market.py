"""The procurement market of Section 2: budget B, valuation v over sellers 0..n-1, prediction omega.

:func:`procurement_market` validates the public data once and returns the core
:class:`~mechanisms.market.Market` (``kind="procurement"``) the mechanisms read:
``extra = {"budget": B, "valuation": v, "prediction": Prediction or None}``.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..errors import require
from ..market import Market
from .offline import offline_opt
from .predictions import Prediction, PredictionModel, as_omega
from .valuations import Valuation


def procurement_market(valuation: Valuation, budget: float, prediction: float | Prediction | PredictionModel | None = None,
                       costs: Sequence[float] | None = None) -> Market:
    """Return the procurement :class:`Market` with n = ``valuation.n`` sellers.

    Parameters
    ----------
    valuation : Valuation
        The auctioneer's v over seller ids 0..n-1 (Section 2).
    budget : float
        B > 0 (Section 2).
    prediction : float, Prediction, PredictionModel or None
        omega, a resolved :class:`Prediction`, or a :class:`PredictionModel` (then ``costs``
        is required: omega is computed from the offline optimum v(S*(c)) of problem (1)).
        None for prediction-free mechanisms (Mechanism 3, Dynkin).
    costs : sequence of float, optional
        True costs, used only to resolve a prediction model; each must lie in [0, B]
        (Section 2: declarations b in [0, B]^n).

    Raises
    ------
    ConfigError
        On a non-positive budget, a bad valuation, or a prediction/costs problem.
    """
    require(isinstance(valuation, Valuation), "market.valuation", type(valuation).__name__, "a Valuation")
    require(isinstance(budget, (int, float, np.integer, np.floating)) and not isinstance(budget, bool)
            and math.isfinite(float(budget)) and budget > 0, "market.budget", budget, "a finite positive number")
    n = int(valuation.n)
    require(n >= 1, "market.n_agents", n, "a positive integer")
    if isinstance(prediction, PredictionModel):
        require(costs is not None, "costs", costs, "the sellers' costs, to resolve a PredictionModel")
        c = np.asarray(costs, dtype=np.float64)
        require(c.size == n and bool(np.all((c >= 0) & (c <= budget))), "costs", c.tolist()[:10],
                f"{n} costs in [0, B={budget}]")
        prediction = prediction.predict(offline_opt(valuation, c, float(budget)).value)
    elif prediction is not None and not isinstance(prediction, Prediction):
        prediction = Prediction(as_omega(prediction))
    return Market(kind="procurement", n_agents=n,
                  extra={"budget": float(budget), "valuation": valuation, "prediction": prediction})
