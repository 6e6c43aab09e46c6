"""darktmm runs: event sampling, run cards, the darktmm command, ROOT and other output."""

#: The modules of this layer (import them as ``darktmm.simulate.<name>``).
__all__ = [
    "alloc",
    "cards",
    "cli",
    "commands",
    "common",
    "eventio",
    "events",
    "hepdata",
    "hepmc",
    "histograms",
    "modelcard",
    "plots",
    "rootio",
    "sampler",
    "units",
]
