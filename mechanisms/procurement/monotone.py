"""Mechanisms 1-4 and Dynkin's algorithm for a monotone submodular v (Sections 3 and 4).

==============  ======================================================  ====================
name            mechanism                                               defaults
==============  ======================================================  ====================
``bf_mech2``    Mechanism 2: prediction-based posted prices             Corollary 1
``bf_mech3``    Mechanism 3: Dynkin w.p. q, else sample + posted prices Corollary 1
``bf_mech1``    Mechanism 1: Mechanism 2 w.p. tau, else Mechanism 3     Corollaries 1, 2
``bf_mech4``    Mechanism 4: sampling calibrated by k, t = a w + b v(T1) Corollary 3
``dynkin``      Dynkin's algorithm alone (Mechanism 3 lines 1-3)        baseline
==============  ======================================================  ====================

Coins: ``("mechanism", "mech1_choice")``, ``("mechanism", "mech2_single")``,
``("mechanism", "dynkin_or_sample")``, ``("mechanism", "sample")`` (xi_1): fixed purposes,
drawn at the start of the run, so none depends on a bid.
"""
from __future__ import annotations

import math

from ..mechanism_registry import register_mechanism
from ..params import ParamSpec, real_in
from ..public_state import ProcurementPublic
from ..spec import MechanismSpec
from .base import CLAIMS, P_BIDS, P_SOLVER, P_SVMAX, P_TIES, PAPER, ProcurementMechanism, open_unit, prob
from .stages import SingleOffer, Stage

MECH2_PARAMS = (
    prob("p", 0.46, "probability of the single-hire branch (line 1)", "Mechanism 2 line 1; Corollary 1"),
    open_unit("a", 0.685, "t = a omega (line 4) and the single-hire threshold a omega / z (line 2)",
              "Mechanism 2 lines 2, 4; Corollary 1"),
    ParamSpec("z", 1.85, "single-hire value threshold a omega / z (line 2)", source="Mechanism 2 line 2; Corollary 1",
              check=real_in(1, float("inf")), expected="a number >= 1"),
)
MECH3_PARAMS = (
    prob("q", 0.66, "probability of running Dynkin's algorithm (line 1)", "Mechanism 3 line 1; Corollary 1"),
    open_unit("beta", 0.29, "t = beta v(T_1) (line 9); Corollary 1 calls it b", "Mechanism 3 line 9; Corollary 1"),
)
COMMON = (P_BIDS, P_TIES, P_SOLVER, P_SVMAX)


def procurement_spec(name: str, title: str, where: str, params: tuple[ParamSpec, ...]) -> MechanismSpec:
    """Return the spec every posted-price mechanism of the paper shares: procurement market,
    the claims of Lemma 1 (:data:`CLAIMS`), the incremental replay path (a seller's threshold
    is fixed before her bid is read) and the public state of a procurement run. ``where``
    cites the mechanism in the paper (e.g. ``"Section 3, Mechanism 2"``)."""
    return MechanismSpec(name=name, title=title, market_kinds=("procurement",), paper=f"{PAPER}, {where}",
                         params=params, claims=CLAIMS, incremental=True, public_state=ProcurementPublic)


@register_mechanism
class Mechanism2(ProcurementMechanism):
    """Mechanism 2: posted prices built from the prediction omega alone (Section 3)."""

    spec = procurement_spec("bf_mech2", "Mechanism 2 (prediction-based posted prices)", "Section 3, Mechanism 2",
                            MECH2_PARAMS + (P_BIDS,))
    uses_prediction = True

    def plan(self, streams) -> Stage:
        P = self.params
        return self.plan_mech2(streams, P["p"], P["a"], P["z"])


@register_mechanism
class Mechanism3(ProcurementMechanism):
    """Mechanism 3: Dynkin w.p. q, else a Binomial(n, 1/2) sample and posted prices (Section 3)."""

    spec = procurement_spec("bf_mech3", "Mechanism 3 (sampling and posted prices, no prediction)",
                            "Section 3, Mechanism 3", MECH3_PARAMS + COMMON)

    def plan(self, streams) -> Stage:
        P = self.params
        return self.plan_sampled(streams, P["q"], 0.0, P["beta"], 2.0)


@register_mechanism
class Mechanism1(ProcurementMechanism):
    """Mechanism 1: Mechanism 2 with probability tau, else Mechanism 3 (Section 3)."""

    spec = procurement_spec(
        "bf_mech1", "Mechanism 1 (tolerance tau between Mechanisms 2 and 3)", "Section 3, Mechanism 1",
        (prob("tau", 0.5, "probability of running Mechanism 2 (error tolerance); the paper fixes none",
              "Mechanism 1; Theorem 2"),) + MECH2_PARAMS + MECH3_PARAMS + COMMON)
    uses_prediction = True

    def plan(self, streams) -> Stage:
        P = self.params
        if self._coin(streams, "mech1_choice") < P["tau"]:
            self.branch["mech1"] = "mech2"
            return self.plan_mech2(streams, P["p"], P["a"], P["z"])
        self.branch["mech1"] = "mech3"
        return self.plan_sampled(streams, P["q"], 0.0, P["beta"], 2.0)


MECH4_PARAMS = (
    prob("q", 0.68, "probability of running Dynkin's algorithm (line 1); Corollary 3 calls it p",
         "Mechanism 4 line 1; Corollary 3"),
    open_unit("a", 0.06, "weight of the prediction in t = a omega + beta v(T_1) (line 9)", "Mechanism 4 line 9; Corollary 3"),
    open_unit("beta", 0.27, "weight of the sample in t = a omega + beta v(T_1) (line 9)", "Mechanism 4 line 9; Corollary 3"),
    ParamSpec("k", 2.5, "sample size xi_1 ~ Binomial(n, 1/k) (line 5)", source="Mechanism 4 line 5; Corollary 3",
              check=real_in(1, float("inf")), expected="a number >= 1"),
)


@register_mechanism
class Mechanism4(ProcurementMechanism):
    """Mechanism 4: sampling calibrated by k, threshold t = a omega + beta v(T_1) (Section 4)."""

    spec = procurement_spec("bf_mech4", "Mechanism 4 (sampling calibrated by k, prediction-guided threshold)",
                            "Section 4, Mechanism 4", MECH4_PARAMS + COMMON)
    uses_prediction = True

    def plan(self, streams) -> Stage:
        P = self.params
        return self.plan_sampled(streams, P["q"], P["a"] * self.omega, P["beta"], P["k"])


@register_mechanism
class Dynkin(ProcurementMechanism):
    """Dynkin's algorithm (Mechanism 3 lines 2-3): sample floor(n/e) sellers, then offer B to the
    first seller at least as valuable as the sample's best. A prediction-free baseline."""

    spec = procurement_spec("dynkin", "Dynkin's algorithm (posted price B)", "Section 3, Mechanism 3 lines 1-3",
                            (P_BIDS, P_TIES))

    def plan(self, streams) -> Stage:
        return SingleOffer(self.singles, self.B, math.floor(self.n / math.e), None, self.params["dynkin_ties"])
