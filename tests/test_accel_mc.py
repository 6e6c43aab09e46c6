"""VEGAS process integrands of the accelerator signals against closed forms and independent quadrature
(accelerator.md 1-4, 6): e+e- -> gamma A' (Born, ISR, off-shell) and thick-target dark bremsstrahlung."""

import math

import numpy as np
import pytest
from scipy import integrate

from darktmm.spectra import darkbrem as db
from darktmm.spectra import monophoton as mp
from darktmm.spectra import widths
from darktmm.spectra.accel_mc import DarkBremProcess, MonophotonProcess
from darktmm.spectra.constants import GEV2_TO_FB
from darktmm.spectra.integrate import Vegas
from darktmm.spectra.model import DarkSector
from darktmm.spectra.validate import ParameterError

LOWM = (-0.4, 0.6)


def _vegas(proc, seed=1, neval=20_000, nitn=6):
    v = Vegas(proc.ndim, seed=seed, neval=neval)
    return v.integrate(proc, nitn=nitn)


# --- e+e- -> gamma A', Born ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sqrt_s, m, ref_fb",
    [
        (10.58, 0.01, 1.436),
        (10.58, 1.0, 1.470),
        (10.58, 5.0, 2.610),
        (10.58, 8.0, 7.556),
        (10.355, 1.0, 1.536),
    ],
)
def test_born_vegas_matches_closed_form_and_check_values(sqrt_s, m, ref_fb):
    # accelerator.md 2 check table: sigma(-0.4 < z < 0.6) at eps = 1e-3, in fb
    p = MonophotonProcess(sqrt_s, m, 1e-3, z_window=LOWM)
    closed = p.closed_form()
    assert closed * GEV2_TO_FB == pytest.approx(ref_fb, abs=0.0005)
    r = _vegas(p, neval=5000)
    assert r.rel < 1e-3
    assert r.mean == pytest.approx(closed, abs=4 * r.sdev)


def test_born_kinematics_and_four_momentum_conservation():
    s = 10.58**2
    rng = np.random.default_rng(3)
    for m, e_ref in [(0.01, 5.2900), (1.0, 5.2427), (5.0, 4.1085), (8.0, 2.2654)]:  # accelerator.md 1
        p = MonophotonProcess(10.58, m, 1e-3, z_window=LOWM)
        k = p.kinematics(rng.random((1000, p.ndim)))
        np.testing.assert_allclose(k["E_gamma_cm"], e_ref, atol=5e-5)
        np.testing.assert_allclose(k["MX2"], m * m, atol=1e-9)
        np.testing.assert_allclose(k["m_inv"], m)
        assert np.all(k["isr_x"] == 0)
        assert np.all((k["cos_theta_cm"] > -0.4) & (k["cos_theta_cm"] < 0.6))
        np.testing.assert_allclose(k["E_gamma_cm"] + k["E_ap"], math.sqrt(s), rtol=1e-12)
        for c in ("px", "py", "pz"):
            np.testing.assert_allclose(k[f"{c}_gamma"] + k[f"{c}_ap"], 0.0, atol=1e-12)
        p2 = k["px_gamma"] ** 2 + k["py_gamma"] ** 2 + k["pz_gamma"] ** 2
        np.testing.assert_allclose(np.sqrt(p2), k["E_gamma_cm"], rtol=1e-12)  # massless photon
        m2 = k["E_ap"] ** 2 - p2
        np.testing.assert_allclose(m2, m * m, atol=1e-9)
        assert np.all((k["phi"] >= 0) & (k["phi"] < 2 * math.pi))


# --- ISR --------------------------------------------------------------------------------------------
def _eta_of(r, Y):
    """eta with f(eta) = cosh(eta)/cosh(eta - Y) = r; f is monotone with range (e^-|Y|, e^|Y|)
    (increasing for Y > 0): e^(2 eta) = (r e^Y - 1)/(1 - r e^-Y). +-inf outside the range."""
    if r <= math.exp(-abs(Y)):
        return -math.inf if Y > 0 else math.inf
    if r >= math.exp(abs(Y)):
        return math.inf if Y > 0 else -math.inf
    return 0.5 * math.log((r * math.exp(Y) - 1.0) / (1.0 - r * math.exp(-Y)))


