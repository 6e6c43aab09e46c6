"""Event generation (simulate.events): kinematics, normalisation, unweighting, reproducibility.

Every check compares with an independent computation: the mass shell and four-momentum balance
of each particle list, the closed forms of the spectra layer (sigma_window, nested quad of the
thick-target yield, two-body formulas), separate stratified VEGAS runs (other seed, vegas' own
sampler) for the integrals and the histograms, and distribution tests for the smearing and the
decays.
"""

from __future__ import annotations

import math

import awkward as ak
import numpy as np
import pytest
from scipy import stats

from darktmm.detectors import babar, na64
from darktmm.simulate import events as ev
from darktmm.simulate import sampler
from darktmm.spectra import monophoton, nue
from darktmm.spectra.constants import GEV2_TO_PB, M_E, MEV
from darktmm.spectra.integrate import Vegas
from darktmm.spectra.validate import ParameterError

N = 20_000


def _collect(run):
    chunks = list(run)
    return ak.concatenate(chunks) if len(chunks) > 1 else chunks[0], run.summary()


def _processes():
    return {
        "7Be-sm": lambda: ev.NuElectronEvents("7Be", "sm"),
        "pp-tmm": lambda: ev.NuElectronEvents("pp", "tmm", m_ap=0.5 * MEV, eps_mu=1e-11),
        "8B-sm": lambda: ev.NuElectronEvents("8B", "sm", T_lo=1.0 * MEV),
        "babar-lab": lambda: ev.MonophotonEvents("3S", m_ap=1.0, eps=1e-3, mu_d=1e-4),
        "babar-cm-isr": lambda: ev.MonophotonEvents(
            "4S", m_ap=2.0, eps=1e-3, isr=True, frame="cm", mx2_window=(-4.0, 36.0)
        ),
        "babar-offshell": lambda: ev.MonophotonEvents("3S", m_ap=1.0, eps=1e-3, mu_d=1e-5, offshell=True),
        "na64": lambda: ev.DarkBremEvents(m_ap=0.01, eps=1e-4),
    }


PROCS = _processes()


@pytest.fixture(scope="module")
def samples():
    """One weighted and one unweighted sample per process (generated once)."""
    out = {}
    for name, make in PROCS.items():
        p = make()
        out[name] = {
            "process": p,
            "weighted": _collect(sampler.generate(p, N, seed=11, chunk=7_000)),
            "unweighted": _collect(sampler.generate(p, N, seed=12, unweighted=True, chunk=7_000)),
        }
    return out


# --- kinematics --------------------------------------------------------------------------------
def _four_vectors(arr):
    P = arr.Particle
    return {f: ak.to_numpy(ak.flatten(P[f])) for f in ("E", "px", "py", "pz", "m", "status")}


@pytest.mark.parametrize("name", list(PROCS))
@pytest.mark.parametrize("mode", ["weighted", "unweighted"])
def test_every_particle_on_mass_shell(samples, name, mode):
    arr, _ = samples[name][mode]
    v = _four_vectors(arr)
    lhs = v["E"] ** 2 - v["px"] ** 2 - v["py"] ** 2 - v["pz"] ** 2
    rel = np.abs(lhs - v["m"] ** 2) / np.maximum(v["E"] ** 2, 1e-300)
    assert rel.max() < 1e-9
    assert np.all(v["E"] >= v["m"] * (1 - 1e-12))


@pytest.mark.parametrize("name", list(PROCS))
@pytest.mark.parametrize("mode", ["weighted", "unweighted"])
def test_four_momentum_conserved_per_event(samples, name, mode):
    arr, _ = samples[name][mode]
    P = arr.Particle
    sign = ak.where(P.status == ev.STATUS_FINAL, 1.0, -1.0)
    assert set(np.unique(ak.to_numpy(ak.flatten(P.status)))) <= {1, 4, 11}
    e_in = ak.to_numpy(ak.sum(P.E * (sign < 0), axis=1))
    for f in ("E", "px", "py", "pz"):
        res = ak.to_numpy(ak.sum(P[f] * sign, axis=1))
        assert np.max(np.abs(res) / e_in) < 1e-12, f
    # exactly one beam and one target per event (NuHepMC E.R.7)
    assert np.all(ak.to_numpy(ak.sum(P.status == 4, axis=1)) == 1)
    assert np.all(ak.to_numpy(ak.sum(P.status == 11, axis=1)) == 1)


