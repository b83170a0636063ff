"""Run a scenario: resolve it, solve its path and assemble the result tables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import __version__
from sim.policy import target
from sim.scenario import Scenario, load_scenario
from sim.tables import (
    Table,
    flows_table,
    indicators_table,
    prices_table,
    summary_table,
    welfare_table,
)
from sim.timepath import PathSolution, solve_path


@dataclass(frozen=True)
class RunResult:
    """A solved scenario and its tables."""

    scenario: Scenario
    path: PathSolution
    tables: dict[str, Table]
    run: dict[str, Any]


def solve_scenario(scenario: Scenario) -> PathSolution:
    """Solve a resolved scenario's quarterly path and its no-policy counterpart."""
    dataset = scenario.dataset
    targets = [
        target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
        for p in scenario.policies
    ]
    return solve_path(
        dataset,
        scenario.policies,
        targets,
        scenario.start,
        scenario.end,
        scenario.parameters,
        scenario.demand_growth,
    )


def run_scenario(scenario: Scenario | str | Path) -> RunResult:
    """Solve a scenario and build its result tables and ``run.json`` record.

    Parameters
    ----------
    scenario : Scenario or path
        A resolved scenario or the path of a scenario file.

    Returns
    -------
    RunResult
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
        "summary.csv": summary_table(dataset, path, indicators),
    }
    return RunResult(scenario, path, tables, _run_record(scenario, path))


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
        for label, periods in (("scenario", path.scenario), ("no_policy", path.reference))
        for period in periods
    ]
    return {
        "tradesim_version": __version__,
        "model": "armington-pe",
        "scenario": scenario.name,
        "description": scenario.description,
        "scenario_fingerprint": scenario.fingerprint(),
        "scenario_files": [p.name for p in scenario.files],
        "resolved_scenario": scenario.to_dict(),
        "dataset": {
            "name": dataset.name,
            "title": dataset.title,
            "unit": dataset.unit,
            "year": dataset.year,
            "fingerprint": dataset.fingerprint,
        },
        "periods": [str(q) for q in path.quarters],
        "seed": None,
        "solver": solver,
        "sources": {
            key: {"kind": source.kind, "citation": source.citation, "quote": source.quote}
            for key, source in sorted(dataset.sources.items())
        },
    }
