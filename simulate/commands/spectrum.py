"""``darktmm spectrum EXPERIMENT``: recoil or signal spectra of one model point.

* ``borexino`` - VEGAS recoil spectra of every solar component, SM and dark TMM, true and folded
  with the Phase-II response, each bin with its MC error; the fit to the data when found.
* ``babar`` - e+e- -> gamma A' in the acceptance: E*_gamma, cos theta*, M_X^2 per Upsilon.
* ``na64`` - dark bremsstrahlung in the thick Pb target: x, E_miss (ECAL-folded), yields per EOT.

The model (m_A', eps, mu_D, Gamma_dark) is built once here and passed whole to the experiment.
"""

from __future__ import annotations

import sys
import time

from darktmm.simulate import common
from darktmm.simulate.cards import Key, Schema

EXPERIMENTS = {
    "borexino": "solar nu-e recoil spectra in Borexino Phase II (SM and dark TMM)",
    "xenonnt": "solar nu-e electronic recoils on xenon in XENONnT SR0 (SM and dark TMM)",
    "babar": "e+e- -> gamma A' at the Upsilon resonances in the BaBar acceptance",
    "na64": "e Z -> e Z A' dark bremsstrahlung in the NA64 active target",
}


SCHEMA = Schema(
    "spectrum",
    {
        "": {
            "experiment": Key("str", None, "borexino | babar | na64", choices=tuple(EXPERIMENTS), flag=""),
            **common.run_keys(),
            "rtol": Key("float", 1e-3, "per-bin MC precision target", lo=1e-5, hi=0.5),
        },
        "borexino": {
            "m_ap": Key("energy", 0.0, "dark-photon mass m_A' with unit", lo=0.0),
            "eps_mu_eff": Key(
                "moment", 1e-11, "effective moment eps*mu_eff with unit, flavour blind", lo=0.0, hi=1e-6
            ),
        },
        "xenonnt": {
            "m_ap": Key("energy", 0.0, "dark-photon mass m_A' with unit", lo=0.0),
            "eps_mu_eff": Key(
                "moment", 1e-11, "effective moment eps*mu_eff with unit, flavour blind", lo=0.0, hi=1e-6
            ),
            "treatment": Key(
                "str", "stepping", "xenon binding: stepping | free", choices=("stepping", "free")
            ),
        },
        "babar": {
            **common.dark_photon_keys(common.detector_default("babar", "L_DET_M"), m_ap=1.0, eps=1e-3),
            "resonance": Key("str", "all", "2S, 3S, 4S, a comma list, or all"),
            "isr": Key("bool", False, "generate leading-log initial-state radiation"),
            "offshell": Key("bool", False, "A'* -> invisible continuum (widths from mu_d, gamma_dark)"),
        },
        "na64": {
            **common.dark_photon_keys(common.detector_default("na64", "L_DET_M"), m_ap=0.01, eps=1e-4),
            "efficiency": Key(
                "float",
                None,
                "signal efficiency (default: the calibrated NA64 value)",
                lo=0.0,
                hi=1.0,
                lo_open=True,
            ),
            "annihilation": Key("bool", True, "resonant e+ e- -> A' of shower positrons on bound electrons"),
        },
    },
)


def add_parser(sub):
    common.add_experiment_parsers(
        sub,
        "spectrum",
        SCHEMA,
        selector="experiment",
        help="recoil or signal spectra for one model point",
        description="Spectra of one model point.",
        run=run,
        helps=EXPERIMENTS,
    )


def run(args) -> int:
    cfg, card_text = common.resolve_args(args, SCHEMA, selector="experiment")
    common.check_outputs(cfg["out"], cfg["plot"], (".root",), force=args.force)
    run_ = {"borexino": _borexino, "xenonnt": _xenonnt, "babar": _babar, "na64": _na64}[cfg["experiment"]]
    return run_(cfg, card_text)


