"""Monte Carlo runs: solve a scenario for many parameter draws and summarise the spread.

The draws are split into chunks of consecutive draw indices, as many per chunk as fit the
memory budget :data:`CHUNK_BYTES` (:func:`draws_per_chunk`); each chunk is solved by
:func:`solve_chunk`, a pure function of the scenario and the chunk's parameter values, and
a draw's numbers do not depend on the other draws of its chunk, so they are the same
whichever executor runs the chunks and however the draws are split. Every
draw solves the scenario's whole quarterly path and its comparison run's with the drawn
parameters (common random numbers) and keeps the ``change`` column of ``summary.csv`` and
``indicators.csv``; those columns, stacked over draws, give the bands of the difference.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from sim.datatypes import ELASTICITIES, Dataset
from sim.drawfigures import banded_changes, welfare_totals
from sim.drawsectors import kept_routes, kept_sectors, spread_path, varying_sectors
from sim.errors import DrawError, InputError, SolverError
from sim.executors import Executor
from sim.model import Baseline, FloatArray
from sim.policy import Target, target
from sim.processing import Routes, processing_baseline
from sim.quarters import quarter_range
from sim.scenario import PolicySpec, Scenario
from sim.scenario_path import solve_scenario
from sim.sector_parts import IntArray
from sim.tables import (
    Row,
    Table,
    indicator_frame,
    indicators_table,
    satellite_rows,
    summary_frame,
    summary_table,
)
from sim.timepath import (
    ElasticityPaths,
    PathSolution,
    PeriodSolution,
    Segment,
    Starts,
    elasticity_paths,
    growth_rates,
    solve_markets,
)
from sim.uncertainty import draw_values

# Memory a chunk's solve may hold: its draws' paths and the solver's working arrays. Each
# chunk pays a fixed cost (Python's part of solving a path, about 60 ms for the shipped
# scenario), so fewer, larger chunks are faster: 10,000 draws in 54 chunks of 128 MB took
# 18.7 s, in 8 chunks of 768 MB 15.5 s, for about the same peak (the draws' own array,
# 8 x draws x rows, is the larger part of it).
CHUNK_BYTES = 512 * 2**20
# Arrays of one value per flow cell (sector, origin, destination) that one draw's stacked
# path holds: two paths of 16 quarters, about 1.2 parts a quarter, about 12 arrays a part
# (equilibrium, policy state, route shares, adjustment memory), and the solver's working
# arrays. An estimate for the budget, measured on the shipped scenarios, not a limit.
CELL_ARRAYS_PER_DRAW = 500
# At least this many chunks when there are enough draws, so that workers share the work
# and progress is reported as it goes.
MIN_CHUNKS = 8
BANDED_TABLES = ("summary.csv", "indicators.csv")
POLICY_NUMBERS = (
    "coverage",
    "rate",
    "increase",
    "tax_equivalent",
    "cost",
    "change",
    "share",
    "volume",
    "spending",
)


@dataclass(frozen=True)
class Chunk:
    """Consecutive draws of one run: their first index and parameter values.

    ``scenario`` is a :class:`~sim.scenario.Scenario` or a gravity scenario; the chunk
    solver passed to :func:`solve_in_chunks` knows which. ``starts`` are the central
    run's log prices the draws' solves start from (:func:`central_starts`), the same for
    every chunk of a run; ``None``: the chunk solves the central run itself.
    """

    scenario: Any
    first: int
    values: FloatArray
    starts: Starts | None = None


ChunkSolver = Callable[[Chunk], dict[str, FloatArray]]


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


def draw_tables(scenario: Scenario, starts: Starts | None = None) -> dict[str, Table]:
    """Solve one parameter set and build the tables whose rows get bands.

    ``starts``: the central run's log prices (:func:`central_starts`), to solve the set
    as a draw of a Monte Carlo run solves it; by default as an ordinary run.
    """
    path = solve_scenario(scenario, starts)
    indicators = indicators_table(scenario.dataset, path)
    return {
        "summary.csv": summary_table(scenario.dataset, path),
        "indicators.csv": indicators,
    }


def central_starts(scenario: Scenario, path: PathSolution | None = None) -> Starts:
    """The central run's log prices of every quarter part, by run and first day.

    A draw's parameters are near the central ones, so its prices are near the central
    run's in the same quarter and part: Newton started there needs fewer iterations than
    from the previous quarter's prices or from zeros. The solution is the same to the
    solver's tolerance whatever the start; the bits depend on it, so every chunk of a run
    must be given the same starts (:func:`solve_in_chunks` solves them once). ``path``:
    the scenario's own solution (:func:`~sim.scenario_path.solve_scenario`), when at hand.
    """
    if path is None:
        path = solve_scenario(scenario)

    def by_day(period: PeriodSolution) -> dict[Any, FloatArray]:
        return {s.days[0]: s.equilibrium.log_price for s in period.segments}

    return [
        (by_day(mine), by_day(theirs))
        for mine, theirs in zip(path.scenario, path.reference, strict=True)
    ]


def solve_chunk(chunk: Chunk) -> dict[str, FloatArray]:
    """Each draw's ``change`` column of the banded tables, shape (draw, row).

    The draws' markets are stacked along the sector axis and solved together; every
    sector's Newton iterations are its own, so a draw's numbers do not depend on the other
    draws of its chunk.

    Raises
    ------
    DrawError
        Naming the draw and its parameter values when a draw cannot be solved.
    """
    keys = tuple(chunk.scenario.uncertainty)
    drawn = [
        chunk.scenario.with_values(dict(zip(keys, map(float, row), strict=True)))
        for row in chunk.values
    ]
    try:
        starts = chunk.starts if chunk.starts is not None else central_starts(chunk.scenario)
        kept = _solve_kept(chunk.scenario, drawn, chunk.first, starts)
    except SolverError as error:
        d = int(error.sector.rsplit(" ", 1)[1].rstrip(")")) - chunk.first
        values = ", ".join(f"{k}={v:.6g}" for k, v in zip(keys, chunk.values[d], strict=True))
        raise DrawError(f"draw {chunk.first + d} ({values}): {error}") from None
    # Welfare is sector by sector: computed once for the solved sectors, then spread.
    welfare_total = welfare_totals(kept.path)[:, kept.source]
    return _banded(chunk.scenario.dataset, kept.spread(), len(drawn), welfare_total)


def _banded(
    dataset: Dataset, stacked: PathSolution, draws: int, welfare_total: FloatArray
) -> dict[str, FloatArray]:
    """Each draw's ``change`` of the banded tables from the chunk's stacked path."""
    n_sectors = len(dataset.sectors)

    def row_keys() -> dict[str, list[Row]]:
        # Every draw has the same rows: their keys, hence their order, come from the first.
        first = _draw_path(stacked, slice(0, n_sectors), dataset.routes, 0)
        satellites = satellite_rows(dataset, first)
        return {
            "summary.csv": summary_frame(dataset, first, satellites, welfare_total[:, :n_sectors])[
                0
            ],
            "indicators.csv": indicator_frame(dataset, first, satellites)[0],
        }

    return banded_changes(dataset, stacked, draws, welfare_total, row_keys)


@dataclass(frozen=True)
class _Kept:
    """A chunk's path solved for its kept sectors (:mod:`sim.drawsectors`), to be spread."""

    path: PathSolution
    baseline: Baseline
    source: IntArray
    routes: Routes
    route_source: IntArray

    def spread(self, *, everything: bool = False) -> PathSolution:
        """The path of the whole stack, every draw's sectors in their place.

        Without ``everything``, what the banded figures read (:func:`spread_path`).
        """
        return spread_path(
            self.path,
            self.baseline,
            self.source,
            self.routes,
            self.route_source,
            everything=everything,
        )


