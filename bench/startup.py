"""Benchmark start-up: ``tradesim --help`` against a bare ``python -c pass``.

Prints a Markdown table of the median wall time of each command over several runs (each
a fresh process), the difference to bare Python and their ratio. The target is that
``tradesim --help`` costs at most 150 ms more than starting Python.

    python bench/startup.py
    python bench/startup.py --repeat 41
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_MS = 150.0


def commands() -> dict[str, list[str]]:
    """The commands timed, by label; the first is the reference."""
    script = shutil.which("tradesim") or str(Path(sys.executable).with_name("tradesim"))
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import sim.cli'": [sys.executable, "-c", "import sim.cli"],
        "tradesim --help": [script, "--help"],
        "tradesim --version": [script, "--version"],
    }


def wall(command: list[str]) -> float:
    """Seconds one run of ``command`` takes, output discarded."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    """Time every command ``--repeat`` times, interleaved, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=21)
    args = parser.parse_args()
    cases = commands()
    for command in cases.values():  # warm the file cache
        wall(command)
    times: dict[str, list[float]] = {label: [] for label in cases}
    for _ in range(args.repeat):
        for label, command in cases.items():
            times[label].append(wall(command))
    reference = statistics.median(times["python -c pass"])
    print(f"median of {args.repeat} runs each; target: tradesim --help within {TARGET_MS:.0f} ms")
    print()
    print("| command | median ms | min ms | over bare python ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, values in times.items():
        median = statistics.median(values)
        print(
            f"| `{label}` | {1000 * median:.1f} | {1000 * min(values):.1f} "
            f"| {1000 * (median - reference):.1f} | {median / reference:.2f} |"
        )


if __name__ == "__main__":
    main()
