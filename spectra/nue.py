"""Neutrino-electron elastic scattering: kinematics, SM and (dark-)transition-moment dsigma/dT.

Units: E (neutrino energy) and T (electron recoil kinetic energy) in GeV, dsigma/dT in GeV^-3
(GeV^-2 per GeV), sigma in GeV^-2, moments in mu_B. The target electron is free and at rest.
Reference: ``shared/physics/neutrino_electron.md`` sections 1-5; the sources are cited per function.
Every function broadcasts its array arguments with numpy rules.
"""

from __future__ import annotations

import numpy as np

from darktmm.spectra.constants import M_E, SIGMA0_SM, SIGMA0_TMM
from darktmm.spectra.validate import ParameterError, check_array_finite, check_range

#: sin^2 theta_W (MS-bar at M_Z, PDG) for the tree-level couplings (neutrino_electron.md sec. 2.1).
S2W_TREE = 0.23122
#: sin^2 theta_W input of Bahcall, Kamionkowski & Sirlin, astro-ph/9502003 (sec. 2.2).
S2W_BKS = 0.2317
#: rho_NC of BKS, astro-ph/9502003 (sec. 2.2).
RHO_NC_BKS = 1.0126

_FLAVOURS = {"e": "e", "x": "x", "mu": "x", "tau": "x"}
_CORRECTIONS = ("bks", "tree")


def _flavour(flavour: str) -> str:
    try:
        return _FLAVOURS[flavour]
    except (KeyError, TypeError):
        raise ParameterError(f"flavour = {flavour!r} must be 'e' or 'x' (x = mu, tau)") from None


def _energy(name: str, x) -> np.ndarray:
    """``x`` as a float array, ParameterError unless every entry is finite and >= 0 (an energy in GeV)."""
    a = np.asarray(x, dtype=float)
    if not np.all((a >= 0) & (a < np.inf)):  # NaN fails both
        raise ParameterError(f"{name} = {x!r} GeV is outside the allowed range [0, inf) GeV")
    return a


def _corrections(corrections: str) -> str:
    if corrections not in _CORRECTIONS:
        raise ParameterError(f"corrections = {corrections!r} must be one of {_CORRECTIONS}")
    return corrections


# --- kinematics ------------------------------------------------------------------------------


def t_max(E):
    """Maximum recoil kinetic energy T_max = 2E^2/(m_e + 2E) [GeV] for a massless nu of energy E [GeV].

    Source: two-body kinematics, neutrino_electron.md sec. 1.

    The 7Be line (E = 0.8613 MeV) has its Compton-like edge at 0.66425 MeV (check value of
    neutrino_electron.md sec. 1):

    >>> round(float(t_max(0.8613e-3)) * 1e3, 5)
    0.66425
    """
    E = _energy("E", E)
    return 2.0 * E**2 / (M_E + 2.0 * E)


def e_min(T):
    """Minimum neutrino energy E_min(T) = [T + sqrt(T^2 + 2 m_e T)]/2 [GeV] giving recoil T [GeV].

    Inverse of :func:`t_max` (neutrino_electron.md sec. 1).

    Check value of neutrino_electron.md sec. 1 (T = 0.2 MeV), and the round trip with :func:`t_max`:

    >>> round(float(e_min(0.2e-3)) * 1e3, 5)
    0.34718
    >>> round(float(t_max(e_min(0.2e-3))) * 1e3, 10)
    0.2
    """
    T = _energy("T", T)
    return 0.5 * (T + np.sqrt(T**2 + 2.0 * M_E * T))


# --- SM couplings ----------------------------------------------------------------------------


def couplings_tree(flavour: str = "e") -> tuple[float, float]:
    """Tree-level (g_L, g_R) for nu_alpha e scattering, s^2 = 0.23122 (dimensionless).

    nu_e: g_L = 1/2 + s^2 (NC + CC), g_R = s^2; nu_mu,tau: g_L = -1/2 + s^2, g_R = s^2.
    Source: standard electroweak theory; neutrino_electron.md sec. 2.1 (as in SNuDD models.py).

    >>> couplings_tree("e")
    (0.73122, 0.23122)
    >>> couplings_tree("tau") == couplings_tree("mu")  # nu_mu and nu_tau: neutral current only
    True
    """
    fl = _flavour(flavour)
    g_l = (0.5 if fl == "e" else -0.5) + S2W_TREE
    return g_l, S2W_TREE


