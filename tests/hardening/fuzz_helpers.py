"""Mutation fuzzing of scenario, sweep and counterexample files (issue 12, item 4).

A case is a seed file (every ``examples/*.toml``, every ``examples/sweeps/*.toml``, and
counterexample files written by real audits) changed by one mutation, then read (and, when it
reads, built and run, or replayed) in this process under a time limit (``signal.alarm``). Its
outcome is one of:

- ``clean error``: a :class:`~mechanisms.errors.ConfigError` (what the user sees as one line);
- ``valid run``: it read, built and ran (or replayed) without error;
- ``traceback``: any other exception;
- ``hang``: the time limit passed;
- ``silently accepted``: it read although the mutation made it invalid by construction (an
  unknown key, ``true`` where an integer stood, NaN, an integer of 2^63 or more).

``generic net`` counts the clean errors raised by the scenario loader's last-resort net (field
``scenario``, "a scenario that builds"), so a drift towards it is visible.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import pathlib
import random
import signal
import tempfile
import tomllib
from collections.abc import Iterator
from typing import Any

from mechanisms.errors import ConfigError

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
OUTCOMES = ("clean error", "valid run", "traceback", "hang", "silently accepted")

#: Values a mutation puts in place of an existing one.
NASTY: list[Any] = [-1, 0, 1, 2, 2**63, 10**15, 1e15, -0.5, 0.5, 2.0, math.inf, -math.inf, True, False, "", "x",
                    "{a,b", "a}", "o", "truncate:k=1,k=2", [], [True], [0, 0], [[[]]], {}, {"name": 3}, "\u00e9\u4e2d",
                    "x" * 5000]
#: Tables whose keys are free-form by design (an unknown key there is not invalid).
FREE_FORM = ("extra", "params", "scenario", "valuation_params")


class Hang(Exception):
    """The time limit of a case passed."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`Hang` in this thread when the block runs longer than ``seconds``."""
    def on_alarm(signum, frame):
        raise Hang()

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def scenario_seeds() -> list[pathlib.Path]:
    """Return every example scenario file."""
    return sorted(EXAMPLES.glob("*.toml"))


def sweep_seeds() -> list[pathlib.Path]:
    """Return every example sweep file."""
    return sorted((EXAMPLES / "sweeps").glob("*.toml"))


def make_counterexamples(directory: pathlib.Path) -> list[pathlib.Path]:
    """Write counterexample files of real audits: a bundle-market mutant (schedule and market as
    data, no scenario) and a procurement mutant from a scenario (valuation as ``$data``)."""
    import sys

    from abm.audit import audit
    from abm.audit.claims import audit_options_from_table
    from abm.audit.deviations import truncations
    from abm.audit.sources import ScenarioRun
    from abm.scenario import load_scenario
    from mechanisms.mechanism_registry import make_mechanism as build_mechanism

    sys.path.insert(0, str(ROOT / "tests" / "audit"))
    from audit_helpers import contested_bundles

    market, types, sched = contested_bundles()  # a bundle market the truncation mutant profits on
    rep = audit(lambda: build_mechanism("mutant_sd_truncation_bonus", market), sched, types, 7,
                list(truncations(types, types, ks=(1, 2))), claims=["strategyproof"], save=directory / "bundles")
    out = [files[0] for files in rep.saved.values() if files]
    for f, mutant, devs in (("procurement_mech1.toml", "mutant_bf_pay_bid", ["bid_changes"]),):
        sc = load_scenario(EXAMPLES / f).with_overrides(**{"mechanism.name": mutant})
        sc = sc.with_overrides(**{"mechanism.params": {}}) if "procurement" in f else sc
        run = ScenarioRun(sc, sc.seed)
        spec = {"deviations": devs, "agents": 4}
        rep = audit(run.factory, run.truthful, run.true_types, sc.seed, run.deviations(spec), None,
                    options=audit_options_from_table({}), scenario=run.scenario, save=directory / f.split(".")[0])
        for files in rep.saved.values():
            out.extend(files[:1])
    return out


