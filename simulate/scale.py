"""Scale-out: run darktmm's scans and sharded event productions on Dask distributed.

The one place that knows Dask. Nothing here imports dask or distributed until a distributed
executor is asked for: the default is in-process and serial, and needs neither.

What to use
-----------
* :func:`make_executor` (or :func:`executor_from_args` after :func:`add_scale_arguments`) gives
  an executor: :class:`SerialExecutor` by default; ``workers=N`` starts a
  ``distributed.LocalCluster`` of N single-threaded worker processes; ``scheduler=ADDRESS`` or
  ``scheduler_file=FILE`` attaches to a running cluster (refused, in one line, when its workers
  run another darktmm version); ``jobqueue="slurm" | "htcondor" | "pbs"`` starts workers as batch
  jobs through dask-jobqueue (``jobs`` jobs of ``cores`` single-threaded workers each).
* :func:`map_points` runs a scan: ``fn(point, shared)`` for every point, in tasks of one or a
  batch of points (chosen so that a task runs >= ~10 s when there are many points), ``shared``
  sent to every worker once, results in the order of the points and identical to the serial run,
  completed points checkpointed in a JSON-lines file that ``resume=True`` skips.
* :func:`borexino_limit` is the Borexino limit scan through :func:`map_points` (same points and
  info as ``detectors.borexino.limit``).
* :func:`cluster_model` is the throughput model of a large cluster fed with measured figures
  (``benchmarks/bench_scale.py``).

Traps handled here (each has a test in ``tests/test_scale.py``)
---------------------------------------------------------------
* Dask starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536``, which keeps glibc's mmap
  threshold at 128 KiB: uproot's per-basket buffers then page-fault in again every chunk
  (a scan 1.4x, event generation 2.5x slower than in-process). A worker plugin applies
  :func:`darktmm.simulate.alloc.from_environment` in every worker, also those started later.
* A LocalCluster's nannies write that variable, ``*_NUM_THREADS=1``, ``PYTHONHASHSEED`` and
  ``__DASK_PARENT_PID`` into the *client's* ``os.environ``. The executor restores the client's
  environment after the cluster starts, after every completed task and when it closes.
* Sums of squares are numpy pairwise sums, never BLAS ``dot`` (whose last bits depend on the
  number of BLAS threads, one in a worker): ``simulate.sampler``. The limit scans do use BLAS
  (folding matrices, the likelihood fits), so :func:`map_points` runs every point, serial or
  on a worker, with BLAS on one thread (:func:`single_blas_thread`), and so does the client's
  shared computation in :func:`borexino_limit`: a 2-thread and a 1-thread OpenBLAS gave limits
  differing in the 11th digit. Workers on CPUs of another kind (other BLAS kernels) may still
  differ in the last bits.

Running on a cluster
--------------------
SLURM (10 jobs of 32 single-threaded workers)::

    darktmm limit borexino --masses 1e-3:100:10000MeV --jobqueue slurm --jobs 10 --cores 32 \\
        --memory 64GB --walltime 04:00:00 --checkpoint scan.jsonl --json > limit.json

HTCondor (``--disk`` is required by HTCondor)::

    darktmm generate --card run.toml --out ev.root --shards 1000 --jobqueue htcondor \\
        --jobs 50 --cores 8 --memory 16GB --disk 20GB --retries 3

An existing scheduler: ``--scheduler tcp://host:8786`` or ``--scheduler-file sched.json``.

>>> ex = make_executor()
>>> ex.kind, ex.nworkers
('serial', 1)
>>> map_points(_square_point, [1.0, 2.0, 3.0], {"offset": 1.0}, executor=ex)
[2.0, 5.0, 10.0]
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from darktmm.spectra.validate import ParameterError, check_range

#: What to install for the distributed executors.
DASK_EXTRA = 'pip install "darktmm[dask]"'
JOBQUEUE_EXTRA = 'pip install "darktmm[jobqueue]"'
#: Batch systems of dask-jobqueue offered by ``--jobqueue``.
JOBQUEUES = ("slurm", "htcondor", "pbs")
#: A task of a scan should run at least this long when there are many points [s].
TARGET_TASK_S = 10.0
#: Environment variables passed on to batch-job workers when set in the client.
PASS_ENV = ("DARKTMM_DATA", "DARKTMM_MALLOC")

#: Modules every worker imports when it starts (named: scale imports none of them itself).
WORKER_IMPORTS = (
    "uproot.writing",
    "darktmm.detectors.borexino",
    "darktmm.simulate.eventio",
    "darktmm.simulate.shards",
    "darktmm.simulate.commands.generate",
)

_WORKER_STATE: dict = {}  # set in each worker by the darktmm worker plugin


def _square_point(x, shared):
    """Doctest helper: x**2 + shared['offset']."""
    return x * x + shared["offset"]


def _version() -> str:
    from darktmm import __version__

    return __version__


def _worker_version() -> str:
    """Run on a worker: the darktmm version it imports."""
    return _version()


@contextlib.contextmanager
def single_blas_thread():
    """Run the block with BLAS (numpy's and scipy's OpenBLAS/MKL) on one thread, so that matrix
    products give the same bits in the client and in any worker (threadpoolctl).

    >>> with single_blas_thread():
    ...     pass
    """
    import scipy.linalg  # noqa: F401 - load scipy's BLAS too before limiting
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise ParameterError(f"--workers/--scheduler need Dask distributed: {DASK_EXTRA}") from None
    return distributed


# --- executors -----------------------------------------------------------------------------------
class SerialExecutor:
    """In-process, in order: the default (no Dask import).

    >>> list(SerialExecutor().imap(_square_point, [2.0, 3.0], {"offset": 0.0}))
    [(0, 4.0), (1, 9.0)]
    """

    kind = "serial"
    nworkers = 1
    retries = 0

    def scatter(self, obj):
        """Shared inputs: nothing to send."""
        return obj

    def imap(self, fn, items, *args):
        """Yield ``(i, fn(items[i], *args))`` in order."""
        for i, item in enumerate(items):
            yield i, fn(item, *args)

    def worker_info(self, fn) -> dict:
        """``{"local": fn()}``."""
        return {"local": fn()}

    def close(self):
        """Nothing to close."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DaskExecutor:
    """A ``distributed.Client`` (and the cluster it started, if any), with darktmm's worker setup.

    ``retries``: how often a task that raised, or whose worker died, is run again (the seeds of a
    task never change on a retry). A given ``cluster`` is closed with the executor. Made by
    :func:`local_cluster`, :func:`attach` and :func:`jobqueue_executor` (Dask distributed:
    https://distributed.dask.org, "Futures").

    On a running cluster (not a doctest: it starts worker processes)::

        with make_executor(workers=2) as ex:
            ex.kind, ex.nworkers
        # -> ('local', 2)
    """

    def __init__(self, client, cluster=None, *, kind="attach", retries=2, env=None, target=None):
        self.client, self.cluster, self.kind = client, cluster, kind
        self.retries = int(retries)
        self._env = dict(os.environ) if env is None else env
        self._target = target
        self.restore_environment()
        client.register_plugin(_worker_plugin(_version()), name="darktmm")

    @property
    def nworkers(self) -> int:
        """Workers connected now (at least the number asked for, and 1)."""
        n = len(self.client.scheduler_info().get("workers", {}))
        return max(n, self._target or 0, 1)

    def restore_environment(self):
        """Put the client's environment back as it was before the cluster started."""
        env = self._env
        if dict(os.environ) != env:
            for k in [k for k in os.environ if k not in env]:
                del os.environ[k]
            os.environ.update(env)

    def scatter(self, obj):
        """Send ``obj`` to every worker once; tasks take the returned future (a dict or a list
        is sent whole: ``scatter`` would make one future per item)."""
        return self.client.scatter([obj], broadcast=True, hash=False)[0]

    def imap(self, fn, items, *args, retries=None):
        """Submit ``fn(item, *args)`` for every item; yield ``(i, result)`` as tasks complete.

        Closing the generator (an interrupt, an error) cancels the tasks not yet done.
        """
        from distributed import as_completed

        r = self.retries if retries is None else retries
        items = list(items)
        futs = self.map(fn, items, *[[a] * len(items) for a in args], retries=r)
        index = {f.key: i for i, f in enumerate(futs)}
        try:
            for fut, res in as_completed(futs, with_results=True):
                self.restore_environment()
                yield index[fut.key], res
        finally:
            self.client.cancel([f for f in futs if not f.done()], force=True)
            self.restore_environment()

    def map(self, fn, *iterables, retries=None):
        """``client.map`` (one message for many tasks), never hashing the arguments."""
        r = self.retries if retries is None else retries
        return self.client.map(fn, *iterables, retries=r, pure=False)

    def submit(self, fn, *args, retries=None):
        """``client.submit`` with the executor's retries, never hashing the arguments."""
        r = self.retries if retries is None else retries
        return self.client.submit(fn, *args, retries=r, pure=False)

    def worker_info(self, fn) -> dict:
        """``{worker address: fn()}`` run on every worker."""
        return self.client.run(fn)

    def close(self):
        """Close the client and the cluster it started; restore the client's environment."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
        self.restore_environment()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _worker_plugin(version: str):
    """The darktmm WorkerPlugin: heap tuning and the version check in every worker."""
    distributed = _import_distributed()

    class DarktmmWorkerPlugin(distributed.WorkerPlugin):
        """Apply darktmm's heap settings (simulate.alloc) in the worker; refuse another version."""

        def __init__(self, version):
            self.version = version

        def setup(self, worker):
            from darktmm.simulate import alloc, scale  # the module's state, not a pickled copy

            mine = scale._version()
            if mine != self.version:
                raise RuntimeError(f"worker runs darktmm {mine}, the client {self.version}")
            scale._WORKER_STATE["malloc"] = "tuned" if alloc.from_environment() else "system"
            scale._WORKER_STATE["version"] = mine
            import scipy.linalg  # noqa: F401 - load scipy's BLAS too before limiting
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=1, user_api="blas")  # for the rest of the worker's life
            scale._WORKER_STATE["blas_threads"] = 1
            # import darktmm's work modules now, while the cluster starts, not in the first task
            # (measured: ~2.7 s of the first shard of each worker on this machine)
            import importlib

            for name in WORKER_IMPORTS:
                importlib.import_module(name)

    return DarktmmWorkerPlugin(version)


