"""Reproduce the SEM paper's Section 6.2 simulation: placement rates of SEM and SD-RTB.

Writes to --out: ``section62_runs.csv`` (one row per reading, n, market, mechanism),
``section62_summary.csv`` and ``section62_summary.md`` (mean and standard deviation of the
placement rate, Table 1's layout) and ``section62_density.png`` (densities of the placement
rates, Figure 3's layout, one panel per supply reading).

Supply readings (the paper's "each home has unit supply" is ambiguous under replication):
``literal`` = n per home (at most half of the 4n children can be placed), ``matched`` = 2n
per home (total supply equals the expected number of children).

Usage: python examples/sem_section62.py --out results/sem62 [--markets 25] [--ns 1 5 10 25]
"""
from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from mechanisms.sem.experiments import section62_experiment, summarize_section62  # noqa: E402


def _markdown(summ) -> str:
    """Return Table 1's layout as a markdown table: mean (sd) per reading, mechanism and n."""
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


def density_plot(df, path: pathlib.Path) -> None:
    """Write one panel per reading: a histogram density of placement rates per mechanism and n."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    readings = list(dict.fromkeys(df["reading"]))
    ns = sorted(df["n"].unique())
    fig, axes = plt.subplots(len(readings), len(ns), figsize=(3.2 * len(ns), 2.8 * len(readings)), squeeze=False)
    bins = [k / 40 for k in range(41)]
    for r, reading in enumerate(readings):
        for c, n in enumerate(ns):
            ax = axes[r][c]
            for mech, color in (("sem", "tab:blue"), ("sd_rtb", "tab:orange")):
                sub = df[(df.reading == reading) & (df.n == n) & (df.mechanism == mech)]["placement_rate"]
                if len(sub):
                    ax.hist(sub, bins=bins, density=True, alpha=0.5, color=color, label=mech)
            ax.set_title(f"{reading}, n={n}", fontsize=9)
            ax.set_xlabel("placement rate", fontsize=8)
            if c == 0:
                ax.set_ylabel("density", fontsize=8)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for the tables and the plot")
    ap.add_argument("--markets", type=int, default=25, help="markets per n (the paper: 25)")
    ap.add_argument("--ns", type=int, nargs="+", default=[1, 5, 10, 25], help="arrivals per period")
    ap.add_argument("--readings", nargs="+", default=["literal", "matched"], help="supply readings")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plot", action="store_true")
    args = ap.parse_args(argv)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    df = section62_experiment(ns=args.ns, markets=args.markets, readings=args.readings, seed=args.seed)
    df.to_csv(out / "section62_runs.csv", index=False)
    summ = summarize_section62(df)
    summ.to_csv(out / "section62_summary.csv", index=False)
    (out / "section62_summary.md").write_text(_markdown(summ))
    if not args.no_plot:
        density_plot(df, out / "section62_density.png")
    print(summ.round(4).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
