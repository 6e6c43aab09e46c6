"""ROOT and HepMC3 event files: layout, units, runinfo, histograms, atomicity; read back by real
CERN ROOT (PyROOT; must not skip in CI) and by pyhepmc."""

from __future__ import annotations

import os
import typing

import awkward as ak
import numpy as np
import pytest
import uproot

from darktmm.simulate import cards, eventio, hepmc, rootio, sampler
from darktmm.simulate import events as ev
from darktmm.simulate.commands import generate as gen

CARD = cards.to_toml(gen.SCHEMA, gen.resolve({"process": "na64", "events": 3000, "seed": 5}))


def _root_module():
    if os.environ.get("CI"):
        import ROOT  # CI installs the `root` package: this test may not skip there

        return ROOT
    return pytest.importorskip("ROOT")


@pytest.fixture(scope="module")
def na64_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("eventio") / "na64.root"
    proc = ev.DarkBremEvents(m_ap=0.01, eps=1e-4)
    run = sampler.generate(proc, 3000, seed=5, unweighted=True, chunk=1000, block=2048)
    chunks = []
    summary = eventio.write_root(path, run, card_toml=CARD, info={"command": "test"}, on_chunk=chunks.append)
    return path, summary, ak.concatenate(chunks), proc


@pytest.fixture(scope="module")
def borexino_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("eventio") / "bx.root"
    proc = ev.NuElectronEvents("7Be", "sm")
    run = sampler.generate(proc, 2500, seed=3, chunk=1000, block=2048)
    chunks = []
    summary = eventio.write_root(path, run, compression_spec="zstd", on_chunk=chunks.append)
    return path, summary, ak.concatenate(chunks), proc


def test_tree_layout_units_and_compression(na64_file):
    path, summary, arr, proc = na64_file
    f = uproot.open(path)
    t = f["events"]
    assert t.classname == "TTree"  # mktree/extend, not an RNTuple
    assert t.num_entries == summary["events_written"] == 3000
    names = set(t.keys())
    assert {"nParticle", "event", "process_id", "weight", "E_miss", "decay_visible"} <= names
    assert {
        f"Particle_{c}" for c in ("pdgId", "status", "px", "py", "pz", "E", "m", "x", "y", "z", "t")
    } <= names
    assert "[GeV]" in t["Particle_E"].title and "[mm]" in t["Particle_z"].title
    assert "[GeV]" in t["E_miss"].title
    assert f.file.compression.name == "LZ4"
    assert np.array_equal(t["nParticle"].array(library="np"), np.full(3000, 5))
    back = t["Particle_E"].array()
    assert ak.all(back == arr.Particle.E)
    assert np.array_equal(t["event"].array(library="np"), np.arange(1, 3001))


def test_runinfo_holds_the_summary_and_the_card(na64_file):
    path, summary, _, _ = na64_file
    r = uproot.open(path)["runinfo"]
    for k in ("sigma", "sigma_err", "trials", "accepted", "w_max", "seed", "efficiency", "events_written"):
        assert r[k].array(library="np")[0] == pytest.approx(summary[k], rel=1e-12), k
    info, card = rootio.read_runinfo(path)
    assert info["command"] == "test" and info["mode"] == "unweighted" and "uproot" in info
    assert info["fraction_above_wmax"] == summary["fraction_above_wmax"]
    assert card == CARD


def test_regression_runinfo_text_was_bytes_and_branches_had_no_units(na64_file):
    """The run card and JSON were uint8 arrays (one number per byte), the seed a float, and the
    runinfo branches had no titles: now strings, int64 for whole numbers, and a unit per branch."""
    path, summary, _, _ = na64_file
    f = uproot.open(path)
    assert f["runinfo_card"].__class__.__name__ == "str" or isinstance(f["runinfo_card"], str)
    r = f["runinfo"]
    assert r["seed"].typename == "int64_t" and r["trials"].typename == "int64_t"
    assert r["sigma"].typename == "double"
    for b in r.branches:
        assert "[" in b.title and b.title.endswith("]"), b.name
    assert "json" not in r.keys() and "card" not in r.keys()


def test_histograms_sum_the_weights(na64_file, borexino_file):
    for path, _, arr, proc in (na64_file, borexino_file):
        f = uproot.open(path)
        for o in proc.observables:
            if o.lo is None:
                continue
            h = f[f"h_{o.name}"]
            x = ak.to_numpy(arr[o.name])
            w = ak.to_numpy(arr.weight)
            inside = (x >= o.lo) & (x < o.hi)
            assert h.values().sum() == pytest.approx(w[inside].sum(), rel=1e-12)
            assert h.variances().sum() == pytest.approx((w[inside] ** 2).sum(), rel=1e-12)
            assert h.member("fXaxis").member("fTitle") == o.title


