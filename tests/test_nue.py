"""Tests of spectra/nue.py against shared/physics/neutrino_electron.md sec. 1-5 and independent checks.

"Quoted digits": |x - ref| <= half a unit of the last quoted digit, plus 1e-5 relative for the
rounding of the constants used to make the reference (it quotes e.g. (pi alpha^2/m_e^2)(hbar c)^2
to five digits, 2.4947e-25 cm^2).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from darktmm.spectra import nue
from darktmm.spectra.constants import ALPHA, E_CHARGE, GEV2_TO_CM2, M_E, MU_B, SIGMA0_SM, SIGMA0_TMM
from darktmm.spectra.validate import ParameterError

MEV = 1e-3
CM2_PER_MEV = GEV2_TO_CM2 / 1e3  # GeV^-3 -> cm^2/MeV


def assert_quoted(value, ref: str, slack: float = 1e-5):
    """value agrees with the decimal string ref to its quoted digits (see module docstring)."""
    mant, _, exp = ref.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    ulp = 10.0 ** (-decimals + (int(exp) if exp else 0))
    r = float(ref)
    assert abs(value - r) <= 0.5 * ulp + slack * abs(r), f"{value!r} != {ref} to its quoted digits"


# --- sec. 1 kinematics -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "E, ref",
    [(0.8613, "0.66425"), (0.862, "0.66492"), (0.3843, "0.23083"), (1.442, "1.22496"), (0.42341, "0.26406")],
)
def test_t_max(E, ref):
    assert_quoted(nue.t_max(E * MEV) / MEV, ref, slack=0)


@pytest.mark.parametrize("T, ref", [(0.2, "0.34718"), (0.1, "0.21748")])
def test_e_min(T, ref):
    assert_quoted(nue.e_min(T * MEV) / MEV, ref, slack=0)


def test_e_min_inverts_t_max():
    E = np.geomspace(1e-5, 1.0, 50)
    np.testing.assert_allclose(nue.e_min(nue.t_max(E)), E, rtol=1e-12)


def test_constants_of_reference():
    # README sec. 4: sigma_0 = 4.4257e-14 GeV^-3 = 1.72327e-44 cm^2/MeV; pi alpha^2/m_e^2 = 2.4947e-25 cm^2
    assert_quoted(SIGMA0_SM, "4.4257e-14", slack=0)
    assert_quoted(SIGMA0_SM * CM2_PER_MEV, "1.72327e-44", slack=0)
    assert_quoted(SIGMA0_TMM * GEV2_TO_CM2, "2.4947e-25", slack=0)
    assert_quoted(MU_B, "296.30", slack=0)


# --- sec. 2 SM -----------------------------------------------------------------------------

SIGMA_TABLE = [  # E [MeV]: nu_e tree, nu_e BKS, nu_mu tree, nu_mu BKS  [cm^2]
    (0.8613, "5.939e-45", "5.814e-45", "1.251e-45", "1.284e-45"),
    (0.862, "5.945e-45", "5.821e-45", "1.252e-45", "1.285e-45"),
    (0.3843, "1.969e-45", "1.927e-45", "4.966e-46", "5.094e-46"),
    (1.442, "1.119e-44", "1.096e-44", "2.164e-45", "2.220e-45"),
]


@pytest.mark.parametrize("row", SIGMA_TABLE, ids=lambda r: f"E={r[0]}")
def test_sigma_sm_table(row):
    E = row[0] * MEV
    got = [nue.sigma_sm_total(E, fl, corr) * GEV2_TO_CM2 for fl in ("e", "x") for corr in ("tree", "bks")]
    for g, ref in zip(got, row[1:]):
        assert_quoted(float(g), ref)


DSIGMA_TABLE = [  # T [MeV] at E = 0.862 MeV: nu_e tree, nu_e BKS, nu_mu tree, nu_mu BKS [cm^2/MeV]
    (0.1, "9.734e-45", "9.533e-45", "2.039e-45", "2.091e-45"),
    (0.3, "9.005e-45", "8.816e-45", "1.858e-45", "1.906e-45"),
    (0.5, "8.375e-45", "8.197e-45", "1.776e-45", "1.822e-45"),
]


@pytest.mark.parametrize("row", DSIGMA_TABLE, ids=lambda r: f"T={r[0]}")
def test_dsigma_sm_table(row):
    T = row[0] * MEV
    got = [
        nue.dsigma_dT_sm(0.862 * MEV, T, fl, corr) * CM2_PER_MEV
        for fl in ("e", "x")
        for corr in ("tree", "bks")
    ]
    for g, ref in zip(got, row[1:]):
        assert_quoted(float(g), ref)


def test_couplings_tree_values():
    s2 = 0.23122
    assert nue.couplings_tree("e") == pytest.approx((0.5 + s2, s2), abs=1e-15)
    assert nue.couplings_tree("x") == pytest.approx((-0.5 + s2, s2), abs=1e-15)
    assert nue.couplings_tree("mu") == nue.couplings_tree("x")


def test_couplings_bks_structure():
    # kappa_e only for nu_e (sec. 2.2 pitfall), rho_NC = 1.0126, s^2 = 0.2317, sign flipped.
    T = np.array([1e-5, 1e-4, 1e-3, 1e-2])
    x = np.sqrt(1 + 2 * M_E / T)
    i_t = (1 / 6) * (1 / 3 + (3 - x**2) * ((x / 2) * np.log((x + 1) / (x - 1)) - 1))
    gl_e, gr_e = nue.couplings_bks(T, "e")
    gl_x, gr_x = nue.couplings_bks(T, "x")
    np.testing.assert_allclose(gr_e, -1.0126 * (0.9791 + 0.0097 * i_t) * 0.2317, rtol=1e-12)
    np.testing.assert_allclose(gl_e, 1.0126 * (0.5 - (0.9791 + 0.0097 * i_t) * 0.2317) - 1, rtol=1e-12)
    np.testing.assert_allclose(gr_x, -1.0126 * (0.9970 - 0.00037 * i_t) * 0.2317, rtol=1e-12)
    np.testing.assert_allclose(gl_x, 1.0126 * (0.5 - (0.9970 - 0.00037 * i_t) * 0.2317), rtol=1e-12)


def test_dsigma_sm_support_and_broadcast():
    E = np.array([0.3, 0.862, 1.442])[:, None] * MEV
    T = np.array([-0.1, 0.0, 0.1, 0.5, 0.7, 1.3])[None, :] * MEV
    d = nue.dsigma_dT_sm(E, T, "e")
    assert d.shape == (3, 6)
    assert np.all(d[:, :2] == 0)
    assert np.all((d > 0) == (T <= nue.t_max(E)) & (T > 0))


def _sm_of_t(t, E, fl, corr):
    return float(nue.dsigma_dT_sm(E, t, fl, corr))


def test_sigma_sm_total_vs_quad_and_closed_form():
    for E in (0.2, 0.8613, 1.442, 8.0):
        for fl in ("e", "x"):
            for T1 in (0.0, 0.05):
                Em = E * MEV
                tm = float(nue.t_max(Em))
                for corr in ("tree", "bks"):
                    ref, _ = quad(_sm_of_t, T1 * MEV, tm, args=(Em, fl, corr), epsabs=0, epsrel=1e-13)
                    got = nue.sigma_sm_total(Em, fl, corr, T1=T1 * MEV)
                    assert got == pytest.approx(ref, rel=1e-10)
                closed = nue.sigma_sm_tree(Em, fl, T1=T1 * MEV)
                assert nue.sigma_sm_total(Em, fl, "tree", T1=T1 * MEV) == pytest.approx(closed, rel=1e-12)


def test_sigma_sm_window_clip_and_vectorised():
    E = np.array([0.3843, 0.8613, 1.442]) * MEV
    full = nue.sigma_sm_total(E, "e", "bks")
    parts = nue.sigma_sm_total(E, "e", "bks", T2=0.2 * MEV) + nue.sigma_sm_total(E, "e", "bks", T1=0.2 * MEV)
    np.testing.assert_allclose(parts, full, rtol=1e-12)
    np.testing.assert_allclose(nue.sigma_sm_total(E, "e", "bks", T2=10.0), full, rtol=1e-14)
    assert nue.sigma_sm_tree(0.3 * MEV, "e", T1=0.5 * MEV) == 0.0


def test_bad_flavour_and_corrections():
    with pytest.raises(ParameterError):
        nue.dsigma_dT_sm(1e-3, 1e-4, flavour="q")
    with pytest.raises(ParameterError):
        nue.dsigma_dT_sm(1e-3, 1e-4, corrections="qed")


# --- sec. 4-5 transition moments ----------------------------------------------------------


TMM_ROWS = [  # E [MeV], m_A' [MeV], dsigma/dT at T = 0.1, 0.3, 0.5 [cm^2/MeV], sigma(T>0.2), sigma(T>0)
    (0.862, 0.0, ("2.205e-46", "5.421e-47", "2.095e-47"), "1.6515e-47", None),
    (0.862, 0.5, ("1.857e-47", "1.645e-47", "9.447e-48"), "5.527e-48", "8.699e-48"),
    (0.8613, 0.0, ("2.2050e-46", "5.4192e-47", "2.0929e-47"), "1.6498e-47", None),
    (0.8613, 0.5, ("1.8567e-47", "1.6443e-47", "9.4369e-48"), "5.5196e-48", "8.691e-48"),
]


@pytest.mark.parametrize("row", TMM_ROWS, ids=lambda r: f"E={r[0]},m={r[1]}")
def test_tmm_check_values(row):
    E, m, dsig, s02, s0 = row
    T = np.array([0.1, 0.3, 0.5]) * MEV
    got = nue.dsigma_dT_tmm(E * MEV, T, 1e-11, m * MEV) * CM2_PER_MEV
    for g, ref in zip(got, dsig):
        assert_quoted(float(g), ref)
    assert_quoted(float(nue.sigma_tmm_window(E * MEV, 0.2 * MEV, 1.0, 1e-11, m * MEV) * GEV2_TO_CM2), s02)
    if s0 is not None:
        assert_quoted(float(nue.sigma_tmm_window(E * MEV, 0.0, 1.0, 1e-11, m * MEV) * GEV2_TO_CM2), s0)


def test_propagator_factor_check_values():
    F2 = nue.propagator_factor(np.array([0.1, 0.3, 0.5]) * MEV, 0.5 * MEV) ** 2
    for g, ref in zip(F2, ("0.08420", "0.30343", "0.45089")):
        assert_quoted(float(g), ref, slack=0)
    assert np.all(nue.propagator_factor(np.array([1e-9, 1.0]), 0.0) == 1.0)


def test_tmm_photon_formula_and_mu_broadcast():
    E, T = 0.862 * MEV, np.array([0.1, 0.3]) * MEV
    mu = np.array([[1e-11], [3e-11]])
    got = nue.dsigma_dT_tmm(E, T, mu)
    ref = math.pi * ALPHA**2 / M_E**2 * mu**2 * (1 / T - 1 / E)
    assert got.shape == (2, 2)
    np.testing.assert_allclose(got, ref, rtol=1e-14)
    assert np.all(nue.dsigma_dT_tmm(E, np.array([0.0, 0.7 * MEV]), 1e-11) == 0)


@pytest.mark.parametrize(
    "E, T1, T2, m",
    [
        (0.862, 0.2, 1.0, 0.0),
        (0.862, 0.05, 0.5, 0.0),
        (0.862, 0.0, 1.0, 0.5),
        (0.862, 0.2, 0.4, 0.5),
        (5.0, 0.1, 3.0, 3.0),
        (1.442, 0.01, 2.0, 0.02),
        (0.862, 0.0, 1.0, 50.0),
        (14.0, 1e-3, 20.0, 1000.0),
    ],
)
def test_tmm_window_vs_quad(E, T1, T2, m):
    Em, T1m, T2m, mm = E * MEV, T1 * MEV, T2 * MEV, m * MEV
    hi = min(T2m, float(nue.t_max(Em)))
    ref, _ = quad(
        lambda t: nue.dsigma_dT_tmm(Em, t, 1.0, mm) / SIGMA0_TMM, T1m, hi, epsabs=0, epsrel=1e-13, limit=200
    )
    got = nue.sigma_tmm_window(Em, T1m, T2m, 1.0, mm) / SIGMA0_TMM
    assert got == pytest.approx(ref, rel=1e-9)


def test_tmm_massless_limit():
    E, T = 0.862 * MEV, np.array([0.05, 0.2, 0.6]) * MEV
    np.testing.assert_allclose(
        nue.dsigma_dT_tmm(E, T, 1e-11, 1e-9), nue.dsigma_dT_tmm(E, T, 1e-11), rtol=1e-8
    )
    small = nue.sigma_tmm_window(E, 0.2 * MEV, 1.0, 1e-11, 1e-9)
    photon = nue.sigma_tmm_window(E, 0.2 * MEV, 1.0, 1e-11, 0.0)
    assert small == pytest.approx(photon, rel=1e-8)
    # the explicit formula of sec. 4
    tm = nue.t_max(E)
    ref = SIGMA0_TMM * 1e-22 * (math.log(tm / (0.2 * MEV)) - (tm - 0.2 * MEV) / E)
    assert photon == pytest.approx(ref, rel=1e-13)


def test_tmm_heavy_mediator_limit():
    # dsigma/dT -> 4 pi alpha^2 (mu/mu_B)^2 T (1 - T/E)/m^4 for m^2 >> 2 m_e T (sec. 5)
    E, T, m = 0.862 * MEV, np.array([0.1, 0.3, 0.6]) * MEV, 1.0
    heavy = 4 * math.pi * ALPHA**2 * 1e-22 * T * (1 - T / E) / m**4
    np.testing.assert_allclose(nue.dsigma_dT_tmm(E, T, 1e-11, m), heavy, rtol=2e-6)
    T1, T2 = 0.2 * MEV, float(nue.t_max(E))
    heavy_int = 4 * math.pi * ALPHA**2 * 1e-22 / m**4 * ((T2**2 - T1**2) / 2 - (T2**3 - T1**3) / (3 * E))
    assert nue.sigma_tmm_window(E, T1, 1.0, 1e-11, m) == pytest.approx(heavy_int, rel=2e-6)


def test_tmm_window_errors_and_clip():
    with pytest.raises(ParameterError):
        nue.sigma_tmm_window(1e-3, 0.0, 1e-3, 1e-11, 0.0)
    with pytest.raises(ParameterError):
        nue.dsigma_dT_tmm(1e-3, 1e-4, 1e-11, -1.0)
    assert nue.sigma_tmm_window(0.3 * MEV, 0.5 * MEV, 1.0, 1e-11) == 0.0


# --- sec. 5: explicit Dirac-trace evaluation of |M|^2 ------------------------------------

_G = np.diag([1.0, -1.0, -1.0, -1.0])


def _gammas():
    i2, z2 = np.eye(2), np.zeros((2, 2))
    sig = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    g0 = np.block([[i2, z2], [z2, -i2]]).astype(complex)
    gs = [np.block([[z2, s], [-s, z2]]).astype(complex) for s in sig]
    return [g0, *gs]


def _msq_dirac(E, T, m_ap, mu_gev, coupling):
    """Spin-summed |M|^2 for nu(k) e(p) -> nu(k') e(p'), vertex mu sigma^{mu nu} q_nu P_L, averaged
    over the electron spin, built from explicit 4x4 gamma matrices (Dirac representation)."""
    gam = _gammas()
    g5 = 1j * gam[0] @ gam[1] @ gam[2] @ gam[3]
    one = np.eye(4, dtype=complex)
    p_l = (one - g5) / 2

    def slash(v):
        return sum(_G[a, a] * v[a] * gam[a] for a in range(4))

    m = M_E
    ep = E - T
    cos = 1.0 - m * T / (E * ep)
    sin = math.sqrt(max(0.0, 1.0 - cos**2))
    k = np.array([E, 0.0, 0.0, E])
    kp = ep * np.array([1.0, sin, 0.0, cos])
    p = np.array([m, 0.0, 0.0, 0.0])
    pp = p + k - kp
    q = k - kp
    q_low = _G @ q
    sigma = [[0.5j * (gam[a] @ gam[b] - gam[b] @ gam[a]) for b in range(4)] for a in range(4)]
    vert = [mu_gev * sum(sigma[a][b] * q_low[b] for b in range(4)) @ p_l for a in range(4)]
    vbar = [gam[0] @ v.conj().T @ gam[0] for v in vert]
    nu = np.array([[np.trace(slash(kp) @ vert[a] @ slash(k) @ vbar[b]) for b in range(4)] for a in range(4)])
    el = np.array(
        [
            [np.trace((slash(pp) + m * one) @ gam[a] @ (slash(p) + m * one) @ gam[b]) for b in range(4)]
            for a in range(4)
        ]
    )
    q2 = q @ _G @ q
    assert q2 == pytest.approx(-2 * m * T, rel=1e-9)
    contracted = np.einsum("ab,cd,ac,bd->", nu, el, _G, _G)
    msq = coupling**2 * contracted / (q2 - m_ap**2) ** 2
    assert abs(msq.imag) < 1e-9 * abs(msq.real)
    return 0.5 * msq.real


@pytest.mark.parametrize("E, T, m", [(0.862, 0.1, 0.0), (0.862, 0.3, 0.5), (5.0, 2.0, 3.0)])
def test_dirac_trace_matches_formula(E, T, m):
    mu_muB = 1e-11
    Em, Tm, mm = E * MEV, T * MEV, m * MEV
    msq = _msq_dirac(Em, Tm, mm, mu_muB * MU_B, E_CHARGE)
    dsig = msq / (32 * math.pi * M_E * Em**2)
    assert dsig == pytest.approx(float(nue.dsigma_dT_tmm(Em, Tm, mu_muB, mm)), rel=1e-6)
