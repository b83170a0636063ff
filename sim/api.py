"""The Python API: run a scenario and get its tables as pandas data frames.

``sim.run``, ``sim.load_scenario``, ``sim.compare`` and :class:`Result` are what the
``tradesim`` command line calls too; ``docs/api.md`` shows them at work. pandas (the
``pandas`` extra) is needed only for :meth:`Result.table` and :func:`compare`'s frame.

Examples
--------
>>> import sim
>>> result = sim.run("seafood-ban-lifted")  # doctest: +SKIP
>>> result.table("summary").head()  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.errors import InputError, InputErrors
from sim.optional import need

if TYPE_CHECKING:
    import pandas as pd

    from sim.compare import ResultFolder
    from sim.gravity.scenario import GravityScenario
    from sim.scenario import Scenario
    from sim.tables import Table

FORMATS = ("csv", "parquet")


def load_scenario(scenario: str | Path | Mapping[str, Any]) -> Scenario | GravityScenario:
    """Read, resolve and validate a scenario of either model.

    Parameters
    ----------
    scenario : str, Path or mapping
        A scenario file, the name of a shipped scenario (``"seafood-ban-lifted"``; a path
        that exists wins), or the scenario itself as a mapping of the YAML fields. In a
        mapping, ``extends`` and ``dataset`` are shipped names, packaged datasets or paths
        relative to the current folder.

    Returns
    -------
    Scenario or GravityScenario

    Raises
    ------
    InputError
        With file, line, column and field of the problem.
    """
    from sim.scenarios import load_any_scenario

    if isinstance(scenario, Mapping):
        return _load_mapping(scenario)
    return load_any_scenario(scenario)


def _load_mapping(fields: Mapping[str, Any]) -> Scenario | GravityScenario:
    """A scenario given as a mapping, through a YAML file in a temporary folder."""
    import yaml

    from sim.scenarios import load_any_scenario

    data = dict(fields)
    for key in ("extends", "dataset"):
        value = data.get(key)
        if isinstance(value, str) and Path(value).exists():
            data[key] = str(Path(value).resolve())
    name = str(data.get("name") or "scenario")
    with tempfile.TemporaryDirectory(prefix="tradesim-") as folder:
        path = Path(folder) / f"{Path(name).name or 'scenario'}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        try:
            return load_any_scenario(path)
        except InputErrors as problems:
            raise InputErrors([_in_mapping(e, path, name) for e in problems.errors]) from None
        except InputError as problem:
            raise _in_mapping(problem, path, name) from None


def _in_mapping(error: InputError, path: Path, name: str) -> InputError:
    """An error of the temporary file named as the mapping's field (its lines mean nothing)."""
    if error.path != str(path):
        return error
    return InputError(error.message, path=f"scenario mapping '{name}'", field=error.field)


def measured_against(scenarios: list[Any], against: str | Path) -> list[Any]:
    """The scenarios measured against ``against`` instead of their default comparison run.

    Parameters
    ----------
    scenarios : list of Scenario
    against : str or Path
        ``"no-policy"``, a scenario file or a shipped scenario's name.

    Raises
    ------
    InputError
        For a gravity scenario, which is measured against its baseline trade costs.
    """
    from sim.scenario import NO_POLICY, Scenario
    from sim.scenario import load_scenario as load_pe_scenario

    other = None if str(against) == NO_POLICY else load_pe_scenario(against)
    for scenario in scenarios:
        if not isinstance(scenario, Scenario):
            raise InputError(
                "--against applies to partial-equilibrium scenarios; a gravity scenario is "
                "measured against its baseline trade costs",
                path=scenario.path,
            )
    return [s.against_run(other) for s in scenarios]


@dataclass(frozen=True)
class Result:
    """A solved scenario: its result tables and its ``run.json`` record.

    Attributes
    ----------
    name : str
        The scenario's name.
    tables : dict of str to Table
        File name (``flows.csv``) -> table, as ``tradesim run`` writes them.
    run : dict
        The ``run.json`` record (``against`` names the comparison run).
    scenario : Scenario or GravityScenario
        The resolved scenario.
    """

    name: str
    tables: dict[str, Table]
    run: dict[str, Any]
    scenario: Any

    @property
    def names(self) -> list[str]:
        """The table names, without ``.csv``: ``flows``, ``prices``, ..., ``summary``."""
        return [name.removesuffix(".csv") for name in self.tables]

    def table(self, name: str) -> pd.DataFrame:
        """One result table as a pandas DataFrame, with the columns of its CSV file.

        Parameters
        ----------
        name : str
            ``flows``, ``prices``, ``welfare``, ``indicators``, ``summary`` (``.csv`` may
            be added); with draws kept, also ``draws`` and ``draw_parameters``.

        Returns
        -------
        pandas.DataFrame
            Values at full precision (the CSV files round to six decimals); empty cells
            of the file are NaN.

        Raises
        ------
        InputError
            When pandas is missing or the table does not exist.
        """
        pandas = need("pandas", "pandas", "Result.table")
        return pandas.DataFrame(_columns(self._table(name)), copy=False)

    def _table(self, name: str) -> Table:
        key = name if name.endswith(".csv") else f"{name}.csv"
        if key not in self.tables:
            raise InputError(f"no table '{name}'; this result has: {', '.join(self.names)}")
        return self.tables[key]

    def write(self, folder: str | Path, *, format: str = "csv", force: bool = False) -> Path:
        """Write the result folder ``folder/<name>/`` atomically, as ``tradesim run`` does.

        Parameters
        ----------
        folder : str or Path
            The output folder (``results`` for ``tradesim run``'s default).
        format : {"csv", "parquet"}
            One file per table in either format (Parquet needs the ``pandas`` extra);
            ``run.json`` in both.
        force : bool
            Replace whatever is in the way; without it only an earlier result of the same
            scenario is replaced.

        Returns
        -------
        Path
            The folder written.
        """
        from sim.results import write_results

        if format not in FORMATS:
            raise InputError(f"unknown format '{format}'; allowed: {', '.join(FORMATS)}")
        destination = Path(folder) / self.name
        write_results(destination, self.tables, self.run, force=force, format=format)
        return destination

    def folder(self) -> ResultFolder:
        """The result as :func:`sim.compare.load_results` reads it from its files."""
        from sim.compare import ResultFolder
        from sim.resultread import parse_columns
        from sim.results import table_csv
        from sim.resultschema import schema

        model, periods = str(self.run.get("model", "")), set(self.run.get("periods", []))
        data = {
            name: parse_columns(
                table_csv(table).encode("utf-8"), Path(name), schema(name, model), periods
            )
            for name, table in self.tables.items()
        }
        return ResultFolder(Path(self.name), self.run, data)


