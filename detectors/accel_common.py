"""Shared pieces of the accelerator recasts (BaBar mono-photon, NA64 missing energy).

* :class:`EpsLimit` - the result of ``eps_max(m_ap, ...)`` of :mod:`detectors.babar` and
  :mod:`detectors.na64`: the smallest excluded kinetic mixing with BR_inv and P_inv at that point.
* :func:`make_model` - a :class:`spectra.model.DarkSector` from (m, eps, gamma_dark, mu_D).
* :func:`p_inv_function` - P_inv(eps) averaged over an A' energy spectrum, from
  :func:`spectra.widths.invisible_summary` (accelerator.md 7.4-7.5).
* :func:`excluded_band` - solves "excluded iff eps^2 P_eff(eps) > eps0^2" per (m, eps)
  (accelerator.md 5.1 and 6.3): the excluded set need not start at eps0, and it can close again.
* :func:`integrate_to` and :func:`sample_histograms` - VEGAS runs to a target precision; histograms
  of observables that are not u[:, 0] from frozen weighted batches, with errors from the spread of
  independent iterations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from darktmm.spectra.integrate import IntegralResult, Vegas
from darktmm.spectra.model import DarkSector
from darktmm.spectra.validate import ParameterError, check_range
from darktmm.spectra.widths import invisible_summary

#: The expected-limit keys of a point, from low to high.
BAND_KEYS = ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")


@dataclass(frozen=True)
class EpsLimit:
    """90 % CL limit on the kinetic mixing eps at one A' mass, for one model point (gamma_dark, mu_D).

    Fields
    ------
    m_ap: A' mass [GeV].
    eps: the smallest excluded eps (every eps between ``eps`` and ``eps_upper`` is excluded, smaller
        eps is allowed). ``inf`` when the search excludes no eps <= 1 for this model point.
    br_inv: BR(A' -> invisible) at ``eps`` (at min(eps_invisible, 1) when nothing is excluded).
    p_inv: P_inv = BR_inv + BR_vis exp(-L_det/l) at the same eps (averaged over the A' energies).
    applicable: False when the search does not constrain the model point (``eps`` is inf).
    note: why, in words (visible prompt decays, escape of a long-lived A', band that closes...).
    experiment: "babar" or "na64".
    eps_upper: upper end of the excluded band (inf: excluded up to eps = 1).
    eps_invisible: the limit for P_inv = 1 (the published curve for an invisible A').
    decay_length_m: lab decay length at ``eps`` [m] (at the mean A' energy).
    extra: experiment-specific numbers (yields, efficiency, sigma_UL...).

    Source: the recast rule of accelerator.md 5.1 (BaBar, arXiv:1702.03327) and 6.3 (NA64). A mass
    outside the search range carries no limit:

    >>> EpsLimit.not_computed("babar", 20.0, "above sqrt(s)").as_point()
    {'m_ap_GeV': 20.0, 'limit': inf, 'expected': None, 'br_inv': nan, 'p_inv': nan}
    """

    m_ap: float
    eps: float
    br_inv: float
    p_inv: float
    applicable: bool
    note: str
    experiment: str
    eps_upper: float = math.inf
    eps_invisible: float = math.nan
    decay_length_m: float = math.nan
    extra: dict = field(default_factory=dict, compare=False)

    @classmethod
    def not_computed(cls, experiment: str, m_ap: float, note: str, extra: dict | None = None) -> EpsLimit:
        """A mass where the search sets no limit at all (outside its range or its yield model)."""
        return cls(
            m_ap=m_ap,
            eps=math.inf,
            br_inv=math.nan,
            p_inv=math.nan,
            applicable=False,
            note=note,
            experiment=experiment,
            extra=extra or {},
        )

    def as_point(self) -> dict:
        """The JSON point of ``darktmm limit``: m_ap_GeV, limit, the expected limit and its band when
        the search has one (``expected_m2 <= expected_m1 <= expected <= expected_p1 <= expected_p2``,
        from ``extra``; NA64) or ``expected`` None (BaBar: recast from its observed curve), br_inv, p_inv.
        """
        point = {"m_ap_GeV": float(self.m_ap), "limit": float(self.eps)}
        if "expected" in self.extra:
            for k in BAND_KEYS:
                point[k] = float(self.extra[k])
        else:
            point["expected"] = None
        point["br_inv"] = float(self.br_inv)
        point["p_inv"] = float(self.p_inv)
        return point


def make_model(m_ap, eps, gamma_dark=0.0, mu_D_muB=None) -> DarkSector:
    """DarkSector for a recast point. ``mu_D_muB``: None (no dark TMM), a number (flavour-blind scale:
    :meth:`DarkSector.flavour_blind`, |Lambda_i| = mu/sqrt 2) or a 3x3 antisymmetric matrix [mu_B].
    m_ap, gamma_dark in GeV. Flavour-blind moments as in neutrino_electron.md section 7: every column norm
    sum_j |lambda_ji|^2 = mu^2 [mu_B^2]:

    >>> m = make_model(0.01, 1e-4, mu_D_muB=1e-5)
    >>> m.m_ap, [f"{x:.3g}" for x in m.column_norms_sq_muB2]
    (0.01, ['1e-10', '1e-10', '1e-10'])
    """
    check_range("gamma_dark", gamma_dark, 0.0, None, unit="GeV")
    if mu_D_muB is None:
        return DarkSector(m_ap=m_ap, eps=eps, gamma_dark=gamma_dark)
    mu = np.asarray(mu_D_muB)
    if mu.ndim == 0:
        return DarkSector.flavour_blind(m_ap, eps, float(np.real(mu)), gamma_dark)
    return DarkSector(m_ap=m_ap, eps=eps, mu_D_muB=mu, gamma_dark=gamma_dark)


class p_inv_function:  # noqa: N801 - used like a function: p_inv_function(...)(eps)
    """eps -> P_inv averaged over the A' energies ``E_ap`` [GeV] with ``weights`` (accelerator.md 7.5, via
    :func:`spectra.widths.invisible_summary`); ``details(eps)`` -> (P_inv, BR_inv, decay length [m] at the
    weighted-mean energy). L_det_m in m, gamma_dark in GeV, mu_D_muB in mu_B.

    Without a dark sector BR_inv = 0 and P_inv is the escape probability exp(-L_det/l) (accelerator.md 7.5):

    >>> f = p_inv_function(0.01, [50.0], [1.0], L_det_m=5.0)
    >>> p, br, ell = f.details(1e-4)
    >>> br, round(p, 4), round(math.exp(-5.0 / ell), 4)
    (0.0, 0.2915, 0.2915)
    """

    def __init__(self, m_ap, E_ap, weights, L_det_m, gamma_dark=0.0, mu_D_muB=None):
        E = np.atleast_1d(np.asarray(E_ap, dtype=float))
        w = np.atleast_1d(np.asarray(weights, dtype=float))
        if E.shape != w.shape or not np.all(w >= 0) or not w.sum() > 0:
            raise ParameterError("p_inv_function needs matching A' energies and non-negative weights")
        self.m, self.E, self.w = float(m_ap), E, w / w.sum()
        self.E_mean = float(np.sum(self.w * E))
        self.L, self.gamma_dark, self.mu = float(L_det_m), gamma_dark, mu_D_muB

    def _model(self, eps):
        return make_model(self.m, min(float(eps), 1.0), self.gamma_dark, self.mu)

    def __call__(self, eps) -> float:
        s = invisible_summary(self._model(eps), self.E, self.L)
        return float(np.sum(self.w * np.atleast_1d(s.p_inv)))

    def details(self, eps):
        """(P_inv, BR_inv, decay length [m] at the weighted-mean A' energy) at kinetic mixing ``eps``."""
        model = self._model(eps)
        s = invisible_summary(model, self.E, self.L)
        ell = invisible_summary(model, self.E_mean, self.L).decay_length_m
        return float(np.sum(self.w * np.atleast_1d(s.p_inv))), float(s.br_inv), float(ell)


@dataclass(frozen=True)
class Band:
    """Excluded eps range(s) from :func:`excluded_band` (accelerator.md 5.1, 6.3); eps is dimensionless.

    >>> Band(lo=1e-3, hi=math.inf, n_intervals=1).hi
    inf
    """

    lo: float  # smallest excluded eps (inf: none)
    hi: float  # end of the first excluded interval (inf: reaches eps_max)
    n_intervals: int


def excluded_band(eps0, p_eff, *, eps_max=1.0, per_decade=40) -> Band:
    """Solve ``eps^2 p_eff(eps) > eps0^2`` on eps0 <= eps <= eps_max (accelerator.md 5.1, 6.3).

    ``eps0`` is the limit for P_inv = 1; ``p_eff(eps)`` in [0, 1] is the invisible probability at eps
    (it depends on eps through BR_inv and the decay length). Since p_eff <= 1 nothing below eps0 can
    be excluded. A log grid (``per_decade`` points) finds the sign changes, brentq refines them.
    With p_eff = 1 the result is exactly eps0 (closure); with a constant p_eff = 1/4 the edge moves to
    2 eps0 (eps^2/4 = eps0^2). eps dimensionless.

    >>> excluded_band(1e-3, lambda e: 1.0)
    Band(lo=0.001, hi=inf, n_intervals=1)
    >>> round(excluded_band(1e-3, lambda e: 0.25).lo, 9)
    0.002
    """
    eps0 = float(eps0)
    if not eps0 > 0 or not math.isfinite(eps0) or eps0 >= eps_max:
        return Band(math.inf, math.inf, 0)

    def h(e):
        return (e / eps0) ** 2 * p_eff(e) - 1.0

    n = max(int(math.ceil(per_decade * math.log10(eps_max / eps0))), 2) + 1
    grid = np.geomspace(eps0, eps_max, n)
    hv = np.array([h(e) for e in grid])
    pos = hv > 0
    if hv[0] >= 0:
        pos[0] = True
    if not np.any(pos):
        return Band(math.inf, math.inf, 0)
    i = int(np.argmax(pos))
    from scipy.optimize import brentq  # only a recast needs it: generating events stays light

    lo = eps0 if i == 0 else brentq(h, grid[i - 1], grid[i], xtol=1e-14, rtol=1e-12)
    after = np.nonzero(~pos[i:])[0]
    if len(after) == 0:
        hi = math.inf
    else:
        j = i + int(after[0])
        hi = brentq(h, grid[j - 1], grid[j], xtol=1e-14, rtol=1e-12)
    n_int = int(np.sum(np.diff(pos.astype(int)) == 1) + (1 if pos[0] else 0))
    return Band(float(lo), float(hi), n_int)


def recast(
    experiment: str,
    m_ap: float,
    eps0: float,
    E_ap,
    weights,
    L_det_m: float,
    *,
    gamma_dark=0.0,
    mu_D_muB=None,
    extra=None,
    p_eff=None,
) -> EpsLimit:
    """The :class:`EpsLimit` for an invisible-A' search with P_inv = 1 limit ``eps0`` at mass m_ap.

    Excluded iff eps^2 <P_inv(m, eps)> > eps0^2, P_inv averaged over the A' energies (``E_ap``,
    ``weights``) of the signal. ``p_eff(eps, pinv_brem)`` optionally overrides the combination (NA64
    adds the annihilation term). The note says whether the invisible search applies at all. Masses and
    energies in GeV, L_det_m in m; recast rule of accelerator.md 5.1 and 6.3.

    A purely invisible A' (large dark width gamma_dark [GeV], BR_inv = 1) reproduces the published limit:

    >>> r = recast("na64", 0.01, 1e-5, [50.0], [1.0], 5.0, gamma_dark=1e-3)
    >>> r.eps, r.applicable, round(r.br_inv, 6)
    (1e-05, True, 1.0)
    """
    pf = p_inv_function(m_ap, E_ap, weights, L_det_m, gamma_dark, mu_D_muB)
    if p_eff is None:
        band = excluded_band(eps0, pf)
    else:
        band = excluded_band(eps0, lambda e: p_eff(e, pf))
    at = band.lo if math.isfinite(band.lo) else min(eps0, 1.0) if math.isfinite(eps0) else 1.0
    pinv, br, ell = pf.details(at)
    if p_eff is not None:
        pinv = p_eff(at, pf)
    note = _note(band, eps0, br, pinv, ell, L_det_m)
    return EpsLimit(
        m_ap=float(m_ap),
        eps=band.lo,
        br_inv=br,
        p_inv=pinv,
        applicable=math.isfinite(band.lo),
        note=note,
        experiment=experiment,
        eps_upper=band.hi,
        eps_invisible=float(eps0),
        decay_length_m=ell,
        extra=dict(extra or {}),
    )


def _note(band: Band, eps0, br, pinv, ell, L) -> str:
    if not math.isfinite(eps0) or eps0 >= 1.0:
        return "no sensitivity: even an invisible A' (P_inv = 1) is not excluded for eps <= 1"
    if not math.isfinite(band.lo):
        return (
            f"not constrained: the A' decays visibly (BR_inv = {br:.3g}) and promptly (decay length "
            f"{ell:.3g} m vs L_det = {L:g} m), P_inv = {pinv:.3g} at eps = {min(eps0, 1.0):.3g}; "
            "the invisible search does not apply - use visible-mode searches"
        )
    parts = []
    if br > 0.99:
        parts.append(f"invisible decays dominate (BR_inv = {br:.4g})")
    elif pinv - br > 0.5 * pinv:
        parts.append(
            f"constrained only through the escape of a long-lived A' (BR_inv = {br:.3g}, decay length "
            f"{ell:.3g} m vs L_det = {L:g} m, P_inv = {pinv:.3g})"
        )
    else:
        parts.append(f"partly invisible (BR_inv = {br:.3g}, P_inv = {pinv:.3g})")
    if math.isfinite(band.hi):
        parts.append(
            f"excluded only for {band.lo:.3g} < eps < {band.hi:.3g}: larger eps makes the A' decay visibly "
            "inside the detector"
        )
    if band.n_intervals > 1:
        parts.append(f"{band.n_intervals} separate excluded intervals; eps is the lowest edge")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# VEGAS helpers
# ---------------------------------------------------------------------------------------------
def integrate_to(integ: Vegas, f, rtol, *, neval=10_000, max_neval=2_000_000, nitn=5) -> IntegralResult:
    """Integrate with ``integ`` (trained on first use), raising neval until rel. error <= rtol, combining the
    independent estimates inverse-variance weighted (VEGAS: Lepage, J. Comput. Phys. 27 (1978) 192;
    arXiv:2009.05112). The result has the integrand's units.

    >>> from darktmm.spectra.integrate import Vegas
    >>> r = integrate_to(Vegas(1, seed=1, neval=1000), lambda u: 2 * u[:, 0], 1e-2)
    >>> round(r.mean, 3), r.rel <= 1e-2
    (1.0, True)
    """
    rtol = check_range("rtol", rtol, 0.0, 1.0, lo_open=True)
    r = integ.integrate(f, nitn=nitn, neval=neval)
    while r.rel > rtol and neval < max_neval and r.mean != 0:
        # an independent estimate with more points; combine inverse-variance weighted
        neval = min(4 * neval, max_neval)
        r2 = integ.integrate(f, nitn=nitn, neval=neval)
        if r.sdev > 0 and r2.sdev > 0:
            w1, w2 = r.sdev**-2, r2.sdev**-2
            mean = (w1 * r.mean + w2 * r2.mean) / (w1 + w2)
            r = IntegralResult(mean, (w1 + w2) ** -0.5, r.neval + r2.neval, r.nitn + r2.nitn, r2.chi2_dof)
        else:
            r = r2
    return r


@dataclass
class HistSpec:
    """One histogram of an observable: ``value(kin) -> array`` binned in ``edges``, optional extra
    ``weight(kin)``, and an optional ``fold`` matrix (n_out, n_bins) with its ``out_edges``. Edges in the
    observable's unit (GeV for energies). Used by :func:`sample_histograms` (VEGAS, arXiv:2009.05112).

    >>> HistSpec(value=lambda u: u, edges=np.array([0.0, 0.5, 1.0])).fold is None
    True
    """

    value: object
    edges: np.ndarray
    weight: object = None
    fold: np.ndarray | None = None
    out_edges: np.ndarray | None = None


@dataclass
class HistResult:
    """A histogram from :func:`sample_histograms`: ``edges``, bin integrals ``values`` (the integrand's
    units) and their ``errors`` (spread of independent VEGAS iterations, arXiv:2009.05112).

    >>> h = HistResult(np.array([0.0, 1.0]), np.array([2.0]), np.array([0.1]))
    >>> float(h.values.sum())
    2.0
    """

    edges: np.ndarray
    values: np.ndarray
    errors: np.ndarray


def sample_histograms(
    integ: Vegas,
    f,
    kinematics,
    specs: dict,
    *,
    neval=50_000,
    rtol=1e-3,
    min_itn=4,
    max_itn=40,
    significant=1e-2,
):
    """Histograms of observables that are not u[:, 0], from frozen weighted VEGAS batches.

    Every iteration draws ``neval`` points from the trained map (:meth:`Vegas.sample`), bins
    value(kinematics(u)) with np.bincount and applies the fold. Results are the mean over iterations;
    errors are the standard deviation of the iteration means (independent iterations). Stops when every
    bin above ``significant`` x its histogram's maximum has a relative error <= rtol, or after
    ``max_itn`` iterations. Returns ({name: HistResult}, total IntegralResult, max rel error, iterations).
    Values in the integrand's units (VEGAS: Lepage, J. Comput. Phys. 27 (1978) 192; arXiv:2009.05112).

    The density 2 u on [0, 1] puts 1/4 of its integral below u = 1/2 and 3/4 above:

    >>> from darktmm.spectra.integrate import Vegas
    >>> spec = {"u": HistSpec(lambda u: u, np.array([0.0, 0.5, 1.0]))}
    >>> out, tot, worst, k = sample_histograms(
    ...     Vegas(1, seed=1, neval=1000), lambda u: 2 * u[:, 0], lambda u: u[:, 0], spec, neval=2000, rtol=0.05
    ... )
    >>> [round(float(v), 2) for v in out["u"].values], round(tot.mean, 2), worst <= 0.05
    ([0.25, 0.75], 1.0, True)
    """
    per = {k: [] for k in specs}
    tots = []
    k = 0
    while True:
        acc = {name: np.zeros(len(s.edges) - 1) for name, s in specs.items()}
        tot = 0.0
        for u, w in integ.sample(f, neval=neval):
            kin = kinematics(u)
            tot += float(np.sum(w))
            for name, s in specs.items():
                v = np.asarray(s.value(kin), dtype=float)
                ww = w if s.weight is None else w * s.weight(kin)
                idx = np.searchsorted(s.edges, v, side="right") - 1
                inside = (idx >= 0) & (idx < len(s.edges) - 1)
                acc[name] += np.bincount(idx[inside], weights=ww[inside], minlength=len(s.edges) - 1)
        for name, s in specs.items():
            per[name].append(s.fold @ acc[name] if s.fold is not None else acc[name])
        tots.append(tot)
        k += 1
        if k >= min_itn:
            worst = 0.0
            for name in specs:
                a = np.array(per[name])
                mean = a.mean(axis=0)
                err = a.std(axis=0, ddof=1) / math.sqrt(k)
                big = np.abs(mean) > significant * max(np.abs(mean).max(), 1e-300)
                if np.any(big):
                    worst = max(worst, float(np.max(err[big] / np.abs(mean[big]))))
            if worst <= rtol or k >= max_itn:
                break
    out = {}
    for name, s in specs.items():
        a = np.array(per[name])
        edges = s.out_edges if s.fold is not None else s.edges
        out[name] = HistResult(np.asarray(edges), a.mean(axis=0), a.std(axis=0, ddof=1) / math.sqrt(k))
    t = np.array(tots)
    total = IntegralResult(float(t.mean()), float(t.std(ddof=1) / math.sqrt(k)), k * neval, k)
    return out, total, worst, k


__all__ = [
    "EpsLimit",
    "Band",
    "make_model",
    "p_inv_function",
    "excluded_band",
    "recast",
    "integrate_to",
    "HistSpec",
    "HistResult",
    "sample_histograms",
]
