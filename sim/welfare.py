r"""Exact money-metric welfare for the Armington model of :mod:`sim.model`.

All functions are closed forms over arrays of shape ``(sector, region)`` (annual values in
the dataset's unit, relative to the dataset's baseline year):

.. math::

    \Delta CS_j = E_j D_j \frac{1 - \hat P_j^{1-\varepsilon_j}}{1-\varepsilon_j}
    \quad (-E_j D_j \ln \hat P_j \text{ if } \varepsilon_j = 1), \qquad
    \Delta PS_i = Y_i S_i \frac{\hat p_i^{1+\eta_i} - 1}{1+\eta_i},

the areas left of the constant-elasticity demand curve of the composite good and of the
supply curve. Tariff revenue goes to the importer, export-tax rents to the exporter; trade
costs, and licence costs no one earns, are a resource cost and go to no one.

A ban or an export control removes varieties; the CES price index rises even at unchanged
prices (love of variety). :func:`variety_effect` is that part of the consumer surplus:
the surplus at the actual price index less the surplus at the index the same prices would
give with every baseline variety available.
"""

from __future__ import annotations

import numpy as np

from sim.model import Baseline, Elasticities, Equilibrium, FloatArray, Policy, log_price_index

WELFARE_PARTS = (
    "consumer_surplus",
    "producer_surplus",
    "tariff_revenue",
    "export_rents",
    "purchase_cost",
)


def consumer_surplus(
    spending: FloatArray, demand_shift: FloatArray, price_index: FloatArray, eps: FloatArray
) -> FloatArray:
    """Change in consumer surplus from a change in the composite price.

    Parameters
    ----------
    spending : ndarray, shape (sector, region)
        Baseline spending ``E`` at internal prices.
    demand_shift : ndarray, shape (sector, region)
        Demand shifter ``D``.
    price_index : ndarray, shape (sector, region)
        Price index ratio ``P-hat``.
    eps : ndarray, shape (sector, region)
        Aggregate demand elasticity.
    """
    log_p = np.log(price_index)
    unit = np.isclose(eps, 1.0)
    safe = np.where(unit, 2.0, eps)
    general = (1.0 - np.exp((1.0 - safe) * log_p)) / (1.0 - safe)
    return spending * demand_shift * np.where(unit, -log_p, general)


def producer_surplus(
    output: FloatArray, supply_shift: FloatArray, producer_price: FloatArray, eta: FloatArray
) -> FloatArray:
    """Change in producer surplus from a change in the producer price.

    Parameters
    ----------
    output : ndarray, shape (sector, region)
        Baseline output ``Y``.
    supply_shift : ndarray, shape (sector, region)
        Supply shifter ``S``.
    producer_price : ndarray, shape (sector, region)
        Producer price ratio ``p-hat`` (0 for a producer left with no market).
    eta : ndarray, shape (sector, region)
        Supply elasticity; ``inf`` (fixed price) gives no change.
    """
    finite = np.isfinite(eta)
    safe = np.where(finite, eta, 1.0)
    change = (producer_price ** (1.0 + safe) - 1.0) / (1.0 + safe)
    return np.where(finite, output * supply_shift * change, 0.0)


def tariff_revenue(baseline: Baseline, policy: Policy, equilibrium: Equilibrium) -> FloatArray:
    """Change in each importer's tariff revenue, shape (sector, importer).

    The tariff is levied on the value at the border, ``p (1 + x) (1 + c)`` per unit.
    """
    base = baseline.tariff_revenue
    border = np.broadcast_to(equilibrium.producer_price[:, :, None], policy.tariff.shape)
    # A factor of exactly 1 (no export tax, no trade cost anywhere) changes no bit.
    for rate in (policy.export_tax, policy.trade_cost):
        if rate.any():
            border = border * (1.0 + rate)
    return (policy.tariff * border * equilibrium.demand).sum(axis=1) - base


def export_rents(policy: Policy, equilibrium: Equilibrium) -> FloatArray:
    """Export-tax and licence rents of each exporter, shape (sector, exporter)."""
    return (policy.export_tax * equilibrium.producer_price[:, :, None] * equilibrium.demand).sum(
        axis=2
    )


