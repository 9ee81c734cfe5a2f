"""Sweep files: a base scenario, axes over scenario fields, replications; the expanded grid.

A sweep file (TOML) names a base scenario (``base = "path.toml"``, relative to the sweep file,
or an inline ``[base]`` table), ``[axes]`` mapping dotted scenario paths to lists of values,
``replications`` and optionally ``kind`` (``"run"`` or ``"audit"``) with an ``[audit]`` table.
:func:`load_sweep` expands the Cartesian product of the axes and validates every grid point
through :func:`abm.scenario.parse_scenario` BEFORE anything runs, so a bad axis (unknown field,
empty list, incompatible values) stops with a :class:`ConfigError` naming the axis and value.

Example (``examples/sweeps/sd_sizes.toml``)::

    base = "../sd_bundles.toml"
    replications = 3
    [axes]
    "mechanism.name" = ["sd", "rsd"]
    "arrivals.batch_size" = [1, 2]
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import pathlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from abm.scenario import Scenario, load_scenario, parse_scenario, replication_seed
from abm.schema import Section, is_file, read_toml
from mechanisms.errors import ConfigError, require

#: Sweep kinds: a plain scenario run per cell, or an audit of the run's deviations.
KINDS = ("run", "audit")

#: Audit deviation sources (``[audit] deviations``): the scenario's own strategies, or the
#: auditor's generic search families (``abm.audit.sources.SOURCES``, the list validation reads).

#: Defaults of an audit cell's options: the same keys and defaults as a scenario's ``[audit]``
#: table read by ``python -m abm audit`` (``abm.audit.cli``). ``deviations``: sources from
#: :data:`DEVIATION_SOURCES`; ``agents``: agents probed by each search family; ``claims``: claim
#: keys (None: the mechanism's declared claims); ``eps``: SP1's epsilon (SEM paper,
#: Definition 6); ``support_draws``: coin draws estimating GSP1 supports.
AUDIT_DEFAULTS: dict[str, Any] = {"deviations": ["strategies"], "agents": 5, "claims": None, "eps": 0.05,
                                  "support_draws": 16}

#: Largest number of runs (grid points x replications) a sweep may expand to.
MAX_RUNS = 1_000_000

#: Top-level scenario fields an axis may not vary (``replications`` is the sweep's own).
FORBIDDEN_AXES = ("replications",)


@dataclass(frozen=True)
class Task:
    """One (grid point, replication) of a sweep: what a worker runs.

    ``key`` is the hash of the resolved scenario, the seed, the kind and the sweep's
    ``[audit]`` table (:func:`cell_key`); ``params`` the axis values of the grid point; ``sc``
    the grid point's scenario, validated once by the driver (a worker receives it pickled and
    runs it without validating it again; its mechanism re-registers there, see
    :meth:`abm.scenario.Scenario.__setstate__`); ``audit`` the sweep's ``[audit]`` entries (they
    override the scenario's own).
    """

    key: str
    cell: int
    replication: int
    seed: int
    params: dict[str, Any]
    sc: Scenario
    kind: str
    audit: dict[str, Any] | None

    @property
    def scenario(self) -> dict[str, Any]:
        """Return the resolved raw scenario (JSON-able; what the store records)."""
        return self.sc.raw

    @property
    def base_dir(self) -> str:
        """Return where the scenario's relative paths point."""
        return str(self.sc.base_dir)


@dataclass
class Sweep:
    """A validated sweep: base scenario, axes, replications, kind, and its expanded grid."""

    name: str
    base: Scenario
    axes: dict[str, list[Any]]
    replications: int
    kind: str
    audit: dict[str, Any] | None
    raw: dict[str, Any]
    grid: list[Scenario] = field(default_factory=list)

    def points(self) -> list[dict[str, Any]]:
        """Return the axis values of every grid point, in grid order (first axis slowest)."""
        names = list(self.axes)
        return [dict(zip(names, combo)) for combo in itertools.product(*self.axes.values())]

    def tasks(self) -> list[Task]:
        """Return every (grid point, replication) task, ordered by (cell, replication).

        Replication r of a grid point runs with ``replication_seed(seed, r)`` where ``seed`` is
        the grid point's scenario seed (an axis may vary it).
        """
        out = []
        audit = dict(self.audit) if self.audit is not None else None
        for c, (point, sc) in enumerate(zip(self.points(), self.grid)):
            for r in range(self.replications):
                s = replication_seed(sc.seed, r)
                out.append(Task(cell_key(sc.raw, s, self.kind, audit), c, r, s, point, sc, self.kind, audit))
        return out

    def to_json(self) -> str:
        """Return the sweep (raw file content and base directory) as JSON."""
        return json.dumps({"sweep": self.raw, "base_dir": str(self.base.base_dir)}, sort_keys=True, default=str)


