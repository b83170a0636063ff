"""What people expect of a command line: progress in logs, before/after comparisons,
no silent overwrites, JSON numbers, repeatable options."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.cli.common import _progress
from sim.compare import load_results
from sim.plot import paths_figure


@pytest.fixture(scope="module")
def before(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("before")
    result = CliRunner().invoke(main, ["run", "seafood-ban-lifted", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out / "seafood-ban-lifted"


def test_progress_off_a_terminal_is_a_line_per_tenth(capsys: pytest.CaptureFixture[str]) -> None:
    with _progress(95, "lifted") as update:
        assert update is not None
        for done in (3, 9, 10, 30, 31, 95):
            update(done)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "lifted: 10/95 draws solved",
        "lifted: 30/95 draws solved",
        "lifted: 95/95 draws solved",
    ]
    with _progress(95, "lifted", quiet=True) as update:
        assert update is None


def test_a_run_with_draws_reports_progress_on_stderr_unless_quiet(tmp_path: Path) -> None:
    args = ["run", "seafood-ban-lifted", "--draws", "20", "--seed", "3"]
    loud = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert loud.exit_code == 0, loud.output
    assert loud.stderr.splitlines()[-1] == "seafood-ban-lifted: 20/20 draws solved"
    assert "draws solved" not in loud.stdout
    quiet = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "--quiet"])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""
    assert quiet.stdout == loud.stdout.replace(str(tmp_path / "a"), str(tmp_path / "b"))


def test_sensitivity_reports_progress(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["sensitivity", "seafood-ban-lifted", "--indicator", "welfare", "--region", "JPN",
         "--samples", "2"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # Morris: (k + 1) N solves for the k parameters of the uncertainty block
    assert result.stderr.splitlines()[-1] == "seafood-ban-lifted: 16/16 points solved"


def test_the_same_scenario_from_two_folders_is_labelled_by_folder(
    before: Path, tmp_path: Path
) -> None:
    after = tmp_path / "after" / "seafood-ban-lifted"
    shutil.copytree(before, after)
    result = CliRunner().invoke(main, ["compare", str(before), str(after), "--format", "json"])
    assert result.exit_code == 0, result.output
    records = json.loads(result.stdout)
    assert {str(before), str(after)} <= set(records[0])
    same = CliRunner().invoke(main, ["compare", str(before), f"{before}/"])
    assert same.exit_code == 2
    assert same.output == f"Error: folder '{before}' is given twice\n"


def test_json_numbers_are_numbers_and_missing_ones_null(before: Path, tmp_path: Path) -> None:
    other = tmp_path / "again" / "seafood-ban-lifted"
    shutil.copytree(before, other)
    result = CliRunner().invoke(main, ["compare", str(before), str(other), "--format", "json"])
    records = json.loads(result.stdout)
    values = [r[str(before)] for r in records]
    assert all(isinstance(v, float) for v in values)
    pct = [r[f"{other}_pct_change"] for r in records]
    assert None in pct  # 0 -> 0 has no percent change
    assert all(p is None or p == 0.0 for p in pct)


def test_compare_out_is_not_overwritten_without_force(before: Path, tmp_path: Path) -> None:
    other = tmp_path / "again" / "seafood-ban-lifted"
    shutil.copytree(before, other)
    target = tmp_path / "comparison.csv"
    target.write_text("mine\n")
    args = ["compare", str(before), str(other), "--out", str(target)]
    kept = CliRunner().invoke(main, args)
    assert kept.exit_code == 2
    assert kept.output == f"Error: '{target}' already exists; use --force to replace it\n"
    assert target.read_text() == "mine\n"
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0
    assert target.read_text().startswith("file,period,sector,region,partner,indicator")


def test_partner_is_repeatable(before: Path, tmp_path: Path) -> None:
    png = str(tmp_path / "p.png")
    result = CliRunner().invoke(
        main, ["plot", str(before), "--partner", "CHN", "--partner", "HKG", "--out", png]
    )
    assert result.exit_code == 0, result.output
    fig = paths_figure([load_results(before)], partners=("CHN", "HKG"))
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["to CHN (target), seafood-ban-lifted", "to HKG (target), seafood-ban-lifted"]
