"""The day-weighted mean of a quarter's parts.

A quarter in which a policy starts or ends is solved in parts, and its figures are the
means of the parts' weighted by their days (:class:`sim.timepath.PeriodSolution`). The
parts are those of every sector's cuts; a sector that no cut concerns has the same values
in each. Its mean should then be that value, to the bit, as in a quarter solved in one
part: ``w1 x + w2 x + w3 x`` need not be ``x`` in floating point, but ``x + w2 (x - x) +
w3 (x - x)`` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def day_mean(parts: Sequence[tuple[float, Any]]) -> Any:
    """The mean of the parts' values weighted by their shares of the quarter's days.

    Parameters
    ----------
    parts : sequence of (weight, ndarray)
        Each part's share of the days (they sum to 1) and its values, all of one shape.

    Returns
    -------
    ndarray
        One part: ``0 + w v``, as the builtin ``sum`` adds it (``w`` is 1). Several:
        ``v1 + w2 (v2 - v1) + w3 (v3 - v1) + ...``, added in order, where a difference is
        exactly 0 wherever two values are equal (infinities included): the mean is ``v1``
        to the bit wherever every part's value is ``v1`` (but ``-0`` becomes ``+0``, as
        with one part). Where that is not finite, the weighted sum ``w1 v1 + w2 v2 + ...``
        (infinite or NaN, as the parts are).
    """
    (weight, first), *others = parts
    if not others:
        return np.asarray(0 + weight * first)
    spread = None
    with np.errstate(invalid="ignore"):
        for share, value in others:
            term = share * np.where(value == first, 0.0, value - first)
            spread = term if spread is None else spread + term
        mean = np.asarray(first + spread)
        # where a part is infinite and another is not, the differences are infinite or
        # NaN: there the weighted sum (an infinity, or NaN) stands
        odd = ~np.isfinite(mean)
        if odd.any():
            mean[odd] = sum(share * np.asarray(value)[odd] for share, value in parts)
    return mean
