"""darktmm experiments layer: detector response, data (with citations), likelihoods and limits."""

#: The modules of this layer (import them as ``darktmm.detectors.<name>``).
__all__ = [
    "accel_common",
    "babar",
    "borexino",
    "constraints",
    "data",
    "meg",
    "na64",
    "response",
    "solar_data",
    "stats",
]
