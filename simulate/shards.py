"""Sharded event production: a plan, one shard function, a manifest, resume, and merge.

What to use
-----------
* :func:`generate` ``(config, out, shards=K, executor=...)`` produces ``--out ev.root --shards K``
  on any executor of :mod:`darktmm.simulate.scale` (serial by default) and returns the manifest.
* For batch farms without a scheduler (as MadGraph gridpacks work): :func:`prepare`
  ``(config, out, shards=K)`` once, then :func:`run_shard` ``(run_dir, j)`` for j = 0..K-1 from a
  job array, then :func:`finalize` ``(run_dir)``. Both paths call the same shard function
  (:func:`produce_shard`) and write the same files.
* :func:`merge` ``(manifest, out)`` streams the shards into one file with bounded memory; the
  result holds the same objects as ROOT's ``hadd`` of the shards (events concatenated, runinfo
  rows concatenated, histograms added).
* :func:`recombine` gives sigma +- dsigma and the counters of the whole run from the per-block
  sums stored in the shards: bit for bit those of the serial run.

Layout of ``out = ev.root, shards = K``: ``ev.shard00000.root`` ... ``ev.shard{K-1:05d}.root``
(each with its own ``events`` tree, ``runinfo`` including the per-block sums, and ``h_*``
histograms), ``ev.plan.json`` (the plan: resolved card, pickled VEGAS map, w_max, per-block
sums, shard table) and ``ev.manifest.json`` (the index: ``"shards": [{"file", "entries",
"sha256", ...}]`` in stream order, plus the plan, map fingerprint, versions, seed and card).
``TChain("events")`` with ``Add("ev.shard*.root")``, ``RDataFrame("events", "ev.shard*.root")``,
``uproot.concatenate("ev.shard*.root:events")`` and ``uproot.iterate(...)`` read the glob;
temporary files start with a dot, so the glob never matches them. ROOT adds wildcard files in
name order (stream order); uproot expands a glob in directory order, so for stream order pass
``files(manifest)`` (``{path: "events"}`` in order) or ``sorted(glob.glob(...))``.

Seeding and the plan
--------------------
Block k of the event stream is ``Generator(PCG64(SeedSequence(seed, spawn_key=(0, k))))``, as in
:mod:`darktmm.simulate.sampler`. A shard is a contiguous range of blocks; the stream depends on
the seed and the card only (not the number of shards, workers, the scheduler, the completion
order or retries; a retried task recomputes the same blocks). The client trains and freezes the
VEGAS map and runs the pilot once (one w_max for every shard); workers get the pickled map.

A run of n unweighted events ends inside the block where the n-th event is accepted, and an
event's number (1, 2, ...) is its place in the whole stream: a shard must know how many events
the blocks before it accept. So the plan makes a *counting pass* first: every block's trials and
accept-reject step, without building events (2.5 % of the generation time for Borexino 7Be,
~30 % for NA64, whose integrand is the expensive part), in parallel on the executor. It gives
each block's sums (trials, accepted, sum v, sum v^2, sum of weights, ...), hence the exact last
block, each shard's event count and first event number, and sigma +- dsigma of the whole run
before any event is written. The shards are then equal block ranges ([j B / K, (j+1) B / K) of
the B blocks), and their concatenation is the serial ``darktmm generate`` output of the same
seed and card, branch by branch; each shard checks its own per-block sums against the plan's.

Writes, resume and signals
--------------------------
Each shard is written to a temporary name (``simulate.rootio.partial_name``) and renamed when
complete. ``resume=True`` sweeps temporary files left by killed writers, keeps the shards whose
runinfo matches the plan and whose sha256 matches the manifest (when recorded), and produces
only the others. SIGTERM is turned into KeyboardInterrupt in the client; an interrupted client
cancels the open tasks, closes the cluster it started and sweeps the temporary files: complete
shards stay, partial ones do not.

>>> from darktmm.simulate.commands import generate as gen
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> cfg = gen.resolve({"process": "borexino", "events": 3000, "unweighted": True, "block": 1024,
...                      "pilot": 4096, "train_nitn": 3, "borexino": {"component": "pep"}})
>>> man = generate(cfg, d / "ev.root", shards=3)
>>> [s["file"] for s in man["shards"]], sum(s["entries"] for s in man["shards"])
(['ev.shard00000.root', 'ev.shard00001.root', 'ev.shard00002.root'], 3000)
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import math
import os
import signal
import time
from pathlib import Path

import numpy as np

from darktmm.simulate import rootio
from darktmm.simulate.common import _json_default
from darktmm.simulate.rootio import OutputError
from darktmm.simulate.sampler import BLOCK_FIELDS, BlockResult, EventRun, RunStats
from darktmm.spectra.validate import ParameterError

FORMAT_PLAN = "darktmm-plan/1"
FORMAT_MANIFEST = "darktmm-manifest/1"
#: Card keys that do not change the events (left out of the plan's identity).
NOT_EVENT_KEYS = ("out", "json", "plot", "data_dir")

_CACHE: dict = {}  # per process: plan id -> built process

#: The module that knows the generate card: ``SCHEMA``, ``resolve``, ``build_process`` and
#: ``run_options``. Named, not imported, so that the ``generate`` command can import this module
#: without an import circle (tests/test_import_graph.py).
CARD_MODULE = "darktmm.simulate.commands.generate"


def _card_api():
    import importlib

    return importlib.import_module(CARD_MODULE)


def _demo_config():
    """A tiny run card for the doctests (2000 unweighted pep events in blocks of 1024)."""
    gen = _card_api()

    card = {"process": "borexino", "events": 2000, "unweighted": True, "block": 1024, "pilot": 4096}
    return gen.resolve({**card, "train_nitn": 3, "borexino": {"component": "pep"}})


_DEMO: list = []


def _demo():
    """(directory, manifest) of a tiny 2-shard run made once per process (doctests)."""
    if not _DEMO:
        import tempfile

        d = Path(tempfile.mkdtemp(prefix="darktmm-shards-"))
        cfg = _demo_config()
        cfg["events"] = 2000
        man = generate(cfg, d / "ev.root", shards=2)
        _DEMO.append((d, man))
    return _DEMO[0]


# --- names ------------------------------------------------------------------------------------------
def shard_path(out, j: int) -> Path:
    """``ev.root`` -> ``ev.shard0000j.root`` (the layout of issue 11).

    >>> shard_path("runs/ev.root", 3).as_posix()
    'runs/ev.shard00003.root'
    """
    p = Path(out)
    return p.with_name(f"{p.stem}.shard{int(j):05d}{p.suffix}")


def manifest_path(out) -> Path:
    """``ev.root`` -> ``ev.manifest.json``.

    >>> manifest_path("runs/ev.root").name
    'ev.manifest.json'
    """
    p = Path(out)
    return p.with_name(f"{p.stem}.manifest.json")


def plan_path(out) -> Path:
    """``ev.root`` -> ``ev.plan.json``.

    >>> plan_path("ev.root").name
    'ev.plan.json'
    """
    p = Path(out)
    return p.with_name(f"{p.stem}.plan.json")


def _check_out(out) -> Path:
    p = Path(out)
    if p.suffix.lower() != ".root":
        raise ParameterError(f"--out {p}: sharded output must be a .root file name")
    rootio.check_writable(p)
    return p


def event_card(config: dict) -> str:
    """The card text that decides the events (output names and printing left out).

    >>> from darktmm.simulate.commands import generate as gen
    >>> a = gen.resolve({"process": "na64", "events": 10, "out": "a.root"})
    >>> b = gen.resolve({"process": "na64", "events": 10, "out": "b.root", "json": True})
    >>> event_card(a) == event_card(b)
    True
    """
    from darktmm.simulate import cards

    gen = _card_api()

    return cards.to_toml(gen.SCHEMA, {k: v for k, v in config.items() if k not in NOT_EVENT_KEYS})


def _sha256(path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _write_json(path, obj):
    with rootio.atomic_path(path, ".json") as tmp:
        Path(tmp).write_text(json.dumps(obj, indent=1, default=_json_default) + "\n")


# --- the process and the frozen run on a worker ----------------------------------------------------
def _process(job: dict):
    proc = _CACHE.get(job["plan_id"])
    if proc is None:
        gen = _card_api()

        cfg = dict(job["config"])
        profiles = None
        if cfg["process"] == "borexino":
            from darktmm.detectors import borexino

            profiles = borexino.production_profiles(cfg["data_dir"])
        proc = gen.build_process(cfg, profiles)
        _CACHE.clear()
        _CACHE[job["plan_id"]] = proc
    return proc


def _frozen_run(job: dict, process=None, **kw) -> EventRun:
    gen = _card_api()

    cfg = job["config"]
    opts = gen.run_options(cfg)
    return EventRun(process or _process(job), cfg["events"], **opts, frozen=job["frozen"], **kw)


def count_range(krange, job: dict) -> dict:
    """The counting pass over blocks [k0, k1): per-block sums (``BLOCK_FIELDS`` lists), no events.

    Unweighted blocks take all their accepted events (the run's last block is redone by the
    plan with its true take); weighted blocks use the trials the run has left at that block.

    >>> plan = load_plan(_demo()[0])
    >>> count_range((0, 2), _job(plan))["take"] == plan["block_sums"]["take"][:2]
    True
    """
    k0, k1 = (int(x) for x in krange)
    run = _frozen_run(job)
    run.prepare()
    out = {f: [] for f in BLOCK_FIELDS}
    n, block = run.n, run.block
    for k in range(k0, k1):
        left = n if run.unweighted else n - k * block
        r = run.run_block(k, left, build=False)
        for f in BLOCK_FIELDS:
            out[f].append(getattr(r, f))
    return out


def _ranges(k0: int, k1: int, parts: int) -> list[tuple[int, int]]:
    n = k1 - k0
    parts = max(1, min(parts, n))
    return [(k0 + i * n // parts, k0 + (i + 1) * n // parts) for i in range(parts)]


def _count(executor, job_f, k0, k1, parts) -> dict:
    got = {}
    rs = _ranges(k0, k1, parts)
    for i, res in executor.imap(count_range, rs, job_f):
        got[i] = res
    out = {f: [] for f in BLOCK_FIELDS}
    for i in range(len(rs)):
        for f in BLOCK_FIELDS:
            out[f].extend(got[i][f])
    return out


# --- the plan ----------------------------------------------------------------------------------------
def prepare(config: dict, out, *, shards: int, executor=None, progress=None) -> dict:
    """Train and freeze the map, run the pilot and the counting pass once; write ``ev.plan.json``.

    ``config`` is a resolved run card (``darktmm.simulate.commands.generate.resolve``); ``out`` the
    ``.root`` name the shards derive from. Returns the plan (a dict). ``executor`` runs the
    counting pass (serial by default).

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> plan = prepare(_demo_config(), d / "ev.root", shards=2)
    >>> t = plan["shards"]
    >>> t[0]["first_event"], t[1]["first_event"] == 1 + t[0]["entries"], plan["events"]
    (1, True, 2000)
    """
    from darktmm.simulate import cards

    gen = _card_api()
    from darktmm.simulate.common import versions
    from darktmm.simulate.scale import SerialExecutor
    from darktmm.spectra.integrate import map_fingerprint

    out = _check_out(out)
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ParameterError(f"--shards = {shards!r} must be a whole number >= 1")
    executor = executor or SerialExecutor()
    t0 = time.perf_counter()
    cfg = dict(config)
    asked = event_card(cfg)
    profiles = None
    if cfg["process"] == "borexino":
        from darktmm.detectors import borexino

        profiles = borexino.production_profiles(cfg["data_dir"])
    process = gen.build_process(cfg, profiles)  # fills train_neval
    run = EventRun(process, cfg["events"], **gen.run_options(cfg))
    frozen = run.freeze()
    amap = run.vegas.map
    fp = map_fingerprint(amap)
    ecard = event_card(cfg)
    plan_id = hashlib.sha256((ecard + fp + repr(frozen["w_max"])).encode()).hexdigest()[:16]
    job = {"config": cfg, "frozen": frozen, "plan_id": plan_id}
    _CACHE[plan_id] = process
    t1 = time.perf_counter()
    n, block = run.n, run.block
    parts = max(shards, 4 * executor.nworkers)
    job_f = executor.scatter(job)
    if run.unweighted:
        eff = frozen["sigma_vegas"] / frozen["w_max"] if frozen["w_max"] > 0 else 0.0
        eff = min(max(eff, 1e-9), 1.0)
        margin = 4.0 * (1.0 / math.sqrt(eff * max(frozen["pilot_trials"], 1)) + 1.0 / math.sqrt(n))
        blocks = {f: [] for f in BLOCK_FIELDS}
        got = 0
        while got < n:
            k0 = len(blocks["k"])
            more = int(math.ceil((n - got) * (1 + margin) / (eff * block))) + 1
            res = _count(executor, job_f, k0, k0 + more, parts)
            for f in BLOCK_FIELDS:
                blocks[f].extend(res[f])
            got += int(sum(res["take"]))
        cum = np.cumsum(blocks["take"])
        last = int(np.searchsorted(cum, n))  # first block where the n-th event is accepted
        blocks = {f: v[: last + 1] for f, v in blocks.items()}
        before = int(cum[last - 1]) if last > 0 else 0
        run.prepare()
        r = run.run_block(last, n - before, build=False)  # the true take of the last block
        for f in BLOCK_FIELDS:
            blocks[f][last] = getattr(r, f)
    else:
        nb = int(math.ceil(n / block))
        blocks = _count(executor, job_f, 0, nb, parts)
    B = len(blocks["k"])
    if shards > B:
        raise ParameterError(
            f"--shards = {shards} exceeds the {B} blocks of this run; use at most {B} shards (or a smaller block)"
        )
    take = np.asarray(blocks["take"], dtype=np.int64)
    table = []
    for j in range(shards):
        k0, k1 = j * B // shards, (j + 1) * B // shards
        entries = int(take[k0:k1].sum())
        if entries == 0:
            raise ParameterError(f"shard {j} (blocks {k0}-{k1 - 1}) would hold no events; use fewer shards")
        table.append(
            {
                "index": j,
                "file": shard_path(out, j).name,
                "blocks": [k0, k1],
                "entries": entries,
                "first_event": 1 + int(take[:k0].sum()),
                "left": entries if run.unweighted else n - k0 * block,
            }
        )
    plan = {
        "format": FORMAT_PLAN,
        "plan_id": plan_id,
        "out": out.name,
        "shards": table,
        "n_shards": shards,
        "events": int(take.sum()),
        "blocks_total": B,
        "block": block,
        "mode": "unweighted" if run.unweighted else "weighted",
        "seed": cfg["seed"],
        "w_max": frozen["w_max"],
        "map_fingerprint": fp,
        "map_pickle_b64": base64.b64encode(frozen["map"]).decode(),
        "map_bytes": len(frozen["map"]),
        "frozen": {k: v for k, v in frozen.items() if k != "map"},
        "config": cfg,
        "card": cards.to_toml(gen.SCHEMA, cfg),
        "event_card": ecard,
        "event_card_asked": asked,
        "versions": versions(),
        "block_sums": blocks,
        "timing_s": {"train_pilot_s": t1 - t0, "count_s": time.perf_counter() - t1},
    }
    plan["summary"] = _summary(plan, process)
    _write_json(plan_path(out), plan)
    return plan


def load_plan(path) -> dict:
    """Read ``ev.plan.json`` (or the one plan of a run directory).

    >>> load_plan(_demo()[0])["n_shards"]
    2
    """
    p = Path(path)
    if p.is_dir():
        found = sorted(p.glob("*.plan.json"))
        if len(found) != 1:
            raise ParameterError(f"--run-dir {p}: expected one *.plan.json, found {len(found)}")
        p = found[0]
    try:
        plan = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ParameterError(f"plan {p}: cannot read ({exc})") from None
    if plan.get("format") != FORMAT_PLAN:
        raise ParameterError(f"plan {p}: not a darktmm plan")
    plan["_path"] = str(p)
    return plan


def _job(plan: dict) -> dict:
    frozen = dict(plan["frozen"])
    frozen["map"] = base64.b64decode(plan["map_pickle_b64"])
    return {
        "config": plan["config"],
        "frozen": frozen,
        "plan_id": plan["plan_id"],
        "card": plan["card"],
        "n_shards": plan["n_shards"],
        "shards": plan["shards"],
    }


def _stats_of(blocks: dict, frozen: dict) -> RunStats:
    st = RunStats()
    for i in range(len(blocks["k"])):
        st.add(BlockResult.from_record(blocks, i))
    st.w_max = float(frozen["w_max"])
    st.pilot_trials = int(frozen.get("pilot_trials", 0))
    st.sigma_vegas = float(frozen["sigma_vegas"])
    st.sigma_vegas_err = float(frozen["sigma_vegas_err"])
    return st


def _summary(plan: dict, process) -> dict:
    gen = _card_api()

    run = EventRun(process, plan["config"]["events"], **gen.run_options(plan["config"]))
    run.stats = _stats_of(plan["block_sums"], plan["frozen"])
    s = run.summary()
    s.pop("timing_s", None)
    return s


# --- the shard function ------------------------------------------------------------------------------
def produce_shard(j: int, job: dict, out_dir: str) -> dict:
    """Write shard j of the plan (atomic) and return its record (file, entries, sha256, sums).

    The one shard function: called by the executor's tasks and by :func:`run_shard`.

    >>> import tempfile
    >>> d, man = _demo()
    >>> rec = produce_shard(1, _job(load_plan(d)), tempfile.mkdtemp())
    >>> rec["entries"] == man["shards"][1]["entries"], rec["first_event"] == man["shards"][1]["first_event"]
    (True, True)
    """
    from darktmm.simulate import eventio

    t = job["shards"][int(j)]
    path = Path(out_dir) / t["file"]
    k0, k1 = t["blocks"]
    run = _frozen_run(job, blocks=(k0, k1), left=t["left"], first_event=t["first_event"], record_blocks=True)
    cfg = job["config"]
    info = {
        "command": f"generate {cfg['process']} (shard)",
        "shard": int(j),
        "shards": int(job["n_shards"]),
        "plan_id": job["plan_id"],
        "block_first": int(k0),
        "block_stop": int(k1),
        "shard_entries": int(t["entries"]),
    }
    t0 = time.perf_counter()
    summary = eventio.write_root(
        path, run, compression_spec=cfg["compression"], card_toml=job["card"], info=info
    )
    if summary["events_written"] != t["entries"]:
        raise RuntimeError(
            f"shard {j}: wrote {summary['events_written']} events, the plan says {t['entries']}"
        )
    return {
        "index": int(j),
        "file": t["file"],
        "entries": int(summary["events_written"]),
        "first_event": int(t["first_event"]),
        "blocks": [int(k0), int(k1)],
        "sha256": _sha256(path),
        "bytes": path.stat().st_size,
        "seconds": time.perf_counter() - t0,
        "host": os.uname().nodename,
        "pid": os.getpid(),
        "sums": summary["blocks"],
    }


def _produce_task(j, job, out_dir):
    return produce_shard(j, job, out_dir)


def _check_sums(plan: dict, rec: dict):
    k0, k1 = rec["blocks"]
    want = {f: v[k0:k1] for f, v in plan["block_sums"].items()}
    if any(list(want[f]) != list(rec["sums"][f]) for f in BLOCK_FIELDS):
        raise RuntimeError(
            f"shard {rec['index']}: its per-block sums differ from the plan's counting pass "
            f"(on {rec.get('host')}): the event stream is not reproducible there"
        )


def read_runinfo(path) -> dict:
    """The runinfo record (``runinfo_json``) of a darktmm ROOT file.

    >>> d, man = _demo()
    >>> read_runinfo(d / "ev.shard00001.root")["first_event"] == man["shards"][1]["first_event"]
    True
    """
    return rootio.read_runinfo(str(path))[0]


def verify_shard(plan: dict, j: int, out_dir, sha256: str | None = None) -> dict | None:
    """The record of shard j when its file is complete and belongs to this plan, else None.

    Checks the runinfo (plan id, shard, block range, entries, per-block sums) and, when given,
    the sha256 recorded in the manifest.

    >>> d, man = _demo()
    >>> verify_shard(load_plan(d), 0, d)["entries"] == man["shards"][0]["entries"]
    True
    >>> verify_shard(load_plan(d), 0, d, sha256="0" * 64) is None   # not the recorded file
    True
    """
    t = plan["shards"][j]
    path = Path(out_dir) / t["file"]
    if not path.is_file():
        return None
    try:
        info = read_runinfo(path)
    except Exception:  # noqa: BLE001 - any unreadable file is not a complete shard
        return None
    k0, k1 = t["blocks"]
    if (
        info.get("plan_id") != plan["plan_id"]
        or info.get("shard") != j
        or [info.get("block_first"), info.get("block_stop")] != [k0, k1]
        or info.get("events_written") != t["entries"]
    ):
        return None
    rec = {"index": j, "file": t["file"], "entries": t["entries"], "first_event": t["first_event"]}
    rec.update(blocks=[k0, k1], sums=info.get("blocks"))
    try:
        _check_sums(plan, rec)
    except RuntimeError:
        return None
    sha = _sha256(path)
    if sha256 is not None and sha != sha256:
        return None
    rec.update(sha256=sha, bytes=path.stat().st_size)
    return rec


# --- the manifest ------------------------------------------------------------------------------------
def _manifest(plan: dict, done: dict) -> dict:
    shards = []
    for t in plan["shards"]:
        r = done.get(t["index"])
        shards.append(
            {
                "index": t["index"],
                "file": t["file"],
                "entries": t["entries"],
                "first_event": t["first_event"],
                "blocks": t["blocks"],
                "sha256": r["sha256"] if r else None,
                "bytes": r["bytes"] if r else None,
            }
        )
    plan_info = {
        k: plan[k]
        for k in ("plan_id", "n_shards", "events", "blocks_total", "block", "mode", "w_max", "map_bytes")
    }
    plan_info["file"] = Path(plan.get("_path") or plan_path(plan["out"])).name
    return {
        "format": FORMAT_MANIFEST,
        "complete": len(done) == len(plan["shards"]),
        "out": plan["out"],
        "events": plan["events"],
        "shards": shards,
        "plan": plan_info,
        "map_fingerprint": plan["map_fingerprint"],
        "versions": plan["versions"],
        "seed": plan["seed"],
        "card": plan["card"],
        "summary": plan["summary"],
    }


def files(manifest, tree: str | None = None):
    """The shard paths of a manifest in stream order; with ``tree``, as ``{path: tree}`` for
    ``uproot.concatenate``/``uproot.iterate``.

    >>> import uproot
    >>> d, man = _demo()
    >>> len(uproot.concatenate(files(d / "ev.manifest.json", tree="events"), ["event"]))
    2000
    """
    m = Path(manifest)
    paths = [str(m.parent / s["file"]) for s in load_manifest(m)["shards"]]
    return paths if tree is None else {p: tree for p in paths}


def load_manifest(path) -> dict:
    """Read and check ``ev.manifest.json``.

    >>> d, man = _demo()
    >>> load_manifest(d / "ev.manifest.json")["complete"]
    True
    """
    p = Path(path)
    try:
        man = json.loads(p.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ParameterError(f"manifest {p}: cannot read ({exc})") from None
    if man.get("format") != FORMAT_MANIFEST:
        raise ParameterError(f"manifest {p}: not a darktmm manifest")
    return man


def _sweep(out, plan_shards: int | None = None):
    out = Path(out)
    names = [manifest_path(out), plan_path(out)]
    names += [out.parent / q.name for q in out.parent.glob(f"{out.stem}.shard*{out.suffix}")]
    if plan_shards is not None:
        names += [shard_path(out, j) for j in range(plan_shards)]
    gone = []
    for p in set(names):
        gone += rootio.sweep_partials(p)
    gone += [q for q in out.parent.glob(f".{out.stem}.shard*.{rootio.PARTIAL_TAG}.*") if _unlink(q)]
    return gone


def _unlink(p) -> bool:
    with contextlib.suppress(FileNotFoundError):
        p.unlink()
        return True
    return False


@contextlib.contextmanager
def _sigterm_as_interrupt():
    """In the main thread: SIGTERM raises KeyboardInterrupt (cleanup as for Ctrl-C)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


