"""Rates as people write them: a fraction (``0.25``) or a percent string (``"25%"``).

Every percentage field of a scenario (``RATE_FIELDS``) is read by :func:`parse_rate`. A
bare number is a fraction, so ``0.25`` and ``"25%"`` are the same rate. A bare number
whose size is above 1 is refused: ``rate: 25`` is far more often a 25% tariff written as a
percent than a 2500% one, so the error says how to write either. Rates above 100% are
written as percents (``"500%"``).
"""

from __future__ import annotations

import math

from sim.policytypes import RATE_FIELDS as RATE_FIELDS


def parse_rate(value: object) -> float:
    """A rate as a fraction, from a number (a fraction) or a percent string.

    Parameters
    ----------
    value : float, int or str
        ``0.25``, ``"25%"``, ``"-5%"``, ``"500%"``.

    Returns
    -------
    float
        The rate as a fraction (``0.25`` for 25%).

    Raises
    ------
    ValueError
        With a one-line message: not a number or percent, not finite, or a bare number
        above 1 in size (with a hint to write it as a percent or a fraction).

    Examples
    --------
    >>> parse_rate("25%"), parse_rate(0.25), parse_rate("500%")
    (0.25, 0.25, 5.0)
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a fraction (0.25) or a percent ('25%'), got {value!r}")
    if isinstance(value, str):
        return _percent(value)
    if not isinstance(value, int | float):
        raise ValueError(f"expected a fraction (0.25) or a percent ('25%'), got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value}")
    if abs(number) > 1:
        raise ValueError(
            f"{value} would be {_g(100 * number)}%: a bare number is a fraction (0.25 is "
            f"25%); write '{_g(number)}%' or {_g(number / 100)}"
        )
    return number


def format_rate(fraction: float) -> str:
    """A fraction as a percent for messages: ``1.5`` -> ``'150%'``."""
    return f"{_g(100 * fraction)}%"


def _percent(text: str) -> float:
    stripped = text.strip()
    number = stripped[:-1].strip() if stripped.endswith("%") else None
    try:
        percent = float(number) if number else math.nan
    except ValueError:
        percent = math.nan
    if number is None or not math.isfinite(percent):
        raise ValueError(f"expected a fraction (0.25) or a percent ('25%'), got {text!r}")
    return percent / 100


def _g(number: float) -> str:
    """A number without float noise: 0.25, 2500, 0.015."""
    return f"{number:.10g}"
