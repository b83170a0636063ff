"""Laws of the model, tested as laws: each compares two runs that must agree or be ordered.

The scenarios are variants of the shipped ``baseline``; every variant extends nothing, so
its results are measured against the no-policy path, and a difference between two
variants is the difference of their runs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from sim.run import run_scenario, solve_scenario
from sim.scenario import PolicySpec, Scenario, load_scenario
from sim.tables import welfare_arrays
from sim.timepath import PathSolution
from tests.conftest import SCENARIOS

LAW = settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@cache
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.yaml")


@cache
def baseline_path() -> PathSolution:
    return solve_scenario(baseline())


def variant(*policies: PolicySpec, drop: str = "", change: dict | None = None) -> Scenario:
    """``baseline`` with policies added, one dropped, or one policy's fields changed."""
    kept = []
    for policy in baseline().policies:
        if policy.id == drop:
            continue
        if change and policy.id == change["id"]:
            policy = replace(policy, **{k: v for k, v in change.items() if k != "id"})
        kept.append(policy)
    return replace(baseline(), policies=(*kept, *policies))


def welfare_by_region(path: PathSolution) -> np.ndarray:
    """Horizon welfare of each region, all sectors (JPY bn), against the no-policy path."""
    return welfare_arrays(path)["total"].sum(axis=(0, 1))


def index(code: str) -> int:
    return baseline().dataset.regions.index(code)


def sector(code: str) -> int:
    return baseline().dataset.sector_index(code)


days = st.integers(min_value=0, max_value=(dt.date(2026, 12, 1) - dt.date(2023, 1, 1)).days)


@LAW
@given(
    cost=st.floats(min_value=1e-5, max_value=1e-3),
    start=days,
    pair=st.sampled_from([("CHN", "USA"), ("CHN", "JPN"), ("JPN", "HKG"), ("ASE", "ROW")]),
)
def test_a_tiny_cost_on_a_small_flow_has_a_tiny_welfare_effect(
    cost: float, start: int, pair: tuple[str, str]
) -> None:
    """At most 0.1% on a flow of a few JPY bn moves no region by 1 JPY bn."""
    flow = baseline().dataset.flows[sector("chip_tools"), index(pair[0]), index(pair[1])]
    assert flow < 100.0  # JPY bn a year: a small flow
    tiny = PolicySpec(
        id="tiny-cost",
        type="trade_cost",
        sectors=("chip_tools",),
        exporters=(pair[0],),
        importers=(pair[1],),
        start=dt.date(2023, 1, 1) + dt.timedelta(days=start),
        cost=cost,
    )
    moved = welfare_by_region(solve_scenario(variant(tiny))) - welfare_by_region(baseline_path())
    assert np.abs(moved).max() < 1.0


@LAW
@given(cut=st.integers(min_value=1, max_value=(dt.date(2026, 12, 31) - dt.date(2023, 7, 23)).days))
def test_a_policy_restated_as_two_back_to_back_halves_changes_nothing(cut: int) -> None:
    licence = next(p for p in baseline().policies if p.id == "chip-tool-controls")
    day = licence.start + dt.timedelta(days=cut)
    halves = variant(
        replace(licence, id="first-half", end=day),
        replace(licence, id="second-half", start=day),
        drop="chip-tool-controls",
    )
    split, whole = solve_scenario(halves), baseline_path()
    np.testing.assert_allclose(
        welfare_arrays(split)["total"], welfare_arrays(whole)["total"], rtol=1e-9, atol=1e-9
    )
    for a, b in zip(split.scenario, whole.scenario, strict=True):
        np.testing.assert_allclose(a.value, b.value, rtol=1e-9, atol=1e-9)


SHIPPED = tuple(p.id for p in load_scenario(SCENARIOS / "baseline.yaml").policies)


def _sector_results(path: PathSolution) -> dict[str, np.ndarray]:
    """Per-quarter results with the sector first after the period: (period, sector, ...)."""
    periods = path.scenario
    return {
        "value": np.array([p.value for p in periods]),
        "volume": np.array([p.volume for p in periods]),
        "supply": np.array([p.supply for p in periods]),
        "producer_price": np.array([p.producer_price for p in periods]),
        "price_index": np.array([p.price_index for p in periods]),
        **welfare_arrays(path),
    }