def generate(
    config: dict, out, *, shards: int, executor=None, resume: bool = False, progress=None, force: bool = False
) -> dict:
    """Produce ``out`` as ``shards`` shard files and a manifest; return the manifest.

    ``resume``: keep the complete shards of an earlier run of the same card and shard count (and
    its plan), produce the rest. Without it, the files of an earlier run of this ``out`` are an
    OutputError unless ``force`` (then they are replaced). ``progress(k)`` is called with the
    events of each completed shard.
    """
    from darktmm.simulate.scale import SerialExecutor

    out = _check_out(out)
    executor = executor or SerialExecutor()
    with _sigterm_as_interrupt():
        plan = None
        if resume and plan_path(out).is_file():
            plan = load_plan(plan_path(out))
            same = event_card(config) in (plan["event_card"], plan.get("event_card_asked"))
            if not same or plan["n_shards"] != shards:
                raise ParameterError(
                    f"--resume: {plan_path(out)} was made for another card or shard count; "
                    "run without --resume to start again"
                )
        _sweep(out, None if plan is None else plan["n_shards"])
        if plan is None:
            old_files = list(out.parent.glob(f"{out.stem}.shard*{out.suffix}"))
            old_files += [q for q in (manifest_path(out), plan_path(out)) if q.exists()]
            if old_files and not force:
                raise OutputError(
                    f"--out {out}: {old_files[0].name} of an earlier run exists; add --resume to "
                    "continue it or --force to replace it"
                )
            for q in out.parent.glob(f"{out.stem}.shard*{out.suffix}"):
                q.unlink()
            for q in (manifest_path(out), plan_path(out)):
                _unlink(q)
            plan = prepare(config, out, shards=shards, executor=executor)
            plan["_path"] = str(plan_path(out))
        old = {}
        if manifest_path(out).is_file():
            with contextlib.suppress(ParameterError):
                m = load_manifest(manifest_path(out))
                if m["plan"]["plan_id"] == plan["plan_id"]:
                    old = {s["index"]: s.get("sha256") for s in m["shards"]}
        done = {}
        for j in range(plan["n_shards"]):
            if shard_path(out, j).exists():
                rec = verify_shard(plan, j, out.parent, old.get(j))
                if rec is None:
                    shard_path(out, j).unlink()
                else:
                    done[j] = rec
                    if progress:
                        progress(rec["entries"])
        _write_json(manifest_path(out), _manifest(plan, done))
        todo = [j for j in range(plan["n_shards"]) if j not in done]
        kept = sorted(done)
        tasks = iter(())
        try:
            if todo:
                job_f = executor.scatter(_job(plan))
                last = time.monotonic()
                tasks = executor.imap(_produce_task, todo, job_f, str(out.parent))
                for _, rec in tasks:
                    _check_sums(plan, rec)
                    done[rec["index"]] = rec
                    if progress:
                        progress(rec["entries"])
                    if time.monotonic() - last > 1.0 or len(done) == plan["n_shards"]:
                        _write_json(manifest_path(out), _manifest(plan, done))
                        last = time.monotonic()
        except BaseException:
            with contextlib.suppress(Exception):
                tasks.close()  # cancels the tasks not yet done (an attached cluster keeps running)
            if getattr(executor, "cluster", None) is not None:
                executor.close()  # stop the workers before sweeping their temporary files
            _sweep(out, plan["n_shards"])
            with contextlib.suppress(Exception):
                _write_json(manifest_path(out), _manifest(plan, done))
            raise
        _sweep(out, plan["n_shards"])  # temporary files of killed (and retried) attempts
        man = _manifest(plan, done)
        man["kept"] = kept
        _write_json(manifest_path(out), man)
        return man