def canonical_json(obj: Any) -> str:
    """Return ``obj`` as canonical JSON: sorted keys, no whitespace (the input of cell keys)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)


def cell_key(scenario: Mapping[str, Any], seed: int, kind: str = "run", audit: Mapping[str, Any] | None = None) -> str:
    """Return the key of one run: a SHA-256 hash (24 hex digits) of the resolved scenario and seed.

    The scenario's ``name``, ``seed`` and ``replications`` do not enter (the run's own seed
    does), so renaming a sweep or raising its replications keeps the keys of finished runs.
    """
    sc = {k: v for k, v in scenario.items() if k not in ("name", "seed", "replications")}
    payload = {"scenario": sc, "seed": int(seed), "kind": kind}
    if kind == "audit":
        payload["audit"] = dict(audit or {})
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()[:24]


def load_sweep(path: str | pathlib.Path, allow_import: bool = False) -> Sweep:
    """Return the validated sweep in the TOML file ``path`` (its whole grid validated).

    ``allow_import`` lets the scenarios name ``mechanism.name = "module:Class"`` (code to
    import, :mod:`mechanisms.plugins`); dask workers then import it from the same path. Raises
    :class:`ConfigError` for a missing file, a TOML syntax error, a bad field, or a bad axis
    (naming the axis and the value).
    """
    p = pathlib.Path(path)
    return parse_sweep(read_toml(p, "sweep"), p.parent, default_name=p.stem, allow_import=allow_import)


def parse_sweep(raw: Mapping[str, Any], base_dir: str | pathlib.Path = ".", default_name: str = "sweep",
                allow_import: bool = False) -> Sweep:
    """Return the validated :class:`Sweep` of the parsed table ``raw``.

    Every axis value is first applied alone to the base scenario (so an error names the axis
    and the value that broke it); then every grid point is validated (an error names the
    combination of axis values). Validation builds each grid point's parts once, in this
    process (:func:`abm.scenario.parse_scenario`), and lets them go: the cells build their own
    runs, one build each.
    """
    base_dir = pathlib.Path(base_dir)
    top = Section(raw, "")
    name = top.get("name", str, default_name, check=lambda v: v.strip() != "", expected="a non-empty string")
    kind = top.get("kind", str, "run", check=lambda v: v in KINDS, expected=f"one of {list(KINDS)}")
    reps = top.get("replications", int, None, check=lambda v: 1 <= v <= MAX_RUNS,
                   expected=f"an integer in [1, {MAX_RUNS}]")
    base_raw = top.get("base", (str, dict), expected="a scenario file path or an inline [base] table")
    if isinstance(base_raw, str):
        bp = (base_dir / base_raw)
        require(is_file(bp), "base", base_raw[:200], f"an existing scenario file (looked at {str(bp)[:200]})")
        try:
            base = load_scenario(bp, allow_import=allow_import)
        except ConfigError as e:
            raise ConfigError(f"base.{e.field}", e.value, e.expected) from None
    else:
        try:
            base = parse_scenario(dict(base_raw), base_dir, allow_import=allow_import)
        except ConfigError as e:
            raise ConfigError(f"base.{e.field}", e.value, e.expected) from None
    axes_raw = top.get("axes", dict, {})
    audit = audit_options(top.get("audit", dict, {}), "audit") if kind == "audit" else None
    if kind != "audit":
        require(not top.has("audit"), "audit", top.data.get("audit"), 'no [audit] table unless kind = "audit"')
    top.finish()
    axes: dict[str, list[Any]] = {}
    for axis, values in axes_raw.items():
        f = f"axes.{axis!r}" if not _plain(axis) else f"axes.{axis}"
        require(isinstance(axis, str) and axis != "" and all(axis.split(".")), f, axis,
                "a dotted scenario path such as \"mechanism.params.eps_b\"")
        require(axis not in FORBIDDEN_AXES, f, axis, "a scenario field other than replications "
                "(set the sweep's own replications)")
        require(isinstance(values, list), f, values, "a list of values")
        require(len(values) > 0, f, values, "a non-empty list of values")
        keys = [canonical_json(v) for v in values]
        require(len(set(keys)) == len(keys), f, values, "distinct values (a repeated value would run the same cells twice)")
        axes[axis] = list(values)
    replications = reps if reps is not None else base.replications
    n_points = 1
    for values in axes.values():
        n_points *= len(values)
    require(n_points * replications <= MAX_RUNS, "axes", f"<{n_points} grid points x {replications} replications>",
            f"a sweep of at most {MAX_RUNS} runs")
    # one axis at a time: an error names the axis and the value
    single = {(axis, canonical_json(v)): _apply(base, {axis: v}, f"axes.{axis}", v)
              for axis, values in axes.items() for v in values}
    sweep = Sweep(name, base, axes, replications, kind, audit, copy.deepcopy(dict(raw)))
    grid = []
    for point in sweep.points():
        if not point:
            grid.append(base)
        elif len(point) == 1:  # already validated alone
            (axis, v), = point.items()
            grid.append(single[(axis, canonical_json(v))])
        else:
            grid.append(_apply(base, point, "axes", point))
    if audit is not None:  # the scenario's own [audit] table, overridden by the sweep's
        for point, sc in zip(sweep.points(), grid):
            try:
                audit_options({**sc.audit, **audit}, "audit")
            except ConfigError as e:
                raise ConfigError(e.field, e.value, f"{e.expected} (grid point {point})") from None
    for sc in [base, *single.values(), *grid]:
        sc.forget_parts()  # the runs happen in the cells (often other processes): do not hold them here
    sweep.grid = grid
    return sweep


def _plain(axis: Any) -> bool:
    return isinstance(axis, str) and axis.replace(".", "").replace("_", "").isalnum()


def _apply(base: Scenario, point: Mapping[str, Any], field_name: str, value: Any) -> Scenario:
    """Return ``base`` with the axis values of ``point`` applied, validated by parse_scenario."""
    try:
        return base.with_overrides(**point)
    except ConfigError as e:
        raise ConfigError(field_name, value, f"a value the scenario accepts ({e.field} = {e.value!r}: "
                                             f"expected {e.expected})") from None


def audit_options(table: Mapping[str, Any], path: str = "audit") -> dict[str, Any]:
    """Return the validated entries of an ``[audit]`` table (only those given; see :data:`AUDIT_DEFAULTS`).

    The one schema of ``[audit]`` tables (:func:`abm.schema.validate_audit_table`): raises
    :class:`ConfigError` naming ``<path>.<key>`` for a bad entry or an unknown key.
    """
    from abm.schema import validate_audit_table

    return validate_audit_table(table, path)
