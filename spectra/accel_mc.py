"""VEGAS process integrands for the accelerator signals: e+e- -> gamma A' (BaBar) and e- Z -> e- Z A'
in a thick active target (NA64).

Every process here has the interface event generation builds on:

* ``ndim`` - the number of unit-hypercube variables; ``dims`` names them in order;
* ``__call__(u)`` - ``u`` of shape (n, ndim) in [0, 1)^ndim -> weights (n,) whose integral over the
  unit cube is the signal (the process maps u to its physical variables and includes every Jacobian);
* ``kinematics(u)`` - a dict of numpy arrays (n,) of the physical variables at the same points.

Feed them to :class:`spectra.integrate.Vegas` (``integrate``, ``histogram``, ``sample``).
Units: GeV, cross sections in GeV^-2 (:class:`MonophotonProcess`), yields per electron on target
(:class:`DarkBremProcess`). Reference: ``shared/physics/accelerator.md`` sections 1-4 and 6.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from darktmm.spectra import darkbrem as db
from darktmm.spectra import monophoton as mp
from darktmm.spectra.model import DarkSector
from darktmm.spectra.validate import ParameterError, check_range
from darktmm.spectra.widths import gamma_nunu, gamma_total


# ---------------------------------------------------------------------------------------------
# e+ e- -> gamma A'
# ---------------------------------------------------------------------------------------------
class MonophotonProcess:
    """e+e- -> gamma A' (A' invisible) in a photon acceptance, as a VEGAS integrand [GeV^-2].

    Parameters
    ----------
    sqrt_s: nominal CM energy [GeV].
    m_ap: A' mass [GeV]; m_ap^2 < s on shell (any m_ap > 0 off shell: a heavy mediator gives the
        q^4/m^4 continuum of accelerator.md 4).
    eps: kinetic mixing (weights scale as eps^2).
    z_window: photon acceptance z1 < cos(theta*_gamma) < z2 in the nominal CM frame (z relative to the
        e- beam), -1 < z1 < z2 < 1 (|z| -> 1 is the collinear singularity of massless e+-).
    isr: leading-log initial-state radiation (Kuraev-Fadin structure function, accelerator.md 3).
    offshell: ``None`` for the on-shell narrow A' (the signal is sigma(e+e- -> gamma A'); multiply by
        the invisible probability yourself), or a :class:`spectra.model.DarkSector` whose mu_D and
        gamma_dark give Gamma_inv: then the process is e+e- -> gamma + (A'* -> invisible) with the
        exact factorised Breit-Wigner of accelerator.md 4 (m_ap and eps of this process replace the
        model's).
    mx2_window: optional (lo, hi) [GeV^2] cut on the reconstructed missing mass
        M_X^2 = s - 2 sqrt(s) E*_gamma (nominal s, as BaBar reconstructs it). For ``offshell`` it also
        bounds the sampled q^2 (default q^2 < 0.95 s: the continuum is soft-photon divergent as q^2 -> s).
    x_min: ISR radiated-fraction cut-off; the soft+virtual remainder below it is a weight at x = 0.

    With ``isr=True`` give an ``mx2_window`` (a photon-energy cut): without one the integral picks up the
    soft-tagged-photon region s' -> m^2, where sigma_hat ~ 1/(s' - m^2) makes it grow logarithmically
    (physically it is cut by the detector's E*_gamma threshold, as BaBar's M_X^2 fit range does).

    Variables (``dims``): ``eta`` (photon eta = artanh z in the nominal CM frame, uniform on the
    acceptance), ``phi`` (azimuth, uniform; no weight depends on it), then ``q2`` if off-shell, then
    ``isr_x`` and ``isr_side`` with ISR.

    Method
    ------
    * Born (accelerator.md 2): dsigma/deta = (2 pi alpha^2 eps^2/s)(1 - m^2/s)[2(s^2 + m^4)/(s - m^2)^2 - (1 - z^2)]
      (:func:`spectra.monophoton.dsigma_deta`), nearly flat in eta.
    * ISR (accelerator.md 3; Kuraev & Fadin, Sov. J. Nucl. Phys. 41 (1985) 466): sigma_obs = int dz W(z, s)
      sigma_hat(z s). The radiated fraction x = 1 - z is drawn as in :func:`spectra.monophoton.isr_sample`
      (x = u^(1/beta)); u < x_min^beta is the soft+virtual remainder (x = 0, weight
      :func:`~spectra.monophoton.isr_soft_fraction`/x_min^beta). One beam radiates the whole fraction
      collinearly (``isr_side`` < 0.5: the e-, else the e+, probability 1/2 each), which boosts the
      reduced e+e- system along the beam with rapidity Y = +-(1/2) ln(1 - x). For a massless photon a
      longitudinal boost shifts its rapidity, eta = eta_hat + Y, so the acceptance is applied *after*
      the boost exactly: eta is sampled on the lab window and eta_hat = eta - Y is used in the reduced
      frame. E*_gamma (nominal CM frame) = E_hat cosh(eta)/cosh(eta_hat), and M_X^2 uses the nominal s.
    * Off-shell (accelerator.md 4): d^2sigma/(deta dq^2) = dsigma/deta(s; M) (1/pi) M Gamma_inv(M)/
      [(q^2 - m^2)^2 + m^2 Gamma_tot^2], Gamma_inv(M) = Gamma_nunu(M) + gamma_dark M/m (as
      :func:`spectra.monophoton.dsigma_dq2_offshell_model`), Gamma_tot the on-shell width. q^2 is drawn
      from a two-channel mixture in one variable (half Breit-Wigner arctan map, half uniform; weight
      1/(mixture density)), so both the narrow peak and the continuum are sampled.

    Source: accelerator.md sections 1-4 (Born cross section, ISR of Kuraev & Fadin, off-shell A');
    BaBar set-up of arXiv:1702.03327.

    VEGAS (small neval, fixed seed) against the closed form, 1.470 fb at sqrt s = 10.58 GeV,
    m = 1 GeV, eps = 1e-3, -0.4 < z < 0.6 (accelerator.md section 2):

    >>> from darktmm.spectra.constants import GEV2_TO_FB
    >>> from darktmm.spectra.integrate import Vegas
    >>> p = MonophotonProcess(10.58, 1.0, 1e-3, z_window=(-0.4, 0.6))
    >>> r = Vegas(p.ndim, seed=1, neval=2000).integrate(p, nitn=3, train_nitn=3)
    >>> p.dims, round(p.closed_form() * GEV2_TO_FB, 3), abs(r.mean - p.closed_form()) < 5 * r.sdev
    (('eta', 'phi'), 1.47, True)
    >>> MonophotonProcess(10.58, 1.0, 1e-3, isr=True, mx2_window=(-5.0, 20.0)).dims
    ('eta', 'phi', 'isr_x', 'isr_side')
    """

    def __init__(
        self,
        sqrt_s,
        m_ap,
        eps,
        z_window=(-0.4, 0.6),
        isr=False,
        offshell: DarkSector | None = None,
        mx2_window=None,
        x_min=1e-6,
    ):
        self.sqrt_s = check_range("sqrt_s", sqrt_s, 0.0, None, unit="GeV", lo_open=True)
        self.s = self.sqrt_s**2
        self.m = check_range("m_ap", m_ap, 0.0, None, unit="GeV")
        if self.m**2 >= self.s and offshell is None:
            raise ParameterError(
                f"m_A'^2 = {self.m**2:g} GeV^2 >= s = {self.s:g} GeV^2: e+e- -> gamma A' is closed at "
                f"sqrt(s) = {self.sqrt_s:g} GeV"
            )
        self.eps = check_range("eps", eps, 0.0, 1.0)
        try:
            z1, z2 = (float(z) for z in z_window)
        except (TypeError, ValueError):
            raise ParameterError(f"z_window = {z_window!r} must be a pair of numbers (z1, z2)") from None
        if not -1.0 < z1 < z2 < 1.0:
            raise ParameterError(f"z_window = ({z1:g}, {z2:g}) must satisfy -1 < z1 < z2 < 1")
        self.z_window = (z1, z2)
        self.eta_window = (math.atanh(z1), math.atanh(z2))
        self.isr = bool(isr)
        self.x_min = check_range("x_min", x_min, 0.0, 0.1, lo_open=True)
        if mx2_window is not None:
            try:
                lo, hi = (float(v) for v in mx2_window)
            except (TypeError, ValueError):
                raise ParameterError(
                    f"mx2_window = {mx2_window!r} must be a pair of numbers (lo, hi) GeV^2"
                ) from None
            if not hi > lo:
                raise ParameterError(f"mx2_window = ({lo:g}, {hi:g}) must have hi > lo")
            mx2_window = (lo, hi)
        self.mx2_window = mx2_window
        self.model = None
        if offshell is not None:
            if not isinstance(offshell, DarkSector):
                raise ParameterError("offshell must be None or a spectra.model.DarkSector")
            if self.m <= 0:
                raise ParameterError("the off-shell A'* continuum needs m_ap > 0")
            self.model = dataclasses.replace(offshell, m_ap=self.m, eps=self.eps)
            q_lo = 0.0 if mx2_window is None else max(mx2_window[0], 0.0)
            q_hi = 0.95 * self.s if mx2_window is None else min(mx2_window[1], self.s)
            if not q_hi > q_lo:
                raise ParameterError("the q^2 range of the off-shell continuum is empty")
            self.q2_range = (q_lo, q_hi)
            self.gamma_tot = float(gamma_total(self.model))
            mg = self.m * self.gamma_tot
            self._mg = mg
            if mg > 0:
                self._th = (math.atan((q_lo - self.m**2) / mg), math.atan((q_hi - self.m**2) / mg))
            self._f_bw = 0.5 if mg > 0 else 0.0
        if self.isr:
            self.beta = float(mp.isr_beta(self.s))
            self.p_soft = self.x_min**self.beta
            self.soft_weight = float(mp.isr_soft_fraction(self.s, self.x_min)) / self.p_soft
        dims = ["eta", "phi"]
        if self.model is not None:
            dims.append("q2")
        if self.isr:
            dims += ["isr_x", "isr_side"]
        self.dims = tuple(dims)
        self.ndim = len(dims)

    # -- the map u -> physical variables --------------------------------------------------------
    def _check_u(self, u):
        u = np.atleast_2d(np.asarray(u, dtype=float))
        if u.ndim != 2 or u.shape[1] != self.ndim:
            raise ParameterError(
                f"u must have shape (n, {self.ndim}) ({', '.join(self.dims)}), got {u.shape}"
            )
        return u

    def _map(self, u):
        u = self._check_u(u)
        n = len(u)
        e1, e2 = self.eta_window
        eta = e1 + (e2 - e1) * u[:, 0]
        phi = 2.0 * math.pi * u[:, 1]
        jac = np.full(n, e2 - e1)
        k = 2
        if self.model is not None:
            q2, dq, jq = self._map_q2(u[:, k])
            jac = jac * jq
            k += 1
        else:
            q2 = np.full(n, self.m**2)
            dq = np.zeros(n)
        if self.isr:
            ux, us = u[:, k], u[:, k + 1]
            soft = ux < self.p_soft
            uh = np.where(soft, 0.5, (ux - self.p_soft) / (1.0 - self.p_soft))
            zh, wh = mp.isr_sample(np.clip(uh, 0.0, 1.0), self.s, self.x_min)
            x = np.where(soft, 0.0, 1.0 - zh)
            jac = jac * np.where(soft, self.soft_weight, wh / (1.0 - self.p_soft))
            side = np.where(soft, 0.0, np.where(us < 0.5, 1.0, -1.0))
            # e- (+z) radiates: the system moves towards -z, Y = (1/2) ln(1 - x) < 0; e+ radiates: Y > 0
            x = np.minimum(x, 1.0 - 1e-12)  # x = 1 would leave no energy (s_hat = 0)
            Y = side * 0.5 * np.log1p(-x)
            s_hat = self.s * (1.0 - x)
        else:
            x = np.zeros(n)
            side = np.zeros(n)
            Y = np.zeros(n)
            s_hat = np.full(n, self.s)
        return {
            "eta": eta,
            "phi": phi,
            "q2": q2,
            "dq": dq,
            "isr_x": x,
            "isr_side": side,
            "Y": Y,
            "s_hat": s_hat,
            "eta_hat": eta - Y,
            "jac": jac,
        }

    def _map_q2(self, uq):
        """Two-channel map of one variable to q^2: (q^2, q^2 - m^2, 1/mixture density) [GeV^2]."""
        lo, hi = self.q2_range
        m2 = self.m**2
        f = self._f_bw
        g_flat = 1.0 / (hi - lo)
        if f > 0:
            bw = uq < f
            a, b = self._th
            th = a + (b - a) * np.clip(uq / f, 0.0, 1.0)
            dq_bw = self._mg * np.tan(th)
            q_flat = lo + (hi - lo) * np.clip((uq - f) / (1.0 - f), 0.0, 1.0)
            dq = np.where(bw, dq_bw, q_flat - m2)
            q2 = np.where(bw, m2 + dq_bw, q_flat)
            q2 = np.clip(q2, lo, hi)
            g_bw = self._mg / ((dq**2 + self._mg**2) * (b - a))
            dens = f * g_bw + (1.0 - f) * g_flat
        else:
            q2 = lo + (hi - lo) * uq
            dq = q2 - m2
            dens = np.full_like(uq, g_flat)
        return q2, dq, 1.0 / dens

    def _photon(self, k):
        """Photon energy [GeV] in the nominal CM frame and M_X^2 [GeV^2] (nominal s)."""
        ok = (k["s_hat"] > k["q2"]) & (k["s_hat"] > 0)
        sh = np.where(ok, k["s_hat"], self.s)
        e_hat = np.where(ok, (sh - k["q2"]) / (2.0 * np.sqrt(sh)), 0.0)
        e_lab = e_hat * np.cosh(k["eta"]) / np.cosh(k["eta_hat"])
        mx2 = self.s - 2.0 * self.sqrt_s * e_lab
        return ok, sh, e_lab, mx2

    # -- the integrand ----------------------------------------------------------------------------
    def __call__(self, u):
        """dsigma per unit hypercube [GeV^-2]: the mean over uniform u is the signal in the acceptance."""
        k = self._map(u)
        ok, sh, _, mx2 = self._photon(k)
        M = np.sqrt(np.maximum(k["q2"], 0.0))
        w = mp.dsigma_deta(sh, M, k["eta_hat"], self.eps) * k["jac"]
        if self.model is not None:
            gi = gamma_nunu(M, self.model.mu_D_GeV)
            if self.model.gamma_dark > 0:
                gi = gi + self.model.gamma_dark * M / self.m
            den = k["dq"] ** 2 + (self.m * self.gamma_tot) ** 2
            w = w * np.where(den > 0, M * gi / (math.pi * np.where(den > 0, den, 1.0)), 0.0)
        if self.mx2_window is not None:
            ok = ok & (mx2 > self.mx2_window[0]) & (mx2 < self.mx2_window[1])
        return np.where(ok, w, 0.0)

    def kinematics(self, u) -> dict:
        """Physical variables at u (arrays (n,)), in the nominal CM frame (GeV, GeV^2).

        ``cos_theta_cm`` (photon, after the ISR boost), ``E_gamma_cm``, ``MX2`` = s - 2 sqrt(s) E*_gamma,
        ``isr_x`` (radiated fraction, 0 without ISR), ``isr_side`` (+1 e-, -1 e+, 0 none), ``m_inv``
        (A'* mass sqrt(q^2), = m_ap on shell), ``phi``; photon ``px_gamma``, ``py_gamma``, ``pz_gamma``;
        A' ``E_ap``, ``px_ap``, ``py_ap``, ``pz_ap``; the collinear ISR photon ``E_isr``, ``pz_isr``; ``s_hat``.

        On shell without ISR the photon has E*_gamma = (s - m^2)/(2 sqrt s) = 5.2427 GeV at m = 1 GeV
        (accelerator.md section 1) and M_X^2 = m^2:

        >>> import numpy as np
        >>> k = MonophotonProcess(10.58, 1.0, 1e-3).kinematics(np.array([[0.5, 0.25]]))
        >>> round(float(k["E_gamma_cm"][0]), 4), round(float(k["MX2"][0]), 8), round(float(k["m_inv"][0]), 8)
        (5.2427, 1.0, 1.0)
        """
        k = self._map(u)
        ok, _, e_lab, mx2 = self._photon(k)
        eta, phi = k["eta"], k["phi"]
        pt = e_lab / np.cosh(eta)
        px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
        # the collinear ISR photon carries E = x sqrt(s)/2 along the radiating beam (exact; the reduced
        # system then has E = sqrt(s_hat) cosh Y = sqrt(s) - E_isr and pz = sqrt(s_hat) sinh Y = -pz_isr)
        e_isr = 0.5 * self.sqrt_s * k["isr_x"]
        pz_isr = k["isr_side"] * e_isr
        e_sys, pz_sys = self.sqrt_s - e_isr, -pz_isr
        return {
            "cos_theta_cm": np.tanh(eta),
            "E_gamma_cm": e_lab,
            "MX2": mx2,
            "isr_x": k["isr_x"],
            "isr_side": k["isr_side"],
            "m_inv": np.sqrt(np.maximum(k["q2"], 0.0)),
            "phi": phi,
            "px_gamma": px,
            "py_gamma": py,
            "pz_gamma": pz,
            "E_ap": e_sys - e_lab,
            "px_ap": -px,
            "py_ap": -py,
            "pz_ap": pz_sys - pz,
            "E_isr": e_isr,
            "pz_isr": pz_isr,
            "s_hat": k["s_hat"],
        }

    def closed_form(self) -> float:
        """Born on-shell sigma in the z window [GeV^-2] (:func:`spectra.monophoton.sigma_window`, the
        independent check of the VEGAS integral). Only for isr=False, offshell=None, no M_X^2 cut.

        >>> from darktmm.spectra.constants import GEV2_TO_FB
        >>> round(MonophotonProcess(10.58, 5.0, 1e-3).closed_form() * GEV2_TO_FB, 3)  # table: 2.610 fb
        2.61
        """
        if self.isr or self.model is not None:
            raise ParameterError("closed_form() is the Born on-shell cross section (no ISR, no off-shell)")
        sig = float(mp.sigma_window(self.s, self.m, *self.z_window, eps=self.eps))
        if self.mx2_window is not None and not self.mx2_window[0] < self.m**2 < self.mx2_window[1]:
            return 0.0
        return sig


# ---------------------------------------------------------------------------------------------
# e- Z -> e- Z A' in a thick target
# ---------------------------------------------------------------------------------------------
class DarkBremProcess:
    """Thick-target dark bremsstrahlung of the primary electron, as a VEGAS integrand.

    ``self(u)`` = the A' yield per electron on target per unit hypercube, times eps^2 (and times the
    optional ``acceptance(E_A')``); its integral is eps^2 Y1 with Y1 of
    :func:`spectra.darkbrem.thick_target_yield` (Tsai track length x sigma_ETL(E; E_A' > E_cut), K at
    the local electron energy; primary electron only; accelerator.md 6.3). No eps_sig, no P_inv.

    Variables (``dims``): ``depth``, ``energy``, ``x`` - exactly the three variables of
    :class:`spectra.darkbrem.ThickTargetIntegrand` (reused, not re-implemented) - and ``angle``.

    A' emission angle (the extra dimension): at the point's (E_e, x), u = theta^2/2 is drawn from the
    IWW double-differential shape d^2sigma/(dx du) (:func:`spectra.darkbrem.d2sigma_dx_du_iww`;
    Liu, McKeen, Miller arXiv:1609.06781, Liu & Miller arXiv:1705.01633; the DMG4 sampling shape),
    normalised at fixed x by its exact u-integral dsigma_dx|_IWW (:func:`spectra.darkbrem.dsigma_dx_iww`).
    Map: u = (U_min/(2 E_e^2 x)) v/(1 - v), v uniform, i.e. a proposal density
    2 E_e^2 x U_min/U^2 that follows the leading 1/U^2 of the shape (U = 2 E_e^2 u x + U_min); the weight
    factor [d^2sigma/(dx du)/dsigma/dx]/proposal has unit mean, so the x, E, depth integral is unchanged.
    u runs to infinity (small-angle form; theta > 1 rad carries a probability ~ (m/E)^2 ~ 1e-8).

    Source: accelerator.md section 6 (NA64, arXiv:2307.02404; Bjorken et al. arXiv:0906.0580; Tsai,
    RMP 46 (1974) 815). Units: GeV, weights are A' per electron on target.

    The weights scale as eps^2, and every sampled A' carries more than E_cut (the NA64 missing-energy
    cut) of the 100 GeV beam:

    >>> import numpy as np
    >>> u = np.random.default_rng(0).random((500, 4))
    >>> d = DarkBremProcess(0.0167, E0=100.0, E_cut=50.0, eps=1e-4)
    >>> d.dims, bool(np.all(d.kinematics(u)["E_ap"] >= 50.0))
    (('depth', 'energy', 'x', 'angle'), True)
    >>> w3 = DarkBremProcess(0.0167, E0=100.0, E_cut=50.0, eps=1e-3)(u)
    >>> round(float(w3.sum() / d(u).sum()), 8)
    100.0
    """

    dims = ("depth", "energy", "x", "angle")
    ndim = 4

    def __init__(
        self,
        m_ap,
        E0=100.0,
        E_cut=50.0,
        T_X0=40.0,
        eps=1.0,
        target: db.Target = db.PB,
        inelastic=False,
        acceptance=None,
    ):
        self.m = check_range("m_ap", m_ap, 0.0, None, unit="GeV", lo_open=True)
        self.E0 = check_range("E0", E0, 0.0, None, unit="GeV", lo_open=True)
        if self.m >= self.E0:
            raise ParameterError(f"m_A' = {self.m:g} GeV >= E0 = {self.E0:g} GeV: no A' can be radiated")
        self.E_cut = check_range("E_cut", E_cut, unit="GeV")  # its range is checked by ThickTargetIntegrand
        self.T_X0 = check_range("T_X0", T_X0)
        self.eps = check_range("eps", eps, 0.0, 1.0)
        self.target = target
        self.acceptance = acceptance
        self.brem = db.ThickTargetIntegrand(self.m, self.E0, self.E_cut, self.T_X0, target, inelastic)

    def _check_u(self, u):
        u = np.atleast_2d(np.asarray(u, dtype=float))
        if u.ndim != 2 or u.shape[1] != self.ndim:
            raise ParameterError(f"u must have shape (n, 4) (depth, energy, x, angle), got {u.shape}")
        return u

    def _angle(self, E, x, v):
        """(u = theta^2/2, weight factor with unit mean at fixed E, x)."""
        m = self.m
        xs = np.clip(x, 1e-300, 1.0 - 1e-16)
        umin = db.u_min(m, xs)
        scale = umin / (2.0 * E**2 * xs)
        vv = np.clip(v, 0.0, 1.0 - 1e-16)
        ut = scale * vv / (1.0 - vv)
        U = 2.0 * E**2 * ut * xs + umin
        prop = 2.0 * E**2 * xs * umin / U**2
        num = db.d2sigma_dx_du_iww(E, m, xs, ut, 1.0)
        den = db.dsigma_dx_iww(E, m, xs, 1.0)
        ok = den > 0
        fac = np.where(ok, num / np.where(ok, den, 1.0) / prop, 0.0)
        return ut, np.maximum(fac, 0.0)

    def __call__(self, u):
        """Yield per EOT per unit hypercube x eps^2 (x acceptance(E_A') if given)."""
        u = self._check_u(u)
        w = self.brem(u[:, :3])
        t, E, x, _ = self.brem.map(u[:, :3])
        _, fac = self._angle(E, x, u[:, 3])
        w = w * fac * self.eps**2
        if self.acceptance is not None:
            w = w * self.acceptance(x * E)
        return np.where(np.isfinite(w), w, 0.0)

    def kinematics(self, u) -> dict:
        """``t_X0`` (emission depth [X0]), ``E_e`` (electron energy at emission [GeV]), ``x`` = E_A'/E_e,
        ``E_ap`` [GeV], ``theta_ap`` (A' angle to the electron direction [rad]), ``E_miss_true`` = E_A'
        [GeV] (the rest of the shower stays in the active target).

        >>> import numpy as np
        >>> k = DarkBremProcess(0.0167).kinematics(np.array([[0.5, 0.5, 0.5, 0.5]]))
        >>> sorted(k), bool(k["E_ap"][0] == k["x"][0] * k["E_e"][0])
        (['E_ap', 'E_e', 'E_miss_true', 't_X0', 'theta_ap', 'x'], True)
        """
        u = self._check_u(u)
        t, E, x, _ = self.brem.map(u[:, :3])
        ut, _ = self._angle(E, x, u[:, 3])
        E_ap = x * E
        return {
            "t_X0": t,
            "E_e": E,
            "x": x,
            "E_ap": E_ap,
            "theta_ap": np.sqrt(2.0 * ut),
            "E_miss_true": E_ap,
        }

    def quad_yield(self) -> float:
        """The same yield by nested scipy quad (:func:`spectra.darkbrem.thick_target_yield`) x eps^2,
        without ``acceptance`` (the independent check of the VEGAS integral).

        Source: accelerator.md section 6.3 (:func:`spectra.darkbrem.thick_target_yield`). Dimensionless
        (A' per electron on target). Takes ~0.2 s, so tests/test_accel_mc.py runs the VEGAS comparison.
        """
        return self.eps**2 * db.thick_target_yield(self.m, self.E0, self.E_cut, self.T_X0, self.target)


__all__ = ["MonophotonProcess", "DarkBremProcess"]
