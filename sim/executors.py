"""Run a pure function over a list of chunks: in-process, in local processes or on Dask.

Every executor returns the results in the order of the chunks, so a caller that makes each
chunk's result depend only on the chunk gets identical numbers whichever executor runs it.
Dask is an optional extra (``tradesim[dask]``), imported only when a scheduler is given.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sim.errors import TradesimError

Chunk = TypeVar("Chunk")
Result = TypeVar("Result")
Progress = Callable[[int], None]


class ExecutorError(TradesimError):
    """An executor could not be started (a missing extra, a bad or unreachable address)."""

    exit_code = 2


class UnreachableSchedulerError(TradesimError):
    """A well-formed scheduler address that did not answer within the connection timeout.

    The input is fine; the cluster is not there: exit status 1, like any run that could not
    finish.
    """

    exit_code = 1


class LostWorkError(TradesimError):
    """Work was lost during a run: a worker process died, or a cluster lost its workers."""

    exit_code = 1


CONNECT_TIMEOUT = 10.0  # seconds to reach a Dask scheduler
WORKER_TIMEOUT = 30.0  # seconds a Dask cluster may have no worker before the run ends
_POLL = 1.0
_ADDRESS = re.compile(r"^(?:(?:tcp|tls)://)?(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:]+\]):[0-9]{1,5}$")


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
        if self.scheduler is not None:
            check_address(self.scheduler)
            _dask()

    def map(
        self,
        function: Callable[[Chunk], Result],
        chunks: Sequence[Chunk],
        progress: Progress | None = None,
        describe: Callable[[int], str] = lambda k: f"chunk {k}",
    ) -> list[Result]:
        """Apply ``function`` to every chunk; results in chunk order.

        Parameters
        ----------
        function : callable
            A module-level function (it is pickled for other processes).
        chunks : sequence
        progress : callable, optional
            Called with the index of each chunk as it completes.
        describe : callable, optional
            Names chunk ``k`` in error messages (e.g. ``draws 50-99``).

        Raises
        ------
        LostWorkError
            If a local worker process dies (naming the chunk it was solving), or a Dask
            cluster has no worker for :data:`WORKER_TIMEOUT` seconds or loses its scheduler.
        """
        results: dict[int, Result] = {}

        def keep(k: int, result: Result) -> None:
            results[k] = result
            if progress is not None:
                progress(k)

        self.for_each(function, chunks, keep, describe)
        return [results[k] for k in range(len(chunks))]

    def for_each(
        self,
        function: Callable[[Chunk], Result],
        chunks: Sequence[Chunk],
        consume: Callable[[int, Result], None],
        describe: Callable[[int], str] = lambda k: f"chunk {k}",
    ) -> None:
        """Apply ``function`` to every chunk, handing each result to ``consume`` as it comes.

        ``consume(k, result)`` is called in this process, once per chunk, in the order the
        chunks complete (chunk order in-process): a caller can store each result where it
        belongs and let it go, rather than hold them all until the last is done.

        Raises
        ------
        LostWorkError
            As :meth:`map`.
        """
        if self.scheduler:
            _map_dask(function, chunks, self.scheduler, consume, describe)
        elif self.workers and self.workers > 1:
            _map_processes(function, chunks, self.workers, consume, describe)
        else:
            for k, chunk in enumerate(chunks):
                consume(k, function(chunk))


def _map_processes(
    function: Callable[[Chunk], Result],
    chunks: Sequence[Chunk],
    workers: int,
    consume: Callable[[int, Result], None],
    describe: Callable[[int], str],
) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    from sim.allocator import reuse_freed_memory

    # "spawn" starts clean interpreters: no state inherited from the caller's threads.
    context = multiprocessing.get_context("spawn")
    done: set[int] = set()
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=reuse_freed_memory
    )
    try:
        futures = {pool.submit(function, chunk): k for k, chunk in enumerate(chunks)}
        for future in as_completed(futures):
            k = futures[future]
            try:
                result = future.result()
            except BrokenProcessPool:
                lost = sorted(set(range(len(chunks))) - done)
                raise LostWorkError(
                    f"a worker process died (killed, or out of memory) while solving "
                    f"{describe(lost[0])}; nothing was written"
                ) from None
            done.add(k)
            consume(k, result)
    finally:
        # Every result is in: the workers end on their own while this process goes on
        # (an error cancels what has not started).
        pool.shutdown(wait=False, cancel_futures=True)


def _worker_timeout() -> float:
    """:data:`WORKER_TIMEOUT`, or ``TRADESIM_WORKER_TIMEOUT`` seconds when that is set."""
    import os

    try:
        return max(_POLL, float(os.environ.get("TRADESIM_WORKER_TIMEOUT", WORKER_TIMEOUT)))
    except ValueError:
        return WORKER_TIMEOUT


def check_address(address: str) -> None:
    """Refuse a scheduler address that is not ``[tcp://|tls://]host:port``.

    Raises
    ------
    ExecutorError
    """
    if not _ADDRESS.match(address):
        raise ExecutorError(
            f"--scheduler {address!r} is not a scheduler address; give tcp://HOST:PORT"
        )


def _map_dask(
    function: Callable[[Chunk], Result],
    chunks: Sequence[Chunk],
    address: str,
    consume: Callable[[int, Result], None],
    describe: Callable[[int], str],
) -> None:
    Client, _ = _dask()
    _quiet_dask_logs()
    try:
        client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
    except OSError as error:
        raise UnreachableSchedulerError(
            f"cannot reach the Dask scheduler at {address}: {error}"
        ) from None
    lost = f"lost the Dask scheduler at {address} during the run; nothing was written"
    try:
        with client:
            futures = client.map(function, list(chunks), pure=False)
            _watch(client, futures, address, consume, describe)
    except (OSError, TimeoutError) as error:
        raise LostWorkError(
            f"lost the Dask scheduler at {address} during the run ({type(error).__name__}); "
            "nothing was written"
        ) from None
    except Exception as error:
        if type(error).__name__ == "KilledWorker":
            raise LostWorkError(
                f"Dask workers died repeatedly while solving a chunk ({error}); nothing was written"
            ) from None
        if type(error).__name__ in ("CommClosedError", "CancelledError", "FuturesCancelledError"):
            raise LostWorkError(lost) from None
        raise


def _quiet_dask_logs() -> None:
    """Keep distributed's reconnection tracebacks out of the output.

    The client logs every failed reconnection with a traceback; a run reports the loss in
    one line of its own.
    """
    for name in ["distributed", *logging.root.manager.loggerDict]:
        if name.startswith("distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _watch(
    client: Any,
    futures: list[Any],
    address: str,
    consume: Callable[[int, Any], None],
    describe: Callable[[int], str],
) -> None:
    """Wait for every chunk, handing over each result; end the run when the cluster is gone."""
    from distributed import wait

    pending = set(range(len(futures)))
    idle = 0.0
    while pending:
        try:
            wait([futures[k] for k in pending], _POLL, "FIRST_COMPLETED")
        except TimeoutError:
            pass
        for k in sorted(pending):
            if futures[k].status == "cancelled":  # the scheduler went away
                raise LostWorkError(
                    f"lost the Dask scheduler at {address} during the run; nothing was written"
                )
            if futures[k].status == "error":
                futures[k].result()  # raises the chunk's own error
            if futures[k].status == "finished":
                pending.discard(k)
                consume(k, futures[k].result())
                futures[k].release()  # the cluster lets the result go too
        if not pending:
            return
        idle = idle + _POLL if not client.scheduler_info()["workers"] else 0.0
        if idle >= _worker_timeout():
            raise LostWorkError(
                f"the Dask cluster at {address} has had no worker for "
                f"{_worker_timeout():.0f} s with {describe(min(pending))} still to solve; "
                "nothing was written"
            )


def _dask() -> tuple[Any, Any]:
    """Dask's ``Client`` and ``as_completed``, or a one-line error naming the extra."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ExecutorError(
            "--scheduler needs Dask: pip install 'tradesim[dask]' (dask[distributed])"
        ) from None
    return Client, as_completed
