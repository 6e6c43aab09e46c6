"""UV completion of the dark TMM: VLL doublet F = (N, E^-) + two mixed complex dark scalars.

Physics reference: ``shared/physics/uv_model_meg.md`` (sections cited per function) and
``shared/physics/README.md`` section 3.2-3.3; model of arXiv:2603.25704 (abstract only, so every
O(1) factor, sign and charge assignment below is [P]: to be matched to the paper's full text).

Units: natural units, masses in GeV, dipole amplitudes A in GeV^-2, moments in GeV^-1
(divide by :data:`spectra.constants.MU_B` = 296.30 GeV^-1 for Bohr magnetons), radiative masses
in eV. Flavour index order is (e, mu, tau); the Yukawa vectors y, y' live in the flavour basis of
the charged-lepton doublets, which is the neutrino flavour basis.

Contents

* :class:`UVModel` - validated model point (TOML cards via :meth:`UVModel.from_dict`).
* :func:`mixed_couplings` - Y_a of the scalar mass eigenstates (section 4).
* :func:`dark_tmm_matrix` - scalar-radiated Majorana dark TMM (section 5).
* :func:`fermion_radiated_orientations`, :func:`fermion_radiated_amplitude`,
  :func:`fermion_radiated_dark_tmm` - the A'-on-F loop
  built from its two fermion-flow orientations (section 5, last item; see the docstring for
  what does and does not cancel).
* :func:`dipole_amplitude`, :func:`lfv_amplitude`, :func:`br_mu_e_gamma`, :func:`br_tau_e_gamma`,
  :func:`br_tau_mu_gamma` - charged-lepton flavour violation (sections 1, 3, 4).
* :func:`amplitude_max`, :func:`cap_coefficient`, :func:`p_max_benchmark`,
  :func:`mu_D_max_benchmark`, :func:`mu_D_max_full`, :func:`mu_D_max_for_model` - the cLFV cap on
  mu_D (sections 4 and 6).
* :func:`radiative_mass_estimate`, :func:`radiative_mass_check` - radiative-mass caveat (section 5).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, fields

import numpy as np

from darktmm.spectra.constants import ALPHA, BR_TAU_ENUNU, BR_TAU_MUNUNU, EV, G_F, M_MU, M_TAU, MU_B
from darktmm.spectra.loops import delta_f_F, delta_g_F, delta_g_S, f_F, f_S, g_F, g_S
from darktmm.spectra.validate import ParameterError, check_range

#: Flavour labels in index order.
FLAVOURS = ("e", "mu", "tau")
#: Perturbativity bound on every Yukawa coupling, |y|, |y'| <= 4 pi (uv_model_meg.md section 6).
YUKAWA_MAX = 4.0 * math.pi
#: Default radiative-mass warning threshold [eV] (uv_model_meg.md section 5).
RADIATIVE_MASS_WARN_EV = 0.1
#: Dark charge of the internal fermion F relative to Q_D of the scalars: the neutrinos are dark
#: neutral, so Q_F + Q_S = 0 at every Yukawa vertex (uv_model_meg.md section 3 with Q_l -> 0). [P]
Q_F_OVER_Q_D = -1.0

_LOOP = 1.0 / (32.0 * math.pi**2)


def _flavour_index(f) -> int:
    if isinstance(f, str):
        if f not in FLAVOURS:
            raise ParameterError(f"flavour = {f!r} is not one of {FLAVOURS}")
        return FLAVOURS.index(f)
    try:
        i = int(f)
    except (TypeError, ValueError):
        raise ParameterError(f"flavour = {f!r} is neither one of {FLAVOURS} nor an index 0-2") from None
    if i != f or i not in (0, 1, 2):
        raise ParameterError(f"flavour index = {f!r} is outside the allowed range [0, 2]")
    return i


def _as_complex(name: str, v) -> complex:
    """A coupling from a number, a string ('1e-2+3e-3j') or a [re, im] pair (TOML has no complex)."""
    if isinstance(v, (list, tuple)) and len(v) == 2:
        re, im = (check_range(f"{name} (real/imag part)", t) for t in v)
        return complex(re, im)
    try:
        z = complex(v.replace(" ", "")) if isinstance(v, str) else complex(v)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {v!r} is not a (complex) number") from None
    if not (math.isfinite(z.real) and math.isfinite(z.imag)):
        raise ParameterError(f"{name} = {v!r} is not finite; allowed range |{name}| <= 4 pi")
    return z


def _yukawa_vector(name: str, v) -> tuple[complex, complex, complex]:
    try:
        items = list(v)
    except TypeError:
        raise ParameterError(f"{name} = {v!r} must be a sequence of 3 couplings (e, mu, tau)") from None
    if isinstance(v, str) or len(items) != 3:
        raise ParameterError(f"{name} = {v!r} must be a sequence of 3 couplings (e, mu, tau)")
    out = []
    for f, item in zip(FLAVOURS, items):
        label = f"{name}_{f}"
        z = _as_complex(label, item)
        check_range(f"|{label}|", abs(z), 0.0, YUKAWA_MAX)  # perturbativity |y| <= 4 pi
        out.append(z)
    return tuple(out)


def _mass_or_inf(name: str, v) -> float:
    """m2 may be +inf (decoupled second scalar); everything else must be a finite positive mass."""
    if isinstance(v, str) and v.strip().lower() in ("inf", "+inf", "infinity"):
        return math.inf
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {v!r} is not a number") from None
    if x == math.inf:
        return x
    return check_range(name, x, 0.0, None, unit="GeV", lo_open=True)


@dataclass(frozen=True)
class UVModel:
    """A UV model point (uv_model_meg.md, introduction and sections 4-5).

    Parameters
    ----------
    M_F:
        Vector-like lepton doublet mass [GeV], > 0.
    m1, m2:
        Dark-scalar mass eigenvalues [GeV], > 0; ``m2 = inf`` decouples the second scalar.
    theta:
        Scalar mixing angle [rad], in [0, pi/2].
    g_D, Q_D:
        Dark gauge coupling (in [0, 4 pi]) and dark charge of the scalars (finite).
    y, yp:
        Yukawa couplings (y_e, y_mu, y_tau), (y'_e, y'_mu, y'_tau) of the lepton doublets to F
        through the two gauge-basis scalars; complex allowed, |y|, |y'| <= 4 pi (perturbativity).

    Every violation raises :class:`~spectra.validate.ParameterError` naming the parameter, the
    value and the allowed range.

    >>> UVModel(M_F=1000.0, m1=1000.0, m2=float("inf"), theta=math.pi / 4).sin2theta
    1.0

    Source: uv_model_meg.md (model of arXiv:2603.25704, abstract only; O(1) factors [P]).

    >>> UVModel(M_F=1000.0, m1=1000.0, m2=1000.0, theta=2.0)  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: theta = 2 rad is outside the allowed range [0, 1.5708] rad
    """

    M_F: float
    m1: float
    m2: float
    theta: float
    g_D: float = 1.0
    Q_D: float = 1.0
    y: tuple = (0.0, 0.0, 0.0)
    yp: tuple = (0.0, 0.0, 0.0)

    def __post_init__(self):
        s = object.__setattr__
        s(self, "M_F", check_range("M_F", self.M_F, 0.0, None, unit="GeV", lo_open=True))
        s(self, "m1", check_range("m1", self.m1, 0.0, None, unit="GeV", lo_open=True))
        s(self, "m2", _mass_or_inf("m2", self.m2))
        s(self, "theta", check_range("theta", self.theta, 0.0, math.pi / 2, unit="rad"))
        s(self, "g_D", check_range("g_D", self.g_D, 0.0, 4.0 * math.pi))
        s(self, "Q_D", check_range("Q_D", self.Q_D))
        s(self, "y", _yukawa_vector("y", self.y))
        s(self, "yp", _yukawa_vector("yp", self.yp))

    @classmethod
    def from_dict(cls, d: dict) -> UVModel:
        """Build from a mapping (e.g. a TOML ``[uv]`` table); unknown or missing keys are errors.

        ``m2`` may be ``inf`` (TOML float) or the string ``"inf"``. Yukawa entries are numbers,
        complex strings ``"1e-2+3e-3j"`` or ``[re, im]`` pairs.

        >>> card = {"M_F": 1000.0, "m1": 1000.0, "m2": "inf", "theta": 0.5, "y": [[1e-2, 0.0], 0, 0]}
        >>> m = UVModel.from_dict(card)
        >>> m.m2, m.y[0]
        (inf, (0.01+0j))
        >>> UVModel.from_dict({"M_F": 1e3, "m1": 1e3, "m2": 2e3})  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        ...
        darktmm.spectra.validate.ParameterError: UV model card is missing required key(s) ['theta']
        """
        if not isinstance(d, dict):
            raise ParameterError(f"UV model card must be a table/dict, got {type(d).__name__}")
        allowed = [f.name for f in fields(cls)]
        unknown = sorted(set(d) - set(allowed))
        if unknown:
            raise ParameterError(f"unknown UV model key(s) {unknown}; allowed keys are {allowed}")
        missing = [k for k in ("M_F", "m1", "m2", "theta") if k not in d]
        if missing:
            raise ParameterError(f"UV model card is missing required key(s) {missing}")
        return cls(**d)

    @property
    def sin2theta(self) -> float:
        """sin 2 theta.

        Dimensionless; enters mu_D as sin 2theta/2 (uv_model_meg.md section 5).
        """
        return math.sin(2.0 * self.theta)

    @property
    def x1(self) -> float:
        """x_1 = M_F^2/m_1^2.

        Dimensionless loop variable of the first scalar (uv_model_meg.md section 3).

        >>> UVModel(M_F=2000.0, m1=1000.0, m2=float("inf"), theta=0.1).x1
        4.0
        """
        return (self.M_F / self.m1) ** 2

    @property
    def x2(self) -> float:
        """x_2 = M_F^2/m_2^2 (0 when the second scalar is decoupled).

        Dimensionless loop variable of the second scalar (uv_model_meg.md section 3).

        >>> UVModel(M_F=2000.0, m1=1000.0, m2=float("inf"), theta=0.1).x2
        0.0
        """
        return 0.0 if math.isinf(self.m2) else (self.M_F / self.m2) ** 2

    @property
    def y_array(self) -> np.ndarray:
        """The Yukawa vector y = (y_e, y_mu, y_tau) as a complex ndarray (dimensionless)."""
        return np.array(self.y, dtype=complex)

    @property
    def yp_array(self) -> np.ndarray:
        """The Yukawa vector y' = (y'_e, y'_mu, y'_tau) as a complex ndarray (dimensionless)."""
        return np.array(self.yp, dtype=complex)

    def scalar_masses(self) -> tuple[float, ...]:
        """The finite scalar masses (m2 dropped when decoupled) [GeV].

        >>> UVModel(M_F=1000.0, m1=500.0, m2=float("inf"), theta=0.1).scalar_masses()
        (500.0,)
        """
        return (self.m1,) if math.isinf(self.m2) else (self.m1, self.m2)


# --- section 4: mixed-scalar couplings --------------------------------------------------------


def mixed_couplings(model: UVModel) -> np.ndarray:
    """Y_a^alpha, couplings of l_alpha to (F, S_a) after scalar mixing; shape (2, 3), dimensionless.

    Y_1 = c_theta y + s_theta y',  Y_2 = -s_theta y + c_theta y'  (uv_model_meg.md section 4, [P]:
    "simplest assignment"). Row a = 0, 1 for the mass eigenstates m1, m2.

    At theta = pi/4 with y = (y_e, 0, 0), y' = (0, y'_mu, 0): Y_1 = (y_e, y'_mu, 0)/sqrt 2 and
    Y_2 = (-y_e, y'_mu, 0)/sqrt 2:

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=2000.0, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> (mixed_couplings(m).real * math.sqrt(2) / 1e-2).round(12).tolist()
    [[1.0, 1.0, 0.0], [-1.0, 1.0, 0.0]]
    """
    c, s = math.cos(model.theta), math.sin(model.theta)
    y, yp = model.y_array, model.yp_array
    return np.array([c * y + s * yp, -s * y + c * yp])


# --- section 5: scalar-radiated dark TMM -------------------------------------------------------


def _antisym_yukawa(model: UVModel) -> np.ndarray:
    k = np.outer(model.y_array, model.yp_array)
    return k - k.T  # (y_i y'_j - y_j y'_i), exactly antisymmetric in floating point


def dark_tmm_matrix(model: UVModel) -> np.ndarray:
    """Dirac-normalised Majorana dark TMM (mu_D)_ij [GeV^-1], flavour basis, 3x3 antisymmetric.

    Scalar-radiated loop (A' on the dark scalars, chirality flip on F), uv_model_meg.md section 5
    [D by analogy with Hisano et al., hep-ph/9510309, with e Q_S -> g_D Q_D]:

        (mu_D)_ij = (g_D Q_D/(32 pi^2)) (y_i y'_j - y_j y'_i) M_F (sin 2theta/2)
                    x [g_S(M_F^2/m1^2)/m1^2 - g_S(M_F^2/m2^2)/m2^2]

    The bracket is evaluated with :func:`spectra.loops.delta_g_S`, free of the 1/M_F^2
    cancellation at M_F >> m_a; ``m2 = inf`` drops the second term.

    Normalisation. This is the *Dirac-normalised* moment of README section 3.2 (vertex
    mu_ji sigma^{mu nu} q_nu P_L; Lagrangian -(1/4) sum_ij or -(1/2) sum_{i<j}, README section 3.3),
    the quantity stored in :class:`spectra.model.DarkSector` (after ``/ MU_B`` and the PMNS
    rotation :func:`spectra.model.flavour_to_mass`). Factor-2 pitfall: if the paper writes
    (1/2) sum_{i,j} over Majorana fields (or each pair once without the 1/2), its (mu_D)_ij is half
    of this one; :data:`spectra.model.PAPER_LAGRANGIAN_FACTOR` holds that conversion. The
    antisymmetrisation (y_i y'_j - y_j y'_i) already is the Majorana combination of the two
    fermion-flow orientations (see :func:`fermion_radiated_orientations`); no extra 1/2 or 2.

    Status [P]: prefactor, sign, the sin 2theta/2 and the charge assignment Q_D are to be matched
    to arXiv:2603.25704. Properties (tested): antisymmetric, zero for theta = 0, m1 = m2 or y' || y;
    mu_D ~ 1/M_F for m2 = inf and ~ ln M_F/M_F^3 with both scalars finite.

    Benchmark point M_F = m1 = 1 TeV, m2 decoupled, theta = pi/4, y_e = y'_mu = 0.01: the bracket is
    g_S(1)/m1^2 = 1/(3 m1^2), so mu_emu = (1/32 pi^2) 1e-4 M_F (1/2) / (3 m1^2); zero for theta = 0:

    >>> import dataclasses, math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> mu = dark_tmm_matrix(m)
    >>> expected = 1e-4 * 1000.0 * 0.5 / (3 * 1000.0**2) / (32 * math.pi**2)
    >>> round(float(mu[0, 1].real / expected), 10), bool((mu == -mu.T).all())
    (1.0, True)
    >>> float(abs(dark_tmm_matrix(dataclasses.replace(m, theta=0.0))).max())
    0.0
    """
    pref = model.g_D * model.Q_D * _LOOP * model.M_F * 0.5 * model.sin2theta
    return pref * delta_g_S(model.M_F, model.m1, model.m2) * _antisym_yukawa(model)


def dark_tmm_matrix_muB(model: UVModel) -> np.ndarray:
    """:func:`dark_tmm_matrix` in Bohr magnetons (flavour basis): (mu_D [GeV^-1]) / MU_B.

    Source: mu_B = e/(2 m_e) = 296.30 GeV^-1 (shared/physics/README.md section 2); uv_model_meg.md section 5.

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> f"{dark_tmm_matrix_muB(m)[0, 1].real:.4g}"
    '1.781e-13'
    """
    return dark_tmm_matrix(model) / MU_B


# --- section 5: fermion-radiated loop, two fermion-flow orientations ---------------------------


def _dirac_algebra():
    """Dirac-representation gamma^mu, gamma^5, P_L and C = i gamma^2 gamma^0 (Peskin & Schroeder)."""
    i2, z2 = np.eye(2), np.zeros((2, 2))
    sig = [np.array([[0, 1], [1, 0]]), np.array([[0, -1j], [1j, 0]]), np.array([[1, 0], [0, -1]])]
    g0 = np.block([[i2, z2], [z2, -i2]]).astype(complex)
    gs = [np.block([[z2, s], [-s, z2]]).astype(complex) for s in sig]
    gam = [g0, *gs]
    g5 = 1j * gam[0] @ gam[1] @ gam[2] @ gam[3]
    C = 1j * gam[2] @ gam[0]
    return gam, g5, (np.eye(4) - g5) / 2, C


def charge_conjugation_sign(gamma_structure: np.ndarray) -> float:
    """s with C Gamma^T C^-1 = s Gamma for a 4x4 Dirac structure (Denner et al., NPB 387 (1992) 467).

    s = +1 for 1, gamma5, P_L, P_R (Yukawa vertices) and -1 for gamma^mu (gauge vertex: the
    charge flip F -> F^c) and sigma^{mu nu} (the dipole). Raises if Gamma is not an eigen-structure.

    >>> import numpy as np
    >>> gamma0 = np.diag([1.0, 1.0, -1.0, -1.0])  # Dirac representation
    >>> charge_conjugation_sign(np.eye(4)), charge_conjugation_sign(gamma0)
    (1.0, -1.0)
    """
    _, _, _, C = _dirac_algebra()
    g = np.asarray(gamma_structure, dtype=complex)
    t = C @ g.T @ np.linalg.inv(C)
    for s in (1.0, -1.0):
        if np.allclose(t, s * g, atol=1e-14):
            return s
    raise ParameterError("Gamma is not an eigen-structure of C Gamma^T C^-1")


def _reversed_flow_sign(gauge_vertex: bool) -> float:
    """Sign picked up by a one-loop chain read against its fermion flow (F -> F^c).

    Two Yukawa vertices P_L (C P_L^T C^-1 = P_L), the propagators C S(p)^T C^-1 = S(-p) (the same
    loop integral with the momentum reversed), and, if present, the A' vertex gamma^mu
    (C gamma^T C^-1 = -gamma: F^c carries -Q_F).
    """
    gam, _, pl, _ = _dirac_algebra()
    s = charge_conjugation_sign(pl) ** 2
    if gauge_vertex:
        s *= charge_conjugation_sign(gam[1])
    return s


def fermion_radiated_orientations(model: UVModel) -> tuple[np.ndarray, np.ndarray]:
    """The two fermion-flow orientations (c^F, c^Fc) of the A'-on-F loop [GeV^-1], each 3x3.

    Set-up [P; uv_model_meg.md section 5 gives no Lagrangian]. The structure that reproduces the
    section-5 formula is a loop with nu_i at the y-vertex (F created together with S_1), nu_j at
    the y'-vertex (F annihilated with S_2), the LNV scalar mixing <S_1 S_2> = s c [D(m1) - D(m2)]
    and the chirality flip M_F on F. Dark-charge conservation at the vertices with dark-neutral
    neutrinos gives Q_F = -Q_S = -Q_D (:data:`Q_F_OVER_Q_D`). With the A' on F the loop function is
    Hisano's g_F (chargino-type, flip on the fermion), with the section-3 relative sign
    (-Q_S g_S <-> +Q_F g_F), so in the normalisation of :func:`dark_tmm_matrix`:

        orientation F (F flows from the nu_i vertex to the nu_j vertex, charge +Q_F):
            c^F_ij = (g_D (-Q_F)/(32 pi^2)) y_i y'_j M_F (sin 2theta/2)
                     [g_F(x1)/m1^2 - g_F(x2)/m2^2]

        orientation F^c (the other Wick contraction, nu_j on the y-vertex, read along the same
        external ordering, i.e. against the F flow): every vertex and propagator is replaced by
        C Gamma^T C^-1. The Yukawa vertices and the loop integral are unchanged, the A' vertex
        flips sign (F^c carries -Q_F), and the couplings are the transposed ones:
            c^Fc = s_rev c^F^T,    s_rev = (+1)^2 (-1) = -1

    s_rev is computed from explicit Dirac matrices (:func:`charge_conjugation_sign`), not typed in.
    The Majorana moment is the sum, mu^F = c^F + c^Fc = c^F - c^F^T.

    What cancels, and what does not (derived here; this is *not* what the abstract claims):

    * the flavour-symmetric part of the two orientations cancels identically, for arbitrary
      complex Yukawas (and with it every diagonal moment) - this is the Majorana self-conjugacy;
    * the same bookkeeping without the A' vertex (s_rev = +1) gives c + c^T, the symmetric
      radiative Majorana mass of :func:`radiative_mass_estimate`;
    * the antisymmetric part does *not* cancel: it has the same flavour structure
      (y_i y'_j - y_j y'_i) as the scalar-radiated piece, and g_F(1) = 2 g_S(1). The same
      orientation argument applied to the scalar line reproduces :func:`dark_tmm_matrix`. The
      "identical cancellation" of the fermion-radiated loop stated in arXiv:2603.25704 therefore
      needs a model feature not contained in the reference; [P].

    The flavour-symmetric part cancels (c^Fc = -c^F^T), the antisymmetric part does not: at
    x = 1 the sum is g_F(1)/g_S(1) = 2 times the scalar-radiated :func:`dark_tmm_matrix`:

    >>> import math
    >>> import numpy as np
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> c_f, c_fc = fermion_radiated_orientations(m)
    >>> ratio = (c_f + c_fc)[0, 1].real / dark_tmm_matrix(m)[0, 1].real
    >>> bool(np.allclose(c_fc, -c_f.T)), round(float(ratio), 10)
    (True, 2.0)
    """
    pref = model.g_D * (-Q_F_OVER_Q_D * model.Q_D) * _LOOP * model.M_F * 0.5 * model.sin2theta
    c_f = pref * delta_g_F(model.M_F, model.m1, model.m2) * np.outer(model.y_array, model.yp_array)
    c_fc = _reversed_flow_sign(gauge_vertex=True) * c_f.T
    return c_f, c_fc


def fermion_radiated_amplitude(model: UVModel, orientation: str = "F") -> np.ndarray:
    """One orientation of :func:`fermion_radiated_orientations`: ``"F"`` (c^F) or ``"Fc"`` (c^Fc) [GeV^-1].

    Source: uv_model_meg.md section 5 (last item) [P].

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> bool((fermion_radiated_amplitude(m, "Fc") == fermion_radiated_orientations(m)[1]).all())
    True
    """
    c_f, c_fc = fermion_radiated_orientations(model)
    if orientation == "F":
        return c_f
    if orientation == "Fc":
        return c_fc
    raise ParameterError(f"orientation = {orientation!r} is not one of ('F', 'Fc')")


def fermion_radiated_dark_tmm(model: UVModel) -> np.ndarray:
    """Majorana moment of the fermion-radiated loop, c^F + c^Fc [GeV^-1] (diagnostic, not in mu_D).

    See :func:`fermion_radiated_orientations`. Not added to :func:`dark_tmm_matrix`, which follows
    uv_model_meg.md section 5 ("implement only the scalar-radiated piece").

    Antisymmetric by construction (the Majorana combination of the two orientations):

    >>> import math
    >>> import numpy as np
    >>> m = UVModel(M_F=800.0, m1=1000.0, m2=3000.0, theta=0.3, y=(1e-2, 2e-3, 0), yp=(0, 1e-2, 5e-3))
    >>> mu = fermion_radiated_dark_tmm(m)
    >>> bool(np.allclose(mu, -mu.T)), float(abs(np.diag(mu)).max())
    (True, 0.0)
    """
    c_f, c_fc = fermion_radiated_orientations(model)
    return c_f + c_fc


# --- sections 1 and 3: general dipole amplitude and branching ratios ---------------------------


def dipole_amplitude(lam_L_f, lam_L_i, lam_R_f, lam_R_i, M, m_S, Q_S, Q_F, m_i):
    """One-loop dipole amplitudes (A_L, A_R) [GeV^-2] for l_i -> l_f gamma, Hisano normalisation.

    Interaction L = Fbar (lam_L^a P_L + lam_R^a P_R) l_a S^* + h.c. with Q_F + Q_S = Q_l = -1;
    T = e eps*^alpha ubar_f m_i i sigma_{alpha beta} q^beta (A_L P_L + A_R P_R) u_i
    (Hisano et al., hep-ph/9510309; uv_model_meg.md section 3), x = M^2/m_S^2:

        A_R = 1/(32 pi^2 m_S^2) { -Q_S [lam_L^f* lam_L^i f_S + lam_L^f* lam_R^i (M/m_i) g_S]
                                  +Q_F [lam_L^f* lam_L^i f_F + lam_L^f* lam_R^i (M/m_i) g_F] }

    and A_L from L <-> R. Neutralino-slepton: Q_F = 0, Q_S = -1; chargino-sneutrino: Q_F = -1,
    Q_S = 0. The relative sign of the Q_S and Q_F pieces is [P]. Masses M, m_S, m_i in GeV
    (M, m_S > 0); couplings dimensionless (complex); all arguments broadcast.

    Chargino-like loop (Q_F = -1, Q_S = 0) with lam_L = 1 and M = m_S: A_R = -f_F(1)/(32 pi^2 m_S^2),
    A_L = 0 (f_F(1) = 1/12):

    >>> import math
    >>> from darktmm.spectra.constants import M_MU
    >>> a_l, a_r = dipole_amplitude(1.0, 1.0, 0.0, 0.0, 1000.0, 1000.0, 0.0, -1.0, M_MU)
    >>> abs(complex(a_l)), round(complex(a_r).real * 32 * math.pi**2 * 1000.0**2, 12)
    (0.0, -0.083333333333)
    """
    M = np.asarray(M, dtype=float)
    m_S = np.asarray(m_S, dtype=float)
    if np.any(~(M > 0)) or np.any(~(m_S > 0)) or np.any(~np.isfinite(M)) or np.any(~np.isfinite(m_S)):
        raise ParameterError(f"dipole_amplitude needs finite M > 0 and m_S > 0 GeV, got M={M!r}, m_S={m_S!r}")
    m_i = check_range("m_i", m_i, 0.0, None, unit="GeV", lo_open=True)
    x = (M / m_S) ** 2
    lLf, lLi, lRf, lRi = (np.asarray(v, dtype=complex) for v in (lam_L_f, lam_L_i, lam_R_f, lam_R_i))
    r = M / m_i
    fs, gs, ff, gf = f_S(x), g_S(x), f_F(x), g_F(x)
    pre = _LOOP / m_S**2
    a_r = pre * (
        -Q_S * (np.conj(lLf) * lLi * fs + np.conj(lLf) * lRi * r * gs)
        + Q_F * (np.conj(lLf) * lLi * ff + np.conj(lLf) * lRi * r * gf)
    )
    a_l = pre * (
        -Q_S * (np.conj(lRf) * lRi * fs + np.conj(lRf) * lLi * r * gs)
        + Q_F * (np.conj(lRf) * lRi * ff + np.conj(lRf) * lLi * r * gf)
    )
    return a_l, a_r


def br_from_amplitude(A_L, A_R, br_lnunu: float = 1.0):
    """BR(l_i -> l_f gamma) = BR(l_i -> l_f nu nu) x 48 pi^3 alpha (|A_L|^2 + |A_R|^2)/G_F^2.

    uv_model_meg.md section 1 (Hisano et al., hep-ph/9510309): for the muon br_lnunu = 1; for the
    tau use BR(tau -> e nu nu) = 0.1782, BR(tau -> mu nu nu) = 0.1739 (PDG). A in GeV^-2.

    The check value of uv_model_meg.md section 1: A = 1e-12 GeV^-2 in one chirality gives BR = 7.983e-14:

    >>> f"{float(br_from_amplitude(1e-12, 0.0)):.4g}"
    '7.983e-14'
    """
    br_lnunu = check_range("br_lnunu", br_lnunu, 0.0, 1.0, lo_open=True)
    return br_lnunu * 48.0 * math.pi**3 * ALPHA * (np.abs(A_L) ** 2 + np.abs(A_R) ** 2) / G_F**2


_LEPTON_MASS = {1: M_MU, 2: M_TAU}


def lfv_amplitude(model: UVModel, initial, final) -> tuple[complex, complex]:
    """(A_L, A_R) [GeV^-2] for l_initial -> l_final gamma in the VLL model (uv_model_meg.md section 4).

    The charged member E^- (Q_F = -1) runs with the SM-neutral dark scalars (Q_S = 0), so the
    photon attaches to the fermion and f_F applies; only doublet (left-handed) couplings,
    lam_L = Y_a (:func:`mixed_couplings`), lam_R = 0, hence no chirality enhancement:

        A_R = -(1/(32 pi^2)) sum_a Y_a^f* Y_a^i f_F(x_a)/m_a^2,   A_L = 0.

    Single scalar, theta = pi/4, y_e = y'_mu = 0.01: Y_1^e* Y_1^mu = 1e-4/2, so
    A_R = -(1/32 pi^2) (1e-4/2) f_F(1)/m1^2:

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> a_l, a_r = lfv_amplitude(m, "mu", "e")
    >>> a_l, round(a_r.real / (-0.5e-4 / 12 / 1000.0**2 / (32 * math.pi**2)), 10)
    (0j, 1.0)
    """
    i, f = _flavour_index(initial), _flavour_index(final)
    if i <= f:
        raise ParameterError(f"lfv_amplitude needs a heavier initial lepton, got {initial!r} -> {final!r}")
    Y = mixed_couplings(model)
    a_l = a_r = 0.0 + 0.0j
    for a, m_a in enumerate(model.scalar_masses()):
        dl, dr = dipole_amplitude(Y[a, f], Y[a, i], 0.0, 0.0, model.M_F, m_a, 0.0, -1.0, _LEPTON_MASS[i])
        a_l, a_r = a_l + complex(dl), a_r + complex(dr)
    return a_l, a_r


def br_mu_e_gamma(model: UVModel) -> float:
    """BR(mu -> e gamma) = (3 alpha/(64 pi G_F^2)) |sum_a Y_a^e* Y_a^mu f_F(x_a)/m_a^2|^2 (section 4).

    Source: uv_model_meg.md section 4 (Hisano et al., hep-ph/9510309). Dimensionless. The benchmark
    point above saturates the MEG II limit 1.5e-13 at |y_e y'_mu| sin 2theta/2 = P_max = 5.2e-3
    (:func:`p_max_benchmark`); with 1e-4/2 it is (5e-5/5.195e-3)^2 x 1.5e-13:

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> p_max = float(p_max_benchmark(1000.0, 1000.0, cap_coefficient(1.5e-13)))
    >>> f"{br_mu_e_gamma(m):.4g}", f"{(5e-5 / p_max) ** 2 * 1.5e-13:.4g}"
    ('1.389e-17', '1.389e-17')
    """
    return float(br_from_amplitude(*lfv_amplitude(model, "mu", "e")))


def br_tau_e_gamma(model: UVModel) -> float:
    """BR(tau -> e gamma) = BR(tau -> e nu nu) x 48 pi^3 alpha |A|^2/G_F^2 (sections 1 and 4).

    Source: uv_model_meg.md sections 1 and 4 (BR(tau -> e nu nu) = 0.1782, PDG). Dimensionless; zero
    without a tau coupling:

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 1e-2), yp=(0, 0, 0))
    >>> f"{br_tau_e_gamma(m) / br_from_amplitude(*lfv_amplitude(m, 'tau', 'e')):.4g}"
    '0.1782'
    """
    return float(br_from_amplitude(*lfv_amplitude(model, "tau", "e"), br_lnunu=BR_TAU_ENUNU))


def br_tau_mu_gamma(model: UVModel) -> float:
    """BR(tau -> mu gamma) = BR(tau -> mu nu nu) x 48 pi^3 alpha |A|^2/G_F^2 (sections 1 and 4).

    Source: uv_model_meg.md sections 1 and 4 (BR(tau -> mu nu nu) = 0.1739, PDG). Dimensionless.

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(0, 1e-2, 1e-2), yp=(0, 0, 0))
    >>> f"{br_tau_mu_gamma(m) / br_from_amplitude(*lfv_amplitude(m, 'tau', 'mu')):.4g}"
    '0.1739'
    """
    return float(br_from_amplitude(*lfv_amplitude(model, "tau", "mu"), br_lnunu=BR_TAU_MUNUNU))


#: Leptonic branching ratio of the decaying lepton for each (final, initial) flavour pair.
BR_LNUNU = {("e", "mu"): 1.0, ("e", "tau"): BR_TAU_ENUNU, ("mu", "tau"): BR_TAU_MUNUNU}


# --- sections 4 and 6: the cLFV cap ------------------------------------------------------------


def amplitude_max(br_max, br_lnunu: float = 1.0):
    """|A|_max = sqrt(BR_max G_F^2/(48 pi^3 alpha BR_lnunu)) [GeV^-2] (uv_model_meg.md section 4).

    1.3707e-12 GeV^-2 for BR(mu -> e gamma) < 1.5e-13.

    >>> f"{float(amplitude_max(1.5e-13)):.5g}"
    '1.3707e-12'
    """
    br = np.asarray(br_max, dtype=float)
    if np.any(~(br > 0)) or np.any(~np.isfinite(br)):
        raise ParameterError(f"br_max = {br_max!r} is outside the allowed range (0, inf)")
    check_range("br_lnunu", br_lnunu, 0.0, 1.0, lo_open=True)
    return np.sqrt(br * G_F**2 / (48.0 * math.pi**3 * ALPHA * br_lnunu))


def cap_coefficient(br_max, br_lnunu: float = 1.0):
    """32 pi^2 |A|_max [GeV^-2]: |sum_a Y_a^f* Y_a^i f_F(x_a)/m_a^2| must stay below it (section 4).

    4.329e-10 GeV^-2 for mu -> e gamma < 1.5e-13; 4.81e-7 (tau -> e gamma < 3.3e-8) and
    5.49e-7 (tau -> mu gamma < 4.2e-8).

    Source: uv_model_meg.md section 4 (MEG II arXiv:2504.15711; BaBar arXiv:0908.2381; Belle
    arXiv:2103.12994).

    >>> f"{float(cap_coefficient(1.5e-13)):.4g}"
    '4.329e-10'
    >>> tau_e, tau_mu = cap_coefficient(3.3e-8, BR_TAU_ENUNU), cap_coefficient(4.2e-8, BR_TAU_MUNUNU)
    >>> f"{float(tau_e):.3g}", f"{float(tau_mu):.3g}"
    ('4.81e-07', '5.49e-07')
    """
    return 32.0 * math.pi**2 * amplitude_max(br_max, br_lnunu)


def _check_sin2theta(sin2theta):
    s = np.asarray(sin2theta, dtype=float)
    if np.any(~(s > 0)) or np.any(s > 1) or np.any(~np.isfinite(s)):
        raise ParameterError(f"sin2theta = {sin2theta!r} is outside the allowed range (0, 1]")
    return s


def p_max_benchmark(M_F, m1, cap):
    """P_max = cap m1^2/f_F(M_F^2/m1^2) [dimensionless] (uv_model_meg.md section 6, benchmark).

    Cap on the antisymmetric combination |y_e y'_mu - y_mu y'_e| from the single-scalar MEG cap;
    ``cap`` from :func:`cap_coefficient` [GeV^-2], masses in GeV. At M_F = m1 = 1 TeV and the
    MEG II limit, P_max = 5.2e-3.

    >>> f"{float(p_max_benchmark(1000.0, 1000.0, cap_coefficient(1.5e-13))):.2g}"
    '0.0052'
    """
    M_F, m1 = np.asarray(M_F, dtype=float), np.asarray(m1, dtype=float)
    if np.any(~(M_F > 0)) or np.any(~(m1 > 0)) or np.any(np.isinf(M_F)) or np.any(np.isinf(m1)):
        raise ParameterError(f"p_max_benchmark needs finite M_F, m1 > 0 GeV, got {M_F!r}, {m1!r}")
    c = np.asarray(cap, dtype=float)
    if np.any(~(c > 0)) or np.any(np.isinf(c)):
        raise ParameterError(f"cap = {cap!r} GeV^-2 is outside the allowed range (0, inf)")
    return cap * m1**2 / f_F((M_F / m1) ** 2)


def mu_D_max_benchmark(M_F, m1, m2, g_D, Q_D, sin2theta, cap):
    """Benchmark mu_D,max^{e mu} [GeV^-1] (uv_model_meg.md section 6):

        mu_D,max = (g_D Q_D/(32 pi^2)) P_max M_F (sin 2theta/2) |g_S(x1)/m1^2 - g_S(x2)/m2^2|

    with P_max from :func:`p_max_benchmark`. Standard benchmark: g_D = Q_D = 1, sin 2theta = 1,
    m2 = inf. mu_D,max is proportional to M_F at fixed x = M_F^2/m1^2 and linear in g_D Q_D.

    Proportional to M_F at fixed x (here x = 1; uv_model_meg.md section 6):

    >>> import math
    >>> cap = cap_coefficient(1.5e-13)
    >>> mu1 = mu_D_max_benchmark(1000.0, 1000.0, math.inf, 1.0, 1.0, 1.0, cap)
    >>> mu2 = mu_D_max_benchmark(2000.0, 2000.0, math.inf, 1.0, 1.0, 1.0, cap)
    >>> f"{float(mu1) / MU_B:.4g}", round(float(mu2 / mu1), 10)  # mu_B
    ('9.252e-12', 2.0)
    """
    s = _check_sin2theta(sin2theta)
    p = p_max_benchmark(M_F, m1, cap)
    return np.abs(g_D * Q_D) * _LOOP * p * M_F * 0.5 * s * np.abs(delta_g_S(M_F, m1, m2))


def mu_D_max_full(M_F, m1, m2, g_D, Q_D, amp_max):
    """Full-prescription mu_D,max^{e mu} = g_D Q_D M_F |A|_max |Delta_g/Delta_f| [GeV^-1].

    uv_model_meg.md section 6, flavour assignment y = (y_e, 0, .), y' = (0, y'_mu, .), under which
    mu -> e gamma and mu_D are both proportional to y_e y'_mu sin 2theta (sin 2theta cancels);
    Delta_g = g_S(x1)/m1^2 - g_S(x2)/m2^2, Delta_f = f_F(x1)/m1^2 - f_F(x2)/m2^2 (cancellation-free
    forms of :mod:`spectra.loops`). Exactly twice the benchmark for sin 2theta = 1, m2 = inf.
    ``amp_max`` from :func:`amplitude_max` [GeV^-2].

    The exact factor of uv_model_meg.md section 6: twice the benchmark for sin 2theta = 1, m2 = inf:

    >>> import math
    >>> full = mu_D_max_full(1000.0, 1000.0, math.inf, 1.0, 1.0, amplitude_max(1.5e-13))
    >>> bench = mu_D_max_benchmark(1000.0, 1000.0, math.inf, 1.0, 1.0, 1.0, cap_coefficient(1.5e-13))
    >>> round(float(full / bench), 10)
    2.0
    """
    df = delta_f_F(M_F, m1, m2)
    if np.any(df == 0):
        raise ParameterError(f"m1 = {m1!r}, m2 = {m2!r} GeV are degenerate: Delta_g = Delta_f = 0 (0/0)")
    return np.abs(g_D * Q_D) * M_F * amp_max * np.abs(delta_g_S(M_F, m1, m2) / df)


def yukawa_product_max_full(M_F, m1, m2, sin2theta, cap):
    """|y_e y'_mu|_max = cap/(|Delta_f| sin 2theta/2) in the full prescription [dimensionless].

    The Yukawa product that saturates the cLFV limit under the section-6 flavour assignment; it is
    what has to stay perturbative (|y y'| <~ 4 pi) for the full-prescription mu_D,max.

    Source: uv_model_meg.md section 6 (full prescription). With one scalar at x = 1 and
    sin 2theta = 1 it is 2 P_max of the benchmark (the benchmark drops the sin 2theta/2):

    >>> import math
    >>> cap = cap_coefficient(1.5e-13)
    >>> full = yukawa_product_max_full(1000.0, 1000.0, math.inf, 1.0, cap)
    >>> ratio = full / p_max_benchmark(1000.0, 1000.0, cap)
    >>> round(float(ratio), 10)
    2.0
    """
    s = _check_sin2theta(sin2theta)
    with np.errstate(divide="ignore"):  # m1 = m2: no cLFV amplitude, the product is unbounded (inf)
        return cap / (np.abs(delta_f_F(M_F, m1, m2)) * 0.5 * s)


def mu_D_max_for_model(model: UVModel, amp_max: float, pair=("e", "mu")) -> float:
    """|mu_D^{pair}| [GeV^-1] after rescaling all Yukawas of ``model`` to saturate the cLFV amplitude.

    Full prescription for an explicit flavour assignment (uv_model_meg.md section 6): both the
    l_j -> l_i gamma amplitude and mu_D are bilinear in the Yukawas, so a common rescaling
    y, y' -> t y, t y' multiplies both by t^2 and mu_D,max = |mu_D^{ij}| |A|_max/|A(model)|.
    ``amp_max`` from :func:`amplitude_max` with the channel's limit. Raises if the model gives no
    amplitude for that pair.

    For the section-6 flavour assignment (y = (y_e, 0, 0), y' = (0, y'_mu, 0)) it equals
    :func:`mu_D_max_full`, whatever the Yukawa size:

    >>> import math
    >>> amp = amplitude_max(1.5e-13)
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> round(mu_D_max_for_model(m, amp) / float(mu_D_max_full(1000.0, 1000.0, math.inf, 1.0, 1.0, amp)), 10)
    1.0
    """
    i, j = sorted((_flavour_index(pair[0]), _flavour_index(pair[1])))
    if i == j:
        raise ParameterError(f"pair = {pair!r} must name two different flavours")
    a_l, a_r = lfv_amplitude(model, FLAVOURS[j], FLAVOURS[i])
    a = math.hypot(abs(a_l), abs(a_r))
    if a == 0.0:
        raise ParameterError(f"the model has no {FLAVOURS[j]} -> {FLAVOURS[i]} gamma amplitude to cap")
    return float(abs(dark_tmm_matrix(model)[i, j]) * amp_max / a)


# --- section 5: radiative-mass caveat ----------------------------------------------------------


def _r_log_r_over_r_minus_1(r: float) -> float:
    """r ln r/(r - 1), continuous at r = 1 (value 1)."""
    u = r - 1.0
    if abs(u) < 1e-4:
        return r * (1.0 - u / 2.0 + u**2 / 3.0 - u**3 / 4.0)
    return r * math.log1p(u) / u


def radiative_mass_estimate(model: UVModel) -> np.ndarray:
    """Radiative Majorana mass (m_nu)_ij [eV], symmetric 3x3, flavour basis (uv_model_meg.md section 5).

    The mu_D diagram without the A' [R: structure as in Ma, hep-ph/0601225; P for O(1)]:

        (m_nu)_ij ~ (y_i y'_j + y_j y'_i) M_F (sin 2theta/2)/(16 pi^2)
                    x [ m1^2/(m1^2 - M_F^2) ln(m1^2/M_F^2) - (1 <-> 2) ]

    continuous at m_a = M_F. The symmetric flavour structure is the no-A' version of the
    orientation sum of :func:`fermion_radiated_orientations`. For m2 -> inf at fixed theta the
    bracket grows like ln(m2^2/M_F^2) (no decoupling), so a finite m2 is required.

    Symmetric, and far above the eV scale for O(1e-2) Yukawas at the TeV scale (the caveat of
    uv_model_meg.md section 5):

    >>> import math
    >>> import numpy as np
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=2000.0, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> m_nu = radiative_mass_estimate(m)
    >>> bool(np.allclose(m_nu, m_nu.T)), f"{abs(m_nu[0, 1]):.3g}"
    (True, '2.69e+05')
    """
    if math.isinf(model.m2):
        raise ParameterError(
            "m2 = inf: the radiative-mass estimate grows like ln(m2^2/M_F^2) at fixed theta; "
            "give a finite m2 (allowed range (0, inf) GeV)"
        )
    k = np.outer(model.y_array, model.yp_array)
    sym = k + k.T  # (y_i y'_j + y_j y'_i), exactly symmetric
    M2 = model.M_F**2
    bracket = _r_log_r_over_r_minus_1(model.m1**2 / M2) - _r_log_r_over_r_minus_1(model.m2**2 / M2)
    m_gev = sym * model.M_F * 0.5 * model.sin2theta / (16.0 * math.pi**2) * bracket
    return m_gev / EV


class RadiativeMassWarning(UserWarning):
    """The radiative Majorana-mass estimate exceeds the sub-eV scale.

    Source: the radiative-mass caveat of uv_model_meg.md section 5 (threshold ~0.1 eV).

    >>> issubclass(RadiativeMassWarning, UserWarning)
    True
    """


def radiative_mass_check(
    model: UVModel, threshold_eV: float = RADIATIVE_MASS_WARN_EV, warn: bool = True
) -> tuple[float, bool]:
    """(max_ij |m_nu|_ij [eV], exceeds) with exceeds = max > threshold (default 0.1 eV, section 5).

    Emits a :class:`RadiativeMassWarning` when it exceeds and ``warn`` is true. For m2 = inf the
    estimate is log-divergent and (inf, True) is returned. A large mu_D with sub-eV m_nu needs the
    symmetric combination suppressed (Voloshin or Barr-Freire-Zee type symmetry, or tuning).

    Source: uv_model_meg.md section 5 (Ma, hep-ph/0601225 for the structure).

    >>> import math
    >>> m = UVModel(M_F=1000.0, m1=1000.0, m2=2000.0, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> mmax, exceeds = radiative_mass_check(m, warn=False)
    >>> f"{mmax:.3g}", exceeds
    ('2.69e+05', True)
    >>> radiative_mass_check(UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=0.5), warn=False)
    (inf, True)
    """
    thr = check_range("threshold_eV", threshold_eV, 0.0, None, unit="eV", lo_open=True)
    if math.isinf(model.m2):
        mmax = math.inf
    else:
        mmax = float(np.max(np.abs(radiative_mass_estimate(model))))
    exceeds = mmax > thr
    if exceeds and warn:
        warnings.warn(
            f"radiative Majorana mass estimate max|m_nu| = {mmax:.3g} eV exceeds {thr:g} eV "
            "(uv_model_meg.md section 5: the symmetric Yukawa combination must be suppressed)",
            RadiativeMassWarning,
            stacklevel=2,
        )
    return mmax, exceeds
