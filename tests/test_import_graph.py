"""The layers: spectra -> detectors -> simulate, no upward import and no import circle (issue 9).

Every ``darktmm`` import of every module is read from its source (module level and inside
functions alike), so the test sees what a reader of the code sees. The graph and its layer
order are printed by ``python tests/test_import_graph.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"spectra": 0, "detectors": 1, "simulate": 2}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "darktmm." + ".".join(parts)


def graph() -> dict[str, set[str]]:
    """module -> the darktmm modules it imports (``from pkg import mod`` resolved to modules)."""
    files = [p for layer in LAYERS for p in (ROOT / layer).rglob("*.py")]
    names = {_module_name(p) for p in files}
    out: dict[str, set[str]] = {}
    for p in files:
        me = _module_name(p)
        deps: set[str] = set()
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("darktmm.")}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("darktmm."):
                for a in node.names:
                    sub = f"{node.module}.{a.name}"
                    deps.add(sub if sub in names else node.module)
        out[me] = {d for d in deps if d != me and d in names}
    return out


def _layer(mod: str) -> int:
    return LAYERS[mod.split(".")[1]]


def test_no_upward_imports():
    bad = [(m, d) for m, ds in graph().items() for d in ds if _layer(d) > _layer(m)]
    assert not bad, bad


def test_no_import_circles():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(m, stack):
        state[m] = 1
        for d in sorted(g[m]):
            if d.endswith(".__init__"):
                continue
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d) :] + [d])
            elif d not in state:
                visit(d, stack + [d])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not cycles, cycles


def test_the_cli_starts_without_heavy_imports():
    """``darktmm --help`` builds every parser without importing scipy, uproot, awkward or vegas."""
    import subprocess
    import sys

    code = (
        "import sys; from darktmm.simulate.cli import build_parser; build_parser(); "
        "print(','.join(m for m in ('scipy', 'uproot', 'awkward', 'vegas', 'matplotlib', 'hist') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == ""


if __name__ == "__main__":  # pragma: no cover
    for m, ds in sorted(graph().items()):
        print(m, "->", ", ".join(sorted(ds)))
