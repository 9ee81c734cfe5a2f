"""``python -m abm search SCENARIO``: find a manipulation in one command (issue 14, item 1).

Best-response search over the scenario's agents (:func:`abm.api.search`): for every replication
seed and every searched agent, the most profitable report found (exhaustive when the agent's
report space fits ``--budget``, else local search with restarts or grid plus bisection over
bids), plus the fixed deviation families given with ``--families``. Prints one row per agent
(who, which report, gain under the true type), the answer ("manipulable: ..." or "none found in
N reports over R replications"), the verdicts of the claims on every profitable report, and
notes (a family that does not apply to the market, a claim replaced by the nearest one that
applies). ``--save DIR`` writes ``search.csv``, ``table.csv``, ``verdicts.txt`` and
``counterexamples/*.json`` (re-run with ``python -m abm replay FILE``).

Listed in :data:`abm.cli.COMMAND_MODULES`; registers itself with :func:`abm.cli.command`.
"""
from __future__ import annotations

import argparse
import pathlib

from abm.cli import add_allow_import, command
from mechanisms.errors import ConfigError


def _csv(text: str | None) -> list[str] | None:
    return None if text is None else [t.strip() for t in text.split(",") if t.strip()]


def _agents(text: str | None):
    if text is None or text == "all":
        return text
    try:
        if "," in text:
            return [int(t) for t in text.split(",") if t.strip()]
        return int(text)
    except ValueError:
        raise ConfigError("--agents", text, 'a number of agents, a comma-separated list of ids, or "all"') from None


def _search_args(p: argparse.ArgumentParser) -> None:
    from abm.api import FAMILIES

    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--agents", default=None,
                   help='who is searched: "all", a number k (spread over the arrival order) or ids "3,7" '
                        '(default: the [audit] table\'s agents, else all)')
    p.add_argument("--budget", type=int, default=200, help="replays per agent and replication (default 200; "
                   "exhaustive when the report space is no larger)")
    p.add_argument("--families", default=None,
                   help=f"comma-separated, default best_response; any of {','.join(FAMILIES)}")
    p.add_argument("--claims", default=None, help="comma-separated claims the profitable reports are checked "
                   "against (default: the mechanism's, plus the nearest applicable one for each whose assumption fails)")
    p.add_argument("--replications", type=int, default=None, help="replication seeds (default: the scenario's)")
    p.add_argument("--time-limit", type=float, default=None, dest="time_limit", help="stop after SECONDS")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--save", default=None, help="directory for search.csv, table.csv, verdicts.txt, counterexamples/")
    add_allow_import(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@command("search", "best-response search: can anyone profit, and how? (replayable counterexamples)", _search_args)
def _search(args: argparse.Namespace) -> int:
    import pandas as pd

    from abm.api import search

    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed", args.seed, "a non-negative integer")
    if args.replications is not None and args.replications < 1:
        raise ConfigError("--replications", args.replications, "a positive integer")
    if args.budget < 1:
        raise ConfigError("--budget", args.budget, "a positive integer")
    if args.time_limit is not None and not args.time_limit > 0:
        raise ConfigError("--time-limit", args.time_limit, "a positive number of seconds")
    if args.save:
        d = pathlib.Path(args.save)
        if d.exists() and not d.is_dir():
            raise ConfigError("--save", args.save, "a directory")
    res = search(args.scenario, agents=_agents(args.agents), budget=args.budget, families=_csv(args.families),
                 claims=_csv(args.claims), replications=args.replications, time_limit=args.time_limit, seed=args.seed,
                 allow_import=args.allow_import, save=args.save, progress=not args.quiet)
    t = res.table()
    cols = ["replication", "agent", "name", "tick", "family", "method", "reports", "complete", "gain", "true_type",
            "best_report"]
    if len(t):
        if (t["name"].astype(str) == t["agent"].astype(str)).all():
            cols.remove("name")
        shown = t[t["found"]] if t["found"].any() else t
        title = "profitable reports found:" if t["found"].any() else "agents searched (nothing profitable found):"
        print(title)
        with pd.option_context("display.max_colwidth", 60, "display.width", 200, "display.max_rows", 40):
            print(shown[cols].to_string(index=False))
        print()
    print("\n".join(res.verdicts()))
    if args.save:
        files = [str(p) for lst in res.report.saved.values() for p in lst]
        print(f"\nwrote {pathlib.Path(args.save) / 'search.csv'}, table.csv, verdicts.txt"
              + (f" and {len(files)} counterexample(s); replay one with: python -m abm replay {files[0]}"
                 if files else ""))
    return 0
