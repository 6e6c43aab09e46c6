"""HEPData export of darktmm's limit curves and of the constraint hierarchy (issue 13 section 3).

:func:`write_submission` writes a HEPData record directory - ``submission.yaml`` plus one YAML data
table per curve - with ``hepdata_lib`` (Submission, Table, Variable, Uncertainty), validates it
with ``hepdata_validator`` and only then renames it into place. The inputs are two dataclasses:

* :class:`LimitCurve` - one upper-limit curve y(x): observed, optionally the expected median with
  its +-1 sigma / +-2 sigma band. Borexino and XENONnT (eps*mu_eff [mu_B] against m_A' [GeV], with
  expected bands), BaBar and NA64 (eps against m_A'; BaBar publishes no expected band).
* :class:`ColumnTable` - several columns against one x, numbers or text: the constraint hierarchy
  per m_A' (eps_max, mu_D,max, their product, the Borexino bound, the dominant probe);
  :func:`hierarchy_table` builds it from ``detectors.constraints.HierarchyPoint`` objects.

Conventions of the written record (HEPData submission format, ``hepdata-submission`` docs
"Data Files": "missing bins can be indicated with a non-numerical central value like '-' ... and
no uncertainties"):

* **Non-finite values** (inf = not constrained, nan = not computed) are written as ``'-'`` with no
  ``errors``; the table description says how many of each there are. A band edge that is not
  finite drops that band at that point only (the other band and the median stay).
* Every dependent variable carries the qualifiers ``experiment``, ``CL``, the x range (e.g.
  ``m_A' range`` in GeV), the model point (one qualifier per parameter, with units), ``darktmm
  version`` and ``data source``. A curve without an expected band says so in an ``expected band``
  qualifier ("no expected band available ...") instead of inventing one.
* Numbers are rounded by hepdata_lib to :data:`DIGITS` significant digits.
* Units are written as given (``GeV``, ``mu_B``); HEPData does not prescribe unit spellings.

``hepdata_lib`` is imported inside :func:`write_submission` only (it imports ROOT's facade and
``hepdata_validator``, ~0.25 s), so ``import darktmm.simulate.hepdata`` stays cheap. Install it
with the ``hepdata`` extra: ``pip install 'darktmm[hepdata]'``.

>>> import tempfile, pathlib, yaml
>>> out = pathlib.Path(tempfile.mkdtemp()) / "record"
>>> babar = LimitCurve(
...     name="BaBar invisible dark photon", experiment="BaBar", x_name="m_A'", x_unit="GeV",
...     x_values=[0.01, 1.0, 8.5], y_name="eps", y_unit="", y_values=[4.0e-4, 5.0e-4, float("inf")],
...     qualifiers={"gamma_dark": (0.0, "GeV"), "treatment": "P_inv recast"},
...     band_note="BaBar publishes the observed limit only", citation="arXiv:1702.03327")
>>> path = write_submission(out, [babar])
>>> sorted(p.name for p in path.iterdir())
['babar_invisible_dark_photon.yaml', 'submission.yaml']
>>> table = yaml.safe_load((path / "babar_invisible_dark_photon.yaml").read_text())
>>> [v["value"] for v in table["dependent_variables"][0]["values"]]
[0.0004, 0.0005, '-']
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from darktmm.spectra.validate import ParameterError, check_range

#: The central value of a point without a number (HEPData submission docs, "Data Files").
MISSING = "-"
#: Significant digits hepdata_lib keeps for every number (its ``Variable.digits``).
DIGITS = 5
#: The paper these records accompany.
PAPER = "arXiv:2603.25704"
#: Labels of the expected-band uncertainties.
BAND_LABELS = ("expected +-1 sigma (68% band)", "expected +-2 sigma (95% band)")
NO_BAND = "no expected band available"


@dataclass(frozen=True)
class LimitCurve:
    """One upper-limit curve y(x) at confidence level ``cl`` for one model point.

    x_values / y_values: the curve (x finite; y >= 0, inf = not constrained, nan = not computed),
    in ``x_unit`` / ``y_unit`` (e.g. GeV and mu_B; ``""`` for a dimensionless eps). ``expected``:
    the median expected limit or None (no expected curve). ``band_1sigma`` / ``band_2sigma``: (lo,
    hi) arrays of the expected band edges, or None. ``band_note``: why there is no band (shown in
    the ``expected band`` qualifier). ``qualifiers``: the model point, ``{name: value}`` or
    ``{name: (value, unit)}``. ``citation``: the data source (arXiv number, data file).

    >>> c = LimitCurve("NA64", "NA64", "m_A'", "GeV", [0.01, 0.1], "eps", "", [1e-5, 3e-5])
    >>> c.has_band
    False
    """

    name: str
    experiment: str
    x_name: str
    x_unit: str
    x_values: Sequence[float]
    y_name: str
    y_unit: str
    y_values: Sequence[float]
    expected: Sequence[float] | None = None
    band_1sigma: tuple[Sequence[float], Sequence[float]] | None = None
    band_2sigma: tuple[Sequence[float], Sequence[float]] | None = None
    cl: float = 0.9
    qualifiers: Mapping[str, object] = field(default_factory=dict)
    description: str = ""
    citation: str = ""
    band_note: str = ""

    @property
    def has_band(self) -> bool:
        return self.band_1sigma is not None or self.band_2sigma is not None


@dataclass(frozen=True)
class Column:
    """One dependent column of a :class:`ColumnTable`: numbers (inf/nan allowed) or text."""

    name: str
    unit: str
    values: Sequence


@dataclass(frozen=True)
class ColumnTable:
    """Several columns against one x: e.g. the constraint hierarchy per m_A' [GeV].

    >>> t = ColumnTable("T", "Borexino", "m_A'", "GeV", [1e-3], [Column("bound", "mu_B", [2e-11])])
    >>> t.columns[0].unit
    'mu_B'
    """

    name: str
    experiment: str
    x_name: str
    x_unit: str
    x_values: Sequence[float]
    columns: Sequence[Column]
    cl: float = 0.9
    qualifiers: Mapping[str, object] = field(default_factory=dict)
    description: str = ""
    citation: str = ""


def hierarchy_table(
    points,
    *,
    name: str = "Constraint hierarchy",
    qualifiers: Mapping[str, object] | None = None,
    description: str = "",
    citation: str = "",
) -> ColumnTable:
    """The constraint hierarchy as a table: per m_A' [GeV] eps_max, its search, mu_D,max [mu_B],
    the product (eps mu_D)_max [mu_B], the Borexino bound on eps |mu_D^{e mu}| [mu_B] and the
    dominant probe (``detectors.constraints`` recipe, uv_model_meg.md section 7).

    ``points``: ``detectors.constraints.HierarchyPoint`` objects (or anything with those fields);
    inf in a bound means "no bound" and is written as ``'-'``.

    >>> from darktmm.detectors.constraints import combine, NotAvailable
    >>> p = combine(0.01, {"babar": NotAvailable(0.01, "babar", "visible")}, 1e-9, 3e-10)
    >>> t = hierarchy_table([p])
    >>> [c.name for c in t.columns][-1], t.columns[-1].values
    ('dominant probe', ['Borexino'])
    """
    pts = list(points)
    cols = [
        Column("eps_max", "", [p.eps_max for p in pts]),
        Column("eps_max from", "", [p.eps_source or "none" for p in pts]),
        Column("mu_D,max (e mu)", "mu_B", [p.mu_D_max_muB for p in pts]),
        Column("(eps*mu_D)_max = eps_max*mu_D,max", "mu_B", [p.product_muB for p in pts]),
        Column("Borexino bound on eps*|mu_D(e mu)|", "mu_B", [p.borexino_muB for p in pts]),
        Column("dominant probe", "", [p.dominant for p in pts]),
    ]
    methods = sorted({p.borexino_method for p in pts if p.borexino_method})
    q = {"Borexino method": ", ".join(methods)} if methods else {}
    q.update(qualifiers or {})
    desc = description or (
        "Constraint hierarchy on eps*|mu_D^(e mu)| per dark-photon mass: the MEG II cap mu_D,max times the "
        "invisible-A' eps_max (NA64, BaBar, recast with the model's own P_inv) against the Borexino bound."
    )
    return ColumnTable(
        name=name,
        experiment="MEG II x accelerator vs Borexino",
        x_name="m_A'",
        x_unit="GeV",
        x_values=[p.m_ap for p in pts],
        columns=cols,
        qualifiers=q,
        description=desc,
        citation=citation or PAPER,
    )


# --- conversion helpers ----------------------------------------------------------------------
def _floats(name: str, values, n: int | None = None) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ParameterError(f"{name} = {values!r} is not a list of numbers") from None
    if n is not None and a.size != n:
        raise ParameterError(f"{name} has {a.size} values; the x axis has {n}")
    return a


def _cell(v):
    """A HEPData central value: a Python float, or '-' for inf/nan; text stays text."""
    if isinstance(v, str):
        return v
    x = float(v)
    return x if math.isfinite(x) else MISSING


def _qual_value(v):
    """Qualifier values are text or numbers (numpy scalars become Python ones; inf becomes 'inf')."""
    if isinstance(v, str | bool):
        return str(v)
    if isinstance(v, int | np.integer):
        return int(v)
    x = float(v)
    return x if math.isfinite(x) else str(x)


def _missing_note(values) -> str:
    """How many entries are inf (not constrained) or nan (not computed); text entries are neither."""
    nums = [float(v) for v in values if not isinstance(v, str)]
    n_inf, n_nan = sum(math.isinf(v) for v in nums), sum(math.isnan(v) for v in nums)
    parts = [f"{n_inf} not constrained (inf)"] if n_inf else []
    if n_nan:
        parts.append(f"{n_nan} not computed (nan)")
    return ", ".join(parts)


def _short_name(name: str) -> str:
    """hepdata_lib's data-file stem (lower case, blanks to '_'), checked to be a safe file name."""
    if not name or len(name) > 64:
        raise ParameterError(f"table name {name!r} must have 1 to 64 characters (HEPData limit)")
    stem = name.lower().replace(" ", "_")
    if not re.fullmatch(r"[a-z0-9_.,+=()-]+", stem) or stem.startswith("."):
        raise ParameterError(
            f"table name {name!r} gives the file name {stem!r}: use letters, digits, blanks and _.,+=()-"
        )
    return stem


