"""The one renderer of the tables the commands print: fixed-width columns, one line a row.

A command declares its columns (title, width, alignment, number format) and passes rows of
plain values; the renderer lays out the header and the rows the same way for every table.
It returns lines, so that a table can be checked without a terminal. Tables printed as
JSON go through :func:`json_records`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    """One column of a printed table.

    Attributes
    ----------
    title : str
        The header cell.
    width : int
        Characters the cell is padded to (0: no padding, for a last column).
    align : {"<", ">"}
        Left or right alignment of the header and the cells.
    number : str
        A float format (``".1f"``, ``"+.1f"``, ``".4g"``) for a numeric column; empty for
        text. A missing (None) or NaN number is a blank cell.
    gap : int
        Spaces before the column.
    """

    title: str
    width: int
    align: str = "<"
    number: str = ""
    gap: int = 0

    def cell(self, value: Any) -> str:
        """``value`` laid out in this column."""
        if self.number and value is not None and not isinstance(value, str):
            number = float(value)
            text = "" if math.isnan(number) else f"{number:{self.number}}"
        else:
            text = "" if value is None else str(value)
        return " " * self.gap + f"{text:{self.align}{self.width}}"

    def head(self) -> str:
        """The header cell laid out in this column."""
        return " " * self.gap + f"{self.title:{self.align}{self.width}}"


def render(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    indent: str = "",
    header: bool = True,
) -> list[str]:
    """The lines of a table: the header (unless ``header`` is False), then one per row.

    Parameters
    ----------
    columns : sequence of Column
    rows : iterable of sequences
        One value per column, in the columns' order.
    indent : str
        Put before every line.
    header : bool

    Returns
    -------
    list of str
    """
    lines = [indent + "".join(c.head() for c in columns)] if header else []
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row of {len(row)} values for {len(columns)} columns")
        lines.append(indent + "".join(c.cell(v) for c, v in zip(columns, row, strict=True)))
    return lines


def json_cell(value: Any) -> Any:
    """A cell for JSON: numbers as numbers (rounded as in the CSV files), NaN as null."""
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6) + 0.0
    return value


def json_records(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table as a JSON list of records, one object a row, keys in column order.

    Parameters
    ----------
    columns : sequence of str
    rows : iterable of sequences

    Returns
    -------
    str
        Indented by two spaces, without a final newline.
    """
    records = [{c: json_cell(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    return json.dumps(records, indent=2)
