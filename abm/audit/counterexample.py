"""Counterexamples: small self-contained JSON files that re-run and explain a violation.

A file holds everything needed to rebuild the market and the mechanism without the scenario
loader: the mechanism's registered name (faithful mechanisms in
``mechanisms.protocol.MECHANISMS``, mutants in :data:`abm.audit.mutants.MUTANTS`) and its
parameters, the serialised market, the seed, every report of the run (the schedule), the
deviators' true types and the reports they switched to, the outcomes both ways, and the
claim's verdict. The scenario dict the CLI ran (when there was one) is stored verbatim as an
opaque ``scenario`` field; when the schedule is too large to store, :func:`replay_counterexample`
rebuilds the run from that scenario through a loader registered with :func:`set_scenario_loader`.
"""
from __future__ import annotations

import json
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.protocol import MECHANISMS, Claim, Market, OnlineMechanism
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome, Report

from .claims import AuditOptions, ClaimResult
from .serialize import (jsonable, market_from_json, market_to_json, outcome_from_json, outcome_to_json,
                        schedule_from_json, schedule_to_json, type_from_json, type_to_json, unjson)

FORMAT = "abm-audit-counterexample/1"

#: Largest number of reports stored inline when a scenario is available to rebuild the run.
MAX_INLINE_REPORTS = 5000

ScenarioLoader = Callable[[Mapping[str, Any], int], tuple[Callable[[], OnlineMechanism], list[list[Report]]]]
_SCENARIO_LOADER: list[ScenarioLoader] = []


def set_scenario_loader(loader: ScenarioLoader | None) -> None:
    """Register ``loader(scenario, seed) -> (factory, schedule)`` used when a file stores no schedule."""
    _SCENARIO_LOADER.clear()
    if loader is not None:
        _SCENARIO_LOADER.append(loader)


def build_mechanism(name: str, market: Market, params: Mapping[str, Any] | None = None) -> OnlineMechanism:
    """Return mechanism ``name`` (registered or a mutant) configured on ``market`` with ``params``."""
    from .mutants import MUTANTS

    if name in MUTANTS:
        return MUTANTS.get(name)(market, **dict(params or {}))
    cls = MECHANISMS.get(name, "mechanism.name")
    return cls(market, **dict(params or {}))


