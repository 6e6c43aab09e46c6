"""The sub-commands of ``darktmm``, one module each.

A command module has ``add_parser(sub)`` (adds its parser to the ``darktmm`` sub-parsers and sets
``func=run``) and ``run(args) -> int``. ``run`` parses what argparse left as text, builds the
model once, calls the library (``darktmm.detectors``, ``darktmm.simulate.sampler``, ...) and
prints or writes; the physics and the fits live below it. Heavy imports happen inside ``run``
only, so that ``darktmm --help`` starts fast.
"""

from __future__ import annotations

import importlib

#: The commands, in the order ``darktmm --help`` lists them.
COMMANDS = ("spectrum", "limit", "generate", "constraints", "model", "report", "merge", "data")


def module(name: str):
    """The module of command ``name``."""
    return importlib.import_module(f"darktmm.simulate.commands.{name}")


__all__ = ["COMMANDS", "module"]
