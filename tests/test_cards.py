"""Run cards (simulate.cards): validation, precedence, round trip, and the processes they build."""

from __future__ import annotations

import tomllib

import pytest

from darktmm.detectors import babar
from darktmm.simulate import cards, sampler
from darktmm.simulate import events as ev
from darktmm.spectra.constants import MEV
from darktmm.spectra.validate import ParameterError

CARD = """
process = "borexino"
events = 5000
unweighted = true
seed = 7

[borexino]
component = "pp"
kind = "tmm"
m_ap = "0.5MeV"
eps_mu = 2e-11
t_min = "0.1 MeV"

[babar]
resonance = "4S"
"""


def _write(tmp_path, text, name="run.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_card_values_and_defaults(tmp_path):
    cfg = cards.resolve(cards.load_card(_write(tmp_path, CARD)))
    assert cfg["process"] == "borexino" and cfg["events"] == 5000 and cfg["unweighted"] is True
    assert cfg["seed"] == 7
    b = cfg["borexino"]
    assert b["component"] == "pp" and b["kind"] == "tmm"
    assert b["m_ap"] == pytest.approx(0.5 * MEV) and b["t_min"] == pytest.approx(0.1 * MEV)
    assert b["eps_mu"] == 2e-11
    assert b["t_max"] == pytest.approx(20 * MEV)  # default
    assert cfg["chunk"] == cards.RUN_KEYS["chunk"].default
    assert "babar" not in cfg  # only the chosen process's table is kept


def test_command_line_overrides_the_card(tmp_path):
    card = cards.load_card(_write(tmp_path, CARD))
    cfg = cards.resolve(card, {"seed": 9, "m_ap": "2MeV", "unweighted": False, "events": None})
    assert cfg["seed"] == 9 and cfg["unweighted"] is False and cfg["events"] == 5000
    assert cfg["borexino"]["m_ap"] == pytest.approx(2 * MEV)
    cfg = cards.resolve(card, {"process": "babar", "eps": 2e-3})
    assert cfg["babar"]["resonance"] == "4S" and cfg["babar"]["eps"] == 2e-3


def test_resolved_card_round_trips(tmp_path):
    """to_toml(resolve(card)) read back gives the same configuration: a run repeats from its card."""
    for proc, extra in (
        ("borexino", {}),
        ("babar", {"isr": True, "mx2_window": "-4,36", "z_window": [-0.5, 0.5]}),
        ("na64", {"e_cut": "60GeV"}),
    ):
        cfg = cards.resolve({"process": proc, "events": 10}, extra)
        text = cards.to_toml(cfg)
        again = cards.resolve(tomllib.loads(text))
        assert again == cfg
    assert cfg["na64"]["e_cut"] == 60.0


@pytest.mark.parametrize(
    "text,match",
    [
        ('process = "babar"\nevents = 10\nfoo = 1\n', "unknown key 'foo'"),
        ('process = "babar"\nevents = 10\n[babar]\nmass = 1\n', "unknown key 'babar.mass'"),
        ('process = "babar"\nevents = 10\n[lhc]\nx = 1\n', "unknown key 'lhc'"),
        ('process = "babar"\nevents = "ten"\n', "events"),
        ('process = "babar"\nevents = 1.5\n', "whole number"),
        ('process = "babar"\nevents = 0\n', "events = 0"),
        ('process = "belle"\nevents = 1\n', "belle"),
        ('process = "babar"\nevents = 1\n[babar]\neps = 2.0\n', "babar.eps"),
        ('process = "babar"\nevents = 1\n[babar]\nm_ap = "1 parsec"\n', "babar.m_ap"),
        ('process = "babar"\nevents = 1\n[babar]\nz_window = [0.5, 0.1]\n', "z_window"),
        ('process = "babar"\nevents = 1\nunweighted = "yes"\n', "unweighted"),
        ("process = \n", "not valid TOML"),
    ],
)
def test_bad_cards_name_the_key(tmp_path, text, match):
    with pytest.raises(ParameterError, match=match):
        cards.resolve(cards.load_card(_write(tmp_path, text)))


def test_whole_numbers_may_be_written_as_floats():
    assert cards.resolve({"process": "na64", "events": 1e8})["events"] == 100_000_000


def test_missing_things():
    with pytest.raises(ParameterError, match="no process"):
        cards.resolve({"events": 3})
    with pytest.raises(ParameterError, match="number of events"):
        cards.resolve({"process": "na64"})
    with pytest.raises(ParameterError, match="applies to borexino"):
        cards.resolve({"process": "na64", "events": 3}, {"component": "pp"})
    with pytest.raises(ParameterError, match="--card"):
        cards.load_card("/nonexistent/run.toml")


def test_build_process_for_each():
    b = cards.build_process(
        cards.resolve({"process": "borexino", "events": 1, "borexino": {"component": "8B"}})
    )
    assert isinstance(b, ev.NuElectronEvents) and b.component == "8B" and b.kind == "sm"
    m = cards.build_process(
        cards.resolve({"process": "babar", "events": 1}, {"resonance": "2S", "frame": "cm"})
    )
    assert (
        isinstance(m, ev.MonophotonEvents) and m.sqrt_s == babar.RESONANCES["2S"].sqrt_s and m.frame == "cm"
    )
    n = cards.build_process(cards.resolve({"process": "na64", "events": 1}, {"m_ap": "20MeV", "eps": 3e-4}))
    assert isinstance(n, ev.DarkBremEvents) and n.model.m_ap == pytest.approx(0.02) and n.model.eps == 3e-4
    with pytest.raises(ParameterError, match="t_max"):
        cards.build_process(
            cards.resolve({"process": "borexino", "events": 1}, {"t_min": "2MeV", "t_max": "1MeV"})
        )


def test_run_options_reach_the_generator():
    cfg = cards.resolve({"process": "borexino", "events": 100, "block": 512, "wmax_factor": 0.5})
    run = sampler.generate(cards.build_process(cfg), cfg["events"], **cards.run_options(cfg))
    assert run.block == 512 and run.wmax_factor == 0.5 and run.seed == 1