def _common_qualifiers(item, x: np.ndarray, version: str) -> list[tuple[str, object, str]]:
    cl = check_range(f"{item.name}: cl", item.cl, 0.0, 1.0, lo_open=True, hi_open=True)
    q = [("experiment", item.experiment, ""), ("CL", f"{100 * cl:g}%", "")]
    q.append((f"{item.x_name} range", f"{x.min():.4g} - {x.max():.4g}", item.x_unit))
    for key, val in dict(item.qualifiers).items():
        if isinstance(val, tuple):
            if len(val) != 2:
                raise ParameterError(f"qualifier {key} = {val!r}: give a value or (value, unit)")
            q.append((str(key), _qual_value(val[0]), str(val[1])))
        else:
            q.append((str(key), _qual_value(val), ""))
    q.append(("darktmm version", version, ""))
    q.append(("data source", item.citation or "darktmm computation", ""))
    return q


def _x_axis(item) -> np.ndarray:
    x = _floats(f"{item.name}: x_values", item.x_values)
    if x.size == 0:
        raise ParameterError(f"{item.name}: x_values is empty")
    if not np.all(np.isfinite(x)):
        raise ParameterError(f"{item.name}: x_values must be finite, got {x!r}")
    return x


# --- the tables --------------------------------------------------------------------------------
def _limit_table(hd, curve: LimitCurve, version: str):
    x = _x_axis(curve)
    n = x.size
    y = _floats(f"{curve.name}: y_values", curve.y_values, n)
    if np.any(y[np.isfinite(y)] < 0):
        raise ParameterError(f"{curve.name}: y_values must be >= 0 (upper limits), got {y!r}")
    quals = _common_qualifiers(curve, x, version)
    cl_txt = f"{100 * curve.cl:g}% CL"
    notes = []

    exp = None if curve.expected is None else _floats(f"{curve.name}: expected", curve.expected, n)
    if exp is None:
        band_txt = f"{NO_BAND}: no expected limit given" + (
            f" ({curve.band_note})" if curve.band_note else ""
        )
        if curve.has_band:
            raise ParameterError(f"{curve.name}: an expected band needs the expected median (expected=None)")
    else:
        have = [
            lab for lab, b in zip(("+-1 sigma", "+-2 sigma"), (curve.band_1sigma, curve.band_2sigma)) if b
        ]
        band_txt = (
            " and ".join(have) if have else NO_BAND + (f" ({curve.band_note})" if curve.band_note else "")
        )
    quals.append(("expected band", band_txt, ""))

    table = hd.Table(curve.name)
    table.location = f"darktmm {version}"
    xv = hd.Variable(curve.x_name, is_independent=True, is_binned=False, units=curve.x_unit)
    xv.digits = DIGITS
    xv.values = [float(v) for v in x]
    table.add_variable(xv)

    obs = hd.Variable(
        f"{curve.y_name}: observed {cl_txt} upper limit",
        is_independent=False,
        is_binned=False,
        units=curve.y_unit,
    )
    obs.digits = DIGITS
    obs.values = [_cell(v) for v in y]
    for q in quals:
        obs.add_qualifier(*q)
    table.add_variable(obs)
    if miss := _missing_note(y):
        notes.append(f"observed: {miss}")

    if exp is not None:
        ev = hd.Variable(
            f"{curve.y_name}: expected (median) {cl_txt} upper limit",
            is_independent=False,
            is_binned=False,
            units=curve.y_unit,
            zero_uncertainties_warning=False,
        )
        ev.digits = DIGITS
        ev.values = [_cell(v) for v in exp]
        for q in quals:
            ev.add_qualifier(*q)
        if miss := _missing_note(exp):
            notes.append(f"expected: {miss}")
        for label, band in zip(BAND_LABELS, (curve.band_1sigma, curve.band_2sigma)):
            if band is None:
                continue
            if len(band) != 2:
                raise ParameterError(f"{curve.name}: a band is (lo, hi) arrays, got {band!r}")
            lo = _floats(f"{curve.name}: {label} lo", band[0], n)
            hi = _floats(f"{curve.name}: {label} hi", band[1], n)
            ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(exp)
            if np.any(ok & ((lo > exp) | (hi < exp))):
                raise ParameterError(f"{curve.name}: the {label} band must bracket the expected median")
            unc = hd.Uncertainty(label, is_symmetric=False)
            unc.values = [(lo[i] - exp[i], hi[i] - exp[i]) if ok[i] else (0.0, 0.0) for i in range(n)]
            for i in np.flatnonzero(~ok):
                unc.values[i] = None  # hepdata_lib (>= 0.16) writes no error for a None entry
            ev.add_uncertainty(unc)
            dropped = int((~ok & np.isfinite(exp)).sum())
            if dropped:
                notes.append(f"{label}: not available at {dropped} point(s) with a non-finite band edge")
        table.add_variable(ev)

    table.description = _description(curve, cl_txt, band_txt, notes)
    table.keywords["phrases"] = ["Dark photon", "Neutrino magnetic moment", "Upper limit"]
    return table


