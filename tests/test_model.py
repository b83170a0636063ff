"""Invariants of the equilibrium model and its solver."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model import Baseline, Elasticities, evaluate, excess_demand
from sim.solve import solve_period
from tests.conftest import make_policy


@st.composite
def markets(draw: st.DrawFn) -> tuple[Baseline, Elasticities]:
    sectors = draw(st.integers(1, 3))
    regions = draw(st.integers(2, 5))
    shape = (sectors, regions, regions)
    flows = draw(arrays(np.float64, shape, elements=st.floats(0.0, 100.0)))
    # every producer sells at home, so every origin has a market
    flows = flows + np.eye(regions)[None] * draw(st.floats(1.0, 500.0))
    tariffs = (
        draw(arrays(np.float64, shape, elements=st.floats(0.0, 0.5))) * (1 - np.eye(regions))[None]
    )
    small = (sectors, regions)
    elasticities = Elasticities(
        sigma=draw(arrays(np.float64, small, elements=st.floats(1.1, 8.0))),
        eps=draw(arrays(np.float64, small, elements=st.floats(0.1, 2.0))),
        eta=draw(arrays(np.float64, small, elements=st.floats(0.1, 5.0))),
    )
    return Baseline(flows, tariffs), elasticities


@settings(max_examples=60, deadline=None)
@given(markets())
def test_no_policy_change_reproduces_the_baseline(market: tuple[Baseline, Elasticities]) -> None:
    baseline, elasticities = market
    policy = make_policy(baseline)
    x, report = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    np.testing.assert_allclose(eq.producer_price, 1.0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(eq.demand, baseline.flows, rtol=1e-9, atol=1e-9)
    assert report.iterations == 0


@settings(max_examples=60, deadline=None)
@given(markets(), st.data())
def test_full_ban_gives_zero_flow_and_markets_clear(
    market: tuple[Baseline, Elasticities], data: st.DataObject
) -> None:
    baseline, elasticities = market
    sectors, regions, _ = baseline.flows.shape
    s = data.draw(st.integers(0, sectors - 1))
    i = data.draw(st.integers(0, regions - 1))
    j = data.draw(st.integers(0, regions - 1).filter(lambda k: k != i))
    availability = np.ones_like(baseline.flows)
    availability[s, i, j] = 0.0
    policy = make_policy(baseline, availability=availability)
    x, report = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    assert eq.demand[s, i, j] == 0.0
    # adding-up: each producer's sales equal its supply
    np.testing.assert_allclose(eq.demand.sum(axis=2), eq.supply, rtol=1e-9, atol=1e-9)
    assert report.residual <= 1e-10


@settings(max_examples=60, deadline=None)
@given(markets(), st.data())
def test_higher_tariff_never_raises_its_own_flow(
    market: tuple[Baseline, Elasticities], data: st.DataObject
) -> None:
    baseline, elasticities = market
    sectors, regions, _ = baseline.flows.shape
    s = data.draw(st.integers(0, sectors - 1))
    i = data.draw(st.integers(0, regions - 1))
    j = data.draw(st.integers(0, regions - 1).filter(lambda k: k != i))
    low = data.draw(st.floats(0.0, 1.0))
    high = low + data.draw(st.floats(0.01, 1.0))
    flows = []
    for rate in (low, high):
        tariff = baseline.tariffs.copy()
        tariff[s, i, j] = rate
        policy = make_policy(baseline, tariff=tariff)
        x, _ = solve_period(baseline, policy, elasticities)
        flows.append(evaluate(x, baseline, policy, elasticities).demand[s, i, j])
    assert flows[1] <= flows[0] * (1 + 1e-12) + 1e-12


def test_analytic_jacobian_matches_finite_differences(
    three_region_market: tuple[Baseline, Elasticities],
) -> None:
    baseline, elasticities = three_region_market
    availability = np.ones_like(baseline.flows)
    availability[0, 0, 1] = 0.3
    tariff = baseline.tariffs.copy()
    tariff[1, 2, 1] = 0.2
    policy = make_policy(baseline, availability=availability, tariff=tariff)
    rng = np.random.default_rng(7)
    x = rng.normal(scale=0.1, size=baseline.output.shape)
    _, jacobian = excess_demand(x, baseline, policy, elasticities)
    step = 1e-6
    numeric = np.zeros_like(jacobian)
    for k in range(x.shape[1]):
        up, down = x.copy(), x.copy()
        up[:, k] += step
        down[:, k] -= step
        numeric[:, :, k] = (
            excess_demand(up, baseline, policy, elasticities)[0]
            - excess_demand(down, baseline, policy, elasticities)[0]
        ) / (2 * step)
    np.testing.assert_allclose(jacobian, numeric, rtol=1e-6, atol=1e-8)


def test_solution_clears_markets_with_all_instruments(
    three_region_market: tuple[Baseline, Elasticities],
) -> None:
    baseline, elasticities = three_region_market
    availability = np.ones_like(baseline.flows)
    availability[:, 1, 0] = 0.2
    export_tax = np.zeros_like(baseline.flows)
    export_tax[0, 2, 1] = 0.15
    trade_cost = np.zeros_like(baseline.flows)
    trade_cost[1, 0, 2] = 0.3
    demand = np.ones(baseline.output.shape)
    demand[1, 2] = 0.9
    supply = np.ones(baseline.output.shape)
    supply[0, 0] = 1.1
    policy = make_policy(
        baseline,
        availability=availability,
        export_tax=export_tax,
        trade_cost=trade_cost,
        demand=demand,
        supply=supply,
    )
    x, report = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    np.testing.assert_allclose(eq.demand.sum(axis=2), eq.supply, rtol=1e-10)
    # spending shares sum to one in every market
    np.testing.assert_allclose(eq.spending_shares.sum(axis=1), 1.0, rtol=1e-12)


def test_a_producer_left_without_any_market_has_price_zero(
    three_region_market: tuple[Baseline, Elasticities],
) -> None:
    baseline, elasticities = three_region_market
    availability = np.ones_like(baseline.flows)
    availability[0, 1, :] = 0.0
    policy = make_policy(baseline, availability=availability)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    assert eq.producer_price[0, 1] == 0.0
    assert np.all(eq.demand[0, 1] == 0.0)
    np.testing.assert_allclose(eq.demand.sum(axis=2)[0, [0, 2]], eq.supply[0, [0, 2]], rtol=1e-10)
