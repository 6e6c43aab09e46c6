"""Every command's plot, rendered through the real commands (issue 10, section 4).

Each run writes a PNG (checked to be a real image of sensible size) and leaves its Figure in
``simulate.plots.last_figure``; the tests then check what a reader would see: the signal inside the
axis, both limit curves visible, both edges of an excluded band, the published curves from the data
files, colours per resonance, axis ranges, units and tick labels that do not overlap. Settings are
small (coarse rtol, few masses, 1000 events). With ``DARKTMM_KEEP_PLOTS=DIR`` the PNGs are also
copied to DIR, to be looked at.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.image as mpimg  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.patches import StepPatch  # noqa: E402

from darktmm.simulate import plots  # noqa: E402
from darktmm.simulate.cli import main  # noqa: E402

KEEP = os.environ.get("DARKTMM_KEEP_PLOTS")


def _render(folder: Path, name: str, argv: list, suffix: str = ".png"):
    """Run a command with ``--plot``; return (Figure, JSON summary, picture path)."""
    out = folder / f"{name}{suffix}"
    buf = io.StringIO()
    plots.last_figure = None
    with contextlib.redirect_stdout(buf):
        rc = main([str(a) for a in argv] + ["--plot", str(out), "--json"])
    assert rc == 0
    assert out.is_file()
    if KEEP and suffix == ".png":
        Path(KEEP).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(KEEP) / out.name)
    fig = plots.last_figure
    assert fig is not None
    return fig, json.loads(buf.getvalue()), out


def _check_png(path: Path, min_w=700, min_h=400):
    img = mpimg.imread(path)
    h, w = img.shape[:2]
    assert w >= min_w and h >= min_h, (w, h)
    assert w <= 4000 and h <= 4000, (w, h)
    assert float(np.ptp(img[..., :3])) > 0.5  # not a blank picture


def _by_gid(fig, gid):
    found = [
        a
        for ax in fig.axes
        for a in (*ax.lines, *ax.patches, *ax.collections, *ax.containers)
        if _gid(a) == gid
    ]
    assert found, f"no artist with gid {gid!r}"
    return found[0]


def _gid(a):
    return a.get_gid() if hasattr(a, "get_gid") else getattr(a, "_gid", None)


def _axes_of(fig, artist):
    return next(ax for ax in fig.axes if artist in (*ax.lines, *ax.patches, *ax.collections))


def _legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def _renderer(fig):
    """A renderer for a figure that plots.py has closed (closing drops its Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def _no_overlapping_ticks(fig):
    r = _renderer(fig)
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            boxes = [
                t.get_window_extent(r) for t in axis.get_ticklabels() if t.get_visible() and t.get_text()
            ]
            for i, a in enumerate(boxes):
                for b in boxes[i + 1 :]:
                    assert not a.overlaps(b), f"overlapping tick labels on {ax.get_xlabel()!r}"


# --- Borexino spectrum -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def borexino_spectrum(tmp_path_factory, data_dir):
    argv = ["spectrum", "borexino", "--m-ap", "0.5MeV", "--rtol", "0.5", "--data-dir", data_dir]
    return _render(tmp_path_factory.mktemp("bx"), "spectrum_borexino", argv)


@pytest.mark.slow
def test_borexino_signal_below_the_axis(borexino_spectrum):
    fig, _, png = borexino_spectrum
    _check_png(png)
    for gid in ("signal", "component:8B+hep"):
        art = _by_gid(fig, gid)
        lo, hi = _axes_of(fig, art).get_ylim()
        peak = float(np.max(art.get_data().values))
        assert lo < peak < hi, (gid, peak, lo, hi)
    # the lower panel: linear, the signal and the residuals inside it
    res = _by_gid(fig, "signal_residual")
    ax = _axes_of(fig, res)
    assert ax.get_yscale() == "linear"
    lo, hi = ax.get_ylim()
    assert lo < 0 < float(np.max(res.get_data().values)) < hi


@pytest.mark.slow
def test_borexino_background_components_shown(borexino_spectrum, data_dir):
    fig, _, _ = borexino_spectrum
    texts = _legend_texts(fig)
    for lab in (
        "$^{14}$C",
        "$^{210}$Po",
        "$^{85}$Kr",
        "$^{210}$Bi",
        "$^{11}$C",
        r"external $\gamma$",
        "$^{7}$Be",
    ):
        assert any(t.startswith(lab) for t in texts), lab
    assert any(r"$\varepsilon\mu_{\rm eff}$" in t and r"$\mu_B$" in t and "m_{A^\\prime}" in t for t in texts)
    # the components are the fitted ones: with the fitted signal they add up to the best fit
    best = _by_gid(fig, "bestfit").get_data().values
    total = sum(
        a.get_data().values
        for ax in fig.axes
        for a in ax.patches
        if isinstance(a, StepPatch) and str(a.get_gid()).startswith("component:")
    )
    # what the components leave of the best fit is the fitted dark-TMM strength times the signal
    rest = best - total
    sig = _by_gid(fig, "signal").get_data().values
    s_hat = np.sum(rest) / np.sum(sig)
    assert s_hat >= -1e-9
    assert np.allclose(rest, s_hat * sig, rtol=1e-6, atol=1e-9 * np.max(best))
    # the data points are the events per bin of the public spectrum (counts = round(rate x exposure))
    from darktmm.detectors import borexino

    d = borexino.load_data(data_dir)
    assert np.sum(best) == pytest.approx(np.sum(d.counts), rel=0.02)


def _has(fig, gid):
    return any(_gid(a) == gid for ax in fig.axes for a in (*ax.lines, *ax.patches, *ax.collections))


# --- limits ------------------------------------------------------------------------------------------
def test_limit_model_point_hidden_under_p_inv_curve(tmp_path, data_dir):
    # a fully invisible A' (Gamma_dark >> Gamma_vis): the model point equals the P_inv = 1 curve
    argv = [
        "limit",
        "babar",
        "--masses",
        "1e-3,0.5,3,7GeV",
        "--gamma-dark",
        "1e-2GeV",
        "--data-dir",
        data_dir,
    ]
    fig, s, png = _render(tmp_path, "limit_babar", argv)
    _check_png(png)
    model, pinv = _by_gid(fig, "model"), _by_gid(fig, "pinv")
    y, yi = model.get_ydata(), pinv.get_ydata()
    assert np.allclose(y, yi, rtol=1e-3)  # they coincide ...
    assert pinv.get_zorder() > model.get_zorder()  # ... and the thin dashed one is drawn on top
    assert pinv.get_linewidth() < model.get_linewidth() and pinv.get_linestyle() != model.get_linestyle()
    assert any("equals the" in t for t in _legend_texts(fig))
    lo, hi = _axes_of(fig, model).get_ylim()
    assert lo < np.nanmin(y) and np.nanmax(y) < hi


def test_limit_legends_lower_case(tmp_path, data_dir):
    argv = ["limit", "babar", "--masses", "1e-3,1,5GeV", "--mu-d", "1e-6muB", "--data-dir", data_dir]
    fig, _, _ = _render(tmp_path, "limit_babar_mu", argv)
    texts = _legend_texts(fig) + [ax.get_title(loc="left") for ax in fig.axes]
    assert any("BaBar" in t for t in texts)
    assert not any("babar" in t for t in texts)
    # the published BaBar curve, read here from the data file
    pub = _by_gid(fig, "published")
    ref = np.loadtxt(Path(data_dir) / "babar" / "BaBar_Lees2017lec.lmt", comments="#")
    assert np.allclose(pub.get_ydata(), ref[:, 1]) and np.allclose(pub.get_xdata(), ref[:, 0])


def test_limit_published_curve_missing_is_said(tmp_path, monkeypatch):
    from darktmm.detectors import data as datamod

    empty = tmp_path / "nodata"
    empty.mkdir()
    monkeypatch.delenv(datamod.ENV_VAR, raising=False)
    monkeypatch.setattr(datamod, "cache_dir", lambda: empty)
    argv = ["limit", "babar", "--masses", "1e-3,1GeV", "--data-dir", empty]
    fig, _, _ = _render(tmp_path, "limit_babar_nodata", argv)
    assert not _has(fig, "published")
    assert any("not shown" in t and "BaBar" in t for t in _legend_texts(fig))


@pytest.mark.slow
def test_limit_upper_edge_of_band_not_drawn(tmp_path, data_dir):
    # NA64, pure kinetic mixing: the A' escapes at small eps and decays inside at large eps, so the
    # excluded band closes (eps_upper finite) at 2.5 and 7 MeV; below 2 m_e it stays open
    argv = ["limit", "na64", "--masses", "1,2.5,7,100MeV", "--rtol", "0.3", "--data-dir", data_dir]
    fig, s, png = _render(tmp_path, "limit_na64", argv)
    _check_png(png)
    info = {round(q["m_ap_GeV"], 6): q for q in s["point_info"]}
    upper = _by_gid(fig, "model_upper")
    lower = _by_gid(fig, "model")
    ax = _axes_of(fig, upper)
    assert "[MeV]" in ax.get_xlabel()
    xu, yu = upper.get_xdata(), upper.get_ydata()
    drawn = np.isfinite(yu)
    assert drawn.sum() == 2
    for x, y in zip(xu[drawn], yu[drawn]):
        q = info[round(x * 1e-3, 6)]
        assert y == pytest.approx(q["eps_upper"], rel=1e-12)
    assert np.all(yu[drawn] > lower.get_ydata()[drawn])
    lo, hi = ax.get_ylim()
    assert lo < np.nanmin(yu) and np.nanmax(yu) < hi  # the upper edge is inside the axis
    ex = _by_gid(fig, "excluded")
    assert isinstance(ex, PolyCollection)
    assert any("excluded up to" in t for t in _legend_texts(fig))  # the open band at 1 MeV says so
    # the published NA64 curve from its data file, and the green/yellow expected band
    pub = _by_gid(fig, "published")
    ref = np.loadtxt(Path(data_dir) / "na64" / "NA64e-_2022.csv", delimiter=",")
    ref = ref[np.argsort(ref[:, 0], kind="stable")]
    assert np.allclose(pub.get_xdata(), ref[:, 0] * 1e3) and np.allclose(pub.get_ydata(), ref[:, 1])
    assert _has(fig, "band1") and _has(fig, "band2")
    assert any("NA64" in t for t in _legend_texts(fig)) and not any("na64" in t for t in _legend_texts(fig))


def test_limit_borexino_green_yellow_bands(tmp_path):
    argv = ["limit", "borexino", "--masses", "1e-3,1,30MeV", "--method", "rates"]
    fig, s, png = _render(tmp_path, "limit_borexino", argv)
    _check_png(png)
    b1, b2 = _by_gid(fig, "band1"), _by_gid(fig, "band2")
    assert matplotlib.colors.to_hex(b1.get_facecolor()[0]).lower() == "#00c000"  # green: +-1 sigma
    assert matplotlib.colors.to_hex(b2.get_facecolor()[0]).lower() == "#ffdf00"  # yellow: +-2 sigma
    med = _by_gid(fig, "expected")
    assert med.get_linestyle() == "--"
    exp = np.array([p["expected"] for p in s["points"]])
    assert np.allclose(med.get_ydata(), exp)
    # the +-2 sigma band encloses the median
    v = b2.get_paths()[0].vertices
    assert v[:, 1].min() <= exp.min() and v[:, 1].max() >= exp.max()


@pytest.mark.parametrize("suffix, magic", [(".pdf", b"%PDF"), (".svg", b"<svg")])
def test_plot_formats_follow_the_suffix(tmp_path, suffix, magic):
    argv = ["limit", "borexino", "--masses", "1e-3,10MeV", "--method", "rates"]
    _, _, out = _render(tmp_path, "limit", argv, suffix=suffix)
    head = out.read_bytes()[:400]
    assert magic in head
    assert out.stat().st_size > 5000


# --- accelerator spectra -------------------------------------------------------------------------------
def test_babar_spectrum_colours_change_between_panels(tmp_path):
    argv = ["spectrum", "babar", "--m-ap", "1GeV", "--eps", "1e-3", "--rtol", "0.2"]
    fig, _, png = _render(tmp_path, "spectrum_babar", argv)
    _check_png(png)
    for k in ("2S", "3S", "4S"):
        a = _by_gid(fig, f"MX2_folded:{k}").get_edgecolor()
        b = _by_gid(fig, f"MX2_true:{k}").get_edgecolor()
        c = _by_gid(fig, f"cos_theta:{k}").get_edgecolor()
        assert a == b == c, k
    cols = {_by_gid(fig, f"MX2_folded:{k}").get_edgecolor() for k in ("2S", "3S", "4S")}
    assert len(cols) == 3
    # M_X^2 axis: the content (a Gaussian around m^2 = 1 GeV^2, EMC width ~1.5 GeV^2) ends below 10
    ax = _axes_of(fig, _by_gid(fig, "MX2_folded:3S"))
    lo, hi = ax.get_xlim()
    assert -5 < lo < 1 < hi < 12


def test_na64_spectrum_right_panel_spans_12_decades(tmp_path):
    argv = ["spectrum", "na64", "--m-ap", "10MeV", "--eps", "1e-4", "--rtol", "0.3"]
    fig, _, png = _render(tmp_path, "spectrum_na64", argv)
    _check_png(png)
    for gid in ("x", "E_miss_true"):
        art = _by_gid(fig, gid)
        lo, hi = _axes_of(fig, art).get_ylim()
        assert hi / lo <= 1e5, gid
        assert lo < float(np.max(art.get_data().values)) < hi


# --- generate ------------------------------------------------------------------------------------------
def _visible_hists(fig):
    out = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for p in ax.patches:
            if isinstance(p, StepPatch) and not p.get_fill():
                out.append((ax, p))
    return out


@pytest.mark.parametrize(
    "process, extra",
    [
        ("borexino", ["--component", "7Be"]),
        ("babar", ["--m-ap", "1GeV"]),
        pytest.param("na64", ["--m-ap", "10MeV"], marks=pytest.mark.slow),
    ],
)
def test_generate_single_spike_panels_and_overlapping_ticks(tmp_path, process, extra):
    argv = ["generate", process, "--events", "1000", "--train-nitn", "4", "--integrate-nitn", "1", *extra]
    fig, s, png = _render(tmp_path, f"generate_{process}", argv)
    _check_png(png, min_w=800)
    hs = _visible_hists(fig)
    assert len(hs) >= 2
    for ax, p in hs:
        assert np.count_nonzero(p.get_data().values) >= 4, ax.get_xlabel()  # no single-spike panel
    _no_overlapping_ticks(fig)
    labels = [ax.get_xlabel() for ax, _ in hs]
    notes = fig._supxlabel.get_text() if fig._supxlabel is not None else ""
    if process == "borexino":
        # keV quantities in keV: T reaches 665 keV for 7Be
        t_ax = next(ax for ax, _ in hs if "recoil kinetic energy" in ax.get_xlabel())
        assert "[keV]" in t_ax.get_xlabel() and 500 < t_ax.get_xlim()[1] < 700
        assert "E_\\nu" in notes and "2 lines" in notes and "keV" in notes  # the two 7Be lines
    if process == "babar":
        # no ISR, on-shell A': E*_gamma, M_X^2, x_ISR and m_inv are single values
        assert all(w in notes for w in ("E^*_\\gamma", "M_X^2", "m_{\\rm inv}"))
        assert not any("E^*_\\gamma" in lab for lab in labels)
    if process == "na64":
        th = next(ax for ax, _ in hs if "polar angle" in ax.get_xlabel())
        assert "[mrad]" in th.get_xlabel()


# --- constraints --------------------------------------------------------------------------------------
def test_hierarchy_plot_reads_well(tmp_path):
    card = Path(__file__).resolve().parents[1] / "examples" / "bm1.toml"
    argv = ["constraints", "--card", card, "--masses", "1e-3,0.1,3GeV", "--method", "rates"]
    fig, _, png = _render(tmp_path, "constraints", argv)
    _check_png(png)
    ax = fig.axes[0]
    texts = _legend_texts(fig)
    assert any("Borexino" in t for t in texts) and any(r"$\mu_{D,\max}$" in t for t in texts)
    assert "$m_{A^\\prime}$" in ax.get_xlabel() and r"$\mu_B$" in ax.get_ylabel()
    # the legend sits beside the axes, not over the curves
    r = _renderer(fig)
    assert ax.get_legend().get_window_extent(r).x0 >= ax.get_window_extent(r).x1
    bx = _by_gid(fig, "borexino")
    lo, hi = ax.get_ylim()
    assert lo < np.nanmin(bx.get_ydata()) and np.nanmax(bx.get_ydata()) < hi


# --- helpers ----------------------------------------------------------------------------------------------
def test_units_chosen_from_the_range():
    assert plots.energy_unit(0.9e-3) == ("keV", 1e-6)
    assert plots.energy_unit(1e-3) == ("MeV", 1e-3)
    assert plots.energy_unit(0.999) == ("MeV", 1e-3)
    assert plots.energy_unit(1.0) == ("GeV", 1.0)
    assert plots.axis_unit("theta [rad]", 3.0) == ("rad", 1.0)
    assert plots.axis_unit("theta [rad]", 2e-4) == (r"$\mu$rad", 1e-6)
    assert plots.axis_unit("M_X^2 [GeV^2]", 4e-6) == ("MeV$^2$", 1e-6)
    assert plots.tex_number(9.25e-12, 3) == r"9.25\times10^{-12}"
    assert plots.tex_number(9.99e-5, 2) == "10^{-4}"


def test_limit_bands_for_an_experiment_without_a_command_yet(tmp_path):
    """The green/yellow band layout does not depend on Borexino: a XENONnT-shaped table (as the
    limit command builds it) draws the same bands, median dashed, observed line and a title."""
    from types import SimpleNamespace

    m = np.array([1e-5, 1e-3, 1e-1])
    med = np.array([2e-11, 3e-11, 4e-9])
    pts = [
        {
            "m_ap_GeV": float(a),
            "limit": float(1.1 * b),
            "expected": float(b),
            "expected_m2": float(0.5 * b),
            "expected_m1": float(0.7 * b),
            "expected_p1": float(1.4 * b),
            "expected_p2": float(2.0 * b),
        }
        for a, b in zip(m, med)
    ]
    table = SimpleNamespace(
        experiment="xenonnt",
        quantity="eps_mu_eff",
        unit="muB",
        header="XENONnT SR0 90% CL upper limit on eps*mu_eff [muB]",
        points=pts,
        info={},
        curves={},
    )
    out = tmp_path / "x.png"
    fig = plots.limit_plot(out, table)
    _check_png(out)
    assert fig is plots.last_figure
    assert _has(fig, "band1") and _has(fig, "band2") and _by_gid(fig, "expected").get_linestyle() == "--"
    assert any(t.startswith("XENONnT observed") for t in _legend_texts(fig))
    ax = fig.axes[0]
    assert "[MeV]" in ax.get_xlabel() and "$\\mu_B$" in ax.get_ylabel()
    assert "XENONnT" in ax.get_title(loc="left")
