"""Counterexamples: small self-contained JSON files that re-run and explain a violation.

A file is DATA, never code (issue 12; schema ``abm-audit-counterexample/3``): it names the
mechanism by its registered key (faithful mechanisms in ``mechanisms.mechanism_registry.MECHANISMS``,
mutants, tagged ``spec.mutant_of``) with JSON parameters, and holds the market as
plain JSON (:func:`abm.audit.serialize.market_to_json`), the seed, every report of the run
(the schedule), the deviators' true types and the reports they switched to, the outcomes both
ways (and, when the auditor cross-checked a mechanism's shortcut, what the shortcut answered),
the claim's verdict and the finding. Nothing in a file is unpickled, imported or evaluated.
The scenario dict the CLI ran (when there was one) is stored as a ``scenario`` table; when the
schedule is too large to store, or the market holds a part that is not plain data (a SEM market
object, a user-defined valuation: ``{"$opaque": ...}``), :func:`replay_counterexample` rebuilds
the run from that scenario through a loader registered with :func:`set_scenario_loader`.

Every field is validated when the file is read (:meth:`Counterexample.from_json`), with errors
naming the field like scenario errors; sizes are checked before anything is built
(:data:`MAX_FILE_BYTES`, :data:`MAX_REPORTS`). Format 3 adds ``versions``: the versions of the
mechanism and of the strategies behind the deviation and the scenario (:mod:`abm.versions`); a
replay refuses a file whose versions differ from the installed ones unless forced. Format-2
files (no versions) still load. Version-1 files (``abm-audit-counterexample/1``,
which could carry pickled objects) are rejected with the command that regenerates them.
"""
from __future__ import annotations

import json
import pathlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mechanisms.errors import ConfigError, require
from mechanisms.market import Market
from mechanisms.mechanism_registry import MECHANISMS, make_mechanism
from mechanisms.online_mechanism import OnlineMechanism
from mechanisms.preferences import AgentType, BundleRanking, Cost, WeakOrder
from mechanisms.reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome, Report
from mechanisms.spec import Claim

from ..describe import describe_type
from ..versions import Versions, named_versions, read_versions, require_same_versions, versions_text
from .claims import AuditOptions, ClaimResult, audit_option_fields, audit_options_from_table
from .serialize import (MAX_ITEMS, get_int, has_opaque, jsonable, market_from_json, market_to_json, outcome_from_json,
                        outcome_to_json, schedule_from_json, schedule_to_json, table, type_from_json, type_to_json,
                        unjson)

FORMAT = "abm-audit-counterexample/3"
#: Formats still read: format 2 is format 3 without ``versions`` (its versions are "not recorded").
READ_FORMATS = (FORMAT, "abm-audit-counterexample/2")
#: Formats that are recognised but no longer read (with how to regenerate a file).
OLD_FORMATS = ("abm-audit-counterexample/1",)

#: Largest number of reports stored inline when a scenario is available to rebuild the run.
MAX_INLINE_REPORTS = 5000
#: Largest counterexample file read (bytes), and largest schedule replayed (reports).
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_REPORTS = 200_000
#: Largest nesting depth of a counterexample file's JSON.
MAX_DEPTH = 64

ScenarioLoader = Callable[[Mapping[str, Any], int], tuple[Callable[[], OnlineMechanism], list[list[Report]]]]
_SCENARIO_LOADER: list[ScenarioLoader] = []


def set_scenario_loader(loader: ScenarioLoader | None) -> None:
    """Register ``loader(scenario, seed) -> (factory, schedule)`` used when a file stores no schedule."""
    _SCENARIO_LOADER.clear()
    if loader is not None:
        _SCENARIO_LOADER.append(loader)


