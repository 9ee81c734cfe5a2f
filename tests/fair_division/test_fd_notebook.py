"""The notebook is valid nbformat 4, carries no outputs, and its code runs (a few seconds)."""
import json
import pathlib

NB = pathlib.Path(__file__).resolve().parents[2] / "notebooks" / "fair_division.ipynb"


def test_notebook_runs_without_committed_outputs():
    nb = json.loads(NB.read_text())
    assert nb["nbformat"] == 4
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c.get("outputs") for c in code)
    g: dict = {}
    for c in code:
        exec(compile("".join(c["source"]), str(NB), "exec"), g)
    assert len(g["rows"]) == 6  # the last table: Theorems 3.1 and 3.2
