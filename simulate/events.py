"""Weighted and unweighted event samples from the adapted VEGAS maps, streamed as awkward arrays.

What to use
-----------
``generate(process, n, seed=S, unweighted=False, chunk=25_000)`` returns an :class:`EventRun`.
Iterating over it trains the VEGAS map, runs the pilot (unweighted mode) and then yields awkward
record arrays of at most ``chunk`` events each; after the loop ``run.summary()`` holds sigma,
its error, trials, accepted events, w_max, the unweighting efficiency and the fraction of
events above w_max. :mod:`simulate.eventio` and :mod:`simulate.hepmc` write the chunks to files.

The processes (same model and integrands as the spectra):

* :class:`NuElectronEvents` - solar nu-e scattering in Borexino (``spectra.recoil.RecoilProcess``),
  one solar component, SM or dark TMM. Weights in counts per day per 100 t (cpd/100t).
* :class:`MonophotonEvents` - e+e- -> gamma A' at an Upsilon resonance
  (``spectra.accel_mc.MonophotonProcess``). Weights in pb.
* :class:`DarkBremEvents` - e Z -> e Z A' in the NA64 active target
  (``spectra.accel_mc.DarkBremProcess``). Weights in A' per electron on target (EOT).

Event record (one record per event)
-----------------------------------
``event`` (1, 2, ...), ``process_id``, ``weight``, the observables of the process (GeV, rad,
mm), and ``Particle``: a jagged list of records with ``pdgId``, ``status`` (NuHepMC: 4 beam,
11 target, 1 final), ``px, py, pz, E, m`` [GeV] and, where it is not the origin (NA64), the
production vertex ``x, y, z`` [mm] and ``t`` (c t in mm). The initial state is part of the list,
so every event conserves four-momentum.

Sampling
--------
The map is trained on the integrand with the run's Generator (``numpy.random.default_rng(seed)``)
and frozen; a frozen VEGAS integral gives sigma_vegas. Events are points of the frozen map:
y uniform in [0, 1)^ndim, u = map(y), trial weight v = jac(y) f(u) (plain, unstratified
sampling, so E[v] = sigma).

* weighted: n trials, event weight v/n, so the weights sum to the MC estimate of sigma; trials
  outside phase space (v = 0) are not written. ``w_max`` is then the largest v and
  ``efficiency`` = <v>/max(v), the efficiency an unweighting would have;
* unweighted: w_max = wmax_factor x max(v) over a pilot run; each trial is accepted when
  r w_max < v (r uniform) - true accept-reject, nothing is resampled. Accepted events have
  weight max(1, v/w_max): events above w_max are kept with weight v/w_max > 1 and counted.
  sigma = sum(v)/trials over all trials of the run; the cross section of one unit of weight is
  sigma/sum(weights).

Random numbers: trials come in fixed blocks of ``block`` points. Block k of stream s draws from
``Generator(PCG64(SeedSequence(seed, spawn_key=(s, k))))`` (s = 0 events, 1 pilot), in a fixed
order (map points, accept-reject numbers, then the per-event numbers of the process). The output
chunk size only decides where the event stream is cut, so the same seed and card give the same
events for any chunk size, and a run of n events is the first n events of a longer run.

Memory: one chunk buffer (preallocated, ``chunk`` events) and the arrays of one block are held at
a time, whatever the number of events.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import awkward as ak
import numpy as np

from darktmm.spectra import nue
from darktmm.spectra.constants import GEV2_TO_PB, M_E, MEV
from darktmm.spectra.integrate import Vegas
from darktmm.spectra.validate import ParameterError, check_range

# --- particle codes --------------------------------------------------------------------------
#: PDG Monte Carlo numbering (PDG RPP, "Monte Carlo particle numbering scheme").
PDG_ELECTRON = 11
PDG_NU_E = 12
PDG_PHOTON = 22
#: Dark photon: 4900022, the Pythia 8 Hidden-Valley gamma_v code commonly used for A' (no PDG code exists).
PDG_DARK_PHOTON = 4900022
#: 208Pb nucleus, PDG nuclear code 10LZZZAAAI.
PDG_PB208 = 1000822080
#: 208Pb nuclear mass [GeV]: 207.9766521 u (AME2020) minus 82 electron masses (binding of the
#: electrons, < 1 MeV, neglected); 1 u = 0.93149410242 GeV (CODATA 2018).
M_PB208 = 207.9766521 * 0.93149410242 - 82 * M_E

#: NuHepMC particle status codes (NuHepMC spec P.R.1): final, beam, target.
STATUS_FINAL = 1
STATUS_BEAM = 4
STATUS_TARGET = 11

#: NuHepMC process ids (E.C.1 range 700-999, "other process types").
PROCESS_IDS = {
    ("borexino", "sm"): 700,
    ("borexino", "tmm"): 710,
    ("babar", ""): 800,
    ("na64", ""): 900,
}

#: Trials per block: the unit of the random-number streams (see the module docstring).
BLOCK = 1 << 16
#: Default output chunk [events].
CHUNK = 25_000
#: Random-number stream keys.
_STREAM_EVENTS, _STREAM_PILOT = 0, 1

MM_PER_M = 1e3

PARTICLE_FIELDS = ("pdgId", "status", "px", "py", "pz", "E", "m")
VERTEX_FIELDS = ("x", "y", "z", "t")
PARTICLE_TITLES = {
    "pdgId": "PDG particle code",
    "status": "NuHepMC status: 4 beam, 11 target, 1 final state",
    "px": "momentum x [GeV]",
    "py": "momentum y [GeV]",
    "pz": "momentum z [GeV]",
    "E": "energy [GeV]",
    "m": "generated mass [GeV]",
    "x": "production vertex x [mm]",
    "y": "production vertex y [mm]",
    "z": "production vertex z [mm]",
    "t": "production vertex time c*t [mm]",
}


@dataclass(frozen=True)
class Observable:
    """One per-event quantity: branch name, title with unit, and the histogram range (None: no TH1D)."""

    name: str
    title: str
    lo: float | None = None
    hi: float | None = None
    bins: int = 100
    dtype: str = "float64"


@dataclass
class Built:
    """Event content of a batch of accepted points: observables (n,) arrays, and per particle
    field a tuple of k slots, each an (n,) array or a constant (copied once into the chunk)."""

    obs: dict
    particles: dict
    present: np.ndarray | None = None  # (n, k) bool, None when all k particles are present


class EventProcess:
    """Interface of a process that :func:`generate` can sample.

    Subclasses set ``name``, ``kind``, ``process_id``, ``ndim``, ``n_particles``, ``has_vertex``,
    ``weight_unit``, ``scale`` (integrand unit -> weight unit), ``pb_per_unit`` (weight unit ->
    pb, for HepMC; None if the weight is not a cross section), ``observables`` and implement
    ``integrand(u)`` (a VEGAS batch integrand on the unit cube), ``build(u, rng)`` and
    ``describe()``.
    """

    name = ""
    kind = ""
    description = ""
    citation = ""
    ndim = 1
    n_particles = 0
    has_vertex = False
    weight_unit = ""
    scale = 1.0
    pb_per_unit: float | None = None
    observables: tuple = ()
    #: VEGAS evaluations per training iteration unless the run says otherwise.
    train_neval = 20_000

    @property
    def process_id(self) -> int:
        return PROCESS_IDS[(self.name, self.kind)]

    def integrand(self, u):  # pragma: no cover - interface
        raise NotImplementedError

    def build(self, u, rng) -> Built:  # pragma: no cover - interface
        raise NotImplementedError

    def describe(self) -> dict:
        return {"process": self.name, "kind": self.kind, "process_id": self.process_id}

    @property
    def particle_fields(self) -> tuple:
        return PARTICLE_FIELDS + (VERTEX_FIELDS if self.has_vertex else ())


def _particles(pdg, status, cols, vertex=None) -> dict:
    """Particle fields as per-slot tuples: the codes, then the kinematic (and vertex) columns."""
    out = {"pdgId": tuple(pdg), "status": tuple(status)}
    out.update(cols)
    if vertex is not None:
        out.update(vertex)
    return out


# =============================================================================================
# Borexino: solar nu-e scattering
# =============================================================================================
class NuElectronEvents(EventProcess):
    """Solar nu e -> nu e in Borexino, one component, SM or dark TMM (flavour-blind eps*mu_eff).

    Integrand: :class:`spectra.recoil.RecoilProcess` (u_0 -> ln T; continua u_1 -> E_nu), times
    :data:`detectors.borexino.PER_E_S_TO_CPD100T`: weights are counts per day per 100 t of
    scintillator (cpd/100t) and sum to the rate with T_lo < T < T_hi. A source of several lines
    (7Be) is integrated in T only; each event's line is drawn with probability
    br_l dsigma/dT(E_l, T)/sum_l (``RecoilProcess.line_terms``), the exact conditional distribution
    of E_nu at that T (only below the Compton edge of the lower line, where both contribute).

    Per event:

    * frame: the neutrino moves along +z, the direction from the Sun to the detector; the
      electron's polar angle is cos(theta_e) = (E + m_e)/E sqrt(T/(T + 2 m_e))
      (``neutrino_electron.md`` section 1, two-body kinematics on an electron at rest) and its
      azimuth is uniform; the outgoing neutrino takes the balance (massless);
    * E_rec = RESPONSE.mean(T) + RESPONSE.sigma(T) N(0, 1): the Borexino Phase-II effective
      response (``detectors.borexino.RESPONSE``) sampled per event.

    Particles: nu (12, beam), e at rest (11, target), nu (12, final), e (11, final). The
    neutrino code 12 is nominal (a nu_e at production); mass-state content is not tracked.
    No vertex: the event position in the detector is not modelled.
    """

    name = "borexino"
    n_particles = 4
    has_vertex = False
    weight_unit = "cpd/100t"
    citation = "arXiv:2603.25704; Borexino PRD 100 (2019) 082004 (response); B16-GS98 fluxes arXiv:1611.09867"

    def __init__(
        self,
        component: str = "7Be",
        kind: str = "sm",
        *,
        m_ap: float = 0.0,
        eps_mu: float = 1e-11,
        T_lo: float = 0.05 * MEV,
        T_hi: float = 20.0 * MEV,
        profile=None,
        response=None,
    ):

        from darktmm.detectors import borexino
        from darktmm.spectra.model import DarkSector
        from darktmm.spectra.recoil import RecoilProcess

        self.kind = kind
        self.m_ap = check_range("m_ap", m_ap, 0.0, None, unit="GeV")
        self.eps_mu = check_range("eps_mu", eps_mu, 0.0, 1e-6, unit="muB")
        lam = DarkSector.flavour_blind(self.m_ap, 1.0, self.eps_mu).mu_D_muB if kind == "tmm" else None
        self.proc = RecoilProcess(
            component, kind, T_lo=T_lo, T_hi=T_hi, m_ap=self.m_ap, moment_muB=lam, profile=profile
        )
        if self.proc.empty:
            raise ParameterError(
                f"recoil range {T_lo / MEV:g}-{T_hi / MEV:g} MeV is above the kinematic limit of {component}"
            )
        self.ndim = self.proc.ndim
        # a source of several lines: above the Compton edge of every line but the highest, only
        # the highest contributes; below it the line is drawn from RecoilProcess.line_terms
        self.line_E = np.array([e for e, _ in self.proc.comp.lines])
        self.t_mixed = float(nue.t_max(np.sort(self.line_E)[-2])) if len(self.line_E) > 1 else 0.0
        self.component = component
        self.response = borexino.RESPONSE if response is None else response
        self.scale = borexino.PER_E_S_TO_CPD100T
        self.flux = float(self.proc.comp.flux_cm2_s)
        # flux-averaged cross section: rate per electron / flux [cm^2] -> pb
        self.pb_per_unit = 1e36 / (self.scale * self.flux)
        lo, hi = self.proc.t_range
        e_hi = self.proc.e_max
        er_hi = float(self.response.mean(hi) + 5 * self.response.sigma(hi))
        self.observables = (
            Observable("E_nu", "neutrino energy E_nu [GeV]", 0.0, e_hi * (1 + 1e-9)),
            Observable("T", "electron recoil kinetic energy T [GeV]", lo, hi),
            Observable("cos_theta_sun", "cos of the electron angle to the Sun-detector direction", 0.0, 1.0),
            Observable("phi", "electron azimuth around the Sun-detector direction [rad]", 0.0, 2 * math.pi),
            Observable("E_rec", "reconstructed energy after the Phase-II response E_rec [GeV]", 0.0, er_hi),
        )
        what = (
            "SM" if kind == "sm" else f"dark TMM (eps mu_eff = {self.eps_mu:g} muB, m_A' = {self.m_ap:g} GeV)"
        )
        self.description = f"solar {component} nu e -> nu e in Borexino, {what}"

    def integrand(self, u):
        return self.proc(u)

    def recoil(self, u, rng):
        """(T, E_nu) [GeV] at points u; the line of a multi-line source is drawn with rng."""
        kin = self.proc.kinematics(u)
        T, E = kin["T"], kin["E_nu"]
        if len(self.line_E) > 1:
            E = np.full_like(T, self.line_E.max())
            mixed = T <= self.t_mixed
            r = rng.random(len(T))
            if np.any(mixed):
                # k = #{l: r c_L >= c_l}, c the running sum of the line terms (column by column:
                # the same sums as np.cumsum along the lines, without the slow short-axis reductions)
                terms = self.proc.line_terms(T[mixed])
                c = [terms[:, 0]]
                for j in range(1, terms.shape[1]):
                    c.append(c[-1] + terms[:, j])
                rc = r[mixed] * c[-1]
                k = np.zeros(len(rc), np.intp)
                for cj in c:
                    k += rc >= cj
                E[mixed] = self.line_E[np.minimum(k, len(self.line_E) - 1)]
        return T, E

    def build(self, u, rng) -> Built:
        n = len(u)
        T, E = self.recoil(u, rng)
        phi = 2.0 * math.pi * rng.random(n)
        erec = self.response.mean(T) + self.response.sigma(T) * rng.standard_normal(n)
        cos = np.minimum((E + M_E) / E * np.sqrt(T / (T + 2.0 * M_E)), 1.0)
        sin = np.sqrt(np.maximum(1.0 - cos * cos, 0.0))
        p = np.sqrt(T * (T + 2.0 * M_E))
        ex, ey, ez = p * sin * np.cos(phi), p * sin * np.sin(phi), p * cos
        cols = {
            "px": (0.0, 0.0, -ex, ex),
            "py": (0.0, 0.0, -ey, ey),
            "pz": (E, 0.0, E - ez, ez),
            "E": (E, M_E, E - T, T + M_E),
            "m": (0.0, M_E, 0.0, M_E),
        }
        parts = _particles(
            [PDG_NU_E, PDG_ELECTRON, PDG_NU_E, PDG_ELECTRON],
            [STATUS_BEAM, STATUS_TARGET, STATUS_FINAL, STATUS_FINAL],
            cols,
        )
        obs = {"E_nu": E, "T": T, "cos_theta_sun": cos, "phi": phi, "E_rec": erec}
        return Built(obs, parts)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "component": self.component,
            "m_ap_GeV": self.m_ap,
            "eps_mu_eff_muB": self.eps_mu if self.kind == "tmm" else 0.0,
            "T_range_GeV": list(self.proc.t_range),
            "flux_cm2_s": self.flux,
            "weight_unit": self.weight_unit,
            "frame": "+z = direction from the Sun to the detector (neutrino momentum)",
            "response": "E_rec = 1.0792 T - 0.0111 MeV + 0.0639 sqrt(T/MeV) MeV x N(0,1)",
        }


# =============================================================================================
# A' decay: visible or invisible, and where
# =============================================================================================
def ap_widths(model) -> tuple[float, float]:
    """(BR_inv, Gamma_tot [GeV]) of the model's A' (``spectra.widths``, accelerator.md 7.1-7.4)."""
    from darktmm.spectra.widths import br_invisible, gamma_invisible, gamma_visible

    gv = gamma_visible(model.m_ap, model.eps)
    gi = gamma_invisible(model)
    return float(np.asarray(br_invisible(gi, gv))), float(np.asarray(gv + gi))


def ap_decay(br_inv, gamma_tot, mass, E, px, py, pz, L_det_m, rng):
    """Decay of each A' (mass, energy E, momentum p [GeV]): visible flag, decay vertex [mm], c t [mm].

    The channel is visible with probability 1 - BR_inv and invisible otherwise; the flight
    distance is exponential with the lab decay length l = (|p|/m) hbar c/Gamma_tot
    (:func:`spectra.widths.decay_length_m`, accelerator.md 7.5), along the A' momentum; c t =
    distance x E/|p|. A stable A' (Gamma_tot = 0) has an infinite decay distance. ``escapes`` =
    invisible, or visible beyond L_det (the P_inv of accelerator.md 7.5, per event). Vertices are
    relative to the production point.
    """
    from darktmm.spectra.widths import decay_length_m

    n = len(E)
    visible = rng.random(n) >= br_inv
    mass = np.broadcast_to(np.asarray(mass, dtype=float), (n,))
    ell_m = decay_length_m(mass, np.maximum(E, mass), gamma_tot)
    d_mm = -np.asarray(ell_m) * np.log1p(-rng.random(n)) * MM_PER_M
    p = np.sqrt(px * px + py * py + pz * pz)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(p > 0, d_mm / np.where(p > 0, p, 1.0), 0.0)
        ct = np.where(p > 0, d_mm * E / np.where(p > 0, p, 1.0), np.inf)
    escapes = ~visible | (d_mm > L_det_m * MM_PER_M)
    return {
        "decay_visible": visible.astype(np.int32),
        "escapes": escapes.astype(np.int32),
        "decay_x": k * px,
        "decay_y": k * py,
        "decay_z": k * pz,
        "decay_t": ct,
        "decay_length": d_mm,
    }


def _decay_observables(L_det_m):
    return (
        Observable(
            "decay_visible", "1: A' decays visibly (probability 1 - BR_inv), 0: invisibly", dtype="int32"
        ),
        Observable("escapes", f"1: A' decays invisibly or beyond L_det = {L_det_m:g} m", dtype="int32"),
        Observable("decay_x", "A' decay vertex x [mm]"),
        Observable("decay_y", "A' decay vertex y [mm]"),
        Observable("decay_z", "A' decay vertex z [mm]"),
        Observable("decay_t", "A' decay vertex time c*t [mm]"),
        Observable("decay_length", "A' flight distance to its decay [mm]"),
    )


def _boost_z(E, pz, beta):
    """Boost along +z with velocity beta: (E', pz')."""
    g = 1.0 / math.sqrt(1.0 - beta * beta)
    return g * (E + beta * pz), g * (pz + beta * E)


# =============================================================================================
# BaBar: e+ e- -> gamma A'
# =============================================================================================
#: Upsilon CM energies [GeV]: accelerator.md section 1 (PDG).
UPSILON_SQRT_S = {"2S": 10.0233, "3S": 10.3552, "4S": 10.5794}
#: PEP-II boost beta*gamma of the CM along the e- beam (accelerator.md section 1, at Upsilon(4S)).
PEP2_BETA_GAMMA = 0.56
#: BaBar LowM photon acceptance in the CM, cos(theta*) (accelerator.md section 5).
BABAR_Z_WINDOW = (-0.4, 0.6)
#: Detector length for the escape flag [m] (accelerator.md 7.5: BaBar 1.5-3 m).
BABAR_L_DET_M = 2.0


class MonophotonEvents(EventProcess):
    """e+ e- -> gamma A' at an Upsilon resonance (``spectra.accel_mc.MonophotonProcess``), weights in pb.

    Frame: ``frame="lab"`` (default; NuHepMC E.R.9 asks for lab-frame momenta) boosts the CM
    four-vectors along +z, the e- beam direction, with the PEP-II beta*gamma = 0.56 (the
    Upsilon(4S) value, used at every resonance); ``frame="cm"`` keeps the CM frame. The
    observables E*_gamma, cos theta*_gamma and M_X^2 are CM quantities either way, as BaBar's.

    Particles: e- (beam, +z), e+ (-z; status 11 "target": NuHepMC E.R.7 asks for exactly one beam
    and one target, arbitrary for equal masses), the tagged photon, the A' (final; it is not decayed
    in the record), and with ISR a collinear photon carrying the radiated energy. The A'
    four-vector is the balance of the initial state; its decay channel (visible with probability
    1 - BR_inv) and decay vertex come from :func:`ap_decay` with the model's widths
    (``spectra.widths``). Every particle starts at the interaction point (the origin), so the
    particle list has no vertex branches; the A' decay vertex is in ``decay_x/y/z/t``.
    """

    name = "babar"
    has_vertex = False  # every particle starts at the interaction point; the A' decay vertex is per event
    weight_unit = "pb"
    pb_per_unit = 1.0
    citation = "arXiv:2603.25704; BaBar PRL 119 (2017) 131804; accelerator.md sections 1-4"

    def __init__(
        self,
        resonance: str = "3S",
        *,
        m_ap: float = 1.0,
        eps: float = 1e-3,
        mu_d: float = 0.0,
        gamma_dark: float = 0.0,
        z_window=BABAR_Z_WINDOW,
        isr: bool = False,
        offshell: bool = False,
        mx2_window=None,
        frame: str = "lab",
        L_det_m: float = BABAR_L_DET_M,
    ):
        from darktmm.spectra.accel_mc import MonophotonProcess
        from darktmm.spectra.model import DarkSector

        key = str(resonance).upper().replace("UPSILON", "").replace("(", "").replace(")", "")
        if key not in UPSILON_SQRT_S:
            raise ParameterError(f"resonance = {resonance!r}; choose from {', '.join(UPSILON_SQRT_S)}")
        if frame not in ("cm", "lab"):
            raise ParameterError(f"frame = {frame!r} must be 'cm' or 'lab'")
        self.resonance, self.frame, self.isr, self.offshell = key, frame, bool(isr), bool(offshell)
        self.sqrt_s = UPSILON_SQRT_S[key]
        self.model = DarkSector.flavour_blind(m_ap, eps, mu_d, gamma_dark)
        self.z_window = tuple(float(z) for z in z_window)
        self.mx2_window = None if mx2_window is None else tuple(float(v) for v in mx2_window)
        if self.isr and self.mx2_window is None:
            raise ParameterError(
                "ISR needs an M_X^2 window: without a photon-energy cut the soft-photon end is log "
                "divergent; e.g. mx2_window = [-4, 36] (BaBar LowM, GeV^2)"
            )
        self.L_det_m = check_range("L_det", L_det_m, 0.0, None, unit="m")
        self.proc = MonophotonProcess(
            self.sqrt_s,
            self.model.m_ap,
            self.model.eps,
            self.z_window,
            isr=self.isr,
            offshell=self.model if self.offshell else None,
            mx2_window=self.mx2_window,
        )
        self.ndim = int(self.proc.ndim)
        self.scale = GEV2_TO_PB
        # ISR adds two variables with a sharp M_X^2 edge: a finer training lifts the unweighting
        # efficiency from ~1.5 % to ~12 % (Upsilon(3S), m_A' = 2 GeV) for 0.3 s more
        self.train_neval = 100_000 if self.isr else 20_000
        self.br_inv, self.gamma_tot = ap_widths(self.model)
        self.n_particles = 5 if self.isr else 4
        s = self.sqrt_s
        self.observables = (
            Observable("E_gamma_cm", "photon energy in the CM E*_gamma [GeV]", 0.0, 0.5 * s),
            Observable("cos_theta_cm", "photon cos(theta*) in the CM (to the e- beam)", *self.z_window),
            Observable("phi", "photon azimuth [rad]", 0.0, 2 * math.pi),
            Observable("MX2", "missing mass squared M_X^2 with the nominal s [GeV^2]", -4.0, s * s),
            Observable("isr_x", "ISR radiated energy fraction x = 1 - s'/s", 0.0, 1.0),
            Observable("m_inv", "A' invariant mass [GeV]", 0.0, s),
            *_decay_observables(self.L_det_m),
        )
        shell = "off-shell A'* -> invisible" if self.offshell else "on-shell A'"
        self.description = (
            f"e+e- -> gamma A' at Upsilon({key}), sqrt(s) = {s} GeV, m_A' = {self.model.m_ap:g} GeV, "
            f"eps = {self.model.eps:g}, {'with' if self.isr else 'no'} ISR, "
            f"{shell}, {frame} frame"
        )

    def integrand(self, u):
        return self.proc(u)

    def build(self, u, rng) -> Built:
        n = len(u)
        kin = self.proc.kinematics(u)
        eb = 0.5 * self.sqrt_s
        pb = math.sqrt(eb * eb - M_E * M_E)
        k = 5 if self.isr else 4
        # collinear ISR photon: E = x sqrt(s)/2 along the radiating beam (side +1: e-, -1: e+). This
        # equals accel_mc's sqrt(s) - sqrt(s_hat) cosh(Y) exactly, without its cancellation at small x.
        e_isr = 0.5 * self.sqrt_s * np.asarray(kin["isr_x"], dtype=float)
        E = [eb, eb, kin["E_gamma_cm"], kin["E_ap"], e_isr][:k]
        PX = (0.0, 0.0, kin["px_gamma"], kin["px_ap"], 0.0)[:k]
        PY = (0.0, 0.0, kin["py_gamma"], kin["py_ap"], 0.0)[:k]
        PZ = [pb, -pb, kin["pz_gamma"], kin["pz_ap"], np.asarray(kin["isr_side"]) * e_isr][:k]
        M = (M_E, M_E, 0.0, kin["m_inv"], 0.0)[:k]
        if self.frame == "lab":
            beta = PEP2_BETA_GAMMA / math.sqrt(1.0 + PEP2_BETA_GAMMA**2)
            for j in range(k):
                E[j], PZ[j] = _boost_z(E[j], PZ[j], beta)
        present = None
        if self.isr:
            present = np.ones((n, 5), bool)
            present[:, 4] = kin["isr_x"] > 0  # no ISR photon for the soft + virtual remainder
        br_inv = 1.0 if self.offshell else self.br_inv  # off shell: A'* -> invisible by construction
        dec = ap_decay(br_inv, self.gamma_tot, kin["m_inv"], E[3], PX[3], PY[3], PZ[3], self.L_det_m, rng)
        parts = _particles(
            (PDG_ELECTRON, -PDG_ELECTRON, PDG_PHOTON, PDG_DARK_PHOTON, PDG_PHOTON)[:k],
            (STATUS_BEAM, STATUS_TARGET, STATUS_FINAL, STATUS_FINAL, STATUS_FINAL)[:k],
            {"px": PX, "py": PY, "pz": PZ, "E": tuple(E), "m": M},
        )
        obs = {
            name: np.asarray(kin[name], dtype=float)
            for name in ("E_gamma_cm", "cos_theta_cm", "phi", "MX2", "isr_x", "m_inv")
        }
        obs.update(dec)
        return Built(obs, parts, present)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "resonance": f"Upsilon({self.resonance})",
            "sqrt_s_GeV": self.sqrt_s,
            "m_ap_GeV": self.model.m_ap,
            "eps": self.model.eps,
            "mu_D_muB": float(np.sqrt(np.max(self.model.column_norms_sq_muB2))),
            "gamma_dark_GeV": self.model.gamma_dark,
            "z_window": list(self.z_window),
            "isr": self.isr,
            "offshell": self.offshell,
            "mx2_window_GeV2": None if self.mx2_window is None else list(self.mx2_window),
            "frame": self.frame,
            "pep2_beta_gamma": PEP2_BETA_GAMMA if self.frame == "lab" else 0.0,
            "br_inv": self.br_inv,
            "gamma_tot_GeV": self.gamma_tot,
            "L_det_m": self.L_det_m,
            "weight_unit": self.weight_unit,
        }


# =============================================================================================
# NA64: e Z -> e Z A'
# =============================================================================================
#: NA64 ECAL resolution sigma_E/E = a/sqrt(E/GeV) (+) b: a = 0.10 (NA64, PRD 97 (2018) 072002,
#: arXiv:1710.00971: "sigma_E/E ~ 10%/sqrt(E)"), no constant term by default.
NA64_ECAL_STOCHASTIC = 0.10
NA64_ECAL_CONSTANT = 0.0
#: NA64 detector length for the escape flag [m] (accelerator.md 7.5: ECAL + HCAL ~ 5-6 m).
NA64_L_DET_M = 5.5


def recoil_electron(E_e, kx, ky, kz, E_ap, M=M_PB208, iterations=4):
    """Outgoing electron and nucleus for e(E_e, +z) + N(rest) -> e + N + A'(E_ap, k).

    The A' kinematics comes from the IWW integrand, which integrates over the electron angle, so
    the electron direction is a modelling choice: the electron balances the A' transverse
    momentum (as far as its momentum allows) and the nucleus absorbs the rest of the momentum
    transfer q = p - k - p'. The electron energy E' = E_e - E_ap - T_N, T_N = q^2/(M + sqrt(M^2
    + q^2)) the nuclear recoil, is found by fixed-point iteration (T_N ~ q^2/2M is < 1e-6 of
    the energies, so it converges to rounding in a few steps). Returns (E', p'x, p'y, p'z, E_N,
    qx, qy, qz) [GeV]; four-momentum is conserved to rounding.
    """
    pe = np.sqrt(np.maximum(E_e * E_e - M_E * M_E, 0.0))
    kt = np.hypot(kx, ky)
    TN = np.zeros_like(E_e)
    for _ in range(iterations):
        Ep = E_e - E_ap - TN
        pp = np.sqrt(np.maximum(Ep * Ep - M_E * M_E, 0.0))
        f = np.where(kt > 0, np.minimum(1.0, 0.999999 * pp / np.where(kt > 0, kt, 1.0)), 0.0)
        px, py = -f * kx, -f * ky
        pz = np.sqrt(np.maximum(pp * pp - px * px - py * py, 0.0))
        qx, qy, qz = -kx - px, -ky - py, pe - kz - pz
        q2 = qx * qx + qy * qy + qz * qz
        TN = q2 / (M + np.sqrt(M * M + q2))
    return Ep, px, py, pz, M + TN, qx, qy, qz


class DarkBremEvents(EventProcess):
    """e- Z -> e- Z A' in the NA64 active Pb target (``spectra.accel_mc.DarkBremProcess``).

    Weights: the thick-target A' yield per electron on target (EOT) with E_A' > E_cut, at the
    ``eps`` of the run (``pb_per_unit`` is None: the yield is not a cross section; HepMC carries
    it as a per-EOT yield, see ``simulate.hepmc``).

    Per event: depth t [X0] and beam-electron energy E_e at emission (track-length integrand),
    x = E_A'/E_e, A' angle theta and a uniform azimuth; the electron of energy E_e moves along
    +z (its shower angle is neglected), the production vertex is at z = t X0(Pb) = t x 5.61 mm
    on the beam axis, c t = z. Particles: e- (beam, E_e), 208Pb (target, at rest), A', e-,
    208Pb (final; :func:`recoil_electron`). E_miss = E0 - E_ECAL with E_ECAL = E0 - E_miss_true
    x escapes (an A' that decays visibly inside L_det deposits its energy), smeared by the ECAL
    resolution sigma_E/E = a/sqrt(E) (+) b (:data:`NA64_ECAL_STOCHASTIC`, :data:`NA64_ECAL_CONSTANT`).
    """

    name = "na64"
    has_vertex = True
    n_particles = 5
    weight_unit = "per EOT"
    pb_per_unit = None
    citation = "arXiv:2603.25704; NA64 PRL 131 (2023) 161801; accelerator.md section 6"

    def __init__(
        self,
        *,
        m_ap: float = 0.01,
        eps: float = 1e-4,
        mu_d: float = 0.0,
        gamma_dark: float = 0.0,
        E0: float = 100.0,
        E_cut: float = 50.0,
        T_X0: float = 40.0,
        L_det_m: float = NA64_L_DET_M,
        ecal_stochastic: float = NA64_ECAL_STOCHASTIC,
        ecal_constant: float = NA64_ECAL_CONSTANT,
    ):
        from darktmm.spectra.accel_mc import DarkBremProcess
        from darktmm.spectra.darkbrem import PB
        from darktmm.spectra.model import DarkSector

        self.model = DarkSector.flavour_blind(m_ap, eps, mu_d, gamma_dark)
        self.E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
        self.E_cut = check_range("E_cut", E_cut, 0.0, self.E0, unit="GeV")
        self.T_X0 = check_range("T_X0", T_X0, 0.0, None, lo_open=True)
        self.L_det_m = check_range("L_det", L_det_m, 0.0, None, unit="m")
        self.ecal = (
            check_range("ecal_stochastic", ecal_stochastic, 0.0, 1.0),
            check_range("ecal_constant", ecal_constant, 0.0, 1.0),
        )
        self.X0_mm = PB.X0_cm * 10.0
        self.proc = DarkBremProcess(
            self.model.m_ap, E0=self.E0, E_cut=self.E_cut, T_X0=self.T_X0, eps=self.model.eps
        )
        self.ndim = int(self.proc.ndim)
        self.scale = 1.0
        self.br_inv, self.gamma_tot = ap_widths(self.model)
        E0v = self.E0
        self.observables = (
            Observable("t_X0", "emission depth t [X0]", 0.0, self.T_X0),
            Observable("E_e", "beam-electron energy at emission E_e [GeV]", self.E_cut, E0v),
            Observable("x", "A' energy fraction x = E_A'/E_e", 0.0, 1.0),
            Observable("E_ap", "A' energy E_A' [GeV]", self.E_cut, E0v),
            Observable(
                "theta_ap", "A' polar angle to the beam [rad]", 0.0, 3.0 * self.model.m_ap / self.E_cut
            ),
            Observable("phi", "A' azimuth [rad]", 0.0, 2 * math.pi),
            Observable("E_miss_true", "true missing energy [GeV]", 0.0, E0v),
            Observable("E_ecal", "ECAL energy after the resolution [GeV]", 0.0, 1.2 * E0v),
            Observable(
                "E_miss", "missing energy E0 - E_ECAL after the ECAL resolution [GeV]", -0.2 * E0v, E0v
            ),
            *_decay_observables(self.L_det_m),
        )
        self.description = (
            f"e- Pb -> e- Pb A' in the NA64 active target, E0 = {E0v:g} GeV, E_A' > {self.E_cut:g} GeV, "
            f"m_A' = {self.model.m_ap:g} GeV, eps = {self.model.eps:g}"
        )

    def integrand(self, u):
        return self.proc(u)

    def build(self, u, rng) -> Built:
        n = len(u)
        kin = self.proc.kinematics(u)
        t = np.asarray(kin["t_X0"], dtype=float)
        Ee = np.asarray(kin["E_e"], dtype=float)
        Ea = np.asarray(kin["E_ap"], dtype=float)
        th = np.asarray(kin["theta_ap"], dtype=float)
        phi = np.asarray(kin["phi"], dtype=float) if "phi" in kin else 2.0 * math.pi * rng.random(n)
        m = self.model.m_ap
        k = np.sqrt(np.maximum(Ea * Ea - m * m, 0.0))
        kx, ky, kz = k * np.sin(th) * np.cos(phi), k * np.sin(th) * np.sin(phi), k * np.cos(th)
        Ep, px, py, pz, EN, qx, qy, qz = recoil_electron(Ee, kx, ky, kz, Ea)
        pe = np.sqrt(np.maximum(Ee * Ee - M_E * M_E, 0.0))
        cols = {
            "px": (0.0, 0.0, kx, px, qx),
            "py": (0.0, 0.0, ky, py, qy),
            "pz": (pe, 0.0, kz, pz, qz),
            "E": (Ee, M_PB208, Ea, Ep, EN),
            "m": (M_E, M_PB208, m, M_E, M_PB208),
        }
        zmm = t * self.X0_mm
        vtx = {"x": (0.0,) * 5, "y": (0.0,) * 5, "z": (zmm,) * 5, "t": (zmm,) * 5}
        parts = _particles(
            [PDG_ELECTRON, PDG_PB208, PDG_DARK_PHOTON, PDG_ELECTRON, PDG_PB208],
            [STATUS_BEAM, STATUS_TARGET, STATUS_FINAL, STATUS_FINAL, STATUS_FINAL],
            cols,
            vtx,
        )
        dec = ap_decay(self.br_inv, self.gamma_tot, m, Ea, kx, ky, kz, self.L_det_m, rng)
        dec["decay_z"] = dec["decay_z"] + zmm
        dec["decay_t"] = dec["decay_t"] + zmm
        emt = np.asarray(kin["E_miss_true"], dtype=float)
        e_true = self.E0 - emt * dec["escapes"]
        a, b = self.ecal
        sig = e_true * np.sqrt(a * a / np.maximum(e_true, 1e-12) + b * b)
        e_ecal = e_true + sig * rng.standard_normal(n)
        obs = {
            "t_X0": t,
            "E_e": Ee,
            "x": np.asarray(kin["x"], dtype=float),
            "E_ap": Ea,
            "theta_ap": th,
            "phi": phi,
            "E_miss_true": emt,
            "E_ecal": e_ecal,
            "E_miss": self.E0 - e_ecal,
            **dec,
        }
        return Built(obs, parts)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "m_ap_GeV": self.model.m_ap,
            "eps": self.model.eps,
            "mu_D_muB": float(np.sqrt(np.max(self.model.column_norms_sq_muB2))),
            "gamma_dark_GeV": self.model.gamma_dark,
            "E0_GeV": self.E0,
            "E_cut_GeV": self.E_cut,
            "T_X0": self.T_X0,
            "target": "Pb, X0 = 5.61 mm",
            "ecal_resolution": {"stochastic": self.ecal[0], "constant": self.ecal[1]},
            "br_inv": self.br_inv,
            "gamma_tot_GeV": self.gamma_tot,
            "L_det_m": self.L_det_m,
            "weight_unit": self.weight_unit,
        }


# =============================================================================================
# the run
# =============================================================================================
def block_rng(seed: int, stream: int, k: int) -> np.random.Generator:
    """The Generator of block k of a stream (0 events, 1 pilot) of the run with this seed."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=(stream, int(k)))))


@dataclass
class RunStats:
    """Counters of a run (updated while it streams)."""

    trials: int = 0
    accepted: int = 0  # accepted trials (unweighted) or non-zero weights (weighted)
    written: int = 0
    above_wmax: int = 0  # written events with v > w_max (unweighted)
    sum_v: float = 0.0  # sum of trial weights v over all trials (integrand units x scale)
    sum_v2: float = 0.0
    sum_weights: float = 0.0  # sum of written event weights
    sum_weights2: float = 0.0
    w_max: float = float("nan")  # unweighting threshold (unweighted runs)
    v_max: float = 0.0  # largest trial weight seen in the run
    pilot_trials: int = 0
    sigma_vegas: float = float("nan")
    sigma_vegas_err: float = float("nan")
    timing: dict = field(default_factory=dict)


class _ChunkBuffer:
    """Preallocated columns for one output chunk."""

    def __init__(self, size, process: EventProcess):
        self.size, self.n = int(size), 0
        k = process.n_particles
        self.obs_dtypes = {o.name: o.dtype for o in process.observables}
        self.cols = {"event": np.empty(size, np.int64), "weight": np.empty(size)}
        self.cols.update({o: np.empty(size, d) for o, d in self.obs_dtypes.items()})
        self.part = {
            f: np.empty((size, k), np.int32 if f in ("pdgId", "status") else np.float64)
            for f in process.particle_fields
        }
        self.present = None
        self.pid = process.process_id

    def add(self, first_event, weight, built: Built, start, stop):
        m = stop - start
        a, b = self.n, self.n + m
        self.cols["event"][a:b] = np.arange(first_event, first_event + m)
        self.cols["weight"][a:b] = weight[start:stop]
        for name in self.obs_dtypes:
            self.cols[name][a:b] = built.obs[name][start:stop]
        for f, arr in self.part.items():
            for j, col in enumerate(built.particles[f]):
                arr[a:b, j] = col[start:stop] if np.ndim(col) else col
        if built.present is not None:
            if self.present is None:
                self.present = np.ones((self.size, self.part["E"].shape[1]), bool)
            self.present[a:b] = built.present[start:stop]
        self.n = b

    def to_awkward(self) -> ak.Array:
        n = self.n
        k = self.part["E"].shape[1]
        if self.present is None:
            offsets = np.arange(0, (n + 1) * k, k, dtype=np.int64)
            flat = {f: a[:n].reshape(-1) for f, a in self.part.items()}
        else:
            pres = self.present[:n]
            offsets = np.concatenate([[0], np.cumsum(pres.sum(axis=1))]).astype(np.int64)
            flat = {f: a[:n][pres] for f, a in self.part.items()}
        rec = ak.contents.RecordArray([ak.contents.NumpyArray(v) for v in flat.values()], list(flat))
        particles = ak.contents.ListOffsetArray(ak.index.Index64(offsets), rec)
        cols = {"event": self.cols["event"][:n], "process_id": np.full(n, self.pid, np.int32)}
        cols["weight"] = self.cols["weight"][:n]
        for name in self.obs_dtypes:
            cols[name] = self.cols[name][:n]
        contents = [ak.contents.NumpyArray(v) for v in cols.values()] + [particles]
        return ak.Array(ak.contents.RecordArray(contents, [*cols, "Particle"], length=n))


class EventRun:
    """A streamed event sample of one process; iterate to get awkward chunks (see the module doc)."""

    def __init__(
        self,
        process: EventProcess,
        n: int,
        *,
        seed: int,
        unweighted: bool = False,
        chunk: int = CHUNK,
        block: int = BLOCK,
        pilot: int = 4 * BLOCK,
        train_nitn: int = 10,
        train_neval: int | None = None,
        integrate_nitn: int = 5,
        wmax_factor: float = 1.0,
        progress=None,
    ):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
            raise ParameterError(f"number of events = {n!r} must be a whole number > 0")
        for name, v in (("chunk", chunk), ("block", block), ("pilot", pilot), ("train_nitn", train_nitn)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ParameterError(f"{name} = {v!r} must be a whole number >= 1")
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ParameterError(f"seed = {seed!r} must be a whole number >= 0")
        self.process = process
        self.n = int(n)
        self.seed = int(seed)
        self.unweighted = bool(unweighted)
        self.chunk = int(chunk)
        self.block = int(block)
        self.pilot = int(pilot)
        self.train_nitn = int(train_nitn)
        tn = process.train_neval if train_neval is None else train_neval
        self.train_neval = int(check_range("train_neval", tn, 100, None))
        self.integrate_nitn = int(check_range("integrate_nitn", integrate_nitn, 1, None))
        self.wmax_factor = check_range("wmax_factor", wmax_factor, 0.0, None, lo_open=True)
        self.progress = progress
        self.stats = RunStats()
        self.vegas: Vegas | None = None
        self._done = False

    # -- preparation --------------------------------------------------------------------------
    def prepare(self):
        """Train and freeze the VEGAS map, integrate, and (unweighted) find w_max in a pilot run."""
        if self.vegas is not None:
            return
        t0 = time.perf_counter()
        p = self.process
        rng = np.random.default_rng(self.seed)
        vg = Vegas(p.ndim, rng=rng, neval=self.train_neval)
        vg.train(p.integrand, nitn=self.train_nitn)
        r = vg.integrate(p.integrand, nitn=self.integrate_nitn)
        self.stats.sigma_vegas = r.mean * p.scale
        self.stats.sigma_vegas_err = r.sdev * p.scale
        self.vegas = vg
        if not (r.mean > 0):
            raise ParameterError(
                f"{p.name}: the cross section vanishes for these parameters; nothing to generate"
            )
        t1 = time.perf_counter()
        if self.unweighted:
            vmax, done, k = 0.0, 0, 0
            while done < self.pilot:
                v, _ = self._trials(block_rng(self.seed, _STREAM_PILOT, k))
                vmax = max(vmax, float(v.max()))
                done += len(v)
                k += 1
            if not vmax > 0:
                raise ParameterError(
                    f"{p.name}: the pilot run of {done} trials found no non-zero weight; raise pilot"
                )
            self.stats.pilot_trials = done
            self.stats.w_max = vmax * self.wmax_factor
        self.stats.timing["train_s"] = t1 - t0
        self.stats.timing["pilot_s"] = time.perf_counter() - t1

    def _trials(self, g):
        """One block of trials: (v, u) with v = scale jac f(u) for u = map(y), y ~ g."""
        y = g.random((self.block, self.process.ndim))
        u, jac = self.vegas.map_points(y)
        v = self.process.scale * jac * np.asarray(self.process.integrand(u), dtype=float)
        if not np.all(np.isfinite(v)) or np.any(v < 0):
            raise ParameterError(
                f"{self.process.name}: the integrand returned negative or non-finite weights"
            )
        return v, u

    # -- streaming ------------------------------------------------------------------------------
    def _blocks(self):
        """Yield (weights, built, take) per block, in order, updating the counters.

        Every accepted (unweighted) or non-zero (weighted) point of a block is built, and the
        first ``take`` of them are the block's events: the per-event random numbers do not depend
        on how many events the run still needs.
        """
        st = self.stats
        k = 0
        left = self.n
        while left > 0:
            g = block_rng(self.seed, _STREAM_EVENTS, k)
            v, u = self._trials(g)
            st.v_max = max(st.v_max, float(v.max()))
            if self.unweighted:
                st.trials += len(v)
                st.sum_v += float(v.sum())
                st.sum_v2 += float(np.dot(v, v))
                keep = g.random(len(v)) * st.w_max < v
                st.accepted += int(np.count_nonzero(keep))
                take = min(left, int(np.count_nonzero(keep)))
                left -= take
            else:
                # n trials in all; trials outside phase space (v = 0) are not written
                used = min(left, len(v))
                left -= used
                st.trials += used
                st.sum_v += float(v[:used].sum())
                st.sum_v2 += float(np.dot(v[:used], v[:used]))
                keep = v != 0
                take = int(np.count_nonzero(keep[:used]))
                st.accepted += take
            u, v = u[keep], v[keep]
            weight = np.maximum(v / st.w_max, 1.0) if self.unweighted else v / self.n
            if take:
                built = self.process.build(u, g)
                st.written += take
                st.sum_weights += float(weight[:take].sum())
                st.sum_weights2 += float(np.dot(weight[:take], weight[:take]))
                if self.unweighted:
                    st.above_wmax += int(np.count_nonzero(v[:take] > st.w_max))
                yield weight, built, take
            k += 1

    def __iter__(self):
        if self._done:
            raise RuntimeError("an EventRun streams once; call generate() again for a new sample")
        self._done = True
        self.prepare()
        t0 = time.perf_counter()
        size = min(self.chunk, self.n)
        buf = _ChunkBuffer(size, self.process)
        first = 1
        for weight, built, take in self._blocks():
            start = 0
            while start < take:
                if buf is None:
                    buf = _ChunkBuffer(size, self.process)
                m = min(take - start, buf.size - buf.n)
                buf.add(first, weight, built, start, start + m)
                first += m
                start += m
                if buf.n == buf.size:
                    yield self._emit(buf)
                    buf = None
            del built, weight
        if buf is not None and buf.n:
            yield self._emit(buf)
        self.stats.timing["generate_s"] = time.perf_counter() - t0

    def _emit(self, buf):
        out = buf.to_awkward()
        if self.progress:
            self.progress(len(out))
        return out

    # -- results ------------------------------------------------------------------------------
    def summary(self) -> dict:
        """sigma +- dsigma (from the generated trials), trials, accepted, w_max, efficiency, ..."""
        st = self.stats
        N = max(st.trials, 1)
        mean = st.sum_v / N
        var = max(st.sum_v2 / N - mean * mean, 0.0)
        out = {
            "process": self.process.name,
            "description": self.process.description,
            "process_id": self.process.process_id,
            "mode": "unweighted" if self.unweighted else "weighted",
            "events_requested": self.n,
            "events_written": st.written,
            "trials": st.trials,
            "accepted": st.accepted,
            "sigma": mean,
            "sigma_err": math.sqrt(var / N),
            "sigma_unit": self.process.weight_unit,
            "sigma_vegas": st.sigma_vegas,
            "sigma_vegas_err": st.sigma_vegas_err,
            "sum_weights": st.sum_weights,
            "sum_weights2": st.sum_weights2,
            "seed": self.seed,
            "block": self.block,
            "chunk": self.chunk,
        }
        if self.unweighted:
            out.update(
                {
                    "w_max": st.w_max,
                    "wmax_factor": self.wmax_factor,
                    "pilot_trials": st.pilot_trials,
                    "efficiency": st.accepted / N,
                    "events_above_wmax": st.above_wmax,
                    "fraction_above_wmax": st.above_wmax / max(st.written, 1),
                    "sigma_per_unit_weight": mean / st.sum_weights if st.sum_weights > 0 else float("nan"),
                }
            )
        else:
            out.update(
                {
                    "w_max": st.v_max,
                    "efficiency": mean / st.v_max if st.v_max > 0 else 0.0,
                    "events_above_wmax": 0,
                    "fraction_above_wmax": 0.0,
                    "sigma_per_unit_weight": 1.0,
                }
            )
        out["v_max"] = st.v_max
        out["timing_s"] = dict(st.timing)
        return out


def generate(
    process: EventProcess, n: int, *, seed: int, unweighted: bool = False, chunk: int = CHUNK, **kw
) -> EventRun:
    """An event sample of ``process``: iterate over the returned :class:`EventRun` for awkward
    chunks of at most ``chunk`` events; ``run.summary()`` afterwards. Keyword options: ``block``,
    ``pilot``, ``train_nitn``, ``train_neval``, ``integrate_nitn``, ``wmax_factor``, ``progress``
    (a callable receiving the number of events of each chunk)."""
    return EventRun(process, n, seed=seed, unweighted=unweighted, chunk=chunk, **kw)


# =============================================================================================
# histograms of the observables
# =============================================================================================
class Histograms:
    """Weighted histograms (sum w, sum w^2 per bin) of a process's observables, filled chunk by chunk."""

    def __init__(self, process: EventProcess):
        self.specs = [o for o in process.observables if o.lo is not None and o.hi is not None and o.hi > o.lo]
        self.edges = {o.name: np.linspace(o.lo, o.hi, o.bins + 1) for o in self.specs}
        self.sumw = {o.name: np.zeros(o.bins) for o in self.specs}
        self.sumw2 = {o.name: np.zeros(o.bins) for o in self.specs}

    def fill(self, chunk):
        w = np.asarray(chunk["weight"])
        unit = bool(np.all(w == 1.0))  # unweighted chunk without overweights: sum w^2 = sum w
        w2 = None if unit else w * w
        for o in self.specs:
            x = np.asarray(chunk[o.name], dtype=float)
            ok = (x >= o.lo) & (x < o.hi)
            i = np.minimum(((x[ok] - o.lo) * (o.bins / (o.hi - o.lo))).astype(np.int64), o.bins - 1)
            if unit:
                c = np.bincount(i, minlength=o.bins).astype(float)
                self.sumw[o.name] += c
                self.sumw2[o.name] += c
            else:
                self.sumw[o.name] += np.bincount(i, weights=w[ok], minlength=o.bins)
                self.sumw2[o.name] += np.bincount(i, weights=w2[ok], minlength=o.bins)


__all__ = [
    "BLOCK",
    "CHUNK",
    "DarkBremEvents",
    "EventProcess",
    "EventRun",
    "Histograms",
    "MonophotonEvents",
    "NuElectronEvents",
    "Observable",
    "generate",
]
