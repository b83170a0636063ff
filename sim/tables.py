"""Solved paths -> tidy result tables (key columns first, one observation per row).

Column names are defined once here and used by the writer, the documentation tests and
the comparison of result folders. Values are per quarter in the dataset's unit (a
quarter's flow is a quarter of the annual rate; the baseline has no seasonality). Every
``baseline_*`` column is the same quantity on the no-policy path in the same period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.dataset import Dataset
from sim.indicators import satellite_figures, trade_values
from sim.model import FloatArray
from sim.timepath import PathSolution, PeriodSolution
from sim.uncertainty import BAND_COLUMNS, bands
from sim.welfare import WELFARE_PARTS, welfare

FLOW_COLUMNS = (
    "period",
    "sector",
    "exporter",
    "importer",
    "value",
    "baseline_value",
    "change",
    "change_pct",
    "volume",
    "baseline_volume",
)
PRICE_COLUMNS = (
    "period",
    "sector",
    "region",
    "producer_price",
    "baseline_producer_price",
    "consumer_price",
    "baseline_consumer_price",
    "output_value",
    "baseline_output_value",
)
WELFARE_COLUMNS = ("period", "region", "sector", *WELFARE_PARTS, "total", "total_pct_gdp")
INDICATOR_COLUMNS = (
    "period",
    "region",
    "sector",
    "indicator",
    "unit",
    "value",
    "baseline_value",
    "change",
    "change_pct",
)
SUMMARY_COLUMNS = (
    "indicator",
    "sector",
    "region",
    "partner",
    "unit",
    "value",
    "baseline_value",
    "change",
    "change_pct",
)
ALL = "all"
QUARTERS_PER_YEAR = 4.0

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """A result table: its columns and rows."""

    columns: tuple[str, ...]
    rows: list[Row]


def _change(value: float, base: float) -> tuple[float, float]:
    change = value - base
    pct = 100.0 * change / base if base != 0 else math.nan
    return change, pct


def _values(period: PeriodSolution) -> FloatArray:
    """Annual bilateral values at producer prices."""
    return period.value


def flows_table(dataset: Dataset, path: PathSolution) -> Table:
    """Bilateral flows per quarter, with the no-policy path's value beside each."""
    rows: list[Row] = []
    for scn, ref in zip(path.scenario, path.reference, strict=True):
        value = _values(scn) / QUARTERS_PER_YEAR
        base = _values(ref) / QUARTERS_PER_YEAR
        volume = scn.volume / QUARTERS_PER_YEAR
        base_volume = ref.volume / QUARTERS_PER_YEAR
        for s, sector in enumerate(dataset.sectors):
            for i, exporter in enumerate(dataset.regions):
                for j, importer in enumerate(dataset.regions):
                    v, b = float(value[s, i, j]), float(base[s, i, j])
                    rows.append(
                        (
                            str(scn.quarter),
                            sector,
                            exporter,
                            importer,
                            v,
                            b,
                            *_change(v, b),
                            float(volume[s, i, j]),
                            float(base_volume[s, i, j]),
                        )
                    )
    return Table(FLOW_COLUMNS, sorted(rows, key=lambda r: r[:4]))


def prices_table(dataset: Dataset, path: PathSolution) -> Table:
    """Producer and consumer price indices (2022 = 1) and output values per quarter."""
    rows: list[Row] = []
    for scn, ref in zip(path.scenario, path.reference, strict=True):
        output = _values(scn).sum(axis=2) / QUARTERS_PER_YEAR
        base_output = _values(ref).sum(axis=2) / QUARTERS_PER_YEAR
        for s, sector in enumerate(dataset.sectors):
            for r, region in enumerate(dataset.regions):
                rows.append(
                    (
                        str(scn.quarter),
                        sector,
                        region,
                        float(scn.producer_price[s, r]),
                        float(ref.producer_price[s, r]),
                        float(scn.price_index[s, r]),
                        float(ref.price_index[s, r]),
                        float(output[s, r]),
                        float(base_output[s, r]),
                    )
                )
    return Table(PRICE_COLUMNS, sorted(rows, key=lambda r: r[:3]))


