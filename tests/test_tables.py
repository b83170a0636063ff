"""sim.tables: the result tables against sums written out by hand over the solved path."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.csvtext import Labels
from sim.run import RunResult, run_scenario
from sim.tables import (
    FLOW_COLUMNS,
    QUARTERS_PER_YEAR,
    Table,
    _grid_labels,
    _pct_change,
    _stack,
    headline_rows,
    select_rows,
)
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def lifted() -> RunResult:
    # measured against baseline, a run with policies of its own: baseline_* is not trivial
    return run_scenario(SCENARIOS / "seafood-ban-lifted.yaml")


def records(table: Table) -> list[dict[str, object]]:
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


def test_percent_change_by_hand() -> None:
    value = np.array([110.0, 90.0, 5.0, -30.0, math.nan])
    base = np.array([100.0, 100.0, 0.0, -20.0, 1.0])
    change, pct = _pct_change(value, base)
    np.testing.assert_array_equal(change[:4], [10.0, -10.0, 5.0, -10.0])
    # -30 against -20: 10 further below zero is -50 %, by the absolute reference
    np.testing.assert_array_equal(pct[[0, 1, 3]], [10.0, -10.0, -50.0])
    assert math.isnan(pct[2]) and math.isnan(pct[4])


def test_grid_keys_follow_sorted_labels_whatever_the_dataset_order() -> None:
    period, region = _grid_labels([["2023Q2", "2023Q1"], ["JPN", "CHN", "ASE"]])
    assert list(zip(period.values(), region.values(), strict=True)) == [
        ("2023Q1", "ASE"),
        ("2023Q1", "CHN"),
        ("2023Q1", "JPN"),
        ("2023Q2", "ASE"),
        ("2023Q2", "CHN"),
        ("2023Q2", "JPN"),
    ]


def test_stacking_blocks_merges_their_labels() -> None:
    a = [Labels(np.array([0, 1]), ("b", "c")), np.array([1.0, 2.0])]
    b = [Labels(np.array([0]), ("a",)), np.array([3.0])]
    labels, values = _stack([a, b])
    assert isinstance(labels, Labels)
    assert labels.values() == ["b", "c", "a"] and labels.labels == ("a", "b", "c")
    np.testing.assert_array_equal(values, [1.0, 2.0, 3.0])


def test_rows_and_columns_are_two_views_of_one_table() -> None:
    rows = [("a", 1.0), ("b", math.nan)]
    by_rows = Table(("key", "value"), rows)
    by_columns = Table(("key", "value"), data=by_rows.data)
    assert by_columns == by_rows
    assert by_columns.rows[0] == ("a", 1.0) and math.isnan(by_columns.rows[1][1])
    with pytest.raises(ValueError):
        Table(("key",), rows, data=by_rows.data)


def test_headline_rows_keep_the_largest_moves_of_each_sector() -> None:
    columns = ("indicator", "sector", "region", "partner", "unit", "value", "baseline_value")
    columns += ("change", "change_pct")
    rows = [
        ("exports", "fish", "JPN", "CHN", "u", 0.0, 0.0, 5.0, 1.0),
        ("exports", "fish", "JPN", "USA", "u", 0.0, 0.0, -9.0, 1.0),
        ("exports", "fish", "CHN", "JPN", "u", 0.0, 0.0, 1e-9, 1.0),  # not a move
        ("exports", "chips", "JPN", "CHN", "u", 0.0, 0.0, 2.0, 1.0),
        ("welfare", "all", "JPN", "", "u", 0.0, 0.0, 99.0, 1.0),
    ]
    chosen = headline_rows(Table(columns, rows), per_sector=1)
    assert [(r["sector"], r["partner"], r["change"]) for r in chosen] == [
        ("fish", "USA", -9.0),
        ("chips", "CHN", 2.0),
    ]
    two = headline_rows(Table(columns, rows), per_sector=2)
    assert [r["change"] for r in two] == [-9.0, 5.0, 2.0]


def test_headline_rows_follow_the_rule_row_by_row_on_a_large_random_summary() -> None:
    # the rule read plainly: sectors in the order of their first export row; in each, the
    # rows whose change exceeds 1e-6 in size, largest first, ties by region then partner
    rng = np.random.default_rng(7)
    n = 3000
    columns = ("indicator", "sector", "region", "partner", "unit", "value", "baseline_value")
    columns += ("change", "change_pct")
    sectors = [f"s{k}" for k in rng.integers(0, 9, n)]
    regions = [f"R{k}" for k in rng.integers(0, 6, n)]
    partners = [f"P{k}" for k in rng.integers(0, 6, n)]
    changes = rng.choice([0.0, 1e-9, 1.0, -1.0, 2.5, -3.0, 7.0], n)  # many ties
    kinds = rng.choice(["exports", "welfare"], n, p=[0.9, 0.1])
    rows = [
        (kinds[k], sectors[k], regions[k], partners[k], "u", 0.0, 0.0, changes[k], 1.0)
        for k in range(n)
    ]
    table = Table(columns, rows)
    for per_sector in (1, 3, 50):
        order: list[str] = []
        for row in rows:
            if row[0] == "exports" and row[1] not in order:
                order.append(row[1])
        expected = []
        for sector in order:
            moved = [
                k
                for k, row in enumerate(rows)
                if row[0] == "exports" and row[1] == sector and abs(row[7]) > 1e-6
            ]
            moved.sort(key=lambda k: (-abs(rows[k][7]), rows[k][2], rows[k][3], k))
            expected += [rows[k] for k in moved[:per_sector]]
        chosen = headline_rows(table, per_sector=per_sector)
        assert [tuple(r.values()) for r in chosen] == expected


def test_flows_are_quarters_of_the_annual_values_of_both_runs(lifted: RunResult) -> None:
    dataset, path = lifted.scenario.dataset, lifted.path
    table = lifted.tables["flows.csv"]
    assert table.columns == FLOW_COLUMNS
    expected = {}
    for t, quarter in enumerate(path.quarters):
        scn, ref = path.scenario[t], path.reference[t]
        for s, sector in enumerate(dataset.sectors):
            for i, exporter in enumerate(dataset.regions):
                for j, importer in enumerate(dataset.regions):
                    v = scn.value[s, i, j] / QUARTERS_PER_YEAR
                    b = ref.value[s, i, j] / QUARTERS_PER_YEAR
                    expected[(str(quarter), sector, exporter, importer)] = (
                        v,
                        b,
                        scn.volume[s, i, j] / QUARTERS_PER_YEAR,
                        ref.volume[s, i, j] / QUARTERS_PER_YEAR,
                    )
    got = records(table)
    assert [tuple(r[c] for c in FLOW_COLUMNS[:4]) for r in got] == sorted(expected)
    for row in got:
        v, b, volume, base_volume = expected[tuple(row[c] for c in FLOW_COLUMNS[:4])]
        assert (row["value"], row["baseline_value"]) == (v, b)
        assert (row["volume"], row["baseline_volume"]) == (volume, base_volume)
        assert row["change"] == v - b
        if b != 0:
            assert row["change_pct"] == pytest.approx(100 * (v - b) / abs(b), rel=1e-15)


def test_baseline_columns_are_the_comparison_runs_values(lifted: RunResult) -> None:
    """seafood-ban-lifted is measured against baseline: its baseline_* are baseline's own."""
    parent = run_scenario(SCENARIOS / "baseline.yaml")
    for name, pairs in {
        "flows.csv": [("baseline_value", "value"), ("baseline_volume", "volume")],
        "prices.csv": [
            ("baseline_producer_price", "producer_price"),
            ("baseline_consumer_price", "consumer_price"),
            ("baseline_output_value", "output_value"),
        ],
    }.items():
        child, own = lifted.tables[name], parent.tables[name]
        assert [r[:3] for r in child.rows] == [r[:3] for r in own.rows]
        for ours, theirs in pairs:
            a = np.asarray(child.data[child.columns.index(ours)])
            b = np.asarray(own.data[own.columns.index(theirs)])
            # both solved to the solver's tolerance (1e-10 in log prices), separately
            np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def test_summary_exports_are_the_flows_summed_over_the_horizon(lifted: RunResult) -> None:
    flows = records(lifted.tables["flows.csv"])
    totals: dict[tuple[str, str, str], list[float]] = {}
    for row in flows:
        if row["exporter"] != row["importer"]:
            key = (str(row["sector"]), str(row["exporter"]), str(row["importer"]))
            sums = totals.setdefault(key, [0.0, 0.0])
            sums[0] += float(row["value"])  # type: ignore[arg-type]
            sums[1] += float(row["baseline_value"])  # type: ignore[arg-type]
    exports = select_rows(lifted.tables["summary.csv"], "indicator", ("exports",))
    assert len(exports) == len(totals)
    for row in exports:
        value, base = totals[(row["sector"], row["region"], row["partner"])]
        assert row["value"] == pytest.approx(value, rel=1e-12)
        assert row["baseline_value"] == pytest.approx(base, rel=1e-12)
        assert row["change"] == pytest.approx(value - base, rel=1e-9, abs=1e-9)


