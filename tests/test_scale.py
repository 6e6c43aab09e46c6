"""simulate.scale: executors, scans on Dask, checkpoints, the traps of the issue, the cluster model.

Tests that start a LocalCluster (2 single-threaded workers, started once for the module) are
marked ``dask``; CI installs the extra (the test extra), so they do not skip there.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap

import pytest

from darktmm.simulate import alloc, scale
from darktmm.spectra.validate import ParameterError


def _distributed():
    if os.environ.get("CI"):
        import distributed  # CI installs darktmm[dask] through the test extra: may not skip

        return distributed
    return pytest.importorskip("distributed")


# --- pure functions ------------------------------------------------------------------------------
def _affine(x, shared):
    return shared["a"] * x + shared["b"]


CALLS = []


def _counted(x, shared):
    CALLS.append(x)
    return {"x": x, "y": x / 3.0}


def test_default_path_imports_no_dask():
    code = textwrap.dedent(
        """
        import argparse, sys, tempfile, pathlib
        from darktmm.simulate import scale, shards, cli, sampler, eventio
        from darktmm.simulate.commands import generate as gen
        ex = scale.make_executor()
        assert scale.map_points(scale._square_point, [1.0, 2.0], {"offset": 0.5}, executor=ex) == [1.5, 4.5]
        p = argparse.ArgumentParser()
        scale.add_scale_arguments(p)
        assert scale.executor_from_args(p.parse_args([])).kind == "serial"
        cfg = gen.resolve({"process": "borexino", "events": 2000, "block": 512, "pilot": 1024,
                             "train_nitn": 2, "borexino": {"component": "pep"}})
        man = shards.generate(cfg, pathlib.Path(tempfile.mkdtemp()) / "ev.root", shards=2, executor=ex)
        assert man["complete"]
        bad = [m for m in sys.modules if m.split(".")[0] in ("dask", "distributed", "dask_jobqueue")]
        print(bad)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_extra_is_one_line_naming_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ParameterError, match=r'pip install "darktmm\[dask\]"') as e:
        scale.make_executor(workers=2)
    assert "\n" not in str(e.value)
    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)
    with pytest.raises(ParameterError, match=r'pip install "darktmm\[jobqueue\]"'):
        scale.job_cluster("slurm", cores=2)


def test_flags_and_their_errors():
    p = argparse.ArgumentParser()
    scale.add_scale_arguments(p)
    a = p.parse_args(["--workers", "1", "--retries", "3", "--points-per-task", "5", "--resume"])
    assert (a.workers, a.retries, a.points_per_task, a.resume, a.checkpoint) == (1, 3, 5, True, None)
    assert scale.executor_from_args(a).kind == "serial"
    for kw, msg in (
        ({"workers": 0}, "--workers"),
        ({"workers": 2, "scheduler": "tcp://127.0.0.1:1"}, "cannot go with --scheduler"),
        ({"scheduler": "tcp://127.0.0.1:1", "jobqueue": "slurm"}, "exclude each other"),
        ({"retries": -1}, "--retries"),
    ):
        with pytest.raises(ParameterError, match=msg):
            scale.make_executor(**kw)
    with pytest.raises(ParameterError, match="--jobqueue"):
        scale.job_cluster("lsf")


def test_points_per_task_rule():
    # ceil(10 s / t) points, but at least 4 tasks per worker: closed forms
    assert scale.auto_points_per_task(10_000, 0.25, 8) == 40
    assert scale.auto_points_per_task(10_000, 0.25, 1000) == 2  # 10000 // 4000
    assert scale.auto_points_per_task(3, 0.001, 2) == 1
    assert scale.auto_points_per_task(1000, 20.0, 2) == 1  # a point longer than the target


def test_cluster_model_conclusions():
    # 1e10 events of 2 us and 130 bytes on 100 x 32 cores behind 2 GB/s of storage
    prod = scale.cluster_model(work_units=1e10, unit_s=2e-6, bytes_per_unit=130, min_task_bytes=1e9)
    assert prod.limit == "storage" and prod.workers == 3200
    assert prod.storage_s == pytest.approx(1e10 * 130 / 2e9)  # 650 s
    assert prod.compute_s < 0.1 * prod.storage_s  # the CPUs are 10x faster than the storage
    assert prod.useful_workers == pytest.approx(2e9 * 2e-6 / 130)  # ~31 workers saturate it
    assert prod.units_per_task == pytest.approx(1e9 / 130, rel=1e-6)  # 1 GB shards: 7.7e6 events
    assert prod.tasks == 1300 and prod.scheduler_load < 0.01
    # a 1e4-point scan of 3 s points: CPU bound, one point per task (4 tasks per worker wanted)
    scan = scale.cluster_model(work_units=1e4, unit_s=3.0)
    assert scan.limit == "cpu" and scan.units_per_task == 1 and scan.tasks == 10_000
    assert scan.compute_s == pytest.approx(4 * (3.0 + 0.002))  # ceil(10000/3200) = 4 rounds
    assert scan.scheduler_load < 0.5 and scan.overhead_fraction < 1e-3
    # tiny tasks: the scheduler saturates first
    tiny = scale.cluster_model(work_units=1e7, unit_s=1e-5, target_task_s=0.0)
    assert tiny.limit == "scheduler"


