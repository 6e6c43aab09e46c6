"""Borexino speed figures (printed, not asserted): folded spectrum at 0.1 % per bin, VEGAS vs a
straightforward scipy.integrate.quad implementation of the same spectrum, and a limit scan.

    DARKTMM_DATA=../shared/data python benchmarks/bench_borexino.py [--repeat 3] [--masses 30]

Quad reference: dR/dT at n log-spaced T nodes by adaptive quad over E (RecoilProcess.dR_dT), folded
with the same response on that grid; it is a timing reference (the per-bin accuracy check is a
focused nested quad in tests/test_recoil.py). Medians and ratios are from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from darktmm.detectors import borexino as bx
from darktmm.spectra.model import DarkSector
from darktmm.spectra.recoil import RecoilProcess

#: The TMM moment of both timings: flavour blind, eps mu_eff = 1e-11 mu_B, m_A' = 0 (photon limit).
MOMENT_MUB = DarkSector.flavour_blind(0.0, 1.0, 1e-11).mu_D_muB


def _process(component, kind, profiles):
    """The recoil integrand of one component in the Borexino window (SM or TMM at MOMENT_MUB)."""
    prof = profiles.get(component) if profiles else None
    return RecoilProcess(
        component, kind, T_lo=bx.T_RANGE[0], T_hi=bx.T_RANGE[1], moment_muB=MOMENT_MUB, profile=prof
    )


def vegas_all(edges, profiles, rtol):
    t0 = time.perf_counter()
    sm = {}
    tmm = {}
    for k, c in enumerate(bx.SOLAR):
        for kind, out in (("sm", sm), ("tmm", tmm)):
            p = _process(c, kind, profiles)
            out[c] = bx.spectrum(p, edges, bx.default_true_edges(), rtol=rtol, seed=k)
    return time.perf_counter() - t0, sm, tmm


def quad_all(edges, profiles, n_nodes):
    """The same folded spectra with quad: dR/dT on n_nodes log-spaced T, trapezoid fold."""
    t0 = time.perf_counter()
    out = {}
    for c in bx.SOLAR:
        for kind in ("sm", "tmm"):
            p = _process(c, kind, profiles)
            if p.empty:
                continue
            lo, hi = p.t_range
            T = np.geomspace(lo, hi, n_nodes)
            f = p.dR_dT(T, epsrel=1e-6)
            w = np.gradient(T)  # trapezoid-like weights on the log grid
            R = bx.RESPONSE.matrix(T, edges)
            out[(c, kind)] = (R * (f * w)[None, :]).sum(axis=1) * bx.PER_E_S_TO_CPD100T
    return time.perf_counter() - t0, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--masses", type=int, default=30)
    ap.add_argument("--rtol", type=float, default=1e-3)
    ap.add_argument("--quad-nodes", type=int, default=600)
    a = ap.parse_args()
    profiles = bx.production_profiles()
    edges = bx.window_edges()
    tv, tq = [], []
    for _ in range(a.repeat):
        t, sm, tmm = vegas_all(edges, profiles, a.rtol)
        tv.append(t)
        t, q = quad_all(edges, profiles, a.quad_nodes)
        tq.append(t)
    worst = max(max(s.max_rel_error for s in d.values() if s.neval) for d in (sm, tmm))
    print(f"folded Borexino spectra, 8 components x (SM, TMM), {len(edges) - 1} bins, rtol {a.rtol:g}")
    print(f"  VEGAS: median {statistics.median(tv):.2f} s over {a.repeat} (max per-bin MC error {worst:.2e})")
    print(f"  quad ({a.quad_nodes} T nodes, epsrel 1e-6): median {statistics.median(tq):.2f} s")
    print(f"  ratio quad/VEGAS: {statistics.median(tq) / statistics.median(tv):.1f}")
    print("  (accuracy: VEGAS bins agree with a per-bin nested quad to ~2e-5, tests/test_recoil.py)")
    masses = np.geomspace(1e-6, 0.1, a.masses)
    t0 = time.perf_counter()
    pts, info = bx.limit(masses, rtol=a.rtol)
    t = time.perf_counter() - t0
    print(
        f"limit scan, {a.masses} masses (spectral, with expected): {t:.1f} s "
        f"({t / a.masses:.2f} s per mass); photon limit {pts[0].limit:.3e} muB"
    )


if __name__ == "__main__":
    main()
