"""The fully online market: supply distributions H^t, S^{t,k}, files, scenario errors (Section 5.1)."""
import numpy as np
import pytest
from online_helpers import HOMES, homes_market

from abm.scenario import parse_scenario
from mechanisms.errors import ConfigError
from mechanisms.rng import Streams
from mechanisms.sem import OnlineSEMMarket, Shock, SupplySchedule, read_supply_file


def test_schedule_means_and_cumulative_expected_supply():
    det = SupplySchedule("deterministic", 3, 2, units=[[2, 0], [1, 1], [0, 3]])
    assert det.mean(2).tolist() == [[4, 0], [2, 2], [0, 6]]
    poi = SupplySchedule("poisson", 3, 2, rates=[0.5, 1.5])
    assert poi.mean(4).tolist() == [[2, 6]] * 3
    bino = SupplySchedule("binomial", 3, 2, trials=[[2, 2]] * 3, prob=[0.25, 1.0])
    assert bino.mean(1).tolist() == [[0.5, 2.0]] * 3
    mk = OnlineSEMMarket.stationary(["a", "b"], det, HOMES, 3, replica=2)
    # S^{t,k} = sum_{n=t}^{k} E[S^n]
    assert mk.cumulative_expected(1, 3).tolist() == [6, 8]
    assert mk.cumulative_expected(2, 3).tolist() == [2, 8]
    assert mk.cumulative_expected(2, 2).tolist() == [2, 2]
    assert det.deterministic and not poi.deterministic


def test_sampling_matches_the_distribution_and_the_seed():
    bino = SupplySchedule("binomial", 4, 2, trials=[1, 1], prob=[0.5, 0.2])
    draws = np.array([bino.sample(np.random.default_rng(s), replica=10) for s in range(400)])
    assert draws.shape == (400, 4, 2)
    assert draws.max() <= 10 and draws.min() >= 0
    assert draws.mean(axis=(0, 1)) == pytest.approx([5.0, 2.0], abs=0.25)
    poi = SupplySchedule("poisson", 2, 1, rates=[[0.0], [3.0]])
    d = np.array([poi.sample(np.random.default_rng(s), replica=2) for s in range(400)])
    assert d[:, 0].max() == 0 and d[:, 1].mean() == pytest.approx(6.0, abs=0.4)
    a = bino.sample(Streams(5).get("supply"), 3)
    b = bino.sample(Streams(5).get("supply"), 3)
    assert (a == b).all()


def test_empirical_schedule_from_csv_and_toml(tmp_path):
    csv = tmp_path / "homes.csv"
    csv.write_text("sample,period,object,units\n0,1,a,2\n0,2,b,1\n1,1,a,0\n1,3,b,4\n")
    toml = tmp_path / "homes.toml"
    toml.write_text('[[supply]]\nsample = 0\nperiod = 1\nobject = "a"\nunits = 2\n'
                    '[[supply]]\nsample = 0\nperiod = 2\nobject = "b"\nunits = 1\n'
                    '[[supply]]\nsample = 1\nperiod = 3\nobject = "b"\nunits = 4\n')
    for f in (csv, toml):
        s = read_supply_file(f, ["a", "b"], 3)
        assert s.shape == (2, 3, 2)
        assert s[0].tolist() == [[2, 0], [0, 1], [0, 0]] and s[1].tolist() == [[0, 0], [0, 0], [0, 4]]
        sch = SupplySchedule("empirical", 3, 2, samples=s)
        assert sch.mean(1).tolist() == [[1, 0], [0, 0.5], [0, 2]]
        r = sch.sample(np.random.default_rng(0), replica=3)
        assert r.shape == (3, 2) and r[0, 0] in (0, 2, 4, 6)
    bad = tmp_path / "bad.csv"
    bad.write_text("period,object,units\n1,c,2\n")
    with pytest.raises(ConfigError, match=r"supply.file\[row 1\].object"):
        read_supply_file(bad, ["a", "b"], 3)
    bad.write_text("period,object,units\n5,a,2\n")
    with pytest.raises(ConfigError, match=r"row 1\]\.period"):
        read_supply_file(bad, ["a", "b"], 3)
    bad.write_text("period,object,units\n1,a,-1\n")
    with pytest.raises(ConfigError, match="units"):
        read_supply_file(bad, ["a", "b"], 3)
    with pytest.raises(ConfigError, match="supply.file"):
        read_supply_file(tmp_path / "missing.csv", ["a"], 1)


