"""Atomic ROOT output through uproot: TTrees (mktree/extend, never RNTuple), TH1D, run metadata.

Every file is written to a temporary name in the target directory and renamed into place only
after it is complete and closed (``os.replace`` is atomic on POSIX). An interrupted run
(exception or SIGINT) removes the temporary file, so no partial ROOT file is ever left behind.
A process killed outright (SIGKILL, a batch job over its limit) cannot clean up: its temporary
file has a name that says what it is, ``.{name}.darktmm-partial.{pid}.{random}{suffix}``, and
:func:`sweep_partials` removes those of one output (``--resume`` does).

Layout conventions (shared by every command):

* ``runinfo`` - a one-entry TTree of the run's numbers (branch titles carry units), with the whole
  record as the JSON string ``runinfo_json`` and the run card as the string ``runinfo_card``.
* histograms are TH1D with Sumw2 (the MC uncertainty per bin) and titles that carry units.
* trees carry the units of every branch in its title.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
from pathlib import Path

import numpy as np
import uproot

from darktmm.simulate.common import OutputError, _json_default, to_json  # noqa: F401 (re-exported)
from darktmm.spectra.validate import ParameterError


def check_writable(path: str | os.PathLike) -> Path:
    """Validate an output path before any work is done."""
    p = Path(path)
    d = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise OutputError(f"--out {p} is a directory")
    if not d.is_dir():
        raise OutputError(f"--out {p}: directory {d} does not exist")
    if not os.access(d, os.W_OK):
        raise OutputError(f"--out {p}: directory {d} is not writable")
    return p


def _umask() -> int:
    """The process umask (os.umask can only be read by setting it, so it is set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None):
    """Yield a temporary path next to ``path``; rename it to ``path`` on success, delete otherwise.

    The file gets the permissions a plain ``open`` would give it (0666 less the umask), not the
    owner-only 0600 of ``mkstemp``: output is meant to be read by colleagues.
    """
    p = check_writable(path)
    tmp = _new_partial(p, suffix or p.suffix or ".tmp")
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


#: Marker in the names of temporary files (see :func:`partial_name`).
PARTIAL_TAG = "darktmm-partial"


def partial_name(path: str | os.PathLike, suffix: str | None = None, *, pid: int | None = None) -> Path:
    """A temporary name for ``path`` that a resume recognises: ``.{name}.darktmm-partial.{pid}.{random}{suffix}``.

    It starts with a dot, so shell and Python globs such as ``ev.shard*.root`` never match it.

    >>> partial_name("out/ev.root", pid=7).name.startswith(".ev.root.darktmm-partial.7.")
    True
    """
    p = Path(path)
    suffix = p.suffix if suffix is None else suffix
    pid = os.getpid() if pid is None else int(pid)
    return p.with_name(f".{p.name}.{PARTIAL_TAG}.{pid}.{secrets.token_hex(4)}{suffix}")


def _new_partial(p: Path, suffix: str) -> Path:
    """Create (exclusively, like mkstemp) a fresh temporary file for ``p``."""
    for _ in range(100):
        tmp = partial_name(p, suffix)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # pragma: no cover - 32 random bits collided
            continue
        os.close(fd)
        return tmp
    raise OutputError(f"--out {p}: cannot create a temporary file next to it")  # pragma: no cover


def find_partials(path: str | os.PathLike) -> list[Path]:
    """The temporary files of an output ``path`` left by interrupted writers (any pid)."""
    p = Path(path)
    d = p.parent if str(p.parent) else Path(".")
    if not d.is_dir():
        return []
    prefix = f".{p.name}.{PARTIAL_TAG}."
    return sorted(q for q in d.iterdir() if q.name.startswith(prefix))


