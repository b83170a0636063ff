"""``tradesim export``: result folders as IAMC CSV, IAMC Parquet or an Excel workbook."""

from __future__ import annotations

import io
import math
from pathlib import Path

from sim.tables import Table

FORMATS = ("iamc", "parquet", "xlsx")


def combined_iamc(folders: list[Path]) -> Table:
    """The IAMC tables of several result folders in one: one scenario per folder.

    Parameters
    ----------
    folders : list of Path
        Result folders; their quarters are the union of the folders' quarters (a cell a
        folder does not cover is empty).

    Raises
    ------
    InputError
        When two folders hold the same scenario name, which IAMC rows could not tell apart.
    """
    from sim.compare import load_results
    from sim.errors import InputError
    from sim.iamc import iamc_table

    tables = [iamc_table(load_results(folder)) for folder in folders]
    names = [str(t.rows[0][1]) if t.rows else "" for t in tables]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(
            f"two folders hold scenario '{twice[0]}'; an IAMC table tells scenarios apart "
            "by name only"
        )
    keys = ("model", "scenario", "region", "variable", "unit")
    periods = sorted({c for t in tables for c in t.columns[len(keys) :]})
    rows = []
    for table in tables:
        at = {c: k for k, c in enumerate(table.columns)}
        for row in table.rows:
            values = tuple(row[at[p]] if p in at else math.nan for p in periods)
            rows.append((*row[: len(keys)], *values))
    return Table((*keys, *periods), rows)


def export_folders(folders: list[Path], fmt: str, out: Path | None) -> str | None:
    """Export result folders; the text for standard output, or None when ``out`` is written.

    Parameters
    ----------
    folders : list of Path
    fmt : {"iamc", "parquet", "xlsx"}
    out : Path, optional
        The file to write atomically; required for ``parquet`` and ``xlsx``.
    """
    from sim.results import table_csv, write_bytes_atomic, write_text_atomic

    if fmt == "xlsx":
        from sim.compare import load_results
        from sim.tabular import excel_bytes

        assert out is not None and len(folders) == 1
        write_bytes_atomic(out, excel_bytes(load_results(folders[0])))
        return None
    table = combined_iamc(folders)
    if fmt == "parquet":
        from sim.tabular import write_parquet

        assert out is not None
        buffer = io.BytesIO()
        write_parquet(buffer, table)
        write_bytes_atomic(out, buffer.getvalue())
        return None
    text = table_csv(table)
    if out is None:
        return text
    write_text_atomic(out, text)
    return None
