"""One call from a notebook: audit a scenario, or search it for manipulations (issue 14, item 2).

>>> import abm
>>> res = abm.audit("examples/sd_bundles.toml")                     # doctest: +SKIP
>>> res.outcomes            # {agent: outcome with the goods' names}, first replication
>>> res.table()             # pandas DataFrame, one row per (strategy or search, n, claim)
>>> res.verdicts()          # one line per claim
>>> res.counterexamples     # replayable violations (abm.audit.Counterexample)
>>> res.plot()              # matplotlib Figure
>>> abm.search("examples/sem_three_arrivals.toml", replications=3).verdicts()   # doctest: +SKIP

:func:`audit` and :func:`search` take a scenario file, a :class:`~abm.scenario.Scenario` or a
plain dict (the TOML tables as Python dicts) plus overrides: ``seed``, ``replications``,
``mechanism`` (a name, or a dict for the whole ``[mechanism]`` table), ``claims``,
``deviations``, ``agents`` (into ``[audit]``), ``overrides={"market.capacity": 5}`` and any
dotted field as a keyword with ``__`` for the dots (``market__capacity=5``). Every value is
validated like a scenario file's: a bad one is a :class:`~mechanisms.errors.ConfigError` naming
the field. ``allow_import=True`` lets the scenario name a mechanism class to import
(``module:Class``, :mod:`mechanisms.plugins`).

:func:`search` is ``python -m abm search``: for every replication seed and every searched agent,
a best-response search (``strategies.search.best_response``: exhaustive when the agent's report
space fits the budget, else local search or grid plus bisection) and the fixed deviation
families asked for; every profitable report found is then audited against the claims (a claim
whose assumption fails is replaced by the nearest one that applies, :mod:`abm.audit.nearest`),
so each comes with a counterexample that ``python -m abm replay`` re-runs.
"""
from __future__ import annotations

import copy
import json
import math
import pathlib
import time
import types
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from mechanisms.errors import ConfigError, require
from mechanisms.preferences import AgentType
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome
from mechanisms.rng import Streams

from .scenario import Scenario, parse_scenario, replication_seed, set_path
from .schema import read_toml

ScenarioLike = str | pathlib.Path | Scenario | Mapping[str, Any]

#: Search families: the best-response search and the fixed deviation lists of ``[audit]``.
FAMILIES = ("best_response", "strategies", "truncations", "swaps", "disguises", "same_period", "bid_changes")

#: Market kinds each fixed family applies to, and what it does (for the "does not apply" note).
FAMILY_KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "best_response": (("bundles", "objects", "procurement"), "searches each agent's report space"),
    "strategies": (("bundles", "objects", "procurement", "fair_division"), "replays the misreports the run's agents made"),
    "random": (("bundles", "objects", "procurement"), "draws deviations at random (the random-sample design)"),
    "truncations": (("bundles",), "keeps the top k bundles of a bundle ranking"),
    "disguises": (("bundles",), "drops the least preferred bundle of a bundle ranking"),
    "swaps": (("bundles", "objects"), "swaps adjacent bundles or indifference classes"),
    "same_period": (("bundles", "objects"), "declares another type of the same arrival period"),
    "bid_changes": (("procurement",), "changes a seller's bid"),
}

#: What to use instead, per market kind, when a family does not apply.
ALTERNATIVES = {"bundles": "truncations, swaps, disguises or best_response",
                "objects": "swaps, same_period or best_response",
                "procurement": "bid_changes or best_response",
                "fair_division": "strategies (the fair-division misreport strategies: docs/fair_division.md)"}


