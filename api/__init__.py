"""darktmm: Monte Carlo recoil spectra, accelerator signals, limits and event samples for the dark
transition magnetic moment of Majorana neutrinos mediated by a dark photon (arXiv:2603.25704).

The package has three layers, each its own sub-package, with data flowing one way:

* :mod:`darktmm.spectra` - the physics (arrays in GeV, no I/O);
* :mod:`darktmm.detectors` - the experiments: response, data, likelihoods and limits;
* :mod:`darktmm.simulate` - runs: events, cards, the ``darktmm`` command, ROOT/HepMC3 output.

The names below are the user-facing API, imported on first use (``import darktmm`` itself loads
nothing heavy, so the command line starts fast):

>>> import darktmm
>>> model = darktmm.DarkSector.flavour_blind(m_ap=1e-3, eps=1.0, mu_eff_muB=1e-11)
>>> model.m_ap
0.001
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> module that defines it (imported lazily, PEP 562)
_API = {
    # the model
    "DarkSector": "darktmm.spectra.model",
    "Oscillation": "darktmm.spectra.model",
    "NUFIT52": "darktmm.spectra.model",
    "ParameterError": "darktmm.spectra.validate",
    # the processes (VEGAS integrands)
    "RecoilProcess": "darktmm.spectra.recoil",
    "MonophotonProcess": "darktmm.spectra.accel_mc",
    "DarkBremProcess": "darktmm.spectra.accel_mc",
    "Vegas": "darktmm.spectra.integrate",
    "EventRun": "darktmm.simulate.sampler",
    "Histograms": "darktmm.simulate.histograms",
    # event generation and writing
    "generate": "darktmm.simulate.sampler",
    "NuElectronEvents": "darktmm.simulate.events",
    "MonophotonEvents": "darktmm.simulate.events",
    "DarkBremEvents": "darktmm.simulate.events",
    "write_root": "darktmm.simulate.eventio",
    "write_hepmc": "darktmm.simulate.hepmc",
}
#: experiments, as modules: ``darktmm.borexino.limit(...)``
_MODULES = {
    "borexino": "darktmm.detectors.borexino",
    "babar": "darktmm.detectors.babar",
    "na64": "darktmm.detectors.na64",
    "meg": "darktmm.detectors.meg",
    "constraints": "darktmm.detectors.constraints",
    "units": "darktmm.simulate.units",
}

__all__ = ["__version__", *_API, *_MODULES]


def __getattr__(name: str):
    if name in _API:
        value = getattr(importlib.import_module(_API[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name])
    else:
        raise AttributeError(f"module 'darktmm' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
