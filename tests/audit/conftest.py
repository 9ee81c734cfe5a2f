"""Fixtures of the auditor's tests (helpers live in audit_helpers.py)."""
import pytest

from audit_helpers import contested_bundles


@pytest.fixture
def bundles_market():
    """Four unit-capacity goods, twelve agents arriving three per tick, correlated rankings."""
    return contested_bundles()
