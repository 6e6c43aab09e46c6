"""`darktmm spectrum|limit|generate xenonnt`: the XENONnT experiment through the commands (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import uproot

from darktmm.simulate.cli import main


@pytest.fixture
def xe_env(data_dir, monkeypatch):
    monkeypatch.setenv("DARKTMM_DATA", str(Path(data_dir).resolve()))


def test_limit_xenonnt_json_band_and_tree(xe_env, tmp_path, capsys):
    out = tmp_path / "xl.root"
    assert main(["limit", "xenonnt", "--masses", "1e-3,10MeV", "--json", "--out", str(out)]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["experiment"] == "xenonnt" and s["quantity"] == "eps_mu_eff" and s["unit"] == "muB"
    p0, p1 = s["points"]
    band = [p0[k] for k in ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")]
    assert band == sorted(band)
    assert p0["limit"] == pytest.approx(6.3e-12, rel=0.25)  # XENONnT's published photon limit
    assert p1["limit"] / p0["limit"] > 1e4  # the A' propagator at 10 MeV
    assert s["nuisance_prior"].startswith("b free")
    t = uproot.open(out)["limits"]
    assert t.num_entries == 2 and "expected_p2_muB" in t.keys()


def test_spectrum_and_generate_xenonnt(xe_env, tmp_path, capsys):
    assert main(["spectrum", "xenonnt", "--m-ap", "0", "--rtol", "1e-2", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    # xenon_er.md section 4: reconstructed signal rate in [1, 30] keV, photon limit, stepping, baseline
    assert s["total_tmm_window_tyr"] == pytest.approx(26.556, rel=2e-3)
    assert s["units"] == "events/(t yr)" and s["data_events"] == 433
    ev = tmp_path / "xe.root"
    argv = ["generate", "xenonnt", "--component", "pp", "--kind", "tmm", "--events", "2000", "--unweighted"]
    assert main([*argv, "--t-min", "1keV", "--t-max", "30keV", "--out", str(ev), "--json"]) == 0
    g = json.loads(capsys.readouterr().out)
    # xenon_er.md section 3.2: pp only, stepping, integrated over true T in [1, 30] keV
    assert g["sigma"] == pytest.approx(33.721, rel=5 * g["sigma_err"] / g["sigma"] + 1e-4)
    assert g["sigma_unit"] == "events/(t yr)"
    assert uproot.open(ev)["events"].num_entries == 2000


def test_constraints_reports_the_dominant_direct_probe_and_the_crossing(xe_env, tmp_path, capsys):
    """XENONnT beside Borexino in the hierarchy: table, JSON, ROOT tree and the crossing plot."""
    card = Path(__file__).resolve().parents[1] / "examples" / "bm1.toml"
    out, png = tmp_path / "h.root", tmp_path / "direct.png"
    argv = ["constraints", "--card", str(card), "--masses", "1e-5,1e-3GeV", "--method", "rates", "--json"]
    assert main([*argv, "--out", str(out), "--plot-direct", str(png)]) == 0
    s = json.loads(capsys.readouterr().out)
    lo, hi = s["points"]
    assert lo["dominant_direct"] == "XENONnT" and hi["dominant_direct"] == "Borexino"
    assert lo["xenonnt_muB"] < lo["borexino_muB"] and hi["xenonnt_muB"] > hi["borexino_muB"]
    assert 1e-5 < s["direct_probe_crossing_GeV"] < 1e-3
    t = uproot.open(out)["hierarchy"]
    assert list(t["dominant_direct"].array(library="np")) == [2, 1]
    assert png.stat().st_size > 10_000


def test_regression_xenonnt_band_was_inf_for_heavy_mediators(xe_env):
    """At m_A' >= 0.1 GeV the lower band edges came out inf: the edge search stopped at theta = 1e12
    while theta ~ (1e-5 muB / 1e-11 muB)^2 = 1e12 there. The band is now finite and ordered."""
    import math

    from darktmm.detectors import xenonnt

    pts, _ = xenonnt.limit([0.1, 0.3], rtol=1e-2)
    for p in pts:
        band = p.band.as_tuple()
        assert all(math.isfinite(v) for v in band), band
        assert list(band) == sorted(band) and band[2] == pytest.approx(p.expected, rel=1e-3)
