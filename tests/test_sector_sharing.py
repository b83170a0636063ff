"""Sectors shared by a scenario and its comparison run, and sectors at their baseline.

The truth here is each run solved alone, every sector of every quarter solved (the
private ``reuse=False`` of :func:`sim.timepath._branching`, with the run as its own
comparison run, so that nothing is shared with another run): the shared solve must give
its numbers to the bit, iteration counts included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from sim import adjustment
from sim.adjustment import AdjustmentState
from sim.at_rest import at_baseline, learn, nothing_kept
from sim.dataset import Dataset, load_dataset
from sim.model import Baseline, Policy
from sim.policy import Target, target
from sim.processing import processing_baseline
from sim.quarters import Quarter, quarter_range
from sim.scenario import PolicySpec, load_scenario
from sim.scenario_path import _path_arguments
from sim.solve import SolveReport
from sim.synth import write_synthetic
from sim.timepath import (
    PeriodSolution,
    _branching,
    adjustment_speeds,
    elasticity_paths,
    growth_rates,
    solve_markets,
    solve_path,
)
from tests.conftest import SCENARIOS, same_bits

FIRST, LAST = Quarter(2023, 1), Quarter(2025, 4)


def alone(
    dataset: Dataset,
    policies: Sequence[PolicySpec],
    targets: Sequence[Target],
    rates: np.ndarray,
    quarters: tuple[Quarter, ...],
) -> list[PeriodSolution]:
    """One run's path, every sector solved in every quarter, nothing from another run."""
    run = (policies, targets)
    routes = dataset.routes if dataset.routes is not None and len(dataset.routes) else None
    pairs = _branching(
        processing_baseline(dataset.flows, dataset.tariffs, dataset.routes),
        adjustment_speeds(elasticity_paths(dataset, {})),
        rates,
        run,
        run,
        quarters,
        dataset.sectors,
        routes,
        reuse=False,
    )
    return [period for period, _ in pairs]


def assert_same_paths(shared: Sequence[PeriodSolution], truth: Sequence[PeriodSolution]) -> None:
    assert len(shared) == len(truth)
    for k, (a, b) in enumerate(zip(shared, truth, strict=True)):
        assert same_bits(a, b), k
        assert a.iterations == b.iterations, k


def where(dataset: Dataset, policies: Sequence[PolicySpec]) -> list[Target]:
    return [
        target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
        for p in policies
    ]


def policy(**fields: object) -> PolicySpec:
    base: dict[str, object] = dict(
        id="p", type="ban", sectors=("s01",), exporters=("R001",), importers=("R002",)
    )
    base.update(fields)
    return PolicySpec(**base)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    path, _ = write_synthetic(tmp_path_factory.mktemp("synth") / "synth.yaml", 9, 6, 3)
    return load_dataset(path)


