"""The conformance suite over the whole registry (issue 18, item 1): every faithful mechanism and
every strategy passes; every mutant keeps the protocol and fails only where it was built to."""
import pytest

from abm.conformance import MECHANISM_CHECKS, check_mechanism, check_strategy
from mechanisms import MECHANISMS, registered_mechanisms
from strategies.base import STRATEGIES
from strategies.coalitions import COALITION_STRATEGIES

FAITHFUL = [n for n, _ in registered_mechanisms()]
MUTANTS = [n for n, c in registered_mechanisms(mutants=True) if c.spec.mutant_of is not None]

#: Trust mutants (mechanisms/mutants/trust.py) whose accelerator lies: each inherits or bends a
#: shortcut that no longer matches its own online run, so the shortcut check must fail on them.
SHORTCUT_LIARS = {
    "mutant_ocam_lying_shortcut",     # unilateral_outcome answers the declared top bundle
    "mutant_ocam_outside_support",    # outcome_distribution declares the runner-up bundle
    "mutant_ocam_own_report_prices",  # the inherited shortcut serves at the posted prices, step does not
    "mutant_ocam_overspend_some",     # the inherited shortcut keeps even agents within their budget
    "mutant_ocam_overspend_all",      # the inherited distribution ignores the inflated budgets
    "mutant_bf_own_bid_price",        # "a stale shortcut": the inherited answer pays the fixed threshold
    "mutant_bf_underpay",             # the inherited answer pays the full threshold
}
#: Mutants whose broken claim is a hard invariant of every run: budget feasibility (the
#: mechanism's own guard raises mid-run).
INVARIANT_BREAKERS = {"mutant_bf_skip_budget"}


def test_the_registry_is_covered():
    """Sanity of the parametrisation: mechanisms of every market kind, mutants of both modules."""
    kinds = {k for n in FAITHFUL for k in MECHANISMS.get(n).spec.market_kinds}
    assert kinds == {"bundles", "objects", "procurement", "fair_division"}
    from abm.audit.zoo import MUTANT_TABLE

    assert SHORTCUT_LIARS | INVARIANT_BREAKERS <= set(MUTANTS) and set(MUTANTS) == set(MUTANT_TABLE)
    assert len(STRATEGIES.names()) >= 20


@pytest.mark.parametrize("name", FAITHFUL)
def test_every_faithful_mechanism_conforms(name):
    rep = check_mechanism(name)
    assert rep.passed, rep.table()
    assert {"spec", "claims", "protocol", "invariants", "determinism", "shortcut", "checkpoint"} <= rep.checks()


@pytest.mark.parametrize("name", MUTANTS)
def test_every_mutant_keeps_the_protocol_and_fails_only_where_built_to(name):
    """Mutants break claims, not the protocol; the shortcut check fails exactly on the liars.

    Their claim check is their parent's (a mutant keeps its parent's claims, asserted here), so
    it is judged by the faithful test above, not again here.
    """
    cls = MECHANISMS.get(name)
    assert cls.spec.claims == MECHANISMS.get(cls.spec.mutant_of).spec.claims
    rep = check_mechanism(name)
    expected = ({"shortcut"} if name in SHORTCUT_LIARS else set()) | \
        ({"invariants"} if name in INVARIANT_BREAKERS else set())
    assert rep.failed_checks() - {"claims"} == expected, rep.table()
    assert {"protocol", "determinism", "checkpoint"} & rep.failed_checks() == set()


def test_honest_shortcuts_are_really_asked():
    """The shortcut check of a mechanism with accelerators is not vacuous: answers were compared."""
    for name in ("ocam", "bf_mech2", "dynkin", "mutant_bf_pay_bid"):
        rows = [r for r in check_mechanism(name).results if r.check == "shortcut"]
        assert rows and all(r.passed and not r.detail.startswith("0 answer") for r in rows), (name, rows)


@pytest.mark.parametrize("spec", STRATEGIES.names())
def test_every_registered_strategy_conforms(spec):
    """Including the no-op check: every strategy changes some report on each kind it declares."""
    rep = check_strategy(spec)
    assert rep.passed, rep.table()
    acts = [r for r in rep.results if r.check == "acts"]
    assert {r.where for r in acts} == set(STRATEGIES.get(spec).kinds)


@pytest.mark.parametrize("spec", COALITION_STRATEGIES.names())
def test_every_registered_coalition_strategy_conforms(spec):
    """Coalition strategies too: joint reports of the market's kind, seeded, and acting on each kind."""
    kinds = COALITION_STRATEGIES.get(spec).kinds
    reps = [check_strategy(spec, kinds=[k for k in kinds if k != "bundles"])] if set(kinds) - {"bundles"} else []
    if "bundles" in kinds:
        # the default bundle market ranks bundles of one size only, where demand reduction has
        # nothing to drop: the OCAM case (bundles of up to 3 goods) is added, with fast mechanisms
        reps.append(check_strategy(spec, kinds=["bundles"], markets=["bundles", "ocam"], mechanisms=["sd", "ocam"]))
    for rep in reps:
        assert rep.passed, rep.table()
    acts = [r for rep in reps for r in rep.results if r.check == "acts"]
    assert {r.where for r in acts} == set(kinds)
    assert all("coalition" in r.detail for r in acts), [r.detail for r in acts]


def test_a_coalition_strategy_that_never_acts_fails():
    from strategies.coalitions import CoalitionStrategy

    class Idle(CoalitionStrategy):
        name = "test_idle_coalition"
        kinds = ("bundles",)
        probes = "nothing"

        def joint_reports(self, members, info, rng):
            return dict(members)

    rep = check_strategy(Idle())
    assert rep.failed_checks() == {"acts"}, rep.table()
    assert "never changes the report" in rep.failures[0].message


def test_the_check_names_are_documented():
    import pathlib

    doc = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "conformance.md").read_text()
    for c in MECHANISM_CHECKS + ("kind", "acts"):
        assert f"`{c}`" in doc, c
