"""Heap settings for long streaming runs (glibc malloc), applied by ``darktmm generate``.

What to use
-----------
``tune_malloc()`` once per process before streaming many events into a ROOT file; it returns
True when the settings were applied (glibc only; elsewhere it does nothing and returns False).
The ``darktmm generate`` command calls it unless the environment says
``DARKTMM_MALLOC=system``. Library users who call :func:`simulate.eventio.write_root` directly
may call it themselves; it changes nothing but speed.

Why
---
uproot writes every basket of every branch through fresh buffers of about one chunk of that
branch (``astype`` to big endian, ``tobytes``, the concatenation with the entry offsets, the
compressed copy): for a 25 000-event chunk of the nu-e record that is about 1 MB, 17 times per
chunk. glibc's dynamic thresholds serve such buffers with ``mmap`` or give the top of the heap
back to the kernel (``trim``) as soon as they are freed, so every chunk page-faults its memory
in again. Measured on this 2-core machine (``benchmarks/bench_events.py``, 1e6 unweighted
7Be events written with LZ4): 1.13 s with the glibc defaults and 0.73 s with these settings;
the peak resident memory is unchanged (214 MB both), since the heap is no larger than it was
at its peak.

The settings (``mallopt(3)``): ``M_MMAP_THRESHOLD`` = 32 MiB (the glibc maximum; larger blocks
still come from ``mmap``) and ``M_TRIM_THRESHOLD`` = 128 MiB (free memory at the top of the heap
is kept up to that size). They hold for the rest of the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

from darktmm.spectra.validate import ParameterError

#: mallopt(3) parameter numbers (glibc malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 128 * 1024 * 1024

#: Environment switch read by ``darktmm generate``.
ENV = "DARKTMM_MALLOC"
CHOICES = ("tuned", "system")


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 - present in glibc only (not musl)
        libc.mallopt  # noqa: B018
    except (OSError, AttributeError):
        return None
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    return libc


def tune_malloc() -> bool:
    """Set glibc's mmap and trim thresholds for streaming (see the module docstring).

    Returns True when both settings were accepted, False where there is no glibc. Source: glibc
    ``mallopt(3)`` (M_MMAP_THRESHOLD <= 32 MiB, M_TRIM_THRESHOLD); measurement in shared/design.md's
    ``benchmarks/bench_events.py``. Thresholds in bytes:

    >>> MMAP_THRESHOLD_BYTES // 2**20, TRIM_THRESHOLD_BYTES // 2**20   # MiB
    (32, 128)
    >>> tune_malloc() in (True, False)
    True
    """
    libc = _glibc()
    if libc is None:
        return False
    ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    return bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1 and ok)


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (n, ctypes.c_size_t)
        for n in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def served_by_mmap(nbytes: int = 4 << 20) -> bool | None:
    """Whether glibc serves one ``nbytes`` allocation with ``mmap`` now (``mallinfo2`` hblks;
    see the glibc manual pages mallinfo(3) and mallopt(3)).

    A probe of the heap settings in force: with :func:`tune_malloc` a 4 MiB block comes from the
    heap; with ``MALLOC_TRIM_THRESHOLD_`` in the environment (Dask's workers) glibc's mmap
    threshold stays at 128 KiB and it comes from ``mmap``. None where there is no glibc >= 2.33.
    Used to check that each Dask worker got darktmm's settings (``simulate.scale``).

    >>> served_by_mmap(1024) in (False, None)
    True
    """
    libc = _glibc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    libc.mallinfo2.restype = _Mallinfo2
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    h0 = libc.mallinfo2().hblks
    ptr = libc.malloc(int(nbytes))
    h1 = libc.mallinfo2().hblks
    libc.free(ptr)
    return bool(h1 > h0)


def from_environment(environ=None) -> bool:
    """Apply :func:`tune_malloc` unless ``DARKTMM_MALLOC=system``; returns whether it was applied
    (glibc ``mallopt(3)``; shared/design.md ``alloc.py``).

    >>> from_environment({"DARKTMM_MALLOC": "system"})
    False
    >>> from_environment({"DARKTMM_MALLOC": "fast"})
    Traceback (most recent call last):
    darktmm.spectra.validate.ParameterError: DARKTMM_MALLOC = 'fast'; choose one of tuned, system
    """
    value = (os.environ if environ is None else environ).get(ENV, "tuned").strip().lower() or "tuned"
    if value not in CHOICES:
        raise ParameterError(f"{ENV} = {value!r}; choose one of {', '.join(CHOICES)}")
    return tune_malloc() if value == "tuned" else False


__all__ = ["tune_malloc", "from_environment", "served_by_mmap", "ENV", "CHOICES"]
