"""``darktmm constraints`` and ``darktmm model``: JSON, ROOT (uproot and PyROOT), plot, table, exit 2.

Most runs inject fake accelerator searches (monkeypatching detectors.constraints.default_experiments)
and use the Borexino rate fallback with a short mass list, so they are fast and do not depend on
the accelerator modules; the benchmark-card tests use the real modules.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import uproot

from darktmm.detectors import constraints as C
from darktmm.detectors.accel_common import EpsLimit
from darktmm.simulate.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


class FakeSearch:
    """eps = eps0 below m_cut (applicable), not applicable above."""

    def __init__(self, name, eps0, m_cut):
        self.name, self.eps0, self.m_cut = name, eps0, m_cut

    def eps_max(self, m_ap, *, gamma_dark=0.0, mu_D_muB=None, L_det_m=None):
        if m_ap < self.m_cut:
            return EpsLimit(
                m_ap, self.eps0, 1.0, 1.0, True, "invisible decays dominate", self.name, 1e-2, self.eps0
            )
        return EpsLimit(m_ap, math.inf, 1e-12, 1e-12, False, "prompt visible decays", self.name)


@pytest.fixture
def fakes(monkeypatch):
    exps = {"NA64": FakeSearch("na64", 2e-5, 0.05), "BaBar": FakeSearch("babar", 9e-4, 1.0)}
    monkeypatch.setattr(C, "default_experiments", lambda: dict(exps))
    return exps


def _card(tmp_path, text, name="card.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


BASE = """
[benchmark]
name = "T1"
[uv]
M_F = "1 TeV"
m1 = "1 TeV"
m2 = "inf"
theta = 0.7853981633974483
"""


def _run(capsys, argv):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def test_constraints_json(tmp_path, capsys, fakes):
    card = _card(tmp_path, BASE)
    rc, out, _ = _run(
        capsys,
        ["constraints", "--card", card, "--masses", "1e-3,0.01,0.3,2GeV", "--method", "rates", "--json"],
    )
    assert rc == 0
    s = json.loads(out)  # strict JSON: inf became null
    assert s["command"] == "constraints" and s["benchmark"] == "T1"
    assert s["quantity"] == "eps*|mu_D^{e mu}|" and s["unit"] == "muB" and s["mass_unit"] == "GeV"
    assert s["codes"] == {"0": "none", "1": "Borexino", "2": "MEG II x NA64", "3": "MEG II x BaBar"}
    assert s["mu_D_cap"]["mu_D_max_muB"] == pytest.approx(9.2523e-12, rel=1e-4)
    assert s["borexino"]["method"] == "rates" and s["borexino"]["flavour"] == "effective"
    pts = s["points"]
    assert [p["m_ap_GeV"] for p in pts] == pytest.approx([1e-3, 0.01, 0.3, 2.0])
    assert [p["eps_source"] for p in pts] == ["NA64", "NA64", "BaBar", ""]
    assert [p["dominant_code"] for p in pts] == [2, 2, 3, 1]
    assert pts[0]["product_muB"] == pytest.approx(2e-5 * 9.2523e-12, rel=1e-4)
    assert pts[0]["log10_ratio"] == pytest.approx(math.log10(pts[0]["borexino_muB"] / pts[0]["product_muB"]))
    # where nothing applies: no product, no ratio, and the output says why
    last = pts[-1]
    assert last["product_muB"] is None and last["eps_max"] is None and last["log10_ratio"] is None
    assert last["accelerator"]["BaBar"]["applicable"] is False
    assert any("invisible search does not apply" in n for n in last["notes"])
    assert all(p["borexino_muB"] > 0 for p in pts)


def test_constraints_root_uproot_and_pyroot(tmp_path, capsys, fakes):
    card = _card(tmp_path, BASE)
    out = tmp_path / "hierarchy.root"
    rc, _, _ = _run(
        capsys, ["constraints", "--card", card, "--masses", "1e-3:2:4GeV", "--method", "rates", "--out", out]
    )
    assert rc == 0 and out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml", "hierarchy.root"]  # no temp file left
    f = uproot.open(out)
    t = f["hierarchy"]
    assert t.num_entries == 4
    for b in (
        "m_ap_GeV",
        "eps_NA64",
        "eps_BaBar",
        "p_inv_NA64",
        "br_inv_BaBar",
        "applicable_NA64",
        "eps_upper_NA64",
        "eps_max",
        "mu_D_max_muB",
        "product_muB",
        "borexino_muB",
        "dominant",
        "log10_ratio",
        "orders",
    ):
        assert b in t.keys(), b
    assert "1=Borexino" in t.title and "2=MEG II x NA64" in t.title and "3=MEG II x BaBar" in t.title
    assert "[mu_B]" in t["borexino_muB"].title
    a = t.arrays(library="np")
    assert a["dominant"].dtype == np.int32 and list(a["dominant"]) == [
        2,
        2,
        3,
        1,
    ]  # 1e-3, 0.0126, 0.159, 2 GeV
    assert np.isinf(a["product_muB"][-1]) and np.all(a["mu_D_max_muB"] == pytest.approx(9.2523e-12, rel=1e-4))
    info = json.loads(str(f["runinfo_json"]))
    assert info["command"] == "constraints" and info["dominant_codes"].startswith("0=none")
    card_text = str(f["runinfo_card"])
    assert 'name = "T1"' in card_text
    ROOT = pytest.importorskip("ROOT") if not os.environ.get("CI") else __import__("ROOT")
    rf = ROOT.TFile.Open(str(out))
    tr = rf.Get("hierarchy")
    assert tr.GetEntries() == 4 and "1=Borexino" in tr.GetTitle()
    tr.GetEntry(0)
    assert tr.dominant == 2 and tr.product_muB == pytest.approx(a["product_muB"][0])
    rf.Close()


def test_constraints_plot_and_table(tmp_path, capsys, fakes):
    card = _card(tmp_path, BASE)
    png = tmp_path / "hierarchy.png"
    rc, out, _ = _run(
        capsys,
        ["constraints", "--card", card, "--masses", "1e-3,0.02,0.5,3GeV", "--method", "rates", "--plot", png],
    )
    assert rc == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml", "hierarchy.png"]
    lines = out.splitlines()
    assert lines[0].startswith("Constraint hierarchy on eps*|mu_D^(e mu)| [muB]: T1")
    assert "MEG II cap (benchmark" in lines[1] and "9.252e-12 muB" in lines[1]
    assert "m_Ap[GeV]" in lines[4] and "eps NA64" in lines[4] and "log10(Bx/syn)" in lines[4]
    rows = lines[5:9]
    assert "MEG II x NA64" in rows[0] and "MEG II x BaBar" in rows[2] and "Borexino" in rows[3]
    assert "n/a" in rows[3] and "none" in rows[3]
    assert any(ln.startswith("n/a: the invisible search does not apply") for ln in lines)


def test_card_options_and_command_line_overrides(tmp_path, capsys, fakes):
    card = _card(
        tmp_path,
        BASE
        + """