def _info(cfg, card_text, command, elapsed, detector, summary) -> dict:
    return {
        "command": command,
        "seed": cfg["seed"],
        "rtol": cfg["rtol"],
        "timing_s": elapsed,
        **common.versions(),
        "detector": detector,
        "summary": summary,
        "card": card_text,
    }


# --- Borexino ------------------------------------------------------------------------------------
def _borexino(cfg, card_text) -> int:
    import numpy as np

    from darktmm.detectors import borexino
    from darktmm.simulate import rootio
    from darktmm.spectra.constants import MEV
    from darktmm.spectra.model import DarkSector

    t0 = time.perf_counter()
    o = cfg["borexino"]
    model = DarkSector.flavour_blind(o["m_ap"], 1.0, o["eps_mu_eff"])
    res = borexino.fit_spectrum(model, data_dir=cfg["data_dir"], rtol=cfg["rtol"], seed=cfg["seed"])
    sm, tmm, data, edges = res.sm, res.tmm, res.data, res.edges
    elapsed = time.perf_counter() - t0
    m_ap, eps_mu = o["m_ap"], o["eps_mu_eff"]
    comps = {}
    for c in borexino.SOLAR:
        comps[c] = {
            "sm_rate_zero_threshold_cpd100t": res.rates[c],
            "sm_rate_window_cpd100t": float(sm[c].folded.sum()),
            "sm_rate_window_err_cpd100t": float(np.sqrt((sm[c].folded_err ** 2).sum())),
            "tmm_rate_window_cpd100t": float(tmm[c].folded.sum()),
            "tmm_rate_window_err_cpd100t": float(np.sqrt((tmm[c].folded_err ** 2).sum())),
            "tmm_rate_true_T_gt_0.05MeV_cpd100t": float(tmm[c].true.sum()),
        }
    summary = {
        "experiment": "borexino",
        "m_ap_GeV": m_ap,
        "eps_mu_eff_muB": eps_mu,
        "window_GeV": [float(edges[0]), float(edges[-1])],
        "units": "cpd/100t",
        "components": comps,
        "total_sm_window_cpd100t": float(sum(sm[c].folded.sum() for c in borexino.SOLAR)),
        "total_tmm_window_cpd100t": float(sum(tmm[c].folded.sum() for c in borexino.SOLAR)),
        "rtol": cfg["rtol"],
        "max_rel_error_per_bin": res.max_rel_error,
        "seed": cfg["seed"],
        "data": data.path if data is not None else None,
        "production_profiles": res.profiles_source,
        "timing_s": elapsed,
    }
    if res.fit is not None:
        summary["bestfit"] = dict(zip(res.fit_names, res.fit.theta.tolist()))
        summary["bestfit_deviance"] = res.fit.deviance
        summary["nbins"] = int(len(data.counts))
    _precision_note(summary, cfg["rtol"])
    lines = [
        f"Borexino Phase II recoil spectra, m_A' = {m_ap / MEV:g} MeV, eps*mu_eff = {eps_mu:g} muB",
        f"{'component':>9s} {'SM 0-thr':>10s} {'SM window':>10s} {'TMM window':>11s}   [cpd/100 t]",
    ]
    for c, r in comps.items():
        lines.append(
            f"{c:>9s} {r['sm_rate_zero_threshold_cpd100t']:10.4g} {r['sm_rate_window_cpd100t']:10.4g} "
            f"{r['tmm_rate_window_cpd100t']:11.4g}"
        )
    lines.append(
        f"window {edges[0] / MEV:.3f}-{edges[-1] / MEV:.3f} MeV; max per-bin MC error "
        f"{summary['max_rel_error_per_bin']:.2e}; {elapsed:.2f} s"
    )
    if data is None:
        lines.append("data files not found: spectra only (darktmm data fetch, or set DARKTMM_DATA)")
    if cfg["out"]:
        y = "rate [cpd/100 t per bin]"
        with rootio.atomic_root(cfg["out"]) as f:
            _write_components(f, sm, tmm, eps_mu, m_ap, MEV, "MeV", "", "folded", y)
            if data is not None:
                f["data"] = rootio.th1d(
                    data.counts,
                    edges / MEV,
                    np.sqrt(data.counts),
                    "Borexino Phase II TFC-subtracted data;E_rec [MeV];events per bin",
                    entries=float(data.counts.sum()),
                )
                f["bestfit_total"] = rootio.th1d(
                    res.bestfit,
                    edges / MEV,
                    None,
                    "best-fit total (TMM strength free);E_rec [MeV];events per bin",
                )
            rootio.write_runinfo(
                f,
                _info(cfg, card_text, "spectrum borexino", elapsed, borexino.describe(), summary),
                card_toml=card_text,
            )
    if cfg["plot"]:
        from darktmm.simulate import plots

        plots.borexino_spectrum(cfg["plot"], res)
    common.emit(cfg["json"], summary, "\n".join(lines))
    return 0


