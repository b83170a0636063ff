"""sim.scenario_text: what show prints validates as it is; what init writes goes where asked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sim.batch import load_all
from sim.errors import InputError
from sim.scenario_text import new_scenario, resolved_text
from tests.conftest import SCENARIOS


@pytest.mark.parametrize("name", ["seafood-ban-lifted", "detente", "gravity-can-jpn-pta"])
def test_the_resolved_text_is_the_same_scenario_when_read_back(name: str, tmp_path: Path) -> None:
    (scenario,) = load_all([name])
    text = resolved_text(scenario)
    first, _, body = text.partition("\n")
    assert first == "# " + " <- ".join(str(p) for p in reversed(scenario.files))
    assert "extends" not in yaml.safe_load(body)  # resolved: nothing left to extend
    copy = tmp_path / f"{name}.yaml"
    copy.write_text(text, encoding="utf-8")
    (again,) = load_all([copy])
    assert again.to_dict() == scenario.to_dict()


def test_a_new_scenario_goes_to_name_yaml_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    target, text = new_scenario("my-ban")
    assert target == Path("my-ban.yaml")
    assert yaml.safe_load(text)["name"] == "my-ban"
    target, _ = new_scenario("my-ban", tmp_path / "elsewhere.yaml")
    assert target == tmp_path / "elsewhere.yaml"


def test_a_copy_is_renamed(tmp_path: Path) -> None:
    target, text = new_scenario("my-lift", tmp_path / "my-lift.yaml", "seafood-ban-lifted")
    target.write_text(text, encoding="utf-8")
    (copy,) = load_all([target])
    (original,) = load_all([SCENARIOS / "seafood-ban-lifted.yaml"])
    assert copy.name == "my-lift"
    assert copy.policies == original.policies


@pytest.mark.parametrize("name", ["", "a/b", "a\\b", ".hidden"])
def test_a_name_that_cannot_be_a_file_is_refused(name: str) -> None:
    with pytest.raises(InputError, match="cannot be a scenario name"):
        new_scenario(name)


def test_an_existing_file_is_never_replaced(tmp_path: Path) -> None:
    taken = tmp_path / "taken.yaml"
    taken.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="already exists; choose another name or --out"):
        new_scenario("taken", taken)
