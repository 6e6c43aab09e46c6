"""Dark bremsstrahlung e- Z -> e- Z A' (NA64): Tsai photon flux chi, WW/IWW cross sections, the DMG4
K-factor (ETL), the thick-target track-length yield, and resonant annihilation of shower positrons.

Reference: ``shared/physics/accelerator.md`` sections 6.2-6.3. Natural units: energies and masses in
GeV, t in GeV^2, chi dimensionless, cross sections in GeV^-2 (GEV2_TO_CM2 converts). x = E_A'/E0;
theta = A' emission angle; u = theta^2/2; depth t in radiation lengths X0. Every cross section
scales as eps^2; the yields ``Y1`` are per electron on target (EOT) per unit eps^2.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import integrate, special
from scipy.interpolate import CubicSpline

from darktmm.spectra.constants import ALPHA, GEV2_TO_CM2, M_E, M_P, N_A
from darktmm.spectra.validate import ParameterError, check_range

ALPHA3 = ALPHA**3


# ---------------------------------------------------------------------------------------------
# target
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Target:
    """A target material: Z, A [g/mol], density [g/cm^3], radiation length X0 [g/cm^2] (PDG; accelerator.md 6.3).

    >>> round(PB.X0_cm, 3), f"{PB.atoms_per_cm2_per_X0:.4g}", f"{PB.electrons_per_cm3:.4g}"
    (0.561, '1.851e+22', '2.705e+24')
    """

    name: str
    Z: float
    A: float
    rho_g_cm3: float
    X0_g_cm2: float

    def __post_init__(self):
        for name in ("Z", "A", "rho_g_cm3", "X0_g_cm2"):
            check_range(name, getattr(self, name), 0.0, None, lo_open=True)

    @property
    def X0_cm(self) -> float:
        """Radiation length [cm]."""
        return self.X0_g_cm2 / self.rho_g_cm3

    @property
    def atoms_per_cm2_per_X0(self) -> float:
        """N_A X0/A [atoms cm^-2 per radiation length] (accelerator.md 6.3: 1.851e22 for Pb)."""
        return N_A * self.X0_g_cm2 / self.A

    @property
    def electrons_per_cm3(self) -> float:
        """Z rho N_A/A [e- cm^-3] (accelerator.md 6.3: 2.705e24 for Pb)."""
        return self.Z * self.rho_g_cm3 * N_A / self.A


#: Lead: Z = 82, A = 207.2, rho = 11.35 g/cm^3, X0 = 6.37 g/cm^2 = 0.561 cm (accelerator.md 6.3; PDG).
PB = Target(name="Pb", Z=82.0, A=207.2, rho_g_cm3=11.35, X0_g_cm2=6.37)


def _arr(name, x):
    a = np.asarray(x, dtype=float)
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} has non-finite entries: {x!r}")
    return a


def _in(name, x, lo, hi, lo_open=False, hi_open=False):
    """_arr(name, x) with every entry inside [lo, hi] (open ends as asked); ParameterError otherwise."""
    a = _arr(name, x)
    bad = (a < lo) | (a > hi) | ((a == lo) & lo_open) | ((a == hi) & hi_open)
    if np.any(bad):
        rng = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise ParameterError(f"{name} = {x!r} is outside the allowed range {rng}")
    return a


# ---------------------------------------------------------------------------------------------
# 6.2 (c) Tsai effective photon flux chi
# ---------------------------------------------------------------------------------------------
#: Proton magnetic moment [nuclear magnetons] in the Tsai inelastic form factor (accelerator.md 6.2c).
MU_P = 2.79
#: Dipole scale of the inelastic (nucleon) form factor [GeV^2] (Tsai RMP 46 (1974) 815; BESTo App. A).
T_DIPOLE = 0.71


def form_factor_scales(target: Target = PB):
    """(a, d, a') of the Tsai form factors: a = 111 Z^-1/3/m_e, d = 0.164 A^-2/3 GeV^2, a' = 773 Z^-2/3/m_e.

    Source: Tsai RMP 46 (1974) 815; Bjorken-Essig-Schuster-Toro (BESTo) arXiv:0906.0580 App. A
    (accelerator.md 6.2c). a, a' in GeV^-1, d in GeV^2.

    >>> a, d, ap = form_factor_scales()
    >>> round(a * M_E * 82 ** (1 / 3), 9), round(d * 207.2 ** (2 / 3), 9), round(ap * M_E * 82 ** (2 / 3), 9)
    (111.0, 0.164, 773.0)
    """
    a = 111.0 * target.Z ** (-1.0 / 3.0) / M_E
    d = 0.164 * target.A ** (-2.0 / 3.0)
    ap = 773.0 * target.Z ** (-2.0 / 3.0) / M_E
    return a, d, ap


def g2_elastic(t, target: Target = PB):
    """Elastic (atomic screening x nuclear size) form factor G2,el(t) = Z^2 [a^2 t/(1+a^2 t)]^2 [1/(1+t/d)]^2.

    Source: BESTo App. A / Tsai 1974 (accelerator.md 6.2c). t in GeV^2; dimensionless. Between atomic
    screening (1/a^2 = 4e-10 GeV^2) and nuclear size (d = 4.7e-3 GeV^2) the nucleus acts as a point charge Z:

    >>> round(float(g2_elastic(1e-6)) / 82**2, 2), float(g2_elastic(0.0))
    (1.0, 0.0)
    """
    t = _in("t", t, 0.0, np.inf)
    a, d, _ = form_factor_scales(target)
    return target.Z**2 * (a**2 * t / (1.0 + a**2 * t)) ** 2 / (1.0 + t / d) ** 2


def g2_inelastic(t, target: Target = PB):
    """Inelastic (quasi-free nucleon) G2,in(t) = Z [a'^2 t/(1+a'^2 t)]^2 [(1 + t(mu_p^2-1)/(4 m_p^2))/(1+t/0.71)^4]^2.

    Source: BESTo App. A / Tsai 1974 (accelerator.md 6.2c). t in GeV^2; dimensionless. Above screening and
    far below the nucleon dipole scale the Z protons scatter incoherently (G2,in -> Z):

    >>> round(float(g2_inelastic(1e-6)) / 82, 3)
    1.0
    """
    t = _in("t", t, 0.0, np.inf)
    _, _, ap = form_factor_scales(target)
    nucl = (1.0 + t * (MU_P**2 - 1.0) / (4.0 * M_P**2)) / (1.0 + t / T_DIPOLE) ** 4
    return target.Z * (ap**2 * t / (1.0 + ap**2 * t)) ** 2 * nucl**2


def iww_t_limits(E0, m):
    """IWW integration limits of chi: t_min = (m^2/2E0)^2, t_max = m^2 [GeV^2] (accelerator.md 6.2c; DMG4).

    >>> [f"{float(v):.3g}" for v in iww_t_limits(100.0, 0.02)]
    ['4e-12', '0.0004']
    """
    E0 = _in("E0", E0, 0.0, np.inf, lo_open=True)
    m = _arr("m", m)
    return (m**2 / (2.0 * E0)) ** 2, m**2


def chi_elastic_closed(tmin, tmax, target: Target = PB):
    """Closed form of chi_el = int_{tmin}^{tmax} dt (t - tmin)/t^2 G2,el(t), with t_a = 1/a^2, t_d = d:

        chi_el = -Z^2 t_d^2/(t_a - t_d)^3 {(t_a - t_d)(t_a + t_d + 2 t_max)(t_max - t_min)/[(t_a + t_max)(t_d + t_max)]
                 + (t_a + t_d + 2 t_min) ln[(t_a + t_max)(t_d + t_min)/((t_a + t_min)(t_d + t_max))]}

    Source: accelerator.md 6.2c [D]; the same expression is DMG4 ``DarkPhotons::TotalCrossSectionCalc``.
    Dimensionless; vectorised in tmin, tmax [GeV^2]. It agrees with the quadrature :func:`chi_numerical`:

    >>> tl = iww_t_limits(100.0, 0.01)
    >>> round(float(chi_elastic_closed(*tl)) / chi_numerical(*tl, inelastic=False), 9)
    1.0
    """
    tmin = _in("tmin", tmin, 0.0, np.inf)
    tmax = _in("tmax", tmax, 0.0, np.inf)
    a, d, _ = form_factor_scales(target)
    ta, td = 1.0 / a**2, d
    lin = (ta - td) * (ta + td + 2.0 * tmax) * (tmax - tmin) / ((ta + tmax) * (td + tmax))
    lg = (ta + td + 2.0 * tmin) * (
        np.log1p(tmax / ta) - np.log1p(tmax / td) - np.log1p(tmin / ta) + np.log1p(tmin / td)
    )
    return -(target.Z**2) * td**2 / (ta - td) ** 3 * (lin + lg)


def _chi_quad_scalar(tmin, tmax, target, elastic, inelastic, epsrel):
    if not tmax > tmin > 0:
        return 0.0
    a, d, ap = form_factor_scales(target)

    def f(lt):
        t = math.exp(lt)
        g = 0.0
        if elastic:
            g += float(g2_elastic(t, target))
        if inelastic:
            g += float(g2_inelastic(t, target))
        return (t - tmin) / t * g

    lo, hi = math.log(tmin), math.log(tmax)
    pts = [
        p
        for p in (math.log(1.0 / a**2), math.log(d), math.log(1.0 / ap**2), math.log(T_DIPOLE))
        if lo < p < hi
    ]
    val, _ = integrate.quad(f, lo, hi, points=pts or None, epsabs=0.0, epsrel=epsrel, limit=400)
    return val


def chi_numerical(tmin, tmax, target: Target = PB, elastic=True, inelastic=True, epsrel=1e-11):
    """chi = int_{tmin}^{tmax} dt (t - tmin)/t^2 [G2,el + G2,in] by scipy quad in ln t (accelerator.md 6.2c).

    ``elastic``/``inelastic`` select the terms. Dimensionless; tmin, tmax in GeV^2 (broadcast; scalar loop).
    An empty range gives 0; the elastic part equals :func:`chi_elastic_closed` (see there):

    >>> chi_numerical(1e-4, 1e-4), f"{chi_numerical(*iww_t_limits(100.0, 0.01), inelastic=False):.5g}"
    (0.0, '76563')
    """
    tmin, tmax = np.broadcast_arrays(_arr("tmin", tmin), _arr("tmax", tmax))
    out = np.array(
        [
            _chi_quad_scalar(float(a), float(b), target, elastic, inelastic, epsrel)
            for a, b in zip(tmin.ravel(), tmax.ravel())
        ]
    )
    return out.reshape(tmin.shape) if tmin.ndim else float(out[0])


def chi_iww(E0, m, target: Target = PB, inelastic=False):
    """chi(E0, m) with the IWW limits t_min = (m^2/2E0)^2, t_max = m^2: closed-form elastic part, plus the
    numerically integrated inelastic part if ``inelastic`` (accelerator.md 6.2c). Dimensionless.

    The inelastic term adds 1.3-2.6% for Pb at 100 GeV between m = 1 MeV and 1 GeV. DMG4 (and the ETL
    K-factor normalisation of :func:`sigma_etl`) uses the elastic part only.

    >>> round(float(chi_iww(100.0, 0.01, inelastic=True) / chi_iww(100.0, 0.01)) - 1, 3)
    0.013
    """
    tmin, tmax = iww_t_limits(E0, m)
    chi = chi_elastic_closed(tmin, tmax, target)
    if inelastic:
        chi = chi + chi_numerical(tmin, tmax, target, elastic=False, inelastic=True)
    return chi


# ---------------------------------------------------------------------------------------------
# 6.2 (a) Weizsaecker-Williams
# ---------------------------------------------------------------------------------------------
def u_min(m, x, m_e=M_E):
    """U_min = m^2 (1 - x)/x + m_e^2 x [GeV^2] (accelerator.md 6.2 notation; BESTo arXiv:0906.0580 App. A).
    m, m_e in GeV. For a massless A' only the electron term is left:

    >>> round(float(u_min(0.0, 0.5)) / M_E**2, 12), round(float(u_min(0.02, 0.5, m_e=0.0)), 12)
    (0.5, 0.0004)
    """
    x = _in("x", x, 0.0, 1.0, lo_open=True)
    return m**2 * (1.0 - x) / x + m_e**2 * x


def _beta(E0, m):
    return np.sqrt(np.clip(1.0 - m**2 / E0**2, 0.0, None))


def d2sigma_dx_dcos_ww(E0, m, x, theta, chi, eps=1.0):
    """WW double-differential cross section [GeV^-2] (BESTo arXiv:0906.0580 App. A; accelerator.md 6.2a):

        d2sigma/(dx dcos theta) = 8 alpha^3 eps^2 E0^2 x beta chi/U^2 [(1 - x + x^2/2) - x(1 - x) m^2 E0^2 x theta^2/U^2]

    U = E0^2 x theta^2 + U_min, beta = sqrt(1 - m^2/E0^2), small-angle form. ``chi`` is the photon flux
    (a number or an array broadcast with x, theta; in full WW it depends on x and theta through t_min).

    Its angular integral (d cos theta = theta d theta at small angle) is :func:`dsigma_dx_ww_angular`:

    >>> f = lambda lt: float(d2sigma_dx_dcos_ww(100.0, 0.02, 0.5, math.exp(lt), 1.0)) * math.exp(2 * lt)
    >>> round(integrate.quad(f, -30.0, 0.0, limit=200)[0] / float(dsigma_dx_ww_angular(100.0, 0.02, 0.5, 1.0)), 6)
    1.0
    """
    E0 = _arr("E0", E0)
    x = _arr("x", x)
    theta = _arr("theta", theta)
    eps = check_range("eps", eps, 0.0, 1.0)
    w = E0**2 * x * theta**2
    U = w + u_min(m, x)
    br = (1.0 - x + 0.5 * x**2) - x * (1.0 - x) * m**2 * w / U**2
    return 8.0 * ALPHA3 * eps**2 * E0**2 * x * _beta(E0, m) * chi / U**2 * br


def dsigma_dx_ww(E0, m, x, chi, eps=1.0):
    """WW single-differential cross section, angle-integrated for m_e -> 0 in the bracket [GeV^-2]:

        dsigma/dx = 4 alpha^3 eps^2 chi beta (1 - x + x^2/3)/U_min

    Source: accelerator.md 6.2a [D] (BESTo App. A). For m >> m_e: (4 alpha^3 eps^2 chi beta/m^2) x(1 - x + x^2/3)/(1 - x).
    Proportional to eps^2:

    >>> round(float(dsigma_dx_ww(100.0, 0.02, 0.5, 1.0, eps=0.1) / dsigma_dx_ww(100.0, 0.02, 0.5, 1.0)), 12)
    0.01
    """
    x = _arr("x", x)
    eps = check_range("eps", eps, 0.0, 1.0)
    return 4.0 * ALPHA3 * eps**2 * chi * _beta(_arr("E0", E0), m) * (1.0 - x + x**2 / 3.0) / u_min(m, x)


def dsigma_dx_ww_angular(E0, m, x, chi, eps=1.0):
    """Exact angular integral of :func:`d2sigma_dx_dcos_ww` with m_e kept in U_min [GeV^-2]:

        dsigma/dx = 4 alpha^3 eps^2 chi beta [(1 - x + x^2/2)/U_min - x(1 - x) m^2/(6 U_min^2)]

    Source: accelerator.md 6.2a [D] (int_0^inf dw/(w+U)^2 = 1/U, int_0^inf w dw/(w+U)^4 = 1/(6U^2), w = E0^2 x theta^2).
    2.9% above :func:`dsigma_dx_ww` at x = 0.99, m = 20 MeV, E0 = 100 GeV:

    >>> round(float(dsigma_dx_ww_angular(100.0, 0.02, 0.99, 1.0) / dsigma_dx_ww(100.0, 0.02, 0.99, 1.0)) - 1, 3)
    0.029
    """
    x = _arr("x", x)
    eps = check_range("eps", eps, 0.0, 1.0)
    U = u_min(m, x)
    br = (1.0 - x + 0.5 * x**2) / U - x * (1.0 - x) * m**2 / (6.0 * U**2)
    return 4.0 * ALPHA3 * eps**2 * chi * _beta(_arr("E0", E0), m) * br


def sigma_ww_leading_log(E0, m, chi, eps=1.0):
    """Leading-log WW total sigma = (4/3) alpha^3 eps^2 chi beta/m^2 ln[1/max(m_e^2/m^2, m^2/E0^2)] [GeV^-2].

    Source: accelerator.md 6.2a (BESTo eq. A.17); the log is **natural** (one public script uses log10).
    Clipped at 0 (as DMG4) when the log is negative (m < m_e); proportional to eps^2:

    >>> float(sigma_ww_leading_log(100.0, 1e-4, 1.0)), float(sigma_ww_leading_log(100.0, 0.02, 1.0, eps=0.5) / sigma_ww_leading_log(100.0, 0.02, 1.0))
    (0.0, 0.25)
    """
    E0 = _arr("E0", E0)
    m = _arr("m", m)
    eps = check_range("eps", eps, 0.0, 1.0)
    ms = np.where(m > 0, m, 1.0)
    cut = np.maximum(M_E**2 / ms**2, ms**2 / E0**2)
    sig = 4.0 / 3.0 * ALPHA3 * eps**2 * chi * _beta(E0, ms) / ms**2 * np.log(1.0 / cut)
    return np.where((m > 0) & (E0 > m), np.clip(sig, 0.0, None), 0.0)


# ---------------------------------------------------------------------------------------------
# 6.2 (b) improved WW
# ---------------------------------------------------------------------------------------------
def iww_shape(E0, m, x, m_e=M_E):
    """IWW dsigma/dx stripped of 2 alpha^3 eps^2 chi [GeV^-2]:

        f(x) = (|k|/E0) [2 U_min (3 - 3x + x^2) + m_e^2 x (x^2 + 2x - 2)]/(3 x U_min^2),  |k| = sqrt(x^2 E0^2 - m^2)

    Source: Liu, McKeen, Miller arXiv:1609.06781; Liu & Miller arXiv:1705.01633; DMG4 ``CrossSectionDSDX``
    (accelerator.md 6.2b). Zero for x E0 <= m:

    >>> float(iww_shape(100.0, 0.02, 1e-4)), float(iww_shape(100.0, 0.02, 0.5)) > 0
    (0.0, True)
    """
    E0 = _in("E0", E0, 0.0, np.inf, lo_open=True)
    x = _in("x", x, -np.inf, 1.0)  # x <= m/E0 (x <= 0 included) is documented zero
    xs = np.where(x > 0, x, 1.0)
    k = np.sqrt(np.clip(xs**2 * E0**2 - m**2, 0.0, None))
    U = u_min(m, xs, m_e)
    f = (
        (k / E0)
        * (2.0 * U * (3.0 - 3.0 * xs + xs**2) + m_e**2 * xs * (xs**2 + 2.0 * xs - 2.0))
        / (3.0 * xs * U**2)
    )
    return np.where((x > 0) & (x * E0 > m), f, 0.0)


def dsigma_dx_iww(E0, m, x, chi, eps=1.0, m_e=M_E):
    """IWW single-differential cross section [GeV^-2] (accelerator.md 6.2b):

        dsigma/dx = 2 alpha^3 eps^2 chi (|k|/E0) [2 U_min (3 - 3x + x^2) + m_e^2 x (x^2 + 2x - 2)]/(3 x U_min^2)

    Normalised so that for m_e -> 0 it is :func:`dsigma_dx_ww` with beta -> |k|/(x E0). Equals the u-integral
    of :func:`d2sigma_dx_du_iww`:

    >>> f = lambda lu: float(d2sigma_dx_du_iww(100.0, 0.02, 0.5, math.exp(lu), 1.0)) * math.exp(lu)
    >>> round(integrate.quad(f, -60.0, 5.0, limit=400)[0] / float(dsigma_dx_iww(100.0, 0.02, 0.5, 1.0)), 6)
    1.0
    """
    eps = check_range("eps", eps, 0.0, 1.0)
    return 2.0 * ALPHA3 * eps**2 * chi * iww_shape(E0, m, x, m_e)


def d2sigma_dx_du_iww(E0, m, x, u, chi, eps=1.0, m_e=M_E):
    """IWW double-differential shape in u = theta^2/2 [GeV^-4] (DMG4 ``CrossSectionDSDXDU``, accelerator.md 6.2b):

        d2sigma/(dx du) = 8 alpha^3 eps^2 chi E0^2 sqrt(x^2 - m^2/E0^2) [A + B C],   u in [0, inf)
        A = (1 - x + x^2/2)/U^2,  B = (1 - x)^2 (m^2 + 2 m_e^2)/U^4,  C = m^2 - U x/(1 - x) + m_e^2 x^2/(1 - x)
        U = 2 E0^2 u x + m^2 (1 - x)/x + m_e^2 x

    With this normalisation int_0^inf du equals :func:`dsigma_dx_iww` exactly (example there). Proportional to
    eps^2:

    >>> round(float(d2sigma_dx_du_iww(100.0, 0.02, 0.5, 1e-8, 1.0, eps=0.1) / d2sigma_dx_du_iww(100.0, 0.02, 0.5, 1e-8, 1.0)), 12)
    0.01
    """
    E0 = _arr("E0", E0)
    x = _in("x", x, 0.0, 1.0, lo_open=True, hi_open=True)  # 1/(1 - x) below
    u = _arr("u", u)
    eps = check_range("eps", eps, 0.0, 1.0)
    U = 2.0 * E0**2 * u * x + u_min(m, x, m_e)
    A = (1.0 - x + 0.5 * x**2) / U**2
    B = (1.0 - x) ** 2 * (m**2 + 2.0 * m_e**2) / U**4
    C = m**2 - U * x / (1.0 - x) + m_e**2 * x**2 / (1.0 - x)
    k = np.sqrt(np.clip(x**2 - m**2 / E0**2, 0.0, None))
    return 8.0 * ALPHA3 * eps**2 * chi * E0**2 * k * (A + B * C)


# ---------------------------------------------------------------------------------------------
# 6.2 (d) ETL through the DMG4 K-factor
# ---------------------------------------------------------------------------------------------
#: K-factor mass grid [MeV] (DMG4 ``src/DarkMatter/KFactors.code``; its 0.3/0.4 entries are the
#: misprinted 30/40 MeV, corrected here as in accelerator.md 6.2d).
K_MASSES_MEV = np.array(
    [1, 2, 4, 6, 8, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
    dtype=float,
)
#: K-factor electron-energy grid [GeV] (DMG4 KFactors.code).
K_ENERGIES_GEV = np.array([20, 40, 60, 80, 100, 120, 140, 160], dtype=float)
#: K = sigma_IWW/sigma_ETL (Kirsanov et al. arXiv:1712.05706; Gninenko et al. arXiv:1604.08432), tabulated in
#: DMG4 ``src/DarkMatter/KFactors.code`` [V]; rows = K_MASSES_MEV, columns = K_ENERGIES_GEV.
K_TABLE = np.array(
    [
        [0.606286, 0.605283, 0.604929, 0.60474, 0.604626, 0.604549, 0.604485, 0.604527],
        [0.837599, 0.83442, 0.833288, 0.832704, 0.832335, 0.832088, 0.831908, 0.831281],
        [0.969624, 0.960278, 0.956935, 0.955195, 0.954116, 0.95338, 0.952846, 0.952438],
        [1.04025, 1.02264, 1.01628, 1.01296, 1.0109, 1.00949, 1.00846, 1.00767],
        [1.09678, 1.06925, 1.0592, 1.05392, 1.05064, 1.04838, 1.04674, 1.04549],
        [1.14791, 1.10876, 1.09496, 1.0874, 1.08268, 1.07945, 1.07708, 1.07527],
        [1.37278, 1.27614, 1.23623, 1.21422, 1.20018, 1.19038, 1.18313, 1.17754],
        [1.54771, 1.41733, 1.3544, 1.31719, 1.29257, 1.27496, 1.26174, 1.25144],
        [1.67437, 1.53055, 1.45506, 1.40683, 1.37324, 1.34847, 1.32944, 1.31436],
        [1.77288, 1.61665, 1.53582, 1.48201, 1.44284, 1.4129, 1.38925, 1.37014],
        [1.85602, 1.68401, 1.59904, 1.54266, 1.50082, 1.46799, 1.4415, 1.4195],
        [1.92991, 1.74007, 1.64994, 1.5915, 1.5483, 1.51409, 1.486, 1.46248],
        [1.99782, 1.78938, 1.69307, 1.63207, 1.58764, 1.5526, 1.52374, 1.49944],
        [2.0617, 1.83451, 1.73141, 1.66729, 1.6213, 1.58541, 1.55599, 1.53126],
        [2.12278, 1.87693, 1.76675, 1.69911, 1.65122, 1.61423, 1.58415, 1.55903],
        [2.06543, 1.99617, 1.97534, 1.96104, 1.88813, 1.83371, 1.79096, 1.75693],
        [2.11679, 1.99508, 1.94777, 1.92431, 1.91109, 1.90242, 1.89753, 1.8933],
        [2.20752, 2.03888, 1.96707, 1.92846, 1.90484, 1.8891, 1.87848, 1.8697],
        [2.31917, 2.10361, 2.00917, 1.95564, 1.92204, 1.89876, 1.88227, 1.86935],
        [2.44447, 2.18024, 2.06445, 1.99649, 1.95258, 1.92186, 1.89907, 1.88231],
        [2.5793, 2.26485, 2.1282, 2.04634, 1.9922, 1.9539, 1.92531, 1.90398],
        [2.72069, 2.35541, 2.19782, 2.10255, 2.03836, 1.9924, 1.95799, 1.93186],
        [2.86596, 2.45069, 2.27181, 2.16346, 2.08944, 2.03584, 1.99582, 1.96446],
        [3.01242, 2.54971, 2.34923, 2.22797, 2.14436, 2.08319, 2.03674, 2.00084],
    ]
)


def k_factor(m, E):
    """K(m, E) = sigma_IWW/sigma_ETL by bilinear interpolation in (m, E) of :data:`K_TABLE` (dimensionless).

    Clamping as DMG4 ``KfactorApproximate``: m <= 1 MeV is evaluated at 1.005 MeV, m >= 1 GeV at 0.995 GeV,
    E <= 20 GeV at 20.1 GeV, E >= 160 GeV at 159.2 GeV. ``m``, ``E`` in GeV (broadcast).
    Below 1 MeV DMG4 switches to tabulated ETL totals, which are not implemented here. Source: Kirsanov et al.
    arXiv:1712.05706; Gninenko et al. arXiv:1604.08432 (accelerator.md 6.2d).

    >>> f"{float(k_factor(0.0167, 150.0)):.3f}"
    '1.146'
    """
    m_mev, e = np.broadcast_arrays(_arr("m", m) * 1e3, _arr("E", E))
    mlo, mhi = K_MASSES_MEV[0], K_MASSES_MEV[-1]
    elo, ehi = K_ENERGIES_GEV[0], K_ENERGIES_GEV[-1]
    m_mev = np.where(m_mev <= mlo, 1.005 * mlo, np.where(m_mev >= mhi, 0.995 * mhi, m_mev))
    e = np.where(e <= elo, 1.005 * elo, np.where(e >= ehi, 0.995 * ehi, e))
    i = np.clip(np.searchsorted(K_MASSES_MEV, m_mev) - 1, 0, len(K_MASSES_MEV) - 2)
    j = np.clip(np.searchsorted(K_ENERGIES_GEV, e) - 1, 0, len(K_ENERGIES_GEV) - 2)
    fm = (m_mev - K_MASSES_MEV[i]) / (K_MASSES_MEV[i + 1] - K_MASSES_MEV[i])
    fe = (e - K_ENERGIES_GEV[j]) / (K_ENERGIES_GEV[j + 1] - K_ENERGIES_GEV[j])
    k = (
        K_TABLE[i, j] * (1 - fm) * (1 - fe)
        + K_TABLE[i + 1, j] * fm * (1 - fe)
        + K_TABLE[i, j + 1] * (1 - fm) * fe
        + K_TABLE[i + 1, j + 1] * fm * fe
    )
    return k if k.ndim else float(k)


def sigma_iww_log(E0, m, eps=1.0, target: Target = PB, inelastic=False):
    """sigma_IWW,log: :func:`sigma_ww_leading_log` with the IWW chi (closed-form elastic) [GeV^-2]
    (accelerator.md 6.2d; DMG4 ``TotalCrossSectionCalc`` before the K-factor). Its ratio to
    :func:`sigma_etl` is the K-factor:

    >>> round(float(sigma_iww_log(150.0, 0.0167) / sigma_etl(150.0, 0.0167)) - k_factor(0.0167, 150.0), 12)
    0.0
    """
    return sigma_ww_leading_log(E0, m, chi_iww(E0, m, target, inelastic), eps)


def sigma_etl(E0, m, eps=1.0, target: Target = PB, inelastic=False):
    """Exact-tree-level total sigma_ETL = sigma_IWW,log/K(m, E0) [GeV^-2] (accelerator.md 6.2d; DMG4).

    Reference check: 3643 pb for m = 16.7 MeV, E0 = 150 GeV, eps = 1e-4, Pb (DMG4); the recipe gives 3652 pb:

    >>> from darktmm.spectra.constants import GEV2_TO_PB
    >>> round(float(sigma_etl(150.0, 0.0167, 1e-4)) * GEV2_TO_PB)
    3652
    """
    return sigma_iww_log(E0, m, eps, target, inelastic) / k_factor(m, E0)


def x_max(E0):
    """Upper end of x = E_A'/E0, 1 - m_e/E0 (DMG4 ``SimulateEmission``, dropping the m^4/(8 E0^3 M_N) recoil term;
    accelerator.md 6.2d). E0 in GeV; dimensionless.

    >>> round((1.0 - float(x_max(100.0))) * 100.0 / M_E, 9)
    1.0
    """
    return 1.0 - M_E / _in("E0", E0, 0.0, np.inf, lo_open=True)


def _iww_shape_scalar(E0, m, x, m_e=M_E):
    """Scalar (math-module) copy of :func:`iww_shape`, for the quad integrands."""
    if x <= 0.0 or x * E0 <= m:
        return 0.0
    k = math.sqrt(max(x * x * E0 * E0 - m * m, 0.0))
    U = m * m * (1.0 - x) / x + m_e * m_e * x
    return (
        (k / E0)
        * (2.0 * U * (3.0 - 3.0 * x + x * x) + m_e * m_e * x * (x * x + 2.0 * x - 2.0))
        / (3.0 * x * U * U)
    )


def _shape_integral_scalar(E0, m, x_lo, x_hi, epsrel=1e-10):
    """int_{x_lo}^{x_hi} iww_shape dx, by quad in y = ln(1 - x) (the shape peaks like 1/U_min at x -> 1)."""
    x_lo = max(x_lo, m / E0)
    if not x_hi > x_lo:
        return 0.0
    y_lo, y_hi = math.log1p(-x_hi), math.log1p(-x_lo)

    def f(y):
        d = math.exp(y)
        return _iww_shape_scalar(E0, m, 1.0 - d) * d

    pts = [p for p in (2.0 * math.log(M_E / m),) if y_lo < p < y_hi] if m > M_E else []
    val, _ = integrate.quad(f, y_lo, y_hi, points=pts or None, epsabs=0.0, epsrel=epsrel, limit=200)
    return val


def iww_shape_integral(E0, m, x_lo, x_hi):
    """int_{x_lo}^{x_hi} dx f(x) of :func:`iww_shape` by scipy quad [GeV^-2]; x_lo is raised to m/E0 (broadcast).
    Shape of accelerator.md 6.2b. Additive over adjacent ranges:

    >>> i = lambda a, b: iww_shape_integral(100.0, 0.02, a, b)
    >>> round((i(0.0, 0.5) + i(0.5, 0.9)) / i(0.0, 0.9), 9)
    1.0
    """
    E0 = _in("E0", E0, 0.0, np.inf, lo_open=True)
    E0, x_lo, x_hi = np.broadcast_arrays(E0, _arr("x_lo", x_lo), _arr("x_hi", x_hi))
    out = np.array(
        [
            _shape_integral_scalar(float(e), m, float(a), float(b))
            for e, a, b in zip(E0.ravel(), x_lo.ravel(), x_hi.ravel())
        ]
    )
    return out.reshape(E0.shape) if E0.ndim else float(out[0])


def etl_fraction_above(E0, m, E_cut):
    """Fraction of the ETL cross section with E_A' > E_cut, from the IWW x shape (DMG4 samples x from it):

        F = int_{max(E_cut/E0, m/E0)}^{x_max} f dx / int_{m/E0}^{x_max} f dx     (x_max = 1 - m_e/E0)

    Dimensionless; vectorised in E0 (scalar quad loop). Source: accelerator.md 6.2d, 6.3. No cut keeps
    everything, and a harder cut keeps less:

    >>> [round(float(etl_fraction_above(100.0, 0.02, c)), 3) for c in (0.0, 50.0, 80.0)]
    [1.0, 0.946, 0.829]
    """
    E0 = _arr("E0", E0)
    xm = x_max(E0)
    num = iww_shape_integral(E0, m, np.asarray(E_cut) / E0, xm)
    den = iww_shape_integral(E0, m, m / E0, xm)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def sigma_etl_above(E0, m, E_cut, eps=1.0, target: Target = PB, inelastic=False):
    """sigma(E0; E_A' > E_cut) = sigma_ETL(E0) x :func:`etl_fraction_above` [GeV^-2] (accelerator.md 6.2d, 6.3:
    differential shapes rescaled so that their x-integral equals sigma_ETL). Without a cut it is sigma_ETL:

    >>> round(float(sigma_etl_above(100.0, 0.02, 0.0) / sigma_etl(100.0, 0.02)), 12)
    1.0
    """
    return sigma_etl(E0, m, eps, target, inelastic) * etl_fraction_above(E0, m, E_cut)


def dsigma_dx_etl(E0, m, x, eps=1.0, target: Target = PB, inelastic=False):
    """ETL dsigma/dx = sigma_ETL(E0) f(x)/int f dx, f = :func:`iww_shape` [GeV^-2] (accelerator.md 6.2d). Scalar E0.

    Its x-integral (trapezoid in y = ln(1 - x), m/E0 < x < x_max) is sigma_ETL:

    >>> y = np.linspace(math.log(M_E / 100.0), math.log(1 - 0.02 / 100.0), 4001)
    >>> g = dsigma_dx_etl(100.0, 0.02, 1 - np.exp(y)) * np.exp(y)
    >>> round(float(np.trapezoid(g, y) / sigma_etl(100.0, 0.02)), 4)
    1.0
    """
    E0 = float(check_range("E0", E0, 0.0, None, lo_open=True))
    norm = iww_shape_integral(E0, m, m / E0, float(x_max(E0)))
    if norm <= 0:
        return np.zeros_like(_arr("x", x))
    return sigma_etl(E0, m, eps, target, inelastic) * iww_shape(E0, m, x) / norm


# ---------------------------------------------------------------------------------------------
# 6.3 thick-target track-length approximation (primary electron)
# ---------------------------------------------------------------------------------------------
#: Tsai's b = 4/3 in the track-length distribution (Tsai RMP 46 (1974) 815; accelerator.md 6.3).
B_TSAI = 4.0 / 3.0


def track_length_density_L(L, t, b=B_TSAI):
    """Tsai's I_e in the variable L = ln(E0/E): dP/dL = E I_e = e^-L L^(bt-1)/Gamma(bt) (dimensionless).

    Use this form at small depth: for t = 0.01 X0 most of the probability sits at L < 1e-16, where E
    cannot be told from E0 in double precision. int_0^inf dL = 1 (Tsai RMP 46 (1974) 815; accelerator.md 6.3):

    >>> round(integrate.quad(lambda L: float(track_length_density_L(L, 1.0)), 0.0, np.inf)[0], 9)
    1.0
    """
    L = _arr("L", L)
    t = _arr("t", t)
    bt = b * t
    ok = (L > 0) & (bt > 0)
    Ls = np.where(ok, L, 1.0)
    val = np.exp(-Ls + (bt - 1.0) * np.log(Ls) - special.gammaln(np.where(bt > 0, bt, 1.0)))
    return np.where(ok, val, 0.0)


def track_length_ie(E0, E, t, b=B_TSAI):
    """Energy distribution of the primary electron at depth t [X0]: I_e = (1/E0)[ln(E0/E)]^(bt-1)/Gamma(bt)  [GeV^-1].

    Source: Tsai RMP 46 (1974) 815 (approximation for the primary), accelerator.md 6.3. int_0^E0 dE I_e = 1
    (see :func:`track_length_density_L` for the small-t numerics):

    >>> round(integrate.quad(lambda E: float(track_length_ie(100.0, E, 1.0)), 0.0, 100.0, limit=200)[0], 8)
    1.0
    """
    E0 = _arr("E0", E0)
    E = _arr("E", E)
    inside = (E > 0) & (E < E0)
    L = np.log(E0 / np.where(inside, E, 0.5 * E0))
    return np.where(inside, track_length_density_L(L, t, b) / np.where(inside, E, 1.0), 0.0)


def primary_survival(E0, E_c, t, b=B_TSAI):
    """P(E > E_c) at depth t: regularised lower incomplete gamma P(bt, ln(E0/E_c)) (integral of I_e; dimensionless).

    Tsai RMP 46 (1974) 815 (accelerator.md 6.3). At t = 0 the primary is intact; at b t = 1 (t = 0.75 X0) the
    energy spectrum is flat, so P(E > E0/2) = 1/2:

    >>> float(primary_survival(100.0, 50.0, 0.0)), round(float(primary_survival(100.0, 50.0, 0.75)), 12)
    (1.0, 0.5)
    """
    t = _arr("t", t)
    E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    E_c = check_range("E_c", E_c, 0.0, E0, unit="GeV", lo_open=True)
    Lc = math.log(E0 / E_c)
    return np.where(t > 0, special.gammainc(np.where(t > 0, b * t, 1.0), Lc), 1.0)


def effective_track_length(E0, E_c, T_X0=40.0, b=B_TSAI):
    """T_eff = int_0^T dt P(E > E_c) [X0]: track length of the primary above E_c (accelerator.md 6.3 check:
    0.870 X0 above 50 GeV and 0.468 X0 above 80 GeV for E0 = 100 GeV; Tsai RMP 46 (1974) 815):

    >>> round(effective_track_length(100.0, 50.0), 3), round(effective_track_length(100.0, 80.0), 3)
    (0.87, 0.468)
    """
    val, _ = integrate.quad(
        lambda t: float(primary_survival(E0, E_c, t, b)), 0.0, T_X0, epsabs=0.0, epsrel=1e-11, limit=200
    )
    return val


def thin_target_yield(m, E0, E_cut, T_X0, target: Target = PB, inelastic=False):
    """Thin-target A' yield per EOT per unit eps^2 (T << X0; accelerator.md 6.3; dimensionless):

    Y1 = (N_A X0/A)(T/X0) sigma_ETL(E0; E_A' > E_cut)    (eps_sig = P_inv = 1)

    Linear in the thickness T [X0]:

    >>> round(float(thin_target_yield(0.02, 100.0, 50.0, 0.02) / thin_target_yield(0.02, 100.0, 50.0, 0.01)), 12)
    2.0
    """
    check_range("T_X0", T_X0, 0.0, None)
    sig = sigma_etl_above(E0, m, E_cut, 1.0, target, inelastic)
    return target.atoms_per_cm2_per_X0 * T_X0 * sig * GEV2_TO_CM2


def _check_thick(m, E0, E_cut, T_X0):
    check_range("m", m, 0.0, None, unit="GeV", lo_open=True)
    check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    check_range("E_cut", E_cut, m, E0, unit="GeV", lo_open=True, hi_open=True)
    check_range("T_X0", T_X0, 0.0, None, lo_open=True)


def primary_track_length(E0, E, T_X0=40.0, b=B_TSAI):
    """Differential track length of the primary electron, l(E) = int_0^T dt I_e(E0, E, t) [X0/GeV].

    Source: Tsai's I_e (accelerator.md 6.3), integrated by quad in q = bt. Integrable singularity
    l ~ 1/(E0 b L ln^2 L) as L = ln(E0/E) -> 0 (the unradiated primary). Vectorised by a scalar loop.
    Tsai RMP 46 (1974) 815. The ratio to that asymptote falls slowly (as 1/|ln L|) towards 1:

    >>> def r(L):
    ...     E = 100.0 * math.exp(-L); L = math.log(100.0 / E)
    ...     return float(primary_track_length(100.0, E)) * 100.0 * B_TSAI * L * math.log(L) ** 2
    >>> round(r(1e-6), 2), round(r(1e-14), 2), primary_track_length(100.0, 120.0)
    (1.06, 1.03, 0.0)
    """
    E = _arr("E", E)
    E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    check_range("T_X0", T_X0, 0.0, None)
    out = []
    for e in E.ravel():
        if 0 < e < E0:
            L = math.log(E0 / e)
            out.append(_primary_Lh(math.log(L), T_X0, b) / (L * E0))
        else:
            out.append(0.0)
    out = np.array(out)
    return out.reshape(E.shape) if E.ndim else float(out[0])


def _primary_Lh(lnL, T_X0, b):
    """L h(L), h(L) = int_0^T dt L^(bt-1)/Gamma(bt): L h = (1/b) int_0^{bT} dq exp(q ln L - ln Gamma(q)).

    Tends to 1/(b ln^2 L) as L -> 0. Argument ln L, so that L may underflow.
    """
    qmax = b * T_X0

    def f(q):
        return math.exp(q * lnL - special.gammaln(q)) if q > 0 else 0.0

    pts = [p for p in (1.0 / abs(lnL) if lnL != 0 else 1.0, 1.0, 5.0) if 0 < p < qmax]
    val, _ = integrate.quad(f, 0.0, qmax, points=pts, epsabs=0.0, epsrel=1e-10, limit=200)
    return val / b


def thick_target_yield(m, E0, E_cut, T_X0=40.0, target: Target = PB, inelastic=False, epsrel=1e-7):
    """Thick active target, primary-electron track-length yield per EOT per unit eps^2 (dimensionless):

        Y1 = (N_A X0/A) int_0^T dt int dE I_e(E0, E, t) sigma_ETL(E; E_A' > E_cut)

    Source: Tsai RMP 46 (1974) 815; BESTo; arXiv:1209.6083 (accelerator.md 6.3). K is evaluated at the
    local electron energy E. Secondary e+- (not included) add <~10-20% [R]. eps_sig = P_inv = 1.

    Numerics (scipy quad, nested): the t-integral is done first, Y1 = (N_A X0/A) int dE sigma(E) l(E) with
    l = :func:`primary_track_length`; in L = ln(E0/E) = ln(E0/E_cut) e^-w the endpoint singularity of l
    becomes a 1/w^2 tail on w in [0, inf). The x-integral of sigma(E; > E_cut) is a quad in ln(1 - x).
    :class:`ThickTargetIntegrand` is the same integral in the v = L^(bt) substitution, for MC/VEGAS
    (whose plain-MC mean, 0.00364 for this point, is the check in its example).

    >>> f"{thick_target_yield(0.02, 100.0, 50.0, epsrel=1e-3):.3g}"
    '0.00364'
    """
    _check_thick(m, E0, E_cut, T_X0)
    Lc = math.log(E0 / E_cut)

    def f(w):
        lnL = math.log(Lc) - w
        L = math.exp(lnL)
        E = E0 * math.exp(-L)
        sig = float(sigma_etl_above(E, m, E_cut, 1.0, target, inelastic))
        return math.exp(-L) * _primary_Lh(lnL, T_X0, B_TSAI) * sig

    val, _ = integrate.quad(f, 0.0, np.inf, epsabs=0.0, epsrel=epsrel, limit=400)
    return target.atoms_per_cm2_per_X0 * GEV2_TO_CM2 * val


class ThickTargetIntegrand:
    """Batch integrand of :func:`thick_target_yield` on the unit cube, for plain MC or VEGAS.

    ``self(u)`` maps u (n, 3) in [0, 1)^3 to (t [X0], E [GeV], x) and returns the weights (n,) whose mean
    over uniform u is Y1 (per EOT per eps^2). Maps: t = -tau ln(1 - u1 (1 - e^-T/tau)) (exponential, tau = 1
    X0); v = u2 ln(E0/E_cut)^(bt), L = v^(1/bt), E = E0 e^-L; 1 - x = delta_lo (delta_hi/delta_lo)^u3 with
    delta_lo = m_e/E, delta_hi = 1 - max(E_cut, m)/E. The weight is (N_A X0/A)(hbar c)^2 x Jacobians x
    e^-L/Gamma(1+bt) x dsigma_ETL/dx(E, x); sigma_ETL(E) is exact per point, the x-normalisation of the IWW
    shape is a cubic spline in ln E (48 quad nodes, relative error < 1e-6). Source: Tsai RMP 46 (1974) 815,
    accelerator.md 6.3.

    Plain MC with 1e5 points reproduces the nested-quad :func:`thick_target_yield` (0.00364):

    >>> f = ThickTargetIntegrand(0.02, 100.0, 50.0)
    >>> f"{float(np.mean(f(np.random.default_rng(1).random((100_000, 3))))):.3g}"
    '0.00364'
    """

    ndim = 3

    def __init__(self, m, E0, E_cut, T_X0=40.0, target: Target = PB, inelastic=False, tau_X0=1.0, n_grid=48):
        _check_thick(m, E0, E_cut, T_X0)
        self.m, self.E0, self.E_cut, self.T = float(m), float(E0), float(E_cut), float(T_X0)
        self.target, self.inelastic, self.tau = target, bool(inelastic), float(tau_X0)
        self.Lc = math.log(E0 / E_cut)
        lnE = np.linspace(math.log(E_cut), math.log(E0), n_grid)
        E = np.exp(lnE)
        norm = iww_shape_integral(E, self.m, self.m / E, x_max(E))
        self._log_norm = CubicSpline(lnE, np.log(norm))
        if self.inelastic:
            tmin, tmax = iww_t_limits(E, self.m)
            ratio = 1.0 + chi_numerical(tmin, tmax, target, elastic=False) / chi_elastic_closed(
                tmin, tmax, target
            )
            self._inel = CubicSpline(lnE, ratio)
        self._const = target.atoms_per_cm2_per_X0 * GEV2_TO_CM2

    def map(self, u):
        """(t [X0], E [GeV], x, Jacobian weight of the map times e^-L/Gamma(1+bt)) for u (n, 3)."""
        u = np.atleast_2d(np.asarray(u, dtype=float))
        if u.shape[-1] != 3:
            raise ParameterError(f"u must have shape (n, 3), got {u.shape}")
        u1, u2, u3 = u[:, 0], u[:, 1], u[:, 2]
        tau, T = self.tau, self.T
        span = -math.expm1(-T / tau)
        t = -tau * np.log1p(-u1 * span)
        jac_t = tau * span * np.exp(t / tau)
        bt = np.maximum(B_TSAI * t, 1e-300)
        V = self.Lc**bt
        with np.errstate(divide="ignore"):
            L = self.Lc * np.exp(np.log(u2) / bt)
        E = self.E0 * np.exp(-L)
        w_e = V * np.exp(-L - special.gammaln(1.0 + bt))
        d_lo = M_E / E
        d_hi = 1.0 - np.maximum(self.E_cut, self.m) / E
        ok = d_hi > d_lo
        r = np.log(np.where(ok, d_hi / d_lo, 1.0))
        delta = d_lo * np.exp(u3 * r)
        x = 1.0 - delta
        jac_x = np.where(ok, delta * r, 0.0)
        return t, E, x, jac_t * w_e * jac_x

    def __call__(self, u):
        """The weights (n,) at unit-cube points u (n, 3) [per EOT per eps^2]."""
        t, E, x, w = self.map(u)
        sig = sigma_etl(E, self.m, 1.0, self.target)
        if self.inelastic:
            sig = sig * self._inel(np.log(E))
        dsdx = sig * iww_shape(E, self.m, x) / np.exp(self._log_norm(np.log(E)))
        return self._const * w * dsdx


@functools.lru_cache(maxsize=32)
def _cached_integrand(m, E0, E_cut, T_X0, target, inelastic):
    return ThickTargetIntegrand(m, E0, E_cut, T_X0, target, inelastic)


def thick_target_integrand(u, m, E0, E_cut, T_X0=40.0, target: Target = PB, inelastic=False):
    """Weights (n,) of the thick-target yield integrand at unit-cube points u (n, 3) (see :class:`ThickTargetIntegrand`).

    mean(thick_target_integrand(rng.random((n, 3)), ...)) -> :func:`thick_target_yield` (per EOT per eps^2;
    accelerator.md 6.3). The cached integrand gives the same weights as a fresh one:

    >>> u = np.random.default_rng(2).random((5, 3))
    >>> bool(np.allclose(thick_target_integrand(u, 0.02, 100.0, 50.0), ThickTargetIntegrand(0.02, 100.0, 50.0)(u)))
    True
    """
    f = _cached_integrand(float(m), float(E0), float(E_cut), float(T_X0), target, bool(inelastic))
    return f(u)


# ---------------------------------------------------------------------------------------------
# 6.3 resonant annihilation of shower positrons, e+ e- -> A'
# ---------------------------------------------------------------------------------------------
#: Complete-screening Bethe-Heitler pair cross section per X0, sigma_0 = 7/9 (Rossi approximation A).
SIGMA0_PAIR = 7.0 / 9.0


def _rossi_a(s):
    """Rossi's A(s) = int_0^1 [1 - (1-v)^s] phi_0(v) dv, phi_0(v) = (4/3 - 4/3 v + v^2)/v (complex s)."""
    return (
        4.0 / 3.0 * (special.psi(s + 1.0) + np.euler_gamma)
        - 5.0 / 6.0
        + 1.0 / (3.0 * (s + 1.0))
        + 1.0 / (s + 2.0)
    )


def _rossi_b(s):
    """Rossi's B(s) = 2 int_0^1 u^s psi_0(u) du, psi_0(u) = 1 - (4/3) u (1 - u)."""
    return 2.0 * (1.0 / (s + 1.0) - 4.0 / 3.0 / (s + 2.0) + 4.0 / 3.0 / (s + 3.0))


def _rossi_c(s):
    """Rossi's C(s) = int_0^1 v^s phi_0(v) dv."""
    return 4.0 / 3.0 / s - 4.0 / 3.0 / (s + 1.0) + 1.0 / (s + 2.0)


def positron_mellin(s):
    """Mellin transform Q+(s) = int_0^1 y^(s-1) [E p(E)] dy of the depth-integrated positron track length
    p(E) [X0/GeV] of an electron-initiated shower, y = E/E0 (Rossi approximation A, complete screening):

        Q+(s) = B C / (2 A (A sigma_0 - B C)),   sigma_0 = 7/9

    Source: B. Rossi & K. Greisen, Rev. Mod. Phys. 13 (1941) 240; B. Rossi, High-Energy Particles (1952)
    ch. 5 (diffusion equations, integrated over depth, with dPi/dt = -A Pi + B Gamma/2 for e+ and
    dGamma/dt = C Pi_tot - sigma_0 Gamma). Complex s, Re s > 1. Energy conservation puts a pole at s = 1
    (A(1) = C(1) = 1, B(1) = sigma_0), and Q(s*) = Q(s)*:

    >>> bool(abs(positron_mellin(1.0 + 1e-9)) > 1e8), bool(positron_mellin(2 - 1j) == np.conj(positron_mellin(2 + 1j)))
    (True, True)
    """
    a, b, c = _rossi_a(s), _rossi_b(s), _rossi_c(s)
    return b * c / (2.0 * a * (a * SIGMA0_PAIR - b * c))


def inverse_mellin(Q, y, c=2.0, epsabs=1e-13):
    """g(y) = (1/2 pi i) int_{c - i inf}^{c + i inf} y^-s Q(s) ds for 0 < y < 1 (Bromwich line Re s = c), by
    scipy quad's Fourier-integral rule (QAWF) on (y^-c/pi) int_0^inf Re[e^{-i w ln y} Q(c + i w)] dw.

    ``Q`` must be analytic for Re s >= c, with Q(s*) = Q(s)* and decaying faster than 1/|s|. (Mellin inversion:
    e.g. Rossi, High-Energy Particles (1952) ch. 5; Rossi & Greisen, Rev. Mod. Phys. 13 (1941) 240.)

    g(y) = y (1 - y) has the Mellin transform 1/((s + 1)(s + 2)):

    >>> round(inverse_mellin(lambda s: 1 / ((s + 1) * (s + 2)), 0.5), 9)
    0.25
    """
    y = check_range("y", y, 0.0, 1.0, lo_open=True, hi_open=True)
    ell = -math.log(y)

    def re_q(w):
        return float(np.real(Q(complex(c, w))))

    def im_q(w):
        return float(np.imag(Q(complex(c, w))))

    # e^{-i w ln y} = e^{i w ell}: Re[e^{i w ell} Q] = cos(w ell) Re Q - sin(w ell) Im Q
    rc, _ = integrate.quad(re_q, 0.0, np.inf, weight="cos", wvar=ell, epsabs=epsabs, limlst=100)
    rs, _ = integrate.quad(im_q, 0.0, np.inf, weight="sin", wvar=ell, epsabs=epsabs, limlst=100)
    return y ** (-c) / math.pi * (rc - rs)


def positron_track_length(E, E0, target: Target = PB):
    """Differential positron track length dl+/dE [cm/GeV] in an electron shower of energy E0 [GeV], integrated
    over an infinitely thick target (the NA64 ECAL is ~40 X0).

    Model: Rossi approximation A (bremsstrahlung and pair production with complete screening, no
    ionisation loss, no Compton scattering), all shower generations, solved exactly in Mellin space
    (:func:`positron_mellin`, Rossi & Greisen RMP 13 (1941) 240) and inverted numerically:
    dl+/dE = X0 [E p(E)]/E. Valid for E >> E_c (7.4 MeV in Pb), i.e. the 50-100 GeV positrons relevant
    for the NA64 annihilation dip. Asymptotically (E << E0) dl+/dE -> 0.222 X0 E0/E^2 (half of Rossi's
    e+- total 0.444 E0/E^2; 0.437 with the b-terms of the exact screening kernels). Expected accuracy
    ~10-20% against a full Geant4 shower (screening, LPM and target-thickness effects neglected).

    >>> round(float(positron_track_length(1.0, 100.0)) / (PB.X0_cm * 100.0), 2)   # E/E0 = 0.01: 0.222 E0/E^2
    0.22
    """
    E = _arr("E", E)
    E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    y = E / E0
    out = np.array([inverse_mellin(positron_mellin, float(v)) if 0 < v < 1 else 0.0 for v in y.ravel()])
    out = out.reshape(y.shape) if y.ndim else float(out[0])
    return target.X0_cm * out / np.where(E > 0, E, 1.0)


def annihilation_resonance_energy(m):
    """Positron energy on resonance with electrons at rest, E_R = (m^2 - 2 m_e^2)/(2 m_e) [GeV]
    (s = 2 m_e^2 + 2 m_e E+; accelerator.md 6.3 uses the m >> m_e form m^2/(2 m_e)). m in GeV.

    >>> round(float(annihilation_resonance_energy(0.27)), 2), round(0.27**2 / (2 * M_E), 2)
    (71.33, 71.33)
    """
    m = _arr("m", m)
    return (m**2 - 2.0 * M_E**2) / (2.0 * M_E)


#: 2 pi^2 alpha/m_e [GeV^-1]: the narrow-width e+e- -> A' cross section coefficient, sigma = (2 pi^2 alpha eps^2/m_e)
#: delta(E+ - E_R) (accelerator.md 6.3: 281.9 GeV^-1 = 1.098e-25 cm^2 GeV).
ANNIHILATION_COEFF = 2.0 * math.pi**2 * ALPHA / M_E


def annihilation_yield(m, E0=100.0, E_cut=0.0, p_inv=1.0, dl_dE_cm_per_GeV=None, target: Target = PB):
    """Resonant annihilation e+ e- -> A' of shower positrons, per EOT per unit eps^2 (dimensionless):

        N_ann/(N_EOT eps^2) = (Z rho N_A/A) (dl+/dE)|_{E_R} (2 pi^2 alpha/m_e) P_inv

    Source: accelerator.md 6.3 [D] (narrow-width limit of sigma = 12 pi Gamma_ee Gamma_inv/[(s - m^2)^2 + m^2 Gamma^2],
    s = 2 m_e E+; idea from Marsicano et al. arXiv:1802.03794 and NA64 arXiv:2108.04195). The A' carries the
    energy E_R, so the signal needs E_cut < E_R < E0 (0 otherwise). ``dl_dE_cm_per_GeV`` is the differential
    positron track length [cm/GeV]: a number, or a callable of (E, E0); default :func:`positron_track_length`
    (Rossi approximation A). ``p_inv`` replaces BR_inv (a long-lived A' escaping the detector counts too).

    With dl+/dE = 1 cm/GeV the yield is n_e x 2 pi^2 alpha/m_e = 2.705e24 cm^-3 x 1.098e-25 cm^2 GeV; outside
    E_cut < E_R < E0 it is 0:

    >>> round(annihilation_yield(0.27, dl_dE_cm_per_GeV=1.0), 3), annihilation_yield(0.1, E_cut=50.0, dl_dE_cm_per_GeV=1.0)
    (0.297, 0.0)
    """
    m = float(check_range("m", m, 0.0, None, unit="GeV", lo_open=True))
    p_inv = check_range("p_inv", p_inv, 0.0, 1.0)
    E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    E_cut = check_range("E_cut", E_cut, unit="GeV")
    ER = float(annihilation_resonance_energy(m))
    if not E_cut < ER < E0:
        return 0.0
    if dl_dE_cm_per_GeV is None:
        dl = float(positron_track_length(ER, E0, target))
    elif callable(dl_dE_cm_per_GeV):
        dl = float(dl_dE_cm_per_GeV(ER, E0))
    else:
        dl = float(check_range("dl_dE_cm_per_GeV", dl_dE_cm_per_GeV, 0.0, None))
    return target.electrons_per_cm3 * dl * ANNIHILATION_COEFF * GEV2_TO_CM2 * p_inv


# ---------------------------------------------------------------------------------------------
# 6.3 (cont.) resonant annihilation on *bound* electrons: the atomic Compton profile
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shell:
    """One atomic (sub)shell group: ``n_e`` electrons, Slater effective charge ``z_eff``, effective principal
    quantum number ``n_star`` and mean binding energy ``binding_keV`` [keV].

    The momentum scale of a hydrogen-like orbital is p0 = z_eff alpha m_e/n_star [GeV] (the virial <p^2> of
    a hydrogenic state, p0^2 = (Z_eff alpha m_e/n)^2, independent of l). Slater, Phys. Rev. 36 (1930) 57.

    >>> s = PB_SHELLS[0]
    >>> s.name, f"{s.p0_GeV:.4g}"   # 81.7 alpha m_e
    ('1s', '0.0003047')
    """

    name: str
    n_e: int
    z_eff: float
    n_star: float
    binding_keV: float

    def __post_init__(self):
        check_range("n_e", self.n_e, 0.0, None, lo_open=True)
        for name in ("z_eff", "n_star"):
            check_range(name, getattr(self, name), 0.0, None, lo_open=True)
        check_range("binding_keV", self.binding_keV, 0.0, None, unit="keV")

    @property
    def p0_GeV(self) -> float:
        """Momentum scale p0 = z_eff alpha m_e/n_star [GeV]."""
        return self.z_eff * ALPHA * M_E / self.n_star


#: Lead, [Xe] 4f14 5d10 6s2 6p2 in Slater's groups. Z_eff = 82 - S from Slater's screening rules
#: (J. C. Slater, Phys. Rev. 36 (1930) 57: 0.35 per electron of the same group (0.30 within 1s), 0.85 per
#: electron of the shell n-1 for s,p groups, 1.00 for deeper ones and for everything inside a d or f group;
#: n* = 1, 2, 3, 3.7, 4.0, 4.2). Binding energies: occupancy-weighted means of the Pb edges of the X-ray Data
#: Booklet (LBNL, Table 1-1; J. A. Bearden & A. F. Burr, RMP 39 (1967) 125) [R, rounded].
PB_SHELLS = (
    Shell("1s", 2, 81.70, 1.0, 88.0),
    Shell("2s2p", 8, 77.85, 2.0, 14.28),
    Shell("3s3p", 8, 70.75, 3.0, 3.38),
    Shell("3d", 10, 60.85, 3.0, 2.53),
    Shell("4s4p", 8, 54.25, 3.7, 0.735),
    Shell("4d", 10, 42.85, 3.7, 0.422),
    Shell("4f", 14, 31.45, 3.7, 0.140),
    Shell("5s5p", 8, 24.35, 4.0, 0.105),
    Shell("5d", 10, 18.85, 4.0, 0.019),
    Shell("6s6p", 4, 5.65, 4.2, 0.007),
)


def compton_profile(p_z, shells=PB_SHELLS):
    """Atomic Compton profile J(p_z) per electron [GeV^-1], normalised to int dp_z J = 1.

    Each shell is a hydrogen-like 1s-shaped profile with its own momentum scale p0 (:class:`Shell`):

        J(p_z) = sum_i (n_i/Z) (8/(3 pi p0_i)) [1 + (p_z/p0_i)^2]^-3

    Source: the hydrogenic 1s Compton profile (e.g. M. J. Cooper, Rep. Prog. Phys. 48 (1985) 415; the
    impulse-approximation profiles of F. Biggs, L. B. Mendelsohn, J. B. Mann, At. Data Nucl. Data Tables
    16 (1975) 201 are the Hartree-Fock version), with Slater Z_eff per shell. Approximate: the real 2p, 3d...
    profiles have other shapes at the same <p^2>; relativistic K/L momenta of Pb are larger. Used as in the
    impulse approximation of arXiv:2403.15387.

    >>> round(float(integrate.quad(compton_profile, -1e-2, 1e-2, points=[0.0], limit=200)[0]), 4)
    1.0
    """
    q = _arr("p_z", p_z)
    ztot = sum(s.n_e for s in shells)
    out = np.zeros_like(q)
    for s in shells:
        p0 = s.p0_GeV
        out = out + (s.n_e / ztot) * 8.0 / (3.0 * math.pi * p0) * (1.0 + (q / p0) ** 2) ** -3
    return out


@functools.lru_cache(maxsize=8)
def _positron_spline(E0, target, n=160):
    # nodes uniform in logit(y), y = E/E0: dense at both ends (dl/dE ~ 1/E^2 at small y, -> 0 as y -> 1)
    u = np.linspace(math.log(1e-3 / (1 - 1e-3)), math.log(0.9995 / 5e-4), n)
    y = 1.0 / (1.0 + np.exp(-u))
    return u[0], u[-1], CubicSpline(u, np.log(positron_track_length(y * E0, E0, target)))


def positron_track_length_interp(E, E0, target: Target = PB):
    """:func:`positron_track_length` [cm/GeV] from a cubic spline of ln(dl/dE) in logit(E/E0) on 160 nodes,
    1e-3 <= E/E0 <= 0.9995 (built once per E0 in ~0.4 s; relative error < 1e-4; 0 outside). Rossi approximation
    A (Rossi & Greisen, Rev. Mod. Phys. 13 (1941) 240).

    >>> a = float(positron_track_length_interp(61.0, 100.0)); b = float(positron_track_length(61.0, 100.0))
    >>> abs(a / b - 1) < 1e-4
    True
    """
    E = _arr("E", E)
    E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    lo, hi, sp = _positron_spline(E0, target)
    y = np.clip(E / E0, 1e-300, 1.0 - 1e-16)
    u = np.log(y) - np.log1p(-y)
    ok = (u >= lo - 1e-9) & (u <= hi + 1e-9)  # the end nodes themselves, against rounding of logit(E/E0)
    return np.where(ok, np.exp(sp(np.clip(u, lo, hi))), 0.0)


def annihilation_spectrum_bound(
    m, E0=100.0, E_cut=0.0, acceptance=None, shells=PB_SHELLS, target: Target = PB, n_nodes=48
):
    """Resonant e+ e- -> A' on the *bound* atomic electrons of the target, per EOT per unit eps^2, resolved in
    the A' energy: returns (E_A' [GeV], yield) arrays whose sum is the yield (dimensionless).

    Impulse approximation (F. Arias-Aragon, L. Darme, G. Grilli di Cortona, E. Nardi, PRL 132 (2024) 261801,
    arXiv:2403.15387): an electron of energy E_e = m_e - B and momentum p_z along the positron gives
    s = 2 m_e^2 + 2 E+ (E_e - p_z) (E+ >> m_e); the narrow-width sigma = 4 pi^2 alpha eps^2 delta(s - m^2) times
    the Moller flux factor (1 - v_z) makes the rate per unit path n_e (2 pi^2 alpha eps^2/E_e) delta(E+ - E_R),

        E_R(p_z) = (m^2 - 2 m_e^2)/(2 (E_e - p_z)),
        Y = (Z rho N_A/A) sum_shells (n_i/Z) int dp_z J_i(p_z) (2 pi^2 alpha/E_e,i) (dl+/dE)(E_R) acc(E_R).

    J_i: :func:`compton_profile` shells; dl+/dE: :func:`positron_track_length_interp` (Rossi approximation A);
    ``acceptance(E_A')``: the selection (default: 1 for E_cut < E_A' < E0). With J -> delta(p_z) and B -> 0 it
    is :func:`annihilation_yield`. The motion spreads the at-rest window 0.226 < m < 0.32 GeV (E0 = 100 GeV,
    E_cut = 50 GeV) over ~0.17-0.36 GeV; the mass integral of the yield is nearly unchanged. Quadrature per
    shell in p_z = p0 tan(theta) (``n_nodes`` Gauss-Legendre nodes), |p_z| < 0.98 m_e.

    >>> E, w = annihilation_spectrum_bound(0.24, 100.0, 50.0)
    >>> f"{w.sum():.2e}", round(float(np.sum(E * w) / w.sum()), 1)
    ('3.08e-04', 56.4)
    """
    m = float(check_range("m", m, 0.0, None, unit="GeV", lo_open=True))
    E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
    E_cut = check_range("E_cut", E_cut, unit="GeV")
    x, wx = np.polynomial.legendre.leggauss(int(n_nodes))
    ztot = sum(s.n_e for s in shells)
    Es, ws = [], []
    M2 = m**2 - 2.0 * M_E**2
    for s in shells:
        p0 = s.p0_GeV
        Ee = M_E - s.binding_keV * 1e-6
        # E_cut < E_R < E0  <=>  Ee - M2/(2 E_cut) < p_z < Ee - M2/(2 E0); and |p_z| < 0.98 m_e
        lo = -0.98 * M_E if E_cut <= 0 else max(-0.98 * M_E, Ee - M2 / (2.0 * E_cut))
        hi = min(0.98 * M_E, Ee - M2 / (2.0 * E0))
        if not (hi > lo and M2 > 0):
            continue
        t_lo, t_hi = math.atan(lo / p0), math.atan(hi / p0)
        theta = 0.5 * (t_hi + t_lo) + 0.5 * (t_hi - t_lo) * x
        pz = p0 * np.tan(theta)
        # J dp_z = (8/3pi) cos^4(theta) dtheta for the 1s shape
        wq = (s.n_e / ztot) * 8.0 / (3.0 * math.pi) * np.cos(theta) ** 4 * 0.5 * (t_hi - t_lo) * wx
        ER = M2 / (2.0 * (Ee - pz))
        acc = np.ones_like(ER) if acceptance is None else np.asarray(acceptance(ER), dtype=float)
        dl = positron_track_length_interp(ER, E0, target)
        coeff = 2.0 * math.pi**2 * ALPHA / Ee
        Es.append(ER)
        ws.append(target.electrons_per_cm3 * GEV2_TO_CM2 * coeff * wq * dl * acc)
    if not Es:
        return np.zeros(0), np.zeros(0)
    E = np.concatenate(Es)
    w = np.concatenate(ws)
    keep = w > 0
    return E[keep], w[keep]


def annihilation_yield_bound(m, E0=100.0, E_cut=0.0, acceptance=None, shells=PB_SHELLS, target: Target = PB):
    """Total of :func:`annihilation_spectrum_bound` (per EOT per unit eps^2; dimensionless). Impulse
    approximation of arXiv:2403.15387 (accelerator.md 6.3).

    >>> f"{annihilation_yield_bound(0.2, 100.0, 50.0):.1e}"  # below the at-rest threshold 0.226 GeV
    '7.3e-06'
    """
    return float(np.sum(annihilation_spectrum_bound(m, E0, E_cut, acceptance, shells, target)[1]))
