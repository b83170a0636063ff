r"""Inverse distribution functions of the uncertainty block's distributions.

The same numbers as ``scipy.stats`` gives (``triang``, ``truncnorm`` and ``norm`` ``ppf``;
the tests compare them), computed with numpy and :mod:`scipy.special` alone: importing
``scipy.stats`` costs a Monte Carlo run's process about a second of start-up, longer
than drawing ten thousand parameter sets. Each function follows the formula of the
scipy distribution it stands for, in the same order of operations, so that a seed gives
the same draws as before.

All take probabilities ``u`` strictly inside (0, 1) (:func:`sim.uncertainty.draw_values`
keeps them there).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from sim.model import FloatArray


def triangular(u: FloatArray, low: float, mode: float, high: float) -> FloatArray:
    """Triangular distribution on ``[low, high]`` peaking at ``mode`` (``low < high``)."""
    width = high - low
    c = (mode - low) / width
    standard = np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u)))
    return np.asarray(standard * width + low)


def lognormal(u: FloatArray, median: float, sigma: float) -> FloatArray:
    """Lognormal distribution: ``median * exp(sigma * z)``, ``z`` standard normal."""
    return np.asarray(median * np.exp(sigma * special.ndtri(u)))


def truncated_normal(u: FloatArray, mean: float, sd: float, low: float, high: float) -> FloatArray:
    """Normal distribution of ``mean`` and ``sd`` truncated to ``[low, high]`` (may be infinite).

    Worked in logarithms of normal probabilities, on the side of the interval away from
    the far tail, so that an interval far in a tail still gives distinct quantiles.
    """
    a, b = (low - mean) / sd, (high - mean) / sd
    mass = _log_gauss_mass(a, b)
    if a < 0:
        log_cdf = _log_sum(special.log_ndtr(a), np.log(u) + mass)
        standard = special.ndtri_exp(log_cdf)
    else:
        log_cdf = _log_sum(special.log_ndtr(-b), np.log1p(-u) + mass)
        standard = -special.ndtri_exp(log_cdf)
    return np.asarray(standard * sd + mean)


def _log_sum(log_p: FloatArray, log_q: FloatArray) -> FloatArray:
    log_p, log_q = np.broadcast_arrays(log_p, log_q)
    return np.asarray(special.logsumexp([log_p, log_q], axis=0))


def _log_diff(log_p: float, log_q: float) -> float:
    """``log(exp(log_p) - exp(log_q))``, as ``exp(x + i pi) = -exp(x)``."""
    return float(np.real(special.logsumexp([log_p, log_q + np.pi * 1j], axis=0)))


def _log_gauss_mass(a: float, b: float) -> float:
    """Log of the standard normal probability of ``[a, b]``."""
    if b <= 0:
        return _log_diff(special.log_ndtr(b), special.log_ndtr(a))
    if a > 0:
        return _log_diff(special.log_ndtr(-a), special.log_ndtr(-b))
    # Both tails subtracted from one: no cancellation as the mass nears 1.
    return float(special.log1p(-special.ndtr(a) - special.ndtr(-b)))
