"""HepMC3 (ASCII) output of event samples through pyhepmc, following NuHepMC 1.0.0.

NuHepMC (arXiv:2310.13211; github.com/NuHepMC/Spec) conventions implemented:

* run info (G.R.1-G.R.11): NuHepMC version 1.0.0, the darktmm tool, the conventions followed
  (``NuHepMC.Conventions`` = G.C.2, G.C.3, G.S.1, E.C.4), the flux-averaged total cross section
  in the header (G.C.2: the frozen VEGAS integral, with its uncertainty), cross-section units
  (G.R.6), one event weight named ``CV`` (G.R.7), the process id with name and description
  (G.R.8), vertex and particle status metadata (G.R.9, G.R.10), the dark photon 4900022 as an
  additional particle number (G.R.11), the paper citation (G.C.3) and the full run card
  (G.S.1, ``NuHepMC.Provenance.RunCard``) with the seed;
* events: event number (E.R.2), ``signal_process_id`` (E.R.3), GeV and mm (E.R.4), ``lab_pos``
  (E.R.5, the primary vertex), one primary vertex with status 1 (E.R.6), exactly one beam
  particle (status 4) and one target (status 11) (E.R.7; at BaBar the e- is the beam and the e+
  the target, the choice is arbitrary for equal masses), the running estimate of the cross
  section in ``GenCrossSection`` (E.C.4: the last event carries the run's final estimate).

Cross-section units: pb per target electron (Borexino; the flux-averaged nu-e cross section, the
rate per electron divided by the component's flux), pb per e+e- collision (BaBar). NA64's
weights are a yield per electron on target, not a cross section: the unit is then "per EOT".

``CV`` weight: weighted samples carry CV = w N/sigma (mean 1, w the ROOT weight in sigma units,
N the number of trials); unweighted samples carry CV = 1, or v/w_max > 1 above w_max. A selection's
cross section is FATX x sum_sel(CV)/N_events, FATX the header value (or better the estimate of the
last event). The A' decay of the accelerator processes is described by event attributes
``darktmm.ap_decay_visible`` (0/1) and ``darktmm.ap_decay_x``, ``_y``, ``_z``, ``_t`` (the decay
vertex, c t for t, in mm; double attributes keep full precision, unlike HepMC3's vector
attributes); the A' itself is a final-state particle (status 1).

The file is written to a temporary name and renamed when complete (an interrupted run leaves
nothing behind).
"""

from __future__ import annotations

import awkward as ak
import numpy as np

from darktmm import __version__
from darktmm.simulate import rootio
from darktmm.simulate.events import PDG_DARK_PHOTON, STATUS_BEAM, STATUS_FINAL, STATUS_TARGET
from darktmm.simulate.sampler import EventRun
from darktmm.spectra.validate import ParameterError

NUHEPMC_VERSION = (1, 0, 0)

_UNITS = {
    "borexino": ("pb", "PerTargetElectron"),
    "xenonnt": ("pb", "PerTargetAtom"),
    "babar": ("pb", "PerCollision"),
    "na64": ("per EOT", "PerElectronOnTarget"),
}


def _pyhepmc():
    try:
        import pyhepmc
    except ImportError:  # pragma: no cover - the [hepmc] extra
        raise ParameterError("HepMC3 output needs pyhepmc: pip install 'darktmm[hepmc]'") from None
    return pyhepmc


#: How the CV weight relates to darktmm's ROOT ``weight`` branch (stored in every file's run info).
WEIGHT_CONVENTION = (
    "CV is normalised to mean 1 (NuHepMC G.C.2): weighted samples carry CV = w N/sigma, where w is the "
    "ROOT events-tree weight (which sums to sigma) and N the number of trials; unweighted samples carry "
    "CV = 1, or v/w_max > 1 above w_max, as in ROOT. A selection's cross section is "
    "NuHepMC.FluxAveragedTotalCrossSection x sum_sel(CV)/N_events."
)


