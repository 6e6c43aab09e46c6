"""Every figure of darktmm (matplotlib, Agg backend, mathtext, never LaTeX), written atomically.

The format follows the file name: ``.png``, ``.pdf`` or ``.svg``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from darktmm.simulate.rootio import atomic_path
from darktmm.spectra.constants import MEV


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"text.usetex": False, "font.size": 11})
    return plt


def _save(fig, path):
    fmt = Path(path).suffix.lower().lstrip(".") or "png"
    with atomic_path(path, "." + fmt) as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format=fmt)


def borexino_spectrum(path, res):
    """SM components, the dark-TMM signal, data and best fit of a ``detectors.borexino.SpectrumFit``."""
    edges, sm, tmm, data, bestfit = res.edges, res.sm, res.tmm, res.data, res.bestfit
    m_ap = res.model.m_ap
    eps_mu = float(np.sqrt(np.max(res.model.column_norms_sq_muB2))) * res.model.eps
    plt = _plt()
    x = edges / MEV
    fig, ax = plt.subplots(figsize=(7.5, 5))
    from darktmm.detectors.borexino import EXPOSURE_TFC

    colors = {
        "pp": "tab:blue",
        "7Be": "tab:orange",
        "pep": "tab:green",
        "13N": "tab:purple",
        "15O": "tab:brown",
        "8B": "tab:pink",
    }
    for c, col in colors.items():
        ax.stairs(sm[c].folded * EXPOSURE_TFC, x, label=f"SM {c}", lw=1.2, color=col, baseline=None)
    t = sum(s.folded for s in tmm.values()) * EXPOSURE_TFC
    ax.stairs(
        t,
        x,
        color="k",
        ls="--",
        lw=1.6,
        label=f"dark TMM, eps mu = {eps_mu:.2g} muB, m_A' = {m_ap / MEV:.3g} MeV",
    )
    if data is not None:
        xc = 0.5 * (x[1:] + x[:-1])
        ax.errorbar(
            xc,
            data.counts,
            yerr=np.sqrt(data.counts),
            fmt=".",
            ms=2,
            color="gray",
            label="Borexino Phase II data",
        )
        if bestfit is not None:
            ax.stairs(bestfit, x, color="red", lw=1.2, label="best fit (all components)", baseline=None)
    ax.set_yscale("log")
    ax.set_ylim(1, None)
    ax.set_xlabel("reconstructed energy E_rec [MeV]")
    ax.set_ylabel("events per 1-N_h bin (582.3 day x 100 t)")
    ax.set_title("Borexino Phase II: electron-recoil spectra")
    ax.legend(fontsize=8, ncol=2)
    _save(fig, path)
    plt.close(fig)


def limit_plot(path, table):
    """The limit curves of a ``simulate.commands.limit.LimitTable`` against m_A' (log axes)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    pts = table.points
    m = np.array([p["m_ap_GeV"] for p in pts])

    def col(key):
        return np.array([np.nan if p.get(key) is None else p[key] for p in pts], dtype=float)

    y = col("limit")
    y[~np.isfinite(y)] = np.nan
    name = {"borexino": "Borexino", "babar": "BaBar", "na64": "NA64"}.get(table.experiment, table.experiment)
    if all("expected_m2" in p for p in pts):
        ax.fill_between(
            m, col("expected_m2"), col("expected_p2"), color="#ffdd00", label=r"expected $\pm 2\sigma$"
        )
        ax.fill_between(
            m, col("expected_m1"), col("expected_p1"), color="#00cc00", label=r"expected $\pm 1\sigma$"
        )
    if all("expected" in p for p in pts):
        ax.plot(m, col("expected"), "k--", lw=1, label="expected (Asimov median)")
    if table.experiment in ("babar", "na64"):
        inv = np.array(table.eps_invisible, dtype=float)
        inv[~np.isfinite(inv)] = np.nan
        ax.plot(m, inv, lw=1.5, color="0.5", ls=":", label=f"{name}, invisible A' ($P_{{inv}}$ = 1)")
    ax.plot(
        m,
        y,
        lw=2.2,
        color="tab:red",
        label=f"{name} (this model point)" if table.experiment != "borexino" else f"{name} (this fit)",
    )
    for label, v in table.curves.values():
        ax.axhline(v, color="gray", ls=":", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"dark-photon mass $m_{A'}$ [GeV]")
    ax.set_ylabel(
        r"90% CL upper limit on $\varepsilon\,\mu_{\rm eff}$ [$\mu_B$]"
        if table.unit == "muB"
        else r"90% CL upper limit on $\varepsilon$"
    )
    ax.set_title(table.header, fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    _save(fig, path)
    plt.close(fig)


def event_histograms(path, process, hists, unweighted):
    """One panel per observable histogram of an event run (``simulate.histograms.Histograms``)."""
    plt = _plt()
    specs = hists.specs
    ncol = 3
    nrow = math.ceil(len(specs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), squeeze=False)
    unit = "events" if unweighted else process.weight_unit
    for ax, o in zip(axes.flat, specs):
        ax.stairs(hists.sumw[o.name], hists.edges[o.name], lw=1.2)
        ax.set_xlabel(o.title, fontsize=8)
        ax.set_ylabel(f"per bin [{unit}]", fontsize=8)
    for ax in list(axes.flat)[len(specs) :]:
        ax.set_visible(False)
    fig.suptitle(process.description, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def babar_spectrum(path, spectra: dict, m_ap, eps):
    """M_X^2 (true and EMC-folded) and cos theta* per resonance, in fb per bin."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for r in spectra.values():
        e, v, _ = r.hists["MX2_folded"]
        a1.stairs(v, e, lw=1.5, label=f"{r.resonance.name} folded")
        e, v, _ = r.hists["MX2_true"]
        a1.stairs(v, e, lw=0.8, ls="--", label=f"{r.resonance.name} true")
        e, v, err = r.hists["cos_theta"]
        a2.stairs(v / np.diff(e), e, lw=1.5, label=r.resonance.name)
    a1.set_xlabel("M_X^2 [GeV^2]")
    a1.set_ylabel("sigma [fb per bin]")
    a1.set_yscale("log")
    a1.set_ylim(max(1e-6, a1.get_ylim()[0]), None)
    a1.legend(fontsize=8)
    a1.set_title(f"BaBar e+e- -> gamma A', m_A' = {m_ap:g} GeV, eps = {eps:g}")
    a2.set_xlabel("cos theta*_gamma (CM)")
    a2.set_ylabel("dsigma/dcos theta* [fb]")
    a2.legend(fontsize=8)
    a2.set_title("photon acceptance")
    _save(fig, path)
    plt.close(fig)


def na64_spectrum(path, sp, m_ap, eps):
    """E_miss (true and ECAL-folded) and x = E_A'/E_e, per EOT."""
    plt = _plt()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.5))
    e, v, _ = sp.hists["E_miss_true"]
    a1.stairs(v, e, lw=1.5, label="true E_miss = E_A'")
    e, v, _ = sp.hists["E_miss_folded"]
    a1.stairs(v, e, lw=1.2, ls="--", label="ECAL-folded")
    a1.axvline(50.0, color="gray", ls=":", label="E_miss > 50 GeV")
    a1.set_xlabel("E_miss [GeV]")
    a1.set_ylabel("A' per EOT per bin")
    a1.set_yscale("log")
    a1.legend(fontsize=8)
    a1.set_title(f"NA64 e- Z -> e- Z A', m_A' = {m_ap * 1e3:g} MeV, eps = {eps:g}")
    e, v, _ = sp.hists["x"]
    a2.stairs(v, e, lw=1.5)
    a2.set_xlabel("x = E_A'/E_e")
    a2.set_ylabel("A' per EOT per bin (signal box)")
    a2.set_yscale("log")
    _save(fig, path)
    plt.close(fig)


