r"""The quarterly path: policy timing, partial adjustment, trend demand.

Each quarter is a static equilibrium (:mod:`sim.solve`) under that quarter's policy state.
A sector's quarter is cut where its own policy state changes (:mod:`sim.sector_parts`),
and its parts are solved in order of time.
Buyers and sellers adjust to every change of a price from its short-run to its long-run
elasticity, on that change's own clock (:mod:`sim.adjustment`): what a part remembers is
the recent price changes of the parts before it, so no part depends on a later one, and a
market whose prices do not change keeps adjusting on its old clock.

A path is solved twice: with the scenario's policies and with those of its comparison run
(by default none: the no-policy path). Both carry the same trend demand growth and
elasticities, and each has its own adjustment memory. A sector whose own parts are the
same in both runs in every quarter so far is solved once for both, and a sector at its
baseline takes the solution kept from its first solve there (:mod:`sim.at_rest`): the
numbers are those of solving each run alone, every sector of every quarter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sim import adjustment
from sim.adjustment import AdjustmentSpeeds, AdjustmentState
from sim.at_rest import Kept, at_baseline, learn, nothing_kept, recall
from sim.datatypes import ELASTICITIES, ELASTICITY_KEYS, Dataset
from sim.daymean import day_mean
from sim.model import Baseline, Elasticities, Equilibrium, FloatArray, Policy, evaluate
from sim.policy import PolicyLike, SharedFlowArrays, Span, Target, policy_state, spans
from sim.processing import (
    Routes,
    processing_baseline,
    recorded_baseline,
    recorded_flows,
)
from sim.quarters import Quarter, quarter_range
from sim.quota import solve_with_quotas
from sim.sector_parts import (
    IntArray,
    SectorGroup,
    gather,
    group_routes,
    rows,
    same_own_parts,
    sector_groups,
)
from sim.solve import SolveReport, solve_and_evaluate


@dataclass(frozen=True)
class Segment:
    """The equilibrium of one part of a quarter, with its share of the quarter's days.

    ``days`` is the part's first day and the day after its last; ``route_shares`` each
    processing route's share of its cell (:func:`sim.processing.channel_policy`).
    """

    weight: float
    policy: Policy
    equilibrium: Equilibrium
    report: SolveReport
    days: tuple[dt.date, dt.date]
    route_shares: FloatArray | None = None


@dataclass(frozen=True)
class PeriodSolution:
    """One quarter of one path: the day-weighted equilibria of its parts.

    A quarter in which a policy starts or ends is solved once for each part with a
    different set of policies in force; its flows, prices and welfare are the averages of
    those equilibria weighted by days (a ban from 24 August leaves 2023Q3 with 54 days of
    normal trade and 38 of none). The segments are the parts of the quarter cut at every
    sector's days; a sector's equilibrium in each is that of its own part covering it
    (:mod:`sim.sector_parts`), so another sector's cut does not change its averages.

    Bilateral values and volumes are recorded as trade statistics record them: a processing
    route's first leg in the origin -> processor flow, its processed leg in the processor ->
    destination flow (:func:`sim.processing.recorded_flows`).
    """

    quarter: Quarter
    elasticities: Elasticities
    segments: tuple[Segment, ...]
    routes: Routes | None = None
    # What the tables need of the quarter, computed before its flow-sized arrays were let
    # go (:func:`sim.tables.quarter_figures`, for a quarter written as it is solved); None:
    # computed from the arrays when asked.
    figures: dict[str, Any] | None = None
    # Sectors at their baseline all quarter (:mod:`sim.at_rest`): in every part their
    # policy rows are those of no policy and their equilibrium rows the kept baseline
    # solution, the same bits in every such quarter of either path. None: not known.
    resting: NDArray[np.bool_] | None = field(default=None, compare=False)

    def _mean(self, values: list[FloatArray]) -> FloatArray:
        return day_mean([(seg.weight, v) for seg, v in zip(self.segments, values, strict=True)])

    def _recorded(self, cells: FloatArray, segment: Segment) -> FloatArray:
        if self.routes is None or segment.route_shares is None:
            return cells
        return recorded_flows(cells, segment.route_shares, self.routes)

    def segment_value(self, segment: Segment) -> FloatArray:
        """One part's bilateral values at producer prices (annual rate), as recorded."""
        eq = segment.equilibrium
        return self._recorded(eq.producer_price[:, :, None] * eq.demand, segment)

    @cached_property
    def value(self) -> FloatArray:
        """Bilateral values at producer prices (annual rate), shape (sector, origin, dest)."""
        return self._mean([self.segment_value(s) for s in self.segments])

    def sector_value(self, sectors: IntArray | slice | list[int]) -> FloatArray:
        """:attr:`value` of some sectors, the same numbers, without forming the others'."""
        if self.routes is not None:  # a route's recorded flows move values between cells
            return self.value[sectors]
        # the same operations on these rows as _mean on all of them
        return day_mean(
            [
                (
                    seg.weight,
                    seg.equilibrium.producer_price[sectors][:, :, None]
                    * seg.equilibrium.demand[sectors],
                )
                for seg in self.segments
            ]
        )

    def sector_volume(self, sectors: IntArray | slice | list[int]) -> FloatArray:
        """:attr:`volume` of some sectors, the same numbers, without forming the others'."""
        if self.routes is not None:
            return self.volume[sectors]
        return day_mean([(seg.weight, seg.equilibrium.demand[sectors]) for seg in self.segments])

    @cached_property
    def volume(self) -> FloatArray:
        """Bilateral quantities (annual rate, baseline prices), shape (sector, origin, dest)."""
        return self._mean([self._recorded(s.equilibrium.demand, s) for s in self.segments])

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
    """A scenario's quarterly path and its comparison run's (``reference``)."""

    baseline: Baseline
    quarters: tuple[Quarter, ...]
    scenario: tuple[PeriodSolution, ...]
    reference: tuple[PeriodSolution, ...]