def test_schedule_and_market_errors_name_the_field():
    with pytest.raises(ConfigError, match="supply.kind"):
        SupplySchedule("uniform", 2, 1, units=[1])
    with pytest.raises(ConfigError, match=r"supply.units\[1\]\[0\]"):
        SupplySchedule("deterministic", 2, 1, units=[[1], [0.5]])
    with pytest.raises(ConfigError, match=r"supply.rates\[0\]\[1\]"):
        SupplySchedule("poisson", 1, 2, rates=[[1, -1]])
    with pytest.raises(ConfigError, match=r"supply.prob"):
        SupplySchedule("binomial", 1, 1, trials=[1])
    with pytest.raises(ConfigError, match="supply.units"):
        SupplySchedule("deterministic", 3, 1, units=[[1], [1]])
    sup = SupplySchedule("poisson", 4, 2, rates=[1, 1])
    with pytest.raises(ConfigError, match="supply.horizon"):
        OnlineSEMMarket.stationary(["a", "b"], sup, HOMES, 3)
    with pytest.raises(ConfigError, match="shock"):
        OnlineSEMMarket.stationary(["a", "b"], sup, HOMES, 4, shock=Shock(halfwidth=1.0))
    with pytest.raises(ConfigError, match="departure"):
        OnlineSEMMarket.stationary(["a", "b"], sup, HOMES, 4, departure="wait")
    mk = homes_market(2)
    with pytest.raises(ConfigError, match="supply_arrivals"):
        mk.market(np.zeros((3, 2)))


BASE = {
    "market": {"kind": "objects", "goods": ["a", "b"], "supply": {"kind": "binomial", "trials": [1, 1],
                                                                  "prob": [0.5, 0.5]}},
    "population": {"source": "sem_online", "periods": 4, "replica": 3,
                   "types": [{"preference": "a > o > b"}, {"preference": "{a,b} > o"}]},
    "arrivals": {"process": "periods"},
    "mechanism": {"name": "sem_online"},
}


def _with(path, value):
    import copy

    raw = copy.deepcopy(BASE)
    d = raw
    keys = path.split(".")
    for k in keys[:-1]:
        d = d[k]
    if value is None:
        del d[keys[-1]]
    else:
        d[keys[-1]] = value
    return raw


@pytest.mark.parametrize("path,value,field", [
    ("market.supply.kind", "gamma", "market.supply.kind"),
    ("market.supply.prob", [0.5, 1.5], r"market.supply.prob\[0\]\[1\]"),
    ("market.supply.trials", None, "market.supply.trials"),
    ("market.supply.file", "x.csv", "market.supply.file"),
    ("market.shock", {"halfwidth": 2.0}, "shock"),
    ("population.periods", 0, "population.periods"),
    ("mechanism.params", {"selection": "best"}, "mechanism.params.selection"),
    ("mechanism.params", {"surplus": "burn"}, "mechanism.params.surplus"),
    ("population.types", [{"preference": "a > o > b", "periods": [5]}], r"population.types\[0\].periods"),
    ("population.types", [{"preference": "a > o > b", "periods": [1]}], "period 2"),
])
def test_scenario_errors_name_the_field(path, value, field):
    with pytest.raises(ConfigError, match=field):
        parse_scenario(_with(path, value))


def test_scenario_empirical_file_relative_to_scenario(tmp_path):
    (tmp_path / "homes.csv").write_text("period,object,units\n1,a,1\n2,b,1\n3,a,1\n")
    raw = _with("market.supply", {"kind": "empirical", "file": "homes.csv"})
    sc = parse_scenario(raw, tmp_path)
    model = __import__("abm.scenario", fromlist=["build_run"]).build_run(sc, 4)
    assert model.market.extra["supply_arrivals"] == [[3, 0], [0, 3], [3, 0], [0, 0]]
    assert list(model.market.goods.capacities) == [6, 3]


def test_period_specific_types_in_scenarios():
    raw = _with("population.types", [{"preference": "a > o > b"}, {"preference": "b > o", "periods": [2, 3]}])
    model = __import__("abm.scenario", fromlist=["build_run"]).build_run(parse_scenario(raw), 1)
    mk = model.market.extra["sem_online"]
    assert [len(mk.period_types(t)) for t in (1, 2, 3, 4)] == [1, 2, 2, 1]
    assert sum(f for _, f in mk.period_types(2)) == pytest.approx(1.0)
