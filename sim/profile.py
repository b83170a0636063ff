"""Where a run's time goes: wall seconds and peak memory of its phases.

The phases are those of ``bench/scale.py``: ``load`` (scenarios and datasets), ``solve``
(the quarterly paths), ``tables`` (result rows from the solved paths) and ``write`` (the
files). A run that writes each quarter as it is solved passes through the phases many
times; their seconds add up. Wall seconds are those of the calling thread: a quarter's
flow rows are formatted (CSV) or encoded (Parquet) in threads of their own while the
next quarter is solved, so ``write`` counts only the time the run waits for them. Peak
memory is the process's largest resident set so far (``ru_maxrss``), read at the end of
each pass.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

PHASES = ("load", "solve", "tables", "write")
ENVIRONMENT = "TRADESIM_PROFILE"


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB (Linux reports kB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**20 if sys.platform == "darwin" else 1024)


def asked_for(flag: bool) -> bool:
    """Whether to profile: ``--profile``, or ``TRADESIM_PROFILE`` set to anything but 0."""
    return flag or os.environ.get(ENVIRONMENT, "0") not in ("", "0")


class Phases:
    """Seconds and peak memory of each phase of a run, added up over its passes."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.peak: dict[str, float] = {}
        self._start = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Count the time of the block to phase ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.peak[name] = peak_mb()

    def lines(self) -> list[str]:
        """One line per phase, then the total, as ``--profile`` prints them."""
        order = [p for p in PHASES if p in self.seconds]
        order += sorted(set(self.seconds) - set(PHASES))
        width = max((len(p) for p in order), default=5)
        out = [
            f"profile: {name:<{width}} {self.seconds[name]:8.2f} s  peak {self.peak[name]:7.0f} MB"
            for name in order
        ]
        total = time.perf_counter() - self._start
        out.append(f"profile: {'total':<{width}} {total:8.2f} s  peak {peak_mb():7.0f} MB")
        return out

    def report(self, stream: TextIO | None = None) -> None:
        """Print :meth:`lines` to ``stream`` (standard error by default)."""
        for line in self.lines():
            print(line, file=stream or sys.stderr)
