"""Tests of spectra/solar.py and detectors/solar_data.py.

References: shared/physics/neutrino_electron.md sec. 2.3, 7, 8 and solar_borexino.md sec. 1-2.
"Quoted digits" means |x - ref| <= half a unit of the last quoted digit.

Spectral-shape metric (computed shape vs Bahcall's table, both normalised to unit trapezoid area on
the table's own energy grid):
* ``bulk``: max |computed/table - 1| over the table points with table >= 10 % of its maximum;
* ``L1``: int |computed - table| dE (twice the fraction of the flux that is misplaced);
* ``<sigma_e>``: relative change of the flux-averaged BKS nu_e e cross section.
"""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
from scipy.integrate import quad

from darktmm.detectors import data, solar_data
from darktmm.spectra import nue, solar
from darktmm.spectra.constants import GEV2_TO_CM2
from darktmm.spectra.model import NUFIT52, NUFIT60, DarkSector, Oscillation, moment_from_lambdas
from darktmm.spectra.validate import ParameterError

MEV = 1e-3
NAMES = ("pp", "pep", "hep", "7Be", "8B", "13N", "15O", "17F")
CONTINUA = ("pp", "hep", "8B", "13N", "15O", "17F")


def assert_quoted(value, ref: str):
    mant, _, exp = ref.lower().partition("e")
    decimals = len(mant.split(".")[1]) if "." in mant else 0
    ulp = 10.0 ** (-decimals + (int(exp) if exp else 0))
    assert abs(value - float(ref)) <= 0.5 * ulp * (1 + 1e-9), f"{value!r} != {ref} to its quoted digits"


@pytest.fixture(scope="module")
def snudd():
    """The SNuDD production profiles, read through detectors.data.path (needs $DARKTMM_DATA in CI)."""
    try:
        data.path("solar/snudd/flux_distributions/pp_dist.txt")
    except data.DataError as exc:
        if not os.environ.get(data.ENV_VAR):
            pytest.skip(f"${data.ENV_VAR} is not set and the solar data are not in the cache: {exc}")
        raise
    return {name: solar_data.production_profile(name) for name in NAMES}


# --- components ---------------------------------------------------------------------------


def test_components_table():
    assert tuple(solar.COMPONENTS) == NAMES
    assert solar.CNO == ("13N", "15O", "17F")
    flux = {k: c.flux_cm2_s for k, c in solar.COMPONENTS.items()}
    assert flux == {
        "pp": 5.98e10,
        "pep": 1.44e8,
        "hep": 7.98e3,
        "7Be": 4.93e9,
        "8B": 5.46e6,
        "13N": 2.78e8,
        "15O": 2.05e8,
        "17F": 5.29e6,
    }
    assert np.array(solar.COMPONENTS["pep"].lines) == pytest.approx(np.array([[1.442e-3, 1.0]]), rel=1e-14)
    assert np.array(solar.COMPONENTS["7Be"].lines) == pytest.approx(
        np.array([[0.8613e-3, 0.8956], [0.3843e-3, 0.1044]]), rel=1e-14
    )
    for k, c in solar.COMPONENTS.items():
        assert c.is_line == (k in ("pep", "7Be"))
        if c.is_line:
            assert sum(b for _, b in c.lines) == pytest.approx(1.0, abs=1e-12)
    ends = {k: solar.COMPONENTS[k].endpoint_GeV / MEV for k in ("pp", "13N", "15O", "17F")}
    assert ends == pytest.approx({"pp": 0.42341, "13N": 1.199, "15O": 1.732, "17F": 1.740}, abs=1e-12)
    assert solar.COMPONENTS["hep"].endpoint_GeV / MEV == pytest.approx(18.79, abs=0.01)
    with pytest.raises(ParameterError):
        solar.get_component("Be7")


# --- spectral shapes -----------------------------------------------------------------------


@pytest.mark.parametrize("name", CONTINUA)
def test_shape_unit_area_cdf_ppf(name):
    end = solar.COMPONENTS[name].endpoint_GeV
    area, _ = quad(lambda e: float(solar.spectrum_shape(name, e)), 0, end, limit=400, epsabs=1e-10)
    assert area == pytest.approx(1.0, abs=1e-6)
    E = np.linspace(0.05, 0.95, 7) * end
    for e in E:
        ref, _ = quad(lambda x: float(solar.spectrum_shape(name, x)), 0, e, limit=400, epsabs=1e-9)
        assert solar.spectrum_cdf(name, e) == pytest.approx(ref, abs=1e-7)
    np.testing.assert_allclose(solar.spectrum_ppf(name, solar.spectrum_cdf(name, E)), E, rtol=1e-9)
    u = np.linspace(0, 1, 101)
    e_u = solar.spectrum_ppf(name, u)
    assert np.all(np.diff(e_u) >= 0) and e_u[0] == 0 and 0.9 * end < e_u[-1] <= end
    np.testing.assert_allclose(solar.spectrum_cdf(name, e_u), u, atol=1e-12)
    assert solar.spectrum_cdf(name, -1.0) == 0 and solar.spectrum_cdf(name, 1.0) == 1
    assert solar.spectrum_shape(name, np.array([-1e-3, end * 1.01])).tolist() == [0.0, 0.0]
    with pytest.raises(ParameterError):
        solar.spectrum_ppf(name, 1.5)


