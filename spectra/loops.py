"""One-loop dipole functions f_S, g_S, f_F, g_F (Hisano et al., hep-ph/9510309).

A fermion F (mass M) and a scalar S (mass m_S) in the loop, variable x = M^2/m_S^2
(dimensionless). The photon (or A') attaches to the scalar (``_S``) or to the fermion (``_F``);
``f`` is the term without chirality flip on the internal line, ``g`` the term with the flip on F
(it multiplies M/m_lepton in the amplitude). Closed forms and Feynman-parameter forms are those of
``shared/physics/uv_model_meg.md`` section 3:

==========  ===============================================  ================================
function    closed form                                      Feynman-parameter form
==========  ===============================================  ================================
f_S(x)      (1 - 6x + 3x^2 + 2x^3 - 6x^2 ln x)/[6(1-x)^4]    int_0^1 z^2(1-z)/[z + x(1-z)]
g_S(x)      (1 - x^2 + 2x ln x)/(1-x)^3                      2 int_0^1 z(1-z)/[z + x(1-z)]
f_F(x)      (2 + 3x - 6x^2 + x^3 + 6x ln x)/[6(1-x)^4]       int_0^1 z^2(1-z)/[xz + 1 - z]
g_F(x)      (-3 + 4x - x^2 - 2 ln x)/(1-x)^3                 2 int_0^1 z^2/[xz + 1 - z]
==========  ===============================================  ================================

Numerics. The closed forms are 0/0 at x = 1 and lose digits near it (f_F is off by 3e-3 at
|x - 1| = 1e-3). Within |x - 1| < :data:`TAYLOR_WINDOW` the functions are evaluated from the exact
Taylor series in delta = x - 1 obtained by expanding the Feynman-parameter denominators
1 + delta(1-z) resp. 1 + delta z and integrating term by term (Euler Beta functions):

* f_S = sum_n (-delta)^n 2/[(n+2)(n+3)(n+4)]
* g_S = sum_n (-delta)^n 2/[(n+2)(n+3)]
* f_F = sum_n (-delta)^n 1/[(n+3)(n+4)]
* g_F = sum_n (-delta)^n 2/(n+3)

The reference asks for a switch at |x - 1| < 5e-3; the window used here, 5e-2, contains it and
keeps the closed forms at least 1e-9 accurate at the switch point (they are only ~4e-6 accurate at
5e-3). Every function is numpy-vectorised, accepts x in [0, inf] and returns the limit values
at x = 0 (g_F(0) = +inf, logarithmic) and x = inf (0).

Two exact identities used for the heavy-fermion cancellations of ``spectra/uv.py`` (both proven by
expanding the closed forms; checked against quadrature in ``tests/test_loops.py``):

* x f_F(x) + f_S(x) = 1/6
* x g_S(x) - 1 = -g_F(1/x)/x
"""

from __future__ import annotations

import math

import numpy as np
from scipy.integrate import quad

from darktmm.spectra.validate import ParameterError

#: Half-width of the Taylor branch around x = 1 (contains the reference's 5e-3 window).
TAYLOR_WINDOW = 5e-2
#: Number of Taylor terms: TAYLOR_WINDOW**N_TAYLOR < 1e-30.
N_TAYLOR = 24

_N = np.arange(N_TAYLOR, dtype=float)
_TAYLOR = {
    "f_S": 2.0 / ((_N + 2) * (_N + 3) * (_N + 4)),
    "g_S": 2.0 / ((_N + 2) * (_N + 3)),
    "f_F": 1.0 / ((_N + 3) * (_N + 4)),
    "g_F": 2.0 / (_N + 3),
}


def _prep(x) -> tuple[np.ndarray, bool]:
    try:
        a = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            f"loop-function argument x = {x!r} is not a number; allowed range [0, inf]"
        ) from None
    if np.any(np.isnan(a)):
        raise ParameterError(f"loop-function argument x = {x!r} contains NaN; allowed range [0, inf]")
    if np.any(a < 0):
        raise ParameterError(f"loop-function argument x = {x!r} is outside the allowed range [0, inf]")
    return np.atleast_1d(a), a.ndim == 0


def _series(name: str, delta: np.ndarray) -> np.ndarray:
    """Horner evaluation of sum_n c_n (-delta)^n."""
    c = _TAYLOR[name]
    out = np.full_like(delta, c[-1])
    for cn in c[-2::-1]:
        out = out * (-delta) + cn
    return out


#: Leading large-x behaviour c/x, used above :data:`HUGE_X` where the closed forms overflow ((1-x)^4 at 1e77).
_ASYMPTOTIC = {"f_S": 1 / 3, "g_S": 1.0, "f_F": 1 / 6, "g_F": 1.0}
#: Beyond this x the relative correction to c/x is O(ln x/x) < 1e-47.
HUGE_X = 1e50


