"""darktmm.detectors.constraints: MEG II cap, combination logic, Borexino flavour shortcut, the BM1 hierarchy.

The combination logic is tested with small fake experiments injected into the functions (the
accelerator modules are another developer's); the integration tests at the end use the real
detectors.babar / detectors.na64 once they exist (importorskip with the reason).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from darktmm.detectors import constraints as C
from darktmm.detectors import meg
from darktmm.spectra import solar, uv, widths
from darktmm.spectra.constants import MU_B
from darktmm.spectra.model import NUFIT52, DarkSector, flavour_to_mass
from darktmm.spectra.validate import ParameterError

INF = math.inf
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BM1 = uv.UVModel(M_F=1e3, m1=1e3, m2=INF, theta=math.pi / 4)


# --- fakes ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FakeLimit:
    m_ap: float
    eps: float | None
    br_inv: float = 1.0
    p_inv: float = 1.0
    applicable: bool = True
    note: str = ""
    experiment: str = "fake"


class Fixed:
    """Returns the same answer at every mass; records the calls."""

    def __init__(self, eps, applicable=True, note=""):
        self.eps, self.applicable, self.note, self.calls = eps, applicable, note, []

    def eps_max(self, m_ap, *, gamma_dark=0.0, mu_D_muB=None, L_det_m=None):
        self.calls.append({"m_ap": m_ap, "gamma_dark": gamma_dark, "mu_D_muB": mu_D_muB, "L_det_m": L_det_m})
        return FakeLimit(m_ap, self.eps, applicable=self.applicable, note=self.note)


class WidthsRecast:
    """A physics-like fake: a flat eps_UL recast with the model's own P_inv from spectra.widths,
    solving eps^2 P_inv(m, eps) = eps_UL^2 for the lower edge of the excluded band
    (accelerator.md 5.1, 7.4-7.5). Not applicable when no eps is excluded."""

    def __init__(self, eps_ul, E_ap, L_det):
        self.eps_ul, self.E, self.L = eps_ul, E_ap, L_det

    def p_inv(self, m, eps, gamma_dark, mu):
        model = DarkSector(m_ap=m, eps=eps, mu_D_muB=mu, gamma_dark=gamma_dark)
        return widths.invisible_summary(model, max(self.E, m), self.L).p_inv

    def eps_max(self, m_ap, *, gamma_dark=0.0, mu_D_muB=None, L_det_m=None):
        L = self.L if L_det_m is None else L_det_m
        mu = np.zeros((3, 3)) if mu_D_muB is None else mu_D_muB
        grid = np.geomspace(1e-9, 1.0, 200)
        f = [e**2 * self.p_inv(m_ap, e, gamma_dark, mu) - self.eps_ul**2 for e in grid]
        k = next((i for i, v in enumerate(f) if v > 0), None)
        if k is None:
            return FakeLimit(m_ap, None, p_inv=self.p_inv(m_ap, self.eps_ul, gamma_dark, mu), applicable=False,
                             note=f"A' decays visibly inside L_det = {L} m")  # fmt: skip
        lo, hi = grid[k - 1], grid[k]
        for _ in range(60):
            mid = math.sqrt(lo * hi)
            lo, hi = (
                (mid, hi) if mid**2 * self.p_inv(m_ap, mid, gamma_dark, mu) < self.eps_ul**2 else (lo, mid)
            )
        return FakeLimit(m_ap, hi, p_inv=self.p_inv(m_ap, hi, gamma_dark, mu), applicable=True)


def _cap(prescription="benchmark", model=BM1):
    return C.mu_D_cap(model, prescription)


# --- MEG II cap ----------------------------------------------------------------------------
def test_cap_benchmark_and_full_match_meg_module():
    b, f = _cap("benchmark"), _cap("full")
    assert b.mu_D_max_muB == pytest.approx(meg.mu_D_max(1e3, 1e3).mu_D_muB, rel=1e-14)
    assert b.mu_D_max_muB == pytest.approx(9.2523e-12, rel=1e-4)  # BM1 of tests/test_meg.py
    assert f.mu_D_max_muB == pytest.approx(2 * b.mu_D_max_muB, rel=1e-12)  # uv_model_meg.md section 6
    assert b.mu_D_max_GeV == pytest.approx(b.mu_D_max_muB * MU_B)
    assert b.perturbative and b.channel == "mu_e_gamma" and b.P_max == pytest.approx(5.195e-3, rel=1e-3)
    # pure e-mu texture, rotated with the PMNS matrix
    np.testing.assert_allclose(b.matrix_flavour_muB[0, 1], b.mu_D_max_muB)
    np.testing.assert_allclose(b.matrix_mass_muB, flavour_to_mass(b.matrix_flavour_muB, NUFIT52), atol=0)
    np.testing.assert_allclose(b.matrix_mass_muB, -b.matrix_mass_muB.T, atol=1e-25)


def test_cap_model_prescription_reproduces_full_for_its_assignment():
    """'model' with y = (y_e, 0, 0), y' = (0, y'_mu, 0) is the full prescription's assignment."""
    m = uv.UVModel(M_F=1e3, m1=1e3, m2=INF, theta=math.pi / 4, y=(0.3, 0, 0), yp=(0, 0.2, 0))
    c = _cap("model", m)
    assert c.mu_D_max_muB == pytest.approx(_cap("full").mu_D_max_muB, rel=1e-10)
    # the rescaled model saturates mu -> e gamma exactly
    t2 = c.mu_D_max_GeV / abs(uv.dark_tmm_matrix(m)[0, 1])
    scaled = uv.UVModel(
        M_F=1e3,
        m1=1e3,
        m2=INF,
        theta=math.pi / 4,
        y=(0.3 * math.sqrt(t2), 0, 0),
        yp=(0, 0.2 * math.sqrt(t2), 0),
    )
    assert uv.br_mu_e_gamma(scaled) == pytest.approx(1.5e-13, rel=1e-9)


