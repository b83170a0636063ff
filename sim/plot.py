"""Charts of result folders: time paths per scenario and differences from a reference.

Needs matplotlib (the ``plot`` extra); it is imported only when a chart is drawn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.compare import ResultFolder, check_compatible

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLES = ("-", "--", ":", "-.")
REGIONS = {"JPN": "tab:blue", "CHN": "tab:red", "USA": "tab:green", "HKG": "tab:orange"}
SECTOR_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or a one-line error if matplotlib is missing."""
    try:
        import matplotlib
    except ImportError:
        from sim.errors import InputError

        raise InputError("charts need matplotlib: pip install 'tradesim[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _series(
    folder: ResultFolder, file: str, column: str, **match: str
) -> tuple[list[str], list[float]]:
    rows = [r for r in folder.tables[file] if all(r[k] == v for k, v in match.items())]
    return [r["period"] for r in rows], [float(r[column]) for r in rows]


def _unit(folder: ResultFolder) -> str:
    return str(folder.run.get("dataset", {}).get("unit", ""))


def _ticks(ax: Any, periods: list[str]) -> None:
    step = max(1, len(periods) // 8)
    ax.set_xticks(range(0, len(periods), step), periods[::step], rotation=45, ha="right")


def _all_periods(folders: list[ResultFolder]) -> list[str]:
    return sorted({p for f in folders for p in f.run.get("periods", [])})


def _choose(name: str, value: str, known: set[str]) -> str:
    if value not in known:
        from sim.errors import InputError

        raise InputError(f"unknown {name} '{value}'; the results have: {', '.join(sorted(known))}")
    return value


def paths_figure(
    folders: list[ResultFolder],
    sector: str = "seafood",
    region: str = "JPN",
    partners: Sequence[str] = ("CHN", "HKG", "USA", "ASE"),
) -> Figure:
    """Time paths of the headline indicators, one line style per scenario.

    Panels: ``region``'s exports of ``sector`` to each of ``partners``; ``region``'s
    producer prices by sector; welfare of every region, all sectors.
    """
    plt = pyplot()
    check_compatible(folders)
    flows = folders[0].tables["flows.csv"]
    _choose("sector", sector, {r["sector"] for r in flows})
    regions = {r["exporter"] for r in flows}
    _choose("region", region, regions)
    for partner in partners:
        _choose("partner", partner, regions)
    periods = _all_periods(folders)
    at = {p: i for i, p in enumerate(periods)}
    unit = _unit(folders[0])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour_of = {code: colours[k % len(colours)] for k, code in enumerate(sorted(regions))}
    fig, axes = plt.subplots(1, 3, figsize=(16, 5))
    sectors = sorted({r["sector"] for r in folders[0].tables["prices.csv"]})
    for n, folder in enumerate(folders):
        style = STYLES[n % len(STYLES)]
        for partner in partners:
            x, y = _series(
                folder, "flows.csv", "value", sector=sector, exporter=region, importer=partner
            )
            axes[0].plot(
                [at[p] for p in x],
                y,
                style,
                color=colour_of[partner],
                label=f"to {partner}, {folder.name}",
            )
        for k, name in enumerate(sectors):
            x, y = _series(folder, "prices.csv", "producer_price", sector=name, region=region)
            axes[1].plot(
                [at[p] for p in x],
                y,
                style,
                color=SECTOR_COLOURS[k % len(SECTOR_COLOURS)],
                label=f"{name}, {folder.name}",
            )
        for code in sorted(regions):
            x, y = _series(folder, "welfare.csv", "total", region=code, sector="all")
            axes[2].plot(
                [at[p] for p in x], y, style, color=colour_of[code], label=f"{code}, {folder.name}"
            )
    axes[0].set_title(f"{region}'s {sector} exports by destination")
    axes[0].set_ylabel(f"{unit} per quarter")
    axes[1].set_title(f"{region}'s producer prices")
    axes[1].set_ylabel("index, baseline year = 1")
    axes[2].set_title("Welfare against each run's comparison run (run.json: against), all sectors")
    axes[2].set_ylabel(f"{unit} per quarter")
    axes[2].axhline(0, color="grey", linewidth=0.8)
    for ax in axes:
        _ticks(ax, periods)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(
        "Scenarios: " + ", ".join(f"{f.name} ({STYLES[i % 4]})" for i, f in enumerate(folders))
    )
    fig.tight_layout()
    return fig


def differences_figure(
    folders: list[ResultFolder], flows: Sequence[tuple[str, str, str]]
) -> Figure:
    """Differences of each scenario from the first, quarter by quarter.

    Parameters
    ----------
    folders : list of ResultFolder
        The first is the reference.
    flows : list of (sector, exporter, importer)
        The export flows to draw (e.g. the headline ones).
    """
    plt = pyplot()
    check_compatible(folders)
    reference, others = folders[0], folders[1:]
    periods = _all_periods(folders)
    at = {p: i for i, p in enumerate(periods)}
    unit = _unit(reference)
    fig, axes = plt.subplots(1, 2, figsize=(14, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for n, folder in enumerate(others):
        style = STYLES[n % len(STYLES)]
        for k, (sector, exporter, importer) in enumerate(flows):
            match = {"sector": sector, "exporter": exporter, "importer": importer}
            base = dict(zip(*_series(reference, "flows.csv", "value", **match), strict=True))
            x, y = _series(folder, "flows.csv", "value", **match)
            points = [(at[p], v - base[p]) for p, v in zip(x, y, strict=True) if p in base]
            axes[0].plot(
                *zip(*points, strict=True),
                style,
                color=colours[k % len(colours)],
                label=f"{sector} {exporter}->{importer}, {folder.name}",
            )
        for region in REGIONS:
            match = {"region": region, "sector": "all"}
            base = dict(zip(*_series(reference, "welfare.csv", "total", **match), strict=True))
            x, y = _series(folder, "welfare.csv", "total", **match)
            points = [(at[p], v - base[p]) for p, v in zip(x, y, strict=True) if p in base]
            if points:
                axes[1].plot(
                    *zip(*points, strict=True),
                    style,
                    color=REGIONS[region],
                    label=f"{region}, {folder.name}",
                )
    axes[0].set_title(f"Exports: scenario minus {reference.name}")
    axes[0].set_ylabel(f"{unit} per quarter")
    axes[1].set_title(f"Welfare: scenario minus {reference.name}")
    axes[1].set_ylabel(f"{unit} per quarter")
    for ax in axes:
        ax.axhline(0, color="grey", linewidth=0.8)
        _ticks(ax, periods)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def save(fig: Figure, destination: Path) -> None:
    """Write a figure as PNG (all or nothing, see :func:`sim.files.publish`) and release it."""
    import io

    from sim.files import file_filler, publish

    plt = pyplot()
    image = io.BytesIO()
    fig.savefig(image, format="png", dpi=110)
    plt.close(fig)
    publish([(destination, file_filler(image.getvalue()))])


def sensitivity_figure(table: Any, method: str, title: str) -> Figure:
    """Bar chart of a ranked sensitivity table with its confidence intervals.

    Parameters
    ----------
    table : Table
        From :func:`sim.sensitivity.analyse`.
    method : {"morris", "sobol"}
    title : str
    """
    plt = pyplot()
    records = [dict(zip(table.columns, row, strict=True)) for row in table.rows]
    stat = "mu_star" if method == "morris" else "ST"
    names = [r["parameter"] for r in records][::-1]
    values = [r[stat] for r in records][::-1]
    errors = [r[f"{stat}_conf"] for r in records][::-1]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(names) + 1.5))
    ax.barh(names, values, xerr=errors, color="tab:blue", capsize=3)
    ax.set_xlabel(
        "mu* (mean absolute elementary effect)" if method == "morris" else "total Sobol index ST"
    )
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
