"""TOML run cards for ``darktmm generate``: everything the command line can say, validated.

A card holds the run keys at the top level and the process options in a table named after the
process; only the table of the chosen process is used. Energies are a number in GeV or a
string with a unit (``m_ap = "0.5MeV"``). Example::

    process = "borexino"        # borexino | babar | na64
    events = 100000
    unweighted = true
    seed = 7
    out = "events.root"         # .root or .hepmc3; no out: nothing is written

    [borexino]
    component = "7Be"
    kind = "tmm"
    m_ap = "0.5MeV"
    eps_mu = 1e-11

Precedence: built-in defaults < card < command-line options. :func:`resolve` returns the full
configuration (every key, defaults filled in, energies in GeV) and :func:`to_toml` writes it
back as a card: the card stored in every output reproduces the run on its own. An unknown key,
a wrong type or a value out of range is a :class:`ParameterError` naming the key.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from darktmm.detectors import babar, na64
from darktmm.detectors.borexino import SOLAR
from darktmm.simulate import events as ev
from darktmm.simulate.sampler import BLOCK, CHUNK
from darktmm.simulate.units import parse_energy
from darktmm.spectra.constants import MEV
from darktmm.spectra.validate import ParameterError, check_range

PROCESSES = ("borexino", "babar", "na64")


@dataclass(frozen=True)
class Key:
    """One card key: kind (int, float, bool, str, energy, pair), default, range or choices, help."""

    kind: str
    default: object
    help: str = ""
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    lo_open: bool = False


RUN_KEYS = {
    "process": Key("str", None, "borexino | babar | na64", choices=PROCESSES),
    "events": Key("int", None, "number of events (unweighted) or trials (weighted)", lo=1),
    "unweighted": Key("bool", False, "unweighted events by accept-reject against w_max"),
    "seed": Key("int", 1, "seed of the run's random numbers", lo=0),
    "out": Key("str", None, "output file, .root or .hepmc3 (none: nothing is written)"),
    "json": Key("bool", False, "print a JSON summary on stdout"),
    "plot": Key("str", None, "draw the observables' histograms into this PNG"),
    "data_dir": Key("str", None, "directory of the public data files"),
    "chunk": Key("int", CHUNK, "events per output chunk (memory bound)", lo=1),
    "block": Key("int", BLOCK, "trials per random-number block (changes the events)", lo=1),
    "pilot": Key("int", 4 * BLOCK, "trials of the pilot run that sets w_max", lo=1),
    "train_nitn": Key("int", 10, "VEGAS training iterations", lo=1),
    "train_neval": Key(
        "int",
        None,
        "VEGAS evaluations per training iteration (default 20000; 100000 for babar with ISR)",
        lo=100,
    ),
    "integrate_nitn": Key("int", 5, "frozen VEGAS iterations for sigma_vegas", lo=1),
    "wmax_factor": Key("float", 1.0, "w_max = wmax_factor x pilot maximum", lo=0.0, lo_open=True),
    "compression": Key("str", "lz4", "ROOT compression: lz4 or zstd, optionally :level"),
}

PROCESS_KEYS = {
    "borexino": {
        "component": Key("str", "7Be", "solar component", choices=SOLAR),
        "kind": Key("str", "sm", "sm or tmm", choices=("sm", "tmm")),
        "m_ap": Key("energy", 0.0, "dark-photon mass (TMM)", lo=0.0),
        "eps_mu": Key(
            "float", 1e-11, "effective moment eps*mu_eff [mu_B] (TMM, flavour blind)", lo=0.0, hi=1e-6
        ),
        "t_min": Key("energy", 0.05 * MEV, "lowest recoil kinetic energy T", lo=0.0, lo_open=True),
        "t_max": Key("energy", 20.0 * MEV, "highest recoil kinetic energy T", lo=0.0, lo_open=True),
    },
    "babar": {
        "resonance": Key("str", "3S", "Upsilon resonance", choices=tuple(babar.RESONANCES)),
        "m_ap": Key("energy", 1.0, "dark-photon mass", lo=0.0),
        "eps": Key("float", 1e-3, "kinetic mixing", lo=0.0, hi=1.0),
        "eps_mu": Key("float", 0.0, "dark TMM scale mu_D [mu_B] (flavour blind)", lo=0.0),
        "gamma_dark": Key("energy", 0.0, "extra invisible width", lo=0.0),
        "z_window": Key(
            "pair",
            babar.REGIONS["LowM"].z,
            "photon acceptance lo,hi in cos(theta*) (BaBar LowM; --z-window=-0.4,0.6)",
        ),
        "mx2_window": Key("pair", None, "M_X^2 window lo,hi [GeV^2], needed with ISR (--mx2-window=-4,36)"),
        "isr": Key("bool", False, "initial-state radiation"),
        "offshell": Key("bool", False, "off-shell A'* -> invisible continuum"),
        "frame": Key("str", "lab", "cm or lab (PEP-II boost)", choices=("cm", "lab")),
        "l_det": Key("float", babar.L_DET_M, "detector length for the escape flag [m]", lo=0.0),
    },
    "na64": {
        "m_ap": Key("energy", 0.01, "dark-photon mass", lo=0.0, lo_open=True),
        "eps": Key("float", 1e-4, "kinetic mixing", lo=0.0, hi=1.0),
        "eps_mu": Key("float", 0.0, "dark TMM scale mu_D [mu_B] (flavour blind)", lo=0.0),
        "gamma_dark": Key("energy", 0.0, "extra invisible width", lo=0.0),
        "e0": Key("energy", 100.0, "beam energy", lo=0.0, lo_open=True),
        "e_cut": Key("energy", 50.0, "minimum A' energy", lo=0.0),
        "t_x0": Key("float", 40.0, "active-target thickness [X0]", lo=0.0, lo_open=True),
        "l_det": Key("float", na64.L_DET_M, "detector length for the escape flag [m]", lo=0.0),
        "ecal_stochastic": Key(
            "float", na64.RESPONSE.stochastic, "ECAL sigma_E/E stochastic term a/sqrt(E/GeV)", lo=0.0, hi=1.0
        ),
        "ecal_constant": Key("float", na64.RESPONSE.constant, "ECAL sigma_E/E constant term", lo=0.0, hi=1.0),
    },
}


def _value(name: str, key: Key, v):
    """Validate and normalise one value (energies to GeV floats, pairs to tuples)."""
    if v is None:
        return None
    k = key.kind
    if k == "bool":
        if not isinstance(v, bool):
            raise ParameterError(f"{name} = {v!r} must be true or false")
        return v
    if k == "int":
        if isinstance(v, float) and v.is_integer():
            v = int(v)  # events = 1e8
        if isinstance(v, bool) or not isinstance(v, int):
            raise ParameterError(f"{name} = {v!r} must be a whole number")
        if key.lo is not None and v < key.lo:
            raise ParameterError(f"{name} = {v} must be >= {key.lo:g}")
        return int(v)
    if k == "str":
        if not isinstance(v, str):
            raise ParameterError(f"{name} = {v!r} must be a string")
        if key.choices:
            match = {c.lower(): c for c in key.choices}.get(v.lower())
            if match is None:
                raise ParameterError(f"{name} = {v!r}; choose from {', '.join(key.choices)}")
            return match
        return v
    if k in ("float", "energy"):
        if isinstance(v, bool):
            raise ParameterError(f"{name} = {v!r} must be a number")
        x = parse_energy(v, name) if k == "energy" and isinstance(v, str) else v
        return check_range(name, x, key.lo, key.hi, unit="GeV" if k == "energy" else "", lo_open=key.lo_open)
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
    raise AssertionError(k)  # pragma: no cover


def validate(card: dict, where: str = "card") -> dict:
    """Check every key of a card dict (unknown keys, types, ranges); return it normalised."""
    if not isinstance(card, dict):
        raise ParameterError(f"{where}: a run card is a TOML table")
    out = {}
    for k, v in card.items():
        if k in PROCESS_KEYS:
            if not isinstance(v, dict):
                raise ParameterError(f"{where}: [{k}] must be a table of process options")
            sec = {}
            for kk, vv in v.items():
                if kk not in PROCESS_KEYS[k]:
                    raise ParameterError(
                        f"{where}: unknown key '{k}.{kk}'; [{k}] takes {', '.join(PROCESS_KEYS[k])}"
                    )
                sec[kk] = _value(f"{k}.{kk}", PROCESS_KEYS[k][kk], vv)
            out[k] = sec
        elif k in RUN_KEYS:
            out[k] = _value(k, RUN_KEYS[k], v)
        else:
            raise ParameterError(
                f"{where}: unknown key '{k}'; top-level keys are {', '.join(RUN_KEYS)} and the tables "
                f"[{'], ['.join(PROCESS_KEYS)}]"
            )
    return out


def read_toml(path) -> tuple[dict, str]:
    """The table and text of a TOML card file; an unreadable file or bad TOML is a ParameterError."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as exc:
        raise ParameterError(f"--card {p}: cannot read ({exc.strerror or exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"--card {p}: not valid TOML ({exc})") from None


def load_card(path) -> dict:
    """Read and validate a TOML run card."""
    raw, _ = read_toml(path)
    return validate(raw, where=f"card {Path(path)}")


def resolve(card: dict | None = None, overrides: dict | None = None) -> dict:
    """Defaults < card < overrides (a flat dict of run keys and process keys, None = not given).

    Returns ``{run keys..., process: {...}}`` with every key of the chosen process filled in.
    """
    card = validate(card or {})
    ov = {k: v for k, v in (overrides or {}).items() if v is not None}
    run = {k: key.default for k, key in RUN_KEYS.items()}
    run.update({k: v for k, v in card.items() if k in RUN_KEYS})
    for k in list(ov):
        if k in RUN_KEYS:
            run[k] = _value(k, RUN_KEYS[k], ov.pop(k))
    proc = run["process"]
    if proc is None:
        raise ParameterError("no process: give borexino, babar or na64 (or process = ... in the card)")
    if run["events"] is None:
        raise ParameterError("the number of events is missing: --events N (or events = N in the card)")
    keys = PROCESS_KEYS[proc]
    sec = {k: key.default for k, key in keys.items()}
    sec.update(card.get(proc, {}))
    for k, v in ov.items():
        if k not in keys:
            owners = [p for p, ks in PROCESS_KEYS.items() if k in ks]
            what = f"applies to {', '.join(owners)}" if owners else "is not an option"
            raise ParameterError(f"--{k.replace('_', '-')} {what}, not to {proc}")
        sec[k] = _value(f"{proc}.{k}", keys[k], v)
    run[proc] = sec
    return run


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
    raise ParameterError(f"cannot write {v!r} to a TOML card")  # pragma: no cover


def to_toml(config: dict) -> str:
    """A resolved configuration as TOML text (None values are left out)."""
    lines = ["# darktmm run card (resolved: every key, energies in GeV)"]
    tables = []
    for k, v in config.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif v is not None:
            lines.append(f"{k} = {_toml_value(v)}")
    for name, tab in tables:
        lines.append("")
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in tab.items() if v is not None)
    return "\n".join(lines) + "\n"