def test_indicator_exports_and_welfare_all_are_sums_of_their_parts(lifted: RunResult) -> None:
    flows = records(lifted.tables["flows.csv"])
    exports: dict[tuple[str, str, str], float] = {}
    for row in flows:
        if row["exporter"] != row["importer"]:
            for sector in (row["sector"], "all"):
                key = (str(row["period"]), str(row["exporter"]), str(sector))
                exports[key] = exports.get(key, 0.0) + float(row["value"])  # type: ignore[arg-type]
    rows = select_rows(lifted.tables["indicators.csv"], "indicator", ("exports",))
    assert len(rows) == len(exports)
    for row in rows:
        assert row["value"] == pytest.approx(
            exports[(row["period"], row["region"], row["sector"])], rel=1e-12
        )
    welfare = records(lifted.tables["welfare.csv"])
    by_region: dict[tuple[str, str], float] = {}
    for row in welfare:
        if row["sector"] != "all":
            key = (str(row["period"]), str(row["region"]))
            by_region[key] = by_region.get(key, 0.0) + float(row["total"])  # type: ignore[arg-type]
    alls = [r for r in welfare if r["sector"] == "all"]
    assert len(alls) == len(by_region)
    for row in alls:
        assert row["total"] == pytest.approx(
            by_region[(str(row["period"]), str(row["region"]))], rel=1e-12, abs=1e-12
        )