def test_nu_e_recoil_kinematics(samples):
    """cos(theta_e) = (E + m_e)/E sqrt(T/(T + 2 m_e)) relative to the Sun direction (+z), T <= T_max(E)."""
    for name in ("7Be-sm", "pp-tmm", "8B-sm"):
        arr, _ = samples[name]["unweighted"]
        E, T = ak.to_numpy(arr.E_nu), ak.to_numpy(arr.T)
        e_out = arr.Particle[:, 3]
        p = np.sqrt(ak.to_numpy(e_out.px) ** 2 + ak.to_numpy(e_out.py) ** 2 + ak.to_numpy(e_out.pz) ** 2)
        cos = ak.to_numpy(e_out.pz) / p
        assert np.allclose(cos, (E + M_E) / E * np.sqrt(T / (T + 2 * M_E)), rtol=1e-12, atol=1e-12)
        assert np.allclose(ak.to_numpy(arr.cos_theta_sun), cos, rtol=1e-12, atol=1e-12)
        assert np.all(T <= nue.t_max(E) * (1 + 1e-12))
        nu_in = arr.Particle[:, 0]
        assert np.all(ak.to_numpy(nu_in.px) == 0) and np.all(ak.to_numpy(nu_in.pz) > 0)
        # uniform azimuth: KS against U(0, 2 pi)
        assert stats.kstest(ak.to_numpy(arr.phi) / (2 * math.pi), "uniform").pvalue > 1e-3


def test_7be_line_fractions(samples):
    """Share of the 0.3843 MeV line = its rate / the 7Be rate (independent VEGAS integrals per line)."""
    import dataclasses

    p = samples["7Be-sm"]["process"]
    arr, _ = samples["7Be-sm"]["unweighted"]
    low = ak.to_numpy(arr.E_nu) < 0.5 * MEV
    rates = []
    for i in range(2):
        sub = dataclasses.replace(p.proc, line_index=i)
        rates.append(Vegas(1, seed=99 + i, neval=20_000).integrate(sub, nitn=5).mean)
    expect = rates[1] / sum(rates)
    k, n = int(low.sum()), len(low)
    assert stats.binomtest(k, n, expect).pvalue > 1e-3
    assert set(np.round(ak.to_numpy(arr.E_nu) / MEV, 4)) == {0.3843, 0.8613}


def test_borexino_response_sampling(samples):
    """E_rec - mean(T) is N(0, sigma(T)) (detectors.borexino.RESPONSE)."""
    p = samples["pp-tmm"]["process"]
    arr, _ = samples["pp-tmm"]["unweighted"]
    T = ak.to_numpy(arr.T)
    z = (ak.to_numpy(arr.E_rec) - p.response.mean(T)) / p.response.sigma(T)
    assert stats.kstest(z, "norm").pvalue > 1e-3


def test_monophoton_two_body_energy(samples):
    """No ISR, on shell: E*_gamma = (s - m^2)/(2 sqrt s) (spectra.monophoton.photon_energy_cm)."""
    p = samples["babar-lab"]["process"]
    arr, _ = samples["babar-lab"]["unweighted"]
    eg = monophoton.photon_energy_cm(p.sqrt_s**2, p.model.m_ap)
    assert np.allclose(ak.to_numpy(arr.E_gamma_cm), eg, rtol=1e-12)
    assert np.allclose(ak.to_numpy(arr.MX2), p.model.m_ap**2, atol=1e-9)
    # lab frame: the initial state has invariant mass sqrt(s) and beta*gamma = 0.56 along +z
    beams = arr.Particle[:, :2]
    E = ak.to_numpy(ak.sum(beams.E, axis=1))
    pz = ak.to_numpy(ak.sum(beams.pz, axis=1))
    assert np.allclose(np.sqrt(E**2 - pz**2), p.sqrt_s, rtol=1e-12)
    assert np.allclose(pz / np.sqrt(E**2 - pz**2), babar.PEP2_BETA_GAMMA, rtol=1e-12)
    # the lab photon, boosted back, has the CM energy
    g = arr.Particle[:, 2]
    beta = babar.PEP2_BETA_GAMMA / math.hypot(1.0, babar.PEP2_BETA_GAMMA)
    gam = 1.0 / math.sqrt(1 - beta**2)
    e_cm = gam * (ak.to_numpy(g.E) - beta * ak.to_numpy(g.pz))
    assert np.allclose(e_cm, eg, rtol=1e-12)


