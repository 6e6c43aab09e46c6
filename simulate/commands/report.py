"""``darktmm report --card model.toml --out DIR``: the whole analysis of a model point in one run.

It runs the same code as ``darktmm model``, ``limit`` and ``constraints``, then writes into DIR:

* ``index.html`` - one self-contained page (inline CSS, figures linked relatively): the UV model
  (mu_D, BR(l -> l' gamma), radiative mass, MEG II cap), each experiment's limit with its expected
  band (Borexino, NA64; BaBar has none, and says so; XENONnT when ``darktmm.detectors.xenonnt``
  exists), the constraint hierarchy, the benchmark numbers of the README and the provenance;
* ``figures/*.png`` and ``*.pdf``, ``root/*.root`` (one ``limits`` tree per experiment, the
  ``hierarchy`` tree, the model's ``runinfo``), ``hepdata/`` (one submission with every curve and the
  hierarchy table), ``report.json`` (everything above as JSON), ``card.toml``;
* ``<benchmark>_numbers.json`` and ``.md`` - the numbers the README's benchmark section quotes
  (``bm1_numbers.*`` for BM1), generated here rather than pasted by hand;
* ``pieces/*.json`` - the finished computations with the hash of their settings: ``--resume``
  reuses every piece whose hash matches (a changed card, seed, data file or darktmm version
  recomputes the pieces it touches).

The accelerator limits of the report are those of the model point itself (the model's own P_inv at
every mass, the hierarchy's inputs); Borexino's limit is computed once with its Asimov band at the
masses the hierarchy computes (``[borexino] scaling_above``), and the hierarchy's Borexino bound is
derived from the same points.

``--workers N`` (and the other scale-out flags of :mod:`darktmm.simulate.scale`: ``--scheduler``,
``--jobqueue``, ...) spreads the scans - the Borexino masses (``scale.borexino_limit``: the SM
templates once, then one task per mass) and the accelerator masses (``scale.map_points``) - with
the same numbers as the serial run.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import json
import math
import time
from pathlib import Path

from darktmm.simulate import common, modelcard
from darktmm.simulate.cards import Key

SCHEMA = modelcard.schema(
    "report",
    {
        "out": Key("str", None, "output folder of the report (required)", flag="--out"),
        **common.run_keys(out=None, plot=False),
    },
)

#: Direct-detection searches other than Borexino whose ``limit()`` has Borexino's shape (eps*mu_eff
#: with its Asimov band): computed at the Borexino masses when their module exists.
DIRECT_EXPERIMENTS = {"xenonnt": "XENONnT SR0"}
#: The masses whose hierarchy the README quotes [GeV] (else the ends of the scan).
README_MASSES = (1e-3, 5.0)
_BAND = ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")


def add_parser(sub):
    from darktmm.simulate import cards

    p = sub.add_parser(
        "report",
        help="the whole analysis of a model card in one run: limits, hierarchy, HTML, ROOT, HEPData",
        description="Every plot and table of the constraint hierarchy of a model card (see examples/bm1.toml) "
        "in one folder: index.html, figures, ROOT files, a HEPData record, the README numbers, provenance.",
    )
    cards.add_options(p, SCHEMA.keys_of(""))
    for sec in ("scan", "meg", "borexino", "dark_photon"):
        cards.add_options(p, SCHEMA.keys_of(sec), group=f"[{sec}] options")
    common.add_cli_only(p)
    from darktmm.simulate import scale

    scale.add_scale_arguments(p, checkpoint=False)  # --workers ..., and --resume: reuse the finished pieces
    p.set_defaults(func=run)


# --- the executor ------------------------------------------------------------------------------------
def executor(args):
    """The executor of the scans: ``darktmm.simulate.scale.executor_from_args`` (serial by default;
    ``--workers N`` a local Dask cluster; ``--scheduler``/``--jobqueue`` a remote one)."""
    from darktmm.simulate import scale

    return scale.executor_from_args(args)


# --- encoding of detector results (pieces and worker results) -----------------------------------
def _encode(obj) -> dict:
    """A darktmm.detectors dataclass as JSON: its class and its fields."""
    from darktmm.simulate.report import _plain

    cls = type(obj)
    return {"type": f"{cls.__module__}:{cls.__qualname__}", "fields": _plain(dataclasses.asdict(obj))}


def _decode(d):
    mod, _, name = d["type"].partition(":")
    if not mod.startswith("darktmm.detectors."):
        raise ValueError(f"not a detector result: {d['type']}")
    return getattr(importlib.import_module(mod), name)(**d["fields"])


# --- the work of one mass (module level: it runs in worker processes too) -----------------------------
_SETUPS: dict = {}


def _setup(cfg):
    from darktmm.simulate.commands import constraints
    from darktmm.simulate.report import settings_hash

    h = settings_hash(cfg)
    if h not in _SETUPS:
        _SETUPS.clear()
        _SETUPS[h] = constraints.prepare(cfg)
    return _SETUPS[h]


def _accelerator_point(m, cfg):
    """The invisible searches at one mass [GeV] with the model's own P_inv, exactly as
    ``detectors.constraints.hierarchy`` calls them; returns (encoded answers, files opened)."""
    from darktmm.detectors import constraints as cons
    from darktmm.simulate.report import record_opens
    from darktmm.spectra.validate import check_range

    s = _setup(cfg)
    with record_opens() as seen:
        gd = check_range("gamma_dark", s.gamma_dark(m), 0.0, None, unit="GeV")
        acc = cons.accelerator_eps(m, s.cap.matrix_mass_muB, experiments=s.experiments, gamma_dark=gd)
    return {name: _encode(lim) for name, lim in acc.items()}, sorted(seen)


def _borexino_scan(masses, kw, ex, tick):
    """``detectors.borexino.limit`` over ``masses`` [GeV] through ``scale.borexino_limit`` on the
    executor, serial or not (single-threaded BLAS everywhere, so ``--workers`` does not change a bit;
    ``borexino.limit`` with threaded BLAS differs from it in the 12th digit). Returns (points, info,
    files opened)."""
    from darktmm.simulate import scale
    from darktmm.simulate.report import record_opens

    with record_opens() as seen:
        pts, info = scale.borexino_limit([float(m) for m in masses], executor=ex, **kw, progress=tick)
    return pts, info, sorted(seen)


# --- the command -------------------------------------------------------------------------------------
def run(args) -> int:
    from darktmm.detectors import constraints as cons
    from darktmm.detectors import data as datamod
    from darktmm.simulate import report as rep
    from darktmm.simulate.commands import constraints
    from darktmm.spectra.validate import ParameterError

    t0 = time.perf_counter()
    cfg, card_text = modelcard.resolve_model_args(args, SCHEMA)
    if not cfg["out"]:
        raise ParameterError("'report' needs --out DIR (the folder the report is written into)")
    if args.force and args.resume:
        raise ParameterError("--force recomputes everything and --resume reuses finished pieces: give one")
    if args.workers < 1:
        raise ParameterError(f"--workers = {args.workers} must be >= 1")
    out = Path(cfg["out"])
    if out.is_dir() and any(out.iterdir()) and not (args.force or args.resume):
        raise common.OutputError(
            f"--out {out} exists and is not empty; add --resume to reuse its finished pieces or --force to recompute"
        )
    out = common.check_folder(out, "--out", force=True)
    s = constraints.prepare(cfg)
    masses = [float(m) for m in s.masses]
    if not masses:
        raise ParameterError("--masses is empty")
    bx_opts = constraints.borexino_options(cfg, s)
    comp, _ = cons._masses_to_compute(masses, bx_opts["scaling_above"])  # noqa: SLF001 (the hierarchy's masses)
    comp = [float(m) for m in comp]
    have_xe = datamod.available(constraints.XENONNT_DATA, cfg["data_dir"])
    direct = [
        k for k in DIRECT_EXPERIMENTS if _have(f"darktmm.detectors.{k}") and (k != "xenonnt" or have_xe)
    ]
    for sub in ("figures", "root", "pieces"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    pieces = rep.Pieces(out, resume=args.resume)
    registry = datamod.verify(cfg["data_dir"])
    base = {
        "darktmm": common.versions()["darktmm"],
        "source": rep.git_commit(Path(__file__).resolve().parents[2]),
    }
    n_tables = 3 + len(direct)
    total = 1 + len(comp) * (2 if bx_opts["flavour"] == "exact" else 1) + len(masses)
    total += len(comp) * len(direct) + 2 * (n_tables + 1) + (n_tables + 2) + 3
    total += (len(masses) + 2) if have_xe else 0
    bar = common.progress_bar(total, cfg["json"], unit="step")
    tick = bar.update if bar else None
    ex = executor(args)
    try:
        # 1. the UV model
        model_summary = _model_piece(cfg, args, pieces, base, tick)
        # 2. Borexino: limit with its band, and the hierarchy's bound from the same points
        bx_pts, bx_info, bx, bx_files = _borexino_piece(
            cfg, s, bx_opts, comp, masses, pieces, base, registry, ex, tick
        )
        # 3. the accelerator searches at every mass, then the combination (no physics)
        acc, acc_s, acc_files = _accelerator_piece(cfg, s, masses, pieces, base, registry, ex, tick)
        # 4. XENONnT (and any other Borexino-shaped search that exists)
        profiles = {k: _direct_piece(k, cfg, comp, pieces, base, registry, tick) for k in direct}
        # 5. the XENONnT bound on the hierarchy's quantity beside Borexino's (as constraints does)
        xe, xe_files = (None, [])
        if have_xe:
            xe, xe_files = _xenonnt_bounds_piece(cfg, s, masses, pieces, base, registry, tick)
    finally:
        ex_kind, ex_n = ex.kind, (1 if ex.kind == "serial" else ex.nworkers)
        ex.close()
    names = list(s.experiments)
    hpts = [
        cons.combine(
            m, acc[i], s.cap.mu_D_max_muB, bx.bounds[i], borexino_method=bx.method, experiments=names
        )
        for i, m in enumerate(masses)
    ]
    h_info = {
        "experiments": names,
        "codes": cons.code_table(names),
        "borexino": {"method": bx.method, "flavour": bx.flavour, **bx.info},
        "mu_D_cap": s.cap.summary(),
        "timing_s": acc_s,
    }
    direct_pts, crossing = None, None
    if xe is not None:
        direct_pts = cons.direct_probes(bx, xe)
        crossing = cons.xenonnt_borexino_crossing(bx, xe)
    compute_s = time.perf_counter() - t0
    h_summary = constraints.make_summary(
        cfg, str(args.card), s, hpts, h_info, compute_s, xe=xe, direct=direct_pts, crossing=crossing
    )
    h_summary["command"] = "report"
    tables = _limit_tables(cfg, s, bx_pts, bx_info, hpts, names, acc_s, profiles)
    numbers = benchmark_numbers(cfg, s, hpts, names)
    numbers["direct_probe_crossing_GeV"] = crossing
    files = _write_outputs(
        out,
        cfg,
        card_text,
        str(args.card),
        s,
        tables,
        hpts,
        names,
        h_summary,
        model_summary,
        numbers,
        tick,
        direct=(bx, xe, direct_pts, crossing) if xe is not None else None,
    )
    data_used = rep.data_files(
        set(bx_files) | set(acc_files) | set(xe_files) | {f for p in profiles.values() for f in p[2]},
        cfg["data_dir"],
    )
    wall = time.perf_counter() - t0
    prov = {
        "command": command_line(args),
        "date_utc": rep.now_utc(),
        "wall_time_s": wall,
        "workers": ex_n,
        "executor": ex_kind if ex_kind == "serial" else f"{ex_kind} ({ex_n} workers)",
        "versions": {**common.versions(), "source commit": base["source"] or "n/a"},
        "seeds": _seeds(cfg, s),
        "pieces": pieces.status,
        "data_files": data_used,
        "data_dir": str(datamod.find_data_dir(cfg["data_dir"]) or ""),
        "registry": registry,
        "card": str(args.card),
    }
    summary = {
        "command": "report",
        "benchmark": h_summary["benchmark"],
        "card": str(args.card),
        "out": str(out),
        "files": files,
        "numbers": numbers,
        "model": model_summary,
        "limits": {t.experiment: _limit_json(t) for t in tables},
        "hierarchy": h_summary,
        "provenance": prov,
    }
    rep.write_text(out / "report.json", common.to_json(summary) + "\n")
    page = build_html(
        cfg, card_text, s, tables, hpts, names, h_summary, model_summary, numbers, files, prov, str(args.card)
    )
    rep.write_text(out / "index.html", page)
    if tick:
        tick(1)
    if bar:
        bar.close()
    short = {
        "command": "report",
        "out": str(out),
        "index": str(out / "index.html"),
        "numbers": numbers,
        "pieces": pieces.status,
        "wall_time_s": wall,
    }
    common.emit(cfg["json"], short, _text_summary(out, numbers, pieces.status, wall))
    return 0


def _have(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def command_line(args) -> str:
    """The command line of this run, rebuilt from the parsed options (card values not repeated)."""
    import shlex

    from darktmm.simulate import cards

    parts = ["darktmm", "report", "--card", str(args.card)]
    keys = {n: k for sec in ("", *modelcard.TABLES) for n, k in (SCHEMA.keys_of(sec) or {}).items()}
    for name, v in sorted(cards.overrides(args, SCHEMA, modelcard.TABLES).items()):
        key = keys[name]
        flag = cards.flag_of(name, key)
        v = getattr(v, "value", v)  # cards.Given: validated, in the key's unit
        if key.kind == "bool":
            parts.append(flag if v else "--no-" + flag[2:])
        else:
            parts += [flag, _option_text(key.kind, v)]
    parts += [f for f, on in (("--force", args.force), ("--resume", args.resume)) if on]
    for flag in ("workers", "scheduler", "scheduler_file", "jobqueue"):
        v = getattr(args, flag, None)
        if v not in (None, 1):
            parts += ["--" + flag.replace("_", "-"), str(v)]
    return " ".join(shlex.quote(p) for p in parts)


def _option_text(kind: str, v) -> str:
    """A validated option value written back with its unit (GeV, m, mu_B), as the command line takes it."""
    unit = {"energy": "GeV", "energy_or_off": "GeV", "masses": "GeV", "length": "m", "moment": "muB"}.get(
        kind
    )
    if unit is None:
        return str(v)
    if v is None:
        return "off"
    if kind == "masses":
        return ",".join(f"{float(m):.12g}" for m in v) + unit
    return f"{float(v):.12g}{unit}"


def _data_state(registry: dict, prefixes) -> dict:
    return {k: v for k, v in registry.items() if k.startswith(tuple(prefixes))}


# --- the pieces ---------------------------------------------------------------------------------------
def _model_piece(cfg, args, pieces, base, tick):
    from darktmm.simulate.commands import model as model_cmd

    settings = {
        **base,
        "piece": "model",
        "uv": cfg["uv"],
        "meg": cfg["meg"],
        "scan_uv": cfg["scan"].get("uv"),
    }
    got = pieces.get("model", settings)
    if got is None:
        t = time.perf_counter()
        got = model_cmd.compute(cfg, str(args.card))
        pieces.put("model", settings, got, time.perf_counter() - t)
        got = json.loads(pieces.path("model").read_text())["payload"]  # the same shape either way
    if tick:
        tick(1)
    return got


def _borexino_piece(cfg, s, bx_opts, comp, masses, pieces, base, registry, ex, tick):
    from darktmm.detectors import borexino
    from darktmm.detectors import constraints as cons

    settings = {
        **base,
        "piece": "borexino",
        "masses": masses,
        "options": {k: v for k, v in bx_opts.items() if k != "data_dir"},
        "shape": s.cap.summary()["matrix_mass_muB"],
        "mu_D_max_muB": s.cap.mu_D_max_muB,
        "data": _data_state(registry, ("borexino/", "solar/")) if s.method == "spectral" else "built in",
    }
    got = pieces.get("borexino", settings)
    if got is not None:
        if tick:
            tick(len(comp) * (2 if bx_opts["flavour"] == "exact" else 1))
        try:
            pts = [_decode(e) for e in got["points"]]
            b = got["bounds"]
            bx = cons.BorexinoBounds(b["masses"], b["bounds"], b["method"], b["flavour"], b["info"])
            return pts, got["info"], _np(bx), got["files"]
        except (KeyError, TypeError, ValueError):
            pieces.status.pop("borexino", None)  # a stale piece: compute it again
    t = time.perf_counter()
    kw = {
        "data_dir": bx_opts["data_dir"],
        "method": bx_opts["method"],
        "treatment": bx_opts["treatment"],
        "rtol": bx_opts["rtol"],
        "seed": bx_opts["seed"],
        "expected": True,
    }
    got_pts: dict = {}

    def limit_fn(ms, **fkw):
        # the hierarchy's Borexino points, computed once with their Asimov band
        pts, info, seen = _borexino_scan(
            ms, {**kw, "osc": fkw.get("osc")} if fkw.get("osc") else kw, ex, tick
        )
        got_pts.update(pts=pts, info=info, files=seen)
        return pts, info

    opts = {k: v for k, v in bx_opts.items()}
    if bx_opts["flavour"] == "effective":
        bx = cons.borexino_bounds(masses, s.shape_mass, limit_fn=limit_fn, progress=tick, **opts)
    else:
        bx = cons.borexino_bounds(masses, s.shape_mass, progress=tick, **opts)
        limit_fn(bx.info["computed_masses_GeV"])
    pts, info, files = got_pts["pts"], got_pts["info"], got_pts["files"]
    assert all(isinstance(p, borexino.LimitPoint) for p in pts)
    payload = {
        "points": [_encode(p) for p in pts],
        "info": info,
        "bounds": {
            "masses": list(bx.masses),
            "bounds": list(bx.bounds),
            "method": bx.method,
            "flavour": bx.flavour,
            "info": bx.info,
        },
        "files": files,
    }
    pieces.put("borexino", settings, payload, time.perf_counter() - t)
    got = json.loads(pieces.path("borexino").read_text())["payload"]  # the same numbers either way
    b = got["bounds"]
    bx = cons.BorexinoBounds(b["masses"], b["bounds"], b["method"], b["flavour"], b["info"])
    return [_decode(e) for e in got["points"]], got["info"], _np(bx), files


def _np(bx):
    import numpy as np

    bx.masses = np.asarray(bx.masses, dtype=float)
    bx.bounds = np.asarray(bx.bounds, dtype=float)
    return bx


def _accelerator_piece(cfg, s, masses, pieces, base, registry, ex, tick):
    settings = {
        **base,
        "piece": "accelerators",
        "masses": masses,
        "uv": cfg["uv"],
        "meg": cfg["meg"],
        "scan_uv": cfg["scan"].get("uv"),
        "dark_photon": cfg["dark_photon"],
        "experiments": list(s.experiments),
        "data": _data_state(registry, ("babar/", "na64/")),
    }
    got = pieces.get("accelerators", settings)
    if got is None:
        t = time.perf_counter()
        from darktmm.simulate import scale

        res = scale.map_points(_accelerator_point, masses, cfg, executor=ex, progress=tick)
        payload = {"points": [r[0] for r in res], "files": sorted({f for r in res for f in r[1]})}
        pieces.put("accelerators", settings, payload, time.perf_counter() - t)
        got = json.loads(pieces.path("accelerators").read_text())["payload"]
    elif tick:
        tick(len(masses))
    acc = [{name: _decode(e) for name, e in p.items()} for p in got["points"]]
    return acc, pieces.status["accelerators"]["seconds"], got["files"]


def _xenonnt_bounds_piece(cfg, s, masses, pieces, base, registry, tick):
    """``detectors.constraints.xenonnt_bounds`` at every mass (the model's own matrix as the
    template), with the options of ``constraints``. Returns (XenonntBounds, files opened)."""
    import numpy as np

    from darktmm.detectors import constraints as cons
    from darktmm.simulate.commands import constraints
    from darktmm.simulate.report import record_opens

    opts = constraints.xenonnt_options(cfg)
    settings = {
        **base,
        "piece": "xenonnt_bounds",
        "masses": masses,
        "options": {k: v for k, v in opts.items() if k != "data_dir"},
        "shape": s.cap.summary()["matrix_mass_muB"],
        "data": _data_state(registry, ("xenonnt/", "solar/")),
    }
    got = pieces.get("xenonnt_bounds", settings)
    if got is None:
        t = time.perf_counter()
        with record_opens() as seen:
            xe = cons.xenonnt_bounds(masses, s.shape_mass, progress=tick, **opts)
        payload = {
            "masses": list(xe.masses),
            "bounds": list(xe.bounds),
            "method": xe.method,
            "flavour": xe.flavour,
            "info": xe.info,
            "files": sorted(seen),
        }
        pieces.put("xenonnt_bounds", settings, payload, time.perf_counter() - t)
        got = json.loads(pieces.path("xenonnt_bounds").read_text())["payload"]
    elif tick:
        tick(len(masses))
    xe = cons.XenonntBounds(
        np.asarray(got["masses"], dtype=float),
        np.asarray(got["bounds"], dtype=float),
        got["method"],
        got["flavour"],
        got["info"],
    )
    return xe, got["files"]


def _direct_piece(key, cfg, comp, pieces, base, registry, tick):
    """A direct-detection search with Borexino's ``limit()`` shape (XENONnT): its limit and band at
    the Borexino masses, with the card's [borexino] rtol and seed and the module's defaults."""
    from darktmm.simulate.report import record_opens

    o = cfg["borexino"]
    settings = {
        **base,
        "piece": key,
        "masses": comp,
        "rtol": o["rtol"],
        "seed": cfg["seed"],
        "data": _data_state(registry, (f"{key}/", "solar/")),
    }
    got = pieces.get(key, settings)
    if got is None:
        mod = importlib.import_module(f"darktmm.detectors.{key}")
        t = time.perf_counter()
        with record_opens() as seen:
            pts, info = mod.limit(
                comp, rtol=o["rtol"], seed=cfg["seed"], data_dir=cfg["data_dir"], expected=True, progress=tick
            )
        payload = {"points": [_encode(p) for p in pts], "info": info, "files": sorted(seen)}
        pieces.put(key, settings, payload, time.perf_counter() - t)
        got = json.loads(pieces.path(key).read_text())["payload"]
    elif tick:
        tick(len(comp))
    return [_decode(e) for e in got["points"]], got["info"], got["files"]


# --- tables of the limits --------------------------------------------------------------------------------
def _limit_tables(cfg, s, bx_pts, bx_info, hpts, names, acc_s, profiles):
    import inspect

    from darktmm.detectors.accel_common import EpsLimit
    from darktmm.simulate.commands import limit

    bench = str(cfg["benchmark"].get("name") or "") or "this card"
    tables = [limit.borexino_table(bx_pts, bx_info)]
    tables += [_direct_table(key, pts, info) for key, (pts, info, _) in profiles.items()]
    model = {
        "description": f"{bench}: MEG II-capped μ_D matrix (|μ_D^eμ| = {s.cap.mu_D_max_muB:.2g} μB), "
        + _width_text(cfg),
        "benchmark": bench,
        "gamma_dark": s.gamma_desc,
        "mu_D_muB": s.cap.mu_D_max_muB,
        "mu_D_convention": "MEG II-capped moment matrix of the UV point (mass basis), |mu_D^(e mu)| = mu_D,max",
    }
    for name in names:
        key = name.lower()
        pts = [p.accelerator[name] for p in hpts if isinstance(p.accelerator[name], EpsLimit)]
        left = [p.m_ap for p in hpts if not isinstance(p.accelerator[name], EpsLimit)]
        if not pts or key not in ("na64", "babar"):
            continue
        info = {
            "timing_s": acc_s,
            "source": "the report's hierarchy scan (the model's own P_inv at every mass)",
        }
        if left:
            info["masses_outside_GeV"] = left
        mod = s.experiments[name]
        if key == "na64":
            ann = inspect.signature(mod.eps_max).parameters["annihilation"].default
            header = (
                f"NA64 2023 (9.37e11 EOT, 0 events), 90% CL recast for {bench} "
                f"(MEG II-capped mu_D, its own A' widths{', with e+ annihilation' if ann else ''})"
            )
            info["efficiency_per_mass"] = [p.extra.get("efficiency", math.nan) for p in pts]
            tables.append(limit.na64_table(pts, info, header=header, model=model))
        else:
            header = (
                f"BaBar 2017 single photon, 90% CL recast for {bench} (MEG II-capped mu_D, its own A' widths)"
            )
            tables.append(limit.babar_table(pts, info, header=header, model=model))
    return tables


def _width_text(cfg) -> str:
    """The card's A' dark width in a few words (figure titles)."""
    d = {k: v for k, v in cfg["dark_photon"].items() if v is not None}
    if "dark_fermion_charge" in d:
        return f"Γ_dark: A′ → χχ̄ (Q_χ = {d['dark_fermion_charge']:g})"
    if "gamma_dark" in d:
        return f"Γ_dark = {d['gamma_dark']:g} GeV"
    if "gamma_dark_over_m" in d:
        return f"Γ_dark = {d['gamma_dark_over_m']:g} m_A′"
    return "TMM width only"


def _direct_table(key, pts, info):
    """LimitTable of a direct-detection search other than Borexino (``limit.direct_table``)."""
    import inspect

    from darktmm.simulate.commands import limit

    mod = importlib.import_module(f"darktmm.detectors.{key}")
    name = DIRECT_EXPERIMENTS.get(key, key)
    par = inspect.signature(mod.limit).parameters
    opts = [par[k].default for k in ("treatment", "nuisance") if k in par]
    detector = mod.describe(*opts) if hasattr(mod, "describe") else {"experiment": name}
    published = getattr(mod, "PUBLISHED_LIMIT_MUB", math.nan)
    info = {"method": "", "treatment": "", **info}
    return limit.direct_table(key, name, pts, info, detector, published)


def _limit_json(t) -> dict:
    from darktmm.simulate.commands import limit

    return limit.json_summary(t)


def _seeds(cfg, s) -> dict:
    import inspect

    out = {"seed": cfg["seed"], "used by": "Borexino SM and TMM templates (VEGAS)"}
    for name, mod in s.experiments.items():
        f = getattr(mod, "eps_max", None)
        if f is None:
            continue
        par = inspect.signature(f).parameters
        if "seed" in par:
            out[f"{name} seed"] = par["seed"].default
            out[f"{name} seed note"] = (
                f"the default of {mod.__name__}.eps_max, fixed per mass (as in constraints)"
            )
    return out


# --- the README numbers -----------------------------------------------------------------------------------
def _readme_points(hpts):
    ms = [p.m_ap for p in hpts]
    chosen = []
    for target in README_MASSES:
        hit = [p for p in hpts if math.isclose(p.m_ap, target, rel_tol=1e-9)]
        if hit:
            chosen.append(hit[0])
    if len(chosen) < 2:
        chosen = [hpts[ms.index(min(ms))], hpts[ms.index(max(ms))]]
    return chosen if chosen[0] is not chosen[-1] else chosen[:1]


def benchmark_numbers(cfg, s, hpts, names) -> dict:
    """The numbers the README's benchmark section quotes, from the hierarchy of this run: the MEG II
    cap, BR_inv where the invisible searches set the bound, the dominant probe per mass range, and
    (eps mu_D)_max against Borexino with the orders of magnitude between them at 1 MeV and 5 GeV (the
    ends of the scan if those are not in it)."""
    cap = s.cap
    ranges = []
    for p in hpts:
        if ranges and ranges[-1]["dominant"] == p.dominant:
            ranges[-1]["to_GeV"] = p.m_ap
        else:
            ranges.append({"dominant": p.dominant, "from_GeV": p.m_ap, "to_GeV": p.m_ap})
    br = [
        float(p.accelerator[p.eps_source].br_inv)
        for p in hpts
        if p.eps_source and math.isfinite(getattr(p.accelerator[p.eps_source], "br_inv", math.nan))
    ]
    pts = [
        {
            "m_ap_GeV": p.m_ap,
            "dominant": p.dominant,
            "eps_max": p.eps_max,
            "eps_source": p.eps_source,
            "product_muB": p.product_muB,
            "borexino_muB": p.borexino_muB,
            "log10_ratio": p.log10_ratio,
        }
        for p in _readme_points(hpts)
    ]
    orders = [p.log10_ratio for p in hpts if math.isfinite(p.log10_ratio)]
    return {
        "benchmark": str(cfg["benchmark"].get("name") or ""),
        "description": str(cfg["benchmark"].get("description") or ""),
        "prescription": cap.prescription,
        "mu_D_max_muB": cap.mu_D_max_muB,
        "P_max": cap.P_max,
        "br_inv_min": min(br) if br else None,
        "borexino_method": hpts[0].borexino_method if hpts else "",
        "masses_GeV": [p.m_ap for p in hpts],
        "dominant_ranges": ranges,
        "log10_ratio_range": [min(orders), max(orders)] if orders else None,
        "points": pts,
        "quantity": "eps*|mu_D^(e mu)| [mu_B]; log10_ratio = log10(Borexino / (eps mu_D)_max)",
    }


def _mass_text(m: float) -> str:
    if m < 1.0:
        return f"{m * 1e3:.3g} MeV"
    return f"{m:.3g} GeV"


def _probe_text(name: str) -> str:
    return name.replace(" x ", " × ")


#: The markers of the generated block in README.md.
NUMBERS_BEGIN = "<!-- BEGIN report numbers"
NUMBERS_END = "<!-- END report numbers -->"


def numbers_markdown(numbers: dict, card: str) -> str:
    """The README block of the benchmark numbers (between :data:`NUMBERS_BEGIN` and
    :data:`NUMBERS_END`): a sentence on the cap and the dominant probes, and one table row per
    quoted mass (the rows depend only on the per-mass numbers, so a short scan reproduces them)."""
    from darktmm.simulate.report import sci_text

    bench = numbers["benchmark"] or "the card"
    lines = [
        f"{NUMBERS_BEGIN}: generated by `darktmm report --card {card}` ({numbers['benchmark'].lower() or 'benchmark'}"
        "_numbers.md); do not edit by hand -->",
        f"{bench}, MEG II cap ({numbers['prescription']} prescription): "
        f"**μ_D,max = {sci_text(numbers['mu_D_max_muB'], 3)} μ_B** (P_max = {sci_text(numbers['P_max'], 2)}).",
    ]
    if numbers["br_inv_min"] is not None:
        lines.append(
            f"Where an invisible search sets the bound, BR_inv ≥ {math.floor(numbers['br_inv_min'] * 1000) / 1000:.3f}."
        )
    rng = numbers["dominant_ranges"]
    if rng:
        parts = [
            f"{_probe_text(r['dominant'])} from {_mass_text(r['from_GeV'])} to {_mass_text(r['to_GeV'])}"
            for r in rng
        ]
        lines.append(
            f"Dominant probe over the scan ({len(numbers['masses_GeV'])} masses): " + "; ".join(parts) + "."
        )
    lines += [
        "",
        "| m_A′ | dominant probe | (εμ_D)_max [μ_B] | Borexino bound [μ_B] | log₁₀(Borexino/(εμ_D)_max) |",
        "|---|---|---|---|---|",
    ]
    for p in numbers["points"]:
        r = p["log10_ratio"]
        lines.append(
            f"| {_mass_text(p['m_ap_GeV'])} | {_probe_text(p['dominant'])} | {sci_text(p['product_muB'])} | "
            f"{sci_text(p['borexino_muB'])} | {'n/a' if r is None or not math.isfinite(r) else f'{r:.2f}'} |"
        )
    lines.append(NUMBERS_END)
    return "\n".join(lines) + "\n"


# --- writing ------------------------------------------------------------------------------------------
def _write_outputs(
    out, cfg, card_text, card, s, tables, hpts, names, h_summary, model_summary, numbers, tick, direct=None
):
    from darktmm.simulate import plots, rootio
    from darktmm.simulate import report as rep
    from darktmm.simulate.commands import constraints, limit

    def step():
        if tick:
            tick(1)

    files = {"figures": {}, "root": {}, "hepdata": [], "json": {}}
    bench = h_summary["benchmark"]
    for t in tables:
        for fmt in ("png", "pdf"):
            plots.limit_plot(out / "figures" / f"limit_{t.experiment}.{fmt}", t, data_dir=cfg["data_dir"])
            step()
        files["figures"][t.experiment] = f"figures/limit_{t.experiment}"
    for fmt in ("png", "pdf"):
        plots.hierarchy_plot(
            out / "figures" / f"hierarchy.{fmt}",
            hpts,
            names,
            s.cap,
            title=bench,
            bx_method=hpts[0].borexino_method,
        )
        step()
    files["figures"]["hierarchy"] = "figures/hierarchy"
    if direct is not None:
        bx, xe, _, crossing = direct
        for fmt in ("png", "pdf"):
            plots.direct_probes_plot(
                out / "figures" / f"direct_probes.{fmt}", bx.masses, bx.bounds, xe.bounds, crossing
            )
            step()
        files["figures"]["direct_probes"] = "figures/direct_probes"
    for t in tables:
        rel = f"root/limit_{t.experiment}.root"
        limit.write_root(
            out / rel,
            t,
            limit.json_summary(t),
            seed=cfg["seed"],
            card_text=card_text,
            command=f"report ({t.experiment})",
        )
        files["root"][t.experiment] = rel
        step()
    constraints.write_root(
        out / "root" / "hierarchy.root",
        hpts,
        names,
        s.cap,
        h_summary,
        card_text,
        direct[2] if direct else None,
    )
    files["root"]["hierarchy"] = "root/hierarchy.root"
    step()
    with rootio.atomic_root(out / "root" / "model.root") as f:
        rootio.write_runinfo(f, {**model_summary, **common.versions()}, card_toml=card_text)
    files["root"]["model"] = "root/model.root"
    step()
    try:
        from darktmm.simulate import hepdata

        items = [limit.hepdata_curve(t) for t in tables]
        items.append(constraints.hepdata_table(hpts, bench or card, hpts[0].borexino_method))
        target = hepdata.write_submission(out / "hepdata", items, overwrite=True)
        files["hepdata"] = sorted(f"hepdata/{p.name}" for p in target.iterdir())
        keys = [t.experiment for t in tables] + ["hierarchy"]
        files["hepdata_tables"] = {
            k: f"hepdata/{c.name.lower().replace(' ', '_')}.yaml"
            for k, c in zip(keys, items)
            if (target / f"{c.name.lower().replace(' ', '_')}.yaml").is_file()
        }
        files["hepdata_note"] = ""
    except ImportError as exc:
        files["hepdata_note"] = f"HEPData record not written: {exc}"
    step()
    stem = (numbers["benchmark"] or "benchmark").lower()
    rep.write_text(out / f"{stem}_numbers.json", common.to_json(numbers) + "\n")
    rep.write_text(out / f"{stem}_numbers.md", numbers_markdown(numbers, card))
    files["json"] = {
        "numbers": f"{stem}_numbers.json",
        "numbers_md": f"{stem}_numbers.md",
        "report": "report.json",
        "card": "card.toml",
    }
    rep.write_text(out / "card.toml", card_text or "")
    step()
    return files


def _text_summary(out, numbers, status, wall) -> str:
    lines = [f"report written to {out}/index.html"]
    lines.append(
        f"MEG II cap ({numbers['prescription']}): mu_D,max = {numbers['mu_D_max_muB']:.4g} muB; Borexino: "
        f"{numbers['borexino_method']} likelihood"
    )
    for p in numbers["points"]:
        r = p["log10_ratio"]
        lines.append(
            f"  m_A' = {_mass_text(p['m_ap_GeV'])}: {p['dominant']}, (eps mu_D)_max = {p['product_muB']:.3g} "
            f"muB vs Borexino {p['borexino_muB']:.3g} muB"
            + (f" ({r:.2f} orders)" if r is not None and math.isfinite(r) else "")
        )
    lines.append(
        "pieces: " + ", ".join(f"{k} {v['state']} ({v['seconds']:.1f} s)" for k, v in status.items())
    )
    lines.append(f"wall time {wall:.1f} s")
    return "\n".join(lines)


# --- the page ------------------------------------------------------------------------------------------
def build_html(
    cfg, card_text, s, tables, hpts, names, h_summary, model_summary, numbers, files, prov, card
) -> str:
    """index.html from the results (no computation): :func:`darktmm.simulate.report.page`."""
    from darktmm.simulate import report as rep

    return rep.page(
        cfg=cfg,
        card_text=card_text,
        cap=s.cap,
        gamma_desc=s.gamma_desc,
        tables=tables,
        hpts=hpts,
        names=names,
        h_summary=h_summary,
        model=model_summary,
        numbers=numbers,
        files=files,
        prov=prov,
        markdown=numbers_markdown(numbers, card),
    )
