"""Counting-search statistics of detectors.stats: CLs limits (zero and one observed event, closed forms), the
Cousins-Highland smearing, and the Poisson-quantile expected limits against pseudo-experiments."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from darktmm.detectors import stats


@pytest.mark.parametrize("b", [0.0, 0.53, 3.0])
def test_zero_events_limit_is_ln10_for_any_background(b):
    assert stats.poisson_cls_upper_limit(0, b) == pytest.approx(math.log(10.0), rel=1e-10)
    assert stats.poisson_cls_upper_limit(0, b) == pytest.approx(
        stats.poisson_zero_events_limit(0.9), rel=1e-10
    )
    # 95 % CL: ln 20
    assert stats.poisson_cls_upper_limit(0, b, cl=0.95) == pytest.approx(math.log(20.0), rel=1e-10)


@pytest.mark.parametrize("b", [0.0, 0.53, 2.0])
def test_one_and_two_events_closed_forms(b):
    # CLs = P(n <= k | s + b)/P(n <= k | b), written out by hand
    s1 = brentq(lambda s: math.exp(-s) * (1 + s + b) / (1 + b) - 0.1, 1e-3, 30)
    assert stats.poisson_cls_upper_limit(1, b) == pytest.approx(s1, rel=1e-9)
    t = lambda s: math.exp(-s) * (1 + (s + b) + (s + b) ** 2 / 2) / (1 + b + b**2 / 2) - 0.1  # noqa: E731
    assert stats.poisson_cls_upper_limit(2, b) == pytest.approx(brentq(t, 1e-3, 30), rel=1e-9)
    if b == 0.0:  # the classical b = 0 values
        assert s1 == pytest.approx(3.890, abs=1e-3)


def test_cousins_highland_smearing():
    for sig in (0.05, 0.1, 0.2):
        num = stats.poisson_cls_upper_limit(0, 0.53, rel_sigma=sig)
        # closed form of E[exp(-k s)] for an untruncated Gaussian; the truncation at k = 0 (5 sigma for
        # sigma = 0.2, 10 sigma for 0.1) moves it by ~1e-6 and < 1e-12
        tol = 1e-5 if sig > 0.15 else 1e-8
        assert num == pytest.approx(stats.cousins_highland_zero(0.9, sig), rel=tol)
        # and the first-order Cousins-Highland formula L (1 + L sigma^2/2)
        L = math.log(10.0)
        assert num == pytest.approx(L * (1 + L * sig**2 / 2), rel=3 * (L * sig**2) ** 2)
    # the smearing makes the limit weaker, monotonically
    v = [stats.poisson_cls_upper_limit(1, 0.53, rel_sigma=s) for s in (0.0, 0.1, 0.2)]
    assert v[0] < v[1] < v[2]


@pytest.mark.parametrize("b", [0.53, 3.0, 8.0])
def test_expected_limits_against_pseudo_experiments(b):
    rng = np.random.default_rng(12)
    n = rng.poisson(b, size=200_000)
    cache = {k: stats.poisson_cls_upper_limit(int(k), b) for k in np.unique(n)}
    ups = np.array([cache[k] for k in n])
    got = stats.expected_upper_limits(b)
    for key, q in stats.SIGMA_QUANTILES.items():
        # quantiles of the pseudo-experiment limits (left-continuous inverse CDF, as Poisson quantiles are defined)
        assert got[key] == pytest.approx(float(np.quantile(ups, q, method="inverted_cdf")), rel=1e-12), key
    vals = [got[k] for k in ("m2", "m1", "median", "p1", "p2")]
    assert vals == sorted(vals)
    if b == 0.53:  # degenerate lower band: P(0) = 0.589 > 0.5
        assert got["m2"] == got["m1"] == got["median"] == pytest.approx(math.log(10.0))
        assert got["p1"] < got["p2"]
    if b == 8.0:  # non-degenerate: strictly ordered
        assert vals[0] < vals[1] < vals[2] < vals[3] < vals[4]


def test_bad_input():
    with pytest.raises(ValueError):
        stats.poisson_cls_upper_limit(-1, 0.5)
    with pytest.raises(ValueError):
        stats.poisson_cls_upper_limit(0, 0.5, cl=1.0)