def sweep_partials(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of ``path`` left by killed writers; return what was removed.

    Only for an output that no process is writing at the moment (a resume, or a client whose
    workers are gone): a live writer's temporary file would be removed too.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = partial_name(d / "ev.root").write_bytes(b"half")
    >>> [q.name.split(".")[3] for q in sweep_partials(d / "ev.root")], find_partials(d / "ev.root")
    (['darktmm-partial'], [])
    """
    gone = []
    for q in find_partials(path):
        with contextlib.suppress(FileNotFoundError):
            q.unlink()
            gone.append(q)
    return gone


@contextlib.contextmanager
def atomic_root(path: str | os.PathLike, compression=None):
    """Open an uproot file for writing at a temporary path; it appears at ``path`` only when done."""
    with atomic_path(path, ".root") as tmp:
        comp = compression if compression is not None else uproot.ZLIB(4)
        f = uproot.recreate(tmp, compression=comp)
        try:
            yield f
        finally:
            f.close()


def th1d(
    values,
    edges,
    errors=None,
    title: str = "",
    name: str = "h",
    *,
    flow=(0.0, 0.0),
    flow_errors=(0.0, 0.0),
    entries=None,
):
    """A TH1D with Sumw2 = errors**2 and a title carrying the units ("title;x axis;y axis").

    ``flow`` = (underflow, overflow) contents and ``flow_errors`` their errors, so that entries
    outside the axis are not lost. ``entries`` is what ROOT's ``GetEntries`` returns: the number
    of fills (events) for a filled histogram. For a computed spectrum there are no fills; the
    default is then ROOT's effective number of entries (sum w)^2/sum w^2 (or the number of
    non-empty bins without errors). The statistics (fTsumw...) use the in-range bins, as ROOT's.
    """
    from uproot.writing.identify import to_TAxis, to_TH1x

    v = np.asarray(values, dtype=float)
    edges = np.asarray(edges, dtype=float)
    e2 = np.zeros_like(v) if errors is None else np.asarray(errors, dtype=float) ** 2
    fe2 = [float(x) ** 2 for x in flow_errors]
    data = np.concatenate([[float(flow[0])], v, [float(flow[1])]])
    sumw2 = np.concatenate([[fe2[0]], e2, [fe2[1]]])
    if entries is None:
        tot_w, tot_w2 = float(data.sum()), float(sumw2.sum())
        entries = tot_w * tot_w / tot_w2 if tot_w2 > 0 else float(np.count_nonzero(data))
    centers = 0.5 * (edges[1:] + edges[:-1])
    parts = title.split(";")
    axis = to_TAxis("xaxis", parts[1] if len(parts) > 1 else "", len(v), edges[0], edges[-1], edges)
    h = to_TH1x(
        name,
        parts[0],
        data,
        fEntries=float(entries),
        fTsumw=float(v.sum()),
        fTsumw2=float(e2.sum()),
        fTsumwx=float((v * centers).sum()),
        fTsumwx2=float((v * centers**2).sum()),
        fSumw2=sumw2,
        fXaxis=axis,
        fYaxis=to_TAxis("yaxis", parts[2] if len(parts) > 2 else "", 1, 0.0, 1.0),
    )
    return h


def th1d_from_hist(h, title: str, name: str = "h", *, entries=None):
    """TH1D of a 1D ``hist.Hist`` with Weight storage, flow bins included (see :func:`th1d`)."""
    vw = h.view(flow=True)
    val, var = np.asarray(vw.value), np.asarray(vw.variance)
    return th1d(
        val[1:-1],
        h.axes[0].edges,
        np.sqrt(var[1:-1]),
        title,
        name,
        flow=(val[0], val[-1]),
        flow_errors=(math.sqrt(var[0]), math.sqrt(var[-1])),
        entries=entries,
    )


def write_tree(
    f,
    name: str,
    columns: dict,
    *,
    title: str = "",
    branch_titles: dict | None = None,
    chunk: int | None = None,
):
    """Write a TTree with ``mktree``/``extend`` (readable by any ROOT 6; never an RNTuple).

    ``branch_titles`` (e.g. ``{"m_ap_GeV": "dark-photon mass [GeV]"}``) become the TBranch titles,
    which is where ROOT's ``TTree::Print`` shows them; the leaf keeps its type.
    """
    types = {k: (v.type if hasattr(v, "layout") else np.asarray(v).dtype) for k, v in columns.items()}
    tree = f.mktree(name, types, title=title)
    set_branch_titles(tree, branch_titles or {})
    tree.extend(columns)
    return tree


def set_branch_titles(tree, titles: dict):
    """Set TBranch titles on a freshly made uproot WritableTree (before the first extend)."""
    casc = tree._cascading  # noqa: SLF001 - uproot has no public setter for branch titles
    changed = False
    for datum in casc._branch_data:
        t = titles.get(datum.get("fName"))
        if t:
            datum["fTitle"] = t
            changed = True
    if changed:  # the first extend() then rewrites the whole metadata blob with these titles
        casc._needs_relocation_before_extend = True


#: Units of the runinfo numbers by name suffix (the rest are counts or ratios: [1]).
_SUFFIX_UNITS = (
    ("_GeV2", "GeV^2"),
    ("_GeV", "GeV"),
    ("_MeV", "MeV"),
    ("_keV", "keV"),
    ("_muB", "mu_B"),
    ("_fb", "fb"),
    ("_pb", "pb"),
    ("_cpd100t", "cpd/100 t"),
    ("_tyr", "t yr"),
    ("_m", "m"),
    ("_s", "s"),
)


def unit_of(key: str, units: dict | None = None) -> str:
    """The unit of a runinfo number: from ``units``, else from its name suffix, else [1]."""
    if units and key in units:
        return units[key]
    for suffix, unit in _SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit
    return "1"


def write_runinfo(f, info: dict, *, card_toml: str | None = None, units: dict | None = None):
    """One-entry ``runinfo`` TTree of the run's numbers, plus the whole record as readable text.

    Numbers become branches (whole numbers as int64, e.g. the seed), each titled with its unit
    (``units`` maps names to units; otherwise the name suffix says it, else [1]). The complete
    record is the JSON string ``runinfo_json`` and the run card the string ``runinfo_card``
    (TObjString: ``f->Get("runinfo_json")->Print()`` in ROOT). :func:`read_runinfo` reads both.
    """
    cols, titles = {}, {}
    for k, v in info.items():
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)):
            continue
        is_int = isinstance(v, (int, np.integer))
        cols[k] = np.array([v], dtype=np.int64 if is_int else np.float64)
        titles[k] = f"{k} [{unit_of(k, units)}]"
    text = json.dumps(info, default=_json_default, sort_keys=True)
    if not cols:
        cols["entries"] = np.array([1], dtype=np.int64)
        titles["entries"] = "one entry [1]"
    write_tree(
        f,
        "runinfo",
        cols,
        title="darktmm run metadata (the full record: runinfo_json, runinfo_card)",
        branch_titles=titles,
    )
    f["runinfo_json"] = text
    if card_toml is not None:
        f["runinfo_card"] = card_toml


def read_runinfo(path_or_file) -> tuple[dict, str | None]:
    """(the JSON record, the run card text or None) of a darktmm ROOT file."""
    f = uproot.open(path_or_file) if not hasattr(path_or_file, "keys") else path_or_file
    info = json.loads(str(f["runinfo_json"]))
    card = str(f["runinfo_card"]) if "runinfo_card" in {k.split(";")[0] for k in f.keys()} else None
    return info, card


__all__ = [
    "OutputError",
    "ParameterError",
    "atomic_root",
    "atomic_path",
    "partial_name",
    "find_partials",
    "sweep_partials",
    "th1d",
    "th1d_from_hist",
    "write_tree",
    "read_runinfo",
    "unit_of",
    "write_runinfo",
    "to_json",
]
