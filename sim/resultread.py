"""Reading result folders strictly: every file present, complete and of the right shape.

A folder given to ``compare``, ``export`` or ``plot`` is checked as it is read, so a
damaged folder (a missing or truncated file, a broken ``run.json``, a cell that is not a
number) is refused with one line naming the file, line and field, exit status 2, instead
of failing half-way through a command or exporting wrong numbers.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from sim import files
from sim.errors import ResultFolderError

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


def read_table(
    path: Path, keys: tuple[str, ...], measures: tuple[str, ...], periods: set[str]
) -> list[dict[str, str]]:
    """Read one result CSV, checking its header, its row lengths and its numbers.

    Parameters
    ----------
    path : Path
        The CSV file.
    keys : tuple of str
        Columns that must be present.
    measures : tuple of str
        Columns that must be present and hold a number (or be empty) in every row.
    periods : set of str
        The run's periods; a ``period`` cell must be one of them.

    Returns
    -------
    list of dict
        One dict of strings per row.

    Raises
    ------
    ResultFolderError
        Naming the file, the line and the column of the first problem.
    """
    if not path.is_file():
        raise ResultFolderError(
            f"'{path.parent}' has no {path.name}; the result folder is incomplete"
        )
    text = _read(path, MAX_TABLE_BYTES)
    if not text.endswith("\n"):
        raise ResultFolderError(
            "the file does not end with a newline; was it cut short?",
            path=path,
            line=text.count("\n") + 1,
        )
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ResultFolderError(f"damaged CSV: {error}", path=path) from None
    if not rows:
        raise ResultFolderError("the file is empty; expected a header line", path=path, line=1)
    header = rows[0]
    missing = [c for c in (*keys, *measures) if c not in header]
    if missing:
        raise ResultFolderError(f"no column '{missing[0]}' in the header", path=path, line=1)
    if len(set(header)) != len(header):
        raise ResultFolderError("a column name appears twice in the header", path=path, line=1)
    records = []
    for number, cells in enumerate(rows[1:], start=2):
        if len(cells) != len(header):
            raise ResultFolderError(
                f"expected {len(header)} fields, got {len(cells)}", path=path, line=number
            )
        record = dict(zip(header, cells, strict=True))
        if "period" in record and record["period"] not in periods:
            raise ResultFolderError(
                f"period '{record['period']}' is not one of run.json's periods",
                path=path,
                line=number,
                field="period",
            )
        for measure in measures:
            if not _is_number(record[measure]):
                raise ResultFolderError(
                    f"expected a number, got {record[measure]!r}",
                    path=path,
                    line=number,
                    field=measure,
                )
        records.append(record)
    return records


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
