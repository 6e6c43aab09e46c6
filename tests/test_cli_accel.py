"""End-to-end CLI runs for BaBar and NA64: JSON schema, ROOT content (uproot and real PyROOT), exit code 2."""

import json
import os

import numpy as np
import pytest
import uproot

from darktmm.simulate.cli import main
from darktmm.spectra.constants import GEV2_TO_FB
from darktmm.spectra.monophoton import sigma_window

POINT_KEYS = {"m_ap_GeV", "limit", "expected", "br_inv", "p_inv"}
BAND_POINT_KEYS = POINT_KEYS | {"expected_m2", "expected_m1", "expected_p1", "expected_p2"}


def _run(capsys, argv):
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_spectrum_babar_json_and_root(tmp_path, capsys):
    out = tmp_path / "b.root"
    rc, o, _ = _run(
        capsys, ["spectrum", "babar", "--m-ap", "1GeV", "--eps", "1e-3", "--out", str(out), "--json"]
    )
    assert rc == 0
    s = json.loads(o)
    assert s["experiment"] == "babar" and s["m_ap_GeV"] == 1.0 and s["units"] == "fb"
    assert set(s["resonances"]) == {"2S", "3S", "4S"} and s["region"] == "LowM"
    r3 = s["resonances"]["3S"]
    assert r3["sigma_closed_form_fb"] == pytest.approx(1.536, abs=5e-4)  # accelerator.md 2 check value
    assert r3["sigma_acc_fb"] == pytest.approx(r3["sigma_closed_form_fb"], abs=4 * r3["sigma_acc_err_fb"])
    assert s["br_inv"] == 0.0 and s["p_inv"] == 0.0  # pure kinetic mixing: visible prompt decays
    f = uproot.open(out)
    keys = {k.split(";")[0] for k in f.keys()}
    for res in ("2S", "3S", "4S"):
        for h in ("cos_theta", "E_gamma_true", "E_gamma_folded", "MX2_true", "MX2_folded"):
            assert f"{res}/{h}" in keys
    assert "runinfo" in keys
    h = f["3S/cos_theta"]
    assert h.values().sum() == pytest.approx(r3["sigma_acc_fb"], rel=3e-3)
    assert np.all(h.errors() >= 0)
    assert f["3S/MX2_folded"].member("fXaxis").member("fTitle") == "M_{X}^{2} [GeV^{2}]"
    info = json.loads(str(f["runinfo_json"]))
    assert info["command"] == "spectrum babar" and info["seed"] == 1
    # real ROOT reads the same file (must not skip in CI)
    ROOT = pytest.importorskip("ROOT") if not os.environ.get("CI") else __import__("ROOT")
    rf = ROOT.TFile.Open(str(out))
    hr = rf.Get("3S/MX2_folded")
    assert hr.Integral() == pytest.approx(f["3S/MX2_folded"].values().sum(), rel=1e-12)
    assert hr.GetXaxis().GetTitle() == "M_{X}^{2} [GeV^{2}]"
    rf.Close()


def test_spectrum_babar_isr_single_resonance(capsys, tmp_path):
    png = tmp_path / "b.png"
    argv = ["spectrum", "babar", "--m-ap", "2GeV", "--resonance", "3S", "--isr", "--json", "--rtol", "1e-2"]
    rc, o, _ = _run(capsys, argv + ["--plot", str(png)])
    assert rc == 0 and png.stat().st_size > 1000
    s = json.loads(o)
    assert list(s["resonances"]) == ["3S"] and s["isr"] is True
    r = s["resonances"]["3S"]
    assert r["sigma_closed_form_fb"] is None
    born = float(sigma_window(10.3552**2, 2.0, -0.4, 0.6, 1e-3)) * GEV2_TO_FB
    assert 0.97 < r["sigma_acc_fb"] / born < 1.05  # ISR moves the accepted rate by a few per cent at most


def test_spectrum_na64_json_and_root(tmp_path, capsys):
    out = tmp_path / "n.root"
    rc, o, _ = _run(
        capsys,
        [
            "spectrum",
            "na64",
            "--m-ap",
            "10MeV",
            "--eps",
            "1e-4",
            "--out",
            str(out),
            "--json",
            "--rtol",
            "1e-2",
            "--plot",
            str(tmp_path / "n.png"),
        ],
    )
    assert rc == 0 and (tmp_path / "n.png").stat().st_size > 1000
    s = json.loads(o)
    assert (
        s["experiment"] == "na64"
        and s["efficiency"] == pytest.approx(0.4047 * 0.1**-0.0307, rel=1e-3)
        and s["n_eot"] == 9.37e11
    )
    y = s["yield_per_eot"]
    assert y["E_ap_gt_cut_true_vegas"] == pytest.approx(
        y["E_ap_gt_cut_true_quad"], abs=4 * y["E_ap_gt_cut_true_vegas_err"]
    )
    assert s["Y1_per_eot_per_eps2"] == pytest.approx(y["signal_box_folded"] / 1e-8)
    assert s["p_inv"] == pytest.approx(0.405, abs=0.03)  # accelerator.md 7.5: 10 MeV, 1e-4, l ~ 6 m
    f = uproot.open(out)
    keys = {k.split(";")[0] for k in f.keys()}
    assert {"x", "E_miss_true", "E_miss_folded", "log10_theta", "yield_per_eot", "runinfo"} <= keys
    assert f["yield_per_eot"].values()[0] == pytest.approx(y["signal_box_folded"])
    assert f["x"].values().sum() == pytest.approx(y["signal_box_folded"], rel=0.02)