@LAW
@given(
    which=st.sampled_from(SHIPPED),
    moved=st.sampled_from(["start", "end"]),
    shift=st.sampled_from([-1, 1]) | st.integers(min_value=-200, max_value=200),
)
def test_moving_a_policys_dates_leaves_every_other_sector_unchanged(
    which: str, moved: str, shift: int
) -> None:
    """Sectors are separate markets: each clears on its own, so a policy on some sectors
    cannot move another sector's flows, prices or welfare in any quarter, whichever days
    the policy starts or ends on (and so wherever it cuts a quarter)."""
    policy = next(p for p in baseline().policies if p.id == which)
    # A policy in force to the end of the horizon is given an end inside it.
    day = getattr(policy, moved) or dt.date(2025, 2, 14)
    dates = {"start": policy.start, "end": policy.end, moved: day + dt.timedelta(days=shift)}
    assume(dates["end"] is None or dates["start"] < dates["end"])
    shifted = _sector_results(solve_scenario(variant(change={"id": which, **dates})))
    welfare_parts = set(welfare_arrays(baseline_path()))
    original = _sector_results(baseline_path())
    dataset = baseline().dataset
    others = [k for k, name in enumerate(dataset.sectors) if name not in policy.sectors]
    assert others
    for name, values in original.items():
        for k in others:
            # Identical but for rounding (a sector's arrays may be solved in another batch,
            # and a quarter's parts summed in other pieces): 1e-12 relative to the size of
            # the sector's market, its largest level over the path, or for welfare (a
            # change, not a level) its baseline trade, JPY bn a year.
            level = dataset.flows[k].sum() if name in welfare_parts else values[:, k]
            scale = float(np.abs(level).max(initial=0.0))
            np.testing.assert_allclose(
                shifted[name][:, k], values[:, k], rtol=1e-12, atol=1e-12 * scale, err_msg=name
            )


def _exporter_series(path: PathSolution) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s, jpn, chn = sector("seafood"), index("JPN"), index("CHN")
    price = np.array([p.producer_price[s, jpn] for p in path.scenario])
    volume = np.array([p.volume[s, jpn, chn] for p in path.scenario])
    value = np.array([p.value[s, jpn, chn] for p in path.scenario])
    return price, volume, value


# Solver tolerance 1e-10 on log prices: orderings are checked to this relative slack.
SLACK = 1e-9


@LAW
@given(tight=st.floats(0.5, 1.0), loose=st.floats(0.0, 1.0))
def test_a_ban_of_lower_coverage_never_lowers_the_exporters_price_or_exports(
    tight: float, loose: float
) -> None:
    loose = tight * loose
    price_t, volume_t, value_t = _exporter_series(
        solve_scenario(variant(change={"id": "seafood-ban", "coverage": tight}))
    )
    price_l, volume_l, value_l = _exporter_series(
        solve_scenario(variant(change={"id": "seafood-ban", "coverage": loose}))
    )
    assert np.all(price_l >= price_t * (1 - SLACK))
    assert np.all(volume_l >= volume_t * (1 - SLACK))
    assert np.all(value_l >= value_t * (1 - SLACK))


BANNED = ("seafood", "scallops")


def _exporter_welfare(path: PathSolution, part: str) -> np.ndarray:
    """Japan's welfare part in each banned sector per quarter, shape (period, sector)."""
    return welfare_arrays(path)[part][:, [sector(n) for n in BANNED], index("JPN")]


@LAW
@given(early=st.integers(min_value=0, max_value=700), later=st.integers(min_value=1, max_value=500))
def test_an_earlier_end_of_a_ban_never_lowers_the_exporters_exports_or_welfare(
    early: int, later: int
) -> None:
    """Export quantities are never lower, in any quarter. Until the later end the earlier
    end is more open market at every date, so the producer price, each banned sector's
    producer surplus and the exporter's welfare in the banned sectors are never lower in a
    quarter that ends by then. After it the later lift meets a supply that shrank for
    longer and buyers still adjusting to its price rise, so its price and the exporter's
    welfare can overshoot the earlier lift's for a few quarters (docs/model.md); that is a
    terms-of-trade gain on fewer exports, not a measurement artefact, so it is not a law
    quarter by quarter. Over the horizon the earlier end still wins with this calibration
    (the overshoot recovers about half of the extra ban's cost, see the next test).
    """
    first = dt.date(2023, 9, 1) + dt.timedelta(days=early)
    second = first + dt.timedelta(days=later)
    sooner = solve_scenario(variant(change={"id": "seafood-ban", "end": first}))
    later_path = solve_scenario(variant(change={"id": "seafood-ban", "end": second}))
    price_s, volume_s, _ = _exporter_series(sooner)
    price_l, volume_l, _ = _exporter_series(later_path)
    assert np.all(volume_s >= volume_l * (1 - SLACK))
    before = np.array([p.quarter.end_day <= second for p in sooner.scenario])
    assert np.all(price_s[before] >= price_l[before] * (1 - SLACK))
    for part in ("producer_surplus", "total"):
        gain = _exporter_welfare(sooner, part) - _exporter_welfare(later_path, part)
        if part == "total":
            gain = gain.sum(axis=1, keepdims=True)
        assert np.all(gain[before] >= -1e-9), part
    s, jpn = sector("seafood"), index("JPN")
    surplus = [welfare_arrays(p)["producer_surplus"][:, s, jpn].sum() for p in (sooner, later_path)]
    assert surplus[0] >= surplus[1] - 1e-9
    assert welfare_by_region(sooner)[jpn] >= welfare_by_region(later_path)[jpn] - 1e-9


