"""Nested Armington demand: home goods against an import composite, then among imports."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sim.api import load_scenario
from sim.dataset import Dataset, dataset_path, load_dataset
from sim.errors import DatasetError
from sim.model import Baseline, Elasticities, evaluate, excess_demand
from sim.quarters import Quarter
from sim.scenario_path import solve_scenario
from sim.solve import solve_period
from sim.timepath import elasticity_paths, solve_path
from tests.conftest import make_policy

FLAT = Path(__file__).parent / "data" / "flat-regression"


def _market(seed: int = 3) -> tuple[Baseline, np.ndarray]:
    """Two sectors, four regions, every producer selling at home, baseline tariffs."""
    rng = np.random.default_rng(seed)
    flows = rng.uniform(1.0, 60.0, (2, 4, 4)) + np.eye(4)[None] * 200.0
    flows[1, 2, 0] = 0.0  # a flow that does not trade
    tariffs = rng.uniform(0.0, 0.2, (2, 4, 4)) * (1 - np.eye(4))[None]
    return Baseline(flows, tariffs), rng.uniform(size=(2, 4, 4))


def _adjusting(base: Elasticities, rng: np.random.Generator, *, same: bool) -> Elasticities:
    """Elasticities with an adjustment under way; the import nest on its own clock unless same."""
    sectors, regions = shape2 = base.sigma.shape
    shape3 = (sectors, regions, regions)
    r, k = rng.uniform(0.3, 1.0, shape2), rng.normal(0.0, 0.05, shape3)
    rm, km = (r, k) if same else (rng.uniform(0.3, 1.0, shape2), rng.normal(0.0, 0.05, shape3))
    return replace(
        base,
        delivered_weight=r,
        delivered_offset=k,
        index_weight=rng.uniform(0.3, 1.0, shape2),
        index_offset=rng.normal(0.0, 0.05, shape2),
        supply_weight=rng.uniform(0.3, 1.0, shape2),
        supply_offset=rng.normal(0.0, 0.05, shape2),
        import_weight=rm,
        import_offset=km,
    )


def _shocked(baseline: Baseline, draws: np.ndarray):  # type: ignore[no-untyped-def]
    availability = np.ones_like(baseline.flows)
    availability[0, 0, 1] = 0.1  # most of a flow banned
    tariff = baseline.tariffs + 0.3 * (draws > 0.7) * (1 - np.eye(4))[None]
    return make_policy(baseline, availability=availability, tariff=tariff)


def test_a_flat_dataset_solves_exactly_as_before_nesting() -> None:
    # expected.json: the path of scenario.yaml on dataset.yaml (every sector one sigma), as
    # solved by the one-level model of commit e32d067, then re-solved when each sector's
    # quarter came to be cut at its own policy days only (chip tools and critical minerals
    # moved from 2023Q3 on, by up to 1.5%; seafood and other goods to 4e-15, rounding).
    # Rounding differences only: 1e-12.
    expected = json.loads((FLAT / "expected.json").read_text())
    path = solve_scenario(load_scenario(FLAT / "scenario.yaml"))  # type: ignore[arg-type]
    assert [str(p.quarter) for p in path.scenario] == expected["quarters"]
    for name in ("value", "producer_price", "price_index"):
        got = np.array([getattr(p, name) for p in path.scenario])
        np.testing.assert_allclose(got, np.array(expected[name]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("adjusting", [False, True])
def test_equal_nests_are_the_one_level_ces(adjusting: bool) -> None:
    baseline, draws = _market()
    rng = np.random.default_rng(7)
    sigma = rng.uniform(1.3, 6.0, (2, 4))
    flat = Elasticities(sigma, rng.uniform(0.2, 1.5, (2, 4)), rng.uniform(0.2, 3.0, (2, 4)))
    if adjusting:
        flat = _adjusting(flat, rng, same=True)
    nested = replace(flat, sigma_import=sigma)  # the import nest on the same clock
    flat = replace(flat, import_weight=None, import_offset=None)
    policy = _shocked(baseline, draws)
    x_flat, _ = solve_period(baseline, policy, flat)
    x_nested, _ = solve_period(baseline, policy, nested)
    np.testing.assert_allclose(x_nested, x_flat, rtol=0, atol=1e-10)
    a, b = evaluate(x_flat, baseline, policy, flat), evaluate(x_flat, baseline, policy, nested)
    np.testing.assert_allclose(b.demand, a.demand, rtol=1e-10)
    np.testing.assert_allclose(b.price_index, a.price_index, rtol=1e-10)
    np.testing.assert_allclose(b.spending_shares, a.spending_shares, rtol=1e-10, atol=1e-14)
    _, jac_flat = excess_demand(x_flat, baseline, policy, flat)
    _, jac_nested = excess_demand(x_flat, baseline, policy, nested)
    np.testing.assert_allclose(jac_nested, jac_flat, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("adjusting", [False, True])
def test_the_nested_jacobian_is_exact(adjusting: bool) -> None:
    baseline, draws = _market(5)
    rng = np.random.default_rng(11)
    elasticities = Elasticities(
        rng.uniform(1.2, 3.0, (2, 4)),
        rng.uniform(0.2, 1.5, (2, 4)),
        rng.uniform(0.2, 3.0, (2, 4)),
        sigma_import=rng.uniform(2.0, 9.0, (2, 4)),
    )
    if adjusting:
        elasticities = _adjusting(elasticities, rng, same=False)
    policy = _shocked(baseline, draws)
    x = rng.normal(0.0, 0.1, (2, 4))
    _, jacobian = excess_demand(x, baseline, policy, elasticities)
    h = 1e-6
    for k in range(4):
        step = np.zeros_like(x)
        step[:, k] = h
        up, _ = excess_demand(x + step, baseline, policy, elasticities)
        down, _ = excess_demand(x - step, baseline, policy, elasticities)
        # central differences: error O(h^2) ~ 1e-12, rounding ~ 1e-16 / h = 1e-10
        np.testing.assert_allclose(jacobian[:, :, k], (up - down) / (2 * h), rtol=0, atol=1e-8)


def _one_buyer(sigma: float, sigma_import: float, eps: float, tariff_on_a: float):  # type: ignore[no-untyped-def]
    """Buyer H (region 0) with home sales 60 and imports from A (25) and B (15).

    Producer prices are fixed (infinitely elastic supply), so a tariff on A's goods moves
    only A's delivered price in H.
    """
    flows = np.array([[[60.0, 0.0, 0.0], [25.0, 100.0, 0.0], [15.0, 0.0, 100.0]]])
    baseline = Baseline(flows, np.zeros_like(flows))
    tariff = np.zeros_like(flows)
    tariff[0, 1, 0] = tariff_on_a
    shape = (1, 3)
    elasticities = Elasticities(
        np.full(shape, sigma),
        np.full(shape, eps),
        np.full(shape, np.inf),
        sigma_import=np.full(shape, sigma_import),
    )
    policy = make_policy(baseline, tariff=tariff)
    x, _ = solve_period(baseline, policy, elasticities)
    return evaluate(x, baseline, policy, elasticities)


def test_a_small_price_change_of_one_origin_moves_shares_by_the_nested_formulas() -> None:
    sd, sm, eps, t = 1.5, 4.0, 0.7, 1e-6
    eq = _one_buyer(sd, sm, eps, t)
    home, a, b = eq.demand[0, :, 0] / np.array([60.0, 25.0, 15.0])  # ratios to baseline
    d = np.log1p(t)
    # Nested CES at the margin: A against B by sigma_import; B, whose price is unchanged,
    # against home goods by (sigma_import - sigma) times A's share of imports (25/40) — the
    # move of the import price index; home goods by (sigma - eps) times A's share of all
    # spending (25/100) — the move of the composite price index.
    np.testing.assert_allclose(np.log(a / b) / d, -sm, rtol=1e-5)
    np.testing.assert_allclose(np.log(b / home) / d, (sm - sd) * 25 / 40, rtol=1e-5)
    np.testing.assert_allclose(np.log(home) / d, (sd - eps) * 25 / 100, rtol=1e-5)
    np.testing.assert_allclose(np.log(eq.price_index[0, 0]) / d, 25 / 100, rtol=1e-5)


def test_a_ten_percent_tariff_matches_the_hand_computed_nested_ces() -> None:
    sd, sm, eps = 2.0, 3.0, 1.0
    eq = _one_buyer(sd, sm, eps, 0.10)
    # By hand: import index P_M = (0.625 * 1.1^-2 + 0.375)^(-1/2) = 1.05909, composite
    # index P = (0.6 + 0.4 / P_M)^(-1) = 1.02282, then m' = m P_ij^-sm P_M^(sm-sd) P^(sd-eps).
    p_m = (0.625 * 1.1**-2 + 0.375) ** -0.5
    p = 1.0 / (0.6 + 0.4 / p_m)
    assert p_m == pytest.approx(1.05909, abs=1e-5)
    assert p == pytest.approx(1.02282, abs=1e-5)
    expected = [60.0 * p, 25.0 * 1.1**-3 * p_m * p, 15.0 * p_m * p]
    np.testing.assert_allclose(eq.demand[0, :, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(eq.price_index[0, 0], p, rtol=1e-12)


@pytest.mark.parametrize("adjusting", [False, True])
def test_spending_adds_up_to_the_sum_of_flows(adjusting: bool) -> None:
    baseline, draws = _market(9)
    rng = np.random.default_rng(2)
    elasticities = Elasticities(
        rng.uniform(1.2, 3.0, (2, 4)),
        rng.uniform(0.2, 1.5, (2, 4)),
        rng.uniform(0.2, 3.0, (2, 4)),
        sigma_import=rng.uniform(2.0, 9.0, (2, 4)),
    )
    if adjusting:
        elasticities = _adjusting(elasticities, rng, same=False)
    policy = _shocked(baseline, draws)
    x, _ = solve_period(baseline, policy, elasticities)
    eq = evaluate(x, baseline, policy, elasticities)
    spent = (
        eq.producer_price[:, :, None] * policy.wedge(baseline) * (1 + baseline.tariffs) * eq.demand
    ).sum(axis=1)
    if not adjusting:
        # CES expenditure: E D P Q with Q = P^-eps (static demand).
        expected = baseline.spending * policy.demand * eq.price_index ** (1 - elasticities.eps)
        np.testing.assert_allclose(spent, expected, rtol=1e-10)
    # Market clearing: every producer's sales are what it supplies.
    np.testing.assert_allclose(eq.demand.sum(axis=2), eq.supply, rtol=1e-9)
    assert np.all(spent > 0)


def _edited_dataset(tmp_path: Path, old: str, new: str) -> Path:
    text = dataset_path("japan-china-2022").read_text(encoding="utf-8")
    assert old in text, old
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


CHINA_ETA = "CHN: {short_run: 0.125,"


def test_no_shock_gives_the_baseline_exactly() -> None:
    dataset = load_dataset("japan-china-2022")
    assert not np.array_equal(
        dataset.elasticities["sigma"].long_run, dataset.elasticities["sigma_import"].long_run
    )
    path = solve_path(dataset, (), (), Quarter(2023, 1), Quarter(2024, 4))
    for period in path.scenario:
        # Prices and the model's cells are exact; the flows a processing route passes
        # through are re-recorded from its cell (sim.processing.recorded_flows), one
        # subtraction and one addition, so they are exact to a unit in the last place.
        np.testing.assert_allclose(period.volume, dataset.flows, rtol=2.3e-16, atol=0)
        np.testing.assert_array_equal(period.producer_price, 1.0)
        np.testing.assert_array_equal(period.price_index, 1.0)


def _short_run_response(dataset: Dataset) -> np.ndarray:
    """Supply response ``ln(y / Y) / ln p`` of each seafood producer to China's ban."""
    paths = elasticity_paths(dataset, {})
    short = Elasticities(
        *(paths.short_run[name] for name in ("sigma", "eps", "eta")),
        sigma_import=paths.short_run["sigma_import"],
    )
    baseline = Baseline(dataset.flows, dataset.tariffs)
    availability = np.ones_like(dataset.flows)
    s, jpn, chn = (dataset.sector_index("seafood"), *map(dataset.region_index, ("JPN", "CHN")))
    availability[s, jpn, chn] = 0.09
    policy = make_policy(baseline, availability=availability)
    x, _ = solve_period(baseline, policy, short)
    eq = evaluate(x, baseline, policy, short)
    assert np.all(np.abs(x[s]) > 1e-7)  # every seafood producer's price moved
    return np.log(eq.supply[s] / baseline.output[s]) / x[s]


