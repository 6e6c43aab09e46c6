"""Shared helpers of the commands (a leaf module: it imports no other command module).

* :func:`versions` - package versions for every output's metadata;
* :func:`emit` - the one way a command prints its result (``--json`` or a table);
* :func:`progress_bar` - a tqdm bar on stderr, or None (``--json``, or not a terminal);
* :func:`check_outputs` - every output path checked before any work: suffix, folder, no silent
  overwrite, ``--plot`` different from ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import sys
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """argparse with no abbreviations (a typo must not run another job) and one-line errors (a
    ParameterError, which the dispatcher prints as one line with exit code 2). Design: shared/design.md
    (``cli.py``: errors -> one line, exit 2). No physical units.

    >>> Parser(prog="demo").parse_args(["--bad"])
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: unrecognized arguments: --bad
    """

    def __init__(self, *a, **kw):
        kw.setdefault("allow_abbrev", False)
        super().__init__(*a, **kw)

    def error(self, message):
        """Raise argparse's ``message`` as a one-line ParameterError (instead of printing usage and exiting)."""
        from darktmm.spectra.validate import ParameterError

        m = re.match(r"argument (--[\w-]+)(?:/[^:]*)?: (.*)$", message, re.S)
        if m and m.group(2).startswith(m.group(1) + " = "):
            message = m.group(2)  # the value's own message already names the option
        if "expected one argument" in message:
            message += " (a negative value must be written with '=', e.g. --z-window=-0.4,0.6)"
        raise ParameterError(message)


class OutputError(RuntimeError):
    """An output path that cannot be written (or would overwrite a file without --force); see
    shared/design.md (``common.py``: ``check_outputs``).

    >>> check_output("x.txt", "--out", (".root",))
    Traceback (most recent call last):
    darktmm.simulate.common.OutputError: --out x.txt: the file name must end in .root
    """


#: Picture formats that matplotlib writes for ``--plot``.
PLOT_SUFFIXES = (".png", ".pdf", ".svg")


def run_keys(
    *, out: str | None = ".root", plot: bool = True, seed: bool = True, data_dir: bool = True
) -> dict:
    """The top-level card keys (and options) most commands share: out, plot, json, seed, data_dir
    (shared/design.md, ``cards.py``; no physical units).

    >>> sorted(run_keys()), list(run_keys(out=None, plot=False, data_dir=False))
    (['data_dir', 'json', 'out', 'plot', 'seed'], ['json', 'seed'])
    """
    from darktmm.simulate.cards import Key

    keys = {}
    if out:
        keys["out"] = Key("str", None, f"output file ({out}); without it no file is written", flag="--out")
    if plot:
        keys["plot"] = Key("str", None, "draw the result into a picture (.png, .pdf or .svg)")
    keys["json"] = Key("bool", False, "print a JSON summary (GeV, mu_B) on stdout")
    if seed:
        keys["seed"] = Key("int", 1, "seed of the run's numpy Generator", lo=0)
    if data_dir:
        keys["data_dir"] = Key("str", None, "folder of the public data files (else $DARKTMM_DATA, the cache)")
    return keys


def detector_default(module: str, attr: str):
    """A lazy default: ``darktmm.detectors.<module>.<attr>``, read when needed (the detector module,
    the one home of its numbers, is imported at run time only, so the parser starts fast). The value keeps
    the unit of the detector attribute. Design: shared/design.md ("each detector number in one home").

    >>> get = detector_default("data", "ENV_VAR")
    >>> callable(get), get()
    (True, 'DARKTMM_DATA')
    """

    def get():
        import importlib

        obj = importlib.import_module(f"darktmm.detectors.{module}")
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj

    return get


def dark_photon_keys(l_det, *, m_ap: float | None = None, eps: float | None = None) -> dict:
    """The A' model options shared by the accelerator experiments (spectrum, limit, generate):
    m_A' and eps (when the command takes one point), mu_D, Gamma_dark and the detector length.
    m_ap, gamma_dark in GeV, mu_d in mu_B, l_det in m (accelerator.md 7; card keys of shared/design.md).

    >>> keys = dark_photon_keys(2.0, m_ap=0.001)
    >>> list(keys), keys["l_det"].get_default()
    (['m_ap', 'mu_d', 'gamma_dark', 'l_det'], 2.0)
    """
    from darktmm.simulate.cards import Key

    keys = {}
    if m_ap is not None:
        keys["m_ap"] = Key("energy", m_ap, "dark-photon mass m_A' with unit", lo=0.0)
    if eps is not None:
        keys["eps"] = Key("float", eps, "kinetic mixing eps", lo=0.0, hi=1.0)
    keys["mu_d"] = Key("moment", 0.0, "dark TMM scale mu_D, flavour blind, with unit (e.g. 1e-9muB)", lo=0.0)
    keys["gamma_dark"] = Key("energy", 0.0, "extra invisible A' width with unit", lo=0.0)
    keys["l_det"] = Key(
        "length", l_det, "detector length for P_inv, with unit (default: the detector's)", lo=0.0
    )
    return keys


