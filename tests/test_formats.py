"""Parquet results and the exports (IAMC CSV and Parquet, Excel), read back by pandas."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.results import RESULT_FILES

TABLES = [name.removesuffix(".csv") for name in RESULT_FILES if name.endswith(".csv")]


def invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """seafood-ban-lifted and detente, written as CSV and as Parquet."""
    out = tmp_path_factory.mktemp("runs")
    invoke("run", "seafood-ban-lifted", "detente", "--out", str(out / "csv"))
    invoke(
        "run", "seafood-ban-lifted", "detente", "--out", str(out / "parquet"), "--format", "parquet"
    )
    return out


def assert_same_table(frame: pd.DataFrame, csv_path: Path) -> None:
    written = pd.read_csv(csv_path, keep_default_na=False, dtype=str)
    assert list(frame.columns) == list(written.columns)
    assert len(frame) == len(written) > 0
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            expected = written[column].map(lambda cell: float(cell) if cell else np.nan)
            np.testing.assert_allclose(frame[column], expected, rtol=0, atol=5e-7, err_msg=column)
        else:
            cells = frame[column].astype(object).where(frame[column].notna(), "")
            assert cells.astype(str).tolist() == written[column].tolist(), column


@pytest.mark.parametrize("table", TABLES)
def test_a_parquet_result_reads_back_as_the_csv_result(runs: Path, table: str) -> None:
    folder = runs / "parquet" / "seafood-ban-lifted"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["run.json"]
    )
    frame = pd.read_parquet(folder / f"{table}.parquet")
    assert_same_table(frame, runs / "csv" / "seafood-ban-lifted" / f"{table}.csv")


def test_parquet_results_are_the_same_bytes_twice(runs: Path, tmp_path: Path) -> None:
    invoke("run", "seafood-ban-lifted", "--out", str(tmp_path), "--format", "parquet")
    for table in TABLES:
        again = (tmp_path / "seafood-ban-lifted" / f"{table}.parquet").read_bytes()
        assert again == (runs / "parquet" / "seafood-ban-lifted" / f"{table}.parquet").read_bytes()


def test_compare_reads_parquet_folders_as_csv_ones(runs: Path) -> None:
    shown = {
        kind: invoke("compare", *(str(runs / kind / s) for s in ("seafood-ban-lifted", "detente")))
        for kind in ("csv", "parquet")
    }
    assert shown["csv"] == shown["parquet"]
    assert "detente" in shown["csv"].splitlines()[1]


def test_an_xlsx_export_has_a_sheet_per_table_and_the_run(runs: Path, tmp_path: Path) -> None:
    folder = runs / "csv" / "seafood-ban-lifted"
    target = tmp_path / "lifted.xlsx"
    invoke("export", str(folder), "--format", "xlsx", "--out", str(target))
    sheets = pd.read_excel(target, sheet_name=None)
    assert list(sheets) == [*TABLES, "run"]
    for table in TABLES:
        assert_same_table(sheets[table], folder / f"{table}.csv")
    run = dict(zip(sheets["run"]["field"], sheets["run"]["value"], strict=True))
    assert run["scenario"] == "seafood-ban-lifted"
    assert json.loads(run["against"])["name"] == "baseline"
    again = tmp_path / "again.xlsx"
    invoke("export", str(folder), "--format", "xlsx", "--out", str(again))
    assert again.read_bytes() == target.read_bytes()


def test_an_xlsx_export_of_a_parquet_folder_equals_that_of_the_csv_folder(
    runs: Path, tmp_path: Path
) -> None:
    for kind in ("csv", "parquet"):
        folder = runs / kind / "detente"
        invoke("export", str(folder), "--format", "xlsx", "--out", str(tmp_path / f"{kind}.xlsx"))
    assert (tmp_path / "csv.xlsx").read_bytes() == (tmp_path / "parquet.xlsx").read_bytes()


@pytest.mark.parametrize("fmt", ["iamc", "parquet"])
def test_an_iamc_export_takes_several_folders_into_one_table(
    runs: Path, tmp_path: Path, fmt: str
) -> None:
    folders = [str(runs / "csv" / s) for s in ("seafood-ban-lifted", "detente")]
    target = tmp_path / f"both.{'csv' if fmt == 'iamc' else 'parquet'}"
    invoke("export", *folders, "--format", fmt, "--out", str(target))
    frame = pd.read_csv(target) if fmt == "iamc" else pd.read_parquet(target)
    frame = frame.astype({column: str for column in frame.columns[:5]})
    assert list(frame.columns[:5]) == ["model", "scenario", "region", "variable", "unit"]
    assert sorted(set(frame["scenario"])) == ["detente", "seafood-ban-lifted"]
    single = pd.read_csv(
        subprocess.run(
            [sys.executable, "-m", "sim", "export", folders[0], "--out", str(tmp_path / "one.csv")],
            capture_output=True,
            check=True,
        )
        and tmp_path / "one.csv"
    )
    lifted = frame[frame["scenario"] == "seafood-ban-lifted"].reset_index(drop=True)
    single = single.astype({column: str for column in single.columns[:5]})
    pd.testing.assert_frame_equal(lifted, single, check_dtype=False, check_column_type=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "Error: --format xlsx writes a binary file; give --out FILE"),
        (["--format", "parquet"], "Error: --format parquet writes a binary file; give --out FILE"),
    ],
)
def test_binary_exports_need_out(runs: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["export", str(runs / "csv" / "detente"), *args])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == message


def test_without_pyarrow_a_parquet_run_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None\n"
        "from sim.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "run", "seafood-ban-lifted", "--format", "parquet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == "Error: --format parquet needs pyarrow: pip install 'tradesim[pandas]'\n"
    assert list(tmp_path.iterdir()) == []


def test_a_gravity_folder_exports_to_iamc_with_a_year_column(tmp_path: Path) -> None:
    invoke("run", "gravity-can-jpn-pta", "--out", str(tmp_path))
    target = tmp_path / "gravity.csv"
    invoke("export", str(tmp_path / "gravity-can-jpn-pta"), "--out", str(target))
    frame = pd.read_csv(target)
    assert list(frame.columns) == ["model", "scenario", "region", "variable", "unit", "2006"]
    welfare = frame[(frame["region"] == "CAN") & (frame["variable"] == "Welfare|Total")]
    assert welfare["unit"].tolist() == ["USD million/year"]
    assert float(welfare["2006"].iloc[0]) > 0  # the agreement raises Canada's welfare
    assert not frame["variable"].str.startswith("Welfare|Consumer").any()  # totals only


def test_parquet_columns_are_encoded_for_their_kind(runs: Path) -> None:
    # labels as required dictionaries (never null: no definition levels), numbers as
    # nullable plain doubles, levels uncompressed and the rest with Snappy; minimum and
    # maximum kept for the period only (row groups can be skipped by quarter)
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(runs / "parquet" / "seafood-ban-lifted" / "flows.parquet").metadata
    assert meta.num_row_groups == 16  # one per quarter
    group = meta.row_group(0)
    for k in range(group.num_columns):
        column = group.column(k)
        name = column.path_in_schema
        levels = meta.schema.column(k).max_definition_level
        if name in ("period", "sector", "exporter", "importer"):
            assert "RLE_DICTIONARY" in column.encodings, name
            assert levels == 0, name
        else:
            assert set(column.encodings) <= {"PLAIN", "RLE"}, (name, column.encodings)
            assert levels == 1, name
        level = name in ("value", "baseline_value", "volume", "baseline_volume")
        assert column.compression == ("UNCOMPRESSED" if level else "SNAPPY"), name
        assert column.is_stats_set == (name == "period"), name


def test_a_block_of_more_than_a_million_rows_is_one_row_group(tmp_path: Path) -> None:
    # Arrow cuts a table into row groups of at most 1 Mi rows unless told otherwise; a
    # quarter of the 141 x 65 flows has 1.29 million rows and is one row group
    import pyarrow.parquet as pq

    from sim.csvtext import Labels
    from sim.tabular import ParquetStream

    rows = 1_100_000
    path = tmp_path / "big.parquet"
    with ParquetStream(path, ("period", "value"), (True, False)) as stream:
        for period in ("2023Q1", "2023Q2"):
            codes = np.zeros(rows, dtype=np.int32)
            stream.write([Labels(codes, (period,)), np.arange(rows, dtype=float)])
        stream.finish()
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(k).num_rows for k in range(meta.num_row_groups)] == [rows, rows]


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("draws", [[], ["--draws", "20", "--seed", "1"]], ids=["run", "draws"])
def test_every_result_file_is_flushed_to_disk_before_it_is_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, draws: list[str]
) -> None:
    # the folder is renamed into place only after each of its files is on disk
    # (docs/results.md, "Writing"); a file is known by its inode, which a rename keeps
    flushed: set[int] = set()
    fsync = os.fsync

    def recording_fsync(descriptor: int) -> None:
        fsync(descriptor)
        flushed.add(os.fstat(descriptor).st_ino)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    invoke("run", "seafood-ban-lifted", "--out", str(tmp_path), "--format", fmt, *draws)
    files = sorted((tmp_path / "seafood-ban-lifted").iterdir())
    assert len(files) >= 6
    for path in files:
        assert path.stat().st_ino in flushed, path.name
