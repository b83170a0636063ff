"""CSV text of result tables, built column by column with numpy.

A GTAP-sized run writes some twenty million flow rows; formatting each cell in Python
would take minutes. Here every column becomes a block of bytes at once: text columns
through their few distinct labels, float columns through integer arithmetic on the value
rounded to six decimals, three digits at a time looked up as 4-byte words. Each field is
laid, NUL-padded, into one matrix of a block of rows, and the padding is dropped in one
pass. The bytes are exactly those of :func:`format_cell` (the reference
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
# A block of rows small enough (about 1.5 MB of text) that the passes over it stay in the
# processor's cache: a quarter of a 141 x 65 dataset's flows formats about a quarter faster
# than in blocks of 131,072 rows.
CHUNK_ROWS = 1 << 14
SCALE = 1_000_000  # six decimals
LARGEST_EXACT = 1e9  # beyond this the float product value * 1e6 is not trusted
_ZERO = 0

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


def _words(texts: Sequence[bytes], width: int, *, right: bool) -> NDArray[np.uint32]:
    """Texts NUL-padded to ``width`` bytes (a multiple of 4), as rows of 4-byte words."""
    table = np.zeros((max(len(texts), 1), width), dtype=np.uint8)
    for k, text in enumerate(texts):
        where = slice(width - len(text), width) if right else slice(0, len(text))
        table[k, where] = np.frombuffer(text, dtype=np.uint8)
    return table.view(np.uint32)


def _label_table(column: Labels, end: bytes) -> NDArray[np.uint32]:
    """Each label's CSV bytes and the field's end, NUL-padded, in 4-byte words.

    Shape (word, label): each word of the field as its own contiguous table.
    """
    encoded = [_quoted(label) + end for label in column.labels]
    if any(b"\0" in text for text in encoded):
        raise ValueError("a label contains a NUL character")
    width = max((len(text) for text in encoded), default=1)
    return np.ascontiguousarray(_words(encoded, -(-width // 4) * 4, right=False).T)


def _digit_tables() -> dict[str, NDArray[np.uint32]]:
    """4-byte words of the pieces of a formatted number, each indexed by a group of digits.

    A field ends ``... ddd .fff fff,``: the last word holds the last three decimals and
    the field's end, the one before the point and the first three decimals, then each group
    of three whole digits. A group is indexed by ``k`` (unpadded, the number's leading
    group), ``1000 + k`` (the same with a minus sign) or ``2000 + k`` (zero-padded, a group
    after the leading one). The lowest whole group writes 0 as "0", the higher ones as
    nothing.
    """
    three = [f"{k:03d}".encode() for k in range(1000)]
    lead = [str(k).encode() for k in range(1000)]
    low = lead + [b"-" + t for t in lead] + three
    high = [b""] + lead[1:] + [b""] + [b"-" + t for t in lead[1:]] + three
    return {
        "low": _words(low, 4, right=True).reshape(-1),
        "high": _words(high, 4, right=True).reshape(-1),
        "point": _words([b"." + t for t in three], 4, right=True).reshape(-1),
        ",": _words([t + b"," for t in three], 4, right=True).reshape(-1),
        "\n": _words([t + b"\n" for t in three], 4, right=True).reshape(-1),
    }


_DIGITS = _digit_tables()


def _round_scaled(values: FloatArray) -> FloatArray:
    """``values * 1e6`` rounded to the nearest integer as the exact binary values would be.

    Only a product whose rounded value lands exactly on a half can round the other way
    from the exact one. For those, the product's exact error is found (Veltkamp's split
    and Dekker's product: 1e6 has 14 significant bits, so each half's product is exact)
    and its sign decides; a true tie goes to the even neighbour, as Python formats it.
    """
    product = values * SCALE
    rounded = np.rint(product)
    distance = product - rounded
    np.abs(distance, out=distance)
    # halves are rare: one reduction rules them out (a NaN distance is not one)
    if not distance.max(initial=0.0) >= 0.5:
        return rounded
    half = np.flatnonzero(distance == 0.5)
    if len(half):
        exact = values[half]
        split = 134217729.0 * exact  # 2**27 + 1
        high = split - (split - exact)
        a, b = high * SCALE, (exact - high) * SCALE
        error = b - (product[half] - a)
        floor = np.floor(product[half])
        rounded[half] = np.where(error == 0.0, rounded[half], floor + (error > 0.0))
    return rounded


@dataclass(frozen=True)
class _FloatField:
    """A float column's ``{:.6f}`` text of a block of rows, before it is laid out.

    The integer parts and masks of :func:`_float_field`; ``words`` is the field's width in
    4-byte words, ``groups`` the number of three-digit groups of the whole part.
    """

    negative: NDArray[np.bool_]
    whole: NDArray[np.int32]
    part: NDArray[np.int32]
    empty: NDArray[np.bool_]  # of no length when no value is NaN
    special: list[tuple[int, bytes]]
    groups: int
    words: int


def _float_field(values: FloatArray) -> _FloatField:
    """Split each value into sign, whole part and six decimals (rounded as Python does)."""
    size = np.abs(values)
    # a NaN makes the maximum NaN, which is not below the limit
    every = bool(size.max(initial=0.0) < LARGEST_EXACT)
    # False for NaN and infinities too; needed only when some value is one of those
    fast = np.ones(0, dtype=bool) if every else size < LARGEST_EXACT
    rounded = _round_scaled(values if every else np.where(fast, values, 0.0))
    negative = rounded < 0
    magnitude = np.abs(rounded, out=rounded)
    # magnitude < 1e15 is an integer: its quotient by 1e6 is correctly rounded to well
    # within 1e-6, so the floor is the exact whole part
    whole = np.divide(magnitude, SCALE, out=size)
    np.floor(whole, out=whole)
    magnitude -= whole * SCALE
    part = magnitude.astype(np.int32)
    whole_int = whole.astype(np.int32)
    empty = np.zeros(0, dtype=bool) if every else np.isnan(values)
    special = (
        []
        if every
        else [
            (int(k), format_cell(float(values[k])).encode("ascii"))
            for k in np.flatnonzero(~fast & ~empty)
        ]
    )
    top = int(whole_int.max(initial=0))
    groups = max(1, -(-len(str(top)) // 3))
    # a special's text and the field's end must fit the width too
    longest = max((len(text) for _, text in special), default=0)
    words = max(groups + 2, -(-(longest + 1) // 4))
    return _FloatField(negative, whole_int, part, empty, special, groups, words)


def _lay_float(out: NDArray[np.uint32], field: _FloatField, end: bytes) -> None:
    """Write a float field into its words ``out``, shape (field.words, row)."""
    last = field.words - 1
    # a quotient by a constant is fast in numpy; np.divmod is several times slower
    head = field.part // 1000
    tail = field.part - head * 1000
    np.take(_DIGITS[end.decode()], tail, out=out[last])
    np.take(_DIGITS["point"], head, out=out[last - 1])
    rest = field.whole
    signed = bool(field.negative.any())
    for g in range(field.groups):
        table = _DIGITS["low" if g == 0 else "high"]
        leading = np.where(field.negative, rest + 1000, rest) if signed else rest
        if g < field.groups - 1:
            leading = np.where(rest >= 1000, 2000 + rest % 1000, leading)
        np.take(table, leading, out=out[last - 2 - g])
        if g < field.groups - 1:
            rest = rest // 1000
    out[: last - 1 - field.groups] = 0
    if len(field.empty) and field.empty.any():
        out[:, field.empty] = _words([end], 4 * field.words, right=True).T
    for row, text in field.special:
        out[:, row] = _words([text + end], 4 * field.words, right=True)[0]


_ZERO_FIELD = _float_field(np.zeros(1))


def csv_chunks(columns: Sequence[Column], n_rows: int) -> Iterator[bytes | memoryview]:
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
    ends = [b"\n" if k == len(columns) - 1 else b"," for k in range(len(columns))]
    tables = {
        k: _label_table(column, ends[k])
        for k, column in enumerate(columns)
        if isinstance(column, Labels)
    }
    for start in range(0, n_rows, CHUNK_ROWS):
        rows = slice(start, min(start + CHUNK_ROWS, n_rows))
        count = rows.stop - rows.start
        plans = _plan_block(columns, rows)
        widths = [
            tables[k].shape[0] if plan is None else plan.words for k, plan in enumerate(plans)
        ]
        # Every field is a whole number of 4-byte words. Each word of every row is filled
        # in place, word by word (contiguous), in one matrix of the block; the matrix is
        # turned to rows and its NUL padding dropped in one pass at the end.
        matrix = np.empty((sum(widths), count), dtype=np.uint32)
        starts = np.cumsum([0, *widths])
        for k, (column, plan) in enumerate(zip(columns, plans, strict=True)):
            out = matrix[starts[k] : starts[k + 1]]
            if plan is None:
                assert isinstance(column, Labels)
                codes = column.codes[rows]
                for word, values in zip(out, tables[k], strict=True):
                    np.take(values, codes, out=word)
            elif plan.twin is not None:
                twin = plan.twin
                out[...] = matrix[starts[twin] : starts[twin + 1]]
                if ends[twin] != ends[k]:
                    # the field's end is the last byte of its last word, whatever the rest
                    out[-1].view(np.uint8).reshape(-1, 4)[:, 3] = ends[k][0]
            elif plan.field is None:  # every value is zero: one row's words, repeated
                one = np.empty((plan.words, 1), dtype=np.uint32)
                _lay_float(one, _ZERO_FIELD, ends[k])
                out[...] = one
            else:
                _lay_float(out, plan.field, ends[k])
        text = np.ascontiguousarray(matrix.T).view(np.uint8).reshape(-1)
        # the file takes the array's buffer as it is: no copy into a bytes object
        yield memoryview(text[text != _ZERO])


@dataclass(frozen=True)
class _Plan:
    """How a float column's field of one block is laid.

    From its own digits (``field``), as a copy of an equal column's field (``twin``, that
    column's index), or as zeros (neither).
    """

    words: int
    field: _FloatField | None = None
    twin: int | None = None


def _plan_block(columns: Sequence[Column], rows: slice) -> list[_Plan | None]:
    """Each column's plan for a block of rows (None for a label column).

    Result tables repeat themselves: a flow of a market at rest has its value equal to its
    baseline value and volume, and a change of zero. A float column equal to an earlier
    one in the block (the same bits, compared as integers: the same text) is copied from
    its field; a column of zeros is one row's text repeated. The bytes are those of
    formatting every column, with the digits of each distinct column worked out once.
    """
    plans: list[_Plan | None] = []
    seen: list[tuple[int, NDArray[np.int64]]] = []
    for k, column in enumerate(columns):
        if isinstance(column, Labels):
            plans.append(None)
            continue
        values = np.asarray(column[rows], dtype=np.float64)
        bits = values.view(np.int64)
        twin = next((j for j, o in seen if np.array_equal(o, bits)), None)
        if twin is not None:
            plan = plans[twin]
            assert plan is not None
            plans.append(_Plan(plan.words, twin=twin))
            continue
        seen.append((k, bits))
        # a NaN is truthy: a column without a nonzero is all zeros (or negative zeros)
        if len(values) and not values.any():
            plans.append(_Plan(_ZERO_FIELD.words))
        else:
            field = _float_field(values)
            plans.append(_Plan(field.words, field))
    return plans
