"""``python -m abm mutants``: audit the mutant zoo and the faithful controls, print the score."""
from __future__ import annotations

import argparse
import json
import sys

from abm.cli import command


def _args(p: argparse.ArgumentParser) -> None:
    p.add_argument("names", nargs="*", help="audit only these mutants (default: the whole zoo)")
    p.add_argument("--no-controls", action="store_true", help="skip the faithful mechanisms (controls)")
    p.add_argument("--path", default="protocol", help="replay path: protocol (default), full or shortcut")
    p.add_argument("--json", default=None, help="also write the rows to this JSON file")
    p.add_argument("--quiet", action="store_true", help="no progress lines")


@command("mutants", "audit the mutant zoo and the faithful controls (mutation score)", _args)
def _run(args: argparse.Namespace) -> int:
    from mechanisms.errors import ConfigError

    from .claims import AuditOptions
    from .zoo import MUTANT_TABLE, mutant_names, run_zoo, score

    for n in args.names:
        if n not in MUTANT_TABLE:
            raise ConfigError("mutants", n, f"a mutant of the zoo, one of {sorted(MUTANT_TABLE)}")
    missing = [m for m in mutant_names() if m not in MUTANT_TABLE]
    opts = AuditOptions(path=args.path)
    say = None if args.quiet else (lambda m: print(f"  auditing {m} ...", file=sys.stderr, flush=True))
    rows = run_zoo(args.names or None, controls=not args.no_controls, options=opts, progress=say)
    w = max(len(r.mechanism) for r in rows) if rows else 10
    wb = max([6] + [len(r.breaks) for r in rows])
    print(f"{'mechanism':<{w}}  {'role':<7}  {'breaks':<{wb}}  {'flagged':<7}  {'s':>5}  first counterexample or finding")
    for r in rows:
        flag = ("yes" if r.flagged else "NO") if r.role == "mutant" else ("FALSE ALARM" if r.flagged else "no")
        print(f"{r.mechanism:<{w}}  {r.role:<7}  {r.breaks:<{wb}}  {flag:<7}  {r.seconds:5.1f}  {r.first[:160]}")
    s = score(rows)
    print(f"\nmutation score: {s['flagged']} of {s['mutants']} mutants flagged ({100 * s['flagged_share']:.0f}%); "
          f"false alarms: {s['false_alarms']} of {s['controls']} faithful controls")
    if missing:
        print(f"not in the zoo (no market registered for them): {missing}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": [r.as_dict() for r in rows], "score": s}, f, indent=1)
    return 0 if s["flagged"] == s["mutants"] and s["false_alarms"] == 0 else 1
