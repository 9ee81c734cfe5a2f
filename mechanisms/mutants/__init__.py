"""Mutant mechanisms: faithful mechanisms with exactly one thing broken (issue 7, item 5; issue 11, item 6).

They prove every check can fail: the auditor must flag each within a bounded number of
deviations, and flag none of the faithful mechanisms on the same markets (the zoo,
:mod:`abm.audit.zoo`; ``tests/audit/test_zoo.py``, ``tests/audit/test_trust.py``). They register in the one mechanism
registry, tagged by ``spec.mutant_of`` (:mod:`.base`); names start with ``mutant_``.

- :mod:`.properties`: each breaks a property a paper claims (strategyproofness, GSP1, universal
  truthfulness, greedy, temporal MMS, Lindahl clearing, SP1);
- :mod:`.trust`: each attacks the auditor's trust boundary (a lying shortcut, a wrong declared
  distribution, overspending, prices moved by one's own report, ...).
"""
from . import properties, trust  # noqa: F401  (register their mutants on import)
from .base import PREFIX, mutant_spec, register_mutant

__all__ = ["PREFIX", "mutant_spec", "register_mutant"]
