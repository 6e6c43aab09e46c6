"""``darktmm data where|verify|fetch``: the public data files (``darktmm.detectors.data``)."""

from __future__ import annotations

import sys

from darktmm.simulate import common

ACTIONS = ("where", "verify", "fetch")


def add_parser(sub):
    p = sub.add_parser("data", help="find, verify or fetch the public data files")
    p.add_argument("action", choices=ACTIONS, help="where | verify | fetch")
    p.add_argument("--data-dir", help="folder to check or to fetch into")
    p.add_argument("--base-url", help="fetch from this mirror instead of the public origins")
    p.add_argument("--json", action="store_true", help="print a JSON summary on stdout")
    p.set_defaults(func=run)


def run(args) -> int:
    from darktmm.detectors import borexino
    from darktmm.detectors import data as datamod

    if args.action == "where":
        rows = [(why, str(p), p.is_dir()) for why, p in datamod.candidate_dirs(args.data_dir)]
        found = datamod.find_data_dir(args.data_dir, required=borexino.DATA_FILE)
        summary = {
            "searched": [{"source": w, "path": p, "exists": e} for w, p, e in rows],
            "found": str(found) if found else None,
        }
        table = "\n".join(f"{w:12s} {p}  {'(exists)' if e else '(missing)'}" for w, p, e in rows)
        table += f"\nusing: {found if found else 'none: built-in rates only (run: darktmm data fetch)'}"
        common.emit(args.json, summary, table)
        return 0
    if args.action == "verify":
        res = datamod.verify(args.data_dir)
        bad = [k for k, v in res.items() if v != "ok"]
        common.emit(
            args.json, {"files": res, "ok": not bad}, "\n".join(f"{v:9s} {k}" for k, v in res.items())
        )
        return 0 if not bad else 1
    dest = datamod.fetch(
        args.data_dir, base_url=args.base_url, progress=sys.stderr.isatty() and not args.json
    )
    common.emit(args.json, {"fetched_to": str(dest)}, f"data files fetched and verified in {dest}")
    return 0
