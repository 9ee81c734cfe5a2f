"""The auditor's commands for ``python -m abm`` (listed in :data:`abm.cli.COMMAND_MODULES`).

- ``audit SCENARIO [--save DIR] [--seed S]``: run the scenario, replay the deviations named in
  its ``[audit]`` table (``deviations = ["strategies", "truncations", "swaps", "disguises",
  "bid_changes", "same_period"]``, ``claims``, ``eps``, ``support_draws``, ``agents``) under
  common random numbers, print the table and the verdicts; ``--save`` writes ``table.csv``,
  ``verdicts.txt`` and the counterexample JSON files.
- ``replay FILE``: re-run a saved counterexample and explain it in words.
"""
from __future__ import annotations

import argparse
import pathlib
from typing import Any

from abm.cli import add_allow_import, check_seed_and_replications, command


def _audit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file (its [audit] table names the deviations)")
    p.add_argument("--save", default=None, help="directory for table.csv, verdicts.txt and counterexamples/")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--replications", type=int, default=None,
                   help="audit this many replication seeds and combine them (default: the scenario's replications)")
    add_allow_import(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


@command("audit", "audit the scenario's deviations and print the verdict table", _audit_args)
def _audit(args: argparse.Namespace) -> int:
    from .sources import ScenarioRun
    from abm.scenario import load_scenario

    from . import audit
    from .claims import audit_options_from_table

    from abm.api import deviations_with_notes
    from abm.scenario import replication_seed

    from . import AuditReport
    from .nearest import annotate_verdicts

    sc = load_scenario(args.scenario, allow_import=args.allow_import)
    check_seed_and_replications(args)
    seed = sc.seed if args.seed is None else args.seed
    spec = dict(sc.audit)
    opts = audit_options_from_table(spec)  # every AuditOptions field of the validated [audit] table
    reports, notes = [], []
    for r in range(sc.replications if args.replications is None else args.replications):
        s = replication_seed(seed, r)  # r = 0 is the seed itself
        run = ScenarioRun(sc, s)
        devs, fam_notes = deviations_with_notes(run, spec)  # a family that does not apply says so
        notes += [n for n in fam_notes if n not in notes]
        reports.append(audit(run.factory, run.truthful, run.true_types, s, devs, spec.get("claims"),
                             options=opts, scenario=run.scenario, progress=not args.quiet))
    rep = reports[0] if len(reports) == 1 else AuditReport.combine(reports)
    if args.save:
        rep.save(args.save)
    import pandas as pd

    with pd.option_context("display.max_colwidth", 80, "display.width", 200):
        cols = ["strategy", "coalition_size", "n", "claim", "deviations", "profitable", "share_profitable",
                "ci_lo", "ci_hi", "mean_gain", "max_gain", "violations"]
        t = rep.table()
        if len(t):
            print(t[[c for c in cols if c in t.columns]].to_string(index=False))
        else:
            print("no deviations to audit: nobody misreported in this run; add an [audit] table, e.g.\n"
                  '  [audit]\n  deviations = ["strategies", "truncations", "swaps"]\n  agents = 10')
    print()
    print("\n".join(annotate_verdicts(rep.verdicts(), [c.key for c in rep.claims]) + [f"note: {n}" for n in notes]))
    if args.save:
        print(f"\nwrote {pathlib.Path(args.save) / 'table.csv'}, verdicts.txt and counterexamples/")
    return 0


def _replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="counterexample JSON written by `audit --save`")
    add_allow_import(p, "the stored scenario name")
    p.add_argument("--force", action="store_true",
                   help="replay even when the file was recorded with other mechanism or strategy versions")


def _scenario_loader(scenario: dict[str, Any], seed: int):
    from abm.scenario import parse_scenario

    from .sources import ScenarioRun

    raw = {k: v for k, v in scenario.items() if k != "base_dir"}
    run = ScenarioRun(parse_scenario(raw, scenario.get("base_dir", ".")), seed)
    return run.factory, run.truthful


@command("replay", "re-run a saved counterexample and explain it", _replay_args)
def _replay(args: argparse.Namespace) -> int:
    from . import replay_counterexample, set_scenario_loader

    from abm.api import prepare_replay

    prepare_replay(args.file, allow_import=args.allow_import)  # plugin mechanisms (mechanisms.plugins)
    set_scenario_loader(_scenario_loader)
    res = replay_counterexample(args.file, force=args.force)
    print(res.text)
    return 0 if res.reproduced else 1