# ---- mutations --------------------------------------------------------------------------------
def _paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    """Return the path of every node of ``tree`` (dict keys and list indices)."""
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(tree, list):
        for i, v in enumerate(tree[:20]):
            out += _paths(v, prefix + (i,))
    return out


def _get(tree: Any, path: tuple) -> Any:
    for k in path:
        tree = tree[k]
    return tree


def mutate(tree: dict[str, Any], rng: random.Random) -> tuple[dict[str, Any], bool, str]:
    """Return ``(mutated copy, invalid_by_construction, description)`` of a parsed file."""
    t = copy.deepcopy(tree)
    paths = _paths(t)
    for _ in range(50):
        path = rng.choice(paths)
        node = _get(t, path)
        parent_free = any(isinstance(k, str) and k in FREE_FORM for k in path)
        op = rng.random()
        if isinstance(node, dict) and op < 0.2:
            node["zz_unknown_key"] = 1
            return t, not parent_free, f"add unknown key at {path}"
        if not path:
            continue
        parent = _get(t, path[:-1])
        key = path[-1]
        old = parent[key]
        if op < 0.3 and isinstance(parent, dict):
            del parent[key]
            return t, False, f"delete {path}"
        if isinstance(old, int) and not isinstance(old, bool) and op < 0.45:
            parent[key] = rng.choice([True, 2**63, math.nan])
            return t, not parent_free, f"{path}: {old!r} -> {parent[key]!r}"
        if isinstance(old, float) and op < 0.45:
            parent[key] = math.nan
            return t, not parent_free, f"{path}: {old!r} -> nan"
        new = rng.choice(NASTY)
        parent[key] = copy.deepcopy(new)
        return t, False, f"{path}: {old!r} -> {str(new)[:40]!r}"
    return t, False, "no mutation"


def byte_mutations(text: bytes, rng: random.Random) -> tuple[bytes, str]:
    """Return a file-level mutation of ``text`` (not UTF-8, truncated, deeply nested, ...)."""
    k = rng.randrange(5)
    if k == 0:
        i = rng.randrange(len(text) + 1)
        return text[:i] + b"\xff\xfe\x80" + text[i:], "invalid UTF-8"
    if k == 1:
        return text[:rng.randrange(len(text) + 1)], "truncated"
    if k == 2:
        return text + b"\nzz = " + b"[" * 5000 + b"]" * 5000 + b"\n", "deeply nested array"
    if k == 3:
        lines = text.splitlines()
        i = rng.randrange(len(lines) + 1)
        return b"\n".join(lines[:i] + [lines[i - 1] if i else b"x = 1"] + lines[i:]), "repeated line"
    return text.replace(b"=", b"==", 1), "syntax"


# ---- running one case -------------------------------------------------------------------------
def _walk_nan(x: Any) -> bool:
    if isinstance(x, float) and math.isnan(x):
        return True
    if isinstance(x, dict):
        return any(_walk_nan(v) for v in x.values())
    if isinstance(x, list):
        return any(_walk_nan(v) for v in x)
    return False


def run_scenario_case(raw: dict[str, Any] | None, base_dir: pathlib.Path, invalid: bool, seconds: float,
                      data: bytes | None = None) -> tuple[str, str]:
    """Return (outcome, detail) of reading, building and running one scenario."""
    from abm.scenario import build_run, load_scenario, parse_scenario

    try:
        with time_limit(seconds):
            if data is not None:
                with tempfile.TemporaryDirectory() as d:
                    p = pathlib.Path(d) / "case.toml"
                    p.write_bytes(data)
                    try:
                        raw = tomllib.loads(data.decode("utf-8"))
                    except Exception:
                        raw = None
                    sc = load_scenario(p) if raw is None else parse_scenario(raw, base_dir)
            else:
                sc = parse_scenario(raw, base_dir)
            if invalid:
                return "silently accepted", ""
            build_run(sc, sc.seed).run()
        return "valid run", ""
    except ConfigError as e:
        return "clean error", ("generic net" if e.field == "scenario" and "builds" in e.expected else str(e)[:200])
    except Hang:
        return "hang", ""
    except Exception as e:  # noqa: BLE001 - a traceback is what the fuzz looks for
        return "traceback", f"{type(e).__name__}: {e}"[:300]


