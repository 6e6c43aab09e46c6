"""The statistics of every darktmm limit: likelihoods, upper limits, expected bands, CLs.

Everything here is experiment-blind: it knows counts, templates, covariances and callables, never
a detector. The physics modules build the inputs and convert the answers to their units.

What to use when
----------------
* A binned Poisson fit whose expectation is linear in its parameters (templates times rates,
  background scale factors, a signal strength): build a :class:`LinearPoissonModel`. Its deviance
  is convex, so :meth:`LinearPoissonModel.fit` (projected Newton) finds the global minimum in a
  few milliseconds. Give it ``A_var`` when the templates come from Monte Carlo: each bin then gets
  a profiled Barlow-Beeston-lite nuisance and the MC error enters the limit.
* A limit on one of its parameters: :class:`ProfileScan` gives the one-sided statistic
  q~(theta) (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727 Eq. (16): theta >= 0, zero below the
  best fit) on one data set; :func:`upper_limit` finds where it reaches ``delta`` (2.71 for the
  project's 90 % CL convention). :func:`profile_limit` does both in one call.
* A Gaussian chi^2 that is quadratic in the signal strength (rates with a covariance):
  :func:`quadratic_chi2_limit`. Closed form, no fit; its Asimov sigma is exact.
* The expected limit and its +-1, +-2 sigma band: :func:`asimov_band`. Give it the Asimov
  q_A(theta) (any likelihood: a :class:`ProfileScan` on Asimov data, an unbinned likelihood, a
  counting formula) or, when the likelihood is Gaussian in theta, a constant ``sigma_A``.
  It returns a :class:`Band`; ``Band.map`` converts it to the quantity you report (e.g.
  mu = MU_REF sqrt(theta)).
* CLs instead of the plain profile limit (Read, J. Phys. G 28 (2002) 2693), asymptotic:
  :func:`cls_upper_limit` with the observed and Asimov q~; its band is
  ``asimov_band(..., method="cls")``. The CLs median equals the profile median at 90 % CL (both
  solve sqrt(q_A) = 1.645), so only the observed limit and the band edges differ.
* Zero observed events, no background: :func:`poisson_zero_events_limit` (2.303 at 90 %).
* A Gaussian chi^2 value with an inverse covariance: :func:`chi2_rates`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize
from scipy.special import ndtri, xlogy
from scipy.stats import norm

#: -2 Delta ln L of the project's 90 % CL upper limits (Wilks, chi^2_1 quantile 0.90 = 2.706,
#: quoted as 2.71 in solar_borexino.md section 7).
DELTA_90 = 2.71


def poisson_deviance(mu, n) -> float:
    """Poisson deviance -2 ln(L/L_sat) = 2 sum[mu - n + n ln(n/mu)] (Baker & Cousins, NIM 221 (1984) 437;
    PDG Review of Particle Physics, Statistics, Eq. (40.16)). mu, n in counts; dimensionless.

    >>> round(poisson_deviance([10.0], [10.0]), 12), round(poisson_deviance([2.0], [0.0]), 12)
    (0.0, 4.0)
    """
    mu = np.maximum(np.asarray(mu, dtype=float), 1e-300)
    n = np.asarray(n, dtype=float)
    return float(2.0 * np.sum(mu - n + xlogy(n, n) - xlogy(n, mu)))


def _bb_solve(mu, n, var):
    """Per-bin Barlow-Beeston-lite solution x = mu + gamma (Conway, arXiv:1103.0354 Sec. 4).

    The bin's expectation mu gets an additive Gaussian nuisance gamma ~ N(0, var) (var = MC
    variance of mu); minimising 2[x - n ln x] + gamma^2/var over gamma gives the positive root
    of x^2 + (var - mu) x - n var = 0. Written without cancellation; var = 0 gives x = mu.
    """
    b = mu - var
    disc = np.sqrt(b * b + 4.0 * n * var)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where(b > 0, 0.5 * (b + disc), 2.0 * n * var / (disc - b))
    return np.where(var > 0, x, mu)


@dataclass
class FitResult:
    """The result of :meth:`LinearPoissonModel.fit`: parameters at the minimum (in the units of their
    templates), the minimum deviance -2 ln L (dimensionless), convergence flag and iteration count.
    Maximum-likelihood fit of a binned Poisson model (PDG Review of Particle Physics, Statistics, Sec. 40.2).

    >>> m = LinearPoissonModel([[1.0]], [0.0], ["s"], [np.nan], [np.inf])
    >>> r = m.fit(np.array([4.0]))          # one bin: s_hat = n, saturated deviance 0
    >>> round(float(r.theta[0]), 6), round(r.deviance, 9), r.success
    (4.0, 0.0, True)
    """

    theta: np.ndarray
    deviance: float
    success: bool
    nit: int = 0


class LinearPoissonModel:
    """Binned Poisson likelihood with mu_b = sum_k theta_k A_kb + fixed_b.

    Parameters
    ----------
    A: (n_par, n_bins) templates, expected counts per unit of each parameter.
    fixed: (n_bins,) expected counts that do not float.
    names: parameter names.
    center, sigma: Gaussian constraint (theta - center)^2 / sigma^2 per parameter (sigma = inf: free).
    lower: lower bound per parameter (default 0; -inf for an unbounded nuisance).
    A_var, fixed_var: Monte Carlo variances of A (per unit theta^2) and of ``fixed``, counts^2 per
        bin. When given, each bin gets a Barlow-Beeston-lite nuisance (Barlow & Beeston, CPC 77
        (1993) 219; one nuisance per bin for the total, Conway arXiv:1103.0354): an additive
        Gaussian gamma_b with variance sigma_b^2(theta) = sum_k theta_k^2 A_var_kb + fixed_var_b,
        profiled analytically bin by bin (:func:`_bb_solve`).

    bilinear: optional list of (name_k, name_l, C_b) adding theta_k theta_l C_b to mu_b: a
        multiplicative normalisation (exposure: theta_l = eta, C = A_k) or a first-order response
        shift (C = d A_k / d p) of a floating template. The fit then uses the Gauss-Newton Hessian.

    The deviance (Baker-Cousins, plus the constraint penalties) is convex in theta without MC
    errors and bilinear terms; it stays so to O(sigma_b^2/mu_b) with MC errors, and the bilinear
    nuisances are small, constrained shifts.

    >>> m = LinearPoissonModel([[1.0, 1.0]], [5.0, 5.0], ["s"], [np.nan], [np.inf])
    >>> r = m.fit(np.array([7.0, 9.0]))   # MLE of s: 2 s + 10 = 16
    >>> round(float(r.theta[0]), 6), r.success
    (3.0, True)
    """

    def __init__(
        self,
        A,
        fixed,
        names,
        center,
        sigma,
        lower=None,
        scale=None,
        A_var=None,
        fixed_var=None,
        bilinear=None,
    ):
        self.A = np.asarray(A, dtype=float)
        self.fixed = np.asarray(fixed, dtype=float)
        self.names = list(names)
        self.center = np.asarray(center, dtype=float)
        self.sigma = np.asarray(sigma, dtype=float)
        self.lower = np.zeros(len(self.names)) if lower is None else np.asarray(lower, dtype=float)
        # parameter scale for the L-BFGS-B fallback: the nominal value (or 1)
        s = np.where(np.isfinite(self.center) & (self.center > 0), self.center, 1.0)
        self.scale = np.asarray(scale, dtype=float) if scale is not None else s
        self.A_var = None if A_var is None else np.asarray(A_var, dtype=float)
        self.fixed_var = None if fixed_var is None else np.asarray(fixed_var, dtype=float)
        self.bilinear = [
            (self.index(k), self.index(l), np.asarray(c, dtype=float)) for k, l, c in bilinear or ()
        ]

    @property
    def has_mc_errors(self) -> bool:
        """True when template (``A_var``) or fixed-part (``fixed_var``) MC variances are given, i.e. the
        fit profiles Barlow-Beeston-lite nuisances."""
        return self.A_var is not None or self.fixed_var is not None

    def index(self, name: str) -> int:
        """Position of parameter ``name`` in ``theta`` (ValueError if unknown)."""
        return self.names.index(name)

    def expected(self, theta):
        """Expected counts per bin (without the MC nuisances, which vanish on Asimov data)."""
        theta = np.asarray(theta)
        mu = theta @ self.A + self.fixed
        for k, l, c in self.bilinear:
            mu = mu + theta[k] * theta[l] * c
        return mu

    def jacobian(self, theta) -> np.ndarray:
        """d mu_b / d theta_k, shape (n_par, n_bins)."""
        if not self.bilinear:
            return self.A
        J = self.A.copy()
        for k, l, c in self.bilinear:
            J[k] += theta[l] * c
            J[l] += theta[k] * c
        return J

    def asimov(self, theta) -> tuple[np.ndarray, LinearPoissonModel]:
        """The Asimov data set at ``theta`` (arXiv:1007.1727 Sec. 3.2): the expected counts, and a
        copy of the model whose Gaussian constraints are centred on ``theta`` (the global
        observables set to their fitted values), so that the Asimov fit returns ``theta`` itself.

        >>> m = LinearPoissonModel([[1.0]], [0.0], ["b"], [5.0], [1.0])
        >>> n, ma = m.asimov([7.0])
        >>> float(n[0]), round(float(ma.fit(n).theta[0]), 6)
        (7.0, 7.0)
        """
        import copy

        theta = np.asarray(theta, dtype=float)
        m = copy.copy(self)
        m.center = np.where(np.isfinite(self.sigma), theta, self.center)
        return self.expected(theta), m

    def rescale(self, name: str, k: float) -> None:
        """Re-express parameter ``name`` as theta' = theta / k (its template times k), in place.

        Keeps the fit well scaled when a template is tiny (a heavy mediator); the bound 0, the
        constraint and the MC variances follow.
        """
        i = self.index(name)
        self.A[i] = self.A[i] * k
        if self.A_var is not None:
            self.A_var[i] = self.A_var[i] * k * k
        self.center[i] /= k
        self.sigma[i] /= k
        self.lower[i] /= k
        self.bilinear = [(a, b, c * k if i in (a, b) else c) for a, b, c in self.bilinear]

    def mc_variance(self, theta):
        """sigma_b^2(theta) of the Barlow-Beeston-lite nuisances [counts^2]; zeros without MC errors."""
        v = np.zeros(self.A.shape[1])
        if self.A_var is not None:
            v = v + np.asarray(theta) ** 2 @ self.A_var
        if self.fixed_var is not None:
            v = v + self.fixed_var
        return v

    def _penalty(self, theta):
        fin = np.isfinite(self.sigma)
        sig = np.where(fin, self.sigma, 1.0)
        r = np.where(fin, (theta - self.center) / sig, 0.0)
        return float(np.sum(r**2)), np.where(fin, 2.0 * r / sig, 0.0), np.where(fin, 2.0 / sig**2, 0.0)

    def _terms(self, theta, n):
        """Deviance, gradient and (Gauss-Newton) Hessian at theta."""
        mu = self.expected(theta)
        J = self.jacobian(theta)
        pen, gpen, hpen = self._penalty(theta)
        if self.has_mc_errors:
            var = self.mc_variance(theta)
            x = _bb_solve(mu, n, var)
            if np.any(x <= 0) and np.any(n[x <= 0] > 0):
                return math.inf, None, None
            xs = np.maximum(x, 1e-300)
            with np.errstate(divide="ignore", invalid="ignore"):
                gam2 = np.where(var > 0, (x - mu) ** 2 / var, 0.0)
                dvar = np.where(var > 0, -((x - mu) ** 2) / var**2, 0.0)  # d f_b / d var_b
                w = np.where(
                    n > 0, np.where(var > 0, 2.0 * n / (xs * (2.0 * xs + var - mu)), 2.0 * n / xs**2), 0.0
                )
            dev = float(2.0 * np.sum(x - n + xlogy(n, n) - xlogy(n, xs)) + np.sum(gam2)) + pen
            g = 2.0 * J @ (1.0 - n / xs) + gpen
            if self.A_var is not None:
                g = g + 2.0 * theta * (self.A_var @ dvar)
        else:
            if np.any(mu <= 0) and np.any(n[mu <= 0] > 0):
                return math.inf, None, None
            xs = np.maximum(mu, 1e-300)
            dev = float(2.0 * np.sum(mu - n + xlogy(n, n) - xlogy(n, xs))) + pen
            g = 2.0 * J @ (1.0 - n / xs) + gpen
            w = np.divide(2.0 * n, xs**2, out=np.zeros_like(xs), where=n > 0)
        H = (J * w) @ J.T + np.diag(hpen)
        return dev, g, H

    def deviance(self, theta, n) -> float:
        """-2 ln L up to a constant: Poisson deviance (MC nuisances profiled) plus constraint penalties."""
        return self._terms(np.asarray(theta, dtype=float), np.asarray(n, dtype=float))[0]

    def fit(self, n, *, fix: dict[str, float] | None = None, start=None, method: str = "newton") -> FitResult:
        """Minimise the deviance over all parameters not in ``fix`` (theta >= lower).

        ``method="newton"``: projected Newton with an active set for the bounds (Bertsekas, SIAM
        J. Control Optim. 20 (1982) 221) and Armijo backtracking; ``"lbfgsb"``: scipy's L-BFGS-B
        (slower, kept as a cross-check and as the fallback when Newton does not converge).
        """
        n = np.asarray(n, dtype=float)
        fix = fix or {}
        for k in fix:
            if k not in self.names:
                raise KeyError(f"fix: unknown parameter {k!r}; parameters are {self.names}")
        fixed_mask = np.array([k in fix for k in self.names])
        fixed_vals = np.array([fix.get(k, 0.0) for k in self.names], dtype=float)
        if start is None:
            x0 = np.where(np.isfinite(self.center), self.center, 1.0)
        else:
            x0 = np.asarray(start, dtype=float)
        x0 = np.where(fixed_mask, fixed_vals, np.maximum(x0, self.lower))
        if method == "newton":
            r = self._newton(n, x0, ~fixed_mask)
            if r.success:
                return r
            x0 = r.theta
        return self._lbfgsb(n, x0, fixed_mask, fixed_vals)

    def _newton(self, n, theta, free, maxit=100) -> FitResult:
        lo = self.lower
        # the deviance is a sum of terms of size ~n_b: its rounding is ~1e-16 sum(n); stop when the
        # Newton decrement (the predicted decrease) is 10x that
        scale = 1.0 + float(np.sum(n))
        tol = 1e-15 * scale
        f, g, H = self._terms(theta, n)
        if not math.isfinite(f):  # start outside the support: move the floats to their nominal values
            theta = np.where(
                free, np.maximum(np.where(np.isfinite(self.center), self.center, 1.0), lo), theta
            )
            f, g, H = self._terms(theta, n)
        for it in range(1, maxit + 1):
            work = free & ~((theta <= lo) & (g > 0))
            while True:
                if not work.any():
                    return FitResult(theta, f, True, it)
                gw = g[work]
                Hw = H[np.ix_(work, work)]
                # a direction without curvature (a template seen only by empty bins) gets a large
                # but finite step; the projection onto the bound stops it
                hd = np.diag(Hw)
                d = np.sqrt(np.maximum(hd, 1e-12 * max(float(hd.max()), 1e-300)))
                Hs = Hw / np.outer(d, d) + 1e-12 * np.eye(len(d))
                try:
                    step = -np.linalg.solve(Hs, gw / d) / d
                except np.linalg.LinAlgError:
                    step = -gw / d**2
                # a parameter on its bound that the step would push out is held there too, so that
                # the step is feasible for small t and Armijo's predicted decrease is the true one
                out = np.zeros_like(work)
                out[work] = (theta[work] <= lo[work]) & (step < 0)
                if not out.any():
                    break
                work = work & ~out
            decrement = -float(gw @ step)
            if decrement < tol:
                # converged on the working set; a bounded parameter held above that still wants to
                # grow (g < 0) gets a coordinate step, otherwise the KKT conditions hold
                held = free & ~work & (theta <= lo) & (g < 0)
                if not held.any():
                    return FitResult(theta, f, True, it)
                full = np.where(held, -g / np.maximum(np.diag(H), 1e-300), 0.0)
                decrement = -float(g @ full)
                if decrement < tol:
                    return FitResult(theta, f, True, it)
            else:
                full = np.zeros_like(theta)
                full[work] = step
            t = 1.0
            while True:
                trial = np.where(free, np.maximum(theta + t * full, lo), theta)
                f_new, g_new, H_new = self._terms(trial, n)
                if math.isfinite(f_new) and f_new <= f - 1e-4 * t * decrement:
                    break
                t *= 0.5
                if t < 1e-6:
                    # no progress along a descent direction: the decrease is below rounding
                    return FitResult(theta, f, decrement < 1e-6 * scale, it)
            theta, f, g, H = trial, f_new, g_new, H_new
        return FitResult(theta, f, False, maxit)

    def _lbfgsb(self, n, x0, fixed_mask, fixed_vals) -> FitResult:
        def fun(z):
            theta = np.where(fixed_mask, fixed_vals, z * self.scale)
            f, g, _ = self._terms(theta, n)
            if not math.isfinite(f):
                return 1e300, np.zeros_like(z)
            return f, np.where(fixed_mask, 0.0, g * self.scale)

        bounds = [(lo / s if np.isfinite(lo) else None, None) for lo, s in zip(self.lower, self.scale)]
        res = minimize(
            fun,
            x0 / self.scale,
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-9},
        )
        theta = np.where(fixed_mask, fixed_vals, res.x * self.scale)
        return FitResult(theta, float(self.deviance(theta, n)), bool(res.success), int(res.nit))

    def profile(self, name: str, values, n) -> np.ndarray:
        """Profiled deviance at each value of parameter ``name``."""
        out, start = [], None
        for v in np.atleast_1d(values):
            r = self.fit(n, fix={name: float(v)}, start=start)
            start = r.theta
            out.append(r.deviance)
        return np.asarray(out)


class ProfileScan:
    """The profile-likelihood scan of one parameter theta >= 0 of a :class:`LinearPoissonModel`
    on one data set ``n``.

    ``deviance(theta)``: the deviance minimised over all other parameters; ``q(theta)``: the
    one-sided statistic q~ of arXiv:1007.1727 Eq. (16), deviance(theta) - deviance(theta_hat)
    with theta_hat the best fit over theta >= 0, and 0 for theta <= theta_hat. Fits start from the
    previous solution, so scanning in order is cheap.

    >>> m = LinearPoissonModel([[1.0]], [10.0], ["s"], [np.nan], [np.inf])
    >>> scan = ProfileScan(m, np.array([10.0]), "s")   # n = b: theta_hat = 0
    >>> round(scan.theta_hat, 6), round(scan.q(5.0), 4)   # 2[s - b ln(1 + s/b)]
    (0.0, 1.8907)
    """

    def __init__(self, model: LinearPoissonModel, n, name: str = "s"):
        self.model, self.n, self.name = model, np.asarray(n, dtype=float), name
        free = model.fit(self.n)
        self.free = free
        self.theta_hat = float(free.theta[model.index(name)])
        self.d_min = free.deviance
        self._start = free.theta

    def fit_at(self, theta: float) -> FitResult:
        """The conditional fit with the scanned parameter fixed at ``theta`` (others profiled)."""
        r = self.model.fit(self.n, fix={self.name: float(theta)}, start=self._start)
        self._start = r.theta
        return r

    def deviance(self, theta: float) -> float:
        """The profiled deviance -2 ln L(theta, nuisances_hat(theta)) (dimensionless)."""
        return self.fit_at(theta).deviance

    def q(self, theta: float) -> float:
        """The one-sided statistic q~(theta) of arXiv:1007.1727 Eq. (16): 0 for theta <= theta_hat."""
        if theta <= self.theta_hat:
            return 0.0
        return max(self.deviance(theta) - self.d_min, 0.0)


def _solve_increasing(f, target: float, x0: float = 1.0, x_max: float | None = None) -> float:
    """Smallest x >= 0 with f(x) = target for f increasing from f(0) <= target (bracket by doubling).

    The bracket may grow to ``x_max`` (default 1e6 x0, at least 1e12): relative to the scale of the
    problem, so that heavy mediators (theta ~ 1e12 and more) still find their edges.
    """
    if x_max is None:
        x_max = max(1e12, 1e6 * max(x0, 1.0))
    lo, hi = 0.0, max(x0, 1e-300)
    while f(hi) < target:
        lo, hi = hi, hi * 2.0
        if hi > x_max:
            return math.inf
    return brentq(lambda x: f(x) - target, lo, hi, xtol=1e-10 * hi, rtol=1e-9)


def upper_limit(profile, s_hat: float, d_min: float, *, delta: float = DELTA_90, s_max: float = 1e6):
    """Smallest s > s_hat with profile(s) - d_min = delta (profile: a callable s -> deviance).

    ``s_hat`` and ``d_min`` are the minimum over the allowed range (s >= 0), so this is the limit
    from the one-sided q~ of arXiv:1007.1727 Eq. (16) at q~ = delta. Brackets by doubling.

    >>> round(upper_limit(lambda s: (s - 1.0) ** 2, 1.0, 0.0, delta=4.0), 6)   # 1 + 2
    3.0
    """
    f = lambda s: profile(s) - d_min - delta  # noqa: E731
    lo = max(s_hat, 0.0)
    hi = max(lo * 2.0, 1.0) if lo > 0 else 1.0
    while f(hi) < 0:
        lo, hi = hi, hi * 2.0
        if hi > s_max:
            return math.inf
    return brentq(f, lo, hi, xtol=1e-6 * hi, rtol=1e-8)


@dataclass
class ProfileLimit:
    """The profile-likelihood limit on one parameter: limit, best fit (both in the parameter's unit) and
    minimum deviance (dimensionless); q~ of arXiv:1007.1727 Eq. (16).

    >>> ProfileLimit(limit=2.3, theta_hat=0.0, d_min=0.0)
    ProfileLimit(limit=2.3, theta_hat=0.0, d_min=0.0)
    """

    limit: float
    theta_hat: float
    d_min: float
    scan: ProfileScan | None = field(default=None, repr=False)


def profile_limit(model: LinearPoissonModel, n, name: str = "s", *, delta: float = DELTA_90) -> ProfileLimit:
    """Upper limit on parameter ``name`` of ``model`` from data ``n``: q~(theta) = ``delta`` (one-sided
    profile likelihood, arXiv:1007.1727 Eq. (16)); limit in the parameter's unit.

    >>> m = LinearPoissonModel([[1.0]], [0.0], ["s"], [np.nan], [np.inf])
    >>> r = profile_limit(m, np.array([10.0]))   # 2[s - 10 + 10 ln(10/s)] = 2.71
    >>> round(r.theta_hat, 5), round(r.limit, 3)
    (10.0, 16.146)
    """
    scan = ProfileScan(model, n, name)
    ul = upper_limit(scan.deviance, scan.theta_hat, scan.d_min, delta=delta)
    return ProfileLimit(ul, scan.theta_hat, scan.d_min, scan)


def toy_limits(
    model: LinearPoissonModel,
    theta_gen,
    n_toys: int,
    *,
    name: str = "s",
    rng: np.random.Generator | int = 0,
    fluctuate_constraints: bool = False,
    delta: float = DELTA_90,
) -> np.ndarray:
    """Profile-likelihood limits on ``name`` for pseudo-experiments thrown at ``theta_gen``.

    Counts are Poisson(model.expected(theta_gen)). With ``fluctuate_constraints`` the centres of
    the Gaussian constraints (the auxiliary measurements) are drawn too, from N(theta_gen, sigma)
    (the unconditional ensemble that the "fitted" Asimov set of arXiv:1007.1727 Sec. 3.2
    describes); otherwise they stay at the model's centres. The MC nuisances are not thrown
    (their effect on the limit is below 1e-6 here). Fixed ``rng`` seed: reproducible.

    >>> m = LinearPoissonModel([[1.0], [1.0]], [0.0], ["s", "b"], [np.nan, 100.0], [np.inf, np.inf])
    >>> lim = toy_limits(m, [0.0, 100.0], 50, rng=1)   # b free and degenerate with s: no limit
    >>> bool(np.all(lim > 0))
    True
    """
    import copy

    rng = np.random.default_rng(rng)
    theta_gen = np.asarray(theta_gen, dtype=float)
    mu = model.expected(theta_gen)
    fin = np.isfinite(model.sigma)
    out = np.empty(n_toys)
    for i in range(n_toys):
        n = rng.poisson(mu).astype(float)
        m = model
        if fluctuate_constraints:
            m = copy.copy(model)
            m.center = np.where(fin, rng.normal(theta_gen, np.where(fin, model.sigma, 0.0)), model.center)
        out[i] = profile_limit(m, n, name, delta=delta).limit
    return out


# --- Gaussian chi^2, quadratic in the signal strength -----------------------------------------
@dataclass
class QuadraticLimit:
    """Limit from chi^2(s) = (d - s r)^T V^-1 (d - s r), s >= 0 (all values in units of s); built by
    :func:`quadratic_chi2_limit` (Gaussian least squares, PDG Review of Particle Physics, Statistics, Sec. 40.2.3).

    >>> q = quadratic_chi2_limit([3.0], [1.0], [[1.0]])   # s_hat = 3, sigma = 1
    >>> q.s_hat, q.sigma, q.chi2_null, round(q.limit - q.s_hat, 4)   # sqrt(2.71)
    (3.0, 1.0, 9.0, 1.6462)
    """

    limit: float
    s_hat: float
    chi2_min: float
    chi2_null: float
    sigma: float  # 1/sqrt(r^T V^-1 r): the exact (Gaussian) sigma of s_hat, = sigma_A


def quadratic_chi2_limit(residual, response, inv_cov, *, delta: float = DELTA_90) -> QuadraticLimit:
    """Upper limit on s >= 0 for a Gaussian chi^2 linear in s, in closed form.

    chi^2(s) = chi2_null - 2 b s + a s^2 with a = r V^-1 r, b = r V^-1 d (d: observed minus
    expected without signal, r: signal per unit s). The minimum over s >= 0 is s_hat = max(b/a, 0);
    the limit is the larger root of chi^2(s) - chi^2(s_hat) = delta. The log-likelihood is
    exactly parabolic, so the Wald approximation of arXiv:1007.1727 is exact and
    sigma_A = 1/sqrt(a) (give it to :func:`asimov_band`).

    >>> r = quadratic_chi2_limit([0.0], [1.0], [[1.0]])    # d = 0, sigma = 1
    >>> round(r.limit, 4), r.s_hat, r.sigma
    (1.6462, 0.0, 1.0)
    >>> round(quadratic_chi2_limit([2.0], [1.0], [[1.0]]).limit, 4)   # 2 + sqrt(2.71)
    3.6462
    """
    d = np.asarray(residual, dtype=float)
    r = np.asarray(response, dtype=float)
    V = np.asarray(inv_cov, dtype=float)
    a, b = float(r @ V @ r), float(r @ V @ d)
    if not a > 0:
        raise ValueError("quadratic_chi2_limit: the signal response r has r^T V^-1 r <= 0")
    chi_null = float(d @ V @ d)
    s_hat = max(b / a, 0.0)
    chi_min = chi_null - 2.0 * b * s_hat + a * s_hat**2
    # a s^2 - 2 b s + (chi_null - chi_min - delta) = 0, larger root
    c0 = chi_null - chi_min - delta
    s_ul = (b + math.sqrt(max(b * b - a * c0, 0.0))) / a
    return QuadraticLimit(s_ul, s_hat, chi_min, chi_null, 1.0 / math.sqrt(a))


# --- expected limits: the Asimov band ---------------------------------------------------------
#: The band quantiles: N = -2, -1, 0, +1, +2 standard deviations of the background-only
#: distribution of theta_hat, i.e. the 2.28, 15.87, 50, 84.13 and 97.72 % quantiles of the limit.
BAND_N = (-2, -1, 0, 1, 2)


@dataclass(frozen=True)
class Band:
    """Expected upper limits under the background-only hypothesis: the median and the +-1, +-2
    sigma quantiles (Phi(N) = 2.28, 15.87, 50, 84.13, 97.72 %), in the unit of the limit (arXiv:1007.1727
    Sec. 4.3).

    >>> Band(1.0, 4.0, 9.0, 16.0, 25.0).map(math.sqrt)
    Band(expected_m2=1.0, expected_m1=2.0, expected=3.0, expected_p1=4.0, expected_p2=5.0)
    """

    expected_m2: float
    expected_m1: float
    expected: float
    expected_p1: float
    expected_p2: float

    def map(self, f: Callable[[float], float]) -> Band:
        """The band of f(theta) for an increasing f (quantiles map through monotone functions)."""
        return Band(*(float(f(v)) for v in self.as_tuple()))

    def as_tuple(self) -> tuple[float, float, float, float, float]:
        """(m2, m1, median, p1, p2), increasing."""
        return (self.expected_m2, self.expected_m1, self.expected, self.expected_p1, self.expected_p2)

    def as_dict(self) -> dict[str, float]:
        """{"expected_m2": ..., ..., "expected_p2": ...}, the field names as keys."""
        return dict(
            zip(("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2"), self.as_tuple())
        )


def band_multipliers(
    method: str = "profile",
    *,
    cl: float = 0.9,
    delta: float = DELTA_90,
    offset: float = 0.0,
    ratio: float = 1.0,
) -> tuple[float, ...]:
    """sqrt(q_A) at each band edge N = -2..2: the edge theta_N solves q_A(theta_N) = k_N^2.

    Asymptotically (Wald, arXiv:1007.1727 Sec. 3) theta_hat ~ N(theta_A, sigma) in the
    background-only ensemble, and the Asimov statistic is q_A(theta) = (theta - theta_A)^2/sigma^2
    (Eqs. (29)-(32): sigma_A from the Asimov data set; theta_A = 0 for a standard Asimov data set,
    ``offset`` = theta_A/sigma otherwise). The N-sigma quantile of the limit is the limit for
    theta_hat = theta_A + N sigma:

    * ``"profile"``: limit where q~ = delta with theta >= 0 (Eq. (16)). For theta_hat >= 0,
      q~ = (theta - theta_hat)^2/sigma^2, so k_N = N + Z with Z = sqrt(delta) (the band of
      Eqs. (88)-(89)). For theta_hat < 0 the boundary binds: theta_hat is replaced by 0 in the
      denominator of lambda~ (Eq. (10)), q~ = (theta^2 - 2 theta theta_hat)/sigma^2, and the
      limit is theta_hat + sqrt(theta_hat^2 + Z^2 sigma^2), i.e. k_N = N + sqrt((offset + N)^2 + Z^2).
      So the lower edges are pushed up, never to zero (k_-2 = 0.59, k_-1 = 0.93 for
      delta = 2.71, offset 0), and the order m2 < m1 < median is strict: no edge is clipped.
    * ``"cls"``: CLs = p_{s+b}/(1 - p_b) = alpha = 1 - cl (Read 2002) with the asymptotic
      q~ distributions (arXiv:1007.1727 Sec. 3.7): for theta_hat = N sigma, p_{s+b} =
      Phi(N - sqrt(q_A)) and 1 - p_b = Phi(N) on both sides of the boundary, so
      k_N = N + Phi^-1(1 - alpha Phi(N)) (k_0 = 1.645 at 90 %, the profile median). With an
      offset this holds where theta_hat >= 0 and is used unchanged below.

    ``ratio`` = sigma_toys/sigma_A: the spread of theta_hat in the ensemble over the Asimov sigma
    (1 when every measurement, auxiliary ones included, fluctuates; < 1 when the constraint centres
    are held, see :func:`conditional_width_ratio`). theta_hat = theta_A + N ratio sigma, so N is
    replaced by N ratio in the formulas above.

    >>> [round(k, 3) for k in band_multipliers()]
    [0.59, 0.926, 1.646, 2.646, 3.646]
    >>> [round(k, 3) for k in band_multipliers("cls")]
    [0.837, 1.148, 1.645, 2.378, 3.295]
    >>> [round(k, 3) for k in band_multipliers(offset=3.0)]   # far from the boundary: N + Z
    [-0.354, 0.646, 1.646, 2.646, 3.646]
    """
    xs = [N * ratio for N in BAND_N]
    if method == "profile":
        z = math.sqrt(delta)
        return tuple(
            float(x + z) if offset + x >= 0 else float(x + math.sqrt((offset + x) ** 2 + z * z)) for x in xs
        )
    if method == "cls":
        alpha = 1.0 - cl
        return tuple(float(x + ndtri(1.0 - alpha * norm.cdf(x))) for x in xs)
    raise ValueError(f"method = {method!r}; choose 'profile' or 'cls'")


def asimov_band(
    q_asimov: Callable[[float], float] | None = None,
    *,
    sigma_A: float | None = None,
    method: str = "profile",
    cl: float = 0.9,
    delta: float = DELTA_90,
    theta0: float = 1.0,
    theta_hat_A: float = 0.0,
    width_ratio: float = 1.0,
) -> Band:
    """Expected limit on theta >= 0 and its +-1, +-2 sigma band from the Asimov approximation.

    Give either ``q_asimov``, a callable theta -> q_A(theta) = the one-sided statistic q~ of
    arXiv:1007.1727 Eq. (16) evaluated on the background-only Asimov data set (Sec. 3.2: data equal
    to their expectation at theta = 0 and the nuisances of the background-only fit), increasing in
    theta; or ``sigma_A``, the Asimov standard deviation of theta_hat, when q_A = (theta/sigma_A)^2
    exactly (Gaussian likelihoods, :func:`quadratic_chi2_limit`).

    Each edge solves q_A(theta_N) = k_N^2 with k_N from :func:`band_multipliers`, i.e. it uses
    sigma_A(theta_N) = (theta_N - theta_hat_A)/sqrt(q_A(theta_N)) at the edge itself (Eq. (31)),
    which absorbs the theta dependence of sigma that a single sigma_A would miss. ``theta0`` is a
    first guess of the scale of theta (the bracket starts there).

    ``theta_hat_A``: the best fit on the Asimov data, 0 for a standard Asimov set. It is > 0
    when the Gaussian constraints stay at their nominal centres while the data are the expectation
    at the fitted nuisances (Borexino's ``asimov="nominal"``); q_A is then 0 up to theta_hat_A and
    the boundary correction of the lower edges uses offset = theta_hat_A/sigma_A(median).

    ``width_ratio``: sigma_toys/sigma_A of the ensemble the band describes (``ratio`` of
    :func:`band_multipliers`; 1 for the standard unconditional ensemble).

    The theta >= 0 boundary: with q~ every k_N > 0 at zero offset, so every edge is strictly
    positive and the order m2 < m1 < median < p1 < p2 holds; no edge is clipped.

    Counting experiment, b = 100 expected, Asimov n = b: q_A(s) = 2[s - b ln(1 + s/b)]

    >>> b = 100.0
    >>> band = asimov_band(lambda s: 2 * (s - b * math.log1p(s / b)), theta0=10.0)
    >>> [round(v, 2) for v in band.as_tuple()]
    [6.02, 9.55, 17.38, 28.85, 41.02]
    >>> [round(v, 3) for v in asimov_band(sigma_A=1.0).as_tuple()]
    [0.59, 0.926, 1.646, 2.646, 3.646]
    """
    if sigma_A is not None:
        if q_asimov is not None:
            raise ValueError("asimov_band: give q_asimov or sigma_A, not both")
        if not sigma_A > 0:
            raise ValueError(f"asimov_band: sigma_A = {sigma_A!r} must be > 0")
        ks = band_multipliers(method, cl=cl, delta=delta, offset=theta_hat_A / sigma_A, ratio=width_ratio)
        return Band(*(theta_hat_A + k * sigma_A for k in ks))
    if q_asimov is None:
        raise ValueError("asimov_band: give q_asimov (a callable) or sigma_A")
    # the median first (it fixes sigma_A for the offset), then outwards from it
    k0 = band_multipliers(method, cl=cl, delta=delta)[2]
    med = _solve_increasing(q_asimov, k0**2, max(theta0, theta_hat_A))
    offset = 0.0
    if theta_hat_A > 0 and math.isfinite(med):
        offset = theta_hat_A / ((med - theta_hat_A) / k0)
    ks = band_multipliers(method, cl=cl, delta=delta, offset=offset, ratio=width_ratio)
    out = {2: med}
    for i in (1, 0, 3, 4):
        guess = theta_hat_A + (med - theta_hat_A) * ks[i] / k0 if math.isfinite(med) else theta0
        if ks[i] <= 0:  # an edge below the Asimov best fit, where q~ = 0: linear in sigma_A(median)
            out[i] = max(guess, 0.0)
        else:
            out[i] = _solve_increasing(q_asimov, ks[i] ** 2, max(guess, 1e-12))
    return Band(*(out[i] for i in range(5)))


def conditional_width_ratio(model: LinearPoissonModel, theta, name: str = "s") -> float:
    """sigma_cond/sigma of parameter ``name`` at ``theta``: the spread of its estimate when only
    the counts fluctuate (constraint centres held), over its full asymptotic sigma.

    Fisher information on Asimov data at theta (Cowan et al. arXiv:1007.1727 Sec. 3.2), split into
    the counts' part I_n = J diag(1/mu) J^T and the constraints' I_c = diag(1/sigma^2);
    C = (I_n + I_c)^-1 is the full covariance and C I_n C the covariance from the counts alone
    (the sandwich form, e.g. Cowan, Statistical Data Analysis, Oxford 1998, Ch. 7). Parameters on
    their bound (other than ``name``) are held.

    >>> m = LinearPoissonModel([[1.0]], [0.0], ["s"], [100.0], [10.0])   # counts: var 100, prior: var 100
    >>> round(conditional_width_ratio(m, [100.0]), 4)                    # sqrt(1/2)
    0.7071
    """
    theta = np.asarray(theta, dtype=float)
    i = model.index(name)
    keep = (theta > model.lower) | (np.arange(len(theta)) == i)
    J = model.jacobian(theta)[keep]
    mu = np.maximum(model.expected(theta), 1e-300)
    In = (J / mu) @ J.T
    Ic = np.diag(np.where(np.isfinite(model.sigma[keep]), 1.0 / model.sigma[keep] ** 2, 0.0))
    C = np.linalg.inv(In + Ic)
    j = int(np.sum(keep[:i]))
    return float(math.sqrt((C @ In @ C)[j, j] / C[j, j]))


def sigma_asimov(q_asimov: Callable[[float], float], theta: float) -> float:
    """sigma_A(theta) = theta / sqrt(q_A(theta)) (arXiv:1007.1727 Eq. (31)), in units of theta.

    >>> round(sigma_asimov(lambda s: (s / 3.0) ** 2, 2.0), 12)
    3.0
    """
    q = q_asimov(theta)
    return theta / math.sqrt(q) if q > 0 else math.inf


# --- CLs --------------------------------------------------------------------------------------
def cls_asymptotic(q_obs: float, q_A: float) -> float:
    """Asymptotic CLs = p_{s+b} / (1 - p_b) for the one-sided q~ (Read, J. Phys. G 28 (2002) 2693).

    p-values from the asymptotic q~ distributions of arXiv:1007.1727 Sec. 3.7 (tested value theta,
    Asimov q_A = theta^2/sigma^2, background-only alternative):
    q~ <= q_A: p_{s+b} = 1 - Phi(sqrt q~), 1 - p_b = Phi(sqrt q_A - sqrt q~);
    q~ > q_A: p_{s+b} = 1 - Phi((q~ + q_A)/(2 sqrt q_A)), 1 - p_b = 1 - Phi((q~ - q_A)/(2 sqrt q_A)).

    >>> round(cls_asymptotic(1.6449**2, 1.6449**2), 4)   # median: 0.05 / 0.5
    0.1
    """
    q_obs, q_A = max(q_obs, 0.0), max(q_A, 0.0)
    if q_A <= 0:
        return 1.0
    sa = math.sqrt(q_A)
    if q_obs <= q_A:
        sq = math.sqrt(q_obs)
        p_sb, one_minus_pb = norm.sf(sq), norm.cdf(sa - sq)
    else:
        p_sb = norm.sf((q_obs + q_A) / (2.0 * sa))
        one_minus_pb = norm.sf((q_obs - q_A) / (2.0 * sa))
    return float(min(p_sb / one_minus_pb, 1.0)) if one_minus_pb > 0 else 1.0


def cls_upper_limit(
    q_obs: Callable[[float], float],
    q_asimov: Callable[[float], float],
    *,
    cl: float = 0.9,
    theta0: float = 1.0,
) -> float:
    """Upper limit on theta >= 0 where the asymptotic CLs (:func:`cls_asymptotic`) falls to 1 - cl.

    ``q_obs``: q~(theta) on the data; ``q_asimov``: q~(theta) on the background-only Asimov data.

    Asymptotic formulae of arXiv:1007.1727 with CLs (Read, J. Phys. G 28 (2002) 2693; Junk,
    arXiv:hep-ex/9902006). Gaussian example, sigma = 1, theta_hat = 0: the limit is the median,
    sqrt(q_A) = 1.645

    >>> round(cls_upper_limit(lambda t: t * t, lambda t: t * t), 3)
    1.645
    """
    alpha = 1.0 - cl
    return _solve_increasing(
        lambda t: -cls_asymptotic(q_obs(t), q_asimov(t)) if t > 0 else -1.0, -alpha, theta0
    )


def poisson_zero_events_limit(cl: float = 0.9) -> float:
    """Signal s [events] with P(0|s+b)/P(0|b) = exp(-s) = 1 - cl: 2.303 for 90 % CL (independent of b;
    PDG Review of Particle Physics, Statistics, Sec. 40.4.2, Table 40.3).

    >>> round(poisson_zero_events_limit(0.9), 3)
    2.303
    """
    return -math.log(1.0 - cl)


def chi2_rates(r_obs, r_th, inv_cov) -> float:
    """chi^2 = (R_obs - R_th)^T V^-1 (R_obs - R_th), dimensionless (rates and V in matching units; PDG
    Review of Particle Physics, Statistics, Eq. (40.19)).

    >>> chi2_rates([1.0, 2.0], [0.0, 0.0], [[1.0, 0.0], [0.0, 0.25]])
    2.0
    """
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
    A320 (1992) 331; CLs: A. L. Read, J. Phys. G 28 (2002) 2693; PDG Review of Particle Physics,
    Statistics, Sec. 40.4.2.4). s, b in events.

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
    quadrature by the caller), integrated out as in Cousins & Highland (NIM A320 (1992) 331; CLs as in the
    PDG Review of Particle Physics, Statistics, Sec. 40.4.2.4). n_obs = 0:
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
    Cousins-Highland first-order formula, NIM A320 (1992) 331; cf. PDG Review of Particle Physics,
    Statistics, Sec. 40.4.2). Events.

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
    """Smallest n [events] with P(N <= n | b) >= q (the left-continuous inverse CDF, numpy's 'inverted_cdf';
    Poisson distribution as in the PDG Review of Particle Physics, Probability, Sec. 39.4). b in events.

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
    n = 0 and coincide (degenerate band): with b = 0.53, m2 = m1 = median = 2.303. Expected limits as in
    arXiv:1007.1727 Sec. 4.3, with exact Poisson quantiles instead of the asymptotic formulae.

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


# --- one signal on a background of free normalisation (XENONnT-style fits) -------------------


@dataclass
class SignalBackgroundFit:
    """The best fit of :class:`SignalOnScaledBackground`: theta_hat >= 0, b_hat and -ln L there
    (extended likelihood of xenon_er.md section 5).

    >>> SignalBackgroundFit(theta=0.0, b=0.015, nll=-746.84).theta
    0.0
    """

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
