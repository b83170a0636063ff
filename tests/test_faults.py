"""Fault injection: special files, hostile nesting, damaged inputs, failing writes, signals.

Each case runs the real command (a subprocess of ``python -m sim`` where the fault needs a
real process: a file-size limit, dropped privileges, a signal) and asserts the exit
status, one ``Error:`` line without a traceback, and what is left on disk.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from tests.conftest import DATA, ROOT

TOY = DATA / "toy-two-sector.yaml"
SCENARIO = """\
name: {name}
dataset: {dataset}
start: 2023Q3
end: 2024Q1
policies:
  - id: cut
    type: tariff
    sector: seafood
    exporters: [JPN]
    importers: [CHN]
    rate: 0.2
    start: 2023-07-01
"""


def write_scenario(folder: Path, name: str = "toy", dataset: Path = TOY) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(SCENARIO.format(name=name, dataset=dataset))
    return path


def cli(*args: str) -> tuple[int, str]:
    """Run a command in-process: exit status and everything it printed."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output


def process(
    *args: str, unprivileged: bool = False, **options: object
) -> subprocess.CompletedProcess:
    """Run ``python -m sim ARGS`` as a real process (without root's file-permission bypass)."""
    command = [sys.executable, "-m", "sim", *args]
    if unprivileged and os.geteuid() == 0:
        # root ignores file permissions; drop the two capabilities that let it
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, **options)  # type: ignore[call-overload]


def one_error_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("Error: "), text
    assert "Traceback" not in text
    return lines[0]


# --- reading: special files, sizes, nesting, permissions ---------------------------------


def test_a_scenario_that_is_a_fifo_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    code, output = cli("validate", str(fifo))
    assert code == 2
    assert one_error_line(output) == (
        f"Error: {fifo}: scenario is not a regular file (a device, FIFO or socket); give a file"
    )


def test_a_parent_that_is_dev_zero_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "child.yaml"
    path.write_text("name: child\nextends: /dev/zero\n")
    code, output = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert code == 2
    assert "/dev/zero: scenario is not a regular file" in one_error_line(output)
    assert not (tmp_path / "out").exists()


def test_a_parent_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "parent.yaml")
    path = tmp_path / "child.yaml"
    path.write_text("name: child\nextends: parent.yaml\n")
    code, output = cli("validate", str(path))
    assert code == 2
    assert "parent.yaml: scenario is not a regular file" in one_error_line(output)


def test_a_dataset_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "data.yaml")
    scenario = write_scenario(tmp_path, dataset=tmp_path / "data.yaml")
    code, output = cli("validate", str(scenario))
    assert code == 2
    assert "data.yaml: dataset is not a regular file" in one_error_line(output)


def test_a_flow_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    text = TOY.read_text()
    start, end = text.index("flows:\n"), text.index("tariffs:")
    (tmp_path / "data.yaml").write_text(
        text[:start] + "flows: {file: flows.csv, layout: matrix, source: toy}\n" + text[end:]
    )
    os.mkfifo(tmp_path / "flows.csv")
    code, output = cli("validate", str(write_scenario(tmp_path, dataset=tmp_path / "data.yaml")))
    assert code == 2
    assert "flows.csv: flow file is not a regular file" in one_error_line(output)


@pytest.mark.parametrize("depth", [100, 500, 990])
def test_deep_nesting_is_a_located_error(tmp_path: Path, depth: int) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text("name: deep\ndescription: " + "[" * depth + "]" * depth + "\n")
    code, output = cli("validate", str(path))
    assert code == 2
    assert one_error_line(output) == (f"Error: {path}:2:78: values nested more than 64 levels deep")


def test_deep_nesting_in_a_dataset_is_a_located_error(tmp_path: Path) -> None:
    data = tmp_path / "data.yaml"
    data.write_text(TOY.read_text() + "facts: " + "[" * 300 + "]" * 300 + "\n")
    code, output = cli("sources", str(data))
    assert code == 2
    assert "values nested more than 64 levels deep" in one_error_line(output)
    assert output.startswith(f"Error: {data}:")


def test_an_unreadable_scenario_is_one_line(tmp_path: Path) -> None:
    path = write_scenario(tmp_path)
    path.chmod(0)
    done = process("validate", str(path), unprivileged=True)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == f"Error: {path}: cannot read scenario: permission denied"


def test_an_unreadable_dataset_is_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data.yaml"
    shutil.copy(TOY, data)
    data.chmod(0)
    done = process("validate", str(write_scenario(tmp_path, dataset=data)), unprivileged=True)
    assert done.returncode == 2
    assert one_error_line(done.stderr) == f"Error: {data}: cannot read dataset: permission denied"


@pytest.mark.parametrize("section", ["satellites", "facts", "checks"])
def test_null_where_a_dataset_list_belongs_is_located(tmp_path: Path, section: str) -> None:
    data = tmp_path / "data.yaml"
    data.write_text(TOY.read_text() + f"{section}: null\n")
    code, output = cli("sources", str(data))
    assert code == 2
    line = TOY.read_text().count("\n") + 1
    assert one_error_line(output) == (
        f"Error: {data}:{line}:{len(section) + 3}: {section}: expected a list, got None"
    )


def test_a_flow_of_1e308_is_refused_not_turned_into_nonsense(tmp_path: Path) -> None:
    data = tmp_path / "data.yaml"
    data.write_text(
        TOY.read_text().replace(
            "[seafood, JPN, CHN, 40, toy]", "[seafood, JPN, CHN, 1.0e+308, toy]"
        )
    )
    out = tmp_path / "out"
    code, output = cli("run", str(write_scenario(tmp_path, dataset=data)), "--out", str(out))
    assert code == 2
    assert "1e+308 is larger than 1e+18 in magnitude" in one_error_line(output)
    assert not out.exists()
