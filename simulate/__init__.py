"""darktmm runs: event sampling, run cards, the darktmm command, ROOT and other output."""

from spectra import __version__  # noqa: F401