def _solve_kept(
    scenario: Scenario, drawn: list[Scenario], first: int, starts: Starts | None = None
) -> _Kept:
    """Solve the draws' stacked sectors that differ, and the others in the first draw.

    ``starts`` are the central run's (:func:`central_starts`): each kept sector starts
    from its own sector's central prices.
    """
    dataset = scenario.dataset
    n = len(drawn)
    paths = [elasticity_paths(dataset, draw.parameters) for draw in drawn]
    stacked_paths = ElasticityPaths(
        {e: np.concatenate([p.short_run[e] for p in paths]) for e in ELASTICITIES},
        {e: np.concatenate([p.long_run[e] for p in paths]) for e in ELASTICITIES},
        np.concatenate([p.half_life for p in paths]),
    )
    rates = np.concatenate([growth_rates(dataset, draw.demand_growth) for draw in drawn])
    policies, targets = _stacked_policies(dataset, [draw.policies for draw in drawn])
    # The comparison run takes the same draws, so the bands are bands of the difference.
    comparison, comparison_targets = _stacked_policies(
        dataset, [() if d.comparison is None else d.comparison.policies for d in drawn]
    )
    names = tuple(f"{s} (draw {first + d})" for d in range(n) for s in dataset.sectors)
    one = processing_baseline(dataset.flows, dataset.tariffs, dataset.routes)
    baseline = Baseline(
        np.tile(one.flows, (n, 1, 1)),
        np.tile(one.tariffs, (n, 1, 1)),
        None if one.levels is None else np.tile(one.levels, (n, 1, 1)),
    )
    routes = dataset.routes.tiled(n, len(dataset.sectors))
    # Sectors no draw changes are solved in the first draw only and shared.
    varying = varying_sectors(
        n,
        stacked_paths,
        rates,
        [*zip(policies, targets, strict=True), *zip(comparison, comparison_targets, strict=True)],
        POLICY_NUMBERS,
    )
    kept, source = kept_sectors(varying, n)
    solved_routes, route_source = kept_routes(routes, kept, source)
    solved = solve_markets(
        _cut(baseline, kept),
        ElasticityPaths(
            {e: v[kept] for e, v in stacked_paths.short_run.items()},
            {e: v[kept] for e, v in stacked_paths.long_run.items()},
            stacked_paths.half_life[kept],
        ),
        rates[kept],
        [_cut(p, kept) for p in policies],
        [Target(t.cells[kept], t.rows[kept]) for t in targets],
        tuple(quarter_range(scenario.start, scenario.end)),
        tuple(names[k] for k in kept),
        [_cut(p, kept) for p in comparison],
        [Target(t.cells[kept], t.rows[kept]) for t in comparison_targets],
        solved_routes,
        starts=None if starts is None else _stacked_starts(starts, kept % len(dataset.sectors)),
    )
    return _Kept(solved, baseline, source, routes, route_source)


