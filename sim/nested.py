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


def nested_demand(
    weights: FloatArray,
    theta: FloatArray,
    available: BoolArray,
    upper_price: FloatArray,
    import_price: FloatArray,
    sigma: FloatArray,
    sigma_import: FloatArray,
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

    Returns
    -------
    NestedDemand
    """
    foreign = foreign_mask(theta.shape[1])
    home = ~foreign
    upper = sigma[:, None, :]
    lower = sigma_import[:, None, :]
    import_share = np.where(foreign, theta, 0.0).sum(axis=1)
    safe_share = np.where(import_share > 0, import_share, 1.0)
    abroad = available & foreign

    def import_index(log_price: FloatArray) -> tuple[FloatArray, FloatArray, BoolArray]:
        terms = ces_terms(weights, log_price, abroad, lower)
        power = terms.sum(axis=1)
        some = power > 0
        log_index = np.log(np.where(some, power / safe_share, 1.0)) / (1.0 - sigma_import)
        return log_index, terms / np.where(some, power, 1.0)[:, None, :], some

    log_import, within, _ = import_index(import_price)
    log_import_upper, within_upper, some = import_index(upper_price)
    domestic = ces_terms(weights, upper_price, available & home, upper).sum(axis=1)
    with np.errstate(over="ignore"):
        composite = np.where(some, import_share * np.exp((1.0 - sigma) * log_import_upper), 0.0)
    power = domestic + composite
    safe_power = np.where(power > 0, power, 1.0)
    # Relative to the baseline sum of shares, so that baseline prices give exactly 1.
    base = np.where(home, theta, 0.0).sum(axis=1) + import_share
    log_index = np.log(safe_power / np.where(power > 0, base, 1.0)) / (1.0 - sigma)
    shares = np.where(home, domestic[:, None, :], composite[:, None, :] * within_upper)
    shares = shares / safe_power[:, None, :]
    relative = np.where(
        foreign,
        -lower * np.where(available, import_price, 0.0)
        + lower * log_import[:, None, :]
        - upper * log_import_upper[:, None, :],
        -upper * np.where(available, upper_price, 0.0),
    )
    relative = relative + upper * log_index[:, None, :]
    return NestedDemand(relative, log_index, shares, within, within_upper)


def nested_log_index(
    weights: FloatArray,
    theta: FloatArray,
    available: BoolArray,
    log_price: FloatArray,
    sigma: FloatArray,
    sigma_import: FloatArray,
) -> FloatArray:
    """Log nested CES price index at one set of delivered prices, shape (sector, destination).

    Parameters are as in :func:`nested_demand`, with ``log_price`` serving both nests.
    """
    return nested_demand(
        weights, theta, available, log_price, log_price, sigma, sigma_import
    ).log_index
