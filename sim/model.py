r"""Armington partial equilibrium, multi-region and multi-sector, in ratios to the baseline.

Pure functions over numpy arrays; nothing here reads files or prints.

Axes: ``(sector, origin, destination)`` for bilateral arrays and ``(sector, region)`` for
the rest. Symbols, per sector ``s`` (dropped below), origin ``i`` and destination ``j``:

=================  ======================================================================
``m[i, j]``        baseline flow at producer prices (also a quantity: baseline price 1)
``theta[i, j]``    ``j``'s baseline spending share on ``i`` at internal prices,
                   :math:`(1+t^0_{ij}) m_{ij} / E_j` (a cell with processing routes at
                   its channels' delivered prices)
``E[j]``           baseline spending :math:`\sum_k (1+t^0_{kj}) m_{kj}`
``Y[i]``           baseline output :math:`\sum_j m_{ij}`
``x[i]``           unknown log producer price :math:`\ln \hat p_i`
``w[i, j]``        wedge ratio :math:`\frac{(1+t^1)(1+x^1)(1+c^1)}{(1+t^0)(1+x^0)(1+c^0)}`
                   of tariff, export tax-equivalent and trade cost
``a[i, j]``        availability in [0, 1]: the share of varieties not banned or controlled
``D[j]``, ``S[i]`` demand and supply shifters (1 when there is no shock)
``sigma[j]``       substitution between origins in ``j`` (> 1)
``eps[j]``         aggregate demand elasticity in ``j`` (> 0)
``eta[i]``         supply elasticity of ``i`` (> 0; ``inf`` fixes the producer price)
=================  ======================================================================

Equations:

.. math::

    \hat P_{ij} = \hat p_i w_{ij}, \qquad
    \hat P_j^{1-\sigma_j} = \sum_i a_{ij}\theta_{ij}\hat P_{ij}^{1-\sigma_j}, \qquad
    m'_{ij} = a_{ij} m_{ij} \hat P_{ij}^{-\sigma_j}\hat P_j^{\sigma_j-\varepsilon_j} D_j,

    y'_i = Y_i \hat p_i^{\eta_i} S_i, \qquad \sum_j m'_{ij} + G_i = y'_i ,

with ``G_i = Q_i + V_i / p_i`` the output a government buys (a quantity and a sum of money;
0 without a ``purchase`` policy). A cell bought through processing routes has the effective
wedge of its channels and sells ``kappa_ij m'_ij`` of the origin's good (:mod:`sim.processing`).

References
----------
Francois, J. and Hall, H. K. (2003). Global simulation analysis of industry-level trade
policy. https://vi.unctad.org/tda/background/Introduction%20to%20GSIM/GSIM.pdf
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.axissum import sum_destinations, sum_origins
from sim.nested import (
    NestedDemand,
    ces_terms,
    foreign_mask,
    nest_sums,
    nested_demand,
    nested_log_index,
)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def frozen(array: NDArray[Any]) -> bool:
    """Whether an array owns its memory and is read-only.

    Its values can then change only if someone turns it writable again, which nothing in
    the project does: the same object holds the same numbers, and what was found about it
    holds as long as it lives.
    """
    return array.base is None and not array.flags.writeable


@dataclass(frozen=True)
class Baseline:
    """Baseline market data of every sector.

    Attributes
    ----------
    flows : ndarray, shape (sector, origin, destination)
    tariffs : ndarray, shape (sector, origin, destination)
    levels : ndarray, same shape, optional
        Baseline delivered price per unit of each flow: ``1 + tariff`` by default; a cell
        bought through processing routes pays its channels' average (their legs' tariffs
        and the processing margin, :func:`sim.processing.processing_baseline`).
    """

    flows: FloatArray
    tariffs: FloatArray
    levels: FloatArray | None = None

    # A baseline's arrays are never changed once it is made, so what is derived from them
    # is computed once: the solver asks for the shares at every Newton step.

    @cached_property
    def spending(self) -> FloatArray:
        """Baseline spending ``E``, shape (sector, destination)."""
        return (self._levels * self.flows).sum(axis=1)

    @property
    def _levels(self) -> FloatArray:
        return 1.0 + self.tariffs if self.levels is None else self.levels

    @cached_property
    def output(self) -> FloatArray:
        """Baseline output ``Y``, shape (sector, origin)."""
        return self.flows.sum(axis=2)

    @cached_property
    def shares(self) -> FloatArray:
        """Baseline spending shares ``theta``, shape (sector, origin, destination)."""
        spending = self.spending
        safe = np.where(spending > 0, spending, 1.0)
        return self._levels * self.flows / safe[:, None, :]

    @cached_property
    def tariff_revenue(self) -> FloatArray:
        """Baseline tariff revenue of each importer, shape (sector, destination)."""
        return (self.tariffs * self.flows).sum(axis=1)

    @cached_property
    def share_sums(self) -> FloatArray:
        """Sum of each destination's baseline shares (1 up to rounding), shape (sector, dest.)."""
        return self.shares.sum(axis=1)

    @cached_property
    def nest_sums(self) -> tuple[FloatArray, FloatArray]:
        """Baseline import share and sum of shares of each buyer (:func:`sim.nested.nest_sums`)."""
        return nest_sums(self.shares)

    def sectors(self, which: NDArray[np.intp]) -> Baseline:
        """The baseline of the chosen sectors, with what it has derived so far.

        Every derived array is computed sector by sector, so its rows are those the
        smaller baseline would compute: taking them saves summing them again.
        """
        part = Baseline(
            self.flows[which],
            self.tariffs[which],
            None if self.levels is None else self.levels[which],
        )
        for name in _DERIVED:
            if name in self.__dict__:
                value = self.__dict__[name]
                part.__dict__[name] = (
                    tuple(v[which] for v in value) if isinstance(value, tuple) else value[which]
                )
        return part