def worker_state() -> dict:
    """Run on a worker: what the darktmm plugin set up there (``{"malloc": "tuned", ...}``).

    >>> worker_state()   # in a process that is no Dask worker: nothing set up
    {}
    """
    return dict(_WORKER_STATE)


def check_versions(client, *, expected: str | None = None, where: str = "--scheduler"):
    """Refuse (one line, ParameterError) when a worker runs another darktmm than the client.

    On a running cluster (not a doctest: it starts worker processes)::

        check_versions(client, expected="0.0.0")
        # -> Traceback (most recent call last):
        # -> ParameterError: --scheduler: 2 of 2 workers run darktmm 0.1.0 (e.g. tcp://...), this client darktmm 0.0.0; ...
    """
    expected = _version() if expected is None else expected
    got = client.run(_worker_version)
    bad = {w: v for w, v in got.items() if v != expected}
    if bad:
        w, v = next(iter(bad.items()))
        raise ParameterError(
            f"{where}: {len(bad)} of {len(got)} workers run darktmm {v} (e.g. {w}), this client "
            f"darktmm {expected}; install the same darktmm version on both sides"
        )
    return got


def local_cluster(workers: int, *, retries: int = 2, host: str = "127.0.0.1") -> DaskExecutor:
    """A LocalCluster of ``workers`` single-threaded worker processes (no dashboard), with
    ``retries`` re-runs of a task whose worker died (``distributed.scheduler.allowed-failures``).

    On a running cluster (not a doctest: it starts worker processes)::

        with local_cluster(2) as ex:
        map_points(_square_point, [1.0, 2.0], {"offset": 0.0}, executor=ex)
        # -> [1.0, 4.0]
    """
    _import_distributed()
    import dask
    from distributed import Client, LocalCluster

    env = dict(os.environ)
    import logging

    with dask.config.set({"distributed.scheduler.allowed-failures": int(retries)}):
        cluster = LocalCluster(
            n_workers=int(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host=host,
            silence_logs=logging.ERROR,
        )
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    return DaskExecutor(client, cluster, kind="local", retries=retries, env=env, target=int(workers))


def attach(
    scheduler: str | None = None, scheduler_file: str | None = None, *, retries: int = 2, timeout: float = 30
):
    """Attach to a running scheduler by address or scheduler file; check the workers' version.

    On a running cluster (not a doctest: it starts worker processes)::

        ex = attach("tcp://10.0.0.5:8786")
    """
    _import_distributed()
    from distributed import Client

    where = f"--scheduler {scheduler}" if scheduler else f"--scheduler-file {scheduler_file}"
    if scheduler_file and not Path(scheduler_file).is_file():
        raise ParameterError(f"--scheduler-file {scheduler_file}: no such file")
    env = dict(os.environ)
    try:
        client = Client(address=scheduler, scheduler_file=scheduler_file, timeout=timeout)
    except OSError as exc:
        raise ParameterError(f"{where}: cannot connect ({exc})") from None
    try:
        check_versions(client, where=where)
    except BaseException:
        client.close()
        raise
    return DaskExecutor(client, None, kind="attach", retries=retries, env=env)


def job_cluster(
    system: str,
    *,
    cores: int = 1,
    memory: str = "4GB",
    walltime: str | None = None,
    disk: str | None = None,
    queue: str | None = None,
    account: str | None = None,
    scheduler_options: dict | None = None,
    **kw,
):
    """A dask-jobqueue cluster (not yet scaled): one job = ``cores`` single-threaded workers.

    ``cluster.job_script()`` shows the batch script; ``cluster.scale(jobs=N)`` submits.
    DARKTMM_DATA and DARKTMM_MALLOC of the client are exported in the job script. HTCondor
    needs ``disk``; a ``walltime`` becomes its ``+MaxRuntime`` (dask-jobqueue docs,
    https://jobqueue.dask.org).

    On a running cluster (not a doctest: it starts worker processes)::

        c = job_cluster("slurm", cores=4, memory="8GB", walltime="02:00:00")
        print(c.job_script())
        # -> #!/usr/bin/env bash
        # -> #SBATCH -J dask-worker
        # -> ...
    """
    if system not in JOBQUEUES:
        raise ParameterError(f"--jobqueue = {system!r}; choose one of {', '.join(JOBQUEUES)}")
    try:
        import dask_jobqueue
    except ImportError:
        raise ParameterError(f"--jobqueue needs dask-jobqueue: {JOBQUEUE_EXTRA}") from None
    cores = int(check_range("--cores", cores, 1, None))
    opts = {"dashboard_address": None, **(scheduler_options or {})}
    prologue = [f"export {k}={os.environ[k]}" for k in PASS_ENV if os.environ.get(k)]
    common = dict(cores=cores, processes=cores, memory=memory, scheduler_options=opts)
    common["job_script_prologue"] = prologue
    if system == "slurm":
        cls = dask_jobqueue.SLURMCluster
        extra = dict(walltime=walltime or "01:00:00", queue=queue, account=account)
    elif system == "pbs":
        cls = dask_jobqueue.PBSCluster
        extra = dict(walltime=walltime or "01:00:00", queue=queue, account=account)
    else:
        cls = dask_jobqueue.HTCondorCluster
        if not disk:
            raise ParameterError("--jobqueue htcondor needs --disk (the scratch disk of a job, e.g. 10GB)")
        extra = dict(disk=disk)
        if walltime:
            h, m, s = (int(x) for x in (walltime.split(":") + ["0", "0"])[:3])
            extra["job_extra_directives"] = {"+MaxRuntime": str(3600 * h + 60 * m + s)}
    return cls(**common, **{k: v for k, v in extra.items() if v is not None}, **kw)


def jobqueue_executor(system: str, *, jobs: int = 1, retries: int = 2, **kw) -> DaskExecutor:
    """Workers as batch jobs: :func:`job_cluster` scaled to ``jobs`` jobs, with a client.

    On a running cluster (not a doctest: it starts worker processes)::

        ex = jobqueue_executor("htcondor", jobs=10, cores=8, memory="16GB", disk="20GB")
    """
    _import_distributed()
    import dask
    from distributed import Client

    env = dict(os.environ)
    with dask.config.set({"distributed.scheduler.allowed-failures": int(retries)}):
        cluster = job_cluster(system, **kw)
    cluster.scale(jobs=int(check_range("--jobs", jobs, 1, None)))
    client = Client(cluster)
    return DaskExecutor(
        client, cluster, kind=f"jobqueue:{system}", retries=retries, env=env, target=jobs * kw.get("cores", 1)
    )


def make_executor(
    workers: int = 1,
    *,
    scheduler: str | None = None,
    scheduler_file: str | None = None,
    jobqueue: str | None = None,
    jobs: int = 1,
    retries: int = 2,
    **job_kw,
):
    """The executor for these settings (see the module docstring); a context manager.

    >>> make_executor(workers=1).kind
    'serial'
    """
    retries = int(check_range("--retries", retries, 0, 100))
    chosen = [n for n, v in (("--scheduler", scheduler), ("--scheduler-file", scheduler_file)) if v]
    if jobqueue:
        chosen.append("--jobqueue")
    if len(chosen) > 1:
        raise ParameterError(f"{' and '.join(chosen)} exclude each other; give one")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"--workers = {workers!r} must be a whole number >= 1")
    if workers > 1 and chosen:
        raise ParameterError(f"--workers starts a local cluster; it cannot go with {chosen[0]}")
    if scheduler or scheduler_file:
        return attach(scheduler, scheduler_file, retries=retries)
    if jobqueue:
        return jobqueue_executor(jobqueue, jobs=jobs, retries=retries, **job_kw)
    if workers > 1:
        return local_cluster(workers, retries=retries)
    return SerialExecutor()


