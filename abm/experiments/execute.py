"""Execution of a sweep: serial, a local dask cluster, or an existing dask scheduler.

:func:`run_sweep` registers every task in the store, skips the finished ones, runs the rest on
the chosen backend and records each result as it arrives (the driver is the only writer of
the store; workers only compute, see :mod:`abm.experiments.cells`). Results never depend on
which backend ran them or in which order they finished: each run is a pure function of its
scenario and seed (purpose-keyed streams, DESIGN.md), and tables are read back sorted by
(cell, replication).
"""
from __future__ import annotations

import json
import logging
import os
import pathlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from abm.progress import Progress
from mechanisms.errors import ConfigError, require

from .cells import run_cells
from .store import DB_NAME, DirectoryLock, Store, atomic_write
from .sweep import Sweep, Task

BACKENDS = ("serial", "local", "scheduler")
#: The only interface the local cluster listens on.
LOOPBACK = "127.0.0.1"


@dataclass
class SweepOutcome:
    """What one invocation of :func:`run_sweep` did: counts over the sweep's tasks."""

    directory: pathlib.Path
    total: int
    skipped: int
    ran: int
    done: int
    failed: int
    backend: str

    def text(self) -> str:
        """Return a one-line summary."""
        return (f"{self.total} runs: {self.skipped} already done, {self.ran} run now on {self.backend} "
                f"({self.done} done, {self.failed} failed); results in {self.directory}/")


