"""Accelerator speed figures (printed, not asserted): the BaBar signal integral and the NA64 yield to 0.1 % MC
precision by VEGAS, the same integrals by scipy quad / dblquad in the same run, and 50-mass limit scans.

    python benchmarks/bench_accelerator.py [--repeat 3] [--masses 50]

* BaBar Born: sigma(e+e- -> gamma A') in -0.4 < cos theta* < 0.6 at the Upsilon(3S), m = 1 GeV
  (MonophotonProcess, 2-d) vs quad of dsigma/dz over the window.
* BaBar ISR: the same with leading-log ISR and the LowM M_X^2 window (4-d) vs dblquad (epsrel 1e-4) over (ln x, eta) of
  W(1 - x) dsigma/deta in the reduced frame with the M_X^2 cut, plus the soft+virtual part by quad.
* NA64: thick-target yield per EOT, m = 10 MeV, E_A' > 50 GeV (DarkBremProcess, 4-d) vs the nested quad
  spectra.darkbrem.thick_target_yield.
* Scans: detectors.babar.eps_max and detectors.na64.eps_max at 50 log-spaced masses (NA64 yields recomputed:
  the per-mass cache is cleared), and the NA64 scan with Y1 from quad instead of VEGAS.
Medians over --repeat runs; ratios are quad/VEGAS times from the same run.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np
from scipy import integrate

from darktmm.detectors import babar, na64
from darktmm.detectors.accel_common import integrate_to
from darktmm.spectra import darkbrem as db
from darktmm.spectra import monophoton as mp
from darktmm.spectra.accel_mc import DarkBremProcess, MonophotonProcess
from darktmm.spectra.constants import GEV2_TO_FB
from darktmm.spectra.integrate import Vegas

RS = babar.RESONANCES["3S"].sqrt_s
S = RS**2
Z = (-0.4, 0.6)
MX2 = (-4.0, 36.0)


def timed(f):
    t0 = time.perf_counter()
    v = f()
    return time.perf_counter() - t0, v


def babar_born_vegas(seed):
    p = MonophotonProcess(RS, 1.0, 1e-3, z_window=Z)
    return integrate_to(Vegas(p.ndim, seed=seed, neval=2000), p, 1e-3, neval=2000)


def babar_born_quad():
    return integrate.quad(lambda z: float(mp.dsigma_dz(S, 1.0, z, 1e-3)), *Z, epsabs=0.0, epsrel=1e-10)[0]


def babar_isr_vegas(seed):
    p = MonophotonProcess(RS, 1.0, 1e-3, z_window=Z, isr=True, mx2_window=MX2)
    return integrate_to(Vegas(p.ndim, seed=seed, neval=20_000), p, 1e-3, neval=20_000)


def babar_isr_dblquad(m=1.0, x_min=1e-6):
    """int d(ln x) deta W(1 - x) x (1/2) sum_sides dsigma/deta(s', eta - Y) theta(M_X^2 cut) + soft part."""
    e1, e2 = (math.atanh(z) for z in Z)
    e_lo, e_hi = (S - MX2[1]) / (2 * RS), (S - MX2[0]) / (2 * RS)

    def f(eta, lx):
        x = math.exp(lx)
        sh = S * (1.0 - x)
        if m * m >= sh:
            return 0.0
        eh = (sh - m * m) / (2 * math.sqrt(sh))
        tot = 0.0
        for side in (1.0, -1.0):
            Y = side * 0.5 * math.log1p(-x)
            e = eh * math.cosh(eta) / math.cosh(eta - Y)
            if e_lo < e < e_hi:
                tot += 0.5 * float(mp.dsigma_deta(sh, m, eta - Y, 1e-3))
        return float(mp.isr_w(1.0 - x, S)) * x * tot

    hard = integrate.dblquad(f, math.log(x_min), math.log(1 - m * m / S), e1, e2, epsabs=0.0, epsrel=1e-4)[0]
    soft = float(mp.isr_soft_fraction(S, x_min)) * float(mp.sigma_window(S, m, *Z, 1e-3))
    return hard + soft


def na64_vegas(seed):
    p = DarkBremProcess(0.01, 100.0, 50.0, 40.0)
    return integrate_to(Vegas(p.ndim, seed=seed, neval=5000), p, 1e-3, neval=5000)


def na64_quad():
    return db.thick_target_yield(0.01, 100.0, 50.0, 40.0)


def scan_babar(masses, **kw):
    return [babar.eps_max(m, **kw).eps for m in masses]


def scan_na64(masses, **kw):
    na64._signal_yield_cached.cache_clear()
    return [na64.eps_max(m, **kw).eps for m in masses]


def scan_na64_quad(masses):
    """eps for BR_inv = 1 with Y1 from nested quad (no ECAL fold): sqrt(N90/(N_EOT Y1 eps_sig))."""
    d = na64.DATASET
    return [
        math.sqrt(d.n90 / (d.n_eot * db.thick_target_yield(m, d.E0, d.E_cut, d.T_X0) * 0.6)) for m in masses
    ]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--masses", type=int, default=50)
    a = ap.parse_args(argv)
    rows = {}

    def add(name, f):
        rows.setdefault(name, []).append(timed(f))

    mb = np.geomspace(1e-3, 8.0, a.masses)
    mn = np.geomspace(1e-3, 1.0, a.masses)
    for k in range(a.repeat):
        add("babar Born VEGAS 0.1%", lambda k=k: babar_born_vegas(k + 1))
        add("babar Born quad", babar_born_quad)
        add("babar ISR VEGAS 0.1%", lambda k=k: babar_isr_vegas(k + 1))
        add("babar ISR dblquad", babar_isr_dblquad)
        add("na64 yield VEGAS 0.1%", lambda k=k: na64_vegas(k + 1))
        add("na64 yield nested quad", na64_quad)
        add(f"babar scan {a.masses} masses (kinetic mixing only)", lambda: scan_babar(mb))
        add(f"babar scan {a.masses} masses (gamma_dark = 1 MeV)", lambda: scan_babar(mb, gamma_dark=1e-3))
        add(f"na64 scan {a.masses} masses (VEGAS, kinetic mixing only)", lambda: scan_na64(mn))
        add(
            f"na64 scan {a.masses} masses (VEGAS, gamma_dark = 1 MeV)", lambda: scan_na64(mn, gamma_dark=1e-3)
        )
        add(f"na64 scan {a.masses} masses (quad Y1, BR_inv = 1)", lambda: scan_na64_quad(mn))
    med = {k: statistics.median(t for t, _ in v) for k, v in rows.items()}
    print(f"{'task':58s} {'median [s]':>10s}  value")
    for k, v in rows.items():
        val = v[-1][1]
        if hasattr(val, "mean"):
            unit = "fb" if "babar" in k else "per EOT per eps^2"
            scale = GEV2_TO_FB if "babar" in k else 1.0
            txt = f"{val.mean * scale:.6g} +- {val.sdev * scale:.2g} {unit} (rel {val.rel:.1e}, {val.neval} evals)"
        elif isinstance(val, float):
            scale = GEV2_TO_FB if "babar" in k else 1.0
            txt = f"{val * scale:.6g} {'fb' if 'babar' in k else 'per EOT per eps^2'}"
        else:
            arr = np.array(val, dtype=float)
            fin = arr[np.isfinite(arr)]
            txt = f"{len(fin)}/{len(arr)} constrained" + (
                f", eps {fin.min():.3g}..{fin.max():.3g}" if len(fin) else ""
            )
        print(f"{k:58s} {med[k]:10.3f}  {txt}")
    print()
    for q, v in (
        ("babar Born quad", "babar Born VEGAS 0.1%"),
        ("babar ISR dblquad", "babar ISR VEGAS 0.1%"),
        ("na64 yield nested quad", "na64 yield VEGAS 0.1%"),
        (
            f"na64 scan {a.masses} masses (quad Y1, BR_inv = 1)",
            f"na64 scan {a.masses} masses (VEGAS, gamma_dark = 1 MeV)",
        ),
    ):
        print(f"time ratio {q} / {v}: {med[q] / med[v]:.3g}")
    born = rows["babar Born VEGAS 0.1%"][-1][1]
    isr = rows["babar ISR VEGAS 0.1%"][-1][1]
    yv = rows["na64 yield VEGAS 0.1%"][-1][1]
    print(
        f"agreement: Born (VEGAS - quad)/sigma = {(born.mean - rows['babar Born quad'][-1][1]) / born.sdev:+.2f}; "
        f"ISR (VEGAS - dblquad)/sigma = {(isr.mean - rows['babar ISR dblquad'][-1][1]) / isr.sdev:+.2f}; "
        f"NA64 (VEGAS - quad)/sigma = {(yv.mean - rows['na64 yield nested quad'][-1][1]) / yv.sdev:+.2f}"
    )


if __name__ == "__main__":
    main()
