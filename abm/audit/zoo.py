"""The mutant zoo: every mutant audited on a small market with the default options, beside controls.

``python -m abm mutants`` prints one row per mutant (the claim it breaks, flagged?, the first
counterexample or finding) and one per faithful registered mechanism (a control: any flag is a
false alarm). The mutation score is the flagged share of the zoo; the target is 100% flagged
and 0 false alarms, on the default (trustless) path.

Markets (seeds pinned, sized to audit in about a second each):

- ``ocam``: 200 agents, 8 goods (capacities half of n/8 each, :func:`ocam_market`),
  eps_n = eps_f = 0.5 so the sample (13 agents) closes early; deviations: every second agent's
  disguise, adjacent swaps and truncations of 20 post-sample agents.
- ``bundles``: 12 agents in batches of 3 over 4 unit-capacity goods (serial dictatorship).
- ``objects``: the SEM test market (3 objects, T = 4, 2 arrivals per period).
- ``procurement``: 40 sellers, additive values, B = 1, costs U[0, 0.3).
- families whose markets are scenario files (fair division, fully online SEM): the scenario
  named in :data:`SCENARIO_FAMILIES`, run through :class:`~abm.audit.sources.ScenarioRun`.
"""
from __future__ import annotations

import pathlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mechanisms.errors import ConfigError
from mechanisms.market import Market
from mechanisms.mechanism_registry import MECHANISMS, registered_mechanisms
from mechanisms.preferences import BundleRanking, Cost
from mechanisms.reports import Report

from .audit import AuditReport, audit
from .claims import AuditOptions
from .replay import Deviation

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Family:
    """A zoo market: (market, true types, schedule, seed, deviations) and default parameters."""

    name: str
    build: Callable[[], tuple[Market, dict, list, int, list[Deviation]]]
    params: dict


def ocam_market(n: int = 200, seed: int = 1):
    """Return (market, types, schedule, params) of the OCAM zoo market (8 goods, bundles of <= 3)."""
    from mechanisms.ocam.markets import random_market

    market, ranks = random_market(n, 8, 3, np.random.default_rng(seed), n_types=8, top=None,
                                  capacity_factor=0.5, popularity=0.0)
    types = dict(enumerate(ranks))
    return market, types, [[Report(i, types[i])] for i in range(n)], {"eps_n": 0.5, "eps_f": 0.5}


def _ocam():
    from .deviations import adjacent_swaps, disguises, truncations

    market, types, sched, _ = ocam_market()
    devs = list(disguises(types, range(0, 200, 2))) + list(adjacent_swaps(types, range(13, 33), depth=2)) \
        + list(truncations(types, range(13, 33), ks=(1, 2)))
    return market, types, sched, 3, devs


def _bundles():
    from mechanisms.market import Goods

    from .deviations import adjacent_swaps, truncations

    rng = np.random.default_rng(3)
    market = Market("bundles", Goods.uniform(4, 1), max_bundle_size=2, n_agents=12)
    base = np.linspace(1.0, 0.4, 4)
    types = {i: BundleRanking.from_scores(base + 0.3 * rng.random(4), 2, top=6) for i in range(12)}
    sched = [[Report(i, types[i]) for i in range(t * 3, (t + 1) * 3)] for t in range(4)]
    return market, types, sched, 7, list(truncations(types, types, ks=(1, 2))) + list(adjacent_swaps(types, types))


def sem_three_objects(replica: int, seed: int = 1):
    """Return (SEM market, true types, schedule) of the three-object, T = 4 test market, arrivals drawn."""
    from mechanisms.sem import SEMMarket, arrival_schedule, sample_arrivals

    mk = SEMMarket.stationary(["a", "b", "c"], [1, 1, 1],
                              {"a > b > c > o": 0.4, "b > a > o > c": 0.3, "{a,b} > c > o": 0.3}, horizon=4,
                              replica=replica)
    sched, types = arrival_schedule(sample_arrivals(mk, None, np.random.default_rng(seed)))
    return mk, types, sched


def _objects():
    from .deviations import same_period_misreports

    mk, types, sched = sem_three_objects(2)
    market = mk.market()
    space = lambda t: [o for o, _ in mk.period_types(t + 1)]  # noqa: E731
    return market, types, sched, 1, list(same_period_misreports(sched, types, type_space=space))


def _procurement():
    from mechanisms.procurement import Additive, PredictionModel, procurement_market

    from .deviations import bid_changes

    rng = np.random.default_rng(4)
    v = Additive(rng.random(40))
    costs = rng.random(40) * 0.3
    market = procurement_market(v, 1.0, PredictionModel(0.0), costs=costs)
    types = {i: Cost(float(c)) for i, c in enumerate(costs)}
    sched = [[Report(int(i), types[int(i)])] for i in rng.permutation(40)]
    return market, types, sched, 1, list(bid_changes(types, types, max_bid=1.0))


