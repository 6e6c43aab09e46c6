"""HEPData export (simulate.hepdata): validity against hepdata-validator, numbers, qualifiers,
non-finite values, atomic writing and the no-band case.

Independent references: the hepdata-validator schemas (not our code) decide validity; the numbers
read back are compared with the inputs typed here; the '-' convention is the one of the HEPData
submission docs ("Data Files": missing values as a non-numerical central value '-', no errors).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import darktmm
from darktmm.detectors.constraints import NotAvailable, combine
from darktmm.simulate import hepdata
from darktmm.simulate.hepdata import Column, ColumnTable, LimitCurve, hierarchy_table, write_submission
from darktmm.spectra.validate import ParameterError

pytest.importorskip("hepdata_lib")
from hepdata_validator.data_file_validator import DataFileValidator  # noqa: E402
from hepdata_validator.full_submission_validator import FullSubmissionValidator  # noqa: E402
from hepdata_validator.submission_file_validator import SubmissionFileValidator  # noqa: E402

M = [1e-3, 1e-2, 0.1, 1.0, 5.0]
OBS = [1.23456e-11, 2.5e-11, 7.75e-10, 6.1e-8, math.inf]
EXP = [1.5e-11, 2.25e-11, 8.0e-10, 5.5e-8, math.nan]
S1 = ([1.1e-11, 1.6e-11, 6.0e-10, 4.0e-8, math.nan], [2.1e-11, 3.1e-11, 1.1e-9, math.inf, math.nan])
S2 = ([0.8e-11, 1.2e-11, 4.5e-10, 3.0e-8, math.nan], [3.0e-11, 4.4e-11, 1.6e-9, 1.1e-7, math.nan])


def borexino():
    return LimitCurve(
        name="Borexino eps mu_eff",
        experiment="Borexino",
        x_name="m_A'",
        x_unit="GeV",
        x_values=M,
        y_name="eps*mu_eff",
        y_unit="mu_B",
        y_values=OBS,
        expected=EXP,
        band_1sigma=S1,
        band_2sigma=S2,
        qualifiers={"eps": 1.0, "mu_D": (1e-11, "mu_B"), "gamma_dark": (0.0, "GeV"), "treatment": "ssm"},
        citation="Borexino Phase-II spectrum, arXiv:1707.09279",
    )


def babar():
    return LimitCurve(
        name="BaBar eps",
        experiment="BaBar",
        x_name="m_A'",
        x_unit="GeV",
        x_values=[0.001, 1.0, 8.0, 9.0],
        y_name="eps",
        y_unit="",
        y_values=[3.0e-4, 5.0e-4, 1.3e-3, math.inf],
        qualifiers={"gamma_dark": (0.0, "GeV")},
        band_note="BaBar publishes the observed limit only",
        citation="BaBar, arXiv:1702.03327",
    )


def load(path: Path):
    return yaml.safe_load(path.read_text())


def deps(table: dict) -> dict:
    return {d["header"]["name"]: d for d in table["dependent_variables"]}


def quals(dep: dict) -> dict:
    return {q["name"]: q for q in dep["qualifiers"]}


@pytest.fixture
def record(tmp_path):
    return write_submission(tmp_path / "rec", [borexino(), babar()])


# --- validity -------------------------------------------------------------------------------
def test_record_is_valid_hepdata(record):
    full = FullSubmissionValidator(autoload_remote_schemas=False)
    assert full.validate(directory=str(record)), full.get_messages()
    sub = SubmissionFileValidator()
    assert sub.validate(file_path=str(record / "submission.yaml")), sub.get_messages()
    docs = list(yaml.safe_load_all((record / "submission.yaml").read_text()))
    files = [d["data_file"] for d in docs if "data_file" in d]
    assert files == ["borexino_eps_mu_eff.yaml", "babar_eps.yaml"]
    for f in files:
        v = DataFileValidator()
        assert v.validate(file_path=str(record / f)), v.get_messages()
    assert sorted(p.name for p in record.iterdir()) == sorted([*files, "submission.yaml"])


def test_validator_rejects_a_broken_record(record):
    """Control: the same validators do fail on invalid output (a value without its 'value' key)."""
    f = record / "babar_eps.yaml"
    t = load(f)
    t["dependent_variables"][0]["values"][0] = {"val": 1.0}
    f.write_text(yaml.safe_dump(t))
    assert not DataFileValidator().validate(file_path=str(f))
    assert not FullSubmissionValidator(autoload_remote_schemas=False).validate(directory=str(record))
    assert hepdata.validate_directory(record)


# --- numbers ----------------------------------------------------------------------------------
def test_numbers_round_trip(record):
    t = load(record / "borexino_eps_mu_eff.yaml")
    x = [v["value"] for v in t["independent_variables"][0]["values"]]
    assert t["independent_variables"][0]["header"] == {"name": "m_A'", "units": "GeV"}
    np.testing.assert_allclose(x, M, rtol=0)
    d = deps(t)
    obs = d["eps*mu_eff: observed 90% CL upper limit"]
    exp = d["eps*mu_eff: expected (median) 90% CL upper limit"]
    assert obs["header"]["units"] == "mu_B"
    # hepdata_lib keeps 5 significant digits: 1.23456e-11 -> 1.2346e-11
    assert obs["values"][0]["value"] == pytest.approx(1.2346e-11, rel=1e-12)
    np.testing.assert_allclose([v["value"] for v in obs["values"][:4]], OBS[:4], rtol=5e-5)
    np.testing.assert_allclose([v["value"] for v in exp["values"][:4]], EXP[:4], rtol=5e-5)
    for i in range(3):  # band edges = median + minus / + plus, for both bands
        errs = {e["label"]: e["asymerror"] for e in exp["values"][i]["errors"]}
        for label, (lo, hi) in zip(hepdata.BAND_LABELS, (S1, S2)):
            assert EXP[i] + errs[label]["minus"] == pytest.approx(lo[i], rel=1e-4)
            assert EXP[i] + errs[label]["plus"] == pytest.approx(hi[i], rel=1e-4)


def test_non_finite_values_are_dashes_without_errors(record):
    text = (record / "borexino_eps_mu_eff.yaml").read_text()
    assert ".inf" not in text and ".nan" not in text.lower()
    t = load(record / "borexino_eps_mu_eff.yaml")
    d = deps(t)
    obs = d["eps*mu_eff: observed 90% CL upper limit"]["values"]
    exp = d["eps*mu_eff: expected (median) 90% CL upper limit"]["values"]
    assert obs[4] == {"value": "-"}  # inf: not constrained
    assert exp[4] == {"value": "-"}  # nan: not computed, and its band dropped with it
    # at 1 GeV the +1 sigma edge is inf: that band is dropped there, the 2 sigma band stays
    labels = [e["label"] for e in exp[3]["errors"]]
    assert labels == [hepdata.BAND_LABELS[1]]
    docs = list(yaml.safe_load_all((record / "submission.yaml").read_text()))
    desc = next(d["description"] for d in docs if d.get("data_file") == "borexino_eps_mu_eff.yaml")
    assert "1 not constrained (inf)" in desc and "1 not computed (nan)" in desc
    assert "not available at 1 point(s)" in desc


def test_qualifiers(record):
    t = load(record / "borexino_eps_mu_eff.yaml")
    for dep in t["dependent_variables"]:
        q = quals(dep)
        assert q["experiment"]["value"] == "Borexino"
        assert q["CL"]["value"] == "90%"
        assert q["m_A' range"] == {"name": "m_A' range", "value": "0.001 - 5", "units": "GeV"}
        assert q["mu_D"] == {"name": "mu_D", "value": 1e-11, "units": "mu_B"}
        assert q["gamma_dark"]["units"] == "GeV" and q["gamma_dark"]["value"] == 0.0
        assert q["eps"]["value"] == 1.0 and q["treatment"]["value"] == "ssm"
        assert q["darktmm version"]["value"] == darktmm.__version__
        assert "arXiv:1707.09279" in q["data source"]["value"]
        assert q["expected band"]["value"] == "+-1 sigma and +-2 sigma"
    docs = list(yaml.safe_load_all((record / "submission.yaml").read_text()))
    links = [r["location"] for r in docs[0]["additional_resources"]]
    assert "https://arxiv.org/abs/2603.25704" in links


def test_babar_says_no_expected_band(record):
    t = load(record / "babar_eps.yaml")
    (dep,) = t["dependent_variables"]  # observed only: no expected curve is invented
    assert "errors" not in str(dep["values"])
    band = quals(dep)["expected band"]["value"]
    assert band.startswith("no expected band available")
    assert "BaBar publishes the observed limit only" in band
    assert "header" in dep and "units" not in dep["header"]  # eps is dimensionless
    docs = list(yaml.safe_load_all((record / "submission.yaml").read_text()))
    desc = next(d["description"] for d in docs if d.get("data_file") == "babar_eps.yaml")
    assert "no expected band available" in desc


def test_hierarchy_table(tmp_path):
    class Lim:  # an EpsLimit-like answer that constrains
        applicable, eps, eps_upper, note = True, 2e-4, math.inf, ""

    pts = [
        combine(0.01, {"na64": Lim(), "babar": NotAvailable(0.01, "babar", "visible")}, 1e-9, 3e-12),
        combine(0.1, {"na64": Lim(), "babar": NotAvailable(0.1, "babar", "visible")}, 1e-9, math.inf),
        combine(9.0, {"babar": NotAvailable(9.0, "babar", "outside")}, 1e-9, 3e-6),
    ]
    path = write_submission(tmp_path / "h", [hierarchy_table(pts)])
    assert FullSubmissionValidator(autoload_remote_schemas=False).validate(directory=str(path))
    d = deps(load(path / "constraint_hierarchy.yaml"))
    col = {k: [v["value"] for v in dep["values"]] for k, dep in d.items()}
    assert col["eps_max"] == [2e-4, 2e-4, "-"]
    assert col["eps_max from"] == ["na64", "na64", "none"]
    assert col["mu_D,max (e mu)"] == [1e-9] * 3
    prod = col["(eps*mu_D)_max = eps_max*mu_D,max"]
    assert prod[:2] == pytest.approx([2e-13, 2e-13], rel=1e-12) and prod[2] == "-"
    assert col["Borexino bound on eps*|mu_D(e mu)|"] == [3e-12, "-", 3e-6]
    assert col["dominant probe"] == ["MEG II x na64", "MEG II x na64", "Borexino"]
    assert d["mu_D,max (e mu)"]["header"]["units"] == "mu_B"


def test_column_table_text_and_numbers(tmp_path):
    t = ColumnTable("Mixed", "test", "m_A'", "GeV", [1.0, 2.0], [Column("c", "", ["a", 2.0])])
    path = write_submission(tmp_path / "m", [t])
    assert [v["value"] for v in load(path / "mixed.yaml")["dependent_variables"][0]["values"]] == ["a", 2.0]


# --- writing ------------------------------------------------------------------------------------
def test_refuses_non_empty_directory_and_overwrites_on_request(tmp_path):
    target = tmp_path / "rec"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(ParameterError, match=str(target)):
        write_submission(target, [babar()])
    assert (target / "keep.txt").read_text() == "mine"
    write_submission(target, [babar()], overwrite=True)
    assert sorted(p.name for p in target.iterdir()) == ["babar_eps.yaml", "submission.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]  # no temporary sibling left


def test_empty_directory_is_used(tmp_path):
    (tmp_path / "rec").mkdir()
    write_submission(tmp_path / "rec", [babar()])
    assert (tmp_path / "rec" / "submission.yaml").is_file()


def test_nothing_in_place_when_writing_fails(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(hepdata, "validate_directory", lambda d: ["fake: invalid"])
    with pytest.raises(RuntimeError, match="fake: invalid"):
        write_submission(tmp_path / "rec", [babar()])
    assert list(tmp_path.iterdir()) == []  # no record, no temp dir, no submission.tar.gz in the cwd


def test_no_tarball_in_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_submission("rec", [babar()])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]
    assert Path.cwd() == tmp_path


def test_permissions_follow_umask(record):
    mask = os.umask(0o022)
    os.umask(mask)
    assert (record.stat().st_mode & 0o777) == 0o777 & ~mask
    assert ((record / "submission.yaml").stat().st_mode & 0o777) == 0o666 & ~mask


@pytest.mark.parametrize(
    "change, match",
    [
        ({"y_values": [1.0, 2.0]}, "y_values has 2 values"),
        ({"x_values": [0.001, math.inf, 8.0, 9.0]}, "x_values must be finite"),
        ({"y_values": [-1.0, 1.0, 1.0, 1.0]}, "must be >= 0"),
        ({"cl": 90}, "cl = 90 is outside"),
        ({"name": "a/b"}, "file name"),
        ({"band_1sigma": ([1, 1, 1, 1], [2, 2, 2, 2])}, "needs the expected median"),
        ({"expected": [1, 1, 1, 1], "band_1sigma": ([2, 2, 2, 2], [3, 3, 3, 3])}, "must bracket"),
    ],
)
def test_bad_input(tmp_path, change, match):
    import dataclasses

    with pytest.raises(ParameterError, match=match):
        write_submission(tmp_path / "rec", [dataclasses.replace(babar(), **change)])
    assert not (tmp_path / "rec").exists()


def test_duplicate_table_files(tmp_path):
    with pytest.raises(ParameterError, match="duplicate"):
        write_submission(tmp_path / "rec", [babar(), babar()])


def test_import_does_not_load_hepdata_lib():
    code = "import sys, darktmm.simulate.hepdata; print('hepdata_lib' in sys.modules, 'ROOT' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_limit_and_constraints_write_valid_hepdata(tmp_path, capsys, monkeypatch):
    """`--hepdata DIR` on `limit` and `constraints`: a submission the HEPData validator accepts."""
    from darktmm.simulate.cli import main

    monkeypatch.delenv("DARKTMM_DATA", raising=False)
    monkeypatch.setattr("darktmm.detectors.data.cache_dir", lambda: tmp_path / "none")
    d1 = tmp_path / "hd_limit"
    assert (
        main(["limit", "borexino", "--masses", "1e-3,10MeV", "--method", "rates", "--hepdata", str(d1)]) == 0
    )
    assert hepdata.validate_directory(d1) == []
    text = (d1 / "submission.yaml").read_text()
    assert "darktmm" in text and (d1 / "submission.yaml").exists()
    card = Path(__file__).resolve().parents[1] / "examples" / "bm1.toml"
    d2 = tmp_path / "hd_hier"
    argv = [
        "constraints",
        "--card",
        str(card),
        "--masses",
        "1e-3GeV",
        "--method",
        "rates",
        "--hepdata",
        str(d2),
    ]
    assert main(argv) == 0
    assert hepdata.validate_directory(d2) == []
    capsys.readouterr()