def test_regression_th1d_wrote_empty_flow_bins_and_entries_equal_to_bins(na64_file, borexino_file):
    """Entries outside the axis were lost (under/overflow written as 0) and fEntries was the number
    of bins; now the flow bins hold them and fEntries is the number of events."""
    for path, summary, arr, proc in (na64_file, borexino_file):
        f = uproot.open(path)
        w = ak.to_numpy(arr.weight)
        for o in proc.observables:
            if o.lo is None:
                continue
            h = f[f"h_{o.name}"]
            assert h.values(flow=True).sum() == pytest.approx(w.sum(), rel=1e-12)
            x = ak.to_numpy(arr[o.name])
            assert h.values(flow=True)[-1] == pytest.approx(w[x >= o.hi].sum(), rel=1e-12, abs=0)
            assert h.member("fEntries") == summary["events_written"]


def test_weighted_borexino_file(borexino_file):
    path, summary, arr, _ = borexino_file
    t = uproot.open(path)["events"]
    assert uproot.open(path).file.compression.name == "ZSTD"
    w = t["weight"].array(library="np")
    assert w.sum() == pytest.approx(summary["sigma"], rel=1e-12)
    assert "cpd/100t" in t["weight"].title
    assert "Particle_x" not in t.keys()  # no vertex for the solar events


@pytest.mark.root
@pytest.mark.filterwarnings("ignore:\\s*This distribution of ROOT")
def test_real_root_reads_the_file(na64_file):
    ROOT = _root_module()
    path, summary, arr, proc = na64_file
    f = ROOT.TFile.Open(str(path))
    t = f.Get("events")
    assert t.GetEntries() == 3000
    # TTree::Draw on a particle branch: one entry per final-state particle
    n = t.Draw("Particle_E", "Particle_status == 1", "goff")
    assert n == 3 * 3000
    # the mass shell, evaluated by ROOT's formula engine on every particle
    n = t.Draw(
        "(Particle_E*Particle_E - Particle_px*Particle_px - Particle_py*Particle_py - Particle_pz*Particle_pz"
        " - Particle_m*Particle_m)/(Particle_E*Particle_E)",
        "",
        "goff",
    )
    vals = np.frombuffer(t.GetV1(), dtype=np.float64, count=n)
    assert n == 5 * 3000 and np.max(np.abs(vals)) < 1e-9
    assert t.Draw("Particle_pdgId", "Particle_pdgId == 4900022", "goff") == 3000
    # histograms: integrals equal the sum of weights in range, axis titles carry units
    h = f.Get("h_E_miss")
    x = ak.to_numpy(arr.E_miss)
    o = next(o for o in proc.observables if o.name == "E_miss")
    inside = (x >= o.lo) & (x < o.hi)
    assert h.Integral() == pytest.approx(ak.to_numpy(arr.weight)[inside].sum(), rel=1e-12)
    assert "GeV" in h.GetXaxis().GetTitle()
    # nothing is lost outside the axis, and GetEntries counts the events
    w = ak.to_numpy(arr.weight)
    assert h.GetBinContent(0) == pytest.approx(w[x < o.lo].sum(), rel=1e-12, abs=0)
    assert h.GetBinContent(h.GetNbinsX() + 1) == pytest.approx(w[x >= o.hi].sum(), rel=1e-12, abs=0)
    assert h.GetEntries() == 3000
    # runinfo values
    r = f.Get("runinfo")
    r.GetEntry(0)
    assert r.sigma == pytest.approx(summary["sigma"], rel=1e-12)
    assert r.sigma_err == pytest.approx(summary["sigma_err"], rel=1e-12)
    assert r.trials == summary["trials"] and r.accepted == summary["accepted"]
    assert r.w_max == pytest.approx(summary["w_max"], rel=1e-12) and r.seed == 5
    assert str(f.Get("runinfo_card")) == CARD
    f.Close()


def test_interrupted_write_leaves_no_file(tmp_path):
    proc = ev.NuElectronEvents("pep", "sm")
    run = sampler.generate(proc, 5000, seed=1, chunk=1000, block=1024)

    def stop(chunk):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        eventio.write_root(tmp_path / "x.root", run, on_chunk=stop)
    assert list(tmp_path.iterdir()) == []


def test_bad_compression_and_path(tmp_path):
    for bad in ("zlib", "lz4:x", "zstd:99"):
        with pytest.raises(rootio.ParameterError):
            eventio.compression(bad)
    assert eventio.compression("zstd:3").level == 3
    with pytest.raises(rootio.OutputError):
        eventio.write_root(
            tmp_path / "nope" / "x.root", sampler.generate(ev.NuElectronEvents("pep"), 10, seed=1)
        )


