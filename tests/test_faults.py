"""Fault injection: special files, hostile nesting, damaged inputs, failing writes, signals.

Each case runs the real command (a subprocess of ``python -m sim`` where the fault needs a
real process: a file-size limit, dropped privileges, a signal) and asserts the exit
status, one ``Error:`` line without a traceback, and what is left on disk.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from sim.cli import main
from tests.conftest import DATA, ROOT, SCENARIOS

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
    path = folder / f"{name[:40]}.yaml"
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
    options.setdefault("env", {**os.environ, "PYTHONPATH": str(ROOT)})
    return subprocess.run(command, capture_output=True, text=True, timeout=120, **options)  # type: ignore[call-overload]


PROGRESS = re.compile(r"^\S+: \d+/\d+ draws solved$")


def one_error_line(text: str, *, progress: bool = False) -> str:
    """The one error line of ``text``; with ``progress``, after the run's progress lines."""
    lines = text.splitlines()
    if progress:
        lines = [line for line in lines if not PROGRESS.match(line)]
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


# --- writing: all or nothing, one line naming the path, exit 1 -----------------------------


def _no_staging_left(folder: Path) -> None:
    if folder.exists():
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_out_under_a_regular_file_is_one_line_exit_1(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, output = cli("run", str(write_scenario(tmp_path)), "--out", str(tmp_path / "file/sub"))
    assert code == 1
    assert one_error_line(output) == (
        f"Error: cannot write '{tmp_path / 'file/sub/toy'}': a part of the path is a file, "
        "not a folder; nothing was written"
    )


def test_a_300_character_name_is_refused_before_anything_is_solved(tmp_path: Path) -> None:
    """Longer than a folder name may be: a located input error (exit 2), not a late write."""
    name = "n" * 300
    out = tmp_path / "out"
    code, output = cli("run", str(write_scenario(tmp_path, name)), "--out", str(out))
    assert code == 2
    assert one_error_line(output).endswith("name: name is 300 bytes long; the limit is 200")
    assert not out.exists()


def test_a_run_whose_second_scenario_cannot_be_written_writes_neither(tmp_path: Path) -> None:
    """The toy's files fit a 60 kB file-size limit; the shipped baseline's flows.csv does not."""
    first = write_scenario(tmp_path, "first")
    second = SCENARIOS / "baseline.yaml"
    out = tmp_path / "out"
    done = process("run", str(first), str(second), "--out", str(out), preexec_fn=_limited(60_000))
    assert done.returncode == 1, done.stderr
    assert "baseline" in one_error_line(done.stderr)
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{scenario}", "--out", "{ro}"],
        ["compare", "{low}", "{high}", "--out", "{ro}/c.csv"],
        ["export", "{low}", "--out", "{ro}/e.csv"],
        ["init", "starter", "--out", "{ro}/starter.yaml"],
        ["synth", "--regions", "2", "--sectors", "1", "-o", "{ro}/s.yaml"],
        ["plot", "{low}", "--partner", "CHN", "--out", "{ro}/p.png"],
    ],
)
def test_a_read_only_folder_is_one_line_exit_1_for_every_writer(
    tmp_path: Path, result_pair: tuple[Path, Path], command: list[str]
) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    low, high = result_pair
    values = {"scenario": str(write_scenario(tmp_path)), "ro": str(ro), "low": str(low)}
    values["high"] = str(high)
    done = process(*(part.format(**values) for part in command), unprivileged=True)
    assert done.returncode == 1, done.stderr
    line = one_error_line(done.stderr)
    assert line.startswith(f"Error: cannot write '{ro}/")
    assert line.endswith("permission denied; nothing was written")
    assert list(ro.iterdir()) == []


@pytest.fixture(scope="module")
def result_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("pair")
    for name in ("low", "high"):
        code, output = cli("run", str(write_scenario(root, name)), "--out", str(root / "out"))
        assert code == 0, output
    return root / "out/low", root / "out/high"


def _limited(size: int) -> object:
    def limit() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a killed process
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return limit


def test_a_file_size_limit_during_a_run_is_one_line_and_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = process(
        "run", str(write_scenario(tmp_path)), "--out", str(out), preexec_fn=_limited(2000)
    )
    assert done.returncode == 1, done.stderr
    line = one_error_line(done.stderr)
    assert line == (
        f"Error: cannot write '{out / 'toy'}': file too large (a file-size limit was reached); "
        "nothing was written"
    )
    assert list(out.iterdir()) == []