# --- command-line flags ------------------------------------------------------------------------
def add_scale_arguments(parser, *, checkpoint: bool = True):
    """Add the scale-out flags to an argparse parser (limit, constraints, generate, report);
    ``checkpoint=False`` leaves out ``--checkpoint`` (generate resumes by its manifest).

    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> _ = add_scale_arguments(p)
    >>> a = p.parse_args(["--workers", "4", "--checkpoint", "scan.jsonl", "--resume"])
    >>> a.workers, a.checkpoint, a.resume, a.retries
    (4, 'scan.jsonl', True, 2)
    """
    g = parser.add_argument_group("scale-out (Dask; needs darktmm[dask])")
    g.add_argument("--workers", type=int, default=1, help="N > 1: a local cluster of N worker processes")
    g.add_argument("--scheduler", metavar="ADDRESS", help="attach to a running Dask scheduler")
    g.add_argument("--scheduler-file", metavar="FILE", help="attach to the scheduler of this file")
    g.add_argument("--jobqueue", choices=JOBQUEUES, help="start workers as batch jobs (darktmm[jobqueue])")
    g.add_argument("--jobs", type=int, default=1, help="batch jobs to start (--jobqueue; default 1)")
    g.add_argument("--cores", type=int, default=1, help="single-threaded workers per job (default 1)")
    g.add_argument("--memory", default="4GB", help="memory per job (default 4GB)")
    g.add_argument("--walltime", help="run time limit per job, HH:MM:SS (SLURM, PBS; HTCondor MaxRuntime)")
    g.add_argument("--disk", help="scratch disk per job (HTCondor, required there)")
    g.add_argument("--queue", help="batch queue or partition")
    g.add_argument("--account", help="batch account or project")
    g.add_argument(
        "--retries", type=int, default=2, help="re-runs of a failed task or a dead worker (default 2)"
    )
    g.add_argument(
        "--points-per-task", type=int, default=None, help="points per task of a scan (default: automatic)"
    )
    if checkpoint:
        g.add_argument("--checkpoint", metavar="FILE.jsonl", help="record completed points (JSON lines)")
    g.add_argument("--resume", action="store_true", help="skip completed points or shards of an earlier run")
    return g


