"""Solved paths -> tidy result tables (key columns first, one observation per row).

Column names are declared once, in :mod:`sim.resultschema`, which the writer, the reader,
the comparison of result folders and the documentation share. Values are per quarter in
the dataset's unit (a quarter's flow is a quarter of the annual rate; the baseline has no
seasonality). Every ``baseline_*`` column is the same quantity in the same period of the
comparison run: the scenario it extends, or the no-policy path (:mod:`sim.timepath`).
Percent changes follow :mod:`sim.percent`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import NDArray

from sim.csvtext import Column, Labels, as_column
from sim.datatypes import Dataset
from sim.indicators import producer_sales, satellite_figures, trade_values
from sim.model import Baseline, FloatArray
from sim.percent import percent_change, percent_change_of
from sim.period_welfare import RestingWelfare, period_welfare
from sim.resultschema import RESULT_FILES as RESULT_FILES
from sim.resultschema import names
from sim.timepath import PathSolution, PeriodSolution
from sim.uncertainty import BAND_COLUMNS, bands
from sim.welfare import WELFARE_PARTS

FLOW_COLUMNS = names("flows.csv")
PRICE_COLUMNS = names("prices.csv")
WELFARE_COLUMNS = names("welfare.csv")
INDICATOR_COLUMNS = names("indicators.csv")
SUMMARY_COLUMNS = names("summary.csv")
ALL = "all"
QUARTERS_PER_YEAR = 4.0

Row = tuple[Any, ...]


class Table:
    """A result table: its columns and its cells, as rows or column by column.

    Small tables are built as rows of Python values; large ones (flows) as columns of
    numpy arrays and :class:`~sim.csvtext.Labels`. Either view is available from either:
    :attr:`rows` materialises tuples on first use, :attr:`data` builds columns.

    Parameters
    ----------
    columns : tuple of str
    rows : list of tuple, optional
    data : sequence of Column, optional
        One column per name, all of the same length (instead of ``rows``).
    """

    def __init__(
        self,
        columns: tuple[str, ...],
        rows: list[Row] | None = None,
        *,
        data: Sequence[Column] | None = None,
    ) -> None:
        self.columns = tuple(columns)
        if (rows is None) == (data is None):
            raise ValueError("give a table either rows or data")
        self._rows = rows
        self._data = None if data is None else list(data)
        if self._data is not None and len(self._data) != len(self.columns):
            raise ValueError("one data column per column name")

    @property
    def rows(self) -> list[Row]:
        """The rows as tuples of Python values (strings and floats)."""
        if self._rows is None:
            assert self._data is not None
            cells = [c.values() if isinstance(c, Labels) else c.tolist() for c in self._data]
            self._rows = list(zip(*cells, strict=True))
        return self._rows

    @property
    def data(self) -> list[Column]:
        """The columns: float arrays or :class:`~sim.csvtext.Labels`."""
        if self._data is None:
            assert self._rows is not None
            cells = list(zip(*self._rows, strict=True)) or [() for _ in self.columns]
            self._data = [as_column(column) for column in cells]
        return self._data

    def __len__(self) -> int:
        if self._rows is not None:
            return len(self._rows)
        assert self._data is not None
        return len(self._data[0]) if self._data else 0

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        if self.columns != other.columns or len(self) != len(other):
            return False
        for mine, theirs in zip(self.data, other.data, strict=True):
            if isinstance(mine, Labels) != isinstance(theirs, Labels):
                return False
            if isinstance(mine, Labels) and isinstance(theirs, Labels):
                if mine.values() != theirs.values():
                    return False
            elif not np.array_equal(mine, theirs, equal_nan=True):  # type: ignore[arg-type]
                return False
        return True

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Table(columns={self.columns!r}, {len(self)} rows)"


def _change(value: float, base: float) -> tuple[float, float]:
    return value - base, percent_change_of(value, base)


def _values(period: PeriodSolution) -> FloatArray:
    """Annual bilateral values at producer prices."""
    return period.value


def _order(labels: Sequence[str]) -> NDArray[np.intp]:
    """Positions of ``labels`` in sorted order (as Python sorts strings)."""
    return np.array(sorted(range(len(labels)), key=lambda k: labels[k]), dtype=np.intp)


def _in_order(values: FloatArray, orders: Sequence[NDArray[np.intp]]) -> FloatArray:
    """``values[np.ix_(*orders)]``, each axis taken in its order.

    ``values`` itself (no copy) where every order is the identity: labels listed in sorted
    order, as most datasets list them.
    """
    if all(np.array_equal(order, np.arange(len(order))) for order in orders):
        return values
    return values[np.ix_(*orders)]


def _grid_labels(axes: Sequence[Sequence[str]]) -> list[Labels]:
    """Key columns of a full grid over ``axes``, rows in sorted order of every axis."""
    codes = _grid_codes(tuple(len(axis) for axis in axes))
    return [
        Labels(flat, tuple(axis[p] for p in _order(axis)))
        for flat, axis in zip(codes, axes, strict=True)
    ]


@functools.lru_cache(maxsize=8)
def _grid_codes(shape: tuple[int, ...]) -> tuple[NDArray[np.integer[Any]], ...]:
    """Each axis's code of every row of a full grid of ``shape`` (row-major), read-only.

    Kept from call to call: each quarter's flow rows have the same grid, only the period's
    label differs (five 1.3-million-row code columns at 141 regions x 65 sectors).
    """
    columns: list[NDArray[np.integer[Any]]] = []
    for k, size in enumerate(shape):
        dtype = np.int16 if size < 2**15 else np.int32
        codes = np.arange(size, dtype=dtype).reshape(
            [size if m == k else 1 for m in range(len(shape))]
        )
        flat = cast(NDArray[np.integer[Any]], np.broadcast_to(codes, shape).ravel())
        # shared by every caller: nobody may write to it
        flat.flags.writeable = False
        columns.append(flat)
    return tuple(columns)


def _pct_change(value: FloatArray, base: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``value - base`` and its percent change (:mod:`sim.percent`)."""
    change = value - base
    return change, percent_change(value, base, change)


