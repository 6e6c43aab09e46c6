"""Xenon as a target for solar-neutrino electron recoils: atoms, shells, Z_eff(T), exact TMM kernel.

Reference: ``shared/physics/xenon_er.md`` section 3. Units: energies in GeV, rates per xenon
atom in s^-1 (per GeV for densities); conversions to events/(t yr) at the edges
(:data:`PER_ATOM_S_TO_TYR`).

What to use when
----------------
* :class:`XenonAtom` - the number of electrons a recoil of kinetic energy T can ionise,
  Z_eff(T): ``"stepping"`` (sum of the shell occupations with binding B_i < T; Chen et al.,
  PLB 774 (2017) 656, arXiv:1610.04177; Hsieh et al., PRD 100 (2019) 073001, arXiv:1903.06085)
  or ``"free"`` (free-electron approximation, Z_eff = 54). It is the per-T electron weight of
  :class:`darktmm.spectra.recoil.RecoilProcess` (``electrons=XenonAtom(...)``), which then
  gives rates per xenon atom.
* :data:`SHELLS` - the binding energies: ``"booklet"`` (X-ray Data Booklet, LBNL 2009, Table 1-1;
  the baseline) and ``"dirac-fock"`` (the Dirac-Fock values used by Chen et al., as in SNuDD's
  ``binding_xenon.csv``).
* :func:`tail_moments` and :func:`tmm_kernel` - the exact TMM energy integral
  int_{E_min(T)} f(E) (1/T - 1/E) dE = A(E_min)/T - B(E_min) for a piecewise-linear spectrum
  f (xenon_er.md section 3): no Monte Carlo, no quadrature error. With :func:`tmm_dR_dT` it is
  the fast, exact reference of the VEGAS spectra for a flavour-blind moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from darktmm.spectra import nue, solar
from darktmm.spectra.constants import EV, GEV2_TO_CM2, N_A, SECONDS_PER_DAY, SIGMA0_TMM
from darktmm.spectra.validate import ParameterError, check_array_finite, check_range

#: Molar mass of natural xenon [g/mol] (IUPAC 2013 standard atomic weight 131.293).
MOLAR_MASS_XE = 131.293
#: Xenon atoms per tonne, N_A x 1e6 g / 131.293 g/mol = 4.5868e27 (xenon_er.md section 3).
ATOMS_PER_TONNE = N_A * 1e6 / MOLAR_MASS_XE
#: Seconds per (Julian) year, 365.25 d (xenon_er.md section 3).
SECONDS_PER_YEAR = 365.25 * SECONDS_PER_DAY
#: A rate per xenon atom [s^-1] times this is in events per tonne-year.
PER_ATOM_S_TO_TYR = ATOMS_PER_TONNE * SECONDS_PER_YEAR
#: Atomic number of xenon.
Z_XE = 54

#: Shell occupations n_i, in the order of :data:`SHELL_NAMES`.
SHELL_NAMES = (
    "1s",
    "2s",
    "2p1/2",
    "2p3/2",
    "3s",
    "3p1/2",
    "3p3/2",
    "3d3/2",
    "3d5/2",
    "4s",
    "4p1/2",
    "4p3/2",
    "4d3/2",
    "4d5/2",
    "5s",
    "5p1/2",
    "5p3/2",
)
SHELL_OCCUPATION = (2, 2, 2, 4, 2, 2, 4, 4, 6, 2, 2, 4, 4, 6, 2, 2, 4)
#: Binding energies [eV] per shell (xenon_er.md section 3.1). "booklet": X-ray Data Booklet
#: (LBNL 2009) Table 1-1, the baseline; "dirac-fock": the Dirac-Fock values of Chen et al.,
#: arXiv:1610.04177 (SNuDD binding_xenon.csv).
SHELLS_EV = {
    "booklet": (
        34561.0,
        5453.0,
        5107.0,
        4786.0,
        1148.7,
        1002.1,
        940.6,
        689.0,
        676.4,
        213.2,
        146.7,
        145.5,
        69.5,
        67.5,
        23.3,
        13.4,
        12.1,
    ),
    "dirac-fock": (
        34759.0,
        5509.8,
        5161.5,
        4835.6,
        1170.5,
        1024.8,
        961.2,
        708.1,
        649.9,
        229.4,
        175.6,
        162.8,
        73.8,
        71.7,
        27.5,
        13.4,
        12.0,
    ),
}
TREATMENTS = ("stepping", "free")


@dataclass(frozen=True)
class XenonAtom:
    """Electrons available to a recoil of kinetic energy T on one xenon atom, Z_eff(T).

    ``treatment="stepping"``: Z_eff(T) = sum_i n_i Theta(T - B_i) over the shells of ``table``
    (``"booklet"`` or ``"dirac-fock"``, :data:`SHELLS_EV`); the stepping approximation of
    Chen et al., PLB 774 (2017) 656 (arXiv:1610.04177) and Hsieh et al., PRD 100 (2019) 073001
    (arXiv:1903.06085), which follows the ab-initio RRPA rate to a few % (up to ~10 %) in
    1-30 keV. ``treatment="free"``: the free-electron approximation, Z_eff = 54.
    Calling the atom with T [GeV] (array) returns Z_eff (float array).

    >>> atom = XenonAtom()
    >>> [float(z) for z in atom(np.array([0.5, 1.0, 2.0, 5.5, 10.0, 40.0]) * 1e-6)]
    [26.0, 40.0, 44.0, 52.0, 52.0, 54.0]
    >>> float(XenonAtom("free")(1e-6))
    54.0
    """

    treatment: str = "stepping"
    table: str = "booklet"

    def __post_init__(self):
        if self.treatment not in TREATMENTS:
            raise ParameterError(f"treatment = {self.treatment!r}; choose from {TREATMENTS}")
        if self.table not in SHELLS_EV:
            raise ParameterError(f"table = {self.table!r}; choose from {tuple(SHELLS_EV)}")

    @property
    def binding_GeV(self) -> np.ndarray:
        """Shell binding energies [GeV], in the order of :data:`SHELL_NAMES`."""
        return np.asarray(SHELLS_EV[self.table]) * EV

    @property
    def edges_GeV(self) -> np.ndarray:
        """The distinct T [GeV] at which Z_eff steps (empty for the free treatment), increasing."""
        if self.treatment == "free":
            return np.zeros(0)
        return np.unique(self.binding_GeV)

    def __call__(self, T):
        T = np.asarray(T, dtype=float)
        if not np.all((T >= 0) & (T < np.inf)):
            raise ParameterError(f"T = {T!r} GeV is outside the allowed range [0, inf) GeV")
        if self.treatment == "free":
            return np.full(T.shape, float(Z_XE))
        b, n = _steps(self.table)
        return n[np.searchsorted(b, T, side="right")]

    def describe(self) -> str:
        if self.treatment == "free":
            return "free-electron approximation, Z_eff = 54"
        src = (
            "X-ray Data Booklet (LBNL 2009) Table 1-1"
            if self.table == "booklet"
            else "Dirac-Fock (Chen et al.)"
        )
        return f"stepping approximation Z_eff(T) = sum_i n_i Theta(T - B_i), B_i: {src}"


@cache
def _steps(table: str):
    """Sorted binding energies [GeV] and the cumulative Z_eff after each, with 0 before the first."""
    b = np.asarray(SHELLS_EV[table]) * EV
    order = np.argsort(b, kind="stable")
    z = np.concatenate([[0.0], np.cumsum(np.asarray(SHELL_OCCUPATION, dtype=float)[order])])
    return b[order], z


# --- the exact TMM energy integral ----------------------------------------------------------


@dataclass(frozen=True)
class TailMoments:
    """Upper-tail moments of a piecewise-linear spectrum f on nodes e (unit area or not).

    A(x) = int_x^inf f dE and B(x) = int_x^inf f/E dE, exact for f linear between the nodes
    (xenon_er.md section 3). ``e`` [GeV] increasing, ``f`` [GeV^-1]; A is dimensionless, B in GeV^-1.
    """

    e: np.ndarray
    f: np.ndarray
    A_nodes: np.ndarray
    B_nodes: np.ndarray

    def _segment(self, x):
        j = np.clip(np.searchsorted(self.e, x, side="right") - 1, 0, len(self.e) - 2)
        e0, e1 = self.e[j], self.e[j + 1]
        f0, f1 = self.f[j], self.f[j + 1]
        s = (f1 - f0) / (e1 - e0)
        return j, e1, f0 - s * e0, s  # f = c + s E on [e0, e1]

    def A(self, x):
        """int_x^inf f dE (dimensionless for a unit-area f), x [GeV]."""
        x = _nonneg_energy(x)
        xc = np.clip(x, self.e[0], self.e[-1])
        j, e1, c, s = self._segment(xc)
        part = c * (e1 - xc) + 0.5 * s * (e1**2 - xc**2)
        return np.where(x >= self.e[-1], 0.0, part + self.A_nodes[j + 1])

    def B(self, x):
        """int_x^inf f/E dE [GeV^-1], x [GeV] (> 0 unless f vanishes linearly at E = 0)."""
        x = _nonneg_energy(x)
        xc = np.clip(x, self.e[0], self.e[-1])
        j, e1, c, s = self._segment(xc)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # x -> 0 on a c = 0 segment
            lg = np.where(c != 0.0, c * np.log(e1 / xc), 0.0)
        part = lg + s * (e1 - xc)
        return np.where(x >= self.e[-1], 0.0, part + self.B_nodes[j + 1])


def _nonneg_energy(x, name="x"):
    x = np.asarray(x, dtype=float)
    if not np.all((x >= 0) & (x < np.inf)):
        raise ParameterError(f"{name} = {x!r} GeV is outside the allowed range [0, inf) GeV")
    return x


def tail_moments(e, f) -> TailMoments:
    """:class:`TailMoments` of the piecewise-linear spectrum through the nodes (e [GeV], f [GeV^-1]).

    Per segment f = c + s E: int f dE = c de + s d(E^2)/2 and int f/E dE = c ln(e1/e0) + s de
    (c = 0 on a first segment from (0, 0)). Source: xenon_er.md section 3 (the A_c/B_c trick).

    >>> tm = tail_moments([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])   # a unit-area triangle
    >>> round(float(tm.A(0.0)), 6), round(float(tm.A(1.0)), 6), round(float(tm.B(1.0)), 6)
    (1.0, 0.5, 0.386294)
    """
    e = np.asarray(e, dtype=float)
    f = np.asarray(f, dtype=float)
    if e.ndim != 1 or e.shape != f.shape or e.size < 2 or np.any(np.diff(e) <= 0) or e[0] < 0:
        raise ParameterError("tail_moments: e must be increasing, >= 0, with f of the same length")
    if not np.all((f >= 0) & (f < np.inf)):
        raise ParameterError("tail_moments: the spectrum f must be finite and >= 0")
    de = np.diff(e)
    s = np.diff(f) / de
    c = f[:-1] - s * e[:-1]
    a_seg = c * de + 0.5 * s * (e[1:] ** 2 - e[:-1] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.where(c != 0.0, c * np.log(e[1:] / e[:-1]), 0.0)
    b_seg = lg + s * de
    if e[0] == 0.0 and f[0] != 0.0:
        raise ParameterError("tail_moments: f/E diverges at E = 0 (f(0) must be 0)")
    A = np.concatenate([np.cumsum(a_seg[::-1])[::-1], [0.0]])
    B = np.concatenate([np.cumsum(b_seg[::-1])[::-1], [0.0]])
    return TailMoments(e, f, A, B)


@cache
def _builtin_moments(component: str) -> TailMoments:
    # the same piecewise-linear tables as spectra.solar's CDF and inverse CDF (20001 nodes; 4001 for 8B)
    e, s = solar._tabulated(component)[:2]
    return tail_moments(e, s)


def tmm_kernel(T, component: str, shape=None):
    """int_{E_min(T)} dE f_c(E) (1/T - 1/E) [GeV^-1] for one solar component (unit-area shape).

    Continua: A_c(E_min)/T - B_c(E_min) of :func:`tail_moments` on ``shape = (E [GeV], f [GeV^-1])``
    (default: the built-in shape of ``spectra.solar``, the one the VEGAS integrand samples), or
    its precomputed :class:`TailMoments`.
    Lines: sum_l br_l (1/T - 1/E_l) Theta(E_l - E_min(T)). Source: xenon_er.md section 3;
    Vogel & Engel, PRD 39 (1989) 3378. T [GeV], array.

    At T = 1 keV: 0.8956 (1 - 1/861.3) + 0.1044 (1 - 1/384.3) = 0.99869 keV^-1.

    >>> round(float(tmm_kernel(1e-6, "7Be")) * 1e-6, 5)
    0.99869
    """
    T = np.asarray(T, dtype=float)
    if not np.all((T > 0) & (T < np.inf)):  # the kernel diverges like 1/T at T = 0
        raise ParameterError(f"T = {T!r} GeV is outside the allowed range (0, inf) GeV")
    emin = nue.e_min(T)
    comp = solar.get_component(component)
    if comp.is_line:
        out = np.zeros_like(T)
        for e_l, br in comp.lines:
            out += np.where(e_l >= emin, br * (1.0 / T - 1.0 / e_l), 0.0)
        return out
    if shape is None:
        tm = _builtin_moments(component)
    else:
        tm = shape if isinstance(shape, TailMoments) else tail_moments(*shape)
    return np.maximum(tm.A(emin) / T - tm.B(emin), 0.0)


def tmm_dR_dT(T, m_ap=0.0, mu_muB=1e-11, *, components=None, atom=None, shapes=None):
    """TMM recoil rate per xenon atom dR/dT [s^-1 GeV^-1] for a flavour-blind moment mu [mu_B].

    dR/dT = Z_eff(T) sum_c phi_c (pi alpha^2/m_e^2) mu^2 F(T)^2 int_{E_min} f_c (1/T - 1/E) dE,
    F(T) = 2 m_e T/(2 m_e T + m_A'^2) (xenon_er.md section 3; neutrino_electron.md sections 4-5;
    Vogel & Engel, PRD 39 (1989) 3378). The moment is the flavour-blind effective moment, so no
    oscillation enters. ``components``: a name or names (default: all eight B16-GS98
    components), ``atom``: :class:`XenonAtom` (default stepping, booklet), ``shapes``: optional
    {component: (E, f)} tables (e.g. Bahcall's) in place of the built-in shapes. T, m_ap [GeV].

    >>> r = tmm_dR_dT(np.array([1e-6]), components="pp") * PER_ATOM_S_TO_TYR * 1e-6
    >>> f"{r[0]:.3g}"   # events/(t yr keV) at T = 1 keV, stepping
    '8.6'
    """
    T = np.asarray(T, dtype=float)
    atom = XenonAtom() if atom is None else atom
    if components is None:
        components = tuple(solar.COMPONENTS)
    elif isinstance(components, str):
        components = (components,)
    shapes = shapes or {}
    k = np.zeros_like(T)
    for c in components:
        k += solar.get_component(c).flux_cm2_s * tmm_kernel(T, c, shapes.get(c))
    mu = float(check_array_finite("mu_muB", mu_muB))
    check_range("m_ap", m_ap, 0.0, None, unit="GeV")
    return atom(T) * SIGMA0_TMM * GEV2_TO_CM2 * mu**2 * nue.propagator_factor(T, m_ap) ** 2 * k


def with_origin(e, f):
    """Prepend (E, f) = (0, 0) to a tabulated spectrum and renormalise it to unit area (trapezoid,
    exact for the piecewise-linear reading), as xenon_er.md section 3 prescribes for the Bahcall tables.

    >>> e, f = with_origin([1.0, 2.0], [1.0, 1.0])
    >>> [round(float(x), 4) for x in f]
    [0.0, 0.6667, 0.6667]
    """
    e = np.asarray(e, dtype=float)
    f = np.asarray(f, dtype=float)
    if (
        e.ndim != 1
        or e.shape != f.shape
        or np.any(np.diff(e) <= 0)
        or not np.all((e >= 0) & (f >= 0) & (f < np.inf))
    ):
        raise ParameterError(
            "with_origin: e must be increasing and >= 0, f finite and >= 0, of the same length"
        )
    if e[0] > 0:
        e = np.concatenate([[0.0], e])
        f = np.concatenate([[0.0], f])
    area = np.trapezoid(f, e)
    if not area > 0:
        raise ParameterError("with_origin: the spectrum f has zero area")
    return e, f / area


def mean_energy(shape) -> float:
    """<E> = int E f dE / int f dE [GeV] of a piecewise-linear spectrum (e, f), exactly.

    Per segment int E (c + s E) dE = c d(E^2)/2 + s d(E^3)/3.

    >>> round(mean_energy(([0.0, 1.0, 2.0], [0.0, 1.0, 0.0])), 6)
    1.0
    """
    e, f = (np.asarray(a, dtype=float) for a in shape)
    de = np.diff(e)
    s = np.diff(f) / de
    c = f[:-1] - s * e[:-1]
    num = np.sum(c * (e[1:] ** 2 - e[:-1] ** 2) / 2.0 + s * (e[1:] ** 3 - e[:-1] ** 3) / 3.0)
    area = tail_moments(e, f).A_nodes[0]
    if not area > 0:
        raise ParameterError("mean_energy: the spectrum f has zero area")
    return float(num / area)


__all__ = [
    "ATOMS_PER_TONNE",
    "PER_ATOM_S_TO_TYR",
    "SECONDS_PER_YEAR",
    "SHELLS_EV",
    "SHELL_NAMES",
    "SHELL_OCCUPATION",
    "TREATMENTS",
    "TailMoments",
    "XenonAtom",
    "mean_energy",
    "tail_moments",
    "tmm_dR_dT",
    "tmm_kernel",
    "with_origin",
]
