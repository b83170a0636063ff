"""Run a scenario: resolve it, solve its path and assemble the result tables."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sim.executors import Executor
from sim.montecarlo import BANDED_TABLES, Draws, run_draws
from sim.runrecord import run_header, run_sources
from sim.scenario import Scenario, load_scenario
from sim.scenario_path import solve_scenario
from sim.tables import (
    Table,
    draws_tables,
    flows_table,
    indicators_table,
    prices_table,
    summary_table,
    welfare_table,
    with_bands,
)
from sim.timepath import PathSolution


@dataclass(frozen=True)
class RunResult:
    """A solved scenario and its tables."""

    scenario: Scenario
    path: PathSolution
    tables: dict[str, Table]
    run: dict[str, Any]


@dataclass(frozen=True)
class MonteCarloOptions:
    """How many parameter draws to solve, from which seed, where, and what to keep.

    Attributes
    ----------
    draws : int
    seed : int
    executor : Executor
    keep_draws : bool
        Also write ``draws.csv`` and ``draw_parameters.csv``.
    progress : callable, optional
        Called with the number of draws solved so far.
    """

    draws: int
    seed: int
    executor: Executor = Executor()
    keep_draws: bool = False
    progress: Callable[[int], None] | None = None

    def with_progress(self, progress: Callable[[int], None] | None) -> MonteCarloOptions:
        """The same options reporting progress to ``progress``."""
        return replace(self, progress=progress)


def run_scenario(
    scenario: Scenario | str | Path, monte_carlo: MonteCarloOptions | None = None
) -> RunResult:
    """Solve a scenario and build its result tables and ``run.json`` record.

    Parameters
    ----------
    scenario : Scenario or path
        A resolved scenario or the path of a scenario file.
    monte_carlo : MonteCarloOptions, optional
        Also solve parameter draws from the scenario's ``uncertainty`` block and add their
        mean and 5th, 50th and 95th percentiles to ``summary.csv`` and ``indicators.csv``.

    Returns
    -------
    RunResult

    Raises
    ------
    InputError
        When draws are asked for and the scenario has no ``uncertainty`` block.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    dataset = scenario.dataset
    path = solve_scenario(scenario)
    indicators = indicators_table(dataset, path)
    tables = {
        "flows.csv": flows_table(dataset, path),
        "prices.csv": prices_table(dataset, path),
        "welfare.csv": welfare_table(dataset, path),
        "indicators.csv": indicators,
        "summary.csv": summary_table(dataset, path),
    }
    record = _run_record(scenario, path)
    if monte_carlo is not None:
        draws = run_draws(
            scenario,
            monte_carlo.draws,
            monte_carlo.seed,
            monte_carlo.executor,
            monte_carlo.progress,
            central=path,
        )
        add_draws(tables, record, draws, monte_carlo)
    return RunResult(scenario, path, tables, record)


def add_draws(
    tables: dict[str, Table], record: dict[str, Any], draws: Draws, options: MonteCarloOptions
) -> None:
    """Add the bands of a Monte Carlo run to the tables and its record to ``run.json``."""
    for name in BANDED_TABLES:
        tables[name] = with_bands(tables[name], draws.changes[name])
    if options.keep_draws:
        tables |= draws_tables(
            tables["summary.csv"], draws.keys, draws.values, draws.changes["summary.csv"]
        )
    record["seed"] = options.seed
    record["monte_carlo"] = {
        "draws": options.draws,
        "parameters": list(draws.keys),
        "statistics": "mean and 5th, 50th, 95th percentiles of each row's change",
    }


def _run_record(scenario: Scenario, path: PathSolution) -> dict[str, Any]:
    dataset = scenario.dataset
    solver = [
        {
            "period": str(period.quarter),
            "path": label,
            "parts": len(period.segments),
            "iterations": period.iterations,
            "max_residual": period.residual,
            "fallback_sectors": [dataset.sectors[s] for s in period.fallback_sectors],
        }
        for label, periods in (("scenario", path.scenario), ("comparison", path.reference))
        for period in periods
    ]
    return run_header("armington-pe", scenario, dataset) | {
        "against": scenario.against,
        "periods": [str(q) for q in path.quarters],
        "seed": None,
        "solver": solver,
        "sources": run_sources(dataset),
    }
