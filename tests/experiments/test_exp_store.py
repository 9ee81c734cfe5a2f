"""The results store: done only after files, resume bookkeeping, foreign/corrupt files refused."""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from exp_helpers import write_sweep

from abm.experiments import Store, load_sweep
from abm.experiments.store import APPLICATION_ID, DB_NAME, SCHEMA_VERSION
from mechanisms.errors import ConfigError


@pytest.fixture
def tasks(tmp_path):
    return load_sweep(write_sweep(tmp_path, 'replications = 2\n[axes]\n"population.n" = [6, 7]\n')).tasks()


def test_create_add_record_and_reopen(tmp_path, tasks):
    exp = tmp_path / "exp"
    with Store.open(exp, create=True) as st:
        assert st.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert st.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert st.add_tasks(tasks) == 4
        assert st.add_tasks(tasks) == 0          # idempotent: resume registers nothing twice
        st.mark_running([tasks[0].key])
        st.record({"key": tasks[0].key, "status": "done", "metrics": {"x": 1.5}, "seconds": 0.1,
                   "agents_parquet": b"PAR1fake", "counterexample_json": b"{}", "counterexample_claim": "gsp1"})
        st.record({"key": tasks[1].key, "status": "failed", "error": "Traceback: boom", "metrics": None})
    with Store.open(exp) as st:
        rows = {r["key"]: r for r in st.rows()}
        assert st.count("done") == 1 and st.count("failed") == 1 and st.count("pending") == 2
    r0 = rows[tasks[0].key]
    assert r0["metrics"] == {"x": 1.5} and r0["attempts"] == 1
    assert (exp / r0["agents_path"]).read_bytes() == b"PAR1fake"
    assert r0["counterexample"] == f"counterexamples/{tasks[0].key}-gsp1.json"
    assert rows[tasks[1].key]["error"] == "Traceback: boom"
    assert [(r["cell"], r["replication"]) for r in rows.values()] == [(0, 0), (0, 1), (1, 0), (1, 1)]


def test_record_is_not_done_when_the_file_write_fails(tmp_path, tasks, monkeypatch):
    # the files are written before the row is marked done: a failure in between leaves it not done
    import abm.experiments.store as S

    exp = tmp_path / "exp"
    with Store.open(exp, create=True) as st:
        st.add_tasks(tasks)

        def boom(path, data):
            raise OSError("disk full")

        monkeypatch.setattr(S, "atomic_write", boom)
        with pytest.raises(OSError):
            st.record({"key": tasks[0].key, "status": "done", "metrics": {}, "agents_parquet": b"x"})
        assert st.statuses()[tasks[0].key] == "pending"


def _unchanged(path, fn):
    before = path.read_bytes()
    with pytest.raises(ConfigError) as e:
        fn()
    assert path.read_bytes() == before
    return e.value


def test_foreign_sqlite_file_is_refused_and_untouched(tmp_path):
    exp = tmp_path / "exp"
    exp.mkdir()
    db = exp / DB_NAME
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE photos (id INTEGER)")
    c.commit()
    c.close()
    err = _unchanged(db, lambda: Store.open(exp, create=True))
    assert err.field == "experiment" and "another program" in err.expected


def test_corrupt_file_is_refused_and_untouched(tmp_path):
    exp = tmp_path / "exp"
    exp.mkdir()
    db = exp / DB_NAME
    db.write_bytes(b"this is not a database at all" * 100)
    err = _unchanged(db, lambda: Store.open(exp, create=True))
    assert "corrupt or foreign" in err.expected


def test_truncated_database_is_refused(tmp_path, tasks):
    exp = tmp_path / "exp"
    with Store.open(exp, create=True) as st:
        st.add_tasks(tasks)
    db = exp / DB_NAME
    data = db.read_bytes()
    db.write_bytes(data[:100] + b"\x00" * (len(data) - 100))   # header kept, pages destroyed
    with pytest.raises(ConfigError):
        Store.open(exp)


def test_newer_schema_version_is_refused(tmp_path):
    exp = tmp_path / "exp"
    Store.open(exp, create=True).close()
    c = sqlite3.connect(exp / DB_NAME)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    err = _unchanged(exp / DB_NAME, lambda: Store.open(exp))
    assert "schema version" in err.expected


def test_missing_experiment_and_file_path(tmp_path):
    with pytest.raises(ConfigError) as e:
        Store.open(tmp_path / "none")
    assert "run a sweep first" in e.value.expected
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ConfigError) as e:
        Store.open(f, create=True)
    assert "this is a file" in e.value.expected


