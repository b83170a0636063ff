"""Sums over the origin or destination axis of ``(sector, origin, destination)`` arrays.

``numpy.sum`` over a short middle or last axis runs an inner loop as long as the axis (a
few regions) for every outer element, which costs about ten times the arithmetic. These
add the axis's slices one at a time into a zero-filled array instead: for fewer than
:data:`SHORT` terms ``numpy.sum`` makes the same additions in the same order (from zero,
first to last), so this is bit for bit its result (a test checks both, with signed
zeros), in a handful of whole-array operations. Longer axes are summed by ``numpy.sum``
(pairwise from eight terms on), whose inner loop is then long enough, and so are arrays
not laid out in C order (numpy may take their axes in another order).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

# numpy sums eight or more terms pairwise, in another order.
SHORT = 8


def sum_origins(values: FloatArray) -> FloatArray:
    """``values.sum(axis=1)`` of an array of shape (sector, origin, destination)."""
    if values.shape[1] >= SHORT or not values.flags.c_contiguous:
        return values.sum(axis=1)
    out = np.zeros((values.shape[0], values.shape[2]))
    for i in range(values.shape[1]):
        out += values[:, i, :]
    return out


def sum_destinations(values: FloatArray) -> FloatArray:
    """``values.sum(axis=2)`` of an array of shape (sector, origin, destination)."""
    if values.shape[2] >= SHORT or not values.flags.c_contiguous:
        return values.sum(axis=2)
    out = np.zeros(values.shape[:2])
    for j in range(values.shape[2]):
        out += values[:, :, j]
    return out
