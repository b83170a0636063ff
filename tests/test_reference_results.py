"""tests/reference/ holds the output of every shipped scenario.

A fresh run must agree with it within the tolerance of :mod:`sim.resultdiff` (the sixth
decimal of a figure may differ on another CPU); two runs on one machine give identical bytes.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import sim.gravity.run
import sim.model
import sim.timepath
from sim.cli import main
from sim.csvtext import format_cell
from sim.resultdiff import compare_folders
from sim.results import RESULT_FILES
from sim.solve import TOLERANCE
from tests.conftest import ROOT, SCENARIOS

REGENERATE = "tradesim run scenarios/*.yaml --out tests/reference"
REFERENCE = ROOT / "tests" / "reference"
CSV_FILES = [name for name in RESULT_FILES if name.endswith(".csv")]
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
# One scenario of each model; the gravity one is where CPUs were seen to differ.
ONE_OF_EACH = ["seafood-ban-lifted", "gravity-can-jpn-pta-gegravity"]
# Differences between CPUs start at the rounding floor where the solvers stop (final
# residuals of about 1e-14 in run.json); a solution moved ten times further must still agree.
ROUNDING_LEVEL = 1e-13


def run(scenario: str, out: Path) -> Path:
    result = CliRunner().invoke(
        main, ["run", str(SCENARIOS / f"{scenario}.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return out / scenario


def reference(scenario: str) -> Path:
    folder = REFERENCE / scenario
    assert folder.is_dir(), f"tests/reference/{scenario}/ is missing; regenerate with: {REGENERATE}"
    return folder


def run_record(folder: Path) -> dict[str, Any]:
    """run.json without the solver's final residuals and iteration counts.

    The residuals sit at rounding level (about 1e-15) and differ in their last digits on
    another CPU; both must be tiny. Where a Newton step lands the residual next to the
    tolerance, another CPU may stop one iteration earlier or later; the counts must stay
    within one of each other (checked by the caller) and the numbers within the tolerance.
    """
    record: dict[str, Any] = json.loads((folder / "run.json").read_text())
    for entry in record["solver"]:
        assert entry.pop("max_residual") < TOLERANCE
        entry["iterations"] = _Iterations(entry["iterations"])
    return record


class _Iterations(int):
    """An iteration count equal to another within one step."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, int) and abs(int(self) - int(other)) <= 1

    __hash__ = int.__hash__


def agree(fresh: Path, kept: Path) -> None:
    differences = compare_folders(fresh, kept, CSV_FILES)
    if differences:
        pytest.fail(
            f"tests/reference/{kept.name} differs from a fresh run beyond the tolerance "
            f"({len(differences)} differences):\n  "
            + "\n  ".join(differences[:20])
            + f"\nreview the change and regenerate with: {REGENERATE}"
        )


@pytest.mark.parametrize("scenario", SHIPPED)
def test_shipped_scenario_reproduces_its_reference_results(scenario: str, tmp_path: Path) -> None:
    fresh, kept = run(scenario, tmp_path), reference(scenario)
    assert sorted(p.name for p in kept.iterdir()) == sorted(RESULT_FILES)
    agree(fresh, kept)
    assert run_record(fresh) == run_record(kept), (
        f"tests/reference/{scenario}/run.json differs; regenerate with: {REGENERATE}"
    )


def test_every_reference_folder_has_a_shipped_scenario() -> None:
    folders = {p.name for p in REFERENCE.iterdir() if p.is_dir()}
    assert folders == {p.stem for p in SCENARIOS.glob("*.yaml")}


@pytest.mark.parametrize("scenario", ONE_OF_EACH)
def test_two_runs_on_one_machine_write_identical_bytes(scenario: str, tmp_path: Path) -> None:
    first, second = run(scenario, tmp_path / "first"), run(scenario, tmp_path / "second")
    for name in RESULT_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("scenario", ONE_OF_EACH)
