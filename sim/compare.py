"""Comparing result folders: join their tables on their keys and take differences.

The first folder is the reference; every other scenario's values are set beside it with the
absolute difference and the percent difference. Folders are compared only when they were
produced from the same dataset (name and fingerprint) by the same model and version.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim.csvtext import Column, Labels, format_cell
from sim.errors import InputError
from sim.percent import percent_change
from sim.resultread import Columns, read_columns, read_run
from sim.resultschema import DRAW_FILES, TABLE_FILES, schema
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
    """A result folder as written by ``tradesim run``, read as columns.

    Attributes
    ----------
    path : Path
    run : dict
        Its ``run.json``.
    data : dict
        File name -> columns (:func:`sim.resultread.read_columns`) of the files kept in
        memory; any other result file is read (and checked) again when asked for.
    label : str, optional
    """

    path: Path
    run: dict[str, Any]
    data: dict[str, Columns] = field(default_factory=dict, repr=False)
    label: str | None = None

    @property
    def name(self) -> str:
        """The scenario's name, or the folder's label where two hold one scenario."""
        return self.label or str(self.run.get("scenario", self.path.name))

    def columns(self, file: str) -> Columns:
        """The columns of result file ``file``."""
        if file in self.data:
            return self.data[file]
        return _read_file(self.path, file, self.run)

    def rows(self, file: str, **match: str) -> list[dict[str, Any]]:
        """The rows of ``file`` whose text columns equal ``match``, as dicts of values."""
        return rows_where(self.columns(file), **match)

    def labels(self, file: str, column: str) -> list[str]:
        """The distinct values of a text column of ``file``, sorted."""
        found = self.columns(file)[column]
        assert isinstance(found, Labels)
        return sorted(found.labels[k] for k in np.unique(found.codes))

    @cached_property
    def tables(self) -> dict[str, list[dict[str, str]]]:
        """Every result file as rows of CSV text (for the exporters of small results)."""
        return {
            file: [
                {k: v if isinstance(v, str) else format_cell(v) for k, v in row.items()}
                for row in self.rows(file)
            ]
            for file in (*TABLE_FILES, *(f for f in self.data if f not in TABLE_FILES))
        }


def rows_where(columns: Columns, **match: str) -> list[dict[str, Any]]:
    """Rows of a table read as columns whose text cells equal ``match``, in file order.

    Text cells are strings, numbers floats (NaN where empty) or ints.
    """
    n = len(next(iter(columns.values()))) if columns else 0
    keep = np.ones(n, dtype=bool)
    for name, value in match.items():
        column = columns[name]
        assert isinstance(column, Labels)
        keep &= column.codes == (column.labels.index(value) if value in column.labels else -1)
    chosen = np.flatnonzero(keep)
    cells = {
        name: (
            [column.labels[k] for k in column.codes[chosen]]
            if isinstance(column, Labels)
            else column[chosen].tolist()
        )
        for name, column in columns.items()
    }
    return [dict(zip(cells, row, strict=True)) for row in zip(*cells.values(), strict=True)]


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


def load_results(path: Path, keep: tuple[str, ...] | None = None) -> ResultFolder:
    """Read a result folder, checking every file (see :mod:`sim.resultread`).

    Parameters
    ----------
    path : Path
    keep : tuple of str, optional
        The files whose columns stay in memory (default: all); the others are checked
        now and read again when used, so that many large folders fit in memory.

    Raises
    ------
    ResultFolderError
        For a folder that is not a result folder or holds a missing or damaged file.
    """
    run = read_run(path)
    data = {}
    for name in TABLE_FILES:
        columns = _read_file(path, name, run)
        if keep is None or name in keep:
            data[name] = columns
    for name in DRAW_FILES:  # written by --keep-draws: checked when present
        if (path / name).is_file():
            _read_file(path, name, run)
    return ResultFolder(path, run, data)


def _read_file(path: Path, name: str, run: dict[str, Any]) -> Columns:
    """One result file's columns, from its CSV or (``--format parquet``) Parquet file."""
    spec = schema(name, str(run.get("model", "")))
    parquet = path / name.replace(".csv", ".parquet")
    if not (path / name).is_file() and parquet.is_file():
        from sim.tabular import read_parquet_columns

        return read_parquet_columns(parquet, spec)
    return read_columns(path / name, spec, set(run["periods"]))


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


