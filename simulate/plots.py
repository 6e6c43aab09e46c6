"""Every figure of darktmm (matplotlib, Agg backend, mathtext, never LaTeX), written atomically.

The format follows the file name: ``.png``, ``.pdf`` or ``.svg``. Each function returns the
:class:`matplotlib.figure.Figure` it wrote (closed; its artists stay readable) and leaves it in
:data:`last_figure`, so that tests can check what was drawn after a command ran. Artists a test
looks for carry a ``gid`` ("signal", "bestfit", "data", "model", "model_upper", "pinv",
"published", ...).

Style: inward ticks on all four sides, minor ticks, mathtext for every symbol (``$^{7}$Be``,
``$\\varepsilon$``, ``$\\mu_B$``, ``$m_{A^\\prime}$``), histograms drawn as steps (``mplhep.histplot``);
no global experiment style and no LaTeX (``text.usetex`` is False). Energies are shown in the unit
that suits their range (:func:`energy_unit`).
"""

from __future__ import annotations

import functools
import math
import re
import textwrap
from pathlib import Path

import numpy as np

from darktmm.simulate.rootio import atomic_path
from darktmm.spectra.constants import MEV

#: The figure written last (for tests; None before the first one).
last_figure = None

#: rcParams every figure is drawn with (local to the figure, never global).
STYLE = {
    "text.usetex": False,
    "font.size": 11,
    "axes.labelsize": 11,
    "axes.titlesize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "xtick.direction": "in",
    "ytick.direction": "in",
    "xtick.top": True,
    "ytick.right": True,
    "xtick.minor.visible": True,
    "ytick.minor.visible": True,
    "axes.formatter.use_mathtext": True,
    "axes.formatter.limits": (-3, 4),
    "savefig.dpi": 150,
}

#: Mathtext names of the Borexino components (solar neutrinos and backgrounds).
COMPONENT_LABELS = {
    "pp": "pp",
    "7Be": r"$^{7}$Be",
    "pep": "pep",
    "13N": r"$^{13}$N",
    "15O": r"$^{15}$O",
    "17F": r"$^{17}$F",
    "CNO": "CNO",
    "8B": r"$^{8}$B",
    "hep": "hep",
    "8B+hep": r"$^{8}$B + hep",
    "C14": r"$^{14}$C",
    "pileup": r"$^{14}$C pile-up",
    "Po210": r"$^{210}$Po",
    "Kr85": r"$^{85}$Kr",
    "Bi210": r"$^{210}$Bi",
    "C11": r"$^{11}$C",
    "ext": r"external $\gamma$",
}

_COLORS = {
    "pp": "#1f77b4",
    "7Be": "#ff7f0e",
    "pep": "#2ca02c",
    "CNO": "#9467bd",
    "8B+hep": "#e377c2",
    "13N": "#9467bd",
    "15O": "#8c564b",
    "8B": "#e377c2",
    "C14": "#8c564b",
    "pileup": "#e7969c",
    "Po210": "#7f7f7f",
    "Kr85": "#17becf",
    "Bi210": "#5254a3",
    "C11": "#bcbd22",
    "ext": "#000000",
}

#: One colour per Upsilon resonance, the same in every panel and figure.
RESONANCE_COLORS = {"2S": "#1f77b4", "3S": "#d62728", "4S": "#2ca02c"}

SIGNAL_COLOR = "#d400d4"

EXPERIMENT_NAMES = {"borexino": "Borexino", "babar": "BaBar", "na64": "NA64", "xenonnt": "XENONnT"}


# --- helpers ------------------------------------------------------------------------------------
def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure(func):
    """Decorator: draw ``func`` under :data:`STYLE` (a local ``rc_context``, nothing global).

    >>> import matplotlib
    >>> @figure
    ... def tick_direction():
    ...     return matplotlib.rcParams["xtick.direction"]
    >>> tick_direction()
    'in'
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        plt = _plt()
        with plt.rc_context(STYLE):
            return func(*args, **kwargs)

    return wrapper


def _save(fig, path):
    global last_figure
    fmt = Path(path).suffix.lower().lstrip(".") or "png"
    with atomic_path(path, "." + fmt) as tmp:
        fig.savefig(tmp, bbox_inches="tight", format=fmt)
    _plt().close(fig)
    last_figure = fig
    return fig


def tex_number(x: float, digits: int = 2) -> str:
    """``x`` as a mathtext number (without the $): 0.5, 1.2\\times10^{-11}, 10^{-4}.

    >>> tex_number(1e-11), tex_number(2.5e-11), tex_number(0.5), tex_number(0.0)
    ('10^{-11}', '2.5\\\\times10^{-11}', '0.5', '0')
    """
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else r"\infty"
    e = math.floor(math.log10(abs(x)))
    if -2 <= e <= 3:
        return f"{x:.{digits}g}"
    m = f"{x / 10**e:.{digits}g}"
    if m == "10":
        m, e = "1", e + 1
    sign = "-" if x < 0 else ""
    return rf"{sign}10^{{{e}}}" if m in ("1", "-1") else rf"{m}\times10^{{{e}}}"


#: Energy units [GeV per unit], smallest first.
ENERGY_UNITS = (("eV", 1e-9), ("keV", 1e-6), ("MeV", 1e-3), ("GeV", 1.0), ("TeV", 1e3))


def energy_unit(x_GeV: float) -> tuple[str, float]:
    """The unit to show an energy scale of ``x_GeV`` [GeV] in, and GeV per unit: the largest unit
    in which ``|x|`` is at least 1 (eV to TeV).

    >>> energy_unit(6.6e-4), energy_unit(0.862e-3), energy_unit(0.5), energy_unit(100.0)
    (('keV', 1e-06), ('keV', 1e-06), ('MeV', 0.001), ('GeV', 1.0))
    """
    x = abs(float(x_GeV))
    unit = ENERGY_UNITS[0]
    for u in ENERGY_UNITS:
        if x >= u[1] * (1 - 1e-9):
            unit = u
    return unit


def format_energy(x_GeV: float, digits: int = 3) -> str:
    """``x_GeV`` [GeV] as text in a suitable unit (:func:`energy_unit`).

    >>> format_energy(5e-4), format_energy(1.0), format_energy(0.0)
    ('500 keV', '1 GeV', '0 GeV')
    """
    if x_GeV == 0:
        return "0 GeV"
    u, f = energy_unit(x_GeV)
    return f"{x_GeV / f:.{digits}g} {u}"


def _tex_resonance(name: str) -> str:
    return name.replace("Upsilon", "\u03d2")


def _stairs(ax, values, edges, **kw):
    """A step histogram in mplhep's style (``mplhep.histplot``, no flow bins); returns the
    StepPatch. Without mplhep (an optional dependency) matplotlib's own ``stairs`` draws it."""
    from matplotlib.patches import StepPatch

    gid = kw.pop("gid", None)
    values, edges = np.asarray(values, float), np.asarray(edges, float)
    before = len(ax.patches)
    try:
        import mplhep
    except ImportError:  # pragma: no cover - mplhep is in the plot and test extras
        mplhep = None
    if mplhep is not None:
        try:
            mplhep.histplot(values, edges, ax=ax, flow=None, **kw)
        except TypeError:  # pragma: no cover - mplhep older than the flow option
            mplhep.histplot(values, edges, ax=ax, **kw)
    else:  # pragma: no cover
        yerr = kw.pop("yerr", None)
        ax.stairs(values, edges, baseline=None, **kw)
        if yerr is not None:
            ax.errorbar(0.5 * (edges[1:] + edges[:-1]), values, yerr=yerr, fmt="none", color=kw.get("color"))
    patch = next(p for p in ax.patches[before:] if isinstance(p, StepPatch))
    if gid is not None:
        patch.set_gid(gid)
    return patch