# ---- scenarios and overrides ------------------------------------------------------------------
def _changes(seed: int | None, replications: int | None, mechanism: str | Mapping[str, Any] | None,
             claims: Sequence[str] | None, deviations: Sequence[str] | None, agents: Any,
             overrides: Mapping[str, Any] | None, kw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if seed is not None:
        out["seed"] = seed
    if replications is not None:
        out["replications"] = replications
    if isinstance(mechanism, str):
        out["mechanism.name"] = mechanism
    elif mechanism is not None:
        out["mechanism"] = dict(mechanism)
    for key, v in (("claims", claims), ("deviations", deviations), ("agents", agents)):
        if v is not None:
            out[f"audit.{key}"] = list(v) if isinstance(v, (list, tuple)) else v
    out.update(dict(overrides or {}))
    out.update({k.replace("__", "."): v for k, v in kw.items()})
    return out


def load(scenario: ScenarioLike, *, allow_import: bool = False, **changes: Any) -> Scenario:
    """Return the validated scenario ``scenario`` (file, Scenario or dict) with dotted ``changes``.

    ``changes`` map dotted fields to values (``{"market.capacity": 5}``); the scenario is parsed
    once, after the changes, so every error names the field. Raises :class:`ConfigError`.
    """
    if isinstance(scenario, Scenario):
        raw, base = copy.deepcopy(scenario.raw), scenario.base_dir
        allow_import = allow_import or scenario.allow_import
    elif isinstance(scenario, (str, pathlib.Path)):
        raw, base = read_toml(scenario, "scenario"), pathlib.Path(scenario).parent
    elif isinstance(scenario, Mapping):
        raw, base = copy.deepcopy(dict(scenario)), pathlib.Path(".")
    else:
        raise ConfigError("scenario", type(scenario).__name__, "a scenario file path, a Scenario or a dict")
    for path, value in changes.items():
        set_path(raw, path, value)
    return parse_scenario(raw, base, allow_import=allow_import)


def _audit_options(spec: Mapping[str, Any]):
    """Return the AuditOptions of a validated ``[audit]`` table (the one builder, claims.audit_options_from_table)."""
    from .audit.claims import audit_options_from_table

    return audit_options_from_table(spec)


def seeds_of(sc: Scenario, replications: int | None = None) -> list[int]:
    """Return the replication seeds of ``sc`` (:func:`abm.scenario.replication_seed`)."""
    r = sc.replications if replications is None else replications
    require(isinstance(r, int) and not isinstance(r, bool) and r >= 1, "replications", r, "a positive integer")
    return [replication_seed(sc.seed, k) for k in range(r)]


# ---- rendering ------------------------------------------------------------------------------
def render_outcome(o: Outcome, market) -> str:
    """Return an outcome with the goods' names: ``"{a,b}"``, ``"a"`` (``"o"``: the null option),
    ``"hired, paid 0.42"`` / ``"not hired"``."""
    names = list(market.goods.names) if market.goods is not None else None
    if isinstance(o, BundleOutcome):
        return market.goods.format_bundle(o.bundle) if names is not None else str(o.bundle)
    if isinstance(o, ObjectOutcome):
        return "o" if names is None or o.obj >= len(names) else names[o.obj]
    if isinstance(o, HireOutcome):
        return f"hired, paid {o.payment:.4g}" if o.hired else "not hired"
    return repr(o)


def render_lottery(o: Outcome, market) -> str:
    """Return an object outcome's lottery as ``"a: 0.5, o: 0.5"`` ("" when it has none)."""
    if not isinstance(o, ObjectOutcome) or o.lottery is None:
        return ""
    names = list(market.goods.names) + ["o"]
    return ", ".join(f"{names[k] if k < len(names) else k}: {p:.3g}" for k, p in enumerate(o.lottery) if p > 1e-12)


def render_type(t: AgentType, market) -> str:
    """Return a type with the goods' names (:func:`abm.describe.describe_type`, four bundles at most)."""
    from .describe import describe_type

    return describe_type(t, market, limit=4)


def size_warnings(run) -> list[str]:
    """Return warnings about a market too small for its mechanism (issue 14: OCAM on 3 agents).

    OCAM (Section 4.2) serves a sample of ceil(eps_s n) agents by serial dictatorship with
    capacities eps_s c_j and prices the rest from the sample's ECEEI: a good with eps_s c_j < 1
    can go to no sample agent and its price is set on a sample that cannot buy it. Any
    mechanism on a market with goods: every agent receiving nothing (the empty bundle, the null
    option for sure).
    """
    out = []
    # from the configuration recorded before the run (never the mechanism's own attributes)
    cfg = getattr(run.model, "config", None)
    market = run.model.market
    params = cfg.params if cfg is not None else {}
    if {"eps_n", "eps_f"} <= set(params) and market.goods is not None and market.n_agents is not None:
        from mechanisms.ocam.mechanism import eps_s_of, sample_size

        eps_s = eps_s_of(params["eps_n"], params["eps_f"])
        caps = market.goods.capacity
        small = [nm for nm, c in zip(market.goods.names, caps) if eps_s * float(c) < 1 - 1e-12]
        if small:
            s = sample_size(int(market.n_agents), params["eps_n"], params["eps_f"])
            out.append(f"{cfg.name}: n = {market.n_agents} agents gives a sample of {s} "
                       f"(ceil(eps_s n), eps_s = eps_n eps_f / 4 = {eps_s:.4g}) with sample capacities "
                       f"eps_s c_j < 1 for goods {small}: the sample cannot buy them, so their prices come from a "
                       f"sample that holds none (Section 4.2); OCAM needs capacities c_j >= 1 / eps_s = "
                       f"{math.ceil(1 / eps_s - 1e-9)} here (more agents with proportionally larger capacities, "
                       f"or larger eps_n, eps_f)")
    outs = [p.outcome for p in run.model.participants if getattr(p, "outcome", None) is not None]
    if outs and market.goods is not None and all(_nothing(o, market) for o in outs):
        out.append(f"every one of the {len(outs)} agents received nothing under {cfg.name}"
                   if cfg is not None else f"every one of the {len(outs)} agents received nothing")
    return out


def _nothing(o: Outcome, market) -> bool:
    """Return True when ``o`` gives nothing: the empty bundle, the null option for sure."""
    if isinstance(o, BundleOutcome):
        return o.bundle == 0
    if isinstance(o, ObjectOutcome) and market.goods is not None:
        null = len(market.goods.names)
        if o.lottery is not None:
            return float(o.lottery[null]) >= 1 - 1e-9
        return o.obj == null
    return False


# ---- deviation families ------------------------------------------------------------------------
def family_note(family: str, kind: str) -> str | None:
    """Return why ``family`` yields nothing on a ``kind`` market, or None when it applies."""
    require(family in FAMILY_KINDS, "families", family, f"one of {list(FAMILY_KINDS)}")
    kinds, what = FAMILY_KINDS[family]
    if kind in kinds:
        return None
    return f"{family}: does not apply to {kind} markets (it {what}); use {ALTERNATIVES[kind]}"


def family_deviations(run, spec: Mapping[str, Any], family: str) -> tuple[list, str | None]:
    """Return the deviations of one fixed ``family`` for ``run`` and a note when there are none.

    The note says the family does not apply to the market, or why it generated nothing here
    (nobody misreported; one arrival per period).
    """
    from .audit.sources import scenario_deviations

    kind = run.model.market.kind
    note = family_note(family, kind)
    if note is not None:
        return [], note
    devs = list(scenario_deviations(run.model, run.truthful, run.true_types, {**dict(spec), "deviations": [family]}))
    if devs:
        return devs, None
    if family == "strategies":
        return [], "strategies: nobody misreported in this run (every agent truthful), so there is nothing to replay"
    if family == "same_period":
        if all(len(t) <= 1 for t in run.truthful):
            return [], "same_period: no other agent in any arrival period (one arrival per period)"
        return [], "same_period: every agent of a period has the same type (no other type to declare)"
    return [], f"{family}: generated no deviation on this run (the agents' types leave nothing to change)"


def deviations_with_notes(run, spec: Mapping[str, Any]) -> tuple[list, list[str]]:
    """Return the deviations ``spec["deviations"]`` names for ``run`` and a note per empty family."""
    out, notes = [], []
    for fam in spec.get("deviations", ["strategies"]):
        require(fam in FAMILY_KINDS and fam != "best_response", "audit.deviations", fam,
                f"one of {[f for f in FAMILY_KINDS if f != 'best_response']} (best_response: python -m abm search)")
        devs, note = family_deviations(run, spec, fam)
        out += devs
        if note:
            notes.append(note)
    return out, notes


# ---- results ----------------------------------------------------------------------------------
class AuditResult:
    """What :func:`audit` returns (and the base of :class:`SearchResult`).

    Attributes: ``scenario`` (validated), ``seeds`` (one per replication), ``report`` (the
    combined :class:`~abm.audit.AuditReport`), ``runs`` (one :class:`~abm.audit.sources.ScenarioRun`
    per replication), ``notes`` (families that did not apply, markets too small, substituted claims).
    """

    def __init__(self, scenario: Scenario, seeds: list[int], report, runs: list, notes: list[str]):
        self.scenario, self.seeds, self.report, self.runs, self.notes = scenario, seeds, report, runs, notes

    # -- reading
    @property
    def market(self):
        """The first replication's market."""
        return self.runs[0].model.market

    def _name(self, agent: int, market=None) -> str:
        names = (market or self.market).extra.get("agent_names") if isinstance((market or self.market).extra, dict) else None
        return names[agent] if names and 0 <= agent < len(names) else str(agent)

    @property
    def outcomes(self) -> dict[int | str, str]:
        """Each agent's outcome in the first replication, with the goods' names (keys: the
        agents' names when the data names them, else their ids)."""
        run = self.runs[0]
        named = isinstance(run.model.market.extra, dict) and "agent_names" in run.model.market.extra
        return {(self._name(p.agent_id) if named else p.agent_id): render_outcome(p.outcome, run.model.market)
                for p in sorted(run.model.participants, key=lambda p: p.agent_id) if p.outcome is not None}

    def agents(self):
        """Return a DataFrame, one row per agent and replication: id, name, tick, true type,
        report, strategy, outcome (with the goods' names) and lottery (object markets)."""
        import pandas as pd

        rows = []
        for r, (seed, run) in enumerate(zip(self.seeds, self.runs)):
            mk = run.model.market
            ticks = {a: t for t, tick in enumerate(run.model.schedule) for a in tick}
            for p in sorted(run.model.participants, key=lambda p: p.agent_id):
                rows.append({"replication": r, "seed": seed, "agent": p.agent_id, "name": self._name(p.agent_id, mk),
                             "tick": ticks.get(p.agent_id), "true_type": render_type(p.true_type, mk),
                             "report": render_type(p.report.declared, mk) if p.report is not None else "",
                             "strategy": p.strategy_label,
                             "outcome": render_outcome(p.outcome, mk) if p.outcome is not None else "",
                             "lottery": render_lottery(p.outcome, mk) if p.outcome is not None else ""})
        return pd.DataFrame(rows)

    def table(self):
        """Return the audit table (pandas): one row per (mechanism, strategy or search, coalition
        size, n, claim), as :meth:`abm.audit.AuditReport.table`."""
        return self.report.table()

    def verdicts(self) -> list[str]:
        """Return one line per claim (with the nearest applicable claim named when a claim's
        assumption fails), then the notes."""
        from .audit.nearest import annotate_verdicts

        keys = [c.key for c in self.report.claims]
        return annotate_verdicts(self.report.verdicts(), keys) + [f"note: {n}" for n in self.notes]

    @property
    def counterexamples(self) -> list:
        """Every kept counterexample (:class:`abm.audit.Counterexample`), claim by claim."""
        return [cx for lst in self.report.counterexamples.values() for cx in lst]

    def explain(self, i: int = 0) -> str:
        """Return counterexample ``i`` in words (who deviated, what it reported and got, what it breaks)."""
        from .audit import explain

        cxs = self.counterexamples
        require(0 <= i < len(cxs), "counterexample", i, f"an index in [0, {len(cxs)})" if cxs else "a counterexample "
                "(none was found)")
        return explain(cxs[i])

    def save(self, directory: str | pathlib.Path) -> pathlib.Path:
        """Write ``table.csv``, ``verdicts.txt``, ``agents.csv`` and ``counterexamples/*.json``."""
        d = self.report.save(directory)
        (d / "verdicts.txt").write_text("\n".join(self.verdicts()) + "\n")
        self.agents().to_csv(d / "agents.csv", index=False)
        return d

    def plot(self, ax=None):
        """Return a matplotlib Figure: share of profitable deviations per strategy or search
        (Wilson 95% intervals), bars red where a claim was violated."""
        import matplotlib.pyplot as plt

        t = self.table()
        fig, ax = _axes(plt, ax)
        if len(t) == 0 or "share_profitable" not in t:
            ax.text(0.5, 0.5, "no deviations audited", ha="center", va="center", transform=ax.transAxes)
        else:
            t = t[t["strategy"] != "(every run)"]
            g = t.groupby("strategy", sort=True).agg(share=("share_profitable", "first"), lo=("ci_lo", "first"),
                                                      hi=("ci_hi", "first"), viol=("violations", "sum"),
                                                      dev=("deviations", "first"))
            y = range(len(g))
            colors = ["tab:red" if v else "tab:blue" for v in g["viol"]]
            ax.barh(list(y), g["share"], color=colors,
                    xerr=[(g["share"] - g["lo"]).clip(lower=0), (g["hi"] - g["share"]).clip(lower=0)], capsize=3)
            ax.set_yticks(list(y), [f"{s} ({d})" for s, d in zip(g.index, g["dev"])])
            ax.set_xlim(0, 1)
            ax.set_xlabel("share of deviations that profit (95% interval); red: a claim violated")
        ax.set_title(f"{self.scenario.name}: {self.scenario.mechanism}, {len(self.seeds)} replication(s)")
        fig.tight_layout()
        return fig

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.scenario.name!r}, mechanism {self.scenario.mechanism!r}, "
                 f"{len(self.seeds)} replication(s))"]
        return "\n".join(lines + [f"  {v}" for v in self.verdicts()])