def _isr_semianalytic(sqrt_s, m, z_window, mx2_window, eps=1e-3, x_min=1e-6):
    """Independent ISR check: sigma = soft x sigma_Born + int dx W(1 - x) (1/2) sum_sides sigma_window(s', ...).
    For each radiated fraction x and side, the lab acceptance in eta becomes the reduced-frame window
    eta_hat = eta - Y, and the M_X^2 cut (nominal s) is solved for eta in closed form (:func:`_eta_of`)."""
    s = sqrt_s**2
    e1, e2 = (math.atanh(z) for z in z_window)
    e_min = (s - mx2_window[1]) / (2 * sqrt_s)
    e_max = (s - mx2_window[0]) / (2 * sqrt_s)

    def window(x, side):
        sh = s * (1.0 - x)
        if m * m >= sh:
            return 0.0
        Y = side * 0.5 * math.log1p(-x)
        eh = (sh - m * m) / (2.0 * math.sqrt(sh))
        r_min, r_max = e_min / eh, e_max / eh  # E_lab = eh f(eta) must lie in [e_min, e_max]
        if Y == 0.0:
            if not r_min <= 1.0 <= r_max:
                return 0.0
            lo, hi = e1, e2
        elif Y > 0:
            lo, hi = max(e1, _eta_of(r_min, Y)), min(e2, _eta_of(r_max, Y))
        else:
            lo, hi = max(e1, _eta_of(r_max, Y)), min(e2, _eta_of(r_min, Y))
        if not hi > lo:
            return 0.0
        return float(mp.sigma_window(sh, m, math.tanh(lo - Y), math.tanh(hi - Y), eps))

    soft = float(mp.isr_soft_fraction(s, x_min)) * window(0.0, 0.0)

    def f(lx):
        x = math.exp(lx)
        return float(mp.isr_w(1.0 - x, s)) * 0.5 * (window(x, 1.0) + window(x, -1.0)) * x

    x_hi = 1.0 - m * m / s
    hard = integrate.quad(f, math.log(x_min), math.log(x_hi), limit=400, epsabs=0.0, epsrel=1e-9)[0]
    return soft + hard


@pytest.mark.parametrize("m, loss", [(0.01, False), (1.0, False), (5.0, True)])
def test_isr_vegas_matches_semianalytic_quadrature(m, loss):
    mx2 = (-4.0, 36.0)
    p = MonophotonProcess(10.58, m, 1e-3, z_window=LOWM, isr=True, mx2_window=mx2)
    r = _vegas(p, neval=20_000)
    ref = _isr_semianalytic(10.58, m, LOWM, mx2)
    assert r.rel < 1e-3
    assert r.mean == pytest.approx(ref, abs=4 * r.sdev)
    # accelerator.md 3: the rate accepted by the cos theta*/M_X^2 cuts changes by a few per cent; close to the
    # upper M_X^2 edge (m^2 = 25 vs 36 GeV^2) the ISR tail leaves the window and ~9 % is lost
    born = float(mp.sigma_window(10.58**2, m, *LOWM, 1e-3))
    if loss:
        assert 0.85 < r.mean / born < 0.95
    else:
        assert 1.0 < r.mean / born < 1.03


def test_isr_kinematics_conserve_four_momentum_and_respect_acceptance():
    p = MonophotonProcess(10.355, 2.0, 1e-3, z_window=LOWM, isr=True, mx2_window=(-4.0, 36.0))
    u = np.random.default_rng(7).random((20_000, p.ndim))
    k = p.kinematics(u)
    w = p(u)
    rs = 10.355
    np.testing.assert_allclose(k["E_gamma_cm"] + k["E_ap"] + k["E_isr"], rs, rtol=1e-12)
    np.testing.assert_allclose(k["pz_gamma"] + k["pz_ap"] + k["pz_isr"], 0.0, atol=1e-10)
    m2 = k["E_ap"] ** 2 - (k["px_ap"] ** 2 + k["py_ap"] ** 2 + k["pz_ap"] ** 2)
    np.testing.assert_allclose(m2[w > 0], 4.0, rtol=1e-8)
    assert np.mean(w > 0) > 0.9
    np.testing.assert_allclose(k["E_isr"], np.abs(k["pz_isr"]), atol=1e-12)  # collinear photon
    assert np.all((k["cos_theta_cm"] > -0.4) & (k["cos_theta_cm"] < 0.6))  # acceptance after the boost
    sel = w > 0
    assert np.all((k["MX2"][sel] > -4) & (k["MX2"][sel] < 36))
    assert np.mean(k["isr_x"] == 0) == pytest.approx(1e-6 ** float(mp.isr_beta(rs**2)), abs=0.01)
    # the radiating e- (side +1) pushes the system towards -z: the A'+photon pz is negative
    hard = k["isr_side"] == 1
    assert np.all(k["pz_gamma"][hard] + k["pz_ap"][hard] < 0)


