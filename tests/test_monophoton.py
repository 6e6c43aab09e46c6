"""e+e- -> gamma A' against shared/physics/accelerator.md sections 1-4."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from darktmm.spectra import monophoton as mp
from darktmm.spectra.constants import ALPHA, GEV2_TO_FB, M_E, MU_B
from darktmm.spectra.model import DarkSector, moment_from_lambdas
from darktmm.spectra.validate import ParameterError
from darktmm.spectra.widths import gamma_nunu, gamma_total


# --- 1. kinematics ---------------------------------------------------------------------------------
def test_photon_energy_table():
    # accelerator.md 1: E*_gamma at sqrt s = 10.58 GeV for m = 0.01, 1, 5, 8 GeV
    s = 10.58**2
    got = mp.photon_energy_cm(s, np.array([0.01, 1.0, 5.0, 8.0]))
    np.testing.assert_allclose(got, [5.2900, 5.2427, 4.1085, 2.2654], atol=0.00005)


def test_missing_mass_at_peak():
    s = 10.355**2
    m = np.array([0.0, 0.5, 3.0, 9.9])
    np.testing.assert_allclose(mp.missing_mass_sq(s, mp.photon_energy_cm(s, m)), m**2, atol=1e-12)


# --- 2. exact tree level ---------------------------------------------------------------------------
SIGMA_TABLE_FB = [  # accelerator.md 2, eps = 1e-3, in fb
    (10.58, (-0.4, 0.6), (1.436, 1.470, 2.610, 7.556)),
    (10.58, (-0.6, 0.6), (1.830, 1.872, 3.277, 9.401)),
    (10.355, (-0.4, 0.6), (1.499, 1.536, 2.800, 8.640)),
    (10.023, (-0.4, 0.6), (1.600, 1.642, 3.121, 10.75)),
]


@pytest.mark.parametrize("sqrt_s, window, refs", SIGMA_TABLE_FB)
def test_sigma_table(sqrt_s, window, refs):
    s = sqrt_s**2
    for m, ref in zip((0.01, 1.0, 5.0, 8.0), refs):
        closed = float(mp.sigma_window(s, m, *window, eps=1e-3)) * GEV2_TO_FB
        half_ulp = 0.0005 if ref < 10 else 0.005  # "to all quoted digits"
        assert closed == pytest.approx(ref, abs=half_ulp), (sqrt_s, m)
        quad, _ = integrate.quad(lambda z, m=m: float(mp.dsigma_dz(s, m, z, eps=1e-3)), *window, epsrel=1e-12)
        assert quad * GEV2_TO_FB == pytest.approx(closed, rel=1e-10)


def test_hand_check_massless():
    # accelerator.md 2 hand check (m -> 0, sqrt s = 10.58 GeV)
    s = 10.58**2
    assert 2 * math.pi * ALPHA**2 / s == pytest.approx(2.9891e-6, rel=5e-5)
    bracket = math.log(1.6 / 0.4) - math.log(0.6 / 1.4) - 1.0
    assert bracket == pytest.approx(1.2336, abs=5e-5)
    sig = float(mp.sigma_window(s, 0.0, -0.4, 0.6, eps=1.0))
    assert sig == pytest.approx(3.687e-6, rel=2e-4)
    assert sig * 1e-6 * GEV2_TO_FB == pytest.approx(1.436, abs=0.0005)
    assert sig == pytest.approx(2 * math.pi * ALPHA**2 / s * bracket, rel=1e-12)


def test_massless_limit():
    s = 10.0**2
    z = np.linspace(-0.95, 0.95, 39)
    np.testing.assert_allclose(mp.dsigma_dz(s, 1e-7, z), mp.dsigma_dz_massless(s, z), rtol=1e-12)
    np.testing.assert_allclose(mp.dsigma_dz(s, 0.0, z), mp.dsigma_dz_massless(s, z), rtol=1e-14)


def test_matrix_element_form():
    # from (1/4) sum|M|^2 = 2 e^4 eps^2 [t/u + u/t + 2 m^2 s/(t u)] and the 2 -> 2 phase space
    # dsigma/dz = |M|^2 (|p_f|/|p_i|)/(32 pi s), |p_f|/|p_i| = 1 - m^2/s (gamma and A' distinguishable)
    s, m = 10.58**2, 3.0
    z = np.linspace(-0.9, 0.9, 19)
    t = -(s - m**2) * (1 - z) / 2
    u = -(s - m**2) * (1 + z) / 2
    e4 = (4 * math.pi * ALPHA) ** 2
    msq = 2 * e4 * (t / u + u / t + 2 * m**2 * s / (t * u))
    ref = msq * (1 - m**2 / s) / (32 * math.pi * s)
    np.testing.assert_allclose(mp.dsigma_dz(s, m, z), ref, rtol=1e-12)
    # the two equivalent brackets of accelerator.md 2
    np.testing.assert_allclose(msq, 2 * e4 * ((s**2 + m**4) / (t * u) - 2), rtol=1e-12)


def test_dsigma_deta_integral_and_flatness():
    s, m = 10.58**2, 5.0
    z1, z2 = -0.4, 0.6
    val, _ = integrate.quad(
        lambda e: float(mp.dsigma_deta(s, m, e)), math.atanh(z1), math.atanh(z2), epsrel=1e-12
    )
    assert val == pytest.approx(float(mp.sigma_window(s, m, z1, z2)), rel=1e-10)
    d = mp.dsigma_deta(s, m, np.linspace(-3, 3, 61))
    assert d.max() / d.min() < 1.5  # nearly flat in eta
    z = np.tanh(0.7)
    assert float(mp.dsigma_deta(s, m, 0.7)) == pytest.approx(
        float(mp.dsigma_dz(s, m, z)) * (1 - z**2), rel=1e-12
    )


def test_collinear_regulator():
    s, m = 10.58**2, 1.0
    tot = float(mp.sigma_window(s, m, -1.0, 1.0, me_regulated=True))
    quad, _ = integrate.quad(
        lambda z: float(mp.dsigma_dz(s, m, z, me_regulated=True)),
        -1,
        1,
        points=[-0.999999, 0.999999],
        limit=400,
    )
    assert tot == pytest.approx(quad, rel=1e-8)
    # inside the acceptance the regulator is a 1e-8 effect
    a = float(mp.sigma_window(s, m, -0.4, 0.6, me_regulated=True))
    b = float(mp.sigma_window(s, m, -0.4, 0.6))
    assert a == pytest.approx(b, rel=1e-7)
    assert 4 * M_E**2 / s < 1e-8


def test_closed_channel_and_errors():
    s = 10.0**2
    assert float(mp.sigma_window(s, 10.5, -0.5, 0.5)) == 0.0
    assert float(mp.dsigma_dz(s, 11.0, 0.1)) == 0.0
    with pytest.raises(ParameterError):
        mp.sigma_window(s, 1.0, 0.5, -0.5)
    with pytest.raises(ParameterError):
        mp.dsigma_dz(s, 1.0, 1.5)


# --- 3. ISR ------------------------------------------------------------------------------------------
def test_isr_beta_values():
    # accelerator.md 3: beta = 0.0872, 0.0875, 0.0877 at sqrt s = 10.02, 10.36, 10.58 GeV
    for rs, ref in [(10.02, 0.0872), (10.36, 0.0875), (10.58, 0.0877)]:
        assert float(mp.isr_beta(rs**2)) == pytest.approx(ref, abs=0.00005)


def test_isr_w_normalised():
    # int_0^1 W dz = (1 + 3b/4) - (3/4) b = 1 analytically; integrate with the x^(b-1) weight
    s = 10.58**2
    b = float(mp.isr_beta(s))
    regular, _ = integrate.quad(lambda x: float(mp.isr_w(1 - x, s) - b * x ** (b - 1) * (1 + 0.75 * b)), 0, 1)
    singular = 1 + 0.75 * b  # int_0^1 b x^(b-1) dx = 1
    assert singular + regular == pytest.approx(1.0, abs=1e-12)
    # omitted O(alpha) soft+virtual constant of Kuraev-Fadin is 0.0065
    assert ALPHA / math.pi * (math.pi**2 / 3 - 0.5) == pytest.approx(0.0065, abs=0.00005)


def test_isr_sampler_and_soft_remainder():
    s = 10.355**2
    x_min = 1e-6
    rng = np.random.default_rng(7)
    z, wgt = mp.isr_sample(rng.random(400_000), s, x_min)
    assert np.all((z >= 0) & (z <= 1 - x_min * (1 - 1e-9)))
    soft = mp.isr_soft_fraction(s, x_min)
    hard, _ = integrate.quad(lambda x: float(mp.isr_w(1 - x, s)), x_min, 1, points=[1e-4, 1e-2], limit=200)
    assert soft + hard == pytest.approx(1.0, abs=1e-9)
    assert wgt.mean() == pytest.approx(hard, abs=4 * wgt.std() / math.sqrt(len(wgt)))
    assert wgt.std() / wgt.mean() < 0.25  # the beta x^(beta-1) proposal absorbs the singularity
    assert float(mp.isr_boost_beta(0.5)) == pytest.approx(1 / 3)


# --- 4. off-shell continuum -------------------------------------------------------------------------
def test_offshell_narrow_width_limit():
    # int dq^2 -> sigma_gammaA'(m) Gamma_inv(m)/Gamma_tot for a narrow A'
    s, m = 10.58**2, 3.0
    mu = moment_from_lambdas(0.0, 0.0, 1e-5) * MU_B
    g_inv = float(gamma_nunu(m, mu))
    g_tot = 4.0 * g_inv
    assert g_tot / m < 1e-4

    def f(q2):
        gi = gamma_nunu(math.sqrt(q2), mu)
        return float(mp.dsigma_dq2_offshell(s, q2, m, gi, g_tot, -0.4, 0.6))

    mg = m * g_tot  # q^2 = m^2 + m Gamma tan(th) flattens the Breit-Wigner

    def g(th):
        return f(m**2 + mg * math.tan(th)) * mg / math.cos(th) ** 2

    lo, hi = math.atan((1e-9 - m**2) / mg), math.atan((s * (1 - 1e-12) - m**2) / mg)
    val, _ = integrate.quad(g, lo, hi, points=[0.0], limit=1000, epsrel=1e-12)
    expected = float(mp.sigma_window(s, m, -0.4, 0.6)) * g_inv / g_tot
    assert val == pytest.approx(expected, rel=2e-5)  # corrections O(Gamma/m) = 4e-6


def test_offshell_heavy_mediator_limit():
    # accelerator.md 4: for m >> sqrt s, dsigma/dq^2 -> sigma_gammaA'(s; sqrt q^2) |mu|^2 q^4/(24 pi^2 m^4)
    s = 10.58**2
    model = DarkSector.from_lambdas(1000.0, 1e-3, (0.0, 2e-6, 1e-6))
    q2 = np.array([1.0, 10.0, 40.0])
    got = mp.dsigma_dq2_offshell_model(s, q2, model, -0.4, 0.6)
    mu2 = (4e-12 + 1e-12) * MU_B**2
    approx = (
        mp.sigma_window(s, np.sqrt(q2), -0.4, 0.6, eps=1e-3) * mu2 * q2**2 / (24 * math.pi**2 * 1000.0**4)
    )
    np.testing.assert_allclose(got, approx, rtol=1e-4)


def test_offshell_model_widths():
    s, m = 10.58**2, 2.0
    model = DarkSector.from_lambdas(m, 1e-3, (1e-5, 0.0, 0.0), gamma_dark=1e-6)
    q2 = np.array([2.0, 4.0, 9.0])
    M = np.sqrt(q2)
    gi = gamma_nunu(M, model.mu_D_GeV) + 1e-6 * M / m
    ref = mp.dsigma_dq2_offshell(s, q2, m, gi, gamma_total(model), -0.6, 0.6, 1e-3)
    np.testing.assert_allclose(mp.dsigma_dq2_offshell_model(s, q2, model, -0.6, 0.6), ref, rtol=1e-12)
    assert np.all(mp.dsigma_dq2_offshell_model(s, np.array([0.0, s, 2 * s]), model, -0.6, 0.6) == 0.0)
