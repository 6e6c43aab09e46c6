"""Command-line edges: unit parsing and one-line errors with exit code 2."""

import json
import subprocess
import sys

import numpy as np
import pytest

from darktmm.simulate.cli import main
from darktmm.simulate.units import parse_energy, parse_mass_range
from darktmm.spectra.validate import ParameterError


@pytest.mark.parametrize(
    "text,gev", [("0.5MeV", 5e-4), ("10keV", 1e-5), ("3 eV", 3e-9), ("2GeV", 2.0), ("0", 0.0)]
)
def test_parse_energy(text, gev):
    assert parse_energy(text) == pytest.approx(gev, rel=1e-12)


def test_mass_range_is_log_spaced_and_inclusive():
    m = parse_mass_range("1e-3:100:30MeV")
    assert len(m) == 30
    assert m[0] == pytest.approx(1e-6) and m[-1] == pytest.approx(0.1)
    assert np.allclose(np.diff(np.log(m)), np.log(1e5) / 29)


@pytest.mark.parametrize("bad", ["abc", "1furlong", "1:2MeV", "0:1:3MeV", "1:2:xMeV", "1e-3", "1:100:5"])
def test_bad_ranges_raise(bad):
    with pytest.raises(ParameterError):
        parse_mass_range(bad) if ":" in bad else parse_energy(bad)


@pytest.mark.parametrize(
    "argv,needle",
    [
        (["spectrum", "atlas"], "invalid choice: 'atlas'"),
        (["spectrum", "borexino", "--m-ap", "-1MeV"], "--m-ap"),
        (["limit", "borexino", "--masses", "-1:2:3MeV"], "masses"),
        (["spectrum", "borexino", "--m-ap", "1parsec"], "unknown unit"),
        (
            [
                "limit",
                "borexino",
                "--data-dir",
                "/nonexistent/dir",
                "--method",
                "spectral",
                "--masses",
                "1MeV",
            ],
            "not a directory",
        ),
        (["spectrum", "borexino", "--out", "/nonexistent/dir/x.root"], "does not exist"),
        (["frobnicate"], "invalid choice"),
        (["spectrum", "babar", "--eps", "1.5"], "--eps = 1.5 is outside the allowed range [0, 1]"),
        (["spectrum", "borexino", "--m-ap", "0.5"], "needs a unit"),
        (["limit", "borexino", "--masses", "1:100:5"], "needs a unit"),
    ],
)
def test_bad_input_one_line_exit_2(argv, needle, capsys):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2
    assert needle in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_console_script_exits_2_without_traceback():
    p = subprocess.run(
        [sys.executable, "-m", "darktmm.simulate.cli", "spectrum", "borexino", "--m-ap", "-3MeV"],
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2
    assert p.stderr.startswith("darktmm: error:") and "Traceback" not in p.stderr


def test_data_where_json(capsys):
    assert main(["data", "where", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "searched" in out
