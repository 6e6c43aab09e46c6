"""``darktmm limit EXPERIMENT``: 90 % CL upper limits against m_A', one output shape for all.

* ``borexino`` - the limit on eps*mu_eff [mu_B] from the Phase-II spectral fit (or the built-in
  rate likelihood without the data files), with the Asimov expected limit;
* ``babar``, ``na64`` - the eps limit recast with the model's own invisible probability
  P_inv = BR_inv + BR_vis exp(-L_det/l).

Every experiment writes the same ROOT tree ``limits`` and the same JSON shape; ``--hepdata DIR``
writes a HEPData submission of the curve.
"""

from __future__ import annotations

import math
import sys

from darktmm.simulate import common
from darktmm.simulate.cards import Key, Schema

EXPERIMENTS = {
    "borexino": "limit on eps*mu_eff from Borexino Phase II",
    "xenonnt": "limit on eps*mu_eff from XENONnT SR0 electronic recoils",
    "babar": "eps limit recast from BaBar 2017 (single photon, invisible A')",
    "na64": "eps limit recast from NA64 2023 (missing energy, invisible A')",
}

#: Default scans: the mass range each search covers [the unit is part of the text]. Borexino is
#: flat below ~0.1 MeV and falls as m^2 above the ~1 MeV momentum transfer; BaBar searched 0-8 GeV
#: (arXiv:1702.03327); NA64's published curve spans 1 MeV-1 GeV (arXiv:2307.02404).
DEFAULT_MASSES = {
    "borexino": "1e-3:100:30MeV",
    "xenonnt": "1e-3:100:30MeV",
    "babar": "1e-3:8:40GeV",
    "na64": "1:1000:30MeV",
}


def _masses(exp):
    return Key(
        "masses",
        DEFAULT_MASSES[exp],
        f"lo:hi:n with unit, or a comma list (default {DEFAULT_MASSES[exp]})",
        lo=0.0,
    )


SCHEMA = Schema(
    "limit",
    {
        "": {
            "experiment": Key("str", None, "borexino | babar | na64", choices=tuple(EXPERIMENTS), flag=""),
            **common.run_keys(),
            "hepdata": Key("str", None, "write a HEPData submission of the limit curve into this folder"),
        },
        "borexino": {
            "masses": _masses("borexino"),
            "method": Key("str", "auto", "auto | spectral | rates", choices=("auto", "spectral", "rates")),
            "treatment": Key("str", "ssm", "pp/7Be priors: ssm | ga | free", choices=("ssm", "ga", "free")),
            "cl_method": Key(
                "str",
                "profile",
                "profile (one-sided, -2 Delta ln L = 2.71) or cls",
                choices=("profile", "cls"),
            ),
            "systematics": Key("bool", False, "exposure and response uncertainties as nuisances"),
            "rtol": Key("float", 1e-3, "per-bin MC precision target", lo=1e-5, hi=0.5),
        },
        "xenonnt": {
            "masses": _masses("xenonnt"),
            "treatment": Key(
                "str", "stepping", "xenon binding: stepping | free", choices=("stepping", "free")
            ),
            "nuisance": Key(
                "str",
                "free",
                "B0 normalisation: free | gaussian (5 %) | fixed",
                choices=("free", "gaussian", "fixed"),
            ),
            "likelihood": Key(
                "str", "unbinned", "unbinned | binned (0.1 keV)", choices=("unbinned", "binned")
            ),
            "rtol": Key("float", 1e-3, "per-bin MC precision of the template", lo=1e-5, hi=0.5),
        },
        "babar": {
            "masses": _masses("babar"),
            **common.dark_photon_keys(common.detector_default("babar", "L_DET_M")),
        },
        "na64": {
            "masses": _masses("na64"),
            **common.dark_photon_keys(common.detector_default("na64", "L_DET_M")),
            "efficiency": Key(
                "float",
                None,
                "flat signal efficiency (default: NA64's mass-dependent effective efficiency)",
                lo=0.0,
                hi=1.0,
                lo_open=True,
            ),
            "annihilation": Key("bool", True, "resonant e+ e- -> A' of shower positrons on bound electrons"),
            "systematics": Key(
                "bool", True, "EOT and efficiency uncertainties as nuisances (Cousins-Highland)"
            ),
            "rtol": Key("float", 1e-3, "MC precision of the yields", lo=1e-5, hi=0.5),
        },
    },
)


