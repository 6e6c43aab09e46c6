"""Scale-out on Dask: overhead, scans, sharded generation, faults, merge, a 100-node model (printed).

    python benchmarks/bench_scale.py [--events 10000000] [--masses 40] [--quick]

Every configuration runs in a fresh Python process (``--config NAME``), and the load average of
the machine (os.getloadavg) is printed before and after each one: on a shared 2-core machine a
busy neighbour changes the speed-ups. Figures:

1. Overhead: 1000 no-op tasks (one point per task) through ``scale.map_points``: serial, and a
   LocalCluster of 1 and of 2 workers (cluster start-up reported apart).
2. Scan: the Borexino spectral limit at ``--masses`` masses (1e-3-100 MeV, rtol 1e-3), serial and
   with 2 workers: the JSON of the points must be identical; the speed-up, each worker's peak
   resident memory (ru_maxrss) and the client's.
3. Generation: ``--events`` unweighted Borexino 7Be events, serial (``darktmm generate``'s path,
   heap tuned) against 2 workers and 8 shards: every branch and sigma +- dsigma identical.
4. Faults (1e6 events, 8 shards, 2 workers): a shard attempt killed on its worker (os._exit) and
   retried; a SIGTERM to the client followed by a resume. Identical events, no temporary file
   left, no complete shard redone (file modification times unchanged).
5. Merge: ``darktmm merge`` against ROOT's ``hadd`` and ``uproot.concatenate`` (content equal),
   with the merge's peak memory.
6. A simulated 100-node cluster (100 x 32 cores), fed with the measured task overhead, point
   time, time and bytes per event (``scale.cluster_model``).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
MASSES = "1e-3:100:{n}MeV"


def _load():
    return [round(x, 2) for x in os.getloadavg()]


def _card(n, seed=1):
    from darktmm.simulate.commands import generate as gen

    return gen.resolve(
        {
            "process": "borexino",
            "events": int(n),
            "unweighted": True,
            "seed": seed,
            "borexino": {"component": "7Be"},
        }
    )


def _peak_MB():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s():
    """CPU seconds (user + system) of this process so far: on a busy machine the wall time
    says how much CPU a process got, this says how much work it did."""
    import resource as r

    u = r.getrusage(r.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def _worker_peak_MB():
    import resource as r

    return r.getrusage(r.RUSAGE_SELF).ru_maxrss / 1024


def _noop(x, shared):
    return x


def _serial_generate(n, path):
    from darktmm.detectors import borexino
    from darktmm.simulate import alloc, cards, eventio, sampler
    from darktmm.simulate.commands import generate as gen

    alloc.from_environment()
    t0 = time.perf_counter()  # as darktmm generate: the process, VEGAS, pilot and the file
    cfg = _card(n)
    proc = gen.build_process(cfg, borexino.production_profiles(cfg["data_dir"]))
    run = sampler.generate(proc, cfg["events"], **gen.run_options(cfg))
    s = eventio.write_root(
        path, run, compression_spec=cfg["compression"], card_toml=cards.to_toml(gen.SCHEMA, cfg)
    )
    return s, time.perf_counter() - t0


# --- configurations (each in its own process) ---------------------------------------------------------
def cfg_overhead(a):
    from darktmm.simulate import scale

    pts = list(range(1000))
    if a.workers == 0:
        t0 = time.perf_counter()
        scale.map_points(_noop, pts, None)
        return {"per_task_ms": (time.perf_counter() - t0), "start_s": 0.0}
    t0 = time.perf_counter()
    with scale.local_cluster(a.workers) as ex:
        t1 = time.perf_counter()
        scale.map_points(_noop, [0], None, executor=ex, points_per_task=1)  # warm up
        t2 = time.perf_counter()
        scale.map_points(_noop, pts, None, executor=ex, points_per_task=1)
        t3 = time.perf_counter()
    return {"per_task_ms": (t3 - t2), "start_s": t1 - t0}


def cfg_scan(a):
    from darktmm.simulate import scale
    from darktmm.simulate.units import parse_mass_range

    masses = parse_mass_range(MASSES.format(n=a.masses))
    t0 = time.perf_counter()
    if a.workers <= 1:
        pts, info = scale.borexino_limit(masses, rtol=1e-3, seed=1)
        workers_mem = {}
    else:
        with scale.local_cluster(a.workers) as ex:
            t0 = time.perf_counter()  # the cluster start is not part of the scan
            pts, info = scale.borexino_limit(masses, executor=ex, rtol=1e-3, seed=1)
            workers_mem = ex.worker_info(_worker_peak_MB)
    wall = time.perf_counter() - t0
    point_s = (wall - info["shared_s"]) / len(masses)
    js = [{"m_ap_GeV": float(p.m_ap), "limit": float(p.limit), "expected": float(p.expected)} for p in pts]
    Path(a.tmp, f"scan{a.workers}.json").write_text(json.dumps(js))
    return {
        "wall_s": wall,
        "method": info["method"],
        "shared_s": info["shared_s"],
        "point_s": point_s,
        "client_peak_MB": _peak_MB(),
        "worker_peak_MB": sorted(round(v) for v in workers_mem.values()),
    }


def cfg_gen_serial(a):
    c0 = _cpu_s()
    s, dt = _serial_generate(a.events, Path(a.tmp, "serial.root"))
    cpu = _cpu_s() - c0
    size = Path(a.tmp, "serial.root").stat().st_size
    return {
        "wall_s": dt,
        "cpu_s": cpu,
        "sigma": s["sigma"],
        "sigma_err": s["sigma_err"],
        "bytes": size,
        "events": s["events_written"],
    }


def cfg_gen_shards(a):
    from darktmm.simulate import scale, shards

    cfg = _card(a.events)
    with scale.local_cluster(a.workers) as ex:
        w0, c0 = ex.worker_info(_cpu_s), _cpu_s()
        t0 = time.perf_counter()
        man = shards.generate(cfg, Path(a.tmp, "ev.root"), shards=a.shards, executor=ex)
        wall = time.perf_counter() - t0
        cpu = _cpu_s() - c0 + sum(v - w0[k] for k, v in ex.worker_info(_cpu_s).items())
        mem = ex.worker_info(_worker_peak_MB)
    plan = shards.load_plan(Path(a.tmp, "ev.plan.json"))
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "plan_s": plan["timing_s"],
        "map_bytes": plan["map_bytes"],
        "sigma": man["summary"]["sigma"],
        "sigma_err": man["summary"]["sigma_err"],
        "worker_peak_MB": sorted(round(v) for v in mem.values()),
    }


def _compare_files(serial, pattern_or_files):
    """Every branch of the events tree equal (branch by branch, bounded memory)."""
    import glob

    import awkward as ak
    import uproot

    files = pattern_or_files if isinstance(pattern_or_files, list) else sorted(glob.glob(pattern_or_files))
    with uproot.open(serial) as f:
        names = [b.name for b in f["events"].branches]
        bad = []
        for name in names:
            a = f["events"][name].array()
            b = uproot.concatenate({p: "events" for p in files}, [name])[name]
            if len(a) != len(b) or not ak.array_equal(a, b):
                bad.append(name)
            del a, b
    return names, bad


def cfg_gen_compare(a):
    from darktmm.simulate import shards

    names, bad = _compare_files(str(Path(a.tmp, "serial.root")), str(Path(a.tmp, "ev.shard*.root")))
    rc = shards.recombine(sorted(Path(a.tmp).glob("ev.shard*.root")))
    info = shards.read_runinfo(Path(a.tmp, "serial.root"))
    same = {k: rc[k] == info[k] for k in ("sigma", "sigma_err", "trials", "accepted", "sum_weights", "v_max")}
    return {"branches": len(names), "different": bad, "summary_equal": same}


def _dying(marker):
    def task(j, job, out_dir):
        from darktmm.simulate import rootio, shards

        if j == 3 and not os.path.exists(marker):
            Path(marker).write_text(str(os.getpid()))
            rootio.partial_name(Path(out_dir) / job["shards"][j]["file"]).write_bytes(b"half a shard")
            os._exit(1)
        return shards.produce_shard(j, job, out_dir)

    return task


def cfg_fault_kill(a):
    from darktmm.simulate import rootio, scale, shards

    d = Path(a.tmp, "kill")
    d.mkdir(exist_ok=True)
    _serial_generate(a.fault_events, d / "serial.root")
    marker = str(d / "killed")
    shards._produce_task = _dying(marker)
    with scale.local_cluster(2, retries=2) as ex:
        t0 = time.perf_counter()
        man = shards.generate(_card(a.fault_events), d / "ev.root", shards=8, executor=ex)
        wall = time.perf_counter() - t0
    _, bad = _compare_files(str(d / "serial.root"), str(d / "ev.shard*.root"))
    left = [q.name for q in d.iterdir() if rootio.PARTIAL_TAG in q.name]
    return {
        "killed_pid": int(Path(marker).read_text()),
        "complete": man["complete"],
        "wall_s": wall,
        "different": bad,
        "temporary_files_left": left,
    }


SIGTERM_CHILD = """
import sys
sys.path.insert(0, {here!r})
import bench_scale as b
from darktmm.simulate import scale, shards
with scale.local_cluster(2) as ex:
    try:
        shards.generate(b._card({n}), sys.argv[1], shards=8, executor=ex)
    except KeyboardInterrupt:
        sys.exit(130)
