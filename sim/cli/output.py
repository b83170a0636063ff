"""Commands that turn result folders into files for people and tools: plot and export."""

from __future__ import annotations

from pathlib import Path

import click

from sim.cli.common import _reported, _result_folders
from sim.cli.options import (
    folders_argument,
    format_option,
    out_file_option,
)


@click.command()
@folders_argument()
@out_file_option("The PNG file to write.", required=True)
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


@click.command()
@folders_argument()
@format_option(
    ["iamc", "parquet", "xlsx"],
    "iamc: the IAMC table as CSV; parquet: the IAMC table as Parquet; xlsx: a "
    "workbook with a sheet per result table and a sheet of the run's metadata.",
)
@out_file_option("Write to this file instead of standard output (required for parquet and xlsx).")
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
