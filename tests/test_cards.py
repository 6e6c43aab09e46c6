"""Cards (simulate.cards): one schema for every command; validation, precedence, round trip, and
the processes a generate card builds (simulate.commands.generate)."""

from __future__ import annotations

import tomllib

import pytest

from darktmm.detectors import babar
from darktmm.simulate import cards, sampler
from darktmm.simulate import events as ev
from darktmm.simulate.commands import generate as gen
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
eps_mu_eff = "2e-11 muB"
t_min = "0.1 MeV"

[babar]
resonance = "4S"
"""


def _write(tmp_path, text, name="run.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_card_values_and_defaults(tmp_path):
    cfg = gen.resolve(cards.load_card(gen.SCHEMA, _write(tmp_path, CARD))[0])
    assert cfg["process"] == "borexino" and cfg["events"] == 5000 and cfg["unweighted"] is True
    assert cfg["seed"] == 7
    b = cfg["borexino"]
    assert b["component"] == "pp" and b["kind"] == "tmm"
    assert b["m_ap"] == pytest.approx(0.5 * MEV) and b["t_min"] == pytest.approx(0.1 * MEV)
    assert b["eps_mu_eff"] == 2e-11
    assert b["t_max"] == pytest.approx(20 * MEV)  # default
    assert cfg["chunk"] == sampler.CHUNK
    assert "babar" not in cfg  # only the chosen process's table is kept


def test_command_line_overrides_the_card(tmp_path):
    card = cards.load_card(gen.SCHEMA, _write(tmp_path, CARD))[0]
    cfg = gen.resolve(card, {"seed": 9, "m_ap": "2MeV", "unweighted": False, "events": None})
    assert cfg["seed"] == 9 and cfg["unweighted"] is False and cfg["events"] == 5000
    assert cfg["borexino"]["m_ap"] == pytest.approx(2 * MEV)
    cfg = gen.resolve(card, {"process": "babar", "eps": 2e-3})
    assert cfg["babar"]["resonance"] == "4S" and cfg["babar"]["eps"] == 2e-3


def test_resolved_card_round_trips(tmp_path):
    """to_toml(resolve(card)) read back gives the same configuration: a run repeats from its card."""
    for proc, extra in (
        ("borexino", {}),
        ("babar", {"isr": True, "mx2_window": "-4,36", "z_window": [-0.5, 0.5]}),
        ("na64", {"e_cut": "60GeV"}),
    ):
        cfg = gen.resolve({"process": proc, "events": 10}, extra)
        text = cards.to_toml(gen.SCHEMA, cfg)
        again = gen.resolve(tomllib.loads(text))
        assert again == cfg
    assert cfg["na64"]["e_cut"] == 60.0


@pytest.mark.parametrize(
    "text,match",
    [
        ('process = "babar"\nevents = 10\nfoo = 1\n', "unknown key 'foo'"),
        ('process = "babar"\nevents = 1\n[babar]\nm_ap = 0.5\n', "needs a unit"),
        ('process = "babar"\nevents = 1\n[babar]\nl_det = 2.0\n', "needs a unit"),
        ('process = "babar"\nevents = 1\n[babar]\nmu_d = 1e-9\n', "needs a unit"),
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
        gen.resolve(cards.load_card(gen.SCHEMA, _write(tmp_path, text))[0])


def test_whole_numbers_may_be_written_as_floats():
    assert gen.resolve({"process": "na64", "events": 1e8})["events"] == 100_000_000


def test_missing_things():
    with pytest.raises(ParameterError, match="no process"):
        gen.resolve({"events": 3})
    with pytest.raises(ParameterError, match="number of events"):
        gen.resolve({"process": "na64"})
    with pytest.raises(ParameterError, match="applies to borexino"):
        gen.resolve({"process": "na64", "events": 3}, {"component": "pp"})
    with pytest.raises(ParameterError, match="--card"):
        cards.load_card(gen.SCHEMA, "/nonexistent/run.toml")


def test_build_process_for_each():
    b = gen.build_process(gen.resolve({"process": "borexino", "events": 1, "borexino": {"component": "8B"}}))
    assert isinstance(b, ev.NuElectronEvents) and b.component == "8B" and b.kind == "sm"
    m = gen.build_process(gen.resolve({"process": "babar", "events": 1}, {"resonance": "2S", "frame": "cm"}))
    assert (
        isinstance(m, ev.MonophotonEvents) and m.sqrt_s == babar.RESONANCES["2S"].sqrt_s and m.frame == "cm"
    )
    n = gen.build_process(gen.resolve({"process": "na64", "events": 1}, {"m_ap": "20MeV", "eps": 3e-4}))
    assert isinstance(n, ev.DarkBremEvents) and n.model.m_ap == pytest.approx(0.02) and n.model.eps == 3e-4
    with pytest.raises(ParameterError, match="t_max"):
        gen.build_process(
            gen.resolve({"process": "borexino", "events": 1}, {"t_min": "2MeV", "t_max": "1MeV"})
        )


def test_run_options_reach_the_generator():
    cfg = gen.resolve({"process": "borexino", "events": 100, "block": 512, "wmax_factor": 0.5})
    run = sampler.generate(gen.build_process(cfg), cfg["events"], **gen.run_options(cfg))
    assert run.block == 512 and run.wmax_factor == 0.5 and run.seed == 1


def test_regression_bare_numbers_were_read_as_gev():
    """`m_ap = 0.5` in a card and `--m-ap 0.5` ran at 500 MeV; a bare number now needs its unit
    (zero excepted), with a message naming the units accepted."""
    with pytest.raises(ParameterError, match=r"na64.m_ap = 0.5 needs a unit.*MeV"):
        gen.resolve({"process": "na64", "events": 1, "na64": {"m_ap": 0.5}})
    with pytest.raises(ParameterError, match="--m-ap = '0.5' needs a unit"):
        gen.resolve({"process": "na64", "events": 1}, {"m_ap": "0.5"})
    assert (
        gen.resolve({"process": "borexino", "events": 1, "borexino": {"m_ap": 0}})["borexino"]["m_ap"] == 0.0
    )


def test_every_command_reads_cards_with_the_same_schema_rules(tmp_path):
    """spectrum, limit, generate, constraints and model: the same unknown-key and unit errors."""
    from darktmm.simulate.commands import constraints, limit, model, spectrum

    for sch in (spectrum.SCHEMA, limit.SCHEMA, gen.SCHEMA, constraints.SCHEMA, model.SCHEMA):
        with pytest.raises(ParameterError, match="unknown key 'bogus'"):
            cards.validate(sch, {"bogus": 1})
    with pytest.raises(ParameterError, match="borexino.m_ap = 1.0 needs a unit"):
        cards.validate(spectrum.SCHEMA, {"borexino": {"m_ap": 1.0}})
    with pytest.raises(ParameterError, match="missing the \\[uv\\] table"):
        cards.validate(model.SCHEMA, {"meg": {"prescription": "full"}})
