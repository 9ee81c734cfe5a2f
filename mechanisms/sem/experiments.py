"""The SEM paper's simulations (Section 6.2 and Appendix B), as plain functions returning tables.

Nothing here is tuned to the paper's (withheld) numbers: the experiments run as specified
and report what comes out. Plots and files are written by the scripts in ``examples/``.

- :func:`section62_experiment`: two host homes a, b; selective children c1 (a > o > b) and
  non-selective children c2 ({a,b} > o), each with probability 1/2; T = 4; n arrivals per
  period; placement rate (share of children matched to a home) of SEM and SD-RTB on the same
  arrivals. The paper's "each home has unit supply" is ambiguous once replica markets scale
  supply by n, so the supply per home is a parameter with two named readings:
  ``"literal"`` (n per home: at most half of the 4n children can be placed) and
  ``"matched"`` (2n per home: total supply equals the expected number of children).
- :func:`appendix_b_experiment`: 100 large markets of 3 objects (unit supply) and the 13 weak
  orders over them (null last), T = 3, Dirichlet arrival rates; 100 perturbations
  f' = (f + eps * Dirichlet) / (1 + eps) each; reports the price distance
  ||p' - p||_inf / median budget, the share of the base market's price ties preserved, and the
  clearing error.
"""
from __future__ import annotations

import functools
import pathlib
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ..engine import run_schedule
from ..errors import require
from ..mechanism_registry import make_mechanism
from ..online_mechanism import OnlineMechanism
from ..reports import Report
from .demand import TIE_TOL
from .equilibrium import EquilibriumProblem, solve_ntb
from .market import SEMMarket, all_weak_orders, arrival_schedule, default_budgets, sample_arrivals
from .shocks import Shock

#: Base supply per home under each reading of Section 6.2 (the replica multiplies it by n).
SECTION62_READINGS = {"literal": 1, "matched": 2}


def section62_market(n: int, reading: str | int = "literal", shock: Shock | None = None) -> SEMMarket:
    """Return the Section 6.2 market M_n with the given supply reading (or base supply per home)."""
    per_home = SECTION62_READINGS.get(reading, reading) if isinstance(reading, str) else reading
    require(isinstance(per_home, int) and per_home >= 1, "reading", reading,
            f"one of {list(SECTION62_READINGS)} or a positive integer base supply per home")
    return SEMMarket.stationary(["a", "b"], [per_home, per_home], {"a > o > b": 0.5, "{a,b} > o": 0.5},
                                horizon=4, replica=n, shock=shock or Shock())


def derived_seed(*key: int) -> int:
    """Return the seed derived from ``key`` (e.g. (seed, n, market, purpose)) by ``SeedSequence``.

    The placement experiments key every draw this way, so every mechanism and every reading
    sees the same arrivals (common random numbers).
    """
    return int(np.random.SeedSequence(list(key)).generate_state(1)[0])


def placed(factory: Callable[[], OnlineMechanism], schedule: Sequence[Sequence[Report]], seed: int, m: int) -> int:
    """Return how many arrivals one run (fresh mechanism from ``factory``, streams of ``seed``)
    matched to an object (index below ``m``; the null option is ``m``): the numerator of the
    placement rate of Section 6.2."""
    run = run_schedule(factory, schedule, seed, record_public=False)
    return sum(1 for o in run.outcomes.values() if o.obj < m)


def summarize_placement(df: pd.DataFrame) -> pd.DataFrame:
    """Return mean, standard deviation and count of the placement rate by reading, mechanism and n
    (Table 1's layout), in the order the rows first appear."""
    g = df.groupby(["reading", "mechanism", "n"], sort=False)["placement_rate"]
    return g.agg(["mean", "std", "count"]).reset_index()


