"""The banded figures of many parameter draws at once, from one stacked path.

A Monte Carlo chunk solves its draws as one path whose sectors are the dataset's sectors
repeated draw after draw (:mod:`sim.montecarlo`). The bands need only the ``change`` column
of ``summary.csv`` and ``indicators.csv``; this module computes that column for every draw
of the chunk from the stacked arrays, with the draws as a leading axis, in the rows' table
order. Each figure is computed with the same operations in the same order as the table
builders of :mod:`sim.tables` use for one draw; reductions over sectors and quarters are
written as explicit sums so that a draw's numbers never depend on how many draws share
its chunk.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.datatypes import Dataset
from sim.daymean import day_mean
from sim.indicators import SatelliteFigures, satellite_figures, trade_values
from sim.model import FloatArray
from sim.tables import QUARTERS_PER_YEAR, Row, _order, sort_order
from sim.timepath import PathSolution, PeriodSolution
from sim.welfare import total_welfare

Figures = tuple[SatelliteFigures, SatelliteFigures]  # a satellite's scenario and comparison run


def banded_changes(
    dataset: Dataset,
    path: PathSolution,
    draws: int,
    welfare_total: FloatArray,
    keys: Callable[[], dict[str, list[Row]]],
) -> dict[str, FloatArray]:
    """Every draw's ``change`` of the rows of ``summary.csv`` and ``indicators.csv``.

    Parameters
    ----------
    dataset : Dataset
    path : PathSolution
        The draws' stacked path: ``draws`` times the dataset's sectors.
    draws : int
    welfare_total : ndarray, shape (period, draws * sector, region)
        Total welfare change per quarter of the stacked path
        (:func:`sim.tables.welfare_arrays`).
    keys : callable
        Returns the unsorted row keys of the summary's non-export rows and of the
        indicators (as :func:`sim.tables.summary_frame` and
        :func:`sim.tables.indicator_frame` give them); called once, for the sort order.

    Returns
    -------
    dict
        ``"summary.csv"`` and ``"indicators.csv"`` -> ndarray, shape (draw, row), rows in
        the tables' order.
    """
    n_sectors = len(dataset.sectors)

    def per_draw(values: FloatArray) -> FloatArray:
        """A stacked (sector, ...) array as (draw, sector, ...)."""
        return values.reshape(draws, n_sectors, *values.shape[1:])

    figures = _satellite_paths(dataset, path, draws)
    satellites = _satellite_changes(dataset, figures)
    row_keys = keys()
    order = {name: np.asarray(sort_order(row_keys[name]), dtype=np.intp) for name in row_keys}
    indicators = np.concatenate([_trade_changes(dataset, path, draws), *satellites], axis=1)

    last_v = per_draw(path.scenario[-1].producer_price).reshape(draws, -1)
    last_b = per_draw(path.reference[-1].producer_price).reshape(draws, -1)
    w = _sum_leading(per_draw(welfare_total.swapaxes(0, 1)).swapaxes(1, 2))
    share = 100.0 * w / (dataset.gdp * len(path.quarters) / QUARTERS_PER_YEAR)
    welfare = np.stack([w, share], axis=-1).reshape(draws, -1)
    rest = [last_v - last_b, welfare]
    for sales, prices in _satellite_summary(figures, draws):
        rest.extend([sales[:, None], prices[:, None]])
    summary_rest = np.concatenate(rest, axis=1)[:, order["summary.csv"]]
    summary = np.concatenate([_export_changes(dataset, path, draws), summary_rest], axis=1)
    return {"summary.csv": summary, "indicators.csv": indicators[:, order["indicators.csv"]]}


def welfare_totals(path: PathSolution) -> FloatArray:
    """Total welfare change per quarter, shape (period, sector, region).

    The same numbers as ``welfare_arrays(path)["total"]`` (:func:`sim.tables.welfare_arrays`),
    with only the total computed, and once for a quarter the comparison run shares with
    the scenario (:func:`sim.timepath.solve_markets`): its change is that total less itself.
    """
    out = []
    for scn, ref in zip(path.scenario, path.reference, strict=True):
        mine = _period_total(path, scn)
        theirs = mine if ref is scn else _period_total(path, ref)
        out.append((mine - theirs) / QUARTERS_PER_YEAR)
    return np.array(out)


def _period_total(path: PathSolution, period: PeriodSolution) -> FloatArray:
    """Day-weighted total welfare of a quarter's parts, summed as the tables sum them."""
    if period.figures is not None:
        return np.asarray(period.figures["welfare"]["total"])
    return np.asarray(
        day_mean(
            [
                (
                    seg.weight,
                    total_welfare(path.baseline, seg.policy, period.elasticities, seg.equilibrium),
                )
                for seg in period.segments
            ]
        )
    )


def _sum_leading(values: FloatArray) -> FloatArray:
    """Sum a (draw, a, b, ...) array over its axes a and b, one term after another."""
    total = np.zeros((values.shape[0], *values.shape[3:]))
    for k in range(values.shape[1]):
        for m in range(values.shape[2]):
            total += values[:, k, m]
    return total


def _horizon(periods: tuple[PeriodSolution, ...]) -> FloatArray:
    """Bilateral values summed over quarters, in quarterly units, as the summary sums them."""
    total = np.zeros_like(periods[0].value)
    for period in periods:
        total += period.value
    return total / QUARTERS_PER_YEAR


