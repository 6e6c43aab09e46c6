"""XENONnT SR0: xenon target, signal, response and likelihood against the check values of
``shared/physics/xenon_er.md`` sections 2-5 (independent numbers, closed forms and quad)."""

import math

import numpy as np
import pytest
from scipy.integrate import quad

from darktmm.detectors import xenonnt as xn
from darktmm.detectors.solar_data import spectrum_table
from darktmm.spectra import nue, solar
from darktmm.spectra import xenon as xe
from darktmm.spectra.constants import GEV2_TO_CM2, KEV, SIGMA0_TMM
from darktmm.spectra.model import DarkSector
from darktmm.spectra.validate import ParameterError

PER_KEV = xe.PER_ATOM_S_TO_TYR * KEV  # rate per atom per GeV -> events/(t yr keV)
CONTINUA = ("pp", "8B", "hep", "13N", "15O", "17F")


# --- closed forms (section 3.2) -----------------------------------------------------------------
def test_constants():
    assert SIGMA0_TMM * GEV2_TO_CM2 == pytest.approx(2.4947e-25, rel=1e-4)
    assert xe.ATOMS_PER_TONNE == pytest.approx(4.5868e27, rel=1e-4)
    assert xe.SECONDS_PER_YEAR == pytest.approx(3.15576e7, rel=1e-9)


@pytest.mark.parametrize("E,T,ref", [(300.0, 10.0, 2.4115e-48), (861.3, 1.0, 2.4918e-47)])
def test_dsigma_dT_check_values(E, T, ref):
    ds = nue.dsigma_dT_tmm(E * KEV, T * KEV, 1e-11) * GEV2_TO_CM2 * KEV  # cm^2/keV
    assert float(ds) == pytest.approx(ref, rel=1e-4)


@pytest.mark.parametrize("T,ref", [(1.0, 0.0085976), (10.0, 0.25547), (30.0, 0.56860)])
def test_propagator_factor_squared_at_100_keV(T, ref):
    assert float(nue.propagator_factor(T * KEV, 100 * KEV) ** 2) == pytest.approx(ref, rel=1e-4)


@pytest.mark.parametrize("T,ref", [(1.0, 16.492), (30.0, 103.83)])
def test_e_min(T, ref):
    assert float(nue.e_min(T * KEV) / KEV) == pytest.approx(ref, rel=1e-4)


@pytest.mark.parametrize(
    "T,z",
    [
        (0.5, 26),
        (1.0, 40),
        (1.1, 42),
        (2.0, 44),
        (4.9, 48),
        (5.2, 50),
        (5.5, 52),
        (10, 52),
        (30, 52),
        (40, 54),
    ],
)
def test_z_eff_stepping_booklet(T, z):
    assert float(xe.XenonAtom()(T * KEV)) == z


def test_z_eff_dirac_fock_and_free():
    assert float(xe.XenonAtom(table="dirac-fock")(5.5 * KEV)) == 50
    assert float(xe.XenonAtom("free")(np.array([0.01, 1.0, 40.0]) * KEV).max()) == 54
    # all 54 electrons above the K edge, none below the outermost shell
    assert sum(xe.SHELL_OCCUPATION) == 54
    atom = xe.XenonAtom()
    assert float(atom(35 * KEV)) == 54 and float(atom(12.0e-9)) == 0
    # the only steps in 1-30 keV: M2, M1 and the three L edges
    e = atom.edges_GeV / KEV
    assert np.allclose(e[(e > 1) & (e < 30)], [1.0021, 1.1487, 4.786, 5.107, 5.453])


def test_bad_treatment_and_table():
    with pytest.raises(ParameterError, match="treatment"):
        xe.XenonAtom("rrpa")
    with pytest.raises(ParameterError, match="table"):
        xe.XenonAtom(table="hartree")
    with pytest.raises(ParameterError, match="nuisance"):
        xn.limit([0.0], nuisance="flat")


def test_tail_moments_exact_against_quad():
    rng = np.random.default_rng(3)
    e = np.concatenate([[0.0], np.sort(rng.uniform(0.1, 5.0, 30))])
    f = np.concatenate([[0.0], rng.uniform(0.0, 1.0, 30)])
    tm = xe.tail_moments(e, f)
    fun = lambda x: np.interp(x, e, f)  # noqa: E731
    for x in (0.05, 0.3 * e[-1], 0.7 * e[-1], 0.99 * e[-1]):
        a = quad(fun, x, e[-1], points=e[(e > x)], limit=200, epsrel=1e-12)[0]
        b = quad(lambda y: fun(y) / y, x, e[-1], points=e[(e > x)], limit=200, epsrel=1e-12)[0]
        assert float(tm.A(x)) == pytest.approx(a, rel=1e-10)
        assert float(tm.B(x)) == pytest.approx(b, rel=1e-10)


