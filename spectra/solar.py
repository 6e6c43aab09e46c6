"""Solar neutrinos: B16-GS98 fluxes, computed spectral shapes, adiabatic MSW-LMA probabilities.

Units: neutrino energies in GeV, spectral shapes dN/dE in GeV^-1 (unit area), fluxes in
cm^-2 s^-1, electron densities in N_A cm^-3, moments in mu_B.
References: ``shared/physics/solar_borexino.md`` sec. 2 and ``neutrino_electron.md`` sec. 7-8.

No file is read here. Production-zone distributions and the Bahcall spectrum tables are read by
``detectors.solar_data`` and may be passed in as ``profile=(x, f)``; without them a built-in
analytic production profile is used (see :func:`default_profile`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
from scipy.special import loggamma

from darktmm.spectra.constants import ALPHA, G_F, HBARC_GEV_CM, M_E, MEV, N_A
from darktmm.spectra.model import NUFIT52, Oscillation, check_antisymmetric
from darktmm.spectra.validate import ParameterError, check_range


@dataclass(frozen=True)
class SolarComponent:
    """One solar-neutrino component.

    flux_cm2_s: B16-GS98 total flux [cm^-2 s^-1]; lines: ((E_GeV, branching), ...) for
    mono-energetic components, () for continua; endpoint_GeV: largest neutrino energy [GeV].

    Source: B16-GS98 fluxes of Vinyoles et al., arXiv:1611.09867 (solar_borexino.md sec. 2); the
    built-in set is :data:`COMPONENTS`.

    >>> be7 = COMPONENTS["7Be"]
    >>> be7.flux_cm2_s, be7.is_line, [round(e * 1e3, 4) for e, _ in be7.lines]
    (4930000000.0, True, [0.8613, 0.3843])
    >>> round(sum(br for _, br in be7.lines), 10)  # the two branches add up to 1
    1.0
    """

    name: str
    flux_cm2_s: float
    lines: tuple[tuple[float, float], ...] = ()
    endpoint_GeV: float = 0.0

    @property
    def is_line(self) -> bool:
        """True for a mono-energetic source (pep, 7Be), False for a continuum.

        >>> COMPONENTS["pep"].is_line, COMPONENTS["pp"].is_line
        (True, False)
        """
        return bool(self.lines)


#: B16-GS98 (high-Z) fluxes, Vinyoles et al. 2017, arXiv:1611.09867 (solar_borexino.md sec. 2).
#: 7Be branching 0.8956/0.1044 and line energies: Newtrinos solar_flux.jl (sec. 2). pep line at
#: 1.442 MeV. The hep endpoint is that of Bahcall's hepspectrum table, 18.784 MeV (B16 quotes
#: 18.79); the 8B endpoint is Q(8B -> 8Be g.s.) of the 8B model below (the flux above 16.5 MeV
#: is < 1e-7).
COMPONENTS: dict[str, SolarComponent] = {
    c.name: c
    for c in (
        SolarComponent("pp", 5.98e10, (), 0.42341 * MEV),
        SolarComponent("pep", 1.44e8, ((1.442 * MEV, 1.0),), 1.442 * MEV),
        SolarComponent("hep", 7.98e3, (), 18.784 * MEV),
        SolarComponent("7Be", 4.93e9, ((0.8613 * MEV, 0.8956), (0.3843 * MEV, 0.1044)), 0.8613 * MEV),
        SolarComponent("8B", 5.46e6, (), 16.9579 * MEV),
        SolarComponent("13N", 2.78e8, (), 1.199 * MEV),
        SolarComponent("15O", 2.05e8, (), 1.732 * MEV),
        SolarComponent("17F", 5.29e6, (), 1.740 * MEV),
    )
}
#: The CNO-cycle components.
CNO = ("13N", "15O", "17F")


def get_component(name: str) -> SolarComponent:
    """The :class:`SolarComponent` called ``name`` (ParameterError if unknown).

    Source: the B16-GS98 table :data:`COMPONENTS` (arXiv:1611.09867; solar_borexino.md sec. 2).

    >>> get_component("8B").flux_cm2_s  # cm^-2 s^-1
    5460000.0
    >>> get_component("8Li")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: unknown solar component '8Li'
    """
    try:
        return COMPONENTS[name]
    except (KeyError, TypeError):
        raise ParameterError(f"unknown solar component {name!r}; choose from {sorted(COMPONENTS)}") from None


# --- spectral shapes ----------------------------------------------------------------------

#: Allowed beta+ emitters: (Q = neutrino endpoint [GeV], daughter charge Z_d, mass number A).
#: Endpoints as in solar_borexino.md sec. 2 (hep: Bahcall's table, see COMPONENTS).
_BETA = {
    "pp": (0.42341 * MEV, 1, 2),
    "13N": (1.199 * MEV, 6, 13),
    "15O": (1.732 * MEV, 7, 15),
    "17F": (1.740 * MEV, 8, 17),
    "hep": (18.784 * MEV, 2, 4),
}

#: Nuclear radius R = 1.2 A^(1/3) fm in GeV^-1 per A^(1/3) (finite-size factor of the Fermi function).
_R0 = 1.2e-13 / HBARC_GEV_CM


def fermi_function(Z, W, A):
    """Relativistic Fermi function F(Z, W) (point-charge solution evaluated at the nuclear radius).

    F = 2(1 + g)(2pR)^(2g-2) exp(pi eta) |Gamma(g + i eta)|^2 / Gamma(2g + 1)^2, with
    g = sqrt(1 - (alpha Z)^2), eta = alpha Z W/p, R = 1.2 A^(1/3) fm; Z is the daughter charge,
    negative for beta+ (use F(-Z_d, W)). W is the total positron/electron energy [GeV], p its
    momentum. Source: Behrens & Juenecke (Landolt-Boernstein I/4, 1969); Hayen et al.,
    Rev. Mod. Phys. 90 (2018) 015008 [R]. Returns 0 for W <= m_e.

    Limits: F = 1 without Coulomb field (Z = 0); the field attracts electrons (F > 1) and repels
    positrons (F < 1, the beta+ case used here):

    >>> float(fermi_function(0, 1.0e-3, 1))
    1.0
    >>> bool(fermi_function(1, 1.0e-3, 1) > 1.0 > fermi_function(-1, 1.0e-3, 2))
    True
    """
    check_range("Z", Z, -1.0 / ALPHA, 1.0 / ALPHA, lo_open=True, hi_open=True)  # g = sqrt(1 - (alpha Z)^2)
    W = np.asarray(W, dtype=float)
    ok = W > M_E
    Ws = np.where(ok, W, 2.0 * M_E)
    p = np.sqrt(Ws**2 - M_E**2)
    eta = ALPHA * Z * Ws / p
    g = math.sqrt(1.0 - (ALPHA * Z) ** 2)
    R = _R0 * A ** (1.0 / 3.0)
    log_f = (
        math.log(2.0 * (1.0 + g))
        + (2.0 * g - 2.0) * np.log(2.0 * p * R)
        + np.pi * eta
        + 2.0 * loggamma(g + 1j * eta).real
        - 2.0 * float(loggamma(2.0 * g + 1.0).real)
    )
    return np.where(ok, np.exp(log_f), 0.0)


def allowed_beta_plus_shape(E, Q, Z_d, A):
    """Unnormalised allowed beta+ neutrino spectrum lambda(E) = E^2 p W F(-Z_d, W) [arbitrary units].

    W = Q + m_e - E is the positron total energy, p = sqrt(W^2 - m_e^2); Q is the maximum
    neutrino energy [GeV] (nuclear recoil, radiative and recoil-order corrections neglected).
    Source: solar_borexino.md sec. 2; Bahcall, "Neutrino Astrophysics" (CUP 1989), ch. 6 [R].
    Against Bahcall's tables (tests/test_solar.py): <= 0.2 % over the bulk (table >= 10 % of its
    maximum) for pp, 13N, 15O, 17F and hep, flux-averaged sigma_e within 3e-5.

    The pp spectrum (Q = 0.42341 MeV, deuteron daughter Z_d = 1, A = 2) vanishes at both ends and
    peaks near 0.31 MeV:

    >>> import numpy as np
    >>> E = np.linspace(0.0, 0.42341e-3, 2001)
    >>> s = allowed_beta_plus_shape(E, 0.42341e-3, 1, 2)
    >>> float(s[0]), float(s[-1]), round(float(E[np.argmax(s)]) * 1e3, 2)
    (0.0, 0.0, 0.31)
    """
    E = np.asarray(E, dtype=float)
    W = Q + M_E - E
    p = np.sqrt(np.maximum(W**2 - M_E**2, 0.0))
    val = E**2 * p * W * fermi_function(-Z_d, W, A)
    return np.where((E > 0) & (E < Q), val, 0.0)


# 8B -> 8Be* (2+, broad) + e+ + nu, 8Be* -> 2 alpha. Nuclear data [R]: AME2020 mass excesses
# (8B 22921.6 keV, 8Be 4941.67 keV) give Q(beta+, g.s.) = 17979.9 - 2 m_e = 16957.9 keV; the 2 alpha
# threshold lies 91.84 keV below the 8Be ground state; m_alpha = 3727.379 MeV (CODATA 2018).
_B8_Q_GS = 16.9579 * MEV
_B8_E_AA0 = 0.09184 * MEV
_M_ALPHA = 3.727379
#: Empirical final-state parameters (E_R, Gamma_R [GeV], tail c), fitted once to the 'best' column
#: of Bahcall et al., PRC 54 (1996) 411 (B8_neutrino_flux.txt); see :func:`b8_final_state`.
_B8_FIT = (3.3273 * MEV, 1.3641 * MEV, 0.19689)
_B8_N = 4000


def b8_final_state(E_x, params=_B8_FIT):
    """Empirical 8Be* excitation distribution w(E_x) (unnormalised) for 8B beta+ decay.

    w = Gamma(E)/((E_x - E_R)^2 + Gamma(E)^2/4) + c P(E)/P(E_R): a Breit-Wigner for the broad 2+
    level with an energy-dependent width Gamma(E) = Gamma_R P(E)/P(E_R), plus a flat,
    barrier-suppressed tail standing in for the high-lying 2+ strength (Warburton, PRC 33 (1986)
    303; Bahcall et al., PRC 54 (1996) 411 [R]). P(E) = sqrt(E_aa) exp(-2 pi eta_aa) is the s-wave
    Coulomb barrier factor with E_aa = E_x + 91.84 keV and eta_aa = 4 alpha sqrt(m_alpha/(4 E_aa)).
    E_x, E_R, Gamma_R in GeV; (E_R, Gamma_R, c) are fitted (not the tabulated 8Be level values).

    The 2+ Breit-Wigner peaks at the fitted E_R = 3.33 MeV (in units of 1/GeV, unnormalised):

    >>> w = b8_final_state([2.0e-3, 3.3273e-3, 5.0e-3])
    >>> bool(w[1] > w[0] and w[1] > w[2])
    True
    """
    e_r, gam_r, c = params
    E_x = np.asarray(E_x, dtype=float)
    if not np.all((E_x >= 0) & (E_x < np.inf)):
        raise ParameterError(f"E_x = {E_x!r} GeV is outside the allowed range [0, inf) GeV")

    def barrier(ex):
        e_aa = ex + _B8_E_AA0
        eta = 4.0 * ALPHA * np.sqrt(_M_ALPHA / (4.0 * e_aa))
        return np.sqrt(e_aa) * np.exp(-2.0 * np.pi * eta)

    ratio = barrier(E_x) / barrier(e_r)
    gam = gam_r * ratio
    return gam / ((E_x - e_r) ** 2 + gam**2 / 4.0) + c * ratio / MEV


def b8_shape_grid(params=_B8_FIT, n=_B8_N):
    """8B neutrino spectrum on a uniform grid: allowed beta+ shape folded with :func:`b8_final_state`.

    dN/dE = E^2 int dE_x w(E_x) p W F(-4, W), W = Q_gs - E_x + m_e - E (Z_d = 4, A = 8), i.e. the
    allowed shape of each final-state energy weighted by w (Bahcall & Holstein, PRC 33 (1986) 2121
    [R]); recoil-order corrections are absorbed in the fitted w.
    Returns (E [GeV], unit-area dN/dE [GeV^-1]) on n + 1 points from 0 to Q_gs.

    Accuracy against the Bahcall et al. 1996 table (a fit, so not an independent validation):
    <= 1.2 % for 3-12 MeV, <= 5 % over the bulk (table >= 10 % of its maximum, 1.0-12.8 MeV),
    L1 distance 0.34 %, mean energy +0.15 %; below 1 MeV (0.3 % of the flux) the model is up to
    6 % (0.8 MeV) and 30 % (0.02 MeV) low. This is ample for Borexino: 8B is 0.2 % of the solar
    rate in the 0.23-1.26 MeV window (solar_borexino.md sec. 3).

    Unit area; the mean neutrino energy is 6.75 MeV (+0.15 % against Bahcall et al. 1996, whose
    table gives 6.735 MeV [R]):

    >>> import numpy as np
    >>> E, s = b8_shape_grid()
    >>> round(float(np.trapezoid(s, E)), 10), f"{np.trapezoid(s * E, E) * 1e3:.3g}"
    (1.0, '6.75')
    """
    h = _B8_Q_GS / n
    k = np.arange(n + 1)
    e_grid = k * h
    w = b8_final_state(e_grid, params)  # E_x on the same grid
    m = np.arange(2 * n + 1)
    W = _B8_Q_GS + M_E - m * h  # W for E + E_x = m h
    p = np.sqrt(np.maximum(W**2 - M_E**2, 0.0))
    g = p * W * fermi_function(-4, W, 8)
    # S_i = sum_k w_k g_{i+k} h
    from scipy.signal import fftconvolve  # 1.3 s to import: only when a shape is convolved

    s = fftconvolve(g, w[::-1])[n : 2 * n + 1] * h
    s = np.maximum(s, 0.0) * e_grid**2
    s[-1] = 0.0
    return e_grid, s / np.trapezoid(s, e_grid)


class GridInterp:
    """``np.interp(x, xp, fp, left, right)`` on a fixed increasing table, bit for bit, but faster.

    The interval index comes from a uniform lookup table over [xp[0], xp[-1]] (``cells`` cells,
    each holding the last node at or below its left edge), checked against the nodes; the few
    points where the guess is off (cells that contain nodes) fall back to a binary search. The
    value then follows numpy's own formula (``slope*(x - xp[j]) + fp[j]``, exact at nodes), so
    the results are identical to ``np.interp``. ``fp`` may have several columns (n_nodes, k):
    the index is found once for all of them.

    Used for the linearly interpolated probability and CDF tables of neutrino_electron.md sec. 9.
    Source: numpy.interp (the reference it reproduces bit for bit; tests/test_solar.py). Units are
    those of ``xp`` and ``fp``.

    >>> import numpy as np
    >>> g = GridInterp([0.0, 1.0, 2.0], [0.0, 10.0, 40.0], cells=16)
    >>> g([0.5, 1.5, 3.0]).tolist(), np.interp([0.5, 1.5, 3.0], [0, 1, 2], [0, 10, 40]).tolist()
    ([5.0, 25.0, 40.0], [5.0, 25.0, 40.0])
    """

    def __init__(self, xp, fp, *, cells: int = 1 << 18):
        self.xp = np.ascontiguousarray(xp, dtype=float)
        if (
            self.xp.ndim != 1
            or len(self.xp) < 2
            or not (np.all(np.diff(self.xp) >= 0) and self.xp[-1] > self.xp[0])
        ):
            raise ParameterError(
                "GridInterp: xp must be an increasing 1-d table of at least 2 distinct nodes"
            )
        fp = np.asarray(fp, dtype=float)
        self.fp = np.ascontiguousarray(fp.reshape(len(self.xp), -1).T)  # (k, n_nodes)
        self.single = fp.ndim == 1
        n = len(self.xp)
        self.x0, self.x1 = float(self.xp[0]), float(self.xp[-1])
        self.cells = int(cells)
        self.inv_width = self.cells / (self.x1 - self.x0)
        edges = self.x0 + np.arange(self.cells + 1) * ((self.x1 - self.x0) / self.cells)
        self.table = np.clip(np.searchsorted(self.xp, edges, side="right") - 1, 0, n - 2).astype(np.intp)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.slopes = np.diff(self.fp, axis=1) / np.diff(self.xp)

    def index(self, x):
        """j with xp[j] <= x < xp[j+1], clipped to [0, n-2] (x inside [xp[0], xp[-1])).

        >>> import numpy as np
        >>> GridInterp([0.0, 1.0, 2.0], [0.0, 10.0, 40.0], cells=16).index(np.array([0.5, 1.5])).tolist()
        [0, 1]
        """
        c = (x - self.x0) * self.inv_width
        np.clip(c, 0, self.cells, out=c)
        c[np.isnan(c)] = 0
        j = self.table[c.astype(np.intp)]
        bad = ~((self.xp[j] <= x) & (x < self.xp[j + 1]))
        if bad.any():
            i = np.flatnonzero(bad)
            j[i] = np.clip(np.searchsorted(self.xp, x[i], side="right") - 1, 0, len(self.xp) - 2)
        return j

    def __call__(self, x, left=None, right=None):
        x = np.asarray(x, dtype=float)
        shape = x.shape
        x = x.reshape(-1)
        j = self.index(x)
        xj = self.xp[j]
        dx = x - xj
        out = np.empty((len(self.fp), len(x)))
        at_node = dx == 0
        below, above, last = x < self.x0, x > self.x1, x == self.x1
        special = at_node | below | above | last | np.isnan(x)
        for k in range(len(self.fp)):
            f = self.fp[k]
            fj = f[j]
            r = self.slopes[k][j] * dx + fj
            if special.any() or np.isnan(r).any():
                r = self._fix(r, x, j, f, k, at_node, below, above, last, left, right, fj)
            out[k] = r
        if self.single:
            return out[0].reshape(shape)
        return np.stack(list(out), axis=-1).reshape(*shape, len(self.fp))  # C order, as np.stack

    def _fix(self, r, x, j, f, k, at_node, below, above, last, left, right, fj):
        """numpy's special cases: nodes, the ends, left/right values and NaN results."""
        bad = np.isnan(r) & ~np.isnan(x)
        if bad.any():
            s = self.slopes[k][j[bad]]
            alt = s * (x[bad] - self.xp[j[bad] + 1]) + f[j[bad] + 1]
            same = np.isnan(alt) & (f[j[bad]] == f[j[bad] + 1])
            alt[same] = f[j[bad]][same]
            r[bad] = alt
        r[at_node] = fj[at_node]
        r[last] = f[-1]
        r[below] = f[0] if left is None else left
        r[above] = f[-1] if right is None else right
        r[np.isnan(x)] = np.nan
        return r