def test_after_a_later_lift_the_price_overshoots_while_supply_recovers() -> None:
    """The reason the quarterly laws above stop at the later end: capacity takes time to
    return, and while it does the exporter sells less at a higher price and gains."""
    sooner = solve_scenario(variant(change={"id": "seafood-ban", "end": dt.date(2024, 7, 1)}))
    later_path = solve_scenario(variant(change={"id": "seafood-ban", "end": dt.date(2025, 7, 1)}))
    price_s, volume_s, _ = _exporter_series(sooner)
    price_l, volume_l, _ = _exporter_series(later_path)
    quarter = [str(p.quarter) for p in sooner.scenario].index("2025Q3")
    assert price_l[quarter] > price_s[quarter]
    assert volume_l[quarter] < volume_s[quarter]
    welfare_s = _exporter_welfare(sooner, "total").sum(axis=1)
    welfare_l = _exporter_welfare(later_path, "total").sum(axis=1)
    assert welfare_l[quarter] > welfare_s[quarter]
    after = slice(quarter, None)
    before = slice(None, quarter)
    # the overshoot gives back part of what the extra year of ban cost, not all of it
    assert 0 < (welfare_l - welfare_s)[after].sum() < (welfare_s - welfare_l)[before].sum()
    assert abs(price_l[-1] - price_s[-1]) < 1e-3  # and the gap closes


def _horizon_summary(scenario: Scenario) -> dict[tuple[str, ...], float]:
    table = run_scenario(scenario).tables["summary.csv"]
    return {tuple(map(str, row[:4])): float(row[5]) for row in table.rows}


@LAW
@given(
    which=st.sampled_from(["seafood-ban", "chip-tool-controls", "gallium-germanium-halt"]),
    shift=st.sampled_from([-1, 1]),
)
def test_a_one_day_shift_of_a_start_moves_horizon_totals_by_less_than_two_percent(
    which: str, shift: int
) -> None:
    policy = next(p for p in baseline().policies if p.id == which)
    moved = _horizon_summary(
        variant(change={"id": which, "start": policy.start + dt.timedelta(days=shift)})
    )
    original = _horizon_summary(baseline())
    for key, value in original.items():
        if key[0] in ("exports", "imports", "welfare"):
            assert abs(moved[key] - value) <= 0.02 * abs(value) + 1e-6, key


def test_results_against_a_parent_are_the_difference_of_two_runs_against_no_policy() -> None:
    lifted = load_scenario(SCENARIOS / "seafood-ban-lifted.yaml")
    against_parent = run_scenario(lifted)
    child = run_scenario(lifted.against_run(None))
    parent = run_scenario(load_scenario(SCENARIOS / "baseline.yaml").against_run(None))
    for name, keys in (("flows.csv", 4), ("welfare.csv", 3), ("summary.csv", 4)):
        table = against_parent.tables[name]
        differences = [
            k for k, c in enumerate(table.columns) if c == "change" or name == "welfare.csv"
        ][keys if name == "welfare.csv" else 0 :]
        values = [k for k, c in enumerate(table.columns) if c == "value"]
        for row, a, b in zip(
            table.rows, child.tables[name].rows, parent.tables[name].rows, strict=True
        ):
            assert row[:keys] == a[:keys] == b[:keys]
            for k in differences:  # against the parent = child's change - parent's change
                expected = float(a[k]) - float(b[k])
                assert float(row[k]) == pytest.approx(expected, rel=1e-9, abs=1e-9), (name, row)
            for k in values:
                if str(row[0]).startswith("welfare"):  # a welfare value is itself a change
                    assert float(row[k]) == pytest.approx(float(a[k]) - float(b[k]), abs=1e-9)
                else:  # the scenario's own values do not depend on the comparison
                    assert row[k] == a[k]


def test_draw_bands_are_bands_of_the_difference() -> None:
    from sim.run import MonteCarloOptions

    result = run_scenario(
        SCENARIOS / "seafood-ban-lifted.yaml", MonteCarloOptions(draws=20, seed=3)
    )
    table = result.tables["summary.csv"]
    rows = {tuple(map(str, r[:4])): dict(zip(table.columns, r, strict=True)) for r in table.rows}
    for key in [("exports", "seafood", "JPN", "CHN"), ("welfare", "all", "JPN", "")]:
        row = rows[key]
        assert float(row["change_p05"]) <= float(row["change"]) <= float(row["change_p95"])
        assert float(row["change_p95"]) - float(row["change_p05"]) > 0.0
    # Common draws: before the lift the scenario and its comparison are one path in every
    # draw, so the quarters before July 2024 have no spread at all.
    indicators = result.tables["indicators.csv"]
    cols = indicators.columns
    for r in indicators.rows:
        record = dict(zip(cols, r, strict=True))
        if str(record["period"]) < "2024Q3" and record["change_p05"] not in ("", None):
            assert float(record["change_p05"]) == float(record["change_p95"]) == 0.0, record