# --- XENONnT ----------------------------------------------------------------------------------------
def _xenonnt(cfg, card_text) -> int:
    import numpy as np

    from darktmm.detectors import xenonnt
    from darktmm.simulate import rootio
    from darktmm.spectra.constants import KEV
    from darktmm.spectra.model import DarkSector

    t0 = time.perf_counter()
    o = cfg["xenonnt"]
    model = DarkSector.flavour_blind(o["m_ap"], 1.0, o["eps_mu_eff"])
    sp = xenonnt.spectra(
        model, treatment=o["treatment"], rtol=cfg["rtol"], seed=cfg["seed"], data_dir=cfg["data_dir"]
    )
    elapsed = time.perf_counter() - t0
    m_ap, eps_mu = o["m_ap"], o["eps_mu_eff"]
    comps = {
        c: {
            "sm_rate_window_tyr": float(sp.sm[c].folded.sum()),
            "sm_rate_window_err_tyr": float(np.sqrt((sp.sm[c].folded_err ** 2).sum())),
            "tmm_rate_window_tyr": float(sp.tmm[c].folded.sum()),
            "tmm_rate_window_err_tyr": float(np.sqrt((sp.tmm[c].folded_err ** 2).sum())),
        }
        for c in xenonnt.SOLAR
    }
    summary = {
        "experiment": "xenonnt",
        "m_ap_GeV": m_ap,
        "eps_mu_eff_muB": eps_mu,
        "treatment": o["treatment"],
        "window_GeV": [float(sp.edges[0]), float(sp.edges[-1])],
        "units": "events/(t yr)",
        "exposure_tyr": xenonnt.EXPOSURE_TYR,
        "components": comps,
        "total_tmm_window_tyr": float(sp.tmm_total.sum()),
        "total_sm_window_tyr": float(sp.sm_total.sum()),
        "background_B0_window_tyr": float(sp.background_tyr.sum()),
        "data_events": int(sp.data_counts.sum()),
        "rtol": cfg["rtol"],
        "max_rel_error_per_bin": float(sp.info["max_rel_error_per_bin"]),
        "seed": cfg["seed"],
        "timing_s": elapsed,
    }
    _precision_note(summary, cfg["rtol"])
    lines = [
        f"XENONnT SR0 electronic recoils ({o['treatment']}), m_A' = {m_ap / 1e-3:g} MeV, eps*mu_eff = {eps_mu:g} muB",
        f"{'component':>9s} {'SM window':>11s} {'TMM window':>11s}   [events/(t yr), 1-30 keV reconstructed]",
    ]
    lines += [
        f"{c:>9s} {r['sm_rate_window_tyr']:11.4g} {r['tmm_rate_window_tyr']:11.4g}" for c, r in comps.items()
    ]
    lines.append(
        f"B0 {summary['background_B0_window_tyr']:.4g} events/(t yr) (contains the SM); {summary['data_events']} events in "
        f"{xenonnt.EXPOSURE_TYR} t yr; max per-bin MC error {summary['max_rel_error_per_bin']:.2e}; {elapsed:.2f} s"
    )
    if cfg["out"]:
        y = "rate [events/(t yr) per bin]"
        with rootio.atomic_root(cfg["out"]) as f:
            _write_components(
                f, sp.sm, sp.tmm, eps_mu, m_ap, KEV, "keV", "XENONnT ", "folded x efficiency", y
            )
            f["data"] = rootio.th1d(
                sp.data_counts,
                sp.edges / KEV,
                np.sqrt(sp.data_counts),
                "XENONnT SR0 data (1.16 t yr);E_rec [keV];events per bin",
                entries=float(sp.data_counts.sum()),
            )
            f["background_B0"] = rootio.th1d(
                sp.background_tyr, sp.edges / KEV, None, "XENONnT best-fit background B0;E_rec [keV];" + y
            )
            rootio.write_runinfo(
                f,
                _info(cfg, card_text, "spectrum xenonnt", elapsed, xenonnt.describe(o["treatment"]), summary),
                card_toml=card_text,
            )
    if cfg["plot"]:
        from darktmm.simulate import plots

        plots.xenonnt_spectrum(cfg["plot"], sp, m_ap, eps_mu)
    common.emit(cfg["json"], summary, "\n".join(lines))
    return 0