def _axes(plt, ax):
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 3.5))
        return fig, ax
    return ax.figure, ax


def _warn(notes: list[str], run) -> None:
    import sys

    level, f = 1, sys._getframe(0)
    while f is not None and f.f_code.co_filename == __file__:  # point at the caller's line
        f, level = f.f_back, level + 1
    for w in size_warnings(run):
        if w not in notes:
            notes.append(w)
            warnings.warn(w, UserWarning, stacklevel=level)


def audit(scenario: ScenarioLike, *, claims: Sequence[str] | None = None, deviations: Sequence[str] | None = None,
          agents: int | None = None, replications: int | None = None, seed: int | None = None,
          mechanism: str | Mapping[str, Any] | None = None, allow_import: bool = False,
          save: str | pathlib.Path | None = None, progress: bool = False,
          overrides: Mapping[str, Any] | None = None, **fields: Any) -> AuditResult:
    """Audit a scenario in one call: run it, replay the deviations its ``[audit]`` table names
    under common random numbers for every replication, check the claims, combine.

    Args:
        scenario: a TOML file, a :class:`~abm.scenario.Scenario` or a dict of its tables.
        claims, deviations, agents: into ``[audit]`` (see ``docs/audit.md``).
        replications, seed, mechanism: the scenario's ``replications``, ``seed`` and
            ``mechanism.name`` (or the whole ``[mechanism]`` table as a dict).
        allow_import: let ``mechanism.name`` be ``module:Class`` (:mod:`mechanisms.plugins`).
        save: directory for ``table.csv``, ``verdicts.txt``, ``agents.csv``, ``counterexamples/``.
        progress: a progress bar on a terminal.
        overrides, **fields: dotted fields (``{"market.capacity": 5}`` or ``market__capacity=5``).

    Returns:
        An :class:`AuditResult`. Markets too small for the mechanism (OCAM's sample, everyone
        receiving nothing) are warned about (``UserWarning``) and listed in ``notes``.

    Raises:
        ConfigError: any invalid field, naming it.
    """
    from .audit import AuditReport
    from .audit import audit as run_audit
    from .audit.sources import ScenarioRun

    sc = load(scenario, allow_import=allow_import,
              **_changes(seed, replications, mechanism, claims, deviations, agents, overrides, fields))
    spec = dict(sc.audit)
    opts = _audit_options(spec)
    seeds = seeds_of(sc)
    reports, runs, notes = [], [], []
    for s in seeds:
        run = ScenarioRun(sc, s)
        _warn(notes, run)
        devs, fam_notes = deviations_with_notes(run, spec)
        notes += [n for n in fam_notes if n not in notes]
        reports.append(run_audit(run.factory, run.truthful, run.true_types, s, devs, spec.get("claims"),
                                 options=opts, scenario=run.scenario, progress=progress))
        runs.append(run)
    report = reports[0] if len(reports) == 1 else AuditReport.combine(reports)
    res = AuditResult(sc, seeds, report, runs, notes)
    if save is not None:
        res.save(save)
    return res