@cache
def _tabulated(name: str):
    """(E grid, unit-area shape, CDF, E and CDF for the inverse) of a continuum component, computed once."""
    comp = get_component(name)
    if comp.is_line:
        raise ParameterError(f"{name} is a line source; use COMPONENTS[{name!r}].lines")
    if name == "8B":
        e, s = b8_shape_grid()
    else:
        q, z, a = _BETA[name]
        e = np.linspace(0.0, q, 20001)
        s = allowed_beta_plus_shape(e, q, z, a)
        s = s / np.trapezoid(s, e)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (s[1:] + s[:-1]) * np.diff(e))])
    s, cdf = s / cdf[-1], cdf / cdf[-1]
    # strictly increasing part for the inverse (the CDF saturates at 1 in floating point
    # just below the endpoint, where the shape is < 1e-16 of its maximum)
    keep = np.concatenate([[True], np.diff(cdf) > 0])
    e_inv, cdf_inv = e[keep], cdf[keep]
    for arr in (e, s, cdf, e_inv, cdf_inv):
        arr.setflags(write=False)
    return e, s, cdf, e_inv, cdf_inv


@cache
def _lookups(name: str):
    """(CDF, inverse CDF) of a continuum as :class:`GridInterp` (same values as np.interp)."""
    e, _, cdf, e_inv, cdf_inv = _tabulated(name)
    return GridInterp(e, cdf), GridInterp(cdf_inv, e_inv)


