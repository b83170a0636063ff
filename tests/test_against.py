"""What the numbers are measured against: the scenario extended, another one, or none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sim.scenario import load_scenario
from tests.conftest import DATA, SCENARIOS


def tradesim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sim", *args], capture_output=True, text=True, check=False
    )


def test_by_default_a_scenario_is_measured_against_the_one_it_extends(tmp_path: Path) -> None:
    ran = tradesim("run", str(SCENARIOS / "seafood-ban-lifted.yaml"), "--out", str(tmp_path))
    assert ran.returncode == 0, ran.stderr
    assert "changes against 'baseline'" in ran.stdout.splitlines()[0]
    assert "welfare against 'baseline'" in ran.stdout
    record = json.loads((tmp_path / "seafood-ban-lifted" / "run.json").read_text())
    parent = load_scenario(SCENARIOS / "baseline.yaml")
    assert record["against"] == {"name": "baseline", "fingerprint": parent.fingerprint()}
    assert {entry["path"] for entry in record["solver"]} == {"scenario", "comparison"}


def test_against_no_policy_and_against_another_scenario(tmp_path: Path) -> None:
    lifted = str(SCENARIOS / "seafood-ban-lifted.yaml")
    ran = tradesim("run", lifted, "--out", str(tmp_path / "a"), "--against", "no-policy")
    assert ran.returncode == 0, ran.stderr
    assert "changes against the no-policy path" in ran.stdout.splitlines()[0]
    record = json.loads((tmp_path / "a" / "seafood-ban-lifted" / "run.json").read_text())
    assert record["against"] == {"name": "no-policy", "fingerprint": None}
    other = str(SCENARIOS / "escalation.yaml")
    ran = tradesim("run", lifted, "--out", str(tmp_path / "b"), "--against", other)
    assert ran.returncode == 0, ran.stderr
    assert "changes against 'escalation'" in ran.stdout.splitlines()[0]
    # The scenario's own values do not depend on what it is measured against.
    flows = [
        (tmp_path / run / "seafood-ban-lifted" / "flows.csv").read_text().splitlines()
        for run in ("a", "b")
    ]
    assert [r.split(",")[:5] for r in flows[0]] == [r.split(",")[:5] for r in flows[1]]


def test_a_comparison_on_another_dataset_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    toy = tmp_path / "toy.yaml"
    toy.write_text(
        f"name: toy\ndataset: {DATA / 'toy-two-sector.yaml'}\nstart: 2023Q1\nend: 2023Q4\n"
        "policies: []\n"
    )
    out = tmp_path / "out"
    ran = tradesim(
        "run", str(SCENARIOS / "seafood-ban-lifted.yaml"), "--out", str(out), "--against", str(toy)
    )
    assert ran.returncode == 2
    assert ran.stderr.count("\n") == 1 and "Traceback" not in ran.stderr
    assert "dataset 'toy-two-sector'" in ran.stderr and "toy.yaml" in ran.stderr
    assert not out.exists()
    child = tmp_path / "child.yaml"
    child.write_text(f"name: child\nextends: {toy.name}\ndataset: japan-china-2022\n")
    ran = tradesim("run", str(child), "--out", str(out))
    assert ran.returncode == 2
    assert "child.yaml:2:10: extends: 'toy' uses dataset" in ran.stderr, ran.stderr
    missing = tradesim("run", str(toy), "--out", str(out), "--against", str(tmp_path / "no.yaml"))
    assert missing.returncode == 2 and "no.yaml" in missing.stderr
    assert not out.exists()
