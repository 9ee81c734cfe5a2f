"""The results store: one SQLite database per experiment directory, Parquet tables beside it.

Layout of an experiment directory ``EXP``::

    EXP/experiment.sqlite        one row per (grid point, replication), WAL journal
    EXP/agents/<key>.parquet     the per-agent table of each finished run
    EXP/counterexamples/<key>-<claim>.json   the first counterexample of an audit cell
    EXP/sweep.json               the sweep that last ran here (for the record)
    EXP/.sweep.lock              who is writing (pid, host, start): one writer at a time

Crash safety: a run's files are written first (to a temporary name, fsynced, then renamed) and
the row is marked ``done`` afterwards in ONE transaction, so a ``done`` row always has its
files. A row left ``running`` by a killed process, or ``failed``, is run again on resume.
A file that is not one of our databases (another SQLite file, a corrupt file, a newer schema)
raises :class:`ConfigError` and is never modified.

Schema versions: 2 adds the ``versions`` column (the mechanism's and strategies' versions that
produced each run, :mod:`abm.versions`). A version-1 store is read as it is (its runs' versions
are "not recorded") and is migrated in place only when a sweep opens it for writing: one
transaction adds the empty column and sets the version, so no stored result is changed or lost
and an interrupted migration leaves the version-1 file as it was.

One writer at a time (issue 12): a sweep holds :class:`DirectoryLock` on the directory while it
runs; a second sweep on the same directory refuses with a message naming the running one (pid,
host, start time). The lock is an ``fcntl`` lock on ``.sweep.lock``, which the operating system
releases when its process dies however it dies (kill -9 included), so a stale lock left by a
killed sweep is taken over; where ``fcntl`` locks are unavailable, a recorded pid that no longer
runs on this host counts as stale. Temporary files have unique names (pid and a random token).
"""
from __future__ import annotations

import json
import os
import pathlib
import socket
import sqlite3
import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Self

from mechanisms.errors import ConfigError, require

from .sweep import Task

#: ``PRAGMA application_id`` of experiment databases ("MBEX": mechanism-testbed experiment).
APPLICATION_ID = 0x4D424558
#: ``PRAGMA user_version``: the schema version this code reads and writes.
SCHEMA_VERSION = 2
#: Older schema versions this code reads, and migrates when it writes (see the module docstring).
MIGRATIONS = {1: "ALTER TABLE runs ADD COLUMN versions TEXT"}
DB_NAME = "experiment.sqlite"
STATUSES = ("pending", "running", "done", "failed")

_SCHEMA = """
CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    key TEXT PRIMARY KEY,
    cell INTEGER NOT NULL,
    replication INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    scenario TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    started REAL,
    finished REAL,
    seconds REAL,
    worker TEXT,
    metrics TEXT,
    error TEXT,
    agents_path TEXT,
    counterexample TEXT,
    versions TEXT
);
CREATE INDEX runs_status ON runs(status);
"""

_SQLITE_MAGIC = b"SQLite format 3\x00"


LOCK_NAME = ".sweep.lock"


def _tmp_name(path: pathlib.Path, suffix: str = "tmp") -> pathlib.Path:
    """Return a unique temporary sibling of ``path`` (pid and a random token: writers never collide)."""
    return path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:12]}.{suffix}")


