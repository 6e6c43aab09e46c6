"""The HTML report of ``darktmm report``: layout, number formatting, resumable pieces, provenance.

No physics here: :mod:`darktmm.simulate.commands.report` computes the results (through the same
code as ``darktmm model``, ``limit`` and ``constraints``) and hands this module plain numbers and
file names. The page is one self-contained ``index.html`` (inline CSS, no script, no remote
resource) that links its figures and files by paths relative to the report folder, so the folder
can be moved, zipped or served as it is.

* :class:`Figure`, :class:`Table`, :class:`Paragraphs`, :class:`Files`, :class:`Section` and
  :func:`render` - the page;
* :func:`sci` / :func:`sci_text` - numbers as 4.77×10⁻¹⁷ (HTML and plain Unicode);
* :func:`referenced_paths` - every local file a page names (``src`` and ``href``), for tests;
* :class:`Pieces` - finished pieces of a run as JSON files with the hash of their settings
  (``--resume`` reuses a piece whose hash matches);
* :func:`record_opens` and :func:`data_files` - which public data files a run read, with their
  sha256 against the registry of ``detectors/data.py`` (shared/data/PROVENANCE.md).

>>> sec = Section("demo", "Demo", [Table("t", ("m [GeV]", "limit [μB]"), [("0.001", sci(2.2e-10, 2))], "A table.")])
>>> page = render("Report", "", [sec])
>>> "2.2×10<sup>−10</sup>" in page, referenced_paths(page)
(True, [])
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import math
import os
import re
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

_SUP = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


# --- numbers -------------------------------------------------------------------------------------
def _mant_exp(x: float, digits: int) -> tuple[str, int]:
    s = f"{x:.{digits - 1}e}"
    mant, exp = s.split("e")
    return mant, int(exp)


def sci(x, digits: int = 3, *, inf: str = "none", nan: str = "n/a") -> str:
    """``x`` in scientific notation for HTML, ``digits`` significant digits (4.77×10<sup>−17</sup>);
    numbers between 0.01 and 1000 stay plain; inf (no bound) and nan (not computed) become words
    (the ×10^n notation of ISO 80000-1).
    Design: shared/design.md (``commands/report.py``).

    >>> sci(4.7712e-17), sci(0.0352, 2), sci(float("inf")), sci(None)
    ('4.77×10<sup>−17</sup>', '0.035', 'none', 'n/a')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return nan
    x = float(x)
    if math.isinf(x):
        return inf
    if x == 0 or 1e-2 <= abs(x) < 1e3:
        return f"{x:.{digits}g}"
    mant, exp = _mant_exp(x, digits)
    return f"{mant}×10<sup>{str(exp).replace('-', '−')}</sup>"


def sci_text(x, digits: int = 2, *, inf: str = "none", nan: str = "n/a") -> str:
    """Like :func:`sci` in plain Unicode (for Markdown): 4.8×10⁻¹⁷ (ISO 80000-1 notation).
    Design: shared/design.md (``commands/report.py``).

    >>> sci_text(4.7712e-17), sci_text(9.2518e-12, 3), sci_text(0.5)
    ('4.8×10⁻¹⁷', '9.25×10⁻¹²', '0.5')
    """
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return nan
    x = float(x)
    if math.isinf(x):
        return inf
    if x == 0 or 1e-2 <= abs(x) < 1e3:
        return f"{x:.{digits}g}"
    mant, exp = _mant_exp(x, digits)
    return f"{mant}×10{str(exp).translate(_SUP)}"


