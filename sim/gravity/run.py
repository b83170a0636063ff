"""Run a gravity scenario: counterfactual costs, calibration, solve, tables, run record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.gravity.policy import counterfactual_costs
from sim.gravity.scenario import GravityScenario
from sim.gravity.solve import (
    balanced_expenditure,
    modelled_baseline,
    solve_exact,
    solve_gegravity,
)
from sim.gravity.tables import GravitySolution, gravity_tables
from sim.runrecord import run_header, run_sources
from sim.tables import Table


@dataclass(frozen=True)
class GravityRunResult:
    """A solved gravity scenario: its solution, tables and ``run.json`` record."""

    scenario: GravityScenario
    path: GravitySolution
    tables: dict[str, Table]
    run: dict[str, Any]


def solve_gravity(scenario: GravityScenario) -> tuple[GravitySolution, dict[str, Any]]:
    """Solve a gravity scenario in its closure.

    Returns
    -------
    solution : GravitySolution
    solver : dict
        Closure, iterations, residual and (gegravity-compatible) the adding-up gap.
    """
    dataset = scenario.dataset
    sigma = scenario.sigma
    reference = dataset.reference_index
    costs = dataset.costs()
    new_costs = counterfactual_costs(dataset, scenario.policies, sigma)
    if scenario.closure == "gegravity-compatible":
        g = solve_gegravity(costs, new_costs, dataset.output, dataset.expenditure, sigma, reference)
        gap = np.abs(g.flows.sum(axis=0) / g.expenditure - 1.0)
        solution = GravitySolution(
            dataset.regions,
            g.flows,
            g.baseline_flows,
            g.price,
            g.inward,
            g.baseline_inward,
            g.outward,
            g.baseline_outward,
            g.output,
            dataset.output,
            g.expenditure,
            dataset.expenditure,
        )
        solver: dict[str, Any] = {
            "closure": scenario.closure,
            "iterations": g.iterations,
            "max_residual": g.residual,
            "largest_expenditure_gap": float(f"{gap.max():.6g}"),
        }
        return solution, solver
    expenditure = balanced_expenditure(dataset.output, dataset.expenditure)
    baseline = modelled_baseline(costs, dataset.output, expenditure, sigma, reference)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(costs > 0, new_costs / costs, 1.0)
    result = solve_exact(
        baseline,
        change,
        sigma,
        reference,
        fixed_deficits=scenario.closure == "fixed-deficits",
    )
    solution = GravitySolution(
        dataset.regions,
        result.flows,
        baseline.flows,
        result.price,
        result.inward,
        baseline.inward,
        result.outward,
        baseline.outward,
        result.output,
        baseline.output,
        result.expenditure,
        baseline.expenditure,
    )
    solver = {
        "closure": scenario.closure,
        "iterations": baseline.iterations + result.iterations,
        "max_residual": max(result.residual, baseline.residual),
    }
    if scenario.closure == "exact":
        # E'_j / Y'_j = kappa phi_j: the change of the common scale kappa
        kappa = (result.expenditure / result.output) / (baseline.expenditure / baseline.output)
        solver["expenditure_scale_change"] = float(f"{kappa[reference]:.9g}")
    return solution, solver


def run_gravity(scenario: GravityScenario) -> GravityRunResult:
    """Solve a gravity scenario and build its tables and ``run.json`` record."""
    solution, solver = solve_gravity(scenario)
    dataset = scenario.dataset
    tables = gravity_tables(solution, str(dataset.year), dataset.unit)
    record = run_header("structural-gravity", scenario, dataset) | {
        "periods": [str(dataset.year)],
        "seed": None,
        "solver": [solver],
        "sources": run_sources(dataset),
    }
    return GravityRunResult(scenario, solution, tables, record)
