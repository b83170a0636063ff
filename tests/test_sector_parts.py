"""Each sector's quarter is cut only where its own policy state changes."""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import replace

import numpy as np

from sim import sector_parts
from sim.dataset import load_dataset
from sim.model import Baseline, Policy
from sim.policy import target
from sim.processing import Routes
from sim.quarters import Quarter
from sim.scenario import PolicySpec
from sim.sector_parts import changed_rows, gather, group_routes, rows, sector_groups
from sim.timepath import solve_path
from tests.conftest import DATA


def three_sectors() -> Policy:
    flows = np.arange(1.0, 3 * 2 * 2 + 1).reshape(3, 2, 2)
    return Policy.none(Baseline(flows, np.zeros_like(flows)))


def test_sectors_are_grouped_by_the_parts_at_which_their_own_state_changes() -> None:
    before = three_sectors()
    tariff = before.tariff.copy()
    tariff[0, 0, 1] = 0.25
    bought = np.zeros((3, 2))
    bought[2, 0] = 5.0
    quota = np.full((3, 2, 2), np.inf)
    states = [
        before,
        replace(before, tariff=tariff),  # sector 0 changes
        # sector 2 starts a purchase; the purchase and quota arrays appear for every
        # sector, but at their neutral values (nothing bought, no ceiling) elsewhere
        replace(before, tariff=tariff, purchase_volume=bought, quota=quota),
    ]
    groups = {tuple(g.sectors.tolist()): g.parts for g in sector_groups(states)}  # type: ignore[union-attr]
    assert groups == {(0,): ((0, 1), (1, 3)), (1,): ((0, 3),), (2,): ((0, 2), (2, 3))}


def test_one_pattern_is_one_group_of_all_sectors() -> None:
    state = three_sectors()
    (group,) = sector_groups([state, state])
    assert group.sectors is None and group.parts == ((0, 2),)
    (group,) = sector_groups([state])
    assert group.sectors is None and group.parts == ((0, 1),)


def test_rows_and_gather_take_apart_and_rebuild_a_state() -> None:
    state = three_sectors()
    bought = np.array([[1.0, 2.0], [3.0, 4.0]])
    first, second = np.array([0, 2]), np.array([1])
    pieces = [
        (first, replace(rows(state, first), purchase_volume=bought)),
        (second, rows(state, second)),  # no purchase in this group's state
    ]
    whole = gather(pieces, 3)
    np.testing.assert_array_equal(whole.tariff, state.tariff)
    np.testing.assert_array_equal(whole.demand, state.demand)
    assert whole.purchase_volume is not None
    np.testing.assert_array_equal(whole.purchase_volume, [[1.0, 2.0], [0.0, 0.0], [3.0, 4.0]])
    assert whole.quota is None
    assert gather([(None, state)], 3) is state


def test_gather_takes_the_rows_of_a_whole_record_as_rows_would() -> None:
    state = three_sectors()
    other = replace(state, tariff=state.tariff + 1.0, purchase_volume=np.full((3, 2), 7.0))
    first, second = np.array([0, 2]), np.array([1])
    taken = gather([(first, state), (second, other)], 3, whole=[True, True])
    copied = gather([(first, rows(state, first)), (second, rows(other, second))], 3)
    for a, b in ((taken.tariff, copied.tariff), (taken.purchase_volume, copied.purchase_volume)):
        assert a is not None and b is not None and a.tobytes() == b.tobytes()
    assert taken.tariff[1].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert taken.purchase_volume is not None
    assert taken.purchase_volume.tolist() == [[0.0, 0.0], [7.0, 7.0], [0.0, 0.0]]


def test_gather_over_a_whole_record_fills_what_another_piece_lacks() -> None:
    """The largest whole record's arrays are copied whole; a piece without an optional
    array has its neutral value in its rows, as when every piece is gathered row by row."""
    state = three_sectors()
    bought = replace(state, tariff=state.tariff + 1.0, purchase_volume=np.full((3, 2), 7.0))
    first, second = np.array([0, 2]), np.array([1])
    taken = gather([(first, bought), (second, state)], 3, whole=[True, True])
    copied = gather([(first, rows(bought, first)), (second, rows(state, second))], 3)
    assert taken.purchase_volume is not None and copied.purchase_volume is not None
    assert taken.purchase_volume.tolist() == [[7.0, 7.0], [0.0, 0.0], [7.0, 7.0]]
    assert taken.purchase_volume.tobytes() == copied.purchase_volume.tobytes()
    assert taken.tariff.tobytes() == copied.tariff.tobytes()
    assert taken.tariff is not bought.tariff  # a copy: the record's array is not shared