def _note_handle(text):
    """An invisible legend entry that carries a note."""
    from matplotlib.patches import Patch

    return Patch(color="none", label=text)


# --- Borexino spectrum ----------------------------------------------------------------------------
def _borexino_components(res):
    """Per-component expected counts per bin at the best fit: (solar dict, background dict, signal
    at the fit). Rates and background scales from ``res.fit`` (``detectors.borexino.build_model``
    templates: expected counts = theta_k A_k + fixed; solar_borexino.md section 7)."""
    from darktmm.detectors import borexino

    data = res.data
    lin = borexino.build_model(data, res.sm, res.rates, res.tmm, mc_errors=False)
    theta = dict(zip(lin.names, np.asarray(res.fit.theta, dtype=float)))
    comp = {n: theta[n] * lin.A[i] for i, n in enumerate(lin.names)}
    solar = {c: comp[c] for c in ("pp", "7Be", "pep", "CNO")}
    solar["8B+hep"] = lin.fixed
    bkg = {b: comp[b] for b in borexino.BACKGROUNDS}
    return solar, bkg, comp.get("s", np.zeros_like(lin.fixed))


def _data_first(handles, labels):
    """Legend entries with the data points first."""
    order = sorted(range(len(labels)), key=lambda i: "data" not in labels[i])
    return [handles[i] for i in order], [labels[i] for i in order]


def _rebin(values, k):
    n = len(values) // k * k
    return np.add.reduceat(np.asarray(values, float)[:n], np.arange(0, n, k))