def _columns(table: Table) -> dict[str, Any]:
    from sim.csvtext import Labels

    return {
        name: column.values() if isinstance(column, Labels) else column
        for name, column in zip(table.columns, table.data, strict=True)
    }


def run(
    scenario: str | Path | Mapping[str, Any] | Scenario | GravityScenario,
    *,
    against: str | Path | None = None,
    draws: int | None = None,
    seed: int | None = None,
    workers: int | None = None,
    keep_draws: bool = False,
) -> Result:
    """Solve a scenario and return its result tables.

    Parameters
    ----------
    scenario : str, Path, mapping or Scenario
        A scenario file, a shipped scenario's name, a mapping of the YAML fields, or a
        scenario from :func:`load_scenario`.
    against : str or Path, optional
        The comparison run: ``"no-policy"``, a scenario file or a shipped name. Default:
        the scenario it extends, or the no-policy path if it extends none.
    draws : int, optional
        Also solve this many draws of the scenario's ``uncertainty`` block and add the
        mean and the 5th, 50th and 95th percentiles of every change.
    seed : int, optional
        The seed of the draws (a fresh one, recorded in ``run["seed"]``, when not given).
    workers : int, optional
        Solve the draws in this many local processes.
    keep_draws : bool
        Also keep the ``draws`` and ``draw_parameters`` tables.

    Returns
    -------
    Result

    Raises
    ------
    InputError
        Bad input (exit status 2 on the command line).
    SolverError
        A quarter that cannot be solved.

    Examples
    --------
    >>> import sim
    >>> result = sim.run("seafood-ban-lifted")  # doctest: +SKIP
    >>> result.run["against"]["name"]  # doctest: +SKIP
    'baseline'
    """
    from sim.models import run_any

    resolved: Any = scenario
    if not _is_scenario(scenario):
        resolved = load_scenario(scenario)  # type: ignore[arg-type]
    if against is not None:
        (resolved,) = measured_against([resolved], against)
    options = monte_carlo_options(resolved, draws, seed, workers, keep_draws)
    solved = run_any(resolved, options)
    return Result(solved.scenario.name, solved.tables, solved.run, solved.scenario)


def _is_scenario(value: object) -> bool:
    from sim.gravity.scenario import GravityScenario
    from sim.scenario import Scenario

    return isinstance(value, Scenario | GravityScenario)


def monte_carlo_options(
    scenario: Any,
    draws: int | None,
    seed: int | None,
    workers: int | None = None,
    keep_draws: bool = False,
    scheduler: str | None = None,
) -> Any:
    """The Monte Carlo options of a run, or None without draws.

    Raises
    ------
    InputError
        Draws of a scenario without an ``uncertainty`` block, or options without draws.
    """
    if draws is None:
        if seed is not None or workers is not None or keep_draws or scheduler is not None:
            raise InputError("seed, workers, keep_draws and scheduler need draws")
        return None
    if not scenario.uncertainty:
        raise InputError(
            "--draws needs an 'uncertainty' block giving the distributions to draw "
            "from (see docs/uncertainty.md)",
            path=scenario.path,
        )
    from sim.executors import Executor
    from sim.run import MonteCarloOptions
    from sim.uncertainty import new_seed

    executor = Executor(workers, scheduler)
    executor.check()
    return MonteCarloOptions(draws, new_seed() if seed is None else seed, executor, keep_draws)


def compare(
    *results: Result | str | Path, indicators: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Horizon totals of the headline indicators side by side, as ``tradesim compare``.

    Parameters
    ----------
    *results : Result, str or Path
        Two or more results or result folders; the first is the reference. All must be
        measured against the same comparison run.
    indicators : tuple of str, optional
        ``summary.csv`` indicators [default: exports, welfare, satellite_sales, those
        present].

    Returns
    -------
    pandas.DataFrame
        One row per indicator, sector, region and partner; a column per scenario and the
        change and percent change of each against the first.
    """
    from sim.compare import HEADLINE_INDICATORS, headline, indicators_of, load_results

    if len(results) < 2:
        raise InputError("compare needs at least two results")
    folders = [r.folder() if isinstance(r, Result) else load_results(Path(r)) for r in results]
    names = [f.name for f in folders]
    # the same scenario twice (before and after a change): told apart by position
    folders = [
        replace(f, label=f"{f.name} ({k})") if names.count(f.name) > 1 else f
        for k, f in enumerate(folders, start=1)
    ]
    if indicators is None:
        present = set(indicators_of(folders))
        indicators = tuple(name for name in HEADLINE_INDICATORS if name in present)
    table = headline(folders, indicators)
    pandas = need("pandas", "pandas", "sim.compare")
    return pandas.DataFrame(table.rows, columns=list(table.columns))