# --- off-shell ----------------------------------------------------------------------------------------
def _offshell_quad(s, model, z_window, q2_lo, q2_hi):
    """int dq^2 of monophoton.dsigma_dq2_offshell_model, substituted q^2 = m^2 + m Gamma tan(theta)."""
    m = model.m_ap
    mg = m * float(widths.gamma_total(model))

    def f(th):
        return (
            float(mp.dsigma_dq2_offshell_model(s, m * m + mg * math.tan(th), model, *z_window))
            * mg
            / math.cos(th) ** 2
        )

    a, b = math.atan((q2_lo - m * m) / mg), math.atan((q2_hi - m * m) / mg)
    return integrate.quad(f, a, b, limit=2000, epsabs=0.0, epsrel=1e-10)[0]


@pytest.mark.parametrize("gamma_dark", [1e-3, 0.3])
def test_offshell_vegas_matches_quadrature(gamma_dark):
    model = DarkSector(m_ap=1.0, eps=1e-3, gamma_dark=gamma_dark)
    p = MonophotonProcess(10.58, 1.0, 1e-3, z_window=LOWM, offshell=model, mx2_window=(-4.0, 36.0))
    r = _vegas(p, neval=20_000)
    ref = _offshell_quad(10.58**2, model, LOWM, 0.0, 36.0)
    assert r.rel < 1e-3
    assert r.mean == pytest.approx(ref, abs=4 * r.sdev)


def test_offshell_narrow_width_limit_is_sigma_times_br_inv():
    # Gamma/m ~ 1e-9: the Breit-Wigner is a delta function, sigma -> sigma_window(m) BR_inv (accelerator.md 4)
    model = DarkSector(m_ap=1.0, eps=1e-3, gamma_dark=1e-9)
    p = MonophotonProcess(10.58, 1.0, 1e-3, z_window=LOWM, offshell=model, mx2_window=(-4.0, 36.0))
    r = _vegas(p, neval=20_000)
    br = float(widths.br_invisible(widths.gamma_invisible(model), widths.gamma_visible(1.0, 1e-3)))
    ref = float(mp.sigma_window(10.58**2, 1.0, *LOWM, 1e-3)) * br
    assert 0.05 < br < 0.5
    assert r.mean == pytest.approx(ref, rel=5e-4, abs=4 * r.sdev)


def test_offshell_heavy_mediator_continuum():
    # m >> sqrt s: only the q^4/m^4 continuum of a large dark TMM (accelerator.md 4)
    model = DarkSector.flavour_blind(30.0, 1e-3, 1e-3)
    p = MonophotonProcess(10.58, 30.0, 1e-3, z_window=LOWM, offshell=model, mx2_window=(-4.0, 36.0))
    r = _vegas(p, neval=20_000)
    ref = integrate.quad(
        lambda q2: float(mp.dsigma_dq2_offshell_model(10.58**2, q2, model, *LOWM)),
        0.0,
        36.0,
        epsabs=0.0,
        epsrel=1e-10,
    )[0]
    assert r.mean == pytest.approx(ref, abs=4 * r.sdev)
    assert r.rel < 2e-3


def test_monophoton_bad_input():
    with pytest.raises(ParameterError):
        MonophotonProcess(10.58, 10.6, 1e-3)  # m^2 >= s
    with pytest.raises(ParameterError):
        MonophotonProcess(10.58, 1.0, 1e-3, z_window=(0.6, -0.4))
    with pytest.raises(ParameterError):
        MonophotonProcess(10.58, 1.0, 1e-3, z_window=(-1.0, 0.6))
    with pytest.raises(ParameterError):
        MonophotonProcess(10.58, 1.0, 2.0)
    p = MonophotonProcess(10.58, 1.0, 1e-3)
    with pytest.raises(ParameterError):
        p(np.zeros((3, 3)))
    assert p.dims == ("eta", "phi") and p.ndim == 2
    assert MonophotonProcess(10.58, 1.0, 1e-3, isr=True).dims == ("eta", "phi", "isr_x", "isr_side")