def executor_from_args(args):
    """The executor of parsed :func:`add_scale_arguments` flags (serial by default).

    >>> import argparse
    >>> p = argparse.ArgumentParser()
    >>> _ = add_scale_arguments(p)
    >>> executor_from_args(p.parse_args([])).kind
    'serial'
    """
    job_kw = {}
    if getattr(args, "jobqueue", None):
        job_kw = {
            k: getattr(args, k, None) for k in ("cores", "memory", "walltime", "disk", "queue", "account")
        }
        job_kw = {k: v for k, v in job_kw.items() if v is not None}
    return make_executor(
        getattr(args, "workers", 1) or 1,
        scheduler=getattr(args, "scheduler", None),
        scheduler_file=getattr(args, "scheduler_file", None),
        jobqueue=getattr(args, "jobqueue", None),
        jobs=getattr(args, "jobs", 1) or 1,
        retries=getattr(args, "retries", 2),
        **job_kw,
    )


# --- scans -----------------------------------------------------------------------------------------
def auto_points_per_task(
    n_points: int,
    t_point_s: float,
    workers: int,
    *,
    target_s: float = TARGET_TASK_S,
    tasks_per_worker: int = 4,
) -> int:
    """Points per task: enough for a task of >= ``target_s`` seconds, but at least
    ``tasks_per_worker`` tasks per worker so that the load stays balanced.

    >>> auto_points_per_task(10_000, 0.5, 64)   # many points: 20 points, a 10 s task
    20
    >>> auto_points_per_task(40, 3.0, 2)       # few points: 4 per task, 10 tasks on 2 workers
    4
    >>> auto_points_per_task(8, 3.0, 2)        # very few: one point per task
    1
    """
    want = math.ceil(target_s / max(t_point_s, 1e-6))
    cap = n_points // max(workers * tasks_per_worker, 1)
    return int(max(1, min(want, cap)))


