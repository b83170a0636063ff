r"""Nested CES demand: home goods against an import composite, then among import origins.

Pure functions over arrays of shape ``(sector, origin, destination)``. A buyer ``j`` first
chooses between its own producers' goods and a composite of imports with elasticity
``sigma_j`` (GTAP's ESUBD), then among the import origins with ``sigma_import_j`` (ESUBM):

.. math::

    \hat P_{Mj}^{1-\sigma^M_j} = \sum_{i \ne j} a_{ij} \phi_{ij} \hat P_{ij}^{1-\sigma^M_j},
    \qquad
    \hat P_j^{1-\sigma_j} = a_{jj}\theta_{jj} \hat P_{jj}^{1-\sigma_j}
        + \theta_{Mj} \hat P_{Mj}^{1-\sigma_j},

    m'_{ij} = a_{ij} m_{ij} \hat P_{ij}^{-\sigma^M_j} \hat P_{Mj}^{\sigma^M_j - \sigma_j}
        \hat P_j^{\sigma_j - \varepsilon_j} D_j \ (i \ne j), \qquad
    m'_{jj} = a_{jj} m_{jj} \hat P_{jj}^{-\sigma_j} \hat P_j^{\sigma_j - \varepsilon_j} D_j,

with ``theta_Mj`` the baseline import share of ``j``'s spending and ``phi_ij`` origin
``i``'s share of it. With ``sigma_import = sigma`` this is the one-level CES.

Each nest responds to prices on its own adjustment clock (:mod:`sim.adjustment`), so a
delivered import price has two response prices: one for the choice among import origins
(``sigma_import``'s clock) and one for the choice between home goods and imports
(``sigma``'s clock), from which the import composite price of the upper nest is formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sim.axissum import sum_origins

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def ces_terms(
    weights: FloatArray, log_price: FloatArray, available: BoolArray | None, sigma: FloatArray
) -> FloatArray:
    """Terms ``a theta P^(1 - sigma)`` of a CES price index; zero where unavailable.

    ``available=None`` means every flow is available.
    """
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        # one array of the flows' size, computed in place: (1 - sigma) x, exp, times a theta;
        # what an unavailable flow's price gives (even inf or NaN) is then set to zero
        terms = log_price * (1.0 - sigma)
        np.exp(terms, out=terms)
        terms *= weights
        if available is not None:
            np.copyto(terms, 0.0, where=~available)
        return terms


def foreign_mask(regions: int) -> BoolArray:
    """``True`` where origin and destination differ, shape (1, origin, destination)."""
    return ~np.eye(regions, dtype=bool)[None, :, :]


@dataclass(frozen=True)
class NestedDemand:
    """Prices and shares of the nested demand system at given delivered prices.

    Attributes
    ----------
    log_relative : ndarray, shape (sector, origin, destination)
        The price part of ``ln m'``: ``ln m' - ln(a m) + eps ln Q - ln D``.
    log_index : ndarray, shape (sector, destination)
        Log composite price index ``ln P``.
    shares : ndarray, shape (sector, origin, destination)
        Upper-nest spending shares: the home share on the diagonal, the import share times
        the origin's share of imports elsewhere.
    import_shares, import_shares_upper : ndarray, shape (sector, origin, destination)
        Origins' shares of import spending at the lower nest's and the upper nest's response
        prices (zero on the diagonal).
    """

    log_relative: FloatArray
    log_index: FloatArray
    shares: FloatArray
    import_shares: FloatArray
    import_shares_upper: FloatArray


def nest_sums(theta: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each buyer's baseline import share and its baseline sum of shares, (sector, destination).

    They depend on the baseline only: :class:`sim.model.Baseline` keeps them, so that the
    solver does not sum them again at every evaluation.
    """
    foreign = foreign_mask(theta.shape[1])
    import_share = np.where(foreign, theta, 0.0).sum(axis=1)
    base = np.where(~foreign, theta, 0.0).sum(axis=1) + import_share
    return import_share, base


