"""The VEGAS recoil spectra against an independent computation: scipy quad over T (and E)."""

import numpy as np
import pytest
from scipy.integrate import quad

from darktmm.detectors import borexino as bx
from darktmm.spectra.model import DarkSector
from darktmm.spectra.recoil import RecoilProcess


def _quad_bin(proc, lo, hi, resp=bx.RESPONSE):
    """Folded content of one reconstructed bin by nested quad: int dT dR/dT(T) P_bin(T).

    The response is a narrow bump in T: integrate over +-10 sigma around the bin (beyond that
    P_bin < 1e-23), with the lines' Compton edges as break points, so quad cannot miss it.
    """
    from darktmm.spectra import nue

    tlo, thi = proc.t_range
    tc = (0.5 * (lo + hi) - resp.offset) / resp.scale
    sg = float(resp.sigma(tc))
    a, b = max(tlo, tc - 10 * sg), min(thi, tc + 10 * sg)
    if b <= a:
        return 0.0

    def g(t):
        p = resp.matrix(np.array([t]), np.array([lo, hi]))[0, 0]
        return proc.dR_dT(np.array([t]), epsrel=1e-10)[0] * p

    edges_T = [float(nue.t_max(e)) for e, _ in proc.comp.lines]  # Compton edges: break points
    pts = [x for x in edges_T if a < x < b]
    return quad(g, a, b, epsrel=1e-9, limit=500, points=pts or None)[0] * bx.PER_E_S_TO_CPD100T


@pytest.mark.slow
@pytest.mark.parametrize(
    "comp,kind", [("7Be", "sm"), ("7Be", "tmm"), ("pp", "sm"), ("pp", "tmm"), ("15O", "sm"), ("8B", "tmm")]
)
def test_folded_bins_match_quad(comp, kind):
    lam = DarkSector.flavour_blind(0.0, 1.0, 1e-11).mu_D_muB
    proc = RecoilProcess(comp, kind, T_lo=bx.T_RANGE[0], T_hi=bx.T_RANGE[1], moment_muB=lam)
    edges = bx.window_edges()
    s = bx.spectrum(proc, edges, bx.default_true_edges(), rtol=1e-3, seed=3)
    for b in (0, 5, 60, 150, 300):
        ref = _quad_bin(proc, edges[b], edges[b + 1])
        if ref < 1e-3 * s.folded.max():
            continue
        # MC error plus the fine-T discretisation of the response (< 1e-4)
        assert abs(s.folded[b] - ref) < 4 * s.folded_err[b] + 2e-4 * ref, (comp, kind, b)
