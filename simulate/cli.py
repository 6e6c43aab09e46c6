"""The ``darktmm`` command: parsing, units, one-line errors, exit codes.

Conventions (every sub-command):

* masses and energies take units: ``--m-ap 0.5MeV``, ``--masses 1e-3:100:30MeV`` (log-spaced);
* ``--out FILE`` is optional; without it nothing is written. Files are written atomically;
* ``--json`` prints one machine-readable summary on stdout, always in GeV and mu_B, and nothing
  else (progress and tables go to stderr or are suppressed);
* ``--plot FILE.png`` draws the result;
* bad input prints one line ``darktmm: error: ...`` on stderr and exits with code 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from darktmm.detectors.data import DataError
from darktmm.simulate.rootio import OutputError
from darktmm.spectra.validate import ParameterError

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one readable line, exit 2
        if "expected one argument" in message:
            message += " (a negative value must be written with '=', e.g. --m-ap=-1MeV)"
        raise ParameterError(message)


EXPERIMENTS_SPECTRUM = ("borexino", "babar", "na64")
EXPERIMENTS_LIMIT = ("borexino", "babar", "na64")


def _common(p):
    p.add_argument("--out", help="output file (.root); without it no file is written")
    p.add_argument("--json", action="store_true", help="print a JSON summary (GeV, mu_B) on stdout")
    p.add_argument("--plot", metavar="FILE.png", help="draw the result into an image file")
    p.add_argument("--seed", type=int, default=1, help="seed of the run's numpy Generator (default 1)")
    p.add_argument("--data-dir", help="directory holding the public data files (else $DARKTMM_DATA, cache)")
    p.add_argument("--card", help="TOML run card; command-line options override it")


#: Modules that add their own sub-commands: each has ``add_parsers(subparsers, common)`` and
#: ``HANDLERS = {command: function(args) -> exit code}``.
PLUGINS = ("darktmm.simulate.generate_cli", "darktmm.simulate.constraints_cli")


def _plugins():
    import importlib

    out = []
    for name in PLUGINS:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="darktmm",
        description="Dark transition magnetic moments of Majorana neutrinos: "
        "recoil spectra, accelerator signals, limits and events (arXiv:2603.25704).",
    )
    from darktmm import __version__

    p.add_argument("--version", action="version", version=f"darktmm {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser("spectrum", help="recoil or signal spectra for one model point")
    s.add_argument("experiment", help="borexino | babar | na64")
    s.add_argument("--m-ap", default="0", help="dark-photon mass with unit, e.g. 0.5MeV (default 0)")
    s.add_argument(
        "--eps-mu",
        type=float,
        default=None,
        help="Borexino: effective moment eps*mu_eff in mu_B (flavour blind; default 1e-11)",
    )
    s.add_argument("--eps", type=float, default=None, help="kinetic mixing (BaBar, NA64)")
    s.add_argument("--gamma-dark", default="0", help="extra invisible width with unit (default 0)")
    s.add_argument("--rtol", type=float, default=1e-3, help="per-bin MC precision target (default 1e-3)")
    s.add_argument("--resonance", default="all", help="BaBar: 2S, 3S, 4S, a comma list, or all (default)")
    s.add_argument("--isr", action="store_true", help="BaBar: generate leading-log initial-state radiation")
    s.add_argument(
        "--offshell",
        action="store_true",
        help="BaBar: A'* -> invisible continuum (widths from --eps-mu, --gamma-dark)",
    )
    s.add_argument("--efficiency", type=float, default=None, help="NA64: signal efficiency (default 0.6)")
    s.add_argument("--L-det", type=float, default=None, help="BaBar/NA64: detector length in m for P_inv")
    s.add_argument(
        "--annihilation", action="store_true", help="NA64: add resonant e+ e- -> A' of shower positrons"
    )
    _common(s)

    lim = sub.add_parser("limit", help="90%% CL upper limits against m_A'")
    lim.add_argument("experiment", help="borexino | babar | na64")
    lim.add_argument("--masses", default="1e-3:100:30MeV", help="lo:hi:n with unit, or a comma list")
    lim.add_argument("--method", default="auto", help="Borexino: auto | spectral | rates")
    lim.add_argument("--treatment", default="ssm", help="Borexino pp/7Be priors: ssm | ga | free")
    lim.add_argument("--rtol", type=float, default=1e-3, help="per-bin MC precision target (default 1e-3)")
    lim.add_argument("--gamma-dark", default="0", help="extra invisible width with unit (default 0)")
    lim.add_argument("--eps-mu", type=float, default=None, help="BaBar/NA64: dark TMM scale mu_D in mu_B")
    lim.add_argument("--efficiency", type=float, default=None, help="NA64: signal efficiency (default 0.6)")
    lim.add_argument("--L-det", type=float, default=None, help="BaBar/NA64: detector length in m for P_inv")
    lim.add_argument(
        "--annihilation", action="store_true", help="NA64: add resonant e+ e- -> A' of shower positrons"
    )
    _common(lim)

    for mod in _plugins():
        mod.add_parsers(sub, _common)

    d = sub.add_parser("data", help="find, verify or fetch the public data files")
    d.add_argument("action", help="where | verify | fetch")
    d.add_argument("--data-dir", help="directory to check or to fetch into")
    d.add_argument("--base-url", help="fetch from this mirror instead of the public origins")
    d.add_argument("--json", action="store_true")
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        args = build_parser().parse_args(argv)
        from darktmm.simulate import runs

        return runs.dispatch(args)
    except (ParameterError, DataError, OutputError) as exc:
        print(f"darktmm: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("darktmm: interrupted; no output file was written", file=sys.stderr)
        return 130
    except BrokenPipeError:  # pragma: no cover
        os._exit(1)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
