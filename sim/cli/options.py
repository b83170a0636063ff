"""The options several commands share, each declared once, and the rules that go with them.

A command takes a shared option by decorating itself with the factory here, so that its
name, type, default and help cannot drift from one command to the next. Help texts that
depend on what the command writes (``--out``, ``--force``, ``--format``) are the one thing
a command passes in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

SEED_HELP = (
    "Seed of the random numbers: the same seed gives the same output (with any executor). "
    "Without it a new seed is chosen and shown in the output, so that it can be repeated."
)
WORKERS_HELP = "Solve in this many local processes."
SCHEDULER_HELP = "Solve on a Dask cluster (tcp://host:8786); needs tradesim[dask]."
QUIET_HELP = "No progress lines on standard error while solving."
DRAWS_HELP = (
    "Also solve this many parameter draws from the scenario's uncertainty block and "
    "add mean, p05, p50 and p95 of each change to summary.csv and indicators.csv."
)


def seed_option() -> Callable[[F], F]:
    """``--seed S``: no default; :func:`chosen_seed` applies the one rule when it is absent."""
    return click.option("--seed", type=click.IntRange(min=0), default=None, help=SEED_HELP)


def workers_option() -> Callable[[F], F]:
    """``--workers N``: local worker processes."""
    return click.option("--workers", type=click.IntRange(min=1), default=None, help=WORKERS_HELP)


def scheduler_option() -> Callable[[F], F]:
    """``--scheduler ADDRESS``: a Dask scheduler."""
    return click.option("--scheduler", metavar="ADDRESS", default=None, help=SCHEDULER_HELP)


def quiet_option() -> Callable[[F], F]:
    """``--quiet``: silence the progress lines of :class:`sim.cli.common._progress`."""
    return click.option("--quiet", is_flag=True, help=QUIET_HELP)


def draws_option() -> Callable[[F], F]:
    """``--draws N``: the number of Monte Carlo draws."""
    return click.option("--draws", type=click.IntRange(min=1), default=None, help=DRAWS_HELP)


def force_option(help: str) -> Callable[[F], F]:
    """``--force``: a flag; ``help`` says what it replaces."""
    return click.option("--force", is_flag=True, help=help)


def out_folder_option(help: str) -> Callable[[F], F]:
    """``--out FOLDER``: the folder results are written in, ``results`` by default."""
    return click.option(
        "--out",
        "out",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("results"),
        show_default=True,
        help=help,
    )


def out_file_option(
    help: str, *, required: bool = False, aliases: tuple[str, ...] = ()
) -> Callable[[F], F]:
    """``--out FILE``: the one file a command writes (optional unless ``required``)."""
    short = [a for a in aliases if not a.startswith("--")]
    long = [a for a in aliases if a.startswith("--")]
    return click.option(
        *short,
        "--out",
        *long,
        "out",
        type=click.Path(dir_okay=False, path_type=Path),
        required=required,
        default=None,
        help=help,
    )


def format_option(choices: list[str], help: str | None = None) -> Callable[[F], F]:
    """``--format``: the first choice is the default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help=help,
    )


def chosen_seed(seed: int | None) -> int:
    """``seed``, or a new one from the operating system's entropy when it is None.

    The one seed rule of every command: an explicit seed is used as it is; without one a
    seed is chosen here, and the command shows it in its output (``run`` on its first line,
    ``sensitivity`` and ``synth`` on their one summary line) and records it where it writes
    one (run.json, the synthetic dataset's source), so that nothing random is unrepeatable.
    """
    if seed is not None:
        return seed
    from sim.uncertainty import new_seed

    return new_seed()


def checked_executor(workers: int | None, scheduler: str | None) -> Any:
    """The :class:`sim.executors.Executor` of ``--workers`` and ``--scheduler``, checked."""
    from sim.executors import Executor

    executor = Executor(workers, scheduler)
    executor.check()
    return executor


def plot_option(help: str) -> Callable[[F], F]:
    """``--plot FILE.png``: also draw a figure."""
    return click.option(
        "--plot", "plot", type=click.Path(dir_okay=False, path_type=Path), help=help
    )


def folders_argument() -> Callable[[F], F]:
    """``FOLDERS...``: one or more result folders (checked by the reader, not by click)."""
    return click.argument(
        "folders", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path)
    )


def scenarios_argument() -> Callable[[F], F]:
    """``SCENARIOS...``: scenario files or shipped names (checked by the loader, not by click)."""
    return click.argument(
        "scenarios", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path)
    )