@dataclass
class Counterexample:
    """A saved violation (see the module docstring for the fields).

    ``truth``/``deviation_outcomes`` are the deviators' outcomes with truthful and deviating
    reports; ``result`` is the claim's verdict when it was found.
    """

    claim: Claim
    result: ClaimResult
    mechanism: str
    params: dict[str, Any]
    market: Market
    seed: int
    true_types: dict[int, AgentType]
    reports: dict[int, AgentType]
    label: str
    truth: dict[int, Outcome]
    deviation_outcomes: dict[int, Outcome]
    schedule: list[list[Report]] | None
    scenario: dict[str, Any] | None = None
    options: AuditOptions = AuditOptions()
    path: str = "full"

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form written by :meth:`save`."""
        return {
            "format": FORMAT,
            "claim": {"key": self.claim.key, "source": self.claim.source, "assumptions": self.claim.assumptions},
            "result": {"status": self.result.status, "condition": self.result.condition, "detail": self.result.detail},
            "mechanism": {"name": self.mechanism, "params": jsonable(self.params)},
            "market": market_to_json(self.market),
            "seed": int(self.seed),
            "scenario": jsonable(self.scenario) if self.scenario is not None else None,
            "options": {"eps": self.options.eps, "support_draws": self.options.support_draws},
            "deviation": {"label": self.label, "path": self.path,
                          "agents": [{"agent": a, "true": type_to_json(self.true_types[a]),
                                      "reported": type_to_json(self.reports[a]),
                                      "truthful_outcome": outcome_to_json(self.truth[a]),
                                      "deviating_outcome": outcome_to_json(self.deviation_outcomes[a])}
                                     for a in sorted(self.reports)]},
            "schedule": schedule_to_json(self.schedule) if self.schedule is not None else None,
        }

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the counterexample as JSON to ``path`` and return the path."""
        p = pathlib.Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_json(), indent=1))
        return p

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Counterexample:
        """Return the counterexample written by :meth:`to_json`; ConfigError on a malformed file."""
        require(isinstance(d, Mapping) and d.get("format") == FORMAT, "counterexample.format",
                d.get("format") if isinstance(d, Mapping) else d, repr(FORMAT))
        try:
            dev = d["deviation"]
            agents = dev["agents"]
            c = d["claim"]
            r = d["result"]
            opts = d.get("options", {})
            return cls(
                claim=Claim(c["key"], c.get("source", ""), c.get("assumptions", "")),
                result=ClaimResult(c["key"], r["status"], r.get("condition", ""), r.get("detail", "")),
                mechanism=d["mechanism"]["name"],
                params=unjson(dict(d["mechanism"].get("params", {}))),
                market=market_from_json(d["market"]),
                seed=int(d["seed"]),
                true_types={int(a["agent"]): type_from_json(a["true"], "deviation.agents.true") for a in agents},
                reports={int(a["agent"]): type_from_json(a["reported"], "deviation.agents.reported") for a in agents},
                label=dev.get("label", "deviation"),
                truth={int(a["agent"]): outcome_from_json(a["truthful_outcome"]) for a in agents},
                deviation_outcomes={int(a["agent"]): outcome_from_json(a["deviating_outcome"]) for a in agents},
                schedule=schedule_from_json(d["schedule"]) if d.get("schedule") is not None else None,
                scenario=d.get("scenario"),
                options=AuditOptions(eps=float(opts.get("eps", 0.05)), support_draws=int(opts.get("support_draws", 16))),
                path=dev.get("path", "full"),
            )
        except KeyError as e:
            raise ConfigError(f"counterexample.{e.args[0]}", None, "a value (missing key)") from None

    def factory(self) -> Callable[[], OnlineMechanism]:
        """Return a factory rebuilding the mechanism of this counterexample."""
        return lambda: build_mechanism(self.mechanism, self.market, self.params)


def load_counterexample(path: str | pathlib.Path) -> Counterexample:
    """Return the counterexample stored in the JSON file ``path``."""
    p = pathlib.Path(path)
    require(p.is_file(), "counterexample", str(p), "an existing JSON file")
    try:
        d = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError("counterexample", str(p), f"valid JSON ({e})") from None
    return Counterexample.from_json(d)


# ---- explanation ----------------------------------------------------------------------
def describe_type(t: AgentType, market: Market) -> str:
    """Return a type in words (a ranking of bundles, a weak order, a cost)."""
    if isinstance(t, BundleRanking):
        return t.describe(market.goods, limit=5)
    if isinstance(t, WeakOrder):
        return t.describe(market.goods.names if market.goods is not None else None)
    if isinstance(t, Cost):
        return f"cost {t.value:g}"
    return repr(t)


def describe_outcome(o: Outcome, market: Market, true: AgentType | None = None) -> str:
    """Return an outcome in words, with its rank under ``true`` for bundles."""
    if isinstance(o, BundleOutcome):
        s = market.goods.format_bundle(o.bundle) if market.goods is not None else str(o.bundle)
        if isinstance(true, BundleRanking):
            r = true.rank(o.bundle)
            s += " (empty/unacceptable)" if r == len(true.bundles) else f" (true rank {r + 1} of {len(true.bundles)})"
        if o.budget is not None:
            s += f", budget {o.budget:.4g}"
        return s
    if isinstance(o, ObjectOutcome):
        names = list(market.goods.names) + ["null"] if market.goods is not None else None
        nm = names[o.obj] if names else str(o.obj)
        if o.lottery is not None:
            lot = ", ".join(f"{(names[k] if names else k)}: {p:.3g}" for k, p in enumerate(o.lottery) if p > 1e-12)
            return f"lottery ({lot}), realised {nm}"
        return nm
    if isinstance(o, HireOutcome):
        if not o.hired:
            return "not hired" + (f" (threshold {o.threshold:.4g})" if o.threshold is not None else "")
        return f"hired, paid {o.payment:.4g}" + (f" (threshold {o.threshold:.4g})" if o.threshold is not None else "")
    return repr(o)