# ---- best-response search -----------------------------------------------------------------------
class _TimeUp(Exception):
    """The search's time budget ran out (raised inside an evaluation)."""


def score(comparison) -> float:
    """Return the search objective of one deviator's :class:`~abm.audit.gains.Comparison`.

    The gain when the deviation is profitable (a strictly better bundle, a strictly
    stochastically dominating lottery: SEM Section 2, a higher utility), else ``gain - 1`` (< 0):
    for lotteries a positive gain need not mean dominance, so non-dominating trade-offs score
    below 0 but keep their order, which local search climbs.
    """
    return float(comparison.gain) if comparison.profitable else float(comparison.gain) - 1.0


class SearchResult(AuditResult):
    """What :func:`search` returns: the per-agent search table, the answer, and the audit of
    every profitable report found (counterexamples saved and replayable).

    ``table()`` is the search table (one row per replication, agent and family: reports tried,
    whether the whole report space was tried, best gain, best report); ``audit_table()`` the
    audit table of the profitable reports; ``verdicts()`` starts with the answer (manipulable,
    or "none found in N reports over R replications").
    """

    def __init__(self, scenario, seeds, report, runs, notes, rows, families, time_limit, stopped, budget):
        super().__init__(scenario, seeds, report, runs, notes)
        self.rows, self.families, self.time_limit, self.stopped, self.budget = rows, families, time_limit, stopped, budget

    def table(self):
        """Return the search table (pandas DataFrame, one row per replication, agent, family)."""
        import pandas as pd

        cols = ["replication", "seed", "agent", "name", "tick", "family", "method", "reports", "complete", "found",
                "gain", "true_type", "best_report"]
        return pd.DataFrame(self.rows, columns=cols)

    def audit_table(self):
        """Return the audit table of the profitable reports found (:meth:`AuditReport.table`)."""
        return self.report.table()

    @property
    def reports_tried(self) -> int:
        """Reports evaluated (replays), over every agent, family and replication."""
        return int(sum(r["reports"] for r in self.rows))

    def answer(self) -> str:
        """Return the one-line answer: who can gain how much by reporting what, or none found."""
        n, R = self.reports_tried, len(self.seeds)
        fams = ", ".join(self.families)
        found = [r for r in self.rows if r["found"]]
        distinct = len({(r["replication"], r["agent"], r["best_report"]) for r in found})
        agents = len({(r["replication"], r["agent"]) for r in self.rows})
        stop = (f"; stopped by the time limit ({self.time_limit:g} s) before every agent was searched"
                if self.stopped else "")
        if found:
            b = max(found, key=lambda r: r["gain"])
            return (f"manipulable: {distinct} profitable report(s) found in {n:,} reports tried over {R} "
                    f"replication(s) ({fams}); largest gain {b['gain']:.4g} under the true type: agent {b['name']} "
                    f"(tick {b['tick']}, replication {b['replication']}) reports {b['best_report']} instead of "
                    f"{b['true_type']}{stop}")
        br = [r for r in self.rows if r["family"] == "best_response"]
        exhaustive = bool(br) and all(r["complete"] for r in br) and not self.stopped
        proof = ("; every searched agent's whole report space was tried (exhaustive), so no profitable unilateral "
                 "report exists for these agents and seeds" if exhaustive else "")
        return (f"none found in {n:,} reports over {R} replication(s) ({agents} agent searches; {fams}){proof}{stop}")

    def verdicts(self) -> list[str]:
        """Return the answer, then the audit verdicts of the profitable reports, then the notes."""
        from .audit.nearest import annotate_verdicts

        keys = [c.key for c in self.report.claims]
        lines = [self.answer()]
        if any(r["found"] for r in self.rows):
            lines += annotate_verdicts(self.report.verdicts(), keys)
        return lines + [f"note: {n}" for n in self.notes]

    def save(self, directory: str | pathlib.Path) -> pathlib.Path:
        """Write ``search.csv`` beside the audit files (:meth:`AuditResult.save`)."""
        d = super().save(directory)
        self.table().to_csv(d / "search.csv", index=False)
        self.report.table().to_csv(d / "table.csv", index=False)
        return d

    def plot(self, ax=None):
        """Return a matplotlib Figure: each searched agent's best gain (first replication
        highlighted; red: a profitable report found)."""
        import matplotlib.pyplot as plt

        fig, ax = _axes(plt, ax)
        t = self.table()
        if len(t) == 0:
            ax.text(0.5, 0.5, "nothing searched", ha="center", va="center", transform=ax.transAxes)
        else:
            g = t.groupby(["agent"], sort=True).agg(gain=("gain", "max"), found=("found", "max"))
            ax.bar([str(a) for a in g.index], g["gain"].clip(lower=0),
                   color=["tab:red" if f else "tab:grey" for f in g["found"]])
            ax.set_xlabel("agent")
            ax.set_ylabel("best gain found (under the true type)")
        ax.set_title(f"{self.scenario.name}: {self.answer()[:60]}...", fontsize=9)
        fig.tight_layout()
        return fig


