"""Benchmark how the cost of ``tradesim run`` grows with the size of the dataset.

Prints the machine, two Markdown tables and the growth of time with size. The first table
times ``tradesim run`` of every shipped scenario and of a four-policy scenario (a ban that
starts and ends mid-quarter, a phased tariff, an export control from mid-quarter and a
demand shock) on synthetic datasets of increasing size, all over 16 quarters, with CSV and
with Parquet output: the median wall time and the largest peak resident memory of fresh
processes over ``--repeat`` runs, and the ratio of each median to that of the shipped
baseline scenario timed in the same benchmark run. The cases are timed in turn, round
after round (the reference, then every case, ``--repeat`` times): a slow spell of a
shared machine falls on the reference as on the cases. Then the log-log slope of time against
the number of flow rows (regions² x sectors x quarters), and the phases of one run of the
largest size as ``tradesim run --profile`` reports them (load, solve, tables, write).

    python bench/scale.py                          # 8x4 ... 141x65, 3 runs each
    python bench/scale.py --sizes 8x4 50x20 --repeat 5
    python bench/scale.py --sizes 141x65 --repeat 1 --no-shipped

Synthetic datasets are generated with ``tradesim synth`` (not timed) in a temporary
folder; results are written there too, each case into a folder of its own, each timed run
into an empty one (that case's earlier results removed and the disk flushed before the
clock starts; the other cases' last results stay until the end, about 3 GB at the default
sizes), and removed at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "scenarios"
REFERENCE = SHIPPED / "baseline.yaml"
SIZES = ("8x4", "20x10", "50x20", "100x40", "141x65")
SEED = 1

SCENARIO = """\
name: {name}
description: Four policies on a synthetic dataset of {size}, 16 quarters.
dataset: {dataset}
start: 2023Q1
end: 2026Q4
policies:
  - {{id: ban, type: ban, sector: s01, exporters: [R001], importers: [R002],
     start: 2023-08-24, end: 2024-07-01}}
  - {{id: tariff, type: tariff, sector: s02, exporters: [R001, R002], importers: [R003],
     increase: 0.25, start: 2024Q1, phase_in: 4}}
  - {{id: controls, type: export_control, sector: s03, exporters: [R002],
     importers: [R001, R004], coverage: 0.3, tax_equivalent: 0.2, start: 2023-07-03}}
  - {{id: slowdown, type: demand_shock, sector: s04, importers: [R002], change: -0.05,
     start: 2024Q3}}
