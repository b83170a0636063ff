r"""The quarterly path: policy timing, short- to long-run elasticities, trend demand.

Each quarter is a static equilibrium (:mod:`sim.solve`) under that quarter's policy state
and elasticities. Elasticities move from their short-run to their long-run values with a
per-sector half-life counted from the latest policy change in the sector:

.. math:: e(a) = e_{LR} + (e_{SR} - e_{LR})\, 2^{-a / h},

where ``a`` is the age in quarters of the change at the middle of the quarter (0 in the
quarter of the change) and ``h`` the half-life. A sector no policy ever touches keeps its
long-run values. Every quarter is solved twice: with the scenario's policies and with none
(the no-policy path, which carries the same trend demand growth and elasticities).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from sim.dataset import ELASTICITIES, Dataset
from sim.model import Baseline, Elasticities, Equilibrium, FloatArray, Policy, evaluate
from sim.policy import PolicyLike, Target, change_dates, policy_state, spans
from sim.quarters import Quarter, midpoint, quarter_range
from sim.quota import Solver, solve_with_quotas
from sim.solve import SolveReport, solve_period

DAYS_PER_QUARTER = 365.25 / 4


@dataclass(frozen=True)
class Segment:
    """The equilibrium of one part of a quarter, with its share of the quarter's days.

    ``days`` is the part's first day and the day after its last.
    """

    weight: float
    policy: Policy
    equilibrium: Equilibrium
    report: SolveReport
    days: tuple[dt.date, dt.date]


@dataclass(frozen=True)
class PeriodSolution:
    """One quarter of one path: the day-weighted equilibria of its parts.

    A quarter in which a policy starts or ends is solved once for each part with a
    different set of policies in force; its flows, prices and welfare are the averages of
    those equilibria weighted by days (a ban from 24 August leaves 2023Q3 with 54 days of
    normal trade and 38 of none).
    """

    quarter: Quarter
    elasticities: Elasticities
    segments: tuple[Segment, ...]

    def _mean(self, values: list[FloatArray]) -> FloatArray:
        return np.asarray(sum(seg.weight * v for seg, v in zip(self.segments, values, strict=True)))

    @cached_property
    def value(self) -> FloatArray:
        """Bilateral values at producer prices (annual rate), shape (sector, origin, dest)."""
        return self._mean(
            [s.equilibrium.producer_price[:, :, None] * s.equilibrium.demand for s in self.segments]
        )

    @cached_property
    def volume(self) -> FloatArray:
        """Bilateral quantities (annual rate, baseline prices), shape (sector, origin, dest)."""
        return self._mean([s.equilibrium.demand for s in self.segments])

    @cached_property
    def supply(self) -> FloatArray:
        """Quantities supplied (annual rate), shape (sector, origin)."""
        return self._mean([s.equilibrium.supply for s in self.segments])

    @cached_property
    def producer_price(self) -> FloatArray:
        """Day-weighted producer price index, shape (sector, origin)."""
        return self._mean([s.equilibrium.producer_price for s in self.segments])

    @cached_property
    def price_index(self) -> FloatArray:
        """Day-weighted consumer price index, shape (sector, destination)."""
        return self._mean([s.equilibrium.price_index for s in self.segments])

    @property
    def iterations(self) -> int:
        """Newton iterations, summed over the parts."""
        return sum(s.report.iterations for s in self.segments)

    @property
    def residual(self) -> float:
        """Largest residual over the parts."""
        return max(s.report.residual for s in self.segments)

    @property
    def fallback_sectors(self) -> tuple[int, ...]:
        """Sectors handed to the fallback solver in any part."""
        return tuple(sorted({k for s in self.segments for k in s.report.fallback_sectors}))


@dataclass(frozen=True)
class PathSolution:
    """A scenario's quarterly path and its no-policy counterpart."""

    baseline: Baseline
    quarters: tuple[Quarter, ...]
    scenario: tuple[PeriodSolution, ...]
    reference: tuple[PeriodSolution, ...]


@dataclass(frozen=True)
class ElasticityPaths:
    """Short- and long-run elasticity arrays, shape (sector, region), and half-lives."""

    short_run: dict[str, FloatArray]
    long_run: dict[str, FloatArray]
    half_life: FloatArray