def hierarchy_plot(path, pts, names, cap, title="", bx_method="spectral"):
    """The hierarchy figure: bound on eps*|mu_D^(e mu)| against m_A', one curve per probe, log axes."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    m = np.array([p.m_ap for p in pts])
    bx = np.array([p.borexino_muB for p in pts])
    how = {"spectral": "spectral fit", "rates": "rate fallback"}.get(bx_method, bx_method)
    ax.plot(m, np.where(np.isfinite(bx), bx, np.nan), color="k", lw=2.2, label=f"Borexino Phase II ({how})")
    ax.axhline(cap.mu_D_max_muB, color="0.4", ls=":", lw=1.5, label="MEG II cap alone (eps <= 1): mu_D,max")
    styles = {0: ("tab:red", "-"), 1: ("tab:blue", "--")}
    for k, n in enumerate(names):
        y = np.array([p.products.get(n, np.nan) for p in pts])
        c, ls = styles.get(k, (None, "-."))
        ax.plot(m, y, color=c, ls=ls, lw=2, marker="o", ms=3, label=f"MEG II x {n} (eps_max x mu_D,max)")
    none = np.array([not p.products for p in pts])
    if none.any():
        _shade(ax, m, none, "no invisible-A' search applies")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dark-photon mass m_A' [GeV]")
    ax.set_ylabel("upper bound on eps |mu_D^(e mu)| [mu_B]")
    t = "Constraint hierarchy" + (f": {title}" if title else "")
    ax.set_title(
        f"{t}\nMEG II cap |mu_D^(e mu)| < {cap.mu_D_max_muB:.3g} muB ({cap.prescription})", fontsize=10
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    _save(fig, path)
    plt.close(fig)


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
        lo = m[i] if i == 0 else math.exp(0.5 * (lm[i - 1] + lm[i]))
        hi = m[j] if j == len(m) - 1 else math.exp(0.5 * (lm[j] + lm[j + 1]))
        if hi == lo:
            lo, hi = lo / 1.05, hi * 1.05
        ax.axvspan(lo, hi, color="0.85", alpha=0.6, lw=0, label=label if first else None)
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
