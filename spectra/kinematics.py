"""Event kinematics: the pieces of an event record that follow from four-momentum conservation.

Pure, vectorised functions on numpy arrays, energies and momenta in GeV, lengths in mm. They take
uniform random numbers as arguments, never a Generator, so that a caller decides the order in
which its random streams are drawn (``simulate.sampler`` keeps that order fixed per block).

* :func:`electron_cos_theta` - the recoil-electron angle of nu e -> nu e on an electron at rest;
* :func:`boost_z` - a Lorentz boost along +z;
* :func:`nucleus_recoil` - outgoing electron and nucleus of e N -> e N A' for a given A';
* :func:`ap_decay` - visible or invisible A' decay, flight distance and decay vertex.
"""

from __future__ import annotations

import math

import numpy as np

from darktmm.spectra.constants import M_E
from darktmm.spectra.validate import ParameterError, check_range
from darktmm.spectra.widths import decay_length_m

MM_PER_M = 1e3
#: 208Pb nuclear mass [GeV]: 207.9766521 u (AME2020, Chin. Phys. C 45 (2021) 030003) minus 82
#: electron masses (the electrons' binding, < 1 MeV, neglected); 1 u = 0.93149410242 GeV (CODATA 2018).
M_PB208 = 207.9766521 * 0.93149410242 - 82 * M_E


def electron_cos_theta(E_nu, T):
    """cos(theta_e) of the recoil electron in nu e -> nu e on an electron at rest.

    cos theta_e = (E + m_e)/E sqrt(T/(T + 2 m_e)) (two-body kinematics; ``neutrino_electron.md``
    section 1; e.g. Giunti & Kim, *Fundamentals of Neutrino Physics*, sec. 5.4), clipped at 1
    against rounding at the kinematic edge T = T_max(E). E_nu, T in GeV.

    At the edge T_max = 2E^2/(2E + m_e) the electron goes forward:

    >>> E = 0.8613e-3  # 7Be line [GeV]
    >>> float(electron_cos_theta(E, 2 * E * E / (2 * E + M_E)))
    1.0
    """
    E_nu = np.asarray(E_nu, dtype=float)
    T = np.asarray(T, dtype=float)
    if not (np.all((E_nu > 0) & (E_nu < np.inf)) and np.all((T >= 0) & (T < np.inf))):
        raise ParameterError(f"need finite E_nu > 0 and T >= 0 GeV, got E_nu = {E_nu!r}, T = {T!r}")
    return np.minimum((E_nu + M_E) / E_nu * np.sqrt(T / (T + 2.0 * M_E)), 1.0)


def boost_z(E, pz, beta: float):
    """(E', p_z') after a Lorentz boost with velocity ``beta`` along +z (any consistent units).

    E' = gamma (E + beta p_z), p_z' = gamma (p_z + beta E) (PDG RPP, "Kinematics" review, Lorentz
    transformations; Jackson, *Classical Electrodynamics*, eq. 11.19). The invariant mass is unchanged:

    >>> E2, pz2 = boost_z(5.0, 3.0, 0.6)
    >>> round(E2**2 - pz2**2, 12)
    16.0
    """
    beta = check_range("beta", beta, -1.0, 1.0, lo_open=True, hi_open=True)
    g = 1.0 / math.sqrt(1.0 - beta * beta)
    return g * (E + beta * pz), g * (pz + beta * E)


