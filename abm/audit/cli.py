"""The auditor's commands for ``python -m abm`` (loaded by :func:`abm.cli._load_plugins`).

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

from abm.cli import COMMANDS
from mechanisms.errors import ConfigError


def _audit_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file (its [audit] table names the deviations)")
    p.add_argument("--save", default=None, help="directory for table.csv, verdicts.txt and counterexamples/")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _audit(args: argparse.Namespace) -> int:
    from .sources import ScenarioRun
    from abm.scenario import load_scenario

    from . import AuditOptions, audit

    sc = load_scenario(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed", args.seed, "a non-negative integer")
    seed = sc.seed if args.seed is None else args.seed
    run = ScenarioRun(sc, seed)
    spec = dict(sc.audit)
    opts = AuditOptions(eps=float(spec.get("eps", 0.05)), support_draws=int(spec.get("support_draws", 16)))
    rep = audit(run.factory, run.truthful, run.true_types, seed, run.deviations(spec), spec.get("claims"),
                options=opts, scenario=run.scenario, progress=not args.quiet)
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
    print("\n".join(rep.verdicts()))
    if args.save:
        print(f"\nwrote {pathlib.Path(args.save) / 'table.csv'}, verdicts.txt and counterexamples/")
    return 0


def _replay_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="counterexample JSON written by `audit --save`")


def _scenario_loader(scenario: dict[str, Any], seed: int):
    from abm.scenario import parse_scenario

    from .sources import ScenarioRun

    raw = {k: v for k, v in scenario.items() if k != "base_dir"}
    run = ScenarioRun(parse_scenario(raw, scenario.get("base_dir", ".")), seed)
    return run.factory, run.truthful


def _replay(args: argparse.Namespace) -> int:
    from . import replay_counterexample, set_scenario_loader

    set_scenario_loader(_scenario_loader)
    res = replay_counterexample(args.file)
    print(res.text)
    return 0 if res.reproduced else 1


COMMANDS["audit"] = ("audit the scenario's deviations and print the verdict table", _audit_args, _audit)
COMMANDS["replay"] = ("re-run a saved counterexample and explain it", _replay_args, _replay)
