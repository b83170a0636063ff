"""The columns of every result file: names in order, keys, types, units and meanings.

One declaration serves the writer (:func:`check_table` before a file is written), the
reader (:mod:`sim.resultread` checks headers and cells against it), the comparison of
folders (its key and value columns) and the documentation (:func:`markdown` renders the
tables of ``docs/results.md``, which a test keeps current). Both models write the same
files with the same columns; their units differ because the Armington model is solved per
quarter and the gravity model for its data year.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from sim.csvtext import Labels

Dtype = Literal["text", "int", "float"]
MODELS = ("armington-pe", "structural-gravity")
BAND_NAMES = ("change_mean", "change_p05", "change_p50", "change_p95")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of a result file.

    Attributes
    ----------
    name : str
    dtype : {"text", "int", "float"}
        A float cell may be empty (not a number: a percent change of a zero reference).
    unit : str
        Unit of the values ("" for key and text columns).
    description : str
        One line.
    key : bool
        Whether the column identifies the row (rows are sorted by the key columns).
    """

    name: str
    dtype: Dtype
    unit: str
    description: str
    key: bool = False


@dataclass(frozen=True)
class FileSchema:
    """The columns of one result file.

    Attributes
    ----------
    name : str
        File name, e.g. ``flows.csv``.
    row : str
        What one row is.
    columns : tuple of ColumnSpec
        Always present, in this order.
    optional : tuple of ColumnSpec
        Written after ``columns`` by some runs (the Monte Carlo bands), all or none.
    """

    name: str
    row: str
    columns: tuple[ColumnSpec, ...]
    optional: tuple[ColumnSpec, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The names of the columns always present, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def keys(self) -> tuple[str, ...]:
        """The key columns, in order."""
        return tuple(c.name for c in self.columns if c.key)

    def layouts(self) -> tuple[tuple[str, ...], ...]:
        """The headers a file may have: without and (if any) with the optional columns."""
        full = (*self.names, *(c.name for c in self.optional))
        return (self.names, full) if self.optional else (self.names,)

    def spec(self, name: str) -> ColumnSpec:
        """The declaration of column ``name``."""
        for column in (*self.columns, *self.optional):
            if column.name == name:
                return column
        raise KeyError(name)


def _key(name: str, description: str, dtype: Dtype = "text") -> ColumnSpec:
    return ColumnSpec(name, dtype, "", description, key=True)


def _schemas(per: str, period: str) -> dict[str, FileSchema]:
    """The result files of a model whose flows are ``per`` period (``quarter``, ``year``)."""
    money = f"currency per {per}"
    horizon = "currency, summed over the horizon, or as the unit column says"
    index = "index, baseline year = 1"
    pct = "percent"
    bands = tuple(
        ColumnSpec(name, "float", "as the unit column", f"{what} of the change over the draws")
        for name, what in zip(
            BAND_NAMES, ("mean", "5th percentile", "median", "95th percentile"), strict=True
        )
    )
    value_columns = (
        ColumnSpec("unit", "text", "", "unit of value, baseline_value and change"),
        ColumnSpec("value", "float", "as the unit column", "the figure in the scenario"),
        ColumnSpec("baseline_value", "float", "as the unit column", "in the comparison run"),
        ColumnSpec("change", "float", "as the unit column", "value - baseline_value"),
        ColumnSpec("change_pct", "float", pct, "percent change (empty for % units)"),
    )
    welfare_part = "change against the comparison run"
    return {
        "flows.csv": FileSchema(
            "flows.csv",
            "period x sector x exporter x importer",
            (
                _key("period", period),
                _key("sector", "sector code"),
                _key("exporter", "origin region code"),
                _key("importer", "destination region code (= exporter: home sales)"),
                ColumnSpec("value", "float", money, "flow value at producer (world) prices"),
                ColumnSpec("baseline_value", "float", money, "the same in the comparison run"),
                ColumnSpec("change", "float", money, "value - baseline_value"),
                ColumnSpec("change_pct", "float", pct, "percent change of value"),
                ColumnSpec("volume", "float", f"{money}, baseline prices", "value / price"),
                ColumnSpec(
                    "baseline_volume", "float", f"{money}, baseline prices", "comparison run"
                ),
            ),
        ),
        "prices.csv": FileSchema(
            "prices.csv",
            "period x sector x region",
            (
                _key("period", period),
                _key("sector", "sector code"),
                _key("region", "region code"),
                ColumnSpec("producer_price", "float", index, "producer (factory-gate) price"),
                ColumnSpec("baseline_producer_price", "float", index, "in the comparison run"),
                ColumnSpec("consumer_price", "float", index, "composite buyer price"),
                ColumnSpec("baseline_consumer_price", "float", index, "in the comparison run"),
                ColumnSpec("output_value", "float", money, "sales to all markets, home included"),
                ColumnSpec("baseline_output_value", "float", money, "in the comparison run"),
            ),
        ),
        "welfare.csv": FileSchema(
            "welfare.csv",
            "period x region x sector (and all)",
            (
                _key("period", period),
                _key("region", "region code"),
                _key("sector", "sector code or all"),
                ColumnSpec("consumer_surplus", "float", money, f"buyers' surplus, {welfare_part}"),
                ColumnSpec(
                    "producer_surplus", "float", money, f"producers' surplus, {welfare_part}"
                ),
                ColumnSpec("tariff_revenue", "float", money, f"tariff revenue, {welfare_part}"),
                ColumnSpec("export_rents", "float", money, f"export rents, {welfare_part}"),
                ColumnSpec("purchase_cost", "float", money, "government purchases (negative)"),
                ColumnSpec("total", "float", money, "welfare change (sum of the five)"),
                ColumnSpec("total_pct_gdp", "float", f"% of GDP per {per}", "total over GDP"),
                ColumnSpec("variety_effect", "float", money, "part of consumer_surplus: variety"),
            ),
        ),
        "indicators.csv": FileSchema(
            "indicators.csv",
            "period x region x sector x indicator",
            (
                _key("period", period),
                _key("region", "region code, or REGION.satellite"),
                _key("sector", "sector code or all"),
                _key("indicator", "indicator name"),
                *value_columns,
            ),
            bands,
        ),
        "summary.csv": FileSchema(
            "summary.csv",
            "headline figure over the whole horizon",
            (
                _key("indicator", "headline figure"),
                _key("sector", "sector code or all"),
                _key("region", "exporter, region or satellite"),
                _key("partner", "importer (exports), otherwise empty"),
                value_columns[0],
                *(
                    ColumnSpec(c.name, c.dtype, horizon if c.unit != pct else pct, c.description)
                    for c in value_columns[1:]
                ),
            ),
            bands,
        ),
        "draws.csv": FileSchema(
            "draws.csv",
            "draw x summary row (--keep-draws)",
            (
                _key("draw", "0-based index of the draw", "int"),
                _key("indicator", "summary.csv's indicator"),
                _key("sector", "summary.csv's sector"),
                _key("region", "summary.csv's region"),
                _key("partner", "summary.csv's partner"),
                ColumnSpec("change", "float", "as summary.csv's unit", "the change in the draw"),
            ),
        ),
        "draw_parameters.csv": FileSchema(
            "draw_parameters.csv",
            "draw x drawn parameter (--keep-draws)",
            (
                _key("draw", "0-based index of the draw", "int"),
                _key("parameter", "a key of the scenario's uncertainty block"),
                ColumnSpec("value", "float", "as the parameter", "the value the draw used"),
            ),
        ),
    }


SCHEMAS: dict[str, dict[str, FileSchema]] = {
    "armington-pe": _schemas("quarter", "quarter, e.g. 2023Q3"),
    "structural-gravity": _schemas("year", "the data year, e.g. 2006"),
}
# The tables every run writes; draws.csv and draw_parameters.csv only with --keep-draws.
TABLE_FILES = ("flows.csv", "prices.csv", "welfare.csv", "indicators.csv", "summary.csv")
DRAW_FILES = ("draws.csv", "draw_parameters.csv")
RESULT_FILES = (*TABLE_FILES, "run.json")


def schema(file: str, model: str = "armington-pe") -> FileSchema:
    """The declaration of result file ``file`` as ``model`` writes it."""
    return SCHEMAS.get(model, SCHEMAS["armington-pe"])[file]


def names(file: str) -> tuple[str, ...]:
    """The columns of ``file`` always present, in order (the same for both models)."""
    return schema(file).names


def check_table(file: str, columns: Sequence[str], data: Sequence[Any], model: str) -> None:
    """Check a table against its declaration before it is written.

    Parameters
    ----------
    file : str
        The file name in the result folder.
    columns : sequence of str
    data : sequence of column
        :class:`~sim.csvtext.Labels` for text (and int) columns, float arrays for floats.
    model : str

    Raises
    ------
    ValueError
        For an undeclared file, other columns or a column of the wrong type: a defect of
        the program, not of its input.
    """
    declared = SCHEMAS.get(model, SCHEMAS["armington-pe"])
    if file not in declared:
        raise ValueError(f"{file} is not a declared result file")
    spec = declared[file]
    if tuple(columns) not in spec.layouts():
        raise ValueError(f"{file}: columns {tuple(columns)} are not {spec.names}")
    for name, column in zip(columns, data, strict=True):
        dtype = spec.spec(name).dtype
        if dtype == "float" and isinstance(column, Labels):
            raise ValueError(f"{file}: column {name} must hold numbers")
        if dtype == "text" and not isinstance(column, Labels):
            raise ValueError(f"{file}: column {name} must hold text")
        if dtype == "int" and isinstance(column, Labels):
            if not all(label.lstrip("-").isdigit() for label in column.labels):
                raise ValueError(f"{file}: column {name} must hold integers")
        elif dtype == "int" and not np.array_equal(np.asarray(column) % 1, np.zeros(len(column))):
            raise ValueError(f"{file}: column {name} must hold integers")


def markdown(files: Mapping[str, FileSchema] | None = None) -> str:
    """The column tables of ``docs/results.md``: one per file, type and unit of each column.

    Units are those of the Armington model; gravity results have the same columns with
    ``per year`` where these say ``per quarter``.
    """
    files = SCHEMAS["armington-pe"] if files is None else files
    lines: list[str] = []
    for spec in files.values():
        lines += [f"#### {spec.name}", "", f"One row per {spec.row}.", ""]
        lines += ["| column | key | type | unit | meaning |", "|---|---|---|---|---|"]
        for column in spec.columns:
            lines.append(
                f"| `{column.name}` | {'yes' if column.key else ''} | {column.dtype} "
                f"| {column.unit} | {column.description} |"
            )
        for column in spec.optional:
            lines.append(
                f"| `{column.name}` (with --draws) | | {column.dtype} | {column.unit} "
                f"| {column.description} |"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