def welfare_arrays(path: PathSolution) -> dict[str, FloatArray]:
    """Welfare parts, scenario minus no-policy path, per quarter: shape (period, sector, region)."""
    out: dict[str, list[FloatArray]] = {}
    for scn, ref in zip(path.scenario, path.reference, strict=True):
        a, b = _period_welfare(path, scn), _period_welfare(path, ref)
        for key in a:
            out.setdefault(key, []).append((a[key] - b[key]) / QUARTERS_PER_YEAR)
    return {key: np.array(values) for key, values in out.items()}


def _period_welfare(path: PathSolution, period: PeriodSolution) -> dict[str, FloatArray]:
    """Day-weighted welfare of a quarter's parts (annual rates)."""
    parts = [
        (seg.weight, welfare(path.baseline, seg.policy, period.elasticities, seg.equilibrium))
        for seg in period.segments
    ]
    return {key: sum(w * p[key] for w, p in parts) for key in parts[0][1]}  # type: ignore[misc]


def welfare_table(dataset: Dataset, path: PathSolution) -> Table:
    """Welfare change against the no-policy path, per quarter, region and sector (and all)."""
    parts = welfare_arrays(path)
    quarterly_gdp = dataset.gdp / QUARTERS_PER_YEAR
    rows: list[Row] = []
    for t, quarter in enumerate(path.quarters):
        for r, region in enumerate(dataset.regions):
            for s, sector in [*enumerate(dataset.sectors), (None, ALL)]:
                values = [
                    float(parts[k][t, :, r].sum() if s is None else parts[k][t, s, r])
                    for k in (*WELFARE_PARTS, "total")
                ]
                rows.append(
                    (str(quarter), region, sector, *values, 100.0 * values[-1] / quarterly_gdp[r])
                )
    return Table(WELFARE_COLUMNS, sorted(rows, key=lambda r: r[:3]))


def _trade(path: PathSolution, which: str) -> dict[str, FloatArray]:
    periods = path.scenario if which == "scenario" else path.reference
    return trade_values(np.array([_values(p) for p in periods]) / QUARTERS_PER_YEAR)


def indicators_table(dataset: Dataset, path: PathSolution) -> Table:
    """Trade aggregates, shares of GDP and satellite figures per quarter."""
    keys, values = indicator_frame(dataset, path, satellite_rows(dataset, path))
    order = sort_order(keys)
    return Table(INDICATOR_COLUMNS, [(*keys[k], *map(float, values[k])) for k in order])


def sort_order(keys: list[Row]) -> list[int]:
    """Positions of rows in the order of their first four key columns."""
    return sorted(range(len(keys)), key=lambda k: keys[k][:4])


def _with_all(values: FloatArray) -> FloatArray:
    """Append the sum over sectors as one more sector, shape (period, sector + 1, region)."""
    return np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)


def _pct(change: FloatArray, base: FloatArray) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base != 0, 100.0 * change / np.where(base != 0, base, 1.0), math.nan)


def indicator_frame(
    dataset: Dataset, path: PathSolution, satellites: list[Row], *, with_keys: bool = True
) -> tuple[list[Row], FloatArray]:
    """The rows of ``indicators.csv`` before sorting: key columns and value columns.

    ``satellites`` are the satellite rows (:func:`satellite_rows`). Without ``with_keys``
    the key list is left empty (the keys of a dataset's path never change).

    Returns
    -------
    keys : list of tuple
        ``(period, region, sector, indicator, unit)`` per row.
    values : ndarray, shape (row, 4)
        ``value``, ``baseline_value``, ``change`` and ``change_pct`` per row.
    """
    scn, ref = _trade(path, "scenario"), _trade(path, "reference")
    quarterly_gdp = dataset.gdp / QUARTERS_PER_YEAR
    unit = f"{dataset.unit} per quarter"
    periods = [str(q) for q in path.quarters]
    sectors = [*dataset.sectors, ALL]
    keys: list[Row] = []
    blocks: list[FloatArray] = []
    for name in ("exports", "imports", "net_exports", "output"):
        v, b = _with_all(scn[name]), _with_all(ref[name])
        series = [(name, unit, v, b, v - b, _pct(v - b, b))]
        if name in ("exports", "net_exports"):
            v, b = 100.0 * v / quarterly_gdp, 100.0 * b / quarterly_gdp
            series.append((f"{name}_pct_gdp", "% of GDP", v, b, v - b, np.full(v.shape, math.nan)))
        for indicator, unit_name, *columns in series:
            # (period, sector, region) arrays -> rows in period, region, sector order
            blocks.append(np.stack([c.transpose(0, 2, 1).reshape(-1) for c in columns], axis=1))
            if not with_keys:
                continue
            keys.extend(
                (period, region, sector, indicator, unit_name)
                for period in periods
                for region in dataset.regions
                for sector in sectors
            )
    if with_keys:
        keys.extend(row[:5] for row in satellites)
    blocks.append(np.array([row[5:] for row in satellites], dtype=float).reshape(-1, 4))
    return keys, np.concatenate(blocks)


