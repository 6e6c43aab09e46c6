"""e+e- -> gamma A' (mono-photon): kinematics, exact tree-level cross section, ISR, off-shell A'.

Reference: ``shared/physics/accelerator.md`` sections 1-4. Natural units: s in GeV^2, masses and
energies in GeV, cross sections in GeV^-2 (multiply by constants.GEV2_TO_FB for fb). ``z`` is the cosine
of the photon polar angle relative to the e- beam in the CM frame; the e+- are massless unless the
collinear regulator ``me_regulated=True`` is asked for. Every cross section scales as eps^2.
"""

from __future__ import annotations

import math

import numpy as np

from darktmm.spectra.constants import ALPHA, M_E
from darktmm.spectra.model import DarkSector
from darktmm.spectra.validate import ParameterError, check_range
from darktmm.spectra.widths import gamma_nunu, gamma_total


def _arr(name, x):
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} has non-finite entries: {x!r}")
    return a


def _mass(x, name="m"):
    """A mass or width [GeV]: finite and >= 0 (ParameterError otherwise)."""
    a = _arr(name, x)
    if np.any(a < 0):
        raise ParameterError(f"{name} = {x!r} GeV is outside the allowed range [0, inf) GeV")
    return a


def _check_s(s):
    s = _arr("s", s)
    if np.any(s <= 0):
        raise ParameterError("s must be > 0 GeV^2")
    return s


# ---------------------------------------------------------------------------------------------
# 1. kinematics
# ---------------------------------------------------------------------------------------------
def photon_energy_cm(s, m):
    """E*_gamma = (s - m^2)/(2 sqrt s) [GeV], CM photon energy for e+e- -> gamma X with M_X = m.

    Source: accelerator.md section 1 (two-body kinematics). Also the off-shell continuum with m^2 -> q^2.

    >>> f"{float(photon_energy_cm(10.58**2, 1.0)):.4f}"
    '5.2427'

    >>> [round(float(e), 4) for e in photon_energy_cm(10.58**2, [0.01, 5.0, 8.0])]  # accelerator.md 1
    [5.29, 4.1085, 2.2654]
    """
    s = _check_s(s)
    m = _mass(m)
    if np.any(m**2 > s):
        raise ParameterError(f"m = {m!r} GeV: m^2 > s = {s!r} GeV^2, the channel is closed")
    return (s - m**2) / (2.0 * np.sqrt(s))


def missing_mass_sq(s, e_gamma):
    """M_X^2 = s - 2 sqrt(s) E*_gamma [GeV^2] (accelerator.md section 1); equals m^2 at the peak.

    The round trip with :func:`photon_energy_cm` gives back m^2:

    >>> round(float(missing_mass_sq(10.58**2, photon_energy_cm(10.58**2, 1.0))), 10)
    1.0
    """
    s = _check_s(s)
    return s - 2.0 * np.sqrt(s) * _arr("e_gamma", e_gamma)


# ---------------------------------------------------------------------------------------------
# 2. exact tree level, massive A', massless e+-
# ---------------------------------------------------------------------------------------------
def _prefactor(s, m, eps):
    eps = check_range("eps", eps, 0.0, 1.0)
    return 2.0 * math.pi * ALPHA**2 * eps**2 / s * (1.0 - m**2 / s)


def _beta_e_sq(s, me_regulated):
    return 1.0 - 4.0 * M_E**2 / s if me_regulated else 1.0