[meg]
prescription = "full"
[dark_photon]
gamma_dark = "1keV"
[scan]
masses = "1e-3,0.01GeV"
[borexino]
method = "rates"
scaling_above = "off"
""",
    )
    rc, out, _ = _run(capsys, ["constraints", "--card", card, "--json"])
    s = json.loads(out)
    assert rc == 0 and len(s["points"]) == 2 and s["mu_D_cap"]["prescription"] == "full"
    assert s["gamma_dark"] == "Gamma_dark = 1e-06 GeV" and s["borexino"]["scaling_above_GeV"] is None
    rc, out, _ = _run(
        capsys,
        [
            "constraints",
            "--card",
            card,
            "--json",
            "--masses",
            "0.2GeV",
            "--prescription",
            "benchmark",
            "--gamma-dark",
            "0",
        ],
    )
    s = json.loads(out)
    assert [p["m_ap_GeV"] for p in s["points"]] == [0.2] and s["mu_D_cap"]["prescription"] == "benchmark"
    assert s["gamma_dark"].startswith("Gamma_dark = 0 GeV")


def test_uv_scan_from_card(tmp_path, capsys, fakes):
    card = _card(tmp_path, BASE + "[scan.uv]\nM_F = ['300GeV', '1TeV', '3TeV', '1e7GeV']\n")
    rc, out, _ = _run(
        capsys, ["constraints", "--card", card, "--masses", "1e-3GeV", "--method", "rates", "--json"]
    )
    s = json.loads(out)
    assert rc == 0
    sc = s["mu_D_cap"]["scan"]
    assert sc["n_points"] == 4 and sc["n_perturbative"] == 3 and sc["best"] == {"M_F": 3000.0}


def test_model_command_text_and_json(tmp_path, capsys):
    card = _card(
        tmp_path,
        """