def run_shard(run_dir, j: int) -> dict:
    """Batch-farm entry: produce shard j of the plan in ``run_dir`` (or a plan file); its record.

    A complete, valid shard is kept as it is. Temporary files of an earlier attempt of this
    shard are removed first (a job array runs each shard once at a time).

    >>> d, man = _demo()
    >>> run_shard(d, 0)["sha256"] == man["shards"][0]["sha256"]   # complete: kept
    True
    """
    plan = load_plan(run_dir)
    out_dir = Path(plan["_path"]).parent
    n = plan["n_shards"]
    if isinstance(j, bool) or not isinstance(j, (int, np.integer)) or not 0 <= j < n:
        raise ParameterError(f"--shard = {j!r} must be in 0-{n - 1}")
    j = int(j)
    rootio.sweep_partials(out_dir / plan["shards"][j]["file"])
    rec = verify_shard(plan, j, out_dir)
    if rec is not None:
        return rec
    rec = produce_shard(j, _job(plan), str(out_dir))
    _check_sums(plan, rec)
    return rec


def finalize(run_dir) -> dict:
    """Batch-farm end: verify every shard of the plan in ``run_dir`` and write the manifest.

    >>> d, man = _demo()
    >>> finalize(d)["complete"]
    True
    """
    plan = load_plan(run_dir)
    out_dir = Path(plan["_path"]).parent
    done = {}
    for j in range(plan["n_shards"]):
        rec = verify_shard(plan, j, out_dir)
        if rec is not None:
            done[j] = rec
    man = _manifest(plan, done)
    _write_json(out_dir / manifest_path(plan["out"]).name, man)
    return man


