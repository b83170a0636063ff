"""The one rule for percent changes in every result file and printed line.

.. math:: \\%\\Delta = 100 \\, \\frac{v - r}{|r|},

with ``v`` the value and ``r`` the value it is compared against (the comparison run in
result files, the first scenario in ``tradesim compare``); empty (NaN) where ``r`` is 0 or
either is not finite. Dividing by ``|r|`` keeps the sign of the change: a negative balance
that grows more negative has a negative percent change.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model import FloatArray


def percent_change(
    value: FloatArray, reference: FloatArray, change: FloatArray | None = None
) -> FloatArray:
    """``100 (value - reference) / |reference|``, NaN where undefined, elementwise.

    Parameters
    ----------
    value, reference : ndarray
        Of one shape.
    change : ndarray, optional
        ``value - reference``, if already computed (the same numbers as computing it here).
    """
    if change is None:
        change = np.asarray(value, dtype=float) - reference
    # in place, so that a 20-million-row column needs no temporaries of its size
    pct = change * 100.0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pct /= np.abs(reference)
    # Where the rule leaves the change undefined (a reference of 0 or not finite, a value
    # not finite) the quotient is not finite: only those cells are looked at again.
    odd = np.flatnonzero(~np.isfinite(pct))
    if len(odd):
        flat = pct.reshape(-1)
        ref = np.broadcast_to(reference, pct.shape).reshape(-1)[odd]
        val = np.broadcast_to(value, pct.shape).reshape(-1)[odd]
        undefined = (ref == 0) | ~np.isfinite(ref) | ~np.isfinite(val)
        flat[odd[undefined]] = np.nan
    return pct


def percent_change_of(value: float, reference: float) -> float:
    """:func:`percent_change` of two numbers."""
    if reference == 0 or not math.isfinite(reference) or not math.isfinite(value):
        return math.nan
    return 100.0 * (value - reference) / abs(reference)
