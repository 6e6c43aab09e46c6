"""One module per ``darktmm`` sub-command: ``add_parser(sub)`` and ``run(args) -> int``."""