@dataclass
class Counterexample:
    """A saved violation (see the module docstring for the fields).

    ``truth``/``deviation_outcomes`` are the deviators' outcomes with truthful and deviating
    reports; ``result`` is the claim's verdict when it was found. ``shortcut_outcomes`` holds,
    when the auditor cross-checked a mechanism's shortcut (an incremental outcome, a declared
    distribution), what the shortcut answered for each deviator, beside the protocol answer;
    ``finding`` names what was found (e.g. ``"shortcut inconsistent"``; empty: a claim violation).
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
    options: AuditOptions = field(default_factory=AuditOptions)
    path: str = "full"
    shortcut_outcomes: dict[int, Outcome] | None = None
    finding: str = ""
    #: Versions of the mechanism and of the strategies behind the deviation and the scenario
    #: (:mod:`abm.versions`); None: record the installed ones now; ``{}``: not recorded (format 2).
    versions: Versions | None = None

    def __post_init__(self) -> None:
        if self.versions is None:  # a mechanism built outside the registry (a test's toy) has no version to record
            self.versions = named_versions(self.mechanism, _strategy_names(self.label, self.scenario)) \
                if self.mechanism in MECHANISMS else {}

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form written by :meth:`save` (plain data: format 3)."""
        agents = []
        for a in sorted(self.reports):
            row = {"agent": int(a), "true": type_to_json(self.true_types[a]), "reported": type_to_json(self.reports[a]),
                   "truthful_outcome": outcome_to_json(self.truth[a]),
                   "deviating_outcome": outcome_to_json(self.deviation_outcomes[a])}
            if self.shortcut_outcomes is not None and a in self.shortcut_outcomes:
                row["shortcut_outcome"] = outcome_to_json(self.shortcut_outcomes[a])
            agents.append(row)
        opts = {k: jsonable(getattr(self.options, k)) for k in audit_option_fields()}
        return {
            "format": FORMAT,
            "finding": self.finding,
            "claim": {"key": self.claim.key, "source": self.claim.source, "assumptions": self.claim.assumptions},
            "result": {"status": self.result.status, "condition": self.result.condition, "detail": self.result.detail},
            "mechanism": {"name": self.mechanism, "params": jsonable(self.params)},
            "market": market_to_json(self.market),
            "seed": int(self.seed),
            "scenario": jsonable(self.scenario) if self.scenario is not None else None,
            "options": opts,
            "versions": jsonable(self.versions or {}),
            "deviation": {"label": self.label, "path": self.path, "agents": agents},
            "schedule": schedule_to_json(self.schedule) if self.schedule is not None else None,
        }

    def save(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write the counterexample as JSON to ``path`` and return the path."""
        p = pathlib.Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_json(), indent=1))
        return p

    @classmethod
    def from_json(cls, d: Any) -> Counterexample:
        """Return the counterexample written by :meth:`to_json`, every field validated.

        Raises :class:`ConfigError` naming the field (``counterexample.<path>``) for a missing,
        unknown, mistyped or out-of-range field, and for a version-1 file (with how to
        regenerate it).
        """
        f = "counterexample"
        require(isinstance(d, Mapping), f, type(d).__name__, "a JSON object")
        fmt = d.get("format")
        if fmt in OLD_FORMATS:
            raise ConfigError(f"{f}.format", fmt, f"{FORMAT!r}: version-1 files are no longer read (they could "
                              "carry pickled code); regenerate the file with `python -m abm audit SCENARIO --save DIR` "
                              "(or re-run the audit that wrote it)")
        require(fmt in READ_FORMATS, f"{f}.format", fmt, f"one of {list(READ_FORMATS)}")
        table(d, f, ("format", "finding", "claim", "result", "mechanism", "market", "seed", "scenario", "options",
                     "deviation", "schedule") + (("versions",) if fmt == FORMAT else ()))
        versions = read_versions(d.get("versions", {}), f"{f}.versions") if fmt == FORMAT else {}
        for k in ("claim", "result", "mechanism", "market", "seed", "deviation"):
            require(k in d, f"{f}.{k}", None, "a value (the field is missing)")
        finding = _text(d, "finding", f, "")
        c = table(d["claim"], f"{f}.claim", ("key", "source", "assumptions"))
        key = _text(c, "key", f"{f}.claim")
        require(key != "", f"{f}.claim.key", key, "a claim key")
        claim = Claim(key, _text(c, "source", f"{f}.claim", ""), _text(c, "assumptions", f"{f}.claim", ""))
        r = table(d["result"], f"{f}.result", ("status", "condition", "detail"))
        from .claims import HOLDS, NO_CHECKER, NOT_APPLICABLE, VIOLATED

        status = _text(r, "status", f"{f}.result")
        require(status in (HOLDS, VIOLATED, NOT_APPLICABLE, NO_CHECKER), f"{f}.result.status", status,
                f"one of {[HOLDS, VIOLATED, NOT_APPLICABLE, NO_CHECKER]}")
        result = ClaimResult(key, status, _text(r, "condition", f"{f}.result", ""), _text(r, "detail", f"{f}.result", ""))
        mech = table(d["mechanism"], f"{f}.mechanism", ("name", "params"))
        name = _text(mech, "name", f"{f}.mechanism")
        require(name in MECHANISMS, f"{f}.mechanism.name", name,
                f"a registered mechanism or mutant {MECHANISMS.names()}")
        params = unjson(table(mech.get("params", {}), f"{f}.mechanism.params"), f"{f}.mechanism.params")
        market = market_from_json(d["market"], f"{f}.market")
        seed = get_int(d, "seed", f, 0, 2**63 - 1)
        scenario = d.get("scenario")
        if scenario is not None:
            scenario = dict(table(scenario, f"{f}.scenario"))
            require("base_dir" not in scenario or isinstance(scenario["base_dir"], str), f"{f}.scenario.base_dir",
                    scenario.get("base_dir"), "a string")
        opts = table(d.get("options", {}), f"{f}.options", tuple(audit_option_fields()))
        options = audit_options_from_table(opts, f"{f}.options")
        dev = table(d["deviation"], f"{f}.deviation", ("label", "path", "agents"))
        label = _text(dev, "label", f"{f}.deviation", "deviation")
        path = _text(dev, "path", f"{f}.deviation", "full")
        from .claims import _replay_paths

        require(path in _replay_paths(), f"{f}.deviation.path", path, f"one of {sorted(_replay_paths())}")
        agents = dev.get("agents")
        require(isinstance(agents, list) and len(agents) <= MAX_ITEMS, f"{f}.deviation.agents",
                type(agents).__name__, "a list of deviating agents")
        n_options = market.goods.m + 1 if market.kind == "objects" and market.goods is not None else None
        n_goods = market.goods.m if market.kind == "bundles" and market.goods is not None else None
        true_types: dict[int, AgentType] = {}
        reports: dict[int, AgentType] = {}
        truth: dict[int, Outcome] = {}
        devo: dict[int, Outcome] = {}
        shortcut: dict[int, Outcome] = {}
        for k, a in enumerate(agents):
            af = f"{f}.deviation.agents[{k}]"
            table(a, af, ("agent", "true", "reported", "truthful_outcome", "deviating_outcome", "shortcut_outcome"))
            for key_ in ("true", "reported", "truthful_outcome", "deviating_outcome"):
                require(key_ in a, f"{af}.{key_}", None, "a value (the field is missing)")
            i = get_int(a, "agent", af, 0, MAX_ITEMS)
            require(i not in reports, f"{af}.agent", i, "each deviating agent listed once")
            true_types[i] = _typed(type_from_json(a["true"], f"{af}.true"), market, f"{af}.true")
            reports[i] = _typed(type_from_json(a["reported"], f"{af}.reported"), market, f"{af}.reported")
            for key_, into in (("truthful_outcome", truth), ("deviating_outcome", devo), ("shortcut_outcome", shortcut)):
                if key_ in a:
                    o = outcome_from_json(a[key_], f"{af}.{key_}", n_options, n_goods)
                    require(o.agent == i, f"{af}.{key_}.agent", o.agent, f"the deviating agent {i}")
                    into[i] = o
        schedule = None
        if d.get("schedule") is not None:
            schedule = schedule_from_json(d["schedule"], f"{f}.schedule", MAX_REPORTS)
            for t, tick in enumerate(schedule):
                for k, rep in enumerate(tick):
                    _typed(rep.declared, market, f"{f}.schedule[{t}][{k}].declared")
            listed = {rep.agent for tick in schedule for rep in tick}
            for i in reports:
                require(i in listed, f"{f}.deviation.agents", i, "deviating agents that report in the schedule")
        else:
            require(scenario is not None, f"{f}.schedule", None, "a stored schedule, or a scenario to rebuild it from")
        require(scenario is not None or not (has_opaque(market) or has_opaque(params)), f"{f}.scenario", None,
                "the scenario the run came from (the market or the parameters hold parts that are not plain data)")
        return cls(claim=claim, result=result, mechanism=name, params=params, market=market, seed=seed,
                   true_types=true_types, reports=reports, label=label, truth=truth, deviation_outcomes=devo,
                   schedule=schedule, scenario=scenario, options=options, path=path,
                   shortcut_outcomes=shortcut or None, finding=finding, versions=versions)

    def needs_scenario(self) -> bool:
        """Return True when the mechanism must be rebuilt from the scenario (parts that are not data)."""
        return has_opaque(self.market) or has_opaque(self.params)

    def factory(self) -> Callable[[], OnlineMechanism]:
        """Return a factory rebuilding the mechanism of this counterexample."""
        return lambda: make_mechanism(self.mechanism, self.market, self.params)


def _strategy_names(label: str, scenario: Mapping[str, Any] | None) -> list[str]:
    """Return the strategy names a counterexample depends on: the deviation's and the scenario's.

    The deviation's come from its label (:func:`abm.audit.deviations.strategies_of`); the
    scenario's are ``[strategies].default``, each ``[[strategies.assign]].strategy`` and each
    ``[[coalitions]].strategy`` (spec strings or tables). Unregistered names are left out.
    """
    from .deviations import strategies_of

    names = list(strategies_of(label))
    if isinstance(scenario, Mapping):
        st = scenario.get("strategies")
        if isinstance(st, Mapping):
            names.append(st.get("default", "truthful"))
            names += [e.get("strategy") for e in st.get("assign", []) or [] if isinstance(e, Mapping)]
        names += [e.get("strategy") for e in scenario.get("coalitions", []) or [] if isinstance(e, Mapping)]
    return [n.get("name") if isinstance(n, Mapping) else n for n in names
            if isinstance(n, str) or (isinstance(n, Mapping) and isinstance(n.get("name"), str))]


def _text(d: Mapping[str, Any], key: str, field: str, default: Any = ...) -> str:
    """Return ``d[key]`` checked to be a string of at most 10,000 characters."""
    if key not in d:
        require(default is not ..., f"{field}.{key}", None, "a string (the field is missing)")
        return default
    v = d[key]
    require(isinstance(v, str) and len(v) <= 10_000, f"{field}.{key}", v if not isinstance(v, str) else v[:80],
            "a string (at most 10,000 characters)")
    return v


def _typed(t: AgentType, market: Market, field: str) -> AgentType:
    """Return ``t`` checked to fit ``market`` (bundle ranking over its goods, weak order over its objects)."""
    if market.kind == "bundles":
        require(isinstance(t, BundleRanking) and market.goods is not None and t.m == market.goods.m, field,
                type(t).__name__, f"a bundle ranking over the market's {market.goods.m if market.goods else '?'} goods")
    elif market.kind == "objects":
        require(isinstance(t, WeakOrder) and market.goods is not None and t.n_objects == market.goods.m, field,
                type(t).__name__, f"a weak order over the market's {market.goods.m if market.goods else '?'} objects")
    elif market.kind == "procurement":
        require(isinstance(t, Cost), field, type(t).__name__, "a cost (procurement market)")
    else:
        from mechanisms.fair_division.valuations import Valuation as FDValuation

        require(isinstance(t, FDValuation) and (market.horizon is None or t.m == market.horizon), field,
                type(t).__name__, f"a fair-division valuation over the market's {market.horizon} goods")
    return t


def _depth_ok(text: str, limit: int = MAX_DEPTH) -> bool:
    """Return True when the JSON ``text`` nests at most ``limit`` arrays/objects (strings skipped)."""
    depth = 0
    in_str = esc = False
    for ch in text:
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return False
        elif ch in "]}":
            depth -= 1
    return True


def load_counterexample(path: str | pathlib.Path) -> Counterexample:
    """Return the counterexample stored in the JSON file ``path`` (validated; see :meth:`Counterexample.from_json`).

    Raises :class:`ConfigError` naming ``counterexample`` for a missing, oversized (over
    :data:`MAX_FILE_BYTES`), non-UTF-8, too deeply nested or invalid JSON file.
    """
    p = pathlib.Path(path)
    require(p.is_file(), "counterexample", str(p), "an existing JSON file")
    size = p.stat().st_size
    require(size <= MAX_FILE_BYTES, "counterexample", str(p), f"a file of at most {MAX_FILE_BYTES} bytes ({size})")
    try:
        text = p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ConfigError("counterexample", str(p), f"a UTF-8 text file ({e})") from None
    require(_depth_ok(text), "counterexample", str(p), f"JSON nested at most {MAX_DEPTH} levels deep")
    try:
        d = json.loads(text, parse_constant=_no_constant)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ConfigError("counterexample", str(p), f"valid JSON ({e})") from None
    return Counterexample.from_json(d)


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON (write \"inf\"/\"nan\" strings)", name, 0)


# ---- explanation ----------------------------------------------------------------------
def describe_outcome(o: Outcome, market: Market, true: AgentType | None = None) -> str:
    """Return an outcome in words, with its rank under ``true`` for bundles."""
    if isinstance(o, BundleOutcome):
        s = market.goods.format_bundle(o.bundle) if market.goods is not None else str(o.bundle)
        if isinstance(true, BundleRanking):
            r = true.rank(o.bundle)
            s += (" (empty)" if r == len(true.bundles) else " (not acceptable: below empty)" if r > len(true.bundles)
                  else f" (true rank {r + 1} of {len(true.bundles)})")
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
    lines.append(f"Recorded with: {versions_text(cx.versions)}.")
    return "\n".join(lines)


def _rebuild(cx: Counterexample) -> tuple[Callable[[], OnlineMechanism], list[list[Report]]]:
    """Return (factory, schedule) of a counterexample, with bounded work.

    From the file when it stores the schedule and its market and parameters are plain data;
    otherwise from its scenario through the registered loader (the stored schedule, when there
    is one, is still the one replayed). Sizes are checked before anything is built.
    """
    if cx.schedule is not None:
        n = sum(len(t) for t in cx.schedule)
        require(n <= MAX_REPORTS, "counterexample.schedule", f"<{n} reports>", f"at most {MAX_REPORTS} reports")
    if cx.schedule is not None and not cx.needs_scenario():
        return cx.factory(), cx.schedule
    why = "the market or the parameters hold parts that are not plain data" if cx.schedule is not None else \
        "the file stores no schedule"
    require(cx.scenario is not None and bool(_SCENARIO_LOADER), "counterexample.scenario", None,
            f"a scenario and a loader registered with set_scenario_loader ({why})")
    factory, schedule = _SCENARIO_LOADER[0](cx.scenario, cx.seed)
    market = getattr(factory(), "market", None)
    if isinstance(market, Market):
        # the scenario rebuilds the market; the file's plain parts must agree with it
        stored, rebuilt = market_to_json(cx.market), market_to_json(market)
        for key in ("kind", "goods", "max_bundle_size", "n_agents", "horizon"):
            require(stored.get(key) == rebuilt.get(key), f"counterexample.market.{key}", stored.get(key),
                    f"the value the stored scenario rebuilds ({rebuilt.get(key)!r})")
        if not has_opaque(cx.params):  # the file's mechanism and parameters on the rebuilt market
            name, params = cx.mechanism, cx.params
            def factory():
                return make_mechanism(name, market, params)
    return factory, (cx.schedule if cx.schedule is not None else schedule)


@dataclass
class ReplayResult:
    """A re-run counterexample: the fresh outcomes, the fresh verdict, and whether they match."""

    counterexample: Counterexample
    outcomes: dict[int, Outcome]
    result: ClaimResult
    reproduced: bool
    text: str


def replay_counterexample(path_or_cx: str | pathlib.Path | Counterexample, force: bool = False) -> ReplayResult:
    """Re-run a saved counterexample, re-check its claim, and explain it.

    Rebuilds the mechanism and the schedule (from the file, or from its scenario through the
    loader registered with :func:`set_scenario_loader`), replays the deviation with the stored
    seed, and re-applies the claim's checker. ``reproduced`` is True when the deviators'
    outcomes equal the stored ones and the claim is violated again. A file recorded with other
    versions of its mechanism or strategies than the installed ones (:mod:`abm.versions`) is
    refused with a :class:`ConfigError` naming ``counterexample.versions``, unless ``force``
    (the text then says which versions differ); a format-2 file records none and is replayed.
    """
    from .audit import check_deviation
    from .replay import Deviation, Replayer

    cx = path_or_cx if isinstance(path_or_cx, Counterexample) else load_counterexample(path_or_cx)
    stale = require_same_versions(cx.versions or {}, "counterexample.versions", force)
    factory, schedule = _rebuild(cx)
    rp = Replayer(factory, schedule, cx.seed, cx.true_types)
    if not cx.reports:  # a run-level violation of the truthful run itself
        from .claims import checker_for

        chk = checker_for(cx.claim.key)
        truth = rp.truth
        err = rp.base.error
        if err is not None and getattr(err, "claim", None) == cx.claim.key:
            res = ClaimResult(cx.claim.key, "violated", "invariant breach",
                              f"the truthful run stopped at tick {rp.base.error_tick}: {err}")
        else:
            res = chk.fn(truth, {}, cx.claim) if chk is not None and chk.level == "run" else \
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
        same = all(outcomes.get(a) == cx.deviation_outcomes.get(a) for a in cx.reports) and \
            all(checked.truth.get(a) == cx.truth.get(a) for a in cx.reports)
    text = explain(cx) + "".join(f"\nwarning (forced): {m}" for m in stale) + ("\nReplay: reproduced (same outcomes, claim violated again)." if same and res.violated
                          else f"\nReplay: NOT reproduced (same outcomes: {same}; verdict now {res.status}).")
    return ReplayResult(cx, outcomes, res, bool(same and res.violated), text)
