"""Monte Carlo runs of gravity scenarios, on the machinery of :mod:`sim.montecarlo`.

The same seeds, draws, chunks, executors and bands as the partial-equilibrium model: each
draw sets the scenario's uncertain parameters (``sigma``, cost coefficients, policy
numbers), re-calibrates the baseline and solves the counterfactual, and keeps the
``change`` column of ``summary.csv`` and ``indicators.csv``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.errors import DrawError, GravitySolverError
from sim.executors import Executor
from sim.gravity.run import solve_gravity
from sim.gravity.scenario import GravityScenario
from sim.gravity.solve import FloatArray
from sim.gravity.tables import gravity_tables
from sim.montecarlo import BANDED_TABLES, CHUNK_DRAWS, Draws
from sim.uncertainty import draw_values


@dataclass(frozen=True)
class GravityChunk:
    """Consecutive draws of one gravity run: their first index and parameter values."""

    scenario: GravityScenario
    first: int
    values: FloatArray


def solve_gravity_chunk(chunk: GravityChunk) -> dict[str, FloatArray]:
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


def run_gravity_draws(
    scenario: GravityScenario,
    draws: int,
    seed: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Draws:
    """Solve ``draws`` parameter draws of a gravity scenario.

    Parameters
    ----------
    scenario : GravityScenario
        With a non-empty ``uncertainty`` block.
    draws : int
    seed : int
        Root of the seed sequence; draw ``d`` uses its ``d``-th child.
    executor : Executor, optional
    progress : callable, optional
        Called with the number of draws solved so far.
    """
    keys = tuple(scenario.uncertainty)
    values = draw_values(list(scenario.uncertainty.values()), seed, range(draws))
    chunks = [
        GravityChunk(scenario, first, values[first : first + CHUNK_DRAWS])
        for first in range(0, draws, CHUNK_DRAWS)
    ]
    done = 0

    def advance(k: int) -> None:
        nonlocal done
        done += len(chunks[k].values)
        if progress is not None:
            progress(done)

    results = (executor or Executor()).map(solve_gravity_chunk, chunks, advance)
    changes = {name: np.concatenate([r[name] for r in results]) for name in BANDED_TABLES}
    return Draws(seed, keys, values, changes)
