"""Instances of the fair-division paper (Section 2): validation errors name the field; Theorem 6.1."""
import math

import numpy as np
import pytest

from mechanisms.errors import ConfigError
from mechanisms.fair_division import Interval, TwoValue, fair_division_market
from mechanisms.fair_division.valuations import (Additive, random_interval, random_two_value, valuation_from_json,
                                                 valuation_to_json)


def test_two_value_from_values_and_types():
    v = TwoValue.from_values([3, 1, 3, 1])
    assert (v.alpha, v.beta, v.agent_type) == (3.0, 1.0, 1)
    assert v.high.tolist() == [True, False, True, False]
    assert v.value([0, 1, 2]) == 7.0
    assert TwoValue.from_values([2, 2]).agent_type == 2
    assert TwoValue.from_values([1, 0, 1]).agent_type == 3
    assert TwoValue.from_values([0, 0]).agent_type == 0
    assert TwoValue.of_type(2, [True, False]).high.tolist() == [True, True]  # alpha = beta: every good "high"


@pytest.mark.parametrize("make, field", [
    (lambda: TwoValue.from_values([3, 1, 2], field="agents[0]"), "agents[0].values[2]"),   # a third value
    (lambda: TwoValue(1.0, 2.0, [True]), "valuation.alpha"),                                # alpha < beta
    (lambda: TwoValue.from_values([3, -1]), "valuation.values[1]"),                  # negative
    (lambda: TwoValue.of_type(4, [True]), "valuation.type"),                                # unknown agent type
    (lambda: TwoValue.of_type(1, [True], alpha=1.0), "valuation.alpha"),                    # type 1 needs alpha > 1
    (lambda: Interval([1.0, 5.0], alpha=4.0), "valuation.values[1]"),                       # outside [1, alpha]
    (lambda: Interval([0.5, 2.0]), "valuation.values[0]"),
    (lambda: Additive([1.0, math.nan]), "values[1]"),
    (lambda: fair_division_market(3, 5, foresight=5), "market.foresight"),                  # window > m - 1
])
def test_bad_input_names_the_field(make, field):
    with pytest.raises(ConfigError) as e:
        make()
    assert e.value.field == field


def test_threshold_reduction_claim_62():
    """Theorem 6.1 / Claim 6.2: v_hat(S)/sqrt(alpha) <= v(S) <= v_hat(S) for every S."""
    rng = np.random.default_rng(3)
    for v in random_interval(5, 30, rng):
        hat = v.threshold()
        assert hat.alpha == v.alpha and hat.beta == pytest.approx(math.sqrt(v.alpha))
        assert np.array_equal(hat.high, v.values > math.sqrt(v.alpha))
        for _ in range(20):
            s = np.flatnonzero(rng.random(30) < 0.5)
            assert hat.value(s) / math.sqrt(v.alpha) - 1e-9 <= v.value(s) <= hat.value(s) + 1e-9


def test_generators_reproducible_and_json_round_trip():
    a = random_two_value(4, 20, np.random.default_rng(5), types=(1, 2, 3))
    b = random_two_value(4, 20, np.random.default_rng(5), types=(1, 2, 3))
    assert a == b and len({hash(x) for x in a}) >= 1
    for v in a + random_interval(2, 7, np.random.default_rng(1)):
        assert valuation_from_json(valuation_to_json(v)) == v
    with pytest.raises(ConfigError):
        valuation_from_json({"kind": "fair_division", "class": "two_value", "m": 3, "alpha": 2, "beta": 1,
                             "high": [7]})
