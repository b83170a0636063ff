"""The ``tradesim`` command line: parse, call, print. No economics here.

Only click and :mod:`sim.errors` are imported at module level so that ``tradesim --help``
stays fast; numpy, scipy and YAML are imported inside the commands.
"""

from __future__ import annotations

import functools
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sim._version import __version__
from sim.errors import TradesimError

F = TypeVar("F", bound=Callable[..., Any])
WELFARE_REGIONS_SHOWN = 12


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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tradesim")
@click.option("--debug", is_flag=True, help="Show the traceback of an error.")
def main(debug: bool) -> None:
    """Tradesim: simulate trade-policy scenarios on a quarterly path.

    \b
    Example:
        tradesim run scenarios/seafood-ban-lifted.yaml
        tradesim sources
    """
    from sim.files import install_signal_cleanup

    install_signal_cleanup()


@main.command()
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path)
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Folder in which <scenario name>/ is written.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace whatever is in the way; without it a run replaces only its own earlier "
    "result of the same scenario.",
)
@click.option(
    "--against",
    metavar="SCENARIO.yaml|no-policy",
    help="Measure the results against this scenario (solved with the same parameters) or "
    "the no-policy path. Default: the scenario it extends, or no-policy if it extends none.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "parquet"]),
    default="csv",
    show_default=True,
    help="One file per table: CSV, or Parquet with the same columns (needs tradesim[pandas]).",
)
@click.option(
    "--draws",
    type=click.IntRange(min=1),
    help="Also solve this many parameter draws from the scenario's uncertainty block and "
    "add mean, p05, p50 and p95 of each change to summary.csv and indicators.csv.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    help="Seed of the draws (printed and recorded in run.json when not given).",
)
@click.option(
    "--keep-draws",
    is_flag=True,
    help="Also write draws.csv (every summary change in every draw) and draw_parameters.csv.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Solve the draws in this many local processes.",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Solve the draws on a Dask cluster (tcp://host:8786); needs tradesim[dask].",
)
@click.option("--quiet", is_flag=True, help="No progress lines while draws are solved.")
@_reported
def run(
    scenarios: tuple[Path, ...],
    out: Path,
    force: bool,
    against: str | None,
    fmt: str,
    draws: int | None,
    seed: int | None,
    keep_draws: bool,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Solve one or more scenarios and write their result folders.

    Each scenario is written to OUT/<scenario name>/ with flows.csv, prices.csv,
    welfare.csv, indicators.csv, summary.csv and run.json. Every number is a difference
    against the comparison run: the scenario it extends (or the no-policy path if it
    extends none), or the one --against names. All scenarios are
    validated before any is solved. With --draws, the parameters of the scenario's
    uncertainty block are drawn N times (the same seed gives the same numbers with any
    executor) and the spread of every change is added to the summary and indicators.

    \b
    Example:
        tradesim run scenarios/baseline.yaml scenarios/seafood-ban-lifted.yaml --out results
        tradesim run scenarios/seafood-ban-lifted.yaml --draws 1000 --seed 7 --workers 2
        tradesim run seafood-ban-lifted --format parquet
    """
    from sim.errors import InputError
    from sim.models import run_any
    from sim.results import check_destination, write_result_folders
    from sim.tables import headline_rows

    if fmt == "parquet":
        from sim.optional import need

        need("pyarrow.parquet", "pandas", "--format parquet")
    used = [f"--{n}" for n, v in (("seed", seed), ("workers", workers)) if v is not None]
    used += ["--keep-draws"] * keep_draws + ["--scheduler"] * (scheduler is not None)
    if draws is None and used:
        raise click.UsageError(f"{used[0]} needs --draws N")
    resolved = _load_all(scenarios)
    if against is not None:
        resolved = _set_comparison(resolved, against)
    names = [s.name for s in resolved]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise click.UsageError(f"two scenarios are named '{duplicates[0]}'; names must differ")
    for scenario in resolved:
        check_destination(out / scenario.name, force=force)
        if draws is not None and not scenario.uncertainty:
            raise InputError(
                "--draws needs an 'uncertainty' block giving the distributions to draw "
                "from (see docs/uncertainty.md)",
                path=scenario.path,
            )
    options = _monte_carlo_options(draws, seed, keep_draws, workers, scheduler)
    # Solve every scenario before writing any, so that a failure writes nothing.
    results = []
    for scenario in resolved:
        if options is None:
            results.append(run_any(scenario))
            continue
        with _progress(draws or 0, scenario.name, quiet=quiet) as progress:
            results.append(run_any(scenario, options.with_progress(progress)))
    # All folders or none: a folder that cannot be written undoes the others.
    write_result_folders(
        [(out / r.scenario.name, r.tables, r.run) for r in results], force=force, format=fmt
    )
    for result in results:
        destination = out / result.scenario.name
        _print_summary(result, destination, headline_rows(result.tables["summary.csv"]))


def _monte_carlo_options(
    draws: int | None,
    seed: int | None,
    keep_draws: bool,
    workers: int | None,
    scheduler: str | None,
) -> Any:
    if draws is None:
        return None
    from sim.executors import Executor
    from sim.run import MonteCarloOptions
    from sim.uncertainty import new_seed

    executor = Executor(workers, scheduler)
    executor.check()
    if seed is None:
        seed = new_seed()
        click.echo(f"seed {seed} (repeat these draws with --seed {seed})")
    return MonteCarloOptions(draws, seed, executor, keep_draws)


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


def _set_comparison(scenarios: list[Any], against: str) -> list[Any]:
    """The scenarios measured against ``against`` (a scenario file or ``no-policy``)."""
    from sim.api import measured_against

    return measured_against(scenarios, against)


def _load_all(paths: tuple[Path, ...]) -> list[Any]:
    """Resolve every scenario, reporting the problems of all files together."""
    from sim.errors import InputError, InputErrors
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


@main.command()
@click.argument(
    "scenarios", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path)
)
@_reported
def validate(scenarios: tuple[Path, ...]) -> None:
    """Check scenario files without solving them.

    Every problem of every file is reported, one line each, with exit status 2; valid
    files print a one-line summary and exit status 0.

    \b
    Example:
        tradesim validate scenarios/*.yaml
    """
    for scenario in _load_all(scenarios):
        click.echo(
            f"{scenario.path}: valid ({scenario.name}: {_count(len(scenario.policies), 'policy')}, "
            f"{scenario.start}-{scenario.end}, dataset {scenario.dataset.name})"
        )


@main.command()
@click.argument("scenario", type=click.Path(readable=False, path_type=Path))
@_reported
def show(scenario: Path) -> None:
    """Print a scenario fully resolved: after extends, overrides by id and defaults.

    \b
    Example:
        tradesim show scenarios/seafood-ban-lifted.yaml
    """
    import yaml

    (resolved,) = _load_all((scenario,))
    shown = resolved.to_dict()
    for policy in shown.get("policies", []):
        # an unset optional field is left out: printed as null it would not validate
        for key in [k for k, v in policy.items() if v is None and k != "end"]:
            del policy[key]
    text = yaml.safe_dump(
        shown, sort_keys=False, allow_unicode=True, width=88, default_flow_style=None
    )
    files = " <- ".join(str(p) for p in reversed(resolved.files))
    click.echo(f"# {files}")
    click.echo(text, nl=False)


@main.command(name="list")
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of scenario files [default: the shipped scenarios].",
)
@_reported
def list_scenarios(folder: Path | None) -> None:
    """List the scenarios of a folder (the shipped ones by default) with their descriptions.

    A shipped scenario runs by its name from any folder (tradesim run seafood-ban-lifted),
    and a scenario file may extend it by name (extends: baseline).

    \b
    Example:
        tradesim list
    """
    import textwrap

    from sim.shipped import shipped_folder

    folder = folder or shipped_folder()
    for scenario in _load_all(tuple(sorted(folder.glob("*.yaml")))):
        click.echo(f"{scenario.name}  ({scenario.start}-{scenario.end})")
        description = " ".join(scenario.description.split()) or "(no description)"
        click.echo(
            textwrap.fill(description, width=88, initial_indent="    ", subsequent_indent="    ")
        )


@main.command()
@click.argument("name")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write it [default: NAME.yaml].",
)
@click.option(
    "--from",
    "source",
    metavar="SCENARIO",
    help="Start from a copy of this scenario (a shipped name or a file), renamed NAME.",
)
@_reported
def init(name: str, out: Path | None, source: str | None) -> None:
    """Write a commented starter scenario NAME.yaml that validates as it is.

    \b
    Example:
        tradesim init my-ban && tradesim run my-ban.yaml
        tradesim init my-lift --from seafood-ban-lifted
    """
    from sim.errors import InputError
    from sim.results import write_text_atomic
    from sim.starter import copied_scenario, starter_scenario

    if not name or any(c in name for c in "/\\") or name.startswith("."):
        raise InputError(f"'{name}' cannot be a scenario name; use letters, digits and dashes")
    target = out or Path(f"{name}.yaml")
    if target.exists():
        raise InputError(f"'{target}' already exists; choose another name or --out")
    if source is None:
        text = starter_scenario(name)
    else:
        (original,) = _load_all((Path(source),))
        text = copied_scenario(original.path, name, target)
    write_text_atomic(target, text)
    click.echo(f"wrote {target}; check it with: tradesim validate {target}")


@main.command()
@click.option("--regions", type=click.IntRange(min=2), required=True, help="Number of regions.")
@click.option("--sectors", type=click.IntRange(min=1), required=True, help="Number of sectors.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed.")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Dataset file to write; its flows go to <stem>.flows.csv beside it.",
)
@click.option("--force", is_flag=True, help="Replace existing files.")
@_reported
def synth(regions: int, sectors: int, seed: int, output: Path, force: bool) -> None:
    """Write a synthetic dataset of any size (made-up numbers) for tests and benchmarks.

    The same sizes and seed always give the same files. The generator's assumptions are
    in docs/datasets.md and in the dataset's one source.

    \b
    Example:
        tradesim synth --regions 141 --sectors 65 --seed 1 -o gtap-size.yaml
        tradesim sources gtap-size.yaml
    """
    from sim.errors import InputError
    from sim.synth import flows_path, write_synthetic

    for target in (output, flows_path(output)):
        if target.exists() and not force:
            raise InputError(f"'{target}' already exists; use --force to replace it")
    dataset, flows = write_synthetic(output, regions, sectors, seed)
    click.echo(f"wrote {dataset} and {flows} ({regions} regions x {sectors} sectors, seed {seed})")


def _print_summary(result: Any, destination: Path, headlines: list[dict[str, Any]]) -> None:
    if result.run.get("model") == "structural-gravity":
        _print_gravity_summary(result, destination, headlines)
        return
    scenario = result.scenario
    unit = scenario.dataset.unit
    quarters = result.run["periods"]
    reference = _against_text(scenario.against["name"])
    click.echo(
        f"{scenario.name}: {quarters[0]}-{quarters[-1]} ({len(quarters)} quarters), "
        f"dataset {scenario.dataset.name}, values in {unit}; changes against {reference}"
    )
    column = _column_label(scenario.against["name"])
    width = max(12, len(column) + 2)  # the comparison run's name is the column's title
    if headlines:
        click.echo(
            f"  largest changes in exports against {reference}, summed over the horizon ({unit}):"
        )
        click.echo(
            f"    {'sector':<18}{'from':<6}{'to':<6}{'scenario':>12}{column:>{width}}"
            f"{'change':>12}{'change %':>10}"
        )
        for row in headlines:
            pct = float(row["change_pct"])
            pct_text = "" if pct != pct else f"{pct:+.1f}"
            click.echo(
                f"    {row['sector']!s:<18}{row['region']!s:<6}{row['partner']!s:<6}"
                f"{float(row['value']):>12.1f}{float(row['baseline_value']):>{width}.1f}"
                f"{float(row['change']):>+12.1f}{pct_text:>10}"
            )
    else:
        click.echo(f"  no change against {reference}")
    from sim.tables import select_rows

    records = select_rows(
        result.tables["summary.csv"],
        "indicator",
        ("welfare", "welfare_pct_gdp", "satellite_sales"),
    )
    welfare = [r for r in records if r["indicator"] == "welfare"]
    shares = {r["region"]: r["value"] for r in records if r["indicator"] == "welfare_pct_gdp"}
    if len(welfare) > WELFARE_REGIONS_SHOWN:  # many regions: the largest changes only
        welfare.sort(key=lambda r: -abs(float(r["value"])))
        hidden = len(welfare) - WELFARE_REGIONS_SHOWN
        welfare = welfare[:WELFARE_REGIONS_SHOWN]
    else:
        hidden = 0
    parts = [
        f"{r['region']} {float(r['value']):+.1f} ({float(shares[r['region']]):+.4f}% of GDP)"
        for r in welfare
    ]
    more = f", and {hidden} more regions in summary.csv" if hidden else ""
    click.echo(
        f"  welfare against {reference}, over the horizon ({unit}): " + ", ".join(parts) + more
    )
    monte_carlo = result.run.get("monte_carlo")
    if monte_carlo:
        ranges = [
            f"{r['region']} {float(r['change_p05']):+.1f} to {float(r['change_p95']):+.1f}"
            for r in welfare
        ]
        click.echo(
            f"  welfare, 5-95% range over {monte_carlo['draws']} draws (seed "
            f"{result.run['seed']}): " + ", ".join(ranges)
        )
    for r in records:
        if r["indicator"] == "satellite_sales":
            click.echo(
                f"  {r['region']} {r['sector']} sales: {float(r['change_pct']):+.1f}% "
                f"against {reference}"
            )
    click.echo(f"  wrote {destination}/")


def _against_text(name: str) -> str:
    from sim.scenario import NO_POLICY

    return "the no-policy path" if name == NO_POLICY else f"'{name}'"


def _column_label(name: str) -> str:
    from sim.scenario import NO_POLICY

    return "no policy" if name == NO_POLICY else name


def _print_gravity_summary(result: Any, destination: Path, headlines: list[dict[str, Any]]) -> None:
    from sim.percent import percent_change_of

    scenario = result.scenario
    solver = result.run["solver"][0]
    click.echo(
        f"{scenario.name}: structural gravity GE, {solver['closure']} closure, "
        f"dataset {scenario.dataset.name} ({scenario.dataset.year}), values in "
        f"{scenario.dataset.unit}"
    )
    rows = [
        dict(zip(result.tables["indicators.csv"].columns, r, strict=True))
        for r in result.tables["indicators.csv"].rows
    ]
    welfare = [r for r in rows if r["indicator"] == "welfare"]
    welfare.sort(key=lambda r: (-abs(float(r["change_pct"])), str(r["region"])))
    click.echo(
        "  largest welfare changes (real expenditure, %): "
        + ", ".join(f"{r['region']} {float(r['change_pct']):+.4f}" for r in welfare[:5])
    )
    if headlines:
        moved = ", ".join(
            f"{r['region']}->{r['partner']} {float(r['change_pct']):+.2f}%" for r in headlines
        )
        click.echo(f"  largest changes in exports: {moved}")
    monte_carlo = result.run.get("monte_carlo")
    if monte_carlo:
        # the same measure as the line above: the change of real expenditure, in percent
        def pct(change: str, base: str) -> float:
            return percent_change_of(float(base) + float(change), float(base))

        ranges = [
            f"{r['region']} {pct(r['change_p05'], r['baseline_value']):+.4f} to "
            f"{pct(r['change_p95'], r['baseline_value']):+.4f}"
            for r in welfare[:5]
        ]
        click.echo(
            f"  welfare (real expenditure, %), 5-95% range over {monte_carlo['draws']} draws "
            f"(seed {result.run['seed']}): " + ", ".join(ranges)
        )
    click.echo(f"  wrote {destination}/")


@main.command()
@click.option(
    "--scenarios",
    "scenario_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder holding the history scenarios [default: the shipped scenarios].",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@click.option(
    "--plot",
    "plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw the fit as a PNG (needs the plot extra).",
)
@_reported
def backcast(scenario_dir: Path | None, fmt: str, plot: Path | None) -> None:
    """Compare the 2023 seafood-ban history with what was observed.

    Solves history-2023-ban and history-no-ban and prints, for each observed figure of
    2023, the model's figure, the error and the tolerance (in the figure's unit) and
    whether the model is within it.

    \b
    Example:
        tradesim backcast
        tradesim backcast --plot docs/backcast.png
    """
    from sim.backcast import backcast as solve_backcast
    from sim.backcast import fit_table, fit_text, plot_backcast
    from sim.results import table_csv
    from sim.shipped import shipped_folder

    fits, treated, untreated = solve_backcast(scenario_dir or shipped_folder())
    if fmt == "csv":
        click.echo(table_csv(fit_table(fits)), nl=False)
    else:
        click.echo(fit_text(fits), nl=False)
    if plot is not None:
        from sim.files import writing

        with writing(plot):
            plot_backcast(fits, treated, untreated, plot)
        click.echo(f"wrote {plot}", err=fmt == "csv")


def _readable(value: float) -> str:
    """A figure for people: thousands separated, no exponent for ordinary magnitudes."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.6g}"


@main.command()
@click.argument("dataset", default="japan-china-2022")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True
)
@click.option(
    "--summary",
    is_flag=True,
    help="Print only the shares of baseline cross-border trade value that are cited, "
    "derived from cited figures, or assumed.",
)
@_reported
def sources(dataset: str, fmt: str, summary: bool) -> None:
    """Print every figure of a dataset with its source.

    DATASET is a packaged dataset name or the path of a dataset file.

    \b
    Example:
        tradesim sources
        tradesim sources --summary
        tradesim sources --format csv > provenance.csv
    """
    import csv

    from sim.gravity.dataset import load_any_dataset

    data = load_any_dataset(dataset, relative_to=Path.cwd())
    if summary:
        _print_provenance(data)
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["item", "value", "unit", "source", "kind", "citation", "quote"])
        for figure in data.figures:
            source = data.sources[figure.source]
            writer.writerow(
                [
                    figure.item,
                    str(int(figure.value))
                    if math.isfinite(figure.value) and figure.value.is_integer()
                    else repr(figure.value),
                    figure.unit,
                    figure.source,
                    source.kind,
                    source.citation,
                    source.quote,
                ]
            )
        return
    click.echo(f"{data.title} ({data.name}): {len(data.figures)} figures, values in {data.unit}")
    click.echo("")
    width = max(len(f.item) for f in data.figures)
    source_width = max(len(f.source) for f in data.figures)
    click.echo(f"{'item':<{width}}  {'value':>12}  {'unit':<12}  source")
    for figure in data.figures:
        choice = (
            " (choice within a published range)" if data.sources[figure.source].is_choice else ""
        )
        click.echo(
            f"{figure.item:<{width}}  {_readable(figure.value):>12}  "
            f"{figure.unit[:12]:<12}  {figure.source}{choice}"
        )
    click.echo("")
    click.echo("sources:")
    for key in sorted(data.sources):
        source = data.sources[key]
        click.echo(f"  {key:<{source_width}}  {source.describe()}")


def _print_provenance(data: Any) -> None:
    from sim.errors import InputError
    from sim.provenance import CLASSES, flow_figures, trade_provenance

    flows = flow_figures(data.figures)
    if not flows:
        raise InputError(
            f"dataset '{data.name}' lists no flows with their own sources (its trade is one "
            "table with one source: see tradesim sources)"
        )
    provenance = trade_provenance(flows, data.sources)
    meaning = {
        "cited": "a sentence of the article or a published statistic",
        "derived": "arithmetic on cited figures only",
        "assumed": "an assumption, or arithmetic that uses one",
    }
    click.echo(
        f"{data.name}: baseline cross-border trade {_readable(provenance.total)} {data.unit}"
    )
    for name in CLASSES:
        click.echo(
            f"  {name:<8} {100 * provenance.share(name):5.1f}%  "
            f"{_readable(provenance.by_class[name]):>12} {data.unit}  ({meaning[name]})"
        )


def _result_folders(folders: tuple[Path, ...]) -> list[Any]:
    from sim.compare import labelled, load_results

    return labelled([load_results(folder) for folder in folders])


def _json_value(value: Any) -> Any:
    """A cell for JSON: numbers as numbers (rounded as in the CSV files), NaN as null."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6) + 0.0
    return value


def _cell(value: Any, width: int, signed: bool = False) -> str:
    if isinstance(value, float):
        if value != value:
            return f"{'':>{width}}"
        return f"{value:>+{width}.1f}" if signed else f"{value:>{width}.1f}"
    return f"{value!s:<{width}}"


@main.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the full comparison (every key of every result file) as CSV.",
)
@click.option(
    "--plot",
    "plot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Draw the differences from the first folder as a PNG (needs the plot extra).",
)
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    help="Headline indicators of summary.csv to show [default: exports, welfare, satellite_sales].",
)
@click.option("--force", is_flag=True, help="Replace an existing --out or --plot file.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@_reported
def compare(
    folders: tuple[Path, ...],
    out: Path | None,
    plot: Path | None,
    indicators: tuple[str, ...],
    force: bool,
    fmt: str,
) -> None:
    """Set result folders side by side; the first is the reference.

    Shows the horizon totals of the headline indicators for each scenario and their
    differences from the first folder. The folders must be measured against the same
    comparison run (run.json: against), since their welfare is a change against it. Two
    folders of the same scenario (before and after a change) are labelled by folder.

    \b
    Example:
        tradesim compare results/seafood-ban-lifted results/detente
        tradesim compare before/seafood-ban-lifted after/seafood-ban-lifted
        tradesim compare results/detente results/escalation --out comparison.csv
    """
    import json

    from sim.compare import HEADLINE_INDICATORS, headline
    from sim.compare import compare as compare_folders
    from sim.errors import InputError
    from sim.results import table_csv

    if len(folders) < 2:
        raise click.UsageError("give at least two result folders")
    for target in (out, plot):
        if target is not None and target.exists() and not force:
            raise InputError(f"'{target}' already exists; use --force to replace it")
    loaded = _result_folders(folders)
    if not indicators:
        # the defaults a result folder has (gravity results have no satellites)
        present = {row["indicator"] for f in loaded for row in f.tables["summary.csv"]}
        indicators = tuple(name for name in HEADLINE_INDICATORS if name in present)
    table = headline(loaded, indicators)
    names = [f.name for f in loaded]
    if fmt == "csv":
        click.echo(table_csv(table), nl=False)
    elif fmt == "json":
        records = [
            {c: _json_value(v) for c, v in zip(table.columns, row, strict=True)}
            for row in table.rows
        ]
        click.echo(json.dumps(records, indent=2))
    else:
        unit = loaded[0].run.get("dataset", {}).get("unit", "")
        click.echo(f"horizon totals ({unit}); differences against {names[0]}")
        width = max(12, *(len(n) + 6 for n in names))
        header = f"{'indicator':<16}{'sector':<18}{'region':<22}{'partner':<8}"
        header += "".join(f"{n:>{width}}" for n in names)
        header += "".join(f"{'chg ' + n:>{width}}{'chg %':>8}" for n in names[1:])
        click.echo(header)
        first = table.columns.index(names[0])
        for row in table.rows:
            record = dict(zip(table.columns, row, strict=True))
            line = (
                f"{record['indicator']:<16}{record['sector']:<18}{record['region']:<22}"
                f"{record['partner']:<8}"
            )
            line += "".join(_cell(v, width) for v in row[first : first + len(names)])
            diffs = row[first + len(names) :]
            for i in range(0, len(diffs), 2):
                line += _cell(diffs[i], width, signed=True) + _cell(diffs[i + 1], 8, signed=True)
            click.echo(line)
    if out is not None:
        from sim.results import write_text_atomic

        write_text_atomic(out, table_csv(compare_folders(loaded)))
        click.echo(f"wrote {out}", err=fmt != "table")
    if plot is not None:
        from sim.models import model_of_folders
        from sim.plot import save

        save(model_of_folders(loaded).differences_figure(loaded), plot)
        click.echo(f"wrote {plot}", err=fmt != "table")


@main.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The PNG file to write.",
)
@click.option("--sector", default="seafood", show_default=True, help="Sector of the export panel.")
@click.option(
    "--region", default="JPN", show_default=True, help="Exporter of the export and price panels."
)
@click.option(
    "--partner",
    "partners",
    multiple=True,
    help="A destination in the export panel; repeat for more [default: every other region].",
)
@_reported
def plot(
    folders: tuple[Path, ...], out: Path, sector: str, region: str, partners: tuple[str, ...]
) -> None:
    """Draw the time paths of one or more result folders as a PNG.

    Panels: the flows the scenario's policies act on, a region's exports of a sector by
    destination (Japan's seafood by default; the policies' targets drawn thick), its
    producer prices by sector, and welfare of every region; one line style per scenario,
    the comparison run named in the title. Gravity results are drawn as bar charts of
    every region's welfare and real GDP and of the targeted flows. Needs the plot extra.

    \b
    Example:
        tradesim plot results/baseline results/seafood-ban-lifted --out paths.png
        tradesim plot results/gravity-can-jpn-pta --out gravity.png
        tradesim plot results/baseline --sector chip_tools --partner CHN --partner USA --out t.png
    """
    from sim.models import model_of_folders
    from sim.plot import save

    loaded = _result_folders(folders)
    save(model_of_folders(loaded).paths_figure(loaded, sector, region, partners), out)
    click.echo(f"wrote {out}")


@main.command()
@click.argument("scenario", type=click.Path(readable=False, path_type=Path))
@click.option(
    "--method",
    type=click.Choice(["morris", "sobol"]),
    default="morris",
    show_default=True,
    help="Morris elementary effects (screening) or Sobol variance shares.",
)
@click.option(
    "--indicator",
    required=True,
    help="A summary.csv indicator: exports, welfare, welfare_pct_gdp, satellite_sales, ...",
)
@click.option("--sector", help="Narrow the summary row to this sector.")
@click.option("--region", help="... to this region (the exporter for exports).")
@click.option("--partner", help="... to this partner (the importer for exports).")
@click.option(
    "--samples",
    type=click.IntRange(min=2),
    help="Morris trajectories (default 20) or the Sobol base sample, a power of 2 (default 256).",
)
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), help="Solve in local processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Solve on a Dask cluster.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the ranked table as CSV.",
)
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw a bar chart (PNG; needs the plot extra).",
)
@click.option("--quiet", is_flag=True, help="No progress lines while the points are solved.")
@_reported
def sensitivity(
    scenario: Path,
    method: str,
    indicator: str,
    sector: str | None,
    region: str | None,
    partner: str | None,
    samples: int | None,
    seed: int,
    workers: int | None,
    scheduler: str | None,
    out: Path | None,
    chart: Path | None,
    quiet: bool,
) -> None:
    """Rank the parameters of a scenario's uncertainty block by their effect on one figure.

    The figure is the change of one summary.csv row (chosen with --indicator, --sector,
    --region and --partner). Needs SALib (pip install 'tradesim[sensitivity]');
    docs/uncertainty.md gives guidance on sample sizes.

    \b
    Example:
        tradesim sensitivity scenarios/seafood-ban-lifted.yaml --indicator exports \\
            --sector seafood --region JPN --partner CHN
        tradesim sensitivity scenarios/seafood-ban-lifted.yaml --method sobol \\
            --indicator welfare --region JPN --samples 256 --workers 2 --chart s.png
    """
    from sim.executors import Executor
    from sim.models import model_of
    from sim.results import table_csv, write_text_atomic
    from sim.sensitivity import Figure, design_size, run_sensitivity

    (resolved,) = _load_all((scenario,))
    model = model_of(resolved)
    executor = Executor(workers, scheduler)
    executor.check()
    figure = Figure(indicator, sector, region, partner)
    size = samples or (20 if method == "morris" else 256)
    points = design_size(method, len(resolved.uncertainty), size)
    with _progress(points, resolved.name, quiet=quiet, noun="points") as progress:
        result = run_sensitivity(
            resolved,
            method,
            figure,
            size,
            seed,
            executor,
            progress,
            solver=model.chunk_solver(),
            tables=model.central_tables,
        )
    unit = resolved.dataset.unit
    click.echo(
        f"{resolved.name}: {method} sensitivity of {figure.label()} "
        f"(central change {result.central:+.4g} {unit} over the horizon; "
        f"{result.evaluations} solves, seed {seed})"
    )
    _print_ranked(result.table)
    if out is not None:
        write_text_atomic(out, table_csv(result.table))
        click.echo(f"wrote {out}")
    if chart is not None:
        from sim.plot import save, sensitivity_figure

        title = f"{resolved.name}: {figure.label()} ({method}, {result.evaluations} solves)"
        save(sensitivity_figure(result.table, method, title), chart)
        click.echo(f"wrote {chart}")


def _print_ranked(table: Any) -> None:
    """A sensitivity table without its distribution column, numbers right-aligned."""
    name_width = max(len(str(row[1])) for row in table.rows)
    stats = table.columns[3:]
    click.echo(
        f"  {'rank':>4}  {'parameter':<{name_width}}  " + "  ".join(f"{c:>12}" for c in stats)
    )
    for row in table.rows:
        numbers = "  ".join(f"{float(v):12.4g}" for v in row[3:])
        click.echo(f"  {row[0]:>4}  {row[1]:<{name_width}}  {numbers}")


@main.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(readable=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["iamc", "parquet", "xlsx"]),
    default="iamc",
    show_default=True,
    help="iamc: the IAMC table as CSV; parquet: the IAMC table as Parquet; xlsx: a "
    "workbook with a sheet per result table and a sheet of the run's metadata.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output (required for parquet and xlsx).",
)
@_reported
def export(folders: tuple[Path, ...], fmt: str, out: Path | None) -> None:
    """Export result folders for other tools: IAMC (pyam), Parquet or Excel.

    The IAMC formats take several folders into one table (one scenario per folder);
    xlsx takes one folder. Parquet and xlsx need tradesim[pandas].

    \b
    Example:
        tradesim export results/baseline --out baseline-iamc.csv
        tradesim export results/baseline results/detente --format parquet --out both.parquet
        tradesim export results/seafood-ban-lifted --format xlsx --out lifted.xlsx
    """
    from sim.export import export_folders

    if fmt != "iamc" and out is None:
        raise click.UsageError(f"--format {fmt} writes a binary file; give --out FILE")
    if fmt == "xlsx" and len(folders) > 1:
        raise click.UsageError("--format xlsx takes one result folder")
    text = export_folders(list(folders), fmt, out)
    if text is not None:
        click.echo(text, nl=False)
    else:
        click.echo(f"wrote {out}", err=True)
