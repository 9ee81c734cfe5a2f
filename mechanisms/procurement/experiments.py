"""The experiment the paper did not run: empirical ratios OPT / E[v(A)] beside the bounds.

For each valuation family one random instance (n sellers, costs U(0, 1], B = budget_frac *
sum c) is drawn and its offline optimum v(S*) computed exactly (:func:`offline_opt`); every
mechanism is run ``reps`` times, replication r using seed ``seed + r`` for both the random
arrival order and the mechanism's coins, with truthful bids (the mechanisms are universally
truthful). A cell reports the mean value, the ratio OPT / mean with a 95% normal confidence
interval (from the mean's interval), and the theoretical factor for that mechanism,
prediction error and sample solver (:mod:`mechanisms.procurement.bounds`; NaN where the paper
gives no formula: Dynkin alone, over-estimates, non-monotone valuations or mechanisms).

Mechanism 1 with tolerance tau is not simulated separately: under common random numbers its
realisation for seed s *is* Mechanism 2's (when its coin ``("mechanism", "mech1_choice")``
falls below tau) or Mechanism 3's for the same seed, parameters and prediction (the test
``test_mech1_is_mech2_or_mech3_under_common_coins`` checks this), so its column is assembled
exactly from those runs, for every tau of the grid at no extra cost.

An empirical ratio above its bound would contradict the paper: such rows are flagged
(``above_bound``; ``significant`` when the whole interval is above) and their instances saved.
"""
from __future__ import annotations

import json
import math
import pathlib
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import require
from ..mechanism_registry import make_mechanism
from ..rng import Streams
from ..stats import Z95
from . import bounds as bd
from .market import procurement_market
from .offline import offline_opt
from .predictions import PredictionModel
from .run import arrival_order, random_instance, simulate
from .valuations import VALUATIONS

MONOTONE_MECHS = ("bf_mech2", "bf_mech3", "bf_mech4", "dynkin")
NM_MECHS = ("bf_mech2_nm", "bf_mech3_nm", "bf_mech4_nm")
PRED_MECHS = {"bf_mech2", "bf_mech4", "bf_mech2_nm", "bf_mech4_nm"}


@dataclass(frozen=True)
class Cell:
    """One simulated cell: a mechanism on a family's instance under one prediction error."""

    family: str
    mechanism: str
    eps: float | None
    kind: str | None


def theoretical_ratio(mechanism: str, monotone_valuation: bool, eps: float | None, kind: str | None, tau: float | None,
                      gamma: float, params: dict[str, Any] | None = None) -> float:
    """Return the paper's approximation factor for a cell (NaN when the paper states none).

    ``gamma`` is the sample solver's guarantee; ``params`` the mechanism's parameters (their
    analysis-only companions z and delta keep the Corollaries' values).
    """
    P = params or {}
    if not monotone_valuation or mechanism.endswith("_nm") or mechanism == "dynkin":
        return math.nan
    if mechanism in PRED_MECHS | {"bf_mech1"} and kind != "under":
        return math.nan
    m2 = {k: P[k] for k in ("p", "a", "z") if k in P}
    m3 = {k: P[k] for k in ("q", "beta") if k in P}
    if mechanism == "bf_mech2":
        f = bd.lemma2_fraction(eps, **{**bd.MECH2_COROLLARY, **m2})
        return 1 / f if f > 0 else math.inf
    if mechanism == "bf_mech3":
        f = bd.lemma4_fraction(**{**bd.MECH3_COROLLARY, **m3}, gamma=gamma)
        return 1 / f if f > 0 else math.inf
    if mechanism == "bf_mech1":
        return bd.theorem2_ratio(eps, tau, m2, m3, gamma=gamma)
    if mechanism == "bf_mech4":
        m4 = {k: P[k] for k in ("q", "a", "beta", "k") if k in P}
        return bd.theorem4_ratio(eps, gamma=gamma, **m4)
    return math.nan


def _ratio_ci(opt: float, values: np.ndarray) -> tuple[float, float, float, float, float]:
    mean = float(values.mean())
    se = float(values.std(ddof=1) / math.sqrt(values.size)) if values.size > 1 else math.nan
    lo_mean, hi_mean = mean - Z95 * se, mean + Z95 * se
    ratio = opt / mean if mean > 0 else math.inf
    lo = opt / hi_mean if hi_mean > 0 else math.inf
    hi = opt / lo_mean if lo_mean > 0 else math.inf
    return mean, se, ratio, lo, hi