# --- the page ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """A figure written as ``stem.png`` (shown) and ``stem.pdf`` (linked), ``stem`` relative to the
    report folder; ``caption`` says what is shown, in which units, from which data (HTML escaped).
    Design: shared/design.md (``commands/report.py``).

    >>> "figures/h.png" in render("R", "", [Section("s", "S", [Figure("figures/h", "Hierarchy", "What.")])])
    True
    """

    stem: str
    title: str
    caption: str
    formats: tuple[str, ...] = ("png", "pdf")


@dataclass(frozen=True)
class Table:
    """A table of text cells (already formatted; cells may hold the ``<sup>`` of :func:`sci` and
    ``<b>``, nothing else is interpreted; numbers are right-aligned, text left-aligned). ``kind``
    marks result tables ("result") apart from provenance ones; ``fold`` folds long tables.
    Design: shared/design.md (``commands/report.py``).

    >>> t = Table("Limits", ("m [GeV]",), [("0.1",)], "One row.")
    >>> '<td class="num">0.1</td>' in render("R", "", [Section("s", "S", [t])])
    True
    """

    title: str
    columns: tuple[str, ...]
    rows: list
    caption: str = ""
    kind: str = "result"
    pre: bool = False  # cells in monospace (hashes, paths)
    align: str = "auto"  # "auto": numbers right, text left; "left": every cell left
    fold: int = 0  # more rows than this: folded into a <details> block (0: never)


@dataclass(frozen=True)
class Paragraphs:
    """Plain paragraphs (HTML escaped but for <sup> and <b>); ``pre`` keeps the text as a
    preformatted block (the card).
    Design: shared/design.md (``commands/report.py``).

    >>> "&lt;i&gt;" in render("R", "", [Section("s", "S", [Paragraphs(["<i>"])])])
    True
    """

    texts: list
    pre: bool = False


@dataclass(frozen=True)
class Files:
    """A list of links to files of the report folder: ``links`` = [(label, relative path, note)].
    Design: shared/design.md (``commands/report.py``).

    >>> referenced_paths(render("R", "", [Section("s", "S", [Files("ROOT", [("h", "root/h.root", "")])])]))
    ['root/h.root']
    """

    title: str
    links: list
    caption: str = ""
    inline: bool = False  # one line "title: a · b" instead of a list


@dataclass
class Section:
    """One numbered section of the page: ``key`` (its HTML id), ``title`` and its items.
    Design: shared/design.md (``commands/report.py``).

    >>> 'id="m"' in render("R", "", [Section("m", "Model", [])])
    True
    """

    key: str
    title: str
    items: list = field(default_factory=list)
    intro: str = ""


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:0;color:#1d232a;
background:#f4f5f7;line-height:1.45}
header{background:#1f3a5f;color:#fff;padding:22px 40px}
header h1{margin:0 0 6px 0;font-size:26px}
header p{margin:2px 0;color:#dce6f2;max-width:1100px}
nav{background:#fff;border-bottom:1px solid #d8dde3;padding:8px 40px;font-size:14px}
nav a{margin-right:18px;color:#1f3a5f;text-decoration:none}
main{padding:10px 40px 40px 40px;max-width:1250px}
section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:14px 24px 18px 24px;margin:18px 0}
h2{font-size:20px;margin:6px 0 10px 0;color:#1f3a5f}
h3{font-size:16px;margin:16px 0 6px 0}
p.intro{margin:4px 0 10px 0}
figure{margin:10px 0 14px 0}
figure img{max-width:100%;width:960px;border:1px solid #e3e6ea}
figcaption{font-size:13.5px;color:#444;text-align:left;max-width:980px}
figcaption b{color:#1d232a}
table{border-collapse:collapse;font-size:13px}
th,td{border:1px solid #d8dde3;padding:3px 8px;vertical-align:top}
th{background:#eef1f5;font-weight:600;text-align:center;white-space:nowrap}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.txt{text-align:left;max-width:520px}
div.table{margin:10px 0 14px 0}
p.tcap{font-size:13.5px;color:#444;margin:0 0 4px 0;max-width:980px}
p.tcap b{color:#1d232a}
tr:nth-child(even) td{background:#fafbfc}
td.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;text-align:left;word-break:break-all}
pre{background:#f6f8fa;border:1px solid #d8dde3;padding:10px;font-size:12.5px;overflow-x:auto}
.key{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.key div{background:#eef4fb;border:1px solid #c9d8ea;border-radius:6px;padding:8px 14px;min-width:150px;font-size:13.5px}
.key b{display:block;font-size:18px;color:#1f3a5f}
.note{color:#8a4b00}
ul.files{margin:4px 0 10px 0;columns:3;max-width:1100px}
p.links{font-size:13.5px;margin:2px 0 14px 0}
details summary{cursor:pointer;color:#1f3a5f;font-size:13.5px;margin:2px 0 6px 0}
""".strip()


def _cell(c) -> str:
    """A table cell or caption: text escaped, except <sup> (:func:`sci`) and <b>."""
    t = html.escape(str(c), quote=False)
    for tag in ("sup", "b"):
        t = t.replace(f"&lt;{tag}&gt;", f"<{tag}>").replace(f"&lt;/{tag}&gt;", f"</{tag}>")
    return t


_NUMERIC = re.compile(r"^[-+−]?(\d[\d.]*(e[-+]?\d+)?(×10<sup>[−-]?\d+</sup>)?|none|n/a|inf)$")


def _td_class(c, pre: bool, align: str = "auto") -> str:
    """Numbers right-aligned on one line; text left-aligned and wrapped; ``pre`` in monospace;
    ``align="left"`` for key-value tables."""
    if pre:
        return ' class="mono"'
    if align == "left":
        return ' class="txt"'
    return ' class="num"' if _NUMERIC.match(str(c)) else ' class="txt"'


def _item_html(item) -> str:
    if isinstance(item, Figure):
        png = f"{item.stem}.{item.formats[0]}"
        links = " · ".join(f'<a href="{html.escape(item.stem)}.{f}">{f.upper()}</a>' for f in item.formats)
        return (
            f'<figure><a href="{html.escape(png)}"><img src="{html.escape(png)}" '
            f'alt="{html.escape(item.title)}"></a>'
            f"<figcaption><b>{html.escape(item.title)}.</b> {_cell(item.caption)} [{links}]</figcaption></figure>"
        )
    if isinstance(item, Table):
        head = "".join(f"<th>{_cell(c)}</th>" for c in item.columns)
        body = "".join(
            "<tr>"
            + "".join(f"<td{_td_class(c, item.pre, item.align)}>{_cell(c)}</td>" for c in row)
            + "</tr>"
            for row in item.rows
        )
        cap = (
            f"<b>{html.escape(item.title)}.</b> {_cell(item.caption)}"
            if item.caption
            else f"<b>{html.escape(item.title)}</b>"
        )
        table = f'<table data-kind="{html.escape(item.kind)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
        if item.fold and len(item.rows) > item.fold:
            table = f"<details><summary>show the {len(item.rows)} rows</summary>{table}</details>"
        return f'<div class="table"><p class="tcap">{cap}</p>{table}</div>'

    if isinstance(item, Paragraphs):
        if item.pre:
            return "".join(f"<pre>{html.escape(t)}</pre>" for t in item.texts)
        return "".join(f"<p>{_cell(t)}</p>" for t in item.texts)
    if isinstance(item, Files) and item.inline:
        links = " · ".join(
            f'<a href="{html.escape(path)}">{html.escape(label)}</a>' for label, path, _ in item.links
        )
        return f'<p class="links"><b>{html.escape(item.title)}:</b> {links}</p>'
    if isinstance(item, Files):
        lis = "".join(
            f'<li><a href="{html.escape(path)}">{html.escape(label)}</a>'
            + (f" - {_cell(note)}" if note else "")
            + "</li>"
            for label, path, note in item.links
        )
        cap = f"<p>{_cell(item.caption)}</p>" if item.caption else ""
        return f'<h3>{html.escape(item.title)}</h3>{cap}<ul class="files">{lis}</ul>'
    if isinstance(item, str):  # trusted markup of this module (the key-number boxes)
        return item
    raise TypeError(f"not a report item: {item!r}")


