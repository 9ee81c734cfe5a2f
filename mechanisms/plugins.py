"""Mechanisms written outside the package ("bring your own mechanism", issue 14, item 3).

A mechanism of one's own is a class implementing the online protocol
(:class:`~mechanisms.online_mechanism.OnlineMechanism`: a ``spec`` of type
:class:`~mechanisms.spec.MechanismSpec` and a ``step(tick, reports)`` method; see
``docs/bring_your_own_mechanism.md``). Two ways bring it in, and once loaded it is registered in
:data:`~mechanisms.mechanism_registry.MECHANISMS` under ``spec.name`` like a built-in mechanism, so the
scenario files, the auditor, counterexample replays and ``python -m abm list`` treat it the same:

1. **An entry point** in the user's own installed package, group :data:`ENTRY_POINT_GROUP`
   (``mechbed.mechanisms``)::

       [project.entry-points."mechbed.mechanisms"]
       posted_price = "my_package.mechanism:PostedPrice"

   A scenario then names it like any built-in (``name = "posted_price"``); it is loaded the
   first time a name is not found among the registered mechanisms. Installing a package is the
   user's opt-in to running its code.
2. **``module:Class`` in a scenario's ``[mechanism]`` table**, only with an explicit opt-in
   (``--allow-import`` on the command line, ``allow_import=True`` in Python): scenario files are
   data, and without the opt-in naming code in one is a :class:`ConfigError` that says how to
   opt in. ``module`` is a dotted module importable from ``sys.path``, or a ``.py`` file
   relative to the scenario's directory (``my_mechanism.py:PostedPrice``).

This module imports no Mesa and nothing from ``abm`` (DESIGN.md, layers).
"""
from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.metadata
import importlib.util
import pathlib
import re
import sys
from collections.abc import Iterator
from typing import Any

from .errors import ConfigError, require
from .mechanism_registry import MECHANISMS
from .online_mechanism import OnlineMechanism
from .spec import MechanismSpec

#: The entry point group a user's package declares its mechanisms in.
ENTRY_POINT_GROUP = "mechbed.mechanisms"

_IMPORT_SPEC = re.compile(r"^(?P<module>[A-Za-z_][\w.]*(\.py)?|[\w./\\-]+\.py):(?P<cls>[A-Za-z_]\w*)$")

#: Where each plugin mechanism came from: registered name -> "entry point NAME = VALUE" or "module:Class".
ORIGINS: dict[str, str] = {}

#: ``(module:Class, base directory)`` already imported with the opt-in in this process -> registered name.
_IMPORTED: dict[tuple[str, str], str] = {}


def is_import_spec(name: Any) -> bool:
    """Return True when ``name`` has the ``module:Class`` form (code, not a registered name)."""
    return isinstance(name, str) and ":" in name


def check_mechanism_class(obj: Any, origin: str, field: str = "mechanism.name") -> type[OnlineMechanism]:
    """Return ``obj`` when it is a usable mechanism class; else raise :class:`ConfigError`.

    Usable: a subclass of :class:`OnlineMechanism` whose ``spec`` is a :class:`MechanismSpec`
    with a non-empty ``name``, at least one market kind among ``bundles``, ``objects``,
    ``procurement``, and an implemented ``step`` (the protocol of DESIGN.md, "One tick").
    """
    require(isinstance(obj, type) and issubclass(obj, OnlineMechanism), field, origin,
            "a class derived from mechanisms.online_mechanism.OnlineMechanism "
            "(see docs/bring_your_own_mechanism.md)")
    spec = getattr(obj, "spec", None)
    require(isinstance(spec, MechanismSpec), f"{field} ({origin}).spec", spec,
            "a mechanisms.spec.MechanismSpec class attribute")
    require(isinstance(spec.name, str) and re.fullmatch(r"[A-Za-z_][\w.-]*", spec.name or "") is not None,
            f"{field} ({origin}).spec.name", spec.name, "a short name (letters, digits, _ . -)")
    kinds = tuple(spec.market_kinds)
    require(len(kinds) > 0 and all(k in ("bundles", "objects", "procurement") for k in kinds),
            f"{field} ({origin}).spec.market_kinds", kinds, 'market kinds among "bundles", "objects", "procurement"')
    require(not getattr(obj, "__abstractmethods__", None), f"{field} ({origin})", sorted(obj.__abstractmethods__),
            "a class implementing step(tick, reports)")
    return obj


def register_plugin(cls: type[OnlineMechanism], origin: str, field: str = "mechanism.name") -> str:
    """Register a checked plugin class under ``cls.spec.name`` and return that name.

    Registering the same class again is a no-op; a different class under a name already taken
    (a built-in such as ``sd``, or another plugin) is a :class:`ConfigError`.
    """
    cls = check_mechanism_class(cls, origin, field)
    name = cls.spec.name
    if name in MECHANISMS:
        existing = MECHANISMS.get(name)
        if existing is cls:
            return name
        where = ORIGINS.get(name, f"the built-in {existing.__module__}.{existing.__qualname__}")
        raise ConfigError(f"{field} ({origin}).spec.name", name,
                          f"a name not registered already (taken by {where}); rename spec.name")
    MECHANISMS.add(name, cls)
    ORIGINS[name] = origin
    return name


