"""darktmm.detectors.meg: cLFV limit table, model check, and the mu_D,max caps (uv_model_meg.md sections 2, 4, 6)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from darktmm.detectors import meg
from darktmm.spectra import loops
from darktmm.spectra.constants import MU_B
from darktmm.spectra.uv import UVModel
from darktmm.spectra.validate import ParameterError

INF = math.inf


def test_limit_table_and_citations():
    """Section 2 table."""
    lim = meg.limits()
    assert set(lim) == {"mu_e_gamma", "tau_e_gamma", "tau_mu_gamma"}
    assert (lim["mu_e_gamma"].br_max, lim["mu_e_gamma"].reference) == (1.5e-13, "arXiv:2504.15711")
    assert (lim["tau_e_gamma"].br_max, lim["tau_e_gamma"].reference) == (3.3e-8, "arXiv:0908.2381")
    assert (lim["tau_mu_gamma"].br_max, lim["tau_mu_gamma"].reference) == (4.2e-8, "arXiv:2103.12994")
    assert lim["tau_e_gamma"].experiment == "BaBar" and lim["tau_mu_gamma"].experiment == "Belle"
    assert all(v.cl == 0.90 for v in lim.values())
    # cap coefficients, section 4 reference numbers (printed digits)
    assert lim["mu_e_gamma"].cap_coefficient == pytest.approx(4.329e-10, rel=1e-4)
    assert lim["tau_e_gamma"].cap_coefficient == pytest.approx(4.81e-7, abs=0.005e-7)
    assert lim["tau_mu_gamma"].cap_coefficient == pytest.approx(5.49e-7, abs=0.005e-7)
    earlier = {v.br_max: v.cap_coefficient for v in meg.EARLIER_MU_E_LIMITS.values()}
    assert earlier[3.1e-13] == pytest.approx(6.22e-10, abs=0.005e-10)
    assert earlier[4.2e-13] == pytest.approx(7.24e-10, abs=0.005e-10)
    assert earlier[7.5e-13] == pytest.approx(9.68e-10, abs=0.005e-10)
    lim["mu_e_gamma"] = None  # a copy: the module table is untouched
    assert meg.LIMITS["mu_e_gamma"].br_max == 1.5e-13


def test_check_model():
    # single scalar, M_F = m_S = 1 TeV: |y_e y_mu| < 5.2e-3 (section 4)
    ok = UVModel(M_F=1e3, m1=1e3, m2=INF, theta=0.0, y=(0.05, 0.1, 0.0))
    bad = UVModel(M_F=1e3, m1=1e3, m2=INF, theta=0.0, y=(0.05, 0.106, 0.0))
    rows = meg.check(ok)
    assert [r[0] for r in rows] == ["mu_e_gamma", "tau_e_gamma", "tau_mu_gamma"]
    assert rows[0][2] == 1.5e-13 and rows[0][3] is True
    assert rows[1][1] == 0.0 and rows[1][3] is True
    assert meg.check(bad)[0][3] is False
    # tau channel: y_tau y_mu above the Belle cap 5.49e-7 (m/GeV)^2 / f_F(1) = 6.59
    tau = UVModel(M_F=1e3, m1=1e3, m2=INF, theta=0.0, y=(0.0, 2.0, 3.4))
    assert [r[3] for r in meg.check(tau)] == [True, True, False]


def test_BM1_benchmark_values():
    """BM1: M_F = m1 = 1 TeV, m2 -> inf, g_D = Q_D = 1, sin 2theta = 1. From the reference numbers:
    P_max = 4.329e-10 x 1e6/f_F(1) = 5.195e-3, mu_D,max = P_max M_F (1/2) g_S(1)/m1^2 /(32 pi^2)."""
    r = meg.mu_D_max(1e3, 1e3)
    p_ref = 4.329e-10 * 1e6 * 12
    mu_ref = p_ref * 1e3 * 0.5 * (1 / 3) / 1e6 / (32 * math.pi**2)
    assert r.P_max == pytest.approx(p_ref, rel=1e-4)
    assert r.mu_D_GeV == pytest.approx(mu_ref, rel=1e-4)
    assert r.mu_D_muB == pytest.approx(mu_ref / 296.30, rel=1e-4)
    assert r.perturbative is True and r.prescription == "benchmark" and r.channel == "mu_e_gamma"
    full = meg.mu_D_max(1e3, 1e3, prescription="full")
    assert full.mu_D_GeV == pytest.approx(2 * r.mu_D_GeV, rel=1e-12)  # section 6: exactly 1/2
    assert full.P_max == pytest.approx(2 * r.P_max, rel=1e-12)  # |y_e y'_mu| needs sin2t/2 = 1/2
    assert full.mu_D_muB == pytest.approx(full.mu_D_GeV / MU_B, rel=1e-15)


def test_full_prescription_independent_of_sin2theta_and_vectorised():
    M = np.array([300.0, 1e3, 1e4])
    a = meg.mu_D_max(M, M, 3 * M, prescription="full", sin2theta=1.0)
    b = meg.mu_D_max(M, M, 3 * M, prescription="full", sin2theta=0.25)
    np.testing.assert_allclose(a.mu_D_GeV, b.mu_D_GeV, rtol=1e-15)
    np.testing.assert_allclose(b.P_max, 4 * a.P_max, rtol=1e-14)
    np.testing.assert_allclose(a.mu_D_GeV / M, a.mu_D_GeV[0] / M[0], rtol=1e-10)  # ~ M_F at fixed x
    # full = g_D Q_D M_F |A|_max |Delta_g/Delta_f| from Feynman-parameter integrals
    amp = meg.LIMITS["mu_e_gamma"].amplitude_max
    dg = loops.g_S_integral(1.0) / 1e6 - loops.g_S_integral(1 / 9) / 9e6
    df = loops.f_F_integral(1.0) / 1e6 - loops.f_F_integral(1 / 9) / 9e6
    assert meg.mu_D_max(1e3, 1e3, 3e3, prescription="full").mu_D_GeV == pytest.approx(
        1e3 * amp * dg / df, rel=1e-9
    )
    bench = meg.mu_D_max(M, M, 3 * M, sin2theta=0.5)
    np.testing.assert_allclose(bench.mu_D_GeV, 0.5 * meg.mu_D_max(M, M, 3 * M).mu_D_GeV, rtol=1e-14)


def test_tau_pairs_use_tau_limits():
    e_mu = meg.mu_D_max(1e3, 1e3)
    e_tau = meg.mu_D_max(1e3, 1e3, channel=("tau", "e"))
    mu_tau = meg.mu_D_max(1e3, 1e3, channel="tau_mu_gamma")
    assert e_tau.channel == "tau_e_gamma" and mu_tau.channel == "tau_mu_gamma"
    # same loop factors, so the ratio is the ratio of cap coefficients (section 4 numbers)
    assert e_tau.mu_D_GeV / e_mu.mu_D_GeV == pytest.approx(4.81e-7 / 4.329e-10, rel=2e-3)
    assert mu_tau.mu_D_GeV / e_mu.mu_D_GeV == pytest.approx(5.49e-7 / 4.329e-10, rel=2e-3)


def test_perturbativity_flag():
    """P_max ~ m1^2 at fixed x; at M_F = m1 the benchmark P_max = 5.195e-9 M_F^2 reaches 4 pi at
    M_F = sqrt(4 pi/5.195e-9) = 49 TeV."""
    edge = math.sqrt(4 * math.pi / (4.329e-10 * 12))
    r = meg.mu_D_max(np.array([0.98, 1.02]) * edge, np.array([0.98, 1.02]) * edge)
    assert list(r.perturbative) == [True, False]
    assert meg.PERTURBATIVE_PRODUCT_MAX == pytest.approx(4 * math.pi)


def test_parameter_errors():
    with pytest.raises(ParameterError, match="prescription"):
        meg.mu_D_max(1e3, 1e3, prescription="exact")
    with pytest.raises(ParameterError, match="channel"):
        meg.mu_D_max(1e3, 1e3, channel="mu_3e")
    with pytest.raises(ParameterError, match="M_F"):
        meg.mu_D_max(-1.0, 1e3)
    with pytest.raises(ParameterError, match="m1"):
        meg.mu_D_max(1e3, INF)
    with pytest.raises(ParameterError, match="sin2theta"):
        meg.mu_D_max(1e3, 1e3, sin2theta=0.0)


def test_describe():
    d = meg.describe()
    assert d["limits"]["mu_e_gamma"]["reference"] == "arXiv:2504.15711"
    assert d["limits"]["tau_e_gamma"]["reference"] == "arXiv:0908.2381"
    assert d["limits"]["tau_mu_gamma"]["reference"] == "arXiv:2103.12994"
    assert d["limits"]["mu_e_gamma"]["cap_coefficient_GeV-2"] == pytest.approx(4.329e-10, rel=1e-4)
    assert set(d["prescriptions"]) == {"benchmark", "full"}
    import json

    json.dumps(d)  # serialisable for output files