@pytest.mark.parametrize("name", ("pep", "7Be"))
def test_lines_have_no_shape(name):
    for fn in (solar.spectrum_shape, solar.spectrum_cdf, solar.spectrum_ppf):
        with pytest.raises(ParameterError):
            fn(name, 0.5)


def test_shape_low_energy_is_e_squared():
    # allowed shape: dN/dE ∝ E^2 (W^2 - m_e^2)^(1/2) W F, so ~ E^2 at E -> 0
    e = np.array([1e-7, 2e-7])
    s = solar.allowed_beta_plus_shape(e, 0.42341 * MEV, 1, 2)
    assert s[1] / s[0] == pytest.approx(4.0, rel=1e-3)


def test_fermi_function_nonrelativistic_limit():
    # F(Z, W) -> 2 pi eta/(1 - exp(-2 pi eta)) for small alpha Z, with eta = alpha Z W/p (nuclear size aside)
    W = np.array([1.2, 2.0, 3.0]) * 0.51099895e-3
    p = np.sqrt(W**2 - 0.51099895e-3**2)
    eta = -(1.0 / 137.035999084) * W / p
    nr = 2 * np.pi * eta / (1 - np.exp(-2 * np.pi * eta))
    np.testing.assert_allclose(solar.fermi_function(-1, W, 2), nr, rtol=2e-3)


def _table_metrics(name):
    e, tab = solar_data.spectrum_table(name)
    mod = solar.spectrum_shape(name, e)
    mod = mod / np.trapezoid(mod, e)
    bulk = tab >= 0.1 * tab.max()
    rel_bulk = np.max(np.abs(mod[bulk] / tab[bulk] - 1))
    l1 = np.trapezoid(np.abs(mod - tab), e)
    sig = nue.sigma_sm_total(e, "e", "bks")
    dsig = np.trapezoid(mod * sig, e) / np.trapezoid(tab * sig, e) - 1
    return e, tab, mod, rel_bulk, l1, dsig


@pytest.mark.parametrize("name", ("pp", "13N", "15O", "17F", "hep"))
def test_beta_shapes_vs_bahcall_tables(snudd, name):
    # achieved: bulk <= 0.2 %, L1 <= 1e-4, <sigma_e> <= 3e-5 (pp 1e-4, 6e-6)
    _, _, _, rel_bulk, l1, dsig = _table_metrics(name)
    assert rel_bulk <= 0.02
    assert l1 <= 1e-3
    assert abs(dsig) <= 1e-4


def test_b8_shape_vs_bahcall_table(snudd):
    # The 8B final-state parameters are fitted to this table: these are fit-quality statements.
    e, tab, mod, rel_bulk, l1, dsig = _table_metrics("8B")
    assert rel_bulk <= 0.05
    mid = (e >= 3 * MEV) & (e <= 12 * MEV)
    assert np.max(np.abs(mod[mid] / tab[mid] - 1)) <= 0.012
    assert l1 <= 0.004
    assert abs(dsig) <= 0.002
    assert np.trapezoid(e * mod, e) / np.trapezoid(e * tab, e) == pytest.approx(1.0, abs=0.002)


def test_pp_mean_energy():
    # Bahcall, PRC 56 (1997) 3391: <E_pp> = 0.2668 MeV [R]; independent of the tables.
    e = np.linspace(0, solar.COMPONENTS["pp"].endpoint_GeV, 20001)
    assert_quoted(np.trapezoid(e * solar.spectrum_shape("pp", e), e) / MEV, "0.2668")


# --- spectrum-averaged cross sections (neutrino_electron.md sec. 2.3) ------------------


def _avg_sigma_table(name, fl, corr):
    e, s = solar_data.spectrum_table(name)
    return np.trapezoid(s * nue.sigma_sm_total(e, fl, corr), e) * GEV2_TO_CM2


