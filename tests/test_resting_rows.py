"""A quarter's flow rows and figures with the rows at rest kept are those formed whole."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.csvtext import Labels
from sim.resting_rows import RestingRows, quarter_flows
from sim.scenario import load_scenario
from sim.scenario_path import iter_scenario_path
from sim.tables import flows_block, quarter_figures
from tests.conftest import ROOT

# Sectors s03-s06 rest all horizon; s01 and s02 rest until their policies start, s01
# again after its ban ends. The ban cuts 2023Q3 in the scenario, not in the no-policy
# comparison run; the export control cuts 2024Q2 in both runs of the extended scenario.
SCENARIO = """\
name: resting
dataset: synth.yaml
start: 2023Q1
end: 2025Q2
{extends}policies:
  - {{id: ban, type: ban, sector: s01, exporters: [R001], importers: [R002],
     start: 2023-08-24, end: 2024-01-01}}
  - {{id: tariff, type: tariff, sector: s02, exporters: [R001, R002], importers: [R003],
     increase: 0.25, start: 2024Q3, phase_in: 2}}
"""
BASE = """\
name: with-controls
dataset: synth.yaml
start: 2023Q1
end: 2025Q2
policies:
  - {id: controls, type: export_control, sector: s03, exporters: [R002],
     importers: [R001], coverage: 0.3, tax_equivalent: 0.2, start: 2024-05-10}
"""


def _dataset(folder: Path, relabel: bool) -> None:
    made = subprocess.run(
        [sys.executable, "-m", "sim", "synth", "--regions", "7", "--sectors", "6", "--seed", "3"]
        + ["-o", str(folder / "synth.yaml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    if not relabel:
        return
    # codes whose sorted order is the reverse of the dataset's: the block's rows are
    # gathered, not taken in place
    for path in folder.iterdir():
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\bR00(\d)\b", lambda m: f"Z{10 - int(m.group(1))}", text)
        text = re.sub(r"\bs0(\d)\b", lambda m: f"t{10 - int(m.group(1))}", text)
        path.write_text(text, encoding="utf-8")


def _bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


def _same(mine: object, theirs: object, what: str) -> None:
    if isinstance(theirs, Labels):
        assert isinstance(mine, Labels), what
        assert mine.values() == theirs.values(), what
    elif isinstance(theirs, list):
        assert isinstance(mine, list) and len(mine) == len(theirs), what
        for k, (a, b) in enumerate(zip(mine, theirs, strict=True)):
            _same(a, b, f"{what} column {k}")
    elif isinstance(theirs, dict):
        assert isinstance(mine, dict) and mine.keys() == theirs.keys(), what
        for key in theirs:
            _same(mine[key], theirs[key], f"{what} {key}")
    else:
        assert np.array_equal(_bits(mine), _bits(theirs)), what  # type: ignore[arg-type]


@pytest.mark.parametrize("extended", [False, True], ids=["no-policy", "extended"])
@pytest.mark.parametrize("relabel", [False, True], ids=["sorted", "unsorted"])
def test_kept_rows_are_the_bits_of_the_whole_quarter(
    tmp_path: Path, relabel: bool, extended: bool
) -> None:
    (tmp_path / "base.yaml").write_text(BASE, encoding="utf-8")
    text = SCENARIO.format(extends="extends: base.yaml\n" if extended else "")
    (tmp_path / "resting.yaml").write_text(text, encoding="utf-8")
    _dataset(tmp_path, relabel)
    scenario = load_scenario(tmp_path / "resting.yaml")
    dataset = scenario.dataset
    baseline, quarters, solved = iter_scenario_path(scenario)
    rest = RestingRows()
    shape = baseline.flows.shape
    totals, whole_totals = (np.zeros(shape), np.zeros(shape)), (np.zeros(shape), np.zeros(shape))
    held = 0
    for scn, ref in solved:
        resting = scn.resting & ref.resting  # type: ignore[operator]
        held += int(resting.sum())
        quarter = quarter_flows(dataset, scn, ref, rest, totals)
        assert quarter is not None
        block, figures = quarter
        what = str(scn.quarter)
        _same(block, flows_block(dataset, scn, ref), what)
        for period, mine, total, whole in zip(
            (scn, ref), figures, totals, whole_totals, strict=True
        ):
            whole += period.value
            _same(total, whole, f"{what} running total")
            theirs = quarter_figures(dataset, baseline, period)
            _same(mine, {key: theirs[key] for key in ("sales_by_origin", "trade")}, what)
    # the rows of sectors at rest were kept most quarters, and some sectors moved
    assert held > 3 * len(quarters)
    assert not resting.all()


def test_a_quarter_with_processing_routes_is_formed_whole() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "escalation.yaml")
    baseline, _, solved = iter_scenario_path(scenario)
    scn, ref = next(solved)
    assert scn.routes is not None
    totals = (np.zeros(baseline.flows.shape), np.zeros(baseline.flows.shape))
    assert quarter_flows(scenario.dataset, scn, ref, RestingRows(), totals) is None
    assert not totals[0].any()


def test_a_set_of_block_columns_is_never_handed_out_twice_in_a_row() -> None:
    # a stream still reads the last block's arrays while the next block is built: that
    # block must go to the other set, from the second quarter on
    rest = RestingRows()
    handed = [rest.columns(3, 4)[0] for _ in range(5)]
    for before, after in zip(handed, handed[1:], strict=False):
        assert after is not before
    assert handed[2] is handed[0] and handed[3] is handed[1]
