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
  shower above 50 GeV (+10-20 % in yield [R]) are not included, so the limit is a few per cent weak.
* E_miss = E_A' (everything else showers in the active target). The ECAL resolution is folded
  analytically: an A' of energy E_A' passes the cut with probability Phi((E_A' - E_cut)/sigma(E0 - E_A')).
* Signal efficiency: one number, :data:`SIGNAL_EFFICIENCY` = 0.6 by default (NA64 papers quote roughly
  0.5-0.7 for the selection x trigger efficiency, accelerator.md 6.1 [R]; flat in m here, whether the paper
  to be matched uses a mass-dependent one is [P]). Overridable; recorded in every output.
* Limit: N_EOT Y1(m) eps^2 eps_sig P_inv(m, eps) = N90 = 2.3 (CLs with 0 observed events, independent of the
  background: :func:`detectors.stats.poisson_zero_events_limit`), P_inv averaged over the E_A' spectrum of
  the signal, L_det = 5.5 m (ECAL + HCAL, accelerator.md 7.5 [R, approximate]).
* Optional resonant annihilation e+e- -> A' of shower positrons (0.226 < m < 0.32 GeV;
  :func:`spectra.darkbrem.annihilation_yield`). Positron track length: Rossi's approximation A
  (bremsstrahlung and pair production with complete screening, no ionisation or Compton, all shower
  generations, infinitely thick target), solved in Mellin space (:func:`spectra.darkbrem.positron_track_length`);
  expected to be within ~10-20 % of a Geant4 shower at 50-100 GeV.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from darktmm.detectors.accel_common import (
    EpsLimit,
    HistSpec,
    integrate_to,
    p_inv_function,
    recast,
    sample_histograms,
)
from darktmm.detectors.response import gaussian_bin_probabilities, quadrature_sum
from darktmm.detectors.stats import poisson_zero_events_limit
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
    """The numbers of the 2023 electron-mode result that the recast uses (accelerator.md 6.1)."""

    E0: float = 100.0  # beam energy [GeV] [R]
    n_eot: float = 9.37e11  # electrons on target, 2016-2022 [V: abstract]
    n_obs: int = 0  # events in the signal box [V: abstract]
    E_cut: float = 50.0  # E_miss > 50 GeV (E_ECAL < 50 GeV) [R]
    T_X0: float = 40.0  # active target depth [X0] (~4 X0 pre-shower + 36 X0) [R]
    background_expected: float = 0.5  # O(0.5); 0.53 +- 0.17 in the 2019 analysis (arXiv:1906.00176) [R]
    citation: str = CITATION

    @property
    def n90(self) -> float:
        """90 % CL signal for 0 observed events: ln 10 = 2.303 (CLs, independent of the background)."""
        if self.n_obs != 0:
            raise ParameterError("only the 0-event case is implemented (N90 = 2.3)")
        return poisson_zero_events_limit(0.9)


DATASET = Dataset()


def load_data(data_dir=None) -> Dataset:
    """The published inputs. They are numbers from the paper, not a data file (no NA64 curve is used)."""
    return DATASET


#: Default signal efficiency (selection x trigger x vetoes), flat in m: the middle of the 0.5-0.7 that NA64
#: papers quote (arXiv:1906.00176, arXiv:2307.02404; accelerator.md 6.1 [R]).
SIGNAL_EFFICIENCY = 0.6
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
    ``annihilation``: resonant e+e- -> A' (0 unless asked for and 0.226 < m < 0.32 GeV at 100 GeV).
    ``E_ap``, ``weights``: the E_A' spectrum of the accepted bremsstrahlung signal (for P_inv).
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

    @property
    def total(self) -> float:
        return self.brem + self.annihilation


def _check_mass(m, E0):
    m = check_range("m_ap", m, 0.0, None, unit="GeV", lo_open=True)
    if m > E0:
        raise ParameterError(f"m_A' = {m:g} GeV > E0 = {E0:g} GeV: NA64 cannot produce it")
    return m


def signal_process(m, eps=1.0, *, dataset: Dataset = DATASET, response: ECALResponse = RESPONSE, folded=True):
    """:class:`spectra.accel_mc.DarkBremProcess` for NA64: generator cut E_cut - 6 sigma, ECAL pass probability
    as the acceptance (``folded``), or the plain E_A' > E_cut yield (``folded=False``)."""
    m = _check_mass(m, dataset.E0)
    if not folded:
        return DarkBremProcess(m, dataset.E0, dataset.E_cut, dataset.T_X0, eps)
    E_gen = response.generator_cut(dataset.E0, dataset.E_cut)
    if m >= E_gen:
        return None
    acc = functools.partial(response.pass_probability, E0=dataset.E0, E_cut=dataset.E_cut)
    return DarkBremProcess(m, dataset.E0, E_gen, dataset.T_X0, eps, acceptance=acc)