def comparison_columns(names: list[str]) -> tuple[str, ...]:
    """Columns of the comparison table for scenarios ``names`` (the first the reference)."""
    extra = []
    for name in names[1:]:
        extra += [f"{name}_minus_{names[0]}", f"{name}_pct_change"]
    return ("file", *KEY_COLUMNS, "measure", "unit", *names, *extra)


@dataclass(frozen=True)
class _Joined:
    """One file of several folders joined on its keys.

    ``keys`` are the common key columns (as :data:`KEY_COLUMNS`) of the joined rows, in
    the order the rows first appear (the reference's rows first); ``values`` has shape
    (key, measure, folder), NaN where a folder lacks the key.
    """

    keys: list[Labels]
    unit: Labels
    measures: tuple[str, ...]
    values: NDArray[np.float64]


class _Codes:
    """Labels met so far in one column, numbered in the order they are first seen."""

    def __init__(self) -> None:
        self.at: dict[str, int] = {}

    def codes(self, column: Labels) -> NDArray[np.int64]:
        """The column's codes in this numbering (new labels are added)."""
        mine = [self.at.setdefault(label, len(self.at)) for label in column.labels]
        return np.asarray(mine, dtype=np.int64)[column.codes]

    def labels(self) -> tuple[str, ...]:
        return tuple(self.at)


# Bits of the integer key given to each key column: 5 x 12 bits fit in an int64.
_KEY_BITS = 12


def _text(columns: Columns, name: str) -> Labels:
    column = columns[name]
    assert isinstance(column, Labels)
    return column


def _join(folders: list[ResultFolder], file: str) -> _Joined:
    """Join one file of every folder on its keys, reading the folders one at a time.

    Each row's key is packed into one integer (12 bits per key column); the joined keys
    are the reference's in its order, then any key only a later folder has.
    """
    mapping, measures = LAYOUT[file]
    inverse = {common: own for own, common in mapping.items()}
    numbering = [_Codes() for _ in KEY_COLUMNS]
    units = _Codes()
    units.at[""] = 0  # for the rows of a file without a unit column
    keys = np.zeros(0, dtype=np.int64)  # in first-seen order
    sorted_keys, sorted_at = keys, np.zeros(0, dtype=np.int64)
    unit = np.zeros(0, dtype=np.int64)
    values = np.full((0, len(measures), len(folders)), math.nan)
    for f, folder in enumerate(folders):
        read = folder.columns(file)
        n = len(next(iter(read.values())))
        key = np.zeros(n, dtype=np.int64)
        for common, numbers in zip(KEY_COLUMNS, numbering, strict=True):
            own = inverse.get(common)
            codes = numbers.codes(_text(read, own)) if own else np.zeros(n, dtype=np.int64)
            if len(numbers.at) >= 1 << _KEY_BITS:
                raise InputError(f"{file} has more than {1 << _KEY_BITS} distinct {own} labels")
            key = (key << _KEY_BITS) | codes
        if not np.array_equal(key, keys):
            found = np.searchsorted(sorted_keys, key)
            found = np.minimum(found, max(len(sorted_keys) - 1, 0))
            known = (sorted_keys[found] == key) if len(sorted_keys) else np.zeros(n, dtype=bool)
            new, first = np.unique(key[~known], return_index=True)
            new = new[np.argsort(first, kind="stable")]
            keys = np.concatenate([keys, new])
            order = np.argsort(keys, kind="stable")
            sorted_keys, sorted_at = keys[order], order
            own_unit = (
                units.codes(_text(read, "unit"))[~known][first[np.argsort(first)]]
                if "unit" in read
                else np.zeros(len(new), dtype=np.int64)
            )
            unit = np.concatenate([unit, own_unit])  # the first folder with a key gives its unit
            position = sorted_at[np.searchsorted(sorted_keys, key)]
        else:
            position = np.arange(n)
        if len(keys) > len(values):  # rows for the new keys, empty in earlier folders
            more = np.full((len(keys) - len(values), len(measures), len(folders)), math.nan)
            values = np.concatenate([values, more])
        for m, measure in enumerate(measures):
            values[position, m, f] = np.asarray(read[measure], dtype=np.float64)
        del read
    key_columns = []
    mask = (1 << _KEY_BITS) - 1
    for k, numbers in enumerate(numbering):
        shift = _KEY_BITS * (len(KEY_COLUMNS) - 1 - k)
        labels = numbers.labels() or ("",)
        key_columns.append(Labels((keys >> shift) & mask, labels))
    return _Joined(key_columns, Labels(unit, units.labels()), measures, values)


