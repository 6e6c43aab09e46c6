"""Runs behind each sub-command: compute, summarise, write, print. All side effects live here."""

from __future__ import annotations

import json
import platform
import sys
import time

import numpy as np

from darktmm import __version__
from darktmm.detectors import borexino
from darktmm.detectors import data as datamod
from darktmm.simulate import rootio
from darktmm.simulate.units import parse_energy, parse_mass_range
from darktmm.spectra.constants import MEV
from darktmm.spectra.model import DarkSector
from darktmm.spectra.validate import ParameterError, check_range


def versions() -> dict:
    import awkward
    import scipy
    import uproot
    import vegas

    return {
        "darktmm": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "vegas": vegas.__version__,
        "uproot": uproot.__version__,
        "awkward": awkward.__version__,
    }


def _emit(args, summary: dict, table: str):
    if args.json:
        print(rootio.to_json(summary))
    else:
        print(table)


def _validate_out(args):
    if getattr(args, "out", None):
        rootio.check_writable(args.out)
    if getattr(args, "plot", None):
        rootio.check_writable(args.plot)


def dispatch(args) -> int:
    cmd = args.command
    if cmd == "data":
        return data_cmd(args)
    from darktmm.simulate.cli import _plugins

    for mod in _plugins():
        if cmd in mod.HANDLERS:
            return mod.HANDLERS[cmd](args)
    exp = args.experiment.lower()
    table = {
        "spectrum": {"borexino": spectrum_borexino},
        "limit": {"borexino": limit_borexino},
    }[cmd]
    extra = _extra_dispatch(cmd)
    table.update(extra)
    if exp not in table:
        raise ParameterError(
            f"unknown experiment {args.experiment!r} for '{cmd}'; choose from {', '.join(sorted(table))}"
        )
    _validate_out(args)
    return table[exp](args)


def _extra_dispatch(cmd) -> dict:
    """Experiments registered by later modules (accelerators)."""
    try:
        from darktmm.simulate import accel_runs
    except ImportError:
        return {}
    return accel_runs.DISPATCH.get(cmd, {})


# --- data -----------------------------------------------------------------------------------
def data_cmd(args) -> int:
    action = args.action
    if action == "where":
        rows = [(why, str(p), p.is_dir()) for why, p in datamod.candidate_dirs(args.data_dir)]
        found = datamod.find_data_dir(args.data_dir, required=borexino.DATA_FILE)
        summary = {
            "searched": [{"source": w, "path": p, "exists": e} for w, p, e in rows],
            "found": str(found) if found else None,
        }
        table = "\n".join(f"{w:12s} {p}  {'(exists)' if e else '(missing)'}" for w, p, e in rows)
        table += f"\nusing: {found if found else 'none: built-in rates only (run: darktmm data fetch)'}"
        _emit(args, summary, table)
        return 0
    if action == "verify":
        res = datamod.verify(args.data_dir)
        bad = [k for k, v in res.items() if v != "ok"]
        _emit(args, {"files": res, "ok": not bad}, "\n".join(f"{v:9s} {k}" for k, v in res.items()))
        return 0 if not bad else 1
    if action == "fetch":
        dest = datamod.fetch(
            args.data_dir, base_url=args.base_url, progress=sys.stderr.isatty() and not args.json
        )
        _emit(args, {"fetched_to": str(dest)}, f"data files fetched and verified in {dest}")
        return 0
    raise ParameterError(f"unknown data action {action!r}; choose where, verify or fetch")


# --- Borexino spectrum ------------------------------------------------------------------------
def spectrum_borexino(args) -> int:
    t0 = time.perf_counter()
    m_ap = check_range("--m-ap", parse_energy(args.m_ap, "--m-ap"), 0.0, None, unit="GeV")
    eps_mu = 1e-11 if args.eps_mu is None else check_range("--eps-mu", args.eps_mu, 0.0, 1e-6, unit="muB")
    rtol = check_range("--rtol", args.rtol, 1e-5, 0.5)
    if args.eps is not None:
        check_range("--eps", args.eps, 0.0, 1.0)
    DarkSector.flavour_blind(m_ap, 1.0, eps_mu)  # validates
    have_data = datamod.available(borexino.DATA_FILE, args.data_dir)
    data = borexino.load_data(args.data_dir) if have_data else None
    edges = data.edges if data is not None else borexino.window_edges()
    profiles = borexino.production_profiles(args.data_dir)
    sm, rates = borexino.sm_spectra(edges, rtol=rtol, seed=args.seed, profiles=profiles)
    tmm = borexino.tmm_spectra(m_ap, edges, mu_eff=eps_mu, rtol=rtol, seed=args.seed, profiles=profiles)
    fit = None
    if data is not None:
        model = borexino.build_model(data, sm, rates, tmm, "ssm")
        fit = model.fit(data.counts)
        bestfit = model.expected(fit.theta)
    elapsed = time.perf_counter() - t0
    comps = {}
    for c in borexino.SOLAR:
        comps[c] = {
            "sm_rate_zero_threshold_cpd100t": rates[c],
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
        "rtol": rtol,
        "max_rel_error_per_bin": float(
            max(
                max(s.max_rel_error for s in sm.values() if s.neval),
                max(s.max_rel_error for s in tmm.values() if s.neval),
            )
        ),
        "seed": args.seed,
        "data": data.path if data is not None else None,
        "production_profiles": "SNuDD files" if profiles is not None else "built-in default",
        "timing_s": elapsed,
    }
    if fit is not None:
        summary["bestfit"] = dict(zip(model.names, fit.theta.tolist()))
        summary["bestfit_deviance"] = fit.deviance
        summary["nbins"] = int(len(data.counts))
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
    info = {
        "command": "spectrum borexino",
        "m_ap_GeV": m_ap,
        "eps_mu_eff_muB": eps_mu,
        "seed": args.seed,
        "rtol": rtol,
        "timing_s": elapsed,
        **versions(),
        "detector": borexino.describe(),
    }
    if args.out:
        with rootio.atomic_root(args.out) as f:
            for kind, specs in (("sm", sm), ("tmm", tmm)):
                for c, s in specs.items():
                    lab = "SM" if kind == "sm" else f"dark TMM (eps mu = {eps_mu:g} muB, m_A' = {m_ap:g} GeV)"
                    f[f"{kind}/{c}_true"] = rootio.th1d(
                        s.true,
                        s.true_edges / MEV,
                        s.true_err,
                        f"{c} {lab}, true recoil;T [MeV];rate [cpd/100 t per bin]",
                    )
                    f[f"{kind}/{c}_folded"] = rootio.th1d(
                        s.folded,
                        s.folded_edges / MEV,
                        s.folded_err,
                        f"{c} {lab}, folded;E_rec [MeV];rate [cpd/100 t per bin]",
                    )
            if data is not None:
                f["data"] = rootio.th1d(
                    data.counts,
                    edges / MEV,
                    np.sqrt(data.counts),
                    "Borexino Phase II TFC-subtracted data;E_rec [MeV];events per bin",
                )
                f["bestfit_total"] = rootio.th1d(
                    bestfit,
                    edges / MEV,
                    None,
                    "best-fit total (TMM strength free);E_rec [MeV];events per bin",
                )
            rootio.write_runinfo(f, info | {"summary": summary})
    if args.plot:
        from darktmm.simulate import plots

        plots.borexino_spectrum(
            args.plot, edges, sm, tmm, data, bestfit if fit is not None else None, m_ap, eps_mu
        )
    _emit(args, summary, "\n".join(lines))
    return 0