def family_opt(family: str, n: int, instance_seed: int, budget_frac: float) -> float:
    """Return v(S*) of the family's random instance (exact: :func:`offline_opt`)."""
    inst = random_instance(family, n, instance_seed, budget_frac)
    return offline_opt(inst.valuation, inst.costs, inst.budget).value


def run_cell(family: str, n: int, instance_seed: int, budget_frac: float, mechanism: str, eps: float | None,
             kind: str | None, reps: int, seed: int, params: dict[str, Any] | None = None,
             opt_value: float | None = None) -> dict[str, Any]:
    """Return the per-replication values of one cell (plus OPT and the sample guarantee).

    Rebuilds the instance from its seed (cells are independent jobs for a cluster); OPT is
    computed unless ``opt_value`` passes it in.
    """
    inst = random_instance(family, n, instance_seed, budget_frac)
    opt_v = family_opt(family, n, instance_seed, budget_frac) if opt_value is None else float(opt_value)
    omega = None if eps is None else PredictionModel(eps, kind).predict(opt_v)
    market = procurement_market(inst.valuation, inst.budget, omega)
    mech = make_mechanism(mechanism, market, params or {})
    values = np.empty(reps)
    for r in range(reps):
        s = seed + r
        simulate(mech, inst.costs, arrival_order(n, s), s)
        values[r] = mech.value()
    return {"family": family, "mechanism": mechanism, "eps": eps, "kind": kind, "opt": opt_v,
            "values": values, "gamma": mech.sample_guarantee(),
            "monotone": bool(inst.valuation.monotone)}


def ratio_table(families: Sequence[str] = tuple(VALUATIONS.names()), n: int = 200, reps: int = 1000,
                eps_grid: Sequence[float] = (0.0, 0.5, 0.9), over_grid: Sequence[float] = (0.5,),
                tau_grid: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0), budget_frac: float = 0.1,
                instance_seed: int = 0, seed: int = 0, workers: int = 0, params: dict[str, dict] | None = None,
                progress: bool = False) -> list[dict[str, Any]]:
    """Return the rows of the ratio table (one per mechanism, family, eps, tau).

    Monotone mechanisms run on every family; the non-monotone variants on the non-monotone
    families. ``workers`` > 1 runs the cells on a local dask.distributed cluster.
    """
    require(isinstance(n, int) and n >= 2, "n", n, "an integer >= 2")
    require(isinstance(reps, int) and reps >= 2, "reps", reps, "an integer >= 2")
    for e in eps_grid:
        PredictionModel(e, "under")
    for e in over_grid:
        PredictionModel(e, "over")
    for t in tau_grid:
        require(isinstance(t, (int, float)) and 0 <= t <= 1, "tau_grid", t, "numbers in [0, 1]")
    for f in families:
        VALUATIONS.get(f, "families")
    params = params or {}
    preds = [(e, "under") for e in eps_grid] + [(e, "over") for e in over_grid]
    cells: list[Cell] = []
    for f in families:
        monotone = bool(VALUATIONS.get(f).monotone)
        mechs = MONOTONE_MECHS + (() if monotone else NM_MECHS)
        for m in mechs:
            if m in PRED_MECHS:
                cells += [Cell(f, m, e, k) for e, k in preds]
            else:
                cells.append(Cell(f, m, None, None))
    opts = {f: family_opt(f, n, instance_seed, budget_frac) for f in families}  # once per instance
    args = [(c.family, n, instance_seed, budget_frac, c.mechanism, c.eps, c.kind, reps, seed, params.get(c.mechanism),
             opts[c.family]) for c in cells]
    if workers and workers > 1:
        from dask.distributed import Client, LocalCluster
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cl, \
                Client(cl) as client:
            futs = client.map(lambda a: run_cell(*a), args, pure=False)
            results = client.gather(futs)
    else:
        results = []
        for k, a in enumerate(args):
            results.append(run_cell(*a))
            if progress:
                print(f"cell {k + 1}/{len(args)}: {a[0]} {a[4]} eps={a[5]} {a[6]}", flush=True)
    return assemble_rows(results, tau_grid, seed, reps, n, instance_seed, budget_frac, params)


def _row(res: dict, mechanism: str, values: np.ndarray, tau: float | None, n: int, instance_seed: int,
         budget_frac: float, params: dict) -> dict[str, Any]:
    mean, se, ratio, lo, hi = _ratio_ci(res["opt"], values)
    bound = theoretical_ratio(mechanism, res["monotone"], res["eps"], res["kind"], tau, res["gamma"],
                              params.get(mechanism))
    return {"family": res["family"], "mechanism": mechanism, "tau": tau, "eps": res["eps"], "kind": res["kind"],
            "n": n, "reps": values.size, "opt": res["opt"], "mean_value": mean, "se": se, "ratio": ratio,
            "ratio_lo": lo, "ratio_hi": hi, "bound": bound, "sample_guarantee": res["gamma"],
            "above_bound": bool(ratio > bound) if not math.isnan(bound) else False,
            "significant": bool(lo > bound) if not math.isnan(bound) else False,
            "instance_seed": instance_seed, "budget_frac": budget_frac}


