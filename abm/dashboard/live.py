"""The dashboard's model: an :class:`~abm.model.AllocationModel` that audits as it runs.

``LiveModel`` is what Mesa's SolaraViz steps (its controller rebuilds it from keywords on
Reset, so every parameter has a default and the scenario is a path). Each tick, every
deviator that has just arrived (a misreporting agent, or a coalition once all its members
have arrived) is replayed under common random numbers by the auditor against telling the
truth (everyone else truthful, every random draw fixed), and its checked deviation is counted
into a running :class:`~abm.audit.AuditReport`, whose ``verdicts()`` are the page's running
verdict. Claims judged on a whole run (EF1, DACEEI, budget feasibility, ...) are checked once
the last agent has arrived. No Solara import: the panels read plain tables from this module.

A scenario that does not load, or overrides that do not fit it, leave ``error`` set to the
CLI's one-line message (``error: FIELD = VALUE: expected ...``) instead of raising, so the
page can show it.
"""
from __future__ import annotations

import pathlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mechanisms.errors import ConfigError
from mechanisms.reports import Report

from ..model import AllocationModel, outcome_text, true_rank

#: The strategy-mix picker's "nobody misreports" choice.
NOBODY = "(scenario's own mix)"


@dataclass
class DeviatorRow:
    """One deviator in the gains panel: what lying got versus what truth would have got."""

    agents: tuple[int, ...]
    strategy: str
    tick: int
    truth: str
    truth_rank: int | None
    lie: str
    lie_rank: int | None
    gain: float
    profitable: bool
    within_one: bool | None