def spectrum_shape(name: str, E_GeV):
    """Unit-area spectral shape dN/dE [GeV^-1] of a continuum component at E [GeV].

    pp, hep, 13N, 15O, 17F: allowed beta+ shapes (:func:`allowed_beta_plus_shape`), normalised
    numerically; 8B: :func:`b8_shape_grid`, interpolated linearly. Zero outside (0, endpoint).
    Line sources (pep, 7Be) raise ParameterError: use ``COMPONENTS[name].lines``.

    Source: solar_borexino.md sec. 2 (analytic shapes; Bahcall, "Neutrino Astrophysics" [R]).

    >>> import numpy as np
    >>> E = np.linspace(0.0, 0.42341e-3, 4001)
    >>> round(float(np.trapezoid(spectrum_shape("pp", E), E)), 4)  # unit area
    1.0
    >>> float(spectrum_shape("pp", 0.5e-3))  # above the pp endpoint 0.42341 MeV
    0.0
    """
    e, s = _tabulated(name)[:2]
    E = np.asarray(E_GeV, dtype=float)
    if np.any(np.isnan(E)):
        raise ParameterError(f"E_GeV = {E_GeV!r} contains NaN")
    return np.interp(E, e, s, left=0.0, right=0.0)


def spectrum_cdf(name: str, E_GeV):
    """CDF F(E) = int_0^E dN/dE' dE' of a continuum component (dimensionless), E in GeV.

    Source: the tabulated shapes of :func:`spectrum_shape` (solar_borexino.md sec. 2).

    >>> spectrum_cdf("pp", [0.0, 0.42341e-3]).tolist()
    [0.0, 1.0]
    """
    E = np.asarray(E_GeV, dtype=float)
    if np.any(np.isnan(E)):
        raise ParameterError(f"E_GeV = {E_GeV!r} contains NaN")
    return _lookups(name)[0](E, 0.0, 1.0)


