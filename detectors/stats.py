"""Statistics layer, kept apart from the physics models (in the spirit of pyhf).

What to use when
----------------
* :class:`LinearPoissonModel` - a binned Poisson likelihood whose expectation is linear in its
  parameters, mu_b = sum_k theta_k A_kb + fixed_b, with optional Gaussian constraints and lower
  bounds. Every template fit in darktmm (Borexino's spectral fit) is of this kind, so the
  deviance is convex and L-BFGS-B with the analytic gradient finds the global minimum.
* :func:`upper_limit` - the one-sided profile-likelihood upper limit on a non-negative
  parameter: the point where -2 Delta ln L reaches ``delta`` above the minimum over the allowed
  range (2.71 for 90 % CL, Wilks; Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727).
* :func:`poisson_zero_events_limit` - the CLs 90 % signal for zero observed events.
* :func:`chi2_rates` - a Gaussian chi^2 with an inverse covariance (the rate-based cross-check).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import xlogy


def poisson_deviance(mu, n) -> float:
    """Poisson deviance -2 ln(L/L_sat) = 2 sum[mu - n + n ln(n/mu)] (Baker & Cousins, NIM 221 (1984) 437)."""
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-300)
    n = np.asarray(n, dtype=float)
    return float(2.0 * np.sum(mu - n + xlogy(n, n) - xlogy(n, mu)))


@dataclass
class FitResult:
    theta: np.ndarray
    deviance: float
    success: bool


class LinearPoissonModel:
    """mu = theta @ A + fixed, with Gaussian constraints (center, sigma) per parameter.

    Parameters
    ----------
    A: (n_par, n_bins) templates, expected counts per unit of each parameter.
    fixed: (n_bins,) expected counts that do not float.
    names: parameter names.
    center, sigma: Gaussian constraint per parameter (sigma = inf: free).
    lower: lower bound per parameter (usually 0).
    """

    def __init__(self, A, fixed, names, center, sigma, lower=None, scale=None):
        self.A = np.asarray(A, dtype=float)
        self.fixed = np.asarray(fixed, dtype=float)
        self.names = list(names)
        self.center = np.asarray(center, dtype=float)
        self.sigma = np.asarray(sigma, dtype=float)
        self.lower = np.zeros(len(self.names)) if lower is None else np.asarray(lower, dtype=float)
        # parameter scale for the minimiser: the nominal value (or 1)
        s = np.where(np.isfinite(self.center) & (self.center > 0), self.center, 1.0)
        self.scale = np.asarray(scale, dtype=float) if scale is not None else s

    def expected(self, theta):
        return np.asarray(theta) @ self.A + self.fixed

    def deviance(self, theta, n) -> float:
        pen = np.where(np.isfinite(self.sigma), ((theta - self.center) / self.sigma) ** 2, 0.0)
        return poisson_deviance(self.expected(theta), n) + float(np.sum(pen))

    def _fun_grad(self, z, n, fixed_mask, fixed_vals):
        theta = np.where(fixed_mask, fixed_vals, z * self.scale)
        mu = np.maximum(self.expected(theta), 1e-300)
        n = np.asarray(n, dtype=float)
        dev = 2.0 * np.sum(mu - n + xlogy(n, n) - xlogy(n, mu))
        fin = np.isfinite(self.sigma)
        r = np.where(fin, (theta - self.center) / np.where(fin, self.sigma, 1.0), 0.0)
        dev += float(np.sum(r**2))
        g = 2.0 * self.A @ (1.0 - n / mu) + np.where(fin, 2.0 * r / np.where(fin, self.sigma, 1.0), 0.0)
        g = np.where(fixed_mask, 0.0, g * self.scale)
        return dev, g

    def fit(self, n, *, fix: dict[str, float] | None = None, start=None) -> FitResult:
        """Minimise the constrained deviance over all parameters not in ``fix``."""
        fix = fix or {}
        fixed_mask = np.array([k in fix for k in self.names])
        fixed_vals = np.array([fix.get(k, 0.0) for k in self.names], dtype=float)
        x0 = np.where(np.isfinite(self.center), self.center, 1.0) if start is None else np.asarray(start)
        x0 = np.maximum(x0, self.lower) / self.scale
        bounds = [(lo / s, None) for lo, s in zip(self.lower, self.scale)]
        res = minimize(
            self._fun_grad,
            x0,
            args=(n, fixed_mask, fixed_vals),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-9},
        )
        theta = np.where(fixed_mask, fixed_vals, res.x * self.scale)
        return FitResult(theta, float(self.deviance(theta, n)), bool(res.success))

    def profile(self, name: str, values, n) -> np.ndarray:
        """Profiled deviance at each value of parameter ``name``."""
        out, start = [], None
        for v in np.atleast_1d(values):
            r = self.fit(n, fix={name: float(v)}, start=start)
            start = r.theta
            out.append(r.deviance)
        return np.asarray(out)


def upper_limit(profile, s_hat: float, d_min: float, *, delta: float = 2.71, s_max: float = 1e6):
    """Smallest s > s_hat with profile(s) - d_min = delta (profile: a callable s -> deviance).

    ``s_hat`` and ``d_min`` are the minimum over the allowed range (s >= 0). Brackets by doubling.
    """
    f = lambda s: profile(s) - d_min - delta  # noqa: E731
    lo = max(s_hat, 0.0)
    hi = max(lo * 2.0, 1.0) if lo > 0 else 1.0
    while f(hi) < 0:
        lo, hi = hi, hi * 2.0
        if hi > s_max:
            return math.inf
    return brentq(f, lo, hi, xtol=1e-6 * hi, rtol=1e-8)


def poisson_zero_events_limit(cl: float = 0.9) -> float:
    """Signal s with P(0|s+b)/P(0|b) = exp(-s) = 1 - cl: 2.303 for 90 % CL (independent of b)."""
    return -math.log(1.0 - cl)


def chi2_rates(r_obs, r_th, inv_cov) -> float:
    """chi^2 = (R_obs - R_th)^T V^-1 (R_obs - R_th)."""
    d = np.asarray(r_obs, dtype=float) - np.asarray(r_th, dtype=float)
    return float(d @ np.asarray(inv_cov, dtype=float) @ d)


# --- one signal on a background of free normalisation (XENONnT-style fits) -------------------


@dataclass
class SignalBackgroundFit:
    """The best fit of :class:`SignalOnScaledBackground`: theta_hat >= 0, b_hat and -ln L there."""

    theta: float
    b: float
    nll: float


class SignalOnScaledBackground:
    """Extended likelihood with density lambda = theta s + (1 + b) b0 and one normalisation nuisance b.

        -ln L(theta, b) = theta S + (1 + b) B - sum_i w_i ln(theta s_i + (1 + b) b0_i) [+ b^2/(2 sigma_b^2)]

    (Barlow, NIM A297 (1990) 496; the XENONnT recipe of ``shared/physics/xenon_er.md`` section 5).
    One class serves three cases: *unbinned* (s_i, b0_i the densities at the events, w_i = 1),
    *binned* (s_i, b0_i the expected counts per bin, w_i the observed counts; the Poisson
    likelihood up to constants) and *Asimov* (s_i, b0_i on a fine grid, w_i = b0_i dE).
    S = int s, B = int b0 over the window. ``sigma_b``: inf (b free, the default), a number
    (Gaussian pull) or 0 (b fixed at 0). theta >= 0 is the signal strength; -ln L is jointly
    convex in (theta, b), so the profile over b is found by a safeguarded Newton iteration and
    the profile in theta is convex.

    One counting bin, 10 events seen on 10 expected, b fixed: q(theta) = 2[theta - 10 ln(1 + theta/10)]
    reaches 2.71 at theta = 6.146 (Poisson profile likelihood, Cowan et al., arXiv:1007.1727).

    >>> m = SignalOnScaledBackground(S=1.0, B=10.0, s=[1.0], b0=[10.0], w=[10.0], sigma_b=0.0)
    >>> fit = m.fit()
    >>> round(fit.theta, 6), round(fit.b, 6)
    (0.0, 0.0)
    >>> round(m.upper_limit(), 3)
    6.146
    """

    def __init__(self, S, B, s, b0, w, sigma_b=math.inf):
        self.S = float(S)
        self.B = float(B)
        self.s = np.asarray(s, dtype=float)
        self.b0 = np.asarray(b0, dtype=float)
        self.w = np.broadcast_to(np.asarray(w, dtype=float), self.s.shape)
        self.sigma_b = float(sigma_b)
        if self.s.shape != self.b0.shape:
            raise ValueError("s and b0 must have the same shape")

    # -- the likelihood ---------------------------------------------------------------------
    def _pen(self, b):
        if self.sigma_b == 0.0 or not math.isfinite(self.sigma_b):
            return 0.0
        return 0.5 * (b / self.sigma_b) ** 2

    def nll(self, theta: float, b: float = 0.0) -> float:
        """-ln L(theta, b) (no constant terms)."""
        lam = theta * self.s + (1.0 + b) * self.b0
        if np.any(lam[self.w > 0] <= 0):
            return math.inf
        return float(theta * self.S + (1.0 + b) * self.B - np.sum(xlogy(self.w, lam)) + self._pen(b))

    def profile_b(self, theta: float, b: float = 0.0) -> tuple[float, float]:
        """(b_hat(theta), -ln L(theta, b_hat)) by Newton's method on the convex 1-d problem."""
        if self.sigma_b == 0.0:
            return 0.0, self.nll(theta, 0.0)
        inv2 = 0.0 if not math.isfinite(self.sigma_b) else 1.0 / self.sigma_b**2
        ts = theta * self.s
        f = self.nll(theta, b)
        if not math.isfinite(f):
            b, f = 0.0, self.nll(theta, 0.0)
        for _ in range(100):
            lam = ts + (1.0 + b) * self.b0
            r = self.b0 / lam
            g = self.B - float(np.sum(self.w * r)) + b * inv2
            h = float(np.sum(self.w * r * r)) + inv2
            if h <= 0:
                break
            step = -g / h
            t = 1.0
            while True:  # backtrack until lambda > 0 and -ln L does not increase
                fn = self.nll(theta, b + t * step)
                if fn <= f + 1e-12 * abs(f) or t < 1e-10:
                    break
                t *= 0.5
            b_new = b + t * step
            done = abs(b_new - b) < 1e-12 * max(1.0, abs(b)) or abs(f - fn) < 1e-13 * max(1.0, abs(f))
            b, f = b_new, min(f, fn)
            if done:
                break
        return b, f

    def profile(self, theta: float) -> float:
        """-ln L profiled over b at signal strength theta."""
        return self.profile_b(theta)[1]

    def _dprofile(self, theta: float) -> float:
        """d/dtheta of the profile (envelope theorem): S - sum_i w_i s_i/lambda_i at b_hat(theta)."""
        b, _ = self.profile_b(theta)
        lam = theta * self.s + (1.0 + b) * self.b0
        return self.S - float(np.sum(self.w * self.s / lam))

    def fit(self, scale: float | None = None) -> SignalBackgroundFit:
        """Best fit with theta >= 0. ``scale``: the theta scale of the search (default sqrt(B)/S)."""
        scale = self.scale() if scale is None else float(scale)
        if self._dprofile(0.0) >= 0.0:
            b, f = self.profile_b(0.0)
            return SignalBackgroundFit(0.0, b, f)
        hi = scale
        while self._dprofile(hi) < 0.0:
            hi *= 2.0
            if hi > 1e12 * scale:
                raise RuntimeError("signal strength diverges: no minimum of -ln L found")
        th = brentq(self._dprofile, 0.0, hi, xtol=1e-10 * hi, rtol=1e-12)
        b, f = self.profile_b(th)
        return SignalBackgroundFit(float(th), b, f)

    def scale(self) -> float:
        """theta_s = sqrt(B)/S, the signal strength of a ~1 sigma excess (xenon_er.md section 5.8)."""
        return math.sqrt(max(self.B, 1.0)) / self.S if self.S > 0 else math.inf

    def q(self, theta: float, fit: SignalBackgroundFit | None = None) -> float:
        """q(theta) = 2 [-ln L(theta, b_hat_hat) + ln L(theta_hat, b_hat)] (theta_hat >= 0)."""
        fit = self.fit() if fit is None else fit
        return 2.0 * (self.profile(theta) - fit.nll)

    def upper_limit(self, delta: float = 2.71, fit: SignalBackgroundFit | None = None) -> float:
        """theta_up > theta_hat with q(theta_up) = delta (2.71: 90 % CL one-sided, Wilks).

        The search runs on the scale theta_s = sqrt(B)/S (``scale``), so that a heavy mediator,
        whose signal is many orders of magnitude smaller, is bracketed as easily as the photon.
        """
        if not self.S > 0:
            return math.inf
        fit = self.fit() if fit is None else fit
        sc = self.scale()
        g = lambda th: 2.0 * (self.profile(th) - fit.nll) - delta  # noqa: E731
        lo, hi = fit.theta, fit.theta + sc
        while g(hi) < 0.0:
            lo, hi = hi, fit.theta + 2.0 * (hi - fit.theta)
            if hi > fit.theta + 1e12 * sc:
                return math.inf
        return float(brentq(g, lo, hi, xtol=1e-10 * sc, rtol=1e-12))
