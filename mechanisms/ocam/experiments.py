"""An experiment the paper did not run: how often DACEEI (iii)/(iv) fail below Assumption 2.

Assumption 2 asks min_j c^j >= 70 (tau log(eps_s n) + log m + sqrt(n) log n) / (eps_s eps_f^2),
far beyond real markets (millions of seats for AGH-sized type spaces). This experiment grows
the market (n agents resampled from a pool of types, capacities an even ``capacity_factor``
share of demand, so capacity grows with n), runs OCAM over independent uniformly random arrival
orders (Assumption 1) and records how often Definition 1 (iii) and (iv) fail for some
k in [eps_n n, n], next to the capacity Assumption 2 demands.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np

from ..checks.daceei import check_daceei
from ..engine import run_schedule
from ..market import Goods, Market
from ..mechanism_registry import make_mechanism
from ..preferences import BundleRanking
from ..reports import Report
from ..rng import Streams
from .eceei import assumption2_capacity


def capacity_experiment(pool: Sequence[BundleRanking], sizes: Sequence[int] = (250, 500, 1000, 2000),
                        eps_pairs: Sequence[tuple[float, float]] = ((0.2, 0.2), (0.4, 0.4)), runs: int = 10,
                        seed: int = 0, capacity_factor: float = 0.9, eps_b: float = 0.02) -> list[dict]:
    """Return one row per (n, eps_n, eps_f): DACEEI (iii)/(iv) failure rates over random orders.

    For run r, the population (n types drawn with replacement from ``pool``) and its uniformly
    random arrival order come from the stream ``("arrivals", n, r)`` of ``seed``, shared by all
    (eps_n, eps_f) pairs (common random numbers); OCAM's own draws use ``Streams(seed + r)``.
    Every good's capacity is ``ceil(capacity_factor * n * k / m)`` with k the mean size of the
    pool's top bundles. Rows hold ``n``, ``eps_n``, ``eps_f``, ``capacity``, the failure rates
    ``fail_iii``, ``fail_iv``, ``fail_any``, ``assumption2`` (with the sqrt(n) log n term) and
    ``assumption2_final`` (without it; tau = distinct types in the pool), and
    ``solver_not_converged`` (runs whose sample ECEEI missed its tolerance).
    """
    pool = list(pool)
    m = pool[0].m
    k = float(np.mean([int(r.bundles[0]).bit_count() for r in pool if r.bundles]))
    tau = len(set(pool))
    rows = []
    streams = Streams(seed)
    for n in sizes:
        cap = max(1, math.ceil(capacity_factor * n * k / m))
        goods = Goods(tuple(f"g{j}" for j in range(m)), tuple([cap] * m))
        market = Market("bundles", goods, max_bundle_size=int(math.ceil(k)), n_agents=int(n))
        populations = []
        for r in range(runs):
            rng = streams.get("arrivals", int(n), r)
            idx = rng.integers(len(pool), size=n)
            populations.append([pool[i] for i in idx])  # i.i.d. draws are already in random order
        for eps_n, eps_f in eps_pairs:
            fails = {"iii": 0, "iv": 0, "any": 0}
            not_conv = 0
            for r, pop in enumerate(populations):
                sched = [[Report(i, ty)] for i, ty in enumerate(pop)]
                params = {"eps_b": eps_b, "eps_n": eps_n, "eps_f": eps_f}
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    run = run_schedule(lambda: make_mechanism("ocam", market, params), sched, seed + r,
                                       record_public=False)
                mech = run.mechanism
                al = mech.allocation()
                res = check_daceei(al["bundles"], al["budgets"], pop, mech.prices, goods.capacity, eps_b,
                                   eps_n, eps_f, n=n, conditions=("iii", "iv"))
                fails["iii"] += not res.holds("iii")
                fails["iv"] += not res.holds("iv")
                fails["any"] += not res.ok
                not_conv += not mech.certificate.converged
            rows.append({"n": int(n), "eps_n": eps_n, "eps_f": eps_f, "capacity": cap, "runs": runs,
                         "fail_iii": fails["iii"] / runs, "fail_iv": fails["iv"] / runs,
                         "fail_any": fails["any"] / runs,
                         "assumption2": assumption2_capacity(n, m, tau, eps_n, eps_f),
                         "assumption2_final": assumption2_capacity(n, m, tau, eps_n, eps_f, with_sqrt=False),
                         "solver_not_converged": not_conv})
    return rows


def plot_capacity_experiment(rows: Sequence[dict], path: str) -> None:
    """Save a two-panel plot of ``rows`` to ``path``: failure rates against capacity, and the
    capacity used against the capacity Assumption 2 demands (log scale)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    pairs = sorted({(r["eps_n"], r["eps_f"]) for r in rows})
    for en, ef in pairs:
        sel = sorted((r for r in rows if (r["eps_n"], r["eps_f"]) == (en, ef)), key=lambda r: r["capacity"])
        cap = [r["capacity"] for r in sel]
        a1.plot(cap, [r["fail_iii"] for r in sel], "o-", label=f"(iii) eps_n={en}, eps_f={ef}")
        a1.plot(cap, [r["fail_iv"] for r in sel], "s--", label=f"(iv) eps_n={en}, eps_f={ef}")
        a2.loglog(cap, [r["assumption2"] for r in sel], "o-", label=f"Assumption 2, eps_n={en}, eps_f={ef}")
        a2.loglog(cap, [r["assumption2_final"] for r in sel], "x:", label=f"without sqrt(n) log n, ({en}, {ef})")
    caps = sorted({r["capacity"] for r in rows})
    a2.loglog(caps, caps, "k-", lw=2, label="capacity used")
    a1.set_xscale("log")
    a1.set_xlabel("capacity per good c")
    a1.set_ylabel("share of arrival orders violating DACEEI")
    a1.set_ylim(-0.03, 1.03)
    a1.set_title("DACEEI (iii)/(iv) failures (OCAM Definition 1)")
    a1.legend(fontsize=7)
    a2.set_xlabel("capacity per good c")
    a2.set_ylabel("capacity")
    a2.set_title("Capacity used vs Assumption 2")
    a2.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