def nested_demand(
    weights: FloatArray,
    theta: FloatArray,
    available: BoolArray,
    upper_price: FloatArray,
    import_price: FloatArray,
    sigma: FloatArray,
    sigma_import: FloatArray,
    sums: tuple[FloatArray, FloatArray] | None = None,
) -> NestedDemand:
    """Evaluate the nested demand system.

    Parameters
    ----------
    weights : ndarray, shape (sector, origin, destination)
        Availability times baseline spending shares, ``a theta``.
    theta : ndarray, same shape
        Baseline spending shares (they fix each buyer's baseline import share).
    available : ndarray of bool, same shape
        Flows that trade.
    upper_price, import_price : ndarray, same shape
        Log delivered prices as the upper nest (home against imports) and the lower nest
        (among import origins) respond to them.
    sigma, sigma_import : ndarray, shape (sector, destination)
        Elasticities of the upper and the lower nest (both > 1).
    sums : tuple of ndarray, optional
        :func:`nest_sums` of ``theta``, when already at hand.

    Returns
    -------
    NestedDemand
    """
    foreign = foreign_mask(theta.shape[1])
    upper = sigma[:, None, :]
    lower = sigma_import[:, None, :]
    import_share, base = nest_sums(theta) if sums is None else sums
    log_import, within, _ = _import_index(
        weights, available & foreign, import_price, import_share, sigma_import
    )
    top = _upper_nest(
        weights, available, upper_price, sigma, sigma_import, foreign, import_share, base
    )
    log_index = top.log_index
    shares = np.where(foreign, top.composite[:, None, :] * top.within, top.domestic[:, None, :])
    shares /= top.safe_power[:, None, :]
    every = bool(available.all())
    # Where every flow trades the masks change nothing: skipped, bit for bit the same.
    lower_price = import_price if every else np.where(available, import_price, 0.0)
    own_price = upper_price if every else np.where(available, upper_price, 0.0)
    relative = np.where(
        foreign,
        -lower * lower_price + lower * log_import[:, None, :] - upper * top.log_import[:, None, :],
        -upper * own_price,
    )
    relative += upper * log_index[:, None, :]
    return NestedDemand(relative, log_index, shares, within, top.within)


def _import_index(
    weights: FloatArray,
    abroad: BoolArray,
    log_price: FloatArray,
    import_share: FloatArray,
    sigma_import: FloatArray,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Log import price index, origins' shares of import spending, and buyers importing."""
    terms = ces_terms(weights, log_price, abroad, sigma_import[:, None, :])
    power = sum_origins(terms)
    some = power > 0
    safe_share = np.where(import_share > 0, import_share, 1.0)
    log_index = np.log(np.where(some, power / safe_share, 1.0)) / (1.0 - sigma_import)
    terms /= np.where(some, power, 1.0)[:, None, :]
    return log_index, terms, some


@dataclass(frozen=True)
class _Upper:
    """The upper nest at its response prices: what the index and the shares need."""

    log_index: FloatArray
    within: FloatArray
    composite: FloatArray
    safe_power: FloatArray
    domestic: FloatArray
    log_import: FloatArray


def _upper_nest(
    weights: FloatArray,
    available: BoolArray,
    upper_price: FloatArray,
    sigma: FloatArray,
    sigma_import: FloatArray,
    foreign: BoolArray,
    import_share: FloatArray,
    base: FloatArray,
) -> _Upper:
    """The upper nest (home goods against the import composite) at its response prices."""
    log_import, within, some = _import_index(
        weights, available & foreign, upper_price, import_share, sigma_import
    )
    # The home nest is the diagonal: its terms there alone (the sum over origins of the
    # masked array adds exact zeros to the one diagonal term: the same number).
    home = np.arange(weights.shape[1])
    domestic = ces_terms(
        weights[:, home, home], upper_price[:, home, home], available[:, home, home], sigma
    )
    with np.errstate(over="ignore"):
        composite = np.where(some, import_share * np.exp((1.0 - sigma) * log_import), 0.0)
    power = domestic + composite
    safe_power = np.where(power > 0, power, 1.0)
    # Relative to the baseline sum of shares, so that baseline prices give exactly 1.
    log_index = np.log(safe_power / np.where(power > 0, base, 1.0)) / (1.0 - sigma)
    return _Upper(log_index, within, composite, safe_power, domestic, log_import)


def nested_log_index(
    weights: FloatArray,
    theta: FloatArray,
    available: BoolArray,
    log_price: FloatArray,
    sigma: FloatArray,
    sigma_import: FloatArray,
    sums: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """Log nested CES price index at one set of delivered prices, shape (sector, destination).

    Parameters are as in :func:`nested_demand`, with ``log_price`` serving both nests. Only
    the upper nest is evaluated: the index is that of :func:`nested_demand`, bit for bit.
    """
    import_share, base = nest_sums(theta) if sums is None else sums
    foreign = foreign_mask(theta.shape[1])
    return _upper_nest(
        weights, available, log_price, sigma, sigma_import, foreign, import_share, base
    ).log_index
