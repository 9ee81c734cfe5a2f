"""Sweeps are safe side by side (issue 12, items 2 and 5): one writer per directory, loopback only."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from abm.experiments.execute import _client, run_sweep
from abm.experiments.store import LOCK_NAME, DirectoryLock, atomic_write
from abm.experiments.sweep import parse_sweep
from mechanisms import ConfigError

BASE = {"name": "tiny", "seed": 5, "market": {"kind": "bundles", "m": 3, "capacity": 2, "max_bundle_size": 2},
        "population": {"source": "scores", "n": 6, "n_types": 3, "top": 4}, "mechanism": {"name": "sd"}}


def _sweep(tmp_path):
    return parse_sweep({"base": BASE, "replications": 2, "axes": {"population.n": [5, 6]}}, tmp_path)


HOLD = textwrap.dedent("""
    import sys, time
    from abm.experiments.store import DirectoryLock
    lock = DirectoryLock(sys.argv[1]).acquire()
    print("locked", flush=True)
    time.sleep(60)
""")


def _holder(exp):
    p = subprocess.Popen([sys.executable, "-c", HOLD, str(exp)], stdout=subprocess.PIPE, text=True,
                         cwd=os.getcwd(), env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert p.stdout.readline().strip() == "locked"
    return p


def test_one_writer_a_refused_second_and_a_stale_lock_taken_over(tmp_path):
    exp = tmp_path / "exp"
    p = _holder(exp)  # a process holding the directory's lock, as a running sweep does
    try:
        with pytest.raises(ConfigError) as e:
            run_sweep(_sweep(tmp_path), exp, "serial", quiet=True)
        assert f"pid {p.pid}" in e.value.expected and "host" in e.value.expected and "started" in e.value.expected
    finally:
        os.kill(p.pid, signal.SIGKILL)  # killed as kill -9 kills a sweep: the lock file stays behind
        p.wait()
    assert (exp / LOCK_NAME).exists() and DirectoryLock(exp).holder()["pid"] == p.pid
    with DirectoryLock(exp) as lock:  # stale: taken over, the dead holder recorded
        assert lock.previous["pid"] == p.pid
    res = run_sweep(_sweep(tmp_path), exp, "serial", quiet=True)
    assert res.done == 4 and res.failed == 0
    assert DirectoryLock(exp).holder()["state"] == "released"


def test_temp_names_are_unique_and_cleaned(tmp_path):
    target = tmp_path / "f.bin"
    atomic_write(target, b"a")
    atomic_write(target, b"b")
    assert target.read_bytes() == b"b" and [q.name for q in tmp_path.iterdir()] == ["f.bin"]
    from abm.experiments.store import _tmp_name

    assert _tmp_name(target) != _tmp_name(target)


def test_unrelated_folder_gets_no_lock_file(tmp_path):
    d = tmp_path / "home"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError):
        run_sweep(_sweep(tmp_path), d, "serial", quiet=True)
    assert sorted(q.name for q in d.iterdir()) == ["notes.txt"]


def test_local_cluster_listens_on_loopback_only():
    psutil = pytest.importorskip("psutil")
    client, cluster = _client("local", None, 1)
    try:
        client.submit(sum, [1, 2]).result(timeout=60)
        time.sleep(0.5)
        me = psutil.Process()
        procs = [me] + me.children(recursive=True)
        listening = []
        for pr in procs:
            try:
                conns = pr.net_connections(kind="inet") if hasattr(pr, "net_connections") else pr.connections("inet")
            except psutil.NoSuchProcess:
                continue
            listening += [c.laddr for c in conns if c.status == psutil.CONN_LISTEN]
        assert listening, "the cluster should listen somewhere"
        assert all(a.ip in ("127.0.0.1", "::1") for a in listening), listening
        assert cluster.scheduler.address.startswith("tcp://127.0.0.1:")
        assert str(cluster.dashboard_link).startswith("http://127.0.0.1:")
    finally:
        client.close()
        cluster.close()