@figure
def borexino_spectrum(path, res):
    """Data, best fit, every fitted component and the dark-TMM signal of a
    ``detectors.borexino.SpectrumFit`` in events per bin (spectra [cpd/100 t] x EXPOSURE_TFC
    [day x 100 t]; arXiv:1707.09279 Fig. 6 layout), E_rec in MeV.

    Upper panel (log): the y range is chosen from what is drawn, so that the peak of every
    component, including the signal and 8B, is inside it. Lower panel (linear): data minus the
    best-fit SM and backgrounds (TMM strength removed) in coarse bins, with the signal of this
    model point (and, when it is too small to see, the signal scaled by a power of ten, said in
    the legend). Without the data files: the SM spectra at their nominal rates and the signal.

    Example (needs the VEGAS spectra, a few seconds): ``darktmm spectrum borexino --m-ap 0.5MeV
    --rtol 0.05 --plot b.png`` calls ``borexino_spectrum("b.png", borexino.fit_spectrum(model))``;
    ``tests/test_plots.py`` renders and checks it.
    """
    from darktmm.detectors.borexino import CNO, EXPOSURE_TFC, SOLAR

    plt = _plt()
    res_data = res.data
    m_ap = res.model.m_ap
    eps_mu = float(np.sqrt(np.max(res.model.column_norms_sq_muB2))) * res.model.eps
    edges = (res_data.edges if res_data is not None else res.edges) / MEV
    signal = sum(res.tmm[c].folded for c in SOLAR) * EXPOSURE_TFC
    sig_label = rf"dark TMM: $\varepsilon\mu_{{\rm eff}}$ = ${tex_number(eps_mu)}$ $\mu_B$, $m_{{A^\prime}}$ = {format_energy(m_ap)}"
    have = res_data is not None and res.bestfit is not None
    if have:
        fig, (ax, ar) = plt.subplots(
            2, 1, figsize=(10, 7.2), sharex=True, gridspec_kw={"height_ratios": [3, 1.4], "hspace": 0.05}
        )
        solar, bkg, s_fit = _borexino_components(res)
    else:
        fig, ax = plt.subplots(figsize=(10, 5.5))
        ar = None
        solar = {c: res.sm[c].folded * EXPOSURE_TFC for c in ("pp", "7Be", "pep")}
        solar["CNO"] = sum(res.sm[c].folded for c in CNO) * EXPOSURE_TFC
        solar["8B+hep"] = (res.sm["8B"].folded + res.sm["hep"].folded) * EXPOSURE_TFC
        bkg, s_fit = {}, None
    drawn = []
    if have:
        xc = 0.5 * (edges[1:] + edges[:-1])
        d = res_data.counts
        ax.errorbar(
            xc,
            d,
            yerr=np.sqrt(d),
            fmt="o",
            ms=1.8,
            lw=0.6,
            color="k",
            label="Borexino Phase II data",
            gid="data",
        )
        _stairs(
            ax,
            res.bestfit,
            edges,
            color="red",
            lw=1.6,
            label="best fit (all components)",
            gid="bestfit",
            zorder=5,
        )
        drawn += [d, res.bestfit]
    for c, v in solar.items():
        _stairs(ax, v, edges, color=_COLORS[c], lw=1.3, label=COMPONENT_LABELS[c], gid=f"component:{c}")
        drawn.append(v)
    for b, v in bkg.items():
        lab = COMPONENT_LABELS[b] + (" (best fit: 0)" if not np.any(v > 0) else "")
        ls = "-." if b == "ext" else "--"
        _stairs(ax, v, edges, color=_COLORS[b], lw=1.1, ls=ls, label=lab, gid=f"component:{b}")
        drawn.append(v)
    _stairs(ax, signal, edges, color=SIGNAL_COLOR, lw=2.4, label=sig_label, gid="signal", zorder=6)
    drawn.append(signal)
    top = max(float(np.max(v)) for v in drawn)
    peaks = [float(np.max(v)) for v in drawn if np.max(v) > 0]
    lo = max(0.3 * min(peaks), 1e-7 * top)
    ax.set_yscale("log")
    ax.set_ylim(10 ** math.floor(math.log10(lo)), 4 * top)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylabel(r"events per bin (582.3 d $\times$ 100 t)")
    ax.set_title(
        r"Borexino Phase II, TFC-subtracted: electron recoils" + f" ({len(edges) - 1} bins of 1 $N_h$)",
        loc="left",
    )
    handles, labels = _data_first(*ax.get_legend_handles_labels())
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, handlelength=2.2)
    if ar is None:
        ax.set_xlabel(r"reconstructed energy $E_{\rm rec}$ [MeV]")
        return _save(fig, path)
    # lower panel: the excess over the best-fit SM + backgrounds, and the signal, linear
    k = max(1, int(math.ceil(len(d) / 40)))
    eb = edges[: len(d) // k * k + 1 : k]
    resid = _rebin(d - (res.bestfit - s_fit), k)
    err = np.sqrt(_rebin(d, k))
    sig_k = _rebin(signal, k)
    ar.axhline(0.0, color="0.4", lw=0.8)
    ar.errorbar(
        0.5 * (eb[1:] + eb[:-1]),
        resid,
        yerr=err,
        fmt="o",
        ms=3,
        lw=0.8,
        color="k",
        label=r"data $-$ best-fit SM and backgrounds",
        gid="residual",
    )
    _stairs(
        ar, sig_k, eb, color=SIGNAL_COLOR, lw=2.2, label="dark TMM (this model point)", gid="signal_residual"
    )
    if s_fit is not None and np.any(s_fit > 0):
        # the signal scales as (eps mu_eff)^2: the best-fit strength s is (eps mu / eps mu_model)^2
        s_hat = float(np.sum(s_fit) / np.sum(signal)) if np.sum(signal) > 0 else 0.0
        lab = rf"dark TMM at the best fit ($\varepsilon\mu_{{\rm eff}}$ = ${tex_number(eps_mu * math.sqrt(s_hat))}$ $\mu_B$)"
        _stairs(ar, _rebin(s_fit, k), eb, color=SIGNAL_COLOR, lw=1.2, ls=":", label=lab, gid="signal_bestfit")
    scale_note = None
    typical = float(np.median(err))
    smax = float(np.max(np.abs(sig_k)))
    if 0 < smax < 0.2 * typical:
        n = math.ceil(math.log10(typical / smax))
        _stairs(
            ar,
            sig_k * 10**n,
            eb,
            color=SIGNAL_COLOR,
            lw=1.4,
            ls="--",
            label=rf"dark TMM $\times\,10^{{{n}}}$ (to show its shape)",
            gid="signal_scaled",
        )
        scale_note = n
    # the range follows the typical residual; the few bins under the 210Po peak may run off it
    shown = [2.5 * float(np.percentile(np.abs(resid) + err, 75)), 1.3 * smax]
    if scale_note:
        shown.append(1.3 * smax * 10**scale_note)
    if s_fit is not None:
        shown.append(1.3 * float(np.max(_rebin(s_fit, k))))
    span = max(shown)
    ar.set_ylim(-span, span)
    ar.set_ylabel(f"events per {k} $N_h$ bins")
    ar.set_xlabel(r"reconstructed energy $E_{\rm rec}$ [MeV]")
    ar.legend(
        *_data_first(*ar.get_legend_handles_labels()),
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8.5,
    )
    return _save(fig, path)


# --- limits ---------------------------------------------------------------------------------------
def _published_overlay(experiment, data_dir):
    """(masses [GeV], eps, label) of the published invisible-A' curve, or (None, None, note)."""
    from darktmm.detectors import data as datamod

    if experiment == "babar":
        from darktmm.detectors import babar

        if not datamod.available(babar.DATA_FILE, data_dir):
            return None, None, "published BaBar curve not shown: data file not found"
        c = babar.load_data(data_dir)
        return c.masses, c.eps_ul, r"BaBar 2017 published ($P_{\rm inv}$ = 1)"
    if experiment == "na64":
        from darktmm.detectors import na64

        try:
            c = na64.load_curve(data_dir)
        except datamod.DataError:
            return None, None, "published NA64 curve not shown: data file not found"
        return c.masses, c.eps, r"NA64 2023 published ($P_{\rm inv}$ = 1)"
    return None, None, None


def _mass_axis(m_GeV):
    unit, f = energy_unit(np.nanmax(m_GeV) * (1 - 1e-6))
    if unit in ("eV", "keV"):
        unit, f = "MeV", 1e-3
    return unit, f


def _band_cols(points, keys):
    def col(key):
        return np.array([np.nan if p.get(key) is None else p[key] for p in points], dtype=float)

    if not all(p.get(k) is not None for p in points for k in keys):
        return None
    return [col(k) for k in keys]


@figure
def limit_plot(path, table, data_dir=None):
    """The 90 % CL limit of a ``simulate.commands.limit.LimitTable`` against m_A' (log axes).

    * Borexino (eps*mu_eff [mu_B]): the observed limit, the Asimov median (dashed) with its
      +-1 sigma (green) and +-2 sigma (yellow) bands (arXiv:1007.1727), Borexino's published
      photon limit.
    * BaBar and NA64 (eps): the region this model point excludes, shaded between its lower edge
      (thick) and upper edge ``table.info["point_info"][i]["eps_upper"]`` (drawn where finite; the
      band reaches eps = 1 elsewhere); the P_inv = 1 recast as a thin dashed line on top, so both
      stay visible where they coincide (BR_inv ~ 1); the published curve of the experiment
      (``detectors.babar.load_data`` / ``detectors.na64.load_curve`` from ``data_dir``; when the
      file is missing the legend says so); masses where the search does not apply shaded grey;
      NA64's expected band when the table has one.

    Example (needs a limit scan): ``darktmm limit na64 --masses 1:1000:10MeV --plot l.png`` calls
    ``limit_plot("l.png", table, data_dir=...)``; ``tests/test_plots.py`` renders and checks it.
    """
    plt = _plt()
    exp = table.experiment
    name = EXPERIMENT_NAMES.get(exp, exp)
    pts = table.points
    m = np.array([p["m_ap_GeV"] for p in pts], dtype=float)
    unit, f = _mass_axis(m)
    x = m / f
    y = np.array([np.nan if p.get("limit") is None else p["limit"] for p in pts], dtype=float)
    y[~np.isfinite(y)] = np.nan
    fig, ax = plt.subplots(figsize=(7.8, 5.4))
    finite = [v for v in y if np.isfinite(v)]
    extra = []
    band = _band_cols(pts, ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2"))
    who = "this model point" if exp in ("babar", "na64") else "this fit"
    if band is not None:
        m2, m1, med, p1, p2 = band
        ax.fill_between(
            x, m2, p2, color="#ffdf00", lw=0, label=r"expected $\pm 2\sigma$", gid="band2", zorder=1
        )
        ax.fill_between(
            x, m1, p1, color="#00c000", lw=0, label=r"expected $\pm 1\sigma$", gid="band1", zorder=2
        )
        ax.plot(x, med, color="k", ls="--", lw=1.3, label="expected (median)", gid="expected", zorder=3)
        finite += [v for v in (*m2, *p2) if np.isfinite(v)]
    if exp in ("babar", "na64"):
        info = table.info.get("point_info") or [{} for _ in pts]
        up = np.array(
            [q.get("eps_upper", math.inf) if q.get("eps_upper") is not None else math.inf for q in info],
            float,
        )
        appl = np.isfinite(y)
        inv = np.array(table.eps_invisible, dtype=float)
        inv[~np.isfinite(inv)] = np.nan
        finite += [v for v in inv if np.isfinite(v)] + [v for v in up[appl] if np.isfinite(v)]
        pm, pe, plab = _published_overlay(exp, data_dir)
        if pm is not None:
            sel = (pm >= 0.8 * np.nanmin(m)) & (pm <= 1.25 * np.nanmax(m))
            ax.plot(pm / f, pe, color="k", lw=1.0, label=plab, gid="published", zorder=6)
            finite += list(pe[sel])
        elif plab:
            extra.append(_note_handle(plab))
        ylo, yhi = 0.4 * min(finite), 2.5 * max(finite)
        yhi = min(yhi, 1.0)
        upper_fill = np.where(np.isfinite(up), up, 10 * yhi)
        ax.fill_between(
            x,
            np.where(appl, y, np.nan),
            np.where(appl, upper_fill, np.nan),
            color="tab:red",
            alpha=0.18,
            lw=0,
            label=f"excluded ({who})",
            gid="excluded",
            zorder=2,
        )
        # an applicable mass between two that are not: no area to fill, a bar instead
        nb = np.concatenate([[False], appl, [False]])
        alone = appl & ~nb[:-2] & ~nb[2:]
        if alone.any():
            ax.vlines(x[alone], y[alone], upper_fill[alone], color="tab:red", alpha=0.18, lw=8, zorder=2)
        ax.plot(
            x,
            y,
            color="tab:red",
            lw=3.2,
            marker="o",
            ms=5,
            label=f"{name}: lower edge ({who})",
            gid="model",
            zorder=5,
            solid_capstyle="butt",
        )
        upper = np.where(appl & np.isfinite(up), up, np.nan)
        if np.any(np.isfinite(upper)):
            ax.plot(
                x,
                upper,
                color="tab:red",
                lw=2.0,
                marker="v",
                ms=4,
                label=f"{name}: upper edge ({who})",
                gid="model_upper",
                zorder=5,
            )
        if np.any(appl & ~np.isfinite(up)):
            extra.append(_note_handle(r"no upper edge drawn: excluded up to $\varepsilon$ = 1"))
        ax.plot(
            x,
            inv,
            color="#1f3fbf",
            lw=1.3,
            ls=(0, (5, 3)),
            label=rf"{name} recast, invisible A' ($P_{{\rm inv}}$ = 1)",
            gid="pinv",
            zorder=7,
        )
        same = appl & np.isfinite(inv) & (np.abs(y - inv) <= 0.01 * np.abs(inv))
        if same.any():
            extra.append(
                _note_handle(
                    r"where BR$_{\rm inv}\approx$ 1 the model point equals the $P_{\rm inv}$ = 1 curve"
                )
            )
        if (~appl).any():
            _shade(ax, x, ~appl, "not constrained: the A' decays visibly")
        ax.set_ylim(ylo, yhi)
        ax.set_ylabel(r"kinetic mixing $\varepsilon$ (90% CL)")
        mdl = table.info.get("model", {})
        sub = mdl.get("description") or (  # a model point that is not (Gamma_dark, flat mu_D) names itself
            rf"$\Gamma_{{\rm dark}}$ = {format_energy(mdl.get('gamma_dark_GeV', 0.0))}, "
            rf"$\mu_D$ = ${tex_number(mdl.get('mu_D_muB', 0.0) or 0.0)}$ $\mu_B$ (flavour blind)"
        )
        head = {
            "babar": "BaBar 2017 single photon",
            "na64": "NA64 2023 missing energy (9.37$\\times10^{11}$ EOT)",
        }[exp]
        ax.set_title(f"{head}: 90% CL recast\n{sub}", fontsize=10, loc="left")
    else:
        # Borexino (and any other experiment with an observed limit and an expected band)
        obs = f"{name} Phase II" if exp == "borexino" else name
        ax.plot(x, y, color="tab:red", lw=2.4, label=f"{obs} observed ({who})", gid="model", zorder=5)
        for label, v in table.curves.values():
            ax.axhline(
                v, color="0.3", ls=":", lw=1.5, label=label.replace("eps", r"$\varepsilon$"), gid="published"
            )
            finite.append(v)
        ax.set_ylim(0.4 * min(finite), 4.0 * max(finite))
        ax.set_ylabel(
            r"90% CL upper limit on $\varepsilon\,\mu_{\rm eff}$ [$\mu_B$]"
            if table.unit == "muB"
            else rf"90% CL upper limit on {table.quantity} [{table.unit}]"
        )
        ax.set_title(_limit_title(table), fontsize=10, loc="left")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x.min() / 1.3, x.max() * 1.3)
    ax.set_xlabel(rf"dark-photon mass $m_{{A^\prime}}$ [{unit}]")
    ax.grid(True, which="major", alpha=0.3)
    h, lab = ax.get_legend_handles_labels()
    ax.legend(
        h + extra,
        lab + [e.get_label() for e in extra],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=9,
    )
    return _save(fig, path)


def _limit_title(table) -> str:
    """The title of a non-accelerator limit plot: the likelihood in words (Borexino), else the
    table's header."""
    inf = table.info
    if table.experiment != "borexino":
        return textwrap.fill(pretty(table.header), 90)
    meth = {"spectral": "spectral fit", "rates": "rate likelihood (pp, $^{7}$Be, pep)"}.get(
        inf.get("method", ""), inf.get("method", "")
    )
    pri = {"ssm": "SSM priors", "ga": "Ga priors", "free": "free pp and $^{7}$Be"}.get(
        inf.get("treatment", ""), inf.get("treatment", "")
    )
    cl = {"profile": "one-sided profile likelihood", "cls": "CL$_s$"}.get(
        inf.get("method_cl", "profile"), inf.get("method_cl", "")
    )
    return f"Borexino Phase II, 90% CL: {meth}, {pri}, {cl}"


# --- event histograms -----------------------------------------------------------------------------
#: Mathtext symbol per observable name (the unit is taken from the observable's title).
OBSERVABLE_SYMBOLS = {
    "E_nu": r"neutrino energy $E_\nu$",
    "T": r"recoil kinetic energy $T$",
    "cos_theta_sun": r"$\cos\theta_{e,\odot}$ (to the Sun direction)",
    "phi": r"azimuth $\phi$",
    "E_rec": r"reconstructed energy $E_{\rm rec}$",
    "E_gamma_cm": r"photon energy $E^*_\gamma$ (CM)",
    "cos_theta_cm": r"photon $\cos\theta^*$ (CM)",
    "MX2": r"missing mass squared $M_X^2$",
    "isr_x": r"ISR fraction $x = 1 - s'/s$",
    "m_inv": r"A' invariant mass $m_{\rm inv}$",
    "t_X0": r"emission depth $t$",
    "E_e": r"electron energy at emission $E_e$",
    "x": r"energy fraction $x = E_{A^\prime}/E_e$",
    "E_ap": r"A' energy $E_{A^\prime}$",
    "theta_ap": r"A' polar angle $\theta_{A^\prime}$",
    "E_miss_true": r"true $E_{\rm miss}$ (0: visible decay inside)",
    "E_ecal": r"ECAL energy $E_{\rm ECAL}$",
    "E_miss": r"missing energy $E_0 - E_{\rm ECAL}$",
}


def axis_unit(title: str, extent: float) -> tuple[str, float]:
    """The display unit and its factor [native unit per display unit] of an observable whose
    ``title`` ends in ``[GeV]``, ``[GeV^2]`` or ``[rad]`` (else the title's unit, factor 1),
    chosen from the largest |value| ``extent`` shown (in the native unit).

    >>> axis_unit("recoil T [GeV]", 6.6e-4), axis_unit("M_X^2 [GeV^2]", 5.0), axis_unit("angle [rad]", 6e-4)
    (('keV', 1e-06), ('GeV$^2$', 1.0), ('mrad', 0.001))
    """
    mt = re.search(r"\[([^\]]*)\]\s*$", title)
    native = mt.group(1) if mt else ""
    if native == "X0":
        return "$X_0$", 1.0
    if native == "GeV":
        return energy_unit(extent)
    if native == "GeV^2":
        u, f = energy_unit(math.sqrt(abs(extent)) if extent else 1.0)
        return f"{u}$^2$", f * f
    if native == "rad":
        if abs(extent) >= 0.5:
            return "rad", 1.0
        return ("mrad", 1e-3) if abs(extent) >= 0.5e-3 else (r"$\mu$rad", 1e-6)
    return native, 1.0


def _label(o, unit) -> str:
    base = OBSERVABLE_SYMBOLS.get(o.name)
    if base is None:
        base = re.sub(r"\s*\[[^\]]*\]\s*$", "", o.title)
    return f"{base} [{unit}]" if unit else base


#: Plain-text tokens of process descriptions and their typeset form (DejaVu Sans has the glyphs).
_PRETTY = (
    (r"\be\+e-", "e\u207ae\u207b"),
    (r"\be-", "e\u207b"),
    (r" -> ", " \u2192 "),
    (r"\bnu\b", "\u03bd"),
    (r"\bgamma\b", "\u03b3"),
    (r"\beps\b", "\u03b5"),
    (r"\bmu_eff\b", "\u03bc_eff"),
    (r"\bmuB\b", "\u03bc_B"),
    (r"\bUpsilon\b", "\u03d2"),
    (r"\bsqrt\(s\)", "\u221as"),
    (r"\b7Be\b", "\u2077Be"),
    (r"\b8B\b", "\u2078B"),
    (r"\b13N\b", "\u00b9\u00b3N"),
    (r"\b15O\b", "\u00b9\u2075O"),
    (r"\b17F\b", "\u00b9\u2077F"),
)


def pretty(text: str) -> str:
    """A plain-text physics string (``e+e- -> gamma A'``) with Unicode symbols, for titles.

    >>> pretty("e+e- -> gamma A', eps = 0.001")
    "e⁺e⁻ → γ A', ε = 0.001"
    """
    for pat, rep in _PRETTY:
        text = re.sub(pat, rep, text)
    return text


def _line_note(o, v, e, nz, u, f) -> str:
    """An observable whose content sits in one bin or a few isolated bins, as a line of text."""
    frac = v[nz] / v[nz].sum()
    vals = ", ".join(
        f"{0.5 * (e[i] + e[i + 1]) / f:.4g} \u00b1 {0.5 * (e[i + 1] - e[i]) / f:.2g}"
        + (f" ({100 * w:.0f}%)" if len(nz) > 1 else "")
        for i, w in zip(nz, frac)
    )
    what = "one bin" if len(nz) == 1 else f"{len(nz)} lines"
    return f"{_label(o, '')}: {what} at {vals} {u}".rstrip()


@figure
def event_histograms(path, process, hists, unweighted):
    """One panel per observable of an event run (``simulate.histograms.Histograms``): the sum of
    weights per bin as steps (``mplhep.histplot``) with its MC error sqrt(sum w^2) as a band, in
    weight units per bin (events when unweighted).

    Each axis shows the range that holds content, in a unit chosen from that range (keV, MeV or
    GeV; mrad for small angles), with at most five major ticks; a panel whose content spans more
    than a factor 30 is drawn on a log scale. An observable whose content lies in one bin (or two
    or three isolated bins, e.g. the two 7Be E_nu lines) gets no panel: its value is written
    under the figure instead.

    Example (needs an event run): ``darktmm generate na64 --events 1000 --plot h.png``;
    ``tests/test_plots.py`` renders and checks it.
    """
    from matplotlib.ticker import MaxNLocator

    plt = _plt()
    unit = "events" if unweighted else process.weight_unit
    panels, notes = [], []
    for o in hists.specs:
        v = np.asarray(hists.sumw[o.name], float)
        e = np.asarray(hists.edges[o.name], float)
        nz = np.flatnonzero(v != 0)
        if len(nz) == 0:
            notes.append(f"{_label(o, '')}: no entries in [{o.lo:g}, {o.hi:g}]")
            continue
        lo, hi = e[nz[0]], e[nz[-1] + 1]
        u, f = axis_unit(o.title, max(abs(lo), abs(hi)))
        if len(nz) <= 3 and (len(nz) == 1 or np.all(np.diff(nz) > 1)):
            notes.append(_line_note(o, v, e, nz, u, f))
            continue
        panels.append((o, v, e, nz, u, f))
    ncol = 2 if len(panels) in (2, 4) else min(3, max(1, len(panels)))
    nrow = max(1, math.ceil(len(panels) / ncol))
    fig, axes = plt.subplots(
        nrow,
        ncol,
        figsize=(4.4 * ncol, 3.3 * nrow + 0.3 * len(notes) + 0.6),
        squeeze=False,
        layout="constrained",
    )
    w2 = hists.sumw2
    for ax, (o, v, e, nz, u, f) in zip(axes.flat, panels):
        err = np.sqrt(np.maximum(np.asarray(w2[o.name], float), 0.0))
        x = e / f
        ax.stairs(v + err, x, baseline=v - err, fill=True, color="#9ab7e0", lw=0, alpha=0.7, label="MC error")
        _stairs(ax, v, x, color="#1f4e9c", lw=1.2, gid=f"hist:{o.name}")
        i0, i1 = max(nz[0] - 1, 0), min(nz[-1] + 2, len(e) - 1)
        ax.set_xlim(x[i0], x[i1])
        pos = v[v > 0]
        if len(pos) and pos.max() > 30 * np.median(pos):
            ax.set_yscale("log")
            ax.set_ylim(max(pos.min() * 0.5, pos.max() * 1e-4), pos.max() * 3)
        else:
            ax.set_ylim(0, 1.15 * float(np.max(v + err)))
            ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.set_xlabel(_label(o, u), fontsize=9)
        ax.set_ylabel(f"{unit} per bin", fontsize=9)
        ax.tick_params(labelsize=9)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(textwrap.fill(pretty(process.description), 130), fontsize=10)
    if notes:
        head = "no panel (content in one bin or a few isolated bins):"
        fig.supxlabel("\n".join([head] + notes), fontsize=8.5, ha="left", x=0.01)
    return _save(fig, path)


# --- BaBar and NA64 spectra -------------------------------------------------------------------------
def _content_range(pairs, floor):
    """(lo, hi) of the bin edges whose content exceeds ``floor`` over (edges, values) pairs."""
    lo, hi = math.inf, -math.inf
    for e, v in pairs:
        nz = np.flatnonzero(np.asarray(v) > floor)
        if len(nz):
            lo, hi = min(lo, e[nz[0]]), max(hi, e[nz[-1] + 1])
    return lo, hi


@figure
def babar_spectrum(path, spectra: dict, m_ap, eps):
    """M_X^2 (true and EMC-folded) and dsigma/dcos theta* per Upsilon resonance [fb] for
    e+e- -> gamma A' (arXiv:1702.03327 observables), one colour per resonance in both panels;
    the M_X^2 axis spans the bins with content above 1e-5 of the largest bin.

    Example (needs the VEGAS spectra): ``darktmm spectrum babar --m-ap 1GeV --eps 1e-3 --plot b.png``
    calls ``babar_spectrum("b.png", babar.spectra(1.0, 1e-3), 1.0, 1e-3)``.
    """
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 4.6), layout="constrained")
    pairs = []
    for k, r in spectra.items():
        col = RESONANCE_COLORS.get(k, None)
        nm = _tex_resonance(r.resonance.name)
        e, v, _ = r.hists["MX2_folded"]
        _stairs(a1, v, e, color=col, lw=1.6, label=f"{nm}, EMC-folded", gid=f"MX2_folded:{k}")
        pairs.append((e, v))
        e, v, _ = r.hists["MX2_true"]
        _stairs(a1, v, e, color=col, lw=0.9, ls="--", label=f"{nm}, true", gid=f"MX2_true:{k}")
        pairs.append((e, v))
        e, v, err = r.hists["cos_theta"]
        w = np.diff(e)
        _stairs(a2, v / w, e, yerr=err / w, color=col, lw=1.6, label=nm, gid=f"cos_theta:{k}")
    top = max(float(np.max(v)) for _, v in pairs)
    floor = 1e-5 * top
    lo, hi = _content_range(pairs, floor)
    pad = 0.05 * (hi - lo)
    a1.set_xlim(lo - pad, hi + pad)
    a1.set_yscale("log")
    a1.set_ylim(floor, 5 * top)
    a1.set_xlabel(r"missing mass squared $M_X^2$ [GeV$^2$]")
    a1.set_ylabel(r"$\sigma$ in the acceptance [fb per bin]")
    a1.legend(fontsize=8.5, loc="upper right")
    a1.set_title(
        rf"BaBar $e^+e^-\to\gamma A^\prime$: $m_{{A^\prime}}$ = {format_energy(m_ap)}, $\varepsilon$ = ${tex_number(eps)}$",
        loc="left",
    )
    a2.set_xlabel(r"photon $\cos\theta^*_\gamma$ (CM)")
    a2.set_ylabel(r"$d\sigma/d\cos\theta^*_\gamma$ [fb]")
    a2.set_ylim(0, None)
    a2.legend(fontsize=9, loc="upper center")
    a2.set_title("photon acceptance", loc="left")
    return _save(fig, path)