def dsigma_dz(s, m, z, eps=1.0, me_regulated=False):
    """dsigma/dz(e+e- -> gamma A') [GeV^-2], z = cos(theta*_gamma) in the CM frame.

    dsigma/dz = (2 pi alpha^2 eps^2/s)(1 - m^2/s) [2(s^2 + m^4)/((s - m^2)^2 (1 - z^2)) - 1]

    Source: accelerator.md section 2 [D; standard, the e+e- -> gamma Z structure], from
    (1/4) sum |M|^2 = 2 e^4 eps^2 [(s^2 + m^4)/(t u) - 2]. Even in z. ``me_regulated`` replaces
    1 - z^2 by 1 - beta_e^2 z^2, beta_e^2 = 1 - 4 m_e^2/s (collinear regulator; matters only near |z| = 1).
    Zero for m^2 >= s.

    For m -> 0 it tends to :func:`dsigma_dz_massless`; its z-integral is :func:`sigma_window`:

    >>> round(float(dsigma_dz(10.58**2, 1e-6, 0.3) / dsigma_dz_massless(10.58**2, 0.3)), 10)
    1.0
    >>> from scipy.integrate import quad
    >>> num = quad(lambda z: float(dsigma_dz(10.58**2, 1.0, z)), -0.4, 0.6)[0]
    >>> round(num / float(sigma_window(10.58**2, 1.0, -0.4, 0.6)), 10)
    1.0
    """
    s = _check_s(s)
    m = _mass(m)
    z = _arr("z", z)
    if np.any(np.abs(z) > 1):
        raise ParameterError("z = cos(theta) must lie in [-1, 1]")
    open_ = m**2 < s
    ms = np.where(open_, m, 0.0)
    b2 = _beta_e_sq(s, me_regulated)
    with np.errstate(divide="ignore"):
        br = 2.0 * (s**2 + ms**4) / ((s - ms**2) ** 2 * (1.0 - b2 * z**2)) - 1.0
    return np.where(open_, _prefactor(s, ms, eps) * br, 0.0)


def dsigma_dz_massless(s, z, eps=1.0):
    """m -> 0 limit of :func:`dsigma_dz`: (2 pi alpha^2 eps^2/s)(1 + z^2)/(1 - z^2) [GeV^-2].

    Source: accelerator.md section 2 (the e+e- -> gamma gamma form, one photon replaced by the A').

    At z = 0 it is 2 pi alpha^2/s = 2.9891e-6 GeV^-2 at sqrt s = 10.58 GeV (the hand check of
    accelerator.md section 2):

    >>> f"{float(dsigma_dz_massless(10.58**2, 0.0)):.5g}"
    '2.9891e-06'
    """
    s = _check_s(s)
    z = _arr("z", z)
    if np.any(np.abs(z) > 1):
        raise ParameterError("z = cos(theta) must lie in [-1, 1]")
    eps = check_range("eps", eps, 0.0, 1.0)
    with np.errstate(divide="ignore"):  # |z| = 1: the collinear pole, inf as in dsigma_dz
        return 2.0 * math.pi * ALPHA**2 * eps**2 / s * (1.0 + z**2) / (1.0 - z**2)


def _log_ratio(z, b):
    """(1/b) ln[(1 + b z)/(1 - b z)] = (2/b) artanh(b z): the integral of 2/(1 - b^2 z^2)."""
    return 2.0 * np.arctanh(b * z) / b


def sigma_window(s, m, z1, z2, eps=1.0, me_regulated=False):
    """sigma(z1 < z < z2) for e+e- -> gamma A' [GeV^-2] (closed form, accelerator.md section 2):

        (2 pi alpha^2 eps^2/s)(1 - m^2/s) {(s^2 + m^4)/(s - m^2)^2 [L(z2) - L(z1)] - (z2 - z1)},
        L(z) = ln[(1 + z)/(1 - z)]

    (with the collinear regulator, L(z) -> (1/beta_e) ln[(1 + beta_e z)/(1 - beta_e z)]). Zero for m^2 >= s.

    >>> from darktmm.spectra.constants import GEV2_TO_FB
    >>> f"{float(sigma_window(10.58**2, 1.0, -0.4, 0.6, eps=1e-3)) * GEV2_TO_FB:.3f}"
    '1.470'

    The other check values of accelerator.md section 2 (eps = 1e-3, -0.4 < z < 0.6): 1.436, 2.610,
    7.556 fb at m = 0.01, 5, 8 GeV (1.470 fb at m = 1 GeV above):

    >>> sig = sigma_window(10.58**2, [0.01, 5.0, 8.0], -0.4, 0.6, eps=1e-3)
    >>> [round(float(x) * GEV2_TO_FB, 3) for x in sig]
    [1.436, 2.61, 7.556]
    """
    s = _check_s(s)
    m = _mass(m)
    z1 = _arr("z1", z1)
    z2 = _arr("z2", z2)
    if np.any(np.abs(z1) > 1) or np.any(np.abs(z2) > 1) or np.any(z2 < z1):
        raise ParameterError("need -1 <= z1 <= z2 <= 1")
    open_ = m**2 < s
    ms = np.where(open_, m, 0.0)
    b = np.sqrt(_beta_e_sq(s, me_regulated))
    with np.errstate(divide="ignore"):
        lz = _log_ratio(z2, b) - _log_ratio(z1, b)
    coeff = (s**2 + ms**4) / (s - ms**2) ** 2
    return np.where(open_, _prefactor(s, ms, eps) * (coeff * lz - (z2 - z1)), 0.0)