# --- Borexino limit ---------------------------------------------------------------------------
def limit_borexino(args) -> int:
    masses = parse_mass_range(args.masses)
    for m in masses:
        check_range("--masses", m, 0.0, None, unit="GeV")
    rtol = check_range("--rtol", args.rtol, 1e-5, 0.5)
    if args.method == "spectral" and not datamod.available(borexino.DATA_FILE, args.data_dir):
        datamod.path(borexino.DATA_FILE, args.data_dir)  # raises DataError with where it looked
    progress = progress_bar(len(masses), args.json)
    pts, info = borexino.limit(
        masses,
        data_dir=args.data_dir,
        method=args.method,
        treatment=args.treatment,
        rtol=rtol,
        seed=args.seed,
        progress=progress.update if progress else None,
    )
    if progress:
        progress.close()
    if info["method"] == "rates" and not args.json:
        print(
            "note: Borexino data files not found; using the built-in rate likelihood "
            "(pp, pep, 7Be rates, T > 0.19 MeV). Run 'darktmm data fetch' for the spectral fit.",
            file=sys.stderr,
        )
    summary = {
        "experiment": "borexino",
        "quantity": "eps_mu_eff",
        "unit": "muB",
        "cl": 0.9,
        "method": info["method"],
        "treatment": info["treatment"],
        "points": [
            {"m_ap_GeV": float(p.m_ap), "limit": float(p.limit), "expected": float(p.expected)} for p in pts
        ],
        "published_photon_limit_muB": 2.8e-11,
        "timing_s": info["timing_s"],
    }
    lines = [
        f"Borexino 90% CL upper limit on eps*mu_eff [muB] ({info['method']} likelihood, {info['treatment']})",
        f"{'m_Ap [GeV]':>12s} {'limit':>11s} {'expected':>11s}",
    ]
    lines += [f"{p.m_ap:12.4g} {p.limit:11.4g} {p.expected:11.4g}" for p in pts]
    lines.append(
        f"({len(pts)} masses in {info['timing_s']:.1f} s; Borexino's published photon limit 2.8e-11 muB)"
    )
    if args.out:
        with rootio.atomic_root(args.out) as f:
            rootio.write_tree(
                f,
                "limits",
                {
                    "m_ap_GeV": np.array([p.m_ap for p in pts]),
                    "limit_muB": np.array([p.limit for p in pts]),
                    "expected_muB": np.array([p.expected for p in pts]),
                },
                title="Borexino 90% CL upper limit on eps*mu_eff",
                branch_titles={
                    "m_ap_GeV": "dark-photon mass m_A' [GeV]",
                    "limit_muB": "90% CL upper limit on eps*mu_eff [mu_B]",
                    "expected_muB": "Asimov median expected limit [mu_B]",
                },
            )
            rootio.write_runinfo(
                f,
                {
                    "command": "limit borexino",
                    "seed": args.seed,
                    "rtol": rtol,
                    "method": info["method"],
                    "treatment": info["treatment"],
                    "timing_s": info["timing_s"],
                    **versions(),
                    "detector": borexino.describe(),
                },
            )
    if args.plot:
        from darktmm.simulate import plots

        plots.limit_plot(
            args.plot,
            {"Borexino (this fit)": (summary["points"], "limit")},
            ylabel="90% CL upper limit on eps mu_eff [mu_B]",
            expected=summary["points"],
            hline=(2.8e-11, "Borexino published (photon)"),
        )
    _emit(args, summary, "\n".join(lines))
    return 0


def progress_bar(total, quiet, unit="mass", unit_scale=False):
    """A tqdm bar on stderr, or None when ``quiet`` (--json) or stderr is not a terminal."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=unit_scale, file=sys.stderr, leave=False)


__all__ = ["dispatch", "json"]