@figure
def na64_spectrum(path, sp, m_ap, eps):
    """E_miss (true and ECAL-folded) and x = E_A'/E_e in A' per electron on target per bin for
    e- Z -> e- Z A' (arXiv:2307.02404 observables), the signal box E_miss > E_cut shaded; each log
    axis spans four decades below its maximum.

    Example (needs the VEGAS spectra): ``darktmm spectrum na64 --m-ap 10MeV --eps 1e-4 --plot n.png``
    calls ``na64_spectrum("n.png", na64.spectra(0.01, 1e-4), 0.01, 1e-4)``.
    """
    from darktmm.detectors import na64

    plt = _plt()
    cut = na64.DATASET.E_cut
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11.5, 4.6), layout="constrained")
    e, v, _ = sp.hists["E_miss_true"]
    _stairs(a1, v, e, color="#1f4e9c", lw=1.6, label=r"true $E_{\rm miss} = E_{A^\prime}$", gid="E_miss_true")
    top1 = float(np.max(v))
    e2, v2, _ = sp.hists["E_miss_folded"]
    _stairs(a1, v2, e2, color="#e07b00", lw=1.3, ls="--", label="ECAL-folded", gid="E_miss_folded")
    top1 = max(top1, float(np.max(v2)))
    a1.axvspan(
        cut,
        max(e[-1], e2[-1]),
        fc="#dde6f3",
        ec="#9ab7e0",
        lw=0.8,
        zorder=0,
        label=rf"signal box $E_{{\rm miss}}$ > {cut:g} GeV",
    )
    a1.set_yscale("log")
    a1.set_ylim(1e-4 * top1, 4 * top1)
    lo, hi = _content_range([(e, v), (e2, v2)], 1e-4 * top1)
    a1.set_xlim(lo - 2, hi + 2)
    a1.set_xlabel(r"missing energy $E_{\rm miss}$ [GeV]")
    a1.set_ylabel("A' per electron on target, per bin")
    a1.legend(fontsize=9, loc="lower center")
    a1.set_title(
        rf"NA64 $e^-Z\to e^-ZA^\prime$: $m_{{A^\prime}}$ = {format_energy(m_ap)}, $\varepsilon$ = ${tex_number(eps)}$",
        loc="left",
    )
    e, v, _ = sp.hists["x"]
    _stairs(a2, v, e, color="#1f4e9c", lw=1.6, gid="x")
    top2 = float(np.max(v))
    a2.set_yscale("log")
    a2.set_ylim(1e-4 * top2, 4 * top2)
    lo, hi = _content_range([(e, v)], 1e-4 * top2)
    a2.set_xlim(lo - 0.02, min(hi + 0.02, 1.02))
    a2.set_xlabel(r"A' energy fraction $x = E_{A^\prime}/E_e$")
    a2.set_ylabel("A' per electron on target, per bin (signal box)")
    a2.set_title("A' energy fraction", loc="left")
    return _save(fig, path)