[uv]
M_F = "1000 GeV"
m1 = "800 GeV"
m2 = "1500 GeV"
theta = 0.6
y = [0.05, 0.0, 0.0]
yp = [0.0, 0.1, "0.01+0.02j"]
[meg]
prescription = "model"
""",
    )
    rc, out, err = _run(capsys, ["model", "--card", card])
    assert rc == 0
    for s in (
        "e-mu",
        "e-tau",
        "mu-tau",
        "GeV^-1",
        "muB",
        "mu+ -> e+ gamma",
        "tau -> e gamma",
        "tau -> mu gamma",
    ):
        assert s in out, s
    assert "radiative Majorana mass estimate" in out and "WARNING: above 0.1 eV" in out
    assert err.startswith("warning: radiative Majorana mass estimate") and len(err.strip().splitlines()) == 1
    assert "fermion-radiated loop (not included in mu_D)" in out
    rc, out, _ = _run(capsys, ["model", "--card", card, "--json"])
    s = json.loads(out)
    assert rc == 0 and s["command"] == "model"
    assert [e["pair"] for e in s["mu_D_flavour"]] == ["e-mu", "e-tau", "mu-tau"]
    from darktmm.spectra import uv
    from darktmm.spectra.constants import MU_B

    model = uv.UVModel(M_F=1e3, m1=800.0, m2=1500.0, theta=0.6, y=(0.05, 0, 0), yp=(0, 0.1, 0.01 + 0.02j))
    mu = uv.dark_tmm_matrix(model)
    assert s["mu_D_flavour"][0]["abs_GeV-1"] == pytest.approx(abs(mu[0, 1]), rel=1e-12)
    assert s["mu_D_flavour"][1]["abs_muB"] == pytest.approx(abs(mu[0, 2]) / MU_B, rel=1e-12)
    assert [r["channel"] for r in s["lfv"]] == ["mu_e_gamma", "tau_e_gamma", "tau_mu_gamma"]
    assert (
        s["lfv"][0]["br"] == pytest.approx(uv.br_mu_e_gamma(model), rel=1e-12)
        and s["lfv"][0]["limit"] == 1.5e-13
    )
    assert s["radiative_mass"]["exceeds"] is True and s["radiative_mass"]["max_abs_eV"] > 0.1
    assert s["mu_D_cap"]["prescription"] == "model"


def test_model_command_decoupled_m2(tmp_path, capsys):
    rc, out, err = _run(capsys, ["model", "--card", _card(tmp_path, BASE)])
    assert rc == 0 and "log-divergent for m2 = inf" in out and "log-divergent" in err
    assert "MEG II cap (benchmark): |mu_D^(e mu)| < 9.252e-12 muB" in out


BAD = {
    "non-perturbative Yukawa": (
        BASE + "y = [13.0, 0.0, 0.0]\n",
        "|y_e| = 13 is outside the allowed range [0, 12.5664]",
    ),
    "complex non-perturbative": (BASE + 'yp = [0.0, "10+10j", 0.0]\n', "|yp_mu|"),
    "negative mass": (BASE.replace('M_F = "1 TeV"', 'M_F = "-5 GeV"'), "M_F = -5 GeV is outside"),
    "negative m1": (BASE.replace('m1 = "1 TeV"', 'm1 = "-1 GeV"'), "m1 = -1 GeV"),
    "theta above pi/2": (
        BASE.replace("theta = 0.7853981633974483", "theta = 2.0"),
        "theta = 2 rad is outside",
    ),
    "theta negative": (BASE.replace("theta = 0.7853981633974483", "theta = -0.1"), "theta = -0.1 rad"),
    "unknown uv key": (BASE + "M_G = 3.0\n", "unknown UV model key(s) ['M_G']"),
    "missing uv key": (BASE.replace('m2 = "inf"\n', ""), "missing required key(s) ['m2']"),
    "unknown section": (BASE + "[uvv]\nx = 1\n", "unknown key 'uvv'"),
    "unknown borexino key": (BASE + "[borexino]\nrtoll = 0.1\n", "unknown key 'borexino.rtoll'"),
    "unknown dark_photon key": (
        BASE + "[dark_photon]\nwidth = 1\n",
        "unknown key 'dark_photon.width'",
    ),
    "bare UV mass": (BASE.replace('M_F = "1 TeV"', "M_F = 1000.0"), "uv.M_F = 1000.0 needs a unit"),
    "two dark widths": (
        BASE + "[dark_photon]\ngamma_dark = '1e-9GeV'\ngamma_dark_over_m = 1e-4\n",
        "give only one of",
    ),
    "negative dark width": (
        BASE + "[dark_photon]\ngamma_dark = '-1e-9GeV'\n",
        "gamma_dark = -1e-09 GeV is outside",
    ),
    "bad prescription": (BASE + '[meg]\nprescription = "best"\n', "prescription = 'best'; choose from"),
    "bad scan key": (BASE + "[scan.uv]\nMF = [1.0]\n", "unknown UV scan key 'MF'"),
    "theta zero": (BASE.replace("theta = 0.7853981633974483", "theta = 0.0"), "mu_D vanishes identically"),
    "bad toml": ("[uv\nM_F = 1\n", "not valid TOML"),
    "no uv section": ("[benchmark]\nname = 'x'\n", "missing the [uv] table"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_cards_exit_2_with_one_line(tmp_path, capsys, fakes, case):
    text, msg = BAD[case]
    card = _card(tmp_path, text)
    out = tmp_path / "h.root"
    for cmd in (["constraints", "--masses", "1e-3GeV", "--method", "rates", "--out", out], ["model"]):
        if cmd == ["model"] and case in (
            "bad scan key",
            "theta zero",
            "bad prescription",
            "two dark widths",
            "negative dark width",
        ):
            continue  # the model command prints mu_D and BRs without the cap or the A' width
        rc, stdout, err = _run(capsys, [*cmd, "--card", card])
        assert rc == 2, (case, cmd, err)
        assert stdout == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("darktmm: error: ") and msg in lines[0], (case, err)
    assert not out.exists()


@pytest.mark.parametrize(
    "argv, msg",
    [
        (["constraints"], "needs --card"),
        (["constraints", "--card", "/nonexistent/x.toml"], "cannot read"),
        (["constraints", "--masses=-1:2:3GeV"], "masses must be > 0"),
        (["constraints", "--method", "spectrl"], "--method = 'spectrl'"),
        (["constraints", "--masses", "1:5:4"], "needs a unit"),
        (["constraints", "--flavour", "blind"], "--flavour = 'blind'"),
        (["constraints", "--gamma-dark=-1keV"], "--gamma-dark = -1e-06 GeV"),
        (["constraints", "--rtol", "2"], "--rtol = 2 is outside"),
        (["constraints", "--scaling-above", "0GeV"], "--scaling-above"),
        (["constraints", "--out", "/nonexistent/dir/h.root"], "does not exist"),
        (["model", "--plot", "x.png"], "not an option of 'darktmm model'"),
        (["model", "--seed", "3"], "not an option of 'darktmm model'"),
    ],
)
def test_bad_options_exit_2(tmp_path, capsys, fakes, argv, msg):
    card = _card(tmp_path, BASE)
    if "--card" not in argv and argv != ["constraints"]:
        argv = [*argv, "--card", card]
    rc, stdout, err = _run(capsys, argv)
    assert rc == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("darktmm: error: ") and msg in lines[0], err


def test_every_example_card_is_valid(capsys):
    cards = sorted(EXAMPLES.glob("*.toml"))
    assert any(c.name == "bm1.toml" for c in cards)
    from darktmm.simulate import cards as cardmod
    from darktmm.simulate import modelcard
    from darktmm.simulate.commands.constraints import SCHEMA

    for c in cards:
        raw, _ = cardmod.load_card(SCHEMA, c)
        cfg = cardmod.resolve(SCHEMA, raw, tables=modelcard.TABLES)
        cap = modelcard.cap_from_card(cfg)
        assert cap.mu_D_max_muB > 0 and cap.perturbative, c
        modelcard.gamma_dark_function(cfg, cap.model.g_D)
        rc, out, _ = _run(capsys, ["model", "--card", c, "--json"])
        assert rc == 0 and json.loads(out)["command"] == "model"


# --- the benchmark card with the real accelerator modules ----------------------------------
def _real():
    pytest.importorskip("darktmm.detectors.na64", reason="detectors/na64.py not in the tree yet (issue 3)")
    pytest.importorskip("darktmm.detectors.babar", reason="detectors/babar.py not in the tree yet (issue 3)")


def test_bm1_card_shows_the_hierarchy(capsys):
    """examples/bm1.toml: MEG II x accelerator below Borexino by > 3 orders at every mass
    (Borexino rate fallback and five masses for speed; the spectral run is in examples/README.md)."""
    _real()
    rc, out, _ = _run(
        capsys,
        [
            "constraints",
            "--card",
            EXAMPLES / "bm1.toml",
            "--masses",
            "1e-3:5:5GeV",
            "--method",
            "rates",
            "--json",
        ],
    )
    assert rc == 0
    s = json.loads(out)
    assert s["benchmark"] == "BM1"
    for p in s["points"]:
        assert p["dominant"].startswith("MEG II x"), p
        assert p["log10_ratio"] > 3, p


def test_bm1_tmm_only_card_says_where_invisible_searches_do_not_apply(capsys):
    _real()
    rc, out, _ = _run(
        capsys,
        [
            "constraints",
            "--card",
            EXAMPLES / "bm1_tmm_only.toml",
            "--masses",
            "0.5MeV,0.1,1GeV",
            "--method",
            "rates",
            "--json",
        ],
    )
    assert rc == 0
    pts = json.loads(out)["points"]
    assert pts[0]["dominant"].startswith("MEG II x")  # below 2 m_e the A' is invisible
    for p in pts[1:]:
        assert p["product_muB"] is None and p["dominant"] == "Borexino"
        assert (
            p["accelerator"]["BaBar"]["applicable"] is False
            and "visibly" in p["accelerator"]["BaBar"]["note"]
        )


@pytest.mark.slow
def test_bm1_numbers_quoted_in_examples_readme(capsys, data_dir):
    """The end points of the BM1 table in examples/README.md (spectral Borexino fit, default card
    settings), rerun: 1 MeV (NA64 dominates) and 5 GeV (BaBar dominates; Borexino scaled as m^2)."""
    _real()
    rc, out, _ = _run(
        capsys,
        [
            "constraints",
            "--card",
            EXAMPLES / "bm1.toml",
            "--masses",
            "1e-3,5GeV",
            "--data-dir",
            data_dir,
            "--json",
        ],
    )
    assert rc == 0
    s = json.loads(out)
    assert s["borexino"]["method"] == "spectral"
    lo, hi = s["points"]
    rows = _bm1_rows()
    want_lo, want_hi = rows["0.001"], rows["5"]
    # the numbers the READMEs quote are those of the checked-in output
    for doc in (EXAMPLES / "README.md", EXAMPLES.parent / "README.md"):
        text = doc.read_text()
        for v in (want_lo["eps_NA64"], want_lo["product"], want_lo["borexino"], want_lo["log10"]):
            assert v in text, (doc.name, v)
        for v in (want_hi["product"], want_hi["borexino"], want_hi["log10"]):
            assert v in text, (doc.name, v)
    # and the command reproduces that output
    assert lo["dominant"] == "MEG II x NA64" and hi["dominant"] == "MEG II x BaBar"
    assert lo["accelerator"]["NA64"]["eps"] == pytest.approx(float(want_lo["eps_NA64"]), rel=5e-3)
    assert lo["product_muB"] == pytest.approx(float(want_lo["product"]), rel=5e-3)
    assert lo["borexino_muB"] == pytest.approx(float(want_lo["borexino"]), rel=5e-3)
    assert lo["log10_ratio"] == pytest.approx(float(want_lo["log10"]), abs=0.01)
    assert hi["accelerator"]["BaBar"]["eps"] == pytest.approx(float(want_hi["eps_BaBar"]), rel=5e-3)
    assert hi["product_muB"] == pytest.approx(float(want_hi["product"]), rel=5e-3)
    assert hi["borexino_muB"] == pytest.approx(float(want_hi["borexino"]), rel=5e-3)
    assert hi["log10_ratio"] == pytest.approx(float(want_hi["log10"]), abs=0.01)


def _bm1_rows() -> dict:
    """Rows of the checked-in ``examples/bm1_constraints.out`` (``darktmm constraints --card
    examples/bm1.toml``), keyed by the mass as printed: text of each number, as printed."""
    rows = {}
    for line in (EXAMPLES / "bm1_constraints.out").read_text().splitlines():
        parts = line.split()
        if len(parts) >= 10 and parts[0][0].isdigit() and "MEG" in line:
            m, e_na, _, e_bb, _, prod, bx = parts[:7]
            rows[m] = {
                "eps_NA64": e_na,
                "eps_BaBar": e_bb,
                "product": prod,
                "borexino": bx,
                "log10": parts[-1],
            }
    return rows


def test_without_data_the_rate_fallback_is_announced(tmp_path, capsys, fakes, monkeypatch):
    monkeypatch.delenv("DARKTMM_DATA", raising=False)
    monkeypatch.setattr("darktmm.detectors.data.cache_dir", lambda: tmp_path / "empty-cache")
    monkeypatch.chdir(tmp_path)
    card = _card(tmp_path, BASE)
    rc, out, err = _run(capsys, ["constraints", "--card", card, "--masses", "1e-3GeV", "--json"])
    assert rc == 0 and "built-in rate likelihood" in err
    assert json.loads(out)["borexino"]["method"] == "rates"
    # the exact flavour treatment and the spectral method need the files: one clear line, exit 2
    for opt in (["--flavour", "exact"], ["--method", "spectral"]):
        rc, out, err = _run(capsys, ["constraints", "--card", card, "--masses", "1e-3GeV", *opt])
        assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "darktmm data fetch" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.toml"]


def test_model_out_writes_runinfo(tmp_path, capsys):
    out = tmp_path / "model.root"
    rc, _, _ = _run(capsys, ["model", "--card", EXAMPLES / "bm1.toml", "--out", out])
    assert rc == 0
    f = uproot.open(out)
    info = json.loads(str(f["runinfo_json"]))
    assert info["command"] == "model" and info["benchmark"] == "BM1"
    assert info["mu_D_flavour"][0]["abs_muB"] == pytest.approx(8.905e-12, rel=1e-3)