def _probe(run, agents: Any) -> list[int]:
    import numpy as np

    order = [i for tick in run.model.schedule for i in tick]
    if agents is None or agents == "all":
        return order
    if isinstance(agents, int) and not isinstance(agents, bool):
        require(agents >= 1, "agents", agents, 'a positive integer, a list of agent ids, or "all"')
        return sorted({order[int(j)] for j in np.linspace(0, len(order) - 1, num=min(agents, len(order)))})
    require(isinstance(agents, (list, tuple)) and all(isinstance(a, int) and a in run.true_types for a in agents),
            "agents", agents, f"a positive integer, \"all\", or agent ids among 0..{len(order) - 1}")
    return list(agents)


def resolve_search_claims(run, claims: Sequence[str] | None) -> tuple[list[str], list[str]]:
    """Return the claims to check the found reports against, and notes on substitutions.

    Default: the mechanism's declared claims. A claim whose stated assumption fails on this run
    (``abm.audit.audit.assumption_holds``: SEM's one arrival per period) is kept (its verdict
    says the paper claims nothing here) and the nearest claim that applies
    (:mod:`abm.audit.nearest`) is added, with a note saying so and how to ask for it.
    """
    from .audit.audit import assumption_holds, resolve_claims
    from .audit.nearest import how_to_ask, nearest_claims

    mech = run.factory()
    chosen = resolve_claims(mech, claims)
    keys = [c.key for c in chosen]
    notes = []
    for c in chosen:
        ok, why = assumption_holds(c, run.truthful)
        if ok:
            continue
        alts = nearest_claims(c.key)
        if not alts:
            continue
        k, meaning = alts[0]
        per = max(len(t) for t in run.truthful) if run.truthful else 0
        if k not in keys:
            keys.append(k)
        notes.append(f"{c.key}: its assumption fails on this market ({why}; up to {per} arrivals per tick), so the "
                     f"paper claims nothing here; also checking the nearest claim that applies, {k} ({meaning}); "
                     f"ask for it with {how_to_ask(k)}")
    return keys, notes


