"""Benchmark Monte Carlo runs as ratios to one ordinary run of the same scenario.

Every case is ``tradesim run scenarios/seafood-ban-lifted.yaml`` in a fresh process (start-up,
loading, solving, tables and writing the files included), repeated; the reference is the
same command without ``--draws``, timed by the same benchmark. Prints the machine and a
Markdown table: median wall time, its ratio to the reference, the time per draw, the largest
peak resident memory of the command (``ru_maxrss`` from ``os.wait4``; local worker processes
are not counted, nor Dask workers) and whether the banded files are byte-identical to those
of the in-process run of the same draws.

    python bench/montecarlo.py                       # 1, 100, 1000, 10000 draws; executors
    python bench/montecarlo.py --draws 1 100 --repeat 3 --executors in-process

Needs the dask extra for the Dask rows (a LocalCluster of 2 single-threaded workers on
loopback, started before the clock starts). Every case runs in the environment the
benchmark started with: the variables distributed sets when it starts a cluster are not
passed on to the timed commands.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "seafood-ban-lifted.yaml"
EXECUTORS = ("in-process", "workers-2", "dask-2")
BANDED = ("summary.csv", "indicators.csv")


def machine() -> str:
    """Processor model and the number of processors this process may use."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, nproc {len(os.sched_getaffinity(0))}, Python {platform.python_version()}"


# The environment the cases run in: this process's as it started. Starting a Dask
# LocalCluster sets variables in the process that starts it (distributed sets
# MALLOC_TRIM_THRESHOLD_=65536, and OMP/MKL/OPENBLAS_NUM_THREADS=1), which every later
# child would inherit: 10,000 draws in one process took 19.8 s with them against 14.0 s.
ENVIRONMENT = dict(os.environ)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one run of ``command``."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENVIRONMENT
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        assert process.stderr is not None
        raise SystemExit(f"{' '.join(command)} failed:\n{process.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def command(out: Path, draws: int | None, seed: int, extra: list[str]) -> list[str]:
    """The ``tradesim run`` command of one case."""
    script = shutil.which("tradesim") or str(Path(sys.executable).with_name("tradesim"))
    words = [script, "run", str(SCENARIO), "--out", str(out), "--force", "--quiet"]
    if draws is not None:
        words += ["--draws", str(draws), "--seed", str(seed), *extra]
    return words


def main() -> None:
    """Time the reference and every case in fresh processes and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[1, 100, 1000, 10000])
    parser.add_argument("--executors", nargs="+", default=list(EXECUTORS), choices=EXECUTORS)
    parser.add_argument("--executor-draws", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    cases = [(n, "in-process") for n in args.draws]
    if "in-process" in args.executors and args.executor_draws not in args.draws:
        cases.append((args.executor_draws, "in-process"))
    cases += [(args.executor_draws, e) for e in args.executors if e != "in-process"]
    cluster = None
    if "dask-2" in args.executors:
        from dask.distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
    extra = {
        "in-process": [],
        "workers-2": ["--workers", "2"],
        "dask-2": ["--scheduler", cluster.scheduler_address if cluster else ""],
    }
    print(f"machine: {machine()}")
    print(f"seafood-ban-lifted, fresh `tradesim run` processes, median of {args.repeat} runs\n")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        # one untimed run first: the first process after a pause reads the installed files
        # from disk (0.9 s against 0.7 s for the reference)
        timed(command(root / "reference", None, args.seed, []))
        runs = [timed(command(root / "reference", None, args.seed, [])) for _ in range(args.repeat)]
        reference = statistics.median(r[0] for r in runs)
        print(
            "| draws | executor | wall time (s) | x one run | ms per draw | peak MB | same bands |"
        )
        print("|---:|---|---:|---:|---:|---:|---|")
        print(
            f"| (none) | one run (reference) | {reference:.2f} | 1.0 | | "
            f"{max(r[1] for r in runs):.0f} | |",
            flush=True,
        )
        for draws, executor in cases:
            out = root / f"{draws}-{executor}"
            runs = [
                timed(command(out, draws, args.seed, extra[executor])) for _ in range(args.repeat)
            ]
            seconds = statistics.median(r[0] for r in runs)
            same = ""
            if executor != "in-process":
                mine = out / SCENARIO.stem
                theirs = root / f"{draws}-in-process" / SCENARIO.stem
                if theirs.exists():
                    same = (
                        "yes"
                        if all((mine / n).read_bytes() == (theirs / n).read_bytes() for n in BANDED)
                        else "NO"
                    )
            print(
                f"| {draws:,} | {executor} | {seconds:.2f} | {seconds / reference:.1f} | "
                f"{1000 * seconds / draws:.2f} | {max(r[1] for r in runs):.0f} | {same} |",
                flush=True,
            )
    if cluster is not None:
        cluster.close()


if __name__ == "__main__":
    main()