def _write_components(f, sm, tmm, eps_mu, m_ap, unit, unit_name, prefix, folded_what, y) -> None:
    """TH1D ``sm/<c>_true``, ``sm/<c>_folded``, ``tmm/...`` of every solar component (Borexino, XENONnT)."""
    from darktmm.simulate import rootio

    for kind, specs in (("sm", sm), ("tmm", tmm)):
        lab = "SM" if kind == "sm" else f"dark TMM (eps mu_eff = {eps_mu:g} mu_B, m_A' = {m_ap:g} GeV)"
        for c, s in specs.items():
            f[f"{kind}/{c}_true"] = rootio.th1d(
                s.true, s.true_edges / unit, s.true_err, f"{prefix}{c} {lab}, true recoil;T [{unit_name}];{y}"
            )
            f[f"{kind}/{c}_folded"] = rootio.th1d(
                s.folded,
                s.folded_edges / unit,
                s.folded_err,
                f"{prefix}{c} {lab}, {folded_what};E_rec [{unit_name}];{y}",
            )


def _precision_note(summary: dict, rtol: float) -> None:
    """An unmet per-bin precision target is said, on stderr and in the summary (runinfo)."""
    worst = summary["max_rel_error_per_bin"]
    met = bool(worst <= rtol * (1 + 1e-9))
    summary["precision_target_met"] = met
    if not met:
        print(
            f"note: per-bin MC precision {worst:.2e} misses the target rtol = {rtol:g} "
            "(raise the evaluation budget or relax --rtol)",
            file=sys.stderr,
        )


# --- BaBar ----------------------------------------------------------------------------------------
#: ROOT titles ("title;x axis;y axis", TLatex) of the BaBar histograms: presentation lives here,
#: the detector module returns numbers with units.
BABAR_TITLES = {
    "cos_theta": "photon angle in the acceptance;cos#theta*_{#gamma};#sigma [fb per bin]",
    "E_gamma_true": "photon energy (true);E*_{#gamma} [GeV];#sigma [fb per bin]",
    "E_gamma_folded": "photon energy (EMC-folded);E*_{#gamma} [GeV];#sigma [fb per bin]",
    "MX2_true": "missing mass squared (true);M_{X}^{2} [GeV^{2}];#sigma [fb per bin]",
    "MX2_folded": "missing mass squared (EMC-folded);M_{X}^{2} [GeV^{2}];#sigma [fb per bin]",
}
#: ROOT titles of the NA64 histograms ({E_cut}, {E_gen} in GeV are filled in).
NA64_TITLES = {
    "x": "signal box (E_miss,rec > {E_cut:g} GeV);x = E_{{A'}}/E_{{e}};A' per electron on target per bin",
    "E_miss_true": "E_miss = E_{{A'}} (true), E_A' > {E_gen:.3g} GeV;E_{{miss}} [GeV];A' per electron on target per bin",
    "E_miss_folded": "E_miss after ECAL resolution;E_{{miss}} [GeV];A' per electron on target per bin",
    "log10_theta": "A' emission angle, signal box;log_{{10}}(#theta_{{A'}} / rad);A' per electron on target per bin",
}