def add_parser(sub):
    common.add_experiment_parsers(
        sub,
        "limit",
        SCHEMA,
        selector="experiment",
        help="90%% CL upper limits against m_A'",
        description="90% CL upper limits against the dark-photon mass.",
        run=run,
        helps=EXPERIMENTS,
        extra=_scale_options,
    )


def _scale_options(parser, experiment):
    """Scale-out flags (``simulate.scale``) where a scan adapter exists: Borexino."""
    if experiment == "borexino":
        from darktmm.simulate import scale

        scale.add_scale_arguments(parser)


def run(args) -> int:
    cfg, card_text = common.resolve_args(args, SCHEMA, selector="experiment")
    cfg["_args"] = args
    common.check_outputs(cfg["out"], cfg["plot"], (".root",), force=args.force)
    if cfg["hepdata"]:
        common.check_folder(cfg["hepdata"], "--hepdata", force=args.force)
    exp = cfg["experiment"]
    table = {"borexino": _borexino, "xenonnt": _xenonnt, "babar": _babar, "na64": _na64}[exp](cfg)
    _write(cfg, card_text, table, force=args.force)
    return 0


class LimitTable:
    """The limits of one experiment in the one output shape: JSON points, ROOT columns, text."""

    def __init__(
        self, experiment, quantity, unit, header, points, columns, titles, info, detector, curves, lines
    ):
        self.experiment, self.quantity, self.unit, self.header = experiment, quantity, unit, header
        self.points, self.columns, self.titles, self.info = points, columns, titles, info
        self.detector, self.curves, self.lines = detector, curves, lines


def _borexino(cfg) -> LimitTable:
    from darktmm.detectors import borexino
    from darktmm.detectors import data as datamod

    o = cfg["borexino"]
    masses = o["masses"]
    if o["method"] == "spectral" and not datamod.available(borexino.DATA_FILE, cfg["data_dir"]):
        datamod.path(borexino.DATA_FILE, cfg["data_dir"])  # DataError saying where it looked
    args = cfg["_args"]
    with common.progress(len(masses), cfg["json"]) as tick, _executor(args) as ex:
        pts, info = _borexino_scan(
            args,
            ex,
            masses,
            data_dir=cfg["data_dir"],
            method=o["method"],
            treatment=o["treatment"],
            rtol=o["rtol"],
            seed=cfg["seed"],
            method_cl=o["cl_method"],
            systematics=o["systematics"],
            progress=tick,
        )
    if info["method"] == "rates" and o["method"] == "auto" and not cfg["json"]:
        print(
            "note: Borexino data files not found; using the built-in rate likelihood "
            "(pp, pep, 7Be rates, T > 0.19 MeV). Run 'darktmm data fetch' for the spectral fit.",
            file=sys.stderr,
        )
    return borexino_table(pts, info)


def borexino_table(pts, info) -> LimitTable:
    """The LimitTable of Borexino ``LimitPoint`` objects and the ``info`` of ``borexino.limit``."""
    from darktmm.detectors import borexino

    return direct_table("borexino", "Borexino", pts, info, borexino.describe(), 2.8e-11)


def _executor(args):
    from darktmm.simulate import scale

    return scale.executor_from_args(args)


def _borexino_scan(args, ex, masses, **kw):
    """Serial: ``borexino.limit``; with workers: the same points through ``scale.borexino_limit``
    (bit-identical JSON; checkpoint and resume)."""
    from darktmm.detectors import borexino
    from darktmm.simulate import scale

    if ex.kind == "serial" and not args.checkpoint:
        return borexino.limit(masses, **kw)
    return scale.borexino_limit(
        masses,
        executor=ex,
        checkpoint=args.checkpoint,
        resume=args.resume,
        points_per_task=args.points_per_task,
        **kw,
    )


def _xenonnt(cfg) -> LimitTable:

    from darktmm.detectors import xenonnt

    o = cfg["xenonnt"]
    with common.progress(len(o["masses"]), cfg["json"]) as tick:
        pts, info = xenonnt.limit(
            o["masses"],
            treatment=o["treatment"],
            nuisance=o["nuisance"],
            likelihood=o["likelihood"],
            rtol=o["rtol"],
            seed=cfg["seed"],
            data_dir=cfg["data_dir"],
            progress=tick,
        )
    t = direct_table(
        "xenonnt",
        "XENONnT SR0",
        pts,
        info,
        xenonnt.describe(o["treatment"], o["nuisance"]),
        xenonnt.PUBLISHED_LIMIT_MUB,
    )
    return t