def test_a_region_override_changes_only_that_regions_supply_response(tmp_path: Path) -> None:
    shipped = load_dataset("japan-china-2022")
    # the same override at the sector's own value: no region differs
    uniform = load_dataset(_edited_dataset(tmp_path, CHINA_ETA, "CHN: {short_run: 0.25,"))
    chn = shipped.region_index("CHN")
    with_override, without = _short_run_response(shipped), _short_run_response(uniform)
    # The response is the elasticity itself (constant-elasticity supply), to rounding.
    np.testing.assert_allclose(without, 0.25, rtol=1e-9)
    np.testing.assert_allclose(with_override[chn], 0.125, rtol=1e-9)
    others = np.arange(len(shipped.regions)) != chn
    np.testing.assert_allclose(with_override[others], without[others], rtol=1e-9)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "    sigma_domestic: {short_run: 1.085",
            "    sigma: {short_run: 1.2, long_run: 2.0, source: seafood-esubd}\n"
            "    sigma_domestic: {short_run: 1.085",
            "give either sigma (one nest) or sigma_domestic and sigma_import, not both",
        ),
        (
            "    sigma_import: {short_run: 1.51, long_run: 2.5, source: seafood-esubm}\n",
            "",
            "missing required field 'sigma_import'",
        ),
        ("short_run: 1.51, long_run: 2.5", "short_run: 1.0, long_run: 2.5", "sigma_import must be"),
        ("CHN: {short_run: 0.125", "CHX: {short_run: 0.125", "unknown region 'CHX'"),
        ("CHN: {short_run: 0.125, long_run: 1.0,", "CHN: {short_run: 0.125,", "'long_run'"),
        (
            '    quote: "sigmamt(r,NFMi) = 2.0; !! GTAP = 4.2"\n',
            '    quote: "sigmamt(r,NFMi) = 2.0; !! GTAP = 4.2"\n    range: "2 to 4.2"\n',
            "a published figure is no choice",
        ),
    ],
)
def test_bad_nested_fields_are_refused_with_file_and_line(
    tmp_path: Path, old: str, new: str, message: str
) -> None:
    path = _edited_dataset(tmp_path, old, new)
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    assert str(info.value).startswith(f"{path}:")
    assert message in str(info.value)