_DERIVED = ("spending", "output", "shares", "tariff_revenue", "share_sums", "nest_sums")


@dataclass(frozen=True)
class Policy:
    """The policy state of one period, as arrays.

    Attributes
    ----------
    tariff, export_tax, trade_cost : ndarray, shape (sector, origin, destination)
        Ad valorem rates in force (tariffs include the baseline ones).
    availability : ndarray, shape (sector, origin, destination)
        Share of each flow's varieties allowed to trade.
    demand, supply : ndarray, shape (sector, region)
        Multiplicative shifters of demand (by destination) and supply (by origin).
    quota : ndarray, shape (sector, origin, destination), optional
        Ceiling on each flow's quantity as a multiple of its baseline quantity (``inf``
        where there is none). The solver adds the wedge that makes it bind.
    quota_rent : ndarray of int, same shape, optional
        Who holds each quota's rent: 0 the importer, 1 the exporter, 2 nobody.
    purchase_volume, purchase_spending : ndarray, shape (sector, region), optional
        A government's purchases of each producer's output at an annual rate: a quantity
        (baseline-price units) and a sum of money (the producer's price buys ``V / p``).
        Bought output leaves the market, so it is added to the demand the producer meets.
    channel_wedge, channel_volume : ndarray, shape (sector, origin, destination), optional
        Cells bought through several channels (processing routes, :mod:`sim.processing`):
        the ratio of the cell's effective wedge ``W`` to its direct leg's, and the origin's
        quantity per unit of the cell's composite quantity ``kappa``. Neither depends on
        the producer price.
    """

    tariff: FloatArray
    export_tax: FloatArray
    trade_cost: FloatArray
    availability: FloatArray
    demand: FloatArray
    supply: FloatArray
    quota: FloatArray | None = None
    quota_rent: NDArray[np.int8] | None = None
    purchase_volume: FloatArray | None = None
    purchase_spending: FloatArray | None = None
    channel_wedge: FloatArray | None = None
    channel_volume: FloatArray | None = None

    @classmethod
    def none(cls, baseline: Baseline) -> Policy:
        """The baseline policy state: baseline tariffs and nothing else."""
        shape = baseline.flows.shape
        ones2 = np.ones(shape[:2])
        # np.zeros leaves untouched pages unallocated: most paths never set an export tax
        # or a trade cost, and a GTAP-sized path holds dozens of these states.
        return cls(
            baseline.tariffs.copy(),
            np.zeros(shape),
            np.zeros(shape),
            np.ones(shape),
            ones2,
            ones2.copy(),
        )

    def wedge(self, baseline: Baseline) -> FloatArray:
        """Ratio of new to baseline delivered-price wedges ``w``."""
        wedge = 1.0 + self.tariff
        # Most states set no export tax or trade cost: a factor of exactly 1 is skipped,
        # which changes no bit of the product.
        for rate in (self.export_tax, self.trade_cost):
            if rate.any():
                wedge *= 1.0 + rate
        wedge /= 1.0 + baseline.tariffs
        return wedge if self.channel_wedge is None else wedge * self.channel_wedge

    def log_wedge(self, baseline: Baseline) -> FloatArray:
        """``ln w`` (``-inf`` where a wedge is 0)."""
        if self.channel_wedge is None and not (
            self.export_tax.any()
            or self.trade_cost.any()
            or (self.tariff != baseline.tariffs).any()
        ):
            return np.zeros(self.tariff.shape)
        with np.errstate(divide="ignore"):
            return np.log(self.wedge(baseline))