@pytest.mark.parametrize(
    "name",
    [
        "baseline",
        "seafood-ban-lifted",
        "detente",
        "escalation",
        "export-controls-tightened",
        "history-2023-ban",
        "history-observed",
    ],
)
def test_each_path_of_a_shipped_scenario_is_its_run_solved_alone(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    dataset, policies, targets, first, last, parameters, growth, theirs, their_targets = (
        _path_arguments(scenario)
    )
    assert not parameters  # the truth below solves with the dataset's elasticities
    shared = solve_path(
        dataset, policies, targets, first, last, None, growth, theirs, their_targets
    )
    rates = growth_rates(dataset, growth or {})
    quarters = tuple(quarter_range(first, last))
    assert_same_paths(shared.scenario, alone(dataset, policies, targets, rates, quarters))
    assert_same_paths(shared.reference, alone(dataset, theirs, their_targets, rates, quarters))


@pytest.mark.parametrize("growth", [{}, {"R002": 0.04, "R005": -0.02}])
def test_runs_sharing_some_sectors_with_policies_from_mid_quarter(
    synthetic: Dataset, growth: dict[str, float]
) -> None:
    """s01 has the same ban in both runs, s02 and s03 differ from mid-quarter, s04-s06 idle.

    Without growth the idle sectors are at their baseline and their kept solution is taken;
    with growth they are not, and each quarter is solved.
    """
    ban = policy(id="ban", start=dt.date(2023, 8, 24), end=dt.date(2024, 7, 1), coverage=0.8)
    tariff = policy(
        id="tariff",
        type="tariff",
        sectors=("s02",),
        exporters=("R001", "R003"),
        importers=("R004",),
        increase=0.25,
        start=dt.date(2023, 11, 15),
        phase_in=2,
    )
    controls = policy(
        id="controls",
        type="export_control",
        sectors=("s03",),
        exporters=("R002",),
        importers=("R001", "R005"),
        coverage=0.3,
        tax_equivalent=0.2,
        start=dt.date(2024, 2, 10),
        end=dt.date(2025, 5, 3),
    )
    mine, theirs = [ban, tariff], [ban, controls]
    shared = solve_path(
        synthetic, mine, where(synthetic, mine), FIRST, LAST, None, growth,
        theirs, where(synthetic, theirs),
    )  # fmt: skip
    rates = growth_rates(synthetic, growth)
    quarters = tuple(quarter_range(FIRST, LAST))
    assert_same_paths(
        shared.scenario, alone(synthetic, mine, where(synthetic, mine), rates, quarters)
    )
    assert_same_paths(
        shared.reference, alone(synthetic, theirs, where(synthetic, theirs), rates, quarters)
    )
    # The first difference is from 15 November 2023: the quarters before it are shared.
    assert [a is b for a, b in zip(shared.scenario, shared.reference, strict=True)][:4] == [
        True, True, True, False,
    ]  # fmt: skip
    if growth:
        return
    # Without growth the idle sectors s04-s06 are at their baseline in both runs, every
    # quarter: the same bits in both paths (s01's ban is the same too, but a run solved in
    # one group of all sectors starts Newton from zero, in several from the last prices).
    for a, b in zip(shared.scenario, shared.reference, strict=True):
        for k in (0, -1):
            mine, theirs = a.segments[k].equilibrium, b.segments[k].equilibrium
            assert same_bits(mine.demand[3:], theirs.demand[3:])
            assert np.array_equal(mine.demand[3:], synthetic.flows[3:])


def test_runs_with_quotas_and_purchases_in_some_sectors(synthetic: Dataset) -> None:
    """A quota's group is solved whole, and a purchase puts its arrays in every sector's state.

    Both runs hold the same quota in s02 from mid-quarter; only the scenario buys s03's
    output from 2024Q2 and bans s01 from 2024-05-20.
    """
    quota = policy(
        id="quota",
        type="quota",
        sectors=("s02",),
        exporters=("R001", "R003"),
        importers=("R004",),
        share=0.6,
        start=dt.date(2023, 9, 12),
    )
    purchase = policy(
        id="purchase",
        type="purchase",
        sectors=("s03",),
        exporters=("R002",),
        importers=(),
        volume=0.5,
        start=dt.date(2024, 4, 1),
    )
    ban = policy(id="ban", start=dt.date(2024, 5, 20), coverage=0.5)
    mine, theirs = [quota, purchase, ban], [quota]
    shared = solve_path(
        synthetic, mine, where(synthetic, mine), FIRST, LAST,
        comparison=theirs, comparison_targets=where(synthetic, theirs),
    )  # fmt: skip
    rates = growth_rates(synthetic, {})
    quarters = tuple(quarter_range(FIRST, LAST))
    assert_same_paths(
        shared.scenario, alone(synthetic, mine, where(synthetic, mine), rates, quarters)
    )
    assert_same_paths(
        shared.reference, alone(synthetic, theirs, where(synthetic, theirs), rates, quarters)
    )
    assert shared.scenario[4] is shared.reference[4]  # 2024Q1: still nothing different
    assert shared.scenario[5].segments[0].policy.purchase_volume is not None
    assert shared.reference[5].segments[0].policy.purchase_volume is None


def _markets(
    dataset: Dataset, rates: np.ndarray, policies: Sequence[PolicySpec], reuse: bool
) -> list[tuple[PeriodSolution, PeriodSolution]]:
    run = (policies, where(dataset, policies))
    return list(
        _branching(
            processing_baseline(dataset.flows, dataset.tariffs, dataset.routes),
            adjustment_speeds(elasticity_paths(dataset, {})),
            rates,
            run,
            ((), ()),
            tuple(quarter_range(FIRST, LAST)),
            dataset.sectors,
            None,
            reuse=reuse,
        )
    )


def test_a_sector_whose_only_change_is_its_trend_growth_is_solved_every_quarter(
    synthetic: Dataset,
) -> None:
    """Growth in s02 only: its policy state holds no policy, but its demand moves."""
    rates = np.zeros((len(synthetic.sectors), len(synthetic.regions)))
    rates[1, 3] = 0.06
    reused, truth = _markets(synthetic, rates, [], True), _markets(synthetic, rates, [], False)
    for (a, b), (c, d) in zip(reused, truth, strict=True):
        assert same_bits(a, c) and same_bits(b, d)
    last = reused[-1][0]
    # A wrong reuse would leave s02 at its baseline; the idle sectors are exactly there.
    # Demand in R004 grows 6% a year: by 2025Q4, (1.06)^(11/4) of the baseline's.
    grown = last.volume[1][:, 3].sum() / synthetic.flows[1][:, 3].sum()
    assert grown > 1.1
    others = [s for s in range(len(synthetic.sectors)) if s != 1]
    assert np.array_equal(last.volume[others], synthetic.flows[others])
    assert np.array_equal(last.producer_price[others], np.ones((len(others), 9)))


def test_a_sector_still_adjusting_after_its_policy_ends_is_solved_every_quarter(
    synthetic: Dataset,
) -> None:
    """After a ban is lifted its state is that of no policy, but its memory is not at rest."""
    ban = policy(start=dt.date(2023, 4, 1), end=dt.date(2023, 10, 1), coverage=1.0)
    rates = np.zeros((len(synthetic.sectors), len(synthetic.regions)))
    reused, truth = (
        _markets(synthetic, rates, [ban], True),
        _markets(synthetic, rates, [ban], False),
    )
    for (a, b), (c, d) in zip(reused, truth, strict=True):
        assert same_bits(a, c) and same_bits(b, d)
    # From 2023Q4 no policy is in force; s01's supply keeps adjusting back quarter by quarter.
    after = [
        np.abs(period.supply[0] / synthetic.flows[0].sum(axis=1) - 1).max()
        for period, _ in reused[3:]
    ]
    assert after[0] > 1e-3
    assert all(b < a for a, b in zip(after, after[1:], strict=False))


def three_sectors() -> tuple[Baseline, Policy, AdjustmentState]:
    flows = np.arange(1.0, 3 * 2 * 2 + 1).reshape(3, 2, 2)
    baseline = Baseline(flows, np.full_like(flows, 0.05))
    return baseline, Policy.none(baseline), AdjustmentState.at_rest(flows.shape)


def test_at_baseline_is_checked_exactly_row_by_row() -> None:
    baseline, neutral, memory = three_sectors()
    state = Policy.none(baseline)
    assert at_baseline(state, neutral, memory, None, None).tolist() == [True, True, True]
    grown = replace(state, demand=state.demand.copy())
    grown.demand[1, 0] = 1.0 + 2**-52  # the smallest trend growth there is
    assert at_baseline(grown, neutral, memory, None, None).tolist() == [True, False, True]
    young = replace(memory, young_price=memory.young_price.copy())
    young.young_price[2, 1] = 1e-300  # a change not yet adjusted to
    assert at_baseline(state, neutral, young, None, None).tolist() == [True, True, False]
    guess = np.zeros((3, 2))
    guess[0, 0] = -0.0  # starts the solver from other bits
    assert at_baseline(state, neutral, memory, guess, None).tolist() == [False, True, True]
    bought = replace(state, purchase_volume=np.zeros((3, 2)))  # changes the fields solved
    assert not at_baseline(bought, neutral, memory, None, None).any()


def test_only_an_exact_baseline_solve_is_kept() -> None:
    baseline, neutral, _ = three_sectors()
    from sim.model import Elasticities, evaluate

    ones = np.ones((3, 2))
    equilibrium = evaluate(np.zeros((3, 2)), baseline, neutral, Elasticities(4 * ones, ones, ones))
    sectors = np.arange(3)
    exact = SolveReport(0, 0.0)
    kept = learn(nothing_kept(3), sectors, equilibrium, exact)
    assert kept.known.all()
    # recall hands out the kept arrays themselves: read-only, nobody can write them
    assert kept.equilibrium is not None and not kept.equilibrium.demand.flags.writeable
    for report in (SolveReport(1, 0.0), SolveReport(0, 1e-300)):
        assert not learn(nothing_kept(3), sectors, equilibrium, report).known.any()
    signed = replace(equilibrium, log_price=np.full((3, 2), -0.0))
    assert not learn(nothing_kept(3), sectors, signed, exact).known.any()


def test_memory_of_a_sector_at_its_baseline_advances_to_the_same_bits() -> None:
    """advance_at_baseline is advance where the sectors are at their baseline."""
    baseline, neutral, _ = three_sectors()
    from sim.model import Elasticities, evaluate

    ones = np.ones((3, 2))
    equilibrium = evaluate(np.zeros((3, 2)), baseline, neutral, Elasticities(4 * ones, ones, ones))
    speeds = adjustment.speeds(
        Elasticities(2 * ones, 0.5 * ones, 0.5 * ones),
        Elasticities(4 * ones, ones, ones),
        np.array([1.0, 2.0, 4.0]),
    )
    zero = np.zeros((3, 2, 2))
    signed = zero.copy()
    signed[0, 1, 0] = signed[2, 0, 1] = -0.0
    young = np.full((3, 2), 1e-3)
    young[1, 0] = -0.0
    first = dt.date(2023, 7, 1)
    log_wedge = np.broadcast_to(np.float64(0.0), zero.shape)
    for memory in (
        AdjustmentState.at_rest(zero.shape),
        AdjustmentState(
            np.full(3, dt.date(2023, 4, 1).toordinal()),
            signed,
            -young,
            young,
            -signed,
            young,
            -young,
        ),
    ):
        full = adjustment.advance(speeds, memory, first, log_wedge, equilibrium)
        assert same_bits(adjustment.advance_at_baseline(speeds, memory, first, equilibrium), full)


def test_monte_carlo_stacks_share_and_reuse_as_one_run_does(synthetic: Dataset) -> None:
    """solve_markets, as Monte Carlo calls it, is the same code path: same numbers."""
    ban = policy(start=dt.date(2023, 8, 24), end=dt.date(2024, 7, 1), coverage=0.8)
    paths = elasticity_paths(synthetic, {})
    rates = growth_rates(synthetic, {})
    baseline = processing_baseline(synthetic.flows, synthetic.tariffs, synthetic.routes)
    quarters = tuple(quarter_range(FIRST, LAST))
    solved = solve_markets(
        baseline, paths, rates, [ban], where(synthetic, [ban]), quarters, synthetic.sectors
    )
    assert_same_paths(
        solved.scenario, alone(synthetic, [ban], where(synthetic, [ban]), rates, quarters)
    )
    assert_same_paths(solved.reference, alone(synthetic, [], [], rates, quarters))
