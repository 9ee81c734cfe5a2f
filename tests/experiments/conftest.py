"""Experiment tests: make the repository root win over ``tests/`` on ``sys.path``.

Under a bare ``pytest`` (not ``python -m pytest``) the rootdir-inserted ``tests/`` directory
comes first, and ``tests/strategies`` (no ``__init__.py``) would shadow the real ``strategies``
package as a namespace package, leaving only ``truthful`` registered. Putting the root first
fixes it when nothing imported ``strategies`` yet (``python -m pytest`` needs no fix).
"""
import pathlib
import sys

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
if "strategies" not in sys.modules:
    if ROOT in sys.path:
        sys.path.remove(ROOT)
    sys.path.insert(0, ROOT)