def nucleus_recoil(E_e, kx, ky, kz, E_ap, M: float = M_PB208, iterations: int = 4):
    """Outgoing electron and nucleus for e(E_e, +z) + N(rest) -> e + N + A'(E_ap, k). GeV.

    Dark bremsstrahlung kinematics of accelerator.md section 6 (Bjorken et al., Phys. Rev. D 80
    (2009) 075018, arXiv:0906.0580, for the IWW phase space).

    The A' kinematics comes from the IWW integrand (``spectra.accel_mc.DarkBremProcess``), which
    integrates over the electron angle, so the electron direction is a modelling choice: the
    electron balances the A' transverse momentum (as far as its momentum allows) and the nucleus
    absorbs the rest of the momentum transfer q = p - k - p'. The electron energy
    E' = E_e - E_ap - T_N, with T_N = q^2/(M + sqrt(M^2 + q^2)) the nuclear recoil, is found by
    fixed-point iteration (T_N ~ q^2/2M is < 1e-6 of the energies, so it converges to rounding in
    a few steps). Returns (E', p'x, p'y, p'z, E_N, q_x, q_y, q_z); four-momentum is conserved to
    rounding:

    >>> import numpy as np
    >>> E_e, kx, ky, kz, Ea = np.array([80.0]), np.array([0.01]), np.array([0.0]), np.array([60.0]), np.array([60.0])
    >>> Ep, px, py, pz, EN, qx, qy, qz = nucleus_recoil(E_e, kx, ky, kz, Ea)
    >>> bool(abs((E_e + M_PB208) - (Ea + Ep + EN))[0] < 1e-9)
    True
    """
    if not np.all((E_ap >= 0) & (E_ap < E_e) & (E_e < np.inf)):
        raise ParameterError(f"need 0 <= E_ap < E_e (finite) GeV, got E_ap = {E_ap!r}, E_e = {E_e!r}")
    pe = np.sqrt(np.maximum(E_e * E_e - M_E * M_E, 0.0))
    kt = np.hypot(kx, ky)
    TN = np.zeros_like(E_e)
    for _ in range(iterations):
        Ep = E_e - E_ap - TN
        pp = np.sqrt(np.maximum(Ep * Ep - M_E * M_E, 0.0))
        f = np.where(kt > 0, np.minimum(1.0, 0.999999 * pp / np.where(kt > 0, kt, 1.0)), 0.0)
        px, py = -f * kx, -f * ky
        pz = np.sqrt(np.maximum(pp * pp - px * px - py * py, 0.0))
        qx, qy, qz = -kx - px, -ky - py, pe - kz - pz
        q2 = qx * qx + qy * qy + qz * qz
        TN = q2 / (M + np.sqrt(M * M + q2))
    return Ep, px, py, pz, M + TN, qx, qy, qz


def ap_decay(br_inv, gamma_tot, mass, E, px, py, pz, L_det_m, u_channel, u_flight) -> dict:
    """Decay of each A' (mass, energy E, momentum p [GeV]): channel, flight, vertex [mm], c t [mm].

    The channel is visible when ``u_channel >= BR_inv`` (probability 1 - BR_inv); the flight
    distance d = -l ln(1 - u_flight) is exponential with the lab decay length
    l = (|p|/m) hbar c/Gamma_tot (:func:`spectra.widths.decay_length_m`, accelerator.md 7.5),
    along the A' momentum; c t = d E/|p|. A stable A' (Gamma_tot = 0) flies forever.
    ``escapes`` = invisible, or visible beyond L_det [m]: the P_inv of accelerator.md 7.5, per
    event. Vertices are relative to the production point. ``u_channel`` and ``u_flight`` are
    uniform numbers in [0, 1), one per A'.

    An invisible A' always escapes; a visible, stable one escapes too:

    >>> import numpy as np
    >>> d = ap_decay(0.5, 0.0, 0.1, np.array([1.0, 1.0]), 0.0, 0.0, np.array([0.995, 0.995]), 2.0,
    ...              u_channel=np.array([0.2, 0.9]), u_flight=np.array([0.5, 0.5]))
    >>> d["decay_visible"].tolist(), d["escapes"].tolist(), d["decay_x"].tolist()
    ([0, 1], [1, 1], [0.0, 0.0])
    """
    n = len(E)
    check_range("br_inv", br_inv, 0.0, 1.0)
    for name, u in (("u_channel", u_channel), ("u_flight", u_flight)):
        if not np.all((np.asarray(u) >= 0) & (np.asarray(u) < 1)):
            raise ParameterError(f"{name} must lie in [0, 1), got {u!r}")
    visible = np.asarray(u_channel) >= br_inv
    mass = np.broadcast_to(np.asarray(mass, dtype=float), (n,))
    ell_m = decay_length_m(mass, np.maximum(E, mass), gamma_tot)
    ell_m = np.asarray(ell_m)
    with np.errstate(invalid="ignore"):  # a stable A' (l = inf) with u_flight = 0: inf, not inf x 0 = nan
        d_mm = np.where(np.isinf(ell_m), np.inf, -ell_m * np.log1p(-np.asarray(u_flight)) * MM_PER_M)
    p = np.sqrt(px * px + py * py + pz * pz)
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(p > 0, d_mm / np.where(p > 0, p, 1.0), 0.0)
        ct = np.where(p > 0, d_mm * E / np.where(p > 0, p, 1.0), np.inf)
        # a stable A' flies to infinity along its momentum: 0 (not inf x 0 = nan) on the axes it does not move
        vx, vy, vz = (np.where(c == 0, 0.0, k * c) for c in np.broadcast_arrays(px, py, pz))
    escapes = ~visible | (d_mm > L_det_m * MM_PER_M)
    return {
        "decay_visible": visible.astype(np.int32),
        "escapes": escapes.astype(np.int32),
        "decay_x": vx,
        "decay_y": vy,
        "decay_z": vz,
        "decay_t": ct,
        "decay_length": d_mm,
    }


__all__ = ["M_PB208", "MM_PER_M", "ap_decay", "boost_z", "electron_cos_theta", "nucleus_recoil"]
