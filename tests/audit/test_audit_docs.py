"""The worked example of docs/audit.md runs and says what the document says."""
import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_worked_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    exec(compile(code, str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert "sd ['consistent with strategyproof: 0 violations in 60 deviations (deterministic probe set" in out
    assert "strategyproof violated: 2 of 60 deviations" in out and "Replay: reproduced" in out
    assert "reproduced by a fresh run" in out
