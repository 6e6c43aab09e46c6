"""Plots of the accelerator signals (matplotlib, Agg backend, no LaTeX), written atomically."""

from __future__ import annotations

import numpy as np

from darktmm.simulate.plots import _plt, _save


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
