"""Event-generation speed and memory (printed, not asserted).

    python benchmarks/bench_events.py [--events 1000000] [--repeat 3] [--memory-events 10000000]

* Throughput: unweighted events per second written to a ROOT file (LZ4, the default) per process,
  the median of ``--repeat`` runs of ``--events`` events. "stream" excludes the one-off VEGAS
  training, frozen integral and pilot run (reported separately as "prepare"); "wall" includes
  them. Goals (issue 4): >= 1e6 events/s for nu-e and gamma A', >= 2e5 events/s for NA64.
  Each table runs in a fresh Python process, once with glibc's default heap thresholds (a
  library call of ``eventio.write_root`` in a process that did nothing else) and once with
  ``simulate.alloc.tune_malloc()``, as ``darktmm generate`` runs; mallopt settings hold for a
  whole process, so the two cannot share one.
* Command: ``darktmm generate borexino --component 7Be --kind sm --unweighted`` end to end, as a
  user runs it: events / the command's own ``timing_s`` (card, data files, VEGAS, pilot and the
  file) and events / the wall time of the whole process (Python start-up and imports included).
* Memory: each process writes ``--memory-events`` unweighted events in a fresh Python process;
  its peak resident set size (resource.getrusage ru_maxrss) is printed with the current RSS just
  before the event loop (after the imports, the process set-up and the VEGAS preparation); the
  difference bounds what streaming costs. Both heap settings are measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PROCESSES = {
    "nu-e 7Be SM": ("borexino", {"component": "7Be", "kind": "sm"}),
    "nu-e pp TMM": ("borexino", {"component": "pp", "kind": "tmm", "m_ap": "0.5MeV"}),
    "gamma A' Y(3S)": ("babar", {"resonance": "3S", "m_ap": "1GeV", "eps": 1e-3}),
    "NA64 e Z -> e Z A'": ("na64", {"m_ap": "10MeV", "eps": 1e-4}),
}


def _rss_now_kB() -> float:
    """Current resident set size [kB] (Linux /proc; the peak is resource.getrusage's ru_maxrss)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024
    except OSError:  # pragma: no cover - not Linux
        return float("nan")


def _run(process, options, n, path, seed=1):
    from darktmm.simulate import cards, eventio, sampler
    from darktmm.simulate.commands import generate as gen

    cfg = gen.resolve({"process": process, "events": n, "seed": seed, "unweighted": True, process: options})
    proc = gen.build_process(cfg)
    run = sampler.generate(proc, n, **gen.run_options(cfg))
    t0 = time.perf_counter()
    run.prepare()
    t1 = time.perf_counter()
    rss_prepared = _rss_now_kB()
    s = eventio.write_root(path, run, card_toml=cards.to_toml(gen.SCHEMA, cfg))
    t2 = time.perf_counter()
    return {
        "prepare_s": t1 - t0,
        "stream_s": t2 - t1,
        "efficiency": s["efficiency"],
        "size_MB": os.path.getsize(path) / 1e6,
        "rss_prepared_MB": rss_prepared / 1024,
    }


def _fresh(code: str) -> dict:
    """Run ``code`` in a fresh Python process (this directory on the path); its last line is JSON."""
    here = os.path.dirname(os.path.abspath(__file__))
    full = f"import json, resource, sys; sys.path.insert(0, {here!r}); " + code
    out = subprocess.run([sys.executable, "-c", full], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _setup(heap: str) -> str:
    return "from simulate import alloc; alloc.tune_malloc(); " if heap == "tuned" else ""


def throughput_table(n, repeat, heap):
    """Run :func:`throughput` in a fresh process with the heap setting ``heap``."""
    subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--events", str(n), "--repeat", str(repeat)]
        + ["--memory-events", "0", "--heap", heap, "--only-throughput"],
        check=True,
    )


def throughput(n, repeat, tmp, heap="system"):
    if heap == "tuned":
        from darktmm.simulate import alloc

        alloc.tune_malloc()
    label = "tuned heap (as darktmm generate)" if heap == "tuned" else "glibc default heap"
    print(f"unweighted events written to ROOT (LZ4), {n:.0e} events, median of {repeat}, {label}:")
    print(
        f"{'process':>20s} {'stream ev/s':>12s} {'wall ev/s':>10s} {'prepare s':>10s} {'eff':>6s} {'MB':>7s}"
    )
    for label, (proc, opt) in PROCESSES.items():
        res = [_run(proc, opt, n, os.path.join(tmp, "t.root"), seed=1 + k) for k in range(repeat)]
        stream = statistics.median(n / r["stream_s"] for r in res)
        wall = statistics.median(n / (r["stream_s"] + r["prepare_s"]) for r in res)
        prep = statistics.median(r["prepare_s"] for r in res)
        print(
            f"{label:>20s} {stream:12.3g} {wall:10.3g} {prep:10.2f} {res[0]['efficiency']:6.3f} {res[0]['size_MB']:7.0f}",
            flush=True,
        )


def command(n, repeat, tmp):
    """``darktmm generate`` (7Be SM, unweighted) end to end, median of ``repeat`` runs."""
    path = os.path.join(tmp, "cli.root")
    argv = [sys.executable, "-m", "darktmm.simulate.cli", "generate", "borexino", "--component", "7Be"]
    argv += ["--kind", "sm", "--unweighted", "--events", str(n), "--out", path, "--json"]
    inner, outer = [], []
    for k in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run(argv + ["--seed", str(1 + k)], capture_output=True, text=True, check=True)
        outer.append(time.perf_counter() - t0)
        inner.append(json.loads(out.stdout)["timing_s"])
        os.unlink(path)
    print(
        f"\ndarktmm generate borexino --component 7Be --kind sm --unweighted --events {n:.0e} (median of {repeat}):"
    )
    print(
        f"  command timing_s {statistics.median(inner):.2f} s -> {n / statistics.median(inner):.3g} events/s"
    )
    print(
        f"  whole process    {statistics.median(outer):.2f} s -> {n / statistics.median(outer):.3g} events/s"
    )


#: The issue-9 goal: the whole process, >= 8e5 events/s on one core (100x DarkNews).
BABAR_COMMAND = "generate babar --events 2e6 --unweighted --m-ap 1GeV --eps 1e-3 --gamma-dark 10keV"


def whole_process(repeat, tmp):
    """The BaBar command of issue 9 as a whole process (interpreter start included), with where the
    time goes: interpreter + CLI start, the command's phases, and the rest."""
    path = os.path.join(tmp, "ev.root")
    argv = [sys.executable, "-m", "darktmm.simulate.cli", *BABAR_COMMAND.split(), "--out", path, "--json"]
    walls, phases, n = [], [], 2_000_000
    for k in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run(argv + ["--seed", str(1 + k)], capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - t0)
        s = json.loads(out.stdout)
        phases.append({**s["phases_s"], "command": s["timing_s"]})
        os.unlink(path)
    t_start = [w - p["command"] for w, p in zip(walls, phases)]
    print(f"\ndarktmm {BABAR_COMMAND} --out ev.root (median of {repeat}, load {os.getloadavg()[0]:.2f}):")
    w = statistics.median(walls)
    print(f"  whole process {w:.2f} s -> {n / w:.3g} events/s (goal 8e5)")
    print(f"  {'interpreter + CLI start':>26s} {statistics.median(t_start):6.2f} s")
    for key in phases[0]:
        if key != "command" and phases[0][key] is not None:
            print(f"  {key:>26s} {statistics.median(p[key] for p in phases):6.2f} s")


def memory(n, tmp):
    from darktmm.simulate.sampler import CHUNK

    print(f"\npeak memory writing {n:.0e} unweighted events (fresh process each, chunk {CHUNK}):")
    print(
        f"{'process':>20s} {'heap':>7s} {'peak RSS MB':>12s} {'RSS before streaming MB':>24s} {'stream s':>9s} {'file MB':>8s}"
    )
    for label, (proc, opt) in PROCESSES.items():
        for heap in ("system", "tuned"):
            path = os.path.join(tmp, "m.root")
            r = _fresh(
                _setup(heap) + f"from bench_events import _run; r = _run({proc!r}, {opt!r}, {n}, {path!r}); "
                "r['peak_MB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024; print(json.dumps(r))"
            )
            os.unlink(path)
            print(
                f"{label:>20s} {heap:>7s} {r['peak_MB']:12.0f} {r['rss_prepared_MB']:24.0f} {r['stream_s']:9.1f} {r['size_MB']:8.0f}",
                flush=True,
            )


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-events", type=int, default=10_000_000, help="0 skips the memory test")
    ap.add_argument("--heap", choices=("system", "tuned"), default="system", help=argparse.SUPPRESS)
    ap.add_argument("--only-throughput", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only-command", action="store_true", help="only the whole-process BaBar command")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only_command:
            whole_process(args.repeat, tmp)
            return
        if args.only_throughput:  # one table in this (fresh) process
            throughput(args.events, args.repeat, tmp, args.heap)
            return
        for heap in ("system", "tuned"):
            throughput_table(args.events, args.repeat, heap)
        command(args.events, args.repeat, tmp)
        whole_process(args.repeat, tmp)
        if args.memory_events:
            memory(args.memory_events, tmp)


if __name__ == "__main__":
    main()
