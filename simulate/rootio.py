"""Atomic ROOT output through uproot: TTrees (mktree/extend, never RNTuple), TH1D, run metadata.

Every file is written to a temporary name in the target directory and renamed into place only
after it is complete and closed (``os.replace`` is atomic on POSIX). An interrupted run
(exception or SIGINT) removes the temporary file, so no partial ROOT file is ever left behind.

Layout conventions (shared by every command):

* ``runinfo`` - a one-entry TTree of run metadata: numbers as branches, and the whole record as
  JSON text (UTF-8 bytes in branch ``json``, the run card in ``card``), plus the same JSON as the
  string ``runinfo_json``.
* histograms are TH1D with Sumw2 (the MC uncertainty per bin) and titles that carry units.
* trees carry the units of every branch in its title.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import uproot

from darktmm.spectra.validate import ParameterError


class OutputError(RuntimeError):
    """An output path that cannot be written."""


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
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=suffix or p.suffix or ".tmp", dir=p.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


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
    )
    if len(parts) > 2:
        h.member("fYaxis")._members["fTitle"] = parts[2]
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


def write_runinfo(f, info: dict, *, card_toml: str | None = None):
    """One-entry ``runinfo`` TTree: numeric entries as branches, the rest as JSON text.

    Text is stored as a uint8 jagged array of UTF-8 bytes (branch ``json``, ``card``) because
    ROOT string branches from uproot are not portable; ``runinfo.json`` also goes in as a TObjString.
    """
    import awkward as ak

    num = {
        k: np.array([float(v)])
        for k, v in info.items()
        if isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
    }
    text = json.dumps(info, default=_json_default, sort_keys=True)
    cols = dict(num)
    cols["json"] = ak.Array([np.frombuffer(text.encode(), dtype=np.uint8)])
    if card_toml is not None:
        cols["card"] = ak.Array([np.frombuffer(card_toml.encode(), dtype=np.uint8)])
    f.mktree(
        "runinfo",
        {k: (v.type if isinstance(v, ak.Array) else v.dtype) for k, v in cols.items()},
        title="darktmm run metadata (json, card: UTF-8 bytes)",
    )
    f["runinfo"].extend(cols)
    f["runinfo_json"] = text


def _json_default(o):
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, complex):
        return [o.real, o.imag]
    return str(o)


def _finite(o):
    """Replace inf/nan by None: strict JSON has no Infinity (a limit that could not be set)."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, (float, np.floating)) and not np.isfinite(o):
        return None
    return o


def to_json(obj) -> str:
    """Strict JSON (inf and nan become null)."""
    return json.dumps(_finite(obj), default=_json_default, indent=2, sort_keys=False, allow_nan=False)


__all__ = [
    "OutputError",
    "ParameterError",
    "atomic_root",
    "atomic_path",
    "th1d",
    "th1d_from_hist",
    "write_tree",
    "write_runinfo",
    "to_json",
]
