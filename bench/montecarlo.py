"""Benchmark Monte Carlo runs: draws and executors, against one central solve.

Prints a Markdown table. Every measurement runs in a fresh Python process (so its peak
resident memory is its own) and is repeated; the table gives the median wall time, the
ratio to a central solve of the same scenario timed in the same process, the time per
draw and the largest peak memory over the repeats.

    python bench/montecarlo.py                       # 1, 100, 1000, 10000 draws; executors
    python bench/montecarlo.py --draws 1 100 --repeat 3 --executors in-process

Needs the dask extra for the Dask rows (a LocalCluster of 2 single-threaded workers on
loopback, started before the clock starts).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "seafood-ban-lifted.yaml"
EXECUTORS = ("in-process", "workers-2", "dask-2")


def measure(draws: int, executor: str, seed: int) -> dict[str, float]:
    """One timed run in this process: a central solve, then ``draws`` draws."""
    from sim.executors import Executor
    from sim.montecarlo import run_draws
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    scenario = load_scenario(SCENARIO)
    run_scenario(scenario)  # warm caches and imports
    start = time.perf_counter()
    run_scenario(scenario)
    central = time.perf_counter() - start
    cluster = None
    if executor == "dask-2":
        from dask.distributed import LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
        )
        chosen = Executor(scheduler=cluster.scheduler_address)
    elif executor == "workers-2":
        chosen = Executor(workers=2)
    else:
        chosen = Executor()
    start = time.perf_counter()
    run_draws(scenario, draws, seed, chosen)
    seconds = time.perf_counter() - start
    if cluster is not None:
        cluster.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "central": central, "peak_mb": max(peak, children)}


def main() -> None:
    """Run every case in fresh processes and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, nargs="+", default=[1, 100, 1000, 10000])
    parser.add_argument("--executors", nargs="+", default=list(EXECUTORS), choices=EXECUTORS)
    parser.add_argument("--executor-draws", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", nargs=2, metavar=("DRAWS", "EXECUTOR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(int(args.one[0]), args.one[1], args.seed)))
        return
    cases = [(n, "in-process") for n in args.draws]
    cases += [(args.executor_draws, e) for e in args.executors if e != "in-process"]
    if "in-process" in args.executors and args.executor_draws not in args.draws:
        cases.append((args.executor_draws, "in-process"))
    print(f"seafood-ban-lifted, {len(cases)} cases, median of {args.repeat} runs each\n")
    print("| draws | executor | wall time (s) | x central solve | ms per draw | peak memory (MB) |")
    print("|---:|---|---:|---:|---:|---:|")
    for draws, executor in cases:
        runs = []
        for _ in range(args.repeat):
            out = subprocess.run(
                [sys.executable, __file__, "--one", str(draws), executor, "--seed", str(args.seed)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        seconds = statistics.median(r["seconds"] for r in runs)
        ratio = statistics.median(r["seconds"] / r["central"] for r in runs)
        peak = max(r["peak_mb"] for r in runs)
        print(
            f"| {draws:,} | {executor} | {seconds:.2f} | {ratio:,.0f} | "
            f"{1000 * seconds / draws:.1f} | {peak:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
