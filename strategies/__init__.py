"""Reporting strategies: how an agent turns its true type into a report.

Use :func:`parse_strategy` with a short spec (``"truthful"``, ``"truncate:k=2"``) or look up
:data:`STRATEGIES`.
"""
from .base import STRATEGIES, PublicInfo, Strategy, Truthful, parse_strategy, register_strategy

__all__ = ["STRATEGIES", "PublicInfo", "Strategy", "Truthful", "parse_strategy", "register_strategy"]
