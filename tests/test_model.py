"""The model point: validation at the boundary, Majorana antisymmetry, basis changes, conventions."""

import numpy as np
import pytest

from darktmm.spectra import nue
from darktmm.spectra.constants import MU_B
from darktmm.spectra.model import (
    NUFIT52,
    NUFIT60,
    PAPER_LAGRANGIAN_FACTOR,
    DarkSector,
    flavour_to_mass,
    lambdas_from_moment,
    mass_to_flavour,
    moment_from_lambdas,
)
from darktmm.spectra.validate import ParameterError


@pytest.mark.parametrize(
    "kw,needle",
    [
        ({"m_ap": -1e-3}, "m_ap = -0.001 GeV is outside the allowed range [0, inf] GeV"),
        ({"eps": 1.5}, "eps = 1.5 is outside the allowed range [0, 1]"),
        ({"eps": -0.1}, "eps = -0.1 is outside"),
        ({"gamma_dark": -1.0}, "gamma_dark"),
        ({"m_ap": float("nan")}, "not finite"),
        ({"mu_D_muB": np.eye(3)}, "antisymmetric"),
        ({"mu_D_muB": np.zeros((2, 2))}, "3x3"),
    ],
)
def test_bad_parameters_name_parameter_value_and_range(kw, needle):
    with pytest.raises(ParameterError, match=needle.replace("[", r"\[").replace("]", r"\]")):
        DarkSector(**kw)


def test_lambdas_build_an_antisymmetric_matrix_and_round_trip():
    lam = moment_from_lambdas(1 + 2j, -3.0, 0.5j)
    assert np.allclose(lam, -lam.T) and np.allclose(np.diag(lam), 0)
    assert np.allclose(lambdas_from_moment(lam), [1 + 2j, -3.0, 0.5j])
    # lambda_jk = eps_jkl Lambda_l
    assert lam[1, 2] == 1 + 2j and lam[2, 0] == -3.0 and lam[0, 1] == 0.5j


@pytest.mark.parametrize("osc", [NUFIT52, NUFIT60])
def test_pmns_is_unitary(osc):
    u = osc.pmns()
    assert np.allclose(u @ u.conj().T, np.eye(3), atol=1e-14)


def test_antisymmetry_survives_basis_change_and_round_trip():
    rng = np.random.default_rng(4)
    a = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))
    flav = a - a.T
    mass = flavour_to_mass(flav)
    assert np.allclose(mass, -mass.T, atol=1e-14)
    assert np.allclose(mass_to_flavour(mass), flav, atol=1e-14)
    # a symmetric (non-Majorana-moment) matrix stays symmetric: the rotation is a congruence
    s = a + a.T
    ms = flavour_to_mass(s)
    assert np.allclose(ms, ms.T, atol=1e-14)


def test_flavour_blind_point_has_the_same_moment_for_every_mass_state():
    p = DarkSector.flavour_blind(0.0, 1e-3, 2e-11)
    assert np.allclose(p.column_norms_sq_muB2, (2e-11) ** 2, rtol=1e-12)
    # independent of the mass-state fractions: mu_eff^2 = sum_i P_i sum_j |l_ji|^2
    for P in ([1, 0, 0], [0.3, 0.6, 0.1]):
        assert np.dot(P, p.column_norms_sq_muB2) == pytest.approx((2e-11) ** 2, rel=1e-12)


def test_natural_units_of_the_moment():
    p = DarkSector.from_lambdas(0.0, 0.1, (1e-11, 0, 0))
    assert p.mu_D_GeV[1, 2] == pytest.approx(1e-11 * 296.30, rel=1e-4)
    assert MU_B == pytest.approx(296.30, rel=1e-4)


def test_paper_factor_fixed_by_massless_limit_mu_eff_equals_eps_mu_D():
    # neutrino_electron.md section 5: for m_A' -> 0 the dark-TMM cross section must be the photon
    # magnetic-moment cross section with mu = eps mu_D (the paper's statement mu_eff = eps mu_D).
    # With the Dirac-normalised moment this holds with factor 1; the paper's Lagrangian factor
    # maps its (mu_D)_ij onto that moment.
    eps, mu_paper = 1e-3, 3e-8
    mu_dirac = PAPER_LAGRANGIAN_FACTOR * mu_paper
    E, T = 0.862e-3, np.array([0.1e-3, 0.3e-3])
    dark = nue.dsigma_dT_tmm(E, T, eps * mu_dirac, m_ap=1e-12)
    photon = nue.dsigma_dT_tmm(E, T, 3e-11, m_ap=0.0)
    assert np.allclose(dark, photon, rtol=1e-9)
    assert PAPER_LAGRANGIAN_FACTOR == 1.0
