"""BaBar 2017 single-photon search for an invisible dark photon: set-up, EMC response, the published
limit, and its recast to any model point.

Source: BaBar Collaboration (J. P. Lees et al.), "Search for invisible decays of a dark photon produced in
e+e- collisions at BaBar", Phys. Rev. Lett. 119 (2017) 131804, arXiv:1702.03327. Reference:
``shared/physics/accelerator.md`` sections 1-5, 7 and Appendix A.

What to use when
----------------
* :func:`load_data` - the published 90 % CL limit eps_UL(m_A') for BR_inv = 1 (darkcast digitisation of
  Fig. 5, ``babar/BaBar_Lees2017lec.lmt``, when the data directory has it; else the typed
  :data:`EPS_UL_TABLE`, the same numbers to the printed digits).
* :func:`eps_ul` - the limit at any mass: linear in m, logarithmic in eps, flat below 1 MeV, no
  interpolation across the 5.50/5.55 GeV step (change of fit region).
* :func:`sigma_ul_acc` - the limit as an upper limit on sigma(e+e- -> gamma A') inside the acceptance of
  the mass region (the recast quantity, accelerator.md 5.1).
* :func:`eps_max` - the recast of one model point: excluded iff eps^2 P_inv(m, eps) > eps_UL(m)^2,
  solved per (m, eps) with P_inv from :func:`spectra.widths.invisible_summary`.
* :func:`signal_process`, :func:`spectra` - VEGAS signal in the acceptance and the E*_gamma, cos theta*,
  M_X^2 distributions per resonance, folded with :data:`RESPONSE`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass

import numpy as np

from darktmm.detectors import data as datamod
from darktmm.detectors.accel_common import (
    EpsLimit,
    HistSpec,
    integrate_to,
    make_model,
    recast,
    sample_histograms,
)
from darktmm.detectors.response import gaussian_bin_probabilities, quadrature_sum
from darktmm.spectra.accel_mc import MonophotonProcess
from darktmm.spectra.constants import GEV2_TO_FB
from darktmm.spectra.integrate import Vegas
from darktmm.spectra.monophoton import photon_energy_cm, sigma_window
from darktmm.spectra.validate import ParameterError, check_range
from darktmm.spectra.widths import gamma_total

EXPERIMENT = "babar"
CITATION = "BaBar, J. P. Lees et al., PRL 119 (2017) 131804, arXiv:1702.03327"


# --- set-up (accelerator.md 1 and 5) ---------------------------------------------------------------
@dataclass(frozen=True)
class Resonance:
    """One BaBar data set: CM energy [GeV] (PDG [R]) and integrated luminosity [fb^-1]
    (accelerator.md sections 1 and 5).

    >>> r = RESONANCES["3S"]
    >>> r.name, r.sqrt_s, round(r.s, 3)
    ('Upsilon(3S)', 10.3552, 107.23)
    """

    key: str
    name: str
    sqrt_s: float
    lumi_fb: float

    @property
    def s(self) -> float:
        """Mandelstam s = sqrt_s^2 [GeV^2]."""
        return self.sqrt_s**2


#: CM energies: PDG Upsilon masses [R] (accelerator.md 1). Luminosities: the 15.9/31.2/5.9 fb^-1 split is a
#: third-party transcription, **unverified** ([T], accelerator.md 5; cross-check: Run 7 had Upsilon(3S) ~
#: 28.0 + 2.6 and Upsilon(2S) ~ 13.6 + 1.4 fb^-1 on + off peak, arXiv:1301.2703 [R]). The total, 53 fb^-1, is
#: in the paper's abstract [V]. The luminosities only set event counts; the recast does not use them.
RESONANCES = {
    "2S": Resonance("2S", "Upsilon(2S)", 10.0233, 15.9),
    "3S": Resonance("3S", "Upsilon(3S)", 10.3552, 31.2),
    "4S": Resonance("4S", "Upsilon(4S)", 10.5794, 5.9),
}
#: Total luminosity of the 2017 single-photon sample [fb^-1] (arXiv:1702.03327 abstract) [V].
LUMI_TOTAL_FB = 53.0
#: Mass range of the search [GeV] (abstract) [V].
MASS_RANGE = (0.0, 8.0)


@dataclass(frozen=True)
class Region:
    """A fit region: M_X^2 range [GeV^2], photon acceptance z1 < cos theta*_gamma < z2 (CM), data sets
    (accelerator.md section 5; BaBar arXiv:1702.03327).

    >>> REGIONS["HighM"]
    Region(name='HighM', mx2=(24.0, 69.0), z=(-0.6, 0.6), resonances=('2S', '3S'))
    """

    name: str
    mx2: tuple
    z: tuple
    resonances: tuple


#: LowM: -4 < M_X^2 < 36 GeV^2, -0.4 < cos theta* < 0.6, Upsilon(2S, 3S, 4S); HighM: 24 < M_X^2 < 69 GeV^2,
#: |cos theta*| < 0.6, Upsilon(2S, 3S) only (accelerator.md 5: ranges [R]/[T], acceptances [R] unverified).
REGIONS = {
    "LowM": Region("LowM", (-4.0, 36.0), (-0.4, 0.6), ("2S", "3S", "4S")),
    "HighM": Region("HighM", (24.0, 69.0), (-0.6, 0.6), ("2S", "3S")),
}
#: The digitised limit changes fit region between these masses [GeV] (Appendix A): LowM up to 5.50, HighM from
#: 5.55. In between darktmm takes the HighM (weaker) value: conservative, and no interpolation across the step.
REGION_STEP = (5.50, 5.55)


def region_for_mass(m) -> Region:
    """LowM for m <= 5.50 GeV, HighM above (the step of the digitised curve, :data:`REGION_STEP`;
    accelerator.md Appendix A). m in GeV.

    >>> region_for_mass(5.50).name, region_for_mass(5.52).name
    ('LowM', 'HighM')
    """
    return REGIONS["LowM"] if float(m) <= REGION_STEP[0] else REGIONS["HighM"]


# --- EMC response (accelerator.md 5) -------------------------------------------------------------
@dataclass(frozen=True)
class EMCResponse:
    """BaBar EMC photon response, folded analytically (erf per bin) into E*_gamma and M_X^2.

    sigma_E/E = a/E^(1/4) (+) b, a = 2.32 %, b = 1.85 % (E in GeV; BaBar NIM A479 (2002) 1,
    hep-ex/0105044 [R]). Then sigma(M_X^2) = 2 sqrt(s) sigma_E. At E = 5.29 GeV this gives 2.7 GeV^2, more
    than the ~1.5 GeV^2 width of BaBar's Crystal-Ball signal shape near m = 0 (arXiv:1702.03327 [T]), so,
    as the reference says, the smearing is **calibrated to the quoted M_X^2 width**: every sigma is
    multiplied by k = width / sigma_raw(M_X^2; m = 0, sqrt s = calib_sqrt_s) = 0.581 (at the Upsilon(3S), the
    largest data set). The energy dependence (sigma(M_X^2) falls from 1.5 GeV^2 at m = 0 to ~0.7 GeV^2 at
    m = 8 GeV, "improving with m") is that of the EMC formula. Gaussian core only: the Crystal-Ball tail
    (ISR, leakage) is not modelled by the response; ISR is generated explicitly (spectra.accel_mc).

    The calibration reproduces the quoted 1.5 GeV^2 width at m = 0 (E*_gamma = sqrt(s)/2) at the Upsilon(3S):

    >>> rs = RESPONSE.calib_sqrt_s
    >>> round(RESPONSE.calibration, 3), round(float(RESPONSE.sigma_mx2(rs / 2, rs)), 6)
    (0.581, 1.5)
    """

    stochastic: float = 0.0232
    constant: float = 0.0185
    signal_width_mx2: float = 1.5
    calib_sqrt_s: float = 10.3552

    def sigma_e_raw(self, E):
        """sigma_E [GeV] of the EMC formula (E [GeV] > 0)."""
        E = np.maximum(np.asarray(E, dtype=float), 1e-6)
        return E * quadrature_sum(self.stochastic / E**0.25, self.constant)

    @property
    def calibration(self) -> float:
        """k = 1.5 GeV^2 / (2 sqrt(s) sigma_E(sqrt(s)/2)) at calib_sqrt_s (dimensionless, 0.581)."""
        rs = self.calib_sqrt_s
        return self.signal_width_mx2 / float(2.0 * rs * self.sigma_e_raw(rs / 2.0))

    def sigma_e(self, E):
        """Calibrated photon-energy resolution [GeV]."""
        return self.calibration * self.sigma_e_raw(E)

    def sigma_mx2(self, E_gamma, sqrt_s):
        """sigma(M_X^2) = 2 sqrt(s) sigma_E(E*_gamma) [GeV^2], calibrated."""
        return 2.0 * sqrt_s * self.sigma_e(E_gamma)

    def matrix_mx2(self, mx2_true, edges, sqrt_s):
        """P[b, k]: a true M_X^2 [GeV^2] ``mx2_true[k]`` lands in reconstructed bin b of ``edges``."""
        mx2_true = np.asarray(mx2_true, dtype=float)
        e = (sqrt_s**2 - mx2_true) / (2.0 * sqrt_s)
        return gaussian_bin_probabilities(mx2_true, self.sigma_mx2(e, sqrt_s), edges)

    def matrix_e(self, e_true, edges):
        """P[b, k] for the photon energy [GeV]."""
        e_true = np.asarray(e_true, dtype=float)
        return gaussian_bin_probabilities(e_true, self.sigma_e(e_true), edges)


RESPONSE = EMCResponse()

#: PEP-II boost beta*gamma of the CM along the e- beam (accelerator.md section 1, the Upsilon(4S) value,
#: used at every resonance; PEP-II CDR SLAC-418 (1993)) [R].
PEP2_BETA_GAMMA = 0.56

#: Detector length for the escape probability [m]: A' decays beyond the EMC/IFR (~1.5-3 m) are invisible
#: (accelerator.md 7.5 [R, approximate]).
L_DET_M = 2.0


# --- the published limit (Appendix A) --------------------------------------------------------------
#: BaBar 90 % CL upper limit on eps for an invisible A' (BR_inv = 1): pairs (m_A' [GeV], eps_UL/1e-4), 167 points.
#: Typed from shared/physics/accelerator.md Appendix A, which transcribes the darkcast digitisation
#: (Ilten, Soreq, Williams, Xue, arXiv:1801.04847; file limits/BaBar_Lees2017lec.lmt) of Fig. 5 of BaBar,
#: PRL 119 (2017) 131804, arXiv:1702.03327 [T]. Masses rounded to 0.01 GeV, eps to 4 digits (the file has 5).
EPS_UL_TABLE = np.array(
    [
        (0.001, 9.476),
        (0.010, 9.476),
        (0.10, 9.463),
        (0.18, 9.462),
        (0.26, 9.471),
        (0.34, 9.489),
        (0.42, 9.510),
        (0.50, 9.538),
        (0.60, 9.587),
        (0.70, 9.621),
        (0.80, 9.658),
        (0.90, 9.650),
        (1.00, 9.668),
        (1.10, 9.676),
        (1.20, 9.683),
        (1.30, 9.700),
        (1.40, 9.695),
        (1.50, 9.669),
        (1.60, 9.574),
        (1.70, 9.383),
        (1.80, 9.068),
        (1.90, 8.618),
        (2.00, 8.226),
        (2.10, 7.803),
        (2.20, 7.503),
        (2.30, 7.238),
        (2.35, 7.136),
        (2.40, 7.069),
        (2.45, 7.040),
        (2.50, 7.045),
        (2.55, 7.076),
        (2.60, 7.122),
        (2.65, 7.172),
        (2.70, 7.222),
        (2.75, 7.281),
        (2.80, 7.321),
        (2.85, 7.353),
        (2.90, 7.385),
        (2.95, 7.427),
        (3.00, 7.482),
        (3.05, 7.575),
        (3.10, 7.692),
        (3.15, 7.774),
        (3.20, 7.818),
        (3.25, 7.814),
        (3.30, 7.761),
        (3.35, 7.657),
        (3.40, 7.498),
        (3.45, 7.292),
        (3.50, 7.107),
        (3.55, 6.836),
        (3.60, 6.484),
        (3.65, 6.247),
        (3.70, 5.972),
        (3.75, 5.603),
        (3.80, 5.401),
        (3.85, 5.203),
        (3.90, 5.003),
        (3.95, 4.792),
        (4.00, 4.561),
        (4.05, 4.406),
        (4.10, 4.365),
        (4.15, 4.327),
        (4.20, 4.319),
        (4.25, 4.327),
        (4.30, 4.345),
        (4.35, 4.424),
        (4.40, 4.446),
        (4.45, 4.368),
        (4.50, 4.236),
        (4.55, 4.138),
        (4.60, 4.035),
        (4.65, 3.962),
        (4.70, 3.959),
        (4.75, 4.028),
        (4.80, 4.163),
        (4.85, 4.535),
        (4.90, 4.838),
        (4.95, 5.189),
        (5.00, 5.471),
        (5.05, 5.720),
        (5.10, 5.992),
        (5.15, 6.154),
        (5.20, 6.311),
        (5.25, 6.439),
        (5.30, 6.517),
        (5.35, 6.557),
        (5.40, 6.577),
        (5.45, 6.594),
        (5.50, 6.646),
        (5.55, 13.309),
        (5.60, 14.212),
        (5.65, 14.911),
        (5.70, 15.251),
        (5.75, 15.162),
        (5.80, 14.582),
        (5.85, 13.734),
        (5.90, 12.987),
        (5.95, 12.623),
        (6.00, 12.688),
        (6.05, 13.167),
        (6.10, 13.917),
        (6.13, 14.416),
        (6.16, 14.845),
        (6.19, 15.161),
        (6.22, 15.298),
        (6.25, 15.115),
        (6.28, 14.619),
        (6.31, 13.807),
        (6.34, 12.688),
        (6.37, 11.360),
        (6.40, 10.102),
        (6.43, 9.220),
        (6.46, 8.665),
        (6.49, 8.380),
        (6.52, 8.235),
        (6.55, 8.223),
        (6.58, 8.374),
        (6.61, 8.708),
        (6.64, 9.110),
        (6.67, 9.634),
        (6.70, 10.151),
        (6.73, 10.524),
        (6.76, 10.785),
        (6.79, 11.054),
        (6.82, 11.397),
        (6.85, 11.713),
        (6.88, 11.888),
        (6.91, 11.763),
        (6.94, 11.259),
        (6.97, 10.428),
        (7.00, 9.473),
        (7.03, 8.550),
        (7.06, 7.889),
        (7.09, 7.585),
        (7.12, 7.644),
        (7.15, 7.889),
        (7.18, 8.135),
        (7.21, 8.283),
        (7.27, 8.980),
        (7.30, 9.706),
        (7.33, 10.127),
        (7.36, 10.091),
        (7.39, 9.690),
        (7.42, 9.164),
        (7.45, 8.622),
        (7.48, 8.293),
        (7.51, 8.943),
        (7.54, 8.861),
        (7.57, 9.111),
        (7.60, 9.854),
        (7.63, 10.977),
        (7.66, 12.140),
        (7.69, 13.476),
        (7.72, 14.792),
        (7.74, 15.433),
        (7.76, 15.840),
        (7.78, 15.866),
        (7.80, 15.341),
        (7.82, 14.500),
        (7.88, 12.506),
        (7.90, 11.810),
        (7.92, 11.099),
        (7.94, 10.390),
        (7.96, 9.726),
        (7.98, 9.142),
        (8.00, 8.673),
    ]
)
#: The data file with the same curve (detectors.data registry).
DATA_FILE = "babar/BaBar_Lees2017lec.lmt"


@dataclass(frozen=True)
class LimitCurve:
    """eps_UL(m) for BR_inv = 1: masses [GeV], eps_UL (absolute, not /1e-4), and where it came from
    (BaBar arXiv:1702.03327 Fig. 5; accelerator.md Appendix A). Calling it evaluates :func:`eps_ul`.

    >>> f"{TYPED(0.01):.4g}", TYPED.source
    ('0.0009476', 'typed table (accelerator.md App. A)')
    """

    masses: np.ndarray
    eps_ul: np.ndarray
    source: str

    def __call__(self, m):
        """eps_UL at mass ``m`` [GeV] (:func:`eps_ul` on this curve)."""
        return eps_ul(m, self)


TYPED = LimitCurve(
    EPS_UL_TABLE[:, 0].copy(), EPS_UL_TABLE[:, 1] * 1e-4, "typed table (accelerator.md App. A)"
)


def load_data(data_dir=None, *, prefer_file: bool = True) -> LimitCurve:
    """The published limit: ``babar/BaBar_Lees2017lec.lmt`` through detectors.data when it is found
    (and ``prefer_file``), else the typed table. The file has "m [GeV]  eps_UL" rows after a # header.
    Source: BaBar arXiv:1702.03327 Fig. 5 as digitised by darkcast (arXiv:1801.04847); accelerator.md
    Appendix A. With the data files ``load_data().source`` names the file and the values agree with the
    typed table to its 4 printed digits (``tests/test_babar.py``). Without the file:

    >>> c = load_data(prefer_file=False)
    >>> c is TYPED, len(c.masses), f"{c(0.5):.4g}"
    (True, 167, '0.0009538')
    """
    if prefer_file and datamod.available(DATA_FILE, data_dir):
        arr = datamod.load_table(DATA_FILE, data_dir, comments="#")
        if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 10:
            raise datamod.DataError(f"{DATA_FILE}: expected two columns (mass, eps), got shape {arr.shape}")
        return LimitCurve(arr[:, 0], arr[:, 1], f"file {datamod.path(DATA_FILE, data_dir)}")
    return TYPED


def eps_ul(m, curve: LimitCurve | None = None):
    """eps_UL(m) [dimensionless] of the published curve for BR_inv = 1 (accelerator.md Appendix A rules):

    * linear interpolation in m of ln eps between the tabulated points;
    * flat below the first point (1 MeV: BaBar's sensitivity is m-independent there);
    * no interpolation across the step between 5.50 and 5.55 GeV: LowM points up to 5.50 and HighM points from
      5.55 are interpolated separately, and 5.50 < m < 5.55 takes the HighM value at 5.55 (the weaker, conservative one);
    * inf above 8 GeV (outside the search).

    Source: BaBar arXiv:1702.03327 Fig. 5 (typed table :data:`EPS_UL_TABLE` by default).

    >>> f"{eps_ul(0.0):.4g}", f"{eps_ul(5.52):.5g}", eps_ul(9.0)   # flat; HighM side of the step; outside
    ('0.0009476', '0.0013309', inf)
    >>> eps_ul(-1.0)
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: m_A' must be finite and >= 0
    """
    c = TYPED if curve is None else curve
    m = np.asarray(m, dtype=float)
    if np.any(m < 0) or not np.all(np.isfinite(m)):
        raise ParameterError("m_A' must be finite and >= 0")
    M, le = c.masses, np.log(c.eps_ul)
    lo_sel = M <= REGION_STEP[0] + 1e-3
    hi_sel = ~lo_sel
    low = np.interp(m, M[lo_sel], le[lo_sel])
    high = np.interp(m, M[hi_sel], le[hi_sel])
    out = np.exp(np.where(m <= REGION_STEP[0], low, high))
    out = np.where(m > MASS_RANGE[1] + 1e-9, np.inf, out)
    return float(out) if out.ndim == 0 else out


def sigma_acc(m, eps, sqrt_s, region: Region | str | None = None) -> float:
    """Born sigma(e+e- -> gamma A') inside the photon acceptance of the mass region [GeV^-2]
    (closed form :func:`spectra.monophoton.sigma_window`, accelerator.md 2). m, sqrt_s in GeV. The
    cross-section is proportional to eps^2:

    >>> round(sigma_acc(1.0, 2e-4, 10.58) / sigma_acc(1.0, 1e-4, 10.58), 12)
    4.0
    """
    reg = _region(region, m)
    return float(sigma_window(float(sqrt_s) ** 2, float(m), *reg.z, eps=eps))


def sigma_ul_acc(m, sqrt_s, region: Region | str | None = None, curve: LimitCurve | None = None) -> float:
    """The published limit as sigma_UL,acc = sigma(e+e- -> gamma A'; eps_UL(m)) in the acceptance [GeV^-2]
    (accelerator.md 5.1). Multiply by spectra.constants.GEV2_TO_FB for fb. Check values (LowM window):
    1.29/1.35 fb at m <= 0.1 GeV, 0.38/0.41 fb at 4.7 GeV for sqrt s = 10.58/10.355 GeV.

    >>> from darktmm.spectra.constants import GEV2_TO_FB
    >>> [round(sigma_ul_acc(m, rs) * GEV2_TO_FB, 2) for m, rs in [(0.05, 10.58), (4.7, 10.58), (4.7, 10.355)]]
    [1.29, 0.38, 0.41]
    """
    e = eps_ul(m, curve)
    if not math.isfinite(e) or e > 1:
        return math.inf
    return sigma_acc(m, e, sqrt_s, region)


def _region(region, m) -> Region:
    if region is None:
        return region_for_mass(m)
    if isinstance(region, Region):
        return region
    if region not in REGIONS:
        raise ParameterError(f"region = {region!r}; choose LowM or HighM")
    return REGIONS[region]


def ap_energy_cm(m, sqrt_s=RESONANCES["3S"].sqrt_s) -> float:
    """A' energy in the CM frame, E*_A' = (s + m^2)/(2 sqrt s) [GeV] (two-body kinematics, accelerator.md
    section 1): sqrt(s)/2 for a massless A', sqrt(s) at threshold m = sqrt(s).

    >>> ap_energy_cm(0.0, 10.0), ap_energy_cm(10.0, 10.0)
    (5.0, 10.0)
    """
    s = float(sqrt_s) ** 2
    return (s + float(m) ** 2) / (2.0 * float(sqrt_s))


# --- recast (accelerator.md 5.1, 7) ----------------------------------------------------------------
def eps_max(
    m_ap,
    *,
    gamma_dark=0.0,
    mu_D_muB=None,
    L_det_m=None,
    curve: LimitCurve | None = None,
) -> EpsLimit:
    """Recast of the BaBar limit to one model point: the smallest excluded eps at m_A' [GeV].

    Excluded iff eps^2 P_inv(m, eps) > eps_UL(m)^2 (equivalently sigma_model,acc P_inv > sigma_UL,acc for the
    same on-shell narrow A'; accelerator.md 5.1). P_inv = BR_inv + (1 - BR_inv) exp(-L_det/l) from
    :func:`spectra.widths.invisible_summary` (Gamma_vis from kinetic mixing, Gamma_inv = Gamma_nunu(mu_D) +
    gamma_dark; accelerator.md 7), solved per (m, eps): BR_inv and l depend on eps. l is evaluated at the CM
    A' energy at the Upsilon(3S) (the PEP-II boost, beta gamma ~ 0.5, changes |p| by tens of per cent; it
    matters only where the escape probability is neither 0 nor 1). L_det = 2 m by default.

    ``gamma_dark`` [GeV] >= 0; ``mu_D_muB``: None, a flavour-blind scale or a 3x3 matrix [mu_B]
    (:func:`detectors.accel_common.make_model`). BR_inv = 1 is *not* assumed: with only a small dark TMM the
    A' decays visibly and promptly, and the result says the search does not apply (``applicable`` False).

    Closure: a purely invisible A' (large dark width) gets the published limit back; kinetic mixing alone
    (prompt visible decays) is not constrained:

    >>> lim = eps_max(0.1, gamma_dark=1e-3)
    >>> f"{lim.eps:.5g}", f"{eps_ul(0.1):.5g}", lim.applicable
    ('0.0009463', '0.0009463', True)
    >>> eps_max(9.0).note
    "outside the BaBar search range 0 < m_A' < 8 GeV"
    """
    m = check_range("m_ap", m_ap, 0.0, None, unit="GeV")
    s_max = max(r.s for r in RESONANCES.values())
    if m**2 >= s_max:
        raise ParameterError(
            f"m_A'^2 = {m**2:g} GeV^2 >= s = {s_max:g} GeV^2: e+e- -> gamma A' is closed at every BaBar energy"
        )
    L = L_DET_M if L_det_m is None else check_range("L_det_m", L_det_m, 0.0, None, unit="m")
    check_range("gamma_dark", gamma_dark, 0.0, None, unit="GeV")
    e0 = eps_ul(m, curve)
    reg = region_for_mass(m)
    extra = {
        "eps_ul_published": e0,
        "region": reg.name,
        "L_det_m": L,
        "sigma_ul_acc_fb": {
            k: (
                sigma_ul_acc(m, RESONANCES[k].sqrt_s, reg, curve) * GEV2_TO_FB
                if m < MASS_RANGE[1] + 1e-9
                else math.inf
            )
            for k in reg.resonances
        },
    }
    if not math.isfinite(e0):
        return EpsLimit.not_computed(
            EXPERIMENT, m, f"outside the BaBar search range 0 < m_A' < {MASS_RANGE[1]:g} GeV", extra
        )
    E = ap_energy_cm(m)
    lim = recast(EXPERIMENT, m, e0, [E], [1.0], L, gamma_dark=gamma_dark, mu_D_muB=mu_D_muB, extra=extra)
    if math.isfinite(lim.eps) and m > 0:
        g = float(gamma_total(make_model(m, min(lim.eps, 1.0), gamma_dark, mu_D_muB)))
        if g > 0.05 * m:
            note = lim.note + f"; broad A' (Gamma/m = {g / m:.2g}): the narrow-width recast is approximate"
            lim = dataclasses.replace(lim, note=note)
    return lim


def limit(masses, *, gamma_dark=0.0, mu_D_muB=None, L_det_m=None, data_dir=None, progress=None):
    """eps_max at every mass [GeV] with the published curve from :func:`load_data`. Returns (points, info).
    Recast of BaBar arXiv:1702.03327 (accelerator.md 5.1); points are :class:`EpsLimit`.

    >>> pts, info = limit([9.0])
    >>> pts[0].applicable, pts[0].eps, info["L_det_m"]
    (False, inf, 2.0)
    """
    t0 = time.perf_counter()
    curve = load_data(data_dir)
    pts = []
    for m in np.atleast_1d(masses):
        pts.append(eps_max(float(m), gamma_dark=gamma_dark, mu_D_muB=mu_D_muB, L_det_m=L_det_m, curve=curve))
        if progress:
            progress(1)
    info = {
        "curve": curve.source,
        "L_det_m": L_DET_M if L_det_m is None else float(L_det_m),
        "timing_s": time.perf_counter() - t0,
    }
    return pts, info


# --- signal and spectra ---------------------------------------------------------------------------
def resonance(key) -> Resonance:
    """The :class:`Resonance` for "2S", "3S", "4S" (or "Upsilon(3S)" and the like); PDG Upsilon masses.

    >>> resonance("Upsilon(4S)").sqrt_s
    10.5794
    >>> resonance("1S")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: resonance = '1S'; choose 2S, 3S or 4S
    """
    k = str(key).upper().replace("UPSILON", "").replace("(", "").replace(")", "")
    if k not in RESONANCES:
        raise ParameterError(f"resonance = {key!r}; choose 2S, 3S or 4S")
    return RESONANCES[k]


def signal_process(m, eps, res, *, isr=False, offshell=None, region: Region | str | None = None):
    """The VEGAS integrand of the signal in the acceptance of the mass region at one resonance
    (:class:`spectra.accel_mc.MonophotonProcess` with the region's cos theta* window and M_X^2 range).
    m in GeV; cross-sections in GeV^-2 (accelerator.md 2 and 5). Its closed form equals :func:`sigma_acc`:

    >>> p = signal_process(1.0, 1e-3, "3S")
    >>> round(p.closed_form() / sigma_acc(1.0, 1e-3, RESONANCES["3S"].sqrt_s), 9)
    1.0
    """
    r = resonance(res) if not isinstance(res, Resonance) else res
    reg = _region(region, m)
    if float(m) ** 2 >= r.s and offshell is None:
        raise ParameterError(f"m_A'^2 = {float(m) ** 2:g} GeV^2 >= s = {r.s:g} GeV^2 at the {r.name}")
    return MonophotonProcess(r.sqrt_s, m, eps, z_window=reg.z, isr=isr, offshell=offshell, mx2_window=reg.mx2)


@dataclass
class ResonanceSpectra:
    """Signal of one data set: sigma in the acceptance (VEGAS, and the closed form when it applies) [fb],
    the produced events L sigma_acc (before BaBar's selection efficiency), and histograms [fb per bin].
    Built by :func:`spectra` (accelerator.md 2 and 5; BaBar arXiv:1702.03327).

    >>> r = ResonanceSpectra(RESONANCES["3S"], "LowM", 1.5, 0.001, 1.5, 1.4, 1.5 * 31.2, {}, 1e-3, 1000)
    >>> round(r.events_produced / r.resonance.lumi_fb, 6)
    1.5
    """

    resonance: Resonance
    region: str
    sigma_acc_fb: float
    sigma_acc_err_fb: float
    sigma_closed_fb: float | None
    sigma_folded_in_window_fb: float
    events_produced: float
    hists: dict
    max_rel_error: float
    neval: int


def spectra(
    m,
    eps,
    *,
    resonances=None,
    isr=False,
    offshell=None,
    rtol=1e-3,
    seed=1,
    response: EMCResponse = RESPONSE,
    neval=20_000,
    max_itn=30,
) -> dict:
    """VEGAS signal and spectra per resonance: cos theta* (stratified in eta), E*_gamma and M_X^2, true and
    folded with the EMC response, all in fb per bin. ``resonances`` defaults to those of the mass region.
    Source: accelerator.md 2-5. A run takes seconds (``tests/test_babar.py`` checks sigma_acc against the
    closed form); the inputs are checked first:

    >>> spectra(1.0, 2.0)
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: eps = 2 is outside the allowed range [0, 1]
    """
    m = check_range("m_ap", m, 0.0, None, unit="GeV")
    eps = check_range("eps", eps, 0.0, 1.0)
    reg = region_for_mass(m)
    keys = list(reg.resonances) if resonances is None else [resonance(k).key for k in resonances]
    out = {}
    for i, key in enumerate(keys):
        r = RESONANCES[key]
        proc = signal_process(m, eps, r, isr=isr, offshell=offshell, region=reg)
        integ = Vegas(proc.ndim, seed=seed + 101 * i, neval=neval)
        tot = integrate_to(integ, proc, rtol, neval=neval)
        closed = None
        if not isr and offshell is None:
            closed = proc.closed_form() * GEV2_TO_FB
        # cos theta*: bins uniform in eta = u[:, 0], stratified exactly (Vegas.histogram)
        nb = 40
        hc = integ.histogram(proc, nb, rtol=rtol, max_itn=200)
        eta_edges = np.linspace(*proc.eta_window, nb + 1)
        cos_edges = np.tanh(eta_edges)
        # M_X^2 and E*_gamma: fine true bins folded with the EMC response
        lo, hi = reg.mx2
        fine_mx2 = np.linspace(lo, hi, int(round((hi - lo) / 0.005)) + 1)
        out_mx2 = np.linspace(lo, hi, int(round((hi - lo) / 0.25)) + 1)
        c_mx2 = 0.5 * (fine_mx2[1:] + fine_mx2[:-1])
        e_lo, e_hi = (r.s - hi) / (2 * r.sqrt_s), (r.s - lo) / (2 * r.sqrt_s)
        fine_e = np.linspace(e_lo, e_hi, 1001)
        out_e = np.linspace(e_lo, e_hi, 101)
        c_e = 0.5 * (fine_e[1:] + fine_e[:-1])
        specs = {
            "MX2_true": HistSpec(lambda k: k["MX2"], out_mx2),
            "MX2_folded": HistSpec(
                lambda k: k["MX2"],
                fine_mx2,
                fold=response.matrix_mx2(c_mx2, out_mx2, r.sqrt_s),
                out_edges=out_mx2,
            ),
            "E_gamma_true": HistSpec(lambda k: k["E_gamma_cm"], out_e),
            "E_gamma_folded": HistSpec(
                lambda k: k["E_gamma_cm"], fine_e, fold=response.matrix_e(c_e, out_e), out_edges=out_e
            ),
        }
        hs, _, worst, k = sample_histograms(
            integ, proc, proc.kinematics, specs, neval=neval, rtol=rtol, max_itn=max_itn
        )
        hists = {name: (h.edges, h.values * GEV2_TO_FB, h.errors * GEV2_TO_FB) for name, h in hs.items()}
        hists["cos_theta"] = (cos_edges, hc.values * GEV2_TO_FB, hc.errors * GEV2_TO_FB)
        sig = tot.mean * GEV2_TO_FB
        out[key] = ResonanceSpectra(
            resonance=r,
            region=reg.name,
            sigma_acc_fb=sig,
            sigma_acc_err_fb=tot.sdev * GEV2_TO_FB,
            sigma_closed_fb=closed,
            sigma_folded_in_window_fb=float(hists["MX2_folded"][1].sum()),
            events_produced=sig * r.lumi_fb,
            hists=hists,
            max_rel_error=max(worst, hc.max_rel_error(1e-2)),
            neval=tot.neval + hc.neval + k * neval,
        )
    return out


def describe() -> dict:
    """Metadata for output files: set-up, response, limit source and citations (arXiv:1702.03327).

    >>> d = describe()
    >>> d["lumi_total_fb"], sum(r["lumi_fb"] for r in d["resonances"].values())
    (53.0, 53.0)
    """
    return {
        "experiment": "BaBar 2017 single photon",
        "citation": CITATION,
        "resonances": {k: {"sqrt_s_GeV": r.sqrt_s, "lumi_fb": r.lumi_fb} for k, r in RESONANCES.items()},
        "lumi_split_caveat": "15.9/31.2/5.9 fb^-1 split is a third-party transcription, unverified [T]",
        "lumi_total_fb": LUMI_TOTAL_FB,
        "regions": {
            k: {"MX2_GeV2": r.mx2, "cos_theta": r.z, "resonances": r.resonances} for k, r in REGIONS.items()
        },
        "emc_resolution": "sigma_E/E = 2.32%/E^(1/4) (+) 1.85% (NIM A479 (2002) 1), calibrated by "
        f"k = {RESPONSE.calibration:.3f} to sigma(M_X^2) = 1.5 GeV^2 at m = 0 (Upsilon(3S))",
        "L_det_m": L_DET_M,
        "limit_curve": "darkcast digitisation of Fig. 5 of arXiv:1702.03327 (BaBar_Lees2017lec.lmt) [T]",
        "recast": "excluded iff eps^2 P_inv(m, eps) > eps_UL(m)^2 (accelerator.md 5.1)",
        "citations": [
            CITATION,
            "BaBar EMC: NIM A479 (2002) 1, hep-ex/0105044",
            "darkcast: Ilten, Soreq, Williams, Xue, arXiv:1801.04847",
        ],
    }


__all__ = [
    "RESONANCES",
    "REGIONS",
    "RESPONSE",
    "EMCResponse",
    "EPS_UL_TABLE",
    "LimitCurve",
    "load_data",
    "eps_ul",
    "sigma_acc",
    "sigma_ul_acc",
    "eps_max",
    "limit",
    "signal_process",
    "spectra",
    "describe",
    "photon_energy_cm",
]
