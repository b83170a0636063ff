"""Result tables in the formats analysts use: Parquet (pyarrow) and Excel (openpyxl).

Both libraries are optional (the ``pandas`` extra) and imported only here, when a file of
that format is written or read. A Parquet result folder holds one ``<table>.parquet`` per
CSV file, with the same columns: labels as dictionary-encoded strings, values as doubles at
full precision (empty CSV cells are nulls). An Excel export holds one sheet per table and a
``run`` sheet of the run's metadata. Both are written deterministically: the same result
gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
import re
import zipfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from sim.csvtext import Labels
from sim.files import Writeback, fsync_file
from sim.model import frozen
from sim.optional import need

if TYPE_CHECKING:
    from sim.tables import Table

# Columns that hold labels even when every cell looks like a number (gravity's years).
TEXT_COLUMNS = ("period", "year", "draw")
# Excel files carry a creation time; a fixed one keeps the bytes of an export reproducible.
FIXED_TIME = dt.datetime(2000, 1, 1)
EXCEL_MAX_ROWS = 1_048_575


def write_parquet(destination: Path | BinaryIO, table: Table) -> None:
    """Write one table as a Parquet file (the columns of its CSV file).

    Parameters
    ----------
    destination : Path or binary file
        A path is a new file, flushed to disk.
    table : Table
    """
    pa = need("pyarrow", "pandas", "Parquet output")
    parquet = need("pyarrow.parquet", "pandas", "Parquet output")
    arrays = []
    for column in table.data:
        if isinstance(column, Labels):
            labels = string_array(pa, column.labels)
            codes = number_array(pa, pa.int32(), column.codes.astype(np.int32))
            arrays.append(pa.DictionaryArray.from_arrays(codes, labels))
        else:
            arrays.append(float_array(pa, column))
    kinds = [isinstance(column, Labels) for column in table.data]
    schema = table_schema(pa, table.columns, kinds)
    parquet.write_table(
        pa.Table.from_arrays(arrays, schema=schema), destination, **encodings(table.columns, kinds)
    )
    if isinstance(destination, Path):
        fsync_file(destination)


def table_schema(pa: Any, columns: Sequence[str], kinds: Sequence[bool]) -> Any:
    """The Arrow schema of a result table: labels required, numbers nullable.

    Labels are dictionary-encoded strings with 32-bit indices; numbers are doubles, null
    where the CSV cell is empty. A label is never missing: declared required, its column is
    written without definition levels (about a fifth of the writer's time on the 141 x 65
    flows).
    """
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.schema(
        [
            pa.field(name, text, nullable=False) if kind else pa.field(name, pa.float64())
            for name, kind in zip(columns, kinds, strict=True)
        ]
    )


def float_array(pa: Any, column: Any) -> Any:
    """A float column as an Arrow array, NaN as null (as ``from_pandas=True`` gives).

    Arrow's own NaN scan (``from_pandas=True``) takes about 5 ms per million values; a
    numpy mask about 0.6 ms, and a column without NaN (most of them) is taken as it is,
    with no validity buffer, as Arrow does then.
    """
    values = np.ascontiguousarray(column, dtype=np.float64)
    # a NaN makes the sum NaN: a finite sum is a column without NaN, found in one pass
    # without a mask
    with np.errstate(over="ignore", invalid="ignore"):
        total = values.sum()
    if not np.isfinite(total):
        missing = np.isnan(values)
        if missing.any():
            return number_array(pa, pa.float64(), values, valid=~missing)
    return number_array(pa, pa.float64(), values)


def number_array(
    pa: Any, kind: Any, values: NDArray[Any], valid: NDArray[np.bool_] | None = None
) -> Any:
    """An Arrow array of numbers over a numpy array's memory, nulls where not ``valid``.

    Built from its buffers: ``pyarrow.array`` asks pandas whether its argument is one of
    pandas' own, which imports pandas (0.2 s of a run) the first time; the array is the same.

    Parameters
    ----------
    pa : module
        ``pyarrow``.
    kind : pyarrow.DataType
        Of the same width as ``values``' dtype (``float64``, ``int32``).
    values : ndarray
        One-dimensional and contiguous, in the machine's byte order.
    valid : ndarray of bool, optional
        Which values are not null; all by default.
    """
    values = np.ascontiguousarray(values)
    bitmap = None
    nulls = 0
    if valid is not None:
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
        nulls = len(valid) - int(np.count_nonzero(valid))
    return pa.Array.from_buffers(kind, len(values), [bitmap, pa.py_buffer(values)], nulls)


def string_array(pa: Any, texts: Sequence[str]) -> Any:
    """An Arrow array of strings from its buffers (see :func:`number_array`)."""
    encoded = [text.encode("utf-8") for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(data) for data in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers)


def _equal(kept: NDArray[np.int32], codes: NDArray[np.integer[Any]]) -> bool:
    return kept.shape == codes.shape and bool(np.array_equal(kept, codes))


# Number columns of levels (bilateral values and volumes, indicators' levels): distinct
# doubles in measured data, which Snappy shrinks by less than a tenth (see encodings).
LEVEL_COLUMNS = ("value", "baseline_value", "volume", "baseline_volume")


def encodings(columns: Sequence[str], kinds: Sequence[bool]) -> dict[str, Any]:
    """How each column of a result table is encoded in Parquet (``ParquetWriter`` options).

    Labels are dictionary-encoded; numbers are PLAIN (the doubles as they are). Pages of
    labels and of numbers other than levels (:data:`LEVEL_COLUMNS`) are compressed with
    Snappy: a change against the comparison run is exactly 0 wherever nothing moved,
    which compresses well. Levels are not compressed. Statistics (minimum and maximum)
    are kept for ``period`` only, so that a reader can skip other quarters' row groups.
    Values are handed to the encoders 64 Ki at a time (Arrow's default is 1 Ki).

    Measured on one quarter of the 141 x 65 flows (CPU milliseconds of the writer and
    megabytes, for its six number columns alone), as written and with every value made distinct
    (times 1 + 1e-9 noise, as measured data are): these options 44 ms and 45.1 MB (50 ms
    and 47.6 MB distinct); BYTE_STREAM_SPLIT and Snappy on every number 81 ms and 45.2 MB
    (99 ms, 48.4 MB); PLAIN and Snappy on every number 114 ms and 31.7 MB (102 ms, 44.9
    MB: the synthetic dataset repeats its values); nothing compressed 29 ms and 61.7 MB.
    Snappy on a level saves 0.8 of its 10.3 MB at twice the cost; on the percent changes
    it halves the column, where BYTE_STREAM_SPLIT kept 5.7 MB at twice the cost of PLAIN.
    Dictionary-encoding every column (Arrow's default) took 231 ms and 46.8 MB for the
    quarter of distinct values (the options here: 71 ms and 47.9 MB, labels included).

    Parameters
    ----------
    columns : sequence of str
    kinds : sequence of bool
        Whether each column holds labels (True) or numbers.
    """
    labels = [name for name, kind in zip(columns, kinds, strict=True) if kind]
    numbers = [name for name, kind in zip(columns, kinds, strict=True) if not kind]
    return {
        "use_dictionary": labels,
        "column_encoding": dict.fromkeys(numbers, "PLAIN"),
        "compression": {
            name: "none" if name in LEVEL_COLUMNS and name in numbers else "snappy"
            for name in columns
        },
        "write_statistics": [name for name in labels if name == "period"],
        "write_batch_size": 64 * 1024,
    }


class ParquetStream:
    """A Parquet file written a row group per block of rows (the columns of its CSV file).

    Labels are dictionary-encoded strings with 32-bit indices in every row group, so that
    blocks with different label sets share one schema. The file is flushed to disk by
    :meth:`finish` (in the writer thread, while the caller goes on) or by :meth:`close`.
    Use as a context manager.

    Parameters
    ----------
    destination : Path
        A new file.
    columns : sequence of str
    kinds : sequence of bool
        Whether each column holds labels (True) or numbers.
    """

    def __init__(self, destination: Path, columns: Sequence[str], kinds: Sequence[bool]) -> None:
        self._pa = need("pyarrow", "pandas", "Parquet output")
        parquet = need("pyarrow.parquet", "pandas", "Parquet output")
        self._schema = table_schema(self._pa, columns, kinds)
        self._writer = parquet.ParquetWriter(
            str(destination), self._schema, **encodings(columns, kinds)
        )
        # the file's own descriptor is Arrow's; this one serves to flush it to disk
        self._descriptor = os.open(destination, os.O_RDONLY)
        self._writeback = Writeback(self._descriptor)
        self._thread = ThreadPoolExecutor(1)
        self._pending: list[Future[None]] = []
        self._finished = False
        # per label column: its last codes as given, a copy of them, their Arrow indices
        # (of the copy) and the largest code
        self._codes: dict[int, list[Any]] = {}

    def write(self, data: Sequence[Any]) -> None:
        """Append rows given as columns (float arrays or Labels) as one row group.

        The float arrays are read after this returns, until the next call returns or
        :meth:`finish`: the caller leaves them unchanged until then.
        """
        pa = self._pa
        columns: list[Any] = []
        for k, column in enumerate(data):
            if isinstance(column, Labels):
                labels = string_array(pa, column.labels)
                codes, largest = self._indices(k, column.codes)
                if largest >= len(column.labels):
                    raise ValueError(f"label code {largest} out of range")
                # the codes were checked above (and are not negative: see _indices)
                columns.append(pa.DictionaryArray.from_arrays(codes, labels, safe=False))
            else:
                columns.append(float_array(pa, column))
        # Encoding and compressing a row group (Arrow, without the GIL) go on while the
        # caller builds the next block; row groups are written in order, one waiting.
        # The numbers' NaNs are found here, while the block before is written: at 141 x
        # 65 the writer is the slower side of a quarter (5 of its ~70 ms).
        self._wait()
        self._pending.append(self._thread.submit(self._write_group, columns))

    def _write_group(self, columns: list[Any]) -> None:
        pa = self._pa
        table = pa.Table.from_arrays(columns, schema=self._schema)
        # one row group per block, however long (Arrow cuts at 1 Mi rows by default)
        self._writer.write_table(table, row_group_size=max(len(table), 1))
        self._writeback.start()

    def _indices(self, k: int, codes: NDArray[np.integer[Any]]) -> tuple[Any, int]:
        """Column ``k``'s codes as Arrow int32 indices, and the largest code.

        The key columns of a result table's blocks (a quarter's flow rows) have the same
        codes block after block, only their labels (the period's) change: the indices are
        converted and checked once and kept while the codes are equal.
        """
        kept = self._codes.get(k)
        if kept is not None and (frozen(codes) and kept[0] is codes or _equal(kept[1], codes)):
            kept[0] = codes
            return kept[2], kept[3]
        # a copy of its own: the Arrow array shares its memory, the caller's may change
        indices = codes.astype(np.int32)
        if len(indices) and int(indices.min()) < 0:
            raise ValueError("negative label code")
        largest = int(indices.max()) if len(indices) else -1
        pa = self._pa
        self._codes[k] = [codes, indices, number_array(pa, pa.int32(), indices), largest]
        return self._codes[k][2], largest

    def finish(self) -> None:
        """Start writing the footer and flushing the file to disk; :meth:`close` waits."""
        self._pending.append(self._thread.submit(self._end))
        self._finished = True

    def _end(self) -> None:
        self._writer.close()
        os.fsync(self._descriptor)

    def _wait(self) -> None:
        while self._pending:
            self._pending[0].result()
            self._pending.pop(0)

    def close(self) -> None:
        """Write what is pending and the file's footer."""
        try:
            self._wait()
            if not self._finished:
                self._end()
        finally:
            self._thread.shutdown(cancel_futures=True)
            os.close(self._descriptor)

    def __enter__(self) -> ParquetStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_parquet_columns(path: Path, spec: Any) -> dict[str, Any]:
    """A Parquet result table as columns (as :func:`sim.resultread.read_columns` gives).

    Parameters
    ----------
    path : Path
    spec : sim.resultschema.FileSchema
        The file's declaration; its columns and types are checked.

    Raises
    ------
    ResultFolderError
        For other columns, or a column of the wrong type.
    """
    from sim.errors import ResultFolderError

    parquet = need("pyarrow.parquet", "pandas", "Reading Parquet results")
    try:
        table = parquet.read_table(path)
    except Exception as error:  # pyarrow raises several types for a damaged file
        raise ResultFolderError(f"damaged Parquet file: {error}", path=path) from None
    if tuple(table.column_names) not in spec.layouts():
        raise ResultFolderError(
            f"columns {', '.join(table.column_names)}; expected {', '.join(spec.names)}",
            path=path,
        )
    columns: dict[str, Any] = {}
    for name in table.column_names:
        cells = table.column(name).to_pylist()
        dtype = spec.spec(name).dtype
        if dtype == "float":
            if not all(c is None or isinstance(c, (int, float)) for c in cells):
                raise ResultFolderError("expected numbers", path=path, field=name)
            columns[name] = np.array([np.nan if c is None else c for c in cells], dtype=float)
        elif dtype == "int":
            columns[name] = np.array(cells, dtype=np.int64)
        else:
            text = ["" if c is None else str(c) for c in cells]
            labels = tuple(sorted(set(text)))
            at = {label: k for k, label in enumerate(labels)}
            columns[name] = Labels(np.array([at[t] for t in text], dtype=np.int32), labels)
    return columns


def typed_columns(columns: Sequence[str], rows: Sequence[dict[str, str]]) -> list[list[Any]]:
    """CSV cells as values: a column whose every non-empty cell is a number becomes floats.

    Empty cells become None; columns named in :data:`TEXT_COLUMNS` stay text.
    """
    typed: list[list[Any]] = []
    for name in columns:
        cells = [row[name] for row in rows]
        numbers = None if name in TEXT_COLUMNS else _numbers(cells)
        typed.append(cells if numbers is None else numbers)
    return typed


def _numbers(cells: list[str]) -> list[float | None] | None:
    out: list[float | None] = []
    for cell in cells:
        if cell == "":
            out.append(None)
            continue
        try:
            out.append(float(cell))
        except ValueError:
            return None
    return out


def excel_bytes(folder: Any) -> bytes:
    """A result folder as an Excel workbook: one sheet per table and a ``run`` sheet.

    Parameters
    ----------
    folder : sim.compare.ResultFolder
        As :func:`sim.compare.load_results` reads it.

    Returns
    -------
    bytes
        The ``.xlsx`` file, identical for identical results.

    Raises
    ------
    InputError
        When openpyxl is missing or a table has more rows than a sheet holds.
    """
    openpyxl = need("openpyxl", "pandas", "Excel export")
    from sim.errors import InputError

    book = openpyxl.Workbook()
    book.remove(book.active)
    from sim.tables import RESULT_FILES

    order = {name: k for k, name in enumerate(RESULT_FILES)}
    for name in sorted(folder.tables, key=lambda n: (order.get(n, len(order)), n)):
        rows = folder.tables[name]
        if len(rows) > EXCEL_MAX_ROWS:
            raise InputError(
                f"{name} has {len(rows):,} rows, more than an Excel sheet holds; "
                "use --format parquet"
            )
        sheet = book.create_sheet(name.removesuffix(".csv"))
        columns = list(rows[0]) if rows else []
        sheet.append(columns)
        for row in zip(*typed_columns(columns, rows), strict=True):
            sheet.append(["" if _missing(v) else v for v in row])
        sheet.freeze_panes = "A2"
    meta = book.create_sheet("run")
    meta.append(["field", "value"])
    for key in sorted(folder.run):
        value = folder.run[key]
        meta.append([key, value if isinstance(value, str) else json.dumps(value, sort_keys=True)])
    book.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    book.save(buffer)
    return _reproducible_zip(buffer.getvalue())


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _reproducible_zip(data: bytes) -> bytes:
    """The same zip with fixed entry times and a fixed modification time in its properties."""
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + stamp.encode() + rb"\g<2>",
                    content,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, content)
    return out.getvalue()
