"""Every conformance check fails on a purpose-built broken mechanism or strategy, and only that check.

The broken mechanisms are one-line changes of the bring-your-own example (examples/byo), loaded
from its file without registering it; the broken strategies are defined here.
"""
import dataclasses
import importlib.util
import pathlib

import numpy as np
import pytest

from abm.conformance import (
    ConformanceError,
    check_mechanism,
    check_strategy,
    market_case,
)
from mechanisms import BundleOutcome, Claim, HireOutcome
from mechanisms.errors import ConfigError
from strategies.base import Strategy
from strategies.validation import real_param

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _load_example():
    spec = importlib.util.spec_from_file_location("conformance_byo_example", ROOT / "examples" / "byo" / "my_mechanism.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.PostedPrice


PostedPrice = _load_example()


def _spec(name, **changes):
    return dataclasses.replace(PostedPrice.spec, name=name, **changes)


class Nondeterministic(PostedPrice):
    """Draws from an unseeded generator (not the run's streams)."""

    spec = _spec("broken_nondeterministic")

    def step(self, tick, reports):
        self.price *= 1.0 + 0.01 * np.random.default_rng().random()
        return super().step(tick, reports)


class DropsAnOutcome(PostedPrice):
    """Returns no outcome for the seller arriving at tick 3."""

    spec = _spec("broken_drops_outcome")

    def step(self, tick, reports):
        out = super().step(tick, reports)
        return out[:-1] if tick == 3 else out


class WrongOutcomeClass(PostedPrice):
    """Answers a procurement report with a bundle."""

    spec = _spec("broken_outcome_class")

    def step(self, tick, reports):
        return [BundleOutcome(r.agent, tick, 0) for r in reports]


class MutatesReports(PostedPrice):
    """Empties the list of reports it is given."""

    spec = _spec("broken_mutates_reports")

    def step(self, tick, reports):
        out = super().step(tick, reports)
        reports.clear()
        return out


class PublishesADict(PostedPrice):
    """Publishes an untyped dict instead of its spec's public state."""

    spec = _spec("broken_public_dict")

    def public(self):
        return {"left": self.left}


class UnknownClaim(PostedPrice):
    """Declares a property the auditor has no checker for."""

    spec = _spec("broken_unknown_claim", claims=PostedPrice.spec.claims + (Claim("made_up_property", "nowhere"),))


class LyingShortcut(PostedPrice):
    """Declares the incremental path, and its shortcut says every seller is hired."""

    spec = _spec("broken_lying_shortcut", incremental=True)

    def unilateral_outcome(self, report, tick):
        return HireOutcome(report.agent, tick, True, self.price, self.price, report.declared.value)


class IncrementalWithoutShortcut(PostedPrice):
    """Declares the incremental path without implementing it."""

    spec = _spec("broken_incremental_only", incremental=True)


_HIDDEN: dict[int, float] = {}


class HiddenState(PostedPrice):
    """Keeps the remaining budget outside itself (keyed by identity): a snapshot loses it."""

    spec = _spec("broken_hidden_state")

    def start(self, streams):
        super().start(streams)
        _HIDDEN[id(self)] = self.left

    def step(self, tick, reports):
        self.left = _HIDDEN.get(id(self), float(self.market.extra["budget"]))
        out = super().step(tick, reports)
        _HIDDEN[id(self)] = self.left
        return out


class Overspends(PostedPrice):
    """Hires every seller bidding at most the price, whatever is left of the budget (no guard)."""

    spec = _spec("broken_overspends")

    def start(self, streams):
        super().start(streams)
        self.price = 2.0 * float(self.market.extra["budget"]) / self.params["hires"]

    def step(self, tick, reports):
        return [HireOutcome(r.agent, tick, r.declared.value <= self.price, self.price if r.declared.value <= self.price
                            else 0.0, self.price, r.declared.value) for r in reports]


def test_the_example_itself_conforms():
    rep = check_mechanism(PostedPrice)
    assert rep.passed, rep.table()


@pytest.mark.parametrize("cls, failed", [
    (Nondeterministic, {"determinism", "checkpoint"}),
    (DropsAnOutcome, {"protocol"}),
    (WrongOutcomeClass, {"protocol"}),
    (MutatesReports, {"protocol"}),
    (PublishesADict, {"protocol"}),
    (UnknownClaim, {"claims"}),
    (LyingShortcut, {"shortcut"}),
    (IncrementalWithoutShortcut, {"shortcut"}),
    (HiddenState, {"checkpoint"}),
    (Overspends, {"invariants"}),
])
def test_each_check_fails_on_its_broken_mechanism(cls, failed):
    rep = check_mechanism(cls)
    assert rep.failed_checks() == failed, rep.table()
    assert not rep.passed


def test_failure_messages_say_what_is_wrong():
    msgs = {c.__name__: " ".join(f.message for f in check_mechanism(c).failures)
            for c in (DropsAnOutcome, WrongOutcomeClass, MutatesReports, UnknownClaim, LyingShortcut, HiddenState,
                      Nondeterministic, Overspends)}
    assert "do not match the arrivals" in msgs["DropsAnOutcome"]
    assert "BundleOutcome on a procurement market (expected HireOutcome)" in msgs["WrongOutcomeClass"]
    assert "changed the list of reports" in msgs["MutatesReports"]
    assert "'made_up_property'" in msgs["UnknownClaim"]
    assert "unilateral_outcome for agent" in msgs["LyingShortcut"]
    assert "does not survive a snapshot" in msgs["HiddenState"]
    assert "two runs from seed 1 differ" in msgs["Nondeterministic"]
    assert "exceed the budget" in msgs["Overspends"]


def test_raise_on_failure_lists_every_failure():
    with pytest.raises(ConformanceError) as e:
        check_mechanism(UnknownClaim, raise_on_failure=True)
    assert "1 conformance check(s)" in str(e.value) and "[claims]" in str(e.value)
    with pytest.raises(ConformanceError) as e:
        check_mechanism(DropsAnOutcome, raise_on_failure=True)
    text = str(e.value)
    assert text.count("[protocol]") == 2 and "seed 1" in text and "seed 2" in text  # both seeds, one error
    assert check_mechanism("sd", raise_on_failure=True).passed


def test_markets_given_explicitly():
    rep = check_mechanism("sem", markets=["sem_online"])
    assert "market" in rep.failed_checks() and "refuses the market" in rep.failures[-1].message
    rep = check_mechanism("sd", markets=[market_case("objects")], seeds=[5])
    assert rep.passed and {r.where for r in rep.results if r.check == "protocol"} == {"objects, seed 5"}
    with pytest.raises(ConfigError, match="markets"):
        check_mechanism("sd", markets=["nowhere"])
    with pytest.raises(ConfigError, match="mechanism"):
        check_mechanism("no_such_mechanism")


# ---- strategies ------------------------------------------------------------------------------
class ReadsAnUnpublishedField(Strategy):
    """Bids below a "threshold" no mechanism publishes: below_threshold's version 1, a silent no-op."""

    name = "test_no_op"
    kinds = ("procurement",)

    def report(self, true_type, info, rng):
        t = getattr(info.public, "threshold", None)
        return type(true_type)(0.99 * t) if t is not None and t >= true_type.value else true_type


class UnseededNoise(Strategy):
    """Shades the bid with an unseeded generator instead of its own stream."""

    name = "test_unseeded"
    kinds = ("procurement",)

    def report(self, true_type, info, rng):
        return type(true_type)(true_type.value * (1.0 + np.random.default_rng().random()))


class ReportsANumber(Strategy):
    """Reports a bare number, not a cost."""

    name = "test_wrong_kind"
    kinds = ("procurement",)

    def report(self, true_type, info, rng):
        return 2.0 * true_type.value


class ForgetsItsParameter(Strategy):
    """Its spec string drops the factor it was built with."""

    name = "test_bad_spec"
    kinds = ("procurement",)
    params = (real_param("factor", 1.5, "bid = factor * cost", lo=0.0),)

    def report(self, true_type, info, rng):
        return type(true_type)(self.p["factor"] * true_type.value)

    def spec(self):
        return self.name


class ClaimsBundlesToo(ForgetsItsParameter):
    """Declares bundle markets it does nothing on (and a faithful spec)."""

    name = "test_idle_kind"
    kinds = ("procurement", "bundles")

    def report(self, true_type, info, rng):
        return super().report(true_type, info, rng) if info.market.kind == "procurement" else true_type

    def spec(self):
        return Strategy.spec(self)


@pytest.mark.parametrize("strategy, failed", [
    (ReadsAnUnpublishedField(), {"acts"}),
    (UnseededNoise(), {"determinism"}),
    (ReportsANumber(), {"kind"}),
    (ForgetsItsParameter(factor=2.0), {"spec"}),
    (ClaimsBundlesToo(), {"acts"}),
])
def test_each_strategy_check_fails_on_its_broken_strategy(strategy, failed):
    rep = check_strategy(strategy)
    assert rep.failed_checks() == failed, rep.table()


def test_the_no_op_message_names_the_runs_observed():
    rep = check_strategy(ReadsAnUnpublishedField())
    (f,) = rep.failures
    assert f.where == "procurement" and "never changes the report" in f.message and "procurement/bf_mech2" in f.message
    idle = check_strategy(ClaimsBundlesToo())
    assert [x.where for x in idle.failures] == ["bundles"]


def test_strategy_checks_on_the_runs_of_one_mechanism():
    """Public information from one mechanism only: a strategy that needs posted prices acts on
    Mechanism 2 and not on a mechanism that publishes none (the BYO example)."""
    assert check_strategy("below_threshold", mechanisms=["bf_mech2"]).passed
    rep = check_strategy("below_threshold", mechanisms=[PostedPrice])
    assert rep.failed_checks() == {"acts"}
    with pytest.raises(ConfigError, match="kinds"):
        check_strategy("truncate", kinds=["procurement"])


def test_a_step_that_edits_its_reports_never_changes_the_callers_schedule():
    """checked_step hands step a copy and refuses the edit (mechanisms/step_invariants.py)."""
    from mechanisms.errors import InvariantError
    from mechanisms.rng import Streams
    from mechanisms.step_invariants import checked_step

    case = market_case("procurement")
    mech = MutatesReports(case.market, **case.params_for(MutatesReports.spec.params))
    mech.start(Streams(1))
    tick = list(case.schedule[0])
    with pytest.raises(InvariantError, match="changed the list of reports"):
        checked_step(mech, 0, tick)
    assert tick == list(case.schedule[0]) and len(tick) > 0