FAMILIES = {
    "ocam": Family("ocam", _ocam, {"eps_n": 0.5, "eps_f": 0.5}),
    "bundles": Family("bundles", _bundles, {}),
    "objects": Family("objects", _objects, {}),
    "procurement": Family("procurement", _procurement, {}),
}

#: Families whose zoo market is a scenario file (mechanism overridden per entry).
SCENARIO_FAMILIES = {"fair_division": "fair_division_dp.toml", "fair_division_two": "fair_division_naive.toml",
                     "sem_online": "sem_online_host_homes.toml"}

#: mutant -> (family, the claim it breaks, extra parameters)
MUTANT_TABLE: dict[str, tuple[str, str, dict]] = {
    "mutant_sd_truncation_bonus": ("bundles", "strategyproof", {}),
    "mutant_ocam_wide_budgets": ("ocam", "gsp1", {}),
    "mutant_ocam_rich_unseen": ("ocam", "gsp1", {}),
    "mutant_ocam_lying_shortcut": ("ocam", "shortcut", {}),
    "mutant_ocam_outside_support": ("ocam", "declared distribution", {}),
    "mutant_ocam_own_report_prices": ("ocam", "daceei_by_construction", {}),
    "mutant_ocam_overspend_some": ("ocam", "daceei_by_construction", {}),
    "mutant_ocam_overspend_all": ("ocam", "daceei_by_construction", {}),
    "mutant_ocam_half_prices": ("ocam", "eceei_sample", {}),
    "mutant_bf_pay_bid": ("procurement", "universal_truthfulness", {"p": 0.0}),
    "mutant_bf_bid_threshold": ("procurement", "universal_truthfulness", {"p": 0.0}),
    "mutant_bf_own_bid_price": ("procurement", "universal_truthfulness", {"p": 0.0}),
    "mutant_bf_skip_budget": ("procurement", "budget_feasible", {"p": 0.0}),
    "mutant_bf_underpay": ("procurement", "ir", {"p": 0.0}),
    "mutant_sem_equal_budgets": ("objects", "greedy", {}),
    "mutant_dp_lowest_index": ("fair_division", "fd_temporal_mms", {}),
    "mutant_sem_online_no_time_tax": ("sem_online", "lindahl_clearing", {}),
    # an asymptotic claim: judged by the SP1 trend across replica sizes, not by one audit
    "mutant_sem_own_price_shift": ("sp1_trend", "sp1", {}),
    # Definition 4 is asymptotic too: judged by the efficiency trend across replica sizes
    "mutant_sem_reversed_preferences": ("efficiency_trend", "ordinal_efficiency_asymptotic", {}),
}

#: The SP1 trend study of the zoo: market family, replica sizes, seeds (abm.audit.studies).
SP1_TREND = ("ps_last_period", (6, 24), (1, 7))

#: The zoo's asymptotic "families": trend studies across replica sizes, not single audits.
TRENDS = ("sp1_trend", "efficiency_trend")

#: Controls that need parameters to be meaningful on their zoo market.
CONTROL_PARAMS = {"bf_mech2": {"p": 0.0}, "bf_mech3": {"q": 0.0}}


@dataclass
class ZooRow:
    """One audited zoo entry."""

    mechanism: str
    role: str
    family: str
    breaks: str
    flagged: bool
    first: str
    deviations: int
    seconds: float
    report: AuditReport | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the row without the report (for tables)."""
        return {"mechanism": self.mechanism, "role": self.role, "family": self.family, "breaks": self.breaks,
                "flagged": self.flagged, "first": self.first, "deviations": self.deviations,
                "seconds": round(self.seconds, 2)}


#: Controls audited on a market other than their kind's default (e.g. Algorithm 2 needs two agents).
CONTROL_FAMILY = {"naive_aceei": "bundles", "naive_matching": "fair_division_two"}


def mutant_names() -> list[str]:
    """Return the registered mutants' names (``spec.mutant_of`` set, :mod:`mechanisms.mutants`), sorted."""
    return [n for n, cls in registered_mechanisms(mutants=True) if cls.spec.mutant_of is not None]


def _family_of_control(name: str) -> str | None:
    cls = MECHANISMS.get(name, "mechanism.name")
    kinds = cls.spec.market_kinds
    if name in CONTROL_FAMILY:
        return CONTROL_FAMILY[name]
    if name == "ocam":
        return "ocam"
    for k in ("procurement", "bundles", "objects"):
        if k in kinds:
            return "sem_online" if name in ("sem_online", "sem_upfront", "arriving_supply") else k
    for k in kinds:
        if k in SCENARIO_FAMILIES:
            return k
    return None


def _first(rep: AuditReport, breaks: str = "") -> str:
    lst = rep.counterexamples.get(breaks)
    if lst and rep.violations_inside(breaks):
        return f"{breaks}: {lst[0].result.detail}"
    for f in rep.findings:
        return f"{f.kind}: {f.detail}"
    for c in rep.claims:
        if rep.violations_inside(c.key) and c.key not in ("sp1",):
            lst = rep.counterexamples.get(c.key)
            return f"{c.key}: {lst[0].result.detail}" if lst else f"{c.key}: violated"
    return ""


