"""Result folders in the IAMC time-series format, as read by pyam.

One row per model, scenario, region, variable and unit, then one column per period. The
period columns are the first day of each quarter in ISO form (``2023-01-01``), which pyam
reads as a datetime time domain. Variables use ``|`` for their hierarchy:

- ``Trade|Exports|<Sector>|<Partner>``: the region's exports to a partner, value;
- ``Trade|Exports Volume|<Sector>|<Partner>``: the same at baseline prices;
- ``Price|Producer|<Sector>`` and ``Price|Consumer|<Sector>``: indices, baseline year = 1;
- ``Output|<Sector>``: the value of the region's output;
- ``Welfare|<Part>``: money-metric welfare against the run's comparison run (``against`` in
  its run.json), all sectors.
"""

from __future__ import annotations

from math import nan

from sim.compare import ResultFolder
from sim.quarters import Quarter
from sim.tables import Table

WELFARE_PARTS = {
    "consumer_surplus": "Consumer Surplus",
    "producer_surplus": "Producer Surplus",
    "tariff_revenue": "Tariff Revenue",
    "export_rents": "Export Rents",
    "total": "Total",
}


def label(code: str) -> str:
    """A sector code as an IAMC name: ``chip_tools`` -> ``Chip Tools``."""
    return code.replace("_", " ").title()


def period_column(period: str) -> str:
    """``2023Q3`` -> ``2023-07-01``; a year (gravity results, ``2006``) stays a year column."""
    if period.isdigit():
        return period
    return Quarter.parse(period).first_day.isoformat()


def iamc_table(folder: ResultFolder) -> Table:
    """The folder's flows, prices, output and welfare as an IAMC table."""
    periods = list(folder.run["periods"])
    unit = str(folder.run["dataset"]["unit"])
    model = f"tradesim {folder.run.get('tradesim_version', '')} {folder.run.get('model', '')}"
    series: dict[tuple[str, str, str], dict[str, float]] = {}

    def add(region: str, variable: str, unit_name: str, period: str, value: str) -> None:
        if value != "":  # gravity welfare has a total only
            series.setdefault((region, variable, unit_name), {})[period] = float(value)

    per_quarter = f"{unit}/{'year' if all(p.isdigit() for p in periods) else 'quarter'}"
    for r in folder.tables["flows.csv"]:
        if r["exporter"] == r["importer"]:
            continue
        sector, partner = label(r["sector"]), r["importer"]
        add(
            r["exporter"], f"Trade|Exports|{sector}|{partner}", per_quarter, r["period"], r["value"]
        )
        add(
            r["exporter"],
            f"Trade|Exports Volume|{sector}|{partner}",
            f"{per_quarter} at baseline prices",
            r["period"],
            r["volume"],
        )
    for r in folder.tables["prices.csv"]:
        sector = label(r["sector"])
        add(r["region"], f"Price|Producer|{sector}", "index", r["period"], r["producer_price"])
        add(r["region"], f"Price|Consumer|{sector}", "index", r["period"], r["consumer_price"])
        add(r["region"], f"Output|{sector}", per_quarter, r["period"], r["output_value"])
    for r in folder.tables["welfare.csv"]:
        if r["sector"] != "all":
            continue
        for column, name in WELFARE_PARTS.items():
            add(r["region"], f"Welfare|{name}", per_quarter, r["period"], r[column])
    columns = ("model", "scenario", "region", "variable", "unit", *map(period_column, periods))
    rows = [
        (model, folder.name, region, variable, unit_name, *(values.get(p, nan) for p in periods))
        for (region, variable, unit_name), values in sorted(series.items())
    ]
    return Table(columns, rows)
