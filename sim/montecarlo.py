"""Monte Carlo runs: solve a scenario for many parameter draws and summarise the spread.

The draws are split into chunks of :data:`CHUNK_DRAWS` consecutive draw indices; each
chunk is solved by :func:`solve_chunk`, a pure function of the scenario and the chunk's
parameter values, so the numbers are the same whichever executor runs the chunks. Every
draw solves the scenario's whole quarterly path (and its no-policy counterpart) with the
drawn parameters and keeps the ``change`` column of ``summary.csv`` and
``indicators.csv``; those columns, stacked over draws, give the bands.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.errors import DrawError, SolverError
from sim.executors import Executor
from sim.model import FloatArray
from sim.scenario import Scenario
from sim.tables import Table, indicators_table, summary_table
from sim.uncertainty import draw_values

CHUNK_DRAWS = 50
BANDED_TABLES = ("summary.csv", "indicators.csv")


@dataclass(frozen=True)
class Chunk:
    """Consecutive draws of one run: their first index and parameter values."""

    scenario: Scenario
    first: int
    values: FloatArray


@dataclass(frozen=True)
class Draws:
    """The outcome of a Monte Carlo run.

    Attributes
    ----------
    seed : int
    keys : tuple of str
        Parameter keys, the columns of ``values``.
    values : ndarray, shape (draw, parameter)
    changes : dict
        Table name -> ndarray, shape (draw, row): each row's ``change`` in each draw, rows
        in the order of the central table.
    """

    seed: int
    keys: tuple[str, ...]
    values: FloatArray
    changes: dict[str, FloatArray]


def draw_tables(scenario: Scenario) -> dict[str, Table]:
    """Solve one parameter set and build the tables whose rows get bands."""
    from sim.run import solve_scenario

    path = solve_scenario(scenario)
    indicators = indicators_table(scenario.dataset, path)
    return {
        "summary.csv": summary_table(scenario.dataset, path, indicators),
        "indicators.csv": indicators,
    }


def solve_chunk(chunk: Chunk) -> dict[str, FloatArray]:
    """Each draw's ``change`` column of the banded tables, shape (draw, row).

    Raises
    ------
    DrawError
        Naming the draw and its parameter values when a draw cannot be solved.
    """
    keys = tuple(chunk.scenario.uncertainty)
    columns: dict[str, list[FloatArray]] = {name: [] for name in BANDED_TABLES}
    for offset, row in enumerate(chunk.values):
        values = dict(zip(keys, map(float, row), strict=True))
        try:
            tables = draw_tables(chunk.scenario.with_values(values))
        except SolverError as error:
            drawn = ", ".join(f"{k}={v:.6g}" for k, v in values.items())
            raise DrawError(f"draw {chunk.first + offset} ({drawn}): {error}") from None
        for name in BANDED_TABLES:
            table = tables[name]
            change = table.columns.index("change")
            columns[name].append(np.array([float(r[change]) for r in table.rows]))
    return {name: np.array(rows).reshape(len(chunk.values), -1) for name, rows in columns.items()}


def run_draws(
    scenario: Scenario,
    draws: int,
    seed: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
) -> Draws:
    """Solve ``draws`` parameter draws of a scenario.

    Parameters
    ----------
    scenario : Scenario
        With a non-empty ``uncertainty`` block.
    draws : int
        Number of draws.
    seed : int
        Root of the seed sequence; draw ``d`` uses its ``d``-th child.
    executor : Executor, optional
        In-process by default.
    progress : callable, optional
        Called with the number of draws solved so far as chunks complete.

    Returns
    -------
    Draws
    """
    keys = tuple(scenario.uncertainty)
    values = draw_values(list(scenario.uncertainty.values()), seed, range(draws))
    chunks = [
        Chunk(scenario, first, values[first : first + CHUNK_DRAWS])
        for first in range(0, draws, CHUNK_DRAWS)
    ]
    done = 0

    def advance(k: int) -> None:
        nonlocal done
        done += len(chunks[k].values)
        if progress is not None:
            progress(done)

    results = (executor or Executor()).map(solve_chunk, chunks, advance)
    changes = {name: np.concatenate([result[name] for result in results]) for name in BANDED_TABLES}
    return Draws(seed, keys, values, changes)