@dataclass(frozen=True)
class Elasticities:
    r"""Long-run elasticities, each shape (sector, region), and the adjustment still under way.

    ``sigma`` and ``eps`` are indexed by destination, ``eta`` by origin. Buyers and
    sellers respond to *response prices*: the actual log price minus the share of its
    recent changes not yet adjusted to (see :mod:`sim.adjustment`). In this period each
    response price is an affine function of the actual one,

    .. math:: \tilde d_{ij} = K_{ij} + r_j d_{ij}, \qquad
              \ln \tilde Q_j = K^Q_j + r^Q_j \ln \tilde P_j, \qquad
              \tilde x_i = G_i + q_i x_i,

    for the delivered price ``d`` (substitution among origins, ``sigma``), the composite
    price index (aggregate demand, ``eps``) and the producer price (supply, ``eta``).
    Without adjustment (``None``) the weights are 1 and the offsets 0: the static model.

    With ``sigma_import`` the demand is nested (:mod:`sim.nested`): ``sigma`` is then the
    elasticity between home goods and the import composite (ESUBD) and ``sigma_import`` the
    one among import origins (ESUBM); delivered prices have a second response price on the
    lower nest's clock, ``K^M + r^M d``. Without it (``None``) origins, home included,
    substitute with ``sigma`` in one nest.

    Attributes
    ----------
    sigma, eps, eta : ndarray, shape (sector, region)
    delivered_weight : ndarray, shape (sector, destination), optional
        ``r``.
    delivered_offset : ndarray, shape (sector, origin, destination), optional
        ``K``.
    index_weight, index_offset : ndarray, shape (sector, destination), optional
        ``r^Q`` and ``K^Q``.
    supply_weight, supply_offset : ndarray, shape (sector, origin), optional
        ``q`` and ``G``.
    sigma_import : ndarray, shape (sector, destination), optional
        Elasticity among import origins (nested demand).
    import_weight : ndarray, shape (sector, destination), optional
        ``r^M``.
    import_offset : ndarray, shape (sector, origin, destination), optional
        ``K^M``.
    """

    sigma: FloatArray
    eps: FloatArray
    eta: FloatArray
    delivered_weight: FloatArray | None = None
    delivered_offset: FloatArray | None = None
    index_weight: FloatArray | None = None
    index_offset: FloatArray | None = None
    supply_weight: FloatArray | None = None
    supply_offset: FloatArray | None = None
    sigma_import: FloatArray | None = None
    import_weight: FloatArray | None = None
    import_offset: FloatArray | None = None

    @property
    def static(self) -> Elasticities:
        """The same elasticities with no adjustment under way."""
        return Elasticities(self.sigma, self.eps, self.eta, sigma_import=self.sigma_import)

    def response_weights(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``r``, ``r^Q`` and ``q``: how much of a change in this period is responded to."""
        return (
            _or_ones(self.delivered_weight, self.sigma),
            _or_ones(self.index_weight, self.sigma),
            _or_ones(self.supply_weight, self.eta),
        )


def _or_ones(value: FloatArray | None, like: FloatArray) -> FloatArray:
    return np.ones_like(like) if value is None else value


@dataclass(frozen=True)
class Equilibrium:
    """Model quantities at a given vector of producer prices.

    Attributes
    ----------
    log_price : ndarray, shape (sector, origin)
        ``x = ln p-hat`` (``-inf`` for an origin with no market left).
    demand : ndarray, shape (sector, origin, destination)
        Quantities ``m'`` (baseline-price units).
    price_index : ndarray, shape (sector, destination)
        Consumer price index ratio ``P-hat``.
    spending_shares : ndarray, shape (sector, origin, destination)
        Spending shares ``pi`` at response prices (at internal prices when no adjustment
        is under way).
    supply : ndarray, shape (sector, origin)
        Quantity supplied ``y'``.
    log_response_index : ndarray, shape (sector, destination), optional
        ``ln P-tilde``, the price index buyers' substitution responds to (``ln P-hat``
        when no adjustment is under way).
    purchased : ndarray, shape (sector, origin), optional
        Quantity a government buys of each producer's output (none when ``None``).
    """

    log_price: FloatArray
    demand: FloatArray
    price_index: FloatArray
    spending_shares: FloatArray
    supply: FloatArray
    log_response_index: FloatArray | None = None
    purchased: FloatArray | None = None

    @property
    def producer_price(self) -> FloatArray:
        """Producer price ratio ``p-hat``."""
        return np.exp(self.log_price)


def evaluate(
    log_price: FloatArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> Equilibrium:
    """Compute prices, demand and supply at given log producer prices.

    Parameters
    ----------
    log_price : ndarray, shape (sector, origin)
    baseline : Baseline
    policy : Policy
    elasticities : Elasticities

    Returns
    -------
    Equilibrium
    """
    return _evaluate(log_price, baseline, policy, elasticities)[0]


def _evaluate(
    log_price: FloatArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    *,
    with_index: bool = True,
    log_wedge: FloatArray | None = None,
) -> tuple[Equilibrium, NestedDemand | None]:
    """:func:`evaluate`, and the nested demand system's shares when demand is nested.

    Without ``with_index`` the equilibrium's ``price_index`` is left as NaN: the market
    clearing gap and its Jacobian do not need it, and with adjustment under way or nested
    demand it costs a second evaluation of the demand system. ``log_wedge``: the policy's
    :meth:`Policy.log_wedge`, when already at hand (the solver's trials share one).
    """
    sigma = elasticities.sigma[:, None, :]
    theta, weights, available, log_delivered = _delivered(log_price, baseline, policy, log_wedge)
    log_response = log_delivered
    if elasticities.delivered_weight is not None:
        assert elasticities.delivered_offset is not None
        log_response = (
            elasticities.delivered_offset
            + elasticities.delivered_weight[:, None, :] * log_delivered
        )
    # Where every flow trades (no ban, no zero flow) the masks change nothing: skipped.
    every = bool(available.all())
    nested: NestedDemand | None = None
    if elasticities.sigma_import is None:
        masked = log_response if every else np.where(available, log_response, 0.0)
        terms = ces_terms(weights, masked, None if every else available, sigma)
        power = sum_origins(terms)
        safe_power = np.where(power > 0, power, 1.0)
        log_index = _log_ratio(power, baseline.share_sums) / (1.0 - elasticities.sigma)
        terms /= safe_power[:, None, :]
        shares = terms
        relative = masked * -sigma
        relative += sigma * log_index[:, None, :]
    else:
        log_import = log_delivered
        if elasticities.import_weight is not None:
            assert elasticities.import_offset is not None
            log_import = (
                elasticities.import_offset + elasticities.import_weight[:, None, :] * log_delivered
            )
        nested = nested_demand(
            weights,
            theta,
            available,
            log_response,
            log_import,
            elasticities.sigma,
            elasticities.sigma_import,
            baseline.nest_sums,
        )
        log_index, shares, relative = nested.log_index, nested.shares, nested.log_relative
    log_aggregate = log_index
    if elasticities.index_weight is not None:
        assert elasticities.index_offset is not None
        log_aggregate = elasticities.index_offset + elasticities.index_weight * log_index
    # The baseline flow times a ratio that is exactly 1 without a change: no shock gives
    # the baseline exactly, not to rounding.
    # In place, in the order of (relative - eps ln Q) + ln D, then a m exp(...): each
    # operation as written, without a temporary of the flows' size for each.
    log_ratio = relative - elasticities.eps[:, None, :] * log_aggregate[:, None, :]
    log_ratio += np.log(policy.demand)[:, None, :]
    with np.errstate(over="ignore"):
        demand = np.exp(log_ratio, out=log_ratio)
    demand *= policy.availability * baseline.flows
    if not every:
        np.copyto(demand, 0.0, where=~available)
    if policy.channel_volume is not None:
        # The origin sells kappa units of its good per unit of a multi-channel cell's
        # composite; kappa does not depend on prices, so the Jacobian keeps its form.
        demand = demand * policy.channel_volume
    actual_index = log_index
    if not with_index:
        actual_index = np.full_like(log_index, np.nan)
    elif _index_apart(elasticities):
        actual_index = log_price_index(
            weights,
            log_delivered,
            available,
            sigma,
            elasticities.sigma_import,
            theta,
            baseline.nest_sums,
        )
    eta = elasticities.eta
    log_supply_price = np.nan_to_num(log_price, neginf=0.0)
    if elasticities.supply_weight is not None:
        assert elasticities.supply_offset is not None
        log_supply_price = (
            elasticities.supply_offset + elasticities.supply_weight * log_supply_price
        )
    with np.errstate(invalid="ignore", over="ignore"):
        supply = (
            baseline.output
            * policy.supply
            * np.where(
                np.isfinite(eta),
                np.exp(np.where(np.isfinite(eta), eta, 0.0) * log_supply_price),
                1.0,
            )
        )
    supply = np.where(np.isfinite(log_price), supply, 0.0)
    equilibrium = Equilibrium(
        log_price,
        demand,
        np.exp(actual_index),
        shares,
        supply,
        log_index,
        _purchased(log_price, policy),
    )
    return equilibrium, nested


def _delivered(
    log_price: FloatArray, baseline: Baseline, policy: Policy, log_wedge: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, BoolArray, FloatArray]:
    """Baseline shares, their weights, the flows that trade and log delivered prices."""
    theta = baseline.shares
    weights = policy.availability * theta
    available = (policy.availability > 0) & (theta > 0)
    finite = np.isfinite(log_price)
    if not finite.all():
        available &= finite[:, :, None]
    if log_wedge is None:
        log_wedge = policy.log_wedge(baseline)
    log_delivered = log_price[:, :, None] + log_wedge
    return theta, weights, available, log_delivered


def _index_apart(elasticities: Elasticities) -> bool:
    """Whether the consumer price index is not the index buyers' substitution responds to.

    It is apart with adjustment under way (response prices are not actual prices) and
    with nested demand (whose index at actual prices is evaluated on its own).
    """
    return elasticities.delivered_weight is not None or elasticities.sigma_import is not None


def price_index(
    log_price: FloatArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    log_response_index: FloatArray,
) -> FloatArray:
    """The ``price_index`` of :func:`evaluate`, given its ``log_response_index``.

    For an equilibrium evaluated without its index (as the solver does): the same
    numbers as :func:`evaluate`, bit for bit, without evaluating the demand again.
    """
    if not _index_apart(elasticities):
        return np.exp(log_response_index)
    theta, weights, available, log_delivered = _delivered(log_price, baseline, policy)
    return np.exp(
        log_price_index(
            weights,
            log_delivered,
            available,
            elasticities.sigma[:, None, :],
            elasticities.sigma_import,
            theta,
            baseline.nest_sums,
        )
    )


def _purchased(log_price: FloatArray, policy: Policy) -> FloatArray | None:
    """Quantity bought by governments: a volume, plus what a sum of money buys at ``p``."""
    if policy.purchase_volume is None and policy.purchase_spending is None:
        return None
    bought = np.zeros_like(log_price)
    if policy.purchase_volume is not None:
        bought = bought + policy.purchase_volume
    if policy.purchase_spending is not None:
        with np.errstate(over="ignore"):
            bought = bought + policy.purchase_spending * np.exp(-log_price)
    return np.where(np.isfinite(log_price), bought, 0.0)


def log_price_index(
    weights: FloatArray,
    log_price: FloatArray,
    available: BoolArray,
    sigma: FloatArray,
    sigma_import: FloatArray | None = None,
    theta: FloatArray | None = None,
    sums: tuple[FloatArray, FloatArray] | None = None,
) -> FloatArray:
    """Log CES price index over origins, shape (sector, destination).

    Parameters
    ----------
    weights : ndarray, shape (sector, origin, destination)
        Baseline spending shares times availability.
    log_price : ndarray, same shape
        Log delivered price ratios.
    available : ndarray of bool, same shape
        Flows that trade.
    sigma : ndarray, shape (sector, 1, destination)
    sigma_import : ndarray, shape (sector, destination), optional
        Elasticity among import origins: the index of the nested demand of
        :mod:`sim.nested`, with ``sigma`` the upper nest's.
    theta : ndarray, shape (sector, origin, destination), optional
        Baseline spending shares (``weights`` when not given), for the nested index.
    sums : tuple of ndarray, optional
        :func:`sim.nested.nest_sums` of ``theta`` when at hand (nested index only).
    """
    if sigma_import is not None:
        return nested_log_index(
            weights,
            weights if theta is None else theta,
            available,
            log_price,
            sigma[:, 0, :],
            sigma_import,
            sums,
        )
    power = ces_terms(weights, log_price, available, sigma).sum(axis=1)
    base = (weights if theta is None else theta).sum(axis=1)
    return _log_ratio(power, base) / (1.0 - sigma[:, 0, :])


def _log_ratio(power: FloatArray, base: FloatArray) -> FloatArray:
    """``ln(power / base)`` of a CES index (0 where either is 0).

    Dividing by the baseline sum of shares, rather than taking it to be 1, makes the index
    exactly 1 at baseline prices whatever the rounding of the shares.
    """
    return np.log(np.where((power > 0) & (base > 0), power / np.where(base > 0, base, 1.0), 1.0))


def excess_demand(
    log_price: FloatArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> tuple[FloatArray, FloatArray]:
    r"""Log excess demand of every producer, and its Jacobian in log prices.

    The residual is scale-free, so the same tolerance serves producers whose price has
    moved a little and producers whose price has moved by orders of magnitude.

    Parameters
    ----------
    log_price : ndarray, shape (sector, origin)
    baseline, policy, elasticities
        As in :func:`evaluate`.

    Returns
    -------
    residual : ndarray, shape (sector, origin)
        :math:`F_i = \ln (\sum_j m'_{ij} + G_i) - \ln (Y_i S_i \hat p_i^{\eta_i})` (0 where
        ``Y_i = 0``).
    jacobian : ndarray, shape (sector, origin, origin)
        :math:`\partial F_i / \partial x_k = \sum_j s_{ij} (\sigma_j - \varepsilon_j) \pi_{kj}
        - \delta_{ik} (\sum_j s_{ij} \sigma_j + \eta_i)`, with :math:`s_{ij}` the share of
        ``j`` in ``i``'s sales and :math:`\pi_{kj}` the share of ``k`` in ``j``'s spending.
        With nested demand, import sales add
        :math:`\sum_{j \ne i} s_{ij} (\sigma^M_j \mu_{kj} - \sigma_j \nu_{kj})` and respond
        to their own price with :math:`\sigma^M_j` (``docs/model.md``).
    """
    eq, nested = _evaluate(log_price, baseline, policy, elasticities, with_index=False)
    residual, sold = _log_gap(eq, baseline)
    return residual, gap_jacobian(eq, nested, sold, baseline, policy, elasticities)


def gap_jacobian(
    eq: Equilibrium,
    nested: NestedDemand | None,
    sold: FloatArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> FloatArray:
    """The Jacobian of :func:`excess_demand` from the model evaluated at its prices.

    Parameters
    ----------
    eq : Equilibrium
        The model at the log prices ``eq.log_price``, with its nested demand ``nested``
        (``None`` for one-level demand), as :func:`_evaluate` gives them.
    sold : ndarray, shape (sector, origin)
        Quantities sold, from :func:`_log_gap`.
    baseline, policy, elasticities
        As in :func:`evaluate`.

    Returns
    -------
    ndarray, shape (sector, origin, origin)
    """
    log_price = eq.log_price
    sales_shares = eq.demand / np.where(sold > 0, sold, 1.0)[:, :, None]
    delivered_weight, index_weight, supply_weight = elasticities.response_weights()
    # Only the part of a price change responded to this period moves quantities.
    sigma = elasticities.sigma * delivered_weight
    cross_elasticity = (elasticities.sigma - elasticities.eps * index_weight) * delivered_weight
    # sum_j s_ij (sigma_j - eps_j) pi_kj, as one matrix product per sector
    weighted = sales_shares * cross_elasticity[:, None, :]
    cross = np.matmul(weighted, eq.spending_shares.transpose(0, 2, 1))
    output = baseline.output
    eta = np.where(np.isfinite(elasticities.eta), elasticities.eta * supply_weight, 0.0)
    if nested is None:
        own = sum_destinations(sales_shares * sigma[:, None, :]) + eta
    else:
        assert elasticities.sigma_import is not None
        import_weight = _or_ones(elasticities.import_weight, elasticities.sigma)
        lower = elasticities.sigma_import * import_weight
        foreign = foreign_mask(output.shape[1])
        abroad = np.where(foreign, sales_shares, 0.0)
        # Import sales also respond to the import composite price of both nests.
        cross = (
            cross
            + np.matmul(abroad * lower[:, None, :], nested.import_shares.transpose(0, 2, 1))
            - np.matmul(abroad * sigma[:, None, :], nested.import_shares_upper.transpose(0, 2, 1))
        )
        own = (
            sum_destinations(abroad * lower[:, None, :])
            + sum_destinations(np.where(foreign, 0.0, sales_shares) * sigma[:, None, :])
            + eta
        )
    if policy.purchase_spending is not None:
        # A fixed sum buys less when the price rises: d ln(V/p) / dx = -1.
        spent = policy.purchase_spending * np.exp(-np.nan_to_num(log_price, neginf=0.0))
        own = own + spent / np.where(sold > 0, sold, 1.0)
    return cross - own[:, :, None] * np.eye(output.shape[1])[None, :, :]


def clearing_gap(
    log_price: FloatArray,
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
) -> FloatArray:
    """The residual of :func:`excess_demand` without its Jacobian, shape (sector, origin)."""
    equilibrium = _evaluate(log_price, baseline, policy, elasticities, with_index=False)[0]
    return _log_gap(equilibrium, baseline)[0]


def _log_gap(eq: Equilibrium, baseline: Baseline) -> tuple[FloatArray, FloatArray]:
    """Log demand minus log supply of each producer (0 where none), and quantities sold."""
    sold = sum_destinations(eq.demand)
    if eq.purchased is not None:
        sold = sold + eq.purchased
    producing = (baseline.output > 0) & (eq.supply > 0)
    tiny = np.finfo(np.float64).tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        residual = np.log(np.maximum(sold, tiny)) - np.log(np.where(producing, eq.supply, 1.0))
    return np.where(producing, residual, 0.0), sold
