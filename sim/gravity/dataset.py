"""Structural-gravity datasets: a YAML header with provenance and a CSV of bilateral rows.

The header (``model: gravity``) gives the name, year, unit, sources, ``sigma``, the
reference importer and the trade-cost coefficients, each with a source; ``flows.file``
names a CSV next to it with one row per (exporter, importer) pair, intranational pairs
included: ``exporter, importer, [year,] trade, Y, E`` and one column per cost covariate.
Format reference: ``docs/gravity.md``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim._yaml import load_yaml, read_text
from sim.dataset import (
    MAX_DATASET_BYTES,
    Dataset,
    Figure,
    _Parser,
    dataset_path,
    load_dataset,
)
from sim.errors import DatasetError
from sim.gravity.types import CONSTANT as CONSTANT
from sim.gravity.types import GravityDataset as GravityDataset

FloatArray = NDArray[np.float64]
REQUIRED_COLUMNS = ("exporter", "importer", "trade", "Y", "E")
HEADER_KEYS = (
    "model",
    "name",
    "title",
    "description",
    "year",
    "unit",
    "sources",
    "flows",
    "sigma",
    "reference_importer",
    "cost_coefficients",
)


def is_gravity_document(data: Any) -> bool:
    """Whether a loaded dataset document declares ``model: gravity``."""
    return isinstance(data, dict) and data.get("model") == "gravity"


_CACHE: dict[tuple[str, int, int], GravityDataset] = {}


def load_gravity_dataset(
    name_or_path: str | Path, *, relative_to: Path | None = None
) -> GravityDataset:
    """Load and validate a structural-gravity dataset.

    Parameters
    ----------
    name_or_path : str or Path
        A packaged dataset name (``gegravity-sample-2006``) or the path of its YAML header.
    relative_to : Path, optional
        Folder for resolving a relative path (the scenario's folder).

    Raises
    ------
    DatasetError
        Naming the file, line and field of the first problem.
    """
    path = dataset_path(name_or_path, relative_to=relative_to)
    if not path.exists():
        raise DatasetError(f"no dataset '{name_or_path}': not a packaged dataset nor a file")
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        document = load_yaml(path, max_bytes=MAX_DATASET_BYTES, what="dataset")
        _CACHE[key] = _GravityParser(document).parse_gravity()
    return _CACHE[key]


def load_any_dataset(
    name_or_path: str | Path, *, relative_to: Path | None = None
) -> Dataset | GravityDataset:
    """Load a dataset of either model (``model: gravity`` in its header selects this one).

    Parameters
    ----------
    name_or_path : str or Path
    relative_to : Path, optional
    """
    path = dataset_path(name_or_path, relative_to=relative_to)
    if path.is_file():
        document = load_yaml(path, max_bytes=MAX_DATASET_BYTES, what="dataset")
        if is_gravity_document(document.data):
            return load_gravity_dataset(name_or_path, relative_to=relative_to)
    return load_dataset(name_or_path, relative_to=relative_to)


class _GravityParser(_Parser):
    """The header through the shared dataset parser (sources, figures); the CSV here."""

    def parse_gravity(self) -> GravityDataset:
        data = self.doc.data
        if not is_gravity_document(data):
            raise self.fail(
                (),
                "not a gravity dataset (its header has no 'model: gravity'); "
                "a partial-equilibrium dataset needs a scenario without 'model: gravity'",
            )
        for key in data:
            if key not in HEADER_KEYS:
                raise self.doc.error(
                    (key,), f"unknown field; allowed: {', '.join(HEADER_KEYS)}", at_key=True
                )
        name = self.get(data, (), "name", str)
        unit = self.get(data, (), "unit", str)
        year = self.get(data, (), "year", int)
        self.sources = self.parse_sources(self.get(data, (), "sources", dict))
        sigma = self.sourced(("sigma",), self.get(data, (), "sigma", dict), "sigma", "")
        if not sigma > 1:
            raise self.fail(("sigma", "value"), "sigma must be greater than 1")
        reference_spec = self.get(data, (), "reference_importer", dict)
        reference = self.get(reference_spec, ("reference_importer",), "value", str)
        self.source(
            ("reference_importer", "source"),
            self.get(reference_spec, ("reference_importer",), "source", str),
        )
        coefficients = {}
        for cov, spec in self.get(data, (), "cost_coefficients", dict).items():
            coefficients[str(cov)] = self.sourced(
                ("cost_coefficients", cov), spec, f"beta.{cov}", "log points"
            )
        flows_spec = self.get(data, (), "flows", dict)
        csv_name = self.get(flows_spec, ("flows",), "file", str)
        flows_source = self.source(
            ("flows", "source"), self.get(flows_spec, ("flows",), "source", str)
        )
        csv_path = self.doc.path.parent / csv_name
        if not csv_path.is_file():
            raise self.fail(("flows", "file"), f"file '{csv_name}' not found next to the dataset")
        text = read_text(csv_path, max_bytes=MAX_DATASET_BYTES, what="dataset")
        table = _read_bilateral(csv_path, text, year, set(coefficients) - {CONSTANT})
        self.figures.append(
            Figure("bilateral.rows", float(len(table.regions) ** 2), "rows", flows_source)
        )
        if reference not in table.regions:
            raise self.fail(
                ("reference_importer", "value"),
                f"reference importer {reference!r} has no rows in {csv_name}",
            )
        unused = sorted(set(self.sources) - self.used_sources)
        if unused:
            raise self.fail(
                ("sources", unused[0]), f"source '{unused[0]}' is defined but no figure uses it"
            )
        digest = hashlib.sha256(self.doc.path.read_bytes() + csv_path.read_bytes())
        return GravityDataset(
            name=name,
            title=str(data.get("title", name)),
            description=" ".join(str(data.get("description", "")).split()),
            unit=unit,
            year=year,
            regions=table.regions,
            trade=table.trade,
            output=table.output,
            expenditure=table.expenditure,
            covariates=table.covariates,
            coefficients=coefficients,
            sigma=sigma,
            reference=reference,
            sources=self.sources,
            figures=tuple(self.figures),
            origin=str(self.doc.path),
            fingerprint=digest.hexdigest()[:16],
        )


@dataclass(frozen=True)
class _Bilateral:
    regions: tuple[str, ...]
    trade: FloatArray
    output: FloatArray
    expenditure: FloatArray
    covariates: dict[str, FloatArray]


def _read_bilateral(path: Path, text: str, year: int, needed: set[str]) -> _Bilateral:
    """Parse and check the bilateral CSV: every pair once, Y and E constant per country."""

    def fail(line: int | None, column: str | None, message: str) -> DatasetError:
        return DatasetError(message, path=path, line=line, field=column)

    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise fail(1, None, "empty file; expected a header row")
    header = [h.strip() for h in header]
    for column in REQUIRED_COLUMNS:
        if column not in header:
            raise fail(
                1, None, f"missing column '{column}'; required: {', '.join(REQUIRED_COLUMNS)}"
            )
    for column in sorted(needed):
        if column not in header:
            raise fail(1, None, f"no column for the cost covariate '{column}'")
    numeric = [c for c in header if c not in ("exporter", "importer", "year")]
    records: list[tuple[int, str, str, dict[str, float]]] = []
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise fail(line, None, f"{len(row)} fields; the header has {len(header)}")
        cells = dict(zip(header, row, strict=True))
        if "year" in cells and cells["year"].strip() != str(year):
            raise fail(line, "year", f"year {cells['year']!r}; the dataset is for {year}")
        values = _numbers(cells, numeric, fail, line)
        for column in ("trade", "Y", "E"):
            if values[column] < 0 or (column != "trade" and values[column] == 0):
                bound = "zero or positive" if column == "trade" else "positive"
                raise fail(line, column, f"{column} must be {bound}")
        records.append((line, cells["exporter"].strip(), cells["importer"].strip(), values))
    return _assemble(path, records, numeric)


def _numbers(cells: dict[str, str], numeric: list[str], fail: Any, line: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for column in numeric:
        try:
            value = float(cells[column])
        except ValueError:
            raise fail(line, column, f"expected a number, got {cells[column]!r}") from None
        if not math.isfinite(value):
            raise fail(line, column, f"expected a finite number, got {cells[column]!r}")
        values[column] = value
    return values


def _assemble(
    path: Path, records: list[tuple[int, str, str, dict[str, float]]], numeric: list[str]
) -> _Bilateral:
    """Arrays from the parsed rows, checking completeness and one Y and E per country."""

    def fail(line: int | None, column: str | None, message: str) -> DatasetError:
        return DatasetError(message, path=path, line=line, field=column)

    regions = tuple(sorted({r[1] for r in records} | {r[2] for r in records}))
    index = {code: k for k, code in enumerate(regions)}
    n = len(regions)
    if n < 2:
        raise fail(None, None, "a gravity dataset needs at least two countries")
    seen = np.zeros((n, n), dtype=np.int64)
    arrays = {c: np.full((n, n), np.nan) for c in numeric}
    output = np.full(n, np.nan)
    expenditure = np.full(n, np.nan)
    for line, exporter, importer, values in records:
        i, j = index[exporter], index[importer]
        if seen[i, j]:
            raise fail(line, "importer", f"pair {exporter}->{importer} is listed twice")
        seen[i, j] = line
        for column, value in values.items():
            arrays[column][i, j] = value
        for store, k, column, code in ((output, i, "Y", exporter), (expenditure, j, "E", importer)):
            if np.isnan(store[k]):
                store[k] = values[column]
            elif not math.isclose(store[k], values[column], rel_tol=1e-12):
                raise fail(
                    line,
                    column,
                    f"{column} of {code} is {values[column]:g} here but "
                    f"{store[k]:g} on an earlier row; one value per country",
                )
    missing = np.argwhere(seen == 0)
    if len(missing):
        i, j = missing[0]
        raise fail(
            None,
            None,
            f"{len(missing)} pairs missing, e.g. {regions[i]}->{regions[j]}; list "
            "every exporter-importer pair, intranational ones included (trade 0 for none)",
        )
    covariates = {c: arrays[c] for c in numeric if c not in ("trade", "Y", "E")}
    return _Bilateral(regions, arrays["trade"], output, expenditure, covariates)
