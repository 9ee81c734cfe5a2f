"""Statistical constants shared by every layer (the mechanisms' experiments, the auditor, the sweeps).

Kept at the bottom layer so that ``mechanisms`` never imports ``abm`` (the layering of
``docs/backbone.md``): :mod:`abm.audit.stats` and :mod:`abm.experiments.figures` read them from here.
"""
from __future__ import annotations

#: Two-sided 95% standard-normal quantile, Phi^{-1}(0.975) (``scipy.stats.norm.ppf(0.975)``):
#: normal-approximation 95% intervals (mean +- Z95 standard errors) and the Wilson interval's z.
Z95 = 1.959963984540054
