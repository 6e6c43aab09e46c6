"""darktmm.simulate.alloc: the heap settings ``darktmm generate`` applies, and its environment switch."""

from __future__ import annotations

import json
import platform

import pytest
import uproot

from darktmm.simulate import alloc
from darktmm.simulate.cli import main
from darktmm.spectra.validate import ParameterError

GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


@pytest.mark.skipif(not GLIBC, reason="mallopt is glibc's")
def test_tune_malloc_is_accepted_by_glibc():
    # mallopt returns 1 on success and 0 for a value it rejects (e.g. an mmap threshold above
    # glibc's 32 MiB maximum), so this fails if either setting is out of range
    assert alloc.tune_malloc() is True
    assert alloc.tune_malloc() is True  # idempotent


def test_system_leaves_the_allocator_alone(monkeypatch):
    calls = []
    monkeypatch.setattr(alloc, "tune_malloc", lambda: calls.append(1) or True)
    assert alloc.from_environment({"DARKTMM_MALLOC": "system"}) is False
    assert alloc.from_environment({"DARKTMM_MALLOC": " System "}) is False
    assert calls == []
    assert alloc.from_environment({}) is True and calls == [1]  # tuned is the default


def test_unknown_setting_names_the_variable_value_and_choices():
    with pytest.raises(ParameterError, match=r"DARKTMM_MALLOC = 'fast'; choose one of tuned, system"):
        alloc.from_environment({"DARKTMM_MALLOC": "fast"})


def test_cli_bad_setting_is_one_line_exit_2_and_no_file(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DARKTMM_MALLOC", "fast")
    out = tmp_path / "x.root"
    rc = main(["generate", "babar", "--events", "10", "--out", str(out)])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "DARKTMM_MALLOC" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("setting", ["system", "tuned"])
def test_cli_records_the_setting_in_runinfo(tmp_path, capsys, monkeypatch, setting):
    monkeypatch.setenv("DARKTMM_MALLOC", setting)
    out = tmp_path / "x.root"
    argv = ["generate", "babar", "--events", "50", "--seed", "3", "--out", str(out), "--json"]
    assert main(argv) == 0
    capsys.readouterr()
    text = str(uproot.open(out)["runinfo_json"])
    expect = "tuned" if (setting == "tuned" and alloc._glibc() is not None) else "system"
    assert json.loads(text)["malloc"] == expect
