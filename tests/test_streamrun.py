"""A run written a quarter at a time gives the files and numbers of the whole-path run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.csvtext import Labels
from sim.models import run_any
from sim.results import write_results
from sim.resultschema import SCHEMAS
from sim.run import run_scenario
from sim.scenario import load_scenario
from sim.streamrun import write_scenario
from sim.tables import flows_block, flows_table
from sim.timepath import PathSolution
from tests.conftest import ROOT, SCENARIOS

TABLES = ("flows.csv", "prices.csv", "welfare.csv", "indicators.csv", "summary.csv")
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
# partial-equilibrium scenarios with a mid-quarter policy, processing routes and an
# extended comparison run between them
ARMINGTON = [SCENARIOS / f"{name}.yaml" for name in ("baseline", "escalation", "detente")]
# The numbers are the same computation in the same order, so they agree to the last bit;
# 1e-9 relative is the bound for "no loss of precision" (six printed decimals of
# values up to 1e6 need about 1e-12).
RELATIVE = 1e-9

FOUR_POLICIES = """\
name: four-policies
dataset: synth.yaml
start: 2023Q1
end: 2024Q4
policies:
  - {id: ban, type: ban, sector: s01, exporters: [R001], importers: [R002],
     start: 2023-08-24, end: 2024-07-01}
  - {id: tariff, type: tariff, sector: s02, exporters: [R001, R002], importers: [R003],
     increase: 0.25, start: 2024Q1, phase_in: 4}
  - {id: controls, type: export_control, sector: s03, exporters: [R002],
     importers: [R001, R004], coverage: 0.3, tax_equivalent: 0.2, start: 2023-07-03}
  - {id: slowdown, type: demand_shock, sector: s04, importers: [R002], change: -0.05,
     start: 2024Q3}
"""


def tradesim(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
    )


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 9-region, 5-sector synthetic dataset and a four-policy scenario on it."""
    folder = tmp_path_factory.mktemp("synthetic")
    made = tradesim(
        "synth", "--regions", "9", "--sectors", "5", "--seed", "4", "-o", str(folder / "synth.yaml")
    )
    assert made.returncode == 0, made.stderr
    scenario = folder / "four-policies.yaml"
    scenario.write_text(FOUR_POLICIES, encoding="utf-8")
    return scenario


def whole_path_folder(scenario: Path, out: Path) -> Path:
    """The folder the whole-path run writes (solve, all tables, then write)."""
    result = run_any(scenario)
    write_results(out / result.scenario.name, result.tables, result.run, force=True)
    return out / result.scenario.name


def test_the_command_writes_the_bytes_of_the_whole_path_writer(tmp_path: Path) -> None:
    run = tradesim("run", *map(str, SHIPPED), "--out", str(tmp_path / "streamed"), "--quiet")
    assert run.returncode == 0, run.stderr
    for scenario in SHIPPED:
        whole = whole_path_folder(scenario, tmp_path / "whole")
        streamed = tmp_path / "streamed" / whole.name
        assert sorted(p.name for p in streamed.iterdir()) == sorted(p.name for p in whole.iterdir())
        for name in (*TABLES, "run.json"):
            assert (streamed / name).read_bytes() == (whole / name).read_bytes(), (whole, name)


def test_a_synthetic_run_streamed_is_the_whole_path_run(tmp_path: Path, synthetic: Path) -> None:
    whole = whole_path_folder(synthetic, tmp_path / "whole")
    write_scenario(load_scenario(synthetic), tmp_path / "streamed")
    for name in (*TABLES, "run.json"):
        assert (tmp_path / "streamed" / name).read_bytes() == (whole / name).read_bytes(), name
    # the quarters were solved and written in pieces: a 9x9x5 flow grid per quarter
    lines = (whole / "flows.csv").read_bytes().count(b"\n") - 1
    assert lines == 8 * 5 * 9 * 9


def assert_same_columns(mine: list, theirs: list, what: str) -> None:
    assert len(mine) == len(theirs), what
    for k, (a, b) in enumerate(zip(mine, theirs, strict=True)):
        if isinstance(b, Labels):
            assert isinstance(a, Labels), (what, k)
            assert a.values() == b.values(), (what, k)
        else:
            a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), (what, k)
            ok = ~np.isnan(b)
            np.testing.assert_allclose(a[ok], b[ok], rtol=RELATIVE, atol=0.0, err_msg=what)