def key_numbers(pairs) -> str:
    """The row of highlighted numbers at the top of a section: [(label, value HTML, note)].
    Design: shared/design.md (``commands/report.py``).

    >>> "<b>9.25×10<sup>−12</sup> μB</b>" in key_numbers([("cap", sci(9.252e-12) + " μB", "")])
    True
    """
    cells = "".join(
        f"<div>{html.escape(label)}<b>{_cell(value)}</b>{_cell(note)}</div>" for label, value, note in pairs
    )
    return f'<div class="key">{cells}</div>'


def render(title: str, subtitle: str, sections, *, lead: str = "") -> str:
    """The whole page: header, a navigation bar over the sections, the sections.
    Design: shared/design.md (``commands/report.py``).

    >>> page = render("darktmm report", "BM1", [Section("a", "A", [Paragraphs(["x"])])])
    >>> page.startswith("<!DOCTYPE html>"), '<a href="#a">1. A</a>' in page
    (True, True)
    """
    nav = "".join(
        f'<a href="#{html.escape(s.key)}">{k}. {html.escape(s.title)}</a>' for k, s in enumerate(sections, 1)
    )
    body = []
    for k, s in enumerate(sections, 1):
        intro = f'<p class="intro">{_cell(s.intro)}</p>' if s.intro else ""
        items = "".join(_item_html(i) for i in s.items)
        body.append(
            f'<section id="{html.escape(s.key)}"><h2>{k}. {html.escape(s.title)}</h2>{intro}{items}</section>'
        )
    sub = f"<p>{_cell(subtitle)}</p>" if subtitle else ""
    lead_html = f"<p>{_cell(lead)}</p>" if lead else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{html.escape(title)}</h1>{sub}{lead_html}</header><nav>{nav}</nav>"
        f"<main>{''.join(body)}</main></body></html>\n"
    )


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.paths: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith(("#", "http:", "https:", "data:", "mailto:")):
                self.paths.append(v)


def referenced_paths(page: str) -> list[str]:
    """Every local file an HTML page names in ``src`` or ``href`` (no anchors, URLs or data URIs),
    in order, each once (``html.parser`` of the standard library).
    Design: shared/design.md (``commands/report.py``).

    >>> referenced_paths('<img src="a.png"><a href="a.png">x</a><a href="#s">y</a><a href="b/c.pdf">z</a>')
    ['a.png', 'b/c.pdf']
    """
    p = _Links()
    p.feed(page)
    return list(dict.fromkeys(p.paths))


