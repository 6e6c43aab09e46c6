"""The install: one ``darktmm`` namespace, the design card's folders mapped into it (issue 9)."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata


def _run(code: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True)


def test_darktmm_layers_import_from_any_folder(tmp_path):
    r = _run(
        "import darktmm.spectra, darktmm.detectors, darktmm.simulate, darktmm; print(darktmm.__version__)",
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == metadata.version("darktmm")


def test_bare_layer_names_are_not_installed(tmp_path):
    for name in ("spectra", "detectors", "simulate"):
        r = _run(f"import {name}", tmp_path)
        assert r.returncode != 0 and "ModuleNotFoundError" in r.stderr, name


def test_top_level_is_darktmm_only():
    dist = metadata.distribution("darktmm")
    top = dist.read_text("top_level.txt")
    if top is not None:  # wheels and editable installs of setuptools write it
        assert top.split() == ["darktmm"]
    assert metadata.version("darktmm") == __import__("darktmm").__version__


def test_public_api_names_resolve():
    import darktmm

    for name in darktmm.__all__:
        assert getattr(darktmm, name) is not None, name


def test_licence_is_declared_and_shipped():
    meta = metadata.metadata("darktmm")
    assert meta["License-Expression"] == "GPL-3.0-or-later"