def test_isr_photon_is_collinear(samples):
    arr, _ = samples["babar-cm-isr"]["unweighted"]
    has = ak.to_numpy(ak.num(arr.Particle)) == 5
    x = ak.to_numpy(arr.isr_x)
    assert np.array_equal(has, x > 0)
    isr = arr.Particle[has][:, 4]
    assert np.all(ak.to_numpy(isr.px) == 0) and np.all(ak.to_numpy(isr.py) == 0)
    assert np.allclose(ak.to_numpy(isr.E), 0.5 * 10.5794 * x[has], rtol=1e-12)
    # A' invariant mass = m_A' (on shell) from the four-momentum balance
    a = arr.Particle[:, 3]
    m2 = ak.to_numpy(a.E**2 - a.px**2 - a.py**2 - a.pz**2)
    assert np.allclose(np.sqrt(m2), 2.0, rtol=1e-9)


def test_ap_decays(samples):
    """Visible fraction = 1 - BR_inv (binomial), flight distance exponential with l = (p/m) hbar c/Gamma."""
    from darktmm.spectra.widths import HBARC_GEV_M, br_invisible, gamma_invisible, gamma_visible

    for name in ("babar-lab", "na64"):
        p = samples[name]["process"]
        arr, _ = samples[name]["unweighted"]
        gv, gi = gamma_visible(p.model.m_ap, p.model.eps), gamma_invisible(p.model)
        br = float(br_invisible(gi, gv))
        vis = ak.to_numpy(arr.decay_visible)
        assert stats.binomtest(int(vis.sum()), len(vis), 1 - br).pvalue > 1e-3
        a = arr.Particle[:, 3 if name.startswith("babar") else 2]
        pmag = np.sqrt(ak.to_numpy(a.px**2 + a.py**2 + a.pz**2))
        ell_mm = pmag / p.model.m_ap * HBARC_GEV_M / (gv + gi) * 1e3
        d = ak.to_numpy(arr.decay_length)
        assert stats.kstest(d / ell_mm, "expon").pvalue > 1e-3
        # the vertex lies along the A' momentum, at distance d from the production point
        z0 = ak.to_numpy(arr.Particle[:, 0].z) if p.has_vertex else 0.0
        vec = np.stack([ak.to_numpy(arr.decay_x), ak.to_numpy(arr.decay_y), ak.to_numpy(arr.decay_z) - z0])
        assert np.allclose(np.linalg.norm(vec, axis=0), d, rtol=1e-9)
        L = p.L_det_m * 1e3
        assert np.array_equal(ak.to_numpy(arr.escapes) == 1, (vis == 0) | (d > L))


def test_offshell_is_invisible(samples):
    arr, _ = samples["babar-offshell"]["unweighted"]
    assert np.all(ak.to_numpy(arr.decay_visible) == 0)
    m = ak.to_numpy(arr.m_inv)
    assert m.std() > 0  # a continuum in the A'* mass