def _run_batch(fn, points, shared):
    """One task: [(result, seconds)] for a list of points."""
    out = []
    for p in points:
        t0 = time.perf_counter()
        r = fn(p, shared)
        out.append((r, time.perf_counter() - t0))
    return out


def _point_key(point) -> str:
    return json.dumps(point, sort_keys=True, default=_json_default)


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot write {type(o).__name__} to a checkpoint")


class Checkpoint:
    """Completed points of a scan, one JSON line each; a header line names the scan (``tag``).

    Lines are appended with one ``write`` each on an ``O_APPEND`` descriptor (POSIX: the offset
    and the write are one atomic step); a line torn by a kill is ignored on reading.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "scan.jsonl"
    >>> ck = Checkpoint(path, tag={"scan": "demo"})
    >>> ck.add("1.0", {"limit": 2.5e-11})
    >>> Checkpoint(path, tag={"scan": "demo"}, resume=True).done
    {'1.0': {'limit': 2.5e-11}}
    """

    def __init__(self, path, tag=None, *, resume=False):
        self.path = Path(path)
        self.tag = tag
        self.done: dict[str, object] = {}
        exists = self.path.exists() and self.path.stat().st_size > 0
        if exists and not resume:
            raise ParameterError(
                f"--checkpoint {self.path} exists: add --resume to continue that scan, or remove the file"
            )
        if exists:
            self._read()
        else:
            from darktmm.simulate.rootio import check_writable

            check_writable(self.path)
            self._append({"darktmm_checkpoint": 1, "tag": tag})

    def _read(self):
        lines = self.path.read_text().splitlines()
        try:
            head = json.loads(lines[0])
        except (IndexError, json.JSONDecodeError):
            head = None
        if not isinstance(head, dict) or "darktmm_checkpoint" not in head:
            raise ParameterError(f"--checkpoint {self.path} is not a darktmm checkpoint")
        if json.loads(json.dumps(self.tag, default=_json_default)) != head.get("tag"):
            raise ParameterError(
                f"--checkpoint {self.path} belongs to another scan ({head.get('tag')}); "
                "remove it or use another file"
            )
        for line in lines[1:]:
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by a kill
            self.done[rec["point"]] = rec["result"]

    def _append(self, rec):
        data = (json.dumps(rec, default=_json_default) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    def add(self, key: str, result):
        """Record one completed point (``result`` JSON-serialisable)."""
        self.done[key] = result
        self._append({"point": key, "result": result})


def map_points(
    fn,
    points,
    shared=None,
    *,
    executor=None,
    points_per_task: int | None = None,
    checkpoint=None,
    resume: bool = False,
    progress=None,
    encode=None,
    decode=None,
    tag=None,
    target_task_s: float = TARGET_TASK_S,
) -> list:
    """``[fn(p, shared) for p in points]`` on an executor, identical to the serial run.

    ``fn`` must be a module-level function (it is pickled by reference). ``shared`` goes to every
    worker once (``client.scatter(broadcast=True)``). ``points_per_task`` None: a first point per
    worker is run alone and timed, then the rest go in batches of :func:`auto_points_per_task`.
    ``checkpoint``: a JSON-lines file of completed points (``encode(result)`` must be JSON; the
    default keeps the result as it is); ``resume`` skips the points found there (``decode``
    turns a stored result back). ``tag`` names the scan in the checkpoint (a resume of another
    scan is refused). ``progress(k)`` is called with the points completed, over all tasks.

    >>> map_points(_square_point, [3, 1], {"offset": 0})
    [9, 1]
    """
    executor = SerialExecutor() if executor is None else executor
    points = list(points)
    encode = encode or (lambda r: r)
    decode = decode or (lambda r: r)
    results = [None] * len(points)
    keys = [_point_key(p) for p in points]
    ck = Checkpoint(checkpoint, tag, resume=resume) if checkpoint is not None else None
    todo = []
    for i, k in enumerate(keys):
        if ck is not None and k in ck.done:
            results[i] = decode(ck.done[k])
        else:
            todo.append(i)
    if progress and len(todo) < len(points):
        progress(len(points) - len(todo))
    if not todo:
        return results

    def record(i, r):
        results[i] = r
        if ck is not None:
            ck.add(keys[i], encode(r))
        if progress:
            progress(1)

    if isinstance(executor, SerialExecutor):
        with single_blas_thread():
            for i in todo:
                record(i, fn(points[i], shared))
        return results
    if points_per_task is not None:
        check_range("--points-per-task", points_per_task, 1, None)
    _scan_dask(executor, fn, points, shared, todo, points_per_task, record, target_task_s)
    return results


def _scan_dask(ex, fn, points, shared, todo, per_task, record, target_s):
    from distributed import as_completed

    shared_f = ex.scatter(shared)
    batches = []
    if per_task is None:
        first = todo[: ex.nworkers]
        rest = todo[len(first) :]
        batches = [[i] for i in first]
    else:
        rest = []
        batches = [todo[a : a + per_task] for a in range(0, len(todo), per_task)]
    futs, every = {}, []

    def submit(bs):
        fs = ex.map(_run_batch, [fn] * len(bs), [[points[i] for i in b] for b in bs], [shared_f] * len(bs))
        for f, b in zip(fs, bs):
            futs[f.key] = b
        every.extend(fs)
        return fs

    seq = as_completed(submit(batches), with_results=True)
    try:
        for fut, out in seq:
            ex.restore_environment()
            batch = futs.pop(fut.key)
            for i, (r, _dt) in zip(batch, out):
                record(i, r)
            if rest:  # timed by the first completed point: batch the rest
                b = auto_points_per_task(len(rest), out[0][1], ex.nworkers, target_s=target_s)
                seq.update(submit([rest[a : a + b] for a in range(0, len(rest), b)]))
                rest = []
    finally:
        ex.client.cancel([f for f in every if not f.done()], force=True)
        ex.restore_environment()


# --- the Borexino limit scan ----------------------------------------------------------------------
def _borexino_point(m_ap, shared):
    """One mass of the Borexino spectral or rate limit (the per-point work of borexino.limit)."""
    from darktmm.detectors import borexino

    if shared["method"] == "rates":
        return borexino.rate_limit(m_ap, seed=shared["seed"], method_cl=shared["method_cl"])
    tmm = borexino.tmm_spectra(
        m_ap,
        shared["data"].edges,
        rtol=shared["rtol"],
        seed=shared["seed"],
        osc=shared["osc"],
        profiles=shared["profiles"],
        template=True,
    )
    return borexino.spectral_limit_from_templates(
        shared["data"],
        shared["sm"],
        shared["rates"],
        tmm,
        m_ap,
        shared["treatment"],
        shared["expected"],
        method_cl=shared["method_cl"],
        mc_errors=shared["mc_errors"],
        systematics=shared["systematics"],
    )


def _encode_limit_point(p) -> dict:
    return asdict(p)


def _decode_limit_point(d):
    from darktmm.detectors.borexino import LimitPoint

    return LimitPoint(**d)


def borexino_limit(
    masses,
    *,
    executor=None,
    data_dir=None,
    method="auto",
    treatment="ssm",
    rtol=1e-3,
    seed=0,
    expected=True,
    osc=None,
    profiles=None,
    method_cl: str = "profile",
    mc_errors: bool = True,
    systematics=False,
    points_per_task=None,
    checkpoint=None,
    resume=False,
    progress=None,
):
    """:func:`darktmm.detectors.borexino.limit` through :func:`map_points`: the same points,
    bit for bit, serial or on any executor (90 % CL upper limits on eps*mu_eff [mu_B] against
    m_A' [GeV]; Borexino, PRD 100 (2019) 082004, arXiv:1707.09279). The SM templates, the data
    and the production profiles are computed once by the client and sent to every worker once.
    ``info`` is that of ``borexino.limit`` plus ``shared_s``, the time of the shared part [s].

    >>> from darktmm.detectors import borexino
    >>> pts, info = borexino_limit([1e-3], method="rates", seed=1)
    >>> info["method"], pts == borexino.limit([1e-3], method="rates", seed=1)[0]
    ('rates', True)
    """
    from darktmm.detectors import borexino
    from darktmm.detectors import data as datamod
    from darktmm.spectra.model import NUFIT52

    osc = NUFIT52 if osc is None else osc
    masses = [check_range("m_ap", m, 0.0, None, unit="GeV") for m in masses]
    if method not in ("auto", "spectral", "rates"):
        raise ParameterError(f"method = {method!r}; choose auto, spectral or rates")
    if treatment not in borexino.TREATMENTS:
        raise ParameterError(f"treatment = {treatment!r}; choose from {sorted(borexino.TREATMENTS)}")
    borexino._check_method_cl(method_cl)
    t0 = time.perf_counter()
    if method == "auto":
        method = "spectral" if datamod.available(borexino.DATA_FILE, data_dir) else "rates"
    info = {"method": method, "treatment": treatment, "rtol": rtol, "method_cl": method_cl}
    shared = {"method": method, "seed": seed, "method_cl": method_cl}
    if method == "spectral":
        info |= {"mc_errors": mc_errors, "systematics": list(borexino._systematic_names(systematics))}
        info["priors"] = borexino.priors(treatment, systematics=systematics)
        data = borexino.load_data(data_dir)
        info["data_file"] = data.path
        if profiles is None:
            profiles = borexino.production_profiles(data_dir)
        with single_blas_thread():  # the same bits as in a worker
            sm, rates = borexino.sm_spectra(data.edges, rtol=rtol, seed=seed, osc=osc, profiles=profiles)
        shared.update(
            data=data,
            sm=sm,
            rates=rates,
            profiles=profiles,
            rtol=rtol,
            osc=osc,
            treatment=treatment,
            expected=expected,
            mc_errors=mc_errors,
            systematics=systematics,
        )
    info["shared_s"] = time.perf_counter() - t0
    tag = {"scan": "borexino limit", "method": method, "treatment": treatment, "rtol": rtol, "seed": seed}
    tag |= {"expected": bool(expected), "method_cl": method_cl, "mc_errors": bool(mc_errors)}
    tag["systematics"] = repr(systematics)
    pts = map_points(
        _borexino_point,
        [float(m) for m in masses],
        shared,
        executor=executor,
        points_per_task=points_per_task,
        checkpoint=checkpoint,
        resume=resume,
        progress=progress,
        encode=_encode_limit_point,
        decode=_decode_limit_point,
        tag=tag,
    )
    info["timing_s"] = time.perf_counter() - t0
    return pts, info


# --- a model of a large cluster -------------------------------------------------------------------
@dataclass(frozen=True)
class ClusterModel:
    """Throughput of a production or a scan on ``nodes`` x ``cores`` single-threaded workers
    (the result of :func:`cluster_model`; times in s).

    >>> cluster_model(work_units=100, unit_s=1.0, nodes=1, cores=2).limit
    'cpu'
    """

    workers: int
    units_per_task: float  # events or points per task
    task_s: float  # CPU time of one task [s]
    tasks: int
    compute_s: float  # wall time if only the CPUs limited [s]
    storage_s: float  # wall time if only the storage limited [s]
    scheduler_s: float  # wall time if only the scheduler limited [s]
    wall_s: float
    limit: str  # what saturates first: "cpu", "storage" or "scheduler"
    scheduler_load: float  # tasks per second over the run / the scheduler's capacity
    overhead_fraction: float  # per-task overhead / task time
    useful_workers: float  # workers the storage can feed (inf without output)


def cluster_model(
    *,
    work_units: float,
    unit_s: float,
    nodes: int = 100,
    cores: int = 32,
    bytes_per_unit: float = 0.0,
    task_overhead_s: float = 0.002,
    scheduler_rate: float = 2000.0,
    storage_Bps: float = 2e9,
    target_task_s: float = TARGET_TASK_S,
    min_task_bytes: float = 0.0,
) -> ClusterModel:
    """A first-order model of a production (events) or a scan (points) on a cluster.

    ``work_units`` events or points of ``unit_s`` CPU seconds each (measured on one worker) run
    on ``nodes x cores`` single-threaded workers. Tasks follow :func:`auto_points_per_task`
    (>= ``target_task_s``, >= 4 tasks per worker), and hold at least ``min_task_bytes`` of
    output (shard files of a useful size). Each task costs ``task_overhead_s`` on its worker
    (measured through :func:`map_points`) and one slot of the scheduler, which handles at most
    ``scheduler_rate`` tasks/s (distributed's docs: ~1 ms of scheduler time per task). The
    shared storage takes ``storage_Bps`` bytes/s from all workers together. The wall time is
    the largest of the compute, storage and scheduler times (a bottleneck bound); ``limit``
    names it.

    >>> m = cluster_model(work_units=1e10, unit_s=2e-6, bytes_per_unit=130)  # 1e10 7Be events
    >>> m.limit, m.workers, round(m.wall_s), round(m.useful_workers)
    ('storage', 3200, 650, 31)
    """
    workers = int(nodes * cores)
    per = auto_points_per_task(int(work_units), unit_s, workers, target_s=target_task_s)
    if bytes_per_unit > 0 and min_task_bytes > 0:
        per = max(per, int(math.ceil(min_task_bytes / bytes_per_unit)))
    per = min(per, int(work_units))
    tasks = int(math.ceil(work_units / per))
    task_s = per * unit_s
    compute_s = math.ceil(tasks / workers) * (task_s + task_overhead_s)
    storage_s = work_units * bytes_per_unit / storage_Bps if storage_Bps > 0 else 0.0
    scheduler_s = tasks / scheduler_rate
    wall = max(compute_s, storage_s, scheduler_s)
    limit = "cpu" if wall == compute_s else ("storage" if wall == storage_s else "scheduler")
    useful = storage_Bps * unit_s / bytes_per_unit if bytes_per_unit > 0 else math.inf
    return ClusterModel(
        workers,
        float(per),
        task_s,
        tasks,
        compute_s,
        storage_s,
        scheduler_s,
        wall,
        limit,
        tasks / wall / scheduler_rate,
        task_overhead_s / task_s,
        useful,
    )


__all__ = [
    "DASK_EXTRA",
    "JOBQUEUE_EXTRA",
    "JOBQUEUES",
    "SerialExecutor",
    "DaskExecutor",
    "make_executor",
    "local_cluster",
    "attach",
    "job_cluster",
    "jobqueue_executor",
    "check_versions",
    "worker_state",
    "add_scale_arguments",
    "executor_from_args",
    "auto_points_per_task",
    "map_points",
    "Checkpoint",
    "borexino_limit",
    "ClusterModel",
    "cluster_model",
]