def _bks_I(T):
    """BKS function I(T) = (1/6)[1/3 + (3 - x^2)((x/2) ln((x+1)/(x-1)) - 1)], x = sqrt(1 + 2 m_e/T).

    Source: Bahcall, Kamionkowski & Sirlin, PRD 51 (1995) 6146, astro-ph/9502003, App. A. T in GeV.
    """
    T = np.asarray(T, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = np.sqrt(1.0 + 2.0 * M_E / T)
        # (x/2) ln((x+1)/(x-1)) = x artanh(1/x)
        val = (1.0 / 6.0) * (1.0 / 3.0 + (3.0 - x**2) * (x * np.arctanh(1.0 / x) - 1.0))
    # guard: for T << m_e the closed form cancels catastrophically (I(1e-20 GeV) came out 1/18, and
    # 1e180 at 1e-200 GeV); there use its series in w = 1/x^2 = T/(T + 2 m_e) < 0.05,
    # I = (1/6) sum_{n>=1} [3/(2n+1) - 1/(2n+3)] w^n (from x artanh(1/x) = sum_k w^k/(2k+1)).
    small = (T > 0) & (T < _BKS_SERIES_T)
    if np.any(small):
        w = T[small] / (T[small] + 2.0 * M_E)
        series = np.zeros_like(w)
        for n in range(13, 0, -1):  # Horner; the remainder is < 1e-16 of I for w < 0.05
            series = (series + (3.0 / (2 * n + 1) - 1.0 / (2 * n + 3)) / 6.0) * w
        val = np.array(val)
        val[small] = series
    return np.where(T > 0, val, 0.0)


#: Below this T [GeV] (w = T/(T + 2 m_e) < 0.05) :func:`_bks_I` uses its series.
_BKS_SERIES_T = 0.05 / 0.95 * 2.0 * M_E


def couplings_bks(T, flavour: str = "e"):
    """Radiatively corrected (g_L(T), g_R(T)) of BKS, without the QED terms (dimensionless).

    g_L = rho_NC [1/2 - kappa(T) s^2] - delta_{alpha e}, g_R = -rho_NC kappa(T) s^2, with
    rho_NC = 1.0126, s^2 = 0.2317, kappa_e = 0.9791 + 0.0097 I(T) for nu_e only and
    kappa_mu,tau = 0.9970 - 0.00037 I(T) for nu_mu, nu_tau. The overall sign is opposite to
    :func:`couplings_tree`; only g_L^2, g_R^2 and g_L g_R enter dsigma/dT.
    Source: Bahcall, Kamionkowski & Sirlin, astro-ph/9502003, App. A; neutrino_electron.md sec. 2.2.
    T [GeV] broadcasts.

    At T = 0.1 MeV (the overall sign is flipped with respect to the tree-level couplings):

    >>> g_l, g_r = couplings_bks(0.1e-3, "e")
    >>> round(float(g_l), 4), round(float(g_r), 4)
    (-0.7234, -0.2297)
    """
    fl = _flavour(flavour)
    i_t = _bks_I(T)
    kappa = 0.9791 + 0.0097 * i_t if fl == "e" else 0.9970 - 0.00037 * i_t
    g_l = RHO_NC_BKS * (0.5 - kappa * S2W_BKS) - (1.0 if fl == "e" else 0.0)
    g_r = -RHO_NC_BKS * kappa * S2W_BKS
    return g_l, g_r


def couplings(T, flavour: str = "e", corrections: str = "bks"):
    """(g_L, g_R) as arrays broadcast to T, tree level or BKS (see the two functions above).

    Source: Bahcall, Kamionkowski & Sirlin, astro-ph/9502003 ("bks") or tree level
    (neutrino_electron.md sec. 2.1-2.2). T in GeV; the couplings are dimensionless.

    >>> g_l, g_r = couplings([0.1e-3, 0.3e-3], "e", "tree")
    >>> g_l.tolist(), g_r.tolist()
    ([0.73122, 0.73122], [0.23122, 0.23122])
    """
    T = np.asarray(T, dtype=float)
    if _corrections(corrections) == "tree":
        g_l, g_r = couplings_tree(flavour)
        return np.full_like(T, g_l), np.full_like(T, g_r)
    return couplings_bks(T, flavour)


# --- SM cross sections -----------------------------------------------------------------------


def dsigma_dT_sm(E, T, flavour: str = "e", corrections: str = "bks"):
    """SM dsigma/dT(nu_alpha e -> nu_alpha e) [GeV^-3].

    dsigma/dT = sigma_0 [g_L^2 + g_R^2 (1 - T/E)^2 - g_L g_R m_e T/E^2], sigma_0 = 2 G_F^2 m_e/pi,
    zero for T <= 0 or T > T_max(E). E, T in GeV. corrections = "bks" (default, BKS couplings of
    :func:`couplings_bks`, no QED terms) or "tree" (:func:`couplings_tree`).
    Source: 't Hooft 1971; Bahcall, Kamionkowski & Sirlin astro-ph/9502003; neutrino_electron.md sec. 2.

    Check values of neutrino_electron.md sec. 2.3 at E = 0.862 MeV, T = 0.1 MeV, in cm^2/MeV
    (GeV^-3 x (hbar c)^2 x 1e-3):

    >>> from darktmm.spectra.constants import GEV2_TO_CM2
    >>> per_MeV = GEV2_TO_CM2 * 1e-3
    >>> f"{float(dsigma_dT_sm(0.862e-3, 0.1e-3, 'e', 'tree')) * per_MeV:.4g}"
    '9.734e-45'
    >>> f"{float(dsigma_dT_sm(0.862e-3, 0.1e-3, 'e')) * per_MeV:.4g}"
    '9.533e-45'
    >>> float(dsigma_dT_sm(0.862e-3, 0.7e-3))  # above T_max = 0.66492 MeV
    0.0
    """
    E, T = np.broadcast_arrays(np.asarray(E, dtype=float), np.asarray(T, dtype=float))
    g_l, g_r = couplings(T, flavour, corrections)
    ok = (T > 0) & (T <= t_max(E)) & (E > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = T / E
        val = SIGMA0_SM * (g_l**2 + g_r**2 * (1.0 - z) ** 2 - g_l * g_r * M_E * z / E)
    return np.where(ok, val, 0.0)


def sigma_sm_tree(E, flavour: str = "e", T1=0.0, T2=None):
    """Closed-form tree-level sigma(T1 < T < min(T2, T_max)) [GeV^-2], E, T1, T2 in GeV.

    Integral of :func:`dsigma_dT_sm` with constant couplings:
    sigma_0 [g_L^2 t + g_R^2 (E/3)((1 - T1/E)^3 - (1 - T2/E)^3) - g_L g_R m_e t2/(2E^2)] with
    t = T2 - T1, t2 = T2^2 - T1^2 (derived from neutrino_electron.md sec. 2.1).

    Check value of neutrino_electron.md sec. 2.3 (7Be line, 0.8613 MeV, tree level), in cm^2:

    >>> from darktmm.spectra.constants import GEV2_TO_CM2
    >>> f"{float(sigma_sm_tree(0.8613e-3, 'e')) * GEV2_TO_CM2:.4g}"
    '5.939e-45'
    """
    E = np.asarray(E, dtype=float)
    tm = t_max(E)
    t2 = tm if T2 is None else np.minimum(np.asarray(T2, dtype=float), tm)
    t1 = np.maximum(np.asarray(T1, dtype=float), 0.0)
    t2 = np.maximum(t2, t1)
    g_l, g_r = couplings_tree(flavour)
    with np.errstate(divide="ignore", invalid="ignore"):  # E = 0 (documented: sigma = 0)
        val = SIGMA0_SM * (
            g_l**2 * (t2 - t1)
            + g_r**2 * (E / 3.0) * ((1.0 - t1 / E) ** 3 - (1.0 - t2 / E) ** 3)
            - g_l * g_r * M_E * (t2**2 - t1**2) / (2.0 * E**2)
        )
    return np.where(E > 0, val, 0.0)


_GL_X, _GL_W = np.polynomial.legendre.leggauss(48)


def sigma_sm_total(E, flavour: str = "e", corrections: str = "bks", T1=0.0, T2=None):
    """SM sigma(T1 < T < min(T2, T_max(E))) [GeV^-2] by 48-point Gauss-Legendre quadrature in T.

    The integrand (:func:`dsigma_dT_sm`) is a smooth function of T on the window (I(T) of BKS is
    analytic in T/(T + 2 m_e)), so 48 nodes are exact to ~1e-12 relative; checked in the tests
    against scipy.integrate.quad and against the tree-level closed form :func:`sigma_sm_tree`.
    E, T1, T2 in GeV; vectorised over E.

    Source: neutrino_electron.md sec. 2.3 (check values); BKS couplings of astro-ph/9502003.

    >>> from darktmm.spectra.constants import GEV2_TO_CM2
    >>> f"{float(sigma_sm_total(0.8613e-3, 'e')) * GEV2_TO_CM2:.4g}"
    '5.814e-45'
    >>> f"{float(sigma_sm_total(1.442e-3, 'mu')) * GEV2_TO_CM2:.4g}"
    '2.22e-45'
    >>> f"{float(sigma_sm_total(0.8613e-3, 'e', 'tree') / sigma_sm_tree(0.8613e-3, 'e')):.6f}"
    '1.000000'
    """
    _corrections(corrections)
    E = np.asarray(E, dtype=float)
    tm = t_max(E)
    hi = tm if T2 is None else np.minimum(np.asarray(T2, dtype=float), tm)
    lo = np.maximum(np.asarray(T1, dtype=float), 0.0)
    lo, hi = np.broadcast_arrays(lo, np.maximum(hi, lo))
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    T = mid[..., None] + half[..., None] * _GL_X
    # Nodes are strictly inside (lo, hi) so T <= T_max holds; clip rounding at the upper edge.
    T = np.minimum(T, tm[..., None] if np.ndim(tm) else tm)
    vals = dsigma_dT_sm(np.asarray(E)[..., None], T, flavour, corrections)
    return half * np.sum(vals * _GL_W, axis=-1)


# --- transition magnetic moment through a photon or a dark photon --------------------------


def propagator_factor(T, m_ap=0.0):
    """Dark-photon propagator factor F(T) = 2 m_e T/(2 m_e T + m_A'^2) = q^2/(q^2 - m_A'^2) (dimensionless).

    q^2 = -2 m_e T; F = 1 for a massless mediator. T, m_ap in GeV.
    Source: neutrino_electron.md sec. 5 (derived; q_mu q_nu term vanishes by current conservation).

    F(T)^2 at m_A' = 0.5 MeV, check values 0.08420, 0.30343, 0.45089 (neutrino_electron.md sec. 5.1);
    F = 1 for the photon:

    >>> [round(float(f) ** 2, 5) for f in propagator_factor([0.1e-3, 0.3e-3, 0.5e-3], 0.5e-3)]
    [0.0842, 0.30343, 0.45089]
    >>> float(propagator_factor(0.1e-3, 0.0))
    1.0
    """
    T = np.asarray(T, dtype=float)
    m_ap = np.asarray(m_ap, dtype=float)
    a_t = 2.0 * M_E * T
    with np.errstate(divide="ignore", invalid="ignore"):
        f = a_t / (a_t + m_ap**2)
    return np.where(m_ap == 0.0, 1.0, np.where(a_t > 0, f, 0.0))


def dsigma_dT_tmm(E, T, mu_muB, m_ap=0.0):
    """TMM dsigma/dT(nu_i e -> nu_j e) = (pi alpha^2/m_e^2)(mu/mu_B)^2 (1/T - 1/E) F(T)^2 [GeV^-3].

    mu_muB is the (effective, eps-included) Dirac-normalised moment in mu_B; it may be an array
    and broadcasts with E, T [GeV]. m_ap [GeV] is the mediator mass, F(T) of
    :func:`propagator_factor`. For m_ap = 0 this is the photon formula. Zero for T <= 0 or
    T > T_max(E). No interference with the SM (neutrino_electron.md sec. 3).
    Source: Vogel & Engel, PRD 39 (1989) 3378; neutrino_electron.md sec. 4-5.

    Check values of neutrino_electron.md sec. 5.1 (mu = 1e-11 mu_B, E = 0.862 MeV, T = 0.1 MeV), in
    cm^2/MeV, for the photon and for m_A' = 0.5 MeV:

    >>> from darktmm.spectra.constants import GEV2_TO_CM2
    >>> per_MeV = GEV2_TO_CM2 * 1e-3
    >>> f"{float(dsigma_dT_tmm(0.862e-3, 0.1e-3, 1e-11)) * per_MeV:.4g}"
    '2.205e-46'
    >>> f"{float(dsigma_dT_tmm(0.862e-3, 0.1e-3, 1e-11, m_ap=0.5e-3)) * per_MeV:.4g}"
    '1.857e-47'
    """
    m_ap = check_range("m_ap", m_ap, 0.0, None, unit="GeV")
    E, T, mu = np.broadcast_arrays(
        np.asarray(E, dtype=float),
        np.asarray(T, dtype=float),
        check_array_finite("mu_muB", mu_muB).astype(float),
    )
    ok = (T > 0) & (T <= t_max(E)) & (E > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        val = SIGMA0_TMM * mu**2 * (1.0 / T - 1.0 / E) * propagator_factor(T, m_ap) ** 2
    return np.where(ok, val, 0.0)


def _h1(y):
    """h1(y) = ln(1+y) - y/(1+y), with its series sum_{n>=2} (-1)^n (n-1)/n y^n for small y."""
    y = np.asarray(y, dtype=float)
    small = y < 1e-2
    ys = np.where(small, y, 0.0)
    series = sum((-1.0) ** n * (n - 1) / n * ys**n for n in range(2, 12))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = np.log1p(y) - y / (1.0 + y)
    return np.where(small, series, direct)


def _h2(y):
    """h2(y) = y - 2 ln(1+y) + y/(1+y), with its series sum_{n>=3} (-1)^(n+1) (n-2)/n y^n for small y."""
    y = np.asarray(y, dtype=float)
    small = y < 1e-2
    ys = np.where(small, y, 0.0)
    series = sum((-1.0) ** (n + 1) * (n - 2) / n * ys**n for n in range(3, 13))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        direct = y - 2.0 * np.log1p(y) + y / (1.0 + y)
    return np.where(small, series, direct)


def sigma_tmm_window(E, T1, T2, mu_muB, m_ap=0.0):
    """Closed-form TMM sigma(T1 < T < min(T2, T_max(E))) [GeV^-2]; E, T1, T2, m_ap in GeV, mu in mu_B.

    m_ap = 0: (pi alpha^2/m_e^2)(mu/mu_B)^2 [ln(T2/T1) - (T2 - T1)/E] (neutrino_electron.md sec. 4).
    m_ap > 0: (pi alpha^2/m_e^2)(mu/mu_B)^2 [G(T2) - G(T1)], G(T) = ln u + b/u - (u - 2b ln u -
    b^2/u)/(aE), a = 2 m_e, b = m_A'^2, u = aT + b (sec. 5). It is evaluated in the equivalent,
    cancellation-free form G(T2) - G(T1) = dh1 - (b/(aE)) dh2 with y = aT/b,
    h1 = ln(1+y) - y/(1+y) and h2 = y - 2 ln(1+y) + y/(1+y), so that heavy mediators
    (m_A'^2 >> 2 m_e T) keep full precision. T1 must be > 0 for m_ap = 0 (log divergence).

    Source: Vogel & Engel, PRD 39 (1989) 3378 (photon); neutrino_electron.md sec. 4-5 (closed forms).
    Check values of sec. 5.1 (mu = 1e-11 mu_B, E = 0.862 MeV, T1 = 0.2 MeV, T2 above T_max), in cm^2:

    >>> from darktmm.spectra.constants import GEV2_TO_CM2
    >>> f"{float(sigma_tmm_window(0.862e-3, 0.2e-3, 1.0, 1e-11)) * GEV2_TO_CM2:.5g}"
    '1.6515e-47'
    >>> f"{float(sigma_tmm_window(0.862e-3, 0.2e-3, 1.0, 1e-11, m_ap=0.5e-3)) * GEV2_TO_CM2:.4g}"
    '5.527e-48'
    >>> f"{float(sigma_tmm_window(0.862e-3, 0.0, 1.0, 1e-11, m_ap=0.5e-3)) * GEV2_TO_CM2:.4g}"
    '8.699e-48'
    >>> sigma_tmm_window(0.862e-3, 0.0, 1.0, 1e-11)
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: T1 must be > 0 for a massless mediator: the photon TMM cross section diverges
    """
    m_ap = check_range("m_ap", m_ap, 0.0, None, unit="GeV")
    mu_muB = check_array_finite("mu_muB", mu_muB)
    E, T1, T2, mu = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (E, T1, T2, mu_muB)))
    if m_ap == 0.0 and np.any(T1 <= 0):
        raise ParameterError("T1 must be > 0 for a massless mediator: the photon TMM cross section diverges")
    T1 = np.maximum(T1, 0.0)
    hi = np.maximum(np.minimum(T2, t_max(E)), T1)
    a = 2.0 * M_E
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if m_ap == 0.0:
            g = np.log(hi / T1) - (hi - T1) / E
        else:
            b = m_ap**2
            y1, y2 = a * T1 / b, a * hi / b
            g = (_h1(y2) - _h1(y1)) - (b / (a * E)) * (_h2(y2) - _h2(y1))
            # guard: y overflows for m_A' <~ 1e-154 GeV; there G(T) -> ln y - 1 - T/E (y >> 1), so
            # G(T2) - G(T1) is the photon result for T1 > 0 and ln(2 m_e T2) - 2 ln m_A' - 1 - T2/E for T1 = 0
            over = ~np.isfinite(y2)
            if np.any(over):
                t1s = np.where(T1 > 0, T1, 1.0)
                lg = np.where(T1 > 0, np.log(hi / t1s), np.log(a * hi) - 2.0 * np.log(m_ap) - 1.0)
                g = np.where(over, lg - (hi - T1) / E, g)
    return np.where((hi > T1) & (E > 0), SIGMA0_TMM * mu**2 * g, 0.0)