def test_na64_recoil_and_ecal(samples):
    p = samples["na64"]["process"]
    arr, _ = samples["na64"]["unweighted"]
    P = arr.Particle
    assert np.all(ak.to_numpy(P[:, 1].pdgId) == ev.PDG_PB208)
    # E_A' = x E_e and the A' angle to the beam axis
    a = P[:, 2]
    assert np.allclose(ak.to_numpy(a.E), ak.to_numpy(arr.x * arr.E_e), rtol=1e-12)
    th = np.arctan2(np.hypot(ak.to_numpy(a.px), ak.to_numpy(a.py)), ak.to_numpy(a.pz))
    assert np.allclose(th, ak.to_numpy(arr.theta_ap), rtol=1e-9, atol=1e-15)
    # production vertex at the emission depth (Pb X0 = 5.61 mm)
    assert np.allclose(ak.to_numpy(P[:, 0].z), ak.to_numpy(arr.t_X0) * 5.612, rtol=2e-3)
    # ECAL smearing: (E_ecal - E_true)/sigma ~ N(0, 1), E_true = E0 - E_miss_true x escapes
    e_true = p.E0 - ak.to_numpy(arr.E_miss_true)
    # the true missing energy is the A' energy when it escapes, and 0 when it decays visibly inside
    esc = ak.to_numpy(arr.escapes) == 1
    assert np.allclose(ak.to_numpy(arr.E_miss_true)[esc], ak.to_numpy(arr.E_ap)[esc])
    assert np.all(ak.to_numpy(arr.E_miss_true)[~esc] == 0)
    a, b = na64.RESPONSE.stochastic, na64.RESPONSE.constant
    sig = np.sqrt(a * a * e_true + (b * e_true) ** 2)  # sigma_E/E = a/sqrt(E) (+) b
    z = (ak.to_numpy(arr.E_ecal) - e_true) / sig
    assert stats.kstest(z, "norm").pvalue > 1e-3
    assert np.allclose(ak.to_numpy(arr.E_miss), p.E0 - ak.to_numpy(arr.E_ecal))
    assert np.all(ak.to_numpy(arr.E_ap) > p.E_cut)


def test_regression_na64_generate_and_spectrum_simulated_different_ecals():
    """`generate na64` used a 0 % ECAL constant term and `spectrum na64` 2 %: one response now."""
    p = ev.DarkBremEvents(m_ap=0.01, eps=1e-4)
    assert p.response == na64.RESPONSE and na64.RESPONSE.constant == 0.02
    assert p.describe()["ecal_resolution"] == {"stochastic": 0.10, "constant": 0.02}


# --- normalisation -----------------------------------------------------------------------------
def _independent_integral(p, seed=2024):
    vg = Vegas(p.ndim, seed=seed, neval=50_000)
    vg.train(p.integrand, nitn=10)
    r = vg.integrate(p.integrand, nitn=10)
    return r.mean * p.scale, r.sdev * p.scale


@pytest.mark.parametrize("name", list(PROCS))
def test_weights_sum_to_the_vegas_integral(samples, name):
    p = samples[name]["process"]
    arr, s = samples[name]["weighted"]
    sw = float(ak.sum(arr.weight))
    assert sw == pytest.approx(s["sigma"], rel=1e-12)
    ref, err = _independent_integral(p)
    assert abs(sw - ref) < 3.0 * math.hypot(s["sigma_err"], err)
    # unweighted: sigma from all trials, and sigma per unit weight x sum of weights = sigma
    _, su = samples[name]["unweighted"]
    assert abs(su["sigma"] - ref) < 3.0 * math.hypot(su["sigma_err"], err)
    assert su["sigma_per_unit_weight"] * su["sum_weights"] == pytest.approx(su["sigma"], rel=1e-12)


def test_monophoton_sigma_against_closed_form(samples):
    """Born on-shell sigma in the window: spectra.monophoton.sigma_window (closed form), in pb."""
    p = samples["babar-lab"]["process"]
    _, s = samples["babar-lab"]["weighted"]
    ref = float(monophoton.sigma_window(p.sqrt_s**2, 1.0, -0.4, 0.6, eps=1e-3)) * GEV2_TO_PB
    assert abs(s["sigma"] - ref) < 3 * s["sigma_err"]
    assert s["sigma_vegas"] == pytest.approx(ref, rel=1e-4)


def test_na64_yield_against_nested_quad(samples):
    """Thick-target yield x eps^2 by nested quad (spectra.darkbrem.thick_target_yield)."""
    p = samples["na64"]["process"]
    _, s = samples["na64"]["weighted"]
    ref = p.proc.quad_yield()
    assert abs(s["sigma"] - ref) < 3 * s["sigma_err"] + 2e-3 * ref