@pytest.mark.parametrize("scenario", [*ARMINGTON, None], ids=lambda s: s.stem if s else "synth")
def test_streamed_numbers_are_the_whole_path_numbers(
    tmp_path: Path, synthetic: Path, scenario: Path | None
) -> None:
    scenario = scenario or synthetic
    whole = run_scenario(scenario)
    streamed = write_scenario(load_scenario(scenario), tmp_path / "streamed")
    for name in TABLES[1:]:
        assert streamed.tables[name].columns == whole.tables[name].columns
        assert_same_columns(streamed.tables[name].data, whole.tables[name].data, name)
    # flows: each quarter's block is that quarter's rows of the whole table, in order
    table = flows_table(whole.scenario.dataset, whole.path)
    start = 0
    for scn, ref in zip(whole.path.scenario, whole.path.reference, strict=True):
        block = flows_block(whole.scenario.dataset, scn, ref)
        rows = slice(start, start + len(block[0]))
        expected = [
            Labels(c.codes[rows], c.labels) if isinstance(c, Labels) else c[rows]
            for c in table.data
        ]
        assert_same_columns(block, expected, f"flows.csv {scn.quarter}")
        start = rows.stop
    assert start == len(table)


def test_a_settled_path_holds_no_flow_sized_arrays(tmp_path: Path, synthetic: Path) -> None:
    result = write_scenario(load_scenario(synthetic), tmp_path / "streamed")
    path: PathSolution = result.path
    for period in (*path.scenario, *path.reference):
        for segment in period.segments:
            # views of one NaN: no memory of their own
            assert segment.equilibrium.demand.strides == (0, 0, 0)
            assert segment.policy.tariff.strides == (0, 0, 0)
        assert period.value.strides == (0, 0, 0)
    assert "value_through" in path.scenario[-1].figures
    assert all("value_through" not in p.figures for p in path.scenario[:-1])


def test_parquet_is_written_in_row_groups_with_the_same_numbers(
    tmp_path: Path, synthetic: Path
) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as parquet

    from sim.resultread import read_columns
    from sim.tabular import read_parquet_columns

    whole = whole_path_folder(synthetic, tmp_path / "whole")
    run = tradesim("run", str(synthetic), "--out", str(tmp_path / "pq"), "--format", "parquet")
    assert run.returncode == 0, run.stderr
    folder = tmp_path / "pq" / whole.name
    assert parquet.ParquetFile(folder / "flows.parquet").num_row_groups == 8  # one a quarter
    periods = {f"{y}Q{q}" for y in (2023, 2024) for q in range(1, 5)}
    for name in TABLES:
        spec = SCHEMAS["armington-pe"][name]
        mine = read_parquet_columns(folder / name.replace(".csv", ".parquet"), spec)
        theirs = read_columns(whole / name, spec, periods)
        assert list(mine) == list(theirs)
        # the CSV holds six decimals: the Parquet numbers agree to half of the last one
        for column in spec.names:
            a, b = mine[column], theirs[column]
            if isinstance(b, Labels):
                assert a.values() == b.values(), (name, column)
            else:
                assert np.array_equal(np.isnan(a), np.isnan(b)), (name, column)
                ok = ~np.isnan(b)
                np.testing.assert_allclose(a[ok], b[ok], rtol=0, atol=5e-7 + 1e-12)


@pytest.mark.parametrize("how", ["flag", "environment"])
def test_profile_prints_the_phases_and_changes_no_result(
    tmp_path: Path, synthetic: Path, how: str
) -> None:
    plain = tradesim("run", str(synthetic), "--out", str(tmp_path / "plain"))
    assert plain.returncode == 0, plain.stderr
    assert "profile:" not in plain.stderr
    if how == "flag":
        profiled = tradesim("run", str(synthetic), "--out", str(tmp_path / "prof"), "--profile")
    else:
        env = os.environ | {"TRADESIM_PROFILE": "1"}
        profiled = tradesim("run", str(synthetic), "--out", str(tmp_path / "prof"), env=env)
    assert profiled.returncode == 0, profiled.stderr
    lines = [line.split() for line in profiled.stderr.splitlines() if line.startswith("profile:")]
    assert [line[1] for line in lines] == ["load", "solve", "tables", "write", "total"]
    for line in lines:
        assert line[3] == "s" and line[4] == "peak" and line[6] == "MB"
        assert float(line[2]) >= 0.0 and float(line[5]) > 0.0
    # the phases are parts of the whole; each figure is printed to 0.01 s, so each is
    # within 0.005 of its value
    printed = 0.005 * len(lines)
    assert sum(float(line[2]) for line in lines[:-1]) <= float(lines[-1][2]) + printed
    assert profiled.stdout == plain.stdout.replace("plain", "prof")
    for name in (*TABLES, "run.json"):
        mine = (tmp_path / "prof" / "four-policies" / name).read_bytes()
        assert mine == (tmp_path / "plain" / "four-policies" / name).read_bytes()