def assemble_rows(results: list[dict], tau_grid: Sequence[float], seed: int, reps: int, n: int,
                  instance_seed: int, budget_frac: float, params: dict) -> list[dict[str, Any]]:
    """Return table rows from cell results, adding Mechanism 1 (and its non-monotone variant)
    for every tau, assembled per seed from the Mechanism 2 and 3 runs (common random numbers)."""
    rows = [_row(r, r["mechanism"], r["values"], None, n, instance_seed, budget_frac, params) for r in results]
    coins = np.array([Streams(seed + r).get("mechanism", "mech1_choice").random() for r in range(reps)])
    by = {(r["family"], r["mechanism"], r["eps"], r["kind"]): r for r in results}
    for (fam, mech, _eps, _kind), r2 in list(by.items()):
        if mech not in ("bf_mech2", "bf_mech2_nm"):
            continue
        m3 = by.get((fam, mech.replace("2", "3"), None, None))
        if m3 is None:
            continue
        name = mech.replace("2", "1")
        for tau in tau_grid:
            vals = np.where(coins < tau, r2["values"], m3["values"])
            res = {**r2, "gamma": m3["gamma"]}
            rows.append(_row(res, name, vals, float(tau), n, instance_seed, budget_frac, params))
    return rows


def write_table(rows: list[dict[str, Any]], path: str | pathlib.Path) -> pathlib.Path:
    """Write the rows as CSV to ``path``; return the path."""
    import pandas as pd

    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def read_table(path: str | pathlib.Path) -> list[dict[str, Any]]:
    """Return the rows of a table written by :func:`write_table` (NaN cells read back as None
    for ``tau``, ``eps`` and ``kind``), e.g. to redraw :func:`plot_tradeoff`."""
    import pandas as pd

    rows = pd.read_csv(path).to_dict("records")
    for r in rows:
        for k in ("tau", "eps", "kind"):
            if isinstance(r.get(k), float) and math.isnan(r[k]):
                r[k] = None
    return rows


def write_findings(rows: list[dict[str, Any]], path: str | pathlib.Path) -> list[dict[str, Any]]:
    """Write the rows whose empirical ratio exceeds the bound (with their instance recipe) as JSON."""
    found = [r for r in rows if r["above_bound"]]
    out = [{**r, "instance": {"family": r["family"], "n": r["n"], "instance_seed": r["instance_seed"],
                              "budget_frac": r["budget_frac"], "rebuild": "mechanisms.procurement.random_instance"}}
           for r in found]
    pathlib.Path(path).write_text(json.dumps(out, indent=2, default=float))
    return found