def _evaluate(name: str, x, closed, at_zero: float, at_inf: float = 0.0):
    a, scalar = _prep(x)
    out = np.empty_like(a)
    near = np.abs(a - 1.0) < TAYLOR_WINDOW
    zero = a == 0.0
    inf = np.isinf(a)
    huge = (a > HUGE_X) & ~inf
    far = ~(near | zero | inf | huge)
    out[near] = _series(name, a[near] - 1.0)
    out[zero] = at_zero
    out[inf] = at_inf
    out[huge] = _ASYMPTOTIC[name] / a[huge]
    if np.any(far):
        xf = a[far]
        out[far] = closed(xf, np.log(xf))
    return float(out[0]) if scalar else out


def f_S(x):
    """f_S(x): photon on the scalar, no chirality flip [dimensionless], x = M^2/m_S^2.

    f_S(x) = (1 - 6x + 3x^2 + 2x^3 - 6x^2 ln x)/[6(1-x)^4]; Hisano et al., hep-ph/9510309
    (neutralino-slepton loop); F_2 of the scotogenic model (Toma & Vicente, arXiv:1312.2840).
    f_S(0) = 1/6, f_S(1) = 1/12, f_S -> 1/(3x) for x -> inf.

    >>> round(f_S(1.0), 12)
    0.083333333333

    The check table of uv_model_meg.md section 3:

    >>> [round(v, 5) for v in f_S([0.01, 0.5, 2.0, 10.0]).tolist()]
    [0.16362, 0.10592, 0.06074, 0.02183]
    """
    return _evaluate(
        "f_S", x, lambda x, lx: (1 - 6 * x + 3 * x**2 + 2 * x**3 - 6 * x**2 * lx) / (6 * (1 - x) ** 4), 1 / 6
    )


def g_S(x):
    """g_S(x): photon on the scalar, chirality flip on F [dimensionless], x = M^2/m_S^2.

    g_S(x) = (1 - x^2 + 2x ln x)/(1-x)^3; Hisano et al., hep-ph/9510309. Multiplies M/m_lepton in
    the amplitude. g_S(0) = 1, g_S(1) = 1/3, g_S -> 1/x for x -> inf (g_S/m_S^2 -> 1/M^2).

    Check table of uv_model_meg.md section 3 and the special values:

    >>> [round(v, 5) for v in g_S([0.01, 0.5, 2.0, 10.0]).tolist()]
    [0.93558, 0.45482, 0.22741, 0.07263]
    >>> g_S(0.0), round(g_S(1.0), 12)
    (1.0, 0.333333333333)
    """
    return _evaluate("g_S", x, lambda x, lx: (1 - x**2 + 2 * x * lx) / (1 - x) ** 3, 1.0)


def f_F(x):
    """f_F(x): photon on the fermion, no chirality flip [dimensionless], x = M^2/m_S^2.

    f_F(x) = (2 + 3x - 6x^2 + x^3 + 6x ln x)/[6(1-x)^4]; Hisano et al., hep-ph/9510309
    (chargino-sneutrino loop). f_F(0) = 1/3, f_F(1) = 1/12, f_F -> 1/(6x) for x -> inf.

    Check table of uv_model_meg.md section 3, and the identity x f_F(x) + f_S(x) = 1/6:

    >>> [round(v, 5) for v in f_F([0.01, 0.5, 2.0, 10.0]).tolist()]
    [0.30417, 0.12149, 0.05296, 0.01448]
    >>> round(3.0 * f_F(3.0) + f_S(3.0), 12) == round(1 / 6, 12)
    True
    """
    return _evaluate(
        "f_F", x, lambda x, lx: (2 + 3 * x - 6 * x**2 + x**3 + 6 * x * lx) / (6 * (1 - x) ** 4), 1 / 3
    )


def g_F(x):
    """g_F(x): photon on the fermion, chirality flip on F [dimensionless], x = M^2/m_S^2.

    g_F(x) = (-3 + 4x - x^2 - 2 ln x)/(1-x)^3; Hisano et al., hep-ph/9510309. Multiplies
    M/m_lepton. g_F(1) = 2/3, g_F -> -2 ln x - 3 for x -> 0 (so g_F(0) = +inf), g_F -> 1/x for x -> inf.

    Check table of uv_model_meg.md section 3, and the identity x g_S(x) - 1 = -g_F(1/x)/x:

    >>> [round(v, 5) for v in g_F([0.01, 0.5, 2.0, 10.0]).tolist()]
    [6.44156, 1.09035, 0.38629, 0.09274]
    >>> g_F(0.0), abs(3.0 * g_S(3.0) - 1.0 + g_F(1 / 3.0) / 3.0) < 1e-12
    (inf, True)
    """
    return _evaluate("g_F", x, lambda x, lx: (-3 + 4 * x - x**2 - 2 * lx) / (1 - x) ** 3, math.inf)


