"""simulate.shards: sharded productions equal the serial run, resume, faults, signals, merge = hadd.

The reference of every comparison is the serial ``generate`` path (sampler.generate +
eventio.write_root, as ``darktmm generate`` runs it), never the sharded code itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import awkward as ak
import numpy as np
import pytest
import uproot

from darktmm.simulate import eventio, rootio, sampler, scale, shards
from darktmm.simulate.commands import generate as gen
from darktmm.spectra.validate import ParameterError

CARD = {
    "process": "borexino",
    "events": 12_000,
    "block": 1024,
    "pilot": 4096,
    "train_nitn": 3,
    "chunk": 2500,
    "borexino": {"component": "7Be"},
}


def _root_module():
    if os.environ.get("CI"):
        import ROOT  # CI installs the `root` package: this test may not skip there

        return ROOT
    return pytest.importorskip("ROOT")


def _config(**kw):
    card = {**CARD, **kw}
    return gen.resolve(card)


def _serial(cfg, path):
    """The serial `darktmm generate` path: (summary, events array)."""
    from darktmm.detectors import borexino

    proc = gen.build_process(cfg, borexino.production_profiles(cfg["data_dir"]))
    run = sampler.generate(proc, cfg["events"], **gen.run_options(cfg))
    summary = eventio.write_root(path, run, compression_spec=cfg["compression"])
    with uproot.open(path) as f:
        return summary, f["events"].arrays()


def _events(pattern):
    """uproot.concatenate over a glob, in stream order (uproot expands a glob in directory
    order: sort it, or take the manifest's list, shards.files)."""
    import glob

    return uproot.concatenate({p: "events" for p in sorted(glob.glob(str(pattern)))})


def _same_events(a, b):
    assert a.fields == b.fields and len(a) == len(b)
    for f in a.fields:
        assert ak.array_equal(a[f], b[f]), f


def _partials(d):
    return [q.name for q in Path(d).iterdir() if rootio.PARTIAL_TAG in q.name]


SUMMARY_KEYS = (
    "sigma",
    "sigma_err",
    "sigma_vegas",
    "sigma_vegas_err",
    "trials",
    "accepted",
    "events_written",
    "w_max",
    "efficiency",
    "sum_weights",
    "sum_weights2",
    "events_above_wmax",
    "v_max",
)


@pytest.fixture(scope="module", params=["unweighted", "weighted"])
def reference(request, tmp_path_factory):
    d = tmp_path_factory.mktemp(f"ref-{request.param}")
    cfg = _config(unweighted=request.param == "unweighted")
    summary, arr = _serial(cfg, d / "serial.root")
    return cfg, summary, arr


def test_shards_equal_the_serial_run(reference, tmp_path):
    cfg, summary, arr = reference
    man = shards.generate(cfg, tmp_path / "ev.root", shards=4)
    assert man["complete"] and [s["file"] for s in man["shards"]] == [
        f"ev.shard{j:05d}.root" for j in range(4)
    ]
    assert sum(s["entries"] for s in man["shards"]) == summary["events_written"] == len(arr)
    firsts = [s["first_event"] for s in man["shards"]]
    assert firsts == list(np.cumsum([1] + [s["entries"] for s in man["shards"]])[:-1])
    _same_events(arr, _events(tmp_path / "ev.shard*.root"))
    # sigma +- dsigma and every counter: from the manifest and recombined from the shard files
    rc = shards.recombine(sorted(tmp_path.glob("ev.shard*.root")))
    for k in SUMMARY_KEYS:
        assert man["summary"][k] == summary[k], k
        if k in rc:
            assert rc[k] == summary[k], k
    assert not _partials(tmp_path)
    # each shard is a complete darktmm file of its own, histograms included
    with uproot.open(tmp_path / "ev.shard00001.root") as f:
        info = shards.read_runinfo(tmp_path / "ev.shard00001.root")
        assert f["events"].num_entries == man["shards"][1]["entries"] == info["events_written"]
        assert f["h_T"].member("fEntries") == man["shards"][1]["entries"]
        assert len(info["blocks"]["sum_v"]) == info["block_stop"] - info["block_first"]


def test_the_stream_does_not_depend_on_the_shard_count(reference, tmp_path):
    cfg, _, arr = reference
    shards.generate(cfg, tmp_path / "a.root", shards=1)
    shards.generate(cfg, tmp_path / "b.root", shards=7)
    _same_events(arr, _events(tmp_path / "a.shard*.root"))
    _same_events(arr, _events(tmp_path / "b.shard*.root"))


def test_farm_path_writes_the_same_files(tmp_path):
    cfg = _config(unweighted=True)
    man = shards.generate(cfg, tmp_path / "ev.root", shards=3)
    farm = tmp_path / "farm"
    farm.mkdir()
    plan = shards.prepare(cfg, farm / "ev.root", shards=3)
    assert plan["map_bytes"] > 1000 and (farm / "ev.plan.json").is_file()
    for j in (2, 0, 1):  # a job array in any order
        rec = shards.run_shard(farm, j)
        assert rec["entries"] == man["shards"][j]["entries"]
    assert shards.run_shard(farm, 1)["sha256"] == rec["sha256"]  # a complete shard is kept
    fman = shards.finalize(farm)
    assert fman["complete"] and fman["summary"] == man["summary"]
    assert [s["entries"] for s in fman["shards"]] == [s["entries"] for s in man["shards"]]
    _same_events(_events(tmp_path / "ev.shard*.root"), _events(farm / "ev.shard*.root"))
    with pytest.raises(ParameterError, match="--shard"):
        shards.run_shard(farm, 3)


def test_resume_keeps_complete_shards_and_redoes_the_rest(tmp_path):
    cfg = _config(unweighted=True)
    out = tmp_path / "ev.root"
    shards.generate(cfg, out, shards=4)
    full = _events(tmp_path / "ev.shard*.root")
    stamp = {j: shards.shard_path(out, j).stat().st_mtime_ns for j in range(4)}
    # an interrupted run: shard 1 missing, shard 2 tampered with, leftovers of killed writers
    shards.shard_path(out, 1).unlink()
    with open(shards.shard_path(out, 2), "r+b") as fh:
        fh.seek(2000)
        fh.write(b"\0" * 64)
    rootio.partial_name(shards.shard_path(out, 1)).write_bytes(b"half a shard")
    rootio.partial_name(shards.manifest_path(out)).write_bytes(b"{")
    time.sleep(0.01)
    man = shards.generate(cfg, out, shards=4, resume=True)
    assert man["complete"] and man["kept"] == [0, 3]
    assert all(shards.shard_path(out, j).stat().st_mtime_ns == stamp[j] for j in (0, 3))
    assert not _partials(tmp_path)
    _same_events(full, _events(tmp_path / "ev.shard*.root"))
    with pytest.raises(rootio.OutputError, match="--force"):
        shards.generate(cfg, out, shards=4)  # no silent overwrite of a production
    with pytest.raises(ParameterError, match="another card or shard count"):
        shards.generate(cfg, out, shards=5, resume=True)
    with pytest.raises(ParameterError, match="another card or shard count"):
        shards.generate(_config(unweighted=True, seed=2), out, shards=4, resume=True)


def test_bad_shard_requests(tmp_path):
    cfg = _config(unweighted=True)
    with pytest.raises(ParameterError, match="exceeds the"):
        shards.generate(cfg, tmp_path / "x.root", shards=100)
    with pytest.raises(ParameterError, match=r"\.root"):
        shards.generate(cfg, tmp_path / "x.hepmc3", shards=2)
    with pytest.raises(ParameterError, match="--shards"):
        shards.generate(cfg, tmp_path / "x.root", shards=0)


SIGTERM_CHILD = textwrap.dedent(
    """
    import sys
    from darktmm.simulate import shards
    from darktmm.simulate.commands import generate as gen
    card = dict(process="borexino", events=80_000, block=2048, pilot=8192, train_nitn=3,
                chunk=5000, unweighted=True, borexino={"component": "7Be"})
    cfg = gen.resolve(card)
    try:
        shards.generate(cfg, sys.argv[1], shards=12)
    except KeyboardInterrupt:
        sys.exit(130)
    """
)


def test_sigterm_leaves_complete_shards_and_no_partial_files(tmp_path):
    out = tmp_path / "ev.root"
    child = subprocess.Popen([sys.executable, "-c", SIGTERM_CHILD, str(out)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not shards.shard_path(out, 2).exists():
        time.sleep(0.02)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=60) == 130
    assert not _partials(tmp_path)
    plan = shards.load_plan(tmp_path)
    present = [j for j in range(12) if shards.shard_path(out, j).exists()]
    assert 3 <= len(present) < 12
    assert all(shards.verify_shard(plan, j, tmp_path) is not None for j in present)
    stamp = {j: shards.shard_path(out, j).stat().st_mtime_ns for j in present}
    cfg = gen.resolve(
        dict(
            process="borexino",
            events=80_000,
            block=2048,
            pilot=8192,
            train_nitn=3,
            chunk=5000,
            unweighted=True,
            borexino={"component": "7Be"},
        )
    )
    man = shards.generate(cfg, out, shards=12, resume=True)
    assert man["kept"] == present
    assert all(shards.shard_path(out, j).stat().st_mtime_ns == stamp[j] for j in present)
    _, arr = _serial(cfg, tmp_path / "serial.root")
    _same_events(arr, _events(tmp_path / "ev.shard*.root"))


# --- merge, hadd, TChain -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def produced(tmp_path_factory):
    d = tmp_path_factory.mktemp("merge")
    cfg = _config(unweighted=False)
    shards.generate(cfg, d / "ev.root", shards=3)
    return d


def test_merge_streams_shards_into_one_file(produced, tmp_path):
    out = tmp_path / "merged.root"
    res = shards.merge(produced / "ev.manifest.json", out, step=1000)
    assert res["events"] == 12_000 and res["shards"] == 3
    with uproot.open(out) as f:
        _same_events(_events(produced / "ev.shard*.root"), f["events"].arrays())
        assert f["runinfo"].num_entries == 3
        hs = [uproot.open(p)["h_T"] for p in sorted(produced.glob("ev.shard*.root"))]
        assert np.array_equal(
            f["h_T"].values(flow=True),
            hs[0].values(flow=True) + hs[1].values(flow=True) + hs[2].values(flow=True),
        )
        assert f["h_T"].member("fEntries") == 12_000
        src = uproot.open(produced / "ev.shard00000.root")["events"]
        assert {b.name: b.title for b in f["events"].branches} == {b.name: b.title for b in src.branches}
    with pytest.raises(rootio.OutputError, match="--force"):
        shards.merge(produced / "ev.manifest.json", out)
    shards.merge(produced / "ev.manifest.json", out, force=True)


def test_merge_command_module(produced, tmp_path, capsys):
    from darktmm.simulate.commands import merge as merge_cmd

    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    merge_cmd.add_parser(sub)
    args = p.parse_args(["merge", str(produced / "ev.manifest.json"), "--out", str(tmp_path / "m.root")])
    assert args.func(args) == 0
    assert "12000 events from 3 shards" in capsys.readouterr().out
    bad = tmp_path / "incomplete.manifest.json"
    man = shards.load_manifest(produced / "ev.manifest.json")
    man["complete"] = False
    man["shards"][1]["sha256"] = None
    bad.write_text(__import__("json").dumps(man))
    args = p.parse_args(["merge", str(bad), "--out", str(tmp_path / "n.root")])
    with pytest.raises(ParameterError, match="not produced yet"):
        args.func(args)


@pytest.mark.root
def test_merge_equals_hadd_and_root_reads_the_glob(produced, tmp_path):
    ROOT = _root_module()
    ours = tmp_path / "merged.root"
    shards.merge(produced / "ev.manifest.json", ours)
    theirs = tmp_path / "hadd.root"
    files = [str(p) for p in sorted(produced.glob("ev.shard*.root"))]
    hadd = Path(ROOT.__file__).parent / "bin" / "hadd"
    hadd = str(hadd) if hadd.is_file() else shutil.which("hadd")
    if hadd:
        subprocess.run([hadd, "-f", str(theirs), *files], check=True, capture_output=True)
    else:  # pragma: no cover - the root package ships bin/hadd
        m = ROOT.TFileMerger(False)
        m.OutputFile(str(theirs))
        for p in files:
            m.AddFile(p)
        assert m.Merge()
    a, b = uproot.open(ours), uproot.open(theirs)
    assert sorted(a.keys()) == sorted(b.keys())  # the runinfo strings: one cycle per shard
    for k in a.keys():
        if k.startswith("runinfo_"):
            assert str(a[k]) == str(b[k]), k
    for tree in ("events", "runinfo"):
        ta, tb = a[tree], b[tree]
        assert ta.title == tb.title and ta.num_entries == tb.num_entries
        assert {x.name: x.title for x in ta.branches} == {x.name: x.title for x in tb.branches}
        _same_events(ta.arrays(), tb.arrays())
    for k in (k.split(";")[0] for k in a.keys() if k.startswith("h_")):
        ha, hb = a[k], b[k]
        assert np.array_equal(ha.values(flow=True), hb.values(flow=True)), k
        assert np.array_equal(ha.variances(flow=True), hb.variances(flow=True)), k
        for m in ("fEntries", "fTsumw", "fTsumw2", "fTsumwx", "fTsumwx2", "fTitle"):
            assert ha.member(m) == hb.member(m), (k, m)
        assert ha.axis().edges().tolist() == hb.axis().edges().tolist()
    # ROOT reads the shards as one chain, and reads our merged file
    chain = ROOT.TChain("events")
    assert chain.Add(str(produced / "ev.shard*.root")) == 3
    assert chain.GetEntries() == 12_000
    n = chain.Draw("weight", "", "goff")
    w = np.frombuffer(chain.GetV1(), dtype=np.float64, count=n)
    ref = ak.to_numpy(_events(produced / "ev.shard*.root").weight)
    assert np.array_equal(w, ref)
    f = ROOT.TFile.Open(str(ours))
    assert f.Get("events").GetEntries() == 12_000 and f.Get("h_T").GetEntries() == 12_000
    f.Close()
    # uproot.iterate over the glob, in bounded steps, sees the same events in the same order
    ev = [
        ak.to_numpy(c.event)
        for c in uproot.iterate(f"{produced}/ev.shard*.root:events", ["event"], step_size=1000)
    ]
    assert np.array_equal(np.concatenate(ev), np.arange(1, 12_001))


# --- on a LocalCluster --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    if os.environ.get("CI"):
        import distributed  # noqa: F401 - CI installs darktmm[dask]: may not skip
    else:
        pytest.importorskip("distributed")
    ex = scale.make_executor(workers=2, retries=2)
    yield ex
    ex.close()


@pytest.mark.dask
def test_cluster_run_with_a_killed_shard_attempt_equals_serial(cluster, tmp_path, monkeypatch):
    """Shard 1's first attempt dies mid-write (os._exit on its worker, leaving a temporary
    file); Dask runs it again on a fresh worker; the output equals the serial run."""
    cfg = _config(unweighted=True)
    summary, arr = _serial(cfg, tmp_path / "serial.root")
    out = tmp_path / "ev.root"
    marker = tmp_path / "killed-once"

    def dying_first_attempt(j, job, out_dir):
        if j == 1 and not marker.exists():
            marker.write_text(str(os.getpid()))
            rootio.partial_name(shards.shard_path(Path(out_dir) / "ev.root", j)).write_bytes(b"half")
            os._exit(1)
        return shards.produce_shard(j, job, out_dir)

    monkeypatch.setattr(shards, "_produce_task", dying_first_attempt)
    man = shards.generate(cfg, out, shards=4, executor=cluster)
    assert marker.exists() and int(marker.read_text()) != os.getpid()  # it died on a worker
    assert man["complete"] and not _partials(tmp_path)
    _same_events(arr, _events(tmp_path / "ev.shard*.root"))
    for k in SUMMARY_KEYS:
        assert man["summary"][k] == summary[k], k
