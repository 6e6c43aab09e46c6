"""Dark bremsstrahlung (NA64) against shared/physics/accelerator.md sections 6.2-6.3."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special

from darktmm.spectra import darkbrem as db
from darktmm.spectra.constants import ALPHA, GEV2_TO_CM2, GEV2_TO_PB, M_E, N_A
from darktmm.spectra.validate import ParameterError

PB = db.PB


# --- constants ------------------------------------------------------------------------------------
def test_pb_constants():
    # accelerator.md 6.3
    assert (PB.Z, PB.A, PB.rho_g_cm3, PB.X0_g_cm2) == (82.0, 207.2, 11.35, 6.37)
    assert PB.X0_cm == pytest.approx(0.561, abs=0.0005)
    assert PB.atoms_per_cm2_per_X0 == pytest.approx(1.851e22, rel=3e-4)
    assert PB.electrons_per_cm3 == pytest.approx(2.705e24, rel=3e-4)
    assert db.ANNIHILATION_COEFF == pytest.approx(281.9, abs=0.05)
    assert db.ANNIHILATION_COEFF * GEV2_TO_CM2 == pytest.approx(1.098e-25, rel=5e-4)
    assert N_A * 6.37 / 207.2 == pytest.approx(PB.atoms_per_cm2_per_X0, rel=1e-15)


# --- chi ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "E0, m", [(100.0, 0.001), (100.0, 0.0167), (150.0, 0.0167), (100.0, 0.3), (50.0, 1.0)]
)
def test_chi_closed_form_vs_quadrature(E0, m):
    tmin, tmax = db.iww_t_limits(E0, m)
    closed = float(db.chi_elastic_closed(tmin, tmax))
    num = db.chi_numerical(float(tmin), float(tmax), inelastic=False)
    assert closed == pytest.approx(num, rel=1e-9)
    # and against a plain quad in t (not ln t) of the defining integral
    a = 111 * 82 ** (-1 / 3) / M_E
    d = 0.164 * 207.2 ** (-2 / 3)

    def integrand(t):
        g2 = 82**2 * (a**2 * t / (1 + a**2 * t)) ** 2 / (1 + t / d) ** 2
        return (t - tmin) / t**2 * g2

    pts = np.geomspace(float(tmin), float(tmax), 40)
    direct = sum(integrate.quad(integrand, lo, hi, epsrel=1e-12)[0] for lo, hi in zip(pts[:-1], pts[1:]))
    assert closed == pytest.approx(direct, rel=1e-9)


def test_inelastic_fraction_table():
    # accelerator.md 6.2c: inelastic/elastic for Pb at E0 = 100 GeV, in %
    table = [(0.001, 1.39), (0.010, 1.32), (0.017, 1.32), (0.1, 1.40), (0.3, 1.73), (0.5, 1.98), (1.0, 2.63)]
    for m, pct in table:
        tmin, tmax = db.iww_t_limits(100.0, m)
        inel = db.chi_numerical(float(tmin), float(tmax), elastic=False, inelastic=True)
        el = float(db.chi_elastic_closed(tmin, tmax))
        assert 100 * inel / el == pytest.approx(pct, abs=0.005), m
        assert float(db.chi_iww(100.0, m, inelastic=True)) == pytest.approx(el + inel, rel=1e-12)


# --- WW / IWW -------------------------------------------------------------------------------------------
def test_ww_exact_angular_integral_vs_leading_formula():
    # accelerator.md 6.2a: 2.9% at x = 0.99, m = 20 MeV, E0 = 100 GeV
    r = float(db.dsigma_dx_ww_angular(100.0, 0.020, 0.99, 1.0) / db.dsigma_dx_ww(100.0, 0.020, 0.99, 1.0))
    assert r - 1 == pytest.approx(0.029, abs=0.0005)


@pytest.mark.parametrize("x", [0.1, 0.5, 0.9, 0.99, 0.9999])
def test_ww_double_differential_integrates_to_angular_formula(x):
    E0, m, chi = 100.0, 0.020, 7.0e4
    umin = float(db.u_min(m, x))

    # integrate over cos(theta) ~ 1 - theta^2/2, i.e. dcos = theta dtheta, on a log grid in theta
    def f(lth):
        th = math.exp(lth)
        return float(db.d2sigma_dx_dcos_ww(E0, m, x, th, chi)) * th * th

    th0 = math.sqrt(umin / (E0**2 * x))
    val, _ = integrate.quad(
        f, math.log(th0) - 25, math.log(th0) + 25, points=[math.log(th0)], limit=400, epsrel=1e-11
    )
    assert val == pytest.approx(float(db.dsigma_dx_ww_angular(E0, m, x, chi)), rel=1e-8)


@pytest.mark.parametrize("m, x", [(0.0167, 0.3), (0.0167, 0.999), (0.1, 0.6), (0.5, 0.95), (0.002, 0.9999)])
def test_iww_double_differential_integrates_to_dsigma_dx(m, x):
    E0, chi = 100.0, 5.0e4
    U0 = float(db.u_min(m, x))

    def f(lu):
        u = math.exp(lu)
        return float(db.d2sigma_dx_du_iww(E0, m, x, u, chi)) * u

    u0 = U0 / (2 * E0**2 * x)
    val, _ = integrate.quad(
        f, math.log(u0) - 30, math.log(u0) + 30, points=[math.log(u0)], limit=400, epsrel=1e-11
    )
    assert val == pytest.approx(float(db.dsigma_dx_iww(E0, m, x, chi)), rel=1e-8)


def test_iww_reduces_to_ww_for_massless_electron():
    E0 = 100.0
    for m in (0.005, 0.05, 0.5):
        x = np.linspace(1.2 * m / E0, 0.999, 50)
        iww = db.dsigma_dx_iww(E0, m, x, 1.0, m_e=0.0)
        beta_k = np.sqrt(1 - m**2 / (x * E0) ** 2)
        beta = math.sqrt(1 - m**2 / E0**2)
        # WW with m_e -> 0 in U_min, beta replaced by |k|/(x E0)
        ww = 4 * ALPHA**3 * beta_k * (1 - x + x**2 / 3) / (m**2 * (1 - x) / x)
        np.testing.assert_allclose(iww, ww, rtol=1e-12)
        np.testing.assert_allclose(
            db.dsigma_dx_ww(E0, m, x, 1.0) * beta_k / beta,
            4 * ALPHA**3 * beta_k * (1 - x + x**2 / 3) / db.u_min(m, x),
            rtol=1e-12,
        )


def test_iww_matches_exact_angular_integral():
    # accelerator.md 6.2a: "The IWW form matches the exact integral" (up to the 2 m_e^2 x(1-x) term of m^2 + 2 m_e^2)
    E0, m = 100.0, 0.020
    for x in (0.5, 0.9, 0.99, 0.999):
        beta_k = math.sqrt(1 - m**2 / (x * E0) ** 2)
        iww = float(db.dsigma_dx_iww(E0, m, x, 1.0))
        ang = float(db.dsigma_dx_ww_angular(E0, m, x, 1.0)) * beta_k / math.sqrt(1 - m**2 / E0**2)
        assert iww == pytest.approx(ang, rel=2e-3)


# --- K-factor and ETL ----------------------------------------------------------------------------
def test_k_table_entries():
    # accelerator.md 6.2d (DMG4 KFactors.code), including the corrected 30/40 MeV rows
    ref = {
        (1, 20): 0.606286,
        (30, 20): 1.54771,
        (30, 160): 1.25144,
        (40, 100): 1.37324,
        (200, 100): 1.88813,
        (1000, 160): 2.00084,
        (500, 60): 2.00917,
    }
    for (mm, e), k in ref.items():
        i = list(db.K_MASSES_MEV).index(mm)
        j = list(db.K_ENERGIES_GEV).index(e)
        assert db.K_TABLE[i, j] == k
    assert db.K_TABLE.shape == (24, 8)
    assert np.all(np.diff(db.K_MASSES_MEV) > 0)


def test_k_interpolation_examples():
    # accelerator.md 6.2d: K(100 MeV) = 1.767, 1.699, 1.651 at 60, 80, 100 GeV; K(16.7 MeV, 150 GeV) = 1.146
    for e, k in [(60.0, 1.767), (80.0, 1.699), (100.0, 1.651)]:
        assert db.k_factor(0.1, e) == pytest.approx(k, abs=0.0005)
    assert db.k_factor(0.0167, 150.0) == pytest.approx(1.146, abs=0.0005)
    # bilinear by hand: between (10, 20 MeV) x (140, 160 GeV)
    k = 0.33 * (0.5 * 1.07708 + 0.5 * 1.07527) + 0.67 * (0.5 * 1.18313 + 0.5 * 1.17754)
    assert db.k_factor(0.0167, 150.0) == pytest.approx(k, rel=1e-12)


def test_k_clamping_as_dmg4():
    # DMG4: m <= 1 MeV -> 1.005 MeV, m >= 1 GeV -> 0.995 GeV, E <= 20 -> 20.1, E >= 160 -> 159.2 GeV
    for a, b in [
        ((0.0005, 100.0), (0.001005, 100.0)),
        ((0.001, 100.0), (0.001005, 100.0)),
        ((2.0, 100.0), (0.995, 100.0)),
        ((0.05, 10.0), (0.05, 20.1)),
        ((0.05, 300.0), (0.05, 159.2)),
    ]:
        assert db.k_factor(*a) == pytest.approx(db.k_factor(*b), rel=1e-14)
    # 1.005 MeV: 0.5% of the way from the 1 to the 2 MeV row
    assert db.k_factor(0.0, 100.0) == pytest.approx(0.604626 + 0.005 * (0.832335 - 0.604626), rel=1e-12)
    np.testing.assert_allclose(db.k_factor(np.array([0.1, 0.1]), np.array([60.0, 100.0])), [1.76675, 1.65122])


def test_sigma_etl_dmg4_reference():
    # accelerator.md 6.2d: DMG4 sigma_ETL(16.7 MeV, 150 GeV, eps = 1e-4, Pb) = 3643 pb; the recipe gives 3652 pb
    sig = float(db.sigma_etl(150.0, 0.0167, 1e-4)) * GEV2_TO_PB
    assert sig == pytest.approx(3643.0, rel=0.02)
    assert sig == pytest.approx(3652.0, abs=0.5)
    # the recipe by hand: (4/3) alpha^3 eps^2 chi beta/m^2 ln(m^2/m_e^2)/K with the closed-form chi
    m, E0 = 0.0167, 150.0
    chi = float(db.chi_elastic_closed((m**2 / (2 * E0)) ** 2, m**2))
    hand = 4 / 3 * ALPHA**3 * 1e-8 * chi * math.sqrt(1 - m**2 / E0**2) / m**2 * math.log(m**2 / M_E**2)
    assert sig == pytest.approx(hand / db.k_factor(m, E0) * GEV2_TO_PB, rel=1e-12)


def test_etl_fraction_and_shape_normalisation():
    E0, m = 100.0, 0.05
    assert float(db.etl_fraction_above(E0, m, 0.0)) == pytest.approx(1.0, rel=1e-12)
    assert float(db.etl_fraction_above(E0, m, E0)) == 0.0
    f50 = float(db.etl_fraction_above(E0, m, 50.0))
    assert 0.5 < f50 < 1.0  # the A' takes most of the energy
    # trapezoid in y = ln(1 - x) (the shape peaks at x -> 1 within 1 - x ~ m_e^2/m^2)
    y = np.linspace(math.log(1 - float(db.x_max(E0))), math.log(1 - m / E0), 200001)
    x = 1 - np.exp(y)
    d = db.dsigma_dx_etl(E0, m, x) * np.exp(y)
    assert np.trapezoid(d, y) == pytest.approx(float(db.sigma_etl(E0, m)), rel=1e-6)
    sel = x > 0.5
    assert np.trapezoid(d[sel], y[sel]) == pytest.approx(f50 * float(db.sigma_etl(E0, m)), rel=1e-4)


# --- thick target ------------------------------------------------------------------------------------
@pytest.mark.parametrize("t", [0.01, 0.3, 1.0, 5.0, 20.0])
def test_track_length_distribution_normalised(t):
    # accelerator.md 6.3: int_0^E0 dE I_e = 1 for all t. In L = ln(E0/E) (dE I_e = dL e^-L L^(bt-1)/Gamma(bt));
    # for bt < 1 the L^(bt-1) endpoint singularity is removed with v = L^(bt).
    bt = 4 / 3 * t
    if bt < 1:

        def f(v):
            L = v ** (1 / bt)
            return float(db.track_length_density_L(L, t)) * L ** (1 - bt) / bt

        vmax = 200.0**bt
        pts = [0.5, 0.9, 0.99, 1.0, 1.01, 1.1, 2.0]
        val = integrate.quad(f, 0.0, vmax, points=[p for p in pts if p < vmax], limit=400, epsrel=1e-12)[0]
    else:
        val = integrate.quad(
            lambda L: float(db.track_length_density_L(L, t)), 0, 300, points=[bt], limit=400
        )[0]
    assert val == pytest.approx(1.0, abs=1e-9)
    # the E-space density agrees with the L-space one
    E0, E = 100.0, np.array([1.0, 30.0, 70.0, 99.0])
    np.testing.assert_allclose(
        db.track_length_ie(E0, E, t) * E, db.track_length_density_L(np.log(E0 / E), t), rtol=1e-13
    )
    assert float(db.primary_survival(E0, 1e-300, t)) == pytest.approx(1.0, abs=1e-12)


def test_effective_track_length():
    # accelerator.md 6.3: T_eff = 0.870 X0 above 50 GeV, 0.468 X0 above 80 GeV (E0 = 100 GeV, ~40 X0)
    assert db.effective_track_length(100.0, 50.0, 40.0) == pytest.approx(0.870, abs=0.0005)
    assert db.effective_track_length(100.0, 80.0, 40.0) == pytest.approx(0.468, abs=0.0005)
    # the differential primary track length is the t-integral of I_e (E away from the E0 endpoint)
    for E in (30.0, 60.0, 90.0):
        direct = integrate.quad(lambda t, E=E: float(db.track_length_ie(100.0, E, t)), 0.0, 40.0, limit=200)[
            0
        ]
        assert float(db.primary_track_length(100.0, E)) == pytest.approx(direct, rel=1e-8)


@pytest.mark.parametrize("m", [0.001, 0.01, 0.1, 0.3])
def test_thick_target_integrand_mc_matches_quad(m):
    E0, E_cut = 100.0, 50.0
    y_quad = db.thick_target_yield(m, E0, E_cut, 40.0)
    rng = np.random.default_rng(12345)
    wts = db.thick_target_integrand(rng.random((200_000, 3)), m, E0, E_cut, 40.0)
    err = wts.std() / math.sqrt(len(wts))
    assert err / y_quad < 0.01
    assert wts.mean() == pytest.approx(y_quad, abs=4 * err)
    assert np.all(wts >= 0) and np.all(np.isfinite(wts))


def test_thick_target_thin_limit():
    # for T << X0 the primary has not radiated: the thick-target yield tends to the thin-target one
    m, E0, E_cut, T = 0.02, 100.0, 50.0, 1e-4
    thick = db.thick_target_yield(m, E0, E_cut, T)
    thin = db.thin_target_yield(m, E0, E_cut, T)
    assert thick == pytest.approx(thin, rel=2e-3)
    # thin target is linear in T and uses N_A X0/A
    s = float(db.sigma_etl_above(E0, m, E_cut))
    assert db.thin_target_yield(m, E0, E_cut, 0.01) == pytest.approx(
        1.851e22 * 0.01 * s * GEV2_TO_CM2, rel=3e-4
    )


def test_thick_target_yield_scales():
    # Y1 <= (N_A X0/A) T_eff(>E_cut) max_E sigma(E; > E_cut), and it falls steeply with m
    E0, E_cut = 100.0, 50.0
    y = [db.thick_target_yield(m, E0, E_cut) for m in (0.001, 0.01, 0.1)]
    assert y[0] > y[1] > y[2] > 0
    sig_max = float(db.sigma_etl_above(E0, 0.01, E_cut))  # sigma(E; > E_cut) grows with E
    bound = PB.atoms_per_cm2_per_X0 * db.effective_track_length(E0, E_cut) * sig_max * GEV2_TO_CM2
    assert y[1] < bound and y[1] > 0.3 * bound
    with pytest.raises(ParameterError):
        db.thick_target_yield(0.01, 100.0, 150.0)


# --- positron annihilation ---------------------------------------------------------------------------
def test_annihilation_window_and_reference_magnitude():
    # accelerator.md 6.3: E_R = m^2/(2 m_e) > 50 GeV needs m > sqrt(2 m_e 50 GeV) = 0.226 GeV; E_R < E0 = 100 GeV: m < 0.32
    assert math.sqrt(2 * M_E * 50.0) == pytest.approx(0.226, abs=0.0005)
    assert float(db.annihilation_resonance_energy(0.24)) == pytest.approx(0.24**2 / (2 * M_E), rel=1e-4)
    assert db.annihilation_yield(0.22, 100.0, 50.0, dl_dE_cm_per_GeV=5e-4) == 0.0
    assert db.annihilation_yield(0.33, 100.0, 50.0, dl_dE_cm_per_GeV=5e-4) == 0.0
    # "dl+/dE ~ 5e-4 cm/GeV gives N_ann/EOT ~ 1.5e-4 eps^2 near m = 0.24 GeV"
    n = db.annihilation_yield(0.24, 100.0, 50.0, dl_dE_cm_per_GeV=5e-4)
    assert n == pytest.approx(2.705e24 * 5e-4 * 1.098e-25, rel=1e-3)
    assert n == pytest.approx(1.5e-4, rel=0.02)
    assert db.annihilation_yield(0.24, 100.0, 50.0, p_inv=0.5, dl_dE_cm_per_GeV=5e-4) == pytest.approx(n / 2)
    assert db.annihilation_yield(0.24, 100.0, 50.0, dl_dE_cm_per_GeV=lambda E, E0: 5e-4) == pytest.approx(n)


def test_rossi_kernels_against_their_integrals():
    phi0 = lambda v: (4 / 3 - 4 / 3 * v + v * v) / v  # noqa: E731
    psi0 = lambda u: 1 - 4 / 3 * u * (1 - u)  # noqa: E731
    for s in (0.5, 1.0, 2.0, 3.7):
        a = integrate.quad(lambda v, s=s: (1 - (1 - v) ** s) * phi0(v), 0, 1, epsrel=1e-12)[0]
        b = 2 * integrate.quad(lambda u, s=s: u**s * psi0(u), 0, 1, epsrel=1e-12)[0]
        c = integrate.quad(lambda v, s=s: v**s * phi0(v), 0, 1, epsrel=1e-12)[0]
        assert complex(db._rossi_a(s)).real == pytest.approx(a, rel=1e-10)
        assert complex(db._rossi_b(s)).real == pytest.approx(b, rel=1e-10)
        assert complex(db._rossi_c(s)).real == pytest.approx(c, rel=1e-10)
    # energy conservation at s = 1: A = C = 1 (X0 definition), B = sigma_0 = 7/9
    assert db._rossi_a(1.0) == pytest.approx(1.0) and db._rossi_c(1.0) == pytest.approx(1.0)
    assert db._rossi_b(1.0) == pytest.approx(7 / 9)


def test_inverse_mellin_known_pair():
    # g(y) = y (ln 1/y)^(k-1)/Gamma(k)  <->  Q(s) = (s + 1)^-k
    for k in (2.0, 3.0, 4.5):
        for y in (0.05, 0.3, 0.8):
            got = db.inverse_mellin(lambda s, k=k: (s + 1.0) ** (-k), y)
            assert got == pytest.approx(y * math.log(1 / y) ** (k - 1) / special.gamma(k), rel=1e-8)


def test_positron_track_length_asymptotics():
    # E << E0: dl+/dE -> (1/2) sigma_0/D'(1) X0 E0/E^2, D = A sigma_0 - B C; Rossi's e+- total is 0.437 E0/E^2
    h = 1e-6
    dD = (
        (db._rossi_a(1 + h) * db.SIGMA0_PAIR - db._rossi_b(1 + h) * db._rossi_c(1 + h))
        - (db._rossi_a(1 - h) * db.SIGMA0_PAIR - db._rossi_b(1 - h) * db._rossi_c(1 - h))
    ) / (2 * h)
    total = db.SIGMA0_PAIR / complex(dD).real
    assert total == pytest.approx(0.437, rel=0.02)  # Rossi (1952), approximation A with screening b-terms
    E0 = 100.0
    for y in (1e-5, 1e-4):
        dl = float(db.positron_track_length(y * E0, E0))
        assert dl * (y * E0) ** 2 / (PB.X0_cm * E0) == pytest.approx(total / 2, rel=2e-3)
    # vanishes at the primary energy, positive in between
    d = db.positron_track_length(np.array([10.0, 50.0, 90.0, 99.0]), E0)
    assert np.all(d > 0) and np.all(np.diff(d * np.array([10.0, 50.0, 90.0, 99.0]) ** 2) < 0)


def test_default_annihilation_yield_near_dip():
    n = db.annihilation_yield(0.24, 100.0, 50.0)
    dl = float(db.positron_track_length(float(db.annihilation_resonance_energy(0.24)), 100.0))
    assert n == pytest.approx(PB.electrons_per_cm3 * dl * db.ANNIHILATION_COEFF * GEV2_TO_CM2, rel=1e-12)
    assert 5e-5 < n < 5e-4  # same order as the reference's 1.5e-4 estimate


# --- annihilation on bound electrons --------------------------------------------------------------------
def test_compton_profile_normalisation_and_width():
    from scipy import integrate as si

    assert sum(s.n_e for s in db.PB_SHELLS) == 82
    # Slater K shell of Pb: Z_eff = 82 - 0.30, p0 = Z_eff alpha m_e
    assert db.PB_SHELLS[0].p0_GeV == pytest.approx(81.7 / 137.035999 * M_E, rel=1e-6)
    lim = 0.05
    norm, _ = si.quad(db.compton_profile, -lim, lim, points=[0.0], limit=400, epsabs=0, epsrel=1e-11)
    tail = 2 * sum(
        s.n_e
        / 82
        * si.quad(lambda q, p=s.p0_GeV: 8 / (3 * math.pi * p) * (1 + (q / p) ** 2) ** -3, lim, np.inf)[0]
        for s in db.PB_SHELLS
    )
    assert norm + tail == pytest.approx(1.0, rel=1e-9)
    # <p_z^2> of the 1s shape is p0^2/3 (hydrogenic <p^2> = p0^2, isotropic)
    one = (db.Shell("x", 1, 10.0, 1.0, 0.0),)
    p0 = one[0].p0_GeV

    def f(t):  # q = p0 tan t
        q = p0 * math.tan(t)
        return q * q * float(db.compton_profile(q, one)) * p0 / math.cos(t) ** 2

    m2, _ = si.quad(f, -math.pi / 2, math.pi / 2, epsabs=0, epsrel=1e-11)
    assert m2 == pytest.approx(p0**2 / 3, rel=1e-8)


def test_bound_annihilation_reduces_to_electrons_at_rest():
    # a (fictitious) atom whose electrons have p0 -> 0 and no binding: the at-rest resonance of annihilation_yield
    still = (db.Shell("still", 82, 1e-4, 1.0, 0.0),)
    for m in (0.235, 0.27):
        a = db.annihilation_yield(m, 100.0, 50.0)
        b = db.annihilation_yield_bound(m, 100.0, 50.0, shells=still)
        assert b == pytest.approx(a, rel=2e-4)
    assert db.annihilation_yield_bound(0.215, 100.0, 50.0, shells=still) < 1e-20 * a
    # the interpolated track length agrees with the Mellin inversion
    E = np.array([45.0, 61.0, 88.0])
    np.testing.assert_allclose(
        db.positron_track_length_interp(E, 100.0), db.positron_track_length(E, 100.0), rtol=1e-4
    )


def test_bound_annihilation_widens_the_window_and_keeps_its_mass_integral():
    # Pb electrons: yield below the at-rest threshold sqrt(2 m_e 50 GeV) = 0.226 GeV and above sqrt(2 m_e E0)
    assert db.annihilation_yield_bound(0.21, 100.0, 50.0) > 1e-5
    assert db.annihilation_yield_bound(0.33, 100.0, 50.0) > 1e-7
    assert db.annihilation_yield(0.21, 100.0, 50.0) == 0.0 == db.annihilation_yield(0.33, 100.0, 50.0)
    # the mass integral is nearly conserved: int dm over E_R(p_z) changes by the factor sqrt(1 - p_z/m_e) whose
    # average over the profile is 1 - O(<p_z^2>/m_e^2) (~ -1 %), and binding shifts it by ~ +B/2m_e
    ms = np.linspace(0.12, 0.45, 661)
    rest = np.array([db.annihilation_yield(m, 100.0, 50.0) for m in ms])
    bound = np.array([db.annihilation_yield_bound(m, 100.0, 50.0) for m in ms])
    r = np.trapezoid(bound, ms) / np.trapezoid(rest, ms)
    assert abs(r - 1) < 0.03
    # and the peak is lower
    assert bound.max() < 0.9 * rest.max()
