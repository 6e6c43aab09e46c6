"""darktmm runs: event sampling, run cards, the darktmm command, ROOT and other output."""

from darktmm import __version__  # noqa: F401