def direct_table(exp, name, pts, info, detector, published) -> LimitTable:
    """The one output shape of the direct-detection limits (Borexino, XENONnT)."""
    import numpy as np

    band = ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")
    points = []
    for p in pts:
        q = {"m_ap_GeV": float(p.m_ap), "limit": float(p.limit)}
        for b in band:
            if hasattr(p, b):
                q[b] = float(getattr(p, b))
        points.append(q)
    cols = {
        "m_ap_GeV": np.array([q["m_ap_GeV"] for q in points]),
        "limit_muB": np.array([q["limit"] for q in points]),
    }
    titles = {
        "m_ap_GeV": "dark-photon mass m_A' [GeV]",
        "limit_muB": "90% CL upper limit on eps*mu_eff [mu_B]",
    }
    for b in band:
        if all(b in q for q in points):
            cols[f"{b}_muB"] = np.array([q[b] for q in points])
            titles[f"{b}_muB"] = f"Asimov {b.replace('_', ' ')} limit on eps*mu_eff [mu_B]"
    header = (
        f"{name} 90% CL upper limit on eps*mu_eff [muB] ({info['method']} likelihood, {info['treatment']})"
    )
    lines = [header, f"{'m_Ap [GeV]':>12s} {'limit':>11s} {'expected':>11s}"]
    lines += [f"{q['m_ap_GeV']:12.4g} {q['limit']:11.4g} {q.get('expected', math.nan):11.4g}" for q in points]
    lines.append(
        f"({len(pts)} masses in {info['timing_s']:.1f} s; {name}'s published photon limit {published:g} muB)"
    )
    info = {**info, "published_photon_limit_muB": published}
    curves = {"published": (f"{name} published (photon limit)", published)}
    return LimitTable(exp, "eps_mu_eff", "muB", header, points, cols, titles, info, detector, curves, lines)


def _accelerator_table(exp, pts, info, model, extra_cols, extra_titles, detector, header) -> LimitTable:
    import numpy as np

    points = [p.as_point() for p in pts]
    point_info = [
        {
            "m_ap_GeV": p.m_ap,
            "applicable": p.applicable,
            "eps_upper": p.eps_upper,
            "eps_invisible": p.eps_invisible,
            "decay_length_m": p.decay_length_m,
            "note": p.note,
        }
        for p in pts
    ]
    cols = {
        "m_ap_GeV": np.array([p.m_ap for p in pts]),
        "eps_limit": np.array([p.eps for p in pts]),
        "eps_upper": np.array([p.eps_upper for p in pts]),
        "eps_invisible": np.array([p.eps_invisible for p in pts]),
        "br_inv": np.array([p.br_inv for p in pts]),
        "p_inv": np.array([p.p_inv for p in pts]),
        "decay_length_m": np.array([p.decay_length_m for p in pts]),
        "applicable": np.array([p.applicable for p in pts], dtype=bool),
        **extra_cols,
    }
    titles = {
        "m_ap_GeV": "dark-photon mass m_A' [GeV]",
        "eps_limit": "90% CL lower edge of the excluded kinetic mixing eps [1] (inf: not constrained)",
        "eps_upper": "upper edge of the excluded eps band [1] (inf: up to eps = 1)",
        "eps_invisible": "90% CL limit on eps for P_inv = 1 [1]",
        "br_inv": "BR(A' -> invisible) at the limit [1]",
        "p_inv": "P_inv = BR_inv + BR_vis exp(-L_det/l) at the limit [1]",
        "decay_length_m": "A' lab decay length at the limit [m]",
        "applicable": "the invisible search constrains this model point [bool]",
        **extra_titles,
    }
    lines = [
        header,
        f"{'m_Ap [GeV]':>12s} {'eps limit':>11s} {'eps(P_inv=1)':>12s} {'BR_inv':>10s} {'P_inv':>10s}  note",
    ]
    for p in pts:
        lines.append(
            f"{p.m_ap:12.4g} {p.eps:11.4g} {p.eps_invisible:12.4g} {p.br_inv:10.4g} {p.p_inv:10.4g}  {p.note}"
        )
    lines.append(f"({len(pts)} masses in {info['timing_s']:.1f} s)")
    info = {"model": model, "point_info": point_info, **info}
    t = LimitTable(exp, "eps", "1 (kinetic mixing)", header, points, cols, titles, info, detector, {}, lines)
    t.eps_invisible = [p.eps_invisible for p in pts]
    return t