def default_workers() -> int:
    """Return the number of cores this process may use (the local cluster's default size)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def run_sweep(sweep: Sweep, directory: str | pathlib.Path, backend: str = "local", scheduler: str | None = None,
              workers: int | None = None, chunk: int | None = None, quiet: bool = False,
              connect_timeout: float = 10.0, client: Any = None) -> SweepOutcome:
    """Run ``sweep`` into the experiment ``directory``; return the counts.

    One writer at a time: the directory is locked for the whole run
    (:class:`~abm.experiments.store.DirectoryLock`); a second sweep on it raises
    :class:`ConfigError` naming the running one (pid, host, start time), and a lock left by a
    killed sweep is taken over.

    Parameters
    ----------
    sweep : Sweep
        A validated sweep (:func:`abm.experiments.sweep.load_sweep`).
    directory : path
        The experiment directory (created with its database when new; resumed otherwise).
    backend : {"local", "serial", "scheduler"}, default "local"
        ``local``: a dask ``LocalCluster`` of ``workers`` single-threaded processes (default:
        the cores available), listening on 127.0.0.1 only (scheduler, workers, dashboard);
        ``scheduler``: the running dask scheduler at ``scheduler`` (e.g.
        ``"tcp://127.0.0.1:8786"``; securing a remote one, e.g. with dask's TLS options, is the
        user's, see docs/experiments.md); ``serial``: in this process.
    chunk : int, optional
        Runs per dask task. Larger chunks amortise the scheduler's per-task overhead (a few ms)
        on small cells; default :func:`auto_chunk` (1 for small sweeps, up to 20 for large ones).
    quiet : bool
        No progress bar.
    connect_timeout : float, default 10
        Seconds to wait for the scheduler at ``scheduler``.
    client : distributed.Client, optional
        An existing dask client to run on (overrides ``backend``; e.g. from a notebook). It is
        left open.
    """
    require(backend in BACKENDS, "--backend", backend, f"one of {list(BACKENDS)}")
    require(backend != "scheduler" or bool(scheduler), "--scheduler", scheduler, "a scheduler address")
    require(chunk is None or (isinstance(chunk, int) and chunk >= 1), "--chunk", chunk, "a positive integer")
    require(workers is None or (isinstance(workers, int) and workers >= 1), "--workers", workers, "a positive integer")
    tasks = sweep.tasks()
    d = pathlib.Path(directory)
    if not (d / DB_NAME).exists():  # refuse an unrelated folder before leaving a lock file in it
        require(not d.is_file() and Store.is_new_directory(d), "experiment", str(d),
                f"a new or empty directory, or an experiment directory holding {DB_NAME}")
    with DirectoryLock(d) as lock, Store.open(d, create=True) as store:
        if lock.previous is not None and not quiet:
            logging.getLogger(__name__).warning(
                "took over the lock of experiment %s from pid %s on %s (started %s), which is no longer running",
                d, lock.previous.get("pid"), lock.previous.get("host"), lock.previous.get("started"))
        store.add_tasks(tasks)
        store.set_meta("sweep", sweep.to_json())
        store.set_meta("name", sweep.name)
        store.set_meta("kind", sweep.kind)
        store.set_meta("axes", json.dumps(list(sweep.axes)))
        atomic_write(store.directory / "sweep.json", json.dumps(json.loads(sweep.to_json()), indent=1).encode())
        status = store.statuses()
        todo = [t for t in tasks if status.get(t.key) != "done"]
        progress = Progress(len(tasks), len(tasks) - len(todo), desc=sweep.name, quiet=quiet)
        done = failed = 0
        try:
            for batch in _results(todo, chunk, backend, scheduler, workers, store, connect_timeout, client):
                store.record_many(batch)
                for result in batch:
                    progress.update(result["status"])
                    done += result["status"] == "done"
                    failed += result["status"] == "failed"
        finally:
            progress.close()
    where = "a dask client" if client is not None else (backend if backend != "scheduler" else f"scheduler {scheduler}")
    return SweepOutcome(pathlib.Path(directory), len(tasks), len(tasks) - len(todo), len(todo), done, failed, where)


def auto_chunk(runs: int, workers: int) -> int:
    """Return the default runs per dask task: ``runs / (10 * workers)``, clipped to [1, 20].

    Ten tasks per worker keep the load balanced at the end of a sweep; at most 20 runs per
    task keep progress and crash losses fine-grained.
    """
    return max(1, min(20, runs // (10 * max(1, workers))))


def _results(todo: Sequence[Task], chunk: int | None, backend: str, scheduler: str | None, workers: int | None,
             store: Store, connect_timeout: float = 10.0, client: Any = None) -> Iterator[list[dict[str, Any]]]:
    """Yield batches of results of the tasks ``todo``, in completion order."""
    if not todo:
        return
    if client is not None:
        yield from _dask_results(client, todo, chunk, store)
        return
    if backend == "serial":
        for t in todo:
            store.mark_running([t.key])
            yield run_cells([t])
        return
    client, cluster = _client(backend, scheduler, workers, connect_timeout)
    try:
        yield from _dask_results(client, todo, chunk, store)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _client(backend: str, scheduler: str | None, workers: int | None, connect_timeout: float = 10.0):
    """Return (client, cluster or None) for the local or the remote backend."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError("--backend", backend, "dask.distributed installed (pip install 'dask[distributed]'), "
                          "or --serial") from None
    if backend == "scheduler":
        try:
            return Client(scheduler, timeout=f"{connect_timeout}s"), None
        except (OSError, TimeoutError) as e:
            raise ConfigError("--scheduler", scheduler, f"the address of a running dask scheduler ({e})") from None
    n = workers or default_workers()
    # Everything listens on the loopback interface only (issue 12): the scheduler and the workers
    # (``host``), the scheduler's dashboard (on a free loopback port: a fixed one may be taken),
    # and no worker dashboards. Remote clusters are the user's explicit --scheduler choice.
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host=LOOPBACK,
                           dashboard_address=f"{LOOPBACK}:0", worker_dashboard_address=None,
                           silence_logs=logging.ERROR)
    return Client(cluster), cluster


def _dask_results(client, todo: Sequence[Task], chunk: int | None, store: Store) -> Iterator[list[dict[str, Any]]]:
    """Submit the runs in chunks; yield the results of the tasks finished so far, batch by batch.

    Batches amortise the store's transaction over whatever finished while the previous batch
    was being written. A task that could not run (worker lost, ...) fails its runs.
    """
    from distributed import as_completed

    if chunk is None:
        chunk = auto_chunk(len(todo), sum(client.nthreads().values()))
    chunks = [list(todo[i:i + chunk]) for i in range(0, len(todo), chunk)]
    store.mark_running([t.key for c in chunks for t in c])
    futures = client.map(run_cells, list(chunks), pure=False)
    owner = {f.key: c for f, c in zip(futures, chunks)}
    for batch in as_completed(futures, with_results=True, raise_errors=False).batches():
        out: list[dict[str, Any]] = []
        for fut, res in batch:
            if fut.status == "error":  # res is (type, exception, traceback)
                exc = res[1]
                out += [{"key": t.key, "status": "failed", "error": f"{type(exc).__name__}: {exc}", "metrics": None,
                         "seconds": None, "worker": None} for t in owner[fut.key]]
            else:
                out += res
            fut.release()
        yield out