def spectrum_ppf(name: str, u):
    """Inverse CDF E = F^-1(u) [GeV] of a continuum component, u in [0, 1] (vectorised).

    Piecewise-linear inverse of the tabulated CDF (20001 points, 4001 for 8B): consistent with
    :func:`spectrum_cdf` to rounding, so that a VEGAS map E = F^-1(F(E_min) + v (1 - F(E_min)))
    has the Jacobian (1 - F(E_min))/f(E).

    Source: the tabulated shapes of :func:`spectrum_shape` (solar_borexino.md sec. 2;
    neutrino_electron.md sec. 9 for the VEGAS map). The round trip F(F^-1(u)) = u:

    >>> round(float(spectrum_cdf("pp", spectrum_ppf("pp", 0.3))), 10)
    0.3
    >>> round(float(spectrum_ppf("pp", 0.5)) * 1e3, 3)  # median pp energy [MeV]
    0.275
    """
    u = np.asarray(u, dtype=float)
    if not np.all((u >= 0) & (u <= 1)):  # NaN fails both
        raise ParameterError("spectrum_ppf: u must lie in [0, 1]")
    return _lookups(name)[1](u)


# --- electron density and production zones --------------------------------------------------


def electron_density_NA(x):
    """Solar electron density n_e [N_A cm^-3] at x = r/R_sun.

    log10(n_e/N_A cm^-3) = 2.36 - 4.52 x - 0.33 exp[-(x/0.075)^1.1], the fit used in SNuDD
    (snudd/nsi/solar_profiles.py, citing astro-ph/0511337); neutrino_electron.md sec. 8.

    n_e(0) ~ 107 N_A cm^-3 at the centre (neutrino_electron.md sec. 8):

    >>> round(float(electron_density_NA(0.0)), 1)
    107.2
    """
    x = np.asarray(x, dtype=float)
    if not np.all((x >= 0) & (x < np.inf)):
        raise ParameterError(f"x = r/R_sun = {x!r} is outside the allowed range [0, inf)")
    return 10.0 ** (2.36 - 4.52 * x - 0.33 * np.exp(-((np.abs(x) / 0.075) ** 1.1)))


