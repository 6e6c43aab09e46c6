"""ROOT files of event samples: the ``events`` TTree, ``runinfo`` and TH1D of the main observables.

Layout of a file written by :func:`write_root` (any ROOT 6 reads it; uproot writes it):

* ``events`` - a TTree made with ``mktree``/``extend`` (never an RNTuple), one entry per event:
  ``event``, ``process_id``, ``weight``, the observables of the process, and the particle list
  as ``nParticle`` plus the jagged branches ``Particle_pdgId``, ``Particle_status``,
  ``Particle_px/py/pz/E/m`` [GeV] and, for the accelerator processes, ``Particle_x/y/z/t``
  [mm]. Every branch title carries its unit. Compression LZ4 (default) or ZSTD.
* ``runinfo`` - one entry: sigma, sigma_err, sigma_vegas, trials, accepted, events_written,
  w_max, efficiency, fraction_above_wmax, seed, ... as branches; everything (with the process
  description and the package versions) as JSON text in ``json``; the run card (TOML text) in
  ``card`` (uint8 bytes, see :func:`simulate.rootio.write_runinfo`).
* ``h_<observable>`` - TH1D of the sum of event weights per bin (Sumw2 = sum of squared
  weights), under- and overflow filled, ``GetEntries()`` = events written, axis titles with units.

The file appears only when complete (:func:`simulate.rootio.atomic_root`): an interrupted run
leaves nothing behind.

Speed: with glibc's default heap thresholds, uproot's per-basket buffers are page-faulted in
again every chunk; ``darktmm generate`` calls :func:`simulate.alloc.tune_malloc` first (1e6
unweighted 7Be events: 1.13 s -> 0.73 s), and a library caller can do the same.
"""

from __future__ import annotations

import awkward as ak
import uproot

from darktmm.simulate import rootio
from darktmm.simulate.events import PARTICLE_TITLES
from darktmm.simulate.histograms import Histograms
from darktmm.simulate.sampler import EventRun

#: Compression settings by name (shared/design.md: ZLIB is slow for big jagged trees).
COMPRESSIONS = {"lz4": lambda lvl: uproot.LZ4(lvl or 1), "zstd": lambda lvl: uproot.ZSTD(lvl or 5)}


def compression(spec: str = "lz4"):
    """uproot compression from 'lz4', 'lz4:4', 'zstd', 'zstd:5' (level after the colon)."""
    name, _, level = str(spec).lower().partition(":")
    if name not in COMPRESSIONS:
        raise rootio.ParameterError(f"compression = {spec!r}; choose lz4 or zstd (optionally :level)")
    try:
        lvl = int(level) if level else None
    except ValueError:
        raise rootio.ParameterError(f"compression = {spec!r}: the level must be a whole number") from None
    if lvl is not None and not 1 <= lvl <= 19:
        raise rootio.ParameterError(f"compression = {spec!r}: the level must be in 1-19")
    return COMPRESSIONS[name](lvl)


def branch_titles(process, unweighted: bool) -> dict:
    """Titles (with units) of every branch of the events tree."""
    unit = process.weight_unit
    titles = {
        "event": "event number (1, 2, ...)",
        "process_id": "NuHepMC process id",
        "weight": (
            "unweighted event weight: 1, or w/w_max > 1 above w_max (sigma per unit weight in runinfo)"
            if unweighted
            else f"event weight [{unit}]; the weights sum to sigma"
        ),
        "nParticle": "number of particles (initial state included)",
    }
    titles.update({o.name: o.title for o in process.observables})
    titles.update({f"Particle_{f}": f"particle {t}" for f, t in PARTICLE_TITLES.items()})
    return titles


def _columns(chunk: ak.Array) -> dict:
    """Branch arrays for uproot: flat fields as numpy (zero copy), the particle list as awkward."""
    return {f: (chunk[f] if f == "Particle" else ak.to_numpy(chunk[f])) for f in chunk.fields}


def write_root(
    path,
    run: EventRun,
    *,
    compression_spec: str = "lz4",
    card_toml: str | None = None,
    info: dict | None = None,
    on_chunk=None,
) -> dict:
    """Stream ``run`` into a ROOT file at ``path`` (atomic); return the run summary.

    ``on_chunk(chunk)`` is called for every chunk (e.g. more histograms); ``info`` is merged into
    the runinfo metadata.
    """
    proc = run.process
    hists = Histograms(proc)
    with rootio.atomic_root(path, compression=compression(compression_spec)) as f:
        tree = None
        it = iter(run)
        while True:
            chunk = next(it, None)
            if chunk is None:
                break
            cols = _columns(chunk)
            if tree is None:
                types = {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in cols.items()}
                tree = f.mktree("events", types, title=f"darktmm events: {proc.description}")
                rootio.set_branch_titles(tree, branch_titles(proc, run.unweighted))
            tree.extend(cols)
            hists.fill(chunk)
            if on_chunk is not None:
                on_chunk(chunk)
            del chunk, cols  # hold one chunk at a time
        summary = run.summary()
        unit = "events" if run.unweighted else proc.weight_unit
        for o in hists.specs:
            f[f"h_{o.name}"] = rootio.th1d_from_hist(
                hists.hists[o.name],
                f"{o.name}: {proc.description};{o.title};sum of weights per bin [{unit}]",
                name=f"h_{o.name}",
                entries=hists.entries,
            )
        from darktmm.simulate.common import versions

        meta = {**versions(), **(info or {}), **summary}
        meta["detector"] = proc.describe()
        meta["citation"] = proc.citation
        wu = proc.weight_unit
        units = {k: wu for k in ("sigma", "sigma_err", "sigma_vegas", "sigma_vegas_err", "w_max", "v_max")}
        units.update(
            {
                "sum_weights": unit,
                "sum_weights2": f"({unit})^2",
                "sigma_per_unit_weight": wu,
                "sum_weights_sq": unit,
            }
        )
        rootio.write_runinfo(f, meta, card_toml=card_toml, units=units)
    return summary


def sample_cost(
    run: EventRun, fmt: str, compression_spec: str = "lz4", *, n: int = 4096, folder=None
) -> tuple[float, float]:
    """(bytes per event, seconds per event) of ``run``'s output, measured by writing a sample.

    The sample is a separate stream (seed + 1, so the run's own events are untouched) drawn from
    the run's trained map and w_max (``run.prepare()`` first); it is written to a temporary file
    in ``folder`` (the output's folder: the same file system) and removed.
    """
    import tempfile
    import time
    from pathlib import Path

    from darktmm.simulate.sampler import EventRun

    run.prepare()
    k = min(n, run.n)
    sample = EventRun(run.process, k, seed=run.seed + 1, unweighted=run.unweighted, chunk=k, block=run.block)
    sample.vegas = run.vegas  # the trained, frozen map: prepare() is not repeated
    sample.stats.w_max = run.stats.w_max
    sample.stats.sigma_vegas, sample.stats.sigma_vegas_err = run.stats.sigma_vegas, run.stats.sigma_vegas_err
    with tempfile.TemporaryDirectory(dir=folder, prefix=".darktmm-sample.") as d:
        path = Path(d) / ("sample.root" if fmt == "root" else "sample.hepmc3")
        t0 = time.perf_counter()
        if fmt == "root":
            write_root(path, sample, compression_spec=compression_spec)
        else:
            from darktmm.simulate.hepmc import write_hepmc

            write_hepmc(path, sample)
        dt = time.perf_counter() - t0
        size = path.stat().st_size
    written = max(sample.stats.written, 1)
    return size / written, dt / written


__all__ = ["sample_cost", "write_root", "compression", "branch_titles", "COMPRESSIONS"]
