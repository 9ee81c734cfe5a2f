"""Command line: ``python -m abm <command>`` (also installed as ``mechbed``).

Commands
--------
run SCENARIO        run a scenario file; write per-agent and per-tick tables and a summary
demo                the built-in demo (a small OCAM manipulation audit on the AGH 2004 data)
list                the registered mechanisms, strategies, population sources, arrival processes
audit SCENARIO      audit the scenario's deviations and print the verdict table
replay FILE         re-run a saved counterexample and explain it
mutants             audit the mutant zoo and every faithful mechanism (the auditor's mutation score)
search SCENARIO     best-response search: can anyone profit, and how? (replayable counterexamples)
sweep / report / export   experiments at scale (see ``python -m abm sweep --help``)
dashboard SCENARIO  the live dashboard and the class game in the browser (127.0.0.1 by default)

Bad input exits with status 2 and one line naming the field and the value; nothing is written.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from mechanisms.errors import ConfigError

#: Extra subcommands contributed by other modules: name -> (add_arguments, handler).
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help: str):
    """Decorator registering ``(add_arguments, handler)`` pairs under ``name``."""

    def deco(pair):
        COMMANDS[name] = (help, *pair)
        return pair

    return deco


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--out", default=None, help="output directory (default: results/<scenario name>)")
    p.add_argument("--format", default="csv", choices=["csv", "parquet"], help="table format (default csv)")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--replications", type=int, default=None, help="override the number of replications")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _run(args: argparse.Namespace) -> int:
    import pathlib
    import re

    from .runner import run_scenario, write_tables
    from .scenario import load_scenario

    sc = load_scenario(args.scenario)
    if args.seed is not None and args.seed < 0:
        raise ConfigError("--seed", args.seed, "a non-negative integer")
    if args.replications is not None and args.replications < 1:
        raise ConfigError("--replications", args.replications, "a positive integer")
    out = pathlib.Path(args.out) if args.out else pathlib.Path("results") / re.sub(r"[^A-Za-z0-9_.-]+", "-", sc.name)
    if out.exists() and any(out.iterdir()) and not args.overwrite:
        raise ConfigError("--out", str(out), "a new or empty directory (pass --overwrite to replace it)")
    res = run_scenario(sc, args.replications, args.seed, progress=not args.quiet)
    text = res.summary_text()
    write_tables({"agents": res.agents, "ticks": res.ticks}, {"summary.txt": text + "\n", "scenario.json": sc.to_json()},
                 out, args.format, args.overwrite)
    print(text)
    print(f"tables written to {out}/ (agents.{args.format}, ticks.{args.format}, summary.txt)")
    return 0


def _list_args(p: argparse.ArgumentParser) -> None:
    pass


def _list(args: argparse.Namespace) -> int:
    from mechanisms import MECHANISMS
    from strategies import STRATEGIES

    from .arrivals import ARRIVALS
    from .scenario import SOURCES

    print("mechanisms:")
    for name, cls in MECHANISMS.items():
        claims = ", ".join(cls.spec.claim_keys()) or "-"
        print(f"  {name:<22} {cls.spec.title}  [{'/'.join(cls.spec.market_kinds)}]  claims: {claims}")
    print("strategies:")
    for name, cls in STRATEGIES.items():
        print(f"  {name:<22} [{'/'.join(cls.kinds)}] probes: {cls.probes or '-'}")
    print("population sources:", ", ".join(SOURCES.names()))
    print("arrival processes:", ", ".join(ARRIVALS.names()))
    return 0


COMMANDS["run"] = ("run a scenario file and write its tables", _run_args, _run)
COMMANDS["list"] = ("list registered mechanisms, strategies, sources", _list_args, _list)


def _load_plugins() -> None:
    # Commands implemented in their own modules register themselves on import.
    import importlib

    for mod in ("abm.demo", "abm.audit.cli", "abm.audit.zoo_cli", "abm.search_cli", "abm.experiments.cli",
                "abm.dashboard.cli"):
        try:
            importlib.import_module(mod)
        except ModuleNotFoundError as e:
            if e.name is None or not mod.startswith(e.name):
                raise


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; return the exit status."""
    _load_plugins()
    parser = argparse.ArgumentParser(prog="python -m abm", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (help_, add, _) in COMMANDS.items():
        add(sub.add_parser(name, help=help_, description=help_))
    args = parser.parse_args(argv)
    try:
        status = COMMANDS[args.command][2](args)
        sys.stdout.flush()  # a closed pipe fails here, inside the handler below, not at exit
        return status
    except ConfigError as e:
        print(f"error: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (``python -m abm list | head``): stop quietly, as Unix tools do;
        # stdout is pointed at devnull so the interpreter's final flush does not fail again
        import os

        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)


def _one_line(text: str, limit: int = 2000) -> str:
    """Return ``text`` on one line (newlines escaped), at most ``limit`` characters."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit - 3] + "..."


if __name__ == "__main__":
    raise SystemExit(main())