def recombine(paths) -> dict:
    """sigma +- dsigma and the counters of the run from the per-block sums in its shard files
    (in stream order): bit for bit the serial run's (the float sums are added block by block).

    >>> d, man = _demo()
    >>> rc = recombine(files(d / "ev.manifest.json"))
    >>> rc["sigma"] == man["summary"]["sigma"], rc["events_written"]
    (True, 2000)
    """
    infos = [read_runinfo(p) for p in paths]
    infos.sort(key=lambda i: i["block_first"])
    blocks = {f: [] for f in BLOCK_FIELDS}
    for i in infos:
        for f in BLOCK_FIELDS:
            blocks[f].extend(i["blocks"][f])
    if blocks["k"] != list(range(len(blocks["k"]))):
        raise ParameterError("the shards do not cover blocks 0, 1, ... without a gap")
    st = _stats_of(blocks, infos[0])
    N = max(st.trials, 1)
    mean = st.sum_v / N
    var = max(st.sum_v2 / N - mean * mean, 0.0)
    return {
        "sigma": mean,
        "sigma_err": math.sqrt(var / N),
        "trials": st.trials,
        "accepted": st.accepted,
        "events_written": st.written,
        "events_above_wmax": st.above_wmax,
        "sum_weights": st.sum_weights,
        "sum_weights2": st.sum_weights2,
        "v_max": st.v_max,
    }