# --- HepMC3 --------------------------------------------------------------------------------------
class _Attrs:
    """Typed access to pyhepmc attributes read from a file (they come back unparsed)."""

    def __init__(self, view):
        self.view = view

    def _get(self, k, t):
        v = self.view[k]
        return v.astype(t) if hasattr(v, "astype") else v

    def int(self, k):
        return self._get(k, int)

    def float(self, k):
        return self._get(k, float)

    def str(self, k):
        return self._get(k, str)

    def ints(self, k):
        return list(self._get(k, typing.List[int]))  # noqa: UP006 - pyhepmc wants typing.List

    def strs(self, k):
        return list(self._get(k, typing.List[str]))  # noqa: UP006


@pytest.mark.parametrize("name", ["borexino", "babar", "na64"])
@pytest.mark.parametrize("unweighted", [False, True])
def test_hepmc3_follows_nuhepmc(tmp_path, name, unweighted):
    hp = pytest.importorskip("pyhepmc") if not os.environ.get("CI") else __import__("pyhepmc")
    proc = {
        "borexino": lambda: ev.NuElectronEvents("pp", "tmm", m_ap=1e-3),
        "babar": lambda: ev.MonophotonEvents("3S", m_ap=1.0, eps=1e-3, mu_d=1e-4),
        "na64": lambda: ev.DarkBremEvents(m_ap=0.01, eps=1e-4),
    }[name]()
    path = tmp_path / "ev.hepmc3"
    run = sampler.generate(proc, 400, seed=2, unweighted=unweighted, chunk=150, block=512)
    chunks = []
    s = hepmc.write_hepmc(path, run, card_toml=CARD, on_chunk=chunks.append)
    arr = ak.concatenate(chunks)
    k = proc.pb_per_unit or 1.0
    with hp.open(path) as f:
        evts = list(f)
    assert len(evts) == s["events_written"] == len(arr)
    ri = evts[0].run_info
    a = _Attrs(ri.attributes)
    assert ri.weight_names == ["CV"]
    assert (a.int("NuHepMC.Version.Major"), a.int("NuHepMC.Version.Minor")) == (1, 0)
    assert a.ints("NuHepMC.ProcessIDs") == [proc.process_id]
    assert a.float("NuHepMC.FluxAveragedTotalCrossSection") == pytest.approx(s["sigma_vegas"] * k, rel=1e-9)
    assert a.str("NuHepMC.Units.CrossSection.Unit") == ("pb" if proc.pb_per_unit else "per EOT")
    assert {"G.C.2", "E.C.4"} <= set(a.strs("NuHepMC.Conventions"))
    assert a.str("NuHepMC.Provenance.RunCard") == CARD
    assert 4900022 in a.ints("NuHepMC.AdditionalParticleNumbers")
    cv = np.array([e.weights[0] for e in evts])
    if unweighted:
        assert np.all(cv >= 1.0)
    else:
        assert np.allclose(cv, ak.to_numpy(arr.weight) * run.n / s["sigma_vegas"])
    # the last event carries the run's cross-section estimate (E.C.4), in pb
    assert evts[-1].cross_section.xsec() == pytest.approx(s["sigma"] * k, rel=1e-6)
    assert evts[-1].cross_section.attempted_events == s["trials"]
    for e, i in zip(evts, range(len(arr))):
        st = [p.status for p in e.particles]
        assert st.count(4) == 1 and st.count(11) == 1  # one beam, one target (E.R.7)
        assert _Attrs(e.attributes).int("signal_process_id") == proc.process_id
        assert [v.status for v in e.vertices] == [1]
        assert e.event_number == arr.event[i]
        pin = sum(
            np.array([p.momentum.e, p.momentum.px, p.momentum.py, p.momentum.pz])
            for p in e.particles
            if p.status != 1
        )
        pout = sum(
            np.array([p.momentum.e, p.momentum.px, p.momentum.py, p.momentum.pz])
            for p in e.particles
            if p.status == 1
        )
        assert np.allclose(pin, pout, rtol=0, atol=1e-12 * pin[0])
        assert [p.pid for p in e.particles] == ak.to_list(arr.Particle.pdgId[i])
    if name != "borexino":
        ea = _Attrs(evts[0].attributes)
        assert ea.int("darktmm.ap_decay_visible") == arr.decay_visible[0]
        assert ea.float("darktmm.ap_decay_z") == pytest.approx(float(arr.decay_z[0]), rel=1e-12)
    if name == "na64":
        z = evts[0].vertices[0].position.z
        assert z == pytest.approx(float(arr.Particle.z[0, 0]), rel=1e-12)