def _column_table(hd, item: ColumnTable, version: str):
    x = _x_axis(item)
    quals = _common_qualifiers(item, x, version)
    table = hd.Table(item.name)
    table.location = f"darktmm {version}"
    xv = hd.Variable(item.x_name, is_independent=True, is_binned=False, units=item.x_unit)
    xv.digits = DIGITS
    xv.values = [float(v) for v in x]
    table.add_variable(xv)
    notes = []
    for col in item.columns:
        vals = list(col.values)
        if len(vals) != x.size:
            raise ParameterError(
                f"{item.name}: column {col.name} has {len(vals)} values; the x axis has {x.size}"
            )
        v = hd.Variable(col.name, is_independent=False, is_binned=False, units=col.unit)
        v.digits = DIGITS
        v.values = [_cell(c) for c in vals]
        for q in quals:
            v.add_qualifier(*q)
        table.add_variable(v)
        if miss := _missing_note(vals):
            notes.append(f"{col.name}: {miss}")
    table.description = _description(item, f"{100 * item.cl:g}% CL", None, notes)
    table.keywords["phrases"] = ["Dark photon", "Neutrino magnetic moment", "Upper limit"]
    return table


def _description(item, cl_txt, band_txt, notes) -> str:
    parts = [item.description or f"{item.experiment} {cl_txt} upper limit."]
    if band_txt is not None:
        parts.append(f"Expected band: {band_txt}.")
    if notes:
        parts.append(f"'{MISSING}' marks points without a number: " + "; ".join(notes) + ".")
    parts.append(f"Source: {item.citation or 'darktmm computation'}.")
    return " ".join(parts)


