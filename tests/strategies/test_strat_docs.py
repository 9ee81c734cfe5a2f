"""The docs: the worked example runs and the table lists every registered strategy."""
from __future__ import annotations

import pathlib
import re

from strategies import COALITION_STRATEGIES, STRATEGIES
from strategies.catalog import strategy_table

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "strategies.md"


def test_worked_example_runs(capsys):
    text = DOC.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    exec(compile(blocks[0], str(DOC), "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "{b,d} > {b,c}"
    assert out[-1].startswith("local False 0.0")  # SD: no profitable deviation


def test_table_lists_every_registered_strategy():
    text = DOC.read_text()
    table = strategy_table()
    for name in [*STRATEGIES.names(), *COALITION_STRATEGIES.names()]:
        if name.endswith("_test"):
            continue
        assert f"| `{name}` |" in table and f"| `{name}` |" in text, name
