"""Gravity policies -> the counterfactual trade costs ``T' = t'^(1 - sigma)``.

A ``covariate`` policy sets a cost covariate for its pairs (a trade agreement: ``pta`` 0 ->
1), so ``T'`` follows from the estimated coefficients; ``trade_cost`` multiplies the
bilateral cost by ``1 + cost`` and ``tariff`` by ``1 + rate`` (or ``1 + increase``), so
``T`` changes by that factor to the power ``1 - sigma`` (a tariff is a cost whose revenue
is not rebated, as in Yotov et al. 2016, ch. 2); ``ban`` removes a share ``coverage`` of
the pair's varieties (``T' = (1 - coverage) T``). Intranational pairs are never touched.
Policies apply in file order.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sim.gravity.types import GravityDataset, GravityPolicy

FloatArray = NDArray[np.float64]


def pair_mask(
    regions: tuple[str, ...], exporters: tuple[str, ...], importers: tuple[str, ...]
) -> NDArray[np.bool_]:
    """Boolean (origin, destination) mask of the policy's international pairs."""
    rows = np.isin(regions, exporters)
    cols = np.isin(regions, importers)
    mask = rows[:, None] & cols[None, :]
    np.fill_diagonal(mask, False)
    return mask


def counterfactual_costs(
    dataset: GravityDataset, policies: tuple[GravityPolicy, ...], sigma: float
) -> FloatArray:
    """Trade costs ``t'^(1 - sigma)`` with the policies in force, shape (n, n).

    Parameters
    ----------
    dataset : GravityDataset
    policies : tuple of GravityPolicy
    sigma : float
        Turns ad valorem changes into changes of ``t^(1 - sigma)``.
    """
    covariates = {name: values.copy() for name, values in dataset.covariates.items()}
    factor = np.ones((len(dataset.regions),) * 2)
    for policy in policies:
        mask = pair_mask(dataset.regions, policy.exporters, policy.importers)
        if policy.type == "covariate":
            covariates[policy.variable][mask] = policy.value
        elif policy.type == "trade_cost":
            factor[mask] *= (1.0 + policy.cost) ** (1.0 - sigma)
        elif policy.type == "tariff":
            rate = policy.rate if policy.rate is not None else policy.increase or 0.0
            factor[mask] *= (1.0 + rate) ** (1.0 - sigma)
        elif policy.type == "ban":
            factor[mask] *= 1.0 - policy.coverage
    return dataset.costs(covariates) * factor
