"""Quotas: the wedge that makes a quantity ceiling bind, found around the price solver.

A quota caps a flow's quantity. Where the cap binds, the delivered price carries a wedge
(the quota rent per unit) just large enough to cut demand to the cap; where it does not,
the wedge is zero. The rent goes to whoever holds the licences: the importer (booked like
a tariff), the exporter (like an export tax, as under a voluntary export restraint) or
nobody (like a trade cost). The wedges are found by a fixed-point iteration on
``ln(1 + wedge)`` that uses the destination's substitution elasticity as the own-price
response of a flow, each step re-solving the market equilibrium.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from sim.errors import SolverError
from sim.model import Baseline, Elasticities, FloatArray, Policy, evaluate
from sim.processing import Routes, channel_policy, recorded_baseline, recorded_flows
from sim.solve import SolveReport

TOLERANCE = 1e-10
MAX_ROUNDS = 500

Solver = Callable[[Policy, FloatArray | None], tuple[FloatArray, SolveReport]]


def with_wedges(policy: Policy, log_wedge: FloatArray) -> Policy:
    """The policy state with each quota's rent added to the instrument of its holder."""
    assert policy.quota_rent is not None
    factor = np.exp(log_wedge)
    holder = policy.quota_rent
    binding = log_wedge > 0

    def add(rates: FloatArray, code: int) -> FloatArray:
        return np.where(binding & (holder == code), (1.0 + rates) * factor - 1.0, rates)

    return dataclasses.replace(
        policy,
        tariff=add(policy.tariff, 0),
        export_tax=add(policy.export_tax, 1),
        trade_cost=add(policy.trade_cost, 2),
    )


def solve_with_quotas(
    baseline: Baseline,
    policy: Policy,
    elasticities: Elasticities,
    solve: Solver,
    initial: FloatArray | None = None,
    *,
    sector_names: tuple[str, ...] = (),
    period: str = "",
    routes: Routes | None = None,
) -> tuple[FloatArray, SolveReport, Policy, tuple[Policy, FloatArray | None]]:
    """Solve one period with its quotas binding exactly where they bind.

    Parameters
    ----------
    baseline : Baseline
    policy : Policy
        Its ``quota`` array holds the ceilings (``inf`` where none).
    elasticities : Elasticities
    solve : callable
        ``solve(policy, initial) -> (log_price, report)``, the market solver.
    initial : ndarray, optional
        Starting log prices.
    sector_names, period : optional
        Used to name the failing market.
    routes : Routes, optional
        Processing routes: ``policy`` is then the state of the legs, the market is solved
        with its channels (:func:`sim.processing.channel_policy`), and a quota caps the
        recorded flow of its leg, processing included.

    Returns
    -------
    log_price, report, policy
        The policy returned (of the legs, without channels) carries the quota wedges in
        its tariff, export-tax or trade-cost arrays.
    seen : (Policy, ndarray or None)
        The state the market was solved with (``policy`` with its channels, the very
        object the solver was given) and each route's share of its cell; ``policy`` itself
        and None without routes.

    Raises
    ------
    SolverError
        If the wedges do not settle within the round limit.
    """

    def seen(state: Policy) -> tuple[Policy, FloatArray | None]:
        return (state, None) if routes is None else channel_policy(baseline, state, routes)

    if policy.quota is None or not np.isfinite(policy.quota).any():
        model = seen(policy)
        x, report = solve(model[0], initial)
        return x, report, policy, model
    base = baseline.flows if routes is None else recorded_baseline(baseline, routes)
    covered = np.isfinite(policy.quota) & (base > 0)
    log_ceiling = np.log(np.where(covered, policy.quota, 1.0))
    # Quotas bind on imports: with nested demand they respond with the import nest's sigma.
    own = elasticities.sigma if elasticities.sigma_import is None else elasticities.sigma_import
    response = np.broadcast_to(own[:, None, :], baseline.flows.shape)
    log_wedge = np.zeros(baseline.flows.shape)
    settled = np.zeros(baseline.flows.shape[0], dtype=bool)
    start = initial
    gap = np.inf
    for _ in range(MAX_ROUNDS):
        state = with_wedges(policy, log_wedge)
        model = seen(state)
        model_state, shares = model
        x, report = solve(model_state, start)
        start = x
        demand = evaluate(x, baseline, model_state, elasticities).demand
        if routes is not None and shares is not None:
            demand = recorded_flows(demand, shares, routes)
        with np.errstate(divide="ignore"):
            log_ratio = np.log(np.where(covered, demand / np.where(covered, base, 1.0), 1.0))
        excess = np.where(covered, log_ratio - log_ceiling, 0.0)
        binding = log_wedge > 0
        miss = np.where(binding, np.abs(excess), np.maximum(excess, 0.0))
        # Sectors are separate markets: a sector whose quotas bind to the tolerance keeps
        # its wedges, so the rounds other sectors still need do not move it.
        settled |= miss.reshape(len(miss), -1).max(axis=1) < TOLERANCE
        gap = float(np.max(np.where(settled[:, None, None], 0.0, miss)))
        if settled.all():
            return x, report, state, model
        step = np.maximum(log_wedge + excess / response, 0.0)
        log_wedge = np.where(settled[:, None, None], log_wedge, step)
    worst = np.unravel_index(int(np.argmax(np.abs(np.where(covered, excess, 0.0)))), excess.shape)
    sector = sector_names[worst[0]] if sector_names else str(worst[0])
    raise SolverError(sector, period, gap)
