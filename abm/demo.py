"""``python -m abm demo``: the built-in demo run (``make demo``)."""
from __future__ import annotations

import argparse
import pathlib

from .cli import COMMANDS

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, default=None, help="override the demo's seed")


def _demo(args: argparse.Namespace) -> int:
    from .runner import run_scenario
    from .scenario import load_scenario

    sc = load_scenario(EXAMPLES / "rsd_agh2004.toml")
    res = run_scenario(sc, seed=args.seed)
    print(res.summary_text())
    return 0


COMMANDS["demo"] = ("run the built-in demo", _args, _demo)
