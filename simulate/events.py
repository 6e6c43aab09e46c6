"""The event processes: what an event of each darktmm process is, and how to build its record.

What to use
-----------
Pick a process and hand it to :func:`darktmm.simulate.sampler.generate`:

* :class:`NuElectronEvents` - solar nu-e scattering in Borexino (``spectra.recoil.RecoilProcess``),
  one solar component, SM or dark TMM. Weights in counts per day per 100 t (cpd/100t).
* :class:`MonophotonEvents` - e+e- -> gamma A' at an Upsilon resonance
  (``spectra.accel_mc.MonophotonProcess``). Weights in pb.
* :class:`DarkBremEvents` - e Z -> e Z A' in the NA64 active target
  (``spectra.accel_mc.DarkBremProcess``). Weights in A' per electron on target (EOT).

A new process implements :class:`EventProcess`: a VEGAS batch integrand on the unit cube, and
``build(u, rng)`` that turns accepted points into an event record. Detector numbers (Upsilon
energies, acceptances, detector lengths, responses) come from their one home in
``darktmm.detectors.<experiment>``; kinematics from :mod:`darktmm.spectra.kinematics`.

Event record (one record per event)
-----------------------------------
``event`` (1, 2, ...), ``process_id``, ``weight``, the observables of the process (GeV, rad,
mm), and ``Particle``: a jagged list of records with ``pdgId``, ``status`` (NuHepMC: 4 beam,
11 target, 1 final), ``px, py, pz, E, m`` [GeV] and, where it is not the origin (NA64), the
production vertex ``x, y, z`` [mm] and ``t`` (c t in mm). The initial state is part of the list,
so every event conserves four-momentum.

>>> p = NuElectronEvents("7Be", "sm")
>>> p.weight_unit, p.n_particles, [o.name for o in p.observables][:2]
('cpd/100t', 4, ['E_nu', 'T'])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from darktmm.spectra import nue
from darktmm.spectra.constants import GEV2_TO_PB, M_E, MEV
from darktmm.spectra.kinematics import M_PB208, ap_decay, boost_z, electron_cos_theta, nucleus_recoil
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

#: NuHepMC particle status codes (NuHepMC spec P.R.1): final, beam, target.
STATUS_FINAL = 1
STATUS_BEAM = 4
STATUS_TARGET = 11

#: NuHepMC process ids (E.C.1 range 700-999, "other process types").
PROCESS_IDS = {
    ("borexino", "sm"): 700,
    ("borexino", "tmm"): 710,
    ("xenonnt", "sm"): 720,
    ("xenonnt", "tmm"): 730,
    ("babar", ""): 800,
    ("na64", ""): 900,
}


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
    """One per-event quantity: branch name, title with unit, and the histogram range (None: no TH1D), in
    the observable's unit (GeV, rad, mm). Record layout of NuHepMC-style events (arXiv:2310.13211).

    >>> o = Observable("T", "electron recoil kinetic energy T [GeV]", 0.0, 1e-3, bins=50)
    >>> o.name, o.bins, o.dtype
    ('T', 50, 'float64')
    """

    name: str
    title: str
    lo: float | None = None
    hi: float | None = None
    bins: int = 100
    dtype: str = "float64"


@dataclass
class Built:
    """Event content of a batch of accepted points: observables (n,) arrays, and per particle
    field a tuple of k slots, each an (n,) array or a constant (copied once into the chunk). Momenta and
    energies in GeV, vertices in mm; status codes of NuHepMC (arXiv:2310.13211).

    >>> b = Built({"T": np.array([1e-4, 2e-4])}, {"pdgId": (12, 11), "E": (np.array([0.5, 0.6]), M_E)})
    >>> b.present is None, b.particles["pdgId"]
    (True, (12, 11))
    """

    obs: dict
    particles: dict
    present: np.ndarray | None = None  # (n, k) bool, None when all k particles are present


class EventProcess:
    """Interface of a process that :func:`generate` can sample.

    Subclasses set ``name``, ``kind``, ``process_id``, ``ndim``, ``n_particles``, ``has_vertex``,
    ``weight_unit``, ``scale`` (integrand unit -> weight unit), ``pb_per_unit`` (weight unit ->
    pb, for HepMC; None if the weight is not a cross section), ``observables`` and implement
    ``integrand(u)`` (a VEGAS batch integrand on the unit cube), ``build(u, rng)`` and
    ``describe()``. Status and process-id conventions: NuHepMC 1.0.0 (arXiv:2310.13211); particle codes:
    PDG Monte Carlo numbering.

    >>> NuElectronEvents("pep", "sm").process_id, MonophotonEvents("3S").process_id, DarkBremEvents().process_id
    (700, 800, 900)
    >>> DarkBremEvents().particle_fields[-4:]
    ('x', 'y', 'z', 't')
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
        """NuHepMC process id of (name, kind) from :data:`PROCESS_IDS` (E.C.1 range 700-999)."""
        return PROCESS_IDS[(self.name, self.kind)]

    def integrand(self, u):  # pragma: no cover - interface
        """VEGAS batch integrand: u (n, ndim) in the unit cube -> (n,) values (times ``scale``: ``weight_unit``)."""
        raise NotImplementedError

    def build(self, u, rng) -> Built:  # pragma: no cover - interface
        """The event content (:class:`Built`) of accepted points u (n, ndim), per-event randomness from ``rng``."""
        raise NotImplementedError

    def describe(self) -> dict:
        """Metadata of the process for output files (units in the key names: GeV, muB, m)."""
        return {"process": self.name, "kind": self.kind, "process_id": self.process_id}

    @property
    def particle_fields(self) -> tuple:
        """The particle record fields: pdgId, status, px, py, pz, E, m [GeV], and x, y, z, t [mm] with a vertex."""
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

    Every event conserves four-momentum (final minus initial state, per component, in GeV):

    >>> p = NuElectronEvents("pep", "sm")
    >>> rng = np.random.default_rng(1)
    >>> b = p.build(rng.random((5, p.ndim)), rng)
    >>> sign = [1 if s == STATUS_FINAL else -1 for s in b.particles["status"]]
    >>> [float(np.max(np.abs(sum(k * np.asarray(v) for k, v in zip(sign, b.particles[c]))))) < 1e-12 for c in ("px", "py", "pz", "E")]
    [True, True, True, True]
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
        _process=None,
    ):
        from darktmm.detectors import borexino
        from darktmm.spectra.model import DarkSector
        from darktmm.spectra.recoil import RecoilProcess

        self.kind = kind
        self.m_ap = check_range("m_ap", m_ap, 0.0, None, unit="GeV")
        self.eps_mu = check_range("eps_mu", eps_mu, 0.0, 1e-6, unit="muB")
        lam = DarkSector.flavour_blind(self.m_ap, 1.0, self.eps_mu).mu_D_muB if kind == "tmm" else None
        self.proc = (
            RecoilProcess(
                component, kind, T_lo=T_lo, T_hi=T_hi, m_ap=self.m_ap, moment_muB=lam, profile=profile
            )
            if _process is None
            else _process
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
        """VEGAS batch integrand: u (n, ndim) in the unit cube -> (n,) values (times ``scale``: ``weight_unit``)."""
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
        """The event content (:class:`Built`) of accepted points u (n, ndim), per-event randomness from ``rng``."""
        n = len(u)
        T, E = self.recoil(u, rng)
        phi = 2.0 * math.pi * rng.random(n)
        erec = self.response.mean(T) + self.response.sigma(T) * rng.standard_normal(n)
        cos = electron_cos_theta(E, T)
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
        """Metadata of the process for output files (units in the key names: GeV, muB, m)."""
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


class XenonRecoilEvents(NuElectronEvents):
    """Solar nu e -> nu e on xenon in XENONnT SR0, one component, SM or dark TMM.

    The integrand is :func:`detectors.xenonnt.signal_process` (the Borexino recoil integrand times
    Z_eff(T), the stepping approximation by default; xenon_er.md section 3), times
    :data:`spectra.xenon.PER_ATOM_S_TO_TYR`: weights are events per tonne-year and sum to the rate
    with T_lo < T < T_hi. E_rec = T + sigma(T) N(0, 1) with XENONnT's resolution
    (``detectors.xenonnt.RESOLUTION``); the selection efficiency, tabulated in E_rec, is left to
    the analysis (``detectors.xenonnt.load_data().efficiency``). Particles as for Borexino (the
    atom's remnant is not modelled; the electron is taken free after the binding step).

    >>> p = XenonRecoilEvents("pp", "sm")
    >>> p.weight_unit, p.process_id, round(p.proc.t_range[1] * 1e6, 1)  # T up to 45 keV
    ('events/(t yr)', 720, 45.0)
    """

    name = "xenonnt"
    weight_unit = "events/(t yr)"
    citation = "arXiv:2603.25704; XENONnT PRL 129 (2022) 161805 (SR0); xenon_er.md"

    def __init__(
        self,
        component="pp",
        kind="sm",
        *,
        m_ap=0.0,
        eps_mu=1e-11,
        T_lo=None,
        T_hi=None,
        treatment="stepping",
        profile=None,
    ):
        from darktmm.detectors import xenonnt
        from darktmm.spectra.xenon import PER_ATOM_S_TO_TYR

        lo = xenonnt.T_RANGE[0] if T_lo is None else T_lo
        hi = xenonnt.T_RANGE[1] if T_hi is None else T_hi
        self.treatment = treatment
        self._xe = xenonnt
        super().__init__(
            component,
            kind,
            m_ap=m_ap,
            eps_mu=eps_mu,
            T_lo=lo,
            T_hi=hi,
            profile=profile,
            response=xenonnt.RESOLUTION,
            _process=xenonnt.signal_process(
                component,
                kind,
                m_ap=m_ap,
                eps_mu=eps_mu,
                treatment=treatment,
                T_lo=lo,
                T_hi=hi,
                profile=profile,
            ),
        )
        self.scale = PER_ATOM_S_TO_TYR
        self.pb_per_unit = 1e36 / (self.scale * self.flux)
        what = (
            "SM" if kind == "sm" else f"dark TMM (eps mu_eff = {self.eps_mu:g} muB, m_A' = {self.m_ap:g} GeV)"
        )
        self.description = f"solar {component} nu e -> nu e on xenon in XENONnT SR0 ({treatment}), {what}"
        self.observables = tuple(
            Observable(o.name, o.title.replace("Phase-II", "XENONnT"), o.lo, o.hi, o.bins, o.dtype)
            for o in self.observables
        )

    def describe(self) -> dict:
        """Metadata for the output: Borexino's fields plus the atomic treatment and the response."""
        d = super().describe()
        d.update(
            {
                "atomic_treatment": self.treatment,
                "response": self._xe.RESOLUTION.label,
                "target": "natural xenon, 4.5868e27 atoms/t",
            }
        )
        return d


# =============================================================================================
# A' decay: visible or invisible, and where
# =============================================================================================
def ap_widths(model) -> tuple[float, float]:
    """(BR_inv, Gamma_tot [GeV]) of the model's A' (``spectra.widths``, accelerator.md 7.1-7.4).

    Kinetic mixing alone: Gamma(A' -> e+e-) = alpha eps^2 m/3 (1 + 2 m_e^2/m^2) sqrt(1 - 4 m_e^2/m^2); a dark
    width makes the A' invisible:

    >>> from darktmm.spectra.model import DarkSector
    >>> br, g = ap_widths(DarkSector(m_ap=0.01, eps=1e-4))
    >>> br, f"{g:.4g}"
    (0.0, '2.432e-13')
    >>> round(ap_widths(DarkSector(m_ap=0.01, eps=1e-4, gamma_dark=1e-3))[0], 6)
    1.0
    """
    from darktmm.spectra.widths import br_invisible, gamma_invisible, gamma_visible

    gv = gamma_visible(model.m_ap, model.eps)
    gi = gamma_invisible(model)
    return float(np.asarray(br_invisible(gi, gv))), float(np.asarray(gv + gi))


def _decay(br_inv, gamma_tot, mass, E, px, py, pz, L_det_m, rng):
    """:func:`spectra.kinematics.ap_decay` with the channel numbers drawn first, then the flights."""
    n = len(E)
    u_channel = rng.random(n)
    return ap_decay(br_inv, gamma_tot, mass, E, px, py, pz, L_det_m, u_channel, rng.random(n))


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


# =============================================================================================
# BaBar: e+ e- -> gamma A'
# =============================================================================================
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

    Source: accelerator.md sections 1-4 (BaBar arXiv:1702.03327). Every event conserves four-momentum
    (lab frame, GeV):

    >>> p = MonophotonEvents("3S", m_ap=1.0, eps=1e-3)
    >>> rng = np.random.default_rng(1)
    >>> b = p.build(rng.random((5, p.ndim)), rng)
    >>> sign = [1 if s == STATUS_FINAL else -1 for s in b.particles["status"]]
    >>> [float(np.max(np.abs(sum(k * np.asarray(v) for k, v in zip(sign, b.particles[c]))))) < 1e-12 for c in ("px", "py", "pz", "E")]
    [True, True, True, True]
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
        z_window=None,
        isr: bool = False,
        offshell: bool = False,
        mx2_window=None,
        frame: str = "lab",
        L_det_m: float | None = None,
        model=None,
    ):
        from darktmm.detectors import babar
        from darktmm.spectra.accel_mc import MonophotonProcess
        from darktmm.spectra.model import DarkSector

        key = babar.resonance(resonance).key
        if frame not in ("cm", "lab"):
            raise ParameterError(f"frame = {frame!r} must be 'cm' or 'lab'")
        self.resonance, self.frame, self.isr, self.offshell = key, frame, bool(isr), bool(offshell)
        self.sqrt_s = babar.RESONANCES[key].sqrt_s
        self.pep2_beta_gamma = babar.PEP2_BETA_GAMMA
        self.model = DarkSector.flavour_blind(m_ap, eps, mu_d, gamma_dark) if model is None else model
        z_window = babar.REGIONS["LowM"].z if z_window is None else z_window
        self.z_window = tuple(float(z) for z in z_window)
        self.mx2_window = None if mx2_window is None else tuple(float(v) for v in mx2_window)
        if self.isr and self.mx2_window is None:
            raise ParameterError(
                "ISR needs an M_X^2 window: without a photon-energy cut the soft-photon end is log "
                "divergent; e.g. mx2_window = [-4, 36] (BaBar LowM, GeV^2)"
            )
        L_det_m = babar.L_DET_M if L_det_m is None else L_det_m
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
        """VEGAS batch integrand: u (n, ndim) in the unit cube -> (n,) values (times ``scale``: ``weight_unit``)."""
        return self.proc(u)

    def build(self, u, rng) -> Built:
        """The event content (:class:`Built`) of accepted points u (n, ndim), per-event randomness from ``rng``."""
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
            bg = self.pep2_beta_gamma
            beta = bg / math.sqrt(1.0 + bg * bg)
            for j in range(k):
                E[j], PZ[j] = boost_z(E[j], PZ[j], beta)
        present = None
        if self.isr:
            present = np.ones((n, 5), bool)
            present[:, 4] = kin["isr_x"] > 0  # no ISR photon for the soft + virtual remainder
        br_inv = 1.0 if self.offshell else self.br_inv  # off shell: A'* -> invisible by construction
        dec = _decay(br_inv, self.gamma_tot, kin["m_inv"], E[3], PX[3], PY[3], PZ[3], self.L_det_m, rng)
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
        """Metadata of the process for output files (units in the key names: GeV, muB, m)."""
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
            "pep2_beta_gamma": self.pep2_beta_gamma if self.frame == "lab" else 0.0,
            "br_inv": self.br_inv,
            "gamma_tot_GeV": self.gamma_tot,
            "L_det_m": self.L_det_m,
            "weight_unit": self.weight_unit,
        }