@pytest.mark.parametrize("T,ref", [(1, 0.3890), (2, 0.5529), (5, 0.8829), (10, 1.2626), (30, 2.2475)])
def test_resolution_baseline(T, ref):
    assert float(xn.RESOLUTION.sigma(T * KEV) / KEV) == pytest.approx(ref, abs=5e-5)


@pytest.mark.parametrize("T,ref", [(1, 0.3137), (2, 0.4458), (5, 0.7117), (10, 1.0173), (30, 1.8089)])
def test_resolution_xenon1t(T, ref):
    assert float(xn.RESOLUTION_1T.sigma(T * KEV) / KEV) == pytest.approx(ref, abs=5e-5)


def test_tmm_kernel_lines_closed_form():
    T = np.array([1.0, 10.0, 30.0]) * KEV
    ref = sum(br * (1 / T - 1 / e) for e, br in solar.COMPONENTS["7Be"].lines)
    assert np.allclose(xe.tmm_kernel(T, "7Be"), ref, rtol=1e-13)


def test_signal_process_model_equals_flavour_blind():
    m = DarkSector.flavour_blind(0.1e-3, 0.5, 2e-11)
    a = xn.signal_process("pp", "tmm", m)
    b = xn.signal_process("pp", "tmm", m_ap=0.1e-3, eps_mu=1e-11)
    T = np.array([1.0, 5.0, 20.0]) * KEV
    assert np.allclose(a.dR_dT(T), b.dR_dT(T), rtol=1e-12)
    # the electron weight: rate per atom = Z_eff(T) x rate per electron
    c = xn.signal_process("pp", "tmm", m_ap=0.1e-3, eps_mu=1e-11, treatment="free")
    assert np.allclose(c.dR_dT(T), 54.0 / xe.XenonAtom()(T) * b.dR_dT(T), rtol=1e-12)


# --- data-dependent checks ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def bahcall(data_dir):
    """The Bahcall tables with (0, 0) prepended, unit area (xenon_er.md section 3)."""
    return {c: xe.tail_moments(*xe.with_origin(*spectrum_table(c, data_dir))) for c in CONTINUA}


@pytest.fixture(scope="module")
def sr0(data_dir):
    return xn.load_data(data_dir)


def test_pp_table_moments(bahcall):
    tm = bahcall["pp"]
    assert xe.mean_energy((tm.e, tm.f)) / KEV == pytest.approx(266.67, rel=2e-5)
    assert float(tm.B(0.0)) * KEV == pytest.approx(4.4936e-3, rel=2e-5)


DRDT = {  # section 3.2, photon limit, mu = 1e-11 muB, events/(t yr keV)
    ("pp", "free"): [11.606, 5.7749, 2.2752, 1.1075, 0.52266, 0.32726],
    ("pp", "stepping"): [8.5970, 4.7055, 2.0224, 1.0665, 0.50331, 0.31514],
    ("all", "stepping"): [9.4002, 5.1466, 2.2141, 1.1697, 0.55420, 0.34861],
}
T_CHECK = np.array([1.0, 2.0, 5.0, 10.0, 20.0, 30.0]) * KEV


@pytest.mark.parametrize("key", list(DRDT))
def test_dR_dT_table_with_bahcall_shapes(bahcall, key):
    comps, tr = key
    r = xe.tmm_dR_dT(
        T_CHECK, components=None if comps == "all" else comps, atom=xe.XenonAtom(tr), shapes=bahcall
    )
    assert np.allclose(r * PER_KEV, DRDT[key], rtol=1e-4, atol=0)


@pytest.mark.parametrize("key", list(DRDT))
def test_dR_dT_builtin_shapes_within_2e4(key):
    # darktmm's own allowed-beta shapes (what the VEGAS integrand samples) differ from Bahcall's
    # tables by <= 1.2e-4 here (the pp mean energy differs by 5e-4, but the TMM kernel is
    # dominated by 1/T, where only the total area enters)
    comps, tr = key
    r = xe.tmm_dR_dT(T_CHECK, components=None if comps == "all" else comps, atom=xe.XenonAtom(tr))
    assert np.allclose(r * PER_KEV, DRDT[key], rtol=2e-4, atol=0)


