"""A posted-price procurement mechanism written outside the package (docs/bring_your_own_mechanism.md).

Every arriving seller is offered the same price p = B / hires; she is hired and paid p when her
bid is at most p and p still fits in the remaining budget. The offer never depends on her own
bid, so bidding the true cost is a dominant strategy, and at most B is ever paid.
"""
from mechanisms import Claim, HireOutcome, MechanismSpec, OnlineMechanism, ParamSpec
from mechanisms.params import positive_int


class PostedPrice(OnlineMechanism):
    """Offer B / hires to every seller, first come first served, until the budget runs out."""

    spec = MechanismSpec(
        name="posted_price",
        title="Fixed posted price B / hires",
        market_kinds=("procurement",),
        paper="docs/bring_your_own_mechanism.md (a tutorial mechanism)",
        params=(ParamSpec("hires", 4, "how many sellers the budget B pays for", check=positive_int,
                          expected="a positive integer"),),
        claims=(Claim("universal_truthfulness", "the offer does not depend on the seller's bid"),
                Claim("budget_feasible", "at most `hires` payments of B / hires"),
                Claim("ir", "a hired seller bid at most the price she is paid")),
    )

    def start(self, streams):
        super().start(streams)
        self.price = float(self.market.extra["budget"]) / self.params["hires"]
        self.left = float(self.market.extra["budget"])

    def step(self, tick, reports):
        outcomes = []
        for r in reports:
            bid = r.declared.value
            hired = bid <= self.price and self.price <= self.left + 1e-12
            self.left -= self.price if hired else 0.0
            outcomes.append(HireOutcome(r.agent, tick, hired, self.price if hired else 0.0, self.price, bid))
        return outcomes