def _export_changes(dataset: Dataset, path: PathSolution, draws: int) -> FloatArray:
    """The change of the summary's ``exports`` rows, shape (draw, row), in their order."""
    shape = (draws, len(dataset.sectors), len(dataset.regions), len(dataset.regions))
    value = _horizon(path.scenario).reshape(shape)
    base = _horizon(path.reference).reshape(shape)
    s, r = _order(dataset.sectors), _order(dataset.regions)
    grid = np.ix_(np.arange(draws), s, r, r)
    cross = ~np.eye(len(r), dtype=bool)[r][:, r]
    keep = np.broadcast_to(cross, shape[1:]).ravel()
    return value[grid].reshape(draws, -1)[:, keep] - base[grid].reshape(draws, -1)[:, keep]


def _trade_changes(dataset: Dataset, path: PathSolution, draws: int) -> FloatArray:
    """The change of the trade rows of ``indicators.csv``, unsorted, shape (draw, row)."""
    n_sectors = len(dataset.sectors)
    quarterly_gdp = dataset.gdp / QUARTERS_PER_YEAR

    def trade(periods: tuple[PeriodSolution, ...]) -> dict[str, FloatArray]:
        each = [trade_values(p.value / QUARTERS_PER_YEAR) for p in periods]
        # (period, draw * sector, region) -> (draw, period, sector + all, region)
        out = {}
        for name in each[0]:
            stacked = np.array([values[name] for values in each])
            by_draw = stacked.reshape(len(periods), draws, n_sectors, -1).swapaxes(0, 1)
            total = np.zeros_like(by_draw[:, :, 0])
            for s in range(n_sectors):
                total += by_draw[:, :, s]
            out[name] = np.concatenate([by_draw, total[:, :, None]], axis=2)
        return out

    scn, ref = trade(path.scenario), trade(path.reference)
    blocks: list[FloatArray] = []
    for name in ("exports", "imports", "net_exports", "output"):
        v, b = scn[name], ref[name]
        changes = [v - b]
        if name in ("exports", "net_exports"):
            changes.append(100.0 * v / quarterly_gdp - 100.0 * b / quarterly_gdp)
        # (draw, period, sector, region) -> rows in period, region, sector order
        blocks.extend(c.transpose(0, 1, 3, 2).reshape(draws, -1) for c in changes)
    return np.concatenate(blocks, axis=1)


def _satellite_paths(dataset: Dataset, path: PathSolution, draws: int) -> list[Figures]:
    """Each satellite's figures on both paths: (scenario, comparison) pairs, draws first."""
    n_sectors = len(dataset.sectors)
    index = {code: k for k, code in enumerate(dataset.regions)}
    output = path.baseline.output
    figures: list[Figures] = []
    for satellite in dataset.satellites:
        s = [dataset.sector_index(part.sector) for part in satellite.parts]
        r = index[satellite.region]
        pair = []
        for periods in (path.scenario, path.reference):
            values = np.stack([_producer_sales(p, s, r, draws, n_sectors) for p in periods], axis=2)
            supply = [p.supply.reshape(draws, n_sectors, -1)[:, s, r] for p in periods]
            volume = np.stack(supply, axis=2) / output[s, r, None]
            pair.append(satellite_figures(satellite, r, index, dataset.flows[s, r], values, volume))
        figures.append((pair[0], pair[1]))
    return figures


def _producer_sales(
    period: PeriodSolution, sectors: list[int], region: int, draws: int, n_sectors: int
) -> FloatArray:
    """:func:`sim.indicators.producer_sales` of every draw, shape (draw, part, destination)."""
    values = period.value.reshape(draws, n_sectors, *period.value.shape[1:])[:, sectors, region]
    values = values.copy()
    for segment in period.segments:
        bought = segment.equilibrium.purchased
        if bought is not None:
            price = segment.equilibrium.producer_price.reshape(draws, n_sectors, -1)
            values[:, :, region] += (
                segment.weight
                * price[:, sectors, region]
                * bought.reshape(draws, n_sectors, -1)[:, sectors, region]
            )
    return values


def _satellite_changes(dataset: Dataset, figures: list[Figures]) -> list[FloatArray]:
    """The change of the satellite rows of ``indicators.csv``, unsorted, (draw, row) blocks."""
    blocks: list[FloatArray] = []
    for satellite, (scn, ref) in zip(dataset.satellites, figures, strict=True):
        series = [
            (scn.sales / QUARTERS_PER_YEAR, ref.sales / QUARTERS_PER_YEAR),
            (scn.producer_price, ref.producer_price),
            (scn.volume, ref.volume),
        ]
        for code in satellite.importers:
            series.append(
                (scn.exports[code] / QUARTERS_PER_YEAR, ref.exports[code] / QUARTERS_PER_YEAR)
            )
        blocks.extend(values - base for values, base in series)
    return blocks


def _satellite_summary(figures: list[Figures], draws: int) -> list[tuple[FloatArray, FloatArray]]:
    """Each satellite's summary changes: sales over the horizon and last quarter's price."""
    out = []
    for scn, ref in figures:
        v_sum, b_sum = np.zeros(draws), np.zeros(draws)
        for t in range(scn.sales.shape[-1]):
            v_sum = v_sum + scn.sales[:, t] / QUARTERS_PER_YEAR
            b_sum = b_sum + ref.sales[:, t] / QUARTERS_PER_YEAR
        out.append((v_sum - b_sum, scn.producer_price[:, -1] - ref.producer_price[:, -1]))
    return out
