"""Readers for the solar tables in the data directory (SNuDD copies of Bahcall's tables and the
production zones of Lopes & Turck-Chieze, arXiv:1302.2791). See ``shared/data/PROVENANCE.md`` sec. 2.

Files are found with :func:`detectors.data.path` (``data_dir``, then ``$DARKTMM_DATA``, then the
user cache). Results are in the units of ``spectra/``: energies in GeV, shapes in GeV^-1.
"""

from __future__ import annotations

import numpy as np

from darktmm.detectors.data import DataError, load_table
from darktmm.spectra.validate import ParameterError

_DIST = "solar/snudd/flux_distributions/{}_dist.txt"
#: Component -> (spectrum file, column of the shape). The 8B file's columns are E, best, +3sigma, -3sigma.
_SPECTRA = {
    "pp": ("pp_neutrino.txt", 1),
    "hep": ("hep_neutrino.txt", 1),
    "8B": ("B8_neutrino_flux.txt", 1),
    "13N": ("N13_neutrino.txt", 1),
    "15O": ("15O_neutrino.txt", 1),
    "17F": ("17F_neutrino.txt", 1),
}
_PROFILES = ("pp", "pep", "7Be", "8B", "hep", "13N", "15O", "17F")


def production_profile(name: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """Production-zone distribution (x = r/R_sun, f(x)) of a solar component, f of unit area.

    Reads ``solar/snudd/flux_distributions/<name>_dist.txt``; rows are sorted by x and f is
    clipped at 0 (hep_dist.txt has one row out of order and one negative entry), then f is
    normalised by its trapezoid integral. The result is the ``profile`` of
    :func:`spectra.solar.mass_fractions`.

    Source: Lopes & Turck-Chieze, arXiv:1302.2791, via SNuDD (shared/data/PROVENANCE.md sec. 2);
    x dimensionless, f in units of 1/x. The 7Be zone has <r/R_sun> = 0.070 (neutrino_electron.md
    sec. 8). Needs the data files (``$DARKTMM_DATA``):

    >>> import numpy as np
    >>> from darktmm.detectors.data import available
    >>> if not available("solar/snudd/flux_distributions/7Be_dist.txt"):
    ...     import pytest; pytest.skip("public data files not found (set DARKTMM_DATA)")
    >>> x, f = production_profile("7Be")
    >>> round(float(np.trapezoid(f, x)), 10), round(float(np.trapezoid(x * f, x)), 3)
    (1.0, 0.07)
    """
    if name not in _PROFILES:
        raise ParameterError(f"no production profile for {name!r}; choose from {_PROFILES}")
    tab = load_table(_DIST.format(name), data_dir)
    if tab.ndim != 2 or tab.shape[1] < 2:
        raise DataError(f"{_DIST.format(name)}: expected two columns, got shape {tab.shape}")
    order = np.argsort(tab[:, 0], kind="stable")
    x = tab[order, 0]
    f = np.clip(tab[order, 1], 0.0, None)
    return x, f / np.trapezoid(f, x)


def spectrum_table(name: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """Tabulated spectral shape (E [GeV], dN/dE [GeV^-1]) of a continuum component, unit area.

    Reads ``solar/snudd/nu_flux/`` (Bahcall's tables; CRLF, leading blank line, read by
    numpy.loadtxt); for 8B the 'best' column of B8_neutrino_flux.txt (Bahcall et al., PRC 54
    (1996) 411). Renormalised by the trapezoid integral, as SNuDD does.

    The mean 8B neutrino energy of the Bahcall et al. table is 6.735 MeV; the pp table ends at the
    pp endpoint 0.42341 MeV (solar_borexino.md sec. 2). Needs the data files (``$DARKTMM_DATA``):

    >>> import numpy as np
    >>> from darktmm.detectors.data import available
    >>> if not available("solar/snudd/nu_flux/B8_neutrino_flux.txt"):
    ...     import pytest; pytest.skip("public data files not found (set DARKTMM_DATA)")
    >>> E, s = spectrum_table("8B")
    >>> round(float(np.trapezoid(s, E)), 10), f"{np.trapezoid(s * E, E) * 1e3:.4g}"
    (1.0, '6.735')
    >>> round(float(spectrum_table("pp")[0][-1]) * 1e3, 5)
    0.42341
    """
    if name not in _SPECTRA:
        raise ParameterError(
            f"no spectrum table for {name!r} (lines have none); choose from {tuple(_SPECTRA)}"
        )
    fname, col = _SPECTRA[name]
    tab = load_table("solar/snudd/nu_flux/" + fname, data_dir)
    e = tab[:, 0] * 1e-3
    s = tab[:, col]
    return e, s / np.trapezoid(s, e)
