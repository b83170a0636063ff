"""How the C allocator of a tradesim process treats freed memory.

A run allocates and frees arrays of a few to a few tens of MB many times over (one per
quarter and table block at GTAP size). glibc serves each such array with a fresh ``mmap``
and returns it to the kernel when freed, so every new one is faulted in page by page:
on the 2-core VMs of docs/performance.md that kernel time was 3-4 s of a 6 s run. With
these settings glibc keeps freed memory in its heap and reuses it.
"""

from __future__ import annotations

import ctypes
import os
import sys

# mallopt parameters of glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
# Arrays up to glibc's largest threshold come from the heap (a GTAP-size flow array is
# 10 MB); the heap grows 64 MB at a time and is not trimmed below 1 GB of free space.
SETTINGS = (
    (_M_MMAP_THRESHOLD, 32 * 2**20),
    (_M_TOP_PAD, 64 * 2**20),
    (_M_TRIM_THRESHOLD, 2**30),
)


def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (:data:`SETTINGS`).

    Does nothing, and returns False, outside Linux, without glibc's ``mallopt``, or when
    the user has set the allocator with ``GLIBC_TUNABLES`` or a ``MALLOC_*_`` variable:
    a user's own setting wins.

    Returns
    -------
    bool
        Whether every setting was accepted.
    """
    if not sys.platform.startswith("linux") or _set_by_user():
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return all(mallopt(parameter, value) == 1 for parameter, value in SETTINGS)


def _set_by_user() -> bool:
    return "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "") or any(
        name.startswith("MALLOC_") and name.endswith("_") for name in os.environ
    )