def flows_table(dataset: Dataset, path: PathSolution) -> Table:
    """Bilateral flows per quarter, with the comparison run's value beside each."""
    periods = [str(q) for q in path.quarters]
    keys = _grid_labels([periods, dataset.sectors, dataset.regions, dataset.regions])
    t, s, r = _order(periods), _order(dataset.sectors), _order(dataset.regions)

    def stacked(values: list[FloatArray]) -> FloatArray:
        out = np.empty((len(t), len(s), len(r), len(r)))
        for k, p in enumerate(t):
            out[k] = _in_order(values[p], (s, r, r)) / QUARTERS_PER_YEAR
        return out.ravel()

    value = stacked([_values(p) for p in path.scenario])
    base = stacked([_values(p) for p in path.reference])
    change, pct = _pct_change(value, base)
    volume = stacked([p.volume for p in path.scenario])
    base_volume = stacked([p.volume for p in path.reference])
    return Table(FLOW_COLUMNS, data=[*keys, value, base, change, pct, volume, base_volume])


def flows_block(
    dataset: Dataset, scenario: PeriodSolution, reference: PeriodSolution
) -> list[Column]:
    """The rows of ``flows.csv`` of one quarter, as columns (:func:`flows_table`'s order).

    Parameters
    ----------
    dataset : Dataset
    scenario, reference : PeriodSolution
        The quarter on the scenario's path and on its comparison run's.

    Returns
    -------
    list of Column
        The rows :func:`flows_table` gives this quarter, the same numbers.
    """
    keys = _grid_labels(
        [[str(scenario.quarter)], dataset.sectors, dataset.regions, dataset.regions]
    )
    s, r = _order(dataset.sectors), _order(dataset.regions)

    def column(values: FloatArray) -> FloatArray:
        return (_in_order(values, (s, r, r)) / QUARTERS_PER_YEAR).ravel()

    # A quarter the two runs share is one object: its columns are computed once, and the
    # comparison run's are the same arrays.
    shared = scenario is reference
    value = column(_values(scenario))
    base = value if shared else column(_values(reference))
    change, pct = _sector_changes(value.reshape(len(s), -1), base.reshape(len(s), -1))
    volume = column(scenario.volume)
    base_volume = volume if shared else column(reference.volume)
    return [*keys, value, base, change.ravel(), pct.ravel(), volume, base_volume]