# --- unweighted distributions against VEGAS histograms -----------------------------------------
def _vegas_hist(p, obs, edges, seed=4242, neval=100_000, nitn=6):
    """Histogram of an observable from vegas' own stratified frozen sampler (Vegas.sample)."""
    vg = Vegas(p.ndim, seed=seed, neval=20_000)
    vg.train(p.integrand, nitn=10)
    acc = np.zeros((nitn, len(edges) - 1))
    for k in range(nitn):
        for u, w in vg.sample(p.integrand, neval=neval):
            x = _observable(p, obs, u)
            acc[k] += np.histogram(x, edges, weights=w)[0]
    return acc.mean(axis=0), acc.std(axis=0, ddof=1) / math.sqrt(nitn)


def _observable(p, obs, u):
    if isinstance(p, ev.NuElectronEvents):
        T, E = p.proc.kinematics(u)["T"], p.proc.kinematics(u)["E_nu"]
        return {"T": T, "E_nu": E, "cos_theta_sun": (E + M_E) / E * np.sqrt(T / (T + 2 * M_E))}[obs]
    return p.proc.kinematics(u)[obs]


CHI2_CASES = [
    ("7Be-sm", "T"),
    ("pp-tmm", "T"),
    ("pp-tmm", "E_nu"),
    ("8B-sm", "cos_theta_sun"),
    ("babar-lab", "cos_theta_cm"),
    ("babar-cm-isr", "E_gamma_cm"),
    ("babar-offshell", "m_inv"),
    ("na64", "x"),
    ("na64", "theta_ap"),
]


@pytest.mark.parametrize("name,obs", CHI2_CASES)
def test_unweighted_distribution_matches_vegas_histogram(samples, name, obs):
    p = samples[name]["process"]
    arr, s = samples[name]["unweighted"]
    x = ak.to_numpy(arr[obs])
    w = ak.to_numpy(arr.weight)
    edges = np.unique(np.quantile(x, np.linspace(0, 1, 21)))  # a point mass (no ISR) merges bins
    edges[0] -= 1e-9 * abs(edges[0]) + 1e-300
    edges[-1] += 1e-9 * abs(edges[-1]) + 1e-300
    assert len(edges) > 6
    n_obs = np.histogram(x, edges, weights=w)[0]
    ref, ref_err = _vegas_hist(p, obs, edges)
    frac = ref / ref.sum()
    frac_err = ref_err / ref.sum()
    tot = n_obs.sum()
    expect = tot * frac
    var = np.histogram(x, edges, weights=w * w)[0] * expect / np.maximum(n_obs, 1) + (tot * frac_err) ** 2
    chi2 = float(np.sum((n_obs - expect) ** 2 / var))
    pval = stats.chi2.sf(chi2, len(n_obs) - 1)
    assert pval > 1e-3, (chi2, n_obs, expect)


# --- unweighting bookkeeping --------------------------------------------------------------------
def test_unweighting_true_accept_reject_and_overweights():
    p = ev.NuElectronEvents("pp", "sm")
    run = sampler.generate(p, 30_000, seed=5, unweighted=True, wmax_factor=0.3, block=8192, pilot=16384)
    arr, s = _collect(run)
    w = ak.to_numpy(arr.weight)
    over = w > 1
    assert s["events_above_wmax"] == over.sum() > 0
    assert s["fraction_above_wmax"] == pytest.approx(over.mean())
    assert np.all(w >= 1.0)
    # weight = v/w_max above w_max: the integrand at the event's point, recomputed independently
    assert s["efficiency"] == pytest.approx(s["accepted"] / s["trials"])
    # never resampled: no event appears twice
    key = ak.to_numpy(arr.T) * 1e3 + ak.to_numpy(arr.E_nu)
    assert len(np.unique(key)) == len(key)
    # per trial E[accept x weight] = E[min(1, v/wm) max(1, v/wm)] = E[v]/wm: the mean weight of
    # the accepted events times w_max x efficiency estimates sigma
    expect = s["w_max"] * s["efficiency"] * float(w.mean())
    assert abs(expect - s["sigma"]) < 3 * math.hypot(
        s["sigma_err"], s["sigma"] * w.std() / w.mean() / math.sqrt(len(w))
    )


