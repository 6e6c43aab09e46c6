"""One card schema for every command: TOML run cards and command-line options, validated alike.

Every option of a command is a :class:`Key` in a section of that command's :class:`Schema`: the
top level (run options: ``seed``, ``out``, ...) or a table named after the experiment, process or
part of the model (``[borexino]``, ``[babar]``, ``[uv]``, ``[scan]``, ...). The command line and
the card are two spellings of the same keys: ``--m-ap 0.5MeV`` is ``m_ap = "0.5MeV"`` in the
experiment's table, and both pass through one validation (:func:`value`), so they take the same
units and give the same errors. Dimensioned values carry their unit (``"0.5 MeV"``, ``"2 m"``,
``"1e-11 muB"``); a bare number is an error that names the units accepted (zero may stay bare).

Precedence: built-in defaults < card < command line. :func:`resolve` returns the full
configuration (every key of the used sections, defaults filled in, energies in GeV, lengths in m,
moments in mu_B) and :func:`to_toml` writes it back as a card, so the card stored in every output
reproduces the run on its own. An unknown key, a wrong type or a value out of range is a
:class:`ParameterError` naming the key.

A ``generate`` card, for example::

    process = "borexino"        # borexino | babar | na64
    events = 100000
    unweighted = true
    seed = 7

    [borexino]
    component = "7Be"
    kind = "tmm"
    m_ap = "0.5MeV"
    eps_mu_eff = "1e-11 muB"

>>> s = Schema("demo", {"": {"seed": Key("int", 1, lo=0)}, "x": {"m_ap": Key("energy", 0.0, lo=0.0)}})
>>> resolve(s, {"x": {"m_ap": "2 MeV"}}, {"seed": 5}, tables=("x",))
{'seed': 5, 'x': {'m_ap': 0.002}}
>>> resolve(s, {"x": {"m_ap": 0.5}}, tables=("x",))
Traceback (most recent call last):
darktmm.spectra.validate.ParameterError: x.m_ap = 0.5 needs a unit: write it as a string, e.g. "0.5MeV" (eV, keV, MeV, GeV, TeV)
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from darktmm.simulate.units import UNITS_TEXT, parse_energy, parse_mass_range
from darktmm.spectra.validate import ParameterError, check_range

#: Length units [m] and magnetic-moment spellings [mu_B] accepted with a number.
LENGTH_UNITS = {"m": 1.0, "cm": 1e-2, "mm": 1e-3, "km": 1e3}
MOMENT_UNITS = ("muB", "mu_B", "μB", "μ_B")
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RE = re.compile(rf"^\s*({_NUM})\s*(\S*)\s*$")


@dataclass(frozen=True)
class Key:
    """One option: its kind, default, help, range or choices.

    Kinds: ``int``, ``float``, ``bool``, ``str`` (with ``choices``), ``energy`` [GeV], ``length``
    [m], ``moment`` [mu_B], ``pair`` (two numbers lo, hi), ``masses`` (a mass scan, GeV array),
    ``energy_or_off`` (an energy, or ``"off"`` = None), ``table`` (a raw TOML table checked by
    the code that uses it). ``default`` and ``choices`` may be zero-argument callables, evaluated
    only when needed (the detector modules that hold the numbers are imported at run time only,
    so that ``darktmm --help`` starts fast). Units as in :mod:`darktmm.simulate.units` (design:
    shared/design.md, ``cards.py``).

    >>> Key("energy", "1 MeV").get_default(), Key("str", choices=lambda: ("a", "b")).get_choices()
    (0.001, ('a', 'b'))
    """

    kind: str
    default: object = None
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: object = ()
    lo_open: bool = False
    flag: str | None = None  # command-line spelling; None: --name-with-dashes; "": card only

    def get_default(self, name: str = "default"):
        """The default value, normalised like a card value (a string default is in card spelling)."""
        d = self.default() if callable(self.default) else self.default
        if isinstance(d, str) and self.kind in (
            "masses",
            "energy",
            "length",
            "moment",
            "energy_or_off",
            "pair",
        ):
            return value(name, self, d)
        return d

    def get_choices(self) -> tuple:
        """The allowed strings (``choices`` evaluated if it is a callable); () for any value."""
        return tuple(self.choices() if callable(self.choices) else self.choices)


@dataclass(frozen=True)
class Schema:
    """The options of one command: ``sections[""]`` the top level, other keys the card tables
    (shared/design.md, ``cards.py``: one schema for card and command line).

    >>> s = Schema("demo", {"": {"seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> list(s.keys_of("x")), s.keys_of("missing")
    (['m_ap'], {})
    """

    command: str
    sections: dict
    #: sections that must be present in a card
    required: tuple = field(default=())

    def keys_of(self, section: str) -> dict:
        """{name: Key} of ``section`` ("" = top level); {} for a section the command does not have."""
        return self.sections.get(section, {})


def _number(name, v, kind):
    if isinstance(v, bool):
        raise ParameterError(f"{name} = {v!r} must be a number")
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            what = "a whole number" if kind == "int" else "a number"
            raise ParameterError(f"{name} = {v!r} is not {what}") from None
        return f
    if not isinstance(v, (int, float)):
        raise ParameterError(f"{name} = {v!r} must be a number")
    return v


def _with_unit(name, v, units: dict, example: str, what: str) -> float:
    if isinstance(v, bool):
        raise ParameterError(f"{name} = {v!r} is not {what}")
    if isinstance(v, (int, float)):
        if v == 0:
            return 0.0
        raise ParameterError(
            f'{name} = {v!r} needs a unit: write it as a string, e.g. "{v}{example}" ({", ".join(units)})'
        )
    m = _RE.match(str(v))
    if not m:
        raise ParameterError(f"{name} = {v!r} is not {what} with a unit ({', '.join(units)})")
    num, unit = float(m.group(1)), m.group(2)
    if not unit:
        if num == 0:
            return 0.0
        raise ParameterError(
            f"{name} = {v!r} needs a unit: write e.g. {m.group(1)}{example} ({', '.join(units)})"
        )
    if unit not in units:
        raise ParameterError(f"{name} = {v!r}: unknown unit {unit!r}; use {', '.join(units)}")
    return num * units[unit]


def value(name: str, key: Key, v):
    """Validate and normalise one value, from the command line (text) or a card (TOML value).
    Energies to GeV, lengths to m, moments to mu_B (unit factors: PDG/CODATA prefixes; shared/design.md).

    >>> value("m_ap", Key("energy"), "0.5 MeV"), value("L", Key("length"), "30 cm"), value("n", Key("int"), "1e8")
    (0.0005, 0.3, 100000000)
    >>> value("L", Key("length"), "2 ft")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: L = '2 ft': unknown unit 'ft'; use m, cm, mm, km
    """
    if v is None:
        return None
    k = key.kind
    if k == "bool":
        if isinstance(v, str) and v.lower() in ("true", "false"):
            return v.lower() == "true"
        if not isinstance(v, bool):
            raise ParameterError(f"{name} = {v!r} must be true or false")
        return v
    if k == "int":
        x = _number(name, v, "int")
        if isinstance(x, float):
            if not x.is_integer():
                raise ParameterError(f"{name} = {v!r} must be a whole number")
            x = int(x)  # events = 1e8
        if key.lo is not None and x < key.lo:
            raise ParameterError(f"{name} = {x} must be >= {key.lo:g}")
        if key.hi is not None and x > key.hi:
            raise ParameterError(f"{name} = {x} must be <= {key.hi:g}")
        return int(x)
    if k == "str":
        if not isinstance(v, str):
            raise ParameterError(f"{name} = {v!r} must be a string")
        choices = key.get_choices()
        if choices:
            match = {c.lower(): c for c in choices}.get(v.lower())
            if match is None:
                raise ParameterError(f"{name} = {v!r}; choose from {', '.join(choices)}")
            return match
        return v
    if k == "float":
        x = _number(name, v, "float")
        return check_range(name, x, key.lo, key.hi, lo_open=key.lo_open)
    if k == "energy":
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v != 0:
            raise ParameterError(
                f'{name} = {v!r} needs a unit: write it as a string, e.g. "{v}MeV" ({UNITS_TEXT})'
            )
        x = parse_energy(v, name)
        return check_range(name, x, key.lo, key.hi, unit="GeV", lo_open=key.lo_open)
    if k == "energy_or_off":
        if isinstance(v, str) and v.strip().lower() in ("off", "none"):
            return "off"
        return value(name, Key("energy", lo=key.lo, hi=key.hi, lo_open=key.lo_open), v)
    if k == "length":
        x = _with_unit(name, v, LENGTH_UNITS, "m", "a length")
        return check_range(name, x, key.lo, key.hi, unit="m", lo_open=key.lo_open)
    if k == "moment":
        x = _with_unit(name, v, dict.fromkeys(MOMENT_UNITS, 1.0), "muB", "a magnetic moment")
        return check_range(name, x, key.lo, key.hi, unit="muB", lo_open=key.lo_open)
    if k == "masses":
        ms = parse_mass_range(v, name)
        for m in ms:
            check_range(name, float(m), key.lo, key.hi, unit="GeV", lo_open=key.lo_open)
        return [float(m) for m in ms]
    if k == "pair":
        if isinstance(v, str):
            v = [p for p in v.replace(":", ",").split(",") if p.strip()]
        if not isinstance(v, (list, tuple)) or len(v) != 2:
            raise ParameterError(f"{name} = {v!r} must be two numbers lo, hi")
        try:
            lo, hi = (float(x) for x in v)
        except (TypeError, ValueError):
            raise ParameterError(f"{name} = {v!r} must be two numbers lo, hi") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            raise ParameterError(f"{name} = {v!r}: need finite lo < hi")
        return (lo, hi)
    if k == "table":
        if not isinstance(v, dict):
            raise ParameterError(f"{name} must be a table")
        return dict(v)
    raise AssertionError(k)  # pragma: no cover


def validate(schema: Schema, card: dict, where: str = "card") -> dict:
    """Check every key of a card (unknown keys, types, ranges); return it normalised (energies in GeV;
    shared/design.md, ``cards.py``).

    >>> s = Schema("demo", {"": {"seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> validate(s, {"x": {"m_ap": "2 keV"}})
    {'x': {'m_ap': 2e-06}}
    >>> validate(s, {"y": 1})
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: card: unknown key 'y'; 'demo' takes seed and the tables [x]
    """
    if not isinstance(card, dict):
        raise ParameterError(f"{where}: a card is a TOML table")
    top = schema.keys_of("")
    out: dict = {}
    for k, v in card.items():
        if k in schema.sections and k != "":
            keys = schema.sections[k]
            if not isinstance(v, dict):
                raise ParameterError(f"{where}: [{k}] must be a table")
            if keys is None:  # a table checked by the code that uses it
                out[k] = dict(v)
                continue
            sec = {}
            for kk, vv in v.items():
                if kk not in keys:
                    raise ParameterError(
                        f"{where}: unknown key '{k}.{kk}'; [{k}] takes {', '.join(keys) or 'nothing'}"
                    )
                sec[kk] = value(f"{k}.{kk}", keys[kk], vv)
            out[k] = sec
        elif k in top:
            out[k] = value(k, top[k], v)
        else:
            tables = [s for s in schema.sections if s]
            raise ParameterError(
                f"{where}: unknown key '{k}'; '{schema.command}' takes {', '.join(top) or 'no top-level keys'}"
                + (f" and the tables [{'], ['.join(tables)}]" if tables else "")
            )
    for sec in schema.required:
        if sec not in out:
            raise ParameterError(f"{where}: missing the [{sec}] table")
    return out


def read_toml(path) -> tuple[dict, str]:
    """The table and text of a TOML card file; an unreadable file or bad TOML is a ParameterError
    (TOML v1.0.0 via :mod:`tomllib`; shared/design.md).

    >>> read_toml("/nonexistent/c.toml")
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: --card /nonexistent/c.toml: cannot read (No such file or directory)
    """
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ParameterError(f"--card {p}: cannot read ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"--card {p}: not valid TOML ({exc})") from None


def load_card(schema: Schema, path) -> tuple[dict, str]:
    """Read a TOML card and check it against ``schema``: (the card as written, its text).

    The card is returned as written (units as text): :func:`resolve` normalises it. Source of the format:
    shared/design.md (``cards.py``). A card written by :func:`to_toml` reads back to the same run:

    >>> import pathlib, tempfile
    >>> s = Schema("demo", {"": {"seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> c = resolve(s, {"x": {"m_ap": "2 MeV"}}, tables=("x",))
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "card.toml"
    >>> _ = p.write_text(to_toml(s, c))
    >>> raw, text = load_card(s, p)
    >>> raw, resolve(s, raw, tables=("x",)) == c
    ({'seed': 1, 'x': {'m_ap': '0.002 GeV'}}, True)
    """
    raw, text = read_toml(path)
    validate(schema, raw, where=f"card {Path(path)}")
    return raw, text


def resolve(schema: Schema, card: dict | None = None, overrides: dict | None = None, *, tables=()) -> dict:
    """Defaults < card < overrides, for the top level and the sections in ``tables``.

    ``overrides`` is a flat dict of command-line values (text or Python values; None = not given),
    validated here like card values; each key belongs to the top level or to one of ``tables``. Returns
    ``{top-level keys..., table: {keys...}}`` with every key filled in (None where there is no
    default); the card's other tables are validated but not returned. Energies in GeV (shared/design.md).

    >>> s = Schema("demo", {"": {"seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> resolve(s, {"seed": 3, "x": {"m_ap": "1 MeV"}}, {"m_ap": "2 MeV"}, tables=("x",))   # command line wins
    {'seed': 3, 'x': {'m_ap': 0.002}}
    """
    card = validate(schema, card or {})
    ov = {k: v for k, v in (overrides or {}).items() if v is not None}
    top = schema.keys_of("")
    out = {k: key.get_default(k) for k, key in top.items()}
    out.update({k: v for k, v in card.items() if k in top})
    for k in list(ov):
        if k in top:
            out[k] = _checked(_flag_name(k, top[k]), top[k], ov.pop(k))
    for t in tables:
        keys = schema.keys_of(t) or {}
        sec = {k: key.get_default(f"{t}.{k}") for k, key in keys.items()}
        sec.update(card.get(t, {}))
        for k in list(ov):
            if k in keys:
                sec[k] = _checked(_flag_name(k, keys[k]), keys[k], ov.pop(k))
        out[t] = sec
    if ov:
        k = next(iter(ov))
        owners = [s or "top level" for s, ks in schema.sections.items() if ks and k in ks]
        what = f"applies to {', '.join(owners)}" if owners else "is not an option"
        raise ParameterError(f"--{k.replace('_', '-')} {what}, not to {', '.join(tables) or schema.command}")
    return out


@dataclass(frozen=True)
class Given:
    """A command-line value already validated by :func:`value` while parsing (not checked again);
    in the unit of its key (GeV, m, mu_B; shared/design.md).

    >>> s = Schema("demo", {"": {}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> resolve(s, None, {"m_ap": Given(0.003)}, tables=("x",))
    {'x': {'m_ap': 0.003}}
    """

    value: object


def _checked(name: str, key: Key, v):
    return v.value if isinstance(v, Given) else value(name, key, v)


def _flag_name(name: str, key: Key) -> str:
    return flag_of(name, key) or name


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    raise ParameterError(f"cannot write {v!r} to a TOML card")  # pragma: no cover


def _card_text(key: Key, v):
    """A resolved value as its card spelling (units written out, so the card reads back)."""
    if v is None:
        return None
    if isinstance(v, str) and key.kind in ("masses", "energy", "length", "moment"):
        return v
    if key.kind == "energy" or (key.kind == "energy_or_off" and v != "off"):
        return f"{v!r} GeV"
    if key.kind == "length":
        return f"{v!r} m"
    if key.kind == "moment":
        return f"{v!r} muB"
    if key.kind == "masses":
        return ",".join(repr(float(m)) for m in v) + "GeV"
    return v


def to_toml(schema: Schema, config: dict) -> str:
    """A resolved configuration as TOML text (None values are left out), readable by :func:`validate`.
    Energies written in GeV, lengths in m, moments in muB (TOML v1.0.0; shared/design.md).

    >>> s = Schema("demo", {"": {"seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> print(to_toml(s, {"seed": 1, "x": {"m_ap": 0.002}}), end="")
    # darktmm demo card (resolved: every key, with its unit)
    seed = 1
    <BLANKLINE>
    [x]
    m_ap = "0.002 GeV"
    """
    lines = [f"# darktmm {schema.command} card (resolved: every key, with its unit)"]
    tables = []
    top = schema.keys_of("")
    for k, v in config.items():
        if isinstance(v, dict) and k in schema.sections and k != "":
            tables.append((k, v))
        elif v is not None and k in top:
            t = _card_text(top[k], v)
            if t is not None:
                lines.append(f"{k} = {_toml_value(t)}")
    for name, tab in tables:
        keys = schema.sections[name]
        lines.append("")
        lines.append(f"[{name}]")
        for k, v in tab.items():
            t = v if keys is None else _card_text(keys[k], v)
            if t is not None:
                lines.append(f"{k} = {_toml_value(t)}")
    return "\n".join(lines) + "\n"


# --- command-line options from the same keys ---------------------------------------------------
def flag_of(name: str, key: Key) -> str | None:
    """The command-line flag of key ``name`` (None: card only), as in shared/design.md ``cards.py``.

    >>> flag_of("m_ap", Key("energy")), flag_of("seed", Key("int", flag="-s")), flag_of("x", Key("int", flag=""))
    ('--m-ap', '-s', None)
    """
    if key.flag == "":
        return None
    return key.flag or "--" + name.replace("_", "-")


def add_options(parser, keys: dict, *, group: str | None = None, skip=()) -> None:
    """argparse options for ``keys`` (default None = not given; defaults apply in :func:`resolve`).
    Values are validated while parsing, in the units of :func:`value` (GeV, m, mu_B; shared/design.md).

    >>> import argparse
    >>> ap = argparse.ArgumentParser()
    >>> add_options(ap, {"m_ap": Key("energy", 0.0)})
    >>> ap.parse_args(["--m-ap", "3MeV"]).m_ap
    Given(value=0.003)
    """
    import argparse

    target = parser.add_argument_group(group) if group else parser
    for name, key in keys.items():
        flag = flag_of(name, key)
        if flag is None or name in skip:
            continue
        d = key.default
        dtext = "" if callable(d) or d is None else f" (default {_card_text(key, d)})"
        if key.kind == "bool":
            target.add_argument(
                flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=key.help + dtext
            )
            continue
        target.add_argument(
            flag,
            dest=name,
            type=_converter(flag, key),
            default=None,
            help=key.help + dtext,
            metavar=_metavar(key),
        )


def _metavar(key: Key) -> str:
    return {
        "energy": "E",
        "energy_or_off": "E|off",
        "length": "L",
        "moment": "MU",
        "masses": "LO:HI:N<unit>",
        "pair": "LO,HI",
        "int": "N",
        "float": "X",
    }.get(key.kind, "TEXT")


def _converter(flag: str, key: Key):
    import argparse

    def conv(text):
        try:
            return Given(value(flag, key, text))  # checked and converted once, while parsing
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    conv.__name__ = key.kind
    return conv


def overrides(args, schema: Schema, tables=()) -> dict:
    """The options given on the command line (not None) for the top level and ``tables``
    (shared/design.md, ``cards.py``); values keep their units (GeV, m, mu_B).

    >>> import argparse
    >>> s = Schema("demo", {"": {"seed": Key("int", 1)}, "x": {"m_ap": Key("energy", 0.0)}})
    >>> overrides(argparse.Namespace(seed=None, m_ap=Given(0.003)), s, ("x",))
    {'m_ap': Given(value=0.003)}
    """
    names = set(schema.keys_of(""))
    for t in tables:
        names |= set(schema.keys_of(t) or {})
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


__all__ = [
    "Key",
    "LENGTH_UNITS",
    "MOMENT_UNITS",
    "Schema",
    "add_options",
    "load_card",
    "overrides",
    "read_toml",
    "resolve",
    "to_toml",
    "validate",
    "value",
]