#: sqrt(2) G_F times 1 N_A cm^-3 [GeV] (= 7.632e-14 eV, neutrino_electron.md sec. 8 / README sec. 4).
V_CC_PER_NA = math.sqrt(2.0) * G_F * N_A * HBARC_GEV_CM**3

#: Mean production radius <r/R_sun> per component with the SNuDD distributions (neutrino_electron.md
#: sec. 8); the built-in default profiles reproduce these means.
MEAN_PRODUCTION_RADIUS = {
    "pp": 0.116,
    "pep": 0.101,
    "7Be": 0.070,
    "8B": 0.051,
    "hep": 0.141,
    "13N": 0.083,
    "15O": 0.055,
    "17F": 0.053,
}


@cache
def default_profile(name: str, n: int = 801):
    """Built-in analytic production profile f(x) ∝ x^2 exp[-(x/x0)^2] of a component (x = r/R_sun).

    x0 = sqrt(pi)/2 <x> so that the mean radius <x> = 2 x0/sqrt(pi) equals
    :data:`MEAN_PRODUCTION_RADIUS` (the SNuDD/Lopes & Turck-Chieze 1302.2791 distributions).
    A stand-in when the data files are not used. Max |P_ee(default) - P_ee(file profile)| over each
    component's own energies (NuFIT 5.2): pp 2e-5, pep 1e-6, 7Be 5e-5, 8B 6e-5, 15O 4e-5,
    17F 1e-6, hep 5.5e-4, 13N 4.6e-4 (13N has a second, outer production shell); P1, P2 differ by
    2.6x these (tests/test_solar.py). Returns (x, f) on n points, f normalised to unit area.

    >>> import numpy as np
    >>> x, f = default_profile("7Be")
    >>> round(float(np.trapezoid(f, x)), 6), round(float(np.trapezoid(x * f, x)), 4)  # unit area, <x> = 0.070
    (1.0, 0.07)
    """
    get_component(name)
    x0 = math.sqrt(math.pi) / 2.0 * MEAN_PRODUCTION_RADIUS[name]
    x = np.linspace(0.0, 6.0 * x0, n)
    f = x**2 * np.exp(-((x / x0) ** 2))
    f = f / np.trapezoid(f, x)
    for arr in (x, f):
        arr.setflags(write=False)
    return x, f