def add_cli_only(parser, *, card: bool = True, force: bool = True) -> None:
    """``--card`` and ``--force``: options of the command line only (never read from a card;
    shared/design.md, ``cards.py``).

    >>> p = Parser(prog="demo")
    >>> add_cli_only(p)
    >>> vars(p.parse_args(["--force"]))
    {'card': None, 'force': True}
    """
    if card:
        parser.add_argument("--card", metavar="FILE.toml", help="TOML card; command-line options override it")
    if force:
        parser.add_argument("--force", action="store_true", help="replace existing output files")


def add_experiment_parsers(
    sub,
    command: str,
    schema,
    *,
    selector: str,
    help: str,
    description: str,
    run,
    helps: dict,
    epilog: str | None = None,
    out: str = ".root",
    extra=None,
) -> None:
    """``darktmm COMMAND EXPERIMENT [options]``: one sub-parser per experiment (or process) of
    ``schema``, each listing only the options that experiment uses (argparse then refuses the
    others). ``darktmm COMMAND --card FILE`` alone takes the experiment from the card's
    ``selector`` key. Design: shared/design.md (``cli.py``, ``cards.py``); values in GeV.

    >>> from darktmm.simulate.cards import Key, Schema
    >>> s = Schema("demo", {"": {"process": Key("str")}, "x": {"m_ap": Key("energy", 0.0)}, "y": {}})
    >>> top = Parser(prog="darktmm")
    >>> sub = top.add_subparsers(parser_class=Parser)
    >>> add_experiment_parsers(sub, "run", s, selector="process", help="h", description="d", run=print,
    ...                        helps={"x": "process x", "y": "process y"})
    >>> a = top.parse_args(["run", "x", "--m-ap", "2MeV"])
    >>> a.process, a.m_ap.value
    ('x', 0.002)
    >>> top.parse_args(["run", "y", "--m-ap", "2MeV"])
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: unrecognized arguments: --m-ap 2MeV
    """
    from darktmm.simulate import cards

    p = sub.add_parser(command, help=help, description=description, epilog=epilog)
    p.add_argument("--card", metavar="FILE.toml", help=f"TOML card naming the {selector} ({selector} = ...)")
    p.set_defaults(func=lambda args: _no_selector(command, selector))
    exps = p.add_subparsers(dest=selector, parser_class=Parser, metavar=selector.upper())
    top = {k: v for k, v in schema.keys_of("").items() if k != selector}
    for name, h in helps.items():
        q = exps.add_parser(name, help=h, description=f"{description} {name}: {h}.", epilog=epilog)
        cards.add_options(q, top)
        cards.add_options(q, schema.keys_of(name), group=f"{name} options")
        add_cli_only(q)
        if extra is not None:
            extra(q, name)
        q.set_defaults(func=run)


def _no_selector(command: str, selector: str) -> int:
    from darktmm.spectra.validate import ParameterError

    raise ParameterError(
        f"'darktmm {command}' needs a {selector} (see 'darktmm {command} --help') or a --card that names one"
    )


def resolve_args(args, schema, *, selector: str):
    """The configuration of a run: defaults < card < command line (``simulate.cards.resolve``).

    Returns (config, card text or None). The card's ``selector`` key, if any, must agree with the
    experiment given on the command line. Design: shared/design.md (``cards.py``); energies in GeV.

    >>> import argparse
    >>> from darktmm.simulate.cards import Key, Schema
    >>> s = Schema("demo", {"": {"process": Key("str"), "seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> resolve_args(argparse.Namespace(process="x", seed=None, m_ap=None, card=None), s, selector="process")
    ({'process': 'x', 'seed': 1, 'x': {'m_ap': 0.0}}, None)
    """
    from darktmm.simulate import cards
    from darktmm.spectra.validate import ParameterError

    name = getattr(args, selector)
    card, text = ({}, None)
    if getattr(args, "card", None):
        card, text = cards.load_card(schema, args.card)
        other = card.get(selector)
        if other is not None and other.lower() != name:
            raise ParameterError(f"--card {args.card} is for {selector} = {other!r}, not {name!r}")
    ov = cards.overrides(args, schema, (name,))
    ov[selector] = name
    cfg = cards.resolve(schema, card, ov, tables=(name,))
    return cfg, text


def versions() -> dict:
    """Versions of darktmm and of the packages that shape its numbers (output metadata, shared/design.md
    ``common.py``).

    >>> import numpy
    >>> v = versions()
    >>> sorted(v), v["numpy"] == numpy.__version__
    (['awkward', 'darktmm', 'numpy', 'python', 'scipy', 'uproot', 'vegas'], True)
    """
    import awkward
    import numpy
    import scipy
    import uproot
    import vegas

    from darktmm import __version__

    return {
        "darktmm": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "vegas": vegas.__version__,
        "uproot": uproot.__version__,
        "awkward": awkward.__version__,
    }


