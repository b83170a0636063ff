"""Structural gravity: tradesim's exact GE solve timed side by side with gegravity.

The same experiment (a trade agreement, pta 0 -> 1 both ways, for one pair) on gegravity's
30-country sample (CAN-JPN) and on synthetic samples (sim/gravity/synthetic.py) of 100,
200 and 500 countries. Each timing is in-process calibration plus solve: for tradesim,
costs -> modelled baseline -> counterfactual (median of several runs); for gegravity
(installed from bench/requirements-gravity.txt, default settings), OneSectorGE
construction, build_baseline, define_experiment and simulate, run in a child process
that is stopped after --gegravity-cap seconds. Prints a Markdown table.

    python -m venv .venv-bench && .venv-bench/bin/pip install -e . -r bench/requirements-gravity.txt
    .venv-bench/bin/python bench/gravity.py

BLAS runs on one thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise: on a
2-core machine shared with any other process, multi-threaded BLAS made the same solve vary
from 2 ms to 200 ms. Both programs get the same setting (gegravity's child inherits it).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from sim.gravity.dataset import load_gravity_dataset  # noqa: E402
from sim.gravity.solve import balanced_expenditure, modelled_baseline, solve_exact  # noqa: E402
from sim.gravity.synthetic import COEFFICIENTS, synthetic_sample  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def sample(n: int) -> dict[str, Any]:
    """Arrays and labels of the benchmark sample of ``n`` countries (30: gegravity's)."""
    if n == 30:
        d = load_gravity_dataset(ROOT / "sim" / "data" / "gegravity-sample-2006.yaml")
        pair = ("CAN", "JPN")
        return {
            "regions": d.regions,
            "trade": d.trade,
            "output": d.output,
            "expenditure": d.expenditure,
            "covariates": d.covariates,
            "coefficients": d.coefficients,
            "reference": d.reference,
            "pair": pair,
        }
    s = synthetic_sample(n, seed=n)
    return {
        "regions": s.regions,
        "trade": s.trade,
        "output": s.output,
        "expenditure": s.expenditure,
        "covariates": s.covariates,
        "coefficients": COEFFICIENTS,
        "reference": s.regions[-1],
        "pair": (s.regions[0], s.regions[1]),
    }


def tradesim_solve(data: dict[str, Any], sigma: float = 5.0) -> tuple[float, float, int]:
    """Calibrate and solve once; returns seconds, largest clearing error, Newton steps."""
    start = time.perf_counter()
    regions = data["regions"]
    n = len(regions)
    exponent = np.full((n, n), data["coefficients"]["constant"])
    for name, beta in data["coefficients"].items():
        if name != "constant":
            exponent = exponent + beta * data["covariates"][name]
    costs = np.exp(exponent)
    a, b = (regions.index(code) for code in data["pair"])
    new_pta = data["covariates"]["pta"].copy()
    new_pta[a, b] = new_pta[b, a] = 1.0
    change = np.exp(data["coefficients"]["pta"] * (new_pta - data["covariates"]["pta"]))
    ref = regions.index(data["reference"])
    expenditure = balanced_expenditure(data["output"], data["expenditure"])
    baseline = modelled_baseline(costs, data["output"], expenditure, sigma, ref)
    result = solve_exact(baseline, change, sigma, ref)
    seconds = time.perf_counter() - start
    error = max(
        float(np.max(np.abs(result.flows.sum(axis=1) / result.output - 1))),
        float(np.max(np.abs(result.flows.sum(axis=0) / result.expenditure - 1))),
    )
    return seconds, error, baseline.iterations + result.iterations


def _gegravity_child(n: int, queue: Any) -> None:
    import pandas as pd
    from gegravity import BaselineData, CostCoeffs, OneSectorGE

    warnings.simplefilter("ignore")
    data = sample(n)
    regions = data["regions"]
    rows = []
    for i, exporter in enumerate(regions):
        for j, importer in enumerate(regions):
            row = {
                "exporter": exporter,
                "importer": importer,
                "year": "2006",
                "trade": data["trade"][i, j],
                "Y": data["output"][i],
                "E": data["expenditure"][j],
                "constant": 1.0,
            }
            row.update({k: v[i, j] for k, v in data["covariates"].items()})
            rows.append(row)
    frame = pd.DataFrame(rows)
    names = list(data["coefficients"])
    coeffs = pd.DataFrame({"var": names, "coeff": [data["coefficients"][k] for k in names]})
    start = time.perf_counter()
    baseline = BaselineData(
        frame,
        imp_var_name="importer",
        exp_var_name="exporter",
        year_var_name="year",
        trade_var_name="trade",
        expend_var_name="E",
        output_var_name="Y",
    )
    model = OneSectorGE(
        baseline,
        year="2006",
        expend_var_name="E",
        output_var_name="Y",
        cost_coeff_values=CostCoeffs(coeffs, identifier_col="var", coeff_col="coeff"),
        cost_variables=names,
        reference_importer=data["reference"],
        sigma=5,
        quiet=True,
    )
    model.build_baseline(omr_rescale=1)
    experiment = frame.copy()
    a, b = data["pair"]
    for x, y in ((a, b), (b, a)):
        experiment.loc[(experiment.exporter == x) & (experiment.importer == y), "pta"] = 1
    model.define_experiment(experiment)
    model.simulate()
    seconds = time.perf_counter() - start
    converged = all(bool(r.success) for r in model.solver_diagnostics.values())
    queue.put({"seconds": seconds, "converged": converged})


def gegravity_solve(n: int, cap: float) -> dict[str, Any]:
    """Time gegravity in a child process; ``None`` seconds if stopped at the cap."""
    queue: Any = mp.get_context("fork").Queue()
    child = mp.get_context("fork").Process(target=_gegravity_child, args=(n, queue))
    child.start()
    child.join(cap)
    if child.is_alive():
        child.terminate()
        child.join()
        return {"seconds": None, "converged": False}
    try:
        return dict(queue.get(timeout=5))
    except Exception as exc:  # pragma: no cover - reported in the table
        return {"seconds": None, "converged": False, "error": str(exc)}


def gegravity_version() -> str:
    """The installed gegravity version, or ``not installed``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("gegravity")
    except PackageNotFoundError:
        return "not installed"


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[30, 100, 200, 500])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gegravity-cap", type=float, default=120.0)
    parser.add_argument("--gegravity-repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    try:
        import gegravity  # noqa: F401

        have_peer = True
    except ImportError:
        have_peer = False
        print("gegravity not installed: install bench/requirements-gravity.txt", file=sys.stderr)
    rows = []
    for n in args.sizes:
        data = sample(n)
        tradesim_solve(data)  # warm-up
        runs = [tradesim_solve(data) for _ in range(args.repeat)]
        ours = statistics.median(r[0] for r in runs)
        peer: list[dict[str, Any]] = []
        if have_peer:
            repeat = args.gegravity_repeat if n <= 30 else 1
            peer = [gegravity_solve(n, args.gegravity_cap) for _ in range(repeat)]
        finished = [p["seconds"] for p in peer if p["seconds"] is not None]
        theirs = statistics.median(finished) if finished else None
        rows.append(
            {
                "countries": n,
                "tradesim_s": ours,
                "tradesim_max_clearing_error": max(r[1] for r in runs),
                "tradesim_newton_steps": runs[0][2],
                "gegravity_s": theirs,
                "gegravity_converged": bool(peer) and all(p["converged"] for p in peer),
                "gegravity_capped": any(p["seconds"] is None for p in peer),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    threads = os.environ["OPENBLAS_NUM_THREADS"]
    print(
        f"tradesim: median of {args.repeat} runs; gegravity {gegravity_version()}: median of "
        f"{args.gegravity_repeat} runs at 30 countries, 1 run above, stopped after "
        f"{args.gegravity_cap:g} s; BLAS threads {threads}; {os.cpu_count()} cores"
    )
    print()
    print(
        "| countries | tradesim (s) | max clearing error | Newton steps | gegravity (s) "
        "| gegravity converged | ratio |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if r["gegravity_s"] is None:
            peer_text = f"> {args.gegravity_cap:g} (stopped)" if r["gegravity_capped"] else "-"
            ratio = (
                f"> {args.gegravity_cap / r['tradesim_s']:,.0f}x" if r["gegravity_capped"] else "-"
            )
        else:
            peer_text = f"{r['gegravity_s']:.3f}"
            ratio = f"{r['gegravity_s'] / r['tradesim_s']:,.0f}x"
        print(
            f"| {r['countries']} | {r['tradesim_s']:.4f} | {r['tradesim_max_clearing_error']:.1e} "
            f"| {r['tradesim_newton_steps']} | {peer_text} | "
            f"{'yes' if r['gegravity_converged'] else 'no'} | {ratio} |"
        )


if __name__ == "__main__":
    main()
