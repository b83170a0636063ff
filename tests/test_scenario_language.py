"""Scenario validation: the bad corpus, several errors at once, the commands, fuzzing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from tests.conftest import ROOT, SCENARIOS

CORPUS = Path(__file__).parent / "bad-scenarios"


def expected_messages() -> dict[str, str]:
    lines = (CORPUS / "expected.txt").read_text(encoding="utf-8").splitlines()
    pairs = [line.split("\t", 1) for line in lines if line and not line.startswith("#")]
    return {name: message.replace("{dir}", str(CORPUS)) for name, message in pairs}


EXPECTED = expected_messages()


def test_the_corpus_is_large_and_every_file_has_its_message() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.yaml"))
    assert len(files) >= 40
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_scenario_gets_its_exact_line_exit_2_and_nothing_written(
    name: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(CORPUS / name), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output == f"Error: {EXPECTED[name]}\n"
    assert not out.exists()


def test_bad_scenarios_in_a_real_subprocess_have_no_traceback(tmp_path: Path) -> None:
    names = [
        "billion-laughs.yaml",
        "binary-junk.yaml",
        "python-object-tag.yaml",
        "deeply-nested.yaml",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for name in names:
        done = subprocess.run(
            [sys.executable, "-m", "sim", "run", str(CORPUS / name), "--out", str(tmp_path / "o")],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr == f"Error: {EXPECTED[name]}\n"
    assert not (tmp_path / "o").exists()


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("name: big\ndescription: " + "x" * 1_100_000 + "\n")
    result = CliRunner().invoke(main, ["validate", str(big)])
    assert result.exit_code == 2
    assert result.output == f"Error: {big}: scenario is 1100024 bytes; the limit is 1000000\n"
    assert len(result.output.splitlines()) == 1


MULTI = """\
name: multi
description: three mistakes
start: 2023Q1
end: 2024Q4
policies:
  - id: a
    type: ban
    sector: fish
    exporters: [JPN]
    importers: [CHN]
    start: 2023-08-24
  - id: b
    type: tariff
    sector: seafood
    exporters: [JPN]
    importers: [CHA]
    rate: 0.1
    start: 2023-08-24
