"""Runs of ``darktmm spectrum|limit babar|na64``: compute, summarise, write, print.

:data:`DISPATCH` is merged into the dispatch table of :mod:`simulate.runs`. Everything is in GeV
internally and in the JSON; ROOT titles carry the units.
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from darktmm.detectors import babar, na64
from darktmm.detectors.accel_common import make_model, p_inv_function
from darktmm.simulate import rootio
from darktmm.simulate.runs import _emit, progress_bar, versions
from darktmm.simulate.units import parse_energy, parse_mass_range
from darktmm.spectra.constants import MEV
from darktmm.spectra.validate import ParameterError, check_range
from darktmm.spectra.widths import invisible_summary


# --- argument helpers ------------------------------------------------------------------------------
def _opt(args, name, default=None):
    return getattr(args, name, default)


def _model_inputs(args):
    gamma_dark = check_range(
        "--gamma-dark", parse_energy(args.gamma_dark, "--gamma-dark"), 0.0, None, unit="GeV"
    )
    mu = _opt(args, "eps_mu")
    if mu is not None:
        mu = check_range("--eps-mu", mu, 0.0, None, unit="muB")
    return gamma_dark, mu


def _L_det(args, default):
    v = _opt(args, "L_det")
    return default if v is None else check_range("--L-det", v, 0.0, None, unit="m")


def _efficiency(args):
    v = _opt(args, "efficiency")
    return na64.SIGNAL_EFFICIENCY if v is None else check_range("--efficiency", v, 0.0, 1.0, lo_open=True)


def _rtol(args):
    return check_range("--rtol", args.rtol, 1e-5, 0.5)


def _eps(args, default):
    return default if args.eps is None else check_range("--eps", args.eps, 0.0, 1.0)


def _masses(args):
    ms = parse_mass_range(args.masses, "--masses")
    for m in ms:
        check_range("--masses", m, 0.0, None, unit="GeV")
    return ms


def _model_json(gamma_dark, mu):
    return {
        "gamma_dark_GeV": gamma_dark,
        "mu_D_muB": mu,
        "mu_D_convention": "flavour blind (DarkSector.flavour_blind)",
    }


# --- BaBar spectrum ----------------------------------------------------------------------------------
def spectrum_babar(args) -> int:
    t0 = time.perf_counter()
    m = check_range("--m-ap", parse_energy(args.m_ap, "--m-ap"), 0.0, None, unit="GeV")
    eps = _eps(args, 1e-3)
    rtol = _rtol(args)
    gamma_dark, mu = _model_inputs(args)
    L = _L_det(args, babar.L_DET_M)
    isr = bool(_opt(args, "isr", False))
    offshell = bool(_opt(args, "offshell", False))
    reg = babar.region_for_mass(m)
    res_arg = _opt(args, "resonance") or "all"
    keys = list(reg.resonances) if res_arg == "all" else [babar.resonance(k).key for k in res_arg.split(",")]
    for k in keys:
        r = babar.RESONANCES[k]
        if m**2 >= r.s:
            raise ParameterError(
                f"--m-ap: m_A'^2 = {m**2:g} GeV^2 >= s = {r.s:g} GeV^2 at the {r.name}: e+e- -> gamma A' is closed"
            )
    if m > babar.MASS_RANGE[1]:
        print(f"note: m_A' = {m:g} GeV is outside the BaBar search range (0-8 GeV)", file=sys.stderr)
    model = make_model(m, eps, gamma_dark, mu)
    sp = babar.spectra(
        m, eps, resonances=keys, isr=isr, offshell=model if offshell else None, rtol=rtol, seed=args.seed
    )
    E_ap = babar.ap_energy_cm(m)
    inv = invisible_summary(model, E_ap, L)
    elapsed = time.perf_counter() - t0
    per = {}
    for k, r in sp.items():
        per[k] = {
            "resonance": r.resonance.name,
            "sqrt_s_GeV": r.resonance.sqrt_s,
            "lumi_fb": r.resonance.lumi_fb,
            "region": r.region,
            "sigma_acc_fb": r.sigma_acc_fb,
            "sigma_acc_err_fb": r.sigma_acc_err_fb,
            "sigma_closed_form_fb": r.sigma_closed_fb,
            "sigma_folded_in_MX2_window_fb": r.sigma_folded_in_window_fb,
            "events_produced": r.events_produced,
            "events_produced_times_p_inv": r.events_produced * (1.0 if offshell else float(inv.p_inv)),
            "max_rel_error_per_bin": r.max_rel_error,
        }
    summary = {
        "experiment": "babar",
        "m_ap_GeV": m,
        "eps": eps,
        "model": _model_json(gamma_dark, mu),
        "isr": isr,
        "offshell": offshell,
        "region": reg.name,
        "window": {"MX2_GeV2": list(reg.mx2), "cos_theta": list(reg.z)},
        "units": "fb",
        "resonances": per,
        "br_inv": float(inv.br_inv),
        "p_inv": float(inv.p_inv),
        "decay_length_m": float(inv.decay_length_m),
        "E_ap_cm_GeV": E_ap,
        "L_det_m": L,
        "note": "events_produced = lumi x sigma_acc before BaBar's selection efficiency (not published in usable form)",
        "rtol": rtol,
        "max_rel_error_per_bin": max(r.max_rel_error for r in sp.values()),
        "seed": args.seed,
        "timing_s": elapsed,
    }
    lines = [
        f"BaBar e+e- -> gamma A' (A' invisible), m_A' = {m:g} GeV, eps = {eps:g}, {reg.name} window"
        + (", ISR" if isr else "")
        + (", off-shell A'*" if offshell else ""),
        f"{'resonance':>12s} {'sqrt(s)':>8s} {'L [fb^-1]':>9s} {'sigma_acc [fb]':>19s} {'closed form':>11s} {'L*sigma':>9s}",
    ]
    for r in sp.values():
        cf = f"{r.sigma_closed_fb:11.5g}" if r.sigma_closed_fb is not None else f"{'-':>11s}"
        lines.append(
            f"{r.resonance.name:>12s} {r.resonance.sqrt_s:8.4f} {r.resonance.lumi_fb:9.1f} "
            f"{r.sigma_acc_fb:8.5g} +- {r.sigma_acc_err_fb:7.1e} {cf} {r.events_produced:9.4g}"
        )
    lines.append(
        f"BR_inv = {float(inv.br_inv):.4g}, P_inv = {float(inv.p_inv):.4g} (L_det = {L:g} m); "
        f"max per-bin MC error {summary['max_rel_error_per_bin']:.2e}; {elapsed:.2f} s"
    )
    if args.out:
        with rootio.atomic_root(args.out) as f:
            for k, r in sp.items():
                for name, (edges, vals, errs) in r.hists.items():
                    f[f"{k}/{name}"] = rootio.th1d(vals, edges, errs, r.titles[name])
            rootio.write_runinfo(
                f,
                {
                    "command": "spectrum babar",
                    "m_ap_GeV": m,
                    "eps": eps,
                    "seed": args.seed,
                    "rtol": rtol,
                    "timing_s": elapsed,
                    **versions(),
                    "detector": babar.describe(),
                    "summary": summary,
                },
            )
    if args.plot:
        from darktmm.simulate import accel_plots

        accel_plots.babar_spectrum(args.plot, sp, m, eps)
    _emit(args, summary, "\n".join(lines))
    return 0


# --- NA64 spectrum ------------------------------------------------------------------------------------
def spectrum_na64(args) -> int:
    t0 = time.perf_counter()
    m = check_range("--m-ap", parse_energy(args.m_ap, "--m-ap"), 0.0, None, unit="GeV", lo_open=True)
    E0 = na64.DATASET.E0
    if m > E0:
        raise ParameterError(f"--m-ap: m_A' = {m:g} GeV > E0 = {E0:g} GeV: NA64 cannot produce it")
    eps = _eps(args, 1e-4)
    rtol = _rtol(args)
    gamma_dark, mu = _model_inputs(args)
    L = _L_det(args, na64.L_DET_M)
    eff = _efficiency(args)
    ann = bool(_opt(args, "annihilation", False))
    sp = na64.spectra(m, eps, rtol=rtol, seed=args.seed, annihilation=ann)
    e, v, _ = sp.hists["E_miss_true"]
    c = 0.5 * (e[1:] + e[:-1])
    sel = (c > na64.DATASET.E_cut) & (v > 0)
    if not np.any(sel):
        sel = v >= 0
    pinv_fn = p_inv_function(m, c[sel], np.maximum(v[sel], 0) + 1e-300, L, gamma_dark, mu)
    p_inv, br_inv, ell = pinv_fn.details(eps)
    n_sig = na64.DATASET.n_eot * (sp.yield_signal + sp.yield_annihilation) * eff * p_inv
    elapsed = time.perf_counter() - t0
    e2 = eps**2 if eps > 0 else math.nan
    summary = {
        "experiment": "na64",
        "m_ap_GeV": m,
        "eps": eps,
        "model": _model_json(gamma_dark, mu),
        "E0_GeV": E0,
        "E_miss_cut_GeV": na64.DATASET.E_cut,
        "units": "A' per electron on target",
        "yield_per_eot": {
            "signal_box_folded": sp.yield_signal,
            "signal_box_folded_err": sp.yield_signal_err,
            "E_ap_gt_cut_true_vegas": sp.yield_true_cut,
            "E_ap_gt_cut_true_vegas_err": sp.yield_true_cut_err,
            "E_ap_gt_cut_true_quad": sp.yield_quad,
            "generated": sp.yield_generated,
            "annihilation": sp.yield_annihilation,
        },
        "Y1_per_eot_per_eps2": (sp.yield_signal + sp.yield_annihilation) / e2,
        "efficiency": eff,
        "br_inv": br_inv,
        "p_inv": p_inv,
        "decay_length_m": ell,
        "L_det_m": L,
        "n_eot": na64.DATASET.n_eot,
        "expected_signal_events": n_sig,
        "n90": na64.DATASET.n90,
        "rtol": rtol,
        "max_rel_error_per_bin": sp.max_rel_error,
        "seed": args.seed,
        "timing_s": elapsed,
    }
    lines = [
        f"NA64 e- Z -> e- Z A' (100 GeV, Pb, 40 X0), m_A' = {m / MEV:g} MeV, eps = {eps:g}",
        f"  yield per EOT, E_miss,rec > 50 GeV (ECAL-folded): {sp.yield_signal:.5g} +- {sp.yield_signal_err:.2g}",
        f"  yield per EOT, E_A' > 50 GeV (true): VEGAS {sp.yield_true_cut:.5g} +- {sp.yield_true_cut_err:.2g}, "
        f"quad {sp.yield_quad:.5g}",
    ]
    if ann:
        lines.append(f"  resonant positron annihilation per EOT: {sp.yield_annihilation:.5g}")
    lines.append(
        f"  efficiency {eff:g}, BR_inv = {br_inv:.4g}, P_inv = {p_inv:.4g} (L_det = {L:g} m): "
        f"{n_sig:.4g} signal events for {na64.DATASET.n_eot:.3g} EOT (N90 = 2.3); {elapsed:.2f} s"
    )
    if args.out:
        with rootio.atomic_root(args.out) as f:
            for name, (edges, vals, errs) in sp.hists.items():
                f[name] = rootio.th1d(vals, edges, errs, sp.titles[name])
            f["yield_per_eot"] = rootio.th1d(
                [sp.yield_signal],
                [na64.DATASET.E_cut, E0],
                [sp.yield_signal_err],
                f"NA64 signal yield, eps = {eps:g} (eps_sig = P_inv = 1);E_miss,rec [GeV];A' per EOT",
            )
            rootio.write_runinfo(
                f,
                {
                    "command": "spectrum na64",
                    "m_ap_GeV": m,
                    "eps": eps,
                    "seed": args.seed,
                    "rtol": rtol,
                    "efficiency": eff,
                    "timing_s": elapsed,
                    **versions(),
                    "detector": na64.describe(eff),
                    "summary": summary,
                },
            )
    if args.plot:
        from darktmm.simulate import accel_plots

        accel_plots.na64_spectrum(args.plot, sp, m, eps)
    _emit(args, summary, "\n".join(lines))
    return 0


# --- limits ----------------------------------------------------------------------------------------------
def _limit_common(args, experiment, pts, info, extra_cols, extra_titles, describe, header):
    summary = {
        "experiment": experiment,
        "quantity": "eps",
        "unit": "1 (kinetic mixing)",
        "cl": 0.9,
        "model": _model_json(*_model_inputs(args)),
        "points": [p.as_point() for p in pts],
        "point_info": [
            {
                "m_ap_GeV": p.m_ap,
                "applicable": p.applicable,
                "eps_upper": p.eps_upper,
                "eps_invisible": p.eps_invisible,
                "decay_length_m": p.decay_length_m,
                "note": p.note,
            }
            for p in pts
        ],
        **info,
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
    if args.out:
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
        with rootio.atomic_root(args.out) as f:
            rootio.write_tree(f, "limits", cols, title=header, branch_titles=titles)
            rootio.write_runinfo(
                f,
                {
                    "command": f"limit {experiment}",
                    "seed": args.seed,
                    **{k: v for k, v in info.items() if not isinstance(v, dict)},
                    **versions(),
                    "detector": describe,
                    "summary": summary,
                },
            )
    if args.plot:
        from darktmm.simulate import plots

        inv = [{"m_ap_GeV": p.m_ap, "limit": p.eps_invisible} for p in pts]
        curves = {f"{experiment} recast (this model point)": (summary["points"], "limit")}
        curves[f"{experiment}, invisible A' (P_inv = 1)"] = (inv, "limit")
        plots.limit_plot(
            args.plot,
            {k: ([{**q, "limit": _inf_nan(q["limit"])} for q in v[0]], v[1]) for k, v in curves.items()},
            ylabel="90% CL limit on eps",
            title=f"{'BaBar 2017' if experiment == 'babar' else 'NA64 2023'}: 90% CL on eps (recast)",
        )
    _emit(args, summary, "\n".join(lines))
    return 0


def _inf_nan(x):
    return math.nan if x is None or not math.isfinite(x) else x


def limit_babar(args) -> int:
    masses = _masses(args)
    s_max = max(r.s for r in babar.RESONANCES.values())
    for m in masses:
        if m**2 >= s_max:
            raise ParameterError(
                f"--masses: m_A'^2 = {m**2:g} GeV^2 >= s = {s_max:g} GeV^2: e+e- -> gamma A' is closed at BaBar"
            )
    gamma_dark, mu = _model_inputs(args)
    L = _L_det(args, babar.L_DET_M)
    progress = progress_bar(len(masses), args.json)
    pts, info = babar.limit(
        masses,
        gamma_dark=gamma_dark,
        mu_D_muB=mu,
        L_det_m=L,
        data_dir=args.data_dir,
        progress=progress.update if progress else None,
    )
    if progress:
        progress.close()
    cols = {
        "eps_ul_published": np.array([p.extra.get("eps_ul_published", math.nan) for p in pts]),
        "sigma_ul_acc_3S_fb": np.array([p.extra.get("sigma_ul_acc_fb", {}).get("3S", math.nan) for p in pts]),
    }
    titles = {
        "eps_ul_published": "BaBar published 90% CL eps_UL for BR_inv = 1 [1]",
        "sigma_ul_acc_3S_fb": "sigma_UL in the acceptance at the Upsilon(3S) [fb]",
    }
    header = f"BaBar 2017 single photon, 90% CL recast (gamma_dark = {gamma_dark:g} GeV, mu_D = {mu} muB)"
    return _limit_common(args, "babar", pts, info, cols, titles, babar.describe(), header)


def limit_na64(args) -> int:
    masses = _masses(args)
    E0 = na64.DATASET.E0
    for m in masses:
        if not m > 0:
            raise ParameterError("--masses: NA64 masses must be > 0")
        if m > E0:
            raise ParameterError(f"--masses: m_A' = {m:g} GeV > E0 = {E0:g} GeV: NA64 cannot produce it")
    gamma_dark, mu = _model_inputs(args)
    L = _L_det(args, na64.L_DET_M)
    eff = _efficiency(args)
    ann = bool(_opt(args, "annihilation", False))
    rtol = _rtol(args)
    progress = progress_bar(len(masses), args.json)
    pts, info = na64.limit(
        masses,
        gamma_dark=gamma_dark,
        mu_D_muB=mu,
        L_det_m=L,
        efficiency=eff,
        annihilation=ann,
        rtol=rtol,
        seed=args.seed,
        progress=progress.update if progress else None,
    )
    if progress:
        progress.close()
    cols = {
        "Y1_per_eot": np.array([p.extra.get("Y1_brem_per_eot", math.nan) for p in pts]),
        "Y1_annihilation_per_eot": np.array([p.extra.get("Y1_annihilation_per_eot", math.nan) for p in pts]),
        "efficiency": np.full(len(pts), eff),
    }
    titles = {
        "Y1_per_eot": "dark-brem yield per EOT per eps^2, E_miss,rec > 50 GeV [1]",
        "Y1_annihilation_per_eot": "resonant annihilation yield per EOT per eps^2 [1]",
        "efficiency": "signal efficiency used [1]",
    }
    header = (
        f"NA64 2023 (9.37e11 EOT, 0 events), 90% CL recast (gamma_dark = {gamma_dark:g} GeV, mu_D = {mu} muB, "
        f"efficiency {eff:g}{', with e+ annihilation' if ann else ''})"
    )
    return _limit_common(args, "na64", pts, info, cols, titles, na64.describe(eff), header)


DISPATCH = {
    "spectrum": {"babar": spectrum_babar, "na64": spectrum_na64},
    "limit": {"babar": limit_babar, "na64": limit_na64},
}
