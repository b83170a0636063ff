"""CsvStream: blocks formatted while the caller goes on, the bytes of one write_table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.csvtext import Labels
from sim.results import CsvStream, write_table
from sim.tables import Table

COLUMNS = ("region", "value", "share")


def _block(rng: np.random.Generator, rows: int) -> list:
    codes = rng.integers(0, 3, rows)
    return [Labels(codes, ("CHN", "JPN", "USA")), rng.normal(size=rows), rng.random(rows)]


def test_blocks_streamed_are_the_bytes_of_the_whole_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    blocks = [_block(rng, n) for n in (70_000, 1, 0, 20_000)]  # several chunks per block
    with CsvStream(tmp_path / "streamed.csv", COLUMNS) as stream:
        for block in blocks:
            stream.write(block)
        stream.finish()
    whole = [
        Labels(np.concatenate([b[0].codes for b in blocks]), blocks[0][0].labels),
        np.concatenate([b[1] for b in blocks]),
        np.concatenate([b[2] for b in blocks]),
    ]
    write_table(tmp_path / "whole.csv", Table(COLUMNS, data=whole))
    streamed = (tmp_path / "streamed.csv").read_bytes()
    assert streamed == (tmp_path / "whole.csv").read_bytes()
    assert streamed.count(b"\n") == 1 + 90_001


def test_a_block_that_cannot_be_formatted_raises_at_the_next_call(tmp_path: Path) -> None:
    stream = CsvStream(tmp_path / "broken.csv", COLUMNS)
    stream.write([Labels(np.array([5]), ("CHN",)), np.zeros(1), np.zeros(1)])  # no label 5
    with pytest.raises(IndexError):
        stream.close()