def _profile_nodes(profile, n_sub: int = 8):
    """Quadrature nodes and weights (sum 1) for a tabulated production profile (x, f).

    f is linearly interpolated (each interval split n_sub times), clipped at 0 and integrated by the
    trapezoid rule, as SNuDD does (snudd/nsi/flux_dists.py interpolates linearly).
    """
    x, f = (np.asarray(a, dtype=float) for a in profile)
    if x.ndim != 1 or x.shape != f.shape or x.size < 2:
        raise ParameterError("profile must be a pair (x, f) of equal-length 1-d arrays")
    order = np.argsort(x, kind="stable")
    x, f = x[order], np.clip(f[order], 0.0, None)
    t = np.linspace(0.0, 1.0, n_sub + 1)[:-1]
    xs = np.concatenate([(x[:-1, None] + t * np.diff(x)[:, None]).ravel(), x[-1:]])
    fs = np.interp(xs, x, f)
    w = np.zeros_like(xs)
    dx = np.diff(xs)
    w[:-1] += 0.5 * dx * fs[:-1]
    w[1:] += 0.5 * dx * fs[1:]
    tot = w.sum()
    if not tot > 0:
        raise ParameterError("profile has zero area")
    return xs, w / tot


# --- adiabatic MSW-LMA --------------------------------------------------------------------


