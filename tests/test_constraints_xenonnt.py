"""XENONnT beside Borexino in detectors.constraints: bounds on eps |mu_D^{e mu}|, the dominant
direct probe per mass, and the crossing mass. Combination logic with fakes; the bounds on the data."""

from __future__ import annotations

import math

import numpy as np
import pytest

from darktmm.detectors import constraints as C
from darktmm.detectors import xenonnt as xn
from darktmm.spectra import solar
from darktmm.spectra.constants import MEV
from darktmm.spectra.model import NUFIT52, DarkSector, flavour_to_mass
from darktmm.spectra.validate import ParameterError


def _sets(masses, bx, xe):
    m = np.asarray(masses, dtype=float)
    return (
        C.BorexinoBounds(m, np.asarray(bx, dtype=float), "fake", "effective"),
        C.XenonntBounds(m, np.asarray(xe, dtype=float), "fake", "exact"),
    )


def test_direct_probes_dominance_and_missing_bounds():
    b, x = _sets([1e-6, 1e-4, 1e-2, 1e-1], [3e-11, 3e-11, math.inf, math.nan], [7e-12, 6e-11, 1e-7, math.inf])
    pts = C.direct_probes(b, x)
    assert [p.dominant for p in pts] == ["XENONnT", "Borexino", "XENONnT", "none"]
    assert pts[0].log10_ratio == pytest.approx(math.log10(3e-11 / 7e-12))
    assert pts[2].log10_ratio == math.inf
    with pytest.raises(ParameterError, match="other masses"):
        C.direct_probes(b, C.XenonntBounds(np.array([1.0]), np.array([1.0]), "", ""))


def test_crossing_mass_of_power_laws():
    # Borexino flat at 3e-11 up to its own scale; XENONnT = 7e-12 (1 + (m/m0)^2): the crossing
    # solves 7e-12 (1 + (m/m0)^2) = 3e-11, m = m0 sqrt(3e-11/7e-12 - 1)
    m0 = 0.05 * MEV
    m = np.geomspace(1e-6, 1e-2, 400)
    xe = 7e-12 * (1 + (m / m0) ** 2)
    bx = np.full_like(m, 3e-11)
    b, x = _sets(m, bx, xe)
    ref = m0 * math.sqrt(3e-11 / 7e-12 - 1)
    assert C.xenonnt_borexino_crossing(b, x) == pytest.approx(ref, rel=1e-4)
    assert C.crossing_mass(m, bx, bx * 2) is None


def test_xenonnt_bounds_injection_passes_the_model_matrix():
    seen = {}

    def fake_limit(masses, **kw):
        seen.update(kw)
        return [xn.LimitPoint(m, 1e-11 * (1 + m), math.nan) for m in masses], {
            "method": "fake",
            "timing_s": 0,
        }

    shape = np.zeros((3, 3), complex)
    shape[0, 1], shape[1, 0] = 1, -1
    out = C.xenonnt_bounds([0.0, 1e-3], shape, limit_fn=fake_limit)
    assert np.allclose(out.bounds, [1e-11, 1e-11 * 1.001])
    assert np.allclose(seen["moment_muB"], xn.MU_REF * shape) and seen["expected"] is False
    assert out.flavour == "exact" and out.method == "fake"


@pytest.mark.slow
def test_xenonnt_bounds_on_data(data_dir):
    masses = [0.0, 0.1 * MEV]
    # a flavour-blind matrix with mu_eff = 1 as the shape reproduces the flavour-blind limit
    fb = DarkSector.flavour_blind(0.0, 1.0, 1.0).mu_D_muB
    a = C.xenonnt_bounds(masses, fb, data_dir=data_dir, seed=2)
    pts, _ = xn.limit(masses, data_dir=data_dir, seed=2, expected=False)
    assert np.allclose(a.bounds, [p.limit for p in pts], rtol=1e-9)
    # the pure e-mu texture: mu_eff^2(E) = sum_i P_i(E)(1 - |U_tau i|^2); pp (91 % of the signal)
    # fixes it, so the bound is the flavour-blind one over kappa(pp) to well below 1 %
    emu = np.zeros((3, 3), complex)
    emu[0, 1], emu[1, 0] = 1, -1
    shape = flavour_to_mass(emu, NUFIT52)
    b = C.xenonnt_bounds(masses, shape, data_dir=data_dir, seed=2)
    e_pp = np.geomspace(0.05, 0.42, 50) * MEV
    kappa = math.sqrt(float(np.mean(solar.mu_eff_sq(e_pp, "pp", shape))))
    assert np.allclose(b.bounds, a.bounds / kappa, rtol=5e-3)
