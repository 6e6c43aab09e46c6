"""darktmm physics layer: couplings, widths, cross sections, fluxes, oscillations, VEGAS.

No file I/O, no printing. Functions take numpy arrays in GeV and return arrays.
"""
