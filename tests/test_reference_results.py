"""results/ holds the exact output of every shipped scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.results import RESULT_FILES
from sim.solve import TOLERANCE
from tests.conftest import ROOT, SCENARIOS

REGENERATE = "tradesim run scenarios/*.yaml --force"


@pytest.mark.parametrize("scenario", sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
def test_shipped_scenario_reproduces_its_reference_results(scenario: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["run", str(SCENARIOS / f"{scenario}.yaml"), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    reference = ROOT / "results" / scenario
    assert reference.is_dir(), f"results/{scenario}/ is missing; regenerate with: {REGENERATE}"
    assert sorted(p.name for p in reference.iterdir()) == sorted(RESULT_FILES)
    for name in RESULT_FILES:
        if name == "run.json":
            continue
        fresh = (tmp_path / scenario / name).read_bytes()
        kept = (reference / name).read_bytes()
        if fresh != kept:
            lines = zip(fresh.decode().splitlines(), kept.decode().splitlines(), strict=False)
            first = next((i for i, (a, b) in enumerate(lines, 1) if a != b), None)
            pytest.fail(
                f"results/{scenario}/{name} differs from a fresh run (first at line {first}); "
                f"review the change and regenerate with: {REGENERATE}"
            )

    # run.json: identical except the solver's final residuals, which sit at rounding level
    # (about 1e-15) and may differ in their last digits on another CPU; both must be tiny.
    fresh_run = json.loads((tmp_path / scenario / "run.json").read_text())
    kept_run = json.loads((reference / "run.json").read_text())
    for record in (fresh_run, kept_run):
        for entry in record["solver"]:
            assert entry.pop("max_residual") < TOLERANCE
    assert fresh_run == kept_run, (
        f"results/{scenario}/run.json differs; regenerate with: {REGENERATE}"
    )


def test_every_reference_folder_has_a_shipped_scenario() -> None:
    folders = {p.name for p in (ROOT / "results").iterdir() if p.is_dir()}
    assert folders == {p.stem for p in SCENARIOS.glob("*.yaml")}
