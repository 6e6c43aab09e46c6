"""Root conftest: make pytest's doctest collection use the installed ``darktmm.*`` modules.

``--doctest-modules`` imports each source file under its folder name (``spectra.validate``),
whatever the import mode. Without this alias every module would be imported a second time, as a
copy whose classes differ from the installed ones. Here each short name is bound, before any
collection, to the module the package installs (``spectra.validate`` -> ``darktmm.spectra.validate``).
The code itself never uses the short names (ruff TID251 bans them).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

for _layer in ("spectra", "detectors", "simulate"):
    _pkg = importlib.import_module(f"darktmm.{_layer}")
    sys.modules.setdefault(_layer, _pkg)
    for _info in pkgutil.walk_packages(_pkg.__path__, prefix=f"darktmm.{_layer}."):
        _mod = importlib.import_module(_info.name)
        sys.modules.setdefault(_info.name.removeprefix("darktmm."), _mod)
sys.modules.setdefault("api", importlib.import_module("darktmm"))
