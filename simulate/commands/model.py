"""``darktmm model --card model.toml``: the UV model point.

mu_D from the scalar-radiated loop (all entries, GeV^-1 and mu_B, flavour and mass basis),
BR(mu -> e gamma), BR(tau -> e gamma), BR(tau -> mu gamma) against MEG II / BaBar / Belle, and the
radiative Majorana-mass estimate (warning above 0.1 eV). The card: :mod:`darktmm.simulate.modelcard`.
"""

from __future__ import annotations

import math
import sys

from darktmm.simulate import common, modelcard

SCHEMA = modelcard.schema("model", {**common.run_keys(plot=False, seed=False, data_dir=False)})


def add_parser(sub):
    from darktmm.simulate import cards

    p = sub.add_parser(
        "model",
        help="the UV model point: mu_D, BR(l -> l' gamma) against limits, radiative mass",
        description="The UV model point of a model card (see examples/bm1.toml).",
    )
    cards.add_options(p, SCHEMA.keys_of(""))
    cards.add_options(p, SCHEMA.keys_of("meg"), group="[meg] options")
    common.add_cli_only(p)
    p.set_defaults(func=run)


_PAIRS = (("e", "mu", 0, 1), ("e", "tau", 0, 2), ("mu", "tau", 1, 2))


def run(args) -> int:
    from darktmm.simulate import rootio
    from darktmm.spectra import uv

    cfg, card_text = modelcard.resolve_model_args(args, SCHEMA)
    common.check_outputs(cfg["out"], None, (".root",), force=args.force)
    model = modelcard.uv_model(cfg)
    summary = compute(cfg, str(args.card))
    entries, lfv, r_f = (
        summary["mu_D_flavour"],
        summary["lfv"],
        summary["fermion_radiated_over_scalar_radiated"],
    )
    rad = summary["radiative_mass"]
    mmax, exceeds, m_nu = rad["max_abs_eV"], rad["exceeds"], rad["matrix_eV"]
    cap_info, cap_note = summary["mu_D_cap"], summary["mu_D_cap_note"]
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
    if cfg["out"]:
        with rootio.atomic_root(cfg["out"]) as f:
            rootio.write_runinfo(f, {**summary, **common.versions()}, card_toml=card_text)
    if cfg["json"]:
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


def compute(cfg, card: str = "") -> dict:
    """The UV model point of a resolved model card: mu_D (flavour and mass basis), the cLFV
    branching ratios against their limits, the radiative Majorana mass and the MEG II cap, as the
    JSON summary of ``darktmm model`` (prints nothing)."""
    from darktmm.detectors import constraints as cons
    from darktmm.detectors import meg
    from darktmm.spectra import uv
    from darktmm.spectra.constants import MU_B
    from darktmm.spectra.model import NUFIT52, flavour_to_mass
    from darktmm.spectra.validate import ParameterError

    model = modelcard.uv_model(cfg)
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
        cap = modelcard.cap_from_card(cfg)
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
        "benchmark": str(cfg["benchmark"].get("name") or ""),
        "card": card,
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
    return summary


def _ystr(y) -> str:
    return "(" + ", ".join(f"{z.real:g}" if z.imag == 0 else f"{z:g}" for z in y) + ")"
