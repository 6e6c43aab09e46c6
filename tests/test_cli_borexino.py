"""End-to-end CLI runs for Borexino: JSON schema, ROOT layout read by real ROOT, no file without --out."""

import json
import os

import numpy as np
import pytest
import uproot

from darktmm.simulate.cli import main


@pytest.mark.slow
def test_spectrum_json_and_root(tmp_path, capsys, data_dir):
    out = tmp_path / "spec.root"
    rc = main(
        [
            "spectrum",
            "borexino",
            "--m-ap",
            "0.5MeV",
            "--eps-mu-eff",
            "1e-11muB",
            "--out",
            str(out),
            "--json",
            "--data-dir",
            str(data_dir),
            "--rtol",
            "3e-3",
        ]
    )
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert s["m_ap_GeV"] == pytest.approx(5e-4)
    assert set(s["components"]) == {"pp", "7Be", "pep", "13N", "15O", "17F", "8B", "hep"}
    assert s["components"]["7Be"]["sm_rate_zero_threshold_cpd100t"] == pytest.approx(48.28, rel=2e-3)
    f = uproot.open(out)
    keys = {k.split(";")[0] for k in f.keys()}
    for c in ("pp", "7Be"):
        for kind in ("sm", "tmm"):
            assert f"{kind}/{c}_folded" in keys and f"{kind}/{c}_true" in keys
    assert "data" in keys and "bestfit_total" in keys and "runinfo" in keys
    h = f["sm/7Be_folded"]
    assert np.all(h.errors() >= 0) and h.values().sum() == pytest.approx(
        s["components"]["7Be"]["sm_rate_window_cpd100t"], rel=1e-9
    )
    if os.environ.get("CI") or pytest.importorskip("ROOT"):
        import ROOT

        rf = ROOT.TFile.Open(str(out))
        assert rf.Get("data").Integral() == pytest.approx(f["data"].values().sum())
        rf.Close()


@pytest.mark.slow
def test_limit_json_schema_and_tree(tmp_path, capsys, data_dir):
    out = tmp_path / "lim.root"
    rc = main(
        [
            "limit",
            "borexino",
            "--masses",
            "1e-3,30MeV",
            "--out",
            str(out),
            "--json",
            "--data-dir",
            str(data_dir),
            "--rtol",
            "3e-3",
        ]
    )
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert s["experiment"] == "borexino" and s["quantity"] == "eps_mu_eff"
    band = ["expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2"]
    assert [set(p) for p in s["points"]] == [{"m_ap_GeV", "limit", *band}] * 2
    for p in s["points"]:  # the Asimov band, ordered from low to high
        assert [p[k] for k in band] == sorted(p[k] for k in band)
    assert s["points"][0]["limit"] == pytest.approx(3.3e-11, rel=0.05)
    assert s["points"][1]["limit"] > 100 * s["points"][0]["limit"]
    t = uproot.open(out)["limits"]
    assert t.num_entries == 2
    assert np.allclose(t["m_ap_GeV"].array(library="np"), [1e-6, 30e-3])  # "1e-3,30MeV": both in MeV


def test_rate_fallback_is_announced_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DARKTMM_DATA", raising=False)
    monkeypatch.setattr("darktmm.detectors.data.cache_dir", lambda: tmp_path / "empty-cache")
    monkeypatch.chdir(tmp_path)
    rc = main(["limit", "borexino", "--masses", "1e-3MeV"])
    cap = capsys.readouterr()
    assert rc == 0
    assert "built-in rate likelihood" in cap.err
    assert "e-11" in cap.out
    assert list(tmp_path.iterdir()) == []


def test_spectral_fit_without_data_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DARKTMM_DATA", raising=False)
    monkeypatch.setattr("darktmm.detectors.data.cache_dir", lambda: tmp_path / "empty-cache")
    rc = main(["limit", "borexino", "--masses", "1MeV", "--method", "spectral"])
    err = capsys.readouterr().err
    assert rc == 2 and "darktmm data fetch" in err and len(err.strip().splitlines()) == 1
