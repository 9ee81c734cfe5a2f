"""Small sweeps shared by the experiment tests (seeds pinned, runs of a fraction of a second)."""
from __future__ import annotations

import json
import pathlib
import textwrap

#: A tiny random-score bundle market; a quarter of the agents truncate to their top bundle.
BASE = """
name = "tiny"
seed = 5
[market]
kind = "bundles"
m = 3
capacity = 2
max_bundle_size = 2
[population]
source = "scores"
n = 8
n_types = 3
top = 4
[mechanism]
name = "sd"
[[strategies.assign]]
strategy = "truncate:k=1"
share = 0.25
"""


def write_base(tmp: pathlib.Path, text: str = BASE) -> pathlib.Path:
    """Write the base scenario to ``tmp/base.toml`` and return its path."""
    p = tmp / "base.toml"
    p.write_text(textwrap.dedent(text))
    return p


def write_sweep(tmp: pathlib.Path, body: str, name: str = "sweep.toml", base: str | None = None) -> pathlib.Path:
    """Write a sweep file whose base is ``base.toml`` (written when missing) and return its path."""
    if not (tmp / "base.toml").exists():
        write_base(tmp, base or BASE)
    p = tmp / name
    p.write_text('base = "base.toml"\n' + textwrap.dedent(body))
    return p


def grid_sweep(name: str, replications: int, mechanisms: list[str], sizes: list[int]) -> str:
    """Return the body of a sweep over ``mechanism.name`` x ``population.n`` (for :func:`write_sweep`)."""
    return (f'name = "{name}"\nreplications = {replications}\n[axes]\n'
            f'"mechanism.name" = {json.dumps(mechanisms)}\n"population.n" = {json.dumps(sizes)}\n')


#: The sweep the backend tests share: OCAM and RSD at two sizes, three replications (12 runs).
BACKEND_SWEEP = grid_sweep("backends", 3, ["ocam", "rsd"], [8, 12])
