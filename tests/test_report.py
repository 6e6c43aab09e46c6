"""``darktmm report``: the folder it writes, its HTML, provenance, --resume, --workers, bad input.

One report of the BM1 card at two masses (1 MeV and 5 GeV: the README's numbers; Borexino is then
computed at 1 MeV and at the card's scaling_above = 0.1 GeV) is made once per module with the card's
own settings (spectral Borexino fit, rtol 1e-2); the other tests read it. The HTML is parsed with the
standard library's ``html.parser``, independently of the report's own helpers.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from darktmm.simulate.cli import main

ROOT = Path(__file__).resolve().parents[1]
BM1 = ROOT / "examples" / "bm1.toml"
MASSES = "1e-3,5GeV"

pytestmark = pytest.mark.slow


class Page(HTMLParser):
    """Links, images, sections and tables of a page (tables as lists of rows of cell text)."""

    def __init__(self):
        super().__init__()
        self.links, self.images, self.sections, self.tables = [], [], [], []
        self._cell = None
        self._kind = None
        self._pre = None
        self.pres = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src"))
        for k in ("src", "href"):
            if a.get(k):
                self.links.append(a[k])
        if tag == "section":
            self.sections.append(a.get("id"))
        if tag == "table":
            self.tables.append({"kind": a.get("data-kind"), "section": self.sections[-1], "rows": []})
        if tag == "tr":
            self.tables[-1]["rows"].append([])
        if tag in ("td", "th"):
            self._cell = []
        if tag == "pre":
            self._pre = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append("".join(self._cell).strip())
            self._cell = None
        if tag == "pre" and self._pre is not None:
            self.pres.append("".join(self._pre))
            self._pre = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._pre is not None:
            self._pre.append(data)


def _parse(folder: Path) -> Page:
    p = Page()
    p.feed((folder / "index.html").read_text(encoding="utf-8"))
    return p


def _run(capsys, argv):
    rc = main([str(a) for a in argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


@pytest.fixture(scope="module")
def first(tmp_path_factory, data_dir):
    """The report of BM1 at MASSES into a fresh folder (the card's own Borexino settings)."""
    import time

    out = tmp_path_factory.mktemp("rep") / "report"
    t0 = time.perf_counter()
    rc = main(
        ["report", "--card", str(BM1), "--out", str(out), "--masses", MASSES, "--data-dir", str(data_dir)]
    )
    assert rc == 0
    return out, time.perf_counter() - t0


def _summary(folder):
    return json.loads((folder / "report.json").read_text())


def test_every_named_file_exists_and_every_written_file_is_named(first):
    out, _ = first
    page = _parse(out)
    assert page.sections == ["summary", "model", "limits", "hierarchy", "files", "provenance"]
    local = [x for x in page.links if not x.startswith(("#", "http:", "https:"))]
    missing = [x for x in local if not (out / x).is_file()]
    assert not missing, missing
    # one image per limit (Borexino, XENONnT, NA64, BaBar), the hierarchy and the two direct probes
    stems = {Path(i).stem for i in page.images}
    assert stems == {
        "limit_borexino",
        "limit_xenonnt",
        "limit_na64",
        "limit_babar",
        "hierarchy",
        "direct_probes",
    }
    for s in stems:
        assert (out / "figures" / f"{s}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / "figures" / f"{s}.pdf").read_bytes()[:5] == b"%PDF-"
        assert f"figures/{s}.pdf" in local
    written = {str(p.relative_to(out)) for d in ("figures", "root", "hepdata") for p in (out / d).iterdir()}
    assert written <= set(local), written - set(local)
    for f in ("report.json", "card.toml", "bm1_numbers.json", "bm1_numbers.md"):
        assert f in local
    for exp in ("borexino", "xenonnt", "na64", "babar"):
        assert f"root/limit_{exp}.root" in written
    assert {"root/hierarchy.root", "root/model.root", "hepdata/submission.yaml"} <= written


def test_captions_say_what_units_and_data(first):
    out, _ = first
    text = (out / "index.html").read_text(encoding="utf-8")
    for cap in re.findall(r"<figcaption>(.*?)</figcaption>", text, re.S):
        assert "GeV" in cap and ("[μ_B]" in cap or "[1]" in cap), cap
        assert "Data:" in cap or "detectors/constraints.py" in cap, cap
    # BaBar has no expected band and the page says so rather than drawing one
    assert "No expected band" in text
    s = _summary(out)
    assert s["limits"]["babar"]["expected_band"].startswith("none")
    assert all(p["expected"] is None for p in s["limits"]["babar"]["points"])


def test_limit_bands_are_ordered_and_in_the_root_trees(first):
    import uproot

    out, _ = first
    keys = ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")
    with uproot.open(out / "root" / "limit_borexino.root") as f:
        t = f["limits"].arrays(library="np")
    assert np.all(np.diff(np.vstack([t[f"{k}_muB"] for k in keys]), axis=0) > 0)
    assert np.allclose(t["m_ap_GeV"], [1e-3, 0.1])  # the hierarchy's Borexino masses
    # XENONnT at the same masses, its band carried over as detectors.xenonnt.limit gives it (at
    # 0.1 GeV its -1 and -2 sigma edges come out inf: reported to the lead, not the report's doing)
    with uproot.open(out / "root" / "limit_xenonnt.root") as f:
        x = f["limits"].arrays(library="np")
    pts = _summary(out)["limits"]["xenonnt"]["points"]
    assert np.allclose(x["m_ap_GeV"], [1e-3, 0.1])
    for k in keys:
        assert np.array_equal(x[f"{k}_muB"], [math.inf if p[k] is None else p[k] for p in pts])
    assert np.all(x["expected_p2_muB"] > x["expected_p1_muB"]) and np.all(
        x["expected_p1_muB"] > x["expected_muB"]
    )
    with uproot.open(out / "root" / "limit_na64.root") as f:
        n = f["limits"].arrays(library="np")
    ok = np.isfinite(n["eps_limit"])
    assert ok[0] and np.all(n["expected_p2"][ok] >= n["expected_p1"][ok])
    assert np.all(n["expected_p1"][ok] >= n["eps_limit"][ok])


def test_provenance_block(first, data_dir):
    import darktmm

    out, _ = first
    page = _parse(out)
    prov = [t for t in page.tables if t["section"] == "provenance"]
    assert all(t["kind"] == "provenance" for t in prov)
    cells = {r[0]: r[1:] for t in prov for r in t["rows"] if r}
    assert cells["darktmm"] == [darktmm.__version__]
    assert cells["numpy"] == [np.__version__]
    assert cells["seed"] == ["1"]
    assert re.fullmatch(r"\d+\.\d s", cells["wall time"][0])
    assert cells["command"] == [
        f"darktmm report --card {BM1} --data-dir {data_dir} --masses 0.001,5GeV --out {out}"
    ]
    # every data file read, with the sha256 of the file itself (hashlib, not the report's code)
    rel = "borexino/phase2_spectrum/phase2_fig6a_components.csv"
    sha = hashlib.sha256((Path(data_dir) / rel).read_bytes()).hexdigest()
    assert cells[rel] == [sha, "ok"]
    assert any(k.startswith("solar/snudd/flux_distributions/") for k in cells)
    assert any(k.startswith("xenonnt/") for k in cells)
    # the card, as read
    assert BM1.read_text() in page.pres
    assert (out / "card.toml").read_text() == BM1.read_text()
    p = _summary(out)["provenance"]
    assert {"versions", "seeds", "data_files", "wall_time_s", "pieces", "command"} <= set(p)
    assert set(p["pieces"]) == {"model", "borexino", "accelerators", "xenonnt", "xenonnt_bounds"}
    assert all(v["state"] == "computed" for v in p["pieces"].values())


def test_numbers_follow_from_the_limits(first):
    """bm1_numbers.json: the cap of uv_model_meg.md section 6 (9.25e-12 muB), Borexino's hierarchy
    bound = its flavour-blind limit / kappa, scaled as m^2 above 0.1 GeV, and the orders of magnitude
    log10(Borexino / (eps mu_D)_max)."""
    out, _ = first
    num = json.loads((out / "bm1_numbers.json").read_text())
    s = _summary(out)
    assert num["mu_D_max_muB"] == pytest.approx(9.25e-12, rel=1e-3)
    assert num["borexino_method"] == "spectral"
    lo, hi = num["points"]
    assert (lo["m_ap_GeV"], hi["m_ap_GeV"]) == (1e-3, 5.0)
    assert lo["dominant"] == "MEG II x NA64" and hi["dominant"] == "MEG II x BaBar"
    kappa = s["hierarchy"]["borexino"]["kappa_mu_eff_over_mu_emu"]
    bx = {p["m_ap_GeV"]: p["limit"] for p in s["limits"]["borexino"]["points"]}
    assert lo["borexino_muB"] == pytest.approx(bx[1e-3] / kappa, rel=1e-12)
    assert hi["borexino_muB"] == pytest.approx(bx[0.1] / kappa * (5.0 / 0.1) ** 2, rel=1e-12)
    for p in (lo, hi):
        assert p["log10_ratio"] == pytest.approx(math.log10(p["borexino_muB"] / p["product_muB"]), abs=1e-12)
        assert p["product_muB"] == pytest.approx(p["eps_max"] * num["mu_D_max_muB"], rel=1e-12)
    md = (out / "bm1_numbers.md").read_text()
    for p in (lo, hi):
        assert f"| {p['log10_ratio']:.2f} |" in md


def test_readme_numbers_come_from_the_report(first):
    """The README's BM1 numbers are the report's: the generated block (between the report's markers)
    has the rows this report makes; without the block yet, the prose quotes the report's numbers."""
    out, _ = first
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    md = (out / "bm1_numbers.md").read_text()
    m = re.search(r"<!-- BEGIN report numbers.*?<!-- END report numbers -->", readme, re.S)
    if m is not None:
        rows = lambda t: [line for line in t.splitlines() if re.match(r"\| [\d.]+ (MeV|GeV) \|", line)]  # noqa: E731
        assert rows(m.group(0)) == rows(md)
        return
    section = readme[readme.index("## Benchmark BM1") :].split("\n## ")[0]
    num = json.loads((out / "bm1_numbers.json").read_text())
    lo, hi = num["points"]
    quoted = [
        f"{num['mu_D_max_muB'] * 1e12:.3g}×10⁻¹² μ_B",
        f"{lo['log10_ratio']:+.2f} (1 MeV)",
        f"{hi['log10_ratio']:+.2f} (5 GeV)",
        f"ε_NA64 = {lo['eps_max']:.3g}",
        f"{lo['product_muB']:.3g} μ_B against",
        f"{lo['borexino_muB']:.3g} μ_B",
        f"{hi['product_muB']:.3g} μ_B against {hi['borexino_muB']:.3g} μ_B",
    ]
    missing = [q for q in quoted if q not in section]
    assert not missing, f"README BM1 section does not quote the report's {missing}; paste bm1_numbers.md"


def test_resume_reuses_every_piece_and_gives_identical_tables(first, tmp_path, data_dir, monkeypatch):
    import uproot

    from darktmm.detectors import borexino, xenonnt
    from darktmm.detectors import constraints as cons
    from darktmm.simulate.commands import model

    out0, _ = first
    out = tmp_path / "again"
    shutil.copytree(out0, out)

    def boom(*a, **k):
        raise AssertionError("a finished piece was computed again")

    for mod, name in ((borexino, "limit"), (xenonnt, "limit"), (cons, "accelerator_eps"), (model, "compute")):
        monkeypatch.setattr(mod, name, boom)
    argv = ["report", "--card", BM1, "--out", out, "--masses", MASSES, "--data-dir", data_dir]
    assert main([str(a) for a in argv + ["--resume"]]) == 0
    s = _summary(out)
    assert all(v["state"] == "reused" for v in s["provenance"]["pieces"].values())
    t0 = [t for t in _parse(out0).tables if t["kind"] == "result"]
    t1 = [t for t in _parse(out).tables if t["kind"] == "result"]
    assert t1 == t0 and len(t0) >= 7
    assert (out / "bm1_numbers.json").read_text() == (out0 / "bm1_numbers.json").read_text()
    with (
        uproot.open(out0 / "root" / "hierarchy.root") as a,
        uproot.open(out / "root" / "hierarchy.root") as b,
    ):
        x, y = a["hierarchy"].arrays(library="np"), b["hierarchy"].arrays(library="np")
    assert all(np.array_equal(x[k], y[k], equal_nan=True) for k in x)
    # a piece whose settings changed (here: its stored hash) is computed again, the others are not
    rec = json.loads((out / "pieces" / "model.json").read_text())
    rec["hash"] = "0" * 64
    (out / "pieces" / "model.json").write_text(json.dumps(rec))
    monkeypatch.undo()
    monkeypatch.setattr(borexino, "limit", boom)
    monkeypatch.setattr(cons, "accelerator_eps", boom)
    assert main([str(a) for a in argv + ["--resume"]]) == 0
    st = _summary(out)["provenance"]["pieces"]
    assert st["model"]["state"] == "computed" and st["borexino"]["state"] == "reused"


def test_workers_give_the_same_numbers(first, tmp_path, data_dir):
    """--workers 2 (a local Dask cluster): the Borexino and accelerator masses spread, same numbers."""
    out0, _ = first
    out = tmp_path / "w2"
    argv = [
        "report",
        "--card",
        BM1,
        "--out",
        out,
        "--masses",
        MASSES,
        "--data-dir",
        data_dir,
        "--workers",
        "2",
    ]
    assert main([str(a) for a in argv]) == 0
    assert (out / "bm1_numbers.json").read_text() == (out0 / "bm1_numbers.json").read_text()
    t0 = [t for t in _parse(out0).tables if t["kind"] == "result"]
    assert [t for t in _parse(out).tables if t["kind"] == "result"] == t0
    assert _summary(out)["provenance"]["executor"] == "local (2 workers)"


@pytest.mark.parametrize(
    "extra, msg",
    [
        ([], "needs --out"),
        (["--out", "{tmp}/r", "--workers", "0"], "--workers = 0 must be >= 1"),
        (["--out", "{tmp}/r", "--force", "--resume"], "give one"),
        (["--out", "{tmp}/full"], "exists and is not empty; add --resume"),
        (["--out", "{tmp}/file.txt"], "is a file, not a folder"),
        (["--out", "{tmp}/r", "--masses", "1e-3"], "needs a unit"),
        (["--out", "{tmp}/r", "--plot", "x.png"], "not an option"),
        (["--out", "{tmp}/r", "--prescription", "best"], "prescription"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, msg):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    (tmp_path / "file.txt").write_text("x")
    argv = ["report", "--card", str(BM1), *[a.format(tmp=tmp_path) for a in extra]]
    rc, out, err = _run(capsys, argv)
    assert rc == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("darktmm: error: ") and msg in lines[0], err
    assert not (tmp_path / "r").exists()


def test_no_card_is_one_line_and_exit_2(capsys, tmp_path):
    rc, out, err = _run(capsys, ["report", "--out", str(tmp_path / "r")])
    assert rc == 2 and "needs --card" in err and len(err.strip().splitlines()) == 1


def test_hierarchy_is_the_constraints_command(first, capsys, data_dir):
    """The report's hierarchy equals ``darktmm constraints`` on the same card and masses: products,
    Borexino and XENONnT bounds, dominant probes. Borexino's points come through
    ``scale.borexino_limit`` in the report (single-threaded BLAS, so --workers changes no bit) and
    through ``borexino.limit`` in constraints: they agree to rounding (1e-9 relative)."""
    import uproot

    out, _ = first
    rc, stdout, err = _run(
        capsys, ["constraints", "--card", BM1, "--masses", MASSES, "--data-dir", data_dir, "--json"]
    )
    assert rc == 0, err
    ref = json.loads(stdout)
    got = _summary(out)["hierarchy"]
    assert got["direct_probe_crossing_GeV"] == pytest.approx(ref["direct_probe_crossing_GeV"], rel=1e-9)
    for a, b in zip(got["points"], ref["points"], strict=True):
        assert a["m_ap_GeV"] == b["m_ap_GeV"] and a["dominant"] == b["dominant"]
        assert a["dominant_direct"] == b["dominant_direct"]
        for k in ("product_muB", "eps_max", "xenonnt_muB"):
            assert a[k] == b[k], k
        assert a["borexino_muB"] == pytest.approx(b["borexino_muB"], rel=1e-9)
    with uproot.open(out / "root" / "hierarchy.root") as f:
        t = f["hierarchy"].arrays(library="np")
    assert np.array_equal(t["xenonnt_muB"], [p["xenonnt_muB"] for p in got["points"]])
    assert _summary(out)["numbers"]["direct_probe_crossing_GeV"] == got["direct_probe_crossing_GeV"]
