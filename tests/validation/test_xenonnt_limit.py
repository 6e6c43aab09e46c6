"""Published-number and limiting-case checks of the XENONnT SR0 limit (xenon_er.md sections 5-6).

The full chain on the released data: VEGAS templates (stepping, booklet shells), the extended
unbinned likelihood with the B0 normalisation free, q = 2.71. Marked slow.

Photon limit against the published 6.3e-12 muB. This chain gives 7.20e-12 muB (stepping; +14 %)
and 6.42e-12 muB (free electrons; +2 %); the Asimov median is 1.05e-11 muB. The observed bound is
40 % below the median because the data sit below B0 where the signal peaks (15 events in
1-3 keV against 19.36 expected, none below 1.699 keV where B0 expects 3.70). The remaining
difference to XENONnT's number is in the method (xenon_er.md section 6): XENON set the limit
with a toy-MC Neyman construction, whose 90 % critical value near the theta >= 0 boundary is
~1.6 instead of 2.71 (a stronger limit); their background model had nine components fitted over
a wider range with efficiency uncertainties, not one B0 shape with a free normalisation; and
the stepping approximation lowers the signal by 10 % against free electrons. So the test asks
for the published value within 25 %, the margin of xenon_er.md section 6.
"""

import math

import numpy as np
import pytest

from darktmm.detectors import borexino as bx
from darktmm.detectors import xenonnt as xn
from darktmm.spectra.constants import KEV, MEV

pytestmark = pytest.mark.slow

MASSES = [0.0, 1e-8, 1.0 * KEV, 0.1 * MEV, 0.3 * MEV, 1.0 * MEV, 3.0 * MEV, 10.0 * MEV]


@pytest.fixture(scope="module")
def sr0(data_dir):
    return xn.load_data(data_dir)


@pytest.fixture(scope="module")
def scan(data_dir):
    calls = []
    pts, info = xn.limit(MASSES, data_dir=data_dir, seed=3, progress=calls.append)
    return pts, info, calls


@pytest.fixture(scope="module")
def exact(sr0):
    return xn.templates(method="exact", data=sr0)


def _at(pts, m):
    return next(p for p in pts if p.m_ap == m)


def test_api_shape(scan):
    pts, info, calls = scan
    assert len(pts) == len(MASSES) and all(isinstance(p, bx.LimitPoint) for p in pts)
    assert calls == [1] * len(MASSES)
    for k in ("method", "treatment", "nuisance", "nuisance_prior", "rtol", "data_file", "timing_s"):
        assert k in info
    assert info["treatment"] == "stepping" and info["nuisance"] == "free"
    assert info["template_max_rel_error"] <= 1e-3


def test_photon_limit_against_published(scan):
    p = _at(scan[0], 0.0)
    assert p.limit == pytest.approx(xn.PUBLISHED_LIMIT_MUB, rel=0.25)
    # the deficit of section 2: observed clearly stronger than the Asimov median
    assert 1.2 < p.expected / p.limit < 1.8
    assert p.s_hat == 0.0


def test_stepping_against_free_electrons(sr0):
    step = xn.limit_from_templates(xn.templates(method="exact", data=sr0), 0.0)
    free = xn.limit_from_templates(xn.templates(method="exact", data=sr0, treatment="free"), 0.0)
    # section 6: stepping against FEA moves the bound by roughly 10 % (signal -10 %)
    assert 1.05 < step.limit / free.limit < 1.2
    assert free.limit == pytest.approx(xn.PUBLISHED_LIMIT_MUB, rel=0.25)


def test_massless_limit_recovers_photon(scan):
    pts = scan[0]
    p0 = _at(pts, 0.0)
    # F(T)^2 = 1 - 2 m^2/(2 m_e T) + ...: 10 eV changes the signal by < 1e-8
    assert _at(pts, 1e-8).limit == pytest.approx(p0.limit, rel=1e-6)
    assert _at(pts, 1e-8).expected == pytest.approx(p0.expected, rel=1e-6)
    # 1 keV: F^2 >= 0.998 on the window
    assert _at(pts, 1.0 * KEV).limit == pytest.approx(p0.limit, rel=3e-3)
    lims = [p.limit for p in pts]
    assert all(b >= a * (1 - 1e-9) for a, b in zip(lims, lims[1:]))


def test_heavy_mediator_scales_as_mass_squared(scan, exact):
    r = _at(scan[0], 10 * MEV).limit / _at(scan[0], 3 * MEV).limit
    assert r == pytest.approx((10 / 3) ** 2, rel=0.01)
    r_exact = xn.limit_from_templates(exact, 10 * MEV).limit / xn.limit_from_templates(exact, 3 * MEV).limit
    assert r_exact == pytest.approx((10 / 3) ** 2, rel=0.01)


def test_heavy_mediator_best_fit_above_zero(scan):
    # section 5.8: for m_A' >~ 300 keV the best fit has theta_hat > 0, far above 1, and the
    # observed bound is weaker than the Asimov median (section 6)
    for m in (1.0 * MEV, 10 * MEV):
        p = _at(scan[0], m)
        assert p.extra["theta_hat"] > 1.0
        assert p.limit > p.expected


def test_vegas_templates_against_exact(scan, exact):
    for m in MASSES:
        a = _at(scan[0], m)
        b = xn.limit_from_templates(exact, m)
        assert a.limit == pytest.approx(b.limit, rel=2e-3), m
        assert a.expected == pytest.approx(b.expected, rel=2e-3), m


def test_binned_reproduces_unbinned(exact):
    # section 5.7: 0.1 keV bins on the B0 grid reproduce the unbinned limit to 0.1 % (photon);
    # heavier A' (a signal degenerate with the free B0 normalisation) to 0.5 %
    for m, rel in ((0.0, 1e-3), (0.1 * MEV, 5e-3), (1 * MEV, 1e-3), (10 * MEV, 1e-3)):
        u = xn.limit_from_templates(exact, m)
        b = xn.limit_from_templates(exact, m, likelihood="binned")
        assert b.limit == pytest.approx(u.limit, rel=rel), m


def test_profile_statistic_at_the_limit(exact):
    for m in (0.0, 1 * MEV):
        L = exact.likelihood(m)
        fit = L.fit()
        th = L.upper_limit(2.71, fit)
        assert L.q(th, fit) == pytest.approx(2.71, abs=1e-6)
        assert (xn.MU_REF * math.sqrt(th)) == pytest.approx(xn.limit_from_templates(exact, m).limit, rel=1e-9)


def test_nuisance_options_recorded(exact):
    for nu in ("gaussian", "fixed"):
        p = xn.limit_from_templates(exact, 0.0, nuisance=nu)
        assert p.extra["nuisance"] == nu and np.isfinite(p.limit)
    assert xn.limit_from_templates(exact, 0.0, nuisance="fixed").extra["b_hat"] == 0.0


def test_thirty_mass_scan_under_30_s(data_dir):
    pts, info = xn.limit(np.geomspace(1e-6, 0.1, 30), data_dir=data_dir)
    assert len(pts) == 30 and info["timing_s"] < 30.0