"""


def tradesim() -> str:
    """The installed console script beside this Python."""
    return shutil.which("tradesim") or str(Path(sys.executable).with_name("tradesim"))


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(command)} failed:\n{error}")
    return seconds, usage.ru_maxrss / 1024


def synthetic_scenario(folder: Path, size: str) -> Path:
    """Write a synthetic dataset of ``size`` (``RxS``) and the four-policy scenario on it."""
    regions, sectors = (int(n) for n in size.split("x"))
    dataset = folder / f"synth-{size}.yaml"
    if not dataset.exists():
        subprocess.run(
            [tradesim(), "synth", "--regions", str(regions), "--sectors", str(sectors)]
            + ["--seed", str(SEED), "-o", str(dataset)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    scenario = folder / f"scale-{size}.yaml"
    scenario.write_text(
        SCENARIO.format(name=f"scale-{size}", size=size, dataset=dataset.name), encoding="utf-8"
    )
    return scenario


def measure(scenarios: list[Path], out: Path, repeat: int, fmt: str = "csv") -> tuple[float, float]:
    """Median seconds and largest peak MB of ``repeat`` runs of ``scenarios`` together."""
    command = [tradesim(), "run", *map(str, scenarios), "--out", str(out), "--force"]
    command += ["--format", fmt]
    runs = []
    for _ in range(repeat):
        empty(out)
        runs.append(timed(command))
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def measure_in_turn(
    cases: list[tuple[list[Path], str]], out: Path, repeat: int
) -> list[tuple[float, float]]:
    """Median seconds and largest peak MB of each case, the cases timed in turn.

    Each case is ``(scenarios, format)``, run as one command writing to its own folder
    ``out/<k>``; every round runs each case once, in order.
    """
    runs: list[list[tuple[float, float]]] = [[] for _ in cases]
    for _ in range(repeat):
        for k, (scenarios, fmt) in enumerate(cases):
            folder = out / str(k)
            command = [tradesim(), "run", *map(str, scenarios), "--out", str(folder), "--force"]
            empty(folder)
            runs[k].append(timed([*command, "--format", fmt]))
    return [(statistics.median(r[0] for r in run), max(r[1] for r in run)) for run in runs]


def empty(out: Path) -> None:
    """Remove earlier results and flush the disk, before the clock starts.

    Every timed run writes into an empty folder: replacing a 1.5 GB flows.csv of an earlier
    case, and writing back its pages, would otherwise be timed as part of the next case.
    """
    shutil.rmtree(out, ignore_errors=True)
    os.sync()


def phases(scenario: Path, out: Path) -> list[tuple[str, float, float]]:
    """Seconds and peak MB so far of each phase of one run, from ``tradesim run --profile``."""
    command = [tradesim(), "run", str(scenario), "--out", str(out), "--force", "--profile"]
    empty(out)
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    rows = []
    for line in result.stderr.splitlines():
        if line.startswith("profile:"):
            name, seconds, _, _, peak, _ = line.removeprefix("profile:").split()
            rows.append((name, float(seconds), float(peak)))
    return rows


def machine() -> str:
    """``nproc``, the CPU model and the Python and numpy versions."""
    import platform

    import numpy

    model = "unknown CPU"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    # Without a bytecode cache (PYTHONDONTWRITEBYTECODE set) every run compiles the
    # project's modules again: about 0.07 s of each run, the reference's included.
    cache = "off" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "on"
    return (
        f"nproc {os.cpu_count()}, {model}, Python {platform.python_version()}, "
        f"numpy {numpy.__version__}, bytecode cache {cache}"
    )


def slope(points: list[tuple[int, float]]) -> float:
    """Least-squares slope of log seconds against log rows."""
    import numpy

    x = numpy.log([p[0] for p in points])
    y = numpy.log([p[1] for p in points])
    return float(numpy.polyfit(x, y, 1)[0])


Case = tuple[str, int, float, float, float]


def main() -> None:
    """Run the cases in fresh processes and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=list(SIZES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-shipped", action="store_true", help="Skip the shipped scenarios.")
    parser.add_argument(
        "--formats", nargs="+", default=["csv", "parquet"], choices=["csv", "parquet"]
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tradesim-bench-") as temporary:
        folder = Path(temporary)
        out = folder / "results"
        # one untimed run first: the first process after a pause reads the installed files
        # from disk
        measure([REFERENCE], out, 1)
        plan: list[tuple[str, list[Path], str, str]] = [
            ("shipped baseline, csv (reference)", [REFERENCE], "csv", "")
        ]
        if not args.no_shipped:
            shipped = sorted(SHIPPED.glob("*.yaml"))
            label = f"all {len(shipped)} shipped scenarios, one command"
            plan.append((label, shipped, "csv", ""))
        for fmt in args.formats:
            for size in args.sizes:
                scenario = synthetic_scenario(folder, size)
                plan.append((f"synthetic {size}, {fmt}", [scenario], fmt, size))
        runs = [(scenarios, fmt) for _, scenarios, fmt, _ in plan]
        timings = measure_in_turn(runs, out, args.repeat)
        reference = timings[0][0]
        with open(out / "0" / "baseline" / "flows.csv", "rb") as handle:
            reference_rows = sum(1 for _ in handle) - 1
        cases: list[Case] = []
        by_format: dict[str, list[Case]] = {fmt: [] for fmt in args.formats}
        for k, (label, _, fmt, size) in enumerate(plan):
            seconds, peak = timings[k]
            if not size:
                cases.append((label, reference_rows if k == 0 else 0, seconds, peak, 0.0))
                continue
            regions, sectors = (int(n) for n in size.split("x"))
            flows = (out / str(k) / f"scale-{size}" / f"flows.{fmt}").stat().st_size / 2**20
            by_format[fmt].append((label, regions * regions * sectors * 16, seconds, peak, flows))
        for fmt in args.formats:
            cases.extend(by_format[fmt])
        print(f"machine: {machine()}")
        print(
            f"median of {args.repeat} runs, each a fresh `tradesim run` process, "
            "the cases timed in turn"
        )
        print()
        print("| case | flow rows | median s | ratio to reference | peak MB | flows file MB |")
        print("|---|---:|---:|---:|---:|---:|")
        for label, rows, seconds, peak, size in cases:
            print(
                f"| {label} | {f'{rows:,}' if rows else ''} | {seconds:.2f} "
                f"| {seconds / reference:.1f} "
                f"| {peak:.0f} | {size:.0f} |"
            )
        print()
        for fmt, rows in by_format.items():
            large = [(r[1], r[2]) for r in rows if r[1] >= 10**6]
            if len(large) >= 2:
                print(
                    f"{fmt}: time grows as flow rows^{slope(large):.2f} over the sizes of a "
                    "million rows or more (log-log least squares)"
                )
            if len(rows) >= 2:
                print(f"{fmt}: over every size, rows^{slope([(r[1], r[2]) for r in rows]):.2f}")
        largest = synthetic_scenario(folder, args.sizes[-1])
        print()
        print(f"phases of one run of the {args.sizes[-1]} scenario (`tradesim run --profile`)")
        print()
        print("| phase | s | peak MB so far |")
        print("|---|---:|---:|")
        for name, seconds, peak in phases(largest, out):
            print(f"| {name} | {seconds:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
