"""The quarterly path: timing, phase-in, lifting and elasticity adjustment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim import adjustment
from sim.adjustment import AdjustmentState
from sim.dataset import load_dataset
from sim.model import Elasticities, Equilibrium
from sim.policy import intensity, spans, target
from sim.quarters import Quarter
from sim.scenario import PolicySpec, load_scenario
from sim.scenario_path import iter_scenario_path, solve_scenario
from sim.timepath import iter_path, solve_path
from tests.conftest import DATA, SCENARIOS, same_bits


def spec(**fields: object) -> PolicySpec:
    base: dict[str, object] = dict(
        id="p",
        type="ban",
        sectors=("seafood",),
        exporters=("JPN",),
        importers=("CHN",),
        start=dt.date(2023, 7, 1),
    )
    base.update(fields)
    return PolicySpec(**base)  # type: ignore[arg-type]


def test_intensity_is_pro_rata_and_ramps_over_the_phase_in() -> None:
    policy = spec(start=dt.date(2023, 8, 24), end=dt.date(2024, 7, 1))
    assert intensity(policy, Quarter(2023, 3)) == pytest.approx(38 / 92)
    assert intensity(policy, Quarter(2024, 2)) == 1.0
    assert intensity(policy, Quarter(2024, 3)) == 0.0
    ramp = spec(phase_in=4)
    assert [intensity(ramp, Quarter(2023, 3) + k) for k in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]


def test_a_quarter_is_split_where_policies_start_or_end() -> None:
    ban = spec(start=dt.date(2023, 8, 24), end=dt.date(2024, 7, 1))
    parts = spans(Quarter(2023, 3), [ban])
    assert parts == [
        ((dt.date(2023, 7, 1), dt.date(2023, 8, 24)), 54 / 92),
        ((dt.date(2023, 8, 24), dt.date(2023, 10, 1)), 38 / 92),
    ]
    assert intensity(ban, Quarter(2023, 3), parts[0][0]) == 0.0
    assert intensity(ban, Quarter(2023, 3), parts[1][0]) == 1.0
    assert spans(Quarter(2024, 3), [ban]) == [((dt.date(2024, 7, 1), dt.date(2024, 10, 1)), 1.0)]


def test_a_full_halt_for_part_of_a_quarter_removes_that_part_of_its_trade() -> None:
    """Day-weighted parts, not a partial loss of varieties: no flow gains from a halt."""
    halt = spec(start=dt.date(2023, 8, 1), end=dt.date(2023, 10, 1), coverage=1.0)
    dataset, path = run([halt], Quarter(2023, 3), Quarter(2023, 3))
    s, i, j = 0, dataset.region_index("JPN"), dataset.region_index("CHN")
    (period,) = path.scenario
    assert [seg.weight for seg in period.segments] == [31 / 92, 61 / 92]
    assert period.segments[0].equilibrium.demand[s, i, j] == pytest.approx(
        dataset.flows[s, i, j], rel=1e-12
    )
    assert period.segments[1].equilibrium.demand[s, i, j] == 0.0
    assert period.volume[s, i, j] == pytest.approx(31 / 92 * dataset.flows[s, i, j], rel=1e-12)


def test_a_change_is_responded_to_with_the_elasticity_of_its_age() -> None:
    """A price change of age a meets e_LR + (e_SR - e_LR) 2^(-a/h); one untouched, e_LR."""
    half_life_quarters = 2.0
    short = Elasticities(np.full((2, 1), 1.5), np.ones((2, 1)), np.full((2, 1), 0.2))
    long = Elasticities(np.full((2, 1), 4.0), np.ones((2, 1)), np.full((2, 1), 1.0))
    speeds = adjustment.speeds(short, long, np.full(2, half_life_quarters))
    memory = AdjustmentState.at_rest((2, 1, 1))
    change = np.array([[0.1], [0.0]])  # sector 0's producer price rises by 10% on day 0
    moved = Equilibrium(
        change,
        np.ones((2, 1, 1)),
        np.ones((2, 1)),
        np.ones((2, 1, 1)),
        np.ones((2, 1)),
        np.zeros((2, 1)),
    )
    day0 = dt.date(2023, 7, 1)
    memory = adjustment.advance(speeds, memory, day0, np.zeros((2, 1, 1)), moved)
    for days in (0, 91, 365, 730):
        first = day0 + dt.timedelta(days=days)
        lag = adjustment.period_elasticities(speeds, memory, first, first)  # an instant
        response = lag.supply_offset + lag.supply_weight * change  # unchanged price this period
        age = days / adjustment.DAYS_PER_QUARTER
        expected = 1.0 + (0.2 - 1.0) * 0.5 ** (age / half_life_quarters)
        assert response[0, 0] * long.eta[0, 0] == pytest.approx(expected * 0.1, rel=1e-6)
        assert response[1, 0] == 0.0  # nothing changed: at rest, long-run response
        assert lag.supply_weight[1, 0] == pytest.approx(1.0 - 0.8 * 0.5 ** (0 / half_life_quarters))


def run(policies: list[PolicySpec], first: Quarter, last: Quarter):  # type: ignore[no-untyped-def]
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    targets = [
        target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
        for p in policies
    ]
    return dataset, solve_path(dataset, policies, targets, first, last)


def test_lifting_a_ban_returns_the_market_to_its_baseline() -> None:
    """Trade is the baseline's before, nothing during, and converges back after the lift."""
    policy = spec(start=dt.date(2023, 7, 1), end=dt.date(2024, 1, 1), coverage=1.0)
    dataset, path = run([policy], Quarter(2023, 2), Quarter(2028, 4))
    s, i, j = 0, dataset.region_index("JPN"), dataset.region_index("CHN")
    flows = [p.volume[s, i, j] for p in path.scenario]
    assert flows[0] == pytest.approx(dataset.flows[s, i, j], rel=1e-12)  # before
    assert flows[1] == 0.0 and flows[2] == 0.0  # banned
    gaps = [np.abs(p.volume / dataset.flows - 1.0).max() for p in path.scenario[3:]]
    assert gaps[0] > 1e-3  # the producers' supply is still adjusting back ...
    assert gaps[-1] < 1e-4  # ... and after 20 quarters (ten half-lives) it has
    assert all(b < a for a, b in zip(gaps[4:], gaps[5:], strict=False))


