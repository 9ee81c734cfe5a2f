"""The README's worked example runs and prints what the README says."""
import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _python_block() -> str:
    text = (ROOT / "README.md").read_text()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def test_readme_python_example_runs_and_matches_its_comments():
    """Every ``print(...)  # expected`` line of the README's worked example prints what it says."""
    import matplotlib

    matplotlib.use("Agg")
    block = _python_block()
    expected = [m.strip() for m in re.findall(r"^print\(.*\)\s+# (.*)$", block, re.M)]
    assert len(expected) >= 3
    buf = io.StringIO()
    scope: dict = {}
    with contextlib.redirect_stdout(buf):
        exec(compile(block, "README.md", "exec"), scope)
    assert [line.strip() for line in buf.getvalue().strip().splitlines()] == expected
    assert type(scope["table"]).__name__ == "DataFrame" and type(scope["figure"]).__name__ == "Figure"


def test_readme_example_with_ocam_says_the_market_is_too_small():
    """Replacing "sd" by "ocam" must not silently give everyone {} (issue 14): a warning names n
    and OCAM's sample size."""
    import warnings

    block = _python_block().replace('"name": "sd"', '"name": "ocam"')
    block = block.split("broken =")[0]  # the first audit only, without replays (the warning is about the run)
    block = block.replace('"deviations": ["truncations", "swaps"]', '"deviations": ["strategies"]')
    buf = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(buf):
        warnings.simplefilter("always")
        exec(compile(block, "README.md", "exec"), {})
    msgs = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    assert any("n = 3 agents" in m and "sample of 1" in m for m in msgs), msgs
    assert "{0: '{}', 1: '{}', 2: '{}'}" in buf.getvalue()  # what the warning explains


def test_readme_opens_with_the_two_commands():
    text = (ROOT / "README.md").read_text()
    first_block = re.search(r"```\n(.*?)```", text, re.S).group(1)
    assert first_block.splitlines()[0].startswith("make demo")
    assert first_block.splitlines()[1].startswith("make test")


def test_readme_search_and_replication_commands_run():
    """The README's ``audit --replications`` and ``search`` lines run as written (issue 14)."""
    import shlex

    from abm.cli import main

    text = (ROOT / "README.md").read_text()
    lines = [ln.split("#")[0].strip() for ln in text.splitlines()
             if ln.startswith("python -m abm search ") or (ln.startswith("python -m abm audit ") and "--replications" in ln)]
    assert len(lines) == 2
    for ln in lines:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(shlex.split(ln)[3:] + ["--quiet"]) == 0, ln
        assert "consistent with" in out.getvalue() or "none found in" in out.getvalue(), out.getvalue()
