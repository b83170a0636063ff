"""Compact flow files: a dataset's bilateral flows in a CSV file beside its YAML.

A dataset of 141 regions and 65 sectors has 1.29 million flows; listing each as a YAML
row makes the file slow to parse and large. Instead the dataset may say::

    flows: {file: flows.csv, layout: matrix, source: some-source-id}

and the file holds one line per sector and exporter with its flows to every importer
(format in ``docs/datasets.md``). The numbers of a well-formed file are parsed in one
call; a file with a bad cell is parsed line by line, and the first bad cell reported with
the file, line, column and importer.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sim import files
from sim.errors import DatasetError, InputError

FLOW_LAYOUTS = ("matrix",)
MAX_FLOW_BYTES = 400_000_000
MAX_FLOW = 1e18  # larger figures overflow the model's sums and powers

FloatArray = NDArray[np.float64]
# Cells the one-call parse takes: decimal numbers with optional sign, point and exponent
# (and the spaces around them), nothing else.
_PLAIN_NUMBERS = re.compile(r"[0-9eE+\-. \t,]*")


def read_flow_matrix(path: Path, sectors: tuple[str, ...], regions: tuple[str, ...]) -> FloatArray:
    """Read a flow file in the ``matrix`` layout.

    The first line is ``sector,exporter,`` followed by every region code once (the
    importers, in any order). Each further line is one sector and exporter followed by
    its flows to those importers; every ``sector x exporter`` pair appears exactly once.
    Blank lines and lines starting with ``#`` are ignored.

    Parameters
    ----------
    path : Path
    sectors, regions : tuple of str
        The dataset's sector and region codes.

    Returns
    -------
    ndarray, shape (sector, origin, destination)

    Raises
    ------
    DatasetError
        Naming the file, line, column and field of the first bad cell.
    """
    try:
        text = files.read_text(path, max_bytes=MAX_FLOW_BYTES, what="flow file")
    except InputError as error:
        raise DatasetError(error.message, path=error.path, line=error.line) from None
    numbered = [
        (k + 1, line)
        for k, line in enumerate(text.splitlines())
        if line.strip() and not line.startswith("#")
    ]
    if not numbered:
        raise DatasetError("empty flow file; expected a header 'sector,exporter,...'", path=path)
    columns, order = _header(path, *numbered[0], regions)
    flows = _read_at_once(numbered[1:], sectors, regions, order)
    if flows is None:
        flows = _read_line_by_line(path, numbered[1:], sectors, regions, columns, order)
    return flows


def _read_at_once(
    numbered: list[tuple[int, str]],
    sectors: tuple[str, ...],
    regions: tuple[str, ...],
    order: NDArray[np.intp],
) -> FloatArray | None:
    """The flows of a well-formed file, every number parsed in one call; None otherwise.

    None for anything :func:`_read_line_by_line` might refuse (or that it alone reads),
    which then finds and reports the first problem: a line of the wrong width, an unknown
    or repeated sector-exporter pair, a missing pair, a cell that is not a plain decimal
    number (numpy's parser takes ``inf``, ``nan`` and hexadecimal floats only as an error
    here) or a value out of range. The numbers are those of the line-by-line parse, to the
    bit (a test).
    """
    n_s, n_r = len(sectors), len(regions)
    if len(numbered) != n_s * n_r:
        return None
    sector_at = {code: k for k, code in enumerate(sectors)}
    region_at = {code: k for k, code in enumerate(regions)}
    row = np.empty(len(numbered), dtype=np.intp)
    tails = []
    for k, (_, line) in enumerate(numbered):
        cells = line.split(",", 2)
        if len(cells) != 3 or cells[2].count(",") != n_r - 1:
            return None
        s, i = sector_at.get(cells[0].strip()), region_at.get(cells[1].strip())
        if s is None or i is None:
            return None
        row[k] = s * n_r + i
        tails.append(cells[2])
    text = ",".join(tails)
    if not _PLAIN_NUMBERS.fullmatch(text):
        return None
    try:
        values = np.fromstring(text, dtype=np.float64, sep=",")
    except ValueError:
        return None
    if values.size != n_s * n_r * n_r or len(np.unique(row)) != len(row):
        return None
    if not (np.isfinite(values).all() and (values >= 0).all() and (values <= MAX_FLOW).all()):
        return None
    flows = np.empty((n_s * n_r, n_r))
    flows[row[:, None], order[None, :]] = values.reshape(-1, n_r)
    return flows.reshape(n_s, n_r, n_r)


def _read_line_by_line(
    path: Path,
    numbered: list[tuple[int, str]],
    sectors: tuple[str, ...],
    regions: tuple[str, ...],
    columns: list[str],
    order: NDArray[np.intp],
) -> FloatArray:
    """The flows, each line parsed on its own: the first bad cell is reported."""
    sector_at = {code: k for k, code in enumerate(sectors)}
    region_at = {code: k for k, code in enumerate(regions)}
    n_r = len(regions)
    flows = np.full((len(sectors), n_r, n_r), np.nan)
    seen = np.zeros((len(sectors), n_r), dtype=bool)
    width = n_r + 2
    for number, line in numbered:
        cells = line.split(",")
        if len(cells) != width:
            raise DatasetError(
                f"expected {width} fields (sector, exporter, {n_r} flows), got {len(cells)}",
                path=path,
                line=number,
                field="row",
            )
        sector, exporter = cells[0].strip(), cells[1].strip()
        if sector not in sector_at:
            raise DatasetError(
                f"unknown sector {sector!r}; known: {', '.join(sectors[:10])}"
                + (", ..." if len(sectors) > 10 else ""),
                path=path,
                line=number,
                column=1,
                field="sector",
            )
        if exporter not in region_at:
            raise DatasetError(
                f"unknown region {exporter!r}",
                path=path,
                line=number,
                column=_column(line, 1),
                field="exporter",
            )
        s, i = sector_at[sector], region_at[exporter]
        if seen[s, i]:
            raise DatasetError(
                f"flows of {sector} from {exporter} are listed twice",
                path=path,
                line=number,
                column=1,
                field="row",
            )
        seen[s, i] = True
        flows[s, i, order] = _values(path, number, line, cells[2:], columns)
    if not seen.all():
        s, i = np.argwhere(~seen)[0]
        raise DatasetError(
            f"{int((~seen).sum())} sector-exporter rows missing, e.g. {sectors[s]},{regions[i]}; "
            "list every one (0 for no flow)",
            path=path,
        )
    return flows


def _header(
    path: Path, number: int, header: str, regions: tuple[str, ...]
) -> tuple[list[str], NDArray[np.intp]]:
    """Importer codes of the header line and their positions among ``regions``."""
    names = [cell.strip() for cell in header.split(",")]
    if names[:2] != ["sector", "exporter"]:
        raise DatasetError(
            "the header must start with 'sector,exporter' and name every importer",
            path=path,
            line=number,
            column=1,
            field="header",
        )
    region_at = {code: k for k, code in enumerate(regions)}
    order: list[int] = []
    for k, code in enumerate(names[2:]):
        problem = (
            f"unknown importer {code!r}"
            if code not in region_at
            else f"importer {code!r} named twice"
            if region_at[code] in order
            else ""
        )
        if problem:
            raise DatasetError(
                problem, path=path, line=number, column=_column(header, k + 2), field="header"
            )
        order.append(region_at[code])
    if len(order) != len(regions):
        missing = next(code for code in regions if region_at[code] not in order)
        raise DatasetError(
            f"importer {missing!r} has no column", path=path, line=number, field="header"
        )
    return names[2:], np.array(order, dtype=np.intp)


def _values(path: Path, number: int, line: str, cells: list[str], columns: list[str]) -> FloatArray:
    """The flows of one line, refusing text, NaN, infinities and negative numbers."""
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        values = np.array([_float_or_nan(cell) for cell in cells])
    bad = ~np.isfinite(values) | (values < 0) | (values > MAX_FLOW)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DatasetError(
            f"{cells[k].strip()!r}: a flow must be a finite number, zero or positive, "
            f"at most {MAX_FLOW:g} (use a larger unit)",
            path=path,
            line=number,
            column=_column(line, k + 2),
            field=columns[k],
        )
    return values


def _float_or_nan(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        return math.nan


def _column(line: str, field: int) -> int:
    """One-based character column where comma-separated field number ``field`` starts."""
    start = 0
    for _ in range(field):
        start = line.index(",", start) + 1
    return start + 1
