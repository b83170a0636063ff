"""A quarter's flow rows and trade figures, the rows of sectors at rest not formed again.

A sector at its baseline all quarter (:attr:`sim.timepath.PeriodSolution.resting`) has,
in every part of every such quarter of either path, the kept baseline equilibrium rows
(:mod:`sim.at_rest`). Its bilateral values and volumes in a quarter are the day-weighted
mean of those rows over the parts (:func:`sim.daymean.day_mean`), which is the rows'
value to the bit however the quarter is cut: they are the same in every such quarter. So
are its rows of the quarter's ``flows.csv`` block and of the quarter's trade figures, each
computed row by row. Most sectors of a large scenario rest most of the time; their rows
are not formed again quarter after quarter:

- the block's number columns are two sets of arrays used in turn (:class:`RestingRows`);
  a sector still resting since its rows were last written to a set keeps them there;
- its annual values (added to the path's running total) and trade figures are kept from
  the first quarter it rests in, in both runs.

Only the other rows are computed, with the same operations as for the whole arrays, so
the numbers are the same to the bit (tests compare them). At 141 regions x 65 sectors
with 61 sectors at rest, a quarter's block and figures took about 35 ms formed whole and
8 ms so.

A quarter of a path with processing routes (whose recorded flows move values between a
route's cells) is formed whole (``None``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sim.csvtext import Column
from sim.indicators import trade_values
from sim.model import FloatArray
from sim.sector_parts import IntArray, row_index

if TYPE_CHECKING:
    from sim.datatypes import Dataset
    from sim.timepath import PeriodSolution

QUARTERS_PER_YEAR = 4.0
# The block's number columns, in the order of flows.csv.
_COLUMNS = ("value", "base", "change", "pct", "volume", "base_volume")
_TRADE = ("exports", "imports", "net_exports", "output")


class RestingRows:
    """What is kept of sectors at rest from one quarter to the next.

    One instance serves the quarters of one scenario's two paths (their sectors' kept
    baseline solution, :mod:`sim.at_rest`) written to one stream.

    The block's number columns are two sets of arrays used in turn. A result stream reads a
    block's arrays until its next block is written (:class:`sim.results.CsvStream` and
    :class:`sim.tabular.ParquetStream` wait for the block before), so the set of the
    block before the last is free again, and its rows of sectors resting since then hold
    the right numbers already.
    """

    def __init__(self) -> None:
        self._known: NDArray[np.bool_] | None = None
        self._kept: dict[str, FloatArray] = {}
        self._ring: list[tuple[dict[str, FloatArray], NDArray[np.bool_]]] = []
        self._turn = 0

    def kept(self, count: int) -> tuple[NDArray[np.bool_], dict[str, FloatArray]]:
        """Which sectors' figures are kept, and the figures (updated in place).

        The figures are each sector's annual values and its trade figures, by sector.
        """
        if self._known is None:
            self._known = np.zeros(count, dtype=bool)
        return self._known, self._kept

    def columns(self, count: int, cells: int) -> tuple[dict[str, FloatArray], NDArray[np.bool_]]:
        """The next set of the block's number columns, each shape (sector, cells).

        With it, whether each sector's row holds its resting rows (updated in place).
        """
        if not self._ring:
            columns = {name: np.empty((count, cells)) for name in _COLUMNS}
            self._ring.append((columns, np.zeros(count, dtype=bool)))
        elif len(self._ring) == 1:
            # the second set starts as a copy of the first (which a stream may be reading,
            # not writing): its resting rows are then in place already
            first, holds = self._ring[0]
            self._ring.append(({name: first[name].copy() for name in _COLUMNS}, holds.copy()))
        chosen = self._ring[self._turn]
        self._turn = 1 - self._turn
        return chosen


def quarter_flows(
    dataset: Dataset,
    scenario: PeriodSolution,
    reference: PeriodSolution,
    rest: RestingRows,
    totals: tuple[FloatArray, FloatArray],
) -> tuple[list[Column], tuple[dict[str, Any], dict[str, Any]]] | None:
    """A quarter's ``flows.csv`` block and each path's trade figures.

    Parameters
    ----------
    dataset : Dataset
    scenario, reference : PeriodSolution
        The quarter on the scenario's path and on its comparison run's (one object for a
        quarter they share).
    rest : RestingRows
        What is kept of sectors at rest; updated.
    totals : tuple of ndarray
        Each path's running sum of its annual bilateral values; this quarter's are added.

    Returns
    -------
    (block, figures) or None
        ``block`` is :func:`sim.tables.flows_block`'s columns, the same numbers (its number
        columns are :class:`RestingRows`' arrays: to be read before the next quarter's
        block is asked for); ``figures`` each path's ``sales_by_origin`` and ``trade``, as
        :func:`sim.tables.quarter_figures` has them. None: a path has processing routes;
        nothing was added to ``totals``.
    """
    from sim.tables import _grid_labels, _in_order, _order, _sector_changes

    paths = (scenario, reference)
    if any(p.routes is not None or p.resting is None for p in paths):
        return None
    shared = scenario is reference
    count = len(dataset.sectors)
    known, kept = rest.kept(count)
    resting = scenario.resting & reference.resting  # type: ignore[operator]
    s, r = _order(dataset.sectors), _order(dataset.regions)
    # each sector's row of the block (the block's rows are in sorted order of the labels)
    place = np.empty(count, dtype=np.intp)
    place[s] = np.arange(count)
    cells = len(r) * len(r)
    columns, holds = rest.columns(count, cells)
    in_place = resting & known & holds
    computed = np.flatnonzero(~in_place)
    # runs of consecutive rows as slices: views and plain copies, not gathers
    at = row_index(computed)

    every = np.arange(count)

    def block_rows(values: FloatArray) -> FloatArray:
        ordered = _in_order(values, (every[: len(values)], r, r))
        return (ordered / QUARTERS_PER_YEAR).reshape(len(values), cells)

    value = [p.sector_value(at) for p in (paths[:1] if shared else paths)]
    volume = [p.sector_volume(at) for p in (paths[:1] if shared else paths)]
    value_rows = [block_rows(v) for v in value]
    volume_rows = [block_rows(v) for v in volume]
    change, pct = _sector_changes(value_rows[0], value_rows[-1])
    rows = (value_rows[0], value_rows[-1], change, pct, volume_rows[0], volume_rows[-1])
    to = row_index(place[computed])
    for name, part in zip(_COLUMNS, rows, strict=True):
        columns[name][to] = part
    holds[computed] = resting[computed]
    trade = [_trade_rows(v) for v in value]
    learn = resting[computed] & ~known[computed]
    if learn.any():
        _learn(kept, count, computed[learn], value[0][learn], trade[0], learn)
        known[computed[learn]] = True
    held = row_index(np.flatnonzero(in_place))
    for x, total in enumerate(totals):
        total[at] += value[0 if shared else x]
        if in_place.any():
            total[held] += kept["annual"][held]
    figures = [_figures(t, at, held, kept, count) for t in trade]
    keys = _grid_labels(
        [[str(scenario.quarter)], dataset.sectors, dataset.regions, dataset.regions]
    )
    block: list[Column] = [*keys, *(columns[name].reshape(-1) for name in _COLUMNS)]
    return block, (figures[0], figures[-1])


def _trade_rows(value: FloatArray) -> dict[str, FloatArray]:
    """Sales by origin and trade of some sectors' annual values, quarterly."""
    return {
        "sales_by_origin": value.sum(axis=2) / QUARTERS_PER_YEAR,
        **trade_values(value / QUARTERS_PER_YEAR, overwrite=True),
    }


def _learn(
    kept: dict[str, FloatArray],
    count: int,
    sectors: IntArray,
    annual: FloatArray,
    trade: dict[str, FloatArray],
    among: NDArray[np.bool_],
) -> None:
    """Keep the annual values of ``sectors`` and their trade figures (``among`` them)."""
    rows = {"annual": annual, **{name: figure[among] for name, figure in trade.items()}}
    for name, values in rows.items():
        if name not in kept:
            kept[name] = np.zeros((count, *values.shape[1:]))
        kept[name][sectors] = values


def _figures(
    trade: dict[str, FloatArray],
    computed: IntArray | slice,
    held: IntArray | slice,
    kept: dict[str, FloatArray],
    count: int,
) -> dict[str, Any]:
    def whole(name: str) -> FloatArray:
        part = trade[name]
        out = np.empty((count, *part.shape[1:]))
        out[computed] = part
        if len(part) < count:
            out[held] = kept[name][held]
        return out

    return {
        "sales_by_origin": whole("sales_by_origin"),
        "trade": {name: whole(name) for name in _TRADE},
    }
