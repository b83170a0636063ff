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
# Each with the names a user sets it by: its environment variable and its tunable.
SETTINGS = (
    (_M_MMAP_THRESHOLD, 32 * 2**20, "MALLOC_MMAP_THRESHOLD_", "glibc.malloc.mmap_threshold"),
    (_M_TOP_PAD, 64 * 2**20, "MALLOC_TOP_PAD_", "glibc.malloc.top_pad"),
    (_M_TRIM_THRESHOLD, 2**30, "MALLOC_TRIM_THRESHOLD_", "glibc.malloc.trim_threshold"),
)


def reuse_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse (:data:`SETTINGS`).

    A setting the user has made (its ``MALLOC_*_`` variable, or its tunable in
    ``GLIBC_TUNABLES``) is left as the user made it. Dask, for one, sets
    ``MALLOC_TRIM_THRESHOLD_`` in the process that starts a local cluster, and so for the
    processes that process starts. Does nothing outside Linux or without glibc's
    ``mallopt``.

    Returns
    -------
    bool
        Whether every setting not made by the user was accepted (False where nothing
        could be set).
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    return all(
        mallopt(parameter, value) == 1
        for parameter, value, variable, tunable in SETTINGS
        if variable not in os.environ and f"{tunable}=" not in tunables
    )