# --- constraint hierarchy ---------------------------------------------------------------------------
@figure
def hierarchy_plot(path, pts, names, cap, title="", bx_method="spectral"):
    """The hierarchy figure (arXiv:2603.25704): the bound on eps*|mu_D^(e mu)| [mu_B] against m_A'
    from Borexino, and from the MEG II cap times each invisible-A' search, log axes; masses
    where no search applies shaded.

    Example (needs the hierarchy scan): ``darktmm constraints --card examples/bm1.toml --plot h.png``.
    """
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.2, 5.4))
    m = np.array([p.m_ap for p in pts])
    unit, f = _mass_axis(m)
    x = m / f
    bx = np.array([p.borexino_muB for p in pts])
    how = {"spectral": "spectral fit", "rates": "rate likelihood"}.get(bx_method, bx_method)
    ax.plot(
        x,
        np.where(np.isfinite(bx), bx, np.nan),
        color="k",
        lw=2.4,
        label=f"Borexino Phase II ({how})",
        gid="borexino",
    )
    ax.axhline(
        cap.mu_D_max_muB,
        color="0.4",
        ls=":",
        lw=1.6,
        label=r"MEG II cap alone ($\varepsilon \leq 1$): $\mu_{D,\max}$",
        gid="cap",
    )
    styles = {0: ("tab:red", "-"), 1: ("tab:blue", "--")}
    for k, n in enumerate(names):
        y = np.array([p.products.get(n, np.nan) for p in pts])
        c, ls = styles.get(k, (None, "-."))
        ax.plot(
            x,
            y,
            color=c,
            ls=ls,
            lw=2,
            marker="o",
            ms=3.5,
            label=rf"MEG II $\times$ {n}: $\varepsilon_{{\max}}\,\mu_{{D,\max}}$",
            gid=f"product:{n}",
        )
    none = np.array([not p.products for p in pts])
    if none.any():
        _shade(ax, x, none, "no invisible-A' search applies")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(rf"dark-photon mass $m_{{A^\prime}}$ [{unit}]")
    ax.set_ylabel(r"upper bound on $\varepsilon\,|\mu_D^{(e\mu)}|$ [$\mu_B$]")
    t = "Constraint hierarchy" + (f": {title}" if title else "")
    ax.set_title(
        f"{t}\n"
        + rf"MEG II cap $|\mu_D^{{(e\mu)}}|$ < ${tex_number(cap.mu_D_max_muB, 3)}$ $\mu_B$ ({cap.prescription})",
        fontsize=10,
        loc="left",
    )
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    return _save(fig, path)


