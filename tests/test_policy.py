"""Policy instruments -> policy states, against hand-computed expectations.

The market is two sectors and three regions A, B, C with a 5% baseline tariff on A -> B.
Every number below is worked out by hand from the instrument's rule in sim/policy.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields, replace
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sim.model import Baseline, Policy
from sim.policy import (
    DEFAULT_RENT,
    INSTRUMENTS,
    TRADE_INSTRUMENTS,
    SharedFlowArrays,
    Target,
    intensity,
    policy_state,
    rent_holder,
    spans,
    target,
)
from sim.policytypes import BY_NAME
from sim.quarters import Quarter
from sim.scenario import PolicySpec
from tests.conftest import same_bits

SECTORS = ("s1", "s2")
REGIONS = ("A", "B", "C")
Q3 = Quarter(2023, 3)  # 1 July to 1 October 2023: 92 days
# Arithmetic on a handful of doubles: exact up to rounding.
TOL = {"rtol": 1e-12, "atol": 1e-15}


@pytest.fixture
def baseline() -> Baseline:
    flows = np.array(
        [
            [[50.0, 10.0, 5.0], [8.0, 60.0, 4.0], [3.0, 6.0, 40.0]],
            [[200.0, 30.0, 1.0], [25.0, 150.0, 12.0], [9.0, 2.0, 80.0]],
        ]
    )
    tariffs = np.zeros_like(flows)
    tariffs[:, 0, 1] = 0.05
    return Baseline(flows, tariffs)


def spec(kind: str, **fields: Any) -> PolicySpec:
    """A policy in force from the start of 2023 on sector s1, A -> B, unless told."""
    defaults: dict[str, Any] = {
        "id": kind,
        "type": kind,
        "sectors": ("s1",),
        "exporters": ("A",),
        "importers": ("B",),
        "start": dt.date(2023, 1, 1),
    }
    return PolicySpec(**(defaults | fields))


def state(baseline: Baseline, *policies: PolicySpec, quarter: Quarter = Q3, **kw: Any) -> Policy:
    pairs = [
        (p, target(p.type, p.sectors, p.exporters, p.importers, SECTORS, REGIONS)) for p in policies
    ]
    return policy_state(baseline, pairs, quarter, **kw)


def cell(sector: int = 0, origin: int = 0, destination: int = 1) -> tuple[int, int, int]:
    return (sector, origin, destination)


# -- timing ------------------------------------------------------------------------------


def test_intensity_is_the_share_of_days_in_force() -> None:
    ban = spec("ban", start=dt.date(2023, 8, 24))
    # 24 August to 1 October: 8 + 30 = 38 of 92 days
    assert intensity(ban, Q3) == pytest.approx(38 / 92, rel=1e-15)
    assert intensity(ban, Quarter(2023, 2)) == 0.0
    assert intensity(ban, Quarter(2024, 1)) == 1.0
    lifted = replace(ban, start=dt.date(2023, 1, 1), end=dt.date(2023, 2, 15))
    # 1 January to 15 February: 45 of Q1's 90 days
    assert intensity(lifted, Quarter(2023, 1)) == pytest.approx(0.5, rel=1e-15)
    assert intensity(lifted, Quarter(2023, 2)) == 0.0


def test_phase_in_ramps_by_quarter_counting_the_start_quarter_as_the_first() -> None:
    ramp = spec("tariff", rate=0.25, start=dt.date(2023, 8, 24), phase_in=2)
    assert intensity(ramp, Q3) == pytest.approx(38 / 92 * 0.5, rel=1e-15)
    assert intensity(ramp, Quarter(2023, 4)) == 1.0
    three = replace(ramp, phase_in=3)
    assert intensity(three, Quarter(2023, 4)) == pytest.approx(2 / 3, rel=1e-15)
    assert intensity(three, Quarter(2024, 1)) == 1.0
    assert intensity(three, Quarter(2023, 2)) == 0.0


def test_intensity_over_a_span_of_the_quarter() -> None:
    ban = spec("ban", start=dt.date(2023, 8, 24))
    assert intensity(ban, Q3, (dt.date(2023, 7, 1), dt.date(2023, 8, 24))) == 0.0
    assert intensity(ban, Q3, (dt.date(2023, 8, 24), dt.date(2023, 9, 10))) == 1.0
    # 10 August to 3 September: 10 of 24 days in force
    part = (dt.date(2023, 8, 10), dt.date(2023, 9, 3))
    assert intensity(ban, Q3, part) == pytest.approx(10 / 24, rel=1e-15)


def test_spans_cut_a_quarter_where_policies_start_or_end() -> None:
    starts = spec("ban", start=dt.date(2023, 8, 24))
    ends = spec("trade_cost", cost=0.05, end=dt.date(2023, 9, 10))
    on_the_edge = spec("ban", start=dt.date(2023, 7, 1), end=dt.date(2023, 10, 1))
    parts = spans(Q3, [starts, ends, on_the_edge])
    assert [span for span, _ in parts] == [
        (dt.date(2023, 7, 1), dt.date(2023, 8, 24)),
        (dt.date(2023, 8, 24), dt.date(2023, 9, 10)),
        (dt.date(2023, 9, 10), dt.date(2023, 10, 1)),
    ]
    # 54, 17 and 21 of 92 days
    assert [w for _, w in parts] == pytest.approx([54 / 92, 17 / 92, 21 / 92], rel=1e-15)
    assert spans(Q3, [on_the_edge]) == [((Q3.first_day, Q3.end_day), 1.0)]


# -- where a policy applies ---------------------------------------------------------------


def test_target_covers_cross_border_cells_and_the_shifted_rows() -> None:
    where = target("ban", ("s1",), ("A", "B"), ("B", "C"), SECTORS, REGIONS)
    expected = np.zeros((2, 3, 3), dtype=bool)
    for i, j in ((0, 1), (0, 2), (1, 2)):  # B -> B is home sales, never covered
        expected[0, i, j] = True
    assert_array_equal(where.cells, expected)
    assert_array_equal(where.rows, [[True, True, False], [False, False, False]])
    demand = target("demand_shock", ("s2",), REGIONS, ("C",), SECTORS, REGIONS)
    assert_array_equal(demand.rows, [[False, False, False], [False, False, True]])


# -- the state each instrument builds ------------------------------------------------------


def test_no_policy_is_the_baseline_state(baseline: Baseline) -> None:
    none = Policy.none(baseline)
    got = state(baseline)
    for name in ("tariff", "export_tax", "trade_cost", "availability", "demand", "supply"):
        assert_array_equal(getattr(got, name), getattr(none, name))
    assert got.quota is None and got.purchase_volume is None and got.purchase_spending is None
    # a policy that has ended is no policy
    ended = spec("ban", end=dt.date(2023, 3, 1))
    assert_array_equal(state(baseline, ended).availability, none.availability)


def test_ban_removes_its_coverage_and_bans_compound(baseline: Baseline) -> None:
    got = state(baseline, spec("ban", coverage=0.91))
    expected = np.ones((2, 3, 3))
    expected[cell()] = 0.09
    assert_allclose(got.availability, expected, **TOL)
    twice = state(baseline, spec("ban", coverage=0.5), spec("ban", coverage=0.5))
    assert twice.availability[cell()] == pytest.approx(0.25, rel=1e-15)


def test_ban_with_one_coverage_per_stacked_sector(baseline: Baseline) -> None:
    # Monte Carlo draws stack along the sector axis: one coverage per draw.
    got = state(baseline, spec("ban", sectors=SECTORS, coverage=np.array([0.5, 0.8])))
    assert got.availability[cell(0)] == pytest.approx(0.5, rel=1e-15)
    assert got.availability[cell(1)] == pytest.approx(0.2, rel=1e-15)


def test_tariff_rate_increase_phase_in_and_floor(baseline: Baseline) -> None:
    assert state(baseline, spec("tariff", rate=0.25)).tariff[cell()] == pytest.approx(0.25)
    # increase adds points to the 5% in force
    up = state(baseline, spec("tariff", increase=0.10)).tariff
    assert up[cell()] == pytest.approx(0.15, rel=1e-15)
    assert up[cell(1)] == 0.05  # s2 untouched
    # half way in the first of two phase-in quarters: 0.05 + 0.5 (0.25 - 0.05)
    ramp = spec("tariff", rate=0.25, start=Q3.first_day, phase_in=2)
    assert state(baseline, ramp).tariff[cell()] == pytest.approx(0.15, rel=1e-15)
    # a cut below zero stops at zero
    assert state(baseline, spec("tariff", increase=-0.2)).tariff[cell()] == 0.0
    # a later tariff acts on the earlier one
    both = state(baseline, spec("tariff", rate=0.2), spec("tariff", increase=0.1))
    assert both.tariff[cell()] == pytest.approx(0.3, rel=1e-15)


@pytest.mark.parametrize(
    ("rent", "booked", "expected"),
    [
        ("", "trade_cost", 0.02),
        ("none", "trade_cost", 0.02),
        ("exporter", "export_tax", 0.02),
        ("importer", "tariff", 1.05 * 1.02 - 1.0),
    ],
)
def test_export_control_books_its_licence_cost_where_the_rent_goes(
    baseline: Baseline, rent: str, booked: str, expected: float
) -> None:
    control = spec("export_control", coverage=0.25, tax_equivalent=0.02, rent=rent)
    got = state(baseline, control)
    assert got.availability[cell()] == pytest.approx(0.75, rel=1e-15)
    assert getattr(got, booked)[cell()] == pytest.approx(expected, rel=1e-12)
    for other in {"trade_cost", "export_tax", "tariff"} - {booked}:
        base = 0.05 if other == "tariff" else 0.0
        assert getattr(got, other)[cell()] == base


def test_trade_costs_compound(baseline: Baseline) -> None:
    got = state(baseline, spec("trade_cost", cost=0.05), spec("trade_cost", cost=0.1))
    assert got.trade_cost[cell()] == pytest.approx(1.05 * 1.1 - 1.0, rel=1e-15)
    assert got.trade_cost[cell(0, 1, 0)] == 0.0


def test_demand_and_supply_shocks_shift_their_rows(baseline: Baseline) -> None:
    growth = np.full((2, 3), 1.02)
    demand = spec("demand_shock", exporters=REGIONS, change=-0.05)
    got = state(baseline, demand, demand_growth=growth)
    assert got.demand[0, 1] == pytest.approx(1.02 * 0.95, rel=1e-15)
    assert got.demand[0, 0] == pytest.approx(1.02, rel=1e-15)
    supply = spec("supply_shock", importers=REGIONS, change=-0.05)
    shifted = state(baseline, supply).supply
    assert_allclose(shifted, [[0.95, 1.0, 1.0], [1.0, 1.0, 1.0]], **TOL)


def test_quota_share_volume_phase_in_and_rent_codes(baseline: Baseline) -> None:
    got = state(baseline, spec("quota", share=0.5))
    assert got.quota is not None and got.quota_rent is not None
    assert got.quota[cell()] == 0.5
    assert np.isinf(np.delete(got.quota.ravel(), np.ravel_multi_index(cell(), (2, 3, 3)))).all()
    assert got.quota_rent[cell()] == 0  # the importer, by default
    # half way in: the ceiling falls from 1 towards 0.5
    ramp = spec("quota", share=0.5, start=Q3.first_day, phase_in=2)
    assert state(baseline, ramp).quota[cell()] == pytest.approx(0.75, rel=1e-15)  # type: ignore[index]
    # a volume of 4 on a baseline flow of 10 is a share of 0.4
    by_volume = state(baseline, spec("quota", volume=4.0, rent="exporter"))
    assert by_volume.quota[cell()] == pytest.approx(0.4, rel=1e-15)  # type: ignore[index]
    assert by_volume.quota_rent[cell()] == 1  # type: ignore[index]
    lost = state(baseline, spec("quota", share=0.5, rent="lost"))
    assert lost.quota_rent[cell()] == 2  # type: ignore[index]


def test_a_zero_quota_is_a_ban_without_a_rent(baseline: Baseline) -> None:
    got = state(baseline, spec("quota", share=0.0))
    assert got.availability[cell()] == 0.0
    assert np.isinf(got.quota[cell()])  # type: ignore[index]


def test_purchases_add_up_and_scale_with_phase_in(baseline: Baseline) -> None:
    buy = spec("purchase", exporters=("A",), importers=REGIONS, volume=21.0)
    got = state(baseline, buy, buy)
    assert got.purchase_volume is not None
    assert_allclose(got.purchase_volume, [[42.0, 0.0, 0.0], [0.0, 0.0, 0.0]], **TOL)
    assert got.purchase_spending is None
    ramp = replace(buy, volume=None, spending=40.0, start=Q3.first_day, phase_in=2)
    spent = state(baseline, ramp).purchase_spending
    assert spent is not None and spent[0, 0] == pytest.approx(20.0, rel=1e-15)


ALL_INSTRUMENTS = (
    spec("ban", coverage=0.4),
    spec("export_control", coverage=0.25, tax_equivalent=0.02, rent="exporter"),
    spec("export_control", coverage=0.25, tax_equivalent=0.02, rent="importer"),
    spec("export_control", coverage=0.25, tax_equivalent=0.02),
    spec("tariff", increase=0.1),
    spec("trade_cost", cost=0.03),
    spec("demand_shock", importers=("B",), change=-0.1),
    spec("supply_shock", change=0.05),
    spec("quota", share=0.5),
    spec("quota", share=0.0),
    spec("purchase", importers=REGIONS, volume=21.0),
    spec("quota", volume=4.0),
    spec("purchase", importers=REGIONS, spending=10.0),
)
FLOW_FIELDS = ("tariff", "export_tax", "trade_cost", "availability", "demand", "supply")


@pytest.mark.parametrize("policy", ALL_INSTRUMENTS, ids=lambda p: f"{p.type}-{p.rent}")
@pytest.mark.parametrize("growth", [False, True])
def test_a_state_over_the_shared_state_of_no_policy_reads_it_and_writes_only_its_own(
    baseline: Baseline, policy: PolicySpec, growth: bool
) -> None:
    """Given the state of no policy, a state copies only the arrays its policies write.

    The same numbers as a state built alone; the arrays it leaves alone are those of the
    state of no policy (the same objects), and that state is not changed.
    """
    none = Policy.none(baseline)
    before = replace(none, **{name: getattr(none, name).copy() for name in FLOW_FIELDS})
    kw = {"demand_growth": np.full((2, 3), 1.01)} if growth else {}
    alone = state(baseline, policy, **kw)
    shared = state(baseline, policy, none=none, **kw)
    assert same_bits(shared, alone)
    assert same_bits(none, before)
    changed = {
        name
        for name in FLOW_FIELDS
        if not np.array_equal(getattr(alone, name), getattr(before, name))
    }
    for name in FLOW_FIELDS:
        if name not in changed and not (growth and name == "demand"):
            assert getattr(shared, name) is getattr(none, name), name


def _two_of(policies: tuple[PolicySpec, ...]) -> list[tuple[PolicySpec, PolicySpec]]:
    return [(a, b) for a in policies for b in policies if a is not b]


@pytest.mark.parametrize(
    "pair", _two_of(ALL_INSTRUMENTS), ids=lambda p: f"{p[0].type}-{p[0].rent}+{p[1].type}"
)
def test_states_sharing_flow_arrays_are_those_built_alone(
    baseline: Baseline, pair: tuple[PolicySpec, PolicySpec]
) -> None:
    """States of the same policies at the same intensities share their flow-sized arrays.

    Every state (trade policies and shocks in any order, at full strength and half way
    through a phase-in) has the numbers of the state built alone, quarter after quarter;
    the second quarter's flow-sized arrays are the first's, read-only; another intensity
    has arrays of its own; and the state of no policy is not changed.
    """
    none = Policy.none(baseline)
    before = replace(none, **{name: getattr(none, name).copy() for name in FLOW_FIELDS})
    flow_arrays = SharedFlowArrays()
    ramped = tuple(replace(p, phase_in=2) for p in pair)
    pairs = [
        (p, target(p.type, p.sectors, p.exporters, p.importers, SECTORS, REGIONS))
        for p in (*pair, *ramped)
    ]
    found, built = [], []
    for quarter in (Quarter(2023, 1), Quarter(2023, 2), Quarter(2023, 3)):
        flow_arrays.next_quarter()
        growth = np.full((2, 3), 1.0 + quarter.quarter / 100)
        for chosen in (pairs[:2], pairs[2:]):
            alone = policy_state(baseline, chosen, quarter, growth)
            shared = policy_state(
                baseline, chosen, quarter, growth, none=none, flow_arrays=flow_arrays
            )
            assert same_bits(shared, alone)
            found.append(shared)
            built.append((shared, alone))
    assert same_bits(none, before)
    # no later state wrote in an earlier one's arrays
    assert all(same_bits(shared, alone) for shared, alone in built)
    # full strength in all three quarters; the ramped pair at 1/2, then 1 from 2023Q2
    at_full, ramp_half, _, ramp_full, again, ramp_again = found
    for name in ("tariff", "export_tax", "trade_cost", "availability", "quota", "quota_rent"):
        first = getattr(at_full, name)
        if first is None:
            continue
        assert getattr(again, name) is first, name
        assert not first.flags.writeable, name
        assert getattr(ramp_again, name) is getattr(ramp_full, name), name
        if not np.array_equal(getattr(ramp_half, name), getattr(ramp_full, name)):
            assert getattr(ramp_half, name) is not getattr(ramp_full, name), name


def test_shared_flow_arrays_are_kept_two_quarters(baseline: Baseline) -> None:
    """Arrays no state of the last two quarters used are built again, not kept for ever."""
    none = Policy.none(baseline)
    flow_arrays = SharedFlowArrays()
    ban = spec("ban", coverage=0.4)
    pairs = [(ban, target("ban", ban.sectors, ban.exporters, ban.importers, SECTORS, REGIONS))]

    def availability() -> np.ndarray:
        shared = policy_state(baseline, pairs, Q3, none=none, flow_arrays=flow_arrays)
        return shared.availability

    first = availability()
    flow_arrays.next_quarter()
    assert availability() is first
    flow_arrays.next_quarter()
    flow_arrays.next_quarter()
    rebuilt = availability()
    assert rebuilt is not first
    assert_array_equal(rebuilt, first)


@pytest.mark.parametrize("policy", ALL_INSTRUMENTS, ids=lambda p: f"{p.type}-{p.rent}")
def test_trade_instruments_write_flow_arrays_and_the_others_do_not(
    baseline: Baseline, policy: PolicySpec
) -> None:
    """States share their flow-sized arrays by the trade policies in force alone, applied
    before the others: that holds only while a trade instrument writes flow-sized arrays
    and nothing else, and every other instrument none of them."""
    none = Policy.none(baseline)
    shared = state(baseline, policy, none=none)
    written = {
        f.name for f in fields(Policy) if getattr(shared, f.name) is not getattr(none, f.name)
    }
    flow = {"tariff", "export_tax", "trade_cost", "availability", "quota", "quota_rent"}
    if policy.type in TRADE_INSTRUMENTS:
        assert written and written <= flow
    else:
        assert written and not written & flow
    assert set(INSTRUMENTS) >= TRADE_INSTRUMENTS


# -- who earns a rent -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "rent", "holder"),
    [
        ("export_control", "", "none"),
        ("quota", "", "importer"),
        ("quota", "lost", "none"),
        ("quota", "exporter", "exporter"),
        ("export_control", "importer", "importer"),
        ("tariff", "", "none"),
    ],
)
def test_rent_holder_defaults(kind: str, rent: str, holder: str) -> None:
    assert rent_holder(spec(kind, rent=rent)) == holder


def test_default_rents_are_the_declared_defaults() -> None:
    assert DEFAULT_RENT == {
        name: BY_NAME[name].field("rent").default for name in ("export_control", "quota")
    }


def test_target_is_a_pair_of_masks() -> None:
    where = target("supply_shock", ("s2",), ("C",), REGIONS, SECTORS, REGIONS)
    assert isinstance(where, Target)
    assert_array_equal(where.rows, [[False, False, False], [False, False, True]])
