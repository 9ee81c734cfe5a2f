"""A conformance suite shipped with the library (issue 18, item 1).

In the spirit of scikit-learn's ``check_estimator`` and PettingZoo's ``api_test``:

- :func:`check_mechanism` runs a mechanism (a registered name, a mutant, ``module:Class`` or a
  class) on small representative markets and checks the online protocol, determinism under one
  seed, the run invariants, that every declared claim has a checker in the auditor, that any
  shortcut it offers equals a protocol replay, and that replays from checkpoints equal fresh runs;
- :func:`check_strategy` checks that a reporting strategy's spec round-trips, that it reports
  types of the market's kind, deterministically given its generator, and that it changes the
  report somewhere on every market kind it declares (no silent no-op), on public information
  as the model publishes it.

Both return a :class:`ConformanceReport`; ``raise_on_failure=True`` raises one
:class:`ConformanceError` listing every failed check. ``python -m abm check`` prints the table.
See ``docs/conformance.md``.
"""
from .markets import MarketCase, case_labels, market_case, representative_markets
from .mechanism import MECHANISM_CHECKS, check_mechanism
from .report import CheckResult, ConformanceError, ConformanceFailure, ConformanceReport
from .strategy import STRATEGY_CHECKS, check_strategy

__all__ = [
           "MECHANISM_CHECKS",
           "STRATEGY_CHECKS",
           "CheckResult",
           "ConformanceError",
           "ConformanceFailure",
           "ConformanceReport",
           "MarketCase",
           "case_labels",
           "check_mechanism",
           "check_strategy",
           "market_case",
           "representative_markets",
]
