"""Global sensitivity analysis of one result figure to a scenario's uncertain parameters.

The parameters are those of the scenario's ``uncertainty`` block. SALib (the optional
``sensitivity`` extra) designs the sample on the unit hypercube; each coordinate is mapped
to the parameter's quantile between the 0.5th and 99.5th percentiles of its distribution,
so that unbounded distributions give finite values and a parameter's importance reflects
its distribution, not only its range. Each sample point is one full solve of the scenario
(:func:`sim.montecarlo.solve_chunk`), on any executor.

- ``morris``: elementary effects along ``samples`` random trajectories (``samples x (k + 1)``
  solves); ``mu_star`` ranks parameters by their mean absolute effect on the figure when
  moved across their range, with a bootstrap confidence interval.
- ``sobol``: Saltelli's sample of ``samples x (k + 2)`` solves (``samples`` a power of 2);
  ``ST`` is the share of the figure's variance a parameter is involved in, ``S1`` the share
  it explains alone. Small samples give wide intervals and even negative indices.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import InputError
from sim.executors import Executor
from sim.model import FloatArray
from sim.montecarlo import ChunkSolver, draw_tables, solve_chunk, solve_in_chunks
from sim.tables import SUMMARY_COLUMNS, Table

METHODS = ("morris", "sobol")
QUANTILE_MARGIN = 0.005
COLUMNS = {
    "morris": ("rank", "parameter", "distribution", "mu_star", "mu_star_conf", "mu", "sigma"),
    "sobol": ("rank", "parameter", "distribution", "ST", "ST_conf", "S1", "S1_conf"),
}
RANKED_BY = {"morris": "mu_star", "sobol": "ST"}


@dataclass(frozen=True)
class Figure:
    """The summary row whose change is analysed.

    Attributes
    ----------
    indicator : str
        A summary indicator (``exports``, ``welfare``, ``satellite_sales``, ...).
    sector, region, partner : str or None
        Narrow it to one row; None matches any.
    """

    indicator: str
    sector: str | None = None
    region: str | None = None
    partner: str | None = None

    def label(self) -> str:
        """Readable name, e.g. ``exports seafood JPN->CHN``."""
        parts = [self.indicator, self.sector or "", self.region or ""]
        text = " ".join(p for p in parts if p)
        return f"{text}->{self.partner}" if self.partner else text


def find_row(summary: Table, figure: Figure) -> int:
    """The index of the one summary row matching ``figure``.

    Raises
    ------
    InputError
        Naming the options that would narrow the choice, or the known indicators.
    """
    keys = [dict(zip(SUMMARY_COLUMNS[:4], row[:4], strict=True)) for row in summary.rows]
    indicators = sorted({k["indicator"] for k in keys})
    if figure.indicator not in indicators:
        raise InputError(
            f"--indicator: unknown summary indicator '{figure.indicator}'; "
            f"known: {', '.join(indicators)}"
        )
    wanted = {
        "indicator": figure.indicator,
        "sector": figure.sector,
        "region": figure.region,
        "partner": figure.partner,
    }
    matches = [
        k
        for k, key in enumerate(keys)
        if all(v is None or key[name] == v for name, v in wanted.items())
    ]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise InputError(f"no summary row for {figure.label()}; see summary.csv for the keys")
    for name in ("sector", "region", "partner"):
        choices = sorted({str(keys[k][name]) for k in matches})
        if wanted[name] is None and len(choices) > 1:
            raise InputError(
                f"{figure.label()} matches {len(matches)} rows; choose with --{name}: "
                f"{', '.join(choices)}"
            )
    raise AssertionError("rows with the same key")  # pragma: no cover - keys are unique


def _salib(method: str) -> tuple[Any, Any]:
    try:
        if method == "morris":
            from SALib.analyze import morris as analyze
            from SALib.sample import morris as sample
        else:
            from SALib.analyze import sobol as analyze
            from SALib.sample import sobol as sample
    except ImportError:
        raise InputError(
            "tradesim sensitivity needs SALib: pip install 'tradesim[sensitivity]'"
        ) from None
    return sample, analyze


def unit_design(method: str, k: int, samples: int, seed: int) -> FloatArray:
    """SALib's sample on the unit hypercube, shape (evaluations, k)."""
    sample, _ = _salib(method)
    problem = {"num_vars": k, "names": [f"x{i}" for i in range(k)], "bounds": [[0.0, 1.0]] * k}
    if method == "morris":
        return np.asarray(sample.sample(problem, samples, num_levels=4, seed=seed))
    if samples & (samples - 1):
        raise InputError(f"--samples: Sobol sampling needs a power of 2, got {samples}")
    return np.asarray(sample.sample(problem, samples, calc_second_order=False, seed=seed))


