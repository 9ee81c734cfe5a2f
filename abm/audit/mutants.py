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


# ---- OCAM ---------------------------------------------------------------------------------
def _ocam_class():
    from mechanisms.ocam.mechanism import OCAM

    return OCAM


OCAM = _ocam_class()


def _with_param(spec, name: str, **changes):
    return tuple(replace(p, **changes) if p.name == name else p for p in spec.params)


@register_mutant
class WideBudgetOCAM(OCAM):
    """OCAM with eps_b = 0.6 >= 1/m by default (Theorem 2 needs 0 < eps_b < 1/m).

    Broken: budgets spread over [0.4, 1], so an agent misreporting to a type whose random
    budget is higher (or unseen: budget 1) can afford bundles better by more than one object;
    GSP1 (Definition 6) fails. The parameter warning is silenced (the mutant is out of range
    on purpose); everything else is :class:`~mechanisms.ocam.mechanism.OCAM`.
    """

    spec = replace(OCAM.spec, name="mutant_ocam_wide_budgets",
                   title="OCAM with eps_b >= 1/m (mutant)",
                   params=_with_param(OCAM.spec, "eps_b", default=0.6))

    def validate(self) -> None:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            super().validate()


@register_mutant
class RichUnseenOCAM(OCAM):
    """OCAM whose default budget for a type not seen in the sample is 2.5 > 1 (Section 4.2 sets
    it "arbitrarily between 1 - eps_b and 1").

    Broken: any agent that misreports a type absent from the sample (a list with its last
    bundle dropped, say) draws budget 2.5 instead of at most 1 and, with prices near 1, can buy
    two goods more than its truthful bundle: a gain beyond one object (GSP1 fails).
    """

    spec = replace(OCAM.spec, name="mutant_ocam_rich_unseen",
                   title="OCAM with unseen-type budget > 1 (mutant)",
                   params=_with_param(OCAM.spec, "unseen_budget", default=2.5, check=None))

    def validate(self) -> None:
        # the parent refuses budgets above 1: validate a compliant value, then restore ours
        wanted = self.params["unseen_budget"]
        self.params["unseen_budget"] = 1.0
        try:
            super().validate()
        finally:
            self.params["unseen_budget"] = wanted