def write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) atomically: a temporary file renamed into place.
    Design: shared/design.md (``commands/report.py``).

    >>> import tempfile
    >>> write_text(Path(tempfile.mkdtemp()) / "a.txt", "x").read_text()
    'x'
    """
    from darktmm.simulate.rootio import atomic_path

    path = Path(path)
    with atomic_path(path, path.suffix or ".txt") as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return path


# --- resumable pieces ----------------------------------------------------------------------------
def _plain(o):
    """JSON-ready copy: numpy scalars and arrays become Python numbers and lists (inf/nan kept)."""
    if isinstance(o, dict):
        return {str(k): _plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_plain(v) for v in o]
    if hasattr(o, "tolist") and not isinstance(o, (str, bytes)):
        return _plain(o.tolist())
    if isinstance(o, complex):
        return [o.real, o.imag]
    if isinstance(o, Path):
        return str(o)
    return o


def settings_hash(settings) -> str:
    """sha256 of the canonical JSON of ``settings`` (sorted keys): the identity of a piece's inputs.
    Design: shared/design.md (``commands/report.py``).

    >>> settings_hash({"b": 1, "a": [1.0, 2.0]}) == settings_hash({"a": [1.0, 2.0], "b": 1})
    True
    """
    text = json.dumps(_plain(settings), sort_keys=True, default=str, allow_nan=True)
    return hashlib.sha256(text.encode()).hexdigest()


class Pieces:
    """The finished pieces of a report in ``folder/pieces/NAME.json``: ``{"hash", "seconds",
    "payload"}``. With ``resume``, :meth:`get` returns the payload of a piece whose stored hash
    equals the hash of its current settings (else None: the piece is computed again). Payloads are
    JSON with Infinity/NaN allowed (Python's json reads them back bit for bit).
    Design: shared/design.md (``commands/report.py``).

    >>> import tempfile
    >>> p = Pieces(tempfile.mkdtemp(), resume=True)
    >>> p.get("scan", {"masses": [1.0]}) is None
    True
    >>> p.put("scan", {"masses": [1.0]}, [float("inf"), 0.1], 2.5)
    >>> Pieces(p.folder, resume=True).get("scan", {"masses": [1.0]})
    [inf, 0.1]
    """

    def __init__(self, folder, *, resume: bool):
        self.folder = Path(folder)
        self.resume = resume
        self.status: dict[str, dict] = {}

    def path(self, name: str) -> Path:
        """The JSON file of piece ``name``."""
        return self.folder / "pieces" / f"{name}.json"

    def get(self, name: str, settings):
        """The stored payload of ``name`` if resuming and its settings hash matches, else None."""
        h = settings_hash(settings)
        p = self.path(name)
        if not (self.resume and p.is_file()):
            return None
        try:
            rec = json.loads(p.read_text())
        except (OSError, ValueError):
            return None
        if rec.get("hash") != h or "payload" not in rec:
            return None
        self.status[name] = {"state": "reused", "seconds": rec.get("seconds", 0.0), "hash": h}
        return rec["payload"]

    def put(self, name: str, settings, payload, seconds: float) -> None:
        """Store a freshly computed piece (atomically)."""
        h = settings_hash(settings)
        self.path(name).parent.mkdir(parents=True, exist_ok=True)
        rec = {
            "piece": name,
            "hash": h,
            "seconds": seconds,
            "settings": _plain(settings),
            "payload": _plain(payload),
        }
        write_text(self.path(name), json.dumps(rec, indent=1, allow_nan=True, default=str))
        self.status[name] = {"state": "computed", "seconds": seconds, "hash": h}


# --- provenance ----------------------------------------------------------------------------------
_RECORDERS: list[set] = []
_HOOKED = False


def _audit(event, args):
    if event == "open" and _RECORDERS and args and isinstance(args[0], (str, bytes, os.PathLike)):
        p = os.fsdecode(args[0])
        for s in _RECORDERS:
            s.add(p)


@contextlib.contextmanager
def record_opens():
    """Collect the paths of every file Python opens inside the block (a ``sys.addaudithook`` "open"
    hook, PEP 578; installed once per process, idle outside the block).
    Design: shared/design.md (``commands/report.py``).

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = f.write_text("1")
    >>> with record_opens() as seen:
    ...     _ = f.read_text()
    >>> str(f) in seen
    True
    """
    global _HOOKED
    if not _HOOKED:
        sys.addaudithook(_audit)
        _HOOKED = True
    s: set[str] = set()
    _RECORDERS.append(s)
    try:
        yield s
    finally:
        _RECORDERS.remove(s)


def data_files(opened, data_dir=None) -> list[dict]:
    """The registry files (``detectors.data.REGISTRY``, shared/data/PROVENANCE.md) among the paths
    ``opened``: relpath, path, sha256 of the file read and its status against the registry
    ("ok" | "BAD HASH").

    >>> data_files([])
    []
    """
    from darktmm.detectors import data as datamod

    seen = {os.path.realpath(p) for p in opened}
    out = []
    for rel, f in datamod.REGISTRY.items():
        try:
            p = datamod.path(rel, data_dir)
        except datamod.DataError:
            continue
        if os.path.realpath(p) in seen:
            h = datamod.sha256(p)
            out.append(
                {"file": rel, "path": str(p), "sha256": h, "status": "ok" if h == f.sha256 else "BAD HASH"}
            )
    return out


def git_commit(folder) -> str:
    """The git commit of the source checkout at ``folder`` (with "+dirty" if it has local edits),
    or "" when it is not a git checkout.
    Design: shared/design.md (``commands/report.py``).

    >>> isinstance(git_commit("/"), str)
    True
    """
    import subprocess

    try:
        run = lambda *a: subprocess.run(  # noqa: E731
            ["git", "-C", str(folder), *a], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        commit = run("rev-parse", "HEAD")
        dirty = run("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return ""
    return commit + ("+dirty" if dirty else "")


def now_utc() -> str:
    """The current time, ISO 8601 UTC to the second.
    Design: shared/design.md (``commands/report.py``).

    >>> now_utc().endswith("Z")
    True
    """
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- the darktmm report page --------------------------------------------------------------------
_EXP_NAMES = {
    "borexino": "Borexino Phase II",
    "na64": "NA64 2023",
    "babar": "BaBar 2017",
    "xenonnt": "XENONnT SR0",
}


def _mass(m) -> str:
    return f"{float(m):.4g}"


def mass_text(m) -> str:
    """A mass [GeV] as text, in MeV below 1 GeV, else in GeV.
    Design: shared/design.md (``commands/report.py``).

    >>> mass_text(1e-3), mass_text(5.0)
    ('1 MeV', '5 GeV')
    """
    m = float(m)
    return f"{m * 1e3:.3g} MeV" if m < 1.0 else f"{m:.3g} GeV"


def _hier_links(files) -> list:
    fig = files["figures"]["hierarchy"]
    links = [("ROOT (tree 'hierarchy')", files["root"]["hierarchy"], "")]
    hep = files.get("hepdata_tables", {}).get("hierarchy")
    if hep:
        links.append(("HEPData table", hep, ""))
    return links + [("PNG", fig + ".png", ""), ("PDF", fig + ".pdf", "")]


def _cell_num(v, digits=3):
    return sci(v, digits)


def _limit_caption(t, cfg, files_of, prov) -> str:
    """What a limit figure shows, in which units, from which data."""
    info = t.info
    data = {d["file"]: d["sha256"][:12] for d in prov.get("data_files", [])}

    def src(prefix):
        used = [f"{f} (sha256 {h}…)" for f, h in data.items() if f.startswith(prefix)]
        return (
            "; ".join(used)
            if used
            else f"no data file read (the numbers built into detectors/{t.experiment}.py)"
        )

    if t.experiment == "borexino":
        o = cfg["borexino"]
        return (
            "90% CL upper limit on ε·μ_eff [μ_B] (flavour-blind effective moment) against the dark-photon mass "
            f"m_A′ (MeV on the axis, GeV in the table and files), from the {info.get('method', '')} likelihood of Borexino Phase II "
            f"(pp/⁷Be priors: {info.get('treatment', '')}; VEGAS templates, per-bin rtol {o['rtol']:g}, seed "
            f"{cfg['seed']}): observed (red), Asimov expected median (dashed), ±1σ (green) and ±2σ (yellow) "
            "bands (Cowan, Cranmer, Gross, Vitells, arXiv:1007.1727); dotted: Borexino's published photon limit "
            f"2.8×10<sup>−11</sup> μ_B (arXiv:1707.09355). Data: {src('borexino/')}."
        )
    if t.experiment == "na64":
        return (
            "90% CL lower edge of the excluded kinetic mixing ε [1] against m_A′ [GeV] for this model point "
            "(red: the A′ decays with its own widths, P_inv = BR_inv + BR_vis e<sup>−L/ℓ</sup>; dotted grey: "
            "the same search for P_inv = 1). NA64 2023: 9.37×10<sup>11</sup> electrons on target, 0 events, "
            "dark bremsstrahlung plus resonant e<sup>+</sup>e<sup>−</sup> annihilation, calibrated "
            "mass-dependent efficiency (arXiv:2307.02404). Expected band from the Poisson background "
            "expectation b = 0.53: its −2σ, −1σ and median quantiles are all n = 0, so they coincide with the "
            f"observed limit and only the +1σ, +2σ edges are visible. Data: {src('na64/')}."
        )
    if t.experiment == "babar":
        return (
            "90% CL lower edge of the excluded ε [1] against m_A′ [GeV] for this model point (red), recast from "
            "the BaBar 2017 single-photon search (PRL 119 (2017) 131804, arXiv:1702.03327); dotted grey: the "
            "published curve (P_inv = 1). <b>No expected band</b>: BaBar is recast from its published observed "
            f"curve, which has no expected limit; none is drawn or invented. Data: {src('babar/')}."
        )
    if t.experiment == "xenonnt":
        pub = t.info.get("published_photon_limit_muB")
        return (
            "90% CL upper limit on ε·μ_eff [μ_B] against m_A′ (MeV on the axis, GeV in the table and files) from "
            "XENONnT SR0 electronic recoils "
            f"({info.get('method', '')}; B0 {info.get('nuisance', '')}, xenon binding {info.get('treatment', '')}; "
            f"VEGAS templates, rtol {info.get('rtol', '')}, seed {info.get('seed', cfg['seed'])}; PRL 129 (2022) "
            "161805, arXiv:2207.11330): observed (red), Asimov expected median (dashed), ±1σ (green) and ±2σ "
            "(yellow) bands, computed at the Borexino masses"
            + (f"; dotted: XENONnT's published photon limit {sci(pub, 2)} μ_B" if pub else "")
            + f". Data: {src('xenonnt/')}."
        )
    return (
        f"90% CL upper limit on ε·μ_eff [μ_B] against m_A′ [GeV] from {_EXP_NAMES.get(t.experiment, t.experiment)} "
        "with its Asimov expected band where computed. Data: " + src(f"{t.experiment}/") + "."
    )


def _limit_rows(t) -> tuple[tuple, list]:
    pts = t.points
    if t.unit == "muB":
        cols = ("m_A′ [GeV]", "observed [μ_B]", "−2σ", "−1σ", "expected", "+1σ", "+2σ")
        rows = [
            (
                _mass(q["m_ap_GeV"]),
                _cell_num(q["limit"]),
                *(
                    _cell_num(q.get(b))
                    for b in ("expected_m2", "expected_m1", "expected", "expected_p1", "expected_p2")
                ),
            )
            for q in pts
        ]
        return cols, rows
    pinfo = t.info.get("point_info", [{}] * len(pts))
    inv = getattr(t, "eps_invisible", [math.nan] * len(pts))
    if all(q.get("expected") is not None for q in pts):
        cols = ("m_A′ [GeV]", "ε limit", "ε (P_inv = 1)", "BR_inv", "P_inv", "expected", "+1σ", "+2σ", "note")
        rows = [
            (
                _mass(q["m_ap_GeV"]),
                _cell_num(q["limit"]),
                _cell_num(e),
                _cell_num(q["br_inv"], 4),
                _cell_num(q["p_inv"], 4),
                _cell_num(q.get("expected")),
                _cell_num(q.get("expected_p1")),
                _cell_num(q.get("expected_p2")),
                pi.get("note", ""),
            )
            for q, e, pi in zip(pts, inv, pinfo)
        ]
    else:
        cols = ("m_A′ [GeV]", "ε limit", "ε (P_inv = 1)", "BR_inv", "P_inv", "expected", "note")
        rows = [
            (
                _mass(q["m_ap_GeV"]),
                _cell_num(q["limit"]),
                _cell_num(e),
                _cell_num(q["br_inv"], 4),
                _cell_num(q["p_inv"], 4),
                "none (no band)",
                pi.get("note", ""),
            )
            for q, e, pi in zip(pts, inv, pinfo)
        ]
    return cols, rows


def _direct_items(h_summary, files, prov) -> list:
    """The two direct probes on the hierarchy's quantity (Borexino, XENONnT) and their crossing."""
    stem = files["figures"].get("direct_probes")
    pts = [p for p in h_summary["points"] if "xenonnt_muB" in p]
    if not stem or not pts:
        return [Paragraphs(["XENONnT: no bound on ε·|μ_D^(eμ)| (its data files were not found)."])]
    crossing = h_summary.get("direct_probe_crossing_GeV")
    xe = h_summary.get("xenonnt") or {}
    cross = (
        f"They cross at m_A′ = {sci(crossing, 3)} GeV: XENONnT is the stronger direct probe below, Borexino above."
        if crossing
        else "The XENONnT and Borexino bounds do not cross in this mass range."
    )
    cap = (
        "Upper bounds on ε·|μ_D^(eμ)| [μ_B] against m_A′ [GeV] from the two solar-neutrino electron-recoil "
        "probes: Borexino Phase II (0.2-1.3 MeV recoils, as in the hierarchy) and XENONnT SR0 (1-30 keV "
        f"recoils; {xe.get('method', '')}, the model's own mass-basis matrix as the TMM template, flavour "
        f"'{xe.get('flavour', 'exact')}', rtol {xe.get('rtol', '')}; PRL 129 (2022) 161805). "
        + cross
        + " Recipe: detectors/constraints.py (xenonnt_bounds, direct_probes). Data: "
        + (
            "; ".join(
                f"{d['file']} (sha256 {d['sha256'][:12]}…)"
                for d in prov.get("data_files", [])
                if d["file"].startswith(("xenonnt/", "borexino/"))
            )
            or "no data file read"
        )
        + "."
    )
    rows = []
    for p in pts:
        r = p.get("log10_borexino_over_xenonnt")
        rows.append(
            (
                _mass(p["m_ap_GeV"]),
                sci(p["borexino_muB"]),
                sci(p["xenonnt_muB"]),
                p.get("dominant_direct", ""),
                "n/a" if r is None or not math.isfinite(r) else f"{r:+.2f}",
            )
        )
    return [
        Figure(stem, "Direct probes: Borexino and XENONnT", cap),
        Table(
            "Direct probes per mass",
            ("m_A′ [GeV]", "Borexino [μ_B]", "XENONnT [μ_B]", "stronger", "log₁₀(Borexino/XENONnT)"),
            rows,
            "Bounds on ε·|μ_D^(eμ)| in μ_B (the same columns are in the ROOT tree 'hierarchy').",
            fold=12,
        ),
    ]


def page(
    *, cfg, card_text, cap, gamma_desc, tables, hpts, names, h_summary, model, numbers, files, prov, markdown
):
    """The darktmm report page from the results of ``darktmm report`` (no computation here):
    ``tables`` LimitTable objects, ``hpts`` HierarchyPoint objects, ``model`` the ``darktmm model``
    summary, ``numbers`` the README numbers, ``files`` the written files, ``prov`` the provenance.
    The physics and its sources are those of the commands; see their modules.
    Design: shared/design.md (``commands/report.py``).

    >>> callable(page)
    True
    """
    bench = numbers.get("benchmark") or "model card"
    desc = numbers.get("description", "")
    bx = h_summary["borexino"]
    sections = []

    # 1. summary: the README numbers
    pts = numbers["points"]
    boxes = [("MEG II cap |μ_D^(eμ)|", sci(cap.mu_D_max_muB) + " μ_B", f"{cap.prescription} prescription")]
    for p in pts:
        r = p["log10_ratio"]
        boxes.append(
            (
                f"{mass_text(p['m_ap_GeV'])}: {p['dominant'].replace(' x ', ' × ')}",
                (f"{r:.2f}" if r is not None and math.isfinite(r) else "n/a") + " orders below Borexino",
                f"{sci(p['product_muB'], 2)} vs {sci(p['borexino_muB'], 2)} μ_B",
            )
        )
    reused = sum(1 for v in prov["pieces"].values() if v["state"] == "reused")
    boxes.append(
        (
            "wall time",
            f"{prov['wall_time_s']:.0f} s",
            f"{len(hpts)} masses, {prov['executor']}"
            + (f"; {reused} of {len(prov['pieces'])} pieces reused (--resume)" if reused else ""),
        )
    )
    rows = [
        (
            _mass(p["m_ap_GeV"]),
            p["dominant"].replace(" x ", " × "),
            sci(p["eps_max"]),
            sci(p["product_muB"]),
            sci(p["borexino_muB"]),
            "n/a"
            if p["log10_ratio"] is None or not math.isfinite(p["log10_ratio"])
            else f"{p['log10_ratio']:.2f}",
        )
        for p in pts
    ]
    ranges = "; ".join(
        f"{r['dominant'].replace(' x ', ' × ')} from {_mass(r['from_GeV'])} to {_mass(r['to_GeV'])} GeV"
        for r in numbers["dominant_ranges"]
    )
    js = files["json"]
    sections.append(
        Section(
            "summary",
            "The benchmark numbers",
            [
                key_numbers(boxes),
                Table(
                    "Hierarchy at the masses the README quotes",
                    (
                        "m_A′ [GeV]",
                        "dominant probe",
                        "ε_max",
                        "(εμ_D)_max [μ_B]",
                        "Borexino [μ_B]",
                        "log₁₀(Borexino/(εμ_D)_max)",
                    ),
                    rows,
                    "Bounds on ε·|μ_D^(eμ)| in μ_B; the orders of magnitude are log₁₀ of the ratio. From the "
                    "hierarchy scan of section 4 (same numbers).",
                ),
                Paragraphs(
                    [
                        f"Dominant probe over the scan: {ranges}." if ranges else "",
                        "BR_inv ≥ "
                        + f"{math.floor(numbers['br_inv_min'] * 1000) / 1000:.3f}"
                        + " wherever an invisible search sets the bound."
                        if numbers.get("br_inv_min") is not None
                        else "No invisible search sets a bound.",
                    ]
                ),
                Files(
                    "The README block",
                    [
                        (js["numbers"], js["numbers"], "the numbers as JSON (full precision)"),
                        (
                            js["numbers_md"],
                            js["numbers_md"],
                            "the Markdown block the README section is regenerated from",
                        ),
                    ],
                ),
                Paragraphs([markdown], pre=True),
            ],
            intro=f"{bench}: {desc}" if desc else bench,
        )
    )

    # 2. the UV model
    uv = model["uv"]
    m2 = uv["m2"]
    mtab = Table(
        "UV model point",
        ("parameter", "value"),
        [
            ("M_F (vector-like lepton)", f"{uv['M_F']:g} GeV"),
            ("m1 (lighter dark scalar)", f"{uv['m1']:g} GeV"),
            ("m2", "decoupled (∞)" if m2 == "inf" else f"{float(m2):g} GeV"),
            ("θ (scalar mixing)", f"{uv['theta']:.6g} rad (sin 2θ = {model['sin2theta']:.4g})"),
            ("g_D, Q_D", f"{uv['g_D']:g}, {uv['Q_D']:g}"),
            ("y", ", ".join(f"{a:g}" for a, _ in uv["y"])),
            ("y′", ", ".join(f"{a:g}" for a, _ in uv["yp"])),
            ("A′ dark width", gamma_desc),
        ],
        "From the card's [uv] and [dark_photon] sections (masses in GeV).",
        align="left",
    )
    mu_rows = [(e["pair"], sci(e["abs_GeV-1"]), sci(e["abs_muB"])) for e in model["mu_D_flavour"]]
    mu_rows += [(f"mass basis {k[0]}{k[1]}", "", sci(v)) for k, v in model["mu_D_mass_abs_muB"].items()]
    mutab = Table(
        "Dark transition magnetic moment μ_D",
        ("entry", "|μ| [GeV⁻¹]", "|μ| [μ_B]"),
        mu_rows,
        "Scalar-radiated loop of the UV model (spectra/uv.py, arXiv:2603.25704), Dirac-normalised, flavour basis "
        "(antisymmetric, μ_ji = −μ_ij), then the mass basis (PMNS NuFIT 5.2). The fermion-radiated loop is not "
        f"included: its antisymmetric part is {model['fermion_radiated_over_scalar_radiated']:.3g} × the "
        "scalar-radiated one in darktmm's bookkeeping (see the README caveats).",
    )
    lfv = Table(
        "Charged-lepton flavour violation",
        ("decay", "BR (this point)", "90% CL limit", "experiment", "reference", ""),
        [
            (
                r["decay"],
                sci(r["br"]),
                sci(r["limit"], 2),
                r["experiment"],
                r["reference"],
                "allowed" if r["allowed"] else "EXCLUDED",
            )
            for r in model["lfv"]
        ],
        "BR(ℓ → ℓ′γ) of the card's Yukawas y, y′ from the same loop (detectors/meg.py, uv_model_meg.md).",
    )
    rad = model["radiative_mass"]
    rad_txt = (
        f"Radiative Majorana mass: {rad['note']}."
        if rad.get("matrix_eV") is None
        else f"Radiative Majorana mass estimate: max|m_ν| = {sci(rad['max_abs_eV'])} eV"
        + (f" (above the {rad['threshold_eV']:g} eV warning threshold)." if rad["exceeds"] else ".")
    )
    c = model.get("mu_D_cap") or {}
    cap_txt = (
        f"MEG II cap ({c['prescription']} prescription, binding channel {c['channel']}): |μ_D^(eμ)| < "
        f"{sci(c['mu_D_max_muB'], 4)} μ_B = {sci(c['mu_D_max_GeV-1'], 4)} GeV⁻¹, P_max = {sci(c['P_max'])} "
        f"({'perturbative' if c['perturbative'] else 'NON-perturbative'})."
        if c
        else f"MEG II cap: not available ({model.get('mu_D_cap_note', '')})."
    )
    sections.append(
        Section(
            "model",
            "The UV model: μ_D, BR(ℓ → ℓ′γ), radiative mass",
            [mtab, mutab, lfv, Paragraphs([cap_txt, rad_txt])],
            intro="The same computation as `darktmm model --card` (JSON in report.json and root/model.root).",
        )
    )

    # 3. limits
    items = []
    for t in tables:
        name = _EXP_NAMES.get(t.experiment, t.experiment)
        items.append(
            Figure(
                files["figures"][t.experiment], f"{name}: 90% CL limit", _limit_caption(t, cfg, files, prov)
            )
        )
        cols, rows = _limit_rows(t)
        out = t.info.get("masses_outside_GeV")
        extra = (
            f" Masses outside the search (left out): {', '.join(_mass(m) for m in out)} GeV." if out else ""
        )
        unit = "μ_B (ε·μ_eff)" if t.unit == "muB" else "dimensionless ε"
        items.append(
            Table(f"{name}: limit per mass", cols, rows, f"Limits in {unit}; m_A′ in GeV.{extra}", fold=12)
        )
        fig = files["figures"][t.experiment]
        links = [("ROOT (tree 'limits')", files["root"][t.experiment], "")]
        hep = files.get("hepdata_tables", {}).get(t.experiment)
        if hep:
            links.append(("HEPData table", hep, ""))
        links += [("PNG", fig + ".png", ""), ("PDF", fig + ".pdf", "")]
        items.append(Files(f"{name} files", links, inline=True))
    sections.append(
        Section(
            "limits",
            "Each experiment's limit",
            items,
            intro="Borexino's limit is computed at the masses the hierarchy computes (above the card's scaling_above "
            "the hierarchy scales it as m²); the accelerator limits are those of this model point at every scanned "
            "mass (its own A′ widths and P_inv), as the hierarchy uses them.",
        )
    )

    # 4. hierarchy
    kappa = bx.get("kappa_mu_eff_over_mu_emu")
    sc = bx.get("scaling_above_GeV")
    hcap = (
        "Upper bounds on ε·|μ_D^(eμ)| [μ_B] against m_A′ [GeV]: Borexino Phase II (black, "
        f"{bx['method']} likelihood, flavour '{bx['flavour']}'"
        + (f": the flavour-blind limit divided by κ = μ_eff/|μ_D^(eμ)| = {kappa:.3f}" if kappa else "")
        + (f"; scaled as m² above {sc:g} GeV" if sc else "")
        + "), the MEG II cap alone with ε ≤ 1 (dotted), and MEG II × NA64, MEG II × BaBar "
        "(ε_max × μ_D,max, with ε_max from each invisible search at the model's own P_inv). The lowest curve "
        "dominates. Recipe: detectors/constraints.py, uv_model_meg.md sections 6-7."
    )
    hrows = []
    for p in hpts:
        row = [_mass(p.m_ap)]
        for n in names:
            lim = p.accelerator[n]
            e = getattr(lim, "eps", None)
            ok = (
                bool(getattr(lim, "applicable", False)) and e is not None and math.isfinite(e) and 0 <= e <= 1
            )
            row.append(sci(float(e)) if ok else "n/a")
        r = p.log10_ratio
        row += [
            sci(p.product_muB),
            sci(p.borexino_muB),
            p.dominant.replace(" x ", " × "),
            "n/a" if not math.isfinite(r) else f"{r:+.2f}",
        ]
        hrows.append(tuple(row))
    sections.append(
        Section(
            "hierarchy",
            "The constraint hierarchy",
            [
                Figure(files["figures"]["hierarchy"], "Constraint hierarchy", hcap),
                Table(
                    "Hierarchy per mass",
                    (
                        "m_A′ [GeV]",
                        *(f"ε {n}" for n in names),
                        "(εμ_D)_max [μ_B]",
                        "Borexino [μ_B]",
                        "dominant",
                        "log₁₀(Bx/(εμ_D)_max)",
                    ),
                    hrows,
                    "ε: the invisible search's limit at the model's own P_inv (n/a: it does not apply); bounds in μ_B.",
                ),
                Files("Hierarchy files", _hier_links(files), inline=True),
                *_direct_items(h_summary, files, prov),
            ],
            intro="The same computation as `darktmm constraints --card` (combination of the pieces above).",
        )
    )

    # 5. files
    root_links = [(Path(v).name, v, "") for v in files["root"].values()]
    hep = [(Path(v).name, v, "") for v in files["hepdata"]]
    fig_links = [
        (f"{Path(v).name}.{f}", f"{v}.{f}", "") for v in files["figures"].values() for f in ("png", "pdf")
    ]
    js_links = [(v, v, "") for v in files["json"].values()]
    fitems = [
        Files("Figures (PNG and PDF)", fig_links),
        Files(
            "ROOT files",
            root_links,
            "TTrees with unit-bearing branch titles and a 'runinfo' directory (versions, seed, the card).",
        ),
    ]
    if hep:
        fitems.append(
            Files(
                "HEPData record",
                hep,
                "One submission (hepdata_lib, validated with hepdata-validator): "
                "every limit curve with its band and the hierarchy table.",
            )
        )
    else:
        fitems.append(Paragraphs([files.get("hepdata_note") or "HEPData record not written."]))
    fitems.append(Files("JSON and card", js_links, "report.json holds every number of this page."))
    sections.append(Section("files", "Files", fitems))

    # 6. provenance
    v = prov["versions"]
    seeds = prov["seeds"]
    prow = [
        (k, f"{st['state']}", f"{st['seconds']:.1f}", st["hash"][:16]) for k, st in prov["pieces"].items()
    ]
    data_rows = [(d["file"], d["sha256"], d["status"]) for d in prov["data_files"]]
    reg = prov["registry"]
    counts = {k: sum(1 for x in reg.values() if x == k) for k in ("ok", "missing", "BAD HASH")}
    sections.append(
        Section(
            "provenance",
            "Provenance",
            [
                Table(
                    "Run",
                    ("item", "value"),
                    [
                        ("command", prov["command"]),
                        ("date (UTC)", prov["date_utc"]),
                        ("wall time", f"{prov['wall_time_s']:.1f} s"),
                        ("executor", prov["executor"]),
                        ("data folder", prov["data_dir"] or "(none found)"),
                        ("card", prov["card"]),
                    ],
                    kind="provenance",
                    align="left",
                ),
                Table("Versions", ("package", "version"), list(v.items()), kind="provenance", align="left"),
                Table(
                    "Seeds",
                    ("seed", "value"),
                    [(k, str(x)) for k, x in seeds.items()],
                    kind="provenance",
                    align="left",
                ),
                Table(
                    "Pieces",
                    ("piece", "state", "seconds", "settings hash"),
                    prow,
                    "computed in this run, or reused (--resume) from pieces/NAME.json when the hash of its settings "
                    "(card sections, masses, seed, data files, darktmm version) matched; seconds of the computation.",
                    kind="provenance",
                    pre=True,
                ),
                Table(
                    "Data files read",
                    ("file", "sha256", "registry"),
                    data_rows,
                    "The public data files this report read (recorded as they were opened), their sha256 and the check "
                    "against the registry of detectors/data.py (shared/data/PROVENANCE.md). Registry check of the data "
                    f"folder: {counts['ok']} ok, {counts['missing']} missing, {counts['BAD HASH']} bad hash.",
                    kind="provenance",
                    pre=True,
                ),
                Files(
                    "The card as read (command-line options override it)",
                    [("card.toml", "card.toml", "")],
                    inline=True,
                ),
                Paragraphs([card_text or ""], pre=True),
            ],
        )
    )
    return render(
        f"darktmm report: {bench}",
        desc,
        sections,
        lead=f"darktmm {v.get('darktmm', '')}, {prov['date_utc']}, {len(hpts)} masses from {_mass(hpts[0].m_ap)} to "
        f"{_mass(hpts[-1].m_ap)} GeV. Dark transition magnetic moment of Majorana neutrinos via a dark photon "
        "(arXiv:2603.25704).",
    )


__all__ = [
    "Figure",
    "Files",
    "Paragraphs",
    "Pieces",
    "Section",
    "Table",
    "data_files",
    "git_commit",
    "key_numbers",
    "mass_text",
    "now_utc",
    "page",
    "record_opens",
    "referenced_paths",
    "render",
    "sci",
    "sci_text",
    "settings_hash",
    "write_text",
]
