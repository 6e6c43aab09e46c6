"""darktmm physics layer: couplings, widths, cross sections, fluxes, oscillations, VEGAS.

No file I/O, no printing. Functions take numpy arrays in GeV and return arrays.
"""

#: The modules of this layer (import them as ``darktmm.spectra.<name>``).
__all__ = [
    "accel_mc",
    "constants",
    "darkbrem",
    "integrate",
    "kinematics",
    "loops",
    "model",
    "monophoton",
    "nue",
    "recoil",
    "solar",
    "uv",
    "validate",
    "widths",
]
