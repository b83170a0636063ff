"""Exceptions raised by tradesim.

Every error a user can cause is an :class:`InputError` (exit status 2); a model that
cannot be solved raises :class:`SolverError` (exit status 1). The command-line layer turns
the :class:`TradesimError` family into one-line messages; anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

from pathlib import Path


class TradesimError(Exception):
    """Base class of the errors tradesim reports to its user."""

    exit_code = 1


class InputError(TradesimError):
    """A scenario, dataset or option the user gave is wrong.

    Parameters
    ----------
    message : str
        What is wrong and, where it helps, what is allowed.
    path : Path or str, optional
        The file in which the error is.
    line, column : int, optional
        One-based position of the offending value in ``path``.
    field : str, optional
        Dotted path of the offending field, e.g. ``policies[0].sector``.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.column = column
        self.field = field
        super().__init__(self.format())

    def __reduce__(self) -> tuple[object, ...]:
        # An error raised in a worker process crosses back pickled; the default rebuilds it
        # from its message alone, which the keyword-only fields do not allow.
        fields = (self.message, self.path, self.line, self.column, self.field)
        return (_rebuilt_input_error, (type(self), *fields))

    def format(self) -> str:
        """Return the one-line message ``FILE:LINE:COL: field: message``."""
        where = ""
        if self.path is not None:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class DatasetError(InputError):
    """A dataset is malformed or fails one of its consistency checks."""


class SolverError(TradesimError):
    """The equilibrium could not be found to the required tolerance.

    Parameters
    ----------
    sector : str
        Sector whose market did not clear.
    period : str
        Quarter in which it failed, e.g. ``2023Q3``.
    residual : float
        Largest absolute log gap between demand and supply at the last iterate.
    """

    exit_code = 1

    def __init__(self, sector: str, period: str, residual: float) -> None:
        self.sector = sector
        self.period = period
        self.residual = residual
        super().__init__(
            f"no equilibrium for sector '{sector}' in {period}: "
            f"demand and supply still differ by {residual:.3g} (log) where the solver stopped"
        )

    def __reduce__(self) -> tuple[object, ...]:
        # rebuilt from its fields, not its message, when it crosses from a worker process
        return (type(self), (self.sector, self.period, self.residual))


class GravitySolverError(TradesimError):
    """The structural-gravity equilibrium could not be found to the required tolerance."""

    exit_code = 1


class DrawError(TradesimError):
    """One parameter draw of a Monte Carlo run could not be solved (names the draw)."""

    exit_code = 1


class WriteError(TradesimError):
    """A file or folder could not be written (full disk, read-only folder, ...): exit 1."""

    exit_code = 1


class ResultFolderError(InputError):
    """A folder given as a result folder is missing files or holds damaged ones."""


class ResultsExistError(InputError):
    """A result folder already exists and ``--force`` was not given."""


class InputErrors(InputError):
    """Several independent problems found in one input, reported together.

    Parameters
    ----------
    errors : list of InputError
        The problems, in the order of the file.
    """

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = sorted(errors, key=lambda e: (e.path or "", e.line or 0, e.column or 0))
        first = self.errors[0]
        super().__init__(
            first.message, path=first.path, line=first.line, column=first.column, field=first.field
        )

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.errors,))

    def lines(self) -> list[str]:
        """One formatted line per problem."""
        return [error.format() for error in self.errors]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def _rebuilt_input_error(
    kind: type[InputError],
    message: str,
    path: str | None,
    line: int | None,
    column: int | None,
    field: str | None,
) -> InputError:
    """An :class:`InputError` of ``kind`` again, from the fields it was pickled with."""
    error = InputError.__new__(kind)
    InputError.__init__(error, message, path=path, line=line, column=column, field=field)
    return error
