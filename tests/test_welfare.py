"""Welfare: closed forms against direct integration and the worked example."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate

from sim.drawfigures import welfare_totals
from sim.model import Baseline, Elasticities, evaluate
from sim.scenario import load_scenario
from sim.scenario_path import solve_scenario
from sim.solve import solve_period
from sim.tables import welfare_arrays
from sim.welfare import consumer_surplus, producer_surplus, welfare
from tests.conftest import SCENARIOS, make_policy


@pytest.mark.parametrize("eps", [0.3, 1.0, 1.7])
@pytest.mark.parametrize("price", [0.8, 1.0, 1.25])
def test_consumer_surplus_is_the_area_left_of_the_demand_curve(eps: float, price: float) -> None:
    spending, shift = 120.0, 1.1
    area, _ = integrate.quad(lambda p: spending * shift * p ** (-eps), price, 1.0)
    closed = consumer_surplus(
        np.array([spending]), np.array([shift]), np.array([price]), np.array([eps])
    )
    np.testing.assert_allclose(closed[0], area, rtol=1e-10)


@pytest.mark.parametrize("eta", [0.25, 1.0, 3.0])
@pytest.mark.parametrize("price", [0.7, 1.0, 1.2])
def test_producer_surplus_is_the_area_left_of_the_supply_curve(eta: float, price: float) -> None:
    output, shift = 80.0, 0.95
    area, _ = integrate.quad(lambda p: output * shift * p**eta, 1.0, price)
    closed = producer_surplus(
        np.array([output]), np.array([shift]), np.array([price]), np.array([eta])
    )
    np.testing.assert_allclose(closed[0], area, rtol=1e-10)


def test_infinitely_elastic_supply_has_no_producer_surplus_change() -> None:
    closed = producer_surplus(
        np.array([80.0]), np.array([1.0]), np.array([1.0]), np.array([np.inf])
    )
    assert closed[0] == 0.0


def worked_example() -> tuple[Baseline, Elasticities, np.ndarray]:
    """Reference-models worked example 1: China (index 3) imports from A, B, C."""
    flows = np.zeros((1, 4, 4))
    flows[0, :3, 3] = [100.0, 50.0, 150.0]
    tariffs = np.zeros_like(flows)
    tariffs[0, :3, 3] = 0.10
    elasticities = Elasticities(np.full((1, 4), 1.5), np.full((1, 4), 1.0), np.full((1, 4), np.inf))
    new_tariff = tariffs.copy()
    new_tariff[0, 0, 3] = 0.0
    return Baseline(flows, tariffs), elasticities, new_tariff


def test_worked_example_exact_ces_quantities_prices_and_welfare() -> None:
    baseline, elasticities, new_tariff = worked_example()
    policy = make_policy(baseline, tariff=new_tariff)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    np.testing.assert_allclose(eq.demand[0, :3, 3], [113.522, 49.200, 147.599], atol=5e-4)
    np.testing.assert_allclose(eq.demand[0, :3, 3].sum(), 310.320, atol=5e-4)
    np.testing.assert_allclose(eq.price_index[0, 3], 0.968238, atol=1e-6)
    parts = welfare(baseline, policy, elasticities, eq)
    np.testing.assert_allclose(parts["consumer_surplus"][0, 3], 10.652, atol=5e-4)
    np.testing.assert_allclose(parts["tariff_revenue"][0, 3], -10.320, atol=5e-4)
    np.testing.assert_allclose(parts["total"][0, 3], 0.331, atol=5e-4)
    # exact to 1e-6 against the closed-form CES solution
    index = (1 / 3 * (1 / 1.1) ** -0.5 + 1 / 6 + 1 / 2) ** (1 / (1 - 1.5))
    exact = np.array([100 * (1 / 1.1) ** -1.5, 50, 150]) * index**0.5
    np.testing.assert_allclose(eq.demand[0, :3, 3], exact, rtol=1e-6)


def test_unit_demand_elasticity_keeps_revenue_of_a_uniform_tariff_when_only_shares_move() -> None:
    """With eps = 1 spending is fixed, so a uniform tariff's revenue cannot change."""
    baseline, elasticities, _ = worked_example()
    trade_cost = np.zeros_like(baseline.flows)
    trade_cost[0, 1, 3] = 0.2  # Korea's goods become dearer: shares move, spending does not
    policy = make_policy(baseline, trade_cost=trade_cost)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    # spending at internal prices stays E; revenue = t/(1+t) of spending on the border value
    spending = ((1 + policy.tariff) * (1 + policy.trade_cost) * eq.demand)[0, :, 3].sum()
    np.testing.assert_allclose(spending, baseline.spending[0, 3], rtol=1e-12)


def test_welfare_parts_add_up_to_the_total(
    three_region_market: tuple[Baseline, Elasticities],
) -> None:
    baseline, elasticities = three_region_market
    availability = np.ones_like(baseline.flows)
    availability[0, 0, 1] = 0.0
    export_tax = np.zeros_like(baseline.flows)
    export_tax[1, 2, 0] = 0.1
    policy = make_policy(baseline, availability=availability, export_tax=export_tax)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    parts = welfare(baseline, policy, elasticities, eq)
    summed = (
        parts["consumer_surplus"]
        + parts["producer_surplus"]
        + parts["tariff_revenue"]
        + parts["export_rents"]
    )
    np.testing.assert_allclose(parts["total"], summed, rtol=1e-12)
    assert parts["export_rents"][1, 2] > 0
    assert parts["producer_surplus"][0, 0] < 0  # the banned exporter loses


@pytest.mark.parametrize("name", ["seafood-ban-lifted", "escalation", "history-observed"])
def test_the_total_alone_is_bitwise_the_total_of_every_part(name: str) -> None:
    """The draws' welfare (total only, shared quarters once) is the welfare table's total."""
    path = solve_scenario(load_scenario(SCENARIOS / f"{name}.yaml"))
    total = welfare_totals(path)
    expected = welfare_arrays(path)["total"]
    assert total.shape == expected.shape
    assert total.tobytes() == expected.tobytes()
    assert np.any(total != 0.0)
