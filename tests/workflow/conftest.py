"""Fixtures of the workflow tests (issue 14): plugin mechanisms are unregistered after each test."""
import pathlib

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_plugins():
    """Remove every mechanism a test registered, so the registry-wide tests never see them."""
    from mechanisms.plugins import plugins_restored

    with plugins_restored():
        yield
