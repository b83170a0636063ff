"""The documentation says what the program does."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.resultdiff import compare_csv_text
from sim.tables import (
    FLOW_COLUMNS,
    INDICATOR_COLUMNS,
    PRICE_COLUMNS,
    SUMMARY_COLUMNS,
    WELFARE_COLUMNS,
)
from sim.uncertainty import BAND_COLUMNS
from tests.conftest import ROOT, SCENARIOS

README = (ROOT / "README.md").read_text(encoding="utf-8")


def console_block(command: str) -> list[str]:
    """The lines a README console block shows after ``$ command``."""
    start = README.index(f"$ {command}\n") + len(f"$ {command}\n")
    return README[start : README.index("```", start)].rstrip("\n").splitlines()


def agrees(shown: list[str], written: list[str], name: str) -> None:
    """README lines agree with a result file's lines within the results' tolerance."""
    text = "\n".join(shown) + "\n"
    differences = compare_csv_text(text, "\n".join(written) + "\n", name=f"README.md {name}")
    assert not differences, "\n".join(differences)


QUICKSTART = "tradesim run scenarios/seafood-ban-lifted.yaml"


def test_readme_starts_with_the_two_setup_commands() -> None:
    commands = re.findall(r"^    (python3 -m venv .*)$", README, flags=re.M)
    assert len(commands) >= 2
    assert commands[0].endswith(f".venv/bin/{QUICKSTART}")
    assert commands[1].endswith("python -m pytest")
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def test_readme_transcript_is_the_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = console_block(QUICKSTART)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["run", str(SCENARIOS / "seafood-ban-lifted.yaml")])
    assert result.exit_code == 0
    actual = result.output.rstrip("\n").splitlines()
    assert shown == actual
    assert shown[-1] == "  wrote results/seafood-ban-lifted/"
    flows = (tmp_path / "results" / "seafood-ban-lifted" / "flows.csv").read_text().splitlines()
    expression = "^period|^(2023Q[234]|2024Q[23]|2026Q4),seafood,JPN,CHN"
    pattern = re.compile(expression)
    grep = f"grep -E '{expression}' results/seafood-ban-lifted/flows.csv"
    agrees(console_block(grep), [line for line in flows if pattern.search(line)], "flows.csv")


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def test_the_readme_run_works_twice_in_a_fresh_clone_and_leaves_git_status_clean(
    tmp_path: Path,
) -> None:
    """The project's tracked files, committed in a new repository: what a clone holds."""
    clone = tmp_path / "clone"
    tracked = git(
        "ls-files", "-z", "--", ".gitignore", "README.md", "results", "scenarios", cwd=ROOT
    )
    for name in filter(None, tracked.split("\0")):
        (clone / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, clone / name)
    git("init", "-q", cwd=clone)
    git("add", "-A", cwd=clone)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "clone", cwd=clone)
    [command] = [c for c in re.findall(r"^    (python3 -m venv .*)$", README, flags=re.M)[:1]]
    arguments = shlex.split(command.split(".venv/bin/tradesim ", 1)[1])
    assert "--out" not in arguments
    for attempt in ("first", "second"):
        done = subprocess.run(
            [sys.executable, "-m", "sim", *arguments], cwd=clone, capture_output=True, text=True
        )
        assert done.returncode == 0, f"{attempt} run: {done.stderr}"
        assert done.stdout.endswith("  wrote results/seafood-ban-lifted/\n")
    assert (clone / "results" / "seafood-ban-lifted" / "run.json").is_file()
    assert git("status", "--porcelain", "--untracked-files=all", cwd=clone) == ""


def test_every_result_column_is_documented() -> None:
    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    for columns in (
        FLOW_COLUMNS,
        PRICE_COLUMNS,
        WELFARE_COLUMNS,
        INDICATOR_COLUMNS,
        SUMMARY_COLUMNS,
        BAND_COLUMNS,
        ("draw", "parameter"),
    ):
        for column in columns:
            assert f"`{column}`" in text, column


def test_every_run_json_key_and_the_comparison_rules_are_documented() -> None:
    text = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    start = text.index("## run.json")
    section = text[start : text.index("\n## ", start + 1)]
    keys: set[str] = set()
    for record in (ROOT / "tests" / "reference").glob("*/run.json"):
        keys |= set(json.loads(record.read_text(encoding="utf-8")))
    assert "against" in keys
    for key in keys:
        assert f"`{key}`" in section, key
    # what the numbers are against, and the one percent-change rule
    assert "comparison run" in text
    assert "100 * (value - reference) / |reference|" in text


def test_every_command_is_documented_with_help() -> None:
    for name, command in main.commands.items():
        assert f"tradesim {name}" in README
        assert command.help and "Example:" in command.help


def test_every_shipped_scenario_is_listed_in_the_docs() -> None:
    scenarios_doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    for path in SCENARIOS.glob("*.yaml"):
        assert f"`{path.stem}`" in scenarios_doc
        assert f"`{path.stem}`" in README or path.stem.startswith("history-")


def test_readme_ranges_are_the_real_output(tmp_path: Path) -> None:
    run = "$ tradesim run scenarios/seafood-ban-lifted.yaml --draws 1000 --seed 7 --out my-ranges"
    assert run in README
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(SCENARIOS / "seafood-ban-lifted.yaml"),
            "--draws",
            "1000",
            "--seed",
            "7",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    grep = next(line[2:] for line in README.splitlines() if "my-ranges/seafood" in line)
    pattern = re.compile(grep.split("'")[1])
    summary = (tmp_path / "seafood-ban-lifted" / "summary.csv").read_text().splitlines()
    agrees(console_block(grep), [line for line in summary if pattern.search(line)], "summary.csv")