def _stacked_starts(starts: Starts, sectors: IntArray) -> Starts:
    """The central starts of each stacked sector, ``sectors`` its sector in the dataset."""

    def take(run: Mapping[Any, FloatArray]) -> dict[Any, FloatArray]:
        return {day: np.take(x, sectors, axis=0) for day, x in run.items()}

    return [(take(mine), take(theirs)) for mine, theirs in starts]


def _stacked_policies(
    dataset: Dataset, drawn: list[tuple[PolicySpec, ...]]
) -> tuple[list[PolicySpec], list[Target]]:
    """Each policy once, its drawn numbers as one value per stacked sector, and its masks."""
    n = len(drawn)
    policies = []
    for k, policy in enumerate(drawn[0]):
        varying: dict[str, Any] = {}
        for name in POLICY_NUMBERS:
            column = [getattr(draw[k], name) for draw in drawn]
            if any(v != getattr(policy, name) for v in column):
                varying[name] = np.repeat(np.array(column, dtype=float), len(dataset.sectors))
        policies.append(replace(policy, **varying) if varying else policy)
    targets = []
    for policy in drawn[0]:
        where = target(
            policy.type,
            policy.sectors,
            policy.exporters,
            policy.importers,
            dataset.sectors,
            dataset.regions,
        )
        targets.append(Target(np.tile(where.cells, (n, 1, 1)), np.tile(where.rows, (n, 1))))
    return policies, targets


def _cut(record: Any, part: slice | IntArray) -> Any:
    """A dataclass of per-sector arrays restricted to some sectors."""
    arrays = {
        f.name: getattr(record, f.name)[part]
        for f in fields(record)
        if isinstance(getattr(record, f.name), np.ndarray)
    }
    return replace(record, **arrays)


def _draw_path(path: PathSolution, part: slice, routes: Routes, draw: int) -> PathSolution:
    """One draw's path out of a stacked solution; ``routes`` are the dataset's own."""
    mine = slice(draw * len(routes), (draw + 1) * len(routes))

    def shares(segment: Segment) -> FloatArray | None:
        return None if segment.route_shares is None else segment.route_shares[mine]

    def periods(solutions: tuple[PeriodSolution, ...]) -> tuple[PeriodSolution, ...]:
        return tuple(
            PeriodSolution(
                p.quarter,
                _cut(p.elasticities, part),
                tuple(
                    replace(
                        s,
                        policy=_cut(s.policy, part),
                        equilibrium=_cut(s.equilibrium, part),
                        route_shares=shares(s),
                    )
                    for s in p.segments
                ),
                routes if p.routes is not None else None,
            )
            for p in solutions
        )

    return PathSolution(
        _cut(path.baseline, part), path.quarters, periods(path.scenario), periods(path.reference)
    )


