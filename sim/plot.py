"""Charts of result folders: time paths per scenario and differences from a reference.

Needs matplotlib (the ``plot`` extra); it is imported only when a chart is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.compare import ResultFolder, check_compatible

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STYLES = ("-", "--", ":", "-.")
SECTOR_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown")
# Target flows drawn in the first panel; a scenario acting on more names how many are left.
MAX_TARGETS = 12


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
    rows = folder.rows(file, **match)
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


def target_flows(folder: ResultFolder) -> list[tuple[str, str, str, str]]:
    """The flows the scenario's policies act on: (policy id, sector, exporter, importer).

    Read from ``run.json``'s resolved scenario, in policy order; home-market sales are left
    out (trade instruments never apply to them). Gravity policies have no sector: ``all``.
    """
    policies = folder.run.get("resolved_scenario", {}).get("policies", []) or []
    found: list[tuple[str, str, str, str]] = []
    for policy in policies:
        sectors = policy.get("sector") or ["all"]
        for sector in [sectors] if isinstance(sectors, str) else sectors:
            for exporter in _codes(policy.get("exporters")):
                for importer in _codes(policy.get("importers")):
                    flow = (str(policy.get("id")), str(sector), exporter, importer)
                    if exporter != importer and flow not in found:
                        found.append(flow)
    return found


def _codes(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def _against(folder: ResultFolder) -> str:
    against = folder.run.get("against")
    if not isinstance(against, dict):
        return "its baseline trade costs"
    name = against.get("name")
    return "the no-policy path" if name == "no-policy" else f"'{name}'"


def _title(folders: list[ResultFolder]) -> str:
    return "; ".join(
        f"{f.name} ({STYLES[i % len(STYLES)]}) against {_against(f)}" for i, f in enumerate(folders)
    )


def paths_figure(
    folders: list[ResultFolder],
    sector: str = "seafood",
    region: str = "JPN",
    partners: Sequence[str] = (),
) -> Figure:
    """Time paths of the headline indicators, one line style per scenario.

    Panels: the flows the policies act on (labelled with the policy's id); ``region``'s
    exports of ``sector`` to each of ``partners`` (every other region by default; flows a
    policy acts on drawn thick and labelled "target"); ``region``'s producer prices by
    sector; welfare of every region, all sectors. The title names each scenario's
    comparison run. Gravity results (one period) are drawn by :func:`gravity_figure`.
    """
    if any(f.run.get("model") == "structural-gravity" for f in folders):
        return gravity_figure(folders)
    plt = pyplot()
    check_compatible(folders)
    _choose("sector", sector, set(folders[0].labels("flows.csv", "sector")))
    regions = set(folders[0].labels("flows.csv", "exporter"))
    _choose("region", region, regions)
    partners = list(partners) or sorted(regions - {region})
    for partner in partners:
        _choose("partner", partner, regions)
    periods = _all_periods(folders)
    at = {p: i for i, p in enumerate(periods)}
    unit = _unit(folders[0])
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colour_of = {code: colours[k % len(colours)] for k, code in enumerate(sorted(regions))}
    fig, grid = plt.subplots(2, 2, figsize=(16, 10))
    targets_ax, exports_ax, prices_ax, welfare_ax = grid.flat
    sectors = folders[0].labels("prices.csv", "sector")
    targets = {folder.name: target_flows(folder) for folder in folders}
    shown = list(dict.fromkeys(t for ts in targets.values() for t in ts))  # policy order
    for n, folder in enumerate(folders):
        style = STYLES[n % len(STYLES)]
        aimed = {t[1:] for t in targets[folder.name]}
        for k, (policy, flow_sector, exporter, importer) in enumerate(shown[:MAX_TARGETS]):
            match = {"sector": flow_sector, "exporter": exporter, "importer": importer}
            x, y = _series(folder, "flows.csv", "value", **match)
            targets_ax.plot(
                [at[p] for p in x],
                y,
                style,
                linewidth=2,
                color=colours[k % len(colours)],
                label=f"{flow_sector} {exporter}->{importer} ({policy}), {folder.name}",
            )
        for partner in partners:
            x, y = _series(
                folder, "flows.csv", "value", sector=sector, exporter=region, importer=partner
            )
            aimed_here = (sector, region, partner) in aimed
            exports_ax.plot(
                [at[p] for p in x],
                y,
                style,
                linewidth=3 if aimed_here else 1.2,
                color=colour_of[partner],
                label=f"to {partner}{' (target)' if aimed_here else ''}, {folder.name}",
            )
        for k, name in enumerate(sectors):
            x, y = _series(folder, "prices.csv", "producer_price", sector=name, region=region)
            prices_ax.plot(
                [at[p] for p in x],
                y,
                style,
                color=SECTOR_COLOURS[k % len(SECTOR_COLOURS)],
                label=f"{name}, {folder.name}",
            )
        for code in sorted(regions):
            x, y = _series(folder, "welfare.csv", "total", region=code, sector="all")
            welfare_ax.plot(
                [at[p] for p in x], y, style, color=colour_of[code], label=f"{code}, {folder.name}"
            )
    more = len(shown) - MAX_TARGETS
    targets_ax.set_title(
        "Flows the policies act on"
        + (f" (the first {MAX_TARGETS}; {more} more)" if more > 0 else "")
    )
    if not shown:
        targets_ax.text(0.5, 0.5, "no policy acts on a trade flow", ha="center", va="center")
    targets_ax.set_ylabel(f"{unit} per quarter")
    exports_ax.set_title(f"{region}'s {sector} exports by destination")
    exports_ax.set_ylabel(f"{unit} per quarter")
    prices_ax.set_title(f"{region}'s producer prices")
    prices_ax.set_ylabel("index, baseline year = 1")
    welfare_ax.set_title("Welfare against each run's comparison run, all sectors")
    welfare_ax.set_ylabel(f"{unit} per quarter")
    welfare_ax.axhline(0, color="grey", linewidth=0.8)
    for ax in grid.flat:
        _ticks(ax, periods)
        ax.set_xlabel("quarter")
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=7, ncol=1 + len(ax.lines) // 16)
    fig.suptitle(_title(folders))
    fig.tight_layout()
    return fig


def gravity_figure(folders: list[ResultFolder]) -> Figure:
    """Bar charts of gravity results: welfare and real GDP of every region, target flows.

    Parameters
    ----------
    folders : list of ResultFolder
        Results of ``model: gravity`` scenarios on one dataset; one bar colour each.
    """
    plt = pyplot()
    check_compatible(folders)
    unit = _unit(folders[0])
    fig, (welfare_ax, gdp_ax, target_ax) = plt.subplots(3, 1, figsize=(16, 13))
    regions = folders[0].labels("indicators.csv", "region")
    shown = list(dict.fromkeys(t for f in folders for t in target_flows(f)))
    width = 0.8 / len(folders)
    for n, folder in enumerate(folders):
        for ax, name in ((welfare_ax, "welfare"), (gdp_ax, "real_gdp")):
            change = {
                r["region"]: _float(r["change_pct"])
                for r in folder.rows("indicators.csv", indicator=name)
            }
            ax.bar(
                [k + n * width for k in range(len(regions))],
                [change.get(code, math.nan) for code in regions],
                width,
                label=folder.name,
            )
        exports = {
            (r["region"], r["partner"]): _float(r["change_pct"])
            for r in folder.rows("summary.csv", indicator="exports")
        }
        target_ax.bar(
            [k + n * width for k in range(len(shown))],
            [exports.get((t[2], t[3]), math.nan) for t in shown],
            width,
            label=folder.name,
        )
    for ax, what in ((welfare_ax, "Welfare (real expenditure)"), (gdp_ax, "Real GDP")):
        ax.set_xticks([k + 0.4 - width / 2 for k in range(len(regions))], regions, rotation=90)
        ax.set_title(f"{what}, every region: change against the baseline trade costs")
        ax.set_ylabel("change, %")
    target_ax.set_xticks(
        [k + 0.4 - width / 2 for k in range(len(shown))],
        [f"{e}->{i} ({policy})" for policy, _, e, i in shown],
        rotation=45,
        ha="right",
    )
    target_ax.set_title(f"Exports on the flows the policies act on ({unit}, change in %)")
    target_ax.set_ylabel("change, %")
    for ax in (welfare_ax, gdp_ax, target_ax):
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(_title(folders))
    fig.tight_layout()
    return fig


def _float(value: float | str) -> float:
    return float(value) if value not in ("", None) else math.nan


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
    regions = reference.labels("welfare.csv", "region")
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
        for region in regions:
            match = {"region": region, "sector": "all"}
            base = dict(zip(*_series(reference, "welfare.csv", "total", **match), strict=True))
            x, y = _series(folder, "welfare.csv", "total", **match)
            points = [(at[p], v - base[p]) for p, v in zip(x, y, strict=True) if p in base]
            if points:
                axes[1].plot(
                    *zip(*points, strict=True),
                    style,
                    color=colours[regions.index(region) % len(colours)],
                    label=f"{region}, {folder.name}",
                )
    axes[0].set_title(
        f"Exports: scenario minus {reference.name} (both against {_against(reference)})"
    )
    axes[0].set_ylabel(f"{unit} per quarter")
    axes[1].set_title(f"Welfare: scenario minus {reference.name}")
    axes[1].set_ylabel(f"{unit} per quarter")
    for ax in axes:
        ax.axhline(0, color="grey", linewidth=0.8)
        _ticks(ax, periods)
        ax.set_xlabel("quarter")
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