@functools.lru_cache(maxsize=512)
def _signal_yield_cached(m, dataset, response, rtol, seed, annihilation, n_spec):
    E_gen = response.generator_cut(dataset.E0, dataset.E_cut)
    ann, E_R = 0.0, float(db.annihilation_resonance_energy(m))
    if annihilation:
        y = db.annihilation_yield(m, dataset.E0, E_gen, 1.0)
        ann = float(y * response.pass_probability(E_R, dataset.E0, dataset.E_cut)) if y > 0 else 0.0
    proc = signal_process(m, 1.0, dataset=dataset, response=response)
    if proc is None or m <= M_E:  # the leading-log ETL normalisation vanishes for m <= m_e
        return SignalYield(m, 0.0, 0.0, ann, E_R, np.array([dataset.E0]), np.array([1.0]), E_gen, 0)
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
    return SignalYield(m, r.mean, r.sdev, ann, E_R, centers, h, E_gen, r.neval + 20_000)


def signal_yield(
    m,
    *,
    dataset: Dataset = DATASET,
    response: ECALResponse = RESPONSE,
    rtol=1e-3,
    seed=1,
    annihilation=False,
    n_spec=40,
) -> SignalYield:
    """Y1(m): the accepted A' yield per EOT per unit eps^2 (VEGAS to ``rtol``), cached per argument set."""
    m = _check_mass(m, dataset.E0)
    rtol = check_range("rtol", rtol, 1e-6, 0.5)
    return _signal_yield_cached(
        float(m), dataset, response, float(rtol), int(seed), bool(annihilation), int(n_spec)
    )


def quad_yield(m, dataset: Dataset = DATASET) -> float:
    """Y1 for E_A' > E_cut without the ECAL fold, by nested quad (:func:`spectra.darkbrem.thick_target_yield`)."""
    m = _check_mass(m, dataset.E0)
    return db.thick_target_yield(m, dataset.E0, dataset.E_cut, dataset.T_X0)


def _efficiency(efficiency, m) -> float:
    e = SIGNAL_EFFICIENCY if efficiency is None else efficiency(m) if callable(efficiency) else efficiency
    return check_range("efficiency", e, 0.0, 1.0, lo_open=True)


# --- recast ---------------------------------------------------------------------------------------------
def eps_max(
    m_ap,
    *,
    gamma_dark=0.0,
    mu_D_muB=None,
    L_det_m=None,
    efficiency=None,
    annihilation=False,
    rtol=1e-3,
    seed=1,
    dataset: Dataset = DATASET,
    response: ECALResponse = RESPONSE,
) -> EpsLimit:
    """The smallest eps that NA64 2023 excludes at m_A' [GeV] for the model point (gamma_dark [GeV], mu_D).

    Solves N_EOT eps^2 eps_sig [Y1 <P_inv>_brem(eps) + Y_ann P_inv(E_R, eps)] = N90 = 2.3 per (m, eps)
    (accelerator.md 6.3), with P_inv = BR_inv + (1 - BR_inv) exp(-L_det/l) from
    :func:`spectra.widths.invisible_summary` at the A' energies of the signal and L_det = 5.5 m. BR_inv = 1 is
    not assumed: a pure kinetic-mixing A' above 2 m_e decays to e+e-, and the search then constrains only
    where the A' is long-lived enough to escape (small m and eps); ``note`` says which case applies.
    ``efficiency``: a number or a callable of m (default :data:`SIGNAL_EFFICIENCY`).
    """
    m = _check_mass(m_ap, dataset.E0)
    check_range("gamma_dark", gamma_dark, 0.0, None, unit="GeV")
    L = L_DET_M if L_det_m is None else check_range("L_det_m", L_det_m, 0.0, None, unit="m")
    eff = _efficiency(efficiency, m)
    y = signal_yield(m, dataset=dataset, response=response, rtol=rtol, seed=seed, annihilation=annihilation)
    extra = {
        "Y1_brem_per_eot": y.brem,
        "Y1_brem_err": y.brem_err,
        "Y1_annihilation_per_eot": y.annihilation,
        "efficiency": eff,
        "n_eot": dataset.n_eot,
        "n90": dataset.n90,
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
        return EpsLimit.not_computed(EXPERIMENT, m, f"not computed at m_A' = {m:g} GeV: {why}", extra)
    eps0 = math.sqrt(dataset.n90 / (dataset.n_eot * eff * y.total))
    p_ann = None
    if y.annihilation > 0:
        p_ann = p_inv_function(m, [y.E_resonance], [1.0], L, gamma_dark, mu_D_muB)

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
    return dataclasses.replace(lim, note=f"{lim.note}; {low}") if low else lim


def limit(
    masses,
    *,
    gamma_dark=0.0,
    mu_D_muB=None,
    L_det_m=None,
    efficiency=None,
    annihilation=False,
    rtol=1e-3,
    seed=1,
    progress=None,
):
    """eps_max at every mass [GeV]. Returns (points, info)."""
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
                rtol=rtol,
                seed=seed,
            )
        )
        if progress:
            progress(1)
    info = {
        "efficiency": "callable" if callable(efficiency) else _efficiency(efficiency, 1.0),
        "annihilation": bool(annihilation),
        "L_det_m": L_DET_M if L_det_m is None else float(L_det_m),
        "rtol": rtol,
        "timing_s": time.perf_counter() - t0,
    }
    return pts, info


