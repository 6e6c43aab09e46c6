"""Shared fixtures. Data tests run in CI (which sets DARKTMM_DATA); they fail there if the data
are missing, and skip only on a developer machine without the files."""

from __future__ import annotations

import os

import pytest

from darktmm.detectors import data as datamod


@pytest.fixture(scope="session")
def data_dir():
    d = datamod.find_data_dir(required="borexino/phase2_spectrum/phase2_fig6a_components.csv")
    if d is None:
        if os.environ.get("CI"):
            pytest.fail("CI must set DARKTMM_DATA to ../shared/data; the data tests may not skip there")
        pytest.skip("public data files not found (set DARKTMM_DATA)")
    return d
