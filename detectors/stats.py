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


# ---------------------------------------------------------------------------------------------
# Counting searches: CLs upper limits with a smeared signal efficiency, and Poisson expected limits
# ---------------------------------------------------------------------------------------------
def _smear_nodes(rel_sigma: float, n: int = 48):
    """Gauss-Hermite nodes/weights of kappa ~ N(1, rel_sigma) truncated at kappa > 0 (renormalised)."""
    if rel_sigma <= 0:
        return np.array([1.0]), np.array([1.0])
    x, w = np.polynomial.hermite_e.hermegauss(n)
    k = 1.0 + rel_sigma * x
    w = np.where(k > 0, w, 0.0)
    return np.maximum(k, 0.0), w / w.sum()


def cls_counting(s, n_obs: int, b: float = 0.0, rel_sigma: float = 0.0) -> float:
    """CLs = P(N <= n | kappa s + b)/P(N <= n | b) of a counting search, with the signal scaled by a smeared
    efficiency kappa ~ N(1, rel_sigma) (truncated at 0) averaged in the numerator (Cousins & Highland, NIM
    A320 (1992) 331; CLs: A. L. Read, J. Phys. G 28 (2002) 2693). s, b in events.

    >>> round(cls_counting(math.log(10.0), 0, 3.0), 6)  # n = 0: exp(-s), independent of b
    0.1
    """
    from scipy.stats import poisson

    k, w = _smear_nodes(float(rel_sigma))
    num = float(np.sum(w * poisson.cdf(int(n_obs), k * float(s) + float(b))))
    return num / float(poisson.cdf(int(n_obs), float(b)))


def poisson_cls_upper_limit(n_obs: int, b: float = 0.0, cl: float = 0.9, rel_sigma: float = 0.0) -> float:
    """The CLs upper limit s_up [events] of a counting search: cls_counting(s_up) = 1 - cl.

    rel_sigma: relative Gaussian uncertainty of the signal normalisation (efficiency x luminosity, added in
    quadrature by the caller), integrated out as in Cousins & Highland (NIM A320 (1992) 331). n_obs = 0:
    s_up = ln(1/(1 - cl)) = 2.303 for 90 % CL, whatever b; with rel_sigma see :func:`cousins_highland_zero`.

    >>> round(poisson_cls_upper_limit(0, 0.53), 4), round(poisson_cls_upper_limit(1, 0.53), 3)
    (2.3026, 3.491)
    >>> round(poisson_cls_upper_limit(0, 0.53, rel_sigma=0.1), 4)
    2.3297
    """
    if n_obs < 0 or b < 0 or not 0 < cl < 1 or rel_sigma < 0:
        raise ValueError(
            f"need n_obs >= 0, b >= 0, 0 < cl < 1, rel_sigma >= 0; got {n_obs}, {b}, {cl}, {rel_sigma}"
        )
    target = 1.0 - cl

    def f(s):
        return cls_counting(s, n_obs, b, rel_sigma) - target

    hi = max(2.0 * (n_obs + 3.0), 5.0)
    while f(hi) > 0:
        hi *= 2.0
    return brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-12)


def cousins_highland_zero(cl: float = 0.9, rel_sigma: float = 0.0) -> float:
    """Closed form for n_obs = 0 with an untruncated Gaussian efficiency: E[exp(-kappa s)] = exp(-s + s^2 sigma^2/2)
    = 1 - cl gives s_up = (1 - sqrt(1 - 2 sigma^2 L))/sigma^2, L = ln(1/(1 - cl)) (-> L (1 + L sigma^2/2), the
    Cousins-Highland first-order formula, NIM A320 (1992) 331). Events.

    >>> round(cousins_highland_zero(0.9, 0.1), 4)
    2.3297
    """
    L = -math.log(1.0 - cl)
    if rel_sigma == 0:
        return L
    d = 1.0 - 2.0 * rel_sigma**2 * L
    if d <= 0:
        return math.inf
    return (1.0 - math.sqrt(d)) / rel_sigma**2


#: Gaussian tail probabilities of the -2, -1, 0, +1, +2 sigma expected-limit quantiles.
SIGMA_QUANTILES = {
    "m2": 0.5 * math.erfc(2.0 / math.sqrt(2.0)),
    "m1": 0.5 * math.erfc(1.0 / math.sqrt(2.0)),
    "median": 0.5,
    "p1": 0.5 * math.erfc(-1.0 / math.sqrt(2.0)),
    "p2": 0.5 * math.erfc(-2.0 / math.sqrt(2.0)),
}


def poisson_quantile(q: float, b: float) -> int:
    """Smallest n with P(N <= n | b) >= q (the left-continuous inverse CDF, numpy's 'inverted_cdf').

    >>> [poisson_quantile(q, 0.53) for q in SIGMA_QUANTILES.values()]
    [0, 0, 0, 1, 2]
    """
    from scipy.stats import poisson

    n = 0
    while poisson.cdf(n, b) < q - 1e-15:
        n += 1
    return n


def expected_upper_limits(b: float, cl: float = 0.9, rel_sigma: float = 0.0) -> dict:
    """Expected CLs upper limits [events] of a counting search under the background-only hypothesis:
    n_q = :func:`poisson_quantile` (q, b) at the -2..+2 sigma probabilities :data:`SIGMA_QUANTILES`, and
    s_up(n_q) by :func:`poisson_cls_upper_limit`. Keys m2, m1, median, p1, p2 (s_up is non-decreasing in n,
    so m2 <= m1 <= median <= p1 <= p2); ``n_<key>``: the quantiles of n. For small b several quantiles are
    n = 0 and coincide (degenerate band): with b = 0.53, m2 = m1 = median = 2.303.

    >>> {k: round(v, 3) for k, v in expected_upper_limits(0.53).items() if not k.startswith("n_")}
    {'m2': 2.303, 'm1': 2.303, 'median': 2.303, 'p1': 3.491, 'p2': 4.817}
    """
    out, cache = {}, {}
    for key, q in SIGMA_QUANTILES.items():
        n = poisson_quantile(q, b)
        if n not in cache:
            cache[n] = poisson_cls_upper_limit(n, b, cl, rel_sigma)
        out[key] = cache[n]
        out[f"n_{key}"] = n
    return out
