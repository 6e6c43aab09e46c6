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
    """
    mean = np.asarray(mean, dtype=float)[None, :]
    sigma = np.asarray(sigma, dtype=float)[None, :]
    edges = np.asarray(edges, dtype=float)
    z = (edges[:, None] - mean) / (np.sqrt(2.0) * sigma)
    c = 0.5 * erf(z)
    return c[1:] - c[:-1]


def quadrature_sum(*terms) -> np.ndarray:
    """sqrt(sum of squares), the usual combination of independent resolution terms (a (+) b)."""
    return np.sqrt(sum(np.asarray(t, dtype=float) ** 2 for t in terms))
