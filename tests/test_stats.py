"""The statistics layer against closed forms."""

import math

import numpy as np
import pytest
from scipy.special import xlogy
from scipy.stats import norm

from darktmm.detectors.stats import (
    BAND_N,
    LinearPoissonModel,
    asimov_band,
    band_multipliers,
    cls_asymptotic,
    cls_upper_limit,
    conditional_width_ratio,
    poisson_deviance,
    poisson_zero_events_limit,
    quadratic_chi2_limit,
    upper_limit,
)


def test_zero_event_cls_limit_is_ln10():
    assert abs(poisson_zero_events_limit(0.9) - math.log(10)) < 1e-12
    assert abs(poisson_zero_events_limit(0.9) - 2.303) < 1e-3


def test_single_bin_poisson_mle_and_profile_limit():
    # one bin, mu = s (no background): MLE s = n; -2 Delta lnL = 2[s - n + n ln(n/s)]
    n = np.array([10.0])
    m = LinearPoissonModel(np.array([[1.0]]), np.zeros(1), ["s"], [np.nan], [np.inf])
    r = m.fit(n)
    assert abs(r.theta[0] - 10.0) < 1e-5
    prof = lambda s: poisson_deviance([s], n)  # noqa: E731
    s_ul = upper_limit(prof, 10.0, 0.0, delta=2.71)
    # solve 2[s - 10 + 10 ln(10/s)] = 2.71 independently by bisection
    lo, hi = 10.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 2 * (mid - 10 + 10 * math.log(10 / mid)) < 2.71:
            lo = mid
        else:
            hi = mid
    assert abs(s_ul - lo) < 1e-5


def test_gaussian_constraint_pulls_towards_center():
    # data 0 events, parameter constrained to 5 +- 1 with template of 1 count per unit:
    # minimise 2 theta + (theta - 5)^2 -> theta = 4
    m = LinearPoissonModel(np.array([[1.0]]), np.zeros(1), ["b"], [5.0], [1.0])
    r = m.fit(np.array([0.0]))
    assert abs(r.theta[0] - 4.0) < 1e-5


def test_two_templates_recovered_from_asimov_data():
    rng = np.random.default_rng(1)
    A = np.abs(rng.normal(size=(2, 50))) + 0.1
    truth = np.array([30.0, 70.0])
    m = LinearPoissonModel(A, np.zeros(50), ["a", "b"], [np.nan, np.nan], [np.inf, np.inf])
    r = m.fit(truth @ A)
    assert np.allclose(r.theta, truth, rtol=1e-5)


# --- fitter -------------------------------------------------------------------------------------
def test_newton_fit_with_a_parameter_on_its_bound():
    # bin 1 sees only a, bin 2 only b; n = (5, 0): a = 5, b -> 0 (bound active), deviance 0
    m = LinearPoissonModel(np.eye(2), np.zeros(2), ["a", "b"], [np.nan, np.nan], [np.inf, np.inf])
    r = m.fit(np.array([5.0, 0.0]))
    assert r.success
    assert r.theta[0] == pytest.approx(5.0, abs=1e-7)
    assert r.theta[1] == 0.0
    assert r.deviance == pytest.approx(0.0, abs=1e-10)


def test_newton_and_lbfgsb_reach_the_same_minimum():
    rng = np.random.default_rng(3)
    A = np.abs(rng.normal(size=(4, 80))) * 50 + 1
    n = rng.poisson(np.array([1.0, 0.5, 0.0, 2.0]) @ A).astype(float)
    m = LinearPoissonModel(
        A, np.zeros(80), list("abcd"), [1.0, np.nan, np.nan, 2.0], [0.1, np.inf, np.inf, np.inf]
    )
    rn, rl = m.fit(n), m.fit(n, method="lbfgsb")
    assert rn.success
    assert rn.deviance <= rl.deviance + 1e-7


# --- Barlow-Beeston-lite ------------------------------------------------------------------------
@pytest.mark.parametrize("n,mu,var", [(7.0, 5.0, 2.0), (0.0, 3.0, 1.0), (50.0, 20.0, 30.0), (3.0, 8.0, 0.5)])
def test_bb_lite_bin_equals_a_brute_force_minimum(n, mu, var):
    # deviance of one bin with mu + gamma, gamma ~ N(0, var), minimised numerically over gamma
    from scipy.optimize import minimize_scalar

    f = lambda g: 2 * (mu + g - n + xlogy(n, n) - xlogy(n, mu + g)) + g * g / var  # noqa: E731
    brute = minimize_scalar(
        f, bounds=(-mu + 1e-12, 10 * (n + mu + var)), method="bounded", options={"xatol": 1e-12}
    )
    m = LinearPoissonModel([[mu]], [0.0], ["a"], [1.0], [np.inf], A_var=[[var]])
    assert m.deviance([1.0], [n]) == pytest.approx(brute.fun, abs=1e-7)