def purchase_cost(equilibrium: Equilibrium) -> FloatArray:
    """What a government spends buying its producers' output, negative, shape (sector, region).

    The bought output is valued at nothing: it is stored or given away outside the markets
    modelled, so its use value is not counted (an assumption stated in docs/model.md).
    """
    if equilibrium.purchased is None:
        return np.zeros_like(equilibrium.supply)
    return -equilibrium.producer_price * equilibrium.purchased


def variety_effect(
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    equilibrium: Equilibrium,
    every: bool | None = None,
) -> FloatArray:
    """The part of the consumer surplus change due to varieties removed, shape (sector, region).

    Zero when every baseline variety is available; negative when a ban or an export
    control removes some.

    Parameters
    ----------
    baseline, policy, elasticities, equilibrium
        The arrays of the sectors to evaluate.
    every : bool, optional
        Whether every variety of every sector is available and priced (:func:`every_variety`);
        found from the arrays when not given. Rows of some sectors take the branch the
        whole state takes, so that they are the same numbers as evaluated with it.
    """
    theta = baseline.shares
    log_price = equilibrium.log_price
    surplus = consumer_surplus(
        baseline.spending, policy.demand, equilibrium.price_index, elasticities.eps
    )
    if every is None:
        every = every_variety(policy, equilibrium)
    if every:
        # Every variety is there: the index over all of them is the equilibrium's own,
        # computed from the same shares and prices.
        return surplus - surplus
    reachable = (theta > 0) & np.isfinite(log_price)[:, :, None]
    log_delivered = log_price[:, :, None] + policy.log_wedge(baseline)
    sigma = elasticities.sigma[:, None, :]
    with_all = np.exp(
        log_price_index(theta, log_delivered, reachable, sigma, elasticities.sigma_import, theta)
    )
    return surplus - consumer_surplus(baseline.spending, policy.demand, with_all, elasticities.eps)


def every_variety(policy: Policy, equilibrium: Equilibrium) -> bool:
    """Whether every baseline variety is available and has a finite price."""
    return bool(np.all(policy.availability == 1.0) and np.isfinite(equilibrium.log_price).all())


def welfare(
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    equilibrium: Equilibrium,
    every: bool | None = None,
) -> dict[str, FloatArray]:
    """All welfare parts and their total, each shape (sector, region), annual values.

    ``every`` is passed to :func:`variety_effect`.

    Returns
    -------
    dict
        ``consumer_surplus``, ``producer_surplus``, ``tariff_revenue``, ``export_rents``,
        ``purchase_cost``, their ``total`` and ``variety_effect``, the part of
        ``consumer_surplus`` due to varieties removed (not added to the total again).
    """
    parts = _added_parts(baseline, policy, elasticities, equilibrium)
    parts["total"] = sum(parts.values())  # type: ignore[assignment]
    with np.errstate(divide="ignore"):
        parts["variety_effect"] = variety_effect(baseline, policy, elasticities, equilibrium, every)
    return parts


def total_welfare(
    baseline: Baseline, policy: Policy, elasticities: Elasticities, equilibrium: Equilibrium
) -> FloatArray:
    """The ``total`` of :func:`welfare` alone, shape (sector, region), the same numbers.

    For callers that need nothing else (the bands of many draws): the variety effect, the
    costliest part, is not computed.
    """
    return sum(_added_parts(baseline, policy, elasticities, equilibrium).values())  # type: ignore[return-value]


def _added_parts(
    baseline: Baseline, policy: Policy, elasticities: Elasticities, equilibrium: Equilibrium
) -> dict[str, FloatArray]:
    """The parts of :data:`WELFARE_PARTS`, in that order: those the total adds up."""
    with np.errstate(divide="ignore"):
        return {
            "consumer_surplus": consumer_surplus(
                baseline.spending, policy.demand, equilibrium.price_index, elasticities.eps
            ),
            "producer_surplus": producer_surplus(
                baseline.output, policy.supply, equilibrium.producer_price, elasticities.eta
            ),
            "tariff_revenue": tariff_revenue(baseline, policy, equilibrium),
            "export_rents": export_rents(policy, equilibrium),
            "purchase_cost": purchase_cost(equilibrium),
        }