def audit_entry(name: str, family: str, params: dict, options: AuditOptions | None = None) -> tuple[AuditReport, int]:
    """Return the audit of mechanism ``name`` on the zoo market ``family`` and its deviation count."""
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism

    if family in SCENARIO_FAMILIES:
        from ..scenario import load_scenario
        from .sources import ScenarioRun

        sc = load_scenario(EXAMPLES / SCENARIO_FAMILIES[family])
        sc = sc.with_overrides(**{"mechanism.name": name})
        run = ScenarioRun(sc, sc.seed)
        spec = dict(sc.audit) or {"deviations": ["strategies"]}
        devs = run.deviations(spec)
        rep = audit(run.factory, run.truthful, run.true_types, sc.seed, devs, options=options)
        return rep, len(devs)
    fam = FAMILIES[family]
    market, types, sched, seed, devs = fam.build()
    cls = MECHANISMS.get(name, "mechanism.name")
    known = {q.name for q in cls.spec.params}
    p = {k: v for k, v in {**fam.params, **params}.items() if k in known}
    rep = audit(lambda: build_mechanism(name, market, p), sched, types, seed, devs, options=options)
    return rep, len(devs)


def run_zoo(mutants: Sequence[str] | None = None, controls: bool = True,
            options: AuditOptions | None = None, progress: Callable[[str], None] | None = None) -> list[ZooRow]:
    """Audit every mutant of :data:`MUTANT_TABLE` (or those named) and every faithful mechanism.

    Returns one :class:`ZooRow` per entry; a mutant is *flagged* when its audit made a finding
    or violated a claim inside that claim's assumptions... or, for a mutant built to break a
    theorem's assumption (eps_b >= 1/m), violated the claim at all.
    """
    rows: list[ZooRow] = []
    names = list(mutants) if mutants is not None else [m for m in mutant_names() if m in MUTANT_TABLE]
    for m in names:
        family, breaks, params = MUTANT_TABLE[m]
        if progress:
            progress(m)
        t0 = time.perf_counter()
        if family in TRENDS:
            study = trend_study(m, family)
            rows.append(ZooRow(m, "mutant", family, breaks, study.label.startswith("violated"), study.verdict,
                               sum(r["pairs"] for r in study.rows), time.perf_counter() - t0))
            continue
        rep, k = audit_entry(m, family, params, options)
        flagged = rep.flagged or (breaks in {c.key for c in rep.claims} and rep.violations(breaks) > 0)
        rows.append(ZooRow(m, "mutant", family, breaks, flagged, _first(rep, breaks) or _outside(rep, breaks), k,
                           time.perf_counter() - t0, rep))
    if controls:
        for trend in sorted({MUTANT_TABLE[m][0] for m in names} & set(TRENDS)):
            if progress:
                progress(f"sem ({trend})")
            t0 = time.perf_counter()
            study = trend_study("sem", trend)
            rows.append(ZooRow("sem", "control", trend, "", study.label.startswith("violated"), study.verdict,
                               sum(r["pairs"] for r in study.rows), time.perf_counter() - t0))
        for name, _ in registered_mechanisms():
            family = _family_of_control(name)
            if family is None:
                continue
            if progress:
                progress(name)
            t0 = time.perf_counter()
            try:
                rep, k = audit_entry(name, family, CONTROL_PARAMS.get(name, {}), options)
            except ConfigError as e:  # the zoo market does not suit it: say so, do not hide it
                rows.append(ZooRow(name, "control", family, "", True, f"could not audit on the zoo market: {e}", 0,
                                   time.perf_counter() - t0))
                continue
            rows.append(ZooRow(name, "control", family, "", rep.flagged, _first(rep), k, time.perf_counter() - t0, rep))
    return rows


def trend_study(name: str, trend: str = "sp1_trend"):
    """Return the zoo's trend study ``trend`` (a key of :data:`TRENDS`) of mechanism ``name``."""
    from . import studies

    family, ns, seeds = SP1_TREND
    study = studies.sp1_study if trend == "sp1_trend" else studies.efficiency_study
    return study(studies.family_build(family, name), list(ns), list(seeds))


def _outside(rep: AuditReport, claim: str) -> str:
    lst = rep.counterexamples.get(claim)
    g = rep.gates.get(claim)
    if not lst:
        return ""
    why = f" (outside the theorem's assumptions: {g.why})" if g is not None and not g.inside else ""
    return f"{claim}: {lst[0].result.detail}{why}"


def score(rows: Sequence[ZooRow]) -> dict[str, float]:
    """Return the mutation score: flagged share of mutants and false alarms among controls."""
    mut = [r for r in rows if r.role == "mutant"]
    ctl = [r for r in rows if r.role == "control"]
    return {"mutants": len(mut), "flagged": sum(r.flagged for r in mut),
            "flagged_share": (sum(r.flagged for r in mut) / len(mut)) if mut else 1.0,
            "controls": len(ctl), "false_alarms": sum(r.flagged for r in ctl)}
