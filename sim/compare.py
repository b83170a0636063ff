"""Comparing result folders: join their tables on their keys and take differences.

The first folder is the reference; every other scenario's values are set beside it with the
absolute difference and the percent difference. Folders are compared only when they were
produced from the same dataset (name and fingerprint) by the same model and version.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import InputError
from sim.percent import percent_change_of
from sim.resultread import read_run, read_table
from sim.tables import Table

# Per result file: the columns that identify a row (mapped onto the common key columns
# period, sector, region, partner, indicator) and the value columns that are compared.
KEY_COLUMNS = ("period", "sector", "region", "partner", "indicator")
LAYOUT: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "summary.csv": (
        {"indicator": "indicator", "sector": "sector", "region": "region", "partner": "partner"},
        ("value",),
    ),
    "flows.csv": (
        {"period": "period", "sector": "sector", "exporter": "region", "importer": "partner"},
        ("value", "volume"),
    ),
    "prices.csv": (
        {"period": "period", "sector": "sector", "region": "region"},
        ("producer_price", "consumer_price", "output_value"),
    ),
    "welfare.csv": (
        {"period": "period", "region": "region", "sector": "sector"},
        (
            "consumer_surplus",
            "producer_surplus",
            "tariff_revenue",
            "export_rents",
            "purchase_cost",
            "total",
            "total_pct_gdp",
            "variety_effect",
        ),
    ),
    "indicators.csv": (
        {"period": "period", "region": "region", "sector": "sector", "indicator": "indicator"},
        ("value",),
    ),
}
HEADLINE_INDICATORS = ("exports", "welfare", "satellite_sales")


@dataclass(frozen=True)
class ResultFolder:
    """A result folder as written by ``tradesim run``."""

    path: Path
    run: dict[str, Any]
    tables: dict[str, list[dict[str, str]]]
    label: str | None = None

    @property
    def name(self) -> str:
        """The scenario's name, or the folder's label where two hold one scenario."""
        return self.label or str(self.run.get("scenario", self.path.name))


def labelled(folders: list[ResultFolder]) -> list[ResultFolder]:
    """Folders of the same scenario labelled by their path ("before and after" checks).

    Raises
    ------
    InputError
        When one folder is given twice.
    """
    from dataclasses import replace

    names = [f.name for f in folders]
    paths = [f.path.resolve() for f in folders]
    twice = sorted({str(f.path) for f, p in zip(folders, paths, strict=True) if paths.count(p) > 1})
    if twice:
        raise InputError(f"folder '{twice[0]}' is given twice")
    return [replace(f, label=str(f.path)) if names.count(f.name) > 1 else f for f in folders]


def load_results(path: Path) -> ResultFolder:
    """Read a result folder, checking every file (see :mod:`sim.resultread`).

    Raises
    ------
    ResultFolderError
        For a folder that is not a result folder or holds a missing or damaged file.
    """
    run = read_run(path)
    periods = set(run["periods"])
    tables = {}
    for name, (mapping, measures) in LAYOUT.items():
        parquet = path / name.replace(".csv", ".parquet")
        if not (path / name).is_file() and parquet.is_file():  # tradesim run --format parquet
            from sim.tabular import read_parquet_rows

            tables[name] = read_parquet_rows(parquet)
            continue
        tables[name] = read_table(path / name, tuple(mapping), measures, periods)
    return ResultFolder(path, run, tables)


def _against_name(against: Any) -> str:
    if not isinstance(against, dict):
        return "its modelled baseline"
    name = against.get("name")
    return "the no-policy path" if name == "no-policy" else f"'{name}'"


def check_compatible(folders: list[ResultFolder]) -> None:
    """Refuse folders from different datasets, models or versions, or with equal names."""
    reference = folders[0]

    def identity(folder: ResultFolder) -> tuple[Any, ...]:
        dataset = folder.run.get("dataset", {})
        return (
            dataset.get("name"),
            dataset.get("fingerprint"),
            folder.run.get("model"),
            folder.run.get("tradesim_version"),
        )

    for folder in folders[1:]:
        if identity(folder) != identity(reference):
            a, b = identity(reference), identity(folder)
            raise InputError(
                f"'{folder.path}' was produced from dataset {b[0]} ({b[1]}) by {b[2]} "
                f"tradesim {b[3]}, but '{reference.path}' from dataset {a[0]} ({a[1]}) by "
                f"{a[2]} tradesim {a[3]}; only runs of the same dataset and version compare"
            )
    # Welfare and every change are differences against a run's comparison run: folders
    # measured against different runs would set unlike numbers side by side.
    measured = [folder.run.get("against") for folder in folders]
    for folder, against in zip(folders[1:], measured[1:], strict=True):
        if against != measured[0]:
            raise InputError(
                f"'{folder.path}' is measured against {_against_name(against)} and "
                f"'{reference.path}' against {_against_name(measured[0])}; compare runs "
                "measured against the same run (tradesim run ... --against no-policy)"
            )
    names = [f.name for f in folders]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"two folders hold scenario '{twice[0]}'; compare different scenarios")


def _number(text: str) -> float:
    return float(text) if text not in ("", None) else math.nan


def comparison_columns(names: list[str]) -> tuple[str, ...]:
    """Columns of the comparison table for scenarios ``names`` (the first the reference)."""
    extra = []
    for name in names[1:]:
        extra += [f"{name}_minus_{names[0]}", f"{name}_pct_change"]
    return ("file", *KEY_COLUMNS, "measure", "unit", *names, *extra)


def compare(folders: list[ResultFolder], files: tuple[str, ...] = tuple(LAYOUT)) -> Table:
    """Join the folders' tables on their keys, one row per key and measure.

    Parameters
    ----------
    folders : list of ResultFolder
        The first is the reference.
    files : tuple of str
        Which result files to compare.

    Returns
    -------
    Table
        Columns :func:`comparison_columns`; a key missing from a scenario (e.g. a quarter
        outside its horizon) has an empty value there.
    """
    check_compatible(folders)
    names = [f.name for f in folders]
    rows = []
    for file in files:
        mapping, measures = LAYOUT[file]
        indexed: list[dict[tuple[str, ...], dict[str, str]]] = []
        order: dict[tuple[str, ...], None] = {}
        for folder in folders:
            table = {}
            for row in folder.tables[file]:
                common = {mapping[c]: row[c] for c in mapping}
                key = tuple(common.get(k, "") for k in KEY_COLUMNS)
                table[key] = row
                order.setdefault(key, None)
            indexed.append(table)
        for key in order:
            for measure in measures:
                present = [t.get(key) for t in indexed]
                values = [_number(r[measure]) if r else math.nan for r in present]
                unit = next((r.get("unit", "") for r in present if r), "")
                diffs: list[float] = []
                for v in values[1:]:
                    diffs += [v - values[0], percent_change_of(v, values[0])]
                rows.append((file, *key, measure, unit, *values, *diffs))
    return Table(comparison_columns(names), rows)


def headline(
    folders: list[ResultFolder], indicators: tuple[str, ...] = HEADLINE_INDICATORS, top: int = 8
) -> Table:
    """The horizon totals of ``summary.csv`` that differ most between the scenarios.

    Exports are ranked by the largest absolute difference from the reference and the
    ``top`` ones kept; welfare and satellite rows are all kept.
    """
    full = compare(folders, ("summary.csv",))
    known = sorted({row["indicator"] for f in folders for row in f.tables["summary.csv"]})
    unknown = [name for name in indicators if name not in known]
    if unknown:
        raise InputError(f"unknown indicator '{unknown[0]}'; summary.csv has: {', '.join(known)}")
    n = len(folders)
    first_value = full.columns.index(folders[0].name)
    indicator_at = full.columns.index("indicator")
    measure_at = full.columns.index("measure")

    def spread(row: tuple[Any, ...]) -> float:
        values = row[first_value : first_value + n]
        gaps = [abs(v - values[0]) for v in values[1:] if math.isfinite(v - values[0])]
        return max(gaps, default=0.0)

    chosen = []
    for name in indicators:
        rows = [r for r in full.rows if r[indicator_at] == name and r[measure_at] == "value"]
        if name == "exports":
            rows = sorted(rows, key=spread, reverse=True)[:top]
        chosen += rows
    return Table(full.columns, chosen)