demand_growth: {JPNN: 0.02}
"""


def test_every_error_of_a_file_is_reported_one_line_each(tmp_path: Path) -> None:
    path = tmp_path / "multi.yaml"
    path.write_text(MULTI)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {path}:8:13: policies[0].sector: unknown sector 'fish'; "
        "known: seafood, scallops, chip_tools, critical_minerals, other_goods",
        f"Error: {path}:16:17: policies[1].importers[0]: unknown region 'CHA'; "
        "did you mean 'CHN'? known: JPN, CHN, HKG, USA, ASE, ROW",
        f"Error: {path}:19:17: demand_growth.JPNN: unknown region 'JPNN'; did you mean 'JPN'? "
        "known: JPN, CHN, HKG, USA, ASE, ROW",
    ]
    # structural mistakes are all reported too (before the checks that need the dataset)
    path.write_text(
        MULTI.replace("sector: fish", "sector: seafood\n    coverage: 1.5")
        .replace("rate: 0.1", "rate: 0.1\n    phase_in: -2")
        .replace("demand_growth: {JPNN: 0.02}", "demand_grwth: {JPN: 0.02}")
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {path}:9:15: policies[0].coverage: 1.5 is above the allowed maximum 1",
        f"Error: {path}:19:15: policies[1].phase_in: -2 is below the allowed minimum 0",
        f"Error: {path}:21:1: demand_grwth: unknown field 'demand_grwth'; did you mean "
        "'demand_growth'? allowed: name, description, extends, dataset, start, end, policies, "
        "parameters, demand_growth, uncertainty, model, gravity",
    ]
    debug = CliRunner().invoke(main, ["--debug", "validate", str(path)])
    assert debug.exit_code != 0 and debug.exception is not None  # --debug keeps the exception


def lifting_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "lift.yaml"
    parent = os.path.relpath(SCENARIOS / "baseline.yaml", tmp_path)
    path.write_text(
        "name: lift\ndescription: The baseline with its seafood ban lifted in 2025.\n"
        f"extends: {parent}\npolicies:\n  - id: seafood-ban\n    end: 2025-01-01\n"
    )
    return path


def test_a_child_lifts_the_inherited_seafood_ban_by_id(tmp_path: Path) -> None:
    path = lifting_scenario(tmp_path)
    runner = CliRunner()
    valid = runner.invoke(main, ["validate", str(path)])
    assert valid.exit_code == 0, valid.output
    assert "valid (lift: 6 policies, 2023Q1-2026Q4" in valid.output
    shown = runner.invoke(main, ["show", str(path)])
    assert shown.exit_code == 0
    resolved = yaml.safe_load(shown.output)
    ban = next(p for p in resolved["policies"] if p["id"] == "seafood-ban")
    assert (ban["start"], ban["end"], ban["coverage"]) == ("2023-08-24", "2025-01-01", 0.806)
    # what show prints is itself a valid scenario
    again = tmp_path / "again.yaml"
    again.write_text(shown.output)
    assert runner.invoke(main, ["validate", str(again)]).exit_code == 0
    ran = runner.invoke(main, ["run", str(path), "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output
    assert (tmp_path / "out" / "lift" / "flows.csv").exists()


def test_list_shows_every_shipped_scenario_with_its_description() -> None:
    result = CliRunner().invoke(main, ["list", "--dir", str(SCENARIOS)])
    assert result.exit_code == 0
    for path in SCENARIOS.glob("*.yaml"):
        assert f"\n{path.stem}  (" in "\n" + result.output


def test_init_writes_a_starter_that_validates_and_runs(tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "mine.yaml"
    made = runner.invoke(main, ["init", "mine", "--out", str(target)])
    assert made.exit_code == 0, made.output
    assert target.read_text().startswith("# A tradesim scenario.")
    assert runner.invoke(main, ["validate", str(target)]).exit_code == 0
    again = runner.invoke(main, ["init", "mine", "--out", str(target)])
    assert again.exit_code == 2 and "already exists" in again.output
    ran = runner.invoke(main, ["run", str(target), "--out", str(tmp_path / "out")])
    assert ran.exit_code == 0, ran.output


def test_a_multi_scenario_run_writes_nothing_when_one_is_bad(tmp_path: Path) -> None:
    out = tmp_path / "out"
    good = str(SCENARIOS / "baseline.yaml")
    result = CliRunner().invoke(
        main, ["run", good, str(CORPUS / "unknown-sector.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 2
    assert not out.exists()


KEYS = [
    "name",
    "description",
    "extends",
    "dataset",
    "start",
    "end",
    "policies",
    "parameters",
    "demand_growth",
    "id",
    "type",
    "sector",
    "exporters",
    "importers",
    "coverage",
    "rate",
    "seafood",
    "sigma",
    "short_run",
    "JPN",
    "all_except",
    "ban",
    "tariff",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.sampled_from(
        [
            "2023Q1",
            "2024-07-01",
            "all",
            "seafood",
            "JPN",
            "CHN",
            "ban",
            "japan-china-2022",
            "",
            "2023Q9",
        ]
    ),
    st.text(max_size=8),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(KEYS), children, max_size=6),
    ),
    max_leaves=25,
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=DOCUMENTS)
def test_random_scenario_documents_never_raise_a_traceback(
    document: object, tmp_path: Path
) -> None:
    path = tmp_path / "random.yaml"
    path.write_text(yaml.safe_dump(document))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(blob=st.binary(max_size=200))
def test_random_bytes_never_raise_a_traceback(blob: bytes, tmp_path: Path) -> None:
    path = tmp_path / "junk.yaml"
    path.write_bytes(blob)
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception


def test_the_schema_knows_every_policy_field_and_type() -> None:
    from sim.gravity.scenario import GRAVITY_POLICY_KEYS
    from sim.scenario import COMMON_POLICY_KEYS, POLICY_KEYS, TOP_LEVEL_KEYS
    from sim.scenario_schema import POLICY_PROPERTIES, SCHEMA

    fields = set(COMMON_POLICY_KEYS).union(*POLICY_KEYS.values(), *GRAVITY_POLICY_KEYS.values())
    assert set(POLICY_PROPERTIES) == fields
    assert set(POLICY_PROPERTIES["type"]["enum"]) == set(POLICY_KEYS) | set(GRAVITY_POLICY_KEYS)
    assert tuple(SCHEMA["properties"]) == TOP_LEVEL_KEYS


def test_every_error_within_one_policy_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "one-policy.yaml"
    path.write_text(
        "name: one-policy\nstart: 2023Q1\nend: 2024Q4\npolicies:\n  - id: a\n    type: ban\n"
        "    sector: fish\n    exporters: [JPM]\n    importers: [CHN]\n"
        "    start: 2024-01-01\n    end: 2023-01-01\n"
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        f"Error: {path}:7:13: policies[0].sector: unknown sector 'fish'; "
        "known: seafood, scallops, chip_tools, critical_minerals, other_goods",
        f"Error: {path}:8:17: policies[0].exporters[0]: unknown region 'JPM'; "
        "did you mean 'JPN'? known: JPN, CHN, HKG, USA, ASE, ROW",
        f"Error: {path}:11:10: policies[0].end: end 2023-01-01 is not after start 2024-01-01",
    ]