def compare_blocks(
    folders: list[ResultFolder], files: tuple[str, ...] = tuple(LAYOUT), rows: int = 1 << 14
) -> Iterator[Table]:
    """The comparison table in blocks of about ``rows`` rows (see :func:`compare`)."""
    check_compatible(folders)
    names = [f.name for f in folders]
    columns = comparison_columns(names)
    for file in files:
        joined = _join(folders, file)
        n_keys, n_measures = joined.values.shape[:2]
        step = max(1, rows // n_measures)
        for start in range(0, n_keys, step):
            keys = slice(start, min(start + step, n_keys))
            count = (keys.stop - keys.start) * n_measures
            block = joined.values[keys].reshape(count, len(folders))
            reference = block[:, 0]
            diffs: list[Column] = []
            for f in range(1, len(folders)):
                diffs += [block[:, f] - reference, percent_change(block[:, f], reference)]
            data: list[Column] = [
                Labels(np.zeros(count, dtype=np.int8), (file,)),
                *(Labels(np.repeat(k.codes[keys], n_measures), k.labels) for k in joined.keys),
                Labels(
                    np.tile(np.arange(n_measures, dtype=np.int8), count // n_measures),
                    joined.measures,
                ),
                Labels(np.repeat(joined.unit.codes[keys], n_measures), joined.unit.labels),
                *(np.ascontiguousarray(block[:, f]) for f in range(len(folders))),
                *diffs,
            ]
            yield Table(columns, data=data)


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
    from sim.tables import _stack

    blocks = [block.data for block in compare_blocks(folders, files, rows=1 << 62)]
    names = comparison_columns([f.name for f in folders])
    if not blocks:
        return Table(names, [])
    return Table(names, data=_stack(blocks))


def write_comparison(destination: Path, folders: list[ResultFolder]) -> None:
    """Write the full comparison as CSV, a block at a time, atomically (``compare --out``)."""
    from sim.csvtext import csv_chunks, header_text
    from sim.files import publish

    check_compatible(folders)

    def fill(stage: Path) -> None:
        import os

        with stage.open("xb") as stream:
            stream.write(header_text(comparison_columns([f.name for f in folders])).encode())
            for block in compare_blocks(folders):
                for chunk in csv_chunks(block.data, len(block)):
                    stream.write(chunk)
            stream.flush()
            os.fsync(stream.fileno())

    publish([(destination, fill)])


def indicators_of(folders: list[ResultFolder]) -> list[str]:
    """The indicators of the folders' ``summary.csv``, sorted."""
    return sorted({name for f in folders for name in f.labels("summary.csv", "indicator")})


def headline(
    folders: list[ResultFolder], indicators: tuple[str, ...] = HEADLINE_INDICATORS, top: int = 8
) -> Table:
    """The horizon totals of ``summary.csv`` that differ most between the scenarios.

    Exports are ranked by the largest absolute difference from the reference and the
    ``top`` ones kept; welfare and satellite rows are all kept.
    """
    check_compatible(folders)
    known = indicators_of(folders)
    unknown = [name for name in indicators if name not in known]
    if unknown:
        raise InputError(f"unknown indicator '{unknown[0]}'; summary.csv has: {', '.join(known)}")
    full = compare(folders, ("summary.csv",))
    data = dict(zip(full.columns, full.data, strict=True))
    values = np.stack([np.asarray(data[f.name]) for f in folders], axis=1)
    gaps = np.abs(values[:, 1:] - values[:, :1])
    spread = np.where(np.isfinite(gaps), gaps, 0.0).max(axis=1, initial=0.0)
    indicator = data["indicator"]
    measure = data["measure"]
    assert isinstance(indicator, Labels) and isinstance(measure, Labels)
    is_value = measure.codes == measure.labels.index("value")
    chosen: list[NDArray[np.intp]] = []
    for name in indicators:
        rows = np.flatnonzero(is_value & (indicator.codes == indicator.labels.index(name)))
        if name == "exports":
            rows = rows[np.argsort(-spread[rows], kind="stable")[:top]]
        chosen.append(rows)
    picked = np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.intp)
    return Table(
        full.columns,
        data=[
            Labels(c.codes[picked], c.labels) if isinstance(c, Labels) else c[picked]
            for c in full.data
        ],
    )