# --- Feynman-parameter forms (scipy quad; for tests and cross-checks) -------------------------


def _quad_vectorised(integrand, x):
    a, scalar = _prep(x)
    out = np.array(
        [quad(integrand, 0.0, 1.0, args=(xi,), epsabs=0.0, epsrel=1e-12, limit=200)[0] for xi in a]
    )
    return float(out[0]) if scalar else out


def f_S_integral(x):
    """f_S(x) = int_0^1 dz z^2(1-z)/[z + x(1-z)] (uv_model_meg.md section 3), scipy quad.

    Independent of the closed form :func:`f_S` (check table value 0.10592 at x = 0.5):

    >>> round(f_S_integral(0.5), 5), abs(f_S_integral(0.5) - f_S(0.5)) < 1e-12
    (0.10592, True)
    """
    return _quad_vectorised(lambda z, x: z**2 * (1 - z) / (z + x * (1 - z)), x)


def g_S_integral(x):
    """g_S(x) = 2 int_0^1 dz z(1-z)/[z + x(1-z)] (uv_model_meg.md section 3), scipy quad.

    >>> round(g_S_integral(2.0), 5), abs(g_S_integral(2.0) - g_S(2.0)) < 1e-12  # check table: 0.22741
    (0.22741, True)
    """
    return _quad_vectorised(lambda z, x: 2 * z * (1 - z) / (z + x * (1 - z)), x)


def f_F_integral(x):
    """f_F(x) = int_0^1 dz z^2(1-z)/[xz + 1 - z] (uv_model_meg.md section 3), scipy quad.

    >>> round(f_F_integral(10.0), 5), abs(f_F_integral(10.0) - f_F(10.0)) < 1e-12  # check table: 0.01448
    (0.01448, True)
    """
    return _quad_vectorised(lambda z, x: z**2 * (1 - z) / (x * z + 1 - z), x)


def g_F_integral(x):
    """g_F(x) = 2 int_0^1 dz z^2/[xz + 1 - z] (uv_model_meg.md section 3), scipy quad.

    >>> round(g_F_integral(0.01), 5), abs(g_F_integral(0.01) / g_F(0.01) - 1) < 1e-10  # table: 6.44156
    (6.44156, True)
    """
    return _quad_vectorised(lambda z, x: 2 * z**2 / (x * z + 1 - z), x)


# --- differences of two scalars, stable for M >> m ------------------------------------------


def _masses(M, m1, m2):
    """Checked, broadcast 1-d masses [GeV] of the two-scalar brackets: (scalar, M, m1, m2f, dec).

    ``scalar``: all inputs were scalars (return a float); ``dec``: m2 = inf (decoupled), where
    ``m2f`` = m2 is replaced by 1 so that the decoupled term can be masked without inf/inf.
    """
    try:
        M, m1, m2 = (np.asarray(v, dtype=float) for v in (M, m1, m2))
    except (TypeError, ValueError):
        raise ParameterError(f"M, m1, m2 = {M!r}, {m1!r}, {m2!r} GeV are not numbers") from None
    if np.any(~(M > 0)) or np.any(~np.isfinite(M)):
        raise ParameterError(f"M = {M!r} GeV is outside the allowed range (0, inf) GeV")
    if np.any(~(m1 > 0)) or np.any(~np.isfinite(m1)):
        raise ParameterError(f"m1 = {m1!r} GeV is outside the allowed range (0, inf) GeV")
    if np.any(~(m2 > 0)) or np.any(np.isnan(m2)):
        raise ParameterError(f"m2 = {m2!r} GeV is outside the allowed range (0, inf] GeV")
    M, m1, m2 = np.broadcast_arrays(M, m1, m2)
    scalar = M.ndim == 0
    M, m1, m2 = (np.atleast_1d(v) for v in (M, m1, m2))
    dec = np.isinf(m2)
    return scalar, M, m1, np.where(dec, 1.0, m2), dec


