"""Fit the choice parameters of the 2023 history to the back-cast observations.

The parameters tried are those the dataset and the history scenarios set as choices within
a published range or as assumptions (docs/validation.md, "The fit"); every other figure is
left as shipped. Each point of a small grid solves both histories as ``tradesim backcast``
does and scores them with :func:`sim.backcast.loss` (squared errors in tolerances over the
rows expected to be reproduced). Prints the best points and their rows.

Run from the repository root:

    python bench/backcast_fit.py            # the grid, 972 points, about 5 minutes of the pair
    python bench/backcast_fit.py --top 10
"""

from __future__ import annotations

import argparse
import itertools
import re
import shutil
import tempfile
from pathlib import Path

from sim.backcast import PRINTED_FIT_COLUMNS, backcast, fit_rows, loss

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
DATASET = ROOT / "sim" / "data" / "japan-china-2022.yaml"
HISTORIES = ("baseline", "history-no-ban", "history-2023-ban")

# The one-year to long-run ratio of Boehm, Levchenko and Pandalai-Nayar (2023), 0.34 to
# 0.43, applied to GTAP's long-run ESUBD 1.25 and ESUBM 2.5 of fishing (seafood-esubd,
# seafood-esubm) for both fish sectors.
RATIOS = (0.34, 0.38, 0.43)
GRID = {
    # IMF-ENV's fishery natural-resource supply elasticities, 0.125 to 0.25 (scallops-eta)
    "scallops.eta.short_run": (0.125, 0.25),
    # quarters for half the adjustment (assumption): 1 to 3
    "scallops.half_life_quarters": (2, 3, 4),
    # the annual rate of the scallop purchase over its six months (assumption): up to the
    # whole 30 JPY bn demand fund spent on buying in six months (60 a year)
    "policies.fisheries-support-purchase.spending": (0.0, 5.0, 10.0),
    # radiation testing before the ban (assumption): half of China-bound value held, give
    # or take
    "policies.radiation-testing.coverage": (0.6, 0.7, 0.8),
}
# Figures of the dataset's processing block, which no scenario can set: the substitution
# between channels (assume-channel-elasticity; from the long-run ESUBM of fishing, 2.5,
# to twice it) and the JPN -> CHN -> USA route's first leg for 30, 35 and 40 kt of the
# 143 kt (jpn-chn-usa-scallop-route-derived: kt / 143 x 46.7).
CHANNEL_ELASTICITIES = (2.5, 5.0)
ROUTE_KT = (30, 35, 40)
CHANNEL = re.compile(r"elasticity: \{value: [0-9.]+, source: assume-channel-elasticity\}")
ROUTE = re.compile(r"value: \{value: [0-9.]+, source: jpn-chn-usa-scallop-route-derived\}")


def histories(folder: Path, elasticity: float, kt: int) -> Path:
    """Copies of the histories on a copy of the dataset with the processing figures set."""
    text = DATASET.read_text()
    for pattern, new in (
        (CHANNEL, f"elasticity: {{value: {elasticity}, source: assume-channel-elasticity}}"),
        (
            ROUTE,
            f"value: {{value: {kt / 143 * 46.7:.4f}, source: jpn-chn-usa-scallop-route-derived}}",
        ),
    ):
        text, found = pattern.subn(new, text)
        if found != 1:
            raise SystemExit(f"{DATASET}: expected one match of {pattern.pattern}")
    target = folder / f"e{elasticity}-kt{kt}"
    target.mkdir()
    (target / "dataset.yaml").write_text(text)
    for name in HISTORIES:
        shutil.copy(SCENARIOS / f"{name}.yaml", target)
    baseline = target / "baseline.yaml"
    baseline.write_text(
        baseline.read_text().replace("dataset: japan-china-2022", "dataset: dataset.yaml")
    )
    return target


def ratio_values(ratio: float) -> dict[str, float]:
    """Short-run substitution of both fish sectors from one short-run/long-run ratio."""
    out: dict[str, float] = {}
    for sector in ("seafood", "scallops"):
        out[f"{sector}.sigma_domestic.short_run"] = 1.0 + ratio * 0.25
        out[f"{sector}.sigma_import.short_run"] = 1.0 + ratio * 1.5
    return out


def main() -> None:
    """Solve the grid and print the best points."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=5, help="how many of the best points")
    args = parser.parse_args()
    keys = list(GRID)
    scored = []
    with tempfile.TemporaryDirectory() as tmp:
        for elasticity, kt in itertools.product(CHANNEL_ELASTICITIES, ROUTE_KT):
            folder = histories(Path(tmp), elasticity, kt)
            for ratio in RATIOS:
                for combo in itertools.product(*GRID.values()):
                    values = ratio_values(ratio) | dict(zip(keys, combo, strict=True))
                    fits, _, _ = backcast(folder, values=values)
                    scored.append((loss(fits), (elasticity, kt, ratio, *combo), fits))
    scored.sort(key=lambda item: item[0])
    names = ["channel elasticity", "route kt", "ratio", *keys]
    print(f"{len(scored)} points; loss, then {', '.join(names)}")
    for value, point, _ in scored[: args.top]:
        print(f"{value:8.3f}  " + "  ".join(f"{v:g}" for v in point))
    print("\nbest point:")
    for row in [list(PRINTED_FIT_COLUMNS), *fit_rows(scored[0][2])]:
        print("  ".join(f"{v:+.1f}" if isinstance(v, float) else str(v) for v in row))


if __name__ == "__main__":
    main()