def _babar(cfg) -> LimitTable:

    from darktmm.detectors import babar
    from darktmm.spectra.validate import ParameterError

    o = cfg["babar"]
    s_max = max(r.s for r in babar.RESONANCES.values())
    for m in o["masses"]:
        if m**2 >= s_max:
            raise ParameterError(
                f"--masses: m_A'^2 = {m**2:g} GeV^2 >= s = {s_max:g} GeV^2: e+e- -> gamma A' is closed at BaBar"
            )
    with common.progress(len(o["masses"]), cfg["json"]) as tick:
        pts, info = babar.limit(
            o["masses"],
            gamma_dark=o["gamma_dark"],
            mu_D_muB=o["mu_d"] or None,
            L_det_m=o["l_det"],
            data_dir=cfg["data_dir"],
            progress=tick,
        )
    header = f"BaBar 2017 single photon, 90% CL recast (Gamma_dark = {o['gamma_dark']:g} GeV, mu_D = {o['mu_d']:g} muB)"
    return babar_table(pts, info, header=header, model=_flat_model(o))


def _flat_model(o) -> dict:
    return {"gamma_dark_GeV": o["gamma_dark"], "mu_D_muB": o["mu_d"], "mu_D_convention": "flavour blind"}


def babar_table(pts, info, *, header: str, model: dict) -> LimitTable:
    """The LimitTable of BaBar ``EpsLimit`` objects (``babar.limit`` or ``babar.eps_max``)."""
    import numpy as np

    from darktmm.detectors import babar

    cols = {
        "eps_ul_published": np.array([p.extra.get("eps_ul_published", math.nan) for p in pts]),
        "sigma_ul_acc_3S_fb": np.array([p.extra.get("sigma_ul_acc_fb", {}).get("3S", math.nan) for p in pts]),
    }
    titles = {
        "eps_ul_published": "BaBar published 90% CL eps_UL for BR_inv = 1 [1]",
        "sigma_ul_acc_3S_fb": "sigma_UL in the acceptance at the Upsilon(3S) [fb]",
    }
    t = _accelerator_table("babar", pts, info, model, cols, titles, babar.describe(), header)
    t.info["expected_band"] = (
        "none: BaBar is recast from its published observed curve; no expected limit is available"
    )
    return t


def _na64(cfg) -> LimitTable:

    from darktmm.detectors import na64
    from darktmm.spectra.validate import ParameterError

    o = cfg["na64"]
    E0 = na64.DATASET.E0
    for m in o["masses"]:
        if not m > 0:
            raise ParameterError("--masses: NA64 masses must be > 0")
        if m > E0:
            raise ParameterError(f"--masses: m_A' = {m:g} GeV > E0 = {E0:g} GeV: NA64 cannot produce it")
    with common.progress(len(o["masses"]), cfg["json"]) as tick:
        pts, info = na64.limit(
            o["masses"],
            gamma_dark=o["gamma_dark"],
            mu_D_muB=o["mu_d"] or None,
            L_det_m=o["l_det"],
            efficiency=o["efficiency"],
            annihilation=o["annihilation"],
            systematics=o["systematics"],
            rtol=o["rtol"],
            seed=cfg["seed"],
            progress=tick,
        )
    header = (
        f"NA64 2023 (9.37e11 EOT, 0 events), 90% CL recast (Gamma_dark = {o['gamma_dark']:g} GeV, "
        f"mu_D = {o['mu_d']:g} muB{', with e+ annihilation' if o['annihilation'] else ''})"
    )
    return na64_table(pts, info, header=header, model=_flat_model(o), efficiency=o["efficiency"])


def na64_table(pts, info, *, header: str, model: dict, efficiency=None) -> LimitTable:
    """The LimitTable of NA64 ``EpsLimit`` objects (``na64.limit`` or ``na64.eps_max``);
    ``efficiency`` as given to them (None: the calibrated one)."""
    import numpy as np

    from darktmm.detectors import na64

    cols = {
        "Y1_per_eot": np.array([p.extra.get("Y1_brem_per_eot", math.nan) for p in pts]),
        "Y1_annihilation_per_eot": np.array([p.extra.get("Y1_annihilation_per_eot", math.nan) for p in pts]),
        "efficiency": np.array([p.extra.get("efficiency", math.nan) for p in pts]),
        **{
            k: np.array([p.extra.get(k, math.nan) for p in pts])
            for k in ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")
        },
    }
    titles = {
        "expected": "median expected 90% CL limit on eps (Poisson background expectation) [1]",
        **{
            f"expected_{b}": f"expected limit on eps, {b[0] == 'm' and '-' or '+'}{b[1]} sigma edge of the band [1]"
            for b in ("m2", "m1", "p1", "p2")
        },
        "Y1_per_eot": "dark-brem yield per EOT per eps^2, E_miss,rec > 50 GeV [1]",
        "Y1_annihilation_per_eot": "resonant annihilation yield per EOT per eps^2 [1]",
        "efficiency": "signal efficiency used [1]",
    }
    return _accelerator_table("na64", pts, info, model, cols, titles, na64.describe(efficiency), header)


