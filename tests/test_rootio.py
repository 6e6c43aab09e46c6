"""ROOT output: atomic writing, TTrees via mktree (not RNTuple), read back by real CERN ROOT."""

import os
import stat

import numpy as np
import pytest
import uproot

from darktmm.simulate import rootio


def _write(path):
    with rootio.atomic_root(path) as f:
        f["h"] = rootio.th1d([1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0], [0.1, 0.2, 0.3], "spec;T [MeV];rate")
        rootio.write_tree(
            f,
            "limits",
            {"m_ap_GeV": np.array([1e-3, 1e-2]), "limit_muB": np.array([3e-11, 4e-11])},
            title="limits",
            branch_titles={"m_ap_GeV": "dark-photon mass [GeV]"},
        )
        rootio.write_runinfo(f, {"seed": 5, "command": "test"})


def test_uproot_reads_back(tmp_path):
    p = tmp_path / "a.root"
    _write(p)
    f = uproot.open(p)
    assert f["h"].values().tolist() == [1.0, 2.0, 3.0]
    assert np.allclose(f["h"].errors(), [0.1, 0.2, 0.3])
    assert f["limits"].classname == "TTree"
    assert f["limits"]["m_ap_GeV"].title == "dark-photon mass [GeV]"
    assert f["runinfo"]["seed"].array(library="np")[0] == 5


def test_interrupted_write_leaves_nothing(tmp_path):
    p = tmp_path / "b.root"
    with pytest.raises(KeyboardInterrupt):
        with rootio.atomic_root(p) as f:
            f["h"] = rootio.th1d([1.0], [0.0, 1.0])
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_existing_file_survives_a_failed_rewrite(tmp_path):
    p = tmp_path / "c.root"
    _write(p)
    before = p.read_bytes()
    with pytest.raises(RuntimeError):
        with rootio.atomic_root(p):
            raise RuntimeError("boom")
    assert p.read_bytes() == before


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_regression_atomic_output_was_owner_only_0600(tmp_path, umask):
    """mkstemp's 0600 survived the rename: output files were unreadable by colleagues. They now get
    what open() would give: 0666 less the umask."""
    old = os.umask(umask)
    try:
        p = tmp_path / "perm.root"
        _write(p)
        with rootio.atomic_path(tmp_path / "plot.png") as tmp:
            tmp.write_bytes(b"x")
    finally:
        os.umask(old)
    for f in (p, tmp_path / "plot.png"):
        assert stat.S_IMODE(f.stat().st_mode) == 0o666 & ~umask


def test_unwritable_directory_is_an_output_error(tmp_path):
    with pytest.raises(rootio.OutputError, match="does not exist"):
        rootio.check_writable(tmp_path / "nope" / "x.root")


@pytest.mark.root
def test_real_root_reads_tree_histogram_and_runinfo(tmp_path):
    ROOT = pytest.importorskip("ROOT") if not __import__("os").environ.get("CI") else __import__("ROOT")
    p = tmp_path / "d.root"
    _write(p)
    f = ROOT.TFile.Open(str(p))
    t = f.Get("limits")
    assert t.GetEntries() == 2
    assert t.Draw("m_ap_GeV", "", "goff") == 2
    vals = [e.limit_muB for e in t]
    assert np.allclose(vals, [3e-11, 4e-11])
    h = f.Get("h")
    assert h.Integral() == pytest.approx(6.0)
    assert h.GetBinError(2) == pytest.approx(0.2)
    assert h.GetXaxis().GetTitle() == "T [MeV]"
    r = f.Get("runinfo")
    r.GetEntry(0)
    assert r.seed == 5
    assert "test" in str(f.Get("runinfo_json"))
    assert r.GetBranch("seed").GetTitle() == "seed [1]"
    f.Close()