def plot_tradeoff(rows: list[dict[str, Any]], path: str | pathlib.Path, bad_eps: float | None = None) -> pathlib.Path:
    """Plot consistency (ratio at eps = 0) against robustness (ratio at the largest under-estimate
    error) for Mechanism 1 across tau, per family, beside Theorem 2's curve and Mechanism 4.

    Returns the path of the PNG written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    under = [r for r in rows if r["kind"] == "under"]
    if bad_eps is None:
        bad_eps = max(r["eps"] for r in under)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5))
    ax = axes[0]
    def pick(mech: str, fam: str, eps: float, tau: float | None) -> list[float]:
        return [r["ratio"] for r in under if r["mechanism"] == mech and r["family"] == fam
                and r["eps"] == eps and r["tau"] == tau]

    for fam in sorted({r["family"] for r in under}):
        for mech, style in (("bf_mech1", "o-"), ("bf_mech1_nm", "s--")):
            taus = sorted({r["tau"] for r in under if r["mechanism"] == mech and r["family"] == fam})
            pts = [(c[0], b[0]) for tau in taus
                   if (c := pick(mech, fam, 0.0, tau)) and (b := pick(mech, fam, bad_eps, tau))]
            if pts:
                xs, ys = zip(*pts)
                ax.plot(xs, ys, style, label=f"{fam}: {mech}, tau {taus[0]:g}..{taus[-1]:g}")
        m4c = [r["ratio"] for r in under if r["mechanism"] == "bf_mech4" and r["family"] == fam and r["eps"] == 0.0]
        m4b = [r["ratio"] for r in under if r["mechanism"] == "bf_mech4" and r["family"] == fam and r["eps"] == bad_eps]
        if m4c and m4b:
            ax.plot(m4c, m4b, "k*", ms=9)
    ax.set_xlabel("empirical OPT / E[v(A)] at eps = 0 (consistency)")
    ax.set_ylabel(f"empirical OPT / E[v(A)] at eps = {bad_eps} (robustness)")
    ax.set_title("Empirical trade-off (stars: Mechanism 4)")
    ax.legend(fontsize=7)
    ax = axes[1]
    taus = np.linspace(0, 1, 41)
    gam = [r["sample_guarantee"] for r in rows if r["mechanism"] == "bf_mech3"]
    g = gam[0] if gam else bd.GAMMA_SVIRIDENKO
    ax.plot([bd.theorem2_ratio(0.0, t) for t in taus], [bd.theorem2_ratio(bad_eps, t) for t in taus], "b-",
            label="Theorem 2, Sviridenko (gamma = 1-1/e)")
    ax.plot([bd.theorem2_ratio(0.0, t, gamma=g) for t in taus], [bd.theorem2_ratio(bad_eps, t, gamma=g) for t in taus],
            "c--", label=f"Theorem 2, sample solver used (gamma = {g:.3f})")
    ax.plot([bd.theorem4_ratio(0.0)], [bd.theorem4_ratio(bad_eps)], "k*", ms=10, label="Theorem 4 (Mech 4), 1-1/e")
    ax.plot([bd.theorem4_ratio(0.0, gamma=g)], [bd.theorem4_ratio(bad_eps, gamma=g)], "r*", ms=10,
            label=f"Theorem 4 (Mech 4), gamma = {g:.3f}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("bound at eps = 0 (consistency)")
    ax.set_ylabel(f"bound at eps = {bad_eps}")
    ax.set_title("Theoretical trade-off")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def run_experiment(out_dir: str | pathlib.Path, **kw: Any) -> dict[str, Any]:
    """Run :func:`ratio_table` and write ``ratios.csv``, ``tradeoff.png`` and ``findings.json``
    to ``out_dir``; return the paths, the number of rows and findings, and the elapsed time."""
    out = pathlib.Path(out_dir)
    t0 = time.perf_counter()
    rows = ratio_table(**kw)
    elapsed = time.perf_counter() - t0
    csv = write_table(rows, out / "ratios.csv")
    png = plot_tradeoff(rows, out / "tradeoff.png")
    found = write_findings(rows, out / "findings.json")
    return {"csv": str(csv), "plot": str(png), "findings": len(found), "rows": len(rows), "seconds": elapsed}


def order_average(name: str, market: Any, costs: Sequence[float], params: dict[str, Any] | None = None,
                  seed: int = 0) -> float:
    """Return E_pi[v(A)] over all n! arrival orders, exactly, with the coins of ``seed``.

    With the branch probabilities forced to 0 or 1 (e.g. ``p`` of Mechanism 2) the coins do
    not matter and this is the exact expectation of that branch in the random-order model.
    Feasible for n <= 7.
    """
    import itertools

    n = market.n_agents
    require(n <= 7, "n", n, "at most 7 sellers (n! orders)")
    mech = make_mechanism(name, market, params or {})
    c = np.asarray(costs, dtype=np.float64)
    total, count = 0.0, 0
    for order in itertools.permutations(range(n)):
        simulate(mech, c, order, seed)
        total += mech.value()
        count += 1
    return total / count


def exact_mech2_ratio(valuation: Any, costs: Sequence[float], budget: float, eps: float,
                      p: float = 0.46, a: float = 0.685, z: float = 1.85) -> tuple[float, float]:
    """Return (exact OPT / E[v(A)] of Mechanism 2, Lemma 2's factor) on a small instance.

    E[v(A)] = p E_pi[line-2 branch] + (1 - p) E_pi[posted-price branch], each averaged over
    all n! orders (:func:`order_average`): no sampling error, so a ratio above the factor
    would be a counterexample to Lemma 2.
    """
    opt = offline_opt(valuation, costs, budget).value
    market = procurement_market(valuation, budget, PredictionModel(eps).predict(opt))
    single = order_average("bf_mech2", market, costs, {"p": 1.0, "a": a, "z": z})
    posted = order_average("bf_mech2", market, costs, {"p": 0.0, "a": a, "z": z})
    ev = p * single + (1 - p) * posted
    f = bd.lemma2_fraction(eps, p, a, z)
    return (opt / ev if ev > 0 else math.inf), (1 / f if f > 0 else math.inf)