def test_scenario_parameters_set_each_nest_or_both(tmp_path: Path) -> None:
    dataset = load_dataset("japan-china-2022")
    s = dataset.sector_index("seafood")
    paths = elasticity_paths(
        dataset,
        {
            "seafood": {
                "sigma_import": {"long_run": 3.5},
                "regions": {"HKG": {"sigma": {"short_run": 1.4}}},
            }
        },
    )
    assert np.all(paths.long_run["sigma_import"][s] == 3.5)
    np.testing.assert_array_equal(paths.long_run["sigma"], dataset.elasticities["sigma"].long_run)
    hkg = dataset.region_index("HKG")
    assert paths.short_run["sigma"][s, hkg] == paths.short_run["sigma_import"][s, hkg] == 1.4
    scenario = tmp_path / "nests.yaml"
    scenario.write_text(
        "name: nests\ndataset: japan-china-2022\nstart: 2023Q1\nend: 2023Q4\npolicies: []\n"
        "parameters:\n  seafood:\n    sigma_domestic: {long_run: 1.5}\n"
        "    sigma_import: {short_run: 1.2, long_run: 3.0}\n"
        "uncertainty:\n  seafood.sigma_import.long_run: {dist: uniform, low: 2.0, high: 4.0}\n",
        encoding="utf-8",
    )
    loaded = load_scenario(scenario)
    assert loaded.parameters["seafood"]["sigma_import"] == {"short_run": 1.2, "long_run": 3.0}
    assert "seafood.sigma_import.long_run" in loaded.uncertainty  # type: ignore[union-attr]
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        scenario.read_text().replace("short_run: 1.2", "short_run: 0.9"), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "sim", "validate", str(bad)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "sigma_import must be greater than 1" in result.stderr
    assert "Traceback" not in result.stderr


def test_sources_shows_which_values_are_choices_within_a_published_range() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sim", "sources"], capture_output=True, text=True, check=True
    )
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "(choice within a published range)" in lines["sigma_import.short_run.seafood"]
    assert "(choice within a published range)" not in lines["eta.short_run.seafood.CHN"]
    assert "[choice within a published range: ratio 0.34 to 0.43" in lines["short-run-substitution"]
