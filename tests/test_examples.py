"""The example scripts rerun and print the numbers checked in beside them; the README's Python
blocks run as written (issue 9: the documented numbers come from these outputs)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(x) for x in NUMBER.findall(text)]


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("*.py")))
def test_example_reproduces_its_checked_in_output(script, data_dir, tmp_path):
    env = {**os.environ, "DARKTMM_DATA": str(Path(data_dir).resolve()), "MPLBACKEND": "Agg"}
    r = subprocess.run(
        [sys.executable, str(EXAMPLES / script)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    expected = (EXAMPLES / script).with_suffix(".out").read_text()
    got, want = _numbers(r.stdout), _numbers(expected)
    assert len(got) == len(want), (r.stdout, expected)
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-9, abs=0), (g, w, r.stdout)  # seeded: the same digits


def _readme_python_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Python", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_has_the_four_python_steps():
    blocks = _readme_python_blocks()
    assert len(blocks) >= 4
    joined = "\n".join(blocks)
    for name in ("DarkSector", "fit_spectrum", "borexino.limit", "write_root"):
        assert name in joined, name


@pytest.mark.slow
def test_readme_python_blocks_run_as_written(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("DARKTMM_DATA", str(Path(data_dir).resolve()))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in _readme_python_blocks():
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the README's own code


def test_outputs_quoted_in_examples_readme_are_the_checked_in_files():
    """Every `<!-- output: F -->` block of examples/README.md is `$ command` + the text of F."""
    text = (EXAMPLES / "README.md").read_text()
    blocks = re.findall(r"<!-- output: (\S+) -->\n```\n\$ [^\n]*\n(.*?)\n```\n<!-- end -->", text, re.S)
    assert {b[0] for b in blocks} >= {"bm1_constraints.out", "bm1_model.out", "bm2_model.out"}
    for name, quoted in blocks:
        assert quoted == (EXAMPLES / name).read_text().rstrip("\n"), name


def test_model_outputs_are_reproduced(capsys):
    """The quick checked-in outputs rerun exactly (`darktmm model` has no MC)."""
    from darktmm.simulate.cli import main

    for card, out in (("bm1.toml", "bm1_model.out"), ("bm2_model.toml", "bm2_model.out")):
        assert main(["model", "--card", str(EXAMPLES / card)]) == 0
        cap = capsys.readouterr()
        got = (cap.err + cap.out).replace(str(EXAMPLES) + "/", "examples/")
        assert _numbers(got) == _numbers((EXAMPLES / out).read_text()), card
