"""The model card of ``darktmm model``, ``constraints`` (and ``report``): the UV point and the scan.

Sections (every key checked; unknown ones are errors, as in every card)::

    [benchmark]   name = "BM1", description = "..."
    [uv]          M_F = "1 TeV", m1 = "1 TeV", m2 = "inf" | "2 TeV", theta [rad], g_D, Q_D, y, yp
    [meg]         prescription = "benchmark" | "full" | "model"
    [dark_photon] gamma_dark = "1keV" | gamma_dark_over_m = 1e-4 |
                  dark_fermion_charge = 0.01 (+ dark_fermion_mass = "1keV")     (at most one kind)
    [scan]        masses = "1e-3:5:40GeV"; [scan.uv] M_F = [...], m1 = [...]  (UV grid)
    [borexino]    method = "auto"|"spectral"|"rates", flavour = "effective"|"exact",
                  treatment = "ssm"|"ga"|"free", rtol = 1e-2, scaling_above = "0.1GeV" | "off"

Masses of the UV model carry their unit like every other energy. :func:`uv_model`,
:func:`cap_from_card` and :func:`gamma_dark_function` turn the resolved sections into the
objects of ``darktmm.spectra.uv`` and ``darktmm.detectors.constraints``.
"""

from __future__ import annotations

import math

from darktmm.simulate.cards import Key, Schema, value
from darktmm.spectra.validate import ParameterError

DEFAULT_MASSES = "1e-3:5:40GeV"
DEFAULT_RTOL = 1e-2
UV_ENERGIES = ("M_F", "m1", "m2")


def _prescriptions():
    from darktmm.detectors import constraints as cons

    return cons.PRESCRIPTIONS


def _flavours():
    from darktmm.detectors import constraints as cons

    return cons.FLAVOUR_TREATMENTS


SECTIONS = {
    "benchmark": {
        "name": Key("str", "", "benchmark name", flag=""),
        "description": Key("str", "", "what the point is", flag=""),
    },
    "uv": None,
    "meg": {
        "prescription": Key(
            "str", "benchmark", "MEG II cap: benchmark | full | model", choices=_prescriptions
        )
    },
    "dark_photon": {
        "gamma_dark": Key(
            "energy", None, "extra invisible A' width with unit (overrides the card's width)", lo=0.0
        ),
        "gamma_dark_over_m": Key("float", None, "Gamma_dark/m_A'", lo=0.0, hi=1.0, flag=""),
        "dark_fermion_charge": Key("float", None, "Q_chi of a light dark Dirac fermion", lo=0.0, flag=""),
        "dark_fermion_mass": Key("energy", None, "its mass with unit", lo=0.0, flag=""),
    },
    "scan": {
        "masses": Key(
            "masses", DEFAULT_MASSES, f"lo:hi:n with unit, or a comma list (default {DEFAULT_MASSES})", lo=0.0
        ),
        "uv": Key("table", None, "UV grid {M_F = [...], m1 = [...]} (card only)", flag=""),
    },
    "borexino": {
        "method": Key(
            "str",
            "auto",
            "Borexino likelihood: auto | spectral | rates",
            choices=("auto", "spectral", "rates"),
        ),
        "flavour": Key(
            "str", "effective", "Borexino flavour treatment: effective | exact", choices=_flavours
        ),
        "treatment": Key(
            "str", "ssm", "Borexino pp/7Be priors: ssm | ga | free", choices=("ssm", "ga", "free")
        ),
        "rtol": Key("float", DEFAULT_RTOL, "Borexino per-bin MC precision", lo=1e-5, hi=0.5),
        "scaling_above": Key(
            "energy_or_off",
            0.1,
            "Borexino bound scaled as m^2 above this mass ('off' computes every mass)",
            lo=0.0,
            lo_open=True,
        ),
    },
}
TABLES = tuple(SECTIONS)


def schema(command: str, top: dict) -> Schema:
    """The model-card schema of ``command`` with its top-level keys ``top``; [uv] is required (sections of
    the UV model of uv_model_meg.md sections 4-6; card rules of shared/design.md ``cards.py``).

    >>> s = schema("model", {})
    >>> s.required, list(s.sections)[1:]
    (('uv',), ['benchmark', 'uv', 'meg', 'dark_photon', 'scan', 'borexino'])
    """
    return Schema(command, {"": top, **SECTIONS}, required=("uv",))


def uv_model(cfg):
    """The :class:`spectra.uv.UVModel` of the resolved [uv] section (masses with units, returned in GeV;
    uv_model_meg.md sections 4-5). ``m2 = "inf"`` decouples the second scalar.

    >>> m = uv_model({"uv": {"M_F": "1 TeV", "m1": "1 TeV", "m2": "inf", "theta": 0.5, "g_D": 1.0, "Q_D": 1.0}})
    >>> m.M_F, m.m1, m.m2
    (1000.0, 1000.0, inf)
    >>> uv_model({"uv": {"M_F": 1000.0}})
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: uv.M_F = 1000.0 needs a unit: write it as a string, e.g. "1000.0MeV" (eV, keV, MeV, GeV, TeV)
    """
    from darktmm.spectra import uv

    d = dict(cfg["uv"])
    for k in UV_ENERGIES:
        if k in d:
            v = d[k]
            if k == "m2" and (v == "inf" or (isinstance(v, float) and math.isinf(v))):
                d[k] = math.inf
                continue
            d[k] = value(f"uv.{k}", Key("energy", lo=0.0, lo_open=True), v)
    try:
        return uv.UVModel.from_dict(d)
    except (ParameterError, TypeError) as exc:
        raise ParameterError(f"card [uv]: {exc}") from None