def run_sweep_case(raw: dict[str, Any], base_dir: pathlib.Path, invalid: bool, seconds: float) -> tuple[str, str]:
    """Return (outcome, detail) of validating one sweep (its whole grid; nothing runs)."""
    from abm.experiments.sweep import parse_sweep

    try:
        with time_limit(seconds):
            sw = parse_sweep(raw, base_dir)
            if invalid:
                return "silently accepted", ""
            sw.tasks()
        return "valid run", ""
    except ConfigError as e:
        return "clean error", ("generic net" if e.field.endswith("scenario") and "builds" in e.expected else str(e)[:200])
    except Hang:
        return "hang", ""
    except Exception as e:  # noqa: BLE001
        return "traceback", f"{type(e).__name__}: {e}"[:300]


def run_counterexample_case(data: bytes, invalid: bool, seconds: float) -> tuple[str, str]:
    """Return (outcome, detail) of loading and replaying one counterexample file."""
    from abm.audit import load_counterexample, replay_counterexample, set_scenario_loader
    from abm.audit.cli import _scenario_loader

    set_scenario_loader(_scenario_loader)
    try:
        with tempfile.TemporaryDirectory() as d:
            p = pathlib.Path(d) / "cx.json"
            p.write_bytes(data)
            with time_limit(seconds):
                cx = load_counterexample(p)
                if invalid:
                    return "silently accepted", ""
                replay_counterexample(cx)
        return "valid run", ""
    except ConfigError as e:
        return "clean error", str(e)[:200]
    except Hang:
        return "hang", ""
    except Exception as e:  # noqa: BLE001
        return "traceback", f"{type(e).__name__}: {e}"[:300]


def scenario_case(rng: random.Random, seconds: float) -> tuple[str, str, str]:
    """Run one random scenario mutation; return (outcome, description, detail)."""
    f = rng.choice(scenario_seeds())
    if rng.random() < 0.15:
        data, what = byte_mutations(f.read_bytes(), rng)
        out, detail = run_scenario_case(None, f.parent, False, seconds, data=data)
        return out, f"{f.name}: {what}", detail
    raw = tomllib.loads(f.read_text())
    t, invalid, what = mutate(raw, rng)
    out, detail = run_scenario_case(t, f.parent, invalid, seconds)
    return out, f"{f.name}: {what}", detail


def sweep_case(rng: random.Random, seconds: float) -> tuple[str, str, str]:
    """Run one random sweep mutation; return (outcome, description, detail)."""
    f = rng.choice(sweep_seeds())
    raw = tomllib.loads(f.read_text())
    t, invalid, what = mutate(raw, rng)
    out, detail = run_sweep_case(t, f.parent, invalid, seconds)
    return out, f"{f.name}: {what}", detail


def counterexample_case(files: list[pathlib.Path], rng: random.Random, seconds: float) -> tuple[str, str, str]:
    """Run one random counterexample mutation; return (outcome, description, detail)."""
    f = rng.choice(files)
    text = f.read_bytes()
    if rng.random() < 0.15:
        data, what = byte_mutations(text, rng)
        out, detail = run_counterexample_case(data, False, seconds)
        return out, f"{f.name}: {what}", detail
    t, invalid, what = mutate(json.loads(text), rng)
    data = json.dumps(t, allow_nan=True).encode()
    out, detail = run_counterexample_case(data, invalid, seconds)
    return out, f"{f.name}: {what}", detail