def entry_points() -> dict[str, Any]:
    """Return the installed entry points of :data:`ENTRY_POINT_GROUP`, by name (not loaded)."""
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def load_entry_point(name: str, field: str = "mechanism.name") -> str | None:
    """Load and register the entry point ``name`` of :data:`ENTRY_POINT_GROUP`; return the
    registered mechanism name, or None when no installed package declares ``name``."""
    ep = entry_points().get(name)
    if ep is None:
        return None
    origin = f"entry point {ENTRY_POINT_GROUP}: {ep.name} = {ep.value}"
    try:
        obj = ep.load()
    except Exception as e:  # the user's package failed to import: say which and why
        raise ConfigError(field, name, f"a loadable {origin} (import failed: {type(e).__name__}: {e})") from None
    reg = register_plugin(obj, origin, field)
    require(reg == name, f"{field} ({origin}).spec.name", reg, f"the entry point's name {name!r}")
    return reg


def _import_module(module: str, base_dir: pathlib.Path | None, field: str, spec: str):
    path = None
    if module.endswith(".py"):
        path = pathlib.Path(module)
        if not path.is_absolute():
            path = (base_dir or pathlib.Path(".")) / path
        require(path.is_file(), field, spec, f"module:Class with an existing .py file (looked at {path})")
    elif base_dir is not None:
        cand = base_dir / (module.replace(".", "/") + ".py")
        if cand.is_file() and importlib.util.find_spec(module.split(".")[0]) is None:
            path = cand
    if path is None:
        try:
            return importlib.import_module(module)
        except ImportError as e:
            raise ConfigError(field, spec, f"module:Class with an importable module ({e})") from None
    path = path.resolve()
    # One module object per file: a stable private name from the file's path.
    modname = "mechbed_plugin_" + re.sub(r"\W", "_", path.stem) + "_" + hashlib.sha1(str(path).encode()).hexdigest()[:10]
    if modname in sys.modules:
        return sys.modules[modname]
    ispec = importlib.util.spec_from_file_location(modname, path)
    mod = importlib.util.module_from_spec(ispec)  # type: ignore[arg-type]
    sys.modules[modname] = mod
    try:
        ispec.loader.exec_module(mod)  # type: ignore[union-attr]
    except Exception as e:
        del sys.modules[modname]
        raise ConfigError(field, spec, f"a module that imports ({type(e).__name__}: {e})") from None
    return mod


def import_mechanism(spec: str, *, allow_import: bool = False, base_dir: str | pathlib.Path | None = None,
                     field: str = "mechanism.name") -> str:
    """Import the class named by ``spec`` (``module:Class``), register it and return its name.

    Raises :class:`ConfigError` naming ``field`` when ``allow_import`` is False (scenario files
    are data: the message says how to opt in), when the form is not ``module:Class``, when the
    module does not import, or when the class is not a usable mechanism
    (:func:`check_mechanism_class`).
    """
    if not allow_import:
        raise ConfigError(field, spec, "a registered mechanism name: naming code to import (module:Class) "
                                       "needs an explicit opt-in, --allow-import on the command line or "
                                       "allow_import=True in Python (scenario files are data by default); "
                                       "or install it as an entry point in the group "
                                       f"{ENTRY_POINT_GROUP!r} (docs/bring_your_own_mechanism.md)")
    m = _IMPORT_SPEC.match(spec.strip())
    require(m is not None, field, spec, "module:Class, e.g. my_mechanism.py:PostedPrice or my_pkg.mech:PostedPrice")
    module, clsname = m.group("module"), m.group("cls")
    mod = _import_module(module, pathlib.Path(base_dir) if base_dir is not None else None, field, spec)
    require(hasattr(mod, clsname), field, spec, f"a class {clsname!r} defined in {module}")
    return register_plugin(getattr(mod, clsname), spec, field)


def resolve_mechanism(name: str, *, allow_import: bool = False, base_dir: str | pathlib.Path | None = None,
                      field: str = "mechanism.name") -> str:
    """Return the registered name of the mechanism a scenario names.

    ``name`` is a registered name (returned unchanged), the name of an installed entry point
    of :data:`ENTRY_POINT_GROUP` (loaded and registered), or ``module:Class`` (imported only
    with ``allow_import``, see :func:`import_mechanism`); mutants are registered names too.
    Raises :class:`ConfigError` naming ``field`` otherwise, listing the registered names.
    """
    require(isinstance(name, str) and name != "", field, name, "a mechanism name")
    if name in MECHANISMS:
        return name
    if is_import_spec(name):
        key = (name.strip(), str(pathlib.Path(base_dir or ".").resolve()))
        if key not in _IMPORTED:  # the opt-in, once given in this process, covers re-reads of the scenario
            _IMPORTED[key] = import_mechanism(name, allow_import=allow_import, base_dir=base_dir, field=field)
        return _IMPORTED[key]
    loaded = load_entry_point(name, field)
    if loaded is not None:
        return loaded
    raise ConfigError(field, name, f"one of the registered mechanisms {MECHANISMS.names()}, an installed "
                                   f"entry point of {ENTRY_POINT_GROUP!r}, or module:Class with --allow-import")


@contextlib.contextmanager
def plugins_restored() -> Iterator[None]:
    """Yield, then unregister every mechanism registered meanwhile (plugins and module:Class imports).

    For tests and notebooks that import mechanisms by ``module:Class``: the registry-wide
    checks afterwards (``abm list``, the conformance suite) see only what was there before.
    """
    before = set(MECHANISMS.names())
    origins, imported = dict(ORIGINS), dict(_IMPORTED)
    try:
        yield
    finally:
        for name in set(MECHANISMS.names()) - before:
            del MECHANISMS._entries[name]
        ORIGINS.clear()
        ORIGINS.update(origins)
        _IMPORTED.clear()
        _IMPORTED.update(imported)