def test_gather_of_one_shared_array_or_one_value_makes_no_copy() -> None:
    """Pieces that all hold one read-only array of every sector (a kept solution) gather
    to that array; pieces that all view one value gather to a view of it, the same bits;
    anything else is copied, with the same numbers."""
    state = three_sectors()
    first, second = np.array([0, 2]), np.array([1])
    kept = state.tariff.copy()
    kept.flags.writeable = False
    pieces = [(first, replace(state, tariff=kept)), (second, replace(state, tariff=kept))]
    assert gather(pieces, 3, whole=[True, True]).tariff is kept
    writable = state.tariff.copy()
    pieces = [(first, replace(state, tariff=writable)), (second, replace(state, tariff=writable))]
    copied = gather(pieces, 3, whole=[True, True]).tariff
    assert copied is not writable and copied.tobytes() == writable.tobytes()
    for value in (0.0, -0.0, 2.5):
        views = [
            (
                sectors,
                replace(
                    rows(state, sectors),
                    tariff=np.broadcast_to(np.float64(value), (len(sectors), 2, 2)),
                ),
            )
            for sectors in (first, second)
        ]
        viewed = gather(views, 3).tariff
        assert not any(viewed.strides) and viewed.shape == (3, 2, 2)
        assert viewed.tobytes() == np.full((3, 2, 2), value).tobytes()
    signs = [
        (first, replace(rows(state, first), tariff=np.broadcast_to(np.float64(0.0), (2, 2, 2)))),
        (second, replace(rows(state, second), tariff=np.broadcast_to(np.float64(-0.0), (1, 2, 2)))),
    ]
    mixed = gather(signs, 3).tariff
    assert np.signbit(mixed).tolist() == [[[False] * 2] * 2, [[True] * 2] * 2, [[False] * 2] * 2]


def test_changed_rows_of_read_only_arrays_are_found_once_and_stay_right() -> None:
    """What is found comparing read-only arrays is kept; writable arrays are compared
    each time, so that a change in them is seen."""
    state = three_sectors()
    tariff = state.tariff.copy()
    tariff[1, 0, 1] = 0.5
    other = replace(state, tariff=tariff)
    assert changed_rows(state, other).tolist() == [False, True, False]
    tariff[2, 1, 0] = 0.5  # writable: seen
    assert changed_rows(state, other).tolist() == [False, True, True]
    for policy in (state, other):
        for value in vars(policy).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False
    first = changed_rows(state, other)
    assert first.tolist() == [False, True, True]
    assert changed_rows(state, other).tolist() == [False, True, True]
    # an array that took the identity of a dead one is compared anew: what was kept
    # under that identity (here planted, wrong) is not taken
    fresh = state.tariff.copy()
    fresh[0, 0, 0] = 9.0
    fresh.flags.writeable = False
    gone = np.zeros(1)
    dead = weakref.ref(gone)
    del gone
    wrong = np.array([False, True, True])
    sector_parts._DIFFERING[id(state.tariff), id(fresh)] = (weakref.ref(state.tariff), dead, wrong)
    assert changed_rows(state, replace(state, tariff=fresh)).tolist() == [True, False, False]


def test_routes_of_a_group_are_renumbered_within_it() -> None:
    ints = np.array
    routes = Routes(
        ints([0, 2, 2]), ints([0, 1, 0]), ints([1, 0, 1]), ints([1, 1, 0]), np.ones(3), np.zeros(3)
    )
    mine, mask = group_routes(routes, np.array([1, 2]))
    assert mine is not None and mask is not None
    assert mask.tolist() == [False, True, True]
    assert mine.sector.tolist() == [1, 1] and mine.origin.tolist() == [1, 0]
    assert group_routes(routes, np.array([1]))[0] is None
    assert group_routes(routes, None) == (routes, None)


def ban(sector: str, start: dt.date) -> PolicySpec:
    return PolicySpec(
        id=f"{sector}-ban",
        type="ban",
        sectors=(sector,),
        exporters=("JPN",),
        importers=("CHN",),
        start=start,
        coverage=0.8,
    )


def test_a_sector_is_not_cut_by_another_sectors_policy() -> None:
    """A ban on other goods from 10 September cuts 2023Q3 for other goods only: seafood's
    quarter, cut on 24 August by its own ban, is the same with or without it."""
    dataset = load_dataset(DATA / "toy-two-sector.yaml")
    seafood = ban("seafood", dt.date(2023, 8, 24))
    other = ban("other_goods", dt.date(2023, 9, 10))

    def solve(policies: list[PolicySpec]):  # type: ignore[no-untyped-def]
        targets = [
            target(p.type, p.sectors, p.exporters, p.importers, dataset.sectors, dataset.regions)
            for p in policies
        ]
        return solve_path(dataset, policies, targets, Quarter(2023, 3), Quarter(2024, 1))

    both, alone = solve([seafood, other]), solve([seafood])
    quarter, s, o = both.scenario[0], 0, 1
    assert len(quarter.segments) == 3 and len(alone.scenario[0].segments) == 2
    # seafood's own parts: before and after 24 August; other goods': before and after 10 Sep
    parts = [seg.equilibrium for seg in quarter.segments]
    np.testing.assert_array_equal(parts[1].log_price[s], parts[2].log_price[s])
    np.testing.assert_array_equal(parts[0].log_price[o], parts[1].log_price[o])
    assert not np.array_equal(parts[1].log_price[o], parts[2].log_price[o])
    for a, b in zip(both.scenario, alone.scenario, strict=True):
        # rounding only: the sector's arrays are solved in another batch
        np.testing.assert_allclose(a.value[s], b.value[s], rtol=1e-13)
        np.testing.assert_allclose(a.producer_price[s], b.producer_price[s], rtol=1e-13)
