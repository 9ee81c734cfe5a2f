"""The paper's motivating baseline: naive repeated static A-CEEI (OCAM paper, Section 1).

Every batch (the agents arriving in one tick) is treated as a static economy with the batch's
proportional share of capacity, ``c * |batch| / n``: an eps_b-ECEEI of the batch is computed
(:func:`~mechanisms.ocam.eceei.solve_eceei`) and realised deterministically as an A-CEEI
(Proposition 3, :func:`~mechanisms.ocam.realise.realise`). Each batch's excess demand is
allocated anyway, so the excess compounds over batches ("the bound on excess demand scales up
linearly with each iteration"), which is what OCAM's single sample-based price avoids.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, require
from ..market import bundle_vector
from ..mechanism_registry import register_mechanism
from ..online_mechanism import OnlineMechanism
from ..params import ParamSpec, real_in
from ..preferences import BundleRanking
from ..public_state import GoodsPublic
from ..reports import BundleOutcome, Outcome, Report
from ..spec import MechanismSpec
from .eceei import TypeTable, solve_eceei
from .realise import realise


@register_mechanism
class NaiveRepeatedACEEI(OnlineMechanism):
    """Repeated static A-CEEI, one equilibrium per tick's batch (Section 1's naive baseline)."""

    spec = MechanismSpec(
        name="naive_aceei",
        title="Naive repeated static A-CEEI (baseline)",
        market_kinds=("bundles",),
        paper="ocam-dynamic-combinatorial-assignment.txt, Section 1 (motivation); Appendix B",
        params=(
            ParamSpec("eps_b", 0.02, "budget perturbation of each batch's ECEEI", "Definition 4",
                      real_in(0, 1, lo_open=True, hi_open=True), "a number in (0, 1)"),
            ParamSpec("solver_tol", 1e-9, "target relative clearing error per batch", "Definition 4",
                      real_in(0, 1, lo_open=True), "a number in (0, 1)"),
            ParamSpec("solver_time_limit", math.inf, "seconds allowed to each batch's price search "
                      "(finite limits make runs machine-dependent)", "",
                      real_in(0, math.inf, lo_open=True), "a positive number"),
        ),
        claims=(),
        incremental=False,
        public_state=GoodsPublic,
    )

    def validate(self) -> None:
        n = self.market.n_agents
        require(n is not None, "market.n_agents", n, "the known population size n (to share capacity per batch)")
        self.n = int(n)

    def start(self, streams) -> None:
        super().start(streams)
        self._cap = self.market.goods.capacity.astype(np.float64)
        self._used = np.zeros_like(self._cap)
        self._batch_excess: list[float] = []
        self._batch_errors: list[float] = []
        self._last_prices: list[float] | None = None

    def step(self, tick: int, reports: Sequence[Report]) -> list[Outcome]:
        """Return the batch's A-CEEI realisation (Appendix B) at the batch's capacity share."""
        if not reports:
            return []
        m = self.market.goods.m
        for r in reports:
            if not isinstance(r.declared, BundleRanking) or r.declared.m != m:
                raise ConfigError(f"report[{r.agent}]", type(r.declared).__name__, f"a BundleRanking over {m} goods")
        share = self._cap * len(reports) / self.n
        decl = [r.declared for r in reports]
        P = self.params
        cert = solve_eceei(decl, share, P["eps_b"], tol=P["solver_tol"], time_limit=P["solver_time_limit"])
        real = realise(cert)
        _, type_of = TypeTable.from_reports(decl)
        # from_reports numbers types by first appearance, exactly as solve_eceei's table does.
        bundles, budgets = real.assign(type_of)
        outs: list[Outcome] = []
        for r, b, bud in zip(reports, bundles.tolist(), budgets.tolist()):
            x = bundle_vector(b, m)
            self._used += x
            outs.append(BundleOutcome(r.agent, tick, int(b), float(bud), float(cert.prices @ x), "batch"))
        self._batch_excess.append(float(np.linalg.norm(np.maximum(real.demand - share, 0.0))))
        self._batch_errors.append(cert.error)
        self._last_prices = cert.prices.tolist()
        return outs

    def remaining(self) -> np.ndarray:
        return self._cap - self._used

    @property
    def enforces_capacity(self) -> bool:
        """False: each batch's excess demand is allocated (the compounding the paper describes)."""
        return False

    def public(self) -> GoodsPublic:
        """Return the remaining capacity and the last batch's A-CEEI prices (None before the first)."""
        return GoodsPublic(remaining=(self._cap - self._used).tolist(), prices=self._last_prices)

    def summary(self) -> dict[str, Any]:
        """Return the cumulative excess over capacity and each batch's excess and solver error."""
        over = np.maximum(self._used - self._cap, 0.0)
        return {"excess_over_capacity": over.tolist(), "max_excess": float(over.max()),
                "batch_excess_l2": self._batch_excess, "batch_clearing_error": self._batch_errors,
                "batches": len(self._batch_excess)}
