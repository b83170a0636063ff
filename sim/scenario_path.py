"""Solve a resolved partial-equilibrium scenario: its quarterly path and its comparison run's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sim.model import Baseline
from sim.policy import Target, target
from sim.quarters import Quarter
from sim.scenario import PolicySpec, Scenario
from sim.timepath import PathSolution, PeriodSolution, Starts, iter_path, solve_path


def solve_scenario(scenario: Scenario, starts: Starts | None = None) -> PathSolution:
    """Solve a resolved scenario's quarterly path and its comparison run's.

    ``starts``: log prices to start each quarter part from (:func:`sim.timepath.solve_markets`).
    """
    return solve_path(*_path_arguments(scenario), starts=starts)


def iter_scenario_path(
    scenario: Scenario,
) -> tuple[Baseline, tuple[Quarter, ...], Iterator[tuple[PeriodSolution, PeriodSolution]]]:
    """:func:`solve_scenario` a quarter at a time (:func:`sim.timepath.iter_path`)."""
    return iter_path(*_path_arguments(scenario))


def _path_arguments(scenario: Scenario) -> tuple[Any, ...]:
    dataset = scenario.dataset
    comparison = () if scenario.comparison is None else scenario.comparison.policies

    def targets(policies: tuple[PolicySpec, ...]) -> list[Target]:
        return [
            target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
            for p in policies
        ]

    return (
        dataset,
        scenario.policies,
        targets(scenario.policies),
        scenario.start,
        scenario.end,
        scenario.parameters,
        scenario.demand_growth,
        comparison,
        targets(comparison),
    )
