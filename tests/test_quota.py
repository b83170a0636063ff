"""Quotas: the binding wedge, the non-binding case and who holds the rent."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.model import Baseline, Elasticities, evaluate
from sim.quota import solve_with_quotas
from sim.solve import solve_period
from sim.welfare import welfare
from tests.conftest import make_policy

CELL = (0, 1, 0)  # sector 0, from region 1 to region 0


def quota_policy(baseline: Baseline, share: float, holder: int):
    quota = np.full(baseline.flows.shape, np.inf)
    quota[CELL] = share
    rent = np.zeros(baseline.flows.shape, dtype=np.int8)
    rent[CELL] = holder
    return make_policy(baseline, quota=quota, quota_rent=rent)


def solve(baseline: Baseline, elasticities: Elasticities, policy):
    def market(state, start):
        return solve_period(baseline, state, elasticities, initial=start)

    x, _, state, _ = solve_with_quotas(baseline, policy, elasticities, market)
    return state, evaluate(x, baseline, state, elasticities)


def test_a_quota_that_does_not_bind_changes_nothing(three_region_market) -> None:
    baseline, elasticities = three_region_market
    free_state, free = solve(baseline, elasticities, make_policy(baseline))
    state, eq = solve(baseline, elasticities, quota_policy(baseline, 2.0, 0))
    np.testing.assert_array_equal(eq.demand, free.demand)
    np.testing.assert_array_equal(state.tariff, free_state.tariff)


@pytest.mark.parametrize("share", [0.9, 0.5, 0.1])
def test_a_binding_quota_gives_exactly_the_ceiling(three_region_market, share: float) -> None:
    baseline, elasticities = three_region_market
    state, eq = solve(baseline, elasticities, quota_policy(baseline, share, 0))
    assert eq.demand[CELL] / baseline.flows[CELL] == pytest.approx(share, rel=1e-9)
    assert state.tariff[CELL] > baseline.tariffs[CELL]  # the rent is a wedge on the flow
    others = np.ones(baseline.flows.shape, dtype=bool)
    others[CELL] = False
    np.testing.assert_array_equal(state.tariff[others], baseline.tariffs[others])


def test_the_rent_moves_between_importer_and_exporter_with_identical_flows(
    three_region_market,
) -> None:
    baseline, elasticities = three_region_market
    parts = {}
    flows = {}
    for holder in (0, 1, 2):
        policy = quota_policy(baseline, 0.5, holder)
        state, eq = solve(baseline, elasticities, policy)
        parts[holder] = welfare(baseline, state, elasticities, eq)
        flows[holder] = eq.demand
    np.testing.assert_allclose(flows[0], flows[1], rtol=1e-9)
    np.testing.assert_allclose(flows[0], flows[2], rtol=1e-9)
    sector, exporter, importer = CELL
    importer_gain = (
        parts[0]["tariff_revenue"][sector, importer] - parts[1]["tariff_revenue"][sector, importer]
    )
    exporter_gain = (
        parts[1]["export_rents"][sector, exporter] - parts[0]["export_rents"][sector, exporter]
    )
    assert importer_gain > 0
    assert importer_gain == pytest.approx(exporter_gain, rel=1e-6)
    world = {h: parts[h]["total"].sum() for h in parts}
    assert world[0] == pytest.approx(world[1], rel=1e-9)
    assert world[2] < world[0]  # a rent nobody holds is lost


QUOTA_SCENARIO = """\
name: seafood-quota
description: China caps Japanese seafood at half its 2022 quantity from 2024, licences to importers.
start: 2023Q1
end: 2024Q4
policies:
  - id: quota
    type: quota
    sector: seafood
    exporters: [JPN]
    importers: [CHN]
    share: 0.5
    rent: importer
    start: 2024-01-01
"""


def test_a_quota_scenario_runs_and_binds_in_the_results(tmp_path: Path) -> None:
    path = tmp_path / "seafood-quota.yaml"
    path.write_text(QUOTA_SCENARIO)
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "seafood-quota" / "flows.csv").open() as f:
        rows = {
            r["period"]: r
            for r in csv.DictReader(f)
            if (r["sector"], r["exporter"], r["importer"]) == ("seafood", "JPN", "CHN")
        }
    for quarter in ("2024Q1", "2024Q4"):
        volume, base = float(rows[quarter]["volume"]), float(rows[quarter]["baseline_volume"])
        assert volume == pytest.approx(0.5 * base, abs=2e-6)
    assert float(rows["2023Q4"]["volume"]) == float(rows["2023Q4"]["baseline_volume"])


def test_a_zero_quota_closes_the_flow(tmp_path: Path) -> None:
    path = tmp_path / "seafood-quota.yaml"
    path.write_text(QUOTA_SCENARIO.replace("share: 0.5", "share: 0"))
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "seafood-quota" / "flows.csv").open() as f:
        (row,) = [
            r
            for r in csv.DictReader(f)
            if (r["period"], r["sector"], r["exporter"], r["importer"])
            == ("2024Q2", "seafood", "JPN", "CHN")
        ]
    assert float(row["volume"]) == 0.0


def test_a_quota_as_an_annual_volume_caps_each_flow_at_that_quantity(tmp_path: Path) -> None:
    path = tmp_path / "seafood-quota.yaml"
    # Japan's 2022 seafood exports to China were 87.1 (JPY bn): a cap of 40 a year binds
    path.write_text(QUOTA_SCENARIO.replace("share: 0.5", "volume: 40"))
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "seafood-quota" / "flows.csv").open() as f:
        (row,) = [
            r
            for r in csv.DictReader(f)
            if (r["period"], r["sector"], r["exporter"], r["importer"])
            == ("2024Q3", "seafood", "JPN", "CHN")
        ]
    assert float(row["volume"]) == pytest.approx(40 / 4, abs=2e-6)  # per quarter
    both = QUOTA_SCENARIO.replace("share: 0.5", "share: 0.5\n    volume: 40")
    path.write_text(both)
    refused = CliRunner().invoke(main, ["validate", str(path)])
    assert refused.exit_code == 2
    assert "a quota needs exactly one of 'share'" in refused.output


def test_a_sectors_quota_is_solved_as_if_it_were_alone(three_region_market) -> None:
    """Sectors are separate markets: the rounds other sectors' quotas need do not move a
    sector's wedge once its own quota binds to the tolerance."""
    from sim.sector_parts import rows

    baseline, elasticities = three_region_market
    quota = np.full(baseline.flows.shape, np.inf)
    quota[0, 1, 0], quota[1, 0, 1] = 0.5, 0.2
    policy = make_policy(baseline, quota=quota, quota_rent=np.zeros(quota.shape, dtype=np.int8))
    state, together = solve(baseline, elasticities, policy)
    for k in (0, 1):
        one = np.array([k])
        alone_state, alone = solve(rows(baseline, one), rows(elasticities, one), rows(policy, one))
        # rounding only: the same Newton steps on arrays of one sector or two
        np.testing.assert_allclose(together.demand[k], alone.demand[0], rtol=1e-13)
        np.testing.assert_allclose(state.tariff[k], alone_state.tariff[0], rtol=1e-13)
