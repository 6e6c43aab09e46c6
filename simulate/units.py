"""Units at the command-line and card edge: everything inside darktmm is GeV.

A dimensioned quantity always carries its unit. A bare number is an error that names the units
accepted; only zero may stay bare (it is zero in any unit).

>>> parse_energy("0.5MeV")
0.0005
>>> round(parse_energy("10 keV") / 1e-6, 12)  # in keV
10.0
>>> parse_energy("0")
0.0
>>> parse_energy("0.5", "--m-ap")
Traceback (most recent call last):
darktmm.spectra.validate.ParameterError: --m-ap = '0.5' needs a unit: write e.g. 0.5MeV (units: eV, keV, MeV, GeV, TeV)
>>> [round(float(m), 6) for m in parse_mass_range("1:100:3MeV")]
[0.001, 0.01, 0.1]
"""

from __future__ import annotations

import argparse
import re

import numpy as np

from darktmm.spectra.constants import ENERGY_UNITS
from darktmm.spectra.validate import ParameterError

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RE = re.compile(rf"^\s*({_NUM})\s*([A-Za-z]*)\s*$")
UNITS_TEXT = "eV, keV, MeV, GeV, TeV"


def parse_energy(text, name: str = "energy", default_unit: str | None = None) -> float:
    """'0.5MeV' -> 5e-4 (GeV). A bare number is an error (zero excepted) unless ``default_unit``.

    ``default_unit`` serves one case only: the entries of a comma list whose last entry carries
    the unit (``1,30MeV``). Numbers from a TOML card are bare too, so they are errors as well.
    Unit factors: :data:`darktmm.spectra.constants.ENERGY_UNITS` (SI prefixes of the eV; CODATA).

    >>> parse_energy("2 TeV"), parse_energy("1", default_unit="keV")
    (2000.0, 1e-06)
    >>> parse_energy("1 erg")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: energy = '1 erg': unknown unit 'erg'; use eV, keV, MeV, GeV, TeV
    """
    if isinstance(text, bool):
        raise ParameterError(f"{name} = {text!r} is not an energy")
    if isinstance(text, (int, float)):
        if text == 0:
            return 0.0
        raise ParameterError(
            f'{name} = {text!r} needs a unit: write it as a string, e.g. "{text}MeV" ({UNITS_TEXT})'
        )
    m = _RE.match(str(text))
    if not m:
        raise ParameterError(f"{name} = {text!r} is not a number with a unit ({UNITS_TEXT})")
    unit = m.group(2) or default_unit
    if not unit:
        if float(m.group(1)) == 0.0:
            return 0.0
        raise ParameterError(
            f"{name} = {text!r} needs a unit: write e.g. {m.group(1)}MeV (units: {UNITS_TEXT})"
        )
    if unit not in ENERGY_UNITS:
        raise ParameterError(f"{name} = {text!r}: unknown unit {unit!r}; use {UNITS_TEXT}")
    return float(m.group(1)) * ENERGY_UNITS[unit]


def parse_mass_range(text, name: str = "--masses") -> np.ndarray:
    """'lo:hi:n unit' (log-spaced, n points, ends included) or a comma list '1,10MeV' [GeV].

    The unit is required: on the point count of a scan (``1e-3:100:30MeV``) or on the last entry of
    a comma list, where it also applies to the entries written without one. Unit factors as in
    :func:`parse_energy` (CODATA eV prefixes); the log grid is numpy's geomspace.

    >>> [round(float(m) / 1e-3, 9) for m in parse_mass_range("1e-3,30MeV")]  # in MeV
    [0.001, 30.0]
    >>> parse_mass_range("1:100:5")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: --masses = '1:100:5' needs a unit: write e.g. 1:100:5MeV (units: eV, keV, MeV, GeV, TeV)
    """
    t = str(text).strip()
    if ":" in t:
        parts = t.split(":")
        if len(parts) != 3:
            raise ParameterError(f"{name} = {text!r}: use lo:hi:n with a unit, e.g. 1e-3:100:30MeV")
        m = re.match(r"^\s*(\d+)\s*([A-Za-z]*)\s*$", parts[2])
        if not m:
            raise ParameterError(f"{name} = {text!r}: the point count n must be a whole number")
        n, unit = int(m.group(1)), m.group(2)
        if not unit:
            raise ParameterError(f"{name} = {text!r} needs a unit: write e.g. {t}MeV (units: {UNITS_TEXT})")
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
    if not items:
        raise ParameterError(f"{name} = {text!r} is empty")
    last = _RE.match(items[-1])
    unit = last.group(2) if last and last.group(2) else None
    if unit is None and any(float(_RE.match(x).group(1)) != 0 for x in items if _RE.match(x)):
        raise ParameterError(f"{name} = {text!r} needs a unit: write e.g. {t}MeV (units: {UNITS_TEXT})")
    return np.array([parse_energy(x, name, default_unit=unit) for x in items])


def energy_type(flag: str):
    """An argparse ``type=`` converter: text with a unit -> GeV float, errors name ``flag`` (units as in
    :func:`parse_energy`, CODATA eV prefixes; shared/design.md ``units.py``).

    >>> conv = energy_type("--m-ap")
    >>> conv("3 MeV")
    0.003
    >>> conv("3")
    Traceback (most recent call last):
    argparse.ArgumentTypeError: --m-ap = '3' needs a unit: write e.g. 3MeV (units: eV, keV, MeV, GeV, TeV)
    """

    def conv(text):
        try:
            return parse_energy(text, flag)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    conv.__name__ = "energy"
    return conv


__all__ = ["ENERGY_UNITS", "UNITS_TEXT", "energy_type", "parse_energy", "parse_mass_range"]
