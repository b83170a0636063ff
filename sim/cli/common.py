"""What every command shares: one-line failures, loading scenarios, progress lines."""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sim.errors import TradesimError

F = TypeVar("F", bound=Callable[..., Any])


class _InputFailure(click.ClickException):
    """Bad input: one line, exit status 2."""

    exit_code = 2


class _RuntimeFailure(click.ClickException):
    """A run that could not finish: one line, exit status 1."""

    exit_code = 1


def _reported(command: F) -> F:
    """Turn the TradesimError family into one-line messages; bugs keep their traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except TradesimError as error:
            if click.get_current_context().find_root().params.get("debug"):
                raise
            failure = _InputFailure if error.exit_code == 2 else _RuntimeFailure
            # several problems of one file: one "Error:" line each
            raise failure(str(error).replace("\n", "\nError: ")) from None

    return wrapper  # type: ignore[return-value]


class _progress:
    """Progress on stderr while draws or sensitivity points are solved.

    A bar on a terminal; elsewhere (a log, a pipe, a notebook) a line at every tenth of
    the work, so that long runs show they are alive. ``quiet`` silences both.
    """

    def __init__(self, total: int, label: str, *, quiet: bool = False, noun: str = "draws") -> None:
        self.total, self.label, self.quiet, self.noun = total, label, quiet, noun
        self.bar: Any = None

    def __enter__(self) -> Callable[[int], None] | None:
        if self.quiet or self.total <= 0:
            return None
        if not sys.stderr.isatty():
            return self._lines()
        self.bar = click.progressbar(
            length=self.total, label=f"{self.label}: {self.noun}", file=sys.stderr
        ).__enter__()
        shown = 0

        def update(done: int) -> None:
            nonlocal shown
            self.bar.update(done - shown)
            shown = done

        return update

    def _lines(self) -> Callable[[int], None]:
        step = max(1, math.ceil(self.total / 10))
        next_line = step

        def update(done: int) -> None:
            nonlocal next_line
            if done >= next_line or (done == self.total and next_line <= self.total):
                click.echo(f"{self.label}: {done}/{self.total} {self.noun} solved", err=True)
                next_line = (done // step + 1) * step
                if done == self.total:
                    next_line = self.total + 1

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _count(n: int, noun: str) -> str:
    return (
        f"{n} {noun}" if n == 1 else f"{n} {noun[:-1]}ies" if noun.endswith("y") else f"{n} {noun}s"
    )


def _load_all(paths: tuple[Path, ...]) -> list[Any]:
    """Resolve every scenario, reporting the problems of all files together."""
    from sim.batch import load_all

    return load_all(paths)


def _result_folders(folders: tuple[Path, ...], keep: tuple[str, ...] | None = None) -> list[Any]:
    from sim.compare import labelled, load_results

    return labelled([load_results(folder, keep) for folder in folders])