def delta_g_S(M, m1, m2):
    """Delta_g = g_S(M^2/m1^2)/m1^2 - g_S(M^2/m2^2)/m2^2 [GeV^-2]; m2 = inf means decoupled (term 0).

    The bracket of the scalar-radiated dark TMM (uv_model_meg.md sections 5-6). For M >> m_a each
    term is 1/M^2 + O(m_a^2 ln x_a/M^4), so the naive difference cancels; with the identity
    x g_S(x) - 1 = -g_F(1/x)/x each term is written as 1/M^2 - (m_a^2/M^4) g_F(m_a^2/M^2) and the
    1/M^2 drops out exactly. Inputs in GeV, vectorised (broadcast).

    Limits (uv_model_meg.md section 5): zero for m1 = m2 (GIM-like); 1/M^2 for a decoupled m2 and
    M >> m1; with both scalars finite, [m1^2(3 - 2 ln x1) - m2^2(3 - 2 ln x2)]/M^4:

    >>> import math
    >>> delta_g_S(1000.0, 300.0, 300.0)
    0.0
    >>> round(delta_g_S(1e5, 100.0, math.inf) * 1e5**2, 4)
    1.0
    >>> M, m1, m2 = 1e5, 100.0, 300.0
    >>> approx = (m1**2 * (3 - 2 * math.log(M**2 / m1**2)) - m2**2 * (3 - 2 * math.log(M**2 / m2**2))) / M**4
    >>> round(delta_g_S(M, m1, m2) / approx, 4)
    1.0
    """
    scalar, M, m1, m2f, dec = _masses(M, m1, m2)
    x1 = (M / m1) ** 2
    x2 = (M / m2f) ** 2
    heavy = (x1 >= 1) | ((x2 >= 1) & ~dec)
    # direct form (no cancellation when every x < 1)
    t2 = np.where(dec, 0.0, g_S(x2) / m2f**2)
    direct = g_S(x1) / m1**2 - t2
    # reduced form r_a = g_S(x_a)/m_a^2 - 1/M^2
    r1 = np.where(x1 >= 1, -(m1**2 / M**4) * g_F(1 / x1), g_S(x1) / m1**2 - 1 / M**2)
    r2 = np.where(
        dec,
        -1 / M**2,
        np.where(x2 >= 1, -(m2f**2 / M**4) * g_F(1 / x2), g_S(x2) / m2f**2 - 1 / M**2),
    )
    out = np.where(heavy, r1 - r2, direct)
    return float(out[0]) if scalar else out


def delta_f_F(M, m1, m2):
    """Delta_f = f_F(M^2/m1^2)/m1^2 - f_F(M^2/m2^2)/m2^2 [GeV^-2]; m2 = inf means decoupled (term 0).

    Enters BR(mu -> e gamma) of the mixed scalars (uv_model_meg.md sections 4 and 6). With
    x f_F(x) + f_S(x) = 1/6, f_F(x_a)/m_a^2 = (1/6 - f_S(x_a))/M^2, so for M >> m_a the difference is
    the exact, cancellation-free (f_S(x2) - f_S(x1))/M^2. Inputs in GeV, vectorised.

    Single scalar (m2 decoupled): f_F(x)/m1^2, e.g. f_F(1)/m1^2 = 1/(12 m1^2) at M = m1:

    >>> import math
    >>> round(delta_f_F(100.0, 100.0, math.inf) * 100.0**2, 12)
    0.083333333333
    >>> delta_f_F(1e4, 300.0, 300.0)  # GIM-like cancellation for m1 = m2
    0.0
    """
    scalar, M, m1, m2f, dec = _masses(M, m1, m2)
    x1 = (M / m1) ** 2
    x2 = np.where(dec, 0.0, (M / m2f) ** 2)
    heavy = (x1 >= 1) | (x2 >= 1)
    direct = f_F(x1) / m1**2 - np.where(dec, 0.0, f_F(x2) / m2f**2)
    reduced = (f_S(x2) - f_S(x1)) / M**2
    out = np.where(heavy, reduced, direct)
    return float(out[0]) if scalar else out


def delta_g_F(M, m1, m2):
    """g_F(M^2/m1^2)/m1^2 - g_F(M^2/m2^2)/m2^2 [GeV^-2]; m2 = inf means decoupled (term 0).

    The bracket of the fermion-radiated (A' on F) chirality-flip loop, Hisano g_F. Direct
    difference (used only for the fermion-radiated diagnostics of ``spectra/uv.py``).

    Source: Hisano et al., hep-ph/9510309 (g_F); uv_model_meg.md section 5. Single scalar at
    M = m1: g_F(1)/m1^2 = 2/(3 m1^2):

    >>> import math
    >>> round(delta_g_F(1000.0, 1000.0, math.inf) * 1000.0**2, 12)
    0.666666666667
    """
    scalar, M, m1, m2f, dec = _masses(M, m1, m2)
    out = g_F((M / m1) ** 2) / m1**2 - np.where(dec, 0.0, g_F((M / m2f) ** 2) / m2f**2)
    return float(out[0]) if scalar else out
