"""Unit parsing at the command-line edge: everything inside darktmm is GeV.

>>> parse_energy("0.5MeV")
0.0005
>>> round(parse_energy("10 keV") / 1e-6, 12)  # in keV
10.0
>>> [round(float(m), 6) for m in parse_mass_range("1:100:3MeV")]
[0.001, 0.01, 0.1]
"""

from __future__ import annotations

import re

import numpy as np

from darktmm.spectra.constants import ENERGY_UNITS
from darktmm.spectra.validate import ParameterError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RE = re.compile(rf"^\s*({_NUM})\s*([A-Za-z]*)\s*$")


def parse_energy(text: str, name: str = "energy", default_unit: str = "GeV") -> float:
    """'0.5MeV' -> 5e-4 (GeV). A bare number is in ``default_unit``."""
    m = _RE.match(str(text))
    if not m:
        raise ParameterError(f"{name} = {text!r} is not a number with a unit (eV, keV, MeV, GeV, TeV)")
    unit = m.group(2) or default_unit
    if unit not in ENERGY_UNITS:
        raise ParameterError(f"{name} = {text!r}: unknown unit {unit!r}; use eV, keV, MeV, GeV or TeV")
    return float(m.group(1)) * ENERGY_UNITS[unit]


def parse_mass_range(text: str, name: str = "masses") -> np.ndarray:
    """'lo:hi:n[unit]' (log-spaced, n points, ends included) or a comma list '1,10MeV' [GeV].

    In a comma list, a unit on the last entry applies to the entries written without one.

    >>> [round(float(m) / 1e-3, 9) for m in parse_mass_range("1e-3,30MeV")]  # in MeV
    [0.001, 30.0]
    """
    t = str(text).strip()
    if ":" in t:
        parts = t.split(":")
        if len(parts) != 3:
            raise ParameterError(f"{name} = {text!r}: use lo:hi:n with a unit, e.g. 1e-3:100:30MeV")
        m = re.match(r"^\s*(\d+)\s*([A-Za-z]*)\s*$", parts[2])
        if not m:
            raise ParameterError(f"{name} = {text!r}: the point count n must be a whole number")
        n, unit = int(m.group(1)), m.group(2) or "GeV"
        lo = parse_energy(parts[0] + unit, name)
        hi = parse_energy(parts[1] + unit, name)
        if n < 1:
            raise ParameterError(f"{name} = {text!r}: n = {n} must be >= 1")
        if lo <= 0 or hi <= 0:
            raise ParameterError(f"{name} = {text!r}: masses must be > 0 for a log-spaced scan")
        if hi < lo:
            raise ParameterError(f"{name} = {text!r}: hi < lo")
        return np.geomspace(lo, hi, n) if n > 1 else np.array([lo])
    items = [x.strip() for x in t.split(",") if x.strip()]
    last = _RE.match(items[-1]) if items else None
    unit = last.group(2) if last and last.group(2) else "GeV"  # a trailing unit applies to bare numbers
    vals = np.array([parse_energy(x, name, default_unit=unit) for x in items])
    if vals.size == 0:
        raise ParameterError(f"{name} = {text!r} is empty")
    return vals
