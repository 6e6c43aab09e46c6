"""The dark-sector model point: dark photon A' and the dark transition magnetic moment.

Conventions (``shared/physics/README.md`` section 3):

* Kinetic mixing L > -(eps/2) F F'; the A' couples to the electromagnetic current with
  strength eps*e. Every observable goes as eps^2, so eps >= 0 is required.
* The dark TMM ``mu_D`` is the **Dirac-normalised** Majorana transition-moment matrix in the
  neutrino *mass* basis, stored in units of the Bohr magneton mu_B. It is complex and
  antisymmetric, lambda_ij = -lambda_ji, lambda_ii = 0 (Schechter & Valle; Grimus et al.,
  hep-ph/0208132). Magnetic and electric parts combine as lambda = mu - i d.
* The three independent entries are Lambda_l with lambda_jk = eps_jkl Lambda_l:
  Lambda_1 = lambda_23, Lambda_2 = lambda_31, Lambda_3 = lambda_12.
* Flavour and mass bases: lambda^flav = U* lambda^mass U^dagger, lambda^mass = U^T lambda^flav U,
  with U the PMNS matrix including Majorana phases (neutrino_electron.md section 6).
* Paper convention: arXiv:2603.25704 writes the dipole with a Lagrangian prefactor that is not yet
  matched ([P] in the reference). :data:`PAPER_LAGRANGIAN_FACTOR` converts the paper's (mu_D)_ij to
  the Dirac-normalised moment stored here; it is fixed by the massless-mediator statement
  mu_eff = eps mu_D (see ``tests/test_model.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from darktmm.spectra.constants import MU_B
from darktmm.spectra.validate import ParameterError, check_range

#: Factor that turns the paper's (mu_D)_ij into the Dirac-normalised moment used here.
#: 1 for a Lagrangian (1/4) sum_ij or (1/2) sum_{i<j}; 2 for (1/2) sum_ij (README section 3.3). [P]
PAPER_LAGRANGIAN_FACTOR = 1.0


@dataclass(frozen=True)
class Oscillation:
    """Three-flavour mixing parameters (normal ordering).

    Defaults: NuFIT 5.2 (``shared/physics/neutrino_electron.md`` section 8).
    ``dm21_eV2`` in eV^2, ``delta_deg`` in degrees; Majorana phases ``alpha21_deg``, ``alpha31_deg``.

    Source: NuFIT 5.2 (normal ordering) as quoted in neutrino_electron.md sec. 8; NuFIT 6.0
    (arXiv:2410.05380) in :data:`NUFIT60`. Out-of-range mixing raises ParameterError.

    >>> osc = Oscillation()
    >>> osc.label, osc.s12sq, osc.dm21_eV2
    ('NuFIT 5.2 NO', 0.303, 7.41e-05)
    >>> Oscillation(s12sq=1.2)
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: s12sq = 1.2 is outside the allowed range [0, 1]
    """

    s12sq: float = 0.303
    s13sq: float = 0.02225
    s23sq: float = 0.451
    delta_deg: float = 232.0
    dm21_eV2: float = 7.41e-5
    alpha21_deg: float = 0.0
    alpha31_deg: float = 0.0
    label: str = "NuFIT 5.2 NO"

    def __post_init__(self):
        for name in ("s12sq", "s13sq", "s23sq"):
            check_range(name, getattr(self, name), 0.0, 1.0)
        check_range("dm21_eV2", self.dm21_eV2, 0.0, None, unit="eV^2", lo_open=True)
        for name in ("delta_deg", "alpha21_deg", "alpha31_deg"):
            check_range(name, getattr(self, name), unit="deg")

    def pmns(self) -> np.ndarray:
        """PMNS matrix U_{alpha i} (PDG parametrisation, times diag(1, e^{i a21/2}, e^{i a31/2})).

        Source: PDG review "Neutrino mixing" (standard parametrisation); neutrino_electron.md sec. 6.
        Dimensionless, complex 3x3, rows alpha = e, mu, tau, columns i = 1, 2, 3.

        It is unitary, and its first row gives |U_e2|^2 = s12^2 c13^2 and |U_e3|^2 = s13^2:

        >>> import numpy as np
        >>> u = NUFIT52.pmns()
        >>> bool(np.allclose(u @ u.conj().T, np.eye(3)))
        True
        >>> [round(float(x), 5) for x in np.abs(u[0]) ** 2]
        [0.68149, 0.29626, 0.02225]
        """
        s12, s13, s23 = (math.sqrt(x) for x in (self.s12sq, self.s13sq, self.s23sq))
        c12, c13, c23 = (math.sqrt(1 - x) for x in (self.s12sq, self.s13sq, self.s23sq))
        ed = np.exp(1j * math.radians(self.delta_deg))
        u = np.array(
            [
                [c12 * c13, s12 * c13, s13 / ed],
                [-s12 * c23 - c12 * s23 * s13 * ed, c12 * c23 - s12 * s23 * s13 * ed, s23 * c13],
                [s12 * s23 - c12 * c23 * s13 * ed, -c12 * s23 - s12 * c23 * s13 * ed, c23 * c13],
            ],
            dtype=complex,
        )
        maj = np.diag(
            [
                1.0,
                np.exp(0.5j * math.radians(self.alpha21_deg)),
                np.exp(0.5j * math.radians(self.alpha31_deg)),
            ]
        )
        return u @ maj


NUFIT52 = Oscillation()
NUFIT60 = Oscillation(
    s12sq=math.sin(math.radians(33.68)) ** 2,
    s13sq=math.sin(math.radians(8.56)) ** 2,
    s23sq=math.sin(math.radians(43.3)) ** 2,
    delta_deg=212.0,
    dm21_eV2=7.49e-5,
    label="NuFIT 6.0 NO",
)


def moment_from_lambdas(lam1, lam2, lam3) -> np.ndarray:
    """Antisymmetric 3x3 moment matrix from (Lambda_1, Lambda_2, Lambda_3) = (l23, l31, l12).

    Source: neutrino_electron.md section 6 (Grimus et al., hep-ph/0208132). Units follow the inputs.

    >>> moment_from_lambdas(1, 2, 3).real
    array([[ 0.,  3., -2.],
           [-3.,  0.,  1.],
           [ 2., -1.,  0.]])
    """
    try:
        l1, l2, l3 = (complex(x) for x in (lam1, lam2, lam3))
    except (TypeError, ValueError):
        raise ParameterError(
            f"lambdas (Lambda_1, Lambda_2, Lambda_3) = {(lam1, lam2, lam3)!r} are not numbers"
        ) from None
    return np.array([[0, l3, -l2], [-l3, 0, l1], [l2, -l1, 0]], dtype=complex)


def lambdas_from_moment(lam: np.ndarray) -> np.ndarray:
    """Inverse of :func:`moment_from_lambdas`: (l23, l31, l12).

    Source: neutrino_electron.md sec. 6 (lambda_jk = eps_jkl Lambda_l). Units follow the input.

    >>> lambdas_from_moment(moment_from_lambdas(1, 2, 3)).real.tolist()
    [1.0, 2.0, 3.0]
    """
    lam = np.asarray(lam)
    return np.array([lam[1, 2], lam[2, 0], lam[0, 1]])


def flavour_to_mass(lam_flav: np.ndarray, osc: Oscillation = NUFIT52) -> np.ndarray:
    """lambda^mass = U^T lambda^flav U (neutrino_electron.md section 6).

    U is :meth:`Oscillation.pmns` (dimensionless), so the units of the moment are kept. The
    rotation is unitary: antisymmetry and sum_ij |lambda_ij|^2 survive it, and
    :func:`mass_to_flavour` undoes it.

    >>> import numpy as np
    >>> lam = flavour_to_mass(moment_from_lambdas(1, 2, 3))
    >>> bool(np.allclose(lam, -lam.T)), round(float(np.sum(np.abs(lam) ** 2)), 10)
    (True, 28.0)
    """
    u = osc.pmns()
    return u.T @ np.asarray(lam_flav, dtype=complex) @ u


def mass_to_flavour(lam_mass: np.ndarray, osc: Oscillation = NUFIT52) -> np.ndarray:
    """lambda^flav = U* lambda^mass U^dagger (neutrino_electron.md section 6).

    The inverse of :func:`flavour_to_mass` (units of the input kept):

    >>> import numpy as np
    >>> lam = moment_from_lambdas(1e-11, 0, 0)
    >>> bool(np.allclose(mass_to_flavour(flavour_to_mass(lam)), lam))
    True
    """
    u = osc.pmns()
    return u.conj() @ np.asarray(lam_mass, dtype=complex) @ u.conj().T


def check_antisymmetric(name: str, lam: np.ndarray, rtol: float = 1e-10) -> np.ndarray:
    """Validate a 3x3 complex Majorana moment matrix: antisymmetric with zero diagonal.

    Source: Majorana antisymmetry lambda_ij = -lambda_ji, lambda_ii = 0 (Grimus et al.,
    hep-ph/0208132; shared/physics/README.md section 3.3). Units of the input (mu_B or GeV^-1);
    returns the matrix as a complex ndarray.

    >>> check_antisymmetric("mu_D", moment_from_lambdas(1, 2, 3)).dtype
    dtype('complex128')
    >>> check_antisymmetric("mu_D", [[0, 1, 0], [1, 0, 0], [0, 0, 0]])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: mu_D must be antisymmetric
    """
    try:
        a = np.asarray(lam, dtype=complex)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {lam!r} is not a numeric 3x3 matrix") from None
    if a.shape != (3, 3):
        raise ParameterError(f"{name} must be a 3x3 matrix, got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} has non-finite entries")
    scale = max(np.max(np.abs(a)), 1e-300)
    if np.max(np.abs(a + a.T)) > rtol * scale:
        raise ParameterError(
            f"{name} must be antisymmetric (Majorana: mu_ij = -mu_ji, mu_ii = 0); "
            f"max |mu + mu^T| = {np.max(np.abs(a + a.T)):.3g} muB"
        )
    return a


@dataclass(frozen=True)
class DarkSector:
    """A model point.

    Parameters
    ----------
    m_ap:
        Dark-photon mass m_A' [GeV], >= 0.
    eps:
        Kinetic mixing epsilon, 0 <= eps <= 1 (sign unobservable, README section 3.1).
    mu_D_muB:
        Dirac-normalised dark TMM matrix in the mass basis [mu_B], complex antisymmetric 3x3.
    gamma_dark:
        Extra invisible A' width into light dark states [GeV], >= 0.

    Source: conventions of shared/physics/README.md sections 3.1-3.3 (Dirac-normalised moment)
    and neutrino_electron.md sec. 6-7; model of arXiv:2603.25704.

    The photon limit (m_A' = 0) with a flavour-blind moment: every incoming mass state sees
    mu_eff^2 = 2 L^2 (neutrino_electron.md sec. 7), and mu_D in natural units is mu_B = 296.30 GeV^-1
    times the value in mu_B:

    >>> ds = DarkSector.flavour_blind(m_ap=0.0, eps=1e-4, mu_eff_muB=1e-6)
    >>> [f"{x:.4g}" for x in ds.column_norms_sq_muB2]
    ['1e-12', '1e-12', '1e-12']
    >>> f"{abs(ds.mu_D_GeV[0, 1]) / abs(ds.mu_D_muB[0, 1]):.5g}"
    '296.3'
    >>> DarkSector(m_ap=0.01, eps=2.0)
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: eps = 2 is outside the allowed range [0, 1]
    """

    m_ap: float = 0.0
    eps: float = 0.0
    mu_D_muB: np.ndarray = field(default_factory=lambda: np.zeros((3, 3), dtype=complex))
    gamma_dark: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "m_ap", check_range("m_ap", self.m_ap, 0.0, None, unit="GeV"))
        object.__setattr__(self, "eps", check_range("eps", self.eps, 0.0, 1.0))
        object.__setattr__(
            self, "gamma_dark", check_range("gamma_dark", self.gamma_dark, 0.0, None, unit="GeV")
        )
        mu = check_antisymmetric("mu_D", self.mu_D_muB)
        mu.setflags(write=False)
        object.__setattr__(self, "mu_D_muB", mu)

    @classmethod
    def from_lambdas(cls, m_ap: float, eps: float, lambdas_muB, gamma_dark: float = 0.0) -> DarkSector:
        """Build from (Lambda_1, Lambda_2, Lambda_3) in mu_B (mass basis).

        Source: Lambda_1 = lambda_23, Lambda_2 = lambda_31, Lambda_3 = lambda_12 (neutrino_electron.md
        sec. 6). m_ap [GeV], gamma_dark [GeV].

        >>> complex(DarkSector.from_lambdas(0.01, 1e-4, (0, 0, 2e-6)).mu_D_muB[0, 1])
        (2e-06+0j)
        """
        if isinstance(lambdas_muB, str) or not hasattr(lambdas_muB, "__len__") or len(lambdas_muB) != 3:
            raise ParameterError(
                f"lambdas_muB = {lambdas_muB!r} must be three numbers (Lambda_1, Lambda_2, Lambda_3)"
            )
        return cls(m_ap=m_ap, eps=eps, mu_D_muB=moment_from_lambdas(*lambdas_muB), gamma_dark=gamma_dark)

    @classmethod
    def from_flavour(cls, m_ap: float, eps: float, mu_flav_muB, osc: Oscillation = NUFIT52, gamma_dark=0.0):
        """Build from a flavour-basis antisymmetric matrix [mu_B], rotated with the PMNS matrix.

        Source: lambda^mass = U^T lambda^flav U (neutrino_electron.md sec. 6).

        >>> import numpy as np
        >>> ds = DarkSector.from_flavour(0.01, 1e-4, moment_from_lambdas(0, 0, 1e-6))  # a pure e-mu moment
        >>> f"{np.sum(np.abs(ds.mu_D_muB) ** 2):.4g}"  # the rotation keeps sum_ij |lambda_ij|^2 = 2e-12
        '2e-12'
        """
        lam = check_antisymmetric("mu_D (flavour basis)", mu_flav_muB)
        return cls(m_ap=m_ap, eps=eps, mu_D_muB=flavour_to_mass(lam, osc), gamma_dark=gamma_dark)

    @classmethod
    def flavour_blind(cls, m_ap: float, eps: float, mu_eff_muB: float, gamma_dark: float = 0.0) -> DarkSector:
        """A point with the same effective moment for every incoming mass state.

        With |Lambda_1| = |Lambda_2| = |Lambda_3| = L, sum_j |lambda_ji|^2 = |Lambda|^2 - |Lambda_i|^2 = 2 L^2
        for every i (neutrino_electron.md section 7), so mu_eff^2 = 2 L^2 independent of P_i(E).
        This is the validation configuration of solar_borexino.md section 7.3.

        >>> [f"{x:.4g}" for x in DarkSector.flavour_blind(0.0, 0.0, 2.8e-11).column_norms_sq_muB2]
        ['7.84e-22', '7.84e-22', '7.84e-22']
        """
        mu = check_range("mu_eff", mu_eff_muB, 0.0, None, unit="muB")
        lam = mu / math.sqrt(2.0)
        return cls.from_lambdas(m_ap, eps, (lam, lam, lam), gamma_dark)

    @property
    def mu_D_GeV(self) -> np.ndarray:
        """mu_D in natural units [GeV^-1] (mu_B = e/2m_e = 296.30 GeV^-1).

        Source: mu_B = e/(2 m_e), shared/physics/README.md section 2.

        >>> f"{DarkSector.from_lambdas(0.0, 0.0, (0, 0, 1.0)).mu_D_GeV[0, 1].real:.5g}"
        '296.3'
        """
        return self.mu_D_muB * MU_B

    @property
    def column_norms_sq_muB2(self) -> np.ndarray:
        """sum_j |mu_ji|^2 for each incoming mass state i [mu_B^2].

        Source: the Borexino effective moment mu_eff^2 = sum_i P_i sum_j |mu_ji|^2
        (neutrino_electron.md sec. 7). With only Lambda_3 = lambda_12, states 1 and 2 see it and 3 does not:

        >>> DarkSector.from_lambdas(0.0, 0.0, (0, 0, 1.0)).column_norms_sq_muB2.tolist()
        [1.0, 1.0, 0.0]
        """
        return np.sum(np.abs(self.mu_D_muB) ** 2, axis=0)
