"""``darktmm generate``: JSON summary, files, cards, one-line errors with exit 2, Ctrl-C safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import awkward as ak
import pytest
import uproot

from darktmm.simulate.cli import main
from darktmm.simulate.common import progress_bar

ROOT_DIR = Path(__file__).resolve().parents[1]


def _run(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_json_summary_and_root_file(tmp_path, capsys):
    out = tmp_path / "bx.root"
    argv = ["generate", "borexino", "--events", "3000", "--unweighted", "--seed", "4", "--out", str(out)]
    argv += ["--component", "pp", "--kind", "tmm", "--m-ap", "0.5MeV", "--eps-mu-eff", "2e-11muB", "--json"]
    rc, stdout, stderr = _run(argv, capsys)
    assert rc == 0 and stderr == ""  # no progress bar under --json
    s = json.loads(stdout)
    for k in ("sigma", "sigma_err", "events_written", "efficiency", "output"):
        assert k in s
    assert s["events_written"] == 3000 and s["output"] == str(out) and s["format"] == "root"
    assert 0 < s["efficiency"] <= 1 and s["sigma"] > 0 and s["sigma_unit"] == "cpd/100t"
    f = uproot.open(out)
    assert f["events"].num_entries == 3000
    r = f["runinfo"]
    assert r["sigma"].array(library="np")[0] == pytest.approx(s["sigma"], rel=1e-12)
    card = str(uproot.open(out)["runinfo_card"])
    assert 'component = "pp"' in card and 'm_ap = "0.0005 GeV"' in card and "seed = 4" in card
    assert "train_neval = 20000" in card  # the process default is written out: the card is complete


def test_a_run_repeats_from_its_stored_card(tmp_path, capsys):
    first = tmp_path / "a.root"
    argv = ["generate", "na64", "--events", "2000", "--seed", "8", "--out", str(first), "--m-ap", "20MeV"]
    argv += ["--eps", "2e-4", "--block", "1024", "--chunk", "700", "--json"]
    assert _run(argv, capsys)[0] == 0
    card = str(uproot.open(first)["runinfo_card"])
    cfile = tmp_path / "stored.toml"
    cfile.write_text(card)
    second = tmp_path / "b.root"
    rc, _, _ = _run(["generate", "--card", str(cfile), "--out", str(second), "--chunk", "1500"], capsys)
    assert rc == 0
    a, b = uproot.open(first)["events"], uproot.open(second)["events"]
    for br in ("weight", "E_miss", "Particle_px", "Particle_z"):
        assert ak.all(ak.ravel(a[br].array()) == ak.ravel(b[br].array())), br


def test_card_values_and_command_line_override(tmp_path, capsys):
    card = tmp_path / "run.toml"
    card.write_text('process = "babar"\nevents = 500\nseed = 3\n[babar]\nresonance = "2S"\nm_ap = "0.5GeV"\n')
    rc, out, _ = _run(["generate", "--card", str(card), "--json"], capsys)
    assert rc == 0
    s = json.loads(out)
    assert s["process"] == "babar" and "Upsilon(2S)" in s["description"] and s["seed"] == 3
    assert s["output"] is None  # no --out: nothing written
    rc, out, _ = _run(["generate", "--card", str(card), "--json", "--seed", "9", "--resonance", "4S"], capsys)
    s = json.loads(out)
    assert s["seed"] == 9 and "Upsilon(4S)" in s["description"]


def test_hepmc3_output(tmp_path, capsys):
    out = tmp_path / "ev.hepmc3"
    rc, stdout, _ = _run(["generate", "babar", "--events", "200", "--out", str(out), "--json"], capsys)
    assert rc == 0 and json.loads(stdout)["format"] == "hepmc3"
    text = out.read_text()
    assert text.count("\nE ") == 200 and "NuHepMC.Version.Major 1" in text and "W CV" in text


def test_table_output_and_plot(tmp_path, capsys):
    png = tmp_path / "h.png"
    rc, out, _ = _run(["generate", "na64", "--events", "500", "--unweighted", "--plot", str(png)], capsys)
    assert rc == 0 and "sigma =" in out and "efficiency" in out
    assert png.stat().st_size > 1000


@pytest.mark.parametrize(
    "argv,match",
    [
        (["generate", "borexino", "--events", "0"], "events = 0"),
        (["generate", "borexino", "--events", "-3"], "events = -3"),
        (["generate", "borexino", "--events", "many"], "whole number"),
        (["generate", "borexino", "--events", "2.5"], "whole number"),
        (["generate", "lhc", "--events", "10"], "lhc"),
        (["generate", "borexino", "--events", "10", "--out", "/nonexistent/dir/x.root"], "does not exist"),
        (["generate", "borexino", "--events", "10", "--out", "x.txt"], ".root or .hepmc3"),
        (["generate", "babar", "--events", "10", "--component", "pp"], "it is an option of borexino"),
        (["generate", "babar", "--events", "10", "--eps", "3"], "eps"),
        (["generate", "babar", "--events", "10", "--isr"], "M_X"),
        (["generate", "borexino", "--events", "10", "--compression", "zlib"], "compression"),
        (["generate", "borexino"], "number of events"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, argv, match):
    argv = [str(tmp_path / a) if a == "x.txt" else a for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "y.root")]
    rc, out, err = _run(argv, capsys)
    assert rc == 2
    assert err.startswith("darktmm: error:") and err.count("\n") == 1 and match in err
    assert "Traceback" not in err and out == ""
    assert list(tmp_path.iterdir()) == []


def test_card_with_unknown_key_exit_2(tmp_path, capsys):
    card = tmp_path / "bad.toml"
    card.write_text('process = "na64"\nevents = 10\n[na64]\nbeam_energy = 100\n')
    rc, _, err = _run(["generate", "--card", str(card)], capsys)
    assert rc == 2 and "unknown key 'na64.beam_energy'" in err and err.count("\n") == 1


def test_progress_bar_only_on_a_terminal(monkeypatch):
    assert progress_bar(10, quiet=True) is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert progress_bar(10, quiet=False) is None
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    bar = progress_bar(10, quiet=False)
    assert bar is not None
    bar.close()


def test_sigint_leaves_no_partial_file(tmp_path):
    """Ctrl-C in the middle of a long run: exit 130 and no file (not even the temporary one)."""
    out = tmp_path / "big.root"
    cmd = [sys.executable, "-m", "darktmm.simulate.cli", "generate", "borexino", "--events", "100000000"]
    cmd += ["--unweighted", "--out", str(out), "--chunk", "20000", "--block", "4096"]
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    p = subprocess.Popen(
        cmd, cwd=ROOT_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        t0 = time.time()
        while not any(tmp_path.iterdir()):  # the temporary file appears when writing starts
            assert p.poll() is None, p.stderr.read()
            assert time.time() - t0 < 120
            time.sleep(0.05)
        time.sleep(1.0)  # well inside the event loop
        assert p.poll() is None
        os.kill(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
