"""Borexino Phase II: response, data, spectral and rate likelihoods, limits on eps*mu_D.

Reference: ``shared/physics/solar_borexino.md`` sections 4-10.

What to use when
----------------
* :func:`load_data` - the public TFC-subtracted Phase-II spectrum (Borexino PRD 100 (2019) 082004,
  arXiv:1707.09279, Fig. 6a components; Nature 562 (2018) 505, Fig. 2a data) from the data
  directory (``detectors.data``). Needs the files.
* :func:`sm_spectra`, :func:`tmm_spectra` - VEGAS recoil spectra (SM per solar component and dark TMM),
  true and folded with :data:`RESPONSE`, each bin with its MC error. Needs no files.
* :func:`spectral_limit_from_templates` - the baseline: binned Poisson fit in 0.23-1.26 MeV, all nuisances
  profiled, 90 % CL at -2 Delta ln L = 2.71. Needs the files.
* :func:`rate_limit` - the built-in fallback that needs no files: chi^2 of the published
  Phase-II rates (pp, pep, 7Be) with the SK emulation of their correlations (arXiv:2312.12907
  Sec. VII D) and the TMM rate above T_th = 0.19 MeV. A cross-check, threshold-dependent.
* :func:`limit` - picks the spectral fit when the data are found and the rate fit otherwise, and
  says which one it used.

The limit quantity is the effective moment eps*mu_eff in mu_B for the flavour-blind
configuration (|Lambda_1| = |Lambda_2| = |Lambda_3|, ``DarkSector.flavour_blind``), the
validation configuration of section 7.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from darktmm.detectors import data as datamod
from darktmm.detectors.response import gaussian_bin_probabilities
from darktmm.detectors.stats import (
    DELTA_90,
    Band,
    LinearPoissonModel,
    ProfileScan,
    asimov_band,
    chi2_rates,
    cls_upper_limit,
    conditional_width_ratio,
    quadratic_chi2_limit,
    upper_limit,
)
from darktmm.spectra.constants import MEV, SECONDS_PER_DAY
from darktmm.spectra.integrate import Vegas, max_rel_error
from darktmm.spectra.model import NUFIT52, DarkSector, Oscillation
from darktmm.spectra.recoil import RecoilProcess
from darktmm.spectra.validate import ParameterError, check_range

# --- set-up (section 4.1) --------------------------------------------------------------------
#: Live time [days], Dec 2011 - May 2016 (arXiv:1707.09279 abstract).
LIVE_DAYS = 1291.51
#: Fiducial mass [t] (arXiv:1707.09279).
FIDUCIAL_MASS_T = 71.3
#: Target electrons per 100 t of PC+PPO (arXiv:1308.0443).
ELECTRONS_PER_100T = 3.307e31
#: Exposure of the TFC-subtracted public spectrum [day x 100 t] (solar_borexino.md section 4.1).
EXPOSURE_TFC = 582.326
#: Converts a rate per target electron [s^-1] into counts per day per 100 t.
PER_E_S_TO_CPD100T = ELECTRONS_PER_100T * SECONDS_PER_DAY
#: Fit window in N_h (E_rec 0.231-1.262 MeV), section 7.
WINDOW_NH = (100, 500)
#: 8B held fixed at its zero-threshold rate [cpd/100 t] (section 3).
B8_RATE = 0.435
#: Reference moment of the TMM template [mu_B].
MU_REF = 1e-11


@dataclass(frozen=True)
class Response:
    """Effective Phase-II response (solar_borexino.md section 5, fitted to Borexino's own solar
    component): E_rec = scale*T + offset, Gaussian sigma = coeff*sqrt(T/MeV). Energies in GeV.

    A 1 MeV recoil reconstructs at 1.0792 - 0.0111 = 1.0681 MeV with sigma = 0.0639 MeV:

    >>> round(float(RESPONSE.mean(MEV)) / MEV, 4), round(float(RESPONSE.sigma(MEV)) / MEV, 4)
    (1.0681, 0.0639)
    """

    scale: float = 1.0792
    offset: float = -0.0111 * MEV
    sigma_coeff: float = 0.0639 * MEV

    def mean(self, T):
        """Mean reconstructed energy scale*T + offset [GeV] of a recoil T [GeV]."""
        return self.scale * np.asarray(T) + self.offset

    def sigma(self, T):
        """Gaussian resolution sigma_coeff*sqrt(T/MeV) [GeV] at recoil T [GeV]."""
        return self.sigma_coeff * np.sqrt(np.maximum(np.asarray(T), 1e-30) / MEV)

    def matrix(self, T, erec_edges) -> np.ndarray:
        """P[b, k]: probability that a recoil at T[k] lands in reconstructed bin b."""
        return gaussian_bin_probabilities(self.mean(T), self.sigma(T), erec_edges)


RESPONSE = Response()


def nh_to_erec(nh) -> np.ndarray:
    """Borexino N_h to the electron-equivalent energy axis [GeV] (fit to the energy_keV column,
    section 4.2 of solar_borexino.md): E[keV] = 0.41 + 2.252 N_h + 5.42e-4 N_h^2.

    The lower edge of the fit window, N_h = 100, is 0.41 + 225.2 + 5.42 keV:

    >>> round(float(nh_to_erec(100)) * 1e6, 2)
    231.03
    """
    nh = np.asarray(nh, dtype=float)
    return (0.41 + 2.252 * nh + 5.42e-4 * nh**2) * 1e-6


def window_edges(window=WINDOW_NH) -> np.ndarray:
    """Bin edges [GeV] of the 1-N_h bins of the fit window (edges at N_h +- 0.5; solar_borexino.md
    section 4.2: 401 bins over 0.23-1.26 MeV).

    >>> e = window_edges()
    >>> len(e) - 1, round(float(e[0]) / MEV, 3), round(float(e[-1]) / MEV, 3)
    (401, 0.23, 1.263)
    """
    lo, hi = window
    return nh_to_erec(np.arange(lo, hi + 2) - 0.5)


# --- data (section 4.2) ----------------------------------------------------------------------
DATA_FILE = "borexino/phase2_spectrum/phase2_fig6a_components.csv"
BACKGROUNDS = ("C14", "pileup", "Po210", "Kr85", "Bi210", "C11", "ext")


@dataclass(frozen=True)
class PhaseIIData:
    """The public Phase-II spectrum in the fit window (solar_borexino.md section 4.2; Borexino
    arXiv:1707.09279 Fig. 6a): N_h, edges [GeV], counts [events per bin], Borexino's fitted background
    shapes and total fit [events per bin]. :func:`load_data` builds it from the data files; a toy one:

    >>> e = window_edges()[:3]
    >>> d = PhaseIIData(np.array([100, 101]), e, np.array([5.0, 7.0]), {}, np.array([6.0, 6.0]))
    >>> float(d.counts.sum() - d.borexino_total.sum())
    0.0
    """

    nh: np.ndarray
    edges: np.ndarray  # GeV
    counts: np.ndarray  # events per bin
    backgrounds: dict  # name -> expected counts per bin at Borexino's fitted normalisation
    borexino_total: np.ndarray  # Borexino's total fit, counts per bin
    path: str = ""


def load_data(data_dir=None, window=WINDOW_NH) -> PhaseIIData:
    """Read the Phase-II spectrum and Borexino's fitted background shapes.

    Counts are round(data x 582.326). Where Po210 > 50 % of total, (total - sum of components) is
    added to the Po210 shape to restore the discrete N_h structure under the alpha peak
    (solar_borexino.md section 4.2). Raises detectors.data.DataError when the file is missing. With the
    data files (``tests/validation/test_borexino_limit.py`` checks them) ``load_data().counts`` holds the 401 bins of
    the window. Without them:

    >>> load_data("/nonexistent")
    Traceback (most recent call last):
    darktmm.detectors.data.DataError: --data-dir /nonexistent is not a directory
    """
    p = datamod.path(DATA_FILE, data_dir)
    try:
        with open(p) as fh:
            lines = [ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
        names = [x.strip() for x in lines[0].split(",")]
        vals = np.loadtxt(lines[1:], delimiter=",")
        arr = {n: vals[:, i] for i, n in enumerate(names)}
        nh = arr["N_h"].astype(int)
    except Exception as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise datamod.DataError(f"cannot read {p}: {msg}") from None
    sel = (nh >= window[0]) & (nh <= window[1])
    if sel.sum() != window[1] - window[0] + 1:
        raise datamod.DataError(f"{p}: N_h window {window} incomplete")
    a = {k: v[sel] for k, v in arr.items()}
    comps = ("C14", "pileup", "Po210", "Kr85", "Bi210", "C11", "ext", "solar")
    po = a["Po210"].copy()
    resid = a["total"] - sum(a[c] for c in comps)
    fix = po > 0.5 * a["total"]
    po[fix] += resid[fix]
    bkg = {c: np.asarray(a[c], dtype=float) * EXPOSURE_TFC for c in BACKGROUNDS}
    bkg["Po210"] = np.maximum(po, 0.0) * EXPOSURE_TFC
    return PhaseIIData(
        nh=nh[sel],
        edges=window_edges(window),
        counts=np.round(a["data"] * EXPOSURE_TFC),
        backgrounds=bkg,
        borexino_total=a["total"] * EXPOSURE_TFC,
        path=str(p),
    )


# --- templates ---------------------------------------------------------------------------
SOLAR = ("pp", "7Be", "pep", "13N", "15O", "17F", "8B", "hep")
CNO = ("13N", "15O", "17F")
#: True-recoil range of the templates [GeV]: recoils below 0.05 MeV lie > 6 sigma below the
#: window (section 9); above 1.7 MeV they lie > 6 sigma above 1.26 MeV.
T_RANGE = (0.05 * MEV, 1.7 * MEV)
N_FINE = 1200


@dataclass
class Spectrum:
    """One process: true and folded spectra in cpd/100 t per bin, with MC errors; energies (edges) in GeV.
    Built by :func:`spectrum` (solar_borexino.md sections 3 and 5).

    >>> z = np.ones(2)
    >>> s = Spectrum("pp", "sm", window_edges()[:3], z, 0 * z, window_edges()[:3], z, 0 * z)
    >>> float(s.folded.sum()), s.neval
    (2.0, 0)
    """

    name: str
    kind: str
    true_edges: np.ndarray
    true: np.ndarray
    true_err: np.ndarray
    folded_edges: np.ndarray
    folded: np.ndarray
    folded_err: np.ndarray
    rate_zero_threshold: float = float("nan")  # cpd/100 t (SM: all T; TMM: T >= T_lo)
    neval: int = 0
    max_rel_error: float = float("nan")


def _fine_to_coarse(fine_edges, coarse_edges) -> np.ndarray:
    """Overlap matrix: fraction (in ln T) of each fine bin inside each coarse bin."""
    lf = np.log(fine_edges)
    lo = np.maximum(lf[None, :-1], np.log(np.maximum(coarse_edges[:-1], 1e-300))[:, None])
    hi = np.minimum(lf[None, 1:], np.log(np.maximum(coarse_edges[1:], 1e-300))[:, None])
    return np.clip(hi - lo, 0.0, None) / np.diff(lf)[None, :]


def spectrum(
    process: RecoilProcess,
    folded_edges,
    true_edges,
    *,
    rtol=1e-3,
    seed=0,
    response: Response = RESPONSE,
    n_fine: int = N_FINE,
    neval: int | None = None,
    rng=None,
    floor: float = 0.0,
) -> Spectrum:
    """VEGAS true and folded spectrum of one process, to relative precision ``rtol`` per bin.

    Bins below ``floor`` [cpd/100 t per bin] are not required to converge (templates for a sum).
    Edges in GeV; folding with the :class:`Response` of solar_borexino.md section 5.

    The response is normalised: folded into one wide bin, the pep line keeps its true rate
    [cpd/100 t] (recoils 0.05-1.22 MeV):

    >>> from darktmm.spectra.recoil import RecoilProcess
    >>> pep = RecoilProcess("pep", "sm", T_lo=T_RANGE[0], T_hi=T_RANGE[1])
    >>> s = spectrum(pep, np.array([0.0, 0.01]), np.array([0.0, 0.01]), rtol=1e-2, n_fine=100)
    >>> round(float(s.folded[0]), 2), round(float(s.true[0]), 2)
    (2.65, 2.65)
    """
    if process.is_line and len(process.comp.lines) > 1:
        # one line at a time: each line's Compton edge T_max then sits on a fine-bin edge
        # instead of inside a fine bin (where folding at the bin centre would be 1 % off)
        import dataclasses

        parts = [
            spectrum(
                dataclasses.replace(process, line_index=i),
                folded_edges,
                true_edges,
                rtol=rtol,
                seed=seed + 7919 * i,
                response=response,
                n_fine=n_fine,
                neval=neval,
                floor=floor,
            )
            for i in range(len(process.comp.lines))
        ]
        q = lambda a: np.sqrt(sum(getattr(p, a) ** 2 for p in parts))  # noqa: E731
        return Spectrum(
            process.component,
            process.kind,
            np.asarray(true_edges),
            sum(p.true for p in parts),
            q("true_err"),
            np.asarray(folded_edges),
            sum(p.folded for p in parts),
            q("folded_err"),
            neval=sum(p.neval for p in parts),
            max_rel_error=max(p.max_rel_error for p in parts),
        )
    lo, hi = process.t_range
    name = process.component
    if process.empty:
        z = np.zeros(len(folded_edges) - 1)
        zt = np.zeros(len(true_edges) - 1)
        return Spectrum(name, process.kind, true_edges, zt, zt, folded_edges, z, z, 0.0)
    fine_edges = lo * np.exp(np.linspace(0.0, 1.0, n_fine + 1) * np.log(hi / lo))
    fine_c = np.sqrt(fine_edges[1:] * fine_edges[:-1])
    R = np.vstack([response.matrix(fine_c, folded_edges), _fine_to_coarse(fine_edges, true_edges)])
    # lines are 1-D (T only); continua need more points per bin to stratify the E axis too
    neval = neval or (20_000 if process.ndim == 1 else 100_000)
    integ = Vegas(process.ndim, seed=seed, rng=rng, neval=neval)

    # converge on the folded (detector) bins; the true-recoil bins carry their errors along
    nf = len(folded_edges) - 1
    check = np.arange(R.shape[0]) < nf
    res = integ.histogram(
        process, n_fine, rtol=rtol, fold=R, significant=1e-3, floor=floor / PER_E_S_TO_CPD100T, check=check
    )
    v = res.values * PER_E_S_TO_CPD100T
    e = res.errors * PER_E_S_TO_CPD100T
    return Spectrum(
        name,
        process.kind,
        np.asarray(true_edges),
        v[nf:],
        e[nf:],
        np.asarray(folded_edges),
        v[:nf],
        e[:nf],
        neval=res.neval,
        max_rel_error=max_rel_error(v[:nf], e[:nf], 1e-3, floor),
    )


def zero_threshold_rate(component: str, *, osc=NUFIT52, profile=None, seed=0, rtol=1e-4) -> float:
    """SM interaction rate for 0 < T < T_max [cpd/100 t] (solar_borexino.md section 3 check values), by
    VEGAS. The pep line with NuFIT 5.2 and the BKS cross-section (check value 2.777):

    >>> f"{zero_threshold_rate('pep'):.3g}"
    '2.78'
    """
    proc = RecoilProcess(component, "sm", T_lo=1e-9, T_hi=1.0, osc=osc, profile=profile)
    integ = Vegas(proc.ndim, seed=seed, neval=20_000)
    integ.train(proc, nitn=6)
    r = integ.integrate(proc, nitn=8)
    return r.mean * PER_E_S_TO_CPD100T


def default_true_edges():
    """True-recoil edges [GeV] of the templates: 10 keV bins over 0-1.7 MeV (the range :data:`T_RANGE`
    of solar_borexino.md section 9).

    >>> e = default_true_edges()
    >>> len(e) - 1, round(float(e[1] - e[0]) / MEV, 6), round(float(e[-1]) / MEV, 6)
    (170, 0.01, 1.7)
    """
    return np.linspace(0.0, 1.7 * MEV, 171)


def _spectrum_job(job):
    proc, edges, true_edges, rtol, seed, floor = (*job, 0.0)[:6]
    return spectrum(proc, edges, true_edges, rtol=rtol, seed=seed, floor=floor)


def _run(jobs):
    """Compute the spectra of a list of jobs (serial: a process pool measured no faster on 2 cores).

    Each job carries its own seed, so the result of a job does not depend on the others."""
    return [_spectrum_job(j) for j in jobs]


def sm_spectra(edges, *, rtol=1e-3, seed=0, osc=NUFIT52, profiles=None, true_edges=None):
    """SM spectra (SSM fluxes) for every solar component, and their zero-threshold rates [cpd/100 t]
    (solar_borexino.md sections 2-3; spectra per :func:`spectrum`, rates per :func:`zero_threshold_rate`).
    A full run takes seconds (``tests/validation/test_borexino_limit.py`` checks the rates against section 3: pp 132.54,
    7Be 48.28, pep 2.777 with NuFIT 5.2, BKS). Its keys are the components:

    >>> SOLAR
    ('pp', '7Be', 'pep', '13N', '15O', '17F', '8B', 'hep')
    """
    true_edges = default_true_edges() if true_edges is None else true_edges
    jobs = []
    for k, c in enumerate(SOLAR):
        prof = None if profiles is None else profiles.get(c)
        proc = RecoilProcess(c, "sm", T_lo=T_RANGE[0], T_hi=T_RANGE[1], osc=osc, profile=prof)
        jobs.append((proc, edges, true_edges, rtol, seed + k))
    out = dict(zip(SOLAR, _run(jobs)))
    rates = {}
    for k, c in enumerate(SOLAR):
        prof = None if profiles is None else profiles.get(c)
        rates[c] = zero_threshold_rate(c, osc=osc, profile=prof, seed=seed + 100 + k)
        out[c].rate_zero_threshold = rates[c]
    return out, rates


def tmm_spectra(
    m_ap,
    edges,
    *,
    mu_eff=MU_REF,
    moment_muB=None,
    rtol=1e-3,
    seed=0,
    osc=NUFIT52,
    profiles=None,
    true_edges=None,
    template: bool = False,
):
    """Dark-TMM spectra for every component at one m_A' [GeV].

    ``template``: only the sum over components must reach ``rtol`` (limit scans); otherwise
    every component does, bin by bin (the ``spectrum`` command).

    The moment is flavour blind with eps*mu_eff = ``mu_eff`` [mu_B] unless ``moment_muB`` (the
    mass-basis matrix eps*mu_D) is given. Spectra in cpd/100 t per bin (solar_borexino.md sections 7, 9;
    a run takes about a second, so the example shows the validated input):

    >>> tmm_spectra(-1.0, window_edges())
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: m_ap = -1 GeV is outside the allowed range [0, inf] GeV
    """
    true_edges = default_true_edges() if true_edges is None else true_edges
    lam = DarkSector.flavour_blind(m_ap, 1.0, mu_eff).mu_D_muB if moment_muB is None else moment_muB
    jobs = []
    for k, c in enumerate(SOLAR):
        prof = None if profiles is None else profiles.get(c)
        proc = RecoilProcess(
            c, "tmm", T_lo=T_RANGE[0], T_hi=T_RANGE[1], m_ap=m_ap, moment_muB=lam, osc=osc, profile=prof
        )
        jobs.append((proc, edges, true_edges, rtol, seed + 1000 + k))
    if not template:
        return dict(zip(SOLAR, _run(jobs)))
    # template mode: the dominant 7Be line first; every component then converges only in the
    # bins above 1e-3 of the 7Be maximum, i.e. the *sum* reaches rtol where it matters
    be = _spectrum_job(jobs[SOLAR.index("7Be")])
    floor = 1e-3 * float(np.max(be.folded))
    rest = [(*j, floor) for c, j in zip(SOLAR, jobs) if c != "7Be"]
    out = dict(zip([c for c in SOLAR if c != "7Be"], _run(rest)))
    out["7Be"] = be
    return {c: out[c] for c in SOLAR}


# --- likelihood (section 7) ----------------------------------------------------------------
TREATMENTS = {
    # name: (pp center, pp sigma, 7Be center, 7Be sigma) in cpd/100 t
    "ssm": (131.1, 0.01 * 131.1, 47.9, 0.06 * 47.9),
    "ga": (131.1, 0.03 * 131.1, 47.9, np.inf),
    "free": (131.1, np.inf, 47.9, np.inf),
}


@dataclass(frozen=True)
class Prior:
    """A Gaussian prior of one nuisance of the spectral fit: center +- sigma [unit], with its source
    (solar_borexino.md section 7 item 5).

    >>> p = NUISANCE_PRIORS["pep"]
    >>> p.center, p.sigma, p.unit
    (2.74, 0.04, 'cpd/100t')
    """

    center: float
    sigma: float
    unit: str
    source: str


#: Nominal constraints of section 7 item 5 (always in the fit; pp and 7Be follow the treatment).
NUISANCE_PRIORS = {
    "pep": Prior(
        2.74, 0.04, "cpd/100t", "B16-HZ pep expectation, PRD 100 (2019) 082004 Tab. V (solar_borexino.md 7)"
    ),
    "CNO": Prior(
        4.92, 0.55, "cpd/100t", "B16-HZ CNO, Borexino open data arXiv:2005.12829 Tab. 2 (solar_borexino.md 7)"
    ),
    "C14": Prior(
        1.0,
        0.05,
        "x Borexino fit",
        "14C 40.0 +- 2.0 Bq/100 t, Newtrinos borexino_ph2_spectrum.jl (solar_borexino.md 6)",
    ),
    "pileup": Prior(
        1.0, 0.02, "x Borexino fit", "pile-up 137.5 +- 2.8 cpd/100 t, same source (solar_borexino.md 6)"
    ),
}

#: Systematic nuisances of ``build_model(systematics=True)``, in the fit as shifts from nominal.
#: * exposure: a common factor (1 + eta) on every Monte Carlo prediction (solar, 8B/hep, TMM);
#:   sigma = 0.45 % from the target-electron count (3.307 +- 0.015)e31 per 100 t (arXiv:1308.0443,
#:   solar_borexino.md 4.1). The TFC exposure 582.326 day x 100 t itself is fixed by the integer
#:   counts of the public spectrum (4.1) and carries no further error here.
#: * response scale, offset and resolution coefficient of :class:`Response` (first-order template
#:   morphing, :func:`response_derivatives`). The effective response is a fit without published
#:   errors (solar_borexino.md 5, [D]); the widths are loose priors set by the evidence quoted
#:   there: the Phase-III calibration of the same energy axis (calibration.txt) differs by a 0.2 %
#:   scale and a 3.1 keV offset, so scale +-0.5 % and offset +-3 keV; the resolution coefficient
#:   +-5 % (the fitted 6.0 % at 1 MeV against the nominal 5 %/sqrt(E) of 1308.0443 brackets it,
#:   and the model/solar mismatch above 0.8 MeV is +2 to +13 %).
SYSTEMATIC_PRIORS = {
    "exposure": Prior(0.0, 0.0045, "fraction", "target electrons (3.307 +- 0.015)e31/100 t, arXiv:1308.0443"),
    "response_scale": Prior(
        0.0,
        0.005 * RESPONSE.scale,
        "dimensionless",
        "loose: Phase-III calibration.txt differs by 0.2 % (solar_borexino.md 5)",
    ),
    "response_offset": Prior(
        0.0, 0.003 * MEV, "GeV", "loose: calibration.txt offset 3.1 keV (solar_borexino.md 5)"
    ),
    "response_sigma_coeff": Prior(
        0.0,
        0.05 * RESPONSE.sigma_coeff,
        "GeV",
        "loose +-5 %: fitted 6.0 % vs nominal 5 %/sqrt(E) at 1 MeV (1308.0443)",
    ),
}


def _systematic_names(systematics) -> tuple[str, ...]:
    """True: all of :data:`SYSTEMATIC_PRIORS`; False/None: none; else the names given."""
    if systematics is True:
        return tuple(SYSTEMATIC_PRIORS)
    names = tuple(systematics or ())
    for name in names:
        if name not in SYSTEMATIC_PRIORS:
            raise ParameterError(f"systematics: {name!r} unknown; choose from {list(SYSTEMATIC_PRIORS)}")
    return names


def priors(treatment: str = "ssm", systematics=False) -> dict:
    """Every Gaussian prior of the spectral fit as {name: {center, sigma, unit, source}}, for
    ``describe()`` and the output metadata (sigma None: free, no constraint). Centres of the SSM B16-HZ
    treatment (solar_borexino.md section 7 item 5): pp 131.1 +- 1 %, 7Be 47.9 +- 6 % [cpd/100 t].

    >>> p = priors("ssm", systematics=True)
    >>> p["pp"]["sigma"], round(p["exposure"]["sigma"], 4)
    (1.311, 0.0045)
    """
    if treatment not in TREATMENTS:
        raise ParameterError(f"treatment = {treatment!r}; choose from {sorted(TREATMENTS)}")
    pp_c, pp_s, be_c, be_s = TREATMENTS[treatment]
    src = f"treatment {treatment!r}: SSM B16-HZ (solar_borexino.md 7 item 5)"
    out = {
        "pp": Prior(pp_c, pp_s, "cpd/100t", src),
        "7Be": Prior(be_c, be_s, "cpd/100t", src),
        **NUISANCE_PRIORS,
    }
    out |= {k: SYSTEMATIC_PRIORS[k] for k in _systematic_names(systematics)}
    return {
        k: {
            "center": v.center,
            "sigma": float(v.sigma) if np.isfinite(v.sigma) else None,
            "unit": v.unit,
            "source": v.source,
        }
        for k, v in out.items()
    }


_RESPONSE_PARAMS = {
    "response_scale": "scale",
    "response_offset": "offset",
    "response_sigma_coeff": "sigma_coeff",
}
#: Central-difference steps of :func:`response_derivatives` (0.1 of each prior width).
_RESPONSE_STEPS = {"response_scale": 5e-4, "response_offset": 3e-4 * MEV, "response_sigma_coeff": 3e-4 * MEV}


def response_derivatives(
    spec: Spectrum, response: Response = RESPONSE, sub: int = 10
) -> dict[str, np.ndarray]:
    """d(folded spectrum)/d p for p = scale, offset, sigma_coeff [cpd/100 t per bin per unit p].

    The true-recoil histogram of ``spec`` is refolded, piecewise constant over ``sub`` sub-bins of
    each true bin, at p +- h (central difference, h = 0.1 of the prior width); the
    piecewise-constant error cancels in the difference to first order. First-order template
    morphing (a linear shape systematic, as HistFactory's histosys, Cranmer et al. CERN-OPEN-2012-016;
    the response of solar_borexino.md section 5).

    A line of recoils at T = 0.5 MeV: moving the offset by dE moves the mean E_rec by dE, so
    sum_b E_b dF_b/d offset equals the total rate (here 1)

    >>> te = np.linspace(0.0, 1.0e-3, 101)
    >>> true = np.where(np.arange(100) == 50, 1.0, 0.0)
    >>> s = Spectrum("x", "sm", te, true, 0 * true, window_edges(), np.zeros(401), np.zeros(401))
    >>> d = response_derivatives(s)
    >>> e = window_edges()
    >>> round(float(d["response_offset"] @ (0.5 * (e[1:] + e[:-1]))), 4)
    1.0
    """
    import dataclasses

    te = np.asarray(spec.true_edges)
    frac = (np.arange(sub) + 0.5) / sub
    T = (te[:-1, None] + np.diff(te)[:, None] * frac[None, :]).ravel()
    w = np.repeat(np.asarray(spec.true) / sub, sub)
    keep = (w > 0) & (T > 0)
    T, w = T[keep], w[keep]
    out = {}
    for name, attr in _RESPONSE_PARAMS.items():
        p0 = getattr(response, attr)
        h = _RESPONSE_STEPS[name]
        up = dataclasses.replace(response, **{attr: p0 + h}).matrix(T, spec.folded_edges) @ w
        dn = dataclasses.replace(response, **{attr: p0 - h}).matrix(T, spec.folded_edges) @ w
        out[name] = (up - dn) / (2.0 * h)
    return out


def build_model(
    data: PhaseIIData,
    sm: dict,
    sm_rates: dict,
    tmm: dict | None,
    treatment="ssm",
    *,
    mc_errors: bool = True,
    systematics=False,
) -> LinearPoissonModel:
    """The LinearPoissonModel of section 7: rates of pp, 7Be, pep, CNO [cpd/100 t]; background
    scale factors relative to Borexino's fit; the TMM strength s = (mu/MU_REF)^2 last.

    ``mc_errors``: each bin's VEGAS error of the Monte Carlo templates (solar, 8B + hep, TMM)
    enters as a Barlow-Beeston-lite nuisance (``LinearPoissonModel(A_var=...)``).
    ``systematics``: add the nuisances of :data:`SYSTEMATIC_PRIORS` (exposure, response), between
    the backgrounds and s: True for all of them, or an iterable of their names.
    Source: solar_borexino.md section 7. The parameters, on a two-bin toy input:

    >>> e, z = window_edges()[:3], np.ones(2)
    >>> sp = {c: Spectrum(c, "sm", e[:2], z[:1], 0 * z[:1], e, z, 0 * z) for c in SOLAR}
    >>> d = PhaseIIData(np.array([100, 101]), e, np.array([5.0, 5.0]), {b: z for b in BACKGROUNDS}, 10 * z)
    >>> build_model(d, sp, {c: 1.0 for c in SOLAR}, sp).names
    ['pp', '7Be', 'pep', 'CNO', 'C14', 'pileup', 'Po210', 'Kr85', 'Bi210', 'C11', 'ext', 's']
    """
    if treatment not in TREATMENTS:
        raise ParameterError(f"treatment = {treatment!r}; choose from {sorted(TREATMENTS)}")
    ex = EXPOSURE_TFC
    per_rate = {c: sm[c].folded * ex / sm_rates[c] for c in SOLAR}
    per_rate_var = {c: (sm[c].folded_err * ex / sm_rates[c]) ** 2 for c in SOLAR}
    cno_rate = sum(sm_rates[c] for c in CNO)
    cno = sum(sm[c].folded for c in CNO) * ex / cno_rate
    cno_var = sum(sm[c].folded_err ** 2 for c in CNO) * (ex / cno_rate) ** 2
    A = [per_rate["pp"], per_rate["7Be"], per_rate["pep"], cno]
    A_var = [per_rate_var["pp"], per_rate_var["7Be"], per_rate_var["pep"], cno_var]
    names = ["pp", "7Be", "pep", "CNO"]
    pri = priors(treatment)
    center = [pri[c]["center"] for c in names]
    sigma = [pri[c]["sigma"] for c in names]
    lower = [0.0] * 4
    zero = np.zeros_like(data.counts, dtype=float)
    for b in BACKGROUNDS:
        A.append(data.backgrounds[b])
        A_var.append(zero)
        names.append(b)
        center.append(1.0)
        sigma.append(pri[b]["sigma"] if b in pri else np.inf)
        lower.append(0.0)
    fixed = per_rate["8B"] * B8_RATE + sm["hep"].folded * ex
    fixed_var = per_rate_var["8B"] * B8_RATE**2 + (sm["hep"].folded_err * ex) ** 2
    sig = sum(tmm[c].folded for c in SOLAR) * ex if tmm is not None else None
    bilinear = []
    sys_names = _systematic_names(systematics)
    if sys_names:
        import dataclasses

        # the Monte Carlo parts scale with (1 + eta) and shift with the response: bilinear terms
        # with the rate parameters and s, linear terms for the fixed 8B + hep part
        mc_parts = {"pp": ("pp",), "7Be": ("7Be",), "pep": ("pep",), "CNO": CNO}
        deriv = {}
        if set(sys_names) & set(_RESPONSE_PARAMS):
            deriv = {c: response_derivatives(sm[c]) for c in SOLAR}
        dsig = None
        if tmm is not None and deriv:
            tot = dataclasses.replace(
                tmm[SOLAR[0]], true=sum(tmm[c].true for c in SOLAR), folded=sum(tmm[c].folded for c in SOLAR)
            )
            dsig = response_derivatives(tot)
        for name in sys_names:
            p = SYSTEMATIC_PRIORS[name]
            names.append(name)
            center.append(p.center)
            sigma.append(p.sigma)
            lower.append(-np.inf)
            A_var.append(zero)
            if name == "exposure":
                A.append(fixed.copy())
                for par in mc_parts:
                    bilinear.append((name, par, A[names.index(par)]))
                if sig is not None:
                    bilinear.append((name, "s", sig))
                continue
            d = {c: deriv[c][name] * ex for c in SOLAR}
            A.append(d["8B"] / sm_rates["8B"] * B8_RATE + d["hep"])
            for par, comps in mc_parts.items():
                bilinear.append((name, par, sum(d[c] for c in comps) / sum(sm_rates[c] for c in comps)))
            if dsig is not None:
                bilinear.append((name, "s", dsig[name] * ex))
    if sig is not None:
        A.append(sig)
        A_var.append(sum(tmm[c].folded_err ** 2 for c in SOLAR) * ex**2)
        names.append("s")
        center.append(np.nan)
        sigma.append(np.inf)
        lower.append(0.0)
    center = np.array(center, dtype=float)
    scale = np.where(np.isfinite(center) & (center > 0), center, 1.0)
    return LinearPoissonModel(
        np.array(A),
        fixed,
        names,
        center,
        sigma,
        lower=np.array(lower),
        scale=scale,
        A_var=np.array(A_var) if mc_errors else None,
        fixed_var=fixed_var if mc_errors else None,
        bilinear=bilinear,
    )


#: Statistical methods of the limit: the one-sided profile likelihood (q~ = 2.71, the baseline of
#: section 7) or asymptotic CLs at 90 % (Read 2002; arXiv:1007.1727).
METHODS_CL = ("profile", "cls")


#: The Asimov data set of the expected band. "nominal" (the project convention of
#: solar_borexino.md section 8, Asimov median 3.41e-11 muB at m_A' -> 0): data = expectation at
#: the background-only fit, Gaussian constraints kept at their nominal centres; it describes
#: toys that fluctuate only the counts. Its best fit s_A is then > 0 (the SSM priors pull against
#: the fitted 7Be), which ``asimov_band(theta_hat_A=...)`` accounts for. "fitted" (arXiv:1007.1727
#: Sec. 3.2, pyhf): the constraint centres (global observables) moved to the fitted values too, so
#: s_A = 0; it describes toys that also fluctuate the auxiliary measurements.
ASIMOV_KINDS = ("nominal", "fitted")


@dataclass
class LimitPoint:
    """One 90 % CL upper limit on eps*mu_eff [mu_B] with its Asimov expected band [mu_B].

    expected_m2 .. expected_p2 are the -2, -1, +1, +2 sigma quantiles of the background-only
    limit distribution (``stats.asimov_band``), mapped from theta = (mu/MU_REF)^2 to mu
    (arXiv:1007.1727; solar_borexino.md sections 7-8).

    >>> LimitPoint(0.0, 3.2e-11, 2.9e-11, expected_m1=2.0e-11, expected_p1=4.0e-11).band.expected
    2.9e-11
    """

    m_ap: float  # GeV
    limit: float  # eps*mu_eff upper limit, mu_B
    expected: float  # Asimov median expected, mu_B
    s_hat: float = 0.0
    deviance_min: float = float("nan")
    deviance_null: float = float("nan")
    method: str = "spectral"
    extra: dict = field(default_factory=dict)
    expected_m2: float = float("nan")
    expected_m1: float = float("nan")
    expected_p1: float = float("nan")
    expected_p2: float = float("nan")
    method_cl: str = "profile"

    @property
    def band(self) -> Band:
        """The expected limits as a :class:`detectors.stats.Band` [mu_B]."""
        return Band(self.expected_m2, self.expected_m1, self.expected, self.expected_p1, self.expected_p2)


def _check_method_cl(method_cl: str) -> None:
    if method_cl not in METHODS_CL:
        raise ParameterError(f"method_cl = {method_cl!r}; choose from {list(METHODS_CL)}")


def spectral_limit_from_templates(
    data: PhaseIIData,
    sm,
    sm_rates,
    tmm,
    m_ap,
    treatment="ssm",
    expected=True,
    *,
    method_cl: str = "profile",
    mc_errors: bool = True,
    systematics=False,
    asimov: str = "nominal",
) -> LimitPoint:
    """90 % CL upper limit on eps*mu_eff [mu_B] from the spectral fit, with the Asimov band.

    ``method_cl="profile"``: q~(s) = 2.71 on s = (mu/MU_REF)^2 >= 0; ``"cls"``: asymptotic CLs =
    0.10. The band (``expected=True``; always computed for CLs, which needs q_A) comes from the
    Asimov data set of the background-only fit to the data (``stats.asimov_band``; arXiv:1007.1727,
    solar_borexino.md sections 7-8: the Asimov median is 3.41e-11 mu_B at m_A' -> 0). Needs the
    templates of :func:`sm_spectra` and :func:`tmm_spectra` (seconds); the options are checked first:

    >>> spectral_limit_from_templates(None, None, None, None, 0.0, asimov="x")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: asimov = 'x'; choose from ['nominal', 'fitted']
    """
    _check_method_cl(method_cl)
    if asimov not in ASIMOV_KINDS:
        raise ParameterError(f"asimov = {asimov!r}; choose from {list(ASIMOV_KINDS)}")
    model = build_model(data, sm, sm_rates, tmm, treatment, mc_errors=mc_errors, systematics=systematics)
    info = {
        "treatment": treatment,
        "method_cl": method_cl,
        "mc_errors": mc_errors,
        "systematics": list(_systematic_names(systematics)),
    }
    # rescale the signal template to ~1000 events so that s is O(1) at every mass (a heavy A'
    # suppresses the rate by (m_A'^2/2 m_e T)^2, many orders of magnitude)
    n_sig = float(model.A[model.index("s")].sum())
    if not n_sig > 0:
        inf = np.inf
        return LimitPoint(
            m_ap, inf, inf, 0.0, np.nan, np.nan, "spectral", info, inf, inf, inf, inf, method_cl
        )
    k = 1000.0 / n_sig
    model.rescale("s", k)

    def to_mu(t):
        return MU_REF * np.sqrt(max(t, 0.0) * k)

    obs = ProfileScan(model, data.counts, "s")
    null = model.fit(data.counts, fix={"s": 0.0})
    band = None
    if expected or method_cl == "cls":
        if asimov == "nominal":
            asimov_model, asimov_n = model, model.expected(null.theta)
        else:
            asimov_n, asimov_model = model.asimov(null.theta)
        asimov_scan = ProfileScan(asimov_model, asimov_n, "s")
        # "nominal": the counts alone fluctuate, so theta_hat spreads by sigma_cond < sigma_A
        ratio = conditional_width_ratio(model, null.theta, "s") if asimov == "nominal" else 1.0
        band_s = asimov_band(
            asimov_scan.q, method=method_cl, theta_hat_A=asimov_scan.theta_hat, width_ratio=ratio
        )
        info["band_width_ratio"] = ratio
        info["theta_hat_asimov_s"] = asimov_scan.theta_hat * k
        band = band_s.map(to_mu)
        info["band_s"] = band_s.as_dict()
        info["sigma_A_s"] = (
            (band_s.expected - asimov_scan.theta_hat) / math.sqrt(asimov_scan.q(band_s.expected)) * k
        )
    if method_cl == "profile":
        s_ul = upper_limit(obs.deviance, obs.theta_hat, obs.d_min, delta=DELTA_90)
    else:
        s_ul = cls_upper_limit(obs.q, asimov_scan.q, cl=0.9)
    info["nuisances_null"] = dict(zip(model.names, null.theta.tolist()))
    info["signal_scale_k"] = k
    b = band.as_tuple() if band is not None else (np.nan,) * 5
    return LimitPoint(
        m_ap,
        to_mu(s_ul),
        b[2],
        obs.theta_hat * k,
        obs.d_min,
        null.deviance,
        "spectral",
        info,
        b[0],
        b[1],
        b[3],
        b[4],
        method_cl,
    )


# --- rate likelihood (section 10) ------------------------------------------------------------
#: Phase-II rates (pp, pep, 7Be) [cpd/100 t], arXiv:1707.09279.
RATES_OBS = np.array([134.0, 2.43, 48.3])
#: Inverse covariance [(cpd/100 t)^-2], SK emulation of Borexino's correlations,
#: arXiv:2312.12907 Sec. VII D (as coded in Newtrinos borexino_ph2.jl).
RATES_INV_COV = np.array([[0.00647, -0.0126, -0.0170], [-0.0126, 6.36, -0.501], [-0.0170, -0.501, 0.784]])
#: B16-HZ expectations (pp, pep, 7Be) [cpd/100 t] as quoted by Borexino (PRD 100, 082004 Tab. V).
RATES_SSM = np.array([131.1, 2.74, 47.9])
RATE_T_THRESHOLD = 0.19 * MEV


def tmm_rate_above(
    component,
    m_ap,
    T_th=RATE_T_THRESHOLD,
    mu_eff=MU_REF,
    seed=0,
    rtol=1e-4,
    moment_muB=None,
    osc=NUFIT52,
    profile=None,
) -> float:
    """TMM-induced rate with true recoil T > T_th [cpd/100 t], by VEGAS (solar_borexino.md section 10).
    m_ap, T_th in GeV, mu_eff in mu_B. The rate scales as mu_eff^2, and it vanishes above the pp endpoint:

    >>> r = tmm_rate_above("7Be", 0.0, mu_eff=2e-11) / tmm_rate_above("7Be", 0.0, mu_eff=1e-11)
    >>> round(r, 9), tmm_rate_above("pp", 0.0, T_th=0.5 * MEV)
    (4.0, 0.0)
    """
    lam = DarkSector.flavour_blind(m_ap, 1.0, mu_eff).mu_D_muB if moment_muB is None else moment_muB
    proc = RecoilProcess(
        component, "tmm", T_lo=T_th, T_hi=1.0, m_ap=m_ap, moment_muB=lam, osc=osc, profile=profile
    )
    if proc.empty:
        return 0.0
    integ = Vegas(proc.ndim, seed=seed, neval=10_000)
    integ.train(proc, nitn=5)
    return integ.integrate(proc, nitn=5).mean * PER_E_S_TO_CPD100T


def rate_limit(m_ap, *, T_th=RATE_T_THRESHOLD, seed=0, method_cl: str = "profile") -> LimitPoint:
    """The built-in rate-based limit (no data files): Delta chi^2 = 2.71 on s = (mu/MU_REF)^2
    (``stats.quadratic_chi2_limit``), or asymptotic CLs = 0.10; the band from the exact
    sigma_A = 1/sqrt(dR V^-1 dR) of this Gaussian chi^2. Source: solar_borexino.md section 10 (rates
    arXiv:1707.09279, correlations arXiv:2312.12907 Sec. VII D); limit and band in mu_B, m_ap in GeV.
    ``rate_limit(0.0).limit`` is 3.23e-11 mu_B (section 10: 3.2e-11 at T_th = 0.19 MeV; checked in
    ``tests/validation/test_borexino_limit.py``, 0.3 s). The options are checked first:

    >>> rate_limit(0.0, method_cl="x")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: method_cl = 'x'; choose from ['profile', 'cls']
    """
    _check_method_cl(method_cl)
    dR = np.array([tmm_rate_above(c, m_ap, T_th, seed=seed + k) for k, c in enumerate(("pp", "pep", "7Be"))])
    res = quadratic_chi2_limit(RATES_OBS - RATES_SSM, dR, RATES_INV_COV, delta=DELTA_90)
    band_s = asimov_band(sigma_A=res.sigma, method=method_cl)
    s_ul = res.limit
    if method_cl == "cls":
        a = 1.0 / res.sigma**2

        def q_obs(s):  # q~ of arXiv:1007.1727 Eq. (16) for this chi^2
            return (
                chi2_rates(RATES_OBS, RATES_SSM + s * dR, RATES_INV_COV) - res.chi2_min
                if s > res.s_hat
                else 0.0
            )

        s_ul = cls_upper_limit(q_obs, lambda s: a * s * s, cl=0.9, theta0=band_s.expected)
    band = band_s.map(lambda t: MU_REF * np.sqrt(t))
    return LimitPoint(
        m_ap,
        MU_REF * np.sqrt(s_ul),
        band.expected,
        res.s_hat,
        res.chi2_min,
        res.chi2_null,
        "rates",
        {
            "T_threshold_GeV": T_th,
            "delta_rates_per_muref": dR.tolist(),
            "method_cl": method_cl,
            "band_s": band_s.as_dict(),
            "sigma_A_s": res.sigma,
        },
        band.expected_m2,
        band.expected_m1,
        band.expected_p1,
        band.expected_p2,
        method_cl,
    )


# --- public surface ------------------------------------------------------------------------
def limit(
    masses,
    *,
    data_dir=None,
    method="auto",
    treatment="ssm",
    rtol=1e-3,
    seed=0,
    expected=True,
    osc: Oscillation = NUFIT52,
    profiles=None,
    progress=None,
    method_cl: str = "profile",
    mc_errors: bool = True,
    systematics=False,
):
    """Upper limits on eps*mu_eff [mu_B] at each m_A' [GeV], each with its Asimov band.

    ``method``: "spectral" (needs the data; DataError if missing), "rates" (built in), or "auto"
    (spectral when the data are found, else rates). ``method_cl``: "profile" (q~ = 2.71, the
    baseline) or "cls" (asymptotic CLs = 0.10). ``mc_errors``, ``systematics``: see
    :func:`build_model` (spectral fit only). Returns (points, info dict); info records the choices
    and, with systematics, the priors. Source: solar_borexino.md sections 7-10. A run takes seconds
    (``darktmm limit borexino``); the method is checked first:

    >>> limit([0.0], method="x")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: method = 'x'; choose auto, spectral or rates
    """
    masses = [check_range("m_ap", m, 0.0, None, unit="GeV") for m in np.atleast_1d(masses)]
    if method not in ("auto", "spectral", "rates"):
        raise ParameterError(f"method = {method!r}; choose auto, spectral or rates")
    t0 = time.perf_counter()
    if method == "auto":
        method = "spectral" if datamod.available(DATA_FILE, data_dir) else "rates"
    _check_method_cl(method_cl)
    info = {"method": method, "treatment": treatment, "rtol": rtol, "method_cl": method_cl}
    if method == "spectral":
        info |= {"mc_errors": mc_errors, "systematics": list(_systematic_names(systematics))}
        info["priors"] = priors(treatment, systematics=systematics)
    pts = []
    if method == "rates":
        for m in masses:
            pts.append(rate_limit(m, seed=seed, method_cl=method_cl))
            if progress:
                progress(1)
    else:
        data = load_data(data_dir)
        info["data_file"] = data.path
        if profiles is None:
            profiles = production_profiles(data_dir)
        sm, rates = sm_spectra(data.edges, rtol=rtol, seed=seed, osc=osc, profiles=profiles)
        for m in masses:
            tmm = tmm_spectra(m, data.edges, rtol=rtol, seed=seed, osc=osc, profiles=profiles, template=True)
            pts.append(
                spectral_limit_from_templates(
                    data,
                    sm,
                    rates,
                    tmm,
                    m,
                    treatment,
                    expected,
                    method_cl=method_cl,
                    mc_errors=mc_errors,
                    systematics=systematics,
                )
            )
            if progress:
                progress(1)
    info["timing_s"] = time.perf_counter() - t0
    return pts, info


def production_profiles(data_dir=None):
    """Production-zone distributions from the SNuDD files when found, else None (built-in defaults;
    solar_borexino.md section 1). With the data directory it maps each of :data:`SOLAR` to a profile; a
    mistyped directory is an error, not a fallback:

    >>> production_profiles("/nonexistent")
    Traceback (most recent call last):
    darktmm.detectors.data.DataError: --data-dir /nonexistent is not a directory
    """
    from darktmm.detectors.solar_data import production_profile

    datamod.check_data_dir(data_dir)  # a mistyped --data-dir is an error, not a fallback
    try:
        return {c: production_profile(c, data_dir) for c in SOLAR}
    except datamod.DataError:
        return None


def describe() -> dict:
    """Metadata for output files: set-up, response, data and citations (solar_borexino.md sections 4-5, 11).

    >>> d = describe()
    >>> d["published_limit_muB"], d["exposure_tfc_day_100t"]   # arXiv:1707.09355; section 4.1
    (2.8e-11, 582.326)
    """
    return {
        "experiment": "Borexino Phase II",
        "live_days": LIVE_DAYS,
        "fiducial_mass_t": FIDUCIAL_MASS_T,
        "electrons_per_100t": ELECTRONS_PER_100T,
        "exposure_tfc_day_100t": EXPOSURE_TFC,
        "response": "E_rec = 1.0792 T - 0.0111 MeV, sigma = 0.0639 sqrt(T/MeV) MeV (fit to Borexino's solar component)",
        "window_MeV": [float(window_edges()[0] / MEV), float(window_edges()[-1] / MEV)],
        "citations": [
            "Borexino, PRD 100 (2019) 082004, arXiv:1707.09279",
            "Borexino, Nature 562 (2018) 505",
            "Borexino, PRD 96 (2017) 091103, arXiv:1707.09355 (mu_eff < 2.8e-11 muB)",
            "B16 SSM, arXiv:1611.09867",
            "Bahcall, Kamionkowski, Sirlin, astro-ph/9502003",
        ],
        "published_limit_muB": 2.8e-11,
    }


# --- one model point: spectra and the fit (the ``spectrum borexino`` command) ---------------------
@dataclass
class SpectrumFit:
    """SM and dark-TMM spectra of one model point, the data and the best fit (TMM strength free).

    ``sm``/``tmm`` map each solar component to its :class:`Spectrum` [cpd/100 t per bin];
    ``rates`` are the SM zero-threshold rates [cpd/100 t]; ``data``, ``fit`` and ``bestfit``
    [events per bin] are None without the data files. Built by :func:`fit_spectrum`
    (solar_borexino.md section 7).

    >>> s = Spectrum("pp", "sm", np.zeros(2), np.zeros(1), np.zeros(1), np.zeros(2), np.zeros(1), np.zeros(1))
    >>> s.neval, s.max_rel_error = 1, 0.002
    >>> SpectrumFit(None, np.zeros(2), {"pp": s}, {}, {}, None, None, None, (), "built-in").max_rel_error
    0.002
    """

    model: DarkSector
    edges: np.ndarray
    sm: dict
    rates: dict
    tmm: dict
    data: PhaseIIData | None
    fit: object | None
    bestfit: np.ndarray | None
    fit_names: tuple
    profiles_source: str

    @property
    def max_rel_error(self) -> float:
        """Largest per-bin relative MC error over every computed spectrum."""
        return float(max(s.max_rel_error for s in (*self.sm.values(), *self.tmm.values()) if s.neval))


def fit_spectrum(model: DarkSector, *, data_dir=None, rtol=1e-3, seed=1, treatment="ssm") -> SpectrumFit:
    """VEGAS spectra of every solar component for ``model`` (flavour structure and m_A' as given),
    folded with :data:`RESPONSE`, and the binned Poisson fit to the Phase-II data when they are
    found (section 7: all nuisances profiled, TMM strength free). A worked example with its
    checked-in output is ``examples/python_api.py`` (rerun by ``tests/test_examples.py``); it takes seconds.
    Source: solar_borexino.md sections 3-7. A mistyped data directory is an error:

    >>> from darktmm.spectra.model import DarkSector
    >>> fit_spectrum(DarkSector.flavour_blind(0.0, 1.0, 1e-11), data_dir="/nonexistent")
    Traceback (most recent call last):
    darktmm.detectors.data.DataError: --data-dir /nonexistent is not a directory
    """
    have = datamod.available(DATA_FILE, data_dir)
    data = load_data(data_dir) if have else None
    edges = data.edges if data is not None else window_edges()
    profiles = production_profiles(data_dir)
    sm, rates = sm_spectra(edges, rtol=rtol, seed=seed, profiles=profiles)
    tmm = tmm_spectra(
        model.m_ap, edges, moment_muB=model.eps * model.mu_D_muB, rtol=rtol, seed=seed, profiles=profiles
    )
    fit = bestfit = None
    names: tuple = ()
    if data is not None:
        lin = build_model(data, sm, rates, tmm, treatment)
        fit = lin.fit(data.counts)
        bestfit = lin.expected(fit.theta)
        names = tuple(lin.names)
    return SpectrumFit(
        model,
        edges,
        sm,
        rates,
        tmm,
        data,
        fit,
        bestfit,
        names,
        "SNuDD files" if profiles is not None else "built-in default",
    )