def cap_from_card(cfg):
    """The MEG II cap of the card's UV point (or of its [scan.uv] grid): uv_model_meg.md section 6
    (MEG II BR < 1.5e-13, arXiv:2504.15711; uv_model_meg.md section 2). BM1 (``examples/bm1.toml``: M_F = m1 = 1 TeV, m2 decoupled, theta = pi/4)
    gives |mu_D^(e mu)| < 9.25e-12 mu_B with the benchmark prescription:

    >>> from darktmm.simulate import cards
    >>> s = schema("model", {})
    >>> uv = {"M_F": "1 TeV", "m1": "1 TeV", "m2": "inf", "theta": math.pi / 4, "g_D": 1.0, "Q_D": 1.0}
    >>> cfg = cards.resolve(s, {"uv": uv}, tables=TABLES)
    >>> f"{cap_from_card(cfg).mu_D_max_muB:.3g}"
    '9.25e-12'
    """
    from darktmm.detectors import constraints as cons

    model = uv_model(cfg)
    pres = cfg["meg"]["prescription"]
    grid = cfg["scan"].get("uv")
    if grid is not None:
        grid = dict(grid)
        for k in UV_ENERGIES:
            if k in grid:
                grid[k] = [value(f"scan.uv.{k}", Key("energy", lo=0.0, lo_open=True), v) for v in grid[k]]
        try:
            return cons.mu_D_cap_scan(model, grid, pres)
        except ParameterError as exc:
            raise ParameterError(f"card [scan.uv]: {exc}") from None
    return cons.mu_D_cap(model, pres)


def gamma_dark_function(cfg, g_D: float = 1.0):
    """m -> Gamma_dark [GeV] from the [dark_photon] section (or --gamma-dark), and a description.
    The dark-fermion width is that of accelerator.md 7.2 (alpha_D Q_chi^2 m/3 for m_chi -> 0).

    >>> f, text = gamma_dark_function({"dark_photon": {"gamma_dark_over_m": 1e-4}})
    >>> f(0.5), text
    (5e-05, "Gamma_dark = 0.0001 m_A'")
    >>> gamma_dark_function({"dark_photon": {"gamma_dark": 1e-6, "gamma_dark_over_m": 1e-4}})
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: card [dark_photon]: give only one of ['gamma_dark', 'gamma_dark_over_m']
    """
    from darktmm.detectors import constraints as cons

    sec = {k: v for k, v in cfg["dark_photon"].items() if v is not None}
    kinds = [k for k in ("gamma_dark", "gamma_dark_over_m", "dark_fermion_charge") if k in sec]
    if len(kinds) > 1:
        raise ParameterError(f"card [dark_photon]: give only one of {kinds}")
    if "dark_fermion_mass" in sec and "dark_fermion_charge" not in sec:
        raise ParameterError("card [dark_photon]: dark_fermion_mass needs dark_fermion_charge")
    if not kinds:
        return (lambda m: 0.0), "Gamma_dark = 0 (TMM width only)"
    k = kinds[0]
    if k == "gamma_dark":
        w = sec[k]
        return (lambda m: w), f"Gamma_dark = {w:g} GeV"
    if k == "gamma_dark_over_m":
        r = sec[k]
        return (lambda m: r * m), f"Gamma_dark = {r:g} m_A'"
    q = sec[k]
    mchi = sec.get("dark_fermion_mass", 0.0)
    return (
        lambda m: cons.dark_fermion_width(m, g_D, q, mchi),
        f"Gamma_dark = A' -> chi chibar, light dark Dirac fermion, Q_chi = {q:g}, m_chi = {mchi:g} GeV, "
        f"alpha_D = g_D^2/4pi = {g_D**2 / (4 * math.pi):.4g} (not part of the paper's UV model)",
    )


def resolve_model_args(args, sch: Schema):
    """Defaults < card < command line for a model-card command; the card is required (card rules of
    shared/design.md ``cards.py``; energies in GeV). ``examples/bm1.toml`` is such a card.

    >>> import argparse
    >>> resolve_model_args(argparse.Namespace(card=None), schema("model", {}))
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: 'model' needs --card model.toml (see examples/bm1.toml)
    """
    from darktmm.simulate import cards

    if not getattr(args, "card", None):
        raise ParameterError(f"'{sch.command}' needs --card model.toml (see examples/bm1.toml)")
    card, text = cards.load_card(sch, args.card)
    cfg = cards.resolve(sch, card, cards.overrides(args, sch, TABLES), tables=TABLES)
    return cfg, text


__all__ = [
    "DEFAULT_MASSES",
    "SECTIONS",
    "TABLES",
    "cap_from_card",
    "gamma_dark_function",
    "resolve_model_args",
    "schema",
    "uv_model",
]