def test_weighted_zero_weight_trials_are_not_written():
    p = ev.MonophotonEvents("4S", m_ap=2.0, eps=1e-3, isr=True, mx2_window=(30.0, 36.0))
    arr, s = _collect(sampler.generate(p, 5_000, seed=3, block=4096))
    assert s["trials"] == 5_000 and s["events_written"] == len(arr) < 5_000
    assert np.all(ak.to_numpy(arr.weight) > 0)


# --- reproducibility ----------------------------------------------------------------------------
def _equal(a, b):
    assert a.fields == b.fields and len(a) == len(b)
    for f in a.fields:
        if f == "Particle":
            for g in a.Particle.fields:
                assert np.array_equal(
                    ak.to_numpy(ak.flatten(a.Particle[g])), ak.to_numpy(ak.flatten(b.Particle[g]))
                )
            assert np.array_equal(ak.to_numpy(ak.num(a.Particle)), ak.to_numpy(ak.num(b.Particle)))
        else:
            assert np.array_equal(ak.to_numpy(a[f]), ak.to_numpy(b[f])), f


@pytest.mark.parametrize("unweighted", [False, True])
def test_same_seed_same_events_whatever_the_chunk(unweighted):
    p = ev.MonophotonEvents("3S", m_ap=1.0, eps=1e-3, isr=True, mx2_window=(-4.0, 36.0))
    n = 12_345
    ref, s_ref = _collect(sampler.generate(p, n, seed=21, unweighted=unweighted, block=4096))
    for chunk in (1_000, 4_096, 7_777, n):
        run = sampler.generate(p, n, seed=21, unweighted=unweighted, chunk=chunk, block=4096)
        parts = list(run)
        assert all(len(c) <= chunk for c in parts)
        arr = ak.concatenate(parts)
        _equal(arr, ref)
        assert run.summary()["sigma"] == s_ref["sigma"]
    other, _ = _collect(sampler.generate(p, n, seed=22, unweighted=unweighted, block=4096))
    assert not np.array_equal(ak.to_numpy(other.E_gamma_cm), ak.to_numpy(ref.E_gamma_cm))


def test_a_short_run_is_the_start_of_a_longer_one():
    p = ev.NuElectronEvents("7Be", "tmm", m_ap=1e-4)
    long, _ = _collect(sampler.generate(p, 9_000, seed=4, unweighted=True, block=2048))
    short, _ = _collect(sampler.generate(p, 3_000, seed=4, unweighted=True, block=2048, chunk=999))
    _equal(short, long[:3_000])
    assert np.array_equal(ak.to_numpy(long.event), np.arange(1, 9_001))


def test_memory_stays_at_one_chunk():
    """Streaming 400k events in 20k chunks never allocates the whole sample (tracemalloc)."""
    import tracemalloc

    p = ev.NuElectronEvents("7Be", "sm")
    run = sampler.generate(p, 400_000, seed=1, unweighted=True, chunk=20_000, block=8192, pilot=8192)
    run.prepare()
    tracemalloc.start()
    n = 0
    for c in run:
        n += len(c)
        del c
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 400_000
    per_event = 4 * 7 * 8 + 6 * 8  # particle columns and observables, bytes
    assert peak < 12 * 20_000 * per_event  # a few chunk buffers and block temporaries
    assert peak < 0.2 * 400_000 * per_event  # far below the whole sample


# --- bad input -----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, -5, 1.5, True])
def test_bad_event_numbers(n):
    with pytest.raises(ParameterError):
        sampler.generate(ev.NuElectronEvents("pep", "sm"), n, seed=1)


def test_bad_parameters():
    with pytest.raises(ParameterError):
        sampler.generate(ev.NuElectronEvents("pep", "sm"), 10, seed=-1)
    with pytest.raises(ParameterError, match="component"):
        ev.NuElectronEvents("9Li", "sm")
    with pytest.raises(ParameterError, match="kinematic limit"):
        ev.NuElectronEvents("pp", "sm", T_lo=1.0 * MEV)
    with pytest.raises(ParameterError, match="resonance"):
        ev.MonophotonEvents("5S")
    with pytest.raises(ParameterError, match="M_X"):
        ev.MonophotonEvents("3S", isr=True)
    with pytest.raises(ParameterError):
        ev.DarkBremEvents(m_ap=0.01, eps=2.0)