def cos2theta_m(E_GeV, n_e_NA, osc: Oscillation = NUFIT52):
    """cos 2theta_12^m in matter (dimensionless) for neutrino energy E [GeV] and n_e [N_A cm^-3].

    cos2theta_m = (cos2theta - beta)/sqrt((cos2theta - beta)^2 + sin^2 2theta),
    beta = 2 c13^2 V_CC E/dm21^2, V_CC = sqrt(2) G_F n_e. Source: Gonzalez-Garcia & Nir,
    RMP 75 (2003) 345; neutrino_electron.md sec. 8.

    Vacuum limit (n_e = 0): cos 2theta_12 = 1 - 2 s12^2 = 0.394; at high density and energy the
    resonance is passed and cos 2theta_m -> -1:

    >>> round(float(cos2theta_m(1e-3, 0.0)), 6)
    0.394
    >>> round(float(cos2theta_m(10e-3, 100.0)), 4)
    -0.8698
    """
    E = np.asarray(E_GeV, dtype=float)
    n_e = np.asarray(n_e_NA, dtype=float)
    for name, a in (("E_GeV", E), ("n_e_NA", n_e)):
        if not np.all((a >= 0) & (a < np.inf)):
            raise ParameterError(f"{name} = {a!r} is outside the allowed range [0, inf)")
    c2 = 1.0 - 2.0 * osc.s12sq
    s2sq = 1.0 - c2**2
    with np.errstate(over="ignore"):  # beta -> inf (E >~ 1e300 GeV) is full conversion, cos2theta_m = -1
        beta = 2.0 * (1.0 - osc.s13sq) * V_CC_PER_NA * n_e * E / (osc.dm21_eV2 * 1e-18)
    d = c2 - beta
    return np.where(np.isinf(d), -1.0, d / np.hypot(d, math.sqrt(s2sq)))