def test_the_path_converges_to_the_long_run_equilibrium() -> None:
    """Partial adjustment changes the path to the long-run equilibrium, not where it ends."""
    policy = spec(start=dt.date(2023, 7, 1), coverage=0.7)
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    targets = [
        target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
        for p in [policy]
    ]
    first, last = Quarter(2023, 3), Quarter(2030, 4)
    lagged = solve_path(dataset, [policy], targets, first, last)
    instant = {sector: {"half_life_quarters": 1e-9} for sector in dataset.sectors}
    static = solve_path(dataset, [policy], targets, first, last, instant)
    s, i, usa = 0, dataset.region_index("JPN"), dataset.region_index("USA")
    early = lagged.scenario[0].volume[s, i, usa] / static.scenario[0].volume[s, i, usa] - 1.0
    assert abs(early) > 1e-2  # the first quarter is far from the long run
    np.testing.assert_allclose(lagged.scenario[-1].volume, static.scenario[-1].volume, rtol=1e-4)
    np.testing.assert_allclose(
        lagged.scenario[-1].producer_price, static.scenario[-1].producer_price, rtol=1e-5
    )


def test_no_policy_path_is_the_baseline_without_trend_growth() -> None:
    dataset, path = run([spec(coverage=0.5)], Quarter(2023, 1), Quarter(2023, 4))
    for period in path.reference:
        np.testing.assert_allclose(period.volume, dataset.flows, rtol=1e-12)


def test_with_trend_growth_and_no_policy_the_scenario_is_its_no_policy_path() -> None:
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    inert = spec(coverage=0.0)
    targets = [target("ban", ("seafood",), ("JPN",), ("CHN",), dataset.sectors, dataset.regions)]
    path = solve_path(
        dataset, [inert], targets, Quarter(2023, 1), Quarter(2024, 4), demand_growth={"CHN": 0.05}
    )
    for scn, ref in zip(path.scenario, path.reference, strict=True):
        np.testing.assert_allclose(scn.value, ref.value, rtol=1e-12)
    assert path.scenario[-1].volume[0, 1, 1] > dataset.flows[0, 1, 1]  # China's demand grew
    from sim.tables import welfare_arrays

    for values in welfare_arrays(path).values():
        np.testing.assert_allclose(values, 0.0, atol=1e-9)


@pytest.mark.parametrize(
    ("name", "shared"),
    [
        # Policies lifted on 1 July 2024: 2023Q1-2024Q2 are the comparison run's quarters.
        ("seafood-ban-lifted", 6),
        # Tighter export controls against the baseline: shared up to their start.
        ("export-controls-tightened", None),
        # Against the no-policy path: the ban of 2023Q3 differs at once, after two quarters.
        ("baseline", 2),
    ],
)
def test_quarters_shared_with_the_comparison_run_are_those_of_solving_it_alone(
    name: str, shared: int | None
) -> None:
    """Quarters before the runs' first difference are solved once; the paths are unchanged."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    path = solve_scenario(scenario)
    _, quarters, periods = iter_scenario_path(scenario)
    alone = list(periods)
    assert len(alone) == len(quarters) == len(path.scenario) == len(path.reference)
    for k, (scn, ref) in enumerate(alone):
        assert same_bits(path.scenario[k], scn), (name, k)
        assert same_bits(path.reference[k], ref), (name, k)
    common = sum(1 for a, b in zip(path.scenario, path.reference, strict=True) if a is b)
    if shared is not None:
        assert common == shared
    assert all(a is b for a, b in zip(path.scenario[:common], path.reference, strict=False))
    assert common < len(quarters)


def test_a_run_identical_to_its_comparison_run_is_solved_once() -> None:
    """No difference at all: every quarter shared, and no change anywhere."""
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    ban = spec(start=dt.date(2023, 8, 24), end=dt.date(2024, 7, 1))
    where = [
        target(
            ban.type, ban.sectors, ban.exporters, ban.importers, dataset.sectors, dataset.regions
        )
    ]
    path = solve_path(
        dataset,
        [ban],
        where,
        Quarter(2023, 1),
        Quarter(2024, 4),
        comparison=[ban],
        comparison_targets=where,
    )
    assert all(a is b for a, b in zip(path.scenario, path.reference, strict=True))
    _, _, periods = iter_path(
        dataset,
        [ban],
        where,
        Quarter(2023, 1),
        Quarter(2024, 4),
        comparison=[ban],
        comparison_targets=where,
    )
    for k, (scn, ref) in enumerate(periods):
        assert same_bits(path.scenario[k], scn) and same_bits(path.reference[k], ref), k
