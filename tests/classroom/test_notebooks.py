"""Every notebook in notebooks/ runs top to bottom (SMALL=1 parameters) with nbclient (issue 15, item 1).

Lessons (``NN_*.ipynb``) also have a goal, an exercise and a solution cell hidden by default,
and no notebook is committed with outputs.
"""
from __future__ import annotations

import json
import os
import pathlib

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
LESSONS = [p for p in NOTEBOOKS if p.name[:2].isdigit()]


def test_the_five_lessons_exist():
    assert [p.name for p in LESSONS] == ["01_quickstart.ipynb", "02_beat_ocam.ipynb", "03_sem_vs_serial_dictatorship.ipynb",
                                         "04_procurement_with_predictions.ipynb", "05_coalitions_on_networks.ipynb"]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_shape(path):
    nb = json.loads(path.read_text())
    text = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert "**Goal" in text and "## Exercise" in text and "Solution" in text
    hidden = [c for c in nb["cells"] if c["cell_type"] == "code" and c["metadata"].get("jupyter", {}).get("source_hidden")]
    assert hidden, "the solution cell is collapsed by default"
    assert any("parameters" in c["metadata"].get("tags", []) for c in nb["cells"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_has_no_committed_outputs(path):
    nb = json.loads(path.read_text())
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb["cells"] if c["cell_type"] == "code")


@pytest.fixture(scope="module")
def kernel():
    """One Python kernel for every notebook (started once: imports are the slow part), SMALL=1."""
    from jupyter_client import KernelManager

    km = KernelManager(kernel_name="python3")
    env = {**os.environ, "SMALL": "1", "MPLBACKEND": "Agg", "PYTHONPATH": str(NOTEBOOKS[0].parents[1])}
    km.start_kernel(cwd=str(NOTEBOOKS[0].parent), env=env)
    try:
        yield km
    finally:
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, kernel):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    # a fresh namespace and working directory for each notebook, as in a new kernel
    nb.cells.insert(0, nbformat.v4.new_code_cell(f"%reset -f\nimport os\nos.chdir({str(path.parent)!r})"))
    NotebookClient(nb, km=kernel, timeout=120, kernel_name="python3").execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
