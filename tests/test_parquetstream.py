"""A Parquet stream writes each block's rows as they are: labels, numbers and NaN as null."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.csvtext import Labels
from sim.tabular import ParquetStream, float_array, number_array, string_array

SHIPPED = Path(__file__).resolve().parent.parent / "scenarios" / "baseline.yaml"

COLUMNS = ("period", "sector", "value", "pct")
KINDS = (True, True, False, False)


def _block(period: str, codes: list[int], value: list[float], pct: list[float]) -> list:
    return [
        Labels(np.zeros(len(codes), dtype=np.int16), (period,)),
        Labels(np.array(codes, dtype=np.int16), ("a", "b", "c")),
        np.array(value),
        np.array(pct),
    ]


def test_blocks_read_back_cell_for_cell(tmp_path: Path) -> None:
    blocks = [
        _block("2023Q1", [0, 1, 2], [1.0, 2.0, 3.0], [0.0, np.nan, 5.0]),
        # the same codes with another period label: the kept indices, new labels
        _block("2023Q2", [0, 1, 2], [4.0, 5.0, 6.0], [1.0, 2.0, 3.0]),
        # other codes: new indices
        _block("2023Q3", [2, 2, 0], [np.nan, 8.0, 9.0], [np.nan, np.nan, np.nan]),
    ]
    codes = blocks[0][1].codes
    with ParquetStream(tmp_path / "t.parquet", COLUMNS, KINDS) as stream:
        for block in blocks:
            stream.write(block)
        # a caller changing its codes in place after writing does not change what is kept
        codes[:] = 2
        stream.write(_block("2023Q4", [0, 1, 2], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]))
        stream.finish()
    table = pq.read_table(tmp_path / "t.parquet").to_pydict()
    assert table["period"] == ["2023Q1"] * 3 + ["2023Q2"] * 3 + ["2023Q3"] * 3 + ["2023Q4"] * 3
    assert table["sector"] == ["a", "b", "c", "a", "b", "c", "c", "c", "a", "a", "b", "c"]
    assert table["value"] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None, 8.0, 9.0, 1.0, 1.0, 1.0]
    assert table["pct"] == [0.0, None, 5.0, 1.0, 2.0, 3.0, None, None, None, 1.0, 1.0, 1.0]


def test_a_code_beyond_the_labels_is_an_error(tmp_path: Path) -> None:
    with ParquetStream(tmp_path / "t.parquet", COLUMNS, KINDS) as stream:
        stream.write(_block("2023Q1", [0, 1, 2], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]))
        bad = _block("2023Q2", [0, 1, 2], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
        bad[1] = Labels(np.array([0, 1, 2], dtype=np.int16), ("a", "b"))
        with pytest.raises(ValueError, match="out of range"):
            stream.write(bad)


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0, -0.0],
        [np.nan, 1.0, np.inf],
        [np.nan, np.nan],
        [],
        [1e308, 1e308, 2.0],  # a sum that overflows, without NaN
        [np.inf, -np.inf, 1.0],  # a NaN sum, without NaN
    ],
)
def test_float_columns_equal_arrows_own_nan_conversion(values: list[float]) -> None:
    column = np.array(values, dtype=np.float64)
    mine = float_array(pa, column)
    arrows = pa.array(column, type=pa.float64(), from_pandas=True)
    assert mine.equals(arrows)
    assert mine.null_count == arrows.null_count


@pytest.mark.parametrize("size", [0, 1, 7, 64, 1001])
def test_arrays_from_buffers_are_those_of_pyarrow_array(size: int) -> None:
    rng = np.random.default_rng(size)
    values = rng.standard_normal(size)
    values[::3] = np.nan
    expected = pa.array(values, type=pa.float64(), mask=np.isnan(values))
    assert float_array(pa, values).equals(expected)
    assert float_array(pa, values[::2]).equals(pa.array(values[::2], from_pandas=True))
    codes = rng.integers(0, 5, size).astype(np.int32)
    assert number_array(pa, pa.int32(), codes).equals(pa.array(codes))
    texts = [f"R{k:03d}é" * (k % 3) for k in range(size)]
    assert string_array(pa, texts).equals(pa.array(texts, type=pa.string()))


def test_a_parquet_run_does_not_import_pandas(tmp_path: Path) -> None:
    # pyarrow.array imports pandas to ask whether its argument is a pandas object: 0.2 s
    probe = (
        "import sys\n"
        "from sim.cli import main\n"
        f"sys.argv = ['tradesim', 'run', {str(SHIPPED)!r}, '--out', {str(tmp_path)!r},"
        " '--format', 'parquet', '--quiet']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "baseline" / "flows.parquet").exists()
