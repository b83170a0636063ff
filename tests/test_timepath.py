"""The quarterly path: timing, phase-in, lifting and elasticity adjustment."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.dataset import load_dataset
from sim.policy import intensity, spans, target
from sim.quarters import Quarter
from sim.scenario import PolicySpec
from sim.timepath import ElasticityPaths, adjustment_weight, blend, solve_path
from tests.conftest import DATA


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


def test_short_run_weight_halves_every_half_life() -> None:
    changes = [[dt.date(2023, 7, 1)], []]
    half_life = np.array([2.0, 2.0])
    first = adjustment_weight(Quarter(2023, 3), changes, half_life)
    assert first[1] == 0.0  # an untouched sector is at its long-run values
    later = adjustment_weight(Quarter(2024, 1), changes, half_life)
    assert later[0] == pytest.approx(first[0] / 2, rel=0.02)
    paths = ElasticityPaths(
        short_run={
            "sigma": np.array([[1.5], [1.5]]),
            "eps": np.ones((2, 1)),
            "eta": np.array([[0.2], [0.2]]),
        },
        long_run={
            "sigma": np.array([[4.0], [4.0]]),
            "eps": np.ones((2, 1)),
            "eta": np.array([[1.0], [1.0]]),
        },
        half_life=half_life,
    )
    mixed = blend(paths, np.array([0.5, 0.0]))
    np.testing.assert_allclose(mixed.sigma[:, 0], [2.75, 4.0])


def run(policies: list[PolicySpec], first: Quarter, last: Quarter):  # type: ignore[no-untyped-def]
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    targets = [
        target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
        for p in policies
    ]
    return dataset, solve_path(dataset, policies, targets, first, last)


def test_lifting_a_ban_restores_the_baseline_exactly() -> None:
    policy = spec(start=dt.date(2023, 7, 1), end=dt.date(2024, 1, 1), coverage=1.0)
    dataset, path = run([policy], Quarter(2023, 2), Quarter(2024, 3))
    s, i, j = 0, dataset.region_index("JPN"), dataset.region_index("CHN")
    flows = [p.volume[s, i, j] for p in path.scenario]
    assert flows[0] == pytest.approx(dataset.flows[s, i, j], rel=1e-12)  # before
    assert flows[1] == 0.0 and flows[2] == 0.0  # banned
    for period in path.scenario[3:]:  # lifted
        np.testing.assert_allclose(period.volume, dataset.flows, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(period.producer_price, 1.0, atol=1e-9)


def test_diversion_builds_up_as_elasticities_reach_their_long_run_values() -> None:
    policy = spec(start=dt.date(2023, 7, 1), coverage=1.0)
    dataset, path = run([policy], Quarter(2023, 3), Quarter(2025, 4))
    s, i, usa = 0, dataset.region_index("JPN"), dataset.region_index("USA")
    to_usa = [p.volume[s, i, usa] for p in path.scenario]
    assert to_usa[0] > dataset.flows[s, i, usa]  # diversion starts at once
    assert all(b >= a for a, b in zip(to_usa, to_usa[1:], strict=False))  # and grows
    assert to_usa[-1] > to_usa[0]


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