def run_info(run: EventRun, card_toml: str | None = None):
    """The NuHepMC GenRunInfo of a prepared run (FATX from the frozen VEGAS integral; NuHepMC 1.0.0,
    arXiv:2310.13211; HepMC3, arXiv:1912.08005). Cross sections in pb (per target electron or per
    collision) or per EOT (NA64). The run must be prepared (:func:`write_hepmc` does it), else FATX is nan.

    >>> from darktmm.simulate import events, sampler
    >>> run = sampler.generate(events.NuElectronEvents("7Be", "sm"), 20, seed=1, chunk=20, block=64, pilot=64,
    ...                        train_nitn=2, train_neval=200, integrate_nitn=1)
    >>> run.prepare()
    >>> ri = run_info(run)
    >>> ri.weight_names, ri.attributes["NuHepMC.Units.CrossSection.Unit"], list(ri.attributes["NuHepMC.ProcessIDs"])
    (['CV'], 'pb', [700])
    """
    hp = _pyhepmc()
    proc = run.process
    ri = hp.GenRunInfo()
    ri.tools = [hp.GenRunInfo.ToolInfo("darktmm", __version__, "dark TMM event generator, arXiv:2603.25704")]
    ri.weight_names = ["CV"]
    a = ri.attributes
    for k, v in zip(("Major", "Minor", "Patch"), NUHEPMC_VERSION):
        a[f"NuHepMC.Version.{k}"] = v
    a["NuHepMC.Conventions"] = ["G.C.2", "G.C.3", "G.S.1", "E.C.4"]
    a["darktmm.WeightConvention"] = WEIGHT_CONVENTION
    unit, target = _UNITS[proc.name]
    a["NuHepMC.Units.CrossSection.Unit"] = unit
    a["NuHepMC.Units.CrossSection.TargetScale"] = target
    k = proc.pb_per_unit if proc.pb_per_unit is not None else 1.0
    a["NuHepMC.FluxAveragedTotalCrossSection"] = float(run.stats.sigma_vegas * k)
    a["NuHepMC.FluxAveragedTotalCrossSectionUncertainty"] = float(run.stats.sigma_vegas_err * k)
    pid = proc.process_id
    a["NuHepMC.ProcessIDs"] = [pid]
    a[f"NuHepMC.ProcessInfo[{pid}].Name"] = f"{proc.name} {proc.kind}".strip()
    a[f"NuHepMC.ProcessInfo[{pid}].Description"] = f"{proc.description}; {proc.citation}"
    a["NuHepMC.VertexStatusIDs"] = [1]
    a["NuHepMC.VertexStatusInfo[1].Name"] = "PrimaryVertex"
    a["NuHepMC.VertexStatusInfo[1].Description"] = "the primary interaction"
    statuses = {
        STATUS_FINAL: ("UndecayedPhysical", "final-state particle"),
        STATUS_BEAM: ("IncomingBeam", "incoming beam particle"),
        STATUS_TARGET: ("Target", "target particle"),
    }
    a["NuHepMC.ParticleStatusIDs"] = list(statuses)
    for s, (name, desc) in statuses.items():
        a[f"NuHepMC.ParticleStatusInfo[{s}].Name"] = name
        a[f"NuHepMC.ParticleStatusInfo[{s}].Description"] = desc
    a["NuHepMC.AdditionalParticleNumbers"] = [PDG_DARK_PHOTON]
    a[f"NuHepMC.AdditionalParticleNumber[{PDG_DARK_PHOTON}].Name"] = "A'"
    a[f"NuHepMC.AdditionalParticleInfo[{PDG_DARK_PHOTON}].Description"] = (
        "kinetically mixed dark photon (not decayed in the record; see the darktmm.ap_decay_* attributes)"
    )
    a["NuHepMC.Citations.Generator.arXiv"] = ["2603.25704"]
    a["NuHepMC.Provenance.RNGState"] = f"numpy SeedSequence({run.seed}); blocks of {run.block} trials"
    if card_toml:
        a["NuHepMC.Provenance.RunCard"] = card_toml
    a["darktmm.weight_mode"] = "unweighted" if run.unweighted else "weighted"
    return ri