# --- dark bremsstrahlung ---------------------------------------------------------------------------------
@pytest.mark.parametrize("m", [0.001, 0.01, 0.1, 0.3])
def test_darkbrem_vegas_matches_quad_yield(m):
    p = DarkBremProcess(m, 100.0, 50.0, 40.0, eps=1.0)
    r = _vegas(p, neval=10_000)
    ref = db.thick_target_yield(m, 100.0, 50.0, 40.0)
    assert r.rel < 1e-3
    assert r.mean == pytest.approx(ref, abs=4 * r.sdev + 1e-6 * ref)
    assert p.quad_yield() == pytest.approx(ref, rel=1e-12)


def test_darkbrem_eps_scaling_and_acceptance():
    u = np.random.default_rng(11).random((5000, 4))
    w1 = DarkBremProcess(0.02, eps=1.0)(u)
    w2 = DarkBremProcess(0.02, eps=1e-4)(u)
    np.testing.assert_allclose(w2, 1e-8 * w1, rtol=1e-12)
    w3 = DarkBremProcess(0.02, eps=1.0, acceptance=lambda E: 0.5 * np.ones_like(E))(u)
    np.testing.assert_allclose(w3, 0.5 * w1, rtol=1e-12)
    assert np.all(w1 >= 0) and np.all(np.isfinite(w1))


def test_darkbrem_kinematics_ranges():
    p = DarkBremProcess(0.05, 100.0, 50.0, 40.0)
    u = np.random.default_rng(5).random((20_000, 4))
    k = p.kinematics(u)
    w = p(u)
    sel = w > 0
    assert np.all((k["t_X0"] >= 0) & (k["t_X0"] <= 40.0))
    assert np.all((k["E_e"][sel] > 50.0) & (k["E_e"][sel] <= 100.0))
    assert np.all(k["E_ap"][sel] > 50.0) and np.all(k["x"][sel] < 1.0)
    np.testing.assert_allclose(k["E_ap"], k["x"] * k["E_e"])
    np.testing.assert_array_equal(k["E_miss_true"], k["E_ap"])
    assert np.all(k["theta_ap"] >= 0)
    # the angular scale is theta^2 ~ U_min/(E^2 x) (U = E^2 x theta^2 + U_min, accelerator.md 6.2)
    scale = np.sqrt(db.u_min(0.05, k["x"][sel]) / (k["E_e"][sel] ** 2 * k["x"][sel]))
    med = np.median(k["theta_ap"][sel] / scale)
    assert 0.3 < med < 3


def test_darkbrem_angle_follows_the_iww_double_differential():
    # at fixed (depth, E, x) the angle weights must reproduce d2sigma/(dx du)/dsigma/dx bin by bin
    p = DarkBremProcess(0.02, 100.0, 50.0, 40.0)
    n = 400_000
    v = (np.arange(n) + 0.5) / n  # a fine uniform grid in the angle variable
    u = np.column_stack([np.full(n, 0.3), np.full(n, 0.5), np.full(n, 0.7), v])
    w = p(u)
    k = p.kinematics(u)
    E, x = float(k["E_e"][0]), float(k["x"][0])
    ut = k["theta_ap"] ** 2 / 2
    frac = w / w.mean()  # angle factor per point, mean 1 -> the yield is unchanged
    assert np.mean(frac) == pytest.approx(1.0, abs=1e-12)
    norm = float(db.dsigma_dx_iww(E, 0.02, x, 1.0))
    scale = float(db.u_min(0.02, x)) / (2 * E**2 * x)
    edges = scale * np.array([0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0])
    for a, b in zip(edges[:-1], edges[1:]):
        mc = np.sum(frac[(ut >= a) & (ut < b)]) / n
        exact = (
            integrate.quad(lambda t: float(db.d2sigma_dx_du_iww(E, 0.02, x, t, 1.0)), a, b, epsrel=1e-10)[0]
            / norm
        )
        assert mc == pytest.approx(exact, rel=2e-3, abs=1e-6)
