"""Commands that solve a scenario many times to judge it: sensitivity and backcast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sim.cli.common import _load_all, _progress, _reported
from sim.cli.options import (
    checked_executor,
    chosen_seed,
    format_option,
    out_file_option,
    plot_option,
    quiet_option,
    scheduler_option,
    seed_option,
    workers_option,
)
from sim.cli.render import Column, render


@click.command()
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
@seed_option()
@workers_option()
@scheduler_option()
@out_file_option("Also write the ranked table as CSV.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also draw a bar chart (PNG; needs the plot extra).",
)
@quiet_option()
@_reported
def sensitivity(
    scenario: Path,
    method: str,
    indicator: str,
    sector: str | None,
    region: str | None,
    partner: str | None,
    samples: int | None,
    seed: int | None,
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
    from sim.models import model_of
    from sim.results import table_csv, write_text_atomic
    from sim.sensitivity import DEFAULT_SAMPLES, Figure, design_size, run_sensitivity

    (resolved,) = _load_all((scenario,))
    model = model_of(resolved)
    executor = checked_executor(workers, scheduler)
    seed = chosen_seed(seed)
    figure = Figure(indicator, sector, region, partner)
    size = samples or DEFAULT_SAMPLES[method]
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
    columns = [Column("rank", 4, ">", gap=2), Column("parameter", name_width, gap=2)]
    columns += [Column(name, 12, ">", ".4g", gap=2) for name in table.columns[3:]]
    for line in render(columns, [[row[0], row[1], *row[3:]] for row in table.rows]):
        click.echo(line)


@click.command()
@click.option(
    "--scenarios",
    "scenario_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder holding the history scenarios [default: the shipped scenarios].",
)
@format_option(["table", "csv"])
@plot_option("Also draw the fit as a PNG (needs the plot extra).")
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
    from sim.backcast import fit_rows, fit_table, plot_backcast
    from sim.results import table_csv
    from sim.shipped import shipped_folder

    fits, treated, untreated = solve_backcast(scenario_dir or shipped_folder())
    if fmt == "csv":
        click.echo(table_csv(fit_table(fits)), nl=False)
    else:
        columns = [
            Column("observation", 26),
            Column("period", 24),
            Column("unit", 14),
            Column("observed", 9, ">", "+.1f"),
            Column("model", 8, ">", "+.1f"),
            Column("error", 8, ">", "+.1f"),
            Column("tol.", 6, ">", ".1f"),
            Column("reproduced", 0, gap=2),
        ]
        rows = fit_rows(fits)
        for line in render(columns, rows):
            click.echo(line)
    if plot is not None:
        from sim.files import writing

        with writing(plot):
            plot_backcast(fits, treated, untreated, plot)
        click.echo(f"wrote {plot}", err=fmt == "csv")
