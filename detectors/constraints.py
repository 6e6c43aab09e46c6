"""The constraint hierarchy: cLFV (MEG II) x accelerator (NA64, BaBar) against Borexino.

The recipe is ``shared/physics/uv_model_meg.md`` section 7: for each dark-photon mass m_A',

1. ``eps_max(m_A')`` - the largest kinetic mixing allowed by the invisible-A' searches, each
   recast with the model's *own* invisible probability P_inv(m, eps) (``accelerator.md`` 5.1,
   7.4-7.5; the experiment modules solve eps^2 P_inv(m, eps) = eps_UL^2). BR_inv = 1 is never
   assumed. A search whose :class:`EpsLimit`-like answer is ``applicable = False`` (the A' decays
   visibly and promptly) or whose ``eps`` is ``None``/``inf`` does not enter the minimum;
2. ``mu_D,max`` - the MEG II (and, for explicit Yukawas, tau -> l gamma) cap on the flavour-basis
   element |mu_D^{e mu}| (section 6), converted to mu_B;
3. the product ``(eps mu_D)_max = eps_max x mu_D,max``, one per search (the "synergy" bound);
4. the Borexino bound on the same quantity eps |mu_D^{e mu}| at the same m_A';
5. which probe dominates and by how many orders of magnitude.

The quantity on every axis is **eps |mu_D^{e mu}|** [mu_B]: the flavour-basis e-mu element of
the Dirac-normalised dark TMM (``spectra.uv.dark_tmm_matrix``), the element MEG II caps.

What to use when
----------------
* :func:`mu_D_cap` - the MEG II cap for one UV point. ``prescription="benchmark"`` (uv_model_meg.md
  section 6: single-scalar cap on the antisymmetric Yukawa combination, O(1)-accurate, the paper's
  style of estimate), ``"full"`` (explicit assignment y = (y_e, 0, .), y' = (0, y'_mu, .); exactly
  twice the benchmark for sin 2theta = 1, m2 = inf) or ``"model"`` (the card's own Yukawas,
  rescaled by a common factor until the first of mu -> e gamma, tau -> e gamma, tau -> mu gamma
  saturates; the flavour structure of mu_D is the model's). Use "benchmark" to reproduce the
  paper's hierarchy, "model" for a concrete Yukawa texture.
* :func:`mu_D_cap_scan` - the same over a grid of UV parameters; keeps the largest *perturbative*
  cap (the most conservative synergy bound on that grid).
* :func:`accelerator_eps` - one mass, every search: the raw EpsLimit answers. Experiments are
  injected (any object with ``eps_max(m_ap, *, gamma_dark, mu_D_muB, L_det_m)``); the default is
  :func:`default_experiments` (``detectors.na64``, ``detectors.babar``).
* :func:`borexino_bounds` - the Borexino bound on eps |mu_D^{e mu}| at many masses (see
  "Flavour" below); spectral fit when the data are found, rate fallback otherwise.
* :func:`combine` - pure combination logic for one mass (min over searches, not-applicable
  handling, products, dominance). No physics is computed there; test it with fakes.
* :func:`hierarchy` - all of the above over a mass list: a :class:`HierarchyPoint` per mass.
* :func:`describe` - metadata for output files (prescriptions, codes, shortcuts, caveats).

Flavour (uv_model_meg.md section 7.5)
-------------------------------------
Borexino measures mu_eff^2 = sum_i P_i(E) sum_j |lambda_ji|^2 with lambda = eps mu_D in the
*mass* basis (neutrino_electron.md section 7); MEG II caps the *flavour* element mu_D^{e mu}.
The flavour matrix (the model's shape, scaled to the cap) is rotated with the PMNS matrix,
``spectra.model.flavour_to_mass`` (NuFIT 5.2, Majorana phases 0). Two treatments:

* ``flavour="effective"`` (default; the documented **shortcut**): the flavour-blind Borexino limit
  L_fb on eps mu_eff (``detectors.borexino.limit``, spectral or rates) is converted with the
  model's effective moment evaluated at the 7Be line, E = 0.8613 MeV, which dominates the fit
  window: kappa = mu_eff(7Be)/|mu_D^{e mu}|, bound = L_fb/kappa. For the pure e-mu texture
  kappa^2 = sum_i P_i (1 - |U_tau i|^2) = 0.773 (kappa = 0.879). The shortcut neglects the energy
  dependence of P_i between pp, 7Be and pep: against "exact" it is 0.1-0.2 % off for the e-mu
  texture at m_A' = 10 keV and 20 MeV (tests/test_constraints.py checks 1 %).
* ``flavour="exact"``: the spectral fit with the model's own mass-basis matrix as the TMM
  template (``borexino.tmm_spectra(moment_muB=...)``): exact P_i(E) for every component. Needs the
  data files; same cost as the flavour-blind fit.

Heavy A' (speed): for m_A'^2 >> 2 m_e T_max (T_max ~ 1.7 MeV in the templates) the propagator
factor F(T)^2 -> (2 m_e T/m_A'^2)^2, so the Borexino bound grows exactly as m_A'^2. Above
``scaling_above`` (default 0.1 GeV) the bound is computed once at ``scaling_above`` and scaled by
(m/scaling_above)^2; the neglected term is < 2 x 2 m_e T_max/scaling_above^2 = 3.5e-4 of the rate
(< 2e-4 on the bound). ``scaling_above=None`` computes every mass.

Caveats kept visible (not papered over)
---------------------------------------
* **Invisible searches often do not apply.** With only the TMM width Gamma_nunu of a MEG-capped
  mu_D (~1e-11 mu_B) the A' decays to e+e- (mu+mu-, hadrons) essentially always
  (accelerator.md 7.4); NA64 and BaBar then constrain only where the A' escapes the detector
  (small m, small eps) or where a dark width Gamma_dark dominates, or below 2 m_e. Where no search
  applies, eps_max = inf, the product is inf and the point says so; only the visible-mode searches
  (not implemented) would constrain it.
* **Only the lower edge of the excluded eps band is used.** For a visible-decaying A' the
  invisible searches exclude a band eps_UL <~ eps <~ eps_up; above eps_up the A' decays inside the
  detector and is again allowed *by these searches*. (eps mu_D)_max assumes eps below the band.
* **P_inv is evaluated at mu_D = mu_D,max.** eps_max could depend on mu_D through Gamma_nunu; for
  MEG-capped moments Gamma_nunu/Gamma_ee ~ 1e-13 (m/10 MeV)^2 (1e-4/eps)^2, so it does not.
* **Fermion-radiated loop.** ``mu_D`` is the scalar-radiated piece only (uv_model_meg.md section 5).
  In this code base's bookkeeping the two fermion-flow orientations of the A'-on-F loop cancel only
  in the flavour-*symmetric* part; the antisymmetric part survives (``spectra.uv.
  fermion_radiated_orientations``, tests/test_uv.py) with the same flavour structure. It is *not*
  added here; :attr:`MuDCap.fermion_ratio` reports its size relative to the scalar piece (2 at
  M_F = m1, m2 = inf), i.e. including it would raise mu_D,max by |1 + r| (x3 = 0.48 decades).
* All O(1) factors of the UV model are [P] (the paper's Lagrangian is not available).

Units: masses in GeV, moments in mu_B (``_muB``) or GeV^-1 (``_GeV``), widths in GeV.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from darktmm.detectors import meg
from darktmm.spectra import solar, uv
from darktmm.spectra.constants import MEV, MU_B
from darktmm.spectra.model import NUFIT52, Oscillation, flavour_to_mass
from darktmm.spectra.validate import ParameterError, check_range

#: The quantity every bound in this module refers to.
QUANTITY = "eps*|mu_D^{e mu}|"
#: Prescriptions of :func:`mu_D_cap`.
PRESCRIPTIONS = ("benchmark", "full", "model")
#: Borexino flavour treatments of :func:`borexino_bounds`.
FLAVOUR_TREATMENTS = ("effective", "exact")
#: 7Be line energy [GeV] used by the "effective" flavour shortcut.
E_7BE = 0.8613 * MEV
#: Default mass above which the Borexino bound is scaled as m^2 [GeV].
SCALING_ABOVE = 0.1
#: Dominant-probe codes that do not depend on the experiment list.
CODE_NONE = 0
CODE_BOREXINO = 1
#: Names of the default accelerator searches, in code order (codes 2, 3).
DEFAULT_EXPERIMENTS = ("NA64", "BaBar")
_EXPERIMENT_MODULES = {"NA64": "darktmm.detectors.na64", "BaBar": "darktmm.detectors.babar"}
_IJ = (0, 1)  # (e, mu) in flavour index order


# --- MEG II cap on mu_D ----------------------------------------------------------------------
@dataclass(frozen=True)
class MuDCap:
    """The cLFV cap on the flavour-basis element |mu_D^{e mu}| and the matrix it implies.

    ``mu_D_max_GeV`` [GeV^-1], ``mu_D_max_muB`` [mu_B]; ``shape_flavour`` is the model's flavour
    texture normalised to |shape[e, mu]| = 1 (pure e-mu for "benchmark"/"full");
    ``matrix_mass_muB`` = mu_D,max x U^T shape U, the capped moment in the mass basis (what the
    A' width and Borexino see). ``P_max`` is the capped Yukawa combination (benchmark:
    |y_e y'_mu - y_mu y'_e|; full: |y_e y'_mu|; model: the rescaled antisymmetric combination),
    ``perturbative`` whether the saturating couplings stay <= 4 pi. ``channel`` is the binding
    limit. ``fermion_ratio`` = (fermion-radiated)/(scalar-radiated) e-mu moment (not included).
    """

    mu_D_max_GeV: float
    mu_D_max_muB: float
    P_max: float
    perturbative: bool
    prescription: str
    channel: str
    shape_flavour: np.ndarray
    matrix_mass_muB: np.ndarray
    model: uv.UVModel
    fermion_ratio: float
    notes: tuple[str, ...] = ()
    scan: dict | None = None

    @property
    def matrix_flavour_muB(self) -> np.ndarray:
        """The capped moment matrix in the flavour basis [mu_B]."""
        return self.mu_D_max_muB * self.shape_flavour

    def summary(self) -> dict:
        """JSON-ready description (GeV, mu_B)."""
        return {
            "prescription": self.prescription,
            "channel": self.channel,
            "mu_D_max_muB": self.mu_D_max_muB,
            "mu_D_max_GeV-1": self.mu_D_max_GeV,
            "P_max": self.P_max,
            "perturbative": bool(self.perturbative),
            "fermion_radiated_over_scalar_radiated": self.fermion_ratio,
            "uv": _uv_dict(self.model),
            "shape_flavour": _cplx(self.shape_flavour),
            "matrix_mass_muB": _cplx(self.matrix_mass_muB),
            "notes": list(self.notes),
            "scan": self.scan,
        }


def _uv_dict(model: uv.UVModel) -> dict:
    d = dataclasses.asdict(model)
    d["m2"] = "inf" if math.isinf(model.m2) else model.m2
    for k in ("y", "yp"):
        d[k] = [[z.real, z.imag] for z in getattr(model, k)]
    return d


def _cplx(a) -> list:
    a = np.asarray(a, dtype=complex)
    return [[[float(z.real), float(z.imag)] for z in row] for row in a]


def _emu_shape() -> np.ndarray:
    s = np.zeros((3, 3), dtype=complex)
    s[0, 1], s[1, 0] = 1.0, -1.0
    return s


def fermion_radiated_ratio(model: uv.UVModel) -> float:
    """(fermion-radiated)/(scalar-radiated) e-mu moment at this (M_F, m1, m2, theta, g_D, Q_D).

    Both share the flavour structure (y_i y'_j - y_j y'_i), so the ratio does not depend on the
    Yukawas (:func:`spectra.uv.fermion_radiated_dark_tmm`). Signed (real for real couplings).
    """
    probe = dataclasses.replace(model, y=(1.0, 0.0, 0.0), yp=(0.0, 1.0, 0.0))
    s = uv.dark_tmm_matrix(probe)[_IJ]
    f = uv.fermion_radiated_dark_tmm(probe)[_IJ]
    return float((f / s).real) if s != 0 else math.nan


def _check_has_tmm(model: uv.UVModel):
    if model.theta == 0.0:
        raise ParameterError(
            "theta = 0: mu_D vanishes identically (no scalar mixing); allowed range (0, pi/2]"
        )
    if model.m1 == model.m2:
        raise ParameterError("m1 = m2: mu_D vanishes identically (GIM-like cancellation); give m1 != m2")
    if model.g_D * model.Q_D == 0.0:
        raise ParameterError("g_D Q_D = 0: the A' does not couple to the dark scalars, mu_D = 0")


def mu_D_cap(model: uv.UVModel, prescription: str = "benchmark", osc: Oscillation = NUFIT52) -> MuDCap:
    """MEG II cap on |mu_D^{e mu}| for one UV point (uv_model_meg.md section 6); see the module doc.

    "benchmark" and "full" use (M_F, m1, m2, theta, g_D, Q_D) of ``model`` and ignore its Yukawas
    (the cap fixes them); "model" keeps the Yukawa texture and rescales it.
    """
    if prescription not in PRESCRIPTIONS:
        raise ParameterError(f"prescription = {prescription!r} is not one of {PRESCRIPTIONS}")
    _check_has_tmm(model)
    notes = []
    if prescription in ("benchmark", "full"):
        r = meg.mu_D_max(
            model.M_F,
            model.m1,
            model.m2,
            g_D=model.g_D,
            Q_D=model.Q_D,
            sin2theta=model.sin2theta,
            prescription=prescription,
            channel="mu_e_gamma",
        )
        mu_gev, p_max, pert, channel = float(r.mu_D_GeV), float(r.P_max), bool(r.perturbative), r.channel
        shape = _emu_shape()
        if model.Q_D < 0:
            shape = -shape
    else:
        mu_flav = uv.dark_tmm_matrix(model)
        a = mu_flav[_IJ]
        if a == 0:
            raise ParameterError(
                "prescription 'model': the card's Yukawas give mu_D^{e mu} = 0 "
                "(needs y_e y'_mu - y_mu y'_e != 0); MEG II caps the e-mu element"
            )
        t2, channel = math.inf, ""
        for key, lim in meg.LIMITS.items():
            f, i = lim.pair  # (final, initial)
            a_l, a_r = uv.lfv_amplitude(model, i, f)
            amp = math.hypot(abs(a_l), abs(a_r))
            if amp > 0 and lim.amplitude_max / amp < t2:
                t2, channel = lim.amplitude_max / amp, key
        if not math.isfinite(t2):
            raise ParameterError(
                "prescription 'model': the card's Yukawas give no l -> l' gamma amplitude, "
                "so the cLFV limits do not cap mu_D; use prescription 'benchmark' or 'full'"
            )
        mu_gev = float(abs(a) * t2)
        kmax = max(max(abs(z) for z in model.y), max(abs(z) for z in model.yp))
        pert = bool(kmax * math.sqrt(t2) <= uv.YUKAWA_MAX)
        y, yp = model.y_array, model.yp_array
        p_max = float(abs(y[0] * yp[1] - y[1] * yp[0]) * t2)
        shape = mu_flav / abs(a)
        if channel != "mu_e_gamma":
            notes.append(f"the binding cLFV limit is {channel}, not mu -> e gamma")
    if not pert:
        notes.append("the Yukawas that saturate the cLFV limit are non-perturbative (> 4 pi)")
    mu_muB = mu_gev / MU_B
    mass = flavour_to_mass(mu_muB * shape, osc)
    return MuDCap(
        mu_D_max_GeV=mu_gev,
        mu_D_max_muB=mu_muB,
        P_max=p_max,
        perturbative=pert,
        prescription=prescription,
        channel=channel,
        shape_flavour=shape,
        matrix_mass_muB=mass,
        model=model,
        fermion_ratio=fermion_radiated_ratio(model),
        notes=tuple(notes),
    )


def mu_D_cap_scan(
    model: uv.UVModel, grid: Mapping[str, list], prescription: str = "benchmark", osc: Oscillation = NUFIT52
) -> MuDCap:
    """The largest perturbative :func:`mu_D_cap` over a grid of UV parameters.

    ``grid`` maps UVModel field names (e.g. ``"M_F"``, ``"m1"``, ``"theta"``) to lists of values;
    every combination replaces those fields of ``model`` (validated as usual). Points where mu_D
    vanishes identically are skipped. If no point is perturbative the largest cap is returned,
    flagged non-perturbative. The returned cap carries ``scan`` = {n_points, n_perturbative,
    grid, best, mu_D_max_muB range}.
    """
    allowed = [f.name for f in dataclasses.fields(uv.UVModel)]
    if not isinstance(grid, Mapping) or not grid:
        raise ParameterError("the UV scan grid must be a non-empty table of parameter -> list of values")
    for k, v in grid.items():
        if k not in allowed:
            raise ParameterError(f"unknown UV scan key {k!r}; allowed keys are {allowed}")
        if not isinstance(v, (list, tuple)) or not v:
            raise ParameterError(f"UV scan key {k!r} must be a non-empty list of values")
    keys = list(grid)
    caps = []
    for combo in itertools.product(*(grid[k] for k in keys)):
        point = dataclasses.replace(model, **dict(zip(keys, combo)))
        try:
            caps.append(mu_D_cap(point, prescription, osc))
        except ParameterError as exc:
            if "vanishes identically" not in str(exc):
                raise
    if not caps:
        raise ParameterError("mu_D vanishes identically at every point of the UV scan")
    pert = [c for c in caps if c.perturbative]
    best = max(pert or caps, key=lambda c: c.mu_D_max_muB)
    vals = [c.mu_D_max_muB for c in caps]
    info = {
        "grid": {k: list(grid[k]) for k in keys},
        "n_points": len(caps),
        "n_perturbative": len(pert),
        "best": {k: _uv_dict(best.model)[k] for k in keys},
        "mu_D_max_muB_range": [min(vals), max(vals)],
        "rule": "largest perturbative mu_D,max on the grid",
    }
    notes = best.notes + (f"UV scan over {', '.join(keys)}: {len(caps)} points, {len(pert)} perturbative",)
    return dataclasses.replace(best, scan=info, notes=notes)


# --- accelerator searches ---------------------------------------------------------------------
@dataclass(frozen=True)
class NotAvailable:
    """Stand-in EpsLimit for a search whose module is missing or that rejects the mass."""

    m_ap: float
    experiment: str
    note: str
    eps: float | None = None
    eps_upper: float = math.inf
    eps_invisible: float = math.nan
    br_inv: float = math.nan
    p_inv: float = math.nan
    applicable: bool = False


def default_experiments() -> dict:
    """{"NA64": detectors.na64, "BaBar": detectors.babar}; a missing module becomes a stub whose
    answers are ``applicable = False`` with the reason in the note."""
    import importlib

    out = {}
    for name in DEFAULT_EXPERIMENTS:
        try:
            out[name] = importlib.import_module(_EXPERIMENT_MODULES[name])
        except ModuleNotFoundError as exc:
            if exc.name != _EXPERIMENT_MODULES[name]:
                raise
            out[name] = _Missing(name, _EXPERIMENT_MODULES[name])
    return out


class _Missing:
    def __init__(self, name, module):
        self.name, self.module = name, module

    def eps_max(self, m_ap, **_):
        return NotAvailable(m_ap, self.name, f"module {self.module} is not available in this installation")


def constrains(lim) -> bool:
    """True when an EpsLimit-like answer bounds eps: applicable, eps finite and in [0, 1]."""
    eps = getattr(lim, "eps", None)
    return (
        bool(getattr(lim, "applicable", False)) and eps is not None and math.isfinite(eps) and 0 <= eps <= 1
    )


def accelerator_eps(
    m_ap: float,
    mu_D_mass_muB,
    *,
    experiments: Mapping | None = None,
    gamma_dark: float = 0.0,
    L_det_m: Mapping | None = None,
) -> dict:
    """{name: EpsLimit} for one mass [GeV], each search with the model's own P_inv.

    ``mu_D_mass_muB`` is the capped moment matrix in the mass basis [mu_B] (its Frobenius norm
    sets Gamma_nunu); ``gamma_dark`` the extra invisible width [GeV] at this mass; ``L_det_m``
    optional per-experiment detector lengths [m] (None: the experiment's default). A search that
    raises ParameterError for this mass (outside its range) is reported as not applicable with
    the message.
    """
    experiments = default_experiments() if experiments is None else experiments
    out = {}
    for name, exp in experiments.items():
        L = None if L_det_m is None else L_det_m.get(name)
        try:
            out[name] = exp.eps_max(m_ap, gamma_dark=gamma_dark, mu_D_muB=mu_D_mass_muB, L_det_m=L)
        except ParameterError as exc:
            out[name] = NotAvailable(m_ap, name, f"outside the search: {exc}")
    return out


# --- one mass: the combination --------------------------------------------------------------
@dataclass(frozen=True)
class HierarchyPoint:
    """The hierarchy at one m_A' [GeV]. Bounds on eps |mu_D^{e mu}| in mu_B; inf = no bound.

    ``accelerator`` holds the raw EpsLimit answers; ``eps_max`` the minimum over the searches that
    constrain (inf if none) and ``eps_source`` which one; ``products`` = eps_exp x mu_D,max per
    constraining search; ``product_muB`` their minimum (the synergy bound). ``log10_ratio`` =
    log10(borexino/product): > 0 when cLFV x accelerator dominates (the paper's claim), < 0 when
    Borexino does, nan if either is missing. ``orders`` = |log10_ratio|. ``dominant`` is the probe
    with the smallest bound ("none" if no bound at all), ``dominant_code`` its integer code
    (:func:`code_table`).
    """

    m_ap: float
    accelerator: dict
    eps_max: float
    eps_source: str
    mu_D_max_muB: float
    products: dict
    product_muB: float
    borexino_muB: float
    borexino_method: str
    dominant: str
    dominant_code: int
    log10_ratio: float
    orders: float
    notes: tuple[str, ...] = ()

    def summary(self) -> dict:
        """JSON-ready dict (GeV, mu_B; inf/nan become null through rootio.to_json)."""
        acc = {}
        for name, lim in self.accelerator.items():
            acc[name] = {
                "eps": _num(getattr(lim, "eps", None)),
                "eps_upper": _num(getattr(lim, "eps_upper", None)),
                "eps_invisible": _num(getattr(lim, "eps_invisible", None)),
                "br_inv": _num(getattr(lim, "br_inv", None)),
                "p_inv": _num(getattr(lim, "p_inv", None)),
                "applicable": bool(getattr(lim, "applicable", False)),
                "constrains": constrains(lim),
                "note": str(getattr(lim, "note", "")),
            }
        return {
            "m_ap_GeV": self.m_ap,
            "accelerator": acc,
            "eps_max": self.eps_max,
            "eps_source": self.eps_source,
            "mu_D_max_muB": self.mu_D_max_muB,
            "products_muB": dict(self.products),
            "product_muB": self.product_muB,
            "borexino_muB": self.borexino_muB,
            "borexino_method": self.borexino_method,
            "dominant": self.dominant,
            "dominant_code": self.dominant_code,
            "log10_ratio": self.log10_ratio,
            "orders": self.orders,
            "notes": list(self.notes),
        }


def _num(v) -> float:
    return math.nan if v is None else float(v)


def synergy_label(experiment: str) -> str:
    return f"MEG II x {experiment}"


def code_table(experiments=DEFAULT_EXPERIMENTS) -> dict[int, str]:
    """Integer codes of the dominant probe: 0 none, 1 Borexino, 2.. MEG II x <search> in order."""
    t = {CODE_NONE: "none", CODE_BOREXINO: "Borexino"}
    for k, name in enumerate(experiments):
        t[2 + k] = synergy_label(name)
    return t


def combine(
    m_ap: float,
    accelerator: Mapping,
    mu_D_max_muB: float,
    borexino_muB: float,
    *,
    borexino_method: str = "",
    experiments=None,
) -> HierarchyPoint:
    """Combine the answers at one mass (no physics computed here).

    ``accelerator``: {name: EpsLimit-like}; ``mu_D_max_muB``: the cLFV cap [mu_B];
    ``borexino_muB``: the Borexino bound on eps |mu_D^{e mu}| (inf/nan = none). ``experiments``
    fixes the code order (default: the keys of ``accelerator``).
    """
    names = list(accelerator) if experiments is None else list(experiments)
    codes = {v: k for k, v in code_table(names).items()}
    mu = check_range("mu_D_max_muB", mu_D_max_muB, 0.0, None, unit="muB")
    notes = []
    products = {}
    for name in names:
        lim = accelerator[name]
        if constrains(lim):
            products[name] = float(lim.eps) * mu
            up = getattr(lim, "eps_upper", math.inf)
            if up is not None and math.isfinite(up):
                notes.append(
                    f"{name}: excluded only for {float(lim.eps):.3g} < eps < {float(up):.3g}; larger eps is "
                    "allowed by this search (visible-mode searches needed)"
                )
        else:
            why = getattr(lim, "note", "") or "no answer"
            if not getattr(lim, "applicable", False):
                notes.append(f"{name}: invisible search does not apply ({why})")
            else:
                notes.append(f"{name}: does not constrain eps at this mass ({why})")
    if products:
        src = min(products, key=products.get)
        eps_max, product = float(accelerator[src].eps), products[src]
    else:
        src, eps_max, product = "", math.inf, math.inf
        notes.append("no invisible-A' search applies: no cLFV x accelerator bound at this mass")
    bx = float(borexino_muB) if borexino_muB is not None else math.nan
    bx_ok = math.isfinite(bx) and bx > 0
    if not bx_ok:
        bx = math.inf
        notes.append("no Borexino bound at this mass")
    if bx_ok and bx > mu:
        notes.append(
            f"the Borexino bound ({bx:.3g} muB) lies above the MEG II cap alone with eps <= 1 ({mu:.3g} muB): "
            "Borexino cannot probe this UV point at any eps"
        )
    bounds = {synergy_label(n): p for n, p in products.items()}
    if bx_ok:
        bounds["Borexino"] = bx
    if bounds:
        dominant = min(bounds, key=bounds.get)
    else:
        dominant = "none"
    if products and bx_ok and product > 0:
        ratio = math.log10(bx / product)
    else:
        ratio = math.nan
    return HierarchyPoint(
        m_ap=float(m_ap),
        accelerator=dict(accelerator),
        eps_max=eps_max,
        eps_source=src,
        mu_D_max_muB=mu,
        products=products,
        product_muB=product,
        borexino_muB=bx,
        borexino_method=borexino_method,
        dominant=dominant,
        dominant_code=codes[dominant],
        log10_ratio=ratio,
        orders=abs(ratio),
        notes=tuple(notes),
    )


# --- Borexino at the same masses ---------------------------------------------------------------
def effective_moment_ratio(shape_mass, osc: Oscillation = NUFIT52, profile=None) -> float:
    """kappa = mu_eff(7Be line)/|mu_D^{e mu}| for a mass-basis matrix normalised to |mu^{e mu}| = 1.

    mu_eff^2 = sum_i P_i(E_7Be) sum_j |lambda_ji|^2 (``spectra.solar.mu_eff_sq``): the "effective"
    flavour shortcut of uv_model_meg.md section 7.5 (see the module doc).
    """
    return float(math.sqrt(solar.mu_eff_sq(E_7BE, "7Be", shape_mass, osc, profile)))


@dataclass
class BorexinoBounds:
    """Borexino bounds on eps |mu_D^{e mu}| [mu_B] at ``masses`` [GeV], and how they were made."""

    masses: np.ndarray
    bounds: np.ndarray
    method: str
    flavour: str
    info: dict = field(default_factory=dict)


def _masses_to_compute(masses, scaling_above):
    m = np.asarray(masses, dtype=float)
    if scaling_above is None:
        return m, np.zeros(m.shape, dtype=bool)
    scaled = m > scaling_above
    comp = np.unique(np.concatenate([m[~scaled], [scaling_above] if scaled.any() else []]))
    return comp, scaled


def borexino_bounds(
    masses,
    shape_mass,
    *,
    flavour: str = "effective",
    method: str = "auto",
    treatment: str = "ssm",
    data_dir=None,
    rtol: float = 1e-2,
    seed: int = 0,
    scaling_above: float | None = SCALING_ABOVE,
    osc: Oscillation = NUFIT52,
    limit_fn: Callable | None = None,
    progress=None,
) -> BorexinoBounds:
    """Borexino 90 % CL bound on eps |mu_D^{e mu}| [mu_B] at each mass [GeV].

    ``shape_mass`` is the model's moment matrix in the mass basis normalised to a flavour e-mu
    element of modulus 1 (``MuDCap.matrix_mass_muB / MuDCap.mu_D_max_muB``). ``flavour``,
    ``scaling_above``: see the module doc. ``method`` as in ``detectors.borexino.limit`` (auto:
    spectral if the data are found, else the rate fallback); "exact" flavour needs the spectral
    fit. ``limit_fn`` (tests) replaces ``borexino.limit`` for the effective treatment.
    """
    from darktmm.detectors import borexino

    if flavour not in FLAVOUR_TREATMENTS:
        raise ParameterError(f"Borexino flavour treatment = {flavour!r} is not one of {FLAVOUR_TREATMENTS}")
    if scaling_above is not None:
        scaling_above = check_range("scaling_above", scaling_above, 0.0, None, unit="GeV", lo_open=True)
    masses = np.array([check_range("m_ap", m, 0.0, None, unit="GeV") for m in np.atleast_1d(masses)])
    t0 = time.perf_counter()
    comp, scaled = _masses_to_compute(masses, scaling_above)
    info = {"flavour": flavour, "scaling_above_GeV": scaling_above, "computed_masses_GeV": comp.tolist()}
    if flavour == "effective":
        kappa = effective_moment_ratio(shape_mass, osc)
        fn = borexino.limit if limit_fn is None else limit_fn
        pts, binfo = fn(
            comp,
            data_dir=data_dir,
            method=method,
            treatment=treatment,
            rtol=rtol,
            seed=seed,
            expected=False,
            osc=osc,
            progress=progress,
        )
        lim = np.array([p.limit for p in pts], dtype=float) / kappa
        info |= {k: v for k, v in binfo.items() if k != "timing_s"}
        info["kappa_mu_eff_over_mu_emu"] = kappa
        info["shortcut"] = "flavour-blind limit / kappa, kappa = mu_eff at the 7Be line (0.8613 MeV)"
        used = binfo.get("method", method)
    else:
        if method == "rates":
            raise ParameterError("Borexino flavour = 'exact' needs the spectral fit, not method = 'rates'")
        data = borexino.load_data(data_dir)  # DataError (exit 2) with where it looked if missing
        profiles = borexino.production_profiles(data_dir)
        sm, rates = borexino.sm_spectra(data.edges, rtol=rtol, seed=seed, osc=osc, profiles=profiles)
        ref = borexino.MU_REF * np.asarray(shape_mass, dtype=complex)
        lim = []
        for m in comp:
            tmm = borexino.tmm_spectra(
                m, data.edges, moment_muB=ref, rtol=rtol, seed=seed, osc=osc, profiles=profiles, template=True
            )
            lim.append(
                borexino.spectral_limit_from_templates(
                    data, sm, rates, tmm, m, treatment, expected=False
                ).limit
            )
            if progress:
                progress(1)
        lim = np.array(lim, dtype=float)
        info |= {"method": "spectral", "treatment": treatment, "rtol": rtol, "data_file": data.path}
        used = "spectral"
    at = {float(m): float(v) for m, v in zip(comp, lim)}
    bounds = np.array(
        [
            at[float(scaling_above)] * (m / scaling_above) ** 2 if s else at[float(m)]
            for m, s in zip(masses, scaled)
        ]
    )
    info["timing_s"] = time.perf_counter() - t0
    return BorexinoBounds(masses, bounds, used, flavour, info)


# --- XENONnT beside Borexino (the direct probes) -------------------------------------------------
@dataclass
class XenonntBounds:
    """XENONnT SR0 bounds on eps |mu_D^{e mu}| [mu_B] at ``masses`` [GeV], and how they were made."""

    masses: np.ndarray
    bounds: np.ndarray
    method: str
    flavour: str
    info: dict = field(default_factory=dict)


def xenonnt_bounds(
    masses,
    shape_mass,
    *,
    treatment: str = "stepping",
    nuisance: str = "free",
    data_dir=None,
    rtol: float = 1e-3,
    seed: int = 0,
    osc: Oscillation = NUFIT52,
    limit_fn: Callable | None = None,
    progress=None,
) -> XenonntBounds:
    """XENONnT SR0 90 % CL bound on eps |mu_D^{e mu}| [mu_B] at each mass [GeV] (xenon_er.md section 5).

    The counterpart of :func:`borexino_bounds` with ``flavour="exact"``: the unbinned fit of
    ``detectors.xenonnt.limit`` with the model's own mass-basis matrix (``shape_mass``, normalised
    to |mu^{e mu}| = 1) as the TMM template, so P_i(E) enters exactly. It costs the same as the
    flavour-blind fit (the recoil kernel is computed once; each mass only reweights it by F(T)^2),
    so no shortcut and no m^2 scaling are needed. ``treatment`` ("stepping"/"free") and
    ``nuisance`` ("free"/"gaussian"/"fixed") as in ``detectors.xenonnt.limit``; ``limit_fn``
    (tests) replaces it. Needs the XENONnT data files.
    """
    from darktmm.detectors import xenonnt

    masses = np.array([check_range("m_ap", m, 0.0, None, unit="GeV") for m in np.atleast_1d(masses)])
    t0 = time.perf_counter()
    fn = xenonnt.limit if limit_fn is None else limit_fn
    ref = xenonnt.MU_REF * np.asarray(shape_mass, dtype=complex)
    pts, xinfo = fn(
        masses,
        treatment=treatment,
        nuisance=nuisance,
        moment_muB=ref,
        rtol=rtol,
        seed=seed,
        expected=False,
        data_dir=data_dir,
        osc=osc,
        progress=progress,
    )
    info = {k: v for k, v in xinfo.items() if k != "timing_s"}
    info |= {"flavour": "exact", "timing_s": time.perf_counter() - t0}
    return XenonntBounds(
        masses, np.array([p.limit for p in pts], dtype=float), xinfo.get("method", ""), "exact", info
    )


@dataclass(frozen=True)
class DirectProbePoint:
    """Borexino and XENONnT at one mass: both bounds [mu_B] on eps |mu_D^{e mu}| and the stronger.

    ``dominant`` is "XENONnT", "Borexino" or "none" (neither finite); ``log10_ratio`` =
    log10(Borexino/XENONnT), > 0 where XENONnT is stronger.
    """

    m_ap: float
    borexino_muB: float
    xenonnt_muB: float
    dominant: str
    log10_ratio: float


def direct_probes(borexino: BorexinoBounds, xenonnt: XenonntBounds) -> list[DirectProbePoint]:
    """The dominant direct (solar-nu electron-recoil) probe at each mass of two bound sets.

    Pure combination: no physics is computed. Both sets must be at the same masses.
    """
    if len(borexino.masses) != len(xenonnt.masses) or not np.allclose(borexino.masses, xenonnt.masses):
        raise ParameterError("the Borexino and XENONnT bounds were computed at other masses")
    out = []
    for m, b, x in zip(borexino.masses, borexino.bounds, xenonnt.bounds):
        b, x = _num(b), _num(x)
        fb, fx = math.isfinite(b) and b > 0, math.isfinite(x) and x > 0
        if fb and fx:
            dom, r = ("XENONnT" if x < b else "Borexino"), math.log10(b / x)
        elif fb or fx:
            dom, r = ("Borexino" if fb else "XENONnT"), (-math.inf if fb else math.inf)
        else:
            dom, r = "none", math.nan
        out.append(DirectProbePoint(float(m), b, x, dom, r))
    return out


def crossing_mass(masses, bounds_a, bounds_b) -> float | None:
    """The first mass [GeV] where two bound curves cross, or None.

    log(a/b) is interpolated linearly in log m between neighbouring masses where it changes
    sign (both curves are smooth power laws locally); masses must be increasing and > 0 at the
    crossing. Finite, positive bounds only.

    >>> round(crossing_mass([1.0, 10.0], [1.0, 100.0], [10.0, 10.0]), 4)   # a = m^2 meets b = 10 at sqrt(10)
    3.1623
    """
    m = np.asarray(masses, dtype=float)
    r = np.log(np.asarray(bounds_a, dtype=float) / np.asarray(bounds_b, dtype=float))
    for i in range(len(m) - 1):
        if not (np.isfinite(r[i]) and np.isfinite(r[i + 1])) or m[i] <= 0:
            continue
        if r[i] == 0.0:
            return float(m[i])
        if r[i] * r[i + 1] < 0:
            f = r[i] / (r[i] - r[i + 1])
            return float(math.exp(math.log(m[i]) + f * math.log(m[i + 1] / m[i])))
    return None


def xenonnt_borexino_crossing(borexino: BorexinoBounds, xenonnt: XenonntBounds) -> float | None:
    """The mass [GeV] where the XENONnT and Borexino bounds cross (:func:`crossing_mass`), or None.

    Below it XENONnT (1-30 keV recoils) is the stronger direct probe; above it Borexino, whose
    0.2-1.3 MeV recoils feel the A' propagator F(T)^2 = [2 m_e T/(2 m_e T + m^2)]^2 later.
    """
    direct_probes(borexino, xenonnt)  # same masses
    return crossing_mass(borexino.masses, xenonnt.bounds, borexino.bounds)


# --- the whole hierarchy ----------------------------------------------------------------------
def hierarchy(
    masses,
    cap: MuDCap,
    *,
    experiments: Mapping | None = None,
    gamma_dark: float | Callable = 0.0,
    L_det_m: Mapping | None = None,
    borexino: BorexinoBounds | None = None,
    borexino_options: Mapping | None = None,
    progress=None,
) -> tuple[list[HierarchyPoint], dict]:
    """The hierarchy at every mass [GeV]: (points, info).

    ``gamma_dark`` is a width [GeV] or a function m -> width; ``borexino`` precomputed bounds
    (else :func:`borexino_bounds` with ``borexino_options``). ``experiments`` as in
    :func:`accelerator_eps`.
    """
    masses = np.array([check_range("m_ap", m, 0.0, None, unit="GeV") for m in np.atleast_1d(masses)])
    t0 = time.perf_counter()
    experiments = default_experiments() if experiments is None else dict(experiments)
    shape_mass = cap.matrix_mass_muB / cap.mu_D_max_muB
    if borexino is None:
        borexino = borexino_bounds(masses, shape_mass, **dict(borexino_options or {}))
    if len(borexino.bounds) != len(masses) or not np.allclose(borexino.masses, masses):
        raise ParameterError("the Borexino bounds were computed at other masses")
    pts = []
    for m, bx in zip(masses, borexino.bounds):
        gd = gamma_dark(m) if callable(gamma_dark) else gamma_dark
        gd = check_range("gamma_dark", gd, 0.0, None, unit="GeV")
        acc = accelerator_eps(m, cap.matrix_mass_muB, experiments=experiments, gamma_dark=gd, L_det_m=L_det_m)
        pts.append(
            combine(
                m, acc, cap.mu_D_max_muB, bx, borexino_method=borexino.method, experiments=list(experiments)
            )
        )
        if progress:
            progress(1)
    info = {
        "experiments": list(experiments),
        "codes": code_table(list(experiments)),
        "borexino": {"method": borexino.method, "flavour": borexino.flavour, **borexino.info},
        "mu_D_cap": cap.summary(),
        "timing_s": time.perf_counter() - t0,
    }
    return pts, info


def dark_fermion_width(m_ap, g_D: float, charge: float, m_chi: float = 0.0):
    """Gamma(A' -> chi chibar) [GeV] for a light dark Dirac fermion (accelerator.md section 7.2):
    (alpha_D Q^2 m/3)(1 + 2 m_chi^2/m^2) sqrt(1 - 4 m_chi^2/m^2), alpha_D = g_D^2/(4 pi); 0 below
    threshold. Such a state is *not* part of the UV model of arXiv:2603.25704 [P]; it is how a
    dominant Gamma_dark (the paper's implicit BR_inv ~ 1) can be realised."""
    m = np.asarray(m_ap, dtype=float)
    r = np.where(m > 0, (m_chi / np.where(m > 0, m, 1.0)) ** 2, np.inf)
    ok = 4 * r < 1
    alpha_d = g_D**2 / (4 * math.pi)
    w = alpha_d * charge**2 * m / 3 * (1 + 2 * np.where(ok, r, 0)) * np.sqrt(np.where(ok, 1 - 4 * r, 0))
    return float(w) if w.ndim == 0 else w


def describe(experiments=DEFAULT_EXPERIMENTS) -> dict:
    """Metadata for output files: quantity, recipe, prescriptions, codes, shortcuts, caveats."""
    return {
        "module": "darktmm.detectors.constraints",
        "reference": "shared/physics/uv_model_meg.md sections 6-7; accelerator.md sections 5.1, 7.4-7.5",
        "quantity": QUANTITY,
        "unit": "muB",
        "recipe": "eps_max = min over invisible searches that apply (model's own P_inv, eps^2 P_inv = eps_UL^2); "
        "mu_D,max from MEG II; product = eps_max mu_D,max; Borexino bound on the same quantity",
        "codes": code_table(experiments),
        "prescriptions": {
            "benchmark": "single-scalar MEG cap on |y_e y'_mu - y_mu y'_e| (uv_model_meg.md section 6)",
            "full": "explicit y = (y_e,0,.), y' = (0,y'_mu,.): mu_D,max = g_D Q_D M_F |A|_max |Delta_g/Delta_f|",
            "model": "card Yukawas rescaled until the first cLFV limit (mu->e gamma, tau->e gamma, tau->mu gamma) saturates",
        },
        "borexino_flavour": {
            "effective": "shortcut: flavour-blind limit / kappa, kappa = mu_eff(7Be line)/|mu_D^{e mu}| after the PMNS "
            "rotation (NuFIT 5.2, Majorana phases 0)",
            "exact": "spectral fit with the model's mass-basis matrix as the TMM template",
        },
        "borexino_heavy_scaling": f"bound ~ m^2 above scaling_above (default {SCALING_ABOVE} GeV); error < 2e-4",
        "caveats": [
            "BR_inv = 1 is not assumed: each search uses the model's own P_inv; where the A' decays visibly and "
            "promptly the invisible searches do not apply (eps_max = inf, no synergy bound)",
            "only the lower edge of the excluded eps band is used; above it only visible-mode searches constrain",
            "P_inv is evaluated at mu_D = mu_D,max (Gamma_nunu is negligible for MEG-capped moments)",
            "mu_D is the scalar-radiated loop only; the fermion-radiated loop's antisymmetric part does not cancel "
            "in this code's bookkeeping (spectra.uv.fermion_radiated_orientations) and is not included",
            "UV-model O(1) factors, signs and charges are [P] (arXiv:2603.25704 full text not available)",
        ],
    }
