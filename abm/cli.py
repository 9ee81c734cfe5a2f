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
check MECHANISM     the conformance suite: does a mechanism (or --strategy) keep the protocol

Bad input exits with status 2 and one line naming the field and the value; nothing is written.

Adding a command: decorate its handler with :func:`command` in its module and add the module
to :data:`COMMAND_MODULES` (one line); ``main`` imports those modules, so every command is
registered the same way, in :data:`COMMANDS`.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

from mechanisms.errors import ConfigError, InvariantError
from mechanisms.registry import Registry

#: The modules whose handlers carry :func:`command` (imported by :func:`main`, in this order).
COMMAND_MODULES = ("abm.cli", "abm.demo", "abm.audit.cli", "abm.audit.zoo_cli", "abm.search_cli",
                   "abm.experiments.cli", "abm.dashboard.cli", "abm.conformance.cli")


@dataclass(frozen=True)
class Command:
    """A subcommand: its one-line ``help``, ``arguments`` (adds its options to a parser) and ``handler``."""

    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


#: Every subcommand of ``python -m abm``, by name (registered with :func:`command`).
COMMANDS: Registry[Command] = Registry("command")


def _no_arguments(p: argparse.ArgumentParser) -> None:
    """Add nothing: a command without options."""


def command(name: str, help: str, arguments: Callable[[argparse.ArgumentParser], None] = _no_arguments):
    """Return a decorator registering its handler as the subcommand ``name`` (the one way to add a command).

    ``arguments(parser)`` adds the command's options; the handler takes the parsed namespace and
    returns the exit status. A name registered twice raises ``ValueError`` (a programming error).
    """

    def deco(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
        COMMANDS.add(name, Command(help, arguments, handler))
        return handler

    return deco


def add_allow_import(p: argparse.ArgumentParser, what: str = "the scenario name") -> None:
    """Add ``--allow-import``: the opt-in to importing a ``module:Class`` mechanism (:mod:`mechanisms.plugins`)."""
    p.add_argument("--allow-import", action="store_true", dest="allow_import",
                   help=f"let {what} a mechanism class to import (module:Class)")


def check_seed_and_replications(args: argparse.Namespace) -> None:
    """Raise :class:`ConfigError` naming ``--seed`` or ``--replications`` for a value out of range."""
    if getattr(args, "seed", None) is not None and args.seed < 0:
        raise ConfigError("--seed", args.seed, "a non-negative integer")
    if getattr(args, "replications", None) is not None and args.replications < 1:
        raise ConfigError("--replications", args.replications, "a positive integer")


def _run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--out", default=None, help="output directory (default: results/<scenario name>)")
    p.add_argument("--format", default="csv", choices=["csv", "parquet"], help="table format (default csv)")
    p.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p.add_argument("--replications", type=int, default=None, help="override the number of replications")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output directory")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_allow_import(p)


@command("run", "run a scenario file and write its tables", _run_args)
def _run(args: argparse.Namespace) -> int:
    import pathlib
    import re

    from .runner import run_scenario, write_tables
    from .scenario import load_scenario

    sc = load_scenario(args.scenario, allow_import=args.allow_import)
    check_seed_and_replications(args)
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
    p.add_argument("--mutants", action="store_true", help="also list the mutants (marked with their parent)")


@command("list", "list registered mechanisms, strategies, sources", _list_args)
def _list(args: argparse.Namespace) -> int:
    from mechanisms import registered_mechanisms
    from strategies import STRATEGIES

    from .arrivals import ARRIVALS
    from .populations import SOURCES

    print("mechanisms:")
    for name, cls in registered_mechanisms(mutants=args.mutants):
        claims = ", ".join(cls.spec.claim_keys()) or "-"
        tag = f"  MUTANT of {cls.spec.mutant_of}" if cls.spec.mutant_of else ""
        print(f"  {name:<22} {cls.spec.title}  [{'/'.join(cls.spec.market_kinds)}]  claims: {claims}{tag}")
    if not args.mutants:
        print("  (mutants, deliberately broken copies for the auditor's tests, are hidden: --mutants lists them)")
    print("strategies:")
    for name, cls in STRATEGIES.items():
        print(f"  {name:<22} [{'/'.join(cls.kinds)}] probes: {cls.probes or '-'}")
    print("population sources:", ", ".join(SOURCES.names()))
    print("arrival processes:", ", ".join(ARRIVALS.names()))
    return 0


def load_commands() -> Registry[Command]:
    """Import every module of :data:`COMMAND_MODULES` (their handlers register on import); return :data:`COMMANDS`."""
    import importlib

    for mod in COMMAND_MODULES:
        importlib.import_module(mod)
    return COMMANDS


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the command; return the exit status."""
    load_commands()
    parser = argparse.ArgumentParser(prog="python -m abm", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, cmd in COMMANDS.items():
        cmd.arguments(sub.add_parser(name, help=cmd.help, description=cmd.help))
    args = parser.parse_args(argv)
    try:
        status = COMMANDS.get(args.command).handler(args)
        sys.stdout.flush()  # a closed pipe fails here, inside the handler below, not at exit
        return status
    except ConfigError as e:
        print(f"error: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except InvariantError as e:
        # a mechanism that broke the protocol or a run invariant (a crash inside step, payments
        # over the budget, ...): say which and where; `python -m abm audit` reports these as findings
        print(f"error: the run stopped: {_one_line(str(e))} (audit the scenario with `python -m abm audit` "
              f"for a counterexample)", file=sys.stderr)
        return 1
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
