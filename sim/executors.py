"""Run a pure function over a list of chunks: in-process, in local processes or on Dask.

Every executor returns the results in the order of the chunks, so a caller that makes each
chunk's result depend only on the chunk gets identical numbers whichever executor runs it.
Dask is an optional extra (``tradesim[dask]``), imported only when a scheduler is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sim.errors import TradesimError

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")
Progress = Callable[[int], None]


class ExecutorError(TradesimError):
    """An executor could not be started (a missing extra, an unreachable scheduler)."""

    exit_code = 2


@dataclass(frozen=True)
class Executor:
    """Where chunks are solved.

    Attributes
    ----------
    workers : int or None
        Local worker processes; None or 1 solves in this process.
    scheduler : str or None
        Address of a Dask distributed scheduler (``tcp://host:8786``); overrides ``workers``.
    """

    workers: int | None = None
    scheduler: str | None = None

    @property
    def label(self) -> str:
        """A short description for messages."""
        if self.scheduler:
            return f"Dask scheduler {self.scheduler}"
        if self.workers and self.workers > 1:
            return f"{self.workers} local processes"
        return "in-process"

    def check(self) -> None:
        """Fail early, before any solving, when the scheduler's extra is not installed.

        Raises
        ------
        ExecutorError
        """
        if self.scheduler:
            _dask()

    def map(
        self,
        function: Callable[[Chunk], Result],
        chunks: Sequence[Chunk],
        progress: Progress | None = None,
    ) -> list[Result]:
        """Apply ``function`` to every chunk; results in chunk order.

        Parameters
        ----------
        function : callable
            A module-level function (it is pickled for other processes).
        chunks : sequence
        progress : callable, optional
            Called with the index of each chunk as it completes.
        """
        if self.scheduler:
            return _map_dask(function, chunks, self.scheduler, progress)
        if self.workers and self.workers > 1:
            return _map_processes(function, chunks, self.workers, progress)
        results = []
        for k, chunk in enumerate(chunks):
            results.append(function(chunk))
            if progress is not None:
                progress(k)
        return results


def _map_processes(
    function: Callable[[Chunk], Result],
    chunks: Sequence[Chunk],
    workers: int,
    progress: Progress | None,
) -> list[Result]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # "spawn" starts clean interpreters: no state inherited from the caller's threads.
    context = multiprocessing.get_context("spawn")
    results: dict[int, Any] = {}
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {pool.submit(function, chunk): k for k, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            k = futures[future]
            results[k] = future.result()
            if progress is not None:
                progress(k)
    return [results[k] for k in range(len(chunks))]


def _map_dask(
    function: Callable[[Chunk], Result],
    chunks: Sequence[Chunk],
    address: str,
    progress: Progress | None,
) -> list[Result]:
    Client, as_completed = _dask()
    try:
        client = Client(address, timeout="5s")
    except OSError as error:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address}: {error}") from None
    with client:
        futures = client.map(function, list(chunks), pure=False)
        index = {future.key: k for k, future in enumerate(futures)}
        for future in as_completed(futures):
            if progress is not None:
                progress(index[future.key])
        return list(client.gather(futures))


def _dask() -> tuple[Any, Any]:
    """Dask's ``Client`` and ``as_completed``, or a one-line error naming the extra."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ExecutorError(
            "--scheduler needs Dask: pip install 'tradesim[dask]' (dask[distributed])"
        ) from None
    return Client, as_completed