def _write(cfg, card_text, t: LimitTable, *, force: bool) -> None:
    summary = json_summary(t)
    if cfg["out"]:
        write_root(cfg["out"], t, summary, seed=cfg["seed"], card_text=card_text)
    if cfg["hepdata"]:
        _hepdata(cfg, t, force)
    if cfg["plot"]:
        from darktmm.simulate import plots

        plots.limit_plot(cfg["plot"], t, data_dir=cfg["data_dir"])
    common.emit(cfg["json"], summary, "\n".join(t.lines))


def json_summary(t: LimitTable) -> dict:
    """The ``--json`` summary of a LimitTable."""
    return {
        "experiment": t.experiment,
        "quantity": t.quantity,
        "unit": t.unit,
        "cl": 0.9,
        "points": t.points,
        **{k: v for k, v in t.info.items() if k != "points"},
    }


def write_root(path, t: LimitTable, summary: dict, *, seed: int, card_text: str | None, command=None) -> None:
    """The ROOT file of ``limit --out``: TTree ``limits`` and ``runinfo`` (summary, versions, card)."""
    from darktmm.simulate import rootio

    with rootio.atomic_root(path) as f:
        rootio.write_tree(f, "limits", t.columns, title=t.header, branch_titles=t.titles)
        meta = {
            "command": command or f"limit {t.experiment}",
            "seed": seed,
            **{k: v for k, v in t.info.items() if not isinstance(v, (dict, list)) and not k.startswith("_")},
            **common.versions(),
            "detector": t.detector,
            "summary": summary,
        }
        rootio.write_runinfo(f, meta, card_toml=card_text)


def _hepdata(cfg, t: LimitTable, force: bool) -> None:
    from darktmm.simulate import hepdata

    hepdata.write_submission(cfg["hepdata"], [hepdata_curve(t)], overwrite=force)


#: HEPData experiment names.
HEPDATA_EXPERIMENTS = {
    "borexino": "Borexino Phase II",
    "xenonnt": "XENONnT SR0",
    "babar": "BaBar 2017",
    "na64": "NA64 2023",
}


def hepdata_curve(t: LimitTable):
    """The ``simulate.hepdata.LimitCurve`` of a LimitTable (observed, expected band if any)."""
    import numpy as np

    from darktmm.simulate import hepdata

    m = np.array([q["m_ap_GeV"] for q in t.points])
    y = np.array([q["limit"] if q["limit"] is not None else math.inf for q in t.points], dtype=float)
    band = {}
    if all("expected_m1" in q for q in t.points):
        band["band_1sigma"] = (
            np.array([q["expected_m1"] for q in t.points]),
            np.array([q["expected_p1"] for q in t.points]),
        )
        band["band_2sigma"] = (
            np.array([q["expected_m2"] for q in t.points]),
            np.array([q["expected_p2"] for q in t.points]),
        )
    exp = np.array([q["expected"] for q in t.points]) if all("expected" in q for q in t.points) else None
    borexino = t.unit == "muB"  # eps*mu_eff (Borexino, XENONnT), else eps
    return hepdata.LimitCurve(
        name=f"{t.experiment} limit (90 percent CL)",
        experiment=HEPDATA_EXPERIMENTS.get(t.experiment, t.experiment),
        x_name="m_A'",
        x_unit="GeV",
        x_values=m,
        y_name="eps*mu_eff upper limit" if borexino else "eps upper limit",
        y_unit="mu_B" if borexino else "",
        y_values=y,
        expected=exp,
        **band,
        cl=0.9,
        qualifiers={
            k: str(v) for k, v in t.info.items() if isinstance(v, (str, int, float)) and k != "timing_s"
        },
        description=t.header,
        citation="; ".join(t.detector.get("citations", [t.detector.get("citation", "")])),
        band_note="" if exp is not None else t.info.get("expected_band", "no expected band available"),
    )
