"""The protocol's invariants, enforced on every step: :func:`checked_step`."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .errors import ConfigError, InvariantError
from .online_mechanism import OnlineMechanism
from .reports import Outcome, Report

#: Tolerance for capacity checks on fractional (scaled) capacities.
CAPACITY_TOL = 1e-9


def checked_step(mech: OnlineMechanism, tick: int, reports: Sequence[Report]) -> list[Outcome]:
    """Step ``mech`` and enforce the protocol's invariants on the result.

    Returns the outcomes. Raises :class:`InvariantError` when ``step`` crashes (any exception
    other than :class:`ConfigError`, which propagates: a report the mechanism refuses), edits the list of
    reports it is given (it gets a copy, so the caller's schedule is never changed), returns
    other than exactly one outcome per report (same agents, same order, this tick), or, for
    capacity-respecting mechanisms, leaves a capacity negative.
    """
    ids = [r.agent for r in reports]
    if len(set(ids)) != len(ids):
        raise InvariantError(f"tick {tick}: an agent reports twice in one tick: {ids}")
    # a copy: a mechanism that edits the list it is given must not change the schedule the
    # auditor replays, nor what its outcomes are compared with; editing it breaks the protocol
    given = list(reports)
    try:
        outs = mech.step(tick, given)
    except (InvariantError, ConfigError):  # a breach it detected itself; a report it refuses (bad input)
        raise
    except Exception as e:  # a crash of the mechanism: a protocol breach naming where, traceback kept
        raise InvariantError(f"{mech.spec.name} tick {tick}: step raised {type(e).__name__}: {e}") from e
    if len(given) != len(ids) or any(g is not r for g, r in zip(given, reports)):
        raise InvariantError(f"{mech.spec.name} tick {tick}: step changed the list of reports it was given")
    if len(outs) != len(ids) or any(o.agent != a for o, a in zip(outs, ids)):
        raise InvariantError(f"{mech.spec.name} tick {tick}: outcomes {[o.agent for o in outs]} "
                             f"do not match the arrivals {ids}")
    for o in outs:
        if o.tick != tick:
            raise InvariantError(f"{mech.spec.name}: outcome of agent {o.agent} stamped tick {o.tick}, not {tick}")
    try:
        rem = mech.remaining()
    except Exception as e:  # noqa: BLE001  (a crash of the protocol's capacity report)
        raise InvariantError(f"{mech.spec.name} tick {tick}: remaining() raised {type(e).__name__}: {e}") from e
    if rem is not None and mech.enforces_capacity and np.any(rem < -CAPACITY_TOL):
        raise InvariantError(f"{mech.spec.name} tick {tick}: capacity exceeded, remaining {rem.tolist()}", "capacity")
    return outs
