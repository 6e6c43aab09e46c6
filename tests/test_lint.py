"""ruff lint and format are part of the test suite (configuration in pyproject.toml)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["spectra", "detectors", "simulate", "tests", "benchmarks"]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is installed by the [test] extra")
@pytest.mark.parametrize("cmd", [["ruff", "check", "-q"], ["ruff", "format", "--check", "-q"]])
def test_ruff(cmd):
    p = subprocess.run(cmd + PATHS, cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