# --- spectra -------------------------------------------------------------------------------------------
@dataclass
class NA64Spectra:
    """Histograms (yield per EOT per bin at the given eps, eps_sig = P_inv = 1) and yields."""

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
    titles: dict
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
    """x = E_A'/E_e (signal box), E_miss true and ECAL-folded, A' angle, and the yields per EOT at eps."""
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
        ya = db.annihilation_yield(m, E0, E_gen, 1.0)
        E_R = float(db.annihilation_resonance_energy(m))
        y_ann = float(ya * response.pass_probability(E_R, E0, E_cut)) * eps**2 if ya > 0 else 0.0
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
    what = f"NA64, m_A' = {m:g} GeV, eps = {eps:g}"
    titles = {
        "x": f"{what}: signal box (E_miss,rec > {E_cut:g} GeV);x = E_{{A'}}/E_{{e}};A' per EOT per bin",
        "E_miss_true": f"{what}: E_miss = E_{{A'}} (true), E_A' > {E_gen:.3g} GeV;E_{{miss}} [GeV];A' per EOT per bin",
        "E_miss_folded": f"{what}: E_miss after ECAL resolution;E_{{miss}} [GeV];A' per EOT per bin",
        "log10_theta": f"{what}: A' emission angle, signal box;log_{{10}}(#theta_{{A'}} / rad);A' per EOT per bin",
    }
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
        titles=titles,
        max_rel_error=worst,
        neval=r_gen.neval + r_sig.neval + r_cut.neval + k * neval,
    )


def etl_reference_pb() -> float:
    """sigma_ETL(m = 16.7 MeV, E0 = 150 GeV, eps = 1e-4, Pb) [pb]; DMG4 quotes 3643 pb (accelerator.md 6.2d)."""
    return float(db.sigma_etl(150.0, 0.0167, 1e-4)) * GEV2_TO_PB


def describe(efficiency=None) -> dict:
    """Metadata for output files: set-up, response, efficiency, models and citations."""
    d = DATASET
    return {
        "experiment": "NA64 electron mode 2023",
        "citation": CITATION,
        "E0_GeV": d.E0,
        "n_eot": d.n_eot,
        "n_obs": d.n_obs,
        "n90": d.n90,
        "E_miss_cut_GeV": d.E_cut,
        "target": "active Pb/Sc ECAL, lead X0 = 0.561 cm, 40 X0 (Tsai track length of the primary electron)",
        "signal_efficiency": "callable" if callable(efficiency) else _efficiency(efficiency, 1.0),
        "ecal_resolution": f"sigma/E = {RESPONSE.stochastic:.0%}/sqrt(E) (+) {RESPONSE.constant:.0%} [R, approximate]",
        "L_det_m": L_DET_M,
        "cross_section": "ETL = IWW leading log / K(m, E) (DMG4 K-factor table), K at the local electron energy",
        "positron_track_length": "Rossi approximation A, all generations, infinitely thick target",
        "not_included": "secondary e+- bremsstrahlung (+10-20 % yield), Geant4 shower and detector simulation",
        "citations": [
            CITATION,
            "NA64, PRL 123 (2019) 121801, arXiv:1906.00176",
            "Kirsanov et al., arXiv:1712.05706; Gninenko et al., arXiv:1604.08432 (ETL, K-factors)",
            "Tsai, RMP 46 (1974) 815; Bjorken, Essig, Schuster, Toro, arXiv:0906.0580",
            "Marsicano et al., arXiv:1802.03794; NA64, arXiv:2108.04195 (positron annihilation)",
        ],
    }


__all__ = [
    "DATASET",
    "Dataset",
    "RESPONSE",
    "ECALResponse",
    "SIGNAL_EFFICIENCY",
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
    N_sig = N_EOT x yield x efficiency x P_inv (events)."""

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
