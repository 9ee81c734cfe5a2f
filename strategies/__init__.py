"""Reporting strategies: how an agent turns its true type into a report.

Use :func:`parse_strategy` with a short spec (``"truthful"``, ``"truncate:k=2"``) or look up
:data:`STRATEGIES`; coalition strategies likewise with :func:`parse_coalition_strategy` and
:data:`COALITION_STRATEGIES`; social graphs with :data:`COALITION_GRAPHS` and
:func:`draw_coalitions`; best-response search with :func:`best_response`.
"""
from . import cost, fair_division, misreport, price_aware  # noqa: F401  (register the unilateral strategies)
from .base import STRATEGIES, PublicInfo, Strategy, Truthful, parse_strategy, register_strategy
from .coalition_graphs import COALITION_GRAPHS, build_graph, draw_coalitions, make_graph
from .coalitions import (COALITION_STRATEGIES, Coalition, CoalitionGain, CoalitionStrategy, coalition_gain,
                         member_gains, parse_coalition_strategy, register_coalition_strategy)
from .search import (SearchResult, best_response, coalition_best_response, cost_search, exhaustive_search,
                     local_search, report_space, report_space_size)

__all__ = [
    "COALITION_GRAPHS", "COALITION_STRATEGIES", "STRATEGIES", "Coalition", "CoalitionGain", "CoalitionStrategy",
    "PublicInfo", "SearchResult", "Strategy", "Truthful", "best_response", "build_graph", "coalition_best_response",
    "coalition_gain", "cost_search", "draw_coalitions", "exhaustive_search", "local_search", "make_graph",
    "member_gains", "parse_coalition_strategy", "parse_strategy", "register_coalition_strategy",
    "register_strategy", "report_space", "report_space_size",
]