def build_process(config: dict, profiles=None):
    """The :mod:`simulate.events` process of a resolved configuration.

    Also fills the process-dependent default ``train_neval`` into ``config`` (so the stored card
    holds every value)."""
    process = _build(config, profiles)
    if config.get("train_neval") is None:
        config["train_neval"] = process.train_neval
    return process


def _build(config, profiles):
    proc = config["process"]
    o = config[proc]
    if proc == "borexino":
        prof = None if profiles is None else profiles.get(o["component"])
        if o["t_max"] <= o["t_min"]:
            raise ParameterError(
                f"borexino.t_max = {o['t_max']:g} GeV must exceed t_min = {o['t_min']:g} GeV"
            )
        return ev.NuElectronEvents(
            o["component"],
            o["kind"],
            m_ap=o["m_ap"],
            eps_mu=o["eps_mu"],
            T_lo=o["t_min"],
            T_hi=o["t_max"],
            profile=prof,
        )
    if proc == "babar":
        return ev.MonophotonEvents(
            o["resonance"],
            m_ap=o["m_ap"],
            eps=o["eps"],
            mu_d=o["eps_mu"],
            gamma_dark=o["gamma_dark"],
            z_window=o["z_window"],
            mx2_window=o["mx2_window"],
            isr=o["isr"],
            offshell=o["offshell"],
            frame=o["frame"],
            L_det_m=o["l_det"],
        )
    return ev.DarkBremEvents(
        m_ap=o["m_ap"],
        eps=o["eps"],
        mu_d=o["eps_mu"],
        gamma_dark=o["gamma_dark"],
        E0=o["e0"],
        E_cut=o["e_cut"],
        T_X0=o["t_x0"],
        L_det_m=o["l_det"],
        ecal_stochastic=o["ecal_stochastic"],
        ecal_constant=o["ecal_constant"],
    )


def run_options(config: dict) -> dict:
    """Keyword options of :func:`simulate.sampler.generate` from a resolved configuration."""
    return {
        "seed": config["seed"],
        "unweighted": config["unweighted"],
        "chunk": config["chunk"],
        "block": config["block"],
        "pilot": config["pilot"],
        "train_nitn": config["train_nitn"],
        "train_neval": config["train_neval"],
        "integrate_nitn": config["integrate_nitn"],
        "wmax_factor": config["wmax_factor"],
    }


__all__ = [
    "RUN_KEYS",
    "PROCESS_KEYS",
    "load_card",
    "validate",
    "resolve",
    "to_toml",
    "build_process",
    "run_options",
]
