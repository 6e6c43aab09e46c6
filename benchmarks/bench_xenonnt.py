"""XENONnT speed figures (printed, not asserted): the folded spectra at 0.1 % per bin and a 30-mass
limit scan, VEGAS (and the exact A/B closed form) against a straightforward quad version.

    DARKTMM_DATA=../shared/data python benchmarks/bench_xenonnt.py [--repeat 3] [--masses 30]

Quad reference: dR/dT at n log-spaced T nodes (0.05-45 keV) by adaptive quad over E_nu
(RecoilProcess.dR_dT with the xenon Z_eff weight), folded with the same response on that grid;
for the scan it is redone at every mass (the straightforward way: no factorisation of F(T)^2).
Medians (wall and CPU time) are from the same run; the machine may be shared, so CPU time is the
steadier figure.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np

from darktmm.detectors import xenonnt as xn
from darktmm.spectra.constants import KEV


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t0, time.process_time() - c0, out


def quad_folded(data, kinds, m_ap=0.0, n_nodes=600):
    """Folded spectra on the B0 bins by quad: dR/dT on n_nodes log T nodes, trapezoid fold."""
    resp = data.response()
    edges = data.window_edges
    T = np.geomspace(*xn.T_RANGE, n_nodes)
    w = np.gradient(T)
    R = resp.matrix(T, edges)
    out = {}
    for c in xn.SOLAR:
        for kind in kinds:
            p = xn.signal_process(c, kind, m_ap=m_ap)
            with warnings.catch_warnings():  # quad over the 20001-node shape tables warns of roundoff
                warnings.simplefilter("ignore")
                f = p.dR_dT(T, epsrel=1e-6)
            out[(c, kind)] = R @ (f * w) * xn.PER_ATOM_S_TO_TYR
    return out, (T, w)


def quad_scan(data, masses, n_nodes=600):
    """The straightforward scan: quad TMM spectrum at each mass, then the same unbinned fit."""
    from darktmm.detectors.stats import SignalOnScaledBackground

    resp = data.response()
    T = np.geomspace(*xn.T_RANGE, n_nodes)
    w = np.gradient(T)
    R = resp.matrix(T, data.window_edges)
    D = resp.density(T, data.energies)
    B = float(data.b0_counts(data.window_edges).sum())
    b = data.b0_density(data.energies)
    lims = []
    for m in masses:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f = sum(xn.signal_process(c, "tmm", m_ap=m).dR_dT(T, epsrel=1e-6) for c in xn.SOLAR)
        v = f * w * xn.PER_ATOM_S_TO_TYR * xn.EXPOSURE_TYR
        L = SignalOnScaledBackground(float((R @ v).sum()), B, (D @ v) * KEV, b, 1.0)
        lims.append(xn.MU_REF * np.sqrt(L.upper_limit()))
    return lims


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--masses", type=int, default=30)
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--quad-nodes", type=int, default=600)
    ap.add_argument("--quad-masses", type=int, default=2, help="masses of the (slow) quad scan, extrapolated")
    ap.add_argument("--quad-repeat", type=int, default=1, help="repeats of the (slow) quad spectra")
    a = ap.parse_args()
    data = xn.load_data()
    profiles = xn.production_profiles()
    xn.spectra(data=data, sm=False, profiles=profiles)  # warm-up: tables, caches

    rows = {}
    for label, fn in (
        ("VEGAS, TMM, 8 components", lambda: xn.spectra(data=data, sm=False, rtol=a.rtol, profiles=profiles)),
        ("VEGAS, SM + TMM, 8 x 2", lambda: xn.spectra(data=data, sm=True, rtol=a.rtol, profiles=profiles)),
        ("quad, SM + TMM, 8 x 2", lambda: quad_folded(data, ("sm", "tmm"), n_nodes=a.quad_nodes)),
    ):
        n = a.quad_repeat if label.startswith("quad") else a.repeat
        ts = [_timed(fn) for _ in range(n)]
        rows[label] = (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts), ts[-1][2])
    spec = rows["VEGAS, SM + TMM, 8 x 2"][2]
    print(f"XENONnT folded spectra, {len(spec.edges) - 1} bins of 0.1 keV (1-30 keV), rtol {a.rtol:g}:")
    for label, (w, c, _) in rows.items():
        n = a.quad_repeat if label.startswith("quad") else a.repeat
        print(f"  {label:26s} median wall {w:6.2f} s, CPU {c:6.2f} s  (over {n})")
    print(f"  max per-bin MC error {spec.info['max_rel_error_per_bin']:.2e}")
    print(
        f"  ratio quad/VEGAS (SM + TMM, wall): "
        f"{rows['quad, SM + TMM, 8 x 2'][0] / rows['VEGAS, SM + TMM, 8 x 2'][0]:.1f}"
    )

    masses = np.geomspace(1e-6, 0.1, a.masses)
    scans = {}
    for label, kw in (("VEGAS templates", {"method": "vegas"}), ("exact A/B templates", {"method": "exact"})):
        ts = [
            _timed(lambda kw=kw: xn.limit(masses, rtol=a.rtol, profiles=profiles, **kw))
            for _ in range(a.repeat)
        ]
        scans[label] = (statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts), ts[-1][2])
    qm = masses[np.linspace(0, len(masses) - 1, a.quad_masses).astype(int)]
    w, c, qlims = _timed(lambda: quad_scan(data, qm, a.quad_nodes))
    print(f"limit scan, {a.masses} masses 1 keV-100 MeV (unbinned, with the Asimov expected):")
    for label, (wt, ct, _) in scans.items():
        print(
            f"  {label:26s} median wall {wt:6.2f} s, CPU {ct:6.2f} s  ({wt / a.masses * 1e3:.0f} ms per mass)"
        )
    per = w / len(qm)
    print(
        f"  {'quad per mass (no expected)':26s} {per:6.2f} s per mass -> {per * a.masses:.0f} s for "
        f"{a.masses} (measured on {len(qm)})"
    )
    print(f"  ratio quad/VEGAS scan (wall): {per * a.masses / scans['VEGAS templates'][0]:.0f}")
    pts = scans["VEGAS templates"][2][0]
    print(
        f"  limit at m_A' = {pts[0].m_ap / KEV:g} keV: {pts[0].limit:.3e} muB (expected {pts[0].expected:.3e}); published 6.3e-12 (photon)"
    )
    vq = {p.m_ap: p.limit for p in pts}
    dev = max(abs(vq[m] / q - 1) for m, q in zip(qm, qlims))
    print(f"  VEGAS-template vs quad limits at the quad masses: max rel. difference {dev:.1e}")


if __name__ == "__main__":
    main()