def test_cap_model_prescription_tau_channel_can_bind():
    m = uv.UVModel(M_F=200.0, m1=150.0, m2=400.0, theta=0.6, y=(0.01, 0, 1.0), yp=(0, 1e-5, 1.0))
    c = _cap("model", m)
    assert c.channel == "tau_e_gamma" and c.perturbative
    assert any("binding cLFV limit" in n for n in c.notes)
    # no limit is exceeded after the rescaling, the binding one is saturated
    t = math.sqrt(c.mu_D_max_GeV / abs(uv.dark_tmm_matrix(m)[0, 1]))
    sc = uv.UVModel(
        M_F=200.0, m1=150.0, m2=400.0, theta=0.6, y=tuple(t * z for z in m.y), yp=tuple(t * z for z in m.yp)
    )
    rows = {k: (br, lim) for k, br, lim, _ in meg.check(sc)}
    assert all(br <= lim * (1 + 1e-9) for br, lim in rows.values())
    assert rows[c.channel][0] == pytest.approx(rows[c.channel][1], rel=1e-9)
    # the texture is the model's: e-tau and mu-tau entries survive
    assert abs(c.shape_flavour[0, 2]) > 0 and abs(c.shape_flavour[0, 1]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "kw, msg",
    [
        ({"theta": 0.0}, "theta = 0"),
        ({"m2": 1e3}, "m1 = m2"),
        ({"g_D": 0.0}, "g_D Q_D = 0"),
    ],
)
def test_cap_rejects_models_without_a_dark_tmm(kw, msg):
    m = uv.UVModel(**{"M_F": 1e3, "m1": 1e3, "m2": INF, "theta": math.pi / 4, **kw})
    with pytest.raises(ParameterError, match=msg):
        C.mu_D_cap(m)
    with pytest.raises(ParameterError, match="prescription"):
        C.mu_D_cap(BM1, "best")
    with pytest.raises(ParameterError, match="mu_D\\^\\{e mu\\} = 0"):
        C.mu_D_cap(BM1, "model")  # zero Yukawas


def test_cap_non_perturbative_is_flagged():
    c = C.mu_D_cap(uv.UVModel(M_F=1e6, m1=1e3, m2=INF, theta=math.pi / 4))
    assert not c.perturbative and any("non-perturbative" in n for n in c.notes)


