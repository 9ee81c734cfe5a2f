"""The Sequential Equilibrium Mechanism (SEM paper: Highsmith, "How to Use Prices for Efficient
Online Matching"), its price-equilibrium solver, and its baselines.

Importing this package registers the online mechanisms ``sem``, ``sd_rtb``, ``eps`` and
``sem_online`` (fully online SEM, Section 5.1: :mod:`mechanisms.sem.online`). The
paper's simulations are in :mod:`mechanisms.sem.experiments`; the property checkers in
:mod:`mechanisms.checks.lottery`.

    >>> from mechanisms.sem import SEMMarket, sample_arrivals
    >>> mk = SEMMarket.stationary(["a", "b"], [1, 1], {"a > o > b": 0.5, "{a,b} > o": 0.5}, horizon=4)
    >>> mk.budgets
    (1.75, 1.5, 1.25, 1.0)
"""
from .demand import LotteryDemand, demand, full_prices, lottery_demand, rtb_lottery, rtb_lottery_quad
from .equilibrium import (EquilibriumProblem, EquilibriumResult, check_equilibrium, clearing_error,
                          extended_probabilistic_serial, solve_equilibrium, solve_ntb, solve_rtb,
                          theorem3_condition)
from .market import (SEMMarket, SEMType, all_weak_orders, arrival_schedule, default_budgets, random_weak_order,
                     sample_arrivals, sem_market_of)
from .mechanism import SDRTB, PeriodEPS, PeriodRecord, SequentialEquilibriumMechanism
from .rounding import dependent_rounding
from .shocks import Shock
# fully online SEM (Section 5.1, issue 17): registers ``sem_online``
from .lindahl import LindahlProblem, LindahlResult, check_lindahl, single_price_vector, solve_lindahl
from .online import OnlineSEM
from .online_market import OnlineSEMMarket, SupplySchedule, read_supply_file

__all__ = [
    "arrival_schedule", "random_weak_order",
    "EquilibriumProblem", "EquilibriumResult", "LotteryDemand", "PeriodEPS", "PeriodRecord", "SDRTB",
    "SEMMarket", "SEMType", "SequentialEquilibriumMechanism", "Shock", "all_weak_orders", "check_equilibrium",
    "clearing_error", "default_budgets", "demand", "dependent_rounding", "extended_probabilistic_serial",
    "full_prices", "lottery_demand", "rtb_lottery", "rtb_lottery_quad", "sample_arrivals", "sem_market_of", "solve_equilibrium",
    "solve_ntb", "solve_rtb", "theorem3_condition",
    "LindahlProblem", "LindahlResult", "OnlineSEM", "OnlineSEMMarket", "SupplySchedule", "check_lindahl",
    "read_supply_file", "single_price_vector", "solve_lindahl",
]
