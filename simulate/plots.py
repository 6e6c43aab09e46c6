"""Plots a physicist would put in a talk (matplotlib, Agg backend, no LaTeX). Written atomically."""

from __future__ import annotations

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
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=130, bbox_inches="tight", format="png")


def borexino_spectrum(path, edges, sm, tmm, data, bestfit, m_ap, eps_mu):
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


def limit_plot(path, curves: dict, *, ylabel: str, expected=None, hline=None, title=None):
    """curves: label -> (points [{'m_ap_GeV', key...}], key)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 5))
    for label, (pts, key) in curves.items():
        m = np.array([p["m_ap_GeV"] for p in pts])
        y = np.array([p[key] for p in pts], dtype=float)
        ax.plot(m, y, lw=2, label=label)
    if expected is not None:
        m = np.array([p["m_ap_GeV"] for p in expected])
        ax.plot(m, [p["expected"] for p in expected], "k--", lw=1, label="expected (Asimov)")
    if hline is not None:
        ax.axhline(hline[0], color="gray", ls=":", label=hline[1])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dark-photon mass m_A' [GeV]")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=9)
    _save(fig, path)
    plt.close(fig)
