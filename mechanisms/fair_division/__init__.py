"""Online fair division of arriving goods (Amanatidis, Lolos, Markakis, Turmel, 2025).

A fixed set of n agents with additive valuations; m goods arrive one per time step and each
is assigned irrevocably. Modules:

- :mod:`.valuations`: personalized 2-value (Definition 2.1, agent types 0-3), interval-
  restricted (Definition 2.2, threshold reduction of Theorem 6.1) and additive valuations,
  with generators;
- :mod:`.algorithms`: Algorithms 1-3 and round robin on arrays;
- :mod:`.mechanism`: the same as registered online mechanisms (``deferred_priority``,
  ``naive_matching``, ``priority_matching``, ``round_robin``);
- :mod:`.checks`: rho-EFk, rho-PROP, rho-MMS (exact MILP) and their temporal versions;
- :mod:`.adversary`: the adversarial instance families of Theorems 3.1 and 3.2.
"""
from . import algorithms, checks
from .mechanism import (DeferredPriorityMechanism, FairDivisionMechanism, NaiveMatchingMechanism,
                        PriorityMatchingMechanism, RoundRobinMechanism, fair_division_market)
from .valuations import (Additive, Interval, TwoValue, Valuation, random_additive, random_interval,
                         random_two_value)

__all__ = [
    "Additive", "DeferredPriorityMechanism", "FairDivisionMechanism", "Interval", "NaiveMatchingMechanism",
    "PriorityMatchingMechanism", "RoundRobinMechanism", "TwoValue", "Valuation", "algorithms", "checks",
    "fair_division_market", "random_additive", "random_interval", "random_two_value",
]
