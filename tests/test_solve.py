"""sim.solve: one period's equilibrium against markets solved by hand.

In a market with one supplier the CES price index is that supplier's delivered price, so
clearing ``m (p w)^-eps D = Y p^eta S`` has the closed form
``ln p = (ln D - ln S - eps ln w) / (eta + eps)``. The solver stops when no producer's log
demand and log supply differ by more than its tolerance (1e-10); a log price is then off
by at most that gap over ``eta + eps`` (> 1 here), so the closed forms are checked to 1e-10.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim.solve
from sim.errors import SolverError
from sim.model import Baseline, Elasticities, Policy, clearing_gap, evaluate
from sim.solve import TOLERANCE, solve_and_evaluate, solve_period

CLOSE = TOLERANCE  # see the module docstring


def cross_trade() -> tuple[Baseline, Elasticities]:
    """Two regions, one sector: A sells 2 to B only, B sells 3 to A only."""
    flows = np.array([[[0.0, 2.0], [3.0, 0.0]]])
    elasticities = Elasticities(
        sigma=np.array([[4.0, 6.0]]), eps=np.array([[0.8, 1.5]]), eta=np.array([[2.0, 0.5]])
    )
    return Baseline(flows, np.zeros_like(flows)), elasticities


def with_(policy: Policy, **changes: tuple[tuple[int, ...], float]) -> Policy:
    """``policy`` with single cells of its arrays set: ``tariff=((0, 0, 1), 0.25)``."""
    arrays = {}
    for name, (at, value) in changes.items():
        array = getattr(policy, name).copy()
        array[at] = value
        arrays[name] = array
    return dataclasses.replace(policy, **arrays)


def test_no_shock_is_the_baseline_exactly_without_iterating() -> None:
    baseline, elasticities = cross_trade()
    x, report = solve_period(baseline, Policy.none(baseline), elasticities)
    assert np.array_equal(x, np.zeros((1, 2)))
    assert report == sim.solve.SolveReport(iterations=0, residual=0.0, fallback_sectors=())


@pytest.mark.parametrize(
    ("change", "expected_a"),
    [
        # a 25% tariff on A's sales to B: ln p_A = -eps_B ln 1.25 / (eta_A + eps_B)
        ({"tariff": ((0, 0, 1), 0.25)}, -1.5 * np.log(1.25) / (2.0 + 1.5)),
        # B's demand up 10%: ln p_A = ln 1.1 / (eta_A + eps_B)
        ({"demand": ((0, 1), 1.1)}, np.log(1.1) / 3.5),
        # A's supply down 20%: ln p_A = -ln 0.8 / (eta_A + eps_B)
        ({"supply": ((0, 0), 0.8)}, -np.log(0.8) / 3.5),
        # an export tax and a trade cost enter the wedge like the tariff
        (
            {"export_tax": ((0, 0, 1), 0.1), "trade_cost": ((0, 0, 1), 0.2)},
            -1.5 * np.log(1.1 * 1.2) / 3.5,
        ),
    ],
)
def test_a_single_supplier_market_matches_its_closed_form(
    change: dict[str, tuple[tuple[int, ...], float]], expected_a: float
) -> None:
    baseline, elasticities = cross_trade()
    x, report = solve_period(baseline, with_(Policy.none(baseline), **change), elasticities)
    assert x[0, 0] == pytest.approx(expected_a, abs=CLOSE)
    assert x[0, 1] == 0.0  # B's market saw no shock and is not touched
    assert report.iterations > 0
    assert report.residual <= TOLERANCE
    assert report.fallback_sectors == ()


def test_a_ban_on_one_of_two_suppliers_matches_its_closed_form() -> None:
    # A sells 1 at home and 3 to B; B sells 2 at home. The ban closes A -> B.
    flows = np.array([[[1.0, 3.0], [0.0, 2.0]]])
    baseline = Baseline(flows, np.zeros_like(flows))
    sigma, eps, eta = np.array([[3.0, 5.0]]), np.array([[1.2, 0.7]]), np.array([[1.5, 2.5]])
    policy = with_(Policy.none(baseline), availability=((0, 0, 1), 0.0))
    x, _ = solve_period(baseline, policy, Elasticities(sigma, eps, eta))
    # A keeps only its home market, where it is the only supplier: 1 * p^-eps = 4 * p^eta
    assert x[0, 0] == pytest.approx(-np.log(4.0) / (1.5 + 1.2), abs=CLOSE)
    # B's index loses A's share: P_B = theta_BB^(1/(1-sigma)) p_B with theta_BB = 2/5, and
    # 2 p^-sigma P^(sigma-eps) = 2 p^eta gives ln p_B = (sigma-eps) ln theta / ((1-sigma)(eta+eps))
    theta = 2.0 / 5.0
    expected_b = (5.0 - 0.7) * np.log(theta) / ((1.0 - 5.0) * (2.5 + 0.7))
    assert x[0, 1] == pytest.approx(expected_b, abs=CLOSE)


def test_the_reported_residual_is_the_gap_at_the_returned_prices() -> None:
    baseline, elasticities = cross_trade()
    policy = with_(Policy.none(baseline), tariff=((0, 1, 0), 0.4), demand=((0, 0), 0.7))
    x, report = solve_period(baseline, policy, elasticities)
    assert report.residual == np.abs(clearing_gap(x, baseline, policy, elasticities)).max()
    # warm-started at its own solution, the solver has nothing left to do
    again, second = solve_period(baseline, policy, elasticities, initial=x)
    assert np.array_equal(again, x)
    assert second.iterations == 0


def test_sectors_are_solved_independently_in_one_batch() -> None:
    baseline, elasticities = cross_trade()

    def stacked(array: np.ndarray) -> np.ndarray:
        return np.concatenate([array, array])

    two = Baseline(stacked(baseline.flows), stacked(baseline.tariffs))
    two_elasticities = Elasticities(
        *(stacked(a) for a in (elasticities.static.sigma, elasticities.eps, elasticities.eta))
    )
    policy = with_(Policy.none(two), tariff=((1, 0, 1), 0.25))
    x, _ = solve_period(two, policy, two_elasticities)
    alone, _ = solve_period(
        baseline, with_(Policy.none(baseline), tariff=((0, 0, 1), 0.25)), elasticities
    )
    assert np.array_equal(x[0], np.zeros(2))  # the unshocked sector is exactly its baseline
    assert x[1] == pytest.approx(alone[0], abs=1e-14)


def test_the_equilibrium_kept_by_the_solver_is_the_model_at_its_prices() -> None:
    """Sectors the solver does not move keep their first evaluation; the others are
    evaluated again: together exactly :func:`sim.model.evaluate` at the solution."""
    baseline, elasticities = cross_trade()

    def stacked(array: np.ndarray) -> np.ndarray:
        return np.concatenate([array, array, array])

    three = Baseline(stacked(baseline.flows), stacked(baseline.tariffs))
    three_elasticities = Elasticities(
        *(stacked(a) for a in (elasticities.static.sigma, elasticities.eps, elasticities.eta))
    )
    policy = with_(Policy.none(three), tariff=((1, 0, 1), 0.25), demand=((2, 1), 0.9))
    x, report, kept = solve_and_evaluate(three, policy, three_elasticities)
    assert report.iterations > 0
    assert np.array_equal(x, solve_period(three, policy, three_elasticities)[0])
    fresh = evaluate(x, three, policy, three_elasticities)
    for field in dataclasses.fields(fresh):
        assert np.array_equal(getattr(kept, field.name), getattr(fresh, field.name)), field.name
    assert np.array_equal(kept.demand[0], three.flows[0])  # unshocked: the baseline exactly
    assert not np.array_equal(kept.demand[1], three.flows[1])


def test_a_fixed_price_supplier_keeps_its_price() -> None:
    baseline, elasticities = cross_trade()
    fixed = dataclasses.replace(elasticities, eta=np.array([[np.inf, 0.5]]))
    policy = with_(Policy.none(baseline), tariff=((0, 0, 1), 0.25))
    x, report = solve_period(baseline, policy, fixed)
    assert np.array_equal(x, np.zeros((1, 2)))
    assert report.residual == 0.0


def test_when_newton_cannot_finish_the_fallback_solves_and_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sim.solve, "MAX_ITERATIONS", 0)  # Newton takes no step at all
    baseline, elasticities = cross_trade()
    policy = with_(Policy.none(baseline), tariff=((0, 0, 1), 0.25))
    x, report = solve_period(baseline, policy, elasticities)
    assert report.fallback_sectors == (0,)
    assert report.iterations == 0
    assert x[0, 0] == pytest.approx(-1.5 * np.log(1.25) / 3.5, abs=CLOSE)


def test_a_market_that_cannot_clear_is_an_error_naming_it() -> None:
    baseline, elasticities = cross_trade()
    # a NaN shifter makes every gap NaN: it must not pass for a cleared market
    policy = with_(Policy.none(baseline), demand=((0, 1), np.nan))
    with pytest.raises(SolverError) as raised:
        solve_period(baseline, policy, elasticities, sector_names=("seafood",), period="2024Q2")
    assert raised.value.exit_code == 1
    assert str(raised.value).startswith("no equilibrium for sector 'seafood' in 2024Q2")