def atomic_write(path: pathlib.Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: uniquely named temporary file, fsync, rename."""
    tmp = _tmp_name(path)
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _pid_alive(pid: int) -> bool:
    """Return True when process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DirectoryLock:
    """The one-writer lock of an experiment directory (module docstring).

    Use as a context manager around everything a sweep writes. ``previous`` is the holder
    recorded in the lock file when it was taken over (a sweep that was killed), else None.
    """

    def __init__(self, directory: str | pathlib.Path):
        self.directory = pathlib.Path(directory)
        self.path = self.directory / LOCK_NAME
        self.fd: int | None = None
        self.previous: dict[str, Any] | None = None

    def holder(self) -> dict[str, Any] | None:
        """Return the holder recorded in the lock file (pid, host, started), or None."""
        try:
            info = json.loads(self.path.read_text() or "null")
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) else None

    def acquire(self) -> DirectoryLock:
        """Take the lock; raise :class:`ConfigError` naming the running sweep when another holds it."""
        import fcntl

        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        held = self.holder()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise ConfigError("experiment", str(self.directory), "a directory no other sweep is writing: "
                              f"{_describe(held)} is running on it (wait for it, or use another --out)") from None
        except OSError:  # no fcntl locks on this filesystem: fall back to the recorded pid
            if held and held.get("host") == socket.gethostname() and isinstance(held.get("pid"), int) \
                    and held.get("pid") != os.getpid() and held.get("state") == "running" and _pid_alive(held["pid"]):
                os.close(fd)
                raise ConfigError("experiment", str(self.directory), "a directory no other sweep is writing: "
                                  f"{_describe(held)} is running on it") from None
        if held and held.get("state") == "running":
            self.previous = held  # its process died without releasing: a stale lock, taken over
        info = {"pid": os.getpid(), "host": socket.gethostname(), "state": "running",
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        """Mark the lock file released and drop the lock."""
        if self.fd is None:
            return
        try:
            info = {**(self.holder() or {}), "state": "released",
                    "released": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            os.ftruncate(self.fd, 0)
            os.pwrite(self.fd, json.dumps(info).encode(), 0)
        finally:
            os.close(self.fd)  # closing drops the fcntl lock
            self.fd = None

    def __enter__(self) -> Self:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(held: dict[str, Any] | None) -> str:
    if not held:
        return "another sweep"
    return f"the sweep of pid {held.get('pid')} on host {held.get('host')} started {held.get('started')}"


class Store:
    """An experiment's results database (open with :meth:`open` or :meth:`create`).

    Only the driver process writes (workers return results to it), so one connection suffices.
    """

    def __init__(self, directory: pathlib.Path, conn: sqlite3.Connection):
        self.directory = directory
        self.conn = conn

    # ---- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, directory: str | pathlib.Path, create: bool = False) -> Store:
        """Return the store of experiment ``directory``.

        With ``create`` a missing database is created (and the directory), and an older-schema
        one is migrated (:data:`MIGRATIONS`; only a writer opens with ``create``); otherwise a
        missing one is a :class:`ConfigError` and an older one is read unchanged. A foreign,
        corrupt or newer-schema file is always a :class:`ConfigError`, and the file is left
        untouched.
        """
        d = pathlib.Path(directory)
        require(not d.is_file(), "experiment", str(d), "an experiment directory (this is a file)")
        db = d / DB_NAME
        if not db.exists():
            require(create, "experiment", str(d), f"an experiment directory holding {DB_NAME} (run a sweep first)")
            # never scatter results into an unrelated folder (e.g. --out pointing at $HOME)
            require(cls.is_new_directory(d), "experiment", str(d),
                    f"a new or empty directory, or an experiment directory holding {DB_NAME}")
            d.mkdir(parents=True, exist_ok=True)
            cls._create(db)
        cls._check_file(db)
        try:
            conn = sqlite3.connect(db, isolation_level=None)
            app, = conn.execute("PRAGMA application_id").fetchone()
            ver, = conn.execute("PRAGMA user_version").fetchone()
        except sqlite3.DatabaseError as e:
            raise ConfigError("experiment", str(db), f"a readable experiment database ({e}); the file was not modified") from None
        if app != APPLICATION_ID:
            conn.close()
            raise ConfigError("experiment", str(db), f"an experiment database (application_id {APPLICATION_ID:#x}, found "
                              f"{app:#x}: another program's SQLite file); the file was not modified")
        if ver != SCHEMA_VERSION and ver not in MIGRATIONS:
            conn.close()
            raise ConfigError("experiment", str(db), f"schema version {SCHEMA_VERSION} or an older one this code migrates "
                              f"({sorted(MIGRATIONS)}) (found {ver}); the file was not modified")
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a killed process never corrupts the database or loses a commit;
            # only a power cut may drop the last commits, whose runs are then simply redone.
            conn.execute("PRAGMA synchronous=NORMAL")
            res = conn.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as e:
            conn.close()
            raise ConfigError("experiment", str(db), f"a readable experiment database ({e}); the file was not modified") from None
        if res != "ok":
            conn.close()
            raise ConfigError("experiment", str(db), f"an intact database (integrity check: {res}); the file was not modified")
        if ver != SCHEMA_VERSION and create:
            cls._migrate(conn, ver, db)
        return cls(d, conn)

    @staticmethod
    def _migrate(conn: sqlite3.Connection, ver: int, db: pathlib.Path) -> None:
        """Bring a store of schema ``ver`` to :data:`SCHEMA_VERSION` in ONE transaction (all or nothing).

        Raises :class:`ConfigError` (the file left as it was: the transaction rolls back) when a
        step fails.
        """
        try:
            with conn:
                conn.execute("BEGIN IMMEDIATE")
                for v in range(ver, SCHEMA_VERSION):
                    conn.execute(MIGRATIONS[v])
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as e:
            conn.close()
            raise ConfigError("experiment", str(db), f"a schema-{ver} store the migration to schema {SCHEMA_VERSION} "
                              f"can update ({e}); the file was not modified") from None

    @staticmethod
    def is_new_directory(d: pathlib.Path) -> bool:
        """Return True when ``d`` is missing, or holds only what a sweep's start may leave."""
        d = pathlib.Path(d)
        if not d.exists():
            return True
        # what an interrupted creation may leave: the sweep record, the lock, the half-built db
        return d.is_dir() and all(p.name in ("sweep.json", LOCK_NAME) or
                                  (p.name.startswith(f".{DB_NAME}.") and p.name.endswith(".new")) for p in d.iterdir())

    @staticmethod
    def _create(db: pathlib.Path) -> None:
        """Create an empty database at ``db`` atomically (built under a unique temporary name, renamed)."""
        for old in db.parent.glob(f".{db.name}.*.new"):
            old.unlink(missing_ok=True)  # left by an interrupted creation (the caller holds the lock)
        tmp = _tmp_name(db, "new")
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.executescript(_SCHEMA)
            conn.execute("INSERT INTO meta VALUES ('created', ?)", (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),))
        finally:
            conn.close()
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, db)

    @staticmethod
    def _check_file(db: pathlib.Path) -> None:
        with open(db, "rb") as f:
            head = f.read(16)
        if head != _SQLITE_MAGIC:
            raise ConfigError("experiment", str(db), "an SQLite experiment database (the file has no SQLite header: "
                              "corrupt or foreign); the file was not modified")

    def close(self) -> None:
        """Close the connection (checkpointing the WAL)."""
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- meta -----------------------------------------------------------------------------
    def set_meta(self, name: str, value: str) -> None:
        """Set the meta entry ``name``."""
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, value))

    def meta(self, name: str, default: str | None = None) -> str | None:
        """Return the meta entry ``name`` (``default`` when absent)."""
        row = self.conn.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return row[0] if row else default

    # ---- rows -----------------------------------------------------------------------------
    def add_tasks(self, tasks: Iterable[Task]) -> int:
        """Insert a ``pending`` row for every task not yet in the store; return how many were new."""
        rows = [(t.key, t.cell, t.replication, t.seed, t.kind, json.dumps(t.params, sort_keys=True),
                 json.dumps({"scenario": t.scenario, "base_dir": t.base_dir, "audit": t.audit}, sort_keys=True))
                for t in tasks]
        before = self.count()
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT OR IGNORE INTO runs (key, cell, replication, seed, kind, params, scenario, "
                                  "status) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending')", rows)
        return self.count() - before

    def count(self, status: str | None = None) -> int:
        """Return the number of rows (with ``status`` when given)."""
        if status is None:
            return self.conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        return self.conn.execute("SELECT COUNT(*) FROM runs WHERE status = ?", (status,)).fetchone()[0]

    def statuses(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        """Return key -> status for every row (or for ``keys``)."""
        rows = self.conn.execute("SELECT key, status FROM runs").fetchall()
        out = dict(rows)
        return out if keys is None else {k: out[k] for k in keys if k in out}

    def mark_running(self, keys: Sequence[str]) -> None:
        """Mark ``keys`` as running (attempts + 1); a kill leaves them running, resume reruns them."""
        now = time.time()
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("UPDATE runs SET status = 'running', attempts = attempts + 1, started = ? "
                                  "WHERE key = ?", [(now, k) for k in keys])

    def record(self, result: dict[str, Any]) -> None:
        """Write one finished run's files, then mark its row in one transaction (see :meth:`record_many`)."""
        self.record_many([result])

    def record_many(self, results: Sequence[dict[str, Any]]) -> None:
        """Write the files of finished runs, then mark their rows done or failed in ONE transaction.

        Each result is what :func:`abm.experiments.cells.run_cell` returns: ``key``, ``status``
        (``"done"``/``"failed"``), ``metrics``, ``error``, ``seconds``, ``worker``, and the bytes
        ``agents_parquet`` and ``counterexample_json`` (optional). Every file is on disk
        (fsynced) before the transaction starts, so a committed ``done`` row has its files.
        """
        updates = []
        for result in results:
            key = result["key"]
            status = result["status"]
            require(status in ("done", "failed"), "result.status", status, '"done" or "failed"')
            agents_path = cx_path = None
            if result.get("agents_parquet") is not None:
                (self.directory / "agents").mkdir(exist_ok=True)
                agents_path = f"agents/{key}.parquet"
                atomic_write(self.directory / agents_path, result["agents_parquet"])
            if result.get("counterexample_json") is not None:
                (self.directory / "counterexamples").mkdir(exist_ok=True)
                claim = "".join(ch if ch.isalnum() or ch in "-_" else "-"
                                for ch in result.get("counterexample_claim", "claim"))
                cx_path = f"counterexamples/{key}-{claim}.json"
                atomic_write(self.directory / cx_path, result["counterexample_json"])
            metrics, versions = result.get("metrics"), result.get("versions")
            updates.append((status, time.time(), result.get("seconds"), result.get("worker"),
                            json.dumps(metrics, sort_keys=True, allow_nan=True) if metrics is not None else None,
                            result.get("error"), agents_path, cx_path,
                            json.dumps(versions, sort_keys=True) if versions is not None else None, key))
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "UPDATE runs SET status = ?, finished = ?, seconds = ?, worker = ?, metrics = ?, error = ?, "
                "agents_path = ?, counterexample = ?, versions = ? WHERE key = ?", updates)

    def rows(self, keys: Sequence[str] | None = None) -> list[dict[str, Any]]:
        """Return every row as a dict (JSON columns decoded), ordered by (cell, replication, key).

        ``versions`` is None for a run that recorded none (failed, or stored by schema version 1).
        """
        cur = self.conn.execute("SELECT * FROM runs ORDER BY cell, replication, key")
        names = [d[0] for d in cur.description]
        out = []
        wanted = None if keys is None else set(keys)
        for row in cur.fetchall():
            d = dict(zip(names, row))
            if wanted is not None and d["key"] not in wanted:
                continue
            d.setdefault("versions", None)  # a version-1 store read as it is
            for c in ("params", "metrics", "versions"):
                d[c] = json.loads(d[c]) if d[c] is not None else None
            d["scenario"] = json.loads(d["scenario"])
            out.append(d)
        return out