def _sector_changes(value: FloatArray, base: FloatArray) -> tuple[FloatArray, FloatArray]:
    """:func:`_pct_change` of (sector, row) arrays, the same bits, skipping sectors at rest.

    Most sectors of a quarter have the same values in both runs (no policy of either run
    touches them). Where a sector's values are bitwise those of the comparison run and
    finite, its change is ``x - x = +0.0`` and its percent change ``+0.0 / |x|``: 0, or
    NaN where ``x`` is 0 (:mod:`sim.percent`). Only the other sectors are computed.
    """
    same = (value.view(np.int64) == base.view(np.int64)).all(axis=1)
    same &= np.isfinite(base).all(axis=1)
    # np.zeros, not zeros_like: fresh zero pages, none of them written here for the rows
    # at rest
    change = np.zeros(value.shape)
    pct = np.zeros(value.shape)
    # right for the sectors at rest; the others' cells are all computed below
    pct[base == 0] = np.nan
    moved = np.flatnonzero(~same)
    if len(moved):
        change[moved], pct[moved] = _pct_change(value[moved], base[moved])
    return change, pct


def quarter_figures(
    dataset: Dataset,
    baseline: Baseline,
    period: PeriodSolution,
    resting: RestingWelfare | None = None,
    trade: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What every table but ``flows.csv`` needs of one quarter of a path.

    A quarter written as it is solved (:mod:`sim.streamrun`) keeps these instead of its
    flow-sized arrays; the tables then read them (as ``period.figures``) and give the same
    numbers. The sum over the horizon of the bilateral values (``value_through``, the
    summary's exports) is added by the caller, which sees every quarter. ``resting`` keeps
    the welfare parts of sectors at rest from one quarter to the next (:func:`period_welfare`).
    ``trade``: the quarter's ``sales_by_origin`` and ``trade`` if already computed
    (:func:`sim.resting_rows.quarter_flows`); the bilateral values are then not formed.

    Returns
    -------
    dict
        ``welfare`` (:func:`period_welfare`), ``sales_by_origin`` and ``trade`` (quarterly
        values) and ``satellite_sales`` (each satellite's :func:`producer_sales`).
    """
    if trade is None:
        value = _values(period)
        trade = {
            "sales_by_origin": value.sum(axis=2) / QUARTERS_PER_YEAR,
            "trade": trade_values(value / QUARTERS_PER_YEAR, overwrite=True),
        }
    index = {code: k for k, code in enumerate(dataset.regions)}
    satellites = {}
    for sat in dataset.satellites:
        sectors = [dataset.sector_index(part.sector) for part in sat.parts]
        region = index[sat.region]
        sales = period.sector_value(sectors)[:, region]
        satellites[f"{sat.region}.{sat.name}"] = producer_sales(period, sectors, region, sales)
    return {
        "welfare": period_welfare(baseline, period, resting),
        **trade,
        "satellite_sales": satellites,
    }


def _sales_by_origin(period: PeriodSolution) -> FloatArray:
    if period.figures is not None:
        return np.asarray(period.figures["sales_by_origin"])
    return _values(period).sum(axis=2) / QUARTERS_PER_YEAR


def _quarter_trade(period: PeriodSolution) -> dict[str, FloatArray]:
    if period.figures is not None:
        return dict(period.figures["trade"])
    return trade_values(_values(period) / QUARTERS_PER_YEAR, overwrite=True)


def _satellite_sales(
    period: PeriodSolution, label: str, sectors: list[int], region: int
) -> FloatArray:
    if period.figures is not None:
        return np.asarray(period.figures["satellite_sales"][label])
    return producer_sales(period, sectors, region)


def _horizon_value(periods: Sequence[PeriodSolution]) -> FloatArray:
    """Bilateral values summed over the quarters, in quarterly units."""
    last = periods[-1].figures
    if last is not None:
        return np.asarray(last["value_through"]) / QUARTERS_PER_YEAR
    return _horizon([_values(p) for p in periods])


def prices_table(dataset: Dataset, path: PathSolution) -> Table:
    """Producer and consumer price indices (2022 = 1) and output values per quarter."""
    periods = [str(q) for q in path.quarters]
    keys = _grid_labels([periods, dataset.sectors, dataset.regions])
    grid = np.ix_(_order(periods), _order(dataset.sectors), _order(dataset.regions))

    def column(values: list[FloatArray]) -> FloatArray:
        return np.array(values)[grid].ravel()

    scenario, reference = path.scenario, path.reference
    return Table(
        PRICE_COLUMNS,
        data=[
            *keys,
            column([p.producer_price for p in scenario]),
            column([p.producer_price for p in reference]),
            column([p.price_index for p in scenario]),
            column([p.price_index for p in reference]),
            column([_sales_by_origin(p) for p in scenario]),
            column([_sales_by_origin(p) for p in reference]),
        ],
    )


def welfare_arrays(path: PathSolution) -> dict[str, FloatArray]:
    """Welfare parts, scenario minus comparison run, per quarter: (period, sector, region)."""
    out: dict[str, list[FloatArray]] = {}
    resting = RestingWelfare()
    for scn, ref in zip(path.scenario, path.reference, strict=True):
        a, b = _period_welfare(path, scn, resting), _period_welfare(path, ref, resting)
        for key in a:
            out.setdefault(key, []).append((a[key] - b[key]) / QUARTERS_PER_YEAR)
    return {key: np.array(values) for key, values in out.items()}


def _period_welfare(
    path: PathSolution, period: PeriodSolution, resting: RestingWelfare
) -> dict[str, FloatArray]:
    """Day-weighted welfare of a quarter's parts (annual rates)."""
    if period.figures is not None:
        return dict(period.figures["welfare"])
    return period_welfare(path.baseline, period, resting)


def welfare_table(dataset: Dataset, path: PathSolution) -> Table:
    """Welfare change against the comparison run, per quarter, region and sector (and all)."""
    parts = welfare_arrays(path)
    periods = [str(q) for q in path.quarters]
    sectors = [*dataset.sectors, ALL]
    keys = _grid_labels([periods, dataset.regions, sectors])
    grid = np.ix_(_order(periods), _order(dataset.regions), _order(sectors))
    columns = []
    for name in (*WELFARE_PARTS, "total"):
        by_region = np.moveaxis(parts[name], 1, 2)  # (period, region, sector)
        # the sum over sectors of one region is contiguous, as a row's own sum would be
        total = np.ascontiguousarray(by_region).sum(axis=2)
        columns.append(np.concatenate([by_region, total[:, :, None]], axis=2))
    quarterly_gdp = dataset.gdp / QUARTERS_PER_YEAR
    share = 100.0 * columns[-1] / quarterly_gdp[None, :, None]
    by_region = np.moveaxis(parts["variety_effect"], 1, 2)
    variety = np.concatenate(
        [by_region, np.ascontiguousarray(by_region).sum(axis=2)[:, :, None]], axis=2
    )
    return Table(
        WELFARE_COLUMNS,
        data=[*keys, *(c[grid].ravel() for c in [*columns, share, variety])],
    )


def _trade(path: PathSolution, which: str) -> dict[str, FloatArray]:
    periods = path.scenario if which == "scenario" else path.reference
    # quarter by quarter, so that no (period, sector, origin, destination) copy is made
    each = [_quarter_trade(p) for p in periods]
    return {name: np.array([values[name] for values in each]) for name in each[0]}


def indicators_table(dataset: Dataset, path: PathSolution) -> Table:
    """Trade aggregates, shares of GDP and satellite figures per quarter."""
    satellites = satellite_rows(dataset, path)
    series, values = _indicator_blocks(dataset, path, satellites)
    periods = [str(q) for q in path.quarters]
    sectors = [*dataset.sectors, ALL]
    # Each series is a block of rows in (period, region, sector) order: its key columns
    # are repeats and tiles of codes, never a Python tuple per row.
    n_periods, n_regions, n_sectors = len(periods), len(dataset.regions), len(sectors)
    grid = [
        np.repeat(np.arange(n_periods), n_regions * n_sectors),
        np.tile(np.repeat(np.arange(n_regions), n_sectors), n_periods),
        np.tile(np.arange(n_sectors), n_periods * n_regions),
    ]
    block = np.repeat(np.arange(len(series)), n_periods * n_regions * n_sectors)
    extra = [[row[c] for row in satellites] for c in range(5)]
    columns = [
        _key_column(periods, grid[0], len(series), extra[0]),
        _key_column(dataset.regions, grid[1], len(series), extra[1]),
        _key_column(sectors, grid[2], len(series), extra[2]),
        _key_column([name for name, _ in series], block, 1, extra[3]),
        _key_column([unit for _, unit in series], block, 1, extra[4]),
    ]
    # the rows in the order of their first four keys, ties in their order (as sorted())
    order = _key_order(columns[:4])
    key_columns = [Labels(column.codes[order], column.labels) for column in columns]
    value_columns = list(values[order].T.copy())
    return Table(INDICATOR_COLUMNS, data=[*key_columns, *value_columns])


def _key_order(columns: Sequence[Labels]) -> NDArray[np.intp]:
    """The stable order of rows by their key columns, the first one first (as ``np.lexsort``).

    The codes are ranks into sorted labels, so the rows' order is that of one integer per
    row, the codes read as digits of a number in mixed radix (each column's label count):
    one stable sort instead of one per column.
    """
    if math.prod(max(len(c.labels), 1) for c in columns) >= 2**62:
        return np.lexsort([c.codes for c in reversed(columns)])
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        key *= max(len(column.labels), 1)
        key += column.codes
    return np.argsort(key, kind="stable")


def _key_column(
    vocabulary: Sequence[str], codes: NDArray[np.integer[Any]], repeat: int, extra: list[str]
) -> Labels:
    """A key column: ``codes`` into ``vocabulary`` ``repeat`` times over, then ``extra``.

    The labels are the distinct values in sorted order, as :func:`as_column` gives them.
    """
    # the codes present, in increasing order (np.unique's, without sorting)
    used = np.flatnonzero(np.bincount(codes, minlength=len(vocabulary))) if len(codes) else ()
    present = [vocabulary[k] for k in map(int, used)]
    labels = tuple(sorted({*present, *extra}))
    at = {label: k for k, label in enumerate(labels)}
    rank = np.array([at.get(label, -1) for label in vocabulary], dtype=np.int32)
    tail = np.fromiter(map(at.__getitem__, extra), dtype=np.int32, count=len(extra))
    return Labels(np.concatenate([np.tile(rank[codes], repeat), tail]), labels)


def sort_order(keys: list[Row]) -> list[int]:
    """Positions of rows in the order of their first four key columns."""
    return sorted(range(len(keys)), key=lambda k: keys[k][:4])


def _with_all(values: FloatArray) -> FloatArray:
    """Append the sum over sectors as one more sector, shape (period, sector + 1, region)."""
    return np.concatenate([values, values.sum(axis=1, keepdims=True)], axis=1)


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
    series, values = _indicator_blocks(dataset, path, satellites)
    keys: list[Row] = []
    if with_keys:
        periods = [str(q) for q in path.quarters]
        sectors = [*dataset.sectors, ALL]
        for indicator, unit_name in series:
            keys.extend(
                (period, region, sector, indicator, unit_name)
                for period in periods
                for region in dataset.regions
                for sector in sectors
            )
        keys.extend(row[:5] for row in satellites)
    return keys, values


def _indicator_blocks(
    dataset: Dataset, path: PathSolution, satellites: list[Row]
) -> tuple[list[tuple[str, str]], FloatArray]:
    """Each series' ``(indicator, unit)``, and the values of every row of them in order.

    A series is a block of rows in (period, region, sector) order; the satellite rows
    follow the last one.
    """
    scn, ref = _trade(path, "scenario"), _trade(path, "reference")
    quarterly_gdp = dataset.gdp / QUARTERS_PER_YEAR
    unit = f"{dataset.unit} per quarter"
    names: list[tuple[str, str]] = []
    blocks: list[FloatArray] = []
    for name in ("exports", "imports", "net_exports", "output"):
        v, b = _with_all(scn[name]), _with_all(ref[name])
        series = [(name, unit, v, b, v - b, percent_change(v, b))]
        if name in ("exports", "net_exports"):
            v, b = 100.0 * v / quarterly_gdp, 100.0 * b / quarterly_gdp
            series.append((f"{name}_pct_gdp", "% of GDP", v, b, v - b, np.full(v.shape, math.nan)))
        for indicator, unit_name, *columns in series:
            # (period, sector, region) arrays -> rows in period, region, sector order
            blocks.append(np.stack([c.transpose(0, 2, 1).reshape(-1) for c in columns], axis=1))
            names.append((indicator, unit_name))
    blocks.append(np.array([row[5:] for row in satellites], dtype=float).reshape(-1, 4))
    return names, np.concatenate(blocks)


def satellite_rows(dataset: Dataset, path: PathSolution) -> list[Row]:
    """Rows of ``indicators.csv`` for the dataset's sub-national satellites."""
    unit = f"{dataset.unit} per quarter"
    rows: list[Row] = []
    index = {code: k for k, code in enumerate(dataset.regions)}
    flows, output = dataset.flows, path.baseline.output
    for satellite in dataset.satellites:
        s = [dataset.sector_index(part.sector) for part in satellite.parts]
        r = index[satellite.region]
        label = f"{satellite.region}.{satellite.name}"
        figures = []
        for periods in (path.scenario, path.reference):
            values = np.stack([_satellite_sales(p, label, s, r) for p in periods], axis=1)
            volume = np.stack([p.supply[s, r] for p in periods], axis=1) / output[s, r, None]
            figures.append(satellite_figures(satellite, r, index, flows[s, r], values, volume))
        scn, ref = figures
        series = [
            ("sales", unit, scn.sales / QUARTERS_PER_YEAR, ref.sales / QUARTERS_PER_YEAR),
            ("producer_price", "index, baseline year = 1", scn.producer_price, ref.producer_price),
            ("volume", "index, baseline year = 1", scn.volume, ref.volume),
        ]
        for code in satellite.importers:
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


def summary_table(
    dataset: Dataset, path: PathSolution, satellites: list[Row] | None = None
) -> Table:
    """Headline figures over the whole horizon.

    Flows and welfare are summed over the quarters; prices are those of the last quarter.
    ``satellites``: the satellite rows of ``indicators.csv`` (:func:`satellite_rows`, found
    when not given). The table does not wait for ``indicators.csv``: a streamed run writes
    it while that table is built.
    """
    if satellites is None:
        satellites = satellite_rows(dataset, path)
    keys, values = summary_frame(dataset, path, satellites)
    rest = Table(SUMMARY_COLUMNS, [(*keys[k], *map(float, values[k])) for k in sort_order(keys)])
    # "exports" sorts before every other indicator, so its block (as columns) comes first.
    return Table(SUMMARY_COLUMNS, data=_stack([summary_exports(dataset, path), rest.data]))


def summary_frame(
    dataset: Dataset,
    path: PathSolution,
    satellites: list[Row],
    welfare_total: FloatArray | None = None,
) -> tuple[list[Row], FloatArray]:
    """The rows of ``summary.csv`` but its exports, before sorting: keys and values.

    The ``exports`` rows, one per sector and pair, are built as columns by
    :func:`summary_exports`; they sort before all of these.

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
    v = path.scenario[-1].producer_price.reshape(-1)
    b = path.reference[-1].producer_price.reshape(-1)
    blocks.append(np.stack([v, b, v - b, percent_change(v, b)], axis=-1))
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


def summary_exports(dataset: Dataset, path: PathSolution) -> list[Column]:
    """Columns of the summary's ``exports`` rows, in sorted order.

    One row per cross-border flow, summed over the horizon: the key columns, ``unit``,
    then ``value``, ``baseline_value``, ``change`` and ``change_pct``.
    """
    unit = f"{dataset.unit}, {path.quarters[0]}-{path.quarters[-1]}"
    value, base = _horizon_value(path.scenario), _horizon_value(path.reference)
    s, r = _order(dataset.sectors), _order(dataset.regions)
    cross = ~np.eye(len(r), dtype=bool)[r][:, r]
    keep = np.broadcast_to(cross, value.shape).ravel()
    value, base = (_in_order(v, (s, r, r)).ravel()[keep] for v in (value, base))
    n = len(value)
    keys = [Labels(np.zeros(n, dtype=np.int8), ("exports",))]
    for label in _grid_labels([dataset.sectors, dataset.regions, dataset.regions]):
        keys.append(Labels(label.codes[keep], label.labels))
    unit_column = Labels(np.zeros(n, dtype=np.int8), (unit,))
    return [*keys, unit_column, value, base, *_pct_change(value, base)]


def _horizon(values: list[FloatArray]) -> FloatArray:
    """Sum over quarters, as ``np.array(values).sum(axis=0)``, in quarterly units."""
    total = np.zeros_like(values[0])
    for value in values:
        total += value
    return total / QUARTERS_PER_YEAR


def _stack(parts: list[list[Column]]) -> list[Column]:
    """Concatenate the rows of tables given as columns."""
    out: list[Column] = []
    for pieces in zip(*parts, strict=True):
        if all(isinstance(piece, Labels) for piece in pieces):
            labels = tuple(sorted({label for piece in pieces for label in piece.labels}))
            at = {label: k for k, label in enumerate(labels)}
            codes = [
                np.array([at[label] for label in piece.labels], dtype=np.int32)[piece.codes]
                for piece in pieces
            ]
            out.append(Labels(np.concatenate(codes), labels))
        else:
            out.append(np.concatenate([np.asarray(piece, dtype=np.float64) for piece in pieces]))
    return out


def headline_rows(summary: Table, per_sector: int = 3) -> list[dict[str, Any]]:
    """The summary's largest export changes in each sector, for printing.

    Parameters
    ----------
    summary : Table
        From :func:`summary_table`.
    per_sector : int
        How many flows to keep per sector, by absolute change.
    """
    data = dict(zip(summary.columns, summary.data, strict=True))
    exports = _is(data["indicator"], "exports")
    change = np.asarray(data["change"], dtype=np.float64)
    moved = np.flatnonzero(exports & (np.abs(change) > 1e-6))
    ranks = [_ranks(data[name], moved) for name in ("partner", "region")]
    moved = moved[np.lexsort((*ranks, -np.abs(change[moved])))]
    # sectors in the order of their first export row (a million export rows at GTAP
    # size): a first row starts a run of one sector's rows, and runs are few
    export_rows = np.flatnonzero(exports)
    exported = _ranks(data["sector"], export_rows)
    starts = np.flatnonzero(np.diff(exported, prepend=-1) != 0)
    codes, first = np.unique(exported[starts], return_index=True)
    seen = codes[np.argsort(first)]
    # the first ``per_sector`` moved rows of each sector, in the order found above
    moved_sectors = exported[np.searchsorted(export_rows, moved)]
    by_sector = np.argsort(moved_sectors, kind="stable")
    grouped, group = moved[by_sector], moved_sectors[by_sector]
    place = np.arange(len(group)) - np.searchsorted(group, group, side="left")
    chosen = place < per_sector
    kept: dict[int, list[int]] = {int(code): [] for code in seen}
    for k, code in zip(grouped[chosen].tolist(), group[chosen].tolist(), strict=True):
        kept[code].append(k)
    return [select_row(summary, k) for code in seen.tolist() for k in kept[code]]


def _is(column: Column, label: str) -> NDArray[np.bool_]:
    """Rows of a column equal to ``label``."""
    if isinstance(column, Labels):
        if label not in column.labels:
            return np.zeros(len(column), dtype=bool)
        return np.asarray(column.codes == column.labels.index(label))
    return np.zeros(len(column), dtype=bool)


def _ranks(column: Column, rows: NDArray[np.intp] | None = None) -> NDArray[np.intp]:
    """Each row's position in the sorted order of its column's distinct values.

    Of the chosen ``rows`` only, if given: for labels their ranks among all labels, for
    numbers among the chosen rows' values (the same order).
    """
    if isinstance(column, Labels):
        rank = np.empty(len(column.labels), dtype=np.intp)
        rank[_order(column.labels)] = np.arange(len(column.labels))
        return rank[column.codes if rows is None else column.codes[rows]]
    values = np.asarray(column) if rows is None else np.asarray(column)[rows]
    return np.asarray(np.unique(values, return_inverse=True)[1].reshape(-1), dtype=np.intp)


def select_row(table: Table, k: int) -> dict[str, Any]:
    """Row ``k`` of a table as ``column -> value``."""
    return {
        name: column.labels[int(column.codes[k])]
        if isinstance(column, Labels)
        else float(column[k])
        for name, column in zip(table.columns, table.data, strict=True)
    }


def select_rows(table: Table, column: str, labels: tuple[str, ...]) -> list[dict[str, Any]]:
    """The rows whose ``column`` is one of ``labels``, in table order, as dicts."""
    data = table.data[table.columns.index(column)]
    mask = np.zeros(len(table), dtype=bool)
    for label in labels:
        mask |= _is(data, label)
    return [select_row(table, int(k)) for k in np.flatnonzero(mask)]


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
