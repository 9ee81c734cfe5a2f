"""The protocol's invariants, enforced on every step: :func:`checked_step`."""
from __future__ import annotations

from collections.abc import Sequence
from operator import is_

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
    given = list(reports)
    n = len(given)
    if n > 1 and len({r.agent for r in given}) != n:
        raise InvariantError(f"tick {tick}: an agent reports twice in one tick: {[r.agent for r in given]}")
    # a copy: a mechanism that edits the list it is given must not change the schedule the
    # auditor replays, nor what its outcomes are compared with; editing it breaks the protocol
    try:
        outs = mech.step(tick, given)
    except (InvariantError, ConfigError):  # a breach it detected itself; a report it refuses (bad input)
        raise
    except Exception as e:  # a crash of the mechanism: a protocol breach naming where, traceback kept
        raise InvariantError(f"{mech.spec.name} tick {tick}: step raised {type(e).__name__}: {e}") from e
    if len(given) != n or not all(map(is_, given, reports)):
        raise InvariantError(f"{mech.spec.name} tick {tick}: step changed the list of reports it was given")
    try:  # one pass over the outcomes (this is on every step of every replay); messages built on failure
        ok = len(outs) == n
        if ok:
            for o, r in zip(outs, given):
                if o.agent != r.agent:
                    ok = False
                    break
                if o.tick != tick:
                    raise InvariantError(f"{mech.spec.name}: outcome of agent {o.agent} stamped tick {o.tick}, "
                                         f"not {tick}")
    except (AttributeError, TypeError):
        raise InvariantError(f"{mech.spec.name} tick {tick}: step returned {type(outs).__name__}, "
                             f"not a list of outcomes, one per arrival") from None
    if not ok:
        raise InvariantError(f"{mech.spec.name} tick {tick}: outcomes {[getattr(o, 'agent', o) for o in outs]} "
                             f"do not match the arrivals {[r.agent for r in given]}")
    if mech.enforces_capacity:  # (a mechanism that may exceed capacity reports remaining() for display only)
        try:
            rem = mech.remaining()
        except Exception as e:  # noqa: BLE001  (a crash of the protocol's capacity report)
            raise InvariantError(f"{mech.spec.name} tick {tick}: remaining() raised {type(e).__name__}: {e}") from e
        if rem is not None and \
                (rem if type(rem) is np.ndarray else np.asarray(rem, dtype=np.float64)).min(initial=0.0) < -CAPACITY_TOL:
            raise InvariantError(f"{mech.spec.name} tick {tick}: capacity exceeded, remaining "
                                 f"{np.asarray(rem).tolist()}", "capacity")
    return outs