class LiveModel(AllocationModel):
    """A scenario run tick by tick with the auditor's running verdict.

    Parameters
    ----------
    scenario : str
        Path of a scenario TOML file.
    mechanism : str
        A registered mechanism name, or ``""`` for the scenario's own.
    strategy : str
        A strategy spec given to a share of the agents, or :data:`NOBODY` for the scenario's
        own strategy mix.
    share : float
        Share of the agents (drawn from the ``("assignment",)`` stream) that use ``strategy``.
    seed : int
        The run's seed (-1: the scenario's seed).
    """

    def __init__(self, scenario: str = "", mechanism: str = "", strategy: str = NOBODY, share: float = 0.1,
                 seed: int | str = -1) -> None:
        self.error: str | None = None
        self.scenario_path = str(scenario)
        kw: dict[str, Any] = {}
        if strategy and strategy != NOBODY:
            kw["strategies"] = {"default": "truthful", "assign": [{"share": float(share), "strategy": strategy}]}
        try:
            seed = _seed(seed)
            if not scenario:
                raise ConfigError("scenario", scenario, "a scenario file path")
            super().__init__(scenario=str(scenario), mechanism=mechanism or None,
                             seed=None if int(seed) < 0 else int(seed), **kw)
        except ConfigError as e:
            self.error = f"error: {e}"
            self._fallback()
            return
        self._start_audit()

    # ---- a page for a scenario that did not load ----------------------------------------------
    def _fallback(self) -> None:
        import mesa

        mesa.Model.__init__(self, seed=0)
        self.running = False
        self.tick = 0
        self.arrived = 0
        self.misreports = 0
        self.market = None
        self.population_notes = []
        self.schedule: list[list[int]] = []
        self.participants = []
        self.audit_report = None
        self.deviators: list[DeviatorRow] = []
        self.run_verdicts: list[str] = []

    # ---- the running audit ------------------------------------------------------------------
    def _start_audit(self) -> None:
        from mechanisms.mechanism_registry import make_mechanism as build_mechanism

        from ..audit import CLAIM_CHECKERS, AuditReport, Replayer
        from ..audit.audit import assumption_holds

        sc = self.scenario
        market, name, params = self.market, sc.mechanism, dict(sc.mechanism_params)
        self.factory = lambda: build_mechanism(name, market, params)
        self.true_types = {p.agent_id: p.true_type for p in self.participants}
        self.truthful = [[Report(i, self.true_types[i]) for i in tick] for tick in self.schedule]
        self.replayer = Replayer(self.factory, self.truthful, self.streams.seed, self.true_types)
        claims = list(self.replayer.truth.mechanism.spec.claims)
        self.deviation_claims = [c for c in claims if c.key in CLAIM_CHECKERS and CLAIM_CHECKERS[c.key].level == "deviation"]
        self.run_claims = [c for c in claims if c not in self.deviation_claims]
        self.skip = {}
        for c in self.deviation_claims:
            ok, why = assumption_holds(c, self.truthful)
            if not ok:
                self.skip[c.key] = why
        self.audit_report = AuditReport(self.deviation_claims)
        self.deviators = []
        self.run_verdicts = []
        self._audited: set[Any] = set()

    def step(self) -> None:
        """Run one tick, then audit every deviator whose group has now fully arrived."""
        if self.error is not None or not self.running:
            self.running = False
            return
        super().step()
        self._audit_arrived()
        if not self.running and self.run_claims:
            from ..audit import audit

            rep = audit(self.factory, self.truthful, self.true_types, self.streams.seed, [],
                        [c.key for c in self.run_claims])
            self.run_verdicts = rep.verdicts()

    def _audit_arrived(self) -> None:
        from ..audit import AuditOptions, Deviation, check_deviation

        groups: dict[Any, list] = {}
        for p in self.participants:
            if p.coalition is not None or not p.strategy.is_truthful:
                key = ("coalition", p.coalition.key) if p.coalition is not None else ("agent", p.agent_id)
                groups.setdefault(key, []).append(p)
        n = len(self.participants)
        for key, members in groups.items():
            if key in self._audited or any(p.report is None for p in members):
                continue
            self._audited.add(key)
            liars = {p.agent_id: p.report.declared for p in members if not p.truthful}
            if not liars:
                continue  # a misreporting strategy that happened to declare the truth
            dev = Deviation(liars, members[0].strategy_label)
            chk = check_deviation(self.replayer, dev, self.true_types, self.deviation_claims, AuditOptions(),
                                  skip=self.skip)
            self.audit_report.add(self.replayer.spec.name, n, chk)
            a = min(liars)
            true, xt, xd = self.true_types[a], chk.truth[a], chk.replayed.outcomes[a]
            c = chk.comparisons[a]
            self.deviators.append(DeviatorRow(tuple(sorted(liars)), dev.label, members[0].arrival_tick,
                                              outcome_text(xt, self.market), true_rank(xt, true),
                                              outcome_text(xd, self.market), true_rank(xd, true),
                                              float(chk.gain), chk.profitable, c.within_one))

    # ---- what the panels read ---------------------------------------------------------------
    @property
    def title(self) -> str:
        """Scenario name, mechanism and seed (or the error)."""
        if self.error is not None:
            return "scenario not loaded"
        return f"{self.scenario.name}: {self.scenario.mechanism}, seed {self.streams.seed}"

    def verdicts(self) -> list[str]:
        """Return the auditor's verdicts so far (deviations replayed), then the run-level ones."""
        if self.audit_report is None:
            return []
        return self.audit_report.verdicts() + self.run_verdicts

    def tick_frame(self) -> pd.DataFrame:
        """Return the ticks so far: tick, arrivals, then one price and one remaining column per good."""
        t = self.datacollector.tables["ticks"] if self.error is None else {"tick": []}
        rows = []
        names = list(self.market.goods.names) if self.error is None and self.market.goods else []
        for k in range(len(t["tick"])):
            row = {"tick": t["tick"][k] + 1, "arrivals": t["arrivals"][k]}
            pr, rem = t["prices"][k], t["remaining"][k]
            for j, nm in enumerate(names):
                row[f"price {nm}"] = float(pr[j]) if pr is not None and j < len(pr) else np.nan
                row[f"left {nm}"] = float(rem[j]) if rem is not None and j < len(rem) else np.nan
            rows.append(row)
        return pd.DataFrame(rows)

    def deviator_frame(self) -> pd.DataFrame:
        """Return the gains panel: one row per deviator audited so far (ranks 1 = best)."""
        rows = [{"agent": ",".join(map(str, d.agents)), "strategy": d.strategy, "tick": d.tick + 1,
                 "truth would give": d.truth + ("" if d.truth_rank is None else f" (rank {d.truth_rank})"),
                 "lying gave": d.lie + ("" if d.lie_rank is None else f" (rank {d.lie_rank})"),
                 "gain": round(d.gain, 4),
                 "GSP1 allows it": "-" if not d.profitable or d.within_one is None else
                 ("yes: within one object" if d.within_one else "NO")} for d in self.deviators]
        return pd.DataFrame(rows)

    def notes(self) -> list[str]:
        """Return warnings a reader needs: population notes and the no-scarcity warning."""
        if self.error is not None:
            return []
        from ..classroom.words import overshoot_lines

        out = list(self.population_notes)
        if not self.running:
            note = self.scarcity_note()
            if note:
                out.append(note)
            out += overshoot_lines(self)
        return out


def scenario_label(path: str | pathlib.Path) -> str:
    """Return the file name of a scenario path (for titles)."""
    return pathlib.Path(path).name


def _seed(value: int | str) -> int:
    """Return the seed typed in the page (-1 or empty: the scenario's seed)."""
    text = str(value).strip()
    if text in ("", "-1"):
        return -1
    try:
        seed = int(text)
    except ValueError:
        raise ConfigError("seed", value, "a non-negative integer") from None
    if seed < 0:
        raise ConfigError("seed", value, "a non-negative integer")
    return seed