def test_a_non_empty_folder_without_a_database_is_not_taken_over(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError) as e:
        Store.open(tmp_path, create=True)
    assert "new or empty directory" in e.value.expected
    assert not (tmp_path / DB_NAME).exists()


# ---- versions per run (schema 2) and the migration of schema-1 stores ---------------------------

def _sweep_into(tmp_path, exp, replications=2):
    import abm.experiments as ex

    sw = load_sweep(write_sweep(tmp_path, f'replications = {replications}\n[axes]\n"mechanism.name" = ["sd", "rsd"]\n'))
    return ex.run_sweep(sw, exp, backend="serial", quiet=True)


def _as_schema_1(db):
    """Turn a store into what schema version 1 wrote: no versions column, user_version 1."""
    c = sqlite3.connect(db)
    c.execute("ALTER TABLE runs DROP COLUMN versions")
    c.execute("PRAGMA user_version = 1")
    c.commit()
    c.close()


def test_each_run_records_its_mechanism_and_strategy_versions(tmp_path):
    import abm.experiments as ex
    from abm.experiments.report import build_report

    exp = tmp_path / "exp"
    _sweep_into(tmp_path, exp)
    with Store.open(exp) as st:
        rows = st.rows()
    by_mech = {r["metrics"]["mechanism"]: r["versions"] for r in rows}
    assert by_mech["sd"] == {"mechanism": {"sd": 1}, "strategies": {"truncate": 1, "truthful": 1}}
    assert by_mech["rsd"]["mechanism"] == {"rsd": 1}
    runs = ex.load(exp)
    assert set(runs["versions"]) == {"sd v1; truncate v1, truthful v1", "rsd v1; truncate v1, truthful v1"}
    text = build_report(exp).read_text()
    assert "## Versions" in text and "| sd v1; truncate v1, truthful v1 | 2 |" in text
    assert "different versions" not in text


def test_a_version_bump_shows_in_the_store_and_the_report_warns(tmp_path, monkeypatch):
    from abm.experiments.report import build_report
    from strategies import STRATEGIES

    exp = tmp_path / "exp"
    _sweep_into(tmp_path, exp, replications=1)
    monkeypatch.setattr(STRATEGIES.get("truncate"), "version", 2)
    res = _sweep_into(tmp_path, exp, replications=2)      # the new replication runs under the bump
    assert (res.skipped, res.ran) == (2, 2)
    with Store.open(exp) as st:
        seen = {(r["metrics"]["mechanism"], r["replication"]): r["versions"]["strategies"]["truncate"] for r in st.rows()}
    assert seen == {("sd", 0): 1, ("rsd", 0): 1, ("sd", 1): 2, ("rsd", 1): 2}
    text = build_report(exp).read_text()
    assert "warning: runs of rsd, sd were produced by different versions" in text


def test_a_schema_1_store_is_read_unchanged_and_migrated_by_the_next_sweep(tmp_path):
    import abm.experiments as ex

    exp = tmp_path / "exp"
    _sweep_into(tmp_path, exp, replications=1)
    before = ex.load(exp)
    _as_schema_1(exp / DB_NAME)
    old = ex.load(exp)                                     # read as it is: nothing lost, versions not recorded
    assert old["versions"].isna().all()
    pd.testing.assert_frame_equal(old.drop(columns="versions"), before.drop(columns="versions"))
    c = sqlite3.connect(exp / DB_NAME)
    assert c.execute("PRAGMA user_version").fetchone()[0] == 1   # a reader never migrates
    c.close()
    res = _sweep_into(tmp_path, exp, replications=2)       # a writer migrates, then resumes
    assert (res.skipped, res.ran, res.failed) == (2, 2, 0)
    with Store.open(exp) as st:
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        rows = st.rows()
    assert [r["versions"] is None for r in rows] == [r["replication"] == 0 for r in rows]   # old rows kept as stored
    after = ex.load(exp)
    kept = after[after["replication"] == 0].drop(columns="versions").reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, before.drop(columns="versions").reset_index(drop=True))


def test_a_failed_migration_leaves_the_schema_1_file_as_it_was(tmp_path):
    exp = tmp_path / "exp"
    _sweep_into(tmp_path, exp, replications=1)
    c = sqlite3.connect(exp / DB_NAME)
    c.execute("PRAGMA user_version = 1")                  # claims schema 1 but has the column: the step fails
    c.commit()
    c.close()
    with pytest.raises(ConfigError, match="migration to schema 2.*not modified"):
        Store.open(exp, create=True)
    c = sqlite3.connect(exp / DB_NAME)
    assert c.execute("PRAGMA user_version").fetchone()[0] == 1
    assert c.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0] == 2
    c.close()