def explain(cx: Counterexample) -> str:
    """Return, in words, who deviated, what they reported, what they got and what it breaks."""
    lines = [f"Mechanism {cx.mechanism} with parameters {jsonable(cx.params)}, seed {cx.seed}, "
             f"{cx.market.kind} market" + (f" with goods {dict(zip(cx.market.goods.names, cx.market.goods.capacities))}"
                                           if cx.market.goods is not None else "") + "."]
    if not cx.reports:
        lines.append("Nobody deviated: the violation is in the truthful run itself.")
    elif len(cx.reports) == 1:
        lines.append(f"One agent deviated ({cx.label}).")
    else:
        lines.append(f"A coalition of {len(cx.reports)} agents deviated ({cx.label}).")
    for a in sorted(cx.reports):
        true = cx.true_types[a]
        lines.append(f"  Agent {a}: true type {describe_type(true, cx.market)}; reported "
                     f"{describe_type(cx.reports[a], cx.market)}.")
        lines.append(f"    truthful: {describe_outcome(cx.truth[a], cx.market, true)}; "
                     f"deviating: {describe_outcome(cx.deviation_outcomes[a], cx.market, true)}.")
    src = f" ({cx.claim.source})" if cx.claim.source else ""
    lines.append(f"This breaks {cx.claim.key}{src}: {cx.result.detail or cx.result.condition}.")
    return "\n".join(lines)


@dataclass
class ReplayResult:
    """A re-run counterexample: the fresh outcomes, the fresh verdict, and whether they match."""

    counterexample: Counterexample
    outcomes: dict[int, Outcome]
    result: ClaimResult
    reproduced: bool
    text: str


def replay_counterexample(path_or_cx: str | pathlib.Path | Counterexample) -> ReplayResult:
    """Re-run a saved counterexample, re-check its claim, and explain it.

    Rebuilds the mechanism and the schedule (from the file, or from its scenario through the
    loader registered with :func:`set_scenario_loader`), replays the deviation with the stored
    seed, and re-applies the claim's checker. ``reproduced`` is True when the deviators'
    outcomes equal the stored ones and the claim is violated again.
    """
    from .audit import check_deviation
    from .replay import Deviation, Replayer

    cx = path_or_cx if isinstance(path_or_cx, Counterexample) else load_counterexample(path_or_cx)
    if cx.schedule is not None:
        factory, schedule = cx.factory(), cx.schedule
    else:
        require(cx.scenario is not None and bool(_SCENARIO_LOADER), "counterexample.schedule", None,
                "a stored schedule, or a scenario and a loader registered with set_scenario_loader")
        factory, schedule = _SCENARIO_LOADER[0](cx.scenario, cx.seed)
    rp = Replayer(factory, schedule, cx.seed, cx.true_types)
    if not cx.reports:  # a run-level violation of the truthful run itself
        from .claims import checker_for

        chk = checker_for(cx.claim.key)
        res = chk.fn(rp.truth, {}, cx.claim) if chk is not None and chk.level == "run" else \
            ClaimResult(cx.claim.key, "no checker")
        outcomes: dict[int, Outcome] = {}
        same = True
    else:
        dev = Deviation(cx.reports, cx.label)
        checked = check_deviation(rp, dev, cx.true_types, [cx.claim], cx.options, path="full")
        res = checked.results.get(cx.claim.key) or next(iter(checked.run_results.get(cx.claim.key, [])), None)
        if res is None:
            res = ClaimResult(cx.claim.key, "no checker")
        outcomes = dict(checked.replayed.outcomes)
        same = all(outcomes[a] == cx.deviation_outcomes[a] for a in cx.reports) and \
            all(checked.truth[a] == cx.truth[a] for a in cx.reports)
    text = explain(cx) + ("\nReplay: reproduced (same outcomes, claim violated again)." if same and res.violated
                          else f"\nReplay: NOT reproduced (same outcomes: {same}; verdict now {res.status}).")
    return ReplayResult(cx, outcomes, res, bool(same and res.violated), text)
