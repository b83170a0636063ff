"""The vectorised CSV writer gives exactly the bytes of cell-by-cell formatting."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from sim.csvtext import Labels, as_column, csv_chunks, format_cell, header_text
from sim.tables import Table


def reference(rows: list[tuple[object, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([format_cell(cell) for cell in row])
    return buffer.getvalue().encode()


def awkward_floats() -> np.ndarray:
    rng = np.random.default_rng(20231124)
    return np.concatenate(
        [
            rng.standard_normal(20_000) * 10 ** rng.uniform(-9, 9.5, 20_000),
            # six-decimal figures divided by four: a quarter of them end on an exact half
            np.round(rng.uniform(-1000, 1000, 20_000), 6) / 4,
            rng.integers(-(10**7), 10**7, 5_000) / 2e6,
            [0.0, -0.0, math.nan, math.inf, -math.inf, 5e-7, -5e-7, 2.5e-6, 1.5e-6],
            [-4e-7, 1e9, -1e9, 999_999_999.9999995, 1e-300, -1e-300, 999.9999996, -1e6],
            [1.0000005, 0.1234565, 2.675, 1e15, -123_456_789.5],
        ]
    )


def test_float_columns_match_python_formatting_cell_for_cell() -> None:
    values = awkward_floats()
    keys = Labels(np.zeros(len(values), dtype=np.int8), ("k",))
    data = b"".join(csv_chunks([keys, values], len(values)))
    assert data == reference([("k", float(v)) for v in values])
    # a table of one column: csv quotes an empty only field
    alone = b"".join(csv_chunks([values], len(values)))
    assert alone == reference([(float(v),) for v in values])
    assert b'\n""\n' in alone


@pytest.mark.parametrize("rows", [5, 16_384, 40_000])
def test_repeated_and_zero_columns_match_python_formatting(rows: int) -> None:
    # Columns equal to an earlier one (ending a row or not), equal but for one row, all
    # zeros (negative zeros too), zeros but for a NaN: each formatted as on its own.
    rng = np.random.default_rng(rows)
    values = rng.standard_normal(rows) * 10 ** rng.uniform(-7, 10, rows)
    values[::7] = math.nan
    nearly = values.copy()
    nearly[rows // 2] += 1.0
    zeros = np.zeros(rows)
    zeros[::3] = -0.0
    zero_but_nan = np.zeros(rows)
    zero_but_nan[-1] = math.nan
    keys = Labels(np.arange(rows) % 3, ("a", "b", "c"))
    columns = [keys, values, values.copy(), nearly, zeros, -zeros, zero_but_nan, values]
    data = b"".join(csv_chunks(columns, rows))
    expected = reference(
        [
            tuple(c.labels[c.codes[r]] if isinstance(c, Labels) else float(c[r]) for c in columns)
            for r in range(rows)
        ]
    )
    assert data == expected


def test_mixed_tables_match_the_csv_module_including_quoting() -> None:
    rows: list[tuple[object, ...]] = [
        ("2023Q1", "JPY bn, 2023Q1-2026Q4", 'say "hi"', 1.5, math.nan),
        ("2023Q2", "plain", "", -0.0000004, 2.0),
        ("2023Q1", "plain", "x", 12345.6789125, -3.25),
    ]
    table = Table(("a", "b", "c", "d", "e"), rows)
    data = b"".join(csv_chunks(table.data, len(table)))
    assert data == reference(rows)
    assert header_text(table.columns) == "a,b,c,d,e\n"


def test_columns_and_rows_are_two_views_of_one_table() -> None:
    labels = Labels(np.array([1, 0, 1], dtype=np.int16), ("CHN", "JPN"))
    values = np.array([1.0, math.nan, -2.5])
    table = Table(("region", "value"), data=[labels, values])
    assert table.rows[0] == ("JPN", 1.0)
    assert table.rows[2] == ("JPN", -2.5)
    assert math.isnan(table.rows[1][1])
    assert table == Table(("region", "value"), list(table.rows))
    assert table != Table(("region", "value"), [("JPN", 1.0), ("CHN", 0.0), ("JPN", -2.5)])
    column = as_column(["b", "a", "b"])
    assert isinstance(column, Labels) and column.values() == ["b", "a", "b"]


def test_a_table_needs_rows_or_columns_but_not_both() -> None:
    with pytest.raises(ValueError, match="either rows or data"):
        Table(("a",))
    with pytest.raises(ValueError, match="either rows or data"):
        Table(("a",), [(1.0,)], data=[np.array([1.0])])