def dsigma_deta(s, m, eta, eps=1.0):
    """dsigma/deta with eta = artanh z (the sampling variable, accelerator.md section 2) [GeV^-2]:

        dsigma/deta = (2 pi alpha^2 eps^2/s)(1 - m^2/s) [2(s^2 + m^4)/(s - m^2)^2 - (1 - z^2)],  z = tanh(eta)

    (dz/deta = 1 - z^2 cancels the collinear pole, so the density is nearly flat in eta).

    Source: accelerator.md section 2. Its eta-integral equals the z-window of :func:`sigma_window`:

    >>> import math
    >>> from scipy.integrate import quad
    >>> num = quad(lambda e: float(dsigma_deta(10.58**2, 1.0, e)), math.atanh(-0.4), math.atanh(0.6))[0]
    >>> round(num / float(sigma_window(10.58**2, 1.0, -0.4, 0.6)), 10)
    1.0
    """
    s = _check_s(s)
    m = _mass(m)
    z = np.tanh(_arr("eta", eta))
    open_ = m**2 < s
    ms = np.where(open_, m, 0.0)
    br = 2.0 * (s**2 + ms**4) / (s - ms**2) ** 2 - (1.0 - z**2)
    return np.where(open_, _prefactor(s, ms, eps) * br, 0.0)


# ---------------------------------------------------------------------------------------------
# 3. initial-state radiation, leading log
# ---------------------------------------------------------------------------------------------
def isr_beta(s):
    """beta = (2 alpha/pi)[ln(s/m_e^2) - 1] (Kuraev & Fadin, Sov. J. Nucl. Phys. 41 (1985) 466; accelerator.md 3).

    >>> f"{float(isr_beta(10.58**2)):.4f}"
    '0.0877'

    >>> [round(float(b), 4) for b in isr_beta([10.02**2, 10.36**2])]  # accelerator.md 3: 0.0872, 0.0875
    [0.0872, 0.0875]
    """
    s = _check_s(s)
    if np.any(s < 4.0 * M_E**2):
        raise ParameterError(
            f"s = {s!r} GeV^2 is below the e+e- threshold 4 m_e^2 = {4.0 * M_E**2:.4g} GeV^2"
        )
    return 2.0 * ALPHA / math.pi * (np.log(s / M_E**2) - 1.0)


def isr_w(z, s):
    """Leading-log ISR structure function for both beams, s' = z s (accelerator.md 3, Kuraev-Fadin to O(beta)):

        W(z, s) = beta (1 - z)^(beta - 1) (1 + 3 beta/4) - beta (1 + z)/2,   0 <= z < 1

    Dimensionless density in z; integrates to 1 over [0, 1]. The O(alpha) soft+virtual constant
    (alpha/pi)(pi^2/3 - 1/2) = 0.0065 is omitted, as in the reference. sigma_obs = int dz W sigma_hat(z s).

    Normalisation: the hard part below 1 - x_min plus :func:`isr_soft_fraction` is 1:

    >>> from scipy.integrate import quad
    >>> hard = quad(lambda z: float(isr_w(z, 10.58**2)), 0.0, 1.0 - 1e-6, limit=200)[0]
    >>> round(hard + float(isr_soft_fraction(10.58**2, 1e-6)), 8)
    1.0
    """
    z = _arr("z", z)
    if np.any((z < 0) | (z >= 1)):
        raise ParameterError("ISR z = s'/s must lie in [0, 1)")
    b = isr_beta(s)
    return b * (1.0 - z) ** (b - 1.0) * (1.0 + 0.75 * b) - 0.5 * b * (1.0 + z)


