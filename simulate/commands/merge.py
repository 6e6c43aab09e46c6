"""``darktmm merge``: one ROOT file from the shards of a sharded run.

    darktmm merge ev.manifest.json --out merged.root [--force] [--json]

Streams the shards listed in the manifest (checked against their sha256) into one file with
bounded memory; the result holds the same objects as ``hadd merged.root ev.shard*.root``
(:func:`darktmm.simulate.shards.merge`). The output is written atomically; an existing file is
replaced only with ``--force``.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> argparse.ArgumentParser:
    """Add the ``merge`` sub-command to an argparse sub-parsers object."""
    p = sub.add_parser(
        "merge",
        help="merge the shards of a sharded run into one ROOT file (as hadd)",
        description="Stream the shards of a sharded run (ev.manifest.json) into one ROOT file; "
        "the content equals ROOT's hadd of the shards.",
    )
    p.add_argument("manifest", help="the run's manifest, e.g. ev.manifest.json")
    p.add_argument("--out", required=True, help="the merged .root file")
    p.add_argument("--force", action="store_true", help="replace an existing --out")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    """Merge; ParameterError/OutputError go to the dispatcher (one line, exit 2)."""
    from darktmm.simulate import rootio, shards
    from darktmm.spectra.validate import ParameterError

    if not str(args.out).lower().endswith(".root"):
        raise ParameterError(f"--out {args.out}: the merged file must end in .root")
    res = shards.merge(args.manifest, args.out, force=args.force)
    s = res["summary"]
    if args.json:
        print(rootio.to_json({"command": "merge", **res}))
    else:
        print(
            f"{res['events']} events from {res['shards']} shards written to {res['output']}; "
            f"sigma = {s['sigma']:.6g} +- {s['sigma_err']:.3g} {s['sigma_unit']}"
        )
    return 0


__all__ = ["add_parser", "run"]