def placement_markdown(summ: pd.DataFrame) -> str:
    """Return a :func:`summarize_placement` table as markdown: mean (sd) per reading, mechanism and n."""
    ns = sorted(summ["n"].unique())
    lines = ["| reading | mechanism | " + " | ".join(f"n={n}" for n in ns) + " |",
             "|---|---|" + "---|" * len(ns)]
    for (reading, mech), g in summ.groupby(["reading", "mechanism"], sort=False):
        cells = []
        for n in ns:
            row = g[g.n == n]
            cells.append(f"{row['mean'].iloc[0]:.4f} ({row['std'].iloc[0]:.4f})" if len(row) else "")
        lines.append(f"| {reading} | {mech} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_placement(df: pd.DataFrame, out: str | pathlib.Path, prefix: str, plot: bool = True) -> pd.DataFrame:
    """Write a placement experiment's files to directory ``out`` and return its summary.

    ``<prefix>_runs.csv`` (one row per reading, n, market, mechanism), ``<prefix>_summary.csv``
    and ``<prefix>_summary.md`` (:func:`summarize_placement`, Table 1's layout) and, with
    ``plot``, ``<prefix>_density.png`` (:func:`plot_placement_density`, Figure 3's layout).
    """
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    df.to_csv(out / f"{prefix}_runs.csv", index=False)
    summ = summarize_placement(df)
    summ.to_csv(out / f"{prefix}_summary.csv", index=False)
    (out / f"{prefix}_summary.md").write_text(placement_markdown(summ))
    if plot:
        plot_placement_density(df, out / f"{prefix}_density.png")
    return summ


def plot_placement_density(df: pd.DataFrame, path: str | pathlib.Path) -> None:
    """Write to ``path`` one panel per (reading, n): histogram densities of the placement rates
    per mechanism (Figure 3's layout)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    readings = list(dict.fromkeys(df["reading"]))
    ns = sorted(df["n"].unique())
    mechs = list(dict.fromkeys(df["mechanism"]))
    fig, axes = plt.subplots(len(readings), len(ns), figsize=(3.2 * len(ns), 2.8 * len(readings)), squeeze=False)
    bins = [k / 40 for k in range(41)]
    for r, reading in enumerate(readings):
        for c, n in enumerate(ns):
            ax = axes[r][c]
            for mech in mechs:
                sub = df[(df.reading == reading) & (df.n == n) & (df.mechanism == mech)]["placement_rate"]
                if len(sub):
                    ax.hist(sub, bins=bins, density=True, alpha=0.45, label=mech)
            ax.set_title(f"{reading}, n={n}", fontsize=9)
            ax.set_xlabel("placement rate", fontsize=8)
            if c == 0:
                ax.set_ylabel("density", fontsize=8)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def section62_experiment(ns: Sequence[int] = (1, 5, 10, 25), markets: int = 25,
                         readings: Sequence[str | int] = ("literal", "matched"),
                         mechanisms: Sequence[str] = ("sem", "sd_rtb"), seed: int = 0) -> pd.DataFrame:
    """Return one row per (reading, n, market, mechanism): placed children and placement rate.

    Market r of size n draws its children from the stream (seed, n, r) so every mechanism and
    every reading sees the same children; each mechanism runs with the seed derived from
    (seed, n, r) (common random numbers).
    """
    require(markets >= 1, "markets", markets, "a positive number of markets")
    rows = []
    for reading in readings:
        for n in ns:
            mk = section62_market(n, reading)
            market = mk.market()
            for r in range(markets):
                kids = sample_arrivals(mk, n, np.random.default_rng(derived_seed(seed, n, r, 1)))
                sched, types = arrival_schedule(kids)
                aid = len(types)
                run_seed = derived_seed(seed, n, r, 2)
                for name in mechanisms:
                    params = {"memoize": True} if name == "sem" else {}
                    k = placed(functools.partial(make_mechanism, name, market, params), sched, run_seed, mk.m)
                    rows.append({"reading": str(reading), "n": n, "market": r, "mechanism": name,
                                 "children": aid, "placed": k, "placement_rate": k / aid,
                                 "supply": int(sum(mk.total_supply))})
    return pd.DataFrame(rows)


def appendix_b_problem(f: np.ndarray, shock: Shock) -> EquilibriumProblem:
    """Return the (1)-equilibrium problem of a large Appendix-B market with rates ``f`` (T x 13)."""
    orders = all_weak_orders(3)
    T = f.shape[0]
    return EquilibriumProblem(tuple(orders) * T, f.reshape(-1), np.repeat(np.arange(T), len(orders)),
                              default_budgets(T, shock), np.ones(3), shock)


def appendix_b_experiment(markets: int = 100, perturbations: int = 100, eps: float = 0.025, alpha: float = 1.0,
                          horizon: int = 3, per_period: bool = False, shock: Shock | None = None,
                          seed: int = 0) -> pd.DataFrame:
    """Return one row per market: mean price distance, preserved-tie shares, clearing errors.

    Base rates f^t ~ Dirichlet(alpha, ..., alpha) over the 13 types (one vector for every
    period unless ``per_period``); a perturbation adds eps times an independent Dirichlet draw
    and renormalises. Price distance = ||p' - p||_inf / median budget. A tie is a pair of
    objects with equal base prices (within 1e-9); ``tie_share_all`` counts every tied pair,
    ``tie_share_positive`` only pairs with a positive price (NaN when the base has none).
    """
    require(isinstance(eps, (int, float)) and 0 < eps < 1, "eps", eps, "a perturbation size in (0, 1)")
    require(isinstance(alpha, (int, float)) and alpha > 0, "alpha", alpha, "a positive Dirichlet parameter")
    require(isinstance(markets, int) and markets >= 1, "markets", markets, "a positive integer")
    require(isinstance(perturbations, int) and perturbations >= 1, "perturbations", perturbations, "a positive integer")
    shock = shock or Shock()
    k = len(all_weak_orders(3))
    med_b = float(np.median(default_budgets(horizon, shock)))
    rows = []
    for r in range(markets):
        rng = np.random.default_rng(derived_seed(seed, r))
        f = rng.dirichlet(np.full(k, alpha), size=horizon if per_period else 1)
        f = np.repeat(f, horizon, axis=0) if not per_period else f
        base = solve_ntb(appendix_b_problem(f, shock))
        p0 = base.prices
        pairs = [(x, y) for x in range(3) for y in range(x + 1, 3) if abs(p0[x] - p0[y]) <= TIE_TOL]
        pos_pairs = [(x, y) for x, y in pairs if p0[x] > TIE_TOL]
        dist, keep_all, keep_pos, errs = [], [], [], [base.clearing_error]
        for _ in range(perturbations):
            d = rng.dirichlet(np.full(k, alpha), size=horizon if per_period else 1)
            d = np.repeat(d, horizon, axis=0) if not per_period else d
            f2 = (f + eps * d)
            f2 = f2 / f2.sum(axis=1, keepdims=True)
            res = solve_ntb(appendix_b_problem(f2, shock))
            p1 = res.prices
            dist.append(float(np.max(np.abs(p1 - p0))) / med_b)
            if pairs:
                keep_all.append(np.mean([abs(p1[x] - p1[y]) <= TIE_TOL for x, y in pairs]))
            if pos_pairs:
                keep_pos.append(np.mean([abs(p1[x] - p1[y]) <= TIE_TOL for x, y in pos_pairs]))
            errs.append(res.clearing_error)
        rows.append({"market": r, "price_distance": float(np.mean(dist)),
                     "tie_share_all": float(np.mean(keep_all)) if keep_all else np.nan,
                     "tie_share_positive": float(np.mean(keep_pos)) if keep_pos else np.nan,
                     "base_tied_pairs": len(pairs), "base_positive_tied_pairs": len(pos_pairs),
                     "clearing_error": float(np.mean(errs)), "max_clearing_error": float(np.max(errs)),
                     "base_prices": p0.tolist()})
    return pd.DataFrame(rows)


def summarize_appendix_b(df: pd.DataFrame) -> dict[str, float]:
    """Return Table B.1's three averages (and the counts behind the tie shares)."""
    return {"average_price_distance": float(df["price_distance"].mean()),
            "average_preserved_ties_all": float(df["tie_share_all"].mean()),
            "average_preserved_ties_positive": float(df["tie_share_positive"].mean()),
            "markets_with_ties": int((df["base_tied_pairs"] > 0).sum()),
            "markets_with_positive_ties": int((df["base_positive_tied_pairs"] > 0).sum()),
            "average_clearing_error": float(df["clearing_error"].mean()),
            "max_clearing_error": float(df["max_clearing_error"].max())}