def isr_soft_fraction(s, x_min):
    """int_{1 - x_min}^{1} W dz = (1 + 3 beta/4) x_min^beta - (beta/2)(2 x_min - x_min^2/2): the soft +
    virtual remainder below the radiated fraction x_min (accelerator.md 3 recipe).

    About 32 % of the events radiate less than x = 1e-6 of the beam energy at sqrt s = 10.58 GeV:

    >>> round(float(isr_soft_fraction(10.58**2, 1e-6)), 4)
    0.3173
    """
    b = isr_beta(s)
    a = check_range("x_min", x_min, 0.0, 1.0, lo_open=True)
    return (1.0 + 0.75 * b) * a**b - 0.5 * b * (2.0 * a - 0.5 * a**2)


def isr_sample(u, s, x_min=1e-6):
    """Map uniform u in [0, 1) to the radiated fraction x = 1 - z, sampled from beta x^(beta-1) on
    [x_min, 1], and return (z, weight) with weight = W(z)/pdf(x).

    E[weight] = 1 - isr_soft_fraction(s, x_min); the soft remainder is a weight at z = 1 (no radiation),
    as in the accelerator.md section 3 recipe. Dimensionless.

    The mean weight reproduces 1 - isr_soft_fraction = 0.6827 within its MC error (7e-4 here):

    >>> import numpy as np
    >>> z, w = isr_sample(np.random.default_rng(1).random(20_000), 10.58**2)
    >>> round(float(w.mean()), 2), round(1.0 - float(isr_soft_fraction(10.58**2, 1e-6)), 2)
    (0.68, 0.68)
    """
    u = _arr("u", u)
    if np.any((u < 0) | (u > 1)):
        raise ParameterError("isr_sample: u must lie in [0, 1]")
    b = float(isr_beta(s))
    a = check_range("x_min", x_min, 0.0, 1.0, lo_open=True)
    amb = a**b
    x = (amb + u * (1.0 - amb)) ** (1.0 / b)
    pdf = b * x ** (b - 1.0) / (1.0 - amb)
    z = 1.0 - x
    return z, isr_w(np.clip(z, 0.0, np.nextafter(1.0, 0.0)), s) / pdf


def isr_boost_beta(z):
    """Velocity of the reduced e+e- system when one beam radiates the fraction 1 - z collinearly:
    beta = (1 - z)/(1 + z), along the non-radiating beam's direction (two-body kinematics). Dimensionless.

    Source: two-body kinematics of the ISR recipe of accelerator.md section 3. No radiation (z = 1)
    means no boost; half of s radiated by one beam (z = 1/2) gives beta = 1/3:

    >>> float(isr_boost_beta(1.0)), round(float(isr_boost_beta(0.5)), 10)
    (0.0, 0.3333333333)
    """
    z = _arr("z", z)
    if np.any((z < 0) | (z > 1)):
        raise ParameterError("isr_boost_beta: z = s'/s must lie in [0, 1]")
    return (1.0 - z) / (1.0 + z)


