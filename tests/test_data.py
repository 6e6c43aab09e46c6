"""The data-directory search, the hash registry and fetch (from a local mirror: no network)."""

import os
import shutil

import pytest

from darktmm.detectors import data as datamod


def test_registry_matches_shared_checksums(data_dir):
    sums = {}
    with open(os.path.join(data_dir, "SHA256SUMS")) as fh:
        for line in fh:
            h, p = line.split()
            sums[p] = h
    assert set(sums) == set(datamod.REGISTRY)
    for rel, f in datamod.REGISTRY.items():
        assert f.sha256 == sums[rel], rel


def test_verify_all_ok(data_dir):
    res = datamod.verify(data_dir)
    assert all(v == "ok" for v in res.values()), res


def test_explicit_missing_dir_is_an_error():
    with pytest.raises(datamod.DataError, match="not a directory"):
        datamod.find_data_dir("/no/such/dir")


def test_missing_file_message_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.delenv(datamod.ENV_VAR, raising=False)
    monkeypatch.setattr(datamod, "cache_dir", lambda: tmp_path / "cache")
    with pytest.raises(datamod.DataError, match="darktmm data fetch"):
        datamod.path("babar/BaBar_Lees2017lec.lmt", tmp_path)


def test_fetch_from_local_mirror_checks_hashes(data_dir, tmp_path):
    dest = datamod.fetch(tmp_path / "dl", base_url=f"file://{data_dir}")
    assert all(v == "ok" for v in datamod.verify(dest).values())


def test_fetch_rejects_a_corrupt_mirror(data_dir, tmp_path):
    mirror = tmp_path / "mirror"
    shutil.copytree(data_dir, mirror)
    os.chmod(mirror / "babar", 0o755)
    p = mirror / "babar" / "BaBar_Lees2017lec.lmt"
    os.chmod(p, 0o644)
    p.write_text("corrupt\n")
    with pytest.raises(datamod.DataError, match="BaBar_Lees2017lec"):
        datamod.fetch(tmp_path / "dl", base_url=f"file://{mirror}")


def test_regression_mistyped_data_dir_fell_back_silently(tmp_path, capsys):
    """`--data-dir /typo` used to run on the built-in data (available() swallowed the error) and
    exit 0; an explicit directory that does not exist is now one line and exit 2, with no file."""
    from darktmm.detectors import borexino
    from darktmm.simulate.cli import main

    missing = tmp_path / "typo"
    with pytest.raises(datamod.DataError, match="not a directory"):
        datamod.available("babar/BaBar_Lees2017lec.lmt", missing)
    with pytest.raises(datamod.DataError, match="not a directory"):
        borexino.production_profiles(missing)
    out = tmp_path / "s.root"
    argv = ["spectrum", "borexino", "--m-ap", "0.5MeV", "--eps-mu-eff", "1e-11muB"]
    rc = main(argv + ["--data-dir", str(missing), "--out", str(out)])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and f"--data-dir {missing} is not a directory" in err
    assert list(tmp_path.iterdir()) == []
