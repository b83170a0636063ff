"""Several scenarios as one unit: all checked before any is solved, all written or none.

What ``tradesim run`` does between parsing its options and printing its summaries, as
functions the command line and tests call alike. Models and readers are imported inside
the functions, so that importing this module stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

from sim.errors import InputError, InputErrors

Progress = Callable[[int], None]
# scenario name, number of draws -> a context giving the progress callback (or None)
ProgressOf = Callable[[str, int], AbstractContextManager[Progress | None]]


def load_all(paths: Iterable[str | Path]) -> list[Any]:
    """Resolve every scenario, reporting the problems of all files together.

    Parameters
    ----------
    paths : iterable of str or Path
        Scenario files or shipped scenarios' names.

    Returns
    -------
    list of Scenario or GravityScenario
        In the order of ``paths``.

    Raises
    ------
    InputError
        The one problem, or :class:`InputErrors` holding every problem of every file.
    """
    from sim.scenarios import load_any_scenario

    loaded, problems = [], []
    for path in paths:
        try:
            loaded.append(load_any_scenario(path))
        except InputErrors as error:
            problems.extend(error.errors)
        except InputError as error:
            problems.append(error)
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise InputErrors(problems)
    return loaded


def check_batch(
    scenarios: Sequence[Any], out: Path, *, force: bool, draws: int | None = None
) -> None:
    """Refuse a batch that could not be written whole, before anything is solved.

    Parameters
    ----------
    scenarios : sequence of resolved scenarios
    out : Path
        The folder each scenario's result folder is written in.
    force : bool
        Replace whatever is in the way of a result folder.
    draws : int, optional
        The draws asked for; each scenario then needs an ``uncertainty`` block.

    Raises
    ------
    InputError
        Two scenarios of one name (their folders would collide), a destination in the
        way, or draws of a scenario with nothing to draw.
    """
    from sim.results import check_destination

    names = [s.name for s in scenarios]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"two scenarios are named '{duplicates[0]}'; names must differ")
    for scenario in scenarios:
        check_destination(out / scenario.name, force=force)
        if draws is not None and not scenario.uncertainty:
            raise InputError(
                "--draws needs an 'uncertainty' block giving the distributions to draw "
                "from (see docs/uncertainty.md)",
                path=scenario.path,
            )


def solve_batch(
    scenarios: Sequence[Any], monte_carlo: Any = None, progress_of: ProgressOf | None = None
) -> list[Any]:
    """Solve every scenario through its model, before any is written.

    Parameters
    ----------
    scenarios : sequence of resolved scenarios
    monte_carlo : MonteCarloOptions, optional
        The draws of every scenario (None: the central run only).
    progress_of : callable, optional
        Given a scenario's name and its number of draws, a context manager that yields
        the progress callback of its draws.

    Returns
    -------
    list
        The models' run results, in the order of ``scenarios``.
    """
    from sim.models import run_any

    results = []
    for scenario in scenarios:
        if monte_carlo is None:
            results.append(run_any(scenario))
            continue
        watch = progress_of or (lambda name, total: nullcontext(None))
        with watch(scenario.name, monte_carlo.draws) as progress:
            results.append(run_any(scenario, monte_carlo.with_progress(progress)))
    return results


def write_batch(results: Sequence[Any], out: Path, *, force: bool, format: str = "csv") -> None:
    """Write every result folder under ``out``; a folder that cannot be written undoes all.

    Parameters
    ----------
    results : sequence of run results
        From :func:`solve_batch`.
    out : Path
    force : bool
    format : {"csv", "parquet"}
    """
    from sim.results import write_result_folders

    write_result_folders(
        [(out / r.scenario.name, r.tables, r.run) for r in results], force=force, format=format
    )