def search(scenario: ScenarioLike, *, agents: Any = None, budget: int = 200, families: Sequence[str] | None = None,
           claims: Sequence[str] | None = None, replications: int | None = None, time_limit: float | None = None,
           seed: int | None = None, mechanism: str | Mapping[str, Any] | None = None, allow_import: bool = False,
           exhaustive_limit: int | None = None, save: str | pathlib.Path | None = None, progress: bool = False,
           overrides: Mapping[str, Any] | None = None, **fields: Any) -> SearchResult:
    """Search a scenario for profitable misreports: "can anyone here profit, and how?".

    Args:
        scenario: a TOML file, a Scenario or a dict (as :func:`audit`).
        agents: who is searched: None or ``"all"`` (every agent, in arrival order), an integer k
            (k agents spread over the arrival order), or a list of agent ids. Default: the
            ``[audit]`` table's ``agents`` when given, else every agent.
        budget: replays per agent and replication for the best-response search (exhaustive when
            the agent's report space has at most this many reports).
        families: what to try: ``"best_response"`` (default) and any fixed deviation family of
            ``[audit]`` (``strategies``, ``truncations``, ``swaps``, ``disguises``,
            ``same_period``, ``bid_changes``); a family that does not apply to the market says so
            in ``notes``.
        claims: claims the profitable reports are audited against (default: the mechanism's,
            with the nearest applicable claim added for each one whose assumption fails).
        replications: how many replication seeds (default: the scenario's ``replications``).
        time_limit: seconds; the search stops (and says so) when they are spent.
        exhaustive_limit: cap on the report-space size searched exhaustively (default: budget).
        save: directory for ``search.csv``, ``table.csv``, ``verdicts.txt``, ``counterexamples/``.
        progress: a progress bar (agent searches) on a terminal.

    Returns:
        A :class:`SearchResult`; ``verdicts()[0]`` is the answer.

    Raises:
        ConfigError: an invalid field or argument, naming it.
    """
    from strategies.search import best_response

    from .audit import AuditReport, Deviation, Replayer, compare
    from .audit import audit as run_audit
    from .audit.sources import ScenarioRun
    from .progress import Progress

    require(isinstance(budget, int) and not isinstance(budget, bool) and budget >= 1, "budget", budget,
            "a positive integer number of replays per agent")
    require(time_limit is None or (isinstance(time_limit, (int, float)) and time_limit > 0), "time_limit",
            time_limit, "a positive number of seconds")
    fams = list(families) if families is not None else ["best_response"]
    require(len(fams) > 0, "families", fams, f"at least one of {list(FAMILIES)}")
    for f in fams:
        require(f in FAMILIES, "families", f, f"one of {list(FAMILIES)}")
    sc = load(scenario, allow_import=allow_import,
              **_changes(seed, replications, mechanism, claims, None, None, overrides, fields))
    spec = dict(sc.audit)
    if agents is None:
        agents = spec.get("agents")
    opts = _audit_options(spec)
    seeds = seeds_of(sc)
    deadline = None if time_limit is None else time.perf_counter() + float(time_limit)
    rows: list[dict[str, Any]] = []
    reports, runs, notes = [], [], []
    stopped = False
    bar = None
    for r, s in enumerate(seeds):
        run = ScenarioRun(sc, s)
        runs.append(run)
        _warn(notes, run)
        market = run.model.market
        probe = _probe(run, agents)
        keys, claim_notes = resolve_search_claims(run, claims if claims is not None else spec.get("claims"))
        notes += [n for n in claim_notes if n not in notes]
        if bar is None:
            bar = Progress(len(seeds) * len(probe) * len(fams), desc=f"searching {sc.mechanism}", quiet=not progress,
                           unit="search")
        rp = Replayer(run.factory, run.truthful, s, run.true_types)
        ticks = {a: t for t, tick in enumerate(run.model.schedule) for a in tick}
        names = market.extra.get("agent_names") if isinstance(market.extra, dict) else None
        found = []

        def evaluator(agent: int):
            def evaluate(reports: Mapping[int, AgentType]) -> float:
                if deadline is not None and time.perf_counter() > deadline:
                    raise _TimeUp()
                rr = rp.replay(Deviation(dict(reports), "search"))
                return score(compare(run.true_types[agent], rr.baseline.outcomes[agent], rr.outcomes[agent]))
            return evaluate

        def row(agent, family, method, n, complete, gain, best):
            ok = best is not None
            rows.append({"replication": r, "seed": s, "agent": agent,
                         "name": names[agent] if names else str(agent), "tick": ticks.get(agent), "family": family,
                         "method": method, "reports": n, "complete": complete, "found": ok,
                         "gain": gain if ok else 0.0, "true_type": render_type(run.true_types[agent], market),
                         "best_report": render_type(best, market) if ok else ""})

        for fam in fams:
            if stopped:
                break
            if fam == "best_response":
                for a in probe:
                    if deadline is not None and time.perf_counter() > deadline:
                        stopped = True
                        break
                    rng = Streams(s).get("search", a)
                    try:
                        res = best_response(a, run.true_types[a], evaluator(a), budget, rng=rng,
                                            exhaustive_limit=exhaustive_limit)
                    except _TimeUp:
                        stopped = True
                        break
                    if res.best is not None:
                        found.append(Deviation(res.best, f"search:{res.method}"))
                    row(a, fam, res.method, res.replays, res.complete, res.gain, res.best[a] if res.best else None)
                    bar.update("done")
                continue
            devs, note = family_deviations(run, spec, fam)
            if note and note not in notes:
                notes.append(note)
            wanted = set(probe)
            best: dict[int, tuple[float, Any, int]] = {}
            for d in devs:
                if not set(d.reports) & wanted:
                    continue
                if deadline is not None and time.perf_counter() > deadline:
                    stopped = True
                    break
                try:
                    rr = rp.replay(d)
                except ConfigError:  # a report the mechanism refuses (e.g. a bid above B): not a deviation
                    continue
                comps = {a: compare(run.true_types[a], rr.baseline.outcomes[a], rr.outcomes[a]) for a in d.reports}
                for a, c in comps.items():
                    g, rep, n = best.get(a, (-math.inf, None, 0))
                    if c.profitable and c.gain > g:
                        g, rep = c.gain, d.reports[a]
                    best[a] = (g, rep, n + 1)
                if any(c.profitable for c in comps.values()):
                    found.append(d)
            for a in sorted(best):
                g, rep, n = best[a]
                row(a, fam, "fixed list", n, False, g, rep)
            for _ in probe:  # one tick per searched agent, also when the family yields nothing for it
                bar.update("done")
        unique, seen = [], set()
        for d in found:  # one audit (and counterexample) per distinct profitable report
            k = tuple(sorted(d.reports.items(), key=lambda kv: kv[0]))
            if k not in seen:
                seen.add(k)
                unique.append(d)
        reports.append(run_audit(run.factory, run.truthful, run.true_types, s, unique, keys, options=opts,
                                 scenario=run.scenario))
        if stopped:
            break
    if bar is not None:
        bar.close()
    report = reports[0] if len(reports) == 1 else AuditReport.combine(reports)
    res = SearchResult(sc, seeds[:len(runs)], report, runs, notes, rows, fams, time_limit, stopped, budget)
    if save is not None:
        res.save(save)
    return res