def test_uv_scan_keeps_largest_perturbative_point():
    grid = {"M_F": [300.0, 1e3, 3e3, 1e5, 1e7]}
    s = C.mu_D_cap_scan(BM1, grid)
    each = {mf: C.mu_D_cap(uv.UVModel(M_F=mf, m1=1e3, m2=INF, theta=math.pi / 4)) for mf in grid["M_F"]}
    best = max((c for c in each.values() if c.perturbative), key=lambda c: c.mu_D_max_muB)
    assert s.mu_D_max_muB == best.mu_D_max_muB and s.perturbative
    assert s.scan["n_points"] == 5 and s.scan["n_perturbative"] == sum(c.perturbative for c in each.values())
    assert s.scan["best"] == {"M_F": best.model.M_F}
    # theta = 0 points are skipped, bad keys are errors
    s2 = C.mu_D_cap_scan(BM1, {"theta": [0.0, 0.3, math.pi / 4]})
    assert s2.scan["n_points"] == 2 and s2.model.theta == pytest.approx(math.pi / 4)
    with pytest.raises(ParameterError, match="unknown UV scan key"):
        C.mu_D_cap_scan(BM1, {"MF": [1.0]})
    with pytest.raises(ParameterError, match="non-empty list"):
        C.mu_D_cap_scan(BM1, {"M_F": []})
    with pytest.raises(ParameterError, match="outside the allowed range"):
        C.mu_D_cap_scan(BM1, {"M_F": [-1.0]})


def test_fermion_radiated_ratio_is_reported_not_hidden():
    """The antisymmetric part of the fermion-radiated loop does not cancel (spectra/uv.py): at
    x = 1, m2 = inf it is g_F(1)/g_S(1) = 2 times the scalar-radiated piece, same flavour structure."""
    assert _cap().fermion_ratio == pytest.approx(2.0, rel=1e-12)
    m = uv.UVModel(M_F=1e3, m1=800.0, m2=1500.0, theta=0.6, y=(0.1, 0.02, 0.0), yp=(0.03, 0.2, 0.05))
    off = ~np.eye(3, dtype=bool)
    r = uv.fermion_radiated_dark_tmm(m)[off] / uv.dark_tmm_matrix(m)[off]
    np.testing.assert_allclose(r.real, C.fermion_radiated_ratio(m), rtol=1e-10)
    assert any("fermion-radiated" in c for c in C.describe()["caveats"])


# --- combination logic ---------------------------------------------------------------------
def test_combine_min_over_searches_and_dominance():
    acc = {"NA64": FakeLimit(0.01, 3e-5), "BaBar": FakeLimit(0.01, 9e-4)}
    p = C.combine(0.01, acc, 1e-11, 1e-8)
    assert p.eps_max == 3e-5 and p.eps_source == "NA64"
    assert p.products == {"NA64": pytest.approx(3e-16), "BaBar": pytest.approx(9e-15)}
    assert p.product_muB == pytest.approx(3e-16)
    assert p.dominant == "MEG II x NA64" and p.dominant_code == 2
    assert p.log10_ratio == pytest.approx(math.log10(1e-8 / 3e-16)) and p.orders == pytest.approx(
        p.log10_ratio
    )
    # the other order, and Borexino winning
    p2 = C.combine(0.01, {"NA64": FakeLimit(0.01, 1e-3), "BaBar": FakeLimit(0.01, 2e-4)}, 1e-11, 1e-16)
    assert p2.eps_source == "BaBar" and p2.dominant == "Borexino" and p2.dominant_code == 1
    assert p2.log10_ratio == pytest.approx(math.log10(1e-16 / 2e-15)) and p2.log10_ratio < 0
    assert p2.orders == pytest.approx(-p2.log10_ratio)


