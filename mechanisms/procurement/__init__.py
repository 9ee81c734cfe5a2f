"""Online budget-feasible procurement with predictions (Amanatidis et al., SAGT 2025).

An auctioneer with budget B and a submodular valuation v over sellers hires sellers who
arrive in uniformly random order, deciding irrevocably on each arrival; a prediction omega of
the offline optimum v(S*) guides the posted prices. See ``docs/procurement.md``.

    >>> from mechanisms.procurement import (Additive, PredictionModel, procurement_market,
    ...                                     run_procurement)
    >>> v = Additive([3.0, 1.0, 2.0, 1.0])
    >>> costs = [1.0, 1.0, 1.0, 1.0]
    >>> market = procurement_market(v, 2.0, PredictionModel(0.0), costs=costs)
    >>> run = run_procurement("bf_mech2", market, costs, seed=3)
    >>> sum(o.payment for o in run.outcomes.values()) <= 2.0
    True

Registered mechanisms: ``bf_mech1``, ``bf_mech2``, ``bf_mech3``, ``bf_mech4``, ``dynkin``
and the non-monotone variants ``bf_mech1_nm``, ``bf_mech2_nm``, ``bf_mech3_nm``,
``bf_mech4_nm``. Registered valuations (:data:`VALUATIONS`): ``additive``, ``coverage``,
``budget_additive``, ``facility_location``, ``cut``, ``coverage_minus_cost``.
"""
from . import bounds
from .base import ProcurementMechanism
from .market import procurement_market
from .monotone import Dynkin, Mechanism1, Mechanism2, Mechanism3, Mechanism4  # registers bf_mech1-4, dynkin
from .nonmonotone import Mechanism1NM, Mechanism2NM, Mechanism3NM, Mechanism4NM  # registers *_nm
from .offline import Solution, brute_force, greedy_singleton, offline_opt, solve_sample, sviridenko
from .predictions import Prediction, PredictionModel
from .run import Instance, arrival_order, random_instance, run_procurement, schedule_of, simulate
from .stages import Quote
from .valuations import (VALUATIONS, Additive, BudgetAdditive, CoverageMinusCost, Cut, FacilityLocation,
                         SetFunction, Valuation, WeightedCoverage, random_valuation)

#: Names of the registered procurement mechanisms.
MECHANISM_NAMES = ("bf_mech1", "bf_mech2", "bf_mech3", "bf_mech4", "dynkin",
                   "bf_mech1_nm", "bf_mech2_nm", "bf_mech3_nm", "bf_mech4_nm")

__all__ = [
    "Additive", "BudgetAdditive", "CoverageMinusCost", "Cut", "Dynkin", "FacilityLocation", "Instance",
    "MECHANISM_NAMES", "Mechanism1", "Mechanism1NM", "Mechanism2", "Mechanism2NM", "Mechanism3", "Mechanism3NM",
    "Mechanism4", "Mechanism4NM", "Prediction", "PredictionModel", "ProcurementMechanism", "Quote", "SetFunction",
    "Solution", "VALUATIONS", "Valuation", "WeightedCoverage", "arrival_order", "bounds", "brute_force",
    "greedy_singleton", "offline_opt", "procurement_market", "random_instance", "random_valuation",
    "run_procurement", "schedule_of", "simulate", "solve_sample", "sviridenko",
]