"""


def cfg_fault_sigterm(a):
    from darktmm.simulate import rootio, scale, shards

    d = Path(a.tmp, "sigterm")
    d.mkdir(exist_ok=True)
    out = d / "ev.root"
    code = SIGTERM_CHILD.format(here=str(HERE.parent), n=a.fault_events)
    child = subprocess.Popen([sys.executable, "-c", code, str(out)])
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and sum(shards.shard_path(out, j).exists() for j in range(8)) < 3:
        time.sleep(0.05)
    child.send_signal(signal.SIGTERM)
    rc = child.wait(timeout=120)
    left_after_kill = [q.name for q in d.iterdir() if rootio.PARTIAL_TAG in q.name]
    present = [j for j in range(8) if shards.shard_path(out, j).exists()]
    stamp = {j: shards.shard_path(out, j).stat().st_mtime_ns for j in present}
    with scale.local_cluster(2) as ex:
        t0 = time.perf_counter()
        man = shards.generate(_card(a.fault_events), out, shards=8, executor=ex, resume=True)
        wall = time.perf_counter() - t0
    redone = [j for j in present if shards.shard_path(out, j).stat().st_mtime_ns != stamp[j]]
    _, bad = _compare_files(str(Path(a.tmp, "kill", "serial.root")), str(d / "ev.shard*.root"))
    return {
        "exit_code": rc,
        "shards_complete_at_sigterm": present,
        "temporary_files_after_sigterm": left_after_kill,
        "kept": man["kept"],
        "complete_shards_redone": redone,
        "resume_wall_s": wall,
        "different": bad,
        "temporary_files_left": [q.name for q in d.iterdir() if rootio.PARTIAL_TAG in q.name],
    }


def cfg_merge(a):
    from darktmm.simulate.commands import merge as merge_cmd

    d = Path(a.tmp, "sigterm")
    p = argparse.ArgumentParser()
    merge_cmd.add_parser(p.add_subparsers())
    args = p.parse_args(["merge", str(d / "ev.manifest.json"), "--out", str(d / "merged.root"), "--force"])
    t0 = time.perf_counter()
    args.func(args)
    return {"wall_s": time.perf_counter() - t0, "peak_MB": _peak_MB()}


def cfg_merge_compare(a):
    import glob

    import numpy as np
    import uproot

    d = Path(a.tmp, "sigterm")
    files = sorted(glob.glob(str(d / "ev.shard*.root")))
    import ROOT

    hadd = Path(ROOT.__file__).parent / "bin" / "hadd"
    t0 = time.perf_counter()
    subprocess.run([str(hadd), "-f", str(d / "hadd.root"), *files], check=True, capture_output=True)
    t_hadd = time.perf_counter() - t0
    _, bad_hadd = _compare_files(str(d / "merged.root"), [str(d / "hadd.root")])
    _, bad_concat = _compare_files(str(d / "merged.root"), files)
    m, h = uproot.open(d / "merged.root"), uproot.open(d / "hadd.root")
    hist_bad = []
    for k in (k.split(";")[0] for k in m.keys() if k.startswith("h_")):
        same = np.array_equal(m[k].values(flow=True), h[k].values(flow=True)) and np.array_equal(
            m[k].variances(flow=True), h[k].variances(flow=True)
        )
        same &= all(
            m[k].member(x) == h[k].member(x) for x in ("fEntries", "fTsumw", "fTsumw2", "fTsumwx", "fTsumwx2")
        )
        if not same:
            hist_bad.append(k)
    _, bad_ri = _compare_files_tree(d / "merged.root", d / "hadd.root", "runinfo")
    return {
        "hadd_s": t_hadd,
        "events_differ_from_hadd": bad_hadd,
        "events_differ_from_concatenate": bad_concat,
        "histograms_differ": hist_bad,
        "runinfo_differs": bad_ri,
        "keys_equal": sorted(k.split(";")[0] for k in m.keys()) == sorted(k.split(";")[0] for k in h.keys()),
    }


def _compare_files_tree(a, b, tree):
    import awkward as ak
    import uproot

    x, y = uproot.open(a)[tree].arrays(), uproot.open(b)[tree].arrays()
    return x.fields, [f for f in x.fields if not ak.array_equal(x[f], y[f])]


CONFIGS = {
    "overhead": cfg_overhead,
    "scan": cfg_scan,
    "gen_serial": cfg_gen_serial,
    "gen_shards": cfg_gen_shards,
    "gen_compare": cfg_gen_compare,
    "fault_kill": cfg_fault_kill,
    "fault_sigterm": cfg_fault_sigterm,
    "merge": cfg_merge,
    "merge_compare": cfg_merge_compare,
}


def _one(name, a, **kw):
    argv = [sys.executable, str(HERE), "--config", name, "--tmp", a.tmp, "--events", str(a.events)]
    argv += ["--masses", str(a.masses), "--fault-events", str(a.fault_events)]
    for k, v in kw.items():
        argv += [f"--{k}", str(v)]
    before = _load()
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    line = [x for x in p.stdout.splitlines() if x.startswith("RESULT ")]
    if p.returncode != 0 or not line:
        print(p.stdout[-2000:], p.stderr[-4000:], file=sys.stderr)
        raise SystemExit(f"configuration {name} {kw} failed")
    res = json.loads(line[-1][7:])
    res["load_before_after"] = [before, _load()]
    res["process_s"] = time.perf_counter() - t0
    print(f"  {name} {kw}: {json.dumps(res)}", flush=True)
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config")
    ap.add_argument("--tmp")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--fault-events", type=int, default=1_000_000)
    ap.add_argument("--masses", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke test of the script)")
    a = ap.parse_args(argv)
    if a.config:
        print("RESULT " + json.dumps(CONFIGS[a.config](a), default=str))
        return
    if a.quick:
        a.events, a.fault_events, a.masses = 1_000_000, 600_000, 4
    a.tmp = a.tmp or tempfile.mkdtemp(prefix="bench_scale_")
    print(f"bench_scale: {os.cpu_count()} cores, load average {_load()} (1, 5, 15 min); files in {a.tmp}")
    R = {}
    print("1. per-task overhead, 1000 no-op tasks through map_points")
    for w in (0, 1, 2):
        R[f"overhead{w}"] = _one("overhead", a, workers=w)
    print(f"2. Borexino limit scan, {a.masses} masses")
    R["scan1"] = _one("scan", a, workers=1)
    R["scan2"] = _one("scan", a, workers=2)
    same_json = Path(a.tmp, "scan1.json").read_text() == Path(a.tmp, "scan2.json").read_text()
    print(f"3. {a.events:.3g} unweighted 7Be events, serial vs 2 workers x 8 shards")
    R["gen1"] = _one("gen_serial", a)
    R["gen2"] = _one("gen_shards", a, workers=2, shards=8)
    R["gencmp"] = _one("gen_compare", a)
    print(f"4. faults ({a.fault_events:.3g} events, 8 shards, 2 workers)")
    R["kill"] = _one("fault_kill", a)
    R["sigterm"] = _one("fault_sigterm", a)
    print("5. merge")
    R["merge"] = _one("merge", a)
    R["mergecmp"] = _one("merge_compare", a)

    from darktmm.simulate import scale

    o1, o2 = R["overhead1"]["per_task_ms"], R["overhead2"]["per_task_ms"]
    bytes_ev = R["gen1"]["bytes"] / R["gen1"]["events"]
    s_ev = R["gen1"]["wall_s"] / R["gen1"]["events"]
    prod = scale.cluster_model(
        work_units=1e10, unit_s=s_ev, bytes_per_unit=bytes_ev, task_overhead_s=o2 / 1e3, min_task_bytes=1e9
    )
    scan = scale.cluster_model(work_units=1e4, unit_s=R["scan1"]["point_s"], task_overhead_s=o2 / 1e3)
    print("\nSummary")
    print(f"  load average now {_load()}")
    print(
        f"  1. overhead per task: serial {R['overhead0']['per_task_ms']:.4f} ms, 1 worker {o1:.2f} ms, 2 workers {o2:.2f} ms"
    )
    print(f"     (LocalCluster start {R['overhead1']['start_s']:.1f} s / {R['overhead2']['start_s']:.1f} s)")
    s1, s2 = R["scan1"]["wall_s"], R["scan2"]["wall_s"]
    print(
        f"  2. scan: serial {s1:.1f} s, 2 workers {s2:.1f} s: speed-up {s1 / s2:.2f}x (aim >= 1.7); JSON identical: {same_json}; "
        f"worker peak {R['scan2']['worker_peak_MB']} MB, client {R['scan2']['client_peak_MB']:.0f} MB; "
        f"shared SM part (client) {R['scan1']['shared_s']:.1f} s, one point {R['scan1']['point_s']:.2f} s"
    )
    g1, g2 = R["gen1"]["wall_s"], R["gen2"]["wall_s"]
    print(
        f"  3. generation: serial {g1:.1f} s, 2 workers x 8 shards {g2:.1f} s (plan {R['gen2']['plan_s']}): "
        f"speed-up {g1 / g2:.2f}x (aim >= 1.7); branches different: {R['gencmp']['different']} of {R['gencmp']['branches']}; "
        f"sigma/err/counters equal: {R['gencmp']['summary_equal']}; map {R['gen2']['map_bytes']} bytes; "
        f"{bytes_ev:.1f} bytes/event, {s_ev * 1e6:.2f} us/event; CPU seconds serial {R['gen1']['cpu_s']:.1f}, "
        f"sharded (client + workers) {R['gen2']['cpu_s']:.1f}"
    )
    k, t = R["kill"], R["sigterm"]
    print(
        f"  4. killed attempt: complete {k['complete']}, branches different {k['different']}, temporary files left {k['temporary_files_left']}; "
        f"SIGTERM: exit {t['exit_code']}, complete at SIGTERM {t['shards_complete_at_sigterm']}, temporary files after it "
        f"{t['temporary_files_after_sigterm']}, resume kept {t['kept']}, complete shards redone {t['complete_shards_redone']}, "
        f"branches different {t['different']}, temporary files left {t['temporary_files_left']}"
    )
    m = R["mergecmp"]
    print(
        f"  5. merge {R['merge']['wall_s']:.1f} s (peak {R['merge']['peak_MB']:.0f} MB) vs hadd {m['hadd_s']:.1f} s: same keys {m['keys_equal']}, "
        f"events differ from hadd {m['events_differ_from_hadd']}, from uproot.concatenate {m['events_differ_from_concatenate']}, "
        f"histograms differ {m['histograms_differ']}, runinfo differs {m['runinfo_differs']}"
    )
    print(
        f"  6. model, 100 x 32 cores: 1e10 events -> {prod.tasks} shards of {prod.units_per_task:.3g} events "
        f"({prod.task_s:.1f} s each), compute {prod.compute_s:.0f} s, storage {prod.storage_s:.0f} s at 2 GB/s, "
        f"scheduler {prod.scheduler_s:.1f} s: {prod.limit} saturates first (it feeds {prod.useful_workers:.0f} workers), "
        f"scheduler load {prod.scheduler_load:.2%}"
    )
    print(
        f"     1e4-point scan -> {scan.tasks} tasks of {scan.units_per_task:.0f} point(s) ({scan.task_s:.1f} s), "
        f"wall {scan.wall_s:.0f} s, {scan.limit} bound, scheduler load {scan.scheduler_load:.1%}, "
        f"overhead {scan.overhead_fraction:.2%} of a task"
    )
    Path(a.tmp, "results.json").write_text(json.dumps(R, indent=1, default=str))


if __name__ == "__main__":
    main()