# --- writing -------------------------------------------------------------------------------------
def _import_hepdata_lib():
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ROOT's "alpha stage" notice, pulled in by hepdata_lib
            import hepdata_lib
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError("HEPData output needs hepdata_lib: pip install 'darktmm[hepdata]'") from exc
    return hepdata_lib


def _check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise ParameterError(f"HEPData directory {target} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ParameterError(
            f"HEPData directory {target} exists and is not empty; choose another or pass overwrite=True"
        )
    if not target.parent.is_dir():
        raise ParameterError(f"HEPData directory {target}: parent directory {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise ParameterError(f"HEPData directory {target}: parent directory {target.parent} is not writable")


def validate_directory(directory) -> list[str]:
    """Messages of hepdata_validator's full-submission check of a record directory ([] = valid).

    >>> validate_directory(tempfile.mkdtemp())[0].endswith("No submission.yaml file found in submission.")
    True
    """
    _import_hepdata_lib()
    from hepdata_validator.full_submission_validator import FullSubmissionValidator

    v = FullSubmissionValidator(autoload_remote_schemas=False)
    if v.validate(directory=str(directory)):
        return []
    return [f"{f}: {m.message}" for f, msgs in v.get_messages().items() for m in msgs]


def write_submission(
    directory,
    curves: Sequence[LimitCurve | ColumnTable],
    *,
    overwrite: bool = False,
    comment: str = "",
    record: str | int = PAPER,
) -> Path:
    """Write a HEPData record (``submission.yaml`` + one table per curve) to ``directory``; return it.

    The record is built in a temporary sibling directory, checked with hepdata_validator (a
    RuntimeError lists the messages if it is not valid) and renamed into place, so ``directory``
    holds either the complete record or what it held before. An existing non-empty ``directory``
    is a ParameterError unless ``overwrite=True`` (then the old content is replaced). ``comment``
    becomes the record's comment (default: what darktmm computed); ``record`` is the paper: an
    ``"arXiv:NNNN.NNNNN"`` string (a link in the record's resources) or an INSPIRE record id (int).

    hepdata_lib's ``create_files`` also drops ``submission.tar.gz`` into the working directory; it is
    run with the scratch directory as working directory (``contextlib.chdir``, process-wide, so not
    for concurrent threads), and the tarball is deleted with the scratch directory.

    The example in the module docstring writes a BaBar curve into a ``tempfile.mkdtemp()``.
    """
    import darktmm

    target = Path(directory).absolute()
    items = list(curves)
    if not items:
        raise ParameterError("curves is empty: a HEPData record needs at least one table")
    stems = [_short_name(c.name) for c in items]
    if len(set(stems)) != len(stems):
        raise ParameterError(f"table names {[c.name for c in items]} give duplicate file names {stems}")
    _check_target(target, overwrite)

    hd = _import_hepdata_lib()
    version = str(darktmm.__version__)
    sub = hd.Submission()
    sub.comment = comment or (
        f"Limits and constraints computed with darktmm {version} (dark transition magnetic moment of "
        f"Majorana neutrinos mediated by a dark photon, {PAPER})."
    )
    if isinstance(record, int) and not isinstance(record, bool):
        sub.add_record_id(record, "inspire")
    else:
        rec = str(record)
        arxiv = rec.removeprefix("arXiv:")
        url = f"https://arxiv.org/abs/{arxiv}" if re.fullmatch(r"\d{4}\.\d{4,5}(v\d+)?", arxiv) else rec
        sub.add_link(f"Paper: {rec}", url)
    for item in items:
        if isinstance(item, LimitCurve):
            sub.add_table(_limit_table(hd, item, version))
        elif isinstance(item, ColumnTable):
            sub.add_table(_column_table(hd, item, version))
        else:
            raise ParameterError(f"curves: {item!r} is neither a LimitCurve nor a ColumnTable")

    scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        build = scratch / "record"
        # create_files also writes submission.tar.gz into the *working directory*: keep it in scratch
        with contextlib.chdir(scratch):
            sub.create_files(str(build), validate=False)
        messages = validate_directory(build)
        if messages:
            raise RuntimeError(f"HEPData record for {target} is not valid:\n  " + "\n  ".join(messages))
        if target.exists():
            old = scratch / "old"
            os.rename(target, old)
            try:
                os.rename(build, target)
            except OSError:
                os.rename(old, target)
                raise
        else:
            os.rename(build, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target