def test_combine_not_applicable_and_unconstraining_searches_are_skipped():
    acc = {
        "NA64": FakeLimit(0.1, 1e-5, applicable=False, note="prompt visible decay"),
        "BaBar": FakeLimit(0.1, 8e-4),
    }
    p = C.combine(0.1, acc, 1e-11, 1e-6)
    assert p.eps_source == "BaBar" and "NA64" not in p.products
    assert any("NA64: invisible search does not apply (prompt visible decay)" in n for n in p.notes)
    for bad in (None, INF, 2.0, math.nan):
        q = C.combine(0.1, {"NA64": FakeLimit(0.1, bad), "BaBar": FakeLimit(0.1, 8e-4)}, 1e-11, 1e-6)
        assert q.eps_source == "BaBar" and not C.constrains(q.accelerator["NA64"])
        assert any("does not constrain" in n for n in q.notes)
    # nothing applies: no synergy bound, Borexino is the only (dominant) probe, no ratio
    none = {n: FakeLimit(1.0, None, applicable=False, note="visible") for n in ("NA64", "BaBar")}
    p = C.combine(1.0, none, 1e-11, 1e-4)
    assert p.eps_max == INF and p.product_muB == INF and p.eps_source == ""
    assert p.dominant == "Borexino" and p.dominant_code == C.CODE_BOREXINO
    assert math.isnan(p.log10_ratio) and math.isnan(p.orders)
    assert any("no invisible-A' search applies" in n for n in p.notes)
    # and no Borexino either
    p = C.combine(1.0, none, 1e-11, math.nan)
    assert p.dominant == "none" and p.dominant_code == C.CODE_NONE and p.borexino_muB == INF


def test_combine_notes_band_and_meg_alone():
    @dataclass(frozen=True)
    class Banded(FakeLimit):
        eps_upper: float = 2.5e-4

    p = C.combine(0.01, {"NA64": Banded(0.01, 1.9e-5)}, 1e-11, 1e-8)
    assert p.eps_max == 1.9e-5
    assert any("excluded only for 1.9e-05 < eps < 0.00025" in n for n in p.notes)
    # Borexino above the MEG II cap with eps <= 1: said explicitly
    assert any("cannot probe this UV point at any eps" in n for n in p.notes)
    q = C.combine(0.01, {"NA64": Banded(0.01, 1.9e-5)}, 1e-11, 1e-12)
    assert not any("cannot probe" in n for n in q.notes)


def test_combine_never_assumes_br_inv_one():
    """combine takes eps as the search reports it (the module solved eps^2 P_inv = eps_UL^2);
    it must not rescale by P_inv or BR_inv again."""
    acc = {"NA64": FakeLimit(0.01, 4e-5, br_inv=1e-9, p_inv=0.5)}
    p = C.combine(0.01, acc, 1e-11, 1e-8)
    assert p.eps_max == 4e-5 and p.product_muB == pytest.approx(4e-16)
    s = p.summary()["accelerator"]["NA64"]
    assert math.isnan(s.pop("eps_upper")) and math.isnan(s.pop("eps_invisible"))  # FakeLimit has neither
    assert s == {
        "eps": 4e-5,
        "br_inv": 1e-9,
        "p_inv": 0.5,
        "applicable": True,
        "constrains": True,
        "note": "",
    }


def test_code_table_and_order():
    assert C.code_table() == {0: "none", 1: "Borexino", 2: "MEG II x NA64", 3: "MEG II x BaBar"}
    acc = {"BaBar": FakeLimit(0.01, 1e-4), "NA64": FakeLimit(0.01, 1e-5)}
    p = C.combine(0.01, acc, 1e-11, 1e-8, experiments=["NA64", "BaBar"])
    assert p.dominant_code == 2  # codes follow the experiment order, not the dict order
    assert C.describe()["codes"] == {0: "none", 1: "Borexino", 2: "MEG II x NA64", 3: "MEG II x BaBar"}


def test_accelerator_eps_injection_errors_and_missing_modules():
    cap = _cap()
    good, rng = Fixed(1e-4), Fixed(1e-4)

    class Raises:
        def eps_max(self, m_ap, **_):
            raise ParameterError("m_A'^2 >= s")

    out = C.accelerator_eps(
        9.0,
        cap.matrix_mass_muB,
        experiments={"A": good, "B": Raises(), "C": rng},
        gamma_dark=2e-6,
        L_det_m={"C": 3.0},
    )
    assert out["A"].eps == 1e-4 and out["C"].eps == 1e-4
    assert not out["B"].applicable and "m_A'^2 >= s" in out["B"].note
    assert (
        good.calls[0]["gamma_dark"] == 2e-6
        and good.calls[0]["L_det_m"] is None
        and rng.calls[0]["L_det_m"] == 3.0
    )
    np.testing.assert_array_equal(good.calls[0]["mu_D_muB"], cap.matrix_mass_muB)  # mass basis, mu_B
    miss = C._Missing("NA64", "darktmm.detectors.na64")
    lim = miss.eps_max(0.1)
    assert not lim.applicable and "not available" in lim.note and not C.constrains(lim)


