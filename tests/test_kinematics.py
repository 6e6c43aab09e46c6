"""spectra.kinematics: closed forms and conservation laws of the event-record kinematics."""

from __future__ import annotations

import numpy as np

from darktmm.spectra.constants import M_E
from darktmm.spectra.kinematics import M_PB208, ap_decay, boost_z, electron_cos_theta, nucleus_recoil


def test_electron_angle_closed_form_limits():
    E = np.array([0.3843e-3, 0.8613e-3, 1.44e-3])
    tmax = 2 * E * E / (2 * E + M_E)
    assert np.allclose(electron_cos_theta(E, tmax), 1.0)
    # T -> 0: the electron goes out at 90 degrees
    assert np.all(electron_cos_theta(E, 1e-15) < 1e-5)


def test_boost_keeps_the_mass_and_inverts():
    E, pz = np.array([3.0, 10.0]), np.array([1.0, -9.0])
    E2, p2 = boost_z(E, pz, 0.7)
    assert np.allclose(E2**2 - p2**2, E**2 - pz**2)
    E3, p3 = boost_z(E2, p2, -0.7)
    assert np.allclose([E3, p3], [E, pz])


def test_nucleus_recoil_conserves_four_momentum():
    rng = np.random.default_rng(1)
    Ee = rng.uniform(60, 100, 1000)
    Ea = Ee * rng.uniform(0.5, 0.99, 1000)
    th = rng.uniform(0, 1e-3, 1000)
    k = np.sqrt(Ea**2 - 0.01**2)
    kx, ky, kz = k * np.sin(th), np.zeros(1000), k * np.cos(th)
    Ep, px, py, pz, EN, qx, qy, qz = nucleus_recoil(Ee, kx, ky, kz, Ea)
    pe = np.sqrt(Ee**2 - M_E**2)
    assert np.allclose(Ee + M_PB208, Ea + Ep + EN, rtol=0, atol=1e-9)
    assert np.allclose(kx + px + qx, 0, atol=1e-12) and np.allclose(kz + pz + qz, pe, atol=1e-9)
    assert np.allclose(EN**2 - (qx**2 + qy**2 + qz**2), M_PB208**2, rtol=1e-12)


def test_regression_stable_ap_decay_vertex_was_nan():
    """A stable A' (Gamma = 0) along z had decay_x = inf x 0 = nan in the events tree."""
    n = 4
    d = ap_decay(
        0.0,
        0.0,
        0.1,
        np.full(n, 1.0),
        np.zeros(n),
        np.zeros(n),
        np.full(n, 0.99),
        2.0,
        np.full(n, 0.5),
        np.full(n, 0.5),
    )
    assert np.all(d["decay_x"] == 0) and np.all(d["decay_y"] == 0) and np.all(np.isinf(d["decay_z"]))
    assert np.all(d["escapes"] == 1) and np.all(d["decay_visible"] == 1)


def test_ap_decay_flight_is_exponential_with_the_decay_length():
    from darktmm.spectra.widths import decay_length_m

    rng = np.random.default_rng(7)
    n = 200_000
    E, m, gam = 2.0, 0.1, 1e-14
    pz = np.sqrt(E * E - m * m)
    d = ap_decay(0.0, gam, m, np.full(n, E), 0.0, 0.0, np.full(n, pz), 1e9, rng.random(n), rng.random(n))
    ell_mm = float(decay_length_m(m, E, gam)) * 1e3
    mean = d["decay_length"].mean()
    assert abs(mean - ell_mm) < 5 * ell_mm / np.sqrt(n)
