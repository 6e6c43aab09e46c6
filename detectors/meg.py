"""Charged-lepton flavour violation limits (MEG II, BaBar, Belle) and the cLFV cap on mu_D.

The limits and their use follow ``shared/physics/uv_model_meg.md`` sections 2, 4 and 6; the physics
(amplitudes, loop functions, prescriptions) lives in :mod:`spectra.uv`. Units: masses in GeV,
amplitudes in GeV^-2, moments in GeV^-1 and mu_B (MU_B = 296.30 GeV^-1).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from darktmm.spectra import uv
from darktmm.spectra.constants import MU_B
from darktmm.spectra.validate import ParameterError, check_range


@dataclass(frozen=True)
class Limit:
    """A 90% CL upper limit on BR(l_i -> l_f gamma) with its citation.

    Source: uv_model_meg.md section 2 (MEG II arXiv:2504.15711; BaBar arXiv:0908.2381; Belle
    arXiv:2103.12994). ``br_max`` and ``br_lnunu`` dimensionless.

    >>> lim = LIMITS["mu_e_gamma"]
    >>> lim.experiment, lim.br_max, lim.reference
    ('MEG II', 1.5e-13, 'arXiv:2504.15711')
    """

    channel: str
    decay: str
    br_max: float
    cl: float
    experiment: str
    reference: str
    pair: tuple[str, str]
    br_lnunu: float
    tag: str
    note: str = ""

    @property
    def amplitude_max(self) -> float:
        """|A|_max [GeV^-2] (uv_model_meg.md section 4).

        >>> f"{LIMITS['mu_e_gamma'].amplitude_max:.5g}"
        '1.3707e-12'
        """
        return float(uv.amplitude_max(self.br_max, self.br_lnunu))

    @property
    def cap_coefficient(self) -> float:
        """32 pi^2 |A|_max [GeV^-2] (uv_model_meg.md section 4).

        >>> f"{LIMITS['mu_e_gamma'].cap_coefficient:.4g}", f"{LIMITS['tau_mu_gamma'].cap_coefficient:.3g}"
        ('4.329e-10', '5.49e-07')
        """
        return float(uv.cap_coefficient(self.br_max, self.br_lnunu))


#: Current 90% CL limits (uv_model_meg.md section 2).
LIMITS: dict[str, Limit] = {
    "mu_e_gamma": Limit(
        "mu_e_gamma",
        "mu+ -> e+ gamma",
        1.5e-13,
        0.90,
        "MEG II",
        "arXiv:2504.15711",
        ("e", "mu"),
        1.0,
        "[V] listing text",
        "2021-2022 data, sensitivity 2.2e-13; current world limit (MEG II alone or with MEG)",
    ),
    "tau_e_gamma": Limit(
        "tau_e_gamma",
        "tau -> e gamma",
        3.3e-8,
        0.90,
        "BaBar",
        "arXiv:0908.2381",
        ("e", "tau"),
        uv.BR_LNUNU[("e", "tau")],
        "[R]",
        "BR(tau -> e nu nu) = 0.1782 (PDG)",
    ),
    "tau_mu_gamma": Limit(
        "tau_mu_gamma",
        "tau -> mu gamma",
        4.2e-8,
        0.90,
        "Belle",
        "arXiv:2103.12994",
        ("mu", "tau"),
        uv.BR_LNUNU[("mu", "tau")],
        "[R]",
        "BR(tau -> mu nu nu) = 0.1739 (PDG)",
    ),
}

#: Earlier mu -> e gamma limits, 90% CL (uv_model_meg.md section 2), for comparisons.
EARLIER_MU_E_LIMITS: dict[str, Limit] = {
    "MEG+MEGII_2024": Limit(
        "mu_e_gamma",
        "mu+ -> e+ gamma",
        3.1e-13,
        0.90,
        "MEG + MEG II",
        "EPJC 84 (2024) 216, arXiv:2310.12614",
        ("e", "mu"),
        1.0,
        "[V] abstract; journal and arXiv numbers [R]",
    ),
    "MEGII_2021": Limit(
        "mu_e_gamma",
        "mu+ -> e+ gamma",
        7.5e-13,
        0.90,
        "MEG II (2021 data)",
        "EPJC 84 (2024) 216, arXiv:2310.12614",
        ("e", "mu"),
        1.0,
        "[V] abstract; journal and arXiv numbers [R]",
    ),
    "MEG_2016": Limit(
        "mu_e_gamma",
        "mu+ -> e+ gamma",
        4.2e-13,
        0.90,
        "MEG",
        "arXiv:1605.05081",
        ("e", "mu"),
        1.0,
        "[V]",
    ),
}

_BR_FUNCS = {
    "mu_e_gamma": uv.br_mu_e_gamma,
    "tau_e_gamma": uv.br_tau_e_gamma,
    "tau_mu_gamma": uv.br_tau_mu_gamma,
}
_PRESCRIPTIONS = ("benchmark", "full")
#: Perturbativity threshold on the capped Yukawa product |y y'| (uv_model_meg.md section 6).
PERTURBATIVE_PRODUCT_MAX = 4.0 * math.pi


def limits() -> dict[str, Limit]:
    """The current limits, keyed by channel ('mu_e_gamma', 'tau_e_gamma', 'tau_mu_gamma').

    Source: uv_model_meg.md section 2 (90% CL). A copy: changing it leaves :data:`LIMITS` alone.

    >>> sorted(limits())
    ['mu_e_gamma', 'tau_e_gamma', 'tau_mu_gamma']
    """
    return dict(LIMITS)


def _channel(channel) -> Limit:
    if isinstance(channel, (tuple, list)):
        key = tuple(sorted(channel, key=lambda f: uv.FLAVOURS.index(f) if f in uv.FLAVOURS else 99))
        for lim in LIMITS.values():
            if lim.pair == key:
                return lim
        raise ParameterError(
            f"flavour pair = {tuple(channel)!r} is not one of {[v.pair for v in LIMITS.values()]}"
        )
    if channel not in LIMITS:
        raise ParameterError(f"channel = {channel!r} is not one of {sorted(LIMITS)}")
    return LIMITS[channel]


def check(model: uv.UVModel) -> list[tuple[str, float, float, bool]]:
    """[(channel, BR, limit, allowed)] for mu -> e gamma, tau -> e gamma, tau -> mu gamma.

    BR from :func:`spectra.uv.br_mu_e_gamma` etc. (uv_model_meg.md section 4); allowed = BR < limit.

    The benchmark point (M_F = m1 = 1 TeV, m2 decoupled, theta = pi/4, y_e = y'_mu = 0.01) is far
    below the MEG II limit and has no tau couplings:

    >>> import math
    >>> m = uv.UVModel(M_F=1000.0, m1=1000.0, m2=math.inf, theta=math.pi / 4, y=(1e-2, 0, 0), yp=(0, 1e-2, 0))
    >>> [(c, f"{br:.3g}", ok) for c, br, _, ok in check(m)]
    [('mu_e_gamma', '1.39e-17', True), ('tau_e_gamma', '0', True), ('tau_mu_gamma', '0', True)]
    """
    out = []
    for key, lim in LIMITS.items():
        br = _BR_FUNCS[key](model)
        out.append((key, br, lim.br_max, bool(br < lim.br_max)))
    return out


@dataclass(frozen=True)
class MuDMax:
    """cLFV-capped dark TMM for one flavour pair (uv_model_meg.md section 6).

    ``mu_D_GeV`` [GeV^-1], ``mu_D_muB`` [mu_B], ``P_max`` the capped Yukawa product (benchmark:
    |y_e y'_mu - y_mu y'_e|; full: |y_e y'_mu| at the given sin 2theta), ``perturbative`` =
    P_max <= 4 pi. Array-valued when the masses are arrays.

    Source: uv_model_meg.md section 6. Returned by :func:`mu_D_max`:

    >>> r = mu_D_max(1000.0, 1000.0)
    >>> r.prescription, r.channel, r.perturbative
    ('benchmark', 'mu_e_gamma', True)
    """

    mu_D_GeV: float | np.ndarray
    mu_D_muB: float | np.ndarray
    P_max: float | np.ndarray
    perturbative: bool | np.ndarray
    prescription: str
    channel: str
    br_max: float


def _out(v):
    v = np.asarray(v)
    return v.item() if v.ndim == 0 else v


def mu_D_max(
    M_F,
    m1,
    m2=math.inf,
    g_D: float = 1.0,
    Q_D: float = 1.0,
    sin2theta: float = 1.0,
    prescription: str = "benchmark",
    channel="mu_e_gamma",
) -> MuDMax:
    """mu_D,max for a flavour pair from its cLFV limit (uv_model_meg.md section 6).

    * ``prescription="benchmark"``: P_max = 32 pi^2 |A|_max m1^2/f_F(x1) and
      mu_D,max = (g_D Q_D/32 pi^2) P_max M_F (sin 2theta/2) |Delta_g|
      (:func:`spectra.uv.mu_D_max_benchmark`);
    * ``prescription="full"``: mu_D,max = g_D Q_D M_F |A|_max |Delta_g/Delta_f| under
      y = (y_e, 0, .), y' = (0, y'_mu, .) (:func:`spectra.uv.mu_D_max_full`); independent of
      sin 2theta, which only sets the required Yukawa product P_max = 32 pi^2 |A|_max/(|Delta_f| s2t/2).

    Masses in GeV (M_F, m1 > 0; m2 > 0 or inf = decoupled; arrays broadcast). ``channel`` is a key
    of :data:`LIMITS` or a flavour pair such as ("e", "tau"): pairs with nu_tau use the tau limits.

    The benchmark of uv_model_meg.md section 6 at M_F = m1 = 1 TeV: P_max = 5.2e-3 (section 4), and
    the full prescription is exactly twice the benchmark for sin 2theta = 1, m2 = inf:

    >>> r = mu_D_max(1000.0, 1000.0)
    >>> f"{r.P_max:.2g}", f"{r.mu_D_muB:.4g}"
    ('0.0052', '9.252e-12')
    >>> round(mu_D_max(1000.0, 1000.0, prescription="full").mu_D_GeV / r.mu_D_GeV, 10)
    2.0
    >>> mu_D_max(1000.0, 1000.0, channel=("tau", "e")).channel  # pairs with tau use the tau limits
    'tau_e_gamma'
    """
    lim = _channel(channel)
    if prescription not in _PRESCRIPTIONS:
        raise ParameterError(f"prescription = {prescription!r} is not one of {_PRESCRIPTIONS}")
    check_range("g_D", g_D, 0.0, 4.0 * math.pi)
    check_range("Q_D", Q_D)
    M = np.asarray(M_F, dtype=float)
    a1 = np.asarray(m1, dtype=float)
    a2 = np.asarray(m2, dtype=float)
    for name, v, hi_inf in (("M_F", M, False), ("m1", a1, False), ("m2", a2, True)):
        if np.any(~(v > 0)) or np.any(np.isnan(v)) or (not hi_inf and np.any(np.isinf(v))):
            raise ParameterError(
                f"{name} = {v!r} GeV is outside the allowed range (0, {'inf]' if hi_inf else 'inf)'} GeV"
            )
    amp, cap = lim.amplitude_max, lim.cap_coefficient
    if prescription == "benchmark":
        mu = uv.mu_D_max_benchmark(M, a1, a2, g_D, Q_D, sin2theta, cap)
        p = uv.p_max_benchmark(M, a1, cap)
    else:
        mu = uv.mu_D_max_full(M, a1, a2, g_D, Q_D, amp)
        p = uv.yukawa_product_max_full(M, a1, a2, sin2theta, cap)
    return MuDMax(
        mu_D_GeV=_out(mu),
        mu_D_muB=_out(np.asarray(mu) / MU_B),
        P_max=_out(p),
        perturbative=_out(np.asarray(p) <= PERTURBATIVE_PRODUCT_MAX),
        prescription=prescription,
        channel=lim.channel,
        br_max=lim.br_max,
    )


def describe() -> dict:
    """Metadata for output files: limits with citations, cap coefficients and the prescriptions.

    Source: uv_model_meg.md sections 2, 4, 6 (as the metadata itself states).

    >>> d = describe()
    >>> d["module"], sorted(d["limits"]), round(d["mu_B_GeV-1"], 2)
    ('darktmm.detectors.meg', ['mu_e_gamma', 'tau_e_gamma', 'tau_mu_gamma'], 296.3)
    """
    return {
        "module": "darktmm.detectors.meg",
        "reference": "shared/physics/uv_model_meg.md sections 2, 4, 6; Hisano et al., hep-ph/9510309",
        "limits": {
            k: {
                **asdict(v),
                "pair": list(v.pair),
                "amplitude_max_GeV-2": v.amplitude_max,
                "cap_coefficient_GeV-2": v.cap_coefficient,
            }
            for k, v in LIMITS.items()
        },
        "earlier_mu_e_limits": {
            k: {"br_max": v.br_max, "reference": v.reference} for k, v in EARLIER_MU_E_LIMITS.items()
        },
        "prescriptions": {
            "benchmark": "P_max = 32 pi^2 |A|_max m1^2/f_F(x1); "
            "mu_D,max = (g_D Q_D/32 pi^2) P_max M_F (sin 2theta/2) |Delta_g|",
            "full": "mu_D,max = g_D Q_D M_F |A|_max |Delta_g/Delta_f| for y = (y_e,0,.), y' = (0,y'_mu,.)",
        },
        "perturbativity": "P_max <= 4 pi",
        "status": "O(1) factors, signs and charge assignments are [P] (arXiv:2603.25704 full text not read)",
        "mu_B_GeV-1": MU_B,
    }
