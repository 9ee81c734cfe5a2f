"""The strategy table of the README (issue 6, item 5), generated from the registries.

``python -m strategies.catalog`` prints the Markdown table of every registered unilateral and
coalition strategy: name, parameters with defaults, the market kinds (and so the mechanisms)
it applies to, and the claim it probes. ``docs/strategies.md`` holds its output; a test checks
that every registered name appears there.
"""
from __future__ import annotations

from . import cost, fair_division, misreport, price_aware  # noqa: F401  (register everything)
from .base import STRATEGIES
from .coalitions import COALITION_STRATEGIES


def mechanisms_of_kind(kind: str) -> str:
    """Return the registered mechanisms (names) of a market kind, comma-separated."""
    import mechanisms  # noqa: F401  (registers every mechanism family)
    from mechanisms.mechanism_registry import registered_mechanisms

    return ", ".join(n for n, cls in registered_mechanisms() if kind in cls.spec.market_kinds)


def _params(defaults: dict) -> str:
    return ", ".join(f"`{k}={v!r}`" for k, v in defaults.items()) or "-"


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().splitlines()[0].strip() if doc else ""


def strategy_table() -> str:
    """Return the Markdown table of every registered strategy (unilateral, then coalition)."""
    rows = ["| strategy | kind | parameters (defaults) | applies to (mechanisms) | what it does | claim probed |",
            "|---|---|---|---|---|---|"]
    for family, registry in (("unilateral", STRATEGIES), ("coalition", COALITION_STRATEGIES)):
        for name, cls in registry.items():
            if name.endswith("_test") or name.endswith("_mutant"):
                continue
            mechs = "; ".join(f"{k}: {mechanisms_of_kind(k)}" for k in cls.kinds)
            rows.append(f"| `{name}` | {family} | {_params(cls.defaults())} | {mechs} | {_first_line(cls.__doc__)} "
                        f"| {cls.probes} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(strategy_table())
