"""Shared detector-folding tools: analytic Gaussian response per bin, resolution sums.

A true variable T maps to a reconstructed mean mu(T) with Gaussian width s(T). The probability
that an event at T lands in the reconstructed bin [lo, hi] is (solar_borexino.md section 9, and
any textbook on detector response):

    P_bin(T) = 1/2 [ erf((hi - mu)/(sqrt2 s)) - erf((lo - mu)/(sqrt2 s)) ]

Folding is always analytic (erf per bin), never by sampling the reconstructed value.
"""

from __future__ import annotations

import numpy as np
from scipy.special import erf


def gaussian_bin_probabilities(mean, sigma, edges) -> np.ndarray:
    """Matrix P[b, k] that true point k (mean[k], sigma[k]) lands in bin b of ``edges``.

    >>> p = gaussian_bin_probabilities([0.0], [1.0], [-1.0, 0.0, 1.0])
    >>> [round(float(x), 4) for x in p[:, 0]]
    [0.3413, 0.3413]

    Source: the analytic erf folding of solar_borexino.md section 9 and neutrino_electron.md sec. 9.
    ``mean``, ``sigma`` and ``edges`` share one unit (e.g. GeV or keV); P is dimensionless, shape
    (len(edges) - 1, len(mean)).

    Open outer edges give the 1 sigma and tail fractions 0.6827 and 0.1587, and columns sum to 1:

    >>> import numpy as np
    >>> p = gaussian_bin_probabilities([0.0], [1.0], [-np.inf, -1.0, 1.0, np.inf])
    >>> [round(float(x), 4) for x in p[:, 0]], round(float(p.sum()), 12)
    ([0.1587, 0.6827, 0.1587], 1.0)
    """
    mean = np.asarray(mean, dtype=float)[None, :]
    sigma = np.asarray(sigma, dtype=float)[None, :]
    edges = np.asarray(edges, dtype=float)
    z = (edges[:, None] - mean) / (np.sqrt(2.0) * sigma)
    c = 0.5 * erf(z)
    return c[1:] - c[:-1]


def quadrature_sum(*terms) -> np.ndarray:
    """sqrt(sum of squares), the usual combination of independent resolution terms (a (+) b).

    Units of the inputs (which must agree). Source: standard error propagation for independent
    terms, as used for the detector resolutions of solar_borexino.md section 5.

    >>> float(quadrature_sum(3.0, 4.0))
    5.0
    >>> [round(float(x), 5) for x in quadrature_sum([0.03, 0.05], 0.04)]  # arrays broadcast
    [0.05, 0.06403]
    """
    return np.sqrt(sum(np.asarray(t, dtype=float) ** 2 for t in terms))
