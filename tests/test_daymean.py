"""A quarter's day-weighted mean, and the law it keeps: a cut elsewhere changes nothing."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.dataset import Dataset, load_dataset
from sim.daymean import day_mean
from sim.period_welfare import period_welfare
from sim.processing import processing_baseline
from sim.quarters import Quarter
from sim.scenario import PolicySpec
from sim.synth import write_synthetic
from tests.conftest import branching_paths

# 2023Q3 has 92 days; a ban from 24 August cuts it into 54 and 38, one from 3 July and
# one to 15 September into 2, 52 and 38
CUTS = [(54 / 92, 38 / 92), (2 / 92, 52 / 92, 38 / 92), (0.1, 0.2, 0.3, 0.4)]


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float64).view(np.int64)


@pytest.mark.parametrize("weights", CUTS)
def test_parts_of_one_value_average_to_that_value_to_the_bit(weights: tuple[float, ...]) -> None:
    rng = np.random.default_rng(11)
    value = np.concatenate([10 ** rng.uniform(-6, 9, 1000), [0.0, np.inf, -np.inf, 1e-300]])
    mean = day_mean([(w, value.copy()) for w in weights])
    assert np.array_equal(bits(mean), bits(value))
    # the weighted sum of the parts misses the value in its last bits for some of them
    summed = sum(w * value for w in weights)
    assert not np.array_equal(bits(summed[:1000]), bits(value[:1000]))


@pytest.mark.parametrize("weights", CUTS)
def test_the_mean_of_different_parts_is_their_weighted_sum(weights: tuple[float, ...]) -> None:
    rng = np.random.default_rng(12)
    parts = [(w, 10 ** rng.uniform(-3, 6, 500)) for w in weights]
    expected = sum(w * v for w, v in parts)
    # both round each term; the differences v_k - v_1 are exact to half a unit in the last
    # place of the larger part: within a few such units of the largest part, cell by cell
    largest = np.max([np.abs(v) for _, v in parts], axis=0)
    error = np.abs(day_mean(parts) - expected)
    assert (error <= 2 * len(parts) * np.finfo(float).eps * largest).all()
    # a part equal to the first only in some cells: those cells are its mean
    first = parts[0][1]
    mixed = [(w, np.where(np.arange(500) % 2 == 0, first, v)) for w, v in parts]
    mean = day_mean(mixed)
    assert np.array_equal(bits(mean[::2]), bits(first[::2]))


def test_one_part_is_its_value_added_to_zero() -> None:
    value = np.array([1.5, -0.0, np.inf, np.nan])
    mean = day_mean([(1.0, value)])
    assert np.array_equal(bits(mean), bits(0 + 1.0 * value))  # -0 becomes +0, as before
    assert not np.signbit(mean[1])


def test_nan_and_infinite_parts_average_as_their_weighted_sum() -> None:
    a = np.array([np.inf, np.inf, np.nan, 1.0, -np.inf, 2.0])
    b = np.array([np.inf, 1.0, np.nan, np.inf, np.inf, 3.0])
    with np.errstate(invalid="raise"):  # and without a warning
        mean = day_mean([(0.25, a), (0.75, b)])
    with np.errstate(invalid="ignore"):
        summed = 0.25 * a + 0.75 * b
    assert np.array_equal(mean[:5], summed[:5], equal_nan=True)
    assert mean[5] == pytest.approx(2.75, rel=1e-15)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    path, _ = write_synthetic(tmp_path_factory.mktemp("synth") / "synth.yaml", 8, 5, 4)
    return load_dataset(path)


@pytest.mark.parametrize("reuse", [True, False], ids=["kept", "solved"])
def test_a_sector_no_policy_touches_is_not_changed_by_a_cut_in_another(
    synthetic: Dataset, reuse: bool
) -> None:
    """A ban on s01 from 24 August cuts 2023Q3 in two; s02-s05 have the no-policy run's
    values, volumes, prices, supply and welfare in every quarter, to the bit."""
    ban = PolicySpec(
        id="ban",
        type="ban",
        sectors=("s01",),
        exporters=("R001",),
        importers=("R002",),
        start=dt.date(2023, 8, 24),
    )
    baseline = processing_baseline(synthetic.flows, synthetic.tariffs, synthetic.routes)
    cut = 0
    for mine, theirs in branching_paths(synthetic, [ban], [], {}, reuse):
        cut += len(mine.segments) > len(theirs.segments)
        for name in ("value", "volume", "supply", "producer_price", "price_index"):
            a, b = getattr(mine, name)[1:], getattr(theirs, name)[1:]
            assert np.array_equal(bits(a), bits(b)), (str(mine.quarter), name)
        mine_welfare, their_welfare = (
            period_welfare(baseline, mine),
            period_welfare(baseline, theirs),
        )
        for key, value in their_welfare.items():
            assert np.array_equal(bits(mine_welfare[key][1:]), bits(value[1:])), key
        assert not np.array_equal(mine.value[0], theirs.value[0]) or mine.quarter < Quarter(2023, 3)
    assert cut == 1
