"""Closed-form single-market formulas of WITS-SMART and linear GSIM.

These are the analytic oracles the Armington model is checked against: for a small tariff
change in one importing market with infinitely elastic export supply, the exact CES solution
must approach them. Signs follow the reference notes: the import demand elasticity ``eta`` is
negative, the substitution elasticity ``sigma`` positive. Values are in world-price units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class MarketChange:
    """Trade changes of one importing market, split by partner.

    Attributes
    ----------
    creation : ndarray, shape (partner,)
        Trade created (the market grows with the fall in its prices).
    diversion : ndarray, shape (partner,)
        Trade moved between partners at constant total imports; sums to zero.
    """

    creation: FloatArray
    diversion: FloatArray

    @property
    def total(self) -> FloatArray:
        """Change in imports from each partner."""
        return self.creation + self.diversion

    def imports(self, before: FloatArray) -> FloatArray:
        """Imports after the change."""
        return before + self.total


def price_change(tariff_before: FloatArray, tariff_after: FloatArray) -> FloatArray:
    """Proportional change of each partner's internal price, ``(t1 - t0) / (1 + t0)``."""
    return (tariff_after - tariff_before) / (1.0 + tariff_before)


def expenditure_shares(imports: FloatArray, tariff_before: FloatArray) -> FloatArray:
    """Shares of each partner in spending at internal prices, ``theta``."""
    spending = (1.0 + tariff_before) * imports
    return spending / spending.sum()


def smart_market(
    imports: FloatArray,
    tariff_before: FloatArray,
    tariff_after: FloatArray,
    eta: float,
    sigma: float,
    export_supply: float = np.inf,
) -> MarketChange:
    """WITS-SMART trade creation and diversion for one importer.

    Parameters
    ----------
    imports : ndarray, shape (partner,)
        Baseline imports ``M0`` at world prices.
    tariff_before, tariff_after : ndarray, shape (partner,)
        Ad valorem tariffs ``t0`` and ``t1``.
    eta : float
        Import demand elasticity (negative).
    sigma : float
        Substitution elasticity among partners (positive).
    export_supply : float, optional
        Export supply elasticity ``eps_x``; infinite by default.

    Returns
    -------
    MarketChange
        Creation ``eta M0 p / (1 - eta / eps_x)`` on the partners whose tariff moved and
        the multi-rate diversion ``sigma M0 (P - p)``, ``P = sum theta p``.
    """
    change = price_change(tariff_before, tariff_after)
    damping = 1.0 - eta / export_supply
    creation = eta * imports * change / damping
    composite = expenditure_shares(imports, tariff_before) @ change
    diversion = sigma * imports * (composite - change)
    return MarketChange(creation, diversion)


def gsim_market(
    imports: FloatArray,
    tariff_before: FloatArray,
    tariff_after: FloatArray,
    e_m: float,
    e_s: float,
) -> MarketChange:
    """Linear GSIM for one importer with infinitely elastic export supply.

    Creation ``E_m P M0`` is spread over all partners by their size; diversion
    ``E_s (P - p) M0`` equals SMART's multi-rate diversion.

    Parameters
    ----------
    imports, tariff_before, tariff_after : ndarray, shape (partner,)
        As in :func:`smart_market`.
    e_m : float
        Import demand elasticity (negative).
    e_s : float
        Substitution elasticity (positive).

    Returns
    -------
    MarketChange
    """
    change = price_change(tariff_before, tariff_after)
    composite = expenditure_shares(imports, tariff_before) @ change
    return MarketChange(e_m * composite * imports, e_s * (composite - change) * imports)


def gsim_elasticity_matrix(
    imports: FloatArray, tariff_before: FloatArray, e_m: float, e_s: float
) -> FloatArray:
    """GSIM's matrix ``N`` with ``M-hat[r] = sum_k N[r, k] p-hat[k]``.

    Own-price ``theta_r E_m - (1 - theta_r) E_s``; cross-price ``theta_k (E_m + E_s)``.
    """
    theta = expenditure_shares(imports, tariff_before)
    matrix = np.tile(theta * (e_m + e_s), (theta.size, 1))
    np.fill_diagonal(matrix, theta * e_m - (1.0 - theta) * e_s)
    return matrix
