"""Make ``import strategies`` find the package, not this test directory.

pytest (prepend import mode) puts ``tests/`` on ``sys.path`` because of ``tests/conftest.py``;
the repository is importable only through the editable-install finder, which Python consults
after the path finder, so ``tests/strategies`` (a directory without ``__init__.py``) would
shadow the ``strategies`` package as a namespace package. Putting the repository root first
on ``sys.path`` lets the path finder see the real package. (Project-level fix: ``pythonpath =
["."]`` in ``[tool.pytest.ini_options]``.)
"""
import pathlib
import sys

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
_mod = sys.modules.get("strategies")
if _mod is not None and getattr(_mod, "__file__", None) is None:  # a namespace package: drop it
    for name in [n for n in sys.modules if n == "strategies" or n.startswith("strategies.")]:
        del sys.modules[name]
