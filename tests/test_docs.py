"""A Python API that teaches: every public function and class has a docstring with a source and an example.

For each module in :data:`DOCUMENTED_MODULES`, every public (no leading underscore) function and
class *defined in that module* must have a docstring that

* contains a runnable ``>>>`` example (the examples themselves run as doctests, since pytest has
  ``--doctest-modules`` over the source folders), and
* names its source: an arXiv number, a journal, PDG/CODATA, or a reference file
  (``shared/physics/*.md``, ``shared/design.md``, ``PROVENANCE.md``); see :data:`SOURCE_HINT`.

Public methods and properties of those classes must at least have a docstring. Extend
:data:`DOCUMENTED_MODULES` as further modules are documented (the remaining ones are listed in
:data:`NOT_YET_DOCUMENTED` so that the gap stays visible).
"""

from __future__ import annotations

import doctest
import functools
import importlib
import inspect
import pkgutil
import re

import pytest

#: Modules whose public API is fully documented (docstring + source + ``>>>`` example).
DOCUMENTED_MODULES = (
    "darktmm.spectra.constants",
    "darktmm.spectra.validate",
    "darktmm.spectra.model",
    "darktmm.spectra.nue",
    "darktmm.spectra.solar",
    "darktmm.spectra.widths",
    "darktmm.spectra.monophoton",
    "darktmm.spectra.loops",
    "darktmm.spectra.uv",
    "darktmm.spectra.integrate",
    "darktmm.spectra.recoil",
    "darktmm.spectra.accel_mc",
    "darktmm.spectra.kinematics",
    "darktmm.detectors.response",
    "darktmm.detectors.data",
    "darktmm.detectors.solar_data",
    "darktmm.detectors.meg",
    "darktmm.detectors.stats",
    "darktmm.detectors.accel_common",
    "darktmm.detectors.borexino",
    "darktmm.detectors.babar",
    "darktmm.detectors.na64",
    "darktmm.spectra.darkbrem",
    "darktmm.simulate.cards",
    "darktmm.simulate.units",
    "darktmm.simulate.common",
    "darktmm.simulate.histograms",
    "darktmm.simulate.modelcard",
    "darktmm.simulate.hepmc",
    "darktmm.simulate.alloc",
    "darktmm.simulate.events",
    "darktmm.simulate.report",
)

#: Modules not (yet) held to this standard; the lead moves them into DOCUMENTED_MODULES.
NOT_YET_DOCUMENTED = (
    "darktmm.spectra.xenon",
    "darktmm.detectors.xenonnt",
    "darktmm.simulate.scale",
    "darktmm.simulate.shards",
    "darktmm.detectors.constraints",
    "darktmm.simulate.cli",
    "darktmm.simulate.commands",
    "darktmm.simulate.eventio",
    "darktmm.simulate.hepdata",
    "darktmm.simulate.plots",
    "darktmm.simulate.rootio",
    "darktmm.simulate.sampler",
)

#: What counts as naming a source: an arXiv/hep-ph/astro-ph number, a journal or a standard
#: compilation, or one of the project's reference files (``*.md``).
SOURCE_HINT = re.compile(
    r"arXiv|hep-ph/|astro-ph/|nucl-th/|\bPDG\b|CODATA|\.md\b|Phys\. ?Rev|\bPR[CDL]\b|Rev\. Mod\. Phys|\bRMP\b"
    r"|J\. Comput\. Phys|Nucl\. Phys|\bNPB\b|PTEP|Sov\. J|Phys\. Rept|Landolt|\bEPJC\b|mallopt\(3\)"
)


def _public_members(mod):
    """(name, object) of the public functions and classes defined in ``mod`` itself."""
    for name, obj in sorted(vars(mod).items()):
        if name.startswith("_"):
            continue
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == mod.__name__:
            yield name, obj


def _public_class_attributes(cls):
    """(name, docstring) of the public methods and properties defined in the class body."""
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, (staticmethod, classmethod)):
            doc = attr.__func__.__doc__
        elif isinstance(attr, property):
            doc = attr.fget.__doc__
        elif isinstance(attr, functools.cached_property):
            doc = attr.func.__doc__
        elif inspect.isfunction(attr):
            doc = attr.__doc__
        else:
            continue  # dataclass fields, constants
        yield name, doc


def test_module_lists_are_disjoint_and_complete():
    """Every public module of darktmm.spectra, darktmm.detectors and darktmm.simulate (top level; the
    ``commands`` package counts as one entry) is in exactly one of the two lists.

    A new module makes this fail until it is added to DOCUMENTED_MODULES (or, for now, to
    NOT_YET_DOCUMENTED).
    """
    seen = set()
    for layer in ("darktmm.spectra", "darktmm.detectors", "darktmm.simulate"):
        pkg = importlib.import_module(layer)
        names = (i.name for i in pkgutil.iter_modules(pkg.__path__, prefix=layer + "."))
        seen |= {n for n in names if not n.rsplit(".", 1)[-1].startswith("_")}  # private modules are exempt
    assert not set(DOCUMENTED_MODULES) & set(NOT_YET_DOCUMENTED)
    assert set(DOCUMENTED_MODULES) | set(NOT_YET_DOCUMENTED) >= seen


@pytest.mark.parametrize("modname", DOCUMENTED_MODULES)
def test_public_api_has_source_and_example(modname):
    mod = importlib.import_module(modname)
    problems = []
    for name, obj in _public_members(mod):
        doc = inspect.getdoc(obj) or ""
        if ">>>" not in doc:
            problems.append(f"{name}: no '>>>' example")
        if not SOURCE_HINT.search(doc):
            problems.append(f"{name}: no source (arXiv, journal, PDG/CODATA or a reference *.md)")
    assert not problems, f"{modname}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("modname", DOCUMENTED_MODULES)
def test_public_methods_have_docstrings(modname):
    mod = importlib.import_module(modname)
    missing = [
        f"{cname}.{name}"
        for cname, cls in _public_members(mod)
        if inspect.isclass(cls)
        for name, doc in _public_class_attributes(cls)
        if not (doc or "").strip()
    ]
    assert not missing, f"{modname}: public methods/properties without a docstring: {missing}"


@pytest.mark.parametrize("modname", DOCUMENTED_MODULES)
def test_module_has_doctests(modname):
    """Each documented module carries examples that doctest collects (module docstring included)."""
    mod = importlib.import_module(modname)
    tests = doctest.DocTestFinder().find(mod)
    assert sum(len(t.examples) for t in tests) > 0, f"{modname} has no doctest examples"
