"""Solve a resolved partial-equilibrium scenario: its quarterly path and its comparison run's."""

from __future__ import annotations

from sim.policy import Target, target
from sim.scenario import PolicySpec, Scenario
from sim.timepath import PathSolution, solve_path


def solve_scenario(scenario: Scenario) -> PathSolution:
    """Solve a resolved scenario's quarterly path and its comparison run's."""
    dataset = scenario.dataset
    comparison = () if scenario.comparison is None else scenario.comparison.policies

    def targets(policies: tuple[PolicySpec, ...]) -> list[Target]:
        return [
            target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
            for p in policies
        ]

    return solve_path(
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
