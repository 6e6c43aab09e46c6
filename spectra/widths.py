"""Dark-photon partial widths, invisible branching ratio, decay length and escape probability.

Reference: ``shared/physics/accelerator.md`` section 7. Natural units: widths in GeV, masses in GeV,
the dark TMM in GeV^-1 (Dirac-normalised, ``README.md`` section 3.2-3.3); decay lengths in metres.

Visible widths follow from kinetic mixing (the A' couples to the electromagnetic current with
strength eps*e); the invisible width is the dark TMM width A' -> nu_i nu_j plus a user-supplied
``gamma_dark``. The hadronic width uses the R ratio of :func:`r_ratio`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import PchipInterpolator

from darktmm.spectra.constants import ALPHA, HBARC_GEV_CM, M_E, M_MU, M_PI, M_TAU
from darktmm.spectra.model import DarkSector, check_antisymmetric
from darktmm.spectra.validate import ParameterError, check_range

#: hbar*c [GeV m] (CODATA 2018, from constants.HBARC_GEV_CM).
HBARC_GEV_M = HBARC_GEV_CM * 1e-2


def _as_float_array(name: str, x, lo: float | None = 0.0) -> np.ndarray:
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} has non-finite entries: {x!r}")
    if lo is not None and np.any(a < lo):
        raise ParameterError(f"{name} must be >= {lo:g}, got min {np.min(a):g}")
    return a


# ---------------------------------------------------------------------------------------------
# 7.1 visible widths
# ---------------------------------------------------------------------------------------------
def gamma_ll(m, eps, m_l):
    """Gamma(A' -> l+ l-) = (alpha eps^2 m / 3)(1 + 2 m_l^2/m^2) sqrt(1 - 4 m_l^2/m^2)  [GeV].

    Source: accelerator.md section 7.1 (standard kinetic-mixing result; same expression in DMG4
    ``DarkPhotons::Width``). ``m``, ``m_l`` in GeV. Exactly 0 below threshold m <= 2 m_l.

    >>> f"{float(gamma_ll(0.01, 1e-4, M_E)):.3e}"
    '2.432e-13'
    """
    m = _as_float_array("m", m)
    eps = float(check_range("eps", eps, 0.0, 1.0))
    m_l = check_range("m_l", m_l, 0.0, None, unit="GeV")
    open_ = m > 2.0 * m_l
    ms = np.where(open_, m, 1.0)
    r = (m_l / ms) ** 2
    g = ALPHA * eps**2 * ms / 3.0 * (1.0 + 2.0 * r) * np.sqrt(np.clip(1.0 - 4.0 * r, 0.0, None))
    return np.where(open_, g, 0.0)


def gamma_ee(m, eps):
    """Gamma(A' -> e+ e-) [GeV] (accelerator.md 7.1). Check value: 2.432e-13 GeV at m = 10 MeV, eps = 1e-4.

    >>> f"{float(gamma_ee(0.01, 1e-4)):.4g}"
    '2.432e-13'
    >>> float(gamma_ee(1e-3, 1e-4))  # below 2 m_e = 1.022 MeV
    0.0
    """
    return gamma_ll(m, eps, M_E)


def gamma_mumu(m, eps):
    """Gamma(A' -> mu+ mu-) [GeV] (accelerator.md 7.1); 0 below 2 m_mu = 211 MeV.

    Far above threshold it tends to alpha eps^2 m/3:

    >>> float(gamma_mumu(0.2, 1e-3))
    0.0
    >>> round(float(gamma_mumu(10.0, 1e-3) / (ALPHA * 1e-6 * 10.0 / 3.0)), 6)
    1.0
    """
    return gamma_ll(m, eps, M_MU)


def gamma_tautau(m, eps):
    """Gamma(A' -> tau+ tau-) [GeV] (same formula, accelerator.md 7.1); 0 below 2 m_tau = 3.55 GeV.

    >>> float(gamma_tautau(3.5, 1e-3)), f"{float(gamma_tautau(10.0, 1e-3)):.4g}"
    (0.0, '2.417e-08')
    """
    return gamma_ll(m, eps, M_TAU)


# --- R ratio -----------------------------------------------------------------------------------
# Coarse knot table of the smoothed R(sqrt s) = sigma(e+e- -> hadrons)/sigma_pt(e+e- -> mu+mu-),
# sigma_pt = 4 pi alpha^2/(3 s), transcribed at the knots below from the DarkCast fit to the PDG
# compilation of R data (Ilten, Soreq, Williams, Xue, arXiv:1801.04847; PDG, R. L. Workman et al.,
# PTEP 2022, 083C01, "Plots of cross sections and related quantities", R in e+e- collisions; the
# DarkCast curve is distributed e.g. as GAMBIT Elements/data/darkcast_hadronicrpp.dat) [T].
# Knots inside +-4 widths of the omega and phi are left out: those peaks are added as Breit-Wigners.
_R_KNOTS = np.array(
    [
        (0.2818, 0.000493),
        (0.2877, 0.004184),
        (0.2999, 0.016950),
        (0.3126, 0.034630),
        (0.3236, 0.052218),
        (0.3499, 0.099520),
        (0.3758, 0.150252),
        (0.3981, 0.196821),
        (0.4217, 0.250492),
        (0.4467, 0.315298),
        (0.4732, 0.398359),
        (0.5000, 0.505035),
        (0.5248, 0.631667),
        (0.5495, 0.796775),
        (0.5754, 1.030163),
        (0.5998, 1.335150),
        (0.6252, 1.791330),
        (0.6501, 2.457228),
        (0.6761, 3.508432),
        (0.6998, 4.916198),
        (0.7129, 5.876866),
        (0.7261, 6.933555),
        (0.7379, 7.838624),
        (0.7447, 8.299268),
        (0.7551, 8.883396),
        (0.7603, 9.165489),
        (0.7998, 6.679110),
        (0.8054, 6.073045),
        (0.8110, 5.584678),
        (0.8222, 4.760237),
        (0.8336, 4.066562),
        (0.8511, 3.223730),
        (0.8710, 2.512521),
        (0.8913, 1.981830),
        (0.9120, 1.589624),
        (0.9333, 1.296450),
        (0.9550, 1.080262),
        (0.9661, 0.995957),
        (0.9772, 0.925188),
        (0.9885, 0.868534),
        (1.0592, 1.351394),
        (1.0715, 1.227776),
        (1.0839, 1.169463),
        (1.0990, 1.122682),
        (1.1142, 1.079275),
        (1.1298, 1.042908),
        (1.1508, 1.023700),
        (1.1885, 1.060703),
        (1.2218, 1.109479),
        (1.2589, 1.196176),
        (1.2882, 1.286199),
        (1.3183, 1.373470),
        (1.3490, 1.470666),
        (1.3803, 1.585583),
        (1.4125, 1.713265),
        (1.4454, 1.850383),
        (1.4791, 1.942560),
        (1.4928, 2.164051),
        (1.5100, 2.295324),
        (1.5276, 2.290928),
        (1.5488, 2.231630),
        (1.5704, 2.244543),
        (1.5923, 2.338911),
        (1.6143, 2.479966),
        (1.6368, 2.610856),
        (1.6596, 2.658965),
        (1.6827, 2.619482),
        (1.7061, 2.580367),
        (1.7298, 2.588590),
        (1.7539, 2.588519),
        (1.7782, 2.528338),
        (1.8030, 2.404490),
        (1.8281, 2.231358),
        (1.8535, 2.052398),
        (1.8794, 1.917096),
        (1.9055, 1.870776),
        (1.9320, 1.949029),
        (1.9588, 2.160540),
        (1.9815, 2.307127),
        (1.9999, 2.182338),
    ]
)

#: Vector resonances added as Breit-Wigners to R: (name, M [GeV], Gamma [GeV], B_ee, B_had).
#: PDG 2022 (PTEP 2022, 083C01) [R]; B_had = 1 - sum of the open leptonic branching ratios.
R_RESONANCES = (
    ("omega(782)", 0.78266, 8.68e-3, 7.38e-5, 1.0 - 7.38e-5 - 7.4e-5),
    ("phi(1020)", 1.019461, 4.249e-3, 2.979e-4, 1.0 - 2.979e-4 - 2.86e-4),
    ("J/psi(1S)", 3.096900, 92.6e-6, 5.971e-2, 1.0 - 5.971e-2 - 5.961e-2),
    ("psi(2S)", 3.686097, 294e-6, 7.93e-3, 1.0 - 7.93e-3 - 8.0e-3 - 3.1e-3),
    ("Upsilon(1S)", 9.46030, 54.02e-6, 2.38e-2, 1.0 - 2.38e-2 - 2.48e-2 - 2.60e-2),
    ("Upsilon(2S)", 10.02326, 31.98e-6, 1.91e-2, 1.0 - 1.91e-2 - 1.93e-2 - 2.00e-2),
    ("Upsilon(3S)", 10.3552, 20.32e-6, 2.18e-2, 1.0 - 2.18e-2 - 2.18e-2 - 2.29e-2),
)
#: Open-charm and open-bottom thresholds 2 M_D0, 2 M_B+ [GeV] (PDG 2022) [R].
R_CHARM_THRESHOLD = 2.0 * 1.86484
R_BOTTOM_THRESHOLD = 2.0 * 5.27934
#: Where the knot table ends and perturbative QCD takes over [GeV].
R_PQCD_START = 2.0
#: alpha_s(M_Z) (PDG 2022) and the MS-bar quark masses used as flavour thresholds in its running [R].
ALPHA_S_MZ = 0.1180
_M_Z, _M_B_MSBAR, _M_C_MSBAR = 91.1876, 4.18, 1.27


def _beta_pi3(s):
    return np.clip(1.0 - 4.0 * M_PI**2 / s, 0.0, None) ** 1.5


def _r_breit_wigner(s, mass, width, b_ee, b_had):
    """R contribution of a vector resonance, (9/alpha^2) B_ee B_had M^2 Gamma^2/[(s - M^2)^2 + M^2 Gamma^2].

    Source: PDG relativistic Breit-Wigner for e+e- -> V -> f (PDG 2022, Kinematics review, eq. for
    sigma_BW with (2J+1)/((2S1+1)(2S2+1)) = 3/4), divided by sigma_pt = 4 pi alpha^2/(3 s). Constant width;
    below M the tail is multiplied by (beta_pi(s)/beta_pi(M^2))^3 so that R vanishes at 2 m_pi.
    """
    m2g2 = mass**2 * width**2
    bw = 9.0 / ALPHA**2 * b_ee * b_had * m2g2 / ((s - mass**2) ** 2 + m2g2)
    thr = np.where(s < mass**2, _beta_pi3(s) / _beta_pi3(mass**2), 1.0)
    return bw * thr


#: phi(1020) -> K Kbar fraction (K+K- + KL KS, PDG 2022) used for its energy-dependent width [R].
PHI_KK_FRACTION = 0.492 + 0.339
#: Charged-kaon mass [GeV] (PDG 2022), the K Kbar threshold of the phi width.
M_K = 0.493677


def _r_phi(s, mass, width, b_ee, b_had):
    """phi(1020) with an energy-dependent width: Gamma(s) = Gamma [f_KK (beta_K(s)/beta_K(M^2))^3 + 1 - f_KK].

    The K Kbar part is the P-wave (beta^3) phase space (standard; e.g. PDG resonance review); the rest
    (mostly 3 pi) keeps the constant width with the 2 m_pi threshold factor of :func:`_r_breit_wigner`.
    Numerator (9/alpha^2) B_ee B_had M^2 Gamma Gamma(s); equals the constant-width form at s = M^2.
    """
    bk = np.clip(1.0 - 4.0 * M_K**2 / s, 0.0, None) ** 1.5 / (1.0 - 4.0 * M_K**2 / mass**2) ** 1.5
    bp = np.where(s < mass**2, _beta_pi3(s) / _beta_pi3(mass**2), 1.0)
    g_s = width * (PHI_KK_FRACTION * bk + (1.0 - PHI_KK_FRACTION) * bp)
    return 9.0 / ALPHA**2 * b_ee * b_had * mass**2 * width * g_s / ((s - mass**2) ** 2 + mass**2 * g_s**2)


def _r_narrow(s):
    out = np.zeros_like(s)
    for name, mass, width, b_ee, b_had in R_RESONANCES:
        f = _r_phi if name.startswith("phi") else _r_breit_wigner
        out = out + f(s, mass, width, b_ee, b_had)
    return out


def _broad_interpolator():
    w = _R_KNOTS[:, 0]
    s = w**2
    # Subtract the omega and phi Breit-Wigners (and the negligible narrow tails) at the knots.
    broad = np.clip(_R_KNOTS[:, 1] - _r_narrow(s), 0.0, None)
    w = np.concatenate(([2.0 * M_PI], w))
    broad = np.concatenate(([0.0], broad))
    # extrapolate=True only bridges the last knot (1.9999 GeV) to R_PQCD_START; inputs are clipped to the range
    return PchipInterpolator(w, broad, extrapolate=True)


_R_BROAD = _broad_interpolator()


def alpha_s(q):
    """One-loop running alpha_s(Q) from alpha_s(M_Z) = 0.1180 with n_f = 5, 4, 3 below M_Z, m_b, m_c.

    Source: PDG 2022 QCD review (one-loop beta function, beta_0 = 11 - 2 n_f/3, continuous matching at
    the MS-bar masses m_b = 4.18, m_c = 1.27 GeV). ``q`` in GeV, q > 1 GeV. Accurate to ~10% at 2 GeV
    (one loop gives 0.27 against 0.30), which moves R by ~1%.

    >>> round(float(alpha_s(91.1876)), 4), round(float(alpha_s(2.0)), 3)  # input at M_Z; one loop at 2 GeV
    (0.118, 0.268)
    """
    q = _as_float_array("q", q)
    if np.any(q <= 1.0):
        raise ParameterError(f"q = {q!r} GeV is outside the allowed range (1, inf) GeV")

    def inv_run(inv_a, q_from, q_to, nf):
        return inv_a + (11.0 - 2.0 * nf / 3.0) / (2.0 * math.pi) * np.log(q_to / q_from)

    inv_mz = 1.0 / ALPHA_S_MZ
    inv_b = inv_run(inv_mz, _M_Z, _M_B_MSBAR, 5)
    inv_c = inv_run(inv_b, _M_B_MSBAR, _M_C_MSBAR, 4)
    inv = np.where(
        q >= _M_B_MSBAR,
        inv_run(inv_mz, _M_Z, q, 5),
        np.where(q >= _M_C_MSBAR, inv_run(inv_b, _M_B_MSBAR, q, 4), inv_run(inv_c, _M_C_MSBAR, q, 3)),
    )
    return 1.0 / inv


def _r_pqcd(w):
    """Continuum R above 2 GeV: N_c sum_q Q_q^2 (1 + a + (1.9857 - 0.1152 n_f) a^2), a = alpha_s/pi.

    Source: PDG 2022 QCD review, eq. for R in e+e- (massless quarks, O(alpha_s^2)). Charm and bottom
    are switched on with linear ramps from 2 M_D to 4.0 GeV and from 2 M_B to 11.0 GeV, which
    smooths the psi(3770)-psi(4415) and Upsilon(4S) structure (+-20% locally, right on average).
    """
    a = alpha_s(np.maximum(w, 1.5)) / math.pi
    ramp_c = np.clip((w - R_CHARM_THRESHOLD) / (4.0 - R_CHARM_THRESHOLD), 0.0, 1.0)
    ramp_b = np.clip((w - R_BOTTOM_THRESHOLD) / (11.0 - R_BOTTOM_THRESHOLD), 0.0, 1.0)
    nf = 3.0 + ramp_c + ramp_b
    qcd = 1.0 + a + (1.9857 - 0.1152 * nf) * a**2
    return 3.0 * (6.0 / 9.0 + 4.0 / 9.0 * ramp_c + 1.0 / 9.0 * ramp_b) * qcd


def r_ratio(sqrt_s):
    """R(sqrt s) = sigma(e+e- -> hadrons)/sigma_pt, sigma_pt = 4 pi alpha^2/(3 s); dimensionless.

    Parametrisation (accelerator.md 7.1 asks for the PDG compilation, point-like normalisation):

    * sqrt s <= 2 m_pi: R = 0.
    * 2 m_pi < sqrt s < 2 GeV: a PCHIP interpolation through a coarse knot table of the DarkCast
      smoothed fit to the PDG R compilation (arXiv:1801.04847; PDG 2022 [T]), with the omega(782)
      and phi(1020) subtracted at the knots and added back as PDG Breit-Wigners
      (:data:`R_RESONANCES`). Rho-omega interference is not modelled.
    * sqrt s >= 2 GeV: O(alpha_s^2) perturbative QCD with smoothed charm and bottom thresholds,
      plus J/psi, psi(2S), Upsilon(1S-3S) Breit-Wigners.

    Accuracy: a few % of the smoothed data below 2 GeV away from the narrow peaks, <~10% within ~20 MeV of
    M_omega (no rho-omega interference) and <~15% on the phi shoulders; few % in the continuum 2-3.7 and
    5-10.5 GeV (one-loop alpha_s); +-20%
    locally in the open-charm region 3.7-4.6 GeV. Peak heights of omega/phi/psi/Upsilon follow from
    the PDG B_ee (R_peak = 9 B_ee B_had/alpha^2). Near a narrow quarkonium (within a few widths) the
    perturbative width formula itself fails (A'-V mixing); treat those points with care.

    Zero below 2 m_pi = 0.279 GeV; R ~ 2.2 between 1.5 GeV and charm, ~3.5-4 above (the rough values
    of accelerator.md 7.1):

    >>> [round(float(r), 2) for r in r_ratio([0.25, 1.5, 3.0, 5.0])]
    [0.0, 2.24, 2.17, 3.57]
    """
    w = _as_float_array("sqrt_s", sqrt_s)
    s = w**2
    open_ = w > 2.0 * M_PI
    low = open_ & (w < R_PQCD_START)
    broad = np.where(low, np.nan_to_num(_R_BROAD(np.clip(w, 2.0 * M_PI, R_PQCD_START))), 0.0)
    cont = np.where(w >= R_PQCD_START, _r_pqcd(np.maximum(w, R_PQCD_START)), 0.0)
    ss = np.where(open_, s, 1.0)
    res = np.where(open_, _r_narrow(ss), 0.0)
    return np.where(open_, broad + cont + res, 0.0)


def gamma_hadrons(m, eps):
    """Gamma(A' -> hadrons) = (alpha eps^2 m/3) R(s = m^2)  [GeV].

    Source: accelerator.md 7.1 (R normalised to the point-like sigma_pt = 4 pi alpha^2/(3s); not
    Gamma_mumu * R, which carries the muon threshold factor and is 11% low at 0.3 GeV).

    >>> float(gamma_hadrons(0.25, 1e-3))  # below the two-pion threshold
    0.0
    >>> round(float(gamma_hadrons(3.0, 1e-3) / (ALPHA * 1e-6 * 3.0 / 3.0)), 4)  # = R(3 GeV)
    2.17
    """
    m = _as_float_array("m", m)
    eps = float(check_range("eps", eps, 0.0, 1.0))
    return ALPHA * eps**2 * m / 3.0 * r_ratio(m)


def gamma_visible(m, eps):
    """Sum of the visible widths Gamma_ee + Gamma_mumu + Gamma_tautau + Gamma_had  [GeV] (accelerator.md 7.1).

    Below 2 m_e no visible channel is open; at 10 MeV it is Gamma_ee alone:

    >>> float(gamma_visible(1e-3, 1e-4)), f"{float(gamma_visible(0.01, 1e-4)):.4g}"
    (0.0, '2.432e-13')
    """
    return gamma_ee(m, eps) + gamma_mumu(m, eps) + gamma_tautau(m, eps) + gamma_hadrons(m, eps)


# ---------------------------------------------------------------------------------------------
# 7.3 invisible width from the dark TMM
# ---------------------------------------------------------------------------------------------
def mu_pair_sum_sq(mu_GeV) -> float:
    """Sum over unordered pairs sum_{i<j} |mu_ij|^2 of an antisymmetric moment matrix (units^2 of the input).

    For an antisymmetric matrix this is (1/2) sum_{i,j} |mu_ij|^2 (shared/physics/README.md section 3.3).

    >>> from darktmm.spectra.model import moment_from_lambdas
    >>> mu_pair_sum_sq(moment_from_lambdas(1, 2, 3))  # |Lambda_1|^2 + |Lambda_2|^2 + |Lambda_3|^2
    14.0
    """
    mu = check_antisymmetric("mu_D", mu_GeV)
    return float(0.5 * np.sum(np.abs(mu) ** 2))


def gamma_nunu(m, mu_GeV):
    """Gamma(A' -> nu nu) = sum_{i<j} |mu_ij|^2 m^3/(24 pi)  [GeV]; ``mu_GeV`` the 3x3 moment in GeV^-1.

    Source: accelerator.md section 7.3 [D; normalisation P]. ``mu`` is the **Dirac-normalised** Majorana
    transition moment of README section 3.2 (vertex mu_ji sigma^{mu nu} q_nu P_L plus its conjugate),
    |mu|^2 = |mu^M|^2 + |mu^E|^2, massless neutrinos, each unordered pair i < j counted once.

    Factor-2 pitfall (README section 3.3): for Majorana fields the (i, j) and (j, i) terms of a sum over
    ordered pairs are the same operator. The Dirac-normalised moment corresponds to
    L = -(1/4) sum_{i,j} or -(1/2) sum_{i<j} N_i lambda_ij sigma N_j F'. A paper Lagrangian of the
    "(1/2) sum_{i,j}" type means the Dirac-normalised moment is 2 (mu_D)_ij, i.e. a width 4x larger in terms
    of the paper's (mu_D)_ij (see model.PAPER_LAGRANGIAN_FACTOR). Keeping only the P_L piece would give
    m^3/(48 pi), which is wrong here. No eps appears: the dipole couples to F' directly.

    One pair with |mu_12| = 1 GeV^-1 gives m^3/(24 pi):

    >>> import math
    >>> from darktmm.spectra.model import moment_from_lambdas
    >>> f"{float(gamma_nunu(0.01, moment_from_lambdas(0, 0, 1.0))) / (0.01**3 / (24 * math.pi)):.6f}"
    '1.000000'
    """
    m = _as_float_array("m", m)
    return mu_pair_sum_sq(mu_GeV) * m**3 / (24.0 * math.pi)


def nunu_to_ee_ratio(m, mu_GeV_abs, eps):
    """Gamma_nunu/Gamma_ee = |mu|^2 m^2/(8 pi alpha eps^2) for m >> m_e (accelerator.md 7.3); dimensionless.

    ``mu_GeV_abs`` is sqrt(sum_{i<j} |mu_ij|^2) in GeV^-1. Numerically 4.79e-11 (mu/1e-10 muB)^2 (m/10 MeV)^2 (1e-4/eps)^2.

    The accelerator.md 7.3 number 4.79e-11 at mu = 1e-10 mu_B, m = 10 MeV, eps = 1e-4:

    >>> from darktmm.spectra.constants import MU_B
    >>> f"{float(nunu_to_ee_ratio(0.01, 1e-10 * MU_B, 1e-4)):.3g}"
    '4.79e-11'
    """
    m = _as_float_array("m", m)
    eps = check_range("eps", eps, 0.0, 1.0, lo_open=True)
    mu_GeV_abs = _as_float_array("mu_GeV_abs", mu_GeV_abs)
    return mu_GeV_abs**2 * m**2 / (8.0 * math.pi * ALPHA * eps**2)


def tmm_dominance_moment(m, eps):
    """Moment [GeV^-1] at which Gamma_nunu = Gamma_ee (m >> m_e): |mu| m = sqrt(2) e eps, i.e. sqrt(8 pi alpha) eps/m.

    Source: accelerator.md 7.4 [D]: invisible dominance through the TMM needs |mu_D| m >> sqrt(2) e eps,
    i.e. mu_D >~ 1.45e-5 mu_B (eps/1e-4)(10 MeV/m). Divide by constants.MU_B for mu_B.

    >>> from darktmm.spectra.constants import MU_B
    >>> f"{float(tmm_dominance_moment(0.01, 1e-4)) / MU_B:.3g}"  # mu_B, at m = 10 MeV, eps = 1e-4
    '1.45e-05'
    """
    m = _as_float_array("m", m)
    if np.any(m <= 0):
        raise ParameterError(f"m = {m!r} GeV is outside the allowed range (0, inf) GeV")
    eps = check_range("eps", eps, 0.0, 1.0)
    return math.sqrt(8.0 * math.pi * ALPHA) * eps / np.where(m > 0, m, np.nan)


# ---------------------------------------------------------------------------------------------
# totals, BR_inv, decay length, P_inv (7.4, 7.5)
# ---------------------------------------------------------------------------------------------
def gamma_invisible(model: DarkSector, m=None):
    """Gamma_inv = Gamma_nunu(m) + gamma_dark [GeV] (accelerator.md 7.3-7.4); m defaults to model.m_ap.

    Source: accelerator.md 7.3 (Gamma_nunu) and 7.2 (dark-sector width); units GeV.

    >>> from darktmm.spectra.model import DarkSector
    >>> float(gamma_invisible(DarkSector(m_ap=0.01, eps=1e-4, gamma_dark=1e-12)))  # no moment: gamma_dark
    1e-12
    """
    m = model.m_ap if m is None else m
    return gamma_nunu(m, model.mu_D_GeV) + model.gamma_dark


def gamma_total(model: DarkSector, m=None):
    """Gamma_tot = Gamma_vis + Gamma_inv [GeV] (accelerator.md 7.4); m defaults to model.m_ap.

    Source: accelerator.md 7.4. With mu_D = 0 and no dark width, Gamma_tot = Gamma_ee at 10 MeV:

    >>> from darktmm.spectra.model import DarkSector
    >>> f"{float(gamma_total(DarkSector(m_ap=0.01, eps=1e-4))):.4g}"
    '2.432e-13'
    """
    m = model.m_ap if m is None else m
    return gamma_visible(m, model.eps) + gamma_invisible(model, m)


def br_invisible(gamma_inv, gamma_vis):
    """BR_inv = Gamma_inv/(Gamma_inv + Gamma_vis) (accelerator.md 7.4), dimensionless; widths in GeV.

    Equals 1 when Gamma_vis = 0 (below 2 m_e the A' has no visible channel, so it is invisible even
    if stable).

    >>> br_invisible(1.0, 3.0).item(), br_invisible(1e-15, 0.0).item()  # no visible channel: 1
    (0.25, 1.0)
    """
    gi = _as_float_array("gamma_inv", gamma_inv)
    gv = _as_float_array("gamma_vis", gamma_vis)
    tot = gi + gv
    return np.where(gv > 0, gi / np.where(tot > 0, tot, 1.0), 1.0)


def decay_length_m(m, E, gamma_tot):
    """Lab decay length l = (|p|/m) hbar c/Gamma_tot [m], |p| = sqrt(E^2 - m^2) (accelerator.md 7.5).

    ``m``, ``E`` (A' energy) and ``gamma_tot`` in GeV. Infinite for Gamma_tot = 0 or m = 0.
    For Gamma_tot = Gamma_ee and m >> m_e: c tau = 0.811 mm (1e-4/eps)^2 (10 MeV/m).

    Check value (accelerator.md 7.1): c tau = 0.811 mm for Gamma_ee at m = 10 MeV, eps = 1e-4, so a
    10 GeV A' (gamma beta = 1000) flies 0.811 m:

    >>> f"{float(decay_length_m(0.01, 10.0, gamma_ee(0.01, 1e-4))):.3g}"
    '0.811'
    >>> float(decay_length_m(0.01, 10.0, 0.0))  # stable
    inf
    """
    m = _as_float_array("m", m)
    E = _as_float_array("E", E)
    g = _as_float_array("gamma_tot", gamma_tot)
    if np.any(E < m * (1.0 - 1e-12)):
        raise ParameterError("A' energy E must be >= its mass m")
    p = np.sqrt(np.clip(E**2 - m**2, 0.0, None))
    ok = (g > 0) & (m > 0)
    with np.errstate(over="ignore"):  # m or Gamma_tot just above 0: l = inf
        return np.where(ok, p / np.where(ok, m, 1.0) * HBARC_GEV_M / np.where(ok, g, 1.0), np.inf)


def p_invisible(br_inv, decay_length, L_det_m):
    """P_inv = BR_inv + (1 - BR_inv) exp(-L_det/l) (accelerator.md 7.5); lengths in metres.

    The A' counts as invisible if it decays invisibly or decays visibly beyond the detector length.

    >>> import math
    >>> p_invisible(0.5, 1.0, 1.0).item() == 0.5 + 0.5 * math.exp(-1.0)
    True
    >>> p_invisible(0.0, math.inf, 5.0).item()  # never decays inside: invisible
    1.0
    """
    br = _as_float_array("br_inv", br_inv)
    if np.any(br > 1):
        raise ParameterError(f"br_inv must be <= 1, got max {np.max(br):g}")
    ell = np.asarray(decay_length, dtype=float)
    if np.any(np.isnan(ell)) or np.any(ell < 0):
        raise ParameterError("decay_length must be >= 0 (inf allowed)")
    L = _as_float_array("L_det_m", L_det_m)
    with np.errstate(divide="ignore", over="ignore"):
        esc = np.where(np.isinf(ell), 1.0, np.exp(-L / np.where(ell > 0, ell, 1e-300)))
    return br + (1.0 - br) * esc


@dataclass(frozen=True)
class InvisibleSummary:
    """Widths [GeV], BR_inv, lab decay length [m] and P_inv of a model point (accelerator.md 7.4-7.5).

    Built by :func:`invisible_summary`:

    >>> from darktmm.spectra.model import DarkSector
    >>> s = invisible_summary(DarkSector(m_ap=0.01, eps=1e-4), E_ap=10.0, L_det_m=0.811)
    >>> s.br_inv, f"{s.decay_length_m:.3g}", f"{s.p_inv:.3f}"  # no invisible width: P_inv ~ exp(-1)
    (0.0, '0.811', '0.368')
    """

    gamma_vis: float | np.ndarray
    gamma_inv: float | np.ndarray
    gamma_tot: float | np.ndarray
    br_inv: float | np.ndarray
    decay_length_m: float | np.ndarray
    p_inv: float | np.ndarray


def _scalar(a):
    a = np.asarray(a)
    return float(a) if a.ndim == 0 else a


def invisible_summary(model: DarkSector, E_ap, L_det_m) -> InvisibleSummary:
    """Gamma_vis, Gamma_inv, Gamma_tot, BR_inv, decay length and P_inv for an A' of energy E_ap [GeV]
    and a detector length L_det_m [m] (accelerator.md 7.4-7.5). ``E_ap`` may be an array.

    With a dark TMM of 1e-5 mu_B the invisible width is half the visible one at 10 MeV and eps = 1e-4
    (the dominance moment of :func:`tmm_dominance_moment` is 1.45e-5 mu_B):

    >>> from darktmm.spectra.model import DarkSector, moment_from_lambdas
    >>> ds = DarkSector(m_ap=0.01, eps=1e-4, mu_D_muB=moment_from_lambdas(0, 0, 1e-5))
    >>> round(invisible_summary(ds, 50.0, 5.0).br_inv, 4)
    0.3237
    """
    check_range("L_det_m", L_det_m, 0.0, None, unit="m")
    gv = gamma_visible(model.m_ap, model.eps)
    gi = gamma_invisible(model)
    gt = gv + gi
    br = br_invisible(gi, gv)
    ell = decay_length_m(model.m_ap, E_ap, gt)
    pinv = p_invisible(br, ell, L_det_m)
    return InvisibleSummary(
        gamma_vis=_scalar(gv),
        gamma_inv=_scalar(gi),
        gamma_tot=_scalar(gt),
        br_inv=_scalar(br),
        decay_length_m=_scalar(ell),
        p_inv=_scalar(pinv),
    )
