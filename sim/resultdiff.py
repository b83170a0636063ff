"""Compare result CSVs with a stated tolerance instead of byte for byte.

Two runs of one scenario on the same machine write identical bytes. On another CPU (another
vector instruction set, another BLAS) the floating-point operations are ordered differently,
the solved values differ at rounding level, and a figure whose seventh decimal sits near a
half can print with a different sixth decimal. This module compares two result CSVs the way
the reference results are promised to agree across machines:

- the header is identical;
- the key columns (:data:`KEY_COLUMNS`) and every other text cell are identical;
- two numeric cells ``a`` and ``b`` agree when
  ``|a - b| <= atol + rtol * scale`` with ``scale = max(|a|, |b|)``; for a ``change``
  column (``value - baseline_value``) the scale also covers ``|value|`` and
  ``|baseline_value|`` of both rows, whose error the difference inherits.

The default :data:`TOLERANCE` is derived next to its constants below.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.csvtext import SCALE
from sim.gravity.solve import ACCEPTED as GRAVITY_ACCEPTED
from sim.solve import TOLERANCE as ARMINGTON_TOLERANCE

__all__ = [
    "ATOL",
    "KEY_COLUMNS",
    "RTOL",
    "TOLERANCE",
    "Tolerance",
    "compare_csv_files",
    "compare_csv_text",
    "compare_folders",
]

# Absolute tolerance, from the precision the CSVs are written with: six decimals
# (sim.csvtext.SCALE = 1e6). Rounding a value to six decimals moves it by at most
# 0.5e-6; two values, each rounded on its own machine, can differ by up to
# 2 * 0.5e-6 = 1e-6 more than the values did. Another 0.5e-6 is margin for reading the
# decimal strings back as binary floats (1.054951 - 1.054950 is 1.00000000003e-6, not
# 1e-6) and for percentage columns, whose solver error is about
# 100 * RTOL * (|value| + |baseline|) / |baseline| = RTOL * (|change_pct| + 200), i.e.
# 2e-7 beyond the relative term. atol = 1e-6 + 0.5e-6 = 1.5e-6.
ATOL = 1.5 / SCALE

# Relative tolerance, from the solvers: the Armington solver clears every market to a
# log gap below sim.solve.TOLERANCE = 1e-10, and the gravity solver accepts a relative
# market-clearing error below sim.gravity.solve.ACCEPTED = 1e-10. A solution is that
# close to the exact one only up to the conditioning of the equations; a factor of 10
# allows for it: rtol = 10 * 1e-10 = 1e-9. (Differences between CPUs are far smaller in
# practice, about 1e-15 relative; the bound is what the solvers promise.)
RTOL = 10.0 * max(ARMINGTON_TOLERANCE, GRAVITY_ACCEPTED)

# Columns that identify a row in any result file; compared exactly, never as numbers
# (a gravity `period` such as 2006 looks like one).
KEY_COLUMNS = frozenset(
    {
        "period",
        "sector",
        "exporter",
        "importer",
        "region",
        "indicator",
        "partner",
        "draw",
        "parameter",
    }
)

# A column that is the difference of two others in the same row takes their error.
DIFFERENCE_OF: Mapping[str, tuple[str, str]] = {"change": ("value", "baseline_value")}

_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf")


@dataclass(frozen=True)
class Tolerance:
    """How far two numeric cells may be apart: ``|a - b| <= atol + rtol * scale``.

    Attributes
    ----------
    atol : float
        Absolute tolerance, in the unit of the column.
    rtol : float
        Relative tolerance, a fraction of ``scale``.
    """

    atol: float = ATOL
    rtol: float = RTOL

    def allows(self, a: float, b: float, scale: float | None = None) -> bool:
        """Whether ``a`` and ``b`` agree.

        Parameters
        ----------
        a, b : float
            The two values; infinities agree only with the same infinity.
        scale : float, optional
            The magnitude the relative term applies to; ``max(|a|, |b|)`` by default.

        Returns
        -------
        bool
        """
        if a == b:
            return True
        if not (math.isfinite(a) and math.isfinite(b)):
            return False
        if scale is None:
            scale = max(abs(a), abs(b))
        return abs(a - b) <= self.atol + self.rtol * scale


TOLERANCE = Tolerance()


def _number(cell: str) -> float | None:
    """The cell as a float, or None if it is not written as a number."""
    return float(cell) if _NUMBER.fullmatch(cell) else None


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _scale(column: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> float | None:
    """The relative scale of a derived column: the largest operand in either row."""
    operands = DIFFERENCE_OF.get(column)
    if operands is None or not all(name in header for name in operands):
        return None
    magnitudes = [0.0]
    for name in (column, *operands):
        for row in rows:
            value = _number(row[header.index(name)])
            if value is not None and math.isfinite(value):
                magnitudes.append(abs(value))
    return max(magnitudes)


def compare_csv_text(
    fresh: str, kept: str, *, name: str = "", tolerance: Tolerance = TOLERANCE
) -> list[str]:
    """Differences between two result CSV texts beyond ``tolerance``.

    Rows are compared in order (result files are sorted by their keys).

    Parameters
    ----------
    fresh, kept : str
        CSV texts with a header line, e.g. a fresh run's file and the stored reference.
    name : str
        File name used in the messages, e.g. ``gravity-x/flows.csv``.
    tolerance : Tolerance
        Allowed distance between numeric cells.

    Returns
    -------
    list of str
        One line per difference, naming the file, the line, the row's key, the column and
        both values; empty if the files agree.
    """
    file = f"{name}: " if name else ""
    fresh_rows, kept_rows = _rows(fresh), _rows(kept)
    if not fresh_rows or not kept_rows:
        return [] if fresh_rows == kept_rows else [f"{file}one file is empty"]
    header, kept_header = fresh_rows[0], kept_rows[0]
    if header != kept_header:
        return [f"{file}header {','.join(header)!r} vs {','.join(kept_header)!r}"]
    keys = [k for k, column in enumerate(header) if column in KEY_COLUMNS]
    differences = []
    if len(fresh_rows) != len(kept_rows):
        differences.append(f"{file}{len(fresh_rows) - 1} rows vs {len(kept_rows) - 1} rows")
    for line, (a_row, b_row) in enumerate(zip(fresh_rows, kept_rows, strict=False), start=1):
        if a_row == b_row or line == 1:
            continue
        key = ", ".join(a_row[k] for k in keys if k < len(a_row))
        where = f"{name} line {line} ({key})".lstrip()
        if len(a_row) != len(header) or len(b_row) != len(header):
            differences.append(f"{where}: {len(a_row)} vs {len(b_row)} cells")
            continue
        for k, column in enumerate(header):
            a, b = a_row[k], b_row[k]
            if a == b:
                continue
            x, y = _number(a), _number(b)
            if (
                column in KEY_COLUMNS
                or x is None
                or y is None
                or not tolerance.allows(x, y, _scale(column, header, (a_row, b_row)))
            ):
                differences.append(f"{where}: {column}: {a!r} vs {b!r}")
    return differences


def compare_csv_files(
    fresh: Path, kept: Path, *, tolerance: Tolerance = TOLERANCE, name: str | None = None
) -> list[str]:
    """Differences between two result CSV files beyond ``tolerance``.

    Parameters
    ----------
    fresh, kept : Path
    tolerance : Tolerance
    name : str, optional
        File name used in the messages; ``fresh``'s folder and file name by default.

    Returns
    -------
    list of str
        As :func:`compare_csv_text`.
    """
    label = name if name is not None else f"{fresh.parent.name}/{fresh.name}"
    return compare_csv_text(
        fresh.read_text(encoding="utf-8"),
        kept.read_text(encoding="utf-8"),
        name=label,
        tolerance=tolerance,
    )


def compare_folders(
    fresh: Path, kept: Path, names: Sequence[str], *, tolerance: Tolerance = TOLERANCE
) -> list[str]:
    """Differences between the CSV files ``names`` of two result folders.

    Parameters
    ----------
    fresh, kept : Path
        Result folders, e.g. ``<out>/<scenario>`` and ``results/<scenario>``.
    names : sequence of str
        CSV file names to compare; a file missing from either folder is a difference.
    tolerance : Tolerance

    Returns
    -------
    list of str
        As :func:`compare_csv_text`, the files in the order of ``names``.
    """
    differences = []
    for file in names:
        missing = [str(folder / file) for folder in (fresh, kept) if not (folder / file).is_file()]
        if missing:
            differences.append(f"{kept.name}/{file}: missing {', '.join(missing)}")
            continue
        differences += compare_csv_files(
            fresh / file, kept / file, tolerance=tolerance, name=f"{kept.name}/{file}"
        )
    return differences
