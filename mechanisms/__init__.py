"""Pure market primitives, online mechanisms and property checkers (no Mesa import).

A researcher can run any registered mechanism on a list of reports without the agent-based
model::

    >>> from mechanisms import Goods, Market, BundleRanking, Report, make_mechanism, run_schedule
    >>> goods = Goods(("a", "b"), (1, 1))
    >>> market = Market("bundles", goods, max_bundle_size=2)
    >>> r = BundleRanking.from_ranked_list(goods, [["a"], ["b"]])
    >>> run = run_schedule(lambda: make_mechanism("sd", market), [[Report(0, r)], [Report(1, r)]], seed=1)
    >>> [goods.format_bundle(run.outcomes[i].bundle) for i in (0, 1)]
    ['{a}', '{b}']
"""
from . import baselines  # noqa: F401  (registers sd, rsd)
from . import ocam, procurement, sem  # noqa: F401  (register their mechanisms)
from . import fair_division  # noqa: F401  (registers deferred_priority, naive_matching, priority_matching, round_robin)
from . import mutants  # noqa: F401  (registers the mutants, tagged spec.mutant_of; after their parents)
from .engine import RunRecord, apply_deviations, run_schedule
from .errors import ConfigError, InvariantError
from .market import Goods, Market, bundle_items, bundle_mask, bundle_size, masks_to_matrix
from .mechanism_registry import MECHANISMS, make_mechanism, register_mechanism, registered_mechanisms
from .online_mechanism import OnlineMechanism
from .params import ParamSpec
from .preferences import AgentType, BundleRanking, Cost, WeakOrder
from .reports import BundleOutcome, HireOutcome, ObjectOutcome, Outcome, Report
from .rng import Streams
from .spec import Claim, MechanismSpec
from .step_invariants import checked_step

__all__ = [
    "AgentType", "BundleOutcome", "BundleRanking", "Claim", "ConfigError", "Cost", "Goods",
    "HireOutcome", "InvariantError", "MECHANISMS", "Market", "MechanismSpec", "ObjectOutcome",
    "OnlineMechanism", "Outcome", "ParamSpec", "Report", "RunRecord", "Streams", "WeakOrder",
    "apply_deviations", "bundle_items", "bundle_mask", "bundle_size", "checked_step",
    "make_mechanism", "masks_to_matrix", "register_mechanism", "registered_mechanisms", "run_schedule",
]