# ---- replays of counterexamples --------------------------------------------------------------
def prepare_replay(path: str | pathlib.Path, allow_import: bool = False) -> str:
    """Make the mechanism a counterexample file names available, and return its name.

    A built-in or mutant name needs nothing. A plugin mechanism is loaded from its installed
    entry point (``mechbed.mechanisms``) or, with ``allow_import``, from the ``module:Class``
    its stored scenario names (:mod:`mechanisms.plugins`). The file is read as JSON only.
    Raises :class:`ConfigError` (with how to opt in) when the mechanism cannot be found.
    """
    from mechanisms.mechanism_registry import MECHANISMS
    from mechanisms.plugins import resolve_mechanism

    p = pathlib.Path(path)
    require(p.is_file(), "counterexample", str(p), "an existing JSON file")
    try:
        d = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise ConfigError("counterexample", str(p), f"valid JSON ({e})") from None
    mech = d.get("mechanism") if isinstance(d, Mapping) else None
    name = mech.get("name") if isinstance(mech, Mapping) else None
    if not isinstance(name, str) or name in MECHANISMS:  # faithful or a mutant: one registry
        return str(name)  # the auditor's reader reports a malformed file
    scen = d.get("scenario") if isinstance(d.get("scenario"), Mapping) else {}
    smech = scen.get("mechanism", {}) if isinstance(scen.get("mechanism", {}), Mapping) else {}
    spec_name = smech.get("name")
    base = scen.get("base_dir", str(p.parent))
    if isinstance(spec_name, str) and ":" in spec_name:
        return resolve_mechanism(spec_name, allow_import=allow_import, base_dir=base,
                                 field="counterexample.scenario.mechanism.name")
    return resolve_mechanism(name, field="counterexample.mechanism.name")


