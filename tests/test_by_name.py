"""Shipped scenarios by name, from a folder outside the clone, and from a built package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from sim.shipped import find_scenario, shipped_folder, shipped_names, shipped_path
from tests.conftest import ROOT, SCENARIOS

TRADESIM = [sys.executable, "-m", "sim"]


def tradesim(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*TRADESIM, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600
    )


def test_the_shipped_names_are_the_files_of_scenarios() -> None:
    assert shipped_names() == sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
    assert (
        shipped_path("baseline")
        == shipped_path("baseline.yaml")
        == shipped_folder() / ("baseline.yaml")
    )
    assert shipped_path("no-such-scenario") is None
    assert shipped_path("scenarios/baseline") is None  # a folder part is a path, not a name


def test_an_existing_path_wins_over_a_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_scenario("baseline") == shipped_folder() / "baseline.yaml"
    (tmp_path / "baseline").write_text("name: mine\n")
    assert find_scenario("baseline") == Path("baseline")


def test_list_from_outside_the_clone_shows_every_shipped_scenario(tmp_path: Path) -> None:
    result = tradesim("list", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = [line.split()[0] for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert listed == [p.stem for p in sorted(SCENARIOS.glob("*.yaml"))]
    assert "China lifts its ban on Japanese seafood" in " ".join(result.stdout.split())


def test_run_by_name_from_outside_the_clone(tmp_path: Path) -> None:
    result = tradesim("run", "seafood-ban-lifted", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "changes against 'baseline'" in result.stdout
    record = json.loads((tmp_path / "results" / "seafood-ban-lifted" / "run.json").read_text())
    assert record["scenario"] == "seafood-ban-lifted"
    assert record["against"]["name"] == "baseline"


def test_a_user_scenario_extends_a_shipped_one_by_name(tmp_path: Path) -> None:
    (tmp_path / "my-lift.yaml").write_text(
        "name: my-lift\nextends: baseline\npolicies:\n  - id: seafood-ban\n    end: 2024-07-01\n"
        "  - id: scallop-ban\n    end: 2024-07-01\n"
    )
    mine = tradesim("run", "my-lift.yaml", "--out", "out", cwd=tmp_path)
    assert mine.returncode == 0, mine.stderr
    shipped = tradesim("run", "seafood-ban-lifted", "--out", "out", cwd=tmp_path)
    assert shipped.returncode == 0, shipped.stderr
    record = json.loads((tmp_path / "out" / "my-lift" / "run.json").read_text())
    assert record["against"]["name"] == "baseline"  # measured against the shipped baseline
    # the same policies as the shipped seafood-ban-lifted (without its uncertainty block)
    for name in ("flows.csv", "welfare.csv", "summary.csv"):
        mine_bytes = (tmp_path / "out" / "my-lift" / name).read_bytes()
        assert mine_bytes == (tmp_path / "out" / "seafood-ban-lifted" / name).read_bytes()


def test_a_local_file_wins_over_the_shipped_scenario_it_shadows(tmp_path: Path) -> None:
    (tmp_path / "baseline.yaml").write_text(
        "name: local-base\nstart: 2023Q1\nend: 2023Q4\npolicies: []\n"
    )
    (tmp_path / "child.yaml").write_text("name: child\nextends: baseline\npolicies: []\n")
    result = tradesim("show", "child.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "end: 2023Q4" in result.stdout
    assert result.stdout.splitlines()[0] == "# child.yaml <- baseline.yaml"  # the local one


def test_extends_of_an_unknown_name_is_one_line_naming_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text("name: child\nextends: basline\npolicies: []\n")
    result = tradesim("run", "child.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr == (
        "Error: child.yaml:2:10: extends: 'basline' is neither a file (paths are relative to "
        "this file) nor a shipped scenario (tradesim list)\n"
    )
    assert not (tmp_path / "results").exists()


def test_init_from_a_shipped_scenario_copies_and_renames_it(tmp_path: Path) -> None:
    made = tradesim("init", "my-lift", "--from", "seafood-ban-lifted", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "my-lift.yaml").read_text()
    assert text.startswith("name: my-lift\n")
    assert "# Ranges for `tradesim run --draws N`" in text  # comments are kept
    shown = tradesim("show", "my-lift.yaml", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "name: my-lift" in shown.stdout and "end: '2024-07-01'" in shown.stdout


def test_init_from_a_user_file_keeps_its_extends_working(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "parent.yaml").write_text(
        "name: parent\nstart: 2023Q1\nend: 2023Q4\npolicies: []\n"
    )
    (tmp_path / "base" / "child.yaml").write_text("name: child\nextends: parent.yaml\n")
    made = tradesim("init", "copy", "--from", "base/child.yaml", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert "extends: base/parent.yaml" in (tmp_path / "copy.yaml").read_text()
    assert tradesim("validate", "copy.yaml", cwd=tmp_path).returncode == 0


def test_a_built_package_carries_the_shipped_scenarios(tmp_path: Path) -> None:
    """A non-editable install: build the wheel, install it alone and run by name."""
    source, wheels = tmp_path / "source", tmp_path / "wheels"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for folder in ("sim", "scenarios"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__py*"))
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), str(source)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("tradesim-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert sorted(n for n in names if n.startswith("sim/scenarios/")) == sorted(
        f"sim/scenarios/{name}.yaml" for name in shipped_names()
    )
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(wheel)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(site)}
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [sys.executable, "-c", "import sim.shipped as s; print(s.shipped_folder())"],
        cwd=work, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert where.stdout.strip() == str(site / "sim" / "scenarios")
    (work / "mine.yaml").write_text(
        "name: mine\nextends: baseline\nend: 2023Q4\npolicies:\n"
        "  - id: seafood-ban\n    end: 2023-10-01\n"
    )
    result = tradesim("run", "mine.yaml", cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    record = json.loads((work / "results" / "mine" / "run.json").read_text())
    assert record["against"]["name"] == "baseline"
    assert record["scenario_files"] == ["baseline.yaml", "mine.yaml"]