def test_bb_lite_large_counts_add_the_mc_variance_to_the_poisson_one():
    # Gaussian limit: min_gamma deviance = (n - mu)^2 / (mu + var) to O(1/sqrt(n))
    n, mu, var = 1.0e6, 1.0e6 + 2000.0, 1.0e6
    m = LinearPoissonModel([[mu]], [0.0], ["a"], [1.0], [np.inf], A_var=[[var]])
    assert m.deviance([1.0], [n]) == pytest.approx((n - mu) ** 2 / (mu + var), rel=5e-3)


# --- bands and CLs against Gaussian pseudo-experiments (exact there) ----------------------------
def _gaussian_toy_limits(method, n_toys=4000, seed=11):
    # theta_hat ~ N(0, 1), chi^2(s) = (d - s)^2: the Wald approximation is exact
    rng = np.random.default_rng(seed)
    out = []
    for d in rng.normal(size=n_toys):
        if method == "profile":
            out.append(quadratic_chi2_limit([d], [1.0], [[1.0]]).limit)
        else:
            s_hat = max(d, 0.0)
            q = lambda s, d=d, s_hat=s_hat: (d - s) ** 2 - (d - s_hat) ** 2 if s > s_hat else 0.0  # noqa: E731
            out.append(cls_upper_limit(q, lambda s: s * s))
    return np.array(out)


@pytest.mark.parametrize("method", ["profile", "cls"])
def test_band_edges_are_the_quantiles_of_gaussian_toy_limits(method):
    lim = _gaussian_toy_limits(method)
    band = asimov_band(sigma_A=1.0, method=method).as_tuple()
    p = norm.cdf(BAND_N)
    # the fraction of toys below each edge is Binomial(n, p): 4 sigma
    for edge, prob in zip(band, p):
        frac = np.mean(lim < edge)
        assert abs(frac - prob) < 4 * np.sqrt(prob * (1 - prob) / len(lim)), (method, prob, frac)


def test_band_from_q_asimov_equals_band_from_sigma_for_a_parabola():
    b1 = asimov_band(lambda t: (t / 2.5) ** 2, theta0=0.1)
    b2 = asimov_band(sigma_A=2.5)
    assert np.allclose(b1.as_tuple(), b2.as_tuple(), rtol=1e-8)


def test_band_edges_are_ordered_and_positive():
    for method in ("profile", "cls"):
        for offset_ratio in ((0.0, 1.0), (0.3, 1.0), (0.3, 0.6)):
            ks = band_multipliers(method, offset=offset_ratio[0], ratio=offset_ratio[1])
            assert all(k > 0 for k in ks)
            assert all(a < b for a, b in zip(ks, ks[1:]))


def test_cls_is_one_at_zero_signal_and_falls_with_theta():
    assert cls_asymptotic(0.0, 0.0) == 1.0
    vals = [cls_asymptotic(t * t, t * t) for t in (0.5, 1.0, 2.0, 3.0)]
    assert all(a > b for a, b in zip(vals, vals[1:]))
    # q~ > q_A branch: theta_hat < 0; CLs = Phi(N - sqrt q_A)/Phi(N) with N = theta_hat/sigma
    N, t = -0.5, 2.0
    q = t * t - 2 * t * N
    assert cls_asymptotic(q, t * t) == pytest.approx(norm.cdf(N - t) / norm.cdf(N), rel=1e-10)


def test_quadratic_limit_matches_the_root_of_the_parabola():
    d, r, V = np.array([1.0, -0.5]), np.array([2.0, 1.0]), np.array([[1.0, 0.2], [0.2, 2.0]])
    res = quadratic_chi2_limit(d, r, V)
    chi = lambda s: (d - s * r) @ V @ (d - s * r)  # noqa: E731
    assert chi(res.limit) - res.chi2_min == pytest.approx(2.71, abs=1e-9)
    assert res.sigma == pytest.approx(1 / np.sqrt(r @ V @ r))


def test_conditional_width_ratio_against_toys():
    # one parameter seen by counts (Poisson, ~400 per bin) and by a Gaussian prior of similar power
    A = np.full((1, 4), 100.0)
    m = LinearPoissonModel(A, np.zeros(4), ["s"], [4.0], [0.1])
    rng = np.random.default_rng(5)
    fits = [m.fit(rng.poisson(m.expected([4.0])).astype(float)).theta[0] for _ in range(2000)]
    full = 1 / np.sqrt(A.sum() / 4.0 + 1 / 0.1**2)  # sigma from the Fisher information
    assert np.std(fits) / full == pytest.approx(conditional_width_ratio(m, [4.0]), rel=0.05)
