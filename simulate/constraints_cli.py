"""``darktmm constraints`` and ``darktmm model``: the constraint hierarchy and the UV model point.

Plugin of :mod:`simulate.cli` (``PLUGINS``): :func:`add_parsers` adds the sub-commands and
:data:`HANDLERS` maps them to their runs. Physics and combination live in
:mod:`detectors.constraints`; this module reads the card, prints, writes and plots.

Run card (TOML; every section and key is checked, unknown ones are errors)::

    [benchmark]   name = "BM1", description = "..."
    [uv]          M_F, m1, m2 ("inf" allowed), theta [rad], g_D, Q_D, y, yp   (spectra.uv.UVModel)
    [meg]         prescription = "benchmark" | "full" | "model"
    [dark_photon] gamma_dark = "1keV" | gamma_dark_over_m = 1e-4 |
                  dark_fermion_charge = 0.01 (+ dark_fermion_mass = "1keV")     (at most one kind)
    [scan]        masses = "1e-3:5:40GeV"; [scan.uv] M_F = [...], m1 = [...]  (UV grid)
    [borexino]    method = "auto"|"spectral"|"rates", flavour = "effective"|"exact",
                  treatment = "ssm"|"ga"|"free", rtol = 1e-2, scaling_above = "0.1GeV" | "off"

Command-line options override the card.
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

from darktmm.detectors import constraints as cons
from darktmm.detectors import data as datamod
from darktmm.detectors import meg
from darktmm.simulate import rootio
from darktmm.simulate.cards import read_toml
from darktmm.simulate.runs import progress_bar
from darktmm.simulate.units import parse_energy, parse_mass_range
from darktmm.spectra import uv
from darktmm.spectra.constants import MU_B
from darktmm.spectra.model import NUFIT52, flavour_to_mass
from darktmm.spectra.validate import ParameterError, check_range

DEFAULT_MASSES = "1e-3:5:40GeV"
DEFAULT_RTOL = 1e-2

#: Allowed keys per card section ("uv" is checked by UVModel.from_dict, "scan.uv" by the scan).
CARD_KEYS = {
    "benchmark": {"name", "description"},
    "uv": None,
    "meg": {"prescription"},
    "dark_photon": {"gamma_dark", "gamma_dark_over_m", "dark_fermion_charge", "dark_fermion_mass"},
    "scan": {"masses", "uv"},
    "borexino": {"method", "flavour", "treatment", "rtol", "scaling_above"},
}


# --- parsers ----------------------------------------------------------------------------------
def add_parsers(sub, common):
    c = sub.add_parser(
        "constraints",
        help="MEG II x accelerator (NA64, BaBar) bound on eps*mu_D against Borexino, per m_A'",
    )
    c.add_argument(
        "--masses", default=None, help=f"lo:hi:n with unit, or a comma list (default {DEFAULT_MASSES})"
    )
    c.add_argument(
        "--prescription", default=None, help="MEG II cap: benchmark | full | model (default benchmark)"
    )
    c.add_argument(
        "--method", default=None, help="Borexino likelihood: auto | spectral | rates (default auto)"
    )
    c.add_argument("--flavour", default=None, help="Borexino flavour treatment: effective | exact")
    c.add_argument("--treatment", default=None, help="Borexino pp/7Be priors: ssm | ga | free")
    c.add_argument(
        "--rtol", type=float, default=None, help=f"Borexino per-bin MC precision (default {DEFAULT_RTOL})"
    )
    c.add_argument(
        "--gamma-dark", default=None, help="extra invisible A' width with unit (overrides the card)"
    )
    c.add_argument(
        "--scaling-above",
        default=None,
        help="Borexino bound scaled as m^2 above this mass (default 0.1GeV; 'off' computes every mass)",
    )
    common(c)
    m = sub.add_parser(
        "model", help="the UV model point: mu_D, BR(l -> l' gamma) against limits, radiative mass"
    )
    common(m)


# --- card -------------------------------------------------------------------------------------
def load_card(path) -> tuple[dict, str]:
    """Read and check a TOML card: (dict, text). Unknown sections or keys are ParameterErrors."""
    if not path:
        raise ParameterError("this command needs --card model.toml (see examples/bm1.toml)")
    p = Path(path)
    card, text = read_toml(p)
    unknown = sorted(set(card) - set(CARD_KEYS))
    if unknown:
        raise ParameterError(f"--card {p}: unknown section(s) {unknown}; allowed are {sorted(CARD_KEYS)}")
    for sec, keys in CARD_KEYS.items():
        if sec not in card:
            continue
        if not isinstance(card[sec], dict):
            raise ParameterError(f"--card {p}: [{sec}] must be a table")
        if keys is not None:
            bad = sorted(set(card[sec]) - keys)
            if bad:
                raise ParameterError(
                    f"--card {p}: unknown key(s) {bad} in [{sec}]; allowed are {sorted(keys)}"
                )
    if "uv" not in card:
        raise ParameterError(f"--card {p}: missing the [uv] section (M_F, m1, m2, theta, ...)")
    return card, text


def uv_model(card) -> uv.UVModel:
    try:
        return uv.UVModel.from_dict(dict(card["uv"]))
    except ParameterError as exc:
        raise ParameterError(f"card [uv]: {exc}") from None
    except TypeError as exc:  # pragma: no cover - from_dict checks keys first
        raise ParameterError(f"card [uv]: {exc}") from None


def _energy(value, name) -> float:
    if isinstance(value, bool):
        raise ParameterError(f"{name} = {value!r} is not an energy")
    if isinstance(value, (int, float)):
        return check_range(name, value, 0.0, None, unit="GeV")
    return check_range(name, parse_energy(str(value), name), 0.0, None, unit="GeV")


def gamma_dark_function(card, override=None, g_D: float = 1.0):
    """m -> Gamma_dark [GeV] from the [dark_photon] section or --gamma-dark; and a description."""
    if override is not None:
        w = _energy(override, "--gamma-dark")
        return (lambda m: w), f"Gamma_dark = {w:g} GeV (command line)"
    sec = card.get("dark_photon", {})
    kinds = [k for k in ("gamma_dark", "gamma_dark_over_m", "dark_fermion_charge") if k in sec]
    if len(kinds) > 1:
        raise ParameterError(f"card [dark_photon]: give only one of {kinds}")
    if "dark_fermion_mass" in sec and "dark_fermion_charge" not in sec:
        raise ParameterError("card [dark_photon]: dark_fermion_mass needs dark_fermion_charge")
    if not kinds:
        return (lambda m: 0.0), "Gamma_dark = 0 (TMM width only)"
    k = kinds[0]
    if k == "gamma_dark":
        w = _energy(sec[k], "[dark_photon] gamma_dark")
        return (lambda m: w), f"Gamma_dark = {w:g} GeV"
    if k == "gamma_dark_over_m":
        r = check_range("[dark_photon] gamma_dark_over_m", sec[k], 0.0, 1.0)
        return (lambda m: r * m), f"Gamma_dark = {r:g} m_A'"
    q = check_range("[dark_photon] dark_fermion_charge", sec[k], 0.0, None)
    mchi = _energy(sec.get("dark_fermion_mass", 0.0), "[dark_photon] dark_fermion_mass")
    return (
        lambda m: cons.dark_fermion_width(m, g_D, q, mchi),
        f"Gamma_dark = A' -> chi chibar, light dark Dirac fermion, Q_chi = {q:g}, m_chi = {mchi:g} GeV, "
        f"alpha_D = g_D^2/4pi = {g_D**2 / (4 * math.pi):.4g} (not part of the paper's UV model)",
    )


def _choice(name, value, allowed):
    if value not in allowed:
        raise ParameterError(f"{name} = {value!r} is not one of {', '.join(allowed)}")
    return value


def cap_from_card(card, prescription=None) -> cons.MuDCap:
    model = uv_model(card)
    pres = prescription or card.get("meg", {}).get("prescription", "benchmark")
    _choice("prescription", pres, cons.PRESCRIPTIONS)
    grid = card.get("scan", {}).get("uv")
    if grid is not None:
        try:
            return cons.mu_D_cap_scan(model, grid, pres)
        except ParameterError as exc:
            raise ParameterError(f"card [scan.uv]: {exc}") from None
    return cons.mu_D_cap(model, pres)


# --- formatting -------------------------------------------------------------------------------
def _g(x, fmt="{:9.3g}", na="n/a"):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return f"{na:>9s}"
    if isinstance(x, float) and math.isinf(x):
        return f"{'none':>9s}"
    return fmt.format(x)


def _benchmark_name(card) -> str:
    return str(card.get("benchmark", {}).get("name", ""))


# --- constraints ------------------------------------------------------------------------------
def constraints_cmd(args) -> int:
    t0 = time.perf_counter()
    card, card_text = load_card(args.card)
    if args.out:
        rootio.check_writable(args.out)
    if args.plot:
        rootio.check_writable(args.plot)
    bx_card = card.get("borexino", {})
    masses_txt = args.masses or card.get("scan", {}).get("masses", DEFAULT_MASSES)
    masses = parse_mass_range(str(masses_txt), "--masses")
    for m in masses:
        check_range("--masses", m, 0.0, None, unit="GeV")
    method = _choice("--method", args.method or bx_card.get("method", "auto"), ("auto", "spectral", "rates"))
    flavour = _choice(
        "--flavour", args.flavour or bx_card.get("flavour", "effective"), cons.FLAVOUR_TREATMENTS
    )
    treatment = _choice(
        "--treatment", args.treatment or bx_card.get("treatment", "ssm"), ("ssm", "ga", "free")
    )
    rtol = check_range(
        "--rtol", args.rtol if args.rtol is not None else bx_card.get("rtol", DEFAULT_RTOL), 1e-5, 0.5
    )
    sc = (
        args.scaling_above
        if args.scaling_above is not None
        else bx_card.get("scaling_above", cons.SCALING_ABOVE)
    )
    scaling = None if str(sc).strip().lower() in ("off", "none") else _energy(sc, "--scaling-above")
    if scaling == 0.0:
        raise ParameterError("--scaling-above must be > 0 GeV, or 'off'")
    if method == "spectral" or flavour == "exact":
        datamod.path(
            "borexino/phase2_spectrum/phase2_fig6a_components.csv", args.data_dir
        )  # DataError if missing
    cap = cap_from_card(card, args.prescription)
    gfun, gdesc = gamma_dark_function(card, args.gamma_dark, cap.model.g_D)
    for m in masses:
        check_range("gamma_dark", gfun(m), 0.0, None, unit="GeV")

    experiments = cons.default_experiments()
    for name, exp in experiments.items():
        if isinstance(exp, cons._Missing):  # noqa: SLF001
            print(
                f"note: {exp.module} is not available; {name} is reported as not applicable", file=sys.stderr
            )
    bx_used = method
    if method == "auto":
        bx_used = (
            "spectral"
            if datamod.available("borexino/phase2_spectrum/phase2_fig6a_components.csv", args.data_dir)
            else "rates"
        )
        if bx_used == "rates":
            print(
                "note: Borexino data files not found; using the built-in rate likelihood "
                "(run 'darktmm data fetch' for the spectral fit)",
                file=sys.stderr,
            )
    shape_mass = cap.matrix_mass_muB / cap.mu_D_max_muB
    bar = progress_bar(2 * len(masses), args.json, unit="step")
    tick = bar.update if bar else None
    bx = cons.borexino_bounds(
        masses,
        shape_mass,
        flavour=flavour,
        method=bx_used,
        treatment=treatment,
        data_dir=args.data_dir,
        rtol=rtol,
        seed=args.seed,
        scaling_above=scaling,
        progress=tick,
    )
    pts, info = cons.hierarchy(
        masses, cap, experiments=experiments, gamma_dark=gfun, borexino=bx, progress=tick
    )
    if bar:
        bar.close()
    elapsed = time.perf_counter() - t0
    names = info["experiments"]
    codes = info["codes"]
    code_text = ", ".join(f"{k}={v}" for k, v in codes.items())
    summary = {
        "command": "constraints",
        "benchmark": _benchmark_name(card),
        "card": str(args.card),
        "quantity": cons.QUANTITY,
        "unit": "muB",
        "mass_unit": "GeV",
        "mu_D_cap": cap.summary(),
        "gamma_dark": gdesc,
        "experiments": names,
        "codes": {str(k): v for k, v in codes.items()},
        "borexino": info["borexino"],
        "points": [p.summary() for p in pts],
        "seed": args.seed,
        "timing_s": elapsed,
    }
    if args.out:
        _write_root(args.out, pts, names, cap, summary, code_text, card_text)
    if args.plot:
        hierarchy_plot(args.plot, pts, names, cap, title=_benchmark_name(card), bx_method=bx.method)
    if args.json:
        print(rootio.to_json(summary))
    else:
        print(_table(pts, names, cap, summary, gdesc))
    return 0


def _table(pts, names, cap, summary, gdesc) -> str:
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


def _write_root(path, pts, names, cap, summary, code_text, card_text):
    def col(f, dtype=np.float64):
        return np.array([f(p) for p in pts], dtype=dtype)

    def eps_raw(lim):
        e = getattr(lim, "eps", None)
        return math.inf if e is None else float(e)

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
        from darktmm.simulate.runs import versions

        rootio.write_runinfo(
            f,
            {**summary, **versions(), "dominant_codes": code_text, "detector": cons.describe(names)},
            card_toml=card_text,
        )


def _num(v) -> float:
    return math.nan if v is None else float(v)


def hierarchy_plot(path, pts, names, cap, title="", bx_method="spectral"):
    """The hierarchy figure: bound on eps*|mu_D^(e mu)| against m_A', one curve per probe, log axes."""
    from darktmm.simulate.plots import _plt, _save

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.5, 5.2))
    m = np.array([p.m_ap for p in pts])
    bx = np.array([p.borexino_muB for p in pts])
    how = {"spectral": "spectral fit", "rates": "rate fallback"}.get(bx_method, bx_method)
    ax.plot(m, np.where(np.isfinite(bx), bx, np.nan), color="k", lw=2.2, label=f"Borexino Phase II ({how})")
    ax.axhline(cap.mu_D_max_muB, color="0.4", ls=":", lw=1.5, label="MEG II cap alone (eps <= 1): mu_D,max")
    styles = {0: ("tab:red", "-"), 1: ("tab:blue", "--")}
    for k, n in enumerate(names):
        y = np.array([p.products.get(n, np.nan) for p in pts])
        c, ls = styles.get(k, (None, "-."))
        ax.plot(m, y, color=c, ls=ls, lw=2, marker="o", ms=3, label=f"MEG II x {n} (eps_max x mu_D,max)")
    none = np.array([not p.products for p in pts])
    if none.any():
        _shade(ax, m, none, "no invisible-A' search applies")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("dark-photon mass m_A' [GeV]")
    ax.set_ylabel("upper bound on eps |mu_D^(e mu)| [mu_B]")
    t = "Constraint hierarchy" + (f": {title}" if title else "")
    ax.set_title(
        f"{t}\nMEG II cap |mu_D^(e mu)| < {cap.mu_D_max_muB:.3g} muB ({cap.prescription})", fontsize=10
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    _save(fig, path)
    plt.close(fig)


def _shade(ax, m, mask, label):
    """Grey bands over runs of masses where ``mask`` holds (edges half-way in log m)."""
    lm = np.log(m)
    first = True
    i = 0
    while i < len(m):
        if not mask[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(m) and mask[j + 1]:
            j += 1
        lo = m[i] if i == 0 else math.exp(0.5 * (lm[i - 1] + lm[i]))
        hi = m[j] if j == len(m) - 1 else math.exp(0.5 * (lm[j] + lm[j + 1]))
        if hi == lo:
            lo, hi = lo / 1.05, hi * 1.05
        ax.axvspan(lo, hi, color="0.85", alpha=0.6, lw=0, label=label if first else None)
        first = False
        i = j + 1


# --- model ------------------------------------------------------------------------------------
_PAIRS = (("e", "mu", 0, 1), ("e", "tau", 0, 2), ("mu", "tau", 1, 2))


def model_cmd(args) -> int:
    card, card_text = load_card(args.card)
    if args.plot:
        raise ParameterError("'darktmm model' draws no plot; drop --plot")
    if args.out:
        rootio.check_writable(args.out)
    model = uv_model(card)
    mu = uv.dark_tmm_matrix(model)
    mu_muB = mu / MU_B
    mass_muB = flavour_to_mass(mu_muB, NUFIT52)
    r_f = cons.fermion_radiated_ratio(model)
    lfv = []
    for key, br, limit, ok in meg.check(model):
        lim = meg.LIMITS[key]
        lfv.append(
            {
                "channel": key,
                "decay": lim.decay,
                "br": br,
                "limit": limit,
                "allowed": ok,
                "experiment": lim.experiment,
                "reference": lim.reference,
            }
        )
    mmax, exceeds = uv.radiative_mass_check(model, warn=False)
    m_nu = None if math.isinf(model.m2) else uv.radiative_mass_estimate(model)
    cap_info = None
    try:
        cap = cap_from_card(card)
        cap_info = cap.summary()
    except ParameterError as exc:
        cap_note = str(exc)
    else:
        cap_note = ""
    entries = [
        {
            "pair": f"{a}-{b}",
            "abs_GeV-1": float(abs(mu[i, j])),
            "abs_muB": float(abs(mu_muB[i, j])),
            "GeV-1": [float(mu[i, j].real), float(mu[i, j].imag)],
            "muB": [float(mu_muB[i, j].real), float(mu_muB[i, j].imag)],
        }
        for a, b, i, j in _PAIRS
    ]
    summary = {
        "command": "model",
        "benchmark": _benchmark_name(card),
        "card": str(args.card),
        "uv": cons._uv_dict(model),  # noqa: SLF001
        "sin2theta": model.sin2theta,
        "mu_D_flavour": entries,
        "mu_D_flavour_muB": cons._cplx(mu_muB),  # noqa: SLF001
        "mu_D_mass_muB": cons._cplx(mass_muB),  # noqa: SLF001
        "mu_D_mass_abs_muB": {
            "12": abs(mass_muB[0, 1]),
            "13": abs(mass_muB[0, 2]),
            "23": abs(mass_muB[1, 2]),
        },
        "fermion_radiated_over_scalar_radiated": r_f,
        "lfv": lfv,
        "radiative_mass": {
            "max_abs_eV": mmax,
            "threshold_eV": uv.RADIATIVE_MASS_WARN_EV,
            "exceeds": exceeds,
            "matrix_eV": None if m_nu is None else cons._cplx(m_nu),  # noqa: SLF001
            "note": "log-divergent for m2 = inf at fixed theta; give a finite m2" if m_nu is None else "",
        },
        "mu_D_cap": cap_info,
        "mu_D_cap_note": cap_note,
    }
    if exceeds and m_nu is None:
        print(
            "warning: radiative Majorana mass estimate is log-divergent for m2 = inf at fixed theta "
            f"(above {uv.RADIATIVE_MASS_WARN_EV:g} eV); give a finite m2",
            file=sys.stderr,
        )
    elif exceeds:
        print(
            f"warning: radiative Majorana mass estimate max|m_nu| = {mmax:.3g} eV exceeds "
            f"{uv.RADIATIVE_MASS_WARN_EV:g} eV (the symmetric Yukawa combination must be suppressed)",
            file=sys.stderr,
        )
    if args.out:
        from darktmm.simulate.runs import versions

        with rootio.atomic_root(args.out) as f:
            rootio.write_runinfo(f, {**summary, **versions()}, card_toml=card_text)
    if args.json:
        print(rootio.to_json(summary))
        return 0
    m2 = "inf (decoupled)" if math.isinf(model.m2) else f"{model.m2:g} GeV"
    lines = [
        f"UV model point{': ' + summary['benchmark'] if summary['benchmark'] else ''} ({args.card})",
        f"  M_F = {model.M_F:g} GeV, m1 = {model.m1:g} GeV, m2 = {m2}, theta = {model.theta:.6g} rad "
        f"(sin 2theta = {model.sin2theta:.4g}), g_D = {model.g_D:g}, Q_D = {model.Q_D:g}",
        f"  y = {_ystr(model.y)}, y' = {_ystr(model.yp)}",
        "dark TMM mu_D (scalar-radiated loop, Dirac-normalised, flavour basis; mu_ji = -mu_ij, mu_ii = 0):",
        f"  {'pair':<8s} {'|mu| [GeV^-1]':>14s} {'|mu| [muB]':>12s}   complex value [muB]",
    ]
    for e in entries:
        lines.append(
            f"  {e['pair']:<8s} {e['abs_GeV-1']:14.4g} {e['abs_muB']:12.4g}   {complex(*e['muB']):.4g}".replace(
                "j", "i"
            )
        )
    lines.append(
        "  mass basis |mu_ij| [muB] (PMNS NuFIT 5.2): "
        + ", ".join(f"{k}: {v:.4g}" for k, v in summary["mu_D_mass_abs_muB"].items())
    )
    lines.append(
        f"  fermion-radiated loop (not included in mu_D): its antisymmetric part does not cancel here, "
        f"= {r_f:.3g} x the scalar-radiated one (spectra/uv.py)"
    )
    lines.append("charged-lepton flavour violation (90% CL limits):")
    for r in lfv:
        lines.append(
            f"  {r['decay']:<16s} BR = {r['br']:10.3e}  limit {r['limit']:.2g} ({r['experiment']}, {r['reference']})"
            f"  {'allowed' if r['allowed'] else 'EXCLUDED'}"
        )
    if m_nu is None:
        lines.append("radiative Majorana mass: log-divergent for m2 = inf at fixed theta (give a finite m2)")
    else:
        lines.append(
            f"radiative Majorana mass estimate: max|m_nu| = {mmax:.3g} eV"
            + (f"  WARNING: above {uv.RADIATIVE_MASS_WARN_EV:g} eV" if exceeds else "")
        )
    if cap_info:
        lines.append(
            f"MEG II cap ({cap_info['prescription']}): |mu_D^(e mu)| < {cap_info['mu_D_max_muB']:.4g} muB "
            f"(P_max = {cap_info['P_max']:.3g}, {'perturbative' if cap_info['perturbative'] else 'NON-perturbative'})"
        )
    else:
        lines.append(f"MEG II cap: not available ({cap_note})")
    print("\n".join(lines))
    return 0


def _ystr(y) -> str:
    return "(" + ", ".join(f"{z.real:g}" if z.imag == 0 else f"{z:g}" for z in y) + ")"


HANDLERS = {"constraints": constraints_cmd, "model": model_cmd}
