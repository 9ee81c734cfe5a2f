"""The worked example of docs/audit.md runs and says what the document says."""
import pathlib
import re

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "audit.md"


def test_worked_example_runs(capsys):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    exec(compile(code, str(DOC), "exec"), {})
    out = capsys.readouterr().out
    assert "sd ['consistent with strategyproof on 60 deviations: 0 violations" in out
    assert "strategyproof violated: 2 counterexamples in 60" in out and "Replay: reproduced" in out