def _model(o):
    from darktmm.spectra.model import DarkSector

    return DarkSector.flavour_blind(o["m_ap"], o["eps"], o["mu_d"], o["gamma_dark"])


def _model_json(o) -> dict:
    return {
        "gamma_dark_GeV": o["gamma_dark"],
        "mu_D_muB": o["mu_d"],
        "mu_D_convention": "flavour blind (DarkSector.flavour_blind)",
    }


def _babar(cfg, card_text) -> int:
    from darktmm.detectors import babar
    from darktmm.simulate import rootio
    from darktmm.spectra.validate import ParameterError
    from darktmm.spectra.widths import invisible_summary

    t0 = time.perf_counter()
    o = cfg["babar"]
    m, eps, L = o["m_ap"], o["eps"], o["l_det"]
    model = _model(o)
    reg = babar.region_for_mass(m)
    res_arg = o["resonance"]
    keys = (
        list(reg.resonances)
        if res_arg.lower() == "all"
        else [babar.resonance(k).key for k in res_arg.split(",")]
    )
    for k in keys:
        r = babar.RESONANCES[k]
        if m**2 >= r.s:
            raise ParameterError(
                f"--m-ap: m_A'^2 = {m**2:g} GeV^2 >= s = {r.s:g} GeV^2 at the {r.name}: e+e- -> gamma A' is closed"
            )
    if m > babar.MASS_RANGE[1]:
        print(f"note: m_A' = {m:g} GeV is outside the BaBar search range (0-8 GeV)", file=sys.stderr)
    sp = babar.spectra(
        m,
        eps,
        resonances=keys,
        isr=o["isr"],
        offshell=model if o["offshell"] else None,
        rtol=cfg["rtol"],
        seed=cfg["seed"],
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
            "events_produced_times_p_inv": r.events_produced * (1.0 if o["offshell"] else float(inv.p_inv)),
            "max_rel_error_per_bin": r.max_rel_error,
        }
    summary = {
        "experiment": "babar",
        "m_ap_GeV": m,
        "eps": eps,
        "model": _model_json(o),
        "isr": o["isr"],
        "offshell": o["offshell"],
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
        "rtol": cfg["rtol"],
        "max_rel_error_per_bin": max(r.max_rel_error for r in sp.values()),
        "seed": cfg["seed"],
        "timing_s": elapsed,
    }
    _precision_note(summary, cfg["rtol"])
    lines = [
        f"BaBar e+e- -> gamma A' (A' invisible), m_A' = {m:g} GeV, eps = {eps:g}, {reg.name} window"
        + (", ISR" if o["isr"] else "")
        + (", off-shell A'*" if o["offshell"] else ""),
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
    if cfg["out"]:
        with rootio.atomic_root(cfg["out"]) as f:
            for k, r in sp.items():
                what = f"{r.resonance.name}, m_A' = {m:g} GeV, eps = {eps:g}" + (", ISR" if o["isr"] else "")
                for name, (edges, vals, errs) in r.hists.items():
                    f[f"{k}/{name}"] = rootio.th1d(vals, edges, errs, f"{what}: {BABAR_TITLES[name]}")
            rootio.write_runinfo(
                f,
                _info(cfg, card_text, "spectrum babar", elapsed, babar.describe(), summary),
                card_toml=card_text,
            )
    if cfg["plot"]:
        from darktmm.simulate import plots

        plots.babar_spectrum(cfg["plot"], sp, m, eps)
    common.emit(cfg["json"], summary, "\n".join(lines))
    return 0


# --- NA64 -----------------------------------------------------------------------------------------
def _na64(cfg, card_text) -> int:
    import math

    from darktmm.detectors import na64
    from darktmm.simulate import rootio
    from darktmm.spectra.constants import MEV
    from darktmm.spectra.validate import ParameterError

    t0 = time.perf_counter()
    o = cfg["na64"]
    m, eps, L = o["m_ap"], o["eps"], o["l_det"]
    E0 = na64.DATASET.E0
    if not m > 0:
        raise ParameterError("--m-ap = 0: NA64 needs a massive A' (m_A' > 0)")
    if m > E0:
        raise ParameterError(f"--m-ap: m_A' = {m:g} GeV > E0 = {E0:g} GeV: NA64 cannot produce it")
    model = _model(o)
    sp = na64.spectra(m, eps, rtol=cfg["rtol"], seed=cfg["seed"], annihilation=o["annihilation"])
    sig = na64.signal_summary(model, sp, efficiency=o["efficiency"], L_det_m=L)
    elapsed = time.perf_counter() - t0
    e2 = eps**2 if eps > 0 else math.nan
    summary = {
        "experiment": "na64",
        "m_ap_GeV": m,
        "eps": eps,
        "model": _model_json(o),
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
        "efficiency": sig.efficiency,
        "br_inv": sig.br_inv,
        "p_inv": sig.p_inv,
        "decay_length_m": sig.decay_length_m,
        "L_det_m": L,
        "n_eot": na64.DATASET.n_eot,
        "expected_signal_events": sig.n_signal,
        "n90": na64.DATASET.n90,
        "rtol": cfg["rtol"],
        "max_rel_error_per_bin": sp.max_rel_error,
        "seed": cfg["seed"],
        "timing_s": elapsed,
    }
    _precision_note(summary, cfg["rtol"])
    lines = [
        f"NA64 e- Z -> e- Z A' (100 GeV, Pb, 40 X0), m_A' = {m / MEV:g} MeV, eps = {eps:g}",
        f"  yield per EOT, E_miss,rec > 50 GeV (ECAL-folded): {sp.yield_signal:.5g} +- {sp.yield_signal_err:.2g}",
        f"  yield per EOT, E_A' > 50 GeV (true): VEGAS {sp.yield_true_cut:.5g} +- {sp.yield_true_cut_err:.2g}, "
        f"quad {sp.yield_quad:.5g}",
    ]
    if o["annihilation"]:
        lines.append(f"  resonant positron annihilation per EOT: {sp.yield_annihilation:.5g}")
    lines.append(
        f"  efficiency {sig.efficiency:.3g}, BR_inv = {sig.br_inv:.4g}, P_inv = {sig.p_inv:.4g} (L_det = {L:g} m): "
        f"{sig.n_signal:.4g} signal events for {na64.DATASET.n_eot:.3g} EOT (N90 = 2.3); {elapsed:.2f} s"
    )
    if cfg["out"]:
        with rootio.atomic_root(cfg["out"]) as f:
            what = f"NA64, m_A' = {m:g} GeV, eps = {eps:g}"
            e_gen = na64.RESPONSE.generator_cut(E0, na64.DATASET.E_cut)
            for name, (edges, vals, errs) in sp.hists.items():
                title = NA64_TITLES[name].format(E_cut=na64.DATASET.E_cut, E_gen=e_gen)
                f[name] = rootio.th1d(vals, edges, errs, f"{what}: {title}")
            f["yield_per_eot"] = rootio.th1d(
                [sp.yield_signal],
                [na64.DATASET.E_cut, E0],
                [sp.yield_signal_err],
                f"NA64 signal yield, eps = {eps:g} (efficiency = P_inv = 1);E_miss,rec [GeV];A' per electron on target",
            )
            rootio.write_runinfo(
                f,
                _info(cfg, card_text, "spectrum na64", elapsed, na64.describe(sig.efficiency), summary),
                card_toml=card_text,
            )
    if cfg["plot"]:
        from darktmm.simulate import plots

        plots.na64_spectrum(cfg["plot"], sp, m, eps)
    common.emit(cfg["json"], summary, "\n".join(lines))
    return 0
