"""``darktmm constraints --card model.toml``: the constraint hierarchy on eps*|mu_D^(e mu)|.

Per m_A': eps_max from BaBar and NA64 with the model's own P_inv, mu_D,max from MEG II, their
product, the Borexino bound on eps*mu_D at the same mass, the dominant probe and by how many
orders of magnitude. The physics and the combination live in :mod:`darktmm.detectors.constraints`;
this module reads the card (:mod:`darktmm.simulate.modelcard`), prints, writes and plots.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass

from darktmm.simulate import common, modelcard
from darktmm.simulate.cards import Key

SCHEMA = modelcard.schema(
    "constraints",
    {
        **common.run_keys(),
        "hepdata": Key("str", None, "write a HEPData submission of the hierarchy into this folder"),
        "plot_direct": Key(
            "str", None, "draw the Borexino and XENONnT bounds and their crossing (.png/.pdf/.svg)"
        ),
    },
)


def add_parser(sub):
    from darktmm.simulate import cards

    p = sub.add_parser(
        "constraints",
        help="MEG II x accelerator (NA64, BaBar) bound on eps*mu_D against Borexino, per m_A'",
        description="The constraint hierarchy of a UV model point (model card: see examples/bm1.toml).",
    )
    cards.add_options(p, SCHEMA.keys_of(""))
    for sec in ("scan", "meg", "borexino", "dark_photon"):
        cards.add_options(p, SCHEMA.keys_of(sec), group=f"[{sec}] options")
    common.add_cli_only(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from darktmm.detectors import constraints as cons
    from darktmm.detectors import data as datamod
    from darktmm.spectra.validate import ParameterError

    t0 = time.perf_counter()
    cfg, card_text = modelcard.resolve_model_args(args, SCHEMA)
    common.check_outputs(cfg["out"], cfg["plot"], (".root",), force=args.force)
    if cfg["hepdata"]:
        common.check_folder(cfg["hepdata"], "--hepdata", force=args.force)
    s = prepare(cfg)
    if s.note:
        print(s.note, file=sys.stderr)
    masses = s.masses
    bar = common.progress_bar(2 * len(masses), cfg["json"], unit="step")
    tick = bar.update if bar else None
    bx = cons.borexino_bounds(masses, s.shape_mass, progress=tick, **borexino_options(cfg, s))
    xe, direct, crossing = None, None, None
    if datamod.available(XENONNT_DATA, cfg["data_dir"]):
        xe = cons.xenonnt_bounds(masses, s.shape_mass, **xenonnt_options(cfg))
        direct = cons.direct_probes(bx, xe)
        crossing = cons.xenonnt_borexino_crossing(bx, xe)
    elif not cfg["json"]:
        print("note: XENONnT data files not found; the XENONnT bound is not computed", file=sys.stderr)
    pts, info = cons.hierarchy(
        masses, s.cap, experiments=s.experiments, gamma_dark=s.gamma_dark, borexino=bx, progress=tick
    )
    if bar:
        bar.close()
    if not masses:
        raise ParameterError("--masses is empty")
    summary = make_summary(
        cfg, str(args.card), s, pts, info, time.perf_counter() - t0, xe=xe, direct=direct, crossing=crossing
    )
    names = info["experiments"]
    bench = summary["benchmark"]
    if cfg["out"]:
        write_root(cfg["out"], pts, names, s.cap, summary, card_text, direct)
    if cfg["plot_direct"]:
        if xe is None:
            raise ParameterError("--plot-direct needs the XENONnT data files (darktmm data fetch)")
        from darktmm.simulate import plots

        plots.direct_probes_plot(cfg["plot_direct"], masses, bx.bounds, xe.bounds, crossing)
    if cfg["hepdata"]:
        from darktmm.simulate import hepdata

        tab = hepdata_table(pts, bench or str(args.card), bx.method)
        hepdata.write_submission(cfg["hepdata"], [tab], overwrite=args.force)
    if cfg["plot"]:
        from darktmm.simulate import plots

        plots.hierarchy_plot(cfg["plot"], pts, names, s.cap, title=bench, bx_method=bx.method)
    table = table_text(pts, names, s.cap, summary, s.gamma_desc)
    if direct is not None:
        table += "\n" + direct_table_text(direct, crossing)
    common.emit(cfg["json"], summary, table)
    return 0


#: The XENONnT file whose presence switches the XENONnT bound on.
XENONNT_DATA = "xenonnt/data_unbinned_1to30kev.txt"


@dataclass
class Setup:
    """What a hierarchy run needs, resolved from the card (see :func:`prepare`)."""

    masses: object  # GeV array
    cap: object  # detectors.constraints.MuDCap
    gamma_dark: object  # m [GeV] -> Gamma_dark [GeV]
    gamma_desc: str
    experiments: dict
    method: str  # the Borexino likelihood used: spectral | rates
    note: str  # a line for stderr ("" if none)

    @property
    def shape_mass(self):
        """The mass-basis moment matrix normalised to |mu_D^(e mu)| = 1."""
        return self.cap.matrix_mass_muB / self.cap.mu_D_max_muB


def prepare(cfg) -> Setup:
    """Check and resolve a model-card configuration for the hierarchy: the MEG II cap, the dark
    width, the searches and the Borexino likelihood ('auto' resolved). Prints nothing."""
    from darktmm.detectors import constraints as cons
    from darktmm.detectors import data as datamod
    from darktmm.spectra.validate import check_range

    bx_card = cfg["borexino"]
    masses = cfg["scan"]["masses"]
    method, flavour = bx_card["method"], bx_card["flavour"]
    if method == "spectral" or flavour == "exact":
        datamod.path(
            "borexino/phase2_spectrum/phase2_fig6a_components.csv", cfg["data_dir"]
        )  # DataError if missing
    cap = modelcard.cap_from_card(cfg)
    gfun, gdesc = modelcard.gamma_dark_function(cfg, cap.model.g_D)
    for m in masses:
        check_range("gamma_dark", gfun(m), 0.0, None, unit="GeV")
    experiments = cons.default_experiments()
    bx_used, note = method, ""
    if method == "auto":
        bx_used = (
            "spectral"
            if datamod.available("borexino/phase2_spectrum/phase2_fig6a_components.csv", cfg["data_dir"])
            else "rates"
        )
        if bx_used == "rates":
            note = (
                "note: Borexino data files not found; using the built-in rate likelihood "
                "(run 'darktmm data fetch' for the spectral fit)"
            )
    return Setup(masses, cap, gfun, gdesc, experiments, bx_used, note)


def borexino_options(cfg, s: Setup) -> dict:
    """The keyword arguments of ``detectors.constraints.borexino_bounds`` for this card."""
    o = cfg["borexino"]
    sc = o["scaling_above"]
    return {
        "flavour": o["flavour"],
        "method": s.method,
        "treatment": o["treatment"],
        "data_dir": cfg["data_dir"],
        "rtol": o["rtol"],
        "seed": cfg["seed"],
        "scaling_above": None if sc == "off" else sc,
    }


def xenonnt_options(cfg) -> dict:
    """The keyword arguments of ``detectors.constraints.xenonnt_bounds`` for this card."""
    return {"data_dir": cfg["data_dir"], "rtol": max(cfg["borexino"]["rtol"], 1e-3), "seed": cfg["seed"]}


def make_summary(cfg, card: str, s: Setup, pts, info, elapsed: float, *, xe=None, direct=None, crossing=None):
    """The JSON summary of a hierarchy run (the ``--json`` output of ``constraints``)."""
    from darktmm.detectors import constraints as cons

    return {
        "command": "constraints",
        "benchmark": _benchmark_name(cfg),
        "card": card,
        "quantity": cons.QUANTITY,
        "unit": "muB",
        "mass_unit": "GeV",
        "mu_D_cap": s.cap.summary(),
        "gamma_dark": s.gamma_desc,
        "experiments": info["experiments"],
        "codes": {str(k): v for k, v in info["codes"].items()},
        "borexino": info["borexino"],
        "points": [
            {
                **p.summary(),
                **(
                    {
                        "xenonnt_muB": d.xenonnt_muB,
                        "dominant_direct": d.dominant,
                        "log10_borexino_over_xenonnt": d.log10_ratio,
                    }
                    if d is not None
                    else {}
                ),
            }
            for p, d in zip(pts, direct or [None] * len(pts))
        ],
        "xenonnt": None
        if xe is None
        else {
            "method": xe.method,
            "flavour": xe.flavour,
            **{k: v for k, v in xe.info.items() if isinstance(v, (str, int, float))},
        },
        "direct_probe_crossing_GeV": crossing,
        "seed": cfg["seed"],
        "timing_s": elapsed,
    }


def hepdata_table(pts, benchmark: str, bx_method: str):
    """The HEPData table of the hierarchy (``simulate.hepdata.hierarchy_table``)."""
    from darktmm.simulate import hepdata

    return hepdata.hierarchy_table(pts, qualifiers={"benchmark": benchmark, "Borexino likelihood": bx_method})


# --- formatting -------------------------------------------------------------------------------
def _g(x, fmt="{:9.3g}", na="n/a"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"{na:>9s}"
    if isinstance(x, float) and math.isinf(x):
        return f"{'none':>9s}"
    return fmt.format(x)


def _benchmark_name(cfg) -> str:
    return str(cfg["benchmark"].get("name") or "")


def table_text(pts, names, cap, summary, gdesc) -> str:
    """The hierarchy as the text table ``constraints`` prints."""
    from darktmm.detectors import constraints as cons

    bx = summary["borexino"]
    name = summary["benchmark"] or summary["card"]
    lines = [
        f"Constraint hierarchy on eps*|mu_D^(e mu)| [muB]: {name}",
        f"MEG II cap ({cap.prescription}, binding {cap.channel}): |mu_D^(e mu)| < {cap.mu_D_max_muB:.4g} muB "
        f"= {cap.mu_D_max_GeV:.4g} GeV^-1; P_max = {cap.P_max:.3g} ({'perturbative' if cap.perturbative else 'NON-perturbative'})",
        f"A' invisible width: TMM (at mu_D,max) + {gdesc}",
        f"Borexino: {bx['method']} likelihood, flavour '{bx['flavour']}'"
        + (
            f" (kappa = mu_eff/|mu_emu| = {bx['kappa_mu_eff_over_mu_emu']:.3f})"
            if "kappa_mu_eff_over_mu_emu" in bx
            else ""
        )
        + (
            f"; bound scaled as m^2 above {bx['scaling_above_GeV']:g} GeV"
            if bx.get("scaling_above_GeV")
            else ""
        ),
    ]
    head = f"{'m_Ap[GeV]':>10s}"
    for n in names:
        head += f" {'eps ' + n:>10s} {'Pinv ' + n:>10s}"
    head += f" {'(eps muD)max':>12s} {'Borexino':>10s}  {'dominant':<16s} {'log10(Bx/syn)':>13s}"
    lines.append(head)
    for p in pts:
        row = f"{p.m_ap:10.4g}"
        for n in names:
            lim = p.accelerator[n]
            e = float(lim.eps) if cons.constrains(lim) else math.nan
            pin = getattr(lim, "p_inv", None)
            row += f" {_g(e, '{:10.3g}'):>10s} {_g(None if pin is None else float(pin), '{:10.3g}'):>10s}"
        ratio = "" if math.isnan(p.log10_ratio) else f"{p.log10_ratio:+13.2f}"
        row += f" {_g(p.product_muB, '{:12.3g}'):>12s} {_g(p.borexino_muB, '{:10.3g}'):>10s}  {p.dominant:<16s} {ratio:>13s}"
        lines.append(row)
    na = sorted({n for p in pts for n in names if not cons.constrains(p.accelerator[n])})
    if na:
        lines.append(
            "n/a: the invisible search does not apply at that mass (the A' decays visibly inside the detector, "
            "or the mass is outside the search); see --json notes"
        )
    lines.append(f"({len(pts)} masses in {summary['timing_s']:.1f} s)")
    return "\n".join(lines)


def direct_table_text(direct, crossing) -> str:
    """The two direct probes per mass: Borexino, XENONnT, the stronger, and where they cross."""
    lines = [
        "direct detection (solar-nu electron recoils) on eps*|mu_D^(e mu)| [muB]:",
        f"{'m_Ap[GeV]':>10s} {'Borexino':>10s} {'XENONnT':>10s}  {'stronger':<9s}",
    ]
    for d in direct:
        lines.append(f"{d.m_ap:10.4g} {d.borexino_muB:10.3g} {d.xenonnt_muB:10.3g}  {d.dominant:<9s}")
    lines.append(
        f"XENONnT and Borexino cross at m_A' = {crossing:.3g} GeV (XENONnT stronger below)"
        if crossing
        else "the XENONnT and Borexino bounds do not cross in this mass range"
    )
    return "\n".join(lines)


def write_root(path, pts, names, cap, summary, card_text, direct=None):
    """The ROOT file of ``constraints --out``: TTree ``hierarchy`` and ``runinfo``."""
    import numpy as np

    from darktmm.detectors import constraints as cons
    from darktmm.simulate import rootio
    from darktmm.spectra.constants import MU_B

    def col(f, dtype=np.float64):
        return np.array([f(p) for p in pts], dtype=dtype)

    def eps_raw(lim):
        e = getattr(lim, "eps", None)
        return math.inf if e is None else float(e)

    code_text = ", ".join(f"{k}={v}" for k, v in cons.code_table(names).items())
    cols = {"m_ap_GeV": col(lambda p: p.m_ap)}
    titles = {"m_ap_GeV": "dark-photon mass m_A' [GeV]"}
    for n in names:
        cols[f"eps_{n}"] = col(lambda p, n=n: eps_raw(p.accelerator[n]))
        cols[f"eps_upper_{n}"] = col(lambda p, n=n: _num(getattr(p.accelerator[n], "eps_upper", None)))
        cols[f"eps_invisible_{n}"] = col(
            lambda p, n=n: _num(getattr(p.accelerator[n], "eps_invisible", None))
        )
        cols[f"p_inv_{n}"] = col(lambda p, n=n: _num(getattr(p.accelerator[n], "p_inv", None)))
        cols[f"br_inv_{n}"] = col(lambda p, n=n: _num(getattr(p.accelerator[n], "br_inv", None)))
        cols[f"applicable_{n}"] = col(lambda p, n=n: int(bool(p.accelerator[n].applicable)), np.int32)
        cols[f"product_{n}_muB"] = col(lambda p, n=n: p.products.get(n, math.inf))
        titles |= {
            f"eps_{n}": f"{n}: largest allowed eps, model's own P_inv (inf: no bound)",
            f"eps_upper_{n}": f"{n}: upper end of the excluded eps band (inf: up to eps = 1)",
            f"eps_invisible_{n}": f"{n}: published limit for P_inv = 1 (not used for the bound)",
            f"p_inv_{n}": f"{n}: P_inv at eps_{n} [1]",
            f"br_inv_{n}": f"{n}: BR_inv at eps_{n} [1]",
            f"applicable_{n}": f"{n}: 1 if the invisible search applies at this mass",
            f"product_{n}_muB": f"eps_{n} x mu_D,max [mu_B] (inf: no bound)",
        }
    cols |= {
        "eps_max": col(lambda p: p.eps_max),
        "mu_D_max_muB": col(lambda p: p.mu_D_max_muB),
        "mu_D_max_GeV": col(lambda p: p.mu_D_max_muB * MU_B),
        "product_muB": col(lambda p: p.product_muB),
        "borexino_muB": col(lambda p: p.borexino_muB),
        "dominant": col(lambda p: p.dominant_code, np.int32),
        "log10_ratio": col(lambda p: p.log10_ratio),
        "orders": col(lambda p: p.orders),
    }
    if direct is not None:
        code = {"none": 0, "Borexino": 1, "XENONnT": 2}
        cols["xenonnt_muB"] = np.array([d.xenonnt_muB for d in direct])
        cols["dominant_direct"] = np.array([code[d.dominant] for d in direct], dtype=np.int32)
        titles["xenonnt_muB"] = "XENONnT SR0 90% CL bound on eps*|mu_D^(e mu)| [mu_B]"
        titles["dominant_direct"] = "stronger direct probe: 0=none, 1=Borexino, 2=XENONnT"
    titles |= {
        "eps_max": "min eps over the searches that apply (inf: none)",
        "mu_D_max_muB": f"MEG II cap on |mu_D^(e mu)| [mu_B] ({cap.prescription})",
        "mu_D_max_GeV": "MEG II cap on |mu_D^(e mu)| [GeV^-1]",
        "product_muB": "(eps mu_D)_max = eps_max x mu_D,max [mu_B] (inf: no bound)",
        "borexino_muB": "Borexino 90% CL bound on eps*|mu_D^(e mu)| [mu_B]",
        "dominant": f"dominant probe code: {code_text}",
        "log10_ratio": "log10(Borexino/product): > 0 when MEG II x accelerator dominates (nan: one missing)",
        "orders": "|log10_ratio|: orders of magnitude between the probes",
    }
    with rootio.atomic_root(path) as f:
        rootio.write_tree(
            f,
            "hierarchy",
            cols,
            title=f"darktmm constraint hierarchy on eps*|mu_D^(e mu)| [mu_B]; dominant: {code_text}; inf = no bound",
            branch_titles=titles,
        )
        rootio.write_runinfo(
            f,
            {**summary, **common.versions(), "dominant_codes": code_text, "detector": cons.describe(names)},
            card_toml=card_text,
        )


def _num(v) -> float:
    return math.nan if v is None else float(v)