def elasticity_paths(dataset: Dataset, parameters: dict[str, dict]) -> ElasticityPaths:
    """Dataset elasticities with the scenario's per-sector and per-region overrides.

    Parameters
    ----------
    dataset : Dataset
    parameters : dict
        ``sector -> {sigma|eps|eta: {short_run, long_run}, half_life_quarters,
        regions: {REGION: {sigma|eps|eta: {...}}}}``.
    """
    short = {name: dataset.elasticities[name].short_run.copy() for name in ELASTICITIES}
    long = {name: dataset.elasticities[name].long_run.copy() for name in ELASTICITIES}
    half_life = dataset.half_life.copy()
    runs = {"short_run": short, "long_run": long}
    for sector, spec in parameters.items():
        s = dataset.sector_index(sector)
        for name in ELASTICITIES:
            for run, value in spec.get(name, {}).items():
                runs[run][name][s, :] = value
        for region, block in spec.get("regions", {}).items():
            r = dataset.region_index(region)
            for name in ELASTICITIES:
                for run, value in block.get(name, {}).items():
                    runs[run][name][s, r] = value
        if "half_life_quarters" in spec:
            half_life[s] = spec["half_life_quarters"]
    return ElasticityPaths(short, long, half_life)


def adjustment_weight(
    quarter: Quarter, changes: Sequence[Sequence[dt.date]], half_life: FloatArray
) -> FloatArray:
    """Weight of the short-run value per sector: ``2 ** (-age / half_life)``, 0 if no change.

    Parameters
    ----------
    quarter : Quarter
    changes : sequence, one per sector, of dates of policy changes in that sector
    half_life : ndarray, shape (sector,)
    """
    end, middle = quarter.end_day, midpoint(quarter)
    ages: dict[tuple[dt.date, ...], float | None] = {}
    weight = np.zeros(len(changes))
    for s, dates in enumerate(changes):
        key = tuple(dates)
        if key not in ages:  # stacked Monte Carlo draws repeat the same dates
            past = [d for d in dates if d < end]
            ages[key] = max((middle - max(past)).days, 0) / DAYS_PER_QUARTER if past else None
        age = ages[key]
        if age is not None:
            weight[s] = 0.5 ** (age / half_life[s])
    return weight


def blend(paths: ElasticityPaths, weight: FloatArray) -> Elasticities:
    """Elasticities of one quarter given the short-run weight of each sector."""
    w = weight[:, None]
    values = {}
    for name in ELASTICITIES:
        short, long = paths.short_run[name], paths.long_run[name]
        finite = np.isfinite(short) & np.isfinite(long)
        # An infinite elasticity cannot be averaged: the dominant run's value is used.
        mixed = np.where(
            finite,
            np.nan_to_num(long) + (np.nan_to_num(short) - np.nan_to_num(long)) * w,
            np.where(w >= 0.5, short, long),
        )
        values[name] = np.where(w == 0, long, np.where(w == 1, short, mixed))
    return Elasticities(values["sigma"], values["eps"], values["eta"])


def growth_rates(dataset: Dataset, demand_growth: dict[str, float]) -> FloatArray:
    """Annual trend growth of demand per sector and region, shape (sector, region)."""
    rates = np.zeros(len(dataset.regions))
    for region, rate in demand_growth.items():
        rates[dataset.region_index(region)] = rate
    return np.broadcast_to(rates, (len(dataset.sectors), len(dataset.regions))).copy()


def growth_multiplier(rates: FloatArray, step: int) -> FloatArray:
    """Trend demand multiplier ``(1 + g) ** (step / 4)`` of quarter ``step``."""
    return (1.0 + rates) ** (step / 4.0)


