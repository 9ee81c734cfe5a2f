import pathlib

import pytest

from mechanisms import ConfigError
from mechanisms.datasets import course_market, read_soc

DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data" / "preflib"


def test_agh_files_load():
    d3 = read_soc(DATA / "agh-2003.soc")
    d4 = read_soc(DATA / "agh-2004.soc")
    assert (d3.n_voters, len(d3.names)) == (146, 9)
    assert (d4.n_voters, len(d4.names)) == (153, 7)
    goods, rankings = course_market(d4, 3)
    assert goods.capacities == (60,) * 7  # ceil(0.9 * 153 * 3 / 7)
    assert len(rankings) == 153
    assert len(set(rankings)) == 70  # 70 unique orders in the file
    first = d4.expanded()[0]
    top = goods.bundle_names(rankings[0].bundles[0])
    assert set(top) == {goods.names[j] for j in first[:3]}


def test_malformed_soc_is_a_clear_error(tmp_path):
    p = tmp_path / "bad.soc"
    p.write_text("# NUMBER ALTERNATIVES: 3\n2: 1,2\n")
    with pytest.raises(ConfigError, match=r"bad.soc: order 0"):
        read_soc(p)
    p.write_text("# NUMBER ALTERNATIVES: 3\nnonsense\n")
    with pytest.raises(ConfigError, match=r"bad.soc:2"):
        read_soc(p)
