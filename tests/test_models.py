"""The model registry: every scenario and result folder reaches its model by name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.errors import InputError
from sim.models import REGISTRY, model_named, model_of, run_any
from sim.scenarios import load_any_scenario

from .conftest import ROOT, SCENARIOS


@pytest.mark.parametrize(
    "scenario", ["baseline.yaml", "gravity-can-jpn-pta.yaml"], ids=["armington", "gravity"]
)
def test_a_scenario_runs_on_the_model_its_results_name(scenario: str) -> None:
    resolved = load_any_scenario(SCENARIOS / scenario)
    model = model_of(resolved)
    result = model.run(resolved)
    assert result.run["model"] == model.name
    assert model_named(result.run["model"]) is model
    # the tables that get bands are the run's own summary and indicators
    central = model.central_tables(resolved)
    assert central["summary.csv"] == result.tables["summary.csv"]
    assert model.uncertainty_keys(resolved) == tuple(resolved.uncertainty)


def test_run_any_takes_a_path() -> None:
    result = run_any(SCENARIOS / "gravity-can-jpn-pta.yaml")
    assert result.run["model"] == "structural-gravity"


def test_every_registered_model_has_its_registered_name() -> None:
    for name in REGISTRY:
        assert model_named(name).name == name


def test_an_unknown_model_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown model 'nonesuch'; known: armington-pe"):
        model_named("nonesuch")


@pytest.mark.parametrize("command", ["plot", "compare"])
def test_a_folder_of_an_unknown_model_is_one_line(command: str, tmp_path: Path) -> None:
    folders = []
    for name in ("a", "b"):
        folder = tmp_path / name
        shutil.copytree(ROOT / "tests" / "reference" / "gravity-can-jpn-pta", folder)
        record = json.loads((folder / "run.json").read_text())
        record["model"], record["scenario"] = "nonesuch", name
        (folder / "run.json").write_text(json.dumps(record))
        folders.append(str(folder))
    result = CliRunner().invoke(
        main, [command, *folders, "--plot" if command == "compare" else "--out",
               str(tmp_path / "x.png")], catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == (
        "Error: unknown model 'nonesuch'; known: armington-pe, structural-gravity"
    )
    assert not (tmp_path / "x.png").exists()
