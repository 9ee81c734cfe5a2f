"""Real preference data (issue 14, item 4): PrefLib soi/toc/toi and named CSV rankings, through
scenario files, with errors naming the file, the line and the field."""
import pathlib

import pytest

import abm
from mechanisms.datasets.csv_rankings import read_csv_rankings
from mechanisms.datasets.ordinal import lexicographic_ranking, read_ordinal, strict_order, weak_order
from mechanisms.errors import ConfigError
from mechanisms.market import bundle_mask
from mechanisms.preferences import WeakOrder

ROOT = pathlib.Path(__file__).resolve().parents[2]

HEADER = """# FILE NAME: tiny.{t}
# DATA TYPE: {t}
# NUMBER ALTERNATIVES: 3
# NUMBER VOTERS: {n}
# ALTERNATIVE NAME 1: Math
# ALTERNATIVE NAME 2: Art
# ALTERNATIVE NAME 3: Physics
"""

FILES = {
    "soi": ("2: 1,3\n1: 2\n", 3),
    "toc": ("1: {1,2},3\n2: 3,1,2\n", 3),
    "toi": ("1: {1,3}\n1: 2,1\n", 2),
}


def _file(tmp_path, t, body=None, n=None):
    b, k = FILES[t]
    p = tmp_path / f"tiny.{t}"
    p.write_text(HEADER.format(t=t, n=k if n is None else n) + (b if body is None else body))
    return p


def test_preflib_soi_toc_toi_are_parsed_with_ties_and_unranked_alternatives(tmp_path):
    soi, toc, toi = (read_ordinal(_file(tmp_path, t)) for t in ("soi", "toc", "toi"))
    assert soi.names == ("Math", "Art", "Physics") and soi.n_voters == 3
    assert soi.orders == ((2, ((0,), (2,))), (1, ((1,),)))
    assert toc.orders[0] == (1, ((0, 1), (2,))) and toc.has_ties and not soi.has_ties
    assert toi.expanded() == [((0, 2),), ((1,), (0,))]
    # object markets: ranked classes, then the null option, then the unranked (unacceptable)
    assert weak_order(toi.orders[0][1], 3) == WeakOrder(3, ((0, 2), (3,), (1,)))
    assert weak_order(toc.orders[0][1], 3) == WeakOrder(3, ((0, 1), (2,), (3,)))
    # bundle markets: strict, ties broken only on request
    with pytest.raises(ConfigError, match="population.ties.*ties"):
        strict_order(toc.orders[0][1])
    assert strict_order(toc.orders[0][1], "index") == [0, 1, 2]
    r = lexicographic_ranking([0, 2], 3, 2, 1)  # ranked Math > Physics, bundles of up to 2
    assert r.bundles == (bundle_mask([0, 2]), bundle_mask([0]), bundle_mask([2]))


@pytest.mark.parametrize("t,body,n,match", [
    ("soi", "1: 1,{2,3}\n", 1, r"tiny.soi:8.*strict order"),
    ("toc", "1: {1,2}\n", 1, r"tiny.toc:8.*complete order"),
    ("toi", "1: 1,4\n", 1, r"tiny.toi:8.*alternative numbers in 1..3"),
    ("toi", "1: 1,1\n", 1, r"tiny.toi:8.*at most once"),
    ("toi", "x: 1\n", 1, r"tiny.toi:8"),
    ("toi", "1: 1,{2\n", 1, r"closed tie"),
    ("toi", "1: 1\n", 5, r"NUMBER VOTERS"),
])
def test_preflib_bad_lines_name_the_file_and_line(tmp_path, t, body, n, match):
    with pytest.raises(ConfigError, match=match):
        read_ordinal(_file(tmp_path, t, body, n))


def _scenario(tmp_path, kind, source, file, extra_pop="", market=""):
    p = tmp_path / "s.toml"
    p.write_text(f"""seed = 4
[market]
kind = "{kind}"
{market}
[population]
source = "{source}"
file = "{file}"
{extra_pop}
[mechanism]
name = "sd"
[audit]
deviations = ["swaps"]
""")
    return p