def _avg_sigma_computed(name, fl, corr):
    e = np.linspace(0, solar.COMPONENTS[name].endpoint_GeV, 4001)
    return np.trapezoid(solar.spectrum_shape(name, e) * nue.sigma_sm_total(e, fl, corr), e) * GEV2_TO_CM2


PP_AVG = {
    ("e", "tree"): "1.175e-45",
    ("x", "tree"): "3.166e-46",
    ("e", "bks"): "1.150e-45",
    ("x", "bks"): "3.247e-46",
}


@pytest.mark.parametrize("key", PP_AVG, ids=lambda k: "-".join(k))
def test_pp_averaged_sigma(snudd, key):
    ref = PP_AVG[key]
    assert_quoted(_avg_sigma_table("pp", *key), ref)
    # the computed shape: the table's coarse grid (5 keV) shifts the trapezoid average by ~8e-4
    assert _avg_sigma_computed("pp", *key) == pytest.approx(float(ref), rel=1e-3)


def test_be7_averaged_sigma_and_newtrinos():
    lines = solar.COMPONENTS["7Be"].lines
    avg = {fl: sum(b * nue.sigma_sm_total(e, fl, "bks") for e, b in lines) * GEV2_TO_CM2 for fl in "ex"}
    assert_quoted(avg["e"], "5.409e-45")
    assert_quoted(avg["x"], "1.203e-45")
    # independent code (Newtrinos) for sigma_e only, agreement 0.2 % (sec. 2.3)
    assert avg["e"] == pytest.approx(5.3997e-45, rel=2e-3)
    assert _avg_sigma_computed("pp", "e", "bks") == pytest.approx(1.1475e-45, rel=2e-3)


# --- MSW (neutrino_electron.md sec. 8) -----------------------------------------------------


def test_vcc_and_density_fit():
    assert_quoted(solar.V_CC_PER_NA * 1e9, "7.632e-14")  # eV
    assert solar.electron_density_NA(0.0) == pytest.approx(107, abs=0.5)
    assert solar.electron_density_NA(0.2) == pytest.approx(
        10 ** (2.36 - 0.904 - 0.33 * math.exp(-((0.2 / 0.075) ** 1.1)))
    )
    # beta = 0.2035 (c13^2 n_e/100 N_A)(E/MeV)(7.5e-5 eV^2/dm21^2): cos2theta_m at beta via the formula
    o = Oscillation(s12sq=0.3, s13sq=0.0, dm21_eV2=7.5e-5)
    beta = float(2 * solar.V_CC_PER_NA * 100 * MEV / 7.5e-23)
    assert_quoted(beta, "0.2035")
    c2 = 0.4
    assert solar.cos2theta_m(MEV, 100.0, o) == pytest.approx(
        (c2 - beta) / math.hypot(c2 - beta, math.sqrt(1 - c2**2))
    )
    assert solar.cos2theta_m(MEV, 0.0, NUFIT52) == pytest.approx(1 - 2 * NUFIT52.s12sq, rel=1e-14)


PEE_TABLE = [  # source, E [MeV], P_ee NuFIT 5.2, P1, P2, P_ee NuFIT 6.0
    ("pp", 0.1, "0.5507", "0.676", "0.301", "0.5471"),
    ("pp", 0.2, "0.5487", "0.671", "0.307", "0.5452"),
    ("pp", 0.42, "0.5442", "0.660", "0.318", "0.5408"),
    ("7Be", 0.3843, "0.5423", "0.655", "0.323", "0.5390"),
    ("7Be", 0.8613, "0.5285", "0.619", "0.359", "0.5256"),
    ("pep", 1.442, "0.5182", "0.592", "0.386", "0.5156"),
    ("15O", 1.0, "0.5216", "0.601", "0.377", "0.5189"),
    ("8B", 5.0, "0.3877", "0.253", "0.725", "0.3903"),
    ("8B", 8.1, "0.3367", "0.121", "0.857", "0.3408"),
    ("8B", 10.0, "0.3215", "0.081", "0.896", "0.3260"),
]

#: The NuFIT 6.0 column of the reference was evaluated with the rounded s12^2 = 0.308 and
#: s13^2 = 0.0222 it quotes; spectra.model.NUFIT60 uses the angles (s12^2 = 0.30753), which moves
#: P_ee by 3-4e-4 (see test_nufit60_inputs_of_reference).
NUFIT60_REF = Oscillation(
    s12sq=0.308, s13sq=0.0222, dm21_eV2=7.49e-5, label="NuFIT 6.0 as rounded in the reference"
)


