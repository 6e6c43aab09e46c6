"""``darktmm generate PROCESS``: event samples of the three processes into ROOT or HepMC3 files.

    darktmm generate borexino|babar|na64 --events N [--unweighted] --seed S
        --out FILE.root|FILE.hepmc3 [--card run.toml] [process options] [--json] [--plot f.png]

Every option can also come from the run card (``simulate.cards``); options on the command line
override the card. The resolved card is stored in the output. ``--json`` prints sigma, its
error, the events written, the unweighting efficiency and the output path. A progress bar is
shown on a terminal only (never with ``--json``). A large run (more than
:data:`LARGE_RUN_EVENTS` events) announces its expected file size and time, measured on a sample
from the trained map, and is refused when the free disk space is smaller than the file will be.
The command tunes glibc's heap thresholds for streaming (``simulate.alloc``;
``DARKTMM_MALLOC=system`` keeps the defaults).
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from darktmm.simulate import common
from darktmm.simulate.cards import Key, Schema

PROCESSES = {
    "borexino": "solar nu e -> nu e in Borexino (SM or dark TMM), weights in cpd/100 t",
    "xenonnt": "solar nu e -> nu e on xenon in XENONnT SR0 (SM or dark TMM), weights in events/(t yr)",
    "babar": "e+e- -> gamma A' at an Upsilon resonance, weights in pb",
    "na64": "e- Z -> e- Z A' in the NA64 active target, weights in A' per electron on target",
}
OUT_SUFFIXES = {".root": "root", ".hepmc3": "hepmc3", ".hepmc": "hepmc3"}
#: Runs above this many events announce their size and time first (and check the free disk).
LARGE_RUN_EVENTS = 1_000_000
#: Events of the sample that measures bytes and seconds per event for that announcement.
SAMPLE_EVENTS = 4096


def _sampler(attr, factor=1):
    def get():
        from darktmm.simulate import sampler

        return factor * getattr(sampler, attr)

    return get


SCHEMA = Schema(
    "generate",
    {
        "": {
            "process": Key("str", None, "borexino | babar | na64", choices=tuple(PROCESSES), flag=""),
            "events": Key("int", None, "number of events (unweighted) or trials (weighted)", lo=1),
            "unweighted": Key("bool", False, "unweighted events by accept-reject against w_max"),
            **common.run_keys(out=".root or .hepmc3"),
            "chunk": Key(
                "int", _sampler("CHUNK"), "events per output chunk (memory bound; default 25000)", lo=1
            ),
            "block": Key(
                "int",
                _sampler("BLOCK"),
                "trials per random-number block (changes the events; default 65536)",
                lo=1,
            ),
            "pilot": Key(
                "int",
                _sampler("BLOCK", 4),
                "trials of the pilot run that sets w_max (default 4 blocks)",
                lo=1,
            ),
            "train_nitn": Key("int", 10, "VEGAS training iterations", lo=1),
            "train_neval": Key(
                "int",
                None,
                "VEGAS evaluations per training iteration (default 20000; 100000 for babar with ISR)",
                lo=100,
            ),
            "integrate_nitn": Key("int", 5, "frozen VEGAS iterations for sigma_vegas", lo=1),
            "wmax_factor": Key("float", 1.0, "w_max = wmax_factor x pilot maximum", lo=0.0, lo_open=True),
            "compression": Key("str", "lz4", "ROOT compression: lz4 or zstd, optionally :level"),
        },
        "borexino": {
            "component": Key(
                "str", "7Be", "solar component", choices=common.detector_default("borexino", "SOLAR")
            ),
            "kind": Key("str", "sm", "sm or tmm", choices=("sm", "tmm")),
            "m_ap": Key("energy", 0.0, "dark-photon mass with unit (TMM)", lo=0.0),
            "eps_mu_eff": Key(
                "moment", 1e-11, "effective moment eps*mu_eff with unit (TMM, flavour blind)", lo=0.0, hi=1e-6
            ),
            "t_min": Key("energy", 0.05e-3, "lowest recoil kinetic energy T", lo=0.0, lo_open=True),
            "t_max": Key("energy", 20e-3, "highest recoil kinetic energy T", lo=0.0, lo_open=True),
        },
        "xenonnt": {
            "component": Key(
                "str", "pp", "solar component", choices=common.detector_default("xenonnt", "SOLAR")
            ),
            "kind": Key("str", "sm", "sm or tmm", choices=("sm", "tmm")),
            "m_ap": Key("energy", 0.0, "dark-photon mass with unit (TMM)", lo=0.0),
            "eps_mu_eff": Key(
                "moment", 1e-11, "effective moment eps*mu_eff with unit (TMM, flavour blind)", lo=0.0, hi=1e-6
            ),
            "t_min": Key("energy", 0.05e-6, "lowest recoil kinetic energy T", lo=0.0, lo_open=True),
            "t_max": Key("energy", 45e-6, "highest recoil kinetic energy T", lo=0.0, lo_open=True),
            "treatment": Key(
                "str", "stepping", "xenon binding: stepping | free", choices=("stepping", "free")
            ),
        },
        "babar": {
            "resonance": Key(
                "str", "3S", "Upsilon resonance", choices=common.detector_default("babar", "RESONANCES")
            ),
            **common.dark_photon_keys(common.detector_default("babar", "L_DET_M"), m_ap=1.0, eps=1e-3),
            "z_window": Key(
                "pair",
                lambda: common.detector_default("babar", "REGIONS")()["LowM"].z,
                "photon acceptance lo,hi in cos(theta*) (default: BaBar LowM; --z-window=-0.4,0.6)",
            ),
            "mx2_window": Key(
                "pair", None, "M_X^2 window lo,hi [GeV^2], needed with ISR (--mx2-window=-4,36)"
            ),
            "isr": Key("bool", False, "initial-state radiation"),
            "offshell": Key("bool", False, "off-shell A'* -> invisible continuum"),
            "frame": Key("str", "lab", "cm or lab (PEP-II boost)", choices=("cm", "lab")),
        },
        "na64": {
            **common.dark_photon_keys(common.detector_default("na64", "L_DET_M"), m_ap=0.01, eps=1e-4),
            "e0": Key(
                "energy",
                common.detector_default("na64", "DATASET.E0"),
                "beam energy with unit (default: NA64's)",
                lo=0.0,
                lo_open=True,
            ),
            "e_cut": Key(
                "energy",
                common.detector_default("na64", "DATASET.E_cut"),
                "minimum A' energy with unit (default: NA64's)",
                lo=0.0,
            ),
            "t_x0": Key(
                "float",
                common.detector_default("na64", "DATASET.T_X0"),
                "active-target thickness in radiation lengths X0 (default: NA64's)",
                lo=0.0,
                lo_open=True,
            ),
            "ecal_stochastic": Key(
                "float",
                common.detector_default("na64", "RESPONSE.stochastic"),
                "ECAL sigma_E/E stochastic term a/sqrt(E/GeV) (default: NA64's)",
                lo=0.0,
                hi=1.0,
            ),
            "ecal_constant": Key(
                "float",
                common.detector_default("na64", "RESPONSE.constant"),
                "ECAL sigma_E/E constant term (default: NA64's)",
                lo=0.0,
                hi=1.0,
            ),
        },
    },
)


def add_parser(sub):
    common.add_experiment_parsers(
        sub,
        "generate",
        SCHEMA,
        selector="process",
        help="weighted or unweighted event samples (ROOT or HepMC3)",
        description="Event samples from the adapted VEGAS maps.",
        run=run,
        helps=PROCESSES,
        epilog="environment: DARKTMM_MALLOC=tuned (default) raises glibc's heap thresholds for "
        "streaming (simulate/alloc.py); DARKTMM_MALLOC=system keeps the defaults.",
        extra=_shard_options,
    )
    farm = sub.choices["generate"]
    g = farm.add_argument_group(
        "batch farms without a scheduler (after 'generate PROCESS ... --prepare RUN_DIR')"
    )
    g.add_argument("--run-dir", metavar="RUN_DIR", help="a folder written by --prepare")
    g.add_argument("--shard", type=int, metavar="J", help="produce shard J of the plan in --run-dir")
    g.add_argument(
        "--finalize", action="store_true", help="verify every shard of --run-dir and write the manifest"
    )
    farm.set_defaults(func=_farm)


def _shard_options(parser, process):
    from darktmm.simulate import scale

    g = parser.add_argument_group("sharded production (simulate.shards)")
    g.add_argument(
        "--shards", type=int, metavar="K", help="write K shard files and a manifest (ev.shard00000.root ...)"
    )
    g.add_argument(
        "--prepare", metavar="RUN_DIR", help="train, pilot and plan once into RUN_DIR; shards run later"
    )
    scale.add_scale_arguments(parser, checkpoint=False)


def _farm(args) -> int:
    """``darktmm generate --run-dir D --shard J`` (one shard of a job array) or ``--finalize``."""
    from darktmm.simulate import shards
    from darktmm.spectra.validate import ParameterError

    if not args.run_dir:
        return common._no_selector("generate", "process")  # noqa: SLF001
    if args.finalize:
        man = shards.finalize(args.run_dir)
        common.emit(True, {"manifest": man.get("path", ""), "shards": len(man.get("shards", []))}, "")
        return 0
    if args.shard is None:
        raise ParameterError("--run-dir needs --shard J (one shard) or --finalize")
    rec = shards.run_shard(args.run_dir, args.shard)
    common.emit(True, rec, "")
    return 0


def resolve(card: dict | None = None, overrides: dict | None = None) -> dict:
    """The full configuration of a run: defaults < card < overrides (see ``simulate.cards.resolve``)."""
    from darktmm.simulate import cards
    from darktmm.spectra.validate import ParameterError

    card = card or {}
    proc = (overrides or {}).get("process") or card.get("process")
    if proc is None:
        raise ParameterError("no process: give borexino, babar or na64 (or process = ... in the card)")
    cfg = cards.resolve(SCHEMA, card, {**(overrides or {}), "process": proc}, tables=(proc,))
    if cfg["events"] is None:
        raise ParameterError("the number of events is missing: --events N (or events = N in the card)")
    return cfg


def build_process(cfg: dict, profiles=None):
    """The :mod:`simulate.events` process of a resolved configuration (the model built once here).

    Also fills the process-dependent default ``train_neval`` into ``cfg`` (so the stored card
    holds every value)."""
    from darktmm.simulate import events as ev
    from darktmm.spectra.model import DarkSector
    from darktmm.spectra.validate import ParameterError

    proc = cfg["process"]
    o = cfg[proc]
    if proc in ("borexino", "xenonnt"):
        prof = None if profiles is None else profiles.get(o["component"])
        if o["t_max"] <= o["t_min"]:
            raise ParameterError(f"{proc}.t_max = {o['t_max']:g} GeV must exceed t_min = {o['t_min']:g} GeV")
        events = ev.NuElectronEvents if proc == "borexino" else ev.XenonRecoilEvents
        extra = {"treatment": o["treatment"]} if proc == "xenonnt" else {}
        p = events(
            o["component"],
            o["kind"],
            m_ap=o["m_ap"],
            eps_mu=o["eps_mu_eff"],
            T_lo=o["t_min"],
            T_hi=o["t_max"],
            profile=prof,
            **extra,
        )
    else:
        model = DarkSector.flavour_blind(o["m_ap"], o["eps"], o["mu_d"], o["gamma_dark"])
        if proc == "babar":
            p = ev.MonophotonEvents(
                o["resonance"],
                model=model,
                z_window=o["z_window"],
                mx2_window=o["mx2_window"],
                isr=o["isr"],
                offshell=o["offshell"],
                frame=o["frame"],
                L_det_m=o["l_det"],
            )
        else:
            if not o["m_ap"] > 0:
                raise ParameterError("na64.m_ap = 0: NA64 needs a massive A' (m_A' > 0)")
            p = ev.DarkBremEvents(
                model=model,
                E0=o["e0"],
                E_cut=o["e_cut"],
                T_X0=o["t_x0"],
                L_det_m=o["l_det"],
                ecal_stochastic=o["ecal_stochastic"],
                ecal_constant=o["ecal_constant"],
            )
    if cfg.get("train_neval") is None:
        cfg["train_neval"] = p.train_neval
    return p


def run_options(cfg: dict) -> dict:
    """Keyword options of :func:`simulate.sampler.generate` from a resolved configuration."""
    keys = (
        "seed",
        "unweighted",
        "chunk",
        "block",
        "pilot",
        "train_nitn",
        "train_neval",
        "integrate_nitn",
        "wmax_factor",
    )
    return {k: cfg[k] for k in keys}


def run(args) -> int:
    from darktmm.simulate import alloc, cards

    t0 = time.perf_counter()
    malloc_tuned = alloc.from_environment()  # heap thresholds for streaming (simulate.alloc)
    cfg, card_text = common.resolve_args(args, SCHEMA, selector="process")
    if cfg["events"] is None:
        from darktmm.spectra.validate import ParameterError

        raise ParameterError("the number of events is missing: --events N (or events = N in the card)")
    out, plot = cfg["out"], cfg["plot"]
    fmt = OUT_SUFFIXES.get(Path(out).suffix.lower()) if out else None
    common.check_outputs(out, plot, tuple(OUT_SUFFIXES), force=args.force)
    t_checked = time.perf_counter()
    from darktmm.simulate import eventio, histograms, sampler

    if fmt == "root":
        eventio.compression(cfg["compression"])  # validate before the work
    profiles = None
    if cfg["process"] in ("borexino", "xenonnt"):
        from darktmm.detectors import borexino

        profiles = borexino.production_profiles(cfg["data_dir"])
    t_imported = time.perf_counter()
    process = build_process(cfg, profiles)
    t_built = time.perf_counter()
    card_out = cards.to_toml(SCHEMA, cfg)
    if getattr(args, "shards", None) or getattr(args, "prepare", None):
        return _sharded(args, cfg, out)
    run_ = sampler.generate(process, cfg["events"], **run_options(cfg))
    if out and cfg["events"] > LARGE_RUN_EVENTS:
        run_.prepare()
        _announce(run_, out, fmt, cfg)
    bar = common.progress_bar(cfg["events"], cfg["json"], unit="ev", unit_scale=True)
    run_.progress = bar.update if bar else None
    hists = histograms.Histograms(process) if plot else None
    on_chunk = hists.fill if hists is not None else None
    info = {
        "command": f"generate {cfg['process']}",
        "card_file": getattr(args, "card", None),
        "malloc": "tuned" if malloc_tuned else "system",
    }
    try:
        if fmt == "root":
            summary = eventio.write_root(
                out,
                run_,
                compression_spec=cfg["compression"],
                card_toml=card_out,
                info=info,
                on_chunk=on_chunk,
            )
        elif fmt == "hepmc3":
            from darktmm.simulate import hepmc

            summary = hepmc.write_hepmc(out, run_, card_toml=card_out, on_chunk=on_chunk)
        else:
            for chunk in run_:
                if on_chunk is not None:
                    on_chunk(chunk)
                del chunk
            summary = run_.summary()
    finally:
        if bar is not None:
            bar.close()
    if plot:
        from darktmm.simulate import plots

        plots.event_histograms(plot, process, hists, run_.unweighted)
    result = {
        "command": "generate",
        "process": process.name,
        "description": process.description,
        "mode": summary["mode"],
        "sigma": summary["sigma"],
        "sigma_err": summary["sigma_err"],
        "sigma_unit": summary["sigma_unit"],
        "sigma_pb": summary["sigma"] * process.pb_per_unit if process.pb_per_unit is not None else None,
        "sigma_vegas": summary["sigma_vegas"],
        "sigma_vegas_err": summary["sigma_vegas_err"],
        "events_written": summary["events_written"],
        "trials": summary["trials"],
        "accepted": summary["accepted"],
        "efficiency": summary["efficiency"],
        "w_max": summary["w_max"],
        "fraction_above_wmax": summary["fraction_above_wmax"],
        "sum_weights": summary["sum_weights"],
        "output": str(out) if out else None,
        "format": fmt,
        "seed": cfg["seed"],
        "timing_s": time.perf_counter() - t0,
    }
    tm = summary.get("timing_s", {})
    result["phases_s"] = {
        "parse_and_check": t_checked - t0,
        "imports": t_imported - t_checked,
        "build_process": t_built - t_imported,
        "train_vegas": tm.get("train_s"),
        "pilot": tm.get("pilot_s"),
        "generate_and_write": tm.get("generate_s"),
    }
    table = (
        f"{process.description}\n"
        f"sigma = {result['sigma']:.6g} +- {result['sigma_err']:.3g} {result['sigma_unit']} "
        f"(frozen VEGAS: {result['sigma_vegas']:.6g} +- {result['sigma_vegas_err']:.3g})\n"
        f"{result['events_written']} {result['mode']} events from {result['trials']} trials, "
        f"efficiency {result['efficiency']:.3g}, {summary['events_above_wmax']} above w_max; "
        f"{'written to ' + str(out) if out else 'no output file (--out)'}; {result['timing_s']:.2f} s"
    )
    common.emit(cfg["json"], result, table)
    return 0


def _sharded(args, cfg, out) -> int:
    """``--shards K`` (here, or on Dask workers) or ``--prepare RUN_DIR`` (a batch farm later)."""
    from darktmm.simulate import scale, shards
    from darktmm.spectra.validate import ParameterError

    if not out or not str(out).endswith(".root"):
        raise ParameterError("--shards and --prepare write ROOT shards: give --out NAME.root")
    k = args.shards or 1
    if k < 1:
        raise ParameterError(f"--shards = {k} must be >= 1")
    with scale.executor_from_args(args) as ex:
        if args.prepare:
            shards.prepare(cfg, Path(args.prepare) / Path(out).name, shards=k, executor=ex)
            common.emit(
                cfg["json"],
                {"plan": str(args.prepare), "shards": k},
                f"plan of {k} shards written to {args.prepare}",
            )
            return 0
        man = shards.generate(cfg, out, shards=k, executor=ex, resume=args.resume, force=args.force)
    summary = {k2: man.get(k2) for k2 in ("sigma", "sigma_err", "events_written", "manifest") if k2 in man}
    summary["shards"] = len(man.get("shards", []))
    common.emit(cfg["json"], summary, f"{summary['shards']} shards and a manifest written for {out}")
    return 0


def _announce(run_, out, fmt, cfg) -> None:
    """Measure bytes and seconds per event on a small sample from the trained map; say what the run
    will take, and refuse (one line) when the disk cannot hold the file."""
    from darktmm.simulate import eventio
    from darktmm.simulate.common import OutputError

    per_event_bytes, per_event_s = eventio.sample_cost(
        run_, fmt, cfg["compression"], n=SAMPLE_EVENTS, folder=Path(out).resolve().parent
    )
    n = cfg["events"]
    size = per_event_bytes * n
    free = shutil.disk_usage(Path(out).resolve().parent).free
    print(
        f"note: {n:.3g} events: expected file size {_bytes(size)} ({per_event_bytes:.0f} bytes/event), "
        f"about {per_event_s * n:.0f} s (from a {SAMPLE_EVENTS}-event sample); {_bytes(free)} free",
        file=sys.stderr,
    )
    if size > free:
        raise OutputError(
            f"--out {out}: the file would take about {_bytes(size)}, but only {_bytes(free)} are free"
        )


def _bytes(x: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if x < 1000 or unit == "TB":
            return f"{x:.3g} {unit}"
        x /= 1000.0
    return f"{x:.3g} TB"  # pragma: no cover