# ---------------------------------------------------------------------------------------------
# 4. off-shell / broad A' -> invisible continuum
# ---------------------------------------------------------------------------------------------
def dsigma_dq2_offshell(s, q2, m, gamma_inv_q, gamma_tot, z1, z2, eps=1.0):
    """dsigma/dq^2 for e+e- -> gamma + (A'* -> invisible) [GeV^-4]:

        dsigma/dq^2 = sigma_gammaA'(s; M = sqrt q^2) (1/pi) sqrt(q^2) Gamma_inv(sqrt q^2)/[(q^2 - m^2)^2 + m^2 Gamma_tot^2]

    Source: accelerator.md section 4 [D] (exact factorisation at tree level: the A' couples to
    conserved currents at both ends). ``gamma_inv_q`` is the invisible width evaluated at M = sqrt(q^2)
    (broadcast with q2) [GeV], ``gamma_tot`` the on-shell total width [GeV]; sigma_gammaA' is
    :func:`sigma_window` in the photon acceptance (z1, z2) with m -> M (|z| = 1 is collinear-divergent for
    massless e+-). The photon energy is E*_gamma = (s - q^2)/(2 sqrt s).
    Zero for q^2 >= s or q^2 <= 0.

    Narrow-width check: with Gamma_inv = Gamma_tot the Breit-Wigner integrates to sigma_gammaA'(m).
    In the variable q^2 = m^2 + m Gamma tan(th), |th| < 1.5 holds the fraction (2/pi) 1.5 = 3/pi:

    >>> import math
    >>> import numpy as np
    >>> th = np.linspace(-1.5, 1.5, 2001)
    >>> q2 = 1.0 + 1e-6 * np.tan(th)  # m = 1 GeV, Gamma = 1e-6 GeV
    >>> w = dsigma_dq2_offshell(10.58**2, q2, 1.0, 1e-6, 1e-6, -0.4, 0.6) * 1e-6 / np.cos(th) ** 2
    >>> round(float(np.trapezoid(w, th) / sigma_window(10.58**2, 1.0, -0.4, 0.6)), 5), round(3 / math.pi, 5)
    (0.95493, 0.95493)
    """
    s = _check_s(s)
    q2 = _arr("q2", q2)
    ok = (q2 > 0) & (q2 < s)
    qs = np.where(ok, q2, 0.25 * s)
    M = np.sqrt(qs)
    sig = sigma_window(s, M, z1, z2, eps)
    gi = _mass(gamma_inv_q, "gamma_inv_q")
    gt = _mass(gamma_tot, "gamma_tot")
    m = _mass(m)
    bw = M * gi / (math.pi * ((qs - m**2) ** 2 + m**2 * gt**2))
    return np.where(ok, sig * bw, 0.0)


def dsigma_dq2_offshell_model(s, q2, model: DarkSector, z1, z2):
    """:func:`dsigma_dq2_offshell` for a :class:`DarkSector` [GeV^-4].

    Gamma_inv(M) = Gamma_nunu(M) (TMM width, proportional to M^3, accelerator.md 7.3) + gamma_dark * M/m
    (the M scaling of a vector decaying to light dark fermions, Gamma ~ alpha_D M/3, accelerator.md 7.2;
    an assumption for a user-supplied gamma_dark). Gamma_tot is the on-shell total width at m.
    For m >> sqrt s this tends to sigma_gammaA' |mu_D|^2 q^4/(24 pi^2 m^4).

    Source: accelerator.md sections 4 and 7.2-7.3. The heavy-mediator limit (m = 1 TeV >> sqrt s):

    >>> import math
    >>> from darktmm.spectra.model import DarkSector, moment_from_lambdas
    >>> from darktmm.spectra.widths import mu_pair_sum_sq
    >>> ds = DarkSector(m_ap=1000.0, eps=1e-3, mu_D_muB=moment_from_lambdas(0, 0, 1e-8))
    >>> s, q2 = 10.58**2, 10.0
    >>> sig = sigma_window(s, math.sqrt(q2), -0.4, 0.6, 1e-3)
    >>> limit = sig * mu_pair_sum_sq(ds.mu_D_GeV) * q2**2 / (24 * math.pi**2 * 1000.0**4)
    >>> round(float(dsigma_dq2_offshell_model(s, q2, ds, -0.4, 0.6) / limit), 4)
    1.0
    """
    q2 = _arr("q2", q2)
    M = np.sqrt(np.clip(q2, 0.0, None))
    m = model.m_ap
    gi = gamma_nunu(M, model.mu_D_GeV)
    if model.gamma_dark > 0:
        if m <= 0:
            raise ParameterError("gamma_dark > 0 needs m_ap > 0 for the off-shell width scaling")
        gi = gi + model.gamma_dark * M / m
    gt = gamma_total(model)
    return dsigma_dq2_offshell(s, q2, m, gi, gt, z1, z2, model.eps)
