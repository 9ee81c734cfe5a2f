"""Fixtures of the workflow tests (issue 14): plugin mechanisms are unregistered after each test."""
import pathlib

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_plugins():
    """Remove every mechanism a test registered, so the registry-wide tests never see them."""
    from mechanisms import plugins
    from mechanisms.mechanism_registry import MECHANISMS

    before = set(MECHANISMS.names())
    origins, imported = dict(plugins.ORIGINS), dict(plugins._IMPORTED)
    yield
    for name in set(MECHANISMS.names()) - before:
        del MECHANISMS._entries[name]
    plugins.ORIGINS.clear()
    plugins.ORIGINS.update(origins)
    plugins._IMPORTED.clear()
    plugins._IMPORTED.update(imported)
