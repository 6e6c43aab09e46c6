"""Fuzzing every command-line flag and card key (issue 10 §5): a value either passes validation or
is one ParameterError line, never another exception; whole runs either work or exit 2 with one line.

Hypothesis draws the values (derandomised, so CI is reproducible). The schemas are the commands'
own (``SCHEMA`` of each command module), so a new option is fuzzed as soon as it exists.
"""

from __future__ import annotations

import math
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from darktmm.simulate import cards, modelcard
from darktmm.simulate.cli import main
from darktmm.simulate.commands import constraints, generate, limit, model, spectrum
from darktmm.spectra.validate import ParameterError

SCHEMAS = (spectrum.SCHEMA, limit.SCHEMA, generate.SCHEMA, constraints.SCHEMA, model.SCHEMA)
KEYS = sorted(
    {
        (sch.command, sec, name)
        for sch in SCHEMAS
        for sec, keys in sch.sections.items()
        if keys
        for name, key in keys.items()
    }
)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    # capsys and monkeypatch are reset by hand in each example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

UNITS = ["", "eV", "keV", "MeV", "GeV", "TeV", "m", "cm", "muB", "mu_B", "parsec", " MeV", "e"]
numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, 0.0, -0.0, 1e-300, 1e300, -1.0, 0.5, 1.0, 2.0]),
)
texts = st.one_of(
    st.text(alphabet=string.printable, max_size=20),
    st.builds(lambda x, u: f"{x}{u}", numbers, st.sampled_from(UNITS)),
    st.builds(
        lambda a, b, n, u: f"{a}:{b}:{n}{u}", numbers, numbers, st.integers(-3, 50), st.sampled_from(UNITS)
    ),
    st.builds(lambda a, b: f"{a},{b}", numbers, numbers),
    st.sampled_from(["off", "inf", "nan", "true", "false", "all", "3S", "ssm", "", " ", "1e-3:1:0MeV"]),
)
card_values = st.one_of(
    numbers,
    texts,
    st.booleans(),
    st.lists(numbers, max_size=3),
    st.dictionaries(st.text(max_size=3), numbers, max_size=2),
)


def _key(command, sec, name):
    sch = next(s for s in SCHEMAS if s.command == command)
    return sch.sections[sec][name]


@pytest.mark.parametrize("command, sec, name", KEYS)
@FUZZ
@given(v=st.one_of(texts, card_values))
def test_every_key_validates_or_raises_one_parameter_error(command, sec, name, v):
    key = _key(command, sec, name)
    try:
        out = cards.value(f"{sec}.{name}" if sec else name, key, v)
    except ParameterError as exc:
        msg = str(exc)
        assert "\n" not in msg and name in msg, msg
        return
    if key.kind in ("float", "energy", "length", "moment"):
        assert isinstance(out, float) and math.isfinite(out)
        if key.lo is not None:
            assert out > key.lo if key.lo_open else out >= key.lo
        if key.hi is not None:
            assert out <= key.hi
    elif key.kind == "masses":
        assert out and all(math.isfinite(m) and m >= 0 for m in out)
    elif key.kind == "int":
        assert isinstance(out, int)


@FUZZ
@given(
    card=st.dictionaries(
        st.sampled_from(["borexino", "babar", "na64", "seed", "rtol", "experiment", "junk"]),
        card_values,
        max_size=4,
    )
)
def test_random_spectrum_cards_resolve_or_raise_one_line(card):
    for exp in ("borexino", "babar", "na64"):
        try:
            cards.resolve(spectrum.SCHEMA, card, {"experiment": exp}, tables=(exp,))
        except ParameterError as exc:
            assert "\n" not in str(exc)


@FUZZ
@given(
    card=st.dictionaries(st.sampled_from(list(modelcard.TABLES) + ["junk", "seed"]), card_values, max_size=4)
)
def test_random_model_cards_resolve_or_raise_one_line(card):
    try:
        cfg = cards.resolve(constraints.SCHEMA, card, tables=modelcard.TABLES)
        modelcard.cap_from_card(cfg)
        modelcard.gamma_dark_function(cfg)
    except ParameterError as exc:
        assert "\n" not in str(exc)


FLAGS = {
    ("limit", "borexino"): ["--masses", "--treatment", "--method", "--rtol", "--seed", "--cl-method"],
    ("spectrum", "babar"): ["--m-ap", "--eps", "--mu-d", "--gamma-dark", "--l-det", "--resonance", "--rtol"],
    ("generate", "na64"): ["--events", "--m-ap", "--eps", "--e0", "--e-cut", "--t-x0", "--block", "--seed"],
}


@pytest.mark.parametrize("cmd", sorted(FLAGS))
@FUZZ
@given(data=st.data())
def test_random_command_lines_parse_or_exit_2_with_one_line(cmd, data, capsys, monkeypatch):
    """Parsing and resolving random flag values (no physics is run: the commands' work is replaced
    by a stub once the configuration is resolved)."""
    from darktmm.simulate import common

    seen = {}

    def stub(args, schema, *, selector):
        seen["cfg"] = cfg = real(args, schema, selector=selector)
        raise _Done(cfg)

    real = getattr(common.resolve_args, "real", common.resolve_args)
    stub.real = real
    monkeypatch.setattr(common, "resolve_args", stub)
    capsys.readouterr()
    flags = data.draw(st.lists(st.sampled_from(FLAGS[cmd]), max_size=3, unique=True))
    argv = list(cmd)
    for f in flags:
        argv.append(f"{f}={data.draw(texts)}")
    try:
        rc = main(argv)
    except _Done:
        return
    err = capsys.readouterr().err
    assert rc == 2, (argv, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("darktmm: error: ") and "Traceback" not in err, (argv, err)


class _Done(Exception):
    pass


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    masses=st.sampled_from(["1MeV", "1e-3,30MeV", "0.1:10:3MeV", "5", "-1MeV", "1:2:0MeV"]),
    treatment=st.sampled_from(["ssm", "ga", "free", "bogus"]),
)
def test_whole_rate_limit_runs_work_or_exit_2(masses, treatment, capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("DARKTMM_DATA", raising=False)
    monkeypatch.setattr("darktmm.detectors.data.cache_dir", lambda: tmp_path / "none")
    capsys.readouterr()
    rc = main(
        ["limit", "borexino", "--method", "rates", f"--masses={masses}", "--treatment", treatment, "--json"]
    )
    cap = capsys.readouterr()
    if rc != 0:
        assert rc == 2 and len(cap.err.strip().splitlines()) == 1 and "Traceback" not in cap.err
