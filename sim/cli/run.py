"""``tradesim run``: solve scenarios, write their result folders, print their summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sim.cli.common import _load_all, _progress, _reported
from sim.cli.options import (
    checked_executor,
    chosen_seed,
    draws_option,
    force_option,
    format_option,
    out_folder_option,
    quiet_option,
    scenarios_argument,
    scheduler_option,
    seed_option,
    workers_option,
)
from sim.cli.render import Column, render

WELFARE_REGIONS_SHOWN = 12


@click.command()
@scenarios_argument()
@out_folder_option("Folder in which <scenario name>/ is written.")
@force_option(
    "Replace whatever is in the way; without it a run replaces only its own earlier "
    "result of the same scenario."
)
@click.option(
    "--against",
    metavar="SCENARIO.yaml|no-policy",
    help="Measure the results against this scenario (solved with the same parameters) or "
    "the no-policy path. Default: the scenario it extends, or no-policy if it extends none.",
)
@format_option(
    ["csv", "parquet"],
    "One file per table: CSV, or Parquet with the same columns (needs tradesim[pandas]).",
)
@draws_option()
@seed_option()
@click.option(
    "--keep-draws",
    is_flag=True,
    help="Also write draws.csv (every summary change in every draw) and draw_parameters.csv.",
)
@workers_option()
@scheduler_option()
@quiet_option()
@click.option(
    "--profile",
    is_flag=True,
    help="Print the seconds and peak memory of each phase (load, solve, tables, write) "
    "on standard error; also with TRADESIM_PROFILE=1.",
)
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
    profile: bool,
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
    from sim.batch import check_batch, solve_batch, write_batch
    from sim.profile import Phases, asked_for
    from sim.tables import headline_rows

    phases = Phases()

    if fmt == "parquet":
        from sim.optional import need

        need("pyarrow.parquet", "pandas", "--format parquet")
    used = [f"--{n}" for n, v in (("seed", seed), ("workers", workers)) if v is not None]
    used += ["--keep-draws"] * keep_draws + ["--scheduler"] * (scheduler is not None)
    if draws is None and used:
        raise click.UsageError(f"{used[0]} needs --draws N")
    with phases.phase("load"):
        resolved = _load_all(scenarios)
        if against is not None:
            resolved = _set_comparison(resolved, against)
    check_batch(resolved, out, force=force, draws=draws)
    options = _monte_carlo_options(draws, seed, keep_draws, workers, scheduler)

    def progress_of(name: str, total: int) -> _progress:
        return _progress(total, name, quiet=quiet)

    if options is None:
        from sim.streamrun import write_batch_streamed

        # each quarter is written as it is solved: memory is one quarter's, not the path's
        results = write_batch_streamed(resolved, out, force=force, format=fmt, phases=phases)
    else:
        with phases.phase("solve"):
            results = solve_batch(resolved, options, progress_of)
        with phases.phase("write"):
            write_batch(results, out, force=force, format=fmt)
    if asked_for(profile):
        phases.report()
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
    from sim.run import MonteCarloOptions

    executor = checked_executor(workers, scheduler)
    if seed is None:
        seed = chosen_seed(seed)
        # first, so that the seed of a long run is known while it runs
        click.echo(f"seed {seed} (repeat these draws with --seed {seed})")
    return MonteCarloOptions(draws, seed, executor, keep_draws)


def _set_comparison(scenarios: list[Any], against: str) -> list[Any]:
    """The scenarios measured against ``against`` (a scenario file or ``no-policy``)."""
    from sim.api import measured_against

    return measured_against(scenarios, against)


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
        columns = [
            Column("sector", 18),
            Column("from", 6),
            Column("to", 6),
            Column("scenario", 12, ">", ".1f"),
            Column(column, width, ">", ".1f"),
            Column("change", 12, ">", "+.1f"),
            Column("change %", 10, ">", "+.1f"),
        ]
        rows = [
            [r["sector"], r["region"], r["partner"], r["value"], r["baseline_value"]]
            + [r["change"], r["change_pct"]]
            for r in headlines
        ]
        for line in render(columns, rows, indent="    "):
            click.echo(line)
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
