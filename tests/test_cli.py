"""The command line: exit statuses, messages, files written (CliRunner and a real subprocess)."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.results import RESULT_FILES
from tests.conftest import DATA

TOY_SCENARIO = """\
name: toy-ban
description: A ban on Japan's seafood in China, lifted after a year.
dataset: {dataset}
start: 2023Q2
end: 2024Q4
policies:
  - id: ban
    type: ban
    sector: seafood
    exporters: [JPN]
    importers: [CHN]
    start: 2023-08-24
    end: 2024-08-24
"""


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    path = tmp_path / "toy-ban.yaml"
    path.write_text(TOY_SCENARIO.format(dataset=DATA / "toy-two-sector.yaml"))
    return path


def invoke(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_writes_the_six_files_and_prints_a_summary(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke("run", str(scenario), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out / "toy-ban")) == sorted(RESULT_FILES)
    assert "largest changes in exports" in result.output
    assert "seafood" in result.output and "JPN" in result.output
    assert f"wrote {out / 'toy-ban'}/" in result.output
    assert [p.name for p in out.iterdir()] == ["toy-ban"]  # no temporary folder left


def test_two_runs_give_identical_bytes(scenario: Path, tmp_path: Path) -> None:
    invoke("run", str(scenario), "--out", str(tmp_path / "a"))
    invoke("run", str(scenario), "--out", str(tmp_path / "b"))
    for name in RESULT_FILES:
        assert (tmp_path / "a" / "toy-ban" / name).read_bytes() == (
            tmp_path / "b" / "toy-ban" / name
        ).read_bytes()


def test_a_run_replaces_its_own_earlier_result(scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    invoke("run", str(scenario), "--out", str(out))
    before = (out / "toy-ban" / "flows.csv").read_bytes()
    scenario.write_text(scenario.read_text().replace("end: 2024-08-24", "end: 2024-02-24"))
    again = invoke("run", str(scenario), "--out", str(out))
    assert again.exit_code == 0
    assert (out / "toy-ban" / "flows.csv").read_bytes() != before
    assert sorted(p.name for p in out.iterdir()) == ["toy-ban"]


@pytest.mark.parametrize(
    "occupant",
    ["a folder of the user's", "a result of another scenario", "a file", "a broken run.json"],
)
def test_anything_else_in_the_way_is_kept_without_force(
    scenario: Path, tmp_path: Path, occupant: str
) -> None:
    out = tmp_path / "out"
    target = out / "toy-ban"
    if occupant == "a file":
        out.mkdir()
        target.write_text("notes\n")
    else:
        target.mkdir(parents=True)
        record = {"tradesim_version": "0.1.0", "scenario": "other"}
        run_json = json.dumps(record) if "another" in occupant else "{not json"
        if occupant != "a folder of the user's":
            (target / "run.json").write_text(run_json)
        (target / "notes.txt").write_text("mine\n")
    snapshot = sorted((p.name, p.read_bytes()) for p in out.rglob("*") if p.is_file())
    result = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 2
    assert result.output == (
        f"Error: '{target}' already exists and is not an earlier result of scenario "
        "'toy-ban'; use --force to replace it or --out to write elsewhere\n"
    )
    assert sorted((p.name, p.read_bytes()) for p in out.rglob("*") if p.is_file()) == snapshot
    forced = invoke("run", str(scenario), "--out", str(out), "--force")
    assert forced.exit_code == 0
    assert sorted(p.name for p in target.iterdir()) == sorted(RESULT_FILES)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            ("sector: seafood", "sector: fish"),
            ":9:13: policies[0].sector: unknown sector 'fish'; known: seafood, other_goods",
        ),
        (
            ("importers: [CHN]", "importers: [CHA]"),
            ":11:17: policies[0].importers[0]: unknown region 'CHA'; did you mean 'CHN'?",
        ),
        (
            ("    end: 2024-08-24", "    end: 2023-01-01"),
            ":13:10: policies[0].end: end 2023-01-01 is not after start 2023-08-24",
        ),
        (
            ("type: ban", "type: embargo"),
            ":8:11: policies[0].type: unknown policy type 'embargo'; allowed: ban, tariff",
        ),
        (
            ("    end: 2024-08-24", "    coverage: 1.5"),
            ":13:15: policies[0].coverage: 1.5 is above the allowed maximum 1",
        ),
        (("end: 2024Q4", "ned: 2024Q4"), ":5:1: ned: unknown field 'ned'; did you mean 'end'?"),
        (("start: 2023Q2", "start: 2023Q7"), ":4:8: start: '2023Q7' is not a date"),
        (
            ("    start: 2023-08-24", "    start: [2023"),
            ":13:8: YAML syntax error: did not find expected ',' or ']'",
        ),
    ],
)
def test_bad_scenarios_get_one_line_exit_2_and_nothing_written(
    scenario: Path, tmp_path: Path, edit: tuple[str, str], message: str
) -> None:
    scenario.write_text(scenario.read_text().replace(*edit))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(scenario), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"Error: {scenario}")
    assert message in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_missing_and_empty_scenario_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {tmp_path / 'nope.yaml'}: scenario not found"
    empty = tmp_path / "empty.yaml"
    empty.write_text("\n")
    result = CliRunner().invoke(main, ["run", str(empty), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {empty}:1: scenario is empty"
    assert not (tmp_path / "out").exists()


def test_a_dataset_that_fails_its_checks_is_refused(tmp_path: Path) -> None:
    from sim.dataset import dataset_path

    text = dataset_path("japan-china-2022").read_text(encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    # take 40 of Japan's marine exports to China away: the 42% check fails
    broken.write_text(
        text.replace("[seafood, JPN, CHN, 40.4,", "[seafood, JPN, CHN, 0.4,"), encoding="utf-8"
    )
    assert broken.read_text(encoding="utf-8") != text
    result = CliRunner().invoke(main, ["sources", str(broken)])
    assert result.exit_code == 2
    assert "fails: expected 0.42 +- 0.005" in result.output
    assert result.output.startswith(f"Error: {broken}:")


def test_sources_lists_every_figure_with_its_source() -> None:
    result = invoke("sources")
    assert result.exit_code == 0
    assert "flow.seafood.JPN.CHN" in result.output
    assert "sources:" in result.output
    assert "In 2022, China and Hong Kong represented the two largest markets" in result.output
    csv_result = invoke("sources", "--format", "csv")
    lines = csv_result.output.strip().splitlines()
    assert lines[0] == "item,value,unit,source,kind,citation,quote,published_range"
    assert len(lines) > 144
    # a value chosen within a published range says so in the last column
    rows = list(csv.reader(lines))
    ranged = [row for row in rows[1:] if row[3] == "seafood-esubm"]
    assert ranged and all("0.34 to 0.43" in row[-1] for row in ranged)


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("run", "sources"):
        assert command in result.output


def test_importing_the_cli_loads_no_heavy_modules() -> None:
    code = (
        "import sys, sim.cli; "
        "print(sorted(m for m in ('numpy', 'scipy', 'yaml') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_installed_command_runs_a_scenario_in_a_subprocess(scenario: Path, tmp_path: Path) -> None:
    executable = shutil.which("tradesim", path=str(Path(sys.executable).parent)) or shutil.which(
        "tradesim"
    )
    assert executable is not None, "the tradesim console script is not installed"
    out = tmp_path / "out"
    done = subprocess.run(
        [executable, "run", str(scenario), "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (out / "toy-ban" / "summary.csv").exists()
    bad = subprocess.run(
        [executable, "run", str(tmp_path / "missing.yaml")], capture_output=True, text=True
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"Error: {tmp_path / 'missing.yaml'}: scenario not found"
