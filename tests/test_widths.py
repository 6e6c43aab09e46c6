"""A' widths, BR_inv, decay length and P_inv against shared/physics/accelerator.md section 7."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from darktmm.spectra import widths as w
from darktmm.spectra.constants import ALPHA, E_CHARGE, HBARC_GEV_CM, M_E, M_MU, MU_B
from darktmm.spectra.model import DarkSector, moment_from_lambdas
from darktmm.spectra.validate import ParameterError


# --- 7.1 visible widths -------------------------------------------------------------------------
def test_gamma_ee_check_value():
    # accelerator.md 7.1: Gamma_ee(m = 10 MeV, eps = 1e-4) = 2.432e-13 GeV
    assert float(w.gamma_ee(0.010, 1e-4)) == pytest.approx(2.432e-13, abs=0.0005e-13)


def test_gamma_ll_formula_and_threshold():
    m = np.array([0.5e-3, 1.0e-3, 1.0219e-3, 0.2, 0.2113, 0.25, 1.0])
    g = w.gamma_ee(m, 1e-3)
    r = M_E**2 / m**2
    ref = np.where(
        m > 2 * M_E, ALPHA * 1e-6 * m / 3 * (1 + 2 * r) * np.sqrt(np.clip(1 - 4 * r, 0, None)), 0.0
    )
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=0)
    assert g[0] == 0.0 and g[1] == 0.0  # below 2 m_e: exactly zero, no NaN
    gm = w.gamma_mumu(m, 1e-3)
    assert np.all(gm[m <= 2 * M_MU] == 0.0) and np.all(np.isfinite(gm))
    assert gm[-1] > 0


def test_ctau_formula():
    # accelerator.md 7.1: c tau (A' -> ee only) = 0.811 mm (1e-4/eps)^2 (10 MeV/m) for m >> m_e
    for m, eps in [(0.010, 1e-4), (0.050, 1e-5), (0.1, 3e-4)]:
        g = float(w.gamma_ee(m, eps))
        ctau_m = float(w.decay_length_m(m, m * math.sqrt(2.0), g))  # |p|/m = 1
        assert ctau_m == pytest.approx(HBARC_GEV_CM * 1e-2 / g, rel=1e-12)
        assert ctau_m * 1e3 == pytest.approx(0.811 * (1e-4 / eps) ** 2 * (0.010 / m), rel=1e-3)


def test_hadronic_width_normalisation():
    # accelerator.md 7.1: Gamma_had = (alpha eps^2 m/3) R, not Gamma_mumu R (11% low at 0.3 GeV)
    m = 0.3
    ratio = float(w.gamma_mumu(m, 1e-3) * w.r_ratio(m) / w.gamma_hadrons(m, 1e-3))
    r = (M_MU / m) ** 2
    assert ratio == pytest.approx((1 + 2 * r) * math.sqrt(1 - 4 * r), rel=1e-12)
    assert 1 - ratio == pytest.approx(0.11, abs=0.005)


def test_r_ratio_zero_below_two_pions_and_positive():
    assert np.all(w.r_ratio(np.linspace(0.0, 0.279, 50)) == 0.0)
    grid = np.linspace(0.2792, 12.0, 20000)
    r = w.r_ratio(grid)
    assert np.all(np.isfinite(r)) and np.all(r >= 0) and np.all(r[grid > 0.285] > 0)


def test_r_ratio_rough_values():
    # accelerator.md 7.1: R ~ 2-2.5 between 1.5 GeV and charm, ~3.5-4 above
    for e in (1.6, 1.75, 2.2, 2.6, 3.0, 3.4, 3.6):
        assert 2.0 <= float(w.r_ratio(e)) <= 2.7, e
    for e in (4.5, 5.0, 6.0, 8.0, 10.0):
        assert 3.4 <= float(w.r_ratio(e)) <= 4.0, e
    # continuity where the knot table hands over to perturbative QCD
    assert float(w.r_ratio(2.0 + 1e-9)) == pytest.approx(float(w.r_ratio(2.0 - 1e-9)), rel=0.02)


def test_r_ratio_against_darkcast_points_not_used_as_knots():
    # DarkCast smoothed PDG R curve (arXiv:1801.04847) at points that are not knots of the table:
    # omega and phi peaks and shoulders, the 1.48 GeV step. The omega/phi shapes come from PDG B_ee.
    pts = [
        (0.7762, 13.03),
        (0.7816, 19.78),
        (0.7852, 15.22),
        (0.7888, 10.24),
        (0.9931, 0.8601),
        (1.0093, 2.009),
        (1.0186, 45.46),
        (1.0375, 2.324),
        (1.0495, 1.567),
        (1.4825, 2.018),
        (1.9952, 2.245),
    ]
    for e, ref in pts:
        assert float(w.r_ratio(e)) == pytest.approx(ref, rel=0.15), e


def test_r_ratio_peak_heights_from_pdg_leptonic_widths():
    # Breit-Wigner peak R = 9 B_ee B_had / alpha^2 on top of the broad part (independent arithmetic)
    for name, mass, _, bee, bhad in w.R_RESONANCES:
        peak = 9.0 * bee * bhad / ALPHA**2
        got = float(w.r_ratio(mass))
        assert got > peak, name
        if mass > 3.0:  # quarkonia: the continuum under the peak is ~2-4
            assert got - peak == pytest.approx(float(w._r_pqcd(np.array(mass))), rel=1e-3), name
    assert 9 * 7.38e-5 / ALPHA**2 == pytest.approx(12.47, rel=1e-3)


# --- 7.3 invisible width --------------------------------------------------------------------------
def test_gamma_nunu_pair_sum_and_factor_two():
    lam = (1e-8, 2e-8, 3e-8)  # (l23, l31, l12) in muB
    mu = moment_from_lambdas(*lam) * MU_B
    m = 0.05
    got = float(w.gamma_nunu(m, mu))
    ref = sum((x * MU_B) ** 2 for x in lam) * m**3 / (24 * math.pi)
    assert got == pytest.approx(ref, rel=1e-12)
    # the P_L-only (m^3/48 pi) or the all-ordered-pairs double count would be off by exactly 2
    assert got / (0.5 * ref) == pytest.approx(2.0, rel=1e-12)


def test_nunu_to_ee_ratio_formula():
    # accelerator.md 7.3: Gamma_nunu/Gamma_ee = |mu|^2 m^2/(8 pi alpha eps^2)
    #                   = 4.79e-11 (mu/1e-10 muB)^2 (m/10 MeV)^2 (1e-4/eps)^2
    mu_abs = 1e-10 * MU_B
    r = float(w.nunu_to_ee_ratio(0.010, mu_abs, 1e-4))
    assert r == pytest.approx(4.79e-11, rel=1e-3)
    # against the two widths computed separately (m >> m_e: 1 GeV, threshold factor 1 - 1e-6)
    mu = moment_from_lambdas(0, 0, 1e-6) * MU_B
    m, eps = 1.0, 1e-4
    direct = float(w.gamma_nunu(m, mu) / w.gamma_ee(m, eps))
    assert float(w.nunu_to_ee_ratio(m, 1e-6 * MU_B, eps)) == pytest.approx(direct, rel=2e-6)


def test_tmm_dominance_threshold():
    # accelerator.md 7.4: Gamma_nunu = Gamma_ee at |mu| m = sqrt(2) e eps, mu ~ 1.45e-5 muB (eps/1e-4)(10 MeV/m)
    mu0 = float(w.tmm_dominance_moment(0.010, 1e-4))
    assert mu0 == pytest.approx(math.sqrt(2) * E_CHARGE * 1e-4 / 0.010, rel=1e-12)
    assert mu0 / MU_B == pytest.approx(1.45e-5, rel=5e-3)
    for m, eps in [(0.010, 1e-4), (0.1, 1e-3), (1.0, 1e-5)]:
        mu_t = float(w.tmm_dominance_moment(m, eps))
        mu = moment_from_lambdas(0, 0, mu_t)
        ratio = float(w.gamma_nunu(m, mu) / w.gamma_ee(m, eps))
        r = (M_E / m) ** 2  # the threshold is defined for m >> m_e; Gamma_ee keeps its threshold factor
        assert ratio == pytest.approx(1.0 / ((1 + 2 * r) * math.sqrt(1 - 4 * r)), rel=1e-12)


# --- 7.4-7.5 BR_inv, decay length, P_inv ------------------------------------------------------------
@pytest.mark.parametrize(
    "m, eps, E, L_det, ell_ref, ell_tol, pesc_ref, pesc_tol",
    [
        (0.010, 1e-5, 75.0, 5.5, 608.0, 0.5, 0.991, 0.0005),  # NA64: invisible
        (0.010, 1e-4, 75.0, 5.5, 6.08, 0.005, 0.405, 0.0005),  # NA64
        (0.100, 1e-4, 75.0, 5.5, 0.061, 0.0005, 0.0, 1e-30),  # NA64: decays in the ECAL
        (0.010, 1e-3, 5.0, 2.0, 4.1e-3, 0.05e-3, 0.0, 1e-100),  # BaBar: prompt
        (1.000, 1e-3, 5.0, 2.0, 0.40e-6, 0.005e-6, 0.0, 1e-100),  # BaBar: prompt
    ],
)
def test_decay_length_table(m, eps, E, L_det, ell_ref, ell_tol, pesc_ref, pesc_tol):
    # accelerator.md 7.5 table, Gamma_tot = Gamma_ee
    g = w.gamma_ee(m, eps)
    ell = float(w.decay_length_m(m, E, g))
    assert ell == pytest.approx(ell_ref, abs=ell_tol)
    pesc = float(w.p_invisible(0.0, ell, L_det))
    assert pesc == pytest.approx(pesc_ref, abs=pesc_tol)


def test_invisible_summary_visible_point():
    s = w.invisible_summary(DarkSector(m_ap=0.010, eps=1e-4), 75.0, 5.5)
    assert s.gamma_inv == 0.0 and s.br_inv == 0.0
    assert s.gamma_vis == pytest.approx(float(w.gamma_ee(0.010, 1e-4)), rel=1e-12)
    assert s.decay_length_m == pytest.approx(6.08, abs=0.005)
    assert s.p_inv == pytest.approx(0.405, abs=0.0005)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.p_inv = 1.0  # frozen


def test_invisible_summary_limits():
    # below 2 m_e: no visible channel, BR_inv = 1 (accelerator.md 7.1), stable -> P_inv = 1
    s = w.invisible_summary(DarkSector(m_ap=0.8e-3, eps=1e-4), 10.0, 5.5)
    assert s.br_inv == 1.0 and s.p_inv == 1.0 and math.isinf(s.decay_length_m)
    # a dominant dark width
    g_ee = float(w.gamma_ee(0.05, 1e-4))
    s = w.invisible_summary(DarkSector(m_ap=0.05, eps=1e-4, gamma_dark=99 * g_ee), 50.0, 5.5)
    assert s.br_inv == pytest.approx(0.99, rel=1e-12)
    assert s.p_inv == pytest.approx(0.99 + 0.01 * math.exp(-5.5 / s.decay_length_m), rel=1e-12)
    assert s.gamma_tot == pytest.approx(100 * g_ee, rel=1e-12)
    # TMM and eps enter BR_inv as expected
    model = DarkSector.from_lambdas(0.5, 1e-3, (0.0, 0.0, 1e-5))
    s = w.invisible_summary(model, np.array([1.0, 10.0]), 2.0)
    gi = float(w.gamma_nunu(0.5, model.mu_D_GeV))
    assert s.br_inv == pytest.approx(gi / (gi + s.gamma_vis), rel=1e-12)
    assert np.shape(s.decay_length_m) == (2,)


def test_parameter_errors():
    with pytest.raises(ParameterError):
        w.decay_length_m(1.0, 0.5, 1e-10)
    with pytest.raises(ParameterError):
        w.invisible_summary(DarkSector(m_ap=0.01, eps=1e-4), 1.0, -1.0)
    with pytest.raises(ParameterError):
        w.gamma_ee(-0.1, 1e-4)
