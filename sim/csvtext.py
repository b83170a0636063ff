"""CSV text of result tables, built column by column with numpy.

A GTAP-sized run writes some twenty million flow rows; formatting each cell in Python
would take minutes. Here every column becomes a block of bytes at once: text columns
through their few distinct labels, float columns through integer arithmetic on the value
rounded to six decimals. The bytes are exactly those of :func:`format_cell` (the reference
formatting, ``{:.6f}`` without negative zero, NaN empty) written by :mod:`csv` with Unix
line endings. A value whose product by 1e6 lands on a half is rounded by the sign of the
product's exact error; a value too large for the integer path is formatted by
:func:`format_cell` itself.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FLOAT_FORMAT = "{:.6f}"
CHUNK_ROWS = 1 << 17
SCALE = 1_000_000  # six decimals
LARGEST_EXACT = 1e9  # beyond this the float product value * 1e6 is not trusted
_ZERO, _MINUS, _DOT, _COMMA, _NEWLINE = 0, ord("-"), ord("."), ord(","), ord("\n")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Labels:
    """A text column as codes into its distinct labels.

    Attributes
    ----------
    codes : ndarray of int, shape (row,)
    labels : tuple of str
    """

    codes: NDArray[np.integer[Any]]
    labels: tuple[str, ...]

    def values(self) -> list[str]:
        """The column's cells as strings."""
        return list(np.array(self.labels, dtype=object)[self.codes].tolist())

    def __len__(self) -> int:
        return len(self.codes)


Column = Labels | FloatArray


def format_cell(value: object) -> str:
    """Format one cell: floats with six decimals (no negative zero), NaN as empty."""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = FLOAT_FORMAT.format(value)
        return text[1:] if text.startswith("-") and float(text) == 0.0 else text
    return str(value)


def as_column(cells: Sequence[Any]) -> Column:
    """A column of Python cells: floats become an array, anything else labels."""
    kinds = set(map(type, cells))
    if all(issubclass(kind, float) for kind in kinds):
        return np.array(cells, dtype=np.float64)
    text = cells if kinds <= {str} else list(map(format_cell, cells))
    labels = tuple(sorted(set(text)))
    at = {label: k for k, label in enumerate(labels)}
    codes = np.fromiter(map(at.__getitem__, text), dtype=np.int32, count=len(text))
    return Labels(codes, labels)


def header_text(columns: Sequence[str]) -> str:
    """The header line, as :mod:`csv` writes it."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(columns)
    return buffer.getvalue()


def _quoted(label: str) -> bytes:
    """One field as :mod:`csv` writes it inside a row (quoted only where it must be)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow([label, ""])
    return buffer.getvalue()[:-2].encode("utf-8")


def _label_table(column: Labels) -> NDArray[np.uint8]:
    """Each label's CSV bytes, NUL-padded, shape (label, width)."""
    encoded = [_quoted(label) for label in column.labels]
    if any(b"\0" in text for text in encoded):
        raise ValueError("a label contains a NUL character")
    width = max((len(text) for text in encoded), default=0)
    table = np.zeros((max(len(encoded), 1), max(width, 1)), dtype=np.uint8)
    for k, text in enumerate(encoded):
        table[k, : len(text)] = np.frombuffer(text, dtype=np.uint8)
    return table


def _round_scaled(values: FloatArray) -> FloatArray:
    """``values * 1e6`` rounded to the nearest integer as the exact binary values would be.

    Only a product whose rounded value lands exactly on a half can round the other way
    from the exact one. For those, the product's exact error is found (Veltkamp's split
    and Dekker's product: 1e6 has 14 significant bits, so each half's product is exact)
    and its sign decides; a true tie goes to the even neighbour, as Python formats it.
    """
    product = values * SCALE
    rounded = np.rint(product)
    half = np.flatnonzero(np.abs(product - rounded) == 0.5)
    if len(half):
        exact = values[half]
        split = 134217729.0 * exact  # 2**27 + 1
        high = split - (split - exact)
        a, b = high * SCALE, (exact - high) * SCALE
        error = b - (product[half] - a)
        floor = np.floor(product[half])
        rounded[half] = np.where(error == 0.0, rounded[half], floor + (error > 0.0))
    return rounded


def _float_block(values: FloatArray) -> NDArray[np.uint8]:
    """Right-aligned ``{:.6f}`` text of each value, NUL-padded, shape (row, width)."""
    n = len(values)
    finite = np.isfinite(values) & (np.abs(values) < LARGEST_EXACT)
    rounded = _round_scaled(np.where(finite, values, 0.0))
    fast = finite
    empty = np.isnan(values)
    magnitude = np.where(fast, np.abs(rounded), 0.0).astype(np.int64)
    whole = (magnitude // SCALE).astype(np.int32)
    part = (magnitude % SCALE).astype(np.int32)
    top = int(whole.max(initial=0))
    digits = len(str(top))
    special = [(int(k), format_cell(float(values[k]))) for k in np.flatnonzero(~fast & ~empty)]
    width = max(digits + 8, max((len(text) for _, text in special), default=0))
    block = np.zeros((n, width), dtype=np.uint8)
    for k in range(6):
        block[:, width - 1 - k] = 48 + (part // 10**k) % 10
    block[:, width - 7] = _DOT
    length = np.ones(n, dtype=np.int32)
    for k in range(digits):
        column = width - 8 - k
        if k == 0:
            block[:, column] = 48 + whole % 10
        else:
            present = whole >= 10**k
            length = length + present
            block[:, column] = np.where(present, 48 + (whole // 10**k) % 10, _ZERO)
    negative = np.flatnonzero(fast & (rounded < 0))
    block[negative, width - 8 - length[negative]] = _MINUS
    block[empty] = _ZERO
    for row, text in special:
        block[row] = _ZERO
        if text:
            block[row, width - len(text) :] = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    return block


def csv_chunks(columns: Sequence[Column], n_rows: int) -> Iterator[bytes]:
    """The body of a CSV file (no header), in chunks of bytes.

    Parameters
    ----------
    columns : sequence of Labels or float ndarray
        Each of length ``n_rows``.
    n_rows : int
    """
    if len(columns) == 1:  # csv quotes a row's only field when it is empty
        column = columns[0]
        cells = column.values() if isinstance(column, Labels) else column.tolist()
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([format_cell(c)] for c in cells)
        yield buffer.getvalue().encode("utf-8")
        return
    tables = {
        k: _label_table(column) for k, column in enumerate(columns) if isinstance(column, Labels)
    }
    for start in range(0, n_rows, CHUNK_ROWS):
        rows = slice(start, min(start + CHUNK_ROWS, n_rows))
        count = rows.stop - rows.start
        blocks: list[NDArray[np.uint8]] = []
        for k, column in enumerate(columns):
            if isinstance(column, Labels):
                blocks.append(tables[k][column.codes[rows]])
            else:
                blocks.append(_float_block(np.asarray(column[rows], dtype=np.float64)))
            end = _NEWLINE if k == len(columns) - 1 else _COMMA
            blocks.append(np.full((count, 1), end, dtype=np.uint8))
        matrix = np.concatenate(blocks, axis=1)
        yield matrix[matrix != _ZERO].tobytes()
