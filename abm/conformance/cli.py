"""``python -m abm check MECHANISM|module:Class [--strategy NAME]``: the conformance suite's table.

Prints :func:`~abm.conformance.check_mechanism`'s table for the mechanism and, with
``--strategy``, :func:`~abm.conformance.check_strategy`'s for the strategy on the public
information of that mechanism's runs (the kinds both serve). Exits 0 when every check passes,
1 when one fails, 2 for bad input (a one-line error naming the field, as every command).
"""
from __future__ import annotations

import argparse

from mechanisms.errors import ConfigError, require

from ..cli import command


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("mechanism", nargs="?", default=None,
                   help="a registered mechanism (mutants included) or module:Class (a .py file or an importable "
                        "module; naming it here is the opt-in to importing it)")
    p.add_argument("--strategy", action="append", default=[], metavar="SPEC",
                   help="also check this strategy spec (e.g. truncate:k=2); repeatable")
    p.add_argument("--markets", default=None,
                   help="comma-separated market cases (default: the representative markets of each kind; "
                        "see abm.conformance.markets)")
    p.add_argument("--deviations", type=int, default=4, help="deviations replayed per market (default 4)")


@command("check", "conformance suite: protocol, determinism, invariants, claims, shortcuts of a mechanism "
                  "(and --strategy: does a strategy act)", _args)
def _check(args: argparse.Namespace) -> int:
    from . import check_mechanism, check_strategy

    require(args.mechanism is not None or args.strategy, "mechanism", None,
            "a mechanism to check (or --strategy SPEC)")
    markets = [m.strip() for m in args.markets.split(",") if m.strip()] if args.markets else None
    reports = []
    if args.mechanism is not None:
        reports.append(check_mechanism(args.mechanism, markets=markets, deviations=args.deviations))
    for spec in args.strategy:
        if args.mechanism is None:
            reports.append(check_strategy(spec, markets=markets))
            continue
        from .mechanism import resolve_mechanism_class
        from .strategy import resolve_strategy

        cls, s = resolve_mechanism_class(args.mechanism), resolve_strategy(spec)
        kinds = [k for k in s.kinds if k in cls.spec.market_kinds]
        if not kinds:
            raise ConfigError("--strategy", spec, f"a strategy for a market kind of {cls.spec.name} "
                                                  f"({list(cls.spec.market_kinds)}); it declares {list(s.kinds)}")
        reports.append(check_strategy(s, mechanisms=[cls], markets=markets, kinds=kinds))
    for i, rep in enumerate(reports):
        if i:
            print()
        print(rep.table())
    return 0 if all(r.passed for r in reports) else 1