def test_synth_force_that_fails_part_way_keeps_the_old_pair(tmp_path: Path) -> None:
    dataset = tmp_path / "s.yaml"
    code, output = cli("synth", "--regions", "2", "--sectors", "1", "-o", str(dataset))
    assert code == 0, output
    flows = tmp_path / "s.flows.csv"
    before = dataset.read_bytes(), flows.read_bytes()
    # the flows fit under the limit, the dataset file does not
    assert len(before[1]) < 1000 < len(before[0])
    done = process(
        "synth",
        "--regions",
        "2",
        "--sectors",
        "1",
        "--seed",
        "1",
        "-o",
        str(dataset),
        "--force",
        preexec_fn=_limited(1000),
    )
    assert done.returncode == 1, done.stderr
    one_error_line(done.stderr)
    assert (dataset.read_bytes(), flows.read_bytes()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.flows.csv", "s.yaml"]


def test_sigterm_while_staging_removes_the_staging_folder(tmp_path: Path) -> None:
    program = f"""
import os, signal
from pathlib import Path
from sim.files import install_signal_cleanup, publish

install_signal_cleanup()

def fill(stage):
    os.mkdir(stage)
    (stage / "half.csv").write_text("a,b\\n1,")
    os.kill(os.getpid(), signal.SIGTERM)
    raise AssertionError("the signal did not stop the writer")

publish([(Path({str(tmp_path / "out" / "toy")!r}), fill)])
"""
    done = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 143
    assert done.stderr == "Error: terminated by a signal; no results were written\n"
    assert list((tmp_path / "out").iterdir()) == []


def test_sigterm_during_a_run_ends_with_one_line_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    path = write_scenario(tmp_path)
    path.write_text(
        path.read_text()
        + "uncertainty:\n  seafood.sigma.long_run: {dist: uniform, low: 3, high: 5}\n"
    )
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(path),
            "--out",
            str(out),
            "--draws",
            "400000",
            "--seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        # 400,000 draws take minutes (the first progress line comes after 40,000); the signal
        # comes while they are being solved
        time.sleep(3)
        child.send_signal(signal.SIGTERM)
        _, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 143
    line = one_error_line(stderr, progress=True)
    assert line == "Error: terminated by a signal; no results were written"
    assert not out.exists() or list(out.iterdir()) == []


def test_the_next_writer_removes_staging_left_by_a_killed_process(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)
    out = tmp_path / "out"
    stale = out / f".toy.{pid}.staging"
    stale.mkdir(parents=True)
    (stale / "flows.csv").write_text("period,sector\n2023Q")
    alive = out / f".other.{os.getpid()}.staging"
    alive.mkdir()
    code, output = cli("run", str(write_scenario(tmp_path)), "--out", str(out))
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == [alive.name, "toy"]


# --- scale-out: bad addresses, no workers, dead workers ------------------------------------

UNCERTAIN = "uncertainty:\n  seafood.sigma.long_run: {dist: uniform, low: 3, high: 5}\n"


def uncertain_scenario(folder: Path) -> Path:
    path = write_scenario(folder)
    path.write_text(path.read_text() + UNCERTAIN)
    return path


@pytest.mark.parametrize(
    ("address", "shown"), [("bad", "'bad'"), ("", "''"), ("tcp://host", "'tcp://host'")]
)
def test_a_bad_scheduler_address_is_exit_2(tmp_path: Path, address: str, shown: str) -> None:
    out = tmp_path / "out"
    scenario = uncertain_scenario(tmp_path)
    code, output = cli(
        "run",
        str(scenario),
        "--draws",
        "3",
        "--seed",
        "1",
        "--scheduler",
        address,
        "--out",
        str(out),
    )
    assert code == 2
    assert one_error_line(output) == (
        f"Error: --scheduler {shown} is not a scheduler address; give tcp://HOST:PORT"
    )
    assert not out.exists()


def test_a_scheduler_without_workers_ends_the_run_with_one_line(tmp_path: Path) -> None:
    from dask.distributed import LocalCluster

    out = tmp_path / "out"
    with LocalCluster(n_workers=0, host="127.0.0.1", dashboard_address=None) as cluster:
        done = process(
            "run",
            str(uncertain_scenario(tmp_path)),
            "--draws",
            "3",
            "--seed",
            "1",
            "--scheduler",
            cluster.scheduler_address,
            "--out",
            str(out),
            env={**os.environ, "PYTHONPATH": str(ROOT), "TRADESIM_WORKER_TIMEOUT": "3"},
        )
    assert done.returncode == 1, done.stderr
    assert one_error_line(done.stderr) == (
        f"Error: the Dask cluster at {cluster.scheduler_address} has had no worker for 3 s "
        "with draws 0-0 still to solve; nothing was written"  # one draw per chunk of three
    )
    assert not out.exists()


def _worker_children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    workers = []
    for child in map(int, children):
        command = Path(f"/proc/{child}/cmdline").read_bytes()
        if b"multiprocessing" in command and b"resource_tracker" not in command:
            workers.append(child)
    return workers


def test_a_killed_local_worker_names_the_lost_draws(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim",
            "run",
            str(uncertain_scenario(tmp_path)),
            "--draws",
            "400000",
            "--seed",
            "1",
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        workers: list[int] = []
        for _ in range(600):  # the pool's processes start within a minute
            workers = _worker_children(child.pid)
            if workers:
                break
            time.sleep(0.1)
        assert workers
        time.sleep(2)
        os.kill(workers[0], signal.SIGKILL)
        _, stderr = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 1, stderr
    line = one_error_line(stderr, progress=True)
    assert line.startswith(
        "Error: a worker process died (killed, or out of memory) while solving draws "
    )
    assert line.endswith("; nothing was written")
    assert not out.exists()


# --- round trips: show and init output validates -------------------------------------------


@pytest.mark.parametrize("name", ["yes", "123", "null", "on", "1e3", "2023-01-01"])
def test_init_writes_a_starter_that_validates_whatever_the_name(tmp_path: Path, name: str) -> None:
    target = tmp_path / f"{name}.yaml"
    code, output = cli("init", name, "--out", str(target))
    assert code == 0, output
    code, output = cli("validate", str(target))
    assert code == 0, output
    assert f"valid ({name}:" in output


@pytest.mark.parametrize("scenario", sorted(p.name for p in (ROOT / "scenarios").glob("*.yaml")))
def test_show_output_validates_and_resolves_to_the_same_scenario(
    tmp_path: Path, scenario: str
) -> None:
    code, shown = cli("show", str(ROOT / "scenarios" / scenario))
    assert code == 0, shown
    assert ": null" not in "\n".join(
        line for line in shown.splitlines() if not line.lstrip().startswith("end:")
    )
    copy = tmp_path / scenario
    copy.write_text(shown)
    code, again = cli("show", str(copy))
    assert code == 0, again
    assert again.splitlines()[1:] == shown.splitlines()[1:]
