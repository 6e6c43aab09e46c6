"""``darktmm generate``: event samples of the three processes into ROOT or HepMC3 files.

    darktmm generate borexino|babar|na64 --events N [--unweighted] --seed S
        --out FILE.root|FILE.hepmc3 [--card run.toml] [process options] [--json] [--plot f.png]

Every option can also come from the run card (``simulate.cards``); options on the command line
override the card. The resolved card is stored in the output. ``--json`` prints sigma, its
error, the events written, the unweighting efficiency and the output path. A progress bar is
shown on a terminal only (never with ``--json``). Bad input is one line and exit code 2; an
interrupted run (Ctrl-C) leaves no output file. The command tunes glibc's heap thresholds for
streaming (``simulate.alloc``; ``DARKTMM_MALLOC=system`` keeps the defaults).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from darktmm.simulate import cards, rootio
from darktmm.simulate.runs import progress_bar
from darktmm.spectra.validate import ParameterError

OUT_SUFFIXES = {".root": "root", ".hepmc3": "hepmc3", ".hepmc": "hepmc3"}

#: Help of the options shared by several processes (energies take units, e.g. 0.5MeV).
SHARED_HELP = {
    "m_ap": "dark-photon mass with unit, e.g. 0.5MeV (borexino TMM; babar; na64)",
    "eps_mu": "borexino: eps*mu_eff [mu_B]; babar, na64: the dark TMM mu_D [mu_B] (flavour blind)",
    "eps": "kinetic mixing epsilon (babar, na64)",
    "gamma_dark": "extra invisible A' width with unit (babar, na64)",
    "l_det": "detector length for the A' escape flag [m] (babar 2, na64 5.5)",
}


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _converter(key: cards.Key):
    def conv(text):
        try:
            if key.kind == "int":
                try:
                    return int(text)
                except ValueError:
                    x = float(text)  # 1e8 is a whole number too
                    if not x.is_integer():
                        raise
                    return int(x)
            if key.kind == "float":
                return float(text)
        except ValueError:
            what = "a whole number" if key.kind == "int" else "a number"
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        return text  # energies, pairs and strings are parsed by the card validation

    return conv


def add_parsers(sub, common):
    p = sub.add_parser(
        "generate",
        help="weighted or unweighted event samples (ROOT or HepMC3)",
        description="Event samples from the adapted VEGAS maps: borexino (solar nu-e), "
        "babar (e+e- -> gamma A'), na64 (e Z -> e Z A'). Options override the run card.",
        epilog="environment: DARKTMM_MALLOC=tuned (default) raises glibc's heap thresholds for "
        "streaming (simulate/alloc.py); DARKTMM_MALLOC=system keeps the defaults.",
    )
    p.add_argument("process", nargs="?", help="borexino | babar | na64 (or process = ... in the card)")
    common(p)
    p.set_defaults(seed=None, json=None)
    for a in p._actions:  # noqa: SLF001 - argparse has no public way to reword a shared option
        if a.dest == "out":
            a.help = "output file, .root or .hepmc3 (HepMC3 via pyhepmc); without it no file is written"  # None = not given: the card or the default decides
    run = p.add_argument_group("run")
    for name, key in cards.RUN_KEYS.items():
        if name in ("process", "seed", "out", "json", "plot", "data_dir"):
            continue
        if key.kind == "bool":
            run.add_argument(_flag(name), action=argparse.BooleanOptionalAction, default=None, help=key.help)
        else:
            run.add_argument(_flag(name), type=_converter(key), default=None, help=key.help)
    seen = set()
    for proc, keys in cards.PROCESS_KEYS.items():
        g = p.add_argument_group(f"{proc} options")
        for name, key in keys.items():
            if name in seen:
                continue
            seen.add(name)
            owners = [q for q, ks in cards.PROCESS_KEYS.items() if name in ks]
            h = SHARED_HELP.get(name, f"{key.help} ({', '.join(owners)})")
            if key.kind == "bool":
                g.add_argument(_flag(name), action=argparse.BooleanOptionalAction, default=None, help=h)
            else:
                alias = ["--L-det"] if name == "l_det" else []  # the spelling of `darktmm limit`
                g.add_argument(_flag(name), *alias, type=_converter(key), default=None, help=h)


def _overrides(args) -> dict:
    names = set(cards.RUN_KEYS) | {k for ks in cards.PROCESS_KEYS.values() for k in ks}
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


def generate_cmd(args) -> int:
    from darktmm.simulate import alloc, eventio, histograms, sampler

    t0 = time.perf_counter()
    malloc_tuned = alloc.from_environment()  # heap thresholds for streaming (simulate.alloc)
    card = cards.load_card(args.card) if args.card else {}
    cfg = cards.resolve(card, _overrides(args))
    out, plot = cfg["out"], cfg["plot"]
    fmt = None
    if out:
        fmt = OUT_SUFFIXES.get(Path(out).suffix.lower())
        if fmt is None:
            raise ParameterError(f"--out {out}: the file name must end in .root or .hepmc3")
        rootio.check_writable(out)
    if plot:
        rootio.check_writable(plot)
    if fmt == "root":
        eventio.compression(cfg["compression"])  # validate before the work
    profiles = None
    if cfg["process"] == "borexino":
        from darktmm.detectors import borexino

        profiles = borexino.production_profiles(cfg["data_dir"])
    process = cards.build_process(cfg, profiles)
    card_toml = cards.to_toml(cfg)
    bar = progress_bar(cfg["events"], cfg["json"], unit="ev", unit_scale=True)
    run = sampler.generate(
        process, cfg["events"], **cards.run_options(cfg), progress=(bar.update if bar else None)
    )
    hists = histograms.Histograms(process) if plot else None
    on_chunk = hists.fill if hists is not None else None
    info = {
        "command": f"generate {cfg['process']}",
        "card_file": args.card,
        "malloc": "tuned" if malloc_tuned else "system",
    }
    try:
        if fmt == "root":
            summary = eventio.write_root(
                out,
                run,
                compression_spec=cfg["compression"],
                card_toml=card_toml,
                info=info,
                on_chunk=on_chunk,
            )
        elif fmt == "hepmc3":
            from darktmm.simulate import hepmc

            summary = hepmc.write_hepmc(out, run, card_toml=card_toml, on_chunk=on_chunk)
        else:
            for chunk in run:
                if on_chunk is not None:
                    on_chunk(chunk)
                del chunk
            summary = run.summary()
    finally:
        if bar is not None:
            bar.close()
    if plot:
        _plot(plot, process, hists, run.unweighted)
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
    if cfg["json"]:
        print(rootio.to_json(result))
    else:
        print(
            f"{process.description}\n"
            f"sigma = {result['sigma']:.6g} +- {result['sigma_err']:.3g} {result['sigma_unit']} "
            f"(frozen VEGAS: {result['sigma_vegas']:.6g} +- {result['sigma_vegas_err']:.3g})\n"
            f"{result['events_written']} {result['mode']} events from {result['trials']} trials, "
            f"efficiency {result['efficiency']:.3g}, {summary['events_above_wmax']} above w_max; "
            f"{'written to ' + str(out) if out else 'no output file (--out)'}; {result['timing_s']:.2f} s"
        )
    return 0


def _plot(path, process, hists, unweighted):
    import math

    from darktmm.simulate.plots import _plt, _save

    plt = _plt()
    specs = hists.specs
    ncol = 3
    nrow = math.ceil(len(specs) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.2 * nrow), squeeze=False)
    unit = "events" if unweighted else process.weight_unit
    for ax, o in zip(axes.flat, specs):
        ax.stairs(hists.sumw[o.name], hists.edges[o.name], lw=1.2)
        ax.set_xlabel(o.title, fontsize=8)
        ax.set_ylabel(f"per bin [{unit}]", fontsize=8)
    for ax in list(axes.flat)[len(specs) :]:
        ax.set_visible(False)
    fig.suptitle(process.description, fontsize=9)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


HANDLERS = {"generate": generate_cmd}

__all__ = ["add_parsers", "HANDLERS", "generate_cmd"]