def solve_path(
    dataset: Dataset,
    policies: Sequence[PolicyLike],
    policy_targets: Sequence[Target],
    first: Quarter,
    last: Quarter,
    parameters: dict[str, dict] | None = None,
    demand_growth: dict[str, float] | None = None,
) -> PathSolution:
    """Solve every quarter from ``first`` to ``last``, with the policies and without.

    Parameters
    ----------
    dataset : Dataset
    policies : sequence of PolicySpec
    policy_targets : sequence of Target
        Masks of each policy (see :func:`sim.policy.target`).
    first, last : Quarter
    parameters : dict, optional
        Elasticity overrides (see :func:`elasticity_paths`).
    demand_growth : dict, optional
        ``region -> annual trend growth of demand``.

    Returns
    -------
    PathSolution
    """
    return solve_markets(
        Baseline(dataset.flows, dataset.tariffs),
        elasticity_paths(dataset, parameters or {}),
        growth_rates(dataset, demand_growth or {}),
        policies,
        policy_targets,
        tuple(quarter_range(first, last)),
        dataset.sectors,
    )


def solve_markets(
    baseline: Baseline,
    paths: ElasticityPaths,
    rates: FloatArray,
    policies: Sequence[PolicyLike],
    policy_targets: Sequence[Target],
    quarters: tuple[Quarter, ...],
    sector_names: tuple[str, ...],
) -> PathSolution:
    """Solve the path of any stack of independent sector markets.

    The arrays need not come from one dataset: a Monte Carlo chunk stacks the sectors of
    many parameter draws along the sector axis and solves them at once. Policy fields may
    then be arrays with one value per stacked sector.

    Parameters
    ----------
    baseline : Baseline
    paths : ElasticityPaths
    rates : ndarray, shape (sector, region)
        Annual trend growth of demand.
    policies, policy_targets : sequences
        As for :func:`solve_path`, with masks over the stacked sectors.
    quarters : tuple of Quarter
    sector_names : tuple of str
        Names of the stacked sectors, for solver errors.
    """
    changes: list[list[dt.date]] = [[] for _ in sector_names]
    for policy, where in zip(policies, policy_targets, strict=True):
        for s in np.flatnonzero(where.rows.any(axis=1) | where.cells.any(axis=(1, 2))):
            changes[s].extend(change_dates(policy))
    pairs = list(zip(policies, policy_targets, strict=True))
    scenario: list[PeriodSolution] = []
    reference: list[PeriodSolution] = []
    guess: FloatArray | None = None
    for step, quarter in enumerate(quarters):
        growth = growth_multiplier(rates, step)
        elasticities = blend(paths, adjustment_weight(quarter, changes, paths.half_life))
        segments = []
        for span, weight in spans(quarter, policies):
            state = policy_state(baseline, pairs, quarter, growth, span)
            x, report, state = solve_with_quotas(
                baseline,
                state,
                elasticities,
                _solver(baseline, elasticities, sector_names, quarter),
                guess,
                sector_names=sector_names,
                period=str(quarter),
            )
            guess = x
            segments.append(
                Segment(weight, state, evaluate(x, baseline, state, elasticities), report, span)
            )
        scenario.append(PeriodSolution(quarter, elasticities, tuple(segments)))
        whole = (quarter.first_day, quarter.end_day)
        # The no-policy path uses the same elasticities, so the gap is the policies' alone.
        state = policy_state(baseline, (), quarter, growth)
        x, report = _solve(baseline, state, elasticities, None, sector_names, quarter)
        equilibrium = evaluate(x, baseline, state, elasticities)
        reference.append(
            PeriodSolution(
                quarter, elasticities, (Segment(1.0, state, equilibrium, report, whole),)
            )
        )
    return PathSolution(baseline, quarters, tuple(scenario), tuple(reference))


def _solver(
    baseline: Baseline,
    elasticities: Elasticities,
    sector_names: tuple[str, ...],
    quarter: Quarter,
) -> Solver:
    """The market solver of one quarter as a function of the policy state and a start."""

    def solve(policy: Policy, start: FloatArray | None) -> tuple[FloatArray, SolveReport]:
        return _solve(baseline, policy, elasticities, start, sector_names, quarter)

    return solve


def _solve(
    baseline: Baseline,
    state: Policy,
    elasticities: Elasticities,
    guess: FloatArray | None,
    sector_names: tuple[str, ...],
    quarter: Quarter,
) -> tuple[FloatArray, SolveReport]:
    return solve_period(
        baseline,
        state,
        elasticities,
        initial=guess,
        sector_names=sector_names,
        period=str(quarter),
    )