def _true_rate(comps, atom, m_ap, shapes, lo=1.0, hi=30.0):
    """int_lo^hi dR/dT dT [events/(t yr)] by quad with the Z_eff steps as break points."""
    steps = [float(x) / KEV for x in atom.edges_GeV if lo < x / KEV < hi]

    def f(t):
        return float(xe.tmm_dR_dT(np.array([t * KEV]), m_ap, components=comps, atom=atom, shapes=shapes)[0])

    return quad(f, lo, hi, points=steps or None, epsrel=1e-9, limit=400)[0] * PER_KEV


@pytest.mark.parametrize(
    "comps,tr,m_ap,ref",
    [
        ("pp", "free", 0.0, 37.942),
        ("pp", "stepping", 0.0, 33.721),
        (None, "free", 0.0, 41.594),
        (None, "stepping", 0.0, 36.973),
        (None, "free", 100 * KEV, 7.598),
        (None, "stepping", 100 * KEV, 7.185),
    ],
)
def test_integrated_true_rates(bahcall, comps, tr, m_ap, ref):
    assert _true_rate(comps, xe.XenonAtom(tr), m_ap, bahcall) == pytest.approx(ref, rel=1.5e-4)


def test_data_files(sr0):
    E = sr0.energies / KEV
    assert len(E) == 433
    assert E.min() == pytest.approx(1.699, abs=1e-3) and E.max() == pytest.approx(29.985, abs=1e-3)
    assert sr0.b0_counts(sr0.window_edges).sum() == pytest.approx(426.53, abs=0.005)
    # the low-energy deficit of section 2
    assert sr0.b0_counts(np.array([1.0, 1.7]) * KEV)[0] == pytest.approx(3.70, abs=0.005)
    assert sr0.counts(np.array([1.0, 3.0]) * KEV)[0] == 15
    assert sr0.b0_counts(np.array([1.0, 3.0]) * KEV)[0] == pytest.approx(19.36, abs=0.005)
    eff = sr0.efficiency(np.array([1.0, 1.5, 2.0, 3.0, 10.0, 29.9, 40.0, 0.05]) * KEV)
    assert np.allclose(eff, [0.0737, 0.438, 0.704, 0.790, 0.803, 0.815, 0.815, 0.0], atol=5e-4)


def test_response_matrix_against_quad(sr0):
    resp = sr0.response()
    edges = np.array([1.0, 1.1, 1.5, 3.0, 10.0, 29.9, 30.0]) * KEV
    for T in (0.4, 1.2, 4.0, 25.0):
        t = T * KEV
        P = resp.matrix(np.array([t]), edges)[:, 0]
        for b in range(len(edges) - 1):
            sg = float(resp.sigma(t))

            def g(x, t=t, sg=sg):
                return float(sr0.efficiency(x) * math.exp(-0.5 * ((x - t) / sg) ** 2)) / (
                    math.sqrt(2 * math.pi) * sg
                )

            nodes = sr0.efficiency.E[(sr0.efficiency.E > edges[b]) & (sr0.efficiency.E < edges[b + 1])]
            ref = quad(
                g, edges[b], edges[b + 1], points=nodes[:100] if len(nodes) else None, limit=800, epsabs=1e-16
            )[0]
            assert P[b] == pytest.approx(ref, rel=1e-7, abs=1e-14)


def _fine_true(shapes, atom, m_ap=0.0, n=20000):
    """dR/dT on a dense log T grid 0.05-45 keV with trapezoid weights [events/(t yr) per node]."""
    T = np.geomspace(0.05, 45.0, n) * KEV
    w = np.zeros(n)
    d = np.diff(T)
    w[:-1] += 0.5 * d
    w[1:] += 0.5 * d
    return T, xe.tmm_dR_dT(T, m_ap, atom=atom, shapes=shapes) * xe.PER_ATOM_S_TO_TYR * w


_WINDOW_ROW = {}  # P([1, 30] keV | T) on the _fine_true grid, per resolution