def test_checkpoint_and_resume_serial(tmp_path):
    ck = tmp_path / "scan.jsonl"
    pts = [0.5, 1.5, 2.5, 3.5]
    CALLS.clear()
    full = scale.map_points(_counted, pts, checkpoint=ck, tag={"scan": "t"})
    assert full == [{"x": x, "y": x / 3.0} for x in pts] and CALLS == pts
    lines = ck.read_text().splitlines()
    assert len(lines) == 5 and json.loads(lines[0])["tag"] == {"scan": "t"}
    # a run killed after two points, its last line torn
    ck.write_text("\n".join(lines[:3]) + "\n" + lines[3][:7])
    CALLS.clear()
    seen = []
    again = scale.map_points(
        _counted, pts, checkpoint=ck, resume=True, tag={"scan": "t"}, progress=seen.append
    )
    assert again == full and CALLS == [2.5, 3.5] and sum(seen) == 4
    with pytest.raises(ParameterError, match="add --resume"):
        scale.map_points(_counted, pts, checkpoint=ck, tag={"scan": "t"})
    with pytest.raises(ParameterError, match="another scan"):
        scale.map_points(_counted, pts, checkpoint=ck, resume=True, tag={"scan": "u"})


def test_jobqueue_job_scripts(monkeypatch):
    if not os.environ.get("CI"):
        pytest.importorskip("dask_jobqueue")
    monkeypatch.setenv("DARKTMM_DATA", "/data/darktmm")
    opts = {"host": "127.0.0.1"}
    c = scale.job_cluster(
        "slurm",
        cores=4,
        memory="8GB",
        walltime="02:00:00",
        queue="short",
        account="lab",
        scheduler_options=opts,
    )
    try:
        s = c.job_script()
    finally:
        c.close()
    for want in (
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --mem=8G",
        "#SBATCH -t 02:00:00",
        "#SBATCH -p short",
        "#SBATCH -A lab",
        "export DARKTMM_DATA=/data/darktmm",
        "--nthreads 1",
        "--nworkers 4",
        "--nanny",
    ):
        assert want in s, want
    c = scale.job_cluster(
        "htcondor", cores=2, memory="4GB", disk="10GB", walltime="01:30:00", scheduler_options=opts
    )
    try:
        s = c.job_script()
    finally:
        c.close()
    for want in (
        "RequestCpus = MY.DaskWorkerCores",
        "MY.DaskWorkerCores = 2",
        "+MaxRuntime = 5400",
        "--nthreads 1",
    ):
        assert want in s, want
    c = scale.job_cluster("pbs", cores=2, memory="4GB", walltime="00:30:00", scheduler_options=opts)
    try:
        s = c.job_script()
    finally:
        c.close()
    assert "#PBS -l walltime=00:30:00" in s and "--nworkers 2" in s
    with pytest.raises(ParameterError, match="--disk"):
        scale.job_cluster("htcondor", cores=2, scheduler_options=opts)


def test_trap_dask_malloc_variable_defeats_the_defaults():
    """The trap itself, in a plain process: MALLOC_TRIM_THRESHOLD_ (as Dask sets it) keeps the
    mmap threshold at 128 KiB, and darktmm's tuning undoes that."""
    if alloc.served_by_mmap() is None:
        pytest.skip("no glibc mallinfo2")
    code = "from darktmm.simulate import alloc; import sys; a = alloc.served_by_mmap(); alloc.tune_malloc(); print(a, alloc.served_by_mmap())"
    env = dict(os.environ, MALLOC_TRIM_THRESHOLD_="65536")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "False"]


# --- on a LocalCluster -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    _distributed()
    before = dict(os.environ)
    ex = scale.make_executor(workers=2, retries=1)
    after_start = dict(os.environ)
    yield ex, before, after_start
    ex.close()
    assert dict(os.environ) == before


class _CountingShared:
    """Shared input that records every unpickling (one line per copy made on a worker)."""

    def __init__(self, path):
        self.path, self.a, self.b = str(path), 3.0, 0.25

    def __getitem__(self, k):
        return getattr(self, k)

    def __setstate__(self, state):
        self.__dict__.update(state)
        with open(self.path, "a") as fh:
            fh.write(f"{os.getpid()}\n")


