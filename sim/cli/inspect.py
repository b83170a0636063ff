"""Commands that read scenarios and datasets without solving them.

validate, show, list, init, synth and sources.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import click

from sim.cli.common import _count, _load_all, _reported
from sim.cli.options import (
    chosen_seed,
    force_option,
    format_option,
    out_file_option,
    scenarios_argument,
    seed_option,
)
from sim.cli.render import Column, render


@click.command()
@scenarios_argument()
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


@click.command()
@click.argument("scenario", type=click.Path(readable=False, path_type=Path))
@_reported
def show(scenario: Path) -> None:
    """Print a scenario fully resolved: after extends, overrides by id and defaults.

    \b
    Example:
        tradesim show scenarios/seafood-ban-lifted.yaml
    """
    from sim.scenario_text import resolved_text

    (resolved,) = _load_all((scenario,))
    click.echo(resolved_text(resolved), nl=False)


@click.command(name="list")
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


@click.command()
@click.argument("name")
@out_file_option("Where to write it [default: NAME.yaml].")
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
    from sim.results import write_text_atomic
    from sim.scenario_text import new_scenario

    target, text = new_scenario(name, out, source)
    write_text_atomic(target, text)
    click.echo(f"wrote {target}; check it with: tradesim validate {target}")


@click.command()
@click.option("--regions", type=click.IntRange(min=2), required=True, help="Number of regions.")
@click.option("--sectors", type=click.IntRange(min=1), required=True, help="Number of sectors.")
@seed_option()
@out_file_option(
    "Dataset file to write; its flows go to <stem>.flows.csv beside it.",
    required=True,
    aliases=("-o", "--output"),
)
@force_option("Replace existing files.")
@_reported
def synth(regions: int, sectors: int, seed: int | None, out: Path, force: bool) -> None:
    """Write a synthetic dataset of any size (made-up numbers) for tests and benchmarks.

    The same sizes and seed always give the same files. The generator's assumptions are
    in docs/datasets.md and in the dataset's one source.

    \b
    Example:
        tradesim synth --regions 141 --sectors 65 --seed 1 -o gtap-size.yaml
        tradesim sources gtap-size.yaml
    """
    from sim.files import check_new_files
    from sim.synth import flows_path, write_synthetic

    check_new_files([out, flows_path(out)], force=force)
    seed = chosen_seed(seed)
    dataset, flows = write_synthetic(out, regions, sectors, seed)
    click.echo(f"wrote {dataset} and {flows} ({regions} regions x {sectors} sectors, seed {seed})")


def _readable(value: float) -> str:
    """A figure for people: thousands separated, no exponent for ordinary magnitudes."""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.6g}"


@click.command()
@click.argument("dataset", default="japan-china-2022")
@format_option(["table", "csv"])
@click.option(
    "--summary",
    is_flag=True,
    help="Print only the shares of baseline cross-border trade value that are cited, "
    "derived from cited figures, or assumed.",
)
@_reported
def sources(dataset: str, fmt: str, summary: bool) -> None:
    """Print every figure of a dataset with its source.

    DATASET is a packaged dataset name, the path of a dataset file, or a scenario file
    (whose dataset is shown).

    \b
    Example:
        tradesim sources
        tradesim sources --summary
        tradesim sources --format csv > provenance.csv
    """
    import csv

    from sim.scenarios import dataset_named

    data = dataset_named(dataset, relative_to=Path.cwd())
    if summary:
        _print_provenance(data)
        return
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(
            ["item", "value", "unit", "source", "kind", "citation", "quote", "published_range"]
        )
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
                    source.range,
                ]
            )
        return
    click.echo(f"{data.title} ({data.name}): {len(data.figures)} figures, values in {data.unit}")
    click.echo("")
    width = max(len(f.item) for f in data.figures)
    source_width = max(len(f.source) for f in data.figures)
    columns = [
        Column("item", width),
        Column("value", 12, ">", gap=2),
        Column("unit", 12, gap=2),
        Column("source", 0, gap=2),
    ]
    # a figure chosen within a published range says so after its source
    choice = " (choice within a published range)"
    rows = [
        [
            f.item,
            _readable(f.value),
            f.unit[:12],
            f.source + choice * data.sources[f.source].is_choice,
        ]
        for f in data.figures
    ]
    for line in render(columns, rows):
        click.echo(line)
    click.echo("")
    click.echo("sources:")
    for key in sorted(data.sources):
        source = data.sources[key]
        click.echo(f"  {key:<{source_width}}  {source.describe()}")


def _print_provenance(data: Any) -> None:
    from sim.errors import InputError
    from sim.provenance import CLASSES, SMALL_ASSUMED, flow_figures, flow_values, trade_provenance

    flows = flow_figures(data.figures)
    if not flows:
        raise InputError(
            f"dataset '{data.name}' lists no flows with their own sources (its trade is one "
            "table with one source: see tradesim sources)"
        )
    provenance = trade_provenance(flows, data.sources, flow_values(data.figures))
    meaning = {
        "cited": "the article, a published statistic, or one in JPY",
        "derived": "arithmetic on cited figures, assumed inputs at most "
        f"{100 * SMALL_ASSUMED:g}% of each result",
        "assumed": "an assumption, or arithmetic that rests on one",
    }
    click.echo(
        f"{data.name}: baseline cross-border trade {_readable(provenance.total)} {data.unit}"
    )
    columns = [
        Column("class", 8),
        Column("share", 6, ">", gap=1),
        Column("value", 12, ">", gap=2),
        Column("unit", 0, gap=1),
        Column("meaning", 0, gap=2),
    ]
    rows = [
        [
            name,
            f"{100 * provenance.share(name):5.1f}%",
            _readable(provenance.by_class[name]),
            data.unit,
            f"({meaning[name]})",
        ]
        for name in CLASSES
    ]
    for line in render(columns, rows, indent="  ", header=False):
        click.echo(line)
    derived = provenance.by_class["derived"]
    click.echo(
        f"  of the derived value, {_readable(round(provenance.assumed_in_derived, 1))} "
        f"{data.unit} ({100 * provenance.assumed_in_derived / derived if derived else 0:.1f}%) "
        "comes from assumed inputs"
    )
