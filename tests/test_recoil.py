"""The VEGAS recoil spectra against an independent computation: scipy quad over T (and E)."""

import numpy as np
import pytest
from scipy.integrate import quad

from detectors import borexino as bx
from spectra.model import DarkSector
from spectra.recoil import RecoilProcess


def _quad_bin(proc, lo, hi, resp=bx.RESPONSE):
    """Folded content of one reconstructed bin by nested quad: int dT dR/dT(T) P_bin(T)."""
    tlo, thi = proc.t_range

    def g(t):
        p = resp.matrix(np.array([t]), np.array([lo, hi]))[0, 0]
        return proc.dR_dT(np.array([t]), epsrel=1e-9)[0] * p

    from spectra import nue

    edges_T = [float(nue.t_max(e)) for e, _ in proc.comp.lines]  # Compton edges: break points
    pts = [x for x in edges_T if tlo < x < thi]
    return quad(g, tlo, thi, epsrel=1e-7, limit=400, points=pts or None)[0] * bx.PER_E_S_TO_CPD100T


@pytest.mark.slow
@pytest.mark.parametrize("comp,kind", [("7Be", "sm"), ("7Be", "tmm"), ("pp", "sm"), ("pp", "tmm")])
def test_folded_bins_match_quad(comp, kind):
    lam = DarkSector.flavour_blind(0.0, 1.0, 1e-11).mu_D_muB
    proc = RecoilProcess(comp, kind, T_lo=bx.T_RANGE[0], T_hi=bx.T_RANGE[1], moment_muB=lam)
    edges = bx.window_edges()
    s = bx.spectrum(proc, edges, bx.default_true_edges(), rtol=1e-3, seed=3)
    for b in (5, 60, 150):
        ref = _quad_bin(proc, edges[b], edges[b + 1])
        if ref < 1e-3 * s.folded.max():
            continue
        # MC error plus the fine-T discretisation of the response (< 1e-4)
        assert abs(s.folded[b] - ref) < 4 * s.folded_err[b] + 2e-4 * ref, (comp, kind, b)
