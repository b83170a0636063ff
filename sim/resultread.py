"""Reading result folders strictly: every file present, complete and of the right shape.

A folder given to ``compare``, ``export`` or ``plot`` is checked as it is read, against the
declaration of its files (:mod:`sim.resultschema`), so a damaged folder (a missing or
truncated file, a broken ``run.json``, a missing or extra column, a cell that is not a
number) is refused with one line naming the file, line and column, exit status 2, instead
of failing half-way through a command or exporting wrong numbers. Tables are read as
columns: the checks run on whole numpy arrays, not row by row.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim import files
from sim.csvtext import Labels
from sim.errors import ResultFolderError
from sim.resultschema import FileSchema

# A column as read: Labels for text, float64 for floats (NaN where empty), int64 for ints.
ReadColumn = Labels | NDArray[np.float64] | NDArray[np.int64]
Columns = dict[str, ReadColumn]
_PAD = 256
_QUOTE, _COMMA, _NEWLINE = ord('"'), ord(","), ord("\n")

MAX_RUN_BYTES = 100_000_000
MAX_TABLE_BYTES = 4_000_000_000


def read_run(path: Path) -> dict[str, Any]:
    """Read and check a folder's ``run.json``.

    Parameters
    ----------
    path : Path
        The result folder.

    Returns
    -------
    dict
        The run record, with ``scenario`` a string, ``periods`` a non-empty list of strings
        and ``dataset`` a mapping.

    Raises
    ------
    ResultFolderError
    """
    record = path / "run.json"
    if not record.is_file():
        raise ResultFolderError(
            f"'{path}' is not a result folder (no run.json); give folders written by tradesim run"
        )
    text = _read(record, MAX_RUN_BYTES)
    try:
        run = json.loads(text, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError) as error:
        line = getattr(error, "lineno", None)
        raise ResultFolderError(
            f"damaged run record: {getattr(error, 'msg', error)}", path=record, line=line
        ) from None
    except RecursionError:
        raise ResultFolderError("damaged run record: nested too deeply", path=record) from None
    if not isinstance(run, dict):
        raise ResultFolderError("damaged run record: expected a JSON object", path=record)
    _expect(run, record, "scenario", str)
    _expect(run, record, "dataset", dict)
    periods = _expect(run, record, "periods", list)
    if not periods or not all(isinstance(p, str) and _is_period(p) for p in periods):
        raise ResultFolderError(
            "damaged run record: periods must be a non-empty list of quarters (2023Q3) or "
            "years (2006)",
            path=record,
            field="periods",
        )
    if not isinstance(run["dataset"].get("unit", ""), str):
        raise ResultFolderError(
            "damaged run record: expected text", path=record, field="dataset.unit"
        )
    return run


def read_columns(path: Path, spec: FileSchema, periods: set[str]) -> Columns:
    """Read one result CSV as columns, checked against its declaration.

    The header must be one of the file's declared layouts; every line must have as many
    fields as the header; float cells must be numbers (or empty), int cells integers,
    ``period`` cells periods of the run. The checks run on whole columns at once.

    Parameters
    ----------
    path : Path
        The CSV file.
    spec : FileSchema
        Its declaration (:mod:`sim.resultschema`).
    periods : set of str
        The run's periods (``run.json``).

    Returns
    -------
    dict
        Column name -> :class:`~sim.csvtext.Labels` (text), float64 array (floats, NaN
        where empty) or int64 array (ints), in the order of the header.

    Raises
    ------
    ResultFolderError
        Naming the file, the line and the column of the first problem.
    """
    if not path.is_file():
        raise ResultFolderError(
            f"'{path.parent}' has no {path.name}; the result folder is incomplete"
        )
    raw = files.read_bytes(path, max_bytes=MAX_TABLE_BYTES, what="result file")
    return parse_columns(raw, path, spec, periods)


def parse_columns(raw: bytes, path: Path, spec: FileSchema, periods: set[str]) -> Columns:
    """The columns of a result CSV's bytes, as :func:`read_columns` (``path`` for messages)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw:
        raise ResultFolderError("the file is empty; expected a header line", path=path, line=1)
    if not raw.endswith(b"\n"):
        raise ResultFolderError(
            "the file does not end with a newline; was it cut short?",
            path=path,
            line=raw.count(b"\n") + 1,
        )
    # zeros after the text, so that a field's window never runs past the end
    padded = np.frombuffer(raw + bytes(_PAD), dtype=np.uint8)
    buffer = padded[: len(raw)]
    header_end = raw.index(b"\n")
    header = _header(path, raw[:header_end], spec)
    try:
        separators = _separators(buffer)
    except ValueError:
        raise ResultFolderError("damaged CSV: a quoted field is not closed", path=path) from None
    ends = separators[buffer[separators] == _NEWLINE]
    # fields per line: separators up to and including each line's newline
    at = np.searchsorted(separators, ends)
    counts = np.diff(at, prepend=-1)
    ragged = np.flatnonzero(counts != len(header))
    if len(ragged):
        line, count = int(ragged[0]) + 1, int(counts[ragged[0]])
        raise ResultFolderError(
            f"expected {len(header)} fields, got {count}",
            path=path,
            line=line,
            field=header[count] if count < len(header) else None,
        )
    n_rows = len(ends) - 1
    stops = separators[len(header) :].reshape(n_rows, len(header))
    starts = np.empty_like(stops)
    starts[:, 0] = ends[:-1] + 1
    starts[:, 1:] = stops[:, :-1] + 1
    columns: Columns = {}
    for k, name in enumerate(header):
        cells = _cells(padded, starts[:, k], stops[:, k])
        dtype = spec.spec(name).dtype
        if dtype == "text":
            columns[name] = _labels(path, name, cells)
        else:
            columns[name] = _numbers(path, name, cells, dtype)
    period = columns.get("period")
    if isinstance(period, Labels):
        wrong = [k for k, label in enumerate(period.labels) if label not in periods]
        if wrong:
            row = int(np.flatnonzero(np.isin(period.codes, wrong))[0])
            raise ResultFolderError(
                f"period '{period.labels[wrong[0]]}' is not one of run.json's periods",
                path=path,
                line=row + 2,
                field="period",
            )
    return columns