# Starting log prices given for a path: for each quarter, for the scenario and the
# comparison run, the log prices (shape (sector, origin)) to start each part from, by the
# part's first day. A part with none starts as usual.
Starts = Sequence[tuple[Mapping[dt.date, FloatArray], Mapping[dt.date, FloatArray]]]


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
        ``sector -> {sigma|sigma_domestic|sigma_import|eps|eta: {short_run, long_run},
        half_life_quarters, regions: {REGION: {...}}}``. ``sigma`` sets both nests of the
        demand (one-level CES); the specific nests' keys are applied after it.
    """
    short = {name: dataset.elasticities[name].short_run.copy() for name in ELASTICITIES}
    long = {name: dataset.elasticities[name].long_run.copy() for name in ELASTICITIES}
    half_life = dataset.half_life.copy()
    runs = {"short_run": short, "long_run": long}
    for sector, spec in parameters.items():
        s = dataset.sector_index(sector)
        for key, names in ELASTICITY_KEYS.items():
            for run, value in spec.get(key, {}).items():
                for name in names:
                    runs[run][name][s, :] = value
        for region, block in spec.get("regions", {}).items():
            r = dataset.region_index(region)
            for key, names in ELASTICITY_KEYS.items():
                for run, value in block.get(key, {}).items():
                    for name in names:
                        runs[run][name][s, r] = value
        if "half_life_quarters" in spec:
            half_life[s] = spec["half_life_quarters"]
    return ElasticityPaths(short, long, half_life)


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
    comparison: Sequence[PolicyLike] = (),
    comparison_targets: Sequence[Target] = (),
    *,
    starts: Starts | None = None,
) -> PathSolution:
    """Solve every quarter from ``first`` to ``last``: the scenario and its comparison run.

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
    comparison, comparison_targets : sequences, optional
        Policies of the comparison run and their masks; none by default.
    starts : Starts, optional
        Log prices to start each quarter part from (see :func:`solve_markets`).

    Returns
    -------
    PathSolution
    """
    return solve_markets(
        processing_baseline(dataset.flows, dataset.tariffs, dataset.routes),
        elasticity_paths(dataset, parameters or {}),
        growth_rates(dataset, demand_growth or {}),
        policies,
        policy_targets,
        tuple(quarter_range(first, last)),
        dataset.sectors,
        comparison,
        comparison_targets,
        dataset.routes,
        starts=starts,
    )


def solve_markets(
    baseline: Baseline,
    paths: ElasticityPaths,
    rates: FloatArray,
    policies: Sequence[PolicyLike],
    policy_targets: Sequence[Target],
    quarters: tuple[Quarter, ...],
    sector_names: tuple[str, ...],
    comparison: Sequence[PolicyLike] = (),
    comparison_targets: Sequence[Target] = (),
    routes: Routes | None = None,
    *,
    starts: Starts | None = None,
) -> PathSolution:
    """Solve the path of any stack of independent sector markets, and its comparison run.

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
    comparison, comparison_targets : sequences, optional
        The policies of the comparison run and their masks; none (the no-policy path) by
        default.
    routes : Routes, optional
        Processing routes of the stacked sectors (``baseline`` holds them in their cells).
    starts : Starts, optional
        Log prices to start each quarter part's Newton solve from (a Monte Carlo draw
        starts from the central run's); by default a quarter starts from the previous
        quarter's prices, or from zeros when it is solved as one group. The numbers are
        the solution either way, to the solver's tolerance.
    """
    speeds = adjustment_speeds(paths)
    routes = routes if routes is not None and len(routes) else None
    scenario, reference = _solve_branching(
        baseline,
        speeds,
        rates,
        (policies, policy_targets),
        (comparison, comparison_targets),
        quarters,
        sector_names,
        routes,
        starts,
    )
    return PathSolution(baseline, quarters, scenario, reference)


def _solve_branching(
    baseline: Baseline,
    speeds: AdjustmentSpeeds,
    rates: FloatArray,
    run: tuple[Sequence[PolicyLike], Sequence[Target]],
    comparison: tuple[Sequence[PolicyLike], Sequence[Target]],
    quarters: tuple[Quarter, ...],
    sector_names: tuple[str, ...],
    routes: Routes | None,
    starts: Starts | None = None,
) -> tuple[tuple[PeriodSolution, ...], tuple[PeriodSolution, ...]]:
    """Both paths whole (:func:`_branching`)."""
    pairs = tuple(
        _branching(
            baseline, speeds, rates, run, comparison, quarters, sector_names, routes, starts=starts
        )
    )
    return tuple(p for p, _ in pairs), tuple(r for _, r in pairs)


def _branching(
    baseline: Baseline,
    speeds: AdjustmentSpeeds,
    rates: FloatArray,
    run: tuple[Sequence[PolicyLike], Sequence[Target]],
    comparison: tuple[Sequence[PolicyLike], Sequence[Target]],
    quarters: tuple[Quarter, ...],
    sector_names: tuple[str, ...],
    routes: Routes | None,
    *,
    reuse: bool = True,
    starts: Starts | None = None,
) -> Iterator[tuple[PeriodSolution, PeriodSolution]]:
    """Both paths a quarter at a time, each sector solved once while the two runs agree on it.

    A sector's quarter depends on its own policy parts, its trend growth and the adjustment
    memory and prices its earlier quarters left. While its own parts are the same in both
    runs quarter after quarter, so is everything else: it is solved once and its solution
    is part of both paths. From its first quarter with different parts it is solved in
    each run, from that run's memory and prices (every quarter shared: the two paths'
    quarters are the same objects). A sector at its baseline takes the baseline solution
    kept from its first solve there (:mod:`sim.at_rest`; not with ``reuse=False``).

    Each solve is of sectors of one group of each run (:func:`sim.sector_parts.sector_groups`);
    sectors are independent markets, so the numbers are those of solving each run's groups
    whole, and a group's report is that of its solves taken together (the most iterations:
    a batched Newton solve runs until its slowest sector is done).
    """
    sides = (run, comparison)
    pairs = [list(zip(*side, strict=True)) for side in sides]
    count = baseline.flows.shape[0]
    memory = [AdjustmentState.at_rest(baseline.flows.shape)] * 2
    guess: list[FloatArray | None] = [None, None]
    joint = np.ones(count, dtype=bool)
    kept = nothing_kept(count)
    neutral = Policy.none(baseline)
    # read, never written: read-only, so that what is found comparing states with it is
    # kept (sim.sector_parts.changed_rows)
    for name in (f.name for f in fields(Policy)):
        if isinstance(array := getattr(neutral, name), np.ndarray):
            array.flags.writeable = False
    flow_arrays = SharedFlowArrays()
    recorded = None if routes is None else recorded_baseline(baseline, routes)
    fixed = _FixedRows(baseline, speeds, sector_names, routes)
    for step, quarter in enumerate(quarters):
        fixed.next_quarter()
        flow_arrays.next_quarter()
        growth = growth_multiplier(rates, step)
        parts = [
            policy_parts(
                baseline,
                p,
                side[0],
                quarter,
                growth,
                routes,
                neutral=neutral,
                recorded=recorded,
                flow_arrays=flow_arrays,
            )
            for p, side in zip(pairs, sides, strict=True)
        ]
        groups = [sector_groups([state for _, _, state in p]) for p in parts]
        # A quarter solved as one group of all sectors starts from log prices of zero, one
        # of several groups from the last quarter's prices.
        start = [None if len(g) == 1 else guess[x] for x, g in enumerate(groups)]
        given = None if starts is None else starts[step]
        if given is not None:
            start = [given[x].get(parts[x][0][0][0], s) for x, s in enumerate(start)]
        joint &= _same_start(start[0], start[1], count)
        joint, quota = _still_shared(parts, groups, joint)
        # A shared sector is at its baseline in both runs or in neither.
        rest = _at_baseline(parts[0], groups[0], neutral, memory[0], start[0], fixed, reuse)
        theirs = rest.copy()
        split = np.flatnonzero(~joint)
        if len(split):
            theirs[split] = _at_baseline(
                parts[1], groups[1], neutral, memory[1], start[1], fixed, reuse, split
            )
        jobs = _plan(groups, joint, quota, (rest, theirs), kept.known)
        resting = (np.zeros(count, dtype=bool), np.zeros(count, dtype=bool))
        solved = []
        for job in jobs:
            x = job.runs[0]
            group = groups[x][job.groups[x]]  # type: ignore[index]
            own = [
                ((parts[x][first][0][0], parts[x][end - 1][0][1]), parts[x][first][2])
                for first, end in group.parts
            ]
            which = None if len(job.sectors) == count else job.sectors
            if job.kind == "recall":
                result = _recall(which, job.sectors, own, fixed.of(which), memory[x], kept)
            else:
                result = _solve_unit(
                    which,
                    own,
                    fixed.of(which),
                    memory[x],
                    start[x],
                    quarter,
                    None if given is None else given[x],
                )
                if job.kind == "learn":
                    (part,) = result.parts
                    kept = learn(kept, job.sectors, part.equilibrium, part.report)
            if job.kind != "solve":
                # a learnt solve is the kept solution only if it was kept
                for r in job.runs:
                    resting[r][job.sectors] = kept.known[job.sectors]
            solved.append((job, which, result))
        periods = []
        for x in (0, 1) if any(job.runs != (0, 1) for job in jobs) else (0,):
            mine = [(job.groups[x], which, r) for job, which, r in solved if x in job.runs]
            memory[x] = gather([(which, r.memory) for _, which, r in mine], count)
            prices = [(which, _Prices(r.log_price)) for _, which, r in mine]
            guess[x] = gather(prices, count).log_price
            segments = tuple(
                _assemble(j, parts[x], groups[x], mine, count, fixed) for j in range(len(parts[x]))
            )
            periods.append(
                PeriodSolution(quarter, speeds.long_run, segments, routes, resting=resting[x])
            )
        if len(periods) == 1:
            memory[1], guess[1] = memory[0], guess[0]
            periods.append(periods[0])
        yield periods[0], periods[1]


@dataclass(frozen=True)
class _Job:
    """Sectors of a quarter solved together, for one run or both.

    ``groups`` holds each run's index of the group the sectors are in (``None`` for a run
    that does not use them); ``kind`` is ``solve``, ``learn`` (at their baseline, solved
    and kept) or ``recall`` (at their baseline, the kept solution taken).
    """

    sectors: IntArray
    runs: tuple[int, ...]
    groups: tuple[int | None, int | None]
    kind: str


def _at_baseline(
    parts: list[tuple[Span, float, Policy]],
    groups: Sequence[SectorGroup],
    neutral: Policy,
    memory: AdjustmentState,
    start: FloatArray | None,
    fixed: _FixedRows,
    reuse: bool,
    sectors: IntArray | None = None,
) -> NDArray[np.bool_]:
    """Sectors at their baseline for the whole quarter (:func:`sim.at_rest.at_baseline`).

    Of all sectors, or of ``sectors`` only (shape (len(sectors),)).
    """
    count = len(neutral.tariff)
    if not reuse:
        return np.zeros(count if sectors is None else len(sectors), dtype=bool)
    rest = at_baseline(
        rows(parts[0][2], sectors),
        fixed.neutral(neutral, sectors),
        rows(memory, sectors),
        start if start is None or sectors is None else start[sectors],
        fixed.of(sectors).routes,
    )
    single = np.ones(count, dtype=bool)
    for group in groups:
        if len(group.parts) > 1:
            single[_members(group, count)] = False
    return rest & (single if sectors is None else single[sectors])


def _same_start(a: FloatArray | None, b: FloatArray | None, count: int) -> NDArray[np.bool_]:
    """Sectors whose Newton solve starts from the same bits in both runs, shape (sector,).

    ``None`` starts from zeros; the solver starts from a closed-off origin's price at 0.
    """
    if a is None and b is None:
        return np.ones(count, dtype=bool)
    x, y = (np.zeros((count, 1)) if v is None else np.nan_to_num(v, neginf=0.0) for v in (a, b))
    same = (x == y) & (np.signbit(x) == np.signbit(y))
    return np.asarray(same.all(axis=1))


def _members(group: SectorGroup, count: int) -> IntArray:
    return np.arange(count) if group.sectors is None else group.sectors


def _still_shared(
    parts: Sequence[list[tuple[Span, float, Policy]]],
    groups: Sequence[Sequence[SectorGroup]],
    joint: NDArray[np.bool_],
) -> tuple[NDArray[np.bool_], list[NDArray[np.bool_]]]:
    """Sectors still shared by both runs after this quarter, and each run's quota groups.

    A group with a quota is solved whole: its quota rounds run until every sector in it is
    settled, so its sectors' numbers depend on the group. Its sectors are shared only
    while the whole quarter is (then the runs' groups are the same).
    """
    count = len(joint)
    if joint.any():
        joint = joint & same_own_parts(
            [(span, state) for span, _, state in parts[0]],
            groups[0],
            [(span, state) for span, _, state in parts[1]],
            groups[1],
            count,
        )
    quota = [_quota_groups(p, g, count) for p, g in zip(parts, groups, strict=True)]
    if not joint.all():
        joint &= ~quota[0] & ~quota[1]
    return joint, quota


def _plan(
    groups: Sequence[Sequence[SectorGroup]],
    joint: NDArray[np.bool_],
    quota: Sequence[NDArray[np.bool_]],
    rest: Sequence[NDArray[np.bool_]],
    known: NDArray[np.bool_],
) -> list[_Job]:
    """The solves of a quarter: each group's shared sectors once, the others in each run.

    The sectors of a quota's group are solved together; of the others, those at their
    baseline take the kept solution, or are solved and kept if there is none yet.
    """
    count = len(joint)
    place = [_group_index(g, count) for g in groups]
    jobs: list[_Job] = []
    for x in (0, 1):
        for group in groups[x]:
            members = _members(group, count)
            shared = members[joint[members]] if x == 0 else members[:0]
            for sectors, runs in ((shared, (0, 1)), (members[~joint[members]], (x,))):
                if not len(sectors):
                    continue
                index = tuple(int(place[r][sectors[0]]) if r in runs else None for r in (0, 1))
                assert all(np.all(place[r][sectors] == index[r]) for r in runs)
                if quota[x][sectors[0]]:
                    jobs.append(_Job(sectors, runs, index, "solve"))  # type: ignore[arg-type]
                    continue
                at_rest = rest[x][sectors]
                for kind, chosen in (
                    ("recall", at_rest & known[sectors]),
                    ("learn", at_rest & ~known[sectors]),
                    ("solve", ~at_rest),
                ):
                    if chosen.any():
                        jobs.append(_Job(sectors[chosen], runs, index, kind))  # type: ignore[arg-type]
    return jobs


def _group_index(groups: Sequence[SectorGroup], count: int) -> IntArray:
    """Each sector's group, by index, shape (sector,)."""
    index = np.empty(count, dtype=np.intp)
    for k, group in enumerate(groups):
        index[_members(group, count)] = k
    return index


def _quota_groups(
    parts: list[tuple[Span, float, Policy]], groups: Sequence[SectorGroup], count: int
) -> NDArray[np.bool_]:
    """Sectors in a group with a quota in any part of the quarter, shape (sector,)."""
    ceiling = np.zeros(count, dtype=bool)
    for _, _, state in parts:
        if state.quota is not None:
            ceiling |= np.isfinite(state.quota).reshape(count, -1).any(axis=1)
    out = np.zeros(count, dtype=bool)
    for group in groups:
        members = _members(group, count)
        out[members] = ceiling[members].any()
    return out


def adjustment_speeds(paths: ElasticityPaths) -> AdjustmentSpeeds:
    """The partial-adjustment parameters of :mod:`sim.adjustment` from elasticity paths."""
    short, long = (_elasticities(run) for run in (paths.short_run, paths.long_run))
    if all(
        np.array_equal(run["sigma_import"], run["sigma"])
        for run in (paths.short_run, paths.long_run)
    ):
        # Equal nests are the one-level CES: solved as such, exactly as without nesting.
        short, long = replace(short, sigma_import=None), replace(long, sigma_import=None)
    return adjustment.speeds(short, long, paths.half_life)


def _elasticities(run: dict[str, FloatArray]) -> Elasticities:
    return Elasticities(run["sigma"], run["eps"], run["eta"], sigma_import=run["sigma_import"])


def iter_path(
    dataset: Dataset,
    policies: Sequence[PolicyLike],
    policy_targets: Sequence[Target],
    first: Quarter,
    last: Quarter,
    parameters: dict[str, dict] | None = None,
    demand_growth: dict[str, float] | None = None,
    comparison: Sequence[PolicyLike] = (),
    comparison_targets: Sequence[Target] = (),
) -> tuple[Baseline, tuple[Quarter, ...], Iterator[tuple[PeriodSolution, PeriodSolution]]]:
    """:func:`solve_path` a quarter at a time: the scenario's and the comparison run's.

    Each path is solved exactly as :func:`solve_path` solves it (a path depends on its own
    earlier parts only), so the quarters are the same numbers; only one quarter of each
    path need be held at a time. As in :func:`solve_markets`, a sector whose own policy
    parts are the same in both runs in every quarter so far is solved once for both; a
    quarter in which every sector is is the same object in both paths.

    Returns
    -------
    baseline : Baseline
    quarters : tuple of Quarter
    periods : iterator of (PeriodSolution, PeriodSolution)
        The scenario's and the comparison run's solution of each quarter, in order.
    """
    baseline = processing_baseline(dataset.flows, dataset.tariffs, dataset.routes)
    paths = elasticity_paths(dataset, parameters or {})
    speeds = adjustment_speeds(paths)
    rates = growth_rates(dataset, demand_growth or {})
    quarters = tuple(quarter_range(first, last))
    routes = dataset.routes if dataset.routes is not None and len(dataset.routes) else None
    periods = _branching(
        baseline,
        speeds,
        rates,
        (policies, policy_targets),
        (comparison, comparison_targets),
        quarters,
        dataset.sectors,
        routes,
    )
    return baseline, quarters, periods


@dataclass(frozen=True)
class _Rows:
    """The rows of some sectors of a path's fixed inputs (:func:`sim.sector_parts.rows`).

    ``route_mask`` tells which of the path's routes are theirs (``None``: all sectors).
    """

    baseline: Baseline
    speeds: AdjustmentSpeeds
    names: tuple[str, ...]
    routes: Routes | None
    route_mask: NDArray[np.bool_] | None


class _FixedRows:
    """The rows of the path's fixed inputs by set of sectors, kept from quarter to quarter.

    Groups of sectors tend to recur (the same sectors cut at the same days, quarter after
    quarter): their rows are taken once. Only the sets used in the last two quarters are
    held, so a path whose groups keep changing holds no more than two quarters' worth.
    """

    def __init__(
        self,
        baseline: Baseline,
        speeds: AdjustmentSpeeds,
        sector_names: tuple[str, ...],
        routes: Routes | None,
    ) -> None:
        self._inputs = (baseline, speeds, sector_names, routes)
        self._whole = _Rows(baseline, speeds, sector_names, routes, None)
        self._now: dict[bytes, _Rows] = {}
        self._before: dict[bytes, _Rows] = {}
        self._neutral: dict[bytes, Policy] = {}
        self._neutral_before: dict[bytes, Policy] = {}

    def next_quarter(self) -> None:
        """Start a quarter: forget the sets of sectors not used in the last one."""
        self._before, self._now = self._now, {}
        self._neutral_before, self._neutral = self._neutral, {}

    def neutral(self, neutral: Policy, sectors: IntArray | None) -> Policy:
        """The rows of ``sectors`` of ``neutral``, the path's state of no policy."""
        if sectors is None:
            return neutral
        key = sectors.tobytes()
        found = self._neutral.get(key)
        if found is None:
            found = self._neutral_before.get(key)
            if found is None:
                found = rows(neutral, sectors)
            self._neutral[key] = found
        return found

    def of(self, sectors: IntArray | None) -> _Rows:
        """The rows of ``sectors`` (``None``: all of them)."""
        if sectors is None:
            return self._whole
        key = sectors.tobytes()
        found = self._now.get(key)
        if found is None:
            found = self._before.get(key)
            if found is None:
                baseline, speeds, names, routes = self._inputs
                mine, mask = group_routes(routes, sectors)
                found = _Rows(
                    rows(baseline, sectors),
                    rows(speeds, sectors),
                    tuple(names[k] for k in sectors),
                    mine,
                    mask,
                )
            self._now[key] = found
        return found


@dataclass(frozen=True)
class _Prices:
    """A group's log prices, shape (sector, origin), as a record to gather."""

    log_price: FloatArray


@dataclass(frozen=True)
class _Part:
    """One own part of some sectors, solved (arrays over those sectors).

    ``policy`` is the state solved; ``None`` when it is the sectors' rows of the state of
    the quarter part the own part starts with, unchanged by the solve (no quota wedges, no
    channels). A quarter part whose sectors all solved such rows of one state is that state.
    """

    policy: Policy | None
    equilibrium: Equilibrium
    report: SolveReport
    route_shares: FloatArray | None
    whole: bool = False
    """Whether ``equilibrium``'s arrays are over every sector (the part's rows taken)."""


@dataclass(frozen=True)
class _Solved:
    """A group's parts of one quarter, its adjustment memory and prices after them."""

    parts: tuple[_Part, ...]
    memory: AdjustmentState
    log_price: FloatArray


def _solve_unit(
    which: IntArray | None,
    own: list[tuple[Span, Policy]],
    fixed: _Rows,
    memory: AdjustmentState,
    guess: FloatArray | None,
    quarter: Quarter,
    starts: Mapping[dt.date, FloatArray] | None = None,
) -> _Solved:
    """Solve some sectors' own parts of a quarter (days and states), in order of time.

    ``fixed`` holds the rows of ``which`` of the path's fixed inputs. A part starts from
    the previous part's prices, or from ``starts`` of its first day (all sectors' rows)
    when given.
    """
    baseline, speeds, names, routes = fixed.baseline, fixed.speeds, fixed.names, fixed.routes
    memory = rows(memory, which)
    guess = None if guess is None or which is None else guess[which]
    solved: list[_Part] = []
    for span, whole in own:
        if starts is not None and span[0] in starts:
            guess = starts[span[0]] if which is None else starts[span[0]][which]
        state = given = rows(whole, which)
        elasticities = adjustment.period_elasticities(speeds, memory, *span)
        solver = _EvaluatingSolver(baseline, elasticities, names, quarter)
        x, report, state, (model_state, shares) = solve_with_quotas(
            baseline,
            state,
            elasticities,
            solver,
            guess,
            sector_names=names,
            period=str(quarter),
            routes=routes,
        )
        if routes is not None:
            state = model_state  # with channels: the solver's own state, kept as solved
        guess = x
        equilibrium = solver.equilibrium(state, x)
        memory = adjustment.advance(speeds, memory, span[0], state.log_wedge(baseline), equilibrium)
        if which is not None:
            report = replace(
                report, fallback_sectors=tuple(int(which[k]) for k in report.fallback_sectors)
            )
        unchanged = state is given and routes is None
        solved.append(_Part(None if unchanged else state, equilibrium, report, shares))
    assert guess is not None
    return _Solved(tuple(solved), memory, guess)


def _recall(
    which: IntArray | None,
    sectors: IntArray,
    own: list[tuple[Span, Policy]],
    fixed: _Rows,
    memory: AdjustmentState,
    kept: Kept,
) -> _Solved:
    """Sectors at their baseline for a whole quarter: the kept solution, memory advanced.

    What :func:`_solve_unit` would return (:mod:`sim.at_rest`): no iteration, a residual of
    0, and the memory advanced from the same equilibrium.
    """
    ((span, _),) = own
    assert kept.known[sectors].all()
    # the kept arrays of every sector: their rows are taken when the quarter is assembled
    whole = recall(kept)
    # the flow-sized arrays are neither read nor copied here
    mine = rows(whole, which, skip=("demand", "spending_shares"))
    memory = rows(memory, which, skip=("delivered", "young_delivered"))
    # The rows of a state at its baseline set no export tax, no trade cost and the
    # baseline tariffs: their log wedge is +0, and the memory of delivered prices stays 0.
    memory = adjustment.advance_at_baseline(fixed.speeds, memory, span[0], mine)
    part = _Part(None, whole, SolveReport(0, 0.0), None, whole=True)
    return _Solved((part,), memory, mine.log_price)


def _assemble(
    j: int,
    parts: Sequence[tuple[Span, float, Policy]],
    groups: Sequence[SectorGroup],
    solved: Sequence[tuple[int | None, IntArray | None, _Solved]],
    count: int,
    fixed: _FixedRows,
) -> Segment:
    """The quarter's ``j``-th part: each sector's own part that covers it.

    ``solved`` holds each solve of the run's sectors with its group and sectors; ``parts``
    the run's quarter parts. A group's solves are reported in the first quarter part its
    own part covers, as one.
    """
    span, weight, _ = parts[j]
    own: list[tuple[IntArray | None, _Part, int]] = []
    starts: set[int] = set()
    reported: dict[int, list[SolveReport]] = {}
    routes = fixed.of(None).routes
    shares = None if routes is None else np.zeros(len(routes))
    for index, sectors, result in solved:
        assert index is not None
        group = groups[index]
        k = next(k for k, (first, end) in enumerate(group.parts) if first <= j < end)
        part = result.parts[k]
        first = group.parts[k][0]
        starts.add(first if part.policy is None else -1)
        own.append((sectors, part, first))
        if first == j:
            reported.setdefault(index, []).append(part.report)
        if shares is not None and part.route_shares is not None:
            mine = fixed.of(sectors).route_mask
            shares[slice(None) if mine is None else mine] = part.route_shares
    reports = [_together(r) for r in reported.values()]
    report = SolveReport(
        sum(r.iterations for r in reports),
        max((r.residual for r in reports), default=0.0),
        tuple(sorted(k for r in reports for k in r.fallback_sectors)),
    )
    if len(starts) == 1 and -1 not in starts:
        policy = parts[starts.pop()][2]
    else:
        policy = gather(
            [(g, parts[f][2] if p.policy is None else p.policy) for g, p, f in own],
            count,
            whole=[p.policy is None for _, p, _ in own],
        )
    pieces = [(g, p.equilibrium) for g, p, _ in own]
    equilibrium = gather(
        pieces, count, skip=("spending_shares",), whole=[p.whole for _, p, _ in own]
    )
    return Segment(weight, policy, _kept(equilibrium), report, span, shares)


def _together(reports: Sequence[SolveReport]) -> SolveReport:
    """The report of one batched solve of the sectors of several solves.

    Sectors are independent markets and each keeps its own Newton iterations, so the batch
    iterates as long as its slowest sector: the most iterations, the largest residual.
    """
    return SolveReport(
        max(r.iterations for r in reports),
        max(r.residual for r in reports),
        tuple(sorted(k for r in reports for k in r.fallback_sectors)),
    )


def policy_parts(
    baseline: Baseline,
    pairs: Sequence[tuple[PolicyLike, Target]],
    policies: Sequence[PolicyLike],
    quarter: Quarter,
    growth: FloatArray,
    routes: Routes | None = None,
    *,
    neutral: Policy | None = None,
    recorded: FloatArray | None = None,
    flow_arrays: SharedFlowArrays | None = None,
) -> list[tuple[Span, float, Policy]]:
    """The parts of a quarter with different policy states, and each part's state.

    A quarter is cut where a policy starts or ends (:func:`sim.policy.spans`); neighbouring
    parts whose states are equal are one part, so that a policy restated as two
    back-to-back halves with the same terms is solved exactly as the whole. The states are
    those of the legs: with processing routes, quotas as volumes are shares of the recorded
    flows, and the channels are added when the part is solved. A part with no policy in
    force shares the arrays of ``neutral`` (the state of no policy), if given
    (:func:`sim.policy.policy_state`). ``recorded`` is the recorded baseline of ``routes``
    (:func:`sim.processing.recorded_baseline`), if already known. ``flow_arrays``: where
    the states of a path share their flow-sized arrays (:func:`sim.policy.policy_state`).
    """
    if recorded is None and routes is not None:
        recorded = recorded_baseline(baseline, routes)
    parts: list[tuple[Span, float, Policy]] = []
    for span, weight in spans(quarter, policies):
        state = policy_state(
            baseline,
            pairs,
            quarter,
            growth,
            span,
            recorded=recorded,
            none=neutral,
            flow_arrays=flow_arrays,
        )
        if parts and _same_state(parts[-1][2], state):
            (first, _), before, _ = parts[-1]
            parts[-1] = ((first, span[1]), before + weight, parts[-1][2])
        else:
            parts.append((span, weight, state))
    return parts


def _same_state(a: Policy, b: Policy) -> bool:
    for f in fields(Policy):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if x is y:
            continue
        if (x is None) != (y is None):
            return False
        if x is not None and not np.array_equal(x, y):
            return False
    return True


class _EvaluatingSolver:
    """The market solver of one quarter that keeps the equilibrium of its last solve.

    The solver evaluates the model at the prices it finds anyway; the part's equilibrium
    is that evaluation when the state solved is the state kept (no channels were added).
    """

    def __init__(
        self,
        baseline: Baseline,
        elasticities: Elasticities,
        sector_names: tuple[str, ...],
        quarter: Quarter,
    ) -> None:
        self._arguments = (baseline, elasticities, sector_names, quarter)
        self._last: tuple[Policy, FloatArray, Equilibrium] | None = None

    def __call__(self, policy: Policy, start: FloatArray | None) -> tuple[FloatArray, SolveReport]:
        baseline, elasticities, sector_names, quarter = self._arguments
        x, report, equilibrium = solve_and_evaluate(
            baseline,
            policy,
            elasticities,
            initial=start,
            sector_names=sector_names,
            period=str(quarter),
        )
        self._last = (policy, x, equilibrium)
        return x, report

    def equilibrium(self, policy: Policy, x: FloatArray) -> Equilibrium:
        """The equilibrium of ``policy`` at ``x``: the last solve's if it was this one."""
        if self._last is not None and self._last[0] is policy and self._last[1] is x:
            return self._last[2]
        baseline, elasticities, _, _ = self._arguments
        return evaluate(x, baseline, policy, elasticities)


def _kept(equilibrium: Equilibrium) -> Equilibrium:
    """What a path keeps of a solved equilibrium: all but the spending shares.

    The shares (one value per flow) serve only the solver's Jacobian; a GTAP-sized path
    would hold 10 MB of them per quarter part. They are replaced by a read-only NaN view
    that takes no memory; :func:`sim.model.evaluate` recomputes them if ever needed.
    """
    shape = equilibrium.demand.shape
    return replace(equilibrium, spending_shares=np.broadcast_to(np.float64(np.nan), shape))
