"""Monte Carlo runs of gravity scenarios, on the machinery of :mod:`sim.montecarlo`.

The same seeds, draws, chunks, executors and bands as the partial-equilibrium model: each
draw sets the scenario's uncertain parameters (``sigma``, cost coefficients, policy
numbers), re-calibrates the baseline and solves the counterfactual, and keeps the
``change`` column of ``summary.csv`` and ``indicators.csv``.
"""

from __future__ import annotations

import numpy as np

from sim.errors import DrawError, GravitySolverError
from sim.gravity.run import solve_gravity
from sim.gravity.scenario import GravityScenario
from sim.gravity.solve import FloatArray
from sim.gravity.tables import gravity_tables
from sim.montecarlo import BANDED_TABLES, Chunk
from sim.tables import Table


def gravity_draw_tables(scenario: GravityScenario) -> dict[str, Table]:
    """Solve a gravity scenario's central parameters into the tables whose rows get bands."""
    solution, _ = solve_gravity(scenario)
    tables = gravity_tables(solution, str(scenario.dataset.year), scenario.dataset.unit)
    return {name: tables[name] for name in BANDED_TABLES}


def solve_gravity_chunk(chunk: Chunk) -> dict[str, FloatArray]:
    """Each draw's ``change`` column of the banded tables, shape (draw, row).

    Raises
    ------
    DrawError
        Naming the draw and its parameter values when a draw cannot be solved.
    """
    scenario = chunk.scenario
    keys = tuple(scenario.uncertainty)
    columns: dict[str, list[list[float]]] = {name: [] for name in BANDED_TABLES}
    for d, row in enumerate(chunk.values):
        values = dict(zip(keys, map(float, row), strict=True))
        try:
            solution, _ = solve_gravity(scenario.with_values(values))
        except GravitySolverError as error:
            shown = ", ".join(f"{k}={v:.6g}" for k, v in values.items())
            raise DrawError(f"draw {chunk.first + d} ({shown}): {error}") from None
        tables = gravity_tables(solution, str(scenario.dataset.year), scenario.dataset.unit)
        for name in BANDED_TABLES:
            table = tables[name]
            at = table.columns.index("change")
            columns[name].append([float(r[at]) for r in table.rows])
    return {name: np.array(rows, dtype=float) for name, rows in columns.items()}
