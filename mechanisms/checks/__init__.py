"""Property checkers shared by the mechanisms' tests and the auditor.

- :mod:`~mechanisms.checks.envy`: EF1 (OCAM Definition 2);
- :mod:`~mechanisms.checks.daceei`: DACEEI conditions (i)-(iv) (OCAM Definition 1);
- :mod:`~mechanisms.checks.pareto`: ex-post Pareto efficiency w.r.t. realised supply
  (OCAM Definition 3, Proposition 2).
"""