# =============================================================================================
# NA64: e Z -> e Z A'
# =============================================================================================
class DarkBremEvents(EventProcess):
    """e- Z -> e- Z A' in the NA64 active Pb target (``spectra.accel_mc.DarkBremProcess``).

    Weights: the thick-target A' yield per electron on target (EOT) with E_A' > E_cut, at the
    ``eps`` of the run (``pb_per_unit`` is None: the yield is not a cross section; HepMC carries
    it as a per-EOT yield, see ``simulate.hepmc``).

    Per event: depth t [X0] and beam-electron energy E_e at emission (track-length integrand),
    x = E_A'/E_e, A' angle theta and a uniform azimuth; the electron of energy E_e moves along
    +z (its shower angle is neglected), the production vertex is at z = t X0(Pb) = t x 5.61 mm
    on the beam axis, c t = z. Particles: e- (beam, E_e), 208Pb (target, at rest), A', e-,
    208Pb (final; :func:`spectra.kinematics.nucleus_recoil`). E_miss = E0 - E_ECAL with E_ECAL = E0 - E_miss_true
    x escapes (an A' that decays visibly inside L_det deposits its energy), smeared by the ECAL
    resolution ``detectors.na64.RESPONSE`` (sigma_E/E = a/sqrt(E) (+) b), the same response that
    ``darktmm spectrum na64`` folds.

    Source: accelerator.md section 6 (NA64 arXiv:2307.02404). Every event conserves four-momentum, nuclear
    recoil included (GeV):

    >>> p = DarkBremEvents(m_ap=0.01, eps=1e-4)
    >>> rng = np.random.default_rng(1)
    >>> b = p.build(rng.random((5, p.ndim)), rng)
    >>> sign = [1 if s == STATUS_FINAL else -1 for s in b.particles["status"]]
    >>> [float(np.max(np.abs(sum(k * np.asarray(v) for k, v in zip(sign, b.particles[c]))))) < 1e-10 for c in ("px", "py", "pz", "E")]
    [True, True, True, True]
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
        E0: float | None = None,
        E_cut: float | None = None,
        T_X0: float | None = None,
        L_det_m: float | None = None,
        ecal_stochastic: float | None = None,
        ecal_constant: float | None = None,
        model=None,
    ):
        from darktmm.detectors import na64
        from darktmm.spectra.accel_mc import DarkBremProcess
        from darktmm.spectra.darkbrem import PB
        from darktmm.spectra.model import DarkSector

        self.model = DarkSector.flavour_blind(m_ap, eps, mu_d, gamma_dark) if model is None else model
        d, r = na64.DATASET, na64.RESPONSE
        E0 = d.E0 if E0 is None else E0
        E_cut = d.E_cut if E_cut is None else E_cut
        T_X0 = d.T_X0 if T_X0 is None else T_X0
        L_det_m = na64.L_DET_M if L_det_m is None else L_det_m
        ecal_stochastic = r.stochastic if ecal_stochastic is None else ecal_stochastic
        ecal_constant = r.constant if ecal_constant is None else ecal_constant
        self.E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
        self.E_cut = check_range("E_cut", E_cut, 0.0, self.E0, unit="GeV")
        self.T_X0 = check_range("T_X0", T_X0, 0.0, None, lo_open=True)
        self.L_det_m = check_range("L_det", L_det_m, 0.0, None, unit="m")
        self.response = na64.ECALResponse(
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
            Observable(
                "E_miss_true",
                "true missing energy: E_A' if the A' escapes, 0 if it decays visibly inside [GeV]",
                0.0,
                E0v,
            ),
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
        """VEGAS batch integrand: u (n, ndim) in the unit cube -> (n,) values (times ``scale``: ``weight_unit``)."""
        return self.proc(u)

    def build(self, u, rng) -> Built:
        """The event content (:class:`Built`) of accepted points u (n, ndim), per-event randomness from ``rng``."""
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
        Ep, px, py, pz, EN, qx, qy, qz = nucleus_recoil(Ee, kx, ky, kz, Ea)
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
        dec = _decay(self.br_inv, self.gamma_tot, m, Ea, kx, ky, kz, self.L_det_m, rng)
        dec["decay_z"] = dec["decay_z"] + zmm
        dec["decay_t"] = dec["decay_t"] + zmm
        emt = np.asarray(kin["E_miss_true"], dtype=float) * dec["escapes"]  # a visible decay deposits E_A'
        e_true = self.E0 - emt
        sig = self.response.sigma(e_true)
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
        """Metadata of the process for output files (units in the key names: GeV, muB, m)."""
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
            "ecal_resolution": {"stochastic": self.response.stochastic, "constant": self.response.constant},
            "br_inv": self.br_inv,
            "gamma_tot_GeV": self.gamma_tot,
            "L_det_m": self.L_det_m,
            "weight_unit": self.weight_unit,
        }


__all__ = [
    "DarkBremEvents",
    "EventProcess",
    "MonophotonEvents",
    "NuElectronEvents",
    "Observable",
    "XenonRecoilEvents",
    "ap_widths",
]