def _avg_cos2theta_m(E_GeV, name: str, osc: Oscillation, profile):
    comp = get_component(name)
    xs, w = _profile_nodes(default_profile(comp.name) if profile is None else profile)
    n_e = electron_density_NA(xs)
    E = np.asarray(E_GeV, dtype=float)
    return np.sum(cos2theta_m(E[..., None], n_e, osc) * w, axis=-1)


def mass_fractions(E_GeV, component: str, osc: Oscillation = NUFIT52, profile=None):
    """Mass-state fractions (P1, P2, P3) at Earth, array of shape E.shape + (3,), dimensionless.

    P1 = c13^2 (1 + <cos2theta_m>)/2, P2 = c13^2 (1 - <cos2theta_m>)/2, P3 = s13^2, with <> the
    average over the production profile ``profile`` = (x, f) (x = r/R_sun; default
    :func:`default_profile`) and n_e of :func:`electron_density_NA`. Adiabatic LMA, no
    Earth regeneration. Source: neutrino_electron.md sec. 7-8.

    The check values of neutrino_electron.md sec. 8 for the 7Be line (0.8613 MeV, NuFIT 5.2):
    P1 = 0.619, P2 = 0.359, P3 = s13^2 = 0.02225.

    >>> [round(float(p), 3) for p in mass_fractions(0.8613e-3, "7Be")]
    [0.619, 0.359, 0.022]
    """
    c = _avg_cos2theta_m(E_GeV, component, osc, profile)
    c13sq = 1.0 - osc.s13sq
    return np.stack([0.5 * c13sq * (1.0 + c), 0.5 * c13sq * (1.0 - c), np.full_like(c, osc.s13sq)], axis=-1)


def pee(E_GeV, component: str, osc: Oscillation = NUFIT52, profile=None):
    """nu_e survival probability P_ee = c13^4 [1/2 + (1/2) cos2theta12 <cos2theta_m>] + s13^4.

    Equal to sum_i |U_ei|^2 P_i of :func:`mass_fractions`. E in GeV; see :func:`mass_fractions`
    for ``profile``. Source: neutrino_electron.md sec. 8.

    Check values (neutrino_electron.md sec. 8, NuFIT 5.2): 0.5285 for 7Be at 0.8613 MeV, 0.3367 for
    8B at 8.1 MeV (the built-in production profiles agree with the data files to < 1e-4 here):

    >>> round(float(pee(0.8613e-3, "7Be")), 4), round(float(pee(8.1e-3, "8B")), 4)
    (0.5285, 0.3366)
    """
    c = _avg_cos2theta_m(E_GeV, component, osc, profile)
    c13sq = 1.0 - osc.s13sq
    return c13sq**2 * (0.5 + 0.5 * (1.0 - 2.0 * osc.s12sq) * c) + osc.s13sq**2


def mu_eff_sq(E_GeV, component: str, mu_mass_muB, osc: Oscillation = NUFIT52, profile=None):
    """Effective squared moment mu_eff^2(E) = sum_i P_i(E) sum_j |mu_ji|^2 [mu_B^2].

    mu_mass_muB: 3x3 complex antisymmetric (Majorana) moment matrix in the mass basis [mu_B]
    (for the dark photon, eps mu_D). Source: Grimus et al., hep-ph/0208132;
    neutrino_electron.md sec. 7.

    With only Lambda_3 = lambda_12 switched on, mass states 1 and 2 see it and 3 does not, so
    mu_eff^2 = (P1 + P2) |Lambda_3|^2 = c13^2 |Lambda_3|^2 whatever the energy (neutrino_electron.md sec. 7):

    >>> from darktmm.spectra.model import moment_from_lambdas
    >>> f"{float(mu_eff_sq(0.8613e-3, '7Be', moment_from_lambdas(0, 0, 2.8e-11))):.5g}"
    '7.6656e-22'
    >>> f"{(2.8e-11) ** 2 * (1 - 0.02225):.5g}"
    '7.6656e-22'
    """
    mu = check_antisymmetric("mu_mass", mu_mass_muB)
    col = np.sum(np.abs(mu) ** 2, axis=0)  # sum_j |mu_ji|^2 for each incoming i
    return mass_fractions(E_GeV, component, osc, profile) @ col