def satellite_rows(dataset: Dataset, path: PathSolution) -> list[Row]:
    """Rows of ``indicators.csv`` for the dataset's sub-national satellites."""
    unit = f"{dataset.unit} per quarter"
    rows: list[Row] = []
    index = {code: k for k, code in enumerate(dataset.regions)}
    for satellite in dataset.satellites:
        s, r = dataset.sector_index(satellite.sector), index[satellite.region]
        figures = []
        for periods in (path.scenario, path.reference):
            values = np.array([_values(p)[s, r] for p in periods])
            eta = np.array([p.elasticities.eta[s, r] for p in periods])
            figures.append(satellite_figures(satellite, r, index, dataset.flows[s, r], values, eta))
        scn, ref = figures
        label = f"{satellite.region}.{satellite.name}"
        series = [
            ("sales", unit, scn.sales / QUARTERS_PER_YEAR, ref.sales / QUARTERS_PER_YEAR),
            ("producer_price", "index, baseline year = 1", scn.producer_price, ref.producer_price),
            ("volume", "index, baseline year = 1", scn.volume, ref.volume),
        ]
        for code in satellite.export_shares:
            series.append(
                (
                    f"exports_to_{code}",
                    unit,
                    scn.exports[code] / QUARTERS_PER_YEAR,
                    ref.exports[code] / QUARTERS_PER_YEAR,
                )
            )
        for name, unit_name, values, base in series:
            for t, quarter in enumerate(path.quarters):
                v, b = float(values[t]), float(base[t])
                rows.append(
                    (str(quarter), label, satellite.sector, name, unit_name, v, b, *_change(v, b))
                )
    return rows


def summary_table(dataset: Dataset, path: PathSolution, indicators: Table) -> Table:
    """Headline figures over the whole horizon.

    Flows and welfare are summed over the quarters; prices are those of the last quarter.
    """
    labels = {f"{sat.region}.{sat.name}" for sat in dataset.satellites}
    satellites = [row for row in indicators.rows if row[1] in labels]
    keys, values = summary_frame(dataset, path, satellites)
    return Table(SUMMARY_COLUMNS, [(*keys[k], *map(float, values[k])) for k in sort_order(keys)])


