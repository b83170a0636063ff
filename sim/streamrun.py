"""Run a scenario a quarter at a time: solve, build and write each quarter's flows.

``flows.csv`` has a row per flow and quarter: 20.7 million rows for 141 regions x 65
sectors x 16 quarters. Solving the whole path first and building the whole table after
holds every quarter's demands and policy arrays and then every row's six numbers (4 GB
at that size). Here each quarter of both paths is solved, its flow rows are written to the
file at once, and the quarter keeps only what the other tables need (its prices, supply,
welfare parts and trade aggregates: :func:`sim.tables.quarter_figures`) and adds its values
to the path's running total (the summary's exports). The other tables are small; they are
built from the kept quarters when the path is done.

The files are those of :func:`sim.run.run_scenario` written by
:func:`sim.results.write_results`: the same rows in the same order, the same bytes (tests
compare them). A folder is written in its staging neighbour and published only when every
folder of the command is complete, so a failure leaves nothing behind.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from sim.datatypes import Dataset
from sim.model import Baseline, Equilibrium, FloatArray, Policy
from sim.period_welfare import RestingWelfare
from sim.profile import Phases
from sim.resting_rows import RestingRows, quarter_flows
from sim.resultschema import TABLE_FILES, check_table
from sim.run import RunResult, _run_record
from sim.scenario import Scenario
from sim.scenario_path import iter_scenario_path
from sim.tables import (
    FLOW_COLUMNS,
    Table,
    flows_block,
    indicators_table,
    prices_table,
    quarter_figures,
    summary_table,
    welfare_table,
)
from sim.timepath import PathSolution, PeriodSolution

MODEL = "armington-pe"
# Policy fields of shape (sector, origin, destination) that no table reads once a
# quarter's values and welfare are known; the optional ones are dropped, the others
# become a view of one NaN (no memory) so that a stray use shows as NaN, not as numbers.
_FLOW_POLICY = ("tariff", "export_tax", "trade_cost", "availability")
_OPTIONAL_FLOW_POLICY = ("quota", "quota_rent", "channel_wedge", "channel_volume")


def write_scenario(
    scenario: Scenario, stage: Path, *, format: str = "csv", phases: Phases | None = None
) -> RunResult:
    """Solve a scenario and write its result folder at ``stage``, a quarter at a time.

    Parameters
    ----------
    scenario : Scenario
        A resolved Armington scenario (no draws: a Monte Carlo run needs every quarter).
    stage : Path
        The folder to create (a staging folder of :func:`sim.files.publish`).
    format : {"csv", "parquet"}
    phases : Phases, optional
        Where the seconds of solving, building tables and writing are counted.

    Returns
    -------
    RunResult
        Its tables are all but ``flows.csv`` (written, not kept); its path keeps each
        quarter's figures (:func:`settled`), not its flow-sized arrays.
    """
    phases = phases or Phases()
    dataset = scenario.dataset
    os.mkdir(stage)
    with phases.phase("solve"):
        baseline, quarters, solved = iter_scenario_path(scenario)
    labels = [str(q) for q in quarters]
    # flows.csv is sorted by period first; quarters are solved in time order, which is
    # the sorted order of their labels (YYYYQn)
    if labels != sorted(labels):
        raise ValueError("quarter labels do not sort in time order")
    kept: tuple[list[PeriodSolution], list[PeriodSolution]] = ([], [])
    shape = baseline.flows.shape
    totals = (np.zeros(shape), np.zeros(shape))
    resting = RestingWelfare()
    rest = RestingRows()
    flows = _table_stream(stage / "flows.csv", FLOW_COLUMNS, format)
    streams: list[Any] = []
    try:
        while True:
            with phases.phase("solve"):
                pair = next(solved, None)
            if pair is None:
                break
            with phases.phase("tables"):
                quarter = quarter_flows(dataset, *pair, rest, totals)
                trade: tuple[dict[str, Any] | None, dict[str, Any] | None]
                if quarter is None:
                    block, trade = flows_block(dataset, *pair), (None, None)
                    for total, period in zip(totals, pair, strict=True):
                        total += period.value
                else:
                    block, trade = quarter
                check_table("flows.csv", FLOW_COLUMNS, block, MODEL)
            with phases.phase("write"):
                flows.write(block)
            with phases.phase("tables"):
                del block
                common = None
                for done, total, period, figures in zip(kept, totals, pair, trade, strict=True):
                    if done:  # only the last quarter's running sum is the horizon's
                        done[-1].figures.pop("value_through")  # type: ignore[union-attr]
                    done.append(settled(dataset, baseline, period, total, resting, common, figures))
                    if pair[0] is pair[1]:  # a quarter both runs share: its figures too
                        common = done[-1].figures
            del pair
        # the last rows are written and the file flushed to disk while the small
        # tables are built; each small table is formatted and flushed beside the
        # building of the next
        flows.finish()
        path = PathSolution(baseline, quarters, tuple(kept[0]), tuple(kept[1]))
        tables: dict[str, Table] = {}
        # the largest tables first (1.3 and 0.9 million rows at 141 x 65): each file is
        # written while the next table is built
        builders: dict[str, Callable[[], Table]] = {
            "summary.csv": lambda: summary_table(dataset, path),
            "indicators.csv": lambda: indicators_table(dataset, path),
            "welfare.csv": lambda: welfare_table(dataset, path),
            "prices.csv": lambda: prices_table(dataset, path),
        }
        for name, build in builders.items():
            with phases.phase("tables"):
                table = tables[name] = build()
                check_table(name, table.columns, table.data, MODEL)
            with phases.phase("write"):
                streams.append(_table_stream(stage / name, table.columns, format))
                streams[-1].write(table.data)
                streams[-1].finish()
        tables = {name: tables[name] for name in TABLE_FILES if name in tables}
        with phases.phase("tables"):
            record = _run_record(scenario, path)
    finally:
        with phases.phase("write"):
            try:
                flows.close()
            finally:
                for stream in streams:
                    stream.close()
    with phases.phase("write"):
        _write_record(stage, record)
    return RunResult(scenario, path, tables, record)


def settled(
    dataset: Dataset,
    baseline: Baseline,
    period: PeriodSolution,
    total: FloatArray,
    resting: RestingWelfare | None = None,
    common: dict[str, Any] | None = None,
    trade: dict[str, Any] | None = None,
) -> PeriodSolution:
    """A quarter with the figures the tables need and its flow-sized arrays let go.

    What stays: :func:`sim.tables.quarter_figures`, prices and supply, and each part's
    report, weight and small policy shifters; ``total`` (the running sum of the path's
    bilateral values, this quarter's included) is its ``value_through``. What goes:
    values, volumes, demands, spending shares and the policy's flow-sized arrays (NaN).
    ``resting`` keeps the welfare of sectors at rest from quarter to quarter
    (:mod:`sim.period_welfare`). ``common`` is the figures of the same quarter already
    settled (the same object on the other path): its :func:`sim.tables.quarter_figures`
    are taken from there, not computed again (no table changes them). ``trade``: the
    quarter's sales and trade figures, if already computed (:func:`quarter_figures`).
    """
    if common is None:
        common = quarter_figures(dataset, baseline, period, resting, trade)
    figures = {key: value for key, value in common.items() if key != "value_through"}
    figures["value_through"] = total
    cached = {
        "producer_price": period.producer_price,
        "price_index": period.price_index,
        "supply": period.supply,
        # of the shape of the bilateral values, which need not be formed for it
        "value": _nan_like(total),
        "volume": _nan_like(total),
    }
    segments = tuple(
        replace(
            seg,
            policy=_small_policy(seg.policy),
            equilibrium=_small_equilibrium(seg.equilibrium),
            route_shares=None,
        )
        for seg in period.segments
    )
    slim = replace(period, segments=segments, figures=figures)
    # cached properties live in the instance's __dict__; a frozen dataclass allows this
    slim.__dict__.update(cached)
    return slim


def _nan_like(array: FloatArray) -> FloatArray:
    return np.broadcast_to(np.float64(np.nan), array.shape)


def _small_policy(policy: Policy) -> Policy:
    changes: dict[str, Any] = {name: _nan_like(getattr(policy, name)) for name in _FLOW_POLICY}
    changes |= {name: None for name in _OPTIONAL_FLOW_POLICY}
    return replace(policy, **changes)


def _small_equilibrium(equilibrium: Equilibrium) -> Equilibrium:
    return replace(
        equilibrium,
        demand=_nan_like(equilibrium.demand),
        spending_shares=_nan_like(equilibrium.spending_shares),
    )


def _table_stream(destination: Path, columns: tuple[str, ...], format: str) -> Any:
    """A CSV or Parquet stream of a result table (``<table>.parquet`` for Parquet)."""
    if format == "parquet":
        from sim.resultschema import SCHEMAS
        from sim.tabular import ParquetStream

        spec = SCHEMAS[MODEL][destination.name]
        kinds = [spec.spec(name).dtype != "float" for name in columns]
        return ParquetStream(destination.with_suffix(".parquet"), columns, kinds)
    from sim.results import CsvStream

    return CsvStream(destination, columns)


def _write_record(stage: Path, record: dict[str, Any]) -> None:
    from sim.files import fsync_folder, write_bytes_durably

    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    write_bytes_durably(stage / "run.json", text.encode("utf-8"))
    os.chmod(stage, 0o755)
    fsync_folder(stage)


def write_batch_streamed(
    scenarios: list[Any],
    out: Path,
    *,
    force: bool,
    format: str = "csv",
    phases: Phases | None = None,
) -> list[Any]:
    """Solve and write every scenario's folder under ``out``: all of them, or none.

    The streamed counterpart of :func:`sim.batch.solve_batch` then
    :func:`sim.batch.write_batch`, for runs without draws. Armington scenarios are
    written a quarter at a time; other models' (gravity's tables are small) are solved
    whole and then written.

    Returns
    -------
    list of RunResult or GravityRunResult
        In the order of ``scenarios`` (see :func:`write_scenario`).
    """
    from sim.files import publish
    from sim.models import run_any
    from sim.results import _folder_filler, check_destination

    phases = phases or Phases()
    for scenario in scenarios:
        check_destination(out / scenario.name, force=force)
    results: list[Any] = []

    def filler(scenario: Any) -> Any:
        def fill(stage: Path) -> None:
            if scenario.registered_model == MODEL:
                results.append(write_scenario(scenario, stage, format=format, phases=phases))
                return
            with phases.phase("solve"):
                result = run_any(scenario)
            with phases.phase("write"):
                _folder_filler(result.tables, result.run, format)(stage)
            results.append(result)

        return fill

    publish([(out / s.name, filler(s)) for s in scenarios])
    return results