@pytest.mark.dask
def test_cluster_restores_client_environment(cluster):
    ex, before, after_start = cluster
    assert ex.kind == "local" and ex.nworkers == 2
    assert after_start == before  # no MALLOC_TRIM_THRESHOLD_, *_NUM_THREADS, PYTHONHASHSEED left
    assert "MALLOC_TRIM_THRESHOLD_" not in os.environ or "MALLOC_TRIM_THRESHOLD_" in before
    # the workers themselves did get Dask's settings
    got = ex.worker_info(
        lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS"))
    )
    assert set(got.values()) == {("65536", "1")}


@pytest.mark.dask
def test_worker_plugin_applies_heap_tuning(cluster):
    ex, _, _ = cluster
    state = ex.worker_info(scale.worker_state)
    assert len(state) == 2
    assert all(s["malloc"] == "tuned" and s["blas_threads"] == 1 for s in state.values())
    if alloc.served_by_mmap() is not None:  # 4 MiB from the heap despite MALLOC_TRIM_THRESHOLD_
        assert set(ex.worker_info(alloc.served_by_mmap).values()) == {False}


@pytest.mark.dask
def test_scan_on_cluster_equals_serial_and_shares_once(cluster, tmp_path):
    ex, _, _ = cluster
    log = tmp_path / "unpickled.txt"
    shared = _CountingShared(log)
    pts = [0.1 * k for k in range(24)]
    serial = scale.map_points(_affine, pts, {"a": 3.0, "b": 0.25})
    seen = []
    par = scale.map_points(_affine, pts, shared, executor=ex, points_per_task=1, progress=seen.append)
    assert par == serial == [3.0 * x + 0.25 for x in pts]
    assert sum(seen) == len(pts)
    assert len(log.read_text().split()) <= 2  # one copy per worker, not one per task (24 tasks)
    auto = scale.map_points(_affine, pts, {"a": 3.0, "b": 0.25}, executor=ex)  # automatic batches
    assert auto == serial


@pytest.mark.dask
def test_scan_checkpoint_resume_on_cluster(cluster, tmp_path):
    ex, _, _ = cluster
    ck = tmp_path / "ck.jsonl"
    pts = [1.0, 2.0, 3.0, 4.0, 5.0]
    first = scale.map_points(_affine, pts[:3], {"a": 2.0, "b": 1.0}, executor=ex, checkpoint=ck, tag="t")
    CALLS.clear()
    full = scale.map_points(
        _affine, pts, {"a": 2.0, "b": 1.0}, executor=ex, checkpoint=ck, resume=True, tag="t"
    )
    assert full[:3] == first and full == [2.0 * x + 1.0 for x in pts]
    assert len(ck.read_text().splitlines()) == 1 + 5  # header + each point once


@pytest.mark.dask
def test_attach_by_address_and_version_refusal(cluster, monkeypatch):
    ex, _, _ = cluster
    addr = ex.cluster.scheduler_address
    with scale.make_executor(scheduler=addr) as att:
        assert att.kind == "attach"
        assert scale.map_points(_affine, [1.0, 2.0], {"a": 1.0, "b": 1.0}, executor=att) == [2.0, 3.0]
    monkeypatch.setattr(scale, "_version", lambda: "0.0.0-elsewhere")
    with pytest.raises(ParameterError, match="run darktmm .* this client darktmm 0.0.0-elsewhere") as e:
        scale.make_executor(scheduler=addr)
    assert "\n" not in str(e.value)


@pytest.mark.dask
@pytest.mark.slow
def test_borexino_limit_scan_json_identical_to_serial(cluster, data_dir):
    """The Borexino spectral limit scan: the JSON of the points is the same bit for bit on 2
    workers as in-process (BLAS on one thread on both sides)."""
    ex, _, _ = cluster
    masses = [1e-3, 3e-2]

    def js(pts):
        return json.dumps(
            [{"m_ap_GeV": p.m_ap, "limit": float(p.limit), "expected": float(p.expected)} for p in pts]
        )

    serial, info_s = scale.borexino_limit(masses, data_dir=data_dir, rtol=2e-2, seed=1)
    par, info_p = scale.borexino_limit(masses, executor=ex, data_dir=data_dir, rtol=2e-2, seed=1)
    assert info_s["method"] == info_p["method"] == "spectral"
    assert js(par) == js(serial)
    assert [p.extra for p in par] == [p.extra for p in serial]
    assert all(0 < p.limit < float("inf") for p in par)


def _fails_at_two(x, shared):
    if x == 2:
        raise ParameterError("x = 2 is not allowed")
    return x


@pytest.mark.dask
def test_task_error_reaches_the_client(cluster):
    ex, _, _ = cluster
    with pytest.raises(ParameterError, match="x = 2 is not allowed"):
        scale.map_points(_fails_at_two, [1, 2, 3], None, executor=ex, points_per_task=1)