def summary_frame(
    dataset: Dataset,
    path: PathSolution,
    satellites: list[Row],
    welfare_total: FloatArray | None = None,
) -> tuple[list[Row], FloatArray]:
    """The rows of ``summary.csv`` before sorting: key columns and value columns.

    Parameters
    ----------
    dataset : Dataset
    path : PathSolution
    satellites : list of tuple
        The satellite rows of ``indicators.csv``.
    welfare_total : ndarray, shape (period, sector, region), optional
        Total welfare change per quarter (:func:`welfare_arrays`), if already known.

    Returns
    -------
    keys : list of tuple
        ``(indicator, sector, region, partner, unit)`` per row.
    values : ndarray, shape (row, 4)
        ``value``, ``baseline_value``, ``change`` and ``change_pct`` per row.
    """
    unit = f"{dataset.unit}, {path.quarters[0]}-{path.quarters[-1]}"
    index = "index, baseline year = 1"
    keys: list[Row] = []
    blocks: list[FloatArray] = []
    value = np.array([_values(p) for p in path.scenario]).sum(axis=0) / QUARTERS_PER_YEAR
    base = np.array([_values(p) for p in path.reference]).sum(axis=0) / QUARTERS_PER_YEAR
    cross = ~np.eye(len(dataset.regions), dtype=bool)
    v, b = value[:, cross], base[:, cross]
    blocks.append(np.stack([v, b, v - b, _pct(v - b, b)], axis=-1).reshape(-1, 4))
    keys.extend(
        ("exports", sector, exporter, importer, unit)
        for sector in dataset.sectors
        for exporter in dataset.regions
        for importer in dataset.regions
        if exporter != importer
    )
    v = path.scenario[-1].producer_price.reshape(-1)
    b = path.reference[-1].producer_price.reshape(-1)
    blocks.append(np.stack([v, b, v - b, _pct(v - b, b)], axis=-1))
    keys.extend(
        ("producer_price_last_quarter", sector, region, "", index)
        for sector in dataset.sectors
        for region in dataset.regions
    )
    if welfare_total is None:
        welfare_total = welfare_arrays(path)["total"]
    w = welfare_total.sum(axis=(0, 1))
    share = 100.0 * w / (dataset.gdp * len(path.quarters) / QUARTERS_PER_YEAR)
    zeros, missing = np.zeros_like(w), np.full_like(w, math.nan)
    blocks.append(np.stack([w, zeros, w, missing, share, zeros, share, missing], axis=-1))
    blocks[-1] = blocks[-1].reshape(-1, 4)
    for region in dataset.regions:
        keys.append(("welfare", ALL, region, "", unit))
        keys.append(("welfare_pct_gdp", ALL, region, "", "% of GDP over the horizon"))
    for satellite in dataset.satellites:
        label = f"{satellite.region}.{satellite.name}"
        sales = [row for row in satellites if row[1] == label and row[3] == "sales"]
        v_sum, b_sum = sum(float(row[5]) for row in sales), sum(float(row[6]) for row in sales)
        keys.append(("satellite_sales", satellite.sector, label, "", unit))
        blocks.append(np.array([[v_sum, b_sum, *_change(v_sum, b_sum)]]))
        prices = [row for row in satellites if row[1] == label and row[3] == "producer_price"]
        last = max(prices, key=lambda row: str(row[0]))
        keys.append(("satellite_producer_price_last_quarter", satellite.sector, label, "", index))
        blocks.append(np.array([last[5:]], dtype=float))
    return keys, np.concatenate(blocks)


def headline_rows(summary: Table, per_sector: int = 3) -> list[dict[str, Any]]:
    """The summary's largest export changes in each sector, for printing.

    Parameters
    ----------
    summary : Table
        From :func:`summary_table`.
    per_sector : int
        How many flows to keep per sector, by absolute change.
    """
    records = [dict(zip(summary.columns, row, strict=True)) for row in summary.rows]
    moved = [r for r in records if r["indicator"] == "exports" and abs(float(r["change"])) > 1e-6]
    moved.sort(key=lambda r: (-abs(float(r["change"])), str(r["region"]), str(r["partner"])))
    kept: list[dict[str, Any]] = []
    for sector in dict.fromkeys(str(r["sector"]) for r in records if r["indicator"] == "exports"):
        kept.extend([r for r in moved if r["sector"] == sector][:per_sector])
    return kept


def with_bands(table: Table, samples: FloatArray) -> Table:
    """A table with the mean and percentiles over draws of each row's ``change``.

    Parameters
    ----------
    table : Table
        The central table (``summary`` or ``indicators``).
    samples : ndarray, shape (draw, row)
        Each row's ``change`` in each draw, rows in the table's order.
    """
    spread = bands(samples)
    rows = [(*row, *spread.row(k)) for k, row in enumerate(table.rows)]
    return Table((*table.columns, *BAND_COLUMNS), rows)


def draws_tables(
    summary: Table, keys: tuple[str, ...], values: FloatArray, samples: FloatArray
) -> dict[str, Table]:
    """Per-draw output: the summary's ``change`` in every draw, and the drawn parameters.

    Parameters
    ----------
    summary : Table
        The central summary table (its key columns label the rows of ``samples``).
    keys : tuple of str
        Parameter keys, the columns of ``values``.
    values : ndarray, shape (draw, parameter)
    samples : ndarray, shape (draw, row)
    """
    n_keys = SUMMARY_COLUMNS.index("unit")
    labels = [row[:n_keys] for row in summary.rows]
    changes = [
        (d, *label, float(samples[d, k]))
        for d in range(samples.shape[0])
        for k, label in enumerate(labels)
    ]
    parameters = [
        (d, key, float(values[d, p])) for d in range(values.shape[0]) for p, key in enumerate(keys)
    ]
    return {
        "draws.csv": Table(("draw", *SUMMARY_COLUMNS[:n_keys], "change"), changes),
        "draw_parameters.csv": Table(("draw", "parameter", "value"), parameters),
    }
