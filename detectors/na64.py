"""NA64 (electron mode, 2023): missing-energy search for an invisible dark photon, as a recast.

Source: NA64 Collaboration (Yu. M. Andreev et al.), "Search for Light Dark Matter with NA64 at CERN",
Phys. Rev. Lett. 131 (2023) 161801, arXiv:2307.02404: 100 GeV e- on an active Pb/Sc target (~40 X0),
9.37e11 electrons on target (2016-2022), signal box E_miss = E0 - E_ECAL > 50 GeV, 0 events observed.
Reference: ``shared/physics/accelerator.md`` sections 6-7.

Model (what is and is not simulated)
------------------------------------
* Signal yield: A' emission by the *primary* electron along its Tsai track length in lead
  (:class:`spectra.accel_mc.DarkBremProcess` wrapping :class:`spectra.darkbrem.ThickTargetIntegrand`;
  ETL cross section = IWW leading log / K(m, E) with K at the local electron energy), integrated by VEGAS.
  :func:`spectra.darkbrem.thick_target_yield` (nested quad) is the independent check. Secondary e+- of the
  shower above 50 GeV (+10-20 % in yield [R]) are not simulated; the effective efficiency absorbs them.
* E_miss = E_A' (everything else showers in the active target). The ECAL resolution is folded
  analytically: an A' of energy E_A' passes the cut with probability Phi((E_A' - E_cut)/sigma(E0 - E_A')).
* Signal efficiency: :data:`EFFICIENCY`, a mass-dependent *effective* efficiency eff(m) = 0.4047 (m/0.1 GeV)^-0.0307
  (0.466 at 1 MeV, 0.377 at 1 GeV) calibrated on the published curve (:class:`EffectiveEfficiency` has the
  derivation and the residuals). A number or a callable overrides it; the value used and the model are recorded
  in every output (``EpsLimit.extra``, :func:`describe`). The earlier flat 0.6 (:data:`SIGNAL_EFFICIENCY`) made
  the limit 13-20 % too strong.
* Limit: N_EOT Y1(m) eps^2 eps_sig P_inv(m, eps) = s_up, CLs with 0 observed events: s_up = 2.303 (independent
  of b) or, by default, 2.330 with a Gaussian 10 % efficiency (+) 2 % EOT nuisance integrated out
  (Cousins-Highland; :func:`detectors.stats.poisson_cls_upper_limit`). P_inv is averaged over the E_A' spectrum
  of the signal, L_det = 5.5 m (ECAL + HCAL, accelerator.md 7.5 [R, approximate]). Expected limits and the
  +-1, +-2 sigma band: Poisson quantiles of n for b = 0.53 (:func:`detectors.stats.expected_upper_limits`).
* Resonant annihilation e+e- -> A' of shower positrons, on by default. Positron track length: Rossi's
  approximation A (bremsstrahlung and pair production with complete screening, all shower generations,
  infinitely thick target; :func:`spectra.darkbrem.positron_track_length`). The electrons are *bound*: the
  Pb Compton profile (Slater-hydrogenic shells, impulse approximation, arXiv:2403.15387;
  :func:`spectra.darkbrem.annihilation_spectrum_bound`) spreads the at-rest window 0.226-0.32 GeV over
  ~0.17-0.36 GeV. Calibration check: with the efficiency fitted outside the dip, the mass integral of the
  annihilation yield implied by the published dip equals the Rossi-A at-rest one to 1.4 %, i.e. the track
  length of approximation A is *not* too large; what electrons at rest miss is the width of the dip.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from darktmm.detectors import data as datamod
from darktmm.detectors.accel_common import (
    EpsLimit,
    HistSpec,
    excluded_band,
    integrate_to,
    p_inv_function,
    recast,
    sample_histograms,
)
from darktmm.detectors.response import gaussian_bin_probabilities, quadrature_sum
from darktmm.detectors.stats import expected_upper_limits, poisson_cls_upper_limit, poisson_zero_events_limit
from darktmm.spectra import darkbrem as db
from darktmm.spectra.accel_mc import DarkBremProcess
from darktmm.spectra.constants import GEV2_TO_PB, M_E
from darktmm.spectra.integrate import Vegas
from darktmm.spectra.validate import ParameterError, check_range

EXPERIMENT = "na64"
CITATION = "NA64, Yu. M. Andreev et al., PRL 131 (2023) 161801, arXiv:2307.02404"


# --- the published inputs -----------------------------------------------------------------------
@dataclass(frozen=True)
class Dataset:
    """The numbers of the 2023 electron-mode result that the recast uses (accelerator.md 6.1;
    NA64 arXiv:2307.02404). Energies in GeV, target depth in X0, counts in events.

    >>> DATASET.E0, DATASET.n_eot, DATASET.n_obs, round(DATASET.n90, 3)
    (100.0, 937000000000.0, 0, 2.303)
    """

    E0: float = 100.0  # beam energy [GeV] [R]
    n_eot: float = 9.37e11  # electrons on target, 2016-2022 [V: abstract]
    n_obs: int = 0  # events in the signal box [V: abstract]
    E_cut: float = 50.0  # E_miss > 50 GeV (E_ECAL < 50 GeV) [R]
    T_X0: float = 40.0  # active target depth [X0] (~4 X0 pre-shower + 36 X0) [R]
    background_expected: float = (
        0.53  # 0.53 +- 0.17: the 2019 analysis (arXiv:1906.00176) [R]; 2023: O(0.5) [R]
    )
    background_sigma: float = 0.17  # (not used by the CLs limits; recorded)
    #: relative uncertainty of the signal efficiency (Gaussian prior): ~10 % on the A' yield as NA64 quotes
    #: (arXiv:1906.00176, arXiv:2307.02404) [R, approximate, not re-read]
    rel_sigma_efficiency: float = 0.10
    #: relative uncertainty of the EOT count (Gaussian prior) [P: assumed, a few per cent for trigger counting]
    rel_sigma_eot: float = 0.02
    citation: str = CITATION

    @property
    def rel_sigma_signal(self) -> float:
        """Efficiency (+) EOT relative uncertainty, in quadrature (dimensionless).

        >>> round(DATASET.rel_sigma_signal, 4)   # sqrt(0.10^2 + 0.02^2)
        0.102
        """
        return math.hypot(self.rel_sigma_efficiency, self.rel_sigma_eot)

    def s_up(self, systematics: bool = True) -> float:
        """Observed 90 % CL CLs signal limit [events]: 2.303 without, 2.330 with the Gaussian efficiency x EOT
        nuisance (Cousins-Highland, :func:`detectors.stats.poisson_cls_upper_limit`)."""
        sig = self.rel_sigma_signal if systematics else 0.0
        return poisson_cls_upper_limit(self.n_obs, self.background_expected, 0.9, sig)

    def expected(self, systematics: bool = True) -> dict:
        """Expected 90 % CL signal limits [events] for b = background_expected (Poisson quantiles,
        :func:`detectors.stats.expected_upper_limits`): b = 0.53 gives n = 0, 0, 0, 1, 2 at -2..+2 sigma, so
        m2 = m1 = median = the n = 0 limit (degenerate lower band)."""
        sig = self.rel_sigma_signal if systematics else 0.0
        return expected_upper_limits(self.background_expected, 0.9, sig)

    @property
    def n90(self) -> float:
        """90 % CL signal for 0 observed events: ln 10 = 2.303 (CLs, independent of the background)."""
        if self.n_obs != 0:
            raise ParameterError("only the 0-event case is implemented (N90 = 2.3)")
        return poisson_zero_events_limit(0.9)


DATASET = Dataset()


def load_data(data_dir=None) -> Dataset:
    """The published inputs (numbers from the paper, arXiv:2307.02404; accelerator.md 6.1). The published
    curve: :func:`load_curve`. ``data_dir`` is accepted for a uniform interface; no file is read.

    >>> load_data() is DATASET
    True
    """
    return DATASET


# --- the published curve ----------------------------------------------------------------------------
#: The NA64 2023 invisible-A' limit (detectors.data registry; shared/data/PROVENANCE.md section 5).
DATA_FILE = "na64/NA64e-_2022.csv"
CURVE_CITATION = (
    "NA64, PRL 131 (2023) 161801, arXiv:2307.02404, 90 % CL eps limit for BR_inv = 1, as provided by NA64 for "
    "the ESPP 2026 input (ESPP2026-PPG/Quasi-elastic-DM @4321816, Na64/NA64e-_2022.csv) [T: digitised curve]"
)


@dataclass(frozen=True)
class PublishedCurve:
    """eps_90(m) of NA64 for BR_inv = 1: masses [GeV] (sorted), eps (absolute), source and citation.

    Interpolation: linear in (ln m, ln eps) between the points; inf outside [masses[0], masses[-1]]
    (NA64 arXiv:2307.02404; file provenance in shared/data/PROVENANCE.md section 5). On a toy curve the
    geometric-mean mass gets the geometric-mean eps:

    >>> c = PublishedCurve(np.array([0.01, 0.1]), np.array([1e-5, 1e-4]), "toy")
    >>> f"{c(math.sqrt(0.001)):.4g}", c(1.0)
    ('3.162e-05', inf)
    """

    masses: np.ndarray
    eps: np.ndarray
    source: str
    citation: str = CURVE_CITATION

    def __call__(self, m):
        """eps_90 at mass ``m`` [GeV] (scalar or array); ParameterError for m <= 0."""
        m = np.asarray(m, dtype=float)
        if np.any(~(m > 0)):
            raise ParameterError(f"m_ap must be > 0 GeV, got {m!r}")
        v = np.exp(np.interp(np.log(m), np.log(self.masses), np.log(self.eps)))
        v = np.where((m < self.masses[0] * (1 - 1e-9)) | (m > self.masses[-1] * (1 + 1e-9)), np.inf, v)
        return float(v) if v.ndim == 0 else v


def load_curve(data_dir=None) -> PublishedCurve:
    """The published NA64 2023 limit from ``na64/NA64e-_2022.csv`` (two comma-separated columns m [GeV], eps;
    124 rows, 1.05 MeV - 1.41 GeV). The digitised rows are not all in mass order (two pairs near 0.25 and
    0.29 GeV are swapped); they are sorted by mass. Raises detectors.data.DataError if the file is missing.
    With the data files (``tests/test_na64.py`` checks these values)::

        c = load_curve()
        f"{c(0.01):.3g}", f"{c(0.24):.3g}"   # ('2.19e-05', '1.39e-04')

    Source: NA64 arXiv:2307.02404 (shared/data/PROVENANCE.md section 5). Without the files:

    >>> load_curve("/nonexistent")
    Traceback (most recent call last):
    darktmm.detectors.data.DataError: --data-dir /nonexistent is not a directory
    """
    arr = datamod.load_table(DATA_FILE, data_dir, delimiter=",")
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) < 10:
        raise datamod.DataError(f"{DATA_FILE}: expected two columns (mass, eps), got shape {arr.shape}")
    o = np.argsort(arr[:, 0], kind="stable")
    return PublishedCurve(arr[o, 0].copy(), arr[o, 1].copy(), f"file {datamod.path(DATA_FILE, data_dir)}")


#: Flat signal efficiency of the earlier versions (the middle of the 0.5-0.7 NA64 papers quote; accelerator.md
#: 6.1 [R]). No longer the default of :func:`eps_max` (see :data:`EFFICIENCY`); kept as the number the CLI's
#: ``--efficiency`` option falls back to.
SIGNAL_EFFICIENCY = 0.6


@dataclass(frozen=True)
class EffectiveEfficiency:
    """Mass-dependent effective signal efficiency eps_eff(m) = eff_ref (m/m_ref)^(-slope) (dimensionless).

    *Effective*: it absorbs everything of NA64's yield x efficiency that this recast does not model - the
    selection x trigger x veto efficiency proper (0.5-0.7 in NA64 papers, accelerator.md 6.1 [R]) times the
    difference between our primary-electron ETL yield and NA64's full DMG4/Geant4 shower yield (secondary e+-,
    K-factor use, etc.). Calibrated on the published curve (:func:`load_curve`), so it is meaningful only with
    this module's yield model and the default statistics (s_up = :meth:`Dataset.s_up` with systematics).

    Derivation (:func:`calibrate_efficiency`): at each published point m_i away from the annihilation region
    (1 MeV <= m <= 1.02 GeV, m outside 0.14-0.37 GeV; 83 points) the implied efficiency is
    e_i = s_up/(N_EOT eps_pub(m_i)^2 Y1(m_i)), s_up = 2.330 (:meth:`Dataset.s_up`), Y1 the ECAL-folded yield of
    :func:`signal_yield` (VEGAS rtol 1e-3, seed 1; bremsstrahlung plus the Compton-broadened annihilation
    tail). A least-squares line in (ln m, ln e) gives eff_ref = 0.4047 at m_ref = 0.1 GeV and slope = 0.0307
    (rms of ln(e_i/fit) = 0.016, i.e. 0.8 % in eps). Values: 0.466 (1 MeV), 0.451 (3 MeV), 0.434 (10 MeV),
    0.420 (30 MeV), 0.405 (0.1 GeV), 0.391 (0.3 GeV), 0.377 (1 GeV). The slow fall with m is what NA64's
    Geant4 yield has on top of our primary-only ETL yield (e.g. the secondary e+- contribution, larger at low m).

    Residuals eps_darktmm/eps_published of the default recast (annihilation on bound electrons, BR_inv = 1):
    1.05 MeV 0.97, 2 MeV 1.00, 5 MeV 1.00, 10 MeV 1.01, 30 MeV 0.99, 0.1 GeV 1.00, 0.2 GeV 1.12,
    0.24 GeV 0.99, 0.26 GeV 0.95, 0.29 GeV 0.89, 0.5 GeV 1.00, 1 GeV 1.01. On the steep edges of the
    annihilation dip (0.20-0.225 and 0.28-0.31 GeV, |d ln eps/d ln m| ~ 10-13) the ratio is 0.81-1.21; a
    uniform 1.5 % mass offset of the published dip (digitisation, or NA64's mass grid) brings it within 1.0 +- 0.1
    (tests/test_na64.py::test_closure_published_curve). Published curve: NA64 arXiv:2307.02404.

    >>> EFFICIENCY.formula
    'eff(m) = 0.4047 (m/0.1 GeV)^(-0.0307)'
    >>> [round(float(EFFICIENCY(m)), 3) for m in (0.001, 0.1, 1.0)]
    [0.466, 0.405, 0.377]
    """

    eff_ref: float = 0.4047
    m_ref_GeV: float = 0.1
    slope: float = 0.0307
    calibration: str = (
        "least squares in (ln m, ln eff) on the NA64 2023 curve, 1 MeV-1 GeV, 0.14-0.37 GeV excluded"
    )

    def __call__(self, m):
        """eff(m) at mass ``m`` [GeV] (dimensionless)."""
        m = np.asarray(m, dtype=float)
        return self.eff_ref * (m / self.m_ref_GeV) ** (-self.slope)

    @property
    def formula(self) -> str:
        """The efficiency law as text, for output files."""
        return f"eff(m) = {self.eff_ref:.4g} (m/{self.m_ref_GeV:g} GeV)^(-{self.slope:.4g})"

    def as_dict(self) -> dict:
        """Formula and parameters, for output files."""
        return {
            "formula": self.formula,
            "eff_ref": self.eff_ref,
            "m_ref_GeV": self.m_ref_GeV,
            "slope": self.slope,
            "calibration": self.calibration,
            "citation": CURVE_CITATION,
        }


#: The default signal efficiency of the recast: calibrated, mass dependent (:class:`EffectiveEfficiency`).
EFFICIENCY = EffectiveEfficiency()
#: Detector length for the escape probability [m]: ECAL + HCAL ~ 5-6 m (accelerator.md 7.5 [R]).
L_DET_M = 5.5


# --- ECAL response -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ECALResponse:
    """Gaussian ECAL energy resolution sigma_E/E = a/sqrt(E) (+) b, E in GeV.

    Default a = 10 %, b = 2 %: a representative Shashlik Pb/Sc resolution of the size NA64 describes for its
    ECAL (NA64, PRD 97 (2018) 072002, arXiv:1710.00971; Gninenko et al., PRD 94 (2016) 095025,
    arXiv:1604.08432) [R, not re-read: approximate]. sigma(E_ECAL = 50 GeV) = 1.22 GeV: the fold moves the
    yield by < 1 %, so the exact values matter little.

    >>> round(float(RESPONSE.sigma(50.0)), 4)            # 50 GeV x sqrt(0.1^2/50 + 0.02^2)
    1.2247
    >>> float(RESPONSE.pass_probability(50.0))           # an A' exactly at the cut passes half the time
    0.5
    """

    stochastic: float = 0.10
    constant: float = 0.02

    def sigma(self, E_ecal):
        """sigma of the ECAL energy [GeV] at E_ECAL [GeV] (0 at E = 0)."""
        E = np.maximum(np.asarray(E_ecal, dtype=float), 0.0)
        return quadrature_sum(self.stochastic * np.sqrt(E), self.constant * E)

    def pass_probability(self, E_ap, E0=100.0, E_cut=50.0):
        """P(E_miss,rec > E_cut) for E_miss,true = E_A': Phi((E_A' - E_cut)/sigma(E0 - E_A'))."""
        E_ap = np.asarray(E_ap, dtype=float)
        s = np.maximum(self.sigma(E0 - E_ap), 1e-9)
        return ndtr((E_ap - E_cut) / s)

    def generator_cut(self, E0=100.0, E_cut=50.0, nsigma=6.0) -> float:
        """A' energies below E_cut - 6 sigma (sigma at E_ECAL = E0 - E_cut + 6 sigma) never pass [GeV]."""
        s = float(self.sigma(E0 - E_cut))
        return E_cut - nsigma * float(self.sigma(E0 - E_cut + nsigma * s))

    def matrix(self, E_miss_true, edges, E0=100.0):
        """P[b, k]: a true E_miss ``E_miss_true[k]`` lands in reconstructed E_miss bin b of ``edges``."""
        e = np.asarray(E_miss_true, dtype=float)
        return gaussian_bin_probabilities(e, np.maximum(self.sigma(E0 - e), 1e-6), edges)


RESPONSE = ECALResponse()


# --- signal yield ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SignalYield:
    """Per EOT per unit eps^2, eps_sig = P_inv = 1 (dimensionless).

    ``brem``: dark bremsstrahlung with E_miss,rec > E_cut (ECAL-folded), VEGAS, error ``brem_err``.
    ``annihilation``: resonant e+e- -> A' (0 unless asked for; on electrons at rest only 0.226 < m < 0.32 GeV
    contributes at 100 GeV, on bound electrons ~0.15-0.37 GeV), ECAL-folded. ``E_resonance``: its
    yield-weighted mean A' energy [GeV]; ``E_ann``, ``w_ann``: its A' energies and yields (sum = annihilation).
    ``E_ap``, ``weights``: the E_A' spectrum of the accepted bremsstrahlung signal (for P_inv).
    Computed by :func:`signal_yield` (accelerator.md 6.2-6.3).

    >>> y = SignalYield(0.01, 0.0115, 1e-5, 0.0005, 71.3, np.array([75.0]), np.array([1.0]), 41.75, 1000)
    >>> round(y.total, 6)
    0.012
    """

    m_ap: float
    brem: float
    brem_err: float
    annihilation: float
    E_resonance: float
    E_ap: np.ndarray
    weights: np.ndarray
    E_gen: float
    neval: int
    E_ann: np.ndarray | None = None
    w_ann: np.ndarray | None = None

    @property
    def total(self) -> float:
        """brem + annihilation, per EOT per eps^2."""
        return self.brem + self.annihilation


def _check_mass(m, E0):
    m = check_range("m_ap", m, 0.0, None, unit="GeV", lo_open=True)
    if m > E0:
        raise ParameterError(f"m_A' = {m:g} GeV > E0 = {E0:g} GeV: NA64 cannot produce it")
    return m


def signal_process(m, eps=1.0, *, dataset: Dataset = DATASET, response: ECALResponse = RESPONSE, folded=True):
    """:class:`spectra.accel_mc.DarkBremProcess` for NA64: generator cut E_cut - 6 sigma, ECAL pass probability
    as the acceptance (``folded``), or the plain E_A' > E_cut yield (``folded=False``). m in GeV
    (accelerator.md 6.2-6.3). None when no A' can reach the generator cut (41.75 GeV):

    >>> round(RESPONSE.generator_cut(), 2), signal_process(60.0) is None
    (41.75, True)
    """
    m = _check_mass(m, dataset.E0)
    if not folded:
        return DarkBremProcess(m, dataset.E0, dataset.E_cut, dataset.T_X0, eps)
    E_gen = response.generator_cut(dataset.E0, dataset.E_cut)
    if m >= E_gen:
        return None
    acc = functools.partial(response.pass_probability, E0=dataset.E0, E_cut=dataset.E_cut)
    return DarkBremProcess(m, dataset.E0, E_gen, dataset.T_X0, eps, acceptance=acc)


def annihilation_spectrum(m, *, dataset: Dataset = DATASET, response: ECALResponse = RESPONSE, bound=True):
    """ECAL-folded resonant-annihilation signal, per EOT per eps^2 (P_inv = eps_sig = 1): (E_A' [GeV], yields).

    ``bound``: on the bound Pb electrons (:func:`spectra.darkbrem.annihilation_spectrum_bound`: Compton profile,
    impulse approximation, arXiv:2403.15387), else on electrons at rest (:func:`spectra.darkbrem.annihilation_yield`).
    Positron track length: Rossi approximation A (:func:`spectra.darkbrem.positron_track_length`).
    m in GeV (accelerator.md 6.2). On electrons at rest the A' carries E_R = m^2/(2 m_e), and only
    0.226 < m < 0.32 GeV resonates above the cut:

    >>> E, y = annihilation_spectrum(0.27, bound=False)
    >>> round(float(E[0]), 2), round(0.27**2 / (2 * M_E), 2), len(annihilation_spectrum(0.1, bound=False)[0])
    (71.33, 71.33, 0)
    """
    E_gen = response.generator_cut(dataset.E0, dataset.E_cut)
    acc = functools.partial(response.pass_probability, E0=dataset.E0, E_cut=dataset.E_cut)
    if bound:
        return db.annihilation_spectrum_bound(m, dataset.E0, E_gen, acc)
    E_R = float(db.annihilation_resonance_energy(m))
    y = db.annihilation_yield(m, dataset.E0, E_gen, 1.0)
    if not y > 0:
        return np.zeros(0), np.zeros(0)
    return np.array([E_R]), np.array([float(y * acc(E_R))])


@functools.lru_cache(maxsize=512)
def _signal_yield_cached(m, dataset, response, rtol, seed, annihilation, n_spec, bound=True):
    E_gen = response.generator_cut(dataset.E0, dataset.E_cut)
    ann, E_R = 0.0, float(db.annihilation_resonance_energy(m))
    E_ann, w_ann = np.zeros(0), np.zeros(0)
    if annihilation:
        E_ann, w_ann = annihilation_spectrum(m, dataset=dataset, response=response, bound=bound)
        ann = float(np.sum(w_ann))
        if ann > 0:
            E_R = float(np.sum(E_ann * w_ann) / ann)
    proc = signal_process(m, 1.0, dataset=dataset, response=response)
    if proc is None or m <= M_E:  # the leading-log ETL normalisation vanishes for m <= m_e
        return SignalYield(
            m, 0.0, 0.0, ann, E_R, np.array([dataset.E0]), np.array([1.0]), E_gen, 0, E_ann, w_ann
        )
    integ = Vegas(proc.ndim, seed=seed, neval=5000)
    r = integrate_to(integ, proc, rtol, neval=5000)
    edges = np.linspace(max(E_gen, m), dataset.E0, n_spec + 1)
    h = np.zeros(n_spec)
    for u, w in integ.sample(proc, neval=20_000):
        e = proc.kinematics(u)["E_ap"]
        idx = np.clip(np.searchsorted(edges, e) - 1, 0, n_spec - 1)
        h += np.bincount(idx, weights=w, minlength=n_spec)
    centers = 0.5 * (edges[1:] + edges[:-1])
    if not h.sum() > 0:
        h = np.ones(n_spec)
    return SignalYield(m, r.mean, r.sdev, ann, E_R, centers, h, E_gen, r.neval + 20_000, E_ann, w_ann)


def signal_yield(
    m,
    *,
    dataset: Dataset = DATASET,
    response: ECALResponse = RESPONSE,
    rtol=1e-3,
    seed=1,
    annihilation=False,
    n_spec=40,
    bound_electrons=True,
) -> SignalYield:
    """Y1(m): the accepted A' yield per EOT per unit eps^2 (VEGAS to ``rtol``), cached per argument set.
    ``annihilation``: add resonant annihilation (on bound electrons unless ``bound_electrons=False``).
    m in GeV; source accelerator.md 6.2-6.3 (VEGAS run of 0.1-0.3 s: Y1(0.01 GeV) = 0.0115). Cheap limits: the
    leading-log ETL normalisation vanishes for m <= m_e, and nothing passes above the generator cut:

    >>> signal_yield(1e-4).brem, signal_yield(60.0).total
    (0.0, 0.0)
    """
    m = _check_mass(m, dataset.E0)
    rtol = check_range("rtol", rtol, 1e-6, 0.5)
    return _signal_yield_cached(
        float(m),
        dataset,
        response,
        float(rtol),
        int(seed),
        bool(annihilation),
        int(n_spec),
        bool(bound_electrons),
    )


def quad_yield(m, dataset: Dataset = DATASET) -> float:
    """Y1 for E_A' > E_cut without the ECAL fold, by nested quad (:func:`spectra.darkbrem.thick_target_yield`;
    accelerator.md 6.3). Per EOT per eps^2; m in GeV. It takes about a second (``quad_yield(0.01)`` =
    0.01151, the independent check of the VEGAS yield in ``tests/test_na64.py``); the mass is checked first:

    >>> quad_yield(200.0)
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: m_A' = 200 GeV > E0 = 100 GeV: NA64 cannot produce it
    """
    m = _check_mass(m, dataset.E0)
    return db.thick_target_yield(m, dataset.E0, dataset.E_cut, dataset.T_X0)


def _efficiency(efficiency, m) -> float:
    e = EFFICIENCY(m) if efficiency is None else efficiency(m) if callable(efficiency) else efficiency
    return check_range("efficiency", float(e), 0.0, 1.0, lo_open=True)


def _efficiency_info(efficiency):
    """What the output files record about the efficiency model."""
    if efficiency is None or isinstance(efficiency, EffectiveEfficiency):
        return (EFFICIENCY if efficiency is None else efficiency).as_dict()
    if callable(efficiency):
        return {"formula": f"user callable {getattr(efficiency, '__name__', type(efficiency).__name__)}"}
    return {"formula": f"flat {float(efficiency):g}"}


# --- recast ---------------------------------------------------------------------------------------------
#: Keys of the expected-limit band in EpsLimit.extra (eps values; m2 <= m1 <= expected <= p1 <= p2).
BAND_KEYS = {
    "m2": "expected_m2",
    "m1": "expected_m1",
    "median": "expected",
    "p1": "expected_p1",
    "p2": "expected_p2",
}


def eps_max(
    m_ap,
    *,
    gamma_dark=0.0,
    mu_D_muB=None,
    L_det_m=None,
    efficiency=None,
    annihilation=True,
    bound_electrons=True,
    systematics=True,
    rtol=1e-3,
    seed=1,
    dataset: Dataset = DATASET,
    response: ECALResponse = RESPONSE,
) -> EpsLimit:
    """The smallest eps that NA64 2023 excludes at m_A' [GeV] for the model point (gamma_dark [GeV], mu_D).

    Solves N_EOT eps^2 eps_sig(m) [Y1 <P_inv>_brem(eps) + Y_ann <P_inv>_ann(eps)] = s_up (accelerator.md 6.3),
    with P_inv = BR_inv + (1 - BR_inv) exp(-L_det/l) from :func:`spectra.widths.invisible_summary` at the A'
    energies of each signal and L_det = 5.5 m. BR_inv = 1 is not assumed: a pure kinetic-mixing A' above 2 m_e
    decays to e+e-, and the search then constrains only where the A' is long-lived enough to escape (small m
    and eps); ``note`` says which case applies.

    ``efficiency``: None (default: the calibrated :data:`EFFICIENCY`), a number or a callable of m [GeV].
    ``annihilation`` (default on): resonant e+e- -> A' of shower positrons, on bound electrons
    (``bound_electrons``; see :func:`annihilation_spectrum`). ``systematics``: s_up from the CLs limit with the
    Gaussian efficiency (+) EOT nuisance (:meth:`Dataset.s_up`: 2.330; else 2.303).

    ``extra`` holds the yields, the efficiency used (``efficiency``) and its model (``efficiency_model``), s_up,
    and the expected limit band in eps from the Poisson background expectation b = 0.53
    (:meth:`Dataset.expected`): ``expected``, ``expected_m2``, ``expected_m1``, ``expected_p1``,
    ``expected_p2`` (non-strictly ordered m2 <= m1 <= expected <= p1 <= p2; with b = 0.53 the -2, -1 sigma and
    median quantiles are all n = 0, so expected_m2 = expected_m1 = expected = the observed limit).

    A full point takes 1-3 s (VEGAS yield plus the bound-electron annihilation; ``tests/test_na64.py`` checks
    the closure against the published curve). A mass whose A' cannot pass the cut has no limit:

    >>> eps_max(60.0, annihilation=False).note
    "not computed at m_A' = 60 GeV: no A' with E_miss > 50 GeV can be produced"
    """
    m = _check_mass(m_ap, dataset.E0)
    check_range("gamma_dark", gamma_dark, 0.0, None, unit="GeV")
    L = L_DET_M if L_det_m is None else check_range("L_det_m", L_det_m, 0.0, None, unit="m")
    eff = _efficiency(efficiency, m)
    y = signal_yield(
        m,
        dataset=dataset,
        response=response,
        rtol=rtol,
        seed=seed,
        annihilation=annihilation,
        bound_electrons=bound_electrons,
    )
    s_up = dataset.s_up(systematics)
    exp_s = dataset.expected(systematics)
    extra = {
        "Y1_brem_per_eot": y.brem,
        "Y1_brem_err": y.brem_err,
        "Y1_annihilation_per_eot": y.annihilation,
        "E_annihilation_mean_GeV": y.E_resonance if y.annihilation > 0 else math.nan,
        "efficiency": eff,
        "efficiency_model": _efficiency_info(efficiency),
        "n_eot": dataset.n_eot,
        "n90": dataset.n90,
        "s_up": s_up,
        "systematics": (
            {"rel_sigma_efficiency": dataset.rel_sigma_efficiency, "rel_sigma_eot": dataset.rel_sigma_eot}
            if systematics
            else None
        ),
        "background_expected": dataset.background_expected,
        "s_up_expected": {k: exp_s[k] for k in BAND_KEYS},
        "n_obs_quantiles": {k: exp_s[f"n_{k}"] for k in BAND_KEYS},
        "L_det_m": L,
        "E_ap_mean_GeV": float(np.sum(y.E_ap * y.weights) / np.sum(y.weights)),
    }
    low = ""
    if m < 1e-3:
        low = "m < 1 MeV: K(m, E) clamped at its 1.005 MeV value (DMG4 uses tabulated ETL totals there)"
        extra["k_factor_note"] = low
    if not y.total > 0:
        why = (
            "the leading-log ETL cross section used here vanishes for m_A' <= m_e (DMG4's tabulated ETL "
            "totals below 1 MeV are not implemented)"
            if m <= M_E
            else f"no A' with E_miss > {dataset.E_cut:g} GeV can be produced"
        )
        for v in BAND_KEYS.values():
            extra[v] = math.inf
        return EpsLimit.not_computed(EXPERIMENT, m, f"not computed at m_A' = {m:g} GeV: {why}", extra)
    eps0 = math.sqrt(s_up / (dataset.n_eot * eff * y.total))
    p_ann = None
    if y.annihilation > 0:
        p_ann = p_inv_function(m, y.E_ann, y.w_ann, L, gamma_dark, mu_D_muB)

    def p_eff(eps, pf):
        val = y.brem * pf(eps)
        if p_ann is not None:
            val += y.annihilation * p_ann(eps)
        return val / y.total

    lim = recast(
        EXPERIMENT,
        m,
        eps0,
        y.E_ap,
        y.weights,
        L,
        gamma_dark=gamma_dark,
        mu_D_muB=mu_D_muB,
        extra=extra,
        p_eff=p_eff,
    )
    # expected band: the same recast for eps0 scaled by sqrt(s_up(n_q)/s_up)
    pf = p_inv_function(m, y.E_ap, y.weights, L, gamma_dark, mu_D_muB)
    cache = {}
    for k, key in BAND_KEYS.items():
        sq = exp_s[k]
        if sq not in cache:
            cache[sq] = (
                lim.eps
                if sq == s_up
                else excluded_band(eps0 * math.sqrt(sq / s_up), lambda e: p_eff(e, pf)).lo
            )
        lim.extra[key] = cache[sq]
    return dataclasses.replace(lim, note=f"{lim.note}; {low}") if low else lim


def limit(
    masses,
    *,
    gamma_dark=0.0,
    mu_D_muB=None,
    L_det_m=None,
    efficiency=None,
    annihilation=True,
    bound_electrons=True,
    systematics=True,
    rtol=1e-3,
    seed=1,
    progress=None,
):
    """eps_max at every mass [GeV]. Returns (points, info); info records the efficiency model and the
    efficiency used at every mass (``efficiency_per_mass``). Recast of NA64 arXiv:2307.02404
    (accelerator.md 6.3); points are :class:`EpsLimit`.

    >>> pts, info = limit([60.0], annihilation=False)
    >>> pts[0].applicable, round(info["s_up"], 3), info["L_det_m"]
    (False, 2.331, 5.5)
    """
    t0 = time.perf_counter()
    pts = []
    for m in np.atleast_1d(masses):
        pts.append(
            eps_max(
                float(m),
                gamma_dark=gamma_dark,
                mu_D_muB=mu_D_muB,
                L_det_m=L_det_m,
                efficiency=efficiency,
                annihilation=annihilation,
                bound_electrons=bound_electrons,
                systematics=systematics,
                rtol=rtol,
                seed=seed,
            )
        )
        if progress:
            progress(1)
    info = {
        "efficiency": _efficiency_info(efficiency),
        "efficiency_per_mass": [p.extra.get("efficiency", math.nan) for p in pts],
        "annihilation": bool(annihilation),
        "bound_electrons": bool(bound_electrons),
        "systematics": bool(systematics),
        "s_up": DATASET.s_up(systematics),
        "L_det_m": L_DET_M if L_det_m is None else float(L_det_m),
        "rtol": rtol,
        "timing_s": time.perf_counter() - t0,
    }
    return pts, info


def calibrate_efficiency(curve: PublishedCurve | None = None, *, m_lo=1e-3, m_hi=1.02, exclude=(0.14, 0.37)):
    """Refit :class:`EffectiveEfficiency` on the published curve (the derivation in its docstring; ~10 s).

    Returns (EffectiveEfficiency, masses [GeV], implied efficiencies e_i, fitted values). Needs the published
    curve (NA64 arXiv:2307.02404, :func:`load_curve`) and ~10 s, so it is not run here; on the data files it
    returns the parameters of the default :data:`EFFICIENCY`:

    >>> EFFICIENCY.eff_ref, EFFICIENCY.m_ref_GeV, EFFICIENCY.slope
    (0.4047, 0.1, 0.0307)
    """
    c = load_curve() if curve is None else curve
    sel = (c.masses >= m_lo) & (c.masses <= m_hi) & ~((c.masses > exclude[0]) & (c.masses < exclude[1]))
    ms, es = c.masses[sel], c.eps[sel]
    s_up = DATASET.s_up(True)
    Y = np.array([signal_yield(float(m), annihilation=True).total for m in ms])
    e_i = s_up / (DATASET.n_eot * es**2 * Y)
    m_ref = 0.1
    slope, icpt = np.polyfit(np.log(ms / m_ref), np.log(e_i), 1)
    fit = EffectiveEfficiency(
        eff_ref=round(float(math.exp(icpt)), 4), m_ref_GeV=m_ref, slope=round(-float(slope), 4)
    )
    return fit, ms, e_i, fit(ms)


# --- spectra -------------------------------------------------------------------------------------------
@dataclass
class NA64Spectra:
    """Histograms (yield per EOT per bin at the given eps, eps_sig = P_inv = 1) and yields; energies in GeV.
    Built by :func:`spectra` (accelerator.md 6.2-6.3).

    >>> e = np.linspace(40.0, 100.0, 61)
    >>> sp = NA64Spectra(0.01, 1.0, 0.0, 1e-12, 0.0, 0.0, 0.0, 0.0, 0.0, {"E_miss_true": (e, 0 * e[1:], 0 * e[1:])}, 0.0, 0)
    >>> sp.yield_signal
    1e-12
    """

    m_ap: float
    eps: float
    yield_generated: float  # E_A' > E_gen, per EOT (x eps^2)
    yield_signal: float  # E_miss,rec > E_cut (ECAL-folded), per EOT (x eps^2)
    yield_signal_err: float
    yield_true_cut: float  # E_A' > E_cut (no fold), VEGAS, per EOT (x eps^2)
    yield_true_cut_err: float
    yield_quad: float  # the same by nested quad
    yield_annihilation: float
    hists: dict
    max_rel_error: float
    neval: int


def spectra(
    m,
    eps,
    *,
    rtol=1e-3,
    seed=1,
    dataset: Dataset = DATASET,
    response: ECALResponse = RESPONSE,
    annihilation=False,
    neval=50_000,
    max_itn=30,
) -> NA64Spectra:
    """x = E_A'/E_e (signal box), E_miss true and ECAL-folded, A' angle, and the yields per EOT at eps.
    m in GeV; source accelerator.md 6.2-6.3. A run takes seconds (``darktmm spectrum na64``); the mass is
    checked against the generator cut first:

    >>> spectra(60.0, 1e-4)
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: m_A' = 60 GeV: no A' with E_miss > 50 GeV (generator cut 41.8 GeV)
    """
    m = _check_mass(m, dataset.E0)
    eps = check_range("eps", eps, 0.0, 1.0)
    E0, E_cut = dataset.E0, dataset.E_cut
    E_gen = response.generator_cut(E0, E_cut)
    if m >= E_gen:
        raise ParameterError(
            f"m_A' = {m:g} GeV: no A' with E_miss > {E_cut:g} GeV (generator cut {E_gen:.3g} GeV)"
        )
    gen = DarkBremProcess(m, E0, E_gen, dataset.T_X0, eps)
    integ = Vegas(gen.ndim, seed=seed, neval=neval)
    r_gen = integrate_to(integ, gen, rtol, neval=neval // 5)
    sig = signal_process(m, eps, dataset=dataset, response=response)
    r_sig = integrate_to(Vegas(sig.ndim, seed=seed + 1, neval=neval), sig, rtol, neval=neval // 5)
    cut = signal_process(m, eps, dataset=dataset, response=response, folded=False)
    r_cut = integrate_to(Vegas(cut.ndim, seed=seed + 2, neval=neval), cut, rtol, neval=neval // 5)
    y_quad = cut.quad_yield()
    y_ann = 0.0
    if annihilation:
        y_ann = float(np.sum(annihilation_spectrum(m, dataset=dataset, response=response)[1])) * eps**2
    passp = functools.partial(response.pass_probability, E0=E0, E_cut=E_cut)
    x_edges = np.linspace(0.4, 1.0, 61)
    em_edges = np.linspace(40.0, 100.0, 61)
    fine = np.linspace(E_gen, E0, 1201)
    fc = 0.5 * (fine[1:] + fine[:-1])
    out_edges = np.linspace(40.0, 110.0, 71)
    th_edges = np.linspace(-7.0, -1.0, 61)
    specs = {
        "x": HistSpec(lambda k: k["x"], x_edges, weight=lambda k: passp(k["E_ap"])),
        "E_miss_true": HistSpec(lambda k: k["E_miss_true"], em_edges),
        "E_miss_folded": HistSpec(
            lambda k: k["E_miss_true"], fine, fold=response.matrix(fc, out_edges, E0), out_edges=out_edges
        ),
        "log10_theta": HistSpec(
            lambda k: np.log10(np.maximum(k["theta_ap"], 1e-300)), th_edges, weight=lambda k: passp(k["E_ap"])
        ),
    }
    hs, _, worst, k = sample_histograms(
        integ, gen, gen.kinematics, specs, neval=neval, rtol=rtol, max_itn=max_itn
    )
    hists = {name: (h.edges, h.values, h.errors) for name, h in hs.items()}
    return NA64Spectra(
        m_ap=m,
        eps=eps,
        yield_generated=r_gen.mean,
        yield_signal=r_sig.mean,
        yield_signal_err=r_sig.sdev,
        yield_true_cut=r_cut.mean,
        yield_true_cut_err=r_cut.sdev,
        yield_quad=y_quad,
        yield_annihilation=y_ann,
        hists=hists,
        max_rel_error=worst,
        neval=r_gen.neval + r_sig.neval + r_cut.neval + k * neval,
    )


def etl_reference_pb() -> float:
    """sigma_ETL(m = 16.7 MeV, E0 = 150 GeV, eps = 1e-4, Pb) [pb]; DMG4 quotes 3643 pb (accelerator.md 6.2d).

    >>> round(etl_reference_pb() / 3643.0, 2)
    1.0
    """
    return float(db.sigma_etl(150.0, 0.0167, 1e-4)) * GEV2_TO_PB


#: Masses [GeV] at which describe() lists the efficiency used.
DESCRIBE_MASSES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.25, 0.3, 0.5, 1.0)


def describe(efficiency=None, masses=None) -> dict:
    """Metadata for output files: set-up, response, efficiency (model, and its value at ``masses`` [GeV],
    default :data:`DESCRIBE_MASSES`), annihilation model, statistics, models and citations.

    ``signal_efficiency`` is the number for a flat efficiency, else the model (formula and parameters).
    Sources: NA64 arXiv:2307.02404 and the list in ``citations``.

    >>> d = describe(0.6)
    >>> d["signal_efficiency"], round(d["s_up"], 3), d["signal_efficiency_at_masses"]["0.01"]
    (0.6, 2.331, 0.6)
    """
    d = DATASET
    ms = DESCRIBE_MASSES if masses is None else tuple(float(m) for m in np.atleast_1d(masses))
    flat = efficiency is not None and not callable(efficiency)
    exp_s = d.expected(True)
    return {
        "experiment": "NA64 electron mode 2023",
        "citation": CITATION,
        "E0_GeV": d.E0,
        "n_eot": d.n_eot,
        "n_obs": d.n_obs,
        "n90": d.n90,
        "s_up": d.s_up(True),
        "E_miss_cut_GeV": d.E_cut,
        "target": "active Pb/Sc ECAL, lead X0 = 0.561 cm, 40 X0 (Tsai track length of the primary electron)",
        "signal_efficiency": _efficiency(efficiency, 1.0) if flat else _efficiency_info(efficiency),
        "signal_efficiency_at_masses": {f"{m:g}": _efficiency(efficiency, m) for m in ms},
        "ecal_resolution": f"sigma/E = {RESPONSE.stochastic:.0%}/sqrt(E) (+) {RESPONSE.constant:.0%} [R, approximate]",
        "L_det_m": L_DET_M,
        "cross_section": "ETL = IWW leading log / K(m, E) (DMG4 K-factor table), K at the local electron energy",
        "positron_track_length": "Rossi approximation A, all generations, infinitely thick target",
        "annihilation": (
            "resonant e+e- -> A' of shower positrons on the bound Pb electrons (on by default): impulse "
            "approximation with a Slater-hydrogenic Compton profile per shell (arXiv:2403.15387), narrow width"
        ),
        "statistics": {
            "method": "CLs, n_obs = 0, Gaussian efficiency (+) EOT nuisance integrated out (Cousins-Highland)",
            "rel_sigma_efficiency": d.rel_sigma_efficiency,
            "rel_sigma_eot": d.rel_sigma_eot,
            "background_expected": d.background_expected,
            "s_up_expected": {k: exp_s[k] for k in BAND_KEYS},
            "band_note": "b = 0.53: the -2, -1 sigma and median quantiles are n = 0, so that part of the band is degenerate",
        },
        "published_curve": CURVE_CITATION,
        "not_included": "secondary e+- bremsstrahlung (absorbed in the effective efficiency), Geant4 shower and detector simulation",
        "citations": [
            CITATION,
            "NA64, PRL 123 (2019) 121801, arXiv:1906.00176",
            "Kirsanov et al., arXiv:1712.05706; Gninenko et al., arXiv:1604.08432 (ETL, K-factors)",
            "Tsai, RMP 46 (1974) 815; Bjorken, Essig, Schuster, Toro, arXiv:0906.0580",
            "Marsicano et al., arXiv:1802.03794; NA64, arXiv:2108.04195 (positron annihilation)",
            "Arias-Aragon, Darme, Grilli di Cortona, Nardi, PRL 132 (2024) 261801, arXiv:2403.15387 (bound electrons)",
            "Cousins & Highland, NIM A320 (1992) 331; Read, J. Phys. G 28 (2002) 2693 (statistics)",
        ],
    }


__all__ = [
    "DATASET",
    "Dataset",
    "RESPONSE",
    "ECALResponse",
    "SIGNAL_EFFICIENCY",
    "EFFICIENCY",
    "EffectiveEfficiency",
    "BAND_KEYS",
    "DATA_FILE",
    "PublishedCurve",
    "load_curve",
    "annihilation_spectrum",
    "calibrate_efficiency",
    "L_DET_M",
    "load_data",
    "signal_process",
    "signal_yield",
    "quad_yield",
    "eps_max",
    "limit",
    "spectra",
    "describe",
    "etl_reference_pb",
]


# --- one model point: expected signal (the ``spectrum na64`` command) --------------------------------
@dataclass(frozen=True)
class SignalSummary:
    """Expected NA64 signal of one model point: efficiency, BR_inv, <P_inv>, decay length [m] and
    N_sig = N_EOT x yield x efficiency x P_inv (events). Built by :func:`signal_summary` (accelerator.md
    6.3, 7.5).

    >>> SignalSummary(0.5, 1.0, 1.0, 0.0, 0.4685).n_signal
    0.4685
    """

    efficiency: float
    br_inv: float
    p_inv: float
    decay_length_m: float
    n_signal: float


def signal_summary(
    model, sp: NA64Spectra, *, efficiency=None, L_det_m=None, dataset: Dataset = DATASET
) -> SignalSummary:
    """The expected signal of ``model`` (a :class:`spectra.model.DarkSector`) from its spectra ``sp``.

    P_inv = BR_inv + BR_vis exp(-L_det/l) (accelerator.md 7.5) is averaged over the true E_miss
    (= E_A') spectrum above the cut; the yield includes the resonant positron annihilation when
    ``sp`` has it. ``efficiency``: a number, or None for the default of :func:`eps_max`.

    An invisible A' (dark width 1 MeV: P_inv = 1) with a yield of 1e-12 per EOT and efficiency 0.5 gives
    9.37e11 x 1e-12 x 0.5 = 0.4685 events:

    >>> from darktmm.spectra.model import DarkSector
    >>> e = np.linspace(40.0, 100.0, 61)
    >>> v = np.where(e[:-1] >= 50.0, 1.0, 0.0)
    >>> sp = NA64Spectra(0.01, 1.0, 0.0, 1e-12, 0.0, 0.0, 0.0, 0.0, 0.0, {"E_miss_true": (e, v, 0 * v)}, 0.0, 0)
    >>> s = signal_summary(DarkSector(m_ap=0.01, eps=1e-4, gamma_dark=1e-3), sp, efficiency=0.5)
    >>> round(s.p_inv, 6), round(s.n_signal, 4)
    (1.0, 0.4685)
    """
    L = L_DET_M if L_det_m is None else check_range("L_det_m", L_det_m, 0.0, None, unit="m")
    eff = _efficiency(efficiency, model.m_ap)
    e, v, _ = sp.hists["E_miss_true"]
    c = 0.5 * (e[1:] + e[:-1])
    sel = (c > dataset.E_cut) & (v > 0)
    if not np.any(sel):
        sel = v >= 0
    mu = model.mu_D_muB if np.any(model.mu_D_muB) else None
    pf = p_inv_function(model.m_ap, c[sel], np.maximum(v[sel], 0) + 1e-300, L, model.gamma_dark, mu)
    p_inv, br_inv, ell = pf.details(model.eps)
    n_sig = dataset.n_eot * (sp.yield_signal + sp.yield_annihilation) * eff * p_inv
    return SignalSummary(float(eff), float(br_inv), float(p_inv), float(ell), float(n_sig))