def emit(as_json: bool, summary: dict, table: str):
    """Print the strict-JSON ``summary`` with ``--json``, else the human ``table`` (shared/design.md:
    ``emit`` is the one way a command prints; summaries in GeV and mu_B).

    >>> emit(False, {"limit": 1.0}, "limit 1.0 muB")
    limit 1.0 muB
    >>> emit(True, {"limit": float("inf")}, "unused")
    {
      "limit": null
    }
    """
    print(to_json(summary) if as_json else table)


def _json_default(o):
    import numpy as np

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
    import numpy as np

    if isinstance(o, (float, np.floating)) and not np.isfinite(o):
        return None
    return o


def to_json(obj) -> str:
    """Strict JSON (inf and nan become null; RFC 8259 has no Infinity/NaN; shared/design.md ``rootio.py``).
    numpy arrays become lists, complex numbers [re, im].

    >>> import numpy as np
    >>> print(to_json({"m_GeV": np.array([0.1, 0.2]), "eps": float("nan")}).replace("\\n", "").replace(" ", ""))
    {"m_GeV":[0.1,0.2],"eps":null}
    """
    return json.dumps(_finite(obj), default=_json_default, indent=2, sort_keys=False, allow_nan=False)


def progress_bar(total, quiet, unit="mass", unit_scale=False):
    """A tqdm bar on stderr, or None when ``quiet`` (--json) or stderr is not a terminal
    (shared/design.md, ``common.py``; ``unit`` is the label of one step, e.g. a mass).

    >>> progress_bar(10, quiet=True) is None
    True
    """
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=unit_scale, file=sys.stderr, leave=False)


@contextlib.contextmanager
def progress(total, quiet, **kw):
    """``with progress(n, args.json) as tick:`` - the bar's update function (or None), closed after
    (shared/design.md, ``common.py``).

    >>> with progress(3, True) as tick:
    ...     tick is None
    True
    """
    bar = progress_bar(total, quiet, **kw)
    try:
        yield bar.update if bar else None
    finally:
        if bar is not None:
            bar.close()


def check_output(path, flag: str, suffixes: tuple, *, force: bool = False) -> Path:
    """One output path: its suffix is one of ``suffixes``, its folder exists and is writable, and an
    existing file is replaced only with ``--force``. Errors name ``flag``. Design: shared/design.md
    (``check_outputs``: every output checked before any work).

    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "out.root"
    >>> check_output(p, "--out", (".root",)) == p
    True
    >>> _ = p.write_text("x")
    >>> check_output(p, "--out", (".root",), force=True) == p
    True
    """
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise OutputError(f"{flag} {p}: the file name must end in {' or '.join(suffixes)}")
    d = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise OutputError(f"{flag} {p} is a directory")
    if not d.is_dir():
        raise OutputError(f"{flag} {p}: folder {d} does not exist")
    if not os.access(d, os.W_OK) or not _really_writable(d):
        raise OutputError(f"{flag} {p}: folder {d} is not writable")
    if p.exists() and not force:
        raise OutputError(f"{flag} {p} exists; add --force to replace it")
    return p


def _really_writable(d: Path) -> bool:
    """os.access says yes for root on read-only or virtual file systems (/proc): try it."""
    import tempfile

    try:
        with tempfile.TemporaryFile(dir=d):
            return True
    except OSError:
        return False


def check_folder(path, flag: str, *, force: bool = False) -> Path:
    """An output folder (``--hepdata DIR``): its parent exists and is writable, and an existing
    non-empty folder is replaced only with ``--force`` (shared/design.md, ``check_outputs``).

    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_folder(d / "new", "--hepdata") == d / "new"
    True
    """
    p = Path(path)
    parent = p.resolve().parent
    if p.exists() and not p.is_dir():
        raise OutputError(f"{flag} {p} is a file, not a folder")
    if not parent.is_dir():
        raise OutputError(f"{flag} {p}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or not _really_writable(parent):
        raise OutputError(f"{flag} {p}: folder {parent} is not writable")
    if p.is_dir() and any(p.iterdir()) and not force:
        raise OutputError(f"{flag} {p} exists and is not empty; add --force to replace it")
    return p


def check_outputs(out, plot, out_suffixes: tuple, *, force: bool = False) -> None:
    """Check ``--out`` and ``--plot`` of a command before any work (see :func:`check_output`;
    shared/design.md). The picture may not overwrite the data file:

    >>> check_outputs("a.png", "a.png", (".png",))
    Traceback (most recent call last):
    darktmm.simulate.common.OutputError: --plot a.png is the same file as --out
    """
    if out:
        check_output(out, "--out", out_suffixes, force=force)
    if plot:
        check_output(plot, "--plot", PLOT_SUFFIXES, force=force)
        if out and Path(out).resolve() == Path(plot).resolve():
            raise OutputError(f"--plot {plot} is the same file as --out")


__all__ = [
    "OutputError",
    "add_experiment_parsers",
    "check_folder",
    "resolve_args",
    "PLOT_SUFFIXES",
    "add_cli_only",
    "run_keys",
    "check_output",
    "check_outputs",
    "emit",
    "progress_bar",
    "versions",
]
