"""Serial dictatorship (SD) and random serial dictatorship (RSD): the baselines.

Each agent, in arrival order (SD) or in a uniformly random order within its tick (RSD),
takes its most preferred bundle/object that is still available. SD is strategyproof: an
agent's choice set does not depend on its own report, so the auditor must find no profitable
deviation (the control every audit is compared with). OCAM's sample phase reuses
:func:`pick_bundle` with capacities scaled to eps_s * c (OCAM Section 4.2).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from ..errors import ConfigError
from ..market import bundle_mask, bundle_vector
from ..mechanism_registry import register_mechanism
from ..online_mechanism import OnlineMechanism
from ..params import ParamSpec
from ..preferences import BundleRanking, WeakOrder
from ..public_state import GoodsPublic
from ..reports import BundleOutcome, ObjectOutcome, Outcome, Report
from ..spec import Claim, MechanismSpec


def blocked_goods(remaining: np.ndarray) -> int:
    """Return the bitmask of goods that cannot supply one more unit (remaining < 1).

    Capacities may be fractional (OCAM's sample phase scales them by eps_s), so "available"
    means at least one whole unit left.
    """
    return bundle_mask(np.flatnonzero(np.asarray(remaining) < 1 - 1e-12))


def pick_bundle(ranking: BundleRanking, remaining: np.ndarray) -> int:
    """Return the most preferred acceptable bundle whose goods all have a unit left (0 if none)."""
    return ranking.best_available(blocked_goods(remaining))


def pick_object(order: WeakOrder, remaining: np.ndarray, rng: np.random.Generator | None) -> int:
    """Return a most preferred available option of ``order`` (the null option is always available).

    Ties inside the best available indifference class go to the lowest index when ``rng`` is
    None, else to a uniformly random member (SD with random tie-breaking, SEM Section 6.2).
    """
    best = order.best_available(np.asarray(remaining) >= 1 - 1e-12)
    if len(best) == 1 or rng is None:
        return best[0]
    return best[int(rng.integers(len(best)))]


@register_mechanism
class SerialDictatorship(OnlineMechanism):
    """Serial dictatorship over bundles or objects, in arrival order.

    Within a tick, agents choose in the order the arrival process listed them (``order =
    "arrival"``) or in a uniformly random order drawn from the stream
    ``("mechanism", "order", tick)`` (``order = "random"``: RSD). Ties between equally
    preferred objects (weak orders) go to the lowest index (``tie_break = "index"``) or to a
    uniformly random one from ``("mechanism", "tie", agent)`` (``"random"``).
    """

    spec = MechanismSpec(
        name="sd",
        title="Serial dictatorship",
        market_kinds=("bundles", "objects"),
        paper="Baseline (OCAM paper Section 1; SEM paper Section 6.2)",
        params=(
            ParamSpec("order", "arrival", "choice order within a tick", choices=("arrival", "random")),
            ParamSpec("tie_break", "index", "tie-breaking inside an indifference class (weak orders)",
                      choices=("index", "random")),
        ),
        claims=(Claim("strategyproof", "SD: an agent's choice set is independent of its report"),),
        incremental=False,
        public_state=GoodsPublic,
    )

    def start(self, streams) -> None:
        super().start(streams)
        self._remaining = self.market.goods.capacity.astype(np.float64).copy()
        self._blocked = blocked_goods(self._remaining)

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        order = list(range(len(reports)))
        if self.params["order"] == "random" and len(reports) > 1:
            order = list(self.streams.get("mechanism", "order", tick).permutation(len(reports)))
        outs: list[Outcome | None] = [None] * len(reports)
        rem = self._remaining
        bundles = self.market.kind == "bundles"
        for k in order:
            r = reports[k]
            if bundles:
                if not isinstance(r.declared, BundleRanking):
                    raise ConfigError(f"report[{r.agent}]", type(r.declared).__name__, "a BundleRanking")
                b = r.declared.best_available(self._blocked)
                if b:
                    rem -= bundle_vector(b, rem.size)
                    self._blocked = blocked_goods(rem)
                outs[k] = BundleOutcome(r.agent, tick, b)
            else:
                if not isinstance(r.declared, WeakOrder):
                    raise ConfigError(f"report[{r.agent}]", type(r.declared).__name__, "a WeakOrder")
                rng = self.streams.get("mechanism", "tie", r.agent) if self.params["tie_break"] == "random" else None
                x = pick_object(r.declared, rem, rng)
                if x != r.declared.null:
                    rem[x] -= 1
                outs[k] = ObjectOutcome(r.agent, tick, x)
        return outs  # type: ignore[return-value]

    def remaining(self) -> np.ndarray:
        return self._remaining

    def public(self) -> GoodsPublic:
        """Return the remaining capacity (serial dictatorship posts no prices)."""
        return GoodsPublic(remaining=self._remaining.tolist(), prices=None)


@register_mechanism
class RandomSerialDictatorship(SerialDictatorship):
    """Random serial dictatorship: SD in a uniformly random order within each tick."""

    spec = replace(
        SerialDictatorship.spec, name="rsd", title="Random serial dictatorship",
        paper="Baseline (OCAM paper Section 1; SEM paper Section 6.2 as SD-RTB with tie_break=random)",
        params=tuple(replace(p, default="random") for p in SerialDictatorship.spec.params),
    )
