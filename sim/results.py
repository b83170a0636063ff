"""Writing and reading result folders: deterministic CSVs, run.json, atomic replacement.

A run is written into a hidden staging folder next to its destination (through
:func:`sim.files.publish`) and renamed into place only when every folder of the command is
complete, so a failed run leaves nothing behind. Floats are
written with a fixed format and rows in sorted key order, so identical inputs give
identical bytes.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, BinaryIO

from sim.csvtext import FLOAT_FORMAT, Column, csv_chunks, format_cell, header_text
from sim.errors import ResultsExistError
from sim.files import (
    Fill,
    Writeback,
    file_filler,
    fsync_folder,
    publish,
    write_bytes_durably,
    write_text_atomic,
)
from sim.resultschema import RESULT_FILES as RESULT_FILES
from sim.resultschema import check_table
from sim.tables import Table

__all__ = [
    "FLOAT_FORMAT",
    "format_value",
    "table_csv",
    "write_result_folders",
    "write_results",
    "write_table",
    "write_bytes_atomic",
    "write_text_atomic",
]


def format_value(value: object) -> str:
    """Format one cell: floats with six decimals (no negative zero), NaN as empty."""
    return format_cell(value)


def table_csv(table: Table) -> str:
    """Render a table as CSV text with Unix line endings."""
    body = b"".join(csv_chunks(table.data, len(table)))
    return header_text(table.columns) + body.decode("utf-8")


def write_table(destination: Path, table: Table) -> None:
    """Write a table as CSV (the bytes of :func:`table_csv`), a chunk of rows at a time."""
    with CsvStream(destination, table.columns) as stream:
        stream.write(table.data)


class CsvStream:
    """A CSV file written block of rows after block: the bytes of one :func:`write_table`.

    A block of rows is formatted in a formatting thread while the caller goes on (with
    the next quarter's solve, say), at most one block waiting; formatted chunks are
    written, in order, by a writer thread (a file write releases the GIL). The file is
    flushed to disk by :meth:`finish` (in the writer thread, while the caller goes on) or
    by :meth:`close`. An error of either thread is raised by the next call. Use as a
    context manager.

    Parameters
    ----------
    destination : Path
        A new file.
    columns : sequence of str
    """

    def __init__(self, destination: Path, columns: Sequence[str]) -> None:
        self._file = destination.open("xb")
        self._writeback = Writeback(self._file.fileno())
        self._formatter = ThreadPoolExecutor(1)
        self._writer = ThreadPoolExecutor(1)
        self._formatting: Future[None] | None = None
        self._pending: Future[Any] | None = None
        self._finished = False
        self._file.write(header_text(columns).encode("utf-8"))

    def write(self, data: Sequence[Column]) -> None:
        """Append rows given as columns (float arrays or Labels of equal length).

        The columns are read after this returns: they must not be changed afterwards.
        """
        self._finished = False
        self._wait_formatting()
        # The formatting of one block overlaps the caller's work on the next: on two
        # cores most numpy calls of the two run at once. A block's own formatting stays in
        # one thread: split over two it was measured slower (the GIL passes between the
        # threads at every numpy call).
        self._formatting = self._formatter.submit(self._format, data)

    def _format(self, data: Sequence[Column]) -> None:
        for chunk in csv_chunks(data, len(data[0]) if data else 0):
            self._wait()
            self._pending = self._writer.submit(self._file.write, chunk)
        self._wait()
        self._pending = self._writer.submit(self._writeback.start)

    def finish(self) -> None:
        """Start flushing the file to disk once every row is written; :meth:`close` waits."""
        self._wait_formatting()
        self._wait()
        self._pending = self._writer.submit(_flush_to_disk, self._file)
        self._finished = True

    def _wait_formatting(self) -> None:
        if self._formatting is not None:
            formatting, self._formatting = self._formatting, None
            formatting.result()

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def close(self) -> None:
        """Write what is pending and flush the file to disk."""
        try:
            self._wait_formatting()
            self._wait()
            if not self._finished:
                _flush_to_disk(self._file)
        finally:
            self._formatter.shutdown()
            self._writer.shutdown()
            self._file.close()

    def __enter__(self) -> CsvStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _flush_to_disk(file: BinaryIO) -> None:
    file.flush()
    os.fsync(file.fileno())


def check_destination(destination: Path, *, force: bool) -> None:
    """Refuse to replace anything but an earlier result of the same scenario, unless ``force``.

    A run replaces ``<out>/<name>/`` when that folder's ``run.json`` says it is a tradesim
    result of the scenario ``<name>`` (so the same command runs twice); any other existing
    file or folder is kept unless ``force``.

    Raises
    ------
    ResultsExistError
    """
    if not destination.exists() and not destination.is_symlink():
        return
    if force or earlier_result_of(destination, destination.name):
        return
    raise ResultsExistError(
        f"'{destination}' already exists and is not an earlier result of scenario "
        f"'{destination.name}'; use --force to replace it or --out to write elsewhere"
    )


def earlier_result_of(folder: Path, scenario: str) -> bool:
    """Whether ``folder`` is a result folder that tradesim wrote for ``scenario``."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    try:
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and "tradesim_version" in record
        and record.get("scenario") == scenario
    )


def write_results(
    destination: Path,
    tables: dict[str, Table],
    run: dict[str, Any],
    *,
    force: bool,
    format: str = "csv",
) -> None:
    """Write one result folder atomically (see :func:`write_result_folders`)."""
    write_result_folders([(destination, tables, run)], force=force, format=format)


def write_result_folders(
    folders: list[tuple[Path, dict[str, Table], dict[str, Any]]],
    *,
    force: bool,
    format: str = "csv",
) -> None:
    """Write several result folders: all of them, or none.

    Parameters
    ----------
    folders : list of (Path, dict, dict)
        ``<out>/<scenario name>``, its tables (file name -> :class:`Table`) and the
        contents of its ``run.json``.
    force : bool
        Replace existing folders (an earlier result of the same scenario is replaced
        without it).
    format : {"csv", "parquet"}
        ``parquet`` writes ``<table>.parquet`` for each ``<table>.csv`` (the same columns;
        needs the ``pandas`` extra).

    Raises
    ------
    ResultsExistError
        If a folder exists and ``force`` is false.
    WriteError
        If a folder cannot be written; then none is.
    """
    for destination, _, _ in folders:
        check_destination(destination, force=force)
    publish([(d, _folder_filler(tables, run, format)) for d, tables, run in folders])


def _folder_filler(tables: dict[str, Table], run: dict[str, Any], format: str) -> Fill:
    model = str(run.get("model", "armington-pe"))
    for name, table in tables.items():
        check_table(name, table.columns, table.data, model)

    def fill(stage: Path) -> None:
        os.mkdir(stage)
        for name, table in tables.items():
            if format == "parquet":
                from sim.tabular import write_parquet

                write_parquet(stage / name.replace(".csv", ".parquet"), table)
            else:
                write_table(stage / name, table)
        text = json.dumps(run, indent=2, sort_keys=True) + "\n"
        write_bytes_durably(stage / "run.json", text.encode("utf-8"))
        os.chmod(stage, 0o755)
        fsync_folder(stage)

    return fill


def read_csv(path: Path) -> list[dict[str, str]]:
    """Read a result CSV as a list of row dicts (strings)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def write_bytes_atomic(destination: Path, data: bytes) -> None:
    """Write a binary file atomically: all of it or, on failure, nothing."""
    publish([(destination, file_filler(data))])
