"""The statistics layer against closed forms."""

import math

import numpy as np

from darktmm.detectors.stats import (
    LinearPoissonModel,
    poisson_deviance,
    poisson_zero_events_limit,
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