@pytest.mark.parametrize("row", PEE_TABLE, ids=lambda r: f"{r[0]}-{r[1]}")
def test_pee_check_table(snudd, row):
    name, E, p52, p1, p2, p60 = row
    prof = snudd[name]
    e = E * MEV
    assert abs(solar.pee(e, name, NUFIT52, prof) - float(p52)) <= 1e-4
    P = solar.mass_fractions(e, name, NUFIT52, prof)
    assert abs(P[0] - float(p1)) <= 1e-3
    assert abs(P[1] - float(p2)) <= 1e-3
    assert P[2] == NUFIT52.s13sq == 0.02225
    assert abs(solar.pee(e, name, NUFIT60_REF, prof) - float(p60)) <= 1e-4
    assert solar.mass_fractions(e, name, NUFIT60_REF, prof)[2] == 0.0222


def test_nufit60_inputs_of_reference():
    # the rounded inputs are the NUFIT60 angles rounded as the reference quotes them
    assert_quoted(NUFIT60.s12sq, "0.308")
    assert_quoted(NUFIT60.s13sq, "0.0222")
    assert NUFIT60.dm21_eV2 == NUFIT60_REF.dm21_eV2


@pytest.mark.parametrize("osc", [NUFIT52, NUFIT60], ids=["nufit52", "nufit60"])
def test_pee_equals_sum_ue_p(snudd, osc):
    u2 = np.abs(osc.pmns()[0]) ** 2
    E = np.geomspace(0.05, 15, 40) * MEV
    for name in ("pp", "8B"):
        for prof in (None, snudd[name]):
            P = solar.mass_fractions(E, name, osc, prof)
            assert P.shape == (40, 3)
            np.testing.assert_allclose(P.sum(axis=-1), 1.0, rtol=1e-14)
            np.testing.assert_allclose(P @ u2, solar.pee(E, name, osc, prof), rtol=1e-13)


def test_mass_fractions_broadcast():
    E = np.full((2, 3), 0.8613 * MEV)
    assert solar.mass_fractions(E, "7Be").shape == (2, 3, 3)
    assert solar.pee(E, "7Be").shape == (2, 3)
    assert np.ndim(solar.pee(0.8613 * MEV, "7Be")) == 0


def test_pp_flux_averaged_pee(snudd):
    e = np.linspace(0, solar.COMPONENTS["pp"].endpoint_GeV, 2001)
    avg = np.trapezoid(solar.spectrum_shape("pp", e) * solar.pee(e, "pp", NUFIT52, snudd["pp"]), e)
    assert_quoted(avg, "0.547")
    et, st = solar_data.spectrum_table("pp")
    assert_quoted(np.trapezoid(st * solar.pee(et, "pp", NUFIT52, snudd["pp"]), et), "0.547")


PROD_AVG = {  # <n_e> [N_A cm^-3], <r/R_sun> (neutrino_electron.md sec. 8)
    "pp": ("61", "0.116"),
    "pep": ("67", "0.101"),
    "7Be": ("81", "0.070"),
    "8B": ("90", "0.051"),
    "hep": ("51", "0.141"),
    "13N": ("76", "0.083"),
    "15O": ("88", "0.055"),
    "17F": ("89", "0.053"),
}


@pytest.mark.parametrize("name", NAMES)
def test_production_averages(snudd, name):
    x, w = solar._profile_nodes(snudd[name], n_sub=64)  # exact integral of the linear interpolation
    ne_ref, r_ref = PROD_AVG[name]
    assert_quoted(np.sum(w * solar.electron_density_NA(x)), ne_ref)
    assert_quoted(np.sum(w * x), r_ref)
    xd, fd = solar.default_profile(name)
    assert np.trapezoid(xd * fd, xd) == pytest.approx(solar.MEAN_PRODUCTION_RADIUS[name], rel=1e-6)
    assert np.trapezoid(fd, xd) == pytest.approx(1.0, rel=1e-12)


#: Stated accuracy of the built-in default profiles: max |P_ee(default) - P_ee(file)| over each
#: component's own energies (the lines, or 0 < E < endpoint), NuFIT 5.2.
DEFAULT_PEE_ACCURACY = {
    "pp": 3e-5,
    "pep": 1e-5,
    "7Be": 1e-4,
    "8B": 1e-4,
    "15O": 1e-4,
    "17F": 1e-5,
    "hep": 6e-4,
    "13N": 5e-4,
}


@pytest.mark.parametrize("name", NAMES)
def test_default_profile_vs_file_pee(snudd, name):
    comp = solar.COMPONENTS[name]
    E = np.array([e for e, _ in comp.lines]) if comp.is_line else np.linspace(1e-6, comp.endpoint_GeV, 300)
    d = solar.pee(E, name) - solar.pee(E, name, NUFIT52, snudd[name])
    assert np.max(np.abs(d)) <= DEFAULT_PEE_ACCURACY[name]