# --- Borexino bounds -------------------------------------------------------------------------
def test_effective_moment_ratio_pure_emu():
    """kappa^2 = sum_i P_i(7Be) (1 - |U_tau i|^2) for the pure e-mu texture (uv_model_meg.md 7.5)."""
    shape = _cap().matrix_mass_muB / _cap().mu_D_max_muB
    P = solar.mass_fractions(C.E_7BE, "7Be")
    u = NUFIT52.pmns()
    k2 = float(P @ (1 - np.abs(u[2]) ** 2))
    assert C.effective_moment_ratio(shape) == pytest.approx(math.sqrt(k2), rel=1e-12)
    assert 0.8 < C.effective_moment_ratio(shape) < 0.95
    # the flavour-blind configuration has mu_eff = sqrt(2) L for any P_i
    fb = DarkSector.flavour_blind(0.0, 1.0, 1.0).mu_D_muB
    assert C.effective_moment_ratio(fb) == pytest.approx(1.0, rel=1e-12)


class FakeBorexino:
    """limit(masses, ...) -> (points, info) like detectors.borexino.limit: L = 3.3e-11 (1 + m^2/1e-6)."""

    def __init__(self):
        self.calls = []

    def __call__(self, masses, **kw):
        self.calls.append((np.array(masses), kw))
        pts = [type("P", (), {"m_ap": m, "limit": 3.3e-11 * (1 + m**2 / 1e-6)})() for m in masses]
        return pts, {"method": kw["method"], "treatment": kw["treatment"], "timing_s": 0.0}


def test_borexino_bounds_shortcut_and_heavy_scaling():
    shape = _cap().matrix_mass_muB / _cap().mu_D_max_muB
    kappa = C.effective_moment_ratio(shape)
    fake = FakeBorexino()
    masses = [1e-3, 0.05, 0.3, 5.0]
    b = C.borexino_bounds(masses, shape, method="rates", limit_fn=fake, scaling_above=0.1)
    called = fake.calls[0][0]
    np.testing.assert_allclose(called, [1e-3, 0.05, 0.1])  # anchor added, heavy masses not computed
    assert fake.calls[0][1]["expected"] is False and fake.calls[0][1]["method"] == "rates"
    L = lambda m: 3.3e-11 * (1 + m**2 / 1e-6)  # noqa: E731
    np.testing.assert_allclose(b.bounds[:2], [L(1e-3) / kappa, L(0.05) / kappa], rtol=1e-12)
    np.testing.assert_allclose(
        b.bounds[2:], [L(0.1) / kappa * (m / 0.1) ** 2 for m in (0.3, 5.0)], rtol=1e-12
    )
    assert b.method == "rates" and b.info["kappa_mu_eff_over_mu_emu"] == kappa
    # every mass computed when the scaling is off
    b2 = C.borexino_bounds(masses, shape, method="rates", limit_fn=fake, scaling_above=None)
    np.testing.assert_allclose(fake.calls[-1][0], masses)
    np.testing.assert_allclose(b2.bounds, [L(m) / kappa for m in masses], rtol=1e-12)
    with pytest.raises(ParameterError, match="flavour"):
        C.borexino_bounds(masses, shape, flavour="blind", limit_fn=fake)
    with pytest.raises(ParameterError, match="exact"):
        C.borexino_bounds(masses, shape, flavour="exact", method="rates")


def test_borexino_rate_fallback_real_module_and_m2_scaling():
    """The real rate fallback (no data needed): the heavy-A' m^2 scaling holds to < 1 %."""
    shape = _cap().matrix_mass_muB / _cap().mu_D_max_muB
    b = C.borexino_bounds([0.1, 0.4], shape, method="rates", scaling_above=None)
    assert b.method == "rates"
    assert b.bounds[1] / b.bounds[0] == pytest.approx(16.0, rel=1e-2)


