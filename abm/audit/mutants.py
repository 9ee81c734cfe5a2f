"""Mutant mechanisms: faithful mechanisms with exactly one thing broken (issue 7, item 5).

They prove every check can fail: the auditor must flag each within a bounded number of
deviations, and flag none of the faithful mechanisms on the same markets
(``tests/audit/test_mutants.py``). Mutants live in their own registry, :data:`MUTANTS`, not in
the mechanism registry, so generic "every registered mechanism satisfies its claims" tests of
other packages never see them; :func:`abm.audit.counterexample.build_mechanism` looks in both,
so counterexamples found on a mutant replay like any other. Names start with ``mutant_``.
Each mutant keeps its parent's claims: the point is that the claims no longer hold.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mechanisms.baselines.serial_dictatorship import SerialDictatorship
from mechanisms.preferences import BundleRanking
from mechanisms.protocol import OnlineMechanism, ParamSpec, positive_int
from mechanisms.registry import Registry
from mechanisms.reports import Outcome, Report

MUTANTS: Registry[type[OnlineMechanism]] = Registry("mutant")


def register_mutant(cls: type[OnlineMechanism]) -> type[OnlineMechanism]:
    """Class decorator: register ``cls`` under ``cls.spec.name`` (which must start with ``mutant_``)."""
    assert cls.spec.name.startswith("mutant_"), cls.spec.name
    return MUTANTS.add(cls.spec.name, cls)


@register_mutant
class TruncationBonusSD(SerialDictatorship):
    """SD that lets agents declaring at most ``short`` bundles choose first within their tick.

    Broken: the choice order within a tick depends on the agent's own report, so truncating
    one's list can buy an earlier pick (strategyproofness fails when several agents share a
    tick). Everything else is :class:`SerialDictatorship`.
    """

    spec = replace(SerialDictatorship.spec, name="mutant_sd_truncation_bonus",
                   title="SD with a priority bonus for truncated lists (mutant)",
                   params=SerialDictatorship.spec.params + (
                       ParamSpec("short", 1, "lists of at most this many bundles choose first", check=positive_int,
                                 expected="a positive integer"),),
                   market_kinds=("bundles",))

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        short = self.params["short"]
        first = [k for k, r in enumerate(reports)
                 if isinstance(r.declared, BundleRanking) and len(r.declared.bundles) <= short]
        order = first + [k for k in range(len(reports)) if k not in first]
        outs = super().step(tick, [reports[k] for k in order])
        back = {o.agent: o for o in outs}
        return [back[r.agent] for r in reports]
