"""The results store: done only after files, resume bookkeeping, foreign/corrupt files refused."""
from __future__ import annotations

import sqlite3

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
