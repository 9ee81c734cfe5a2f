"""Backends give identical tables; a sweep killed hard resumes to the uninterrupted table.

Serial, a local dask cluster (2 workers x 1 thread), and a real ``dask scheduler`` with two
``dask worker`` subprocesses on 127.0.0.1 (free ports; terminated in the fixture finaliser).
"""
from __future__ import annotations

import os
import pathlib
import signal
import socket
import sqlite3
import subprocess
import sys
import time

import pandas as pd
import pytest
from exp_helpers import BACKEND_SWEEP, write_sweep

import abm.experiments as ex
from abm.experiments.store import DB_NAME

ROOT = pathlib.Path(__file__).resolve().parents[2]
DASK = str(pathlib.Path(sys.executable).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sweep_file(tmp_path_factory):
    return write_sweep(tmp_path_factory.mktemp("backends"), BACKEND_SWEEP)


@pytest.fixture(scope="module")
def reference(sweep_file, dask_processes):
    """The uninterrupted serial run: (runs table, agents table); the dask subprocesses boot meanwhile."""
    exp = sweep_file.parent / "serial"
    res = ex.run_sweep(ex.load_sweep(sweep_file), exp, backend="serial", quiet=True)
    assert (res.done, res.failed) == (12, 0)
    return ex.load(exp), ex.load(exp, "agents")


def _same(exp, reference):
    runs, agents = reference
    pd.testing.assert_frame_equal(ex.load(exp), runs)
    pd.testing.assert_frame_equal(ex.load(exp, "agents"), agents)


def test_local_cluster_matches_serial(sweep_file, reference):
    exp = sweep_file.parent / "local"
    res = ex.run_sweep(ex.load_sweep(sweep_file), exp, backend="local", workers=2, quiet=True)
    assert (res.done, res.failed) == (12, 0)
    _same(exp, reference)
    workers = set(ex.load(exp, timings=True)["worker"])
    assert all(w.split(":")[1] != str(os.getpid()) for w in workers)   # ran in worker processes


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    """Start a real dask scheduler and two single-threaded workers on localhost; yield the address.

    The workers preload the cell module, so they boot while the serial reference runs. The
    finaliser asks the scheduler to shut the cluster down and kills whatever it started that is
still running 3 s later.
    """
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    log = tmp_path_factory.mktemp("dask")
    procs = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              cwd=ROOT, env=env, stdout=open(log / "scheduler.log", "w"), stderr=subprocess.STDOUT)]
    try:
        for k in range(2):
            procs.append(subprocess.Popen([DASK, "worker", addr, "--host", "127.0.0.1", "--nthreads", "1",
                                           "--no-nanny", "--no-dashboard", "--preload", "abm.experiments.cells"],
                                          cwd=ROOT, env=env, stdout=open(log / f"worker{k}.log", "w"),
                                          stderr=subprocess.STDOUT))
        yield addr
    finally:
        try:
            from distributed import Client

            with Client(addr, timeout="3s") as c:
                c.shutdown()
        except Exception:  # already gone, or never came up: the processes are stopped below
            pass
        deadline = time.time() + 3
        while time.time() < deadline and any(p.poll() is None for p in procs):
            time.sleep(0.1)
        for p in procs:  # still up after the shutdown request: stop it (our own children only)
            if p.poll() is None:
                p.kill()
            p.wait()


@pytest.fixture(scope="module")
def scheduler_address(dask_processes):
    """The address of the subprocess scheduler once both workers have joined."""
    from distributed import Client

    deadline = time.time() + 90
    while True:
        try:
            with Client(dask_processes, timeout="5s") as c:
                c.wait_for_workers(2, timeout=90)
            return dask_processes
        except (OSError, TimeoutError):
            if time.time() > deadline:
                raise
            time.sleep(0.5)


def test_external_scheduler_matches_serial(sweep_file, reference, scheduler_address):
    exp = sweep_file.parent / "remote"
    res = ex.run_sweep(ex.load_sweep(sweep_file), exp, backend="scheduler", scheduler=scheduler_address,
                       chunk=2, quiet=True)
    assert (res.done, res.failed) == (12, 0)
    _same(exp, reference)
    workers = set(ex.load(exp, timings=True)["worker"])
    assert len(workers) == 2          # both worker processes took part


def test_cli_attaches_to_the_scheduler(sweep_file, reference, scheduler_address, capsys):
    from abm.cli import main

    exp = sweep_file.parent / "cli-remote"
    assert main(["sweep", str(sweep_file), "--out", str(exp), "--scheduler", scheduler_address, "--quiet"]) == 0
    assert f"on scheduler {scheduler_address}" in capsys.readouterr().out
    _same(exp, reference)


def test_unreachable_scheduler_is_a_clear_error(sweep_file):
    from mechanisms.errors import ConfigError

    with pytest.raises(ConfigError) as e:
        ex.run_sweep(ex.load_sweep(sweep_file), sweep_file.parent / "nowhere", backend="scheduler",
                     scheduler=f"tcp://127.0.0.1:{_free_port()}", quiet=True, connect_timeout=1)
    assert e.value.field == "--scheduler"


def _done(db: pathlib.Path) -> int:
    if not db.exists():
        return 0
    try:
        c = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1)
        try:
            return c.execute("SELECT COUNT(*) FROM runs WHERE status = 'done'").fetchone()[0]
        finally:
            c.close()
    except sqlite3.OperationalError:   # schema not there yet
        return 0


def test_kill_hard_and_resume_gives_the_uninterrupted_table(sweep_file, reference):
    exp = sweep_file.parent / "killed"
    cmd = [sys.executable, "-m", "abm", "sweep", str(sweep_file), "--out", str(exp), "--serial", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 120
        while _done(exp / DB_NAME) < 3:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.time() < deadline
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    partial = ex.load(exp, timings=True)
    n_done = int((partial["status"] == "done").sum())
    assert 3 <= n_done < 12                        # killed in the middle
    res = ex.run_sweep(ex.load_sweep(sweep_file), exp, backend="serial", quiet=True)
    assert res.skipped == n_done and res.ran == 12 - n_done and res.failed == 0
    _same(exp, reference)