# --- merge ---------------------------------------------------------------------------------------------
def merge(manifest, out, *, force: bool = False, step: int = 100_000, verify: bool = True) -> dict:
    """Stream the shards of ``manifest`` into one ROOT file ``out`` (atomic, bounded memory).

    The file holds what ``hadd out ev.shard*.root`` makes: the ``events`` trees concatenated in
    stream order (same branches, types and titles), the ``runinfo`` rows of every shard, each
    shard's ``runinfo_json`` and ``runinfo_card`` strings (cycles 1, 2, ... in stream order, as
    hadd keeps objects it cannot add; ``f["runinfo_json"]`` is the last shard's), and each
    ``h_*`` histogram added over the shards. ``step`` events are held at a time.
    ``verify`` checks each shard's sha256 against the manifest first.

    >>> d, man = _demo()
    >>> merge(d / "ev.manifest.json", d / "merged.root", force=True)["events"]
    2000
    """
    import awkward as ak
    import uproot

    from darktmm.simulate import eventio

    mpath = Path(manifest)
    man = load_manifest(mpath)
    if not man["complete"] or any(s["sha256"] is None for s in man["shards"]):
        missing = [s["index"] for s in man["shards"] if s["sha256"] is None]
        raise ParameterError(f"{mpath}: shards {missing[:5]} are not produced yet; resume the run first")
    out = Path(out)
    rootio.check_writable(out)
    if out.exists() and not force:
        raise OutputError(f"--out {out} exists; add --force to replace it")
    paths = [mpath.parent / s["file"] for s in man["shards"]]
    for s, p in zip(man["shards"], paths):
        if not p.is_file():
            raise ParameterError(f"{mpath}: shard file {p} is missing")
        if verify and _sha256(p) != s["sha256"]:
            raise ParameterError(f"{mpath}: shard file {p} does not match its sha256 in the manifest")
    comp = "lz4"
    with contextlib.suppress(Exception):
        import tomllib

        comp = tomllib.loads(man["card"]).get("compression", comp)
    with uproot.open(paths[0]) as f0:
        t0 = f0["events"]
        tree_title = t0.title
        titles = {b.name: b.title for b in t0.branches}
        hist_names = [k.split(";")[0] for k, c in f0.classnames().items() if c.startswith("TH1")]
        ri = f0["runinfo"]
        ri_titles = {b.name: b.title for b in ri.branches}
        ri_title = ri.title
    n_written = 0
    with rootio.atomic_root(out, compression=eventio.compression(comp)) as fo:
        tree = None
        for p in paths:
            with uproot.open(p) as f:
                for arr in f["events"].iterate(step_size=step, library="ak"):
                    cols = _event_columns(arr)
                    if tree is None:
                        types = {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in cols.items()}
                        tree = fo.mktree("events", types, title=tree_title)
                        rootio.set_branch_titles(tree, titles)
                    tree.extend(cols)
                    n_written += len(arr)
                    del arr, cols
        rtree = None
        for p in paths:
            with uproot.open(p) as f:
                arr = f["runinfo"].arrays(library="ak")
                cols = {k: (arr[k] if arr[k].ndim > 1 else ak.to_numpy(arr[k])) for k in arr.fields}
                if rtree is None:
                    types = {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in cols.items()}
                    rtree = fo.mktree("runinfo", types, title=ri_title)
                    rootio.set_branch_titles(rtree, ri_titles)
                rtree.extend(cols)
        for key in ("runinfo_json", "runinfo_card"):
            for p in paths:
                with uproot.open(p) as f:
                    if key in {k.split(";")[0] for k in f.keys()}:
                        fo[key] = str(f[key])  # one more cycle per shard
        for name in hist_names:
            fo[name] = _sum_th1d(paths, name)
    return {"output": str(out), "events": n_written, "shards": len(paths), "summary": man["summary"]}


