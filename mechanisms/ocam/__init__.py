"""OCAM: the online combinatorial assignment mechanism, its ECEEI solver and baseline.

Importing this package registers the mechanisms ``ocam`` (Section 4.2) and ``naive_aceei``
(the repeated static A-CEEI of Section 1). Solvers and helpers:

- :func:`solve_eceei` / :class:`ECEEICertificate` (Definition 4) and :func:`verify_eceei`;
- :func:`realise` (Proposition 3: a deterministic A-CEEI realisation);
- :func:`assumption2_capacity` (Assumption 2), :func:`sample_size`, :func:`eps_s_of`;
- :mod:`mechanisms.ocam.markets` (synthetic markets), :mod:`mechanisms.ocam.experiments`
  (the capacity experiment), :func:`mechanisms.ocam.report.describe_run`.
"""
from .eceei import ECEEICertificate, TypeTable, assumption2_capacity, clearing_lp, smoothed_demand, solve_eceei
from .mechanism import OCAM, RandomBudget, eps_s_of, sample_size
from .naive import NaiveRepeatedACEEI
from .realise import Realisation, excess_demand, realise
from .verify import ECEEICheck, verify_eceei

__all__ = [
    "ECEEICertificate", "ECEEICheck", "NaiveRepeatedACEEI", "OCAM", "RandomBudget", "Realisation",
    "TypeTable", "assumption2_capacity", "clearing_lp", "eps_s_of", "excess_demand", "realise",
    "sample_size", "smoothed_demand", "solve_eceei", "verify_eceei",
]