def test_preflib_files_through_scenarios(tmp_path):
    _file(tmp_path, "toi")
    objects = abm.audit(_scenario(tmp_path, "objects", "preflib", "tiny.toi", "capacity_factor = 1.0"))
    assert set(objects.outcomes.values()) <= {"Math", "Art", "Physics", "o"}
    assert list(objects.agents()["true_type"]) == ["{Math,Physics} > o > Art", "Art > Math > o > Physics"]
    _file(tmp_path, "toc")
    sc = _scenario(tmp_path, "bundles", "preflib", "tiny.toc", "k = 2\nmin_size = 1")
    with pytest.raises(ConfigError, match="population.ties"):
        abm.audit(sc)
    res = abm.audit(sc, population__ties="random", population__n=7)
    assert len(res.outcomes) == 7 and any("resampled 7" in n for n in res.runs[0].model.population_notes)
    again = abm.audit(sc, population__ties="random", population__n=7)
    assert res.agents()["true_type"].tolist() == again.agents()["true_type"].tolist()  # one seed, one draw
    with pytest.raises(ConfigError, match="population.ties"):
        abm.audit(sc, population__ties="coin")


CSV = """name,first,second,third
Ada,Math,Physics,Art
Ben,Art,Math
Chloe,Physics=Math,Art
"""


def test_csv_rankings_with_names_and_ties(tmp_path):
    p = tmp_path / "students.csv"
    p.write_text(CSV)
    d = read_csv_rankings(p)
    assert d.names == ("Math", "Physics", "Art") and d.voters == ("Ada", "Ben", "Chloe")
    assert d.orders[2] == (1, ((0, 1), (2,))) and d.data_type == "toi"
    d2 = read_csv_rankings(p, goods=["Art", "Math", "Physics"])
    assert d2.names == ("Art", "Math", "Physics") and d2.orders[1] == (1, ((0,), (1,)))


@pytest.mark.parametrize("text,match", [
    ("name,first\nAda,Mth\n", r"students.csv:2 column 'first'.*'Mth'.*one of the goods"),
    ("name,a,b,c\nAda,Math,,Art\n", r"students.csv:2 column 'c'.*no choice after an empty cell"),
    ("name,a,b\nAda,Math,Math\n", r"students.csv:2.*at most once"),
    ("name,a\nAda,Math\nAda,Art\n", r"students.csv:3 column 'name'.*'Ada'.*not used before \(line 2\)"),
    ("name,a\n,Math\n", r"students.csv:2 column 'name'.*non-empty name"),
    ("name,a\n", r"no rows"),
    ("", r"empty file"),
    ("name,a\nAda,Math,Art\n", r"students.csv:2.*at most 2 cells"),
])
def test_csv_bad_input_names_line_and_column(tmp_path, text, match):
    p = tmp_path / "students.csv"
    p.write_text(text)
    with pytest.raises(ConfigError, match=match):
        read_csv_rankings(p, goods=["Math", "Art"])


def test_csv_through_scenarios_with_field_errors(tmp_path):
    (tmp_path / "students.csv").write_text(CSV)
    market = 'goods = ["Math", "Physics", "Art"]\ncapacity = 1'
    res = abm.audit(_scenario(tmp_path, "objects", "csv", "students.csv", market=market))
    assert set(res.outcomes) == {"Ada", "Ben", "Chloe"} and set(res.outcomes.values()) <= {"Math", "Physics", "Art", "o"}
    bundles = _scenario(tmp_path, "bundles", "csv", "students.csv", "k = 2\nmin_size = 1\nties = \"index\"", market)
    res = abm.audit(bundles)
    assert res.agents()["name"].tolist() == ["Ada", "Ben", "Chloe"]
    with pytest.raises(ConfigError, match="population.file"):
        abm.audit(bundles, population__file="nobody.csv")
    with pytest.raises(ConfigError, match=r"population.ties"):
        abm.audit(bundles, population__ties="error")
    with pytest.raises(ConfigError, match=r"population.n"):
        abm.audit(bundles, population__n=10)  # named rows are not resampled
    (tmp_path / "bad.csv").write_text("name,a\nAda,Chemistry\n")
    with pytest.raises(ConfigError, match=r"bad.csv:2 column 'a' = 'Chemistry'"):
        abm.audit(bundles, population__file="bad.csv")


def test_the_classroom_example_runs_with_names():
    res = abm.audit(ROOT / "examples" / "classroom" / "scenario.toml")
    assert "Ada" in res.outcomes and res.verdicts()[0].startswith("consistent with strategyproof")
