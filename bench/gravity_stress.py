"""Stress the exact gravity solver on many random samples and shocks (a long check).

Draws samples of 2-12 countries (``sim.gravity.synthetic``), sigma from 1.5 to 12 and
cost shocks ``exp(N(0, spread))`` with spread up to 1.5, in both the exact and the
fixed-deficits closure, and reports failures and the worst market-clearing error.

    python bench/gravity_stress.py --cases 3000
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from sim.errors import GravitySolverError
from sim.gravity.solve import modelled_baseline, solve_exact
from sim.gravity.synthetic import synthetic_sample


def main() -> None:
    """Solve the random cases and print a one-line summary and every failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    draw = np.random.default_rng(args.seed)
    failures, worst, start = [], 0.0, time.perf_counter()
    for case in range(args.cases):
        n, seed = int(draw.integers(2, 13)), int(draw.integers(0, 10_001))
        spread = 1.5 if case % 10 == 0 else float(draw.uniform(0.0, 1.5))
        sigma = 1.5 if case % 7 == 0 else float(draw.uniform(1.5, 12.0))
        deficits = bool(draw.integers(0, 2))
        sample = synthetic_sample(n, seed=seed)
        costs = sample.costs()
        expenditure = sample.expenditure * sample.output.sum() / sample.expenditure.sum()
        baseline = modelled_baseline(costs, sample.output, expenditure, sigma, n - 1)
        change = np.exp(np.random.default_rng(seed).normal(0.0, spread, size=costs.shape))
        np.fill_diagonal(change, 1.0)
        try:
            result = solve_exact(baseline, change, sigma, n - 1, fixed_deficits=deficits)
        except GravitySolverError as error:
            failures.append((n, seed, spread, sigma, deficits, str(error)))
            continue
        clearing = max(
            float(np.max(np.abs(result.flows.sum(axis=1) / result.output - 1.0))),
            float(np.max(np.abs(result.flows.sum(axis=0) / result.expenditure - 1.0))),
        )
        worst = max(worst, clearing)
    seconds = time.perf_counter() - start
    print(
        f"{args.cases} cases, {len(failures)} failures, worst relative clearing error "
        f"{worst:.2g}, {seconds:.1f} s"
    )
    for failure in failures:
        print("failed:", *failure)


if __name__ == "__main__":
    main()
