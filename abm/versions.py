"""Versions of what produced a result: the mechanism's ``spec.version`` and each strategy's ``version``.

Every mechanism spec (:class:`mechanisms.spec.MechanismSpec`) and every strategy class
(:class:`strategies.base.Strategy`, :class:`strategies.coalitions.CoalitionStrategy`) carries an
integer ``version`` bumped whenever a change may alter results (PettingZoo's ``_vN`` rule). A
stored result records the versions it was produced with (the sweep store per run, see
:mod:`abm.experiments.store`), so a result computed before such a change is told apart from one
computed after it.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: A versions record: ``{"mechanism": {name: version}, "strategies": {name: version, ...}}``.
Versions = dict[str, dict[str, int]]


def versions_of(mechanism: Any, strategies: Iterable[Any] = ()) -> Versions:
    """Return the versions record of ``mechanism`` and ``strategies``.

    ``mechanism`` is a mechanism instance or class (its ``spec`` gives name and version);
    ``strategies`` are strategy or coalition-strategy instances or classes (``name`` and
    ``version``), repeats counted once. Returns ``{"mechanism": {spec.name: spec.version},
    "strategies": {name: version, ...}}`` with the strategies sorted by name.
    """
    spec = mechanism.spec
    out: dict[str, int] = {}
    for s in strategies:
        out[str(s.name)] = int(s.version)
    return {"mechanism": {str(spec.name): int(spec.version)}, "strategies": dict(sorted(out.items()))}


def model_versions(model: Any) -> Versions:
    """Return the versions record of a built :class:`~abm.model.AllocationModel`.

    The model's mechanism, every participant's strategy, and the joint strategy of every
    coalition in the run (:func:`versions_of`).
    """
    strategies = [p.strategy for p in model.participants]
    strategies += [p.coalition.strategy for p in model.participants if getattr(p, "coalition", None) is not None]
    return versions_of(model.mechanism, strategies)


def versions_text(versions: Versions | None) -> str:
    """Return a versions record as one line, e.g. ``"sd v1; truthful v1, truncate v2"`` ("not recorded" for None)."""
    if not versions:
        return "not recorded"
    mech = ", ".join(f"{k} v{v}" for k, v in versions.get("mechanism", {}).items())
    strats = ", ".join(f"{k} v{v}" for k, v in versions.get("strategies", {}).items())
    return f"{mech}; {strats}" if strats else mech


# ---- by registered name: what a counterexample file records and a replay checks ----------------
def _installed(kind: str, name: str) -> int | None:
    """Return the installed version of the registered ``name`` (None when nothing is registered under it).

    ``kind`` is ``"mechanism"`` (mutants included) or ``"strategies"`` (unilateral or coalition).
    """
    import mechanisms  # noqa: F401  (registers every mechanism family and the mutants)
    from mechanisms.mechanism_registry import MECHANISMS
    from strategies import COALITION_STRATEGIES, STRATEGIES

    if kind == "mechanism":
        return int(MECHANISMS.get(name).spec.version) if name in MECHANISMS else None
    for reg in (STRATEGIES, COALITION_STRATEGIES):
        if name in reg:
            return int(reg.get(name).version)
    return None


def named_versions(mechanism: str, strategies: Iterable[str] = ()) -> Versions:
    """Return the versions record (:func:`versions_of`) of a mechanism and strategies given by name.

    ``strategies`` are registered names or spec strings (``"truncate:k=2"``: parameters do not
    change the code, so only the name counts); names that are no strategy (a deviation family
    such as ``"search"``) are left out. Raises :class:`ConfigError` naming
    ``mechanism.name`` for an unregistered mechanism.
    """
    from mechanisms.mechanism_registry import MECHANISMS
    from strategies import COALITION_STRATEGIES, STRATEGIES

    classes = []
    for s in strategies:
        name = str(s).partition(":")[0].strip()
        for reg in (STRATEGIES, COALITION_STRATEGIES):
            if name in reg:
                classes.append(reg.get(name))
                break
    return versions_of(MECHANISMS.get(mechanism, "mechanism.name"), classes)


def read_versions(d: Any, field: str) -> Versions:
    """Return a stored versions record validated: ``{"mechanism": {...}, "strategies": {...}}``.

    Raises :class:`~mechanisms.errors.ConfigError` naming ``<field>.<kind>`` for an unknown
    kind or a part that is not a table, and ``<field>.<kind>.<name>`` for a version that is not
    a positive integer.
    """
    from collections.abc import Mapping

    from mechanisms.errors import require

    require(isinstance(d, Mapping), field, type(d).__name__, 'a table {"mechanism": {...}, "strategies": {...}}')
    for k in d:
        require(k in ("mechanism", "strategies"), f"{field}.{k}", d[k], 'one of ["mechanism", "strategies"]')
    out: Versions = {}
    for kind in ("mechanism", "strategies"):
        t = d.get(kind, {})
        require(isinstance(t, Mapping), f"{field}.{kind}", type(t).__name__, "a table name -> version")
        for n, v in t.items():
            require(isinstance(v, int) and not isinstance(v, bool) and v >= 1, f"{field}.{kind}.{n}", v,
                    "a positive integer version")
        out[kind] = {str(n): int(v) for n, v in t.items()}
    return out


def version_mismatches(recorded: Versions) -> list[str]:
    """Return, in words, every recorded version that differs from the installed one ([] when all match).

    A name no longer registered is a mismatch too.
    """
    out = []
    for kind in ("mechanism", "strategies"):
        for n, v in recorded.get(kind, {}).items():
            now = _installed(kind, n)
            if now is None:
                out.append(f"{kind} {n!r} (version {v}) is no longer registered")
            elif now != v:
                out.append(f"{kind} {n!r} was version {v} when recorded, version {now} is installed")
    return out


def require_same_versions(recorded: Versions, field: str, force: bool = False) -> list[str]:
    """Raise :class:`~mechanisms.errors.ConfigError` naming ``field`` when a recorded version differs.

    A changed mechanism or strategy may give other results (PettingZoo's ``_vN`` rule), so a
    stale file is refused rather than silently replayed. With ``force`` nothing is raised.
    Returns the mismatches (empty when every version matches), so a forced replay can say so.
    """
    from mechanisms.errors import ConfigError

    bad = version_mismatches(recorded)
    if bad and not force:
        raise ConfigError(field, "; ".join(bad), "the versions installed now (regenerate the file with the "
                                                 "installed code, or force the replay: `replay FILE --force`)")
    return bad
