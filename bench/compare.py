"""Benchmark ``tradesim compare`` of many result folders against running them.

Generates the synthetic dataset (``tradesim synth``, not timed), writes ``--scenarios``
one-tariff scenarios on it (each a 25% tariff on another sector and pair, over
``--quarters`` quarters, all measured against the no-policy path so that they compare),
runs them in one ``tradesim run`` (timed), then times ``tradesim compare`` of all the
folders (the headline table) and ``tradesim compare --out`` (every key of every file). Each
command is a fresh process: its wall time and its peak resident memory (``wait4``) are its
own. Prints a Markdown table with each time's ratio to the run's.

    python bench/compare.py                        # 50 scenarios, 50x20, 4 quarters
    python bench/compare.py --scenarios 10 --size 20x10 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from scale import synthetic_scenario, timed, tradesim

SCENARIO = """\
name: tariff-{k:02d}
description: A 25% tariff on one flow of the synthetic dataset ({size}).
dataset: {dataset}
start: 2023Q1
end: {end}
policies:
  - {{id: tariff, type: tariff, sector: {sector}, exporters: [{exporter}], importers: [{importer}],
     increase: 0.25, start: 2023Q1}}
"""


def scenarios(folder: Path, size: str, count: int, quarters: int) -> list[Path]:
    """Write ``count`` one-tariff scenarios on the synthetic dataset of ``size``."""
    regions, sectors = (int(n) for n in size.split("x"))
    dataset = synthetic_scenario(folder, size).parent / f"synth-{size}.yaml"
    year, quarter = divmod(quarters - 1, 4)
    end = f"{2023 + year}Q{quarter + 1}"
    paths = []
    for k in range(count):
        exporter, importer = k % regions + 1, (k + 1) % regions + 1
        path = folder / f"tariff-{k:02d}.yaml"
        path.write_text(
            SCENARIO.format(
                k=k,
                size=size,
                dataset=dataset.name,
                end=end,
                sector=f"s{k % sectors + 1:02d}",
                exporter=f"R{exporter:03d}",
                importer=f"R{importer:03d}",
            ),
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--size", default="50x20", help="REGIONSxSECTORS")
    parser.add_argument("--quarters", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tradesim-bench-") as tmp:
        folder = Path(tmp)
        paths = scenarios(folder, args.size, args.scenarios, args.quarters)
        out = folder / "results"
        results = [str(out / p.stem) for p in paths]
        commands = {
            "run": [tradesim(), "run", *map(str, paths), "--out", str(out), "--force"],
            "compare": [tradesim(), "compare", *results],
            "compare --out": [
                tradesim(), "compare", *results, "--out", str(folder / "c.csv"), "--force",
            ],
        }  # fmt: skip
        measured: dict[str, tuple[float, float]] = {}
        for name, command in commands.items():
            runs = [timed(command) for _ in range(args.repeat)]
            measured[name] = (
                statistics.median(r[0] for r in runs),
                max(r[1] for r in runs),
            )
        size_mb = sum(f.stat().st_size for f in out.rglob("*.csv")) / 1e6
        out_mb = (folder / "c.csv").stat().st_size / 1e6
    run_seconds = measured["run"][0]
    print(
        f"{args.scenarios} scenarios, {args.size} synthetic dataset, {args.quarters} quarters; "
        f"{size_mb:,.0f} MB of result CSVs, comparison CSV {out_mb:,.0f} MB; "
        f"median of {args.repeat}\n"
    )
    print("| command | wall time (s) | x run | peak memory (MB) |")
    print("|---|---:|---:|---:|")
    for name, (seconds, peak) in measured.items():
        print(f"| `{name}` | {seconds:.2f} | {seconds / run_seconds:.2f} | {peak:,.0f} |")


if __name__ == "__main__":
    main()
