"""Solar-neutrino electron-recoil spectra as VEGAS batch integrands.

The differential rate per target electron (``neutrino_electron.md`` section 7):

    dR/dT|_SM  = sum_c phi_c int_{E_min(T)} dE s_c(E) [P_ee dsig_e/dT + (1 - P_ee) dsig_x/dT]
    dR/dT|_TMM = sum_c phi_c int_{E_min(T)} dE s_c(E) (pi alpha^2/m_e^2)(1/T - 1/E) F(T)^2
                                               * sum_i P_i^c(E) sum_j |lambda_ji/mu_B|^2

with s_c the unit-area spectrum, phi_c the flux (B16-GS98), F(T) = 2 m_e T/(2 m_e T + m_A'^2) and
lambda = eps mu_D the Dirac-normalised moment in the mass basis.

Variables (section 9 of the same file): u_0 maps to ln T on [T_lo, T_hi], so the Jacobian
T ln(T_hi/T_lo) cancels the 1/T of the TMM; for continua u_1 maps to
E = F^-1(F(E_min(T)) + u_1 [1 - F(E_min(T))]), F the CDF of s_c, so that the spectrum cancels and
the kinematic limit T <= T_max(E) is built in. Lines are integrated in T only.

Units: T, E in GeV; the integrand (and so every histogram of it) is a rate per target electron
in s^-1 (a rate density in T times the Jacobian). ``detectors.borexino.PER_E_S_TO_CPD100T``
converts to counts per day per 100 t for Borexino's electron density.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from darktmm.spectra import nue, solar
from darktmm.spectra.constants import GEV2_TO_CM2
from darktmm.spectra.model import NUFIT52, Oscillation, check_antisymmetric
from darktmm.spectra.validate import ParameterError, check_range

#: Probabilities are tabulated on this many energies per component and interpolated linearly
#: (neutrino_electron.md section 9: they are smooth).
N_PROB_NODES = 200


@dataclass(frozen=True)
class RecoilProcess:
    """One solar component scattering on electrons, SM or dark TMM.

    Parameters
    ----------
    component: solar component name (``spectra.solar.COMPONENTS``).
    kind: ``"sm"`` or ``"tmm"``.
    T_lo, T_hi: recoil range [GeV]; T_hi is clipped to the kinematic maximum.
    m_ap: dark-photon mass [GeV] (TMM only; 0 is the photon).
    moment_muB: Dirac-normalised moment matrix lambda = eps mu_D in the mass basis [mu_B]
        (TMM only).
    osc, profile: oscillation parameters and production profile (x, f) (None: built-in default).
    corrections: SM cross section, ``"bks"`` (default) or ``"tree"``.
    electrons: optional per-T electron count Z_eff(T), a callable of T [GeV] returning a
        dimensionless array (e.g. ``spectra.xenon.XenonAtom``, the stepping approximation for
        xenon). It multiplies the cross section, so the integrand, :meth:`dR_dT` and
        :meth:`line_terms` become rates per *atom*. None (default): one free electron.

    Source: neutrino_electron.md sections 7 and 9 (rate and VEGAS map); fluxes B16-GS98
    (arXiv:1611.09867); SM cross sections of Bahcall, Kamionkowski & Sirlin (astro-ph/9502003).

    The zero-threshold SM rate of both 7Be lines is 48.28 cpd/100 t (solar_borexino.md sec. 3, with
    N_e = 3.307e31 per 100 t). A line is 1-d, so a midpoint rule over u stands in for VEGAS here:

    >>> import numpy as np
    >>> be7 = RecoilProcess("7Be", "sm", T_lo=1e-12, T_hi=1e-3)
    >>> u = (np.arange(20_000)[:, None] + 0.5) / 20_000
    >>> be7.ndim, round(float(be7(u).mean()) * 3.307e31 * 86400.0, 2)
    (1, 48.28)
    """

    component: str
    kind: str = "sm"
    T_lo: float = 0.05e-3
    T_hi: float = 20e-3
    m_ap: float = 0.0
    moment_muB: np.ndarray | None = None
    osc: Oscillation = NUFIT52
    profile: tuple | None = field(default=None, compare=False)
    corrections: str = "bks"
    line_index: int | None = None
    electrons: object | None = None

    def __post_init__(self):
        if self.component not in solar.COMPONENTS:
            raise ParameterError(
                f"solar component {self.component!r} is unknown; choose from {sorted(solar.COMPONENTS)}"
            )
        if self.kind not in ("sm", "tmm"):
            raise ParameterError(f"kind = {self.kind!r} must be 'sm' or 'tmm'")
        check_range("T_lo", self.T_lo, 0.0, None, unit="GeV", lo_open=True)
        check_range("T_hi", self.T_hi, self.T_lo, None, unit="GeV", lo_open=True)
        check_range("m_ap", self.m_ap, 0.0, None, unit="GeV")
        if self.line_index is not None:
            n = len(solar.COMPONENTS[self.component].lines)
            idx = self.line_index
            if isinstance(idx, bool) or not isinstance(idx, (int, np.integer)) or not 0 <= idx < n:
                raise ParameterError(
                    f"line_index = {idx!r} is outside [0, {n}) ({self.component} has {n} lines)"
                )
        if self.kind == "tmm" and self.moment_muB is not None:
            check_antisymmetric("moment_muB", self.moment_muB)

    # -- component data -----------------------------------------------------
    @cached_property
    def comp(self):
        """The solar component; with ``line_index`` only that line (branching kept).

        >>> [(round(e * 1e3, 4), br) for e, br in RecoilProcess("7Be", line_index=1).comp.lines]
        [(0.3843, 0.1044)]
        """
        c = solar.COMPONENTS[self.component]
        if self.line_index is not None:
            import dataclasses

            line = c.lines[self.line_index]
            c = dataclasses.replace(c, lines=(line,), endpoint_GeV=line[0])
        return c

    @property
    def is_line(self) -> bool:
        """True for a mono-energetic component (integrated in T only, neutrino_electron.md sec. 9)."""
        return bool(self.comp.lines)

    @property
    def ndim(self) -> int:
        """Number of unit-cube variables: 1 for a line (ln T), 2 for a continuum (ln T, CDF of E)."""
        return 1 if self.is_line else 2

    @cached_property
    def e_max(self) -> float:
        """Largest neutrino energy of the component [GeV] (line energy or spectrum endpoint)."""
        return max(e for e, _ in self.comp.lines) if self.is_line else float(self.comp.endpoint_GeV)

    @cached_property
    def t_range(self) -> tuple[float, float]:
        """(T_lo, min(T_hi, T_max(e_max))) [GeV]: the recoil range actually integrated.

        >>> lo, hi = RecoilProcess("pp", T_lo=1e-5, T_hi=1.0).t_range
        >>> round(hi * 1e3, 5)  # T_max at the pp endpoint, 0.26406 MeV (neutrino_electron.md sec. 1)
        0.26406
        """
        t_hi = min(self.T_hi, float(nue.t_max(self.e_max)))
        if t_hi <= self.T_lo:
            return (self.T_lo, self.T_lo)
        return (self.T_lo, t_hi)

    @property
    def empty(self) -> bool:
        """True when the recoil range is empty (T_lo above the kinematic maximum).

        >>> RecoilProcess("7Be", T_lo=0.7e-3, T_hi=1e-3).empty  # T_max(0.8613 MeV) = 0.664 MeV
        True
        """
        lo, hi = self.t_range
        return hi <= lo

    @cached_property
    def _prob_table(self):
        lo = 1e-5 if not self.is_line else min(e for e, _ in self.comp.lines)
        e = np.geomspace(max(lo, 1e-6), self.e_max, N_PROB_NODES) if not self.is_line else None
        if e is None:
            e = np.array(sorted(x for x, _ in self.comp.lines))
        p = solar.mass_fractions(e, self.component, self.osc, self.profile)
        return e, np.asarray(p)

    def mass_fractions(self, E):
        """P_i(E) interpolated from :data:`N_PROB_NODES` nodes, shape (n, 3).

        Source: neutrino_electron.md sec. 8-9 (check value P1 = 0.619 for 7Be at 0.8613 MeV).

        >>> import numpy as np
        >>> [round(float(p), 3) for p in RecoilProcess("7Be").mass_fractions(np.array([0.8613e-3]))[0]]
        [0.619, 0.359, 0.022]
        """
        e, p = self._prob_table
        if len(e) == 1:
            return np.broadcast_to(p[0], (np.size(E), 3))
        E = np.asarray(E, dtype=float)
        if self.is_line and E.ndim == 1 and E.size and (E == E[0]).all():
            # every point at one line energy, a node of the table: interpolation returns that row
            hit = np.flatnonzero(e == E[0])
            if hit.size:
                return np.tile(p[hit[0]], (E.size, 1))
        return self._prob_interp(E)

    @cached_property
    def _prob_interp(self):
        e, p = self._prob_table
        return solar.GridInterp(e, p, cells=1 << 12)

    def pee(self, E):
        """P_ee(E) = sum_i |U_ei|^2 P_i(E) (neutrino_electron.md section 8).

        Dimensionless, E in GeV; check value 0.5285 for 7Be at 0.8613 MeV (NuFIT 5.2):

        >>> import numpy as np
        >>> round(float(RecoilProcess("7Be").pee(np.array([0.8613e-3]))[0]), 4)
        0.5285
        """
        ue2 = np.abs(self.osc.pmns()[0]) ** 2
        return self.mass_fractions(E) @ ue2

    @cached_property
    def _column_norms(self):
        if self.moment_muB is None:
            raise ParameterError("a TMM process needs moment_muB (lambda = eps mu_D, mass basis, mu_B)")
        lam = np.asarray(self.moment_muB, dtype=complex)
        return np.sum(np.abs(lam) ** 2, axis=0)  # sum_j |lambda_ji|^2 for each i

    # -- cross-section part -------------------------------------------------
    def _xsec(self, E, T):
        """Cross-section factor [cm^2 / GeV] including oscillation weights (and Z_eff(T) if given)."""
        if self.kind == "sm":
            pe = self.pee(E)
            ds = pe * nue.dsigma_dT_sm(E, T, "e", self.corrections) + (1.0 - pe) * nue.dsigma_dT_sm(
                E, T, "x", self.corrections
            )
        else:
            musq = self.mass_fractions(E) @ self._column_norms
            ds = nue.dsigma_dT_tmm(E, T, 1.0, self.m_ap) * musq
        if self.electrons is not None:
            ds = ds * self.electrons(T)
        return ds * GEV2_TO_CM2

    # -- the VEGAS map ------------------------------------------------------
    def T_of(self, u):
        """Recoil energy T [GeV] of unit-cube points: T = T_lo (T_hi/T_lo)^u_0 (neutrino_electron.md sec. 9).

        >>> import numpy as np
        >>> u = np.array([[0.0, 0.5], [1.0, 0.5]])
        >>> RecoilProcess("pp", T_lo=1e-4, T_hi=1e-3).T_of(u).round(8).tolist()  # T_max(pp) = 0.26406 MeV
        [0.0001, 0.00026406]
        """
        lo, hi = self.t_range
        return lo * np.exp(u[:, 0] * np.log(hi / lo))

    def _continuum_E(self, u, T):
        """Neutrino energy of a continuum at (u, T): E = F^-1(F(E_min) + u_1 (1 - F(E_min))), and F(E_min)."""
        emin = nue.e_min(T)
        f0 = solar.spectrum_cdf(self.component, emin)
        E = solar.spectrum_ppf(self.component, f0 + u[:, 1] * (1.0 - f0))
        return np.maximum(E, emin), f0

    def __call__(self, u: np.ndarray) -> np.ndarray:
        """Batch integrand on [0,1]^ndim: rate per target electron in s^-1 (Jacobian included)."""
        if np.ndim(u) != 2 or np.shape(u)[1] != self.ndim:
            raise ParameterError(f"u must have shape (n, {self.ndim}), got {np.shape(u)}")
        lo, hi = self.t_range
        if hi <= lo:
            return np.zeros(len(u))
        L = np.log(hi / lo)
        T = lo * np.exp(u[:, 0] * L)
        jac = T * L
        if self.is_line:
            out = np.zeros(len(u))
            for e_line, br in self.comp.lines:
                out += br * self._xsec(np.full_like(T, e_line), T)
            return self.comp.flux_cm2_s * jac * out
        E, f0 = self._continuum_E(u, T)
        return self.comp.flux_cm2_s * jac * (1.0 - f0) * self._xsec(E, T)

    def kinematics(self, u: np.ndarray) -> dict:
        """Physical variables at the unit-cube points of :meth:`__call__`: ``T`` and ``E_nu`` [GeV].

        For a continuum E_nu follows from u_1 exactly as in the integrand; a single line has its
        energy. A source of several lines is integrated in T only, so E_nu is not a function of u
        there: it is NaN, and :meth:`line_terms` gives each line's share of the integrand at T
        (pick the line with probabilities proportional to it).

        >>> import numpy as np
        >>> k = RecoilProcess("7Be", line_index=0, T_lo=1e-4, T_hi=1e-3).kinematics(np.array([[0.0]]))
        >>> k["T"].tolist(), k["E_nu"].tolist()
        ([0.0001], [0.0008613])
        """
        T = self.T_of(u)
        if self.is_line:
            e = self.comp.lines[0][0] if len(self.comp.lines) == 1 else np.nan
            return {"T": T, "E_nu": np.full_like(T, e)}
        return {"T": T, "E_nu": self._continuum_E(u, T)[0]}

    def line_terms(self, T) -> np.ndarray:
        """Per-line terms br_l dsigma/dT(E_l, T) [cm^2/GeV] of a line source, shape (n, n_lines): the
        summands of the line integrand at recoil energies T [GeV] (zero above each line's T_max).

        Source: dsigma/dT of spectra.nue (neutrino_electron.md sec. 2); the 384 keV line has
        T_max = 0.23083 MeV, so it is zero at T = 0.3 MeV:

        >>> import numpy as np
        >>> terms = RecoilProcess("7Be").line_terms(np.array([0.3e-3]))
        >>> terms.shape, bool(terms[0, 0] > 0), float(terms[0, 1])
        ((1, 2), True, 0.0)
        """
        T = np.asarray(T, dtype=float)
        return np.stack([br * self._xsec(np.full_like(T, e), T) for e, br in self.comp.lines], axis=-1)

    def dR_dT(self, T, *, epsabs=0.0, epsrel=1e-8):
        """Differential rate per electron [s^-1 GeV^-1] at recoil energies T by adaptive quadrature.

        The independent check of the VEGAS integrand: scipy.integrate.quad over E from E_min(T).

        For a line it is flux x branching x dsigma/dT. With a flavour-blind moment mu_eff = sqrt(2) 1e-11
        mu_B (neutrino_electron.md sec. 7) the 862 keV line at T = 0.3 MeV gives:

        >>> import math
        >>> import numpy as np
        >>> from darktmm.spectra import nue
        >>> from darktmm.spectra.model import moment_from_lambdas
        >>> lam = moment_from_lambdas(1e-11, 1e-11, 1e-11)
        >>> p = RecoilProcess("7Be", "tmm", T_lo=1e-4, T_hi=1e-3, moment_muB=lam, line_index=0)
        >>> by_hand = 4.93e9 * 0.8956 * nue.dsigma_dT_tmm(0.8613e-3, 0.3e-3, math.sqrt(2e-22)) * GEV2_TO_CM2
        >>> round(float(p.dR_dT(0.3e-3)[0] / by_hand), 10)
        1.0
        """
        from scipy.integrate import quad

        T = np.atleast_1d(np.asarray(T, dtype=float))
        out = np.zeros_like(T)
        for k, t in enumerate(T):
            if self.is_line:
                out[k] = sum(br * self._xsec(np.array([e]), np.array([t]))[0] for e, br in self.comp.lines)
                out[k] *= self.comp.flux_cm2_s
                continue
            emin = float(nue.e_min(t))
            if emin >= self.e_max:
                continue

            def g(E, t=t):
                return float(
                    solar.spectrum_shape(self.component, np.array([E]))[0]
                    * self._xsec(np.array([E]), np.array([t]))[0]
                )

            val, _ = quad(g, emin, self.e_max, epsabs=epsabs, epsrel=epsrel, limit=200)
            out[k] = self.comp.flux_cm2_s * val
        return out