# Morris trajectories and the Sobol base sample when none is asked for (docs/uncertainty.md
# explains the choice of sample sizes).
DEFAULT_SAMPLES = {"morris": 20, "sobol": 256}


def design_size(method: str, k: int, samples: int) -> int:
    """The number of solves of a design: (k + 1) N for Morris, (k + 2) N for Sobol.

    Parameters
    ----------
    method : {"morris", "sobol"}
    k : int
        Number of uncertain parameters.
    samples : int
        Morris trajectories or the Sobol base sample.
    """
    return (k + 1) * samples if method == "morris" else (k + 2) * samples


def to_parameters(scenario: Any, unit: FloatArray) -> FloatArray:
    """Map unit-hypercube points to parameter values through each distribution's quantiles."""
    q = QUANTILE_MARGIN + unit * (1.0 - 2.0 * QUANTILE_MARGIN)
    return np.column_stack([d.ppf(q[:, i]) for i, d in enumerate(scenario.uncertainty.values())])


def evaluate(
    scenario: Any,
    values: FloatArray,
    row: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    solver: ChunkSolver = solve_chunk,
) -> FloatArray:
    """The change of summary row ``row`` at each parameter point, shape (point,)."""
    changes = solve_in_chunks(solver, scenario, values, executor, progress)
    return changes["summary.csv"][:, row]


def analyse(
    method: str,
    scenario: Any,
    unit: FloatArray,
    outputs: FloatArray,
    seed: int,
) -> Table:
    """SALib's indices, one row per parameter, ranked by importance."""
    _, analyze = _salib(method)
    keys = list(scenario.uncertainty)
    problem = {"num_vars": len(keys), "names": keys, "bounds": [[0.0, 1.0]] * len(keys)}
    if method == "morris":
        result = analyze.analyze(problem, unit, outputs, num_levels=4, seed=seed)
        fields: Sequence[str] = ("mu_star", "mu_star_conf", "mu", "sigma")
    else:
        result = analyze.analyze(problem, outputs, calc_second_order=False, seed=seed)
        fields = ("ST", "ST_conf", "S1", "S1_conf")
    described = [
        f"{d.dist}({', '.join(f'{n}={v:g}' for n, v in d.params)})"
        for d in scenario.uncertainty.values()
    ]
    stats = np.array([[float(result[f][i]) for f in fields] for i in range(len(keys))])
    importance = np.where(np.isfinite(stats[:, 0]), -np.abs(stats[:, 0]), 0.0)
    order = sorted(range(len(keys)), key=lambda i: (importance[i], keys[i]))
    rows = [
        (rank, keys[i], described[i], *map(float, stats[i]))
        for rank, i in enumerate(order, start=1)
    ]
    return Table(COLUMNS[method], rows)


@dataclass(frozen=True)
class Sensitivity:
    """A ranked sensitivity table and what produced it."""

    method: str
    figure: Figure
    central: float
    evaluations: int
    table: Table


def run_sensitivity(
    scenario: Any,
    method: str,
    figure: Figure,
    samples: int,
    seed: int,
    executor: Executor | None = None,
    progress: Callable[[int], None] | None = None,
    solver: ChunkSolver = solve_chunk,
    tables: Callable[[Any], dict[str, Table]] = draw_tables,
) -> Sensitivity:
    """Rank the scenario's uncertain parameters by their effect on one summary figure.

    Parameters
    ----------
    scenario : Scenario or GravityScenario
        With an ``uncertainty`` block of at least one parameter.
    method : {"morris", "sobol"}
    figure : Figure
        The summary row whose ``change`` is analysed.
    samples : int
        Morris trajectories, or the Sobol base sample (a power of 2).
    seed : int
        Seed of the sample design and of the bootstrap intervals.
    executor : Executor, optional
    progress : callable, optional
        Called with the number of solves done.
    solver : callable
        The chunk solver of the scenario's model.
    tables : callable
        Solves the scenario's central parameters into its banded tables.

    Returns
    -------
    Sensitivity
    """
    if not scenario.uncertainty:
        raise InputError(
            "sensitivity needs an 'uncertainty' block naming the parameters to vary "
            "(see docs/uncertainty.md)",
            path=scenario.path,
        )
    _salib(method)  # a missing extra is reported before anything is solved
    summary = tables(scenario)["summary.csv"]
    row = find_row(summary, figure)
    central = float(summary.rows[row][SUMMARY_COLUMNS.index("change")])
    unit = unit_design(method, len(scenario.uncertainty), samples, seed)
    outputs = evaluate(scenario, to_parameters(scenario, unit), row, executor, progress, solver)
    table = analyse(method, scenario, unit, outputs, seed)
    return Sensitivity(method, figure, central, len(unit), table)