def _header(path: Path, line: bytes, spec: FileSchema) -> tuple[str, ...]:
    """The header's column names, checked against the declared layouts."""
    try:
        header = tuple(next(csv.reader([line.decode("utf-8")])))
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise ResultFolderError("damaged header line", path=path, line=1) from None
    if len(set(header)) != len(header):
        raise ResultFolderError("a column name appears twice in the header", path=path, line=1)
    if header in spec.layouts():
        return header
    full = spec.layouts()[-1]
    missing = [c for c in spec.names if c not in header]
    if missing:
        raise ResultFolderError(
            f"no column '{missing[0]}' in the header", path=path, line=1, field=missing[0]
        )
    extra = [c for c in header if c not in full]
    if extra:
        raise ResultFolderError(
            f"unexpected column '{extra[0]}'; {spec.name} has {', '.join(full)}",
            path=path,
            line=1,
            field=extra[0],
        )
    raise ResultFolderError(
        f"columns out of order or incomplete; expected {', '.join(spec.names)}",
        path=path,
        line=1,
    )


def _separators(buffer: NDArray[np.uint8]) -> NDArray[np.intp]:
    """Positions of the commas and newlines that end fields (not those inside quotes)."""
    ends = (buffer == _COMMA) | (buffer == _NEWLINE)
    quotes = buffer == _QUOTE
    if quotes.any():
        if int(quotes.sum()) % 2:
            raise ValueError("unbalanced quotes")
        # inside a quoted field after an odd number of quotes; "" inside keeps the parity
        inside = (np.cumsum(quotes, dtype=np.int64) & 1).astype(bool)
        ends &= ~inside
    return np.flatnonzero(ends)


def _cells(padded: NDArray[np.uint8], starts: NDArray[np.intp], stops: NDArray[np.intp]) -> Any:
    """The fields between ``starts`` and ``stops`` as a fixed-width bytes array.

    ``padded`` is the file's bytes followed by ``_PAD`` zeros.
    """
    lengths = stops - starts
    width = int(lengths.max(initial=0))
    if width == 0:
        return np.zeros(len(starts), dtype="S1")
    if width > _PAD:
        padded = np.concatenate([padded, np.zeros(width, np.uint8)])
    # each row's field and what follows it, then everything past its end set to NUL
    chars = np.lib.stride_tricks.sliding_window_view(padded, width)[starts]
    chars[np.arange(width) >= lengths[:, None]] = 0
    return chars.view(f"S{width}").reshape(-1)


def _labels(path: Path, name: str, cells: Any) -> Labels:
    """A text column: its distinct fields (unquoted, decoded) and each row's code."""
    distinct, codes = np.unique(cells, return_inverse=True)
    texts = []
    for k, field in enumerate(distinct.tolist()):
        try:
            text = field.decode("utf-8")
            if text.startswith('"'):
                text = next(csv.reader([text]))[0]
        except (UnicodeDecodeError, csv.Error, StopIteration, IndexError):
            row = int(np.flatnonzero(codes == k)[0])
            raise ResultFolderError(
                "damaged text field", path=path, line=row + 2, field=name
            ) from None
        texts.append(text)
    order = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    return Labels(rank[codes.reshape(-1)], tuple(texts[k] for k in order))


def _numbers(path: Path, name: str, cells: Any, dtype: str) -> Any:
    """A float (empty cells NaN) or int column; the first bad cell is an error."""
    empty = cells == b""
    if dtype == "int":
        try:
            values = cells.astype(np.int64)
        except ValueError:
            values = None
        if values is None or empty.any():
            bad = [k for k, cell in enumerate(cells.tolist()) if not cell.strip(b"-").isdigit()]
            raise ResultFolderError(
                f"expected an integer, got {cells[bad[0]].decode('utf-8', 'replace')!r}",
                path=path,
                line=bad[0] + 2,
                field=name,
            )
        return values
    try:
        values = np.where(empty, b"nan", cells).astype(np.float64)
    except ValueError:
        values = None
    infinite = np.zeros(len(cells), dtype=bool) if values is None else np.isinf(values)
    if values is None or infinite.any():
        rows = range(len(cells)) if values is None else np.flatnonzero(infinite).tolist()
        for k in rows:
            text = cells[k].decode("utf-8", "replace")
            if not _is_number(text):
                raise ResultFolderError(
                    f"expected a number, got {text!r}", path=path, line=k + 2, field=name
                )
    if values is None:  # spellings Python reads and numpy does not, such as 1_000
        values = np.array([float(c) if c else math.nan for c in cells.tolist()])
    return values


def _read(path: Path, limit: int) -> str:
    return files.read_text(path, max_bytes=limit, what="result file")


def _is_period(text: str) -> bool:
    from sim.quarters import Quarter

    if len(text) == 4 and text.isdigit():
        return True
    try:
        Quarter.parse(text)
    except ValueError:
        return False
    return True


def _is_number(text: str) -> bool:
    if text == "":
        return True
    try:
        return not math.isinf(float(text))
    except ValueError:
        return False


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _expect(run: dict[str, Any], record: Path, key: str, kind: type) -> Any:
    value = run.get(key)
    if not isinstance(value, kind):
        raise ResultFolderError(
            f"damaged run record: expected {kind.__name__} for '{key}'", path=record, field=key
        )
    return value
