"""The ``darktmm`` command: the one parser and dispatcher, one-line errors, exit codes, signals.

Every sub-command lives in its own module under :mod:`darktmm.simulate.commands`; each adds its
parser with ``add_parser(sub)`` and sets ``func=run``. This module only parses, dispatches and
turns errors into one line. Conventions of every sub-command:

* dimensioned values carry their unit: ``--m-ap 0.5MeV``, ``--masses 1e-3:100:30MeV``,
  ``--l-det 2m``, ``--eps-mu-eff 1e-11muB``; a bare number is an error (zero may stay bare);
* options are never abbreviated (``--m`` is not ``--m-ap``), and an option that does not apply
  to the chosen experiment is an error;
* ``--out FILE`` is optional; without it nothing is written. Files are written atomically and an
  existing file is replaced only with ``--force``;
* ``--json`` prints one machine-readable summary on stdout, always in GeV and mu_B;
* ``--card FILE.toml`` reads every option from a TOML card (``simulate.cards``); the command line
  overrides it;
* bad input prints one line ``darktmm: error: ...`` on stderr and exits with code 2; Ctrl-C
  exits 130, SIGTERM 143 and SIGHUP 129, leaving no partial file.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from darktmm import __version__
from darktmm.detectors.data import DataError
from darktmm.simulate.common import OutputError, Parser
from darktmm.spectra.validate import ParameterError

EXIT_USAGE = 2


class Terminated(BaseException):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so every temporary file is removed on the way."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def build_parser() -> Parser:
    """The full parser: every command module's sub-parser."""
    from darktmm.simulate.commands import COMMANDS, module

    p = Parser(
        prog="darktmm",
        description="Dark transition magnetic moments of Majorana neutrinos: "
        "recoil spectra, accelerator signals, limits and events (arXiv:2603.25704).",
    )
    p.add_argument("--version", action="version", version=f"darktmm {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser, metavar="COMMAND")
    for name in COMMANDS:
        module(name).add_parser(sub)
    return p


#: Commands whose first positional is chosen by a card key when it is not on the command line.
_SELECTORS = {"spectrum": "experiment", "limit": "experiment", "generate": "process"}


def _insert_card_selector(argv: list) -> list:
    """``darktmm generate --card run.toml --seed 3`` -> ``darktmm generate na64 --card ...`` when
    the card says ``process = "na64"`` (the experiment or process comes from the card)."""
    if (
        len(argv) < 2
        or argv[0] not in _SELECTORS
        or not argv[1].startswith("-")
        or argv[1] in ("-h", "--help")
    ):
        return argv
    path = None
    for i, a in enumerate(argv):
        if a == "--card" and i + 1 < len(argv):
            path = argv[i + 1]
        elif a.startswith("--card="):
            path = a.split("=", 1)[1]
    if path is None:
        return argv
    from darktmm.simulate.cards import read_toml

    raw, _ = read_toml(path)
    key = _SELECTORS[argv[0]]
    name = raw.get(key)
    if not isinstance(name, str):
        raise ParameterError(
            f"--card {path}: no {key}; give it on the command line or as {key} = ... in the card"
        )
    return [argv[0], name.lower(), *argv[1:]]


def _unknown(parser, argv, extra) -> str:
    """'--resonance does not apply to darktmm spectrum borexino (it is an option of babar)'."""
    words = []
    for a in argv:
        if a.startswith("-") or len(words) == 2:
            break
        words.append(a)
    where = " ".join(["darktmm", *words])
    flag = next((x.split("=")[0] for x in extra if x.startswith("--")), None)
    msg = f"{' '.join(extra)}: not an option of '{where}' (see '{where} --help')"
    if flag and len(words) == 2:
        owners = []
        for sp in _subparsers(parser):
            if words[0] in sp.choices:
                for name, q in (
                    _subparsers(sp.choices[words[0]])[0].choices.items()
                    if _subparsers(sp.choices[words[0]])
                    else ()
                ):
                    if any(flag in a.option_strings for a in q._actions):  # noqa: SLF001
                        owners.append(name)
        if owners:
            msg = f"{flag} does not apply to '{where}'; it is an option of {', '.join(owners)}"
    return msg


def _subparsers(p) -> list:
    return [a for a in p._actions if isinstance(a, argparse._SubParsersAction)]  # noqa: SLF001


def _raise_terminated(signum, frame):  # pragma: no cover - exercised by subprocess tests
    raise Terminated(signum)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    old = {}
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            old[sig] = signal.signal(sig, _raise_terminated)
        except (ValueError, OSError):  # not the main thread
            pass
    try:
        argv = _insert_card_selector(argv)
        parser = build_parser()
        args, extra = parser.parse_known_args(argv)
        if extra:
            raise ParameterError(_unknown(parser, argv, extra))
        return args.func(args)
    except (ParameterError, DataError, OutputError) as exc:
        print(f"darktmm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("darktmm: interrupted; no partial output file was left", file=sys.stderr)
        return 130
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"darktmm: stopped by {name}; no partial output file was left", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:  # pragma: no cover
        os._exit(1)
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
