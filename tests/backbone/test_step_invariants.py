"""mechanisms.step_invariants.checked_step: every protocol breach of one step is an InvariantError
naming the mechanism and the tick (whatever the number of arrivals)."""
import types

import numpy as np
import pytest

from mechanisms import Report
from mechanisms.errors import InvariantError
from mechanisms.preferences import Cost
from mechanisms.reports import Outcome
from mechanisms.step_invariants import checked_step


def _mech(step, remaining=None, enforces=True):
    return types.SimpleNamespace(spec=types.SimpleNamespace(name="stub"), step=step,
                                 remaining=lambda: remaining, enforces_capacity=enforces)


def _reports(*agents):
    return [Report(a, Cost(0.1)) for a in agents]


def _honest(tick, given):
    return [Outcome(r.agent, tick) for r in given]


@pytest.mark.parametrize("agents", [(3,), (3, 4, 5)])
def test_an_honest_step_passes_and_returns_its_outcomes(agents):
    outs = checked_step(_mech(_honest, np.array([1.0, 0.0])), 7, _reports(*agents))
    assert [o.agent for o in outs] == list(agents) and all(o.tick == 7 for o in outs)


@pytest.mark.parametrize("agents", [(3,), (3, 4, 5)])
@pytest.mark.parametrize("step, message", [
    (lambda t, g: [Outcome(r.agent, t + 1) for r in g], "stamped tick 8, not 7"),
    (lambda t, g: [Outcome(r.agent + 1, t) for r in g], "do not match the arrivals"),
    (lambda t, g: [Outcome(r.agent, t) for r in g][:-1], "do not match the arrivals"),
    (lambda t, g: [Outcome(r.agent, t) for r in g] + [Outcome(99, t)], "do not match the arrivals"),
    (lambda t, g: None, "not a list of outcomes"),
    (lambda t, g: [object() for _ in g], "not a list of outcomes"),
    (lambda t, g: (g.append(g[0]), _honest(t, g[:-1]))[1], "changed the list of reports"),
    (lambda t, g: 1 / 0, "step raised ZeroDivisionError"),
])
def test_each_breach_is_an_invariant_error_naming_mechanism_and_tick(agents, step, message):
    reps = _reports(*agents)
    before = list(reps)
    with pytest.raises(InvariantError, match=message) as e:
        checked_step(_mech(step), 7, reps)
    assert "stub" in str(e.value)
    assert reps == before  # the caller's list is never edited


def test_capacity_is_enforced_only_for_mechanisms_that_enforce_it():
    with pytest.raises(InvariantError, match="capacity exceeded") as e:
        checked_step(_mech(_honest, np.array([1.0, -0.5])), 2, _reports(1))
    assert e.value.claim == "capacity"
    with pytest.raises(InvariantError, match="capacity exceeded"):
        checked_step(_mech(_honest, [1.0, -0.5]), 2, _reports(1))  # a list is read as numbers too
    assert checked_step(_mech(_honest, np.array([-0.5]), enforces=False), 2, _reports(1))


def test_two_reports_of_one_agent_in_a_tick_are_refused():
    with pytest.raises(InvariantError, match="reports twice"):
        checked_step(_mech(_honest), 0, _reports(1, 1))
