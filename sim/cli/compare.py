"""``tradesim compare``: result folders side by side."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.common import _reported, _result_folders
from sim.cli.options import (
    folders_argument,
    force_option,
    format_option,
    out_file_option,
    plot_option,
)
from sim.cli.render import Column, json_records, render


@click.command()
@folders_argument()
@out_file_option("Write the full comparison (every key of every result file) as CSV.")
@plot_option("Draw the differences from the first folder as a PNG (needs the plot extra).")
@click.option(
    "--indicator",
    "indicators",
    multiple=True,
    help="Headline indicators of summary.csv to show [default: exports, welfare, satellite_sales].",
)
@force_option("Replace an existing --out or --plot file.")
@format_option(["table", "csv", "json"])
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
    from sim.compare import HEADLINE_INDICATORS, headline, indicators_of, write_comparison
    from sim.files import check_new_files
    from sim.results import table_csv

    if len(folders) < 2:
        raise click.UsageError("give at least two result folders")
    check_new_files([out, plot], force=force)
    # every file is checked; only summary.csv stays in memory (--out reads the rest again)
    loaded = _result_folders(folders, ("summary.csv",))
    if not indicators:
        # the defaults a result folder has (gravity results have no satellites)
        present = set(indicators_of(loaded))
        indicators = tuple(name for name in HEADLINE_INDICATORS if name in present)
    table = headline(loaded, indicators)
    names = [f.name for f in loaded]
    if fmt == "csv":
        click.echo(table_csv(table), nl=False)
    elif fmt == "json":
        click.echo(json_records(table.columns, table.rows))
    else:
        unit = loaded[0].run.get("dataset", {}).get("unit", "")
        click.echo(f"horizon totals ({unit}); differences against {names[0]}")
        width = max(12, *(len(n) + 6 for n in names))
        columns = [
            Column("indicator", 16),
            Column("sector", 18),
            Column("region", 22),
            Column("partner", 8),
        ]
        columns += [Column(n, width, ">", ".1f") for n in names]
        for n in names[1:]:
            columns += [Column("chg " + n, width, ">", "+.1f"), Column("chg %", 8, ">", "+.1f")]
        first = table.columns.index(names[0])
        at = [table.columns.index(c) for c in ("indicator", "sector", "region", "partner")]
        rows = [[row[k] for k in at] + list(row[first:]) for row in table.rows]
        for line in render(columns, rows):
            click.echo(line)
    if out is not None:
        write_comparison(out, loaded)
        click.echo(f"wrote {out}", err=fmt != "table")
    if plot is not None:
        from sim.models import model_of_folders
        from sim.plot import save

        save(model_of_folders(loaded).differences_figure(loaded), plot)
        click.echo(f"wrote {plot}", err=fmt != "table")