def test_default_profile_check_table():
    # The check table with the built-in profiles (runs without data files). Tolerance: the table's
    # 1e-4 plus the stated accuracy of the default profile (triangle inequality with the test above).
    for name, E, p52, p1, p2, _ in PEE_TABLE:
        assert abs(solar.pee(E * MEV, name) - float(p52)) <= 1e-4 + DEFAULT_PEE_ACCURACY[name]
        P = solar.mass_fractions(E * MEV, name)
        assert abs(P[0] - float(p1)) <= 1e-3 and abs(P[1] - float(p2)) <= 1e-3


# --- effective moment (neutrino_electron.md sec. 7) ----------------------------------------


def _bound(E, name, prof, which):
    lam = [0, 0, 0]
    lam[which - 1] = 1.0
    mu2 = solar.mu_eff_sq(E * MEV, name, moment_from_lambdas(*lam), NUFIT52, prof)
    return 2.8 / math.sqrt(mu2)


def test_one_lambda_bounds(snudd):
    be7, pp = snudd["7Be"], snudd["pp"]
    assert_quoted(_bound(0.8613, "7Be", be7, 3), "2.83")
    assert_quoted(_bound(0.2, "pp", pp, 3), "2.83")
    assert_quoted(_bound(0.8613, "7Be", be7, 2), "3.50")
    assert_quoted(_bound(0.2, "pp", pp, 2), "3.36")
    assert_quoted(_bound(0.2, "pp", pp, 1), "4.88")
    # |Lambda_1| at 7Be: the reference's 4.54 is 2.8/sqrt(1 - 0.619) with the rounded P1 = 0.619;
    # P1 = 0.619 +- 0.0005 allows 4.531-4.538, and the code's P1 = 0.6187 gives 4.534.
    lo, hi = 2.8 / math.sqrt(1 - 0.6185), 2.8 / math.sqrt(1 - 0.6195)
    assert lo <= _bound(0.8613, "7Be", be7, 1) <= hi


def test_mu_eff_sq_identities():
    rng = np.random.default_rng(1)
    lam = rng.normal(size=3) + 1j * rng.normal(size=3)
    mu = moment_from_lambdas(*lam)
    E = np.geomspace(0.1, 10, 25) * MEV
    P = solar.mass_fractions(E, "8B")
    ref = np.sum(np.abs(lam) ** 2) - P @ (np.abs(lam) ** 2)  # |Lambda|^2 - sum_i P_i |Lambda_i|^2
    np.testing.assert_allclose(solar.mu_eff_sq(E, "8B", mu), ref, rtol=1e-13)
    # Majorana phases / phases of Lambda drop out
    np.testing.assert_allclose(solar.mu_eff_sq(E, "8B", moment_from_lambdas(*np.abs(lam))), ref, rtol=1e-13)
    # flavour-blind point: mu_eff^2 = 2 L^2 = mu^2 at every energy
    ds = DarkSector.flavour_blind(0.0, 1.0, 3e-11)
    np.testing.assert_allclose(solar.mu_eff_sq(E, "pp", ds.mu_D_muB), 9e-22, rtol=1e-12)
    with pytest.raises(ParameterError):
        solar.mu_eff_sq(E, "pp", np.eye(3))


# --- detectors/solar_data.py ------------------------------------------------------------


def test_solar_data_readers(snudd):
    for x, f in snudd.values():
        assert np.all(np.diff(x) >= 0) and np.all(f >= 0)
        assert np.trapezoid(f, x) == pytest.approx(1.0, rel=1e-12)
    x, f = snudd["hep"]
    assert x[0] == 0.0 and f[0] == 0.0
    for name in CONTINUA:
        e, s = solar_data.spectrum_table(name)
        assert np.trapezoid(s, e) == pytest.approx(1.0, rel=1e-12)
        assert e[-1] == pytest.approx(solar.COMPONENTS[name].endpoint_GeV, rel=0.03)
    e, s = solar_data.spectrum_table("8B")
    raw = np.loadtxt(data.path("solar/snudd/nu_flux/B8_neutrino_flux.txt"))
    np.testing.assert_allclose(s * 1e-3, raw[:, 1] / np.trapezoid(raw[:, 1], raw[:, 0]), rtol=1e-12)
    with pytest.raises(ParameterError):
        solar_data.spectrum_table("7Be")
    with pytest.raises(ParameterError):
        solar_data.production_profile("Be7")