def test_limit_babar_json_tree_and_table(tmp_path, capsys):
    out = tmp_path / "lb.root"
    png = tmp_path / "lb.png"
    argv = ["limit", "babar", "--masses", "1e-3,1,5.52GeV", "--gamma-dark", "1GeV", "--out", str(out)]
    rc, o, _ = _run(capsys, argv + ["--json", "--plot", str(png)])
    assert rc == 0 and png.stat().st_size > 1000
    s = json.loads(o)
    assert s["experiment"] == "babar" and s["quantity"] == "eps"
    assert [set(p) for p in s["points"]] == [POINT_KEYS] * 3
    assert all(p["expected"] is None for p in s["points"])
    # closure (BR_inv -> 1): the published curve (data file when found, else the typed table; they agree to 1e-4)
    assert s["points"][0]["limit"] == pytest.approx(9.476e-4, rel=1e-4)
    assert s["points"][2]["limit"] == pytest.approx(13.309e-4, rel=1e-4)  # HighM side of the step
    t = uproot.open(out)["limits"]
    assert t.num_entries == 3
    for b in ("m_ap_GeV", "eps_limit", "br_inv", "p_inv", "applicable", "eps_ul_published"):
        assert b in t.keys()
    assert "[GeV]" in t["m_ap_GeV"].title and "BR" in t["br_inv"].title
    np.testing.assert_allclose(t["eps_limit"].array(library="np"), [p["limit"] for p in s["points"]])
    # without --json: a table on stdout
    rc, o, _ = _run(capsys, ["limit", "babar", "--masses", "0.5GeV"])
    assert rc == 0 and "not constrained" in o and "m_Ap [GeV]" in o


def test_limit_na64_json_and_pyroot(tmp_path, capsys):
    out = tmp_path / "ln.root"
    rc, o, _ = _run(
        capsys,
        [
            "limit",
            "na64",
            "--masses",
            "1,10,100MeV",
            "--mu-d",
            "1e-9muB",
            "--out",
            str(out),
            "--json",
            "--efficiency",
            "0.5",
        ],
    )
    assert rc == 0
    s = json.loads(o)
    assert s["experiment"] == "na64" and s["quantity"] == "eps" and s["model"]["mu_D_muB"] == 1e-9
    assert [set(p) for p in s["points"]] == [BAND_POINT_KEYS] * 3
    for p in s["points"][:2]:  # the counting band, ordered from low to high
        band = [p[k] for k in ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")]
        assert band == sorted(band) and band[-1] > band[0]
    p1, p10, p100 = s["points"]
    assert p1["br_inv"] == 1.0 and p1["limit"] > 0
    assert p10["limit"] is not None and p10["p_inv"] > 0.9  # escape of a long-lived A'
    assert p100["limit"] is None  # prompt visible decays: strict JSON null, not Infinity
    assert s["point_info"][2]["applicable"] is False
    ROOT = pytest.importorskip("ROOT") if not os.environ.get("CI") else __import__("ROOT")
    rf = ROOT.TFile.Open(str(out))
    t = rf.Get("limits")
    assert t.GetEntries() == 3
    vals = [(e.m_ap_GeV, e.eps_limit, e.efficiency) for e in t]
    assert vals[0][0] == pytest.approx(1e-3) and vals[0][1] == pytest.approx(p1["limit"])
    assert vals[0][2] == 0.5
    assert "m_A'" in t.GetBranch("m_ap_GeV").GetTitle()
    rf.Close()


@pytest.mark.parametrize(
    "argv",
    [
        ["spectrum", "babar", "--m-ap", "10.2GeV", "--eps", "1e-3"],  # m^2 >= s at the Upsilon(2S)
        ["limit", "babar", "--masses", "11GeV"],  # m^2 >= s at every BaBar energy
        ["spectrum", "na64", "--m-ap", "150GeV", "--eps", "1e-4"],  # m > E0
        ["limit", "na64", "--masses", "0.01,120GeV"],
        ["limit", "na64", "--masses", "10MeV", "--gamma-dark", "-1MeV"],  # negative width
        ["spectrum", "babar", "--m-ap", "1GeV", "--eps", "2"],  # eps > 1
        ["spectrum", "na64", "--m-ap", "10MeV", "--eps", "1.5"],
        ["limit", "babar", "--masses", "1GeV", "--mu-d=-1muB"],
        ["spectrum", "babar", "--m-ap", "1GeV", "--resonance", "5S"],
    ],
)
def test_bad_input_exit_2(argv, capsys, tmp_path):
    out = tmp_path / "never.root"
    rc, o, err = _run(capsys, argv + ["--out", str(out)])
    assert rc == 2
    assert err.startswith("darktmm: error:") and len(err.strip().splitlines()) == 1
    assert o == "" and not out.exists()
