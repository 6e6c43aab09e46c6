"""Boundary validation shared by every layer.

A :class:`ParameterError` names the parameter, the value and the allowed range.
The CLI turns it into one line on stderr and exit code 2.
"""

from __future__ import annotations

import math

import numpy as np


class ParameterError(ValueError):
    """A physics or run parameter outside its allowed range (a ``ValueError``).

    The message names the parameter, the value (with its unit) and the allowed range; the CLI
    prints it as one line and exits with code 2. Source: the boundary-validation rule of
    ``shared/design.md`` (``validate.py``) and ``shared/physics/README.md`` section 3.1 (eps >= 0).

    >>> issubclass(ParameterError, ValueError)
    True
    >>> raise ParameterError("eps = -1 is outside the allowed range [0, 1]")
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: eps = -1 is outside the allowed range [0, 1]
    """


def check_range(
    name: str,
    value,
    lo: float | None = None,
    hi: float | None = None,
    *,
    unit: str = "",
    lo_open: bool = False,
    hi_open: bool = False,
) -> float:
    """Return ``float(value)`` if it is finite and inside [lo, hi], else raise ParameterError.

    ``lo``/``hi`` = None leave that side open to -inf/+inf; ``lo_open``/``hi_open`` exclude the
    end point; ``unit`` (e.g. ``"GeV"``) is only quoted in the message, the value is not converted.
    Source: the boundary-validation rule of ``shared/design.md``; physical ranges such as
    eps >= 0 come from ``shared/physics/README.md`` section 3.1.

    >>> check_range("eps", 0.5, 0.0, 1.0)
    0.5
    >>> check_range("m_ap", "0.01", 0.0, None, unit="GeV")  # strings are parsed, units not converted
    0.01
    >>> check_range("m_ap", 0.0, 0.0, None, unit="GeV", lo_open=True)
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: m_ap = 0 GeV is outside the allowed range (0, inf] GeV
    >>> check_range("eps", 2.0, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: eps = 2 is outside the allowed range [0, 1]
    """
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {value!r} is not a number") from None
    u = f" {unit}" if unit else ""
    left = "(" if lo_open else "["
    right = ")" if hi_open else "]"
    rng = f"{left}{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}{right}{u}"
    if not math.isfinite(x):
        raise ParameterError(f"{name} = {value!r} is not finite; allowed range {rng}")
    bad = (lo is not None and (x < lo or (lo_open and x == lo))) or (
        hi is not None and (x > hi or (hi_open and x == hi))
    )
    if bad:
        raise ParameterError(f"{name} = {x:g}{u} is outside the allowed range {rng}")
    return x


def check_array_finite(name: str, arr) -> np.ndarray:
    """Return ``arr`` as an ndarray, raising ParameterError if any entry is not finite (dimensionless check).

    Source: the boundary-validation rule of ``shared/design.md`` (no NaN or inf enters the physics).

    >>> check_array_finite("T", [1e-4, 2e-4]).shape
    (2,)
    >>> check_array_finite("T", [1e-4, float("nan")])  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    darktmm.spectra.validate.ParameterError: T has non-finite entries
    """
    a = np.asarray(arr)
    if not np.all(np.isfinite(a)):
        raise ParameterError(f"{name} has non-finite entries: {a!r}")
    return a
