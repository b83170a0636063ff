"""The axis sums are numpy's sums, bit for bit."""

import numpy as np
import pytest

from sim.axissum import sum_destinations, sum_origins


@pytest.mark.parametrize("regions", [1, 2, 3, 6, 7, 8, 9, 17, 40])
def test_the_sums_are_numpys_bit_for_bit(regions: int) -> None:
    rng = np.random.default_rng(regions)
    values = rng.standard_normal((60, regions, regions))
    values *= 10.0 ** rng.integers(-8, 8, values.shape)
    values[rng.random(values.shape) < 0.2] = 0.0
    values[rng.random(values.shape) < 0.1] = -0.0
    values[:3] = -0.0  # sums of negative zeros only: numpy gives +0.0
    values[3, 0, :] = np.inf
    for mine, theirs in [
        (sum_origins(values), values.sum(axis=1)),
        (sum_destinations(values), values.sum(axis=2)),
    ]:
        assert mine.shape == theirs.shape
        assert np.array_equal(mine.view(np.int64), theirs.view(np.int64))


def test_an_empty_stack_sums_to_an_empty_array() -> None:
    values = np.zeros((0, 4, 4))
    assert sum_origins(values).shape == (0, 4)
    assert sum_destinations(values).shape == (0, 4)