@pytest.mark.parametrize(
    "tr,res,m_ap,ref",
    [
        ("free", "baseline", 0.0, 29.554),
        ("stepping", "baseline", 0.0, 26.556),
        ("free", "1t", 0.0, 29.557),
        ("stepping", "1t", 0.0, 26.583),
        ("free", "baseline", 100 * KEV, 6.100),
        ("stepping", "baseline", 100 * KEV, 5.780),
    ],
)
def test_reconstructed_rates(bahcall, sr0, tr, res, m_ap, ref):
    T, c = _fine_true(bahcall, xe.XenonAtom(tr), m_ap)
    if res not in _WINDOW_ROW:
        resp = xn.Response(sr0.efficiency, xn.RESOLUTION if res == "baseline" else xn.RESOLUTION_1T)
        _WINDOW_ROW[res] = resp.matrix(T, np.array([1.0, 30.0]) * KEV)[0]
    rate = float(_WINDOW_ROW[res] @ c)
    assert rate == pytest.approx(ref, abs=1.5e-3)


@pytest.mark.parametrize("tr,ref", [("free", 29.561), ("stepping", 26.633)])
def test_efficiency_only_rate(bahcall, sr0, tr, ref):
    """int_1^30 eps(T) dR/dT dT: 10-point Gauss-Legendre on every piece between the efficiency
    nodes and the shell edges (the integrand is smooth on each piece)."""
    atom = xe.XenonAtom(tr)
    nodes = sr0.efficiency.E / KEV
    cuts = np.union1d(
        nodes[(nodes > 1) & (nodes < 30)], [x / KEV for x in atom.edges_GeV if 1 < x / KEV < 30]
    )
    pts = np.concatenate([[1.0], cuts, [30.0]])
    x, w = np.polynomial.legendre.leggauss(10)
    a, b = pts[:-1, None], pts[1:, None]
    t = (0.5 * (a + b) + 0.5 * (b - a) * x).ravel() * KEV
    wt = (0.5 * (b - a) * w).ravel()
    f = sr0.efficiency(t) * xe.tmm_dR_dT(t, atom=atom, shapes=bahcall) * PER_KEV
    assert float(f @ wt) == pytest.approx(ref, abs=1.5e-3)


def test_dirac_fock_same_reconstructed_rate(sr0):
    T = np.geomspace(0.05, 45.0, 6000) * KEV
    resp = sr0.response()
    P = resp.matrix(T, np.array([1.0, 30.0]) * KEV)[0] * np.gradient(T)
    a = P @ xe.tmm_dR_dT(T, atom=xe.XenonAtom())
    b = P @ xe.tmm_dR_dT(T, atom=xe.XenonAtom(table="dirac-fock"))
    assert b == pytest.approx(a, rel=1e-3)


E_CHECK = np.array([1.5, 2.0, 3.0, 5.0, 10.0, 20.0]) * KEV
DRDE = {
    "stepping": [2.9313, 3.6140, 2.7010, 1.7554, 0.93960, 0.45327],
    "free": [3.6959, 4.4436, 3.3092, 1.9893, 0.97570, 0.47070],
}


@pytest.mark.parametrize("tr", list(DRDE))
def test_reconstructed_density(bahcall, sr0, tr):
    T, c = _fine_true(bahcall, xe.XenonAtom(tr))
    dens = sr0.response().density(T, E_CHECK) @ c * KEV
    assert np.allclose(dens, DRDE[tr], rtol=1.5e-4, atol=0)


def test_no_signal_likelihood(sr0):
    tpl = xn.templates(method="exact", data=sr0)
    L = tpl.likelihood(0.0)
    assert len(L.s) == 433
    assert L.B == pytest.approx(426.529, abs=5e-4)
    assert L.nll(0.0, 0.0) == pytest.approx(-746.7947, abs=5e-4)
    b, f = L.profile_b(0.0)
    assert b == pytest.approx(433 / L.B - 1.0, rel=1e-9)  # closed form at theta = 0
    assert b == pytest.approx(0.015172, abs=5e-7)
    assert f == pytest.approx(-746.8435, abs=5e-4)


def test_vegas_kernel_matches_exact_kernel(sr0):
    """VEGAS fine-bin TMM kernel (per 0.1 keV bin, folded) against the exact A/B closed form."""
    tv = xn.templates(method="vegas", data=sr0, seed=11)
    te = xn.templates(method="exact", data=sr0)
    for m in (0.0, 300 * KEV):
        a, ea = tv.fine_signal(m)
        b, _ = te.fine_signal(m)
        fa, fb = tv.R_bins @ a, te.R_bins @ b
        err = np.sqrt((tv.R_bins**2) @ ea**2)
        assert np.max(err / fa) < 1.5e-3
        pull = (fa - fb) / err
        assert np.max(np.abs(pull)) < 4.5  # 290 bins
        assert abs(np.mean(pull)) < 4.0 / math.sqrt(len(pull)) + 0.2  # no bias beyond folding (< 1e-5)