def test_a_solution_moved_at_rounding_level_still_agrees(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What another CPU does: the same equations solved with other rounding.

    Every solved log price (Armington) or trade-cost change (gravity) is moved by up to
    ROUNDING_LEVEL; the files differ in their bytes but agree within the tolerance.
    """
    noise = np.random.default_rng(14)
    solve_and_evaluate = sim.timepath.solve_and_evaluate
    counterfactual_costs = sim.gravity.run.counterfactual_costs

    def moved_prices(*args: Any, **kwargs: Any) -> Any:
        # the solver's equilibrium is at the prices it found: the moved prices' own is
        # evaluated afresh (baseline, policy, elasticities are the first arguments)
        log_price, report, _ = solve_and_evaluate(*args, **kwargs)
        moved = log_price + ROUNDING_LEVEL * noise.uniform(-1, 1, log_price.shape)
        with np.errstate(all="ignore"):
            return moved, report, sim.model.evaluate(moved, *args[:3])

    def moved_costs(*args: Any, **kwargs: Any) -> Any:
        costs = counterfactual_costs(*args, **kwargs)
        return costs * (1 + ROUNDING_LEVEL * noise.uniform(-1, 1, costs.shape))

    monkeypatch.setattr(sim.timepath, "solve_and_evaluate", moved_prices)
    monkeypatch.setattr(sim.gravity.run, "counterfactual_costs", moved_costs)
    fresh, kept = run(scenario, tmp_path), reference(scenario)
    assert any((fresh / n).read_bytes() != (kept / n).read_bytes() for n in CSV_FILES)
    agree(fresh, kept)


def copy_of(scenario: str, destination: Path) -> Path:
    shutil.copytree(reference(scenario), destination / scenario)
    return destination / scenario


def test_stored_values_moved_by_1e_12_relative_still_agree(tmp_path: Path) -> None:
    numbers = re.compile(r"(?<=,)-?\d+\.\d{6}(?=,|$)", flags=re.M)
    rng = random.Random(14)
    changed = 0
    for scenario in SHIPPED:
        moved = copy_of(scenario, tmp_path)
        for name in CSV_FILES:
            text = (moved / name).read_text()
            new = numbers.sub(
                lambda m: format_cell(float(m[0]) * (1 + rng.choice((-1e-12, 1e-12)))), text
            )
            changed += new != text
            (moved / name).write_text(new)
        assert compare_folders(moved, reference(scenario), CSV_FILES) == []
    assert changed  # values above 5e5 print differently


def test_a_stored_number_moved_beyond_the_tolerance_fails(tmp_path: Path) -> None:
    moved = copy_of("gravity-can-jpn-pta-gegravity", tmp_path)
    indicators = moved / "indicators.csv"
    text = indicators.read_text()
    # allowed: 1.5e-6 + 1e-9 * 135687.12 = 1.37e-4; the number is moved by 2e-4
    [row] = [line for line in text.splitlines() if line.startswith("2006,ZAF,all,real_gdp,")]
    cells = row.split(",")
    value, change, pct = (float(c) for c in (cells[5], cells[7], cells[8]))

    def moved_cell(k: int, by: float) -> str:
        edited = list(cells)
        edited[k] = f"{float(cells[k]) + by:.6f}"
        indicators.write_text(text.replace(row, ",".join(edited)))
        return edited[k]

    new = moved_cell(5, 2e-4)
    assert compare_folders(moved, reference(moved.name), CSV_FILES) == [
        "gravity-can-jpn-pta-gegravity/indicators.csv line 329 (2006, ZAF, all, real_gdp): "
        f"value: '{new}' vs '{value:.6f}'"
    ]
    # a change is allowed the error of the values it is the difference of: 1.37e-4 here
    new = moved_cell(7, -3e-4)
    [difference] = compare_folders(moved, reference(moved.name), CSV_FILES)
    assert difference.endswith(f"change: '{new}' vs '{change:.6f}'")
    new = moved_cell(8, -2e-6)
    [difference] = compare_folders(moved, reference(moved.name), CSV_FILES)
    assert difference.endswith(f"change_pct: '{new}' vs '{pct:.6f}'")


def test_a_changed_key_fails(tmp_path: Path) -> None:
    moved = copy_of("seafood-ban-lifted", tmp_path)
    flows = moved / "flows.csv"
    text = flows.read_text()
    row = "2023Q1,chip_tools,ASE,CHN,"
    flows.write_text(text.replace(row, "2023Q1,chip_tools,ASE,HKG,", 1))
    [difference] = compare_folders(moved, reference(moved.name), CSV_FILES)
    assert difference == (
        "seafood-ban-lifted/flows.csv line 3 (2023Q1, chip_tools, ASE, HKG): "
        "importer: 'HKG' vs 'CHN'"
    )