def draws_per_chunk(scenario: Any, draws: int) -> int:
    """How many draws a chunk solves together: as many as :data:`CHUNK_BYTES` allows.

    The bytes of one draw are estimated from the number of flow cells of the scenario's
    dataset (:data:`CELL_ARRAYS_PER_DRAW` float64 arrays of that size); a chunk holds at
    least one draw, and there are at least :data:`MIN_CHUNKS` chunks when there are that
    many draws. The chunks are then made as even as they can be (10,000 draws in 14 chunks
    of at most 745 draws: 715 each, not 13 of 745 and one of 315), so that workers finish
    together. The choice affects time and memory only, never the numbers.
    """
    flows = getattr(getattr(scenario, "dataset", None), "flows", None)
    cells = int(np.size(flows)) if flows is not None else 1
    fit = max(1, CHUNK_BYTES // (8 * CELL_ARRAYS_PER_DRAW * max(cells, 1)))
    largest = max(1, min(fit, -(-draws // MIN_CHUNKS)))
    chunks = -(-draws // largest)
    return max(1, -(-draws // max(chunks, 1)))


def solve_in_chunks(
    solver: ChunkSolver,
    scenario: Any,
    values: FloatArray,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_draws: int | None = None,
    central: PathSolution | None = None,
) -> dict[str, FloatArray]:
    """Solve parameter points in chunks on an executor.

    Parameters
    ----------
    solver : callable
        A module-level chunk solver (:func:`solve_chunk`, or the gravity model's).
    scenario : Scenario or GravityScenario
    values : ndarray, shape (point, parameter)
        In the order of the scenario's ``uncertainty`` keys.
    executor : Executor, optional
        In-process by default.
    progress : callable, optional
        Called with the number of points solved so far as chunks complete.
    chunk_draws : int, optional
        Points per chunk; :func:`draws_per_chunk` by default.
    central : PathSolution, optional
        The scenario's own solution, when at hand (the draws start from its prices).

    Returns
    -------
    dict
        Table name -> ndarray, shape (point, row): each row's ``change`` at each point,
        ``8 x points x rows`` bytes.
    """
    size = chunk_draws or draws_per_chunk(scenario, len(values))
    # Solved once here and sent with every chunk: the same starts, hence the same bits,
    # whichever executor and chunk size.
    starts = central_starts(scenario, central) if isinstance(scenario, Scenario) else None
    chunks = [
        Chunk(scenario, first, values[first : first + size], starts)
        for first in range(0, len(values), size)
    ]
    done = 0
    out: dict[str, FloatArray] = {}

    def store(k: int, result: dict[str, FloatArray]) -> None:
        # Each chunk's result is copied into place as it arrives and let go: the draws are
        # held once, and copied while other chunks are still being solved.
        nonlocal done
        chunk = chunks[k]
        for name in BANDED_TABLES:
            if name not in out:
                out[name] = np.empty((len(values), result[name].shape[1]))
            out[name][chunk.first : chunk.first + len(chunk.values)] = result[name]
        done += len(chunk.values)
        if progress is not None:
            progress(done)

    def describe(k: int) -> str:
        first = chunks[k].first
        return f"draws {first}-{first + len(chunks[k].values) - 1}"

    (executor or Executor()).for_each(solver, chunks, store, describe)
    return out


def run_draws(
    scenario: Any,
    draws: int,
    seed: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    solver: ChunkSolver = solve_chunk,
    chunk_draws: int | None = None,
    central: PathSolution | None = None,
) -> Draws:
    """Solve ``draws`` parameter draws of a scenario.

    Parameters
    ----------
    scenario : Scenario or GravityScenario
        With a non-empty ``uncertainty`` block.
    draws : int
        Number of draws.
    seed : int
        Root of the seed sequence; draw ``d`` uses its ``d``-th child.
    executor : Executor, optional
        In-process by default.
    progress : callable, optional
        Called with the number of draws solved so far as chunks complete.
    solver : callable
        The chunk solver of the scenario's model.
    chunk_draws : int, optional
        Draws per chunk; chosen from the memory budget by default (:func:`draws_per_chunk`).
    central : PathSolution, optional
        The scenario's own solution, when at hand (see :func:`solve_in_chunks`).

    Returns
    -------
    Draws

    Raises
    ------
    InputError
        When the scenario has no ``uncertainty`` block.
    """
    if not scenario.uncertainty:
        raise InputError(
            "--draws needs an 'uncertainty' block giving the distributions to draw from "
            "(see docs/uncertainty.md)",
            path=scenario.path,
        )
    keys = tuple(scenario.uncertainty)
    values = draw_values(list(scenario.uncertainty.values()), seed, range(draws))
    changes = solve_in_chunks(solver, scenario, values, executor, progress, chunk_draws, central)
    return Draws(seed, keys, values, changes)
