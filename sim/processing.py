r"""Processing trade: an origin's good reaching a destination through a processor.

A route ``(s, i, k, j)`` carries the origin ``i``'s good to a processor ``k``, which
processes it and ships it on to the destination ``j``. The destination buys one variety of
``i``'s good, the cell ``(s, i, j)``, through channels: ``c = 0`` direct and one channel per
route. Each channel's delivered price is the origin's producer price times the wedges of the
legs it crosses (and the processing margin, a constant ad valorem mark-up). With ``q_c`` the
baseline quantity of ``i``'s good sold through channel ``c``, ``P_c`` its baseline delivered
price level per unit and ``w_c`` its wedge ratio (``w_{ij}`` direct, ``w_{ik} w_{kj}`` through
``k``), the cell's effective wedge ``W`` and the origin's quantity multiplier ``kappa`` are

.. math::

    W^{1-\rho} = \sum_c \phi_c a_c w_c^{1-\rho}, \qquad
    \phi_c = \frac{P_c q_c}{\sum_d P_d q_d}, \qquad
    \kappa = \sum_c \lambda_c a_c (w_c / W)^{-\rho}, \qquad
    \lambda_c = \frac{q_c}{\sum_d q_d},

with ``a_c`` the availability of the channel's legs (direct ``a_{ij}``, through ``k``
``a_{ik} a_{kj}``) and ``rho`` the substitution elasticity between channels. The cell enters
the destination's demand as one variety with wedge ``W``; the origin sells ``kappa`` times
the cell's composite quantity, of which channel ``c`` carries the share
``lambda_c a_c (w_c / W)^{-rho} / kappa``. ``W`` and ``kappa`` do not depend on the producer
price, which every channel's price shares.

Trade is recorded as customs statistics record it: a route's first leg in the origin ->
processor flow, its processed leg, worth ``1 + margin`` times the first, in the processor ->
destination flow. The model's own flows hold the route in the origin -> destination cell.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from sim.model import Baseline, FloatArray, Policy

IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class Routes:
    """Processing routes as parallel arrays, one entry per route.

    Attributes
    ----------
    sector, origin, processor, destination : ndarray of int, shape (route,)
    quantity : ndarray, shape (route,)
        Baseline quantity of the origin's good on the route (its value at the origin's
        producer prices).
    margin : ndarray, shape (route,)
        The processor's mark-up on the first leg's value.
    elasticity : float
        Substitution between the channels of one cell (> 1).
    """

    sector: IntArray
    origin: IntArray
    processor: IntArray
    destination: IntArray
    quantity: FloatArray
    margin: FloatArray
    elasticity: float = 5.0

    @classmethod
    def empty(cls) -> Routes:
        """No routes."""
        none = np.zeros(0, dtype=np.intp)
        return cls(none, none, none, none, np.zeros(0), np.zeros(0))

    def __len__(self) -> int:
        return len(self.quantity)

    def tiled(self, copies: int, sectors: int) -> Routes:
        """The routes of ``copies`` stacked copies of a ``sectors``-sector market."""
        shift = np.repeat(np.arange(copies) * sectors, len(self))
        return Routes(
            np.tile(self.sector, copies) + shift,
            np.tile(self.origin, copies),
            np.tile(self.processor, copies),
            np.tile(self.destination, copies),
            np.tile(self.quantity, copies),
            np.tile(self.margin, copies),
            self.elasticity,
        )

    def _first(self) -> tuple[IntArray, IntArray, IntArray]:
        return self.sector, self.origin, self.processor

    def _second(self) -> tuple[IntArray, IntArray, IntArray]:
        return self.sector, self.processor, self.destination

    def _cell(self) -> tuple[IntArray, IntArray, IntArray]:
        return self.sector, self.origin, self.destination


def model_flows(recorded: FloatArray, routes: Routes) -> FloatArray:
    """The model's baseline flows from recorded ones: each route moved into its cell.

    The first leg leaves the origin -> processor flow and the processed leg (first leg
    times ``1 + margin``) the processor -> destination flow; the first leg's quantity joins
    the origin -> destination cell.

    Parameters
    ----------
    recorded : ndarray, shape (sector, origin, destination)
    routes : Routes

    Returns
    -------
    ndarray, same shape
    """
    flows = recorded.copy()
    np.add.at(flows, routes._first(), -routes.quantity)
    np.add.at(flows, routes._second(), -routes.quantity * (1.0 + routes.margin))
    np.add.at(flows, routes._cell(), routes.quantity)
    return flows


def processing_baseline(recorded: FloatArray, tariffs: FloatArray, routes: Routes) -> Baseline:
    """The model's baseline: routes in their cells, each cell at its channels' price level.

    Parameters
    ----------
    recorded : ndarray, shape (sector, origin, destination)
        Flows as statistics record them.
    tariffs : ndarray, same shape
    routes : Routes

    Returns
    -------
    Baseline
        With ``levels`` (the baseline delivered price per unit of the origin's good) where
        there are routes: the cell's spending ``sum_c P_c q_c`` over its quantity.
    """
    flows = model_flows(recorded, routes)
    if not len(routes):
        return Baseline(flows, tariffs)
    spending = (1.0 + tariffs) * flows
    cell = routes._cell()
    extra = routes.quantity * (_route_level(tariffs, routes) - (1.0 + tariffs[cell]))
    np.add.at(spending, cell, extra)
    levels = np.where(flows > 0, spending / np.where(flows > 0, flows, 1.0), 1.0 + tariffs)
    return Baseline(flows, tariffs, levels)


def _route_level(tariffs: FloatArray, routes: Routes) -> FloatArray:
    """Baseline delivered price per unit of the origin's good on each route."""
    return (
        (1.0 + tariffs[routes._first()]) * (1.0 + routes.margin) * (1.0 + tariffs[routes._second()])
    )


def recorded_baseline(baseline: Baseline, routes: Routes) -> FloatArray:
    """The recorded baseline flows (the dataset's) from the model's baseline."""
    cell = routes._cell()
    totals = baseline.flows[cell]
    shares = np.divide(routes.quantity, totals, out=np.zeros(len(routes)), where=totals > 0)
    return recorded_flows(baseline.flows, shares, routes)


def recorded_flows(cells: FloatArray, shares: FloatArray, routes: Routes) -> FloatArray:
    """Flows as statistics record them, from the model's flows of one equilibrium.

    Parameters
    ----------
    cells : ndarray, shape (sector, origin, destination)
        Values (or quantities) of the model's cells, routes included.
    shares : ndarray, shape (route,)
        Each route's share of its cell (:func:`channel_policy`).
    routes : Routes

    Returns
    -------
    ndarray, same shape
        The route's part of its cell moved to the origin -> processor flow, and ``1 +
        margin`` times it added to the processor -> destination flow.
    """
    if not len(routes):
        return cells
    leg = cells[routes._cell()] * shares
    out = cells.copy()
    np.add.at(out, routes._cell(), -leg)
    np.add.at(out, routes._first(), leg)
    np.add.at(out, routes._second(), leg * (1.0 + routes.margin))
    return out


def channel_policy(baseline: Baseline, policy: Policy, routes: Routes) -> tuple[Policy, FloatArray]:
    """The policy state seen by the model's cells, and each route's share of its cell.

    A policy on a leg acts on every channel crossing it: a ban on imports from the origin
    into the processor closes the routes through that processor as well as the processor's
    final demand.

    Parameters
    ----------
    baseline : Baseline
        The model's baseline (routes inside their cells, :func:`model_flows`).
    policy : Policy
        The policy state of the legs, without channel fields.
    routes : Routes

    Returns
    -------
    policy : Policy
        ``policy`` with ``channel_wedge = W / w_{ij}`` and ``channel_volume = kappa`` on the
        cells with routes, and their availability 1 while any channel is open (the legs'
        availabilities act inside the channel aggregate), 0 when none is.
    shares : ndarray, shape (route,)
        Each route's share of its cell's quantity.
    """
    if not len(routes):
        return policy, np.zeros(0)
    rho = routes.elasticity
    wedge = policy.wedge(baseline)
    tariffs, a = baseline.tariffs, policy.availability
    shape = baseline.flows.shape
    # Only the cells with routes change: every quantity below is worked out on them alone
    # (each route's cell found once, ``at``), by the same operations in the same order as
    # over whole arrays, so each number is the same to the bit.
    cells, at = np.unique(np.ravel_multi_index(routes._cell(), shape), return_inverse=True)

    def on_cells(values: FloatArray) -> FloatArray:
        return values.reshape(-1)[cells]

    route_q = np.zeros(len(cells))
    np.add.at(route_q, at, routes.quantity)
    total_q = on_cells(baseline.flows)
    direct_q = np.maximum(total_q - route_q, 0.0)
    cell_wedge, cell_a = on_cells(wedge), on_cells(a)
    # Baseline delivered price levels per unit of the origin's good (producer price 1).
    direct_level = 1.0 + on_cells(tariffs)
    route_level = _route_level(tariffs, routes)
    route_w = wedge[routes._first()] * wedge[routes._second()]
    route_a = a[routes._first()] * a[routes._second()]
    spending = direct_q * direct_level
    np.add.at(spending, at, routes.quantity * route_level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        power = direct_q * direct_level * cell_a * cell_wedge ** (1.0 - rho)
        np.add.at(power, at, routes.quantity * route_level * route_a * route_w ** (1.0 - rho))
        has_route = route_q > 0
        open_ = has_route & (power > 0)
        power = np.where(open_, power / np.where(spending > 0, spending, 1.0), 1.0)
        effective = np.where(open_, power ** (1.0 / (1.0 - rho)), cell_wedge)
        quantity = direct_q * cell_a * (cell_wedge / effective) ** (-rho)
        route_quantity = routes.quantity * route_a * (route_w / effective[at]) ** (-rho)
        np.add.at(quantity, at, route_quantity)
        kappa = np.where(open_, quantity / np.where(total_q > 0, total_q, 1.0), 1.0)
        shares = np.where(open_[at], route_quantity / (kappa[at] * total_q[at]), 0.0)
    availability = a.copy()
    availability.reshape(-1)[cells] = np.where(has_route, open_.astype(float), cell_a)
    channel_wedge = np.ones(shape)
    channel_wedge.reshape(-1)[cells] = np.where(open_, effective / cell_wedge, 1.0)
    channel_volume = np.ones(shape)
    channel_volume.reshape(-1)[cells] = kappa
    return (
        replace(
            policy,
            availability=availability,
            channel_wedge=channel_wedge,
            channel_volume=channel_volume,
        ),
        shares,
    )
