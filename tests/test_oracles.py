"""Analytic oracles: the exact CES model against WITS-SMART and linear GSIM."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analytic import gsim_elasticity_matrix, gsim_market, smart_market
from sim.model import Baseline, Elasticities, evaluate
from sim.solve import solve_period
from tests.conftest import make_policy

IMPORTS = np.array([100.0, 50.0, 150.0])
TARIFF = np.full(3, 0.10)
ETA, SIGMA = -1.0, 1.5


def cut_for_japan(points: float) -> np.ndarray:
    after = TARIFF.copy()
    after[0] -= points
    return after


def exact_imports(after: np.ndarray) -> np.ndarray:
    """Solve the worked-example market (China, index 3) in the full model."""
    flows = np.zeros((1, 4, 4))
    flows[0, :3, 3] = IMPORTS
    tariffs = np.zeros_like(flows)
    tariffs[0, :3, 3] = TARIFF
    baseline = Baseline(flows, tariffs)
    elasticities = Elasticities(
        np.full((1, 4), SIGMA), np.full((1, 4), -ETA), np.full((1, 4), np.inf)
    )
    new_tariff = tariffs.copy()
    new_tariff[0, :3, 3] = after
    policy = make_policy(baseline, tariff=new_tariff)
    x, report = solve_period(baseline, policy, elasticities)
    return evaluate(x, baseline, policy, elasticities).demand[0, :3, 3]


def test_smart_reproduces_the_worked_example() -> None:
    change = smart_market(IMPORTS, TARIFF, cut_for_japan(0.10), ETA, SIGMA)
    np.testing.assert_allclose(change.creation, [9.091, 0, 0], atol=5e-4)
    np.testing.assert_allclose(change.diversion, [9.091, -2.273, -6.818], atol=5e-4)
    np.testing.assert_allclose(change.imports(IMPORTS), [118.182, 47.727, 143.182], atol=5e-4)
    assert change.diversion.sum() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize(("export_supply", "creation"), [(5.0, 7.576), (1.5, 5.455), (99.0, 9.000)])
def test_smart_finite_export_supply_damps_creation(export_supply: float, creation: float) -> None:
    change = smart_market(IMPORTS, TARIFF, cut_for_japan(0.10), ETA, SIGMA, export_supply)
    assert change.creation[0] == pytest.approx(creation, abs=5e-4)


def test_gsim_linear_reproduces_the_worked_example() -> None:
    change = gsim_market(IMPORTS, TARIFF, cut_for_japan(0.10), ETA, SIGMA)
    np.testing.assert_allclose(change.creation, [3.030, 1.515, 4.545], atol=5e-4)
    np.testing.assert_allclose(change.imports(IMPORTS), [112.121, 49.242, 147.727], atol=5e-4)
    matrix = gsim_elasticity_matrix(IMPORTS, TARIFF, ETA, SIGMA)
    expected = [[-1.333, 0.083, 0.250], [0.167, -1.417, 0.250], [0.167, 0.083, -1.250]]
    np.testing.assert_allclose(matrix, expected, atol=5e-4)


def test_exact_model_reproduces_the_worked_example_to_1e_6() -> None:
    index = (1 / 3 * (1 / 1.1) ** (1 - SIGMA) + 1 / 6 + 1 / 2) ** (1 / (1 - SIGMA))
    closed = np.array([100 * (1 / 1.1) ** -SIGMA, 50, 150]) * index ** (SIGMA + ETA)
    np.testing.assert_allclose(exact_imports(cut_for_japan(0.10)), closed, rtol=1e-6)


@pytest.mark.parametrize(("points", "ratio"), [(0.10, 1.135), (0.01, 1.012), (0.001, 1.001)])
def test_total_trade_change_converges_to_smart(points: float, ratio: float) -> None:
    after = cut_for_japan(points)
    exact = exact_imports(after).sum() - IMPORTS.sum()
    smart = smart_market(IMPORTS, TARIFF, after, ETA, SIGMA).total.sum()
    assert exact / smart == pytest.approx(ratio, abs=5e-4)


def test_diversion_converges_to_smart_as_the_cut_shrinks() -> None:
    gaps = []
    for points in (0.10, 0.01, 0.001):
        after = cut_for_japan(points)
        change = exact_imports(after) - IMPORTS
        # the model's diversion: what is left after growing every partner with the market
        diversion = change - change.sum() * IMPORTS / IMPORTS.sum()
        smart = smart_market(IMPORTS, TARIFF, after, ETA, SIGMA).diversion
        gaps.append(np.max(np.abs(diversion / smart - 1)))
    assert gaps[0] > gaps[1] > gaps[2]
    assert gaps[2] < 2e-3  # the reference's tolerance at a 0.1-point cut


@pytest.mark.parametrize("points", [0.01, 0.001, 0.0001])
def test_linear_gsim_agrees_to_first_order(points: float) -> None:
    after = cut_for_japan(points)
    exact = exact_imports(after) - IMPORTS
    linear = gsim_market(IMPORTS, TARIFF, after, ETA, SIGMA).total
    # the gap is second order: it shrinks with the square of the shock
    shock = points / 1.1
    assert np.max(np.abs(exact - linear)) < 20 * IMPORTS.sum() * shock**2
    assert np.max(np.abs(exact - linear)) > 0


def test_uniform_tariff_revenue_is_unchanged_under_unit_demand_elasticity() -> None:
    """eps = 1 fixes spending; a uniform tariff takes a fixed share of it, t / (1 + t)."""
    regions = ["JPN", "KOR", "CHN", "USA"]
    flows = np.zeros((1, 4, 4))
    flows[0, 0] = [60.0, 10.0, 100.0, 40.0]
    flows[0, 1] = [8.0, 70.0, 50.0, 30.0]
    flows[0, 2, 2] = 400.0
    flows[0, 2, 3] = 90.0
    tariffs = np.zeros_like(flows)
    tariffs[0, [0, 1, 2], 3] = 0.05  # the USA's uniform tariff; it makes nothing itself
    tariffs[0, [0, 1], 2] = 0.10
    baseline = Baseline(flows, tariffs)
    shape = (1, len(regions))
    elasticities = Elasticities(np.full(shape, 3.0), np.full(shape, 1.0), np.full(shape, 0.8))
    new_tariff = tariffs.copy()
    new_tariff[0, 0, 2] = 0.0  # China's cut on Japan moves producer prices everywhere
    policy = make_policy(baseline, tariff=new_tariff)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    assert abs(eq.producer_price[0, 0] - 1) > 1e-3
    border = eq.producer_price[0, :, None] * eq.demand[0]
    revenue = (new_tariff[0] * border)[:, 3].sum()
    before = (tariffs[0] * flows[0])[:, 3].sum()
    assert revenue == pytest.approx(before, rel=1e-10)
    assert not np.allclose(eq.demand[0, :, 3], flows[0, :, 3])
