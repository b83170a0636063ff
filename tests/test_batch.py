"""sim.batch: scenarios checked together, solved before any is written, written all or none."""

from __future__ import annotations

import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from sim.batch import check_batch, load_all, solve_batch, write_batch
from sim.errors import InputError, InputErrors
from sim.executors import Executor
from sim.run import MonteCarloOptions
from tests.conftest import ROOT, SCENARIOS

BAD = ROOT / "tests" / "bad-scenarios"


def test_load_all_keeps_the_order_of_the_paths() -> None:
    loaded = load_all([SCENARIOS / "detente.yaml", "baseline"])
    assert [s.name for s in loaded] == ["detente", "baseline"]


def test_load_all_reports_the_problems_of_every_file_together(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(InputErrors) as raised:
        load_all([BAD / "coverage-above-one.yaml", SCENARIOS / "baseline.yaml", missing])
    paths = {error.path for error in raised.value.errors}
    assert paths == {str(BAD / "coverage-above-one.yaml"), str(missing)}


def test_load_all_raises_a_single_problem_as_itself(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_all([tmp_path / "missing.yaml"])
    assert type(raised.value) is not InputErrors
    assert str(raised.value) == f"{tmp_path / 'missing.yaml'}: scenario not found"


def test_two_scenarios_of_one_name_are_refused(tmp_path: Path) -> None:
    copy = tmp_path / "detente.yaml"
    shutil.copy(SCENARIOS / "detente.yaml", copy)
    scenarios = load_all([SCENARIOS / "detente.yaml", copy])
    with pytest.raises(InputError, match="two scenarios are named 'detente'; names must differ"):
        check_batch(scenarios, tmp_path / "out", force=False)


def test_draws_need_an_uncertainty_block_in_every_scenario(tmp_path: Path) -> None:
    scenarios = load_all(["seafood-ban-lifted", "baseline"])
    check_batch(scenarios[:1], tmp_path, force=False, draws=10)
    with pytest.raises(InputError, match="--draws needs an 'uncertainty' block") as raised:
        check_batch(scenarios, tmp_path, force=False, draws=10)
    assert raised.value.path == str(SCENARIOS / "baseline.yaml")


def test_something_in_the_way_is_refused_before_solving(tmp_path: Path) -> None:
    (tmp_path / "baseline").write_text("not a result folder", encoding="utf-8")
    with pytest.raises(InputError):
        check_batch(load_all(["baseline"]), tmp_path, force=False)
    check_batch(load_all(["baseline"]), tmp_path, force=True)


def test_a_batch_is_solved_in_order_and_written_whole(tmp_path: Path) -> None:
    scenarios = load_all(["baseline", "seafood-ban-lifted"])
    results = solve_batch(scenarios)
    assert [r.scenario.name for r in results] == ["baseline", "seafood-ban-lifted"]
    assert not (tmp_path / "out").exists()  # solving writes nothing
    write_batch(results, tmp_path / "out", force=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "baseline",
        "seafood-ban-lifted",
    ]
    assert (tmp_path / "out" / "seafood-ban-lifted" / "summary.csv").exists()


def test_draws_report_their_progress_per_scenario() -> None:
    seen: list[tuple[str, int, int]] = []

    @contextmanager
    def progress_of(name: str, total: int) -> Any:
        yield lambda done: seen.append((name, total, done))

    options = MonteCarloOptions(4, 11, Executor())
    (result,) = solve_batch(load_all(["seafood-ban-lifted"]), options, progress_of)
    assert result.run["monte_carlo"]["draws"] == 4
    assert seen and all(name == "seafood-ban-lifted" and total == 4 for name, total, _ in seen)
    assert seen[-1][2] == 4


def test_the_command_line_reports_a_duplicate_name_in_one_line(tmp_path: Path) -> None:
    copy = tmp_path / "detente.yaml"
    shutil.copy(SCENARIOS / "detente.yaml", copy)
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(SCENARIOS / "detente.yaml"), str(copy)]
        + ["--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == "Error: two scenarios are named 'detente'; names must differ\n"
    assert not (tmp_path / "out").exists()
