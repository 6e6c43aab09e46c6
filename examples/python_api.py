"""The darktmm Python API in four steps: a model, a Borexino spectrum, a limit, events in ROOT.

Run it from anywhere (``python examples/python_api.py``); with ``DARKTMM_DATA`` pointing at the
public data files the Borexino fit uses the Phase-II spectrum, otherwise the built-in rates. Its
output is checked in as ``python_api.out`` and ``tests/test_examples.py`` reruns it and compares
the numbers. The same code is the "Python" section of the README.
"""

import os
import tempfile

import darktmm

# 1. A model point: m_A' = 0.5 MeV and a flavour-blind effective moment eps*mu_eff = 1e-11 mu_B.
#    Inside darktmm everything is GeV; darktmm.units converts text with units at the edges.
m_ap = darktmm.units.parse_energy("0.5 MeV")
model = darktmm.DarkSector.flavour_blind(m_ap, eps=1.0, mu_eff_muB=1e-11)
print(f"model: m_A' = {model.m_ap:.4g} GeV, mu_eff = {model.column_norms_sq_muB2[0] ** 0.5:.3g} mu_B")

# 2. Borexino Phase-II spectra of every solar component (VEGAS, per-bin MC errors), SM and TMM.
res = darktmm.borexino.fit_spectrum(model, rtol=1e-2, seed=1)
for c in ("pp", "7Be", "pep"):
    sm, tmm = res.sm[c], res.tmm[c]
    print(f"{c:>4s}: SM {sm.folded.sum():9.4g}  TMM {tmm.folded.sum():9.4g} cpd/100 t in the fit window")
print(
    f"max per-bin MC error {res.max_rel_error:.1e}; data: {'Phase-II spectrum' if res.data is not None else 'none'}"
)

# 3. The 90 % CL upper limit on eps*mu_eff with its Asimov expected band, at two masses.
points, info = darktmm.borexino.limit([1e-6, 0.01], rtol=1e-2, seed=1)
for p in points:
    print(
        f"m_A' = {p.m_ap:.0e} GeV: eps*mu_eff < {p.limit:.3g} mu_B "
        f"(expected {p.expected:.3g}, 68% band {p.expected_m1:.3g}-{p.expected_p1:.3g}; {info['method']})"
    )

# 4. Unweighted 7Be events from the adapted VEGAS map, streamed into a ROOT file (any ROOT 6 reads it).
process = darktmm.NuElectronEvents("7Be", "sm")
run = darktmm.generate(process, 20_000, seed=7, unweighted=True)
with tempfile.TemporaryDirectory() as d:
    summary = darktmm.write_root(os.path.join(d, "events.root"), run)
print(
    f"{summary['events_written']} events, sigma = {summary['sigma']:.5g} +- {summary['sigma_err']:.2g} "
    f"{summary['sigma_unit']}, unweighting efficiency {summary['efficiency']:.3f}"
)