@pytest.mark.parametrize("kind", ["tmm", "sm"])
def test_spectra_api_and_per_bin_errors(sr0, kind):
    s = xn.spectra(m_ap=0.0, data=sr0, rtol=1e-3, seed=5, sm=(kind == "sm"), profiles=None)
    d = s.sm if kind == "sm" else s.tmm
    assert set(d) == set(xn.SOLAR)
    assert s.info["max_rel_error_per_bin"] <= 1e-3
    assert len(s.edges) == 291 and s.data_counts.sum() == 433
    assert s.background_tyr.sum() * xn.EXPOSURE_TYR == pytest.approx(426.53, abs=0.005)
    if kind == "tmm":
        # the VEGAS total against the exact closed form, within the summed MC error
        te = xn.templates(method="exact", data=sr0)
        v, _ = te.fine_signal(0.0)
        ref = te.R_bins @ v
        err = s.tmm_total_err
        assert abs(s.tmm_total.sum() - ref.sum()) < 4 * np.sqrt((err**2).sum()) + 1e-5 * ref.sum()
        assert s.tmm["pp"].folded.sum() / s.tmm_total.sum() == pytest.approx(0.91, abs=0.01)


def _quad_bin(proc, resp, lo, hi):
    """Folded content of one reconstructed bin by nested quad: int dT dR/dT(T) P_bin(T).

    dR/dT: for the TMM the exact A/B closed form of spectra.xenon (independent of the VEGAS
    integrand's code path); for the SM RecoilProcess.dR_dT (adaptive quad over E_nu). P_bin from
    the analytic response (checked against quad above). T within +-10 sigma of the bin, the Z_eff
    steps as break points.
    """
    tlo, thi = proc.t_range
    a, b = max(tlo, lo - 10 * float(resp.sigma(lo))), min(thi, hi + 10 * float(resp.sigma(hi)))
    if proc.kind == "tmm":
        mu = math.sqrt(float(np.sum(np.abs(proc.moment_muB[:, 0]) ** 2)))

        def rate(t):
            return float(
                xe.tmm_dR_dT(np.array([t]), proc.m_ap, mu, components=proc.component, atom=proc.electrons)[0]
            )
    else:

        def rate(t):
            return float(proc.dR_dT(np.array([t]), epsrel=1e-7)[0])

    def g(t):
        return rate(t) * resp.matrix(np.array([t]), np.array([lo, hi]))[0, 0]

    # one quad per piece: 40 pieces across the range plus the steps (a single quad over the whole
    # range, peaked in its middle, stops at a few 1e-5)
    pts = np.union1d(np.linspace(a, b, 41), [x for x in proc.electrons.edges_GeV if a < x < b])
    return sum(quad(g, x0, x1, epsrel=1e-10)[0] for x0, x1 in zip(pts[:-1], pts[1:])) * xe.PER_ATOM_S_TO_TYR


@pytest.mark.slow
@pytest.mark.parametrize(
    "comp,kind,m_ap",
    [("pp", "tmm", 0.0), ("7Be", "tmm", 0.0), ("pp", "tmm", 1e-3), ("7Be", "sm", 0.0)],
)
def test_vegas_folded_bins_match_quad(sr0, comp, kind, m_ap):
    # (an SM continuum is left out: its nested quad over the 20001-node shape table takes minutes;
    # the SM continuum integrand is the Borexino one, tests/test_recoil.py, times the same Z_eff)
    resp = sr0.response()
    proc = xn.signal_process(comp, kind, m_ap=m_ap)
    edges = sr0.window_edges
    s = xn.spectrum(proc, resp, edges, np.array([0.0, 45.0]) * KEV, rtol=1e-3, seed=4)[0]
    for b in (0, 40, 288) if kind == "sm" else (0, 5, 40, 150, 288):
        ref = _quad_bin(proc, resp, edges[b], edges[b + 1])
        # MC error plus the fine-T folding at bin centres (< 1e-5)
        assert abs(s.folded[b] - ref) < 4 * s.folded_err[b] + 2e-5 * ref, (comp, kind, b)
