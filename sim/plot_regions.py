"""Bar charts of static (one-period) results: one bar per region and scenario.

A static model's results (``model: gravity``) have one period, so a time path is a single
point per line and shows nothing. These charts draw each region's percent change instead:
one group of bars per region, one bar per scenario in the group.
Needs matplotlib (the ``plot`` extra); it is imported only when a chart is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.compare import ResultFolder, check_compatible
from sim.plot import pyplot

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# indicators.csv rows drawn, with their panel titles
PANELS = (
    ("welfare", "Welfare (real expenditure)"),
    ("real_gdp", "Real GDP"),
    ("factory_gate_price", "Factory-gate price"),
)


def region_changes(folder: ResultFolder, indicator: str) -> dict[str, float]:
    """Each region's ``change_pct`` of an ``indicators.csv`` indicator, all sectors.

    Returns
    -------
    dict
        Region code -> percent change against the folder's comparison run; empty cells
        become NaN.
    """
    return {
        row["region"]: float(row["change_pct"])
        for row in folder.rows("indicators.csv", indicator=indicator, sector="all")
    }


def _regions(folders: list[ResultFolder]) -> list[str]:
    return sorted({r for f in folders for r in region_changes(f, PANELS[0][0])})


def regions_figure(folders: list[ResultFolder]) -> Figure:
    """Percent changes of welfare, real GDP and factory-gate prices, by region.

    Parameters
    ----------
    folders : list of ResultFolder
        Results of a static model; each is one bar per region in every panel.
    """
    plt = pyplot()
    check_compatible(folders)
    regions = _regions(folders)
    x = np.arange(len(regions))
    width = 0.8 / len(folders)
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(max(8, 0.35 * len(regions) + 2), 11))
    for ax, (indicator, title) in zip(axes, PANELS, strict=True):
        for n, folder in enumerate(folders):
            changes = region_changes(folder, indicator)
            heights = [changes.get(r, float("nan")) for r in regions]
            ax.bar(x + (n - (len(folders) - 1) / 2) * width, heights, width, label=folder.name)
        ax.set_xticks(x, regions, rotation=90)
        ax.set_title(f"{title}: change against each run's comparison run")
        ax.set_ylabel("%")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def regions_differences_figure(folders: list[ResultFolder]) -> Figure:
    """Each scenario's welfare change minus the first scenario's, by region, in points.

    Parameters
    ----------
    folders : list of ResultFolder
        Results of a static model; the first is the reference.
    """
    plt = pyplot()
    check_compatible(folders)
    reference, others = folders[0], folders[1:]
    regions = _regions(folders)
    base = region_changes(reference, "welfare")
    x = np.arange(len(regions))
    width = 0.8 / max(1, len(others))
    fig, ax = plt.subplots(figsize=(max(8, 0.35 * len(regions) + 2), 5))
    for n, folder in enumerate(others):
        changes = region_changes(folder, "welfare")
        heights = [changes.get(r, float("nan")) - base.get(r, float("nan")) for r in regions]
        ax.bar(x + (n - (len(others) - 1) / 2) * width, heights, width, label=folder.name)
    ax.set_xticks(x, regions, rotation=90)
    ax.set_title(f"Welfare change: scenario minus {reference.name}")
    ax.set_ylabel("percentage points")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