def _shade(ax, m, mask, label):
    """Grey bands over runs of masses where ``mask`` holds (edges half-way in log m)."""
    lm = np.log(m)
    first = True
    i = 0
    while i < len(m):
        if not mask[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(m) and mask[j + 1]:
            j += 1
        lo = m[i] / 1.3 if i == 0 else math.exp(0.5 * (lm[i - 1] + lm[i]))
        hi = m[j] * 1.3 if j == len(m) - 1 else math.exp(0.5 * (lm[j] + lm[j + 1]))
        ax.axvspan(lo, hi, color="0.85", alpha=0.6, lw=0, label=label if first else None, zorder=0)
        first = False
        i = j + 1


def xenonnt_spectrum(path, sp, m_ap, eps_mu):
    """XENONnT SR0: data, the background B0 and the dark-TMM signal (stacked on B0), in 1 keV bins."""
    from darktmm.detectors.xenonnt import EXPOSURE_TYR
    from darktmm.spectra.constants import KEV

    plt = _plt()
    e = sp.edges / KEV
    fig, (ax, ax2) = plt.subplots(
        2, 1, figsize=(7.5, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}
    )
    k = 10  # 0.1 keV bins -> 1 keV for display
    n = (len(e) - 1) // k * k
    edges = e[: n + 1 : k]
    data = sp.data_counts[:n].reshape(-1, k).sum(axis=1)
    b0 = sp.background_tyr[:n].reshape(-1, k).sum(axis=1) * EXPOSURE_TYR
    sig = sp.tmm_total[:n].reshape(-1, k).sum(axis=1) * EXPOSURE_TYR
    c = 0.5 * (edges[1:] + edges[:-1])
    ax.stairs(
        b0,
        edges,
        color="tab:blue",
        lw=1.5,
        label="background $B_0$ (best fit, contains the SM)",
        baseline=None,
    )
    ax.stairs(
        b0 + sig,
        edges,
        color="tab:red",
        lw=1.5,
        ls="--",
        baseline=None,
        label=rf"$B_0$ + dark TMM ($\varepsilon\mu_{{\rm eff}}$ = {eps_mu:.2g} $\mu_B$, $m_{{A'}}$ = {m_ap / 1e-3:.3g} MeV)",
    )
    ax.errorbar(
        c,
        data,
        yerr=np.sqrt(np.maximum(data, 1)),
        fmt="o",
        ms=3,
        color="k",
        label="XENONnT SR0 data (1.16 t yr)",
    )
    ax.set_ylabel("events per keV")
    ax.set_ylim(0, None)
    ax.legend(fontsize=8)
    ax.set_title("XENONnT SR0 electronic recoils", fontsize=10)
    ax2.stairs(sig, edges, color="tab:red", lw=1.5, baseline=0.0, fill=True, alpha=0.4)
    ax2.set_ylabel("signal [events/keV]", fontsize=9)
    ax2.set_xlabel(r"reconstructed energy $E_{\rm rec}$ [keV]")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def direct_probes_plot(path, masses, borexino, xenonnt, crossing=None):
    """Borexino and XENONnT bounds on eps |mu_D^(e mu)| [mu_B] against m_A', the crossing marked."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    m = np.asarray(masses, dtype=float)
    ax.plot(m, borexino, color="k", lw=2, label="Borexino Phase II (0.2-1.3 MeV recoils)")
    ax.plot(m, xenonnt, color="tab:purple", lw=2, ls="--", label="XENONnT SR0 (1-30 keV recoils)")
    if crossing:
        ax.axvline(crossing, color="0.4", ls=":", lw=1.2)
        ax.annotate(
            f"crossing\n$m_{{A'}}$ = {crossing * 1e3:.3g} MeV",
            (crossing, float(np.nanmin(np.asarray(xenonnt, dtype=float)))),
            xytext=(8, 20),
            textcoords="offset points",
            fontsize=9,
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"dark-photon mass $m_{A'}$ [GeV]")
    ax.set_ylabel(r"90% CL bound on $\varepsilon\,|\mu_D^{e\mu}|$ [$\mu_B$]")
    ax.set_title("Direct detection: which experiment wins depends on $m_{A'}$", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    _save(fig, path)
    plt.close(fig)
