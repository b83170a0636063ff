"""Welfare of sectors at rest taken from an earlier quarter: the same bits as evaluated.

The truth is each run solved alone with every sector solved in every quarter (no sector
taken at rest: ``reuse=False``) and its welfare evaluated over every sector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest

from sim.dataset import Dataset, load_dataset
from sim.period_welfare import RestingWelfare, period_welfare
from sim.processing import processing_baseline
from sim.scenario import PolicySpec
from sim.synth import write_synthetic
from sim.timepath import (
    PeriodSolution,
    elasticity_paths,
)
from tests.conftest import branching_paths


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    path, _ = write_synthetic(tmp_path_factory.mktemp("synth") / "synth.yaml", 9, 6, 3)
    return load_dataset(path)


def policy(**fields: object) -> PolicySpec:
    base: dict[str, object] = dict(
        id="p", type="ban", sectors=("s01",), exporters=("R001",), importers=("R002",)
    )
    base.update(fields)
    return PolicySpec(**base)  # type: ignore[arg-type]


def assert_welfare_as_evaluated(
    dataset: Dataset,
    mine: Sequence[PolicySpec],
    theirs: Sequence[PolicySpec],
    growth: dict[str, float] | None = None,
) -> list[tuple[PeriodSolution, PeriodSolution]]:
    """Each quarter's welfare with resting sectors taken, against the truth, to the bit."""
    baseline = processing_baseline(dataset.flows, dataset.tariffs, dataset.routes)
    solved = branching_paths(dataset, mine, theirs, growth or {}, True)
    truth = branching_paths(dataset, mine, theirs, growth or {}, False)
    resting = RestingWelfare()  # one for both paths, as a streamed run keeps it
    for k, (pair, alone) in enumerate(zip(solved, truth, strict=True)):
        for period, true in zip(pair, alone, strict=True):
            assert true.resting is not None and not true.resting.any()
            got = period_welfare(baseline, period, resting)
            want = period_welfare(baseline, true)
            assert got.keys() == want.keys()
            for key in want:
                assert got[key].tobytes() == want[key].tobytes(), (k, key)
    return solved


def test_idle_sectors_beside_a_ban_and_a_policy_of_the_comparison_run_only(
    synthetic: Dataset,
) -> None:
    """s01 banned mid-quarter in the scenario (a variety removed: the variety effect's
    costly branch for the whole state), s02's tariff only in the comparison run from
    2024Q1: s02 rests in both runs until then and not after; s03-s06 rest throughout."""
    ban = policy(id="ban", start=dt.date(2023, 8, 24), end=dt.date(2024, 7, 1), coverage=0.8)
    tariff = policy(
        id="tariff", type="tariff", sectors=("s02",), exporters=("R001", "R003"),
        importers=("R004",), increase=0.25, start=dt.date(2024, 1, 1),
    )  # fmt: skip
    solved = assert_welfare_as_evaluated(synthetic, [ban], [tariff])
    scenario = [p.resting for p, _ in solved]
    reference = [r.resting for _, r in solved]
    assert all(r is not None and r[2:].all() for r in scenario + reference)
    # s02's tariff is in the comparison run alone: it rests there before 2024Q1 only, and
    # in the scenario until its memory of nothing changes -- always.
    assert [bool(r[1]) for r in reference] == [True] * 4 + [False] * 8  # type: ignore[index]
    assert all(r[1] for r in scenario)  # type: ignore[index]
    # The scenario's s01 is banned from 2023Q3; its welfare changes (so it is evaluated).
    assert not any(r[0] for r in scenario[2:])  # type: ignore[index]
    assert solved[2][0].segments[1].policy.availability.min() < 1


def test_a_sector_with_demand_growth_never_rests(synthetic: Dataset) -> None:
    """Growth in R002 moves every sector's demand there from the second quarter on (the
    first's multiplier is exactly 1): nothing is at its baseline after it."""
    ban = policy(id="ban", start=dt.date(2023, 8, 24), coverage=1.0)
    solved = assert_welfare_as_evaluated(synthetic, [ban], [], {"R002": 0.05})
    assert solved[0][0].resting.all()  # type: ignore[union-attr]
    assert not any(p.resting.any() for pair in solved[1:] for p in pair)  # type: ignore[union-attr]


def test_a_sector_adjusting_after_a_lifted_ban_does_not_rest(synthetic: Dataset) -> None:
    """After the ban ends s01's state is no policy, but its memory is not at rest."""
    ban = policy(start=dt.date(2023, 4, 1), end=dt.date(2023, 10, 1), coverage=1.0)
    solved = assert_welfare_as_evaluated(synthetic, [ban], [])
    assert not any(p.resting[0] for p, _ in solved[1:])  # type: ignore[index]
    # Its welfare keeps changing as it adjusts back: a stale value would show here.
    baseline = processing_baseline(synthetic.flows, synthetic.tariffs, synthetic.routes)
    surplus = [period_welfare(baseline, p)["producer_surplus"][0].sum() for p, _ in solved[3:]]
    assert len(set(surplus)) == len(surplus)


def test_resting_welfare_serves_one_baseline_and_one_set_of_elasticities(
    synthetic: Dataset,
) -> None:
    """Kept rows are never given to a path of other elasticities: those are evaluated."""
    baseline = processing_baseline(synthetic.flows, synthetic.tariffs, synthetic.routes)
    (period, _), *_ = branching_paths(synthetic, [], [], {}, True)
    assert period.resting is not None and period.resting.all()
    resting = RestingWelfare()
    period_welfare(baseline, period, resting)
    other = elasticity_paths(synthetic, {"s01": {"eps": {"long_run": 1.7}}}).long_run
    assert not resting.serves(baseline, other)