def replay(path: str | pathlib.Path, allow_import: bool = False, force: bool = False):
    """Re-run a saved counterexample and explain it (``python -m abm replay FILE`` from Python).

    Returns the :class:`abm.audit.counterexample.ReplayResult` (``.text``, ``.reproduced``).
    ``force`` replays a file recorded with other mechanism or strategy versions (else refused:
    :func:`abm.audit.counterexample.replay_counterexample`).
    """
    from .audit import replay_counterexample, set_scenario_loader
    from .audit.cli import _scenario_loader

    prepare_replay(path, allow_import)
    set_scenario_loader(_scenario_loader)
    return replay_counterexample(path, force=force)


class _CallableAuditPackage(types.ModuleType):
    """The ``abm.audit`` package, callable: ``abm.audit(scenario, ...)`` is :func:`audit`.

    The package keeps every attribute (``abm.audit.audit`` is still the low-level auditor);
    a module attribute cannot hold the function instead, since importing any ``abm.audit.*``
    submodule would rebind ``abm.audit`` to the package.
    """

    def __call__(self, scenario: ScenarioLike, **kwargs: Any) -> AuditResult:
        return audit(scenario, **kwargs)


def make_callable(package: types.ModuleType) -> None:
    """Make the ``abm.audit`` package callable as :func:`audit` (see :class:`_CallableAuditPackage`)."""
    package.__class__ = _CallableAuditPackage


__all__ = ["AuditResult", "FAMILIES", "SearchResult", "audit", "family_note", "load", "prepare_replay", "render_outcome",
           "render_type", "replay", "score", "search", "size_warnings"]

