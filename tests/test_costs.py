"""Who earns a licence cost, and how much of a welfare change comes from lost varieties."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.dataset import load_dataset
from sim.model import Baseline, Elasticities, Policy, evaluate
from sim.policy import policy_state, rent_holder, target
from sim.quarters import Quarter
from sim.scenario import PolicySpec
from sim.solve import solve_period
from sim.tables import welfare_arrays
from sim.timepath import solve_path
from sim.welfare import welfare
from tests.conftest import DATA, make_policy

LICENCE = dict(
    id="licence",
    type="export_control",
    sectors=("seafood",),
    exporters=("JPN",),
    importers=("CHN",),
    start=dt.date(2023, 1, 1),
    coverage=0.0,
    tax_equivalent=0.05,
)


def _welfare(rent: str) -> dict[str, np.ndarray]:
    """Horizon welfare of a 5% licence cost on JPN->CHN seafood, per (sector, region)."""
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    policy = PolicySpec(**LICENCE, rent=rent)  # type: ignore[arg-type]
    where = target(
        policy.type, policy.sectors, policy.exporters, policy.importers,
        dataset.sectors, dataset.regions,
    )  # fmt: skip
    path = solve_path(dataset, [policy], [where], Quarter(2023, 1), Quarter(2023, 4))
    return {name: values.sum(axis=0) for name, values in welfare_arrays(path).items()}


def test_a_licence_cost_is_a_resource_cost_unless_a_policy_says_who_earns_it() -> None:
    jpn, chn = 0, 1
    cost, exporter, importer = _welfare(""), _welfare("exporter"), _welfare("importer")
    np.testing.assert_array_equal(cost["export_rents"], 0.0)  # nobody earns the cost
    assert np.all(cost["tariff_revenue"] <= 0.0)  # only less trade to levy baseline tariffs on
    assert exporter["export_rents"][0, jpn] > 0.0
    assert importer["tariff_revenue"][0, chn] > 0.0
    # The same wedge: the same trade, so the rent is a transfer on top of the resource cost.
    world = {name: w["total"].sum() for name, w in (("none", cost), ("x", exporter))}
    rent = exporter["export_rents"][0, jpn]
    assert world["x"] - world["none"] == pytest.approx(rent, rel=1e-9)
    licence_revenue = importer["tariff_revenue"][0, chn] - cost["tariff_revenue"][0, chn]
    assert importer["total"].sum() - cost["total"].sum() == pytest.approx(licence_revenue, rel=1e-9)
    assert licence_revenue == pytest.approx(rent, rel=1e-9)  # the same rent, another holder


def test_the_licence_default_is_none_and_a_quota_keeps_the_importer() -> None:
    assert rent_holder(PolicySpec(**LICENCE)) == "none"  # type: ignore[arg-type]
    quota = PolicySpec(**{**LICENCE, "type": "quota", "share": 0.5})  # type: ignore[arg-type]
    assert rent_holder(quota) == "importer"
    assert rent_holder(PolicySpec(**{**LICENCE, "rent": "lost"})) == "none"  # type: ignore[arg-type]


def test_the_variety_effect_is_zero_without_a_ban_and_negative_with_one(
    three_region_market: tuple[Baseline, Elasticities],
) -> None:
    baseline, elasticities = three_region_market
    trade_cost = np.zeros_like(baseline.flows)
    trade_cost[0, 0, 1] = 0.3
    priced = make_policy(baseline, trade_cost=trade_cost)
    x, _ = solve_period(baseline, priced, elasticities)
    parts = welfare(baseline, priced, elasticities, evaluate(x, baseline, priced, elasticities))
    np.testing.assert_array_equal(parts["variety_effect"], 0.0)
    availability = np.ones_like(baseline.flows)
    availability[0, 0, 1] = 0.5  # half of region 0's varieties leave region 1's market
    banned = make_policy(baseline, availability=availability)
    x, _ = solve_period(baseline, banned, elasticities)
    parts = welfare(baseline, banned, elasticities, evaluate(x, baseline, banned, elasticities))
    assert parts["variety_effect"][0, 1] < 0.0
    # The importer loses surplus from the varieties at unchanged prices, and more in all.
    assert parts["consumer_surplus"][0, 1] <= parts["variety_effect"][0, 1] < 0.0
    others = np.ones_like(parts["variety_effect"], dtype=bool)
    others[0, 1] = False
    np.testing.assert_array_equal(parts["variety_effect"][others], 0.0)


def test_the_variety_effect_is_the_closed_form_of_a_ces_index_losing_varieties() -> None:
    """At unchanged prices, removing a share a of one origin scales P^(1-sigma) by 1 - a theta."""
    flows = np.zeros((1, 3, 3))
    flows[0, :2, 2] = [60.0, 40.0]
    baseline = Baseline(flows, np.zeros_like(flows))
    sigma, eps = 3.0, 0.8
    elasticities = Elasticities(
        np.full((1, 3), sigma), np.full((1, 3), eps), np.full((1, 3), np.inf)
    )  # fixed producer prices: only the varieties change
    availability = np.ones_like(flows)
    availability[0, 0, 2] = 0.5
    policy = make_policy(baseline, availability=availability)
    x, _ = solve_period(baseline, policy, elasticities)
    parts = welfare(baseline, policy, elasticities, evaluate(x, baseline, policy, elasticities))
    index = (1.0 - 0.5 * 0.6) ** (1.0 / (1.0 - sigma))
    expected = 100.0 * (1.0 - index ** (1.0 - eps)) / (1.0 - eps)
    assert parts["variety_effect"][0, 2] == pytest.approx(expected, rel=1e-12)
    assert parts["consumer_surplus"][0, 2] == pytest.approx(expected, rel=1e-12)


def test_policy_state_books_the_licence_where_its_rent_goes() -> None:
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    baseline = Baseline(dataset.flows, dataset.tariffs)
    cell = (0, 0, 1)
    for rent, field in (("", "trade_cost"), ("exporter", "export_tax"), ("importer", "tariff")):
        policy = PolicySpec(**LICENCE, rent=rent)  # type: ignore[arg-type]
        where = target(
            policy.type, policy.sectors, policy.exporters, policy.importers,
            dataset.sectors, dataset.regions,
        )  # fmt: skip
        state = policy_state(baseline, [(policy, where)], Quarter(2023, 1))
        before = getattr(Policy.none(baseline), field)[cell]
        assert getattr(state, field)[cell] == pytest.approx((1.0 + before) * 1.05 - 1.0)


def test_a_scenario_says_who_earns_a_licence_and_a_wrong_holder_is_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from sim.cli import main
    from sim.scenario import load_scenario

    text = """name: licence
start: 2023Q1
end: 2023Q4
policies:
  - id: tools
    type: export_control
    sector: chip_tools
    exporters: [JPN]
    importers: [CHN]
    coverage: 0.25
    tax_equivalent: 0.02
    rent: {holder}
    start: 2023-07-23
"""
    path = tmp_path / "licence.yaml"
    path.write_text(text.format(holder="exporter"))
    assert load_scenario(path).policies[0].rent == "exporter"
    path.write_text(text.format(holder="the-state"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert "licence.yaml:12:11: policies[0].rent" in result.output
    assert len(result.output.strip().splitlines()) == 1
