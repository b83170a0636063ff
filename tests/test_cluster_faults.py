"""A real Dask cluster that loses its only worker, or its scheduler, during a run.

The scheduler and the worker are separate processes started with the ``dask`` command
line, on loopback; the run is a real ``tradesim`` process. Each case must end with one
line, exit status 1 and nothing written, never a hang.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS

ROOT = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen, subprocess.Popen]]:
    """A scheduler and one worker without a nanny (so a killed worker stays dead)."""
    file = tmp_path / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--dashboard-address", ":0", "--scheduler-file", str(file)],
        **quiet,
    )  # fmt: skip
    worker = subprocess.Popen(
        [str(DASK), "worker", "--scheduler-file", str(file), "--no-nanny",
         "--nthreads", "1", "--dashboard-address", ":0"],
        **quiet,
    )  # fmt: skip
    try:
        address = _address_when_ready(file)
        yield address, scheduler, worker
    finally:
        for child in (worker, scheduler):
            if child.poll() is None:
                child.kill()
            child.wait(timeout=30)


def _address_when_ready(file: Path) -> str:
    import json

    from distributed import Client

    deadline = time.monotonic() + 60
    while not file.exists():
        assert time.monotonic() < deadline, "the scheduler did not start"
        time.sleep(0.2)
    address = json.loads(file.read_text())["address"]
    with Client(address, timeout="30s") as client:
        client.wait_for_workers(1, timeout=60)
    return address


def _run_and_kill(address: str, victim: subprocess.Popen, out: Path) -> subprocess.CompletedProcess:
    """Start a long run on the cluster, kill ``victim`` while it is under way, wait for it."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TRADESIM_WORKER_TIMEOUT": "3"}
    command = [
        sys.executable, "-m", "sim", "run", str(SCENARIOS / "seafood-ban-lifted.yaml"),
        "--draws", "20000", "--seed", "1", "--scheduler", address, "--out", str(out),
    ]  # fmt: skip
    run = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    time.sleep(6)  # the run has connected and submitted its chunks
    assert run.poll() is None, run.communicate()
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = run.communicate(timeout=120)
    return subprocess.CompletedProcess(command, run.returncode, stdout, stderr)


def test_a_cluster_whose_only_worker_is_killed_ends_the_run_with_one_line(
    cluster: tuple[str, subprocess.Popen, subprocess.Popen], tmp_path: Path
) -> None:
    address, _, worker = cluster
    done = _run_and_kill(address, worker, tmp_path / "out")
    assert done.returncode == 1, done.stderr
    [line] = done.stderr.strip().splitlines()[-1:]
    assert line.startswith(f"Error: the Dask cluster at {address} has had no worker for 3 s")
    assert line.endswith("nothing was written")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_killed_scheduler_ends_the_run_with_one_line(
    cluster: tuple[str, subprocess.Popen, subprocess.Popen], tmp_path: Path
) -> None:
    address, scheduler, _ = cluster
    done = _run_and_kill(address, scheduler, tmp_path / "out")
    assert done.returncode == 1, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: "), done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