def _event_columns(arr) -> dict:
    """uproot-read events back into writable columns: the Particle_* branches as one record list."""
    import awkward as ak

    cols, part = {}, {}
    for k in arr.fields:
        if k == "nParticle":
            continue
        if k.startswith("Particle_"):
            part[k.removeprefix("Particle_")] = arr[k]
        else:
            cols[k] = ak.to_numpy(arr[k])
    if part:
        cols["Particle"] = ak.zip(part)
    return cols


def _sum_th1d(paths, name):
    """The TH1D ``name`` added over files in order, as ``TH1::Merge`` in hadd (contents, Sumw2,
    entries and the statistics sums added; titles and axis of the first)."""
    import uproot
    from uproot.writing.identify import to_TAxis, to_TH1x

    acc = None
    for p in paths:
        with uproot.open(p) as f:
            h = f[name]
            vals = np.asarray(h.values(flow=True), dtype=float)
            sumw2 = np.asarray(h.member("fSumw2"), dtype=float)
            stats = [float(h.member(m)) for m in ("fEntries", "fTsumw", "fTsumw2", "fTsumwx", "fTsumwx2")]
            if acc is None:
                ax = h.member("fXaxis")
                edges = np.asarray(ax.edges(), dtype=float)
                acc = {
                    "title": h.member("fTitle"),
                    "xtitle": ax.member("fTitle"),
                    "ytitle": h.member("fYaxis").member("fTitle"),
                    "edges": edges,
                    "vals": vals.copy(),
                    "sumw2": sumw2.copy(),
                    "stats": stats,
                }
            else:
                acc["vals"] += vals
                acc["sumw2"] += sumw2
                acc["stats"] = [a + b for a, b in zip(acc["stats"], stats)]
    edges = acc["edges"]
    axis = to_TAxis("xaxis", acc["xtitle"], len(edges) - 1, edges[0], edges[-1], edges)
    e, sw, sw2, swx, swx2 = acc["stats"]
    h = to_TH1x(
        name,
        acc["title"],
        acc["vals"],
        fEntries=e,
        fTsumw=sw,
        fTsumw2=sw2,
        fTsumwx=swx,
        fTsumwx2=swx2,
        fSumw2=acc["sumw2"],
        fXaxis=axis,
    )
    h.member("fYaxis")._members["fTitle"] = acc["ytitle"]
    return h


__all__ = [
    "shard_path",
    "manifest_path",
    "plan_path",
    "event_card",
    "prepare",
    "load_plan",
    "count_range",
    "produce_shard",
    "verify_shard",
    "read_runinfo",
    "generate",
    "run_shard",
    "finalize",
    "recombine",
    "load_manifest",
    "files",
    "merge",
]