# --- the hierarchy with injected searches ---------------------------------------------------
def test_hierarchy_with_fakes_end_to_end():
    cap = _cap()
    na64, babar = Fixed(2e-5), Fixed(9e-4)
    bx = C.BorexinoBounds(np.array([1e-3, 1.0]), np.array([1e-10, 1e-4]), "spectral", "effective")
    pts, info = C.hierarchy(
        [1e-3, 1.0],
        cap,
        experiments={"NA64": na64, "BaBar": babar},
        gamma_dark=lambda m: 1e-4 * m,
        borexino=bx,
    )
    assert [c["gamma_dark"] for c in na64.calls] == [pytest.approx(1e-7), pytest.approx(1e-4)]
    assert all(p.eps_source == "NA64" and p.dominant_code == 2 for p in pts)
    assert pts[0].log10_ratio == pytest.approx(math.log10(1e-10 / (2e-5 * cap.mu_D_max_muB)))
    assert info["codes"][2] == "MEG II x NA64" and info["mu_D_cap"]["mu_D_max_muB"] == cap.mu_D_max_muB
    with pytest.raises(ParameterError, match="other masses"):
        C.hierarchy([1e-3], cap, experiments={"NA64": na64}, borexino=bx)
    with pytest.raises(ParameterError, match="gamma_dark"):
        C.hierarchy([1e-3, 1.0], cap, experiments={"NA64": na64}, gamma_dark=-1.0, borexino=bx)


def test_tmm_only_invisible_searches_do_not_apply_where_the_aprime_decays_promptly():
    """The physics caveat (accelerator.md 7.4) with a widths-based recast fake: a MEG-capped mu_D
    gives Gamma_nunu/Gamma_ee ~ 1e-13, so with Gamma_dark = 0 a BaBar-like search (eps_UL = 1e-3,
    5 GeV A', 2 m) applies only below 2 m_e and an NA64-like one (eps_UL = 3e-5, 75 GeV, 5.5 m)
    only while the A' escapes; a dominant Gamma_dark restores both."""
    cap = _cap()
    mu = cap.matrix_mass_muB
    ratio = widths.nunu_to_ee_ratio(0.01, math.sqrt(widths.mu_pair_sum_sq(mu * MU_B)), 1e-4)
    assert float(ratio) < 1e-12
    babar, na64 = WidthsRecast(1e-3, 5.0, 2.0), WidthsRecast(3e-5, 75.0, 5.5)
    exps = {"NA64": na64, "BaBar": babar}
    below = C.accelerator_eps(0.8e-3, mu, experiments=exps)
    assert all(C.constrains(v) for v in below.values())  # no visible channel below 2 m_e
    assert below["BaBar"].eps == pytest.approx(1e-3, rel=1e-6)
    mid = C.accelerator_eps(0.01, mu, experiments=exps)
    assert not mid["BaBar"].applicable  # prompt e+e- at BaBar
    assert C.constrains(mid["NA64"]) and mid["NA64"].eps > 3e-5  # long-lived: partly escapes
    heavy = C.accelerator_eps(0.5, mu, experiments=exps)
    assert not any(v.applicable for v in heavy.values())
    p = C.combine(0.5, heavy, cap.mu_D_max_muB, 1e-5)
    assert p.product_muB == INF and p.dominant == "Borexino"
    dark = C.accelerator_eps(0.5, mu, experiments=exps, gamma_dark=1e-4 * 0.5)
    assert all(C.constrains(v) for v in dark.values())
    assert dark["BaBar"].eps == pytest.approx(1e-3, rel=1e-3) and dark["BaBar"].p_inv > 0.999


def test_dark_fermion_width():
    """accelerator.md 7.2: (alpha_D Q^2 m/3)(1 + 2r) sqrt(1 - 4r), r = m_chi^2/m^2; 0 below threshold."""
    a = 1.0 / (4 * math.pi)
    assert C.dark_fermion_width(1.0, 1.0, 0.1) == pytest.approx(a * 0.01 / 3)
    r = 0.2**2
    assert C.dark_fermion_width(1.0, 1.0, 1.0, 0.2) == pytest.approx(
        a / 3 * (1 + 2 * r) * math.sqrt(1 - 4 * r)
    )
    np.testing.assert_array_equal(C.dark_fermion_width([0.1, 0.3], 1.0, 1.0, 0.1)[:1], [0.0])