def write_hepmc(path, run: EventRun, *, card_toml: str | None = None, on_chunk=None) -> dict:
    """Stream ``run`` into a HepMC3 ASCII file at ``path`` (atomic); return the run summary. Conventions
    of NuHepMC 1.0.0 (arXiv:2310.13211) in HepMC3 (arXiv:1912.08005): GeV and mm; cross sections as in
    :func:`run_info`. ``tests/test_eventio.py`` checks the file against the NuHepMC rules. Every event
    written is in the file:

    >>> import pathlib, tempfile
    >>> import pyhepmc
    >>> from darktmm.simulate import events, sampler
    >>> run = sampler.generate(events.NuElectronEvents("7Be", "sm"), 20, seed=1, chunk=20, block=64, pilot=64,
    ...                        train_nitn=2, train_neval=200, integrate_nitn=1)
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "ev.hepmc3"
    >>> s = write_hepmc(p, run)
    >>> with pyhepmc.open(p) as f:
    ...     evts = list(f)
    >>> len(evts) == s["events_written"] == 20, evts[0].run_info.weight_names
    (True, ['CV'])
    """
    hp = _pyhepmc()
    run.prepare()
    proc = run.process
    ri = run_info(run, card_toml)
    k = proc.pb_per_unit if proc.pb_per_unit is not None else 1.0
    st = run.stats
    fields = proc.particle_fields
    with rootio.atomic_path(path, ".hepmc3") as tmp:
        with hp.io.WriterAscii(str(tmp)) as w:
            for chunk in run:
                if on_chunk is not None:
                    on_chunk(chunk)
                now = run.summary()  # the running estimate: every trial so far (E.C.4)
                xs = hp.GenCrossSection()
                xs.set_cross_section(
                    float(now["sigma"] * k),
                    float(now["sigma_err"] * k),
                    int(now["events_written"]),
                    int(now["trials"]),
                )
                cv = np.asarray(chunk["weight"]) * (1.0 if run.unweighted else run.n / st.sigma_vegas)
                parts = chunk["Particle"]
                counts = np.asarray(ak.num(parts))
                flat = {f: np.asarray(ak.flatten(parts[f])) for f in fields}
                offsets = np.concatenate([[0], np.cumsum(counts)])
                evno = np.asarray(chunk["event"])
                decay = "decay_visible" in chunk.fields
                if decay:
                    dv = np.asarray(chunk["decay_visible"])
                    dpos = np.stack([np.asarray(chunk[f"decay_{c}"]) for c in "xyzt"], axis=-1)
                for i in range(len(evno)):
                    a, b = offsets[i], offsets[i + 1]
                    status = flat["status"][a:b]
                    incoming = np.flatnonzero(status != STATUS_FINAL)
                    parents = np.full((b - a, 2), -1, dtype=np.int64)
                    parents[status == STATUS_FINAL] = (incoming.min(), incoming.max())
                    vtx = {}
                    if proc.has_vertex:
                        vtx = {f"v{c}": flat[c][a:b] for c in "xyz"} | {"vt": flat["t"][a:b]}
                    ev = hp.GenEvent(hp.Units.GEV, hp.Units.MM)
                    ev.run_info = ri
                    ev.from_hepevt(
                        int(evno[i]),
                        flat["px"][a:b],
                        flat["py"][a:b],
                        flat["pz"][a:b],
                        flat["E"][a:b],
                        flat["m"][a:b],
                        flat["pdgId"][a:b],
                        status,
                        parents=parents,
                        fortran=False,
                        **vtx,
                    )
                    for v in ev.vertices:
                        v.status = 1
                    ev.weights = [float(cv[i])]
                    ev.attributes["signal_process_id"] = int(proc.process_id)
                    pos = ev.vertices[0].position if ev.vertices else None
                    ev.attributes["lab_pos"] = [pos.x, pos.y, pos.z] if pos is not None else [0.0, 0.0, 0.0]
                    ev.cross_section = xs
                    if decay:
                        ev.attributes["darktmm.ap_decay_visible"] = int(dv[i])
                        for c, x in zip("xyzt", dpos[i]):
                            ev.attributes[f"darktmm.ap_decay_{c}"] = float(x)
                    w.write(ev)
    return run.summary()


__all__ = ["write_hepmc", "run_info", "NUHEPMC_VERSION"]
