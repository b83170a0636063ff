"""sim.executors: every executor maps the same function over the same chunks alike.

The executors run for real: in this process, in a pool of two spawned processes, and on a
Dask LocalCluster of two worker processes on the loopback interface (the dask extra is
part of ``.[dev]``). The mapped functions live at module level so that other processes
can import them.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator

import numpy as np
import pytest

from sim.errors import DatasetError, InputError, InputErrors, SolverError, TradesimError
from sim.executors import Executor, ExecutorError, check_address

CHUNKS = [(seed, 4 - seed) for seed in range(5)]


def draws(chunk: tuple[int, int]) -> list[float]:
    """A chunk's numbers depend on the chunk only; the early chunks finish last."""
    seed, delay = chunk
    time.sleep(0.05 * delay)
    return np.random.default_rng(seed).standard_normal(3).tolist()


def fails_on_chunk_three(chunk: tuple[int, int]) -> list[float]:
    if chunk[0] == 3:
        raise SolverError("seafood", "2024Q2", float("inf"))
    return draws(chunk)


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(params=["serial", "processes", "dask"])
def executor(request: pytest.FixtureRequest) -> Executor:
    if request.param == "serial":
        return Executor()
    if request.param == "processes":
        return Executor(workers=2)
    return Executor(scheduler=request.getfixturevalue("dask_address"))


def test_every_executor_returns_the_same_results_in_chunk_order(executor: Executor) -> None:
    executor.check()
    done: list[int] = []
    results = executor.map(draws, CHUNKS, progress=done.append)
    expected = [np.random.default_rng(seed).standard_normal(3).tolist() for seed, _ in CHUNKS]
    assert results == expected  # exactly: the same numbers, not merely close ones
    assert sorted(done) == list(range(len(CHUNKS)))  # progress once per chunk


def test_each_result_is_handed_over_once_as_its_chunk_completes(executor: Executor) -> None:
    handed: list[tuple[int, list[float]]] = []
    executor.for_each(draws, CHUNKS, lambda k, result: handed.append((k, result)))
    expected = [np.random.default_rng(seed).standard_normal(3).tolist() for seed, _ in CHUNKS]
    assert sorted(k for k, _ in handed) == list(range(len(CHUNKS)))
    assert all(result == expected[k] for k, result in handed)


def test_an_error_in_a_task_surfaces_as_its_own_one_line_error(executor: Executor) -> None:
    with pytest.raises(SolverError) as raised:
        executor.map(fails_on_chunk_three, CHUNKS)
    message = str(raised.value)
    assert message.startswith("no equilibrium for sector 'seafood' in 2024Q2")
    assert "\n" not in message
    assert raised.value.exit_code == 1


def test_no_chunks_is_no_results(executor: Executor) -> None:
    assert executor.map(draws, []) == []


def test_labels_name_where_the_work_runs() -> None:
    assert Executor().label == "in-process"
    assert Executor(workers=1).label == "in-process"
    assert Executor(workers=3).label == "3 local processes"
    assert Executor(workers=3, scheduler="tcp://h:1").label == "Dask scheduler tcp://h:1"


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "host:1", "tls://[::1]:8786"])
def test_a_scheduler_address_is_host_and_port(address: str) -> None:
    check_address(address)


@pytest.mark.parametrize("address", ["127.0.0.1", "http://host:8786", "tcp://host:port", ""])
def test_a_malformed_scheduler_address_is_refused_before_any_work(address: str) -> None:
    with pytest.raises(ExecutorError, match="is not a scheduler address; give tcp://HOST:PORT"):
        Executor(scheduler=address).check()


@pytest.mark.parametrize(
    "error",
    [
        SolverError("seafood", "2024Q2", 0.5),
        InputError("bad value", path="s.yaml", line=3, column=7, field="policies[0].rate"),
        DatasetError("negative flow", path="d.yaml"),
        InputErrors(
            [InputError("b", path="s.yaml", line=9), InputError("a", path="s.yaml", line=2)]
        ),
    ],
)
def test_the_errors_a_task_may_raise_cross_processes_whole(error: TradesimError) -> None:
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert fields(again) == fields(error)


def fields(error: Exception) -> dict[str, object]:
    """An error's attributes, the errors it gathers compared by their own attributes."""
    return {k: [fields(e) for e in v] if k == "errors" else v for k, v in vars(error).items()}