def test_describe_metadata():
    d = C.describe()
    assert d["quantity"] == C.QUANTITY and d["unit"] == "muB"
    assert set(d["prescriptions"]) == set(C.PRESCRIPTIONS) and set(d["borexino_flavour"]) == {
        "effective",
        "exact",
    }
    assert any("BR_inv = 1 is not assumed" in c for c in d["caveats"])


# --- slow: the flavour shortcut against the exact template, with the data ----------------------
@pytest.mark.slow
def test_effective_shortcut_against_exact_template(data_dir):
    """'effective' (7Be-line mu_eff) vs 'exact' (the model's mass-basis matrix as the template):
    the same spectral fit; they agree to 0.2 % here, checked to 1 % (pp and pep see other P_i)."""
    shape = _cap().matrix_mass_muB / _cap().mu_D_max_muB
    kw = {"data_dir": data_dir, "rtol": 3e-2, "seed": 3, "scaling_above": None}
    eff = C.borexino_bounds([1e-5, 0.02], shape, flavour="effective", method="spectral", **kw)
    exa = C.borexino_bounds([1e-5, 0.02], shape, flavour="exact", **kw)
    assert eff.method == exa.method == "spectral"
    np.testing.assert_allclose(eff.bounds, exa.bounds, rtol=0.01)
    # the massless limit is the photon-limit scale, 3.3e-11 muB / kappa
    assert exa.bounds[0] == pytest.approx(3.3e-11 / C.effective_moment_ratio(shape), rel=0.1)


# --- integration with the real accelerator modules (another developer's files) -----------------
def _real_experiments():
    pytest.importorskip("darktmm.detectors.na64", reason="detectors/na64.py not in the tree yet (issue 3)")
    pytest.importorskip("darktmm.detectors.babar", reason="detectors/babar.py not in the tree yet (issue 3)")
    exps = C.default_experiments()
    assert not any(isinstance(e, C._Missing) for e in exps.values())
    return exps


def test_real_modules_tmm_only_bm1_is_honest():
    """BM1 without a dark width: the invisible searches must not be claimed where the A' decays
    visibly and promptly (BaBar above 2 m_e); below 2 m_e BR_inv = 1 and both apply."""
    exps = _real_experiments()
    mu = _cap().matrix_mass_muB
    low = C.accelerator_eps(0.5e-3, mu, experiments=exps)
    assert C.constrains(low["BaBar"]) and low["BaBar"].br_inv == pytest.approx(1.0)
    heavy = C.accelerator_eps(1.0, mu, experiments=exps)
    assert not C.constrains(heavy["BaBar"]) and heavy["BaBar"].note
    assert heavy["BaBar"].br_inv < 1e-6


def test_real_modules_bm1_card_shows_the_hierarchy():
    """examples/bm1.toml (BM1 + a light dark fermion, so BR_inv ~ 1 from the model's own widths):
    MEG II x accelerator below Borexino by many orders at every mass (rate fallback for speed)."""
    import tomllib

    exps = _real_experiments()
    from darktmm.simulate import cards, modelcard
    from darktmm.simulate.commands.constraints import SCHEMA

    cfg = cards.resolve(SCHEMA, tomllib.loads((EXAMPLES / "bm1.toml").read_text()), tables=modelcard.TABLES)
    cap = modelcard.cap_from_card(cfg)
    gfun, _ = modelcard.gamma_dark_function(cfg, cap.model.g_D)
    masses = [1e-3, 0.01, 0.1, 1.0, 5.0]
    bx = C.borexino_bounds(masses, cap.matrix_mass_muB / cap.mu_D_max_muB, method="rates")
    pts, _ = C.hierarchy(masses, cap, experiments=exps, gamma_dark=gfun, borexino=bx)
    for p in pts:
        assert p.dominant.startswith("MEG II x"), (p.m_ap, p.notes)
        assert p.log10_ratio > 3, (p.m_ap, p.log10_ratio)
        assert all(getattr(v, "p_inv", 0) > 0.9 for k, v in p.accelerator.items() if C.constrains(v))
